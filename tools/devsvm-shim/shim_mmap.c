/* shim_mmap.c: mmap/munmap of the emulated device: placement inside the range the way the
 * driver's get_unmapped_area does it (a free hint inside is honoured, else the highest hole of
 * /proc/self/maps, 2 MiB aligned from 2 MiB up), and the bookkeeping of which ranges are device
 * mappings (SVM_IOC_RELEASE accepts only those). */
#include "shim.h"

#define MAX_MAPPINGS 512 /* live device mappings tracked (munmap splits count) */
#define MAX_RACES 8      /* hole searches after EEXIST before ENOMEM */

static pthread_mutex_t map_lock = PTHREAD_MUTEX_INITIALIZER;   /* maps[] */
static pthread_mutex_t place_lock = PTHREAD_MUTEX_INITIALIZER; /* search + mmap, like mmap_lock */
static struct {
    uintptr_t start, end;
} maps[MAX_MAPPINGS];
static atomic_int nmaps; /* written under map_lock; read unlocked by munmap's fast path */

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
int shim_covered(uintptr_t start, uintptr_t end)
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
    int fd = shim.open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
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
    shim.close(fd);
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
    uint64_t align = len >= SVM_LARGE_ALIGN ? SVM_LARGE_ALIGN : shim.page;
    uintptr_t a = (uintptr_t)addr;
    if (fixed)
        return shim.mmap(addr, len, prot, anon_flags | fixed, -1, 0);
    if (shim.fail == FAIL_OUTSIDE) {
        /* A broken driver: the kernel's choice, or just below the range if that is inside. */
        void *p = shim.mmap(NULL, len, prot, anon_flags, -1, 0);
        if (p == MAP_FAILED || (uintptr_t)p + len <= shim.min || (uintptr_t)p >= shim.max)
            return p;
        shim.munmap(p, len);
        uintptr_t b = find_hole(shim.page, shim.min, len, align);
        if (!b) {
            errno = ENOMEM;
            return MAP_FAILED;
        }
        return shim.mmap((void *)b, len, prot, anon_flags | MAP_FIXED_NOREPLACE, -1, 0);
    }
    /* A hint inside the range that is free and aligned is honoured, as the kernel does. */
    if (a && a % align == 0 && a >= shim.min && a <= shim.max - len) {
        void *p = shim.mmap(addr, len, prot, anon_flags | MAP_FIXED_NOREPLACE, -1, 0);
        if (p != MAP_FAILED)
            return p;
    }
    /* Search and map under one lock, as the kernel does under the mmap lock: device mmaps
     * never race each other; only unrelated mmaps of other threads can, hence the retries. */
    void *p = MAP_FAILED;
    int err = ENOMEM;
    pthread_mutex_lock(&place_lock);
    for (int race = 0; race <= MAX_RACES; race++) {
        uintptr_t b = find_hole(shim.min, shim.max, len, align);
        if (!b)
            break;
        p = shim.mmap((void *)b, len, prot, anon_flags | MAP_FIXED_NOREPLACE, -1, 0);
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
    uint64_t len = ((uint64_t)length + shim.page - 1) & ~(shim.page - 1);
    uintptr_t a = (uintptr_t)addr;
    if (!length || len < length || off != 0 ||
        (type != MAP_SHARED && type != MAP_SHARED_VALIDATE)) {
        errno = EINVAL;
        return MAP_FAILED;
    }
    if ((prot & PROT_WRITE) && atomic_load(&shim_fd_mode[fd]) != 1 + O_RDWR) {
        errno = EACCES; /* a shared writable mapping needs a read/write open, as in the kernel */
        return MAP_FAILED;
    }
    if (fixed && (a % shim.page || a < shim.min || a > shim.max || shim.max - a < len)) {
        errno = EINVAL;
        return MAP_FAILED;
    }
    void *p = place(addr, len, prot, fixed);
    if (p == MAP_FAILED)
        return p;
    untrack((uintptr_t)p, (uintptr_t)p + len); /* MAP_FIXED may land on an older mapping */
    madvise(p, len, MADV_DONTFORK);            /* VM_DONTCOPY: the child gets a hole */
    if (track((uintptr_t)p, (uintptr_t)p + len)) {
        shim.munmap(p, len);
        errno = ENOMEM;
        return MAP_FAILED;
    }
    return p;
}

EXPORT void *mmap(void *addr, size_t length, int prot, int flags, int fd, off_t off)
{
    shim_init();
    if (!(flags & MAP_ANONYMOUS) && shim_ours(fd))
        return device_mmap(addr, length, prot, flags, fd, off);
    return shim.mmap(addr, length, prot, flags, fd, off);
}

EXPORT void *mmap64(void *addr, size_t length, int prot, int flags, int fd, off64_t off)
{
    shim_init();
    if (!(flags & MAP_ANONYMOUS) && shim_ours(fd))
        return device_mmap(addr, length, prot, flags, fd, off);
    return shim.mmap64(addr, length, prot, flags, fd, off);
}

EXPORT int munmap(void *addr, size_t length)
{
    shim_init();
    int rc = shim.munmap(addr, length);
    if (rc == 0 && length)
        untrack((uintptr_t)addr, (uintptr_t)addr + ((length + shim.page - 1) & ~(shim.page - 1)));
    return rc;
}

/* ---- fork: the child has no device mappings (the driver's VM_DONTCOPY) ---- */
/* Fresh locks and an empty list in the child: its copy of maps[] describes the parent's
 * mappings, and a lock another thread held at fork() would never be released there. */
static void fork_child(void)
{
    pthread_mutex_init(&map_lock, NULL);
    pthread_mutex_init(&place_lock, NULL);
    atomic_store(&nmaps, 0);
}

__attribute__((constructor)) static void install_fork_handler(void)
{
    pthread_atfork(NULL, NULL, fork_child);
}
