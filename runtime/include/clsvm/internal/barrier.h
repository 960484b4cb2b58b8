/*
 * clsvm/internal/barrier.h: a full memory barrier on every thread of the process (membarrier,
 * PRIVATE_EXPEDITED), so that a rare path can pair with a hot path that orders its accesses for
 * the compiler only. Used by the small-allocation slabs (the owner's free without an atomic
 * read-modify-write) and the ICD's per-thread context tallies. Not a public API.
 */
#ifndef CLSVM_INTERNAL_BARRIER_H
#define CLSVM_INTERNAL_BARRIER_H

#include <stdbool.h>

/* Registers the process for expedited barriers (once); false where the kernel has none. */
bool clsvm_barrier_ok(void);
/* Every thread of the process executes a full memory barrier before this returns (or is not
 * running, which is one too). Only after clsvm_barrier_ok() returned true. */
void clsvm_barrier_all(void);

#endif
