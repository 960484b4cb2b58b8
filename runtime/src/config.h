/*
 * config: the one table of CLSVM_* environment variables. Each option has a name, a default,
 * a parser and a one-line doc; parsing, the CLSVM_LOG=info echo and docs/configuration.md all
 * come from it (tests/runtime/test_config checks the doc lists every option).
 * Values are read once, on first use, and are immutable afterwards (thread-safe).
 */
#ifndef CLSVM_CONFIG_H
#define CLSVM_CONFIG_H

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
    CLSVM_OPT_OCLC20_CACHE_DIR,
    CLSVM_OPT_COUNT
} clsvm_option_id;

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

/* Test-only (fuzz/fuzz_config.c): parse text as option id would be parsed from the environment;
 * 0 and *num set (the number or choice index), or -1 for a value load() would reject. */
int clsvm_option_parse(clsvm_option_id id, const char *text, int64_t *num);

/* Every number in every option follows one rule: decimal digits only (no sign, no space, no
 * other base). A whole number: 0 on success, -1 on bad text or overflow. */
int clsvm_parse_uint(const char *text, uint64_t *out);

/* Parse "64G", "1073741824", "512M", "4K" (binary units); 0 on success, -1 on bad text. */
int clsvm_parse_size(const char *text, uint64_t *out);

#endif
