/* test_svm_context_threads: a context the application released stays valid exactly until its
 * last SVM allocation is freed, while other threads allocate and free in it concurrently.
 *
 * clsvm counts a context's live SVM allocations per thread while the application holds the
 * context and folds the counts into the context's reference count when the application's last
 * reference goes (docs/svm.md "Context lifetime"). Here several threads each hold their own
 * application reference, allocate (small and larger allocations), free blocks the *other*
 * threads allocated, and release their reference at different moments while frees are still
 * running, so the fold races allocations and frees of the other threads. Each thread then frees
 * what is left, checking before every free that the context still answers clGetContextInfo and
 * that the memory still holds its pattern. The context's destructor callback must run exactly
 * once, and only after the very last free. Threads that exit with allocations still counted in
 * their tallies, and later threads reusing their thread descriptors, are covered by the second
 * part. Run under TSan too (the name matches .ci/sanitizers.sh's thread tests). */
#include "svm/svm_test.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

enum { NTHREADS = 3, ROUNDS = 12, PER_THREAD = 600 };

static atomic_int destroyed;
static atomic_int frees_left;
static atomic_int early; /* destructor ran while allocations were still live */

static void CL_CALLBACK on_dead(cl_context c, void *ud)
{
    (void)c;
    (void)ud;
    if (atomic_load(&frees_left) != 0)
        atomic_store(&early, 1);
    atomic_fetch_add(&destroyed, 1);
}

typedef struct shared {
    cl_context ctx;
    unsigned char *block[NTHREADS][PER_THREAD];
    size_t size[NTHREADS][PER_THREAD];
    pthread_barrier_t allocated, released;
} shared;

typedef struct worker {
    shared *s;
    int id;
} worker;

static size_t size_of(int id, int i)
{
    /* Mostly slab-sized blocks (the per-thread path), some heap blocks. */
    return i % 50 == 0 ? 8192 + (size_t)id * 128 : 16 + (size_t)((i * 7 + id) % 1000);
}

static unsigned char pattern(int id, int i)
{
    return (unsigned char)(0x11 * (id + 1) + i);
}

static void check_and_free(shared *s, int owner, int i)
{
    unsigned char *p = s->block[owner][i];
    cl_uint ndev = 0;
    /* Still a valid context: its last allocation has not been freed yet. */
    CHECK_CL(clGetContextInfo(s->ctx, CL_CONTEXT_NUM_DEVICES, sizeof ndev, &ndev, NULL));
    CHECK_EQ(ndev, 1);
    CHECK_EQ(p[0], pattern(owner, i));
    CHECK_EQ(p[s->size[owner][i] - 1], pattern(owner, i));
    CHECK_EQ(atomic_load(&destroyed), 0);
    atomic_fetch_sub(&frees_left, 1);
    clSVMFree(s->ctx, p);
}

static void *run(void *arg)
{
    worker *w = arg;
    shared *s = w->s;
    for (int i = 0; i < PER_THREAD; i++) {
        size_t n = size_of(w->id, i);
        unsigned char *p =
            clSVMAlloc(s->ctx, CL_MEM_READ_WRITE | CL_MEM_SVM_FINE_GRAIN_BUFFER, n, 0);
        CHECK(p != NULL);
        memset(p, pattern(w->id, i), n);
        s->block[w->id][i] = p;
        s->size[w->id][i] = n;
        /* A short-lived one too: allocated and freed by this thread. */
        void *q = clSVMAlloc(s->ctx, CL_MEM_READ_WRITE, 64, 0);
        CHECK(q != NULL);
        clSVMFree(s->ctx, q);
    }
    pthread_barrier_wait(&s->allocated);
    /* Free the first half of the next thread's blocks; release this thread's reference part
     * way through, at a different point in each thread, so that the last release (the fold)
     * races the other threads' frees. */
    int other = (w->id + 1) % NTHREADS;
    int release_at = PER_THREAD / 2 / NTHREADS * (w->id + 1) - 1;
    for (int i = 0; i < PER_THREAD / 2; i++) {
        check_and_free(s, other, i);
        if (i == release_at)
            CHECK_CL(clReleaseContext(s->ctx));
    }
    pthread_barrier_wait(&s->released);
    /* The application holds no reference now; the remaining blocks keep the context. */
    for (int i = PER_THREAD / 2; i < PER_THREAD; i++)
        check_and_free(s, w->id, i);
    return NULL;
}

/* Threads that allocate and exit, then one thread that frees everything after the release. */
typedef struct leaver {
    cl_context ctx;
    unsigned char *p[8];
} leaver;

static void *alloc_and_exit(void *arg)
{
    leaver *l = arg;
    for (int i = 0; i < 8; i++) {
        l->p[i] = clSVMAlloc(l->ctx, CL_MEM_READ_WRITE, 64 + (size_t)i * 100, 0);
        CHECK(l->p[i] != NULL);
        l->p[i][0] = (unsigned char)i;
    }
    return NULL;
}

static void *free_all(void *arg)
{
    leaver *ls = arg;
    for (int t = 0; t < 6; t++)
        for (int i = 0; i < 8; i++) {
            CHECK_EQ(ls[t].p[i][0], (unsigned char)i);
            CHECK_EQ(atomic_load(&destroyed), 0);
            atomic_fetch_sub(&frees_left, 1);
            clSVMFree(ls[t].ctx, ls[t].p[i]);
        }
    return NULL;
}

/* The fold racing a tight loop of frees: a free caught between its check of the flag and its
 * count must be waited for, not summed half-done (a lost count keeps the context forever or
 * destroys it under a live allocation). */
enum { RACE_ROUNDS = 150, RACE_BLOCKS = 3000 };

typedef struct racer {
    cl_context ctx;
    void *p[RACE_BLOCKS];
    atomic_int freed;
} racer;

static void *free_fast(void *arg)
{
    racer *r = arg;
    for (int i = 0; i < RACE_BLOCKS; i++) {
        clSVMFree(r->ctx, r->p[i]);
        atomic_store_explicit(&r->freed, i + 1, memory_order_relaxed);
    }
    return NULL;
}

static int wait_destroyed(void)
{
    for (int i = 0; i < 2000 && atomic_load(&destroyed) == 0; i++)
        svm_sleep_ms(1);
    return atomic_load(&destroyed);
}

int main(void)
{
    svm_env e;
    svm_env_open(&e);
    svm_test_runs(&e, "SVM allocations keeping a released context");
    static shared s;
    for (int round = 0; round < ROUNDS; round++) {
        cl_int err = CL_SUCCESS;
        s.ctx = clCreateContext(NULL, 1, &e.device, NULL, NULL, &err);
        CHECK_CL(err);
        atomic_store(&destroyed, 0);
        atomic_store(&frees_left, NTHREADS * PER_THREAD);
        CHECK_CL(clSetContextDestructorCallback(s.ctx, on_dead, NULL));
        pthread_barrier_init(&s.allocated, NULL, NTHREADS);
        pthread_barrier_init(&s.released, NULL, NTHREADS);
        pthread_t t[NTHREADS];
        worker w[NTHREADS];
        /* One reference per worker (each releases its own), the creator's goes at once. */
        for (int i = 0; i < NTHREADS; i++)
            CHECK_CL(clRetainContext(s.ctx));
        for (int i = 0; i < NTHREADS; i++) {
            w[i] = (worker){&s, i};
            CHECK(pthread_create(&t[i], NULL, run, &w[i]) == 0);
        }
        CHECK_CL(clReleaseContext(s.ctx));
        for (int i = 0; i < NTHREADS; i++)
            CHECK(pthread_join(t[i], NULL) == 0);
        CHECK_MSG(wait_destroyed() == 1, "round %d: context not destroyed after its last SVM free",
                  round);
        CHECK_MSG(!atomic_load(&early), "round %d: context destroyed before its last SVM free",
                  round);
        cl_uint n = 0;
        CHECK_EQ(clGetContextInfo(s.ctx, CL_CONTEXT_NUM_DEVICES, sizeof n, &n, NULL),
                 CL_INVALID_CONTEXT);
        pthread_barrier_destroy(&s.allocated);
        pthread_barrier_destroy(&s.released);
    }
    printf("%d rounds: released context valid until its last SVM free, by %d threads ok\n", ROUNDS,
           NTHREADS);

    /* Allocations counted by threads that are gone (later threads may reuse their thread
     * descriptors and continue their counts), freed by another thread after the release. */
    cl_int err = CL_SUCCESS;
    cl_context c = clCreateContext(NULL, 1, &e.device, NULL, NULL, &err);
    CHECK_CL(err);
    atomic_store(&destroyed, 0);
    atomic_store(&frees_left, 6 * 8);
    CHECK_CL(clSetContextDestructorCallback(c, on_dead, NULL));
    leaver ls[6];
    for (int i = 0; i < 6; i++) {
        pthread_t t;
        ls[i].ctx = c;
        CHECK(pthread_create(&t, NULL, alloc_and_exit, &ls[i]) == 0);
        CHECK(pthread_join(t, NULL) == 0);
    }
    CHECK_CL(clReleaseContext(c));
    CHECK_EQ(atomic_load(&destroyed), 0);
    pthread_t t;
    CHECK(pthread_create(&t, NULL, free_all, ls) == 0);
    CHECK(pthread_join(t, NULL) == 0);
    CHECK_MSG(wait_destroyed() == 1, "context not destroyed after exited threads' SVM was freed");
    CHECK(!atomic_load(&early));
    printf("allocations of exited threads keep the context until freed ok\n");

    static racer r;
    for (int round = 0; round < RACE_ROUNDS; round++) {
        r.ctx = clCreateContext(NULL, 1, &e.device, NULL, NULL, &err);
        CHECK_CL(err);
        atomic_store(&destroyed, 0);
        atomic_store(&frees_left, 0); /* not tracked here: the end state is checked */
        CHECK_CL(clSetContextDestructorCallback(r.ctx, on_dead, NULL));
        for (int i = 0; i < RACE_BLOCKS; i++)
            CHECK((r.p[i] = clSVMAlloc(r.ctx, CL_MEM_READ_WRITE, 64, 0)) != NULL);
        void *last = clSVMAlloc(r.ctx, CL_MEM_READ_WRITE, 64, 0);
        CHECK(last != NULL);
        atomic_store(&r.freed, 0);
        CHECK(pthread_create(&t, NULL, free_fast, &r) == 0);
        /* Release somewhere in the middle of the other thread's frees. */
        int at = RACE_BLOCKS / 8 + round * 7 % (RACE_BLOCKS / 2);
        while (atomic_load_explicit(&r.freed, memory_order_relaxed) < at)
            ;
        CHECK_CL(clReleaseContext(r.ctx));
        CHECK(pthread_join(t, NULL) == 0);
        CHECK_MSG(atomic_load(&destroyed) == 0, "round %d: context destroyed with SVM live", round);
        cl_uint n = 0;
        CHECK_CL(clGetContextInfo(r.ctx, CL_CONTEXT_NUM_DEVICES, sizeof n, &n, NULL));
        clSVMFree(r.ctx, last);
        CHECK_MSG(wait_destroyed() == 1, "round %d: context not destroyed after its last free",
                  round);
    }
    printf("%d rounds: release racing another thread's frees ok\n", RACE_ROUNDS);

    svm_env_close(&e);
    return svm_exit_code();
}
