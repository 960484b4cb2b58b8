/*
 * test_svm_fill: clEnqueueSVMMemFill writes exactly the pattern, for every pattern size
 * (1..128), uniform and mixed patterns, small (up to 4 KiB: doubled in place), medium and large
 * (streamed, >= 64 MiB) fills, at destinations aligned to the pattern but not to 16 bytes; the
 * bytes around the range stay untouched. Compared against a reference fill computed byte by
 * byte.
 */
#include "svm_test.h"

static void check_fill(const svm_env *e, unsigned char *buf, size_t cap, size_t off, size_t size,
                       const unsigned char *pat, size_t psize)
{
    memset(buf, 0xEE, cap);
    CHECK_CL(clEnqueueSVMMemFill(e->queue, buf + off, pat, psize, size, 0, NULL, NULL));
    CHECK_CL(clFinish(e->queue));
    for (size_t i = 0; i < cap; i++) {
        unsigned char want = i >= off && i < off + size ? pat[(i - off) % psize] : 0xEE;
        if (buf[i] != want) {
            SVM_FAIL("pattern %zu B, fill of %zu B at offset %zu: byte %zu is 0x%02x, want 0x%02x",
                     psize, size, off, i, buf[i], want);
            return;
        }
    }
}

int main(void)
{
    svm_env e;
    svm_env_open(&e);
    const size_t cap = ((size_t)3 << 20) + 4096;
    unsigned char *buf = svm_alloc(&e, CL_MEM_READ_WRITE, cap, 0);
    unsigned char mixed[128], same[128];
    for (int i = 0; i < 128; i++) {
        mixed[i] = (unsigned char)(i * 37 + 11);
        same[i] = 0x5a;
    }
    int cases = 0;
    for (size_t psize = 1; psize <= 128; psize *= 2) {
        /* Offsets aligned to psize; for small patterns also ones that break 16-byte alignment. */
        size_t offs[] = {0, psize, 3 * psize, 128};
        size_t sizes[] = {psize, 7 * psize, 4096, 4096 + 5 * psize, ((size_t)2 << 20) + 9 * psize};
        for (size_t o = 0; o < sizeof offs / sizeof offs[0]; o++)
            for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
                if (offs[o] + sizes[s] > cap)
                    continue;
                check_fill(&e, buf, cap, offs[o], sizes[s], mixed, psize);
                check_fill(&e, buf, cap, offs[o], sizes[s], same, psize);
                cases += 2;
            }
    }
    clSVMFree(e.context, buf);
    /* Fills of 64 MiB and more take the streaming path. */
    const size_t big_cap = ((size_t)65 << 20) + 4096;
    unsigned char *big = svm_alloc(&e, CL_MEM_READ_WRITE, big_cap, 0);
    for (size_t psize = 2; psize <= 128; psize *= 8) {
        check_fill(&e, big, big_cap, psize, ((size_t)64 << 20) + 9 * psize, mixed, psize);
        cases++;
    }
    clSVMFree(e.context, big);
    printf("%d fills checked\n", cases);
    svm_env_close(&e);
    return svm_exit_code();
}
