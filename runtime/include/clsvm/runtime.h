/*
 * clsvm runtime: a device-addressable virtual-address window and the SVM heap inside it.
 *
 * The runtime knows nothing of OpenCL. It reserves (or maps from /dev/svm) a window
 * [base, base + size) that lies entirely below 2^va_bits, sub-allocates buffers from it,
 * commits pages on demand and returns them to the OS when the buffers over them are freed.
 * Heap metadata lives outside the window, so a device that scribbles over SVM memory cannot
 * corrupt the heap.
 *
 * Thread safety: every function taking a clsvm_window may be called from any thread at any
 * time, except clsvm_window_close(), which must not race with other calls on the same window.
 * Errors: functions return CLSVM_OK (0) or a negative clsvm_status; they never abort.
 */
#ifndef CLSVM_RUNTIME_H
#define CLSVM_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CLSVM_API __attribute__((visibility("default")))

typedef enum clsvm_status {
    CLSVM_OK = 0,
    CLSVM_ERR_INVALID = -1,  /* bad argument: size 0, alignment not a power of two, ... */
    CLSVM_ERR_NOMEM = -2,    /* the window has no free range that fits */
    CLSVM_ERR_NOTFOUND = -3, /* pointer is not (the base of) a live allocation */
    CLSVM_ERR_COMMIT = -4,   /* the OS refused to commit pages */
    CLSVM_ERR_RESERVE = -5,  /* no window could be reserved or mapped */
    CLSVM_ERR_HOSTMEM = -6,  /* out of host memory for metadata */
    CLSVM_ERR_MISMATCH = -7, /* clsvm_free_checked: not the base, or another owner's tag */
} clsvm_status;

/* Short English text for a status ("window exhausted", ...). Never NULL. */
CLSVM_API const char *clsvm_status_str(int status);

/*
 * Window configuration. clsvm_config_init() fills defaults and then applies the CLSVM_*
 * environment variables (an invalid value logs one line and keeps the default).
 * Fields may be changed afterwards, before clsvm_window_open().
 */
typedef struct clsvm_config {
    unsigned va_bits;         /* device-addressable bits, 32..48; >= 47 means all of user space */
    uint64_t window_size;     /* bytes wanted; the reservation may shrink (halving) to fit */
    uint64_t min_window_size; /* give up below this size */
    size_t default_align;     /* alignment used when clsvm_alloc() gets align == 0 */
    const char *provider;     /* "auto" (devsvm if usable, else reserve), "reserve", "devsvm" */
    const char *device;       /* /dev/svm path for the devsvm provider */
    uint64_t retain_limit;    /* freed bytes that may stay resident while allocations live
                                 (64 MiB); beyond it free pages go back to the OS */
} clsvm_config;

CLSVM_API void clsvm_config_init(clsvm_config *cfg);

typedef struct clsvm_window clsvm_window;

/* Reserve a window as cfg describes (cfg NULL: clsvm_config_init() defaults). */
CLSVM_API int clsvm_window_open(const clsvm_config *cfg, clsvm_window **out);

/* Unmap the window and free all metadata; live allocations become invalid. NULL is a no-op. */
CLSVM_API void clsvm_window_close(clsvm_window *w);

typedef struct clsvm_window_info {
    uintptr_t base;        /* first byte of the window */
    uint64_t size;         /* bytes reserved */
    unsigned va_bits;      /* every window byte lies below 2^va_bits */
    uint64_t commit_chunk; /* commit granularity in bytes (a power of two) */
    uint64_t max_align;    /* largest alignment clsvm_alloc() accepts */
    const char *provider;  /* "reserve" or "devsvm" */
} clsvm_window_info;

CLSVM_API void clsvm_window_get_info(const clsvm_window *w, clsvm_window_info *info);

/*
 * Allocate size bytes aligned to align (0: the configured default, 128 unless changed; else a
 * power of two up to info.max_align) inside the window; the memory is committed, readable and
 * writable, and zero-filled the first time its pages are committed (not on reuse).
 * flags and tag are stored with the allocation and returned by clsvm_lookup(); the runtime
 * does not interpret them (the ICD keeps its SVM flags and owning context there).
 * Errors: CLSVM_ERR_INVALID, CLSVM_ERR_NOMEM, CLSVM_ERR_COMMIT, CLSVM_ERR_HOSTMEM; on error
 * *out is NULL and the heap is unchanged. CLSVM_ERR_RESERVE: this process is a fork() child of
 * the one that opened a devsvm window, whose mapping a child does not inherit (clsvm_free and
 * clsvm_free_checked return it too there, freeing nothing; clsvm_lookup finds nothing).
 * After fork() a reserve window works in the child on its private copy (docs/reliability.md).
 * Cost: O(1) in the number of live allocations, plus commit work for newly used chunks.
 */
CLSVM_API int clsvm_alloc(clsvm_window *w, size_t size, size_t align, uint32_t flags, void *tag,
                          void **out);

/*
 * Free the allocation whose base is p. Pages of chunks left without any allocation are
 * returned to the OS, except a few kept committed so that alloc/free in a loop costs no
 * syscall: at most 64 MiB while other allocations live, one 2 MiB chunk once none does
 * (docs/runtime.md, "Commit"); the address range stays reserved. Free pages of chunks that
 * still hold allocations stay resident up to cfg.retain_limit bytes in all (a quarter of it
 * once frees go on without allocations reusing them), and beyond it are returned in batches,
 * the longest-freed first (docs/runtime.md, "Purge").
 * p NULL: no-op, CLSVM_OK.
 * A p that is not the base of a live allocation returns CLSVM_ERR_NOTFOUND and changes nothing.
 */
CLSVM_API int clsvm_free(clsvm_window *w, void *p);

typedef struct clsvm_alloc_info clsvm_alloc_info;

/*
 * Free p only if it is the base of a live allocation whose tag is tag (any tag when tag is
 * NULL), checked and freed under one lock: no other thread can free or reuse p in between, so
 * two racing frees of one pointer free it once. Returns CLSVM_OK (freed), CLSVM_ERR_NOTFOUND
 * (p lies in no live allocation; also p NULL) or CLSVM_ERR_MISMATCH (p lies inside a live
 * allocation but is not its base, or its tag differs; nothing is freed). On CLSVM_OK and
 * CLSVM_ERR_MISMATCH *info (if not NULL) describes the allocation found. Thread-safe, O(1).
 */
CLSVM_API int clsvm_free_checked(clsvm_window *w, void *p, const void *tag, clsvm_alloc_info *info);

struct clsvm_alloc_info {
    void *base;
    size_t size; /* as requested */
    uint32_t flags;
    void *tag;
};

/*
 * Find the live allocation containing p (any byte in [base, base + size); the rounding slack
 * past size is not inside). Returns CLSVM_OK and fills *info, or CLSVM_ERR_NOTFOUND.
 * O(1) and lock-free: it never waits for another thread's alloc or free. An allocation live
 * for the whole call is always found; one being freed (or allocated) concurrently may be
 * reported found or CLSVM_ERR_NOTFOUND, but *info never mixes two allocations and never
 * describes memory that was not a live allocation containing p at some instant of the call.
 */
CLSVM_API int clsvm_lookup(clsvm_window *w, const void *p, clsvm_alloc_info *info);

/* Visit every live allocation in address order; stop early when fn returns non-zero. */
typedef int (*clsvm_visit_fn)(const clsvm_alloc_info *info, void *user);
CLSVM_API void clsvm_window_foreach(clsvm_window *w, clsvm_visit_fn fn, void *user);

typedef struct clsvm_stats {
    uint64_t reserved;         /* bytes of address space in the window */
    uint64_t committed;        /* bytes currently readable/writable */
    uint64_t allocated;        /* bytes handed out (requested sizes) */
    uint64_t live_allocations; /* allocations not yet freed */
    uint64_t free_bytes;       /* bytes in free ranges (includes alignment slack) */
    uint64_t free_ranges;      /* number of free ranges */
    uint64_t largest_free;     /* size of the largest free range */
    uint64_t peak_allocated;   /* high-water mark of allocated */
    uint64_t commits;          /* commit operations so far */
    uint64_t decommits;        /* decommit operations so far */
    uint64_t failed_allocs;    /* clsvm_alloc() calls that returned an error */
    uint64_t retained;         /* freed bytes on committed chunks not yet returned to the OS */
    uint64_t purges;           /* calls that returned free pages of committed chunks */
    uint64_t purged;           /* bytes those calls returned */
    uint64_t purge_threshold;  /* retained bytes beyond which a free purges: the retain limit,
                                  down to a quarter of it while freed memory is not reused */
} clsvm_stats;

CLSVM_API void clsvm_window_get_stats(clsvm_window *w, clsvm_stats *stats);

/*
 * Write the window's info and stats as one JSON object into buf (NUL-terminated when cap > 0).
 * Returns the length the full text needs, not counting the NUL (snprintf semantics).
 */
CLSVM_API size_t clsvm_window_stats_json(clsvm_window *w, char *buf, size_t cap);

/*
 * Check every heap and window invariant (free ranges sorted, non-overlapping, coalesced;
 * allocations inside the window; counters consistent; committed chunks cover all allocations).
 * Returns CLSVM_OK, or CLSVM_ERR_INVALID after logging the first broken invariant.
 */
CLSVM_API int clsvm_window_validate(clsvm_window *w);

#ifdef __cplusplus
}
#endif
#endif
