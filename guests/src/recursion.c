/* recursion: main -> recurse -> recurse -> ... until the stack runs into the
 * guard page. Each frame holds a 64-byte local array that is used after the
 * recursive call, so the call is not a tail call and cannot become a loop. */
#include "sys.h"

static volatile int stop_recursing; /* never set: no base case the compiler can see through */

NOINLINE int recurse(int depth)
{
    volatile char pad[64];
    pad[0] = (char)depth;
    pad[63] = (char)(depth >> 8);
    if (stop_recursing)
        return depth;
    return recurse(depth + 1) + pad[0] + pad[63];
}

int main(int argc, char **argv)
{
    (void)argv;
    return recurse(argc);
}
