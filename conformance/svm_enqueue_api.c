/* svm_enqueue_api: the clEnqueueSVM* commands (OpenCL 3.0 API 5.6.2): memcpy and memfill move
 * exact bytes (every fill pattern size, SVM and host memory, offsets), commands order by wait
 * lists and events report their command type, clEnqueueSVMFree passes its list to the callback
 * exactly, and each documented invalid argument returns its error code. */
#include "conf.h"

static void check_type(cl_event ev, cl_command_type want)
{
    cl_command_type t = 0;
    CHECK_CL(clGetEventInfo(ev, CL_EVENT_COMMAND_TYPE, sizeof t, &t, NULL));
    CHECK_EQ(t, want);
    cl_int st = 0;
    CHECK_CL(clWaitForEvents(1, &ev));
    CHECK_CL(clGetEventInfo(ev, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof st, &st, NULL));
    CHECK_EQ(st, CL_COMPLETE);
    CHECK_CL(clReleaseEvent(ev));
}

enum { SIZE = 4096 };

static void fills(const conf_env *e, unsigned char *a)
{
    unsigned char pat[128];
    for (size_t ps = 1; ps <= 128; ps *= 2) {
        for (size_t i = 0; i < ps; i++)
            pat[i] = (unsigned char)(ps + 3 * i);
        CHECK_CL(clEnqueueSVMMemFill(e->queue, a, &pat[0], 1, SIZE, 0, NULL, NULL));
        size_t off = 2 * ps, len = 5 * ps;
        cl_event ev = NULL;
        CHECK_CL(clEnqueueSVMMemFill(e->queue, a + off, pat, ps, len, 0, NULL, &ev));
        check_type(ev, CL_COMMAND_SVM_MEMFILL);
        CHECK_CL(clEnqueueSVMMap(e->queue, CL_TRUE, CL_MAP_READ, a, SIZE, 0, NULL, NULL));
        for (size_t i = 0; i < SIZE; i++) {
            unsigned char want = (i >= off && i < off + len) ? pat[(i - off) % ps] : pat[0];
            CHECK_MSG(a[i] == want, "pattern %zu: byte %zu = %u, want %u", ps, i, a[i], want);
        }
        CHECK_CL(clEnqueueSVMUnmap(e->queue, a, 0, NULL, NULL));
    }
    /* Pattern sizes must be powers of two up to 128; pointer and size multiples of it. */
    CHECK_ERR(clEnqueueSVMMemFill(e->queue, a, pat, 3, 12, 0, NULL, NULL), CL_INVALID_VALUE);
    CHECK_ERR(clEnqueueSVMMemFill(e->queue, a, pat, 256, 256, 0, NULL, NULL), CL_INVALID_VALUE);
    CHECK_ERR(clEnqueueSVMMemFill(e->queue, a, pat, 0, 16, 0, NULL, NULL), CL_INVALID_VALUE);
    CHECK_ERR(clEnqueueSVMMemFill(e->queue, a + 2, pat, 4, 16, 0, NULL, NULL), CL_INVALID_VALUE);
    CHECK_ERR(clEnqueueSVMMemFill(e->queue, a, pat, 4, 18, 0, NULL, NULL), CL_INVALID_VALUE);
    CHECK_ERR(clEnqueueSVMMemFill(e->queue, a, NULL, 4, 16, 0, NULL, NULL), CL_INVALID_VALUE);
    CHECK_ERR(clEnqueueSVMMemFill(e->queue, NULL, pat, 4, 16, 0, NULL, NULL), CL_INVALID_VALUE);
}

static void copies(const conf_env *e, unsigned char *a, unsigned char *b)
{
    unsigned char *host = malloc(SIZE);
    CHECK(host);
    for (size_t i = 0; i < SIZE; i++)
        host[i] = (unsigned char)(i * 31 + 7);
    /* host -> SVM, SVM -> SVM at odd offsets, SVM -> host. */
    CHECK_CL(clEnqueueSVMMemcpy(e->queue, CL_TRUE, a, host, SIZE, 0, NULL, NULL));
    cl_event ev = NULL;
    CHECK_CL(clEnqueueSVMMemcpy(e->queue, CL_FALSE, b + 3, a + 5, SIZE - 8, 0, NULL, &ev));
    cl_event ev2 = NULL;
    memset(host, 0, SIZE);
    CHECK_CL(clEnqueueSVMMemcpy(e->queue, CL_FALSE, host, b, SIZE, 1, &ev, &ev2));
    check_type(ev, CL_COMMAND_SVM_MEMCPY);
    check_type(ev2, CL_COMMAND_SVM_MEMCPY);
    for (size_t i = 3; i < SIZE - 5; i++)
        CHECK_MSG(host[i] == (unsigned char)((i + 2) * 31 + 7), "copied byte %zu = %u", i, host[i]);
    /* Errors: NULL pointers, overlapping ranges in one allocation. */
    CHECK_ERR(clEnqueueSVMMemcpy(e->queue, CL_TRUE, NULL, a, 16, 0, NULL, NULL), CL_INVALID_VALUE);
    CHECK_ERR(clEnqueueSVMMemcpy(e->queue, CL_TRUE, a, NULL, 16, 0, NULL, NULL), CL_INVALID_VALUE);
    CHECK_ERR(clEnqueueSVMMemcpy(e->queue, CL_TRUE, a + 8, a, 16, 0, NULL, NULL),
              CL_MEM_COPY_OVERLAP);
    CHECK_ERR(clEnqueueSVMMemcpy(e->queue, CL_TRUE, a, a + 15, 16, 0, NULL, NULL),
              CL_MEM_COPY_OVERLAP);
    CHECK_CL(clEnqueueSVMMemcpy(e->queue, CL_TRUE, a, a + 16, 16, 0, NULL, NULL));
    free(host);
}

static void maps(const conf_env *e, unsigned char *a)
{
    cl_event ev = NULL;
    CHECK_CL(
        clEnqueueSVMMap(e->queue, CL_FALSE, CL_MAP_WRITE_INVALIDATE_REGION, a, 64, 0, NULL, &ev));
    check_type(ev, CL_COMMAND_SVM_MAP);
    memset(a, 0x5a, 64);
    CHECK_CL(clEnqueueSVMUnmap(e->queue, a, 0, NULL, &ev));
    check_type(ev, CL_COMMAND_SVM_UNMAP);
    unsigned char got[64];
    CHECK_CL(clEnqueueSVMMemcpy(e->queue, CL_TRUE, got, a, 64, 0, NULL, NULL));
    for (int i = 0; i < 64; i++)
        CHECK_EQ(got[i], 0x5a);
    CHECK_ERR(clEnqueueSVMMap(e->queue, CL_TRUE, CL_MAP_READ, NULL, 64, 0, NULL, NULL),
              CL_INVALID_VALUE);
    CHECK_ERR(clEnqueueSVMMap(e->queue, CL_TRUE, CL_MAP_READ, a, 0, 0, NULL, NULL),
              CL_INVALID_VALUE);
    CHECK_ERR(clEnqueueSVMMap(e->queue, CL_TRUE, CL_MAP_READ | CL_MAP_WRITE_INVALIDATE_REGION, a,
                              64, 0, NULL, NULL),
              CL_INVALID_VALUE);
    CHECK_ERR(clEnqueueSVMUnmap(e->queue, NULL, 0, NULL, NULL), CL_INVALID_VALUE);
}

typedef struct free_seen {
    int calls;
    cl_command_queue queue;
    cl_uint n;
    void *ptrs[3];
    void *user;
} free_seen;

static void CL_CALLBACK on_free(cl_command_queue q, cl_uint n, void *ptrs[], void *user)
{
    free_seen *s = user;
    s->calls++;
    s->queue = q;
    s->n = n;
    for (cl_uint i = 0; i < n && i < 3; i++)
        s->ptrs[i] = ptrs[i];
    s->user = user;
    cl_context ctx = NULL;
    clGetCommandQueueInfo(q, CL_QUEUE_CONTEXT, sizeof ctx, &ctx, NULL);
    for (cl_uint i = 0; i < n; i++)
        clSVMFree(ctx, ptrs[i]);
}

static void frees(const conf_env *e)
{
    void *list[3];
    for (int i = 0; i < 3; i++)
        list[i] = conf_alloc(e, CL_MEM_READ_WRITE, 64 << i);
    void *want[3] = {list[0], list[1], list[2]};
    free_seen s = {0};
    cl_event ev = NULL;
    CHECK_CL(clEnqueueSVMFree(e->queue, 3, list, on_free, &s, 0, NULL, &ev));
    list[0] = list[1] = list[2] = NULL; /* the list is the application's again once it returns */
    check_type(ev, CL_COMMAND_SVM_FREE);
    CHECK_EQ(s.calls, 1);
    CHECK(s.queue == e->queue);
    CHECK_EQ(s.n, 3);
    for (int i = 0; i < 3; i++)
        CHECK(s.ptrs[i] == want[i]);
    CHECK(s.user == &s);
    /* Without a callback the implementation frees; an empty list is an empty command. */
    void *one = conf_alloc(e, CL_MEM_READ_WRITE, 128);
    CHECK_CL(clEnqueueSVMFree(e->queue, 1, &one, NULL, NULL, 0, NULL, &ev));
    check_type(ev, CL_COMMAND_SVM_FREE);
    CHECK_CL(clEnqueueSVMFree(e->queue, 0, NULL, NULL, NULL, 0, NULL, NULL));
    CHECK_ERR(clEnqueueSVMFree(e->queue, 1, NULL, NULL, NULL, 0, NULL, NULL), CL_INVALID_VALUE);
    CHECK_ERR(clEnqueueSVMFree(e->queue, 0, want, NULL, NULL, 0, NULL, NULL), CL_INVALID_VALUE);
}

int main(void)
{
    conf_env e;
    conf_open(&e);
    unsigned char *a = conf_alloc(&e, CL_MEM_READ_WRITE, SIZE);
    unsigned char *b = conf_alloc(&e, CL_MEM_READ_WRITE, SIZE);
    fills(&e, a);
    copies(&e, a, b);
    maps(&e, a);
    frees(&e);
    /* Queue and wait-list errors, common to every command. */
    unsigned char pat = 1;
    CHECK_ERR(clEnqueueSVMMemcpy(NULL, CL_TRUE, a, b, 16, 0, NULL, NULL), CL_INVALID_COMMAND_QUEUE);
    CHECK_ERR(clEnqueueSVMMemFill(NULL, a, &pat, 1, 16, 0, NULL, NULL), CL_INVALID_COMMAND_QUEUE);
    CHECK_ERR(clEnqueueSVMMap(NULL, CL_TRUE, CL_MAP_READ, a, 16, 0, NULL, NULL),
              CL_INVALID_COMMAND_QUEUE);
    cl_event none = NULL;
    CHECK_ERR(clEnqueueSVMMemcpy(e.queue, CL_TRUE, a, b, 16, 1, NULL, NULL),
              CL_INVALID_EVENT_WAIT_LIST);
    CHECK_ERR(clEnqueueSVMMemFill(e.queue, a, &pat, 1, 16, 0, &none, NULL),
              CL_INVALID_EVENT_WAIT_LIST);
    CHECK_ERR(clEnqueueSVMUnmap(e.queue, a, 1, &none, NULL), CL_INVALID_EVENT_WAIT_LIST);
    CHECK_CL(clFinish(e.queue));
    clSVMFree(e.context, a);
    clSVMFree(e.context, b);
    conf_close(&e);
    printf("ok\n");
    return 0;
}
