/* test_oclc20_fences: atomic_work_item_fence in an OpenCL C 2.0 kernel
 * (kernels/cl20/svm_fences20.cl) orders plain SVM accesses around relaxed atomics, both ways,
 * with a host thread while the kernel runs: the host sees the kernel's data once it sees its
 * flag, the kernel sees the host's data once it sees the host's flag. Several rounds. */
#include "oclc20/oclc20_test.h"

#include "svm_fences20_cl.h"

enum { WORDS = 64 };

typedef struct exchange {
    int to_host[WORDS];
    int to_device[WORDS];
    int host_flag, device_flag, seen_sum, timed_out;
} exchange;

int main(void)
{
    svm_env e;
    svm_env_open(&e);
    oclc20_require_path(&e);
    exchange *x = oclc20_svm(&e, sizeof *x);
    char opts[128];
    snprintf(opts, sizeof opts, "%s -DWORDS=%d", OCLC20_SPIN_OPTS, WORDS);
    cl_program prog = icd_test_program(e.context, e.device, svm_fences20_cl, opts);
    cl_kernel k = icd_test_kernel(prog, "fences");
    CHECK_CL(clSetKernelArgSVMPointer(k, 0, x));
    for (int round = 0; round < 5; round++) {
        memset(x, 0, sizeof *x);
        cl_int base = 100 * (round + 1);
        CHECK_CL(clSetKernelArg(k, 1, sizeof base, &base));
        oclc20_launch(&e, k, 1);
        /* device -> host: flag (acquire), then the data */
        long polls = 0;
        while (!__atomic_load_n(&x->host_flag, __ATOMIC_ACQUIRE)) {
            CHECK_MSG(++polls < 200000, "round %d: the kernel never published", round);
            svm_sleep_ms(1);
        }
        for (int i = 0; i < WORDS; i++)
            CHECK_EQ(x->to_host[i], base + i);
        /* host -> device: data, fence, relaxed flag */
        int sum = 0;
        for (int i = 0; i < WORDS; i++) {
            x->to_device[i] = base * 3 + i;
            sum += base * 3 + i;
        }
#if defined(__SANITIZE_THREAD__)
        /* TSan does not model fences (GCC refuses them, -Wtsan): a release store orders the
         * same writes before the flag. */
        __atomic_store_n(&x->device_flag, 1, __ATOMIC_RELEASE);
#else
        __atomic_thread_fence(__ATOMIC_RELEASE);
        __atomic_store_n(&x->device_flag, 1, __ATOMIC_RELAXED);
#endif
        CHECK_CL(clFinish(e.queue));
        CHECK_EQ(x->timed_out, 0);
        CHECK_EQ(x->seen_sum, sum);
    }
    CHECK_CL(clReleaseKernel(k));
    CHECK_CL(clReleaseProgram(prog));
    clSVMFree(e.context, x);
    svm_env_close(&e);
    return svm_exit_code();
}
