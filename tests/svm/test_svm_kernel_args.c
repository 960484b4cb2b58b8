/* test_svm_kernel_args: SVM kernel arguments reach the launch that follows them, whatever came
 * in between. clsvm keeps a validated SVM pointer until the next launch or clone when the
 * backend took one at that index before (icd/kernel_args.h); here every way to replace, cancel
 * or read such a pending pointer is launched and the memory the kernel wrote is read back:
 * an SVM pointer set again (small and heap-sized allocations), then replaced by a buffer
 * (clSetKernelArg), by NULL, by a host pointer under fine-grain system SVM; read by
 * clEnqueueTask and by clCloneKernel; and the errors of the set calls (a freed pointer, an
 * index out of range, an argument that takes no pointer, a buffer of the wrong size or a
 * released one) with the pending pointer kept. */
#include "svm/svm_test.h"

static const char *src = "kernel void mark(global int *a, int v)\n"
                         "{ if (a) a[get_global_id(0)] = v; }\n"
                         "kernel void two(global int *a, int v, global int *b)\n"
                         "{ a[0] = v; b[0] = v + 1; }\n";

enum { N = 4 };

static svm_env e;

static void launch(cl_kernel k)
{
    size_t g = N;
    CHECK_CL(clEnqueueNDRangeKernel(e.queue, k, 1, NULL, &g, NULL, 0, NULL, NULL));
    CHECK_CL(clFinish(e.queue));
}

static void task(cl_kernel k)
{
    CHECK_CL(clEnqueueTask(e.queue, k, 0, NULL, NULL));
    CHECK_CL(clFinish(e.queue));
}

/* Fine-grain allocations: the host reads them without a map. */
static int *fresh(size_t bytes)
{
    int *p = svm_alloc(&e, CL_MEM_READ_WRITE | CL_MEM_SVM_FINE_GRAIN_BUFFER, bytes, 0);
    memset(p, 0, bytes);
    return p;
}

/* Element i of p holds want (the kernel writes N elements, or just the first for a task). */
static void expect(const char *what, const int *p, int n, int want)
{
    for (int i = 0; i < n; i++)
        if (p[i] != want) {
            SVM_FAIL("%s: element %d is %d, expected %d", what, i, p[i], want);
            return;
        }
}

static void set_v(cl_kernel k, cl_uint i, int v)
{
    CHECK_CL(clSetKernelArg(k, i, sizeof v, &v));
}

int main(void)
{
    svm_env_open(&e);
    svm_test_needs(&e, CL_DEVICE_SVM_FINE_GRAIN_BUFFER, "fine-grain buffer SVM");
    cl_program prog = icd_test_program(e.context, e.device, src, "-cl-std=CL2.0");
    cl_kernel k = icd_test_kernel(prog, "mark");

    /* The same index set twice before a launch: the second pointer is the argument (an interior
     * pointer of a small allocation, then heap-sized ones). */
    int *a = fresh(256), *b = fresh(256), *c = fresh(256);
    CHECK_CL(clSetKernelArgSVMPointer(k, 0, a));
    set_v(k, 1, 1);
    launch(k);
    expect("first pointer", a, N, 1);
    CHECK_CL(clSetKernelArgSVMPointer(k, 0, b));
    CHECK_CL(clSetKernelArgSVMPointer(k, 0, c + 8));
    set_v(k, 1, 2);
    launch(k);
    expect("second pointer set", c + 8, N, 2);
    expect("replaced pointer untouched", b, N, 0);
    expect("earlier pointer untouched", a, N, 1);
    int *big1 = fresh(8192), *big2 = fresh(8192);
    CHECK_CL(clSetKernelArgSVMPointer(k, 0, big1));
    CHECK_CL(clSetKernelArgSVMPointer(k, 0, big2 + 1000));
    set_v(k, 1, 3);
    launch(k);
    expect("heap-sized pointer", big2 + 1000, N, 3);
    expect("heap-sized pointer replaced", big1, N, 0);

    /* A buffer set on the index after an SVM pointer: the launch sees the buffer. */
    cl_mem buf = icd_test_buffer(e.context, CL_MEM_READ_WRITE, N * sizeof(int), NULL);
    int zero[N] = {0};
    CHECK_CL(clEnqueueWriteBuffer(e.queue, buf, CL_TRUE, 0, sizeof zero, zero, 0, NULL, NULL));
    CHECK_CL(clSetKernelArgSVMPointer(k, 0, a));
    set_v(k, 1, 13);
    launch(k);
    expect("before the buffer", a, N, 13);
    memset(a, 0, 256);
    CHECK_CL(clSetKernelArgSVMPointer(k, 0, a));
    CHECK_CL(clSetKernelArg(k, 0, sizeof buf, &buf));
    set_v(k, 1, 4);
    launch(k);
    int got[N];
    CHECK_CL(clEnqueueReadBuffer(e.queue, buf, CL_TRUE, 0, sizeof got, got, 0, NULL, NULL));
    expect("buffer after an SVM pointer", got, N, 4);
    expect("SVM pointer replaced by a buffer", a, N, 0);
    /* And the SVM pointer the backend had before the buffer, set again after it. */
    CHECK_CL(clSetKernelArgSVMPointer(k, 0, a));
    set_v(k, 1, 5);
    launch(k);
    expect("SVM pointer after a buffer", a, N, 5);
    CHECK_CL(clEnqueueReadBuffer(e.queue, buf, CL_TRUE, 0, sizeof got, got, 0, NULL, NULL));
    expect("buffer replaced by the SVM pointer", got, N, 4);

    /* The pointer the backend has, set again after another one: back to the first. */
    memset(b, 0, 256);
    CHECK_CL(clSetKernelArgSVMPointer(k, 0, b));
    CHECK_CL(clSetKernelArgSVMPointer(k, 0, a));
    set_v(k, 1, 12);
    launch(k);
    expect("the backend's pointer set again", a, N, 12);
    expect("the pointer between", b, N, 0);

    /* NULL after a pending pointer: the kernel sees NULL and writes nothing. */
    CHECK_CL(clSetKernelArgSVMPointer(k, 0, b));
    CHECK_CL(clSetKernelArgSVMPointer(k, 0, NULL));
    set_v(k, 1, 6);
    launch(k);
    expect("NULL after a pointer", b, N, 0);

    /* A failed set keeps the pointer before it: a freed allocation (unless every host pointer is
     * an SVM pointer), an index out of range, an argument that takes no pointer. */
    int *gone = fresh(256);
    CHECK_CL(clSetKernelArgSVMPointer(k, 0, b));
    clSVMFree(e.context, gone);
    if (e.is_clsvm && !(e.caps & CL_DEVICE_SVM_FINE_GRAIN_SYSTEM))
        SVM_EXPECT_ERR(clSetKernelArgSVMPointer(k, 0, gone), CL_INVALID_ARG_VALUE);
    SVM_EXPECT_ERR(clSetKernelArgSVMPointer(k, 2, c), CL_INVALID_ARG_INDEX);
    SVM_EXPECT_ERR(clSetKernelArgSVMPointer(k, 1, c), CL_INVALID_ARG_VALUE);
    SVM_EXPECT_ERR(clSetKernelArg(k, 0, 3, &buf), CL_INVALID_ARG_SIZE);
    cl_mem freed_buf = icd_test_buffer(e.context, CL_MEM_READ_WRITE, 64, NULL);
    CHECK_CL(clReleaseMemObject(freed_buf));
    if (e.is_clsvm)
        SVM_EXPECT_ERR(clSetKernelArg(k, 0, sizeof freed_buf, &freed_buf), CL_INVALID_MEM_OBJECT);
    set_v(k, 1, 7);
    launch(k);
    expect("pointer kept across failed sets", b, N, 7);

    /* Under fine-grain system SVM a host pointer replaces a pending SVM pointer. */
    if (e.caps & CL_DEVICE_SVM_FINE_GRAIN_SYSTEM) {
        int *host = calloc(N, sizeof(int));
        CHECK(host != NULL);
        memset(c, 0, 256);
        CHECK_CL(clSetKernelArgSVMPointer(k, 0, c));
        CHECK_CL(clSetKernelArgSVMPointer(k, 0, host));
        set_v(k, 1, 8);
        launch(k);
        expect("host pointer after an SVM pointer", host, N, 8);
        expect("SVM pointer replaced by a host pointer", c, N, 0);
        free(host);
    }

    /* A task reads the arguments too. */
    memset(a, 0, 256);
    memset(b, 0, 256);
    CHECK_CL(clSetKernelArgSVMPointer(k, 0, b));
    CHECK_CL(clSetKernelArgSVMPointer(k, 0, a));
    set_v(k, 1, 9);
    task(k);
    expect("task", a, 1, 9);
    expect("task: replaced pointer", b, 1, 0);

    /* A clone copies the arguments set so far, pending ones included; the source keeps them. */
    memset(a, 0, 256);
    memset(c, 0, 256);
    CHECK_CL(clSetKernelArgSVMPointer(k, 0, c));
    CHECK_CL(clSetKernelArgSVMPointer(k, 0, a));
    set_v(k, 1, 10);
    cl_int err = CL_SUCCESS;
    cl_kernel clone = clCloneKernel(k, &err);
    CHECK_CL(err);
    launch(clone);
    expect("clone", a, N, 10);
    expect("clone: replaced pointer", c, N, 0);
    CHECK_CL(clSetKernelArgSVMPointer(clone, 0, c));
    CHECK_CL(clSetKernelArgSVMPointer(clone, 0, b));
    set_v(clone, 1, 11);
    memset(a, 0, 256);
    launch(k);
    expect("source after its clone changed", a, N, 10);
    launch(clone);
    expect("clone's own pointer", b, N, 11);
    CHECK_CL(clReleaseKernel(clone));

    /* Two pointer arguments, each pending. */
    cl_kernel k2 = icd_test_kernel(prog, "two");
    memset(a, 0, 256);
    memset(b, 0, 256);
    memset(c, 0, 256);
    CHECK_CL(clSetKernelArgSVMPointer(k2, 0, a));
    CHECK_CL(clSetKernelArgSVMPointer(k2, 2, a + 1));
    set_v(k2, 1, 20);
    task(k2);
    CHECK_CL(clSetKernelArgSVMPointer(k2, 0, b));
    CHECK_CL(clSetKernelArgSVMPointer(k2, 2, c));
    set_v(k2, 1, 30);
    task(k2);
    expect("first argument", b, 1, 30);
    expect("second argument", c, 1, 31);
    expect("first launch, first argument", a, 1, 20);
    expect("first launch, second argument", a + 1, 1, 21);
    CHECK_CL(clReleaseKernel(k2));

    CHECK_CL(clReleaseKernel(k));
    CHECK_CL(clReleaseMemObject(buf));
    CHECK_CL(clReleaseProgram(prog));
    int *all[] = {a, b, c, big1, big2};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        clSVMFree(e.context, all[i]);
    svm_env_close(&e);
    return svm_exit_code();
}
