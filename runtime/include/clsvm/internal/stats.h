/*
 * clsvm/internal/stats.h: what the ICD adds to the CLSVM_STATS document (runtime/src/stats.c),
 * which the runtime writes without knowing the ICD. Not a public API (see config.h).
 */
#ifndef CLSVM_INTERNAL_STATS_H
#define CLSVM_INTERNAL_STATS_H

#include <stddef.h>

/* Writes members of the document's top-level object (`"name":value`, no leading comma) into
 * buf, NUL-terminated when cap > 0; returns the length the full text needs (snprintf's rule).
 * Called with the stats lock held: it must not call back into the runtime's stats. */
typedef size_t (*clsvm_stats_extra_fn)(char *buf, size_t cap);

/* An snprintf-style appender for JSON text: counts everything, stores what fits (buf may be
 * NULL with cap 0, to measure). */
typedef struct clsvm_json_out {
    char *buf;
    size_t cap, len;
} clsvm_json_out;
__attribute__((format(printf, 2, 3))) void clsvm_json_put(clsvm_json_out *o, const char *fmt, ...);
/* A JSON string's body: quotes, backslashes, newlines and other control characters escaped. */
void clsvm_json_put_escaped(clsvm_json_out *o, const char *s);

/* Set the one producer (NULL: none). */
void clsvm_stats_set_extra(clsvm_stats_extra_fn fn);
/* Rewrite the CLSVM_STATS file now, when it is set and a window was opened (the producer's
 * content changed after the last rewrite, e.g. reports at exit). */
void clsvm_stats_rewrite(void);

#endif
