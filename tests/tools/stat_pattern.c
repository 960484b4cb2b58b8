/* stat_pattern: make a window with a known allocation pattern for the clsvm-stat tests and
 * print what its stats dump must show (run with CLSVM_STATS=<file>; the dump is written when
 * the window closes or at exit).
 *   stat_pattern holes   allocations of 1 MiB, 3 MiB, 512 KiB, 8 MiB, 100 B; the 3 MiB one
 *                        freed; window left open (dumped at exit, "state":"open")
 *   stat_pattern many N  N allocations of 4 KiB, every other one freed (map gets coarsened)
 *   stat_pattern hold    one allocation, window closed (dump written), then sleep 60 s so a
 *                        test can point clsvm-stat --pid at the live process
 * Output lines: "window BASE SIZE", "alloc OFF LEN" per live allocation (offsets from the window
 * base), "hole OFF LEN" (the freed range between neighbours), "gap OFF LEN" (largest free
 * range), "stats COMMITTED ALLOCATED LIVE RETAINED". */
#include "check.h"

#include "clsvm/runtime.h"

#include <stdint.h>
#include <string.h>
#include <unistd.h>

static clsvm_window *w;
static clsvm_window_info wi;

static void *get(size_t size)
{
    void *p;
    CHECK_EQ(clsvm_alloc(w, size, 0, 0, NULL, &p), CLSVM_OK);
    return p;
}

static unsigned long long off(const void *p)
{
    return (unsigned long long)((uintptr_t)p - wi.base);
}

static int print_alloc(const clsvm_alloc_info *a, void *user)
{
    uint64_t *end = user;
    printf("alloc %llu %zu\n", off(a->base), a->size);
    *end = off(a->base) + a->size;
    return 0;
}

int main(int argc, char **argv)
{
    CHECK_MSG(argc >= 2, "usage: stat_pattern holes|many N|hold");
    clsvm_config cfg;
    clsvm_config_init(&cfg);
    cfg.window_size = (uint64_t)1 << 30;
    CHECK_EQ(clsvm_window_open(&cfg, &w), CLSVM_OK);
    clsvm_window_get_info(w, &wi);
    printf("window %llu %llu\n", (unsigned long long)wi.base, (unsigned long long)wi.size);

    if (!strcmp(argv[1], "holes")) {
        void *a = get(1 << 20), *b = get(3 << 20), *c = get(512 << 10);
        get(8 << 20);
        get(100);
        CHECK(a < b && b < c);
        CHECK_EQ(clsvm_free(w, b), CLSVM_OK);
        printf("hole %llu %llu\n", off(a) + (1 << 20), off(c) - off(a) - (1 << 20));
    } else if (!strcmp(argv[1], "many") && argc == 3) {
        int n = atoi(argv[2]);
        void **p = calloc((size_t)n, sizeof *p);
        CHECK(p);
        for (int i = 0; i < n; i++)
            p[i] = get(4096);
        for (int i = 0; i < n; i += 2)
            CHECK_EQ(clsvm_free(w, p[i]), CLSVM_OK);
        free(p);
    } else if (!strcmp(argv[1], "hold")) {
        get(12345);
        clsvm_window_close(w);
        printf("closed\n");
        fflush(stdout);
        sleep(60);
        return 0;
    } else {
        CHECK_MSG(0, "unknown mode %s", argv[1]);
    }
    uint64_t end = 0;
    clsvm_window_foreach(w, print_alloc, &end);
    printf("gap %llu %llu\n", (unsigned long long)end, (unsigned long long)(wi.size - end));
    clsvm_stats st;
    clsvm_window_get_stats(w, &st);
    printf("stats %llu %llu %llu %llu\n", (unsigned long long)st.committed,
           (unsigned long long)st.allocated, (unsigned long long)st.live_allocations,
           (unsigned long long)st.retained);
    CHECK_EQ(clsvm_window_validate(w), CLSVM_OK);
    return 0; /* the window stays open: the exit-time dump is under test */
}
