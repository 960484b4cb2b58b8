/* test_oclc20_atom32: the cl_khr_{global,local}_int32_{base,extended}_atomics built-ins
 * (atom_add, atom_sub, atom_xchg, atom_inc, atom_dec, atom_cmpxchg, atom_min, atom_max,
 * atom_and, atom_or, atom_xor) on global and local int and uint build under -cl-std=CL2.0 and
 * CL3.0 (the SPIR path) and CL1.2 (the backend), and give the same, exact results: 64
 * work-items in 4 work-groups, every operation on one location. */
#include "oclc20/oclc20_test.h"

#define OPS(T, a, w)                                                                               \
    "  {\n"                                                                                        \
    "  atom_add(&" a "[0], (" T ")1); atom_sub(&" a "[1], (" T ")1);\n"                            \
    "  atom_inc(&" a "[2]); atom_dec(&" a "[3]);\n"                                                \
    "  atom_min(&" a "[4], (" T ")g); atom_max(&" a "[5], (" T ")g);\n"                            \
    "  atom_and(&" a "[6], ~(1u << (g % 32))); atom_or(&" a "[7], 1u << (g % 32));\n"              \
    "  atom_xor(&" a "[8], 1u << (g % 32));\n"                                                     \
    "  " T " old = atom_xchg(&" a "[9], (" T ")(g + 1)); if (old) atom_add(&" a "[10], (" T        \
    ")1);\n"                                                                                       \
    "  if (atom_cmpxchg(&" a "[11], (" T ")0, (" T ")5) == 0) atom_inc(&" w "[12]);\n"             \
    "  }\n"

static const char *src =
    "kernel void atoms(global int *gi, global uint *gu, global int *lout) {\n"
    "  local int li[13]; local uint lu[13];\n"
    "  uint g = get_global_id(0), l = get_local_id(0);\n"
    "  if (l < 13) { li[l] = l == 4 ? 1000 : l == 6 ? -1 : 0; lu[l] = li[l]; }\n"
    "  barrier(CLK_LOCAL_MEM_FENCE);\n" OPS("int", "gi", "gi") OPS("uint", "gu", "gu")
        OPS("int", "li", "li")
            OPS("uint", "lu", "lu") "  barrier(CLK_LOCAL_MEM_FENCE);\n"
                                    "  if (l < 13) atom_add(&lout[l], li[l] + (int)lu[l]);\n"
                                    "}\n";

enum { N = 64, L = 16, S = 13 };

static void run(const svm_env *e, const char *opts, cl_int gi[S], cl_uint gu[S], cl_int lo[S])
{
    cl_program p = icd_test_program(e->context, e->device, src, opts);
    cl_kernel k = icd_test_kernel(p, "atoms");
    for (int i = 0; i < S; i++) {
        gi[i] = i == 4 ? 1000 : i == 6 ? -1 : 0;
        gu[i] = (cl_uint)gi[i];
        lo[i] = 0;
    }
    cl_mem m[3] = {
        icd_test_buffer(e->context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, S * 4, gi),
        icd_test_buffer(e->context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, S * 4, gu),
        icd_test_buffer(e->context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, S * 4, lo)};
    for (cl_uint i = 0; i < 3; i++)
        CHECK_CL(clSetKernelArg(k, i, sizeof m[i], &m[i]));
    size_t global = N, local = L;
    CHECK_CL(clEnqueueNDRangeKernel(e->queue, k, 1, NULL, &global, &local, 0, NULL, NULL));
    CHECK_CL(clEnqueueReadBuffer(e->queue, m[0], CL_TRUE, 0, S * 4, gi, 0, NULL, NULL));
    CHECK_CL(clEnqueueReadBuffer(e->queue, m[1], CL_TRUE, 0, S * 4, gu, 0, NULL, NULL));
    CHECK_CL(clEnqueueReadBuffer(e->queue, m[2], CL_TRUE, 0, S * 4, lo, 0, NULL, NULL));
    for (int i = 0; i < 3; i++)
        CHECK_CL(clReleaseMemObject(m[i]));
    CHECK_CL(clReleaseKernel(k));
    CHECK_CL(clReleaseProgram(p));
}

int main(void)
{
    svm_env e;
    svm_env_open(&e);
    oclc20_require_path(&e);
    const char *opts[] = {"-cl-std=CL1.2", "-cl-std=CL2.0", "-cl-std=CL3.0"};
    for (int o = 0; o < 3; o++) {
        cl_int gi[S], lo[S];
        cl_uint gu[S];
        run(&e, opts[o], gi, gu, lo);
        /* Global: all 64 work-items; xchg leaves one g + 1, the other 63 saw a non-zero old. */
        const cl_int want_i[] = {64, -64, 64, -64, 0, 63, 0, -1, 0, -1, 63, 5, 1};
        for (int i = 0; i < S; i++) {
            if (i == 9)
                CHECK_MSG(gi[9] >= 1 && gi[9] <= 64, "%s: int xchg left %d", opts[o], gi[9]);
            else
                CHECK_MSG(gi[i] == want_i[i], "%s: int slot %d is %d, want %d", opts[o], i, gi[i],
                          want_i[i]);
            cl_uint want_u = i == 4 ? 0 : i == 9 ? gu[9] : (cl_uint)want_i[i];
            CHECK_MSG(gu[i] == want_u, "%s: uint slot %d is %u, want %u", opts[o], i, gu[i],
                      want_u);
        }
        /* Local: per work-group of 16 (g % 32 covers 16 bits), int + uint summed over 4 groups. */
        const cl_int per_group[] = {16, -16, 16, -16, 0, 0, 0, 0, 0, 0, 15, 5, 1};
        for (int i = 0; i < S; i++) {
            if (i == 4 || i == 5 || i == 6 || i == 7 || i == 8 || i == 9)
                continue; /* bit patterns and minima differ per group; checked below */
            CHECK_MSG(lo[i] == 4 * 2 * per_group[i], "%s: local slot %d is %d, want %d", opts[o], i,
                      lo[i], 4 * 2 * per_group[i]);
        }
        /* min over each group's ids (0, 16, 32, 48), twice (int and uint): 2 * 96. */
        CHECK_EQ(lo[4], 2 * (0 + 16 + 32 + 48));
        CHECK_EQ(lo[5], 2 * (15 + 31 + 47 + 63));
        /* and/or/xor: groups 0 and 2 own bits 0-15, 1 and 3 bits 16-31. */
        CHECK_EQ(lo[6], 2 * 2 * (cl_int)(0xffff0000u + 0x0000ffffu));
        CHECK_EQ(lo[7], 2 * 2 * (cl_int)(0x0000ffffu + 0xffff0000u));
        CHECK_EQ(lo[8], lo[7]);
    }
    svm_env_close(&e);
    return svm_exit_code();
}
