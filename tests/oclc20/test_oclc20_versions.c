/* test_oclc20_versions: with clang-15 runnable (checked here independently of clsvm), the device
 * lists OpenCL C 2.0 in CL_DEVICE_OPENCL_C_ALL_VERSIONS exactly once, the list stays ascending,
 * and the OpenCL C 3.0 features do not claim the generic address space (OpenCL C 3.0 builds go
 * to the backend). Without clang-15 the test is skipped, as are the other path tests. */
#include "oclc20/oclc20_test.h"

int main(void)
{
    svm_env e;
    svm_env_open(&e);
    if (!e.is_clsvm) {
        fprintf(stderr, "not clsvm: nothing to check\n");
        return SVM_TEST_SKIP;
    }
    if (system("clang-15 --version >/dev/null 2>&1") != 0) {
        fprintf(stderr, "clang-15 cannot be run here: skipped\n");
        return SVM_TEST_SKIP;
    }
    size_t n = 0;
    CHECK_CL(clGetDeviceInfo(e.device, CL_DEVICE_OPENCL_C_ALL_VERSIONS, 0, NULL, &n));
    cl_name_version *v = malloc(n);
    CHECK(v != NULL);
    CHECK_CL(clGetDeviceInfo(e.device, CL_DEVICE_OPENCL_C_ALL_VERSIONS, n, v, NULL));
    int twos = 0;
    for (size_t i = 0; i < n / sizeof *v; i++) {
        twos += v[i].version == CL_MAKE_VERSION(2, 0, 0) && strcmp(v[i].name, "OpenCL C") == 0;
        if (i)
            CHECK_MSG(v[i - 1].version < v[i].version, "versions not ascending at %zu", i);
    }
    CHECK_EQ(twos, 1);
    free(v);
    CHECK_CL(clGetDeviceInfo(e.device, CL_DEVICE_OPENCL_C_FEATURES, 0, NULL, &n));
    v = malloc(n);
    CHECK(v != NULL);
    CHECK_CL(clGetDeviceInfo(e.device, CL_DEVICE_OPENCL_C_FEATURES, n, v, NULL));
    for (size_t i = 0; i < n / sizeof *v; i++)
        CHECK(strcmp(v[i].name, "__opencl_c_generic_address_space") != 0);
    free(v);
    svm_env_close(&e);
    return svm_exit_code();
}
