/*
 * shim.h: what the parts of libclsvm-devsvm-shim.so share. The library is an LD_PRELOAD
 * emulation of the /dev/svm driver (runtime/include/clsvm/dev_svm.h, docs/dev-svm.md) in user
 * space, so the runtime's devsvm provider runs on machines without the kernel module (Mesa's
 * drm-shim fakes /dev/dri the same way). The parts:
 *   shim_config.c  the next definitions (dlsym(RTLD_NEXT)), CLSVM_SHIM_*, which paths and fds
 *                  are the device's;
 *   shim_files.c   open/close and stat/access of the device;
 *   shim_mmap.c    mmap/munmap: placement inside the range and the mapping bookkeeping;
 *   shim_ioctl.c   SVM_IOC_GET_INFO and SVM_IOC_RELEASE.
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
#ifndef CLSVM_DEVSVM_SHIM_H
#define CLSVM_DEVSVM_SHIM_H

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
#define MAX_FDS 65536 /* fds above this are never handed out (closed, EMFILE) */

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

/* Configuration and the next definitions of the intercepted functions (shim_config.c). */
struct shim_state {
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
};
extern struct shim_state shim;

/* stat64 is passed on as stat: the same layout on LP64 Linux, checked here. */
_Static_assert(sizeof(struct stat) == sizeof(struct stat64), "struct stat64 differs");

/* 0: not ours; 1 + (open flags & O_ACCMODE): a device fd the shim handed out. */
extern _Atomic unsigned char shim_fd_mode[MAX_FDS];

/* Look up the next definitions once; every interposer calls this before using shim.<fn>. */
void shim_init(void);
/* 1 when path (relative to dirfd) names the emulated device; reads CLSVM_SHIM_* once. */
int shim_is_device(int dirfd, const char *path);
/* One line on stderr, without stdio (safe inside interposers). */
void shim_complain(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* 1 when every byte of [start, end) lies in a device mapping (shim_mmap.c). */
int shim_covered(uintptr_t start, uintptr_t end);

/* 1 when fd is a device fd the shim handed out. */
static inline int shim_ours(int fd)
{
    return fd >= 0 && fd < MAX_FDS && atomic_load(&shim_fd_mode[fd]);
}

#endif
