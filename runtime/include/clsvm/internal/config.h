/*
 * clsvm/internal/config.h: the CLSVM_* options, for the parts of clsvm built in this tree
 * (icd/, tools/, bench/) that link clsvm-runtime-static. Not a public API: it is not
 * installed and libclsvm-runtime.so does not export these functions.
 *
 * Every CLSVM_* environment variable clsvm reads has a row in the one option table
 * (runtime/src/config.c) and is read only through these getters, so every option follows the
 * same rules (docs/configuration.md): empty means unset, one number rule, one warning line per
 * bad value, and the CLSVM_LOG=info echo lists the values actually used.
 * Values are read once, on first use of any option, and are immutable afterwards
 * (thread-safe): a later setenv() does not change them.
 */
#ifndef CLSVM_INTERNAL_CONFIG_H
#define CLSVM_INTERNAL_CONFIG_H

#include <stdint.h>

typedef enum clsvm_option_id {
    CLSVM_OPT_LOG,
    CLSVM_OPT_VA_BITS,
    CLSVM_OPT_WINDOW_SIZE,
    CLSVM_OPT_WINDOW,
    CLSVM_OPT_DEVICE,
    CLSVM_OPT_BACKEND,
    CLSVM_OPT_STATS,
    CLSVM_OPT_NUMA,
    CLSVM_OPT_FAULT,
    CLSVM_OPT_OCLC20_CLANG,
    CLSVM_OPT_OCLC20_KERNEL_LIB,
    CLSVM_OPT_OCLC20_CACHE_DIR,
    CLSVM_OPT_CHECK,
    CLSVM_OPT_CHECK_ABORT,
    CLSVM_OPT_CHECK_QUARANTINE,
    CLSVM_OPT_COUNT
} clsvm_option_id;

/* Bits of clsvm_option_int(CLSVM_OPT_CHECK), in the order of its choices in config.c. */
enum {
    CLSVM_CHECK_LEAKS = 1u << 0,
    CLSVM_CHECK_REDZONE = 1u << 1,
    CLSVM_CHECK_STALE = 1u << 2,
    CLSVM_CHECK_HOSTACCESS = 1u << 3,
    CLSVM_CHECK_INUSE = 1u << 4,
    CLSVM_CHECK_QUARANTINE = 1u << 5,
};
/* The checks CLSVM_CHECK=1/all would leave out (asked for by name only): none today; the
 * parser keeps the mechanism for a check too costly or too noisy for `all`. */
#define CLSVM_CHECK_OPT_IN 0u

typedef struct clsvm_option_desc {
    const char *name;          /* environment variable */
    const char *default_value; /* as text */
    const char *doc;           /* one line */
} clsvm_option_desc;

const clsvm_option_desc *clsvm_option_describe(clsvm_option_id id);

/* Effective value: for choice options the index of the choice, for numbers the number. */
int64_t clsvm_option_int(clsvm_option_id id);
/* Effective value as text (strings, paths, choices); "" when unset and without default. */
const char *clsvm_option_str(clsvm_option_id id);

/* Log every option's effective value at info level (once per process). */
void clsvm_options_log_once(void);

#endif
