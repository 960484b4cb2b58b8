/* test_oclc20_nonuniform: OpenCL 2.0 non-uniform work-groups (kernels/cl20/nonuniform20.cl,
 * docs/opencl-c-2.0.md). Every work-item's get_global_id, get_local_id, get_local_size,
 * get_enqueued_local_size, get_group_id, get_num_groups, get_global_size, get_global_offset,
 * get_work_dim and linear ids are compared with the values the API specification gives, for 1D,
 * 2D and 3D NDRanges with remainder groups, global offsets, a local size larger than the global
 * size and no local size; a local-memory reduction with a barrier in remainder groups; one
 * event for the whole NDRange that waits for its wait list (in-order and out-of-order queues)
 * and whose profiling times span all of its parts;
 * the local size checks; reqd_work_group_size (with a work_group_size_hint, and from an -I
 * header) reported and enforced; compile + link and objects through binaries; programs built as
 * OpenCL C 1.2 or with -cl-uniform-work-group-size still refused, and objects of both kinds not
 * linked together; CL_DEVICE_NON_UNIFORM_WORK_GROUP_SUPPORT true. */
#include "oclc20/oclc20_test.h"

#include "nonuniform20_cl.h"

#include <unistd.h>

enum { REC = 28, MAX_ITEMS = 512 };

typedef struct shape {
    cl_uint dim;
    size_t global[3], local[3], offset[3];
    int no_local, no_offset; /* NULL instead of local (then local, if set, is the expected
                                  choice) or offset */
} shape;

/* The local size of the group holding global index i (relative to the offset) in dimension d. */
static size_t local_of(size_t g, size_t l, size_t i)
{
    size_t full = g / l * l;
    return i < full ? l : g - full;
}

/* Runs "record" over s on q and checks every work-item's values. Returns the enqueue's error
 * (nothing is checked unless it is CL_SUCCESS); ev, when not NULL, gets the event (the caller
 * waits for it), and wait/nwait become the enqueue's wait list. */
static cl_int run_kernel(const svm_env *e, cl_command_queue q, cl_program prog, const char *name,
                         const shape *s, cl_uint nwait, const cl_event *wait, cl_event *ev,
                         int *ran)
{
    cl_kernel k = icd_test_kernel(prog, name);
    static cl_ulong out[MAX_ITEMS * REC];
    cl_uint count = 0;
    memset(out, 0xff, sizeof out);
    cl_mem mo =
        icd_test_buffer(e->context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, sizeof out, out);
    cl_mem mc =
        icd_test_buffer(e->context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, sizeof count, &count);
    CHECK_CL(clSetKernelArg(k, 0, sizeof mo, &mo));
    CHECK_CL(clSetKernelArg(k, 1, sizeof mc, &mc));
    cl_event own = NULL;
    cl_int err = clEnqueueNDRangeKernel(q, k, s->dim, s->no_offset ? NULL : s->offset, s->global,
                                        s->no_local ? NULL : s->local, nwait, wait, &own);
    size_t items = 1;
    for (cl_uint d = 0; d < s->dim; d++)
        items *= s->global[d];
    CHECK(items <= MAX_ITEMS);
    if (err == CL_SUCCESS) {
        if (ev)
            *ev = own;
        CHECK_CL(clWaitForEvents(1, &own));
        cl_int st = 0;
        CHECK_CL(clGetEventInfo(own, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof st, &st, NULL));
        CHECK_EQ(st, CL_COMPLETE);
        if (!ev)
            CHECK_CL(clReleaseEvent(own));
    }
    /* Read after the event: on an out-of-order queue the reads must not run before. */
    CHECK_CL(clEnqueueReadBuffer(q, mc, CL_TRUE, 0, sizeof count, &count, 0, NULL, NULL));
    CHECK_CL(clEnqueueReadBuffer(q, mo, CL_TRUE, 0, sizeof out, out, 0, NULL, NULL));
    *ran = (int)count;
    if (err != CL_SUCCESS)
        goto done;
    if (count != items) {
        SVM_FAIL("%u-D %zu x %zu x %zu: %u work-items ran, expected %zu", s->dim, s->global[0],
                 s->global[1], s->global[2], count, items);
        goto done;
    }
    static unsigned char seen[MAX_ITEMS];
    memset(seen, 0, sizeof seen);
    for (size_t r = 0; r < items; r++) {
        const cl_ulong *v = out + r * REC;
        size_t rel[3], lin = 0, mul = 1, llin = 0, lmul = 1;
        int bad = 0;
        for (cl_uint d = 0; d < 3; d++) {
            int in = d < s->dim;
            size_t g = in ? s->global[d] : 1, off = in && !s->no_offset ? s->offset[d] : 0;
            rel[d] = v[d] - off;
            if (v[d] < off || rel[d] >= g) {
                SVM_FAIL("record %zu: get_global_id(%u) = %llu outside [%zu, %zu)", r, d,
                         (unsigned long long)v[d], off, off + g);
                bad = 1;
                break;
            }
            /* No local size given: the enqueued size is what the implementation chose (it
             * divides the global size), unless the shape names the one expected. */
            size_t l = !in ? 1 : s->no_local && !s->local[d] ? v[9 + d] : s->local[d];
            size_t ls = local_of(g, l, rel[d]);
            cl_ulong want[8] = {v[d], rel[d] % l, ls, l, rel[d] / l, (g + l - 1) / l, g, off};
            for (int f = 1; f < 8; f++)
                if (v[3 * f + d] != want[f]) {
                    static const char *const names[] = {
                        "get_global_id",           "get_local_id",     "get_local_size",
                        "get_enqueued_local_size", "get_group_id",     "get_num_groups",
                        "get_global_size",         "get_global_offset"};
                    SVM_FAIL("%u-D, global id (%llu, %llu, %llu): %s(%u) = %llu, expected %llu",
                             s->dim, (unsigned long long)v[0], (unsigned long long)v[1],
                             (unsigned long long)v[2], names[f], d,
                             (unsigned long long)v[3 * f + d], (unsigned long long)want[f]);
                    bad = 1;
                }
            if (s->no_local && in && g % l)
                SVM_FAIL("no local size: the implementation chose %zu for a global size %zu", l, g);
            lin += rel[d] * mul;
            mul *= g;
            llin += (rel[d] % l) * lmul;
            lmul *= ls;
        }
        if (bad)
            continue;
        if (v[24] != s->dim)
            SVM_FAIL("get_work_dim() = %llu, expected %u", (unsigned long long)v[24], s->dim);
        if (v[25] != lin)
            SVM_FAIL("get_global_linear_id() = %llu, expected %zu", (unsigned long long)v[25], lin);
        if (v[26] != llin)
            SVM_FAIL("get_local_linear_id() = %llu, expected %zu", (unsigned long long)v[26], llin);
        if (v[27] != 11010)
            SVM_FAIL("dimension 3: %llu, expected 11010 (id 0, sizes and counts 1)",
                     (unsigned long long)v[27]);
        if (seen[lin]++)
            SVM_FAIL("global linear id %zu ran twice", lin);
    }
done:
    CHECK_CL(clReleaseMemObject(mo));
    CHECK_CL(clReleaseMemObject(mc));
    CHECK_CL(clReleaseKernel(k));
    return err;
}

static cl_int run_record(const svm_env *e, cl_command_queue q, cl_program prog, const shape *s,
                         cl_uint nwait, const cl_event *wait, cl_event *ev, int *ran)
{
    return run_kernel(e, q, prog, "record", s, nwait, wait, ev, ran);
}

static void check_shape(const svm_env *e, cl_program prog, const shape *s)
{
    int ran = 0;
    cl_int err = run_record(e, e->queue, prog, s, 0, NULL, NULL, &ran);
    if (err != CL_SUCCESS)
        SVM_FAIL("%u-D %zu x %zu x %zu in %zu x %zu x %zu: %s", s->dim, s->global[0], s->global[1],
                 s->global[2], s->local[0], s->local[1], s->local[2], icd_err_name(err));
}

static const shape shapes[] = {
    {1, {10}, {4}, {0}, 0, 1},                      /* one remainder group */
    {1, {10}, {4}, {5}, 0, 0},                      /* ... with an offset */
    {1, {7}, {16}, {3}, 0, 0},                      /* local size > global size */
    {1, {64}, {16}, {1000}, 0, 0},                  /* uniform, with an offset */
    {1, {12}, {0}, {3}, 1, 0},                      /* no local size, an offset */
    {2, {7, 5}, {4, 2}, {3, 100000}, 0, 0},         /* four parts */
    {2, {8, 6}, {4, 2}, {0, 0}, 0, 1},              /* uniform, the backend's values */
    {3, {5, 3, 7}, {2, 2, 4}, {1, 2, 3}, 0, 0},     /* eight parts */
    {3, {4, 3, 9}, {4, 3, 4}, {0, 0, 70000}, 0, 0}, /* a remainder in z only */
    {3, {3, 5, 2}, {8, 8, 8}, {0, 0, 0}, 0, 1},     /* local > global everywhere */
};

/* group_sum over n inputs in groups of l from offset off: each group's sum, the last one short. */
static void check_reduction(const svm_env *e, cl_program prog, size_t n, size_t l, size_t off)
{
    cl_kernel k = icd_test_kernel(prog, "group_sum");
    cl_int in[64], out[64];
    CHECK(n <= 64);
    for (size_t i = 0; i < n; i++)
        in[i] = (cl_int)(i * i) - 5;
    memset(out, 0, sizeof out);
    cl_mem mi = icd_test_buffer(e->context, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, sizeof in, in);
    cl_mem mo =
        icd_test_buffer(e->context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, sizeof out, out);
    CHECK_CL(clSetKernelArg(k, 0, sizeof mi, &mi));
    CHECK_CL(clSetKernelArg(k, 1, sizeof mo, &mo));
    CHECK_CL(clSetKernelArg(k, 2, l * sizeof(cl_int), NULL));
    CHECK_CL(clEnqueueNDRangeKernel(e->queue, k, 1, &off, &n, &l, 0, NULL, NULL));
    CHECK_CL(clEnqueueReadBuffer(e->queue, mo, CL_TRUE, 0, sizeof out, out, 0, NULL, NULL));
    for (size_t grp = 0; grp * l < n; grp++) {
        cl_int want = 0;
        for (size_t i = grp * l; i < n && i < (grp + 1) * l; i++)
            want += in[i];
        if (out[grp] != want)
            SVM_FAIL("reduction of %zu in groups of %zu: group %zu sums to %d, expected %d", n, l,
                     grp, out[grp], want);
    }
    CHECK_CL(clReleaseMemObject(mi));
    CHECK_CL(clReleaseMemObject(mo));
    CHECK_CL(clReleaseKernel(k));
}

/* reqd_work_group_size(4, 2, 1): reported (with the kernel's work_group_size_hint(2, 1, 1) in
 * CL_KERNEL_ATTRIBUTES), required of the local size, used when none is given, and remainder
 * groups are allowed. */
static void check_reqd(const svm_env *e, cl_program prog)
{
    cl_kernel k = icd_test_kernel(prog, "record_reqd");
    size_t reqd[3] = {0};
    CHECK_CL(clGetKernelWorkGroupInfo(k, e->device, CL_KERNEL_COMPILE_WORK_GROUP_SIZE, sizeof reqd,
                                      reqd, NULL));
    if (reqd[0] != 4 || reqd[1] != 2 || reqd[2] != 1)
        SVM_FAIL("CL_KERNEL_COMPILE_WORK_GROUP_SIZE %zu x %zu x %zu, expected 4 x 2 x 1", reqd[0],
                 reqd[1], reqd[2]);
    char attrs[256] = "";
    CHECK_CL(clGetKernelInfo(k, CL_KERNEL_ATTRIBUTES, sizeof attrs, attrs, NULL));
    CHECK_MSG(strstr(attrs, "reqd_work_group_size(4, 2, 1") &&
                  strstr(attrs, "work_group_size_hint(2, 1, 1"),
              "CL_KERNEL_ATTRIBUTES '%s', expected the required size and the hint", attrs);
    CHECK_CL(clReleaseKernel(k));
    int ran = 0;
    static const shape uneven = {2, {7, 5}, {4, 2}, {1, 2}, 0, 0};
    SVM_EXPECT_ERR(run_kernel(e, e->queue, prog, "record_reqd", &uneven, 0, NULL, NULL, &ran),
                   CL_SUCCESS);
    static const shape chosen = {2, {8, 6}, {4, 2}, {0, 0}, 1, 1};
    SVM_EXPECT_ERR(run_kernel(e, e->queue, prog, "record_reqd", &chosen, 0, NULL, NULL, &ran),
                   CL_SUCCESS);
    static const shape other = {2, {8, 6}, {2, 2}, {0, 0}, 0, 1};
    SVM_EXPECT_ERR(run_kernel(e, e->queue, prog, "record_reqd", &other, 0, NULL, NULL, &ran),
                   CL_INVALID_WORK_GROUP_SIZE);
    CHECK_EQ(ran, 0);
    /* One dimension: its local size is 4 x 1 x 1, not the required 4 x 2 x 1. */
    static const shape one_dim = {1, {7}, {4}, {0}, 0, 1};
    SVM_EXPECT_ERR(run_kernel(e, e->queue, prog, "record_reqd", &one_dim, 0, NULL, NULL, &ran),
                   CL_INVALID_WORK_GROUP_SIZE);
    CHECK_EQ(ran, 0);
}

/* A required size written in a header found through -I (the source does not name it): reported
 * and enforced like one in the source. */
static void check_reqd_header(const svm_env *e, const char *std)
{
    const char *tmp = getenv("TMPDIR");
    char dir[2048], path[2100], opts[2200];
    snprintf(dir, sizeof dir, "%s/oclc20-reqd-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/required.h", dir);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    fputs("#define REQUIRED __attribute__((reqd_work_group_size(4, 2, 1)))\n", f);
    CHECK(fclose(f) == 0);
    snprintf(opts, sizeof opts, "%s -I %s", std, dir);
    static const char *src = "#include \"required.h\"\n"
                             "REQUIRED kernel void from_header(global int *p)\n"
                             "{ p[get_global_id(1) * 7 + get_global_id(0)] = 1; }\n";
    cl_program prog = icd_test_program(e->context, e->device, src, opts);
    unlink(path);
    rmdir(dir);
    cl_kernel k = icd_test_kernel(prog, "from_header");
    size_t reqd[3] = {0};
    CHECK_CL(clGetKernelWorkGroupInfo(k, e->device, CL_KERNEL_COMPILE_WORK_GROUP_SIZE, sizeof reqd,
                                      reqd, NULL));
    if (reqd[0] != 4 || reqd[1] != 2 || reqd[2] != 1)
        SVM_FAIL("%s: header's required size reported as %zu x %zu x %zu", std, reqd[0], reqd[1],
                 reqd[2]);
    int out[35] = {0};
    cl_mem m =
        icd_test_buffer(e->context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, sizeof out, out);
    CHECK_CL(clSetKernelArg(k, 0, sizeof m, &m));
    const size_t global[2] = {7, 5}, other[2] = {2, 2};
    SVM_EXPECT_ERR(clEnqueueNDRangeKernel(e->queue, k, 2, NULL, global, other, 0, NULL, NULL),
                   CL_INVALID_WORK_GROUP_SIZE);
    CHECK_CL(clEnqueueNDRangeKernel(e->queue, k, 2, NULL, global, reqd, 0, NULL, NULL));
    CHECK_CL(clEnqueueReadBuffer(e->queue, m, CL_TRUE, 0, sizeof out, out, 0, NULL, NULL));
    for (int i = 0; i < 35; i++)
        CHECK_EQ(out[i], 1);
    CHECK_CL(clReleaseMemObject(m));
    CHECK_CL(clReleaseKernel(k));
    CHECK_CL(clReleaseProgram(prog));
}

static const shape event_shape = {2, {7, 5}, {4, 2}, {3, 4}, 0, 0};

/* The NDRange waits for its wait list: nothing runs before the user event completes. */
static void check_wait_list(const svm_env *e, cl_program prog, cl_command_queue q)
{
    const shape s = event_shape;
    cl_int err = CL_SUCCESS;
    cl_event user = clCreateUserEvent(e->context, &err);
    CHECK_CL(err);
    cl_kernel k = icd_test_kernel(prog, "record");
    cl_uint count = 0;
    cl_mem mo = icd_test_buffer(e->context, CL_MEM_READ_WRITE, MAX_ITEMS * REC * 8, NULL);
    cl_mem mc =
        icd_test_buffer(e->context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, sizeof count, &count);
    CHECK_CL(clSetKernelArg(k, 0, sizeof mo, &mo));
    CHECK_CL(clSetKernelArg(k, 1, sizeof mc, &mc));
    cl_event ev = NULL;
    CHECK_CL(clEnqueueNDRangeKernel(q, k, s.dim, s.offset, s.global, s.local, 1, &user, &ev));
    cl_command_type type = 0;
    CHECK_CL(clGetEventInfo(ev, CL_EVENT_COMMAND_TYPE, sizeof type, &type, NULL));
    CHECK_EQ(type, CL_COMMAND_NDRANGE_KERNEL);
    cl_command_queue eq = NULL;
    CHECK_CL(clGetEventInfo(ev, CL_EVENT_COMMAND_QUEUE, sizeof eq, &eq, NULL));
    CHECK(eq == q);
    usleep(100 * 1000);
    cl_int st = 0;
    CHECK_CL(clGetEventInfo(ev, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof st, &st, NULL));
    if (st == CL_COMPLETE || st < 0)
        SVM_FAIL("the NDRange's event is %d before its wait list completed", st);
    CHECK_CL(clSetUserEventStatus(user, CL_COMPLETE));
    CHECK_CL(clWaitForEvents(1, &ev));
    CHECK_CL(clEnqueueReadBuffer(q, mc, CL_TRUE, 0, sizeof count, &count, 0, NULL, NULL));
    CHECK_EQ(count, 7 * 5);
    CHECK_CL(clReleaseEvent(ev));
    CHECK_CL(clReleaseEvent(user));
    CHECK_CL(clReleaseMemObject(mo));
    CHECK_CL(clReleaseMemObject(mc));
    CHECK_CL(clReleaseKernel(k));
}

/* One event for the whole NDRange, which waits for its wait list, and completes after every
 * part (checked on an in-order and an out-of-order queue: run_record reads only after waiting
 * for the event). */
static void check_events(const svm_env *e, cl_program prog, cl_command_queue q)
{
    if (svm_part_runs(e, "the NDRange waiting for a user event",
                      "pocl 3.1 deadlocks completing a user event a command waits on"))
        check_wait_list(e, prog, q);
    /* Every work-item's values, through the event alone. */
    int ran = 0;
    cl_event ev2 = NULL;
    CHECK_CL(run_record(e, q, prog, &event_shape, 0, NULL, &ev2, &ran));
    CHECK_CL(clReleaseEvent(ev2));
}

/* Local sizes the device cannot run are refused before anything runs. */
/* One event stands for the whole NDRange in its profiling times too: a launch in two parts (960
 * work-items in full groups, then a remainder group of 40) must report START before the first
 * part ran, not when the last part began. With the last part's times, START..END would cover
 * about 1/16 of QUEUED..END; with the whole NDRange's nearly all of it. */
static void check_profiling(const svm_env *e, cl_program prog)
{
    cl_queue_properties prof[] = {CL_QUEUE_PROPERTIES, CL_QUEUE_PROFILING_ENABLE, 0};
    cl_command_queue q = icd_test_queue(e->context, e->device, prof);
    cl_kernel k = icd_test_kernel(prog, "spin");
    cl_mem out = icd_test_buffer(e->context, CL_MEM_READ_WRITE, 1000 * sizeof(cl_uint), NULL);
    cl_uint n = 1;
    size_t global = 1000, local = 64;
    CHECK_CL(clSetKernelArg(k, 0, sizeof out, &out));
    CHECK_CL(clSetKernelArg(k, 1, sizeof n, &n));
    /* Once first: the backend compiles the kernel for each local size at its first launch. */
    CHECK_CL(clEnqueueNDRangeKernel(q, k, 1, NULL, &global, &local, 0, NULL, NULL));
    CHECK_CL(clFinish(q));
    n = 1u << 22;
    CHECK_CL(clSetKernelArg(k, 1, sizeof n, &n));
    cl_event ev;
    CHECK_CL(clEnqueueNDRangeKernel(q, k, 1, NULL, &global, &local, 0, NULL, &ev));
    CHECK_CL(clWaitForEvents(1, &ev));
    static const cl_profiling_info what[4] = {CL_PROFILING_COMMAND_QUEUED,
                                              CL_PROFILING_COMMAND_SUBMIT,
                                              CL_PROFILING_COMMAND_START, CL_PROFILING_COMMAND_END};
    cl_ulong t[4];
    for (int i = 0; i < 4; i++)
        CHECK_CL(clGetEventProfilingInfo(ev, what[i], sizeof t[i], &t[i], NULL));
    if (!(t[0] <= t[1] && t[1] <= t[2] && t[2] <= t[3]))
        SVM_FAIL("profiling times out of order: %llu %llu %llu %llu", (unsigned long long)t[0],
                 (unsigned long long)t[1], (unsigned long long)t[2], (unsigned long long)t[3]);
    else if ((t[3] - t[2]) * 2 < t[3] - t[0])
        SVM_FAIL("an NDRange in parts: START..END %.1f ms of QUEUED..END %.1f ms (the last part's "
                 "times, not the whole NDRange's)",
                 (t[3] - t[2]) / 1e6, (t[3] - t[0]) / 1e6);
    cl_uint last = 0, want = 999;
    for (cl_uint i = 0; i < n; i++)
        want = want * 1103515245u + 12345u;
    CHECK_CL(
        clEnqueueReadBuffer(q, out, CL_TRUE, 999 * sizeof last, sizeof last, &last, 0, NULL, NULL));
    CHECK_EQ(last, want);
    CHECK_CL(clReleaseEvent(ev));
    CHECK_CL(clReleaseMemObject(out));
    CHECK_CL(clReleaseKernel(k));
    CHECK_CL(clReleaseCommandQueue(q));
}

static void check_limits(const svm_env *e, cl_program prog)
{
    cl_kernel k = icd_test_kernel(prog, "record");
    size_t items[3] = {0}, wg = 0;
    CHECK_CL(clGetDeviceInfo(e->device, CL_DEVICE_MAX_WORK_ITEM_SIZES, sizeof items, items, NULL));
    CHECK_CL(
        clGetKernelWorkGroupInfo(k, e->device, CL_KERNEL_WORK_GROUP_SIZE, sizeof wg, &wg, NULL));
    CHECK_CL(clReleaseKernel(k));
    int ran = 0;
    shape s = {1, {10}, {items[0] + 1}, {0}, 0, 1};
    SVM_EXPECT_ERR(run_record(e, e->queue, prog, &s, 0, NULL, NULL, &ran),
                   CL_INVALID_WORK_ITEM_SIZE);
    CHECK_EQ(ran, 0);
    /* Two dimensions whose product exceeds the kernel's work-group size. */
    size_t a = 1;
    while (a * a <= wg)
        a *= 2;
    shape t = {2, {5, 5}, {a, a}, {0}, 0, 1};
    if (a <= items[0] && a <= items[1]) {
        SVM_EXPECT_ERR(run_record(e, e->queue, prog, &t, 0, NULL, NULL, &ran),
                       CL_INVALID_WORK_GROUP_SIZE);
        CHECK_EQ(ran, 0);
    }
    /* The kernel's work-group size itself with a smaller global size is fine. */
    shape u = {1, {10}, {wg}, {2}, 0, 0};
    if (wg <= items[0])
        SVM_EXPECT_ERR(run_record(e, e->queue, prog, &u, 0, NULL, NULL, &ran), CL_SUCCESS);
}

/* Programs that may not have non-uniform work-groups: 10 work-items in groups of 4 are refused
 * and nothing runs; uniform launches with an offset keep working. */
static void check_refused(const svm_env *e, const char *options)
{
    cl_program prog = icd_test_program(e->context, e->device, nonuniform20_cl, options);
    cl_kernel k = icd_test_kernel(prog, "group_sum");
    cl_int in[16], out[4] = {0};
    for (int i = 0; i < 16; i++)
        in[i] = i;
    cl_mem mi = icd_test_buffer(e->context, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, sizeof in, in);
    cl_mem mo =
        icd_test_buffer(e->context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, sizeof out, out);
    CHECK_CL(clSetKernelArg(k, 0, sizeof mi, &mi));
    CHECK_CL(clSetKernelArg(k, 1, sizeof mo, &mo));
    CHECK_CL(clSetKernelArg(k, 2, 4 * sizeof(cl_int), NULL));
    size_t g = 10, l = 4, off = 7;
    SVM_EXPECT_ERR(clEnqueueNDRangeKernel(e->queue, k, 1, &off, &g, &l, 0, NULL, NULL),
                   CL_INVALID_WORK_GROUP_SIZE);
    CHECK_CL(clEnqueueReadBuffer(e->queue, mo, CL_TRUE, 0, sizeof out, out, 0, NULL, NULL));
    for (int i = 0; i < 4; i++)
        if (out[i] != 0)
            SVM_FAIL("%s: a refused NDRange ran (group %d wrote %d)", options, i, out[i]);
    g = 12;
    CHECK_CL(clEnqueueNDRangeKernel(e->queue, k, 1, &off, &g, &l, 0, NULL, NULL));
    CHECK_CL(clEnqueueReadBuffer(e->queue, mo, CL_TRUE, 0, sizeof out, out, 0, NULL, NULL));
    for (int grp = 0; grp < 3; grp++)
        if (out[grp] != 16 * grp + 6)
            SVM_FAIL("%s: group %d sums to %d, expected %d", options, grp, out[grp], 16 * grp + 6);
    CHECK_CL(clReleaseMemObject(mi));
    CHECK_CL(clReleaseMemObject(mo));
    CHECK_CL(clReleaseKernel(k));
    CHECK_CL(clReleaseProgram(prog));
}

/* A compiled object of nonuniform20.cl with these options. */
static cl_program compile_object(const svm_env *e, const char *options)
{
    cl_int err = CL_SUCCESS;
    const char *src = nonuniform20_cl;
    cl_program o = clCreateProgramWithSource(e->context, 1, &src, NULL, &err);
    CHECK_CL(err);
    CHECK_CL(clCompileProgram(o, 1, &e->device, options, 0, NULL, NULL, NULL, NULL));
    return o;
}

/* clCompileProgram + clLinkProgram, and an object through its binary + clBuildProgram: non-uniform
 * unless compiled with -cl-uniform-work-group-size; objects of both kinds do not link. */
static void check_separate(const svm_env *e)
{
    static const shape s = {2, {7, 5}, {4, 2}, {3, 1}, 0, 0};
    int ran = 0;
    cl_int err = CL_SUCCESS;
    cl_program nu = compile_object(e, "-cl-std=CL2.0");
    cl_program linked = clLinkProgram(e->context, 1, &e->device, "", 1, &nu, NULL, NULL, &err);
    CHECK_CL(err);
    SVM_EXPECT_ERR(run_record(e, e->queue, linked, &s, 0, NULL, NULL, &ran), CL_SUCCESS);
    check_reqd(e, linked);
    CHECK_CL(clReleaseProgram(linked));

    /* One binary per device of the program (every device of the context), e->device's is the
     * one compiled. */
    enum { MAXDEV = 8 };
    cl_uint ndev = 0;
    CHECK_CL(clGetProgramInfo(nu, CL_PROGRAM_NUM_DEVICES, sizeof ndev, &ndev, NULL));
    CHECK(ndev >= 1 && ndev <= MAXDEV);
    cl_device_id devs[MAXDEV];
    size_t sizes[MAXDEV] = {0};
    unsigned char *bins[MAXDEV] = {0};
    CHECK_CL(clGetProgramInfo(nu, CL_PROGRAM_DEVICES, ndev * sizeof *devs, devs, NULL));
    CHECK_CL(clGetProgramInfo(nu, CL_PROGRAM_BINARY_SIZES, ndev * sizeof *sizes, sizes, NULL));
    cl_uint mine = 0;
    while (mine < ndev && devs[mine] != e->device)
        mine++;
    CHECK(mine < ndev && sizes[mine] > 0);
    size_t size = sizes[mine];
    unsigned char *bin = malloc(size);
    CHECK(bin != NULL);
    bins[mine] = bin;
    CHECK_CL(clGetProgramInfo(nu, CL_PROGRAM_BINARIES, ndev * sizeof *bins, bins, NULL));
    const unsigned char *cbin = bin;
    cl_program from_bin =
        clCreateProgramWithBinary(e->context, 1, &e->device, &size, &cbin, NULL, &err);
    CHECK_CL(err);
    CHECK_CL(clBuildProgram(from_bin, 1, &e->device, "", NULL, NULL));
    SVM_EXPECT_ERR(run_record(e, e->queue, from_bin, &s, 0, NULL, NULL, &ran), CL_SUCCESS);
    check_reqd(e, from_bin);
    CHECK_CL(clReleaseProgram(from_bin));
    free(bin);

    cl_program uni = compile_object(e, "-cl-std=CL2.0 -cl-uniform-work-group-size");
    linked = clLinkProgram(e->context, 1, &e->device, "", 1, &uni, NULL, NULL, &err);
    CHECK_CL(err);
    SVM_EXPECT_ERR(run_record(e, e->queue, linked, &s, 0, NULL, NULL, &ran),
                   CL_INVALID_WORK_GROUP_SIZE);
    CHECK_EQ(ran, 0);
    CHECK_CL(clReleaseProgram(linked));

    cl_program both[2] = {nu, uni};
    linked = clLinkProgram(e->context, 1, &e->device, "", 2, both, NULL, NULL, &err);
    SVM_EXPECT_ERR(err, CL_LINK_PROGRAM_FAILURE);
    if (linked) {
        char *log = oclc20_build_string(linked, e->device, CL_PROGRAM_BUILD_LOG);
        if (!strstr(log, "-cl-uniform-work-group-size"))
            SVM_FAIL("mixed link: the log does not say why: %s", log);
        free(log);
        CHECK_CL(clReleaseProgram(linked));
    }
    CHECK_CL(clReleaseProgram(uni));
    CHECK_CL(clReleaseProgram(nu));
}

int main(void)
{
    svm_env e;
    svm_env_open(&e);
    oclc20_require_path(&e);
    cl_bool yes = CL_FALSE;
    CHECK_CL(clGetDeviceInfo(e.device, CL_DEVICE_NON_UNIFORM_WORK_GROUP_SUPPORT, sizeof yes, &yes,
                             NULL));
    if (!yes) {
        if (e.is_clsvm)
            SVM_FAIL("CL_DEVICE_NON_UNIFORM_WORK_GROUP_SUPPORT is CL_FALSE");
        else
            printf("SKIP: the platform has no non-uniform work-groups\n");
        svm_env_close(&e);
        return e.is_clsvm ? svm_exit_code() : 77;
    }

    static const char *const stds[] = {"-cl-std=CL2.0", "-cl-std=CL3.0"};
    for (size_t v = 0; v < 2; v++) {
        printf("--- %s\n", stds[v]);
        cl_program prog = icd_test_program(e.context, e.device, nonuniform20_cl, stds[v]);
        for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++)
            check_shape(&e, prog, &shapes[i]);
        check_reduction(&e, prog, 10, 4, 0);
        check_reduction(&e, prog, 23, 8, 5);
        check_reduction(&e, prog, 5, 16, 1);
        check_reqd(&e, prog);
        check_reqd_header(&e, stds[v]);
        if (v == 0) {
            check_events(&e, prog, e.queue);
            cl_queue_properties ooo[] = {CL_QUEUE_PROPERTIES,
                                         CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE, 0};
            cl_command_queue q = icd_test_queue(e.context, e.device, ooo);
            check_events(&e, prog, q);
            CHECK_CL(clReleaseCommandQueue(q));
            check_limits(&e, prog);
            check_profiling(&e, prog);
        }
        CHECK_CL(clReleaseProgram(prog));
    }
    check_separate(&e);
    check_refused(&e, "-cl-std=CL1.2");
    check_refused(&e, "-cl-std=CL2.0 -cl-uniform-work-group-size");
    check_refused(&e, "-cl-std=CL3.0 -cl-uniform-work-group-size");
    svm_env_close(&e);
    return svm_exit_code();
}
