/* loop: main -> loop_outer -> spin, which never returns (volatile counter). */
#include "sys.h"

static volatile unsigned long counter;

NOINLINE void spin(void)
{
    for (;;)
        counter = counter + 1;
}

NOINLINE void loop_outer(void)
{
    spin();
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    loop_outer();
    return 0;
}
