/* A failed assert in a nested call. */
#include <assert.h>
#include <stdio.h>

__attribute__((noinline)) int half(int n) {
  assert(n % 2 == 0 && "n must be even");
  return n / 2;
}
__attribute__((noinline)) int quarter(int n) { return half(half(n)); }

int main(int argc, char **argv) {
  (void)argv;
  printf("quarter = %d\n", quarter(argc + 5));
  return 0;
}
