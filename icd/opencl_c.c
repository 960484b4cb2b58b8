/*
 * opencl_c.c: OpenCL C feature and build-option fixes (opencl_c.h, docs/svm.md "OpenCL C").
 *
 * 1. All-devices atomic scope. pocl 3.1 reports CL_DEVICE_ATOMIC_SCOPE_ALL_DEVICES in
 *    CL_DEVICE_ATOMIC_MEMORY_CAPABILITIES but neither lists nor defines the OpenCL C 3.0 feature
 *    __opencl_c_atomic_scope_all_devices, so memory_scope_all_svm_devices does not compile. In
 *    clang's opencl-c-base.h that scope is guarded only by the macro, and on a CPU device every
 *    atomic is a host atomic, so defining the macro is all that is missing (pocl rejects
 *    -cl-ext=+feature from applications). When a backend reports the capability without the
 *    feature, clsvm lists the feature and adds -D__opencl_c_atomic_scope_all_devices=1 to
 *    builds that are not OpenCL C 1.x (where the macro has no meaning).
 * 2. OpenCL C 2.0 C11 atomics. Under -cl-std=CL2.0 clang's header declares the C11 atomic
 *    builtins only for the generic address space, which pocl 3.1 disables, so no call to
 *    atomic_fetch_add & co. compiles; under CL3.0 the named-address-space overloads exist. When
 *    the backend lacks __opencl_c_generic_address_space, a CL2.0 build or compile that fails is
 *    retried once as CL3.0 (plus fix 1); program.c does the retry (clsvm_opencl_c_retry_options).
 *    Retrying only after a failure keeps what works under CL2.0 (program-scope global variables)
 *    working.
 * 3. Kernel argument info. pocl 3.1 answers clGetKernelArgInfo only for programs built with no
 *    options at all or with -cl-kernel-arg-info; kernel.c needs the address qualifiers to tell
 *    memory-object arguments from scalars (foreign-handle checks), so clsvm adds
 *    -cl-kernel-arg-info to every build and compile that lacks it. Programs built through the
 *    SPIR path (fix 4) get their argument info from -cl-kernel-arg-info in both clang's and the
 *    backend's options (oclc20/spir.c).
 * 4. OpenCL C 2.0 through clang. When the backend lacks __opencl_c_generic_address_space, a
 *    clBuildProgram asking for CL2.0/2.1/2.2 is compiled by clang-15 to SPIR with clsvm's
 *    support library and the backend builds the bitcode (oclc20/, docs/opencl-c-2.0.md); fix 2
 *    remains for a machine without clang. The device then lists OpenCL C 2.0 in
 *    CL_DEVICE_OPENCL_C_ALL_VERSIONS, __opencl_c_generic_address_space in
 *    CL_DEVICE_OPENCL_C_FEATURES and CL_TRUE for CL_DEVICE_GENERIC_ADDRESS_SPACE_SUPPORT, and
 *    CL3.0 builds take the same path (clang gets exactly the listed features), so that what a
 *    3.0 program sees in those queries is what compiles.
 */
#include "opencl_c.h"

#include "oclc20/clang_run.h"

#include <stdlib.h>
#include <string.h>

#define ALL_DEVICES "__opencl_c_atomic_scope_all_devices"
#define GENERIC_AS "__opencl_c_generic_address_space"
#define ALL_DEVICES_DEFINE " -D" ALL_DEVICES "=1"
#define ARG_INFO "-cl-kernel-arg-info"

/* The backend's OpenCL C features (malloc'd, *n entries) or NULL (query failed or empty). */
static cl_name_version *be_features(cl_device_id be_dev, size_t *n, cl_int *err)
{
    size_t bytes = 0;
    *n = 0;
    *err = clsvm_be->clGetDeviceInfo(be_dev, CL_DEVICE_OPENCL_C_FEATURES, 0, NULL, &bytes);
    if (*err != CL_SUCCESS || bytes < sizeof(cl_name_version))
        return NULL;
    /* Room for the one feature clsvm may add. */
    cl_name_version *v = malloc(bytes + sizeof *v);
    if (!v) {
        *err = CL_OUT_OF_HOST_MEMORY;
        return NULL;
    }
    *err = clsvm_be->clGetDeviceInfo(be_dev, CL_DEVICE_OPENCL_C_FEATURES, bytes, v, NULL);
    if (*err != CL_SUCCESS) {
        free(v);
        return NULL;
    }
    *n = bytes / sizeof *v;
    return v;
}

static int has_feature(const cl_name_version *v, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strncmp(v[i].name, name, CL_NAME_VERSION_MAX_NAME_SIZE) == 0)
            return 1;
    return 0;
}

int clsvm_opencl_c_backend_has(cl_device_id be_dev, const char *feature)
{
    size_t n;
    cl_int err;
    cl_name_version *v = be_features(be_dev, &n, &err);
    int has = has_feature(v, n, feature);
    free(v);
    return has;
}

static int has_generic_as(cl_device_id be_dev)
{
    return clsvm_opencl_c_backend_has(be_dev, GENERIC_AS);
}

int clsvm_opencl_c_generic_by_path(cl_device_id be_dev)
{
    return !has_generic_as(be_dev) && oclc20_clang_version();
}

/* Fix 1 applies: the backend reports the all-devices scope but not its feature. */
static int needs_all_devices(cl_device_id be_dev, const cl_name_version *v, size_t n)
{
    cl_device_atomic_capabilities caps = 0;
    if (clsvm_be->clGetDeviceInfo(be_dev, CL_DEVICE_ATOMIC_MEMORY_CAPABILITIES, sizeof caps, &caps,
                                  NULL) != CL_SUCCESS)
        return 0;
    return (caps & CL_DEVICE_ATOMIC_SCOPE_ALL_DEVICES) && !has_feature(v, n, ALL_DEVICES);
}

cl_int clsvm_opencl_c_features(cl_device_id be_dev, size_t size, void *value, size_t *size_ret)
{
    size_t n;
    cl_int err;
    cl_name_version *v = be_features(be_dev, &n, &err);
    if (err != CL_SUCCESS)
        return err;
    if (!v) /* an empty list: still room to add to */
        v = calloc(1, sizeof *v);
    if (!v)
        return CL_OUT_OF_HOST_MEMORY;
    int all_devices = needs_all_devices(be_dev, v, n);
    int generic = clsvm_opencl_c_generic_by_path(be_dev);
    cl_name_version *more = realloc(v, (n + 2) * sizeof *v);
    if (!more) {
        free(v);
        return CL_OUT_OF_HOST_MEMORY;
    }
    v = more;
    const char *add[] = {all_devices ? ALL_DEVICES : NULL, generic ? GENERIC_AS : NULL};
    for (int i = 0; i < 2; i++) {
        if (!add[i])
            continue;
        memset(&v[n], 0, sizeof v[n]);
        strcpy(v[n].name, add[i]);
        v[n].version = CL_MAKE_VERSION(3, 0, 0);
        n++;
    }
    err = clsvm_info_return(v, n * sizeof *v, size, value, size_ret);
    free(v);
    return err;
}

cl_int clsvm_opencl_c_all_versions(cl_device_id be_dev, size_t size, void *value, size_t *size_ret)
{
    size_t bytes = 0;
    cl_int err =
        clsvm_be->clGetDeviceInfo(be_dev, CL_DEVICE_OPENCL_C_ALL_VERSIONS, 0, NULL, &bytes);
    if (err != CL_SUCCESS)
        return err;
    cl_name_version *v = malloc(bytes + sizeof *v);
    if (!v)
        return CL_OUT_OF_HOST_MEMORY;
    err = clsvm_be->clGetDeviceInfo(be_dev, CL_DEVICE_OPENCL_C_ALL_VERSIONS, bytes, v, NULL);
    size_t n = bytes / sizeof *v, at = n;
    int listed = 0;
    for (size_t i = 0; i < n; i++) {
        listed |= CL_VERSION_MAJOR(v[i].version) == 2;
        if (at == n && v[i].version > CL_MAKE_VERSION(2, 0, 0))
            at = i; /* keep the list ascending, as backends give it */
    }
    /* OpenCL C 2.0 through the SPIR path (fix 4): only when the backend lacks it and clang runs. */
    if (err == CL_SUCCESS && !listed && clsvm_opencl_c_generic_by_path(be_dev)) {
        memmove(&v[at + 1], &v[at], (n - at) * sizeof *v);
        memset(&v[at], 0, sizeof *v);
        strcpy(v[at].name, "OpenCL C");
        v[at].version = CL_MAKE_VERSION(2, 0, 0);
        n++;
    }
    if (err == CL_SUCCESS)
        err = clsvm_info_return(v, n * sizeof *v, size, value, size_ret);
    free(v);
    return err;
}

/* The value of the last -cl-std= option in opts ("CL2.0"...), as a pointer into opts, with its
 * length in *len; NULL when there is none. */
static const char *cl_std(const char *opts, size_t *len)
{
    const char *found = NULL;
    for (const char *p = opts; p && (p = strstr(p, "-cl-std=")) != NULL; p += 8)
        if (p == opts || p[-1] == ' ' || p[-1] == '\t' || p[-1] == '\n')
            found = p + 8;
    if (found)
        *len = strcspn(found, " \t\n");
    return found;
}

/* Does opts contain the option opt as a whole word? */
static int has_option(const char *opts, const char *opt)
{
    size_t n = strlen(opt);
    for (const char *p = opts; p && (p = strstr(p, opt)) != NULL; p += n)
        if ((p == opts || p[-1] == ' ' || p[-1] == '\t' || p[-1] == '\n') &&
            (p[n] == '\0' || p[n] == ' ' || p[n] == '\t' || p[n] == '\n'))
            return 1;
    return 0;
}

static int std_is(const char *s, size_t len, const char *want)
{
    return s && len == strlen(want) && strncmp(s, want, len) == 0;
}

/* opts with (define) the all-devices define appended and (from_std non-NULL) the -cl-std value
 * at from_std replaced by "CL3.0". */
static char *rewrite(const char *opts, const char *from_std, size_t std_len, int define)
{
    size_t olen = opts ? strlen(opts) : 0;
    char *s = malloc(olen + sizeof ALL_DEVICES_DEFINE + sizeof ARG_INFO + 8);
    if (!s)
        return NULL;
    size_t k = 0;
    if (from_std) {
        size_t pre = (size_t)(from_std - opts);
        memcpy(s, opts, pre);
        memcpy(s + pre, "CL3.0", 5);
        k = pre + 5;
        size_t rest = olen - pre - std_len;
        memcpy(s + k, from_std + std_len, rest);
        k += rest;
    } else if (olen) {
        memcpy(s, opts, olen);
        k = olen;
    }
    strcpy(s + k, define ? ALL_DEVICES_DEFINE : "");
    if (!has_option(opts, ARG_INFO))
        strcat(s + k, " " ARG_INFO);
    return s;
}

const char *clsvm_opencl_c_options(cl_device_id be_dev, const char *opts)
{
    size_t n, len = 0;
    cl_int err;
    cl_name_version *v = be_features(be_dev, &n, &err);
    int fix = needs_all_devices(be_dev, v, n);
    free(v);
    const char *std = cl_std(opts, &len);
    /* OpenCL C 1.x has no memory scopes; CL2.0 headers define the macro themselves, identical
     * to clsvm's, so the define is harmless there but also not needed. */
    int define =
        fix && !(std && len >= 3 && strncmp(std, "CL1", 3) == 0) && !std_is(std, len, "CL2.0");
    if (!define && has_option(opts, ARG_INFO))
        return opts;
    return rewrite(opts, NULL, 0, define);
}

const char *clsvm_opencl_c_retry_options(cl_device_id be_dev, const char *opts)
{
    size_t n, len = 0;
    const char *std = cl_std(opts, &len);
    if (!std_is(std, len, "CL2.0"))
        return NULL;
    cl_int err;
    cl_name_version *v = be_features(be_dev, &n, &err);
    int generic = has_feature(v, n, GENERIC_AS);
    int fix = needs_all_devices(be_dev, v, n);
    free(v);
    if (err != CL_SUCCESS || generic)
        return NULL;
    return rewrite(opts, std, len, fix);
}

void clsvm_opencl_c_options_done(const char *result, const char *opts)
{
    if (result != opts)
        free((void *)result);
}
