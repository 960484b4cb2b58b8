/*
 * generic30.cl: an OpenCL C 3.0 program that uses the generic address space, for
 * tests/oclc20/test_oclc20_cl30.c. Build with -cl-std=CL3.0. features() reports which feature
 * macros the compile saw (the test compares them with CL_DEVICE_OPENCL_C_FEATURES); count() and
 * spaces() need the generic address space, which pocl 3.1 alone does not compile.
 */
#ifndef __opencl_c_generic_address_space
#error "the device lists __opencl_c_generic_address_space, so the compile must define it"
#endif

/* Bit i set when feature macro i is defined; the order is the test's feature_names[]. */
kernel void features(global uint *out)
{
    uint m = 0;
#ifdef __opencl_c_generic_address_space
    m |= 1u << 0;
#endif
#ifdef __opencl_c_atomic_order_seq_cst
    m |= 1u << 1;
#endif
#ifdef __opencl_c_atomic_scope_all_devices
    m |= 1u << 2;
#endif
#ifdef __opencl_c_fp64
    m |= 1u << 3;
#endif
#ifdef __opencl_c_images
    m |= 1u << 4;
#endif
#ifdef __opencl_c_read_write_images
    m |= 1u << 5;
#endif
#ifdef __opencl_c_pipes
    m |= 1u << 6;
#endif
#ifdef __opencl_c_device_enqueue
    m |= 1u << 7;
#endif
#ifdef __opencl_c_work_group_collective_functions
    m |= 1u << 8;
#endif
#ifdef __opencl_c_subgroups
    m |= 1u << 9;
#endif
#ifdef __opencl_c_program_scope_global_variables
    m |= 1u << 10;
#endif
#ifdef __opencl_c_int64
    m |= 1u << 11;
#endif
    out[0] = m;
}

/* A helper taking a generic pointer, called with a global one. */
static int bump(atomic_int *c, int by)
{
    return atomic_fetch_add_explicit(c, by, memory_order_relaxed, memory_scope_all_svm_devices);
}

kernel void count(global int *c, int reps)
{
    for (int i = 0; i < reps; i++)
        bump((atomic_int *)c, 1);
}

/* Generic pointers to global and local memory, told apart by to_global/to_local. */
kernel void spaces(global int *out, local int *scratch)
{
    int *g = out + 1;
    int *l = scratch;
    atomic_store_explicit((atomic_int *)l, 7, memory_order_relaxed, memory_scope_work_group);
    work_group_barrier(CLK_LOCAL_MEM_FENCE);
    global int *back = to_global(g);
    *back = atomic_load_explicit((atomic_int *)l, memory_order_relaxed, memory_scope_work_group);
    out[0] = to_local(l) != NULL;
}
