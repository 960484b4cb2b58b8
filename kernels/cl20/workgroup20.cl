/*
 * workgroup20.cl: OpenCL C 2.0 work-group built-ins that pocl provides, checked with real
 * results by tests/oclc20/test_oclc20_workgroup.c. Build with -cl-std=CL2.0.
 */

/* Sum of each work-group's inputs: a tree reduction in local memory, each step separated by
 * the OpenCL C 2.0 barrier with an explicit scope. out[group] = sum. */
kernel void reduce(global const int *in, global int *out, local int *scratch)
{
    size_t l = get_local_id(0), n = get_local_size(0);
    scratch[l] = in[get_global_id(0)];
    work_group_barrier(CLK_LOCAL_MEM_FENCE, memory_scope_work_group);
    for (size_t s = n / 2; s > 0; s /= 2) {
        if (l < s)
            scratch[l] += scratch[l + s];
        work_group_barrier(CLK_LOCAL_MEM_FENCE, memory_scope_work_group);
    }
    if (l == 0)
        out[get_group_id(0)] = scratch[0];
}

/* Every work-item writes get_enqueued_local_size(d) and get_local_size(d) for d = 0, 1. */
kernel void sizes(global uint *out)
{
    size_t i = get_global_id(1) * get_global_size(0) + get_global_id(0);
    out[4 * i + 0] = (uint)get_enqueued_local_size(0);
    out[4 * i + 1] = (uint)get_enqueued_local_size(1);
    out[4 * i + 2] = (uint)get_local_size(0);
    out[4 * i + 3] = (uint)get_local_size(1);
}

/* One line per work-item, through a generic-pointer helper so the 2.0 path is exercised. */
static int twice(int *p)
{
    return 2 * *p;
}

kernel void say(int base)
{
    int id = (int)get_global_id(0) + base;
    printf("item %d twice %d %s\n", id, twice(&id), "ok");
}
