/*
 * heap_map.c: the lock-free lookup structure of a heap range (heap_map.h): for an interior
 * pointer p, the one used block that can contain it, in O(1) and without a lock, so that
 * clsvm_lookup() (every SVM kernel argument, exec-info pointer and enqueue range check) does
 * not wait on the window mutex or descend a tree.
 * This file creates and destroys a map. The design below is the whole map's; its parts are
 * heap_map_find.c (the lock-free reads), heap_map_publish.c (the writer: prepare, insert,
 * show, hide, remove), heap_map_tables.c (the start tables' memory: mapping, spares, trims)
 * and heap_map_validate.c; heap_map_internal.h holds the layout they share.
 *
 * Layout: the range is cut into chunks of 16384 granules (2 MiB with the window's 128-byte
 * granule). A two-level table (leaves of 4096 chunk entries, 8 GiB of window each at 2 MiB)
 * gives each chunk two words:
 *  - cover: the used block that starts in an earlier chunk and reaches into this one (at most
 *    one can: blocks do not overlap). A block spanning a whole leaf's chunks sets the leaf's
 *    cover instead (lcover, next to the leaf pointer; the leaf itself need not exist), so a
 *    block costs at most 2 x 4096 chunk writes plus one per 8 GiB: a 1 MiB block at most one
 *    write, a 64 GiB one 8, not one per page.
 *  - g: the chunk's start table, allocated when a block first starts in the chunk: one bit per
 *    granule (set where a used block starts), a 256-bit summary (bit w set iff bit word w is
 *    non-zero) and, per granule, where the block starting there is published: a block of at
 *    most ENTRY_GRANULES granules in a 32-byte entry (its size, tag and flags, with a sequence
 *    number of its own, and its record), a block of at least BIG_GRANULES granules (4 KiB) in
 *    the 8-byte slot of its 32-granule group (bslot; a bit per granule says so), one in
 *    between in an 8-byte slot per granule (its record).
 * find(p): the highest set bit at or below p's granule in p's chunk (one masked word, else one
 * of four summary words and one more bit word) names the only block that can contain p; with
 * no start below p in its chunk, the chunk's cover, else the leaf's, is the candidate. Cost:
 * at most seven dependent loads, no lock, no loop over live blocks. A lookup reaches the start
 * table through flat (one pointer per chunk, mmap'd address space) rather than leaf and chunk
 * entry when the kernel granted that array.
 * lookup(p) = find(p) + reading the candidate: for a small block its entry, one cache line
 * beside nothing else (the record and its successor's address, which give the size, are two
 * or three more lines at random addresses: at 100,000 live blocks they made a lookup miss the
 * L2 cache twice); for a larger block or a cover, the record (heap_block_read).
 *
 * Concurrency: the heap serialises writers (the window mutex); readers take no lock. Every
 * shared word is a C11 atomic (release stores, acquire loads: plain moves on x86), so a reader
 * sees each word either before or after a write, never torn. Tables and leaves are never freed
 * before the map is destroyed, so a reader holding a stale pointer reads valid memory. The map
 * only names a candidate, read under a sequence counter: the entry's (entry_set, entry_read) or
 * the record's (heap_tlsf.c), so a racing free makes a lookup report "not live", never a
 * wrong block or a mix of two.
 * A block live for the whole lookup is always found: while it lives no other block starts
 * between its start and p, its bit, slot and summary bit stay set, and a summary bit found
 * stale (word already cleared by a racing free) only makes the search continue lower.
 *
 * Memory: 64 KiB per leaf (one per 8 GiB of window that ever held a block) and 642 KiB of
 * address space per chunk that ever held a block start, kept until the heap is destroyed;
 * mmap'd, so only pages written cost memory, whatever state the malloc heap is in: the slots
 * are 8 bytes per 128-byte granule (6.3% of the span of the blocks of 640 bytes to 4 KiB that
 * use them), the group slots 8 bytes per 4 KiB (0.2%: a table of page-sized blocks is 3 pages
 * instead of 35), the entries 32 (25% of the span of blocks of up to 512 bytes: 32 bytes per
 * 64-byte allocation, none for a 4 KiB one). heap_map_trim() returns the pages of tables left
 * without starts that dirtied at least 4 pages (the window calls it when it decommits a chunk): at
 * most 12 KiB stays resident per empty table.
 *
 * Syscalls without the writer's lock (heap_map_defer, the window's choice): the map then never
 * calls mmap or madvise itself. A chunk that needs a start table takes a spare one (mapped by the
 * caller without its lock: heap_map_table_new, heap_map_give_table), else prepare returns
 * HEAP_MAP_NEED_TABLE. A trim is handed to the caller's queue and run later without the lock;
 * until heap_map_trim_done the table is *trimming*: prepare for a block starting in its chunk
 * returns HEAP_MAP_TRIMMING (the writer waits and tries again), since madvise would zero what
 * the insert wrote. Nothing else writes a table without starts, and readers may read it
 * meanwhile as before (they find no start). A spare table has never been attached, so it may
 * serve any chunk; an attached one stays with its chunk (a stalled reader may still read it).
 */
#include "heap_map_internal.h"

#include <clsvm/runtime.h>

#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>

int heap_map_create(uintptr_t base, uint64_t size, unsigned gshift, heap_map **out)
{
    *out = NULL;
    heap_map *m = calloc(1, sizeof *m);
    if (!m)
        return CLSVM_ERR_HOSTMEM;
    m->base = base;
    m->size = size;
    m->gshift = gshift;
    m->cshift = gshift + GRAN_BITS;
    m->nchunks = ((size - 1) >> m->cshift) + 1;
    m->nleaves = (size_t)(((m->nchunks - 1) >> LEAF_BITS) + 1);
    m->leaves = calloc(m->nleaves, sizeof *m->leaves);
    m->lcover = calloc(m->nleaves, sizeof *m->lcover);
    if (!m->leaves || !m->lcover) {
        free(m->leaves);
        free(m->lcover);
        free(m);
        return CLSVM_ERR_HOSTMEM;
    }
    m->bytes = sizeof *m + m->nleaves * (sizeof *m->leaves + sizeof *m->lcover);
    /* The start tables again, one pointer per chunk, so that a lookup reaches p's table in
     * one load instead of two (leaf, then chunk entry). Address space only, touched where
     * tables exist (256 KiB for the default 64 GiB window, 512 MiB for a 128 TiB one); where
     * the kernel refuses it the lookup walks the leaves. */
    void *flat = mmap(NULL, m->nchunks * sizeof *m->flat, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    m->flat = flat == MAP_FAILED ? NULL : flat;
    *out = m;
    return CLSVM_OK;
}

void heap_map_destroy(heap_map *m)
{
    if (!m)
        return;
    for (size_t l = 0; l < m->nleaves; l++) {
        mleaf *leaf = atomic_load_explicit(&m->leaves[l], memory_order_relaxed);
        if (!leaf)
            continue;
        for (size_t i = 0; i < LEAF_CHUNKS; i++)
            table_free(atomic_load_explicit(&leaf->c[i].g, memory_order_relaxed));
        free(leaf);
    }
    for (unsigned i = 0; i < m->nspare; i++)
        table_free(m->spare[i]);
    free(m->trimming);
    if (m->flat)
        munmap(m->flat, m->nchunks * sizeof *m->flat);
    free(m->leaves);
    free(m->lcover);
    free(m);
}

uint64_t heap_map_bytes(const heap_map *m)
{
    return m->bytes;
}
