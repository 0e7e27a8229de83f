/* bad-syscall: main -> ask_kernel -> raw_syscall0(4000), a system call number no
 * Linux arch defines. Linux returns -ENOSYS; crashlab stops with SIGSYS and says
 * which call it does not implement. */
#include "sys.h"

NOINLINE long raw_syscall0(long nr)
{
#if defined(__x86_64__)
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(nr) : "rcx", "r11", "memory");
    return ret;
#elif defined(__aarch64__)
    register long x8 __asm__("x8") = nr;
    register long x0 __asm__("x0");
    __asm__ volatile("svc #0" : "=r"(x0) : "r"(x8) : "memory");
    return x0;
#elif defined(__riscv)
    register long a7 __asm__("a7") = nr;
    register long a0 __asm__("a0");
    __asm__ volatile("ecall" : "=r"(a0) : "r"(a7) : "memory");
    return a0;
#endif
}

NOINLINE long ask_kernel(void)
{
    return raw_syscall0(4000);
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    long r = ask_kernel();
    put_str(1, r == -38 ? "ENOSYS\n" : "unexpected result\n");
    return 0;
}
