/*
 * rel_model.h: a shadow model of a window's live allocations for the reliability tests.
 * Each live allocation carries a fill byte derived from its id; rel_model_check() verifies that
 * every allocation still holds its pattern, lies inside the window, does not overlap its
 * neighbours, is found by clsvm_lookup(), and that the window validates and counts the same.
 */
#ifndef CLSVM_REL_MODEL_H
#define CLSVM_REL_MODEL_H

#include "check.h"

#include "clsvm/runtime.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define REL_MAX_LIVE 512

typedef struct rel_alloc {
    unsigned char *p;
    size_t size;
    unsigned char fill;
} rel_alloc;

typedef struct rel_model {
    clsvm_window *w;
    rel_alloc live[REL_MAX_LIVE];
    int n;
    unsigned long long ops, failures, checks;
} rel_model;

/* Bytes checked of a buffer: both ends and every 4 KiB in between. */
static inline void rel_fill(unsigned char *p, size_t n, unsigned char v)
{
    if (n <= 8192) {
        memset(p, v, n);
        return;
    }
    for (size_t i = 0; i < n; i += 4096)
        p[i] = v;
    memset(p + n - 64, v, 64);
}

static inline int rel_intact(const unsigned char *p, size_t n, unsigned char v)
{
    if (n <= 8192) {
        for (size_t i = 0; i < n; i++)
            if (p[i] != v)
                return 0;
        return 1;
    }
    for (size_t i = 0; i < n; i += 4096)
        if (p[i] != v)
            return 0;
    for (size_t i = n - 64; i < n; i++)
        if (p[i] != v)
            return 0;
    return 1;
}

static int rel_cmp(const void *a, const void *b)
{
    const rel_alloc *x = a, *y = b;
    return x->p < y->p ? -1 : x->p > y->p;
}

static inline void rel_model_check(rel_model *m)
{
    CHECK_EQ(clsvm_window_validate(m->w), CLSVM_OK);
    clsvm_window_info wi;
    clsvm_window_get_info(m->w, &wi);
    rel_alloc sorted[REL_MAX_LIVE];
    memcpy(sorted, m->live, sizeof(rel_alloc) * (size_t)m->n);
    qsort(sorted, (size_t)m->n, sizeof(rel_alloc), rel_cmp);
    for (int i = 0; i < m->n; i++) {
        const rel_alloc *a = &sorted[i];
        uintptr_t b = (uintptr_t)a->p;
        CHECK_MSG(b >= wi.base && b + a->size <= wi.base + wi.size, "%p outside the window",
                  (void *)a->p);
        if (i)
            CHECK_MSG(sorted[i - 1].p + sorted[i - 1].size <= a->p, "%p overlaps %p",
                      (void *)sorted[i - 1].p, (void *)a->p);
        CHECK_MSG(rel_intact(a->p, a->size, a->fill), "allocation %p (%zu bytes) lost its data",
                  (void *)a->p, a->size);
        clsvm_alloc_info ai;
        CHECK_EQ(clsvm_lookup(m->w, a->p + a->size - 1, &ai), CLSVM_OK);
        CHECK(ai.base == a->p && ai.size == a->size);
    }
    clsvm_stats st;
    clsvm_window_get_stats(m->w, &st);
    CHECK_EQ(st.live_allocations, m->n);
    m->checks++;
}

/* Allocate into the model; returns the clsvm status. A failure must leave nothing behind. */
static inline int rel_model_alloc(rel_model *m, size_t size, size_t align)
{
    void *p = (void *)1;
    int rc = clsvm_alloc(m->w, size, align, 7, m, &p);
    m->ops++;
    if (rc != CLSVM_OK) {
        CHECK(p == NULL);
        m->failures++;
        return rc;
    }
    CHECK(m->n < REL_MAX_LIVE);
    rel_alloc *a = &m->live[m->n++];
    a->p = p;
    a->size = size;
    a->fill = (unsigned char)(m->ops * 37 + 1);
    rel_fill(a->p, size, a->fill);
    return rc;
}

static inline void rel_model_free(rel_model *m, int i)
{
    CHECK_EQ(clsvm_free(m->w, m->live[i].p), CLSVM_OK);
    m->live[i] = m->live[--m->n];
    m->ops++;
}

static inline void rel_model_free_all(rel_model *m)
{
    while (m->n)
        rel_model_free(m, m->n - 1);
}

#endif
