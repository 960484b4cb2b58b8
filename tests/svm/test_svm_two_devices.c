/* test_svm_two_devices: SVM shared by two devices of one context (OpenCL 3.0 API 5.6.1: SVM is
 * shared by every device of the context), run with POCL_DEVICES="pthread basic":
 *  (1) atomics with memory_scope_all_svm_devices on one fine-grain CL_MEM_SVM_ATOMICS word from
 *      kernels on both devices at once (and a host thread): no update lost, every old value
 *      returned once;
 *  (2) a linked list built by a kernel on one device in a coarse-grain allocation and walked by
 *      a kernel on the other device, both ways, and the same in a fine-grain allocation. The
 *      two kernels are ordered by clFinish, not by an event across the queues: with a wait
 *      list naming the basic device's event, a pthread-device kernel deadlocks inside pocl 3.1
 *      (reproduced with plain pocl, no clsvm).
 * Only kernels, events and clFinish touch the devices: no clEnqueueSVM* command is needed (the
 * host reads results from fine-grain memory). A context without two devices exits 77 with the
 * reason. */
#include "svm_test.h"

#include <pthread.h>

static const char *src =
    "#define S memory_scope_all_svm_devices\n"
    "kernel void k_count(global atomic_uint *c, global uint *old, uint base)\n"
    "{\n"
    "    uint i = get_global_id(0);\n"
    "    old[base + i] = atomic_fetch_add_explicit(c, 1u, memory_order_acq_rel, S);\n"
    "}\n"
    "typedef struct node { global struct node *next; uint value; uint pad; } node;\n"
    "kernel void k_build(global node *nodes, uint n, uint salt)\n"
    "{\n"
    "    uint i = get_global_id(0);\n"
    "    /* Visit order: a permutation of 0..n-1 (the step 10 is coprime with n). */\n"
    "    uint at = (i * 10u) % n, next = ((i + 1u) * 10u) % n;\n"
    "    nodes[at].value = i * 3u + salt;\n"
    "    nodes[at].next = i + 1u < n ? &nodes[next] : 0;\n"
    "}\n"
    "kernel void k_walk(global node *head, global uint *out, uint limit)\n"
    "{\n"
    "    uint n = 0, sum = 0;\n"
    "    for (global node *p = head; p && n < limit; p = p->next, n++)\n"
    "        sum += p->value;\n"
    "    out[0] = n;\n"
    "    out[1] = sum;\n"
    "}\n";

enum { ITEMS = 4096, HOST_ADDS = 1000, NODES = 1001 }; /* NODES: odd, not a multiple of 5 */

typedef struct dev2 {
    cl_platform_id platform;
    cl_device_id dev[2];
    cl_context context;
    cl_command_queue q[2];
    cl_program prog;
} dev2;

static void open_two(dev2 *d)
{
    memset(d, 0, sizeof *d);
    d->platform = icd_test_platform();
    cl_uint n = 0;
    CHECK_CL(clGetDeviceIDs(d->platform, CL_DEVICE_TYPE_ALL, 2, d->dev, &n));
    if (n < 2) {
        printf("SKIP: the platform has %u device(s); this test needs two "
               "(POCL_DEVICES=\"pthread basic\")\n",
               n);
        exit(TEST_SKIP_CODE);
    }
    cl_int err = CL_SUCCESS;
    d->context = clCreateContext(NULL, 2, d->dev, NULL, NULL, &err);
    CHECK_CL(err);
    cl_uint nctx = 0;
    ICD_GET_INFO(clGetContextInfo, d->context, CL_CONTEXT_NUM_DEVICES, nctx);
    CHECK_EQ(nctx, 2);
    for (int i = 0; i < 2; i++) {
        d->q[i] = icd_test_queue(d->context, d->dev[i], NULL);
        cl_device_svm_capabilities caps = 0;
        ICD_GET_INFO(clGetDeviceInfo, d->dev[i], CL_DEVICE_SVM_CAPABILITIES, caps);
        const cl_device_svm_capabilities need = CL_DEVICE_SVM_COARSE_GRAIN_BUFFER |
                                                CL_DEVICE_SVM_FINE_GRAIN_BUFFER |
                                                CL_DEVICE_SVM_ATOMICS;
        CHECK_MSG((caps & need) == need, "device %d SVM capabilities %#llx lack %#llx", i,
                  (unsigned long long)caps, (unsigned long long)need);
    }
    d->prog = clCreateProgramWithSource(d->context, 1, &src, NULL, &err);
    CHECK_CL(err);
    err = clBuildProgram(d->prog, 2, d->dev, "-cl-std=CL3.0", NULL, NULL);
    if (err != CL_SUCCESS) {
        char log[8192] = "";
        for (int i = 0; i < 2; i++)
            clGetProgramBuildInfo(d->prog, d->dev[i], CL_PROGRAM_BUILD_LOG, sizeof log, log, NULL);
        CHECK_MSG(0, "build for both devices failed (%d): %s", (int)err, log);
    }
}

static void *host_adds(void *arg)
{
    cl_uint *c = arg;
    for (int i = 0; i < HOST_ADDS; i++)
        __atomic_fetch_add(c, 1u << 20, __ATOMIC_ACQ_REL);
    return NULL;
}

/* (1) Kernels on both devices and a host thread add to one word at once. */
static void atomics(dev2 *d)
{
    const cl_svm_mem_flags fg = CL_MEM_SVM_FINE_GRAIN_BUFFER;
    cl_uint *c = clSVMAlloc(d->context, fg | CL_MEM_SVM_ATOMICS, sizeof(cl_uint), 0);
    cl_uint *old = clSVMAlloc(d->context, fg, 2 * ITEMS * sizeof(cl_uint), 0);
    CHECK(c && old);
    *c = 0;
    memset(old, 0xff, 2 * ITEMS * sizeof(cl_uint));
    cl_kernel k[2];
    for (int i = 0; i < 2; i++) {
        cl_uint base = (cl_uint)i * ITEMS;
        k[i] = icd_test_kernel(d->prog, "k_count");
        CHECK_CL(clSetKernelArgSVMPointer(k[i], 0, c));
        CHECK_CL(clSetKernelArgSVMPointer(k[i], 1, old));
        CHECK_CL(clSetKernelArg(k[i], 2, sizeof base, &base));
    }
    size_t items = ITEMS;
    for (int i = 0; i < 2; i++)
        CHECK_CL(clEnqueueNDRangeKernel(d->q[i], k[i], 1, NULL, &items, NULL, 0, NULL, NULL));
    pthread_t t;
    CHECK(pthread_create(&t, NULL, host_adds, c) == 0);
    for (int i = 0; i < 2; i++)
        CHECK_CL(clFlush(d->q[i]));
    CHECK(pthread_join(t, NULL) == 0);
    for (int i = 0; i < 2; i++)
        CHECK_CL(clFinish(d->q[i]));
    CHECK_EQ(*c, 2 * ITEMS + ((cl_uint)HOST_ADDS << 20));
    /* Each device count 0..2*ITEMS-1 returned exactly once (host adds only touch bits 20+). */
    static unsigned char seen[2 * ITEMS];
    memset(seen, 0, sizeof seen);
    for (int i = 0; i < 2 * ITEMS; i++) {
        cl_uint v = old[i] & 0xfffffu;
        CHECK_MSG(v < 2 * ITEMS && !seen[v],
                  "device %d item %d: old value %u repeated or out "
                  "of range",
                  i / ITEMS, i % ITEMS, v);
        seen[v] = 1;
    }
    for (int i = 0; i < 2; i++)
        CHECK_CL(clReleaseKernel(k[i]));
    clSVMFree(d->context, c);
    clSVMFree(d->context, old);
}

typedef struct node {
    struct node *next;
    cl_uint value, pad;
} node;

/* (2) A list built on device `from` in an allocation of `flags`, walked on the other. */
static void list(dev2 *d, int from, cl_svm_mem_flags flags, cl_uint salt)
{
    int to = 1 - from;
    node *nodes = clSVMAlloc(d->context, flags, NODES * sizeof(node), 0);
    cl_uint *out = clSVMAlloc(d->context, CL_MEM_SVM_FINE_GRAIN_BUFFER, 2 * sizeof(cl_uint), 0);
    CHECK(nodes && out);
    out[0] = out[1] = 0xdeadbeef;
    cl_kernel build = icd_test_kernel(d->prog, "k_build");
    cl_kernel walk = icd_test_kernel(d->prog, "k_walk");
    cl_uint n = NODES, limit = NODES + 1;
    CHECK_CL(clSetKernelArgSVMPointer(build, 0, nodes));
    CHECK_CL(clSetKernelArg(build, 1, sizeof n, &n));
    CHECK_CL(clSetKernelArg(build, 2, sizeof salt, &salt));
    /* The walk starts at node 0, the first one visited (i = 0). */
    CHECK_CL(clSetKernelArgSVMPointer(walk, 0, nodes));
    CHECK_CL(clSetKernelArgSVMPointer(walk, 1, out));
    CHECK_CL(clSetKernelArg(walk, 2, sizeof limit, &limit));
    size_t items = NODES, one = 1;
    CHECK_CL(clEnqueueNDRangeKernel(d->q[from], build, 1, NULL, &items, NULL, 0, NULL, NULL));
    CHECK_CL(clFinish(d->q[from]));
    CHECK_CL(clEnqueueNDRangeKernel(d->q[to], walk, 1, NULL, &one, NULL, 0, NULL, NULL));
    CHECK_CL(clFinish(d->q[to]));
    cl_uint want_sum = 0;
    for (cl_uint i = 0; i < NODES; i++)
        want_sum += i * 3u + salt;
    CHECK_MSG(out[0] == NODES && out[1] == want_sum,
              "list built on device %d (%s), walked on device %d: %u nodes, sum %u; want %u, %u",
              from, flags & CL_MEM_SVM_FINE_GRAIN_BUFFER ? "fine-grain" : "coarse-grain", to,
              out[0], out[1], (cl_uint)NODES, want_sum);
    CHECK_CL(clReleaseKernel(build));
    CHECK_CL(clReleaseKernel(walk));
    clSVMFree(d->context, nodes);
    clSVMFree(d->context, out);
}

int main(void)
{
    dev2 d;
    open_two(&d);
    atomics(&d);
    list(&d, 0, CL_MEM_READ_WRITE, 1);
    list(&d, 1, CL_MEM_READ_WRITE, 2);
    list(&d, 0, CL_MEM_SVM_FINE_GRAIN_BUFFER, 3);
    list(&d, 1, CL_MEM_SVM_FINE_GRAIN_BUFFER, 4);
    CHECK_CL(clReleaseProgram(d.prog));
    for (int i = 0; i < 2; i++)
        CHECK_CL(clReleaseCommandQueue(d.q[i]));
    CHECK_CL(clReleaseContext(d.context));
    return svm_exit_code();
}
