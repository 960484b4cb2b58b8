/* test_config_check: CLSVM_CHECK takes 1 or all (every check), 0 or
 * nothing (none), or a comma list of check names (a bit per name, in the order of
 * clsvm/internal/config.h); anything else (an unknown name, an empty item) is refused, which,
 * read from the environment, is one warning line naming the variable and the value, and no
 * check. CLSVM_CHECK_ABORT is 0 or 1; CLSVM_CHECK_QUARANTINE a size in bytes. */
#include "check.h"

#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int64_t parsed(clsvm_option_id id, const char *text)
{
    int64_t n = -1;
    return clsvm_option_parse(id, text, &n) == 0 ? n : -1;
}

int main(void)
{
    const int64_t all = CLSVM_CHECK_LEAKS | CLSVM_CHECK_REDZONE | CLSVM_CHECK_STALE |
                        CLSVM_CHECK_HOSTACCESS | CLSVM_CHECK_INUSE | CLSVM_CHECK_QUARANTINE;
    CHECK(parsed(CLSVM_OPT_CHECK, "1") == all);
    CHECK(parsed(CLSVM_OPT_CHECK, "all") == all);
    CHECK(parsed(CLSVM_OPT_CHECK, "0") == 0);
    CHECK(parsed(CLSVM_OPT_CHECK, "leaks") == CLSVM_CHECK_LEAKS);
    CHECK(parsed(CLSVM_OPT_CHECK, "redzone") == CLSVM_CHECK_REDZONE);
    CHECK(parsed(CLSVM_OPT_CHECK, "stale") == CLSVM_CHECK_STALE);
    CHECK(parsed(CLSVM_OPT_CHECK, "redzone,leaks") == (CLSVM_CHECK_LEAKS | CLSVM_CHECK_REDZONE));
    CHECK(parsed(CLSVM_OPT_CHECK, "inuse") == CLSVM_CHECK_INUSE);
    CHECK(parsed(CLSVM_OPT_CHECK, "quarantine") == CLSVM_CHECK_QUARANTINE);
    CHECK(parsed(CLSVM_OPT_CHECK, "stale,redzone,leaks,quarantine,inuse,hostaccess") == all);
    CHECK(parsed(CLSVM_OPT_CHECK, "leaks,leaks") == CLSVM_CHECK_LEAKS);
    CHECK(parsed(CLSVM_OPT_CHECK, "hostaccess") == CLSVM_CHECK_HOSTACCESS);
    /* Every bit distinct, and a bit per name in the order of check_choices. */
    CHECK((CLSVM_CHECK_LEAKS | CLSVM_CHECK_REDZONE | CLSVM_CHECK_STALE | CLSVM_CHECK_HOSTACCESS |
           CLSVM_CHECK_INUSE | CLSVM_CHECK_QUARANTINE) == 0x3f);
    CHECK(CLSVM_CHECK_HOSTACCESS == 1u << 3 && CLSVM_CHECK_INUSE == 1u << 4 &&
          CLSVM_CHECK_QUARANTINE == 1u << 5);
    const char *bad[] = {
        "2",     "yes",       "leak",         "leaks,", ",leaks", "leaks,,redzone", "leaks redzone",
        "LEAKS", "all,leaks", "redzone,bogus"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_MSG(parsed(CLSVM_OPT_CHECK, bad[i]) == -1, "'%s' accepted", bad[i]);
    CHECK(parsed(CLSVM_OPT_CHECK_ABORT, "1") == 1 && parsed(CLSVM_OPT_CHECK_ABORT, "0") == 0);
    CHECK(parsed(CLSVM_OPT_CHECK_ABORT, "2") == -1);
    /* The quarantine's size: bytes, with the size suffixes; 0 keeps nothing. */
    CHECK(parsed(CLSVM_OPT_CHECK_QUARANTINE, "0") == 0);
    CHECK(parsed(CLSVM_OPT_CHECK_QUARANTINE, "4096") == 4096);
    CHECK(parsed(CLSVM_OPT_CHECK_QUARANTINE, "16M") == 16 << 20);
    CHECK(parsed(CLSVM_OPT_CHECK_QUARANTINE, "-1") == -1 &&
          parsed(CLSVM_OPT_CHECK_QUARANTINE, "2T") == -1);

    /* From the environment: a typo is one warning line, and no check runs. */
    setenv("CLSVM_CHECK", "redzone,bogus", 1);
    unsetenv("CLSVM_LOG");
    FILE *err = tmpfile();
    CHECK(err);
    int saved = dup(STDERR_FILENO);
    fflush(stderr);
    dup2(fileno(err), STDERR_FILENO);
    int64_t mask = clsvm_option_int(CLSVM_OPT_CHECK);
    const char *text = clsvm_option_str(CLSVM_OPT_CHECK); /* reports the problem */
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    char buf[1024];
    rewind(err);
    size_t n = fread(buf, 1, sizeof buf - 1, err);
    buf[n] = '\0';
    CHECK_MSG(mask == 0 && !strcmp(text, ""), "mask %lld, text '%s'", (long long)mask, text);
    CHECK_MSG(strstr(buf, "CLSVM_CHECK='redzone,bogus' is not valid") &&
                  strchr(buf, '\n') == buf + n - 1,
              "want one warning line naming CLSVM_CHECK, got:\n%s", buf);
    puts("ok");
    return 0;
}
