/* Scratch files and directories, as a test suite makes them: create, write, read back,
   rename, link, unlink, mkdir and rmdir in a scratch directory (argv[1], default /tmp),
   printing each result (errno names for failures). Only relative names are printed, so
   the output is the same wherever the scratch directory is. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/time.h>
#include <unistd.h>

static const char *err(void) {
  switch (errno) {
  case ENOENT: return "ENOENT";
  case EEXIST: return "EEXIST";
  case ENOTDIR: return "ENOTDIR";
  case EISDIR: return "EISDIR";
  case ENOTEMPTY: return "ENOTEMPTY";
  case EINVAL: return "EINVAL";
  case EACCES: return "EACCES";
  case EPERM: return "EPERM";
  case EBADF: return "EBADF";
  case ELOOP: return "ELOOP";
  case EBUSY: return "EBUSY";
  case ENAMETOOLONG: return "ENAMETOOLONG";
  case ENOSPC: return "ENOSPC";
  case EXDEV: return "EXDEV";
  default: return "other";
  }
}

#define SAY(what, r) printf("%s: %s\n", what, (r) < 0 ? err() : "ok")

static void show_file(const char *path) {
  char buf[64];
  int fd = open(path, O_RDONLY);
  if (fd < 0) { printf("read %s: %s\n", path, err()); return; }
  ssize_t n = read(fd, buf, sizeof buf);
  printf("read %s: %zd bytes:", path, n);
  for (ssize_t i = 0; i < n; i++) printf(buf[i] >= 32 && buf[i] < 127 ? "%c" : "\\%o", buf[i]);
  printf("\n");
  close(fd);
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void list(const char *path) {
  DIR *d = opendir(path);
  if (!d) { printf("list %s: %s\n", path, err()); return; }
  char *names[64];
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) && n < 64) names[n++] = strdup(e->d_name);
  closedir(d);
  qsort(names, n, sizeof *names, by_name);
  printf("list %s:", path);
  for (int i = 0; i < n; i++) { printf(" %s", names[i]); free(names[i]); }
  printf("\n");
}

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : "/tmp";
  umask(022);
  SAY("chdir to the scratch directory", chdir(dir));
  char cwd[4096];
  SAY("getcwd", getcwd(cwd, sizeof cwd) ? 0 : -1);

  SAY("mkdir d", mkdir("d", 0777));
  SAY("mkdir d again", mkdir("d", 0777));
  struct stat st;
  stat("d", &st);
  printf("d is a directory with mode %o\n", (unsigned)(st.st_mode & 07777));

  int fd = open("d/f", O_CREAT | O_EXCL | O_WRONLY, 0666);
  SAY("create d/f", fd);
  SAY("create d/f again with O_EXCL", open("d/f", O_CREAT | O_EXCL | O_WRONLY, 0666));
  printf("write: %zd\n", write(fd, "hello\n", 6));
  printf("pwrite at 10: %zd\n", pwrite(fd, "X", 1, 10));
  fstat(fd, &st);
  printf("size %lld, mode %o, links %ld\n", (long long)st.st_size, (unsigned)(st.st_mode & 07777), (long)st.st_nlink);
  SAY("fsync", fsync(fd));
  close(fd);
  show_file("d/f");

  fd = open("d/f", O_WRONLY | O_APPEND);
  printf("append: %zd\n", write(fd, "++", 2));
  printf("lseek after append: %lld\n", (long long)lseek(fd, 0, SEEK_CUR));
  close(fd);
  SAY("truncate to 3", truncate("d/f", 3));
  show_file("d/f");
  fd = open("d/f", O_RDWR | O_TRUNC);
  fstat(fd, &st);
  printf("O_TRUNC leaves %lld bytes\n", (long long)st.st_size);
  write(fd, "abc", 3);
  SAY("ftruncate to 5", ftruncate(fd, 5));
  close(fd);
  show_file("d/f");

  SAY("rename d/f d/g", rename("d/f", "d/g"));
  SAY("stat d/f", stat("d/f", &st));
  SAY("link d/g d/h", link("d/g", "d/h"));
  stat("d/h", &st);
  printf("d/h links %ld\n", (long)st.st_nlink);
  SAY("symlink g d/s", symlink("g", "d/s"));
  char target[64] = {0};
  printf("readlink d/s: %zd %s\n", readlink("d/s", target, sizeof target - 1), target);
  lstat("d/s", &st);
  printf("lstat d/s is a link: %d\n", S_ISLNK(st.st_mode));
  SAY("open d/s/x (a file below a link to a file)", open("d/s/x", O_RDONLY));
  SAY("open d/s with O_NOFOLLOW", open("d/s", O_RDONLY | O_NOFOLLOW));
  list("d");

  fd = open("d/g", O_RDONLY);
  SAY("unlink d/g while open", unlink("d/g"));
  char buf[8] = {0};
  printf("read after unlink: %zd\n", read(fd, buf, sizeof buf - 1));
  close(fd);
  stat("d/h", &st);
  printf("d/h links %ld\n", (long)st.st_nlink);

  SAY("rmdir d (not empty)", rmdir("d"));
  SAY("unlink d (a directory)", unlink("d"));
  SAY("rmdir d/h (a file)", rmdir("d/h"));
  SAY("mkdir d/e", mkdir("d/e", 0700));
  SAY("mkdir d/e/deeper", mkdir("d/e/deeper", 0700));
  SAY("rename d/h over d/e (a directory)", rename("d/h", "d/e"));
  SAY("rename d/e into itself", rename("d/e", "d/e/deeper/x"));
  SAY("rename d/e onto d/h (a file)", rename("d/e", "d/h"));
  SAY("rmdir d/e/deeper", rmdir("d/e/deeper"));
  SAY("rename d/e d/e2", rename("d/e", "d/e2"));
  list("d");
  SAY("chmod d/h 600", chmod("d/h", 0600));
  stat("d/h", &st);
  printf("d/h mode %o\n", (unsigned)(st.st_mode & 07777));
  struct timespec times[2] = {{1000000000, 5}, {1234567890, 123456789}};
  SAY("utimensat d/h", utimensat(AT_FDCWD, "d/h", times, 0));
  stat("d/h", &st);
  printf("d/h mtime %lld.%09ld atime %lld.%09ld\n", (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec, (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec);
  SAY("access d/h W_OK", access("d/h", W_OK));
  SAY("access d/h X_OK", access("d/h", X_OK));
  SAY("open missing/x", open("missing/x", O_RDONLY));
  SAY("create d/h/x (below a file)", open("d/h/x", O_CREAT | O_WRONLY, 0600));
  SAY("create d/new/ (trailing slash)", open("d/new/", O_CREAT | O_WRONLY, 0600));
  char longname[300];
  memset(longname, 'n', 299);
  longname[299] = 0;
  SAY("create a 299-byte name", open(longname, O_CREAT | O_WRONLY, 0600));
  SAY("chdir d", chdir("d"));
  SAY("create ../d/rel through ..", close(open("../d/rel", O_CREAT | O_WRONLY, 0600)));
  SAY("chdir ..", chdir(".."));
  list("d");
  fd = open("d", O_RDONLY | O_DIRECTORY);
  SAY("openat(dirfd, h)", close(openat(fd, "h", O_RDONLY)));
  SAY("mkdirat(dirfd, sub)", mkdirat(fd, "sub", 0755));
  SAY("renameat(dirfd, sub, dirfd, sub2)", renameat(fd, "sub", fd, "sub2"));
  SAY("unlinkat(dirfd, sub2, AT_REMOVEDIR)", unlinkat(fd, "sub2", AT_REMOVEDIR));
  SAY("fchdir", fchdir(fd));
  SAY("stat h after fchdir", stat("h", &st));
  SAY("chdir back", chdir(".."));
  close(fd);
  struct statfs sf;
  SAY("statfs", statfs("d", &sf));
  printf("statfs block size 4096: %d, name length 255: %d\n", sf.f_bsize == 4096, sf.f_namelen == 255);
  fd = open(".", O_TMPFILE | O_RDWR, 0600);
  SAY("O_TMPFILE", fd);
  if (fd >= 0) { printf("tmpfile write: %zd\n", write(fd, "tmp", 3)); close(fd); }
  SAY("unlink d/h", unlink("d/h"));
  SAY("unlink d/rel", unlink("d/rel"));
  SAY("unlink d/s", unlink("d/s"));
  SAY("rmdir d/e2", rmdir("d/e2"));
  SAY("rmdir d", rmdir("d"));
  SAY("rmdir d again", rmdir("d"));
  list(".");
  return 0;
}
