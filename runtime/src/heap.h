/*
 * heap: a TLSF-style allocator of address ranges. It never touches the memory it manages:
 * all metadata lives in host-malloc'd block records, so ranges may be uncommitted or
 * scribbled over by a device. Not thread-safe: the window serialises calls, except
 * heap_lookup(), which any thread may call at any time without a lock (it must not race with
 * heap_add_range or heap_destroy only).
 *
 * Guarantees (checked by heap_validate):
 *  - the blocks of each range tile it exactly, in address order;
 *  - no two free blocks are adjacent (immediate coalescing);
 *  - every free block is in exactly the free list of its size class;
 *  - every used block is published in its range's lookup map (heap_map.c), and nothing else;
 *  - counters (used bytes, live count, free bytes, free ranges) match the blocks.
 * Cost: alloc, free and lookup are O(1) in the number of live allocations (bitmap size-class
 * search; a direct map from granule to block), plus one map write per 2 MiB a block spans.
 */
#ifndef CLSVM_HEAP_H
#define CLSVM_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct heap heap;

typedef struct heap_block_info {
    uintptr_t addr; /* base handed out */
    size_t size;    /* size as requested */
    uint32_t flags;
    void *tag;
} heap_block_info;

typedef struct heap_stats {
    uint64_t range_bytes; /* total bytes of all ranges */
    uint64_t used_bytes;  /* bytes as requested, summed over live allocations */
    uint64_t live;        /* live allocations */
    uint64_t free_bytes;  /* bytes in free blocks */
    uint64_t free_blocks; /* number of free blocks */
    uint64_t largest_free;
} heap_stats;

/* Create an empty heap (no ranges). min_align: smallest granule, a power of two from 16 to
 * 16 MiB (the rounding slack is kept in 24 bits). */
int heap_create(size_t min_align, heap **out);
void heap_destroy(heap *h);

/* Add [base, base + size) as a free range; base and size multiples of min_align. */
int heap_add_range(heap *h, uintptr_t base, size_t size);

/*
 * Carve size bytes aligned to align (a power of two >= min_align; any size up to the range).
 * Returns CLSVM_OK and *out, CLSVM_ERR_INVALID (size 0, bad align), CLSVM_ERR_NOMEM or
 * CLSVM_ERR_HOSTMEM (no memory for a block record), or after heap_defer_syscalls HEAP_NEED_TABLE or
 * HEAP_TRIMMING (below); on error nothing changes. The block occupies
 * [*out, *out + round_up(size, min_align)).
 */
int heap_alloc(heap *h, size_t size, size_t align, uint32_t flags, void *tag, uintptr_t *out);

/* From now on heap_alloc'd blocks stay invisible to heap_lookup until heap_show(addr): the
 * window shows a block once its memory is committed, so a lookup never reports an allocation
 * that a failed commit then undoes. */
void heap_hide_new(heap *h);
void heap_show(heap *h, uintptr_t addr);

/* heap_free (checked: heap_free_checked, with tag; info must not be NULL, hide_if reads it),
 * except that when hide_if(user, block)
 * says so the block is only hidden from lookups and frees, keeping its range used until
 * heap_unalloc, and HEAP_HIDDEN is returned: the window frees a block that way when syscalls on
 * its range must end before it can be reused. */
#define HEAP_HIDDEN 1
int heap_free_or_hide(heap *h, uintptr_t addr, bool checked, const void *tag, heap_block_info *info,
                      bool (*hide_if)(void *, const heap_block_info *), void *user);

/* Free the used block at addr even while it is hidden (heap_free refuses hidden blocks: they
 * are not handed out yet): the window's undo of an allocation whose commit failed. */
int heap_unalloc(heap *h, uintptr_t addr);

/* Give back host memory of lookup tables covering [addr, addr + len) that hold no block
 * (the window calls it after decommitting that range). */
void heap_trim(heap *h, uintptr_t addr, uint64_t len);

/*
 * Let the caller run the lookup maps' syscalls without its lock (heap_map.c, "Syscalls without
 * the writer's lock"): trims go to queue_trim(user, addr, len) (0: queued; call heap_trim_done
 * (addr) once it has run), and heap_alloc may return
 *  - HEAP_NEED_TABLE: the block's chunk needs a lookup table: map one with heap_table_new()
 *    without the lock, hand it over with heap_give_table() (non-zero: not taken, free it with
 *    heap_table_free()) and call heap_alloc again;
 *  - HEAP_TRIMMING: the block's chunk's table is being trimmed: call again once a queued trim
 *    has run.
 * Either way nothing changed.
 */
#define HEAP_NEED_TABLE 2
#define HEAP_TRIMMING 3
void heap_defer_syscalls(heap *h, int (*queue_trim)(void *user, void *addr, size_t len),
                         void *user);
void *heap_table_new(void);
void heap_table_free(void *t);
int heap_give_table(heap *h, void *t);
void heap_trim_done(heap *h, void *addr);

/*
 * Free the used block whose base is addr; fills *info (may be NULL) with what it was.
 * CLSVM_ERR_NOTFOUND (nothing changes) when addr is not the base of a used block.
 */
int heap_free(heap *h, uintptr_t addr, heap_block_info *info);

/* The free block [*lo, *hi) that the last successful heap_free or heap_free_checked returned
 * its block to, after coalescing with free neighbours (the window returns its whole free pages
 * to the OS from there). Both 0 before any free. */
void heap_last_free(const heap *h, uintptr_t *lo, uintptr_t *hi);

/* Free addr only if it is the base of a live block whose tag is tag (any tag if tag is NULL):
 * CLSVM_OK (freed), CLSVM_ERR_NOTFOUND (addr in no live block), CLSVM_ERR_MISMATCH (inside a
 * live block but not its base, or another tag; nothing freed). *info describes the block found. */
int heap_free_checked(heap *h, uintptr_t addr, const void *tag, heap_block_info *info);

/*
 * The used block containing p: [addr, addr + size) with size as requested. Lock-free and safe
 * against concurrent heap calls: a block freed or allocated during the call may be reported
 * either way (a freed one as CLSVM_ERR_NOTFOUND, never with another block's fields); a block
 * live throughout the call is always found.
 */
int heap_lookup(const heap *h, uintptr_t p, heap_block_info *info);

/* The lookup map of the range containing addr (NULL if none): heap_map_lookup() on it is
 * heap_lookup() without finding the range, for a caller that knows its range (the window). */
struct heap_map *heap_range_map(const heap *h, uintptr_t addr);

/* Visit used blocks in address order (not hidden ones); stop when fn returns non-zero. */
void heap_foreach(const heap *h, int (*fn)(const heap_block_info *, void *), void *user);

void heap_get_stats(const heap *h, heap_stats *st);
int heap_validate(const heap *h); /* CLSVM_OK or CLSVM_ERR_INVALID (logs the first problem) */
/* heap_validate allowing up to hidden_blocks used blocks not shown (the window's in flight). */
int heap_validate_hidden(const heap *h, uint64_t hidden_blocks);

#endif
