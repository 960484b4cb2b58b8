/*
 * test_fork_threads_icd <reserve|devsvm> <workdir>: fork() while another thread allocates and
 * frees SVM. Every clsvm lock has fork handlers, so each child must find them free: it
 * allocates, fills, checks and frees SVM of the parent's context and exits (which runs the
 * CLSVM_STATS dump, CLSVM_STATS=<workdir>/fork-%p.json, and the leak report of CLSVM_LOG=info).
 * 30 forks; a child that has not exited 2 s after its fork (15 s under TSan) counts as hung and
 * is killed.
 *  reserve  the child's private copy of the window works: allocations succeed, data checks.
 *  devsvm   (on the /dev/svm emulation) the child has no mapping of the parent's window: its
 *           clSVMAlloc returns NULL with one error line saying why, and it still exits cleanly.
 * The children call no backend function: pocl's threads do not survive fork().
 */
#define CL_TARGET_OPENCL_VERSION 300
#include <CL/cl.h>

#include "check.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The children exit holding the parent's objects: no leak check there (see test_process_icd). */
static volatile int no_leak_check;
__attribute__((used, visibility("default"))) int __lsan_is_turned_off(void);
int __lsan_is_turned_off(void)
{
    return no_leak_check;
}

#define FORKS 30
/* A fork and a child's exit cost about 1 s under ThreadSanitizer, a few ms otherwise. */
#ifdef __SANITIZE_THREAD__
#define CHILD_LIMIT_MS 15000
#else
#define CHILD_LIMIT_MS 2000
#endif
#define FG (CL_MEM_READ_WRITE | CL_MEM_SVM_FINE_GRAIN_BUFFER)

static cl_context ctx;
static atomic_int stop;
static atomic_long hammered;

static void *hammer(void *arg)
{
    unsigned long long seed = 42;
    (void)arg;
    while (!atomic_load(&stop)) {
        size_t size = 64 + test_rand(&seed) % 65536;
        unsigned char *p = clSVMAlloc(ctx, FG, size, 0);
        CHECK(p != NULL);
        p[0] = p[size - 1] = 0x77;
        clSVMFree(ctx, p);
        atomic_fetch_add(&hammered, 1);
    }
    return NULL;
}

/* The child's work; its exit status says what failed. */
static void child(int devsvm, int err_fd)
{
    no_leak_check = 1;
    alarm(20); /* backstop only: the parent kills it long before */
    if (devsvm) {
        dup2(err_fd, 2);
        void *p = clSVMAlloc(ctx, FG, 4096, 0);
        exit(p == NULL ? 0 : 7);
    }
    for (int j = 0; j < 64; j++) {
        size_t size = 4096 * (size_t)(j % 8 + 1);
        unsigned char *p = clSVMAlloc(ctx, FG, size, 0);
        if (!p)
            _exit(3);
        memset(p, j, size);
        for (size_t i = 0; i < size; i += 512)
            if (p[i] != (unsigned char)j)
                _exit(4);
        clSVMFree(ctx, p);
    }
    exit(0);
}

static long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* waitpid with a time limit: the status, or -1 after killing a child that did not exit. */
static int wait_limited(pid_t pid, long limit_ms)
{
    long end = now_ms() + limit_ms;
    int st;
    for (;;) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        CHECK(r >= 0);
        if (r == pid)
            return st;
        if (now_ms() > end)
            break;
        usleep(1000);
    }
    kill(pid, SIGKILL);
    CHECK(waitpid(pid, &st, 0) == pid);
    return -1;
}

int main(int argc, char **argv)
{
    if (argc != 3 || (strcmp(argv[1], "reserve") && strcmp(argv[1], "devsvm"))) {
        fprintf(stderr, "usage: %s reserve|devsvm WORKDIR\n", argv[0]);
        return 2;
    }
    int devsvm = !strcmp(argv[1], "devsvm");
    const char *dir = argv[2];
    mkdir(dir, 0755);
    char pattern[512];
    snprintf(pattern, sizeof pattern, "%s/fork-%%p.json", dir);
    setenv("CLSVM_STATS", pattern, 1); /* read by clsvm on first use, below */
    setenv("CLSVM_LOG", "info", 1);    /* the children's exit also runs the leak report */

    cl_platform_id ps[8];
    cl_uint np = 0;
    CHECK_EQ(clGetPlatformIDs(8, ps, &np), CL_SUCCESS);
    cl_platform_id plat = NULL;
    for (cl_uint i = 0; i < np && i < 8; i++) {
        char name[64] = "";
        clGetPlatformInfo(ps[i], CL_PLATFORM_NAME, sizeof name, name, NULL);
        if (!strncmp(name, "clsvm", 5))
            plat = ps[i];
    }
    CHECK_MSG(plat != NULL, "no clsvm platform");
    cl_device_id dev;
    CHECK_EQ(clGetDeviceIDs(plat, CL_DEVICE_TYPE_ALL, 1, &dev, NULL), CL_SUCCESS);
    cl_int err;
    ctx = clCreateContext(NULL, 1, &dev, NULL, NULL, &err);
    CHECK_EQ(err, CL_SUCCESS);
    void *warm = clSVMAlloc(ctx, FG, 4096, 0); /* the context's limits are asked once, here */
    CHECK(warm != NULL);
    clSVMFree(ctx, warm);

    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, hammer, NULL), 0);
    while (atomic_load(&hammered) < 100)
        usleep(100);

    int hung = 0, failed = 0, said = 0;
    long start = now_ms();
    for (int i = 0; i < FORKS && hung < 3; i++) {
        int pfd[2];
        CHECK_EQ(pipe(pfd), 0);
        fflush(NULL);
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
            close(pfd[0]);
            child(devsvm, pfd[1]);
        }
        close(pfd[1]);
        int st = wait_limited(pid, CHILD_LIMIT_MS);
        char msg[4096] = "";
        ssize_t n = read(pfd[0], msg, sizeof msg - 1);
        msg[n > 0 ? n : 0] = '\0';
        close(pfd[0]);
        if (st < 0) {
            hung++;
            fprintf(stderr, "fork %d: child %d still running after %d ms: killed\n", i, (int)pid,
                    CHILD_LIMIT_MS);
            continue;
        }
        if (!WIFEXITED(st) || WEXITSTATUS(st)) {
            failed++;
            fprintf(stderr, "fork %d: child ended with status %#x\n", i, st);
            continue;
        }
        if (devsvm && !strstr(msg, "not inherited across fork()")) {
            failed++;
            fprintf(stderr, "fork %d: the child's stderr does not say why it has no window:\n%s", i,
                    msg);
        }
        said += devsvm && i == 0 && fprintf(stderr, "child's error line: %s", msg) > 0;
        /* Its exit wrote its own stats file (the pid in the name), not its parent's. */
        char path[600];
        snprintf(path, sizeof path, "%s/fork-%d.json", dir, (int)pid);
        struct stat sb;
        if (stat(path, &sb) || sb.st_size < 20) {
            failed++;
            fprintf(stderr, "fork %d: no stats file %s from the child\n", i, path);
        }
        unlink(path);
    }
    atomic_store(&stop, 1);
    CHECK_EQ(pthread_join(th, NULL), 0);
    CHECK_EQ(clReleaseContext(ctx), CL_SUCCESS);
    printf("%d forks in %ld ms next to %ld alloc/free pairs: %d hung, %d failed\n", FORKS,
           now_ms() - start, atomic_load(&hammered), hung, failed);
    CHECK_EQ(hung, 0);
    CHECK_EQ(failed, 0);
    return 0;
}
