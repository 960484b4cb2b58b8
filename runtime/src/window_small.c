/*
 * window_small.c: small allocations (up to 1 KiB, alignment up to their size class) served
 * from per-thread slabs without the window lock in the common case (docs/runtime.md "Small
 * allocations").
 *
 * A slab is one 64 KiB heap block (tag: the window's small_state, so the window recognises
 * it) cut into slots of one size class: 128, 256, 512 or 1024 bytes. All its metadata is
 * host memory outside the window, like the heap's records: per slot 16 bytes, a state word
 * (generation, live bit, requested size) and the tag and flags packed in one word (an
 * allocation whose tag or flags do not fit goes to the heap); per slab two free bitmaps. A
 * directory maps an address to its slab without a lock: one entry per 64 KiB of window, the slab
 * struct's address with its slot shift in the low bits, so a lookup computes the slot's address
 * from the entry alone. It is one flat array of address space (MAP_NORESERVE, 8 MiB for a 64 GiB
 * window; pages are touched only where slabs are), mapped when the window opens, so no
 * syscall runs for it under the window lock. Where the kernel refuses that much writable
 * address space (strict overcommit and a huge window), it is mapped read-only, all zero:
 * there are no slabs then, and small allocations come from the heap.
 *
 * Who does what:
 *  - A slab is owned by at most one thread cache (one per thread and window). Only the owner
 *    allocates from it: it takes a bit of `local` (its private free bitmap) and publishes the
 *    slot by storing the tag-and-flags word and then the live state word (release stores).
 *  - Any thread frees a slot: one compare-and-swap of the state word from live to free claims
 *    it, so of two racing frees exactly one wins and a double free, an interior pointer or a
 *    slot reused in between never frees anything else. The owner of a slab no other thread has
 *    freed into (M_FAST) claims with a plain store inside its `busy` flag instead; the first
 *    other thread to free into it makes every thread execute a barrier and waits out `busy`
 *    before its compare-and-swap (share()), after which the owner uses one too. The owner then
 *    sets its `local` bit; any other thread sets the bit in `remote` (atomic OR), which the
 *    owner collects when `local` runs dry.
 *  - A slab no thread owns (its owner moved on to a fresh slab, or exited) is settled under the
 *    window lock by whoever frees into it: listed as partial for the next thread that needs a
 *    slab of its class, or returned to the heap once all its slots are free. The free's OR of
 *    `remote` and the abandoning owner's store of `owner` are both sequentially consistent, so
 *    at least one of the two sees the other (the slot is never forgotten).
 *  - Lookups read the slot word as a seqlock (word, tag-and-flags, the slab's base, word
 *    again): a slot is live iff its word has the live bit, and the generation in the word
 *    changes on every alloc and free (slot words are never reset, not even when the struct is
 *    pooled and reused), so a lookup never mixes two allocations. A freed slot reads "not live"
 *    as soon as clsvm_free returns. A word unchanged across the base also pins the base: a slab
 *    goes back to the heap only once every slot is free, so one slot live throughout means the
 *    slab sat at one base throughout, the one read (however stale the directory entry was, the
 *    struct's slot shift never changes). The free's claim relies on the same argument.
 * Slab structs are type-stable (pooled per class, freed at window close), so lock-free readers
 * holding a stale pointer read a free slot or a different base, never freed memory.
 *
 * Thread caches live in a thread-local list and in their window's list (window lock). A thread
 * that exits gives its slabs up (pthread key destructor); window close marks its caches dead
 * (the thread frees them); a fork child gives up the slabs of every thread but the forking one.
 * Counters: each cache counts the small allocations and bytes its thread made minus those it
 * freed (it may go negative); the window sums them (plus those of exited threads) for stats.
 */
#include "window.h"

#include "clsvm/internal/barrier.h"
#include "clsvm/internal/log.h"

#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define SLAB_SHIFT 16
#define SLAB_SIZE ((uint64_t)1 << SLAB_SHIFT)
#define CLASS_SHIFT 7 /* the smallest slot: the heap granule */
#define CLASSES 4     /* 128, 256, 512, 1024 */
#define SMALL_MAX ((size_t)1 << (CLASS_SHIFT + CLASSES - 1))
#define MAX_SLOTS (SLAB_SIZE >> CLASS_SHIFT)
#define WORDS (MAX_SLOTS / 64)
/* A directory entry's low bits: its slab's slot shift (slab structs are 64-byte aligned). */
#define E_SHIFT ((uintptr_t)15)

#define W_SIZE UINT64_C(0xffff)
#define W_LIVE (UINT64_C(1) << 16)

/* How a free claims a slot of a slab (the low two bits of its mode; the rest is the slab's gen,
 * so that a step meant for one life of the slab cannot land on the next):
 *  M_FAST: the owner by a plain store, inside its busy flag; any other thread first turns the
 *          slab M_SHARED (share(): a barrier on every thread, then it waits for busy to clear);
 *  M_SHARING: another thread is doing that; M_SHARED: done; M_CAS: set so from the start (a
 *          slab taken from the partial list, no membarrier, or an owner whose slabs other
 *          threads freed into lately). In all three every free claims with a compare-and-swap. */
enum { M_FAST, M_SHARING, M_SHARED, M_CAS };
#define M_STATE 3u
/* After another thread freed into one of its M_FAST slabs, an owner's next slabs start in M_CAS:
 * 64 of them, twice as many each time it happens again (up to 2^20), half as many after an
 * M_FAST slab nobody else freed into. So a thread whose allocations others free pays a barrier
 * about log2(slabs) times, not once per slab. */
#define NO_FAST_MIN 64u
#define NO_FAST_MAX (1u << 20)

#define RLX memory_order_relaxed
#define ACQ memory_order_acquire
#define REL memory_order_release
#define SEQ memory_order_seq_cst

/* A slot's tag and flags in one word, so that a record is 16 bytes and never straddles a cache
 * line (lookups touch one line per slot): the tag in the low TF_SHIFT bits (user-space
 * pointers fit), the flags above. small_alloc passes anything else on to the heap. */
#define TF_SHIFT 48
#define TF_TAG ((UINT64_C(1) << TF_SHIFT) - 1)

typedef struct small_slot {
    _Alignas(16) _Atomic uint64_t word; /* generation << 32 | W_LIVE | requested size */
    _Atomic uint64_t tagflags;          /* flags << TF_SHIFT | tag */
} small_slot;
_Static_assert(sizeof(small_slot) == 16, "a slot record fills a quarter of a cache line");

/* Do tag and flags fit one tagflags word? */
static inline bool tf_fits(uint32_t flags, const void *tag)
{
    return !((uint64_t)(uintptr_t)tag >> TF_SHIFT | (uint64_t)flags >> (64 - TF_SHIFT));
}

static inline uint32_t tf_flags(uint64_t tf)
{
    return (uint32_t)(tf >> TF_SHIFT);
}

static inline void *tf_tag(uint64_t tf)
{
    return (void *)(uintptr_t)(tf & TF_TAG);
}

typedef struct small_tc small_tc;

typedef struct small_slab {
    _Atomic uintptr_t base;    /* 0 while pooled; set under the lock */
    unsigned cls, nslots;      /* fixed for the struct's life (pooled per class) */
    _Atomic uint32_t gen;      /* bumped when the slab goes back to the heap (mode, orphan frees) */
    _Atomic(small_tc *) owner; /* the cache allocating from it, or NULL */
    struct small_slab *prev, *next; /* partial list of its class, or the pool (lock) */
    struct small_slab *all;         /* every struct of the window, for close and validate */
    bool listed;                    /* on the partial list (lock) */
    _Atomic uint32_t mode;          /* gen << 2 | how frees claim slots (M_FAST, ...) */
    _Atomic uint32_t busy;          /* 1 while the owner frees with M_FAST (owner only) */
    _Atomic uint64_t local[WORDS];  /* free slots the owner may take (owner, or the lock) */
    _Alignas(64) _Atomic uint64_t remote[WORDS]; /* freed by others, not yet collected */
    _Alignas(64) small_slot slot[];
} small_slab;

struct small_tc {
    _Atomic(clsvm_window *) w; /* NULL once the window closed (the thread then frees it) */
    uint64_t id;               /* the window's small_state id: windows may reuse an address */
    pthread_t thread;
    small_tc *w_next; /* the window's list (lock) */
    small_tc *t_next; /* the thread's list (that thread only) */
    small_slab *cur[CLASSES];
    _Atomic int64_t live, bytes; /* this thread's small allocations minus its small frees */
    unsigned no_fast, backoff;   /* new slabs to start in M_CAS, and the next such count */
};

struct small_state {
    _Atomic uintptr_t *dir; /* one entry per slab-sized range of the window */
    size_t nslabs;
    bool dir_writable; /* false: mapped read-only, no slabs */
    uint64_t id;
    small_slab *partial[CLASSES];
    small_slab *pool[CLASSES];
    small_slab *all;
    small_tc *tcs;
    int64_t retired_live, retired_bytes; /* of exited threads and failed cache creations */
    uint64_t slabs;                      /* slabs holding a heap block */
    uint64_t peak;                       /* public peak_allocated */
    /* More than one chunk retained: an owner whose free empties its slab checks for "nothing
     * live". Read on every such free, so on a line of its own, written only on change. */
    _Alignas(64) _Atomic int drop_pending;
};

static pthread_mutex_t small_reg = PTHREAD_MUTEX_INITIALIZER; /* close vs thread exit */
static pthread_key_t small_key;
static atomic_bool small_key_ok;
static pthread_once_t small_key_once = PTHREAD_ONCE_INIT;
/* initial-exec: the ICD is dlopen'd, and the default model would call __tls_get_addr on every
 * small allocation; one pointer fits glibc's static TLS reserve for dlopen'd libraries. */
static _Thread_local small_tc *tl_caches __attribute__((tls_model("initial-exec")));
static _Atomic uint64_t next_id = 1;
static atomic_bool small_fast_ok; /* membarrier works: slabs may start in M_FAST */

/* Zeroed memory on its own cache lines: a thread's cache or slab header never shares a line
 * with another thread's (their counters and bitmaps are written on every call). */
static void *zalloc_lines(size_t size)
{
    size = (size + 63) & ~(size_t)63;
    void *p = aligned_alloc(64, size);
    if (p)
        memset(p, 0, size);
    return p;
}

/* ---- directory ---------------------------------------------------------------------------- */

/* The entry of slab index i (0: no slab there). */
static inline uintptr_t dir_entry(const clsvm_window *w, uint64_t i)
{
    return atomic_load_explicit(&w->small_dir[i], ACQ);
}

static small_slab *dir_get(const clsvm_window *w, uintptr_t a)
{
    return (small_slab *)(dir_entry(w, (a - w->region.base) >> SLAB_SHIFT) & ~E_SHIFT);
}

static uintptr_t dir_value(const small_slab *s)
{
    return (uintptr_t)s | (CLASS_SHIFT + s->cls);
}

/* The directory entry of a (lock held); NULL when the directory is read-only. */
static _Atomic uintptr_t *dir_slot(clsvm_window *w, uintptr_t a)
{
    small_state *ss = w->small;
    return ss->dir_writable ? &ss->dir[(a - w->region.base) >> SLAB_SHIFT] : NULL;
}

/* ---- create / destroy ---------------------------------------------------------------------- */

int small_create(clsvm_window *w)
{
    small_state *ss = zalloc_lines(sizeof *ss);
    if (!ss)
        return CLSVM_ERR_HOSTMEM;
    ss->nslabs = (size_t)((w->region.size + SLAB_SIZE - 1) >> SLAB_SHIFT);
    size_t bytes = ss->nslabs * sizeof *ss->dir;
    void *dir = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    ss->dir_writable = dir != MAP_FAILED;
    if (dir == MAP_FAILED) {
        /* Read-only private memory is not committed: lookups read zeros, slabs are off. */
        dir = mmap(NULL, bytes, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (dir == MAP_FAILED) {
            free(ss);
            return CLSVM_ERR_HOSTMEM;
        }
        clsvm_log(CLSVM_LOG_INFO,
                  "window: no writable address space for the small-allocation directory "
                  "(%zu MiB): allocations of up to 1 KiB come from the heap",
                  bytes >> 20);
    }
    ss->dir = dir;
    w->small_dir = dir;
    ss->id = atomic_fetch_add(&next_id, 1);
    atomic_store(&small_fast_ok, clsvm_barrier_ok());
    w->small = ss;
    return CLSVM_OK;
}

void small_destroy(clsvm_window *w)
{
    small_state *ss = w->small;
    if (!ss)
        return;
    pthread_mutex_lock(&small_reg);
    for (small_tc *tc = ss->tcs; tc; tc = tc->w_next)
        atomic_store_explicit(&tc->w, NULL, REL); /* its thread frees it */
    pthread_mutex_unlock(&small_reg);
    while (ss->all) {
        small_slab *next = ss->all->all;
        free(ss->all);
        ss->all = next;
    }
    munmap((void *)ss->dir, ss->nslabs * sizeof *ss->dir);
    free(ss);
    w->small = NULL;
    w->small_dir = NULL;
}

/* ---- slabs (lock held) --------------------------------------------------------------------- */

static unsigned slot_shift(const small_slab *s)
{
    return CLASS_SHIFT + s->cls;
}

static unsigned free_count(const small_slab *s)
{
    unsigned n = 0;
    for (unsigned i = 0; i < WORDS; i++)
        n += (unsigned)__builtin_popcountll(atomic_load_explicit(&s->local[i], RLX));
    return n;
}

/* Move the slots other threads freed into local. */
static bool collect(small_slab *s)
{
    bool any = false;
    for (unsigned i = 0; i < WORDS; i++)
        if (atomic_load_explicit(&s->remote[i], RLX)) {
            uint64_t v = atomic_exchange_explicit(&s->remote[i], 0, SEQ);
            atomic_store_explicit(&s->local[i], atomic_load_explicit(&s->local[i], RLX) | v, RLX);
            any |= v != 0;
        }
    return any;
}

static void list_remove(small_state *ss, small_slab *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else
        ss->partial[s->cls] = s->next;
    if (s->next)
        s->next->prev = s->prev;
    s->prev = s->next = NULL;
    s->listed = false;
}

static void release_slab(clsvm_window *w, small_slab *s)
{
    small_state *ss = w->small;
    if (s->listed)
        list_remove(ss, s);
    uintptr_t base = atomic_load_explicit(&s->base, RLX);
    atomic_store_explicit(dir_slot(w, base), 0, REL);
    atomic_fetch_add_explicit(&s->gen, 1, REL);
    atomic_store_explicit(&s->base, 0, REL);
    ss->slabs--; /* first: the free below asks whether anything is still live */
    window_free_locked(w, base);
    s->next = ss->pool[s->cls];
    ss->pool[s->cls] = s;
}

/* A slab no thread owns: list it for reuse, or give it back when all its slots are free. */
static void settle(clsvm_window *w, small_slab *s)
{
    unsigned n = free_count(s);
    if (n == s->nslots) {
        release_slab(w, s);
    } else if (n && !s->listed) {
        small_state *ss = w->small;
        s->prev = NULL;
        s->next = ss->partial[s->cls];
        if (s->next)
            s->next->prev = s;
        ss->partial[s->cls] = s;
        s->listed = true;
    }
}

static void abandon(clsvm_window *w, small_slab *s)
{
    small_tc *tc = atomic_load_explicit(&s->owner, RLX);
    uint32_t m = atomic_load_explicit(&s->mode, RLX) & M_STATE;
    if (tc && (m == M_SHARING || m == M_SHARED))
        tc->no_fast = tc->backoff = tc->backoff < NO_FAST_MIN   ? NO_FAST_MIN
                                    : tc->backoff < NO_FAST_MAX ? 2 * tc->backoff
                                                                : NO_FAST_MAX;
    else if (tc && m == M_FAST)
        tc->backoff /= 2;
    /* A fork child's slabs of threads it has not: one may have been inside a fast free. */
    atomic_store_explicit(&s->busy, 0, REL);
    atomic_store_explicit(&s->owner, NULL, SEQ);
    collect(s);
    settle(w, s);
}

static small_slab *new_slab(clsvm_window *w, unsigned cls)
{
    small_state *ss = w->small;
    small_slab *s = ss->pool[cls];
    unsigned nslots = (unsigned)(SLAB_SIZE >> (CLASS_SHIFT + cls));
    if (!s) {
        s = zalloc_lines(sizeof *s + nslots * sizeof s->slot[0]);
        if (!s)
            return NULL;
        s->cls = cls;
        s->nslots = nslots;
        s->all = ss->all;
        ss->all = s;
    } else {
        ss->pool[cls] = s->next;
        s->next = NULL;
    }
    uintptr_t addr = 0;
    int rc = ss->dir_writable ? window_alloc_locked(w, SLAB_SIZE, SLAB_SIZE, 0, ss, &addr)
                              : CLSVM_ERR_HOSTMEM;
    if (rc) {
        s->next = ss->pool[cls];
        ss->pool[cls] = s;
        return NULL;
    }
    for (unsigned i = 0; i < WORDS; i++) {
        unsigned lo = i * 64;
        uint64_t bits = lo >= nslots        ? 0
                        : nslots - lo >= 64 ? ~UINT64_C(0)
                                            : (UINT64_C(1) << (nslots - lo)) - 1;
        atomic_store_explicit(&s->local[i], bits, RLX);
        atomic_store_explicit(&s->remote[i], 0, RLX);
    }
    atomic_store_explicit(&s->base, addr, REL);
    ss->slabs++;
    atomic_store_explicit(dir_slot(w, addr), dir_value(s), REL);
    return s;
}

/* ---- thread caches ------------------------------------------------------------------------ */

static void retire(clsvm_window *w, small_tc *tc)
{
    small_state *ss = w->small;
    for (unsigned c = 0; c < CLASSES; c++)
        if (tc->cur[c]) {
            abandon(w, tc->cur[c]);
            tc->cur[c] = NULL;
        }
    ss->retired_live += atomic_load_explicit(&tc->live, RLX);
    ss->retired_bytes += atomic_load_explicit(&tc->bytes, RLX);
    atomic_store_explicit(&tc->live, 0, RLX);
    atomic_store_explicit(&tc->bytes, 0, RLX);
    for (small_tc **pp = &ss->tcs; *pp; pp = &(*pp)->w_next)
        if (*pp == tc) {
            *pp = tc->w_next;
            break;
        }
}

static void thread_exit(void *unused)
{
    (void)unused;
    pthread_mutex_lock(&small_reg);
    while (tl_caches) {
        small_tc *tc = tl_caches;
        tl_caches = tc->t_next;
        clsvm_window *w = atomic_load_explicit(&tc->w, ACQ);
        if (w) {
            pthread_mutex_lock(&w->lock);
            retire(w, tc);
            window_unlock(w);
        }
        free(tc);
    }
    pthread_mutex_unlock(&small_reg);
}

static void key_create(void)
{
    atomic_store(&small_key_ok, pthread_key_create(&small_key, thread_exit) == 0);
    if (!atomic_load(&small_key_ok))
        clsvm_log(CLSVM_LOG_WARN, "window: pthread_key_create failed; the small-allocation "
                                  "slabs of exiting threads stay with them");
}

/* When the library is unloaded (dlclose of the ICD), threads that outlive it must not run a
 * destructor in unmapped code at their exit: their caches are then simply not returned. */
__attribute__((destructor)) static void small_unload(void)
{
    if (atomic_exchange(&small_key_ok, false))
        pthread_key_delete(small_key);
}

static __attribute__((noinline)) small_tc *find_tc_slow(clsvm_window *w, bool create)
{
    small_tc *tc;
    for (small_tc **pp = &tl_caches; (tc = *pp);) {
        clsvm_window *tw = atomic_load_explicit(&tc->w, ACQ);
        if (!tw) { /* its window closed */
            *pp = tc->t_next;
            free(tc);
            continue;
        }
        if (tw == w && tc->id == w->small->id) {
            *pp = tc->t_next; /* to the front */
            tc->t_next = tl_caches;
            tl_caches = tc;
            return tc;
        }
        pp = &tc->t_next;
    }
    if (!create)
        return NULL;
    pthread_once(&small_key_once, key_create);
    tc = zalloc_lines(sizeof *tc);
    if (!tc)
        return NULL;
    atomic_init(&tc->w, w);
    tc->id = w->small->id;
    tc->thread = pthread_self();
    if (atomic_load_explicit(&small_key_ok, ACQ))
        pthread_setspecific(small_key, tc); /* non-NULL: the destructor runs at thread exit */
    pthread_mutex_lock(&w->lock);
    tc->w_next = w->small->tcs;
    w->small->tcs = tc;
    pthread_mutex_unlock(&w->lock);
    tc->t_next = tl_caches;
    tl_caches = tc;
    return tc;
}

/* This thread's cache for w when it heads the thread's list (every call but the first after
 * switching windows), else NULL. */
static inline small_tc *cached_tc(const clsvm_window *w)
{
    small_tc *tc = tl_caches;
    return tc && atomic_load_explicit(&tc->w, RLX) == w && tc->id == w->small->id ? tc : NULL;
}

static inline small_tc *find_tc(clsvm_window *w, bool create)
{
    small_tc *tc = cached_tc(w);
    return __builtin_expect(tc != NULL, 1) ? tc : find_tc_slow(w, create);
}

static void count(small_tc *tc, int64_t n, int64_t bytes)
{
    atomic_store_explicit(&tc->live, atomic_load_explicit(&tc->live, RLX) + n, RLX);
    atomic_store_explicit(&tc->bytes, atomic_load_explicit(&tc->bytes, RLX) + bytes, RLX);
}

/* ---- alloc / free / lookup ------------------------------------------------------------------ */

/* A free slot of s from the owner's own bitmap, or -1. */
static inline int take_local(small_slab *s)
{
    for (unsigned i = 0; i < WORDS; i++) {
        uint64_t v = atomic_load_explicit(&s->local[i], RLX);
        if (v) {
            atomic_store_explicit(&s->local[i], v & (v - 1), RLX);
            return (int)(i * 64 + (unsigned)__builtin_ctzll(v));
        }
    }
    return -1;
}

/* The same, collecting what other threads freed when the owner's bitmap runs dry. */
static int take_slot(small_slab *s)
{
    int i = take_local(s);
    while (i < 0 && collect(s))
        i = take_local(s);
    return i;
}

static unsigned size_class(size_t need)
{
    return need <= ((size_t)1 << CLASS_SHIFT)
               ? 0
               : (unsigned)(64 - __builtin_clzll((uint64_t)need - 1)) - CLASS_SHIFT;
}

/* Hand out slot i of s, which this thread took: tag and flags first, then the live word (both
 * fit: tf_fits). */
static inline void *publish(small_tc *tc, small_slab *s, int i, size_t size, uint32_t flags,
                            void *tag)
{
    small_slot *sl = &s->slot[i];
    uint64_t w0 = atomic_load_explicit(&sl->word, RLX);
    atomic_store_explicit(&sl->tagflags, (uint64_t)flags << TF_SHIFT | (uintptr_t)tag, REL);
    atomic_store_explicit(&sl->word, ((w0 >> 32) + 1) << 32 | W_LIVE | size, REL);
    count(tc, 1, (int64_t)size);
    return (void *)(atomic_load_explicit(&s->base, RLX) + ((uintptr_t)i << slot_shift(s)));
}

/* This thread's slab of class cls has no free slot (or there is none yet): give it up and take
 * a partial slab or a new one (lock). */
static small_slab *refill(clsvm_window *w, small_tc *tc, unsigned cls)
{
    pthread_mutex_lock(&w->lock);
    small_slab *s = tc->cur[cls];
    if (s)
        abandon(w, s);
    s = w->small->partial[cls];
    /* The mode before the owner: frees that find this owner find its mode. A slab from the
     * partial list may still see frees by a thread that read M_FAST and no owner: M_CAS. */
    if (s) {
        list_remove(w->small, s);
        atomic_store_explicit(&s->mode, (atomic_load_explicit(&s->mode, RLX) & ~M_STATE) | M_CAS,
                              RLX);
        atomic_store_explicit(&s->owner, tc, SEQ);
        collect(s);
    } else if ((s = new_slab(w, cls)) != NULL) {
        bool fast = atomic_load_explicit(&small_fast_ok, RLX) && !tc->no_fast;
        if (tc->no_fast)
            tc->no_fast--;
        atomic_store_explicit(
            &s->mode, atomic_load_explicit(&s->gen, RLX) << 2 | (fast ? M_FAST : M_CAS), RLX);
        atomic_store_explicit(&s->owner, tc, SEQ);
    }
    tc->cur[cls] = s;
    small_observe_peak(w);
    window_unlock(w);
    return s;
}

int small_alloc_cached(clsvm_window *w, size_t size, size_t align, uint32_t flags, void *tag,
                       void **out)
{
    size_t need = size > align ? size : align;
    if (need > SMALL_MAX || !tf_fits(flags, tag))
        return SMALL_PASS;
    small_tc *tc = cached_tc(w);
    small_slab *s = tc ? tc->cur[size_class(need)] : NULL;
    int i = s ? take_local(s) : -1;
    if (i < 0)
        return SMALL_PASS;
    *out = publish(tc, s, i, size, flags, tag);
    return CLSVM_OK;
}

int small_alloc(clsvm_window *w, size_t size, size_t align, uint32_t flags, void *tag, void **out)
{
    size_t need = size > align ? size : align;
    if (need > SMALL_MAX || !tf_fits(flags, tag))
        return SMALL_PASS;
    unsigned cls = size_class(need);
    small_tc *tc = find_tc(w, true);
    if (!tc)
        return SMALL_PASS;
    small_slab *s = tc->cur[cls];
    int i = s ? take_slot(s) : -1;
    if (i < 0) {
        if (!(s = refill(w, tc, cls)))
            return SMALL_PASS; /* no room for a slab: the heap may still fit the block */
        i = take_slot(s);
    }
    *out = publish(tc, s, i, size, flags, tag);
    return CLSVM_OK;
}

/* Seqlock read of slot i of s (base base): CLSVM_OK and *info when live. */
static int read_slot(const small_slab *s, uintptr_t base, unsigned i, uint64_t *word,
                     heap_block_info *info)
{
    const small_slot *sl = &s->slot[i];
    uint64_t w0 = atomic_load_explicit(&sl->word, ACQ);
    if (!(w0 & W_LIVE))
        return CLSVM_ERR_NOTFOUND;
    uint64_t tf = atomic_load_explicit(&sl->tagflags, ACQ);
    if (atomic_load_explicit(&s->base, ACQ) != base || atomic_load_explicit(&sl->word, ACQ) != w0)
        return CLSVM_ERR_NOTFOUND; /* freed or reused during the read */
    *word = w0;
    *info = (heap_block_info){base + ((uintptr_t)i << slot_shift(s)), (size_t)(w0 & W_SIZE),
                              tf_flags(tf), tf_tag(tf)};
    return CLSVM_OK;
}

int small_lookup(clsvm_window *w, uintptr_t a, heap_block_info *info)
{
    uint64_t off = a - w->region.base;
    uintptr_t e = dir_entry(w, off >> SLAB_SHIFT);
    if (!e)
        return SMALL_PASS;
    /* The slot's address comes from the entry and a: the struct's base is only checked, in
     * parallel with the slot's loads rather than before them. */
    const small_slab *s = (const small_slab *)(e & ~E_SHIFT);
    unsigned shift = (unsigned)(e & E_SHIFT);
    uintptr_t in_slab = (uintptr_t)(off & (SLAB_SIZE - 1)), i = in_slab >> shift;
    const small_slot *sl = &s->slot[i];
    uint64_t w0 = atomic_load_explicit(&sl->word, ACQ);
    if (!(w0 & W_LIVE))
        return CLSVM_ERR_NOTFOUND;
    uint64_t tf = atomic_load_explicit(&sl->tagflags, ACQ);
    uintptr_t in_slot = in_slab - (i << shift);
    if (atomic_load_explicit(&s->base, ACQ) != a - in_slab ||
        atomic_load_explicit(&sl->word, ACQ) != w0 || in_slot >= (w0 & W_SIZE))
        return CLSVM_ERR_NOTFOUND; /* freed, reused or released during the read; or slack */
    if (info)
        *info = (heap_block_info){a - in_slot, (size_t)(w0 & W_SIZE), tf_flags(tf), tf_tag(tf)};
    return CLSVM_OK;
}

bool small_is_in(const void *dir, uintptr_t wbase, uintptr_t a, const void *tag,
                 uint32_t flags_below)
{
    uint64_t off = a - wbase;
    uintptr_t e = atomic_load_explicit((const _Atomic uintptr_t *)dir + (off >> SLAB_SHIFT), ACQ);
    if (!e)
        return false;
    const small_slab *s = (const small_slab *)(e & ~E_SHIFT);
    unsigned shift = (unsigned)(e & E_SHIFT);
    uintptr_t in_slab = (uintptr_t)(off & (SLAB_SIZE - 1)), i = in_slab >> shift;
    const small_slot *sl = &s->slot[i];
    uint64_t w0 = atomic_load_explicit(&sl->word, ACQ);
    /* Each answer is checked as soon as it is read: fewer values live at once. A tag that does
     * not fit a tagflags word matches no slot (none holds one). */
    if (!(w0 & W_LIVE) || in_slab - (i << shift) >= (w0 & W_SIZE))
        return false;
    uint64_t tf = atomic_load_explicit(&sl->tagflags, ACQ);
    if ((tf & TF_TAG) != (uintptr_t)tag || tf_flags(tf) >= flags_below)
        return false;
    return atomic_load_explicit(&s->base, ACQ) == a - in_slab &&
           atomic_load_explicit(&sl->word, ACQ) == w0;
}

static bool slab_empty(small_slab *s)
{
    collect(s);
    return free_count(s) == s->nslots;
}

/* The owner's free emptied its slab while chunks are retained: if that was the last live
 * allocation, drop the retained chunks as a heap free would. */
static void owner_emptied(clsvm_window *w)
{
    pthread_mutex_lock(&w->lock);
    if (small_nothing_live(w))
        retain_drop(w, 1);
    small_note_retained(w);
    window_unlock(w);
}

static void orphan_freed(clsvm_window *w, small_slab *s, uint32_t gen)
{
    pthread_mutex_lock(&w->lock);
    if (atomic_load_explicit(&s->gen, RLX) == gen && !atomic_load_explicit(&s->owner, SEQ) &&
        atomic_load_explicit(&s->base, RLX)) {
        collect(s);
        settle(w, s);
    }
    window_unlock(w);
}

/* After the claim of slot i of s (size bytes): count it and give the slot back to the owner's
 * bitmap, or to the slab's remote one (and settle a slab no thread owns). */
static __attribute__((noinline)) void freed(clsvm_window *w, small_slab *s, unsigned i, size_t size)
{
    /* Counted first, so that a slab release below sees whether anything is still live. */
    small_tc *tc = find_tc(w, true);
    if (tc) {
        count(tc, -1, -(int64_t)size);
    } else {
        pthread_mutex_lock(&w->lock);
        w->small->retired_live--;
        w->small->retired_bytes -= (int64_t)size;
        pthread_mutex_unlock(&w->lock);
    }
    uint64_t bit = UINT64_C(1) << (i & 63);
    if (tc && atomic_load_explicit(&s->owner, RLX) == tc) {
        atomic_store_explicit(&s->local[i / 64], atomic_load_explicit(&s->local[i / 64], RLX) | bit,
                              RLX);
        if (atomic_load_explicit(&w->small->drop_pending, RLX) && slab_empty(s))
            owner_emptied(w);
    } else {
        /* Read before the bit is set: the slab cannot go back to the heap before that. */
        uint32_t gen = atomic_load_explicit(&s->gen, RLX);
        atomic_fetch_or_explicit(&s->remote[i / 64], bit, SEQ);
        if (!atomic_load_explicit(&s->owner, SEQ))
            orphan_freed(w, s, gen);
    }
}

/* Another thread is about to claim a slot of s with a compare-and-swap, after reading the
 * slot's word: if s has an owner that may free with M_FAST, turn it M_SHARED first. The owner
 * stores busy, then reads the mode, ordered for the compiler only; the barrier on every thread
 * here pairs with that: either the owner reads M_SHARING, or its busy is seen below and waited
 * out (its free's store of the word comes before busy clears). Once per slab and life. */
static __attribute__((noinline)) void share(small_slab *s, const small_tc *self)
{
    const small_tc *owner = atomic_load_explicit(&s->owner, ACQ);
    if (!owner || owner == self)
        return; /* no owner: a thread that takes it starts in M_CAS */
    uint32_t m = atomic_load_explicit(&s->mode, ACQ);
    while ((m & M_STATE) == M_FAST && !atomic_compare_exchange_weak_explicit(
                                          &s->mode, &m, (m & ~M_STATE) | M_SHARING, SEQ, ACQ))
        ;
    if ((m & M_STATE) != M_FAST && (m & M_STATE) != M_SHARING)
        return;
    m = (m & ~M_STATE) | M_SHARING;
    clsvm_barrier_all();
    for (unsigned spins = 0; atomic_load_explicit(&s->busy, ACQ); spins++)
        if (spins > 64)
            sched_yield(); /* the owner was preempted inside its free: a few instructions left */
    atomic_compare_exchange_strong_explicit(&s->mode, &m, (m & ~M_STATE) | M_SHARED, REL, RLX);
}

/* The owner's claim of slot i while s is M_FAST: no other thread claims a slot of s meanwhile
 * (share() waits for busy), so plain loads and a store do. SMALL_PASS when s is not M_FAST;
 * CLSVM_ERR_MISMATCH (and *bi) for an interior pointer or another tag. */
static inline int owner_claim(small_slab *s, unsigned i, uintptr_t a, uintptr_t base, bool checked,
                              const void *tag, heap_block_info *bi)
{
    atomic_store_explicit(&s->busy, 1, RLX);
    atomic_signal_fence(SEQ); /* share()'s barrier orders the processor */
    if (__builtin_expect((atomic_load_explicit(&s->mode, RLX) & M_STATE) != M_FAST, 0)) {
        atomic_store_explicit(&s->busy, 0, RLX);
        return SMALL_PASS;
    }
    small_slot *sl = &s->slot[i];
    uint64_t w0 = atomic_load_explicit(&sl->word, RLX);
    uint64_t tf = atomic_load_explicit(&sl->tagflags, RLX);
    *bi = (heap_block_info){base + ((uintptr_t)i << slot_shift(s)), (size_t)(w0 & W_SIZE),
                            tf_flags(tf), tf_tag(tf)};
    int rc = CLSVM_OK;
    if (!(w0 & W_LIVE) || a - bi->addr >= bi->size)
        rc = CLSVM_ERR_NOTFOUND;
    else if (a != bi->addr || (checked && tag && bi->tag != tag))
        rc = CLSVM_ERR_MISMATCH; /* with *bi, as the caller's unchecked free wants it too */
    else
        atomic_store_explicit(&sl->word, ((w0 >> 32) + 1) << 32, REL);
    atomic_store_explicit(&s->busy, 0, REL);
    return rc;
}

int small_free(clsvm_window *w, uintptr_t a, bool checked, const void *tag, heap_block_info *info)
{
    small_slab *s = dir_get(w, a);
    if (!s)
        return SMALL_PASS;
    uintptr_t base = atomic_load_explicit(&s->base, ACQ);
    if (a - base >= SLAB_SIZE)
        return CLSVM_ERR_NOTFOUND;
    unsigned i = (unsigned)((a - base) >> slot_shift(s));
    small_slot *sl = &s->slot[i];
    heap_block_info bi;
    small_tc *tc = cached_tc(w);
    /* The owner's base cannot change under it: only its owner gives a slab up. */
    int rc = tc && atomic_load_explicit(&s->owner, RLX) == tc
                 ? owner_claim(s, i, a, base, checked, tag, &bi)
                 : SMALL_PASS;
    if (__builtin_expect(rc != SMALL_PASS, 1)) {
        if (rc == CLSVM_ERR_NOTFOUND)
            return rc;
        if (info)
            *info = bi;
        if (rc)
            return checked ? CLSVM_ERR_MISMATCH : CLSVM_ERR_NOTFOUND;
    } else {
        /* No seqlock retry here: the compare-and-swap reads the word again, and a word it
         * finds unchanged (the generation moves on every alloc and free) was live, with the tag
         * and flags read here, all along. A failed one loads the word anew. */
        uint64_t w0 = atomic_load_explicit(&sl->word, ACQ);
        for (;;) {
            if (!(w0 & W_LIVE))
                return CLSVM_ERR_NOTFOUND;
            uint64_t tf = atomic_load_explicit(&sl->tagflags, ACQ);
            bi = (heap_block_info){base + ((uintptr_t)i << slot_shift(s)), (size_t)(w0 & W_SIZE),
                                   tf_flags(tf), tf_tag(tf)};
            /* Read after the word: a slab released and reused elsewhere meanwhile (its slot
             * words belong to another address) is seen here, or its slot's word has moved on. */
            if (atomic_load_explicit(&s->base, ACQ) != base || a - bi.addr >= bi.size)
                return CLSVM_ERR_NOTFOUND; /* or in the rounding slack: in no allocation */
            if (a != bi.addr || (checked && tag && bi.tag != tag)) {
                if (info)
                    *info = bi;
                return checked ? CLSVM_ERR_MISMATCH : CLSVM_ERR_NOTFOUND;
            }
            if (__builtin_expect((atomic_load_explicit(&s->mode, ACQ) & M_STATE) < M_SHARED, 0))
                share(s, tc);
            if (atomic_compare_exchange_weak_explicit(&sl->word, &w0, ((w0 >> 32) + 1) << 32, ACQ,
                                                      ACQ))
                break;
        }
        if (info)
            *info = bi;
    }
    /* The common case: the thread that allocates from the slab frees into it. */
    if (__builtin_expect(tc && atomic_load_explicit(&s->owner, RLX) == tc &&
                             !atomic_load_explicit(&w->small->drop_pending, RLX),
                         1)) {
        count(tc, -1, -(int64_t)bi.size);
        atomic_store_explicit(
            &s->local[i / 64],
            atomic_load_explicit(&s->local[i / 64], RLX) | UINT64_C(1) << (i & 63), RLX);
        return CLSVM_OK;
    }
    freed(w, s, i, bi.size);
    return CLSVM_OK;
}

/* ---- window hooks (lock held) ---------------------------------------------------------------- */

int small_owns(const clsvm_window *w, uintptr_t a)
{
    return dir_get(w, a) != NULL;
}

int small_is_slab_tag(const clsvm_window *w, const void *tag)
{
    return tag == (const void *)w->small;
}

void small_counts(const clsvm_window *w, small_counts_t *c)
{
    const small_state *ss = w->small;
    int64_t live = ss->retired_live, bytes = ss->retired_bytes;
    for (const small_tc *tc = ss->tcs; tc; tc = tc->w_next) {
        live += atomic_load_explicit(&tc->live, RLX);
        bytes += atomic_load_explicit(&tc->bytes, RLX);
    }
    c->live = live > 0 ? (uint64_t)live : 0;
    c->bytes = bytes > 0 ? (uint64_t)bytes : 0;
    c->slabs = ss->slabs;
    c->slab_bytes = ss->slabs * SLAB_SIZE;
}

bool small_nothing_live(const clsvm_window *w)
{
    small_counts_t c;
    small_counts(w, &c);
    return w->allocated == c.slab_bytes && c.live == 0;
}

void small_note_retained(clsvm_window *w)
{
    int many = w->retained.count > 1;
    if (atomic_load_explicit(&w->small->drop_pending, RLX) != many)
        atomic_store_explicit(&w->small->drop_pending, many, RLX);
}

uint64_t small_observe_peak(clsvm_window *w)
{
    small_counts_t c;
    small_counts(w, &c);
    uint64_t now = w->allocated - c.slab_bytes + c.bytes;
    if (now > w->small->peak)
        w->small->peak = now;
    return w->small->peak;
}

void small_flush_self(clsvm_window *w)
{
    small_tc *tc = find_tc(w, false);
    if (!tc)
        return;
    for (unsigned c = 0; c < CLASSES; c++) {
        small_slab *s = tc->cur[c];
        if (s) {
            collect(s);
            if (free_count(s) == s->nslots) {
                abandon(w, s);
                tc->cur[c] = NULL;
            }
        }
    }
}

int small_foreach_slab(const clsvm_window *w, uintptr_t base,
                       int (*fn)(const heap_block_info *, void *), void *user)
{
    const small_slab *s = dir_get(w, base);
    if (!s)
        return 0;
    for (unsigned i = 0; i < s->nslots; i++) {
        uint64_t word;
        heap_block_info bi;
        if (read_slot(s, base, i, &word, &bi) == CLSVM_OK && fn(&bi, user))
            return 1;
    }
    return 0;
}

void small_fork_child(clsvm_window *w)
{
    pthread_t self = pthread_self();
    for (small_tc *tc = w->small->tcs, *next; tc; tc = next) {
        next = tc->w_next;
        if (!pthread_equal(tc->thread, self)) {
            retire(w, tc); /* that thread does not exist here */
            free(tc);
        }
    }
}

/* The slab structs were copied into the child, the slabs' memory was not: empty the directory
 * (private anonymous pages read zero after MADV_DONTNEED), so that a lookup through it, even
 * one through a copy of the window's view, finds no slab. */
void small_fork_lost(clsvm_window *w)
{
    small_state *ss = w->small;
    if (ss && ss->dir_writable &&
        madvise((void *)ss->dir, ss->nslabs * sizeof *ss->dir, MADV_DONTNEED) != 0)
        memset((void *)ss->dir, 0, ss->nslabs * sizeof *ss->dir);
}

pthread_mutex_t *small_registry_lock(void)
{
    return &small_reg;
}

#define BAD(...)                                                                                   \
    do {                                                                                           \
        clsvm_log(CLSVM_LOG_ERROR, "window validate: " __VA_ARGS__);                               \
        return CLSVM_ERR_INVALID;                                                                  \
    } while (0)

int small_validate(clsvm_window *w)
{
    const small_state *ss = w->small;
    uint64_t slabs = 0, live = 0, bytes = 0;
    for (const small_slab *s = ss->all; s; s = s->all) {
        uintptr_t base = atomic_load_explicit(&s->base, RLX);
        if (!base)
            continue;
        slabs++;
        heap_block_info hb;
        if (dir_get(w, base) != s || heap_lookup(w->heap, base, &hb) || hb.addr != base ||
            hb.size != SLAB_SIZE || !small_is_slab_tag(w, hb.tag))
            BAD("slab %#lx is not a 64 KiB heap block the directory names", (unsigned long)base);
        bool owned = atomic_load_explicit(&s->owner, RLX) != NULL;
        unsigned nfree = 0;
        for (unsigned i = 0; i < s->nslots; i++) {
            uint64_t word = atomic_load_explicit(&s->slot[i].word, RLX);
            uint64_t bit = UINT64_C(1) << (i & 63);
            bool is_free = (atomic_load_explicit(&s->local[i / 64], RLX) |
                            atomic_load_explicit(&s->remote[i / 64], RLX)) &
                           bit;
            if (word & W_LIVE) {
                uint64_t size = word & W_SIZE;
                if (is_free || !size || size > ((uint64_t)1 << slot_shift(s)))
                    BAD("slot %#lx: live with size %llu, or also free",
                        (unsigned long)(base + ((uintptr_t)i << slot_shift(s))),
                        (unsigned long long)size);
                live++;
                bytes += size;
            } else if (!is_free) {
                BAD("slot %#lx: neither live nor free",
                    (unsigned long)(base + ((uintptr_t)i << slot_shift(s))));
            } else {
                nfree++;
            }
        }
        if (!owned && (nfree == s->nslots || s->listed != (nfree != 0)))
            BAD("unowned slab %#lx: %u of %u slots free, %slisted", (unsigned long)base, nfree,
                s->nslots, s->listed ? "" : "not ");
    }
    small_counts_t c;
    small_counts(w, &c);
    if (slabs != ss->slabs || live != c.live || bytes != c.bytes)
        BAD("small allocations: %llu slabs, %llu live, %llu bytes counted; %llu, %llu, %llu "
            "found",
            (unsigned long long)ss->slabs, (unsigned long long)c.live, (unsigned long long)c.bytes,
            (unsigned long long)slabs, (unsigned long long)live, (unsigned long long)bytes);
    return CLSVM_OK;
}
