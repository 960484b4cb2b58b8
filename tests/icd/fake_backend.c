/* fake_backend.c: a tiny fake OpenCL ICD used as clsvm's backend (CLSVM_BACKEND=<this .so>) to
 * test clsvm's forwarding layer without pocl, in the manner of the Khronos loader's stub ICD.
 * It logs every call it receives, one line each, naming the handles it was given as
 * "<kind>#<id>" when they are its own objects and "BAD" when they are not (e.g. a clsvm
 * wrapper that clsvm forgot to unwrap). Buffers hold real bytes; commands run at enqueue time.
 * The test reaches the log through fake_backend_log()/fake_backend_live() after dlopen'ing
 * the same library (RTLD_NOLOAD). Only what the forwarding test needs is implemented; the
 * other dispatch entries are NULL. Reference counts are plain ints: single-threaded use only.
 * FAKE_BACKEND_DEVICE picks the device: unset or "cpu" a 64-bit CPU device with host-unified
 * memory, "gpu" a GPU with memory of its own (no host-unified memory), "cpu32" a CPU device
 * with 32 address bits.
 * This file is the ICD entry and the dispatch table. The objects, the call log and the
 * test's knobs are in fake_backend_objects.c, fake_backend_log.c and fake_backend_knobs.c;
 * the entry points in fake_backend_info.c (queries), fake_backend_create.c (create, retain,
 * release) and fake_backend_commands.c (enqueues and events). */
#include "fake_backend.h"

#include <stdint.h>
#include <string.h>

struct _cl_icd_dispatch table;

static void *CL_API_CALL f_GetExtensionFunctionAddressForPlatform(cl_platform_id p,
                                                                  const char *name)
{
    logf_("clGetExtensionFunctionAddressForPlatform %s %s\n", nm(p, K_PLATFORM), name);
    return NULL;
}

static cl_int CL_API_CALL f_IcdGetPlatformIDs(cl_uint n, cl_platform_id *ids, cl_uint *num)
{
    logf_("clIcdGetPlatformIDsKHR %u\n", n);
    if ((n == 0 && ids) || (!ids && !num))
        return CL_INVALID_VALUE;
    if (ids)
        ids[0] = (cl_platform_id)&platform;
    if (num)
        *num = 1;
    return CL_SUCCESS;
}

static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void fill_table(void)
{
    table.clGetPlatformInfo = f_GetPlatformInfo;
    table.clGetDeviceIDs = f_GetDeviceIDs;
    table.clGetDeviceInfo = f_GetDeviceInfo;
    table.clCreateContext = f_CreateContext;
    table.clRetainContext = f_RetainContext;
    table.clReleaseContext = f_ReleaseContext;
    table.clGetContextInfo = f_GetContextInfo;
    table.clCreateCommandQueue = f_CreateCommandQueue;
    table.clCreateCommandQueueWithProperties = f_CreateCommandQueueWithProperties;
    table.clRetainCommandQueue = f_RetainCommandQueue;
    table.clReleaseCommandQueue = f_ReleaseCommandQueue;
    table.clGetCommandQueueInfo = f_GetCommandQueueInfo;
    table.clFlush = f_Flush;
    table.clFinish = f_Finish;
    table.clCreateBuffer = f_CreateBuffer;
    table.clRetainMemObject = f_RetainMemObject;
    table.clReleaseMemObject = f_ReleaseMemObject;
    table.clGetMemObjectInfo = f_GetMemObjectInfo;
    table.clSetMemObjectDestructorCallback = f_SetMemObjectDestructorCallback;
    table.clEnqueueReadBuffer = f_EnqueueReadBuffer;
    table.clEnqueueWriteBuffer = f_EnqueueWriteBuffer;
    table.clEnqueueNativeKernel = f_EnqueueNativeKernel;
    table.clRetainEvent = f_RetainEvent;
    table.clReleaseEvent = f_ReleaseEvent;
    table.clGetEventInfo = f_GetEventInfo;
    table.clWaitForEvents = f_WaitForEvents;
    table.clSetEventCallback = f_SetEventCallback;
    table.clGetExtensionFunctionAddressForPlatform = f_GetExtensionFunctionAddressForPlatform;
}

/* The only OpenCL symbol a backend needs to export: clsvm finds everything else through it. */
EXPORT void *CL_API_CALL clGetExtensionFunctionAddress(const char *name)
{
    pthread_once(&table_once, fill_table);
    logf_("clGetExtensionFunctionAddress %s\n", name);
    if (!strcmp(name, "clIcdGetPlatformIDsKHR"))
        return (void *)(uintptr_t)f_IcdGetPlatformIDs;
    /* ocl-icd asks for this one by name; answering lets the fake be loaded by the loader
     * directly too, which is how the forwarding test's expectations are checked themselves. */
    if (!strcmp(name, "clGetPlatformInfo"))
        return (void *)(uintptr_t)f_GetPlatformInfo;
    return NULL;
}
