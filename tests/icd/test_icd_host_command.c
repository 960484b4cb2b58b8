/* test_icd_host_command: clsvm's clEnqueueSVM* host commands against the fake backend (no
 * pocl): with nothing before them on an in-order queue and no wait list, a memcpy and a fill run
 * on the caller's thread and reach the backend not at all; otherwise (here: a wait list) each
 * reaches the backend as one clEnqueueNativeKernel on the application's queue; when the backend
 * refuses that enqueue the call returns the backend's error, does no work, runs
 * no free callback, returns no event, does not block, and keeps no reference on the queue (every
 * backend object is released in the end); a device without native kernels fails the commands
 * with CL_OUT_OF_RESOURCES. */
#include "icd/icd_test.h"

#include <dlfcn.h>
#include <stdint.h>

static const char *(*fake_log)(void);
static void (*fake_log_clear)(void);
static int (*fake_live)(void);
static void (*fake_native)(int available, cl_int fail_with);

static int count(const char *what)
{
    int n = 0;
    for (const char *l = fake_log(); (l = strstr(l, what)); l++)
        n++;
    return n;
}

typedef struct seen {
    int calls;
    cl_command_queue queue;
    cl_uint n;
} seen;

static void CL_CALLBACK free_cb(cl_command_queue q, cl_uint n, void *ptrs[], void *user_data)
{
    (void)ptrs;
    seen *s = user_data;
    s->calls++;
    s->queue = q;
    s->n = n;
}

int main(void)
{
    setenv("CLSVM_BACKEND", FAKE_BACKEND_PATH, 1);
    cl_platform_id p = icd_test_platform();
    void *dl = dlopen(FAKE_BACKEND_PATH, RTLD_NOW | RTLD_NOLOAD);
    CHECK_MSG(dl != NULL, "clsvm did not load the fake backend %s", FAKE_BACKEND_PATH);
    fake_log = (const char *(*)(void))(uintptr_t)dlsym(dl, "fake_backend_log");
    fake_log_clear = (void (*)(void))(uintptr_t)dlsym(dl, "fake_backend_log_clear");
    fake_live = (int (*)(void))(uintptr_t)dlsym(dl, "fake_backend_live");
    fake_native = (void (*)(int, cl_int))(uintptr_t)dlsym(dl, "fake_backend_native");
    CHECK(fake_log && fake_log_clear && fake_live && fake_native);
    int live0 = fake_live();

    cl_device_id d = icd_test_device(p);
    cl_context c = icd_test_context(p, d);
    cl_command_queue q = icd_test_queue(c, d, NULL);
    /* Host memory: memcpy and fill accept it whatever the SVM capabilities. */
    unsigned char src[256], dst[256];
    memset(src, 0x5A, sizeof src);
    memset(dst, 0, sizeof dst);

    /* The queue is idle (the fake completes every command at once): done on this thread. */
    fake_log_clear();
    static const int pat = 7;
    CHECK_CL(clEnqueueSVMMemcpy(q, CL_TRUE, dst, src, sizeof dst, 0, NULL, NULL));
    CHECK_CL(clEnqueueSVMMemFill(q, src + 128, &pat, sizeof pat, 128, 0, NULL, NULL));
    CHECK_EQ(count("clEnqueueNativeKernel"), 0);
    CHECK(dst[0] == 0x5A && dst[255] == 0x5A && src[128] == 7 && src[127] == 0x5A);
    memset(src, 0x5A, sizeof src);
    memset(dst, 0, sizeof dst);

    /* Success through the backend (a wait list): one native kernel per command, the work done,
     * the event typed. */
    cl_event ev = NULL, ev0 = NULL;
    CHECK_CL(clEnqueueSVMMemcpy(q, CL_TRUE, dst, src, 1, 0, NULL, &ev0));
    fake_log_clear();
    CHECK_CL(clEnqueueSVMMemcpy(q, CL_TRUE, dst, src, sizeof dst, 1, &ev0, &ev));
    CHECK_EQ(count("clEnqueueNativeKernel"), 1);
    CHECK(strstr(fake_log(), "BAD") == NULL);
    CHECK(dst[0] == 0x5A && dst[255] == 0x5A);
    cl_command_type t = 0;
    ICD_GET_INFO(clGetEventInfo, ev, CL_EVENT_COMMAND_TYPE, t);
    CHECK_EQ(t, CL_COMMAND_SVM_MEMCPY);
    CHECK_CL(clReleaseEvent(ev));
    seen s = {0, NULL, 99};
    CHECK_CL(clEnqueueSVMFree(q, 0, NULL, free_cb, &s, 0, NULL, NULL));
    CHECK_MSG(s.calls == 1 && s.queue == q && s.n == 0, "free callback: %d calls, queue %p",
              s.calls, (void *)s.queue);

    /* The backend refuses the enqueue. */
    fake_native(1, CL_OUT_OF_RESOURCES);
    memset(dst, 0, sizeof dst);
    ev = (cl_event)(uintptr_t)1;
    CHECK_EQ(clEnqueueSVMMemcpy(q, CL_TRUE, dst, src, sizeof dst, 1, &ev0, &ev),
             CL_OUT_OF_RESOURCES);
    CHECK(ev == NULL);
    CHECK(dst[0] == 0);
    CHECK_EQ(clEnqueueSVMMemFill(q, dst, &pat, sizeof pat, sizeof dst, 1, &ev0, NULL),
             CL_OUT_OF_RESOURCES);
    CHECK(dst[0] == 0);
    s.calls = 0;
    ev = (cl_event)(uintptr_t)1;
    CHECK_EQ(clEnqueueSVMFree(q, 0, NULL, free_cb, &s, 0, NULL, &ev), CL_OUT_OF_RESOURCES);
    CHECK(ev == NULL && s.calls == 0);

    CHECK_CL(clReleaseEvent(ev0));

    /* A device without native kernels: refused on the caller's thread too. */
    fake_native(0, 0);
    fake_log_clear();
    CHECK_EQ(clEnqueueSVMMemcpy(q, CL_TRUE, dst, src, sizeof dst, 0, NULL, NULL),
             CL_OUT_OF_RESOURCES);
    CHECK_EQ(count("clEnqueueNativeKernel"), 0);
    CHECK(dst[0] == 0);
    fake_native(1, 0);

    /* The refused free held no reference: releasing the application's last ones frees the
     * backend's queue and context. */
    CHECK_CL(clReleaseCommandQueue(q));
    CHECK_CL(clReleaseContext(c));
    CHECK_MSG(fake_live() == live0, "%d backend objects still live, want %d", fake_live(), live0);
    printf("ok\n");
    return 0;
}
