/* Time, ids and random bytes: the things that make a run differ, printed. */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/random.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

int main(void) {
  struct timespec a, b;
  clock_gettime(CLOCK_REALTIME, &a);
  clock_gettime(CLOCK_MONOTONIC, &b);
  struct timeval tv;
  gettimeofday(&tv, 0);
  unsigned char r[8];
  long n = getrandom(r, sizeof r, 0);
  struct utsname u;
  uname(&u);
  printf("realtime %lld.%09ld monotonic %lld.%09ld tv %lld.%06ld\n", (long long)a.tv_sec, a.tv_nsec, (long long)b.tv_sec, b.tv_nsec,
         (long long)tv.tv_sec, (long)tv.tv_usec);
  printf("getrandom %ld:", n);
  for (int i = 0; i < 8; i++) printf(" %02x", r[i]);
  printf("\npid %d ppid %d uid %d gid %d\n", getpid(), getppid(), getuid(), getgid());
  printf("uname %s %s %s\n", u.sysname, u.release, u.machine);
  printf("isatty(1) %d\n", isatty(1));
  return 0;
}
