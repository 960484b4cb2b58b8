/*
 * spir_support.c: clsvm's OpenCL C support library (support.cl + support_builtins.cl, embedded
 * at build time) compiled to bitcode once per clang version, and clang's exit status in a log.
 */
#include "spir_job.h"

#include "clang_run.h"
#include "support_builtins_cl.h" /* oclc20_support_builtins_cl: support_builtins.cl */
#include "support_cl.h"          /* oclc20_support_cl: support.cl as a string (generated) */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Append clsvm's explanation for a clang that did not finish normally. */
char *oclc20_status_log(int st, char *log)
{
    if (st < 256)
        return log;
    char *s = NULL;
    if (asprintf(&s, "%sclsvm: %s was killed by signal %d\n", log ? log : "", oclc20_clang(),
                 st - 256) < 0)
        s = NULL;
    free(log);
    return s;
}

/* Compile the support library into lib_path unless it is there (per clang version: its name
 * carries the hash). 0 on success; else *log says why. */
/* work is at most 2047 characters long (mkdtemp template, checked). */
int oclc20_support_library(const char *lib_path, const char *work, char **log)
{
    if (access(lib_path, R_OK) == 0)
        return 0;
    char src[2200], out[2200];
    snprintf(src, sizeof src, "%s/support.cl", work);
    snprintf(out, sizeof out, "%s/support.bc", work);
    /* One translation unit: support.cl, then support_builtins.cl. */
    size_t l1 = strlen(oclc20_support_cl), l2 = strlen(oclc20_support_builtins_cl);
    char *text = malloc(l1 + l2 + 2);
    if (text) {
        memcpy(text, oclc20_support_cl, l1);
        text[l1] = '\n';
        memcpy(text + l1 + 1, oclc20_support_builtins_cl, l2 + 1);
    }
    int wrote = text ? oclc20_write_file(src, text, l1 + l2 + 1) : -1;
    free(text);
    if (wrote) {
        *log = strdup("clsvm: cannot write the OpenCL C 2.0 support library source\n");
        return -1;
    }
    char *argv[] = {(char *)oclc20_clang(),
                    "-x",
                    "cl",
                    "-cl-std=CL2.0",
                    "-target",
                    "spir64-unknown-unknown",
                    "-emit-llvm",
                    "-c",
                    "-O2",
                    "-Xclang",
                    "-finclude-default-header",
                    "-o",
                    out,
                    "-",
                    NULL};
    char *err = NULL;
    int st = oclc20_run(argv, src, &err);
    unlink(src);
    if (st == OCLC20_RUN_LOST) {
        *log = oclc20_run_lost_log();
        unlink(out);
        return -1;
    }
    if (st != 0) {
        char *s = NULL;
        if (asprintf(&s, "clsvm: the OpenCL C 2.0 support library does not compile (%s):\n%s",
                     oclc20_clang(), err ? err : "") < 0)
            s = NULL;
        *log = oclc20_status_log(st, s);
        free(err);
        unlink(out);
        return -1;
    }
    free(err);
    size_t len = 0;
    char *bc = oclc20_read_file(out, &len);
    int r = bc && (!strcmp(out, lib_path) || oclc20_write_file(lib_path, bc, len) == 0) ? 0 : -1;
    if (strcmp(out, lib_path))
        unlink(out);
    free(bc);
    if (r)
        *log = strdup("clsvm: cannot store the OpenCL C 2.0 support library\n");
    return r;
}
