/* test_oclc20_workgroup: OpenCL C 2.0 built-ins pocl provides, run through clsvm's SPIR path
 * (kernels/cl20/workgroup20.cl): a local-memory reduction whose steps are separated by
 * work_group_barrier(CLK_LOCAL_MEM_FENCE, memory_scope_work_group); get_enqueued_local_size
 * read back; printf, captured from a child process's stdout and compared line by line. */
#include "oclc20/oclc20_test.h"

#include "workgroup20_cl.h"

#include <sys/wait.h>
#include <unistd.h>

enum { GROUPS = 4, LOCAL = 16, N = GROUPS * LOCAL };

static void check_reduce(const svm_env *e, cl_program prog)
{
    cl_kernel k = icd_test_kernel(prog, "reduce");
    cl_int in[N], out[GROUPS] = {0};
    for (int i = 0; i < N; i++)
        in[i] = i * i - 7;
    cl_mem mi = icd_test_buffer(e->context, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, sizeof in, in);
    cl_mem mo =
        icd_test_buffer(e->context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, sizeof out, out);
    CHECK_CL(clSetKernelArg(k, 0, sizeof mi, &mi));
    CHECK_CL(clSetKernelArg(k, 1, sizeof mo, &mo));
    CHECK_CL(clSetKernelArg(k, 2, LOCAL * sizeof(cl_int), NULL));
    size_t g = N, l = LOCAL;
    CHECK_CL(clEnqueueNDRangeKernel(e->queue, k, 1, NULL, &g, &l, 0, NULL, NULL));
    CHECK_CL(clEnqueueReadBuffer(e->queue, mo, CL_TRUE, 0, sizeof out, out, 0, NULL, NULL));
    for (int grp = 0; grp < GROUPS; grp++) {
        cl_int want = 0;
        for (int i = grp * LOCAL; i < (grp + 1) * LOCAL; i++)
            want += in[i];
        CHECK_MSG(out[grp] == want, "group %d: sum %d, expected %d", grp, out[grp], want);
    }
    CHECK_CL(clReleaseMemObject(mi));
    CHECK_CL(clReleaseMemObject(mo));
    CHECK_CL(clReleaseKernel(k));
}

static void check_sizes(const svm_env *e, cl_program prog)
{
    cl_kernel k = icd_test_kernel(prog, "sizes");
    size_t g[2] = {8, 6}, l[2] = {4, 2};
    enum { ITEMS = 8 * 6 };
    cl_uint out[4 * ITEMS];
    memset(out, 0xff, sizeof out);
    cl_mem mo =
        icd_test_buffer(e->context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, sizeof out, out);
    CHECK_CL(clSetKernelArg(k, 0, sizeof mo, &mo));
    CHECK_CL(clEnqueueNDRangeKernel(e->queue, k, 2, NULL, g, l, 0, NULL, NULL));
    CHECK_CL(clEnqueueReadBuffer(e->queue, mo, CL_TRUE, 0, sizeof out, out, 0, NULL, NULL));
    for (int i = 0; i < ITEMS; i++) {
        /* Uniform work-groups: enqueued and actual local sizes are both the requested ones. */
        CHECK_MSG(out[4 * i] == 4 && out[4 * i + 1] == 2 && out[4 * i + 2] == 4 &&
                      out[4 * i + 3] == 2,
                  "item %d: enqueued %u x %u, local %u x %u", i, out[4 * i], out[4 * i + 1],
                  out[4 * i + 2], out[4 * i + 3]);
    }
    CHECK_CL(clReleaseMemObject(mo));
    CHECK_CL(clReleaseKernel(k));
}

/* printf writes to the process's stdout: the kernel runs in a child whose stdout is a pipe,
 * and the parent compares what arrives with the expected lines (in any order). The child is
 * forked before the parent opens OpenCL (pocl's threads do not survive fork) and builds the
 * program itself. */
static void check_printf(void)
{
    enum { ITEMS = 4, BASE = 10 };
    int fds[2];
    CHECK(pipe(fds) == 0);
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        if (dup2(fds[1], 1) < 0)
            _exit(2);
        close(fds[1]);
        svm_env e;
        svm_env_open(&e);
        cl_program prog = icd_test_program(e.context, e.device, workgroup20_cl, "-cl-std=CL2.0");
        cl_kernel k = icd_test_kernel(prog, "say");
        cl_int base = BASE;
        size_t n = ITEMS;
        int ok =
            clSetKernelArg(k, 0, sizeof base, &base) == CL_SUCCESS &&
            clEnqueueNDRangeKernel(e.queue, k, 1, NULL, &n, NULL, 0, NULL, NULL) == CL_SUCCESS &&
            clFinish(e.queue) == CL_SUCCESS;
        fflush(stdout);
        _exit(ok ? 0 : 3);
    }
    close(fds[1]);
    char buf[4096];
    size_t got = 0;
    ssize_t r;
    while (got < sizeof buf - 1 && (r = read(fds[0], buf + got, sizeof buf - 1 - got)) != 0) {
        if (r < 0)
            break;
        got += (size_t)r;
    }
    buf[got] = '\0';
    close(fds[0]);
    int st = 0;
    CHECK(waitpid(pid, &st, 0) == pid);
    CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "printf child status %#x", (unsigned)st);
    int lines = 0;
    for (const char *p = buf; *p; p++)
        lines += *p == '\n';
    CHECK_MSG(lines == ITEMS, "%d lines of printf output, expected %d:\n%s", lines, ITEMS, buf);
    for (int i = 0; i < ITEMS; i++) {
        char want[64];
        snprintf(want, sizeof want, "item %d twice %d ok\n", BASE + i, 2 * (BASE + i));
        CHECK_MSG(strstr(buf, want) != NULL, "printf output lacks '%s':\n%s", want, buf);
    }
}

int main(void)
{
    check_printf(); /* first: the parent has not touched OpenCL before fork */
    svm_env e;
    svm_env_open(&e);
    oclc20_require_path(&e);
    cl_program prog = icd_test_program(e.context, e.device, workgroup20_cl, "-cl-std=CL2.0");
    check_reduce(&e, prog);
    check_sizes(&e, prog);
    CHECK_CL(clReleaseProgram(prog));
    svm_env_close(&e);
    return svm_exit_code();
}
