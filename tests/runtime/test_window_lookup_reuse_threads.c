/* test_window_lookup_reuse_threads: lock-free lookups never report an allocation that was freed
 * before the call began, nor mix two allocations, while the same addresses are freed and handed to
 * new allocations of other sizes, tags and flags, and while the lookup tables of emptied
 * chunks are trimmed (their pages zeroed) in between. One writer allocates 1024 blocks (1 to
 * 1024 bytes, a quarter up to 9000: a block's start is another block's interior in the next round,
 * and an address holds small blocks, which the map keeps in an entry, and larger ones, which it
 * keeps as a record pointer, in turn) and frees them in random order, eight rounds per phase, then
 * has every emptied chunk decommitted, which trims the chunk's table; ids grow, and "every id below
 * R is freed" is published after each round. Readers probe the span and the blocks being freed: a
 * hit must carry the size and flags of its tag's id, contain p, sit at the id's published base if
 * still published, and have an id >= R read before the call. Built in the TSan tree too. */
#include "check.h"

#include "clsvm/runtime.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>

#define READERS 2
#define PER_PHASE 1024
#if defined(__SANITIZE_THREAD__)
#define PHASES 10
#else
#define PHASES 150
#endif
#define ROUNDS 8 /* of allocating and freeing a phase's blocks before the chunks are trimmed */
#define MAXID (PHASES * ROUNDS * PER_PHASE + 1)
#define SPAN (PER_PHASE * 2048) /* bytes probed from the window's base */

static clsvm_window *w;
static clsvm_window_info wi;
static _Atomic uintptr_t published[MAXID];  /* id -> base while live, else 0 */
static _Atomic uintptr_t retired_below = 1; /* every id below it has been freed */
static _Atomic uintptr_t recent[64];        /* blocks being freed: where the races are */
static atomic_int writer_done;
static atomic_ullong hits, probes;

static uint64_t mix(uint64_t x)
{
    x ^= x >> 31;
    x *= 0x9E3779B97F4A7C15ULL;
    return x ^ (x >> 29);
}

/* Mostly up to 1 KiB; one in four up to 9000 bytes, so the map's three places (entry, slot per
 * granule, slot per 4 KiB group) all hold starts that other blocks then cover. */
static size_t size_of_id(uintptr_t id)
{
    uint64_t x = mix(id);
    return 1 + (size_t)(x >> 8) % ((x & 3) ? 1024 : 9000);
}

static uint32_t flags_of_id(uintptr_t id)
{
    return (uint32_t)(mix(id * 31 + 7) >> 7);
}

static void *writer(void *arg)
{
    (void)arg;
    unsigned long long seed = 0xC0FFEEULL;
    static uintptr_t ids[PER_PHASE];
    static void *bases[PER_PHASE];
    uintptr_t next_id = 1;
    uint64_t decommits = 0;
    for (int phase = 0; phase < PHASES; phase++) {
        for (int round = 0; round < ROUNDS; round++) {
            for (int i = 0; i < PER_PHASE; i++) {
                uintptr_t id = next_id++;
                int rc = clsvm_alloc(w, size_of_id(id), 0, flags_of_id(id), (void *)id, &bases[i]);
                CHECK_MSG(rc == CLSVM_OK, "alloc: %s", clsvm_status_str(rc));
                ids[i] = id;
                atomic_store(&published[id], (uintptr_t)bases[i]);
            }
            for (int i = PER_PHASE; i > 0; i--) { /* random order */
                int j = (int)(test_rand(&seed) % (uint64_t)i);
                atomic_store(&recent[i % 64], (uintptr_t)bases[j]);
                atomic_store(&published[ids[j]], 0);
                CHECK_EQ(clsvm_free(w, bases[j]), CLSVM_OK);
                ids[j] = ids[i - 1];
                bases[j] = bases[i - 1];
            }
            atomic_store(&retired_below, next_id);
        }
        /* Releases the chunks kept for reuse: decommitted, their tables trimmed. */
        clsvm_stats st;
        clsvm_window_get_stats(w, &st);
        CHECK_EQ(st.committed, 0);
        CHECK_MSG(st.decommits > decommits, "phase %d decommitted nothing", phase);
        decommits = st.decommits;
        if (phase == PHASES / 2) /* let the readers run on whatever the cores do */
            while (atomic_load(&probes) < 20000)
                sched_yield();
    }
    atomic_store(&writer_done, 1);
    return NULL;
}

static void *reader(void *arg)
{
    unsigned long long seed = 0x5EEDULL + (unsigned long long)(intptr_t)arg * 7919;
    while (!atomic_load(&writer_done)) {
        uint64_t r = test_rand(&seed);
        uintptr_t p = r % 4 ? atomic_load(&recent[(r >> 8) % 64]) + (r >> 16) % 1024
                            : wi.base + (uintptr_t)((r >> 8) % SPAN);
        uintptr_t retired = atomic_load(&retired_below);
        clsvm_alloc_info ai;
        int rc = clsvm_lookup(w, (void *)p, &ai);
        atomic_fetch_add_explicit(&probes, 1, memory_order_relaxed);
        if (rc == CLSVM_ERR_NOTFOUND)
            continue;
        CHECK_MSG(rc == CLSVM_OK, "lookup rc %d", rc);
        uintptr_t id = (uintptr_t)ai.tag, base = (uintptr_t)ai.base;
        CHECK_MSG(id > 0 && id < MAXID, "lookup %#lx: tag %#lx is no allocation's",
                  (unsigned long)p, (unsigned long)id);
        CHECK_MSG(id >= retired, "lookup %#lx: id %lu, freed before the call (all below %lu)",
                  (unsigned long)p, (unsigned long)id, (unsigned long)retired);
        CHECK_MSG(ai.size == size_of_id(id) && ai.flags == flags_of_id(id),
                  "lookup %#lx: size %zu flags %u are not those of id %lu", (unsigned long)p,
                  ai.size, ai.flags, (unsigned long)id);
        CHECK_MSG(p >= base && p - base < ai.size, "lookup %#lx: outside %#lx+%zu",
                  (unsigned long)p, (unsigned long)base, ai.size);
        uintptr_t pub = atomic_load(&published[id]);
        CHECK_MSG(pub == 0 || pub == base, "lookup %#lx: id %lu at %#lx, published at %#lx",
                  (unsigned long)p, (unsigned long)id, (unsigned long)base, (unsigned long)pub);
        atomic_fetch_add_explicit(&hits, 1, memory_order_relaxed);
    }
    return NULL;
}

int main(void)
{
    clsvm_config cfg;
    clsvm_config_init(&cfg);
    cfg.window_size = (uint64_t)1 << 30;
    CHECK_EQ(clsvm_window_open(&cfg, &w), CLSVM_OK);
    clsvm_window_get_info(w, &wi);
    pthread_t t[1 + READERS];
    CHECK_EQ(pthread_create(&t[0], NULL, writer, NULL), 0);
    for (int i = 0; i < READERS; i++)
        CHECK_EQ(pthread_create(&t[1 + i], NULL, reader, (void *)(intptr_t)i), 0);
    for (int i = 0; i < 1 + READERS; i++)
        CHECK_EQ(pthread_join(t[i], NULL), 0);
    CHECK_EQ(clsvm_window_validate(w), CLSVM_OK);
    printf("ok: %llu probes, %llu hits\n", (unsigned long long)probes, (unsigned long long)hits);
    CHECK(hits > 0); /* the readers did race live blocks */
    clsvm_window_close(w);
    return test_exit_code();
}
