/* Calls a system call crashlab does not implement (personality), then goes on. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

__attribute__((noinline)) long ask(void) { return syscall(SYS_personality, 0xffffffffUL); }

int main(void) {
  long r = ask();
  printf("personality: %ld (%s)\n", r, r == -1 ? strerrorname_np(errno) : "ok");
  return 0;
}
