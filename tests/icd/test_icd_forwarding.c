/* test_icd_forwarding: clsvm's forwarding layer against a fake backend that logs every call
 * (fake_backend.c), independent of pocl. What the app does through the loader must arrive at
 * the backend with clsvm's wrappers unwrapped (the fake prints "BAD" for any handle that is
 * not its own), values must flow back unchanged, handles coming back from the backend must be
 * mapped to the app's wrappers, and when the app has released everything the backend must
 * have no live objects left. */
#include "icd_test.h"

#include <dlfcn.h>

#ifndef FAKE_BACKEND_PATH
#error "FAKE_BACKEND_PATH must name the fake backend library"
#endif

static const char *(*fake_log)(void);
static void (*fake_log_clear)(void);
static int (*fake_live)(void);

/* The fake's log must contain a line starting with `prefix` since the last clear. */
static void expect(const char *prefix)
{
    const char *log = fake_log();
    for (const char *l = log; *l;) {
        if (strncmp(l, prefix, strlen(prefix)) == 0)
            return;
        const char *nl = strchr(l, '\n');
        l = nl ? nl + 1 : l + strlen(l);
    }
    fprintf(stderr, "backend never saw '%s'; its log since the last step:\n%s", prefix, log);
    exit(1);
}

/* Every handle the backend received was its own (clsvm unwrapped it). */
static void no_bad_handles(const char *step)
{
    const char *log = fake_log();
    CHECK_MSG(strstr(log, "BAD") == NULL, "%s: a clsvm handle reached the backend:\n%s", step, log);
}

static int mem_dtor_calls;
static cl_mem mem_dtor_seen;
static void CL_CALLBACK mem_dtor(cl_mem m, void *ud)
{
    (void)ud;
    mem_dtor_calls++;
    mem_dtor_seen = m;
}

static int ev_cb_calls;
static cl_event ev_cb_seen;
static void CL_CALLBACK ev_cb(cl_event e, cl_int status, void *ud)
{
    (void)ud;
    ev_cb_calls += status == CL_COMPLETE;
    ev_cb_seen = e;
}

int main(void)
{
    /* Before the first OpenCL call: clsvm reads its configuration once, on first use. */
    setenv("CLSVM_BACKEND", FAKE_BACKEND_PATH, 1);
    cl_platform_id p = icd_test_platform();

    /* clsvm must have loaded exactly this library; reach the same instance's log. */
    void *dl = dlopen(FAKE_BACKEND_PATH, RTLD_NOW | RTLD_NOLOAD);
    CHECK_MSG(dl != NULL, "clsvm did not load the fake backend %s", FAKE_BACKEND_PATH);
    fake_log = (const char *(*)(void))(uintptr_t)dlsym(dl, "fake_backend_log");
    fake_log_clear = (void (*)(void))(uintptr_t)dlsym(dl, "fake_backend_log_clear");
    fake_live = (int (*)(void))(uintptr_t)dlsym(dl, "fake_backend_live");
    CHECK(fake_log && fake_log_clear && fake_live);
    expect("clIcdGetPlatformIDsKHR");
    no_bad_handles("platform discovery");

    cl_device_id d = icd_test_device(p);
    /* A device query goes through to the backend and its answer comes back unchanged. */
    fake_log_clear();
    cl_uint cu = 0, mhz = 0;
    ICD_GET_INFO(clGetDeviceInfo, d, CL_DEVICE_MAX_COMPUTE_UNITS, cu);
    ICD_GET_INFO(clGetDeviceInfo, d, CL_DEVICE_MAX_CLOCK_FREQUENCY, mhz);
    CHECK_EQ(cu, 3);
    CHECK_EQ(mhz, 1234);
    expect("clGetDeviceInfo device#1 0x1002");
    no_bad_handles("clGetDeviceInfo");

    /* Context: the backend gets its own platform and device, not clsvm's. */
    fake_log_clear();
    cl_context c = icd_test_context(p, d);
    expect("clCreateContext platform=platform#1 devices=1:device#1 -> context#");
    no_bad_handles("clCreateContext");
    cl_device_id cd = NULL;
    ICD_GET_INFO(clGetContextInfo, c, CL_CONTEXT_DEVICES, cd);
    CHECK(cd == d);

    fake_log_clear();
    cl_command_queue q = icd_test_queue(c, d, NULL);
    expect("clCreateCommandQueueWithProperties context#1 device#1 -> queue#1");
    no_bad_handles("clCreateCommandQueueWithProperties");
    cl_context qc = NULL;
    ICD_GET_INFO(clGetCommandQueueInfo, q, CL_QUEUE_CONTEXT, qc);
    CHECK(qc == c);

    /* Buffers: bytes in, bytes out, through the backend's own storage. */
    fake_log_clear();
    unsigned char init[256], out[256];
    for (int i = 0; i < 256; i++)
        init[i] = (unsigned char)(i * 7 + 1);
    cl_mem m = icd_test_buffer(c, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, sizeof init, init);
    expect("clCreateBuffer context#1 flags=0x21 size=256 -> mem#1");
    cl_context mc = NULL;
    ICD_GET_INFO(clGetMemObjectInfo, m, CL_MEM_CONTEXT, mc);
    CHECK(mc == c);
    CHECK_CL(clSetMemObjectDestructorCallback(m, mem_dtor, NULL));

    unsigned char patch[16];
    memset(patch, 0xEE, sizeof patch);
    cl_event wev = NULL;
    CHECK_CL(clEnqueueWriteBuffer(q, m, CL_FALSE, 32, sizeof patch, patch, 0, NULL, &wev));
    expect("clEnqueueWriteBuffer queue#1 mem#1 blocking=0 off=32 size=16 waits=0");
    CHECK_CL(clEnqueueReadBuffer(q, m, CL_TRUE, 0, sizeof out, out, 1, &wev, NULL));
    expect("clEnqueueReadBuffer queue#1 mem#1 blocking=1 off=0 size=256 waits=1");
    for (int i = 0; i < 256; i++)
        CHECK_EQ(out[i], i >= 32 && i < 48 ? 0xEE : init[i]);
    no_bad_handles("buffers");

    /* Events come back as the app's wrappers, in info answers and in callbacks. */
    cl_command_queue eq = NULL;
    ICD_GET_INFO(clGetEventInfo, wev, CL_EVENT_COMMAND_QUEUE, eq);
    CHECK(eq == q);
    cl_command_type ct = 0;
    ICD_GET_INFO(clGetEventInfo, wev, CL_EVENT_COMMAND_TYPE, ct);
    CHECK_EQ(ct, CL_COMMAND_WRITE_BUFFER);
    CHECK_CL(clSetEventCallback(wev, CL_COMPLETE, ev_cb, NULL));
    CHECK_CL(clWaitForEvents(1, &wev));
    CHECK_CL(clFinish(q));
    CHECK_EQ(ev_cb_calls, 1);
    CHECK_MSG(ev_cb_seen == wev, "event callback got %p, the app's event is %p", (void *)ev_cb_seen,
              (void *)wev);
    no_bad_handles("events");

    /* Errors from the backend come back unchanged. */
    CHECK_CL_ERR(clEnqueueReadBuffer(q, m, CL_TRUE, 250, 16, out, 0, NULL, NULL), CL_INVALID_VALUE);

    /* Release everything: the backend must be left with no live objects. */
    fake_log_clear();
    CHECK_CL(clReleaseEvent(wev));
    CHECK_CL(clReleaseMemObject(m));
    CHECK_EQ(mem_dtor_calls, 1);
    CHECK_MSG(mem_dtor_seen == m, "mem destructor got %p, the app's mem is %p",
              (void *)mem_dtor_seen, (void *)m);
    CHECK_CL(clReleaseCommandQueue(q));
    CHECK_CL(clReleaseContext(c));
    expect("freed mem#1");
    expect("freed queue#1");
    expect("freed context#1");
    no_bad_handles("release");
    CHECK_MSG(fake_live() == 0, "the backend still has %d live objects:\n%s", fake_live(),
              fake_log());
    printf("ok\n");
    return 0;
}
