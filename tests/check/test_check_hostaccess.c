/* test_check_hostaccess: with CLSVM_CHECK=hostaccess, the host writing a coarse-grain SVM buffer
 * without mapping it is one report naming the access (write, address, byte), the allocation
 * (address, size) and the function that wrote; the program then goes on (the write takes
 * effect); read(2) into the buffer before that fails with EFAULT, unreported. The same program
 * with map/unmap reports nothing and its kernel (which reads the buffer after the unmap; an
 * NDRange and a task; one reaching a buffer through exec info) and clsvm's memcpy/fill see the
 * host's data, also with every other check on (the red zone check reads the guards of protected
 * buffers). Fine-grain buffers are exempt; a SIGSEGV outside SVM still reaches the application's
 * own handler; CLSVM_CHECK=1 includes hostaccess; CLSVM_CHECK_ABORT=1 aborts at the report. */
#define CL_USE_DEPRECATED_OPENCL_1_2_APIS /* clEnqueueTask */
#include "check/check_child.h"

#include <errno.h>
#include <sys/mman.h>

#define N 250 /* ints: 1000 bytes */

static const char *const src =
    "__kernel void double_it(__global const int *in, __global int *out)\n"
    "{ size_t i = get_global_id(0); out[i] = 2 * in[i]; }\n"
    "__kernel void triple_via(__global int *__global const *outer, __global int *out)\n"
    "{ size_t i = get_global_id(0); out[i] = 3 * outer[0][i]; }\n";

/* Exported (ENABLE_EXPORTS): the report's backtrace names it. */
__attribute__((noinline)) void touch_without_map(volatile int *p, int i, int v)
{
    p[i] = v;
}

static volatile sig_atomic_t app_faults;
static volatile char *app_page; /* volatile: the faulting store stays before the checks */

/* The application's own SIGSEGV handler: it fixes up its own page and counts. */
static void app_handler(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    if ((volatile char *)si->si_addr >= app_page &&
        (volatile char *)si->si_addr < app_page + 4096) {
        app_faults++;
        mprotect((void *)app_page, 4096, PROT_READ | PROT_WRITE);
        return;
    }
    _exit(3);
}

/* in (coarse or fine) -> kernel doubles it into out (coarse) -> the host checks out. */
static void round_trip(svm_env *e, cl_svm_mem_flags in_flags, int map)
{
    cl_svm_mem_flags coarse = CL_MEM_READ_WRITE;
    int *in = svm_alloc(e, in_flags, N * sizeof(int), 0);
    int *out = svm_alloc(e, coarse, N * sizeof(int), 0);
    /* clsvm's own fill on a protected buffer: the device's access, not the host's. */
    int zero = 0;
    CHECK_CL(
        clEnqueueSVMMemFill(e->queue, out, &zero, sizeof zero, N * sizeof(int), 0, NULL, NULL));
    if (map)
        svm_map(e, in_flags, in, N * sizeof(int), CL_MAP_WRITE);
    for (int i = 0; i < N; i++)
        in[i] = i + 1;
    if (map)
        svm_unmap(e, in_flags, in);
    cl_program prog = icd_test_program(e->context, e->device, src, NULL);
    cl_kernel k = icd_test_kernel(prog, "double_it");
    CHECK_CL(clSetKernelArgSVMPointer(k, 0, in));
    CHECK_CL(clSetKernelArgSVMPointer(k, 1, out));
    size_t global = N;
    CHECK_CL(clEnqueueNDRangeKernel(e->queue, k, 1, NULL, &global, NULL, 0, NULL, NULL));
    /* A task is a kernel launch too (work-item 0 again: the same value). */
    CHECK_CL(clEnqueueTask(e->queue, k, 0, NULL, NULL));
    CHECK_CL(clFinish(e->queue));
    /* clsvm's memcpy out of a protected buffer, then the host reads it mapped. */
    int host[N];
    CHECK_CL(clEnqueueSVMMemcpy(e->queue, CL_TRUE, host, out, sizeof host, 0, NULL, NULL));
    CHECK_CL(clEnqueueSVMMap(e->queue, CL_TRUE, CL_MAP_READ, out, N * sizeof(int), 0, NULL, NULL));
    for (int i = 0; i < N; i++) {
        CHECK_MSG(out[i] == 2 * (i + 1), "out[%d] = %d, expected %d", i, out[i], 2 * (i + 1));
        CHECK_MSG(host[i] == out[i], "memcpy: host[%d] = %d, expected %d", i, host[i], out[i]);
    }
    CHECK_CL(clEnqueueSVMUnmap(e->queue, out, 0, NULL, NULL));
    CHECK_CL(clFinish(e->queue));
    CHECK_CL(clReleaseKernel(k));
    CHECK_CL(clReleaseProgram(prog));
    clSVMFree(e->context, in);
    clSVMFree(e->context, out);
}

/* A kernel reaching a coarse-grain buffer only through a pointer stored in another one, listed
 * in CL_KERNEL_EXEC_INFO_SVM_PTRS: the device may touch it. */
static void through_exec_info(svm_env *e)
{
    cl_svm_mem_flags coarse = CL_MEM_READ_WRITE;
    int *inner = svm_alloc(e, coarse, N * sizeof(int), 0);
    int **outer = svm_alloc(e, coarse, sizeof(int *), 0);
    int *out = svm_alloc(e, coarse, N * sizeof(int), 0);
    svm_map(e, coarse, inner, N * sizeof(int), CL_MAP_WRITE);
    for (int i = 0; i < N; i++)
        inner[i] = i + 1;
    svm_unmap(e, coarse, inner);
    svm_map(e, coarse, outer, sizeof(int *), CL_MAP_WRITE);
    outer[0] = inner;
    svm_unmap(e, coarse, outer);
    cl_program prog = icd_test_program(e->context, e->device, src, NULL);
    cl_kernel k = icd_test_kernel(prog, "triple_via");
    CHECK_CL(clSetKernelArgSVMPointer(k, 0, outer));
    CHECK_CL(clSetKernelArgSVMPointer(k, 1, out));
    void *ptrs[] = {inner};
    CHECK_CL(clSetKernelExecInfo(k, CL_KERNEL_EXEC_INFO_SVM_PTRS, sizeof ptrs, ptrs));
    size_t global = N;
    CHECK_CL(clEnqueueNDRangeKernel(e->queue, k, 1, NULL, &global, NULL, 0, NULL, NULL));
    CHECK_CL(clFinish(e->queue));
    svm_map(e, coarse, out, N * sizeof(int), CL_MAP_READ);
    for (int i = 0; i < N; i++)
        CHECK_MSG(out[i] == 3 * (i + 1), "out[%d] = %d, expected %d", i, out[i], 3 * (i + 1));
    svm_unmap(e, coarse, out);
    CHECK_CL(clReleaseKernel(k));
    CHECK_CL(clReleaseProgram(prog));
    clSVMFree(e->context, inner);
    clSVMFree(e->context, outer);
    clSVMFree(e->context, out);
}

static int child(const char *part)
{
    if (!strcmp(part, "chain")) {
        /* Installed before clsvm's, which chains to it. */
        app_page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        CHECK(app_page != MAP_FAILED);
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = app_handler;
        sa.sa_flags = SA_SIGINFO;
        sigemptyset(&sa.sa_mask);
        CHECK(sigaction(SIGSEGV, &sa, NULL) == 0);
    }
    svm_env e;
    if (!check_child_env(&e))
        return SVM_TEST_SKIP;
    if (!strcmp(part, "bug")) {
        int *p = svm_alloc(&e, CL_MEM_READ_WRITE, N * sizeof(int), 0);
        printf("ALLOC %p AT %p\n", (void *)p, (void *)(p + 10));
        fflush(stdout);
        /* A system call does not fault: with the check it fails with EFAULT, unreported. */
        const char *checks = getenv("CLSVM_CHECK");
        int on = checks &&
                 (strstr(checks, "hostaccess") || !strcmp(checks, "1") || !strcmp(checks, "all"));
        int zero = open("/dev/zero", O_RDONLY);
        CHECK(zero >= 0);
        errno = 0;
        ssize_t got = read(zero, p + 20, 4);
        CHECK_MSG(on ? got == -1 && errno == EFAULT : got == 4,
                  "read(2) into the buffer (check %s): %zd, errno %d", on ? "on" : "off", got,
                  errno);
        close(zero);
        touch_without_map(p, 10, 42); /* the report */
        touch_without_map(p, 11, 43); /* the same allocation: no second report */
        /* The writes took effect. */
        svm_map(&e, CL_MEM_READ_WRITE, p, N * sizeof(int), CL_MAP_READ);
        CHECK(p[10] == 42 && p[11] == 43);
        svm_unmap(&e, CL_MEM_READ_WRITE, p);
        clSVMFree(e.context, p);
    } else if (!strcmp(part, "ok")) {
        round_trip(&e, CL_MEM_READ_WRITE, 1);
        through_exec_info(&e);
    } else if (!strcmp(part, "fine")) {
        if (!(e.caps & CL_DEVICE_SVM_FINE_GRAIN_BUFFER)) {
            printf("no fine-grain SVM buffers\n");
            svm_env_close(&e);
            return SVM_TEST_SKIP;
        }
        round_trip(&e, CL_MEM_READ_WRITE | CL_MEM_SVM_FINE_GRAIN_BUFFER, 0);
    } else if (!strcmp(part, "chain")) {
        int *p = svm_alloc(&e, CL_MEM_READ_WRITE, N * sizeof(int), 0); /* clsvm's handler */
        app_page[5] = 1; /* not SVM: the application's handler */
        CHECK_MSG(app_faults == 1 && app_page[5] == 1, "app handler ran %d times", (int)app_faults);
        touch_without_map(p, 0, 7); /* SVM: clsvm's report, not the application's handler */
        CHECK_MSG(app_faults == 1, "app handler ran %d times", (int)app_faults);
        clSVMFree(e.context, p);
    }
    svm_env_close(&e);
    printf("child ok\n");
    return 0;
}

static void no_report(const char *self, const char *part, const char *check)
{
    static child_run r;
    child_run_part(&r, self, part, check, 1);
    child_ok(&r, part);
    CHECK_MSG(!strstr(r.err, "clsvm check"), "CLSVM_CHECK=%s, %s: unexpected report:\n%s",
              check ? check : "(unset)", part, r.err);
}

/* One report of the host's write in touch_without_map, from a child that then went on. */
static void one_report(const char *self, const char *part)
{
    static child_run r;
    child_run_part(&r, self, part, "hostaccess", 0);
    child_ok(&r, part);
    CHECK_MSG(count_of(r.err, "clsvm check [") == 1, "not exactly one report:\n%s", r.err);
    CHECK_MSG(strstr(r.err, "touch_without_map"), "no access site in:\n%s", r.err);
    CHECK_MSG(strstr(r.err, "  fix: "), "no fix in:\n%s", r.err);
    CHECK_MSG(strstr(r.err, "clsvm check: 1 report(s) in this process\n"), "no summary in:\n%s",
              r.err);
    if (strcmp(part, "bug"))
        return;
    void *p = NULL, *at = NULL;
    CHECK_MSG(sscanf(r.out, "ALLOC %p AT %p", &p, &at) == 2, "no address from the child: %s",
              r.out);
    char what[256];
    snprintf(what, sizeof what,
             "clsvm check [hostaccess]: host write at %p to the coarse-grain SVM allocation %p "
             "(1000 bytes) outside clEnqueueSVMMap/clEnqueueSVMUnmap\n  byte 40 of the "
             "allocation; accessed at:\n    #0 ",
             at, p);
    CHECK_MSG(strstr(r.err, what), "no '%s' in:\n%s", what, r.err);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        return child(argv[1]);
    const char *self = "/proc/self/exe";
    static child_run r;

    one_report(self, "bug");
    one_report(self, "chain");

    /* The report is in the CLSVM_STATS document too (formatted outside the signal handler). */
    char stats[] = "/tmp/clsvm-check-hostaccess-XXXXXX";
    int fd = mkstemp(stats);
    CHECK(fd >= 0);
    close(fd);
    setenv("CLSVM_STATS", stats, 1);
    child_run_part(&r, self, "bug", "hostaccess", 0);
    unsetenv("CLSVM_STATS");
    child_ok(&r, "bug");
    void *p = NULL, *at = NULL;
    CHECK_MSG(sscanf(r.out, "ALLOC %p AT %p", &p, &at) == 2, "no address from the child: %s",
              r.out);
    char want[256];
    snprintf(want, sizeof want,
             "{\"check\":\"hostaccess\",\"what\":\"host write at %p to the coarse-grain SVM "
             "allocation %p (1000 bytes) outside",
             at, p);
    const char *json = check_read_file(stats);
    CHECK_MSG(strstr(json, want) && strstr(json, "\"hostaccess\":1,"),
              "CLSVM_STATS lacks '%s' or the count:\n%s", want, json);
    unlink(stats);

    /* CLSVM_CHECK_ABORT=1: the report, then abort(). */
    child_run_part(&r, self, "bug", "hostaccess", 1);
    CHECK_MSG(WIFSIGNALED(r.status) && WTERMSIG(r.status) == SIGABRT,
              "CLSVM_CHECK_ABORT=1: child status %#x, expected SIGABRT\n%s", r.status, r.err);
    CHECK_MSG(count_of(r.err, "clsvm check [hostaccess]") == 1, "no report before abort:\n%s",
              r.err);

    /* Mapped, fine-grain, or the check not asked for by name: no report (and CLSVM_CHECK_ABORT=1
     * would have ended the child at one). */
    no_report(self, "ok", "hostaccess");
    no_report(self, "ok", "leaks,redzone,stale,hostaccess");
    /* With every check: the red zone check at a kernel's end, the quarantine's poisoning at the
     * free and its checks read protected memory, as clsvm's own accesses. */
    no_report(self, "ok", "leaks,redzone,stale,hostaccess,inuse,quarantine");
    no_report(self, "fine", "hostaccess");
    no_report(self, "bug", "leaks,redzone,stale,inuse,quarantine");
    no_report(self, "bug", NULL);
    /* CLSVM_CHECK=1 has hostaccess too. */
    child_run_part(&r, self, "bug", "1", 0);
    child_ok(&r, "bug");
    CHECK_MSG(count_of(r.err, "clsvm check [hostaccess]") == 1, "CLSVM_CHECK=1: no report:\n%s",
              r.err);
    puts("ok");
    return 0;
}
