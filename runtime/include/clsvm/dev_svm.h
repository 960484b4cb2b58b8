/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * dev_svm.h: the user/kernel ABI of the /dev/svm character device, shared by the clsvm
 * runtime (the "devsvm" window provider), the LD_PRELOAD shim in tools/devsvm-shim and a
 * kernel driver. Only <linux/types.h> and <linux/ioctl.h> are used so that the same file
 * compiles in a kernel module and in user space. docs/dev-svm.md is the full contract; the
 * comments here are its summary.
 *
 * The device gives a process memory at addresses its device can reach: mmap() of the device
 * file places the mapping inside [window_min, window_max) (SVM_IOC_GET_INFO), pages appear
 * zero-filled on first touch and are mirrored to the device, SVM_IOC_RELEASE gives pages back.
 */
#ifndef CLSVM_DEV_SVM_H
#define CLSVM_DEV_SVM_H

#include <linux/ioctl.h>
#include <linux/types.h>

/*
 * ABI version reported in svm_info.abi_version. A client refuses any other value: the
 * version changes only when an existing field, ioctl or mmap rule changes meaning. Additions
 * that old clients may ignore (a new flag, a reserved field taking a value, a new ioctl) keep
 * the version.
 */
#define SVM_ABI_VERSION 1

/* Default device node. */
#define SVM_DEVICE_PATH "/dev/svm"

/* ioctl type byte; a driver merged upstream registers it in ioctl-number.rst. */
#define SVM_IOC_MAGIC 0xB5

/* svm_info.flags: properties of the device; unknown bits are ignored by clients. */
/* Host and device see each other's writes without explicit synchronisation (fine grain). */
#define SVM_INFO_COHERENT (1u << 0)
/* Device atomics on window memory are atomic with respect to host atomics. */
#define SVM_INFO_ATOMICS (1u << 1)

/*
 * SVM_IOC_GET_INFO: what the device can address. The driver fills every field and zeroes
 * reserved[]; the caller's input is ignored. Never fails on an open device file except with
 * EFAULT (bad pointer).
 */
struct svm_info {
    __u32 abi_version; /* SVM_ABI_VERSION of the driver */
    __u32 va_bits;     /* device address width: every window address is below 2^va_bits */
    __u64 window_min;  /* first address mmap() may use (page aligned) */
    __u64 window_max;  /* first address past the window (page aligned, <= 2^va_bits) */
    __u32 page_size;   /* host page size the driver maps with (the mmap granule) */
    __u32 flags;       /* SVM_INFO_* */
    __u64 reserved[8]; /* zero; room to grow without a new ioctl number */
};

/*
 * SVM_IOC_RELEASE: give back the pages of [addr, addr + len), which must lie inside one or
 * more mappings of this file. Host page-table entries and the device mirror are dropped and
 * the backing memory is freed; the range stays mapped with its protection, and the next touch
 * reads zeroes. addr and len must be page aligned, len > 0, flags 0.
 * Errors: EINVAL (alignment, flags, or a byte of the range not mapped from this file), EFAULT.
 * Why an ioctl and not madvise(MADV_DONTNEED): a driver that maps its pages with
 * VM_PFNMAP/VM_MIXEDMAP gets EINVAL from MADV_DONTNEED, and for shared mappings MADV_DONTNEED
 * only zaps page-table entries without freeing the memory behind them.
 */
struct svm_range {
    __u64 addr;
    __u64 len;
    __u64 flags; /* 0 */
};

#define SVM_IOC_GET_INFO _IOR(SVM_IOC_MAGIC, 0x01, struct svm_info)
#define SVM_IOC_RELEASE _IOW(SVM_IOC_MAGIC, 0x02, struct svm_range)

/*
 * Placement granule: a mapping of at least this many bytes starts on a multiple of it (so
 * the device can use large pages); smaller ones are page aligned.
 */
#define SVM_LARGE_ALIGN (2ull << 20)

#endif
