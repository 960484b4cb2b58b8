/*
 * cache.c: the SPIR path's cache (cache.h): keys, the directory, and dependency records.
 *
 * A key hashes everything clsvm hands clang (spir.c). What clang reads on its own, headers
 * that #include finds through -I or the working directory, cannot be in the key; clang lists
 * them (-MMD), and the entry keeps each one's content hash: a hit whose headers changed is a
 * miss, so an edited header is never answered with the old program.
 */
#include "cache.h"

#include "clang_run.h"

#include "clsvm/internal/config.h"
#include "clsvm/internal/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static uint64_t fnv(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

void oclc20_key_init(oclc20_key *k)
{
    k->a = 0xcbf29ce484222325ull;
    k->b = 0x84222325cbf29ce4ull;
}

void oclc20_key_add(oclc20_key *k, const void *data, size_t n)
{
    uint64_t len = n;
    k->a = fnv(fnv(k->a, &len, sizeof len), data, n);
    k->b = fnv(fnv(k->b, &len, sizeof len), data, n);
}

void oclc20_key_str(oclc20_key *k, const char *s)
{
    oclc20_key_add(k, s ? s : "", s ? strlen(s) : 0);
}

void oclc20_key_done(const oclc20_key *k, char out[33])
{
    snprintf(out, 33, "%016llx%016llx", (unsigned long long)k->a, (unsigned long long)k->b);
}

int oclc20_mkdirs(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        int r = mkdir(path, 0755);
        *p = '/';
        if (r != 0 && errno != EEXIST)
            return -1;
    }
    return mkdir(path, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

static char cache_path[2048];
static int cache_ok;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;

static void find_cache_dir(void)
{
    const char *opt = clsvm_option_str(CLSVM_OPT_OCLC20_CACHE_DIR); /* "": unset */
    /* The system's variables, not clsvm options: they only place the default. */
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    int n = -1;
    if (!strcmp(opt, "off"))
        n = -1;
    else if (*opt)
        n = snprintf(cache_path, sizeof cache_path, "%s", opt);
    else if (xdg && *xdg)
        n = snprintf(cache_path, sizeof cache_path, "%s/clsvm/oclc20", xdg);
    else if (home && *home)
        n = snprintf(cache_path, sizeof cache_path, "%s/.cache/clsvm/oclc20", home);
    cache_ok = n > 0 && (size_t)n < sizeof cache_path && oclc20_mkdirs(cache_path) == 0;
    /* An explicit directory that does not work is worth one line; the default failing (no
     * writable $HOME) only means no cache. */
    if (!cache_ok && *opt && strcmp(opt, "off"))
        clsvm_log(CLSVM_LOG_WARN,
                  "CLSVM_OCLC20_CACHE_DIR='%s' cannot be used (%s); OpenCL C 2.x builds are not "
                  "cached: set it to a writable directory or to \"off\"",
                  opt, n > 0 && (size_t)n < sizeof cache_path ? strerror(errno) : "path too long");
}

const char *oclc20_cache_dir(void)
{
    pthread_once(&cache_once, find_cache_dir);
    return cache_ok ? cache_path : NULL;
}

/* ---- dependency records ---- */

/* Content hash of a regular file (FNV-1a, 64 bits); -1 when it cannot be read, is not a
 * regular file (a FIFO or device would block or never match), or changed after *since (when
 * given). The status change time, not the modification time: it also moves when a file
 * prepared earlier is renamed into place, and nobody can set it back. */
static int file_hash(const char *path, const struct timespec *since, uint64_t *h)
{
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return -1;
    if (since && (st.st_ctim.tv_sec > since->tv_sec ||
                  (st.st_ctim.tv_sec == since->tv_sec && st.st_ctim.tv_nsec > since->tv_nsec)))
        return -1;
    size_t len = 0;
    char *data = oclc20_read_file(path, &len);
    if (!data)
        return -1;
    *h = fnv(0xcbf29ce484222325ull, data, len);
    free(data);
    return 0;
}

/* The next path of a make rule's prerequisites at *p (backslash escapes undone, line
 * continuations skipped) into out (size n); 0 at the end. */
static int next_path(const char **p, char *out, size_t n)
{
    const char *s = *p;
    for (;;) {
        while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
            s++;
        if (s[0] == '\\' && (s[1] == '\n' || (s[1] == '\r' && s[2] == '\n')))
            s += s[1] == '\n' ? 2 : 3;
        else
            break;
    }
    size_t k = 0;
    while (*s && *s != ' ' && *s != '\t' && *s != '\n' && *s != '\r') {
        if (s[0] == '\\' && (s[1] == ' ' || s[1] == '#' || s[1] == '\\'))
            s++;
        else if (s[0] == '$' && s[1] == '$')
            s++;
        if (k + 1 < n)
            out[k++] = *s;
        s++;
    }
    out[k] = '\0';
    *p = s;
    return k > 0;
}

int oclc20_deps_write(const char *deps_d, const char *work, const struct timespec *started,
                      const char *out_path)
{
    char *text = oclc20_read_file(deps_d, NULL);
    if (!text)
        return -1;
    /* Prerequisites follow the first ": " (the target is clang's output path). */
    const char *p = strstr(text, ": ");
    p = p ? p + 2 : text + strlen(text);
    size_t wl = strlen(work), cap = 256, used = 0;
    char *rec = malloc(cap), path[4096];
    int bad = !rec;
    while (!bad && next_path(&p, path, sizeof path)) {
        if (!strncmp(path, work, wl) && path[wl] == '/')
            continue; /* clsvm's own inputs: in the key */
        uint64_t h;
        if (file_hash(path, started, &h)) {
            bad = 1;
            break;
        }
        size_t need = used + 17 + strlen(path) + 2;
        if (need > cap) {
            char *n = realloc(rec, cap = need * 2);
            if (!n) {
                bad = 1;
                break;
            }
            rec = n;
        }
        used += (size_t)sprintf(rec + used, "%016llx %s\n", (unsigned long long)h, path);
    }
    if (!bad && oclc20_write_file(out_path, rec ? rec : "", used))
        bad = 1;
    free(rec);
    free(text);
    return bad ? -1 : 0;
}

int oclc20_deps_current(const char *path)
{
    char *text = oclc20_read_file(path, NULL);
    if (!text)
        return 0;
    int current = 1;
    for (char *line = text, *end; current && *line; line = end) {
        end = strchr(line, '\n');
        end = end ? end + 1 : line + strlen(line);
        if (end - line < 18 || line[16] != ' ') {
            current = 0;
            break;
        }
        char *nl = end[-1] == '\n' ? end - 1 : end, save = *nl;
        *nl = '\0';
        uint64_t want = strtoull(line, NULL, 16), h;
        current = file_hash(line + 17, NULL, &h) == 0 && h == want;
        *nl = save;
    }
    free(text);
    return current;
}
