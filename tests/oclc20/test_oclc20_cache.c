/* test_oclc20_cache: the SPIR path's clang cache never answers with a stale program when a
 * header read from disk changed (docs/opencl-c-2.0.md "Cache and cost"). In a fresh cache and a
 * temporary working directory, a program including one header through -I (a relative path) and
 * one from the working directory is built with -cl-std=CL2.0 and CL3.0:
 *   - the same source and headers again is a cache hit;
 *   - after either header is edited, the next build is a miss and runs the new code;
 *   - after a header is deleted, the build fails with clang's error naming it;
 *   - a header replaced while clang runs (by a clang wrapper, after clang read it) leaves no
 *     entry: the next build compiles the new header instead of answering with what clang saw;
 * and the result is read back from the device each time. A hit is told from a miss without
 * timing: the test writes a marker into the cached build logs, and only a hit hands a cached
 * log back (a miss writes clang's fresh log over it). */
#include "oclc20/oclc20_test.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

/* The working directory's header has a space, a # and a $ in its name: clang writes them
 * escaped in its dependency list ("\ ", "\#", "$$"), and clsvm must find the file again. */
#define CWD_H "dep cwd#$1.h"
static const char *src = "#include \"" CWD_H "\"\n"
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

static const char mark[] = "test_oclc20_cache: this log came from the cache\n";

/* Writes mark into every cached build log: the next hit's build log contains it. */
static void mark_logs(const char *dir)
{
    DIR *d = opendir(dir);
    CHECK_MSG(d != NULL, "no cache directory %s", dir);
    int n = 0;
    for (struct dirent *de; (de = readdir(d)) != NULL;) {
        size_t l = strlen(de->d_name);
        if (l <= 4 || strcmp(de->d_name + l - 4, ".log") != 0)
            continue;
        char path[4500];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        write_text(path, mark);
        n++;
    }
    closedir(d);
    CHECK_MSG(n > 0, "no build log in the cache %s", dir);
}

/* Builds src with opts into a new program; returns put's value, or -1000 + the build error.
 * *log: the build log (malloc'd; the previous one is freed). */
static int build_and_run(const svm_env *e, const char *opts, char **log)
{
    cl_int err = CL_SUCCESS;
    cl_program p = clCreateProgramWithSource(e->context, 1, &src, NULL, &err);
    CHECK_CL(err);
    err = clBuildProgram(p, 1, &e->device, opts, NULL, NULL);
    free(*log);
    *log = oclc20_build_string(p, e->device, CL_PROGRAM_BUILD_LOG);
    int v = err != CL_SUCCESS ? -1000 + err : oclc20_run_named(e, p, "put", 1, -1, -1);
    CHECK_CL(clReleaseProgram(p));
    return v;
}

static int from_cache(const char *log)
{
    return log && strstr(log, mark) != NULL;
}

static void check_std(const svm_env *e, const char *cache, const char *std)
{
    char opts[64], *log = NULL;
    snprintf(opts, sizeof opts, "%s -I inc", std);
    write_text("inc/dep_inc.h", "#define FROM_INC 10\n");
    write_text(CWD_H, "#define FROM_CWD 1\n");
    int before = entries(cache);
    CHECK_EQ(build_and_run(e, opts, &log), 11);
    CHECK(!from_cache(log));
    int made = entries(cache);
    CHECK_EQ(made, before + 1);
    /* Nothing changed: a hit. */
    mark_logs(cache);
    CHECK_EQ(build_and_run(e, opts, &log), 11);
    CHECK_MSG(from_cache(log), "%s: unchanged headers were not a cache hit", std);
    CHECK_EQ(entries(cache), made);
    /* The -I header changed: a miss, which replaces the entry; unchanged again: a hit. */
    write_text("inc/dep_inc.h", "#define FROM_INC 20\n");
    CHECK_EQ(build_and_run(e, opts, &log), 21);
    CHECK_MSG(!from_cache(log), "%s: an edited -I header was a cache hit", std);
    mark_logs(cache);
    CHECK_EQ(build_and_run(e, opts, &log), 21);
    CHECK(from_cache(log));
    /* The working directory's header changed. */
    write_text(CWD_H, "#define FROM_CWD 2\n");
    CHECK_EQ(build_and_run(e, opts, &log), 22);
    CHECK_MSG(!from_cache(log), "%s: an edited working-directory header was a cache hit", std);
    /* Gone: clang's error, not the cached program. */
    mark_logs(cache);
    CHECK(unlink(CWD_H) == 0);
    CHECK_EQ(build_and_run(e, opts, &log), -1000 + CL_BUILD_PROGRAM_FAILURE);
    CHECK_MSG(strstr(log, CWD_H) && strstr(log, "not found"),
              "log does not name the missing header:\n%s", log);
    /* Back as it was first: the entry now records the last headers, so a miss again. */
    write_text(CWD_H, "#define FROM_CWD 1\n");
    write_text("inc/dep_inc.h", "#define FROM_INC 10\n");
    made = entries(cache);
    CHECK_EQ(build_and_run(e, opts, &log), 11);
    CHECK(!from_cache(log));
    CHECK_EQ(entries(cache), made);
    free(log);
}

/* A clang wrapper that, after a successful compile, renames race.h (if there) over
 * inc/dep_inc.h in the working directory: the header changes after clang read it. */
static void write_wrapper(const char *path)
{
    const char *real = getenv("CLSVM_OCLC20_CLANG");
    char text[4096];
    snprintf(text, sizeof text,
             "#!/bin/sh\n\"%s\" \"$@\"\ns=$?\n"
             "if [ $s = 0 ] && [ -f race.h ]; then mv race.h inc/dep_inc.h; fi\nexit $s\n",
             real && *real ? real : "clang-15");
    write_text(path, text);
    CHECK(chmod(path, 0755) == 0);
}

static void check_race(const svm_env *e, const char *cache)
{
    /* Options of their own: a key with no entry yet. */
    const char *opts = "-cl-std=CL2.0 -I inc -DRACE";
    char *log = NULL;
    write_text(CWD_H, "#define FROM_CWD 1\n");
    write_text("inc/dep_inc.h", "#define FROM_INC 10\n");
    write_text("race.h", "#define FROM_INC 30\n");
    CHECK_EQ(build_and_run(e, opts, &log), 11); /* what clang read */
    CHECK_MSG(access("race.h", F_OK) != 0, "the clang wrapper did not replace the header");
    CHECK_MSG(build_and_run(e, opts, &log) == 31,
              "a header replaced while clang ran: the cache answered with what clang had read");
    CHECK(!from_cache(log));
    /* Unchanged since: that build was cached. */
    mark_logs(cache);
    CHECK_EQ(build_and_run(e, opts, &log), 31);
    CHECK(from_cache(log));
    free(log);
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
    char wrapper[4300];
    snprintf(wrapper, sizeof wrapper, "%s/clang-wrapper", dir);
    write_wrapper(wrapper);
    CHECK(setenv("CLSVM_OCLC20_CLANG", wrapper, 1) == 0);

    svm_env e;
    svm_env_open(&e);
    oclc20_require_path(&e);
    check_std(&e, cache, "-cl-std=CL2.0");
    check_std(&e, cache, "-cl-std=CL3.0");
    check_race(&e, cache);
    svm_env_close(&e);

    /* Leave nothing behind (the cache's files, then the directories). */
    unlink(CWD_H);
    unlink("inc/dep_inc.h");
    rmdir("inc");
    unlink(wrapper);
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
