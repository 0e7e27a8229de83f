/* misaligned: main -> load_outer -> load_word does a 4-byte load through a
 * volatile pointer at an odd address (bytes + 1). None of the four arches traps
 * on this by default under Linux user mode, so the program prints the loaded
 * value (bytes 1..4, little-endian on all four arches: 0x0000000044332211) and
 * exits 0. The array is 8-byte aligned, so bytes + 1 is odd on every arch. */
#include "sys.h"

static volatile unsigned char bytes[16] __attribute__((aligned(8))) = {
    0x10, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff
};

NOINLINE unsigned int load_word(const volatile unsigned char *base, int offset)
{
    const volatile unsigned int *p = (const volatile unsigned int *)(base + offset);
    return *p;
}

NOINLINE unsigned int load_outer(int offset)
{
    return load_word(bytes, offset);
}

int main(int argc, char **argv)
{
    unsigned int v;
    (void)argc;
    (void)argv;
    v = load_outer(1);
    put_str(1, "loaded ");
    put_hex64(1, v);
    put_str(1, "\n");
    return 0;
}
