/* clang_run.c: run clang as a child process and capture what it prints (clang_run.h). */
#include "clang_run.h"

#include "clsvm/internal/config.h"
#include "clsvm/internal/log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* CLSVM_OCLC20_CLANG, read with the other options (an immutable copy; default clang-15). */
const char *oclc20_clang(void)
{
    return clsvm_option_str(CLSVM_OPT_OCLC20_CLANG);
}

const char *oclc20_tmpdir(void)
{
    const char *t = getenv("TMPDIR");
    return t && *t ? t : "/tmp";
}

char *oclc20_read_file(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        if (n == cap) {
            char *b = realloc(buf, cap * 2 + 1);
            if (!b) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = b;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            free(buf);
            buf = NULL;
            break;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    if (buf) {
        buf[n] = '\0';
        if (len)
            *len = n;
    }
    return buf;
}

int oclc20_write_file(const char *path, const void *data, size_t len)
{
    size_t pl = strlen(path);
    char *tmp = malloc(pl + 16);
    if (!tmp)
        return -1;
    /* A unique temporary name: threads and processes may write the same entry at once. */
    memcpy(tmp, path, pl);
    strcpy(tmp + pl, ".tmp-XXXXXX");
    int fd = mkostemp(tmp, O_CLOEXEC);
    int ok = fd >= 0 && fchmod(fd, 0644) == 0;
    const char *p = data;
    while (ok && len) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        ok = w > 0;
        if (ok) {
            p += w;
            len -= (size_t)w;
        }
    }
    if (fd >= 0 && close(fd) != 0)
        ok = 0;
    /* rename: a concurrent reader (another process sharing the cache) sees all or nothing. */
    if (ok && rename(tmp, path) != 0)
        ok = 0;
    if (!ok && fd >= 0)
        unlink(tmp);
    free(tmp);
    return ok ? 0 : -1;
}

/* An unlinked temporary file under $TMPDIR (default /tmp); -1 on failure. */
static int temp_fd(void)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/clsvm-clang-XXXXXX", oclc20_tmpdir());
    int fd = mkostemp(path, O_CLOEXEC);
    if (fd >= 0)
        unlink(path);
    return fd;
}

/* A whole small file read from offset 0 of fd, NUL-terminated; NULL on failure. */
static char *fd_text(int fd)
{
    off_t end = lseek(fd, 0, SEEK_END);
    char *t = malloc(end > 0 ? (size_t)end + 1 : 1);
    if (t) {
        ssize_t got = end > 0 ? pread(fd, t, (size_t)end, 0) : 0;
        t[got > 0 ? got : 0] = '\0';
    }
    return t;
}

/* A status the shell recorded ("$?": 128 + signal when clang was killed); -1 when none. */
static int recorded_status(int statfd)
{
    char *t = fd_text(statfd);
    char *end = NULL;
    long s = t && *t ? strtol(t, &end, 10) : -1;
    int result = -1;
    if (end && end != t && s >= 0 && s <= 255)
        result = s > 128 ? 256 + (int)(s - 128) : (int)s;
    free(t);
    return result;
}

int oclc20_run(char *const argv[], const char *in_path, char **err_text)
{
    *err_text = NULL;
    /* stderr goes to an unlinked temporary file: no pipe to drain while waiting, and nothing
     * left behind whatever happens to the child. */
    int errfd = temp_fd();
    if (errfd < 0)
        return -1;
    /* waitpid(pid) cannot always give clang's status: the kernel reaps the child itself when
     * the application ignores SIGCHLD, and an application's SIGCHLD handler calling
     * waitpid(-1) may reap it first. Either way waitpid ends with ECHILD once the child is
     * gone. So clang runs through a shell that also writes its status ("$?") to a second
     * temporary file, read when waitpid has returned or failed with ECHILD. */
    int statfd = temp_fd();
    char **run = (char **)argv;
    char **wrapped = NULL;
    if (statfd >= 0) {
        size_t n = 0;
        while (argv[n])
            n++;
        wrapped = calloc(n + 4, sizeof *wrapped);
        if (!wrapped) {
            close(statfd);
            close(errfd);
            return -1;
        }
        wrapped[0] = "/bin/sh";
        wrapped[1] = "-c";
        wrapped[2] = "\"$0\" \"$@\"; s=$?; echo $s >&3; exit $s";
        for (size_t i = 0; i < n; i++)
            wrapped[3 + i] = argv[i];
        run = wrapped;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, in_path ? in_path : "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, errfd, 2);
    if (statfd >= 0)
        posix_spawn_file_actions_adddup2(&fa, statfd, 3);
    /* The child (and the shell waiting for clang) gets the default SIGCHLD disposition back. */
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t def;
    sigemptyset(&def);
    sigaddset(&def, SIGCHLD);
    posix_spawnattr_setsigdefault(&attr, &def);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
    pid_t pid;
    int rc = posix_spawnp(&pid, run[0], &fa, &attr, run, environ);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&fa);
    free(wrapped);
    int result = -1;
    if (rc == 0) {
        int st = 0;
        pid_t w;
        while ((w = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
            ;
        int reaped_elsewhere = w < 0 && errno == ECHILD;
        if (w == pid && WIFSIGNALED(st))
            result = 256 + WTERMSIG(st); /* clang itself, or the shell around it, killed */
        else if (statfd >= 0 && (w == pid || reaped_elsewhere))
            result = recorded_status(statfd);
        else if (w == pid)
            result = WEXITSTATUS(st);
        /* Reaped by someone else and no record (the shell was killed before writing it). */
        if (result < 0 && reaped_elsewhere)
            result = OCLC20_RUN_LOST;
    }
    /* posix_spawnp reports exec failure in the child's exit status 127 on glibc. */
    if (result >= 0)
        *err_text = fd_text(errfd);
    if (statfd >= 0)
        close(statfd);
    close(errfd);
    return result;
}

char *oclc20_run_lost_log(void)
{
    char *s = NULL;
    if (asprintf(&s,
                 "clsvm: the exit status of %s was lost: another part of the application reaped "
                 "the process first (a SIGCHLD handler calling waitpid(-1)?) and it left no "
                 "status record; the build is failed rather than trusted\n",
                 oclc20_clang()) < 0)
        s = NULL;
    return s;
}

static char version[256];
static int version_ok;
static pthread_once_t version_once = PTHREAD_ONCE_INIT;

/* Runs `clang --version` with stdout captured through the same helper: stdout to stderr. */
static void probe_version(void)
{
    const char *clang = oclc20_clang();
    char *argv[] = {"/bin/sh", "-c", "exec \"$0\" --version 1>&2", (char *)clang, NULL};
    char *out = NULL;
    int st = oclc20_run(argv, NULL, &out);
    if (st == 0 && out && strstr(out, "clang version")) {
        size_t n = strcspn(out, "\n");
        if (n >= sizeof version)
            n = sizeof version - 1;
        memcpy(version, out, n);
        version[n] = '\0';
        version_ok = 1;
    }
    free(out);
}

const char *oclc20_clang_version(void)
{
    pthread_once(&version_once, probe_version);
    return version_ok ? version : NULL;
}

void oclc20_clang_missing_notice(void)
{
    static atomic_flag said = ATOMIC_FLAG_INIT;
    if (!atomic_flag_test_and_set(&said))
        clsvm_log(CLSVM_LOG_WARN,
                  "OpenCL C 2.x programs need clang-15, which cannot be run (%s); install "
                  "clang-15 (apt-get install clang-15) or set CLSVM_OCLC20_CLANG to its path",
                  oclc20_clang());
}
