/* stores: store-heavy benchmark guest, built at -O0 (every local lives in memory, so
 * nearly every statement stores). ROUNDS times: fill a 4096-word array, then run a
 * prefix sum over it in place; print a checksum. With the argument "fault" it then
 * writes to NULL (the same run ending in a fault, for bench/emu-vs-qemu.mjs). */
#include "sys.h"

#ifndef ROUNDS
#define ROUNDS 20000
#endif
#define N 4096

static unsigned int buf[N];

NOINLINE void fill(unsigned int *a, unsigned int n, unsigned int seed)
{
    unsigned int i;
    for (i = 0; i < n; i++)
        a[i] = seed + i * 2654435761u;
}

NOINLINE unsigned int prefix_sum(unsigned int *a, unsigned int n)
{
    unsigned int i;
    for (i = 1; i < n; i++)
        a[i] += a[i - 1];
    return a[n - 1];
}

NOINLINE void crash_now(void)
{
    volatile int *p = (volatile int *)0;
    *p = 1;
}

int main(int argc, char **argv)
{
    unsigned int r, sum = 0;
    for (r = 0; r < ROUNDS; r++) {
        fill(buf, N, r);
        sum ^= prefix_sum(buf, N);
    }
    put_str(1, "stores=");
    put_hex64(1, sum);
    put_str(1, "\n");
    if (argc > 1 && argv[1][0] == 'f')
        crash_now();
    return 0;
}
