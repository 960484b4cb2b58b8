// SPDX-License-Identifier: GPL-2.0
/*
 * svm_dev.c: the /dev/svm misc device of the clsvm reference driver: module
 * parameters (the device range), open/close and the ioctls. The contract is
 * docs/dev-svm.md; the ABI is runtime/include/clsvm/dev_svm.h, included
 * as is.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/uaccess.h>

#include "clsvm/dev_svm.h"
#include "svm.h"

/* The default range is the shim's: [2^38, 2^39), va_bits 39. */
unsigned int svm_va_bits = 39;
unsigned long svm_window_min = 1UL << 38;
unsigned long svm_window_max = 1UL << 39;
module_param_named(va_bits, svm_va_bits, uint, 0444);
MODULE_PARM_DESC(va_bits, "Device address width in bits (32-64, default 39)");
module_param_named(window_min, svm_window_min, ulong, 0444);
MODULE_PARM_DESC(window_min, "First address of the range (default 2^38)");
module_param_named(window_max, svm_window_max, ulong, 0444);
MODULE_PARM_DESC(window_max, "First address past the range (default 2^39)");

atomic_long_t svm_open_files = ATOMIC_LONG_INIT(0);
atomic_long_t svm_live_vmas = ATOMIC_LONG_INIT(0);
atomic_long_t svm_pages_faulted = ATOMIC_LONG_INIT(0);

static int svm_counter_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(kp->arg));
}

static int svm_counter_set(const char *val, const struct kernel_param *kp)
{
	return -EPERM;
}

static const struct kernel_param_ops svm_counter_ops = {
	.get = svm_counter_get,
	.set = svm_counter_set,
};

/* Read-only debug counters: the VM test checks them for leaks. */
module_param_cb(open_files, &svm_counter_ops, &svm_open_files, 0444);
MODULE_PARM_DESC(open_files, "Open files of the device (read only)");
module_param_cb(live_vmas, &svm_counter_ops, &svm_live_vmas, 0444);
MODULE_PARM_DESC(live_vmas, "VMAs mapping the device (read only)");
module_param_cb(pages_faulted, &svm_counter_ops, &svm_pages_faulted, 0444);
MODULE_PARM_DESC(pages_faulted, "Pages allocated by faults (read only)");

static int svm_open(struct inode *inode, struct file *file)
{
	atomic_long_inc(&svm_open_files);
	return 0;
}

/* Mappings hold their own file reference, so they outlive close(). */
static int svm_release(struct inode *inode, struct file *file)
{
	atomic_long_dec(&svm_open_files);
	return 0;
}

static long svm_ioctl_get_info(void __user *uarg)
{
	struct svm_info info;

	memset(&info, 0, sizeof(info));
	info.abi_version = SVM_ABI_VERSION;
	info.va_bits = svm_va_bits;
	info.window_min = svm_window_min;
	info.window_max = svm_window_max;
	info.page_size = PAGE_SIZE;
	/* The "device" of the reference driver is the CPU itself. */
	info.flags = SVM_INFO_COHERENT | SVM_INFO_ATOMICS;
	return copy_to_user(uarg, &info, sizeof(info)) ? -EFAULT : 0;
}

static long svm_ioctl_release(void __user *uarg)
{
	struct svm_range r;

	if (copy_from_user(&r, uarg, sizeof(r)))
		return -EFAULT;
	if (r.flags)
		return -EINVAL;
	return svm_release_range(current->mm, r.addr, r.len);
}

static long svm_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	switch (cmd) {
	case SVM_IOC_GET_INFO:
		return svm_ioctl_get_info((void __user *)arg);
	case SVM_IOC_RELEASE:
		return svm_ioctl_release((void __user *)arg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations svm_fops = {
	.owner = THIS_MODULE,
	.open = svm_open,
	.release = svm_release,
	.unlocked_ioctl = svm_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = svm_mmap,
	.get_unmapped_area = svm_get_unmapped_area,
};

static struct miscdevice svm_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "svm",
	.fops = &svm_fops,
	.mode = 0660,
};

/* The range must be usable by a process and describable to a client. */
static bool svm_params_valid(void)
{
	if (svm_va_bits < 32 || svm_va_bits > 64)
		return false;
	if (!PAGE_ALIGNED(svm_window_min) || !PAGE_ALIGNED(svm_window_max))
		return false;
	/* mmap_min_addr is not exported; 2 MiB is above any sane value. */
	if (svm_window_min < SVM_LARGE_ALIGN ||
	    svm_window_min >= svm_window_max)
		return false;
	if (svm_window_max > TASK_SIZE_MAX)
		return false;
	return svm_va_bits == 64 || svm_window_max <= 1UL << svm_va_bits;
}

static int __init svm_init(void)
{
	if (!svm_params_valid()) {
		pr_err("bad range [%#lx, %#lx) for va_bits %u\n",
		       svm_window_min, svm_window_max, svm_va_bits);
		return -EINVAL;
	}
	pr_info("/dev/svm range [%#lx, %#lx), va_bits %u\n",
		svm_window_min, svm_window_max, svm_va_bits);
	return misc_register(&svm_misc);
}

static void __exit svm_exit(void)
{
	misc_deregister(&svm_misc);
}

module_init(svm_init);
module_exit(svm_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("clsvm reference /dev/svm driver: memory inside a device address range");
