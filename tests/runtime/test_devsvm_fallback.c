/* test_devsvm_fallback: provider selection. For every way the device can be broken
 * (CLSVM_SHIM_FAIL=missing|eacces|abi|outside|ioctl), CLSVM_WINDOW=auto falls back to reserve
 * with exactly one log line naming the reason (info level for a missing device, warning
 * otherwise) and CLSVM_WINDOW=devsvm fails with CLSVM_ERR_RESERVE and exactly one error line,
 * leaking no file descriptor; a second window repeats no line. A working device is used by both.
 * Each case runs in a child (this program re-executed) with the shim preloaded, since options are
 * read once. */
#include "check.h"

#include "clsvm/runtime.h"

#include <dirent.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    int n = 0;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

/* Child: open a small window, print what was chosen and whether descriptors leaked once the
 * window is gone; exit 0 also when the open fails (the parent judges). */
static int child_main(void)
{
    clsvm_config cfg;
    clsvm_config_init(&cfg);
    cfg.window_size = (uint64_t)256 << 20;
    int fds = count_fds();
    clsvm_window *w = NULL;
    int rc = clsvm_window_open(&cfg, &w);
    if (rc) {
        printf("rc=%d leaked=%d\n", rc, count_fds() - fds);
        return w ? 2 : 0;
    }
    clsvm_window_info wi;
    clsvm_window_get_info(w, &wi);
    void *p = NULL;
    if (clsvm_alloc(w, 4096, 0, 0, NULL, &p) || !p)
        return 3;
    memset(p, 0x5a, 4096);
    clsvm_free(w, p);
    printf("rc=0 provider=%s base=%#llx end_ok=%d\n", wi.provider, (unsigned long long)wi.base,
           wi.base + wi.size <= ((uint64_t)1 << wi.va_bits));
    clsvm_window_close(w);
    /* A second window: same provider, and no second fallback line for the same reason. */
    if (clsvm_window_open(&cfg, &w))
        return 4;
    clsvm_window_info wi2;
    clsvm_window_get_info(w, &wi2);
    if (strcmp(wi.provider, wi2.provider))
        return 5;
    clsvm_window_close(w);
    printf("leaked=%d\n", count_fds() - fds);
    return 0;
}

static void slurp(FILE *f, char *buf, size_t cap)
{
    rewind(f);
    size_t n = fread(buf, 1, cap - 1, f);
    buf[n] = '\0';
    fclose(f);
}

static char out[8192], err[8192];

/* Run the child with the shim preloaded and exactly these CLSVM_* variables. */
static void run(const char *fail, const char *window, const char *log)
{
    FILE *fo = tmpfile(), *fe = tmpfile();
    CHECK(fo && fe);
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        static char *envp[512], e_pre[4096], e_fail[64], e_win[64], e_log[64];
        size_t n = 0;
        for (char **e = environ; *e && n < 500; e++)
            if (strncmp(*e, "CLSVM_", 6) && strncmp(*e, "LD_PRELOAD=", 11))
                envp[n++] = *e;
        const char *pre = getenv("CLSVM_TEST_PRELOAD");
        snprintf(e_pre, sizeof e_pre, "LD_PRELOAD=%s", pre ? pre : "");
        envp[n++] = e_pre;
        const char *range = getenv("CLSVM_SHIM_RANGE"); /* kept: the build picks the range */
        static char e_range[128];
        if (range) {
            snprintf(e_range, sizeof e_range, "CLSVM_SHIM_RANGE=%s", range);
            envp[n++] = e_range;
        }
        const char *bits = getenv("CLSVM_VA_BITS");
        static char e_bits[64];
        if (bits) {
            snprintf(e_bits, sizeof e_bits, "CLSVM_VA_BITS=%s", bits);
            envp[n++] = e_bits;
        }
        if (fail) {
            snprintf(e_fail, sizeof e_fail, "CLSVM_SHIM_FAIL=%s", fail);
            envp[n++] = e_fail;
        }
        snprintf(e_win, sizeof e_win, "CLSVM_WINDOW=%s", window);
        envp[n++] = e_win;
        if (log) {
            snprintf(e_log, sizeof e_log, "CLSVM_LOG=%s", log);
            envp[n++] = e_log;
        }
        envp[n] = NULL;
        dup2(fileno(fo), 1);
        dup2(fileno(fe), 2);
        char *argv[] = {"test_devsvm_fallback", "child", NULL};
        execve("/proc/self/exe", argv, envp);
        _exit(127);
    }
    int status;
    CHECK(waitpid(pid, &status, 0) == pid);
    slurp(fo, out, sizeof out);
    slurp(fe, err, sizeof err);
    CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "child (fail=%s window=%s) status %#x:\n%s%s", fail ? fail : "none", window, status,
              out, err);
}

static int lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static int lines_with(const char *s, const char *word)
{
    int n = 0;
    while (*s) {
        const char *eol = strchr(s, '\n');
        size_t len = eol ? (size_t)(eol - s) : strlen(s);
        char line[1024];
        snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line ? len : sizeof line - 1), s);
        n += strstr(line, word) != NULL;
        s += len + (eol != NULL);
    }
    return n;
}

typedef struct mode {
    const char *fail;   /* CLSVM_SHIM_FAIL */
    const char *reason; /* text the one line must contain */
    const char *level;  /* "info" or "warning" for the auto fallback */
} mode;

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "child"))
        return child_main();
    if (!getenv("CLSVM_TEST_PRELOAD")) {
        fprintf(stderr, "CLSVM_TEST_PRELOAD (the shim's LD_PRELOAD list) is not set\n");
        return 1;
    }

    /* A working device: both auto and devsvm use it, silently. */
    run(NULL, "auto", NULL);
    CHECK_MSG(err[0] == '\0', "unexpected stderr: %s", err);
    CHECK_MSG(strstr(out, "rc=0 provider=devsvm ") && strstr(out, "end_ok=1"), "%s", out);
    CHECK_MSG(strstr(out, "leaked=0"), "%s", out);
    run(NULL, "devsvm", NULL);
    CHECK_MSG(err[0] == '\0', "unexpected stderr: %s", err);
    CHECK_MSG(strstr(out, "rc=0 provider=devsvm "), "%s", out);
    run(NULL, "devsvm", "info"); /* the chosen provider is in the info line */
    CHECK_MSG(strstr(err, "window: devsvm ["), "%s", err);
    CHECK_MSG(lines_with(err, "unavailable") == 0, "%s", err);

    static const mode modes[] = {
        {"missing", "no device at /dev/svm", "info"}, {"eacces", "Permission denied", "warning"},
        {"abi", "ABI version 42", "warning"},         {"outside", "outside its range", "warning"},
        {"ioctl", "SVM_IOC_GET_INFO", "warning"},
    };
    for (size_t i = 0; i < sizeof modes / sizeof *modes; i++) {
        const mode *m = &modes[i];
        /* auto: reserve, one line at the mode's level naming the reason. */
        run(m->fail, "auto", "info");
        CHECK_MSG(strstr(out, "rc=0 provider=reserve ") && strstr(out, "end_ok=1"), "%s: %s",
                  m->fail, out);
        CHECK_MSG(lines_with(err, "devsvm") == 1, "%s: want one devsvm line:\n%s", m->fail, err);
        CHECK_MSG(lines_with(err, m->reason) == 1, "%s: no line names '%s':\n%s", m->fail,
                  m->reason, err);
        char tag[64];
        snprintf(tag, sizeof tag, "clsvm: %s: window: devsvm unavailable: ", m->level);
        CHECK_MSG(lines_with(err, tag) == 1, "%s: want '%s':\n%s", m->fail, tag, err);
        CHECK_MSG(strstr(err, "window: reserve ["), "%s: %s", m->fail, err);
        CHECK_MSG(strstr(out, "leaked=0"), "%s: %s", m->fail, out);

        /* auto at the default level: a missing device is silent, the others warn once. */
        run(m->fail, "auto", NULL);
        CHECK_MSG(strstr(out, "rc=0 provider=reserve "), "%s: %s", m->fail, out);
        CHECK_MSG(lines(err) == (strcmp(m->level, "info") ? 1 : 0), "%s: stderr:\n%s", m->fail,
                  err);

        /* forced: CLSVM_ERR_RESERVE, exactly one error line naming the reason, no leak. */
        run(m->fail, "devsvm", NULL);
        char rc[32];
        snprintf(rc, sizeof rc, "rc=%d leaked=0", CLSVM_ERR_RESERVE);
        CHECK_MSG(strstr(out, rc), "%s: %s", m->fail, out);
        CHECK_MSG(lines(err) == 1, "%s: want one line:\n%s", m->fail, err);
        CHECK_MSG(strstr(err, "clsvm: error: ") && strstr(err, m->reason), "%s: %s", m->fail, err);
    }
    puts("ok");
    return 0;
}
