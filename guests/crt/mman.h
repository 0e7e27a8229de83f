/* mman.h - freestanding mmap/mprotect/munmap for crashlab guests (see sys.h).
 *
 * Linux system call numbers:
 *   x86-64:        mmap = 9,   mprotect = 10,  munmap = 11   (syscall)
 *   aarch64, rv64: mmap = 222, mprotect = 226, munmap = 215  (svc #0 / ecall)
 *   rv32:          mmap2 = 222 (offset in pages; 0 here), mprotect = 226, munmap = 215
 */
#ifndef CRASHLAB_MMAN_H
#define CRASHLAB_MMAN_H
#include "sys.h"

#define PROT_NONE 0
#define PROT_READ 1
#define PROT_WRITE 2
#define PROT_EXEC 4
#define MAP_PRIVATE 0x02
#define MAP_ANONYMOUS 0x20

#if defined(__x86_64__)
#define NR_MMAP 9
#define NR_MPROTECT 10
#define NR_MUNMAP 11
static inline long sys_call6(long nr, long a, long b, long c, long d, long e, long f)
{
    long ret;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}
#else
#define NR_MMAP 222
#define NR_MPROTECT 226
#define NR_MUNMAP 215
#if defined(__aarch64__)
#define SYSCALL_INSN "svc #0"
#define REG_NR "x8"
#define REG(n) "x" #n
#else
#define SYSCALL_INSN "ecall"
#define REG_NR "a7"
#define REG(n) "a" #n
#endif
static inline long sys_call6(long nr, long a, long b, long c, long d, long e, long f)
{
    register long rn __asm__(REG_NR) = nr;
    register long r0 __asm__(REG(0)) = a;
    register long r1 __asm__(REG(1)) = b;
    register long r2 __asm__(REG(2)) = c;
    register long r3 __asm__(REG(3)) = d;
    register long r4 __asm__(REG(4)) = e;
    register long r5 __asm__(REG(5)) = f;
    __asm__ volatile(SYSCALL_INSN
                     : "+r"(r0)
                     : "r"(rn), "r"(r1), "r"(r2), "r"(r3), "r"(r4), "r"(r5)
                     : "memory");
    return r0;
}
#endif

static inline void *sys_mmap(long len, long prot)
{
    return (void *)sys_call6(NR_MMAP, 0, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}
static inline long sys_mprotect(void *p, long len, long prot)
{
    return sys_call6(NR_MPROTECT, (long)p, len, prot, 0, 0, 0);
}
static inline long sys_munmap(void *p, long len)
{
    return sys_call6(NR_MUNMAP, (long)p, len, 0, 0, 0, 0);
}
#endif /* CRASHLAB_MMAN_H */
