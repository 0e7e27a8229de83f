/* compute-o2: the compute benchmark built at -O2 (see EXTRA_compute-o2 in the
 * Makefile), so the hot loop lives in registers instead of -O0 stack slots.
 * More iterations, so it also runs about 1 s under qemu-user. */
#define ITERATIONS 120000000UL
#include "compute.c"
