/* hostile_svm.c: hostile calls on SVM entry points and extension functions (test_hostile_icd). */
#include "hostile_icd.h"

void svm(fx *f)
{
    cl_context c = f->e.context;
    cl_command_queue q = f->e.queue;
    unsigned char host[256];
    unsigned char *s = f->svm;
    int pat = 0x01020304;

    /* clSVMAlloc: every refusal is NULL. */
    P(clSVMAlloc(AS(cl_context, q), CL_MEM_READ_WRITE, 64, 0));
    P(clSVMAlloc(f->dead_ctx, CL_MEM_READ_WRITE, 64, 0));
    P(clSVMAlloc(c, CL_MEM_READ_WRITE, 0, 0));
    P(clSVMAlloc(c, CL_MEM_READ_WRITE, SIZE_MAX, 0));
    P(clSVMAlloc(c, CL_MEM_READ_WRITE, (size_t)1 << 46, 0));
    P(clSVMAlloc(c, CL_MEM_READ_WRITE, 64, 3));
    P(clSVMAlloc(c, CL_MEM_READ_WRITE, 64, 1u << 31));
    P(clSVMAlloc(c, CL_MEM_READ_ONLY | CL_MEM_WRITE_ONLY, 64, 0));
    P(clSVMAlloc(c, CL_MEM_READ_WRITE | CL_MEM_READ_ONLY, 64, 0));
    P(clSVMAlloc(c, CL_MEM_USE_HOST_PTR, 64, 0));
    P(clSVMAlloc(c, CL_MEM_SVM_ATOMICS, 64, 0));
    P(clSVMAlloc(c, (cl_svm_mem_flags)1 << 40, 64, 0));

    /* clSVMFree: documented no-ops that must leave every allocation alone. */
    N(clSVMFree(c, NULL));
    N(clSVMFree(c, host));
    N(clSVMFree(c, f->live + 1));
    N(clSVMFree(c, f->live + LIVE_SIZE - 1));
    N(clSVMFree(c, f->svm2)); /* another context's pointer */
    N(clSVMFree(f->ctx2, f->live));
    N(clSVMFree(AS(cl_context, q), f->live));
    N(clSVMFree(f->dead_ctx, f->live));
    N(clSVMFree(c, (void *)(uintptr_t)0x1000));
    void *tmp = clSVMAlloc(c, CL_MEM_READ_WRITE, 128, 0);
    CHECK(tmp != NULL);
    N(clSVMFree(c, tmp));
    N(clSVMFree(c, tmp)); /* double free */
    /* The other context's pointer survived: a command on it in its own context works. */
    T(CL_SUCCESS, clEnqueueSVMMemFill(f->queue2, f->svm2, &pat, 4, 4096, 0, NULL, NULL));
    CHECK_CL(clFinish(f->queue2));

    /* Kernel arguments. */
    T(CL_INVALID_ARG_VALUE, clSetKernelArgSVMPointer(f->kern, 0, host));
    T(CL_INVALID_ARG_VALUE, clSetKernelArgSVMPointer(f->kern, 0, f->svm2));
    T(CL_INVALID_ARG_VALUE, clSetKernelArgSVMPointer(f->kern, 0, tmp));
    T(CL_INVALID_ARG_INDEX, clSetKernelArgSVMPointer(f->kern, 7, s));
    T(CL_INVALID_KERNEL, clSetKernelArgSVMPointer(AS(cl_kernel, c), 0, s));
    T(CL_INVALID_KERNEL, clSetKernelArgSVMPointer(f->dead_kern, 0, s));
    T(CL_SUCCESS, clSetKernelArgSVMPointer(f->kern, 0, s + 64)); /* interior pointers are fine */
    void *ptrs[2] = {s, host};
    T(CL_INVALID_VALUE,
      clSetKernelExecInfo(f->kern, CL_KERNEL_EXEC_INFO_SVM_PTRS, sizeof ptrs, ptrs));
    T(CL_INVALID_VALUE, clSetKernelExecInfo(f->kern, CL_KERNEL_EXEC_INFO_SVM_PTRS, 8, NULL));
    T(CL_INVALID_VALUE, clSetKernelExecInfo(f->kern, CL_KERNEL_EXEC_INFO_SVM_PTRS, 5, ptrs));
    T(CL_INVALID_VALUE, clSetKernelExecInfo(f->kern, 0x7fff, sizeof ptrs, ptrs));
    cl_bool yes = CL_TRUE;
    T(CL_INVALID_VALUE,
      clSetKernelExecInfo(f->kern, CL_KERNEL_EXEC_INFO_SVM_FINE_GRAIN_SYSTEM, 1, &yes));
    if (!(f->e.caps & CL_DEVICE_SVM_FINE_GRAIN_SYSTEM))
        T(CL_INVALID_OPERATION,
          clSetKernelExecInfo(f->kern, CL_KERNEL_EXEC_INFO_SVM_FINE_GRAIN_SYSTEM, sizeof yes,
                              &yes));
    T(CL_INVALID_KERNEL,
      clSetKernelExecInfo(AS(cl_kernel, q), CL_KERNEL_EXEC_INFO_SVM_PTRS, 0, NULL));
    CHECK_CL(clSetKernelArg(f->kern, 0, sizeof f->buf, &f->buf));

    /* clEnqueueSVMFree */
    void *one[1] = {tmp};
    T(CL_INVALID_VALUE, clEnqueueSVMFree(q, 0, one, NULL, NULL, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueSVMFree(q, 1, NULL, NULL, NULL, 0, NULL, NULL));
    T(CL_INVALID_COMMAND_QUEUE,
      clEnqueueSVMFree(AS(cl_command_queue, c), 1, one, NULL, NULL, 0, NULL, NULL));
    T(CL_INVALID_COMMAND_QUEUE, clEnqueueSVMFree(f->dead_queue, 1, one, NULL, NULL, 0, NULL, NULL));
    T(CL_INVALID_EVENT_WAIT_LIST, clEnqueueSVMFree(q, 1, one, NULL, NULL, 1, NULL, NULL));
    void *foreign[3] = {tmp, f->svm2, f->live + 8}; /* freed, other context, interior */
    T(CL_SUCCESS, clEnqueueSVMFree(q, 3, foreign, NULL, NULL, 0, NULL, NULL)); /* ignored at run */
    CHECK_CL(clFinish(q));

    /* clEnqueueSVMMemcpy */
    T(CL_INVALID_VALUE, clEnqueueSVMMemcpy(q, CL_TRUE, NULL, s, 64, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueSVMMemcpy(q, CL_TRUE, s, NULL, 64, 0, NULL, NULL));
    T(CL_MEM_COPY_OVERLAP, clEnqueueSVMMemcpy(q, CL_TRUE, s, s + 32, 64, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueSVMMemcpy(q, CL_TRUE, s + 4000, host, 200, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueSVMMemcpy(q, CL_TRUE, host, s, SIZE_MAX, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueSVMMemcpy(q, CL_TRUE, f->svm2, host, 64, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueSVMMemcpy(q, CL_TRUE, tmp, host, 64, 0, NULL, NULL));
    T(CL_INVALID_COMMAND_QUEUE,
      clEnqueueSVMMemcpy(AS(cl_command_queue, c), CL_TRUE, host, s, 64, 0, NULL, NULL));
    cl_event bad = AS(cl_event, c);
    T(CL_INVALID_EVENT_WAIT_LIST, clEnqueueSVMMemcpy(q, CL_TRUE, host, s, 64, 1, &bad, NULL));
    T(CL_INVALID_EVENT_WAIT_LIST, clEnqueueSVMMemcpy(q, CL_TRUE, host, s, 64, 0, &f->uev, NULL));
    T(CL_SUCCESS, clEnqueueSVMMemcpy(q, CL_TRUE, host, s, 0, 0, NULL, NULL));

    /* clEnqueueSVMMemFill */
    T(CL_INVALID_VALUE, clEnqueueSVMMemFill(q, NULL, &pat, 4, 64, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueSVMMemFill(q, s, NULL, 4, 64, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueSVMMemFill(q, s, &pat, 0, 64, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueSVMMemFill(q, s, &pat, 3, 63, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueSVMMemFill(q, s, host, 256, 256, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueSVMMemFill(q, s + 2, &pat, 4, 64, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueSVMMemFill(q, s, &pat, 4, 62, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueSVMMemFill(q, s, &pat, 4, 8192, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueSVMMemFill(q, f->svm2, &pat, 4, 64, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueSVMMemFill(q, tmp, &pat, 4, 64, 0, NULL, NULL));
    T(CL_INVALID_COMMAND_QUEUE, clEnqueueSVMMemFill(f->dead_queue, s, &pat, 4, 64, 0, NULL, NULL));

    /* clEnqueueSVMMap / Unmap */
    T(CL_INVALID_VALUE, clEnqueueSVMMap(q, CL_TRUE, CL_MAP_READ, NULL, 64, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueSVMMap(q, CL_TRUE, CL_MAP_READ, s, 0, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueSVMMap(q, CL_TRUE, CL_MAP_READ | CL_MAP_WRITE_INVALIDATE_REGION, s,
                                        64, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueSVMMap(q, CL_TRUE, (cl_map_flags)1 << 20, s, 64, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueSVMMap(q, CL_TRUE, CL_MAP_READ, s + 4000, 200, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueSVMMap(q, CL_TRUE, CL_MAP_READ, f->svm2, 64, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueSVMUnmap(q, NULL, 0, NULL, NULL));
    T(CL_INVALID_COMMAND_QUEUE, clEnqueueSVMUnmap(AS(cl_command_queue, f->buf), s, 0, NULL, NULL));

    /* clEnqueueSVMMigrateMem */
    const void *mp[2] = {s, f->live};
    size_t msz[2] = {64, 8192}, mbig[2] = {8192, 0};
    T(CL_INVALID_VALUE, clEnqueueSVMMigrateMem(q, 0, mp, NULL, 0, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueSVMMigrateMem(q, 2, NULL, NULL, 0, 0, NULL, NULL));
    const void *mnull[1] = {NULL};
    T(CL_INVALID_VALUE, clEnqueueSVMMigrateMem(q, 1, mnull, NULL, 0, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueSVMMigrateMem(q, 2, mp, mbig, 0, 0, NULL, NULL));
    T(CL_INVALID_VALUE,
      clEnqueueSVMMigrateMem(q, 2, mp, msz, (cl_mem_migration_flags)1 << 20, 0, NULL, NULL));
    const void *mfor[1] = {f->svm2};
    T(CL_INVALID_VALUE, clEnqueueSVMMigrateMem(q, 1, mfor, NULL, 0, 0, NULL, NULL));
    T(CL_SUCCESS, clEnqueueSVMMigrateMem(q, 2, mp, msz, 0, 0, NULL, NULL));
    CHECK_CL(clFinish(q));
}

void extensions(fx *f)
{
    void *fn = clGetExtensionFunctionAddressForPlatform(f->e.platform, "clNoSuchFunctionKHR");
    result(f, __FILE__, __LINE__, "clGetExtensionFunctionAddressForPlatform(unknown)",
           fn ? -9999 : 0, 0, 0);
    fn = clGetExtensionFunctionAddressForPlatform(f->e.platform, "");
    result(f, __FILE__, __LINE__, "clGetExtensionFunctionAddressForPlatform(\"\")", fn ? -9999 : 0,
           0, 0);
    T(CL_SUCCESS, clUnloadCompiler());
    /* Through the loader (it answers these itself) and clsvm's extension lookups. */
    T(CL_INVALID_VALUE, clGetPlatformIDs(0, NULL, NULL));
    fn = clGetExtensionFunctionAddress("clNoSuchFunctionKHR");
    result(f, __FILE__, __LINE__, "clGetExtensionFunctionAddress(unknown)", fn ? -9999 : 0, 0, 0);
    typedef cl_int (*dev_fn)(cl_device_id);
    dev_fn retain = (dev_fn)(uintptr_t)clGetExtensionFunctionAddressForPlatform(
        f->e.platform, "clRetainDeviceEXT");
    dev_fn release = (dev_fn)(uintptr_t)clGetExtensionFunctionAddressForPlatform(
        f->e.platform, "clReleaseDeviceEXT");
    if (retain)
        T(CL_INVALID_DEVICE, retain(AS(cl_device_id, f->e.context)));
    if (release)
        T(CL_INVALID_DEVICE, release(AS(cl_device_id, f->e.queue)));
    typedef cl_int (*sg_fn)(cl_kernel, cl_device_id, cl_kernel_sub_group_info, size_t, const void *,
                            size_t, void *, size_t *);
    sg_fn sg = (sg_fn)(uintptr_t)clGetExtensionFunctionAddressForPlatform(
        f->e.platform, "clGetKernelSubGroupInfoKHR");
    size_t sz;
    if (sg)
        T(CL_INVALID_KERNEL,
          sg(AS(cl_kernel, f->e.context), f->e.device, CL_KERNEL_MAX_SUB_GROUP_SIZE_FOR_NDRANGE_KHR,
             0, NULL, 0, NULL, &sz));
}
