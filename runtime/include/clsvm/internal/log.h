/*
 * clsvm/internal/log.h: one-line diagnostics on stderr, filtered by CLSVM_LOG
 * (error|warn|info|debug), for the runtime and the parts of clsvm built in this tree that link
 * clsvm-runtime-static (icd/, tools/, bench/). Not a public API: not installed, not exported by
 * libclsvm-runtime.so.
 */
#ifndef CLSVM_INTERNAL_LOG_H
#define CLSVM_INTERNAL_LOG_H

#include <stdatomic.h>

enum { CLSVM_LOG_ERROR = 0, CLSVM_LOG_WARN = 1, CLSVM_LOG_INFO = 2, CLSVM_LOG_DEBUG = 3 };

/* True when messages of this level are printed (reads CLSVM_LOG once). */
int clsvm_log_enabled(int level);

/* Print "clsvm: <level>: <message>\n" if the level is enabled. */
void clsvm_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Print a message at most once per call site per process (for problems that repeat). */
#define CLSVM_LOG_ONCE(level, ...)                                                                 \
    do {                                                                                           \
        static atomic_int clsvm_once_;                                                             \
        if (!atomic_exchange(&clsvm_once_, 1))                                                     \
            clsvm_log(level, __VA_ARGS__);                                                         \
    } while (0)

#endif
