/*
 * check.h: CLSVM_CHECK, the SVM misuse checker (docs/checker.md). Off by default; when off every
 * hook below costs one load and one predictable branch (clsvm_check_on), nothing else.
 *
 * check.c: the enabled checks (read once from the config table) and the one report function.
 * check_alloc.c: what the checks remember per SVM allocation (where it was allocated, the last
 * kernel given it) and the checks built on that: leaks at exit and red zones.
 */
#ifndef CLSVM_ICD_CHECK_H
#define CLSVM_ICD_CHECK_H

#include "clsvm/internal/config.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* The enabled CLSVM_CHECK_* bits, or CHECK_UNREAD before the first use. */
#define CLSVM_CHECK_UNREAD 0x80000000u
extern _Atomic unsigned clsvm_check_mask;
unsigned clsvm_check_load(void);

/* Is check bit (CLSVM_CHECK_LEAKS, CLSVM_CHECK_REDZONE, ...) enabled? */
static inline int clsvm_check_on(unsigned bit)
{
    unsigned m = atomic_load_explicit(&clsvm_check_mask, memory_order_relaxed);
    if (__builtin_expect(m == CLSVM_CHECK_UNREAD, 0))
        m = clsvm_check_load();
    return (m & bit) != 0;
}

/* One report: a block on stderr, "clsvm check: <what>", then the lines of `where` (each
 * already ending in '\n'), then "  fix: <fix>". Counted per check; aborts the process when
 * CLSVM_CHECK_ABORT=1. */
void clsvm_check_report(unsigned bit, const char *what, const char *where, const char *fix);
/* Every check this build has (CLSVM_CHECK=all). */
#define CLSVM_CHECK_ALL (CLSVM_CHECK_LEAKS | CLSVM_CHECK_REDZONE | CLSVM_CHECK_STALE)

/* Reports made so far by the checks in mask bits (tests and the exit summary). */
unsigned long clsvm_check_reports(unsigned bits);

/* ---- check_alloc.c ---- */

/* Guard bytes after an allocation of size bytes with the red zone check on (64..127: the rest
 * of its last 64-byte line plus 64 bytes, so even a one-byte overrun lands in the guard). The
 * allocation's runtime flags carry it in bits CLSVM_CHECK_GUARD_SHIFT and up, so that a lookup
 * finds the application's size without a table. */
#define CLSVM_CHECK_GUARD_SHIFT 24
static inline size_t clsvm_check_guard(size_t size)
{
    return ((size + 63) & ~(size_t)63) - size + 64;
}

/* After clsvm_alloc gave p (size bytes for the application, then guard bytes) with a check on:
 * write its guard and remember it, with where it was allocated. */
void clsvm_check_alloc_done(void *p, size_t size, size_t guard, uint32_t flags);
/* Before the free of live allocation base: check its guard and forget it. */
void clsvm_check_forget(void *base);
/* The allocation containing p as the checker knows it: 1 and *out, or 0 (none, or made before
 * the checker knew it). serial tells two allocations at one address apart. */
typedef struct clsvm_check_alloc {
    void *base;
    size_t size;
    uint64_t serial;
} clsvm_check_alloc;
int clsvm_check_which(const void *p, clsvm_check_alloc *out);

/* ---- check_stale.c ---- */

/* A kernel wrapper was made (src: the kernel it clones, whose SVM arguments it inherits, or
 * NULL): it starts with the SVM arguments the checker knows of src, none for a new kernel. */
void clsvm_check_kernel_new(const void *kernel, const void *src);
/* clSetKernelArgSVMPointer(kernel, index, p) succeeded. */
void clsvm_check_kernel_arg(const void *kernel, uint32_t index, const void *p);
/* clSetKernelExecInfo(kernel, CL_KERNEL_EXEC_INFO_SVM_PTRS, n pointers) succeeded. */
void clsvm_check_kernel_exec_ptrs(const void *kernel, void *const *ptrs, size_t n);
/* Before kernel (backend handle be_kernel) is enqueued: report each SVM argument or exec-info
 * pointer whose allocation was freed (or freed and allocated again) since it was set. */
void clsvm_check_kernel_enqueue(const void *kernel, void *be_kernel);
/* Backend kernel be_kernel was given pointer p (an argument or an exec-info pointer): its name
 * is remembered for the reports on p's allocation. */
void clsvm_check_kernel_uses(void *be_kernel, const void *p);
/* At exit: check every guard and report every allocation still live (as enabled). */
void clsvm_check_at_exit(void);
/* Check the guard of every live allocation; when: the entry point, for the report. */
void clsvm_check_guards_all(const char *when);

#endif
