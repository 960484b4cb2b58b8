/* test_window_commit: commit failures are rolled back exactly (partial runs decommitted, heap
 * and counters unchanged), using a provider that wraps "reserve" and fails on command. */
#include "check.h"

#include "window.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define MiB ((uint64_t)1 << 20)
#define CHUNK CLSVM_COMMIT_CHUNK

static int commits_left = -1; /* < 0: never fail; else fail once this many succeeded */
static int commit_calls;

static int flaky_commit(provider_region *r, uintptr_t addr, size_t len)
{
    commit_calls++;
    if (commits_left == 0)
        return CLSVM_ERR_COMMIT;
    if (commits_left > 0)
        commits_left--;
    return provider_reserve.commit(r, addr, len);
}

static int reserve_map(const provider_request *req, provider_region *out)
{
    return provider_reserve.map(req, out);
}
static int reserve_decommit(provider_region *r, uintptr_t a, size_t n)
{
    return provider_reserve.decommit(r, a, n);
}
static void reserve_release(provider_region *r)
{
    provider_reserve.release(r);
}

static const provider flaky = {"flaky",         reserve_map, flaky_commit, reserve_decommit,
                               reserve_release, NULL,        NULL};

/* Protection of the mapping containing addr, from /proc/self/maps ("rw-p", "---p"). */
static void perms_of(uintptr_t addr, char perms[5])
{
    FILE *f = fopen("/proc/self/maps", "r");
    CHECK(f != NULL);
    char line[512];
    strcpy(perms, "none");
    while (fgets(line, sizeof line, f)) {
        unsigned long s, e;
        char p[5];
        if (sscanf(line, "%lx-%lx %4s", &s, &e, p) == 3 && addr >= s && addr < e) {
            memcpy(perms, p, 5);
            break;
        }
    }
    fclose(f);
}

static void commit_map_rollback(void)
{
    provider_request req = {40, 64 * MiB, 64 * MiB, NULL, NULL};
    provider_region r;
    CHECK_EQ(flaky.map(&req, &r), CLSVM_OK);
    commit_map *cm;
    CHECK_EQ(commit_map_create(&flaky, &r, &cm), CLSVM_OK);
    char perms[5];

    /* Chunk 1 committed; then chunks 0..2 need runs [0] and [2]: the second run fails. */
    CHECK_EQ(commit_map_acquire(cm, r.base + CHUNK + 100, 200), CLSVM_OK);
    commits_left = 1;
    CHECK_EQ(commit_map_acquire(cm, r.base + 10, 3 * CHUNK - 20), CLSVM_ERR_COMMIT);
    commits_left = -1;
    commit_stats st;
    commit_map_get_stats(cm, &st);
    CHECK_EQ(st.committed, CHUNK);
    CHECK_EQ(st.commits, 2);   /* chunk 1, then the run [0] that was rolled back */
    CHECK_EQ(st.decommits, 1); /* the rollback */
    perms_of(r.base, perms);
    CHECK_MSG(!strcmp(perms, "---p"), "chunk 0 left %s after rollback", perms);
    perms_of(r.base + CHUNK, perms);
    CHECK_MSG(!strcmp(perms, "rw-p"), "chunk 1 is %s", perms);
    CHECK_EQ(commit_map_covers(cm, r.base, 1), CLSVM_ERR_INVALID);
    CHECK_EQ(commit_map_covers(cm, r.base + CHUNK, CHUNK), CLSVM_OK);
    CHECK_EQ(commit_map_validate(cm, 1), CLSVM_OK);
    CHECK_EQ(commit_map_validate(cm, 2), CLSVM_ERR_INVALID); /* validate can fail */

    /* Adjacent new chunks are committed in one call; a range outside the window is refused. */
    commit_calls = 0;
    CHECK_EQ(commit_map_acquire(cm, r.base + 4 * CHUNK, 5 * CHUNK), CLSVM_OK);
    CHECK_EQ(commit_calls, 1);
    CHECK_EQ(commit_map_acquire(cm, r.base + r.size - 10, 20), CLSVM_ERR_INVALID);
    CHECK_EQ(commit_map_acquire(cm, r.base - 10, 5), CLSVM_ERR_INVALID);
    CHECK_EQ(commit_map_validate(cm, 1 + 5), CLSVM_OK);
    commit_map_release(cm, r.base + 4 * CHUNK, 5 * CHUNK);
    commit_map_release(cm, r.base + CHUNK + 100, 200);
    commit_map_get_stats(cm, &st);
    CHECK_EQ(st.committed, 0);
    perms_of(r.base + CHUNK, perms);
    CHECK(!strcmp(perms, "---p"));
    CHECK_EQ(commit_map_validate(cm, 0), CLSVM_OK);
    commit_map_destroy(cm);
    flaky.release(&r);
}

static void window_rollback(void)
{
    clsvm_config cfg;
    clsvm_config_init(&cfg);
    cfg.window_size = 64 * MiB;
    clsvm_window *w;
    CHECK_EQ(window_open_with(&cfg, &flaky, &w), CLSVM_OK);
    void *a, *b = (void *)1;
    CHECK_EQ(clsvm_alloc(w, 1000, 0, 0, NULL, &a), CLSVM_OK);
    clsvm_stats s0, s1;
    clsvm_window_get_stats(w, &s0);
    commits_left = 0;
    CHECK_EQ(clsvm_alloc(w, 8 * MiB, 0, 0, NULL, &b), CLSVM_ERR_COMMIT);
    CHECK(b == NULL);
    /* Inside the committed chunk no commit is needed, so it still works. */
    void *c;
    CHECK_EQ(clsvm_alloc(w, 1000, 0, 0, NULL, &c), CLSVM_OK);
    CHECK_EQ(clsvm_free(w, c), CLSVM_OK);
    commits_left = -1;
    clsvm_window_get_stats(w, &s1);
    CHECK_EQ(s1.failed_allocs, s0.failed_allocs + 1);
    CHECK_EQ(s1.live_allocations, s0.live_allocations);
    CHECK_EQ(s1.allocated, s0.allocated);
    CHECK_EQ(s1.committed, s0.committed);
    CHECK_EQ(s1.free_bytes, s0.free_bytes);
    CHECK_EQ(s1.free_ranges, s0.free_ranges);
    CHECK_EQ(s1.largest_free, s0.largest_free);
    CHECK_EQ(clsvm_window_validate(w), CLSVM_OK);
    CHECK_EQ(clsvm_alloc(w, 8 * MiB, 0, 0, NULL, &b), CLSVM_OK);
    memset(b, 1, 8 * MiB);
    clsvm_window_info wi;
    clsvm_window_get_info(w, &wi);
    CHECK(!strcmp(wi.provider, "flaky"));
    CHECK_EQ(clsvm_free(w, a), CLSVM_OK);
    CHECK_EQ(clsvm_free(w, b), CLSVM_OK);
    CHECK_EQ(clsvm_window_validate(w), CLSVM_OK);
    clsvm_window_close(w);
}

/* A provider that ignores va_bits (maps near the top of user space) must be refused. */
static int liar_map(const provider_request *req, provider_region *out)
{
    provider_request r = *req;
    r.va_bits = 47;
    return provider_reserve.map(&r, out);
}

static const provider liar = {"liar",          liar_map, flaky_commit, reserve_decommit,
                              reserve_release, NULL,     NULL};

static void misplaced_window_refused(void)
{
    clsvm_config cfg;
    clsvm_config_init(&cfg);
    cfg.va_bits = 40;
    cfg.window_size = 64 * MiB;
    clsvm_window *w = (clsvm_window *)&cfg;
    CHECK_EQ(window_open_with(&cfg, &liar, &w), CLSVM_ERR_RESERVE);
    CHECK(w == NULL);
}

int main(void)
{
    commit_map_rollback();
    window_rollback();
    misplaced_window_refused();
    puts("ok");
    return 0;
}
