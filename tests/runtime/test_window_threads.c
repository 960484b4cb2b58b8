/* test_window_threads: 4 threads allocate, fill, look up, verify and free concurrently; a
 * per-allocation pattern catches overlapping allocations, validate checks the end state. */
#include "check.h"

#include "clsvm/runtime.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#define THREADS 4
#define SLOTS 64
#define ROUNDS 3000

typedef struct slot {
    unsigned char *p;
    size_t size;
    uint64_t id;
} slot;

typedef struct worker {
    clsvm_window *w;
    int index;
    slot slots[SLOTS];
} worker;

static unsigned char pattern(uint64_t id)
{
    return (unsigned char)(id * 0x9E3779B97F4A7C15ULL >> 56);
}

static void fill(slot *s)
{
    memset(s->p, pattern(s->id), s->size);
    if (s->size >= sizeof s->id)
        memcpy(s->p, &s->id, sizeof s->id); /* unique even if two patterns collide */
}

static void verify(const slot *s)
{
    size_t start = 0;
    if (s->size >= sizeof s->id) {
        uint64_t id;
        memcpy(&id, s->p, sizeof id);
        CHECK_MSG(id == s->id, "allocation %p was overwritten (id %llx, want %llx)", (void *)s->p,
                  (unsigned long long)id, (unsigned long long)s->id);
        start = sizeof id;
    }
    unsigned char v = pattern(s->id);
    for (size_t i = start; i < s->size; i++)
        CHECK_MSG(s->p[i] == v, "allocation %p byte %zu overwritten", (void *)s->p, i);
}

static int count_visit(const clsvm_alloc_info *info, void *user)
{
    (void)info;
    ++*(uint64_t *)user;
    return 0;
}

static void *run(void *arg)
{
    worker *wk = arg;
    unsigned long long seed = 0xC0FFEEULL + (unsigned long long)wk->index * 7919;
    for (int round = 0; round < ROUNDS; round++) {
        slot *s = &wk->slots[test_rand(&seed) % SLOTS];
        if (s->p) {
            /* An interior pointer of our own live allocation finds exactly it. */
            clsvm_alloc_info ai;
            const unsigned char *inner = s->p + test_rand(&seed) % s->size;
            CHECK_EQ(clsvm_lookup(wk->w, inner, &ai), CLSVM_OK);
            CHECK(ai.base == s->p && ai.size == s->size && ai.tag == s);
            CHECK_EQ(ai.flags, (uint32_t)wk->index);
            verify(s);
            CHECK_EQ(clsvm_free(wk->w, s->p), CLSVM_OK);
            s->p = NULL;
            continue;
        }
        size_t size = test_rand(&seed) % 10 ? 1 + test_rand(&seed) % 8192
                                            : 1 + test_rand(&seed) % (256 << 10);
        size_t align = test_rand(&seed) % 3 ? 0 : (size_t)16 << (test_rand(&seed) % 12);
        int rc = clsvm_alloc(wk->w, size, align, (uint32_t)wk->index, s, (void **)&s->p);
        CHECK_MSG(rc == CLSVM_OK, "thread %d: %s", wk->index, clsvm_status_str(rc));
        s->size = size;
        s->id = ((uint64_t)wk->index << 32) | (uint64_t)round;
        fill(s);
        if (round % 500 == 0) {
            clsvm_stats st;
            clsvm_window_get_stats(wk->w, &st);
            CHECK(st.live_allocations >= 1 && st.committed >= st.allocated);
            uint64_t n = 0;
            clsvm_window_foreach(wk->w, count_visit, &n);
            CHECK(n >= 1);
        }
    }
    return NULL;
}

/* Windows opened concurrently race for the same holes (EEXIST path) and must not overlap. */
static clsvm_window_info opened[THREADS];

static void *open_one(void *arg)
{
    int i = (int)(intptr_t)arg;
    clsvm_config cfg;
    clsvm_config_init(&cfg);
    cfg.window_size = 128 << 20;
    clsvm_window *w;
    CHECK_EQ(clsvm_window_open(&cfg, &w), CLSVM_OK);
    clsvm_window_get_info(w, &opened[i]);
    return w;
}

static void concurrent_open(void)
{
    pthread_t t[THREADS];
    clsvm_window *w[THREADS];
    for (int i = 0; i < THREADS; i++)
        CHECK_EQ(pthread_create(&t[i], NULL, open_one, (void *)(intptr_t)i), 0);
    for (int i = 0; i < THREADS; i++)
        CHECK_EQ(pthread_join(t[i], (void **)&w[i]), 0);
    for (int i = 0; i < THREADS; i++)
        for (int j = i + 1; j < THREADS; j++)
            CHECK(opened[i].base + opened[i].size <= opened[j].base ||
                  opened[j].base + opened[j].size <= opened[i].base);
    for (int i = 0; i < THREADS; i++)
        clsvm_window_close(w[i]);
}

int main(void)
{
    for (int round = 0; round < 5; round++)
        concurrent_open();

    clsvm_window *w;
    clsvm_config cfg;
    clsvm_config_init(&cfg);
    cfg.window_size = (uint64_t)1 << 30;
    CHECK_EQ(clsvm_window_open(&cfg, &w), CLSVM_OK);
    static worker wk[THREADS];
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) {
        wk[i].w = w;
        wk[i].index = i;
        CHECK_EQ(pthread_create(&t[i], NULL, run, &wk[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        CHECK_EQ(pthread_join(t[i], NULL), 0);

    CHECK_EQ(clsvm_window_validate(w), CLSVM_OK);
    uint64_t live = 0, bytes = 0;
    for (int i = 0; i < THREADS; i++)
        for (int j = 0; j < SLOTS; j++)
            if (wk[i].slots[j].p) {
                verify(&wk[i].slots[j]);
                live++;
                bytes += wk[i].slots[j].size;
            }
    clsvm_stats st;
    clsvm_window_get_stats(w, &st);
    CHECK_EQ(st.live_allocations, live);
    CHECK_EQ(st.allocated, bytes);
    for (int i = 0; i < THREADS; i++)
        for (int j = 0; j < SLOTS; j++)
            if (wk[i].slots[j].p)
                CHECK_EQ(clsvm_free(w, wk[i].slots[j].p), CLSVM_OK);
    clsvm_window_get_stats(w, &st);
    CHECK_EQ(st.live_allocations, 0);
    CHECK_EQ(st.committed, 0);
    CHECK_EQ(clsvm_window_validate(w), CLSVM_OK);
    clsvm_window_close(w);
    puts("ok");
    return 0;
}
