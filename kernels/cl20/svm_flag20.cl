/*
 * svm_flag20.cl: message passing between a running kernel and the host through fine-grain SVM
 * with atomics (tests/oclc20/test_oclc20_flag.c). The device announces it is waiting, spins with
 * atomic_load_explicit(acquire, memory_scope_all_svm_devices) on a flag the host stores
 * (release) after writing a payload, reads the payload, and answers with its own release store.
 * Needs -cl-std=CL2.0 -DSPIN_LIMIT=<n>.
 */
typedef struct mailbox {
    int waiting; /* device -> host: the kernel is spinning */
    int flag;    /* host -> device: payload is written */
    int payload; /* written by the host before flag (plain store) */
    int answer;  /* written by the device before done (plain store) */
    int done;    /* device -> host */
    int polls;   /* how often the device looked at flag before it was set */
} mailbox;

static int spin_until_set(atomic_int *f, int *polls)
{
    int seen;
    long idle = 0;
    while ((seen = atomic_load_explicit(f, memory_order_acquire, memory_scope_all_svm_devices)) ==
           0) {
        if (++idle > SPIN_LIMIT)
            return 0;
    }
    *polls = (int)idle;
    return seen;
}

kernel void respond(global mailbox *m)
{
    atomic_store_explicit((atomic_int *)&m->waiting, 1, memory_order_release,
                          memory_scope_all_svm_devices);
    int polls = 0;
    if (!spin_until_set((atomic_int *)&m->flag, &polls))
        return; /* timed out: done stays 0 */
    m->polls = polls;
    m->answer = m->payload * 2 + 1; /* the payload must be the host's, thanks to acquire */
    atomic_store_explicit((atomic_int *)&m->done, 1, memory_order_release,
                          memory_scope_all_svm_devices);
}
