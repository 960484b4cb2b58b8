/*
 * test_fault_runtime: every provider failure clsvm_fault_arm() can inject (reserve, commit,
 * decommit) surfaces as the documented status, leaves the heap valid and every earlier
 * allocation's data intact, and later calls succeed once the fault clears. Then random churn
 * with random fault plans, checked against a shadow model after every step, and window
 * exhaustion with faults in between. Prints the number of faults injected.
 */
#include "rel_model.h"

#include "fault.h"

#include <stdio.h>

#define MiB ((size_t)1 << 20)

static unsigned long long total_injected;

static void count_injected(void)
{
    for (int s = 0; s < CLSVM_FAULT_SITE_COUNT; s++)
        total_injected += clsvm_fault_injected((clsvm_fault_site)s);
}

static clsvm_window *open_window(size_t size)
{
    clsvm_config cfg;
    clsvm_config_init(&cfg);
    cfg.window_size = size;
    cfg.min_window_size = size;
    cfg.provider = "reserve";
    clsvm_window *w = NULL;
    CHECK_EQ(clsvm_window_open(&cfg, &w), CLSVM_OK);
    CHECK(w != NULL);
    return w;
}

static void same_but_failed(const clsvm_stats *a, const clsvm_stats *b)
{
    CHECK_EQ(a->allocated, b->allocated);
    CHECK_EQ(a->live_allocations, b->live_allocations);
    CHECK_EQ(a->committed, b->committed);
    CHECK_EQ(a->free_bytes, b->free_bytes);
    CHECK_EQ(a->free_ranges, b->free_ranges);
    CHECK_EQ(b->failed_allocs, a->failed_allocs + 1);
}

/* reserve:N: window_open fails with CLSVM_ERR_RESERVE and *out NULL; the next open works. */
static void reserve_faults(void)
{
    clsvm_config cfg;
    clsvm_config_init(&cfg);
    cfg.window_size = 64 * MiB;
    cfg.provider = "reserve";
    clsvm_window *w = (clsvm_window *)1;
    CHECK_EQ(clsvm_fault_arm("reserve:1"), 0);
    CHECK_EQ(clsvm_window_open(&cfg, &w), CLSVM_ERR_RESERVE);
    CHECK(w == NULL);
    CHECK_EQ(clsvm_window_open(&cfg, &w), CLSVM_OK);
    CHECK_EQ(clsvm_window_validate(w), CLSVM_OK);
    clsvm_window_close(w);
    count_injected();

    CHECK_EQ(clsvm_fault_arm("reserve:2+"), 0);
    CHECK_EQ(clsvm_window_open(&cfg, &w), CLSVM_OK);
    clsvm_window *w2 = (clsvm_window *)1;
    for (int i = 0; i < 3; i++)
        CHECK_EQ(clsvm_window_open(&cfg, &w2), CLSVM_ERR_RESERVE);
    CHECK(w2 == NULL);
    CHECK_EQ(clsvm_fault_injected(CLSVM_FAULT_RESERVE), 3);
    count_injected();
    CHECK_EQ(clsvm_fault_arm(NULL), 0);
    CHECK_EQ(clsvm_window_open(&cfg, &w2), CLSVM_OK);
    clsvm_window_close(w2);
    clsvm_window_close(w);
}

/* commit:N and commit:N+: clsvm_alloc fails with CLSVM_ERR_COMMIT, changing nothing. */
static void commit_faults(void)
{
    rel_model m = {.w = open_window(256 * MiB)};
    CHECK_EQ(rel_model_alloc(&m, 3 * MiB, 0), CLSVM_OK);
    CHECK_EQ(rel_model_alloc(&m, 100, 0), CLSVM_OK);

    clsvm_stats before, after;
    clsvm_window_get_stats(m.w, &before);
    CHECK_EQ(clsvm_fault_arm("commit:1"), 0);
    CHECK_EQ(rel_model_alloc(&m, 16 * MiB, 0), CLSVM_ERR_COMMIT);
    clsvm_window_get_stats(m.w, &after);
    same_but_failed(&before, &after);
    CHECK_EQ(clsvm_fault_injected(CLSVM_FAULT_COMMIT), 1);
    rel_model_check(&m);
    /* The fault was for one call only: the same request now succeeds, zero-filled. */
    CHECK_EQ(rel_model_alloc(&m, 16 * MiB, 0), CLSVM_OK);
    rel_model_check(&m);
    count_injected();

    /* A persistent failure: every allocation needing new chunks fails, the rest carry on. */
    CHECK_EQ(clsvm_fault_arm("commit:1+"), 0);
    for (int i = 0; i < 5; i++) {
        clsvm_window_get_stats(m.w, &before);
        CHECK_EQ(rel_model_alloc(&m, (size_t)(8 + i) * MiB, 0), CLSVM_ERR_COMMIT);
        clsvm_window_get_stats(m.w, &after);
        same_but_failed(&before, &after);
        rel_model_check(&m);
    }
    CHECK_EQ(clsvm_fault_injected(CLSVM_FAULT_COMMIT), 5);
    count_injected();
    CHECK_EQ(clsvm_fault_arm(""), 0);
    CHECK_EQ(rel_model_alloc(&m, 8 * MiB, 0), CLSVM_OK);
    rel_model_check(&m);

    /* A failure in the middle of a multi-run commit: allocations spanning committed and
     * uncommitted chunks, with the 2nd commit of each request failing, roll back fully. */
    rel_model_free_all(&m);
    for (int i = 0; i < 8; i++) /* every other 2 MiB chunk committed, gaps between */
        CHECK_EQ(rel_model_alloc(&m, 4 * MiB, 2 * MiB), CLSVM_OK);
    for (int i = m.n - 1; i >= 0; i -= 2)
        rel_model_free(&m, i);
    rel_model_check(&m);
    CHECK_EQ(clsvm_fault_arm("commit:2"), 0);
    int rc = rel_model_alloc(&m, 64 * MiB, 0);
    CHECK(rc == CLSVM_ERR_COMMIT || rc == CLSVM_OK);
    rel_model_check(&m);
    count_injected();
    CHECK_EQ(clsvm_fault_arm(NULL), 0);
    rel_model_free_all(&m);
    rel_model_check(&m);
    clsvm_window_close(m.w);
}

/* decommit:N: the free still succeeds (the window logs that memory stayed committed), the heap
 * stays valid and the range can be allocated again. */
static void decommit_faults(void)
{
    rel_model m = {.w = open_window(256 * MiB)};
    CHECK_EQ(rel_model_alloc(&m, 1 * MiB, 0), CLSVM_OK);
    CHECK_EQ(rel_model_alloc(&m, 32 * MiB, 0), CLSVM_OK);
    CHECK_EQ(rel_model_alloc(&m, 32 * MiB, 0), CLSVM_OK);
    CHECK_EQ(clsvm_fault_arm("decommit:1+"), 0);
    rel_model_free(&m, 2);
    rel_model_free(&m, 1);
    CHECK(clsvm_fault_injected(CLSVM_FAULT_DECOMMIT) >= 1);
    rel_model_check(&m);
    count_injected();
    CHECK_EQ(clsvm_fault_arm(NULL), 0);
    for (int i = 0; i < 4; i++)
        CHECK_EQ(rel_model_alloc(&m, 16 * MiB, 0), CLSVM_OK);
    rel_model_check(&m);
    rel_model_free_all(&m);
    rel_model_check(&m);
    clsvm_window_close(m.w);
}

/* Fill a 64 MiB window to CLSVM_ERR_NOMEM with a commit fault on the way; everything else
 * survives, freeing makes room, and the window empties cleanly. */
static void exhaustion_with_faults(void)
{
    rel_model m = {.w = open_window(64 * MiB)};
    CHECK_EQ(clsvm_fault_arm("commit:5"), 0);
    int nomem = 0, commit = 0;
    for (int i = 0; i < 200 && !nomem; i++) {
        int rc = rel_model_alloc(&m, MiB + 4096, 0);
        if (rc == CLSVM_ERR_NOMEM)
            nomem = 1;
        else if (rc == CLSVM_ERR_COMMIT)
            commit++;
        else
            CHECK_EQ(rc, CLSVM_OK);
    }
    CHECK(nomem);
    CHECK_EQ(commit, 1);
    rel_model_check(&m);
    count_injected();
    int before = m.n;
    rel_model_free(&m, 0);
    rel_model_free(&m, 0);
    CHECK_EQ(rel_model_alloc(&m, MiB, 0), CLSVM_OK);
    CHECK_EQ(m.n, before - 1);
    rel_model_check(&m);
    rel_model_free_all(&m);
    rel_model_check(&m);
    clsvm_window_close(m.w);
}

/* Random churn under random fault plans. Any failed alloc is COMMIT or NOMEM and changes
 * nothing; frees always succeed; the model holds after every step. */
static void random_churn(int rounds)
{
    static const char *const plans[] = {"commit:%u",
                                        "commit:%u+",
                                        "decommit:%u",
                                        "decommit:%u+",
                                        "commit:%u,decommit:%u",
                                        "commit:%u+,decommit:%u+"};
    unsigned long long seed = 0x5eed;
    rel_model m = {.w = open_window(128 * MiB)};
    for (int r = 0; r < rounds; r++) {
        char spec[64];
        unsigned k1 = 1 + (unsigned)(test_rand(&seed) % 20),
                 k2 = 1 + (unsigned)(test_rand(&seed) % 20);
        snprintf(spec, sizeof spec, plans[test_rand(&seed) % 6], k1, k2);
        CHECK_EQ(clsvm_fault_arm(spec), 0);
        for (int op = 0; op < 150; op++) {
            unsigned long long x = test_rand(&seed);
            if (m.n && (x % 3 == 0 || m.n == REL_MAX_LIVE)) {
                rel_model_free(&m, (int)(test_rand(&seed) % (unsigned)m.n));
            } else {
                static const size_t sizes[] = {1, 64, 4096, 100000, MiB, 3 * MiB, 9 * MiB};
                size_t size = sizes[x % 7] + (test_rand(&seed) % 4096);
                size_t align = (size_t)1 << (test_rand(&seed) % 22);
                int rc = rel_model_alloc(&m, size, align);
                CHECK_MSG(rc == CLSVM_OK || rc == CLSVM_ERR_COMMIT || rc == CLSVM_ERR_NOMEM,
                          "alloc(%zu, %zu) under %s returned %d", size, align, spec, rc);
            }
            rel_model_check(&m);
        }
        count_injected();
        /* Fault cleared: a fresh allocation must work (make room first if needed). */
        CHECK_EQ(clsvm_fault_arm(NULL), 0);
        while (m.n > 20)
            rel_model_free(&m, 0);
        CHECK_EQ(rel_model_alloc(&m, 2 * MiB, 0), CLSVM_OK);
        rel_model_check(&m);
    }
    printf("churn: %d rounds, %llu operations, %llu failed allocations, %llu model checks\n",
           rounds, m.ops, m.failures, m.checks);
    rel_model_free_all(&m);
    rel_model_check(&m);
    clsvm_window_close(m.w);
}

int main(void)
{
    /* Bad specs are refused and leave no fault armed. */
    static const char *const bad[] = {
        "commit",    "commit:",    "commit:0", "commit:x",  ":3",
        "commit:3,", "commit:3++", "disk:1",   "commit:-1", "commit:99999999999999999999",
        "COMMIT:1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_MSG(clsvm_fault_arm(bad[i]) == -1, "'%s' accepted", bad[i]);
    CHECK_EQ(clsvm_fault_arm("commit:3,decommit:1+,ioctl:2,reserve:7"), 0);
    CHECK_EQ(clsvm_fault_arm(NULL), 0);

    reserve_faults();
    commit_faults();
    decommit_faults();
    exhaustion_with_faults();
    random_churn(10);
    printf("faults injected: %llu\n", total_injected);
    return 0;
}
