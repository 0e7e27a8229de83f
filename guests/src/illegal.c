/* illegal: main -> ill_outer -> ill_inner executes an undefined instruction
 * (x86-64 ud2, aarch64 udf #0, riscv the all-zero word 0x00000000). */
#include "sys.h"

NOINLINE void ill_inner(void)
{
#if defined(__x86_64__)
    __asm__ volatile("ud2");
#elif defined(__aarch64__)
    __asm__ volatile("udf #0");
#elif defined(__riscv)
    __asm__ volatile(".4byte 0x00000000");
#else
#error "unsupported architecture"
#endif
}

NOINLINE void ill_outer(void)
{
    ill_inner();
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    ill_outer();
    return 0;
}
