/*
 * atomics_generic.cl: OpenCL C 2.0 C11 atomics through generic pointers, one result per
 * operation (tests/oclc20/test_oclc20_atomics.c checks each). Build with -cl-std=CL2.0.
 * Every work-item of an NDRange of n runs the same sequence, so each result is exact.
 */

/* Helpers take unqualified (generic) pointers, as OpenCL 2.0 code does. */
static int add_relaxed(atomic_int *c, int by)
{
    return atomic_fetch_add_explicit(c, by, memory_order_relaxed, memory_scope_all_svm_devices);
}

static void spin_lock(atomic_flag *f)
{
    while (atomic_flag_test_and_set_explicit(f, memory_order_acquire, memory_scope_device))
        ;
}

static void spin_unlock(atomic_flag *f)
{
    atomic_flag_clear_explicit(f, memory_order_release, memory_scope_device);
}

kernel void count(global int *c, int reps)
{
    for (int i = 0; i < reps; i++)
        add_relaxed((atomic_int *)c, 1);
}

kernel void int_ops(global int *v, global int *sums)
{
    int id = (int)get_global_id(0);
    atomic_int *a = (atomic_int *)v; /* global -> generic */
    atomic_fetch_add(&a[0], 1);
    atomic_fetch_sub_explicit(&a[1], 1, memory_order_acq_rel);
    atomic_fetch_or(&a[2], 1 << (id % 32));
    atomic_fetch_xor_explicit(&a[3], 1 << (id % 32), memory_order_seq_cst, memory_scope_device);
    atomic_fetch_and(&a[4], ~(1 << (id % 32)));
    atomic_fetch_min(&a[5], id - 10);
    atomic_fetch_max_explicit(&a[6], id, memory_order_relaxed);
    /* compare-exchange loops: +2 each */
    int seen = atomic_load(&a[7]);
    while (!atomic_compare_exchange_strong(&a[7], &seen, seen + 2))
        ;
    seen = atomic_load_explicit(&a[8], memory_order_acquire, memory_scope_all_svm_devices);
    while (!atomic_compare_exchange_weak_explicit(&a[8], &seen, seen + 1, memory_order_acq_rel,
                                                  memory_order_acquire,
                                                  memory_scope_all_svm_devices))
        ;
    /* exchange: the values handed back plus the last one stored are 0 and 1..n */
    int old = atomic_exchange_explicit(&a[9], id + 1, memory_order_acq_rel, memory_scope_device);
    atomic_fetch_add((atomic_int *)&sums[0], old);
    /* a spin lock from atomic_flag around a plain increment */
    spin_lock((atomic_flag *)&v[11]);
    v[10] += 1;
    spin_unlock((atomic_flag *)&v[11]);
    /* unsigned: min/max are unsigned comparisons */
    atomic_uint *u = (atomic_uint *)&v[12];
    atomic_fetch_max(u, 0x80000000u + (uint)id);
    atomic_fetch_min((atomic_uint *)&v[13], 0xffffff00u + (uint)id);
    /* store / load / init */
    if (id == 0) {
        atomic_init(&a[14], 7);
        atomic_store_explicit(&a[15], 42, memory_order_release, memory_scope_all_svm_devices);
        sums[1] = atomic_load_explicit(&a[15], memory_order_acquire);
    }
    atomic_work_item_fence(CLK_GLOBAL_MEM_FENCE, memory_order_seq_cst, memory_scope_device);
}

kernel void wide_ops(global long *l, global ulong *ul, global float *f, global double *d)
{
    long id = (long)get_global_id(0);
    atomic_fetch_add((atomic_long *)&l[0], 1L << 33);
    atomic_fetch_min_explicit((atomic_long *)&l[1], -(id << 34), memory_order_relaxed,
                              memory_scope_device);
    atomic_fetch_max((atomic_ulong *)&ul[0], (ulong)id << 40);
    atomic_fetch_or_explicit((atomic_ulong *)&ul[1], 1UL << id, memory_order_relaxed);
    /* atomic_uintptr_t += ptrdiff_t */
    atomic_fetch_add((atomic_uintptr_t *)&ul[2], (ptrdiff_t)8);
    /* float and double: compare-exchange loops */
    atomic_float *af = (atomic_float *)&f[0];
    float seen = atomic_load(af);
    while (!atomic_compare_exchange_strong(af, &seen, seen + 1.0f))
        ;
    atomic_double *ad = (atomic_double *)&d[0];
    double dseen = atomic_load_explicit(ad, memory_order_relaxed, memory_scope_device);
    while (!atomic_compare_exchange_weak(ad, &dseen, dseen + 0.5))
        ;
    if (id == 0) {
        atomic_store((atomic_float *)&f[1], 2.5f);
        f[2] = atomic_exchange((atomic_float *)&f[1], 3.5f);
        atomic_store_explicit((atomic_long *)&l[2], -5L, memory_order_seq_cst);
    }
}

/* to_global/to_private on generic pointers, and get_fence */
kernel void address_spaces(global int *g, global int *out)
{
    int priv = 5;
    int *gp = g, *pp = &priv;
    global int *back = to_global(gp);
    private int *pback = to_private(pp);
    out[0] = back != NULL && back == g;
    out[1] = pback != NULL && *pback == 5;
    out[2] = (get_fence(gp) & CLK_GLOBAL_MEM_FENCE) != 0;
}
