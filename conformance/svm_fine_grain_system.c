/* svm_fine_grain_system: fine-grain system SVM (OpenCL 3.0 API 5.6.1, 5.9.2). When the device
 * reports CL_DEVICE_SVM_FINE_GRAIN_SYSTEM (clsvm: CLSVM_VA_BITS 47/48) any host memory, malloc'd
 * or on the stack, is shared with kernels: a kernel walks and updates a malloc'd linked list,
 * reads a stack array, and atomically counts with a host thread on a malloc'd counter; the SVM
 * commands take malloc'd pointers. Without it, the spec's required refusals are checked:
 * clSetKernelExecInfo(CL_KERNEL_EXEC_INFO_SVM_FINE_GRAIN_SYSTEM, CL_TRUE) is
 * CL_INVALID_OPERATION, and a malloc'd pointer is no SVM kernel argument. */
#include "conf.h"

#include <pthread.h>

static const char *src =
    "typedef struct node { global struct node *next; int value; int seen; } node;\n"
    "kernel void k_walk(global node *head, global int *out)\n"
    "{\n"
    "    int sum = 0, n = 0;\n"
    "    for (global node *p = head; p && n < 100000; p = p->next, n++) {\n"
    "        sum += p->value;\n"
    "        p->seen = n;\n"
    "    }\n"
    "    out[0] = n;\n"
    "    out[1] = sum;\n"
    "}\n"
    "kernel void k_sum(global const int *a, uint n, global int *out)\n"
    "{ int s = 0; for (uint i = 0; i < n; i++) s += a[i]; out[0] = s; }\n"
    "kernel void k_count(global atomic_int *c, uint reps)\n"
    "{\n"
    "    for (uint r = 0; r < reps; r++)\n"
    "        atomic_fetch_add_explicit(c, 1, memory_order_relaxed, memory_scope_all_svm_devices);\n"
    "}\n";

typedef struct node {
    struct node *next;
    cl_int value;
    cl_int seen;
} node;

enum { NODES = 1000, HOST_ADDS = 100000, ITEMS = 64, REPS = 500 };

static void *host_count(void *arg)
{
    int *c = arg;
    for (int i = 0; i < HOST_ADDS; i++)
        __atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
    return NULL;
}

static void not_supported(const conf_env *e, cl_kernel k)
{
    cl_bool yes = CL_TRUE, no = CL_FALSE;
    CHECK_ERR(clSetKernelExecInfo(k, CL_KERNEL_EXEC_INFO_SVM_FINE_GRAIN_SYSTEM, sizeof yes, &yes),
              CL_INVALID_OPERATION);
    CHECK_CL(clSetKernelExecInfo(k, CL_KERNEL_EXEC_INFO_SVM_FINE_GRAIN_SYSTEM, sizeof no, &no));
    node *m = malloc(sizeof *m);
    CHECK(m);
    CHECK_ERR(clSetKernelArgSVMPointer(k, 0, m), CL_INVALID_ARG_VALUE);
    free(m);
    (void)e;
}

static void supported(const conf_env *e, cl_program p, cl_kernel walk)
{
    cl_bool yes = CL_TRUE;
    CHECK_CL(
        clSetKernelExecInfo(walk, CL_KERNEL_EXEC_INFO_SVM_FINE_GRAIN_SYSTEM, sizeof yes, &yes));
    /* A malloc'd list: only the head is an argument, the kernel follows host pointers. */
    node **nodes = malloc(NODES * sizeof *nodes);
    CHECK(nodes);
    for (int i = 0; i < NODES; i++) {
        nodes[i] = malloc(sizeof(node));
        CHECK(nodes[i]);
        nodes[i]->value = i * 3;
        nodes[i]->seen = -1;
    }
    for (int i = 0; i < NODES; i++)
        nodes[i]->next = i + 1 < NODES ? nodes[i + 1] : NULL;
    int *out = malloc(2 * sizeof(int));
    CHECK(out);
    out[0] = out[1] = -7;
    CHECK_CL(clSetKernelArgSVMPointer(walk, 0, nodes[0]));
    CHECK_CL(clSetKernelArgSVMPointer(walk, 1, out));
    conf_run(e, walk, 1);
    CHECK_EQ(out[0], NODES);
    CHECK_EQ(out[1], 3 * NODES * (NODES - 1) / 2);
    for (int i = 0; i < NODES; i++)
        CHECK_EQ(nodes[i]->seen, i);

    /* Stack memory is system memory too. */
    int stack[100];
    for (int i = 0; i < 100; i++)
        stack[i] = i + 1;
    cl_kernel sum = conf_kernel(p, "k_sum");
    cl_uint n = 100;
    CHECK_CL(clSetKernelArgSVMPointer(sum, 0, stack));
    CHECK_CL(clSetKernelArg(sum, 1, sizeof n, &n));
    CHECK_CL(clSetKernelArgSVMPointer(sum, 2, out));
    conf_run(e, sum, 1);
    CHECK_EQ(out[0], 5050);

    /* Atomics on malloc'd memory, host and device at once (system SVM with SVM atomics). */
    if (conf_has(e, CL_DEVICE_SVM_ATOMICS)) {
        int *c = malloc(sizeof *c);
        CHECK(c);
        *c = 11;
        cl_kernel cnt = conf_kernel(p, "k_count");
        cl_uint reps = REPS;
        CHECK_CL(clSetKernelArgSVMPointer(cnt, 0, c));
        CHECK_CL(clSetKernelArg(cnt, 1, sizeof reps, &reps));
        size_t items = ITEMS;
        CHECK_CL(clEnqueueNDRangeKernel(e->queue, cnt, 1, NULL, &items, NULL, 0, NULL, NULL));
        CHECK_CL(clFlush(e->queue));
        pthread_t t;
        CHECK(pthread_create(&t, NULL, host_count, c) == 0);
        CHECK(pthread_join(t, NULL) == 0);
        CHECK_CL(clFinish(e->queue));
        CHECK_EQ(*c, 11 + ITEMS * REPS + HOST_ADDS);
        free(c);
        CHECK_CL(clReleaseKernel(cnt));
    }

    /* The SVM commands take system pointers. */
    int *a = malloc(64 * sizeof(int)), *b = malloc(64 * sizeof(int));
    CHECK(a && b);
    int pat = 0x01020304;
    CHECK_CL(clEnqueueSVMMemFill(e->queue, a, &pat, sizeof pat, 64 * sizeof(int), 0, NULL, NULL));
    CHECK_CL(clEnqueueSVMMemcpy(e->queue, CL_TRUE, b, a, 64 * sizeof(int), 0, NULL, NULL));
    for (int i = 0; i < 64; i++)
        CHECK_EQ(b[i], 0x01020304);
    CHECK_CL(clEnqueueSVMMap(e->queue, CL_TRUE, CL_MAP_READ, b, 64 * sizeof(int), 0, NULL, NULL));
    CHECK_CL(clEnqueueSVMUnmap(e->queue, b, 0, NULL, NULL));
    const void *mig[1] = {b};
    size_t msz[1] = {64 * sizeof(int)};
    CHECK_CL(clEnqueueSVMMigrateMem(e->queue, 1, mig, msz, 0, 0, NULL, NULL));
    CHECK_CL(clFinish(e->queue));
    free(a);
    free(b);
    for (int i = 0; i < NODES; i++)
        free(nodes[i]);
    free(nodes);
    free(out);
    CHECK_CL(clReleaseKernel(sum));
}

int main(void)
{
    conf_env e;
    conf_open(&e);
    cl_program p = conf_program(&e, src, "-cl-std=CL2.0");
    cl_kernel walk = conf_kernel(p, "k_walk");
    if (conf_has(&e, CL_DEVICE_SVM_FINE_GRAIN_SYSTEM)) {
        supported(&e, p, walk);
        printf("fine-grain system SVM: supported, tested\n");
    } else {
        not_supported(&e, walk);
        printf("fine-grain system SVM: not supported, refusals tested\n");
    }
    /* The window size decides (docs/svm.md): clsvm must advertise it exactly at 47 bits. */
    const char *bits = getenv("CLSVM_VA_BITS");
    if (bits && strcmp(bits, "47") == 0)
        CHECK(conf_has(&e, CL_DEVICE_SVM_FINE_GRAIN_SYSTEM));
    if (!bits)
        CHECK(!conf_has(&e, CL_DEVICE_SVM_FINE_GRAIN_SYSTEM));
    CHECK_CL(clReleaseKernel(walk));
    CHECK_CL(clReleaseProgram(p));
    conf_close(&e);
    printf("ok\n");
    return 0;
}
