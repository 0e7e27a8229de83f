/* breakpoint: main -> bp_outer -> bp_inner -> __builtin_debugtrap()
 * (clang 14: x86-64 int3, aarch64 brk #0xf000, riscv ebreak). */
#include "sys.h"

NOINLINE void bp_inner(void)
{
    __builtin_debugtrap();
}

NOINLINE void bp_outer(void)
{
    bp_inner();
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    bp_outer();
    return 0;
}
