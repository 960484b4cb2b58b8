/* test_window_small_dir: the small-allocation directory (window_small.c) is mapped when the
 * window opens, so making slabs runs no mmap under the window lock; where the kernel refuses the
 * writable directory, small allocations come from the heap and still work; and lookups (also the
 * ICD's clsvm_lookup_small_is) of interior pointers racing with frees, reuse of the same slots
 * under other tags and sizes, and slabs going back to the heap, never see a wrong allocation.
 *
 * The test defines mmap itself (the runtime is linked in statically, so its calls come here):
 * it counts the address-space reservations made while the calling thread holds the window lock,
 * and refuses the writable directory mapping on request. Under a sanitizer, which intercepts
 * mmap, only the race runs (and the test reports a skipped part). */
#include "check.h"

#include "clsvm/internal/lookup.h"
#include "clsvm/runtime.h"
#include "window.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define REPLACES_MMAP 0 /* the sanitizer intercepts mmap: only the race runs */
#else
#define REPLACES_MMAP 1
#endif

#define WINDOW ((uint64_t)1 << 30)
#define SLAB ((uint64_t)64 << 10)

static clsvm_window *_Atomic watched;
static atomic_int mmaps_locked;
static atomic_size_t refuse_writable; /* this length, writable: ENOMEM */

#if REPLACES_MMAP
void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    clsvm_window *w = atomic_load(&watched);
    if (w) {
        /* Held: in this test, by the caller. Only address-space reservations (MAP_NORESERVE,
         * as the directory's leaves were) count: the heap's start tables are mapped under the
         * lock too, when a chunk gets its first block (heap_map.c, another matter). */
        if (pthread_mutex_trylock(&w->lock) == EBUSY) {
            if (flags & MAP_NORESERVE) {
                fprintf(stderr, "mmap of %zu bytes (MAP_NORESERVE) under the window lock\n", len);
                atomic_fetch_add(&mmaps_locked, 1);
            }
        } else {
            pthread_mutex_unlock(&w->lock);
        }
    }
    if (len == atomic_load(&refuse_writable) && (prot & PROT_WRITE)) {
        errno = ENOMEM;
        return MAP_FAILED;
    }
    long r = syscall(SYS_mmap, addr, len, prot, flags, fd, off);
    if (r < 0 && r > -4096) {
        errno = (int)-r;
        return MAP_FAILED;
    }
    return (void *)r;
}
#endif

static int tags[4];

static clsvm_window *open_window(void)
{
    clsvm_config cfg;
    clsvm_config_init(&cfg);
    cfg.window_size = WINDOW;
    clsvm_window *w = NULL;
    CHECK_EQ(clsvm_window_open(&cfg, &w), CLSVM_OK);
    return w;
}

static uint64_t slabs(clsvm_window *w)
{
    small_counts_t c;
    pthread_mutex_lock(&w->lock);
    small_counts(w, &c);
    pthread_mutex_unlock(&w->lock);
    return c.slabs;
}

/* n allocations of every small class and one heap-sized: lookups exact (interior, slack), the
 * ICD's question answered for small ones only, frees. Returns how many slabs held them. */
static uint64_t exercise(clsvm_window *w, int n)
{
    static const size_t sizes[] = {40, 200, 500, 1000, 3000};
    enum { NS = sizeof sizes / sizeof *sizes };
    static char *p[NS][2000];
    CHECK(n <= 2000);
    for (int s = 0; s < NS; s++)
        for (int i = 0; i < n; i++) {
            CHECK_EQ(clsvm_alloc(w, sizes[s], 0, (uint32_t)s, &tags[s % 4], (void **)&p[s][i]),
                     CLSVM_OK);
            memset(p[s][i], s + 1, sizes[s]);
        }
    uint64_t used = slabs(w);
    for (int s = 0; s < NS; s++)
        for (int i = 0; i < n; i++) {
            clsvm_alloc_info in;
            char *q = p[s][i] + sizes[s] - 1;
            CHECK_EQ(clsvm_lookup(w, q, &in), CLSVM_OK);
            CHECK(in.base == p[s][i] && in.size == sizes[s] && in.flags == (uint32_t)s &&
                  in.tag == &tags[s % 4]);
            CHECK_EQ(clsvm_lookup(w, q + 1, &in), CLSVM_ERR_NOTFOUND); /* slack or next */
            int small = sizes[s] <= 1024 && used;
            CHECK_EQ(clsvm_lookup_small_is(w, q, &tags[s % 4], 8), small);
            CHECK_EQ(clsvm_lookup_small_is(w, q, &tags[(s + 1) % 4], 8), 0);
            CHECK_EQ(clsvm_lookup_small_is(w, q, &tags[s % 4], (uint32_t)s), 0);
            CHECK_EQ(clsvm_lookup_small_is(w, q + 1, &tags[s % 4], 8), 0);
        }
    CHECK_EQ(clsvm_window_validate(w), CLSVM_OK);
    for (int s = 0; s < NS; s++)
        for (int i = 0; i < n; i += 2)
            CHECK_EQ(clsvm_free(w, p[s][i]), CLSVM_OK);
    for (int s = 0; s < NS; s++)
        for (int i = 0; i < n; i++) {
            clsvm_alloc_info in;
            CHECK_EQ(clsvm_lookup(w, p[s][i] + 1, &in), i % 2 ? CLSVM_OK : CLSVM_ERR_NOTFOUND);
            if (i % 2)
                CHECK_EQ(clsvm_free(w, p[s][i]), CLSVM_OK);
        }
    CHECK_EQ(clsvm_window_validate(w), CLSVM_OK);
    return used;
}

/* ---- lookups racing with frees and reuse ---- */

enum { RACE_ROUNDS = 300, RACE_N = 700 };
static char *_Atomic shown[RACE_N]; /* the allocator's live blocks, for the reader to aim at */
static atomic_int race_done;
static atomic_long seen_live, seen_other;

/* Block sizes by tag: an answer mixing two allocations shows as a size, flags or tag that do
 * not belong together. */
static size_t size_of_tag(const void *tag)
{
    return (size_t)((const int *)tag - tags) * 300 + 24;
}

static void *allocator(void *arg)
{
    clsvm_window *w = arg;
    unsigned long long seed = 99;
    for (int r = 0; r < RACE_ROUNDS; r++) {
        int t = (int)(test_rand(&seed) % 4);
        size_t size = size_of_tag(&tags[t]);
        for (int i = 0; i < RACE_N; i++) {
            char *p;
            CHECK_EQ(clsvm_alloc(w, size, 0, (uint32_t)size, &tags[t], (void **)&p), CLSVM_OK);
            atomic_store(&shown[i], p);
        }
        /* Freed in a scattered order: slabs empty at different times and go back to the heap
         * (the next round's other size class takes their address range). */
        for (int i = 0; i < RACE_N; i++) {
            int j = (int)((unsigned)(i * 7919) % RACE_N);
            char *p = atomic_load(&shown[j]);
            CHECK_EQ(clsvm_free(w, p), CLSVM_OK);
        }
    }
    atomic_store(&race_done, 1);
    return NULL;
}

static void *reader(void *arg)
{
    clsvm_window *w = arg;
    unsigned long long seed = 7;
    while (!atomic_load(&race_done)) {
        char *p = atomic_load(&shown[test_rand(&seed) % RACE_N]);
        if (!p)
            continue;
        char *q = p + test_rand(&seed) % 1100; /* inside, in the slack, or in a neighbour */
        clsvm_alloc_info in;
        if (clsvm_lookup(w, q, &in) == CLSVM_OK) {
            CHECK_MSG(in.tag >= (void *)tags && in.tag < (void *)(tags + 4) &&
                          in.size == size_of_tag(in.tag) && in.flags == in.size &&
                          (uintptr_t)q - (uintptr_t)in.base < in.size,
                      "lookup of %p: base %p size %zu flags %u tag %p mix two allocations",
                      (void *)q, in.base, in.size, in.flags, in.tag);
            atomic_fetch_add(&seen_live, 1);
        } else {
            atomic_fetch_add(&seen_other, 1);
        }
        /* Every block's flags equal its size: flags below the size of the tag asked for could
         * only come from another allocation than the tag. */
        for (int t = 0; t < 4; t++)
            CHECK_MSG(!clsvm_lookup_small_is(w, q, &tags[t], (uint32_t)size_of_tag(&tags[t])),
                      "clsvm_lookup_small_is(%p) mixed two allocations", (void *)q);
    }
    return NULL;
}

int main(void)
{
    clsvm_window *w;
    uint64_t used = 0;
    if (!REPLACES_MMAP) {
        SKIP_PART("no mmap under the lock, read-only directory: the sanitizer intercepts mmap");
        goto race;
    }
    /* 1. The directory is mapped at open: slabs are made without an mmap under the lock. */
    w = open_window();
    atomic_store(&watched, w);
    used = exercise(w, 1500);
    atomic_store(&watched, NULL);
    CHECK_MSG(used > 4, "only %llu slabs were made", (unsigned long long)used);
    CHECK_MSG(atomic_load(&mmaps_locked) == 0, "%d mmap call(s) under the window lock",
              atomic_load(&mmaps_locked));
    clsvm_window_close(w);

    /* 2. No writable directory: no slabs, every size from the heap, all of it still exact. */
    atomic_store(&refuse_writable, (size_t)(WINDOW / SLAB * sizeof(uintptr_t)));
    w = open_window();
    atomic_store(&refuse_writable, 0);
    CHECK_EQ(exercise(w, 300), 0);
    CHECK_EQ(slabs(w), 0);
    clsvm_stats st;
    clsvm_window_get_stats(w, &st);
    CHECK_EQ(st.live_allocations, 0);
    clsvm_window_close(w);

race:
    /* 3. Lookups racing with frees and reuse (also under TSan). */
    w = open_window();
    pthread_t a, b;
    CHECK(pthread_create(&a, NULL, allocator, w) == 0);
    CHECK(pthread_create(&b, NULL, reader, w) == 0);
    CHECK(pthread_join(a, NULL) == 0);
    CHECK(pthread_join(b, NULL) == 0);
    CHECK_MSG(atomic_load(&seen_live) > 0 && atomic_load(&seen_other) > 0,
              "the reader saw %ld live and %ld other answers", atomic_load(&seen_live),
              atomic_load(&seen_other));
    CHECK_EQ(clsvm_window_validate(w), CLSVM_OK);
    clsvm_window_close(w);
    printf("ok (%llu slabs; race: %ld live answers, %ld not live)\n", (unsigned long long)used,
           atomic_load(&seen_live), atomic_load(&seen_other));
    return test_exit_code();
}
