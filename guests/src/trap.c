/* trap: main -> trap_a -> trap_b -> trap_c -> __builtin_trap()
 * (clang 14: x86-64 ud2, aarch64 brk #0x1, riscv unimp). */
#include "sys.h"

NOINLINE void trap_c(void)
{
    __builtin_trap();
}

NOINLINE void trap_b(void)
{
    trap_c();
}

NOINLINE void trap_a(void)
{
    trap_b();
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    trap_a();
    return 0;
}
