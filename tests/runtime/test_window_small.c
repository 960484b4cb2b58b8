/* test_window_small: allocations of up to 1 KiB come from per-thread slabs (window_small.c).
 * A freed slot reads "not live" at once; double frees (also of a slot the thread still caches),
 * interior pointers and other tags are refused and change nothing; memory freed by another
 * thread is reused; a thread's exit and a fork child give the slabs of vanished threads back;
 * stats, foreach and validate see exactly the live small allocations. A slot packs tag and
 * flags in one word: values that do not fit come from the heap and read back exact. */
#include "check.h"

#include "clsvm/internal/lookup.h"
#include "clsvm/runtime.h"
#include "window.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define BATCH 1500

static int tag_a, tag_b;

static small_counts_t counts(clsvm_window *w)
{
    small_counts_t c;
    pthread_mutex_lock(&w->lock);
    small_counts(w, &c);
    pthread_mutex_unlock(&w->lock);
    return c;
}

static uint64_t live(clsvm_window *w)
{
    clsvm_stats st;
    clsvm_window_get_stats(w, &st);
    return st.live_allocations;
}

/* Refusals leave the block live, with its data; the free itself makes it "not live" at once. */
static void bad_frees(clsvm_window *w)
{
    char *p;
    CHECK_EQ(clsvm_alloc(w, 64, 0, 7, &tag_a, (void **)&p), CLSVM_OK);
    memset(p, 0x5a, 64);
    clsvm_alloc_info in;
    CHECK_EQ(clsvm_lookup(w, p + 63, &in), CLSVM_OK);
    CHECK(in.base == p && in.size == 64 && in.flags == 7 && in.tag == &tag_a);
    CHECK_EQ(clsvm_lookup(w, p + 64, &in), CLSVM_ERR_NOTFOUND); /* rounding slack */
    CHECK_EQ(clsvm_free(w, p + 8), CLSVM_ERR_NOTFOUND);         /* interior */
    CHECK_EQ(clsvm_free_checked(w, p + 8, &tag_a, &in), CLSVM_ERR_MISMATCH);
    CHECK(in.base == p);
    CHECK_EQ(clsvm_free_checked(w, p, &tag_b, &in), CLSVM_ERR_MISMATCH); /* other owner */
    CHECK_EQ(clsvm_free_checked(w, p + 100, &tag_a, &in), CLSVM_ERR_NOTFOUND);
    CHECK_EQ(clsvm_lookup(w, p, &in), CLSVM_OK);
    for (int i = 0; i < 64; i++)
        CHECK_EQ((unsigned char)p[i], 0x5a);
    CHECK_EQ(live(w), 1);

    CHECK_EQ(clsvm_free_checked(w, p, &tag_a, &in), CLSVM_OK);
    CHECK_EQ(clsvm_lookup(w, p, &in), CLSVM_ERR_NOTFOUND); /* cached, not live */
    CHECK_EQ(clsvm_free(w, p), CLSVM_ERR_NOTFOUND);        /* double free of a cached slot */
    CHECK_EQ(live(w), 0);

    /* The slot is reused; the stale pointer's second free must not free the new block. */
    char *q, *r;
    CHECK_EQ(clsvm_alloc(w, 100, 0, 0, &tag_b, (void **)&q), CLSVM_OK);
    CHECK_EQ(clsvm_alloc(w, 100, 0, 0, &tag_b, (void **)&r), CLSVM_OK);
    CHECK(q != r);
    if (q == p) {
        CHECK_EQ(clsvm_free_checked(w, p, &tag_a, &in), CLSVM_ERR_MISMATCH);
        CHECK_EQ(clsvm_lookup(w, q, &in), CLSVM_OK);
    } else {
        CHECK_EQ(clsvm_free(w, p), CLSVM_ERR_NOTFOUND);
    }
    CHECK_EQ(clsvm_free(w, q), CLSVM_OK);
    CHECK_EQ(clsvm_free(w, r), CLSVM_OK);
    CHECK_EQ(clsvm_window_validate(w), CLSVM_OK);
}

/* Sizes and alignments: every class, slot alignment, stats and foreach exact. */
typedef struct seen {
    uint64_t n, bytes;
} seen;

static int visit(const clsvm_alloc_info *info, void *user)
{
    seen *s = user;
    s->n++;
    s->bytes += info->size;
    return 0;
}

static void classes(clsvm_window *w)
{
    static const size_t sizes[] = {1, 64, 127, 128, 129, 256, 300, 512, 700, 1024, 1025, 4096};
    static const size_t aligns[] = {0, 16, 128, 256, 512, 1024, 2048};
    enum { NS = sizeof sizes / sizeof *sizes, NA = sizeof aligns / sizeof *aligns };
    void *p[NS][NA];
    uint64_t bytes = 0;
    for (int i = 0; i < NS; i++)
        for (int j = 0; j < NA; j++) {
            CHECK_EQ(clsvm_alloc(w, sizes[i], aligns[j], 0, NULL, &p[i][j]), CLSVM_OK);
            size_t a = aligns[j] ? aligns[j] : 128;
            CHECK_EQ((uintptr_t)p[i][j] % a, 0);
            memset(p[i][j], i * NA + j, sizes[i]);
            bytes += sizes[i];
        }
    clsvm_stats st;
    clsvm_window_get_stats(w, &st);
    CHECK_EQ(st.live_allocations, NS * NA);
    CHECK_EQ(st.allocated, bytes);
    CHECK(st.peak_allocated >= bytes);
    seen s = {0, 0};
    clsvm_window_foreach(w, visit, &s);
    CHECK_EQ(s.n, NS * NA);
    CHECK_EQ(s.bytes, bytes);
    /* The stats JSON (CLSVM_STATS, clsvm-stat) counts allocations, not slabs. */
    static char json[1 << 16];
    CHECK(clsvm_window_stats_json(w, json, sizeof json) < sizeof json);
    char want[64];
    snprintf(want, sizeof want, "\"live_allocations\":%d,", NS * NA);
    CHECK_MSG(strstr(json, want) != NULL, "%s not in %.300s", want, json);
    snprintf(want, sizeof want, "\"allocated\":%llu,", (unsigned long long)bytes);
    CHECK_MSG(strstr(json, want) != NULL, "%s not in %.300s", want, json);
    snprintf(want, sizeof want, "\"allocations\":%d,", NS * NA);
    CHECK_MSG(strstr(json, want) != NULL, "%s not in the map", want);
    CHECK_EQ(clsvm_window_validate(w), CLSVM_OK);
    for (int i = 0; i < NS; i++)
        for (int j = 0; j < NA; j++) {
            clsvm_alloc_info in;
            CHECK_EQ(clsvm_lookup(w, (char *)p[i][j] + sizes[i] - 1, &in), CLSVM_OK);
            CHECK(in.base == p[i][j] && in.size == sizes[i]);
            for (size_t k = 0; k < sizes[i]; k++)
                CHECK_EQ(((unsigned char *)p[i][j])[k], (unsigned char)(i * NA + j));
            CHECK_EQ(clsvm_free(w, p[i][j]), CLSVM_OK);
        }
    clsvm_window_get_stats(w, &st);
    CHECK_EQ(st.live_allocations, 0);
    CHECK_EQ(st.allocated, 0);
    CHECK_EQ(st.committed, 0); /* this thread's emptied slabs were flushed */
    CHECK_EQ(counts(w).slabs, 0);
    CHECK_EQ(clsvm_window_validate(w), CLSVM_OK);
}

/* ---- another thread allocates, this one frees ---------------------------------------------- */

typedef struct producer {
    clsvm_window *w;
    void *ptrs[BATCH];
    pthread_barrier_t *sync;
    int rounds;
} producer;

static void *produce(void *arg)
{
    producer *pr = arg;
    for (int r = 0; r < pr->rounds; r++) {
        for (int i = 0; i < BATCH; i++) {
            CHECK_EQ(clsvm_alloc(pr->w, 64, 0, 0, NULL, &pr->ptrs[i]), CLSVM_OK);
            memset(pr->ptrs[i], r, 64);
        }
        pthread_barrier_wait(pr->sync); /* the main thread frees them */
        pthread_barrier_wait(pr->sync);
    }
    return NULL;
}

static void cross_thread(clsvm_window *w)
{
    pthread_barrier_t sync;
    pthread_barrier_init(&sync, NULL, 2);
    static producer pr;
    pr = (producer){w, {0}, &sync, 40};
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, produce, &pr), 0);
    uint64_t max_slabs = 0;
    for (int r = 0; r < pr.rounds; r++) {
        pthread_barrier_wait(&sync);
        for (int i = 0; i < BATCH; i++) {
            CHECK_EQ(((unsigned char *)pr.ptrs[i])[63], (unsigned char)r);
            CHECK_EQ(clsvm_free(w, pr.ptrs[i]), CLSVM_OK);
            CHECK_EQ(clsvm_lookup(w, pr.ptrs[i], NULL), CLSVM_ERR_NOTFOUND);
        }
        uint64_t s = counts(w).slabs;
        max_slabs = s > max_slabs ? s : max_slabs;
        pthread_barrier_wait(&sync);
    }
    CHECK_EQ(pthread_join(t, NULL), 0);
    /* 1500 slots of 128 bytes need 3 slabs; without reuse 40 rounds would take 120. */
    CHECK_MSG(max_slabs <= 5, "%llu slabs for %d x %d cross-thread pairs",
              (unsigned long long)max_slabs, pr.rounds, BATCH);
    CHECK_EQ(live(w), 0);
    CHECK_EQ(counts(w).slabs, 0); /* the producer's exit gave its slab back */
    CHECK_EQ(clsvm_window_validate(w), CLSVM_OK);
    pthread_barrier_destroy(&sync);
}

/* ---- a thread exits with live and free slots ------------------------------------------------ */

typedef struct leaver {
    clsvm_window *w;
    void *keep[10];
} leaver;

static void *leave(void *arg)
{
    leaver *l = arg;
    void *drop[10];
    for (int i = 0; i < 10; i++) {
        CHECK_EQ(clsvm_alloc(l->w, 200, 0, 0, NULL, &l->keep[i]), CLSVM_OK);
        CHECK_EQ(clsvm_alloc(l->w, 200, 0, 0, NULL, &drop[i]), CLSVM_OK);
    }
    for (int i = 0; i < 10; i++)
        CHECK_EQ(clsvm_free(l->w, drop[i]), CLSVM_OK);
    return NULL;
}

static void thread_exit(clsvm_window *w)
{
    leaver l = {w, {0}};
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, leave, &l), 0);
    CHECK_EQ(pthread_join(t, NULL), 0);
    clsvm_stats st;
    clsvm_window_get_stats(w, &st);
    CHECK_EQ(st.live_allocations, 10); /* the exited thread's counts were kept */
    CHECK_EQ(st.allocated, 2000);
    CHECK_EQ(counts(w).slabs, 1);
    CHECK_EQ(clsvm_window_validate(w), CLSVM_OK); /* unowned, listed as partial */
    /* Its free slots serve this thread: no new slab for 10 more. */
    void *more[10];
    for (int i = 0; i < 10; i++)
        CHECK_EQ(clsvm_alloc(w, 200, 0, 0, NULL, &more[i]), CLSVM_OK);
    CHECK_EQ(counts(w).slabs, 1);
    for (int i = 0; i < 10; i++) {
        CHECK_EQ(clsvm_free(w, l.keep[i]), CLSVM_OK);
        CHECK_EQ(clsvm_free(w, more[i]), CLSVM_OK);
    }
    clsvm_window_get_stats(w, &st);
    CHECK_EQ(st.live_allocations, 0);
    CHECK_EQ(st.committed, 0);
    CHECK_EQ(counts(w).slabs, 0);
    CHECK_EQ(clsvm_window_validate(w), CLSVM_OK);
}

/* ---- fork while another thread owns a slab -------------------------------------------------- */

typedef struct holder {
    clsvm_window *w;
    void *p[20];
    pthread_barrier_t *sync;
} holder;

static void *hold(void *arg)
{
    holder *h = arg;
    for (int i = 0; i < 20; i++)
        CHECK_EQ(clsvm_alloc(h->w, 64, 0, 0, NULL, &h->p[i]), CLSVM_OK);
    pthread_barrier_wait(h->sync); /* allocated */
    pthread_barrier_wait(h->sync); /* forked */
    for (int i = 0; i < 20; i++)
        CHECK_EQ(clsvm_free(h->w, h->p[i]), CLSVM_OK);
    return NULL;
}

static void fork_child(clsvm_window *w)
{
    pthread_barrier_t sync;
    pthread_barrier_init(&sync, NULL, 2);
    holder h = {w, {0}, &sync};
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, hold, &h), 0);
    pthread_barrier_wait(&sync);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        /* Only this thread exists: the holder's slab has no owner here. */
        clsvm_stats st;
        clsvm_window_get_stats(w, &st);
        CHECK_EQ(st.live_allocations, 20);
        CHECK_EQ(clsvm_window_validate(w), CLSVM_OK);
        for (int i = 0; i < 20; i++) {
            CHECK_EQ(clsvm_lookup(w, h.p[i], NULL), CLSVM_OK);
            CHECK_EQ(clsvm_free(w, h.p[i]), CLSVM_OK);
            CHECK_EQ(clsvm_free(w, h.p[i]), CLSVM_ERR_NOTFOUND);
        }
        void *p;
        CHECK_EQ(clsvm_alloc(w, 64, 0, 0, NULL, &p), CLSVM_OK);
        CHECK_EQ(clsvm_free(w, p), CLSVM_OK);
        clsvm_window_get_stats(w, &st);
        CHECK_EQ(st.live_allocations, 0);
        CHECK_EQ(st.committed, 0); /* nothing stays with the vanished thread */
        CHECK_EQ(clsvm_window_validate(w), CLSVM_OK);
        _exit(0);
    }
    int status;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "fork child failed (status %#x)",
              status);
    pthread_barrier_wait(&sync);
    CHECK_EQ(pthread_join(t, NULL), 0);
    CHECK_EQ(live(w), 0);
    CHECK_EQ(clsvm_window_validate(w), CLSVM_OK);
    pthread_barrier_destroy(&sync);
}

/* ---- the last live allocation, a slot of an exited thread's slab, drops retained chunks ---- */

static void *alloc_one(void *arg)
{
    clsvm_window *w = *(clsvm_window **)arg;
    void *p;
    CHECK_EQ(clsvm_alloc(w, 64, 0, 0, NULL, &p), CLSVM_OK);
    *(void **)arg = p;
    return NULL;
}

static void last_free_drops_retention(clsvm_window *w)
{
    void *arg = w;
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, alloc_one, &arg), 0);
    CHECK_EQ(pthread_join(t, NULL), 0);
    void *anchor = arg; /* its slab has no owner now */
    enum { N = 8 };
    void *big[N];
    for (int i = 0; i < N; i++)
        CHECK_EQ(clsvm_alloc(w, CLSVM_COMMIT_CHUNK, CLSVM_COMMIT_CHUNK, 0, NULL, &big[i]),
                 CLSVM_OK);
    for (int i = 0; i < N; i++)
        CHECK_EQ(clsvm_free(w, big[i]), CLSVM_OK);
    CHECK(w->retained.count >= 2); /* the anchor is live: emptied chunks stay */
    CHECK_EQ(clsvm_free(w, anchor), CLSVM_OK);
    CHECK_EQ(w->retained.count, 1); /* nothing live: all but one went back */
    CHECK_EQ(counts(w).slabs, 0);
    CHECK_EQ(clsvm_window_validate(w), CLSVM_OK);
}

/* ---- threads allocating, freeing each other's blocks and looking them up at once ----------- */

#define MIX_THREADS 4
#define MIX_SLOTS 256
#define MIX_ROUNDS 20000

static _Atomic uintptr_t shared[MIX_SLOTS]; /* published blocks */

typedef struct mixer {
    clsvm_window *w;
    int index;
} mixer;

static void check_block(const unsigned char *p, size_t size)
{
    for (size_t i = 0; i < size; i++)
        CHECK_EQ(p[i], (unsigned char)((uintptr_t)p >> 7) ^ (unsigned char)i);
}

static void *mix(void *arg)
{
    mixer *m = arg;
    unsigned long long seed = 0x5111ULL + (unsigned long long)m->index * 104729;
    for (int r = 0; r < MIX_ROUNDS; r++) {
        int k = (int)(test_rand(&seed) % MIX_SLOTS);
        uintptr_t p = atomic_exchange(&shared[k], 0);
        if (p) { /* another thread's block, maybe: it is ours now */
            clsvm_alloc_info in;
            CHECK_EQ(clsvm_lookup(m->w, (void *)p, &in), CLSVM_OK);
            CHECK(in.base == (void *)p && in.size >= 1 && in.size <= 1024);
            CHECK_EQ(clsvm_lookup(m->w, (void *)(p + in.size - 1), NULL), CLSVM_OK);
            check_block((const unsigned char *)p, in.size);
            CHECK_EQ(clsvm_free(m->w, (void *)p), CLSVM_OK);
            continue;
        }
        size_t size = 1 + test_rand(&seed) % 1024;
        void *q;
        CHECK_EQ(clsvm_alloc(m->w, size, 0, 0, m, &q), CLSVM_OK);
        for (size_t i = 0; i < size; i++)
            ((unsigned char *)q)[i] = (unsigned char)((uintptr_t)q >> 7) ^ (unsigned char)i;
        uintptr_t expect = 0;
        if (!atomic_compare_exchange_strong(&shared[k], &expect, (uintptr_t)q))
            CHECK_EQ(clsvm_free(m->w, q), CLSVM_OK); /* the slot was taken meanwhile */
    }
    return NULL;
}

static void mixed_threads(clsvm_window *w)
{
    mixer m[MIX_THREADS];
    pthread_t t[MIX_THREADS];
    for (int i = 0; i < MIX_THREADS; i++) {
        m[i] = (mixer){w, i};
        CHECK_EQ(pthread_create(&t[i], NULL, mix, &m[i]), 0);
    }
    for (int i = 0; i < MIX_THREADS; i++)
        CHECK_EQ(pthread_join(t[i], NULL), 0);
    uint64_t n = 0;
    for (int k = 0; k < MIX_SLOTS; k++)
        n += atomic_load(&shared[k]) != 0;
    CHECK_EQ(live(w), n);
    CHECK_EQ(clsvm_window_validate(w), CLSVM_OK);
    for (int k = 0; k < MIX_SLOTS; k++) {
        uintptr_t p = atomic_exchange(&shared[k], 0);
        if (p)
            CHECK_EQ(clsvm_free(w, (void *)p), CLSVM_OK);
    }
    clsvm_stats st;
    clsvm_window_get_stats(w, &st);
    CHECK_EQ(st.live_allocations, 0);
    CHECK_EQ(st.committed, 0);
    CHECK_EQ(counts(w).slabs, 0);
    CHECK_EQ(clsvm_window_validate(w), CLSVM_OK);
}

static int in_slab(clsvm_window *w, const void *p)
{
    pthread_mutex_lock(&w->lock);
    int r = small_owns(w, (uintptr_t)p);
    pthread_mutex_unlock(&w->lock);
    return r;
}

/* One allocation of 64 bytes with flags and tag: found with both exact, then freed by that tag.
 * Returns whether a slab served it. */
static int round_trip(clsvm_window *w, uint32_t flags, void *tag)
{
    char *p;
    CHECK_EQ(clsvm_alloc(w, 64, 0, flags, tag, (void **)&p), CLSVM_OK);
    clsvm_alloc_info in;
    CHECK_EQ(clsvm_lookup(w, p + 40, &in), CLSVM_OK);
    CHECK(in.base == p && in.size == 64);
    CHECK_EQ(in.flags, flags);
    CHECK(in.tag == tag);
    int slab = in_slab(w, p);
    CHECK_EQ(clsvm_lookup_small_is(w, p + 40, tag, UINT32_MAX), slab);
    CHECK_EQ(clsvm_lookup_small_is(w, p + 40, tag, flags), 0); /* flags not below */
    CHECK_EQ(clsvm_free_checked(w, p, &tag_b, &in), CLSVM_ERR_MISMATCH);
    CHECK(in.tag == tag && in.flags == flags);
    CHECK_EQ(clsvm_free_checked(w, p, tag, &in), CLSVM_OK);
    CHECK_EQ(clsvm_lookup(w, p, &in), CLSVM_ERR_NOTFOUND);
    return slab;
}

/* Tag (low 48 bits) and flags (16 bits) share a slot's second word: the largest values that
 * fit stay in slabs; one bit more of either (the checker keeps a red-zone length in the flags'
 * top bits) goes to the heap instead of losing bits. */
static void packed_tag_flags(clsvm_window *w)
{
    uintptr_t high = (uintptr_t)0xabcd << 48;
    void *widest = (void *)(((uintptr_t)1 << 48) - 8);
    CHECK_EQ(round_trip(w, 0xffff, widest), 1);
    CHECK_EQ(round_trip(w, 7, &tag_a), 1);
    CHECK_EQ(round_trip(w, 1u << 20, &tag_a), 0);
    CHECK_EQ(round_trip(w, 1u << 16, &tag_a), 0);
    CHECK_EQ(round_trip(w, 0xffffffffu, &tag_a), 0);
    CHECK_EQ(round_trip(w, 7, (void *)(high | (uintptr_t)&tag_a)), 0);
    CHECK_EQ(round_trip(w, 1u << 20, (void *)(high | (uintptr_t)&tag_a)), 0);
    /* A tag whose low bits match a slab's slot is still another tag. */
    char *p;
    CHECK_EQ(clsvm_alloc(w, 64, 0, 7, &tag_a, (void **)&p), CLSVM_OK);
    CHECK_EQ(clsvm_lookup_small_is(w, p, (void *)(high | (uintptr_t)&tag_a), UINT32_MAX), 0);
    CHECK_EQ(clsvm_lookup_small_is(w, p, &tag_a, UINT32_MAX), 1);
    CHECK_EQ(clsvm_free(w, p), CLSVM_OK);
    CHECK_EQ(clsvm_window_validate(w), CLSVM_OK);
}

int main(void)
{
    clsvm_config cfg;
    clsvm_config_init(&cfg);
    cfg.window_size = (uint64_t)1 << 30;
    cfg.provider = "reserve";
    clsvm_window *w;
    CHECK_EQ(clsvm_window_open(&cfg, &w), CLSVM_OK);
    bad_frees(w);
    packed_tag_flags(w);
    classes(w);
    cross_thread(w);
    thread_exit(w);
    fork_child(w);
    mixed_threads(w);
    last_free_drops_retention(w);
    clsvm_window_close(w);
    return 0;
}
