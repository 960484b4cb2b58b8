/*
 * support.cl: clsvm's OpenCL C 2.0 support library (docs/opencl-c-2.0.md).
 *
 * clsvm compiles OpenCL C 2.x programs itself with clang to SPIR and links this library into
 * each one (clang -mlink-builtin-bitcode: only the functions a program calls, internalized), so
 * the backend's kernel library need not provide what pocl 3.1's lacks: the generic-address-space
 * overloads of the C11 atomic functions, to_global/to_local/to_private, get_fence, and of the
 * built-ins with pointer arguments (fract ... remquo, vloadN/vstoreN, vload_half & co.).
 *
 * The functions come from tables (X-macros) over the atomic types, so every overload clang's
 * opencl-c.h declares for the generic address space exists. Every order and scope is
 * implemented as seq_cst at system scope, the strongest there is, which is always a valid
 * implementation of a weaker request and matches a CPU device where every atomic is a host
 * atomic (memory_scope_all_svm_devices included). The SPIR target has no lock-free atomic
 * size, so clang's __c11/__opencl atomic builtins would become library calls; the __sync
 * builtins always become LLVM atomicrmw/cmpxchg/fence instructions. An atomic load is a
 * volatile load between two seq_cst fences (a single aligned load on the CPU).
 */
#define OVL __attribute__((overloadable, always_inline))

/* Integer atomic types: (atomic type, value type). */
#define CLSVM_INT_TYPES(X)                                                                         \
    X(atomic_int, int)                                                                             \
    X(atomic_uint, uint)                                                                           \
    X(atomic_long, long)                                                                           \
    X(atomic_ulong, ulong)
/* Floating-point atomic types: (atomic type, value type, integer type of the same size). */
#define CLSVM_FLOAT_TYPES(X)                                                                       \
    X(atomic_float, float, int, as_float, as_int)                                                  \
    X(atomic_double, double, long, as_double, as_long)
/* Read-modify-write operations: (name, the overloaded primitive below or __sync builtin). */
#define CLSVM_RMW_OPS(X)                                                                           \
    X(add, __sync_fetch_and_add)                                                                   \
    X(sub, __sync_fetch_and_sub)                                                                   \
    X(or, __sync_fetch_and_or)                                                                     \
    X(xor, __sync_fetch_and_xor)                                                                   \
    X(and, __sync_fetch_and_and)                                                                   \
    X(min, clsvm_fetch_min)                                                                        \
    X(max, clsvm_fetch_max)

#define FULL_FENCE() __sync_synchronize()
#define P(T, p) ((volatile generic T *)(p))

/* ---- the primitive operations on a value type (bits: an integer type) ---- */
#define PRIMS(A, T)                                                                                \
    static inline OVL T clsvm_load(volatile generic A *p)                                          \
    {                                                                                              \
        FULL_FENCE();                                                                              \
        T v = *P(T, p);                                                                            \
        FULL_FENCE();                                                                              \
        return v;                                                                                  \
    }                                                                                              \
    static inline OVL T clsvm_xchg(volatile generic A *p, T v)                                     \
    {                                                                                              \
        FULL_FENCE();                                                                              \
        T old = __sync_lock_test_and_set(P(T, p), v);                                              \
        FULL_FENCE();                                                                              \
        return old;                                                                                \
    }                                                                                              \
    static inline OVL bool clsvm_cas(volatile generic A *p, generic T *expected, T desired)        \
    {                                                                                              \
        T want = *expected;                                                                        \
        T old = __sync_val_compare_and_swap(P(T, p), want, desired);                               \
        if (old == want)                                                                           \
            return true;                                                                           \
        *expected = old;                                                                           \
        return false;                                                                              \
    }
CLSVM_INT_TYPES(PRIMS)

/* min/max: clang's __sync_fetch_and_[u]min/max exist for 32-bit operands only; the 64-bit
 * ones are a compare-exchange loop. */
static inline OVL int clsvm_fetch_min(volatile generic int *p, int v)
{
    return __sync_fetch_and_min(p, v);
}
static inline OVL int clsvm_fetch_max(volatile generic int *p, int v)
{
    return __sync_fetch_and_max(p, v);
}
static inline OVL uint clsvm_fetch_min(volatile generic uint *p, uint v)
{
    return __sync_fetch_and_umin(p, v);
}
static inline OVL uint clsvm_fetch_max(volatile generic uint *p, uint v)
{
    return __sync_fetch_and_umax(p, v);
}
#define MINMAX64(T, name, keep_old)                                                                \
    static inline OVL T name(volatile generic T *p, T v)                                           \
    {                                                                                              \
        T old = *p;                                                                                \
        for (;;) {                                                                                 \
            if (keep_old)                                                                          \
                return old;                                                                        \
            T seen = __sync_val_compare_and_swap(p, old, v);                                       \
            if (seen == old)                                                                       \
                return old;                                                                        \
            old = seen;                                                                            \
        }                                                                                          \
    }
MINMAX64(long, clsvm_fetch_min, old <= v)
MINMAX64(long, clsvm_fetch_max, old >= v)
MINMAX64(ulong, clsvm_fetch_min, old <= v)
MINMAX64(ulong, clsvm_fetch_max, old >= v)

#define FLOAT_PRIMS(A, T, I, from_bits, to_bits)                                                   \
    static inline OVL T clsvm_load(volatile generic A *p)                                          \
    {                                                                                              \
        FULL_FENCE();                                                                              \
        I v = *P(I, p);                                                                            \
        FULL_FENCE();                                                                              \
        return from_bits(v);                                                                       \
    }                                                                                              \
    static inline OVL T clsvm_xchg(volatile generic A *p, T v)                                     \
    {                                                                                              \
        FULL_FENCE();                                                                              \
        I old = __sync_lock_test_and_set(P(I, p), to_bits(v));                                     \
        FULL_FENCE();                                                                              \
        return from_bits(old);                                                                     \
    }                                                                                              \
    /* Compared bitwise, as C11 specifies compare_exchange (memcmp semantics). */                  \
    static inline OVL bool clsvm_cas(volatile generic A *p, generic T *expected, T desired)        \
    {                                                                                              \
        I want = to_bits(*expected);                                                               \
        I old = __sync_val_compare_and_swap(P(I, p), want, to_bits(desired));                      \
        if (old == want)                                                                           \
            return true;                                                                           \
        *expected = from_bits(old);                                                                \
        return false;                                                                              \
    }
CLSVM_FLOAT_TYPES(FLOAT_PRIMS)

/* ---- the OpenCL C 2.0 functions, for every value type: plain, _explicit(order) and
 * _explicit(order, scope) ---- */
#define MO memory_order
#define MS memory_scope
#define COMMON(A, T)                                                                               \
    OVL void atomic_init(volatile generic A *p, T v)                                               \
    {                                                                                              \
        *P(T, p) = v;                                                                              \
    }                                                                                              \
    OVL void atomic_store(volatile generic A *p, T v)                                              \
    {                                                                                              \
        clsvm_xchg(p, v);                                                                          \
    }                                                                                              \
    OVL void atomic_store_explicit(volatile generic A *p, T v, MO o)                               \
    {                                                                                              \
        clsvm_xchg(p, v);                                                                          \
    }                                                                                              \
    OVL void atomic_store_explicit(volatile generic A *p, T v, MO o, MS s)                         \
    {                                                                                              \
        clsvm_xchg(p, v);                                                                          \
    }                                                                                              \
    OVL T atomic_load(volatile generic A *p)                                                       \
    {                                                                                              \
        return clsvm_load(p);                                                                      \
    }                                                                                              \
    OVL T atomic_load_explicit(volatile generic A *p, MO o)                                        \
    {                                                                                              \
        return clsvm_load(p);                                                                      \
    }                                                                                              \
    OVL T atomic_load_explicit(volatile generic A *p, MO o, MS s)                                  \
    {                                                                                              \
        return clsvm_load(p);                                                                      \
    }                                                                                              \
    OVL T atomic_exchange(volatile generic A *p, T v)                                              \
    {                                                                                              \
        return clsvm_xchg(p, v);                                                                   \
    }                                                                                              \
    OVL T atomic_exchange_explicit(volatile generic A *p, T v, MO o)                               \
    {                                                                                              \
        return clsvm_xchg(p, v);                                                                   \
    }                                                                                              \
    OVL T atomic_exchange_explicit(volatile generic A *p, T v, MO o, MS s)                         \
    {                                                                                              \
        return clsvm_xchg(p, v);                                                                   \
    }                                                                                              \
    CAS(A, T, strong)                                                                              \
    CAS(A, T, weak)
/* A weak compare-exchange may fail spuriously; the strong one never does, so it serves both. */
#define CAS(A, T, kind)                                                                            \
    OVL bool atomic_compare_exchange_##kind(volatile generic A *p, generic T *e, T d)              \
    {                                                                                              \
        return clsvm_cas(p, e, d);                                                                 \
    }                                                                                              \
    OVL bool atomic_compare_exchange_##kind##_explicit(volatile generic A *p, generic T *e, T d,   \
                                                       MO ok, MO fail)                             \
    {                                                                                              \
        return clsvm_cas(p, e, d);                                                                 \
    }                                                                                              \
    OVL bool atomic_compare_exchange_##kind##_explicit(volatile generic A *p, generic T *e, T d,   \
                                                       MO ok, MO fail, MS s)                       \
    {                                                                                              \
        return clsvm_cas(p, e, d);                                                                 \
    }
#define COMMON_INT(A, T) COMMON(A, T)
#define COMMON_FLOAT(A, T, I, f, t) COMMON(A, T)
CLSVM_INT_TYPES(COMMON_INT)
CLSVM_FLOAT_TYPES(COMMON_FLOAT)

/* atomic_fetch_<op>[_explicit] for object type A, operand type V, result type T. The __sync
 * builtin is chosen by signedness (min/max differ); the operand is converted to T first, as
 * C11 does for atomic_uintptr_t += ptrdiff_t. */
#define RMW_ONE(A, T, V, builtin, op)                                                              \
    OVL T atomic_fetch_##op(volatile generic A *p, V v)                                            \
    {                                                                                              \
        return builtin(P(T, p), (T)v);                                                             \
    }                                                                                              \
    OVL T atomic_fetch_##op##_explicit(volatile generic A *p, V v, MO o)                           \
    {                                                                                              \
        return builtin(P(T, p), (T)v);                                                             \
    }                                                                                              \
    OVL T atomic_fetch_##op##_explicit(volatile generic A *p, V v, MO o, MS s)                     \
    {                                                                                              \
        return builtin(P(T, p), (T)v);                                                             \
    }
/* Every operation for every integer type: CLSVM_RMW_OPS inside CLSVM_INT_TYPES, through one
 * per-type expansion each (the preprocessor does not nest an X-macro in itself). */
#define RMW_INT(A, T) RMW_FOR_##A
#define RMW_FOR_atomic_int CLSVM_RMW_OPS(RMW_INT_OP)
#define RMW_FOR_atomic_uint CLSVM_RMW_OPS(RMW_UINT_OP)
#define RMW_FOR_atomic_long CLSVM_RMW_OPS(RMW_LONG_OP)
#define RMW_FOR_atomic_ulong CLSVM_RMW_OPS(RMW_ULONG_OP)
#define RMW_INT_OP(op, fn) RMW_ONE(atomic_int, int, int, fn, op)
#define RMW_UINT_OP(op, fn) RMW_ONE(atomic_uint, uint, uint, fn, op)
#define RMW_LONG_OP(op, fn) RMW_ONE(atomic_long, long, long, fn, op)
#define RMW_ULONG_OP(op, fn) RMW_ONE(atomic_ulong, ulong, ulong, fn, op)
CLSVM_INT_TYPES(RMW_INT)
/* The pointer-sized extras opencl-c.h declares: atomic_uintptr_t with a ptrdiff_t operand. */
RMW_ONE(atomic_uintptr_t, uintptr_t, ptrdiff_t, __sync_fetch_and_add, add)
RMW_ONE(atomic_uintptr_t, uintptr_t, ptrdiff_t, __sync_fetch_and_sub, sub)

/* ---- atomic_flag: an atomic_int that is 0 (clear) or 1 (set) ---- */
#define FLAG(suffix, params, ...)                                                                  \
    OVL bool atomic_flag_test_and_set##suffix(volatile generic atomic_flag *p params)              \
    {                                                                                              \
        return clsvm_xchg((volatile generic atomic_int *)p, 1) != 0;                               \
    }                                                                                              \
    OVL void atomic_flag_clear##suffix(volatile generic atomic_flag *p params)                     \
    {                                                                                              \
        clsvm_xchg((volatile generic atomic_int *)p, 0);                                           \
    }
#define COMMA ,
FLAG(, )
FLAG(_explicit, COMMA MO o)
FLAG(_explicit, COMMA MO o COMMA MS s)

/* ---- address spaces: one flat address space on a CPU device ---- */
/* clang lowers to_global/to_local/to_private to calls of these. A CPU device cannot tell which
 * named address space a generic pointer came from, so each returns the pointer itself
 * (docs/opencl-c-2.0.md: it never returns NULL). */
global void *__to_global(generic void *p)
{
    return (global void *)p;
}
local void *__to_local(generic void *p)
{
    return (local void *)p;
}
private void *__to_private(generic void *p)
{
    return (private void *)p;
}
/* Global and local memory alike are ordinary host memory: a fence on either covers both. */
OVL cl_mem_fence_flags get_fence(generic const void *p)
{
    return CLK_GLOBAL_MEM_FENCE | CLK_LOCAL_MEM_FENCE;
}
OVL cl_mem_fence_flags get_fence(generic void *p)
{
    return CLK_GLOBAL_MEM_FENCE | CLK_LOCAL_MEM_FENCE;
}

/* ---- built-ins with pointer arguments ---- */
/* Under OpenCL C 2.0 every pointer argument of fract, modf, sincos, frexp, lgamma_r, remquo,
 * vloadn and vstoren resolves to the generic-address-space overload, which pocl 3.1's library
 * lacks; it has the named ones. On a CPU device all address spaces are one, so each generic
 * overload calls the private one (declared here: clang's header hides the named overloads when
 * the generic address space is on). */
#define CLSVM_FLOATN(X, F)                                                                         \
    X(F, F, int)                                                                                   \
    X(F##2, F##2, int2)                                                                            \
    X(F##3, F##3, int3)                                                                            \
    X(F##4, F##4, int4)                                                                            \
    X(F##8, F##8, int8)                                                                            \
    X(F##16, F##16, int16)
#define MATH_PTR(T, P, I)                                                                          \
    OVL T fract(T x, private T *p);                                                                \
    OVL T modf(T x, private T *p);                                                                 \
    OVL T sincos(T x, private T *p);                                                               \
    OVL T frexp(T x, private I *e);                                                                \
    OVL T lgamma_r(T x, private I *s);                                                             \
    OVL T remquo(T x, T y, private I *q);                                                          \
    OVL T fract(T x, generic T *p)                                                                 \
    {                                                                                              \
        return fract(x, (private T *)p);                                                           \
    }                                                                                              \
    OVL T modf(T x, generic T *p)                                                                  \
    {                                                                                              \
        return modf(x, (private T *)p);                                                            \
    }                                                                                              \
    OVL T sincos(T x, generic T *p)                                                                \
    {                                                                                              \
        return sincos(x, (private T *)p);                                                          \
    }                                                                                              \
    OVL T frexp(T x, generic I *e)                                                                 \
    {                                                                                              \
        return frexp(x, (private I *)e);                                                           \
    }                                                                                              \
    OVL T lgamma_r(T x, generic I *s)                                                              \
    {                                                                                              \
        return lgamma_r(x, (private I *)s);                                                        \
    }                                                                                              \
    OVL T remquo(T x, T y, generic I *q)                                                           \
    {                                                                                              \
        return remquo(x, y, (private I *)q);                                                       \
    }
CLSVM_FLOATN(MATH_PTR, float)
CLSVM_FLOATN(MATH_PTR, double)

/* vloadn/vstoren: (element type) x (n). */
#define VLOADSTORE(T, N)                                                                           \
    OVL T##N vload##N(size_t i, private const T *p);                                               \
    OVL void vstore##N(T##N v, size_t i, private T *p);                                            \
    OVL T##N vload##N(size_t i, generic const T *p)                                                \
    {                                                                                              \
        return vload##N(i, (private const T *)p);                                                 \
    }                                                                                              \
    OVL void vstore##N(T##N v, size_t i, generic T *p)                                             \
    {                                                                                              \
        vstore##N(v, i, (private T *)p);                                                           \
    }
#define VLOADSTORE_N(T)                                                                            \
    VLOADSTORE(T, 2)                                                                               \
    VLOADSTORE(T, 3)                                                                               \
    VLOADSTORE(T, 4)                                                                               \
    VLOADSTORE(T, 8)                                                                               \
    VLOADSTORE(T, 16)
VLOADSTORE_N(char)
VLOADSTORE_N(uchar)
VLOADSTORE_N(short)
VLOADSTORE_N(ushort)
VLOADSTORE_N(int)
VLOADSTORE_N(uint)
VLOADSTORE_N(long)
VLOADSTORE_N(ulong)
VLOADSTORE_N(float)
VLOADSTORE_N(double)

/* vload_half/vstore_half & co.: (suffix N, float type, double type) x rounding suffix. */
#define HALF_N(X)                                                                                  \
    X(, float, double)                                                                             \
    X(2, float2, double2)                                                                          \
    X(3, float3, double3)                                                                          \
    X(4, float4, double4)                                                                          \
    X(8, float8, double8)                                                                          \
    X(16, float16, double16)
#define HALF_ROUNDING(X, N, F, D)                                                                  \
    X(N, F, D, )                                                                                   \
    X(N, F, D, _rte)                                                                               \
    X(N, F, D, _rtz)                                                                               \
    X(N, F, D, _rtp)                                                                               \
    X(N, F, D, _rtn)
#define VSTORE_HALF(N, F, D, R)                                                                    \
    OVL void vstore_half##N##R(F v, size_t i, private half *p);                                    \
    OVL void vstore_half##N##R(D v, size_t i, private half *p);                                    \
    OVL void vstore_half##N##R(F v, size_t i, generic half *p)                                     \
    {                                                                                              \
        vstore_half##N##R(v, i, (private half *)p);                                                \
    }                                                                                              \
    OVL void vstore_half##N##R(D v, size_t i, generic half *p)                                     \
    {                                                                                              \
        vstore_half##N##R(v, i, (private half *)p);                                                \
    }
#define VSTOREA_HALF(N, F, D, R)                                                                   \
    OVL void vstorea_half##N##R(F v, size_t i, private half *p);                                   \
    OVL void vstorea_half##N##R(D v, size_t i, private half *p);                                   \
    OVL void vstorea_half##N##R(F v, size_t i, generic half *p)                                    \
    {                                                                                              \
        vstorea_half##N##R(v, i, (private half *)p);                                               \
    }                                                                                              \
    OVL void vstorea_half##N##R(D v, size_t i, generic half *p)                                    \
    {                                                                                              \
        vstorea_half##N##R(v, i, (private half *)p);                                               \
    }
#define VLOAD_HALF(N, F, D)                                                                        \
    OVL F vload_half##N(size_t i, private const half *p);                                          \
    OVL F vload_half##N(size_t i, generic const half *p)                                           \
    {                                                                                              \
        return vload_half##N(i, (private const half *)p);                                         \
    }                                                                                              \
    HALF_ROUNDING(VSTORE_HALF, N, F, D)
/* vloada_half/vstorea_half exist for vectors only (and vloada_half3 reads 4 halves). */
#define VLOADA_HALF(N, F, D)                                                                       \
    OVL F vloada_half##N(size_t i, private const half *p);                                         \
    OVL F vloada_half##N(size_t i, generic const half *p)                                          \
    {                                                                                              \
        return vloada_half##N(i, (private const half *)p);                                         \
    }                                                                                              \
    HALF_ROUNDING(VSTOREA_HALF, N, F, D)
HALF_N(VLOAD_HALF)
VLOADA_HALF(2, float2, double2)
VLOADA_HALF(3, float3, double3)
VLOADA_HALF(4, float4, double4)
VLOADA_HALF(8, float8, double8)
VLOADA_HALF(16, float16, double16)

/* ==== Non-uniform work-groups (icd/ndrange.c, docs/opencl-c-2.0.md) ========================
 *
 * A program built for non-uniform work-groups calls these instead of the work-item functions
 * whose values change when clsvm runs an NDRange as several uniform backend launches (clang gets
 * workitem.h, which #defines get_global_id(d) as __clsvm_nu_global_id(d) and so on; see
 * icd/ndrange.c for the host side). A backend launch whose three global offsets are zero is an
 * ordinary one: the backend's values are right. Otherwise the launch is one uniform part of the
 * application's NDRange, launched in three dimensions, and the offsets hold the address of its
 * descriptor in 16-bit pieces: pocl assumes an offset below 2^16 when it compiles for a small
 * grid, and a user-space address has 48 bits. get_local_id and get_local_size need no help: a
 * part's local size is that of its work-groups (the remainder in a remainder group).
 */
typedef struct {
    ulong offsets[3]; /* the application's global offset */
    ulong globals[3]; /* the application's global size */
    ulong locals[3];  /* the enqueued local size; 0: the backend chose it (no local size given) */
    ulong group0[3];  /* the group id of this part's first work-group */
    ulong groups[3];  /* the number of work-groups of the whole NDRange; 0: the backend's */
    ulong work_dim;
} clsvm_nu_desc;

static inline const global clsvm_nu_desc *clsvm_nu(void)
{
    return (const global clsvm_nu_desc *)(get_global_offset(0) | get_global_offset(1) << 16 |
                                          get_global_offset(2) << 32);
}

#define NU_ATTR __attribute__((always_inline))

NU_ATTR uint __clsvm_nu_work_dim(void)
{
    const global clsvm_nu_desc *n = clsvm_nu();
    return n ? (uint)n->work_dim : get_work_dim();
}

/* A dimension index of 3 or more gives the specification's values in every launch (pocl 3.1
 * answers 0 for get_num_groups and get_enqueued_local_size there). */
NU_ATTR size_t __clsvm_nu_global_size(uint d)
{
    const global clsvm_nu_desc *n = clsvm_nu();
    if (d >= 3)
        return 1;
    return n ? n->globals[d] : get_global_size(d);
}

NU_ATTR size_t __clsvm_nu_global_offset(uint d)
{
    const global clsvm_nu_desc *n = clsvm_nu();
    if (d >= 3)
        return 0;
    return n ? n->offsets[d] : get_global_offset(d);
}

NU_ATTR size_t __clsvm_nu_enqueued_local_size(uint d)
{
    const global clsvm_nu_desc *n = clsvm_nu();
    if (d >= 3)
        return 1;
    return n && n->locals[d] ? n->locals[d] : get_enqueued_local_size(d);
}

NU_ATTR size_t __clsvm_nu_group_id(uint d)
{
    const global clsvm_nu_desc *n = clsvm_nu();
    if (d >= 3)
        return 0;
    return n ? n->group0[d] + get_group_id(d) : get_group_id(d);
}

NU_ATTR size_t __clsvm_nu_num_groups(uint d)
{
    const global clsvm_nu_desc *n = clsvm_nu();
    if (d >= 3)
        return 1;
    return n && n->groups[d] ? n->groups[d] : get_num_groups(d);
}

/* Work-items of a group are numbered from the enqueued local size: a remainder group's first
 * work-item follows all the full groups before it. */
NU_ATTR size_t __clsvm_nu_global_id(uint d)
{
    const global clsvm_nu_desc *n = clsvm_nu();
    if (d >= 3)
        return 0;
    if (!n)
        return get_global_id(d);
    size_t l = n->locals[d] ? n->locals[d] : get_local_size(d);
    return n->offsets[d] + (n->group0[d] + get_group_id(d)) * l + get_local_id(d);
}

NU_ATTR size_t __clsvm_nu_global_linear_id(void)
{
    size_t g0 = __clsvm_nu_global_size(0), g1 = __clsvm_nu_global_size(1);
    return (__clsvm_nu_global_id(2) - __clsvm_nu_global_offset(2)) * g1 * g0 +
           (__clsvm_nu_global_id(1) - __clsvm_nu_global_offset(1)) * g0 +
           (__clsvm_nu_global_id(0) - __clsvm_nu_global_offset(0));
}
/* ==== end of non-uniform work-groups ==== */
