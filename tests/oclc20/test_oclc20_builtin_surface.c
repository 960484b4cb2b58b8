/* test_oclc20_builtin_surface: every built-in function clang 15's opencl-c.h declares for the
 * device (its extensions and OpenCL C features, every overload and address space) compiles and
 * links, through clsvm, under -cl-std=CL1.2 (the backend's compiler), CL2.0 and CL3.0 (the SPIR
 * path, whose build fails on any function left unresolved for run time), except the functions
 * the backend itself does not provide (listed below with the reason).
 *
 * The declarations come from clang-15 preprocessing <opencl-c.h> with the options the SPIR path
 * uses for the device; each becomes one call whose arguments are casts of 0 to the declared
 * parameter types (so overload resolution picks exactly that declaration), or kernel arguments
 * for images and samplers. Calls are grouped into programs of a few hundred, which are built
 * (with -cl-opt-disable: clang would drop calls of pure functions whose results are unused) and
 * never run. A build that fails lists the functions nothing provides; they are reported by
 * name and fail the test. Also checked: every function clsvm's support library exports is one
 * of these declarations (the library's tables match the header). */
#include "oclc20/oclc20_test.h"

#include <ctype.h>
#include <unistd.h>

enum { GROUP = 700 };

/* Declarations whose parameters name a type the backend lacks (depth images: no depth image
 * format is listed; pocl's library has no read/write/query functions for them). */
static const char *const unsupported_types[] = {"image2d_depth_t", "image2d_array_depth_t"};

typedef struct decl {
    char *name;
    char *call;   /* "name((T0)0, ...)" */
    char *images; /* kernel image parameters it needs: "access type;" ... */
} decl;

static int is_ident(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

/* Removes every __attribute__((...)) from s, in place. */
static void strip_attributes(char *s)
{
    char *a;
    while ((a = strstr(s, "__attribute__")) != NULL) {
        char *p = a + strlen("__attribute__");
        int depth = 0;
        do {
            if (*p == '(')
                depth++;
            else if (*p == ')')
                depth--;
            p++;
        } while (*p && depth > 0);
        memmove(a, p, strlen(p) + 1);
    }
}

/* Is the word a type name, qualifier or keyword rather than a parameter name? */
static int type_word(const char *w, size_t n)
{
    static const char *const words[] = {
        "char",         "uchar",        "short",        "ushort",
        "int",          "uint",         "long",         "ulong",
        "float",        "double",       "half",         "bool",
        "void",         "size_t",       "ptrdiff_t",    "intptr_t",
        "uintptr_t",    "memory_order", "memory_scope", "cl_mem_fence_flags",
        "const",        "volatile",     "restrict",     "unsigned",
        "signed",       "__global",     "__local",      "__constant",
        "__private",    "__generic",    "global",       "local",
        "constant",     "private",      "generic",      "read_only",
        "write_only",   "read_write",   "__read_only",  "__write_only",
        "__read_write", "event_t",      "sampler_t",    "clk_profiling_info"};
    for (size_t i = 0; i < sizeof words / sizeof *words; i++) {
        size_t k = strlen(words[i]);
        if (n >= k && !strncmp(w, words[i], k) &&
            (n == k || (n <= k + 2 && isdigit((unsigned char)w[k]))))
            return 1;
    }
    return (n > 2 && !strncmp(w + n - 2, "_t", 2)) || !strncmp(w, "atomic_", 7);
}

/* One parameter's argument expression, appended to call; image parameters become kernel
 * arguments (recorded in images). 0 when the parameter cannot be made (skip the declaration). */
static int argument(char *param, char *call, size_t cap, char *images, size_t icap)
{
    /* trim, then drop a trailing parameter name */
    while (isspace((unsigned char)*param))
        param++;
    size_t n = strlen(param);
    while (n && isspace((unsigned char)param[n - 1]))
        param[--n] = '\0';
    if (n && is_ident(param[n - 1])) {
        size_t w = n;
        while (w && is_ident(param[w - 1]))
            w--;
        if (w > 0 && !type_word(param + w, n - w)) {
            param[w] = '\0';
            n = w;
            while (n && isspace((unsigned char)param[n - 1]))
                param[--n] = '\0';
        }
    }
    if (!n || !strcmp(param, "void"))
        return -1; /* no argument */
    if (strstr(param, "..."))
        return 0;
    char *img = strstr(param, "image");
    if (img && !strchr(param, '*')) {
        const char *acc = strstr(param, "write_only")   ? "write_only"
                          : strstr(param, "read_write") ? "read_write"
                                                        : "read_only";
        char type[64];
        sscanf(img, "%63[a-z0-9_]", type);
        char arg[96];
        snprintf(arg, sizeof arg, "%s %s;", acc, type);
        if (!strstr(images, arg))
            strncat(images, arg, icap - strlen(images) - 1);
        snprintf(call + strlen(call), cap - strlen(call), "img_%s_%s", acc, type);
        return 1;
    }
    if (!strcmp(param, "sampler_t")) {
        snprintf(call + strlen(call), cap - strlen(call), "smp");
        return 1;
    }
    snprintf(call + strlen(call), cap - strlen(call), "(%s)0", param);
    return 1;
}

/* A declaration line of the preprocessed header into d; 0 when it is not a usable one. */
static int parse(char *line, decl *d)
{
    if (!strstr(line, "overloadable"))
        return 0;
    strip_attributes(line);
    char *open = strchr(line, '(');
    char *close = open ? strrchr(line, ')') : NULL;
    if (!open || !close)
        return 0;
    char *end = open;
    while (end > line && isspace((unsigned char)end[-1]))
        end--;
    char *start = end;
    while (start > line && is_ident(start[-1]))
        start--;
    if (start == end)
        return 0;
    *close = '\0';
    char call[2048], images[512] = "";
    snprintf(call, sizeof call, "%.*s(", (int)(end - start), start);
    char *params = open + 1;
    int nargs = 0;
    for (char *p = params; p;) {
        int depth = 0;
        char *q = p;
        while (*q && (depth || *q != ',')) {
            depth += *q == '(';
            depth -= *q == ')';
            q++;
        }
        char *next = *q ? q + 1 : NULL;
        *q = '\0';
        if (nargs)
            strcat(call, ", ");
        int r = argument(p, call, sizeof call, images, sizeof images);
        if (r == 0)
            return 0;
        if (r > 0)
            nargs++;
        else if (nargs) /* "(void)": undo the separator */
            call[strlen(call) - 2] = '\0';
        p = next;
    }
    strcat(call, ")");
    d->name = strndup(start, (size_t)(end - start));
    d->call = strdup(call);
    d->images = strdup(images);
    return d->name && d->call && d->images;
}

/* Why the backend does not provide d, or NULL. (Work-group collectives, device-side enqueue
 * and pipes are not declared at all: their feature macros are undefined, as the device does not
 * list them.) */
static const char *unsupported_reason(const decl *d)
{
    for (size_t i = 0; i < sizeof unsupported_types / sizeof *unsupported_types; i++)
        if (strstr(d->images, unsupported_types[i]))
            return "depth images";
    return NULL;
}

/* The device's extensions and OpenCL C features as clang's -cl-ext, the way the path passes
 * them (docs/opencl-c-2.0.md); *names gets them space-separated. */
static char *cl_ext(const svm_env *e, char **names)
{
    size_t n = 0, fb = 0;
    CHECK_CL(clGetDeviceInfo(e->device, CL_DEVICE_EXTENSIONS, 0, NULL, &n));
    CHECK_CL(clGetDeviceInfo(e->device, CL_DEVICE_OPENCL_C_FEATURES, 0, NULL, &fb));
    char *exts = calloc(n + 1, 1);
    cl_name_version *f = malloc(fb + 1);
    CHECK(exts && f);
    CHECK_CL(clGetDeviceInfo(e->device, CL_DEVICE_EXTENSIONS, n, exts, NULL));
    CHECK_CL(clGetDeviceInfo(e->device, CL_DEVICE_OPENCL_C_FEATURES, fb, f, NULL));
    char *o = malloc(n * 2 + fb / sizeof *f * (CL_NAME_VERSION_MAX_NAME_SIZE + 2) + 32);
    CHECK(o != NULL);
    strcpy(o, "-cl-ext=-all");
    *names = malloc(strlen(o) + n * 2 + fb / sizeof *f * (CL_NAME_VERSION_MAX_NAME_SIZE + 2) + 2);
    CHECK(*names != NULL);
    strcpy(*names, " ");
    for (char *tok = strtok(exts, " "); tok; tok = strtok(NULL, " ")) {
        sprintf(o + strlen(o), ",+%s", tok);
        sprintf(*names + strlen(*names), "%s ", tok);
    }
    for (size_t i = 0; i < fb / sizeof *f; i++) {
        sprintf(o + strlen(o), ",+%s", f[i].name);
        sprintf(*names + strlen(*names), "%s ", f[i].name);
    }
    free(exts);
    free(f);
    return o;
}

/* clang's base header defines some extension and feature macros for every SPIR compile; those
 * the device does not list are #undef'd before opencl-c.h declares what they guard (as the
 * device's own answer: only built-ins of what the device lists are its surface). Writes the
 * preprocessor input to path. */
static void header_input(const char *std, const char *ext, const char *names, const char *path)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd,
             "echo '#include <opencl-c-base.h>' | clang-15 -x cl -cl-std=%s "
             "-target spir64-unknown-unknown -Xclang '%s' -E -dM - 2>/dev/null",
             std, ext);
    FILE *f = popen(cmd, "r");
    CHECK(f != NULL);
    FILE *out = fopen(path, "w");
    CHECK(out != NULL);
    fprintf(out, "#include <opencl-c-base.h>\n");
    char line[1024], name[256], word[260];
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "#define %255s", name) == 1 &&
            (!strncmp(name, "cl_khr_", 7) || !strncmp(name, "cl_ext_", 7) ||
             !strncmp(name, "__opencl_c_", 11))) {
            snprintf(word, sizeof word, " %s ", name);
            if (!strstr(names, word))
                fprintf(out, "#undef %s\n", name);
        }
    CHECK_EQ(pclose(f), 0);
    fprintf(out, "#include <opencl-c.h>\n");
    CHECK_EQ(fclose(out), 0);
}

/* The declarations of opencl-c.h under -cl-std=std for the device. */
static decl *declarations(const char *std, const char *ext, const char *names, size_t *count)
{
    char input[64], cmd[8192];
    snprintf(input, sizeof input, "surface-%s.cl", std);
    header_input(std, ext, names, input);
    snprintf(cmd, sizeof cmd,
             "clang-15 -x cl -cl-std=%s -target spir64-unknown-unknown -Xclang '%s' -E -P %s "
             "2>/dev/null",
             std, ext, input);
    FILE *f = popen(cmd, "r");
    CHECK(f != NULL);
    size_t n = 0, cap = 16384;
    decl *v = malloc(cap * sizeof *v);
    CHECK(v != NULL);
    char *line = NULL;
    size_t lcap = 0;
    while (getline(&line, &lcap, f) > 0) {
        if (n == cap)
            CHECK((v = realloc(v, (cap *= 2) * sizeof *v)) != NULL);
        if (parse(line, &v[n]))
            n++;
    }
    free(line);
    CHECK_EQ(pclose(f), 0);
    unlink(input);
    *count = n;
    return v;
}

/* A program calling v[0..n): one kernel, every call a statement. */
static char *program_text(const decl *v, size_t n)
{
    size_t cap = 4096;
    for (size_t i = 0; i < n; i++)
        cap += strlen(v[i].call) + strlen(v[i].images) * 2 + 16;
    char *s = malloc(cap);
    CHECK(s != NULL);
    char params[4096] = "";
    for (size_t i = 0; i < n; i++) {
        char *copy = strdup(v[i].images);
        for (char *tok = strtok(copy, ";"); tok; tok = strtok(NULL, ";")) {
            char acc[32], type[64], p[256];
            if (sscanf(tok, "%31s %63s", acc, type) != 2)
                continue;
            snprintf(p, sizeof p, ", %s %s img_%s_%s", acc, type, acc, type);
            if (!strstr(params, p))
                strncat(params, p, sizeof params - strlen(params) - 1);
        }
        free(copy);
    }
    int at = sprintf(s, "kernel void surface(global int *out, sampler_t smp%s) {\n", params);
    for (size_t i = 0; i < n; i++)
        at += sprintf(s + at, "  (void)%s;\n", v[i].call);
    sprintf(s + at, "}\n");
    return s;
}

/* Builds the group; on failure prints the log and returns 1. */
static int build_group(const svm_env *e, const char *std, const decl *v, size_t n, size_t first)
{
    char *src = program_text(v, n);
    cl_int err;
    cl_program p = clCreateProgramWithSource(e->context, 1, (const char **)&src, NULL, &err);
    CHECK_CL(err);
    char opts[64];
    snprintf(opts, sizeof opts, "-cl-std=%s -w -cl-opt-disable", std);
    err = clBuildProgram(p, 1, &e->device, opts, NULL, NULL);
    int failed = 0;
    if (err != CL_SUCCESS) {
        char *log = oclc20_build_string(p, e->device, CL_PROGRAM_BUILD_LOG);
        fprintf(stderr, "FAIL %s: declarations %zu-%zu (%s ... %s): error %d\n%s\n", std, first,
                first + n - 1, v[0].name, v[n - 1].name, err, log);
        free(log);
        failed = 1;
    }
    CHECK_CL(clReleaseProgram(p));
    free(src);
    return failed;
}

/* The function names (mangled) clang's IR for the file path (OpenCL C under std) defines (what
 * 'define', external linkage) or declares (what 'declare'), one per line with a leading and
 * trailing newline, malloc'd. */
static char *ir_names(const char *path, const char *std, const char *ext, const char *what)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd,
             "clang-15 -x cl -cl-std=%s -target spir64-unknown-unknown -Xclang "
             "-finclude-default-header -Xclang '%s' -O0 -w -emit-llvm -S -o - %s 2>/dev/null",
             std, ext, path);
    FILE *f = popen(cmd, "r");
    CHECK(f != NULL);
    size_t cap = 1 << 20, len = 1;
    char *out = malloc(cap), *line = NULL;
    CHECK(out != NULL);
    strcpy(out, "\n");
    size_t lcap = 0;
    size_t wl = strlen(what);
    while (getline(&line, &lcap, f) > 0) {
        if (strncmp(line, what, wl) || line[wl] != ' ' || strstr(line, " internal "))
            continue;
        char *at = strchr(line, '@');
        if (!at)
            continue;
        size_t n = strcspn(at + 1, "(");
        if (len + n + 2 > cap)
            CHECK((out = realloc(out, cap *= 2)) != NULL);
        memcpy(out + len, at + 1, n);
        len += n;
        out[len++] = '\n';
        out[len] = '\0';
    }
    free(line);
    CHECK_EQ(pclose(f), 0);
    return out;
}

/* Every function clsvm's support library exports is a built-in opencl-c.h declares for the
 * device (the same mangled name as one of the calls made above), or one clang lowers a
 * built-in to (__to_global & co.): the library's tables match the header. */
static void check_support_library(const char *ext, const decl *v, size_t n, const char *std)
{
    const char *tmp = getenv("TMPDIR");
    char path[512], lib[512], cmd[2048];
    snprintf(path, sizeof path, "%s/clsvm-surface-%d.cl", tmp && *tmp ? tmp : "/tmp",
             (int)getpid());
    snprintf(lib, sizeof lib, "%s/clsvm-surface-lib-%d.cl", tmp && *tmp ? tmp : "/tmp",
             (int)getpid());
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    char *text = program_text(v, n);
    fputs(text, f);
    free(text);
    CHECK_EQ(fclose(f), 0);
    snprintf(cmd, sizeof cmd,
             "cat '" CLSVM_SOURCE_DIR "/icd/oclc20/support.cl' '" CLSVM_SOURCE_DIR
             "/icd/oclc20/support_builtins.cl' > '%s'",
             lib);
    CHECK_EQ(system(cmd), 0);
    char *called = ir_names(path, std, ext, "declare");
    char *defined = ir_names(lib, std, ext, "define");
    unlink(path);
    unlink(lib);
    size_t checked = 0;
    for (char *p = defined + 1, *nl; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
        *nl = '\0';
        char key[1100];
        snprintf(key, sizeof key, "\n%s\n", p);
        /* Lowerings clang emits for to_* and the non-uniform work-item functions the
         * pre-include redirects to are clsvm's own names, not built-ins. */
        int lowered = !strcmp(p, "__to_global") || !strcmp(p, "__to_local") ||
                      !strcmp(p, "__to_private") || !strncmp(p, "__clsvm_nu_", 11);
        CHECK_MSG(lowered || strstr(called, key),
                  "%s: the support library defines %s, which opencl-c.h does not declare for "
                  "the device",
                  std, p);
        checked++;
        *nl = '\n';
    }
    CHECK_MSG(checked > 500, "%s: only %zu support library functions found", std, checked);
    fprintf(stderr, "%s: the support library's %zu functions are all declared by opencl-c.h\n", std,
            checked);
    free(called);
    free(defined);
}

static void decl_free(decl *d)
{
    free(d->name);
    free(d->call);
    free(d->images);
}

int main(int argc, char **argv)
{
    svm_env e;
    svm_env_open(&e);
    oclc20_require_path(&e);
    if (system("clang-15 --version >/dev/null 2>&1") != 0) {
        fprintf(stderr, "clang-15 cannot be run here: skipped\n");
        return SVM_TEST_SKIP;
    }
    char *names = NULL;
    char *ext = cl_ext(&e, &names);
    const char *stds[] = {"CL1.2", "CL2.0", "CL3.0"};
    int failures = 0;
    for (int s = 0; s < 3; s++) {
        if (argc > 1 && strcmp(argv[1], stds[s]))
            continue;
        size_t n = 0, kept = 0, skipped = 0;
        decl *v = declarations(stds[s], ext, names, &n);
        CHECK_MSG(n > 5000, "%s: only %zu declarations read from opencl-c.h", stds[s], n);
        for (size_t i = 0; i < n; i++) {
            if (unsupported_reason(&v[i])) {
                decl_free(&v[i]);
                skipped++;
                continue;
            }
            v[kept++] = v[i];
        }
        for (size_t i = 0; i < kept; i += GROUP)
            failures += build_group(&e, stds[s], v + i, kept - i < GROUP ? kept - i : GROUP, i);
        if (strcmp(stds[s], "CL1.2"))
            check_support_library(ext, v, kept, stds[s]);
        for (size_t i = 0; i < kept; i++)
            decl_free(&v[i]);
        free(v);
        fprintf(stderr, "%s: %zu built-in declarations called, %zu not provided by the backend\n",
                stds[s], kept, skipped);
    }
    CHECK_MSG(failures == 0, "%d groups of built-ins did not build", failures);
    free(ext);
    free(names);
    svm_env_close(&e);
    return svm_exit_code();
}
