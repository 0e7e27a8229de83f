/* hello: prints "hello from <arch>", then "argc=N" and argv[1..] one per line. */
#include "sys.h"

NOINLINE void print_args(int argc, char **argv)
{
    int i;
    put_str(1, "argc=");
    put_dec(1, (unsigned long)argc);
    put_str(1, "\n");
    for (i = 1; i < argc; i++) {
        put_str(1, argv[i]);
        put_str(1, "\n");
    }
}

int main(int argc, char **argv)
{
    put_str(1, "hello from " ARCH_NAME "\n");
    if (argc > 1)
        print_args(argc, argv);
    return 0;
}
