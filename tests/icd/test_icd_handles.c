/* test_icd_handles: every handle-returning query must give back exactly the handle the app
 * created (clsvm's wrapper), never the backend's handle behind it. A leaked backend handle
 * would dispatch straight into pocl and bypass clsvm, so each case compares pointers. */
#include "icd_test.h"

static const char *src = "__kernel void k(__global int *p) { p[get_global_id(0)] += 1; }\n";

#define CHECK_SAME(got, want)                                                                      \
    CHECK_MSG((void *)(got) == (void *)(want), "%s returned %p, the app's handle is %p", #got,     \
              (void *)(got), (void *)(want))

int main(void)
{
    cl_platform_id p = icd_test_platform();
    cl_device_id d = icd_test_device(p);
    cl_context c = icd_test_context(p, d);
    cl_command_queue q = icd_test_queue(c, d, NULL);
    cl_program prog = icd_test_program(c, d, src, NULL);
    cl_kernel k = icd_test_kernel(prog, "k");

    /* Device -> platform. */
    cl_platform_id dev_platform = NULL;
    ICD_GET_INFO(clGetDeviceInfo, d, CL_DEVICE_PLATFORM, dev_platform);
    CHECK_SAME(dev_platform, p);

    /* Context -> devices, and the properties echo the app's platform handle. */
    cl_uint ndev = 0;
    ICD_GET_INFO(clGetContextInfo, c, CL_CONTEXT_NUM_DEVICES, ndev);
    CHECK_EQ(ndev, 1);
    cl_device_id ctx_dev = NULL;
    ICD_GET_INFO(clGetContextInfo, c, CL_CONTEXT_DEVICES, ctx_dev);
    CHECK_SAME(ctx_dev, d);
    cl_context_properties props[8] = {0};
    size_t psize = 0;
    CHECK_CL(clGetContextInfo(c, CL_CONTEXT_PROPERTIES, sizeof props, props, &psize));
    CHECK_EQ(psize, 3 * sizeof(cl_context_properties));
    CHECK_EQ(props[0], CL_CONTEXT_PLATFORM);
    CHECK_SAME(props[1], p);
    CHECK_EQ(props[2], 0);

    /* A context created from a type (no device list) reports the same device wrapper. */
    cl_context_properties tprops[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)p, 0};
    cl_int err = CL_SUCCESS;
    cl_context ct = clCreateContextFromType(tprops, CL_DEVICE_TYPE_DEFAULT, NULL, NULL, &err);
    CHECK_CL(err);
    cl_device_id ct_dev = NULL;
    ICD_GET_INFO(clGetContextInfo, ct, CL_CONTEXT_DEVICES, ct_dev);
    cl_device_id def = NULL;
    CHECK_CL(clGetDeviceIDs(p, CL_DEVICE_TYPE_DEFAULT, 1, &def, NULL));
    CHECK_SAME(ct_dev, def);
    CHECK_CL(clReleaseContext(ct));

    /* Queue -> context, device. */
    cl_context q_ctx = NULL;
    ICD_GET_INFO(clGetCommandQueueInfo, q, CL_QUEUE_CONTEXT, q_ctx);
    CHECK_SAME(q_ctx, c);
    cl_device_id q_dev = NULL;
    ICD_GET_INFO(clGetCommandQueueInfo, q, CL_QUEUE_DEVICE, q_dev);
    CHECK_SAME(q_dev, d);

    /* Mem -> context; sub-buffer -> parent; a plain buffer has no associated object. */
    static cl_int zeros[1024];
    cl_mem buf = icd_test_buffer(c, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, sizeof zeros, zeros);
    cl_context m_ctx = NULL;
    ICD_GET_INFO(clGetMemObjectInfo, buf, CL_MEM_CONTEXT, m_ctx);
    CHECK_SAME(m_ctx, c);
    cl_mem assoc = (cl_mem)1;
    ICD_GET_INFO(clGetMemObjectInfo, buf, CL_MEM_ASSOCIATED_MEMOBJECT, assoc);
    CHECK(assoc == NULL);
    cl_buffer_region region = {0, 1024};
    cl_mem sub = clCreateSubBuffer(buf, 0, CL_BUFFER_CREATE_TYPE_REGION, &region, &err);
    CHECK_CL(err);
    ICD_GET_INFO(clGetMemObjectInfo, sub, CL_MEM_ASSOCIATED_MEMOBJECT, assoc);
    CHECK_SAME(assoc, buf);
    ICD_GET_INFO(clGetMemObjectInfo, sub, CL_MEM_CONTEXT, m_ctx);
    CHECK_SAME(m_ctx, c);

    /* Program -> context, devices. */
    cl_context p_ctx = NULL;
    ICD_GET_INFO(clGetProgramInfo, prog, CL_PROGRAM_CONTEXT, p_ctx);
    CHECK_SAME(p_ctx, c);
    cl_device_id p_dev = NULL;
    ICD_GET_INFO(clGetProgramInfo, prog, CL_PROGRAM_DEVICES, p_dev);
    CHECK_SAME(p_dev, d);

    /* Kernel -> program, context. */
    cl_program k_prog = NULL;
    ICD_GET_INFO(clGetKernelInfo, k, CL_KERNEL_PROGRAM, k_prog);
    CHECK_SAME(k_prog, prog);
    cl_context k_ctx = NULL;
    ICD_GET_INFO(clGetKernelInfo, k, CL_KERNEL_CONTEXT, k_ctx);
    CHECK_SAME(k_ctx, c);

    /* Event -> queue, context, for an enqueued command and for a user event (no queue). */
    CHECK_CL(clSetKernelArg(k, 0, sizeof buf, &buf));
    size_t gws = 16;
    cl_event ev = NULL;
    CHECK_CL(clEnqueueNDRangeKernel(q, k, 1, NULL, &gws, NULL, 0, NULL, &ev));
    CHECK_CL(clWaitForEvents(1, &ev));
    cl_command_queue e_q = NULL;
    ICD_GET_INFO(clGetEventInfo, ev, CL_EVENT_COMMAND_QUEUE, e_q);
    CHECK_SAME(e_q, q);
    cl_command_queue ev_q = e_q;
    cl_context e_ctx = NULL;
    ICD_GET_INFO(clGetEventInfo, ev, CL_EVENT_CONTEXT, e_ctx);
    CHECK_SAME(e_ctx, c);
    cl_command_type ct_type = 0;
    ICD_GET_INFO(clGetEventInfo, ev, CL_EVENT_COMMAND_TYPE, ct_type);
    CHECK_EQ(ct_type, CL_COMMAND_NDRANGE_KERNEL);

    cl_event uev = clCreateUserEvent(c, &err);
    CHECK_CL(err);
    e_q = (cl_command_queue)1;
    ICD_GET_INFO(clGetEventInfo, uev, CL_EVENT_COMMAND_QUEUE, e_q);
    CHECK(e_q == NULL);
    ICD_GET_INFO(clGetEventInfo, uev, CL_EVENT_CONTEXT, e_ctx);
    CHECK_SAME(e_ctx, c);
    CHECK_CL(clSetUserEventStatus(uev, CL_COMPLETE));

    /* Sampler -> context. */
    cl_bool images = CL_FALSE;
    ICD_GET_INFO(clGetDeviceInfo, d, CL_DEVICE_IMAGE_SUPPORT, images);
    if (images) {
        cl_sampler s = clCreateSampler(c, CL_FALSE, CL_ADDRESS_NONE, CL_FILTER_NEAREST, &err);
        CHECK_CL(err);
        cl_context s_ctx = NULL;
        ICD_GET_INFO(clGetSamplerInfo, s, CL_SAMPLER_CONTEXT, s_ctx);
        CHECK_SAME(s_ctx, c);
        CHECK_CL(clReleaseSampler(s));

        /* An image1d_buffer names its buffer twice: CL_IMAGE_BUFFER and the associated object. */
        cl_image_format fmt = {CL_R, CL_SIGNED_INT32};
        cl_image_desc desc = {
            .image_type = CL_MEM_OBJECT_IMAGE1D_BUFFER, .image_width = 1024, .buffer = buf};
        cl_mem img = clCreateImage(c, CL_MEM_READ_ONLY, &fmt, &desc, NULL, &err);
        CHECK_CL(err);
        cl_mem ib = NULL;
        ICD_GET_INFO(clGetImageInfo, img, CL_IMAGE_BUFFER, ib);
        CHECK_SAME(ib, buf);
        ICD_GET_INFO(clGetMemObjectInfo, img, CL_MEM_ASSOCIATED_MEMOBJECT, ib);
        CHECK_SAME(ib, buf);
        ICD_GET_INFO(clGetMemObjectInfo, img, CL_MEM_CONTEXT, m_ctx);
        CHECK_SAME(m_ctx, c);
        CHECK_CL(clReleaseMemObject(img));
    } else {
        SKIP_PART("CL_SAMPLER_CONTEXT and CL_IMAGE_BUFFER: no image support");
    }

    /* Sub-devices: new device handles the app must see as clsvm's, whose parent is the app's
     * root device, usable in a context of their own. */
    cl_uint max_sub = 0;
    ICD_GET_INFO(clGetDeviceInfo, d, CL_DEVICE_PARTITION_MAX_SUB_DEVICES, max_sub);
    if (max_sub >= 2) {
        cl_device_partition_property pp[] = {CL_DEVICE_PARTITION_EQUALLY, 1, 0};
        cl_device_id subs[64];
        cl_uint nsub = 0;
        CHECK_CL(clCreateSubDevices(d, pp, 64, subs, &nsub));
        CHECK_EQ(nsub, max_sub);
        cl_device_id parent = NULL;
        ICD_GET_INFO(clGetDeviceInfo, subs[0], CL_DEVICE_PARENT_DEVICE, parent);
        CHECK_SAME(parent, d);
        cl_platform_id sp = NULL;
        ICD_GET_INFO(clGetDeviceInfo, subs[0], CL_DEVICE_PLATFORM, sp);
        CHECK_SAME(sp, p);
        cl_uint cu = 0;
        ICD_GET_INFO(clGetDeviceInfo, subs[0], CL_DEVICE_MAX_COMPUTE_UNITS, cu);
        CHECK_EQ(cu, 1);
        /* (CL_CONTEXT_DEVICES of a sub-device context is not checked: pocl 3.1 itself
         * answers with the root device there.) */
        cl_context sc = clCreateContext(NULL, 1, &subs[0], NULL, NULL, &err);
        CHECK_CL(err);
        cl_uint refs = 0;
        ICD_GET_INFO(clGetDeviceInfo, subs[1], CL_DEVICE_REFERENCE_COUNT, refs);
        CHECK_EQ(refs, 1);
        CHECK_CL(clRetainDevice(subs[1]));
        ICD_GET_INFO(clGetDeviceInfo, subs[1], CL_DEVICE_REFERENCE_COUNT, refs);
        CHECK_EQ(refs, 2);
        CHECK_CL(clReleaseDevice(subs[1]));
        CHECK_CL(clReleaseContext(sc));
        for (cl_uint i = 0; i < nsub; i++)
            CHECK_CL(clReleaseDevice(subs[i]));
    } else {
        SKIP_PART("sub-devices: CL_DEVICE_PARTITION_MAX_SUB_DEVICES is %u", max_sub);
    }

    /* The handles the app got work as handles: use the queried ones in real calls. */
    cl_int v[16];
    CHECK_CL(clEnqueueReadBuffer(ev_q, assoc, CL_TRUE, 0, sizeof v, v, 0, NULL, NULL));
    for (int i = 0; i < 16; i++)
        CHECK_EQ(v[i], 1);
    cl_mem fresh = clCreateBuffer(k_ctx, CL_MEM_READ_WRITE, 64, NULL, &err);
    CHECK_CL(err);
    CHECK_CL(clReleaseMemObject(fresh));

    CHECK_CL(clReleaseEvent(uev));
    CHECK_CL(clReleaseEvent(ev));
    CHECK_CL(clReleaseKernel(k));
    CHECK_CL(clReleaseProgram(prog));
    CHECK_CL(clReleaseMemObject(sub));
    CHECK_CL(clReleaseMemObject(buf));
    CHECK_CL(clReleaseCommandQueue(q));
    CHECK_CL(clReleaseContext(c));
    printf("ok\n");
    return test_exit_code();
}
