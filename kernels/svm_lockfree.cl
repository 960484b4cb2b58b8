/* svm_lockfree.cl: the device half of a lock-free (Treiber) stack in fine-grain SVM that host
 * threads push onto at the same time. Every work-item pushes one node with a 64-bit
 * compare-and-swap on the stack's head pointer (atom_cmpxchg, cl_khr_int64_base_atomics: the
 * OpenCL C 1.2 way to CAS a pointer). Pushes only, so the ABA problem of pop cannot arise. */
#pragma OPENCL EXTENSION cl_khr_int64_base_atomics : enable

/* Same layout as the host's struct node (24 bytes). */
typedef struct node {
    global struct node *next;
    int owner; /* 0 = device, t + 1 = host thread t */
    int seq;   /* push order within the owner */
    uint payload;
    uint pad;
} node;

/* Same layout as the host's struct stack. */
typedef struct stack {
    ulong head;  /* global node *, as the integer the 64-bit atomics work on */
    int go;      /* set by the host after clFlush: everyone starts pushing at once */
    int retries; /* failed CAS attempts on the device: evidence of contention */
} stack;

/* Stands in for the work that produces a node's contents; it also spreads the pushes over
 * time, so that host and device really push at the same time. The host checks the result
 * with the same function (svm_lockfree.c). ROUNDS comes from the build options. */
uint payload_of(uint x)
{
    for (int r = 0; r < ROUNDS; r++)
        x = x * 1664525u + 1013904223u;
    return x;
}

kernel void push(global stack *st, global node *nodes)
{
    size_t i = get_global_id(0);
    /* Bounded wait for the host's start signal; on timeout the node is not pushed and the
     * host's check reports it missing. */
    for (long idle = 0; atomic_add(&st->go, 0) == 0;)
        if (++idle > SPIN_LIMIT)
            return;
    global node *n = &nodes[i];
    n->owner = 0;
    n->seq = (int)i;
    n->payload = payload_of((uint)i);
    ulong old = atom_add(&st->head, 0UL);
    for (;;) {
        n->next = (global node *)old;
        /* The node's fields must be visible before it becomes reachable from head. */
        mem_fence(CLK_GLOBAL_MEM_FENCE);
        ulong seen = atom_cmpxchg(&st->head, old, (ulong)n);
        if (seen == old)
            break;
        atomic_inc(&st->retries);
        old = seen;
    }
}
