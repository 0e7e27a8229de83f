/* Exit status 42 from a nested call through exit(). */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) void finish(int code) { printf("exiting with %d\n", code); exit(code); }

int main(void) {
  finish(42);
  return 0;
}
