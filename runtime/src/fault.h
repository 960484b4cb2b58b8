/*
 * fault: test-only fault injection (CLSVM_FAULT, docs/reliability.md). Each provider operation
 * asks clsvm_fault_hit() before doing the real work; when the hook says so the operation fails
 * as the OS would have made it fail. Unset CLSVM_FAULT costs one relaxed load per operation.
 */
#ifndef CLSVM_FAULT_H
#define CLSVM_FAULT_H

#include <stdbool.h>

typedef enum clsvm_fault_site {
    CLSVM_FAULT_RESERVE,  /* provider map: reserving / mapping the window */
    CLSVM_FAULT_COMMIT,   /* provider commit */
    CLSVM_FAULT_DECOMMIT, /* provider decommit */
    CLSVM_FAULT_IOCTL,    /* a /dev/svm ioctl */
    CLSVM_FAULT_SITE_COUNT
} clsvm_fault_site;

/* True when this call at site must fail (and counts the call). Thread-safe. */
bool clsvm_fault_hit(clsvm_fault_site site);

#endif
