/* /dev and /proc as programs use them: the null, zero, full and random devices, /dev/tty
   without a terminal, readlink of /proc/self/exe, /proc/self/maps (the stack and the
   program are there; pthread_getattr_np reads it), status, cmdline, fd and auxv.
   Prints facts, not values that differ between machines. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

static const char *err(void) {
  switch (errno) {
  case ENXIO: return "ENXIO";
  case ENOSPC: return "ENOSPC";
  case ENOENT: return "ENOENT";
  case EACCES: return "EACCES";
  default: return "other";
  }
}

/* The whole of a small file (a /proc file reports size 0: read until the end). */
static char *slurp(const char *path, size_t *len) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return NULL;
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap + 1);
  ssize_t r;
  while ((r = read(fd, buf + n, cap - n)) > 0) {
    n += (size_t)r;
    if (n == cap) buf = realloc(buf, (cap *= 2) + 1);
  }
  close(fd);
  buf[n] = 0;
  if (len) *len = n;
  return buf;
}

int main(int argc, char **argv) {
  (void)argc;
  char buf[64];
  int fd = open("/dev/null", O_RDWR);
  printf("/dev/null: write %zd, read %zd\n", write(fd, "gone", 4), read(fd, buf, sizeof buf));
  close(fd);
  fd = open("/dev/zero", O_RDONLY);
  memset(buf, 0x55, sizeof buf);
  ssize_t n = read(fd, buf, 16);
  int zeros = 1;
  for (int i = 0; i < 16; i++) zeros &= buf[i] == 0;
  printf("/dev/zero: read %zd, all zero %d\n", n, zeros);
  close(fd);
  fd = open("/dev/full", O_WRONLY);
  errno = 0;
  n = write(fd, "x", 1);
  printf("/dev/full: write %zd %s\n", n, n < 0 ? err() : "");
  close(fd);
  fd = open("/dev/urandom", O_RDONLY);
  printf("/dev/urandom: read %zd\n", read(fd, buf, 32));
  close(fd);
  fd = open("/dev/random", O_RDONLY);
  printf("/dev/random: read %zd\n", read(fd, buf, 8));
  close(fd);
  errno = 0;
  fd = open("/dev/tty", O_RDWR);
  printf("/dev/tty without a terminal: %s\n", fd < 0 ? err() : "opened");

  char exe[4096] = {0};
  ssize_t el = readlink("/proc/self/exe", exe, sizeof exe - 1);
  const char *base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
  const char *ebase = strrchr(exe, '/') ? strrchr(exe, '/') + 1 : exe;
  printf("readlink /proc/self/exe: absolute %d, names the program %d\n", el > 0 && exe[0] == '/', strcmp(base, ebase) == 0);
  fd = open("/proc/self/exe", O_RDONLY);
  memset(buf, 0, 4);
  read(fd, buf, 4);
  printf("/proc/self/exe starts with the ELF magic: %d\n", memcmp(buf, "\177ELF", 4) == 0);
  close(fd);

  char *maps = slurp("/proc/self/maps", NULL);
  int stack = 0, prog = 0, text = 0, lines = 0;
  unsigned long here = (unsigned long)&stack;
  for (char *line = strtok(maps, "\n"); line; line = strtok(NULL, "\n")) {
    unsigned long lo, hi;
    char perms[5];
    lines++;
    if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) != 3) continue;
    if (strstr(line, "[stack]") && lo <= here && here < hi) stack = 1;
    if (strstr(line, exe)) {
      prog = 1;
      if (perms[2] == 'x' && lo <= (unsigned long)&main && (unsigned long)&main < hi) text = 1;
    }
  }
  printf("/proc/self/maps: lists the stack (holding a local) %d, the program %d, main in an executable line of it %d\n", stack, prog, text);
  free(maps);

  pthread_attr_t attr;
  void *addr;
  size_t size;
  int r = pthread_getattr_np(pthread_self(), &attr);
  pthread_attr_getstack(&attr, &addr, &size);
  printf("pthread_getattr_np: %d, the main stack holds a local %d\n", r, (char *)addr <= (char *)&attr && (char *)&attr < (char *)addr + size);

  char *status = slurp("/proc/self/status", NULL);
  char want[64];
  snprintf(want, sizeof want, "\nPid:\t%d\n", getpid());
  char name[32];
  snprintf(name, sizeof name, "Name:\t%.15s\n", base);
  printf("/proc/self/status: Pid %d, Name %d, has VmSize %d\n", strstr(status, want) != NULL, strncmp(status, name, strlen(name)) == 0, strstr(status, "\nVmSize:") != NULL);
  free(status);

  size_t clen;
  char *cmd = slurp("/proc/self/cmdline", &clen);
  printf("/proc/self/cmdline: argv[0] first %d, the length of argv %d\n", strcmp(cmd, argv[0]) == 0, clen == strlen(argv[0]) + 1 + (argv[1] ? strlen(argv[1]) + 1 : 0));
  free(cmd);

  int mine = open("/proc/self/status", O_RDONLY);
  char link[64], target[4096] = {0};
  snprintf(link, sizeof link, "/proc/self/fd/%d", mine);
  readlink(link, target, sizeof target - 1);
  printf("/proc/self/fd/N names the open file: %d\n", strcmp(target + strlen(target) - 7, "/status") == 0);
  DIR *d = opendir("/proc/self/fd");
  int has0 = 0, has1 = 0, has2 = 0, hasmine = 0;
  struct dirent *e;
  while (d && (e = readdir(d))) {
    int v = atoi(e->d_name);
    if (e->d_name[0] == '.') continue;
    has0 |= v == 0;
    has1 |= v == 1;
    has2 |= v == 2;
    hasmine |= v == mine;
  }
  printf("/proc/self/fd lists 0 %d, 1 %d, 2 %d, the new descriptor %d\n", has0, has1, has2, hasmine);
  if (d) closedir(d);

  size_t alen;
  unsigned long *av = (unsigned long *)slurp("/proc/self/auxv", &alen);
  unsigned long pagesz = 0, entry = 0;
  for (size_t i = 0; i + 1 < alen / sizeof *av; i += 2) {
    if (av[i] == AT_PAGESZ) pagesz = av[i + 1];
    if (av[i] == AT_ENTRY) entry = av[i + 1];
  }
  printf("/proc/self/auxv: AT_PAGESZ 4096 %d, AT_ENTRY as getauxval %d, ends with AT_NULL %d\n", pagesz == 4096, entry == getauxval(AT_ENTRY), alen >= 16 && av[alen / sizeof *av - 2] == 0);
  free(av);

  char *cpu = slurp("/proc/cpuinfo", NULL);
  printf("/proc/cpuinfo has a processor line %d\n", cpu && strncmp(cpu, "processor", 9) == 0);
  free(cpu);
  char *mem = slurp("/proc/meminfo", NULL);
  unsigned long total = 0;
  sscanf(mem ? mem : "", "MemTotal: %lu kB", &total);
  printf("/proc/meminfo MemTotal > 0: %d\n", total > 0);
  free(mem);
  printf("sysconf(_SC_NPROCESSORS_ONLN) >= 1: %d\n", sysconf(_SC_NPROCESSORS_ONLN) >= 1);
  return 0;
}
