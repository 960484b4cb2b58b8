/* test_svm_free_unknown: clSVMFree of pointers that are not live allocations of the context (a
 * malloc'd pointer, a stack address, an interior pointer, one past the end, a double free, an
 * allocation of another context) must change nothing: no crash, the live allocations keep their
 * contents and are not handed out again, and the heap keeps working. The spec calls this
 * undefined behaviour; clsvm makes it its contract, so other platforms skip the test (pocl
 * passes such pointers to free() and may crash). */
#include "svm/svm_test.h"

#define NLIVE 4
#define LSIZE 8192

static void fill(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(i * 131 + seed);
}

static void expect(const unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        CHECK_MSG(p[i] == (unsigned char)(i * 131 + seed), "byte %zu of live allocation %p is %u",
                  i, (const void *)p, p[i]);
}

/* Allocates `count` blocks of `size` and checks none overlaps a live allocation, i.e. none of
 * the bogus frees released (part of) one of them. */
static void no_reuse(const svm_env *e, unsigned char *const *livep, size_t size, int count)
{
    void **fresh = calloc((size_t)count, sizeof *fresh);
    CHECK(fresh != NULL);
    for (int i = 0; i < count; i++) {
        unsigned char *q = svm_alloc(e, CL_MEM_SVM_FINE_GRAIN_BUFFER, size, 0);
        fresh[i] = q;
        for (int j = 0; j < NLIVE; j++)
            CHECK_MSG(q + size <= livep[j] || livep[j] + LSIZE <= q,
                      "new allocation %p overlaps live allocation %p: a bogus clSVMFree freed it",
                      (void *)q, (void *)livep[j]);
        memset(q, 0x5A, size);
    }
    for (int i = 0; i < count; i++)
        clSVMFree(e->context, fresh[i]);
    free(fresh);
}

int main(void)
{
    svm_env e;
    svm_env_open(&e);
    if (!e.is_clsvm) {
        printf("skipped: freeing unknown pointers is only defined for clsvm\n");
        svm_env_close(&e);
        return SVM_TEST_SKIP;
    }
    CHECK(e.caps & CL_DEVICE_SVM_FINE_GRAIN_BUFFER);

    unsigned char *livep[NLIVE];
    for (int i = 0; i < NLIVE; i++) {
        livep[i] = svm_alloc(&e, CL_MEM_SVM_FINE_GRAIN_BUFFER, LSIZE, 0);
        fill(livep[i], LSIZE, (unsigned)i);
    }

    /* A freed allocation, freed again. */
    void *gone = svm_alloc(&e, CL_MEM_SVM_FINE_GRAIN_BUFFER, LSIZE, 0);
    clSVMFree(e.context, gone);
    clSVMFree(e.context, gone);

    /* Another context's allocation: "a live allocation of that context" is what may be freed. */
    cl_context other = icd_test_context(e.platform, e.device);
    unsigned char *foreign = clSVMAlloc(other, CL_MEM_SVM_FINE_GRAIN_BUFFER, LSIZE, 0);
    CHECK(foreign != NULL);
    svm_check_window(&e, foreign, LSIZE);
    fill(foreign, LSIZE, 99);
    clSVMFree(e.context, foreign);

    char stack_byte = 0;
    void *heap = malloc(64);
    CHECK(heap != NULL);
    void *bogus[] = {
        heap,                 /* malloc'd */
        &stack_byte,          /* stack */
        livep[0] + 1,         /* interior, one byte in */
        livep[1] + LSIZE / 2, /* interior, middle */
        livep[2] + LSIZE - 1, /* last byte */
        livep[3] + LSIZE,     /* one past the end */
        (void *)(uintptr_t)1, /* not a pointer at all */
    };
    for (size_t i = 0; i < sizeof bogus / sizeof bogus[0]; i++)
        clSVMFree(e.context, bogus[i]);
    /* A live pointer with a handle that is not a context (the loader dispatches it to clsvm). */
    clSVMFree((cl_context)e.queue, livep[0]);
    free(heap);

    for (int i = 0; i < NLIVE; i++)
        expect(livep[i], LSIZE, (unsigned)i);
    expect(foreign, LSIZE, 99);
    no_reuse(&e, livep, LSIZE, 64);
    no_reuse(&e, livep, 64, 256);

    /* The foreign allocation is still live in its own context: a fresh one there must not
     * overlap it, and freeing it through its own context works. */
    unsigned char *again = clSVMAlloc(other, CL_MEM_SVM_FINE_GRAIN_BUFFER, LSIZE, 0);
    CHECK(again != NULL);
    CHECK(again + LSIZE <= foreign || foreign + LSIZE <= again);
    expect(foreign, LSIZE, 99);
    clSVMFree(other, again);
    clSVMFree(other, foreign);
    CHECK_CL(clReleaseContext(other));

    for (int i = 0; i < NLIVE; i++)
        clSVMFree(e.context, livep[i]);
    /* Everything really freed: the heap hands out memory again. */
    unsigned char *last = svm_alloc(&e, CL_MEM_SVM_FINE_GRAIN_BUFFER, 4 * LSIZE, 0);
    fill(last, 4 * LSIZE, 7);
    expect(last, 4 * LSIZE, 7);
    clSVMFree(e.context, last);

    svm_env_close(&e);
    printf("ok\n");
    return 0;
}
