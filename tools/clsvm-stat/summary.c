/* summary.c: the text report, one block per window. Each numeric line starts with its name
 * and the exact value in bytes (easy to grep or awk), then the value for humans. */
#include "report.h"

#include <inttypes.h>

const char *human_bytes(uint64_t b, char *buf, size_t len)
{
    static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    if (b < 1024) {
        snprintf(buf, len, "%" PRIu64 " B", b);
        return buf;
    }
    double v = (double)b;
    int u = 0;
    while (v >= 1024 && u < 5) {
        v /= 1024;
        u++;
    }
    snprintf(buf, len, "%.1f %s", v, unit[u]);
    return buf;
}

static const char *plural(uint64_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

void print_summary(FILE *f, const stat_window *w, size_t i)
{
    char a[32], b[32];
    fprintf(f,
            "window %zu%s%s%s: provider %s, [%#" PRIx64 ", %#" PRIx64 "), va_bits %" PRIu64
            ", commit chunk %s\n",
            i, w->state ? " (" : "", w->state ? w->state : "", w->state ? ")" : "", w->provider,
            w->base, w->base + w->size, w->va_bits, human_bytes(w->commit_chunk, a, sizeof a));
    fprintf(f, "  reserved      %15" PRIu64 "  %s\n", w->reserved,
            human_bytes(w->reserved, a, sizeof a));
    fprintf(f, "  committed     %15" PRIu64 "  %s (%" PRIu64 " commits, %" PRIu64 " decommits)\n",
            w->committed, human_bytes(w->committed, a, sizeof a), w->commits, w->decommits);
    fprintf(
        f, "  allocated     %15" PRIu64 "  %s in %" PRIu64 " %s (peak %s, %" PRIu64 " failed)\n",
        w->allocated, human_bytes(w->allocated, a, sizeof a), w->live,
        plural(w->live, "allocation", "allocations"), human_bytes(w->peak, b, sizeof b), w->failed);
    /* Freed memory still resident on committed chunks (returned beyond the retain limit). */
    if (w->has_purge)
        fprintf(f,
                "  retained      %15" PRIu64 "  %s freed, not yet returned (%s returned in %" PRIu64
                " %s)\n",
                w->retained, human_bytes(w->retained, a, sizeof a),
                human_bytes(w->purged, b, sizeof b), w->purges,
                plural(w->purges, "purge", "purges"));
    /* Fragmentation: the share of free space outside the largest free range (0%: one range). */
    double frag =
        w->free_bytes ? 100.0 * (1.0 - (double)w->largest_free / (double)w->free_bytes) : 0.0;
    fprintf(f, "  free          %15" PRIu64 "  %s in %" PRIu64 " %s\n", w->free_bytes,
            human_bytes(w->free_bytes, a, sizeof a), w->free_ranges,
            plural(w->free_ranges, "range", "ranges"));
    fprintf(f, "  largest_free  %15" PRIu64 "  %s (fragmentation %.2f%%)\n", w->largest_free,
            human_bytes(w->largest_free, a, sizeof a), frag);
    if (w->has_numa) {
        if (w->numa_node >= 0)
            fprintf(f, "  numa          %s: node %" PRId64 " of %" PRId64 ", %s bound; %s\n",
                    w->numa_policy ? w->numa_policy : "?", w->numa_node, w->numa_nodes,
                    human_bytes(w->numa_bound, a, sizeof a), w->numa_why ? w->numa_why : "");
        else
            fprintf(f, "  numa          %s: no binding; %s\n",
                    w->numa_policy ? w->numa_policy : "?", w->numa_why ? w->numa_why : "");
    }
    if (!w->has_map) {
        fprintf(f, "  map           not in this dump (written by an older clsvm)\n");
        return;
    }
    const stat_list *c = &w->committed_runs, *al = &w->allocated_ranges;
    fprintf(f, "  map           %zu committed %s, %zu allocated %s", c->n,
            plural(c->n, "run", "runs"), al->n, plural(al->n, "range", "ranges"));
    if (c->merged_gap || al->merged_gap)
        fprintf(f,
                " (coarsened: %" PRIu64 " %s and %" PRIu64 " allocations, gaps up to %s merged)\n",
                c->items, plural(c->items, "run", "runs"), al->items,
                human_bytes(c->merged_gap > al->merged_gap ? c->merged_gap : al->merged_gap, a,
                            sizeof a));
    else
        fprintf(f, " (exact)\n");
    if (w->gap_len)
        fprintf(f, "  largest_gap   %15" PRIu64 "  %s at [%#" PRIx64 ", %#" PRIx64 ")\n",
                w->gap_len, human_bytes(w->gap_len, a, sizeof a), w->base + w->gap_off,
                w->base + w->gap_off + w->gap_len);
}
