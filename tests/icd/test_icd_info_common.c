/* test_icd_info_common: the parts of clGet<Object>Info that every object kind shares (one
 * skeleton in clsvm, icd/info_answer.c): for each of the nine kinds, the handle answers (owner,
 * parent) name the objects the test created, the reference count is the application's, a short
 * param_value_size is CL_INVALID_VALUE with nothing written, and a NULL param_value reports the
 * size alone. Also: a platform's and a device's extension string and their
 * *_EXTENSIONS_WITH_VERSION list name the same extensions, and the platform's include
 * cl_khr_icd. The counts are clsvm's (the application's references, docs/icd.md): plain pocl
 * counts its internal ones too and fails here. A guard for the shared code, which answered the
 * same before it was shared. */
#include "icd_test.h"

/* The entry point of one kind, with the handle as a void pointer. */
typedef cl_int (*info_fn)(const void *h, cl_uint param, size_t size, void *value, size_t *ret);

#define INFO_FN(name, fn, type)                                                                    \
    static cl_int name(const void *h, cl_uint param, size_t size, void *value, size_t *ret)        \
    {                                                                                              \
        return fn((type)h, param, size, value, ret);                                               \
    }
INFO_FN(platform_info, clGetPlatformInfo, cl_platform_id)
INFO_FN(device_info, clGetDeviceInfo, cl_device_id)
INFO_FN(context_info, clGetContextInfo, cl_context)
INFO_FN(queue_info, clGetCommandQueueInfo, cl_command_queue)
INFO_FN(mem_info, clGetMemObjectInfo, cl_mem)
INFO_FN(sampler_info, clGetSamplerInfo, cl_sampler)
INFO_FN(program_info, clGetProgramInfo, cl_program)
INFO_FN(kernel_info, clGetKernelInfo, cl_kernel)
INFO_FN(event_info, clGetEventInfo, cl_event)

/* A handle answer: the size alone, a short buffer refused untouched, then the handle. */
static void check_handle(const char *what, info_fn fn, const void *h, cl_uint param,
                         const void *want)
{
    size_t ret = 0;
    CHECK_CL(fn(h, param, 0, NULL, &ret));
    CHECK_MSG(ret == sizeof(void *), "%s: size %zu, want %zu", what, ret, sizeof(void *));
    unsigned char small[sizeof(void *) - 1];
    memset(small, 0xa5, sizeof small);
    ret = 1234;
    CHECK_CL_ERR(fn(h, param, sizeof small, small, &ret), CL_INVALID_VALUE);
    for (size_t i = 0; i < sizeof small; i++)
        CHECK_MSG(small[i] == 0xa5, "%s: a refused query wrote byte %zu", what, i);
    void *got = (void *)&ret; /* anything but the answer */
    CHECK_CL(fn(h, param, sizeof got, &got, NULL));
    CHECK_MSG(got == want, "%s: %p, want %p", what, got, want);
}

/* The reference count: the size alone, a short buffer refused, then the application's count. */
static void check_refs(const char *what, info_fn fn, const void *h, cl_uint param, cl_uint want)
{
    size_t ret = 0;
    CHECK_CL(fn(h, param, 0, NULL, &ret));
    CHECK_MSG(ret == sizeof(cl_uint), "%s: size %zu", what, ret);
    unsigned char small[2] = {0xa5, 0xa5};
    CHECK_CL_ERR(fn(h, param, sizeof small, small, NULL), CL_INVALID_VALUE);
    CHECK_MSG(small[0] == 0xa5 && small[1] == 0xa5, "%s: a refused query wrote", what);
    cl_uint n = 0;
    CHECK_CL(fn(h, param, sizeof n, &n, &ret));
    CHECK_MSG(n == want && ret == sizeof n, "%s: %u (size %zu), want %u", what, n, ret, want);
}

/* Is word a whole word of the space-separated list? */
static int has_word(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list; (p = strstr(p, word)) != NULL; p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return 1;
    return 0;
}

/* The string and the versioned list of one platform or device name the same extensions. */
static void check_extensions(const char *what, info_fn fn, const void *h, cl_uint str_param,
                             cl_uint ver_param)
{
    size_t n = 0, vn = 0;
    CHECK_CL(fn(h, str_param, 0, NULL, &n));
    char *s = calloc(n + 1, 1);
    CHECK(s != NULL);
    CHECK_CL(fn(h, str_param, n, s, NULL));
    CHECK_MSG(n == strlen(s) + 1, "%s: size %zu for a string of %zu", what, n, strlen(s));
    CHECK_CL(fn(h, ver_param, 0, NULL, &vn));
    CHECK_MSG(vn % sizeof(cl_name_version) == 0, "%s: versioned size %zu", what, vn);
    size_t count = vn / sizeof(cl_name_version);
    cl_name_version *v = calloc(count + 1, sizeof *v);
    CHECK(v != NULL);
    CHECK_CL(fn(h, ver_param, vn, v, NULL));
    size_t words = 0;
    for (const char *p = s; *p;) {
        p += strspn(p, " ");
        size_t w = strcspn(p, " ");
        words += w > 0;
        p += w;
    }
    CHECK_MSG(words == count, "%s: %zu extensions in the string, %zu with versions", what, words,
              count);
    for (size_t i = 0; i < count; i++)
        CHECK_MSG(has_word(s, v[i].name), "%s: %s has a version but is not in '%s'", what,
                  v[i].name, s);
    if (str_param == CL_PLATFORM_EXTENSIONS)
        CHECK_MSG(has_word(s, "cl_khr_icd"), "%s: no cl_khr_icd in '%s'", what, s);
    free(v);
    free(s);
}

int main(void)
{
    cl_platform_id p = icd_test_platform();
    cl_device_id d = icd_test_device(p);
    cl_context c = icd_test_context(p, d);
    cl_command_queue q = icd_test_queue(c, d, NULL);
    cl_mem m = icd_test_buffer(c, CL_MEM_READ_WRITE, 64, NULL);
    cl_int err = CL_SUCCESS;
    cl_sampler s = clCreateSampler(c, CL_FALSE, CL_ADDRESS_NONE, CL_FILTER_NEAREST, &err);
    CHECK_CL(err);
    cl_program prog = icd_test_program(c, d, "kernel void k(global int *p) { p[0] = 1; }", NULL);
    cl_kernel k = icd_test_kernel(prog, "k");
    cl_event e = NULL;
    CHECK_CL(clEnqueueMarkerWithWaitList(q, 0, NULL, &e));
    cl_event u = clCreateUserEvent(c, &err);
    CHECK_CL(err);

    check_handle("CL_DEVICE_PLATFORM", device_info, d, CL_DEVICE_PLATFORM, p);
    check_handle("CL_DEVICE_PARENT_DEVICE", device_info, d, CL_DEVICE_PARENT_DEVICE, NULL);
    check_refs("CL_DEVICE_REFERENCE_COUNT", device_info, d, CL_DEVICE_REFERENCE_COUNT, 1);
    check_refs("CL_CONTEXT_REFERENCE_COUNT", context_info, c, CL_CONTEXT_REFERENCE_COUNT, 1);
    check_handle("CL_QUEUE_CONTEXT", queue_info, q, CL_QUEUE_CONTEXT, c);
    check_handle("CL_QUEUE_DEVICE", queue_info, q, CL_QUEUE_DEVICE, d);
    check_refs("CL_QUEUE_REFERENCE_COUNT", queue_info, q, CL_QUEUE_REFERENCE_COUNT, 1);
    check_handle("CL_MEM_CONTEXT", mem_info, m, CL_MEM_CONTEXT, c);
    check_handle("CL_MEM_ASSOCIATED_MEMOBJECT", mem_info, m, CL_MEM_ASSOCIATED_MEMOBJECT, NULL);
    check_refs("CL_MEM_REFERENCE_COUNT", mem_info, m, CL_MEM_REFERENCE_COUNT, 1);
    check_handle("CL_SAMPLER_CONTEXT", sampler_info, s, CL_SAMPLER_CONTEXT, c);
    check_refs("CL_SAMPLER_REFERENCE_COUNT", sampler_info, s, CL_SAMPLER_REFERENCE_COUNT, 1);
    check_handle("CL_PROGRAM_CONTEXT", program_info, prog, CL_PROGRAM_CONTEXT, c);
    check_refs("CL_PROGRAM_REFERENCE_COUNT", program_info, prog, CL_PROGRAM_REFERENCE_COUNT, 1);
    check_handle("CL_KERNEL_CONTEXT", kernel_info, k, CL_KERNEL_CONTEXT, c);
    check_handle("CL_KERNEL_PROGRAM", kernel_info, k, CL_KERNEL_PROGRAM, prog);
    check_refs("CL_KERNEL_REFERENCE_COUNT", kernel_info, k, CL_KERNEL_REFERENCE_COUNT, 1);
    check_handle("CL_EVENT_CONTEXT", event_info, e, CL_EVENT_CONTEXT, c);
    check_handle("CL_EVENT_COMMAND_QUEUE", event_info, e, CL_EVENT_COMMAND_QUEUE, q);
    check_refs("CL_EVENT_REFERENCE_COUNT", event_info, e, CL_EVENT_REFERENCE_COUNT, 1);
    check_handle("user event CL_EVENT_COMMAND_QUEUE", event_info, u, CL_EVENT_COMMAND_QUEUE, NULL);
    check_handle("user event CL_EVENT_CONTEXT", event_info, u, CL_EVENT_CONTEXT, c);

    /* The count follows the application's retains, in every kind alike. */
    CHECK_CL(clRetainSampler(s));
    check_refs("retained sampler", sampler_info, s, CL_SAMPLER_REFERENCE_COUNT, 2);
    CHECK_CL(clReleaseSampler(s));
    CHECK_CL(clRetainKernel(k));
    check_refs("retained kernel", kernel_info, k, CL_KERNEL_REFERENCE_COUNT, 2);
    CHECK_CL(clReleaseKernel(k));

    check_extensions("platform", platform_info, p, CL_PLATFORM_EXTENSIONS,
                     CL_PLATFORM_EXTENSIONS_WITH_VERSION);
    check_extensions("device", device_info, d, CL_DEVICE_EXTENSIONS,
                     CL_DEVICE_EXTENSIONS_WITH_VERSION);

    CHECK_CL(clSetUserEventStatus(u, CL_COMPLETE));
    CHECK_CL(clReleaseEvent(u));
    CHECK_CL(clWaitForEvents(1, &e));
    CHECK_CL(clReleaseEvent(e));
    CHECK_CL(clReleaseKernel(k));
    CHECK_CL(clReleaseProgram(prog));
    CHECK_CL(clReleaseSampler(s));
    CHECK_CL(clReleaseMemObject(m));
    CHECK_CL(clReleaseCommandQueue(q));
    CHECK_CL(clReleaseContext(c));
    printf("ok\n");
    return 0;
}
