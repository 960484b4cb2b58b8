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
#define CL_TARGET_OPENCL_VERSION 300
#include <CL/cl.h>
#include <stdio.h>
#include <string.h>

#define CHECK(x)                                                                                   \
    do {                                                                                           \
        cl_int e_ = (x);                                                                           \
        if (e_ != CL_SUCCESS) {                                                                    \
            fprintf(stderr, "%s:%d: %s = %d\n", __FILE__, __LINE__, #x, e_);                       \
            return 1;                                                                              \
        }                                                                                          \
    } while (0)

int main(void)
{
    cl_platform_id p;
    cl_uint np = 0;
    char name[256] = "";
    if (clGetPlatformIDs(1, &p, &np) != CL_SUCCESS || np == 0 ||
        clGetPlatformInfo(p, CL_PLATFORM_NAME, sizeof name, name, NULL) != CL_SUCCESS ||
        strncmp(name, "Portable Computing Language", 27) != 0) {
        printf("skipped: pocl's ICD is not installed (OCL_ICD_VENDORS)\n");
        return 77;
    }
    cl_device_id d;
    CHECK(clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, 1, &d, NULL));
    cl_int err;
    cl_context c = clCreateContext(NULL, 1, &d, NULL, NULL, &err);
    CHECK(err);
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
