/* Fill the scratch file system (argv[1], default /tmp) until it is full: a file written in
   64 KiB chunks until ENOSPC, then empty files until ENOSPC; report what it took, free
   it all and show the space came back. Meant for crashlab --fs-limit (never run it on a
   real disk). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

static const char *err(void) { return errno == ENOSPC ? "ENOSPC" : errno == EDQUOT ? "EDQUOT" : "other"; }

static long long free_bytes(void) {
  struct statfs s;
  return statfs(".", &s) < 0 ? -1 : (long long)s.f_bfree * s.f_bsize;
}

int main(int argc, char **argv) {
  if (chdir(argc > 1 ? argv[1] : "/tmp") < 0) return 1;
  printf("free at start: %lld\n", free_bytes());
  static char chunk[65536];
  memset(chunk, 'x', sizeof chunk);
  int fd = open("big", O_CREAT | O_WRONLY | O_TRUNC, 0600);
  long long total = 0;
  ssize_t n;
  while ((n = write(fd, chunk, sizeof chunk)) > 0) total += n;
  printf("wrote %lld bytes, then %s\n", total, err());
  printf("free when full: %lld\n", free_bytes());
  int files = 0;
  char name[32];
  for (;; files++) {
    snprintf(name, sizeof name, "e%d", files);
    int f = open(name, O_CREAT | O_WRONLY, 0600);
    if (f < 0) break;
    close(f);
  }
  printf("empty files made after that: %d, then %s\n", files, err());
  printf("mkdir when full: %s\n", mkdir("dir", 0700) < 0 ? err() : "ok");
  close(fd);
  unlink("big");
  for (int i = 0; i < files; i++) {
    snprintf(name, sizeof name, "e%d", i);
    unlink(name);
  }
  printf("free after removing them: %lld\n", free_bytes());
  fd = open("again", O_CREAT | O_WRONLY, 0600);
  printf("writing again: %zd\n", write(fd, chunk, sizeof chunk));
  close(fd);
  unlink("again");
  return 0;
}
