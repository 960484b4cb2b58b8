/*
 * fault: CLSVM_FAULT parsing and the per-site call counters behind clsvm_fault_hit().
 * The rules are parsed once (on the first provider operation) or replaced by clsvm_fault_arm();
 * `state` tells the fast path whether any rule exists, so unarmed processes pay one load.
 */
#include "fault.h"
#include "config.h"
#include "clsvm/internal/log.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

typedef struct rule {
    clsvm_fault_site site;
    uint64_t n;     /* 1-based call number */
    bool and_later; /* "N+": every call from the N-th */
} rule;

enum { STATE_UNLOADED, STATE_OFF, STATE_ARMED };

static const char *const site_names[CLSVM_FAULT_SITE_COUNT] = {"reserve", "commit", "decommit",
                                                               "ioctl"};

static atomic_int state = STATE_UNLOADED;
static rule rules[CLSVM_FAULT_MAX_RULES];
static int nrules;
static atomic_uint_least64_t calls[CLSVM_FAULT_SITE_COUNT];
static atomic_uint_least64_t injected[CLSVM_FAULT_SITE_COUNT];
static pthread_once_t env_once = PTHREAD_ONCE_INIT;

/* Parse one "site:N[+]" of length len; 0 or -1. */
static int parse_rule(const char *s, size_t len, rule *r)
{
    const char *colon = memchr(s, ':', len);
    if (!colon)
        return -1;
    size_t nlen = (size_t)(colon - s);
    int site = -1;
    for (int i = 0; i < CLSVM_FAULT_SITE_COUNT; i++)
        if (strlen(site_names[i]) == nlen && !memcmp(s, site_names[i], nlen))
            site = i;
    if (site < 0)
        return -1;
    const char *num = colon + 1, *end = s + len;
    r->and_later = end > num && end[-1] == '+';
    if (r->and_later)
        end--;
    if (num == end || end - num > 19)
        return -1; /* empty, or more digits than any call count reaches */
    uint64_t n = 0;
    for (const char *c = num; c < end; c++) {
        if (*c < '0' || *c > '9')
            return -1;
        n = n * 10 + (uint64_t)(*c - '0');
    }
    if (n == 0)
        return -1;
    r->site = (clsvm_fault_site)site;
    r->n = n;
    return 0;
}

/* Parse a whole spec into out[]; the rule count, or -1. */
static int parse_spec(const char *spec, rule out[CLSVM_FAULT_MAX_RULES])
{
    int n = 0;
    if (!spec || !*spec)
        return 0;
    for (const char *s = spec;;) {
        const char *comma = strchr(s, ',');
        size_t len = comma ? (size_t)(comma - s) : strlen(s);
        if (n == CLSVM_FAULT_MAX_RULES || parse_rule(s, len, &out[n]) != 0)
            return -1;
        n++;
        if (!comma)
            return n;
        s = comma + 1;
    }
}

static void install(const rule *r, int n)
{
    atomic_store(&state, STATE_OFF);
    memcpy(rules, r, sizeof(rule) * (size_t)n);
    nrules = n;
    for (int i = 0; i < CLSVM_FAULT_SITE_COUNT; i++) {
        atomic_store(&calls[i], 0);
        atomic_store(&injected[i], 0);
    }
    atomic_store_explicit(&state, n ? STATE_ARMED : STATE_OFF, memory_order_release);
}

static void load_env(void)
{
    if (atomic_load(&state) != STATE_UNLOADED)
        return; /* clsvm_fault_arm() came first and wins */
    const char *spec = clsvm_option_str(CLSVM_OPT_FAULT);
    rule r[CLSVM_FAULT_MAX_RULES] = {{0}};
    int n = parse_spec(spec, r);
    if (n < 0) {
        clsvm_log(CLSVM_LOG_WARN,
                  "CLSVM_FAULT='%s' is not valid (expected site:N or site:N+, comma-separated, "
                  "site one of reserve, commit, decommit, ioctl, N >= 1, at most %d rules); no "
                  "faults are injected. Fix or unset CLSVM_FAULT.",
                  spec, CLSVM_FAULT_MAX_RULES);
        n = 0;
    } else if (n > 0) {
        clsvm_log(CLSVM_LOG_INFO, "fault injection armed: CLSVM_FAULT=%s", spec);
    }
    install(r, n);
}

bool clsvm_fault_hit(clsvm_fault_site site)
{
    /* Acquire: the rules written before `state` was published are visible (on x86 this is a
     * plain load; no fence, which GCC also refuses under -fsanitize=thread). */
    int s = atomic_load_explicit(&state, memory_order_acquire);
    if (s == STATE_OFF)
        return false;
    if (s == STATE_UNLOADED) {
        pthread_once(&env_once, load_env);
        if (atomic_load_explicit(&state, memory_order_acquire) != STATE_ARMED)
            return false;
    }
    if ((unsigned)site >= CLSVM_FAULT_SITE_COUNT)
        return false;
    uint64_t call = atomic_fetch_add(&calls[site], 1) + 1;
    for (int i = 0; i < nrules; i++)
        if (rules[i].site == site &&
            (call == rules[i].n || (rules[i].and_later && call > rules[i].n))) {
            atomic_fetch_add(&injected[site], 1);
            clsvm_log(CLSVM_LOG_DEBUG, "fault: injected failure of %s call %llu", site_names[site],
                      (unsigned long long)call);
            return true;
        }
    return false;
}

int clsvm_fault_arm(const char *spec)
{
    rule r[CLSVM_FAULT_MAX_RULES] = {{0}};
    int n = parse_spec(spec, r);
    install(r, n < 0 ? 0 : n);
    return n < 0 ? -1 : 0;
}

uint64_t clsvm_fault_injected(clsvm_fault_site site)
{
    return (unsigned)site < CLSVM_FAULT_SITE_COUNT ? atomic_load(&injected[site]) : 0;
}
