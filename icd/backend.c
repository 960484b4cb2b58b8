/*
 * backend.c: loads the backend ICD privately, once, and wraps its platforms and root devices.
 *
 * The backend (CLSVM_BACKEND, default libpocl.so.2) is dlopen'ed RTLD_LOCAL; only its
 * clGetExtensionFunctionAddress is looked up by name, everything else goes through the
 * dispatch table in its handles, exactly as an ICD loader would. If the loader also loads the
 * same library through its own .icd file, both share one instance; clsvm never modifies
 * backend objects, so that is harmless. Any failure leaves clsvm with zero platforms and one
 * log line saying what failed, why, and what to do.
 */
#include "icd.h"

#include "clsvm/internal/config.h"
#include "clsvm/internal/log.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct _cl_icd_dispatch *clsvm_be;

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static clsvm_obj **platforms;
static cl_uint nplatforms;
static char backend_name[64] = "backend";

typedef void *(CL_API_CALL *gefa_fn)(const char *);
typedef cl_int(CL_API_CALL *icd_get_ids_fn)(cl_uint, cl_platform_id *, cl_uint *);

/* "libpocl.so.2" -> "pocl": what device names call the backend. */
static void set_backend_name(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (strncmp(base, "lib", 3) == 0)
        base += 3;
    size_t n = strcspn(base, ".");
    if (n == 0 || n >= sizeof backend_name)
        return;
    memcpy(backend_name, base, n);
    backend_name[n] = '\0';
}

/* Wrap the root devices of one backend platform; they live as long as the process. */
static int wrap_devices(clsvm_obj *plat)
{
    cl_uint n = 0;
    if (clsvm_be->clGetDeviceIDs(plat->be, CL_DEVICE_TYPE_ALL, 0, NULL, &n) != CL_SUCCESS || !n)
        return 0;
    cl_device_id *devs = calloc(n, sizeof *devs);
    if (!devs)
        return -1;
    if (clsvm_be->clGetDeviceIDs(plat->be, CL_DEVICE_TYPE_ALL, n, devs, NULL) == CL_SUCCESS) {
        for (cl_uint i = 0; i < n; i++) {
            clsvm_obj *d = clsvm_obj_new_mapped(CLSVM_DEVICE, devs[i], plat, NULL);
            if (d)
                d->flags |= CLSVM_F_PERMANENT;
        }
    }
    free(devs);
    return 0;
}

static const char *load(void)
{
    static char why[512];
    const char *path = clsvm_option_str(CLSVM_OPT_BACKEND);
    set_backend_name(path);
    void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!dl) {
        snprintf(why, sizeof why, "cannot load it (%s)", dlerror());
        return why;
    }
    gefa_fn gefa = (gefa_fn)(uintptr_t)dlsym(dl, "clGetExtensionFunctionAddress");
    if (!gefa)
        return "it does not export clGetExtensionFunctionAddress (not an OpenCL ICD)";
    if (gefa == (gefa_fn)clGetExtensionFunctionAddress)
        return "it is clsvm itself";
    icd_get_ids_fn get_ids = (icd_get_ids_fn)(uintptr_t)gefa("clIcdGetPlatformIDsKHR");
    if (!get_ids)
        return "it does not implement cl_khr_icd (no clIcdGetPlatformIDsKHR)";
    cl_uint n = 0;
    cl_int err = get_ids(0, NULL, &n);
    if (err != CL_SUCCESS || n == 0) {
        snprintf(why, sizeof why, "it reports no platforms (error %d)", err);
        return why;
    }
    cl_platform_id *ids = calloc(n, sizeof *ids);
    platforms = calloc(n, sizeof *platforms);
    if (!ids || !platforms || get_ids(n, ids, NULL) != CL_SUCCESS) {
        free(ids);
        return "its platforms could not be listed";
    }
    if (clsvm_objects_init() != 0) {
        free(ids);
        return "clsvm could not reserve memory for its object slab";
    }
    for (cl_uint i = 0; i < n; i++) {
        const struct _cl_icd_dispatch *d = ids[i] ? *(struct _cl_icd_dispatch **)ids[i] : NULL;
        if (!d || !d->clGetPlatformInfo || !d->clGetDeviceIDs || !d->clGetDeviceInfo)
            continue;
        if (clsvm_be && d != clsvm_be) {
            clsvm_log(CLSVM_LOG_WARN,
                      "icd: backend platform %u has its own dispatch table; "
                      "clsvm uses only the first such table and skips it",
                      i);
            continue;
        }
        clsvm_be = d;
        clsvm_obj *plat = clsvm_obj_new_mapped(CLSVM_PLATFORM, ids[i], NULL, NULL);
        if (!plat)
            break;
        plat->flags |= CLSVM_F_PERMANENT;
        platforms[nplatforms++] = plat;
        wrap_devices(plat);
    }
    free(ids);
    return nplatforms ? NULL : "none of its platforms has a usable dispatch table";
}

static void init(void)
{
    clsvm_options_log_once();
    const char *why = load();
    if (why)
        clsvm_log(CLSVM_LOG_ERROR,
                  "icd: backend '%s' unusable: %s; clsvm reports no OpenCL platform; set "
                  "CLSVM_BACKEND to an OpenCL ICD library such as libpocl.so.2",
                  clsvm_option_str(CLSVM_OPT_BACKEND), why);
    else
        clsvm_log(CLSVM_LOG_INFO, "icd: backend '%s' loaded, %u platform(s)",
                  clsvm_option_str(CLSVM_OPT_BACKEND), nplatforms);
}

int clsvm_backend_init(void)
{
    pthread_once(&init_once, init);
    return nplatforms ? 0 : -1;
}

cl_uint clsvm_platform_count(void)
{
    return nplatforms;
}

clsvm_obj *clsvm_platform_at(cl_uint i)
{
    return i < nplatforms ? platforms[i] : NULL;
}

const char *clsvm_backend_name(void)
{
    return backend_name;
}
