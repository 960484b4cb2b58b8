/* info.c: the clGet*Info answer protocol (size checks, size_ret) for values clsvm answers itself,
 * and translation of backend handles in backend answers back to clsvm's wrappers. */
#include "icd.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

cl_int clsvm_info_return(const void *src, size_t n, size_t size, void *value, size_t *size_ret)
{
    if (value) {
        if (size < n)
            return CL_INVALID_VALUE;
        memcpy(value, src, n);
    }
    if (size_ret)
        *size_ret = n;
    return CL_SUCCESS;
}

cl_int clsvm_info_handle(const void *h, size_t size, void *value, size_t *size_ret)
{
    return clsvm_info_return(&h, sizeof h, size, value, size_ret);
}

cl_int clsvm_info_string(const char *s, size_t size, void *value, size_t *size_ret)
{
    return clsvm_info_return(s, strlen(s) + 1, size, value, size_ret);
}

cl_int clsvm_info_format(size_t size, void *value, size_t *size_ret, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = n < 0 ? NULL : malloc((size_t)n + 1);
    if (!s)
        return CL_OUT_OF_HOST_MEMORY;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    cl_int err = clsvm_info_string(s, size, value, size_ret);
    free(s);
    return err;
}

cl_int clsvm_info_uint(cl_uint v, size_t size, void *value, size_t *size_ret)
{
    return clsvm_info_return(&v, sizeof v, size, value, size_ret);
}

void clsvm_info_map_handles(void *value, size_t bytes, clsvm_kind kind)
{
    void **h = value;
    for (size_t i = 0; value && i < bytes / sizeof(void *); i++)
        if (h[i])
            h[i] = clsvm_map_find(h[i], kind);
}
