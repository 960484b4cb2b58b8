/* test_oclc20_noclang: clsvm with its clang unavailable (CLSVM_OCLC20_CLANG points at a file
 * that does not exist, set by oclc20_tests.cmake). An OpenCL C 2.0 program that the backend
 * cannot build fails with CL_BUILD_PROGRAM_FAILURE and a log whose first line says clang is
 * missing and what to do; nothing crashes; programs of other versions (OpenCL C 3.0 included)
 * build as before; the device claims neither OpenCL C 2.0 nor the generic address space. */
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
    cl_int err = CL_SUCCESS;
    const char *src = atomics_generic_cl;
    cl_program prog = clCreateProgramWithSource(e.context, 1, &src, NULL, &err);
    CHECK_CL(err);
    /* Generic-pointer atomics: neither pocl's CL2.0 nor the CL3.0 retry compiles them. */
    CHECK_CL_ERR(clBuildProgram(prog, 1, &e.device, "-cl-std=CL2.0", NULL, NULL),
                 CL_BUILD_PROGRAM_FAILURE);
    CHECK_EQ(oclc20_build_status(prog, e.device), CL_BUILD_ERROR);
    char *log = oclc20_build_string(prog, e.device, CL_PROGRAM_BUILD_LOG);
    CHECK_MSG(strncmp(log, "clsvm: ", 7) == 0 && strstr(log, "clang-15") &&
                  strstr(log, "CLSVM_OCLC20_CLANG"),
              "log does not explain the missing clang:\n%s", log);
    free(log);
    CHECK_CL(clReleaseProgram(prog));
    /* A program written for both goes to the backend and works, as OpenCL C 1.2 and, through
     * the CL3.0 retry, as 2.0. */
    src = build_checks_cl;
    prog = clCreateProgramWithSource(e.context, 1, &src, NULL, &err);
    CHECK_CL(err);
    CHECK_CL(clBuildProgram(prog, 1, &e.device, "-DVALUE=2", NULL, NULL));
    CHECK_EQ(oclc20_build_status(prog, e.device), CL_BUILD_SUCCESS);
    CHECK_CL(clBuildProgram(prog, 1, &e.device, "-cl-std=CL2.0 -DVALUE=2", NULL, NULL));
    CHECK_EQ(oclc20_build_status(prog, e.device), CL_BUILD_SUCCESS);
    CHECK_CL(clReleaseProgram(prog));

    size_t n = 0;
    CHECK_CL(clGetDeviceInfo(e.device, CL_DEVICE_OPENCL_C_ALL_VERSIONS, 0, NULL, &n));
    cl_name_version *v = malloc(n);
    CHECK(v != NULL);
    CHECK_CL(clGetDeviceInfo(e.device, CL_DEVICE_OPENCL_C_ALL_VERSIONS, n, v, NULL));
    for (size_t i = 0; i < n / sizeof *v; i++)
        CHECK_MSG(CL_VERSION_MAJOR(v[i].version) != 2, "OpenCL C 2.x listed without clang");
    free(v);
    /* Nor the generic address space; OpenCL C 3.0 goes to the backend as it always did. */
    CHECK_CL(clGetDeviceInfo(e.device, CL_DEVICE_OPENCL_C_FEATURES, 0, NULL, &n));
    v = malloc(n ? n : 1);
    CHECK(v != NULL);
    CHECK_CL(clGetDeviceInfo(e.device, CL_DEVICE_OPENCL_C_FEATURES, n, v, NULL));
    for (size_t i = 0; i < n / sizeof *v; i++)
        CHECK_MSG(strcmp(v[i].name, "__opencl_c_generic_address_space") != 0,
                  "generic address space listed without clang");
    free(v);
    cl_bool generic = CL_TRUE;
    CHECK_CL(clGetDeviceInfo(e.device, CL_DEVICE_GENERIC_ADDRESS_SPACE_SUPPORT, sizeof generic,
                             &generic, NULL));
    CHECK_EQ(generic, CL_FALSE);
    src = build_checks_cl;
    prog = clCreateProgramWithSource(e.context, 1, &src, NULL, &err);
    CHECK_CL(err);
    CHECK_CL(clBuildProgram(prog, 1, &e.device, "-cl-std=CL3.0 -DVALUE=2", NULL, NULL));
    CHECK_EQ(oclc20_build_status(prog, e.device), CL_BUILD_SUCCESS);
    CHECK_CL(clReleaseProgram(prog));
    svm_env_close(&e);
    return svm_exit_code();
}
