/* null-write: main -> bt_root -> bt_mid -> bt_leaf; bt_leaf stores 4 bytes to address 0. */
#include "sys.h"

NOINLINE void bt_leaf(int value)
{
    volatile int *p = (volatile int *)0;
    *p = value;
}

NOINLINE void bt_mid(int value)
{
    bt_leaf(value + 1);
}

NOINLINE void bt_root(int value)
{
    bt_mid(value + 1);
}

int main(int argc, char **argv)
{
    (void)argv;
    bt_root(argc);
    return 0;
}
