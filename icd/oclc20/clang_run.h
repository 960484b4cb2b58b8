/*
 * clang_run.h: running clang-15 as a child process for the OpenCL C 2.x path
 * (docs/opencl-c-2.0.md). A subprocess rather than the LLVM/clang C++ API in the application's
 * process: a compiler crash, assertion or exit() then fails one build instead of killing the
 * application, clang's global state (options, signal handlers, its own LLVM) never meets pocl's
 * LLVM in the same process, and nothing of LLVM needs linking into libclsvm.
 */
#ifndef CLSVM_ICD_OCLC20_CLANG_RUN_H
#define CLSVM_ICD_OCLC20_CLANG_RUN_H

#include <stddef.h>

/* The clang to run: $CLSVM_OCLC20_CLANG, else "clang-15" (looked up in PATH). */
const char *oclc20_clang(void);

/* Where temporary files go: $TMPDIR (the system's variable, not a clsvm option), else /tmp. */
const char *oclc20_tmpdir(void);

/* clang's first --version line ("Debian clang version 15.0.6"), computed once; NULL when
 * clang cannot be run. Silent: device queries use it too. */
const char *oclc20_clang_version(void);
/* The one stderr line (once per process) for a build that needs clang when it cannot be run. */
void oclc20_clang_missing_notice(void);

/* Run argv (argv[0] looked up in PATH) with stdin from in_path (NULL: /dev/null) and stderr
 * captured into a malloc'd NUL-terminated *err_text (may be NULL on OOM). Returns the exit status
 * (0..255), 256 + signal number when clang was killed by a signal, -1 when it could not start,
 * OCLC20_RUN_LOST when the child was reaped by someone else (the application's SIGCHLD handler)
 * before its status was recorded. The status survives SIGCHLD ignored or reaped elsewhere. */
int oclc20_run(char *const argv[], const char *in_path, char **err_text);
#define OCLC20_RUN_LOST (-2)
/* The build-log line for a run that returned OCLC20_RUN_LOST (malloc'd; NULL on OOM). */
char *oclc20_run_lost_log(void);

/* Read a whole file into a malloc'd buffer (NUL-terminated, *len without the NUL); NULL on error.
 */
char *oclc20_read_file(const char *path, size_t *len);
/* Write len bytes to path atomically (a temporary name, then rename); 0 on success. */
int oclc20_write_file(const char *path, const void *data, size_t len);

#endif
