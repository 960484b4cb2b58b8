/* test_oclc20_kernel_attributes: CL_KERNEL_ATTRIBUTES of kernels built through the SPIR path
 * (-cl-std=CL2.0, CL3.0, and compiled + linked) is what the backend's own compiler reports for
 * the same source (-cl-std=CL1.2): reqd_work_group_size, work_group_size_hint and
 * vec_type_hint, alone and together; "" for a kernel without attributes. */
#include "oclc20/oclc20_test.h"

static const char *src =
    "kernel __attribute__((vec_type_hint(uint4))) void hint(global int *p) { p[0] = 1; }\n"
    "kernel __attribute__((reqd_work_group_size(8, 2, 1))) void reqd(global int *p) { p[0] = 2; "
    "}\n"
    "kernel __attribute__((work_group_size_hint(4, 1, 1))) __attribute__((vec_type_hint(float8)))\n"
    "void both(global int *p) { p[0] = 3; }\n"
    "kernel __attribute__((vec_type_hint(double2))) __attribute__((reqd_work_group_size(2, 2, "
    "2)))\n"
    "__attribute__((work_group_size_hint(1, 2, 3))) void three(global int *p) { p[0] = 4; }\n"
    "kernel void plain(global int *p) { p[0] = 5; }\n";
static const char *names[] = {"hint", "reqd", "both", "three", "plain"};
#define NK 5

static char *attributes(cl_program p, const char *name)
{
    cl_kernel k = icd_test_kernel(p, name);
    size_t n = 0;
    CHECK_CL(clGetKernelInfo(k, CL_KERNEL_ATTRIBUTES, 0, NULL, &n));
    char *s = calloc(n + 1, 1);
    CHECK(s != NULL);
    CHECK_CL(clGetKernelInfo(k, CL_KERNEL_ATTRIBUTES, n, s, NULL));
    CHECK_EQ(strlen(s) + 1, n);
    CHECK_CL(clReleaseKernel(k));
    return s;
}

static void compare(cl_program p, const char *how, char *ref[NK])
{
    for (int i = 0; i < NK; i++) {
        char *got = attributes(p, names[i]);
        CHECK_MSG(strcmp(got, ref[i]) == 0, "%s: kernel %s has attributes '%s', want '%s'", how,
                  names[i], got, ref[i]);
        free(got);
    }
}

int main(void)
{
    svm_env e;
    svm_env_open(&e);
    oclc20_require_path(&e);
    char *ref[NK];
    cl_program p = icd_test_program(e.context, e.device, src, "-cl-std=CL1.2");
    for (int i = 0; i < NK; i++)
        ref[i] = attributes(p, names[i]);
    CHECK_CL(clReleaseProgram(p));
    /* The reference is meaningful: the backend reports each attribute. */
    CHECK(strstr(ref[0], "vec_type_hint") && strstr(ref[0], "uint4"));
    CHECK(strstr(ref[1], "reqd_work_group_size(8, 2, 1"));
    CHECK(strstr(ref[3], "double2") && strstr(ref[3], "work_group_size_hint(1, 2, 3"));
    CHECK_EQ(ref[4][0], '\0');
    const char *opts[] = {"-cl-std=CL2.0", "-cl-std=CL3.0"};
    for (int i = 0; i < 2; i++) {
        p = icd_test_program(e.context, e.device, src, opts[i]);
        compare(p, opts[i], ref);
        CHECK_EQ(oclc20_run_named(&e, p, "both", 8, 0, -1), 3);
        CHECK_CL(clReleaseProgram(p));
    }
    /* Compiled, then linked through the path. */
    cl_int err;
    cl_program obj = clCreateProgramWithSource(e.context, 1, &src, NULL, &err);
    CHECK_CL(err);
    CHECK_CL(clCompileProgram(obj, 1, &e.device, "-cl-std=CL2.0", 0, NULL, NULL, NULL, NULL));
    p = clLinkProgram(e.context, 1, &e.device, NULL, 1, &obj, NULL, NULL, &err);
    CHECK_CL(err);
    compare(p, "linked", ref);
    CHECK_CL(clReleaseProgram(p));
    CHECK_CL(clReleaseProgram(obj));
    for (int i = 0; i < NK; i++)
        free(ref[i]);
    svm_env_close(&e);
    return svm_exit_code();
}
