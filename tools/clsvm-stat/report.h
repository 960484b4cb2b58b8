/* report: what clsvm-stat prints (summary.c) and draws (svg.c) from a stat_dump. */
#ifndef CLSVM_STAT_REPORT_H
#define CLSVM_STAT_REPORT_H

#include "stat_dump.h"

#include <stdio.h>

/* "64.0 GiB", "100 B": bytes for humans, into buf (at least 16 bytes). */
const char *human_bytes(uint64_t bytes, char *buf, size_t len);

/* Text summary of window w (index i) on f. */
void print_summary(FILE *f, const stat_window *w, size_t i);

/* SVG window map of windows [first, first + n) on f. */
void write_svg(FILE *f, const char *title, const stat_window *w, size_t first, size_t n);

#endif
