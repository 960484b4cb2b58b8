/*
 * run_child.h: run this test program again as "<self> child" in a fresh process with some
 * environment variables set, and check what it printed (stdout and stderr, merged).
 */
#ifndef CLSVM_TEST_RUN_CHILD_H
#define CLSVM_TEST_RUN_CHILD_H

#include "check.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct expect {
    const char *env[4];   /* NAME=VALUE, for the child only */
    const char *has[3];   /* substrings the output must hold */
    const char *lacks[2]; /* and must not */
} expect;

/* A clean slate: the cases set what they test. */
static inline void run_child_clean_env(void)
{
    static const char *const vars[] = {"CLSVM_VA_BITS",
                                       "CLSVM_WINDOW_SIZE",
                                       "CLSVM_WINDOW",
                                       "CLSVM_DEVICE",
                                       "CLSVM_BACKEND",
                                       "CLSVM_LOG",
                                       "CLSVM_NUMA",
                                       "CLSVM_FAULT",
                                       "CLSVM_STATS",
                                       "CLSVM_OCLC20_CLANG",
                                       "CLSVM_OCLC20_KERNEL_LIB",
                                       "CLSVM_OCLC20_CACHE_DIR"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        unsetenv(vars[i]);
}

/* Run this program as a child with the given variables (NAME=VALUE, NULL-terminated); its
 * stdout and stderr, merged, into out. */
static inline void run_child(const char *self, const char *const *env, char *out, size_t cap)
{
    int fd[2];
    CHECK_EQ(pipe(fd), 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        for (const char *const *e = env; *e; e++)
            putenv((char *)*e);
        dup2(fd[1], 1);
        dup2(fd[1], 2);
        close(fd[0]);
        execl(self, self, "child", (char *)NULL);
        _exit(127);
    }
    close(fd[1]);
    size_t n = 0;
    ssize_t k;
    while (n + 1 < cap && (k = read(fd[0], out + n, cap - 1 - n)) > 0)
        n += (size_t)k;
    out[n] = '\0';
    close(fd[0]);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid);
    CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %#x:\n%s", st, out);
}

/* Run the child for one case and check its output. */
static inline void run_child_expect(const char *self, const expect *c)
{
    static char out[16384];
    run_child(self, c->env, out, sizeof out);
    for (int j = 0; j < 3 && c->has[j]; j++)
        CHECK_MSG(strstr(out, c->has[j]), "case %s: no '%s' in:\n%s", c->env[0], c->has[j], out);
    for (int j = 0; j < 2 && c->lacks[j]; j++)
        CHECK_MSG(!strstr(out, c->lacks[j]), "case %s: '%s' should not appear in:\n%s", c->env[0],
                  c->lacks[j], out);
}

#endif
