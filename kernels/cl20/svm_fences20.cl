/*
 * svm_fences20.cl: atomic_work_item_fence between plain accesses and relaxed atomics, both
 * ways between a running kernel and a host thread (tests/oclc20/test_oclc20_fences.c):
 *   - device -> host: plain stores of data, a release fence, a relaxed flag store; the host
 *     reads the flag with acquire and must then see the data;
 *   - host -> device: the host writes data, fences, stores a relaxed flag; the device polls the
 *     flag relaxed, an acquire fence, and must then see the data.
 * Needs -cl-std=CL2.0 -DSPIN_LIMIT=<n> -DWORDS=<n>.
 */
typedef struct exchange {
    int to_host[WORDS];
    int to_device[WORDS];
    int host_flag;   /* device -> host */
    int device_flag; /* host -> device */
    int seen_sum;    /* what the device read from to_device */
    int timed_out;
} exchange;

static void publish(int *data, atomic_int *flag, int base)
{
    for (int i = 0; i < WORDS; i++)
        data[i] = base + i;
    atomic_work_item_fence(CLK_GLOBAL_MEM_FENCE, memory_order_release,
                           memory_scope_all_svm_devices);
    atomic_store_explicit(flag, 1, memory_order_relaxed, memory_scope_all_svm_devices);
}

kernel void fences(global exchange *x, int base)
{
    publish(x->to_host, (atomic_int *)&x->host_flag, base);
    for (long idle = 0; atomic_load_explicit((atomic_int *)&x->device_flag, memory_order_relaxed,
                                             memory_scope_all_svm_devices) == 0;) {
        if (++idle > SPIN_LIMIT) {
            x->timed_out = 1;
            return;
        }
    }
    atomic_work_item_fence(CLK_GLOBAL_MEM_FENCE, memory_order_acquire,
                           memory_scope_all_svm_devices);
    int sum = 0;
    for (int i = 0; i < WORDS; i++)
        sum += x->to_device[i];
    x->seen_sum = sum;
}
