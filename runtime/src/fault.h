/*
 * fault: test-only fault injection (CLSVM_FAULT, docs/reliability.md). Each provider operation
 * asks clsvm_fault_hit() before doing the real work; when the hook says so the operation fails
 * as the OS would have made it fail. Unset CLSVM_FAULT costs one atomic (acquire) load per
 * operation.
 *
 * Syntax of CLSVM_FAULT (and of clsvm_fault_arm()): a comma-separated list of rules
 *   site:N    fail only the N-th call at site (N >= 1, counted per site from process start
 *             or from the last clsvm_fault_arm())
 *   site:N+   fail every call at site from the N-th on
 * where site is reserve, commit, decommit or ioctl; e.g. "commit:3", "ioctl:2+,decommit:1".
 * At most CLSVM_FAULT_MAX_RULES rules. A bad value logs one warning and injects nothing.
 */
#ifndef CLSVM_FAULT_H
#define CLSVM_FAULT_H

#include <stdbool.h>
#include <stdint.h>

typedef enum clsvm_fault_site {
    CLSVM_FAULT_RESERVE,  /* provider map: reserving / mapping the window */
    CLSVM_FAULT_COMMIT,   /* provider commit */
    CLSVM_FAULT_DECOMMIT, /* provider decommit */
    CLSVM_FAULT_IOCTL,    /* a /dev/svm ioctl */
    CLSVM_FAULT_SITE_COUNT
} clsvm_fault_site;

#define CLSVM_FAULT_MAX_RULES 16

/* True when this call at site must fail (and counts the call). Thread-safe. */
bool clsvm_fault_hit(clsvm_fault_site site);

/*
 * Test-only: replace the rules with spec (NULL or "": none) and reset the call counters, so the
 * next call at each site is call 1. Returns 0, or -1 for a bad spec (rules then cleared, nothing
 * logged: the caller asked). CLSVM_FAULT is not read once this has been called. Must not run
 * concurrently with operations that call clsvm_fault_hit() (counting there is racy, not unsafe).
 */
int clsvm_fault_arm(const char *spec);

/* Test-only: faults injected at site since the last arm. */
uint64_t clsvm_fault_injected(clsvm_fault_site site);

#endif
