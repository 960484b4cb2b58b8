/*
 * clsvm/internal/lookup.h: the question a hot path asks most, answered for small allocations
 * only, for a caller that inlines it (the ICD's kernel-argument check, with link-time
 * optimisation) and asks clsvm_lookup when the answer is no. Not a public API (see config.h).
 */
#ifndef CLSVM_INTERNAL_LOOKUP_H
#define CLSVM_INTERNAL_LOOKUP_H

#include <clsvm/runtime.h>

#include <stdint.h>

/* Does p lie inside a live allocation of up to 1 KiB (as clsvm_lookup finds it) whose tag is
 * tag and whose flags are below flags_below? 0 also for every other allocation: clsvm_lookup
 * knows. w must not be NULL. Lock-free, O(1). */
int clsvm_lookup_small_is(const clsvm_window *w, const void *p, const void *tag,
                          uint32_t flags_below);

#endif
