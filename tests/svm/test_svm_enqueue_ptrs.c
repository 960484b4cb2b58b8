/* test_svm_enqueue_ptrs: which memory the clEnqueueSVM* commands accept (docs/svm.md, "pointer
 * rule"), one table row per case, through the loader:
 *   - ranges inside an allocation of the queue's context are fine; running past its end, lying
 *     in another context's allocation or in freed window memory is CL_INVALID_VALUE;
 *   - memcpy and fill accept plain host memory (the spec's "host or SVM memory"), and do the work;
 *   - map, unmap and migrate accept host memory only with fine-grain system SVM (run with
 *     CLSVM_VA_BITS=47 as test_svm_enqueue_ptrs_va47);
 *   - empty commands (size 0 copy, empty free list) are valid and have the right event type;
 *   - an event of another context in clEnqueueSVMFree's wait list is CL_INVALID_EVENT_WAIT_LIST
 *     (that command's error list has no CL_INVALID_CONTEXT row).
 * Rows about the window are clsvm-only (other platforms have no window). */
#include "svm/svm_test.h"

enum { SZ = 4096 };

typedef struct ctx {
    const svm_env *e;
    unsigned char *a, *other, *freed, *host, *host2;
    int system; /* fine-grain system SVM */
} ctx;

enum op { MEMCPY_TO, MEMCPY_FROM, FILL, MAP, UNMAP, MIGRATE, MIGRATE_WHOLE };
static const char *const op_name[] = {"memcpy to", "memcpy from", "fill",           "map",
                                      "unmap",     "migrate",     "migrate(size 0)"};

static cl_int run(const ctx *c, enum op op, void *p, size_t size)
{
    cl_command_queue q = c->e->queue;
    static const unsigned pat = 0x01020304u;
    const void *ptrs[1] = {p};
    cl_int err = CL_INVALID_OPERATION;
    switch (op) {
    case MEMCPY_TO:
        err = clEnqueueSVMMemcpy(q, CL_TRUE, p, c->host2, size, 0, NULL, NULL);
        break;
    case MEMCPY_FROM:
        err = clEnqueueSVMMemcpy(q, CL_TRUE, c->host2, p, size, 0, NULL, NULL);
        break;
    case FILL:
        err = clEnqueueSVMMemFill(q, p, &pat, sizeof pat, size, 0, NULL, NULL);
        break;
    case MAP:
        err = clEnqueueSVMMap(q, CL_TRUE, CL_MAP_READ, p, size, 0, NULL, NULL);
        if (err == CL_SUCCESS)
            CHECK_CL(clEnqueueSVMUnmap(q, p, 0, NULL, NULL));
        break;
    case UNMAP:
        err = clEnqueueSVMUnmap(q, p, 0, NULL, NULL);
        break;
    case MIGRATE:
        err = clEnqueueSVMMigrateMem(q, 1, ptrs, &size, 0, 0, NULL, NULL);
        break;
    case MIGRATE_WHOLE:
        err = clEnqueueSVMMigrateMem(q, 1, ptrs, NULL, 0, 0, NULL, NULL);
        break;
    }
    CHECK_CL(clFinish(q));
    return err;
}

static void table(const ctx *c)
{
    const cl_int host_rule = c->system ? CL_SUCCESS : CL_INVALID_VALUE;
    struct {
        enum op op;
        const char *what;
        void *p;
        size_t size;
        cl_int want;
        int clsvm_only;
    } rows[] = {
        {MEMCPY_TO, "interior range", c->a + 16, SZ - 16, CL_SUCCESS, 0},
        {MEMCPY_TO, "past the end", c->a + 16, SZ, CL_INVALID_VALUE, 1},
        {MEMCPY_FROM, "past the end", c->a + SZ - 8, 16, CL_INVALID_VALUE, 1},
        {MEMCPY_TO, "other context's allocation", c->other, 64, CL_INVALID_VALUE, 1},
        {MEMCPY_FROM, "freed allocation", c->freed, 64, CL_INVALID_VALUE, 1},
        {MEMCPY_TO, "host memory", c->host, SZ, CL_SUCCESS, 0},
        /* The spec lists no error for size 0; pocl 3.1 returns CL_INVALID_VALUE. */
        {MEMCPY_TO, "size 0", c->a, 0, CL_SUCCESS, 1},
        {MEMCPY_TO, "wrapping range", (void *)(UINTPTR_MAX - 7), 16, CL_INVALID_VALUE, 1},
        {FILL, "whole allocation", c->a, SZ, CL_SUCCESS, 0},
        {FILL, "past the end", c->a + 64, SZ, CL_INVALID_VALUE, 1},
        {FILL, "other context's allocation", c->other, 64, CL_INVALID_VALUE, 1},
        {FILL, "freed allocation", c->freed, 64, CL_INVALID_VALUE, 1},
        {FILL, "host memory", c->host, SZ, CL_SUCCESS, 0},
        {MAP, "interior range", c->a + 100, 200, CL_SUCCESS, 0},
        {MAP, "past the end", c->a + 100, SZ, CL_INVALID_VALUE, 1},
        {MAP, "other context's allocation", c->other, 64, CL_INVALID_VALUE, 1},
        {MAP, "freed allocation", c->freed, 64, CL_INVALID_VALUE, 1},
        {MAP, "host memory", c->host, SZ, host_rule, 1},
        {UNMAP, "freed allocation", c->freed, 0, CL_INVALID_VALUE, 1},
        {UNMAP, "host memory", c->host, 0, host_rule, 1},
        {MIGRATE, "interior range", c->a + 8, 8, CL_SUCCESS, 0},
        {MIGRATE, "past the end", c->a + 8, SZ, CL_INVALID_VALUE, 1},
        {MIGRATE, "other context's allocation", c->other, 8, CL_INVALID_VALUE, 1},
        {MIGRATE_WHOLE, "freed allocation", c->freed, 0, CL_INVALID_VALUE, 1},
        {MIGRATE_WHOLE, "host memory", c->host, 0, host_rule, 1},
        {MIGRATE, "host memory", c->host, 64, host_rule, 1},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        if (rows[i].clsvm_only && !c->e->is_clsvm)
            continue;
        cl_int err = run(c, rows[i].op, rows[i].p, rows[i].size);
        if (err != rows[i].want)
            SVM_FAIL("%s, %s (%p, %zu): %s, want %s", op_name[rows[i].op], rows[i].what, rows[i].p,
                     rows[i].size, icd_err_name(err), icd_err_name(rows[i].want));
    }
}

static void host_memory_work(const ctx *c)
{
    /* memcpy and fill really work on plain host memory. */
    unsigned char *src = malloc(SZ), *dst = malloc(SZ);
    CHECK(src && dst);
    for (int i = 0; i < SZ; i++)
        src[i] = (unsigned char)(i * 13);
    memset(dst, 0, SZ);
    CHECK_CL(clEnqueueSVMMemcpy(c->e->queue, CL_TRUE, dst, src, SZ, 0, NULL, NULL));
    CHECK(memcmp(dst, src, SZ) == 0);
    static const unsigned short pat = 0xBEEF;
    cl_event ev = NULL;
    CHECK_CL(clEnqueueSVMMemFill(c->e->queue, dst + 2, &pat, sizeof pat, 100, 0, NULL, &ev));
    CHECK_CL(clWaitForEvents(1, &ev));
    CHECK_CL(clReleaseEvent(ev));
    for (int i = 0; i < 50; i++)
        CHECK(((unsigned short *)(dst + 2))[i] == pat);
    CHECK(dst[102] == src[102] && dst[1] == src[1]);
    free(src);
    free(dst);
}

/* Empty commands are valid (the spec's error lists exclude only count/list mismatches); pocl 3.1
 * rejects both, so this is clsvm-only. */
static void empty_commands(const ctx *c)
{
    if (!c->e->is_clsvm) {
        SKIP_PART("empty SVM commands: clsvm only");
        return;
    }
    cl_event ev = NULL;
    CHECK_CL(clEnqueueSVMFree(c->e->queue, 0, NULL, NULL, NULL, 0, NULL, &ev));
    CHECK_CL(clWaitForEvents(1, &ev));
    CHECK_EQ(svm_event_type(ev), CL_COMMAND_SVM_FREE);
    CHECK_CL(clReleaseEvent(ev));
    CHECK_CL(clEnqueueSVMMemcpy(c->e->queue, CL_FALSE, c->a, c->a + 64, 0, 0, NULL, &ev));
    CHECK_CL(clWaitForEvents(1, &ev));
    CHECK_EQ(svm_event_type(ev), CL_COMMAND_SVM_MEMCPY);
    CHECK_CL(clReleaseEvent(ev));
}

static void free_foreign_event(const ctx *c, cl_context other)
{
    if (!c->e->is_clsvm) {
        SKIP_PART("clEnqueueSVMFree with another context's event: clsvm only");
        return;
    }
    cl_int err = CL_SUCCESS;
    cl_event foreign = clCreateUserEvent(other, &err);
    CHECK_CL(err);
    CHECK_CL(clSetUserEventStatus(foreign, CL_COMPLETE));
    void *p = svm_alloc(c->e, CL_MEM_READ_WRITE, 64, 0);
    cl_event ev = (cl_event)(uintptr_t)1;
    SVM_EXPECT_ERR(clEnqueueSVMFree(c->e->queue, 1, &p, NULL, NULL, 1, &foreign, &ev),
                   CL_INVALID_EVENT_WAIT_LIST);
    if (ev != NULL)
        SVM_FAIL("failed clEnqueueSVMFree left *event = %p, want NULL", (void *)ev);
    clSVMFree(c->e->context, p);
    CHECK_CL(clReleaseEvent(foreign));
}

int main(void)
{
    svm_env e;
    svm_env_open(&e);
    cl_context other = icd_test_context(e.platform, e.device);
    ctx c = {&e, NULL, NULL, NULL, NULL, NULL, 0};
    c.system = (e.caps & CL_DEVICE_SVM_FINE_GRAIN_SYSTEM) != 0;
    c.a = svm_alloc(&e, CL_MEM_SVM_FINE_GRAIN_BUFFER, SZ, 0);
    c.other = clSVMAlloc(other, CL_MEM_SVM_FINE_GRAIN_BUFFER, SZ, 0);
    CHECK(c.other != NULL);
    /* Freed: its window range is free again (it was allocated last, so nothing else sits
     * there until the next allocation). */
    c.freed = svm_alloc(&e, CL_MEM_SVM_FINE_GRAIN_BUFFER, SZ, 0);
    clSVMFree(e.context, c.freed);
    c.host = malloc(SZ);
    c.host2 = malloc(SZ);
    CHECK(c.host && c.host2);
    memset(c.host2, 0x5A, SZ);
    printf("platform %s, fine-grain system SVM %s\n", icd_platform_name(e.platform),
           c.system ? "yes" : "no");
    table(&c);
    host_memory_work(&c);
    empty_commands(&c);
    free_foreign_event(&c, other);
    clSVMFree(e.context, c.a);
    clSVMFree(other, c.other);
    free(c.host);
    free(c.host2);
    CHECK_CL(clReleaseContext(other));
    svm_env_close(&e);
    return svm_exit_code();
}
