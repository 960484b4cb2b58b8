/* clsvm-stat: read a clsvm stats dump and print a summary; --svg draws the window map.
 *   clsvm-stat [--svg FILE] [--window N] DUMP       DUMP: a CLSVM_STATS file, the output of
 *                                                    clsvm_window_stats_json, or - for stdin
 *   clsvm-stat [--svg FILE] [--window N] --pid PID   the dump named by that process's CLSVM_STATS
 * Exit status: 0 done, 1 bad usage, 2 the dump cannot be read or is not a clsvm stats dump. */
#include "json.h"
#include "report.h"
#include "stat_dump.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_INPUT ((size_t)256 << 20) /* a dump is at most a few hundred KiB per window */

static int usage(void)
{
    fprintf(stderr, "usage: clsvm-stat [--svg FILE] [--window N] DUMP|-\n"
                    "       clsvm-stat [--svg FILE] [--window N] --pid PID\n"
                    "DUMP is a CLSVM_STATS file or clsvm_window_stats_json output "
                    "(see docs/runtime.md)\n");
    return 1;
}

/* Read a whole stream (NUL-terminated; *out_len bytes without the NUL), NULL with errno on
 * failure or when too large. */
static char *slurp(FILE *f, size_t *out_len)
{
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        len += fread(buf + len, 1, cap - len - 1, f);
        if (ferror(f)) {
            free(buf);
            return NULL;
        }
        if (feof(f)) {
            buf[len] = '\0';
            *out_len = len;
            return buf;
        }
        if (cap >= MAX_INPUT) {
            free(buf);
            errno = EFBIG;
            return NULL;
        }
        char *bigger = realloc(buf, cap * 2);
        if (!bigger)
            free(buf);
        buf = bigger;
        cap *= 2;
    }
    return NULL;
}

/* A CLSVM_STATS path as that process writes it: "%p" is its pid, "%%" a '%' (malloc'd). */
static char *expand_pid(const char *pattern, const char *pid)
{
    char *out = malloc(strlen(pattern) * (strlen(pid) + 1) + 1);
    if (!out)
        return NULL;
    char *o = out;
    for (const char *c = pattern; *c; c++) {
        if (c[0] == '%' && c[1] == 'p') {
            o += sprintf(o, "%s", pid);
            c++;
        } else {
            *o++ = *c;
            if (c[0] == '%' && c[1] == '%')
                c++;
        }
    }
    *o = '\0';
    return out;
}

/* The CLSVM_STATS path in /proc/PID/environ (malloc'd), or NULL with a message. */
static char *dump_of_pid(const char *pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%s/environ", pid);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "clsvm-stat: cannot read %s: %s (is process %s running, and yours?)\n",
                path, strerror(errno), pid);
        return NULL;
    }
    size_t len = 0;
    char *env = slurp(f, &len);
    fclose(f);
    if (!env) {
        fprintf(stderr, "clsvm-stat: cannot read %s\n", path);
        free(env);
        return NULL;
    }
    /* environ is NUL-separated; slurp stopped counting at the data's end. */
    for (char *e = env; e < env + len; e += strlen(e) + 1)
        if (!strncmp(e, "CLSVM_STATS=", 12) && e[12]) {
            char *p = expand_pid(e + 12, pid);
            free(env);
            return p;
        }
    free(env);
    fprintf(stderr,
            "clsvm-stat: process %s has no CLSVM_STATS in its environment: start it with "
            "CLSVM_STATS=<file> to get a dump\n",
            pid);
    return NULL;
}

int main(int argc, char **argv)
{
    const char *svg = NULL, *input = NULL, *pid = NULL;
    long only = -1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--svg") && i + 1 < argc) {
            svg = argv[++i];
        } else if (!strcmp(argv[i], "--pid") && i + 1 < argc) {
            pid = argv[++i];
        } else if (!strcmp(argv[i], "--window") && i + 1 < argc) {
            char *end;
            only = strtol(argv[++i], &end, 10);
            if (*end || only < 0)
                return usage();
        } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage();
            return 0;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return usage();
        } else if (!input) {
            input = argv[i];
        } else {
            return usage();
        }
    }
    if (!!input == !!pid)
        return usage();
    char *pid_path = pid ? dump_of_pid(pid) : NULL;
    if (pid && !pid_path)
        return 2;
    if (pid_path)
        input = pid_path;

    FILE *f = strcmp(input, "-") ? fopen(input, "rb") : stdin;
    if (!f) {
        fprintf(stderr, "clsvm-stat: cannot open '%s': %s%s\n", input, strerror(errno),
                pid ? " (the dump is written when a window closes and at exit)" : "");
        free(pid_path);
        return 2;
    }
    size_t text_len;
    char *text = slurp(f, &text_len);
    int read_errno = errno;
    if (f != stdin)
        fclose(f);
    if (!text) {
        fprintf(stderr, "clsvm-stat: cannot read '%s': %s\n", input, strerror(read_errno));
        free(pid_path);
        return 2;
    }
    char err[256];
    json *root = NULL;
    if (strlen(text) != text_len)
        snprintf(err, sizeof err, "it contains a NUL byte");
    else
        root = json_parse(text, err, sizeof err);
    free(text);
    stat_dump d;
    if (!root || stat_dump_read(root, &d, err, sizeof err)) {
        fprintf(stderr, "clsvm-stat: '%s' is not a valid clsvm stats dump: %s\n", input, err);
        json_free(root);
        free(pid_path);
        return 2;
    }
    if (only >= 0 && (size_t)only >= d.n) {
        fprintf(stderr, "clsvm-stat: '%s' has %zu windows, no window %ld\n", input, d.n, only);
        stat_dump_free(&d);
        json_free(root);
        free(pid_path);
        return 1;
    }
    size_t first = only >= 0 ? (size_t)only : 0, n = only >= 0 ? 1 : d.n;

    printf("clsvm-stat: %s", input);
    if (d.has_pid)
        printf(": pid %llu", (unsigned long long)d.pid);
    printf(", %zu %s\n", d.n, d.n == 1 ? "window" : "windows");
    for (size_t i = first; i < first + n; i++)
        print_summary(stdout, &d.windows[i], i);

    int rc = 0;
    if (svg) {
        FILE *out = fopen(svg, "w");
        if (!out) {
            fprintf(stderr, "clsvm-stat: cannot write '%s': %s\n", svg, strerror(errno));
            rc = 2;
        } else {
            write_svg(out, input, d.windows, first, n);
            if (fclose(out)) {
                fprintf(stderr, "clsvm-stat: writing '%s' failed: %s\n", svg, strerror(errno));
                rc = 2;
            } else {
                printf("window map: %s\n", svg);
            }
        }
    }
    stat_dump_free(&d);
    json_free(root);
    free(pid_path);
    return rc;
}
