/* json.c: recursive-descent JSON reader (RFC 8259), depth-limited so hostile input cannot
 * exhaust the stack; every allocation failure or syntax error becomes an error message. */
#include "json.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

typedef struct parser {
    const char *start, *p;
    char *err;
    size_t errlen;
    int failed;
} parser;

__attribute__((format(printf, 2, 3))) static void fail(parser *ps, const char *fmt, ...)
{
    if (ps->failed)
        return;
    ps->failed = 1;
    int line = 1, col = 1;
    for (const char *c = ps->start; c < ps->p; c++) {
        if (*c == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    int n = snprintf(ps->err, ps->errlen, "line %d, column %d: ", line, col);
    if (n < 0 || (size_t)n >= ps->errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
    va_end(ap);
}

static void skip_ws(parser *ps)
{
    while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')
        ps->p++;
}

static int parse_value(parser *ps, json *v, int depth);

static int hex4(const char *s, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

/* Append code point cp as UTF-8 (surrogates are not paired: each becomes '?'). */
static size_t put_utf8(char *d, unsigned cp)
{
    if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff)) {
        d[0] = '?';
        return 1;
    }
    if (cp < 0x80) {
        d[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        d[0] = (char)(0xc0 | (cp >> 6));
        d[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    d[0] = (char)(0xe0 | (cp >> 12));
    d[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
    d[2] = (char)(0x80 | (cp & 0x3f));
    return 3;
}

static char *parse_string(parser *ps)
{
    if (*ps->p != '"') {
        fail(ps, "expected a string");
        return NULL;
    }
    const char *s = ++ps->p;
    size_t max = 0;
    for (const char *c = s; *c != '"'; c++, max++) {
        if (!*c) {
            fail(ps, "unterminated string");
            return NULL;
        }
        if (*c == '\\' && c[1])
            c++;
    }
    char *out = malloc(max * 3 + 1), *d = out; /* \uXXXX (6 chars) never needs more than 3 */
    if (!out) {
        fail(ps, "out of memory");
        return NULL;
    }
    while (*ps->p != '"') {
        unsigned char c = (unsigned char)*ps->p;
        if (c < 0x20) {
            fail(ps, "control character in a string");
            free(out);
            return NULL;
        }
        if (c != '\\') {
            *d++ = (char)c;
            ps->p++;
            continue;
        }
        ps->p++;
        char e = *ps->p++;
        unsigned cp;
        switch (e) {
        case '"':
            *d++ = '"';
            break;
        case '\\':
            *d++ = '\\';
            break;
        case '/':
            *d++ = '/';
            break;
        case 'b':
            *d++ = '\b';
            break;
        case 'f':
            *d++ = '\f';
            break;
        case 'n':
            *d++ = '\n';
            break;
        case 'r':
            *d++ = '\r';
            break;
        case 't':
            *d++ = '\t';
            break;
        case 'u':
            if (hex4(ps->p, &cp)) {
                fail(ps, "bad \\u escape");
                free(out);
                return NULL;
            }
            ps->p += 4;
            d += put_utf8(d, cp);
            break;
        default:
            ps->p--;
            fail(ps, "bad escape in a string");
            free(out);
            return NULL;
        }
    }
    ps->p++;
    *d = '\0';
    return out;
}

static int parse_number(parser *ps, json *v)
{
    const char *s = ps->p;
    if (*ps->p == '-')
        ps->p++;
    if (*ps->p < '0' || *ps->p > '9') {
        fail(ps, "expected a value");
        return -1;
    }
    while (*ps->p >= '0' && *ps->p <= '9')
        ps->p++;
    int integer = 1;
    if (*ps->p == '.') {
        integer = 0;
        ps->p++;
        if (*ps->p < '0' || *ps->p > '9') {
            fail(ps, "expected digits after '.'");
            return -1;
        }
        while (*ps->p >= '0' && *ps->p <= '9')
            ps->p++;
    }
    if (*ps->p == 'e' || *ps->p == 'E') {
        integer = 0;
        ps->p++;
        if (*ps->p == '+' || *ps->p == '-')
            ps->p++;
        if (*ps->p < '0' || *ps->p > '9') {
            fail(ps, "expected an exponent");
            return -1;
        }
        while (*ps->p >= '0' && *ps->p <= '9')
            ps->p++;
    }
    v->type = JSON_NUMBER;
    v->number = strtod(s, NULL);
    if (integer && *s != '-') {
        errno = 0;
        unsigned long long u = strtoull(s, NULL, 10);
        if (!errno) {
            v->is_uint = 1;
            v->uint = u;
        }
    }
    return 0;
}

/* Arrays and objects: elements are collected in a growing array. */
static int parse_container(parser *ps, json *v, int depth, int object)
{
    char close = object ? '}' : ']';
    v->type = object ? JSON_OBJECT : JSON_ARRAY;
    ps->p++;
    skip_ws(ps);
    if (*ps->p == close) {
        ps->p++;
        return 0;
    }
    size_t cap = 0;
    for (;;) {
        if (v->n == cap) {
            cap = cap ? cap * 2 : 8;
            json *items = realloc(v->items, cap * sizeof *items);
            if (items)
                v->items = items;
            char **keys = object && items ? realloc(v->keys, cap * sizeof *keys) : NULL;
            if (keys)
                v->keys = keys;
            if (!items || (object && !keys)) {
                fail(ps, "out of memory");
                return -1;
            }
        }
        skip_ws(ps);
        if (object) {
            char *key = parse_string(ps);
            if (!key)
                return -1;
            v->keys[v->n] = key;
            skip_ws(ps);
            if (*ps->p != ':') {
                free(key);
                fail(ps, "expected ':'");
                return -1;
            }
            ps->p++;
        }
        memset(&v->items[v->n], 0, sizeof v->items[v->n]);
        v->n++;
        if (parse_value(ps, &v->items[v->n - 1], depth + 1))
            return -1;
        skip_ws(ps);
        if (*ps->p == close) {
            ps->p++;
            return 0;
        }
        if (*ps->p != ',') {
            fail(ps, "expected ',' or '%c'", close);
            return -1;
        }
        ps->p++;
    }
}

static int parse_value(parser *ps, json *v, int depth)
{
    if (depth > MAX_DEPTH) {
        fail(ps, "nested more than %d deep", MAX_DEPTH);
        return -1;
    }
    skip_ws(ps);
    switch (*ps->p) {
    case '{':
    case '[':
        return parse_container(ps, v, depth, *ps->p == '{');
    case '"':
        v->type = JSON_STRING;
        v->string = parse_string(ps);
        return v->string ? 0 : -1;
    case 't':
    case 'f':
    case 'n': {
        static const char *const words[] = {"true", "false", "null"};
        for (int i = 0; i < 3; i++)
            if (!strncmp(ps->p, words[i], strlen(words[i]))) {
                ps->p += strlen(words[i]);
                v->type = i == 2 ? JSON_NULL : JSON_BOOL;
                v->boolean = i == 0;
                return 0;
            }
        fail(ps, "expected a value");
        return -1;
    }
    default:
        return parse_number(ps, v);
    }
}

static void free_value(json *v)
{
    for (size_t i = 0; i < v->n; i++) {
        free_value(&v->items[i]);
        if (v->keys)
            free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->string);
}

json *json_parse(const char *text, char *err, size_t errlen)
{
    parser ps = {text, text, err, errlen, 0};
    if (errlen)
        err[0] = '\0';
    json *root = calloc(1, sizeof *root);
    if (!root) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (parse_value(&ps, root, 0) == 0) {
        skip_ws(&ps);
        if (*ps.p)
            fail(&ps, "text after the JSON value");
    }
    if (ps.failed) {
        json_free(root);
        return NULL;
    }
    return root;
}

void json_free(json *v)
{
    if (!v)
        return;
    free_value(v);
    free(v);
}

const json *json_get(const json *v, const char *key)
{
    if (!v || v->type != JSON_OBJECT)
        return NULL;
    for (size_t i = 0; i < v->n; i++)
        if (!strcmp(v->keys[i], key))
            return &v->items[i];
    return NULL;
}

int json_get_u64(const json *v, const char *key, uint64_t *out)
{
    const json *m = json_get(v, key);
    if (!m || m->type != JSON_NUMBER || !m->is_uint) {
        *out = 0;
        return 0;
    }
    *out = m->uint;
    return 1;
}

const char *json_get_str(const json *v, const char *key)
{
    const json *m = json_get(v, key);
    return m && m->type == JSON_STRING ? m->string : NULL;
}
