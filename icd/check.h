/*
 * check.h: CLSVM_CHECK, the SVM misuse checker (docs/checker.md). Off by default; when off every
 * hook below costs one load and one predictable branch (clsvm_check_on), nothing else.
 *
 * check.c: the enabled checks (read once from the config table) and the one report function.
 * check_alloc.c: what the checks remember per SVM allocation (where it was allocated, the last
 * kernel given it) and the checks built on that: leaks at exit and red zones.
 * check_stale.c: the SVM pointers each kernel was given (stale arguments; hostaccess, inuse and
 * the kernel-end red zone check use them).
 * check_hostaccess.c: coarse-grain SVM protected while the host has not mapped it.
 * check_inuse.c: the commands not yet complete and the SVM they use; frees while in use.
 * check_quarantine.c: freed allocations kept poisoned and unused; writes into them.
 * check_json.c: the reports and counts in the CLSVM_STATS JSON.
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
/* Count one report of check bit made without clsvm_check_report (async-signal-safe). */
void clsvm_check_count(unsigned bit);
/* Every check this build has (CLSVM_CHECK=all is these but CLSVM_CHECK_OPT_IN). */
#define CLSVM_CHECK_ALL                                                                            \
    (CLSVM_CHECK_LEAKS | CLSVM_CHECK_REDZONE | CLSVM_CHECK_STALE | CLSVM_CHECK_HOSTACCESS |        \
     CLSVM_CHECK_INUSE | CLSVM_CHECK_QUARANTINE)

/* The name of check bit ("redzone", ...). */
const char *clsvm_check_name(unsigned bit);
/* The checks that need each kernel's SVM arguments and exec-info pointers (check_stale.c), and
 * those that keep a record of each command until it completes (check_inuse.c). */
#define CLSVM_CHECK_KERNEL_ARGS                                                                    \
    (CLSVM_CHECK_STALE | CLSVM_CHECK_HOSTACCESS | CLSVM_CHECK_INUSE | CLSVM_CHECK_REDZONE)
#define CLSVM_CHECK_COMMANDS (CLSVM_CHECK_INUSE | CLSVM_CHECK_REDZONE)

/* Reports made so far by the checks in mask bits (tests and the exit summary). */
unsigned long clsvm_check_reports(unsigned bits);

/* ---- check_alloc.c ---- */

/* Guard bytes after an allocation of size bytes with the red zone check on (64..127: the rest
 * of its last 64-byte line plus 64 bytes, so even a one-byte overrun lands in the guard). The
 * allocation's runtime flags carry it in bits CLSVM_CHECK_GUARD_SHIFT and up, so that a lookup
 * finds the application's size without a table. */
#define CLSVM_CHECK_GUARD_SHIFT 24
/* Flag bit of an allocation made with the quarantine check on: a lookup must ask whether it is
 * freed already (kept in quarantine), since the runtime still holds it live. */
#define CLSVM_CHECK_KEPT (1u << 23)
static inline size_t clsvm_check_guard(size_t size)
{
    return ((size + 63) & ~(size_t)63) - size + 64;
}

/* After clsvm_alloc gave p (size bytes for the application, then guard bytes) with a check on:
 * write its guard and remember it, with where it was allocated. */
void clsvm_check_alloc_done(void *p, size_t size, size_t guard, uint32_t flags);
/* Before the free of live allocation base: check its guard, that no command still uses it
 * (inuse), and forget it. 1: the checker keeps it in quarantine and frees it later (the caller
 * frees nothing); -1: it was freed already and is in quarantine (a double free, reported; the
 * free is ignored); 0: the caller frees it. */
int clsvm_check_forget(void *base);
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
/* The allocations (as the checker knew them when set) of kernel's SVM arguments and exec-info
 * pointers: a malloc'd array, *n entries (NULL and 0: none). */
clsvm_check_alloc *clsvm_check_kernel_allocs(const void *kernel, size_t *n);
/* At exit: check every guard and report every allocation still live (as enabled). */
void clsvm_check_at_exit(void);
/* Check the guard of every live allocation; when: the entry point, for the report. */
void clsvm_check_guards_all(const char *when);
/* Check the guard of allocation base if it is still the allocation serial. */
void clsvm_check_guard_of(const void *base, uint64_t serial, const char *when);
/* The call stack outside libclsvm (CLSVM_CHECK_FRAMES frames at most) and its text, appended to
 * buf under label ("allocated at", "freed at"). */
#define CLSVM_CHECK_FRAMES 6
int clsvm_check_capture(void **frames);
void clsvm_check_put_frames(char *buf, size_t cap, const char *label, void *const *frames, int n);

/* ---- check_inuse.c ---- */
struct clsvm_obj;
/* The SVM ranges [a, a + na) and [b, b + nb) (b NULL: one range) the command of `type` about to
 * be enqueued on q by this thread uses; clsvm_check_enqueued of the same q and type takes them. */
void clsvm_check_uses(struct clsvm_obj *q, unsigned type, const void *a, size_t na, const void *b,
                      size_t nb);
/* A command of `type` was enqueued on q with backend event ev (NULL: it was not): remember the
 * ranges given to clsvm_check_uses until it completes. */
void clsvm_check_enqueued(struct clsvm_obj *q, unsigned type, void *ev);
/* Kernel k was enqueued on q (clEnqueueNDRangeKernel, clEnqueueTask) with backend event ev:
 * remember the allocations of its SVM arguments until it completes. */
void clsvm_check_kernel_enqueued(struct clsvm_obj *q, struct clsvm_obj *k, unsigned type, void *ev);
/* A point where commands are complete: clFinish(q) (n 0) or clWaitForEvents of the n backend
 * events be. Also where guards and the quarantine are checked; when: the entry point. */
void clsvm_check_sync(struct clsvm_obj *q, void *const *be, unsigned n, const char *when);
/* clEnqueueSVMFree on q with the application's wait list: what its free command needs to know
 * when it runs (where it was enqueued, what it waits for), or NULL. */
void *clsvm_check_free_site(struct clsvm_obj *q, unsigned nwait, const void *const *wait);
/* Around the free command's work (begin 1, then 0; 0 also frees site). */
void clsvm_check_free_run(void *site, int begin);
/* The stack of the free under way on this thread (its clEnqueueSVMFree's in a free command). */
int clsvm_check_free_frames(void **frames);
/* Allocation base (size bytes, serial) is being freed: report each command not yet complete
 * that uses it. */
void clsvm_check_inuse_free(const void *base, size_t size, uint64_t serial, void *const *frames,
                            int nframes);

/* ---- check_quarantine.c ---- */
typedef struct clsvm_check_qentry clsvm_check_qentry;
/* Keep the freed allocation base (size bytes for the application, total with its guard):
 * poisoned, with where it was freed and the last kernel given it. 1 kept, 0 not (too large, or
 * out of memory). Allocations pushed out (oldest first) are checked and put on *evicted, to be
 * freed by clsvm_check_quarantine_release outside every checker lock. */
int clsvm_check_quarantine_add(void *base, size_t size, size_t total, const char *kernel,
                               void *const *frames, int nframes, clsvm_check_qentry **evicted);
void clsvm_check_quarantine_release(clsvm_check_qentry *evicted);
/* Is base a freed allocation in quarantine? */
int clsvm_check_in_quarantine(const void *base);
/* Check every allocation in quarantine for writes; drain (at exit): then free them all. */
void clsvm_check_quarantine_all(const char *when, int drain);

/* fork(): take (1) or give back (0) each file's lock (check_alloc.c orders them). */
void clsvm_check_inuse_atfork(int take);
void clsvm_check_stale_atfork(int take);
void clsvm_check_quarantine_atfork(int take);
void clsvm_check_json_atfork(int take);

/* ---- check_json.c ---- */
/* Remember a report for the CLSVM_STATS JSON. */
void clsvm_check_json_add(const char *check, const char *what, const char *where, const char *fix);
/* The same for a host access found by the SIGSEGV handler (async-signal-safe: no lock, no
 * allocation; the first 16 are listed, later ones counted as dropped). */
void clsvm_check_json_add_signalled(uintptr_t addr, uintptr_t base, size_t size, int is_write);
/* The checks are on: put a "check" object in the CLSVM_STATS JSON. */
void clsvm_check_json_enable(void);

/* ---- check_hostaccess.c ---- */

/* The alignment of every SVM allocation with hostaccess on (align 0: the default): at least a
 * page, so that no two allocations share a page and protecting one leaves the others alone. */
size_t clsvm_check_ha_align(size_t align);
/* After clsvm_check_alloc_done: protect a coarse-grain allocation (flags: its cl_svm_mem_flags). */
void clsvm_check_ha_alloc(void *p, size_t size, size_t guard, uint32_t flags);
/* Before the free of live allocation base (and before clsvm_check_forget): unprotect, forget. */
void clsvm_check_ha_forget(void *base);
/* clsvm's own work on the allocation containing p begins (+1) or ends (-1): open meanwhile. */
void clsvm_check_ha_use(const void *p, int delta);
/* clEnqueueSVMMap (+1) or clEnqueueSVMUnmap (-1) of p was enqueued. */
void clsvm_check_ha_map(const void *p, int delta);
/* p backs a memory object (CL_MEM_USE_HOST_PTR): its allocation stays open for good. */
void clsvm_check_ha_exempt(const void *p);
/* Around a kernel's enqueue: open the allocations of its SVM arguments and exec-info pointers
 * (begin, before the backend can run it) until be_event completes (end; err not 0: the enqueue
 * failed, open no longer). */
void *clsvm_check_ha_kernel_begin(const void *kernel);
void clsvm_check_ha_kernel_end(void *held, int err, void *be_event);
/* Open every protected allocation (1) while clsvm itself reads them (the red zone guards), and
 * protect them again (0). */
void clsvm_check_ha_pause(int on);

#endif
