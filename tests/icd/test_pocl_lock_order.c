/*
 * test_pocl_lock_order: pocl 3.1's own lock-order inversion, reproduced with pocl alone (no
 * clsvm in the process): the evidence behind `deadlock:libpocl.so` in tsan.supp.
 *
 * Built and run only in the TSan tree, through the ICD loader with OCL_ICD_VENDORS naming
 * pocl's own .icd. A user event gates a chain of two commands (the second waits on the first)
 * and is then set to a negative status: pocl propagates the failure down the chain and takes
 * an event's lock and a queue's lock in both orders. The test passes only when ThreadSanitizer
 * reports that lock-order inversion in libpocl after the program released every object.
 */
#include "pocl_alone.h"

int main(void)
{
    cl_device_id d;
    cl_context c;
    int rc0 = pocl_alone_open(&d, &c);
    if (rc0 != 0)
        return rc0;
    cl_int err;
    cl_command_queue q = clCreateCommandQueueWithProperties(c, d, NULL, &err);
    CHECK(err);
    cl_event u = clCreateUserEvent(c, &err);
    CHECK(err);
    cl_event first, second;
    CHECK(clEnqueueMarkerWithWaitList(q, 1, &u, &first));
    CHECK(clEnqueueMarkerWithWaitList(q, 1, &first, &second));
    CHECK(clSetUserEventStatus(u, -1));
    clFinish(q); /* may report the failed commands; only the locks matter here */
    cl_int st = 0;
    CHECK(clGetEventInfo(second, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof st, &st, NULL));
    if (st >= 0) {
        fprintf(stderr, "the second command of a failed chain ended with status %d\n", st);
        return 1;
    }
    CHECK(clReleaseEvent(second));
    CHECK(clReleaseEvent(first));
    CHECK(clReleaseEvent(u));
    CHECK(clReleaseCommandQueue(q));
    CHECK(clReleaseContext(c));
    fprintf(stderr, "failed chain: done, every object released\n");
    return 0;
}
