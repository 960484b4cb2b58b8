/*
 * module_check.c: undefined functions and kernel attributes of clang's linked module
 * (module_check.h), read from clang's disassembly of it.
 */
#include "module_check.h"

#include "clang_run.h"
#include "kernel_lib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A growing string. */
typedef struct sbuf {
    char *s;
    size_t n, cap;
    int oom;
} sbuf;

static void put(sbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = (b->n + n + 1) * 2;
        char *t = realloc(b->s, cap);
        if (!t) {
            b->oom = 1;
            return;
        }
        b->s = t;
        b->cap = cap;
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = '\0';
}

static void puts_(sbuf *b, const char *s)
{
    put(b, s, strlen(s));
}

static char *done(sbuf *b)
{
    if (b->oom) {
        free(b->s);
        return NULL;
    }
    return b->s ? b->s : strdup("");
}

/* The function name after the first '@' of a define/declare line (quotes removed). */
static const char *fn_name(const char *line, size_t *len)
{
    const char *at = strchr(line, '@');
    *len = 0;
    if (!at)
        return NULL;
    at++;
    if (*at == '"') {
        const char *end = strchr(at + 1, '"');
        *len = end ? (size_t)(end - at - 1) : 0;
        return at + 1;
    }
    *len = strcspn(at, "(");
    return at;
}

/* Declarations the backend handles without its library. */
static int backend_builtin(const char *name)
{
    return !strncmp(name, "llvm.", 5) || !strcmp(name, "__translate_sampler_initializer");
}

/* A metadata reference a kernel does not have. */
#define NO_NODE ((unsigned long)-1)

/* The metadata node !id's text ("!{...}") among the lines, NULL when absent. */
static const char *node(char **lines, size_t n, unsigned long id)
{
    if (id == NO_NODE)
        return NULL;
    char prefix[32];
    int len = snprintf(prefix, sizeof prefix, "!%lu = ", id);
    for (size_t i = n; i-- > 0;)
        if (!strncmp(lines[i], prefix, (size_t)len)) {
            const char *p = lines[i] + len;
            return !strncmp(p, "distinct ", 9) ? p + 9 : p;
        }
    return NULL;
}

/* The node id after " !<kind> !" in a define line; NO_NODE when the kernel has none. */
static unsigned long md_ref(const char *line, const char *kind)
{
    char pat[64];
    snprintf(pat, sizeof pat, " !%s !", kind);
    const char *p = strstr(line, pat);
    return p ? strtoul(p + strlen(pat), NULL, 10) : NO_NODE;
}

/* vec_type_hint's type as OpenCL C spells it, from "!{<4 x float> undef, i32 0}" (the second
 * field is 1 for signed integers), the way pocl 3.1 spells it. */
static int vec_hint(const char *md, char *out, size_t size)
{
    unsigned n = 1;
    char ty[16] = "";
    if (sscanf(md, "!{<%u x %15[a-z0-9]>", &n, ty) != 2 && sscanf(md, "!{%15[a-z0-9]", ty) != 1)
        return -1;
    const char *comma = strrchr(md, ',');
    int is_signed = comma && strstr(comma, "i32 1") != NULL;
    const char *base = !strcmp(ty, "float")    ? "float"
                       : !strcmp(ty, "double") ? "double"
                       : !strcmp(ty, "half")   ? "half"
                       : !strcmp(ty, "i8")     ? "char"
                       : !strcmp(ty, "i16")    ? "short"
                       : !strcmp(ty, "i32")    ? "int"
                       : !strcmp(ty, "i64")    ? "long"
                                               : NULL;
    if (!base)
        return -1;
    int integer = ty[0] == 'i';
    char count[12] = "";
    if (n > 1)
        snprintf(count, sizeof count, "%u", n);
    snprintf(out, size, "%s%s%s", integer && !is_signed ? "u" : "", base, count);
    return 0;
}

/* The attribute string of one kernel (define line), appended to b; nothing when it has none. */
static void kernel_attrs(sbuf *b, char **lines, size_t n, const char *line)
{
    char text[512] = "";
    size_t used = 0;
    static const char *const sizes[] = {"reqd_work_group_size", "work_group_size_hint"};
    for (int i = 0; i < 2; i++) {
        const char *md = node(lines, n, md_ref(line, sizes[i]));
        unsigned long x, y, z;
        if (md && sscanf(md, "!{i32 %lu, i32 %lu, i32 %lu}", &x, &y, &z) == 3)
            used += (size_t)snprintf(text + used, sizeof text - used,
                                     "%s__attribute__((%s(%lu, %lu, %lu )))", used ? " " : "",
                                     sizes[i], x, y, z);
    }
    const char *md = node(lines, n, md_ref(line, "vec_type_hint"));
    char hint[32];
    if (md && vec_hint(md, hint, sizeof hint) == 0 && used < sizeof text)
        used += (size_t)snprintf(text + used, sizeof text - used,
                                 "%s__attribute__ ((vec_type_hint (%s)))", used ? " " : "", hint);
    if (!used || used >= sizeof text)
        return;
    size_t len;
    const char *name = fn_name(line, &len);
    put(b, name, len);
    puts_(b, "\t");
    puts_(b, text);
    puts_(b, "\n");
}

/* Remove " !reqd_work_group_size !<id>" from a kernel's define line; 1 when it had one. */
static int strip_reqd_ref(char *line)
{
    static const char pat[] = " !reqd_work_group_size !";
    char *p = strstr(line, pat);
    if (!p)
        return 0;
    char *end = p + strlen(pat);
    end += strspn(end, "0123456789");
    memmove(p, end, strlen(end) + 1);
    return 1;
}

int oclc20_module_inspect(const char *bc, const char *work, int strip_reqd, oclc20_module *m)
{
    m->missing = m->attrs = m->stripped = NULL;
    char ll[2400];
    snprintf(ll, sizeof ll, "%s/module.ll", work);
    char *argv[] = {(char *)oclc20_clang(),   "-x", "ir", "-S",       "-emit-llvm", "-target",
                    "spir64-unknown-unknown", "-o", ll,   (char *)bc, NULL};
    char *err = NULL;
    int st = oclc20_run(argv, NULL, &err);
    free(err);
    char *text = st == 0 ? oclc20_read_file(ll, NULL) : NULL;
    unlink(ll);
    if (!text)
        return -1;
    size_t n = 0, cap = 1024;
    char **lines = malloc(cap * sizeof *lines);
    for (char *p = text, *nl; lines && *p; p = nl + 1) {
        nl = strchr(p, '\n');
        if (n == cap) {
            char **more = realloc(lines, (cap *= 2) * sizeof *lines);
            if (!more) {
                free(lines);
                lines = NULL;
                break;
            }
            lines = more;
        }
        lines[n++] = p;
        if (!nl)
            break;
        *nl = '\0';
    }
    sbuf missing = {0}, attrs = {0};
    int stripped = 0;
    for (size_t i = 0; lines && i < n; i++) {
        if (!strncmp(lines[i], "declare ", 8)) {
            size_t len;
            const char *name = fn_name(lines[i], &len);
            char buf[1024];
            if (!name || !len || len >= sizeof buf)
                continue;
            memcpy(buf, name, len);
            buf[len] = '\0';
            if (!backend_builtin(buf) && oclc20_kernel_lib_has(buf) == 0) {
                puts_(&missing, "  ");
                puts_(&missing, buf);
                puts_(&missing, "\n");
            }
        } else if (!strncmp(lines[i], "define ", 7) && strstr(lines[i], " spir_kernel ")) {
            kernel_attrs(&attrs, lines, n, lines[i]);
            if (strip_reqd)
                stripped |= strip_reqd_ref(lines[i]);
        }
    }
    sbuf text_out = {0};
    for (size_t i = 0; stripped && lines && i < n; i++) {
        puts_(&text_out, lines[i]);
        puts_(&text_out, "\n");
    }
    int ok = lines != NULL;
    free(lines);
    free(text);
    m->missing = done(&missing);
    m->attrs = done(&attrs);
    m->stripped = stripped ? done(&text_out) : NULL;
    if (!ok || !m->missing || !m->attrs || (stripped && !m->stripped)) {
        oclc20_module_free(m);
        return -1;
    }
    return 0;
}

void oclc20_module_free(oclc20_module *m)
{
    free(m->missing);
    free(m->attrs);
    free(m->stripped);
    m->missing = m->attrs = m->stripped = NULL;
}

int oclc20_module_assemble(const char *ll, const char *work, const char *bc, char **log)
{
    char in[2400];
    snprintf(in, sizeof in, "%s/stripped.ll", work);
    *log = NULL;
    if (oclc20_write_file(in, ll, strlen(ll))) {
        *log = strdup("clsvm: cannot write the module's text for clang\n");
        return -1;
    }
    /* Only assembled: no pass may change the module the build made. */
    char *argv[] = {(char *)oclc20_clang(),
                    "-x",
                    "ir",
                    "-c",
                    "-emit-llvm",
                    "-Xclang",
                    "-disable-llvm-passes",
                    "-target",
                    "spir64-unknown-unknown",
                    "-o",
                    (char *)bc,
                    in,
                    NULL};
    int st = oclc20_run(argv, NULL, log);
    unlink(in);
    return st == 0 ? 0 : -1;
}

char *oclc20_kernel_attributes_of(const char *attrs, const char *kernel)
{
    size_t k = strlen(kernel);
    for (const char *p = attrs; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (len > k && !strncmp(p, kernel, k) && p[k] == '\t')
            return strndup(p + k + 1, len - k - 1);
        p = nl ? nl + 1 : p + len;
    }
    return strdup("");
}
