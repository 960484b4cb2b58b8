/* test_oclc20_list: a lock-free linked list in fine-grain SVM with atomics, pushed onto by host
 * threads (C11 atomics) and an OpenCL C 2.0 kernel (kernels/cl20/svm_list20.cl: generic
 * atomic_int * compare-exchange, memory_scope_all_svm_devices) at the same time. Afterwards
 * every node is on the list exactly once, with the fields its owner wrote, in each owner's
 * push order. */
#include "oclc20/oclc20_test.h"

#include "svm_list20_cl.h"

#include <pthread.h>

enum { NDEV = 256, NHOST = 3, PER_HOST = 2000, NNODES = NDEV + NHOST * PER_HOST };

typedef struct node {
    int next, owner, seq, pad;
} node;

typedef struct list {
    int head, go, retries, pad;
} list;

typedef struct pusher {
    list *l;
    node *nodes;
    int t;
} pusher;

static void *host_push(void *arg)
{
    pusher *p = arg;
    while (!__atomic_load_n(&p->l->go, __ATOMIC_ACQUIRE)) {
    }
    for (int j = 0; j < PER_HOST; j++) {
        int idx = NDEV + p->t * PER_HOST + j;
        p->nodes[idx].owner = p->t + 1;
        p->nodes[idx].seq = j;
        int old = __atomic_load_n(&p->l->head, __ATOMIC_RELAXED);
        do
            p->nodes[idx].next = old;
        while (!__atomic_compare_exchange_n(&p->l->head, &old, idx, 1, __ATOMIC_RELEASE,
                                            __ATOMIC_RELAXED));
    }
    return NULL;
}

int main(void)
{
    svm_env e;
    svm_env_open(&e);
    oclc20_require_path(&e);
    list *l = oclc20_svm(&e, sizeof *l);
    node *nodes = oclc20_svm(&e, NNODES * sizeof *nodes);
    l->head = -1;
    cl_program prog = icd_test_program(e.context, e.device, svm_list20_cl, OCLC20_SPIN_OPTS);
    cl_kernel k = icd_test_kernel(prog, "push");
    CHECK_CL(clSetKernelArgSVMPointer(k, 0, l));
    CHECK_CL(clSetKernelArgSVMPointer(k, 1, nodes));
    oclc20_launch(&e, k, NDEV);
    pthread_t th[NHOST];
    pusher ps[NHOST];
    for (int t = 0; t < NHOST; t++) {
        ps[t] = (pusher){l, nodes, t};
        CHECK(pthread_create(&th[t], NULL, host_push, &ps[t]) == 0);
    }
    __atomic_store_n(&l->go, 1, __ATOMIC_RELEASE);
    for (int t = 0; t < NHOST; t++)
        CHECK(pthread_join(th[t], NULL) == 0);
    CHECK_CL(clFinish(e.queue));

    /* Walk the list: each node once, each owner's nodes in reverse push order (a stack). */
    static unsigned char seen[NNODES];
    int last_seq[NHOST + 1], count = 0;
    for (int o = 0; o <= NHOST; o++)
        last_seq[o] = o ? PER_HOST : -1;
    int dev_count = 0;
    for (int i = __atomic_load_n(&l->head, __ATOMIC_ACQUIRE); i != -1; i = nodes[i].next) {
        CHECK_MSG(i >= 0 && i < NNODES, "bad index %d on the list", i);
        CHECK_MSG(!seen[i], "node %d twice on the list", i);
        seen[i] = 1;
        count++;
        int o = nodes[i].owner;
        CHECK_MSG(o >= 0 && o <= NHOST, "node %d owner %d", i, o);
        if (o == 0) {
            CHECK_MSG(i < NDEV && nodes[i].seq == i, "device node %d seq %d", i, nodes[i].seq);
            dev_count++;
        } else {
            CHECK_MSG(i == NDEV + (o - 1) * PER_HOST + nodes[i].seq, "host node %d", i);
            CHECK_MSG(nodes[i].seq < last_seq[o], "host thread %d: seq %d after %d", o - 1,
                      nodes[i].seq, last_seq[o]);
            last_seq[o] = nodes[i].seq;
        }
    }
    CHECK_EQ(dev_count, NDEV);
    CHECK_EQ(count, NNODES);
    printf("list: %d nodes, %d device compare-exchange retries\n", count, l->retries);
    CHECK_CL(clReleaseKernel(k));
    CHECK_CL(clReleaseProgram(prog));
    clSVMFree(e.context, nodes);
    clSVMFree(e.context, l);
    svm_env_close(&e);
    return svm_exit_code();
}
