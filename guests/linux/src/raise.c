/* raise(SIGSEGV) from a nested call: the run ends as that signal. */
#include <signal.h>
#include <stdio.h>

__attribute__((noinline)) void signal_it(int sig) { raise(sig); printf("unreached\n"); }

int main(void) {
  printf("raising SIGSEGV\n");
  fflush(stdout);
  signal_it(SIGSEGV);
  return 0;
}
