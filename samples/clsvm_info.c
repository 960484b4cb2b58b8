/* clsvm-info: what an OpenCL platform offers for shared virtual memory: its SVM capabilities,
 * address bits and allocation limits, and where SVM allocations really land (for clsvm: inside
 * the window below 2^CLSVM_VA_BITS), plus the address a kernel sees for one of them. It turns
 * CLSVM_LOG=info on (unless CLSVM_LOG is set), so clsvm echoes its CLSVM_* configuration.
 *   usage: clsvm-info [MiB]   (size of the largest test allocation, default 64)
 * Exits 77 when the device has no SVM at all (nothing could be shown). */
#include "svm_sample.h"
#include "svm_info_cl.h"

extern char **environ;

static void print_svm_caps(cl_device_svm_capabilities c)
{
    printf("  SVM capabilities:     %s%s%s%s%s\n", c ? "" : "none",
           c & CL_DEVICE_SVM_COARSE_GRAIN_BUFFER ? "coarse-grain-buffer " : "",
           c & CL_DEVICE_SVM_FINE_GRAIN_BUFFER ? "fine-grain-buffer " : "",
           c & CL_DEVICE_SVM_FINE_GRAIN_SYSTEM ? "fine-grain-system " : "",
           c & CL_DEVICE_SVM_ATOMICS ? "atomics" : "");
}

/* OpenCL 3.0 query; older platforms answer with an error, which is shown as "n/a". */
static void print_atomic_caps(cl_device_id dev)
{
    cl_device_atomic_capabilities a = 0;
    if (clGetDeviceInfo(dev, CL_DEVICE_ATOMIC_MEMORY_CAPABILITIES, sizeof a, &a, NULL)) {
        printf("  atomic memory caps:   n/a\n");
        return;
    }
    printf("  atomic memory caps:   %s%s%s%s%s%s\n",
           a & CL_DEVICE_ATOMIC_ORDER_RELAXED ? "relaxed " : "",
           a & CL_DEVICE_ATOMIC_ORDER_ACQ_REL ? "acq_rel " : "",
           a & CL_DEVICE_ATOMIC_ORDER_SEQ_CST ? "seq_cst " : "",
           a & CL_DEVICE_ATOMIC_SCOPE_WORK_GROUP ? "scope:work-group " : "",
           a & CL_DEVICE_ATOMIC_SCOPE_DEVICE ? "scope:device " : "",
           a & CL_DEVICE_ATOMIC_SCOPE_ALL_DEVICES ? "scope:all-devices" : "");
}

int main(int argc, char **argv)
{
    size_t big_mib = sample_size("clsvm-info", argc, argv, 64, 1 << 20);
    /* Before the first OpenCL call: clsvm reads its configuration once, when it is loaded. */
    setenv("CLSVM_LOG", "info", 0);

    sample s;
    sample_open(&s, "clsvm-info", 0);
    char buf[1024];
    CHECK_CL(&s, clGetPlatformInfo(s.platform, CL_PLATFORM_VERSION, sizeof buf, buf, NULL));
    printf("  platform version:     %s\n", buf);
    CHECK_CL(&s, clGetDeviceInfo(s.device, CL_DEVICE_VERSION, sizeof buf, buf, NULL));
    printf("  device version:       %s\n", buf);
    CHECK_CL(&s, clGetDeviceInfo(s.device, CL_DEVICE_OPENCL_C_VERSION, sizeof buf, buf, NULL));
    printf("  OpenCL C:             %s\n", buf);
    print_svm_caps(s.caps);
    print_atomic_caps(s.device);
    cl_uint bits = 0;
    cl_ulong max_alloc = 0, global = 0;
    CHECK_CL(&s, clGetDeviceInfo(s.device, CL_DEVICE_ADDRESS_BITS, sizeof bits, &bits, NULL));
    CHECK_CL(&s, clGetDeviceInfo(s.device, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof max_alloc,
                                 &max_alloc, NULL));
    CHECK_CL(&s,
             clGetDeviceInfo(s.device, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof global, &global, NULL));
    printf("  address bits:         %u\n", bits);
    printf("  max allocation:       %llu MiB\n", (unsigned long long)(max_alloc >> 20));
    printf("  global memory:        %llu MiB\n", (unsigned long long)(global >> 20));
    if (!s.caps) {
        /* 77: nothing was shown to work, which a test run must not count as a pass. */
        printf("clsvm-info: the device has no SVM; nothing to allocate (exit 77)\n");
        sample_close(&s);
        return 77;
    }
    /* clsvm's contract (docs/configuration.md): a window of 47 or 48 bits covers all of user
     * space, so fine-grain system SVM is advertised. */
    CHECK(&s, !s.is_clsvm || s.va_bits < 47 || (s.caps & CL_DEVICE_SVM_FINE_GRAIN_SYSTEM),
          "CLSVM_VA_BITS >= 47 but fine-grain system SVM is not advertised");

    /* Where do SVM allocations land? A few sizes and kinds, all live at once. */
    struct {
        const char *what;
        cl_svm_mem_flags flags;
        cl_device_svm_capabilities need;
        size_t size;
    } probe[] = {
        {"coarse-grain", CL_MEM_READ_WRITE, CL_DEVICE_SVM_COARSE_GRAIN_BUFFER, 4096},
        {"fine-grain", CL_MEM_SVM_FINE_GRAIN_BUFFER, CL_DEVICE_SVM_FINE_GRAIN_BUFFER, 1 << 20},
        {"fine-grain+atomics", CL_MEM_SVM_FINE_GRAIN_BUFFER | CL_MEM_SVM_ATOMICS,
         CL_DEVICE_SVM_FINE_GRAIN_BUFFER | CL_DEVICE_SVM_ATOMICS, 64},
        {"coarse-grain", CL_MEM_READ_WRITE, CL_DEVICE_SVM_COARSE_GRAIN_BUFFER, big_mib << 20},
    };
    enum { N_PROBES = sizeof probe / sizeof probe[0] };
    void *p[N_PROBES] = {NULL};
    printf("SVM allocations:\n");
    for (int i = 0; i < N_PROBES; i++) {
        if ((s.caps & probe[i].need) != probe[i].need)
            continue;
        p[i] = sample_svm_alloc(&s, probe[i].flags, probe[i].size);
        printf("  %-19s %10zu bytes at %p\n", probe[i].what, probe[i].size, p[i]);
    }
    sample_print_range(&s);
    int top_bit = 0;
    while (top_bit < 64 && (s.hi - 1) >> top_bit)
        top_bit++;
    printf("  highest address needs %d bits", top_bit);
    if (s.is_clsvm)
        printf(" (window: below 2^%u, CLSVM_VA_BITS)", s.va_bits);
    printf("\n");

    /* The device must see an SVM pointer at the host's address: ask a kernel. */
    sample_build(&s, svm_info_cl, "");
    cl_kernel where = sample_kernel(&s, "where");
    cl_ulong *seen = sample_svm_alloc(&s, CL_MEM_READ_WRITE, sizeof *seen);
    char *arg = (char *)p[0] + 100; /* an interior pointer, to make it interesting */
    CHECK_CL(&s, clSetKernelArgSVMPointer(where, 0, arg));
    CHECK_CL(&s, clSetKernelArgSVMPointer(where, 1, seen));
    size_t one = 1;
    CHECK_CL(&s, clEnqueueNDRangeKernel(s.queue, where, 1, NULL, &one, &one, 0, NULL, NULL));
    CHECK_CL(&s, clEnqueueSVMMap(s.queue, CL_TRUE, CL_MAP_READ, seen, sizeof *seen, 0, NULL, NULL));
    printf("  kernel sees %p as %#llx: %s\n", (void *)arg, (unsigned long long)*seen,
           *seen == (cl_ulong)(uintptr_t)arg ? "same address" : "DIFFERENT");
    CHECK(&s, *seen == (cl_ulong)(uintptr_t)arg, "the device sees another address");
    CHECK_CL(&s, clEnqueueSVMUnmap(s.queue, seen, 0, NULL, NULL));
    CHECK_CL(&s, clFinish(s.queue));

    /* Fine-grain system SVM: any host memory, even malloc's, is shared with the device. */
    if (s.caps & CL_DEVICE_SVM_FINE_GRAIN_SYSTEM) {
        char *heap = calloc(1, 256);
        CHECK(&s, heap, "out of host memory");
        CHECK_CL(&s, clSetKernelArgSVMPointer(where, 0, heap));
        CHECK_CL(&s, clEnqueueNDRangeKernel(s.queue, where, 1, NULL, &one, &one, 0, NULL, NULL));
        CHECK_CL(&s,
                 clEnqueueSVMMap(s.queue, CL_TRUE, CL_MAP_READ, seen, sizeof *seen, 0, NULL, NULL));
        printf("  fine-grain system: kernel sees malloc'd %p as %#llx and wrote %d there\n",
               (void *)heap, (unsigned long long)*seen, heap[0]);
        CHECK(&s, *seen == (cl_ulong)(uintptr_t)heap && heap[0] == 42,
              "the device cannot use malloc'd memory although fine-grain system SVM is "
              "advertised");
        CHECK_CL(&s, clEnqueueSVMUnmap(s.queue, seen, 0, NULL, NULL));
        CHECK_CL(&s, clFinish(s.queue));
        free(heap);
    }

    printf("configuration (CLSVM_* in the environment; clsvm logs the effective values):\n");
    for (char **e = environ; *e; e++)
        if (strncmp(*e, "CLSVM_", 6) == 0)
            printf("  %s\n", *e);

    for (int i = 0; i < N_PROBES; i++)
        clSVMFree(s.context, p[i]);
    clSVMFree(s.context, seen);
    clReleaseKernel(where);
    sample_close(&s);
    return 0;
}
