/* inline-chain: main -> ic_outer -> ic_step -> ic_scale -> ic_store; ic_store
 * stores through a NULL pointer. The three ic_* helpers are `static inline`:
 * at -O0 they are real calls with frame records, at -O1/-O2 clang inlines them
 * all into ic_outer, so the faulting store belongs to ic_outer's code and the
 * DWARF describes ic_store < ic_scale < ic_step as inlined subroutines.
 * The pointer is loaded from a volatile global (it stays NULL), so the
 * compiler cannot prove the store is to NULL and must keep it. */
#include "sys.h"

static int *volatile ic_target; /* stays NULL */
static volatile int ic_bias = 3;

static inline void ic_store(int v)
{
    int *p = ic_target;
    *(volatile int *)p = v;
}

static inline int ic_scale(int v)
{
    int w = v * 3 + ic_bias;
    ic_store(w);
    return w + 1;
}

static inline int ic_step(int v)
{
    int r = ic_scale(v + 1);
    return r ^ ic_bias;
}

NOINLINE int ic_outer(int v)
{
    int r = ic_step(v);
    return r + ic_bias; /* work after the inlined chain */
}

int main(int argc, char **argv)
{
    (void)argv;
    int r = ic_outer(argc);
    return r + ic_bias; /* work after the call: keeps it from becoming a tail call */
}
