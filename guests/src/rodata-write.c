/* rodata-write: main -> patch_banner -> poke_byte; poke_byte stores into a
 * `static const` array that the linker placed in read-only .rodata. */
#include "sys.h"

static const char banner[] = "this string lives in .rodata";

NOINLINE void poke_byte(char *dst, int index, char value)
{
    ((volatile char *)dst)[index] = value;
}

NOINLINE void patch_banner(void)
{
    poke_byte((char *)banner, 5, 'S'); /* cast away const */
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    patch_banner();
    put_str(1, banner);
    return 0;
}
