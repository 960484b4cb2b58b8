/* svm_migrate: clEnqueueSVMMigrateMem (OpenCL 3.0 API 5.6.2.4) with every flag combination,
 * whole allocations (sizes NULL or 0) and sub-ranges at interior pointers: migration never
 * changes data unless CL_MIGRATE_MEM_OBJECT_CONTENT_UNDEFINED is given, orders against kernels
 * on the queue, reports CL_COMMAND_SVM_MIGRATE_MEM, and rejects each invalid argument with
 * CL_INVALID_VALUE.
 *
 * On a CPU device host and kernel address the same memory, so a migration moves no bytes and
 * "the data is where it was" cannot fail. What can is that a migration is a command: it waits
 * for its wait list, reports its status, and the in-order queue holds back what follows it
 * (gated_migration). Shown once by breaking the build on purpose: with clEnqueueSVMMigrateMem
 * enqueuing its host command without the wait list, this test failed with "the migration
 * completed while its wait list was pending". */
#include "conf.h"

#include <time.h>

static const char *src = "kernel void k_add(global uint *a, uint v)\n"
                         "{ a[get_global_id(0)] += v; }\n";

enum { N = 1024, NBUF = 3 };

static cl_int status_of(cl_event ev)
{
    cl_int st = 0;
    CHECK_CL(clGetEventInfo(ev, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof st, &st, NULL));
    return st;
}

/* A migration behind a user event: neither it nor a kernel after it on the in-order queue may
 * complete before the gate opens; then both do, and the kernel's update is there. */
static void gated_migration(const conf_env *e, cl_kernel k, cl_uint *buf)
{
    cl_int err = CL_SUCCESS;
    cl_event gate = clCreateUserEvent(e->context, &err);
    CHECK_CL(err);
    const void *ptrs[1] = {buf};
    cl_event mig = NULL, run = NULL;
    CHECK_CL(clEnqueueSVMMigrateMem(e->queue, 1, ptrs, NULL, 0, 1, &gate, &mig));
    cl_uint v = 5;
    size_t n = N;
    CHECK_CL(clSetKernelArgSVMPointer(k, 0, buf));
    CHECK_CL(clSetKernelArg(k, 1, sizeof v, &v));
    CHECK_CL(clEnqueueNDRangeKernel(e->queue, k, 1, NULL, &n, NULL, 0, NULL, &run));
    CHECK_CL(clFlush(e->queue));
    /* Give a wrong implementation time to run ahead; a right one waits however long. */
    struct timespec pause = {0, 50 * 1000 * 1000};
    nanosleep(&pause, NULL);
    CHECK_MSG(status_of(mig) > CL_COMPLETE,
              "the migration completed while its wait list was "
              "pending (status %d)",
              status_of(mig));
    CHECK_MSG(status_of(run) > CL_COMPLETE,
              "a kernel enqueued after a pending migration ran "
              "(status %d)",
              status_of(run));
    CHECK_CL(clSetUserEventStatus(gate, CL_COMPLETE));
    CHECK_CL(clWaitForEvents(1, &run));
    CHECK_EQ(status_of(mig), CL_COMPLETE);
    CHECK_CL(
        clEnqueueSVMMap(e->queue, CL_TRUE, CL_MAP_READ, buf, N * sizeof(cl_uint), 0, NULL, NULL));
    cl_uint first = buf[0];
    CHECK_CL(clEnqueueSVMUnmap(e->queue, buf, 0, NULL, NULL));
    CHECK_CL(clFinish(e->queue));
    CHECK_CL(clReleaseEvent(gate));
    CHECK_CL(clReleaseEvent(mig));
    CHECK_CL(clReleaseEvent(run));
    CHECK_EQ(first, 7u + v);
}

int main(void)
{
    conf_env e;
    conf_open(&e);
    cl_program p = conf_program(&e, src, NULL);
    cl_kernel k = conf_kernel(p, "k_add");
    cl_uint *buf[NBUF];
    for (int b = 0; b < NBUF; b++) {
        buf[b] = conf_alloc(&e, CL_MEM_READ_WRITE, N * sizeof(cl_uint));
        CHECK_CL(clEnqueueSVMMap(e.queue, CL_TRUE, CL_MAP_WRITE, buf[b], N * sizeof(cl_uint), 0,
                                 NULL, NULL));
        for (cl_uint i = 0; i < N; i++)
            buf[b][i] = (cl_uint)b * 100000u + i;
        CHECK_CL(clEnqueueSVMUnmap(e.queue, buf[b], 0, NULL, NULL));
    }
    const cl_mem_migration_flags flags[] = {
        0, CL_MIGRATE_MEM_OBJECT_HOST, CL_MIGRATE_MEM_OBJECT_CONTENT_UNDEFINED,
        CL_MIGRATE_MEM_OBJECT_HOST | CL_MIGRATE_MEM_OBJECT_CONTENT_UNDEFINED};
    cl_uint added = 0;
    for (int f = 0; f < 4; f++) {
        const void *ptrs[NBUF] = {buf[0], buf[1] + 10, buf[2]};
        size_t sizes[NBUF] = {0, 100 * sizeof(cl_uint), N * sizeof(cl_uint)};
        /* Device-ward migration before the kernel, host-ward after; content-undefined ranges
         * are then rewritten so the check below stays exact. */
        cl_event ev = NULL;
        CHECK_CL(
            clEnqueueSVMMigrateMem(e.queue, NBUF, ptrs, f % 2 ? sizes : NULL, 0, 0, NULL, &ev));
        cl_command_type t = 0;
        CHECK_CL(clGetEventInfo(ev, CL_EVENT_COMMAND_TYPE, sizeof t, &t, NULL));
        CHECK_EQ(t, CL_COMMAND_SVM_MIGRATE_MEM);
        cl_uint v = (cl_uint)f + 1;
        size_t n = N;
        for (int b = 0; b < NBUF; b++) {
            CHECK_CL(clSetKernelArgSVMPointer(k, 0, buf[b]));
            CHECK_CL(clSetKernelArg(k, 1, sizeof v, &v));
            CHECK_CL(clEnqueueNDRangeKernel(e.queue, k, 1, NULL, &n, NULL, 1, &ev, NULL));
        }
        CHECK_CL(clReleaseEvent(ev));
        added += v;
        CHECK_CL(clEnqueueSVMMigrateMem(
            e.queue, NBUF, ptrs, sizes,
            (flags[f] & ~(cl_mem_migration_flags)CL_MIGRATE_MEM_OBJECT_CONTENT_UNDEFINED) |
                CL_MIGRATE_MEM_OBJECT_HOST,
            0, NULL, NULL));
        CHECK_CL(clFinish(e.queue));
        for (int b = 0; b < NBUF; b++) {
            CHECK_CL(clEnqueueSVMMap(e.queue, CL_TRUE, CL_MAP_READ, buf[b], N * sizeof(cl_uint), 0,
                                     NULL, NULL));
            for (cl_uint i = 0; i < N; i++)
                CHECK_MSG(buf[b][i] == (cl_uint)b * 100000u + i + added,
                          "flags %d buffer %d [%u] = %u", f, b, i, buf[b][i]);
            CHECK_CL(clEnqueueSVMUnmap(e.queue, buf[b], 0, NULL, NULL));
        }
        /* Content-undefined migration: the contents may be lost; rewrite them afterwards. */
        if (flags[f] & CL_MIGRATE_MEM_OBJECT_CONTENT_UNDEFINED) {
            CHECK_CL(clEnqueueSVMMigrateMem(e.queue, NBUF, ptrs, NULL, flags[f], 0, NULL, NULL));
            for (int b = 0; b < NBUF; b++) {
                CHECK_CL(clEnqueueSVMMap(e.queue, CL_TRUE, CL_MAP_WRITE_INVALIDATE_REGION, buf[b],
                                         N * sizeof(cl_uint), 0, NULL, NULL));
                for (cl_uint i = 0; i < N; i++)
                    buf[b][i] = (cl_uint)b * 100000u + i + added;
                CHECK_CL(clEnqueueSVMUnmap(e.queue, buf[b], 0, NULL, NULL));
            }
        }
    }
    /* buf[0] holds what the loop left (0 + added) at [0]; reset it for the gated check. */
    CHECK_CL(
        clEnqueueSVMMap(e.queue, CL_TRUE, CL_MAP_WRITE, buf[0], sizeof(cl_uint), 0, NULL, NULL));
    buf[0][0] = 7;
    CHECK_CL(clEnqueueSVMUnmap(e.queue, buf[0], 0, NULL, NULL));
    /* Completing a user event a command waits on deadlocks pocl 3.1's basic device (alone too). */
    if (!e.inline_)
        gated_migration(&e, k, buf[0]);
    else
        SKIP_PART("migration gated by a user event: it completes a user event that a command waits "
                  "on, which deadlocks pocl 3.1 there; %s",
                  INLINE_DEVICE_WHY);

    /* Errors (CL_INVALID_VALUE): no pointers, a NULL list, a NULL pointer, a range past the
     * allocation, unknown flag bits. */
    const void *one[1] = {buf[0]};
    const void *null1[1] = {NULL};
    size_t too_big[1] = {N * sizeof(cl_uint) + 1};
    CHECK_ERR(clEnqueueSVMMigrateMem(e.queue, 0, one, NULL, 0, 0, NULL, NULL), CL_INVALID_VALUE);
    CHECK_ERR(clEnqueueSVMMigrateMem(e.queue, 1, NULL, NULL, 0, 0, NULL, NULL), CL_INVALID_VALUE);
    CHECK_ERR(clEnqueueSVMMigrateMem(e.queue, 1, null1, NULL, 0, 0, NULL, NULL), CL_INVALID_VALUE);
    CHECK_ERR(clEnqueueSVMMigrateMem(e.queue, 1, one, too_big, 0, 0, NULL, NULL), CL_INVALID_VALUE);
    CHECK_ERR(clEnqueueSVMMigrateMem(e.queue, 1, one, NULL, 1u << 7, 0, NULL, NULL),
              CL_INVALID_VALUE);
    CHECK_ERR(clEnqueueSVMMigrateMem(NULL, 1, one, NULL, 0, 0, NULL, NULL),
              CL_INVALID_COMMAND_QUEUE);
    CHECK_ERR(clEnqueueSVMMigrateMem(e.queue, 1, one, NULL, 0, 1, NULL, NULL),
              CL_INVALID_EVENT_WAIT_LIST);
    CHECK_CL(clFinish(e.queue));
    for (int b = 0; b < NBUF; b++)
        clSVMFree(e.context, buf[b]);
    CHECK_CL(clReleaseKernel(k));
    CHECK_CL(clReleaseProgram(p));
    conf_close(&e);
    printf("ok\n");
    return test_exit_code();
}
