/* test_icd_refcount: retain/release and CL_*_REFERENCE_COUNT on clsvm's wrappers, and the
 * implicit retains the spec requires (kernel->program, queue->context, sub-buffer->parent).
 * The app releases the "owner" first; the dependent object must keep it alive, and the owner
 * must really die (its destructor callback runs) once the dependant goes. Run under ASan, a
 * wrapper freed too early is a use-after-free and one never freed is a leak. */
#include "icd_test.h"

#include <stdatomic.h>
#include <time.h>

static const char *src = "__kernel void inc(__global int *p) { p[get_global_id(0)] += 1; }\n";

static atomic_int ctx_dead, parent_dead;

static void CL_CALLBACK on_ctx_dead(cl_context c, void *ud)
{
    (void)c;
    (void)ud;
    atomic_fetch_add(&ctx_dead, 1);
}

static void CL_CALLBACK on_parent_dead(cl_mem m, void *ud)
{
    (void)m;
    (void)ud;
    atomic_fetch_add(&parent_dead, 1);
}

static int wait_flag(atomic_int *flag)
{
    for (int i = 0; i < 20000 && atomic_load(flag) == 0; i++) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    return atomic_load(flag) != 0;
}

/* Reference counts may include the implementation's own retains, so only deltas are exact. */
static cl_uint ctx_refs(cl_context c)
{
    cl_uint n = 0;
    ICD_GET_INFO(clGetContextInfo, c, CL_CONTEXT_REFERENCE_COUNT, n);
    return n;
}
static cl_uint queue_refs(cl_command_queue q)
{
    cl_uint n = 0;
    ICD_GET_INFO(clGetCommandQueueInfo, q, CL_QUEUE_REFERENCE_COUNT, n);
    return n;
}
static cl_uint mem_refs(cl_mem m)
{
    cl_uint n = 0;
    ICD_GET_INFO(clGetMemObjectInfo, m, CL_MEM_REFERENCE_COUNT, n);
    return n;
}
static cl_uint prog_refs(cl_program p)
{
    cl_uint n = 0;
    ICD_GET_INFO(clGetProgramInfo, p, CL_PROGRAM_REFERENCE_COUNT, n);
    return n;
}
static cl_uint kernel_refs(cl_kernel k)
{
    cl_uint n = 0;
    ICD_GET_INFO(clGetKernelInfo, k, CL_KERNEL_REFERENCE_COUNT, n);
    return n;
}
static cl_uint event_refs(cl_event e)
{
    cl_uint n = 0;
    ICD_GET_INFO(clGetEventInfo, e, CL_EVENT_REFERENCE_COUNT, n);
    return n;
}

static void explicit_counts(cl_context c, cl_device_id d)
{
    cl_uint n0 = ctx_refs(c);
    CHECK(n0 >= 1);
    CHECK_CL(clRetainContext(c));
    CHECK_EQ(ctx_refs(c), n0 + 1);
    CHECK_CL(clReleaseContext(c));
    CHECK_EQ(ctx_refs(c), n0);

    cl_command_queue q = icd_test_queue(c, d, NULL);
    n0 = queue_refs(q);
    CHECK(n0 >= 1);
    CHECK_CL(clRetainCommandQueue(q));
    CHECK_CL(clRetainCommandQueue(q));
    CHECK_EQ(queue_refs(q), n0 + 2);
    CHECK_CL(clReleaseCommandQueue(q));
    CHECK_CL(clReleaseCommandQueue(q));
    CHECK_EQ(queue_refs(q), n0);

    cl_mem m = icd_test_buffer(c, CL_MEM_READ_WRITE, 128, NULL);
    CHECK_EQ(mem_refs(m), 1); /* a fresh buffer nobody else uses */
    CHECK_CL(clRetainMemObject(m));
    CHECK_EQ(mem_refs(m), 2);
    CHECK_CL(clReleaseMemObject(m));
    CHECK_EQ(mem_refs(m), 1);

    cl_program p = icd_test_program(c, d, src, NULL);
    n0 = prog_refs(p);
    CHECK_CL(clRetainProgram(p));
    CHECK_EQ(prog_refs(p), n0 + 1);
    CHECK_CL(clReleaseProgram(p));
    cl_kernel k = icd_test_kernel(p, "inc");
    cl_uint k0 = kernel_refs(k);
    CHECK_CL(clRetainKernel(k));
    CHECK_EQ(kernel_refs(k), k0 + 1);
    CHECK_CL(clReleaseKernel(k));
    CHECK_EQ(kernel_refs(k), k0);

    cl_int err = CL_SUCCESS;
    cl_event e = clCreateUserEvent(c, &err);
    CHECK_CL(err);
    n0 = event_refs(e);
    CHECK_CL(clRetainEvent(e));
    CHECK_EQ(event_refs(e), n0 + 1);
    CHECK_CL(clReleaseEvent(e));
    CHECK_EQ(event_refs(e), n0);
    CHECK_CL(clSetUserEventStatus(e, CL_COMPLETE));
    CHECK_CL(clReleaseEvent(e));

    /* Handles whose lifetime is the platform's: retain/release succeed and change nothing. */
    CHECK_CL(clRetainDevice(d));
    CHECK_CL(clReleaseDevice(d));
    cl_uint drefs = 0;
    ICD_GET_INFO(clGetDeviceInfo, d, CL_DEVICE_REFERENCE_COUNT, drefs);
    CHECK_EQ(drefs, 1); /* root devices always report 1 */

    CHECK_CL(clReleaseKernel(k));
    CHECK_CL(clReleaseProgram(p));
    CHECK_CL(clReleaseMemObject(m));
    CHECK_CL(clReleaseCommandQueue(q));
}

static atomic_int ctx2_dead, ev_fired;

static void CL_CALLBACK on_ctx2_dead(cl_context c, void *ud)
{
    (void)c;
    (void)ud;
    atomic_fetch_add(&ctx2_dead, 1);
}

static void CL_CALLBACK on_ev_done(cl_event e, cl_int status, void *ud)
{
    (void)ud;
    /* The application released its reference before: the callback's keeps the handle valid. */
    cl_int st = 1;
    if (status == CL_COMPLETE &&
        clGetEventInfo(e, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof st, &st, NULL) == CL_SUCCESS &&
        st == CL_COMPLETE)
        atomic_store(&ev_fired, 1);
    else
        atomic_store(&ev_fired, -1);
}

/* Releasing once too often is refused with the type's error while clsvm's own references (SVM,
 * kernels, sub-buffers, pending events and callbacks) keep the object alive for their users;
 * the counts the application sees are its own. */
static void over_release(cl_platform_id plat, cl_device_id d)
{
    /* Context kept by an SVM allocation: the second release must not strand the memory. */
    cl_context c = icd_test_context(plat, d);
    CHECK_CL(clSetContextDestructorCallback(c, on_ctx2_dead, NULL));
    unsigned char *p = clSVMAlloc(c, CL_MEM_READ_WRITE | CL_MEM_SVM_FINE_GRAIN_BUFFER, 4096, 0);
    CHECK(p != NULL);
    memset(p, 0x5a, 4096);
    CHECK_EQ(ctx_refs(c), 1); /* the allocation's hold is not the application's */
    CHECK_CL(clReleaseContext(c));
    CHECK_EQ(clReleaseContext(c), CL_INVALID_CONTEXT);
    CHECK_EQ(clRetainContext(c) == CL_SUCCESS && clReleaseContext(c) == CL_SUCCESS, 1);
    CHECK_EQ(clReleaseContext(c), CL_INVALID_CONTEXT);
    CHECK_EQ(ctx_refs(c), 0);
    CHECK_EQ(atomic_load(&ctx2_dead), 0);
    for (int i = 0; i < 4096; i++)
        CHECK_EQ(p[i], 0x5a);
    clSVMFree(c, p); /* the context given to clSVMAlloc, which the allocation kept alive */
    CHECK_MSG(wait_flag(&ctx2_dead), "context not destroyed after its SVM was freed");
    cl_uint n = 0;
    CHECK_EQ(clGetContextInfo(c, CL_CONTEXT_REFERENCE_COUNT, sizeof n, &n, NULL),
             CL_INVALID_CONTEXT);
    CHECK_EQ(clReleaseContext(c), CL_INVALID_CONTEXT);
    printf("context over-release refused, SVM freed, context destroyed ok\n");

    c = icd_test_context(plat, d);
    cl_command_queue q = icd_test_queue(c, d, NULL);
    cl_int err = CL_SUCCESS;
    cl_event ue = clCreateUserEvent(c, &err);
    CHECK_CL(err);
    cl_event marker = NULL;
    CHECK_CL(clEnqueueMarkerWithWaitList(q, 1, &ue, &marker));
    CHECK_CL(clSetEventCallback(marker, CL_COMPLETE, on_ev_done, NULL));
    /* Queue kept by its pending marker, marker by its callback. */
    CHECK_CL(clReleaseCommandQueue(q));
    CHECK_EQ(clReleaseCommandQueue(q), CL_INVALID_COMMAND_QUEUE);
    CHECK_EQ(queue_refs(q), 0);
    CHECK_CL(clReleaseEvent(marker));
    CHECK_EQ(clReleaseEvent(marker), CL_INVALID_EVENT);
    CHECK_EQ(event_refs(marker), 0);
    CHECK_CL(clSetUserEventStatus(ue, CL_COMPLETE));
    CHECK_MSG(wait_flag(&ev_fired), "marker callback did not run");
    CHECK_EQ(atomic_load(&ev_fired), 1);
    CHECK_CL(clReleaseEvent(ue));
    CHECK_EQ(clReleaseEvent(ue), CL_INVALID_EVENT);

    /* Buffer kept by its sub-buffer, program by its kernel. */
    cl_mem parent = icd_test_buffer(c, CL_MEM_READ_WRITE, 1024, NULL);
    cl_buffer_region r = {0, 512};
    cl_mem sub = clCreateSubBuffer(parent, 0, CL_BUFFER_CREATE_TYPE_REGION, &r, &err);
    CHECK_CL(err);
    CHECK_CL(clReleaseMemObject(parent));
    CHECK_EQ(clReleaseMemObject(parent), CL_INVALID_MEM_OBJECT);
    CHECK_EQ(mem_refs(parent), 0);
    CHECK_CL(clReleaseMemObject(sub));
    CHECK_EQ(clReleaseMemObject(sub), CL_INVALID_MEM_OBJECT);
    cl_program prog = icd_test_program(c, d, src, NULL);
    cl_kernel k = icd_test_kernel(prog, "inc");
    CHECK_CL(clReleaseProgram(prog));
    CHECK_EQ(clReleaseProgram(prog), CL_INVALID_PROGRAM);
    CHECK_CL(clReleaseKernel(k));
    CHECK_EQ(clReleaseKernel(k), CL_INVALID_KERNEL);
    CHECK_EQ(clReleaseProgram(prog), CL_INVALID_PROGRAM);
    cl_sampler smp = clCreateSampler(c, CL_FALSE, CL_ADDRESS_NONE, CL_FILTER_NEAREST, &err);
    CHECK_CL(err);
    CHECK_CL(clReleaseSampler(smp));
    CHECK_EQ(clReleaseSampler(smp), CL_INVALID_SAMPLER);

    /* A sub-device kept by the context made on it. */
    cl_device_partition_property props[] = {CL_DEVICE_PARTITION_EQUALLY, 1, 0};
    cl_device_id sd = NULL;
    cl_uint nsd = 0;
    if (clCreateSubDevices(d, props, 1, &sd, &nsd) == CL_SUCCESS && nsd >= 1) {
        cl_context sc = clCreateContext(NULL, 1, &sd, NULL, NULL, &err);
        CHECK_CL(err);
        CHECK_CL(clReleaseDevice(sd));
        CHECK_EQ(clReleaseDevice(sd), CL_INVALID_DEVICE);
        cl_uint drefs = 9;
        ICD_GET_INFO(clGetDeviceInfo, sd, CL_DEVICE_REFERENCE_COUNT, drefs);
        CHECK_EQ(drefs, 0);
        CHECK_CL(clReleaseContext(sc));
        printf("sub-device over-release refused ok\n");
    } else {
        printf("sub-device case not run: the device cannot be partitioned\n");
    }
    CHECK_CL(clReleaseContext(c));
    CHECK_EQ(clReleaseContext(c), CL_INVALID_CONTEXT);
    printf("over-release refused for every kind ok\n");
}

int main(void)
{
    cl_platform_id p = icd_test_platform();
    cl_device_id d = icd_test_device(p);
    cl_context c = icd_test_context(p, d);
    explicit_counts(c, d);
    printf("explicit counts ok\n");
    over_release(p, d);

    CHECK_CL(clSetContextDestructorCallback(c, on_ctx_dead, NULL));
    cl_command_queue q = icd_test_queue(c, d, NULL);
    cl_program prog = icd_test_program(c, d, src, NULL);
    cl_kernel k = icd_test_kernel(prog, "inc");

    /* kernel -> program: the app drops its program; the kernel still knows and uses it. */
    CHECK_CL(clReleaseProgram(prog));
    cl_program kp = NULL;
    ICD_GET_INFO(clGetKernelInfo, k, CL_KERNEL_PROGRAM, kp);
    CHECK(kp == prog);
    cl_uint nk = 0;
    size_t nks = 0;
    ICD_GET_INFO(clGetProgramInfo, kp, CL_PROGRAM_NUM_KERNELS, nks);
    CHECK_EQ(nks, 1);
    cl_kernel k2 = NULL;
    CHECK_CL(clCreateKernelsInProgram(kp, 1, &k2, &nk)); /* the program is fully usable */
    CHECK_EQ(nk, 1);
    CHECK_CL(clReleaseKernel(k2));
    printf("kernel keeps program ok\n");

    /* queue -> context: the app drops its context; the queue keeps working. */
    CHECK_CL(clReleaseContext(c));
    CHECK_EQ(atomic_load(&ctx_dead), 0);
    cl_context qc = NULL;
    ICD_GET_INFO(clGetCommandQueueInfo, q, CL_QUEUE_CONTEXT, qc);
    CHECK(qc == c);
    /* The count is the application's (it holds none now); the queue's hold is clsvm's. */
    CHECK_EQ(ctx_refs(qc), 0);

    /* sub-buffer -> parent: the app drops the parent; the sub-buffer keeps it. */
    enum { N = 1024 };
    static cl_int init[N];
    for (int i = 0; i < N; i++)
        init[i] = i;
    cl_mem parent =
        icd_test_buffer(qc, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, sizeof init, init);
    CHECK_CL(clSetMemObjectDestructorCallback(parent, on_parent_dead, NULL));
    cl_buffer_region r = {0, N / 2 * sizeof(cl_int)};
    cl_int err = CL_SUCCESS;
    cl_mem sub = clCreateSubBuffer(parent, 0, CL_BUFFER_CREATE_TYPE_REGION, &r, &err);
    CHECK_CL(err);
    CHECK_CL(clReleaseMemObject(parent));
    CHECK_EQ(atomic_load(&parent_dead), 0);
    cl_mem assoc = NULL;
    ICD_GET_INFO(clGetMemObjectInfo, sub, CL_MEM_ASSOCIATED_MEMOBJECT, assoc);
    CHECK(assoc == parent);
    size_t psize = 0;
    ICD_GET_INFO(clGetMemObjectInfo, assoc, CL_MEM_SIZE, psize);
    CHECK_EQ(psize, sizeof init);

    CHECK_CL(clSetKernelArg(k, 0, sizeof sub, &sub));
    size_t gws = N / 2;
    CHECK_CL(clEnqueueNDRangeKernel(q, k, 1, NULL, &gws, NULL, 0, NULL, NULL));
    static cl_int out[N];
    CHECK_CL(clEnqueueReadBuffer(q, assoc, CL_TRUE, 0, sizeof out, out, 0, NULL, NULL));
    for (int i = 0; i < N; i++)
        CHECK_EQ(out[i], i < N / 2 ? i + 1 : i);
    printf("queue keeps context, sub-buffer keeps parent ok\n");

    /* Dropping the dependants really frees the owners. */
    CHECK_CL(clReleaseMemObject(sub));
    CHECK_MSG(wait_flag(&parent_dead), "parent not destroyed after its sub-buffer went");
    CHECK_CL(clReleaseKernel(k));
    CHECK_CL(clFinish(q));
    CHECK_CL(clReleaseCommandQueue(q));
    CHECK_MSG(wait_flag(&ctx_dead), "context not destroyed after its last queue went");
    CHECK_EQ(atomic_load(&ctx_dead), 1);
    printf("ok\n");
    return 0;
}
