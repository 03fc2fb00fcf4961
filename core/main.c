/* core/main.c - samsad entry point (filled in by the foundation work). */
#include <stdio.h>

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "samsad: not yet wired\n");
    return 1;
}
