/* divzero: main -> div_outer -> do_divide divides by a volatile zero.
 * x86-64 raises #DE (SIGFPE); aarch64 sdiv gives 0 and riscv div gives -1,
 * so there the result is printed and the program exits with status 0. */
#include "sys.h"

static volatile int numerator = 42;
static volatile int denominator; /* 0 */

NOINLINE int do_divide(int a, int b)
{
    volatile int q = a / b;
    return q;
}

NOINLINE int div_outer(void)
{
    return do_divide(numerator, denominator);
}

int main(int argc, char **argv)
{
    int q;
    (void)argc;
    (void)argv;
    q = div_outer();
    put_str(1, "42 / 0 = ");
    put_sdec(1, q);
    put_str(1, "\n");
    return 0;
}
