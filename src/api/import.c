#include "api/import.h"

#include <stdio.h>

int import_command(const struct config *cfg, const char *text, size_t len)
{
    (void)cfg;
    (void)text;
    (void)len;
    fprintf(stderr, "tracker: import is not available yet\n");
    return 1;
}
