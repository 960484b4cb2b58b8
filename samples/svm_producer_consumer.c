/* svm-producer-consumer: the host produces items into a small ring in fine-grain SVM while a
 * kernel, already running, consumes them, both sides using atomics on the same memory. The
 * kernel first spins on a "go" flag that the host sets only after clFlush, so a pass proves
 * the device runs concurrently with the host and sees its stores without any map or copy.
 * Both sides give up after a bounded wait, so a broken implementation fails instead of hanging.
 *   usage: svm-producer-consumer [items]   (default 10000) */
#include "svm_sample.h"
#include "svm_producer_consumer_cl.h"

#include <assert.h>
#include <stddef.h>
#include <time.h>

/* Small on purpose: the host must wait for the device to drain it many times over. */
enum { RING = 64 };
/* Device side: polls without progress before it gives up (several seconds on a CPU). */
#define SPIN_LIMIT 400000000L
/* Host side: seconds without progress before it gives up. */
enum { HOST_PATIENCE_S = 20 };

/* Same layout as struct channel in kernels/svm_producer_consumer.cl. */
typedef struct channel {
    cl_int go;
    cl_int consumed;
    cl_int status;
    cl_int errors;
    cl_long sum;
    cl_int slot[RING];
} channel;
static_assert(offsetof(channel, slot) == 24, "channel must match the kernel's layout");

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    size_t n = sample_size("svm-producer-consumer", argc, argv, 10000, 2000000000);
    sample s;
    sample_open(&s, "svm-producer-consumer",
                CL_DEVICE_SVM_FINE_GRAIN_BUFFER | CL_DEVICE_SVM_ATOMICS);
    char options[128];
    snprintf(options, sizeof options, "-DRING=%d -DSPIN_LIMIT=%ldL", RING, SPIN_LIMIT);
    sample_build(&s, svm_producer_consumer_cl, options);
    cl_kernel consume = sample_kernel(&s, "consume");

    /* CL_MEM_SVM_ATOMICS: the atomics of host and device on this memory are atomic with
     * respect to each other, which the hand-over below relies on. */
    channel *ch = sample_svm_alloc(
        &s, CL_MEM_READ_WRITE | CL_MEM_SVM_FINE_GRAIN_BUFFER | CL_MEM_SVM_ATOMICS, sizeof *ch);
    memset(ch, 0, sizeof *ch);

    cl_int n_items = (cl_int)n;
    CHECK_CL(&s, clSetKernelArgSVMPointer(consume, 0, ch));
    CHECK_CL(&s, clSetKernelArg(consume, 1, sizeof n_items, &n_items));
    size_t one = 1;
    CHECK_CL(&s, clEnqueueNDRangeKernel(s.queue, consume, 1, NULL, &one, &one, 0, NULL, NULL));
    /* clFlush hands the kernel to the device; it then waits for go. */
    CHECK_CL(&s, clFlush(s.queue));
    __atomic_store_n(&ch->go, 1, __ATOMIC_SEQ_CST);

    /* Produce items 1..n (0 marks an empty slot). A slot is refilled only once the device has
     * emptied it with its atomic exchange. */
    double last_progress = now_s();
    int gave_up = 0;
    for (size_t i = 0; i < n && !gave_up; i++) {
        cl_int *slot = &ch->slot[i % RING];
        while (__atomic_load_n(slot, __ATOMIC_SEQ_CST) != 0) {
            if (__atomic_load_n(&ch->status, __ATOMIC_SEQ_CST) != 0 ||
                now_s() - last_progress > HOST_PATIENCE_S) {
                gave_up = 1;
                break;
            }
        }
        if (!gave_up) {
            __atomic_store_n(slot, (cl_int)(i + 1), __ATOMIC_SEQ_CST);
            last_progress = now_s();
        }
    }
    if (gave_up)
        __atomic_store_n(&ch->go, 2, __ATOMIC_SEQ_CST); /* tell the device to stop waiting */
    CHECK_CL(&s, clFinish(s.queue));

    long long want = (long long)n * ((long long)n + 1) / 2;
    printf("svm-producer-consumer: device consumed %d of %zu items through a %d-slot ring, "
           "sum %lld\n",
           ch->consumed, n, RING, (long long)ch->sum);
    CHECK(&s, ch->status != -1,
          "the device gave up waiting (status -1): host stores did not reach the running kernel");
    CHECK(&s, !gave_up && ch->status == 1,
          "the host gave up after %d s without progress (device status %d, %d consumed): the "
          "kernel did not run while the host produced",
          HOST_PATIENCE_S, ch->status, ch->consumed);
    CHECK(&s, ch->errors == 0, "%d items arrived out of order", ch->errors);
    CHECK(&s, ch->consumed == n_items && ch->sum == want,
          "device consumed %d items with sum %lld, expected %zu with sum %lld", ch->consumed,
          (long long)ch->sum, n, want);
    sample_print_range(&s);

    clSVMFree(s.context, ch);
    clReleaseKernel(consume);
    sample_close(&s);
    printf("svm-producer-consumer: ok\n");
    return 0;
}
