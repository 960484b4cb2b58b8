/* svm_c11_atomics: the SVM part of OpenCL C's C11 atomics (OpenCL C 3.0 6.15.12) on fine-grain
 * CL_MEM_SVM_ATOMICS memory with memory_scope_all_svm_devices: every read-modify-write function
 * (add, sub, or, and, xor, min, max, exchange, compare-exchange strong and weak, flag
 * test-and-set) is run by many work-items at once, racing a host thread using host atomics on
 * the same words, and each final value and each returned old value is checked exactly.
 *
 * The race is made sure of, not hoped for: the first work-item and the host thread meet
 * (conf_meet, conf.h) before either starts, so running the kernel and the host thread one after
 * the other fails. Shown once by breaking the build on purpose: with clsvm_clFlush calling
 * clsvm_clFinish (the kernel then ran alone inside clFlush), this test failed with "the kernel
 * waited for the host thread in vain (it had run alone): host and kernel did not run
 * concurrently". */
#include "conf.h"

#include <pthread.h>

static const char *src = CONF_MEET_CL
    "#define S memory_scope_all_svm_devices\n"
    "kernel void k_rmw(global atomic_uint *w, global uint *old, global atomic_flag *flag,\n"
    "                  global uint *flag_old, volatile global int *hs)\n"
    "{\n"
    "    uint i = get_global_id(0), n = get_global_size(0);\n"
    "    if (i == 0)\n"
    "        conf_meet(hs, CONF_MEET_LIMIT);\n"
    "    old[i] = atomic_fetch_add_explicit(&w[0], 1u, memory_order_relaxed, S);\n"
    "    atomic_fetch_sub_explicit(&w[1], 3u, memory_order_acq_rel, S);\n"
    "    atomic_fetch_or_explicit(&w[2], 1u << (i % 32), memory_order_release, S);\n"
    "    atomic_fetch_and_explicit(&w[3], ~(1u << (i % 32)), memory_order_acquire, S);\n"
    "    atomic_fetch_xor_explicit(&w[4], 1u << (i % 32), memory_order_seq_cst, S);\n"
    "    atomic_fetch_min_explicit(&w[5], (i * 7919u) % 10007u + 5u, memory_order_relaxed, S);\n"
    "    atomic_fetch_max_explicit(&w[6], (i * 7919u) % 10007u + 5u, memory_order_relaxed, S);\n"
    "    old[n + i] = atomic_exchange_explicit(&w[7], i + 1u, memory_order_acq_rel, S);\n"
    "    uint e = atomic_load_explicit(&w[8], memory_order_relaxed, S);\n"
    "    while (!atomic_compare_exchange_strong_explicit(&w[8], &e, e + 2u,\n"
    "                                                    memory_order_acq_rel,\n"
    "                                                    memory_order_relaxed, S))\n"
    "        ;\n"
    "    e = atomic_load_explicit(&w[9], memory_order_relaxed, S);\n"
    "    while (!atomic_compare_exchange_weak_explicit(&w[9], &e, e + 3u, memory_order_seq_cst,\n"
    "                                                  memory_order_relaxed, S))\n"
    "        ;\n"
    "    flag_old[i] = atomic_flag_test_and_set_explicit(flag, memory_order_acq_rel, S);\n"
    "    atomic_store_explicit(&w[10], 77u, memory_order_release, S);\n"
    "}\n";

enum { N = 1024, HOST_OPS = 1000, NW = 11 };

typedef struct host_side {
    cl_uint *w, *hs;
} host_side;

static void *host_ops(void *arg)
{
    host_side *h = arg;
    cl_uint *w = h->w;
    conf_meet_host(h->hs, "c11 atomics");
    for (int i = 0; i < HOST_OPS; i++) {
        __atomic_fetch_add(&w[0], 1u << 20, __ATOMIC_RELAXED);
        __atomic_fetch_sub(&w[1], 5u, __ATOMIC_SEQ_CST);
        cl_uint e = __atomic_load_n(&w[8], __ATOMIC_RELAXED);
        while (!__atomic_compare_exchange_n(&w[8], &e, e + 7u, 0, __ATOMIC_ACQ_REL,
                                            __ATOMIC_RELAXED)) {
        }
    }
    return NULL;
}

int main(void)
{
    conf_env e;
    conf_open(&e);
    conf_need_concurrency(&e, "a kernel and a host thread racing on atomics");
    CHECK(conf_has(&e, CL_DEVICE_SVM_FINE_GRAIN_BUFFER | CL_DEVICE_SVM_ATOMICS));
    char opts[64];
    snprintf(opts, sizeof opts, "-cl-std=CL3.0 -DCONF_MEET_LIMIT=%uu", CONF_MEET_LIMIT);
    cl_program p = conf_program(&e, src, opts);
    cl_kernel k = conf_kernel(p, "k_rmw");
    const cl_svm_mem_flags at = CL_MEM_SVM_FINE_GRAIN_BUFFER | CL_MEM_SVM_ATOMICS;
    cl_uint *w = conf_alloc(&e, at, NW * sizeof(cl_uint));
    cl_uint *old = conf_alloc(&e, CL_MEM_SVM_FINE_GRAIN_BUFFER, 2 * N * sizeof(cl_uint));
    cl_uint *flag = conf_alloc(&e, at, sizeof(cl_uint)); /* atomic_flag: an int-sized object */
    cl_uint *flag_old = conf_alloc(&e, CL_MEM_SVM_FINE_GRAIN_BUFFER, N * sizeof(cl_uint));
    const cl_uint init[NW] = {0,   1000000, 0, 0xffffffffu, 0x5a5a5a5au, 0xffffffffu, 0, 0,
                              100, 200,     0};
    memcpy(w, init, sizeof init);
    *flag = 0;
    CHECK_CL(clSetKernelArgSVMPointer(k, 0, w));
    CHECK_CL(clSetKernelArgSVMPointer(k, 1, old));
    CHECK_CL(clSetKernelArgSVMPointer(k, 2, flag));
    CHECK_CL(clSetKernelArgSVMPointer(k, 3, flag_old));
    cl_uint *hs = conf_meet_alloc(&e);
    CHECK_CL(clSetKernelArgSVMPointer(k, 4, hs));
    host_side h = {w, hs};
    size_t items = N;
    CHECK_CL(clEnqueueNDRangeKernel(e.queue, k, 1, NULL, &items, NULL, 0, NULL, NULL));
    CHECK_CL(clFlush(e.queue));
    pthread_t t;
    CHECK(pthread_create(&t, NULL, host_ops, &h) == 0);
    CHECK(pthread_join(t, NULL) == 0);
    CHECK_CL(clFinish(e.queue));
    conf_meet_check(hs, "c11 atomics");

    CHECK_EQ(w[0], N + (HOST_OPS << 20));
    CHECK_EQ(w[1], 1000000 - 3 * N - 5 * HOST_OPS);
    CHECK_EQ(w[2], 0xffffffffu);
    CHECK_EQ(w[3], 0);
    CHECK_EQ(w[4], 0x5a5a5a5au); /* each bit flipped N / 32 = 32 times */
    cl_uint mn = 0xffffffffu, mx = 0;
    for (cl_uint i = 0; i < N; i++) {
        cl_uint v = (i * 7919u) % 10007u + 5u;
        mn = v < mn ? v : mn;
        mx = v > mx ? v : mx;
    }
    CHECK_EQ(w[5], mn);
    CHECK_EQ(w[6], mx);
    CHECK_EQ(w[8], 100 + 2 * N + 7 * HOST_OPS);
    CHECK_EQ(w[9], 200 + 3 * N);
    CHECK_EQ(w[10], 77);
    /* fetch_add returned each device count once (host adds only touch bits 20 and up). */
    static unsigned char seen[N + 1];
    memset(seen, 0, sizeof seen);
    for (cl_uint i = 0; i < N; i++) {
        cl_uint c = old[i] & 0xfffffu;
        CHECK_MSG(c < N && !seen[c],
                  "fetch_add old value %u (work-item %u) repeated or out of range", c, i);
        seen[c] = 1;
    }
    /* exchange: the returned old values plus the final value are exactly {0 .. N}. */
    memset(seen, 0, sizeof seen);
    for (cl_uint i = 0; i <= N; i++) {
        cl_uint v = i < N ? old[N + i] : w[7];
        CHECK_MSG(v <= N && !seen[v], "exchange value %u repeated or out of range", v);
        seen[v] = 1;
    }
    /* test-and-set: exactly one work-item found the flag clear. */
    int clear = 0;
    for (cl_uint i = 0; i < N; i++)
        clear += flag_old[i] == 0;
    CHECK_EQ(clear, 1);

    clSVMFree(e.context, w);
    clSVMFree(e.context, old);
    clSVMFree(e.context, flag);
    clSVMFree(e.context, flag_old);
    clSVMFree(e.context, hs);
    CHECK_CL(clReleaseKernel(k));
    CHECK_CL(clReleaseProgram(p));
    conf_close(&e);
    printf("ok\n");
    return 0;
}
