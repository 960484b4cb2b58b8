/*
 * test_stats_process <race|fork|pid> <workdir>: CLSVM_STATS across processes, every dump read
 * back with clsvm-stat's JSON reader.
 *  race  10 rounds of 8 processes (this program re-executed as "writer") sharing one
 *        CLSVM_STATS path and exiting at the same moment, each with its own number of live
 *        allocations (dumps of tens of KiB, all of different lengths): after each round the
 *        file is one complete, valid document of one of the 8 writers, with that writer's
 *        count, and no temporary file is left behind.
 *  fork  a process opens, uses and closes a window (its dump is written), then fork()s; the
 *        child opens a window of its own and exits: the file still holds the parent's dump.
 *  pid   CLSVM_STATS=<dir>/s-%p.json: a parent and its fork() child each write their own file,
 *        named by their pid, holding their own windows.
 */
#include "check.h"
#include "clsvm/runtime.h"
#include "json.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define WRITERS 8
#define ROUNDS 10
#define WRITER_ALLOCS(i) (600 + 400 * (i))

/* The dump at path, parsed (NULL with a message when missing or invalid). */
static json *read_dump(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return NULL;
    }
    static char text[16 << 20];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    char err[256];
    json *doc = json_parse(text, err, sizeof err);
    if (!doc)
        fprintf(stderr, "%s (%zu bytes) is not valid JSON: %s\n", path, n, err);
    return doc;
}

/* Live allocations summed over the dump's windows, and the window count. */
static uint64_t dump_live(const json *doc, size_t *nwin)
{
    const json *wins = json_get(doc, "windows");
    CHECK(wins && wins->type == JSON_ARRAY);
    uint64_t live = 0;
    for (size_t i = 0; i < wins->n; i++) {
        uint64_t v = 0;
        CHECK(json_get_u64(json_get(&wins->items[i], "stats"), "live_allocations", &v));
        live += v;
    }
    *nwin = wins->n;
    return live;
}

static uint64_t dump_pid(const json *doc)
{
    uint64_t pid = 0;
    CHECK(json_get_u64(doc, "pid", &pid));
    return pid;
}

static clsvm_window *open_window(void)
{
    clsvm_config cfg;
    clsvm_config_init(&cfg);
    cfg.window_size = (uint64_t)256 << 20;
    cfg.provider = "reserve";
    clsvm_window *w = NULL;
    CHECK_EQ(clsvm_window_open(&cfg, &w), CLSVM_OK);
    return w;
}

static void allocate(clsvm_window *w, int n)
{
    for (int i = 0; i < n; i++) {
        void *p;
        CHECK_EQ(clsvm_alloc(w, 64 + (size_t)(i % 7) * 200, 0, 0, NULL, &p), CLSVM_OK);
        if (i % 3 == 0) /* holes, so the map has many ranges */
            CHECK_EQ(clsvm_free(w, p), CLSVM_OK);
    }
}

static int live_of(int n)
{
    return n - (n + 2) / 3;
}

/* writer i: open a window, allocate, wait for the go (EOF on stdin), exit: the dump is written
 * by the exit. */
static int mode_writer(int i)
{
    clsvm_window *w = open_window();
    allocate(w, WRITER_ALLOCS(i));
    char c;
    while (read(0, &c, 1) > 0) {
    }
    return 0;
}

static int mode_race(const char *self, const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/race.json", dir);
    int bad = 0;
    for (int round = 0; round < ROUNDS; round++) {
        unlink(path);
        int go[2];
        CHECK_EQ(pipe(go), 0);
        pid_t pids[WRITERS];
        for (int i = 0; i < WRITERS; i++) {
            pids[i] = fork();
            CHECK(pids[i] >= 0);
            if (pids[i] == 0) {
                dup2(go[0], 0);
                close(go[0]);
                close(go[1]);
                setenv("CLSVM_STATS", path, 1);
                char mode[16];
                snprintf(mode, sizeof mode, "writer%d", i);
                execl(self, self, mode, dir, (char *)NULL);
                _exit(127);
            }
        }
        close(go[0]);
        usleep(300000); /* let every writer reach its read() */
        close(go[1]);   /* all exit now */
        for (int i = 0; i < WRITERS; i++) {
            int st;
            CHECK(waitpid(pids[i], &st, 0) == pids[i]);
            CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "writer status %#x", st);
        }
        json *doc = read_dump(path);
        if (!doc) {
            bad++;
            continue;
        }
        uint64_t pid = dump_pid(doc);
        int writer = -1;
        for (int i = 0; i < WRITERS; i++)
            if ((uint64_t)pids[i] == pid)
                writer = i;
        size_t nwin;
        uint64_t live = dump_live(doc, &nwin);
        json_free(doc);
        CHECK_MSG(writer >= 0, "round %d: the dump names pid %llu, none of the writers", round,
                  (unsigned long long)pid);
        CHECK_EQ(nwin, 1);
        CHECK_EQ(live, live_of(WRITER_ALLOCS(writer)));
    }
    /* No temporary file stays behind. */
    DIR *d = opendir(dir);
    CHECK(d);
    for (struct dirent *e; (e = readdir(d));)
        CHECK_MSG(!strstr(e->d_name, ".tmp"), "left behind: %s", e->d_name);
    closedir(d);
    printf("race: %d rounds of %d writers, %d invalid dumps\n", ROUNDS, WRITERS, bad);
    CHECK_EQ(bad, 0);
    return 0;
}

static int mode_fork(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/fork.json", dir);
    unlink(path);
    setenv("CLSVM_STATS", path, 1);
    clsvm_window *w = open_window();
    allocate(w, 30);
    clsvm_window_close(w); /* the parent's dump: one closed window, 20 live allocations */
    json *doc = read_dump(path);
    CHECK(doc);
    size_t nwin;
    CHECK_EQ(dump_live(doc, &nwin), live_of(30));
    CHECK_EQ(dump_pid(doc), getpid());
    json_free(doc);

    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        clsvm_window *c = open_window();
        allocate(c, 9);
        clsvm_window_close(c);
        exit(0); /* writes no dump: the path has no %p and the file is the parent's */
    }
    int st;
    CHECK(waitpid(pid, &st, 0) == pid);
    CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %#x", st);
    doc = read_dump(path);
    CHECK(doc);
    CHECK_MSG(dump_pid(doc) == (uint64_t)getpid(), "the dump is now child %llu's, not %d's",
              (unsigned long long)dump_pid(doc), (int)getpid());
    CHECK_EQ(dump_live(doc, &nwin), live_of(30));
    CHECK_EQ(nwin, 1);
    json_free(doc);
    printf("fork: the child left its parent's dump alone\n");
    return 0;
}

static int mode_pid(const char *dir)
{
    char pattern[512], mine[600], theirs[600];
    snprintf(pattern, sizeof pattern, "%s/s-%%p.json", dir);
    setenv("CLSVM_STATS", pattern, 1);
    clsvm_window *w = open_window();
    allocate(w, 30);
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        allocate(w, 9); /* the inherited window, in the child's copy */
        clsvm_window *c = open_window();
        allocate(c, 3);
        clsvm_window_close(c);
        exit(0);
    }
    int st;
    CHECK(waitpid(pid, &st, 0) == pid);
    CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %#x", st);
    snprintf(theirs, sizeof theirs, "%s/s-%d.json", dir, (int)pid);
    json *doc = read_dump(theirs);
    CHECK(doc);
    size_t nwin;
    CHECK_EQ(dump_pid(doc), pid);
    CHECK_EQ(dump_live(doc, &nwin), live_of(30) + live_of(9) + live_of(3));
    CHECK_EQ(nwin, 2);
    json_free(doc);
    unlink(theirs);
    clsvm_window_close(w); /* the parent's own file, under its own pid */
    snprintf(mine, sizeof mine, "%s/s-%d.json", dir, (int)getpid());
    doc = read_dump(mine);
    CHECK(doc);
    CHECK_EQ(dump_pid(doc), getpid());
    CHECK_EQ(dump_live(doc, &nwin), live_of(30));
    CHECK_EQ(nwin, 1);
    json_free(doc);
    printf("pid: parent and child wrote %s and %s\n", mine, theirs);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s race|fork|pid WORKDIR\n", argv[0]);
        return 2;
    }
    mkdir(argv[2], 0755);
    if (!strncmp(argv[1], "writer", 6))
        return mode_writer(atoi(argv[1] + 6));
    if (!strcmp(argv[1], "race"))
        return mode_race(argv[0], argv[2]);
    if (!strcmp(argv[1], "fork"))
        return mode_fork(argv[2]);
    if (!strcmp(argv[1], "pid"))
        return mode_pid(argv[2]);
    fprintf(stderr, "unknown mode %s\n", argv[1]);
    return 2;
}
