/* test_svm_coarse: coarse-grained SVM round trips. The host writes under clEnqueueSVMMap(WRITE),
 * unmaps, a kernel transforms the data in place, the host maps for reading and checks every
 * element exactly; twice per size, blocking and non-blocking maps. Then kernel arguments set
 * with clSetKernelArgSVMPointer at every byte offset 0..15 into an allocation (interior pointers
 * are allowed: API spec, clSetKernelArgSVMPointer), the pointer value the kernel sees, and the
 * argument-index error. */
#include "svm/svm_test.h"

static const char *src =
    "kernel void k_affine(global uint *a, uint mul, uint add)\n"
    "{ size_t i = get_global_id(0); a[i] = a[i] * mul + add; }\n"
    "kernel void k_mark(global uchar *p, uchar v) { p[0] = v; }\n"
    "kernel void k_addr(global uchar *p, global ulong *out) { out[0] = (ulong)p; }\n";

static void round_trips(const svm_env *e, cl_program prog)
{
    static const size_t counts[] = {1, 3, 64, 1000, 4096, 65537, 1 << 20};
    cl_kernel k = icd_test_kernel(prog, "k_affine");
    unsigned long long seed = 0x5eed0001ULL;
    for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
        size_t n = counts[c], bytes = n * sizeof(cl_uint);
        cl_uint *a = svm_alloc(e, CL_MEM_READ_WRITE, bytes, 0);
        cl_uint *want = malloc(bytes);
        CHECK(want != NULL);

        /* Non-blocking map: the region is usable once the map's event completes. */
        cl_event ev = NULL;
        CHECK_CL(clEnqueueSVMMap(e->queue, CL_FALSE, CL_MAP_WRITE_INVALIDATE_REGION, a, bytes, 0,
                                 NULL, &ev));
        CHECK_CL(clWaitForEvents(1, &ev));
        CHECK_EQ(svm_event_type(ev), CL_COMMAND_SVM_MAP);
        CHECK_CL(clReleaseEvent(ev));
        for (size_t i = 0; i < n; i++)
            a[i] = want[i] = (cl_uint)test_rand(&seed);
        CHECK_CL(clEnqueueSVMUnmap(e->queue, a, 0, NULL, NULL));

        for (int round = 0; round < 2; round++) {
            cl_uint mul = 3 + 2 * (cl_uint)round, add = 0x1000u * (cl_uint)(c + 1) + (cl_uint)round;
            CHECK_CL(clSetKernelArgSVMPointer(k, 0, a));
            CHECK_CL(clSetKernelArg(k, 1, sizeof mul, &mul));
            CHECK_CL(clSetKernelArg(k, 2, sizeof add, &add));
            CHECK_CL(clEnqueueNDRangeKernel(e->queue, k, 1, NULL, &n, NULL, 0, NULL, NULL));
            for (size_t i = 0; i < n; i++)
                want[i] = want[i] * mul + add;
            /* Read back; the second round also writes under the same map. */
            CHECK_CL(clEnqueueSVMMap(e->queue, CL_TRUE, CL_MAP_READ | CL_MAP_WRITE, a, bytes, 0,
                                     NULL, NULL));
            for (size_t i = 0; i < n; i++)
                CHECK_MSG(a[i] == want[i], "size %zu round %d: a[%zu] = 0x%x, want 0x%x", n, round,
                          i, a[i], want[i]);
            if (round == 0)
                for (size_t i = 0; i < n; i += 7)
                    a[i] = want[i] = want[i] ^ 0xA5A5A5A5u;
            CHECK_CL(clEnqueueSVMUnmap(e->queue, a, 0, NULL, NULL));
        }
        CHECK_CL(clFinish(e->queue));
        clSVMFree(e->context, a);
        free(want);
    }
    CHECK_CL(clReleaseKernel(k));
}

static void interior_pointers(const svm_env *e, cl_program prog)
{
    enum { N = 64 };
    cl_kernel mark = icd_test_kernel(prog, "k_mark");
    cl_kernel addr = icd_test_kernel(prog, "k_addr");
    unsigned char *buf = svm_alloc(e, CL_MEM_READ_WRITE, N, 0);
    cl_ulong *seen = svm_alloc(e, CL_MEM_READ_WRITE, sizeof(cl_ulong), 0);
    size_t one = 1;
    for (size_t off = 0; off < 16; off++) {
        CHECK_CL(clEnqueueSVMMap(e->queue, CL_TRUE, CL_MAP_WRITE, buf, N, 0, NULL, NULL));
        memset(buf, 0, N);
        CHECK_CL(clEnqueueSVMUnmap(e->queue, buf, 0, NULL, NULL));

        cl_uchar v = (cl_uchar)(0xA0 + off);
        CHECK_CL(clSetKernelArgSVMPointer(mark, 0, buf + off));
        CHECK_CL(clSetKernelArg(mark, 1, sizeof v, &v));
        CHECK_CL(clEnqueueNDRangeKernel(e->queue, mark, 1, NULL, &one, NULL, 0, NULL, NULL));
        CHECK_CL(clSetKernelArgSVMPointer(addr, 0, buf + off));
        CHECK_CL(clSetKernelArgSVMPointer(addr, 1, seen));
        CHECK_CL(clEnqueueNDRangeKernel(e->queue, addr, 1, NULL, &one, NULL, 0, NULL, NULL));

        CHECK_CL(clEnqueueSVMMap(e->queue, CL_TRUE, CL_MAP_READ, buf, N, 0, NULL, NULL));
        for (size_t i = 0; i < N; i++)
            CHECK_MSG(buf[i] == (i == off ? v : 0), "offset %zu: byte %zu is 0x%x", off, i, buf[i]);
        CHECK_CL(clEnqueueSVMUnmap(e->queue, buf, 0, NULL, NULL));
        CHECK_CL(
            clEnqueueSVMMap(e->queue, CL_TRUE, CL_MAP_READ, seen, sizeof *seen, 0, NULL, NULL));
        /* SVM means one address space: the kernel sees the host's pointer value. */
        CHECK_MSG(*seen == (cl_ulong)(uintptr_t)(buf + off), "kernel saw 0x%llx for %p",
                  (unsigned long long)*seen, (void *)(buf + off));
        CHECK_CL(clEnqueueSVMUnmap(e->queue, seen, 0, NULL, NULL));
    }
    CHECK_CL_ERR(clSetKernelArgSVMPointer(mark, 2, buf), CL_INVALID_ARG_INDEX);
    CHECK_CL_ERR(clSetKernelArgSVMPointer(addr, 7, buf), CL_INVALID_ARG_INDEX);
    CHECK_CL(clFinish(e->queue));
    clSVMFree(e->context, buf);
    clSVMFree(e->context, seen);
    CHECK_CL(clReleaseKernel(mark));
    CHECK_CL(clReleaseKernel(addr));
}

int main(void)
{
    svm_env e;
    svm_env_open(&e);
    CHECK(e.caps & CL_DEVICE_SVM_COARSE_GRAIN_BUFFER);
    cl_program prog = icd_test_program(e.context, e.device, src, NULL);
    round_trips(&e, prog);
    interior_pointers(&e, prog);
    CHECK_CL(clReleaseProgram(prog));
    svm_env_close(&e);
    printf("ok\n");
    return 0;
}
