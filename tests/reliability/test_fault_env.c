/*
 * test_fault_env: CLSVM_FAULT from the environment (read once per process, so each case runs
 * this program again as a child). A valid value fails exactly the calls it names, silently at
 * the default log level; a bad value prints exactly one warning naming CLSVM_FAULT and injects
 * nothing.
 */
#include "check.h"

#include "clsvm/runtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MiB ((size_t)1 << 20)

/* Child: open a window and make five 8 MiB allocations; print each status. */
static int child(void)
{
    clsvm_config cfg;
    clsvm_config_init(&cfg);
    cfg.window_size = 256 * MiB;
    cfg.provider = "reserve";
    clsvm_window *w = NULL;
    int rc = clsvm_window_open(&cfg, &w);
    printf("open=%d", rc);
    for (int i = 0; w && i < 5; i++) {
        void *p;
        printf(" %d", clsvm_alloc(w, 8 * MiB, 0, 0, NULL, &p));
    }
    printf(" valid=%d\n", w ? clsvm_window_validate(w) : 0);
    clsvm_window_close(w);
    return 0;
}

/* Run the child with CLSVM_FAULT=spec; its stdout line into out, warnings counted. */
static void run(const char *self, const char *spec, char *out, size_t cap, int *warnings)
{
    setenv("CLSVM_FAULT", spec, 1);
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' child 2>&1", self);
    FILE *f = popen(cmd, "r");
    CHECK(f != NULL);
    char line[1024];
    *warnings = 0;
    out[0] = 0;
    while (fgets(line, sizeof line, f)) {
        if (strstr(line, "warning: CLSVM_FAULT"))
            (*warnings)++;
        else if (!strncmp(line, "open=", 5))
            snprintf(out, cap, "%.200s", line);
        else
            fprintf(stderr, "child said: %s", line);
    }
    CHECK_EQ(pclose(f), 0);
    out[strcspn(out, "\n")] = 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "child"))
        return child();
    unsetenv("CLSVM_LOG");
    static const struct {
        const char *spec, *want;
        int warnings;
    } cases[] = {
        {"", "open=0 0 0 0 0 0 valid=0", 0},
        {"commit:2", "open=0 0 -4 0 0 0 valid=0", 0},
        {"commit:2+", "open=0 0 -4 -4 -4 -4 valid=0", 0},
        {"commit:1,commit:4", "open=0 -4 0 0 -4 0 valid=0", 0},
        {"decommit:1+", "open=0 0 0 0 0 0 valid=0", 0},
        {"reserve:1", "open=-5 valid=0", 0},
        {"reserve:2", "open=0 0 0 0 0 0 valid=0", 0},
        {"commit:0", "open=0 0 0 0 0 0 valid=0", 1},
        {"commit", "open=0 0 0 0 0 0 valid=0", 1},
        {"commit:2,bogus", "open=0 0 0 0 0 0 valid=0", 1},
        {"commit:2;decommit:1", "open=0 0 0 0 0 0 valid=0", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[256];
        int warnings;
        run(argv[0], cases[i].spec, out, sizeof out, &warnings);
        CHECK_MSG(!strcmp(out, cases[i].want), "CLSVM_FAULT='%s': got '%s', want '%s'",
                  cases[i].spec, out, cases[i].want);
        CHECK_MSG(warnings == cases[i].warnings, "CLSVM_FAULT='%s': %d warning lines, want %d",
                  cases[i].spec, warnings, cases[i].warnings);
    }
    printf("%zu CLSVM_FAULT values checked\n", sizeof cases / sizeof cases[0]);
    return 0;
}
