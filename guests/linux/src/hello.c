/* Hello world with argv and the environment: prints each argument and GREETING. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  printf("hello, world\n");
  for (int i = 0; i < argc; i++) printf("argv[%d] = %s\n", i, argv[i]);
  const char *g = getenv("GREETING");
  printf("GREETING = %s\n", g ? g : "(unset)");
  fprintf(stderr, "to stderr\n");
  printf("back on stdout\n");
  return 0;
}
