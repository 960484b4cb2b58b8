/*
 * kernel_lib.c: the functions the backend's kernel library resolves (kernel_lib.h).
 *
 * The library is pocl's kernel-<triple>-<variant>.bc, the variant chosen from the CPU as pocl
 * chooses it ($CLSVM_OCLC20_KERNEL_LIB names another file, or "off" for no check). clang
 * disassembles it once (tens of MB of text, seconds); one pass records each defined function
 * and the functions its body references, and a walk back from the functions the library only
 * declares marks every function that reaches one. A declaration counts as resolved when it is
 * an LLVM intrinsic, one of pocl's own hooks (pocl.*, __pocl*) or a C library function (not
 * mangled, not Sleef_*): pocl's passes or the loader provide those. The remaining defined
 * functions, sorted, are the answer; the list is cached under the clang cache directory, keyed
 * by the library's path, size and modification time and the clang version.
 */
#include "kernel_lib.h"

#include "cache.h"
#include "clang_run.h"

#include "clsvm/internal/config.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define POCL_DATA_DIR "/usr/share/pocl"
#define POCL_TRIPLE "x86_64-pc-linux-gnu"

static char lib_path[1024];
static char lib_id[1200];
static char **names; /* sorted; NULL: unknown */
static size_t n_names;
static pthread_once_t lib_once = PTHREAD_ONCE_INIT;

/* pocl 3.1's choice of its x86-64 library variant (getX86KernelLibName), from the CPU flags GCC
 * can test. */
static const char *x86_variant(void)
{
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f"))
        return "avx512";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
        __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2"))
        return "avx2";
    if (__builtin_cpu_supports("avx") && __builtin_cpu_supports("fma4"))
        return "avx_fma4";
    if (__builtin_cpu_supports("avx"))
        return "avx";
    if (__builtin_cpu_supports("sse4.1"))
        return "sse41";
    if (__builtin_cpu_supports("ssse3"))
        return "ssse3";
#endif
    return "sse2";
}

static int find_library(void)
{
    const char *opt = clsvm_option_str(CLSVM_OPT_OCLC20_KERNEL_LIB); /* "": unset */
    if (!strcmp(opt, "off"))
        return -1;
    if (*opt)
        snprintf(lib_path, sizeof lib_path, "%s", opt);
    else
        snprintf(lib_path, sizeof lib_path, "%s/kernel-%s-%s.bc", POCL_DATA_DIR, POCL_TRIPLE,
                 x86_variant());
    struct stat st;
    if (stat(lib_path, &st) != 0 || !S_ISREG(st.st_mode))
        return -1;
    snprintf(lib_id, sizeof lib_id, "%s %lld %lld.%09ld", lib_path, (long long)st.st_size,
             (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    return 0;
}

/* ---- the name table: open addressing over interned names ---- */

typedef struct fn {
    char *name;
    unsigned defined : 1, declared : 1, bad : 1;
} fn;

typedef struct table {
    fn *v;
    uint32_t *slot; /* index + 1 into v, 0: empty */
    size_t n, cap, nslot;
    uint32_t *edges; /* pairs (from, to) */
    size_t nedges, edges_cap;
} table;

static uint64_t hash_name(const char *s, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
    return h;
}

static int grow_slots(table *t)
{
    size_t ns = t->nslot ? t->nslot * 2 : 1 << 16;
    uint32_t *s = calloc(ns, sizeof *s);
    if (!s)
        return -1;
    for (size_t i = 0; i < t->n; i++) {
        size_t at = hash_name(t->v[i].name, strlen(t->v[i].name)) & (ns - 1);
        while (s[at])
            at = (at + 1) & (ns - 1);
        s[at] = (uint32_t)i + 1;
    }
    free(t->slot);
    t->slot = s;
    t->nslot = ns;
    return 0;
}

/* The index of name (len bytes), added when new; -1 when out of memory. */
static long intern(table *t, const char *name, size_t len)
{
    if ((t->n + 1) * 2 > t->nslot && grow_slots(t))
        return -1;
    size_t at = hash_name(name, len) & (t->nslot - 1);
    for (; t->slot[at]; at = (at + 1) & (t->nslot - 1)) {
        const char *have = t->v[t->slot[at] - 1].name;
        if (strlen(have) == len && !memcmp(have, name, len))
            return (long)t->slot[at] - 1;
    }
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 1 << 15;
        fn *v = realloc(t->v, cap * sizeof *v);
        if (!v)
            return -1;
        t->v = v;
        t->cap = cap;
    }
    char *copy = strndup(name, len);
    if (!copy)
        return -1;
    t->v[t->n] = (fn){.name = copy};
    t->slot[at] = (uint32_t)t->n + 1;
    return (long)t->n++;
}

static int add_edge(table *t, uint32_t from, uint32_t to)
{
    if (t->nedges + 2 > t->edges_cap) {
        size_t cap = t->edges_cap ? t->edges_cap * 2 : 1 << 18;
        uint32_t *e = realloc(t->edges, cap * sizeof *e);
        if (!e)
            return -1;
        t->edges = e;
        t->edges_cap = cap;
    }
    t->edges[t->nedges++] = from;
    t->edges[t->nedges++] = to;
    return 0;
}

static void table_free(table *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->v[i].name);
    free(t->v);
    free(t->slot);
    free(t->edges);
}

/* The LLVM identifier after the '@' at p: its start and length (quotes removed). */
static const char *ident(const char *p, size_t *len)
{
    if (*p == '"') {
        const char *end = strchr(p + 1, '"');
        *len = end ? (size_t)(end - p - 1) : 0;
        return p + 1;
    }
    size_t n = 0;
    while ((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= 'A' && p[n] <= 'Z') ||
           (p[n] >= '0' && p[n] <= '9') || p[n] == '_' || p[n] == '.' || p[n] == '$' || p[n] == '-')
        n++;
    *len = n;
    return p;
}

/* A declaration pocl's passes or the dynamic loader resolve. */
static int resolved_elsewhere(const char *name)
{
    return !strncmp(name, "llvm.", 5) || !strncmp(name, "pocl.", 5) ||
           !strncmp(name, "__pocl", 6) || (strncmp(name, "_Z", 2) && strncmp(name, "Sleef_", 6));
}

/* One line of the disassembled library. */
static int scan_line(table *t, const char *line, long *cur)
{
    int def = !strncmp(line, "define ", 7), decl = !strncmp(line, "declare ", 8);
    if (def || decl) {
        const char *at = strchr(line, '@');
        if (!at)
            return 0;
        size_t len;
        const char *name = ident(at + 1, &len);
        long i = intern(t, name, len);
        if (i < 0)
            return -1;
        if (def) {
            t->v[i].defined = 1;
            *cur = i;
        } else {
            t->v[i].declared = 1;
        }
        return 0;
    }
    if (*cur < 0)
        return 0;
    if (line[0] == '}') {
        *cur = -1;
        return 0;
    }
    for (const char *at = strchr(line, '@'); at; at = strchr(at + 1, '@')) {
        size_t len;
        const char *name = ident(at + 1, &len);
        if (!len)
            continue;
        long i = intern(t, name, len);
        if (i < 0 || add_edge(t, (uint32_t)*cur, (uint32_t)i))
            return -1;
    }
    return 0;
}

/* Marks every function that reaches an unresolved declaration (edges walked backwards). */
static int mark_bad(table *t)
{
    size_t *first = calloc(t->n + 1, sizeof *first);
    uint32_t *callers = malloc((t->nedges / 2 + 1) * sizeof *callers);
    uint32_t *queue = malloc((t->n + 1) * sizeof *queue);
    if (!first || !callers || !queue) {
        free(first);
        free(callers);
        free(queue);
        return -1;
    }
    for (size_t e = 0; e < t->nedges; e += 2)
        first[t->edges[e + 1] + 1]++;
    for (size_t i = 0; i < t->n; i++)
        first[i + 1] += first[i];
    size_t *fill = calloc(t->n + 1, sizeof *fill);
    if (!fill) {
        free(first);
        free(callers);
        free(queue);
        return -1;
    }
    for (size_t e = 0; e < t->nedges; e += 2) {
        uint32_t to = t->edges[e + 1];
        callers[first[to] + fill[to]++] = t->edges[e];
    }
    size_t head = 0, tail = 0;
    for (size_t i = 0; i < t->n; i++)
        if (t->v[i].declared && !t->v[i].defined && !resolved_elsewhere(t->v[i].name)) {
            t->v[i].bad = 1;
            queue[tail++] = (uint32_t)i;
        }
    while (head < tail) {
        uint32_t to = queue[head++];
        for (size_t k = first[to]; k < first[to + 1]; k++) {
            uint32_t from = callers[k];
            if (!t->v[from].bad) {
                t->v[from].bad = 1;
                queue[tail++] = from;
            }
        }
    }
    free(fill);
    free(first);
    free(callers);
    free(queue);
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted list of resolved functions, as one text of lines, from the library itself. */
static char *compute_list(void)
{
    char dir[1100], ll[1200];
    snprintf(dir, sizeof dir, "%s/clsvm-kernel-lib-XXXXXX", oclc20_tmpdir());
    if (!mkdtemp(dir))
        return NULL;
    snprintf(ll, sizeof ll, "%s/lib.ll", dir);
    char *argv[] = {
        (char *)oclc20_clang(), "-x", "ir", "-S", "-emit-llvm", "-o", ll, lib_path, NULL};
    char *err = NULL;
    int st = oclc20_run(argv, NULL, &err);
    free(err);
    FILE *f = st == 0 ? fopen(ll, "r") : NULL;
    char *text = NULL;
    table t = {0};
    if (f) {
        char *line = NULL;
        size_t cap = 0;
        long cur = -1;
        int bad = 0;
        while (!bad && getline(&line, &cap, f) > 0)
            bad = scan_line(&t, line, &cur);
        free(line);
        fclose(f);
        if (!bad && !mark_bad(&t)) {
            char **good = malloc((t.n + 1) * sizeof *good);
            size_t ng = 0, bytes = 1;
            for (size_t i = 0; good && i < t.n; i++)
                if (t.v[i].defined && !t.v[i].bad) {
                    good[ng++] = t.v[i].name;
                    bytes += strlen(t.v[i].name) + 1;
                }
            /* No function at all: not a kernel library (or not what clang gave back). */
            if (good && ng) {
                qsort(good, ng, sizeof *good, by_name);
                text = malloc(bytes);
                char *w = text;
                for (size_t i = 0; text && i < ng; i++)
                    w += sprintf(w, "%s\n", good[i]);
                if (text)
                    *w = '\0';
            }
            free(good);
        }
    }
    table_free(&t);
    unlink(ll);
    rmdir(dir);
    return text;
}

/* names[] pointing into text (lines made strings). */
static void index_list(char *text)
{
    size_t n = 0;
    for (char *p = text; *p; p++)
        n += *p == '\n';
    names = malloc((n + 1) * sizeof *names);
    if (!names)
        return;
    for (char *p = text, *nl; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
        *nl = '\0';
        names[n_names++] = p;
    }
}

static void load(void)
{
    if (find_library() != 0 || !oclc20_clang_version())
        return;
    const char *cdir = oclc20_cache_dir();
    char key[33], path[2200] = "";
    oclc20_key k;
    oclc20_key_init(&k);
    oclc20_key_str(&k, "clsvm-kernel-lib-1");
    oclc20_key_str(&k, lib_id);
    oclc20_key_str(&k, oclc20_clang_version());
    oclc20_key_done(&k, key);
    char *text = NULL;
    if (cdir) {
        snprintf(path, sizeof path, "%s/kernel-lib-%s.txt", cdir, key);
        text = oclc20_read_file(path, NULL);
    }
    if (!text) {
        text = compute_list();
        if (text && cdir)
            oclc20_write_file(path, text, strlen(text));
    }
    if (text)
        index_list(text); /* text stays: names point into it for the life of the process */
}

int oclc20_kernel_lib_has(const char *name)
{
    pthread_once(&lib_once, load);
    if (!names)
        return -1;
    return bsearch(&name, names, n_names, sizeof *names, by_name) != NULL;
}

const char *oclc20_kernel_lib_id(void)
{
    pthread_once(&lib_once, load);
    return names ? lib_id : "";
}
