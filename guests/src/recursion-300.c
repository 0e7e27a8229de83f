/* recursion-300: main -> dive(1) -> dive(2) -> ... -> dive(300); at depth 300
 * dive stores to NULL. The trace has 300 dive frames plus main, so crashlab
 * truncates it (256 frames). The recursive call is followed by work, so it is
 * never a tail call. */
#include "sys.h"

#define DEPTH 300

NOINLINE int dive(int depth)
{
    if (depth == DEPTH) {
        *(volatile int *)0 = depth;
        return depth;
    }
    return dive(depth + 1) + 1;
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return dive(1);
}
