/*
 * heap_map_tables.c: the memory of a lookup map's start tables: mapped straight from the OS,
 * handed in as spares by a caller that maps them without its lock (heap_map_defer), and
 * trimmed once they hold no start (heap_map_trim), through the caller's queue when deferred.
 */
#include "heap_map_internal.h"

#include <clsvm/runtime.h>

#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Start tables come straight from mmap: zero pages that cost nothing until written. calloc
 * would serve 130 KiB from a free chunk of the malloc heap when its mmap threshold has grown
 * (it does after large frees) and clear it with memset, making the whole table resident. */
static void *sys_map(size_t len)
{
    void *g = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return g == MAP_FAILED ? NULL : g;
}

static void sys_trim(void *addr, size_t len)
{
    madvise(addr, len, MADV_DONTNEED);
}

heap_map_sys heap_map_syscalls = {sys_map, sys_trim};

void *heap_map_table_new(void)
{
    return table_new();
}

void heap_map_table_free(void *t)
{
    table_free(t);
}

void heap_map_defer(heap_map *m, int (*queue_trim)(void *user, void *addr, size_t len), void *user)
{
    m->deferred = true;
    m->queue_trim = queue_trim;
    m->queue_user = user;
}

int heap_map_give_table(heap_map *m, void *t)
{
    if (m->nspare == SPARES)
        return CLSVM_ERR_HOSTMEM; /* enough in stock: the caller unmaps it */
    m->spare[m->nspare++] = t;
    return CLSVM_OK;
}

void heap_map_trim_done(heap_map *m, void *addr)
{
    for (size_t i = 0; i < m->ntrimming; i++)
        if ((void *)m->trimming[i] == addr) {
            m->trimming[i] = m->trimming[--m->ntrimming];
            return;
        }
}

static int trimming_add(heap_map *m, gtable *g)
{
    if (m->ntrimming == m->trimming_cap) {
        size_t cap = m->trimming_cap ? 2 * m->trimming_cap : 8;
        gtable **t = realloc(m->trimming, cap * sizeof *t);
        if (!t)
            return CLSVM_ERR_HOSTMEM;
        m->trimming = t;
        m->trimming_cap = cap;
    }
    m->trimming[m->ntrimming++] = g;
    return CLSVM_OK;
}

void heap_map_trim(heap_map *m, uintptr_t addr, uint64_t len)
{
    uintptr_t end = addr + len;
    if (addr < m->base)
        addr = m->base;
    if (end > m->base + m->size)
        end = m->base + m->size;
    if (addr >= end)
        return;
    long page = sysconf(_SC_PAGESIZE);
    for (uint64_t c = chunk_of(m, addr); c <= chunk_of(m, end - 1); c++) {
        mchunk *ch = chunk_entry(m, c);
        gtable *g = ch ? atomic_load_explicit(&ch->g, memory_order_relaxed) : NULL;
        /* A table that dirtied only a few pages (blocks of a MiB or more start once or twice
         * per chunk) keeps them: trimming would cost a madvise and page faults on every
         * alloc/free cycle of such blocks (7x the CPU time of 1 MiB pairs), for at most 12 KiB. */
        int touched = 0;
        for (int i = 0; g && i < TOUCH_WORDS; i++)
            touched += __builtin_popcountll(g->touched[i]);
        if (!g || g->starts || page <= 0 || touched < TRIM_MIN_PAGES)
            continue;
        memset(g->touched, 0, sizeof g->touched);
        /* With no start the summary, bits, count and slots are zero; entries and small bits
         * may still hold withdrawn small blocks, which no reader reaches without a stale start
         * bit. All read as zero after MADV_DONTNEED (anonymous memory comes back zero-filled):
         * an entry with sequence 0 holds no block, and a reader that read an entry's number
         * before the trim cannot see it again (entry_set draws them from the map's counter). */
        uintptr_t lo = ((uintptr_t)g + (uintptr_t)page - 1) & ~((uintptr_t)page - 1);
        uintptr_t hi = (uintptr_t)(g + 1) & ~((uintptr_t)page - 1);
        if (hi <= lo || is_trimming(m, g))
            continue;
        if (m->queue_trim && trimming_add(m, g) == CLSVM_OK) {
            if (m->queue_trim(m->queue_user, (void *)lo, hi - lo) == CLSVM_OK)
                continue; /* run without the lock; heap_map_trim_done(lo) after */
            m->ntrimming--;
        }
        heap_map_syscalls.trim((void *)lo, hi - lo);
    }
}
