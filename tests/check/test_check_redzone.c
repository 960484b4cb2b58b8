/* test_check_redzone: CLSVM_CHECK=redzone finds a kernel's write one element past its SVM
 * buffer at clFinish and reports the allocation (address, size), the overwritten bytes and the
 * kernel; the same program writing in bounds reports nothing, with the check on (all checks)
 * or off; CLSVM_CHECK_ABORT=1 aborts at the report. The kernel's end is a check point too: found
 * with no clFinish, while the host only polls the kernel's event. With the guard in place,
 * clsvm's pointer rule still sees only the application's bytes. */
#include "check/check_child.h"

#include <sys/stat.h>

#define N 250 /* ints: 1000 bytes, not a multiple of 64, so the guard starts mid-line */

static const char *const src =
    "__kernel void overrun_kernel(__global int *p) { p[get_global_id(0)] = (int)get_global_id(0) "
    "+ 1; }\n";

static int child(const char *part)
{
    svm_env e;
    if (!check_child_env(&e))
        return SVM_TEST_SKIP;
    cl_svm_mem_flags flags = CL_MEM_READ_WRITE;
    int *p = svm_alloc(&e, flags, N * sizeof(int), 0);
    printf("ALLOC %p\n", (void *)p);
    fflush(stdout);

    /* The guard is no part of the allocation for the pointer rule. */
    char host[N * sizeof(int) + 4];
    CHECK_CL_ERR(clEnqueueSVMMemcpy(e.queue, CL_TRUE, host, p, sizeof host, 0, NULL, NULL),
                 CL_INVALID_VALUE);
    CHECK_CL(clEnqueueSVMMemcpy(e.queue, CL_TRUE, host, p, N * sizeof(int), 0, NULL, NULL));

    cl_program prog = icd_test_program(e.context, e.device, src, NULL);
    cl_kernel k = icd_test_kernel(prog, "overrun_kernel");
    CHECK_CL_ERR(clSetKernelArgSVMPointer(k, 0, p + N), CL_INVALID_ARG_VALUE);
    CHECK_CL(clSetKernelArgSVMPointer(k, 0, p));
    size_t global = N + (strcmp(part, "inbounds") ? 1 : 0);
    cl_event done = NULL;
    CHECK_CL(clEnqueueNDRangeKernel(e.queue, k, 1, NULL, &global, NULL, 0, NULL, &done));
    if (!strcmp(part, "overrun_free")) {
        /* Found by the free command, which runs after the kernel (in-order queue). */
        CHECK_CL(clEnqueueSVMFree(e.queue, 1, (void **)&p, NULL, NULL, 0, NULL, NULL));
        CHECK_CL(clFinish(e.queue));
        CHECK_CL(clReleaseEvent(done));
        CHECK_CL(clReleaseKernel(k));
        CHECK_CL(clReleaseProgram(prog));
        svm_env_close(&e);
        return 0;
    }
    if (!strcmp(part, "overrun_poll")) {
        /* No point of synchronisation: the check made when the kernel completed finds it.
         * The report is on stderr (a file) before MARK, or never. */
        CHECK_CL(clFlush(e.queue));
        cl_int st = CL_QUEUED;
        struct stat sb = {0};
        for (int i = 0; i < 5000 && (st != CL_COMPLETE || !sb.st_size); i++) {
            CHECK_CL(clGetEventInfo(done, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof st, &st, NULL));
            CHECK(fstat(STDERR_FILENO, &sb) == 0);
            usleep(1000);
        }
        fprintf(stderr, "MARK\n");
    }
    if (!strcmp(part, "overrun_wait"))
        CHECK_CL(clWaitForEvents(1, &done));
    else
        CHECK_CL(clFinish(e.queue));
    CHECK_CL(clReleaseEvent(done));

    svm_map(&e, flags, p, N * sizeof(int), CL_MAP_READ);
    for (int i = 0; i < N; i++)
        CHECK_MSG(p[i] == i + 1, "p[%d] = %d, expected %d", i, p[i], i + 1);
    svm_unmap(&e, flags, p);
    clSVMFree(e.context, p);
    CHECK_CL(clReleaseKernel(k));
    CHECK_CL(clReleaseProgram(prog));
    svm_env_close(&e);
    printf("child ok\n");
    return 0;
}

static void no_report(const char *self, const char *part, const char *check)
{
    child_run r;
    child_run_part(&r, self, part, check, 0);
    child_ok(&r, part);
    CHECK_MSG(!strstr(r.err, "clsvm check"), "CLSVM_CHECK=%s, %s: unexpected report:\n%s",
              check ? check : "(unset)", part, r.err);
}

/* The child wrote one int past its allocation and the check found it at `when` or, first, when
 * the kernel completed: one report, naming the allocation, the bytes, the kernel and where the
 * allocation was made. */
static void one_report(const char *self, const char *part, const char *when)
{
    static child_run r;
    child_run_part(&r, self, part, "redzone", 0);
    child_ok(&r, part);
    void *p = NULL;
    CHECK_MSG(sscanf(r.out, "ALLOC %p", &p) == 1, "no address from the child: %s", r.out);
    char what[200], at_end[200];
    snprintf(what, sizeof what,
             "clsvm check [redzone]: out-of-bounds write past the SVM allocation %p (1000 bytes), "
             "found at %s\n",
             p, when);
    snprintf(at_end, sizeof at_end,
             "clsvm check [redzone]: out-of-bounds write past the SVM allocation %p (1000 bytes), "
             "found at the end of kernel overrun_kernel\n",
             p);
    const char *at = strstr(r.err, when ? what : at_end);
    if (!at && when)
        at = strstr(r.err, at_end);
    CHECK_MSG(at, "no '%s' in:\n%s", when ? what : at_end, r.err);
    /* Found without synchronising: before the child's MARK. */
    CHECK_MSG(when || (strstr(r.err, "MARK\n") && at < strstr(r.err, "MARK\n")),
              "not found before MARK:\n%s", r.err);
    CHECK_MSG(count_of(r.err, "clsvm check [") == 1, "not exactly one report:\n%s", r.err);
    CHECK_MSG(strstr(r.err, "clsvm check: 1 report(s) in this process\n"), "no summary in:\n%s",
              r.err);
    CHECK_MSG(strstr(r.err, "overwritten: bytes 1000..1003 from its start (0..3 past its end"),
              "wrong range in:\n%s", r.err);
    CHECK_MSG(strstr(r.err, "last kernel given a pointer into it: overrun_kernel\n"),
              "no kernel name in:\n%s", r.err);
    CHECK_MSG(strstr(r.err, "allocated at:\n    #0 ") && strstr(r.err, "  fix: "),
              "no allocation site or fix in:\n%s", r.err);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        return child(argv[1]);
    const char *self = "/proc/self/exe";
    static child_run r;

    /* The bug, found at each point where a kernel's writes are complete. */
    one_report(self, "overrun", "clFinish");
    one_report(self, "overrun_wait", "clWaitForEvents");
    one_report(self, "overrun_free", "clSVMFree");
    one_report(self, "overrun_poll", NULL); /* when the kernel completes */

    /* CLSVM_CHECK_ABORT=1: the report, then abort(). */
    child_run_part(&r, self, "overrun", "redzone", 1);
    CHECK_MSG(WIFSIGNALED(r.status) && WTERMSIG(r.status) == SIGABRT,
              "CLSVM_CHECK_ABORT=1: child status %#x, expected SIGABRT\n%s", r.status, r.err);
    CHECK_MSG(count_of(r.err, "clsvm check [redzone]") == 1, "no report before abort:\n%s", r.err);

    /* No bug, no report; the check off reports nothing even with the bug. */
    no_report(self, "inbounds", "redzone");
    no_report(self, "inbounds", "all");
    no_report(self, "overrun", NULL);
    puts("ok");
    return 0;
}
