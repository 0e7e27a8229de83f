/* leaf-norecord: main -> nr_caller -> nr_leaf; nr_leaf stores to NULL.
 * This file is built with -O1 -momit-leaf-frame-pointer (see Makefile), so the
 * leaf has no frame record while nr_caller and main keep theirs. */
#include "sys.h"

static int *volatile nr_target;  /* stays NULL */
static volatile int nr_value = 7;

NOINLINE void nr_leaf(int v)
{
    *(volatile int *)nr_target = v;
}

NOINLINE int nr_caller(int v)
{
    nr_leaf(v + 1);
    return nr_value; /* work after the call: keeps it from becoming a tail call */
}

int main(int argc, char **argv)
{
    (void)argv;
    return nr_caller(argc + nr_value);
}
