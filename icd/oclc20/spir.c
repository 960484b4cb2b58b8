/*
 * spir.c: OpenCL C 2.x source -> SPIR64 bitcode with clang-15 (spir.h).
 *
 * One clang run per job. A build compiles the source with -cl-std=CL2.0 for spir64 and links
 * clsvm's support library into the module (-mlink-builtin-bitcode: only the functions the
 * program calls, internalized, so nothing clashes with the backend's kernel library). A compile
 * stops before the library. A link compiles an empty translation unit with the objects linked
 * in (-mlink-bitcode-file) and then the library. The support library (support.cl, embedded at
 * build time) is compiled once per clang version.
 *
 * Cache: clang's output and warnings are kept under a key hashed from the clang version, the
 * support library, the job (kind, options, source, headers, objects, the device's extension
 * list). SPIR bitcode depends on the device only through that list (clang gets -cl-ext with
 * exactly the device's extensions, so cl_khr_fp16 & co. mean what the device says); the backend
 * keeps its own per-device cache of the final compile (POCL_CACHE_DIR). Directory:
 * $CLSVM_OCLC20_CACHE_DIR ("off" disables it), else $XDG_CACHE_HOME/clsvm/oclc20, else
 * $HOME/.cache/clsvm/oclc20. Failed jobs are not cached.
 */
#include "spir.h"

#include "cache.h"
#include "clang_run.h"
#include "kernel_lib.h"
#include "module_check.h"
#include "support_builtins_cl.h" /* oclc20_support_builtins_cl: support_builtins.cl */
#include "support_cl.h"          /* oclc20_support_cl: support.cl as a string (generated) */

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define STD_OPT "-cl-std="

/* The value of the last -cl-std= option of opts, length in *len; NULL when there is none. */
static const char *last_std(const char *opts, size_t *len)
{
    const char *found = NULL;
    for (const char *p = opts; p && (p = strstr(p, STD_OPT)) != NULL; p += strlen(STD_OPT))
        if (p == opts || p[-1] == ' ' || p[-1] == '\t' || p[-1] == '\n')
            found = p + strlen(STD_OPT);
    if (found)
        *len = strcspn(found, " \t\n");
    return found;
}

int oclc20_std_requested(const char *opts)
{
    size_t len = 0;
    const char *s = last_std(opts, &len);
    if (!s || len != 5)
        return 0;
    if (!strncmp(s, "CL2.0", 5) || !strncmp(s, "CL2.1", 5) || !strncmp(s, "CL2.2", 5))
        return 200;
    return strncmp(s, "CL3.0", 5) ? 0 : 300;
}

void oclc20_result_free(oclc20_result *r)
{
    free(r->bc);
    free(r->log);
    free(r->attrs);
    r->bc = NULL;
    r->log = NULL;
    r->attrs = NULL;
    r->bc_len = 0;
}

/* ---- options ---- */

typedef struct argv_buf {
    char **v;
    size_t n, cap;
    char *store; /* the tokens of the application's options, NUL-separated */
} argv_buf;

static int push(argv_buf *a, const char *s)
{
    if (a->n + 2 > a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 32;
        char **v = realloc(a->v, cap * sizeof *v);
        if (!v)
            return -1;
        a->v = v;
        a->cap = cap;
    }
    a->v[a->n++] = (char *)s;
    a->v[a->n] = NULL;
    return 0;
}

/* Options of the OpenCL build-option grammar that mean the same to clang: -D and -I (with the
 * value attached or as the next word), -cl-* math/optimization/info options, -w, -Werror, -g.
 * Anything else is refused: the path runs a compiler, and options such as -o or -Xclang must
 * not reach it from a build-option string. */
static int allowed(const char *t, int *takes_next)
{
    *takes_next = 0;
    if (!strcmp(t, "-D") || !strcmp(t, "-I")) {
        *takes_next = 1;
        return 1;
    }
    return !strncmp(t, "-D", 2) || !strncmp(t, "-I", 2) ||
           (!strncmp(t, "-cl-", 4) && strncmp(t, STD_OPT, strlen(STD_OPT))) || !strcmp(t, "-w") ||
           !strcmp(t, "-Werror") || !strcmp(t, "-g");
}

/* Split the application's options into a (words, double quotes group) and check each; *bad
 * gets a malloc'd message for the first refused option. Drops -cl-std= (clsvm adds CL2.0 or
 * CL3.0: clang knows no CL2.1/CL2.2, whose OpenCL C is 2.0). */
static int user_options(argv_buf *a, const char *opts, oclc20_mode mode, char **bad)
{
    *bad = NULL;
    size_t n = opts ? strlen(opts) : 0;
    a->store = malloc(n + 1);
    if (!a->store)
        return -1;
    char *out = a->store;
    const char *p = opts;
    int want_value = 0;
    while (p && *p) {
        while (*p == ' ' || *p == '\t' || *p == '\n')
            p++;
        if (!*p)
            break;
        char *tok = out;
        while (*p && *p != ' ' && *p != '\t' && *p != '\n') {
            if (*p == '"') {
                for (p++; *p && *p != '"'; p++)
                    *out++ = *p;
                if (*p)
                    p++;
            } else {
                *out++ = *p++;
            }
        }
        *out++ = '\0';
        int next = 0;
        if (mode == OCLC20_LINK) {
            /* Link options (-cl-denorms-are-zero & co., -enable-link-options) were applied
             * when the objects were compiled; -create-library is not supported. */
            if (!strncmp(tok, "-cl-", 4) || !strcmp(tok, "-enable-link-options"))
                continue;
            if (asprintf(bad,
                         "clsvm: link option '%s' is not supported for OpenCL C 2.x programs "
                         "(docs/opencl-c-2.0.md)\n",
                         tok) < 0)
                *bad = NULL;
            return -2;
        }
        if (want_value) {
            want_value = 0;
        } else if (!strncmp(tok, STD_OPT, strlen(STD_OPT))) {
            continue;
        } else if (!allowed(tok, &next)) {
            if (asprintf(bad,
                         "clsvm: build option '%s' is not supported for OpenCL C 2.x programs "
                         "(docs/opencl-c-2.0.md)\n",
                         tok) < 0)
                *bad = NULL;
            return -2;
        }
        want_value = next;
        if (push(a, tok))
            return -1;
    }
    return 0;
}

/* ---- compiling ---- */

/* Append clsvm's explanation for a clang that did not finish normally. */
static char *status_log(int st, char *log)
{
    if (st < 256)
        return log;
    char *s = NULL;
    if (asprintf(&s, "%sclsvm: %s was killed by signal %d\n", log ? log : "", oclc20_clang(),
                 st - 256) < 0)
        s = NULL;
    free(log);
    return s;
}

/* Compile the support library into lib_path unless it is there (per clang version: its name
 * carries the hash). 0 on success; else *log says why. */
/* work is at most 2047 characters long (mkdtemp template, checked). */
static int support_library(const char *lib_path, const char *work, char **log)
{
    if (access(lib_path, R_OK) == 0)
        return 0;
    char src[2200], out[2200];
    snprintf(src, sizeof src, "%s/support.cl", work);
    snprintf(out, sizeof out, "%s/support.bc", work);
    /* One translation unit: support.cl, then support_builtins.cl. */
    size_t l1 = strlen(oclc20_support_cl), l2 = strlen(oclc20_support_builtins_cl);
    char *text = malloc(l1 + l2 + 2);
    if (text) {
        memcpy(text, oclc20_support_cl, l1);
        text[l1] = '\n';
        memcpy(text + l1 + 1, oclc20_support_builtins_cl, l2 + 1);
    }
    int wrote = text ? oclc20_write_file(src, text, l1 + l2 + 1) : -1;
    free(text);
    if (wrote) {
        *log = strdup("clsvm: cannot write the OpenCL C 2.0 support library source\n");
        return -1;
    }
    char *argv[] = {(char *)oclc20_clang(),
                    "-x",
                    "cl",
                    "-cl-std=CL2.0",
                    "-target",
                    "spir64-unknown-unknown",
                    "-emit-llvm",
                    "-c",
                    "-O2",
                    "-Xclang",
                    "-finclude-default-header",
                    "-o",
                    out,
                    "-",
                    NULL};
    char *err = NULL;
    int st = oclc20_run(argv, src, &err);
    unlink(src);
    if (st == OCLC20_RUN_LOST) {
        *log = oclc20_run_lost_log();
        unlink(out);
        return -1;
    }
    if (st != 0) {
        char *s = NULL;
        if (asprintf(&s, "clsvm: the OpenCL C 2.0 support library does not compile (%s):\n%s",
                     oclc20_clang(), err ? err : "") < 0)
            s = NULL;
        *log = status_log(st, s);
        free(err);
        unlink(out);
        return -1;
    }
    free(err);
    size_t len = 0;
    char *bc = oclc20_read_file(out, &len);
    int r = bc && (!strcmp(out, lib_path) || oclc20_write_file(lib_path, bc, len) == 0) ? 0 : -1;
    if (strcmp(out, lib_path))
        unlink(out);
    free(bc);
    if (r)
        *log = strdup("clsvm: cannot store the OpenCL C 2.0 support library\n");
    return r;
}

/* Write the job's inputs into work: the source (program.cl), the headers under work/hdr/ by
 * their include names, the objects (in<i>.bc). 0 on success. */
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
static int needs_undef(const oclc20_job *j)
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
static const char workitem_h[] =
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

int oclc20_nu_options(const char *opts)
{
    static const char opt[] = "-cl-uniform-work-group-size";
    const size_t n = sizeof opt - 1;
    for (const char *p = opts; p && (p = strstr(p, opt)) != NULL; p += n)
        if ((p == opts || strchr(" \t\n", p[-1])) && (!p[n] || strchr(" \t\n", p[n])))
            return 0;
    return 1;
}

/* Does the job compile source for non-uniform work-groups? */
static int needs_workitem(const oclc20_job *j)
{
    return j->mode != OCLC20_LINK && oclc20_nu_options(j->options);
}

/* Is the job's result for non-uniform work-groups? A link is when no object calls the
 * backend's work-item functions (oclc20_nu_object). */
static int job_nonuniform(const oclc20_job *j)
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

static int write_inputs(const oclc20_job *j, const char *work, char **log)
{
    char path[2400];
    if (j->mode != OCLC20_LINK) {
        snprintf(path, sizeof path, "%s/program.cl", work);
        if (oclc20_write_file(path, j->source, strlen(j->source)))
            goto fail;
    }
    if (needs_undef(j)) {
        snprintf(path, sizeof path, "%s/undef.h", work);
        if (write_undef(j, path))
            goto fail;
    }
    if (needs_workitem(j)) {
        snprintf(path, sizeof path, "%s/workitem.h", work);
        if (oclc20_write_file(path, workitem_h, strlen(workitem_h)))
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

/* Remove what write_inputs and clang left in work, then work itself. */
static void clean_work(const oclc20_job *j, const char *work)
{
    char path[2400];
    snprintf(path, sizeof path, "%s/program.cl", work);
    unlink(path);
    snprintf(path, sizeof path, "%s/program.bc", work);
    unlink(path);
    snprintf(path, sizeof path, "%s/undef.h", work);
    unlink(path);
    snprintf(path, sizeof path, "%s/workitem.h", work);
    unlink(path);
    snprintf(path, sizeof path, "%s/deps.d", work);
    unlink(path);
    snprintf(path, sizeof path, "%s/module.ll", work);
    unlink(path);
    snprintf(path, sizeof path, "%s/stripped.ll", work);
    unlink(path);
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

/* "-cl-ext=-all,+a,+b..." for the extension list exts (space-separated), malloc'd; NULL when
 * out of memory. clang ignores names it does not know. */
static char *cl_ext_option(const char *exts)
{
    /* Each name of n >= 1 characters becomes ",+name": at most 3 bytes per input byte. */
    char *o = malloc(strlen("-cl-ext=-all") + 3 * strlen(exts) + 1);
    if (!o)
        return NULL;
    char *w = o + sprintf(o, "-cl-ext=-all");
    for (const char *p = exts; *p;) {
        size_t n = strcspn(p, " \t\n");
        if (n) {
            w += sprintf(w, ",+%.*s", (int)n, p);
            p += n;
        } else {
            p++;
        }
    }
    return o;
}

/* The paths and extra options of one clang run. */
enum { PATH_MAX_JOB = 2200 };
typedef struct job_files {
    char work[2048]; /* the private work directory (mkdtemp) */
    char lib[PATH_MAX_JOB], in[PATH_MAX_JOB], out[PATH_MAX_JOB], hdr_dir[PATH_MAX_JOB],
        undef[PATH_MAX_JOB], workitem[PATH_MAX_JOB], deps[PATH_MAX_JOB];
    char version_define[64]; /* -D__OPENCL_VERSION__=<n> */
    char *in_paths;          /* nin paths of PATH_MAX_JOB bytes: the objects a link reads */
    const char *ext_opt;
    int want_deps; /* ask clang for the headers it read (-MMD), for the cache */
} job_files;

/* The clang command line for the job (argv in c, strings owned by the caller or static). */
static int job_argv(const oclc20_job *j, argv_buf *c, const argv_buf *user, const job_files *f)
{
    const char *fixed[] = {oclc20_clang(),
                           "-x",
                           "cl",
                           j->std == 300 ? "-cl-std=CL3.0" : "-cl-std=CL2.0",
                           "-target",
                           "spir64-unknown-unknown",
                           "-emit-llvm",
                           "-c",
                           "-Xclang",
                           "-finclude-default-header",
                           "-cl-kernel-arg-info"};
    int bad = 0;
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
        bad |= push(c, fixed[i]);
    if (f->ext_opt) {
        bad |= push(c, "-Xclang");
        bad |= push(c, f->ext_opt);
    }
    /* Before the application's options, which may redefine them (as with the backend's
     * compiler, whose own definitions come after them, a redefinition is then a warning). */
    if (j->mode != OCLC20_LINK && j->opencl_version) {
        bad |= push(c, f->version_define);
    }
    if (j->mode != OCLC20_LINK && j->no_images)
        bad |= push(c, "-U__IMAGE_SUPPORT__");
    if (needs_undef(j)) {
        bad |= push(c, "-include");
        bad |= push(c, f->undef);
    }
    if (needs_workitem(j)) {
        bad |= push(c, "-include");
        bad |= push(c, f->workitem);
    }
    if (f->want_deps) {
        bad |= push(c, "-MMD");
        bad |= push(c, "-MF");
        bad |= push(c, f->deps);
    }
    /* A link compiles an empty translation unit and links the objects into it: clang links
     * bitcode files only when it compiles source. The objects come first: clang links in
     * order, and the library contributes only what the module needs by then. */
    for (cl_uint i = 0; i < j->nin; i++) {
        char *path = f->in_paths + (size_t)i * PATH_MAX_JOB;
        snprintf(path, PATH_MAX_JOB, "%s/in%u.bc", f->work, i);
        bad |= push(c, "-Xclang");
        bad |= push(c, "-mlink-bitcode-file");
        bad |= push(c, "-Xclang");
        bad |= push(c, path);
    }
    if (j->mode != OCLC20_COMPILE) {
        bad |= push(c, "-Xclang");
        bad |= push(c, "-mlink-builtin-bitcode");
        bad |= push(c, "-Xclang");
        bad |= push(c, f->lib);
    }
    for (size_t i = 0; i < user->n; i++)
        bad |= push(c, user->v[i]);
    if (j->nhdr) {
        bad |= push(c, "-I");
        bad |= push(c, f->hdr_dir);
    }
    bad |= push(c, "-o");
    bad |= push(c, f->out);
    bad |= push(c, "-");
    return bad;
}

/* A built or linked module must need nothing that neither the support library nor the
 * backend's kernel library provides: such a function would stay undefined until pocl loads the
 * kernel, and abort the process there. Records the kernels' attributes. A module for
 * non-uniform work-groups is rewritten without its kernels' reqd_work_group_size: pocl would
 * refuse the remainder groups, and clsvm enforces the recorded size itself (icd/ndrange.c). */
static cl_int check_module(const job_files *f, oclc20_result *r, int *inspected)
{
    oclc20_module m;
    *inspected = 0;
    if (oclc20_module_inspect(f->out, f->work, r->nonuniform, &m) != 0)
        return CL_SUCCESS; /* unreadable: the backend's own link checks what it can */
    *inspected = 1;
    cl_int err = CL_SUCCESS;
    char *alog = NULL;
    if (m.stripped && oclc20_module_assemble(m.stripped, f->work, f->out, &alog) != 0) {
        char *log = NULL;
        if (asprintf(&log,
                     "%sclsvm: cannot reassemble the module without reqd_work_group_size:\n%s",
                     r->log ? r->log : "", alog ? alog : "") < 0)
            log = NULL;
        free(r->log);
        r->log = log;
        err = CL_BUILD_PROGRAM_FAILURE;
    }
    free(alog);
    if (m.missing[0] && err == CL_SUCCESS) {
        char *log = NULL;
        if (asprintf(&log,
                     "%sclsvm: the program calls functions that neither clsvm's OpenCL C support "
                     "library nor the device's kernel library provides:\n%s",
                     r->log ? r->log : "", m.missing) < 0)
            log = NULL;
        free(r->log);
        r->log = log;
        err = CL_BUILD_PROGRAM_FAILURE;
    }
    r->attrs = m.attrs;
    m.attrs = NULL;
    oclc20_module_free(&m);
    return err;
}

cl_int oclc20_run_job(const oclc20_job *j, oclc20_result *r)
{
    memset(r, 0, sizeof *r);
    r->nonuniform = job_nonuniform(j);
    const char *version = oclc20_clang_version();
    if (!version) {
        oclc20_clang_missing_notice();
        if (asprintf(&r->log,
                     "clsvm: this program asks for OpenCL C 2.x, which clsvm compiles with "
                     "clang-15, and %s cannot be run: install clang-15 or set "
                     "CLSVM_OCLC20_CLANG (docs/opencl-c-2.0.md)\n",
                     oclc20_clang()) < 0)
            r->log = NULL;
        return CL_COMPILER_NOT_AVAILABLE;
    }
    argv_buf a = {0};
    char *bad = NULL;
    int ur = user_options(&a, j->options, j->mode, &bad);
    if (ur) {
        free(a.v);
        free(a.store);
        r->log = bad;
        return ur == -2 ? CL_INVALID_BUILD_OPTIONS : CL_OUT_OF_HOST_MEMORY;
    }
    char key[33], libkey[33];
    oclc20_key k;
    oclc20_key_init(&k);
    oclc20_key_str(&k, "clsvm-oclc20-lib-1");
    oclc20_key_str(&k, version);
    oclc20_key_str(&k, oclc20_support_cl);
    oclc20_key_str(&k, oclc20_support_builtins_cl);
    oclc20_key_done(&k, libkey);
    oclc20_key_init(&k);
    oclc20_key_str(&k, "clsvm-oclc20-10"); /* bump when the command lines or entries change */
    oclc20_key_add(&k, &j->mode, sizeof j->mode);
    oclc20_key_add(&k, &j->std, sizeof j->std);
    oclc20_key_add(&k, &j->opencl_version, sizeof j->opencl_version);
    oclc20_key_add(&k, &j->no_images, sizeof j->no_images);
    oclc20_key_str(&k, libkey);
    oclc20_key_str(&k, j->options);
    oclc20_key_str(&k, needs_workitem(j) ? workitem_h : "");
    oclc20_key_str(&k, j->extensions ? j->extensions : "(clang's defaults)");
    /* A build checks its module against the backend's library (module_check.h). */
    if (j->mode != OCLC20_COMPILE)
        oclc20_key_str(&k, oclc20_kernel_lib_id());
    oclc20_key_str(&k, j->source);
    for (cl_uint i = 0; i < j->nhdr; i++) {
        oclc20_key_str(&k, j->hdr_names[i]);
        oclc20_key_str(&k, j->hdr_src[i]);
    }
    for (cl_uint i = 0; i < j->nin; i++)
        oclc20_key_add(&k, j->in_bc[i], j->in_len[i]);
    oclc20_key_done(&k, key);

    const char *cdir = oclc20_cache_dir();
    char bc_path[PATH_MAX_JOB], log_path[PATH_MAX_JOB], dep_rec[PATH_MAX_JOB],
        attr_path[PATH_MAX_JOB];
    cl_int err = CL_OUT_OF_HOST_MEMORY;
    if (cdir) {
        snprintf(bc_path, sizeof bc_path, "%s/%s.bc", cdir, key);
        snprintf(log_path, sizeof log_path, "%s/%s.log", cdir, key);
        snprintf(dep_rec, sizeof dep_rec, "%s/%s.deps", cdir, key);
        snprintf(attr_path, sizeof attr_path, "%s/%s.attr", cdir, key);
        r->bc = (unsigned char *)oclc20_read_file(bc_path, &r->bc_len);
        /* A hit only if the headers clang read from disk are as they were. */
        if (r->bc && oclc20_deps_current(dep_rec)) {
            r->log = oclc20_read_file(log_path, NULL);
            if (!r->log)
                r->log = strdup("");
            r->attrs = oclc20_read_file(attr_path, NULL);
            err = CL_SUCCESS;
            goto done;
        }
        free(r->bc);
        r->bc = NULL;
        r->bc_len = 0;
    }
    job_files *f = calloc(1, sizeof *f);
    if (!f)
        goto done;
    /* A private work directory: inputs, clang's output, the library when not cached. */
    int wn = snprintf(f->work, sizeof f->work, "%s/clsvm-oclc20-XXXXXX", oclc20_tmpdir());
    if (wn <= 0 || (size_t)wn >= sizeof f->work || !mkdtemp(f->work)) {
        r->log = strdup("clsvm: cannot create a temporary directory for clang\n");
        err = CL_BUILD_PROGRAM_FAILURE;
        free(f);
        goto done;
    }
    snprintf(f->lib, sizeof f->lib, "%s/support-%s.bc", cdir ? cdir : f->work, libkey);
    snprintf(f->in, sizeof f->in, "%s/program.cl", f->work);
    snprintf(f->out, sizeof f->out, "%s/program.bc", f->work);
    snprintf(f->hdr_dir, sizeof f->hdr_dir, "%s/hdr", f->work);
    snprintf(f->undef, sizeof f->undef, "%s/undef.h", f->work);
    snprintf(f->workitem, sizeof f->workitem, "%s/workitem.h", f->work);
    snprintf(f->deps, sizeof f->deps, "%s/deps.d", f->work);
    snprintf(f->version_define, sizeof f->version_define, "-D__OPENCL_VERSION__=%d",
             j->opencl_version);
    f->want_deps = cdir != NULL;
    f->in_paths = malloc((size_t)(j->nin ? j->nin : 1) * PATH_MAX_JOB);
    char *ext_opt = j->extensions ? cl_ext_option(j->extensions) : NULL;
    f->ext_opt = ext_opt;
    if (!f->in_paths || (j->extensions && !ext_opt)) {
        err = CL_OUT_OF_HOST_MEMORY;
    } else if ((j->mode != OCLC20_COMPILE && support_library(f->lib, f->work, &r->log)) ||
               write_inputs(j, f->work, &r->log)) {
        err = CL_BUILD_PROGRAM_FAILURE;
    } else {
        /* Source on stdin: diagnostics name "<stdin>:line:col", with the application's line
         * numbers, and relative -I paths stay relative to the application's directory. A
         * link reads an empty stdin. */
        argv_buf c = {0};
        int bad_push = job_argv(j, &c, &a, f);
        char *log = NULL;
        /* A header modified after this instant may differ from what clang read: not cached. */
        struct timespec started;
        clock_gettime(CLOCK_REALTIME, &started);
        int st = bad_push ? -1 : oclc20_run(c.v, j->mode == OCLC20_LINK ? NULL : f->in, &log);
        free(c.v);
        if (st == 0) {
            r->log = log ? log : strdup("");
            /* A module that could not be inspected (a passing failure: clang killed, a full
             * disk) is used once but never cached, so the failure does not stay. */
            int inspected = 1;
            err = j->mode != OCLC20_COMPILE ? check_module(f, r, &inspected) : CL_SUCCESS;
            /* Read after check_module, which may rewrite it. */
            if (err == CL_SUCCESS)
                r->bc = (unsigned char *)oclc20_read_file(f->out, &r->bc_len);
            if (!r->bc)
                err = CL_BUILD_PROGRAM_FAILURE;
            /* The log and the headers' record first: a .bc in the cache means they are
             * complete. An older entry's .bc goes first, so it is never paired with the new
             * log or record. A header that cannot be read back now, or that changed while
             * clang ran, is not cached at all. */
            if (err == CL_SUCCESS && inspected && cdir &&
                (unlink(bc_path) == 0 || errno == ENOENT) &&
                oclc20_write_file(log_path, r->log, strlen(r->log)) == 0 &&
                oclc20_write_file(attr_path, r->attrs ? r->attrs : "",
                                  r->attrs ? strlen(r->attrs) : 0) == 0 &&
                oclc20_deps_write(f->deps, f->work, &started, dep_rec) == 0)
                oclc20_write_file(bc_path, r->bc, r->bc_len);
        } else if (st == OCLC20_RUN_LOST) {
            free(log);
            r->log = oclc20_run_lost_log();
            err = CL_BUILD_PROGRAM_FAILURE;
        } else if (st < 0) {
            free(log);
            if (asprintf(&r->log, "clsvm: cannot run %s\n", oclc20_clang()) < 0)
                r->log = NULL;
            err = CL_COMPILER_NOT_AVAILABLE;
        } else {
            r->log = status_log(st, log);
            err = r->log && strstr(r->log, "unknown argument") ? CL_INVALID_BUILD_OPTIONS
                                                               : CL_BUILD_PROGRAM_FAILURE;
        }
    }
    free(ext_opt);
    free(f->in_paths);
    if (!cdir)
        unlink(f->lib);
    clean_work(j, f->work);
    free(f);
done:
    free(a.v);
    free(a.store);
    if (err != CL_SUCCESS) {
        free(r->bc);
        r->bc = NULL;
        r->bc_len = 0;
    }
    return err;
}
