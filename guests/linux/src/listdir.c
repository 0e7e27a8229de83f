/* Lists a directory (opendir/readdir: getdents64) and stats each entry. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : "/";
  DIR *d = opendir(dir);
  if (!d) { printf("%s: opendir failed: %s\n", dir, strerror(errno)); return 1; }
  struct dirent *e;
  while ((e = readdir(d))) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    struct stat st;
    if (lstat(path, &st) != 0) { printf("%s: lstat failed: %s\n", e->d_name, strerror(errno)); continue; }
    printf("%s %s %lld\n", e->d_type == DT_DIR ? "dir " : e->d_type == DT_LNK ? "link" : e->d_type == DT_REG ? "file" : "other",
           e->d_name, S_ISDIR(st.st_mode) ? 0LL : (long long)st.st_size);
  }
  closedir(d);
  return 0;
}
