/*
 * spir_job.h: the parts of one clang run (spir.c) kept in their own files: the application's
 * options (spir_options.c), the support library (spir_support.c) and the work directory's
 * input files (spir_inputs.c). Private to icd/oclc20.
 */
#ifndef CLSVM_ICD_OCLC20_SPIR_JOB_H
#define CLSVM_ICD_OCLC20_SPIR_JOB_H

#include "spir.h"

#include <stddef.h>

/* A NULL-terminated argument vector for clang. */
typedef struct argv_buf {
    char **v;
    size_t n, cap;
    char *store; /* the tokens of the application's options, NUL-separated */
} argv_buf;

/* Append s (not copied); 0 on success, -1 when out of memory. */
int oclc20_argv_push(argv_buf *a, const char *s);
/* The application's options as clang arguments in a, each checked: 0 on success, -1 when out of
 * memory, -2 for an option the path does not take (*bad says which, malloc'd). */
int oclc20_user_options(argv_buf *a, const char *opts, oclc20_mode mode, char **bad);
/* "-cl-ext=-all,+a,+b..." for the space-separated extension list exts, malloc'd. */
char *oclc20_cl_ext_option(const char *exts);

/* Compile the support library into lib_path unless it is there; 0 on success, else *log says
 * why. work is the job's work directory (at most 2047 characters). */
int oclc20_support_library(const char *lib_path, const char *work, char **log);
/* log with clsvm's explanation appended when clang did not finish normally (st >= 256: killed
 * by signal st - 256); takes log, returns a malloc'd log. */
char *oclc20_status_log(int st, char *log);

/* workitem.h: the non-uniform work-item functions (part of the cache key). */
extern const char oclc20_workitem_h[];
int oclc20_needs_undef(const oclc20_job *j);
int oclc20_needs_workitem(const oclc20_job *j);
/* Is the job's result for non-uniform work-groups (a link: no object calls the backend's
 * work-item functions)? */
int oclc20_job_nonuniform(const oclc20_job *j);
/* Write the job's inputs into work; 0 on success, else *log says why. */
int oclc20_write_inputs(const oclc20_job *j, const char *work, char **log);
/* Remove what oclc20_write_inputs and clang left in work, then work itself. */
void oclc20_clean_work(const oclc20_job *j, const char *work);

#endif
