/*
 * test_option_env: the CLSVM_* options as the environment gives them, each case in a fresh
 * process (options are read once) whose stdout and stderr are captured:
 *  - one number rule for every option: digits only, so " 44" and "+44" are refused with the
 *    option's warning and the default used, for CLSVM_VA_BITS as for CLSVM_WINDOW_SIZE and
 *    CLSVM_NUMA (whose policy falls back to auto);
 *  - a variable set but empty is unset: CLSVM_BACKEND="" gives libpocl.so.2, CLSVM_LOG="" warn;
 *  - a failed window open names its real cause: CLSVM_FAULT=reserve:1 under auto says the
 *    fault, not devsvm, and a forced CLSVM_WINDOW=devsvm without a device says that there is
 *    no device, not that CLSVM_VA_BITS/CLSVM_WINDOW_SIZE are wrong;
 *  - values are read once and kept: a string the application putenv()s and then changes does
 *    not change the option.
 */
#include "check.h"
#include "run_child.h"
#include "clsvm/runtime.h"
#include "clsvm/internal/config.h"
#include "numa.h"

#include <string.h>

/* Child: print the effective values and what opening the default window gives. */
static int child(void)
{
    clsvm_numa_decision numa;
    uint64_t bound;
    printf("va_bits=%lld window_size=%lld log=%lld backend=%s device=%s\n",
           (long long)clsvm_option_int(CLSVM_OPT_VA_BITS),
           (long long)clsvm_option_int(CLSVM_OPT_WINDOW_SIZE),
           (long long)clsvm_option_int(CLSVM_OPT_LOG), clsvm_option_str(CLSVM_OPT_BACKEND),
           clsvm_option_str(CLSVM_OPT_DEVICE));
    fflush(stdout);
    clsvm_window *w = NULL;
    int rc = clsvm_window_open(NULL, &w);
    clsvm_numa_get(&numa, &bound);
    printf("open=%d numa=%s\n", rc, numa.policy);
    clsvm_window_close(w);
    return 0;
}

static const expect cases[] = {
    {{"CLSVM_VA_BITS= 44"}, {"va_bits=40 ", "CLSVM_VA_BITS=' 44' is not valid"}, {NULL}},
    {{"CLSVM_VA_BITS=+44"}, {"va_bits=40 ", "CLSVM_VA_BITS='+44' is not valid"}, {NULL}},
    {{"CLSVM_VA_BITS=44"}, {"va_bits=44 "}, {"not valid"}},
    {{"CLSVM_WINDOW_SIZE= 1G"},
     {"window_size=68719476736 ", "CLSVM_WINDOW_SIZE=' 1G' is not"},
     {NULL}},
    {{"CLSVM_WINDOW_SIZE=+1G"},
     {"window_size=68719476736 ", "CLSVM_WINDOW_SIZE='+1G' is not"},
     {NULL}},
    {{"CLSVM_WINDOW_SIZE=1G"}, {"window_size=1073741824 "}, {"not valid"}},
    {{"CLSVM_NUMA=+0", "CLSVM_WINDOW=reserve"}, {"numa=auto", "CLSVM_NUMA='+0' is not"}, {NULL}},
    {{"CLSVM_NUMA= 0", "CLSVM_WINDOW=reserve"}, {"numa=auto", "CLSVM_NUMA=' 0' is not"}, {NULL}},
    {{"CLSVM_BACKEND=", "CLSVM_LOG=", "CLSVM_DEVICE="},
     {"backend=libpocl.so.2 ", "log=1 ", "device=/dev/svm\n"},
     {"not valid"}},
    {{"CLSVM_FAULT=reserve:1", "CLSVM_WINDOW=auto", "CLSVM_DEVICE=/nonexistent/svm"},
     {"open=-5 ", "CLSVM_FAULT injected a failure"},
     {"devsvm"}},
    {{"CLSVM_WINDOW=devsvm", "CLSVM_DEVICE=/nonexistent/svm"},
     {"open=-5 ", "devsvm was requested but is unusable: no device at /nonexistent/svm"},
     {"CLSVM_VA_BITS", "CLSVM_WINDOW_SIZE"}},
};

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "child"))
        return child();
    run_child_clean_env();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_child_expect(argv[0], &cases[i]);
    printf("%zu environments checked\n", sizeof cases / sizeof cases[0]);

    /* In this process (no option read yet): a value is clsvm's own copy, so an application
     * that putenv()s its own string and changes it later does not change the option. */
    static char device[] = "CLSVM_DEVICE=/dev/first";
    CHECK_EQ(putenv(device), 0);
    CHECK(!strcmp(clsvm_option_str(CLSVM_OPT_DEVICE), "/dev/first"));
    memcpy(strchr(device, '=') + 1, "/tmp/other", 10);
    CHECK_MSG(!strcmp(clsvm_option_str(CLSVM_OPT_DEVICE), "/dev/first"),
              "CLSVM_DEVICE changed with the application's string: now '%s'",
              clsvm_option_str(CLSVM_OPT_DEVICE));
    return 0;
}
