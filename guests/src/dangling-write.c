/* dangling-write: main -> release_and_keep -> write_through(p) stores 4 bytes
 * through a pointer to memory that is no longer mapped, as after a free() that
 * returned the pages. Freestanding, the "freed page" is the first 64 KiB
 * boundary above the linker symbol _end (the end of .bss); nothing is mapped
 * there, on any arch, under crashlab or qemu-user. */
#include "sys.h"

extern char _end[]; /* defined by the linker: first address after .bss */

static int keep = 7; /* gives the program a data segment */

NOINLINE int *stale_pointer(void)
{
    unsigned long end = (unsigned long)_end;
    unsigned long freed = (end + 0xffffUL) & ~0xffffUL; /* round up to 64 KiB */
    return (int *)freed;
}

NOINLINE void write_through(int *p, int v)
{
    *(volatile int *)p = v;
}

NOINLINE void release_and_keep(void)
{
    int *p = stale_pointer();
    write_through(p, keep);
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    release_and_keep();
    put_str(1, "not reached\n");
    return 0;
}
