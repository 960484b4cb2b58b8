/*
 * extensions.c: which OpenCL extensions clsvm reports, and its extension function table.
 * clsvm may only report an extension if every function of it goes through clsvm (the loader
 * would otherwise hand the application backend functions that receive clsvm handles). So a
 * backend extension is reported only if it adds no functions (first list) or its functions
 * are clsvm's (second list).
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

void *clsvm_ext_function(const char *name)
{
    for (size_t i = 0; name && i < sizeof wrapped / sizeof *wrapped; i++)
        if (strcmp(name, wrapped[i].fn) == 0)
            return wrapped[i].addr;
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
