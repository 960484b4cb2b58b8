/* test_heap_lookup: interior pointers resolve to their block at every byte of small blocks and
 * sampled offsets of big ones; gaps, rounding slack, out-of-range and freed addresses do not. */
#include "check.h"
#include "heap.h"

#include <clsvm/runtime.h>

#include <stdint.h>

#define BASE ((uintptr_t)1 << 40)
#define RANGE ((size_t)1 << 36)
#define BASE2 (BASE + 2 * RANGE)

enum { NSMALL = 200 };

static void expect_block(const heap *h, uintptr_t p, uintptr_t addr, size_t size, void *tag)
{
    heap_block_info info;
    int rc = heap_lookup(h, p, &info);
    CHECK_MSG(rc == CLSVM_OK, "lookup 0x%lx: rc %d, want block 0x%lx", (unsigned long)p, rc,
              (unsigned long)addr);
    CHECK_MSG(info.addr == addr, "lookup 0x%lx: block 0x%lx, want 0x%lx", (unsigned long)p,
              (unsigned long)info.addr, (unsigned long)addr);
    CHECK_EQ(info.size, size);
    CHECK(info.tag == tag);
}

static void expect_none(const heap *h, uintptr_t p)
{
    heap_block_info info;
    int rc = heap_lookup(h, p, &info);
    CHECK_MSG(rc == CLSVM_ERR_NOTFOUND, "lookup 0x%lx: rc %d, want NOTFOUND", (unsigned long)p, rc);
}

typedef struct walk {
    uintptr_t last;
    int count, stop_after;
} walk;

static int visit(const heap_block_info *info, void *user)
{
    walk *w = user;
    CHECK(info->addr > w->last); /* strictly increasing addresses */
    w->last = info->addr;
    return ++w->count == w->stop_after;
}

int main(void)
{
    heap *h;
    CHECK_EQ(heap_create(16, &h), CLSVM_OK);
    CHECK_EQ(heap_add_range(h, BASE, RANGE), CLSVM_OK);
    CHECK_EQ(heap_add_range(h, BASE2, RANGE), CLSVM_OK);
    expect_none(h, BASE);

    /* Small blocks of sizes 1..NSMALL, separated by pads that are freed to leave gaps. */
    uintptr_t small[NSMALL + 1], pads[NSMALL + 1];
    for (int s = 1; s <= NSMALL; s++) {
        CHECK_EQ(heap_alloc(h, s, 16, 0, &small[s], &small[s]), CLSVM_OK);
        CHECK_EQ(heap_alloc(h, 16 * (s % 3 + 1), 16, 0, NULL, &pads[s]), CLSVM_OK);
    }
    for (int s = 1; s <= NSMALL; s += 2)
        CHECK_EQ(heap_free(h, pads[s], NULL), CLSVM_OK);

    /* Big blocks: 1 MiB + 1, and 1 GiB + 3 aligned to 2 MiB. */
    const size_t big[2] = {((size_t)1 << 20) + 1, ((size_t)1 << 30) + 3};
    uintptr_t bigp[2];
    CHECK_EQ(heap_alloc(h, big[0], 16, 7, NULL, &bigp[0]), CLSVM_OK);
    CHECK_EQ(heap_alloc(h, big[1], (size_t)2 << 20, 7, NULL, &bigp[1]), CLSVM_OK);
    for (int b = 0; b < 2; b++)
        CHECK((bigp[b] >= BASE && bigp[b] < BASE + RANGE) ||
              (bigp[b] >= BASE2 && bigp[b] < BASE2 + RANGE));
    CHECK_EQ(heap_validate(h), CLSVM_OK);

    for (int s = 1; s <= NSMALL; s++) {
        uintptr_t p = small[s];
        for (int off = 0; off < s; off++)
            expect_block(h, p + off, p, s, &small[s]);
        /* The rounding slack past the requested size is not part of the buffer. */
        for (int off = s; off < ((s + 15) & ~15); off++)
            expect_none(h, p + off);
        if (s > 1 && (s - 1) % 2) /* the byte before is the end of a freed pad */
            expect_none(h, p - 1);
    }
    /* Freed pads are gaps; live pads are blocks. */
    for (int s = 1; s <= NSMALL; s++) {
        size_t ps = 16 * (s % 3 + 1);
        for (size_t off = 0; off < ps; off += 5) {
            if (s % 2)
                expect_none(h, pads[s] + off);
            else
                expect_block(h, pads[s] + off, pads[s], ps, NULL);
        }
    }
    unsigned long long rng = 42;
    for (int b = 0; b < 2; b++) {
        expect_block(h, bigp[b], bigp[b], big[b], NULL);
        expect_block(h, bigp[b] + big[b] - 1, bigp[b], big[b], NULL);
        expect_none(h, bigp[b] + big[b]);
        for (int i = 0; i < 10000; i++)
            expect_block(h, bigp[b] + test_rand(&rng) % big[b], bigp[b], big[b], NULL);
    }
    /* Outside every range, and in the free space of each range. */
    expect_none(h, 0);
    expect_none(h, 1);
    expect_none(h, BASE - 1);
    expect_none(h, BASE + RANGE - 1);
    expect_none(h, BASE + RANGE);
    expect_none(h, BASE2 - 1);
    expect_none(h, BASE2 + RANGE);
    expect_none(h, UINTPTR_MAX);

    /* foreach: address order, every block once, early stop honoured. */
    heap_stats st;
    heap_get_stats(h, &st);
    walk w = {0, 0, -1};
    heap_foreach(h, visit, &w);
    CHECK_EQ(w.count, st.live);
    CHECK_EQ(st.live, NSMALL + NSMALL / 2 + 2);
    w = (walk){0, 0, 5};
    heap_foreach(h, visit, &w);
    CHECK_EQ(w.count, 5);

    /* Freed blocks are not found any more, at any byte; the neighbours still are. */
    for (int s = 2; s <= NSMALL; s += 3) {
        heap_block_info info;
        CHECK_EQ(heap_free(h, small[s], &info), CLSVM_OK);
        CHECK_EQ(info.addr, small[s]);
        CHECK_EQ(info.size, s);
        CHECK(info.tag == &small[s]);
        for (int off = 0; off < s; off++)
            expect_none(h, small[s] + off);
        expect_block(h, small[s - 1], small[s - 1], s - 1, &small[s - 1]);
    }
    CHECK_EQ(heap_free(h, bigp[1], NULL), CLSVM_OK);
    expect_none(h, bigp[1] + big[1] / 2);
    expect_block(h, bigp[0] + big[0] / 2, bigp[0], big[0], NULL);
    CHECK_EQ(heap_validate(h), CLSVM_OK);
    heap_destroy(h);
    return 0;
}
