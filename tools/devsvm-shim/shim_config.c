/* shim_config.c: the shim's setup: the next definitions of the intercepted functions
 * (dlsym(RTLD_NEXT)), the CLSVM_SHIM_* settings, and which paths and fds are the device's. */
#include "shim.h"

struct shim_state shim;
_Atomic unsigned char shim_fd_mode[MAX_FDS];

static pthread_once_t init_once = PTHREAD_ONCE_INIT;   /* next definitions */
static pthread_once_t config_once = PTHREAD_ONCE_INIT; /* CLSVM_SHIM_* */

void shim_complain(const char *fmt, ...)
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
        shim_complain("clsvm-devsvm-shim: %s not found after the shim; calls to it fail", name);
    return f;
}

static void load_symbols(void)
{
    shim.open = (open_fn)next("open");
    shim.open64 = (open_fn)next("open64");
    shim.openat = (openat_fn)next("openat");
    shim.openat64 = (openat_fn)next("openat64");
    shim.close = (close_fn)next("close");
    shim.ioctl = (ioctl_fn)next("ioctl");
    shim.mmap = (mmap_fn)next("mmap");
    shim.mmap64 = (mmap_fn)next("mmap64");
    shim.munmap = (munmap_fn)next("munmap");
    shim.stat = (stat_fn)next("stat");
    shim.stat64 = (stat_fn)next("stat64");
    shim.lstat = (stat_fn)next("lstat");
    shim.lstat64 = (stat_fn)next("lstat64");
    shim.fstat = (fstat_fn)next("fstat");
    shim.fstat64 = (fstat_fn)next("fstat64");
    shim.fstatat = (fstatat_fn)next("fstatat");
    shim.fstatat64 = (fstatat_fn)next("fstatat64");
    shim.statx = (statx_fn)next("statx");
    shim.access = (access_fn)next("access");
    shim.faccessat = (faccessat_fn)next("faccessat");
    shim.xstat = (xstat_fn)next("__xstat");
    shim.xstat64 = (xstat_fn)next("__xstat64");
    shim.lxstat = (xstat_fn)next("__lxstat");
    shim.lxstat64 = (xstat_fn)next("__lxstat64");
    shim.fxstat = (fxstat_fn)next("__fxstat");
    shim.fxstat64 = (fxstat_fn)next("__fxstat64");
    shim.fxstatat = (fxstatat_fn)next("__fxstatat");
    shim.fxstatat64 = (fxstatat_fn)next("__fxstatat64");
    long page = sysconf(_SC_PAGESIZE);
    shim.page = page > 0 ? (uint64_t)page : 4096;
}

static void load_config(void)
{
    const char *dev = getenv("CLSVM_SHIM_DEVICE");
    snprintf(shim.path, sizeof shim.path, "%s", dev && *dev ? dev : SVM_DEVICE_PATH);

    shim.min = (uint64_t)1 << 38;
    shim.max = (uint64_t)1 << 39;
    const char *range = getenv("CLSVM_SHIM_RANGE");
    if (range && *range) {
        char *end;
        errno = 0;
        unsigned long long lo = strtoull(range, &end, 0), hi = 0;
        int ok = !errno && end != range && *end == ':';
        if (ok) {
            const char *h = end + 1;
            hi = strtoull(h, &end, 0);
            ok = !errno && end != h && !*end && lo < hi && lo % shim.page == 0 &&
                 hi % shim.page == 0;
        }
        if (ok) {
            shim.min = lo;
            shim.max = hi;
        } else {
            shim_complain("clsvm-devsvm-shim: CLSVM_SHIM_RANGE='%s' is not min:max (page-aligned, "
                          "min < max); using [%#llx, %#llx)",
                          range, (unsigned long long)shim.min, (unsigned long long)shim.max);
        }
    }
    shim.va_bits = 12;
    while (shim.va_bits < 64 && ((uint64_t)1 << shim.va_bits) < shim.max)
        shim.va_bits++;
    const char *bits = getenv("CLSVM_SHIM_VA_BITS");
    if (bits && *bits) {
        long b = strtol(bits, NULL, 10);
        if (b >= 12 && b <= 64)
            shim.va_bits = (unsigned)b;
        else
            shim_complain("clsvm-devsvm-shim: CLSVM_SHIM_VA_BITS='%s' is not 12..64; ignored",
                          bits);
    }

    static const char *const modes[] = {"", "missing", "eacces", "abi", "outside", "ioctl"};
    const char *fail = getenv("CLSVM_SHIM_FAIL");
    if (fail && *fail) {
        for (int i = 1; i < (int)(sizeof modes / sizeof *modes); i++)
            if (!strcmp(fail, modes[i]))
                shim.fail = i;
        if (!shim.fail)
            shim_complain("clsvm-devsvm-shim: CLSVM_SHIM_FAIL='%s' is not missing, eacces, abi, "
                          "outside or ioctl; ignored",
                          fail);
    }
}

void shim_init(void)
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

int shim_is_device(int dirfd, const char *path)
{
    shim_init();
    if (!path || !configured() || strcmp(path, shim.path))
        return 0;
    return path[0] == '/' || dirfd == AT_FDCWD;
}
