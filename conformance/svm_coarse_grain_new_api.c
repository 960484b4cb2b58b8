/* svm_coarse_grain_new_api: coarse-grain buffer SVM with the SVM API (OpenCL 3.0 API 5.6.1-2):
 * pointers are shared between host and device, so linked lists built by the host inside a
 * clSVMAlloc allocation (under clEnqueueSVMMap) are walked by a kernel, and lists a kernel
 * links with device pointers are walked by the host after clEnqueueSVMMap, exactly. */
#include "conf.h"

static const char *src =
    "typedef struct node { global struct node *next; int value; int pad; } node;\n"
    "kernel void k_walk(global node *pool, uint nlists, global int *count)\n"
    "{\n"
    "    uint l = get_global_id(0);\n"
    "    int n = 0;\n"
    "    for (global node *p = &pool[l]; p && n < 100000; p = p->next, n++)\n"
    "        p->value += 1000;\n"
    "    count[l] = n;\n"
    "}\n"
    "kernel void k_build(global node *pool, uint len, global node *global *heads)\n"
    "{\n"
    "    uint l = get_global_id(0);\n"
    "    global node *first = &pool[l * len];\n"
    "    for (uint i = 0; i < len; i++) {\n"
    "        first[i].value = (int)(l * 100000 + i);\n"
    "        first[i].next = i + 1 < len ? &first[i + 1] : 0;\n"
    "    }\n"
    "    heads[l] = first;\n"
    "}\n";

typedef struct node {
    struct node *next;
    cl_int value;
    cl_int pad;
} node;

enum { NLISTS = 16, LEN = 200, NODES = NLISTS * LEN };

int main(void)
{
    conf_env e;
    conf_open(&e);
    cl_program p = conf_program(&e, src, NULL);
    cl_kernel walk = conf_kernel(p, "k_walk"), build = conf_kernel(p, "k_build");
    node *pool = conf_alloc(&e, CL_MEM_READ_WRITE, NODES * sizeof(node));
    cl_int *count = conf_alloc(&e, CL_MEM_READ_WRITE, NLISTS * sizeof(cl_int));
    node **heads = conf_alloc(&e, CL_MEM_READ_WRITE, NLISTS * sizeof(node *));

    /* Host builds interleaved lists: node i belongs to list i % NLISTS. */
    CHECK_CL(
        clEnqueueSVMMap(e.queue, CL_TRUE, CL_MAP_WRITE, pool, NODES * sizeof(node), 0, NULL, NULL));
    for (int i = 0; i < NODES; i++) {
        pool[i].value = i;
        pool[i].next = i + NLISTS < NODES ? &pool[i + NLISTS] : NULL;
    }
    CHECK_CL(clEnqueueSVMUnmap(e.queue, pool, 0, NULL, NULL));
    cl_uint nl = NLISTS;
    CHECK_CL(clSetKernelArgSVMPointer(walk, 0, pool));
    CHECK_CL(clSetKernelArg(walk, 1, sizeof nl, &nl));
    CHECK_CL(clSetKernelArgSVMPointer(walk, 2, count));
    conf_run(&e, walk, NLISTS);
    CHECK_CL(
        clEnqueueSVMMap(e.queue, CL_TRUE, CL_MAP_READ, pool, NODES * sizeof(node), 0, NULL, NULL));
    CHECK_CL(clEnqueueSVMMap(e.queue, CL_TRUE, CL_MAP_READ, count, NLISTS * sizeof(cl_int), 0, NULL,
                             NULL));
    for (int l = 0; l < NLISTS; l++)
        CHECK_EQ(count[l], LEN);
    for (int i = 0; i < NODES; i++)
        CHECK_MSG(pool[i].value == i + 1000, "node %d = %d", i, pool[i].value);
    CHECK_CL(clEnqueueSVMUnmap(e.queue, pool, 0, NULL, NULL));
    CHECK_CL(clEnqueueSVMUnmap(e.queue, count, 0, NULL, NULL));

    /* The kernel links lists with its own pointers; the host follows them. */
    cl_uint len = LEN;
    CHECK_CL(clSetKernelArgSVMPointer(build, 0, pool));
    CHECK_CL(clSetKernelArg(build, 1, sizeof len, &len));
    CHECK_CL(clSetKernelArgSVMPointer(build, 2, heads));
    conf_run(&e, build, NLISTS);
    CHECK_CL(
        clEnqueueSVMMap(e.queue, CL_TRUE, CL_MAP_READ, pool, NODES * sizeof(node), 0, NULL, NULL));
    CHECK_CL(clEnqueueSVMMap(e.queue, CL_TRUE, CL_MAP_READ, heads, NLISTS * sizeof(node *), 0, NULL,
                             NULL));
    for (int l = 0; l < NLISTS; l++) {
        CHECK(heads[l] == &pool[l * LEN]);
        int n = 0;
        for (node *q = heads[l]; q; q = q->next, n++) {
            CHECK(n < LEN && q == &pool[l * LEN + n]);
            CHECK_EQ(q->value, l * 100000 + n);
        }
        CHECK_EQ(n, LEN);
    }
    CHECK_CL(clEnqueueSVMUnmap(e.queue, pool, 0, NULL, NULL));
    CHECK_CL(clEnqueueSVMUnmap(e.queue, heads, 0, NULL, NULL));
    CHECK_CL(clFinish(e.queue));
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
