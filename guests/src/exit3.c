/* exit3: prints a line to stdout and one to stderr, then returns 3 from main. */
#include "sys.h"

NOINLINE void say_goodbye(void)
{
    put_str(1, "exiting with 3\n");
    put_str(2, "exit3: this line goes to stderr\n");
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    say_goodbye();
    return 3;
}
