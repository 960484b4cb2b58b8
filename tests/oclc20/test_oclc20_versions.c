/* test_oclc20_versions: with clang-15 runnable (checked here independently of clsvm), the device
 * lists OpenCL C 2.0 in CL_DEVICE_OPENCL_C_ALL_VERSIONS exactly once, the list stays ascending,
 * and the OpenCL C 3.0 features list the generic address space once, with
 * CL_DEVICE_GENERIC_ADDRESS_SPACE_SUPPORT true (OpenCL C 3.0 builds take the path too). Without
 * clang-15 the test is skipped, as are the other path tests. */
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
    int generic = 0;
    for (size_t i = 0; i < n / sizeof *v; i++)
        generic += strcmp(v[i].name, "__opencl_c_generic_address_space") == 0;
    CHECK_EQ(generic, 1);
    free(v);
    cl_bool support = CL_FALSE;
    CHECK_CL(clGetDeviceInfo(e.device, CL_DEVICE_GENERIC_ADDRESS_SPACE_SUPPORT, sizeof support,
                             &support, NULL));
    CHECK_EQ(support, CL_TRUE);
    svm_env_close(&e);
    return svm_exit_code();
}
