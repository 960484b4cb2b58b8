/* test_oclc20_flag: a running OpenCL C 2.0 kernel (kernels/cl20/svm_flag20.cl) spins with
 * atomic_load_explicit(acquire, memory_scope_all_svm_devices) on a flag in fine-grain SVM that
 * the host stores (release) only after the kernel said it is waiting; the kernel must see the
 * payload the host wrote before the flag, and the host the answer the kernel wrote before its
 * own flag, while the kernel is still running. Several rounds, a fresh payload each. */
#include "oclc20/oclc20_test.h"

#include "svm_flag20_cl.h"

typedef struct mailbox {
    int waiting, flag, payload, answer, done, polls;
} mailbox;

/* Bounded host wait for *p != 0 (acquire); 0 on timeout. */
static int host_wait(int *p)
{
    for (long i = 0; !__atomic_load_n(p, __ATOMIC_ACQUIRE); i++) {
        if (i > 200000)
            return 0;
        svm_sleep_ms(1);
    }
    return 1;
}

int main(void)
{
    svm_env e;
    svm_env_open(&e);
    oclc20_require_path(&e);
    mailbox *m = oclc20_svm(&e, sizeof *m);
    cl_program prog = icd_test_program(e.context, e.device, svm_flag20_cl, OCLC20_SPIN_OPTS);
    cl_kernel k = icd_test_kernel(prog, "respond");
    CHECK_CL(clSetKernelArgSVMPointer(k, 0, m));
    for (int round = 0; round < 5; round++) {
        memset(m, 0, sizeof *m);
        oclc20_launch(&e, k, 1);
        CHECK_MSG(host_wait(&m->waiting), "round %d: the kernel never said it was waiting", round);
        /* The kernel is running and spinning now: the payload then the flag. */
        m->payload = 1000 + round;
        __atomic_store_n(&m->flag, 1, __ATOMIC_RELEASE);
        CHECK_MSG(host_wait(&m->done), "round %d: no answer while the kernel runs", round);
        CHECK_EQ(m->answer, 2 * (1000 + round) + 1);
        CHECK_CL(clFinish(e.queue));
    }
    CHECK_CL(clReleaseKernel(k));
    CHECK_CL(clReleaseProgram(prog));
    clSVMFree(e.context, m);
    svm_env_close(&e);
    return svm_exit_code();
}
