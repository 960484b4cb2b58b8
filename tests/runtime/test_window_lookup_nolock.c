/* test_window_lookup_nolock: clsvm_lookup never waits for the window lock. An allocation
 * is held inside its commit (a provider whose commit blocks until released, so the allocating
 * thread holds the window lock), and lookups from another thread must still complete, find
 * the allocations that were live before, and not yet report the one still committing (it
 * starts right after the live one). */
#include "check.h"

#include "window.h"

#include <pthread.h>
#include <time.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int block_commits, in_commit, release_commit, lookups_done;

static int blocking_commit(provider_region *r, uintptr_t addr, size_t len)
{
    pthread_mutex_lock(&mu);
    if (block_commits) {
        in_commit = 1;
        pthread_cond_broadcast(&cv);
        while (!release_commit)
            pthread_cond_wait(&cv, &mu);
    }
    pthread_mutex_unlock(&mu);
    return provider_reserve.commit(r, addr, len);
}

static provider prov; /* the reserve provider with blocking_commit */

static clsvm_window *w;
static void *live_p;

static void *allocate_new_chunk(void *arg)
{
    (void)arg;
    void *p;
    CHECK_EQ(clsvm_alloc(w, 8 << 20, 0, 0, NULL, &p), CLSVM_OK); /* needs fresh chunks */
    return p;
}

static void *look_up(void *arg)
{
    (void)arg;
    clsvm_alloc_info ai;
    for (int i = 0; i < 1000; i++) {
        CHECK_EQ(clsvm_lookup(w, (char *)live_p + 100, &ai), CLSVM_OK);
        CHECK(ai.base == live_p && ai.size == 4096 && ai.tag == &live_p);
        CHECK_EQ(clsvm_lookup(w, (char *)live_p + 4096, &ai), CLSVM_ERR_NOTFOUND);
    }
    pthread_mutex_lock(&mu);
    lookups_done = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    return NULL;
}

int main(void)
{
    prov = provider_reserve;
    prov.name = "blocking";
    prov.commit = blocking_commit;
    clsvm_config cfg;
    clsvm_config_init(&cfg);
    cfg.window_size = 256 << 20;
    CHECK_EQ(window_open_with(&cfg, &prov, &w), CLSVM_OK);
    CHECK_EQ(clsvm_alloc(w, 4096, 0, 0, &live_p, &live_p), CLSVM_OK);

    pthread_mutex_lock(&mu);
    block_commits = 1;
    pthread_mutex_unlock(&mu);
    pthread_t alloc_thread, lookup_thread;
    CHECK_EQ(pthread_create(&alloc_thread, NULL, allocate_new_chunk, NULL), 0);
    pthread_mutex_lock(&mu);
    while (!in_commit)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);

    /* The allocating thread now sits in its commit, under the window lock. */
    CHECK_EQ(pthread_create(&lookup_thread, NULL, look_up, NULL), 0);
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 20;
    pthread_mutex_lock(&mu);
    int rc = 0;
    while (!lookups_done && rc == 0)
        rc = pthread_cond_timedwait(&cv, &mu, &deadline);
    int done = lookups_done;
    release_commit = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    CHECK_MSG(done, "clsvm_lookup waited for an allocation holding the window lock");

    void *big;
    CHECK_EQ(pthread_join(alloc_thread, &big), 0);
    CHECK_EQ(pthread_join(lookup_thread, NULL), 0);
    clsvm_alloc_info ai;
    CHECK_EQ(clsvm_lookup(w, (char *)big + (8 << 20) - 1, &ai), CLSVM_OK);
    CHECK(ai.base == big);
    CHECK_EQ(clsvm_free(w, big), CLSVM_OK);
    CHECK_EQ(clsvm_free(w, live_p), CLSVM_OK);
    CHECK_EQ(clsvm_window_validate(w), CLSVM_OK);
    clsvm_window_close(w);
    puts("ok");
    return 0;
}
