/* svm_producer_consumer.cl: the consumer half of a host -> device queue in fine-grain SVM with
 * atomics. The kernel runs *while* the host produces: it first waits for the host's "go" flag,
 * then takes the items one by one out of a small ring the host keeps refilling. Only OpenCL C
 * 1.2 atomics (atomic_add/atomic_xchg on global int) are used, so any OpenCL 2.0 SVM device can
 * run it. RING and SPIN_LIMIT come from the build options (svm_producer_consumer.c). */

/* Same layout as the host's struct channel. A slot holds 0 (empty) or an item (> 0). */
typedef struct channel {
    int go;       /* host -> device: 0 wait, 1 start, 2 give up */
    int consumed; /* device -> host: items taken so far */
    int status;   /* device -> host: 1 done, -1 gave up waiting, -2 told to give up */
    int errors;   /* items that arrived out of order */
    long sum;     /* sum of the items taken */
    int slot[RING];
} channel;

/* A read that is an atomic operation, so the host's atomic stores are seen promptly. */
#define LOAD(p) atomic_add((p), 0)

kernel void consume(global channel *ch, int n_items)
{
    /* Wait (bounded) for the host: it sets go only after clFlush, so getting past this loop
     * proves the kernel and the host run at the same time. A broken implementation fails here
     * with status -1 instead of hanging. */
    long idle = 0;
    while (LOAD(&ch->go) == 0)
        if (++idle > SPIN_LIMIT) {
            atomic_xchg(&ch->status, -1);
            return;
        }
    long sum = 0;
    for (int i = 0; i < n_items; i++) {
        volatile global int *slot = &ch->slot[i % RING];
        int item;
        idle = 0;
        /* Take the item and leave the slot empty in one atomic step; 0 means not there yet. */
        while ((item = atomic_xchg(slot, 0)) == 0) {
            if (++idle > SPIN_LIMIT || LOAD(&ch->go) == 2) {
                ch->sum = sum;
                atomic_xchg(&ch->status, LOAD(&ch->go) == 2 ? -2 : -1);
                return;
            }
        }
        if (item != i + 1)
            atomic_inc(&ch->errors);
        sum += item;
        atomic_inc(&ch->consumed);
    }
    ch->sum = sum;
    atomic_xchg(&ch->status, 1);
}
