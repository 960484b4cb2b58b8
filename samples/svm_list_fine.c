/* svm-list-fine: a linked list in fine-grain SVM that host and device share without a single
 * map, unmap or copy. The nodes are spread over many allocations and linked in random order,
 * so the kernel follows pointers across allocations (named with CL_KERNEL_EXEC_INFO_SVM_PTRS).
 * The host then reverses the list in place, by rewriting pointers, and the kernel walks it
 * again.   usage: svm-list-fine [nodes]   (default 1000) */
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

enum { NODES_PER_BLOCK = 256 };

/* Run the kernel on the list starting at head; check it saw n nodes with the expected sum and
 * numbered each node with its position (order[k] is the k-th node of the list). */
static void walk_and_check(sample *s, cl_kernel walk, node *head, node **order, size_t n,
                           long long want_sum, cl_long *result)
{
    for (size_t k = 0; k < n; k++)
        order[k]->position = -1;
    CHECK_CL(s, clSetKernelArgSVMPointer(walk, 0, head));
    size_t one = 1;
    CHECK_CL(s, clEnqueueNDRangeKernel(s->queue, walk, 1, NULL, &one, &one, 0, NULL, NULL));
    /* Fine-grain buffers need no map: the kernel's writes are visible once it has finished. */
    CHECK_CL(s, clFinish(s->queue));
    CHECK(s, result[1] == (cl_long)n && result[0] == want_sum,
          "device saw %lld nodes with sum %lld, expected %zu nodes with sum %lld",
          (long long)result[1], (long long)result[0], n, want_sum);
    for (size_t k = 0; k < n; k++)
        CHECK(s, order[k]->position == (cl_int)k, "node %p, list position %zu: kernel wrote %d",
              (void *)order[k], k, order[k]->position);
}

int main(int argc, char **argv)
{
    size_t n = sample_size("svm-list-fine", argc, argv, 1000, 10000000);
    sample s;
    sample_open(&s, "svm-list-fine", CL_DEVICE_SVM_FINE_GRAIN_BUFFER);
    sample_build(&s, svm_list_cl, "");
    cl_kernel walk = sample_kernel(&s, "list_walk");
    const cl_svm_mem_flags fine = CL_MEM_READ_WRITE | CL_MEM_SVM_FINE_GRAIN_BUFFER;

    /* Blocks of NODES_PER_BLOCK nodes, each block one fine-grain allocation. */
    size_t n_blocks = (n + NODES_PER_BLOCK - 1) / NODES_PER_BLOCK;
    node **blocks = malloc(n_blocks * sizeof *blocks);
    node **order = malloc(n * sizeof *order);
    size_t *perm = malloc(n * sizeof *perm);
    CHECK(&s, blocks && order && perm, "out of host memory");
    for (size_t b = 0; b < n_blocks; b++)
        blocks[b] = sample_svm_alloc(&s, fine, NODES_PER_BLOCK * sizeof(node));
    cl_long *result = sample_svm_alloc(&s, fine, 2 * sizeof(cl_long));

    /* The host writes the nodes directly: no map. List position k holds node perm[k]. */
    sample_permutation(perm, n, 42);
    long long want_sum = 0;
    for (size_t k = 0; k < n; k++)
        order[k] = &blocks[perm[k] / NODES_PER_BLOCK][perm[k] % NODES_PER_BLOCK];
    for (size_t k = 0; k < n; k++) {
        order[k]->next = k + 1 < n ? order[k + 1] : NULL;
        order[k]->value = (cl_int)(perm[k] % 997);
        want_sum += order[k]->value;
    }

    CHECK_CL(&s, clSetKernelArgSVMPointer(walk, 1, result));
    CHECK_CL(&s, clSetKernelExecInfo(walk, CL_KERNEL_EXEC_INFO_SVM_PTRS, n_blocks * sizeof *blocks,
                                     blocks));
    walk_and_check(&s, walk, order[0], order, n, want_sum, result);
    printf("svm-list-fine: device walked %zu nodes in %zu allocations, sum %lld\n", n, n_blocks,
           want_sum);

    /* Reverse the list on the host, in place, and let the device walk it again. */
    node *prev = NULL;
    for (node *p = order[0], *next; p; p = next) {
        next = p->next;
        p->next = prev;
        prev = p;
    }
    for (size_t k = 0; k < n / 2; k++) {
        node *t = order[k];
        order[k] = order[n - 1 - k];
        order[n - 1 - k] = t;
    }
    walk_and_check(&s, walk, prev, order, n, want_sum, result);
    printf("svm-list-fine: after the host reversed it in place, the device walked it again\n");
    sample_print_range(&s);

    for (size_t b = 0; b < n_blocks; b++)
        clSVMFree(s.context, blocks[b]);
    clSVMFree(s.context, result);
    free(blocks);
    free(order);
    free(perm);
    clReleaseKernel(walk);
    sample_close(&s);
    printf("svm-list-fine: ok, %zu nodes\n", n);
    return 0;
}
