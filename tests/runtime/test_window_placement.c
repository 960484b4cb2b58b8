/* test_window_placement: windows for va_bits 36/40/44/47 lie in [floor, 2^va_bits), shrink when
 * the space is small, and every allocation lies inside its window and holds data.
 * With CLSVM_WINDOW=devsvm (devsvm_tests.cmake runs it under the shim) the window and every
 * allocation must also lie inside the driver's range, and a va_bits below that range must
 * fail cleanly. */
#include "check.h"

#include "clsvm/dev_svm.h"
#include "clsvm/runtime.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define MiB ((uint64_t)1 << 20)
#define GiB ((uint64_t)1 << 30)

/* The floor as the kernel states it, computed independently of the runtime. */
static uint64_t expected_floor(void)
{
    unsigned long v = 0;
    FILE *f = fopen("/proc/sys/vm/mmap_min_addr", "r");
    if (f) {
        if (fscanf(f, "%lu", &v) != 1)
            v = 0;
        fclose(f);
    }
    return v > 2 * MiB ? v : 2 * MiB;
}

/* The driver's range [lo, hi) when the devsvm provider is forced, else everything. */
static int devsvm;
static uint64_t range_lo, range_hi = UINT64_MAX;

static void query_provider(void)
{
    const char *want = getenv("CLSVM_WINDOW");
    devsvm = want && !strcmp(want, "devsvm");
    if (!devsvm)
        return;
    const char *dev = getenv("CLSVM_DEVICE");
    int fd = open(dev && *dev ? dev : SVM_DEVICE_PATH, O_RDWR | O_CLOEXEC);
    CHECK(fd >= 0);
    struct svm_info in;
    CHECK_EQ(ioctl(fd, SVM_IOC_GET_INFO, &in), 0);
    close(fd);
    range_lo = in.window_min;
    range_hi = in.window_max;
}

typedef struct live {
    unsigned char *p;
    size_t size;
    unsigned char mark;
} live;

static void exercise(unsigned va_bits, uint64_t want)
{
    clsvm_config cfg;
    clsvm_config_init(&cfg);
    cfg.va_bits = va_bits;
    cfg.window_size = want;
    clsvm_window *w = NULL;
    int rc = clsvm_window_open(&cfg, &w);
    uint64_t limit = (uint64_t)1 << va_bits;
    if (devsvm && (range_lo >= limit || limit - range_lo < cfg.min_window_size)) {
        CHECK_MSG(rc == CLSVM_ERR_RESERVE && !w, "va_bits %u: the driver range starts at %#llx",
                  va_bits, (unsigned long long)range_lo);
        printf("va_bits %u: below the driver range, refused\n", va_bits);
        return;
    }
    CHECK_MSG(rc == CLSVM_OK, "va_bits %u: open failed: %s", va_bits, clsvm_status_str(rc));

    clsvm_window_info wi;
    clsvm_window_get_info(w, &wi);
    printf("va_bits %u: window [%#llx, %#llx) %llu MiB\n", va_bits, (unsigned long long)wi.base,
           (unsigned long long)(wi.base + wi.size), (unsigned long long)(wi.size >> 20));
    CHECK_EQ(wi.va_bits, va_bits);
    CHECK(wi.base >= expected_floor());
    CHECK(wi.base + wi.size <= limit);
    CHECK(wi.size >= cfg.min_window_size && wi.size <= want);
    CHECK_EQ(wi.base % (2 * MiB), 0);
    CHECK_EQ(wi.commit_chunk, 2 * MiB);
    CHECK(wi.max_align >= 2 * MiB);
    CHECK(strcmp(wi.provider, devsvm ? "devsvm" : "reserve") == 0);
    CHECK(wi.base >= range_lo && wi.base + wi.size <= range_hi);
    if (want >= limit)
        CHECK_MSG(wi.size < want, "a %llu-byte window cannot fit below 2^%u unshrunk",
                  (unsigned long long)want, va_bits);

    enum { N = 1200 };
    static live a[N];
    memset(a, 0, sizeof a);
    unsigned long long seed = 0x9e3779b97f4a7c15ULL ^ va_bits;
    for (int round = 0; round < 3 * N; round++) {
        live *s = &a[test_rand(&seed) % N];
        if (s->p) {
            CHECK_EQ(s->p[0], s->mark);
            CHECK_EQ(s->p[s->size - 1], s->mark);
            CHECK_EQ(clsvm_free(w, s->p), CLSVM_OK);
            s->p = NULL;
            continue;
        }
        /* log-uniform sizes from 1 byte to 1 MiB; alignments default or 16 B .. 2 MiB */
        size_t size = 1 + (size_t)(test_rand(&seed) % ((size_t)1 << (test_rand(&seed) % 21)));
        size_t align = test_rand(&seed) % 4 ? 0 : (size_t)1 << (4 + test_rand(&seed) % 18);
        void *p = NULL;
        rc = clsvm_alloc(w, size, align, 7, s, &p);
        CHECK_MSG(rc == CLSVM_OK, "alloc %zu align %zu: %s", size, align, clsvm_status_str(rc));
        uintptr_t u = (uintptr_t)p;
        CHECK_EQ(u % (align ? align : 128), 0);
        CHECK(u >= wi.base && u + size <= wi.base + wi.size && u + size <= limit);
        CHECK(u >= range_lo && u + size <= range_hi);
        s->p = p;
        s->size = size;
        s->mark = (unsigned char)(1 + round % 251);
        s->p[0] = s->mark;
        s->p[size - 1] = s->mark;
        clsvm_alloc_info ai;
        CHECK_EQ(clsvm_lookup(w, s->p + size / 2, &ai), CLSVM_OK);
        CHECK(ai.base == p && ai.size == size && ai.flags == 7 && ai.tag == s);
    }
    CHECK_EQ(clsvm_window_validate(w), CLSVM_OK);
    for (int i = 0; i < N; i++)
        if (a[i].p) {
            CHECK_EQ(a[i].p[0], a[i].mark);
            CHECK_EQ(a[i].p[a[i].size - 1], a[i].mark);
            CHECK_EQ(clsvm_free(w, a[i].p), CLSVM_OK);
        }
    clsvm_stats st;
    clsvm_window_get_stats(w, &st);
    CHECK_EQ(st.live_allocations, 0);
    CHECK_EQ(st.allocated, 0);
    CHECK_EQ(st.committed, 0);
    CHECK_EQ(st.reserved, wi.size);
    CHECK_EQ(st.free_bytes, wi.size);
    CHECK_EQ(clsvm_window_validate(w), CLSVM_OK);
    clsvm_window_close(w);
}

int main(void)
{
    query_provider();
    /* 2^36 is 64 GiB: a 64 GiB window cannot fit above the floor and must shrink. */
    exercise(36, 64 * GiB);
    exercise(40, 64 * GiB);
    exercise(44, 64 * GiB);
    exercise(47, 64 * GiB);
    /* Two windows at once do not overlap. */
    clsvm_config cfg;
    clsvm_config_init(&cfg);
    cfg.window_size = 256 * MiB;
    clsvm_window *w1, *w2;
    CHECK_EQ(clsvm_window_open(&cfg, &w1), CLSVM_OK);
    CHECK_EQ(clsvm_window_open(&cfg, &w2), CLSVM_OK);
    clsvm_window_info i1, i2;
    clsvm_window_get_info(w1, &i1);
    clsvm_window_get_info(w2, &i2);
    CHECK(i1.base + i1.size <= i2.base || i2.base + i2.size <= i1.base);
    clsvm_window_close(w1);
    clsvm_window_close(w2);
    puts("ok");
    return 0;
}
