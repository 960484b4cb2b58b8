/* test_oclc20_reaper: an application whose SIGCHLD handler reaps every child with
 * waitpid(-1, WNOHANG) (a common pattern in servers and shells) builds OpenCL C 2.0 programs
 * through clsvm's SPIR path, cache off so clang runs each time. The handler runs on a thread of
 * its own (the building thread blocks SIGCHLD, as applications that handle signals in one
 * thread do), so it often takes clang's process before clsvm's waitpid(pid) can, which then
 * fails with ECHILD. clsvm must still learn clang's exit status: every build succeeds, the
 * device lists OpenCL C 2.0 (the clang --version probe runs under the handler too), and a
 * program with an error still fails with clang's diagnostics. Builds go on until the handler
 * has taken at least 3 of clsvm's children (at most 30 builds). */
#include "oclc20/oclc20_test.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_BUILDS 30
#define WANT_REAPED 3

static atomic_int reaped;

static void reap_all(int sig)
{
    (void)sig;
    int saved = errno;
    while (waitpid(-1, NULL, WNOHANG) > 0)
        atomic_fetch_add(&reaped, 1);
    errno = saved;
}

/* The thread that takes the signals. */
static void *signal_thread(void *arg)
{
    (void)arg;
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    pthread_sigmask(SIG_UNBLOCK, &chld, NULL);
    for (;;)
        pause();
    return NULL;
}

static const char *good = "kernel void add(global atomic_int *c, int n)\n"
                          "{\n"
                          "    generic atomic_int *g = c;\n"
                          "    atomic_fetch_add_explicit(g, n, memory_order_relaxed,\n"
                          "                              memory_scope_device);\n"
                          "}\n";
static const char *bad = "kernel void add(global int *c) { c[0] = undeclared_name; }\n";

static cl_int build(const svm_env *e, const char *src, char **log)
{
    cl_int err;
    cl_program p = clCreateProgramWithSource(e->context, 1, &src, NULL, &err);
    CHECK_CL(err);
    cl_int rc = clBuildProgram(p, 1, &e->device, "-cl-std=CL2.0", NULL, NULL);
    *log = oclc20_build_string(p, e->device, CL_PROGRAM_BUILD_LOG);
    CHECK_CL(clReleaseProgram(p));
    return rc;
}

int main(void)
{
    struct sigaction sa = {.sa_handler = reap_all, .sa_flags = SA_RESTART};
    sigemptyset(&sa.sa_mask);
    CHECK(sigaction(SIGCHLD, &sa, NULL) == 0);
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    CHECK(pthread_sigmask(SIG_BLOCK, &chld, NULL) == 0); /* inherited by every later thread */
    pthread_t th;
    CHECK(pthread_create(&th, NULL, signal_thread, NULL) == 0);
    svm_env e;
    svm_env_open(&e);
    if (!e.is_clsvm) {
        fprintf(stderr, "not clsvm: skipped\n");
        return SVM_TEST_SKIP;
    }
    if (!oclc20_listed(&e)) {
        CHECK_MSG(!oclc20_clang_runs(), "clang-15 runs, but with a reaping SIGCHLD handler "
                                        "OpenCL C 2.0 is not listed: the probe lost clang");
        fprintf(stderr, "clang-15 missing: skipped\n");
        return SVM_TEST_SKIP;
    }
    int builds = 0;
    while (builds < MAX_BUILDS && (builds < 4 || atomic_load(&reaped) < WANT_REAPED)) {
        char *log;
        cl_int rc = build(&e, good, &log);
        CHECK_MSG(rc == CL_SUCCESS, "build %d: %d (the handler had reaped %d), log:\n%s", builds,
                  rc, atomic_load(&reaped), log);
        free(log);
        builds++;
    }
    char *log;
    cl_int rc = build(&e, bad, &log);
    CHECK_MSG(rc == CL_BUILD_PROGRAM_FAILURE && strstr(log, "undeclared_name"),
              "the bad program: %d, log:\n%s", rc, log);
    free(log);
    printf("%d builds and one failing build right; the handler reaped %d children\n", builds,
           atomic_load(&reaped));
    CHECK_MSG(atomic_load(&reaped) > 0, "the handler never reaped clang: the test proves nothing");
    svm_env_close(&e);
    return svm_exit_code();
}
