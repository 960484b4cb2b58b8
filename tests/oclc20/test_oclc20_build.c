/* test_oclc20_build: program semantics of OpenCL C 2.0 builds through clsvm's SPIR path
 * (kernels/cl20/build_checks.cl):
 *   - a compile error fails the build with CL_BUILD_PROGRAM_FAILURE, the log naming the line,
 *     status CL_BUILD_ERROR, no executable, the notification called once with the program;
 *   - -D and -I are honoured; a rebuild that fails after one that worked leaves no executable;
 *   - an option the path refuses gives CL_INVALID_BUILD_OPTIONS;
 *   - the same program object rebuilt without -cl-std goes to the backend as before;
 *   - CL_PROGRAM_BINARIES of a SPIR-path program make a working program again;
 *   - with a kernel attached, build and compile fail with CL_INVALID_OPERATION and change
 *     nothing;
 *   - the program sees exactly the device's extensions (cl_khr_fp16 only if the device has it;
 *     without it, a half variable is a compile error naming its line). */
#include "oclc20/oclc20_test.h"

#include "build_checks_cl.h"

#include <sys/stat.h>
#include <unistd.h>

/* Line (1-based) of the first line of s containing what. */
static int line_of(const char *s, const char *what)
{
    const char *at = strstr(s, what);
    CHECK(at != NULL);
    int line = 1;
    for (const char *p = s; p < at; p++)
        line += *p == '\n';
    return line;
}

/* prog's build log names the line of src holding marker (as ":LINE:") and mentions word. */
static void expect_log_line(const svm_env *e, cl_program prog, const char *src, const char *marker,
                            const char *word)
{
    char *log = oclc20_build_string(prog, e->device, CL_PROGRAM_BUILD_LOG);
    char want[32];
    snprintf(want, sizeof want, ":%d:", line_of(src, marker));
    CHECK_MSG(strstr(log, want) && strstr(log, word), "log does not name line %s:\n%s", want, log);
    free(log);
}

/* Runs put(out) once and returns out[0]. */
static int run_put(const svm_env *e, cl_program prog)
{
    return oclc20_run_named(e, prog, "put", 1, -1, -1);
}

static void expect_no_executable(const svm_env *e, cl_program prog)
{
    CHECK_EQ(oclc20_build_status(prog, e->device), CL_BUILD_ERROR);
    cl_program_binary_type bt = 99;
    CHECK_CL(clGetProgramBuildInfo(prog, e->device, CL_PROGRAM_BINARY_TYPE, sizeof bt, &bt, NULL));
    CHECK_EQ(bt, CL_PROGRAM_BINARY_TYPE_NONE);
    cl_int err = CL_SUCCESS;
    cl_kernel k = clCreateKernel(prog, "put", &err);
    CHECK(k == NULL);
    CHECK_EQ(err, CL_INVALID_PROGRAM_EXECUTABLE);
}

static void check_error_line(const svm_env *e, cl_program prog)
{
    oclc20_notified n = {0, NULL};
    CHECK_CL_ERR(clBuildProgram(prog, 1, &e->device, "-cl-std=CL2.0", oclc20_on_notify, &n),
                 CL_BUILD_PROGRAM_FAILURE);
    CHECK_EQ(n.calls, 1);
    CHECK(n.prog == prog);
    expect_no_executable(e, prog);
    expect_log_line(e, prog, build_checks_cl, "the error line", "VALUE");
    char *opts = oclc20_build_string(prog, e->device, CL_PROGRAM_BUILD_OPTIONS);
    CHECK_MSG(strcmp(opts, "-cl-std=CL2.0") == 0, "options '%s'", opts);
    free(opts);
}

/* A directory with oclc20_inc.h defining OFFSET 10 (malloc'd path). */
static char *include_dir(void)
{
    const char *tmp = getenv("TMPDIR");
    char *dir = malloc(4096);
    CHECK(dir != NULL);
    snprintf(dir, 4096, "%s/oclc20-inc-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    CHECK(mkdtemp(dir) != NULL);
    char path[4200];
    snprintf(path, sizeof path, "%s/oclc20_inc.h", dir);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    fputs("#define OFFSET 10\n", f);
    CHECK(fclose(f) == 0);
    return dir;
}

static void remove_include_dir(char *dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/oclc20_inc.h", dir);
    unlink(path);
    rmdir(dir);
    free(dir);
}

static void check_binaries(const svm_env *e, cl_program prog, int want)
{
    size_t size = 0;
    CHECK_CL(clGetProgramInfo(prog, CL_PROGRAM_BINARY_SIZES, sizeof size, &size, NULL));
    CHECK(size > 0);
    unsigned char *bin = malloc(size);
    CHECK(bin != NULL);
    CHECK_CL(clGetProgramInfo(prog, CL_PROGRAM_BINARIES, sizeof bin, &bin, NULL));
    cl_int st = CL_SUCCESS, err = CL_SUCCESS;
    const unsigned char *bins[] = {bin};
    cl_program again = clCreateProgramWithBinary(e->context, 1, &e->device, &size, bins, &st, &err);
    CHECK_CL(err);
    CHECK_CL(st);
    CHECK_CL(clBuildProgram(again, 1, &e->device, NULL, NULL, NULL));
    CHECK_EQ(run_put(e, again), want);
    CHECK_CL(clReleaseProgram(again));
    free(bin);
}

/* API spec: CL_INVALID_OPERATION if there are kernel objects attached to the program, on either
 * path; the program and its kernel stay as they were. */
static void check_kernel_attached(const svm_env *e, cl_program prog, int want)
{
    cl_kernel k = icd_test_kernel(prog, "put");
    CHECK_CL_ERR(clBuildProgram(prog, 1, &e->device, "-cl-std=CL2.0 -DVALUE=7", NULL, NULL),
                 CL_INVALID_OPERATION);
    CHECK_CL_ERR(clBuildProgram(prog, 1, &e->device, "-DVALUE=7", NULL, NULL),
                 CL_INVALID_OPERATION);
    CHECK_CL_ERR(
        clCompileProgram(prog, 1, &e->device, "-cl-std=CL2.0 -DVALUE=7", 0, NULL, NULL, NULL, NULL),
        CL_INVALID_OPERATION);
    CHECK_EQ(oclc20_build_status(prog, e->device), CL_BUILD_SUCCESS);
    CHECK_EQ(oclc20_run_int(e, k, 1, -1, -1), want);
    CHECK_CL(clReleaseKernel(k));
    CHECK_EQ(run_put(e, prog), want); /* still the same executable */
}

/* Extension macros as a 2.0 program sees them, next to the device's CL_DEVICE_EXTENSIONS. */
static const char *ext_src =
    "kernel void exts(global int *o)\n"
    "{\n"
    "#ifdef cl_khr_fp16\n"
    "    o[0] = 1;\n"
    "#endif\n"
    "#ifdef cl_khr_fp64\n"
    "    o[1] = 1;\n"
    "#endif\n"
    "#ifdef cl_khr_int64_base_atomics\n"
    "    o[2] = 1;\n"
    "#endif\n"
    "#ifdef cl_khr_subgroups\n"
    "    o[3] = 1;\n"
    "#endif\n"
    "    vstore_half(1.5f, 0, (global half *)(o + 4)); /* half pointers are core */\n"
    "}\n";

static const char *half_src = "#pragma OPENCL EXTENSION cl_khr_fp16 : enable\n"
                              "kernel void h(global float *o)\n"
                              "{\n"
                              "    half x = (half)o[0]; /* the half line */\n"
                              "    o[0] = x;\n"
                              "}\n";

static int has_word(const char *list, const char *w)
{
    size_t n = strlen(w);
    for (const char *p = list; (p = strstr(p, w)) != NULL; p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return 1;
    return 0;
}

static void check_extensions(const svm_env *e)
{
    size_t n = 0;
    CHECK_CL(clGetDeviceInfo(e->device, CL_DEVICE_EXTENSIONS, 0, NULL, &n));
    char *exts = calloc(n + 1, 1);
    CHECK(exts != NULL);
    CHECK_CL(clGetDeviceInfo(e->device, CL_DEVICE_EXTENSIONS, n, exts, NULL));
    cl_int err = CL_SUCCESS;
    cl_program p = clCreateProgramWithSource(e->context, 1, &ext_src, NULL, &err);
    CHECK_CL(err);
    CHECK_CL(clBuildProgram(p, 1, &e->device, "-cl-std=CL2.0", NULL, NULL));
    cl_kernel k = icd_test_kernel(p, "exts");
    cl_int v[5] = {0, 0, 0, 0, 0};
    cl_mem m = icd_test_buffer(e->context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, sizeof v, v);
    CHECK_CL(clSetKernelArg(k, 0, sizeof m, &m));
    size_t one = 1;
    CHECK_CL(clEnqueueNDRangeKernel(e->queue, k, 1, NULL, &one, NULL, 0, NULL, NULL));
    CHECK_CL(clEnqueueReadBuffer(e->queue, m, CL_TRUE, 0, sizeof v, v, 0, NULL, NULL));
    const char *names[] = {"cl_khr_fp16", "cl_khr_fp64", "cl_khr_int64_base_atomics",
                           "cl_khr_subgroups"};
    for (int i = 0; i < 4; i++)
        CHECK_MSG(v[i] == has_word(exts, names[i]), "%s: program says %d, device list '%s'",
                  names[i], v[i], exts);
    cl_ushort h = 0;
    memcpy(&h, &v[4], sizeof h);
    CHECK_EQ(h, 0x3e00); /* 1.5 as IEEE half */
    CHECK_CL(clReleaseMemObject(m));
    CHECK_CL(clReleaseKernel(k));
    CHECK_CL(clReleaseProgram(p));

    /* Without cl_khr_fp16 a half value is clang's compile error, with its line in the log. */
    if (!has_word(exts, "cl_khr_fp16")) {
        p = clCreateProgramWithSource(e->context, 1, &half_src, NULL, &err);
        CHECK_CL(err);
        CHECK_CL_ERR(clBuildProgram(p, 1, &e->device, "-cl-std=CL2.0", NULL, NULL),
                     CL_BUILD_PROGRAM_FAILURE);
        expect_log_line(e, p, half_src, "the half line", "half");
        CHECK_CL(clReleaseProgram(p));
    }
    free(exts);
}

int main(void)
{
    svm_env e;
    svm_env_open(&e);
    oclc20_require_path(&e);
    cl_int err = CL_SUCCESS;
    const char *src = build_checks_cl;
    cl_program prog = clCreateProgramWithSource(e.context, 1, &src, NULL, &err);
    CHECK_CL(err);

    check_error_line(&e, prog);

    /* -D honoured; the program object recovers from its failed build. */
    CHECK_CL(clBuildProgram(prog, 1, &e.device, "-cl-std=CL2.0 -DVALUE=3", NULL, NULL));
    CHECK_EQ(oclc20_build_status(prog, e.device), CL_BUILD_SUCCESS);
    CHECK_EQ(run_put(&e, prog), 3);
    check_binaries(&e, prog, 3);
    check_kernel_attached(&e, prog, 3);

    /* -I (as a separate word) and a quoted -D value. */
    char *dir = include_dir();
    char opts[4300];
    snprintf(opts, sizeof opts, "-cl-std=CL2.0 -D \"VALUE=4\" -DWITH_INCLUDE -I %s", dir);
    CHECK_CL(clBuildProgram(prog, 0, NULL, opts, NULL, NULL));
    CHECK_EQ(run_put(&e, prog), 14);
    remove_include_dir(dir);

    /* A failed rebuild after a good one leaves no executable behind. */
    CHECK_CL_ERR(clBuildProgram(prog, 1, &e.device, "-cl-std=CL2.0", NULL, NULL),
                 CL_BUILD_PROGRAM_FAILURE);
    expect_no_executable(&e, prog);

    /* Options the path does not take. */
    if (e.is_clsvm) {
        CHECK_CL_ERR(
            clBuildProgram(prog, 1, &e.device, "-cl-std=CL2.0 -DVALUE=1 -o /tmp/x", NULL, NULL),
            CL_INVALID_BUILD_OPTIONS);
        expect_no_executable(&e, prog);
    }

    /* Without -cl-std=CL2.x the backend builds the same program object as before. */
    CHECK_CL(clBuildProgram(prog, 1, &e.device, "-DVALUE=5", NULL, NULL));
    CHECK_EQ(oclc20_build_status(prog, e.device), CL_BUILD_SUCCESS);
    CHECK_EQ(run_put(&e, prog), 1005);
    check_kernel_attached(&e, prog, 1005);
    char *s = oclc20_program_string(prog, CL_PROGRAM_SOURCE);
    CHECK(strcmp(s, build_checks_cl) == 0);
    free(s);

    /* And back to 2.0. */
    CHECK_CL(clBuildProgram(prog, 1, &e.device, "-cl-std=CL2.0 -DVALUE=6", NULL, NULL));
    CHECK_EQ(run_put(&e, prog), 6);

    CHECK_CL(clReleaseProgram(prog));
    check_extensions(&e);
    svm_env_close(&e);
    return svm_exit_code();
}
