/* test_icd_platform: the platform and device queries clsvm answers through the ICD loader:
 * identity strings, cl_khr_icd, device enumeration by type, and the exact error codes of
 * malformed queries. */
#include "icd_test.h"

#include <CL/cl_icd.h>

static void check_platform_strings(cl_platform_id p)
{
    char buf[4096];
    size_t len = 0;

    CHECK_CL(clGetPlatformInfo(p, CL_PLATFORM_NAME, sizeof buf, buf, &len));
    CHECK_EQ(len, strlen(buf) + 1); /* size includes the terminating NUL */
    CHECK_MSG(strncmp(buf, icd_test_prefix(), strlen(icd_test_prefix())) == 0, "name '%s'", buf);
    printf("platform: %s\n", buf);

    CHECK_CL(clGetPlatformInfo(p, CL_PLATFORM_VENDOR, sizeof buf, buf, NULL));
    CHECK_MSG(buf[0] != 0, "empty vendor");

    CHECK_CL(clGetPlatformInfo(p, CL_PLATFORM_VERSION, sizeof buf, buf, NULL));
    CHECK_MSG(strncmp(buf, "OpenCL ", 7) == 0, "version '%s' must start with 'OpenCL '", buf);
    int major = 0, minor = 0;
    CHECK_MSG(sscanf(buf + 7, "%d.%d", &major, &minor) == 2, "version '%s'", buf);
    CHECK_MSG(major >= 2, "version '%s': SVM needs OpenCL 2.0+", buf);

    CHECK_CL(clGetPlatformInfo(p, CL_PLATFORM_PROFILE, sizeof buf, buf, NULL));
    CHECK_MSG(!strcmp(buf, "FULL_PROFILE") || !strcmp(buf, "EMBEDDED_PROFILE"), "profile '%s'",
              buf);

    CHECK_CL(clGetPlatformInfo(p, CL_PLATFORM_EXTENSIONS, sizeof buf, buf, NULL));
    CHECK_MSG(strstr(buf, "cl_khr_icd") != NULL, "extensions '%s' lack cl_khr_icd", buf);

    CHECK_CL(clGetPlatformInfo(p, CL_PLATFORM_ICD_SUFFIX_KHR, sizeof buf, buf, &len));
    CHECK_MSG(len > 1 && buf[0] != 0, "empty CL_PLATFORM_ICD_SUFFIX_KHR");

    /* Size query without a buffer must agree with the real answer. */
    size_t need = 0;
    CHECK_CL(clGetPlatformInfo(p, CL_PLATFORM_NAME, 0, NULL, &need));
    CHECK_CL(clGetPlatformInfo(p, CL_PLATFORM_NAME, sizeof buf, buf, &len));
    CHECK_EQ(need, len);

    /* Exact error codes for malformed queries. */
    CHECK_CL_ERR(clGetPlatformInfo(p, 0x7fff, sizeof buf, buf, NULL), CL_INVALID_VALUE);
    CHECK_CL_ERR(clGetPlatformInfo(p, CL_PLATFORM_NAME, 1, buf, NULL), CL_INVALID_VALUE);
}

static void check_devices(cl_platform_id p)
{
    cl_uint n_all = 0, n_def = 0, n_cpu = 0;
    CHECK_CL(clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, 0, NULL, &n_all));
    CHECK_MSG(n_all >= 1, "no devices");
    CHECK_CL(clGetDeviceIDs(p, CL_DEVICE_TYPE_DEFAULT, 0, NULL, &n_def));
    CHECK_EQ(n_def, 1); /* the spec: exactly one default device */

    cl_device_id all[16], def = NULL;
    if (n_all > 16)
        n_all = 16;
    CHECK_CL(clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, n_all, all, NULL));
    CHECK_CL(clGetDeviceIDs(p, CL_DEVICE_TYPE_DEFAULT, 1, &def, NULL));
    int def_found = 0;
    for (cl_uint i = 0; i < n_all; i++)
        def_found |= all[i] == def;
    CHECK_MSG(def_found, "the default device is not among CL_DEVICE_TYPE_ALL");

    /* CPU devices: the count matches the devices whose CL_DEVICE_TYPE has the CPU bit, and
     * repeated enumeration returns the same handles (wrappers are not re-created per call). */
    cl_uint want_cpu = 0;
    for (cl_uint i = 0; i < n_all; i++) {
        cl_device_type t = 0;
        ICD_GET_INFO(clGetDeviceInfo, all[i], CL_DEVICE_TYPE, t);
        want_cpu += (t & CL_DEVICE_TYPE_CPU) != 0;
    }
    cl_int err = clGetDeviceIDs(p, CL_DEVICE_TYPE_CPU, 0, NULL, &n_cpu);
    if (want_cpu == 0) {
        CHECK_CL_ERR(err, CL_DEVICE_NOT_FOUND);
    } else {
        CHECK_CL(err);
        CHECK_EQ(n_cpu, want_cpu);
        cl_device_id cpu[16];
        CHECK_CL(clGetDeviceIDs(p, CL_DEVICE_TYPE_CPU, n_cpu > 16 ? 16 : n_cpu, cpu, NULL));
        for (cl_uint i = 0; i < n_cpu && i < 16; i++) {
            int found = 0;
            for (cl_uint j = 0; j < n_all; j++)
                found |= cpu[i] == all[j];
            CHECK_MSG(found, "CPU device %u is not among CL_DEVICE_TYPE_ALL", i);
        }
    }
    cl_device_id again[16];
    CHECK_CL(clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, n_all, again, NULL));
    CHECK(memcmp(again, all, n_all * sizeof all[0]) == 0);

    CHECK_CL_ERR(clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, 0, all, NULL), CL_INVALID_VALUE);
    CHECK_CL_ERR(clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, 0, NULL, NULL), CL_INVALID_VALUE);

    for (cl_uint i = 0; i < n_all; i++) {
        cl_platform_id dp = NULL;
        ICD_GET_INFO(clGetDeviceInfo, all[i], CL_DEVICE_PLATFORM, dp);
        CHECK_MSG(dp == p, "CL_DEVICE_PLATFORM %p, expected the app's platform %p", (void *)dp,
                  (void *)p);

        char name[256];
        CHECK_CL(clGetDeviceInfo(all[i], CL_DEVICE_NAME, sizeof name, name, NULL));
        printf("device %u: %s\n", i, name);
        CHECK_MSG(strncmp(name, icd_test_prefix(), strlen(icd_test_prefix())) == 0 ||
                      strcmp(icd_test_prefix(), "clsvm") != 0,
                  "device name '%s' must start with 'clsvm'", name);

        char ver[256];
        CHECK_CL(clGetDeviceInfo(all[i], CL_DEVICE_VERSION, sizeof ver, ver, NULL));
        CHECK_MSG(strncmp(ver, "OpenCL ", 7) == 0, "device version '%s'", ver);

        cl_bool avail = CL_FALSE;
        ICD_GET_INFO(clGetDeviceInfo, all[i], CL_DEVICE_AVAILABLE, avail);
        CHECK_EQ(avail, CL_TRUE);

        /* A root device has no parent; the answer is NULL, not a dangling backend handle. */
        cl_device_id parent = (cl_device_id)1;
        ICD_GET_INFO(clGetDeviceInfo, all[i], CL_DEVICE_PARENT_DEVICE, parent);
        CHECK(parent == NULL);

        CHECK_CL_ERR(clGetDeviceInfo(all[i], 0x7fff, sizeof name, name, NULL), CL_INVALID_VALUE);
        CHECK_CL_ERR(clGetDeviceInfo(all[i], CL_DEVICE_NAME, 1, name, NULL), CL_INVALID_VALUE);
        cl_uint small = 0;
        CHECK_CL_ERR(
            clGetDeviceInfo(all[i], CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof small, &small, NULL),
            CL_INVALID_VALUE);
        CHECK_CL_ERR(clGetDeviceInfo(all[i], CL_DEVICE_PLATFORM, 1, &dp, NULL), CL_INVALID_VALUE);
    }
}

/* Is `ext` a whole word of the platform's or one of its devices' extension strings? */
static int listed(cl_platform_id p, const char *ext)
{
    char s[8192];
    size_t n = strlen(ext);
    cl_device_id d[16];
    cl_uint nd = 0;
    CHECK_CL(clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, 16, d, &nd));
    for (cl_uint i = 0; i <= nd && i <= 16; i++) {
        if (i == 0)
            CHECK_CL(clGetPlatformInfo(p, CL_PLATFORM_EXTENSIONS, sizeof s, s, NULL));
        else
            CHECK_CL(clGetDeviceInfo(d[i - 1], CL_DEVICE_EXTENSIONS, sizeof s, s, NULL));
        for (const char *q = s; (q = strstr(q, ext)) != NULL; q += n)
            if ((q == s || q[-1] == ' ') && (q[n] == ' ' || q[n] == '\0'))
                return 1;
    }
    return 0;
}

/* An extension function is handed out exactly when its extension is listed (API 9.x: the
 * function of an extension the platform does not support is NULL). ocl-icd answers the KHR
 * functions of its own dispatch table itself (clGetKernelSubGroupInfoKHR, ...), so the platform
 * is asked through its dispatch table, as the loader does for every other name. */
static void check_extension_functions(cl_platform_id p)
{
    const struct _cl_icd_dispatch *dispatch = *(const struct _cl_icd_dispatch *const *)p;
    CHECK(dispatch->clGetExtensionFunctionAddressForPlatform != NULL);
    static const struct {
        const char *ext, *fn;
    } rows[] = {
        {"cl_khr_icd", "clIcdGetPlatformIDsKHR"},
        {"cl_khr_subgroups", "clGetKernelSubGroupInfoKHR"},
        {"cl_khr_il_program", "clCreateProgramWithILKHR"},
        {"cl_khr_create_command_queue", "clCreateCommandQueueWithPropertiesKHR"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        int want = listed(p, rows[i].ext);
        void *fn = dispatch->clGetExtensionFunctionAddressForPlatform(p, rows[i].fn);
        CHECK_MSG((fn != NULL) == want, "%s: %s, but %s is %slisted", rows[i].fn,
                  fn ? "returned" : "NULL", rows[i].ext, want ? "" : "not ");
    }
}

int main(void)
{
    cl_platform_id p = icd_test_platform();

    /* Enumeration is stable: the same handle on every call. */
    cl_uint n = 0;
    CHECK_CL(clGetPlatformIDs(0, NULL, &n));
    cl_platform_id ids[16];
    CHECK_CL(clGetPlatformIDs(n > 16 ? 16 : n, ids, NULL));
    CHECK(icd_test_platform() == p);
    CHECK_CL_ERR(clGetPlatformIDs(0, ids, NULL), CL_INVALID_VALUE);
    CHECK_CL_ERR(clGetPlatformIDs(0, NULL, NULL), CL_INVALID_VALUE);

    check_platform_strings(p);
    check_devices(p);

    /* The ICD entry point for extensions answers through the platform. */
    void *fn = clGetExtensionFunctionAddressForPlatform(p, "clIcdGetPlatformIDsKHR");
    (void)fn; /* may be NULL or not; what matters is that it does not crash */
    CHECK(clGetExtensionFunctionAddressForPlatform(p, "clNoSuchFunctionXYZ") == NULL);
    check_extension_functions(p);

    printf("ok\n");
    return 0;
}
