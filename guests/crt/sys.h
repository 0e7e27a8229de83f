/* sys.h - freestanding syscall wrappers and tiny output helpers for crashlab guests.
 *
 * Linux syscall numbers:
 *   x86-64:            write = 1,  exit = 60   (syscall)
 *   aarch64, rv32/64:  write = 64, exit = 93   (svc #0 / ecall)
 * Everything here is `static inline`, so unused helpers emit no code.
 */
#ifndef CRASHLAB_SYS_H
#define CRASHLAB_SYS_H

typedef unsigned long size_t;
typedef long ssize_t;

#define NOINLINE __attribute__((noinline))

#if defined(__x86_64__)
#define ARCH_NAME "x86-64"
static inline long sys_write(long fd, const void *buf, size_t len)
{
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(1L), "D"(fd), "S"(buf), "d"(len)
                     : "rcx", "r11", "memory");
    return ret;
}
static inline __attribute__((noreturn)) void sys_exit(long status)
{
    __asm__ volatile("syscall" : : "a"(60L), "D"(status) : "rcx", "r11", "memory");
    __builtin_unreachable();
}
#elif defined(__aarch64__)
#define ARCH_NAME "aarch64"
static inline long sys_write(long fd, const void *buf, size_t len)
{
    register long x8 __asm__("x8") = 64;
    register long x0 __asm__("x0") = fd;
    register long x1 __asm__("x1") = (long)buf;
    register long x2 __asm__("x2") = (long)len;
    __asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
    return x0;
}
static inline __attribute__((noreturn)) void sys_exit(long status)
{
    register long x8 __asm__("x8") = 93;
    register long x0 __asm__("x0") = status;
    __asm__ volatile("svc #0" : : "r"(x8), "r"(x0) : "memory");
    __builtin_unreachable();
}
#elif defined(__riscv)
#if __riscv_xlen == 64
#define ARCH_NAME "rv64"
#else
#define ARCH_NAME "rv32"
#endif
static inline long sys_write(long fd, const void *buf, size_t len)
{
    register long a7 __asm__("a7") = 64;
    register long a0 __asm__("a0") = fd;
    register long a1 __asm__("a1") = (long)buf;
    register long a2 __asm__("a2") = (long)len;
    __asm__ volatile("ecall" : "+r"(a0) : "r"(a7), "r"(a1), "r"(a2) : "memory");
    return a0;
}
static inline __attribute__((noreturn)) void sys_exit(long status)
{
    register long a7 __asm__("a7") = 93;
    register long a0 __asm__("a0") = status;
    __asm__ volatile("ecall" : : "r"(a7), "r"(a0) : "memory");
    __builtin_unreachable();
}
#else
#error "unsupported architecture"
#endif

static inline size_t str_len(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

static inline void put_str(long fd, const char *s)
{
    sys_write(fd, s, str_len(s));
}

/* Unsigned decimal. */
static inline void put_dec(long fd, unsigned long v)
{
    char buf[24];
    int i = (int)sizeof(buf);
    do {
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    sys_write(fd, buf + i, sizeof(buf) - (size_t)i);
}

/* Signed decimal. */
static inline void put_sdec(long fd, long v)
{
    if (v < 0) {
        sys_write(fd, "-", 1);
        put_dec(fd, 0UL - (unsigned long)v);
    } else {
        put_dec(fd, (unsigned long)v);
    }
}

/* "0x" followed by exactly 16 lowercase hex digits. */
static inline void put_hex64(long fd, unsigned long long v)
{
    char buf[18];
    int i;
    buf[0] = '0';
    buf[1] = 'x';
    for (i = 0; i < 16; i++)
        buf[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 0xf];
    sys_write(fd, buf, sizeof(buf));
}

#endif /* CRASHLAB_SYS_H */
