/*
 * report.c: results of clsvm-bench — median/spread of repetitions, the human table, the JSON
 * file (one object per figure: each contender's median/min/max and the clsvm/baseline ratios)
 * and the gnuplot data file of alloc+free cost against live allocations.
 */
#include "bench.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { MAX_FIGURES = 64 };

static figure figures[MAX_FIGURES];
static int nfigures;
static const char *const contender_names[C_COUNT] = {"clsvm", "pocl", "host"};

double bench_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

double bench_cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

measure bench_summarize(const double *v, int n)
{
    measure m = {0, 0, 0, 0};
    if (n <= 0)
        return m;
    double s[MAX_REPS];
    if (n > MAX_REPS)
        n = MAX_REPS;
    memcpy(s, v, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    m.n = n;
    m.min = s[0];
    m.max = s[n - 1];
    m.median = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    return m;
}

figure *bench_figure(const char *name, const char *unit, int higher_better, const char *fmt, ...)
{
    if (nfigures == MAX_FIGURES) {
        fprintf(stderr, "clsvm-bench: too many figures\n");
        exit(1);
    }
    figure *f = &figures[nfigures++];
    memset(f, 0, sizeof *f);
    f->name = name;
    f->unit = unit;
    f->higher_better = higher_better;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->detail, sizeof f->detail, fmt, ap);
    va_end(ap);
    return f;
}

void bench_shuffle(void **v, size_t n, unsigned *seed)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)rand_r(seed) % i;
        void *t = v[i - 1];
        v[i - 1] = v[j];
        v[j] = t;
    }
}

void bench_check(cl_int err, const char *what)
{
    if (err != CL_SUCCESS) {
        fprintf(stderr, "clsvm-bench: %s failed: %d\n", what, err);
        exit(1);
    }
}

/* clsvm / baseline, so < 1 means clsvm is cheaper for costs and slower for rates. */
static double ratio(const figure *f, int base)
{
    if (f->no_ratio || !f->m[C_CLSVM].n || !f->m[base].n || f->m[base].median == 0)
        return 0;
    return f->m[C_CLSVM].median / f->m[base].median;
}

static void print_cell(const measure *m)
{
    if (!m->n) {
        printf(" %-26s", "-");
        return;
    }
    char buf[64];
    snprintf(buf, sizeof buf, "%.4g [%.4g-%.4g]", m->median, m->min, m->max);
    printf(" %-26s", buf);
}

void bench_print_table(void)
{
    printf("%-10s %-26s %-9s %-26s %-26s %-26s %9s %9s\n", "figure", "case", "unit",
           "clsvm med [min-max]", "pocl", "host", "clsvm/pocl", "clsvm/host");
    for (int i = 0; i < nfigures; i++) {
        const figure *f = &figures[i];
        printf("%-10s %-26s %-9s", f->name, f->detail, f->unit);
        for (int c = 0; c < C_COUNT; c++)
            print_cell(&f->m[c]);
        for (int c = C_POCL; c < C_COUNT; c++) {
            double r = ratio(f, c);
            if (r)
                printf(" %9.3g", r);
            else
                printf(" %9s", "-");
        }
        if (f->note[0])
            printf("  (%s)", f->note);
        printf("\n");
    }
}

static void json_number(FILE *out, double v)
{
    fprintf(out, "%.6g", v);
}

int bench_write_json(const char *path)
{
    FILE *out = fopen(path, "w");
    if (!out) {
        perror(path);
        return -1;
    }
    fprintf(out, "[\n");
    for (int i = 0; i < nfigures; i++) {
        const figure *f = &figures[i];
        fprintf(
            out,
            "  {\"figure\": \"%s\", \"case\": \"%s\", \"unit\": \"%s\", \"higher_is_better\": %s",
            f->name, f->detail, f->unit, f->higher_better ? "true" : "false");
        for (int c = 0; c < C_COUNT; c++) {
            const measure *m = &f->m[c];
            if (!m->n)
                continue;
            fprintf(out, ", \"%s\": {\"median\": ", contender_names[c]);
            json_number(out, m->median);
            fprintf(out, ", \"min\": ");
            json_number(out, m->min);
            fprintf(out, ", \"max\": ");
            json_number(out, m->max);
            fprintf(out, ", \"reps\": %d}", m->n);
        }
        fprintf(out, ", \"ratio\": {");
        int first = 1;
        for (int c = C_POCL; c < C_COUNT; c++) {
            double r = ratio(f, c);
            if (!r)
                continue;
            fprintf(out, "%s\"clsvm/%s\": ", first ? "" : ", ", contender_names[c]);
            json_number(out, r);
            first = 0;
        }
        fprintf(out, "}");
        if (f->note[0])
            fprintf(out, ", \"note\": \"%s\"", f->note);
        fprintf(out, "}%s\n", i + 1 < nfigures ? "," : "");
    }
    fprintf(out, "]\n");
    return fclose(out) ? -1 : 0;
}

/* Columns: live allocations, then clsvm, pocl, malloc median ns per pair ("NaN" if absent);
 * one gnuplot data block (separated by two blank lines) per allocation size. */
int bench_write_plot_data(const char *path)
{
    FILE *out = fopen(path, "w");
    if (!out) {
        perror(path);
        return -1;
    }
    char last[32] = "";
    for (int i = 0; i < nfigures; i++) {
        const figure *f = &figures[i];
        if (strcmp(f->name, "alloc_free"))
            continue;
        char size[32];
        unsigned long live = 0;
        if (sscanf(f->detail, "%31[^,], %lu live", size, &live) != 2)
            continue;
        if (strcmp(last, size)) {
            fprintf(out, "%s# size %s\n", last[0] ? "\n\n" : "", size);
            snprintf(last, sizeof last, "%s", size);
        }
        fprintf(out, "%lu", live ? live : 1); /* log scale: plot 0 live at 1 */
        for (int c = 0; c < C_COUNT; c++) {
            if (f->m[c].n)
                fprintf(out, " %.6g", f->m[c].median);
            else
                fprintf(out, " NaN");
        }
        fprintf(out, "\n");
    }
    return fclose(out) ? -1 : 0;
}
