/* svm_coarse_grain_old_api: coarse-grain SVM used through the OpenCL 1.x buffer API (OpenCL 3.0
 * API 5.6.1: a buffer created with CL_MEM_USE_HOST_PTR on a clSVMAlloc pointer "has the shared
 * memory as the underlying storage"): the buffer is passed with clSetKernelArg and accessed with
 * clEnqueueMapBuffer / clEnqueueUnmapMemObject, yet pointers stored in it are SVM pointers, so
 * host-built lists are walked by a kernel and kernel-built lists by the host. */
#include "conf.h"

static const char *src =
    "typedef struct node { global struct node *next; int value; int pad; } node;\n"
    "kernel void k_walk(global node *pool, global int *count)\n"
    "{\n"
    "    uint l = get_global_id(0);\n"
    "    int n = 0;\n"
    "    for (global node *p = &pool[l]; p && n < 100000; p = p->next, n++)\n"
    "        p->value += 1000;\n"
    "    count[l] = n;\n"
    "}\n"
    "kernel void k_build(global node *pool, uint len, global ulong *heads)\n"
    "{\n"
    "    uint l = get_global_id(0);\n"
    "    global node *first = &pool[l * len];\n"
    "    for (uint i = 0; i < len; i++) {\n"
    "        first[i].value = (int)(l * 100000 + i);\n"
    "        first[i].next = i + 1 < len ? &first[i + 1] : 0;\n"
    "    }\n"
    "    heads[l] = (ulong)first;\n"
    "}\n";

typedef struct node {
    struct node *next;
    cl_int value;
    cl_int pad;
} node;

enum { NLISTS = 16, LEN = 200, NODES = NLISTS * LEN };

static void *map(const conf_env *e, cl_mem m, cl_map_flags f, size_t size, void *want)
{
    cl_int err = CL_SUCCESS;
    void *p = clEnqueueMapBuffer(e->queue, m, CL_TRUE, f, 0, size, 0, NULL, NULL, &err);
    CHECK_CL(err);
    /* A USE_HOST_PTR buffer maps at its host pointer: here, the SVM allocation. */
    CHECK(p == want);
    return p;
}

int main(void)
{
    conf_env e;
    conf_open(&e);
    cl_program p = conf_program(&e, src, NULL);
    cl_kernel walk = conf_kernel(p, "k_walk"), build = conf_kernel(p, "k_build");
    node *pool = conf_alloc(&e, CL_MEM_READ_WRITE, NODES * sizeof(node));
    cl_int *count = conf_alloc(&e, CL_MEM_READ_WRITE, NLISTS * sizeof(cl_int));
    cl_ulong *heads = conf_alloc(&e, CL_MEM_READ_WRITE, NLISTS * sizeof(cl_ulong));
    cl_int err = CL_SUCCESS;
    cl_mem mpool = clCreateBuffer(e.context, CL_MEM_READ_WRITE | CL_MEM_USE_HOST_PTR,
                                  NODES * sizeof(node), pool, &err);
    CHECK_CL(err);
    cl_mem mcount = clCreateBuffer(e.context, CL_MEM_READ_WRITE | CL_MEM_USE_HOST_PTR,
                                   NLISTS * sizeof(cl_int), count, &err);
    CHECK_CL(err);
    cl_mem mheads = clCreateBuffer(e.context, CL_MEM_READ_WRITE | CL_MEM_USE_HOST_PTR,
                                   NLISTS * sizeof(cl_ulong), heads, &err);
    CHECK_CL(err);

    node *h = map(&e, mpool, CL_MAP_WRITE, NODES * sizeof(node), pool);
    for (int i = 0; i < NODES; i++) {
        h[i].value = i;
        h[i].next = i + NLISTS < NODES ? &pool[i + NLISTS] : NULL;
    }
    CHECK_CL(clEnqueueUnmapMemObject(e.queue, mpool, h, 0, NULL, NULL));
    CHECK_CL(clSetKernelArg(walk, 0, sizeof mpool, &mpool));
    CHECK_CL(clSetKernelArg(walk, 1, sizeof mcount, &mcount));
    conf_run(&e, walk, NLISTS);
    h = map(&e, mpool, CL_MAP_READ, NODES * sizeof(node), pool);
    cl_int *c = map(&e, mcount, CL_MAP_READ, NLISTS * sizeof(cl_int), count);
    for (int l = 0; l < NLISTS; l++)
        CHECK_EQ(c[l], LEN);
    for (int i = 0; i < NODES; i++)
        CHECK_MSG(h[i].value == i + 1000, "node %d = %d", i, h[i].value);
    CHECK_CL(clEnqueueUnmapMemObject(e.queue, mpool, h, 0, NULL, NULL));
    CHECK_CL(clEnqueueUnmapMemObject(e.queue, mcount, c, 0, NULL, NULL));

    cl_uint len = LEN;
    CHECK_CL(clSetKernelArg(build, 0, sizeof mpool, &mpool));
    CHECK_CL(clSetKernelArg(build, 1, sizeof len, &len));
    CHECK_CL(clSetKernelArg(build, 2, sizeof mheads, &mheads));
    conf_run(&e, build, NLISTS);
    h = map(&e, mpool, CL_MAP_READ, NODES * sizeof(node), pool);
    cl_ulong *hd = map(&e, mheads, CL_MAP_READ, NLISTS * sizeof(cl_ulong), heads);
    for (int l = 0; l < NLISTS; l++) {
        CHECK(hd[l] == (cl_ulong)(uintptr_t)&pool[l * LEN]);
        int n = 0;
        for (node *q = (node *)(uintptr_t)hd[l]; q; q = q->next, n++) {
            CHECK(n < LEN && q == &pool[l * LEN + n]);
            CHECK_EQ(q->value, l * 100000 + n);
        }
        CHECK_EQ(n, LEN);
    }
    CHECK_CL(clEnqueueUnmapMemObject(e.queue, mpool, h, 0, NULL, NULL));
    CHECK_CL(clEnqueueUnmapMemObject(e.queue, mheads, hd, 0, NULL, NULL));
    CHECK_CL(clFinish(e.queue));
    CHECK_CL(clReleaseMemObject(mpool));
    CHECK_CL(clReleaseMemObject(mcount));
    CHECK_CL(clReleaseMemObject(mheads));
    clSVMFree(e.context, pool);
    clSVMFree(e.context, count);
    clSVMFree(e.context, heads);
    CHECK_CL(clReleaseKernel(walk));
    CHECK_CL(clReleaseKernel(build));
    CHECK_CL(clReleaseProgram(p));
    conf_close(&e);
    printf("ok\n");
    return 0;
}
