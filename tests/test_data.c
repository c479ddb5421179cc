/* test_data.c -- checks of the data readers and writers (runtime/dataio.c).
 *
 * Text tables: header detection, CSV vs blanks, comments, blank lines,
 * CRLF, BOM, quoted names, numeric edge cases (bitwise against C literals),
 * every error class with its exact message and location.  .npy: byte
 * orders, Fortran order, every dtype, version 2.0, bad headers (hand-made
 * fixtures from tests/data/make_fixtures.py, cross-checked with NumPy when
 * it is there, see t_npz_numpy.sh).  .npz: stored, deflate, zip64, CRC,
 * ragged members, hostile sizes.  Writers: bitwise round trips, fixed
 * bytes, atomicity under a simulated full disk (previous file intact byte
 * for byte, no temporary left), allocation failures (every allocation of a
 * load made to fail in turn: clean error, no leak under ASan), every
 * truncation and single-byte corruption of the binary fixtures, and a
 * bounded mutation fuzz run (fuzz_data.c).
 *
 * Also a helper CLI for t_npz_numpy.sh:
 *   test_data --dump FILE        table as CSV (%.17g) on stdout
 *   test_data --dump-arrays FILE .npy/.npz arrays: "name ndim d..." then values
 *   test_data --write DIR        writes DIR/ours.npz, ours.npy, ours.csv
 */
#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "hyrt.h"
#include "tap.h"

#define HY_FUZZ_NO_MAIN
#include "fuzz_data.c"

#define D "tests/data/"

static char tmpdir[64];

static void tmp_path(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", tmpdir, name);
}

static int has(const char *s, const char *sub) { return s && strstr(s, sub) != NULL; }

/* Parses text as a file called name; returns the load's status. */
static int parse(const char *name, const char *text, HyTable *t, char *err, size_t errlen)
{
    return hy_table_parse(name, text, strlen(text), t, err, errlen);
}

/* The parse of text must fail with a message containing want. */
static void expect_err(const char *test, const char *text, const char *want)
{
    HyTable t;
    char err[512] = "";
    int rc = parse("d.csv", text, &t, err, sizeof err);
    tap_check(rc == -1 && has(err, want) && t.ncols == 0 && !t.data && !t.names, test,
              "rc %d, message '%s', wanted '%s'", rc, err, want);
    hy_table_free(&t);
}

static void expect_file_err(const char *test, const char *path, const char *want)
{
    HyTable t;
    char err[512] = "";
    int rc = hy_table_load(path, &t, err, sizeof err);
    tap_check(rc == -1 && has(err, want) && t.ncols == 0, test, "rc %d, message '%s', wanted '%s'", rc, err,
              want);
    hy_table_free(&t);
}

static int same_bits(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

/* Column c of t equals want[0..n) bitwise. */
static int col_is(const HyTable *t, int c, const double *want, long n)
{
    if (c < 0 || c >= t->ncols || t->nrows != n)
        return 0;
    for (long r = 0; r < n; r++)
        if (!same_bits(t->data[(size_t)c * (size_t)n + (size_t)r], want[r]))
            return 0;
    return 1;
}

static int names_are(const HyTable *t, const char *joined)
{
    char buf[512] = "";
    size_t k = 0;
    for (int c = 0; c < t->ncols && k < sizeof buf; c++)
        k += (size_t)snprintf(buf + k, sizeof buf - k, "%s%s", c ? "|" : "", t->names[c]);
    return strcmp(buf, joined) == 0;
}

static long file_bytes(const char *path, unsigned char **out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    *out = malloc((size_t)n + 1);
    if (fread(*out, 1, (size_t)n, f) != (size_t)n)
        n = -1;
    fclose(f);
    return n;
}

static void put_bytes(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(p, 1, n, f);
        fclose(f);
    }
}

/* Number of entries of tmpdir whose name contains ".tmp-". */
static int temp_leftovers(void)
{
    int n = 0;
    DIR *d = opendir(tmpdir);
    if (!d)
        return -1;
    for (struct dirent *e; (e = readdir(d));)
        n += strstr(e->d_name, ".tmp-") != NULL;
    closedir(d);
    return n;
}

/* ---------------------------------------------------------------- text */

static void test_text_basic(void)
{
    HyTable t;
    char err[512] = "";
    int rc = hy_table_load(D "header.csv", &t, err, sizeof err);
    double x[] = {0, 0.5, 1}, tt[] = {0, 0.25, 1e-300}, u[] = {1.5, -2, -0.0};
    tap_check(rc == 0 && t.ncols == 3 && t.nrows == 3 && names_are(&t, "x|t|u"), "text/csv_header",
              "rc %d (%s), %d cols %ld rows", rc, err, t.ncols, t.nrows);
    tap_check(rc == 0 && col_is(&t, 0, x, 3) && col_is(&t, 1, tt, 3) && col_is(&t, 2, u, 3),
              "text/csv_values_bitwise", "values differ");
    tap_check(rc == 0 && signbit(t.data[8]), "text/negative_zero", "-0 lost its sign");
    tap_check(hy_table_column(&t, "t") == 1 && hy_table_column(&t, "v") == -1 &&
                  hy_table_column(&t, NULL) == -1,
              "text/column_lookup", "lookup wrong");
    char list[128];
    hy_table_columns_list(&t, list, sizeof list);
    tap_check(strcmp(list, "available columns: x, t, u") == 0, "text/columns_list", "got '%s'", list);
    hy_table_columns_list(&t, list, 28);
    tap_check(strlen(list) < 28 && has(list, "...") && has(list, "available columns: x"),
              "text/columns_list_cut", "got '%s'", list);
    hy_table_free(&t);
    tap_check(t.ncols == 0 && !t.data && !t.names, "text/free_zeroes", "not zeroed");
    hy_table_free(&t);   /* twice is fine */

    rc = hy_table_load(D "ws.txt", &t, err, sizeof err);
    double c0[] = {1, .5, -0.0}, c1[] = {2, 5., 1e3}, c2[] = {3, 3, -.5e-1};
    tap_check(rc == 0 && t.ncols == 3 && t.nrows == 3 && names_are(&t, "c0|c1|c2") && col_is(&t, 0, c0, 3) &&
                  col_is(&t, 1, c1, 3) && col_is(&t, 2, c2, 3),
              "text/whitespace_no_header", "rc %d (%s)", rc, err);
    hy_table_free(&t);

    rc = hy_table_load(D "crlf.csv", &t, err, sizeof err);
    double cx[] = {1, 3}, cu[] = {2, 4};
    tap_check(rc == 0 && names_are(&t, "x|u") && col_is(&t, 0, cx, 2) && col_is(&t, 1, cu, 2), "text/crlf",
              "rc %d (%s)", rc, err);
    hy_table_free(&t);

    rc = hy_table_load(D "quoted.csv", &t, err, sizeof err);
    tap_check(rc == 0 && t.ncols == 3 && names_are(&t, "x|u(x,t)|say \"hi\"") && t.nrows == 1,
              "text/quoted_names", "rc %d (%s) %s", rc, err, rc ? "" : t.names[2]);
    hy_table_free(&t);
}

static void test_text_numbers(void)
{
    HyTable t;
    char err[512] = "";
    const char *text = "a\n1e-300\n-0\n.5\n5.\n+3\n1E+3\n-.5e-1\n4.9e-324\n1e-400\n"
                       "0.1\n123456789012345678901234567890\n2.2250738585072014e-308\n"
                       "1.7976931348623157e308\n00012\n";
    double want[] = {1e-300, -0.0, .5, 5., 3, 1e3, -.05, 4.9e-324, 0.0, 0.1,
                     123456789012345678901234567890.0, 2.2250738585072014e-308,
                     1.7976931348623157e308, 12};
    int rc = parse("n.csv", text, &t, err, sizeof err);
    tap_check(rc == 0 && t.ncols == 1 && col_is(&t, 0, want, 14), "text/number_forms_bitwise", "rc %d (%s)", rc,
              err);
    hy_table_free(&t);
    /* Not numbers (each in a data row below a header). */
    const char *bad[] = {"0x10", "1d3", "1e", ".", "+-1", "1.2.3", "e5", "1e+", "--1", "1,5", "abc", "5f",
                         "1 e5", "\"1\"\"\""};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char buf[128], name[64], want2[64];
        snprintf(buf, sizeof buf, "a b\n1 2\n3 %s\n", bad[i]);
        snprintf(name, sizeof name, "text/not_a_number_%zu", i);
        if (strchr(bad[i], ' '))
            snprintf(want2, sizeof want2, "d.csv:3: row has 3 values, expected 2");
        else if (bad[i][0] == '"')
            snprintf(want2, sizeof want2, "d.csv:3:3: '1\"\"' is not a number");
        else
            snprintf(want2, sizeof want2, "d.csv:3:3: '%s' is not a number", bad[i]);
        expect_err(name, buf, want2);
    }
    expect_err("text/nan", "x,y\n1,2\n3,nan\n", "d.csv:3:3: 'nan' is not a finite number (NaN and Inf");
    expect_err("text/NaN_caps", "x y\n1 NaN\n", "d.csv:2:3: 'NaN' is not a finite number");
    expect_err("text/minus_inf", "1 2\n-inf 3\n", "d.csv:2:1: '-inf' is not a finite");
    expect_err("text/infinity", "x\n+Infinity\n", "d.csv:2:1: '+Infinity' is not a finite");
    expect_err("text/overflow", "x\n1\n1e999\n", "d.csv:3:1: '1e999' is out of the range of a double");
    expect_err("text/neg_overflow", "x\n-2e308\n", "d.csv:2:1: '-2e308' is out of the range");
    expect_file_err("text/nan_file", D "nan.txt", "nan.txt:3:3: 'nan' is not a finite number");
    /* A long number token (heap copy inside the parser). */
    char longnum[400];
    memset(longnum, '0', sizeof longnum);
    memcpy(longnum, "x\n0.", 4);
    memcpy(longnum + 300, "125\n", 5);
    rc = parse("l.csv", longnum, &t, err, sizeof err);
    tap_check(rc == 0 && t.nrows == 1 && t.data[0] == 1.25e-297, "text/long_number", "rc %d (%s) %g", rc, err,
              rc ? 0 : t.data[0]);
    hy_table_free(&t);
}

static void test_text_structure(void)
{
    HyTable t;
    char err[512] = "";
    /* header detection */
    int rc = parse("h.csv", "1,2\n3,4\n", &t, err, sizeof err);
    tap_check(rc == 0 && t.nrows == 2 && names_are(&t, "c0|c1"), "text/numeric_first_row_is_data", "rc %d", rc);
    hy_table_free(&t);
    rc = parse("h.csv", "x,1\n3,4\n", &t, err, sizeof err);
    tap_check(rc == 0 && t.nrows == 1 && names_are(&t, "x|1"), "text/one_word_makes_header", "rc %d", rc);
    hy_table_free(&t);
    rc = parse("h.csv", "\"1\",\"2\"\n3,4\n", &t, err, sizeof err);
    tap_check(rc == 0 && t.nrows == 1 && names_are(&t, "1|2"), "text/quoted_numbers_are_names", "rc %d", rc);
    hy_table_free(&t);
    rc = parse("h.csv", ",x,\n0,1,2\n", &t, err, sizeof err);
    tap_check(rc == 0 && names_are(&t, "c0|x|c2"), "text/empty_header_cells_named", "rc %d (%s)", rc, err);
    hy_table_free(&t);
    rc = parse("h.csv", "\"3\",4\n\"5\",6\n", &t, err, sizeof err);
    tap_check(rc == 0 && t.nrows == 1 && t.data[0] == 5, "text/quoted_number_in_data", "rc %d (%s)", rc, err);
    hy_table_free(&t);
    /* comments, blanks, BOM, tabs, trailing comment, no final newline */
    rc = parse("c.txt", "\xEF\xBB\xBF# top\n\n   \n\tx\ty # names\n# mid\n1\t2\n\n3 4", &t, err, sizeof err);
    double x[] = {1, 3}, y[] = {2, 4};
    tap_check(rc == 0 && names_are(&t, "x|y") && col_is(&t, 0, x, 2) && col_is(&t, 1, y, 2),
              "text/comments_blanks_bom", "rc %d (%s)", rc, err);
    hy_table_free(&t);
    rc = parse("c.csv", "x , y\r\n 1 ,2 \r\n\r\n3, 4 # c, d\r\n", &t, err, sizeof err);
    tap_check(rc == 0 && names_are(&t, "x|y") && col_is(&t, 0, x, 2) && col_is(&t, 1, y, 2),
              "text/csv_spaces_crlf", "rc %d (%s)", rc, err);
    hy_table_free(&t);
    rc = parse("one.csv", "u\n1\n2\n", &t, err, sizeof err);
    tap_check(rc == 0 && t.ncols == 1 && t.nrows == 2, "text/one_column", "rc %d (%s)", rc, err);
    hy_table_free(&t);

    /* errors */
    expect_file_err("text/ragged", D "ragged.csv", "ragged.csv:3: row has 3 values, expected 4");
    expect_err("text/ragged_more", "1 2\n3 4 5\n", "d.csv:2: row has 3 values, expected 2");
    expect_err("text/not_a_number_col", "x,t,u\n1,2,3\n4, abc,6\n", "d.csv:3:4: 'abc' is not a number");
    expect_err("text/empty_cell", "x,y\n1,\n", "d.csv:2:3: empty value");
    expect_err("text/empty_cell_middle", "x,y,z\n1,,3\n", "d.csv:2:3: empty value");
    expect_err("text/unterminated_quote", "\"x,y\n1,2\n", "d.csv:1:1: unterminated quote");
    expect_err("text/junk_after_quote", "\"x\"y,z\n1,2\n", "d.csv:1:4: unexpected character after a closing quote");
    expect_err("text/junk_after_quote_ws", "\"x\"y z\n1 2\n", "d.csv:1:4: unexpected character after a closing");
    expect_err("text/duplicate_names", "x,t,x\n1,2,3\n", "d.csv:1:5: duplicate column name 'x' (also column 1)");
    expect_err("text/duplicate_generated", "c1,\n1,2\n", "duplicate column name 'c1'");
    expect_err("text/empty", "", "d.csv: empty file");
    expect_err("text/comments_only", "# a\n\n  # b\n", "d.csv: no data rows (only blank or comment lines)");
    expect_err("text/header_only", "# c\nx,y\n", "d.csv: no data rows (only a header, line 2)");
    expect_err("text/control_in_name", "a\x01,b\n1,2\n", "d.csv:1:1: column name 'a\\x01' contains a control");
    {
        HyTable t3;
        int r3 = hy_table_parse("d.csv", "x\n1\0" "2\n", 6, &t3, err, sizeof err);
        tap_check(r3 == -1 && has(err, "d.csv:2:1: '1\\x002' is not a number"), "text/nul_byte", "%s", err);
    }
    char longname[400];
    memset(longname, 'n', 300);
    memcpy(longname + 300, "\n1\n", 4);
    expect_err("text/name_too_long", longname, "d.csv:1:1: column name is longer than 255 bytes");
    /* too many columns: more than HY_DATA_MAX_COLS cells in a row */
    size_t n = 2 * (size_t)HY_DATA_MAX_COLS + 8;
    char *wide = malloc(n + 1);
    for (size_t i = 0; i + 1 < n; i += 2)
        wide[i] = '1', wide[i + 1] = ',';
    wide[n - 1] = '\n';
    wide[n] = 0;
    expect_err("text/too_many_columns", wide, "d.csv:1: row has more than 100000 values");
    free(wide);
    /* extension checks */
    HyTable t2;
    rc = hy_table_parse("a.NPY", "x\n1\n", 4, &t2, err, sizeof err);
    tap_check(rc == -1 && has(err, "a.NPY: not a .npy file (bad magic)"), "text/npy_name_needs_magic", "%s", err);
    rc = hy_table_parse("a.npz", "x\n1\n", 4, &t2, err, sizeof err);
    tap_check(rc == -1 && has(err, "a.npz: not an .npz file (no zip signature)"), "text/npz_name_needs_magic",
              "%s", err);
}

static void test_files(void)
{
    expect_file_err("file/missing", D "no-such-file.csv", "tests/data/no-such-file.csv: No such file or directory");
    expect_file_err("file/directory", D, "is a directory, not a data file");
    expect_file_err("file/not_regular", "/dev/null", "/dev/null: not a regular file");
    char p[256];
    tmp_path(p, sizeof p, "fifo.csv");
    if (mkfifo(p, 0600) == 0) {
        expect_file_err("file/fifo_no_wait", p, "fifo.csv: not a regular file");
        unlink(p);
    }
    tmp_path(p, sizeof p, "empty.csv");
    put_bytes(p, "", 0);
    expect_file_err("file/empty", p, "empty.csv: empty file");
    /* A sparse file just over the size limit is refused before reading. */
    tmp_path(p, sizeof p, "huge.csv");
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int ok = fd >= 0 && ftruncate(fd, HY_DATA_MAX_BYTES + 1) == 0;
    if (fd >= 0)
        close(fd);
    if (ok)
        expect_file_err("file/too_large", p, "too large (2147483649 bytes; the limit is 2147483648)");
    else
        tap_check(0, "file/too_large", "could not make a sparse file");
    unlink(p);
    HyTable t;
    char err[64];
    int rc = hy_table_load(NULL, &t, err, sizeof err);
    tap_check(rc == -1 && has(err, "no file name"), "file/null_path", "%s", err);
    /* A tiny err buffer is filled and terminated, never overrun. */
    char small[8];
    memset(small, 'z', sizeof small);
    rc = hy_table_load(D "ragged.csv", &t, small, 6);
    tap_check(rc == -1 && small[5] == 0 && small[6] == 'z' && !strncmp(small, "tests", 5), "file/err_truncated",
              "err buffer misused");
    rc = hy_table_load(D "ragged.csv", &t, NULL, 0);
    tap_check(rc == -1, "file/err_null", "rc %d", rc);
}

/* ---------------------------------------------------------------- npy */

static void test_npy(void)
{
    HyTable t;
    char err[512] = "";
    int rc = hy_table_load(D "f8_le_1d.npy", &t, err, sizeof err);
    double v5[] = {0.0, -0.0, 1e-300, 1.5, -2.25};
    tap_check(rc == 0 && t.ncols == 1 && names_are(&t, "c0") && col_is(&t, 0, v5, 5), "npy/f8_1d", "rc %d (%s)", rc,
              err);
    hy_table_free(&t);
    double m0[] = {0.5, 10.5, 20.5}, m1[] = {1.5, 11.5, 21.5};
    rc = hy_table_load(D "f8_be_2d.npy", &t, err, sizeof err);
    tap_check(rc == 0 && names_are(&t, "c0|c1") && col_is(&t, 0, m0, 3) && col_is(&t, 1, m1, 3),
              "npy/big_endian_2d", "rc %d (%s)", rc, err);
    hy_table_free(&t);
    rc = hy_table_load(D "f8_fortran_2d.npy", &t, err, sizeof err);
    tap_check(rc == 0 && col_is(&t, 0, m0, 3) && col_is(&t, 1, m1, 3), "npy/fortran_order", "rc %d (%s)", rc, err);
    hy_table_free(&t);
    rc = hy_table_load(D "f4_be_fortran.npy", &t, err, sizeof err);
    double f0[] = {0, 1}, f1[] = {-0.25, 0.75}, f2[] = {-0.5, 0.5};
    tap_check(rc == 0 && t.ncols == 3 && col_is(&t, 0, f0, 2) && col_is(&t, 1, f1, 2) && col_is(&t, 2, f2, 2),
              "npy/float32_big_endian_fortran", "rc %d (%s)", rc, err);
    hy_table_free(&t);
    struct { const char *file, *test; long n; double v[4]; } ints[] = {
        {D "i4.npy", "npy/int32", 4, {-1, 2, -2147483648.0, 7}},
        {D "i8_be.npy", "npy/int64_big_endian", 3, {-1099511627776.0, 9007199254740992.0, -1}},
        {D "u1.npy", "npy/uint8", 3, {0, 200, 255}},
        {D "b1.npy", "npy/bool", 3, {1, 0, 1}},
        {D "v2.npy", "npy/version_2", 2, {3, 4}},
    };
    for (size_t i = 0; i < sizeof ints / sizeof *ints; i++) {
        rc = hy_table_load(ints[i].file, &t, err, sizeof err);
        tap_check(rc == 0 && col_is(&t, 0, ints[i].v, ints[i].n), ints[i].test, "rc %d (%s)", rc, err);
        hy_table_free(&t);
    }
    expect_file_err("npy/3d_rejected", D "cube.npy", "cube.npy: 3-D array, shape (2, 2, 2) (data needs a 1-D or 2-D");
    expect_file_err("npy/nan", D "nan.npy", "nan.npy: element [1, 0] is NaN (NaN and Inf are not allowed");
    expect_file_err("npy/truncated", D "trunc.npy",
                    "trunc.npy: truncated: shape (4,) of 8-byte values needs 32 data bytes, 27 present");
    expect_file_err("npy/object", D "obj.npy", "obj.npy: object arrays (pickled Python objects) are not supported");
    unsigned char *raw;
    long rn = file_bytes(D "f8_le_1d.npy", &raw);
    if (rn > 0) {
        unsigned char *more = malloc((size_t)rn + 3);
        memcpy(more, raw, (size_t)rn);
        memset(more + rn, 0, 3);
        rc = hy_table_parse("x.npy", more, (size_t)rn + 3, &t, err, sizeof err);
        tap_check(rc == -1 && has(err, "x.npy: 3 unexpected bytes after the array data"), "npy/trailing_bytes", "%s",
                  err);
        free(more);
        free(raw);
    }
    HyArray a;
    rc = hy_npy_read(D "cube.npy", &a, err, sizeof err);
    int ok = rc == 0 && a.ndim == 3 && a.shape[0] == 2 && a.shape[2] == 2 && a.size == 8 && !a.name;
    for (int i = 0; ok && i < 8; i++)
        ok = a.data[i] == i;
    tap_check(ok, "npy/read_3d", "rc %d (%s)", rc, err);
    hy_array_free(&a);
    rc = hy_npy_read(D "nan.npy", &a, err, sizeof err);
    tap_check(rc == 0 && isnan(a.data[2]), "npy/read_keeps_nan", "rc %d (%s)", rc, err);
    hy_array_free(&a);
    rc = hy_npy_read(D "header.csv", &a, err, sizeof err);
    tap_check(rc == -1 && has(err, "header.csv: not a .npy file (bad magic)"), "npy/read_text", "%s", err);

    /* Hand-made headers: each must give the message. */
    struct { const char *hdr, *want; } bad[] = {
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000,), }", "too large: shape (1000000000000,) exceeds the limit of 100000000 values"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296), }", "too large"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999999,), }", "dimension too large"},
        {"{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (1,), }", "structured (record) arrays are not supported"},
        {"{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }", "complex arrays ('<c16') are not supported"},
        {"{'descr': '<U3', 'fortran_order': False, 'shape': (1,), }", "string arrays ('<U3') are not supported"},
        {"{'descr': '<f2', 'fortran_order': False, 'shape': (1,), }", "unsupported dtype '<f2'"},
        {"{'descr': '<M8[ns]', 'fortran_order': False, 'shape': (1,), }", "datetime arrays"},
        {"{'descr': '<f8', 'fortran_order': False, }", "the .npy header lacks 'shape'"},
        {"{'descr': '<f8', 'fortran_order': Maybe, 'shape': (1,), }", "malformed .npy header (bad 'fortran_order' value)"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'extra': 1}", "unexpected key 'extra'"},
        {"{'descr': '<f8' 'fortran_order': False, 'shape': (1,), }", "malformed .npy header (expected ',' or '}')"},
        {"['descr']", "malformed .npy header (expected '{')"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'shape': (2,)}", "unexpected key 'shape'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        unsigned char buf[256];
        size_t hl = strlen(bad[i].hdr);
        memcpy(buf, "\x93NUMPY\x01\x00", 8);
        buf[8] = (unsigned char)hl;
        buf[9] = 0;
        memcpy(buf + 10, bad[i].hdr, hl);
        memset(buf + 10 + hl, 0, 8);
        char name[64];
        snprintf(name, sizeof name, "npy/bad_header_%zu", i);
        rc = hy_table_parse("h.npy", buf, 10 + hl + 8, &t, err, sizeof err);
        tap_check(rc == -1 && has(err, bad[i].want), name, "got '%s', wanted '%s'", err, bad[i].want);
    }
    unsigned char v9[16] = {0x93, 'N', 'U', 'M', 'P', 'Y', 9, 0, 2, 0, '{', '}'};
    rc = hy_table_parse("h.npy", v9, 12, &t, err, sizeof err);
    tap_check(rc == -1 && has(err, "unsupported .npy format version 9.0"), "npy/bad_version", "%s", err);
    rc = hy_table_parse("h.npy", v9, 8, &t, err, sizeof err);
    tap_check(rc == -1 && has(err, "truncated .npy header"), "npy/truncated_preamble", "%s", err);
    v9[6] = 1;
    v9[8] = 200;
    rc = hy_table_parse("h.npy", v9, 12, &t, err, sizeof err);
    tap_check(rc == -1 && has(err, "truncated .npy header (200 header bytes declared, 2 present)"),
              "npy/truncated_header", "%s", err);
}

/* ---------------------------------------------------------------- npz */

static void test_npz(void)
{
    const char *files[] = {D "stored.npz", D "deflate.npz", D "zip64.npz"};
    const char *tests[] = {"npz/stored", "npz/deflate", "npz/zip64"};
    double x[] = {0, 0.5, 1}, tt[] = {0, 0.25, 0.75}, u0[] = {1, 3, 5}, u1[] = {2, 4, 6};
    char err[512] = "";
    for (int i = 0; i < 3; i++) {
        HyTable t;
        int rc = hy_table_load(files[i], &t, err, sizeof err);
        tap_check(rc == 0 && names_are(&t, "x|t|U_0|U_1") && col_is(&t, 0, x, 3) && col_is(&t, 1, tt, 3) &&
                      col_is(&t, 2, u0, 3) && col_is(&t, 3, u1, 3),
                  tests[i], "rc %d (%s)", rc, err);
        hy_table_free(&t);
    }
    int n;
    HyArray *v;
    int rc = hy_npz_read(D "deflate.npz", &n, &v, err, sizeof err);
    tap_check(rc == 0 && n == 3 && !strcmp(v[2].name, "U") && v[2].ndim == 2 && v[2].shape[0] == 3 &&
                  v[2].shape[1] == 2 && v[2].data[1] == 2.0,
              "npz/read_arrays", "rc %d (%s)", rc, err);
    hy_arrays_free(n, v);
    hy_arrays_free(0, NULL);
    expect_file_err("npz/ragged_members", D "ragged.npz", "ragged.npz: member 'y': has 2 rows, but 'x' has 3");
    expect_file_err("npz/bad_crc", D "badcrc.npz", "badcrc.npz: member 'x.npy': CRC mismatch (the archive is corrupt)");
    rc = hy_npz_read(D "header.csv", &n, &v, err, sizeof err);
    tap_check(rc == -1 && has(err, "not an .npz file") && n == 0 && !v, "npz/read_text", "%s", err);

    /* Hostile archives made by patching the stored fixture. */
    unsigned char *z;
    long zn = file_bytes(D "stored.npz", &z);
    tap_check(zn > 100, "npz/fixture", "cannot read stored.npz");
    if (zn <= 100)
        return;
    unsigned char *m = malloc((size_t)zn);
    long eocd = zn - 22, cd = (long)(z[eocd + 16] | z[eocd + 17] << 8 | z[eocd + 18] << 16 | (long)z[eocd + 19] << 24);
    HyTable t;
    /* method 12 (bzip2) */
    memcpy(m, z, (size_t)zn);
    m[cd + 10] = 12;
    rc = hy_table_parse("m.npz", m, (size_t)zn, &t, err, sizeof err);
    tap_check(rc == -1 && has(err, "member 'x.npy': compression method 12 is not supported"), "npz/method", "%s", err);
    /* deflate claiming a huge inflated size */
    memcpy(m, z, (size_t)zn);
    m[cd + 10] = 8;
    m[cd + 24] = m[cd + 25] = m[cd + 26] = 0xff;
    m[cd + 27] = 0x7f;
    rc = hy_table_parse("m.npz", m, (size_t)zn, &t, err, sizeof err);
    tap_check(rc == -1 && has(err, "corrupt or too large: 2147483647 bytes from"), "npz/bomb_ratio", "%s", err);
    /* encrypted flag */
    memcpy(m, z, (size_t)zn);
    m[cd + 8] |= 1;
    rc = hy_table_parse("m.npz", m, (size_t)zn, &t, err, sizeof err);
    tap_check(rc == -1 && has(err, "encrypted members are not supported"), "npz/encrypted", "%s", err);
    /* entry count larger than the directory can hold */
    memcpy(m, z, (size_t)zn);
    m[eocd + 10] = 0xfe;
    m[eocd + 11] = 0xff;
    rc = hy_table_parse("m.npz", m, (size_t)zn, &t, err, sizeof err);
    tap_check(rc == -1 && has(err, "65534 entries cannot fit"), "npz/count", "%s", err);
    /* local header offset out of the file */
    memcpy(m, z, (size_t)zn);
    m[cd + 42 + 3] = 0x70;
    rc = hy_table_parse("m.npz", m, (size_t)zn, &t, err, sizeof err);
    tap_check(rc == -1 && has(err, "bad local header offset"), "npz/local_offset", "%s", err);
    /* a member that is not .npy */
    memcpy(m, z, (size_t)zn);
    m[cd + 46 + 1 + 1] = 'x';   /* "x.npy" -> "x.nxy" */
    rc = hy_table_parse("m.npz", m, (size_t)zn, &t, err, sizeof err);
    tap_check(rc == -1 && has(err, "member 'x.xpy': not a .npy array"), "npz/not_npy_member", "%s", err);
    /* two members of the same name */
    memcpy(m, z, (size_t)zn);
    long cd2 = cd + 46 + 5 + (long)(m[cd + 30] | m[cd + 31] << 8) + (long)(m[cd + 32] | m[cd + 33] << 8);
    m[cd2 + 46] = 'x';   /* "t.npy" -> "x.npy" */
    rc = hy_table_parse("m.npz", m, (size_t)zn, &t, err, sizeof err);
    tap_check(rc == -1 && has(err, "two members named 'x.npy'"), "npz/duplicate_member", "%s", err);
    /* no end record */
    rc = hy_table_parse("m.npz", z, (size_t)zn - 22, &t, err, sizeof err);
    tap_check(rc == -1 && has(err, "no end-of-directory record"), "npz/no_eocd", "%s", err);
    /* an empty archive */
    unsigned char empty[22] = {'P', 'K', 5, 6};
    rc = hy_table_parse("e.npz", empty, 22, &t, err, sizeof err);
    tap_check(rc == -1 && has(err, "e.npz: the archive holds no arrays"), "npz/empty_archive", "%s", err);
    free(m);
    free(z);
}

/* Every truncation of every binary fixture fails cleanly; single-byte
 * corruptions never crash (and a load that succeeds is well-formed). */
static void test_corruption(void)
{
    const char *files[] = {"f8_le_1d.npy", "f8_be_2d.npy", "f4_be_fortran.npy", "i8_be.npy", "v2.npy",
                           "stored.npz", "deflate.npz", "zip64.npz"};
    long truncs = 0, bad_truncs = 0, flips = 0;
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        char p[256], err[512];
        snprintf(p, sizeof p, D "%s", files[i]);
        unsigned char *b;
        long n = file_bytes(p, &b);
        if (n <= 0)
            continue;
        for (long k = 0; k < n; k++, truncs++) {
            HyTable t;
            if (hy_table_parse(files[i], b, (size_t)k, &t, err, sizeof err) != -1 || !err[0]) {
                bad_truncs++;
                hy_table_free(&t);
            }
        }
        for (long k = 0; k < n; k++) {
            for (int x = 0; x < 3; x++, flips++) {
                unsigned char save = b[k];
                b[k] = x == 0 ? (unsigned char)(save ^ 0x01) : x == 1 ? 0xff : 0x00;
                HyTable t;
                if (hy_table_parse(files[i], b, (size_t)n, &t, err, sizeof err) == 0) {
                    fz_check_table(&t);
                    hy_table_free(&t);
                }
                b[k] = save;
            }
        }
        free(b);
    }
    tap_check(truncs > 1000 && bad_truncs == 0, "corrupt/every_truncation_fails",
              "%ld of %ld truncations loaded", bad_truncs, truncs);
    tap_check(flips > 1000, "corrupt/byte_flips_no_crash", "only %ld flips", flips);
}

/* Every allocation of a load failing in turn: an "out of memory" error and
 * nothing leaked (ASan's leak check at exit). */
static void test_alloc_failures(void)
{
    const char *files[] = {D "header.csv", D "quoted.csv", D "f8_be_2d.npy", D "f4_be_fortran.npy",
                           D "stored.npz", D "deflate.npz", D "ragged.csv"};
    int ok = 1;
    long runs = 0;
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        HyTable ref;
        char err[512], rerr[512];
        int want = hy_table_load(files[i], &ref, rerr, sizeof rerr);
        hy_table_free(&ref);
        for (long k = 1; k < 200; k++, runs++) {
            HyTable t;
            hy_alloc_reset(k);
            int rc = hy_table_load(files[i], &t, err, sizeof err);
            long used = hy_alloc_count();
            hy_alloc_reset(0);
            if (rc == 0)
                hy_table_free(&t);
            if (used < k) {   /* no allocation failed: the normal outcome */
                ok &= rc == want;
                break;
            }
            if (!(rc == -1 && (has(err, "out of memory") || (want == -1 && !strcmp(err, rerr))))) {
                printf("# %s, allocation %ld failed: rc %d, '%s'\n", files[i], k, rc, err);
                ok = 0;
            }
        }
    }
    tap_check(ok && runs > 20, "alloc/every_failure_clean", "see above (%ld runs)", runs);
}

/* ---------------------------------------------------------------- writers */

static const double SPECIAL[] = {0.0, -0.0, 1.0, -1.0, 3.141592653589793, 1e-300, 4.9e-324, 1.7976931348623157e308,
                                 -2.2250738585072014e-308, 0.1, 1.0 / 3.0, 123456789.123456789};
#define NSPECIAL ((long)(sizeof SPECIAL / sizeof *SPECIAL))

static void test_writers(void)
{
    char p[256], q[256], err[512] = "";
    /* npz: arrays of several ranks, bitwise back */
    double a2[12], a1[5], a3[8], a0[1] = {-7.25};
    for (int i = 0; i < 12; i++)
        a2[i] = SPECIAL[i % NSPECIAL] * (i < 6 ? 1 : -1);
    for (int i = 0; i < 5; i++)
        a1[i] = i / 7.0;
    for (int i = 0; i < 8; i++)
        a3[i] = i - 3.5;
    const char *names[] = {"W", "b", "cube", "scalar", "none", "name with spaces,\"q\""};
    int ndims[] = {2, 1, 3, 0, 2, 1};
    long s2[] = {3, 4}, s1[] = {5}, s3[] = {2, 2, 2}, s0[] = {0, 3}, s5[] = {5};
    const long *shapes[] = {s2, s1, s3, NULL, s0, s5};
    const double *data[] = {a2, a1, a3, a0, NULL, a1};
    tmp_path(p, sizeof p, "ck.npz");
    int rc = hy_npz_write(p, 6, names, ndims, shapes, data, err, sizeof err);
    tap_check(rc == 0, "write/npz", "%s", err);
    int n;
    HyArray *v;
    rc = hy_npz_read(p, &n, &v, err, sizeof err);
    int ok = rc == 0 && n == 6;
    for (int i = 0; ok && i < 6; i++) {
        long size = 1;
        ok = !strcmp(v[i].name, names[i]) && v[i].ndim == ndims[i];
        for (int d = 0; ok && d < ndims[i]; d++)
            ok = v[i].shape[d] == shapes[i][d], size *= shapes[i][d];
        ok = ok && v[i].size == size && (size == 0 || !memcmp(v[i].data, data[i], (size_t)size * 8));
    }
    tap_check(ok, "write/npz_roundtrip_bitwise", "rc %d (%s) n %d", rc, err, n);
    hy_arrays_free(n, v);
    /* same inputs, same bytes */
    tmp_path(q, sizeof q, "ck2.npz");
    hy_npz_write(q, 6, names, ndims, shapes, data, err, sizeof err);
    unsigned char *b1, *b2;
    long n1 = file_bytes(p, &b1), n2 = file_bytes(q, &b2);
    tap_check(n1 > 0 && n1 == n2 && !memcmp(b1, b2, (size_t)n1), "write/npz_deterministic_bytes", "differ");
    /* npy members are 64-byte aligned headers like NumPy's */
    tap_check(n1 > 0 && b1[30 + 5] == 0x93 && (b1[30 + 5 + 8] | b1[30 + 5 + 9] << 8) % 64 == 54,
              "write/npy_header_padding", "header length not 64-aligned");
    free(b2);
    /* the table view of our npz: 1-D and 2-D only, so write a table-shaped one */
    const char *tn[] = {"x", "U"};
    int tnd[] = {1, 2};
    long tx[] = {3}, tu[] = {3, 2};
    const long *tsh[] = {tx, tu};
    double xv[] = {1, 2, 3}, uv[] = {1, 2, 3, 4, 5, 6};
    const double *tdata[] = {xv, uv};
    tmp_path(q, sizeof q, "tab.npz");
    rc = hy_npz_write(q, 2, tn, tnd, tsh, tdata, err, sizeof err);
    HyTable t;
    double u0[] = {1, 3, 5};
    rc = rc ? rc : hy_table_load(q, &t, err, sizeof err);
    tap_check(rc == 0 && names_are(&t, "x|U_0|U_1") && col_is(&t, 2, (double[]){2, 4, 6}, 3) && col_is(&t, 1, u0, 3),
              "write/npz_as_table", "rc %d (%s)", rc, err);
    if (!rc)
        hy_table_free(&t);

    /* npy */
    tmp_path(q, sizeof q, "one.npy");
    rc = hy_npy_write(q, 2, s2, a2, err, sizeof err);
    HyArray a;
    rc = rc ? rc : hy_npy_read(q, &a, err, sizeof err);
    tap_check(rc == 0 && a.ndim == 2 && a.shape[1] == 4 && !memcmp(a.data, a2, sizeof a2), "write/npy_roundtrip",
              "rc %d (%s)", rc, err);
    hy_array_free(&a);
    /* csv */
    double c1[NSPECIAL], c2[NSPECIAL];
    for (long i = 0; i < NSPECIAL; i++)
        c1[i] = SPECIAL[i], c2[i] = -SPECIAL[NSPECIAL - 1 - i] / 3;
    const char *cn[] = {"x", "u(x,t)", "1", "say \"hi\"", "nan", " sp", "#c"};
    const double *cols[] = {c1, c2, c1, c2, c1, c2, c1};
    tmp_path(q, sizeof q, "t.csv");
    rc = hy_csv_write(q, 7, cn, NSPECIAL, cols, err, sizeof err);
    rc = rc ? rc : hy_table_load(q, &t, err, sizeof err);
    ok = rc == 0 && t.ncols == 7 && t.nrows == NSPECIAL;
    for (int c = 0; ok && c < 7; c++)
        ok = !strcmp(t.names[c], cn[c]) && col_is(&t, c, cols[c], NSPECIAL);
    tap_check(ok, "write/csv_roundtrip_bitwise_names", "rc %d (%s)", rc, err);
    if (!rc)
        hy_table_free(&t);
    rc = hy_csv_write(q, 2, NULL, 3, (const double *[]){xv, xv}, err, sizeof err);
    rc = rc ? rc : hy_table_load(q, &t, err, sizeof err);
    tap_check(rc == 0 && names_are(&t, "c0|c1") && t.nrows == 3, "write/csv_generated_names", "rc %d (%s)", rc, err);
    if (!rc)
        hy_table_free(&t);

    /* refused inputs; the existing file is untouched */
    rc = hy_csv_write(q, 1, (const char *[]){"u"}, 2, (const double *[]){(double[]){1, NAN}}, err, sizeof err);
    tap_check(rc == -1 && has(err, "column 1 ('u') row 2 is not finite (NaN); not written"), "write/csv_nan_refused",
              "%s", err);
    rc = hy_csv_write(q, 2, (const char *[]){"u", "u"}, 1, (const double *[]){xv, xv}, err, sizeof err);
    tap_check(rc == -1 && has(err, "two columns named 'u'"), "write/csv_duplicate_names", "%s", err);
    rc = hy_npz_write(q, 2, (const char *[]){"a", "a"}, tnd, tsh, tdata, err, sizeof err);
    tap_check(rc == -1 && has(err, "two arrays named 'a'"), "write/npz_duplicate_names", "%s", err);
    rc = hy_npz_write(q, 1, (const char *[]){"a\nb"}, tnd, tsh, tdata, err, sizeof err);
    tap_check(rc == -1 && has(err, "bad array name 'a\\x0ab'"), "write/npz_bad_name", "%s", err);
    rc = hy_npy_write(q, 1, (long[]){-2}, xv, err, sizeof err);
    tap_check(rc == -1 && has(err, "negative dimension -2"), "write/npy_bad_shape", "%s", err);
    rc = hy_npy_write("/nonexistent-dir/x.npy", 1, tx, xv, err, sizeof err);
    tap_check(rc == -1 && has(err, "/nonexistent-dir/x.npy: cannot create a temporary file next to it: No such file"),
              "write/no_directory", "%s", err);
    tap_check(temp_leftovers() == 0, "write/no_temp_left", "temporary files remain");

    /* Disk full at every byte offset: the old file stays, byte for byte. */
    int intact = 1, failed_all = 1, tries = 0;
    double other[12];
    for (int i = 0; i < 12; i++)
        other[i] = -a2[i] + 1;
    const double *data_b[] = {other, a1, a3, a0, NULL, a1};
    for (long k = 0; k < n1; k += 7, tries++) {
        hy_io_fail_after(k);
        rc = hy_npz_write(p, 6, names, ndims, shapes, data_b, err, sizeof err);
        hy_io_fail_after(-1);
        failed_all &= rc == -1 && has(err, "No space left on device");
        unsigned char *b3;
        long n3 = file_bytes(p, &b3);
        intact &= n3 == n1 && !memcmp(b1, b3, (size_t)n1);
        free(b3);
    }
    tap_check(failed_all && tries > 50, "atomic/npz_disk_full_fails", "a write succeeded or the message differs: %s", err);
    tap_check(intact, "atomic/npz_previous_file_intact", "the previous checkpoint changed");
    tap_check(temp_leftovers() == 0, "atomic/no_temp_left_after_failures", "temporary files remain");
    hy_io_fail_after(10);
    rc = hy_csv_write(q, 2, NULL, 3, (const double *[]){xv, xv}, err, sizeof err);
    int rc2 = hy_npy_write(q, 1, tx, xv, err, sizeof err);
    hy_io_fail_after(-1);
    rc = rc == -1 && rc2 == -1 ? hy_table_load(q, &t, err, sizeof err) : -2;
    tap_check(rc == 0 && names_are(&t, "c0|c1"), "atomic/csv_npy_disk_full", "rc %d (%s)", rc, err);
    if (!rc)
        hy_table_free(&t);
    rc = hy_npz_write(p, 6, names, ndims, shapes, data_b, err, sizeof err);
    unsigned char *b4;
    long n4 = file_bytes(p, &b4);
    tap_check(rc == 0 && n4 == n1 && memcmp(b1, b4, (size_t)n1), "atomic/write_after_hook_off", "rc %d", rc);
    free(b4);
    free(b1);

    /* the raw atomic file */
    tmp_path(q, sizeof q, "meta.txt");
    HyAFile *f = hy_afile_open(q, err, sizeof err);
    rc = f ? hy_afile_write(f, "hello\n", 6, err, sizeof err) : -1;
    if (f)
        rc |= hy_afile_commit(f, err, sizeof err);
    unsigned char *b5;
    long n5 = file_bytes(q, &b5);
    tap_check(rc == 0 && n5 == 6 && !memcmp(b5, "hello\n", 6), "atomic/afile", "rc %d (%s)", rc, err);
    free(b5);
    f = hy_afile_open(q, err, sizeof err);
    if (f) {
        hy_afile_write(f, "bye", 3, err, sizeof err);
        hy_afile_abort(f);
    }
    n5 = file_bytes(q, &b5);
    tap_check(n5 == 6 && !memcmp(b5, "hello\n", 6) && temp_leftovers() == 0, "atomic/afile_abort", "changed");
    free(b5);
    /* the file mode follows the umask like an ordinary create */
    struct stat st;
    mode_t um = umask(022);
    umask(um);
    tap_check(stat(q, &st) == 0 && (st.st_mode & 0777) == (0666 & ~um), "atomic/file_mode", "mode %o",
              (unsigned)(st.st_mode & 0777));
}

/* ---------------------------------------------------------------- CLI for t_npz_numpy.sh */

static int cli(int argc, char **argv)
{
    char err[512];
    if (argc == 3 && !strcmp(argv[1], "--dump")) {
        HyTable t;
        if (hy_table_load(argv[2], &t, err, sizeof err)) {
            printf("error: %s\n", err);
            return 1;
        }
        for (int c = 0; c < t.ncols; c++)
            printf("%s%s", c ? "," : "", t.names[c]);
        printf("\n");
        for (long r = 0; r < t.nrows; r++)
            for (int c = 0; c < t.ncols; c++)
                printf("%.17g%s", t.data[(size_t)c * (size_t)t.nrows + (size_t)r], c + 1 < t.ncols ? "," : "\n");
        hy_table_free(&t);
        return 0;
    }
    if (argc == 3 && !strcmp(argv[1], "--dump-arrays")) {
        int n = 1;
        HyArray one, *v = &one;
        size_t l = strlen(argv[2]);
        int npz = l > 4 && !strcmp(argv[2] + l - 4, ".npz");
        if (npz ? hy_npz_read(argv[2], &n, &v, err, sizeof err) : hy_npy_read(argv[2], &one, err, sizeof err)) {
            printf("error: %s\n", err);
            return 1;
        }
        for (int i = 0; i < n; i++) {
            printf("%s %d", v[i].name ? v[i].name : "-", v[i].ndim);
            for (int d = 0; d < v[i].ndim; d++)
                printf(" %ld", v[i].shape[d]);
            printf("\n");
            for (long j = 0; j < v[i].size; j++)
                printf("%.17g\n", v[i].data[j]);
        }
        if (npz)
            hy_arrays_free(n, v);
        else
            hy_array_free(&one);
        return 0;
    }
    if (argc == 3 && !strcmp(argv[1], "--write")) {
        /* Values k/7 - 1 etc.: the same doubles in Python. */
        double w[12], b[5], c[8], s[1] = {-0.0};
        for (int i = 0; i < 12; i++)
            w[i] = i / 7.0 - 1;
        for (int i = 0; i < 5; i++)
            b[i] = 1e-300 * (i + 1);
        for (int i = 0; i < 8; i++)
            c[i] = i * 0.1;
        const char *names[] = {"W", "b", "c", "s", "e"};
        int nd[] = {2, 1, 3, 0, 2};
        long sw[] = {3, 4}, sb[] = {5}, sc[] = {2, 2, 2}, se[] = {0, 3};
        const long *sh[] = {sw, sb, sc, NULL, se};
        const double *d[] = {w, b, c, s, NULL};
        char p[512];
        snprintf(p, sizeof p, "%s/ours.npz", argv[2]);
        int rc = hy_npz_write(p, 5, names, nd, sh, d, err, sizeof err);
        snprintf(p, sizeof p, "%s/ours.npy", argv[2]);
        rc = rc ? rc : hy_npy_write(p, 2, sw, w, err, sizeof err);
        snprintf(p, sizeof p, "%s/ours.csv", argv[2]);
        rc = rc ? rc : hy_csv_write(p, 2, (const char *[]){"b", "b2"}, 5, (const double *[]){b, b}, err, sizeof err);
        if (rc)
            printf("error: %s\n", err);
        return rc ? 1 : 0;
    }
    fprintf(stderr, "usage: test_data [--dump FILE | --dump-arrays FILE | --write DIR]\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        return cli(argc, argv);
    /* tmpfs when there is one: every write is fsync'ed. */
    snprintf(tmpdir, sizeof tmpdir, "/dev/shm/hy-test-data-XXXXXX");
    if (!mkdtemp(tmpdir))
        snprintf(tmpdir, sizeof tmpdir, "/tmp/hy-test-data-XXXXXX");
    if (tmpdir[1] == 't' && !mkdtemp(tmpdir)) {
        printf("FAIL data/tmpdir: cannot create a temporary directory\n");
        return 1;
    }
    test_text_basic();
    test_text_numbers();
    test_text_structure();
    test_files();
    test_npy();
    test_npz();
    test_corruption();
    test_alloc_failures();
    test_writers();
    long ran = fuzz_data_bounded("tests/data", 20000);
    char fname[128];
    snprintf(fname, sizeof fname, "fuzz_data (%ld inputs, %ld loaded, %ld round trips)", ran, fz_loaded,
             fz_roundtrips);
    tap_check(ran == 20000, fname, "no seeds in tests/data (run from the repository root)");
    /* remove the temporary directory */
    DIR *d = opendir(tmpdir);
    for (struct dirent *e; d && (e = readdir(d));) {
        char p[512];
        if (e->d_name[0] == '.')
            continue;
        snprintf(p, sizeof p, "%s/%s", tmpdir, e->d_name);
        unlink(p);
    }
    if (d)
        closedir(d);
    rmdir(tmpdir);
    return tap_exit();
}
