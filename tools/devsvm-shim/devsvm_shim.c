/*
 * devsvm_shim.c: libclsvm-devsvm-shim.so, an LD_PRELOAD library that emulates the /dev/svm
 * driver (runtime/include/clsvm/dev_svm.h, docs/dev-svm.md) in user space, so the runtime's
 * devsvm provider runs on machines without the kernel module (Mesa's drm-shim fakes /dev/dri
 * the same way).
 *
 * Only the device path (CLSVM_SHIM_DEVICE, default /dev/svm) and the file descriptors the
 * shim handed out are touched; every other call goes straight to the next definition
 * (dlsym(RTLD_NEXT)), so other files are never disturbed. Intercepted (glibc 2.36 entry
 * points): open/open64/openat/openat64 and their fortify variants __open_2/__open64_2/
 * __openat_2/__openat64_2, close, ioctl, mmap/mmap64, munmap, stat/stat64/lstat/lstat64/
 * fstat/fstat64/fstatat/fstatat64, statx, the old __xstat/__lxstat/__fxstat/__fxstatat (+64)
 * that sanitizer runtimes call, access/faccessat.
 *
 * Emulation: an open device is a memfd (a real, unique fd number; it also survives exec
 * checks like fcntl). SVM_IOC_GET_INFO reports CLSVM_SHIM_RANGE=min:max (default
 * [2^38, 2^39)); mmap places private anonymous memory inside the range the way the driver's
 * get_unmapped_area would: a free hint inside the range is honoured, otherwise the highest
 * hole of /proc/self/maps that fits (2 MiB aligned from 2 MiB up) is taken with
 * MAP_FIXED_NOREPLACE, retrying when another thread raced into it. MADV_DONTFORK stands in
 * for VM_DONTCOPY. SVM_IOC_RELEASE is MADV_DONTNEED on the emulated (private anonymous)
 * pages, which does free them. Limitations: one process (mappings are private), dup() of a
 * device fd is not tracked, paths are compared as strings (no symlinks, no relative paths).
 *
 * CLSVM_SHIM_FAIL=missing|eacces|abi|outside|ioctl breaks the device on purpose (see the
 * docs); CLSVM_SHIM_VA_BITS overrides the reported va_bits. Thread-safe: configuration is
 * read once (pthread_once), fd ownership is an atomic table, mappings are under a mutex.
 */
#include "clsvm/dev_svm.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))
#define MAX_FDS 65536    /* fds above this are never handed out (closed, EMFILE) */
#define MAX_MAPPINGS 512 /* live device mappings tracked (munmap splits count) */
#define MAX_RACES 8      /* hole searches after EEXIST before ENOMEM */

enum { FAIL_NONE, FAIL_MISSING, FAIL_EACCES, FAIL_ABI, FAIL_OUTSIDE, FAIL_IOCTL };

typedef int (*open_fn)(const char *, int, ...);
typedef int (*openat_fn)(int, const char *, int, ...);
typedef int (*close_fn)(int);
typedef int (*ioctl_fn)(int, unsigned long, ...);
typedef void *(*mmap_fn)(void *, size_t, int, int, int, off_t);
typedef int (*munmap_fn)(void *, size_t);
typedef int (*stat_fn)(const char *, struct stat *);
typedef int (*fstat_fn)(int, struct stat *);
typedef int (*fstatat_fn)(int, const char *, struct stat *, int);
typedef int (*statx_fn)(int, const char *, int, unsigned, struct statx *);
typedef int (*access_fn)(const char *, int);
typedef int (*xstat_fn)(int, const char *, struct stat *);
typedef int (*fxstat_fn)(int, int, struct stat *);
typedef int (*fxstatat_fn)(int, int, const char *, struct stat *, int);
typedef int (*faccessat_fn)(int, const char *, int, int);

static struct {
    char path[4096];
    uint64_t min, max;
    unsigned va_bits;
    int fail;
    uint64_t page;
    open_fn open, open64;
    openat_fn openat, openat64;
    close_fn close;
    ioctl_fn ioctl;
    mmap_fn mmap, mmap64;
    munmap_fn munmap;
    stat_fn stat, stat64, lstat, lstat64;
    fstat_fn fstat, fstat64;
    fstatat_fn fstatat, fstatat64;
    statx_fn statx;
    access_fn access;
    faccessat_fn faccessat;
    xstat_fn xstat, xstat64, lxstat, lxstat64;
    fxstat_fn fxstat, fxstat64;
    fxstatat_fn fxstatat, fxstatat64;
} g;

/* stat64 is passed on as stat: the same layout on LP64 Linux, checked here. */
_Static_assert(sizeof(struct stat) == sizeof(struct stat64), "struct stat64 differs");

static pthread_once_t init_once = PTHREAD_ONCE_INIT;   /* next definitions */
static pthread_once_t config_once = PTHREAD_ONCE_INIT; /* CLSVM_SHIM_* */
/* 0: not ours; 1 + (open flags & O_ACCMODE): a device fd the shim handed out. */
static _Atomic unsigned char fd_mode[MAX_FDS];

static pthread_mutex_t map_lock = PTHREAD_MUTEX_INITIALIZER;   /* maps[] */
static pthread_mutex_t place_lock = PTHREAD_MUTEX_INITIALIZER; /* search + mmap, like mmap_lock */
static struct {
    uintptr_t start, end;
} maps[MAX_MAPPINGS];
static atomic_int nmaps; /* written under map_lock; read unlocked by munmap's fast path */

static void complain(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void complain(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if (n > (int)sizeof buf - 2)
        n = (int)sizeof buf - 2;
    buf[n++] = '\n';
    ssize_t w = write(2, buf, (size_t)n);
    (void)w;
}

static void *next(const char *name)
{
    void *f = dlsym(RTLD_NEXT, name);
    if (!f)
        complain("clsvm-devsvm-shim: %s not found after the shim; calls to it fail", name);
    return f;
}

static void load_symbols(void)
{
    g.open = (open_fn)next("open");
    g.open64 = (open_fn)next("open64");
    g.openat = (openat_fn)next("openat");
    g.openat64 = (openat_fn)next("openat64");
    g.close = (close_fn)next("close");
    g.ioctl = (ioctl_fn)next("ioctl");
    g.mmap = (mmap_fn)next("mmap");
    g.mmap64 = (mmap_fn)next("mmap64");
    g.munmap = (munmap_fn)next("munmap");
    g.stat = (stat_fn)next("stat");
    g.stat64 = (stat_fn)next("stat64");
    g.lstat = (stat_fn)next("lstat");
    g.lstat64 = (stat_fn)next("lstat64");
    g.fstat = (fstat_fn)next("fstat");
    g.fstat64 = (fstat_fn)next("fstat64");
    g.fstatat = (fstatat_fn)next("fstatat");
    g.fstatat64 = (fstatat_fn)next("fstatat64");
    g.statx = (statx_fn)next("statx");
    g.access = (access_fn)next("access");
    g.faccessat = (faccessat_fn)next("faccessat");
    g.xstat = (xstat_fn)next("__xstat");
    g.xstat64 = (xstat_fn)next("__xstat64");
    g.lxstat = (xstat_fn)next("__lxstat");
    g.lxstat64 = (xstat_fn)next("__lxstat64");
    g.fxstat = (fxstat_fn)next("__fxstat");
    g.fxstat64 = (fxstat_fn)next("__fxstat64");
    g.fxstatat = (fxstatat_fn)next("__fxstatat");
    g.fxstatat64 = (fxstatat_fn)next("__fxstatat64");
    long page = sysconf(_SC_PAGESIZE);
    g.page = page > 0 ? (uint64_t)page : 4096;
}

static void load_config(void)
{
    const char *dev = getenv("CLSVM_SHIM_DEVICE");
    snprintf(g.path, sizeof g.path, "%s", dev && *dev ? dev : SVM_DEVICE_PATH);

    g.min = (uint64_t)1 << 38;
    g.max = (uint64_t)1 << 39;
    const char *range = getenv("CLSVM_SHIM_RANGE");
    if (range && *range) {
        char *end;
        errno = 0;
        unsigned long long lo = strtoull(range, &end, 0), hi = 0;
        int ok = !errno && end != range && *end == ':';
        if (ok) {
            const char *h = end + 1;
            hi = strtoull(h, &end, 0);
            ok = !errno && end != h && !*end && lo < hi && lo % g.page == 0 && hi % g.page == 0;
        }
        if (ok) {
            g.min = lo;
            g.max = hi;
        } else {
            complain("clsvm-devsvm-shim: CLSVM_SHIM_RANGE='%s' is not min:max (page-aligned, "
                     "min < max); using [%#llx, %#llx)",
                     range, (unsigned long long)g.min, (unsigned long long)g.max);
        }
    }
    g.va_bits = 12;
    while (g.va_bits < 64 && ((uint64_t)1 << g.va_bits) < g.max)
        g.va_bits++;
    const char *bits = getenv("CLSVM_SHIM_VA_BITS");
    if (bits && *bits) {
        long b = strtol(bits, NULL, 10);
        if (b >= 12 && b <= 64)
            g.va_bits = (unsigned)b;
        else
            complain("clsvm-devsvm-shim: CLSVM_SHIM_VA_BITS='%s' is not 12..64; ignored", bits);
    }

    static const char *const modes[] = {"", "missing", "eacces", "abi", "outside", "ioctl"};
    const char *fail = getenv("CLSVM_SHIM_FAIL");
    if (fail && *fail) {
        for (int i = 1; i < (int)(sizeof modes / sizeof *modes); i++)
            if (!strcmp(fail, modes[i]))
                g.fail = i;
        if (!g.fail)
            complain("clsvm-devsvm-shim: CLSVM_SHIM_FAIL='%s' is not missing, eacces, abi, "
                     "outside or ioctl; ignored",
                     fail);
    }
}

static void init(void)
{
    pthread_once(&init_once, load_symbols);
}

/*
 * The environment is read on the first look at a path, but only once it exists: a sanitizer
 * runtime preloaded ahead of the shim opens and stats files while initialising, before libc
 * has set up environ, and the device cannot be opened that early anyway.
 */
static int configured(void)
{
    if (!environ)
        return 0;
    pthread_once(&config_once, load_config);
    return 1;
}

static int is_device(int dirfd, const char *path)
{
    init();
    if (!path || !configured() || strcmp(path, g.path))
        return 0;
    return path[0] == '/' || dirfd == AT_FDCWD;
}

static int ours(int fd)
{
    return fd >= 0 && fd < MAX_FDS && atomic_load(&fd_mode[fd]);
}

/* ---- open / close ---------------------------------------------------------------------- */

static int device_open(int flags)
{
    if (g.fail == FAIL_MISSING) {
        errno = ENOENT;
        return -1;
    }
    if (g.fail == FAIL_EACCES) {
        errno = EACCES;
        return -1;
    }
    int fd = memfd_create("clsvm-devsvm-shim", (flags & O_CLOEXEC) ? MFD_CLOEXEC : 0);
    if (fd < 0)
        return -1;
    if (fd >= MAX_FDS) {
        g.close(fd);
        errno = EMFILE;
        return -1;
    }
    atomic_store(&fd_mode[fd], (unsigned char)(1 + (flags & O_ACCMODE)));
    return fd;
}

static mode_t mode_arg(int flags, va_list ap)
{
    return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? (mode_t)va_arg(ap, int) : 0;
}

EXPORT int open(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    if (is_device(AT_FDCWD, path))
        return device_open(flags);
    return g.open(path, flags, mode);
}

EXPORT int open64(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    if (is_device(AT_FDCWD, path))
        return device_open(flags);
    return g.open64(path, flags, mode);
}

EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    if (is_device(dirfd, path))
        return device_open(flags);
    return g.openat(dirfd, path, flags, mode);
}

EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    if (is_device(dirfd, path))
        return device_open(flags);
    return g.openat64(dirfd, path, flags, mode);
}

/* _FORTIFY_SOURCE variants (no mode argument; O_CREAT is rejected by glibc before them). */
EXPORT int __open_2(const char *path, int flags)
{
    return open(path, flags);
}

EXPORT int __open64_2(const char *path, int flags)
{
    return open64(path, flags);
}

EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
    return openat(dirfd, path, flags);
}

EXPORT int __openat64_2(int dirfd, const char *path, int flags)
{
    return openat64(dirfd, path, flags);
}

EXPORT int close(int fd)
{
    init();
    if (ours(fd))
        atomic_store(&fd_mode[fd], 0); /* mappings outlive the fd, as with a real driver */
    return g.close(fd);
}

/* ---- mapping bookkeeping --------------------------------------------------------------- */

static int track(uintptr_t start, uintptr_t end)
{
    pthread_mutex_lock(&map_lock);
    int n = atomic_load(&nmaps);
    if (n == MAX_MAPPINGS) {
        pthread_mutex_unlock(&map_lock);
        return -1;
    }
    maps[n].start = start;
    maps[n].end = end;
    atomic_store(&nmaps, n + 1);
    pthread_mutex_unlock(&map_lock);
    return 0;
}

/* Forget [start, end) after an munmap (or a MAP_FIXED on top), splitting entries. */
static void untrack(uintptr_t start, uintptr_t end)
{
    if (!atomic_load(&nmaps))
        return;
    pthread_mutex_lock(&map_lock);
    int n = atomic_load(&nmaps);
    for (int i = 0; i < n; i++) {
        uintptr_t s = maps[i].start, e = maps[i].end;
        if (e <= start || s >= end)
            continue;
        if (s < start && e > end && n < MAX_MAPPINGS) { /* hole in the middle: split */
            maps[i].end = start;
            maps[n].start = end;
            maps[n].end = e;
            n++;
            continue;
        }
        if (s < start) {
            maps[i].end = start;
        } else if (e > end) {
            maps[i].start = end;
        } else {
            maps[i--] = maps[--n];
        }
    }
    atomic_store(&nmaps, n);
    pthread_mutex_unlock(&map_lock);
}

/* 1 when every byte of [start, end) lies in a tracked device mapping. */
static int covered(uintptr_t start, uintptr_t end)
{
    pthread_mutex_lock(&map_lock);
    int n = atomic_load(&nmaps), progress = 1;
    while (start < end && progress) {
        progress = 0;
        for (int i = 0; i < n; i++)
            if (maps[i].start <= start && start < maps[i].end) {
                start = maps[i].end;
                progress = 1;
                break;
            }
    }
    pthread_mutex_unlock(&map_lock);
    return start >= end;
}

/* ---- placement: the emulated get_unmapped_area ----------------------------------------- */

/* Read /proc/self/maps with the real open (the shim's own file access must not recurse). */
static char *read_maps(void)
{
    int fd = g.open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (cap - len < 4096) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + len, cap - len - 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        len += (size_t)r;
    }
    g.close(fd);
    if (buf)
        buf[len] = '\0';
    return buf;
}

/*
 * Highest base in [lo, hi) for len bytes aligned to align, clear of every mapping: the
 * top-down search a driver does with mas_empty_area_rev(). 0 when nothing fits.
 */
static uintptr_t find_hole(uint64_t lo, uint64_t hi, uint64_t len, uint64_t align)
{
    char *text = read_maps();
    if (!text)
        return 0;
    uintptr_t best = 0;
    uint64_t gap_lo = 0; /* end of the previous mapping */
    for (char *line = text;; line = strchr(line, '\n') + 1) {
        unsigned long s = UINT64_MAX, e = UINT64_MAX;
        int last = !*line || sscanf(line, "%lx-%lx", &s, &e) != 2;
        if (last)
            s = e = UINT64_MAX;
        /* the gap [gap_lo, s) clipped to [lo, hi) */
        uint64_t a = gap_lo > lo ? gap_lo : lo, b = s < hi ? s : hi;
        if (b > a && b - a >= len) {
            uint64_t base = (b - len) & ~(align - 1);
            if (base >= a)
                best = base; /* later gaps are higher: keep the last that fits */
        }
        if (last || s >= hi || !strchr(line, '\n'))
            break;
        gap_lo = e;
    }
    free(text);
    return best;
}

static const int anon_flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;

static void *place(void *addr, uint64_t len, int prot, int fixed)
{
    uint64_t align = len >= SVM_LARGE_ALIGN ? SVM_LARGE_ALIGN : g.page;
    uintptr_t a = (uintptr_t)addr;
    if (fixed)
        return g.mmap(addr, len, prot, anon_flags | fixed, -1, 0);
    if (g.fail == FAIL_OUTSIDE) {
        /* A broken driver: the kernel's choice, or just below the range if that is inside. */
        void *p = g.mmap(NULL, len, prot, anon_flags, -1, 0);
        if (p == MAP_FAILED || (uintptr_t)p + len <= g.min || (uintptr_t)p >= g.max)
            return p;
        g.munmap(p, len);
        uintptr_t b = find_hole(g.page, g.min, len, align);
        if (!b) {
            errno = ENOMEM;
            return MAP_FAILED;
        }
        return g.mmap((void *)b, len, prot, anon_flags | MAP_FIXED_NOREPLACE, -1, 0);
    }
    /* A hint inside the range that is free and aligned is honoured, as the kernel does. */
    if (a && a % align == 0 && a >= g.min && a <= g.max - len) {
        void *p = g.mmap(addr, len, prot, anon_flags | MAP_FIXED_NOREPLACE, -1, 0);
        if (p != MAP_FAILED)
            return p;
    }
    /* Search and map under one lock, as the kernel does under the mmap lock: device mmaps
     * never race each other; only unrelated mmaps of other threads can, hence the retries. */
    void *p = MAP_FAILED;
    int err = ENOMEM;
    pthread_mutex_lock(&place_lock);
    for (int race = 0; race <= MAX_RACES; race++) {
        uintptr_t b = find_hole(g.min, g.max, len, align);
        if (!b)
            break;
        p = g.mmap((void *)b, len, prot, anon_flags | MAP_FIXED_NOREPLACE, -1, 0);
        err = errno;
        if (p != MAP_FAILED || err != EEXIST)
            break;
        err = ENOMEM;
    }
    pthread_mutex_unlock(&place_lock);
    if (p == MAP_FAILED)
        errno = err;
    return p;
}

static void *device_mmap(void *addr, size_t length, int prot, int flags, int fd, off_t off)
{
    int type = flags & MAP_TYPE;
    int fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE);
    if (fixed & MAP_FIXED)
        fixed = MAP_FIXED; /* MAP_FIXED wins when both are given, as in the kernel */
    uint64_t len = ((uint64_t)length + g.page - 1) & ~(g.page - 1);
    uintptr_t a = (uintptr_t)addr;
    if (!length || len < length || off != 0 ||
        (type != MAP_SHARED && type != MAP_SHARED_VALIDATE)) {
        errno = EINVAL;
        return MAP_FAILED;
    }
    if ((prot & PROT_WRITE) && atomic_load(&fd_mode[fd]) != 1 + O_RDWR) {
        errno = EACCES; /* a shared writable mapping needs a read/write open, as in the kernel */
        return MAP_FAILED;
    }
    if (fixed && (a % g.page || a < g.min || a > g.max || g.max - a < len)) {
        errno = EINVAL;
        return MAP_FAILED;
    }
    void *p = place(addr, len, prot, fixed);
    if (p == MAP_FAILED)
        return p;
    untrack((uintptr_t)p, (uintptr_t)p + len); /* MAP_FIXED may land on an older mapping */
    madvise(p, len, MADV_DONTFORK);            /* VM_DONTCOPY: the child gets a hole */
    if (track((uintptr_t)p, (uintptr_t)p + len)) {
        g.munmap(p, len);
        errno = ENOMEM;
        return MAP_FAILED;
    }
    return p;
}

EXPORT void *mmap(void *addr, size_t length, int prot, int flags, int fd, off_t off)
{
    init();
    if (!(flags & MAP_ANONYMOUS) && ours(fd))
        return device_mmap(addr, length, prot, flags, fd, off);
    return g.mmap(addr, length, prot, flags, fd, off);
}

EXPORT void *mmap64(void *addr, size_t length, int prot, int flags, int fd, off64_t off)
{
    init();
    if (!(flags & MAP_ANONYMOUS) && ours(fd))
        return device_mmap(addr, length, prot, flags, fd, off);
    return g.mmap64(addr, length, prot, flags, fd, off);
}

EXPORT int munmap(void *addr, size_t length)
{
    init();
    int rc = g.munmap(addr, length);
    if (rc == 0 && length)
        untrack((uintptr_t)addr, (uintptr_t)addr + ((length + g.page - 1) & ~(g.page - 1)));
    return rc;
}

/* ---- ioctl ----------------------------------------------------------------------------- */

static int device_ioctl(unsigned long request, void *arg)
{
    if (request == SVM_IOC_GET_INFO) {
        if (g.fail == FAIL_IOCTL) {
            errno = EIO;
            return -1;
        }
        if (!arg) {
            errno = EFAULT;
            return -1;
        }
        struct svm_info in;
        memset(&in, 0, sizeof in);
        in.abi_version = g.fail == FAIL_ABI ? SVM_ABI_VERSION + 41 : SVM_ABI_VERSION;
        in.va_bits = g.va_bits;
        in.window_min = g.min;
        in.window_max = g.max;
        in.page_size = (__u32)g.page;
        in.flags = SVM_INFO_COHERENT | SVM_INFO_ATOMICS;
        memcpy(arg, &in, sizeof in);
        return 0;
    }
    if (request == SVM_IOC_RELEASE) {
        if (!arg) {
            errno = EFAULT;
            return -1;
        }
        struct svm_range r;
        memcpy(&r, arg, sizeof r);
        if (r.flags || !r.len || r.addr % g.page || r.len % g.page || r.addr + r.len < r.addr ||
            !covered((uintptr_t)r.addr, (uintptr_t)(r.addr + r.len))) {
            errno = EINVAL;
            return -1;
        }
        /* Private anonymous pages: DONTNEED frees them and the next touch reads zero. */
        return madvise((void *)(uintptr_t)r.addr, (size_t)r.len, MADV_DONTNEED);
    }
    errno = ENOTTY;
    return -1;
}

EXPORT int ioctl(int fd, unsigned long request, ...)
{
    va_list ap;
    va_start(ap, request);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    init();
    if (ours(fd))
        return device_ioctl(request, arg);
    return g.ioctl(fd, request, arg);
}

/* ---- stat / access --------------------------------------------------------------------- */

/* The device node as a driver's udev rule would create it: crw-rw-rw- root, misc major. */
static void fill_stat(struct stat *st)
{
    memset(st, 0, sizeof *st);
    st->st_mode = S_IFCHR | 0666;
    st->st_rdev = makedev(10, 242);
    st->st_nlink = 1;
    st->st_blksize = (blksize_t)g.page;
}

static int device_stat(struct stat *st)
{
    if (g.fail == FAIL_MISSING) {
        errno = ENOENT;
        return -1;
    }
    if (g.fail == FAIL_EACCES) { /* present, but not for us */
        fill_stat(st);
        st->st_mode = S_IFCHR | 0600;
        return 0;
    }
    fill_stat(st);
    return 0;
}

EXPORT int stat(const char *path, struct stat *st)
{
    if (is_device(AT_FDCWD, path))
        return device_stat(st);
    return g.stat(path, st);
}

EXPORT int stat64(const char *path, struct stat64 *st)
{
    if (is_device(AT_FDCWD, path))
        return device_stat((struct stat *)st);
    return g.stat64(path, (struct stat *)st);
}

EXPORT int lstat(const char *path, struct stat *st)
{
    if (is_device(AT_FDCWD, path))
        return device_stat(st);
    return g.lstat(path, st);
}

EXPORT int lstat64(const char *path, struct stat64 *st)
{
    if (is_device(AT_FDCWD, path))
        return device_stat((struct stat *)st);
    return g.lstat64(path, (struct stat *)st);
}

EXPORT int fstat(int fd, struct stat *st)
{
    init();
    if (ours(fd)) {
        fill_stat(st);
        return 0;
    }
    return g.fstat(fd, st);
}

EXPORT int fstat64(int fd, struct stat64 *st)
{
    init();
    if (ours(fd)) {
        fill_stat((struct stat *)st);
        return 0;
    }
    return g.fstat64(fd, (struct stat *)st);
}

static int at_is_ours(int dirfd, const char *path, int flags)
{
    return (flags & AT_EMPTY_PATH) && path && !*path && ours(dirfd);
}

EXPORT int fstatat(int dirfd, const char *path, struct stat *st, int flags)
{
    if (is_device(dirfd, path))
        return device_stat(st);
    if (at_is_ours(dirfd, path, flags)) {
        fill_stat(st);
        return 0;
    }
    return g.fstatat(dirfd, path, st, flags);
}

EXPORT int fstatat64(int dirfd, const char *path, struct stat64 *st, int flags)
{
    return fstatat(dirfd, path, (struct stat *)st, flags);
}

EXPORT int statx(int dirfd, const char *path, int flags, unsigned mask, struct statx *stx)
{
    struct stat st;
    int rc;
    if (is_device(dirfd, path))
        rc = device_stat(&st);
    else if (at_is_ours(dirfd, path, flags))
        rc = (fill_stat(&st), 0);
    else
        return g.statx(dirfd, path, flags, mask, stx);
    if (rc)
        return rc;
    memset(stx, 0, sizeof *stx);
    stx->stx_mask = STATX_TYPE | STATX_MODE | STATX_NLINK;
    stx->stx_mode = (__u16)st.st_mode;
    stx->stx_nlink = 1;
    stx->stx_blksize = (__u32)g.page;
    stx->stx_rdev_major = major(st.st_rdev);
    stx->stx_rdev_minor = minor(st.st_rdev);
    return 0;
}

/*
 * The pre-2.33 entry points (__xstat & co., still exported for old binaries): sanitizer
 * runtimes built against old glibc implement their stat interceptors with them, so under
 * TSan an fstat() of the device arrives here.
 */
EXPORT int __xstat(int ver, const char *path, struct stat *st)
{
    if (is_device(AT_FDCWD, path))
        return device_stat(st);
    return g.xstat(ver, path, st);
}

EXPORT int __xstat64(int ver, const char *path, struct stat64 *st)
{
    if (is_device(AT_FDCWD, path))
        return device_stat((struct stat *)st);
    return g.xstat64(ver, path, (struct stat *)st);
}

EXPORT int __lxstat(int ver, const char *path, struct stat *st)
{
    if (is_device(AT_FDCWD, path))
        return device_stat(st);
    return g.lxstat(ver, path, st);
}

EXPORT int __lxstat64(int ver, const char *path, struct stat64 *st)
{
    if (is_device(AT_FDCWD, path))
        return device_stat((struct stat *)st);
    return g.lxstat64(ver, path, (struct stat *)st);
}

EXPORT int __fxstat(int ver, int fd, struct stat *st)
{
    init();
    if (ours(fd)) {
        fill_stat(st);
        return 0;
    }
    return g.fxstat(ver, fd, st);
}

EXPORT int __fxstat64(int ver, int fd, struct stat64 *st)
{
    init();
    if (ours(fd)) {
        fill_stat((struct stat *)st);
        return 0;
    }
    return g.fxstat64(ver, fd, (struct stat *)st);
}

EXPORT int __fxstatat(int ver, int dirfd, const char *path, struct stat *st, int flags)
{
    if (is_device(dirfd, path))
        return device_stat(st);
    if (at_is_ours(dirfd, path, flags)) {
        fill_stat(st);
        return 0;
    }
    return g.fxstatat(ver, dirfd, path, st, flags);
}

EXPORT int __fxstatat64(int ver, int dirfd, const char *path, struct stat64 *st, int flags)
{
    return __fxstatat(ver, dirfd, path, (struct stat *)st, flags);
}

static int device_access(int how)
{
    if (g.fail == FAIL_MISSING) {
        errno = ENOENT;
        return -1;
    }
    if (g.fail == FAIL_EACCES && (how & (R_OK | W_OK | X_OK))) {
        errno = EACCES;
        return -1;
    }
    if (how & X_OK) {
        errno = EACCES;
        return -1;
    }
    return 0;
}

EXPORT int access(const char *path, int how)
{
    if (is_device(AT_FDCWD, path))
        return device_access(how);
    return g.access(path, how);
}

EXPORT int faccessat(int dirfd, const char *path, int how, int flags)
{
    if (is_device(dirfd, path))
        return device_access(how);
    return g.faccessat(dirfd, path, how, flags);
}
