/* test_check_stale: with CLSVM_CHECK=stale, enqueueing a kernel whose SVM argument (or exec-info
 * pointer) was freed since it was set is one report naming the kernel, the argument, the
 * pointer and the allocation it was in (and, when the address was allocated again, that it now
 * lies in another allocation), through clEnqueueNDRangeKernel and clEnqueueTask; setting the
 * argument again, or the check off, reports nothing. */
#include "check/check_child.h"

static const char *const src = "__kernel void stale_kernel(__global int *p, int write)\n"
                               "{ if (write) p[get_global_id(0)] = 1; }\n";

static void enqueue(svm_env *e, cl_kernel k)
{
    size_t one = 1;
    CHECK_CL(clEnqueueNDRangeKernel(e->queue, k, 1, NULL, &one, NULL, 0, NULL, NULL));
    CHECK_CL(clFinish(e->queue));
}

static int child(const char *part)
{
    svm_env e;
    if (!check_child_env(&e))
        return SVM_TEST_SKIP;
    cl_program prog = icd_test_program(e.context, e.device, src, NULL);
    cl_kernel k = icd_test_kernel(prog, "stale_kernel");
    /* The kernel does not touch the pointer (write = 0): the misuse is only enqueued. */
    cl_int write = 0;
    CHECK_CL(clSetKernelArg(k, 1, sizeof write, &write));
    size_t size = 1000;
    if (!strcmp(part, "task")) {
        /* clEnqueueTask, the NDRange's twin: a freed argument, then one set again. */
        void *a = svm_alloc(&e, CL_MEM_READ_WRITE, size, 0);
        CHECK_CL(clSetKernelArgSVMPointer(k, 0, a));
        clSVMFree(e.context, a);
        printf("A %p\n", a);
        fflush(stdout);
        CHECK_CL(clEnqueueTask(e.queue, k, 0, NULL, NULL)); /* one report */
        void *b = svm_alloc(&e, CL_MEM_READ_WRITE, size, 0);
        CHECK_CL(clSetKernelArgSVMPointer(k, 0, b));
        CHECK_CL(clEnqueueTask(e.queue, k, 0, NULL, NULL)); /* none */
        CHECK_CL(clFinish(e.queue));
        clSVMFree(e.context, b);
    } else if (!strcmp(part, "bug")) {
        /* Freed. */
        void *a = svm_alloc(&e, CL_MEM_READ_WRITE, size, 0);
        CHECK_CL(clSetKernelArgSVMPointer(k, 0, a));
        clSVMFree(e.context, a);
        /* Freed, and the address allocated again (the same size: the heap reuses it). */
        void *b = svm_alloc(&e, CL_MEM_READ_WRITE, size, 0);
        clSVMFree(e.context, b);
        void *b2 = svm_alloc(&e, CL_MEM_READ_WRITE, size, 0);
        printf("A %p B %p B2 %p\n", a, b, b2);
        fflush(stdout);
        enqueue(&e, k); /* report 1: argument 0, a */
        CHECK_CL(clSetKernelArgSVMPointer(k, 0, b2));
        void *c = svm_alloc(&e, CL_MEM_READ_WRITE, size, 0);
        CHECK_CL(clSetKernelArgSVMPointer(k, 0, (char *)c + 8)); /* an interior pointer */
        clSVMFree(e.context, c);
        void *c2 = svm_alloc(&e, CL_MEM_READ_WRITE, size, 0);
        printf("C %p C2 %p\n", c, c2);
        fflush(stdout);
        enqueue(&e, k); /* report 2: argument 0, c + 8 */
        CHECK_CL(clSetKernelArgSVMPointer(k, 0, c2));
        void *d = svm_alloc(&e, CL_MEM_READ_WRITE, size, 0);
        void *ptrs[] = {c2, d};
        CHECK_CL(clSetKernelExecInfo(k, CL_KERNEL_EXEC_INFO_SVM_PTRS, sizeof ptrs, ptrs));
        clSVMFree(e.context, d);
        printf("D %p\n", d);
        fflush(stdout);
        enqueue(&e, k); /* report 3: exec-info pointer 1, d */
        clSVMFree(e.context, b2);
        clSVMFree(e.context, c2);
    } else {
        /* The same steps, each pointer set again before the enqueue. */
        void *a = svm_alloc(&e, CL_MEM_READ_WRITE, size, 0);
        CHECK_CL(clSetKernelArgSVMPointer(k, 0, a));
        enqueue(&e, k);
        clSVMFree(e.context, a);
        void *b = svm_alloc(&e, CL_MEM_READ_WRITE, size, 0);
        CHECK_CL(clSetKernelArgSVMPointer(k, 0, b));
        void *ptrs[] = {b};
        CHECK_CL(clSetKernelExecInfo(k, CL_KERNEL_EXEC_INFO_SVM_PTRS, sizeof ptrs, ptrs));
        enqueue(&e, k);
        CHECK_CL(clSetKernelExecInfo(k, CL_KERNEL_EXEC_INFO_SVM_PTRS, 0, NULL));
        enqueue(&e, k);
        clSVMFree(e.context, b);
    }
    CHECK_CL(clReleaseKernel(k));
    CHECK_CL(clReleaseProgram(prog));
    svm_env_close(&e);
    return 0;
}

static void expect(const char *err, const char *text)
{
    CHECK_MSG(strstr(err, text), "no '%s' in:\n%s", text, err);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        return child(argv[1]);
    const char *self = "/proc/self/exe";
    static child_run r;

    child_run_part(&r, self, "bug", "stale", 0);
    child_ok(&r, "bug");
    void *a, *b, *b2, *c, *c2, *d;
    CHECK_MSG(sscanf(r.out, "A %p B %p B2 %p\nC %p C2 %p\nD %p", &a, &b, &b2, &c, &c2, &d) == 6,
              "no addresses from the child: %s", r.out);
    CHECK_MSG(count_of(r.err, "clsvm check [stale]: ") == 3 &&
                  count_of(r.err, "clsvm check [") == 3,
              "want three stale reports:\n%s", r.err);
    char t[300];
    snprintf(t, sizeof t,
             "kernel stale_kernel enqueued with a stale SVM pointer: argument 0 is %p\n"
             "  when set, %p was in the SVM allocation %p (1000 bytes), which has been freed "
             "since%s\n",
             a, a, a,
             a == b2 ? "; the address now lies in another allocation made after that free" : "");
    expect(r.err, t);
    snprintf(t, sizeof t,
             "kernel stale_kernel enqueued with a stale SVM pointer: argument 0 is %p\n"
             "  when set, %p was in the SVM allocation %p (1000 bytes), which has been freed "
             "since%s",
             (void *)((char *)c + 8), (void *)((char *)c + 8), c,
             c == c2 ? "; the address now lies in another allocation" : "\n");
    expect(r.err, t);
    snprintf(t, sizeof t,
             "kernel stale_kernel enqueued with a stale SVM pointer: exec-info SVM pointer 1 is "
             "%p\n",
             d);
    expect(r.err, t);
    expect(r.err, "  fix: set the argument");

    /* clEnqueueTask is checked as an NDRange is. */
    child_run_part(&r, self, "task", "stale", 0);
    child_ok(&r, "task");
    CHECK_MSG(sscanf(r.out, "A %p", &a) == 1, "no address from the child: %s", r.out);
    CHECK_MSG(count_of(r.err, "clsvm check [") == 1, "want one stale report:\n%s", r.err);
    snprintf(t, sizeof t,
             "clsvm check [stale]: kernel stale_kernel enqueued with a stale SVM pointer: "
             "argument 0 is %p\n  when set, %p was in the SVM allocation %p (1000 bytes), which "
             "has been freed since",
             a, a, a);
    expect(r.err, t);

    child_run_part(&r, self, "fixed", "all", 0);
    child_ok(&r, "fixed");
    CHECK_MSG(!strstr(r.err, "clsvm check"), "unexpected report:\n%s", r.err);
    child_run_part(&r, self, "bug", NULL, 0);
    child_ok(&r, "bug, check off");
    CHECK_MSG(!strstr(r.err, "clsvm check"), "unexpected report with the check off:\n%s", r.err);
    puts("ok");
    return 0;
}
