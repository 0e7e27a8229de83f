/* exec-data: main -> jump_into_data calls a function pointer that points at an
 * array in writable .data. The data segment is mapped without execute
 * permission, so the fetch faults there (SIGSEGV), as on real hardware with NX. */
#include "sys.h"

/* Bytes that would be valid code on no arch in particular: the fetch must fault
 * before any of them is decoded. */
static unsigned char not_code[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

NOINLINE int jump_into_data(void)
{
    int (*fn)(void) = (int (*)(void))(void *)not_code;
    return fn() + 1;
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return jump_into_data();
}
