/*
 * extensions.c: which OpenCL extensions clsvm reports, and its extension function table.
 * clsvm may only report an extension if every function of it goes through clsvm (the loader
 * would otherwise hand the application backend functions that receive clsvm handles). So a
 * backend extension is reported only if it adds no functions (first list) or its functions
 * are clsvm's (second list). An extension function is handed out only for an extension that the
 * platform or one of its devices lists.
 */
#include "icd.h"

#include <stdlib.h>
#include <string.h>

/* Extensions that add no entry points (language features, queries, hints). */
static const char *const functionless[] = {
    "cl_khr_fp16",
    "cl_khr_fp64",
    "cl_khr_byte_addressable_store",
    "cl_khr_global_int32_base_atomics",
    "cl_khr_global_int32_extended_atomics",
    "cl_khr_local_int32_base_atomics",
    "cl_khr_local_int32_extended_atomics",
    "cl_khr_int64_base_atomics",
    "cl_khr_int64_extended_atomics",
    "cl_khr_3d_image_writes",
    "cl_khr_image2d_from_buffer",
    "cl_khr_depth_images",
    "cl_khr_spir",
    "cl_khr_device_uuid",
    "cl_khr_pci_bus_info",
    "cl_khr_extended_versioning",
    "cl_khr_priority_hints",
    "cl_khr_throttle_hints",
    "cl_khr_integer_dot_product",
    "cl_khr_expect_assume",
    "cl_khr_subgroup_extended_types",
    "cl_khr_subgroup_non_uniform_vote",
    "cl_khr_subgroup_ballot",
    "cl_khr_subgroup_non_uniform_arithmetic",
    "cl_khr_subgroup_shuffle",
    "cl_khr_subgroup_shuffle_relative",
    "cl_khr_subgroup_clustered_reduce",
    "cl_ext_float_atomics",
};

/* Extensions whose functions clsvm implements, and those functions. */
static const struct {
    const char *ext, *fn;
    void *addr;
} wrapped[] = {
    {"cl_khr_icd", "clIcdGetPlatformIDsKHR", (void *)clIcdGetPlatformIDsKHR},
    {"cl_khr_subgroups", "clGetKernelSubGroupInfoKHR", (void *)clsvm_clGetKernelSubGroupInfoKHR},
    {"cl_khr_il_program", "clCreateProgramWithILKHR", (void *)clsvm_clCreateProgramWithIL},
    {"cl_khr_create_command_queue", "clCreateCommandQueueWithPropertiesKHR",
     (void *)clsvm_clCreateCommandQueueWithProperties},
};

int clsvm_ext_reported(const char *name)
{
    for (size_t i = 0; i < sizeof functionless / sizeof *functionless; i++)
        if (strcmp(name, functionless[i]) == 0)
            return 1;
    for (size_t i = 0; i < sizeof wrapped / sizeof *wrapped; i++)
        if (strcmp(name, wrapped[i].ext) == 0)
            return 1;
    return 0;
}

char *clsvm_ext_filter(const char *list)
{
    size_t len = strlen(list);
    char *out = malloc(len + 1);
    if (!out)
        return NULL;
    char *o = out;
    char name[128];
    for (const char *p = list; *p;) {
        p += strspn(p, " ");
        size_t n = strcspn(p, " ");
        if (n && n < sizeof name) {
            memcpy(name, p, n);
            name[n] = '\0';
            if (clsvm_ext_reported(name)) {
                if (o != out)
                    *o++ = ' ';
                memcpy(o, name, n);
                o += n;
            }
        }
        p += n;
    }
    *o = '\0';
    return out;
}

/* Does the space-separated list `list` hold the word `name`? */
static int list_has(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; (p = strstr(p, name)) != NULL; p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return 1;
    return 0;
}

/* One extension-string query (platform or device) through clsvm's own filtered answer. */
static int info_lists(cl_int (*get)(void *, cl_uint, size_t, void *, size_t *), void *h,
                      cl_uint what, const char *ext)
{
    size_t n = 0;
    if (get(h, what, 0, NULL, &n) != CL_SUCCESS || n == 0)
        return 0;
    char *s = malloc(n + 1);
    int found = 0;
    if (s && get(h, what, n, s, NULL) == CL_SUCCESS) {
        s[n] = '\0';
        found = list_has(s, ext);
    }
    free(s);
    return found;
}

static cl_int get_platform(void *h, cl_uint what, size_t size, void *value, size_t *ret)
{
    return clsvm_clGetPlatformInfo(h, what, size, value, ret);
}

static cl_int get_device(void *h, cl_uint what, size_t size, void *value, size_t *ret)
{
    return clsvm_clGetDeviceInfo(h, what, size, value, ret);
}

/* Is `ext` in the platform's extension string or in one of its devices'? An extension function
 * is only handed out for an extension the application can see listed. */
static int platform_lists(cl_platform_id platform, const char *ext)
{
    if (info_lists(get_platform, platform, CL_PLATFORM_EXTENSIONS, ext))
        return 1;
    cl_uint n = 0;
    if (clsvm_clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 0, NULL, &n) != CL_SUCCESS || n == 0)
        return 0;
    cl_device_id *d = calloc(n, sizeof *d);
    int found = 0;
    if (d && clsvm_clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, n, d, NULL) == CL_SUCCESS)
        for (cl_uint i = 0; i < n && !found; i++)
            found = info_lists(get_device, d[i], CL_DEVICE_EXTENSIONS, ext);
    free(d);
    return found;
}

void *clsvm_ext_function(cl_platform_id platform, const char *name)
{
    for (size_t i = 0; name && i < sizeof wrapped / sizeof *wrapped; i++) {
        if (strcmp(name, wrapped[i].fn) != 0)
            continue;
        /* cl_khr_icd is clsvm's own and always listed; the loader needs its function first. */
        if (strcmp(wrapped[i].ext, "cl_khr_icd") == 0)
            return wrapped[i].addr;
        if (platform)
            return platform_lists(platform, wrapped[i].ext) ? wrapped[i].addr : NULL;
        clsvm_backend_init();
        for (cl_uint p = 0; p < clsvm_platform_count(); p++)
            if (platform_lists((cl_platform_id)clsvm_platform_at(p), wrapped[i].ext))
                return wrapped[i].addr;
        return NULL;
    }
    return NULL;
}

size_t clsvm_ext_filter_versioned(cl_name_version *v, size_t count)
{
    size_t kept = 0;
    for (size_t i = 0; i < count; i++)
        if (clsvm_ext_reported(v[i].name))
            v[kept++] = v[i];
    return kept;
}
