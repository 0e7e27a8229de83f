/* stack-smash: main -> victim -> smash_and_crash. smash_and_crash overwrites the
 * caller-fp slot of its own frame record with a misaligned, unmapped value, then
 * writes to NULL. A frame-pointer walk must stop cleanly at the bad link (after
 * naming victim from the intact return-address slot), never loop or crash. */
#include "sys.h"

#if defined(__riscv)
/* RISC-V psABI: fp is the CFA; the caller's fp is saved at fp - 2*XLEN/8. */
#define CALLER_FP_SLOT(fp) ((void **)(fp) - 2)
#else
/* x86-64 and AArch64: fp points at {caller fp, return address}. */
#define CALLER_FP_SLOT(fp) ((void **)(fp))
#endif

NOINLINE void smash_and_crash(void)
{
    void *fp = __builtin_frame_address(0);
    *(void *volatile *)CALLER_FP_SLOT(fp) = (void *)0x1003;
    *(volatile int *)0 = 1;
}

NOINLINE void victim(void)
{
    smash_and_crash();
    put_str(1, "not reached\n");
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    victim();
    return 0;
}
