/*
 * extensions.c: which OpenCL extensions clsvm reports, and its extension function table.
 * clsvm may only report an extension if every function of it goes through clsvm (the loader
 * would otherwise hand the application backend functions that receive clsvm handles). So a
 * backend extension is reported only if it adds no functions (first list) or its functions
 * are clsvm's (second list). An extension function is handed out only for an extension that the
 * platform or one of its devices lists.
 */
#include "info_answer.h"

#include <stdio.h>
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

static int reported(const char *name)
{
    for (size_t i = 0; i < sizeof functionless / sizeof *functionless; i++)
        if (strcmp(name, functionless[i]) == 0)
            return 1;
    for (size_t i = 0; i < sizeof wrapped / sizeof *wrapped; i++)
        if (strcmp(name, wrapped[i].ext) == 0)
            return 1;
    return 0;
}

/* The words of list that are reported extensions, malloc'd (NULL: no memory). */
static char *filter(const char *list)
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
            if (reported(name)) {
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

/* The platform's own extension: the loader's, which clsvm implements whatever the backend says. */
#define OWN_PLATFORM_EXT "cl_khr_icd"

/* The extensions clsvm reports for a backend platform or device (kind), space-separated and
 * malloc'd (NULL: no memory): the backend's that clsvm implements, and for a platform its own. */
static char *ext_list(clsvm_kind kind, void *be)
{
    cl_uint param = kind == CLSVM_PLATFORM ? CL_PLATFORM_EXTENSIONS : CL_DEVICE_EXTENSIONS;
    char *bl = clsvm_info_be_string(kind, be, NULL, param);
    char *f = filter(bl ? bl : "");
    free(bl);
    if (!f || kind != CLSVM_PLATFORM || list_has(f, OWN_PLATFORM_EXT))
        return f;
    char *l = malloc(strlen(OWN_PLATFORM_EXT) + 1 + strlen(f) + 1);
    if (l)
        sprintf(l, "%s%s%s", OWN_PLATFORM_EXT, *f ? " " : "", f);
    free(f);
    return l;
}

static cl_int ext_versioned(clsvm_kind kind, void *be, size_t size, void *value, size_t *size_ret)
{
    int platform = kind == CLSVM_PLATFORM;
    cl_uint param =
        platform ? CL_PLATFORM_EXTENSIONS_WITH_VERSION : CL_DEVICE_EXTENSIONS_WITH_VERSION;
    size_t n = 0;
    cl_int err = clsvm_info_forward(kind, be, param, 0, 0, NULL, &n);
    /* A platform always has an answer (its own extension); a device has the backend's. */
    if (err != CL_SUCCESS && !platform)
        return err;
    size_t count = err == CL_SUCCESS ? n / sizeof(cl_name_version) : 0;
    cl_name_version *v = calloc(count + 1, sizeof *v);
    if (!v)
        return CL_OUT_OF_HOST_MEMORY;
    if (count)
        err = clsvm_info_forward(kind, be, param, 0, n, v, NULL);
    if (err != CL_SUCCESS && !platform) {
        free(v);
        return err;
    }
    size_t kept = 0, own = !platform;
    for (size_t i = 0; err == CL_SUCCESS && i < count; i++) {
        if (!reported(v[i].name))
            continue;
        own |= strcmp(v[i].name, OWN_PLATFORM_EXT) == 0;
        v[kept++] = v[i];
    }
    if (!own) {
        memset(&v[kept], 0, sizeof v[kept]);
        strcpy(v[kept].name, OWN_PLATFORM_EXT);
        v[kept++].version = CL_MAKE_VERSION(1, 0, 0);
    }
    err = clsvm_info_return(v, kept * sizeof *v, size, value, size_ret);
    free(v);
    return err;
}

cl_int clsvm_ext_info(clsvm_obj *o, cl_uint param, size_t size, void *value, size_t *size_ret)
{
    clsvm_kind kind =
        param == CL_PLATFORM_EXTENSIONS || param == CL_PLATFORM_EXTENSIONS_WITH_VERSION
            ? CLSVM_PLATFORM
            : CLSVM_DEVICE;
    if (param == CL_PLATFORM_EXTENSIONS_WITH_VERSION || param == CL_DEVICE_EXTENSIONS_WITH_VERSION)
        return ext_versioned(kind, o->be, size, value, size_ret);
    char *l = ext_list(kind, o->be);
    cl_int err = l ? clsvm_info_string(l, size, value, size_ret) : CL_OUT_OF_HOST_MEMORY;
    free(l);
    return err;
}

/* Is ext listed by a platform or device (a clsvm handle of that kind)? */
static int lists(clsvm_kind kind, const void *h, const char *ext)
{
    void *be = clsvm_unwrap(h, kind);
    char *l = be ? ext_list(kind, be) : NULL;
    int found = l && list_has(l, ext);
    free(l);
    return found;
}

/* Is `ext` in the platform's extension string or in one of its devices'? An extension function
 * is only handed out for an extension the application can see listed. */
static int platform_lists(cl_platform_id platform, const char *ext)
{
    if (lists(CLSVM_PLATFORM, platform, ext))
        return 1;
    cl_uint n = 0;
    if (clsvm_clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 0, NULL, &n) != CL_SUCCESS || n == 0)
        return 0;
    cl_device_id *d = calloc(n, sizeof *d);
    int found = 0;
    if (d && clsvm_clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, n, d, NULL) == CL_SUCCESS)
        for (cl_uint i = 0; i < n && !found; i++)
            found = lists(CLSVM_DEVICE, d[i], ext);
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
