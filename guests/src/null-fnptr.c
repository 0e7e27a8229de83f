/* null-fnptr: main -> dispatch(handler) with handler == NULL; dispatch calls it,
 * so the fault is an instruction fetch at pc 0. */
#include "sys.h"

typedef int (*handler_fn)(int);

static volatile handler_fn registered_handler; /* stays NULL */

NOINLINE int dispatch(handler_fn handler, int arg)
{
    return handler(arg) + 1;
}

int main(int argc, char **argv)
{
    (void)argv;
    return dispatch(registered_handler, argc);
}
