/* stat_dump.c: map the stats JSON (format: docs/runtime.md, "Stats JSON") onto stat_window.
 * Required: "window" and "stats" objects with their numbers; "numa" and "map" are optional
 * (dumps from before they existed still read). Ranges are checked to lie inside the window. */
#include "stat_dump.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int need(const json *o, const char *key, uint64_t *out, const char *where, char *err,
                size_t errlen)
{
    if (json_get_u64(o, key, out))
        return 0;
    snprintf(err, errlen, "%s: \"%s\" is missing or not a whole number", where, key);
    return -1;
}

static int read_list(const json *o, const char *count_key, int with_n, uint64_t size, stat_list *l,
                     char *err, size_t errlen)
{
    const json *ranges = json_get(o, "ranges");
    if (!o || !ranges || ranges->type != JSON_ARRAY) {
        snprintf(err, errlen, "map: a list has no \"ranges\" array");
        return -1;
    }
    json_get_u64(o, count_key, &l->items);
    json_get_u64(o, "merged_gap", &l->merged_gap);
    l->r = calloc(ranges->n ? ranges->n : 1, sizeof *l->r);
    if (!l->r) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    uint64_t prev_end = 0;
    for (size_t i = 0; i < ranges->n; i++) {
        const json *e = &ranges->items[i];
        size_t want = with_n ? 3 : 2;
        if (e->type != JSON_ARRAY || e->n != want) {
            snprintf(err, errlen, "map: range %zu is not an array of %zu numbers", i, want);
            return -1;
        }
        for (size_t k = 0; k < want; k++)
            if (e->items[k].type != JSON_NUMBER || !e->items[k].is_uint) {
                snprintf(err, errlen, "map: range %zu holds a value that is not a whole number", i);
                return -1;
            }
        stat_range r = {e->items[0].uint, e->items[1].uint, with_n ? e->items[2].uint : 1};
        if (r.off < prev_end || r.len > size || r.off > size - r.len) {
            snprintf(err, errlen,
                     "map: range %zu [%llu, +%llu) overlaps the previous one or "
                     "leaves the window",
                     i, (unsigned long long)r.off, (unsigned long long)r.len);
            return -1;
        }
        prev_end = r.off + r.len;
        l->r[l->n++] = r;
    }
    return 0;
}

static int read_window(const json *o, size_t index, stat_window *w, char *err, size_t errlen)
{
    char where[64];
    snprintf(where, sizeof where, "window %zu", index);
    const json *wi = json_get(o, "window"), *st = json_get(o, "stats");
    if (!wi || !st) {
        snprintf(err, errlen, "%s: no \"window\" and \"stats\" objects (not a clsvm stats dump?)",
                 where);
        return -1;
    }
    w->state = json_get_str(o, "state");
    w->provider = json_get_str(wi, "provider");
    if (!w->provider)
        w->provider = "?";
    if (need(wi, "base", &w->base, where, err, errlen) ||
        need(wi, "size", &w->size, where, err, errlen) ||
        need(wi, "va_bits", &w->va_bits, where, err, errlen) ||
        need(wi, "commit_chunk", &w->commit_chunk, where, err, errlen))
        return -1;
    struct {
        const char *key;
        uint64_t *dst;
    } fields[] = {{"reserved", &w->reserved},         {"committed", &w->committed},
                  {"allocated", &w->allocated},       {"live_allocations", &w->live},
                  {"free_bytes", &w->free_bytes},     {"free_ranges", &w->free_ranges},
                  {"largest_free", &w->largest_free}, {"peak_allocated", &w->peak},
                  {"commits", &w->commits},           {"decommits", &w->decommits},
                  {"failed_allocs", &w->failed}};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (need(st, fields[i].key, fields[i].dst, where, err, errlen))
            return -1;
    w->has_purge = json_get_u64(st, "retained", &w->retained) &&
                   json_get_u64(st, "purges", &w->purges) && json_get_u64(st, "purged", &w->purged);

    const json *numa = json_get(o, "numa");
    if (numa) {
        const json *node = json_get(numa, "node"), *nodes = json_get(numa, "nodes");
        w->has_numa = 1;
        w->numa_policy = json_get_str(numa, "policy");
        w->numa_why = json_get_str(numa, "why");
        w->numa_node = node && node->type == JSON_NUMBER ? (int64_t)node->number : -1;
        w->numa_nodes = nodes && nodes->type == JSON_NUMBER ? (int64_t)nodes->number : 0;
        json_get_u64(numa, "bound_bytes", &w->numa_bound);
    }
    const json *map = json_get(o, "map");
    if (map) {
        w->has_map = 1;
        if (read_list(json_get(map, "committed"), "runs", 0, w->size, &w->committed_runs, err,
                      errlen) ||
            read_list(json_get(map, "allocated"), "allocations", 1, w->size, &w->allocated_ranges,
                      err, errlen))
            return -1;
        const json *gap = json_get(map, "largest_gap");
        if (gap && gap->type == JSON_ARRAY && gap->n == 2 && gap->items[0].is_uint &&
            gap->items[1].is_uint && gap->items[1].uint <= w->size &&
            gap->items[0].uint <= w->size - gap->items[1].uint) {
            w->gap_off = gap->items[0].uint;
            w->gap_len = gap->items[1].uint;
        }
    }
    return 0;
}

int stat_dump_read(const json *root, stat_dump *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!root || root->type != JSON_OBJECT) {
        snprintf(err, errlen, "the document is not a JSON object");
        return -1;
    }
    const json *list = json_get(root, "windows");
    size_t n = 1;
    if (list) {
        if (list->type != JSON_ARRAY) {
            snprintf(err, errlen, "\"windows\" is not an array");
            return -1;
        }
        n = list->n;
        out->has_pid = json_get_u64(root, "pid", &out->pid);
    } else if (!json_get(root, "window")) {
        snprintf(err, errlen,
                 "neither a CLSVM_STATS file (\"windows\") nor one window's stats "
                 "(\"window\"): not a clsvm stats dump");
        return -1;
    }
    out->windows = calloc(n ? n : 1, sizeof *out->windows);
    if (!out->windows) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    out->n = n;
    for (size_t i = 0; i < n; i++)
        if (read_window(list ? &list->items[i] : root, i, &out->windows[i], err, errlen)) {
            stat_dump_free(out);
            return -1;
        }
    return 0;
}

void stat_dump_free(stat_dump *d)
{
    for (size_t i = 0; i < d->n; i++) {
        free(d->windows[i].committed_runs.r);
        free(d->windows[i].allocated_ranges.r);
    }
    free(d->windows);
    memset(d, 0, sizeof *d);
}
