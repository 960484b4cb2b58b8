/* test_check_leaks: with CLSVM_CHECK=all, every SVM allocation still live at exit is one report
 * naming its address, its size (the application's, not the red zone's), its flags and the
 * function that allocated it; a freed one is not reported; the same program freeing everything
 * reports nothing, and with the check off nothing is reported either. */
#include "check/check_child.h"

/* Exported (ENABLE_EXPORTS), so the report's allocation site shows its name. */
__attribute__((noinline)) void *leaky_alloc(svm_env *e, cl_svm_mem_flags flags, size_t size)
{
    void *p = svm_alloc(e, flags, size, 0);
    __asm__ volatile("" ::: "memory"); /* not a tail call: this frame stays on the stack */
    return p;
}

static int child(const char *part)
{
    svm_env e;
    if (!check_child_env(&e))
        return SVM_TEST_SKIP;
    cl_svm_mem_flags fine = CL_MEM_READ_WRITE | CL_MEM_SVM_FINE_GRAIN_BUFFER;
    if (!(e.caps & CL_DEVICE_SVM_FINE_GRAIN_BUFFER))
        fine = CL_MEM_READ_WRITE;
    void *a = leaky_alloc(&e, CL_MEM_READ_WRITE, 1000);
    void *b = leaky_alloc(&e, fine, 4096);
    void *c = leaky_alloc(&e, CL_MEM_READ_WRITE, 64);
    printf("A %p B %p C %p FINE %#llx\n", a, b, c, (unsigned long long)fine);
    clSVMFree(e.context, c);
    if (!strcmp(part, "noleak")) {
        clSVMFree(e.context, a);
        clSVMFree(e.context, b);
    }
    svm_env_close(&e);
    return 0;
}

/* The report about p: from its first line to the next report (or the end). */
static const char *report_of(const char *err, void *p, char *block, size_t cap)
{
    char head[64];
    snprintf(head, sizeof head, "SVM allocation %p (", p);
    const char *at = strstr(err, head);
    if (!at)
        return NULL;
    const char *end = strstr(at, "clsvm check [");
    size_t n = end ? (size_t)(end - at) : strlen(at);
    snprintf(block, cap, "%.*s", (int)n, at);
    return block;
}

/* The "leak" part leaks on purpose: its live SVM allocations keep the context, and with it the
 * backend's context, alive at exit, which LeakSanitizer (ASan builds) would report as a failure. */
static void run_leaking(child_run *r, const char *self, const char *check)
{
    const char *asan = getenv("ASAN_OPTIONS");
    char *saved = asan ? strdup(asan) : NULL;
    char no_leaks[1024];
    snprintf(no_leaks, sizeof no_leaks, "%s%sdetect_leaks=0", asan ? asan : "", asan ? ":" : "");
    setenv("ASAN_OPTIONS", no_leaks, 1);
    child_run_part(r, self, "leak", check, 0);
    if (saved)
        setenv("ASAN_OPTIONS", saved, 1);
    else
        unsetenv("ASAN_OPTIONS");
    free(saved);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        return child(argv[1]);
    const char *self = "/proc/self/exe";
    static child_run r;

    run_leaking(&r, self, "all");
    child_ok(&r, "leak");
    void *a, *b, *c;
    unsigned long long fine;
    CHECK_MSG(sscanf(r.out, "A %p B %p C %p FINE %llx", &a, &b, &c, &fine) == 4,
              "no addresses from the child: %s", r.out);
    CHECK_MSG(count_of(r.err, "clsvm check [leaks]: ") == 2 &&
                  count_of(r.err, "clsvm check [") == 2,
              "want two leak reports and no other:\n%s", r.err);
    CHECK_MSG(strstr(r.err, "clsvm check: 2 report(s) in this process\n"), "no summary in:\n%s",
              r.err);
    char block[4096], want[128];
    CHECK_MSG(report_of(r.err, a, block, sizeof block), "no report of %p:\n%s", a, r.err);
    snprintf(want, sizeof want, "SVM allocation %p (1000 bytes, flags %#llx) never freed\n", a,
             (unsigned long long)CL_MEM_READ_WRITE);
    CHECK_MSG(!strncmp(block, want, strlen(want)), "want '%s', got:\n%s", want, block);
    CHECK_MSG(strstr(block, "allocated at:\n") && strstr(block, "(leaky_alloc+") &&
                  strstr(block, "  fix: "),
              "no allocation site (leaky_alloc) or fix in:\n%s", block);
    CHECK_MSG(report_of(r.err, b, block, sizeof block), "no report of %p:\n%s", b, r.err);
    snprintf(want, sizeof want, "SVM allocation %p (4096 bytes, flags %#llx) never freed\n", b,
             fine);
    CHECK_MSG(!strncmp(block, want, strlen(want)), "want '%s', got:\n%s", want, block);
    CHECK_MSG(!report_of(r.err, c, block, sizeof block), "freed %p reported:\n%s", c, r.err);

    /* No leak, no report; the check off reports nothing. */
    child_run_part(&r, self, "noleak", "leaks", 0);
    child_ok(&r, "noleak");
    CHECK_MSG(!strstr(r.err, "clsvm check"), "unexpected report:\n%s", r.err);
    run_leaking(&r, self, NULL);
    child_ok(&r, "leak, check off");
    CHECK_MSG(!strstr(r.err, "clsvm check"), "unexpected report with the check off:\n%s", r.err);
    puts("ok");
    return 0;
}
