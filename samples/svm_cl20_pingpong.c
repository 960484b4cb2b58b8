/* svm-cl20-pingpong: OpenCL C 2.0 message passing between a running kernel and the host in
 * fine-grain SVM with atomics (kernels/cl20/svm_flag20.cl, built with -cl-std=CL2.0, which on
 * pocl 3.1 works only through clsvm: docs/opencl-c-2.0.md). Each round the kernel says it is
 * waiting, spins on atomic_load_explicit(acquire, memory_scope_all_svm_devices) until the host
 * has written a payload and set the flag, and answers payload * 2 + 1 while still running.
 *   usage: svm-cl20-pingpong [rounds]   (default 10) */
#include "svm_flag20_cl.h"
#include "svm_sample.h"

#include <time.h>

/* Same layout as in kernels/cl20/svm_flag20.cl. */
typedef struct mailbox {
    cl_int waiting, flag, payload, answer, done, polls;
} mailbox;

/* Wait (bounded, about 100 s) for *p to become non-zero; 0 on timeout. */
static int wait_for(cl_int *p)
{
    struct timespec ms = {0, 1000000};
    for (long i = 0; !__atomic_load_n(p, __ATOMIC_ACQUIRE); i++) {
        if (i > 100000)
            return 0;
        nanosleep(&ms, NULL);
    }
    return 1;
}

int main(int argc, char **argv)
{
    size_t rounds = sample_size("svm-cl20-pingpong", argc, argv, 10, 1000);
    sample s;
    sample_open(&s, "svm-cl20-pingpong", CL_DEVICE_SVM_FINE_GRAIN_BUFFER | CL_DEVICE_SVM_ATOMICS);
    sample_build(&s, svm_flag20_cl, "-cl-std=CL2.0 -DSPIN_LIMIT=2000000000L");
    cl_kernel k = sample_kernel(&s, "respond");
    mailbox *m = sample_svm_alloc(&s, CL_MEM_SVM_FINE_GRAIN_BUFFER | CL_MEM_SVM_ATOMICS, sizeof *m);
    CHECK_CL(&s, clSetKernelArgSVMPointer(k, 0, m));
    long polls = 0;
    for (size_t r = 0; r < rounds; r++) {
        memset(m, 0, sizeof *m);
        size_t one = 1;
        CHECK_CL(&s, clEnqueueNDRangeKernel(s.queue, k, 1, NULL, &one, NULL, 0, NULL, NULL));
        CHECK_CL(&s, clFlush(s.queue));
        CHECK(&s, wait_for(&m->waiting), "round %zu: the kernel never started waiting", r);
        m->payload = (cl_int)(1000 + r); /* a plain store, published by the release below */
        __atomic_store_n(&m->flag, 1, __ATOMIC_RELEASE);
        CHECK(&s, wait_for(&m->done), "round %zu: no answer from the running kernel", r);
        CHECK(&s, m->answer == (cl_int)(2 * (1000 + r) + 1), "round %zu: answer %d, expected %d", r,
              m->answer, (int)(2 * (1000 + r) + 1));
        polls += m->polls;
        CHECK_CL(&s, clFinish(s.queue));
    }
    printf("svm-cl20-pingpong: %zu rounds, every answer right; the kernel polled the flag %ld "
           "times in all\n",
           rounds, polls);
    sample_print_range(&s);
    clReleaseKernel(k);
    clSVMFree(s.context, m);
    sample_close(&s);
    return 0;
}
