/* callback-trap: main -> run_callbacks(table) calls each entry of a table of
 * function pointers; the second one, cb_trap, executes __builtin_trap()
 * (x86-64 ud2 and RISC-V unimp: SIGILL; aarch64 brk #1: SIGTRAP). */
#include "sys.h"

typedef int (*callback_fn)(int);

NOINLINE int cb_hello(int n)
{
    put_str(1, "callback 0\n");
    return n + 1;
}

NOINLINE int cb_trap(int n)
{
    put_str(1, "callback 1\n");
    __builtin_trap();
    return n;
}

NOINLINE int cb_never(int n)
{
    put_str(1, "callback 2 (not reached)\n");
    return n;
}

static callback_fn table[] = { cb_hello, cb_trap, cb_never, 0 };

NOINLINE int run_callbacks(callback_fn *cbs)
{
    int acc = 0;
    int i;
    for (i = 0; cbs[i]; i++)
        acc = cbs[i](acc);
    return acc;
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return run_callbacks(table);
}
