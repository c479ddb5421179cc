/* load.c -- data files into the value block, for emitted programs.
 *
 * Requires: the file was validated by the compiler (same path, columns,
 * row count).  Guarantees: out[k*nrows + r] = column names[k], row r, exactly
 * as parsed by dataio.c; a file changed since compilation (other row count,
 * missing column) or unreadable stops the program with a message naming
 * the file, exit status 1.
 */
#include <stdlib.h>
#include <string.h>
#include "rt_internal.h"

void hy_load_columns(HyCtx *c, const char *path, int ncols, const char *const *names, long nrows, double *out)
{
    (void)c;
    HyTable t;
    char err[512];
    if (hy_table_load(path, &t, err, sizeof err) != 0) {
        fprintf(stderr, "hycoc: error: %s\n", err);
        exit(1);
    }
    if (t.nrows != nrows) {
        fprintf(stderr, "hycoc: error: %s: has %ld rows now, but %ld when the program was compiled\n", path, t.nrows,
                nrows);
        hy_table_free(&t);
        exit(1);
    }
    for (int k = 0; k < ncols; k++) {
        int col = hy_table_column(&t, names[k]);
        if (col < 0) {
            fprintf(stderr, "hycoc: error: %s: no column '%s' any more\n", path, names[k]);
            hy_table_free(&t);
            exit(1);
        }
        memcpy(out + (long)k * nrows, t.data + (long)col * t.nrows, sizeof(double) * (size_t)nrows);
    }
    hy_table_free(&t);
}

void hy_fail(HyCtx *c, const char *what, const char *msg)
{
    (void)c;
    fprintf(stderr, "hycoc: error: %s: %s\n", what, msg && *msg ? msg : "failed");
    exit(1);
}
