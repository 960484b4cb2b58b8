/* test_oclc20_swap_threads: one thread rebuilds a program again and again, alternating the SPIR
 * path (-cl-std=CL2.0) and the backend (with a notification), each of which replaces the
 * program's backend handle, while other threads use the same program: queries, specialization
 * constants, the program as a clCompileProgram header and as a clLinkProgram input, and links
 * with a notification. A header whose backend program is the SPIR build is compiled from the
 * source clsvm kept. Every reader must use a backend program it holds (in the TSan build a
 * read of the handle outside the lock is a reported race; elsewhere a use of a released one can
 * crash). At the end the program still builds and runs. */
#include "oclc20/oclc20_test.h"

#include <pthread.h>
#include <stdatomic.h>

enum { BUILDS = 12 };

static const char *src = "#define H 7\n"
                         "kernel void k(global int *p) { *p = H; }\n";
static const char *user_src = "#include \"h.h\"\n"
                              "kernel void q(global int *p) { *p = H + 1; }\n";

static svm_env env;
static cl_program prog, obj;
static atomic_int done, notified, bad_notify;

static void CL_CALLBACK on_build(cl_program p, void *ud)
{
    (void)ud;
    cl_uint n = 0;
    if (p != prog ||
        clGetProgramInfo(p, CL_PROGRAM_NUM_DEVICES, sizeof n, &n, NULL) != CL_SUCCESS || n != 1)
        atomic_fetch_add(&bad_notify, 1);
    atomic_fetch_add(&notified, 1);
}

static void CL_CALLBACK on_link(cl_program p, void *ud)
{
    (void)ud;
    cl_build_status st = CL_BUILD_NONE;
    if (clGetProgramBuildInfo(p, env.device, CL_PROGRAM_BUILD_STATUS, sizeof st, &st, NULL) !=
        CL_SUCCESS)
        atomic_fetch_add(&bad_notify, 1);
    atomic_fetch_add(&notified, 1);
}

static void *builder(void *arg)
{
    (void)arg;
    for (int i = 0; i < BUILDS; i++) {
        cl_int err = i % 2 ? clBuildProgram(prog, 1, &env.device, "", on_build, NULL)
                           : clBuildProgram(prog, 1, &env.device, "-cl-std=CL2.0", NULL, NULL);
        CHECK_MSG(err == CL_SUCCESS, "build %d: %s", i, icd_err_name(err));
    }
    atomic_store(&done, 1);
    return NULL;
}

static void *user(void *arg)
{
    (void)arg;
    const char *name = "h.h";
    long rounds = 0;
    while (!atomic_load(&done) || rounds < 2) {
        cl_uint n = 0;
        CHECK_CL(clGetProgramInfo(prog, CL_PROGRAM_NUM_DEVICES, sizeof n, &n, NULL));
        CHECK_EQ(n, 1);
        cl_int v = 3;
        cl_int err = clSetProgramSpecializationConstant(prog, 0, sizeof v, &v);
        /* Not a program made from IL, whichever backend program it has at the moment. */
        CHECK_MSG(err == CL_INVALID_PROGRAM, "clSetProgramSpecializationConstant: %s",
                  icd_err_name(err));
        cl_program q = clCreateProgramWithSource(env.context, 1, &user_src, NULL, &err);
        CHECK_CL(err);
        err = clCompileProgram(q, 1, &env.device, NULL, 1, &prog, &name, NULL, NULL);
        /* Whichever backend program prog has, the header is its source. */
        CHECK_MSG(err == CL_SUCCESS, "clCompileProgram with the rebuilt header: %s",
                  icd_err_name(err));
        CHECK_CL(clReleaseProgram(q));
        /* An executable as link input: refused (or busy), with no program. */
        cl_program l = clLinkProgram(env.context, 1, &env.device, NULL, 1, &prog, NULL, NULL, &err);
        CHECK_MSG(l == NULL && err != CL_SUCCESS, "link of an executable: %s", icd_err_name(err));
        l = clLinkProgram(env.context, 1, &env.device, NULL, 1, &obj, on_link, NULL, &err);
        CHECK_CL(err);
        CHECK(l != NULL);
        CHECK_CL(clReleaseProgram(l));
        rounds++;
    }
    return NULL;
}

int main(void)
{
    svm_env_open(&env);
    oclc20_require_path(&env);
    cl_int err = CL_SUCCESS;
    prog = clCreateProgramWithSource(env.context, 1, &src, NULL, &err);
    CHECK_CL(err);
    obj = clCreateProgramWithSource(env.context, 1, &user_src, NULL, &err);
    CHECK_CL(err);
    /* Not made from IL, never built (pocl 3.1 aborts the process on this one). */
    cl_int v = 3;
    CHECK_EQ(clSetProgramSpecializationConstant(prog, 0, sizeof v, &v), CL_INVALID_PROGRAM);
    const char *name = "h.h";
    CHECK_CL(clCompileProgram(obj, 1, &env.device, NULL, 1, &prog, &name, NULL, NULL));
    /* A program built through the SPIR path is still a header (pocl 3.1 crashed including the
     * SPIR build, which has no source). */
    CHECK_CL(clBuildProgram(prog, 1, &env.device, "-cl-std=CL2.0", NULL, NULL));
    cl_program q = clCreateProgramWithSource(env.context, 1, &user_src, NULL, &err);
    CHECK_CL(err);
    CHECK_CL(clCompileProgram(q, 1, &env.device, NULL, 1, &prog, &name, NULL, NULL));
    CHECK_CL(clReleaseProgram(q));
    pthread_t tb, tu[2];
    CHECK(pthread_create(&tb, NULL, builder, NULL) == 0);
    for (int i = 0; i < 2; i++)
        CHECK(pthread_create(&tu[i], NULL, user, NULL) == 0);
    CHECK(pthread_join(tb, NULL) == 0);
    for (int i = 0; i < 2; i++)
        CHECK(pthread_join(tu[i], NULL) == 0);
    CHECK_EQ(atomic_load(&bad_notify), 0);
    CHECK(atomic_load(&notified) >= BUILDS / 2);
    /* Still a working program after the last (backend) build, and after one more SPIR build. */
    CHECK_EQ(oclc20_run_named(&env, prog, "k", 1, 0, -1), 7);
    CHECK_CL(clBuildProgram(prog, 1, &env.device, "-cl-std=CL2.0", NULL, NULL));
    CHECK_EQ(oclc20_run_named(&env, prog, "k", 1, 0, -1), 7);
    printf("%d builds with concurrent queries, compiles and links ok (%d notifications)\n", BUILDS,
           atomic_load(&notified));
    CHECK_CL(clReleaseProgram(obj));
    CHECK_CL(clReleaseProgram(prog));
    svm_env_close(&env);
    return 0;
}
