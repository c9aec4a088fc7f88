/*
 * /bin/sh: a small shell.
 *
 *   sh            read commands from stdin, prompting with "# " on a terminal
 *   sh FILE       read commands from FILE
 *   sh -c WORDS   run one command line: WORDS joined by spaces (so that it survives
 *                 a kernel command line, which splits at spaces)
 *
 * A line is split into words at blanks; '...' quotes literally, "..." quotes with $
 * expansion and backslash escapes, a backslash outside quotes escapes one character, and
 * an unquoted # starts a comment. $? is the status of the last command, $NAME an
 * environment variable. The first word names a builtin (builtins.c) or a program, found
 * through $PATH unless it holds a '/', run with fork + execve + waitpid. End of input
 * (Ctrl-D) leaves the shell with the last status.
 */
#include "common.h"
#include "sh.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define DEFAULT_PATH "/bin:/sbin:/tests"

int last_status;

/* A growing string. */
struct text {
    char* s;
    size_t len, cap;
};

static void text_add(struct text* t, char c)
{
    if (t->len + 2 > t->cap) {
        t->cap = t->cap ? 2 * t->cap : 64;
        t->s = realloc(t->s, t->cap);
        if (!t->s) {
            fprintf(stderr, "sh: out of memory\n");
            exit(1);
        }
    }
    t->s[t->len++] = c;
    t->s[t->len] = 0;
}

/* The string, allocated even when empty; the caller owns it. */
static char* text_take(struct text* t)
{
    if (!t->s)
        text_add(t, 0), t->len = 0;
    return t->s;
}

static void text_add_string(struct text* t, const char* s)
{
    while (*s)
        text_add(t, *s++);
}

/* One line from fd without its newline, or NULL at end of input. Reads byte by byte so
 * that whatever follows the line stays unread for the commands the shell starts. */
static char* read_line(int fd)
{
    struct text line = { 0 };
    for (;;) {
        char c;
        ssize_t n = read(fd, &c, 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return line.s ? line.s : NULL;
        if (c == '\n')
            return text_take(&line);
        text_add(&line, c);
    }
}

/* Expands the $ at *p (p points past the '$'); advances *p past what it consumed. */
static void expand_dollar(struct text* word, const char** p)
{
    const char* s = *p;
    if (*s == '?') {
        char num[16];
        snprintf(num, sizeof num, "%d", last_status);
        text_add_string(word, num);
        *p = s + 1;
        return;
    }
    size_t n = 0;
    while (s[n] == '_' || (s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') ||
           (n > 0 && s[n] >= '0' && s[n] <= '9'))
        n++;
    if (n == 0) {
        text_add(word, '$');
        return;
    }
    char name[128];
    snprintf(name, sizeof name, "%.*s", (int)n, s);
    const char* value = getenv(name);
    if (value)
        text_add_string(word, value);
    *p = s + n;
}

/*
 * Splits line into words: a NULL-terminated array of strings that the caller frees with
 * free_words(), and their count. Returns NULL with count 0 for a line without words, and
 * NULL with count -1 (after saying why) on a syntax error.
 */
static char** split_words(const char* line, int* count)
{
    *count = -1;
    char** words = NULL;
    int n = 0;
    const char* p = line;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p || *p == '#')
            break;
        struct text word = { 0 };
        int quoted = 0;
        while (*p && *p != ' ' && *p != '\t') {
            char c = *p++;
            if (c == '\'') {
                quoted = 1;
                while (*p && *p != '\'')
                    text_add(&word, *p++);
                if (!*p++)
                    goto unterminated;
            } else if (c == '"') {
                quoted = 1;
                while (*p && *p != '"') {
                    c = *p++;
                    if (c == '\\' && (*p == '"' || *p == '\\' || *p == '$'))
                        text_add(&word, *p++);
                    else if (c == '$')
                        expand_dollar(&word, &p);
                    else
                        text_add(&word, c);
                }
                if (!*p++)
                    goto unterminated;
            } else if (c == '\\' && *p) {
                text_add(&word, *p++);
            } else if (c == '$') {
                expand_dollar(&word, &p);
            } else {
                text_add(&word, c);
            }
        }
        /* An unquoted expansion to nothing is no word; "" is an empty one. */
        if (!word.s && !quoted)
            continue;
        words = realloc(words, (n + 2) * sizeof(char*));
        words[n++] = text_take(&word);
        continue;
    unterminated:
        fprintf(stderr, "sh: unterminated quote\n");
        free(word.s);
        for (int i = 0; i < n; i++)
            free(words[i]);
        free(words);
        return NULL;
    }
    if (words)
        words[n] = NULL;
    *count = n;
    return words;
}

static void free_words(char** words)
{
    for (char** w = words; w && *w; w++)
        free(*w);
    free(words);
}

/* The file to execute for name, in buf; NULL if there is none. */
static const char* find_program(const char* name, char* buf, size_t size)
{
    if (strchr(name, '/'))
        return name;
    const char* path = getenv("PATH");
    if (!path || !*path)
        path = DEFAULT_PATH;
    while (*path) {
        size_t n = strcspn(path, ":");
        snprintf(buf, size, "%.*s/%s", (int)n, n ? path : ".", name);
        struct stat st;
        if (stat(buf, &st) == 0 && S_ISREG(st.st_mode) && access(buf, X_OK) == 0)
            return buf;
        path += n;
        if (*path == ':')
            path++;
    }
    return NULL;
}

/* What a shell says when a command died of a signal: bash's words. */
static void report_signal(int status)
{
    int sig = WTERMSIG(status);
    if (sig == SIGINT || sig == SIGPIPE)
        return;
    const char* what = sig == SIGSEGV ? "Segmentation fault" : sig == SIGKILL ? "Killed"
                                                                              : strsignal(sig);
    fprintf(stderr, "%s%s\n", what, WCOREDUMP(status) ? " (core dumped)" : "");
}

static int run_program(char** argv)
{
    char buf[PATH_MAX];
    const char* file = find_program(argv[0], buf, sizeof buf);
    if (!file) {
        fprintf(stderr, "sh: %s: not found\n", argv[0]);
        return 127;
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "sh: fork: %s\n", strerror(errno));
        return 126;
    }
    if (pid == 0) {
        signal(SIGINT, SIG_DFL);        /* the program gets the keys the shell ignores */
        signal(SIGQUIT, SIG_DFL);
        execve(file, argv, environ);
        int e = errno;
        fprintf(stderr, "sh: %s: %s\n", argv[0], e == ENOENT ? "not found" : strerror(e));
        _exit(e == ENOENT ? 127 : 126);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            fprintf(stderr, "sh: waitpid: %s\n", strerror(errno));
            return 126;
        }
    }
    if (WIFSIGNALED(status)) {
        report_signal(status);
        return 128 + WTERMSIG(status);
    }
    return WEXITSTATUS(status);
}

static void run_line(const char* line)
{
    int argc;
    char** argv = split_words(line, &argc);
    if (!argv) {
        if (argc < 0)
            last_status = 2;    /* syntax error */
        return;
    }
    int status;
    if (!run_builtin(argc, argv, &status))
        status = run_program(argv);
    last_status = status;
    free_words(argv);
}

static int run_string(int argc, char** argv)
{
    struct text line = { 0 };
    for (int i = 0; i < argc; i++) {
        if (i)
            text_add(&line, ' ');
        text_add_string(&line, argv[i]);
    }
    if (line.s)
        run_line(line.s);
    free(line.s);
    return last_status;
}

int main(int argc, char** argv)
{
    ensure_std_fds();
    if (!getenv("PATH"))
        setenv("PATH", DEFAULT_PATH, 1);

    if (argc > 1 && strcmp(argv[1], "-c") == 0)
        return run_string(argc - 2, argv + 2);

    int input = 0;
    if (argc > 1 && (input = open(argv[1], O_RDONLY | O_CLOEXEC)) < 0) {
        fprintf(stderr, "sh: %s: %s\n", argv[1], strerror(errno));
        return 127;
    }
    int interactive = isatty(input);
    if (interactive) {
        /* As any interactive shell: ^C and ^\ on the terminal end the command, not the shell. */
        signal(SIGINT, SIG_IGN);
        signal(SIGQUIT, SIG_IGN);
    }
    for (;;) {
        if (interactive) {
            fputs("# ", stdout);
            fflush(stdout);
        }
        char* line = read_line(input);
        if (!line)
            break;
        run_line(line);
        free(line);
    }
    if (interactive)
        printf("exit\n");
    return last_status;
}
