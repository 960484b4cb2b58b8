/* fake_backend_info.c: the fake backend's queries: platform and device discovery and the
 * clGet*Info answers of its platform, device, contexts, queues, buffers and events. */
#include "fake_backend.h"

#include <string.h>

/* Copy an info answer out with the spec's size rules. */
static cl_int answer(const void *v, size_t n, size_t size, void *out, size_t *ret)
{
    if (out && size < n)
        return CL_INVALID_VALUE;
    if (out)
        memcpy(out, v, n);
    if (ret)
        *ret = n;
    return CL_SUCCESS;
}

#define ANSWER_VAL(type, val)                                                                      \
    do {                                                                                           \
        type v_ = (val);                                                                           \
        return answer(&v_, sizeof v_, size, out, ret);                                             \
    } while (0)
#define ANSWER_STR(s) return answer(s, strlen(s) + 1, size, out, ret)

cl_int CL_API_CALL f_GetPlatformInfo(cl_platform_id p, cl_platform_info param, size_t size,
                                     void *out, size_t *ret)
{
    logf_("clGetPlatformInfo %s %#x\n", nm(p, K_PLATFORM), param);
    if (!own(p, K_PLATFORM))
        return CL_INVALID_PLATFORM;
    switch (param) {
    case CL_PLATFORM_NAME:
        ANSWER_STR("Fake Backend");
    case CL_PLATFORM_VENDOR:
        ANSWER_STR("clsvm tests");
    case CL_PLATFORM_VERSION:
        ANSWER_STR("OpenCL 3.0 fake");
    case CL_PLATFORM_PROFILE:
        ANSWER_STR("FULL_PROFILE");
    case CL_PLATFORM_EXTENSIONS:
        ANSWER_STR("cl_khr_icd");
    case CL_PLATFORM_ICD_SUFFIX_KHR:
        ANSWER_STR("FAKE");
    case CL_PLATFORM_NUMERIC_VERSION:
        ANSWER_VAL(cl_version, CL_MAKE_VERSION(3, 0, 0));
    default:
        return CL_INVALID_VALUE;
    }
}

cl_int CL_API_CALL f_GetDeviceIDs(cl_platform_id p, cl_device_type type, cl_uint n,
                                  cl_device_id *devs, cl_uint *num)
{
    logf_("clGetDeviceIDs %s %#llx\n", nm(p, K_PLATFORM), (unsigned long long)type);
    if (!own(p, K_PLATFORM))
        return CL_INVALID_PLATFORM;
    if (!(type & (device_type() | CL_DEVICE_TYPE_DEFAULT)))
        return CL_DEVICE_NOT_FOUND;
    if ((n == 0 && devs) || (!devs && !num))
        return CL_INVALID_VALUE;
    if (devs)
        devs[0] = (cl_device_id)&device;
    if (num)
        *num = 1;
    return CL_SUCCESS;
}

cl_int CL_API_CALL f_GetDeviceInfo(cl_device_id d, cl_device_info param, size_t size, void *out,
                                   size_t *ret)
{
    logf_("clGetDeviceInfo %s %#x\n", nm(d, K_DEVICE), param);
    if (!own(d, K_DEVICE))
        return CL_INVALID_DEVICE;
    switch (param) {
    case CL_DEVICE_TYPE:
        ANSWER_VAL(cl_device_type, device_type());
    case CL_DEVICE_NAME:
        ANSWER_STR("fake device");
    case CL_DEVICE_VENDOR:
        ANSWER_STR("clsvm tests");
    case CL_DEVICE_VERSION:
        ANSWER_STR("OpenCL 3.0 fake");
    case CL_DRIVER_VERSION:
        ANSWER_STR("1.0");
    case CL_DEVICE_PROFILE:
        ANSWER_STR("FULL_PROFILE");
    case CL_DEVICE_OPENCL_C_VERSION:
        ANSWER_STR("OpenCL C 1.2 fake");
    case CL_DEVICE_EXTENSIONS:
        ANSWER_STR("");
    case CL_DEVICE_PLATFORM:
        ANSWER_VAL(cl_platform_id, (cl_platform_id)&platform);
    case CL_DEVICE_PARENT_DEVICE:
        ANSWER_VAL(cl_device_id, NULL);
    case CL_DEVICE_AVAILABLE:
    case CL_DEVICE_COMPILER_AVAILABLE:
    case CL_DEVICE_LINKER_AVAILABLE:
    case CL_DEVICE_ENDIAN_LITTLE:
        ANSWER_VAL(cl_bool, CL_TRUE);
    case CL_DEVICE_HOST_UNIFIED_MEMORY:
        ANSWER_VAL(cl_bool, device_mode() == 1 ? CL_FALSE : CL_TRUE);
    case CL_DEVICE_MAX_COMPUTE_UNITS:
        ANSWER_VAL(cl_uint, 3); /* unusual values the test recognises */
    case CL_DEVICE_MAX_CLOCK_FREQUENCY:
        ANSWER_VAL(cl_uint, 1234);
    case CL_DEVICE_ADDRESS_BITS:
        ANSWER_VAL(cl_uint, device_mode() == 2 ? 32 : 64);
    case CL_DEVICE_MEM_BASE_ADDR_ALIGN:
        ANSWER_VAL(cl_uint, 1024);
    case CL_DEVICE_REFERENCE_COUNT:
        ANSWER_VAL(cl_uint, 1);
    case CL_DEVICE_GLOBAL_MEM_SIZE:
        ANSWER_VAL(cl_ulong, 1ull << 30);
    case CL_DEVICE_MAX_MEM_ALLOC_SIZE:
        ANSWER_VAL(cl_ulong, 1ull << 28);
    case CL_DEVICE_SVM_CAPABILITIES:
        ANSWER_VAL(cl_device_svm_capabilities, 0);
    case CL_DEVICE_EXECUTION_CAPABILITIES:
        ANSWER_VAL(cl_device_exec_capabilities,
                   CL_EXEC_KERNEL | (native_off ? 0 : CL_EXEC_NATIVE_KERNEL));
    case CL_DEVICE_NUMERIC_VERSION:
        ANSWER_VAL(cl_version, CL_MAKE_VERSION(3, 0, 0));
    default:
        return CL_INVALID_VALUE;
    }
}

cl_int CL_API_CALL f_GetContextInfo(cl_context c, cl_context_info param, size_t size, void *out,
                                    size_t *ret)
{
    struct fake *f = own(c, K_CONTEXT);
    logf_("clGetContextInfo %s %#x\n", nm(c, K_CONTEXT), param);
    if (!f)
        return CL_INVALID_CONTEXT;
    switch (param) {
    case CL_CONTEXT_REFERENCE_COUNT:
        ANSWER_VAL(cl_uint, (cl_uint)f->refs);
    case CL_CONTEXT_NUM_DEVICES:
        ANSWER_VAL(cl_uint, 1);
    case CL_CONTEXT_DEVICES:
        ANSWER_VAL(cl_device_id, (cl_device_id)&device);
    case CL_CONTEXT_PROPERTIES: {
        cl_context_properties p[3] = {CL_CONTEXT_PLATFORM, (cl_context_properties)&platform, 0};
        return answer(p, sizeof p, size, out, ret);
    }
    default:
        return CL_INVALID_VALUE;
    }
}

cl_int CL_API_CALL f_GetCommandQueueInfo(cl_command_queue q, cl_command_queue_info param,
                                         size_t size, void *out, size_t *ret)
{
    struct fake *f = own(q, K_QUEUE);
    logf_("clGetCommandQueueInfo %s %#x\n", nm(q, K_QUEUE), param);
    if (!f)
        return CL_INVALID_COMMAND_QUEUE;
    switch (param) {
    case CL_QUEUE_CONTEXT:
        ANSWER_VAL(cl_context, (cl_context)f->ctx);
    case CL_QUEUE_DEVICE:
        ANSWER_VAL(cl_device_id, (cl_device_id)&device);
    case CL_QUEUE_REFERENCE_COUNT:
        ANSWER_VAL(cl_uint, (cl_uint)f->refs);
    case CL_QUEUE_PROPERTIES:
        ANSWER_VAL(cl_command_queue_properties, 0);
    default:
        return CL_INVALID_VALUE;
    }
}

cl_int CL_API_CALL f_GetMemObjectInfo(cl_mem m, cl_mem_info param, size_t size, void *out,
                                      size_t *ret)
{
    struct fake *f = own(m, K_MEM);
    logf_("clGetMemObjectInfo %s %#x\n", nm(m, K_MEM), param);
    if (!f)
        return CL_INVALID_MEM_OBJECT;
    switch (param) {
    case CL_MEM_TYPE:
        ANSWER_VAL(cl_mem_object_type, CL_MEM_OBJECT_BUFFER);
    case CL_MEM_FLAGS:
        ANSWER_VAL(cl_mem_flags, f->flags);
    case CL_MEM_SIZE:
        ANSWER_VAL(size_t, f->size);
    case CL_MEM_HOST_PTR:
        ANSWER_VAL(void *, NULL);
    case CL_MEM_MAP_COUNT:
        ANSWER_VAL(cl_uint, 0);
    case CL_MEM_REFERENCE_COUNT:
        ANSWER_VAL(cl_uint, (cl_uint)f->refs);
    case CL_MEM_CONTEXT:
        ANSWER_VAL(cl_context, (cl_context)f->ctx);
    case CL_MEM_ASSOCIATED_MEMOBJECT:
        ANSWER_VAL(cl_mem, NULL);
    case CL_MEM_OFFSET:
        ANSWER_VAL(size_t, 0);
    case CL_MEM_USES_SVM_POINTER:
        ANSWER_VAL(cl_bool, CL_FALSE);
    default:
        return CL_INVALID_VALUE;
    }
}

cl_int CL_API_CALL f_GetEventInfo(cl_event e, cl_event_info param, size_t size, void *out,
                                  size_t *ret)
{
    struct fake *f = own(e, K_EVENT);
    logf_("clGetEventInfo %s %#x\n", nm(e, K_EVENT), param);
    if (!f)
        return CL_INVALID_EVENT;
    switch (param) {
    case CL_EVENT_COMMAND_QUEUE:
        ANSWER_VAL(cl_command_queue, (cl_command_queue)f->queue);
    case CL_EVENT_CONTEXT:
        ANSWER_VAL(cl_context, (cl_context)f->ctx);
    case CL_EVENT_COMMAND_TYPE:
        ANSWER_VAL(cl_command_type, f->cmd);
    case CL_EVENT_COMMAND_EXECUTION_STATUS:
        ANSWER_VAL(cl_int, CL_COMPLETE);
    case CL_EVENT_REFERENCE_COUNT:
        ANSWER_VAL(cl_uint, (cl_uint)f->refs);
    default:
        return CL_INVALID_VALUE;
    }
}
