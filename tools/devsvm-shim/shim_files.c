/* shim_files.c: open/close and stat/access of the emulated device: an open device is a memfd
 * (a real, unique fd number); its node looks like a misc character device. Every other path
 * and fd goes to the next definition untouched. */
#include "shim.h"

static int device_open(int flags)
{
    if (shim.fail == FAIL_MISSING) {
        errno = ENOENT;
        return -1;
    }
    if (shim.fail == FAIL_EACCES) {
        errno = EACCES;
        return -1;
    }
    int fd = memfd_create("clsvm-devsvm-shim", (flags & O_CLOEXEC) ? MFD_CLOEXEC : 0);
    if (fd < 0)
        return -1;
    if (fd >= MAX_FDS) {
        shim.close(fd);
        errno = EMFILE;
        return -1;
    }
    atomic_store(&shim_fd_mode[fd], (unsigned char)(1 + (flags & O_ACCMODE)));
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
    if (shim_is_device(AT_FDCWD, path))
        return device_open(flags);
    return shim.open(path, flags, mode);
}

EXPORT int open64(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    if (shim_is_device(AT_FDCWD, path))
        return device_open(flags);
    return shim.open64(path, flags, mode);
}

EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    if (shim_is_device(dirfd, path))
        return device_open(flags);
    return shim.openat(dirfd, path, flags, mode);
}

EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    if (shim_is_device(dirfd, path))
        return device_open(flags);
    return shim.openat64(dirfd, path, flags, mode);
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
    shim_init();
    if (shim_ours(fd))
        atomic_store(&shim_fd_mode[fd], 0); /* mappings outlive the fd, as with a real driver */
    return shim.close(fd);
}

/* ---- stat / access --------------------------------------------------------------------- */

/* The device node as a driver's udev rule would create it: crw-rw-rw- root, misc major. */
static void fill_stat(struct stat *st)
{
    memset(st, 0, sizeof *st);
    st->st_mode = S_IFCHR | 0666;
    st->st_rdev = makedev(10, 242);
    st->st_nlink = 1;
    st->st_blksize = (blksize_t)shim.page;
}

static int device_stat(struct stat *st)
{
    if (shim.fail == FAIL_MISSING) {
        errno = ENOENT;
        return -1;
    }
    if (shim.fail == FAIL_EACCES) { /* present, but not for us */
        fill_stat(st);
        st->st_mode = S_IFCHR | 0600;
        return 0;
    }
    fill_stat(st);
    return 0;
}

/* The path and fd flavours of stat: the device answers for itself, anything else goes to libc.
 * struct stat64 is struct stat on x86-64 (64-bit off_t/ino_t), so one answer serves both. */
#define SHIM_STAT_BY_PATH(name, st_type)                                                           \
    EXPORT int name(const char *path, st_type *st)                                                 \
    {                                                                                              \
        if (shim_is_device(AT_FDCWD, path))                                                        \
            return device_stat((struct stat *)st);                                                 \
        return shim.name(path, (struct stat *)st);                                                 \
    }
#define SHIM_STAT_BY_FD(name, st_type)                                                             \
    EXPORT int name(int fd, st_type *st)                                                           \
    {                                                                                              \
        shim_init();                                                                               \
        if (shim_ours(fd)) {                                                                       \
            fill_stat((struct stat *)st);                                                          \
            return 0;                                                                              \
        }                                                                                          \
        return shim.name(fd, (struct stat *)st);                                                   \
    }

SHIM_STAT_BY_PATH(stat, struct stat)
SHIM_STAT_BY_PATH(stat64, struct stat64)
SHIM_STAT_BY_PATH(lstat, struct stat)
SHIM_STAT_BY_PATH(lstat64, struct stat64)
SHIM_STAT_BY_FD(fstat, struct stat)
SHIM_STAT_BY_FD(fstat64, struct stat64)

static int at_is_ours(int dirfd, const char *path, int flags)
{
    return (flags & AT_EMPTY_PATH) && path && !*path && shim_ours(dirfd);
}

EXPORT int fstatat(int dirfd, const char *path, struct stat *st, int flags)
{
    if (shim_is_device(dirfd, path))
        return device_stat(st);
    if (at_is_ours(dirfd, path, flags)) {
        fill_stat(st);
        return 0;
    }
    return shim.fstatat(dirfd, path, st, flags);
}

EXPORT int fstatat64(int dirfd, const char *path, struct stat64 *st, int flags)
{
    return fstatat(dirfd, path, (struct stat *)st, flags);
}

EXPORT int statx(int dirfd, const char *path, int flags, unsigned mask, struct statx *stx)
{
    struct stat st;
    int rc;
    if (shim_is_device(dirfd, path))
        rc = device_stat(&st);
    else if (at_is_ours(dirfd, path, flags))
        rc = (fill_stat(&st), 0);
    else
        return shim.statx(dirfd, path, flags, mask, stx);
    if (rc)
        return rc;
    memset(stx, 0, sizeof *stx);
    stx->stx_mask = STATX_TYPE | STATX_MODE | STATX_NLINK;
    stx->stx_mode = (__u16)st.st_mode;
    stx->stx_nlink = 1;
    stx->stx_blksize = (__u32)shim.page;
    stx->stx_rdev_major = major(st.st_rdev);
    stx->stx_rdev_minor = minor(st.st_rdev);
    return 0;
}

/*
 * The pre-2.33 entry points (__xstat & co., still exported for old binaries): sanitizer
 * runtimes built against old glibc implement their stat interceptors with them, so under
 * TSan an fstat() of the device arrives here.
 */
#define SHIM_XSTAT_BY_PATH(name, field, st_type)                                                   \
    EXPORT int name(int ver, const char *path, st_type *st)                                        \
    {                                                                                              \
        if (shim_is_device(AT_FDCWD, path))                                                        \
            return device_stat((struct stat *)st);                                                 \
        return shim.field(ver, path, (struct stat *)st);                                           \
    }
#define SHIM_XSTAT_BY_FD(name, field, st_type)                                                     \
    EXPORT int name(int ver, int fd, st_type *st)                                                  \
    {                                                                                              \
        shim_init();                                                                               \
        if (shim_ours(fd)) {                                                                       \
            fill_stat((struct stat *)st);                                                          \
            return 0;                                                                              \
        }                                                                                          \
        return shim.field(ver, fd, (struct stat *)st);                                             \
    }

SHIM_XSTAT_BY_PATH(__xstat, xstat, struct stat)
SHIM_XSTAT_BY_PATH(__xstat64, xstat64, struct stat64)
SHIM_XSTAT_BY_PATH(__lxstat, lxstat, struct stat)
SHIM_XSTAT_BY_PATH(__lxstat64, lxstat64, struct stat64)
SHIM_XSTAT_BY_FD(__fxstat, fxstat, struct stat)
SHIM_XSTAT_BY_FD(__fxstat64, fxstat64, struct stat64)

EXPORT int __fxstatat(int ver, int dirfd, const char *path, struct stat *st, int flags)
{
    if (shim_is_device(dirfd, path))
        return device_stat(st);
    if (at_is_ours(dirfd, path, flags)) {
        fill_stat(st);
        return 0;
    }
    return shim.fxstatat(ver, dirfd, path, st, flags);
}

EXPORT int __fxstatat64(int ver, int dirfd, const char *path, struct stat64 *st, int flags)
{
    return __fxstatat(ver, dirfd, path, (struct stat *)st, flags);
}

static int device_access(int how)
{
    if (shim.fail == FAIL_MISSING) {
        errno = ENOENT;
        return -1;
    }
    if (shim.fail == FAIL_EACCES && (how & (R_OK | W_OK | X_OK))) {
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
    if (shim_is_device(AT_FDCWD, path))
        return device_access(how);
    return shim.access(path, how);
}

EXPORT int faccessat(int dirfd, const char *path, int how, int flags)
{
    if (shim_is_device(dirfd, path))
        return device_access(how);
    return shim.faccessat(dirfd, path, how, flags);
}
