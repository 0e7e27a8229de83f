/* deep-chain: main -> f1 -> f2 -> ... -> f12; f12 stores to NULL. */
#include "sys.h"

NOINLINE int f12(int depth)
{
    volatile int *p = (volatile int *)0;
    *p = depth;
    return depth;
}

NOINLINE int f11(int depth)
{
    return f12(depth + 1) + 1;
}

NOINLINE int f10(int depth)
{
    return f11(depth + 1) + 1;
}

NOINLINE int f9(int depth)
{
    return f10(depth + 1) + 1;
}

NOINLINE int f8(int depth)
{
    return f9(depth + 1) + 1;
}

NOINLINE int f7(int depth)
{
    return f8(depth + 1) + 1;
}

NOINLINE int f6(int depth)
{
    return f7(depth + 1) + 1;
}

NOINLINE int f5(int depth)
{
    return f6(depth + 1) + 1;
}

NOINLINE int f4(int depth)
{
    return f5(depth + 1) + 1;
}

NOINLINE int f3(int depth)
{
    return f4(depth + 1) + 1;
}

NOINLINE int f2(int depth)
{
    return f3(depth + 1) + 1;
}

NOINLINE int f1(int depth)
{
    return f2(depth + 1) + 1;
}

int main(int argc, char **argv)
{
    (void)argv;
    return f1(argc);
}
