/*
 * svm_tree20.cl: the device half of a binary search tree that host threads and the device
 * insert into at the same time (tests/oclc20/test_oclc20_tree.c). Nodes sit in one fine-grain
 * SVM array with atomics and link by index; an insert claims an empty child slot (0 = empty)
 * with a compare-exchange through a generic atomic_int *, or follows whoever won it. Node 0
 * is the root, created by the host. Needs -cl-std=CL2.0 -DSPIN_LIMIT=<n>.
 */
typedef struct tnode {
    int key;
    int child[2]; /* node indices, 0 = none (node 0 is the root, never a child) */
    int owner;    /* 0 = device, t + 1 = host thread t */
} tnode;

static void insert(tnode *nodes, int idx)
{
    int key = nodes[idx].key;
    int at = 0;
    for (;;) {
        atomic_int *slot = (atomic_int *)&nodes[at].child[key > nodes[at].key];
        int expected = 0;
        /* release: the new node's key and children are visible before it is linked */
        if (atomic_compare_exchange_strong_explicit(slot, &expected, idx, memory_order_acq_rel,
                                                    memory_order_acquire,
                                                    memory_scope_all_svm_devices))
            return;
        at = expected; /* someone else's node: descend into it */
    }
}

kernel void insert_keys(global tnode *nodes, global int *go, int first)
{
    int idx = first + (int)get_global_id(0);
    for (long idle = 0; atomic_load_explicit((atomic_int *)go, memory_order_acquire,
                                             memory_scope_all_svm_devices) == 0;)
        if (++idle > SPIN_LIMIT)
            return;
    nodes[idx].owner = 0;
    insert(nodes, idx);
}
