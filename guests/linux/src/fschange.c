/* Change a --fs tree in every way --fs-out must record: append to and chmod a lower file,
   delete a lower file, replace a lower directory by a new one, rename a lower directory,
   make new directories, files, a hard link, a symbolic link and a FIFO, write in /tmp.
   Expects the tree of guests/linux/fs-change/ (data.txt, old.txt, sub/note.txt,
   olddir/x.txt). With the argument "crash" it then writes through a null pointer. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int failures;

static void check(const char *what, int r) {
  if (r < 0) {
    printf("%s: failed\n", what);
    failures++;
  }
}

static void put(const char *path, const char *text, int flags) {
  int fd = open(path, O_WRONLY | O_CREAT | flags, 0644);
  check(path, fd);
  check(path, (int)write(fd, text, strlen(text)));
  close(fd);
}

int main(int argc, char **argv) {
  put("/data.txt", "appended\n", O_APPEND);
  check("chmod /data.txt", chmod("/data.txt", 0600));
  check("unlink /old.txt", unlink("/old.txt"));
  check("unlink /sub/note.txt", unlink("/sub/note.txt"));
  check("rmdir /sub", rmdir("/sub"));
  check("mkdir /sub", mkdir("/sub", 0755));
  put("/sub/fresh", "fresh\n", 0);
  check("rename /olddir /moved", rename("/olddir", "/moved"));
  check("mkdir /new", mkdir("/new", 0755));
  check("mkdir /new/dir", mkdir("/new/dir", 0700));
  put("/new/dir/file", "file\n", 0);
  check("link", link("/new/dir/file", "/new/hard"));
  check("symlink", symlink("../data.txt", "/new/link"));
  check("mkfifo", mknod("/new/fifo", S_IFIFO | 0600, 0));
  put("/tmp/t", "tmp\n", 0);
  put("/gone", "made and removed\n", 0);
  check("unlink /gone", unlink("/gone"));
  printf("changes made, %d failed\n", failures);
  fflush(stdout);
  if (argc > 1 && strcmp(argv[1], "crash") == 0) *(volatile int *)0 = 1;
  return failures != 0;
}
