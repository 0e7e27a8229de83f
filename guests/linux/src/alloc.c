/* Allocate and free a few megabytes: small blocks from brk, large ones from mmap. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
  enum { N = 64 };
  unsigned char *small[N];
  unsigned long sum = 0;
  for (int i = 0; i < N; i++) {
    small[i] = malloc(1000 + 37 * i);
    memset(small[i], i, 1000 + 37 * i);
  }
  for (int round = 0; round < 4; round++) {
    size_t size = (size_t)(1 + round) << 20; /* 1..4 MiB: above the mmap threshold */
    unsigned char *big = malloc(size);
    if (!big) { printf("malloc(%zu) failed\n", size); return 1; }
    for (size_t j = 0; j < size; j += 4096) big[j] = (unsigned char)(j >> 12);
    for (size_t j = 0; j < size; j += 4096) sum += big[j];
    unsigned char *bigger = realloc(big, size * 2);
    if (!bigger) { printf("realloc(%zu) failed\n", size * 2); return 1; }
    big = bigger;
    big[size * 2 - 1] = 1;
    sum += big[size * 2 - 1];
    free(big);
  }
  for (int i = 0; i < N; i++) { sum += small[i][999]; free(small[i]); }
  unsigned char *z = calloc(3 << 20, 1);
  for (size_t j = 0; j < (3u << 20); j += 4096) sum += z[j];
  free(z);
  printf("allocated and freed, checksum %lu\n", sum);
  return 0;
}
