/* test_window_map_rss: the lookup map's start tables (642 KiB of address space per chunk where a
 * block starts) cost only the pages they write, even when the process's malloc heap holds recycled
 * memory. A calloc'd table served from a free chunk inside glibc's heap is cleared with memset,
 * which makes the whole table resident: 500 chunks with one live block each then kept ~65 MiB of
 * metadata resident (clsvm-bench, purge figures). Here: the malloc heap is left with 64 MiB of
 * free, trimmed (non-resident) memory below a live guard block, then 64 untouched 2 MiB blocks
 * are allocated; RSS may grow by a few pages per table, not by whole tables. Then 8192 untouched
 * 4 KiB blocks: a few dozen bytes of table each, not a slot per granule of their span. */
#include "check.h"

#include <clsvm/runtime.h>

#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MiB ((uint64_t)1 << 20)
#define N 64

__attribute__((unused)) static uint64_t rss(void) /* unused in sanitizer builds */
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long size = 0, res = 0;
    CHECK(f && fscanf(f, "%lu %lu", &size, &res) == 2);
    fclose(f);
    return (uint64_t)res * (uint64_t)sysconf(_SC_PAGESIZE);
}

int main(void)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    puts("skipped: a sanitizer's allocator replaces glibc malloc, whose heap reuse is under test");
    return TEST_SKIP_CODE;
#else
    /* Tables of 130 KiB from the heap, not from mmap; memory freed stays in the heap. */
    CHECK(mallopt(M_MMAP_THRESHOLD, 32 << 20) == 1);
    CHECK(mallopt(M_TRIM_THRESHOLD, 1 << 30) == 1);
    enum { PIECES = 320 };
    static void *piece[PIECES];
    for (int i = 0; i < PIECES; i++) {
        piece[i] = malloc(200 << 10);
        CHECK(piece[i]);
        memset(piece[i], 0x5a, 200 << 10);
    }
    void *guard = malloc(64); /* keeps the freed pieces below the heap top */
    CHECK(guard);
    for (int i = 0; i < PIECES; i++)
        free(piece[i]);
    malloc_trim(0); /* their pages leave RSS but stay in the heap's free lists */

    clsvm_config cfg;
    clsvm_config_init(&cfg);
    cfg.window_size = (uint64_t)1 << 30;
    clsvm_window *w;
    CHECK_EQ(clsvm_window_open(&cfg, &w), CLSVM_OK);
    void *p[N];
    uint64_t r0 = rss();
    for (int i = 0; i < N; i++) /* each starts in its own chunk; never touched */
        CHECK_EQ(clsvm_alloc(w, 2 * MiB, 2 * MiB, 0, NULL, &p[i]), CLSVM_OK);
    uint64_t grown = rss() - r0;
    printf("RSS grew by %llu KiB for %d start tables\n", (unsigned long long)(grown >> 10), N);
    CHECK_MSG(grown < (uint64_t)N * 32 * 1024,
              "RSS grew by %llu KiB for %d untouched blocks: %llu KiB per start table",
              (unsigned long long)(grown >> 10), N, (unsigned long long)(grown >> 10) / N);
    for (int i = 0; i < N; i++)
        CHECK_EQ(clsvm_free(w, p[i]), CLSVM_OK);
    CHECK_EQ(clsvm_window_validate(w), CLSVM_OK);

    /* Page-sized blocks: 512 starts per chunk. With an 8-byte slot per granule their tables
     * wrote 256 bytes per 4 KiB block (every slot page of the chunk: 26 MiB for 100,000 such
     * blocks); one slot per 4 KiB group writes 8. Per block: its 48-byte record, the slot, a
     * bit or two, and malloc's rounding. */
    enum { PAGES = 8192 };
    static void *q[PAGES];
    r0 = rss();
    for (int i = 0; i < PAGES; i++) /* never touched: the window's pages stay out of RSS */
        CHECK_EQ(clsvm_alloc(w, 4096, 0, 0, NULL, &q[i]), CLSVM_OK);
    grown = rss() - r0;
    printf("RSS grew by %llu bytes per live 4 KiB block\n", (unsigned long long)grown / PAGES);
    CHECK_MSG(grown < (uint64_t)PAGES * 96, "RSS grew by %llu bytes per live 4 KiB block",
              (unsigned long long)grown / PAGES);
    CHECK_EQ(clsvm_window_validate(w), CLSVM_OK);
    for (int i = 0; i < PAGES; i++)
        CHECK_EQ(clsvm_free(w, q[i]), CLSVM_OK);
    clsvm_window_close(w);
    free(guard);
    puts("ok");
    return 0;
#endif
}
