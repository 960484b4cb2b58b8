/*
 * check_quarantine.c: the quarantine check (CLSVM_CHECK=quarantine, docs/checker.md). A freed
 * SVM allocation is not given back to the window at once: it is filled with a poison byte and
 * kept, still allocated in the runtime (so nothing else is placed there) but gone for every
 * pointer rule (svm.c asks clsvm_check_in_quarantine), until CLSVM_CHECK_QUARANTINE bytes of
 * later frees push it out, oldest first. A byte that is no longer the poison was written after
 * the free (a kernel still running, or host code with a dangling pointer): reported at
 * clFinish, clWaitForEvents and exit (every allocation in quarantine), and when one leaves it.
 *
 * Its context's reference is dropped at the free (svm.c), so a context whose SVM is all freed
 * goes as without the check. Locking: one mutex, a leaf (taken under check_alloc.c's, never
 * the other way); the window is called outside it.
 */
#include "check.h"
#include "svm.h"

#include "clsvm/internal/log.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POISON 0xdd /* not the red zone's 0xfd: a report tells which one was hit */
#define KERNEL_NAME 64

struct clsvm_check_qentry {
    clsvm_check_qentry *next;  /* FIFO order: oldest first */
    clsvm_check_qentry *hnext; /* its hash bucket's chain */
    void *base;
    size_t size, total;
    int nframes;
    void *frames[CLSVM_CHECK_FRAMES]; /* where it was freed */
    char kernel[KERNEL_NAME];
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static clsvm_check_qentry *oldest, *newest;
static size_t held; /* bytes (with guards) in quarantine */
/* By base: every SVM lookup with the check on asks whether its allocation is in here. */
#define NBUCKETS 4096
static clsvm_check_qentry *buckets[NBUCKETS];

static clsvm_check_qentry **bucket(const void *base)
{
    return &buckets[((uintptr_t)base >> 6) * UINT64_C(0x9e3779b97f4a7c15) >> 52];
}

/* Unlist the oldest entry (lock held). */
static clsvm_check_qentry *pop_oldest(void)
{
    clsvm_check_qentry *out = oldest, **h = bucket(out->base);
    while (*h != out)
        h = &(*h)->hnext;
    *h = out->hnext;
    oldest = out->next;
    if (!oldest)
        newest = NULL;
    held -= out->total;
    out->next = NULL;
    return out;
}

static size_t limit(void)
{
    return (size_t)clsvm_option_int(CLSVM_OPT_CHECK_QUARANTINE);
}

/* Report the bytes of e no longer the poison, then poison them again (one write, one report). */
static void check_entry(clsvm_check_qentry *e, const char *when)
{
    const unsigned char *b = e->base;
    size_t first = e->total, last = 0, i = 0;
    const uint64_t word = 0x0101010101010101ull * POISON;
    /* A fork() child of a /dev/svm window has no mapping there: the runtime finds nothing, and
     * nothing may be read. */
    clsvm_alloc_info in;
    clsvm_window *w = clsvm_svm_window();
    if (!w || clsvm_lookup(w, e->base, &in) != CLSVM_OK || in.base != e->base)
        return;
    /* Word by word where aligned: this runs over every byte in quarantine at each clFinish. */
    for (; i < e->total && ((uintptr_t)(b + i) & 7); i++)
        if (b[i] != POISON)
            first = first == e->total ? i : first, last = i;
    for (; i + 8 <= e->total; i += 8) {
        if (*(const uint64_t *)(const void *)(b + i) == word)
            continue;
        for (size_t j = i; j < i + 8; j++)
            if (b[j] != POISON)
                first = first == e->total ? j : first, last = j;
    }
    for (; i < e->total; i++)
        if (b[i] != POISON)
            first = first == e->total ? i : first, last = i;
    if (first == e->total)
        return;
    char what[256], where[2048];
    snprintf(what, sizeof what, "write into the freed SVM allocation %p (%zu bytes), found at %s",
             e->base, e->size, when);
    snprintf(where, sizeof where,
             "  written after the free: bytes %zu..%zu from its start%s\n"
             "  last kernel given a pointer into it: %s\n",
             first, last, last >= e->size ? " (reaching into its red zone)" : "",
             e->kernel[0] ? e->kernel : "(none)");
    clsvm_check_put_frames(where, sizeof where, "freed at", e->frames, e->nframes);
    memset(e->base, POISON, e->total);
    clsvm_check_report(CLSVM_CHECK_QUARANTINE, what, where,
                       "a command (or host code) wrote the memory after it was freed: wait for "
                       "the commands that use an allocation before freeing it, and drop pointers "
                       "into it");
}

int clsvm_check_quarantine_add(void *base, size_t size, size_t total, const char *kernel,
                               void *const *frames, int nframes, clsvm_check_qentry **evicted)
{
    size_t max = limit();
    if (total > max)
        return 0; /* larger than the whole quarantine: freed at once, unchecked */
    clsvm_check_qentry *e = calloc(1, sizeof *e);
    if (!e) {
        CLSVM_LOG_ONCE(CLSVM_LOG_WARN, "check: out of memory; some freed SVM goes unquarantined");
        return 0;
    }
    e->base = base;
    e->size = size;
    e->total = total;
    e->nframes = nframes;
    memcpy(e->frames, frames, (size_t)nframes * sizeof *frames);
    snprintf(e->kernel, sizeof e->kernel, "%s", kernel);
    /* Poisoned before it is listed: a check never reads an entry not yet poisoned. */
    memset(base, POISON, total);
    pthread_mutex_lock(&lock);
    if (newest)
        newest->next = e;
    else
        oldest = e;
    newest = e;
    held += total;
    e->hnext = *bucket(base);
    *bucket(base) = e;
    while (held > max) {
        clsvm_check_qentry *out = pop_oldest();
        check_entry(out, "clSVMFree (leaving the quarantine)");
        out->next = *evicted;
        *evicted = out;
    }
    pthread_mutex_unlock(&lock);
    return 1;
}

/* Free the allocations of the entries for real. Their contexts' references were dropped at
 * the free (svm.c): a tag may name a context gone since, and is not touched. */
static void release(clsvm_check_qentry *evicted)
{
    clsvm_window *w = evicted ? clsvm_svm_window() : NULL;
    for (clsvm_check_qentry *e = evicted, *next; e; e = next) {
        next = e->next;
        if (w)
            clsvm_free_checked(w, e->base, NULL, NULL);
        free(e);
    }
}

void clsvm_check_quarantine_release(clsvm_check_qentry *evicted)
{
    release(evicted);
}

int clsvm_check_in_quarantine(const void *base)
{
    pthread_mutex_lock(&lock);
    clsvm_check_qentry *e = *bucket(base);
    while (e && e->base != base)
        e = e->hnext;
    pthread_mutex_unlock(&lock);
    return e != NULL;
}

void clsvm_check_quarantine_all(const char *when, int drain)
{
    pthread_mutex_lock(&lock);
    for (clsvm_check_qentry *e = oldest; e; e = e->next)
        check_entry(e, when);
    clsvm_check_qentry *all = NULL;
    while (drain && oldest) {
        clsvm_check_qentry *out = pop_oldest();
        out->next = all;
        all = out;
    }
    pthread_mutex_unlock(&lock);
    release(all);
}

void clsvm_check_quarantine_atfork(int take)
{
    if (take)
        pthread_mutex_lock(&lock);
    else
        pthread_mutex_unlock(&lock);
}
