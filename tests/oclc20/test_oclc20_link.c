/* test_oclc20_link: clCompileProgram + clLinkProgram of OpenCL C 2.0 through clsvm's SPIR path.
 * Two units (kernels/cl20/link_main.cl, link_helper.cl) share a header given as an input header
 * program under the include name "counter/counter.h"; each compiles to a compiled object
 * (status, binary type, options), the link makes an executable whose kernel counts exactly.
 * A compile error fails with CL_COMPILE_PROGRAM_FAILURE and the line in the log; linking an
 * object with a backend-compiled one fails with CL_LINK_PROGRAM_FAILURE and a program whose log
 * says why; -create-library is refused with CL_INVALID_LINKER_OPTIONS. Objects as binaries and
 * failed links: test_oclc20_objects. */
#include "oclc20/oclc20_test.h"

#include "link_counter_cl.h"
#include "link_helper_cl.h"
#include "link_main_cl.h"

enum { N = 32, REPS = 100 };

static cl_program from_source(const svm_env *e, const char *src)
{
    cl_int err = CL_SUCCESS;
    cl_program p = clCreateProgramWithSource(e->context, 1, &src, NULL, &err);
    CHECK_CL(err);
    return p;
}

static void expect_object(const svm_env *e, cl_program p, const char *opts)
{
    CHECK_EQ(oclc20_build_status(p, e->device), CL_BUILD_SUCCESS);
    cl_program_binary_type bt = 0;
    CHECK_CL(clGetProgramBuildInfo(p, e->device, CL_PROGRAM_BINARY_TYPE, sizeof bt, &bt, NULL));
    CHECK_EQ(bt, CL_PROGRAM_BINARY_TYPE_COMPILED_OBJECT);
    char *o = oclc20_build_string(p, e->device, CL_PROGRAM_BUILD_OPTIONS);
    CHECK_MSG(strcmp(o, opts) == 0, "options '%s'", o);
    free(o);
}

int main(void)
{
    svm_env e;
    svm_env_open(&e);
    oclc20_require_path(&e);
    const char *opts = "-cl-std=CL2.0";
    cl_program hdr = from_source(&e, link_counter_cl);
    const char *hdr_name = "counter/counter.h";
    cl_program main_p = from_source(&e, link_main_cl), helper = from_source(&e, link_helper_cl);
    CHECK_CL(clCompileProgram(main_p, 1, &e.device, opts, 1, &hdr, &hdr_name, NULL, NULL));
    CHECK_CL(clCompileProgram(helper, 0, NULL, opts, 1, &hdr, &hdr_name, NULL, NULL));
    expect_object(&e, main_p, opts);
    expect_object(&e, helper, opts);

    cl_int err = CL_SUCCESS;
    char *log = NULL;
    cl_program objs[] = {main_p, helper};
    cl_program prog = clLinkProgram(e.context, 1, &e.device, NULL, 2, objs, NULL, NULL, &err);
    CHECK_CL(err);
    CHECK(prog != NULL);
    CHECK_EQ(oclc20_build_status(prog, e.device), CL_BUILD_SUCCESS);
    cl_program_binary_type bt = 0;
    CHECK_CL(clGetProgramBuildInfo(prog, e.device, CL_PROGRAM_BINARY_TYPE, sizeof bt, &bt, NULL));
    CHECK_EQ(bt, CL_PROGRAM_BINARY_TYPE_EXECUTABLE);
    /* COUNTER_STEP (3) comes from the header. */
    CHECK_EQ(oclc20_run_named(&e, prog, "bump_all", N, 0, REPS), 3 * N * REPS);
    CHECK_CL(clReleaseProgram(prog));

    if (e.is_clsvm) {
        /* -create-library: not supported by the path, refused as the spec's linker error. */
        prog = clLinkProgram(e.context, 1, &e.device, "-create-library", 2, objs, NULL, NULL, &err);
        CHECK(prog == NULL);
        CHECK_EQ(err, CL_INVALID_LINKER_OPTIONS);
        /* An object the backend compiled (OpenCL C 1.2) does not link with a SPIR one. */
        cl_program plain = from_source(&e, "int counter_step(void) { return 1; }\n");
        CHECK_CL(clCompileProgram(plain, 0, NULL, NULL, 0, NULL, NULL, NULL, NULL));
        cl_program mixed[] = {main_p, plain};
        prog = clLinkProgram(e.context, 0, NULL, NULL, 2, mixed, NULL, NULL, &err);
        CHECK_EQ(err, CL_LINK_PROGRAM_FAILURE);
        CHECK(prog != NULL); /* the link began: a program whose log says why it failed */
        CHECK_EQ(oclc20_build_status(prog, e.device), CL_BUILD_ERROR);
        log = oclc20_build_string(prog, e.device, CL_PROGRAM_BUILD_LOG);
        CHECK_MSG(strstr(log, "-cl-std=CL2.0"), "log:\n%s", log);
        free(log);
        CHECK_CL(clReleaseProgram(prog));
        CHECK_CL(clReleaseProgram(plain));
    }

    /* A compile error: the compile fails, the log names the line of the broken unit. */
    cl_program broken =
        from_source(&e, "int f(atomic_int *a)\n{\n    return no_such_call(a);\n}\n");
    CHECK_CL_ERR(clCompileProgram(broken, 0, NULL, opts, 0, NULL, NULL, NULL, NULL),
                 CL_COMPILE_PROGRAM_FAILURE);
    CHECK_EQ(oclc20_build_status(broken, e.device), CL_BUILD_ERROR);
    log = oclc20_build_string(broken, e.device, CL_PROGRAM_BUILD_LOG);
    CHECK_MSG(strstr(log, ":3:") && strstr(log, "no_such_call"), "log:\n%s", log);
    free(log);
    CHECK_CL(clReleaseProgram(broken));

    CHECK_CL(clReleaseProgram(main_p));
    CHECK_CL(clReleaseProgram(helper));
    CHECK_CL(clReleaseProgram(hdr));
    svm_env_close(&e);
    return svm_exit_code();
}
