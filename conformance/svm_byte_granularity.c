/* svm_byte_granularity: fine-grain buffer SVM shares memory at byte granularity (OpenCL 3.0 API
 * 5.6.1, "fine-grained sharing ... at the granularity of individual loads and stores"): a kernel
 * storing the even bytes and a host thread storing the odd bytes of one buffer at the same time
 * must leave every byte as its own writer stored it, with no word-sized read-modify-write on
 * either side losing the other's bytes. Repeated with the kernel taking the odd bytes. */
#include "conf.h"

#include <pthread.h>

static const char *src = "kernel void k_bytes(volatile global uchar *b, uint parity, uint reps)\n"
                         "{\n"
                         "    uint i = 2 * get_global_id(0) + parity;\n"
                         "    for (uint r = 0; r < reps; r++)\n"
                         "        b[i] = (uchar)(i * 7u + r);\n"
                         "}\n";

enum { NBYTES = 8192, REPS = 64 };

typedef struct host_writer {
    volatile unsigned char *b;
    unsigned parity;
} host_writer;

static void *host_bytes(void *arg)
{
    host_writer *h = arg;
    for (unsigned r = 0; r < REPS; r++)
        for (unsigned i = h->parity; i < NBYTES; i += 2)
            h->b[i] = (unsigned char)(i * 13u + r);
    return NULL;
}

int main(void)
{
    conf_env e;
    conf_open(&e);
    CHECK(conf_has(&e, CL_DEVICE_SVM_FINE_GRAIN_BUFFER));
    cl_program p = conf_program(&e, src, NULL);
    cl_kernel k = conf_kernel(p, "k_bytes");
    unsigned char *b = conf_alloc(&e, CL_MEM_SVM_FINE_GRAIN_BUFFER, NBYTES);
    for (unsigned dev_parity = 0; dev_parity < 2; dev_parity++) {
        memset(b, 0xee, NBYTES);
        cl_uint par = dev_parity, reps = REPS;
        CHECK_CL(clSetKernelArgSVMPointer(k, 0, b));
        CHECK_CL(clSetKernelArg(k, 1, sizeof par, &par));
        CHECK_CL(clSetKernelArg(k, 2, sizeof reps, &reps));
        host_writer h = {b, 1 - dev_parity};
        pthread_t t;
        size_t items = NBYTES / 2;
        CHECK_CL(clEnqueueNDRangeKernel(e.queue, k, 1, NULL, &items, NULL, 0, NULL, NULL));
        CHECK_CL(clFlush(e.queue));
        CHECK(pthread_create(&t, NULL, host_bytes, &h) == 0);
        CHECK(pthread_join(t, NULL) == 0);
        CHECK_CL(clFinish(e.queue));
        for (unsigned i = 0; i < NBYTES; i++) {
            unsigned char want = (i % 2 == dev_parity) ? (unsigned char)(i * 7u + REPS - 1)
                                                       : (unsigned char)(i * 13u + REPS - 1);
            CHECK_MSG(b[i] == want, "kernel parity %u: byte %u = 0x%02x, want 0x%02x", dev_parity,
                      i, b[i], want);
        }
    }
    clSVMFree(e.context, b);
    CHECK_CL(clReleaseKernel(k));
    CHECK_CL(clReleaseProgram(p));
    conf_close(&e);
    printf("ok\n");
    return 0;
}
