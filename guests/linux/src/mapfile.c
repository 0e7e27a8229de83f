/* mmap of files: a MAP_SHARED mapping and read()/write() on the same file see each other,
   msync and munmap keep the mapping's stores, MAP_PRIVATE stores stay private, mappings
   at an offset, and the errors Linux gives. Scratch directory in argv[1] (default /tmp). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *err(void) {
  switch (errno) {
  case EACCES: return "EACCES";
  case EINVAL: return "EINVAL";
  case EBADF: return "EBADF";
  case ENODEV: return "ENODEV";
  case ENOMEM: return "ENOMEM";
  default: return "other";
  }
}

static void show(const char *what, const char *p, int n) {
  printf("%s: ", what);
  for (int i = 0; i < n; i++) putchar(p[i] >= 32 && p[i] < 127 ? p[i] : '.');
  putchar('\n');
}

static void pread_show(int fd, const char *what, off_t at, int n) {
  char buf[64] = {0};
  ssize_t r = pread(fd, buf, n, at);
  show(what, buf, r < 0 ? 0 : (int)r);
}

int main(int argc, char **argv) {
  if (chdir(argc > 1 ? argv[1] : "/tmp") < 0) return 1;
  long page = sysconf(_SC_PAGESIZE);
  int fd = open("m", O_CREAT | O_RDWR | O_TRUNC, 0600);
  char page0[4096], page1[4096];
  memset(page0, 'a', sizeof page0);
  memset(page1, 'b', sizeof page1);
  write(fd, page0, sizeof page0);
  write(fd, page1, sizeof page1);

  char *s = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  printf("shared mapping: %s\n", s == MAP_FAILED ? err() : "ok");
  show("mapping starts", s, 4);
  memcpy(s + 1, "SHARED", 6);
  pread_show(fd, "read() sees the store", 0, 8);
  pwrite(fd, "written", 7, 4096 + 2);
  show("the mapping sees write()", s + 4096, 10);
  printf("msync: %s\n", msync(s, 2 * page, MS_SYNC) < 0 ? err() : "ok");
  memcpy(s + 4096 + 20, "before munmap", 13);
  printf("munmap: %s\n", munmap(s, 2 * page) < 0 ? err() : "ok");
  pread_show(fd, "after munmap", 4096 + 20, 13);

  char *o = mmap(NULL, page, PROT_READ, MAP_SHARED, fd, page);
  show("mapped at offset 4096", o, 12);
  char *p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  memcpy(p, "PRIVATE", 7);
  show("private mapping", p, 10);
  pread_show(fd, "the file keeps", 0, 10);
  pwrite(fd, "zz", 2, 100);
  show("a private page already written keeps its copy", p + 100, 4);
  char *q = mmap(NULL, 2 * page, PROT_READ, MAP_PRIVATE, fd, 0);
  pwrite(fd, "yy", 2, 4096);
  show("an untouched private page shows the file", q + 4096, 4);
  munmap(o, page);
  munmap(p, page);
  munmap(q, 2 * page);

  /* The file grows: a mapping past the old end reads zeros until written. */
  ftruncate(fd, 3 * page);
  char *g = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  printf("grown file, third page is zero: %d\n", g[2 * page] == 0 && g[3 * page - 1] == 0);
  g[2 * page + 5] = 'Z';
  munmap(g, 3 * page);
  pread_show(fd, "stored in the grown part", 2 * page + 4, 3);
  struct stat st;
  fstat(fd, &st);
  printf("size %lld\n", (long long)st.st_size);
  close(fd);

  int ro = open("m", O_RDONLY);
  errno = 0;
  printf("MAP_SHARED PROT_WRITE of a read-only descriptor: %s\n", mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0) == MAP_FAILED ? err() : "ok");
  char *r = mmap(NULL, page, PROT_READ, MAP_SHARED, ro, 0);
  printf("mprotect it writable: %s\n", mprotect(r, page, PROT_READ | PROT_WRITE) < 0 ? err() : "ok");
  printf("MAP_PRIVATE PROT_WRITE of a read-only descriptor: %s\n", mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0) == MAP_FAILED ? err() : "ok");
  int wo = open("m", O_WRONLY);
  printf("mmap of a write-only descriptor: %s\n", mmap(NULL, page, PROT_READ, MAP_SHARED, wo, 0) == MAP_FAILED ? err() : "ok");
  printf("mmap at an unaligned offset: %s\n", mmap(NULL, page, PROT_READ, MAP_PRIVATE, ro, 100) == MAP_FAILED ? err() : "ok");
  printf("mmap of a closed descriptor: %s\n", mmap(NULL, page, PROT_READ, MAP_PRIVATE, 99, 0) == MAP_FAILED ? err() : "ok");
  int dfd = open(".", O_RDONLY);
  printf("mmap of a directory: %s\n", mmap(NULL, page, PROT_READ, MAP_PRIVATE, dfd, 0) == MAP_FAILED ? err() : "ok");
  int z = open("/dev/zero", O_RDWR);
  char *zm = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE, z, 0);
  printf("mmap of /dev/zero: %s, zero: %d\n", zm == MAP_FAILED ? err() : "ok", zm != MAP_FAILED && zm[0] == 0 && zm[page - 1] == 0);
  printf("msync of unmapped memory: %s\n", msync((void *)page, page, MS_SYNC) < 0 ? (errno == ENOMEM ? "ENOMEM" : err()) : "ok");
  unlink("m");
  printf("mapping still readable after unlink: %c\n", r[0]);
  return 0;
}
