/* test_numa_nohwloc: in a build without hwloc, NUMA placement is a no-op that says so once at
 * info level and in the stats JSON, however many chunks are committed. Run with CLSVM_LOG=info. */
#include "check.h"

#include "clsvm/runtime.h"

#include <string.h>
#include <unistd.h>

int main(void)
{
    char errpath[] = "/tmp/clsvm-numa-nohwloc-XXXXXX";
    int fd = mkstemp(errpath);
    CHECK(fd >= 0);
    CHECK(freopen(errpath, "w", stderr));
    clsvm_window *w;
    CHECK_EQ(clsvm_window_open(NULL, &w), CLSVM_OK);
    for (int i = 0; i < 4; i++) {
        void *p;
        CHECK_EQ(clsvm_alloc(w, (size_t)3 << 20, 0, 0, NULL, &p), CLSVM_OK);
    }
    static char json[1 << 16];
    CHECK(clsvm_window_stats_json(w, json, sizeof json) < sizeof json);
    clsvm_window_close(w);
    fflush(stderr);
    static char err[1 << 16];
    FILE *f = fopen(errpath, "r");
    CHECK(f);
    size_t n = fread(err, 1, sizeof err - 1, f);
    err[n] = '\0';
    fclose(f);
    unlink(errpath);
    int lines = 0;
    for (const char *p = err; (p = strstr(p, "numa: built without hwloc")); p++)
        lines++;
    CHECK_EQ(lines, 1);
    CHECK(strstr(json, "\"numa\":{") && strstr(json, "\"node\":-1") &&
          strstr(json, "built without hwloc"));
    printf("test_numa_nohwloc: ok\n");
    return 0;
}
