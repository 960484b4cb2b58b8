/* test_icd_events: event wrappers in wait lists, user events gating real work, markers and
 * barriers with wait lists, profiling info, and error propagation from a failed user event.
 * Every wait list the app passes holds clsvm wrappers that clsvm must unwrap for the backend. */
#include "icd_test.h"

enum { N = 4096 };

static cl_int event_status(cl_event e)
{
    cl_int s = 0;
    ICD_GET_INFO(clGetEventInfo, e, CL_EVENT_COMMAND_EXECUTION_STATUS, s);
    return s;
}

static cl_command_type event_type(cl_event e)
{
    cl_command_type t = 0;
    ICD_GET_INFO(clGetEventInfo, e, CL_EVENT_COMMAND_TYPE, t);
    return t;
}

static void read_ints(cl_command_queue q, cl_mem m, cl_int *out)
{
    CHECK_CL(clEnqueueReadBuffer(q, m, CL_TRUE, 0, N * sizeof(cl_int), out, 0, NULL, NULL));
}

/* A copy gated by a user event does not run until the event completes. The destination is
 * read on a second queue, which is not blocked by the gate. */
static void user_event_gate(cl_context c, cl_device_id d, cl_command_queue q)
{
    static cl_int src[N], dst[N], out[N];
    for (int i = 0; i < N; i++) {
        src[i] = 3 * i + 1;
        dst[i] = -1;
    }
    cl_mem ms = icd_test_buffer(c, CL_MEM_COPY_HOST_PTR, sizeof src, src);
    cl_mem md = icd_test_buffer(c, CL_MEM_COPY_HOST_PTR, sizeof dst, dst);
    cl_command_queue q2 = icd_test_queue(c, d, NULL);
    cl_int err = CL_SUCCESS;
    cl_event gate = clCreateUserEvent(c, &err);
    CHECK_CL(err);
    CHECK_EQ(event_status(gate), CL_SUBMITTED); /* the spec's initial user event status */
    CHECK_EQ(event_type(gate), CL_COMMAND_USER);

    cl_event copy = NULL, marker = NULL;
    CHECK_CL(clEnqueueCopyBuffer(q, ms, md, 0, 0, sizeof src, 1, &gate, &copy));
    CHECK_CL(clEnqueueMarkerWithWaitList(q, 1, &copy, &marker));
    CHECK_CL(clFlush(q));
    CHECK_EQ(event_type(copy), CL_COMMAND_COPY_BUFFER);
    CHECK_EQ(event_type(marker), CL_COMMAND_MARKER);
    cl_int st = event_status(copy);
    CHECK_MSG(st >= CL_SUBMITTED, "gated copy has status %d before the gate opened", st);
    CHECK_MSG(event_status(marker) >= CL_SUBMITTED, "marker done before the copy");
    read_ints(q2, md, out);
    for (int i = 0; i < N; i++)
        CHECK_MSG(out[i] == -1, "dst[%d] = %d: the copy ran before its user event completed", i,
                  out[i]);

    CHECK_CL(clSetUserEventStatus(gate, CL_COMPLETE));
    CHECK_CL_ERR(clSetUserEventStatus(gate, CL_COMPLETE), CL_INVALID_OPERATION);
    CHECK_CL(clWaitForEvents(1, &marker));
    CHECK_EQ(event_status(copy), CL_COMPLETE);
    CHECK_EQ(event_status(marker), CL_COMPLETE);
    read_ints(q2, md, out);
    for (int i = 0; i < N; i++)
        CHECK_EQ(out[i], src[i]);

    CHECK_CL(clReleaseEvent(marker));
    CHECK_CL(clReleaseEvent(copy));
    CHECK_CL(clReleaseEvent(gate));
    CHECK_CL(clReleaseCommandQueue(q2));
    CHECK_CL(clReleaseMemObject(ms));
    CHECK_CL(clReleaseMemObject(md));
}

/* Cross-queue wait lists, clWaitForEvents on several events, a barrier with a wait list. */
static void wait_lists(cl_context c, cl_device_id d, cl_command_queue q)
{
    static cl_int a[N], b[N], out[N];
    for (int i = 0; i < N; i++)
        a[i] = i ^ 0x5555;
    cl_mem ma = icd_test_buffer(c, CL_MEM_READ_WRITE, sizeof a, NULL);
    cl_mem mb = icd_test_buffer(c, CL_MEM_READ_WRITE, sizeof b, NULL);
    cl_command_queue q2 = icd_test_queue(c, d, NULL);
    cl_event w = NULL, cp = NULL, ev[2];
    CHECK_CL(clEnqueueWriteBuffer(q, ma, CL_FALSE, 0, sizeof a, a, 0, NULL, &w));
    CHECK_CL(clEnqueueCopyBuffer(q2, ma, mb, 0, 0, sizeof a, 1, &w, &cp)); /* other queue */
    ev[0] = w;
    ev[1] = cp;
    CHECK_CL(clFlush(q));
    CHECK_CL(clFlush(q2));
    CHECK_CL(clWaitForEvents(2, ev));
    CHECK_EQ(event_status(w), CL_COMPLETE);
    CHECK_EQ(event_status(cp), CL_COMPLETE);

    cl_event barrier = NULL;
    CHECK_CL(clEnqueueBarrierWithWaitList(q, 2, ev, &barrier));
    CHECK_EQ(event_type(barrier), CL_COMMAND_BARRIER);
    CHECK_CL(clEnqueueReadBuffer(q, mb, CL_TRUE, 0, sizeof out, out, 1, &barrier, NULL));
    CHECK(memcmp(out, a, sizeof a) == 0);

    /* Markers/barriers without a wait list wait for everything before them. */
    cl_event m2 = NULL;
    CHECK_CL(clEnqueueMarkerWithWaitList(q2, 0, NULL, &m2));
    CHECK_CL(clEnqueueBarrierWithWaitList(q2, 0, NULL, NULL));
    CHECK_CL(clWaitForEvents(1, &m2));

    CHECK_CL_ERR(clWaitForEvents(0, ev), CL_INVALID_VALUE);
    CHECK_CL_ERR(clEnqueueMarkerWithWaitList(q, 1, NULL, NULL), CL_INVALID_EVENT_WAIT_LIST);
    CHECK_CL_ERR(clEnqueueBarrierWithWaitList(q, 0, ev, NULL), CL_INVALID_EVENT_WAIT_LIST);

    cl_event evs[] = {w, cp, barrier, m2};
    for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++)
        CHECK_CL(clReleaseEvent(evs[i]));
    CHECK_CL(clReleaseCommandQueue(q2));
    CHECK_CL(clReleaseMemObject(ma));
    CHECK_CL(clReleaseMemObject(mb));
}

static void profiling(cl_context c, cl_device_id d)
{
    cl_queue_properties props[] = {CL_QUEUE_PROPERTIES, CL_QUEUE_PROFILING_ENABLE, 0};
    cl_command_queue pq = icd_test_queue(c, d, props);
    cl_command_queue_properties qp = 0;
    ICD_GET_INFO(clGetCommandQueueInfo, pq, CL_QUEUE_PROPERTIES, qp);
    CHECK(qp & CL_QUEUE_PROFILING_ENABLE);
    static cl_int data[N];
    cl_mem m = icd_test_buffer(c, CL_MEM_READ_WRITE, sizeof data, NULL);
    cl_event e = NULL;
    CHECK_CL(clEnqueueWriteBuffer(pq, m, CL_TRUE, 0, sizeof data, data, 0, NULL, &e));
    CHECK_CL(clWaitForEvents(1, &e));
    cl_ulong t[4] = {0};
    const cl_profiling_info what[4] = {CL_PROFILING_COMMAND_QUEUED, CL_PROFILING_COMMAND_SUBMIT,
                                       CL_PROFILING_COMMAND_START, CL_PROFILING_COMMAND_END};
    for (int i = 0; i < 4; i++) {
        size_t sz = 0;
        CHECK_CL(clGetEventProfilingInfo(e, what[i], sizeof t[i], &t[i], &sz));
        CHECK_EQ(sz, sizeof(cl_ulong));
    }
    CHECK_MSG(t[0] != 0 && t[0] <= t[1] && t[1] <= t[2] && t[2] <= t[3],
              "profiling stamps out of order: %llu %llu %llu %llu", (unsigned long long)t[0],
              (unsigned long long)t[1], (unsigned long long)t[2], (unsigned long long)t[3]);
    cl_uint small = 0;
    CHECK_CL_ERR(clGetEventProfilingInfo(e, CL_PROFILING_COMMAND_END, sizeof small, &small, NULL),
                 CL_INVALID_VALUE);
    CHECK_CL(clReleaseEvent(e));

    /* Without profiling the info is not available, and user events never have it. */
    cl_command_queue q = icd_test_queue(c, d, NULL);
    CHECK_CL(clEnqueueWriteBuffer(q, m, CL_TRUE, 0, sizeof data, data, 0, NULL, &e));
    CHECK_CL_ERR(clGetEventProfilingInfo(e, CL_PROFILING_COMMAND_START, sizeof t[0], &t[0], NULL),
                 CL_PROFILING_INFO_NOT_AVAILABLE);
    CHECK_CL(clReleaseEvent(e));
    cl_int err = CL_SUCCESS;
    cl_event u = clCreateUserEvent(c, &err);
    CHECK_CL(err);
    CHECK_CL_ERR(clGetEventProfilingInfo(u, CL_PROFILING_COMMAND_START, sizeof t[0], &t[0], NULL),
                 CL_PROFILING_INFO_NOT_AVAILABLE);
    CHECK_CL(clSetUserEventStatus(u, CL_COMPLETE));
    CHECK_CL(clReleaseEvent(u));
    CHECK_CL(clReleaseCommandQueue(q));
    CHECK_CL(clReleaseCommandQueue(pq));
    CHECK_CL(clReleaseMemObject(m));
}

/* A user event set to a negative status fails its dependants, which must not run. */
static void failed_user_event(cl_context c, cl_device_id d)
{
    static cl_int src[N], dst[N], out[N];
    for (int i = 0; i < N; i++) {
        src[i] = i;
        dst[i] = -7;
    }
    cl_mem ms = icd_test_buffer(c, CL_MEM_COPY_HOST_PTR, sizeof src, src);
    cl_mem md = icd_test_buffer(c, CL_MEM_COPY_HOST_PTR, sizeof dst, dst);
    cl_command_queue q = icd_test_queue(c, d, NULL);
    cl_int err = CL_SUCCESS;
    cl_event gate = clCreateUserEvent(c, &err);
    CHECK_CL(err);
    cl_event copy = NULL;
    CHECK_CL(clEnqueueCopyBuffer(q, ms, md, 0, 0, sizeof src, 1, &gate, &copy));
    CHECK_CL(clFlush(q));
    CHECK_CL(clSetUserEventStatus(gate, -1234));
    CHECK_EQ(event_status(gate), -1234);
    err = clWaitForEvents(1, &copy);
    CHECK_CL_ERR(err, CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST);
    cl_int st = event_status(copy);
    CHECK_MSG(st < 0, "dependant of a failed user event has status %d, want < 0", st);

    /* The failed command did not copy; a fresh queue still sees the old data. */
    cl_command_queue q2 = icd_test_queue(c, d, NULL);
    read_ints(q2, md, out);
    for (int i = 0; i < N; i++)
        CHECK_EQ(out[i], -7);
    CHECK_CL(clReleaseCommandQueue(q2));
    CHECK_CL(clReleaseEvent(copy));
    CHECK_CL(clReleaseEvent(gate));
    clReleaseCommandQueue(q); /* may report the failed command; the release itself must work */
    CHECK_CL(clReleaseMemObject(ms));
    CHECK_CL(clReleaseMemObject(md));
}

int main(void)
{
    cl_platform_id p = icd_test_platform();
    cl_device_id d = icd_test_device(p);
    cl_context c = icd_test_context(p, d);
    cl_command_queue q = icd_test_queue(c, d, NULL);

    user_event_gate(c, d, q);
    printf("user event gate ok\n");
    wait_lists(c, d, q);
    printf("wait lists ok\n");
    profiling(c, d);
    printf("profiling ok\n");
    failed_user_event(c, d);
    printf("failed user event ok\n");

    CHECK_CL(clReleaseCommandQueue(q));
    CHECK_CL(clReleaseContext(c));
    printf("ok\n");
    return 0;
}
