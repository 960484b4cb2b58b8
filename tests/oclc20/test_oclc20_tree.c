/* test_oclc20_tree: host threads and an OpenCL C 2.0 kernel (kernels/cl20/svm_tree20.cl) insert
 * distinct keys into one binary search tree in fine-grain SVM at the same time, claiming child
 * slots with compare-exchange (host: C11 atomics; device: generic atomic_int *,
 * memory_scope_all_svm_devices). Afterwards the tree holds every node exactly once and an
 * in-order walk gives the keys sorted. */
#include "oclc20/oclc20_test.h"

#include "svm_tree20_cl.h"

#include <pthread.h>

enum { NDEV = 512, NHOST = 3, PER_HOST = 1500, NNODES = 1 + NDEV + NHOST * PER_HOST };

typedef struct tnode {
    int key;
    int child[2];
    int owner;
} tnode;

typedef struct inserter {
    tnode *nodes;
    int *go;
    int t;
} inserter;

static void host_insert(tnode *nodes, int idx)
{
    int key = nodes[idx].key, at = 0;
    for (;;) {
        int *slot = &nodes[at].child[key > nodes[at].key];
        int expected = 0;
        if (__atomic_compare_exchange_n(slot, &expected, idx, 0, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE))
            return;
        at = expected;
    }
}

static void *host_thread(void *arg)
{
    inserter *in = arg;
    while (!__atomic_load_n(in->go, __ATOMIC_ACQUIRE)) {
    }
    for (int j = 0; j < PER_HOST; j++) {
        int idx = 1 + NDEV + in->t * PER_HOST + j;
        in->nodes[idx].owner = in->t + 1;
        host_insert(in->nodes, idx);
    }
    return NULL;
}

/* In-order walk without recursion depth limits: an explicit stack. */
static int walk(const tnode *nodes, int *out)
{
    static int stack[NNODES];
    int sp = 0, n = 0, at = 0;
    for (;;) {
        while (at != -1) {
            CHECK_MSG(sp < NNODES, "tree deeper than its node count: a cycle");
            stack[sp++] = at;
            at = nodes[at].child[0] ? nodes[at].child[0] : -1;
        }
        if (!sp)
            return n;
        at = stack[--sp];
        CHECK_MSG(n < NNODES, "more nodes than inserted: a cycle");
        out[n++] = at;
        at = nodes[at].child[1] ? nodes[at].child[1] : -1;
    }
}

int main(void)
{
    svm_env e;
    svm_env_open(&e);
    oclc20_require_path(&e);
    tnode *nodes = oclc20_svm(&e, NNODES * sizeof *nodes);
    int *go = oclc20_svm(&e, sizeof *go);
    /* Distinct keys in a scrambled order: key(i) = i * 7919 mod a prime > NNODES. */
    const int prime = 10007;
    CHECK(NNODES < prime);
    for (int i = 0; i < NNODES; i++)
        nodes[i].key = (int)((long)i * 7919 % prime);
    cl_program prog = icd_test_program(e.context, e.device, svm_tree20_cl, OCLC20_SPIN_OPTS);
    cl_kernel k = icd_test_kernel(prog, "insert_keys");
    cl_int first = 1;
    CHECK_CL(clSetKernelArgSVMPointer(k, 0, nodes));
    CHECK_CL(clSetKernelArgSVMPointer(k, 1, go));
    CHECK_CL(clSetKernelArg(k, 2, sizeof first, &first));
    oclc20_launch(&e, k, NDEV);
    pthread_t th[NHOST];
    inserter in[NHOST];
    for (int t = 0; t < NHOST; t++) {
        in[t] = (inserter){nodes, go, t};
        CHECK(pthread_create(&th[t], NULL, host_thread, &in[t]) == 0);
    }
    __atomic_store_n(go, 1, __ATOMIC_RELEASE);
    for (int t = 0; t < NHOST; t++)
        CHECK(pthread_join(th[t], NULL) == 0);
    CHECK_CL(clFinish(e.queue));

    static int order[NNODES];
    static unsigned char seen[NNODES];
    int n = walk(nodes, order), dev = 0;
    CHECK_EQ(n, NNODES);
    for (int i = 0; i < n; i++) {
        CHECK_MSG(!seen[order[i]], "node %d twice", order[i]);
        seen[order[i]] = 1;
        if (i)
            CHECK_MSG(nodes[order[i - 1]].key < nodes[order[i]].key, "keys out of order at %d", i);
        dev += order[i] >= 1 && order[i] <= NDEV && nodes[order[i]].owner == 0;
    }
    CHECK_EQ(dev, NDEV);
    CHECK_CL(clReleaseKernel(k));
    CHECK_CL(clReleaseProgram(prog));
    clSVMFree(e.context, go);
    clSVMFree(e.context, nodes);
    svm_env_close(&e);
    return svm_exit_code();
}
