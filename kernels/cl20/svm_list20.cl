/*
 * svm_list20.cl: the device half of a lock-free linked list (a Treiber stack of nodes linked by
 * index) in fine-grain SVM with atomics, pushed onto by host threads and the device at once
 * (tests/oclc20/test_oclc20_list.c). OpenCL C 2.0 style: the push is a helper taking plain
 * (generic) pointers, the head is compare-exchanged through an atomic_int * cast, with
 * memory_scope_all_svm_devices so the host's C11 atomics on the same int take part.
 * Needs -cl-std=CL2.0 -DSPIN_LIMIT=<n>.
 */

/* Same layout as the host's (16 bytes). */
typedef struct node {
    int next; /* index of the next node, -1 at the end */
    int owner; /* 0 = device, t + 1 = host thread t */
    int seq;   /* push order within the owner */
    int pad;
} node;

typedef struct list {
    int head;    /* index of the first node, -1 when empty */
    int go;      /* set by the host once everyone may push */
    int retries; /* failed device compare-exchanges: evidence of contention */
    int pad;
} list;

/* Pushes node idx; returns the number of failed attempts. */
static int push_node(int *head, node *nodes, int idx)
{
    atomic_int *h = (atomic_int *)head;
    int old = atomic_load_explicit(h, memory_order_relaxed, memory_scope_all_svm_devices);
    int failed = 0;
    for (;;) {
        nodes[idx].next = old;
        /* release: the node's fields are visible before it is reachable from head */
        if (atomic_compare_exchange_weak_explicit(h, &old, idx, memory_order_release,
                                                  memory_order_relaxed,
                                                  memory_scope_all_svm_devices))
            return failed;
        failed++;
    }
}

static int wait_go(int *go)
{
    for (long idle = 0; atomic_load_explicit((atomic_int *)go, memory_order_acquire,
                                             memory_scope_all_svm_devices) == 0;)
        if (++idle > SPIN_LIMIT)
            return 0;
    return 1;
}

kernel void push(global list *l, global node *nodes)
{
    int i = (int)get_global_id(0);
    if (!wait_go(&l->go))
        return; /* the host then finds the node missing */
    nodes[i].owner = 0;
    nodes[i].seq = i;
    int failed = push_node(&l->head, nodes, i);
    if (failed)
        atomic_fetch_add_explicit((atomic_int *)&l->retries, failed, memory_order_relaxed,
                                  memory_scope_all_svm_devices);
}
