/*
 * spir.c: OpenCL C 2.x source -> SPIR64 bitcode with clang-15 (spir.h).
 *
 * One clang run per job. A build compiles the source with -cl-std=CL2.0 for spir64 and links
 * clsvm's support library into the module (-mlink-builtin-bitcode: only the functions the
 * program calls, internalized, so nothing clashes with the backend's kernel library). A compile
 * stops before the library. A link compiles an empty translation unit with the objects linked
 * in (-mlink-bitcode-file) and then the library. The support library (support.cl, embedded at
 * build time) is compiled once per clang version (spir_support.c). The application's options
 * are checked in spir_options.c, clang's input files written in spir_inputs.c; this file builds
 * the command line, runs it, checks the module and keeps the cache.
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
#include "spir_job.h"

#include "cache.h"
#include "clang_run.h"
#include "kernel_lib.h"
#include "module_check.h"
#include "support_builtins_cl.h" /* oclc20_support_builtins_cl: support_builtins.cl */
#include "support_cl.h"          /* oclc20_support_cl: support.cl as a string (generated) */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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
        bad |= oclc20_argv_push(c, fixed[i]);
    if (f->ext_opt) {
        bad |= oclc20_argv_push(c, "-Xclang");
        bad |= oclc20_argv_push(c, f->ext_opt);
    }
    /* Before the application's options, which may redefine them (as with the backend's
     * compiler, whose own definitions come after them, a redefinition is then a warning). */
    if (j->mode != OCLC20_LINK && j->opencl_version) {
        bad |= oclc20_argv_push(c, f->version_define);
    }
    if (j->mode != OCLC20_LINK && j->no_images)
        bad |= oclc20_argv_push(c, "-U__IMAGE_SUPPORT__");
    if (oclc20_needs_undef(j)) {
        bad |= oclc20_argv_push(c, "-include");
        bad |= oclc20_argv_push(c, f->undef);
    }
    if (oclc20_needs_workitem(j)) {
        bad |= oclc20_argv_push(c, "-include");
        bad |= oclc20_argv_push(c, f->workitem);
    }
    if (f->want_deps) {
        bad |= oclc20_argv_push(c, "-MMD");
        bad |= oclc20_argv_push(c, "-MF");
        bad |= oclc20_argv_push(c, f->deps);
    }
    /* A link compiles an empty translation unit and links the objects into it: clang links
     * bitcode files only when it compiles source. The objects come first: clang links in
     * order, and the library contributes only what the module needs by then. */
    for (cl_uint i = 0; i < j->nin; i++) {
        char *path = f->in_paths + (size_t)i * PATH_MAX_JOB;
        snprintf(path, PATH_MAX_JOB, "%s/in%u.bc", f->work, i);
        bad |= oclc20_argv_push(c, "-Xclang");
        bad |= oclc20_argv_push(c, "-mlink-bitcode-file");
        bad |= oclc20_argv_push(c, "-Xclang");
        bad |= oclc20_argv_push(c, path);
    }
    if (j->mode != OCLC20_COMPILE) {
        bad |= oclc20_argv_push(c, "-Xclang");
        bad |= oclc20_argv_push(c, "-mlink-builtin-bitcode");
        bad |= oclc20_argv_push(c, "-Xclang");
        bad |= oclc20_argv_push(c, f->lib);
    }
    for (size_t i = 0; i < user->n; i++)
        bad |= oclc20_argv_push(c, user->v[i]);
    if (j->nhdr) {
        bad |= oclc20_argv_push(c, "-I");
        bad |= oclc20_argv_push(c, f->hdr_dir);
    }
    bad |= oclc20_argv_push(c, "-o");
    bad |= oclc20_argv_push(c, f->out);
    bad |= oclc20_argv_push(c, "-");
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
    r->nonuniform = oclc20_job_nonuniform(j);
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
    int ur = oclc20_user_options(&a, j->options, j->mode, &bad);
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
    oclc20_key_str(&k, oclc20_needs_workitem(j) ? oclc20_workitem_h : "");
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
    char *ext_opt = j->extensions ? oclc20_cl_ext_option(j->extensions) : NULL;
    f->ext_opt = ext_opt;
    if (!f->in_paths || (j->extensions && !ext_opt)) {
        err = CL_OUT_OF_HOST_MEMORY;
    } else if ((j->mode != OCLC20_COMPILE && oclc20_support_library(f->lib, f->work, &r->log)) ||
               oclc20_write_inputs(j, f->work, &r->log)) {
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
            r->log = oclc20_status_log(st, log);
            err = r->log && strstr(r->log, "unknown argument") ? CL_INVALID_BUILD_OPTIONS
                                                               : CL_BUILD_PROGRAM_FAILURE;
        }
    }
    free(ext_opt);
    free(f->in_paths);
    if (!cdir)
        unlink(f->lib);
    oclc20_clean_work(j, f->work);
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
