/* heap-overflow: a static "heap" arena and a bump allocator. main allocates two
 * blocks, then main -> scan_block -> find_marker looks for a 0xA5 byte that was
 * never written: it reads through the last block, the rest of the arena and off
 * the end of .bss into unmapped memory (SIGSEGV on a 1-byte read).
 * The arena is the only zero-initialised object (the allocator's state lives in
 * .data), so it is the last thing in .bss; it is 4 KiB aligned and 4 KiB long,
 * so the RW segment ends on a page boundary and the fault address is exactly
 * &arena[ARENA_SIZE] on every arch, under crashlab and under qemu-user. */
#include "sys.h"

#define ARENA_SIZE 16384
#define MARKER 0xA5

static char arena[ARENA_SIZE] __attribute__((aligned(4096)));
static size_t heap_used = 1; /* .data, not .bss; 1 = nothing allocated yet (offset + 1) */

NOINLINE void *heap_alloc(size_t n)
{
    size_t off = heap_used - 1;
    n = (n + 15) & ~(size_t)15;
    if (off + n > ARENA_SIZE)
        return 0;
    heap_used = off + n + 1;
    return arena + off;
}

NOINLINE size_t find_marker(const volatile char *p)
{
    size_t i = 0;
    while ((unsigned char)p[i] != MARKER) /* no bound: runs off the allocation */
        i++;
    return i;
}

NOINLINE size_t scan_block(char *block, size_t len)
{
    size_t i;
    for (i = 0; i < len; i++)
        block[i] = (char)(i + 1); /* fill the block, but never with MARKER */
    return find_marker(block);
}

int main(int argc, char **argv)
{
    char *first, *second;
    (void)argc;
    (void)argv;
    first = heap_alloc(100);
    second = heap_alloc(64);
    first[0] = 1;
    put_str(1, "scanning\n");
    return (int)scan_block(second, 64);
}
