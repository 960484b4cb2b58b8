/*
 * check.c: which CLSVM_CHECK checks are on, and the one report every check makes
 * (docs/checker.md). A report is one block on stderr, written with a single write() so that
 * reports of several threads never interleave.
 */
#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

_Atomic unsigned clsvm_check_mask = CLSVM_CHECK_UNREAD;

static atomic_ulong report_count[32];

unsigned clsvm_check_load(void)
{
    /* The config table reads the environment once, so every thread computes the same mask. */
    unsigned m = (unsigned)clsvm_option_int(CLSVM_OPT_CHECK) & ~CLSVM_CHECK_UNREAD;
    atomic_store_explicit(&clsvm_check_mask, m, memory_order_relaxed);
    if (m)
        clsvm_check_json_enable();
    return m;
}

const char *clsvm_check_name(unsigned bit)
{
    switch (bit) {
    case CLSVM_CHECK_LEAKS:
        return "leaks";
    case CLSVM_CHECK_REDZONE:
        return "redzone";
    case CLSVM_CHECK_STALE:
        return "stale";
    case CLSVM_CHECK_HOSTACCESS:
        return "hostaccess";
    case CLSVM_CHECK_INUSE:
        return "inuse";
    case CLSVM_CHECK_QUARANTINE:
        return "quarantine";
    default:
        return "check";
    }
}

void clsvm_check_count(unsigned bit)
{
    for (unsigned i = 0; i < 32; i++)
        if (bit & (1u << i))
            atomic_fetch_add(&report_count[i], 1);
}

void clsvm_check_report(unsigned bit, const char *what, const char *where, const char *fix)
{
    clsvm_check_count(bit);
    char buf[4096];
    int n = snprintf(buf, sizeof buf, "clsvm check [%s]: %s\n%s  fix: %s\n", clsvm_check_name(bit),
                     what, where ? where : "", fix);
    clsvm_check_json_add(clsvm_check_name(bit), what, where, fix);
    size_t len = n < 0 ? 0 : (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1;
    if (len && buf[len - 1] != '\n')
        buf[len - 1] = '\n'; /* truncated: still one whole block */
    for (size_t done = 0; done < len;) {
        ssize_t k = write(STDERR_FILENO, buf + done, len - done);
        if (k <= 0)
            break;
        done += (size_t)k;
    }
    if (clsvm_option_int(CLSVM_OPT_CHECK_ABORT)) {
        static const char msg[] = "clsvm check: CLSVM_CHECK_ABORT=1, aborting\n";
        if (write(STDERR_FILENO, msg, sizeof msg - 1) < 0) {
            /* nothing more to say */
        }
        abort();
    }
}

unsigned long clsvm_check_reports(unsigned bits)
{
    unsigned long n = 0;
    for (unsigned i = 0; i < 32; i++)
        if (bits & (1u << i))
            n += atomic_load(&report_count[i]);
    return n;
}
