/* config: the CLSVM_* options table, parsed once from the environment. */
#include "config.h"
#include "clsvm/internal/log.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* KIND_LIST: a comma list of choices (a bit mask, bit i for choice i); "1" or "all" is every
 * choice but the opt-in ones (the option's min, a mask), "0" none. */
typedef enum { KIND_CHOICE, KIND_UINT, KIND_SIZE, KIND_TEXT, KIND_LIST } option_kind;

typedef struct option {
    clsvm_option_desc desc;
    option_kind kind;
    const char *const *choices; /* KIND_CHOICE, KIND_LIST: NULL-terminated */
    int64_t min, max;           /* KIND_UINT / KIND_SIZE bounds */
    const char *expect;         /* what a valid value looks like, for the error line */
} option;

static const char *const log_choices[] = {"error", "warn", "info", "debug", NULL};
static const char *const window_choices[] = {"auto", "devsvm", "reserve", NULL};
/* The order is the bit order of CLSVM_CHECK_* (clsvm/internal/config.h). */
static const char *const check_choices[] = {"leaks", "redzone",    "stale", "hostaccess",
                                            "inuse", "quarantine", NULL};

#define GiB (INT64_C(1) << 30)

/* One row per option; the layout is kept by hand (clang-format would give each field a line). */
/* clang-format off */
static const option options[CLSVM_OPT_COUNT] = {
    [CLSVM_OPT_LOG] = {{"CLSVM_LOG", "warn", "Log level on stderr: error, warn, info or debug."},
                       KIND_CHOICE, log_choices, 0, 0, "one of error, warn, info, debug"},
    [CLSVM_OPT_VA_BITS] = {{"CLSVM_VA_BITS", "40",
                            "Device address bits: the window lies below 2^bits (47 or 48: all of "
                            "user space, which also enables fine-grain system SVM)."},
                           KIND_UINT, NULL, 32, 48, "a whole number from 32 to 48"},
    [CLSVM_OPT_WINDOW_SIZE] = {{"CLSVM_WINDOW_SIZE", "64G",
                                "Window size wanted (K/M/G/T suffixes); halved until a hole fits."},
                               KIND_SIZE, NULL, 64 << 20, INT64_C(1) << 47,
                               "a size from 64M to 128T, e.g. 64G"},
    [CLSVM_OPT_WINDOW] = {{"CLSVM_WINDOW", "auto",
                           "Window provider: auto (devsvm if usable, else reserve), devsvm or "
                           "reserve."},
                          KIND_CHOICE, window_choices, 0, 0, "one of auto, devsvm, reserve"},
    [CLSVM_OPT_DEVICE] = {{"CLSVM_DEVICE", "/dev/svm", "Device file of the devsvm provider."},
                          KIND_TEXT, NULL, 0, 0, "a path"},
    [CLSVM_OPT_BACKEND] = {{"CLSVM_BACKEND", "libpocl.so.2",
                            "Backend OpenCL ICD library loaded privately by the clsvm ICD."},
                           KIND_TEXT, NULL, 0, 0, "a library name or path"},
    [CLSVM_OPT_STATS] = {{"CLSVM_STATS", "",
                          "If set, path where each window's stats JSON is written at exit; "
                          "%p in it is the pid (one file per process)."},
                         KIND_TEXT, NULL, 0, 0, "a path"},
    [CLSVM_OPT_NUMA] = {{"CLSVM_NUMA", "auto",
                         "NUMA placement of committed chunks: auto (node nearest the backend "
                         "device), off, or a node number."},
                        KIND_TEXT, NULL, 0, 0, "auto, off or a node number"},
    [CLSVM_OPT_FAULT] = {{"CLSVM_FAULT", "",
                          "Test hook: make the N-th reserve, commit, decommit or ioctl fail "
                          "(docs/reliability.md)."},
                         KIND_TEXT, NULL, 0, 0, "site:N[,site:N...]"},
    [CLSVM_OPT_OCLC20_CLANG] = {{"CLSVM_OCLC20_CLANG", "clang-15",
                                 "The clang the ICD runs for OpenCL C 2.x programs "
                                 "(docs/opencl-c-2.0.md)."},
                                KIND_TEXT, NULL, 0, 0, "a program name or path"},
    [CLSVM_OPT_OCLC20_KERNEL_LIB] = {{"CLSVM_OCLC20_KERNEL_LIB", "",
                                      "The backend kernel library the OpenCL C 2.x unresolved-"
                                      "function check reads; off: no check (unset: pocl's for "
                                      "this CPU)."},
                                     KIND_TEXT, NULL, 0, 0, "a file or off"},
    [CLSVM_OPT_OCLC20_CACHE_DIR] = {{"CLSVM_OCLC20_CACHE_DIR", "",
                                     "Cache of compiled OpenCL C 2.x programs; off: none "
                                     "(unset: $XDG_CACHE_HOME or ~/.cache, clsvm/oclc20)."},
                                    KIND_TEXT, NULL, 0, 0, "a directory or off"},
    [CLSVM_OPT_CHECK] = {{"CLSVM_CHECK", "",
                          "SVM misuse checks (docs/checker.md): 1 or all (every check), or "
                          "a comma list of leaks, redzone, stale, hostaccess, inuse, quarantine; "
                          "unset: none (no cost)."},
                         KIND_LIST, check_choices, CLSVM_CHECK_OPT_IN, 0,
                         "1, all, 0 or a comma list of leaks, redzone, stale, hostaccess, inuse, "
                         "quarantine"},
    [CLSVM_OPT_CHECK_ABORT] = {{"CLSVM_CHECK_ABORT", "0",
                                "1: abort() at the first CLSVM_CHECK report (for a core dump or a "
                                "debugger)."},
                               KIND_UINT, NULL, 0, 1, "0 or 1"},
    [CLSVM_OPT_CHECK_QUARANTINE] = {{"CLSVM_CHECK_QUARANTINE", "4M",
                                     "Bytes of freed SVM allocations CLSVM_CHECK=quarantine keeps "
                                     "poisoned and unused (K/M/G suffixes; 0: none)."},
                                    KIND_SIZE, NULL, 0, INT64_C(1) << 40,
                                    "a size from 0 to 1T, e.g. 4M"},
};
/* clang-format on */

static struct {
    int64_t num[CLSVM_OPT_COUNT];
    const char *text[CLSVM_OPT_COUNT];
    char problem[CLSVM_OPT_COUNT][256]; /* logged after parsing, once */
} values;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static atomic_int problems_reported;

/* The one rule for numbers in every option: decimal digits only, no sign, no space, no
 * overflow; *end is left at the first character after the digits. */
static int parse_digits(const char *text, uint64_t *out, const char **end)
{
    if (!text || text[0] < '0' || text[0] > '9')
        return -1;
    uint64_t n = 0;
    const char *c = text;
    for (; *c >= '0' && *c <= '9'; c++) {
        unsigned d = (unsigned)(*c - '0');
        if (n > (UINT64_MAX - d) / 10)
            return -1;
        n = n * 10 + d;
    }
    *out = n;
    *end = c;
    return 0;
}

int clsvm_parse_uint(const char *text, uint64_t *out)
{
    const char *end;
    uint64_t n;
    if (parse_digits(text, &n, &end) || *end)
        return -1;
    *out = n;
    return 0;
}

int clsvm_parse_size(const char *text, uint64_t *out)
{
    const char *end;
    uint64_t n;
    if (parse_digits(text, &n, &end))
        return -1;
    unsigned shift = 0;
    switch (*end) {
    case 'k':
    case 'K':
        shift = 10;
        end++;
        break;
    case 'm':
    case 'M':
        shift = 20;
        end++;
        break;
    case 'g':
    case 'G':
        shift = 30;
        end++;
        break;
    case 't':
    case 'T':
        shift = 40;
        end++;
        break;
    default:
        break;
    }
    if (*end == 'i' && shift)
        end++;
    if ((*end == 'B' || *end == 'b') && shift)
        end++;
    if (*end)
        return -1;
    if (shift && n > (UINT64_MAX >> shift))
        return -1;
    *out = (uint64_t)n << shift;
    return 0;
}

static int parse_list(const char *const *choices, int64_t opt_in, const char *text, int64_t *num)
{
    int n = 0;
    while (choices[n])
        n++;
    if (!*text || !strcmp(text, "0")) {
        *num = 0;
        return 0;
    }
    if (!strcmp(text, "1") || !strcmp(text, "all")) {
        *num = ((INT64_C(1) << n) - 1) & ~opt_in;
        return 0;
    }
    int64_t mask = 0;
    for (const char *c = text;;) {
        size_t len = strcspn(c, ",");
        int found = -1;
        for (int i = 0; i < n && found < 0; i++)
            if (strlen(choices[i]) == len && !strncmp(c, choices[i], len))
                found = i;
        if (found < 0) /* also an empty item: "redzone,,leaks" is a typo worth a warning */
            return -1;
        mask |= INT64_C(1) << found;
        if (!c[len])
            break;
        c += len + 1;
    }
    *num = mask;
    return 0;
}

static int parse_value(const option *o, const char *text, int64_t *num)
{
    switch (o->kind) {
    case KIND_CHOICE:
        for (int i = 0; o->choices[i]; i++)
            if (!strcmp(text, o->choices[i])) {
                *num = i;
                return 0;
            }
        return -1;
    case KIND_UINT: {
        uint64_t n;
        if (clsvm_parse_uint(text, &n) || n < (uint64_t)o->min || n > (uint64_t)o->max)
            return -1;
        *num = (int64_t)n;
        return 0;
    }
    case KIND_SIZE: {
        uint64_t n;
        if (clsvm_parse_size(text, &n) || n < (uint64_t)o->min || n > (uint64_t)o->max)
            return -1;
        *num = (int64_t)n;
        return 0;
    }
    case KIND_TEXT:
        *num = 0;
        return 0;
    case KIND_LIST:
        return parse_list(o->choices, o->min, text, num);
    }
    return -1;
}

int clsvm_option_parse(clsvm_option_id id, const char *text, int64_t *num)
{
    return (unsigned)id < CLSVM_OPT_COUNT && text ? parse_value(&options[id], text, num) : -1;
}

static void load(void)
{
    for (int id = 0; id < CLSVM_OPT_COUNT; id++) {
        const option *o = &options[id];
        int64_t def = 0;
        parse_value(o, o->desc.default_value, &def); /* defaults are valid by construction */
        values.num[id] = def;
        values.text[id] = o->desc.default_value;
        const char *env = getenv(o->desc.name);
        if (!env || !*env) /* set but empty: unset, for every option */
            continue;
        int64_t n;
        if (parse_value(o, env, &n) == 0) {
            /* A copy: the environment string may be the application's own (putenv) and
             * change later, and the values must not. */
            char *copy = strdup(env);
            if (copy) {
                values.num[id] = n;
                values.text[id] = copy;
            } else {
                snprintf(values.problem[id], sizeof values.problem[id],
                         "%s: out of memory; using the default '%s'", o->desc.name,
                         o->desc.default_value);
            }
        } else {
            snprintf(values.problem[id], sizeof values.problem[id],
                     "%s='%s' is not valid (expected %s); using the default '%s'. "
                     "Fix or unset %s.",
                     o->desc.name, env, o->expect, o->desc.default_value, o->desc.name);
        }
    }
}

static void ensure_loaded(void)
{
    pthread_once(&load_once, load);
    /* Report bad values outside the once-routine: clsvm_log() reads CLSVM_LOG itself. */
    if (!atomic_load_explicit(&problems_reported, memory_order_acquire) &&
        !atomic_exchange(&problems_reported, 1)) {
        for (int id = 0; id < CLSVM_OPT_COUNT; id++)
            if (values.problem[id][0])
                clsvm_log(CLSVM_LOG_WARN, "%s", values.problem[id]);
    }
}

const clsvm_option_desc *clsvm_option_describe(clsvm_option_id id)
{
    return (unsigned)id < CLSVM_OPT_COUNT ? &options[id].desc : NULL;
}

int64_t clsvm_option_int(clsvm_option_id id)
{
    pthread_once(&load_once, load); /* not ensure_loaded: clsvm_log() calls this */
    return (unsigned)id < CLSVM_OPT_COUNT ? values.num[id] : 0;
}

const char *clsvm_option_str(clsvm_option_id id)
{
    ensure_loaded();
    return (unsigned)id < CLSVM_OPT_COUNT ? values.text[id] : "";
}

void clsvm_options_log_once(void)
{
    static atomic_int done;
    ensure_loaded();
    if (!clsvm_log_enabled(CLSVM_LOG_INFO) || atomic_exchange(&done, 1))
        return;
    for (int id = 0; id < CLSVM_OPT_COUNT; id++)
        clsvm_log(CLSVM_LOG_INFO, "config %s=%s%s", options[id].desc.name, values.text[id],
                  values.text[id] != options[id].desc.default_value ? "" : " (default)");
}
