/* test_stats_json: clsvm_window_stats_json agrees with clsvm_window_get_stats, follows
 * snprintf semantics, and CLSVM_STATS=<file> makes a child write valid JSON at exit. */
#include "check.h"

#include "clsvm/runtime.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* A small JSON syntax checker: returns the end of one value, or NULL. */
static const char *ws(const char *s)
{
    while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
        s++;
    return s;
}

static const char *value(const char *s);

static const char *string(const char *s)
{
    if (*s++ != '"')
        return NULL;
    for (; *s && *s != '"'; s++)
        if (*s == '\\' && !*++s)
            return NULL;
    return *s == '"' ? s + 1 : NULL;
}

static const char *value(const char *s)
{
    s = ws(s);
    if (*s == '{' || *s == '[') {
        char close = *s == '{' ? '}' : ']';
        s = ws(s + 1);
        if (*s == close)
            return s + 1;
        for (;;) {
            if (close == '}') {
                if (!(s = string(ws(s))) || *(s = ws(s)) != ':')
                    return NULL;
                s++;
            }
            if (!(s = value(s)))
                return NULL;
            s = ws(s);
            if (*s == close)
                return s + 1;
            if (*s++ != ',')
                return NULL;
        }
    }
    if (*s == '"')
        return string(s);
    if (*s == '-' || isdigit((unsigned char)*s)) {
        char *end;
        strtod(s, &end);
        return end;
    }
    for (const char *const *k = (const char *const[]){"true", "false", "null", NULL}; *k; k++)
        if (!strncmp(s, *k, strlen(*k)))
            return s + strlen(*k);
    return NULL;
}

static int valid_json(const char *s)
{
    const char *e = value(s);
    return e && *ws(e) == '\0';
}

static void want_field(const char *json, const char *name, unsigned long long v)
{
    char pat[128];
    snprintf(pat, sizeof pat, "\"%s\":%llu", name, v);
    const char *hit = strstr(json, pat);
    CHECK_MSG(hit && !isdigit((unsigned char)hit[strlen(pat)]), "%s not in %s", pat, json);
}

static int child_main(void)
{
    clsvm_config cfg;
    clsvm_config_init(&cfg);
    cfg.window_size = 256 << 20;
    clsvm_window *a, *b;
    void *p;
    if (clsvm_window_open(&cfg, &a) || clsvm_window_open(&cfg, &b))
        return 2;
    for (int i = 0; i < 2; i++)
        if (clsvm_alloc(a, 1000, 0, 0, NULL, &p))
            return 3;
    clsvm_window_close(a); /* recorded as "closed" with 2 live allocations */
    for (int i = 0; i < 3; i++)
        if (clsvm_alloc(b, 5000, 0, 0, NULL, &p))
            return 3;
    return 0; /* b stays open: written at exit with 3 live allocations */
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "child"))
        return child_main();

    clsvm_window *w;
    CHECK_EQ(clsvm_window_open(NULL, &w), CLSVM_OK);
    void *p[5];
    for (int i = 0; i < 5; i++)
        CHECK_EQ(clsvm_alloc(w, (size_t)(i + 1) * 3000, 0, 0, NULL, &p[i]), CLSVM_OK);
    CHECK_EQ(clsvm_free(w, p[2]), CLSVM_OK);
    void *fail;
    CHECK_EQ(clsvm_alloc(w, 0, 0, 0, NULL, &fail), CLSVM_ERR_INVALID);

    clsvm_stats st;
    clsvm_window_info wi;
    clsvm_window_get_stats(w, &st);
    clsvm_window_get_info(w, &wi);
    size_t need = clsvm_window_stats_json(w, NULL, 0);
    CHECK(need > 100);
    char *json = malloc(need + 1);
    CHECK(json != NULL);
    CHECK_EQ(clsvm_window_stats_json(w, json, need + 1), need);
    CHECK_EQ(strlen(json), need);
    printf("%s\n", json);
    CHECK_MSG(valid_json(json), "invalid JSON: %s", json);
    want_field(json, "base", wi.base);
    want_field(json, "size", wi.size);
    want_field(json, "va_bits", wi.va_bits);
    want_field(json, "commit_chunk", wi.commit_chunk);
    want_field(json, "reserved", st.reserved);
    want_field(json, "committed", st.committed);
    want_field(json, "allocated", st.allocated);
    want_field(json, "live_allocations", 4);
    want_field(json, "free_bytes", st.free_bytes);
    want_field(json, "free_ranges", st.free_ranges);
    want_field(json, "largest_free", st.largest_free);
    want_field(json, "peak_allocated", st.peak_allocated);
    want_field(json, "commits", st.commits);
    want_field(json, "decommits", st.decommits);
    want_field(json, "failed_allocs", 1);
    want_field(json, "retained", st.retained);
    want_field(json, "purges", st.purges);
    want_field(json, "purged", st.purged);
    want_field(json, "purge_threshold", st.purge_threshold);
    /* p[2] (9000 bytes) was freed between live blocks: its whole pages are retained. */
    CHECK(st.retained >= 4096 && st.retained <= 12288);
    CHECK_EQ(st.allocated, (1 + 2 + 4 + 5) * 3000);
    CHECK(strstr(json, "\"provider\":\"reserve\""));
    char hex[64];
    snprintf(hex, sizeof hex, "\"base_hex\":\"0x%llx\"", (unsigned long long)wi.base);
    CHECK(strstr(json, hex));

    /* Truncation: snprintf semantics, always NUL-terminated. */
    char small[16];
    memset(small, 'x', sizeof small);
    CHECK_EQ(clsvm_window_stats_json(w, small, sizeof small), need);
    CHECK_EQ(strlen(small), sizeof small - 1);
    CHECK(!strncmp(small, json, sizeof small - 1));
    free(json);
    for (int i = 0; i < 5; i++)
        if (i != 2)
            CHECK_EQ(clsvm_free(w, p[i]), CLSVM_OK);
    clsvm_window_close(w);

    /* CLSVM_STATS in a child: one closed and one open window end up in the file. */
    char path[] = "/tmp/clsvm-stats-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    char var[64 + sizeof path];
    snprintf(var, sizeof var, "CLSVM_STATS=%s", path);
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        static char *envp[512];
        size_t n = 0;
        for (char **e = environ; *e && n < 500; e++)
            if (strncmp(*e, "CLSVM_", 6))
                envp[n++] = *e;
        envp[n++] = var;
        envp[n] = NULL;
        char *args[] = {"test_stats_json", "child", NULL};
        execve("/proc/self/exe", args, envp);
        _exit(127);
    }
    int status;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %#x", status);
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    static char text[1 << 16];
    size_t len = fread(text, 1, sizeof text - 1, f);
    text[len] = '\0';
    fclose(f);
    unlink(path);
    printf("%s", text);
    CHECK_MSG(valid_json(text), "CLSVM_STATS wrote invalid JSON: %s", text);
    const char *closed = strstr(text, "{\"state\":\"closed\"");
    const char *open = strstr(text, "{\"state\":\"open\"");
    CHECK(closed && open); /* exactly one of each */
    CHECK(!strstr(closed + 2, "\"state\":\"closed\"") && !strstr(open + 2, "\"state\":\"open\""));
    /* Each window's fields follow its state marker. */
    const char *lc = strstr(closed, "\"live_allocations\":");
    const char *lo = strstr(open, "\"live_allocations\":");
    CHECK(lc && lo);
    CHECK_EQ(atoi(lc + strlen("\"live_allocations\":")), 2);
    CHECK_EQ(atoi(lo + strlen("\"live_allocations\":")), 3);
    want_field(text, "allocated", 15000);
    puts("ok");
    return 0;
}
