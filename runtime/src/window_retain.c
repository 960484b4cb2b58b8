/*
 * window_retain.c: which empty chunks stay committed after a free (docs/runtime.md "Commit
 * and decommit").
 *
 * Freeing the last allocation of a 2 MiB chunk would decommit it (an mmap or madvise), and the
 * next allocation there would commit it again (an mprotect): two syscalls and a page fault per
 * page, which made 1 MiB alloc/free pairs cost microseconds. So the window keeps the chunks
 * that frees empty committed, up to RETAIN_CHUNKS (64 MiB: the ceiling glibc's malloc lets its
 * trim threshold grow to on 64-bit), each held by one extra commit count, oldest released
 * first. Only blocks spanning at most two chunks retain (a 1 MiB buffer often straddles two);
 * a larger free returns all its memory at once, as before.
 *
 * Bounds on resident memory: at most 64 MiB beyond what live allocations need while any are
 * live; when the last live allocation is freed all but one chunk go back, so a process that
 * frees everything keeps at most 2 MiB (and an alloc/free loop of one buffer still costs no
 * syscall). clsvm_window_get_stats() releases all of them first, so `committed` is exactly
 * what live allocations need.
 * Cost: O(RETAIN_CHUNKS) per free that empties a chunk, O(1) otherwise.
 */
#include "window.h"

#include "clsvm/internal/log.h"

#define RETAIN_SPAN_MAX 2

static uintptr_t chunk_base(const clsvm_window *w, uintptr_t addr)
{
    /* Chunks are counted from the window base (commit_map), not from address 0. */
    return w->region.base + ((addr - w->region.base) & ~(uintptr_t)(CLSVM_COMMIT_CHUNK - 1));
}

static void release_oldest(clsvm_window *w)
{
    retained_chunks *r = &w->retained;
    commit_map_release(w->commits, r->chunk[0], 1);
    for (unsigned i = 1; i < r->count; i++)
        r->chunk[i - 1] = r->chunk[i];
    r->count--;
}

/* Keep chunk committed: newest in the list (moved there if it is already retained). */
static void retain_chunk(clsvm_window *w, uintptr_t chunk)
{
    retained_chunks *r = &w->retained;
    for (unsigned i = 0; i < r->count; i++)
        if (r->chunk[i] == chunk) {
            for (; i + 1 < r->count; i++)
                r->chunk[i] = r->chunk[i + 1];
            r->chunk[r->count - 1] = chunk;
            return;
        }
    /* The chunk is committed (a live block is on it): the extra count costs no syscall. */
    if (commit_map_acquire(w->commits, chunk, 1) != CLSVM_OK)
        return; /* cannot happen for a committed chunk; without retention it just decommits */
    if (r->count == RETAIN_CHUNKS)
        release_oldest(w);
    r->chunk[r->count++] = chunk;
}

void retain_before_free(clsvm_window *w, uintptr_t addr, size_t size)
{
    if (commit_map_span(w->commits, addr, size) > RETAIN_SPAN_MAX)
        return;
    uintptr_t first = chunk_base(w, addr), last = chunk_base(w, addr + size - 1);
    for (uintptr_t c = first; c <= last; c += CLSVM_COMMIT_CHUNK)
        if (commit_map_count(w->commits, c) == 1) /* this block is the chunk's last user */
            retain_chunk(w, c);
}

void retain_drop(clsvm_window *w, unsigned keep)
{
    while (w->retained.count > keep)
        release_oldest(w);
}

int retain_validate(clsvm_window *w)
{
    const retained_chunks *r = &w->retained;
    if (r->count > RETAIN_CHUNKS) {
        clsvm_log(CLSVM_LOG_ERROR, "window validate: %u retained chunks", r->count);
        return CLSVM_ERR_INVALID;
    }
    for (unsigned i = 0; i < r->count; i++) {
        uintptr_t c = r->chunk[i];
        int dup = 0;
        for (unsigned j = 0; j < i; j++)
            dup |= r->chunk[j] == c;
        if (dup || c < w->region.base || c - w->region.base >= w->region.size ||
            c != chunk_base(w, c) || commit_map_covers(w->commits, c, 1) != CLSVM_OK) {
            clsvm_log(CLSVM_LOG_ERROR,
                      "window validate: retained chunk %#lx is a duplicate, outside the window "
                      "or not committed",
                      (unsigned long)c);
            return CLSVM_ERR_INVALID;
        }
    }
    return CLSVM_OK;
}
