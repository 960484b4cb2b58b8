/* test_icd_callbacks: callbacks registered through clsvm must reach the app with the app's
 * handles (clsvm's wrappers) and the app's user_data, exactly once, at the right moment:
 * build notify, event CL_COMPLETE, mem object destructor (on the final release only, in
 * reverse registration order) and context destructor. */
#include "icd_test.h"

#include <stdatomic.h>
#include <time.h>

static const char *src = "__kernel void k(__global int *p) { p[get_global_id(0)] = 7; }\n";

/* Callbacks may run on a backend thread; wait for them with a generous bound so a missing
 * callback fails the test instead of hanging it. */
static int wait_flag(atomic_int *flag, int want)
{
    for (int i = 0; i < 20000; i++) {
        if (atomic_load(flag) >= want)
            return 1;
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    return 0;
}

static void CL_CALLBACK ctx_notify(const char *errinfo, const void *pi, size_t cb, void *ud)
{
    (void)errinfo;
    (void)pi;
    (void)cb;
    (void)ud;
}

struct build_cb {
    atomic_int calls;
    cl_program seen;
    unsigned magic;
};

static void CL_CALLBACK build_done(cl_program prog, void *ud)
{
    struct build_cb *b = ud;
    b->seen = prog;
    atomic_fetch_add(&b->calls, 1);
}

struct event_cb {
    atomic_int calls;
    cl_event seen;
    cl_int status;
    unsigned magic;
};

static void CL_CALLBACK event_done(cl_event ev, cl_int status, void *ud)
{
    struct event_cb *e = ud;
    e->seen = ev;
    e->status = status;
    atomic_fetch_add(&e->calls, 1);
}

/* Queries the event inside the callback: the handle must still be alive here. */
static void CL_CALLBACK event_status_cb(cl_event ev, cl_int status, void *ud)
{
    struct event_cb *e = ud;
    cl_int st = -999;
    e->seen = ev;
    e->status =
        clGetEventInfo(ev, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof st, &st, NULL) == CL_SUCCESS &&
                status == CL_COMPLETE
            ? st
            : -999;
    atomic_fetch_add(&e->calls, 1);
}

struct mem_cb {
    atomic_int calls;
    cl_mem seen;
    int order[2]; /* which callback ran first/second */
    atomic_int next;
};

static void CL_CALLBACK mem_gone_a(cl_mem m, void *ud)
{
    struct mem_cb *c = ud;
    c->seen = m;
    c->order[atomic_fetch_add(&c->next, 1) & 1] = 'a';
    atomic_fetch_add(&c->calls, 1);
}

static void CL_CALLBACK mem_gone_b(cl_mem m, void *ud)
{
    struct mem_cb *c = ud;
    c->seen = m;
    c->order[atomic_fetch_add(&c->next, 1) & 1] = 'b';
    atomic_fetch_add(&c->calls, 1);
}

struct ctx_cb {
    atomic_int calls;
    cl_context seen;
};

static void CL_CALLBACK ctx_gone(cl_context c, void *ud)
{
    struct ctx_cb *x = ud;
    x->seen = c;
    atomic_fetch_add(&x->calls, 1);
}

int main(void)
{
    cl_platform_id p = icd_test_platform();
    cl_device_id d = icd_test_device(p);
    cl_int err = CL_SUCCESS;

    /* Context with a notify callback: accepted, and the context works. */
    cl_context_properties props[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)p, 0};
    cl_context c = clCreateContext(props, 1, &d, ctx_notify, NULL, &err);
    CHECK_CL(err);
    cl_command_queue q = icd_test_queue(c, d, NULL);

    /* Context destructor callback: registered now, must not run until the last release. */
    static struct ctx_cb cc;
    CHECK_CL(clSetContextDestructorCallback(c, ctx_gone, &cc));
    CHECK_CL_ERR(clSetContextDestructorCallback(c, NULL, &cc), CL_INVALID_VALUE);

    /* Program build callback: gets the app's program and user_data. */
    static struct build_cb bc = {.magic = 0xb11d};
    cl_program prog = clCreateProgramWithSource(c, 1, &src, NULL, &err);
    CHECK_CL(err);
    err = clBuildProgram(prog, 1, &d, NULL, build_done, &bc);
    CHECK_MSG(err == CL_SUCCESS, "clBuildProgram with a callback: %s", icd_err_name(err));
    CHECK_MSG(wait_flag(&bc.calls, 1), "build callback never ran");
    CHECK_EQ(atomic_load(&bc.calls), 1);
    CHECK_MSG(bc.seen == prog, "build callback got program %p, the app's is %p", (void *)bc.seen,
              (void *)prog);
    CHECK_EQ(bc.magic, 0xb11d);
    cl_build_status bs = CL_BUILD_NONE;
    CHECK_CL(clGetProgramBuildInfo(prog, d, CL_PROGRAM_BUILD_STATUS, sizeof bs, &bs, NULL));
    CHECK_EQ(bs, CL_BUILD_SUCCESS);

    /* Event callback on CL_COMPLETE: gets the app's event handle. */
    cl_kernel k = icd_test_kernel(prog, "k");
    cl_mem buf = icd_test_buffer(c, CL_MEM_READ_WRITE, 64 * sizeof(cl_int), NULL);
    CHECK_CL(clSetKernelArg(k, 0, sizeof buf, &buf));
    cl_event gate = clCreateUserEvent(c, &err);
    CHECK_CL(err);
    static struct event_cb ec = {.magic = 0xe7e7};
    size_t gws = 64;
    cl_event ev = NULL;
    CHECK_CL(clEnqueueNDRangeKernel(q, k, 1, NULL, &gws, NULL, 1, &gate, &ev));
    CHECK_CL(clSetEventCallback(ev, CL_COMPLETE, event_done, &ec));
    CHECK_CL_ERR(clSetEventCallback(ev, CL_COMPLETE, NULL, &ec), CL_INVALID_VALUE);
    CHECK_CL_ERR(clSetEventCallback(ev, 12345, event_done, &ec), CL_INVALID_VALUE);
    CHECK_CL(clFlush(q));
    CHECK_EQ(atomic_load(&ec.calls), 0); /* gated by the user event: cannot have completed */
    CHECK_CL(clSetUserEventStatus(gate, CL_COMPLETE));
    CHECK_CL(clFinish(q));
    CHECK_MSG(wait_flag(&ec.calls, 1), "event callback never ran");
    CHECK_EQ(atomic_load(&ec.calls), 1);
    CHECK_MSG(ec.seen == ev, "event callback got event %p, the app's is %p", (void *)ec.seen,
              (void *)ev);
    CHECK_EQ(ec.status, CL_COMPLETE);
    CHECK_EQ(ec.magic, 0xe7e7);
    /* Registering on an already complete event still calls back. */
    static struct event_cb ec2;
    CHECK_CL(clSetEventCallback(ev, CL_COMPLETE, event_done, &ec2));
    CHECK_MSG(wait_flag(&ec2.calls, 1), "callback on a completed event never ran");
    CHECK(ec2.seen == ev);
    /* The app may release its event before it completes; the callback still runs, with a
     * handle that is valid during the callback (ASan catches a wrapper freed too early). */
    static struct event_cb ec3;
    cl_event gate2 = clCreateUserEvent(c, &err);
    CHECK_CL(err);
    cl_event ev3 = NULL;
    CHECK_CL(clEnqueueNDRangeKernel(q, k, 1, NULL, &gws, NULL, 1, &gate2, &ev3));
    CHECK_CL(clSetEventCallback(ev3, CL_COMPLETE, event_status_cb, &ec3));
    cl_event ev3_app = ev3;
    CHECK_CL(clReleaseEvent(ev3));
    CHECK_CL(clSetUserEventStatus(gate2, CL_COMPLETE));
    CHECK_CL(clFinish(q));
    CHECK_MSG(wait_flag(&ec3.calls, 1), "callback on a released event never ran");
    CHECK_MSG(ec3.seen == ev3_app, "callback got %p, the app's (released) event was %p",
              (void *)ec3.seen, (void *)ev3_app);
    CHECK_EQ(ec3.status, CL_COMPLETE); /* what the callback itself read from the event */
    CHECK_CL(clReleaseEvent(gate2));

    cl_int out[64];
    CHECK_CL(clEnqueueReadBuffer(q, buf, CL_TRUE, 0, sizeof out, out, 0, NULL, NULL));
    for (int i = 0; i < 64; i++)
        CHECK_EQ(out[i], 7);

    /* Mem destructor callbacks: app's handle, only on the final release, newest first. */
    static struct mem_cb mc;
    cl_mem m = icd_test_buffer(c, CL_MEM_READ_WRITE, 256, NULL);
    CHECK_CL(clSetMemObjectDestructorCallback(m, mem_gone_a, &mc));
    CHECK_CL(clSetMemObjectDestructorCallback(m, mem_gone_b, &mc));
    CHECK_CL(clRetainMemObject(m));
    CHECK_CL(clReleaseMemObject(m));
    CHECK_EQ(atomic_load(&mc.calls), 0);
    CHECK_CL(clReleaseMemObject(m));
    CHECK_CL(clFinish(q));
    CHECK_MSG(wait_flag(&mc.calls, 2), "mem destructor callbacks ran %d times, want 2",
              atomic_load(&mc.calls));
    CHECK_MSG(mc.seen == m, "mem destructor got %p, the app's mem is %p", (void *)mc.seen,
              (void *)m);
    CHECK_MSG(mc.order[0] == 'b' && mc.order[1] == 'a',
              "destructor callbacks must run in reverse registration order");

    CHECK_CL(clReleaseEvent(ev));
    CHECK_CL(clReleaseEvent(gate));
    CHECK_CL(clReleaseMemObject(buf));
    CHECK_CL(clReleaseKernel(k));
    CHECK_CL(clReleaseProgram(prog));
    CHECK_CL(clReleaseCommandQueue(q));
    CHECK_EQ(atomic_load(&cc.calls), 0);
    CHECK_CL(clReleaseContext(c));
    CHECK_MSG(wait_flag(&cc.calls, 1), "context destructor callback never ran");
    CHECK_EQ(atomic_load(&cc.calls), 1);
    CHECK_MSG(cc.seen == c, "context destructor got %p, the app's context is %p", (void *)cc.seen,
              (void *)c);
    printf("ok\n");
    return 0;
}
