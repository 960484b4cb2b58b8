/*
 * spir_inputs.c: the files one clang run reads from its private work directory (spir_job.h):
 * the source, the application's headers, the objects of a link, and the two headers clsvm
 * includes after clang's own (undef.h: feature and extension macros the device does not list;
 * workitem.h: the work-item functions of non-uniform work-groups).
 */
#include "spir.h"
#include "spir_job.h"

#include "cache.h"
#include "clang_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* clang's opencl-c-base.h defines these OpenCL C 3.0 feature macros for every SPIR compile,
 * whatever -cl-ext says; a device that does not list one must not see it. */
static const char *const header_features[] = {
    "__opencl_c_work_group_collective_functions", "__opencl_c_atomic_order_seq_cst",
    "__opencl_c_atomic_scope_device", "__opencl_c_atomic_scope_all_devices",
    "__opencl_c_read_write_images"};
#define N_HEADER_FEATURES (sizeof header_features / sizeof *header_features)
/* And these extension macros for every OpenCL C 2.0 and 3.0 SPIR compile: the functions they
 * guard stay declared (the header is read first), but a program asking whether the device has
 * them gets the device's answer. */
static const char *const header_extensions[] = {
    "cl_khr_subgroup_extended_types",
    "cl_khr_subgroup_non_uniform_vote",
    "cl_khr_subgroup_ballot",
    "cl_khr_subgroup_non_uniform_arithmetic",
    "cl_khr_subgroup_shuffle",
    "cl_khr_subgroup_shuffle_relative",
    "cl_khr_subgroup_clustered_reduce",
    "cl_khr_subgroup_rotate",
    "cl_khr_extended_bit_ops",
    "cl_khr_integer_dot_product",
    "__opencl_c_integer_dot_product_input_4x8bit",
    "__opencl_c_integer_dot_product_input_4x8bit_packed",
    "cl_ext_float_atomics",
    "__opencl_c_ext_fp16_global_atomic_load_store",
    "__opencl_c_ext_fp16_local_atomic_load_store",
    "__opencl_c_ext_fp16_global_atomic_add",
    "__opencl_c_ext_fp16_local_atomic_add",
    "__opencl_c_ext_fp16_global_atomic_min_max",
    "__opencl_c_ext_fp16_local_atomic_min_max",
    "__opencl_c_ext_fp64_global_atomic_add",
    "__opencl_c_ext_fp64_local_atomic_add",
    "__opencl_c_ext_fp64_global_atomic_min_max",
    "__opencl_c_ext_fp64_local_atomic_min_max",
    "__opencl_c_ext_fp32_global_atomic_add",
    "__opencl_c_ext_fp32_local_atomic_add",
    "__opencl_c_ext_fp32_global_atomic_min_max",
    "__opencl_c_ext_fp32_local_atomic_min_max"};
#define N_HEADER_EXTENSIONS (sizeof header_extensions / sizeof *header_extensions)

static int listed(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; (p = strstr(p, name)) != NULL; p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return 1;
    return 0;
}

/* Does the job need undef.h (a compile with a known extension and feature list)? */
int oclc20_needs_undef(const oclc20_job *j)
{
    return j->extensions && j->mode != OCLC20_LINK;
}

/* undef.h, included after clang's header: #undef of each header-defined feature not listed. */
static int write_undef(const oclc20_job *j, const char *path)
{
    char text[(N_HEADER_FEATURES + N_HEADER_EXTENSIONS) * 64] = "";
    for (size_t i = 0; j->std == 300 && i < N_HEADER_FEATURES; i++)
        if (!listed(j->extensions, header_features[i]))
            sprintf(text + strlen(text), "#undef %s\n", header_features[i]);
    for (size_t i = 0; i < N_HEADER_EXTENSIONS; i++)
        if (!listed(j->extensions, header_extensions[i]))
            sprintf(text + strlen(text), "#undef %s\n", header_extensions[i]);
    return oclc20_write_file(path, text, strlen(text));
}

/* workitem.h, included after clang's header when a build or compile is for non-uniform
 * work-groups: the work-item functions whose values differ between the application's NDRange and
 * the uniform backend launches clsvm makes of it call the support library's (support.cl, section
 * "Non-uniform work-groups"; nonuniform.h). Function-like macros: only calls are redirected. */
const char oclc20_workitem_h[] =
    "uint __clsvm_nu_work_dim(void);\n"
    "size_t __clsvm_nu_global_size(uint);\n"
    "size_t __clsvm_nu_global_offset(uint);\n"
    "size_t __clsvm_nu_enqueued_local_size(uint);\n"
    "size_t __clsvm_nu_group_id(uint);\n"
    "size_t __clsvm_nu_num_groups(uint);\n"
    "size_t __clsvm_nu_global_id(uint);\n"
    "size_t __clsvm_nu_global_linear_id(void);\n"
    "#define get_work_dim() __clsvm_nu_work_dim()\n"
    "#define get_global_size(d) __clsvm_nu_global_size(d)\n"
    "#define get_global_offset(d) __clsvm_nu_global_offset(d)\n"
    "#define get_enqueued_local_size(d) __clsvm_nu_enqueued_local_size(d)\n"
    "#define get_group_id(d) __clsvm_nu_group_id(d)\n"
    "#define get_num_groups(d) __clsvm_nu_num_groups(d)\n"
    "#define get_global_id(d) __clsvm_nu_global_id(d)\n"
    "#define get_global_linear_id() __clsvm_nu_global_linear_id()\n";

/* Does the job compile source for non-uniform work-groups? */
int oclc20_needs_workitem(const oclc20_job *j)
{
    return j->mode != OCLC20_LINK && oclc20_nu_options(j->options);
}

/* Is the job's result for non-uniform work-groups? A link is when no object calls the
 * backend's work-item functions (oclc20_nu_object). */
int oclc20_job_nonuniform(const oclc20_job *j)
{
    if (j->mode != OCLC20_LINK)
        return oclc20_nu_options(j->options);
    for (cl_uint i = 0; i < j->nin; i++)
        if (oclc20_nu_object(j->in_bc[i], j->in_len[i]) & OCLC20_NU_BACKEND_CALLS)
            return 0;
    return 1;
}

int oclc20_nu_object(const unsigned char *bc, size_t len)
{
    /* Itanium-mangled names of the functions workitem.h redirects, as the module's string table
     * holds the names of the functions it calls. */
    static const char *const raw[] = {"_Z12get_work_dimv",         "_Z15get_global_sizej",
                                      "_Z17get_global_offsetj",    "_Z12get_group_idj",
                                      "_Z14get_num_groupsj",       "_Z13get_global_idj",
                                      "_Z20get_global_linear_idv", "_Z23get_enqueued_local_sizej"};
    static const char redirected[] = "__clsvm_nu_";
    int calls = memmem(bc, len, redirected, sizeof redirected - 1) ? OCLC20_NU_CALLS : 0;
    for (size_t i = 0; i < sizeof raw / sizeof *raw; i++)
        if (memmem(bc, len, raw[i], strlen(raw[i])))
            calls |= OCLC20_NU_BACKEND_CALLS;
    return calls;
}

/* Write the job's inputs into work: the source (program.cl), the headers under work/hdr/ by
 * their include names, the objects (in<i>.bc). 0 on success. */
int oclc20_write_inputs(const oclc20_job *j, const char *work, char **log)
{
    char path[2400];
    if (j->mode != OCLC20_LINK) {
        snprintf(path, sizeof path, "%s/program.cl", work);
        if (oclc20_write_file(path, j->source, strlen(j->source)))
            goto fail;
    }
    if (oclc20_needs_undef(j)) {
        snprintf(path, sizeof path, "%s/undef.h", work);
        if (write_undef(j, path))
            goto fail;
    }
    if (oclc20_needs_workitem(j)) {
        snprintf(path, sizeof path, "%s/workitem.h", work);
        if (oclc20_write_file(path, oclc20_workitem_h, strlen(oclc20_workitem_h)))
            goto fail;
    }
    for (cl_uint i = 0; i < j->nhdr; i++) {
        const char *name = j->hdr_names[i];
        /* An include name is relative and stays inside the directory. */
        if (!name || !*name || name[0] == '/' || strstr(name, "..") ||
            strlen(name) + strlen(work) + 8 > sizeof path) {
            if (asprintf(log, "clsvm: header include name '%s' is not usable\n", name ? name : "") <
                0)
                *log = NULL;
            return -1;
        }
        if (snprintf(path, sizeof path, "%s/hdr/%s", work, name) >= (int)sizeof path)
            goto fail;
        char *slash = strrchr(path, '/');
        *slash = '\0';
        if (oclc20_mkdirs(path))
            goto fail;
        *slash = '/';
        if (oclc20_write_file(path, j->hdr_src[i], strlen(j->hdr_src[i])))
            goto fail;
    }
    for (cl_uint i = 0; i < j->nin; i++) {
        snprintf(path, sizeof path, "%s/in%u.bc", work, i);
        if (oclc20_write_file(path, j->in_bc[i], j->in_len[i]))
            goto fail;
    }
    return 0;
fail:
    *log = strdup("clsvm: cannot write clang's input files\n");
    return -1;
}

/* Remove what oclc20_write_inputs and clang left in work, then work itself. */
void oclc20_clean_work(const oclc20_job *j, const char *work)
{
    static const char *const made[] = {"program.cl", "program.bc", "undef.h",    "workitem.h",
                                       "deps.d",     "module.ll",  "stripped.ll"};
    char path[2400];
    for (size_t i = 0; i < sizeof made / sizeof *made; i++) {
        snprintf(path, sizeof path, "%s/%s", work, made[i]);
        unlink(path);
    }
    for (cl_uint i = 0; i < j->nin; i++) {
        snprintf(path, sizeof path, "%s/in%u.bc", work, i);
        unlink(path);
    }
    for (cl_uint i = 0; i < j->nhdr; i++) {
        const char *name = j->hdr_names[i];
        if (!name || !*name || strlen(name) + strlen(work) + 8 > sizeof path)
            continue;
        if (snprintf(path, sizeof path, "%s/hdr/%s", work, name) >= (int)sizeof path)
            continue;
        unlink(path);
        /* and the directories the name made, innermost first */
        for (char *slash; (slash = strrchr(path, '/')) && (size_t)(slash - path) > strlen(work);) {
            *slash = '\0';
            rmdir(path);
        }
    }
    rmdir(work);
}
