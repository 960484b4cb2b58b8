/* fake_backend_knobs.c: what a test can make the fake backend do differently: the device
 * FAKE_BACKEND_DEVICE asks for (cpu, gpu, cpu32), and native kernels missing or failing
 * (fake_backend_native). */
#include "fake_backend.h"

#include <stdlib.h>
#include <string.h>

/* Native kernels (clsvm's host commands): whether the device reports CL_EXEC_NATIVE_KERNEL,
 * and an error clEnqueueNativeKernel returns instead of running the function (0: none). */
int native_off;
cl_int native_fail;

EXPORT void fake_backend_native(int available, cl_int fail_with)
{
    native_off = !available;
    native_fail = fail_with;
}

/* The device FAKE_BACKEND_DEVICE asks for: 0 cpu, 1 gpu, 2 cpu32. */
int device_mode(void)
{
    const char *m = getenv("FAKE_BACKEND_DEVICE");
    return !m ? 0 : !strcmp(m, "gpu") ? 1 : !strcmp(m, "cpu32") ? 2 : 0;
}

cl_device_type device_type(void)
{
    return device_mode() == 1 ? CL_DEVICE_TYPE_GPU : CL_DEVICE_TYPE_CPU;
}
