/* test_oclc20_cache: the SPIR path's clang cache never answers with a stale program when a
 * header read from disk changed (docs/opencl-c-2.0.md "Cache and cost"). In a fresh cache and a
 * temporary working directory, a program including one header through -I (a relative path) and
 * one from the working directory is built with -cl-std=CL2.0 and CL3.0:
 *   - the same source and headers again is a cache hit (no new entry);
 *   - after either header is edited, the next build runs the new code (a new entry);
 *   - after a header is deleted, the build fails with clang's error naming it;
 * and the result is read back from the device each time. */
#include "oclc20/oclc20_test.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *src = "#include \"dep_cwd.h\"\n"
                         "#include \"dep_inc.h\"\n"
                         "kernel void put(global int *o)\n"
                         "{\n"
                         "    atomic_store((atomic_int *)o, FROM_INC + FROM_CWD);\n"
                         "}\n";

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    CHECK_MSG(f != NULL, "cannot write %s", path);
    fputs(text, f);
    CHECK(fclose(f) == 0);
}

/* Entries in the cache directory (one .deps file each). */
static int entries(const char *dir)
{
    DIR *d = opendir(dir);
    CHECK_MSG(d != NULL, "no cache directory %s", dir);
    int n = 0;
    for (struct dirent *de; (de = readdir(d)) != NULL;) {
        size_t l = strlen(de->d_name);
        n += l > 5 && strcmp(de->d_name + l - 5, ".deps") == 0;
    }
    closedir(d);
    return n;
}

/* Builds src with opts into a new program; returns put's value, or -1000 - the build error
 * with the log in *log (malloc'd) when the build fails. */
static int build_and_run(const svm_env *e, const char *opts, char **log)
{
    cl_int err = CL_SUCCESS;
    cl_program p = clCreateProgramWithSource(e->context, 1, &src, NULL, &err);
    CHECK_CL(err);
    err = clBuildProgram(p, 1, &e->device, opts, NULL, NULL);
    int v;
    if (err != CL_SUCCESS) {
        *log = oclc20_build_string(p, e->device, CL_PROGRAM_BUILD_LOG);
        v = -1000 + err;
    } else {
        v = oclc20_run_named(e, p, "put", 1, -1, -1);
    }
    CHECK_CL(clReleaseProgram(p));
    return v;
}

static void check_std(const svm_env *e, const char *cache, const char *std)
{
    char opts[64], *log = NULL;
    snprintf(opts, sizeof opts, "%s -I inc", std);
    write_text("inc/dep_inc.h", "#define FROM_INC 10\n");
    write_text("dep_cwd.h", "#define FROM_CWD 1\n");
    int before = entries(cache);
    CHECK_EQ(build_and_run(e, opts, &log), 11);
    int made = entries(cache);
    CHECK_EQ(made, before + 1);
    /* Nothing changed: a hit. */
    CHECK_EQ(build_and_run(e, opts, &log), 11);
    CHECK_EQ(entries(cache), made);
    /* The -I header changed, then the working directory's. */
    write_text("inc/dep_inc.h", "#define FROM_INC 20\n");
    CHECK_EQ(build_and_run(e, opts, &log), 21);
    write_text("dep_cwd.h", "#define FROM_CWD 2\n");
    CHECK_EQ(build_and_run(e, opts, &log), 22);
    /* Gone: clang's error, not the cached program. */
    CHECK(unlink("dep_cwd.h") == 0);
    CHECK_EQ(build_and_run(e, opts, &log), -1000 + CL_BUILD_PROGRAM_FAILURE);
    CHECK_MSG(log && strstr(log, "dep_cwd.h") && strstr(log, "not found"),
              "log does not name the missing header:\n%s", log ? log : "(none)");
    free(log);
    log = NULL;
    /* Back as it was first: the first entry is still good. */
    write_text("dep_cwd.h", "#define FROM_CWD 1\n");
    write_text("inc/dep_inc.h", "#define FROM_INC 10\n");
    made = entries(cache);
    CHECK_EQ(build_and_run(e, opts, &log), 11);
    CHECK_EQ(entries(cache), made);
}

int main(void)
{
    /* A fresh cache and working directory, before clsvm first looks at the cache. */
    const char *tmp = getenv("TMPDIR");
    char dir[4096], cache[4200];
    snprintf(dir, sizeof dir, "%s/oclc20-cache-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    CHECK(mkdtemp(dir) != NULL);
    snprintf(cache, sizeof cache, "%s/cache", dir);
    CHECK(mkdir(cache, 0755) == 0);
    CHECK(setenv("CLSVM_OCLC20_CACHE_DIR", cache, 1) == 0);
    CHECK(chdir(dir) == 0);
    CHECK(mkdir("inc", 0755) == 0);

    svm_env e;
    svm_env_open(&e);
    oclc20_require_path(&e);
    check_std(&e, cache, "-cl-std=CL2.0");
    check_std(&e, cache, "-cl-std=CL3.0");
    svm_env_close(&e);

    /* Leave nothing behind (the cache's files, then the directories). */
    unlink("dep_cwd.h");
    unlink("inc/dep_inc.h");
    rmdir("inc");
    DIR *d = opendir(cache);
    for (struct dirent *de; d && (de = readdir(d)) != NULL;) {
        char path[4500];
        snprintf(path, sizeof path, "%s/%s", cache, de->d_name);
        if (de->d_name[0] != '.')
            unlink(path);
    }
    if (d)
        closedir(d);
    rmdir(cache);
    CHECK(chdir("/") == 0);
    rmdir(dir);
    return svm_exit_code();
}
