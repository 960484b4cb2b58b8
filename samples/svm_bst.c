/* svm-bst: a binary search tree built by the host inside ONE coarse-grain SVM allocation, with
 * ordinary pointers between its nodes, and searched by the device in parallel. Because the
 * tree is one allocation passed as a kernel argument, no exec-info list is needed: pointers
 * into an argument's allocation are valid on the device.
 *   usage: svm-bst [keys]   (default 10000; every even key 0..2n-2 is stored, odd ones not) */
#include "svm_sample.h"
#include "svm_bst_cl.h"

#include <assert.h>

/* Same layout as struct node in kernels/svm_bst.cl. */
typedef struct node {
    struct node *left, *right;
    cl_int key;
    cl_int value;
} node;
static_assert(sizeof(node) == 24, "node must match the kernel's layout");

static cl_int value_of(cl_int key)
{
    return key * 3 + 1;
}

int main(int argc, char **argv)
{
    /* 2n query keys must fit a cl_int. */
    size_t n = sample_size("svm-bst", argc, argv, 10000, 100000000);
    sample s;
    sample_open(&s, "svm-bst", CL_DEVICE_SVM_COARSE_GRAIN_BUFFER);
    sample_build(&s, svm_bst_cl, "");
    cl_kernel search = sample_kernel(&s, "bst_search");

    node *tree = sample_svm_alloc(&s, CL_MEM_READ_ONLY, n * sizeof(node));
    size_t n_queries = 2 * n;
    cl_int *keys = sample_svm_alloc(&s, CL_MEM_READ_ONLY, n_queries * sizeof(cl_int));
    cl_int *out = sample_svm_alloc(&s, CL_MEM_WRITE_ONLY, n_queries * sizeof(cl_int));

    /* Build the tree on the host while the allocation is mapped: insert the even keys in random
     * order (an expected depth of O(log n)); tree[0] is the root. */
    CHECK_CL(&s, clEnqueueSVMMap(s.queue, CL_TRUE, CL_MAP_WRITE_INVALIDATE_REGION, tree,
                                 n * sizeof(node), 0, NULL, NULL));
    size_t *perm = malloc(n * sizeof *perm);
    CHECK(&s, perm, "out of host memory");
    sample_permutation(perm, n, 7);
    size_t depth = 0;
    for (size_t i = 0; i < n; i++) {
        node *x = &tree[i];
        x->key = (cl_int)(2 * perm[i]);
        x->value = value_of(x->key);
        x->left = x->right = NULL;
        if (i == 0)
            continue;
        size_t d = 1; /* the new node's depth, counting the root as 0 */
        for (node *p = &tree[0];; d++) {
            node **link = x->key < p->key ? &p->left : &p->right;
            if (!*link) {
                *link = x;
                break;
            }
            p = *link;
        }
        if (d > depth)
            depth = d;
    }
    CHECK_CL(&s, clEnqueueSVMUnmap(s.queue, tree, 0, NULL, NULL));

    /* Queries: every key 0..2n-1, shuffled. */
    CHECK_CL(&s, clEnqueueSVMMap(s.queue, CL_TRUE, CL_MAP_WRITE_INVALIDATE_REGION, keys,
                                 n_queries * sizeof(cl_int), 0, NULL, NULL));
    uint64_t rng = 99;
    for (size_t i = 0; i < n_queries; i++)
        keys[i] = (cl_int)i;
    for (size_t i = n_queries; i > 1; i--) {
        size_t j = (size_t)(sample_rand(&rng) % i);
        cl_int t = keys[i - 1];
        keys[i - 1] = keys[j];
        keys[j] = t;
    }
    CHECK_CL(&s, clEnqueueSVMUnmap(s.queue, keys, 0, NULL, NULL));

    CHECK_CL(&s, clSetKernelArgSVMPointer(search, 0, tree));
    CHECK_CL(&s, clSetKernelArgSVMPointer(search, 1, keys));
    CHECK_CL(&s, clSetKernelArgSVMPointer(search, 2, out));
    CHECK_CL(&s, clEnqueueNDRangeKernel(s.queue, search, 1, NULL, &n_queries, NULL, 0, NULL, NULL));

    /* Map both for reading: the keys to know what was asked, out for the answers. */
    CHECK_CL(&s, clEnqueueSVMMap(s.queue, CL_FALSE, CL_MAP_READ, keys, n_queries * sizeof(cl_int),
                                 0, NULL, NULL));
    CHECK_CL(&s, clEnqueueSVMMap(s.queue, CL_TRUE, CL_MAP_READ, out, n_queries * sizeof(cl_int), 0,
                                 NULL, NULL));
    size_t bad = 0, found = 0;
    for (size_t i = 0; i < n_queries; i++) {
        cl_int want = keys[i] % 2 == 0 ? value_of(keys[i]) : -1;
        found += out[i] != -1;
        if (out[i] != want && bad++ < 5)
            fprintf(stderr, "svm-bst: key %d: device found %d, expected %d\n", keys[i], out[i],
                    want);
    }
    CHECK_CL(&s, clEnqueueSVMUnmap(s.queue, keys, 0, NULL, NULL));
    CHECK_CL(&s, clEnqueueSVMUnmap(s.queue, out, 0, NULL, NULL));
    CHECK_CL(&s, clFinish(s.queue));
    printf("svm-bst: %zu nodes (depth %zu) in one allocation; device answered %zu queries, "
           "%zu found\n",
           n, depth, n_queries, found);
    CHECK(&s, bad == 0, "%zu of %zu answers are wrong", bad, n_queries);
    sample_print_range(&s);

    clSVMFree(s.context, tree);
    clSVMFree(s.context, keys);
    clSVMFree(s.context, out);
    free(perm);
    clReleaseKernel(search);
    sample_close(&s);
    printf("svm-bst: ok\n");
    return 0;
}
