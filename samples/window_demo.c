/*
 * window_demo: the clsvm runtime in a nutshell. Open a window (CLSVM_* variables apply),
 * allocate a few buffers in it, write and verify them, print the stats JSON, free, print
 * the stats again. Exits non-zero on any failure.
 */
#include "clsvm/runtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        fprintf(stderr, "window_demo: " __VA_ARGS__);                                              \
        fputc('\n', stderr);                                                                       \
        return 1;                                                                                  \
    } while (0)

static int print_stats(clsvm_window *w)
{
    size_t n = clsvm_window_stats_json(w, NULL, 0);
    char *json = malloc(n + 1);
    if (!json)
        return 1;
    clsvm_window_stats_json(w, json, n + 1);
    printf("%s\n", json);
    free(json);
    return 0;
}

int main(void)
{
    clsvm_window *w;
    int rc = clsvm_window_open(NULL, &w);
    if (rc)
        FAIL("cannot open a window: %s", clsvm_status_str(rc));
    clsvm_window_info wi;
    clsvm_window_get_info(w, &wi);
    printf("window [%#lx, %#lx): %llu MiB below 2^%u, provider %s\n", (unsigned long)wi.base,
           (unsigned long)(wi.base + wi.size), (unsigned long long)(wi.size >> 20), wi.va_bits,
           wi.provider);

    static const size_t sizes[] = {100, 4096, 3 << 20, 64 << 20};
    enum { N = sizeof sizes / sizeof sizes[0] };
    unsigned char *buf[N];
    for (int i = 0; i < N; i++) {
        rc = clsvm_alloc(w, sizes[i], 0, 0, NULL, (void **)&buf[i]);
        if (rc)
            FAIL("alloc %zu bytes: %s", sizes[i], clsvm_status_str(rc));
        memset(buf[i], 'a' + i, sizes[i]);
        printf("buffer %d: %zu bytes at %p\n", i, sizes[i], (void *)buf[i]);
    }
    for (int i = 0; i < N; i++) {
        clsvm_alloc_info ai;
        if (clsvm_lookup(w, buf[i] + sizes[i] - 1, &ai) || ai.base != buf[i])
            FAIL("lookup of buffer %d's last byte failed", i);
        for (size_t j = 0; j < sizes[i]; j++)
            if (buf[i][j] != 'a' + i)
                FAIL("buffer %d byte %zu corrupted", i, j);
    }
    if (clsvm_window_validate(w) || print_stats(w))
        FAIL("validate or stats failed");

    for (int i = 0; i < N; i++)
        if (clsvm_free(w, buf[i]))
            FAIL("free buffer %d failed", i);
    if (clsvm_window_validate(w) || print_stats(w))
        FAIL("validate or stats failed");
    clsvm_window_close(w);
    puts("ok");
    return 0;
}
