/*
 * build_checks.cl: a program for tests/oclc20/test_oclc20_build.c. It needs -DVALUE=<n> (without
 * it, the line marked below is a compile error whose line number the build log must name), and
 * -DWITH_INCLUDE with -I <dir> holding oclc20_inc.h (which defines OFFSET). As OpenCL C 2.0 it
 * stores through a generic atomic pointer; as any other version, with a plain store.
 */
#ifdef WITH_INCLUDE
#include "oclc20_inc.h"
#else
#define OFFSET 0
#endif

#if __OPENCL_C_VERSION__ == 200
static void put_generic(atomic_int *a, int v)
{
    atomic_store_explicit(a, v, memory_order_release, memory_scope_all_svm_devices);
}
#endif

kernel void put(global int *out)
{
#if __OPENCL_C_VERSION__ == 200
    put_generic((atomic_int *)out, VALUE + OFFSET); /* the error line without -DVALUE */
#else
    out[0] = VALUE + OFFSET + 1000;
#endif
}
