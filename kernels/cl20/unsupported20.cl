/*
 * unsupported20.cl: OpenCL C 2.0 features the device does not support, one per -D switch, for
 * tests/oclc20/test_oclc20_unsupported.c. Build with -cl-std=CL2.0 and at most one of
 * -DUSE_PIPES, -DUSE_DEVICE_ENQUEUE, -DUSE_COLLECTIVES, -DUSE_SUB_GROUPS,
 * -DUSE_SUB_GROUPS_PRAGMA, -DUSE_DEPTH_IMAGES: each such build must fail with a log naming what is missing. Without
 * a switch only `good` is compiled: a working 2.0 program (generic pointers, C11 atomics), used
 * for the non-uniform work-group check and to show that failed builds break nothing.
 */

/* A generic-pointer helper, so `good` needs the 2.0 path. */
static void record(atomic_int *count, int *slot, int v)
{
    *slot = 2 * v;
    atomic_fetch_add(count, 1);
}

/* out[i] := 2 * (i + 1), *count += 1 per work-item. */
kernel void good(global int *out, global atomic_int *count)
{
    int i = (int)get_global_id(0);
    record(count, &out[i], i + 1);
}

#ifdef USE_PIPES
kernel void uses_pipe(read_only pipe int p, global int *out)
{
    int v = 0;
    if (read_pipe(p, &v) == 0)
        out[get_global_id(0)] = v;
}
#endif

#ifdef USE_DEVICE_ENQUEUE
kernel void uses_enqueue(global int *out)
{
    ndrange_t r = ndrange_1D(4);
    enqueue_kernel(get_default_queue(), CLK_ENQUEUE_FLAGS_NO_WAIT, r,
                   ^{ out[get_global_id(0)] = 1; });
}
#endif

#ifdef USE_COLLECTIVES
kernel void uses_collective(global int *out)
{
    size_t i = get_global_id(0);
    out[i] = work_group_reduce_add(out[i]);
}
#endif

#ifdef USE_DEPTH_IMAGES
kernel void uses_depth_image(read_only image2d_depth_t im, global float *out)
{
    out[get_global_id(0)] = read_imagef(im, (int2)(0, 0));
}
#endif

#ifdef USE_SUB_GROUPS_PRAGMA
#pragma OPENCL EXTENSION cl_khr_subgroups : enable
#define USE_SUB_GROUPS
#endif

#ifdef USE_SUB_GROUPS
kernel void uses_sub_group(global uint *out)
{
    out[get_global_id(0)] = get_sub_group_size();
}
#endif
