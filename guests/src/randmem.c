/* randmem: a working set far larger than any TLB. ITERATIONS read-modify-writes of
 * random words (xorshift64) across a 256 MiB array in .bss, then a checksum of a sample.
 * Exercises crashlab's TLB-fill hook (bench/emu-vs-qemu.mjs). Built at -O2. */
#include "sys.h"

#ifndef ITERATIONS
#define ITERATIONS 24000000UL
#endif
#define WORDS (64UL << 20) /* 256 MiB of 4-byte words */

static unsigned int mem[WORDS];

int main(void)
{
    unsigned long long x = 0x9e3779b97f4a7c15ULL;
    unsigned long i;
    unsigned int sum = 0;
    for (i = 0; i < ITERATIONS; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        mem[x & (WORDS - 1)] += (unsigned int)i;
    }
    for (i = 0; i < WORDS; i += 4093)
        sum += mem[i];
    put_str(1, "randmem=");
    put_hex64(1, sum);
    put_str(1, "\n");
    return 0;
}
