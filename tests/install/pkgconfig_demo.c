/* pkgconfig_demo: a program built the way an application would be, with
 * `cc pkgconfig_demo.c $(pkg-config --cflags --libs clsvm-runtime)` against an installed clsvm.
 * It opens a window, allocates, writes and reads back, and checks the address lies in the window
 * below 2^va_bits. With argument DIR it also checks that libclsvm-runtime was loaded from DIR
 * (the installed copy, not the build tree). Exit 0 on success, 1 with a message otherwise. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* dladdr */
#endif
#include <clsvm/runtime.h>

#include <dlfcn.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

static int fail(const char *what, int rc)
{
    fprintf(stderr, "pkgconfig_demo: %s: %d (%s)\n", what, rc, clsvm_status_str(rc));
    return 1;
}

int main(int argc, char **argv)
{
    clsvm_config cfg;
    clsvm_config_init(&cfg);
    cfg.window_size = (uint64_t)1 << 30;
    clsvm_window *w;
    int rc = clsvm_window_open(&cfg, &w);
    if (rc)
        return fail("clsvm_window_open", rc);
    clsvm_window_info wi;
    clsvm_window_get_info(w, &wi);
    void *p;
    if ((rc = clsvm_alloc(w, 1 << 20, 0, 0, NULL, &p)))
        return fail("clsvm_alloc", rc);
    uintptr_t a = (uintptr_t)p;
    if (a < wi.base || a + (1 << 20) > wi.base + wi.size ||
        (wi.va_bits < 64 && a + (1 << 20) > ((uintptr_t)1 << wi.va_bits))) {
        fprintf(stderr, "pkgconfig_demo: %p is outside the window\n", p);
        return 1;
    }
    memset(p, 0x5a, 1 << 20);
    if (((unsigned char *)p)[(1 << 20) - 1] != 0x5a)
        return fail("read back", -1);
    if ((rc = clsvm_free(w, p)))
        return fail("clsvm_free", rc);
    clsvm_window_close(w);

    if (argc > 1) {
        /* Compare real paths: on merged-/usr systems the loader may report /lib for /usr/lib. */
        Dl_info di;
        char lib[PATH_MAX], dir[PATH_MAX];
        if (!dladdr((void *)clsvm_alloc, &di) || !di.dli_fname || !realpath(di.dli_fname, lib) ||
            !realpath(argv[1], dir) || strncmp(lib, dir, strlen(dir)) || lib[strlen(dir)] != '/') {
            fprintf(stderr, "pkgconfig_demo: libclsvm-runtime came from '%s', not from %s\n",
                    di.dli_fname ? di.dli_fname : "?", argv[1]);
            return 1;
        }
    }
    printf("pkgconfig_demo: ok (window at %#lx, %u bits, provider %s)\n", (unsigned long)wi.base,
           wi.va_bits, wi.provider);
    return 0;
}
