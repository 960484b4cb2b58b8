/* fake_backend_log.c: the fake backend's call log, one line per call it receives, and the
 * exported calls through which a test reads and clears it. */
#include "fake_backend.h"

#include <stdarg.h>
#include <stdio.h>

static char logbuf[1 << 16];

static size_t loglen;

void logf_(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pthread_mutex_lock(&lock);
    if (loglen < sizeof logbuf - 1) {
        int n = vsnprintf(logbuf + loglen, sizeof logbuf - loglen, fmt, ap);
        if (n > 0)
            loglen += (size_t)n < sizeof logbuf - loglen ? (size_t)n : sizeof logbuf - 1 - loglen;
    }
    pthread_mutex_unlock(&lock);
    va_end(ap);
}

EXPORT const char *fake_backend_log(void)
{
    return logbuf;
}

EXPORT void fake_backend_log_clear(void)
{
    pthread_mutex_lock(&lock);
    loglen = 0;
    logbuf[0] = 0;
    pthread_mutex_unlock(&lock);
}
