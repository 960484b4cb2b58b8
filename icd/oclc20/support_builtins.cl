/*
 * support_builtins.cl: built-ins of clang 15's opencl-c.h that pocl 3.1's kernel library lacks,
 * or defines only through a function it lacks, for SPIR programs (docs/opencl-c-2.0.md). Part
 * of clsvm's support library (compiled after support.cl, into the same bitcode).
 *
 * Each table row is one declaration of opencl-c.h (same name, parameter types and address
 * spaces, so the same mangled name); test_oclc20_builtin_surface calls every built-in the device
 * lists, under CL1.2, CL2.0 and CL3.0, and fails on any left unresolved. Each body forwards to
 * a form pocl's library has under its SPIR name (never to pocl's internal functions, whose
 * calling convention and argument types differ: pocl would link them and write a kernel cache
 * entry it cannot read back).
 */

/* ---- cl_khr_{global,local}_int32_{base,extended}_atomics: atom_* on 32-bit integers ----
 * pocl's library has the 64-bit atom_* and the OpenCL 1.1 atomic_* they equal, not these. */
/* Two-operand operations: (name, the atomic_* built-in). */
#define CLSVM_ATOM2_OPS(X, AS, T)                                                                  \
    X(add, atomic_add, AS, T)                                                                      \
    X(sub, atomic_sub, AS, T)                                                                      \
    X(xchg, atomic_xchg, AS, T)                                                                    \
    X(min, atomic_min, AS, T)                                                                      \
    X(max, atomic_max, AS, T)                                                                      \
    X(and, atomic_and, AS, T)                                                                      \
    X(or, atomic_or, AS, T)                                                                        \
    X(xor, atomic_xor, AS, T)
#define CLSVM_ATOM2(op, fn, AS, T)                                                                 \
    __attribute__((overloadable)) T atom_##op(volatile AS T *p, T v)                               \
    {                                                                                              \
        return fn(p, v);                                                                           \
    }
#define CLSVM_ATOM_ALL(AS, T)                                                                      \
    CLSVM_ATOM2_OPS(CLSVM_ATOM2, AS, T)                                                            \
    __attribute__((overloadable)) T atom_inc(volatile AS T *p)                                     \
    {                                                                                              \
        return atomic_inc(p);                                                                      \
    }                                                                                              \
    __attribute__((overloadable)) T atom_dec(volatile AS T *p)                                     \
    {                                                                                              \
        return atomic_dec(p);                                                                      \
    }                                                                                              \
    __attribute__((overloadable)) T atom_cmpxchg(volatile AS T *p, T cmp, T v)                     \
    {                                                                                              \
        return atomic_cmpxchg(p, cmp, v);                                                          \
    }
CLSVM_ATOM_ALL(__global, int)
CLSVM_ATOM_ALL(__global, uint)
CLSVM_ATOM_ALL(__local, int)
CLSVM_ATOM_ALL(__local, uint)

/* ---- wait_group_events with a generic pointer ----
 * pocl's generic overload calls a _cl_wait_group_events it lacks; its private one works, and a
 * CPU device has one address space. */
__attribute__((overloadable)) void wait_group_events(int n, private event_t *events);
__attribute__((overloadable)) void wait_group_events(int n, generic event_t *events)
{
    wait_group_events(n, (private event_t *)events);
}

/* ---- mem_fence, read_mem_fence, write_mem_fence ----
 * pocl's library has none of them for SPIR (its own compiler expands them inline). Each orders
 * the work-item's memory operations on the named memory: an acquire-release fence at work-group
 * scope, which is what OpenCL C 2.0 defines them as. */
__attribute__((overloadable)) void mem_fence(cl_mem_fence_flags flags)
{
    atomic_work_item_fence(flags, memory_order_acq_rel, memory_scope_work_group);
}
__attribute__((overloadable)) void read_mem_fence(cl_mem_fence_flags flags)
{
    atomic_work_item_fence(flags, memory_order_acq_rel, memory_scope_work_group);
}
__attribute__((overloadable)) void write_mem_fence(cl_mem_fence_flags flags)
{
    atomic_work_item_fence(flags, memory_order_acq_rel, memory_scope_work_group);
}

/* ---- half_* math on float ----
 * pocl's library has them only under internal names of another calling convention, which SPIR
 * code must not call. Each is its full-precision function, a valid implementation of the
 * reduced-precision one (OpenCL C allows half_* up to 8192 ulp). (name, expression) */
#define CLSVM_FLOATS(X, name, expr)                                                                \
    X(name, float, expr)                                                                           \
    X(name, float2, expr)                                                                          \
    X(name, float3, expr)                                                                          \
    X(name, float4, expr)                                                                          \
    X(name, float8, expr)                                                                          \
    X(name, float16, expr)
#define CLSVM_HALF1(name, T, expr)                                                                 \
    __attribute__((overloadable)) T name(T x)                                                      \
    {                                                                                              \
        return expr;                                                                               \
    }
#define CLSVM_HALF2(name, T, expr)                                                                 \
    __attribute__((overloadable)) T name(T x, T y)                                                 \
    {                                                                                              \
        return expr;                                                                               \
    }
CLSVM_FLOATS(CLSVM_HALF1, half_cos, cos(x))
CLSVM_FLOATS(CLSVM_HALF1, half_exp, exp(x))
CLSVM_FLOATS(CLSVM_HALF1, half_exp2, exp2(x))
CLSVM_FLOATS(CLSVM_HALF1, half_exp10, exp10(x))
CLSVM_FLOATS(CLSVM_HALF1, half_log, log(x))
CLSVM_FLOATS(CLSVM_HALF1, half_log2, log2(x))
CLSVM_FLOATS(CLSVM_HALF1, half_log10, log10(x))
CLSVM_FLOATS(CLSVM_HALF1, half_recip, 1.0f / x)
CLSVM_FLOATS(CLSVM_HALF1, half_rsqrt, rsqrt(x))
CLSVM_FLOATS(CLSVM_HALF1, half_sin, sin(x))
CLSVM_FLOATS(CLSVM_HALF1, half_sqrt, sqrt(x))
CLSVM_FLOATS(CLSVM_HALF1, half_tan, tan(x))
CLSVM_FLOATS(CLSVM_HALF2, half_divide, x / y)
CLSVM_FLOATS(CLSVM_HALF2, half_powr, powr(x, y))

/* ---- write_imagei on 3D and 2D array images ----
 * pocl's SPIR functions call _cl_write_imagei under a misspelt mangled name. Its write_imageui
 * for the same image works and stores the same bits: pocl writes a pixel from the color's bits
 * according to the image's channel type, whichever function is called. (Calling pocl's
 * internal _cl_write_imagei directly would pass a SPIR image where it takes its own pointer
 * type.) (access qualifier, image type) */
#define CLSVM_WRITE_IMAGEI(acc, I)                                                                 \
    __attribute__((overloadable)) void write_imagei(acc I img, int4 coord, int4 color)             \
    {                                                                                              \
        write_imageui(img, coord, as_uint4(color));                                                \
    }
CLSVM_WRITE_IMAGEI(write_only, image3d_t)
CLSVM_WRITE_IMAGEI(write_only, image2d_array_t)
CLSVM_WRITE_IMAGEI(read_write, image3d_t)
CLSVM_WRITE_IMAGEI(read_write, image2d_array_t)

/* ---- get_image_width, _channel_order, _channel_data_type of 1D buffer images ----
 * pocl's SPIR functions call _cl_* functions it lacks for them. Every image is the same device
 * structure on pocl's CPU device, so the 1D image's query reads the same fields: it is called
 * under its SPIR name (the image argument's type differs only in name). */
#define CLSVM_IMAGE1D_BUFFER_QUERY(q, mangled_len, acc, tag)                                       \
    int clsvm_##q##_##tag(acc image1d_buffer_t img) __asm("_Z" #mangled_len #q                     \
                                                          "14ocl_image1d_" #tag);                  \
    __attribute__((overloadable)) int q(acc image1d_buffer_t img)                                  \
    {                                                                                              \
        return clsvm_##q##_##tag(img);                                                             \
    }
#define CLSVM_IMAGE1D_BUFFER_QUERIES(acc, tag)                                                     \
    CLSVM_IMAGE1D_BUFFER_QUERY(get_image_width, 15, acc, tag)                                      \
    CLSVM_IMAGE1D_BUFFER_QUERY(get_image_channel_order, 23, acc, tag)                              \
    CLSVM_IMAGE1D_BUFFER_QUERY(get_image_channel_data_type, 27, acc, tag)
CLSVM_IMAGE1D_BUFFER_QUERIES(read_only, ro)
CLSVM_IMAGE1D_BUFFER_QUERIES(write_only, wo)
CLSVM_IMAGE1D_BUFFER_QUERIES(read_write, rw)
