/* jit: writes machine code at run time and runs it, as a JIT compiler does.
 *   1. mmap a page read+write, copy "return 42" into it, mprotect it read+exec, call it;
 *   2. mprotect it read+write, overwrite it with "return 7", mprotect read+exec, call it
 *      (the second call must run the new code, not the block translated for the first);
 *   3. mmap a page read+write+exec, copy "return 42", call, overwrite with "return 7" in
 *      place, call (self-modifying code).
 * Prints "jit: 42 7 42 7" and exits 0. With an argument it then faults on purpose:
 *   x  calls the code page after mprotect read+write: fetch from a non-executable page
 *   u  calls it after munmap: fetch from an unmapped page
 *   w  writes a data page, munmaps it, reads it: read from an unmapped page
 *   r  writes a data page, mprotects it read-only, writes it: write to a read-only page */
#include "sys.h"
#include "mman.h"

#define PAGE 4096
typedef int (*fn_t)(void);

#if defined(__x86_64__)
static const unsigned char RET42[] = {0xb8, 42, 0, 0, 0, 0xc3}; /* mov eax, 42; ret */
static const unsigned char RET7[] = {0xb8, 7, 0, 0, 0, 0xc3};   /* mov eax, 7; ret */
#elif defined(__aarch64__)
static const unsigned char RET42[] = {0x40, 0x05, 0x80, 0x52, 0xc0, 0x03, 0x5f, 0xd6}; /* mov w0, #42; ret */
static const unsigned char RET7[] = {0xe0, 0x00, 0x80, 0x52, 0xc0, 0x03, 0x5f, 0xd6};  /* mov w0, #7; ret */
#else
static const unsigned char RET42[] = {0x13, 0x05, 0xa0, 0x02, 0x67, 0x80, 0x00, 0x00}; /* li a0, 42; ret */
static const unsigned char RET7[] = {0x13, 0x05, 0x70, 0x00, 0x67, 0x80, 0x00, 0x00};  /* li a0, 7; ret */
#endif

/* Make stores to code visible to instruction fetch (a no-op on x86-64). */
NOINLINE void sync_code(unsigned char *p)
{
#if defined(__aarch64__)
    __asm__ volatile("dc cvau, %0\n\tdsb ish\n\tic ivau, %0\n\tdsb ish\n\tisb" : : "r"(p) : "memory");
#elif defined(__riscv)
    (void)p;
    __asm__ volatile("fence.i" : : : "memory");
#else
    (void)p;
#endif
}

NOINLINE void emit(unsigned char *dst, const unsigned char *code, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        dst[i] = code[i];
    sync_code(dst);
}

NOINLINE int call(unsigned char *code)
{
    return ((fn_t)code)();
}

NOINLINE void check(long rc, const char *what)
{
    if (rc < 0 && rc > -4096) {
        put_str(2, what);
        put_str(2, " failed\n");
        sys_exit(1);
    }
}

NOINLINE void say(int v)
{
    put_str(1, " ");
    put_dec(1, (unsigned long)v);
}

int main(int argc, char **argv)
{
    unsigned char *code = sys_mmap(PAGE, PROT_READ | PROT_WRITE);
    unsigned char *rwx = sys_mmap(PAGE, PROT_READ | PROT_WRITE | PROT_EXEC);
    volatile unsigned char *data = sys_mmap(PAGE, PROT_READ | PROT_WRITE);
    check((long)code, "mmap");
    check((long)rwx, "mmap");
    check((long)data, "mmap");
    put_str(1, "jit:");
    emit(code, RET42, sizeof RET42);
    check(sys_mprotect(code, PAGE, PROT_READ | PROT_EXEC), "mprotect");
    say(call(code));
    check(sys_mprotect(code, PAGE, PROT_READ | PROT_WRITE), "mprotect");
    emit(code, RET7, sizeof RET7);
    check(sys_mprotect(code, PAGE, PROT_READ | PROT_EXEC), "mprotect");
    say(call(code));
    emit(rwx, RET42, sizeof RET42);
    say(call(rwx));
    emit(rwx, RET7, sizeof RET7);
    say(call(rwx));
    put_str(1, "\n");
    switch (argc > 1 ? argv[1][0] : 0) {
    case 'x':
        check(sys_mprotect(code, PAGE, PROT_READ | PROT_WRITE), "mprotect");
        say(call(code));
        break;
    case 'u':
        check(sys_munmap(code, PAGE), "munmap");
        say(call(code));
        break;
    case 'w':
        data[8] = 1;
        check(sys_munmap((void *)data, PAGE), "munmap");
        say(data[8]);
        break;
    case 'r':
        data[8] = 1;
        check(sys_mprotect((void *)data, PAGE, PROT_READ), "mprotect");
        data[16] = 2;
        break;
    }
    return 0;
}
