// SPDX-License-Identifier: GPL-2.0
/*
 * svm_mm.c: placement, mapping, faults and release of /dev/svm memory
 * (docs/dev-svm.md, sections 3 to 5).
 *
 * Every page is an ordinary zeroed page owned by the page table entry that
 * maps it: the fault handler allocates it and hands its only reference to
 * the PTE (vm_insert_page() in a VM_MIXEDMAP mapping). Whatever zaps the
 * PTE -- munmap(), MADV_DONTNEED, SVM_IOC_RELEASE, exit -- therefore frees
 * the page, the pages count in the process's RSS, and the driver keeps no
 * page list it could leak.
 */
#include <linux/maple_tree.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/sched.h>

#include "clsvm/dev_svm.h"
#include "svm.h"

static const struct vm_operations_struct svm_vm_ops;

/* Whether [addr, addr + len) lies inside the device range. */
static bool svm_inside(unsigned long addr, unsigned long len)
{
	return addr >= svm_window_min && addr <= svm_window_max &&
	       len <= svm_window_max - addr;
}

/*
 * HOOK (device page tables): a real driver maps @page at @addr in the
 * device's page tables here, so host and device see the same page at the
 * same address. This reference driver has no device, so it does nothing.
 */
static void svm_mirror_map(struct vm_area_struct *vma, unsigned long addr,
			   struct page *page)
{
}

/*
 * HOOK (device page tables): a real driver drops the device's view of
 * [start, end) here, before the host PTEs and pages go. It must also do so
 * from an mmu_interval_notifier on the mapping, because MADV_DONTNEED,
 * mprotect() and exit change the host page tables without calling into the
 * driver. This reference driver has no device, so it does nothing.
 */
static void svm_mirror_unmap(struct vm_area_struct *vma, unsigned long start,
			     unsigned long end)
{
}

/* The end of the highest free hole of @size bytes in the window, or 0. */
static unsigned long svm_top_hole_end(struct mm_struct *mm, unsigned long size)
{
	MA_STATE(mas, &mm->mm_mt, 0, 0);

	if (size > svm_window_max - svm_window_min)
		return 0;
	if (mas_empty_area_rev(&mas, svm_window_min, svm_window_max - 1, size))
		return 0;
	return mas.last + 1;
}

/*
 * The highest place in the window for @len bytes at an @align boundary, or
 * 0. A hole of exactly @len (an aligned one, say) is found by the first
 * search; the second asks for align - PAGE_SIZE more, so that an aligned
 * start fits whatever the hole's alignment, as vm_unmapped_area() does.
 * The caller holds the mmap lock.
 */
static unsigned long svm_find_hole(struct mm_struct *mm, unsigned long len,
				   unsigned long align)
{
	unsigned long end, addr;

	end = svm_top_hole_end(mm, len);
	if (!end)
		return 0;
	addr = ALIGN_DOWN(end - len, align);
	if (svm_inside(addr, len) &&
	    !find_vma_intersection(mm, addr, addr + len))
		return addr;
	if (len + align - PAGE_SIZE < len)
		return 0;
	end = svm_top_hole_end(mm, len + align - PAGE_SIZE);
	if (!end)
		return 0;
	addr = ALIGN_DOWN(end - len, align);
	return svm_inside(addr, len) ? addr : 0;
}

/*
 * file_operations.get_unmapped_area, called with the mmap lock held for
 * every mmap() of the device, MAP_FIXED included. A fixed range outside the
 * window is refused; a free, aligned hint inside it is honoured; anything
 * else (no hint, a hint outside or busy) gets the highest free hole in the
 * window, 2 MiB aligned for lengths of 2 MiB or more. vm_unmapped_area()
 * would do this but is not exported, so search the maple tree directly.
 */
unsigned long svm_get_unmapped_area(struct file *file, unsigned long addr,
				    unsigned long len, unsigned long pgoff,
				    unsigned long flags)
{
	struct mm_struct *mm = current->mm;
	unsigned long align = len >= SVM_LARGE_ALIGN ? SVM_LARGE_ALIGN :
						       PAGE_SIZE;

	if (pgoff || !len)
		return -EINVAL;
	if (flags & MAP_FIXED)
		return svm_inside(addr, len) ? addr : -EINVAL;
	if (addr && IS_ALIGNED(addr, align) && svm_inside(addr, len) &&
	    !find_vma_intersection(mm, addr, addr + len))
		return addr;
	addr = svm_find_hole(mm, len, align);
	return addr ? addr : -ENOMEM;
}

static void svm_vm_open(struct vm_area_struct *vma)
{
	atomic_long_inc(&svm_live_vmas);
}

/* Called for each VMA going away, also for the piece a partial munmap cut. */
static void svm_vm_close(struct vm_area_struct *vma)
{
	svm_mirror_unmap(vma, vma->vm_start, vma->vm_end);
	atomic_long_dec(&svm_live_vmas);
}

/* Moving a mapping could take it out of the window (and off the device). */
static int svm_vm_mremap(struct vm_area_struct *vma)
{
	return -EINVAL;
}

/* First touch: a zero-filled page, mapped for the host and the device. */
static vm_fault_t svm_vm_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct page *page;
	int err;

	page = alloc_page(GFP_HIGHUSER | __GFP_ZERO);
	if (!page)
		return VM_FAULT_OOM;
	err = vm_insert_page(vma, vmf->address, page);
	if (!err) {
		svm_mirror_map(vma, vmf->address, page);
		atomic_long_inc(&svm_pages_faulted);
	}
	/* The PTE holds its own reference; without one the page is freed. */
	put_page(page);
	if (err == -EBUSY) /* a racing fault mapped its page first */
		return VM_FAULT_NOPAGE;
	if (err)
		return err == -ENOMEM ? VM_FAULT_OOM : VM_FAULT_SIGBUS;
	return VM_FAULT_NOPAGE;
}

static const struct vm_operations_struct svm_vm_ops = {
	.open = svm_vm_open,
	.close = svm_vm_close,
	.mremap = svm_vm_mremap,
	.fault = svm_vm_fault,
};

int svm_mmap(struct file *file, struct vm_area_struct *vma)
{
	/* VM_MAYSHARE: a read-only file's MAP_SHARED mapping lacks VM_SHARED. */
	if (!(vma->vm_flags & VM_MAYSHARE) || vma->vm_pgoff)
		return -EINVAL;
	/* Defence in depth: get_unmapped_area already kept it inside. */
	if (!svm_inside(vma->vm_start, vma->vm_end - vma->vm_start))
		return -EINVAL;
	vma->vm_flags |= VM_MIXEDMAP | VM_DONTCOPY | VM_DONTEXPAND |
			 VM_DONTDUMP;
	vma->vm_ops = &svm_vm_ops;
	svm_vm_open(vma);
	return 0;
}

/*
 * SVM_IOC_RELEASE: free the pages of [addr, addr + len), which must be
 * covered by mappings of the device. Zapping the PTEs drops the pages' only
 * references; the mappings stay, and the next touch faults in a zero page.
 */
long svm_release_range(struct mm_struct *mm, u64 addr, u64 len)
{
	u64 end = addr + len;
	struct vm_area_struct *vma;
	unsigned long a, e;
	long ret = 0;

	if (!mm || !len || !PAGE_ALIGNED(addr) || !PAGE_ALIGNED(len) ||
	    end < addr)
		return -EINVAL;
	if (mmap_read_lock_killable(mm))
		return -EINTR;
	for (a = addr; a < end; a = vma->vm_end) {
		vma = find_vma(mm, a);
		if (!vma || vma->vm_start > a || vma->vm_ops != &svm_vm_ops) {
			ret = -EINVAL;
			goto out;
		}
	}
	for (a = addr; a < end; a = vma->vm_end) {
		vma = find_vma(mm, a);
		e = min_t(u64, end, vma->vm_end);
		svm_mirror_unmap(vma, a, e);
		zap_page_range(vma, a, e - a);
	}
out:
	mmap_read_unlock(mm);
	return ret;
}
