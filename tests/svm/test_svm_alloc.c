/* test_svm_alloc: clSVMAlloc/clSVMFree through the loader. Many sizes and alignments at once
 * (all live together, so overlaps show), each inside the window, aligned, writable and readable
 * at both ends; clSVMFree(ctx, NULL) is a no-op; and every spec failure case of clSVMAlloc
 * (OpenCL 3.0 API, "Shared Virtual Memory", clSVMAlloc) returns NULL.
 *
 * "Alignment larger than supported": the spec only promises powers of two up to the largest
 * data type (long16, 128 bytes) and leaves larger ones to the implementation. clsvm's decision
 * (docs/svm.md): any power of two up to the window's maximum (1 GiB) is honoured, larger ones
 * fail. Real applications ask for 4 KiB pages and 2 MiB huge pages, so this test requires every
 * power of two up to 2 MiB to succeed and be honoured, and 2^31 to fail. */
#include "svm/svm_test.h"

typedef struct live {
    unsigned char *p;
    size_t size;
    cl_svm_mem_flags flags;
    unsigned char tag;
} live;

static const cl_svm_mem_flags flag_cycle[] = {
    CL_MEM_READ_WRITE,
    CL_MEM_SVM_FINE_GRAIN_BUFFER,
    CL_MEM_READ_ONLY,
    CL_MEM_SVM_FINE_GRAIN_BUFFER | CL_MEM_SVM_ATOMICS,
    CL_MEM_WRITE_ONLY | CL_MEM_SVM_FINE_GRAIN_BUFFER,
    0,
};

static int cmp_live(const void *a, const void *b)
{
    const live *x = a, *y = b;
    return x->p < y->p ? -1 : x->p > y->p;
}

/* Writes a distinct tag to the first and last byte of every allocation, then reads all of them
 * back: a double-handed-out range or a too-short mapping shows up as a wrong byte or a fault. */
static void touch_ends(const svm_env *e, live *l, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        svm_map(e, l[i].flags, l[i].p, l[i].size, CL_MAP_WRITE);
        l[i].p[0] = l[i].tag;
        l[i].p[l[i].size - 1] = (unsigned char)(l[i].tag ^ 0xFF);
        svm_unmap(e, l[i].flags, l[i].p);
    }
    for (size_t i = 0; i < n; i++) {
        svm_map(e, l[i].flags, l[i].p, l[i].size, CL_MAP_READ);
        if (l[i].size > 1)
            CHECK_EQ(l[i].p[0], l[i].tag);
        CHECK_EQ(l[i].p[l[i].size - 1], (unsigned char)(l[i].tag ^ 0xFF));
        svm_unmap(e, l[i].flags, l[i].p);
    }
}

static void valid_allocations(const svm_env *e, cl_uint max_align)
{
    static const size_t sizes[] = {1,
                                   2,
                                   3,
                                   7,
                                   64,
                                   127,
                                   128,
                                   129,
                                   4095,
                                   4096,
                                   4097,
                                   65536,
                                   (1 << 20) + 1,
                                   2 << 20,
                                   1000,
                                   12,
                                   (3 << 20) + 5,
                                   16 << 20};
    size_t nsizes = sizeof sizes / sizeof sizes[0];
    cl_uint aligns[40];
    size_t naligns = 0;
    aligns[naligns++] = 0;
    for (cl_uint a = 1; a <= max_align && naligns < 40; a <<= 1)
        aligns[naligns++] = a;

    size_t cap = nsizes * naligns;
    live *l = calloc(cap, sizeof *l);
    CHECK(l != NULL);
    size_t n = 0;
    size_t fc = sizeof flag_cycle / sizeof flag_cycle[0];
    for (size_t a = 0; a < naligns; a++) {
        for (size_t s = 0; s < nsizes; s++) {
            /* Big sizes once per alignment is plenty; skip them for most alignments. */
            if (sizes[s] > (1 << 20) && a % 4 != 1)
                continue;
            cl_svm_mem_flags f = flag_cycle[(a + s) % fc];
            if ((f & CL_MEM_SVM_FINE_GRAIN_BUFFER) && !(e->caps & CL_DEVICE_SVM_FINE_GRAIN_BUFFER))
                f = CL_MEM_READ_WRITE;
            if ((f & CL_MEM_SVM_ATOMICS) && !(e->caps & CL_DEVICE_SVM_ATOMICS))
                f &= ~(cl_svm_mem_flags)CL_MEM_SVM_ATOMICS;
            l[n].p = svm_alloc(e, f, sizes[s], aligns[a]);
            l[n].size = sizes[s];
            l[n].flags = f;
            l[n].tag = (unsigned char)(n * 37 + 11);
            n++;
        }
    }
    /* No two live allocations may overlap. */
    qsort(l, n, sizeof *l, cmp_live);
    for (size_t i = 1; i < n; i++)
        CHECK_MSG(l[i - 1].p + l[i - 1].size <= l[i].p, "[%p,+%zu) overlaps [%p,+%zu)",
                  (void *)l[i - 1].p, l[i - 1].size, (void *)l[i].p, l[i].size);
    touch_ends(e, l, n);
    for (size_t i = 0; i < n; i++)
        clSVMFree(e->context, l[i].p);
    printf("%zu allocations (%zu alignments up to %u) ok\n", n, naligns, max_align);
    free(l);
}

enum ctx_kind { CTX_VALID, CTX_NULL, CTX_QUEUE };

typedef struct fail_case {
    const char *what;
    enum ctx_kind ctx;
    cl_svm_mem_flags flags;
    size_t size;
    cl_uint align;
} fail_case;

/* Alignments every implementation following clsvm's decision must honour, and one it must
 * refuse (above the window's 1 GiB maximum; 2^31 is the largest power of two in a cl_uint). */
#define MAX_REQUIRED_ALIGN (2u << 20)
#define TOO_BIG_ALIGN 0x80000000u

static void failure_cases(const svm_env *e, cl_ulong max_alloc)
{
    size_t over_max = max_alloc >= SIZE_MAX ? SIZE_MAX : (size_t)max_alloc + 1;
    const fail_case cases[] = {
        {"NULL context", CTX_NULL, CL_MEM_READ_WRITE, 4096, 0},
        {"command queue passed as context", CTX_QUEUE, CL_MEM_READ_WRITE, 4096, 0},
        {"ATOMICS without FINE_GRAIN_BUFFER", CTX_VALID, CL_MEM_SVM_ATOMICS, 4096, 0},
        {"ATOMICS|READ_WRITE without FINE_GRAIN_BUFFER", CTX_VALID,
         CL_MEM_SVM_ATOMICS | CL_MEM_READ_WRITE, 4096, 0},
        {"READ_WRITE|WRITE_ONLY", CTX_VALID, CL_MEM_READ_WRITE | CL_MEM_WRITE_ONLY, 4096, 0},
        {"READ_WRITE|READ_ONLY", CTX_VALID, CL_MEM_READ_WRITE | CL_MEM_READ_ONLY, 4096, 0},
        {"WRITE_ONLY|READ_ONLY", CTX_VALID, CL_MEM_WRITE_ONLY | CL_MEM_READ_ONLY, 4096, 0},
        {"READ_WRITE|WRITE_ONLY|READ_ONLY", CTX_VALID,
         CL_MEM_READ_WRITE | CL_MEM_WRITE_ONLY | CL_MEM_READ_ONLY, 4096, 0},
        {"WRITE_ONLY|READ_ONLY|FINE_GRAIN", CTX_VALID,
         CL_MEM_WRITE_ONLY | CL_MEM_READ_ONLY | CL_MEM_SVM_FINE_GRAIN_BUFFER, 4096, 0},
        {"unknown flag 1<<20", CTX_VALID, CL_MEM_READ_WRITE | ((cl_svm_mem_flags)1 << 20), 4096, 0},
        {"unknown flag 1<<40", CTX_VALID, (cl_svm_mem_flags)1 << 40, 4096, 0},
        {"CL_MEM_USE_HOST_PTR", CTX_VALID, CL_MEM_USE_HOST_PTR, 4096, 0},
        {"CL_MEM_COPY_HOST_PTR", CTX_VALID, CL_MEM_COPY_HOST_PTR, 4096, 0},
        {"CL_MEM_ALLOC_HOST_PTR", CTX_VALID, CL_MEM_ALLOC_HOST_PTR, 4096, 0},
        {"CL_MEM_HOST_NO_ACCESS", CTX_VALID, CL_MEM_HOST_NO_ACCESS, 4096, 0},
        {"size 0", CTX_VALID, CL_MEM_READ_WRITE, 0, 0},
        {"size 0 fine-grain", CTX_VALID, CL_MEM_SVM_FINE_GRAIN_BUFFER, 0, 0},
        {"size MAX_MEM_ALLOC_SIZE+1", CTX_VALID, CL_MEM_READ_WRITE, over_max, 0},
        {"size SIZE_MAX", CTX_VALID, CL_MEM_READ_WRITE, SIZE_MAX, 0},
        {"alignment 3", CTX_VALID, CL_MEM_READ_WRITE, 4096, 3},
        {"alignment 24", CTX_VALID, CL_MEM_READ_WRITE, 4096, 24},
        {"alignment 96", CTX_VALID, CL_MEM_READ_WRITE, 4096, 96},
        {"alignment 0x80000001", CTX_VALID, CL_MEM_READ_WRITE, 4096, 0x80000001u},
        {"alignment 0xFFFFFFFF", CTX_VALID, CL_MEM_READ_WRITE, 4096, 0xFFFFFFFFu},
        {"alignment 2^31", CTX_VALID, CL_MEM_READ_WRITE, 4096, TOO_BIG_ALIGN},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const fail_case *c = &cases[i];
        cl_context ctx = c->ctx == CTX_VALID  ? e->context
                         : c->ctx == CTX_NULL ? NULL
                                              : (cl_context)e->queue;
        void *p = clSVMAlloc(ctx, c->flags, c->size, c->align);
        if (p != NULL) {
            SVM_FAIL("clSVMAlloc(%s: flags 0x%llx, size %zu, align %u) returned %p, want NULL",
                     c->what, (unsigned long long)c->flags, c->size, c->align, p);
            clSVMFree(e->context, p);
        }
    }

    /* Fine-grain and atomics succeed iff the device says it supports them (clSVMAlloc: "will
     * fail if CL_MEM_SVM_FINE_GRAIN_BUFFER or CL_MEM_SVM_ATOMICS is specified in flags and these
     * are not supported by at least one device in context"). */
    struct {
        cl_svm_mem_flags flags;
        int supported;
    } opt[] = {
        {CL_MEM_SVM_FINE_GRAIN_BUFFER, (e->caps & CL_DEVICE_SVM_FINE_GRAIN_BUFFER) != 0},
        {CL_MEM_SVM_FINE_GRAIN_BUFFER | CL_MEM_SVM_ATOMICS,
         (e->caps & CL_DEVICE_SVM_FINE_GRAIN_BUFFER) && (e->caps & CL_DEVICE_SVM_ATOMICS)},
    };
    for (size_t i = 0; i < 2; i++) {
        void *p = clSVMAlloc(e->context, opt[i].flags, 256, 0);
        if ((p != NULL) != opt[i].supported)
            SVM_FAIL("clSVMAlloc(flags 0x%llx) returned %p but the device %s it",
                     (unsigned long long)opt[i].flags, p,
                     opt[i].supported ? "supports" : "does not support");
        if (p)
            svm_check_window(e, p, 256);
        clSVMFree(e->context, p);
    }
}

int main(void)
{
    svm_env e;
    svm_env_open(&e);
    printf("platform %s, va_bits %u, caps 0x%llx\n", icd_platform_name(e.platform), e.va_bits,
           (unsigned long long)e.caps);

    cl_ulong max_alloc = 0;
    cl_uint base_align_bits = 0;
    ICD_GET_INFO(clGetDeviceInfo, e.device, CL_DEVICE_MAX_MEM_ALLOC_SIZE, max_alloc);
    ICD_GET_INFO(clGetDeviceInfo, e.device, CL_DEVICE_MEM_BASE_ADDR_ALIGN, base_align_bits);
    cl_uint base_align = base_align_bits / 8;
    /* The full profile's largest type is long16: 128 bytes must be supported. */
    CHECK_MSG(base_align >= 128, "CL_DEVICE_MEM_BASE_ADDR_ALIGN is %u bits", base_align_bits);
    CHECK_MSG((base_align & (base_align - 1)) == 0, "MEM_BASE_ADDR_ALIGN/8 = %u", base_align);
    CHECK(max_alloc > 0);

    /* clSVMFree with NULL does nothing, before and after any allocation. */
    clSVMFree(e.context, NULL);
    valid_allocations(&e, MAX_REQUIRED_ALIGN);
    clSVMFree(e.context, NULL);
    failure_cases(&e, max_alloc);

    /* The heap still works after all the refused calls. */
    valid_allocations(&e, 128);

    svm_env_close(&e);
    return svm_exit_code();
}
