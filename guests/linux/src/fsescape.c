/* Try to leave the guest's file system: ".." above the root, symbolic links the guest makes
   pointing outside (absolute and climbing), renames and hard links across, a link in /tmp
   to the host's /etc/passwd, over-long names, a very deep directory tree, and writes to
   every file it can name. Prints what each attempt gave; under crashlab nothing of the
   host is readable or changed. argv[1] names a host file the guest must not see. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *err(void) {
  switch (errno) {
  case ENOENT: return "ENOENT";
  case EACCES: return "EACCES";
  case ENOTDIR: return "ENOTDIR";
  case ELOOP: return "ELOOP";
  case ENAMETOOLONG: return "ENAMETOOLONG";
  case EXDEV: return "EXDEV";
  case EBUSY: return "EBUSY";
  case EPERM: return "EPERM";
  case ENOSPC: return "ENOSPC";
  case EEXIST: return "EEXIST";
  case EINVAL: return "EINVAL";
  case EROFS: return "EROFS";
  case ERANGE: return "ERANGE";
  default: return "other";
  }
}

/* What opening path for reading gives: the first bytes, or the errno. */
static void try_read(const char *label, const char *path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) { printf("%s: %s\n", label, err()); return; }
  char buf[32] = {0};
  ssize_t n = read(fd, buf, sizeof buf - 1);
  for (ssize_t i = 0; i < n; i++) if (buf[i] == '\n') buf[i] = '|';
  printf("%s: read \"%s\"\n", label, n > 0 ? buf : "");
  close(fd);
}

int main(int argc, char **argv) {
  const char *secret = argc > 1 ? argv[1] : "/etc/hostname";
  char path[8192];
  try_read("the host file by its own path", secret);
  snprintf(path, sizeof path, "/../../../../..%s", secret);
  try_read("the host file through .. above the root", path);
  printf("symlink /tmp/abs -> the host file: %s\n", symlink(secret, "/tmp/abs") < 0 ? err() : "ok");
  try_read("through /tmp/abs", "/tmp/abs");
  printf("symlink /tmp/up -> ../../../..: %s\n", symlink("../../../..", "/tmp/up") < 0 ? err() : "ok");
  snprintf(path, sizeof path, "/tmp/up%s", secret);
  try_read("through /tmp/up", path);
  printf("symlink /tmp/passwd -> /etc/passwd: %s\n", symlink("/etc/passwd", "/tmp/passwd") < 0 ? err() : "ok");
  try_read("through /tmp/passwd", "/tmp/passwd");
  int fd = open("/tmp/abs", O_CREAT | O_WRONLY, 0600);
  printf("create through /tmp/abs (a dangling link): %s\n", fd < 0 ? err() : "made a file inside the guest");
  if (fd >= 0) { write(fd, "guest", 5); close(fd); }
  try_read("the host file's path now", secret);
  printf("chdir /..: %s\n", chdir("/..") < 0 ? err() : "ok");
  char cwd[256];
  printf("getcwd after chdir /..: %s\n", getcwd(cwd, sizeof cwd) ? cwd : err());
  printf("rename /proc/self into /tmp: %s\n", rename("/proc/self", "/tmp/self") < 0 ? err() : "ok");
  printf("link /proc/self/status into /tmp: %s\n", link("/proc/self/status", "/tmp/status") < 0 ? err() : "ok");
  printf("rmdir /dev: %s\n", rmdir("/dev") < 0 ? err() : "ok");
  printf("create /proc/x: %s\n", open("/proc/x", O_CREAT | O_WRONLY, 0600) < 0 ? err() : "ok");
  printf("mknod a character device: %s\n", mknod("/tmp/null2", S_IFCHR | 0666, 0x103) < 0 ? err() : "ok");
  printf("chroot /tmp: %s\n", chroot("/tmp") < 0 ? err() : "ok");
  printf("chown to root: %s\n", chown("/tmp/passwd", 0, 0) < 0 ? err() : "ok");
  memset(path, 'n', 300);
  path[0] = '/';
  path[300] = 0;
  printf("open a 299-byte name: %s\n", open(path, O_CREAT | O_WRONLY, 0600) < 0 ? err() : "ok");
  for (int i = 0; i < 5000; i++) path[i] = i % 2 ? 'a' : '/';
  path[5000] = 0;
  printf("open a 5000-byte path: %s\n", open(path, O_RDONLY) < 0 ? err() : "ok");
  printf("a link loop: %s\n", symlink("loop", "/tmp/loop") < 0 || open("/tmp/loop", O_RDONLY) >= 0 ? "opened?" : err());
  chdir("/tmp");
  int depth = 0;
  while (depth < 3000 && mkdir("d", 0700) == 0 && chdir("d") == 0) depth++;
  printf("directories nested: %d\n", depth);
  printf("getcwd that deep: %s\n", getcwd(cwd, sizeof cwd) ? "ok" : err());
  fd = open("leaf", O_CREAT | O_WRONLY, 0600);
  printf("a file at the bottom: %s\n", fd < 0 ? err() : "ok");
  chdir("/");
  return 0;
}
