/*
 * config: the one table of CLSVM_* environment variables (config.c). Each option has a name, a
 * default, a parser and a one-line doc; parsing, the CLSVM_LOG=info echo and
 * docs/configuration.md all come from it (tests/runtime/test_config_doc checks the doc lists
 * every option). The getters are in clsvm/internal/config.h; this header adds the parsers the
 * runtime itself and its white-box tests and fuzzers use.
 */
#ifndef CLSVM_CONFIG_H
#define CLSVM_CONFIG_H

#include "clsvm/internal/config.h"

#include <stdint.h>

/* Test-only (fuzz/fuzz_config.c): parse text as option id would be parsed from the environment;
 * 0 and *num set (the number or choice index), or -1 for a value load() would reject. */
int clsvm_option_parse(clsvm_option_id id, const char *text, int64_t *num);

/* Every number in every option follows one rule: decimal digits only (no sign, no space, no
 * other base). A whole number: 0 on success, -1 on bad text or overflow. */
int clsvm_parse_uint(const char *text, uint64_t *out);

/* Parse "64G", "1073741824", "512M", "4K" (binary units); 0 on success, -1 on bad text. */
int clsvm_parse_size(const char *text, uint64_t *out);

#endif
