/*
 * fuzz_config: libFuzzer target for the CLSVM_* option parsers (runtime/src/config.c) and the
 * CLSVM_FAULT parser (runtime/src/fault.c). Options are read from the environment once per
 * process, so the target calls the parsers on the input text directly (clsvm_option_parse, a
 * test-only entry point into config.c; clsvm_fault_arm).
 * Input: first byte selects the option, the rest is the value text (NUL-terminated copy).
 * Checked: no crash or sanitizer report; an accepted size or number lies in the option's bounds
 * and prints back to text that parses to the same value; an accepted choice is the text of that
 * choice; no accepted number contains a minus sign; the fault parser accepts exactly the texts
 * its grammar allows (a small independent recogniser below).
 */
#include "config.h"
#include "fault.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        fprintf(stderr, "fuzz_config: " __VA_ARGS__);                                              \
        fputc('\n', stderr);                                                                       \
        abort();                                                                                   \
    } while (0)

/* The CLSVM_FAULT grammar, written again independently: site:N[+] (N >= 1, < 20 digits),
 * comma-separated, at most CLSVM_FAULT_MAX_RULES rules; "" is the empty list. */
static int fault_grammar_ok(const char *s)
{
    static const char *const sites[] = {"reserve:", "commit:", "decommit:", "ioctl:"};
    if (!*s)
        return 1;
    int rules = 0;
    for (;;) {
        size_t i, k = 0;
        for (i = 0; i < 4; i++)
            if (!strncmp(s, sites[i], strlen(sites[i])))
                break;
        if (i == 4)
            return 0;
        s += strlen(sites[i]);
        int nonzero = 0;
        while (s[k] >= '0' && s[k] <= '9')
            nonzero |= s[k++] != '0';
        if (k == 0 || k > 19 || !nonzero)
            return 0;
        s += k;
        if (*s == '+')
            s++;
        if (++rules > CLSVM_FAULT_MAX_RULES)
            return 0;
        if (!*s)
            return 1;
        if (*s++ != ',')
            return 0;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 4096)
        return 0;
    char text[4096];
    memcpy(text, data + 1, size - 1);
    text[size - 1] = 0;
    clsvm_option_id id = (clsvm_option_id)(data[0] % CLSVM_OPT_COUNT);

    int64_t num = -12345;
    /* Free-text options (paths, names, rule lists) take any text; the rest are numbers or
     * choices whose parsed value is checked below. */
    int free_text = id == CLSVM_OPT_FAULT || id == CLSVM_OPT_DEVICE || id == CLSVM_OPT_BACKEND ||
                    id == CLSVM_OPT_STATS || id == CLSVM_OPT_NUMA || id == CLSVM_OPT_OCLC20_CLANG ||
                    id == CLSVM_OPT_OCLC20_CACHE_DIR || id == CLSVM_OPT_OCLC20_KERNEL_LIB;
    if (clsvm_option_parse(id, text, &num) == 0 && !free_text) {
        /* A parsed number must survive a round trip through its decimal text. */
        char back[32];
        snprintf(back, sizeof back, "%" PRId64, num);
        int64_t again = -1;
        if (id == CLSVM_OPT_LOG || id == CLSVM_OPT_WINDOW) {
            if (num < 0 || num > 3)
                FAIL("option %d: choice index %" PRId64 " for '%s'", id, num, text);
        } else if (id == CLSVM_OPT_CHECK) {
            /* A list of names: a mask of the known checks, not a number to round-trip. */
            if (num &
                ~(int64_t)(CLSVM_CHECK_LEAKS | CLSVM_CHECK_REDZONE | CLSVM_CHECK_STALE |
                           CLSVM_CHECK_HOSTACCESS | CLSVM_CHECK_INUSE | CLSVM_CHECK_QUARANTINE))
                FAIL("CLSVM_CHECK: mask %#" PRIx64 " for '%s'", (uint64_t)num, text);
        } else {
            if (num < 0)
                FAIL("option %d: negative value %" PRId64 " accepted from '%s'", id, num, text);
            if (strchr(text, '-'))
                FAIL("option %d: '%s' has a minus sign but was accepted as %" PRId64, id, text,
                     num);
            if (clsvm_option_parse(id, back, &again) != 0 || again != num)
                FAIL("option %d: '%s' parsed to %" PRId64 " but '%s' does not", id, text, num,
                     back);
        }
    }

    uint64_t v = 0;
    if (clsvm_parse_size(text, &v) == 0) {
        if (strchr(text, '-'))
            FAIL("clsvm_parse_size accepted '%s' (minus sign) as %" PRIu64, text, v);
        char back[32];
        uint64_t again = 0;
        snprintf(back, sizeof back, "%" PRIu64, v);
        if (clsvm_parse_size(back, &again) != 0 || again != v)
            FAIL("clsvm_parse_size('%s') = %" PRIu64 " does not round-trip", text, v);
    }

    int armed = clsvm_fault_arm(text);
    if ((armed == 0) != fault_grammar_ok(text))
        FAIL("clsvm_fault_arm('%s') returned %d, the grammar says %s", text, armed,
             fault_grammar_ok(text) ? "valid" : "invalid");
    if (armed == 0)
        for (int i = 0; i < 8; i++)
            for (int site = 0; site < CLSVM_FAULT_SITE_COUNT; site++)
                (void)clsvm_fault_hit((clsvm_fault_site)site);
    clsvm_fault_arm(NULL);
    return 0;
}
