/* test_oclc20_build_options: CL_PROGRAM_BUILD_OPTIONS answers exactly the options the application
 * passed, on every path: builds the backend does itself (clsvm adds -cl-kernel-arg-info and
 * -D__opencl_c_atomic_scope_all_devices=1 to them), OpenCL C 2.0/3.0 builds through the SPIR
 * path, compiles, failed builds, and inside the build notification. clsvm's additions still
 * apply: kernel argument info is there after a build with other options. */
#include "oclc20/oclc20_test.h"

static const char *ok_src = "kernel void k(global int *p) { p[0] = 7; }\n";
static const char *bad_src = "kernel void k(global int *p) { p[0] = ; }\n";

typedef struct seen {
    cl_device_id d;
    char opts[256];
} seen;

static void CL_CALLBACK on_build(cl_program prog, void *user)
{
    seen *s = user;
    CHECK_CL(
        clGetProgramBuildInfo(prog, s->d, CL_PROGRAM_BUILD_OPTIONS, sizeof s->opts, s->opts, NULL));
}

/* Builds (or compiles) src with opts; the options reported afterwards and in the notification
 * must be opts. Returns the program. */
static cl_program check_options(const svm_env *e, const char *src, const char *opts, int compile,
                                cl_int want)
{
    cl_int err;
    cl_program p = clCreateProgramWithSource(e->context, 1, &src, NULL, &err);
    CHECK_CL(err);
    seen s = {.d = e->device};
    err = compile ? clCompileProgram(p, 1, &e->device, opts, 0, NULL, NULL, on_build, &s)
                  : clBuildProgram(p, 1, &e->device, opts, on_build, &s);
    CHECK_MSG(err == want, "'%s': build returned %d, want %d", opts, err, want);
    char *got = oclc20_build_string(p, e->device, CL_PROGRAM_BUILD_OPTIONS);
    CHECK_MSG(strcmp(got, opts) == 0, "options '%s' reported as '%s'", opts, got);
    CHECK_MSG(strcmp(s.opts, opts) == 0, "options '%s' reported to the notification as '%s'", opts,
              s.opts);
    free(got);
    return p;
}

int main(void)
{
    svm_env e;
    svm_env_open(&e);
    const char *backend_opts[] = {"-cl-opt-disable", "-cl-std=CL1.2 -DV=3", "-cl-mad-enable -w"};
    for (size_t i = 0; i < sizeof backend_opts / sizeof *backend_opts; i++) {
        cl_program p = check_options(&e, ok_src, backend_opts[i], 0, CL_SUCCESS);
        /* -cl-kernel-arg-info is still applied: the argument's address qualifier is known. */
        cl_kernel k = icd_test_kernel(p, "k");
        cl_kernel_arg_address_qualifier q = 0;
        CHECK_CL(clGetKernelArgInfo(k, 0, CL_KERNEL_ARG_ADDRESS_QUALIFIER, sizeof q, &q, NULL));
        CHECK_EQ(q, CL_KERNEL_ARG_ADDRESS_GLOBAL);
        CHECK_EQ(oclc20_run_named(&e, p, "k", 1, 0, -1), 7);
        CHECK_CL(clReleaseKernel(k));
        CHECK_CL(clReleaseProgram(p));
    }
    CHECK_CL(clReleaseProgram(check_options(&e, ok_src, "-cl-opt-disable", 1, CL_SUCCESS)));
    CHECK_CL(clReleaseProgram(
        check_options(&e, bad_src, "-cl-opt-disable", 0, CL_BUILD_PROGRAM_FAILURE)));
    /* A rebuild with other options reports the new ones. */
    cl_program p = check_options(&e, ok_src, "-cl-opt-disable", 0, CL_SUCCESS);
    CHECK_CL(clBuildProgram(p, 1, &e.device, "-cl-denorms-are-zero", NULL, NULL));
    char *got = oclc20_build_string(p, e.device, CL_PROGRAM_BUILD_OPTIONS);
    CHECK_MSG(strcmp(got, "-cl-denorms-are-zero") == 0, "rebuilt options reported as '%s'", got);
    free(got);
    CHECK_CL(clReleaseProgram(p));
    if (!e.is_clsvm || oclc20_listed(&e)) {
        const char *path_opts[] = {"-cl-std=CL2.0", "-cl-std=CL3.0 -cl-mad-enable"};
        for (size_t i = 0; i < sizeof path_opts / sizeof *path_opts; i++) {
            p = check_options(&e, ok_src, path_opts[i], 0, CL_SUCCESS);
            CHECK_EQ(oclc20_run_named(&e, p, "k", 1, 0, -1), 7);
            CHECK_CL(clReleaseProgram(p));
        }
    }
    svm_env_close(&e);
    return svm_exit_code();
}
