/* check_child.h: the CLSVM_CHECK tests run their OpenCL part in a child process (the test binary
 * again, argv[1] = the part), because the checks are chosen once per process and some report at
 * exit; the parent, which never touches OpenCL, reads the child's stdout and stderr back and
 * asserts on the reports. */
#ifndef CLSVM_TEST_CHECK_CHILD_H
#define CLSVM_TEST_CHECK_CHILD_H

#include "check.h"
#include "svm/svm_test.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct child_run {
    int status;      /* waitpid's */
    char out[8192];  /* stdout, NUL-terminated */
    char err[65536]; /* stderr, NUL-terminated */
} child_run;

static inline void read_back(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    lseek(fd, 0, SEEK_SET);
    for (ssize_t k; n + 1 < cap && (k = read(fd, buf + n, cap - 1 - n)) > 0;)
        n += (size_t)k;
    buf[n] = '\0';
    close(fd);
}

/* Run "self part" with CLSVM_CHECK=check (NULL: unset) and CLSVM_CHECK_ABORT=abort_. */
static inline void child_run_part(child_run *r, const char *self, const char *part,
                                  const char *check, int abort_)
{
    char out_path[] = "/tmp/clsvm-check-out-XXXXXX", err_path[] = "/tmp/clsvm-check-err-XXXXXX";
    int out = mkstemp(out_path), err = mkstemp(err_path);
    CHECK(out >= 0 && err >= 0);
    unlink(out_path);
    unlink(err_path);
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        dup2(out, STDOUT_FILENO);
        dup2(err, STDERR_FILENO);
        if (check)
            setenv("CLSVM_CHECK", check, 1);
        else
            unsetenv("CLSVM_CHECK");
        setenv("CLSVM_CHECK_ABORT", abort_ ? "1" : "0", 1);
        execl(self, self, part, (char *)NULL);
        _exit(127);
    }
    CHECK(waitpid(pid, &r->status, 0) == pid);
    read_back(out, r->out, sizeof r->out);
    read_back(err, r->err, sizeof r->err);
    /* The child's platform cannot run the part (77: not clsvm, no SVM): so can the test not. */
    if (WIFEXITED(r->status) && WEXITSTATUS(r->status) == TEST_SKIP_CODE) {
        printf("skipped: %s", r->out);
        exit(TEST_SKIP_CODE);
    }
}

/* The child ended normally with 0; else print what it said and fail. */
static inline void child_ok(const child_run *r, const char *part)
{
    CHECK_MSG(WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0,
              "child '%s' failed (status %#x)\n--- stdout ---\n%s--- stderr ---\n%s", part,
              r->status, r->out, r->err);
}

static inline int count_of(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *c = strstr(hay, needle); c; c = strstr(c + 1, needle))
        n++;
    return n;
}

/* The child's opening: the platform's SVM context in e, or 0 (e closed, the reason printed) when
 * the checker cannot run here: it is clsvm's, and needs SVM. */
static inline int check_child_env(svm_env *e)
{
    svm_env_open(e);
    if (e->is_clsvm && e->caps)
        return 1;
    printf("the checker is clsvm's, and needs SVM\n");
    svm_env_close(e);
    return 0;
}

/* The whole of a small file the child wrote (its CLSVM_STATS document), in a static buffer. */
static inline char *check_read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    CHECK_MSG(f, "no CLSVM_STATS file %s", path);
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

#endif
