/*
 * test_pocl_leaks: pocl 3.1's own leaks, reproduced with pocl alone (no clsvm in the process).
 *
 * Built and run only in the ASan tree: each ctest runs one scenario through the ICD loader
 * with OCL_ICD_VENDORS naming pocl's own .icd, and passes only if LeakSanitizer reports a
 * direct leak whose allocating frame is inside libpocl, called from this program. That is the
 * evidence behind the tests that carry the pocl leak suppression (lsan-pocl.supp): the same
 * calls leak with or without clsvm. Should a pocl update fix one, its scenario fails here and
 * the suppression can go.
 *
 * Scenarios (argv[1]):
 *   image1d_buffer  clCreateImage of a CL_MEM_OBJECT_IMAGE1D_BUFFER, then released: pocl's
 *                   release path for that image type frees neither its per-device support
 *                   array nor the context reference the creation took (so the context leaks).
 *   native_failed   clEnqueueNativeKernel behind a user event set to a negative status: the
 *                   command never runs and its arg_locs array (freed only when it runs) leaks.
 *   builtin_unknown clCreateProgramWithBuiltInKernels with a name no device has: the error
 *                   path frees the name array but not the names it strdup'ed.
 */
#include "pocl_alone.h"

static void native_fn(void *args)
{
    (void)args;
}

static int image1d_buffer(cl_device_id d, cl_context c)
{
    cl_bool images = CL_FALSE;
    CHECK(clGetDeviceInfo(d, CL_DEVICE_IMAGE_SUPPORT, sizeof images, &images, NULL));
    if (!images) {
        printf("skipped: the pocl device has no image support\n");
        return 77;
    }
    cl_int err;
    cl_mem buf = clCreateBuffer(c, CL_MEM_READ_WRITE, 4096, NULL, &err);
    CHECK(err);
    cl_image_format fmt = {CL_R, CL_SIGNED_INT32};
    cl_image_desc desc = {
        .image_type = CL_MEM_OBJECT_IMAGE1D_BUFFER, .image_width = 1024, .buffer = buf};
    cl_mem img = clCreateImage(c, CL_MEM_READ_ONLY, &fmt, &desc, NULL, &err);
    CHECK(err);
    CHECK(clReleaseMemObject(img));
    CHECK(clReleaseMemObject(buf));
    return 0;
}

static int native_failed(cl_device_id d, cl_context c)
{
    cl_device_exec_capabilities caps = 0;
    CHECK(clGetDeviceInfo(d, CL_DEVICE_EXECUTION_CAPABILITIES, sizeof caps, &caps, NULL));
    if (!(caps & CL_EXEC_NATIVE_KERNEL)) {
        printf("skipped: the pocl device runs no native kernels\n");
        return 77;
    }
    cl_int err;
    cl_command_queue q = clCreateCommandQueueWithProperties(c, d, NULL, &err);
    CHECK(err);
    cl_event u = clCreateUserEvent(c, &err);
    CHECK(err);
    int arg = 1;
    cl_event ev;
    CHECK(clEnqueueNativeKernel(q, native_fn, &arg, sizeof arg, 0, NULL, NULL, 1, &u, &ev));
    CHECK(clSetUserEventStatus(u, -1));
    clFinish(q); /* may report the failed command; only the leak matters here */
    cl_int st = 0;
    CHECK(clGetEventInfo(ev, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof st, &st, NULL));
    if (st >= 0) {
        fprintf(stderr, "the native kernel behind a failed event ended with status %d\n", st);
        return 1;
    }
    CHECK(clReleaseEvent(ev));
    CHECK(clReleaseEvent(u));
    CHECK(clReleaseCommandQueue(q));
    return 0;
}

static int builtin_unknown(cl_device_id d, cl_context c)
{
    cl_int err = CL_SUCCESS;
    cl_program p = clCreateProgramWithBuiltInKernels(c, 1, &d, "no_such_builtin", &err);
    if (p || err != CL_INVALID_VALUE) {
        fprintf(stderr, "unknown built-in kernel: program %p, error %d\n", (void *)p, err);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_pocl_leaks image1d_buffer|native_failed|builtin_unknown\n");
        return 2;
    }
    cl_device_id d;
    cl_context c;
    int rc0 = pocl_alone_open(&d, &c);
    if (rc0 != 0)
        return rc0;
    int rc;
    if (!strcmp(argv[1], "image1d_buffer"))
        rc = image1d_buffer(d, c);
    else if (!strcmp(argv[1], "native_failed"))
        rc = native_failed(d, c);
    else if (!strcmp(argv[1], "builtin_unknown"))
        rc = builtin_unknown(d, c);
    else {
        fprintf(stderr, "unknown scenario %s\n", argv[1]);
        return 2;
    }
    CHECK(clReleaseContext(c));
    if (rc == 0)
        fprintf(stderr, "%s: done, every object released\n", argv[1]);
    return rc;
}
