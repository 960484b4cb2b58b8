/* test_svm_atomics_c11: OpenCL C 2.0/3.0 C11 atomics with memory_scope_all_svm_devices on a
 * fine-grain CL_MEM_SVM_ATOMICS buffer, shared with host atomics.
 * For each option string (-cl-std=CL3.0, -cl-std=CL2.0, none):
 *   - a kernel atomic_fetch_add_explicit(..., memory_scope_all_svm_devices)'s counters while a
 *     host thread __atomic_fetch_add's the same counters: the totals must be exact;
 *   - a kernel spins (bounded) with atomic_load_explicit(acquire, all_svm_devices) on a flag the
 *     host sets while it runs, and must then see the host's earlier store.
 * The CL2.0 variant also through clCompileProgram + clLinkProgram.
 * Plus: an OpenCL C 2.0 program that only works as 2.0 (a program-scope global variable) still
 * builds and runs, and a broken 2.0 program fails with its own build log, its notification
 * called exactly once with the application's program handle. */
#include "svm/svm_test.h"

#include <pthread.h>

static const char *src =
    "kernel void k_inc(global atomic_int *c, uint ncounters, uint reps)\n"
    "{\n"
    "    for (uint r = 0; r < reps; r++)\n"
    "        for (uint j = 0; j < ncounters; j++)\n"
    "            atomic_fetch_add_explicit(&c[(j + get_global_id(0)) % ncounters], 1,\n"
    "                                      memory_order_relaxed, memory_scope_all_svm_devices);\n"
    "}\n"
    "kernel void k_spin(global atomic_int *flag, global int *out)\n"
    "{\n"
    "    uint polls = 0;\n"
    "    int seen;\n"
    "    while ((seen = atomic_load_explicit(&flag[0], memory_order_acquire,\n"
    "                                        memory_scope_all_svm_devices)) == 0) {\n"
    "        if (++polls == 0x80000000u) { out[0] = -1; return; }\n"
    "    }\n"
    "    out[0] = seen;\n"
    "    out[1] = atomic_load_explicit(&flag[1], memory_order_relaxed,\n"
    "                                  memory_scope_all_svm_devices);\n"
    "}\n";

enum { NCOUNTERS = 4, HOST_ADDS = 200000 };

typedef struct host_adder {
    cl_int *counters;
    int go;
} host_adder;

static void *host_add_thread(void *arg)
{
    host_adder *h = arg;
    while (!__atomic_load_n(&h->go, __ATOMIC_ACQUIRE)) {
    }
    for (int i = 0; i < HOST_ADDS; i++)
        __atomic_fetch_add(&h->counters[i % NCOUNTERS], 1, __ATOMIC_SEQ_CST);
    return NULL;
}

static void concurrent_adds(const svm_env *e, cl_program prog, const char *opts)
{
    cl_kernel k = icd_test_kernel(prog, "k_inc");
    cl_int *ctr = svm_alloc(e, CL_MEM_SVM_FINE_GRAIN_BUFFER | CL_MEM_SVM_ATOMICS,
                            NCOUNTERS * sizeof(cl_int), 0);
    for (int rep = 0; rep < 3; rep++) {
        for (int i = 0; i < NCOUNTERS; i++)
            ctr[i] = 1000 * i;
        size_t items = 256;
        cl_uint nc = NCOUNTERS, reps = 200;
        CHECK_CL(clSetKernelArgSVMPointer(k, 0, ctr));
        CHECK_CL(clSetKernelArg(k, 1, sizeof nc, &nc));
        CHECK_CL(clSetKernelArg(k, 2, sizeof reps, &reps));
        host_adder h = {ctr, 0};
        pthread_t t;
        CHECK(pthread_create(&t, NULL, host_add_thread, &h) == 0);
        CHECK_CL(clEnqueueNDRangeKernel(e->queue, k, 1, NULL, &items, NULL, 0, NULL, NULL));
        CHECK_CL(clFlush(e->queue));
        __atomic_store_n(&h.go, 1, __ATOMIC_RELEASE);
        CHECK(pthread_join(t, NULL) == 0);
        CHECK_CL(clFinish(e->queue));
        for (int i = 0; i < NCOUNTERS; i++) {
            long long want = 1000LL * i + (long long)items * reps + HOST_ADDS / NCOUNTERS;
            if (ctr[i] != want)
                SVM_FAIL("[%s] rep %d counter %d = %d, want %lld", opts, rep, i, ctr[i], want);
        }
    }
    clSVMFree(e->context, ctr);
    CHECK_CL(clReleaseKernel(k));
}

static void spin_on_host_flag(const svm_env *e, cl_program prog, const char *opts)
{
    cl_kernel k = icd_test_kernel(prog, "k_spin");
    cl_int *flag =
        svm_alloc(e, CL_MEM_SVM_FINE_GRAIN_BUFFER | CL_MEM_SVM_ATOMICS, 2 * sizeof(cl_int), 0);
    cl_int *out = svm_alloc(e, CL_MEM_SVM_FINE_GRAIN_BUFFER, 2 * sizeof(cl_int), 0);
    flag[0] = flag[1] = 0;
    out[0] = out[1] = -2;
    CHECK_CL(clSetKernelArgSVMPointer(k, 0, flag));
    CHECK_CL(clSetKernelArgSVMPointer(k, 1, out));
    size_t one = 1;
    cl_event ev = NULL;
    CHECK_CL(clEnqueueNDRangeKernel(e->queue, k, 1, NULL, &one, NULL, 0, NULL, &ev));
    CHECK_CL(clFlush(e->queue));
    svm_sleep_ms(30);
    __atomic_store_n(&flag[1], 4242, __ATOMIC_RELAXED);
    __atomic_store_n(&flag[0], 17, __ATOMIC_RELEASE);
    CHECK_CL(clWaitForEvents(1, &ev));
    CHECK_CL(clReleaseEvent(ev));
    if (out[0] != 17 || out[1] != 4242)
        SVM_FAIL("[%s] spinning kernel saw flag %d and data %d, want 17 and 4242", opts, out[0],
                 out[1]);
    clSVMFree(e->context, flag);
    clSVMFree(e->context, out);
    CHECK_CL(clReleaseKernel(k));
}

/* A program that compiles only as OpenCL C 2.0 on pocl 3.1 (no program-scope globals in its 3.0
 * feature set): clsvm must not turn it into 3.0 up front. */
static void cl20_only_program(const svm_env *e)
{
    static const char *g = "global int counter = 5;\n"
                           "kernel void k(global int *o) { o[0] = counter++; o[1] = counter; }\n";
    cl_program prog = icd_test_program(e->context, e->device, g, "-cl-std=CL2.0");
    cl_kernel k = icd_test_kernel(prog, "k");
    cl_int *o = svm_alloc(e, CL_MEM_SVM_FINE_GRAIN_BUFFER, 2 * sizeof(cl_int), 0);
    size_t one = 1;
    CHECK_CL(clSetKernelArgSVMPointer(k, 0, o));
    CHECK_CL(clEnqueueNDRangeKernel(e->queue, k, 1, NULL, &one, NULL, 0, NULL, NULL));
    CHECK_CL(clFinish(e->queue));
    if (o[0] != 5 || o[1] != 6)
        SVM_FAIL("CL2.0 program-scope global: kernel wrote %d %d, want 5 6", o[0], o[1]);
    clSVMFree(e->context, o);
    CHECK_CL(clReleaseKernel(k));
    CHECK_CL(clReleaseProgram(prog));
}

typedef struct notified {
    int calls;
    cl_program prog;
} notified;

static void CL_CALLBACK on_built(cl_program p, void *user_data)
{
    notified *n = user_data;
    n->calls++;
    n->prog = p;
}

/* A broken 2.0 program: the build fails, the log names the application's error (not an error
 * of clsvm's 3.0 retry), and the notification runs once with the application's handle. */
static void broken_cl20_program(const svm_env *e)
{
    static const char *bad = "kernel void k(global atomic_int *c)\n"
                             "{ atomic_fetch_add(c, 1); no_such_function_xyz(c); }\n";
    cl_int err = CL_SUCCESS;
    cl_program prog = clCreateProgramWithSource(e->context, 1, &bad, NULL, &err);
    CHECK_CL(err);
    notified n = {0, NULL};
    err = clBuildProgram(prog, 1, &e->device, "-cl-std=CL2.0", on_built, &n);
    CHECK_MSG(err == CL_BUILD_PROGRAM_FAILURE, "broken program: clBuildProgram returned %s",
              icd_err_name(err));
    /* The notification may come after clBuildProgram returns. */
    for (int i = 0; i < 500 && __atomic_load_n(&n.calls, __ATOMIC_ACQUIRE) == 0; i++)
        svm_sleep_ms(10);
    if (n.calls != 1 || n.prog != prog)
        SVM_FAIL("broken program: notification ran %d times with %p (want once with %p)", n.calls,
                 (void *)n.prog, (void *)prog);
    size_t len = 0;
    CHECK_CL(clGetProgramBuildInfo(prog, e->device, CL_PROGRAM_BUILD_LOG, 0, NULL, &len));
    char *log = calloc(len + 1, 1);
    CHECK(log != NULL);
    CHECK_CL(clGetProgramBuildInfo(prog, e->device, CL_PROGRAM_BUILD_LOG, len, log, NULL));
    if (!strstr(log, "no_such_function_xyz"))
        SVM_FAIL("broken program: the build log does not name the program's error:\n%s", log);
    free(log);
    CHECK_CL(clReleaseProgram(prog));
}

/* The same retry for clCompileProgram: compile as CL2.0, link, run. */
static void compile_and_link_cl20(const svm_env *e)
{
    cl_int err = CL_SUCCESS;
    cl_program part = clCreateProgramWithSource(e->context, 1, &src, NULL, &err);
    CHECK_CL(err);
    err = clCompileProgram(part, 1, &e->device, "-cl-std=CL2.0", 0, NULL, NULL, NULL, NULL);
    if (err != CL_SUCCESS) {
        SVM_FAIL("clCompileProgram(-cl-std=CL2.0) of C11 atomics returned %s", icd_err_name(err));
        CHECK_CL(clReleaseProgram(part));
        return;
    }
    cl_program prog = clLinkProgram(e->context, 1, &e->device, NULL, 1, &part, NULL, NULL, &err);
    CHECK_CL(err);
    concurrent_adds(e, prog, "compile+link -cl-std=CL2.0");
    CHECK_CL(clReleaseProgram(prog));
    CHECK_CL(clReleaseProgram(part));
}

int main(void)
{
    svm_env e;
    svm_env_open(&e);
    CHECK_MSG((e.caps & CL_DEVICE_SVM_FINE_GRAIN_BUFFER) && (e.caps & CL_DEVICE_SVM_ATOMICS),
              "caps 0x%llx: fine-grain buffer with atomics required", (unsigned long long)e.caps);
    cl_device_atomic_capabilities atom = 0;
    ICD_GET_INFO(clGetDeviceInfo, e.device, CL_DEVICE_ATOMIC_MEMORY_CAPABILITIES, atom);
    if (!(atom & CL_DEVICE_ATOMIC_SCOPE_ALL_DEVICES)) {
        printf("device lacks CL_DEVICE_ATOMIC_SCOPE_ALL_DEVICES: nothing to test\n");
        return SVM_TEST_SKIP;
    }
    static const char *const variants[] = {"-cl-std=CL3.0", "-cl-std=CL2.0", NULL};
    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
        const char *opts = variants[i] ? variants[i] : "(no options)";
        cl_program prog = icd_test_program(e.context, e.device, src, variants[i]);
        concurrent_adds(&e, prog, opts);
        if (svm_part_runs(&e, "a kernel spinning on a host flag", SVM_WHY_CONCURRENT))
            spin_on_host_flag(&e, prog, opts);
        CHECK_CL(clReleaseProgram(prog));
    }
    compile_and_link_cl20(&e);
    cl20_only_program(&e);
    broken_cl20_program(&e);
    svm_env_close(&e);
    return svm_exit_code();
}
