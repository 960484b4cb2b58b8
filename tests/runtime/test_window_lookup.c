/* test_window_lookup: clsvm_lookup against a model of the live allocations. Every probe —
 * first, last and interior bytes, one past the end, the rounding slack, alignment gaps, chunk
 * boundaries, addresses outside the window — must give exactly the model's answer, for small
 * blocks sharing a chunk, blocks spanning many 2 MiB chunks and freshly freed ones. */
#include "check.h"

#include "clsvm/runtime.h"

#include <stdint.h>
#include <string.h>

#define MAXLIVE 600
#define CHUNK ((uintptr_t)2 << 20)

typedef struct alloc {
    uintptr_t base;
    size_t size;
    uint32_t flags;
    uintptr_t id; /* the tag: unique per allocation */
} alloc;

static alloc live[MAXLIVE];
static int nlive;
static uintptr_t next_id = 1;
static clsvm_window *w;
static clsvm_window_info wi;

static const alloc *model_find(uintptr_t p)
{
    for (int i = 0; i < nlive; i++)
        if (p >= live[i].base && p - live[i].base < live[i].size)
            return &live[i];
    return NULL;
}

static void probe(uintptr_t p)
{
    clsvm_alloc_info ai;
    memset(&ai, 0xa5, sizeof ai);
    int rc = clsvm_lookup(w, (const void *)p, &ai);
    const alloc *a = model_find(p);
    if (!a) {
        CHECK_MSG(rc == CLSVM_ERR_NOTFOUND, "%#lx: found %p+%zu, model has nothing",
                  (unsigned long)p, ai.base, ai.size);
        return;
    }
    CHECK_MSG(rc == CLSVM_OK, "%#lx: rc %d, model has %#lx+%zu", (unsigned long)p, rc,
              (unsigned long)a->base, a->size);
    CHECK_MSG((uintptr_t)ai.base == a->base && ai.size == a->size && ai.flags == a->flags &&
                  ai.tag == (void *)a->id,
              "%#lx: found %p+%zu flags %u, model %#lx+%zu flags %u", (unsigned long)p, ai.base,
              ai.size, ai.flags, (unsigned long)a->base, a->size, a->flags);
}

/* Every interesting address around allocation a. */
static void probe_around(const alloc *a, unsigned long long *seed)
{
    uintptr_t b = a->base, e = a->base + a->size;
    probe(b);
    probe(b - 1);
    probe(e - 1);
    probe(e);                           /* one past the end: slack, a gap or the next block */
    probe((e + 127) & ~(uintptr_t)127); /* first byte after the 128-byte rounding */
    probe(b + test_rand(seed) % a->size);
    if (a->size > CHUNK) {
        uintptr_t c = (b + CHUNK) & ~(CHUNK - 1); /* a chunk boundary inside the block */
        probe(c - 1);
        probe(c);
        probe(e - CHUNK / 2);
    }
}

static void check_all(unsigned long long *seed)
{
    for (int i = 0; i < nlive; i++)
        probe_around(&live[i], seed);
    for (int i = 0; i < 2000; i++) /* random addresses: mostly gaps, sometimes blocks */
        probe(wi.base + test_rand(seed) % (256 << 20));
    probe(wi.base - 1);
    probe(wi.base + wi.size);
    probe(0);
    probe(UINTPTR_MAX);
    CHECK_EQ(clsvm_window_validate(w), CLSVM_OK);
}

static size_t pick_size(unsigned long long *seed)
{
    switch (test_rand(seed) % 8) {
    case 0:
        return 1 + test_rand(seed) % 16; /* tiny: most of the granule is slack */
    case 1:
    case 2:
        return 1 + test_rand(seed) % 300;
    case 3:
        return 4096 - 64 + test_rand(seed) % 128;
    case 4:
        return 1 + test_rand(seed) % (64 << 10);
    case 5:
        return (1 << 20) + test_rand(seed) % 4096;
    case 6:
        return (size_t)(CHUNK - 128 + test_rand(seed) % 256); /* around one chunk */
    default:
        return 1 + test_rand(seed) % (9 << 20); /* up to five chunks */
    }
}

static void alloc_one(unsigned long long *seed)
{
    alloc *a = &live[nlive];
    a->size = pick_size(seed);
    a->flags = (uint32_t)test_rand(seed);
    a->id = next_id++;
    size_t align = test_rand(seed) % 4 ? 0 : (size_t)1 << (4 + test_rand(seed) % 18);
    void *p;
    int rc = clsvm_alloc(w, a->size, align, a->flags, (void *)a->id, &p);
    CHECK_MSG(rc == CLSVM_OK, "alloc %zu align %zu: %s", a->size, align, clsvm_status_str(rc));
    a->base = (uintptr_t)p;
    CHECK(!align || a->base % align == 0);
    nlive++;
}

static void free_one(int i)
{
    uintptr_t gone = live[i].base;
    size_t size = live[i].size;
    CHECK_EQ(clsvm_free(w, (void *)gone), CLSVM_OK);
    live[i] = live[--nlive];
    probe(gone);
    probe(gone + size - 1);
}

int main(void)
{
    clsvm_config cfg;
    clsvm_config_init(&cfg);
    cfg.window_size = (uint64_t)4 << 30;
    CHECK_EQ(clsvm_window_open(&cfg, &w), CLSVM_OK);
    clsvm_window_get_info(w, &wi);
    unsigned long long seed = 0x10C0FFEEULL;

    /* A packed run of tiny blocks: many starts per bit word and per chunk. */
    for (int i = 0; i < 200; i++) {
        alloc *a = &live[nlive++];
        a->size = 1 + (size_t)i % 200;
        a->flags = (uint32_t)i;
        a->id = next_id++;
        void *p;
        CHECK_EQ(clsvm_alloc(w, a->size, 0, a->flags, (void *)a->id, &p), CLSVM_OK);
        a->base = (uintptr_t)p;
    }
    check_all(&seed);

    for (int round = 0; round < 6; round++) {
        while (nlive < MAXLIVE - 100 + round * 10)
            alloc_one(&seed);
        check_all(&seed);
        for (int i = 0; i < nlive / 2; i++)
            free_one((int)(test_rand(&seed) % (unsigned long long)nlive));
        check_all(&seed);
    }
    while (nlive)
        free_one(nlive - 1);
    check_all(&seed);
    clsvm_window_close(w);
    puts("ok");
    return 0;
}
