/* svg.c: the window map. For each window, a bar along the whole window and, when the used part
 * is small, a second bar zoomed on it: reserved address space (grey), committed runs (light
 * blue), allocated ranges (dark blue), free ranges between allocations (green strip below the
 * bar) and the largest free range outlined in red. Every range is one <rect> carrying its exact
 * offset and length (data-off, data-len, bytes from the window base) and a tooltip, so the
 * picture can be checked by a script as well as by eye. Ranges narrower than a pixel are drawn
 * half a pixel wide so that none disappears. */
#include "report.h"

#include <inttypes.h>

#define X0 20.0
#define WIDTH 1160.0
#define BAR_H 40.0
#define SECTION_H 200.0

typedef struct row {
    FILE *f;
    const char *name; /* data-row: "window" or "zoom" */
    uint64_t lo, hi;  /* offsets shown */
    double y;
} row;

static double xpos(const row *r, uint64_t off)
{
    if (off < r->lo)
        off = r->lo;
    if (off > r->hi)
        off = r->hi;
    return X0 + (double)(off - r->lo) * WIDTH / (double)(r->hi - r->lo);
}

static void rect(const row *r, const char *cls, uint64_t base, uint64_t off, uint64_t len, double y,
                 double h, uint64_t n)
{
    if (off + len <= r->lo || off >= r->hi)
        return;
    double x = xpos(r, off), w = xpos(r, off + len) - x;
    if (w < 0.5)
        w = 0.5;
    char a[32];
    fprintf(r->f,
            "<rect class=\"%s\" data-row=\"%s\" data-off=\"%" PRIu64 "\" data-len=\"%" PRIu64
            "\" x=\"%.3f\" y=\"%.1f\" width=\"%.3f\" height=\"%.1f\"><title>%s [%#" PRIx64
            ", %#" PRIx64 ") %s",
            cls, r->name, off, len, x, y, w, h, cls, base + off, base + off + len,
            human_bytes(len, a, sizeof a));
    if (n > 1)
        fprintf(r->f, ", %" PRIu64 " allocations", n);
    fprintf(r->f, "</title></rect>\n");
}

/* Keep a centred label of about 160 px inside the picture. */
static double label_x(double x)
{
    return x < X0 + 80 ? X0 + 80 : x > X0 + WIDTH - 80 ? X0 + WIDTH - 80 : x;
}

static void draw_row(const row *r, const stat_window *w)
{
    char a[32], b[32];
    FILE *f = r->f;
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" class=\"axis\">+%s</text>\n", X0, r->y + BAR_H + 24,
            human_bytes(r->lo, a, sizeof a));
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" class=\"axis\" text-anchor=\"end\">+%s</text>\n",
            X0 + WIDTH, r->y + BAR_H + 24, human_bytes(r->hi, b, sizeof b));
    rect(r, "reserved", w->base, r->lo, r->hi - r->lo, r->y, BAR_H, 1);
    for (size_t i = 0; i < w->committed_runs.n; i++)
        rect(r, "committed", w->base, w->committed_runs.r[i].off, w->committed_runs.r[i].len, r->y,
             BAR_H, 1);
    const stat_list *al = &w->allocated_ranges;
    for (size_t i = 0; i < al->n; i++)
        rect(r, "allocated", w->base, al->r[i].off, al->r[i].len, r->y + 6, BAR_H - 12, al->r[i].n);
    /* Free ranges: the complement of the allocated ranges. */
    uint64_t at = 0;
    for (size_t i = 0; i <= al->n; i++) {
        uint64_t end = i < al->n ? al->r[i].off : w->size;
        if (end > at)
            rect(r, "free", w->base, at, end - at, r->y + BAR_H + 2, 8, 1);
        if (i < al->n)
            at = al->r[i].off + al->r[i].len;
    }
    if (w->gap_len) {
        rect(r, "largest-free", w->base, w->gap_off, w->gap_len, r->y - 3, BAR_H + 15, 1);
        double x = xpos(r, w->gap_off), x2 = xpos(r, w->gap_off + w->gap_len);
        if (x2 > x + 1 || (w->gap_off >= r->lo && w->gap_off < r->hi))
            fprintf(f,
                    "<text x=\"%.1f\" y=\"%.1f\" class=\"mark\" text-anchor=\"middle\">largest "
                    "free: %s</text>\n",
                    label_x((x + x2) / 2), r->y - 6, human_bytes(w->gap_len, a, sizeof a));
    }
}

/* The used part of the window: from the first committed/allocated byte to the last. */
static int used_extent(const stat_window *w, uint64_t *lo, uint64_t *hi)
{
    const stat_list *lists[2] = {&w->committed_runs, &w->allocated_ranges};
    int any = 0;
    for (int k = 0; k < 2; k++)
        if (lists[k]->n) {
            uint64_t s = lists[k]->r[0].off;
            uint64_t e = lists[k]->r[lists[k]->n - 1].off + lists[k]->r[lists[k]->n - 1].len;
            if (!any || s < *lo)
                *lo = s;
            if (!any || e > *hi)
                *hi = e;
            any = 1;
        }
    return any && *hi > *lo;
}

void write_svg(FILE *f, const char *title, const stat_window *ws, size_t first, size_t n)
{
    double height = 60 + SECTION_H * (double)n;
    fprintf(f,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
            "font-family=\"sans-serif\" font-size=\"12\">\n"
            "<style>.reserved{fill:#e0e0e0}.committed{fill:#9ecae1}.allocated{fill:#08519c}"
            ".free{fill:#74c476}.largest-free{fill:none;stroke:#d62728;stroke-width:2}"
            ".axis{fill:#555}.mark{fill:#d62728}</style>\n"
            "<text x=\"%.1f\" y=\"20\" font-size=\"14\">clsvm window map: ",
            WIDTH + 2 * X0, height, X0);
    for (const char *c = title; *c; c++) /* the title is a file name: escape it */
        fprintf(f, "%s", *c == '<' ? "&lt;" : *c == '&' ? "&amp;" : (char[2]){*c, 0});
    fprintf(f,
            "</text>\n<text x=\"%.1f\" y=\"40\" class=\"axis\">grey reserved, light blue "
            "committed, dark blue allocated, green free, red outline the largest free "
            "range</text>\n",
            X0);
    for (size_t i = 0; i < n; i++) {
        const stat_window *w = &ws[first + i];
        double y = 60 + SECTION_H * (double)i;
        char a[32];
        fprintf(f, "<g class=\"window\" data-index=\"%zu\">\n", first + i);
        fprintf(f,
                "<text x=\"%.1f\" y=\"%.1f\">window %zu%s%s%s: [%#" PRIx64 ", %#" PRIx64
                ") %s, %s, %" PRIu64 " allocations</text>\n",
                X0, y + 14, first + i, w->state ? " (" : "", w->state ? w->state : "",
                w->state ? ")" : "", w->base, w->base + w->size, human_bytes(w->size, a, sizeof a),
                w->provider, w->live);
        if (!w->has_map || !w->size) {
            fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">no map in this dump</text>\n</g>\n", X0,
                    y + 40);
            continue;
        }
        row whole = {f, "window", 0, w->size, y + 32};
        draw_row(&whole, w);
        uint64_t lo = 0, hi = 0;
        if (used_extent(w, &lo, &hi) && hi - lo < w->size / 4) {
            /* Widen by a twentieth on each side so the edges of the used part show. */
            uint64_t pad = (hi - lo) / 20 + 1;
            lo = lo > pad ? lo - pad : 0;
            hi = w->size - hi > pad ? hi + pad : w->size;
            row zoom = {f, "zoom", lo, hi, y + 128};
            fprintf(f,
                    "<text x=\"%.1f\" y=\"%.1f\" class=\"axis\">detail of the used part:</text>\n",
                    X0, y + 110);
            draw_row(&zoom, w);
        }
        fprintf(f, "</g>\n");
    }
    fprintf(f, "</svg>\n");
}
