/* shim_ioctl.c: the ioctls of the emulated device (SVM_IOC_GET_INFO, SVM_IOC_RELEASE). */
#include "shim.h"

static int device_ioctl(unsigned long request, void *arg)
{
    if (request == SVM_IOC_GET_INFO) {
        if (shim.fail == FAIL_IOCTL) {
            errno = EIO;
            return -1;
        }
        if (!arg) {
            errno = EFAULT;
            return -1;
        }
        struct svm_info in;
        memset(&in, 0, sizeof in);
        in.abi_version = shim.fail == FAIL_ABI ? SVM_ABI_VERSION + 41 : SVM_ABI_VERSION;
        in.va_bits = shim.va_bits;
        in.window_min = shim.min;
        in.window_max = shim.max;
        in.page_size = (__u32)shim.page;
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
        if (r.flags || !r.len || r.addr % shim.page || r.len % shim.page ||
            r.addr + r.len < r.addr ||
            !shim_covered((uintptr_t)r.addr, (uintptr_t)(r.addr + r.len))) {
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
    shim_init();
    if (shim_ours(fd))
        return device_ioctl(request, arg);
    return shim.ioctl(fd, request, arg);
}
