/* svm-list-coarse: a linked list whose every node is its own coarse-grain SVM allocation.
 * The host fills the nodes between clEnqueueSVMMap and clEnqueueSVMUnmap, a kernel walks the
 * list by following the host's pointers (all nodes named with CL_KERNEL_EXEC_INFO_SVM_PTRS,
 * since only the head is a kernel argument) and numbers the nodes, and the host maps them again
 * to check the numbers.   usage: svm-list-coarse [nodes]   (default 1000) */
#include "svm_sample.h"
#include "svm_list_cl.h"

#include <assert.h>

/* Same layout as struct node in kernels/svm_list.cl. */
typedef struct node {
    struct node *next;
    cl_int value;
    cl_int position;
} node;
static_assert(sizeof(node) == 16, "node must match the kernel's layout");

int main(int argc, char **argv)
{
    size_t n = sample_size("svm-list-coarse", argc, argv, 1000, 10000000);
    sample s;
    sample_open(&s, "svm-list-coarse", CL_DEVICE_SVM_COARSE_GRAIN_BUFFER);
    sample_build(&s, svm_list_cl, "");
    cl_kernel walk = sample_kernel(&s, "list_walk");

    /* One allocation per node, as a C program would malloc them. */
    node **nodes = malloc(n * sizeof *nodes);
    CHECK(&s, nodes, "out of host memory");
    for (size_t i = 0; i < n; i++)
        nodes[i] = sample_svm_alloc(&s, CL_MEM_READ_WRITE, sizeof(node));
    cl_long *result = sample_svm_alloc(&s, CL_MEM_READ_WRITE, 2 * sizeof(cl_long));

    /* Coarse-grain memory belongs to the host only while it is mapped. Enqueue every map,
     * wait once, write, then unmap: the same rule, without a round trip per node. */
    for (size_t i = 0; i < n; i++)
        CHECK_CL(&s, clEnqueueSVMMap(s.queue, CL_FALSE, CL_MAP_WRITE_INVALIDATE_REGION, nodes[i],
                                     sizeof(node), 0, NULL, NULL));
    CHECK_CL(&s, clFinish(s.queue));
    long long want_sum = 0;
    for (size_t i = 0; i < n; i++) {
        nodes[i]->next = i + 1 < n ? nodes[i + 1] : NULL;
        nodes[i]->value = (cl_int)(i % 1000) - 500;
        nodes[i]->position = -1;
        want_sum += nodes[i]->value;
    }
    for (size_t i = 0; i < n; i++)
        CHECK_CL(&s, clEnqueueSVMUnmap(s.queue, nodes[i], 0, NULL, NULL));

    /* The kernel gets the head; the other nodes are reached through pointers stored in SVM,
     * which the spec allows only for allocations listed with CL_KERNEL_EXEC_INFO_SVM_PTRS. */
    CHECK_CL(&s, clSetKernelArgSVMPointer(walk, 0, nodes[0]));
    CHECK_CL(&s, clSetKernelArgSVMPointer(walk, 1, result));
    CHECK_CL(&s, clSetKernelExecInfo(walk, CL_KERNEL_EXEC_INFO_SVM_PTRS, n * sizeof *nodes, nodes));
    size_t one = 1;
    CHECK_CL(&s, clEnqueueNDRangeKernel(s.queue, walk, 1, NULL, &one, &one, 0, NULL, NULL));

    /* The kernel's writes become visible to the host by mapping (here: for reading). */
    CHECK_CL(&s, clEnqueueSVMMap(s.queue, CL_TRUE, CL_MAP_READ, result, 2 * sizeof(cl_long), 0,
                                 NULL, NULL));
    printf("svm-list-coarse: device walked %lld nodes, sum %lld\n", (long long)result[1],
           (long long)result[0]);
    CHECK(&s, result[1] == (cl_long)n && result[0] == want_sum,
          "device saw %lld nodes with sum %lld, expected %zu nodes with sum %lld",
          (long long)result[1], (long long)result[0], n, want_sum);
    CHECK_CL(&s, clEnqueueSVMUnmap(s.queue, result, 0, NULL, NULL));

    for (size_t i = 0; i < n; i++)
        CHECK_CL(&s, clEnqueueSVMMap(s.queue, CL_FALSE, CL_MAP_READ, nodes[i], sizeof(node), 0,
                                     NULL, NULL));
    CHECK_CL(&s, clFinish(s.queue));
    size_t bad = 0;
    for (size_t i = 0; i < n; i++)
        if (nodes[i]->position != (cl_int)i && bad++ < 5)
            fprintf(stderr, "svm-list-coarse: node %zu at %p: position %d\n", i, (void *)nodes[i],
                    nodes[i]->position);
    for (size_t i = 0; i < n; i++)
        CHECK_CL(&s, clEnqueueSVMUnmap(s.queue, nodes[i], 0, NULL, NULL));
    CHECK_CL(&s, clFinish(s.queue));
    CHECK(&s, bad == 0, "%zu of %zu nodes hold a wrong position", bad, n);
    sample_print_range(&s);

    for (size_t i = 0; i < n; i++)
        clSVMFree(s.context, nodes[i]);
    clSVMFree(s.context, result);
    free(nodes);
    clReleaseKernel(walk);
    sample_close(&s);
    printf("svm-list-coarse: ok, %zu nodes\n", n);
    return 0;
}
