/* svm_driver_check: what the reference driver (driver/) does beyond the portable contract test
 * (test_devsvm_contract): top-down packing until ENOMEM, hints (outside, busy, unaligned),
 * MAP_FIXED outside and MAP_FIXED_NOREPLACE on a busy range, zero fill after re-mapping, VMA
 * splits and the driver's VMA counter, MADV_DONTNEED and SVM_IOC_RELEASE across a split, mremap
 * refused, fork (hole in the child, parent intact) and memory given back to the system.
 * Runs inside the VM of tests/vm/run_vm_test.sh against the real /dev/svm; exits 77 when there
 * is no device. Reads the driver's debug counters from /sys/module/svm/parameters. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* mremap, MREMAP_FIXED */
#endif
#include "check.h"

#include "clsvm/dev_svm.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MiB ((uint64_t)1 << 20)
#define GiB ((uint64_t)1 << 30)
#define RW (PROT_READ | PROT_WRITE)

static struct svm_info info;
static uint64_t page;
static int fd;

static int inside(const void *p, uint64_t len)
{
    uintptr_t a = (uintptr_t)p;
    return a >= info.window_min && a <= info.window_max && info.window_max - a >= len;
}

static int mapped(const void *p)
{
    unsigned char v;
    return mincore((void *)((uintptr_t)p & ~(uintptr_t)(page - 1)), page, &v) == 0;
}

static void *map_at(void *hint, uint64_t len, int prot, int flags)
{
    void *p = mmap(hint, len, prot, MAP_SHARED | flags, fd, 0);
    CHECK_MSG(p != MAP_FAILED, "mmap(%p, %#llx) failed: %s", hint, (unsigned long long)len,
              strerror(errno));
    CHECK_MSG(inside(p, len), "mapping %p+%#llx outside the window", p, (unsigned long long)len);
    CHECK_EQ((uintptr_t)p % (len >= SVM_LARGE_ALIGN ? SVM_LARGE_ALIGN : page), 0);
    return p;
}

/* A driver counter from /sys/module/svm/parameters/<name>. */
static long counter(const char *name)
{
    char path[128];
    long v = -1;
    snprintf(path, sizeof path, "/sys/module/svm/parameters/%s", name);
    FILE *f = fopen(path, "r");
    CHECK_MSG(f != NULL, "%s: %s (is the module loaded?)", path, strerror(errno));
    CHECK(fscanf(f, "%ld", &v) == 1);
    fclose(f);
    return v;
}

static uint64_t meminfo(const char *key)
{
    char line[256];
    unsigned long long kib = 0;
    size_t n = strlen(key);
    FILE *f = fopen("/proc/meminfo", "r");
    CHECK(f != NULL);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, key, n) == 0 && line[n] == ':')
            CHECK(sscanf(line + n + 1, "%llu", &kib) == 1);
    fclose(f);
    return (uint64_t)kib << 10;
}

static uint64_t rss_bytes(void)
{
    unsigned long size = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    CHECK(f != NULL);
    CHECK(fscanf(f, "%lu %lu", &size, &resident) == 2);
    fclose(f);
    return (uint64_t)resident * page;
}

static void all_zero(const unsigned char *p, uint64_t len)
{
    for (uint64_t i = 0; i < len; i += 512)
        CHECK_MSG(p[i] == 0, "byte %#llx of %p is %#x, want 0", (unsigned long long)i,
                  (const void *)p, p[i]);
}

/* Top-down: the first mapping ends at window_max, the next one right below, and PROT_NONE
 * mappings fill the window until ENOMEM (nothing is allocated for them). */
static void check_top_down_until_full(void)
{
    uint64_t span = info.window_max - info.window_min, chunk = span / 4;
    chunk &= ~(SVM_LARGE_ALIGN - 1);
    CHECK(chunk >= SVM_LARGE_ALIGN);
    void *m[8];
    int n = 0;
    for (; n < 8; n++) {
        void *p = mmap(NULL, chunk, PROT_NONE, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED) {
            CHECK_MSG(errno == ENOMEM, "full window: errno %d, want ENOMEM", errno);
            break;
        }
        CHECK(inside(p, chunk));
        uint64_t want_end = n == 0 ? info.window_max : (uint64_t)(uintptr_t)m[n - 1];
        CHECK_MSG((uintptr_t)p + chunk == want_end, "mapping %d at %p is not top-down", n, p);
        m[n] = p;
    }
    CHECK_MSG(n == 4, "%d quarter-window mappings fit, want 4", n);
    /* Full: a page no longer fits, a hint cannot make room. */
    CHECK(mmap(NULL, page, RW, MAP_SHARED, fd, 0) == MAP_FAILED && errno == ENOMEM);
    for (int i = 0; i < n; i++)
        CHECK_EQ(munmap(m[i], chunk), 0);
    printf("top-down: 4 x %llu MiB filled the window, then ENOMEM\n",
           (unsigned long long)(chunk / MiB));
}

static void check_hints_and_fixed(void)
{
    /* A busy hint: placed elsewhere, inside. An unaligned hint for a large length: aligned. */
    unsigned char *a = map_at(NULL, 4 * MiB, RW, 0);
    unsigned char *b = map_at(a, 4 * MiB, RW, 0);
    CHECK(b != a && (b + 4 * MiB <= a || b >= a + 4 * MiB));
    CHECK_EQ(munmap(b, 4 * MiB), 0);
    unsigned char *c = map_at(b + page, 4 * MiB, RW, 0);
    CHECK_EQ(munmap(c, 4 * MiB), 0);
    /* Hints outside, below and above: placed inside (docs/dev-svm.md, section 3). */
    void *outside[] = {(void *)(uintptr_t)(info.window_min / 2 & ~(SVM_LARGE_ALIGN - 1)),
                       (void *)(uintptr_t)info.window_max};
    for (int i = 0; i < 2; i++)
        CHECK_EQ(munmap(map_at(outside[i], 2 * MiB, RW, 0), 2 * MiB), 0);
    /* MAP_FIXED_NOREPLACE on a busy range inside: EEXIST, the data untouched. */
    a[0] = 0x5a;
    CHECK(mmap(a, 2 * MiB, RW, MAP_SHARED | MAP_FIXED_NOREPLACE, fd, 0) == MAP_FAILED &&
          errno == EEXIST);
    CHECK_EQ(a[0], 0x5a);
    /* MAP_FIXED straddling either edge of the window: EINVAL, nothing replaced. */
    uintptr_t edges[] = {info.window_min - 2 * MiB, info.window_max - 2 * MiB};
    for (int i = 0; i < 2; i++) {
        errno = 0;
        CHECK(mmap((void *)edges[i], 4 * MiB, RW, MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED);
        CHECK_EQ(errno, EINVAL);
    }
    /* Zero fill again after unmapping and re-mapping the same place. */
    memset(a, 0x77, 4 * MiB);
    CHECK_EQ(munmap(a, 4 * MiB), 0);
    unsigned char *d = map_at(a, 4 * MiB, RW, 0);
    CHECK(d == a);
    all_zero(d, 4 * MiB);
    /* mremap would take the mapping off the device's range: refused, the mapping intact. */
    d[0] = 1;
    CHECK(mremap(d, 4 * MiB, 8 * MiB, MREMAP_MAYMOVE) == MAP_FAILED);
    CHECK(mremap(d, 4 * MiB, 4 * MiB, MREMAP_MAYMOVE | MREMAP_FIXED,
                 (void *)(uintptr_t)(info.window_min + 64 * MiB)) == MAP_FAILED);
    CHECK_EQ(d[0], 1);
    CHECK_EQ(munmap(d, 4 * MiB), 0);
    puts("hints, MAP_FIXED, zero fill, mremap: ok");
}

/* Splits, release across VMAs, MADV_DONTNEED, and the VMA counter. */
static void check_release_and_splits(void)
{
    long vmas0 = counter("live_vmas");
    unsigned char *p = map_at(NULL, 16 * MiB, RW, 0);
    CHECK_EQ(counter("live_vmas"), vmas0 + 1);
    memset(p, 0x33, 16 * MiB);
    /* mprotect splits the VMA in three; SVM_IOC_RELEASE may span all of them. */
    CHECK_EQ(mprotect(p + 4 * MiB, 4 * MiB, PROT_READ), 0);
    CHECK_EQ(counter("live_vmas"), vmas0 + 3);
    uint64_t rss1 = rss_bytes();
    struct svm_range r = {(uintptr_t)p + 2 * MiB, 8 * MiB, 0};
    CHECK_EQ(ioctl(fd, SVM_IOC_RELEASE, &r), 0);
    uint64_t rss2 = rss_bytes();
    CHECK_MSG(rss1 - rss2 >= 7 * MiB, "release gave back %llu KiB of 8 MiB",
              (unsigned long long)((rss1 - rss2) >> 10));
    all_zero(p + 2 * MiB, 8 * MiB);
    CHECK_EQ(p[2 * MiB - 1], 0x33);
    CHECK_EQ(p[10 * MiB], 0x33);
    /* MADV_DONTNEED frees the pages too (normal pages in a VM_MIXEDMAP mapping). */
    uint64_t rss3 = rss_bytes();
    CHECK_EQ(madvise(p + 12 * MiB, 4 * MiB, MADV_DONTNEED), 0);
    uint64_t rss4 = rss_bytes();
    CHECK_MSG(rss3 - rss4 >= 3 * MiB, "MADV_DONTNEED gave back %llu KiB of 4 MiB",
              (unsigned long long)((rss3 - rss4) >> 10));
    all_zero(p + 12 * MiB, 4 * MiB);
    /* A release reaching into a hole is refused and frees nothing. */
    CHECK_EQ(munmap(p + 14 * MiB, 2 * MiB), 0);
    p[12 * MiB] = 9;
    struct svm_range hole = {(uintptr_t)p + 12 * MiB, 4 * MiB, 0};
    CHECK(ioctl(fd, SVM_IOC_RELEASE, &hole) == -1 && errno == EINVAL);
    CHECK_EQ(p[12 * MiB], 9);
    /* Partial munmap in the middle: one more VMA, the rest intact. */
    CHECK_EQ(munmap(p + 1 * MiB, 1 * MiB), 0);
    CHECK(!mapped(p + 1 * MiB));
    CHECK_EQ(p[0], 0x33);
    CHECK_EQ(munmap(p, 14 * MiB), 0);
    CHECK_EQ(counter("live_vmas"), vmas0);
    puts("release across splits, MADV_DONTNEED, partial munmap: ok");
}

/* fork: the child has a hole where the mapping was (touching it is SIGSEGV); the parent keeps
 * its pages and they are not copy-on-write (the parent's writes after fork land in place). */
static void check_fork(void)
{
    volatile unsigned char *p = map_at(NULL, 2 * MiB, RW, 0);
    p[0] = 0x44;
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0)
        _exit(mapped((const void *)p) ? 1 : 0);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid);
    CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child inherited the mapping (%#x)", st);
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        p[1] = 1; /* must fault */
        _exit(0);
    }
    CHECK(waitpid(pid, &st, 0) == pid);
    CHECK_MSG(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV, "child's touch gave status %#x", st);
    p[2] = 0x45;
    CHECK_EQ(p[0], 0x44);
    CHECK_EQ(p[1], 0);
    CHECK_EQ(p[2], 0x45);
    CHECK_EQ(munmap((void *)p, 2 * MiB), 0);
    puts("fork: child gets a hole, parent intact: ok");
}

/* 256 MiB touched, then freed three ways (release, MADV_DONTNEED, munmap). MemFree falls by
 * less than that: freed pages wait on per-CPU lists, which MemFree does not count, and are
 * reused first (tens of MiB in a 2 GiB guest). */
static void touch_and_free(void)
{
    const uint64_t len = 256 * MiB;
    uint64_t free0 = meminfo("MemFree");
    unsigned char *p = map_at(NULL, len, RW, 0);
    memset(p, 0x66, len);
    uint64_t free1 = meminfo("MemFree");
    CHECK_MSG(free0 > free1 && free0 - free1 >= len / 2, "256 MiB touched, MemFree fell %lld KiB",
              (long long)(free0 - free1) / 1024);
    struct svm_range r = {(uintptr_t)p, len / 4, 0};
    CHECK_EQ(ioctl(fd, SVM_IOC_RELEASE, &r), 0);
    CHECK_EQ(madvise(p + len / 4, len / 4, MADV_DONTNEED), 0);
    CHECK_EQ(munmap(p, len), 0); /* the rest */
}

/* The memory comes back: MemFree after several rounds is what it was after the first one. The
 * first round is the baseline because it also settles per-CPU free lists and page cache
 * (MemFree counts neither); a leak would lose 256 MiB a round, the noise is tens of MiB. */
static void check_memory_returned(void)
{
    touch_and_free();
    uint64_t base = meminfo("MemFree");
    for (int i = 0; i < 4; i++)
        touch_and_free();
    uint64_t end = meminfo("MemFree");
    printf("memory: MemFree %llu KiB after the first 256 MiB round, %llu KiB after 4 more\n",
           (unsigned long long)(base >> 10), (unsigned long long)(end >> 10));
    CHECK_MSG(end + 32 * MiB >= base, "MemFree fell from %llu to %llu KiB: pages leaked",
              (unsigned long long)(base >> 10), (unsigned long long)(end >> 10));
}

int main(void)
{
    page = (uint64_t)sysconf(_SC_PAGESIZE);
    const char *path = getenv("CLSVM_DEVICE");
    if (!path || !*path)
        path = SVM_DEVICE_PATH;
    struct stat st;
    if (stat(path, &st) != 0) {
        printf("no device at %s: skipped\n", path);
        return 77;
    }
    fd = open(path, O_RDWR | O_CLOEXEC);
    CHECK_MSG(fd >= 0, "open %s: %s", path, strerror(errno));
    CHECK_EQ(ioctl(fd, SVM_IOC_GET_INFO, &info), 0);
    CHECK_EQ(info.abi_version, SVM_ABI_VERSION);
    CHECK(info.window_min >= 4 * MiB && info.window_max - info.window_min >= 1 * GiB);
    /* The info ioctl reports the module parameters the driver was loaded with. */
    CHECK_EQ(info.window_min, (uint64_t)counter("window_min"));
    CHECK_EQ(info.window_max, (uint64_t)counter("window_max"));
    CHECK_EQ(info.va_bits, counter("va_bits"));
    long files0 = counter("open_files");
    CHECK(files0 >= 1);
    check_top_down_until_full();
    check_hints_and_fixed();
    check_release_and_splits();
    check_fork();
    check_memory_returned();
    CHECK_EQ(close(fd), 0);
    CHECK_EQ(counter("open_files"), files0 - 1);
    puts("ok");
    return 0;
}
