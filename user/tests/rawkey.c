/*
 * /tests/rawkey: reads single keys from a terminal in raw mode (ICANON and ECHO off,
 * VMIN 1, VTIME 0) and prints each one's code as it comes, without waiting for Enter,
 * until `q`; then puts the terminal's settings back. The job control session
 * (scripts/testing/stages/jobs.py) types at it.
 */
#include <stdio.h>
#include <termios.h>
#include <unistd.h>

int main(void)
{
    struct termios saved, raw;
    if (tcgetattr(0, &saved) != 0) {
        perror("rawkey: tcgetattr");
        return 1;
    }
    raw = saved;
    raw.c_lflag &= ~(ICANON | ECHO);
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    if (tcsetattr(0, TCSAFLUSH, &raw) != 0) {
        perror("rawkey: tcsetattr");
        return 1;
    }
    printf("rawkey: ready\n");
    fflush(stdout);
    unsigned char c;
    int count = 0;
    while (read(0, &c, 1) == 1) {
        printf("key %d\n", c);
        fflush(stdout);
        count++;
        if (c == 'q')
            break;
    }
    tcsetattr(0, TCSANOW, &saved);
    printf("rawkey: %d keys\n", count);
    return 0;
}
