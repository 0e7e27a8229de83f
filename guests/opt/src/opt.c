/* opt.c: the optimized-code unwinding corpus. One program, one scenario per run, named by
 * argv[1]; built at every optimization level, with and without frame pointers, by gcc and
 * clang (guests/opt/Makefile), so that the same source shows what each compiler does to a
 * frame. Every scenario crashes (or aborts) a few calls below main; the null pointer comes
 * from a volatile global, so no compiler can prove the store is to NULL and drop it.
 *
 *   chain     store <- middle <- outer: a plain null write (the Linux `crash` program)
 *   shrink    a shrink-wrapped function: an early return first, then the prologue, then the crash
 *   cold      a crash in the unlikely part of `validate` (gcc puts it in validate.cold)
 *   tail      tail_a tail-calls tail_b, which crashes: tail_a is not on the stack at -O2
 *   maintail  main tail-calls final_step, which crashes: main is not on the stack at -O2
 *   noreturn  a crash in a noreturn callee whose call is its caller's last instruction
 *   vla       a crash in a function with a variable-length array (its frame needs fp)
 *   alloca    the same with alloca
 *   leaf      a crash in a leaf that keeps no frame record
 *   fnptr     a call through a null function pointer
 *   qsort     a qsort comparison callback that crashes, called from the C library
 *   recurse   a crash 40 calls deep in a recursion that cannot become a loop
 *   inline    check_invariant <- run_checks (inlined at -O1 and above) <- inline_scenario
 *   abort     abort() from give_up <- check (not in the freestanding rv32 build)
 *   walk      walk_all calls most of the functions above with a valid pointer, so that each
 *             runs to its return (prologue, body, epilogue): the every-instruction check
 *             (test/unwind/every-insn.test.ts) steps through it and exits normally.
 */
#ifdef OPT_FREESTANDING
#include "sys.h"
typedef int (*cmp_fn)(const void *, const void *);
/* No C library on rv32: a library-style sort with the same shape as qsort's callback use. */
__attribute__((noinline)) void lib_sort(void *base, size_t n, size_t size, cmp_fn cmp)
{
    char *b = base;
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && cmp(b + (j - 1) * size, b + j * size) > 0; j--)
            for (size_t k = 0; k < size; k++) {
                char t = b[(j - 1) * size + k];
                b[(j - 1) * size + k] = b[j * size + k];
                b[j * size + k] = t;
            }
}
#define SORT lib_sort
#else
#include <alloca.h>
#include <stdlib.h>
#define SORT qsort
#endif

#define NOINL __attribute__((noinline))

int *volatile nullp;        /* stays NULL */
volatile int sink;
volatile int sink2;

static int eq(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

NOINL int helper(int v)
{
    sink = v;
    return v * 3 + sink;
}

/* chain */
NOINL void store(int *p, int v) { *p = v; }
NOINL void middle(int *p, int v) { store(p, v + 1); sink = v; }
NOINL void outer(int *p) { middle(p, 41); sink = 2; }

/* shrink: the test on n needs no frame; the rest does. */
NOINL int shrink(int *p, int n)
{
    if (n < 0)
        return 0;
    int a = helper(n);
    int b = helper(a + n);
    *p = a + b;
    return a * b + helper(b);
}

/* cold */
__attribute__((cold, noinline)) void cold_note(int v) { sink2 = v; }
NOINL int validate(int *p, int v)
{
    if (v > 100) {
        cold_note(v);
        *p = v;
        return -1;
    }
    return v + helper(v);
}

/* tail */
NOINL int tail_b(int *p, int v)
{
    *p = v;
    return sink;
}
NOINL int tail_a(int *p, int v) { return tail_b(p, v * 2 + sink); }

/* maintail */
NOINL int final_step(int *p, int v)
{
    *p = v;
    return sink + v;
}

/* noreturn */
NOINL __attribute__((noreturn)) void die(int *p, int v)
{
    *(volatile int *)p = v;
    for (;;)
        sink = v;
}
NOINL void noret_caller(int *p, int v)
{
    sink = v;
    die(p, v + 1);
}

/* vla */
NOINL int fill(int *a, int n)
{
    for (int i = 0; i < n; i++)
        a[i] = i * sink;
    return a[n / 2];
}
NOINL int vla(int *p, int n)
{
    int a[n];
    int r = fill(a, n);
    *p = r + a[0];
    return a[n - 1];
}

/* alloca */
NOINL int with_alloca(int *p, int n)
{
#ifdef OPT_FREESTANDING
    int *a = __builtin_alloca(n * sizeof(int));
#else
    int *a = alloca(n * sizeof(int));
#endif
    int r = fill(a, n);
    *p = r + a[1];
    return a[0];
}

/* leaf */
NOINL int leaf(int *p, int v)
{
    *p = v + 1;
    return v;
}
NOINL int leaf_caller(int *p, int v)
{
    int r = leaf(p, v);
    sink = r;
    return r + 1;
}

/* fnptr */
void (*volatile null_fn)(int *);
NOINL int call_null(int *p)
{
    null_fn(p);
    sink = 1;
    return 0;
}

/* qsort */
static int cmp_calls;
NOINL int cmp_crash(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    if (++cmp_calls == 3)
        *nullp = x;
    return (x > y) - (x < y);
}
NOINL int sort_them(int n)
{
    int v[8];
    for (int i = 0; i < 8; i++)
        v[i] = (i * 5 + 3) % 8 + sink;
    SORT(v, (size_t)n, sizeof v[0], cmp_crash);
    return v[0];
}

/* recurse */
NOINL int recurse(int *p, int depth)
{
    if (depth == 0) {
        *p = 1;
        return 0;
    }
    int r = recurse(p, depth - 1);
    sink2 = depth;
    return r + sink2;
}

/* inline */
NOINL void check_invariant(int *p, int v)
{
    if (v != 42)
        *p = v;
}
static inline void run_checks(int *p, int v)
{
    sink = 1;
    check_invariant(p, v);
    sink = 2;
}
NOINL int inline_scenario(int *p, int v)
{
    run_checks(p, v);
    return sink;
}

#ifndef OPT_FREESTANDING
/* abort */
NOINL void give_up(int v)
{
    sink = v;
    abort();
}
NOINL int check(int v)
{
    if (v > 0)
        give_up(v);
    return sink;
}
#endif

NOINL int walk_all(int n)
{
    int local = 0;
    int *p = &local;
    int r = shrink(p, -n);
    r += shrink(p, n);
    r += validate(p, n);
    r += validate(p, n + 200);
    r += tail_a(p, n);
    r += vla(p, n + 2);
    r += with_alloca(p, n + 2);
    r += leaf_caller(p, n);
    r += recurse(p, n);
    r += inline_scenario(p, 42);
    return r + local;
}

NOINL int dispatch(const char *s, int n)
{
    int *p = nullp;
    int r = 0;
    if (eq(s, "chain")) outer(p);
    else if (eq(s, "shrink")) r = shrink(p, n);
    else if (eq(s, "cold")) r = validate(p, n + 200);
    else if (eq(s, "tail")) r = tail_a(p, n);
    else if (eq(s, "noreturn")) noret_caller(p, n);
    else if (eq(s, "vla")) r = vla(p, n + 6);
    else if (eq(s, "alloca")) r = with_alloca(p, n + 6);
    else if (eq(s, "leaf")) r = leaf_caller(p, n);
    else if (eq(s, "fnptr")) r = call_null(p);
    else if (eq(s, "qsort")) r = sort_them(n + 6);
    else if (eq(s, "recurse")) r = recurse(p, n + 38);
    else if (eq(s, "inline")) r = inline_scenario(p, n);
    else if (eq(s, "walk")) r = walk_all(n) & 1;
#ifndef OPT_FREESTANDING
    else if (eq(s, "abort")) r = check(n);
#endif
    else r = -1;
    sink2 = r;
    return r;
}

int main(int argc, char **argv)
{
    const char *s = argc > 1 ? argv[1] : "";
    if (eq(s, "maintail"))
        return final_step(nullp, argc);
    int r = dispatch(s, argc);
    sink = r;
    return r < 0 ? 2 : 0;
}
