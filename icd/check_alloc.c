/*
 * check_alloc.c: the checker's record of every live SVM allocation, kept only while a check is
 * on (docs/checker.md), and the checks built on it:
 *   leaks    each allocation still live at exit, with where it was allocated;
 *   redzone  guard bytes after each allocation, written with a pattern at allocation and
 *            checked at clFinish, clWaitForEvents, clSVMFree (and the free command), the end
 *            of a kernel given it (check_inuse.c) and exit.
 * A freed allocation goes to quarantine (check_quarantine.c) from here, under this lock.
 * clsvm's own commands (memcpy, fill) are range-checked against the application's size and
 * never reach a guard; only kernels (and host code) can.
 *
 * Locking: one mutex, taken only with a check on. A record is inserted (with its guard written)
 * after the allocation and removed (its guard checked) before the free, each under the mutex,
 * so the checks, which read guards under it, only ever read live allocations with written
 * guards. It is a leaf: no other clsvm lock (the window's included) is taken under it, and
 * the backend is called outside it.
 */
#include "check.h"
#include "fork.h"
#include "svm.h"

#include "clsvm/internal/log.h"
#include "clsvm/internal/stats.h"

#include <dlfcn.h>
#include <link.h>
#include <execinfo.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GUARD_BYTE 0xfd /* rarely a value a kernel writes by accident (not 0, not ~0) */
#define FRAMES CLSVM_CHECK_FRAMES
#define KERNEL_NAME 64

typedef struct record {
    struct record *next;
    void *base;
    size_t size, guard;
    uint32_t flags;
    uint64_t serial; /* which allocation: an address freed and allocated again gets a new one */
    int nframes;
    void *frames[FRAMES];
    char kernel[KERNEL_NAME]; /* the last kernel given a pointer into it; "" none */
} record;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static record **buckets;
static size_t nbuckets, nrecords;
static uint64_t next_serial = 1;

static size_t slot(const void *base, size_t n)
{
    return (size_t)(((uint64_t)(uintptr_t)base >> 6) * UINT64_C(0x9e3779b97f4a7c15) >> 20) &
           (n - 1);
}

static record **find(const void *base)
{
    if (!nbuckets)
        return NULL;
    record **r = &buckets[slot(base, nbuckets)];
    while (*r && (*r)->base != base)
        r = &(*r)->next;
    return r;
}

static void grow(void)
{
    size_t n = nbuckets ? nbuckets * 2 : 1024;
    record **b = calloc(n, sizeof *b);
    if (!b)
        return; /* longer chains; still correct */
    for (size_t i = 0; i < nbuckets; i++)
        for (record *r = buckets[i], *next; r; r = next) {
            next = r->next;
            size_t s = slot(r->base, n);
            r->next = b[s];
            b[s] = r;
        }
    free(buckets);
    buckets = b;
    nbuckets = n;
}

/* libclsvm's loaded segments, [lo, hi): found once (dladdr per frame, which searches the
 * symbols, made each capture cost microseconds). */
static uintptr_t self_lo, self_hi;
static pthread_once_t self_once = PTHREAD_ONCE_INIT;

static int find_self(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    Dl_info *self = data;
    if ((void *)info->dlpi_addr != self->dli_fbase)
        return 0;
    for (int i = 0; i < info->dlpi_phnum; i++)
        if (info->dlpi_phdr[i].p_type == PT_LOAD) {
            uintptr_t a = info->dlpi_addr + info->dlpi_phdr[i].p_vaddr;
            uintptr_t b = a + info->dlpi_phdr[i].p_memsz;
            self_lo = self_lo && self_lo < a ? self_lo : a;
            self_hi = self_hi > b ? self_hi : b;
        }
    return 1;
}

static void self_init(void)
{
    Dl_info self;
    if (dladdr((void *)clsvm_check_report, &self))
        dl_iterate_phdr(find_self, &self);
}

/* The caller's frames outside libclsvm (the application's, and the ICD loader's). */
int clsvm_check_capture(void **out)
{
    void *all[FRAMES + 8];
    int n = backtrace(all, FRAMES + 8), kept = 0;
    pthread_once(&self_once, self_init);
    for (int i = 0; i < n && kept < FRAMES; i++)
        if ((uintptr_t)all[i] < self_lo || (uintptr_t)all[i] >= self_hi)
            out[kept++] = all[i];
    return kept;
}

void clsvm_check_put_frames(char *buf, size_t cap, const char *label, void *const *frames, int n)
{
    size_t len = strlen(buf);
    if (!n) {
        snprintf(buf + len, cap - len, "  %s: (not recorded)\n", label);
        return;
    }
    char **names = backtrace_symbols(frames, n);
    len += (size_t)snprintf(buf + len, cap - len, "  %s:\n", label);
    for (int i = 0; i < n && len < cap; i++) {
        if (names)
            len += (size_t)snprintf(buf + len, cap - len, "    #%d %s\n", i, names[i]);
        else
            len += (size_t)snprintf(buf + len, cap - len, "    #%d %p\n", i, frames[i]);
    }
    free(names);
}

/* Append "  allocated at:\n    frame\n..." to buf. */
static void put_frames(char *buf, size_t cap, const record *r)
{
    clsvm_check_put_frames(buf, cap, "allocated at", r ? r->frames : NULL, r ? r->nframes : 0);
}

/* Every checker lock, in their order (inuse and stale apart; quarantine under this one; the
 * reports' under all). */
void clsvm_check_atfork_prepare(void)
{
    clsvm_check_inuse_atfork(1);
    clsvm_check_stale_atfork(1);
    pthread_mutex_lock(&lock);
    clsvm_check_quarantine_atfork(1);
    clsvm_check_json_atfork(1);
}

void clsvm_check_atfork_release(void)
{
    clsvm_check_json_atfork(0);
    clsvm_check_quarantine_atfork(0);
    pthread_mutex_unlock(&lock);
    clsvm_check_stale_atfork(0);
    clsvm_check_inuse_atfork(0);
}

void clsvm_check_alloc_done(void *p, size_t size, size_t guard, uint32_t flags)
{
    record *r = calloc(1, sizeof *r);
    if (!r) { /* out of memory: the allocation goes unrecorded, and unchecked */
        CLSVM_LOG_ONCE(CLSVM_LOG_WARN, "check: out of memory; some SVM allocations go unchecked");
        return;
    }
    r->base = p;
    r->size = size;
    r->guard = guard;
    r->flags = flags;
    r->nframes = clsvm_check_capture(r->frames);
    pthread_mutex_lock(&lock);
    /* The guard is written under the lock that checks read it under, before the record is
     * visible: no check sees an allocation whose guard is not written yet. */
    memset((char *)p + size, GUARD_BYTE, guard);
    r->serial = next_serial++;
    if (nrecords >= nbuckets * 2)
        grow();
    if (nbuckets) {
        record **at = &buckets[slot(p, nbuckets)];
        r->next = *at;
        *at = r;
        nrecords++;
        r = NULL;
    }
    pthread_mutex_unlock(&lock);
    free(r);
}

/* Check r's guard; report an overwrite and restore the pattern (so it is reported once). */
static void check_guard(record *r, const char *when)
{
    /* A fork() child of a /dev/svm window has no mapping there: the runtime finds nothing, and
     * nothing may be read. */
    clsvm_alloc_info in;
    clsvm_window *w = clsvm_svm_window();
    if (!w || clsvm_lookup(w, r->base, &in) != CLSVM_OK)
        return;
    const unsigned char *g = (const unsigned char *)r->base + r->size;
    size_t first = r->guard, last = 0;
    for (size_t i = 0; i < r->guard; i++)
        if (g[i] != GUARD_BYTE) {
            if (first == r->guard)
                first = i;
            last = i;
        }
    if (first == r->guard)
        return;
    char what[256], where[2048];
    snprintf(what, sizeof what,
             "out-of-bounds write past the SVM allocation %p (%zu bytes), found at %s", r->base,
             r->size, when);
    snprintf(where, sizeof where,
             "  overwritten: bytes %zu..%zu from its start (%zu..%zu past its end; guard of %zu "
             "bytes checked)\n"
             "  last kernel given a pointer into it: %s\n",
             r->size + first, r->size + last, first, last, r->guard,
             r->kernel[0] ? r->kernel : "(none)");
    put_frames(where, sizeof where, r);
    memset((char *)r->base + r->size, GUARD_BYTE, r->guard);
    clsvm_check_report(CLSVM_CHECK_REDZONE, what, where,
                       "find the kernel's (or host code's) index past the end of this allocation; "
                       "the guard has been restored, so a later report means a new overwrite");
}

int clsvm_check_which(const void *p, clsvm_check_alloc *out)
{
    clsvm_alloc_info in;
    if (!p || !clsvm_svm_lookup(p, &in))
        return 0;
    pthread_mutex_lock(&lock);
    record **r = find(in.base);
    int found = r && *r;
    if (found) {
        out->base = (*r)->base;
        out->size = (*r)->size;
        out->serial = (*r)->serial;
    }
    pthread_mutex_unlock(&lock);
    return found;
}

int clsvm_check_forget(void *base)
{
    void *frames[FRAMES];
    int nframes = 0, kept = 0, twice = 0;
    int quarantine = clsvm_check_on(CLSVM_CHECK_QUARANTINE);
    if (clsvm_check_on(CLSVM_CHECK_INUSE | CLSVM_CHECK_QUARANTINE))
        nframes = clsvm_check_free_frames(frames);
    clsvm_check_qentry *evicted = NULL;
    pthread_mutex_lock(&lock);
    record **r = find(base), *gone = r ? *r : NULL;
    if (gone) {
        if (gone->guard)
            check_guard(gone, "clSVMFree");
        *r = gone->next;
        nrecords--;
        /* Into quarantine under this lock: a racing second free of base finds it either here
         * or there, never in neither (and then frees it for real). */
        if (quarantine)
            kept = clsvm_check_quarantine_add(base, gone->size, gone->size + gone->guard,
                                              gone->kernel, frames, nframes, &evicted);
    } else if (quarantine) {
        twice = clsvm_check_in_quarantine(base);
    }
    pthread_mutex_unlock(&lock);
    if (gone && clsvm_check_on(CLSVM_CHECK_INUSE))
        clsvm_check_inuse_free(base, gone->size, gone->serial, frames, nframes);
    if (twice) {
        char what[160], where[2048] = "";
        snprintf(what, sizeof what, "SVM allocation %p freed again: it was freed before", base);
        clsvm_check_put_frames(where, sizeof where, "freed again at", frames, nframes);
        clsvm_check_report(CLSVM_CHECK_QUARANTINE, what, where,
                           "free each allocation once; this free is ignored (the first free's "
                           "memory is in quarantine, not yet reused)");
    }
    clsvm_check_quarantine_release(evicted);
    free(gone);
    return twice ? -1 : kept;
}

void clsvm_check_guard_of(const void *base, uint64_t serial, const char *when)
{
    /* The guard is read: open meanwhile (the kernel's own hold may have ended already). */
    int ha = clsvm_check_on(CLSVM_CHECK_HOSTACCESS);
    if (ha)
        clsvm_check_ha_use(base, 1);
    pthread_mutex_lock(&lock);
    record **r = find(base);
    if (r && *r && (*r)->serial == serial && (*r)->guard)
        check_guard(*r, when);
    pthread_mutex_unlock(&lock);
    if (ha)
        clsvm_check_ha_use(base, -1);
}

void clsvm_check_kernel_uses(void *be_kernel, const void *p)
{
    clsvm_alloc_info in;
    if (!p || !clsvm_svm_lookup(p, &in))
        return;
    char name[KERNEL_NAME] = "";
    /* Called outside the lock: the backend is never called under it. */
    if (clsvm_be->clGetKernelInfo(be_kernel, CL_KERNEL_FUNCTION_NAME, sizeof name, name, NULL) !=
        CL_SUCCESS)
        snprintf(name, sizeof name, "(a kernel whose name is longer than %d bytes)",
                 KERNEL_NAME - 1);
    pthread_mutex_lock(&lock);
    record **r = find(in.base);
    if (r && *r)
        memcpy((*r)->kernel, name, sizeof name);
    pthread_mutex_unlock(&lock);
}

void clsvm_check_guards_all(const char *when)
{
    int ha = clsvm_check_on(CLSVM_CHECK_HOSTACCESS); /* the guards are read: open meanwhile */
    if (ha)
        clsvm_check_ha_pause(1);
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < nbuckets; i++)
        for (record *r = buckets[i]; r; r = r->next)
            if (r->guard)
                check_guard(r, when);
    pthread_mutex_unlock(&lock);
    if (ha)
        clsvm_check_ha_pause(0);
}

void clsvm_check_at_exit(void)
{
    if (clsvm_check_on(CLSVM_CHECK_REDZONE))
        clsvm_check_guards_all("exit");
    if (clsvm_check_on(CLSVM_CHECK_QUARANTINE))
        clsvm_check_quarantine_all("exit", 1);
    pthread_mutex_lock(&lock);
    for (size_t i = 0; clsvm_check_on(CLSVM_CHECK_LEAKS) && i < nbuckets; i++)
        for (record *r = buckets[i]; r; r = r->next) {
            char what[256], where[2048] = "";
            snprintf(what, sizeof what,
                     "SVM allocation %p (%zu bytes, flags %#" PRIx32 ") never freed", r->base,
                     r->size, r->flags);
            put_frames(where, sizeof where, r);
            clsvm_check_report(CLSVM_CHECK_LEAKS, what, where,
                               "clSVMFree (or clEnqueueSVMFree) it when done; releasing the "
                               "context does not free its SVM allocations");
        }
    pthread_mutex_unlock(&lock);
    /* The last line of a long stderr: whether anything above came from the checker. */
    unsigned long n = clsvm_check_reports(CLSVM_CHECK_ALL);
    if (n)
        fprintf(stderr, "clsvm check: %lu report(s) in this process\n", n);
    clsvm_stats_rewrite(); /* with the reports made at exit */
}
