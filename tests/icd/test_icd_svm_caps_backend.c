/* test_icd_svm_caps_backend: SVM capabilities come from the backend's device, not from the
 * mere existence of clsvm's window. On the fake backend (fake_backend.c), with
 * FAKE_BACKEND_DEVICE as ctest sets it:
 *   cpu    a 64-bit CPU device: coarse + fine-grain buffer + atomics, clSVMAlloc works;
 *   gpu    a GPU without host-unified memory, and
 *   cpu32  a CPU device with 32 address bits (unless the window lies below 4 GiB, as in the
 *          ASan build, where it has SVM like cpu): no SVM capabilities, clSVMAlloc returns NULL,
 *          clEnqueueSVMMemcpy is CL_INVALID_OPERATION, and clsvm says why (CLSVM_LOG=info). */
#include "icd_test.h"

#include <unistd.h>

#ifndef FAKE_BACKEND_PATH
#error "FAKE_BACKEND_PATH must name the fake backend library"
#endif

int main(void)
{
    const char *mode = getenv("FAKE_BACKEND_DEVICE");
    CHECK_MSG(mode, "FAKE_BACKEND_DEVICE must be set (cpu, gpu or cpu32)");
    int svm = !strcmp(mode, "cpu");
    setenv("CLSVM_BACKEND", FAKE_BACKEND_PATH, 1);
    setenv("CLSVM_LOG", "info", 1);
    /* clsvm's log lines go to stderr: keep them to look for the reason. */
    char logpath[] = "/tmp/clsvm-caps-XXXXXX";
    int fd = mkstemp(logpath);
    CHECK(fd >= 0);
    fflush(stderr);
    int saved = dup(2);
    CHECK(saved >= 0 && dup2(fd, 2) == 2);

    cl_platform_id p = icd_test_platform();
    cl_device_id d = NULL;
    CHECK_CL(clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, 1, &d, NULL));
    cl_device_svm_capabilities caps = 0;
    ICD_GET_INFO(clGetDeviceInfo, d, CL_DEVICE_SVM_CAPABILITIES, caps);
    cl_context c = icd_test_context(p, d);
    void *a = clSVMAlloc(c, CL_MEM_READ_WRITE, 4096, 0);
    void *f = clSVMAlloc(c, CL_MEM_READ_WRITE | CL_MEM_SVM_FINE_GRAIN_BUFFER, 4096, 0);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    char log[8192] = {0};
    ssize_t got = pread(fd, log, sizeof log - 1, 0);
    close(fd);
    unlink(logpath);
    CHECK(got >= 0);
    if (!strcmp(mode, "cpu32")) {
        /* 32 address bits reach a window that ends at 4 GiB or below (the ASan build puts its
         * small window there); the log's window line says where it is. */
        const char *wl = strstr(log, "window: ");
        unsigned long long base = 0, end = 0;
        CHECK_MSG(wl && (wl = strchr(wl, '[')) && sscanf(wl, "[%llx, %llx)", &base, &end) == 2,
                  "no window line in the log:\n%s", log);
        svm = end <= (1ull << 32);
    }
    if (!svm) {
        CHECK_MSG(caps == 0, "%s device reports SVM capabilities %#llx", mode,
                  (unsigned long long)caps);
        CHECK(a == NULL && f == NULL);
    }

    cl_int err = CL_SUCCESS;
    cl_command_queue q = clCreateCommandQueueWithProperties(c, d, NULL, &err);
    CHECK_CL(err);
    /* Refused before anything runs; with SVM the copy would need backend entry points the
     * fake does not have (markers, user events). */
    char src[64] = "svm", dst[64] = {0};
    cl_int copy =
        svm ? CL_SUCCESS : clEnqueueSVMMemcpy(q, CL_TRUE, dst, src, sizeof src, 0, NULL, NULL);

    if (svm) {
        const cl_device_svm_capabilities want = CL_DEVICE_SVM_COARSE_GRAIN_BUFFER |
                                                CL_DEVICE_SVM_FINE_GRAIN_BUFFER |
                                                CL_DEVICE_SVM_ATOMICS;
        CHECK_MSG((caps & want) == want, "caps %#llx", (unsigned long long)caps);
        CHECK(a != NULL && f != NULL);
        memset(f, 0x11, 4096);
        CHECK_EQ(((unsigned char *)f)[4095], 0x11);
        clSVMFree(c, a);
        clSVMFree(c, f);
    } else {
        CHECK_EQ(copy, CL_INVALID_OPERATION);
        const char *why = !strcmp(mode, "gpu") ? "cannot address SVM memory" : "address bits";
        CHECK_MSG(strstr(log, why), "no log line saying '%s'; the log was:\n%s", why, log);
    }
    CHECK_CL(clReleaseCommandQueue(q));
    CHECK_CL(clReleaseContext(c));
    printf("%s device: SVM capabilities %#llx ok\n", mode, (unsigned long long)caps);
    return 0;
}
