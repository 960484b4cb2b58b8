/* test_window_lookup_threads: lock-free lookups racing allocations and frees never return a
 * wrong allocation. Writers allocate and free blocks whose size and flags are functions of a
 * unique id carried as the tag, and publish id -> base while the block is live. Readers probe
 * random addresses and the writers' live blocks: every hit must be self-consistent (size and
 * flags those of its tag, p inside [base, base + size)) and, if the id is still published, at
 * the published base. Each writer also looks up its own live blocks, which must always be
 * found exactly. Built in the TSan tree too: all shared record fields are atomics. */
#include "check.h"

#include "clsvm/runtime.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>

#define WRITERS 2
#define READERS 2
#define SLOTS 128
#define ROUNDS 20000
#define MAXID (WRITERS * (ROUNDS + SLOTS) + 1)

static clsvm_window *w;
static clsvm_window_info wi;
static _Atomic uintptr_t published[MAXID]; /* id -> base while live, else 0 */
static _Atomic uintptr_t recent[256];      /* bases of recently allocated blocks */
static atomic_int writers_done;
static atomic_ullong hits, probes;

static uint64_t mix(uint64_t x)
{
    x ^= x >> 31;
    x *= 0x9E3779B97F4A7C15ULL;
    return x ^ (x >> 29);
}

static size_t size_of_id(uintptr_t id)
{
    uint64_t h = mix(id);
    return h % 16 == 0 ? 1 + (size_t)(h >> 8) % (3 << 20) : 1 + (size_t)(h >> 8) % 2048;
}

static uint32_t flags_of_id(uintptr_t id)
{
    return (uint32_t)(mix(id * 31 + 7) >> 7);
}

static void check_hit(uintptr_t p, const clsvm_alloc_info *ai)
{
    uintptr_t id = (uintptr_t)ai->tag, base = (uintptr_t)ai->base;
    CHECK_MSG(id > 0 && id < MAXID, "lookup %#lx: tag %#lx is no allocation's", (unsigned long)p,
              (unsigned long)id);
    CHECK_MSG(ai->size == size_of_id(id) && ai->flags == flags_of_id(id),
              "lookup %#lx: size %zu flags %u are not those of id %lu", (unsigned long)p, ai->size,
              ai->flags, (unsigned long)id);
    CHECK_MSG(p >= base && p - base < ai->size, "lookup %#lx: outside %#lx+%zu", (unsigned long)p,
              (unsigned long)base, ai->size);
    CHECK_MSG(base % 128 == 0, "lookup %#lx: base %#lx misaligned", (unsigned long)p,
              (unsigned long)base);
    uintptr_t pub = atomic_load(&published[id]);
    CHECK_MSG(pub == 0 || pub == base, "lookup %#lx: id %lu at %#lx, published at %#lx",
              (unsigned long)p, (unsigned long)id, (unsigned long)base, (unsigned long)pub);
}

static void *writer(void *arg)
{
    int index = (int)(intptr_t)arg;
    unsigned long long seed = 0xABCDEFULL + (unsigned long long)index * 104729;
    struct {
        uintptr_t base, id;
    } mine[SLOTS] = {{0, 0}};
    uintptr_t next_id = 1 + (uintptr_t)index * (ROUNDS + SLOTS);
    for (int r = 0; r < ROUNDS; r++) {
        int s = (int)(test_rand(&seed) % SLOTS);
        clsvm_alloc_info ai;
        if (mine[s].base) {
            size_t size = size_of_id(mine[s].id);
            uintptr_t p = mine[s].base + test_rand(&seed) % size;
            CHECK_EQ(clsvm_lookup(w, (void *)p, &ai), CLSVM_OK); /* live throughout */
            CHECK(ai.base == (void *)mine[s].base && ai.tag == (void *)mine[s].id);
            atomic_store(&published[mine[s].id], 0);
            CHECK_EQ(clsvm_free(w, (void *)mine[s].base), CLSVM_OK);
            mine[s].base = 0;
            continue;
        }
        uintptr_t id = next_id++;
        void *p;
        int rc = clsvm_alloc(w, size_of_id(id), 0, flags_of_id(id), (void *)id, &p);
        CHECK_MSG(rc == CLSVM_OK, "alloc: %s", clsvm_status_str(rc));
        mine[s].base = (uintptr_t)p;
        mine[s].id = id;
        atomic_store(&published[id], (uintptr_t)p);
        atomic_store(&recent[test_rand(&seed) % 256], (uintptr_t)p);
    }
    /* Keep the last blocks live until the readers have probed a while, however the two
     * cores were shared: then some probes must have hit. Counted from now: on a loaded
     * machine the readers may have spun through thousands of probes before any block was
     * allocated, and the writers then finish their rounds without a reader running. */
    unsigned long long from = atomic_load(&probes);
    while (atomic_load(&probes) - from < 20000)
        sched_yield();
    for (int s = 0; s < SLOTS; s++)
        if (mine[s].base) {
            atomic_store(&published[mine[s].id], 0);
            CHECK_EQ(clsvm_free(w, (void *)mine[s].base), CLSVM_OK);
        }
    atomic_fetch_add(&writers_done, 1);
    return NULL;
}

static void *reader(void *arg)
{
    unsigned long long seed = 0x5EEDULL + (unsigned long long)(intptr_t)arg * 7919;
    while (atomic_load(&writers_done) < WRITERS) {
        uintptr_t p;
        uint64_t r = test_rand(&seed);
        if (r % 2) /* near a block allocated recently: likely live, or being freed */
            p = atomic_load(&recent[(r >> 8) % 256]) + (r >> 16) % 4096;
        else
            p = wi.base + (r >> 8) % (512 << 20);
        clsvm_alloc_info ai;
        int rc = clsvm_lookup(w, (void *)p, &ai);
        CHECK_MSG(rc == CLSVM_OK || rc == CLSVM_ERR_NOTFOUND, "lookup rc %d", rc);
        if (rc == CLSVM_OK) {
            check_hit(p, &ai);
            atomic_fetch_add_explicit(&hits, 1, memory_order_relaxed);
        }
        atomic_fetch_add_explicit(&probes, 1, memory_order_relaxed);
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
    pthread_t t[WRITERS + READERS];
    for (int i = 0; i < WRITERS; i++)
        CHECK_EQ(pthread_create(&t[i], NULL, writer, (void *)(intptr_t)i), 0);
    for (int i = 0; i < READERS; i++)
        CHECK_EQ(pthread_create(&t[WRITERS + i], NULL, reader, (void *)(intptr_t)i), 0);
    for (int i = 0; i < WRITERS + READERS; i++)
        CHECK_EQ(pthread_join(t[i], NULL), 0);
    CHECK_EQ(clsvm_window_validate(w), CLSVM_OK);
    clsvm_stats st;
    clsvm_window_get_stats(w, &st);
    CHECK_EQ(st.live_allocations, 0);
    printf("ok: %llu probes, %llu hits\n", (unsigned long long)probes, (unsigned long long)hits);
    CHECK(hits > 0); /* the readers did race live blocks */
    clsvm_window_close(w);
    return 0;
}
