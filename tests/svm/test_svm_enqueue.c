/* test_svm_enqueue: the clEnqueueSVM* commands (OpenCL 3.0 API, "Shared Virtual Memory").
 * Per command (Memcpy, MemFill, Map, Unmap, MigrateMem, Free with and without a callback):
 *   - gated on a user event, it does not run before clSetUserEventStatus (its event is not
 *     complete and its data effect is absent), then it does, with the right effect;
 *   - its event reports the right CL_COMMAND_SVM_* type, the app's queue and context;
 *   - a bad queue is CL_INVALID_COMMAND_QUEUE, a malformed wait list CL_INVALID_EVENT_WAIT_LIST,
 *     a wait event of another context CL_INVALID_CONTEXT (where the spec lists it);
 * plus each command's own argument errors and data checks: blocking/non-blocking and host<->SVM
 * copies, overlap, every fill pattern size byte-exact, migration flags and ranges, and the free
 * callback's arguments (queue, a copy of the pointer list, user_data). */
#include "svm/svm_test.h"

enum { SZ = 4096 };

enum cmd { C_MEMCPY, C_FILL, C_MAP, C_UNMAP, C_MIGRATE, C_FREE, C_FREE_CB, NCMD };

static const char *const cmd_name[NCMD] = {"Memcpy",  "MemFill", "Map",   "Unmap",
                                           "Migrate", "Free",    "FreeCb"};
static const cl_command_type cmd_type[NCMD] = {
    CL_COMMAND_SVM_MEMCPY,      CL_COMMAND_SVM_MEMFILL, CL_COMMAND_SVM_MAP,  CL_COMMAND_SVM_UNMAP,
    CL_COMMAND_SVM_MIGRATE_MEM, CL_COMMAND_SVM_FREE,    CL_COMMAND_SVM_FREE,
};
/* clEnqueueSVMFree's error list has no CL_INVALID_CONTEXT row; the other commands' do. */
static const int cmd_checks_context[NCMD] = {1, 1, 1, 1, 1, 0, 0};

static const unsigned char fill4[4] = {0xDE, 0xAD, 0xBE, 0xEF};

/* State the free callback records; the test checks it after the command completes. */
typedef struct free_record {
    cl_context context;
    int calls;
    cl_command_queue queue;
    cl_uint n;
    void *ptrs[4];
    void *user_data;
} free_record;

/* Everything one command needs: fine-grain src/dst (host-checkable while a command is pending),
 * a coarse buffer for map/unmap, pointers for the free commands. */
typedef struct fixture {
    unsigned char *src, *dst, *coarse;
    void *to_free[3];
    int freed;  /* to_free was handed to a successful clEnqueueSVMFree */
    int mapped; /* outstanding successful maps of `coarse` */
    free_record rec;
} fixture;

static void CL_CALLBACK free_cb(cl_command_queue q, cl_uint n, void *ptrs[], void *user_data)
{
    free_record *r = user_data;
    r->calls++;
    r->queue = q;
    r->n = n;
    r->user_data = user_data;
    for (cl_uint i = 0; i < n && i < 4; i++)
        r->ptrs[i] = ptrs[i];
    /* The callback owns the freeing (API spec, clEnqueueSVMFree). */
    for (cl_uint i = 0; i < n; i++)
        clSVMFree(r->context, ptrs[i]);
}

static void fx_init(const svm_env *e, fixture *fx)
{
    memset(fx, 0, sizeof *fx);
    fx->src = svm_alloc(e, CL_MEM_SVM_FINE_GRAIN_BUFFER, SZ, 0);
    fx->dst = svm_alloc(e, CL_MEM_SVM_FINE_GRAIN_BUFFER, SZ, 0);
    fx->coarse = svm_alloc(e, CL_MEM_READ_WRITE, SZ, 0);
    for (int i = 0; i < 3; i++)
        fx->to_free[i] =
            svm_alloc(e, i == 1 ? CL_MEM_READ_WRITE : CL_MEM_SVM_FINE_GRAIN_BUFFER, 256 << i, 0);
    for (size_t i = 0; i < SZ; i++) {
        fx->src[i] = (unsigned char)(i * 7 + 3);
        fx->dst[i] = 0x11;
    }
    fx->rec.context = e->context;
}

static void fx_fini(const svm_env *e, fixture *fx)
{
    CHECK_CL(clFinish(e->queue));
    while (fx->mapped > 0) {
        CHECK_CL(clEnqueueSVMUnmap(e->queue, fx->coarse, 0, NULL, NULL));
        fx->mapped--;
    }
    CHECK_CL(clFinish(e->queue));
    clSVMFree(e->context, fx->src);
    clSVMFree(e->context, fx->dst);
    clSVMFree(e->context, fx->coarse);
    if (!fx->freed)
        for (int i = 0; i < 3; i++)
            clSVMFree(e->context, fx->to_free[i]);
}

/* Issues command `c` with valid arguments (except queue and wait list, which the caller picks).
 * Unmap needs a prior map: the caller maps first. */
static cl_int enqueue(fixture *fx, cl_command_queue q, enum cmd c, cl_uint nwait,
                      const cl_event *wait, cl_event *ev)
{
    cl_int err = CL_INVALID_VALUE;
    void *mig[2] = {fx->src, fx->coarse};
    switch (c) {
    case C_MEMCPY:
        err = clEnqueueSVMMemcpy(q, CL_FALSE, fx->dst, fx->src, SZ, nwait, wait, ev);
        break;
    case C_FILL:
        err = clEnqueueSVMMemFill(q, fx->dst, fill4, sizeof fill4, SZ, nwait, wait, ev);
        break;
    case C_MAP:
        err = clEnqueueSVMMap(q, CL_FALSE, CL_MAP_READ | CL_MAP_WRITE, fx->coarse, SZ, nwait, wait,
                              ev);
        if (err == CL_SUCCESS)
            fx->mapped++;
        break;
    case C_UNMAP:
        err = clEnqueueSVMUnmap(q, fx->coarse, nwait, wait, ev);
        if (err == CL_SUCCESS)
            fx->mapped--;
        break;
    case C_MIGRATE:
        err = clEnqueueSVMMigrateMem(q, 2, (const void **)mig, NULL, 0, nwait, wait, ev);
        break;
    case C_FREE:
    case C_FREE_CB: {
        /* A copy the command may not keep: it is scribbled over after the call returns. */
        void *list[3] = {fx->to_free[0], fx->to_free[1], fx->to_free[2]};
        err = clEnqueueSVMFree(q, 3, list, c == C_FREE_CB ? free_cb : NULL,
                               c == C_FREE_CB ? &fx->rec : NULL, nwait, wait, ev);
        memset(list, 0xCC, sizeof list);
        if (err == CL_SUCCESS)
            fx->freed = 1;
        break;
    }
    default:
        break;
    }
    return err;
}

static int all_bytes(const unsigned char *p, size_t n, unsigned char v)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != v)
            return 0;
    return 1;
}

static int filled_with(const unsigned char *p, size_t n, const unsigned char *pat, size_t ps)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != pat[i % ps])
            return 0;
    return 1;
}

/* The command waits for a user event, then runs; its event describes it exactly. */
static void gated(const svm_env *e, enum cmd c)
{
    fixture fx;
    fx_init(e, &fx);
    if (c == C_UNMAP) {
        CHECK_CL(clEnqueueSVMMap(e->queue, CL_TRUE, CL_MAP_WRITE, fx.coarse, SZ, 0, NULL, NULL));
        fx.mapped++;
        memset(fx.coarse, 0x77, SZ);
    }
    cl_event u = svm_user_event(e), ev = NULL;
    CHECK_CL(enqueue(&fx, e->queue, c, 1, &u, &ev));
    CHECK(ev != NULL);
    CHECK_CL(clFlush(e->queue));
    svm_sleep_ms(20);
    cl_int st = svm_event_status(ev);
    if (st != CL_QUEUED && st != CL_SUBMITTED)
        SVM_FAIL("%s: status %d while its wait-list user event is pending", cmd_name[c], st);
    if ((c == C_MEMCPY || c == C_FILL) && !all_bytes(fx.dst, SZ, 0x11))
        SVM_FAIL("%s: destination changed before the user event completed", cmd_name[c]);
    if (c == C_FREE_CB && fx.rec.calls != 0)
        SVM_FAIL("FreeCb: callback ran before the user event completed");
    if (c == C_FREE && e->is_clsvm) {
        /* Not freed yet: new allocations of the same sizes must not land on the pending ones
         * (freed early, the newest of them would coalesce and be handed out again). */
        for (int i = 0; i < 3; i++) {
            unsigned char *p = svm_alloc(e, CL_MEM_SVM_FINE_GRAIN_BUFFER, 256u << i, 0);
            for (int j = 0; j < 3; j++) {
                unsigned char *f = fx.to_free[j];
                if (p < f + (256u << j) && f < p + (256u << i))
                    SVM_FAIL("Free: %p reused by a new allocation before the user event", f);
            }
            clSVMFree(e->context, p);
        }
    }

    CHECK_CL(clSetUserEventStatus(u, CL_COMPLETE));
    CHECK_CL(clWaitForEvents(1, &ev));
    CHECK_EQ(svm_event_status(ev), CL_COMPLETE);
    if (svm_event_type(ev) != cmd_type[c])
        SVM_FAIL("%s: CL_EVENT_COMMAND_TYPE 0x%x, want 0x%x", cmd_name[c], svm_event_type(ev),
                 cmd_type[c]);
    cl_command_queue eq = NULL;
    cl_context ec = NULL;
    ICD_GET_INFO(clGetEventInfo, ev, CL_EVENT_COMMAND_QUEUE, eq);
    ICD_GET_INFO(clGetEventInfo, ev, CL_EVENT_CONTEXT, ec);
    if (eq != e->queue || ec != e->context)
        SVM_FAIL("%s: event says queue %p context %p, want %p %p", cmd_name[c], (void *)eq,
                 (void *)ec, (void *)e->queue, (void *)e->context);

    switch (c) {
    case C_MEMCPY:
        if (memcmp(fx.dst, fx.src, SZ) != 0)
            SVM_FAIL("Memcpy: destination differs from source");
        break;
    case C_FILL:
        if (!filled_with(fx.dst, SZ, fill4, sizeof fill4))
            SVM_FAIL("MemFill: destination not filled");
        break;
    case C_MAP:
        /* Mapped: the host may use the region now. */
        memset(fx.coarse, 0x42, SZ);
        CHECK_CL(clEnqueueSVMUnmap(e->queue, fx.coarse, 0, NULL, NULL));
        fx.mapped--;
        CHECK_CL(clEnqueueSVMMemcpy(e->queue, CL_TRUE, fx.dst, fx.coarse, SZ, 0, NULL, NULL));
        if (!all_bytes(fx.dst, SZ, 0x42))
            SVM_FAIL("Map: host writes under the map were lost");
        break;
    case C_UNMAP:
        CHECK_CL(clEnqueueSVMMemcpy(e->queue, CL_TRUE, fx.dst, fx.coarse, SZ, 0, NULL, NULL));
        if (!all_bytes(fx.dst, SZ, 0x77))
            SVM_FAIL("Unmap: host writes before the unmap were lost");
        break;
    case C_MIGRATE:
        for (size_t i = 0; i < SZ; i++)
            CHECK_EQ(fx.src[i], (unsigned char)(i * 7 + 3));
        break;
    case C_FREE_CB:
        /* Spec: "_queue_ which is the command-queue in which clEnqueueSVMFree was enqueued". */
        if (fx.rec.calls != 1)
            SVM_FAIL("FreeCb: callback ran %d times", fx.rec.calls);
        else if (fx.rec.queue != e->queue || fx.rec.n != 3 || fx.rec.user_data != &fx.rec ||
                 fx.rec.ptrs[0] != fx.to_free[0] || fx.rec.ptrs[1] != fx.to_free[1] ||
                 fx.rec.ptrs[2] != fx.to_free[2])
            SVM_FAIL("FreeCb: callback got queue %p (want %p), n %u, ptrs %p %p %p (want %p %p "
                     "%p), user_data %p (want %p)",
                     (void *)fx.rec.queue, (void *)e->queue, fx.rec.n, fx.rec.ptrs[0],
                     fx.rec.ptrs[1], fx.rec.ptrs[2], fx.to_free[0], fx.to_free[1], fx.to_free[2],
                     fx.rec.user_data, (void *)&fx.rec);
        break;
    default:
        break;
    }
    CHECK_CL(clReleaseEvent(ev));
    CHECK_CL(clReleaseEvent(u));
    fx_fini(e, &fx);
}

/* Queue and wait-list errors, the same for every command. */
static void common_errors(const svm_env *e, enum cmd c, cl_context other)
{
    cl_event done = svm_user_event(e);
    CHECK_CL(clSetUserEventStatus(done, CL_COMPLETE));
    cl_int err = CL_SUCCESS;
    cl_event foreign = clCreateUserEvent(other, &err);
    CHECK_CL(err);
    CHECK_CL(clSetUserEventStatus(foreign, CL_COMPLETE));
    cl_event null_ev = NULL;

    struct {
        const char *what;
        cl_command_queue q;
        cl_uint n;
        const cl_event *list;
        cl_int want;
    } rows[] = {
        {"NULL queue", NULL, 0, NULL, CL_INVALID_COMMAND_QUEUE},
        /* Reaches the vendor library (the loader only rejects NULL): clsvm must check types. */
        {"context as queue", (cl_command_queue)e->context, 0, NULL, CL_INVALID_COMMAND_QUEUE},
        {"1 event, NULL list", e->queue, 1, NULL, CL_INVALID_EVENT_WAIT_LIST},
        {"0 events, non-NULL list", e->queue, 0, &done, CL_INVALID_EVENT_WAIT_LIST},
        {"NULL event in list", e->queue, 1, &null_ev, CL_INVALID_EVENT_WAIT_LIST},
        {"event of another context", e->queue, 1, &foreign, CL_INVALID_CONTEXT},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        if (rows[i].want == CL_INVALID_CONTEXT && !cmd_checks_context[c])
            continue;
        if (rows[i].q == (cl_command_queue)e->context && !e->is_clsvm)
            continue; /* pocl 3.1 aborts on a wrong-type handle */
        fixture fx;
        fx_init(e, &fx);
        if (c == C_UNMAP) {
            CHECK_CL(
                clEnqueueSVMMap(e->queue, CL_TRUE, CL_MAP_WRITE, fx.coarse, SZ, 0, NULL, NULL));
            fx.mapped++;
        }
        cl_event ev = NULL;
        err = enqueue(&fx, rows[i].q, c, rows[i].n, rows[i].list, &ev);
        if (err != rows[i].want)
            SVM_FAIL("%s with %s returned %s (%d), want %s", cmd_name[c], rows[i].what,
                     icd_err_name(err), err, icd_err_name(rows[i].want));
        if (err == CL_SUCCESS && ev)
            CHECK_CL(clReleaseEvent(ev));
        else if (ev != NULL)
            SVM_FAIL("%s with %s: failed but returned an event", cmd_name[c], rows[i].what);
        fx_fini(e, &fx);
    }
    CHECK_CL(clReleaseEvent(done));
    CHECK_CL(clReleaseEvent(foreign));
}

static void memcpy_cases(const svm_env *e)
{
    unsigned char *a = svm_alloc(e, CL_MEM_SVM_FINE_GRAIN_BUFFER, 1 << 20, 0);
    unsigned char *b = svm_alloc(e, CL_MEM_READ_WRITE, 1 << 20, 0);
    unsigned char *host = malloc(1 << 20), *back = malloc(1 << 20);
    CHECK(host && back);
    unsigned long long seed = 0x3e3c0ULL;
    for (size_t i = 0; i < 1 << 20; i++)
        host[i] = (unsigned char)test_rand(&seed);

    static const size_t sizes[] = {1, 3, 4096 + 5, 1 << 20};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        size_t n = sizes[s], off = n < 4096 ? 13 : 0;
        memset(a, 0, 1 << 20);
        memset(back, 0, 1 << 20);
        /* host -> fine SVM, blocking, with an event that is complete on return. */
        cl_event ev = NULL;
        CHECK_CL(clEnqueueSVMMemcpy(e->queue, CL_TRUE, a + off, host, n, 0, NULL, &ev));
        CHECK_EQ(svm_event_status(ev), CL_COMPLETE);
        CHECK_EQ(svm_event_type(ev), CL_COMMAND_SVM_MEMCPY);
        CHECK_CL(clReleaseEvent(ev));
        CHECK(memcmp(a + off, host, n) == 0);
        CHECK(all_bytes(a, off, 0) && all_bytes(a + off + n, (1 << 20) - off - n, 0));
        /* fine -> coarse, non-blocking; coarse -> host, non-blocking after it (in order). */
        cl_event e1 = NULL, e2 = NULL;
        CHECK_CL(clEnqueueSVMMemcpy(e->queue, CL_FALSE, b + 2 * off, a + off, n, 0, NULL, &e1));
        CHECK_CL(clEnqueueSVMMemcpy(e->queue, CL_FALSE, back, b + 2 * off, n, 1, &e1, &e2));
        CHECK_CL(clWaitForEvents(1, &e2));
        CHECK_EQ(svm_event_type(e2), CL_COMMAND_SVM_MEMCPY);
        CHECK_EQ(svm_event_status(e1), CL_COMPLETE);
        CHECK_CL(clReleaseEvent(e1));
        CHECK_CL(clReleaseEvent(e2));
        CHECK_MSG(memcmp(back, host, n) == 0, "size %zu: round trip through coarse SVM differs", n);
    }

    /* Overlap: API spec, clEnqueueSVMMemcpy, CL_MEM_COPY_OVERLAP. Adjacent is not overlap. */
    SVM_EXPECT_ERR(clEnqueueSVMMemcpy(e->queue, CL_TRUE, a + 8, a, 16, 0, NULL, NULL),
                   CL_MEM_COPY_OVERLAP);
    SVM_EXPECT_ERR(clEnqueueSVMMemcpy(e->queue, CL_TRUE, a, a + 8, 16, 0, NULL, NULL),
                   CL_MEM_COPY_OVERLAP);
    SVM_EXPECT_ERR(clEnqueueSVMMemcpy(e->queue, CL_TRUE, a + 100, a + 100, 1, 0, NULL, NULL),
                   CL_MEM_COPY_OVERLAP);
    SVM_EXPECT_ERR(clEnqueueSVMMemcpy(e->queue, CL_FALSE, b + 15, b, 16, 0, NULL, NULL),
                   CL_MEM_COPY_OVERLAP);
    memset(a, 0, 64);
    for (int i = 0; i < 16; i++)
        a[i] = (unsigned char)(i + 1);
    CHECK_CL(clEnqueueSVMMemcpy(e->queue, CL_TRUE, a + 16, a, 16, 0, NULL, NULL));
    for (int i = 0; i < 32; i++)
        CHECK_EQ(a[i], (i % 16) + 1);
    CHECK_CL(clEnqueueSVMMemcpy(e->queue, CL_TRUE, a, a + 16, 16, 0, NULL, NULL));
    /* NULL pointers. */
    SVM_EXPECT_ERR(clEnqueueSVMMemcpy(e->queue, CL_TRUE, NULL, a, 16, 0, NULL, NULL),
                   CL_INVALID_VALUE);
    SVM_EXPECT_ERR(clEnqueueSVMMemcpy(e->queue, CL_TRUE, a, NULL, 16, 0, NULL, NULL),
                   CL_INVALID_VALUE);
    SVM_EXPECT_ERR(clEnqueueSVMMemcpy(e->queue, CL_FALSE, NULL, NULL, 16, 0, NULL, NULL),
                   CL_INVALID_VALUE);
    CHECK_CL(clFinish(e->queue));
    clSVMFree(e->context, a);
    clSVMFree(e->context, b);
    free(host);
    free(back);
}

static void fill_cases(const svm_env *e)
{
    enum { FSZ = 8192 };
    unsigned char *f = svm_alloc(e, CL_MEM_SVM_FINE_GRAIN_BUFFER, FSZ, 0);
    unsigned char *c = svm_alloc(e, CL_MEM_READ_WRITE, FSZ, 0);
    unsigned char pat[128];
    for (size_t ps = 1; ps <= 128; ps *= 2) {
        for (size_t i = 0; i < ps; i++)
            pat[i] = (unsigned char)(i * 29 + ps);
        /* Start at 2*ps (aligned to ps, not to the allocation), 5 repetitions; the bytes around
         * the range must stay untouched. */
        size_t off = 2 * ps, n = 5 * ps;
        memset(f, 0xEE, FSZ);
        cl_event ev = NULL;
        CHECK_CL(clEnqueueSVMMemFill(e->queue, f + off, pat, ps, n, 0, NULL, &ev));
        /* The pattern may be reused as soon as the call returns. */
        memset(pat, 0, sizeof pat);
        CHECK_CL(clWaitForEvents(1, &ev));
        CHECK_EQ(svm_event_type(ev), CL_COMMAND_SVM_MEMFILL);
        CHECK_CL(clReleaseEvent(ev));
        for (size_t i = 0; i < FSZ; i++) {
            unsigned char want =
                i >= off && i < off + n ? (unsigned char)(((i - off) % ps) * 29 + ps) : 0xEE;
            CHECK_MSG(f[i] == want, "pattern size %zu: byte %zu is 0x%02x, want 0x%02x", ps, i,
                      f[i], want);
        }
        /* Coarse-grained, the whole allocation, read back under a map. */
        for (size_t i = 0; i < ps; i++)
            pat[i] = (unsigned char)(255 - i * 3 - ps);
        CHECK_CL(clEnqueueSVMMemFill(e->queue, c, pat, ps, FSZ, 0, NULL, NULL));
        CHECK_CL(clEnqueueSVMMap(e->queue, CL_TRUE, CL_MAP_READ, c, FSZ, 0, NULL, NULL));
        for (size_t i = 0; i < FSZ; i++)
            CHECK_MSG(c[i] == (unsigned char)(255 - (i % ps) * 3 - ps),
                      "coarse, pattern size %zu: byte %zu is 0x%02x", ps, i, c[i]);
        CHECK_CL(clEnqueueSVMUnmap(e->queue, c, 0, NULL, NULL));
    }
    /* API spec, clEnqueueSVMMemFill, CL_INVALID_VALUE rows. */
    memset(f, 0x33, FSZ);
    SVM_EXPECT_ERR(clEnqueueSVMMemFill(e->queue, f, pat, 3, 12, 0, NULL, NULL), CL_INVALID_VALUE);
    SVM_EXPECT_ERR(clEnqueueSVMMemFill(e->queue, f, pat, 256, 256, 0, NULL, NULL),
                   CL_INVALID_VALUE);
    SVM_EXPECT_ERR(clEnqueueSVMMemFill(e->queue, f, pat, 0, 16, 0, NULL, NULL), CL_INVALID_VALUE);
    SVM_EXPECT_ERR(clEnqueueSVMMemFill(e->queue, f, pat, 24, 48, 0, NULL, NULL), CL_INVALID_VALUE);
    if (e->is_clsvm) /* pocl 3.1 copies from the NULL pattern and crashes */
        SVM_EXPECT_ERR(clEnqueueSVMMemFill(e->queue, f, NULL, 4, 16, 0, NULL, NULL),
                       CL_INVALID_VALUE);
    SVM_EXPECT_ERR(clEnqueueSVMMemFill(e->queue, NULL, pat, 4, 16, 0, NULL, NULL),
                   CL_INVALID_VALUE);
    SVM_EXPECT_ERR(clEnqueueSVMMemFill(e->queue, f + 1, pat, 4, 16, 0, NULL, NULL),
                   CL_INVALID_VALUE);
    SVM_EXPECT_ERR(clEnqueueSVMMemFill(e->queue, f + 64, pat, 128, 128, 0, NULL, NULL),
                   CL_INVALID_VALUE);
    SVM_EXPECT_ERR(clEnqueueSVMMemFill(e->queue, f, pat, 4, 6, 0, NULL, NULL), CL_INVALID_VALUE);
    SVM_EXPECT_ERR(clEnqueueSVMMemFill(e->queue, f, pat, 16, 40, 0, NULL, NULL), CL_INVALID_VALUE);
    CHECK_CL(clFinish(e->queue));
    if (!all_bytes(f, FSZ, 0x33))
        SVM_FAIL("a rejected clEnqueueSVMMemFill changed memory");
    clSVMFree(e->context, f);
    clSVMFree(e->context, c);
}

static void map_cases(const svm_env *e)
{
    unsigned char *c = svm_alloc(e, CL_MEM_READ_WRITE, SZ, 0);
    SVM_EXPECT_ERR(clEnqueueSVMMap(e->queue, CL_TRUE, CL_MAP_READ, NULL, SZ, 0, NULL, NULL),
                   CL_INVALID_VALUE);
    SVM_EXPECT_ERR(clEnqueueSVMMap(e->queue, CL_TRUE, CL_MAP_READ, c, 0, 0, NULL, NULL),
                   CL_INVALID_VALUE);
    /* Memory Map Flags table: WRITE_INVALIDATE_REGION excludes READ and WRITE; bit 9 is no
     * flag at all. A map wrongly accepted is undone so the rest of the test stays valid. */
    static const cl_map_flags bad_flags[] = {CL_MAP_READ | CL_MAP_WRITE_INVALIDATE_REGION,
                                             CL_MAP_WRITE | CL_MAP_WRITE_INVALIDATE_REGION,
                                             (cl_map_flags)1 << 9};
    for (size_t i = 0; i < sizeof bad_flags / sizeof bad_flags[0]; i++) {
        cl_int err = clEnqueueSVMMap(e->queue, CL_TRUE, bad_flags[i], c, SZ, 0, NULL, NULL);
        if (err != CL_INVALID_VALUE)
            SVM_FAIL("clEnqueueSVMMap with map_flags 0x%llx returned %s, want CL_INVALID_VALUE",
                     (unsigned long long)bad_flags[i], icd_err_name(err));
        if (err == CL_SUCCESS)
            CHECK_CL(clEnqueueSVMUnmap(e->queue, c, 0, NULL, NULL));
    }
    SVM_EXPECT_ERR(clEnqueueSVMUnmap(e->queue, NULL, 0, NULL, NULL), CL_INVALID_VALUE);
    /* An interior sub-range maps and unmaps like the whole. */
    CHECK_CL(clEnqueueSVMMap(e->queue, CL_TRUE, CL_MAP_WRITE, c + 100, 200, 0, NULL, NULL));
    memset(c + 100, 0x5C, 200);
    CHECK_CL(clEnqueueSVMUnmap(e->queue, c + 100, 0, NULL, NULL));
    CHECK_CL(clEnqueueSVMMap(e->queue, CL_TRUE, CL_MAP_READ, c + 100, 200, 0, NULL, NULL));
    CHECK(all_bytes(c + 100, 200, 0x5C));
    CHECK_CL(clEnqueueSVMUnmap(e->queue, c + 100, 0, NULL, NULL));
    CHECK_CL(clFinish(e->queue));
    clSVMFree(e->context, c);
}

static void migrate_cases(const svm_env *e)
{
    unsigned char *f = svm_alloc(e, CL_MEM_SVM_FINE_GRAIN_BUFFER, SZ, 0);
    unsigned char *c = svm_alloc(e, CL_MEM_READ_WRITE, SZ, 0);
    memset(f, 0x61, SZ);
    CHECK_CL(clEnqueueSVMMemcpy(e->queue, CL_TRUE, c, f, SZ, 0, NULL, NULL));
    const void *ptrs[2] = {f + 5, c + 100};
    size_t sizes[2] = {0, 16};
    static const cl_mem_migration_flags keep[] = {0, CL_MIGRATE_MEM_OBJECT_HOST};
    for (size_t i = 0; i < 2; i++) {
        cl_event ev = NULL;
        CHECK_CL(clEnqueueSVMMigrateMem(e->queue, 2, ptrs, NULL, keep[i], 0, NULL, &ev));
        CHECK_CL(clWaitForEvents(1, &ev));
        CHECK_EQ(svm_event_type(ev), CL_COMMAND_SVM_MIGRATE_MEM);
        CHECK_CL(clReleaseEvent(ev));
        CHECK_CL(clEnqueueSVMMigrateMem(e->queue, 2, ptrs, sizes, keep[i], 0, NULL, NULL));
        CHECK_CL(clFinish(e->queue));
        /* Migration without CONTENT_UNDEFINED keeps the data. */
        CHECK(all_bytes(f, SZ, 0x61));
        memset(f, 0, SZ);
        CHECK_CL(clEnqueueSVMMemcpy(e->queue, CL_TRUE, f, c, SZ, 0, NULL, NULL));
        CHECK(all_bytes(f, SZ, 0x61));
    }
    CHECK_CL(clEnqueueSVMMigrateMem(e->queue, 2, ptrs, sizes,
                                    CL_MIGRATE_MEM_OBJECT_CONTENT_UNDEFINED, 0, NULL, NULL));
    CHECK_CL(clEnqueueSVMMigrateMem(
        e->queue, 1, ptrs, NULL,
        CL_MIGRATE_MEM_OBJECT_HOST | CL_MIGRATE_MEM_OBJECT_CONTENT_UNDEFINED, 0, NULL, NULL));
    CHECK_CL(clFinish(e->queue));

    SVM_EXPECT_ERR(clEnqueueSVMMigrateMem(e->queue, 0, ptrs, NULL, 0, 0, NULL, NULL),
                   CL_INVALID_VALUE);
    SVM_EXPECT_ERR(clEnqueueSVMMigrateMem(e->queue, 2, NULL, NULL, 0, 0, NULL, NULL),
                   CL_INVALID_VALUE);
    SVM_EXPECT_ERR(clEnqueueSVMMigrateMem(e->queue, 2, ptrs, NULL, (cl_mem_migration_flags)1 << 7,
                                          0, NULL, NULL),
                   CL_INVALID_VALUE);
    /* "sizes[i] is non-zero and the range ... is not contained within an SVM allocation". */
    size_t too_long[2] = {SZ, 16}; /* f + 5 + SZ runs 5 bytes past f's end */
    SVM_EXPECT_ERR(clEnqueueSVMMigrateMem(e->queue, 2, ptrs, too_long, 0, 0, NULL, NULL),
                   CL_INVALID_VALUE);
    CHECK_CL(clFinish(e->queue));
    clSVMFree(e->context, f);
    clSVMFree(e->context, c);
}

static void free_cases(const svm_env *e)
{
    void *p = svm_alloc(e, CL_MEM_READ_WRITE, 64, 0);
    SVM_EXPECT_ERR(clEnqueueSVMFree(e->queue, 0, &p, NULL, NULL, 0, NULL, NULL), CL_INVALID_VALUE);
    SVM_EXPECT_ERR(clEnqueueSVMFree(e->queue, 1, NULL, NULL, NULL, 0, NULL, NULL),
                   CL_INVALID_VALUE);
    CHECK_CL(clFinish(e->queue));
    clSVMFree(e->context, p);

    /* Without a callback the implementation frees; for clsvm the space is reusable afterwards.
     * The freed block was the newest allocation, so the heap coalesces it with the free space
     * after it and a later allocation of the same size lands on it; 64 tries allow for other
     * placement policies without letting a leak pass. */
    enum { BIG = 1 << 20 };
    unsigned char *q = svm_alloc(e, CL_MEM_SVM_FINE_GRAIN_BUFFER, BIG, 0);
    void *list[1] = {q};
    cl_event ev = NULL;
    CHECK_CL(clEnqueueSVMFree(e->queue, 1, list, NULL, NULL, 0, NULL, &ev));
    CHECK_CL(clWaitForEvents(1, &ev));
    CHECK_EQ(svm_event_type(ev), CL_COMMAND_SVM_FREE);
    CHECK_CL(clReleaseEvent(ev));
    /* CLSVM_CHECK=quarantine (docs/checker.md) keeps freed memory from reuse on purpose. */
    const char *check = getenv("CLSVM_CHECK");
    int quarantine =
        check && (!strcmp(check, "1") || !strcmp(check, "all") || strstr(check, "quarantine"));
    if (e->is_clsvm && quarantine)
        SKIP_PART("reuse after clEnqueueSVMFree: CLSVM_CHECK=%s keeps freed memory in quarantine",
                  check);
    if (e->is_clsvm && !quarantine) {
        void *tries[64];
        int n = 0, reused = 0;
        while (n < 64 && !reused) {
            unsigned char *r = svm_alloc(e, CL_MEM_SVM_FINE_GRAIN_BUFFER, BIG, 0);
            tries[n++] = r;
            reused = r < q + BIG && q < r + BIG;
        }
        if (!reused)
            SVM_FAIL("clEnqueueSVMFree without callback: %p never reused in 64 allocations",
                     (void *)q);
        for (int i = 0; i < n; i++)
            clSVMFree(e->context, tries[i]);
    }
}

int main(void)
{
    svm_env e;
    svm_env_open(&e);
    cl_context other = icd_test_context(e.platform, e.device);
    int gate = svm_part_runs(&e, "commands gated by a user event", SVM_WHY_USER_EVENT);
    for (int c = 0; c < NCMD; c++) {
        if (gate)
            gated(&e, (enum cmd)c);
        common_errors(&e, (enum cmd)c, other);
    }
    memcpy_cases(&e);
    fill_cases(&e);
    map_cases(&e);
    migrate_cases(&e);
    free_cases(&e);
    CHECK_CL(clReleaseContext(other));
    svm_env_close(&e);
    return svm_exit_code();
}
