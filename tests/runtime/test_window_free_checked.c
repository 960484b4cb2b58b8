/* test_window_free_checked: clsvm_free_checked frees only the base of a live allocation with
 * the expected tag, reports what it found otherwise, and of several threads freeing the same
 * pointers at once exactly one wins each pointer (the others get NOTFOUND), while a neighbour
 * keeps its data. */
#include "check.h"

#include "clsvm/runtime.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#define PTRS 2000
#define THREADS 3

static int tag_a, tag_b; /* distinct addresses used as owner tags */

typedef struct race {
    clsvm_window *w;
    void **ptrs;
    atomic_int *wins; /* per pointer */
    pthread_barrier_t *start;
} race;

static void *racer(void *arg)
{
    race *r = arg;
    pthread_barrier_wait(r->start);
    for (int i = 0; i < PTRS; i++) {
        clsvm_alloc_info in;
        int rc = clsvm_free_checked(r->w, r->ptrs[i], &tag_a, &in);
        if (rc == CLSVM_OK) {
            CHECK(in.base == r->ptrs[i]);
            atomic_fetch_add(&r->wins[i], 1);
        } else {
            CHECK_EQ(rc, CLSVM_ERR_NOTFOUND);
        }
    }
    return NULL;
}

int main(void)
{
    clsvm_config cfg;
    clsvm_config_init(&cfg);
    cfg.window_size = (uint64_t)256 << 20;
    cfg.min_window_size = cfg.window_size;
    clsvm_window *w = NULL;
    CHECK_EQ(clsvm_window_open(&cfg, &w), CLSVM_OK);

    /* Single-threaded contract. */
    char *p = NULL, *q = NULL;
    CHECK_EQ(clsvm_alloc(w, 1000, 0, 7, &tag_a, (void **)&p), CLSVM_OK);
    CHECK_EQ(clsvm_alloc(w, 64, 0, 0, &tag_b, (void **)&q), CLSVM_OK);
    memset(q, 0x3c, 64);
    clsvm_alloc_info in;
    memset(&in, 0, sizeof in);
    CHECK_EQ(clsvm_free_checked(w, p + 10, NULL, &in), CLSVM_ERR_MISMATCH); /* interior */
    CHECK(in.base == p && in.size == 1000 && in.flags == 7 && in.tag == &tag_a);
    CHECK_EQ(clsvm_free_checked(w, p, &tag_b, &in), CLSVM_ERR_MISMATCH); /* another owner */
    CHECK(in.base == p && in.tag == &tag_a);
    CHECK_EQ(clsvm_free_checked(w, p + 1000, NULL, &in), CLSVM_ERR_NOTFOUND); /* one past */
    CHECK_EQ(clsvm_free_checked(w, NULL, NULL, &in), CLSVM_ERR_NOTFOUND);
    CHECK_EQ(clsvm_free_checked(w, &in, NULL, &in), CLSVM_ERR_NOTFOUND); /* not in the window */
    CHECK_EQ(clsvm_free_checked(NULL, p, NULL, &in), CLSVM_ERR_INVALID);
    clsvm_alloc_info live;
    CHECK_EQ(clsvm_lookup(w, p, &live), CLSVM_OK); /* none of the above freed it */
    CHECK_EQ(clsvm_free_checked(w, p, &tag_a, &in), CLSVM_OK);
    CHECK(in.base == p && in.size == 1000 && in.tag == &tag_a);
    CHECK_EQ(clsvm_lookup(w, p, &live), CLSVM_ERR_NOTFOUND);
    CHECK_EQ(clsvm_free_checked(w, p, &tag_a, &in), CLSVM_ERR_NOTFOUND); /* double free */
    CHECK_EQ(clsvm_free_checked(w, q, NULL, NULL), CLSVM_OK);            /* NULL tag: any */
    CHECK_EQ(clsvm_window_validate(w), CLSVM_OK);

    /* Racing frees of the same pointers: each pointer is freed exactly once. */
    static void *ptrs[PTRS];
    static atomic_int wins[PTRS];
    char *keep = NULL;
    CHECK_EQ(clsvm_alloc(w, 4096, 0, 0, &tag_b, (void **)&keep), CLSVM_OK);
    memset(keep, 0xa5, 4096);
    for (int i = 0; i < PTRS; i++)
        CHECK_EQ(clsvm_alloc(w, 64 + (size_t)(i % 7) * 100, 0, 0, &tag_a, &ptrs[i]), CLSVM_OK);
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, THREADS);
    pthread_t t[THREADS];
    race r = {w, ptrs, wins, &start};
    for (int i = 0; i < THREADS; i++)
        CHECK(pthread_create(&t[i], NULL, racer, &r) == 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < PTRS; i++)
        CHECK_MSG(atomic_load(&wins[i]) == 1, "pointer %d freed %d times", i,
                  atomic_load(&wins[i]));
    for (int i = 0; i < 4096; i++)
        CHECK_MSG((unsigned char)keep[i] == 0xa5, "neighbour byte %d changed", i);
    clsvm_stats st;
    clsvm_window_get_stats(w, &st);
    CHECK_EQ(st.live_allocations, 1);
    CHECK_EQ(clsvm_window_validate(w), CLSVM_OK);
    CHECK_EQ(clsvm_free(w, keep), CLSVM_OK);
    pthread_barrier_destroy(&start);
    clsvm_window_close(w);
    printf("ok\n");
    return 0;
}
