/* test_svm_linked: pointer-based data shared with a kernel. A linked list whose nodes are
 * separate clSVMAlloc allocations (coarse-grained, built under map; and fine-grained) is walked
 * by a kernel that sums the values; only the head is a kernel argument, so every node must be
 * named with CL_KERNEL_EXEC_INFO_SVM_PTRS (API spec, clSetKernelExecInfo: base or interior
 * pointers both count). The sum and length must be exact. Also clSetKernelExecInfo's own rules:
 * CL_KERNEL_EXEC_INFO_SVM_FINE_GRAIN_SYSTEM = CL_TRUE is accepted iff the device supports
 * fine-grain system SVM (else CL_INVALID_OPERATION), and then a list in plain malloc memory
 * works; CL_FALSE and an empty pointer set are always accepted; bad sizes are CL_INVALID_VALUE.
 * Finally the pointer rules of clSetKernelArgSVMPointer and SVM_PTRS (arg_pointer_rules). */
#include "svm/svm_test.h"

/* Same layout on both sides: 64-bit pointers (CL_DEVICE_ADDRESS_BITS 64), then a long. */
typedef struct node {
    struct node *next;
    cl_long value;
} node;

static const char *src = "typedef struct node { global struct node *next; long value; } node;\n"
                         "kernel void k_sum(global node *head, global long *out)\n"
                         "{\n"
                         "    long s = 0, n = 0;\n"
                         "    for (global node *p = head; p; p = p->next) { s += p->value; n++; }\n"
                         "    out[0] = s;\n"
                         "    out[1] = n;\n"
                         "}\n";

enum { NNODES = 200 };

/* Runs k_sum on `head`; `ptrs` (n of them) go to CL_KERNEL_EXEC_INFO_SVM_PTRS. */
static void run_sum(const svm_env *e, cl_kernel k, node *head, void **ptrs, size_t n,
                    cl_long want_sum, cl_long want_len)
{
    cl_long *out = svm_alloc(e, CL_MEM_SVM_FINE_GRAIN_BUFFER, 2 * sizeof(cl_long), 0);
    out[0] = out[1] = -1;
    CHECK_CL(clSetKernelArgSVMPointer(k, 0, head));
    CHECK_CL(clSetKernelArgSVMPointer(k, 1, out));
    if (ptrs)
        CHECK_CL(clSetKernelExecInfo(k, CL_KERNEL_EXEC_INFO_SVM_PTRS, n * sizeof(void *), ptrs));
    size_t one = 1;
    CHECK_CL(clEnqueueNDRangeKernel(e->queue, k, 1, NULL, &one, NULL, 0, NULL, NULL));
    CHECK_CL(clFinish(e->queue));
    CHECK_EQ(out[1], want_len);
    CHECK_EQ(out[0], want_sum);
    clSVMFree(e->context, out);
}

/* Builds the list with one allocation per node; coarse nodes are written under a map. Every
 * other node is named by an interior pointer (&node->value). */
static void list_of_allocations(const svm_env *e, cl_kernel k, cl_svm_mem_flags flags)
{
    node *nodes[NNODES];
    void *ptrs[NNODES];
    unsigned long long seed = 0x11c7ed ^ flags;
    cl_long sum = 0;
    for (int i = 0; i < NNODES; i++)
        nodes[i] = svm_alloc(e, flags, sizeof(node), 0);
    for (int i = 0; i < NNODES; i++) {
        svm_map(e, flags, nodes[i], sizeof(node), CL_MAP_WRITE_INVALIDATE_REGION);
        nodes[i]->next = i + 1 < NNODES ? nodes[i + 1] : NULL;
        nodes[i]->value = (cl_long)(test_rand(&seed) >> 20) - (1LL << 42);
        sum += nodes[i]->value;
        svm_unmap(e, flags, nodes[i]);
        ptrs[i] = i % 2 ? (void *)&nodes[i]->value : (void *)nodes[i];
    }
    run_sum(e, k, nodes[0], ptrs, NNODES, sum, NNODES);

    /* Change the list on the host (unlink node 1, new value in the last) and walk it again. */
    svm_map(e, flags, nodes[0], sizeof(node), CL_MAP_READ | CL_MAP_WRITE);
    svm_map(e, flags, nodes[1], sizeof(node), CL_MAP_READ);
    svm_map(e, flags, nodes[NNODES - 1], sizeof(node), CL_MAP_READ | CL_MAP_WRITE);
    sum -= nodes[1]->value;
    nodes[0]->next = nodes[2];
    sum += 12345 - nodes[NNODES - 1]->value;
    nodes[NNODES - 1]->value = 12345;
    svm_unmap(e, flags, nodes[0]);
    svm_unmap(e, flags, nodes[1]);
    svm_unmap(e, flags, nodes[NNODES - 1]);
    run_sum(e, k, nodes[0], ptrs, NNODES, sum, NNODES - 1);

    for (int i = 0; i < NNODES; i++)
        clSVMFree(e->context, nodes[i]);
}

static void exec_info_rules(const svm_env *e, cl_kernel k)
{
    int sys = (e->caps & CL_DEVICE_SVM_FINE_GRAIN_SYSTEM) != 0;
    cl_bool t = CL_TRUE, f = CL_FALSE;
    CHECK_CL(clSetKernelExecInfo(k, CL_KERNEL_EXEC_INFO_SVM_FINE_GRAIN_SYSTEM, sizeof f, &f));
    SVM_EXPECT_ERR(clSetKernelExecInfo(k, CL_KERNEL_EXEC_INFO_SVM_FINE_GRAIN_SYSTEM, sizeof t, &t),
                   sys ? CL_SUCCESS : CL_INVALID_OPERATION);
    /* The empty set: size 0 and NULL. */
    CHECK_CL(clSetKernelExecInfo(k, CL_KERNEL_EXEC_INFO_SVM_PTRS, 0, NULL));
    void *p = svm_alloc(e, CL_MEM_READ_WRITE, 64, 0);
    SVM_EXPECT_ERR(clSetKernelExecInfo(k, CL_KERNEL_EXEC_INFO_SVM_PTRS, sizeof p, NULL),
                   CL_INVALID_VALUE);
    SVM_EXPECT_ERR(clSetKernelExecInfo(k, CL_KERNEL_EXEC_INFO_SVM_FINE_GRAIN_SYSTEM, 1, &t),
                   CL_INVALID_VALUE);
    SVM_EXPECT_ERR(clSetKernelExecInfo(k, CL_KERNEL_EXEC_INFO_SVM_PTRS, sizeof p - 3, &p),
                   CL_INVALID_VALUE);
    SVM_EXPECT_ERR(clSetKernelExecInfo(k, 0x7777, sizeof p, &p), CL_INVALID_VALUE);
    CHECK_CL(clSetKernelExecInfo(k, CL_KERNEL_EXEC_INFO_SVM_PTRS, sizeof p, &p));
    clSVMFree(e->context, p);
    CHECK_CL(clSetKernelExecInfo(k, CL_KERNEL_EXEC_INFO_SVM_PTRS, 0, NULL));

    if (!sys)
        return;
    /* Fine-grain system SVM: a list in ordinary malloc memory, no exec-info pointers. */
    node *nodes = calloc(NNODES, sizeof *nodes);
    CHECK(nodes != NULL);
    cl_long sum = 0;
    for (int i = 0; i < NNODES; i++) {
        nodes[i].next = i + 1 < NNODES ? &nodes[i + 1] : NULL;
        nodes[i].value = 3 * i + 1;
        sum += nodes[i].value;
    }
    CHECK_CL(clSetKernelExecInfo(k, CL_KERNEL_EXEC_INFO_SVM_FINE_GRAIN_SYSTEM, sizeof t, &t));
    run_sum(e, k, nodes, NULL, 0, sum, NNODES);
    free(nodes);
}

/* clSetKernelArgSVMPointer's rules: NULL and any byte of a live allocation of
 * the kernel's context are accepted; with fine-grain system SVM any host pointer is too. Other
 * pointers (malloc'd, one past the end, freed, another context's) are CL_INVALID_ARG_VALUE, and
 * the same pointers in CL_KERNEL_EXEC_INFO_SVM_PTRS are CL_INVALID_VALUE - clsvm only: pocl
 * accepts any pointer. */
static void arg_pointer_rules(const svm_env *e, cl_kernel k)
{
    int sys = (e->caps & CL_DEVICE_SVM_FINE_GRAIN_SYSTEM) != 0;
    unsigned char *p = svm_alloc(e, CL_MEM_READ_WRITE, 256, 0);
    CHECK_CL(clSetKernelArgSVMPointer(k, 0, NULL));
    CHECK_CL(clSetKernelArgSVMPointer(k, 0, p));
    CHECK_CL(clSetKernelArgSVMPointer(k, 0, p + 1));
    CHECK_CL(clSetKernelArgSVMPointer(k, 0, p + 255));
    SVM_EXPECT_ERR(clSetKernelArgSVMPointer(k, 7, p), CL_INVALID_ARG_INDEX);
    if (!e->is_clsvm) {
        SKIP_PART("kernel arguments from another context or outside SVM: clsvm only");
        clSVMFree(e->context, p);
        return;
    }
    cl_context other = icd_test_context(e->platform, e->device);
    void *foreign = clSVMAlloc(other, CL_MEM_READ_WRITE, 256, 0);
    CHECK(foreign != NULL);
    void *gone = svm_alloc(e, CL_MEM_READ_WRITE, 256, 0);
    clSVMFree(e->context, gone);
    void *heap = malloc(64);
    CHECK(heap != NULL);
    struct {
        const char *what;
        void *ptr;
    } rows[] = {
        {"malloc'd pointer", heap},
        {"one past the end", p + 256},
        {"freed allocation", gone},
        {"another context's allocation", foreign},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        /* With fine-grain system SVM every host address is one the device can use. */
        int ok = sys;
        cl_int got = clSetKernelArgSVMPointer(k, 0, rows[i].ptr);
        if (got != (ok ? CL_SUCCESS : CL_INVALID_ARG_VALUE))
            SVM_FAIL("clSetKernelArgSVMPointer(%s) returned %s", rows[i].what, icd_err_name(got));
        got =
            clSetKernelExecInfo(k, CL_KERNEL_EXEC_INFO_SVM_PTRS, sizeof rows[i].ptr, &rows[i].ptr);
        if (got != (ok ? CL_SUCCESS : CL_INVALID_VALUE))
            SVM_FAIL("clSetKernelExecInfo(SVM_PTRS, %s) returned %s", rows[i].what,
                     icd_err_name(got));
    }
    /* One bad pointer after a good one fails the whole list. */
    void *pair[2] = {p, heap};
    if (!sys)
        SVM_EXPECT_ERR(clSetKernelExecInfo(k, CL_KERNEL_EXEC_INFO_SVM_PTRS, sizeof pair, pair),
                       CL_INVALID_VALUE);
    CHECK_CL(clSetKernelExecInfo(k, CL_KERNEL_EXEC_INFO_SVM_PTRS, 0, NULL));
    free(heap);
    clSVMFree(other, foreign);
    CHECK_CL(clReleaseContext(other));
    clSVMFree(e->context, p);
}

int main(void)
{
    svm_env e;
    svm_env_open(&e);
    printf("platform %s, caps 0x%llx\n", icd_platform_name(e.platform), (unsigned long long)e.caps);
    cl_program prog = icd_test_program(e.context, e.device, src, NULL);
    cl_kernel k = icd_test_kernel(prog, "k_sum");
    list_of_allocations(&e, k, CL_MEM_READ_WRITE);
    list_of_allocations(&e, k, CL_MEM_SVM_FINE_GRAIN_BUFFER);
    list_of_allocations(&e, k, CL_MEM_SVM_FINE_GRAIN_BUFFER | CL_MEM_SVM_ATOMICS);
    exec_info_rules(&e, k);
    arg_pointer_rules(&e, k);
    CHECK_CL(clReleaseKernel(k));
    CHECK_CL(clReleaseProgram(prog));
    svm_env_close(&e);
    return svm_exit_code();
}
