/* test_oclc20_threads: several host threads build OpenCL C 2.0 programs through clsvm's SPIR
 * path at the same time, into a fresh, empty cache (so they race to compile the support library
 * and to store results under the same key), then run them: every program builds and counts
 * exactly. The cache directory is the test's own (CLSVM_OCLC20_CACHE_DIR, set before the first
 * OpenCL call) and removed afterwards. */
#include "oclc20/oclc20_test.h"

#include "atomics_generic_cl.h"

#include <dirent.h>
#include <pthread.h>
#include <unistd.h>

enum { THREADS = 4, N = 16, REPS = 100 };

typedef struct job {
    const svm_env *e;
    int i;
    int result;
} job;

static void *build_and_run(void *arg)
{
    job *j = arg;
    /* Two threads per option string: equal keys race in the cache. */
    char opts[64];
    snprintf(opts, sizeof opts, "-cl-std=CL2.0 -DTHREAD_GROUP=%d", j->i % 2);
    cl_program prog = icd_test_program(j->e->context, j->e->device, atomics_generic_cl, opts);
    cl_kernel k = icd_test_kernel(prog, "count");
    cl_int zero = 0, reps = REPS;
    cl_mem c = icd_test_buffer(j->e->context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, sizeof zero,
                               &zero);
    CHECK_CL(clSetKernelArg(k, 0, sizeof c, &c));
    CHECK_CL(clSetKernelArg(k, 1, sizeof reps, &reps));
    cl_int err = CL_SUCCESS;
    cl_command_queue q =
        clCreateCommandQueueWithProperties(j->e->context, j->e->device, NULL, &err);
    CHECK_CL(err);
    size_t n = N;
    CHECK_CL(clEnqueueNDRangeKernel(q, k, 1, NULL, &n, NULL, 0, NULL, NULL));
    CHECK_CL(clEnqueueReadBuffer(q, c, CL_TRUE, 0, sizeof j->result, &j->result, 0, NULL, NULL));
    CHECK_CL(clReleaseCommandQueue(q));
    CHECK_CL(clReleaseMemObject(c));
    CHECK_CL(clReleaseKernel(k));
    CHECK_CL(clReleaseProgram(prog));
    return NULL;
}

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *ent;
    char path[4400];
    while ((ent = readdir(d)) != NULL) {
        if (ent->d_name[0] == '.')
            continue;
        if (snprintf(path, sizeof path, "%s/%s", dir, ent->d_name) < (int)sizeof path)
            unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

int main(void)
{
    const char *tmp = getenv("TMPDIR");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/oclc20-threads-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    CHECK(mkdtemp(dir) != NULL);
    CHECK(setenv("CLSVM_OCLC20_CACHE_DIR", dir, 1) == 0);
    svm_env e;
    svm_env_open(&e);
    oclc20_require_path(&e);
    pthread_t th[THREADS];
    job jobs[THREADS];
    for (int i = 0; i < THREADS; i++) {
        jobs[i] = (job){&e, i, -1};
        CHECK(pthread_create(&th[i], NULL, build_and_run, &jobs[i]) == 0);
    }
    for (int i = 0; i < THREADS; i++) {
        CHECK(pthread_join(th[i], NULL) == 0);
        CHECK_EQ(jobs[i].result, N * REPS);
    }
    svm_env_close(&e);
    remove_dir(dir);
    return svm_exit_code();
}
