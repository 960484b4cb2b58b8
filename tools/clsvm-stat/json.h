/* json: a small JSON reader for clsvm-stat (a DOM of the whole document; dumps are small).
 * Numbers keep their exact unsigned 64-bit value when they are non-negative integers. */
#ifndef CLSVM_STAT_JSON_H
#define CLSVM_STAT_JSON_H

#include <stddef.h>
#include <stdint.h>

typedef enum { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT } json_type;

typedef struct json json;
struct json {
    json_type type;
    int boolean;
    int is_uint;   /* a non-negative integer that fits uint64_t */
    uint64_t uint; /* its value */
    double number; /* every number, possibly rounded */
    char *string;  /* JSON_STRING: decoded, NUL-terminated (\u0000 becomes '?') */
    size_t n;      /* JSON_ARRAY / JSON_OBJECT: element count */
    json *items;   /* the elements */
    char **keys;   /* JSON_OBJECT: the element names */
};

/* Parse text (NUL-terminated). NULL on error, with "line L, column C: what" in err. */
json *json_parse(const char *text, char *err, size_t errlen);
void json_free(json *v);

/* Member of an object (NULL if v is not an object or has no such key). */
const json *json_get(const json *v, const char *key);
/* Typed member access: 0 and a NULL string when absent or of another type. */
int json_get_u64(const json *v, const char *key, uint64_t *out);
const char *json_get_str(const json *v, const char *key);

#endif
