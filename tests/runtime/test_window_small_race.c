/* test_window_small_race: two threads free the same small allocations at the same time, again
 * and again; of each pair of frees exactly one succeeds, the other finds nothing. The slab's
 * owner frees without an atomic read-modify-write while no other thread has freed into the slab
 * (window_small.c, M_FAST); the first other thread turns it shared. Every round here is a new
 * owner thread on a slab in that first state, racing the main thread over the same pointers in
 * the same order, so a broken hand-over (both frees claiming a slot) shows as two successes.
 * Then the same in the shared state (both compare-and-swap), and for pointers in other threads'
 * slabs. Counts, stats and validate agree at the end. */
#include "check.h"

#include "clsvm/runtime.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#define ROUNDS 1500
#define PTRS 16
#define SHARED_ROUNDS 200
#define SHARED_PTRS 600

static int tag_a;

typedef struct race {
    clsvm_window *w;
    void *ptrs[SHARED_PTRS];
    int n;
    atomic_int go; /* both sides spin on it: the frees start within a few instructions */
    pthread_barrier_t checked;
    int ok[SHARED_PTRS];
} race;

/* The round-th start (from 0) of both threads. */
static void start(race *r, int round)
{
    atomic_fetch_add(&r->go, 1);
    for (unsigned spins = 0; atomic_load(&r->go) < 2 * (round + 1); spins++)
        if (spins > 100000)
            sched_yield(); /* the other thread has no core yet */
}

static void free_all(race *r, int *ok)
{
    for (int i = 0; i < r->n; i++) {
        int rc = clsvm_free_checked(r->w, r->ptrs[i], &tag_a, NULL);
        CHECK_MSG(rc == CLSVM_OK || rc == CLSVM_ERR_NOTFOUND, "free %d: %d", i, rc);
        ok[i] = rc == CLSVM_OK;
    }
}

/* The owner: allocates, then races the main thread to free. */
static void *owner(void *arg)
{
    race *r = arg;
    for (int i = 0; i < r->n; i++) {
        CHECK_EQ(clsvm_alloc(r->w, 64, 0, 0, &tag_a, &r->ptrs[i]), CLSVM_OK);
        memset(r->ptrs[i], i, 64);
    }
    start(r, 0);
    free_all(r, r->ok);
    return NULL;
}

static void one_winner(race *r, const int *mine)
{
    for (int i = 0; i < r->n; i++) {
        CHECK_MSG(r->ok[i] + mine[i] == 1, "pointer %d of %d: %d frees succeeded", i, r->n,
                  r->ok[i] + mine[i]);
        CHECK_EQ(clsvm_lookup(r->w, r->ptrs[i], NULL), CLSVM_ERR_NOTFOUND);
    }
}

static uint64_t live(clsvm_window *w)
{
    clsvm_stats st;
    clsvm_window_get_stats(w, &st);
    return st.live_allocations;
}

/* A new owner thread per round: its slab starts M_FAST (a new thread has seen no other thread
 * free into its slabs) and the main thread's first free turns it shared mid-race. */
static void fast_to_shared(clsvm_window *w)
{
    static race r;
    int mine[PTRS];
    for (int round = 0; round < ROUNDS; round++) {
        r.w = w;
        r.n = PTRS;
        atomic_store(&r.go, 0);
        pthread_t t;
        CHECK_EQ(pthread_create(&t, NULL, owner, &r), 0);
        start(&r, 0);
        free_all(&r, mine);
        CHECK_EQ(pthread_join(t, NULL), 0);
        one_winner(&r, mine);
    }
    CHECK_EQ(live(w), 0);
    CHECK_EQ(clsvm_window_validate(w), CLSVM_OK);
}

/* One owner, many rounds: after the first its slabs are shared (and its next ones start so). */
static void *owner_rounds(void *arg)
{
    race *r = arg;
    for (int round = 0; round < SHARED_ROUNDS; round++) {
        for (int i = 0; i < r->n; i++)
            CHECK_EQ(clsvm_alloc(r->w, 64 + (size_t)(i % 4) * 200, 0, 0, &tag_a, &r->ptrs[i]),
                     CLSVM_OK);
        start(r, round);
        free_all(r, r->ok);
        pthread_barrier_wait(&r->checked);
        pthread_barrier_wait(&r->checked); /* the main thread checked */
    }
    return NULL;
}

static void shared_slabs(clsvm_window *w)
{
    static race r;
    static int mine[SHARED_PTRS];
    r.w = w;
    r.n = SHARED_PTRS;
    atomic_store(&r.go, 0);
    pthread_barrier_init(&r.checked, NULL, 2);
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, owner_rounds, &r), 0);
    for (int round = 0; round < SHARED_ROUNDS; round++) {
        start(&r, round);
        free_all(&r, mine);
        pthread_barrier_wait(&r.checked);
        one_winner(&r, mine);
        pthread_barrier_wait(&r.checked);
    }
    CHECK_EQ(pthread_join(t, NULL), 0);
    pthread_barrier_destroy(&r.checked);
    CHECK_EQ(live(w), 0);
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
    fast_to_shared(w);
    shared_slabs(w);
    clsvm_window_close(w);
    return 0;
}
