/* svm_fine_grain_buffers: fine-grain buffer SVM (OpenCL 3.0 API 5.6.1: no map or unmap needed;
 * host and device see each other's stores at synchronization points such as kernel completion):
 * host-built linked lists are updated by a kernel and read back directly, kernel-built lists
 * are walked directly, and the host changes data between kernels with no SVM command at all.
 * Repeated with and without CL_MEM_SVM_ATOMICS. */
#include "conf.h"

static const char *src =
    "typedef struct node { global struct node *next; int value; int pad; } node;\n"
    "kernel void k_walk(global node *pool, global int *count)\n"
    "{\n"
    "    uint l = get_global_id(0);\n"
    "    int n = 0;\n"
    "    for (global node *p = &pool[l]; p && n < 100000; p = p->next, n++)\n"
    "        p->value = p->value * 2 + 1;\n"
    "    count[l] = n;\n"
    "}\n"
    "kernel void k_relink(global node *pool, uint len)\n"
    "{\n"
    "    uint l = get_global_id(0);\n"
    "    global node *first = &pool[l * len];\n"
    "    for (uint i = 0; i < len; i++)\n"
    "        first[i].next = i > 0 ? &first[i - 1] : 0;\n"
    "}\n";

typedef struct node {
    struct node *next;
    cl_int value;
    cl_int pad;
} node;

enum { NLISTS = 8, LEN = 250, NODES = NLISTS * LEN };

static void round_trip(const conf_env *e, cl_kernel walk, cl_kernel relink, cl_svm_mem_flags flags)
{
    node *pool = conf_alloc(e, flags, NODES * sizeof(node));
    cl_int *count = conf_alloc(e, flags, NLISTS * sizeof(cl_int));
    for (int i = 0; i < NODES; i++) {
        pool[i].value = i;
        pool[i].next = i + NLISTS < NODES ? &pool[i + NLISTS] : NULL;
    }
    CHECK_CL(clSetKernelArgSVMPointer(walk, 0, pool));
    CHECK_CL(clSetKernelArgSVMPointer(walk, 1, count));
    for (int pass = 0; pass < 3; pass++) {
        conf_run(e, walk, NLISTS);
        for (int l = 0; l < NLISTS; l++)
            CHECK_EQ(count[l], LEN);
        /* Before pass k the host stored i + 10k (k = 0: the initial i); the kernel doubles
         * and adds one, seen here without any map. */
        for (int i = 0; i < NODES; i++)
            CHECK_MSG(pool[i].value == 2 * (i + 10 * pass) + 1, "pass %d node %d = %d", pass, i,
                      pool[i].value);
        for (int i = 0; i < NODES; i++)
            pool[i].value = i + 10 * (pass + 1);
    }
    conf_run(e, walk, NLISTS);
    for (int i = 0; i < NODES; i++)
        CHECK_MSG(pool[i].value == 2 * (i + 30) + 1, "node %d = %d", i, pool[i].value);

    /* The kernel relinks each block of LEN nodes backwards; the host follows the new links. */
    cl_uint len = LEN;
    CHECK_CL(clSetKernelArgSVMPointer(relink, 0, pool));
    CHECK_CL(clSetKernelArg(relink, 1, sizeof len, &len));
    conf_run(e, relink, NLISTS);
    for (int l = 0; l < NLISTS; l++) {
        int n = 0;
        for (node *q = &pool[l * LEN + LEN - 1]; q; q = q->next, n++)
            CHECK(n < LEN && q == &pool[l * LEN + LEN - 1 - n]);
        CHECK_EQ(n, LEN);
    }
    clSVMFree(e->context, pool);
    clSVMFree(e->context, count);
}

int main(void)
{
    conf_env e;
    conf_open(&e);
    CHECK(conf_has(&e, CL_DEVICE_SVM_FINE_GRAIN_BUFFER));
    cl_program p = conf_program(&e, src, NULL);
    cl_kernel walk = conf_kernel(p, "k_walk"), relink = conf_kernel(p, "k_relink");
    round_trip(&e, walk, relink, CL_MEM_SVM_FINE_GRAIN_BUFFER);
    round_trip(&e, walk, relink, CL_MEM_READ_WRITE | CL_MEM_SVM_FINE_GRAIN_BUFFER);
    if (conf_has(&e, CL_DEVICE_SVM_ATOMICS))
        round_trip(&e, walk, relink, CL_MEM_SVM_FINE_GRAIN_BUFFER | CL_MEM_SVM_ATOMICS);
    CHECK_CL(clReleaseKernel(walk));
    CHECK_CL(clReleaseKernel(relink));
    CHECK_CL(clReleaseProgram(p));
    conf_close(&e);
    printf("ok\n");
    return 0;
}
