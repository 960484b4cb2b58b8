/*
 * check_json.c: the checker's part of the CLSVM_STATS document (docs/checker.md): a "check"
 * member with the checks enabled, the reports per check and the first reports themselves:
 *   "check":{"enabled":["leaks",...],"counts":{"leaks":0,...},
 *            "reports":[{"check":"redzone","what":"..","where":"..","fix":".."}],"dropped":0}
 * The runtime asks for it whenever it writes the file (clsvm_stats_set_extra); the exit
 * report rewrites the file once its reports are in.
 * Locking: one mutex, a leaf (reports are added under the other checker locks).
 */
#include "check.h"

#include "clsvm/internal/stats.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_KEPT 64 /* reports kept whole; later ones are only counted */

typedef struct kept {
    const char *check;
    char *what, *where, *fix;
} kept;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static kept reports[MAX_KEPT];
static size_t nkept;
static unsigned long dropped;

/* Host accesses reported from the SIGSEGV handler, which may neither lock nor allocate: a slot
 * is claimed with one atomic add, filled, then published; the document formats them. */
#define MAX_SIGNALLED 16
typedef struct signalled {
    uintptr_t addr, base;
    size_t size;
    int is_write;
    atomic_int ready;
} signalled;
static signalled hostaccess[MAX_SIGNALLED];
static atomic_uint nsignalled;

/* A JSON string, quoted. */
static void put_string(clsvm_json_out *o, const char *s)
{
    clsvm_json_put(o, "\"");
    clsvm_json_put_escaped(o, s);
    clsvm_json_put(o, "\"");
}

static size_t produce(char *buf, size_t cap)
{
    clsvm_json_out o = {buf, cap, 0};
    if (cap)
        buf[0] = '\0';
    unsigned mask = atomic_load_explicit(&clsvm_check_mask, memory_order_relaxed);
    clsvm_json_put(&o, "\"check\":{\"enabled\":[");
    int first = 1;
    for (unsigned bit = 1; bit & CLSVM_CHECK_ALL; bit <<= 1)
        if (mask & bit) {
            clsvm_json_put(&o, "%s\"%s\"", first ? "" : ",", clsvm_check_name(bit));
            first = 0;
        }
    clsvm_json_put(&o, "],\"counts\":{");
    for (unsigned bit = 1; bit & CLSVM_CHECK_ALL; bit <<= 1)
        clsvm_json_put(&o, "%s\"%s\":%lu", bit == 1 ? "" : ",", clsvm_check_name(bit),
                       clsvm_check_reports(bit));
    clsvm_json_put(&o, "},\"reports\":[");
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < nkept; i++) {
        clsvm_json_put(&o, "%s{\"check\":\"%s\",\"what\":", i ? "," : "", reports[i].check);
        put_string(&o, reports[i].what);
        clsvm_json_put(&o, ",\"where\":");
        put_string(&o, reports[i].where);
        clsvm_json_put(&o, ",\"fix\":");
        put_string(&o, reports[i].fix);
        clsvm_json_put(&o, "}");
    }
    unsigned ns = atomic_load_explicit(&nsignalled, memory_order_acquire);
    unsigned long late = ns > MAX_SIGNALLED ? ns - MAX_SIGNALLED : 0;
    for (unsigned i = 0; i < ns && i < MAX_SIGNALLED; i++) {
        const signalled *h = &hostaccess[i];
        if (!atomic_load_explicit(&h->ready, memory_order_acquire)) {
            late++;
            continue;
        }
        clsvm_json_put(
            &o,
            "%s{\"check\":\"hostaccess\",\"what\":\"host %s at %#lx to the coarse-grain SVM "
            "allocation %#lx (%zu bytes) outside clEnqueueSVMMap/clEnqueueSVMUnmap\","
            "\"where\":\"\",\"fix\":\"map it before the host touches it, or allocate it "
            "with CL_MEM_SVM_FINE_GRAIN_BUFFER\"}",
            nkept || i ? "," : "",
            h->is_write < 0 ? "access"
            : h->is_write   ? "write"
                            : "read",
            (unsigned long)h->addr, (unsigned long)h->base, h->size);
    }
    clsvm_json_put(&o, "],\"dropped\":%lu}", dropped + late);
    pthread_mutex_unlock(&lock);
    return o.len;
}

void clsvm_check_json_add_signalled(uintptr_t addr, uintptr_t base, size_t size, int is_write)
{
    unsigned i = atomic_fetch_add_explicit(&nsignalled, 1, memory_order_relaxed);
    if (i >= MAX_SIGNALLED)
        return; /* counted as dropped */
    signalled *h = &hostaccess[i];
    h->addr = addr;
    h->base = base;
    h->size = size;
    h->is_write = is_write;
    atomic_store_explicit(&h->ready, 1, memory_order_release);
}

void clsvm_check_json_enable(void)
{
    clsvm_stats_set_extra(produce);
}

void clsvm_check_json_add(const char *check, const char *what, const char *where, const char *fix)
{
    char *w = strdup(what), *wh = strdup(where ? where : ""), *f = strdup(fix);
    pthread_mutex_lock(&lock);
    int keep = nkept < MAX_KEPT && w && wh && f;
    if (keep)
        reports[nkept++] = (kept){check, w, wh, f};
    else
        dropped++;
    pthread_mutex_unlock(&lock);
    if (!keep) {
        free(w);
        free(wh);
        free(f);
    }
}

void clsvm_check_json_atfork(int take)
{
    if (take)
        pthread_mutex_lock(&lock);
    else
        pthread_mutex_unlock(&lock);
}
