/* test_window_env: CLSVM_VA_BITS / CLSVM_WINDOW_SIZE / CLSVM_WINDOW / CLSVM_LOG from the
 * environment are honoured; a bad value is exactly one warning line and the default. Cases
 * with their own environment run in a child (this program, re-executed), because options are
 * read once per process. */
#include "check.h"

#include "clsvm/runtime.h"

#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define GiB ((uint64_t)1 << 30)

static int child_main(void)
{
    clsvm_config a, b;
    clsvm_config_init(&a);
    clsvm_config_init(&b); /* a second read must not warn again */
    if (a.va_bits != b.va_bits || a.window_size != b.window_size)
        return 2;
    printf("va_bits=%u window_size=%llu provider=%s\n", a.va_bits,
           (unsigned long long)a.window_size, a.provider);
    /* Open a small window: a shrunken default (sanitizer shadow maps fill the low address
     * space) would add a legitimate warning line of its own. */
    if (a.window_size > ((uint64_t)256 << 20))
        a.window_size = (uint64_t)256 << 20;
    clsvm_window *w;
    int rc = clsvm_window_open(&a, &w);
    if (rc)
        return 3;
    clsvm_window_info wi;
    clsvm_window_get_info(w, &wi);
    printf("window_va_bits=%u window_provider=%s end_ok=%d\n", wi.va_bits, wi.provider,
           wi.base + wi.size <= ((uint64_t)1 << wi.va_bits));
    clsvm_window_close(w);
    return 0;
}

static void slurp(FILE *f, char *buf, size_t cap)
{
    rewind(f);
    size_t n = fread(buf, 1, cap - 1, f);
    buf[n] = '\0';
    fclose(f);
}

/* Run this program as a child with only the CLSVM_* variables in env (NULL-terminated). */
static void run_child(const char *const *env, char *out, size_t outcap, char *err, size_t errcap)
{
    FILE *fo = tmpfile(), *fe = tmpfile();
    CHECK(fo && fe);
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        static char *envp[512];
        size_t n = 0;
        for (char **e = environ; *e && n < 400; e++)
            if (strncmp(*e, "CLSVM_", 6))
                envp[n++] = *e;
        for (const char *const *e = env; *e && n < 510; e++)
            envp[n++] = (char *)*e;
        envp[n] = NULL;
        dup2(fileno(fo), 1);
        dup2(fileno(fe), 2);
        char *argv[] = {"test_window_env", "child", NULL};
        execve("/proc/self/exe", argv, envp);
        _exit(127);
    }
    int status;
    CHECK(waitpid(pid, &status, 0) == pid);
    slurp(fo, out, outcap);
    slurp(fe, err, errcap);
    CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child failed (status %#x): %s%s",
              status, out, err);
}

static int lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

#define CHILD(...)                                                                                 \
    do {                                                                                           \
        const char *const env_[] = {__VA_ARGS__, NULL};                                            \
        run_child(env_, out, sizeof out, err, sizeof err);                                         \
    } while (0)

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "child"))
        return child_main();

    /* ctest sets these; when run by hand, set them before the first use of the options. */
    setenv("CLSVM_VA_BITS", "44", 0);
    setenv("CLSVM_WINDOW_SIZE", "1G", 0);
    CHECK(!strcmp(getenv("CLSVM_VA_BITS"), "44") && !strcmp(getenv("CLSVM_WINDOW_SIZE"), "1G"));
    clsvm_config cfg;
    clsvm_config_init(&cfg);
    CHECK_EQ(cfg.va_bits, 44);
    CHECK_EQ(cfg.window_size, GiB);
    CHECK_EQ(cfg.default_align, 128);
    CHECK_EQ(cfg.min_window_size, 64 << 20);
    CHECK(!strcmp(cfg.provider, "auto"));
    clsvm_window *w;
    CHECK_EQ(clsvm_window_open(NULL, &w), CLSVM_OK); /* NULL cfg: the same defaults */
    clsvm_window_info wi;
    clsvm_window_get_info(w, &wi);
    CHECK_EQ(wi.va_bits, 44);
    CHECK(wi.size <= GiB && wi.base + wi.size <= ((uint64_t)1 << 44));
    clsvm_window_close(w);

    static char out[8192], err[8192];

    CHILD("CLSVM_VA_BITS=banana");
    CHECK_MSG(lines(err) == 1, "want one warning line, got:\n%s", err);
    CHECK(strstr(err, "warning") && strstr(err, "CLSVM_VA_BITS") && strstr(err, "banana"));
    CHECK_MSG(strstr(out, "va_bits=40 window_size=68719476736 "), "%s", out);
    CHECK(strstr(out, "window_va_bits=40 ") && strstr(out, "end_ok=1"));

    CHILD("CLSVM_VA_BITS=99");
    CHECK_MSG(lines(err) == 1 && strstr(err, "CLSVM_VA_BITS"), "%s", err);
    CHECK(strstr(out, "va_bits=40 "));

    CHILD("CLSVM_WINDOW_SIZE=12Q");
    CHECK_MSG(lines(err) == 1 && strstr(err, "CLSVM_WINDOW_SIZE"), "%s", err);
    CHECK(strstr(out, "window_size=68719476736 "));

    CHILD("CLSVM_WINDOW_SIZE=1M", "CLSVM_VA_BITS=banana"); /* below the 64M minimum, and bits */
    CHECK_MSG(lines(err) == 2, "want two warning lines, got:\n%s", err);
    CHECK(strstr(out, "va_bits=40 window_size=68719476736 "));

    CHILD("CLSVM_VA_BITS=36", "CLSVM_WINDOW_SIZE=256M", "CLSVM_WINDOW=reserve");
    CHECK_MSG(err[0] == '\0', "unexpected stderr: %s", err);
    CHECK(strstr(out, "va_bits=36 window_size=268435456 provider=reserve"));
    CHECK(strstr(out, "window_va_bits=36 window_provider=reserve end_ok=1"));

    CHILD("CLSVM_LOG=info");
    CHECK_MSG(strstr(err, "config CLSVM_VA_BITS=40") && strstr(err, "window: reserve ["), "%s",
              err);

    /* auto without a device: reserve, silently at the default level, one info line else.
     * (Forced devsvm and the other failure modes: tests/runtime/test_devsvm_fallback.c.) */
    CHILD("CLSVM_WINDOW=auto", "CLSVM_DEVICE=/nonexistent/svm");
    CHECK_MSG(err[0] == '\0', "unexpected stderr: %s", err);
    CHECK(strstr(out, "provider=auto") && strstr(out, "window_provider=reserve"));
    CHILD("CLSVM_WINDOW=auto", "CLSVM_DEVICE=/nonexistent/svm", "CLSVM_LOG=info");
    CHECK_MSG(strstr(err, "devsvm unavailable: no device at /nonexistent/svm"), "%s", err);
    puts("ok");
    return 0;
}
