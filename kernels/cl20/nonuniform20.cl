/* nonuniform20.cl: non-uniform work-groups (test_oclc20_nonuniform). "record" writes every
 * work-item function's values for the three dimensions into a slot taken from a counter, so a
 * wrong global id cannot hide by overwriting another work-item's record. "group_sum" sums its
 * work-group's inputs through local memory and a barrier, remainder groups included. */
#define REC 28

/* OpenCL C 1.2 has no get_enqueued_local_size: the 1.2 build of this file has group_sum only. */
#if __OPENCL_C_VERSION__ >= 200
/* A function, not the kernel: the work-item functions are called outside kernels too. */
static void write_record(global ulong *out, volatile global uint *count)
{
    global ulong *r = out + (size_t)atomic_inc(count) * REC;
    for (uint d = 0; d < 3; d++) {
        r[0 + d] = get_global_id(d);
        r[3 + d] = get_local_id(d);
        r[6 + d] = get_local_size(d);
        r[9 + d] = get_enqueued_local_size(d);
        r[12 + d] = get_group_id(d);
        r[15 + d] = get_num_groups(d);
        r[18 + d] = get_global_size(d);
        r[21 + d] = get_global_offset(d);
    }
    r[24] = get_work_dim();
    r[25] = get_global_linear_id();
    r[26] = get_local_linear_id();
    r[27] = get_global_id(3) + get_global_size(3) * 10 + get_group_id(3) * 100 +
            get_num_groups(3) * 1000 + get_enqueued_local_size(3) * 10000;
}

kernel void record(global ulong *out, volatile global uint *count)
{
    write_record(out, count);
}

/* A required work-group size holds for the enqueued local size; remainder groups are smaller.
 * The hint stays beside it. */
__attribute__((reqd_work_group_size(4, 2, 1))) __attribute__((work_group_size_hint(2, 1, 1)))
kernel void record_reqd(global ulong *out, volatile global uint *count)
{
    write_record(out, count);
}
#endif

kernel void group_sum(global const int *in, global int *out, local int *scratch)
{
    size_t lid = get_local_id(0), n = get_local_size(0);
    scratch[lid] = in[get_global_id(0) - get_global_offset(0)];
    barrier(CLK_LOCAL_MEM_FENCE);
    if (lid == 0) {
        int sum = 0;
        for (size_t i = 0; i < n; i++)
            sum += scratch[i];
        out[get_group_id(0)] = sum;
    }
}

/* Busy work per work-item, for the profiling times of an NDRange in parts. */
kernel void spin(global uint *out, uint n)
{
    uint s = (uint)get_global_id(0);
    for (uint i = 0; i < n; i++)
        s = s * 1103515245u + 12345u;
    out[get_global_id(0) - get_global_offset(0)] = s;
}
