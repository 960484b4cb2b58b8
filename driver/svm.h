/* SPDX-License-Identifier: GPL-2.0 */
/*
 * svm.h: what the two halves of the /dev/svm reference driver share.
 * svm_dev.c owns the device, its parameters and ioctls; svm_mm.c owns
 * placement, mappings, faults and release.
 */
#ifndef SVM_DRIVER_H
#define SVM_DRIVER_H

#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/mm_types.h>

/* The device range [svm_window_min, svm_window_max); fixed after load. */
extern unsigned int svm_va_bits;
extern unsigned long svm_window_min;
extern unsigned long svm_window_max;

/* Debug counters, read back from /sys/module/svm/parameters/. */
extern atomic_long_t svm_open_files;
extern atomic_long_t svm_live_vmas;
extern atomic_long_t svm_pages_faulted;

unsigned long svm_get_unmapped_area(struct file *file, unsigned long addr,
				    unsigned long len, unsigned long pgoff,
				    unsigned long flags);
int svm_mmap(struct file *file, struct vm_area_struct *vma);
long svm_release_range(struct mm_struct *mm, u64 addr, u64 len);

#endif /* SVM_DRIVER_H */
