/* null-read: main -> reader_outer -> reader_inner; reader_inner loads an int from NULL. */
#include "sys.h"

static int *volatile source; /* stays NULL */

NOINLINE int reader_inner(int *p)
{
    return *(volatile int *)p;
}

NOINLINE int reader_outer(void)
{
    return reader_inner(source) + 1;
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return reader_outer();
}
