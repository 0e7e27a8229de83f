/* compute: benchmark guest. Hashes a counter with FNV-1a + xorshift for
 * ITERATIONS rounds (about 1 s under qemu-riscv64), prints the hash in hex,
 * then main -> finish -> crash_now stores to NULL. */
#include "sys.h"

#ifndef ITERATIONS
#define ITERATIONS 16000000UL
#endif

typedef unsigned long long u64;

NOINLINE u64 mix(u64 h, u64 x)
{
    int i;
    for (i = 0; i < 8; i++) {
        h ^= (x >> (8 * i)) & 0xff; /* FNV-1a over the 8 bytes of x */
        h *= 0x100000001b3ULL;
    }
    h ^= h << 13; /* xorshift64 */
    h ^= h >> 7;
    h ^= h << 17;
    return h;
}

NOINLINE u64 hash_counter(unsigned long n)
{
    u64 h = 0xcbf29ce484222325ULL;
    unsigned long i;
    for (i = 0; i < n; i++)
        h = mix(h, i);
    return h;
}

NOINLINE void crash_now(void)
{
    volatile int *p = (volatile int *)0;
    *p = 1;
}

NOINLINE void finish(u64 h)
{
    put_str(1, "hash=");
    put_hex64(1, h);
    put_str(1, "\n");
    crash_now();
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    finish(hash_counter(ITERATIONS));
    return 0;
}
