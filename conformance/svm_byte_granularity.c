/* svm_byte_granularity: fine-grain buffer SVM shares memory at byte granularity (OpenCL 3.0 API
 * 5.6.1, "fine-grained sharing ... at the granularity of individual loads and stores"): a kernel
 * storing the even bytes and a host thread storing the odd bytes of one buffer at the same time
 * must leave every byte as its own writer stored it, with no word-sized read-modify-write on
 * either side losing the other's bytes. Repeated with the kernel taking the odd bytes.
 *
 * "At the same time" is checked, not assumed: the kernel's first work-item and the host thread
 * meet through fine-grain words (conf_meet, conf.h) before writing, so the test fails when the
 * two run one after the other. Shown once by breaking the build on purpose: with clsvm_clFlush
 * calling clsvm_clFinish (the kernel then ran alone inside clFlush, before the host thread
 * started), this test failed with "the kernel waited for the host thread in vain (it had run
 * alone): host and kernel did not run concurrently". */
#include "conf.h"

#include <pthread.h>

static const char *src =
    CONF_MEET_CL "kernel void k_bytes(volatile global uchar *b, uint parity, uint reps,\n"
                 "                    volatile global int *hs)\n"
                 "{\n"
                 "    if (get_global_id(0) == 0)\n"
                 "        conf_meet(hs, CONF_MEET_LIMIT);\n"
                 "    uint i = 2 * get_global_id(0) + parity;\n"
                 "    for (uint r = 0; r < reps; r++)\n"
                 "        b[i] = (uchar)(i * 7u + r);\n"
                 "}\n";

enum { NBYTES = 8192, REPS = 64 };

typedef struct host_writer {
    volatile unsigned char *b;
    unsigned parity;
    cl_uint *hs;
} host_writer;

static void *host_bytes(void *arg)
{
    host_writer *h = arg;
    conf_meet_host(h->hs, "byte granularity");
    for (unsigned r = 0; r < REPS; r++)
        for (unsigned i = h->parity; i < NBYTES; i += 2)
            h->b[i] = (unsigned char)(i * 13u + r);
    return NULL;
}

int main(void)
{
    conf_env e;
    conf_open(&e);
    conf_need_concurrency(&e, "a kernel and a host thread writing neighbouring bytes at once");
    CHECK(conf_has(&e, CL_DEVICE_SVM_FINE_GRAIN_BUFFER));
    char opts[64];
    snprintf(opts, sizeof opts, "-DCONF_MEET_LIMIT=%uu", CONF_MEET_LIMIT);
    cl_program p = conf_program(&e, src, opts);
    cl_kernel k = conf_kernel(p, "k_bytes");
    unsigned char *b = conf_alloc(&e, CL_MEM_SVM_FINE_GRAIN_BUFFER, NBYTES);
    cl_uint *hs = conf_meet_alloc(&e);
    for (unsigned dev_parity = 0; dev_parity < 2; dev_parity++) {
        memset(b, 0xee, NBYTES);
        memset(hs, 0, CONF_MEET_WORDS * sizeof(cl_uint));
        cl_uint par = dev_parity, reps = REPS;
        CHECK_CL(clSetKernelArgSVMPointer(k, 0, b));
        CHECK_CL(clSetKernelArg(k, 1, sizeof par, &par));
        CHECK_CL(clSetKernelArg(k, 2, sizeof reps, &reps));
        CHECK_CL(clSetKernelArgSVMPointer(k, 3, hs));
        host_writer h = {b, 1 - dev_parity, hs};
        pthread_t t;
        size_t items = NBYTES / 2;
        CHECK_CL(clEnqueueNDRangeKernel(e.queue, k, 1, NULL, &items, NULL, 0, NULL, NULL));
        CHECK_CL(clFlush(e.queue));
        CHECK(pthread_create(&t, NULL, host_bytes, &h) == 0);
        CHECK(pthread_join(t, NULL) == 0);
        CHECK_CL(clFinish(e.queue));
        conf_meet_check(hs, "byte granularity");
        for (unsigned i = 0; i < NBYTES; i++) {
            unsigned char want = (i % 2 == dev_parity) ? (unsigned char)(i * 7u + REPS - 1)
                                                       : (unsigned char)(i * 13u + REPS - 1);
            CHECK_MSG(b[i] == want, "kernel parity %u: byte %u = 0x%02x, want 0x%02x", dev_parity,
                      i, b[i], want);
        }
    }
    clSVMFree(e.context, b);
    clSVMFree(e.context, hs);
    CHECK_CL(clReleaseKernel(k));
    CHECK_CL(clReleaseProgram(p));
    conf_close(&e);
    printf("ok\n");
    return 0;
}
