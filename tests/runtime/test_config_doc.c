/* test_config_doc: docs/configuration.md lists every option of the table with its default,
 * as a table row "| `NAME` | `default` | ... |" ("(unset)" for an empty default), and the row
 * explains every placeholder ("%p") the table's line mentions, as `%p`. */
#include "check.h"

#include "clsvm/internal/config.h"

#include <string.h>

#ifndef CLSVM_CONFIG_DOC
#define CLSVM_CONFIG_DOC "docs/configuration.md"
#endif

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : CLSVM_CONFIG_DOC;
    FILE *f = fopen(path, "r");
    CHECK_MSG(f != NULL, "cannot open %s", path);
    static char doc[1 << 16];
    size_t n = fread(doc, 1, sizeof doc - 1, f);
    fclose(f);
    doc[n] = '\0';

    for (int id = 0; id < CLSVM_OPT_COUNT; id++) {
        const clsvm_option_desc *d = clsvm_option_describe((clsvm_option_id)id);
        CHECK(d != NULL && d->name && d->default_value);
        char row[256];
        if (d->default_value[0])
            snprintf(row, sizeof row, "| `%s` | `%s` |", d->name, d->default_value);
        else
            snprintf(row, sizeof row, "| `%s` | (unset) |", d->name);
        const char *at = strstr(doc, row);
        CHECK_MSG(at, "%s has no row starting \"%s\"; update it from config.c", path, row);
        /* Placeholders the table's line names (%p) are explained in the row too. */
        const char *eol = strchr(at, '\n');
        for (const char *c = strchr(d->doc, '%'); c && c[1]; c = strchr(c + 2, '%')) {
            char ph[8];
            snprintf(ph, sizeof ph, "`%%%c`", c[1]);
            const char *hit = strstr(at, ph);
            CHECK_MSG(hit && (!eol || hit < eol), "the row of %s in %s does not explain %s",
                      d->name, path, ph);
        }
    }
    CHECK(clsvm_option_describe(CLSVM_OPT_COUNT) == NULL);
    puts("ok");
    return 0;
}
