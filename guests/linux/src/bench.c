/* The speed benchmark's Linux program: a few hundred million instructions of integer
   work (a hash over an array, sorted by insertion in blocks), printing a little. */
#include <stdio.h>
#include <stdlib.h>

static unsigned mix(unsigned h, unsigned v) { h ^= v; h *= 16777619u; return h ^ (h >> 13); }

int main(int argc, char **argv) {
  long rounds = argc > 1 ? atol(argv[1]) : 200;
  enum { N = 4096 };
  static unsigned a[N];
  unsigned h = 2166136261u;
  for (long r = 0; r < rounds; r++) {
    for (int i = 0; i < N; i++) { h = mix(h, (unsigned)(i + r)); a[i] = h; }
    for (int i = 1; i < 64; i++) {
      unsigned v = a[i];
      int j = i - 1;
      while (j >= 0 && a[j] > v) { a[j + 1] = a[j]; j--; }
      a[j + 1] = v;
    }
    if (r % 50 == 0) printf("round %ld: %08x\n", r, h);
  }
  printf("done: %08x %08x\n", h, a[0]);
  return 0;
}
