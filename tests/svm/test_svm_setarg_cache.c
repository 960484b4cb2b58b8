/* test_svm_setarg_cache: clSetKernelArgSVMPointer and clSetKernelExecInfo keep refusing pointers
 * that are not inside a live allocation of the kernel's context once the allocation a thread
 * validated a moment ago is gone (clsvm caches the allocations each thread found last,
 * docs/svm.md "Kernel arguments"): after its free, after a free and a new allocation at the same
 * address in another context, and while other threads free and allocate. Every answer is the
 * error code itself (CL_SUCCESS or CL_INVALID_ARG_VALUE / CL_INVALID_VALUE). */
#include "svm/svm_test.h"

#include <pthread.h>
#include <stdatomic.h>

static const char *const src = "kernel void k(global int *p) { if (p) p[0] = 1; }\n";

typedef struct ctx_kernel {
    cl_context ctx;
    cl_program prog;
    cl_kernel k;
} ctx_kernel;

static void ck_open(const svm_env *e, cl_context ctx, ctx_kernel *ck)
{
    ck->ctx = ctx;
    ck->prog = icd_test_program(ctx, e->device, src, "-cl-std=CL2.0");
    ck->k = icd_test_kernel(ck->prog, "k");
}

static void ck_close(ctx_kernel *ck)
{
    CHECK_CL(clReleaseKernel(ck->k));
    CHECK_CL(clReleaseProgram(ck->prog));
}

/* Set and set again (the second one is answered by the cache), then free: refused. */
static void freed_refused(const svm_env *e, ctx_kernel *ck)
{
    static const size_t sizes[] = {64, 4096, 3 << 20};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        char *a = svm_alloc(e, CL_MEM_READ_WRITE, sizes[s], 0);
        for (int i = 0; i < 3; i++) {
            SVM_EXPECT_ERR(clSetKernelArgSVMPointer(ck->k, 0, a + sizes[s] / 2), CL_SUCCESS);
            SVM_EXPECT_ERR(clSetKernelArgSVMPointer(ck->k, 0, a), CL_SUCCESS);
        }
        void *list[1] = {a + 8};
        SVM_EXPECT_ERR(clSetKernelExecInfo(ck->k, CL_KERNEL_EXEC_INFO_SVM_PTRS, sizeof list, list),
                       CL_SUCCESS);
        clSVMFree(ck->ctx, a);
        SVM_EXPECT_ERR(clSetKernelArgSVMPointer(ck->k, 0, a + sizes[s] / 2), CL_INVALID_ARG_VALUE);
        SVM_EXPECT_ERR(clSetKernelArgSVMPointer(ck->k, 0, a), CL_INVALID_ARG_VALUE);
        SVM_EXPECT_ERR(clSetKernelExecInfo(ck->k, CL_KERNEL_EXEC_INFO_SVM_PTRS, sizeof list, list),
                       CL_INVALID_VALUE);
        /* An allocation still live next to the freed one keeps being accepted. */
        char *b = svm_alloc(e, CL_MEM_READ_WRITE, sizes[s], 0);
        SVM_EXPECT_ERR(clSetKernelArgSVMPointer(ck->k, 0, b + 1), CL_SUCCESS);
        clSVMFree(ck->ctx, b);
        SVM_EXPECT_ERR(clSetKernelArgSVMPointer(ck->k, 0, b + 1), CL_INVALID_ARG_VALUE);
    }
}

/* a, just validated for ck1's kernel (in the cache), is freed and the address handed out again
 * by an allocation of the other context: refused for ck1's kernel, accepted for ck2's. Allocating
 * the same size again right after a free reuses the address (the window's small allocations come
 * from per-thread slabs), but not guaranteed: a few tries, else the part is skipped. */
static void reused_by_other_context(const svm_env *e, ctx_kernel *ck1, ctx_kernel *ck2)
{
    int tried = 0;
    for (int attempt = 0; attempt < 64; attempt++) {
        char *a = svm_alloc(e, CL_MEM_READ_WRITE, 256, 0);
        SVM_EXPECT_ERR(clSetKernelArgSVMPointer(ck1->k, 0, a + 16), CL_SUCCESS);
        SVM_EXPECT_ERR(clSetKernelArgSVMPointer(ck1->k, 0, a + 16), CL_SUCCESS);
        clSVMFree(ck1->ctx, a);
        char *b = clSVMAlloc(ck2->ctx, CL_MEM_READ_WRITE, 256, 0);
        CHECK(b != NULL);
        if (b == a) {
            tried++;
            SVM_EXPECT_ERR(clSetKernelArgSVMPointer(ck1->k, 0, a + 16), CL_INVALID_ARG_VALUE);
            SVM_EXPECT_ERR(clSetKernelArgSVMPointer(ck2->k, 0, b + 16), CL_SUCCESS);
            SVM_EXPECT_ERR(clSetKernelArgSVMPointer(ck1->k, 0, a + 16), CL_INVALID_ARG_VALUE);
            /* And back: freed in ck2's context, reallocated in ck1's. */
            clSVMFree(ck2->ctx, b);
            char *c = svm_alloc(e, CL_MEM_READ_WRITE, 256, 0);
            SVM_EXPECT_ERR(clSetKernelArgSVMPointer(ck2->k, 0, b + 16), CL_INVALID_ARG_VALUE);
            SVM_EXPECT_ERR(clSetKernelArgSVMPointer(ck1->k, 0, c + 16), CL_SUCCESS);
            clSVMFree(ck1->ctx, c);
            break;
        }
        clSVMFree(ck2->ctx, b);
    }
    if (!tried)
        SKIP_PART("no allocation of the second context reused a freed address in 64 tries");
}

/* ---- threads: each sets its own kernel's argument to its own buffers and to a shared one that
 * another thread frees and allocates again meanwhile ---- */
enum { THREADS = 4, ROUNDS = 300 };

typedef struct shared {
    const svm_env *e;
    pthread_barrier_t bar;
    _Atomic(char *) victim; /* freed and replaced by thread 0 each round */
    _Atomic int bad;
} shared;

typedef struct worker {
    shared *s;
    int id;
    cl_kernel k;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    shared *s = w->s;
    cl_context ctx = s->e->context;
    for (int r = 0; r < ROUNDS; r++) {
        char *mine = clSVMAlloc(ctx, CL_MEM_READ_WRITE, 64 << (r % 4), 0);
        if (!mine) {
            atomic_fetch_add(&s->bad, 1);
            break;
        }
        for (int i = 0; i < 4; i++)
            if (clSetKernelArgSVMPointer(w->k, 0, mine + 8) != CL_SUCCESS)
                atomic_fetch_add(&s->bad, 1);
        /* Racing with thread 0's free: either answer, but no crash and no other error. */
        char *v = atomic_load(&s->victim);
        cl_int err = clSetKernelArgSVMPointer(w->k, 0, v + 8);
        if (err != CL_SUCCESS && err != CL_INVALID_ARG_VALUE)
            atomic_fetch_add(&s->bad, 1);
        pthread_barrier_wait(&s->bar);
        if (w->id == 0) {
            clSVMFree(ctx, v);
            atomic_store(&s->victim, clSVMAlloc(ctx, CL_MEM_READ_WRITE, 64, 0));
        }
        clSVMFree(ctx, mine);
        pthread_barrier_wait(&s->bar);
        /* Every free above has returned: the old victim and this thread's buffer are dead,
         * unless the new victim took the same address (then it is live, and accepted). */
        char *now = atomic_load(&s->victim);
        cl_int want_v = now == v ? CL_SUCCESS : CL_INVALID_ARG_VALUE;
        if (clSetKernelArgSVMPointer(w->k, 0, v + 8) != want_v)
            atomic_fetch_add(&s->bad, 1);
        if (mine != now && clSetKernelArgSVMPointer(w->k, 0, mine + 8) != CL_INVALID_ARG_VALUE)
            atomic_fetch_add(&s->bad, 1);
        pthread_barrier_wait(&s->bar);
    }
    return NULL;
}

static void threads(const svm_env *e)
{
    shared s = {.e = e};
    CHECK(pthread_barrier_init(&s.bar, NULL, THREADS) == 0);
    atomic_store(&s.victim, svm_alloc(e, CL_MEM_READ_WRITE, 64, 0));
    cl_program prog = icd_test_program(e->context, e->device, src, "-cl-std=CL2.0");
    worker w[THREADS];
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (worker){&s, i, icd_test_kernel(prog, "k")};
        CHECK(pthread_create(&t[i], NULL, work, &w[i]) == 0);
    }
    for (int i = 0; i < THREADS; i++) {
        CHECK(pthread_join(t[i], NULL) == 0);
        CHECK_CL(clReleaseKernel(w[i].k));
    }
    if (atomic_load(&s.bad))
        SVM_FAIL("%d wrong answer(s) from threads setting arguments while others free",
                 atomic_load(&s.bad));
    clSVMFree(e->context, atomic_load(&s.victim));
    CHECK_CL(clReleaseProgram(prog));
    pthread_barrier_destroy(&s.bar);
}

int main(void)
{
    svm_env e;
    svm_env_open(&e);
    if (!e.is_clsvm) {
        printf("skipped: the pointer rule is clsvm's (other platforms accept any pointer)\n");
        svm_env_close(&e);
        return SVM_TEST_SKIP;
    }
    ctx_kernel ck1, ck2;
    ck_open(&e, e.context, &ck1);
    cl_int err = CL_SUCCESS;
    cl_context other = clCreateContext(NULL, 1, &e.device, NULL, NULL, &err);
    CHECK_CL(err);
    ck_open(&e, other, &ck2);

    freed_refused(&e, &ck1);
    reused_by_other_context(&e, &ck1, &ck2);
    threads(&e);

    ck_close(&ck2);
    CHECK_CL(clReleaseContext(other));
    ck_close(&ck1);
    svm_env_close(&e);
    return svm_exit_code();
}
