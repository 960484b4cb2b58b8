/* test_oclc20_crash: clsvm runs clang as a child process, so a compiler that crashes or writes
 * nonsense fails one build and nothing else. CLSVM_OCLC20_CLANG points at fake_clang.sh
 * (oclc20_tests.cmake); FAKE_CLANG_MODE picks how it misbehaves. The application survives, the
 * build fails with CL_BUILD_PROGRAM_FAILURE and a log that says what happened, the program has
 * no executable, and the same program then builds as OpenCL C 1.2 through the backend. */
#include "oclc20/oclc20_test.h"

#include "atomics_generic_cl.h"
#include "build_checks_cl.h"

int main(void)
{
    svm_env e;
    svm_env_open(&e);
    if (!e.is_clsvm) {
        fprintf(stderr, "not clsvm: nothing to check\n");
        return SVM_TEST_SKIP;
    }
    const char *mode = getenv("FAKE_CLANG_MODE");
    int garbage = mode && strcmp(mode, "garbage") == 0;
    cl_int err = CL_SUCCESS;
    const char *src = atomics_generic_cl;
    cl_program prog = clCreateProgramWithSource(e.context, 1, &src, NULL, &err);
    CHECK_CL(err);
    for (int attempt = 0; attempt < 2; attempt++) {
        CHECK_CL_ERR(clBuildProgram(prog, 1, &e.device, "-cl-std=CL2.0", NULL, NULL),
                     CL_BUILD_PROGRAM_FAILURE);
        CHECK_EQ(oclc20_build_status(prog, e.device), CL_BUILD_ERROR);
        char *log = oclc20_build_string(prog, e.device, CL_PROGRAM_BUILD_LOG);
        CHECK_MSG(garbage || strstr(log, "killed by signal"), "log:\n%s", log);
        CHECK_MSG(log[0] != '\0', "empty build log");
        free(log);
        cl_kernel k = clCreateKernel(prog, "count", &err);
        CHECK(k == NULL);
        CHECK_EQ(err, CL_INVALID_PROGRAM_EXECUTABLE);
    }
    CHECK_CL(clReleaseProgram(prog));
    src = build_checks_cl;
    prog = clCreateProgramWithSource(e.context, 1, &src, NULL, &err);
    CHECK_CL(err);
    CHECK_CL(clBuildProgram(prog, 1, &e.device, "-DVALUE=1", NULL, NULL));
    CHECK_CL(clReleaseProgram(prog));
    svm_env_close(&e);
    return svm_exit_code();
}
