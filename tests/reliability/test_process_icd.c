/*
 * test_process_icd <fork|dlclose|exit-live>: clsvm across the life of a process. This program
 * does not link libOpenCL: it dlopen()s the loader (libOpenCL.so.1, ocl-icd) so that the
 * dlclose case can unload it.
 *  fork       SVM buffers allocated and filled, then fork(): the child reads its copy (the
 *             window is MAP_PRIVATE: copy-on-write), writes to it and exit()s (atexit handlers
 *             and clsvm's destructor run); the parent's data is unchanged by the child's writes
 *             and the parent goes on using OpenCL (a kernel on the same buffer). With
 *             CLSVM_WINDOW=devsvm the child must instead find no mapping there (VM_DONTCOPY).
 *  dlclose    three rounds of dlopen(loader), platform/context/SVM alloc/kernel/free/release,
 *             dlclose(loader); reports whether the loader and clsvm were really unmapped.
 *  exit-live  run as a child with CLSVM_LOG=info: allocations left live at exit(); the child
 *             must exit 0 and clsvm's destructor must print its one leak line.
 */
#define CL_TARGET_OPENCL_VERSION 300
#include <CL/cl.h>

#include "check.h"

#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

/* LeakSanitizer asks this at exit; 1 turns the check off. Set where leaking is the point (the
 * exit-live child, the fork child that exits with the parent's objects) and in the dlclose
 * mode: ocl-icd frees nothing when it is unloaded, so its own lists become unreachable
 * (clsvm's objects there are all released). Every other test keeps leak checking on. */
static volatile int no_leak_check;
__attribute__((used, visibility("default"))) int __lsan_is_turned_off(void);
int __lsan_is_turned_off(void)
{
    return no_leak_check;
}

/* The entry points used, resolved from the loader handle. */
typedef struct api {
    void *lib;
    cl_int (*GetPlatformIDs)(cl_uint, cl_platform_id *, cl_uint *);
    cl_int (*GetPlatformInfo)(cl_platform_id, cl_platform_info, size_t, void *, size_t *);
    cl_int (*GetDeviceIDs)(cl_platform_id, cl_device_type, cl_uint, cl_device_id *, cl_uint *);
    cl_context (*CreateContext)(const cl_context_properties *, cl_uint, const cl_device_id *,
                                void(CL_CALLBACK *)(const char *, const void *, size_t, void *),
                                void *, cl_int *);
    cl_command_queue (*CreateCommandQueueWithProperties)(cl_context, cl_device_id,
                                                         const cl_queue_properties *, cl_int *);
    void *(*SVMAlloc)(cl_context, cl_svm_mem_flags, size_t, cl_uint);
    void (*SVMFree)(cl_context, void *);
    cl_program (*CreateProgramWithSource)(cl_context, cl_uint, const char **, const size_t *,
                                          cl_int *);
    cl_int (*BuildProgram)(cl_program, cl_uint, const cl_device_id *, const char *,
                           void(CL_CALLBACK *)(cl_program, void *), void *);
    cl_kernel (*CreateKernel)(cl_program, const char *, cl_int *);
    cl_int (*SetKernelArgSVMPointer)(cl_kernel, cl_uint, const void *);
    cl_int (*EnqueueNDRangeKernel)(cl_command_queue, cl_kernel, cl_uint, const size_t *,
                                   const size_t *, const size_t *, cl_uint, const cl_event *,
                                   cl_event *);
    cl_int (*Finish)(cl_command_queue);
    cl_int (*ReleaseKernel)(cl_kernel);
    cl_int (*ReleaseProgram)(cl_program);
    cl_int (*ReleaseCommandQueue)(cl_command_queue);
    cl_int (*ReleaseContext)(cl_context);
} api;

#define LOAD(a, name)                                                                              \
    do {                                                                                           \
        *(void **)&(a)->name = dlsym((a)->lib, "cl" #name);                                        \
        CHECK_MSG((a)->name != NULL, "cl%s not found in the loader", #name);                       \
    } while (0)

static void api_open(api *a)
{
    memset(a, 0, sizeof *a);
    a->lib = dlopen("libOpenCL.so.1", RTLD_NOW | RTLD_LOCAL);
    CHECK_MSG(a->lib != NULL, "dlopen(libOpenCL.so.1): %s", dlerror());
    LOAD(a, GetPlatformIDs);
    LOAD(a, GetPlatformInfo);
    LOAD(a, GetDeviceIDs);
    LOAD(a, CreateContext);
    LOAD(a, CreateCommandQueueWithProperties);
    LOAD(a, SVMAlloc);
    LOAD(a, SVMFree);
    LOAD(a, CreateProgramWithSource);
    LOAD(a, BuildProgram);
    LOAD(a, CreateKernel);
    LOAD(a, SetKernelArgSVMPointer);
    LOAD(a, EnqueueNDRangeKernel);
    LOAD(a, Finish);
    LOAD(a, ReleaseKernel);
    LOAD(a, ReleaseProgram);
    LOAD(a, ReleaseCommandQueue);
    LOAD(a, ReleaseContext);
}

typedef struct session {
    cl_platform_id platform;
    cl_device_id device;
    cl_context context;
    cl_command_queue queue;
    cl_program prog;
    cl_kernel kern;
} session;

static const char *src = "kernel void inc(global uint *a) { a[get_global_id(0)] += 1u; }";

static void session_open(const api *a, session *s)
{
    cl_platform_id ps[8];
    cl_uint np = 0;
    CHECK_EQ(a->GetPlatformIDs(8, ps, &np), CL_SUCCESS);
    s->platform = NULL;
    for (cl_uint i = 0; i < np && i < 8; i++) {
        char name[64] = "";
        a->GetPlatformInfo(ps[i], CL_PLATFORM_NAME, sizeof name, name, NULL);
        if (!strncmp(name, "clsvm", 5))
            s->platform = ps[i];
    }
    CHECK_MSG(s->platform != NULL, "no clsvm platform among %u", np);
    CHECK_EQ(a->GetDeviceIDs(s->platform, CL_DEVICE_TYPE_ALL, 1, &s->device, NULL), CL_SUCCESS);
    cl_int err;
    cl_context_properties props[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)s->platform, 0};
    s->context = a->CreateContext(props, 1, &s->device, NULL, NULL, &err);
    CHECK_EQ(err, CL_SUCCESS);
    s->queue = a->CreateCommandQueueWithProperties(s->context, s->device, NULL, &err);
    CHECK_EQ(err, CL_SUCCESS);
    s->prog = a->CreateProgramWithSource(s->context, 1, &src, NULL, &err);
    CHECK_EQ(err, CL_SUCCESS);
    CHECK_EQ(a->BuildProgram(s->prog, 1, &s->device, NULL, NULL, NULL), CL_SUCCESS);
    s->kern = a->CreateKernel(s->prog, "inc", &err);
    CHECK_EQ(err, CL_SUCCESS);
}

static void session_close(const api *a, session *s)
{
    CHECK_EQ(a->ReleaseKernel(s->kern), CL_SUCCESS);
    CHECK_EQ(a->ReleaseProgram(s->prog), CL_SUCCESS);
    CHECK_EQ(a->ReleaseCommandQueue(s->queue), CL_SUCCESS);
    CHECK_EQ(a->ReleaseContext(s->context), CL_SUCCESS);
}

/* a[i] += 1 on the device, for n elements. */
static void bump(const api *a, const session *s, cl_uint *p, size_t n)
{
    CHECK_EQ(a->SetKernelArgSVMPointer(s->kern, 0, p), CL_SUCCESS);
    CHECK_EQ(a->EnqueueNDRangeKernel(s->queue, s->kern, 1, NULL, &n, NULL, 0, NULL, NULL),
             CL_SUCCESS);
    CHECK_EQ(a->Finish(s->queue), CL_SUCCESS);
}

#define N 65536

static int mode_fork(void)
{
    api a;
    api_open(&a);
    session s;
    session_open(&a, &s);
    cl_uint *p = a.SVMAlloc(s.context, CL_MEM_READ_WRITE | CL_MEM_SVM_FINE_GRAIN_BUFFER, N * 4, 0);
    cl_uint *q =
        a.SVMAlloc(s.context, CL_MEM_READ_WRITE | CL_MEM_SVM_FINE_GRAIN_BUFFER, 4 << 20, 0);
    CHECK(p && q);
    for (cl_uint i = 0; i < N; i++)
        p[i] = i;
    memset(q, 0x5a, 4 << 20);
    bump(&a, &s, p, N); /* backend threads exist now */

    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        /* Child: its copy of the window holds the parent's data; writes stay private. */
        no_leak_check = 1;
        alarm(30);
        const char *win = getenv("CLSVM_WINDOW");
        if (win && !strcmp(win, "devsvm")) {
            /* A /dev/svm window is not inherited (VM_DONTCOPY, docs/dev-svm.md section 5): the
             * child has a hole there, and exits cleanly without touching it. */
            unsigned char vec;
            void *page = (void *)((uintptr_t)p & ~(uintptr_t)4095);
            if (mincore(page, 4096, &vec) == 0 || errno != ENOMEM)
                _exit(5);
            exit(0);
        }
        for (cl_uint i = 0; i < N; i++)
            if (p[i] != i + 1) {
                fprintf(stderr, "child: p[%u] = %u\n", i, p[i]);
                _exit(3);
            }
        for (size_t i = 0; i < (4u << 20); i += 4096)
            if (((unsigned char *)q)[i] != 0x5a)
                _exit(4);
        for (cl_uint i = 0; i < N; i++)
            p[i] = 0xdeadbeef;
        exit(0); /* a normal exit: atexit handlers, clsvm's and pocl's destructors */
    }
    int st = 0;
    CHECK(waitpid(pid, &st, 0) == pid);
    CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child ended with status %#x%s", st,
              WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM ? " (hung in exit)" : "");
    for (cl_uint i = 0; i < N; i++)
        CHECK_MSG(p[i] == i + 1, "parent's p[%u] = %#x after the child wrote its copy", i, p[i]);
    bump(&a, &s, p, N);
    for (cl_uint i = 0; i < N; i++)
        CHECK_EQ(p[i], i + 2);
    a.SVMFree(s.context, p);
    a.SVMFree(s.context, q);
    session_close(&a, &s);
    printf("fork: child read its copy and exited cleanly; parent unaffected and still working\n");
    return 0;
}

static int mapped(const char *needle)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    int found = 0;
    while (f && fgets(line, sizeof line, f))
        found |= strstr(line, needle) != NULL;
    if (f)
        fclose(f);
    return found;
}

static int mode_dlclose(void)
{
    no_leak_check = 1;
    for (int round = 0; round < 3; round++) {
        api a;
        api_open(&a);
        session s;
        session_open(&a, &s);
        cl_uint *p =
            a.SVMAlloc(s.context, CL_MEM_READ_WRITE | CL_MEM_SVM_FINE_GRAIN_BUFFER, N * 4, 0);
        CHECK(p != NULL);
        for (cl_uint i = 0; i < N; i++)
            p[i] = i * 7;
        bump(&a, &s, p, N);
        for (cl_uint i = 0; i < N; i++)
            CHECK_EQ(p[i], i * 7 + 1);
        a.SVMFree(s.context, p);
        session_close(&a, &s);
        CHECK_EQ(dlclose(a.lib), 0);
        printf("dlclose round %d: libOpenCL %s, libclsvm %s after dlclose\n", round,
               mapped("libOpenCL.so") ? "still mapped" : "unmapped",
               mapped("libclsvm.so") ? "still mapped" : "unmapped");
    }
    return 0;
}

static int mode_exit_live(void)
{
    no_leak_check = 1;
    api a;
    api_open(&a);
    session s;
    session_open(&a, &s);
    for (int i = 0; i < 3; i++) {
        cl_uint *p =
            a.SVMAlloc(s.context, CL_MEM_READ_WRITE | CL_MEM_SVM_FINE_GRAIN_BUFFER, 1000, 0);
        CHECK(p != NULL);
        p[0] = 1;
    }
    bump(&a, &s, a.SVMAlloc(s.context, CL_MEM_READ_WRITE | CL_MEM_SVM_FINE_GRAIN_BUFFER, 4000, 0),
         1000);
    /* Exit with 4 live allocations, a live context, queue, program and kernel. */
    exit(0);
}

/* Parent of exit-live: run it with CLSVM_LOG=info, expect exit 0 and the leak line. */
static int check_exit_live(const char *self)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "CLSVM_LOG=info '%s' exit-live-child 2>&1", self);
    FILE *f = popen(cmd, "r");
    CHECK(f != NULL);
    char line[1024];
    int leak_lines = 0;
    while (fgets(line, sizeof line, f))
        if (strstr(line, "at exit 4 SVM allocation(s), 7000 bytes, never freed"))
            leak_lines++;
    int st = pclose(f);
    CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child exited with status %#x", st);
    CHECK_MSG(leak_lines == 1, "%d leak report lines, expected 1", leak_lines);
    printf("exit-live: exit(0) with 4 live SVM allocations: clean exit, one leak report line\n");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s fork|dlclose|exit-live\n", argv[0]);
        return 2;
    }
    if (!strcmp(argv[1], "fork"))
        return mode_fork();
    if (!strcmp(argv[1], "dlclose"))
        return mode_dlclose();
    if (!strcmp(argv[1], "exit-live"))
        return check_exit_live(argv[0]);
    if (!strcmp(argv[1], "exit-live-child"))
        return mode_exit_live();
    fprintf(stderr, "unknown mode %s\n", argv[1]);
    return 2;
}
