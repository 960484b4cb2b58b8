/* svm_migrate: clEnqueueSVMMigrateMem (OpenCL 3.0 API 5.6.2.4) with every flag combination,
 * whole allocations (sizes NULL or 0) and sub-ranges at interior pointers: migration never
 * changes data unless CL_MIGRATE_MEM_OBJECT_CONTENT_UNDEFINED is given, orders against kernels
 * on the queue, reports CL_COMMAND_SVM_MIGRATE_MEM, and rejects each invalid argument with
 * CL_INVALID_VALUE. */
#include "conf.h"

static const char *src = "kernel void k_add(global uint *a, uint v)\n"
                         "{ a[get_global_id(0)] += v; }\n";

enum { N = 1024, NBUF = 3 };

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
    return 0;
}
