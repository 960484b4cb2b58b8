/* test_devsvm_contract: a /dev/svm device honours docs/dev-svm.md. Written against the contract
 * (runtime/include/clsvm/dev_svm.h), not against the shim: ctest runs it under the LD_PRELOAD
 * emulation, and the reference driver's VM test runs the same binary against the real module.
 * Device: CLSVM_DEVICE or /dev/svm; exits 77 (skipped) when there is none. */
#include "check.h"

#include "clsvm/dev_svm.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MiB ((uint64_t)1 << 20)
#define RW (PROT_READ | PROT_WRITE)

static const char *path;
static struct svm_info info;
static uint64_t page;

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

static void *map_ok(int fd, void *hint, uint64_t len, int prot, int flags)
{
    void *p = mmap(hint, len, prot, MAP_SHARED | flags, fd, 0);
    CHECK_MSG(p != MAP_FAILED, "mmap(%p, %#llx) failed: %s", hint, (unsigned long long)len,
              strerror(errno));
    CHECK_MSG(inside(p, len), "mapping %p+%#llx outside [%#llx, %#llx)", p, (unsigned long long)len,
              (unsigned long long)info.window_min, (unsigned long long)info.window_max);
    CHECK_EQ((uintptr_t)p % (len >= SVM_LARGE_ALIGN ? SVM_LARGE_ALIGN : page), 0);
    return p;
}

static void map_fails(int fd, void *addr, uint64_t len, int prot, int flags, int err)
{
    errno = 0;
    void *p = mmap(addr, len, prot, flags, fd, 0);
    CHECK_MSG(p == MAP_FAILED && errno == err,
              "mmap(%p, %#llx, flags %#x) gave %p errno %d, "
              "want errno %d",
              addr, (unsigned long long)len, flags, p, errno, err);
}

static void check_info(int fd)
{
    CHECK_EQ(sizeof(struct svm_info), 96); /* the size is part of the ioctl number */
    memset(&info, 0xff, sizeof info);      /* the driver must overwrite everything */
    CHECK_EQ(ioctl(fd, SVM_IOC_GET_INFO, &info), 0);
    printf("%s: abi %u va_bits %u window [%#llx, %#llx) page %u flags %#x\n", path,
           info.abi_version, info.va_bits, (unsigned long long)info.window_min,
           (unsigned long long)info.window_max, info.page_size, info.flags);
    CHECK_EQ(info.abi_version, SVM_ABI_VERSION);
    CHECK(info.va_bits >= 32 && info.va_bits <= 64);
    CHECK_EQ(info.page_size, page);
    CHECK(info.window_min < info.window_max);
    CHECK_EQ(info.window_min % page, 0);
    CHECK_EQ(info.window_max % page, 0);
    CHECK(info.va_bits == 64 || info.window_max <= (uint64_t)1 << info.va_bits);
    CHECK(info.window_max - info.window_min >= 64 * MiB); /* enough for this test */
    for (int i = 0; i < 8; i++)
        CHECK_EQ(info.reserved[i], 0);
    CHECK(ioctl(fd, SVM_IOC_GET_INFO, NULL) == -1 && errno == EFAULT);
}

static void check_placement(int fd)
{
    /* No hint: inside, 2 MiB aligned, zero-filled on first touch, private to this mapping. */
    unsigned char *a = map_ok(fd, NULL, 8 * MiB, RW, 0);
    for (uint64_t i = 0; i < 8 * MiB; i += page)
        CHECK_EQ(a[i], 0);
    memset(a, 0x11, 8 * MiB);
    unsigned char *b = map_ok(fd, NULL, page, RW, 0); /* small: page aligned */
    CHECK_EQ(b[0], 0);
    b[0] = 0x22;
    CHECK(b + page <= a || b >= a + 8 * MiB);
    CHECK_EQ(a[0], 0x11);

    /* A hint outside the range is not an error: the driver places inside. */
    void *low = (void *)(uintptr_t)(info.window_min > 64 * MiB ? 16 * MiB : info.window_max);
    void *c = map_ok(fd, low, 4 * MiB, RW, 0);
    CHECK_EQ(munmap(c, 4 * MiB), 0);
    CHECK(!mapped(c));

    /* A free, aligned hint inside the range is honoured (the provider relies on this). */
    void *d = map_ok(fd, c, 4 * MiB, RW, 0);
    CHECK_MSG(d == c, "free hint %p not honoured (got %p)", c, d);

    /* MAP_FIXED / MAP_FIXED_NOREPLACE outside the range, or reaching past it: EINVAL. */
    uintptr_t below = info.window_min >= 4 * MiB ? info.window_min - 4 * MiB : 0;
    if (below)
        map_fails(fd, (void *)below, 2 * MiB, RW, MAP_SHARED | MAP_FIXED, EINVAL);
    map_fails(fd, (void *)(uintptr_t)(info.window_max - 2 * MiB), 4 * MiB, RW,
              MAP_SHARED | MAP_FIXED, EINVAL);
    if (below)
        map_fails(fd, (void *)below, 2 * MiB, RW, MAP_SHARED | MAP_FIXED_NOREPLACE, EINVAL);
    if (info.window_max <= UINT64_MAX - 4 * MiB)
        map_fails(fd, (void *)(uintptr_t)(info.window_max + 2 * MiB), 2 * MiB, RW,
                  MAP_SHARED | MAP_FIXED, EINVAL);
    /* MAP_FIXED inside: exactly there. */
    void *e = mmap(d, 2 * MiB, RW, MAP_SHARED | MAP_FIXED, fd, 0);
    CHECK(e == d);

    /* Other invalid requests. */
    map_fails(fd, NULL, 2 * MiB, RW, MAP_PRIVATE, EINVAL); /* device memory is not COW */
    map_fails(fd, NULL, 0, RW, MAP_SHARED, EINVAL);
    CHECK(mmap(NULL, 2 * MiB, RW, MAP_SHARED, fd, (off_t)page) == MAP_FAILED && errno == EINVAL);
    /* Bigger than the range: ENOMEM, and nothing is mapped. */
    uint64_t huge = info.window_max - info.window_min + 2 * MiB;
    if (huge < ((uint64_t)1 << 46))
        map_fails(fd, NULL, huge, PROT_NONE, MAP_SHARED, ENOMEM);

    /* A PROT_NONE mapping can be made writable later (the provider's commit). */
    unsigned char *f = map_ok(fd, NULL, 4 * MiB, PROT_NONE, 0);
    CHECK_EQ(mprotect(f, 4 * MiB, RW), 0);
    CHECK_EQ(f[4 * MiB - 1], 0);
    f[0] = 1;

    CHECK_EQ(b[0], 0x22);
    CHECK_EQ(munmap(a, 8 * MiB), 0);
    CHECK_EQ(munmap(b, page), 0);
    CHECK_EQ(munmap(d, 4 * MiB), 0);
    CHECK_EQ(munmap(f, 4 * MiB), 0);
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

static void check_release(int fd)
{
    const uint64_t len = 64 * MiB;
    unsigned char *p = map_ok(fd, NULL, len, RW, 0);
    memset(p, 0x33, len);
    uint64_t rss1 = rss_bytes();
    /* Release the middle 32 MiB: zero on the next touch, memory returned, the rest intact. */
    struct svm_range r = {(uintptr_t)p + 16 * MiB, 32 * MiB, 0};
    CHECK_EQ(ioctl(fd, SVM_IOC_RELEASE, &r), 0);
    uint64_t rss2 = rss_bytes();
    CHECK_MSG(rss1 > rss2 && rss1 - rss2 >= 32 * MiB / 10 * 9, "only %llu KiB returned",
              (unsigned long long)((rss1 > rss2 ? rss1 - rss2 : 0) >> 10));
    CHECK_EQ(p[16 * MiB - 1], 0x33);
    CHECK_EQ(p[48 * MiB], 0x33);
    for (uint64_t i = 16 * MiB; i < 48 * MiB; i += page)
        CHECK_EQ(p[i], 0);
    p[20 * MiB] = 7; /* still mapped and writable */

    struct svm_range bad[] = {
        {(uintptr_t)p + 1, page, 0},                          /* unaligned address */
        {(uintptr_t)p, page + 1, 0},                          /* unaligned length */
        {(uintptr_t)p, 0, 0},                                 /* empty */
        {(uintptr_t)p, page, 1},                              /* unknown flag */
        {(uintptr_t)p + len - page, 2 * page, 0},             /* runs past the mapping */
        {(uintptr_t)&info & ~(uintptr_t)(page - 1), page, 0}, /* not device memory */
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CHECK_MSG(ioctl(fd, SVM_IOC_RELEASE, &bad[i]) == -1 && errno == EINVAL,
                  "bad release %zu accepted (errno %d)", i, errno);
    CHECK(ioctl(fd, SVM_IOC_RELEASE, NULL) == -1 && errno == EFAULT);
    CHECK(ioctl(fd, _IO(SVM_IOC_MAGIC, 0x7f)) == -1 && errno == ENOTTY);
    CHECK_EQ(p[20 * MiB], 7);
    CHECK_EQ(munmap(p, len), 0);
    CHECK(!mapped(p));
}

/* fork: the child does not inherit device mappings (VM_DONTCOPY); the parent's stay intact. */
static void check_fork(int fd)
{
    unsigned char *p = map_ok(fd, NULL, 2 * MiB, RW, 0);
    p[0] = 0x44;
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0)
        _exit(mapped(p) ? 1 : 0);
    int status;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "the child inherited the device mapping (status %#x)", status);
    CHECK_EQ(p[0], 0x44);
    CHECK_EQ(munmap(p, 2 * MiB), 0);
}

/* Open flags: a read-only open cannot map writable; mappings outlive close(). */
static void check_files(void)
{
    int ro = open(path, O_RDONLY | O_CLOEXEC);
    CHECK(ro >= 0);
    map_fails(ro, NULL, 2 * MiB, RW, MAP_SHARED, EACCES);
    void *p = map_ok(ro, NULL, 2 * MiB, PROT_READ, 0);
    CHECK_EQ(munmap(p, 2 * MiB), 0);
    CHECK_EQ(close(ro), 0);

    int fd = open(path, O_RDWR | O_CLOEXEC);
    CHECK(fd >= 0);
    struct stat st;
    CHECK_EQ(fstat(fd, &st), 0);
    CHECK(S_ISCHR(st.st_mode));
    unsigned char *q = map_ok(fd, NULL, 2 * MiB, RW, 0);
    CHECK_EQ(close(fd), 0);
    q[5] = 5;
    CHECK_EQ(q[5], 5);
    CHECK_EQ(munmap(q, 2 * MiB), 0);
}

#define THREADS 4
#define PER_THREAD 16

static int shared_fd;
static void *got[THREADS][PER_THREAD];

static void *mapper(void *arg)
{
    int t = (int)(intptr_t)arg;
    for (int i = 0; i < PER_THREAD; i++) {
        got[t][i] = map_ok(shared_fd, NULL, 2 * MiB, RW, 0);
        *(volatile int *)got[t][i] = t * PER_THREAD + i;
    }
    return NULL;
}

/* Concurrent mmaps from several threads: every mapping inside, none overlapping. */
static void check_threads(int fd)
{
    shared_fd = fd;
    pthread_t th[THREADS];
    for (int t = 0; t < THREADS; t++)
        CHECK_EQ(pthread_create(&th[t], NULL, mapper, (void *)(intptr_t)t), 0);
    for (int t = 0; t < THREADS; t++)
        CHECK_EQ(pthread_join(th[t], NULL), 0);
    for (int t = 0; t < THREADS; t++)
        for (int i = 0; i < PER_THREAD; i++) {
            CHECK_EQ(*(volatile int *)got[t][i], t * PER_THREAD + i);
            uintptr_t a = (uintptr_t)got[t][i];
            for (int u = 0; u < THREADS; u++)
                for (int j = 0; j < PER_THREAD; j++) {
                    uintptr_t b = (uintptr_t)got[u][j];
                    CHECK((u == t && j == i) || a + 2 * MiB <= b || b + 2 * MiB <= a);
                }
        }
    for (int t = 0; t < THREADS; t++)
        for (int i = 0; i < PER_THREAD; i++)
            CHECK_EQ(munmap(got[t][i], 2 * MiB), 0);
}

int main(void)
{
    page = (uint64_t)sysconf(_SC_PAGESIZE);
    path = getenv("CLSVM_DEVICE");
    if (!path || !*path)
        path = SVM_DEVICE_PATH;
    struct stat st;
    if (stat(path, &st) != 0 && errno == ENOENT) {
        printf("no device at %s: skipped\n", path);
        return 77;
    }
    CHECK_MSG(S_ISCHR(st.st_mode), "%s is not a character device", path);
    int fd = open(path, O_RDWR | O_CLOEXEC);
    CHECK_MSG(fd >= 0, "open %s: %s", path, strerror(errno));
    check_info(fd);
    check_placement(fd);
    check_release(fd);
    check_fork(fd);
    check_threads(fd);
    CHECK_EQ(close(fd), 0);
    check_files();
    puts("ok");
    return 0;
}
