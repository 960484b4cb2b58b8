/* test_svm_kernel_args_threads: two threads launch one kernel object at the same time (the spec
 * allows it while nobody sets its arguments) right after the main thread set a new SVM pointer
 * argument, which clsvm gives the backend at the first launch (icd/kernel_args.h): both
 * threads' launches race to do that. Every launch must count in the allocation set last, none
 * in the one before; run under TSan, the hand-over must be free of data races. */
#include "svm/svm_test.h"

#include <pthread.h>

enum { ROUNDS = 60, LAUNCHES = 4, NTHREADS = 2 };

static const char *src = "kernel void inc(global int *a) { atomic_inc(a); }\n";

static svm_env e;
static cl_kernel k;
static pthread_barrier_t start, done;

static void *worker(void *arg)
{
    (void)arg;
    cl_command_queue q = icd_test_queue(e.context, e.device, NULL);
    for (int r = 0; r < ROUNDS; r++) {
        pthread_barrier_wait(&start);
        size_t g = 1;
        for (int i = 0; i < LAUNCHES; i++)
            CHECK_CL(clEnqueueNDRangeKernel(q, k, 1, NULL, &g, NULL, 0, NULL, NULL));
        CHECK_CL(clFinish(q));
        pthread_barrier_wait(&done);
    }
    CHECK_CL(clReleaseCommandQueue(q));
    return NULL;
}

int main(void)
{
    svm_env_open(&e);
    svm_test_needs(&e, CL_DEVICE_SVM_FINE_GRAIN_BUFFER, "fine-grain buffer SVM");
    cl_program prog = icd_test_program(e.context, e.device, src, NULL);
    k = icd_test_kernel(prog, "inc");
    int *buf[2];
    for (int i = 0; i < 2; i++) {
        buf[i] = svm_alloc(&e, CL_MEM_READ_WRITE | CL_MEM_SVM_FINE_GRAIN_BUFFER, 64, 0);
        buf[i][0] = 0;
    }
    /* The first pointer of the index goes to the backend at once; the later ones wait. */
    CHECK_CL(clSetKernelArgSVMPointer(k, 0, buf[1]));
    CHECK(pthread_barrier_init(&start, NULL, NTHREADS + 1) == 0);
    CHECK(pthread_barrier_init(&done, NULL, NTHREADS + 1) == 0);
    pthread_t t[NTHREADS];
    for (int i = 0; i < NTHREADS; i++)
        CHECK(pthread_create(&t[i], NULL, worker, NULL) == 0);
    for (int r = 0; r < ROUNDS; r++) {
        int *now = buf[r % 2], *before = buf[(r + 1) % 2];
        now[0] = 0;
        before[0] = 0;
        CHECK_CL(clSetKernelArgSVMPointer(k, 0, now));
        pthread_barrier_wait(&start);
        pthread_barrier_wait(&done);
        if (now[0] != NTHREADS * LAUNCHES || before[0] != 0) {
            SVM_FAIL("round %d: %d launches counted in the argument set last, %d in the one "
                     "before; expected %d and 0",
                     r, now[0], before[0], NTHREADS * LAUNCHES);
            break;
        }
    }
    /* A failed round leaves the workers waiting: the exit code says what happened. */
    if (svm_failures)
        return svm_exit_code();
    for (int i = 0; i < NTHREADS; i++)
        CHECK(pthread_join(t[i], NULL) == 0);
    pthread_barrier_destroy(&start);
    pthread_barrier_destroy(&done);
    for (int i = 0; i < 2; i++)
        clSVMFree(e.context, buf[i]);
    CHECK_CL(clReleaseKernel(k));
    CHECK_CL(clReleaseProgram(prog));
    svm_env_close(&e);
    return svm_exit_code();
}
