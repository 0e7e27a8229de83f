/* What a hostile or careless program asks of the kernel; each request must get the error
   Linux would give, and the run must go on. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static void report(const char *what, long r) {
  if (r == -1) printf("%s: %s\n", what, strerrorname_np(errno));
  else printf("%s: ok\n", what);
}

int main(void) {
  void *m = mmap(0, (size_t)64 << 30, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  report("mmap 64 GiB", m == MAP_FAILED ? -1 : 0);
  void *cur = sbrk(0);
  long r = syscall(SYS_brk, (char *)cur + ((size_t)1 << 40));
  printf("brk +1 TiB: %s\n", (void *)r == cur ? "unchanged" : "moved");
  report("write from unmapped buffer", syscall(SYS_write, 1, (void *)16, 10));
  report("read into unmapped buffer", syscall(SYS_read, 0, (void *)16, 10));
  report("openat with garbage path", syscall(SYS_openat, -100, (void *)0x1234, 0));
  report("uname into garbage", syscall(SYS_uname, (void *)0x10));
  report("clock_gettime into garbage", syscall(SYS_clock_gettime, 0, (void *)0x10));
  report("clone", syscall(SYS_clone, 0, 0, 0, 0, 0));
#ifdef SYS_fork
  report("fork", syscall(SYS_fork));
#endif
  report("execve", syscall(SYS_execve, "/bin/sh", 0, 0));
  report("munmap unaligned", syscall(SYS_munmap, (void *)1, 4096));
  void *p = mmap(0, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  report("mmap 1 MiB", p == MAP_FAILED ? -1 : 0);
  if (p != MAP_FAILED) { memset(p, 1, 1 << 20); report("munmap 1 MiB", munmap(p, 1 << 20)); }
  printf("still running\n");
  return 0;
}
