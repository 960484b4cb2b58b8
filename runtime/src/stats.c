/*
 * stats.c: the window's stats as JSON (clsvm_window_stats_json) and CLSVM_STATS, the dump of
 * every window at exit.
 *
 * JSON shape (numbers are plain integers; "base_hex" repeats base for humans):
 *   {"window":{"base":..,"base_hex":"0x..","size":..,"va_bits":..,"provider":"reserve",
 *              "commit_chunk":..,"max_align":..},
 *    "stats":{"reserved":..,"committed":..,...every clsvm_stats field...}}
 *
 * CLSVM_STATS=<path>: open windows are kept in a registry. When a window closes, its JSON is
 * remembered (with "state":"closed") and the file is rewritten; at exit (library destructor)
 * it is rewritten once more with the still-open windows too ("state":"open"). So the file is
 * always one valid JSON document: {"clsvm_stats":1,"pid":N,"windows":[...]}, holding every
 * window the process opened, even if it later crashes after a close; members the ICD adds
 * (clsvm_stats_set_extra: the checker's "check") follow "windows".
 * Each rewrite goes to "<path>.<pid>.tmp" and is renamed over the path, so processes sharing a
 * path leave one of their complete documents, never a mix. "%p" in the path stands for the
 * writer's pid ("%%" for '%'). A fork() child describes only its own windows (it forgets the
 * parent's closed ones) and, unless the path holds %p, writes nothing: the file is the parent's.
 */
#include "window.h"

#include "config.h"
#include "clsvm/internal/log.h"
#include "clsvm/internal/stats.h"
#include "numa.h"

#include <errno.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void clsvm_json_put(clsvm_json_out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *dst = o->len < o->cap ? o->buf + o->len : NULL;
    int n = vsnprintf(dst, dst ? o->cap - o->len : 0, fmt, ap);
    va_end(ap);
    if (n > 0)
        o->len += (size_t)n;
}

void clsvm_json_put_escaped(clsvm_json_out *o, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            clsvm_json_put(o, "\\%c", c);
        else if (c == '\n')
            clsvm_json_put(o, "\\n");
        else if (c < 0x20)
            clsvm_json_put(o, "\\u%04x", c);
        else
            clsvm_json_put(o, "%c", c);
    }
}

/*
 * The window map: committed runs and allocated ranges as [offset, length(, allocations)] from
 * the window base, in address order. Each list is bounded by MAP_MAX entries: beyond that the
 * smallest gaps between neighbours are merged away first (so the big free ranges, the ones that
 * matter for fragmentation, survive), and "merged_gap" says the largest gap hidden inside a
 * range (0: exact). While collecting, the list is coarsened to MAP_MAX * 2 whenever it reaches
 * MAP_MAX * 4 entries, so its memory stays bounded however many allocations there are.
 * "largest_gap" is exact: the largest range between allocations (by requested size, so it can
 * be a little larger than the heap's largest_free, which counts alignment slack as used).
 */
#define MAP_MAX 1024

typedef struct map_range {
    uint64_t off, len, n; /* n: allocations (or 1 per committed run) merged into this range */
} map_range;

typedef struct map_list {
    map_range *r;
    size_t n;
    uint64_t merged_gap; /* largest gap merged away so far */
    uint64_t items;      /* ranges added */
    int oom;
} map_list;

static int gap_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/*
 * Merge neighbours until keep ranges remain: every gap below a threshold, and as many of the
 * gaps equal to it as needed, spread evenly along the window (a regular pattern, where all gaps
 * tie, then keeps its shape instead of collapsing from one end). O(n log n).
 */
static void map_coarsen(map_list *l, size_t keep)
{
    if (l->n <= keep)
        return;
    size_t ngaps = l->n - 1, merges = l->n - keep;
    uint64_t *gaps = malloc(ngaps * sizeof *gaps);
    if (!gaps) {
        l->oom = 1;
        return;
    }
    for (size_t i = 0; i < ngaps; i++)
        gaps[i] = l->r[i + 1].off - (l->r[i].off + l->r[i].len);
    qsort(gaps, ngaps, sizeof *gaps, gap_cmp);
    uint64_t limit = gaps[merges - 1];
    size_t below = 0, tied = 0;
    for (size_t i = 0; i < ngaps; i++) {
        below += gaps[i] < limit;
        tied += gaps[i] == limit;
    }
    free(gaps);
    size_t tied_merges = merges - below, seen = 0;
    if (limit > l->merged_gap)
        l->merged_gap = limit;
    size_t w = 0;
    for (size_t i = 1; i < l->n; i++) {
        map_range *last = &l->r[w];
        uint64_t gap = l->r[i].off - (last->off + last->len);
        int merge = gap < limit;
        if (gap == limit) { /* the j-th tie merges when (j+1)*m/T steps past j*m/T */
            merge = (seen + 1) * tied_merges / tied > seen * tied_merges / tied;
            seen++;
        }
        if (merge) {
            last->len = l->r[i].off + l->r[i].len - last->off;
            last->n += l->r[i].n;
        } else {
            l->r[++w] = l->r[i];
        }
    }
    l->n = w + 1;
}

static void map_add(map_list *l, uint64_t off, uint64_t len)
{
    l->items++;
    if (l->oom)
        return;
    if (!l->r && !(l->r = malloc(MAP_MAX * 4 * sizeof *l->r))) {
        l->oom = 1;
        return;
    }
    if (l->n == MAP_MAX * 4)
        map_coarsen(l, MAP_MAX * 2);
    if (l->oom)
        return;
    l->r[l->n++] = (map_range){off, len, 1};
}

typedef struct window_map {
    uintptr_t base;
    uint64_t size;
    map_list committed, allocated;
    uint64_t prev_end;         /* end of the allocations seen so far (offset) */
    uint64_t gap_off, gap_len; /* largest gap between allocations */
} window_map;

static void map_gap(window_map *m, uint64_t off)
{
    if (off > m->prev_end && off - m->prev_end > m->gap_len) {
        m->gap_off = m->prev_end;
        m->gap_len = off - m->prev_end;
    }
}

static int map_alloc(const clsvm_alloc_info *a, void *user)
{
    window_map *m = user;
    uint64_t off = (uintptr_t)a->base - m->base;
    map_gap(m, off);
    map_add(&m->allocated, off, a->size);
    if (off + a->size > m->prev_end)
        m->prev_end = off + a->size;
    return 0;
}

static int map_run(uintptr_t addr, uint64_t len, void *user)
{
    window_map *m = user;
    map_add(&m->committed, addr - m->base, len);
    return 0;
}

/* Collect the map (w may be used concurrently: each list is a consistent snapshot). */
static void map_collect(clsvm_window *w, window_map *m)
{
    memset(m, 0, sizeof *m);
    m->base = w->region.base;
    m->size = w->region.size;
    pthread_mutex_lock(&w->lock);
    commit_map_foreach_run(w->commits, map_run, m);
    pthread_mutex_unlock(&w->lock);
    clsvm_window_foreach(w, map_alloc, m);
    map_gap(m, m->size);
    map_coarsen(&m->committed, MAP_MAX);
    map_coarsen(&m->allocated, MAP_MAX);
}

static void map_free(window_map *m)
{
    free(m->committed.r);
    free(m->allocated.r);
}

static void put_list(clsvm_json_out *o, const char *name, const char *what, const map_list *l,
                     int counts)
{
    clsvm_json_put(o, "\"%s\":{\"%s\":%llu,\"merged_gap\":%llu,%s\"ranges\":[", name, what,
                   (unsigned long long)l->items, (unsigned long long)l->merged_gap,
                   l->oom ? "\"incomplete\":true," : "");
    for (size_t i = 0; i < l->n; i++) {
        clsvm_json_put(o, i ? "," : "");
        if (counts)
            clsvm_json_put(o, "[%llu,%llu,%llu]", (unsigned long long)l->r[i].off,
                           (unsigned long long)l->r[i].len, (unsigned long long)l->r[i].n);
        else
            clsvm_json_put(o, "[%llu,%llu]", (unsigned long long)l->r[i].off,
                           (unsigned long long)l->r[i].len);
    }
    clsvm_json_put(o, "]}");
}

/* Everything one window's JSON holds, read once, so the two rendering passes of window_text()
 * (measure, then write) produce the same text. */
typedef struct window_snapshot {
    clsvm_window_info wi;
    clsvm_stats st;
    clsvm_numa_decision numa;
    uint64_t numa_bound;
    window_map map;
} window_snapshot;

static void snapshot_take(clsvm_window *w, window_snapshot *s)
{
    clsvm_window_get_info(w, &s->wi);
    clsvm_window_get_stats(w, &s->st);
    clsvm_numa_get(&s->numa, &s->numa_bound);
    map_collect(w, &s->map);
}

static void put_window(clsvm_json_out *o, const window_snapshot *s, const char *state)
{
    const clsvm_window_info *wi = &s->wi;
    const clsvm_stats *st = &s->st;
    clsvm_json_put(o, "{");
    if (state)
        clsvm_json_put(o, "\"state\":\"%s\",", state);
    clsvm_json_put(o,
                   "\"window\":{\"base\":%llu,\"base_hex\":\"0x%llx\",\"size\":%llu,\"va_bits\":%u,"
                   "\"provider\":\"%s\",\"commit_chunk\":%llu,\"max_align\":%llu},",
                   (unsigned long long)wi->base, (unsigned long long)wi->base,
                   (unsigned long long)wi->size, wi->va_bits, wi->provider,
                   (unsigned long long)wi->commit_chunk, (unsigned long long)wi->max_align);
    clsvm_json_put(
        o,
        "\"stats\":{\"reserved\":%llu,\"committed\":%llu,\"allocated\":%llu,"
        "\"live_allocations\":%llu,\"free_bytes\":%llu,\"free_ranges\":%llu,"
        "\"largest_free\":%llu,\"peak_allocated\":%llu,\"commits\":%llu,\"decommits\":%llu,"
        "\"failed_allocs\":%llu,\"retained\":%llu,\"purges\":%llu,\"purged\":%llu,"
        "\"purge_threshold\":%llu},",
        (unsigned long long)st->reserved, (unsigned long long)st->committed,
        (unsigned long long)st->allocated, (unsigned long long)st->live_allocations,
        (unsigned long long)st->free_bytes, (unsigned long long)st->free_ranges,
        (unsigned long long)st->largest_free, (unsigned long long)st->peak_allocated,
        (unsigned long long)st->commits, (unsigned long long)st->decommits,
        (unsigned long long)st->failed_allocs, (unsigned long long)st->retained,
        (unsigned long long)st->purges, (unsigned long long)st->purged,
        (unsigned long long)st->purge_threshold);
    clsvm_json_put(
        o, "\"numa\":{\"policy\":\"%s\",\"node\":%d,\"nodes\":%d,\"bound_bytes\":%llu,\"why\":\"",
        s->numa.policy, s->numa.node, s->numa.nodes, (unsigned long long)s->numa_bound);
    clsvm_json_put_escaped(o, s->numa.why);
    clsvm_json_put(o, "\"},\"map\":{\"max_ranges\":%d,", MAP_MAX);
    put_list(o, "committed", "runs", &s->map.committed, 0);
    clsvm_json_put(o, ",");
    put_list(o, "allocated", "allocations", &s->map.allocated, 1);
    clsvm_json_put(o, ",\"largest_gap\":[%llu,%llu]}}", (unsigned long long)s->map.gap_off,
                   (unsigned long long)s->map.gap_len);
}

size_t clsvm_window_stats_json(clsvm_window *w, char *buf, size_t cap)
{
    clsvm_json_out o = {buf, buf ? cap : 0, 0};
    if (o.cap)
        buf[0] = '\0';
    if (!w) {
        clsvm_json_put(&o, "{}");
        return o.len;
    }
    window_snapshot snap;
    snapshot_take(w, &snap);
    put_window(&o, &snap, NULL);
    map_free(&snap.map);
    return o.len;
}

/* Registry of open windows and the JSON of closed ones (only kept when CLSVM_STATS is set). */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static clsvm_window *registry_head;
static char *closed_json; /* comma-separated window objects */
static size_t closed_len;
static int forked_child; /* this process is a fork() child of one that had opened a window */
static _Atomic(clsvm_stats_extra_fn) extra_fn;

void clsvm_stats_set_extra(clsvm_stats_extra_fn fn)
{
    atomic_store(&extra_fn, fn);
}

/* The producer's members, ",..." in a fresh string, or NULL (none, or out of memory). */
static char *extra_text(void)
{
    clsvm_stats_extra_fn fn = atomic_load(&extra_fn);
    if (!fn)
        return NULL;
    size_t need = fn(NULL, 0);
    char *s = need ? malloc(need + 2) : NULL;
    if (s) {
        s[0] = ',';
        if (fn(s + 1, need + 1) != need) { /* it grew in between: left out this time */
            free(s);
            s = NULL;
        }
    }
    return s;
}

static const char *stats_path(void)
{
    const char *p = clsvm_option_str(CLSVM_OPT_STATS);
    return p && *p ? p : NULL;
}

/* Render one window into a fresh malloc'd string (NULL when out of memory). */
static char *window_text(clsvm_window *w, const char *state)
{
    window_snapshot snap;
    snapshot_take(w, &snap);
    clsvm_json_out probe = {NULL, 0, 0};
    put_window(&probe, &snap, state);
    char *s = malloc(probe.len + 1);
    if (s) {
        clsvm_json_out o = {s, probe.len + 1, 0};
        put_window(&o, &snap, state);
    }
    map_free(&snap.map);
    return s;
}

static int write_all(int fd, const char *s, size_t n)
{
    while (n) {
        ssize_t k = write(fd, s, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        s += k;
        n -= (size_t)k;
    }
    return 0;
}

/* The path with "%p" replaced by pid and "%%" by '%' (other '%' stay); 1 if it named the pid,
 * -1 when the result does not fit. */
static int expand_path(const char *pattern, long pid, char *out, size_t cap)
{
    int per_process = 0;
    size_t n = 0;
    for (const char *c = pattern; *c; c++) {
        char num[24];
        const char *piece = num;
        if (c[0] == '%' && c[1] == 'p') {
            snprintf(num, sizeof num, "%ld", pid);
            per_process = 1;
            c++;
        } else {
            num[0] = c[0];
            num[1] = '\0';
            if (c[0] == '%' && c[1] == '%')
                c++;
        }
        size_t len = strlen(piece);
        if (n + len >= cap)
            return -1;
        memcpy(out + n, piece, len);
        n += len;
    }
    out[n] = '\0';
    return per_process;
}

/* Rewrite the CLSVM_STATS file from closed_json and the open windows, through a temporary file
 * renamed over it. Registry lock held. */
static void write_stats_file(const char *pattern)
{
    long pid = (long)getpid();
    char path[PATH_MAX], tmp[PATH_MAX + 32];
    int per_process = expand_path(pattern, pid, path, sizeof path);
    if (per_process < 0) {
        CLSVM_LOG_ONCE(CLSVM_LOG_WARN, "CLSVM_STATS: the path '%s' is too long; no stats written",
                       pattern);
        return;
    }
    if (forked_child && !per_process) {
        CLSVM_LOG_ONCE(CLSVM_LOG_INFO,
                       "CLSVM_STATS: process %ld is a fork() child: it leaves '%s' to its parent "
                       "(put %%p in the path for one file per process)",
                       pid, path);
        return;
    }
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, pid);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        CLSVM_LOG_ONCE(CLSVM_LOG_WARN, "CLSVM_STATS: cannot write '%s': %s", tmp, strerror(errno));
        return;
    }
    char head[64];
    int n = snprintf(head, sizeof head, "{\"clsvm_stats\":1,\"pid\":%ld,\"windows\":[", pid);
    int bad = write_all(fd, head, (size_t)n);
    int first = 1;
    if (closed_len) {
        bad |= write_all(fd, closed_json, closed_len);
        first = 0;
    }
    for (clsvm_window *w = registry_head; w; w = w->registry_next) {
        char *t = window_text(w, "open");
        if (!t)
            continue;
        bad |= write_all(fd, first ? "" : ",", first ? 0 : 1);
        bad |= write_all(fd, t, strlen(t));
        first = 0;
        free(t);
    }
    bad |= write_all(fd, "]", 1);
    char *extra = extra_text();
    if (extra)
        bad |= write_all(fd, extra, strlen(extra));
    free(extra);
    bad |= write_all(fd, "}\n", 2);
    int err = bad ? (errno ? errno : EIO) : 0;
    if (close(fd) && !err)
        err = errno;
    if (!err && rename(tmp, path))
        err = errno;
    if (err) {
        CLSVM_LOG_ONCE(CLSVM_LOG_WARN, "CLSVM_STATS: writing '%s' failed: %s", path, strerror(err));
        unlink(tmp);
    }
}

void stats_register_window(clsvm_window *w)
{
    pthread_mutex_lock(&registry_lock);
    w->registry_next = registry_head;
    registry_head = w;
    pthread_mutex_unlock(&registry_lock);
}

void stats_unregister_window(clsvm_window *w)
{
    const char *path = stats_path();
    pthread_mutex_lock(&registry_lock);
    for (clsvm_window **pp = &registry_head; *pp; pp = &(*pp)->registry_next)
        if (*pp == w) {
            *pp = w->registry_next;
            break;
        }
    if (path) {
        char *t = window_text(w, "closed");
        size_t tl = t ? strlen(t) : 0;
        char *grown = t ? realloc(closed_json, closed_len + tl + 2) : NULL;
        if (grown) {
            if (closed_len)
                grown[closed_len++] = ',';
            memcpy(grown + closed_len, t, tl + 1);
            closed_len += tl;
            closed_json = grown;
        }
        free(t);
        write_stats_file(path);
    }
    pthread_mutex_unlock(&registry_lock);
}

clsvm_window *stats_registry_hold(void)
{
    pthread_mutex_lock(&registry_lock);
    return registry_head;
}

void stats_registry_release(int in_child)
{
    if (in_child) {
        forked_child = 1;
        closed_len = 0; /* the parent's history, in the parent's file */
    }
    pthread_mutex_unlock(&registry_lock);
}

void clsvm_stats_rewrite(void)
{
    pthread_mutex_lock(&registry_lock);
    const char *path = registry_head || closed_len ? stats_path() : NULL;
    if (path)
        write_stats_file(path);
    pthread_mutex_unlock(&registry_lock);
}

/* A destructor rather than atexit(): it also runs when libclsvm is dlclose'd, and never
 * calls into an unloaded library. closed_json is kept (still reachable, not a leak) so that a
 * window closed by a later destructor still produces a complete file. */
__attribute__((destructor)) static void stats_at_exit(void)
{
    pthread_mutex_lock(&registry_lock);
    /* Options are only consulted if a window was ever opened: a process that never used
     * clsvm must not print configuration warnings on its way out. */
    const char *path = registry_head || closed_len ? stats_path() : NULL;
    if (path)
        write_stats_file(path);
    pthread_mutex_unlock(&registry_lock);
}
