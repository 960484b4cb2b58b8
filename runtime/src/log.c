/* log: stderr diagnostics; the level comes from the options table (CLSVM_LOG). */
#include "clsvm/internal/log.h"
#include "config.h"

#include <stdarg.h>
#include <stdio.h>

static const char *const level_names[] = {"error", "warning", "info", "debug"};

int clsvm_log_enabled(int level)
{
    return level <= (int)clsvm_option_int(CLSVM_OPT_LOG);
}

void clsvm_log(int level, const char *fmt, ...)
{
    if (!clsvm_log_enabled(level))
        return;
    /* One fprintf per line so lines from different threads do not interleave. */
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "clsvm: %s: %s\n", level_names[level < 0 ? 0 : level > 3 ? 3 : level], msg);
}
