/*
 * test_fault_icd <mode>: provider faults seen through the OpenCL API (ctest sets CLSVM_FAULT,
 * which clsvm reads once per process, so each mode is its own ctest run):
 *  commit   (CLSVM_FAULT=commit:3)   exactly one clSVMAlloc returns NULL; earlier buffers keep
 *                                    their data; later ones succeed; SVM enqueues work on them.
 *  commit+  (CLSVM_FAULT=commit:1+)  every clSVMAlloc returns NULL, nothing else breaks.
 *  decommit (CLSVM_FAULT=decommit:1+) clSVMFree and clEnqueueSVMFree still succeed and the
 *                                    memory is reused.
 *  reserve  (CLSVM_FAULT=reserve:1)  no window: the device reports no SVM, clSVMAlloc returns
 *                                    NULL, buffers and kernels still work.
 * No enqueue path commits or decommits except clEnqueueSVMFree (which tolerates a failed
 * decommit), so no enqueue is expected to fail with CL_OUT_OF_RESOURCES here.
 */
#include "svm/svm_test.h"

#define MiB ((size_t)1 << 20)
#define NBUF 8

static void fill_check(unsigned char *p, size_t n, unsigned char v, int write)
{
    for (size_t i = 0; i < n; i += 4096) {
        if (write)
            p[i] = v;
        else
            CHECK_MSG(p[i] == v, "byte %zu of %p is %u, expected %u", i, (void *)p, p[i], v);
    }
}

/* Map (coarse-grain SVM needs it for host access), fill or check, unmap. */
static void touch(const svm_env *e, unsigned char *p, size_t n, unsigned char v, int write)
{
    CHECK_CL(clEnqueueSVMMap(e->queue, CL_TRUE, CL_MAP_READ | CL_MAP_WRITE, p, n, 0, NULL, NULL));
    fill_check(p, n, v, write);
    CHECK_CL(clEnqueueSVMUnmap(e->queue, p, 0, NULL, NULL));
    CHECK_CL(clFinish(e->queue));
}

static void mode_commit(svm_env *e, int all_fail)
{
    unsigned char *buf[NBUF];
    int nulls = 0, first_null = -1;
    for (int i = 0; i < NBUF; i++) {
        buf[i] = clSVMAlloc(e->context, CL_MEM_READ_WRITE, 4 * MiB, 0);
        if (!buf[i]) {
            nulls++;
            if (first_null < 0)
                first_null = i;
            continue;
        }
        svm_check_window(e, buf[i], 4 * MiB);
        touch(e, buf[i], 4 * MiB, (unsigned char)(i + 1), 1);
        /* Every buffer made before keeps its data. */
        for (int j = 0; j < i; j++)
            if (buf[j])
                touch(e, buf[j], 4 * MiB, (unsigned char)(j + 1), 0);
    }
    if (all_fail) {
        CHECK_EQ(nulls, NBUF);
        /* Non-SVM work is unaffected. */
        int host[64] = {0};
        cl_mem m = icd_test_buffer(e->context, CL_MEM_READ_WRITE, sizeof host, NULL);
        for (int i = 0; i < 64; i++)
            host[i] = i * 3;
        CHECK_CL(clEnqueueWriteBuffer(e->queue, m, CL_TRUE, 0, sizeof host, host, 0, NULL, NULL));
        int back[64] = {0};
        CHECK_CL(clEnqueueReadBuffer(e->queue, m, CL_TRUE, 0, sizeof back, back, 0, NULL, NULL));
        CHECK(!memcmp(host, back, sizeof host));
        CHECK_CL(clReleaseMemObject(m));
        return;
    }
    CHECK_MSG(nulls == 1, "%d clSVMAlloc calls returned NULL, expected exactly 1", nulls);
    CHECK_MSG(first_null <= 2, "the NULL came at allocation %d, not within the first 3",
              first_null);
    /* SVM commands on the surviving buffers work: copy one into another, fill a third. */
    unsigned char *a = NULL, *b = NULL, *c = NULL;
    for (int i = 0; i < NBUF; i++)
        if (buf[i]) {
            if (!a)
                a = buf[i];
            else if (!b)
                b = buf[i];
            else if (!c)
                c = buf[i];
        }
    CHECK_CL(clEnqueueSVMMemcpy(e->queue, CL_TRUE, b, a, 4 * MiB, 0, NULL, NULL));
    unsigned char pat = 0x6b;
    CHECK_CL(clEnqueueSVMMemFill(e->queue, c, &pat, 1, 4 * MiB, 0, NULL, NULL));
    CHECK_CL(clFinish(e->queue));
    CHECK_CL(clEnqueueSVMMap(e->queue, CL_TRUE, CL_MAP_READ, a, 4 * MiB, 0, NULL, NULL));
    CHECK_CL(clEnqueueSVMMap(e->queue, CL_TRUE, CL_MAP_READ, b, 4 * MiB, 0, NULL, NULL));
    CHECK_CL(clEnqueueSVMMap(e->queue, CL_TRUE, CL_MAP_READ, c, 4 * MiB, 0, NULL, NULL));
    CHECK(!memcmp(a, b, 4 * MiB));
    fill_check(c, 4 * MiB, pat, 0);
    CHECK_CL(clEnqueueSVMUnmap(e->queue, a, 0, NULL, NULL));
    CHECK_CL(clEnqueueSVMUnmap(e->queue, b, 0, NULL, NULL));
    CHECK_CL(clEnqueueSVMUnmap(e->queue, c, 0, NULL, NULL));
    CHECK_CL(clFinish(e->queue));
    for (int i = 0; i < NBUF; i++)
        clSVMFree(e->context, buf[i]);
}

static void mode_decommit(svm_env *e)
{
    for (int round = 0; round < 4; round++) {
        unsigned char *keep = clSVMAlloc(e->context, CL_MEM_READ_WRITE, MiB, 0);
        unsigned char *big = clSVMAlloc(e->context, CL_MEM_READ_WRITE, 32 * MiB, 0);
        unsigned char *big2 = clSVMAlloc(e->context, CL_MEM_READ_WRITE, 32 * MiB, 0);
        CHECK(keep && big && big2);
        touch(e, keep, MiB, 0x11, 1);
        touch(e, big, 32 * MiB, 0x22, 1);
        clSVMFree(e->context, big);
        void *list[1] = {big2};
        cl_event ev;
        CHECK_CL(clEnqueueSVMFree(e->queue, 1, list, NULL, NULL, 0, NULL, &ev));
        CHECK_CL(clWaitForEvents(1, &ev));
        CHECK_EQ(svm_event_status(ev), CL_COMPLETE);
        CHECK_CL(clReleaseEvent(ev));
        touch(e, keep, MiB, 0x11, 0);
        clSVMFree(e->context, keep);
    }
}

static void mode_reserve(svm_env *e)
{
    CHECK_MSG(e->caps == 0, "device reports SVM capabilities %#llx without a window",
              (unsigned long long)e->caps);
    CHECK(clSVMAlloc(e->context, CL_MEM_READ_WRITE, 4096, 0) == NULL);
    CHECK(clSVMAlloc(e->context, CL_MEM_READ_WRITE, 4096, 0) == NULL);
    clSVMFree(e->context, NULL);
    int x = 0;
    clSVMFree(e->context, &x); /* not SVM: ignored */
    static const char src[] = "__kernel void k(__global int *a) { a[get_global_id(0)] *= 2; }";
    cl_program prog = icd_test_program(e->context, e->device, src, NULL);
    cl_kernel k = icd_test_kernel(prog, "k");
    int host[256];
    for (int i = 0; i < 256; i++)
        host[i] = i;
    cl_mem m =
        icd_test_buffer(e->context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, sizeof host, host);
    CHECK_CL(clSetKernelArg(k, 0, sizeof m, &m));
    size_t gws = 256;
    CHECK_CL(clEnqueueNDRangeKernel(e->queue, k, 1, NULL, &gws, NULL, 0, NULL, NULL));
    CHECK_CL(clEnqueueReadBuffer(e->queue, m, CL_TRUE, 0, sizeof host, host, 0, NULL, NULL));
    for (int i = 0; i < 256; i++)
        CHECK_EQ(host[i], 2 * i);
    CHECK_CL(clReleaseMemObject(m));
    CHECK_CL(clReleaseKernel(k));
    CHECK_CL(clReleaseProgram(prog));
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s commit|commit+|decommit|reserve (with CLSVM_FAULT set)\n",
                argv[0]);
        return 2;
    }
    svm_env e;
    svm_env_open(&e);
    if (!e.is_clsvm) {
        printf("not clsvm: fault injection does not apply; skipped\n");
        return SVM_TEST_SKIP;
    }
    if (!strcmp(argv[1], "commit"))
        mode_commit(&e, 0);
    else if (!strcmp(argv[1], "commit+"))
        mode_commit(&e, 1);
    else if (!strcmp(argv[1], "decommit"))
        mode_decommit(&e);
    else if (!strcmp(argv[1], "reserve"))
        mode_reserve(&e);
    else
        CHECK_MSG(0, "unknown mode %s", argv[1]);
    svm_env_close(&e);
    printf("ok\n");
    return 0;
}
