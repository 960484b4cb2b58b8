/*
 * fuzz_alloc: libFuzzer target driving the runtime allocator (runtime/include/clsvm/runtime.h)
 * with arbitrary operation sequences on a small (64 MiB) window, checked after every step
 * against a shadow model and clsvm_window_validate().
 *
 * Input: a byte stream of operations (see the switch below): allocations of any size (0 to
 * beyond the window), alignment (0, powers of two up to 2^31, and non-powers) and flags; frees of
 * live, interior, freed, unallocated and outside pointers; frees from another thread and
 * second frees of the last freed pointer; short-lived threads that allocate small blocks and
 * exit with some of them live; lookups of arbitrary window addresses; tag-checked frees; and
 * commit/decommit fault plans (clsvm_fault_arm), so that
 * commit failures and their rollback are fuzzed too. Large sizes make chunks commit and
 * decommit; a 256 KiB retain limit makes frees purge free pages next to live allocations.
 * Invariants: every status is one the contract allows for that call; a live allocation lies in
 * the window, is aligned, overlaps no other, keeps its fill pattern, and is what
 * clsvm_lookup() finds for any address inside it; a failed call changes nothing; the window
 * validates after every step; freeing everything leaves nothing committed or live.
 */
#include "clsvm/runtime.h"
#include "fault.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MiB ((size_t)1 << 20)
#define WINDOW (64 * MiB)
#define MAX_LIVE 128
/* Far below the default, so frees purge pages next to live allocations all the time (and
 * check_fill proves a purge never touches live data). */
#define RETAIN_LIMIT ((uint64_t)256 << 10)

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        fprintf(stderr, "fuzz_alloc: " __VA_ARGS__);                                               \
        fputc('\n', stderr);                                                                       \
        abort();                                                                                   \
    } while (0)

typedef struct live {
    unsigned char *p;
    size_t size;
    unsigned char fill;
    void *tag;
} live;

typedef struct input {
    const uint8_t *d;
    size_t n, pos;
} input;

static uint64_t take(input *in, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v = v << 8 | (in->pos < in->n ? in->d[in->pos++] : 0);
    return v;
}

/* Pattern checks cost O(size); check the ends and a stride so large buffers stay cheap. */
static void fill(live *a)
{
    size_t step = a->size > 65536 ? 4093 : 1;
    for (size_t i = 0; i < a->size; i += step)
        a->p[i] = (unsigned char)(a->fill + i);
    a->p[a->size - 1] = (unsigned char)(a->fill + a->size - 1);
}

static void check_fill(const live *a)
{
    size_t step = a->size > 65536 ? 4093 : 1;
    for (size_t i = 0; i < a->size; i += step)
        if (a->p[i] != (unsigned char)(a->fill + i))
            FAIL("allocation %p+%zu lost its data at byte %zu", (void *)a->p, a->size, i);
    if (a->p[a->size - 1] != (unsigned char)(a->fill + a->size - 1))
        FAIL("allocation %p+%zu lost its last byte", (void *)a->p, a->size);
}

static int find_containing(const live *l, int n, uintptr_t addr)
{
    for (int i = 0; i < n; i++)
        if (addr >= (uintptr_t)l[i].p && addr < (uintptr_t)l[i].p + l[i].size)
            return i;
    return -1;
}

static void check_all(clsvm_window *w, const clsvm_window_info *wi, const live *l, int n)
{
    if (clsvm_window_validate(w) != CLSVM_OK)
        FAIL("clsvm_window_validate failed (see the log line above)");
    for (int i = 0; i < n; i++) {
        uintptr_t b = (uintptr_t)l[i].p;
        if (b < wi->base || b + l[i].size > wi->base + wi->size)
            FAIL("allocation %p+%zu outside the window", (void *)l[i].p, l[i].size);
        for (int j = i + 1; j < n; j++)
            if (b < (uintptr_t)l[j].p + l[j].size && (uintptr_t)l[j].p < b + l[i].size)
                FAIL("allocations %p and %p overlap", (void *)l[i].p, (void *)l[j].p);
        check_fill(&l[i]);
        clsvm_alloc_info ai;
        if (clsvm_lookup(w, l[i].p + l[i].size - 1, &ai) != CLSVM_OK || ai.base != l[i].p ||
            ai.size != l[i].size || ai.tag != l[i].tag)
            FAIL("lookup of the last byte of %p does not find it", (void *)l[i].p);
    }
    clsvm_stats st;
    clsvm_window_get_stats(w, &st);
    if (st.live_allocations != (uint64_t)n)
        FAIL("window counts %llu live allocations, the model %d",
             (unsigned long long)st.live_allocations, n);
    if (st.retained > RETAIN_LIMIT || st.committed < st.allocated + st.retained)
        FAIL("%llu freed bytes retained (limit %llu), %llu committed, %llu allocated",
             (unsigned long long)st.retained, (unsigned long long)RETAIN_LIMIT,
             (unsigned long long)st.committed, (unsigned long long)st.allocated);
}

/* Another thread frees (cross-thread frees of small blocks: the remote path of window_small.c). */
typedef struct remote_free {
    clsvm_window *w;
    void *p;
    int rc;
} remote_free;

static void *free_there(void *arg)
{
    remote_free *r = arg;
    r->rc = clsvm_free(r->w, r->p);
    return NULL;
}

/* A thread allocates k small blocks, frees every other one and exits with the rest live (its
 * slabs are given up at exit). */
typedef struct short_lived {
    clsvm_window *w;
    size_t size;
    int k, kept;
    void *p[8];
} short_lived;

static void *live_briefly(void *arg)
{
    short_lived *t = arg;
    for (int i = 0; i < t->k; i++) {
        void *p;
        if (clsvm_alloc(t->w, t->size, 0, 0, t, &p) != CLSVM_OK)
            continue; /* NOMEM or an injected commit fault */
        if (i & 1) {
            if (clsvm_free(t->w, p) != CLSVM_OK)
                FAIL("thread: free of fresh %p failed", p);
        } else {
            t->p[t->kept++] = p;
        }
    }
    return NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    setenv("CLSVM_LOG", "error", 0); /* injected decommit faults would log a warning each */
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    clsvm_fault_arm(NULL);
    clsvm_config cfg;
    clsvm_config_init(&cfg);
    cfg.window_size = WINDOW;
    cfg.min_window_size = WINDOW;
    cfg.provider = "reserve";
    cfg.retain_limit = RETAIN_LIMIT;
    clsvm_window *w = NULL;
    if (clsvm_window_open(&cfg, &w) != CLSVM_OK)
        FAIL("no 64 MiB window could be reserved: the fuzzer cannot run here");
    clsvm_window_info wi;
    clsvm_window_get_info(w, &wi);

    static live l[MAX_LIVE];
    int n = 0, faults = 0;
    uintptr_t last_freed = 0;
    input in = {data, size, 0};
    static const size_t size_class[8] = {16,      256,     4096,     65536,
                                         1 * MiB, 3 * MiB, 12 * MiB, 80 * MiB};
    while (in.pos < in.n) {
        unsigned op = (unsigned)take(&in, 1) % 11;
        switch (op) {
        case 0:
        case 1:
        case 2: { /* allocate */
            unsigned cls = (unsigned)take(&in, 1);
            size_t sz = (size_t)(take(&in, 3) % size_class[cls % 8]);
            if (cls & 0x80)
                sz = 0;
            unsigned a = (unsigned)take(&in, 1);
            size_t align = (a & 0x40)   ? 0
                           : (a & 0x20) ? (size_t)(a & 0x1f)
                                        : (size_t)1 << (a & 0x1f);
            uint32_t flags = (uint32_t)take(&in, 4);
            void *tag = (void *)(uintptr_t)take(&in, 1);
            void *p = (void *)1;
            int rc = clsvm_alloc(w, sz, align, flags, tag, &p);
            int bad = sz == 0 || (align & (align - 1)) || align > wi.max_align;
            if (rc != CLSVM_OK) {
                if (p)
                    FAIL("failed alloc (%d) left *out = %p", rc, p);
                if (bad ? rc != CLSVM_ERR_INVALID
                        : !(rc == CLSVM_ERR_NOMEM || (rc == CLSVM_ERR_COMMIT && faults) ||
                            (rc == CLSVM_ERR_INVALID && sz > wi.size)))
                    FAIL("alloc(%zu, align %zu) returned %d (%s)", sz, align, rc,
                         clsvm_status_str(rc));
                break;
            }
            if (bad)
                FAIL("alloc(%zu, align %zu) succeeded with invalid arguments", sz, align);
            size_t eff = align ? align : 128;
            if ((uintptr_t)p % eff)
                FAIL("alloc(%zu, align %zu) = %p is misaligned", sz, align, p);
            if (n == MAX_LIVE) {
                if (clsvm_free(w, p) != CLSVM_OK)
                    FAIL("free of fresh %p failed", p);
                break;
            }
            l[n] = (live){p, sz, (unsigned char)(in.pos * 31 + 7), tag};
            fill(&l[n]);
            n++;
            break;
        }
        case 3: { /* free a live allocation */
            if (!n)
                break;
            int i = (int)(take(&in, 1) % (unsigned)n);
            if (clsvm_free(w, l[i].p) != CLSVM_OK)
                FAIL("free of live %p failed", (void *)l[i].p);
            last_freed = (uintptr_t)l[i].p;
            l[i] = l[--n];
            break;
        }
        case 8: { /* free a live allocation from another thread */
            if (!n)
                break;
            int i = (int)(take(&in, 1) % (unsigned)n);
            remote_free r = {w, l[i].p, -1};
            pthread_t t;
            if (pthread_create(&t, NULL, free_there, &r) || pthread_join(t, NULL))
                FAIL("no helper thread");
            if (r.rc != CLSVM_OK)
                FAIL("free of live %p in another thread returned %d", (void *)l[i].p, r.rc);
            last_freed = (uintptr_t)l[i].p;
            l[i] = l[--n];
            break;
        }
        case 9: { /* free the last freed pointer again: refused unless it was reused */
            int reused = 0;
            for (int i = 0; i < n; i++)
                reused |= (uintptr_t)l[i].p == last_freed;
            if (!last_freed || reused)
                break;
            int rc = clsvm_free(w, (void *)last_freed);
            if (rc != CLSVM_ERR_NOTFOUND)
                FAIL("double free of %#lx returned %d", (unsigned long)last_freed, rc);
            break;
        }
        case 10: { /* a thread allocates small blocks, frees some, exits */
            short_lived t = {
                w, 1 + (size_t)take(&in, 2) % 1024, 1 + (int)(take(&in, 1) % 8), 0, {0}};
            pthread_t th;
            if (pthread_create(&th, NULL, live_briefly, &t) || pthread_join(th, NULL))
                FAIL("no helper thread");
            for (int i = 0; i < t.kept; i++) {
                if (n == MAX_LIVE) {
                    if (clsvm_free(w, t.p[i]) != CLSVM_OK)
                        FAIL("free of %p left by an exited thread failed", t.p[i]);
                    continue;
                }
                l[n] = (live){t.p[i], t.size, (unsigned char)(in.pos * 17 + i), &t};
                fill(&l[n]);
                n++;
            }
            break;
        }
        case 4: { /* free a pointer that is not a live base: interior, window, outside, NULL */
            uintptr_t addr;
            unsigned kind = (unsigned)take(&in, 1) % 4;
            if (kind == 0 && n) {
                live *a = &l[take(&in, 1) % (unsigned)n];
                if (a->size < 2)
                    break;
                addr = (uintptr_t)a->p + 1 + take(&in, 3) % (a->size - 1);
            } else if (kind == 1) {
                addr = wi.base + take(&in, 4) % wi.size;
            } else if (kind == 2) {
                addr = (uintptr_t)take(&in, 8);
            } else {
                addr = 0;
            }
            int is_base = 0;
            for (int i = 0; i < n; i++)
                is_base |= (uintptr_t)l[i].p == addr;
            if (is_base)
                break;
            int rc = clsvm_free(w, (void *)addr);
            if (rc != (addr ? CLSVM_ERR_NOTFOUND : CLSVM_OK))
                FAIL("free of non-base %#lx returned %d", (unsigned long)addr, rc);
            break;
        }
        case 5: { /* lookup of any window address agrees with the model */
            uintptr_t addr = wi.base + take(&in, 4) % wi.size;
            unsigned mode = n ? take(&in, 1) % 4 : 0;
            if (mode) { /* interior, just past the end (slack, gap, next block), just before */
                live *a = &l[take(&in, 1) % (unsigned)n];
                uintptr_t off = take(&in, 1) % 128;
                addr = mode == 1   ? (uintptr_t)a->p + take(&in, 3) % a->size
                       : mode == 2 ? (uintptr_t)a->p + a->size + off
                                   : (uintptr_t)a->p - 1 - off;
            }
            clsvm_alloc_info ai;
            int rc = clsvm_lookup(w, (void *)addr, &ai);
            int i = find_containing(l, n, addr);
            if (i < 0 ? rc != CLSVM_ERR_NOTFOUND
                      : (rc != CLSVM_OK || ai.base != l[i].p || ai.size != l[i].size ||
                         ai.tag != l[i].tag))
                FAIL("lookup(%#lx) returned %d, the model says %s", (unsigned long)addr, rc,
                     i < 0 ? "nothing" : "an allocation");
            break;
        }
        case 6: { /* tag-checked free: wrong tag or interior pointer changes nothing */
            if (!n)
                break;
            int i = (int)(take(&in, 1) % (unsigned)n);
            unsigned char *p = l[i].p + ((take(&in, 1) & 1) && l[i].size > 1 ? 1 : 0);
            void *tag = (void *)((uintptr_t)l[i].tag + 1 + take(&in, 1));
            int rc = clsvm_free_checked(w, p, tag, NULL);
            if (rc != CLSVM_ERR_MISMATCH)
                FAIL("free_checked(%p, wrong tag) returned %d", (void *)p, rc);
            if (p == l[i].p && (take(&in, 1) & 1)) {
                if (clsvm_free_checked(w, p, l[i].tag, NULL) != CLSVM_OK)
                    FAIL("free_checked(%p, its tag) failed", (void *)p);
                l[i] = l[--n];
            }
            break;
        }
        case 7: { /* arm a commit/decommit fault plan, or clear it */
            static const char *const site[] = {"commit", "decommit"};
            unsigned x = (unsigned)take(&in, 1);
            char spec[40];
            if (x & 0x80) {
                clsvm_fault_arm(NULL);
                break;
            }
            snprintf(spec, sizeof spec, "%s:%u%s", site[x & 1], 1 + ((x >> 1) & 7),
                     (x & 0x40) ? "+" : "");
            if (clsvm_fault_arm(spec) != 0)
                FAIL("valid fault spec '%s' refused", spec);
            faults = 1;
            break;
        }
        }
        check_all(w, &wi, l, n);
    }
    clsvm_fault_arm(NULL);
    while (n)
        if (clsvm_free(w, l[--n].p) != CLSVM_OK)
            FAIL("final free failed");
    check_all(w, &wi, l, 0);
    clsvm_stats st;
    clsvm_window_get_stats(w, &st);
    if (st.allocated || st.committed)
        FAIL("empty window still has %llu bytes allocated, %llu committed",
             (unsigned long long)st.allocated, (unsigned long long)st.committed);
    clsvm_window_close(w);
    return 0;
}
