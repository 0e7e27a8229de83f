/* Read files named on the command line ("-" is stdin) and print them; report each
   failure with its errno name, so the --fs sandbox can be tested from inside. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *errname(int e) {
  switch (e) {
  case ENOENT: return "ENOENT";
  case EACCES: return "EACCES";
  case EROFS: return "EROFS";
  case EISDIR: return "EISDIR";
  case ENOTDIR: return "ENOTDIR";
  case EFAULT: return "EFAULT";
  case EBADF: return "EBADF";
  case ENOSYS: return "ENOSYS";
  case EINVAL: return "EINVAL";
  default: return "other";
  }
}

static int show(const char *path) {
  int fd = path[0] == '-' && !path[1] ? 0 : open(path, O_RDONLY);
  if (fd < 0) { printf("%s: open failed: %s\n", path, errname(errno)); return 1; }
  struct stat st;
  if (fd > 0 && fstat(fd, &st) == 0) printf("%s: %lld bytes\n", path, (long long)st.st_size);
  char buf[256];
  ssize_t n;
  long total = 0;
  while ((n = read(fd, buf, sizeof buf)) > 0) { fwrite(buf, 1, (size_t)n, stdout); total += n; }
  if (n < 0) { printf("%s: read failed: %s\n", path, errname(errno)); return 1; }
  printf("%s: read %ld bytes\n", path, total);
  if (fd > 0) {
    if (lseek(fd, 2, SEEK_SET) == 2 && read(fd, buf, 3) == 3) printf("%s: at offset 2: %.3s\n", path, buf);
    int w = open(path, O_WRONLY);
    printf("%s: open for writing: %s\n", path, w < 0 ? errname(errno) : "succeeded");
    close(fd);
  }
  return 0;
}

int main(int argc, char **argv) {
  int bad = 0;
  for (int i = 1; i < argc; i++) bad |= show(argv[i]);
  return bad;
}
