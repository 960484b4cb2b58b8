/* stat_dump: the windows of a clsvm stats dump (CLSVM_STATS file or one
 * clsvm_window_stats_json object), read from the JSON DOM. Strings point into the DOM. */
#ifndef CLSVM_STAT_DUMP_H
#define CLSVM_STAT_DUMP_H

#include "json.h"

#include <stddef.h>
#include <stdint.h>

typedef struct stat_range {
    uint64_t off, len; /* from the window base */
    uint64_t n;        /* allocations merged into this range (1 for committed runs) */
} stat_range;

typedef struct stat_list {
    stat_range *r;
    size_t n;
    uint64_t items;      /* runs or allocations the list stands for */
    uint64_t merged_gap; /* largest gap merged into a range; 0: exact */
} stat_list;

typedef struct stat_window {
    const char *state; /* "open", "closed" or NULL (a single clsvm_window_stats_json object) */
    uint64_t base, size, va_bits, commit_chunk;
    const char *provider;
    uint64_t reserved, committed, allocated, live, free_bytes, free_ranges, largest_free, peak;
    uint64_t commits, decommits, failed;
    int has_purge; /* retained, purges, purged present (dumps of older clsvm lack them) */
    uint64_t retained, purges, purged;
    int has_numa;
    const char *numa_policy, *numa_why;
    int64_t numa_node, numa_nodes;
    uint64_t numa_bound;
    int has_map;
    stat_list committed_runs, allocated_ranges;
    uint64_t gap_off, gap_len; /* largest gap between allocations */
} stat_window;

typedef struct stat_dump {
    int has_pid;
    uint64_t pid;
    stat_window *windows;
    size_t n;
} stat_dump;

/* 0 on success; -1 with a message in err when the document is not a clsvm stats dump. */
int stat_dump_read(const json *root, stat_dump *out, char *err, size_t errlen);
void stat_dump_free(stat_dump *d);

#endif
