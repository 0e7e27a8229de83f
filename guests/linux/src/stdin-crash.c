/* Reads a number from stdin and writes through a pointer made from it: the fault address
   depends on the input, so the exact-pc replay must see the same stdin as the run. */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) void poke(long addr) { *(volatile int *)addr = 1; }

int main(void) {
  char line[64];
  if (!fgets(line, sizeof line, stdin)) { printf("no input\n"); return 1; }
  long n = strtol(line, 0, 0);
  printf("poking 0x%lx\n", n);
  fflush(stdout);
  poke(n);
  printf("survived\n");
  return 0;
}
