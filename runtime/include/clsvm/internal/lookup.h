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

/* What that question reads of a window, fixed while it is open. A caller that keeps a copy in
 * static storage reads its fields at fixed addresses rather than through a window pointer it
 * must load first: one dependent load fewer before the slot. In a fork child that did not
 * inherit the window (devsvm) the directory reads empty, so a copy answers no there too. */
typedef struct clsvm_small_view {
    uintptr_t base;
    uint64_t size;
    const void *dir;
} clsvm_small_view;

clsvm_small_view clsvm_lookup_small_view(const clsvm_window *w);
/* clsvm_lookup_small_is through a view of an open window. */
int clsvm_lookup_small_in(const clsvm_small_view *v, const void *p, const void *tag,
                          uint32_t flags_below);

#endif
