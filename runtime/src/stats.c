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
 * window the process opened, even if it later crashes after a close.
 */
#include "window.h"

#include "config.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* snprintf-style appender: counts everything, stores what fits. */
typedef struct out {
    char *buf;
    size_t cap, len;
} out;

__attribute__((format(printf, 2, 3))) static void put(out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *dst = o->len < o->cap ? o->buf + o->len : NULL;
    int n = vsnprintf(dst, dst ? o->cap - o->len : 0, fmt, ap);
    va_end(ap);
    if (n > 0)
        o->len += (size_t)n;
}

static void put_window(out *o, clsvm_window *w, const char *state)
{
    clsvm_window_info wi;
    clsvm_stats st;
    clsvm_window_get_info(w, &wi);
    clsvm_window_get_stats(w, &st);
    put(o, "{");
    if (state)
        put(o, "\"state\":\"%s\",", state);
    put(o,
        "\"window\":{\"base\":%llu,\"base_hex\":\"0x%llx\",\"size\":%llu,\"va_bits\":%u,"
        "\"provider\":\"%s\",\"commit_chunk\":%llu,\"max_align\":%llu},",
        (unsigned long long)wi.base, (unsigned long long)wi.base, (unsigned long long)wi.size,
        wi.va_bits, wi.provider, (unsigned long long)wi.commit_chunk,
        (unsigned long long)wi.max_align);
    put(o,
        "\"stats\":{\"reserved\":%llu,\"committed\":%llu,\"allocated\":%llu,"
        "\"live_allocations\":%llu,\"free_bytes\":%llu,\"free_ranges\":%llu,"
        "\"largest_free\":%llu,\"peak_allocated\":%llu,\"commits\":%llu,\"decommits\":%llu,"
        "\"failed_allocs\":%llu}}",
        (unsigned long long)st.reserved, (unsigned long long)st.committed,
        (unsigned long long)st.allocated, (unsigned long long)st.live_allocations,
        (unsigned long long)st.free_bytes, (unsigned long long)st.free_ranges,
        (unsigned long long)st.largest_free, (unsigned long long)st.peak_allocated,
        (unsigned long long)st.commits, (unsigned long long)st.decommits,
        (unsigned long long)st.failed_allocs);
}

size_t clsvm_window_stats_json(clsvm_window *w, char *buf, size_t cap)
{
    out o = {buf, buf ? cap : 0, 0};
    if (o.cap)
        buf[0] = '\0';
    if (!w) {
        put(&o, "{}");
        return o.len;
    }
    put_window(&o, w, NULL);
    return o.len;
}

/* Registry of open windows and the JSON of closed ones (only kept when CLSVM_STATS is set). */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static clsvm_window *registry_head;
static char *closed_json; /* comma-separated window objects */
static size_t closed_len;

static const char *stats_path(void)
{
    const char *p = clsvm_option_str(CLSVM_OPT_STATS);
    return p && *p ? p : NULL;
}

/* Render one window into a fresh malloc'd string (NULL when out of memory). */
static char *window_text(clsvm_window *w, const char *state)
{
    out probe = {NULL, 0, 0};
    put_window(&probe, w, state);
    char *s = malloc(probe.len + 1);
    if (!s)
        return NULL;
    out o = {s, probe.len + 1, 0};
    put_window(&o, w, state);
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

/* Rewrite the CLSVM_STATS file from closed_json and the open windows. Registry lock held. */
static void write_stats_file(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        CLSVM_LOG_ONCE(CLSVM_LOG_WARN, "CLSVM_STATS: cannot write '%s': %s", path, strerror(errno));
        return;
    }
    char head[64];
    int n =
        snprintf(head, sizeof head, "{\"clsvm_stats\":1,\"pid\":%ld,\"windows\":[", (long)getpid());
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
    bad |= write_all(fd, "]}\n", 3);
    if (close(fd) || bad)
        CLSVM_LOG_ONCE(CLSVM_LOG_WARN, "CLSVM_STATS: writing '%s' failed: %s", path,
                       strerror(errno));
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
