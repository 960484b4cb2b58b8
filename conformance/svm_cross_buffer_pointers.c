/* svm_cross_buffer_pointers: pointers between different SVM allocations (OpenCL 3.0 API 5.6.1:
 * SVM pointers are valid in any allocation of the context's shared address space). A list whose
 * nodes alternate between two coarse-grain allocations is walked by a kernel that receives one
 * allocation as an argument; the other is named with CL_KERNEL_EXEC_INFO_SVM_PTRS, as the spec
 * requires. Then the kernel writes pointers into the other allocation (at every element) and the
 * host follows them.
 *
 * What can fail here is the shared address space: a kernel that saw an allocation at another
 * address than the host (a device copy, a translated pointer) would walk off the list or leave
 * pointers the host cannot follow. Whether the exec-info list reaches the device cannot be
 * seen: the CPU device reads the unnamed allocation as well (svm_exec_info_validation checks
 * the list's validation instead). */
#include "conf.h"

static const char *src =
    "typedef struct node { global struct node *next; int value; int pad; } node;\n"
    "kernel void k_walk(global node *head, global int *out)\n"
    "{\n"
    "    int n = 0, sum = 0;\n"
    "    for (global node *p = head; p && n < 100000; p = p->next, n++) {\n"
    "        sum += p->value;\n"
    "        p->pad = n;\n"
    "    }\n"
    "    out[0] = n;\n"
    "    out[1] = sum;\n"
    "}\n"
    "kernel void k_point(global node *a, global node *b, uint n)\n"
    "{\n"
    "    uint i = get_global_id(0);\n"
    "    a[i].next = &b[n - 1 - i];\n"
    "    b[i].next = &a[i];\n"
    "}\n";

typedef struct node {
    struct node *next;
    cl_int value;
    cl_int pad;
} node;

enum { N = 500 };

static void map(const conf_env *e, void *p, size_t size, cl_map_flags f)
{
    CHECK_CL(clEnqueueSVMMap(e->queue, CL_TRUE, f, p, size, 0, NULL, NULL));
}

int main(void)
{
    conf_env e;
    conf_open(&e);
    cl_program p = conf_program(&e, src, NULL);
    cl_kernel walk = conf_kernel(p, "k_walk"), point = conf_kernel(p, "k_point");
    node *a = conf_alloc(&e, CL_MEM_READ_WRITE, N * sizeof(node));
    node *b = conf_alloc(&e, CL_MEM_READ_WRITE, N * sizeof(node));
    cl_int *out = conf_alloc(&e, CL_MEM_READ_WRITE, 2 * sizeof(cl_int));
    map(&e, a, N * sizeof(node), CL_MAP_WRITE);
    map(&e, b, N * sizeof(node), CL_MAP_WRITE);
    /* a[0] -> b[0] -> a[1] -> b[1] -> ... -> b[N-1] */
    for (int i = 0; i < N; i++) {
        a[i].value = i;
        a[i].next = &b[i];
        b[i].value = 10000 + i;
        b[i].next = i + 1 < N ? &a[i + 1] : NULL;
        a[i].pad = b[i].pad = -1;
    }
    CHECK_CL(clEnqueueSVMUnmap(e.queue, a, 0, NULL, NULL));
    CHECK_CL(clEnqueueSVMUnmap(e.queue, b, 0, NULL, NULL));
    CHECK_CL(clSetKernelArgSVMPointer(walk, 0, a));
    CHECK_CL(clSetKernelArgSVMPointer(walk, 1, out));
    void *extra[1] = {b};
    CHECK_CL(clSetKernelExecInfo(walk, CL_KERNEL_EXEC_INFO_SVM_PTRS, sizeof extra, extra));
    conf_run(&e, walk, 1);
    map(&e, out, 2 * sizeof(cl_int), CL_MAP_READ);
    CHECK_EQ(out[0], 2 * N);
    CHECK_EQ(out[1], N * (N - 1) / 2 + N * 10000 + N * (N - 1) / 2);
    CHECK_CL(clEnqueueSVMUnmap(e.queue, out, 0, NULL, NULL));
    map(&e, a, N * sizeof(node), CL_MAP_READ);
    map(&e, b, N * sizeof(node), CL_MAP_READ);
    for (int i = 0; i < N; i++) {
        CHECK_EQ(a[i].pad, 2 * i);
        CHECK_EQ(b[i].pad, 2 * i + 1);
    }
    CHECK_CL(clEnqueueSVMUnmap(e.queue, a, 0, NULL, NULL));
    CHECK_CL(clEnqueueSVMUnmap(e.queue, b, 0, NULL, NULL));

    /* Device-written cross pointers. */
    cl_uint n = N;
    CHECK_CL(clSetKernelArgSVMPointer(point, 0, a));
    CHECK_CL(clSetKernelArgSVMPointer(point, 1, b));
    CHECK_CL(clSetKernelArg(point, 2, sizeof n, &n));
    conf_run(&e, point, N);
    map(&e, a, N * sizeof(node), CL_MAP_READ);
    map(&e, b, N * sizeof(node), CL_MAP_READ);
    for (int i = 0; i < N; i++) {
        CHECK_MSG(a[i].next == &b[N - 1 - i], "a[%d].next = %p", i, (void *)a[i].next);
        CHECK(b[i].next == &a[i]);
        CHECK_EQ(a[i].next->next->value, N - 1 - i);
    }
    CHECK_CL(clEnqueueSVMUnmap(e.queue, a, 0, NULL, NULL));
    CHECK_CL(clEnqueueSVMUnmap(e.queue, b, 0, NULL, NULL));
    CHECK_CL(clFinish(e.queue));
    clSVMFree(e.context, a);
    clSVMFree(e.context, b);
    clSVMFree(e.context, out);
    CHECK_CL(clReleaseKernel(walk));
    CHECK_CL(clReleaseKernel(point));
    CHECK_CL(clReleaseProgram(p));
    conf_close(&e);
    printf("ok\n");
    return 0;
}
