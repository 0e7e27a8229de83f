/* A null write three calls below main. */
#include <stdio.h>

__attribute__((noinline)) void store(int *p, int v) { *p = v; }
__attribute__((noinline)) void middle(int *p, int v) { store(p, v + 1); printf("unreached\n"); }
__attribute__((noinline)) void outer(int *p) { middle(p, 41); printf("unreached\n"); }

int main(int argc, char **argv) {
  (void)argv;
  printf("about to crash\n");
  fflush(stdout);
  outer(argc > 5 ? (int *)&argc : (int *)0);
  return 0;
}
