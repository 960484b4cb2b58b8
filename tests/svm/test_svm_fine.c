/* test_svm_fine: fine-grained SVM needs no map. (1) The host writes input, a kernel reads it and
 * writes results, the host checks after clFinish, all through raw pointers. (2) Host and
 * device atomics on one CL_MEM_SVM_ATOMICS buffer at the same time: N work-items atomic_inc
 * while a host thread __atomic_fetch_add's the same counters; the totals must be exact.
 * (3) A kernel spins on a flag that the host sets while the kernel runs; the spin is bounded
 * (2^31 polls) and writes a failure code when it gives up, so a broken implementation (a copy
 * instead of shared memory) fails instead of hanging. OpenCL C 1.2 atomics are used because
 * pocl 3.1 cannot compile the C11 ones under -cl-std=CL2.0. */
#include "svm/svm_test.h"

#include <pthread.h>

static const char *src = "kernel void k_affine(global const int *in, global int *out)\n"
                         "{ size_t i = get_global_id(0); out[i] = in[i] * 3 + 1; }\n"
                         "kernel void k_inc(volatile global int *c, uint ncounters, uint reps)\n"
                         "{\n"
                         "    for (uint r = 0; r < reps; r++)\n"
                         "        for (uint j = 0; j < ncounters; j++)\n"
                         "            atomic_inc(&c[(j + get_global_id(0)) % ncounters]);\n"
                         "}\n"
                         "kernel void k_spin(volatile global int *flag, global int *out)\n"
                         "{\n"
                         "    uint polls = 0;\n"
                         "    int seen;\n"
                         "    while ((seen = atomic_add(&flag[0], 0)) == 0) {\n"
                         "        if (++polls == 0x80000000u) { out[0] = -1; return; }\n"
                         "    }\n"
                         "    out[0] = seen;\n"
                         "    out[1] = atomic_add(&flag[1], 0);\n"
                         "}\n";

static void host_reads_kernel_writes(const svm_env *e, cl_program prog)
{
    static const size_t counts[] = {1, 17, 4096, 100000};
    cl_kernel k = icd_test_kernel(prog, "k_affine");
    unsigned long long seed = 0xf1e0001ULL;
    for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
        size_t n = counts[c];
        cl_int *in = svm_alloc(e, CL_MEM_SVM_FINE_GRAIN_BUFFER | CL_MEM_READ_ONLY, n * 4, 0);
        cl_int *out = svm_alloc(e, CL_MEM_SVM_FINE_GRAIN_BUFFER, n * 4, 0);
        for (size_t i = 0; i < n; i++) {
            in[i] = (cl_int)(test_rand(&seed) & 0x0FFFFFFF);
            out[i] = -7;
        }
        CHECK_CL(clSetKernelArgSVMPointer(k, 0, in));
        CHECK_CL(clSetKernelArgSVMPointer(k, 1, out));
        CHECK_CL(clEnqueueNDRangeKernel(e->queue, k, 1, NULL, &n, NULL, 0, NULL, NULL));
        CHECK_CL(clFinish(e->queue));
        for (size_t i = 0; i < n; i++)
            CHECK_MSG(out[i] == in[i] * 3 + 1, "n %zu: out[%zu] = %d, in %d", n, i, out[i], in[i]);
        /* And again with new host data in the same buffers, still without a map. */
        for (size_t i = 0; i < n; i++)
            in[i] = (cl_int)i - 5;
        CHECK_CL(clEnqueueNDRangeKernel(e->queue, k, 1, NULL, &n, NULL, 0, NULL, NULL));
        CHECK_CL(clFinish(e->queue));
        for (size_t i = 0; i < n; i++)
            CHECK_EQ(out[i], ((cl_int)i - 5) * 3 + 1);
        clSVMFree(e->context, in);
        clSVMFree(e->context, out);
    }
    CHECK_CL(clReleaseKernel(k));
}

enum { NCOUNTERS = 4, HOST_ADDS = 200000 };

typedef struct host_adder {
    cl_int *counters;
    volatile int go;
} host_adder;

static void *host_add_thread(void *arg)
{
    host_adder *h = arg;
    while (!__atomic_load_n(&h->go, __ATOMIC_ACQUIRE)) {
    }
    for (int i = 0; i < HOST_ADDS; i++)
        __atomic_fetch_add(&h->counters[i % NCOUNTERS], 1, __ATOMIC_SEQ_CST);
    return NULL;
}

static void concurrent_atomics(const svm_env *e, cl_program prog)
{
    cl_kernel k = icd_test_kernel(prog, "k_inc");
    cl_int *ctr = svm_alloc(e, CL_MEM_SVM_FINE_GRAIN_BUFFER | CL_MEM_SVM_ATOMICS,
                            NCOUNTERS * sizeof(cl_int), 0);
    for (int rep = 0; rep < 3; rep++) {
        for (int i = 0; i < NCOUNTERS; i++)
            ctr[i] = 1000 * i;
        size_t items = 256;
        cl_uint nc = NCOUNTERS, reps = 200;
        CHECK_CL(clSetKernelArgSVMPointer(k, 0, ctr));
        CHECK_CL(clSetKernelArg(k, 1, sizeof nc, &nc));
        CHECK_CL(clSetKernelArg(k, 2, sizeof reps, &reps));

        host_adder h = {ctr, 0};
        pthread_t t;
        CHECK(pthread_create(&t, NULL, host_add_thread, &h) == 0);
        CHECK_CL(clEnqueueNDRangeKernel(e->queue, k, 1, NULL, &items, NULL, 0, NULL, NULL));
        CHECK_CL(clFlush(e->queue));
        __atomic_store_n(&h.go, 1, __ATOMIC_RELEASE);
        CHECK(pthread_join(t, NULL) == 0);
        CHECK_CL(clFinish(e->queue));
        for (int i = 0; i < NCOUNTERS; i++) {
            long long want = 1000LL * i + (long long)items * reps + HOST_ADDS / NCOUNTERS;
            CHECK_MSG(ctr[i] == want, "rep %d counter %d = %d, want %lld", rep, i, ctr[i], want);
        }
    }
    clSVMFree(e->context, ctr);
    CHECK_CL(clReleaseKernel(k));
}

static void device_spins_on_host_flag(const svm_env *e, cl_program prog)
{
    cl_kernel k = icd_test_kernel(prog, "k_spin");
    cl_int *flag =
        svm_alloc(e, CL_MEM_SVM_FINE_GRAIN_BUFFER | CL_MEM_SVM_ATOMICS, 2 * sizeof(cl_int), 0);
    cl_int *out = svm_alloc(e, CL_MEM_SVM_FINE_GRAIN_BUFFER, 2 * sizeof(cl_int), 0);
    for (cl_int round = 1; round <= 2; round++) {
        flag[0] = 0;
        flag[1] = 0;
        out[0] = out[1] = -2;
        CHECK_CL(clSetKernelArgSVMPointer(k, 0, flag));
        CHECK_CL(clSetKernelArgSVMPointer(k, 1, out));
        size_t one = 1;
        cl_event ev = NULL;
        CHECK_CL(clEnqueueNDRangeKernel(e->queue, k, 1, NULL, &one, NULL, 0, NULL, &ev));
        CHECK_CL(clFlush(e->queue));
        svm_sleep_ms(50);
        __atomic_store_n(&flag[1], 1000 + round, __ATOMIC_SEQ_CST);
        __atomic_store_n(&flag[0], 7 * round, __ATOMIC_SEQ_CST);
        CHECK_CL(clWaitForEvents(1, &ev));
        CHECK_EQ(svm_event_status(ev), CL_COMPLETE);
        CHECK_CL(clReleaseEvent(ev));
        CHECK_MSG(out[0] != -1, "round %d: the kernel never saw the host's flag", round);
        CHECK_EQ(out[0], 7 * round);
        /* The host stored flag[1] before flag[0] (seq_cst): the kernel must see it too. */
        CHECK_EQ(out[1], 1000 + round);
    }
    clSVMFree(e->context, flag);
    clSVMFree(e->context, out);
    CHECK_CL(clReleaseKernel(k));
}

int main(void)
{
    svm_env e;
    svm_env_open(&e);
    CHECK_MSG((e.caps & CL_DEVICE_SVM_FINE_GRAIN_BUFFER) && (e.caps & CL_DEVICE_SVM_ATOMICS),
              "caps 0x%llx: fine-grain buffer with atomics required", (unsigned long long)e.caps);
    cl_program prog = icd_test_program(e.context, e.device, src, NULL);
    host_reads_kernel_writes(&e, prog);
    concurrent_atomics(&e, prog);
    if (svm_part_runs(&e, "a kernel spinning on a host flag", SVM_WHY_CONCURRENT))
        device_spins_on_host_flag(&e, prog);
    CHECK_CL(clReleaseProgram(prog));
    svm_env_close(&e);
    return svm_exit_code();
}
