/*
 * spir_options.c: the build options of the clang path (spir_job.h): which OpenCL C version a
 * program asks for, which of the application's options may reach clang, the device's extension
 * list as clang's -cl-ext, and whether a program is for non-uniform work-groups.
 */
#include "spir.h"
#include "spir_job.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STD_OPT "-cl-std="

/* The value of the last -cl-std= option of opts, length in *len; NULL when there is none. */
static const char *last_std(const char *opts, size_t *len)
{
    const char *found = NULL;
    for (const char *p = opts; p && (p = strstr(p, STD_OPT)) != NULL; p += strlen(STD_OPT))
        if (p == opts || p[-1] == ' ' || p[-1] == '\t' || p[-1] == '\n')
            found = p + strlen(STD_OPT);
    if (found)
        *len = strcspn(found, " \t\n");
    return found;
}

int oclc20_std_requested(const char *opts)
{
    size_t len = 0;
    const char *s = last_std(opts, &len);
    if (!s || len != 5)
        return 0;
    if (!strncmp(s, "CL2.0", 5) || !strncmp(s, "CL2.1", 5) || !strncmp(s, "CL2.2", 5))
        return 200;
    return strncmp(s, "CL3.0", 5) ? 0 : 300;
}

int oclc20_argv_push(argv_buf *a, const char *s)
{
    if (a->n + 2 > a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 32;
        char **v = realloc(a->v, cap * sizeof *v);
        if (!v)
            return -1;
        a->v = v;
        a->cap = cap;
    }
    a->v[a->n++] = (char *)s;
    a->v[a->n] = NULL;
    return 0;
}

/* Options of the OpenCL build-option grammar that mean the same to clang: -D and -I (with the
 * value attached or as the next word), -cl-* math/optimization/info options, -w, -Werror, -g.
 * Anything else is refused: the path runs a compiler, and options such as -o or -Xclang must
 * not reach it from a build-option string. */
static int allowed(const char *t, int *takes_next)
{
    *takes_next = 0;
    if (!strcmp(t, "-D") || !strcmp(t, "-I")) {
        *takes_next = 1;
        return 1;
    }
    return !strncmp(t, "-D", 2) || !strncmp(t, "-I", 2) ||
           (!strncmp(t, "-cl-", 4) && strncmp(t, STD_OPT, strlen(STD_OPT))) || !strcmp(t, "-w") ||
           !strcmp(t, "-Werror") || !strcmp(t, "-g");
}

/* Split the application's options into a (words, double quotes group) and check each; *bad
 * gets a malloc'd message for the first refused option. Drops -cl-std= (clsvm adds CL2.0 or
 * CL3.0: clang knows no CL2.1/CL2.2, whose OpenCL C is 2.0). */
int oclc20_user_options(argv_buf *a, const char *opts, oclc20_mode mode, char **bad)
{
    *bad = NULL;
    size_t n = opts ? strlen(opts) : 0;
    a->store = malloc(n + 1);
    if (!a->store)
        return -1;
    char *out = a->store;
    const char *p = opts;
    int want_value = 0;
    while (p && *p) {
        while (*p == ' ' || *p == '\t' || *p == '\n')
            p++;
        if (!*p)
            break;
        char *tok = out;
        while (*p && *p != ' ' && *p != '\t' && *p != '\n') {
            if (*p == '"') {
                for (p++; *p && *p != '"'; p++)
                    *out++ = *p;
                if (*p)
                    p++;
            } else {
                *out++ = *p++;
            }
        }
        *out++ = '\0';
        int next = 0;
        if (mode == OCLC20_LINK) {
            /* Link options (-cl-denorms-are-zero & co., -enable-link-options) were applied
             * when the objects were compiled; -create-library is not supported. */
            if (!strncmp(tok, "-cl-", 4) || !strcmp(tok, "-enable-link-options"))
                continue;
            if (asprintf(bad,
                         "clsvm: link option '%s' is not supported for OpenCL C 2.x programs "
                         "(docs/opencl-c-2.0.md)\n",
                         tok) < 0)
                *bad = NULL;
            return -2;
        }
        if (want_value) {
            want_value = 0;
        } else if (!strncmp(tok, STD_OPT, strlen(STD_OPT))) {
            continue;
        } else if (!allowed(tok, &next)) {
            if (asprintf(bad,
                         "clsvm: build option '%s' is not supported for OpenCL C 2.x programs "
                         "(docs/opencl-c-2.0.md)\n",
                         tok) < 0)
                *bad = NULL;
            return -2;
        }
        want_value = next;
        if (oclc20_argv_push(a, tok))
            return -1;
    }
    return 0;
}

/* "-cl-ext=-all,+a,+b..." for the extension list exts (space-separated), malloc'd; NULL when
 * out of memory. clang ignores names it does not know. */
char *oclc20_cl_ext_option(const char *exts)
{
    /* Each name of n >= 1 characters becomes ",+name": at most 3 bytes per input byte. */
    char *o = malloc(strlen("-cl-ext=-all") + 3 * strlen(exts) + 1);
    if (!o)
        return NULL;
    char *w = o + sprintf(o, "-cl-ext=-all");
    for (const char *p = exts; *p;) {
        size_t n = strcspn(p, " \t\n");
        if (n) {
            w += sprintf(w, ",+%.*s", (int)n, p);
            p += n;
        } else {
            p++;
        }
    }
    return o;
}

int oclc20_nu_options(const char *opts)
{
    static const char opt[] = "-cl-uniform-work-group-size";
    const size_t n = sizeof opt - 1;
    for (const char *p = opts; p && (p = strstr(p, opt)) != NULL; p += n)
        if ((p == opts || strchr(" \t\n", p[-1])) && (!p[n] || strchr(" \t\n", p[n])))
            return 0;
    return 1;
}
