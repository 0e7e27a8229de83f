/* abort() from a nested call. */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) void give_up(const char *why) {
  fprintf(stderr, "giving up: %s\n", why);
  abort();
}
__attribute__((noinline)) void check(int v) { if (v != 7) give_up("v is not 7"); printf("unreached\n"); }

int main(int argc, char **argv) {
  (void)argv;
  check(argc);
  return 0;
}
