/* hostile_programs.c: hostile calls on programs, kernels and events (test_hostile_icd). */
#include "hostile_icd.h"

void programs_kernels(fx *f)
{
    cl_int err;
    cl_context c = f->e.context;
    cl_device_id d = f->e.device;
    cl_command_queue q = f->e.queue;
    char buf[64];
    size_t sz;
    const char *s = hostile_src, *nulls[1] = {NULL};
    const unsigned char junk[] = "not a binary";
    const unsigned char *bins[1] = {junk};
    const unsigned char *nullbin[1] = {NULL};
    size_t lens[1] = {sizeof junk}, zero_len[1] = {0};
    cl_int bstat[1];

    O(CL_INVALID_VALUE, cl_program, clReleaseProgram,
      clCreateProgramWithSource(c, 0, &s, NULL, &err));
    /* pocl 3.1 dereferences strings / strings[i] unchecked: clsvm checks them (program_source.c).
     */
    O(CL_INVALID_VALUE, cl_program, clReleaseProgram,
      clCreateProgramWithSource(c, 1, NULL, NULL, &err));
    O(CL_INVALID_VALUE, cl_program, clReleaseProgram,
      clCreateProgramWithSource(c, 1, nulls, NULL, &err));
    O(CL_INVALID_CONTEXT, cl_program, clReleaseProgram,
      clCreateProgramWithSource(AS(cl_context, q), 1, &s, NULL, &err));
    O(CL_INVALID_VALUE, cl_program, clReleaseProgram,
      clCreateProgramWithBinary(c, 0, &d, lens, bins, bstat, &err));
    O(CL_INVALID_VALUE, cl_program, clReleaseProgram,
      clCreateProgramWithBinary(c, 1, NULL, lens, bins, bstat, &err));
    O(CL_INVALID_VALUE, cl_program, clReleaseProgram,
      clCreateProgramWithBinary(c, 1, &d, lens, nullbin, bstat, &err));
    O(CL_INVALID_VALUE, cl_program, clReleaseProgram,
      clCreateProgramWithBinary(c, 1, &d, zero_len, bins, bstat, &err));
    O(CL_INVALID_BINARY, cl_program, clReleaseProgram,
      clCreateProgramWithBinary(c, 1, &d, lens, bins, bstat, &err));
    cl_device_id bad_dev = AS(cl_device_id, c);
    O(CL_INVALID_DEVICE, cl_program, clReleaseProgram,
      clCreateProgramWithBinary(c, 1, &bad_dev, lens, bins, bstat, &err));
    O(CL_INVALID_VALUE, cl_program, clReleaseProgram, clCreateProgramWithIL(c, NULL, 16, &err));
    O(CL_INVALID_VALUE, cl_program, clReleaseProgram, clCreateProgramWithIL(c, junk, 0, &err));
    O(CL_INVALID_VALUE, cl_program, clReleaseProgram,
      clCreateProgramWithBuiltInKernels(c, 1, &d, NULL, &err));
    O(CL_INVALID_VALUE, cl_program, clReleaseProgram,
      clCreateProgramWithBuiltInKernels(c, 1, &d, "no_such_builtin", &err));
    O(CL_INVALID_VALUE, cl_program, clReleaseProgram,
      clCreateProgramWithBuiltInKernels(c, 0, &d, "x", &err));

    T(CL_INVALID_VALUE, clBuildProgram(f->unbuilt, 1, NULL, NULL, NULL, NULL));
    T(CL_INVALID_VALUE, clBuildProgram(f->unbuilt, 0, &d, NULL, NULL, NULL));
    T(CL_INVALID_VALUE, clBuildProgram(f->unbuilt, 0, NULL, NULL, NULL, buf));
    T(CL_INVALID_DEVICE, clBuildProgram(f->unbuilt, 1, &bad_dev, NULL, NULL, NULL));
    T(CL_INVALID_PROGRAM, clBuildProgram(AS(cl_program, c), 0, NULL, NULL, NULL, NULL));
    T(CL_INVALID_PROGRAM, clBuildProgram(f->dead_prog, 0, NULL, NULL, NULL, NULL));
    /* A program of its own: a wrongly accepted compile must not change f->unbuilt. */
    cl_program fresh = clCreateProgramWithSource(c, 1, &s, NULL, &err);
    CHECK_CL(err);
    /* Header count and arrays must agree (pocl 3.1 dereferences a NULL header array). */
    T(CL_INVALID_VALUE, clCompileProgram(fresh, 0, NULL, NULL, 1, NULL, NULL, NULL, NULL));
    T(CL_INVALID_VALUE, clCompileProgram(fresh, 0, NULL, NULL, 0, &f->prog, NULL, NULL, NULL));
    T(CL_INVALID_VALUE, clCompileProgram(fresh, 0, NULL, NULL, 0, NULL, NULL, NULL, buf));
    CHECK_CL(clReleaseProgram(fresh));
    T(CL_INVALID_PROGRAM,
      clCompileProgram(AS(cl_program, f->kern), 0, NULL, NULL, 0, NULL, NULL, NULL, NULL));
    O(CL_INVALID_VALUE, cl_program, clReleaseProgram,
      clLinkProgram(c, 0, NULL, NULL, 0, NULL, NULL, NULL, &err));
    O(CL_INVALID_VALUE, cl_program, clReleaseProgram,
      clLinkProgram(c, 0, NULL, NULL, 1, NULL, NULL, NULL, &err));
    /* user_data without pfn_notify */
    T(CL_INVALID_VALUE,
      (clReleaseProgram_if(clLinkProgram(c, 0, NULL, NULL, 1, &f->prog, NULL, buf, &err)), err));
    cl_program badp = AS(cl_program, c);
    O(CL_INVALID_PROGRAM, cl_program, clReleaseProgram,
      clLinkProgram(c, 0, NULL, NULL, 1, &badp, NULL, NULL, &err));
    T(CL_INVALID_VALUE, clGetProgramInfo(f->prog, 0x7fff, sizeof buf, buf, NULL));
    T(CL_INVALID_VALUE, clGetProgramInfo(f->prog, CL_PROGRAM_NUM_DEVICES, 1, buf, NULL));
    T(CL_INVALID_PROGRAM,
      clGetProgramInfo(AS(cl_program, c), CL_PROGRAM_NUM_DEVICES, 0, NULL, &sz));
    T(CL_INVALID_VALUE, clGetProgramBuildInfo(f->prog, d, 0x7fff, sizeof buf, buf, NULL));
    T(CL_INVALID_DEVICE,
      clGetProgramBuildInfo(f->prog, bad_dev, CL_PROGRAM_BUILD_STATUS, 0, NULL, &sz));
    T(CL_INVALID_PROGRAM,
      clGetProgramBuildInfo(f->dead_prog, d, CL_PROGRAM_BUILD_STATUS, 0, NULL, &sz));
    T2(CL_INVALID_VALUE, CL_INVALID_OPERATION, clSetProgramReleaseCallback(f->prog, NULL, NULL));
    T(CL_INVALID_PROGRAM, clSetProgramReleaseCallback(AS(cl_program, c), NULL, NULL));

    O(CL_INVALID_VALUE, cl_kernel, clReleaseKernel, clCreateKernel(f->prog, NULL, &err));
    O(CL_INVALID_KERNEL_NAME, cl_kernel, clReleaseKernel, clCreateKernel(f->prog, "nope", &err));
    O(CL_INVALID_PROGRAM_EXECUTABLE, cl_kernel, clReleaseKernel,
      clCreateKernel(f->unbuilt, "k", &err));
    O(CL_INVALID_PROGRAM, cl_kernel, clReleaseKernel, clCreateKernel(AS(cl_program, c), "k", &err));
    O(CL_INVALID_PROGRAM, cl_kernel, clReleaseKernel, clCreateKernel(f->dead_prog, "k", &err));
    cl_kernel ks[1];
    cl_uint nk = 0;
    T(CL_INVALID_VALUE, clCreateKernelsInProgram(f->prog, 0, ks, &nk));
    T(CL_INVALID_PROGRAM_EXECUTABLE, clCreateKernelsInProgram(f->unbuilt, 1, ks, &nk));
    T(CL_INVALID_PROGRAM, clCreateKernelsInProgram(AS(cl_program, f->kern), 1, ks, &nk));
    O(CL_INVALID_KERNEL, cl_kernel, clReleaseKernel, clCloneKernel(AS(cl_kernel, f->prog), &err));
    O(CL_INVALID_KERNEL, cl_kernel, clReleaseKernel, clCloneKernel(f->dead_kern, &err));

    cl_int n = 1;
    T(CL_INVALID_ARG_INDEX, clSetKernelArg(f->kern, 2, sizeof n, &n));
    T(CL_INVALID_ARG_SIZE, clSetKernelArg(f->kern, 1, 2, &n));
    T(CL_INVALID_ARG_SIZE, clSetKernelArg(f->kern, 0, 3, &f->buf));
    cl_mem badm = AS(cl_mem, c);
    T(CL_INVALID_MEM_OBJECT, clSetKernelArg(f->kern, 0, sizeof badm, &badm));
    T(CL_INVALID_MEM_OBJECT, clSetKernelArg(f->kern, 0, sizeof f->dead_mem, &f->dead_mem));
    T(CL_INVALID_KERNEL, clSetKernelArg(AS(cl_kernel, f->prog), 1, sizeof n, &n));
    T(CL_INVALID_KERNEL, clSetKernelArg(f->dead_kern, 1, sizeof n, &n));
    T(CL_INVALID_VALUE, clGetKernelInfo(f->kern, 0x7fff, sizeof buf, buf, NULL));
    T(CL_INVALID_KERNEL, clGetKernelInfo(AS(cl_kernel, c), CL_KERNEL_NUM_ARGS, 0, NULL, &sz));
    T(CL_INVALID_VALUE, clGetKernelWorkGroupInfo(f->kern, d, 0x7fff, sizeof buf, buf, NULL));
    T(CL_INVALID_DEVICE,
      clGetKernelWorkGroupInfo(f->kern, bad_dev, CL_KERNEL_WORK_GROUP_SIZE, 0, NULL, &sz));
    T(CL_INVALID_KERNEL,
      clGetKernelWorkGroupInfo(f->dead_kern, d, CL_KERNEL_WORK_GROUP_SIZE, 0, NULL, &sz));
    T(CL_INVALID_ARG_INDEX, clGetKernelArgInfo(f->kern, 9, CL_KERNEL_ARG_NAME, 0, NULL, &sz));
    T(CL_INVALID_KERNEL, clGetKernelSubGroupInfo(AS(cl_kernel, c), d, CL_KERNEL_MAX_NUM_SUB_GROUPS,
                                                 0, NULL, 0, NULL, &sz));
    /* CL_INVALID_OPERATION when the device has no subgroups (pocl 3.1's CPU device). */
    T2(CL_INVALID_VALUE, CL_INVALID_OPERATION,
       clGetKernelSubGroupInfo(f->kern, d, 0x7fff, 0, NULL, sizeof buf, buf, NULL));

    /* Launches: the kernel's arguments are unset at first. */
    size_t gws[3] = {4, 1, 1};
    T(CL_INVALID_KERNEL_ARGS,
      clEnqueueNDRangeKernel(q, f->kern, 1, NULL, gws, NULL, 0, NULL, NULL));
    CHECK_CL(clSetKernelArg(f->kern, 0, sizeof f->buf, &f->buf));
    CHECK_CL(clSetKernelArg(f->kern, 1, sizeof n, &n));
    T(CL_INVALID_WORK_DIMENSION,
      clEnqueueNDRangeKernel(q, f->kern, 0, NULL, gws, NULL, 0, NULL, NULL));
    T(CL_INVALID_WORK_DIMENSION,
      clEnqueueNDRangeKernel(q, f->kern, 4, NULL, gws, NULL, 0, NULL, NULL));
    size_t lws[1] = {3};
    T(CL_INVALID_WORK_GROUP_SIZE,
      clEnqueueNDRangeKernel(q, f->kern, 1, NULL, gws, lws, 0, NULL, NULL));
    T(CL_INVALID_KERNEL,
      clEnqueueNDRangeKernel(q, AS(cl_kernel, f->buf), 1, NULL, gws, NULL, 0, NULL, NULL));
    T(CL_INVALID_KERNEL,
      clEnqueueNDRangeKernel(q, f->dead_kern, 1, NULL, gws, NULL, 0, NULL, NULL));
    T(CL_INVALID_CONTEXT, clEnqueueNDRangeKernel(q, f->kern2, 1, NULL, gws, NULL, 0, NULL, NULL));
    T(CL_INVALID_COMMAND_QUEUE, clEnqueueNDRangeKernel(AS(cl_command_queue, f->kern), f->kern, 1,
                                                       NULL, gws, NULL, 0, NULL, NULL));
    T(CL_INVALID_EVENT_WAIT_LIST,
      clEnqueueNDRangeKernel(q, f->kern, 1, NULL, gws, NULL, 1, NULL, NULL));
    T(CL_INVALID_KERNEL, clEnqueueTask(q, AS(cl_kernel, c), 0, NULL, NULL));
    T(CL_INVALID_VALUE,
      clEnqueueNativeKernel(q, native_fn, NULL, 16, 0, NULL, NULL, 0, NULL, NULL));
    T(CL_INVALID_VALUE,
      clEnqueueNativeKernel(q, NULL, buf, sizeof buf, 0, NULL, NULL, 0, NULL, NULL));
    T(CL_INVALID_VALUE,
      clEnqueueNativeKernel(q, native_fn, buf, sizeof buf, 1, NULL, NULL, 0, NULL, NULL));
    T(CL_INVALID_COMMAND_QUEUE, clEnqueueNativeKernel(AS(cl_command_queue, c), native_fn, NULL, 0,
                                                      0, NULL, NULL, 0, NULL, NULL));
    CHECK_CL(clFinish(q));
}

void events(fx *f)
{
    cl_int err;
    cl_context c = f->e.context;
    char buf[64];
    size_t sz;
    cl_event bad = AS(cl_event, c);
    T(CL_INVALID_VALUE, clWaitForEvents(0, &f->uev));
    T(CL_INVALID_VALUE, clWaitForEvents(1, NULL));
    T(CL_INVALID_EVENT, clWaitForEvents(1, &bad));
    T(CL_INVALID_EVENT, clWaitForEvents(1, &f->dead_event));
    cl_event two_ctx[2] = {f->uev, NULL};
    cl_event u2 = clCreateUserEvent(f->ctx2, &err);
    CHECK_CL(err);
    CHECK_CL(clSetUserEventStatus(u2, CL_COMPLETE));
    two_ctx[1] = u2;
    T(CL_INVALID_CONTEXT, clWaitForEvents(2, two_ctx));
    CHECK_CL(clReleaseEvent(u2));
    T(CL_INVALID_VALUE, clGetEventInfo(f->uev, 0x7fff, sizeof buf, buf, NULL));
    T(CL_INVALID_VALUE, clGetEventInfo(f->uev, CL_EVENT_COMMAND_EXECUTION_STATUS, 1, buf, NULL));
    T(CL_INVALID_EVENT, clGetEventInfo(bad, CL_EVENT_COMMAND_EXECUTION_STATUS, 0, NULL, &sz));
    T(CL_INVALID_EVENT,
      clGetEventInfo(f->dead_event, CL_EVENT_COMMAND_EXECUTION_STATUS, 0, NULL, &sz));
    T(CL_PROFILING_INFO_NOT_AVAILABLE,
      clGetEventProfilingInfo(f->uev, CL_PROFILING_COMMAND_START, sizeof buf, buf, NULL));
    T(CL_INVALID_EVENT, clGetEventProfilingInfo(bad, CL_PROFILING_COMMAND_START, 0, NULL, &sz));
    T(CL_INVALID_VALUE, clSetEventCallback(f->uev, CL_COMPLETE, NULL, NULL));
    T(CL_INVALID_VALUE, clSetEventCallback(f->uev, 12345, ev_notify, NULL));
    T(CL_INVALID_EVENT, clSetEventCallback(bad, CL_COMPLETE, ev_notify, NULL));
    T(CL_INVALID_EVENT, clSetEventCallback(f->dead_event, CL_COMPLETE, ev_notify, NULL));
    T(CL_INVALID_OPERATION, clSetUserEventStatus(f->uev, CL_COMPLETE)); /* already set */
    cl_event u = clCreateUserEvent(c, &err);
    CHECK_CL(err);
    T(CL_INVALID_VALUE, clSetUserEventStatus(u, 5));
    CHECK_CL(clSetUserEventStatus(u, CL_COMPLETE));
    CHECK_CL(clReleaseEvent(u));
    T(CL_INVALID_EVENT, clSetUserEventStatus(bad, CL_COMPLETE));
    O(CL_INVALID_CONTEXT, cl_event, clReleaseEvent,
      clCreateUserEvent(AS(cl_context, f->e.queue), &err));
    O(CL_INVALID_CONTEXT, cl_event, clReleaseEvent, clCreateUserEvent(f->dead_ctx, &err));
}
