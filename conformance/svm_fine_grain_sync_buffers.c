/* svm_fine_grain_sync_buffers: host and a running kernel synchronise through fine-grain SVM
 * with CL_MEM_SVM_ATOMICS (OpenCL 3.0 API 5.6.1 and OpenCL C 3.0 6.15.12): the host produces
 * values into a small ring buffer, publishing each with a release store of the head index; the
 * kernel consumes them with acquire loads, returns ring slots with release stores of the tail,
 * and publishes a result per value that the host reads (acquire) before the kernel ends. Every
 * value must arrive once, in order, intact. The host's waits are bounded by time (yielding the
 * CPU, so a kernel thread on a busy machine gets to run) and its abort flag stops the kernel;
 * the kernel's poll limit is only a last resort. A broken implementation fails, never hangs. */
#include "conf.h"

static const char *src =
    "#define S memory_scope_all_svm_devices\n"
    "kernel void k_consume(global int *ring, global atomic_uint *ctl, global int *results,\n"
    "                      uint ring_size, uint count)\n"
    "{\n"
    "    /* ctl: [0] head (host), [1] tail (kernel), [2] results done (kernel), [3] abort */\n"
    "    for (uint i = 0; i < count; i++) {\n"
    "        ulong polls = 0;\n"
    "        while (atomic_load_explicit(&ctl[0], memory_order_acquire, S) <= i) {\n"
    "            if (++polls == (1ul << 36) ||\n"
    "                atomic_load_explicit(&ctl[3], memory_order_relaxed, S)) {\n"
    "                atomic_store_explicit(&ctl[3], 1u + i, memory_order_relaxed, S);\n"
    "                return;\n"
    "            }\n"
    "        }\n"
    "        int v = ring[i % ring_size];\n"
    "        atomic_store_explicit(&ctl[1], i + 1, memory_order_release, S);\n"
    "        results[i] = v * 2 + 1;\n"
    "        atomic_store_explicit(&ctl[2], i + 1, memory_order_release, S);\n"
    "    }\n"
    "}\n";

enum { RING = 16, COUNT = 5000 }; /* 312 trips around the ring */

static int value(unsigned i)
{
    return (int)(i * 2654435761u >> 3);
}

int main(void)
{
    conf_env e;
    conf_open(&e);
    conf_need_concurrency(&e, "a ring buffer between the host and a running kernel");
    CHECK(conf_has(&e, CL_DEVICE_SVM_FINE_GRAIN_BUFFER | CL_DEVICE_SVM_ATOMICS));
    cl_program p = conf_program(&e, src, "-cl-std=CL2.0");
    cl_kernel k = conf_kernel(p, "k_consume");
    int *ring = conf_alloc(&e, CL_MEM_SVM_FINE_GRAIN_BUFFER, RING * sizeof(int));
    int *results = conf_alloc(&e, CL_MEM_SVM_FINE_GRAIN_BUFFER, COUNT * sizeof(int));
    cl_uint *ctl =
        conf_alloc(&e, CL_MEM_SVM_FINE_GRAIN_BUFFER | CL_MEM_SVM_ATOMICS, 4 * sizeof(cl_uint));
    memset(ctl, 0, 4 * sizeof(cl_uint));
    memset(results, 0, COUNT * sizeof(int));
    cl_uint rs = RING, count = COUNT;
    CHECK_CL(clSetKernelArgSVMPointer(k, 0, ring));
    CHECK_CL(clSetKernelArgSVMPointer(k, 1, ctl));
    CHECK_CL(clSetKernelArgSVMPointer(k, 2, results));
    CHECK_CL(clSetKernelArg(k, 3, sizeof rs, &rs));
    CHECK_CL(clSetKernelArg(k, 4, sizeof count, &count));
    size_t one = 1;
    CHECK_CL(clEnqueueNDRangeKernel(e.queue, k, 1, NULL, &one, NULL, 0, NULL, NULL));
    CHECK_CL(clFlush(e.queue));

    unsigned checked = 0, fail_at = 0;
    for (unsigned i = 0; i < COUNT && !fail_at; i++) {
        /* Wait (bounded by time, yielding) for a free slot: the kernel's tail must reach
         * i - RING + 1. */
        if (i >= RING && conf_wait_at_least(&ctl[1], i - RING + 1, &ctl[3], CONF_WAIT_SECONDS)) {
            fail_at = i + 1;
            break;
        }
        ring[i % RING] = value(i);
        __atomic_store_n(&ctl[0], i + 1, __ATOMIC_RELEASE);
        unsigned done = __atomic_load_n(&ctl[2], __ATOMIC_ACQUIRE);
        for (; checked < done; checked++)
            CHECK_MSG(results[checked] == value(checked) * 2 + 1,
                      "result %u = %d read while the kernel runs, want %d", checked,
                      results[checked], value(checked) * 2 + 1);
    }
    if (fail_at)
        __atomic_store_n(&ctl[3], 1, __ATOMIC_RELAXED); /* let the kernel give up */
    /* The last results, still before clFinish: the acquire load must make them visible. */
    if (!fail_at && conf_wait_at_least(&ctl[2], COUNT, &ctl[3], CONF_WAIT_SECONDS)) {
        fail_at = COUNT + 1;
        __atomic_store_n(&ctl[3], 1, __ATOMIC_RELAXED);
    }
    for (; !fail_at && checked < COUNT; checked++)
        CHECK_MSG(results[checked] == value(checked) * 2 + 1, "result %u = %d, want %d", checked,
                  results[checked], value(checked) * 2 + 1);
    CHECK_CL(clFinish(e.queue));
    CHECK_MSG(!fail_at && ctl[3] == 0, "producer stopped at %u, kernel abort state %u", fail_at,
              ctl[3]);
    CHECK_EQ(ctl[1], COUNT);
    clSVMFree(e.context, ring);
    clSVMFree(e.context, results);
    clSVMFree(e.context, ctl);
    CHECK_CL(clReleaseKernel(k));
    CHECK_CL(clReleaseProgram(p));
    conf_close(&e);
    printf("ok\n");
    return 0;
}
