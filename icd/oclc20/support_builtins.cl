/*
 * support_builtins.cl: built-ins of clang 15's opencl-c.h that pocl 3.1's kernel library lacks,
 * or defines only through a function it lacks, for SPIR programs (docs/opencl-c-2.0.md). Part
 * of clsvm's support library (compiled after support.cl, into the same bitcode).
 *
 * Each table row is one declaration of opencl-c.h (same name, parameter types and address
 * spaces, so the same mangled name); test_oclc20_builtin_surface calls every built-in the device
 * lists, under CL1.2, CL2.0 and CL3.0, and fails on any left unresolved. Each body forwards to
 * a form pocl's library has.
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
