/* test_oclc20_objects: compiled objects of clsvm's SPIR path as binaries, and links that fail
 * (docs/opencl-c-2.0.md, "Separate compilation"):
 *   - CL_PROGRAM_BINARIES of a compiled object give a binary that clCreateProgramWithBinary
 *     turns back into a compiled object (binary type COMPILED_OBJECT, status NONE, no source),
 *     which clBuildProgram builds into a working executable and clLinkProgram links (two
 *     objects reloaded from binaries, sharing a header, count exactly); compiling it is
 *     CL_INVALID_OPERATION (no source); a damaged one is CL_INVALID_BINARY;
 *   - a link that fails (an undefined function) returns CL_LINK_PROGRAM_FAILURE *and* a program
 *     whose status is CL_BUILD_ERROR and whose log names the function; the notification gets
 *     that program; it has no executable and cannot be built or compiled again;
 *   - the API spec's CL_INVALID_OPERATION while a build of the program has not completed (asked
 *     from inside the build's notification, and from two threads building one program), for a
 *     link input that is no compiled object; CL_INVALID_CONTEXT / CL_INVALID_DEVICE for inputs
 *     or devices outside the link's context; a build for a device the program is not for
 *     changes nothing. */
#include "oclc20/oclc20_test.h"

#include <pthread.h>

#include "link_counter_cl.h"
#include "link_helper_cl.h"
#include "link_main_cl.h"

enum { N = 16, REPS = 10 };

static const char *store_src =
    "static void put(atomic_int *a, int v)\n"
    "{\n"
    "    atomic_store_explicit(a, v, memory_order_release, memory_scope_all_svm_devices);\n"
    "}\n"
    "kernel void store(global int *o) { put((atomic_int *)o, VALUE); }\n";

static const char *undefined_src = "int missing_fn(int x);\n"
                                   "kernel void k(global int *o)\n"
                                   "{\n"
                                   "    o[0] = missing_fn(atomic_load((atomic_int *)o));\n"
                                   "}\n";

static cl_program compiled(const svm_env *e, const char *src, const char *opts, cl_uint nhdr,
                           cl_program *hdr, const char **names)
{
    cl_int err = CL_SUCCESS;
    cl_program p = clCreateProgramWithSource(e->context, 1, &src, NULL, &err);
    CHECK_CL(err);
    CHECK_CL(clCompileProgram(p, 1, &e->device, opts, nhdr, hdr, names, NULL, NULL));
    return p;
}

static cl_program_binary_type binary_type(const svm_env *e, cl_program p)
{
    cl_program_binary_type bt = 99;
    CHECK_CL(clGetProgramBuildInfo(p, e->device, CL_PROGRAM_BINARY_TYPE, sizeof bt, &bt, NULL));
    return bt;
}

/* p's binary for the test's device (p has one device), malloc'd, *len. */
static unsigned char *binary_of(cl_program p, size_t *len)
{
    cl_uint ndev = 0;
    CHECK_CL(clGetProgramInfo(p, CL_PROGRAM_NUM_DEVICES, sizeof ndev, &ndev, NULL));
    CHECK_EQ(ndev, 1u);
    size_t ret = 0;
    CHECK_CL(clGetProgramInfo(p, CL_PROGRAM_BINARY_SIZES, sizeof *len, len, &ret));
    CHECK_EQ(ret, sizeof *len);
    CHECK(*len > 16);
    unsigned char *bin = malloc(*len);
    CHECK(bin != NULL);
    CHECK_CL(clGetProgramInfo(p, CL_PROGRAM_BINARIES, sizeof bin, &bin, &ret));
    CHECK_EQ(ret, sizeof bin);
    return bin;
}

/* A program from a binary; err and the device's binary status are returned through the args. */
static cl_program from_binary(const svm_env *e, const unsigned char *bin, size_t len,
                              cl_int *status, cl_int *err)
{
    *status = 12345;
    return clCreateProgramWithBinary(e->context, 1, &e->device, &len, &bin, status, err);
}

/* The object reloaded from its binary: a compiled object again, with no source. */
static cl_program reloaded(const svm_env *e, cl_program obj)
{
    size_t len = 0;
    unsigned char *bin = binary_of(obj, &len);
    cl_int st = 0, err = 0;
    cl_program p = from_binary(e, bin, len, &st, &err);
    CHECK_CL(err);
    CHECK_CL(st);
    CHECK(p != NULL);
    CHECK_EQ(binary_type(e, p), CL_PROGRAM_BINARY_TYPE_COMPILED_OBJECT);
    CHECK_EQ(oclc20_build_status(p, e->device), CL_BUILD_NONE);
    char *src = oclc20_program_string(p, CL_PROGRAM_SOURCE);
    CHECK_MSG(src[0] == '\0', "source of a program from a binary: '%s'", src);
    free(src);
    /* The same bytes come back out of it. */
    size_t len2 = 0;
    unsigned char *bin2 = binary_of(p, &len2);
    CHECK_EQ(len2, len);
    CHECK(memcmp(bin, bin2, len) == 0);
    free(bin2);
    free(bin);
    return p;
}

static cl_int run_store(const svm_env *e, cl_program p)
{
    return oclc20_run_named(e, p, "store", 1, -1, -1);
}

static void check_build_from_binary(const svm_env *e)
{
    cl_program obj = compiled(e, store_src, "-cl-std=CL2.0 -DVALUE=42", 0, NULL, NULL);
    cl_program p = reloaded(e, obj);
    CHECK_CL_ERR(clCompileProgram(p, 0, NULL, "-cl-std=CL2.0", 0, NULL, NULL, NULL, NULL),
                 CL_INVALID_OPERATION);
    oclc20_notified n = {0, NULL};
    CHECK_CL(clBuildProgram(p, 1, &e->device, NULL, oclc20_on_notify, &n));
    CHECK_EQ(n.calls, 1);
    CHECK(n.prog == p);
    CHECK_EQ(oclc20_build_status(p, e->device), CL_BUILD_SUCCESS);
    CHECK_EQ(binary_type(e, p), CL_PROGRAM_BINARY_TYPE_EXECUTABLE);
    CHECK_EQ(run_store(e, p), 42);
    /* Built again (nothing attached): still the same executable. */
    CHECK_CL(clBuildProgram(p, 0, NULL, NULL, NULL, NULL));
    CHECK_EQ(run_store(e, p), 42);
    CHECK_CL(clReleaseProgram(p));

    /* A damaged object binary (its bitcode's magic broken) and an empty one. */
    size_t len = 0;
    unsigned char *bin = binary_of(obj, &len);
    bin[16] ^= 0xff;
    cl_int st = 0, err = 0;
    CHECK(from_binary(e, bin, len, &st, &err) == NULL);
    CHECK_EQ(err, CL_INVALID_BINARY);
    CHECK_EQ(st, CL_INVALID_BINARY);
    /* Bitcode magic but garbage after it: refused at creation or at the build, with a log. */
    bin[16] ^= 0xff;
    memset(bin + 24, 0x5a, len - 24);
    cl_program junk = from_binary(e, bin, len, &st, &err);
    if (junk) {
        CHECK_CL(err);
        CHECK_CL_ERR(clBuildProgram(junk, 0, NULL, NULL, NULL, NULL), CL_BUILD_PROGRAM_FAILURE);
        CHECK_EQ(oclc20_build_status(junk, e->device), CL_BUILD_ERROR);
        char *log = oclc20_build_string(junk, e->device, CL_PROGRAM_BUILD_LOG);
        CHECK_MSG(log[0] != '\0', "empty log for a garbage object");
        free(log);
        cl_kernel k = clCreateKernel(junk, "store", &err);
        CHECK(k == NULL);
        CHECK_EQ(err, CL_INVALID_PROGRAM_EXECUTABLE);
        CHECK_CL(clReleaseProgram(junk));
    } else {
        CHECK_EQ(err, CL_INVALID_BINARY);
        CHECK_EQ(st, CL_INVALID_BINARY);
    }
    size_t zero = 0;
    const unsigned char *bins[] = {bin};
    CHECK(clCreateProgramWithBinary(e->context, 1, &e->device, &zero, bins, NULL, &err) == NULL);
    CHECK_EQ(err, CL_INVALID_VALUE);
    free(bin);
    CHECK_CL(clReleaseProgram(obj));
}

static void check_link_from_binaries(const svm_env *e)
{
    cl_int err = CL_SUCCESS;
    const char *src = link_counter_cl, *name = "counter/counter.h";
    cl_program hdr = clCreateProgramWithSource(e->context, 1, &src, NULL, &err);
    CHECK_CL(err);
    cl_program main_o = compiled(e, link_main_cl, "-cl-std=CL2.0", 1, &hdr, &name);
    cl_program helper_o = compiled(e, link_helper_cl, "-cl-std=CL2.0", 1, &hdr, &name);
    cl_program objs[] = {reloaded(e, main_o), reloaded(e, helper_o)};
    CHECK_CL(clReleaseProgram(main_o));
    CHECK_CL(clReleaseProgram(helper_o));
    cl_program prog = clLinkProgram(e->context, 0, NULL, NULL, 2, objs, NULL, NULL, &err);
    CHECK_CL(err);
    CHECK_EQ(oclc20_run_named(e, prog, "bump_all", N, 0, REPS), 3 * N * REPS);
    /* API spec: a program a link made was not created from source, IL or a binary. */
    CHECK_CL_ERR(clBuildProgram(prog, 0, NULL, NULL, NULL, NULL), CL_INVALID_OPERATION);
    CHECK_CL(clReleaseProgram(prog));
    CHECK_CL(clReleaseProgram(objs[0]));
    CHECK_CL(clReleaseProgram(objs[1]));
    CHECK_CL(clReleaseProgram(hdr));
}

static void check_failed_link(const svm_env *e)
{
    cl_program obj = compiled(e, undefined_src, "-cl-std=CL2.0", 0, NULL, NULL);
    oclc20_notified n = {0, NULL};
    cl_int err = CL_SUCCESS;
    cl_program prog =
        clLinkProgram(e->context, 1, &e->device, NULL, 1, &obj, oclc20_on_notify, &n, &err);
    CHECK_EQ(err, CL_LINK_PROGRAM_FAILURE);
    CHECK(prog != NULL);
    CHECK_EQ(n.calls, 1);
    CHECK(n.prog == prog);
    CHECK_EQ(oclc20_build_status(prog, e->device), CL_BUILD_ERROR);
    CHECK_EQ(binary_type(e, prog), CL_PROGRAM_BINARY_TYPE_NONE);
    char *log = oclc20_build_string(prog, e->device, CL_PROGRAM_BUILD_LOG);
    CHECK_MSG(strstr(log, "missing_fn"), "log does not name the undefined function:\n%s", log);
    free(log);
    cl_kernel k = clCreateKernel(prog, "k", &err);
    CHECK(k == NULL);
    CHECK_EQ(err, CL_INVALID_PROGRAM_EXECUTABLE);
    CHECK_CL_ERR(clBuildProgram(prog, 0, NULL, NULL, NULL, NULL), CL_INVALID_OPERATION);
    CHECK_CL_ERR(clCompileProgram(prog, 0, NULL, "-cl-std=CL2.0", 0, NULL, NULL, NULL, NULL),
                 CL_INVALID_OPERATION);
    CHECK_CL(clReleaseProgram(prog));
    CHECK_CL(clReleaseProgram(obj));
}

/* Asked from inside a build's notification, while that build has not completed. */
typedef struct during {
    const svm_env *e;
    cl_int rebuild, link, status_err;
    int calls;
} during;

static void CL_CALLBACK on_build_during(cl_program prog, void *user)
{
    during *d = user;
    d->calls++;
    d->rebuild = clBuildProgram(prog, 0, NULL, "-cl-std=CL2.0 -DVALUE=5", NULL, NULL);
    cl_int err = CL_SUCCESS;
    cl_program l = clLinkProgram(d->e->context, 0, NULL, NULL, 1, &prog, NULL, NULL, &err);
    d->link = err;
    if (l)
        clReleaseProgram(l);
    cl_build_status st;
    d->status_err =
        clGetProgramBuildInfo(prog, d->e->device, CL_PROGRAM_BUILD_STATUS, sizeof st, &st, NULL);
}

typedef struct builder {
    cl_program prog;
    int ok, busy, other;
} builder;

static void *build_loop(void *arg)
{
    builder *b = arg;
    for (int i = 0; i < 8; i++) {
        cl_int err = clBuildProgram(b->prog, 0, NULL, NULL, NULL, NULL);
        b->ok += err == CL_SUCCESS;
        b->busy += err == CL_INVALID_OPERATION;
        b->other += err != CL_SUCCESS && err != CL_INVALID_OPERATION;
    }
    return NULL;
}

static void check_busy(const svm_env *e)
{
    cl_int err = CL_SUCCESS;
    cl_program p = clCreateProgramWithSource(e->context, 1, &store_src, NULL, &err);
    CHECK_CL(err);
    during d = {e, 0, 0, 0, 0};
    CHECK_CL(clBuildProgram(p, 1, &e->device, "-cl-std=CL2.0 -DVALUE=4", on_build_during, &d));
    CHECK_EQ(d.calls, 1);
    CHECK_EQ(d.rebuild, CL_INVALID_OPERATION);
    CHECK_EQ(d.link, CL_INVALID_OPERATION);
    CHECK_CL(d.status_err);       /* queries still answer */
    CHECK_EQ(run_store(e, p), 4); /* the nested calls changed nothing */
    CHECK_CL(clReleaseProgram(p));

    /* Two threads building one program (an object from a binary): each build succeeds or finds
     * the other in progress; nothing else, and the program works afterwards. */
    cl_program obj = compiled(e, store_src, "-cl-std=CL2.0 -DVALUE=9", 0, NULL, NULL);
    cl_program shared = reloaded(e, obj);
    builder b[2] = {{shared, 0, 0, 0}, {shared, 0, 0, 0}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        CHECK(pthread_create(&t[i], NULL, build_loop, &b[i]) == 0);
    for (int i = 0; i < 2; i++)
        CHECK(pthread_join(t[i], NULL) == 0);
    CHECK_EQ(b[0].other + b[1].other, 0);
    CHECK(b[0].ok + b[1].ok >= 1);
    CHECK_EQ(run_store(e, shared), 9);
    CHECK_CL(clReleaseProgram(shared));
    CHECK_CL(clReleaseProgram(obj));
}

static void check_link_arguments(const svm_env *e)
{
    cl_int err = CL_SUCCESS;
    cl_program obj = compiled(e, store_src, "-cl-std=CL2.0 -DVALUE=1", 0, NULL, NULL);
    /* A source program never compiled is no link input (API spec), next to a path object. */
    cl_program raw = clCreateProgramWithSource(e->context, 1, &store_src, NULL, &err);
    CHECK_CL(err);
    cl_program in[] = {obj, raw};
    CHECK(clLinkProgram(e->context, 0, NULL, NULL, 2, in, NULL, NULL, &err) == NULL);
    CHECK_EQ(err, CL_INVALID_OPERATION);
    CHECK_CL(clReleaseProgram(raw));
    /* An input of another context. */
    cl_context other = clCreateContext(NULL, 1, &e->device, NULL, NULL, &err);
    CHECK_CL(err);
    CHECK(clLinkProgram(other, 0, NULL, NULL, 1, &obj, NULL, NULL, &err) == NULL);
    CHECK_EQ(err, CL_INVALID_CONTEXT);
    CHECK_CL(clReleaseContext(other));
    /* A device outside the link's context: a sub-device of its device, if it has any. */
    cl_device_partition_property props[] = {CL_DEVICE_PARTITION_EQUALLY, 1, 0};
    cl_device_id sub[64];
    cl_uint nsub = 0;
    if (clCreateSubDevices(e->device, props, 64, sub, &nsub) == CL_SUCCESS && nsub > 0) {
        CHECK(clLinkProgram(e->context, 1, &sub[0], NULL, 1, &obj, NULL, NULL, &err) == NULL);
        CHECK_EQ(err, CL_INVALID_DEVICE);
        /* A build of a SPIR-path executable for a device it is not for changes nothing. */
        cl_program p = clCreateProgramWithSource(e->context, 1, &store_src, NULL, &err);
        CHECK_CL(err);
        CHECK_CL(clBuildProgram(p, 0, NULL, "-cl-std=CL2.0 -DVALUE=6", NULL, NULL));
        CHECK_CL_ERR(clBuildProgram(p, 1, &sub[0], "-cl-std=CL2.0 -DVALUE=7", NULL, NULL),
                     CL_INVALID_DEVICE);
        CHECK_EQ(oclc20_build_status(p, e->device), CL_BUILD_SUCCESS);
        CHECK_EQ(run_store(e, p), 6);
        CHECK_CL(clReleaseProgram(p));
        for (cl_uint i = 0; i < nsub && i < 64; i++)
            CHECK_CL(clReleaseDevice(sub[i]));
    }
    CHECK_CL(clReleaseProgram(obj));
}

int main(void)
{
    svm_env e;
    svm_env_open(&e);
    oclc20_require_path(&e);
    check_build_from_binary(&e);
    check_link_from_binaries(&e);
    check_failed_link(&e);
    check_busy(&e);
    check_link_arguments(&e);
    svm_env_close(&e);
    return svm_exit_code();
}
