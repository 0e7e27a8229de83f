/* Locks a mutex it already holds: with one thread the futex wait can never end. */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

__attribute__((noinline)) void take(void) { pthread_mutex_lock(&lock); }

int main(void) {
  take();
  printf("locked once\n");
  fflush(stdout);
  take();
  printf("unreached\n");
  return 0;
}
