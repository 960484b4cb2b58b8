/* hostile_objects.c: hostile calls on platforms, devices, contexts, retain/release, queues and
 * buffers (test_hostile_icd). */
#include "hostile_icd.h"

void platform_device_context(fx *f)
{
    cl_int err;
    cl_platform_id p = f->e.platform;
    cl_device_id d = f->e.device;
    cl_context c = f->e.context;
    char buf[64];
    size_t sz;
    cl_uint n;
    cl_device_id devs[4];

    T(CL_INVALID_VALUE, clGetPlatformInfo(p, 0x7fff, sizeof buf, buf, NULL));
    T(CL_INVALID_VALUE, clGetPlatformInfo(p, CL_PLATFORM_NAME, 1, buf, NULL));
    T(CL_INVALID_PLATFORM,
      clGetPlatformInfo(AS(cl_platform_id, c), CL_PLATFORM_NAME, 0, NULL, &sz));
    T(CL_INVALID_PLATFORM,
      clGetPlatformInfo(AS(cl_platform_id, d), CL_PLATFORM_NAME, 0, NULL, &sz));

    /* icd/device.c forwards the type to pocl, which answers CL_DEVICE_NOT_FOUND. */
    T(CL_INVALID_DEVICE_TYPE, clGetDeviceIDs(p, 0, 1, devs, &n));
    T(CL_INVALID_DEVICE_TYPE, clGetDeviceIDs(p, (cl_device_type)1 << 40, 1, devs, &n));
    T(CL_INVALID_VALUE, clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, 0, devs, &n));
    T(CL_INVALID_VALUE, clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, 0, NULL, NULL));
    T(CL_INVALID_PLATFORM, clGetDeviceIDs(AS(cl_platform_id, c), CL_DEVICE_TYPE_ALL, 1, devs, &n));

    T(CL_INVALID_VALUE, clGetDeviceInfo(d, 0x7fff, sizeof buf, buf, NULL));
    T(CL_INVALID_VALUE, clGetDeviceInfo(d, CL_DEVICE_NAME, 1, buf, NULL));
    T(CL_INVALID_VALUE, clGetDeviceInfo(d, CL_DEVICE_SVM_CAPABILITIES, 1, buf, NULL));
    T(CL_INVALID_VALUE, clGetDeviceInfo(d, CL_DEVICE_MAX_MEM_ALLOC_SIZE, 4, buf, NULL));
    T(CL_INVALID_DEVICE, clGetDeviceInfo(AS(cl_device_id, c), CL_DEVICE_NAME, 0, NULL, &sz));
    T(CL_INVALID_DEVICE, clGetDeviceInfo(AS(cl_device_id, p), CL_DEVICE_NAME, 0, NULL, &sz));
    T(CL_INVALID_DEVICE,
      clGetDeviceInfo(AS(cl_device_id, f->e.queue), CL_DEVICE_SVM_CAPABILITIES, 0, NULL, &sz));

    cl_context_properties props[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)p, 0};
    cl_context_properties badkey[] = {0x7fff, 1, CL_CONTEXT_PLATFORM, (cl_context_properties)p, 0};
    cl_context_properties badplat[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)c, 0};
    cl_context_properties twice[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)p,
                                     CL_CONTEXT_PLATFORM, (cl_context_properties)p, 0};
    O(CL_INVALID_VALUE, cl_context, clReleaseContext,
      clCreateContext(props, 0, &d, NULL, NULL, &err));
    O(CL_INVALID_VALUE, cl_context, clReleaseContext,
      clCreateContext(props, 1, NULL, NULL, NULL, &err));
    O(CL_INVALID_VALUE, cl_context, clReleaseContext,
      clCreateContext(props, 1, &d, NULL, buf, &err));
    cl_device_id bad_dev = AS(cl_device_id, c);
    O(CL_INVALID_DEVICE, cl_context, clReleaseContext,
      clCreateContext(props, 1, &bad_dev, NULL, NULL, &err));
    cl_device_id with_null[2] = {d, NULL};
    O(CL_INVALID_DEVICE, cl_context, clReleaseContext,
      clCreateContext(props, 2, with_null, NULL, NULL, &err));
    O(CL_INVALID_PROPERTY, cl_context, clReleaseContext,
      clCreateContext(badkey, 1, &d, NULL, NULL, &err));
    O(CL_INVALID_PLATFORM, cl_context, clReleaseContext,
      clCreateContext(badplat, 1, &d, NULL, NULL, &err));
    O(CL_INVALID_PROPERTY, cl_context, clReleaseContext,
      clCreateContext(twice, 1, &d, NULL, NULL, &err));
    O(CL_INVALID_DEVICE_TYPE, cl_context, clReleaseContext,
      clCreateContextFromType(props, 0, NULL, NULL, &err));
    O(CL_INVALID_VALUE, cl_context, clReleaseContext,
      clCreateContextFromType(props, CL_DEVICE_TYPE_ALL, NULL, buf, &err));
    O(CL_INVALID_PROPERTY, cl_context, clReleaseContext,
      clCreateContextFromType(badkey, CL_DEVICE_TYPE_ALL, NULL, NULL, &err));

    T(CL_INVALID_VALUE, clGetContextInfo(c, 0x7fff, sizeof buf, buf, NULL));
    T(CL_INVALID_VALUE, clGetContextInfo(c, CL_CONTEXT_NUM_DEVICES, 1, buf, NULL));
    T(CL_INVALID_CONTEXT,
      clGetContextInfo(AS(cl_context, f->e.queue), CL_CONTEXT_NUM_DEVICES, 0, NULL, &sz));
    T(CL_INVALID_CONTEXT,
      clGetContextInfo(AS(cl_context, d), CL_CONTEXT_NUM_DEVICES, 0, NULL, &sz));
    T(CL_INVALID_CONTEXT, clGetContextInfo(f->dead_ctx, CL_CONTEXT_NUM_DEVICES, 0, NULL, &sz));
    T(CL_INVALID_VALUE, clSetContextDestructorCallback(c, NULL, NULL));
    T(CL_INVALID_CONTEXT, clSetContextDestructorCallback(AS(cl_context, f->buf), NULL, NULL));

    T(CL_INVALID_VALUE, clCreateSubDevices(d, NULL, 1, devs, &n));
    cl_device_partition_property pbad[] = {0x7fff, 0};
    T(CL_INVALID_VALUE, clCreateSubDevices(d, pbad, 1, devs, &n));
    T(CL_INVALID_DEVICE, clCreateSubDevices(AS(cl_device_id, c), pbad, 1, devs, &n));
    T(CL_SUCCESS, clRetainDevice(d)); /* root device: a no-op */
    T(CL_SUCCESS, clReleaseDevice(d));
    T(CL_INVALID_DEVICE, clRetainDevice(AS(cl_device_id, c)));
    T(CL_INVALID_DEVICE, clReleaseDevice(AS(cl_device_id, f->e.queue)));
}

void retain_release(fx *f)
{
    cl_context c = f->e.context;
    T(CL_INVALID_CONTEXT, clRetainContext(AS(cl_context, f->e.queue)));
    T(CL_INVALID_CONTEXT, clReleaseContext(AS(cl_context, f->buf)));
    T(CL_INVALID_CONTEXT, clRetainContext(f->dead_ctx));
    T(CL_INVALID_CONTEXT, clReleaseContext(f->dead_ctx));
    T(CL_INVALID_COMMAND_QUEUE, clRetainCommandQueue(AS(cl_command_queue, c)));
    T(CL_INVALID_COMMAND_QUEUE, clReleaseCommandQueue(f->dead_queue));
    T(CL_INVALID_MEM_OBJECT, clRetainMemObject(AS(cl_mem, c)));
    T(CL_INVALID_MEM_OBJECT, clReleaseMemObject(f->dead_mem));
    T(CL_INVALID_SAMPLER, clRetainSampler(AS(cl_sampler, f->buf)));
    T(CL_INVALID_SAMPLER, clReleaseSampler(f->dead_sampler));
    T(CL_INVALID_PROGRAM, clRetainProgram(AS(cl_program, f->kern)));
    T(CL_INVALID_PROGRAM, clReleaseProgram(f->dead_prog));
    T(CL_INVALID_KERNEL, clRetainKernel(AS(cl_kernel, f->prog)));
    T(CL_INVALID_KERNEL, clReleaseKernel(f->dead_kern));
    T(CL_INVALID_EVENT, clRetainEvent(AS(cl_event, f->e.queue)));
    T(CL_INVALID_EVENT, clReleaseEvent(f->dead_event));
    /* Over-release: a program the application released but its kernel still holds is refused,
     * not freed under the kernel (and kern2 keeps working afterwards). */
    cl_program kept = NULL;
    CHECK_CL(clGetKernelInfo(f->kern2, CL_KERNEL_PROGRAM, sizeof kept, &kept, NULL));
    T(CL_INVALID_PROGRAM, clReleaseProgram(kept));
    T(CL_INVALID_PROGRAM, clReleaseProgram(kept));
}

void queues_buffers(fx *f)
{
    cl_int err;
    cl_context c = f->e.context;
    cl_device_id d = f->e.device;
    cl_command_queue q = f->e.queue;
    char buf[64];
    size_t sz;
    unsigned char host[8192];

    cl_queue_properties badkey[] = {0x7fff, 0, 0};
    cl_queue_properties badbits[] = {CL_QUEUE_PROPERTIES, (cl_queue_properties)1 << 30, 0};
    cl_queue_properties devq[] = {CL_QUEUE_PROPERTIES, CL_QUEUE_ON_DEVICE, 0}; /* without OOO */
    O(CL_INVALID_VALUE, cl_command_queue, clReleaseCommandQueue,
      clCreateCommandQueueWithProperties(c, d, badkey, &err));
    O(CL_INVALID_VALUE, cl_command_queue, clReleaseCommandQueue,
      clCreateCommandQueueWithProperties(c, d, badbits, &err));
    O(CL_INVALID_VALUE, cl_command_queue, clReleaseCommandQueue,
      clCreateCommandQueueWithProperties(c, d, devq, &err));
    O(CL_INVALID_CONTEXT, cl_command_queue, clReleaseCommandQueue,
      clCreateCommandQueueWithProperties(AS(cl_context, q), d, NULL, &err));
    O(CL_INVALID_CONTEXT, cl_command_queue, clReleaseCommandQueue,
      clCreateCommandQueueWithProperties(f->dead_ctx, d, NULL, &err));
    O(CL_INVALID_DEVICE, cl_command_queue, clReleaseCommandQueue,
      clCreateCommandQueueWithProperties(c, AS(cl_device_id, c), NULL, &err));
    O(CL_INVALID_VALUE, cl_command_queue, clReleaseCommandQueue,
      clCreateCommandQueue(c, d, (cl_command_queue_properties)1 << 30, &err));
    O(CL_INVALID_CONTEXT, cl_command_queue, clReleaseCommandQueue,
      clCreateCommandQueue(AS(cl_context, d), d, 0, &err));
    O(CL_INVALID_VALUE, cl_command_queue, clReleaseCommandQueue,
      clCreateCommandQueue(c, d, CL_QUEUE_ON_DEVICE | CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE,
                           &err));
    cl_queue_properties devq_ooo[] = {
        CL_QUEUE_PROPERTIES, CL_QUEUE_ON_DEVICE | CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE, 0};
    cl_queue_properties qsize[] = {CL_QUEUE_SIZE, 4096, 0};
    O(CL_INVALID_QUEUE_PROPERTIES, cl_command_queue, clReleaseCommandQueue,
      clCreateCommandQueueWithProperties(c, d, devq_ooo, &err));
    O(CL_INVALID_VALUE, cl_command_queue, clReleaseCommandQueue,
      clCreateCommandQueueWithProperties(c, d, qsize, &err));
    T(CL_INVALID_VALUE, clGetCommandQueueInfo(q, 0x7fff, sizeof buf, buf, NULL));
    T(CL_INVALID_VALUE, clGetCommandQueueInfo(q, CL_QUEUE_CONTEXT, 1, buf, NULL));
    T(CL_INVALID_COMMAND_QUEUE,
      clGetCommandQueueInfo(AS(cl_command_queue, c), CL_QUEUE_CONTEXT, 0, NULL, &sz));
    T(CL_INVALID_COMMAND_QUEUE,
      clGetCommandQueueInfo(f->dead_queue, CL_QUEUE_CONTEXT, 0, NULL, &sz));
    T(CL_INVALID_COMMAND_QUEUE, clFlush(AS(cl_command_queue, c)));
    T(CL_INVALID_COMMAND_QUEUE, clFinish(AS(cl_command_queue, f->buf)));
    T(CL_INVALID_COMMAND_QUEUE, clFinish(f->dead_queue));

    O(CL_INVALID_VALUE, cl_mem, clReleaseMemObject,
      clCreateBuffer(c, CL_MEM_READ_ONLY | CL_MEM_WRITE_ONLY, 64, NULL, &err));
    O(CL_INVALID_VALUE, cl_mem, clReleaseMemObject,
      clCreateBuffer(c, (cl_mem_flags)1 << 40, 64, NULL, &err));
    O(CL_INVALID_BUFFER_SIZE, cl_mem, clReleaseMemObject,
      clCreateBuffer(c, CL_MEM_READ_WRITE, 0, NULL, &err));
    O(CL_INVALID_BUFFER_SIZE, cl_mem, clReleaseMemObject,
      clCreateBuffer(c, CL_MEM_READ_WRITE, SIZE_MAX, NULL, &err));
    O(CL_INVALID_HOST_PTR, cl_mem, clReleaseMemObject,
      clCreateBuffer(c, CL_MEM_USE_HOST_PTR, 64, NULL, &err));
    O(CL_INVALID_HOST_PTR, cl_mem, clReleaseMemObject,
      clCreateBuffer(c, CL_MEM_COPY_HOST_PTR, 64, NULL, &err));
    O(CL_INVALID_HOST_PTR, cl_mem, clReleaseMemObject,
      clCreateBuffer(c, CL_MEM_READ_WRITE, 64, host, &err));
    O(CL_INVALID_VALUE, cl_mem, clReleaseMemObject,
      clCreateBuffer(c, CL_MEM_USE_HOST_PTR | CL_MEM_ALLOC_HOST_PTR, 64, host, &err));
    O(CL_INVALID_CONTEXT, cl_mem, clReleaseMemObject,
      clCreateBuffer(AS(cl_context, q), CL_MEM_READ_WRITE, 64, NULL, &err));
    O(CL_INVALID_CONTEXT, cl_mem, clReleaseMemObject,
      clCreateBuffer(f->dead_ctx, CL_MEM_READ_WRITE, 64, NULL, &err));
    /* A buffer over SVM memory that overruns the allocation: docs/svm.md (the spec's error for
     * the clSVMAlloc pointer itself). Over another context's SVM: the spec is silent; clsvm
     * treats it as host memory. */
    O(CL_INVALID_BUFFER_SIZE, cl_mem, clReleaseMemObject,
      clCreateBuffer(c, CL_MEM_USE_HOST_PTR, 8192, f->svm, &err));
    O(CL_INVALID_BUFFER_SIZE, cl_mem, clReleaseMemObject,
      clCreateBuffer(c, CL_MEM_COPY_HOST_PTR, 4096, f->svm + 64, &err));
    O2(CL_SUCCESS, CL_INVALID_HOST_PTR, cl_mem, clReleaseMemObject,
       clCreateBuffer(c, CL_MEM_USE_HOST_PTR, 64, f->svm2, &err));
    cl_mem_properties mpbad[] = {0x7fff, 0, 0};
    O(CL_INVALID_PROPERTY, cl_mem, clReleaseMemObject,
      clCreateBufferWithProperties(c, mpbad, CL_MEM_READ_WRITE, 64, NULL, &err));
    O(CL_INVALID_BUFFER_SIZE, cl_mem, clReleaseMemObject,
      clCreateBufferWithProperties(c, NULL, CL_MEM_READ_WRITE, 0, NULL, &err));

    cl_buffer_region over = {4096 - 64, 128}, zero = {0, 0}, odd = {1, 64};
    O(CL_INVALID_VALUE, cl_mem, clReleaseMemObject,
      clCreateSubBuffer(f->buf, 0, CL_BUFFER_CREATE_TYPE_REGION, &over, &err));
    O(CL_INVALID_BUFFER_SIZE, cl_mem, clReleaseMemObject,
      clCreateSubBuffer(f->buf, 0, CL_BUFFER_CREATE_TYPE_REGION, &zero, &err));
    O(CL_MISALIGNED_SUB_BUFFER_OFFSET, cl_mem, clReleaseMemObject,
      clCreateSubBuffer(f->buf, 0, CL_BUFFER_CREATE_TYPE_REGION, &odd, &err));
    O(CL_INVALID_VALUE, cl_mem, clReleaseMemObject,
      clCreateSubBuffer(f->buf, 0, CL_BUFFER_CREATE_TYPE_REGION, NULL, &err));
    O(CL_INVALID_VALUE, cl_mem, clReleaseMemObject,
      clCreateSubBuffer(f->buf, 0, 0x7fff, &over, &err));
    O(CL_INVALID_MEM_OBJECT, cl_mem, clReleaseMemObject,
      clCreateSubBuffer(f->dead_mem, 0, CL_BUFFER_CREATE_TYPE_REGION, &odd, &err));

    T(CL_INVALID_VALUE, clGetMemObjectInfo(f->buf, 0x7fff, sizeof buf, buf, NULL));
    T(CL_INVALID_VALUE, clGetMemObjectInfo(f->buf, CL_MEM_SIZE, 1, buf, NULL));
    T(CL_INVALID_MEM_OBJECT, clGetMemObjectInfo(AS(cl_mem, q), CL_MEM_SIZE, 0, NULL, &sz));
    T(CL_INVALID_MEM_OBJECT, clGetMemObjectInfo(f->dead_mem, CL_MEM_SIZE, 0, NULL, &sz));
    T(CL_INVALID_MEM_OBJECT, clGetImageInfo(f->buf, CL_IMAGE_WIDTH, 0, NULL, &sz));
    T(CL_INVALID_MEM_OBJECT, clGetImageInfo(AS(cl_mem, c), CL_IMAGE_WIDTH, 0, NULL, &sz));
    T(CL_INVALID_VALUE, clSetMemObjectDestructorCallback(f->buf, NULL, NULL));
    T(CL_INVALID_MEM_OBJECT, clSetMemObjectDestructorCallback(AS(cl_mem, c), NULL, NULL));

    cl_image_format fmt = {CL_RGBA, CL_UNORM_INT8};
    cl_image_desc desc = {
        .image_type = CL_MEM_OBJECT_IMAGE2D, .image_width = 16, .image_height = 16};
    cl_image_desc baddesc = {.image_type = CL_MEM_OBJECT_BUFFER, .image_width = 16};
    O(CL_INVALID_IMAGE_FORMAT_DESCRIPTOR, cl_mem, clReleaseMemObject,
      clCreateImage(c, CL_MEM_READ_WRITE, NULL, &desc, NULL, &err));
    O(CL_INVALID_IMAGE_DESCRIPTOR, cl_mem, clReleaseMemObject,
      clCreateImage(c, CL_MEM_READ_WRITE, &fmt, NULL, NULL, &err));
    O(CL_INVALID_IMAGE_DESCRIPTOR, cl_mem, clReleaseMemObject,
      clCreateImage(c, CL_MEM_READ_WRITE, &fmt, &baddesc, NULL, &err));
    O(CL_INVALID_CONTEXT, cl_mem, clReleaseMemObject,
      clCreateImage(AS(cl_context, q), CL_MEM_READ_WRITE, &fmt, &desc, NULL, &err));
    O(CL_INVALID_PROPERTY, cl_mem, clReleaseMemObject,
      clCreateImageWithProperties(c, mpbad, CL_MEM_READ_WRITE, &fmt, &desc, NULL, &err));

    T(CL_INVALID_VALUE, clGetSamplerInfo(f->sampler, 0x7fff, sizeof buf, buf, NULL));
    T(CL_INVALID_SAMPLER, clGetSamplerInfo(AS(cl_sampler, c), CL_SAMPLER_CONTEXT, 0, NULL, &sz));
    T(CL_INVALID_SAMPLER, clGetSamplerInfo(f->dead_sampler, CL_SAMPLER_CONTEXT, 0, NULL, &sz));
    cl_sampler_properties spbad[] = {0x7fff, 0, 0};
    O(CL_INVALID_VALUE, cl_sampler, clReleaseSampler,
      clCreateSamplerWithProperties(c, spbad, &err));
    O(CL_INVALID_CONTEXT, cl_sampler, clReleaseSampler,
      clCreateSamplerWithProperties(AS(cl_context, q), NULL, &err));

    /* Buffer enqueues (generated forwarders: handle checks, then the backend's checks). */
    cl_event ev_bad = AS(cl_event, c), ev_ok = f->uev;
    T(CL_INVALID_VALUE, clEnqueueReadBuffer(q, f->buf, CL_TRUE, 4000, 200, host, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueReadBuffer(q, f->buf, CL_TRUE, 0, 64, NULL, 0, NULL, NULL));
    T(CL_INVALID_VALUE,
      clEnqueueWriteBuffer(q, f->buf, CL_TRUE, SIZE_MAX - 8, 64, host, 0, NULL, NULL));
    T(CL_INVALID_COMMAND_QUEUE,
      clEnqueueReadBuffer(AS(cl_command_queue, c), f->buf, CL_TRUE, 0, 64, host, 0, NULL, NULL));
    T(CL_INVALID_COMMAND_QUEUE,
      clEnqueueReadBuffer(f->dead_queue, f->buf, CL_TRUE, 0, 64, host, 0, NULL, NULL));
    T(CL_INVALID_MEM_OBJECT,
      clEnqueueReadBuffer(q, AS(cl_mem, q), CL_TRUE, 0, 64, host, 0, NULL, NULL));
    T(CL_INVALID_MEM_OBJECT,
      clEnqueueReadBuffer(q, f->dead_mem, CL_TRUE, 0, 64, host, 0, NULL, NULL));
    T(CL_INVALID_CONTEXT, clEnqueueReadBuffer(q, f->buf2, CL_TRUE, 0, 64, host, 0, NULL, NULL));
    T(CL_INVALID_EVENT_WAIT_LIST,
      clEnqueueReadBuffer(q, f->buf, CL_TRUE, 0, 64, host, 1, NULL, NULL));
    T(CL_INVALID_EVENT_WAIT_LIST,
      clEnqueueReadBuffer(q, f->buf, CL_TRUE, 0, 64, host, 0, &ev_ok, NULL));
    T(CL_INVALID_EVENT_WAIT_LIST,
      clEnqueueReadBuffer(q, f->buf, CL_TRUE, 0, 64, host, 1, &ev_bad, NULL));
    T(CL_INVALID_EVENT_WAIT_LIST,
      clEnqueueReadBuffer(q, f->buf, CL_TRUE, 0, 64, host, 1, &f->dead_event, NULL));
    T(CL_MEM_COPY_OVERLAP, clEnqueueCopyBuffer(q, f->buf, f->buf, 0, 32, 64, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueCopyBuffer(q, f->buf, f->buf, 0, 4090, 64, 0, NULL, NULL));
    T(CL_INVALID_CONTEXT, clEnqueueCopyBuffer(q, f->buf, f->buf2, 0, 0, 64, 0, NULL, NULL));
    int pat = 0;
    T(CL_INVALID_VALUE, clEnqueueFillBuffer(q, f->buf, NULL, 4, 0, 64, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueFillBuffer(q, f->buf, &pat, 3, 0, 63, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueFillBuffer(q, f->buf, &pat, 4, 2, 64, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueFillBuffer(q, f->buf, &pat, 4, 4096, 64, 0, NULL, NULL));
    O(CL_INVALID_VALUE, void *, (void),
      clEnqueueMapBuffer(q, f->buf, CL_TRUE, CL_MAP_READ, 4000, 200, 0, NULL, NULL, &err));
    O(CL_INVALID_MEM_OBJECT, void *, (void),
      clEnqueueMapBuffer(q, f->dead_mem, CL_TRUE, CL_MAP_READ, 0, 64, 0, NULL, NULL, &err));
    T(CL_INVALID_MEM_OBJECT, clEnqueueUnmapMemObject(q, AS(cl_mem, c), host, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueMigrateMemObjects(q, 0, NULL, 0, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueMigrateMemObjects(q, 1, NULL, 0, 0, NULL, NULL));
    T(CL_INVALID_VALUE,
      clEnqueueMigrateMemObjects(q, 1, &f->buf, (cl_mem_migration_flags)1 << 20, 0, NULL, NULL));
    T(CL_INVALID_MEM_OBJECT, clEnqueueMigrateMemObjects(q, 1, &f->dead_mem, 0, 0, NULL, NULL));
    T(CL_INVALID_CONTEXT, clEnqueueMigrateMemObjects(q, 1, &f->buf2, 0, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueMarker(q, NULL));
    T(CL_INVALID_COMMAND_QUEUE, clEnqueueMarker(AS(cl_command_queue, c), &ev_bad));
    T(CL_INVALID_VALUE, clEnqueueWaitForEvents(q, 0, NULL));
    T(CL_INVALID_VALUE, clEnqueueWaitForEvents(q, 1, NULL));
    T(CL_INVALID_EVENT, clEnqueueWaitForEvents(q, 1, &ev_bad));
    T(CL_INVALID_EVENT_WAIT_LIST, clEnqueueMarkerWithWaitList(q, 1, &f->dead_event, NULL));
    T(CL_INVALID_EVENT_WAIT_LIST, clEnqueueBarrierWithWaitList(q, 2, NULL, NULL));
    CHECK_CL(clFinish(q));
}
