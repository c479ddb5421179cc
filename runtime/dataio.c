/* dataio.c -- data files: text/.npy/.npz readers and atomic writers.
 *
 * Contracts are in dataio.h.  Design:
 * - A file is read whole into memory (after checking it is a regular file
 *   within HY_DATA_MAX_BYTES), then parsed from the buffer; every offset read
 *   from a header is checked against the buffer's length before use, and
 *   every allocation sized by a header field is checked against the file
 *   size (stored data) or the cell limit first.
 * - Text is parsed in one pass into a column-major block sized from a
 *   pre-count of the data-bearing lines; if that block would exceed the cell
 *   limit the pass still runs without storing, so a located error in the
 *   file is reported before "too large".
 * - Binary values are assembled byte by byte in the declared byte order, so
 *   the readers and writers do not depend on the host's byte order.
 * - Writers go through HyAFile: temp file in the target's directory,
 *   fflush + fsync + rename, temp removed on any failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include "rt_internal.h"

/* ================================================================ errors */

/* Where an error happened: the path as given, the .npz member (printable)
 * or NULL, and the caller's error buffer. */
typedef struct Where {
    const char *path;
    const char *member;
    char *err;
    size_t errlen;
} Where;

static int vfailat(const Where *w, long line, long col, const char *fmt, va_list ap)
{
    if (!w->err || w->errlen == 0)
        return -1;
    int k;
    if (line > 0 && col > 0)
        k = snprintf(w->err, w->errlen, "%s:%ld:%ld: ", w->path, line, col);
    else if (line > 0)
        k = snprintf(w->err, w->errlen, "%s:%ld: ", w->path, line);
    else if (w->member)
        k = snprintf(w->err, w->errlen, "%s: member '%s': ", w->path, w->member);
    else
        k = snprintf(w->err, w->errlen, "%s: ", w->path);
    if (k >= 0 && (size_t)k < w->errlen)
        vsnprintf(w->err + k, w->errlen - (size_t)k, fmt, ap);
    return -1;
}

/* Sets "PATH: msg" (or "PATH: member 'M': msg") and returns -1. */
__attribute__((format(printf, 2, 3)))
static int fail(const Where *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfailat(w, 0, 0, fmt, ap);
    va_end(ap);
    return -1;
}

/* Sets "PATH:LINE:COL: msg" (col 0: "PATH:LINE: msg") and returns -1. */
__attribute__((format(printf, 4, 5)))
static int failat(const Where *w, long line, long col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfailat(w, line, col, fmt, ap);
    va_end(ap);
    return -1;
}

/* Writes s[0..n) into out[0..cap) for a message: non-printable bytes as
 * \xNN, cut after 40 source bytes with "...".  cap >= 8. */
static const char *printable(const unsigned char *s, size_t n, char *out, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (i == 40 || k + 8 > cap) {
            memcpy(out + k, "...", 3);
            k += 3;
            break;
        }
        if (s[i] >= 0x20 && s[i] < 0x7f) {
            out[k++] = (char)s[i];
        } else {
            snprintf(out + k, cap - k, "\\x%02x", s[i]);
            k += 4;
        }
    }
    out[k] = 0;
    return out;
}

/* hy_malloc of count*size bytes (at least 1); NULL with err set on overflow
 * or allocation failure. */
static void *dalloc(const Where *w, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size) {
        fail(w, "out of memory (size overflow)");
        return NULL;
    }
    size_t n = count * size;
    void *p = hy_malloc(n ? n : 1);
    if (!p)
        fail(w, "out of memory (%zu bytes)", n);
    return p;
}

/* Copy of s[0..n) as a NUL-terminated string, or NULL with err set. */
static char *dstrndup(const Where *w, const char *s, size_t n)
{
    char *p = dalloc(w, n + 1, 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = 0;
    }
    return p;
}

/* ================================================================ names */

typedef struct NameIx {
    const char *name;
    int ix;
} NameIx;

static int nameix_cmp(const void *a, const void *b)
{
    const NameIx *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->ix > y->ix) - (x->ix < y->ix);
}

/* Looks for equal names among names[0..n).  Returns 0 and sets *dup to -1
 * (all distinct) or to the smallest index j whose name occurs earlier (*first
 * = that earlier index); -1 on allocation failure (err set). */
static int find_duplicate(const Where *w, char *const *names, int n, int *dup, int *first)
{
    *dup = -1;
    if (n < 2)
        return 0;
    NameIx *v = dalloc(w, (size_t)n, sizeof *v);
    if (!v)
        return -1;
    for (int i = 0; i < n; i++)
        v[i] = (NameIx){names[i], i};
    qsort(v, (size_t)n, sizeof *v, nameix_cmp);
    for (int i = 1; i < n; i++) {
        /* Within a group of equal names the indices are ascending, so the
         * second of the group is its earliest repetition. */
        if (strcmp(v[i].name, v[i - 1].name) == 0 && (i < 2 || strcmp(v[i - 1].name, v[i - 2].name))) {
            if (*dup < 0 || v[i].ix < *dup) {
                *dup = v[i].ix;
                *first = v[i - 1].ix;
            }
        }
    }
    hy_free(v);
    return 0;
}

/* 1 if s[0..n) is a usable name: 1..HY_DATA_MAX_NAME bytes, no control
 * characters (bytes < 0x20 or 0x7f). */
static int name_ok(const unsigned char *s, size_t n)
{
    if (n == 0 || n > HY_DATA_MAX_NAME)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < 0x20 || s[i] == 0x7f)
            return 0;
    return 1;
}

/* ================================================================ tables */

void hy_table_free(HyTable *t)
{
    if (!t)
        return;
    if (t->names)
        for (int c = 0; c < t->ncols; c++)
            hy_free(t->names[c]);
    hy_free(t->names);
    hy_free(t->data);
    memset(t, 0, sizeof *t);
}

int hy_table_column(const HyTable *t, const char *name)
{
    if (!t || !name || !t->names)
        return -1;
    for (int c = 0; c < t->ncols; c++)
        if (t->names[c] && strcmp(t->names[c], name) == 0)
            return c;
    return -1;
}

const char *hy_table_columns_list(const HyTable *t, char *buf, size_t len)
{
    if (!buf || len == 0)
        return buf;
    size_t k = (size_t)snprintf(buf, len, "available columns:");
    int n = t ? t->ncols : 0;
    if (n == 0 && k < len)
        snprintf(buf + k, len - k, " (none)");
    for (int c = 0; c < n && k < len; c++) {
        const char *nm = t->names && t->names[c] ? t->names[c] : "?";
        size_t need = strlen(nm) + 2;
        /* Keep room for ", ..." so a cut list says it was cut. */
        if (k + need + 6 > len && c + 1 < n) {
            snprintf(buf + k, len - k, "%s ...", c ? "," : "");
            break;
        }
        k += (size_t)snprintf(buf + k, len - k, "%s %s", c ? "," : "", nm);
    }
    return buf;
}

/* Allocates t->names (ncols entries, zeroed). */
static int table_alloc_names(const Where *w, HyTable *t, int ncols)
{
    t->ncols = ncols;
    t->names = dalloc(w, (size_t)ncols, sizeof *t->names);
    if (!t->names) {
        t->ncols = 0;
        return -1;
    }
    memset(t->names, 0, (size_t)ncols * sizeof *t->names);
    return 0;
}

/* ================================================================ text */

typedef struct Field {
    size_t off, len;   /* contents (inside the quotes if quoted) */
    long col;          /* 1-based byte column of the cell's first character */
    int quoted;
} Field;

typedef struct Fields {
    Field *v;
    long n, cap;
} Fields;

static int is_blank(unsigned char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f';
}

static int is_digit(unsigned char ch) { return ch >= '0' && ch <= '9'; }

static size_t skip_blanks(const unsigned char *s, size_t i, size_t b)
{
    while (i < b && is_blank(s[i]))
        i++;
    return i;
}

/* Appends f; a row with more than HY_DATA_MAX_COLS cells is an error. */
static int fields_push(const Where *w, Fields *F, Field f, long line)
{
    if (F->n == F->cap) {
        if (F->n >= HY_DATA_MAX_COLS)
            return failat(w, line, 0, "row has more than %ld values (the limit)", HY_DATA_MAX_COLS);
        long ncap = F->cap ? 2 * F->cap : 16;
        if (ncap > HY_DATA_MAX_COLS)
            ncap = HY_DATA_MAX_COLS;
        Field *v = dalloc(w, (size_t)ncap, sizeof *v);
        if (!v)
            return -1;
        if (F->n)
            memcpy(v, F->v, (size_t)F->n * sizeof *v);
        hy_free(F->v);
        F->v = v;
        F->cap = ncap;
    }
    F->v[F->n++] = f;
    return 0;
}

/* Finds the closing quote of the quoted cell opening at s[i] in the line
 * s[a..b); "" inside is an escaped quote.  Returns its index, or (size_t)-1
 * with err set. */
static size_t close_quote(const Where *w, const unsigned char *s, size_t a, size_t i, size_t b,
                          long line)
{
    for (size_t j = i + 1; j < b; j++) {
        if (s[j] != '"')
            continue;
        if (j + 1 < b && s[j + 1] == '"') {
            j++;
            continue;
        }
        return j;
    }
    failat(w, line, (long)(i - a + 1), "unterminated quote (a quoted cell must end on its line)");
    return (size_t)-1;
}

/* Splits the line s[a..b) ('\n' excluded) into cells: comma-separated if
 * csv, else separated by blanks.  Blank and comment lines give no cells.
 * Returns 0, or -1 with err set. */
static int split_line(const Where *w, const unsigned char *s, size_t a, size_t b, long line,
                      int csv, Fields *F)
{
    F->n = 0;
    size_t i = skip_blanks(s, a, b);
    if (i == b || s[i] == '#')
        return 0;
    for (;;) {
        Field f = {0, 0, (long)(i - a + 1), 0};
        if (i < b && s[i] == '"') {
            size_t j = close_quote(w, s, a, i, b, line);
            if (j == (size_t)-1)
                return -1;
            f.off = i + 1;
            f.len = j - i - 1;
            f.quoted = 1;
            i = skip_blanks(s, j + 1, b);
            if (i < b && s[i] != '#' && (csv ? s[i] != ',' : i == j + 1))
                return failat(w, line, (long)(i - a + 1), "unexpected character after a closing quote");
        } else if (csv) {
            size_t j = i;
            while (j < b && s[j] != ',' && s[j] != '#')
                j++;
            size_t e = j;
            while (e > i && is_blank(s[e - 1]))
                e--;
            f.off = i;
            f.len = e - i;
            i = j;
        } else {
            size_t j = i;
            while (j < b && !is_blank(s[j]) && s[j] != '#')
                j++;
            f.off = i;
            f.len = j - i;
            i = skip_blanks(s, j, b);
        }
        if (fields_push(w, F, f, line))
            return -1;
        if (csv && i < b && s[i] == ',') {
            i = skip_blanks(s, i + 1, b);
            if (i == b || s[i] == '#') {   /* trailing comma: one more, empty cell */
                Field e = {i, 0, (long)(i - a + 1), 0};
                return fields_push(w, F, e, line);
            }
            continue;
        }
        if (i == b || s[i] == '#')
            return 0;
        /* whitespace mode: i is at the next cell */
    }
}

/* 1 if s[0..n) is [+-] (digits [. digits*] | . digits) [(e|E) [+-] digits]. */
static int num_syntax(const unsigned char *s, size_t n)
{
    size_t i = 0, d = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    while (i < n && is_digit(s[i]))
        i++, d++;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && is_digit(s[i]))
            i++, d++;
    }
    if (d == 0)
        return 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t e = 0;
        while (i < n && is_digit(s[i]))
            i++, e++;
        if (e == 0)
            return 0;
    }
    return i == n;
}

static int word_eq(const unsigned char *s, size_t n, const char *wd)
{
    size_t k = strlen(wd);
    if (n != k)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = s[i];
        if (ch >= 'A' && ch <= 'Z')
            ch = (unsigned char)(ch - 'A' + 'a');
        if (ch != (unsigned char)wd[i])
            return 0;
    }
    return 1;
}

/* 1 if s[0..n) spells NaN or an infinity ([+-] nan|inf|infinity, any case). */
static int nonfinite_word(const unsigned char *s, size_t n)
{
    if (n && (s[0] == '+' || s[0] == '-'))
        s++, n--;
    return word_eq(s, n, "nan") || word_eq(s, n, "inf") || word_eq(s, n, "infinity");
}

/* Parses cell f of line `line` into *out. */
static int parse_cell(const Where *w, const unsigned char *s, const Field *f, long line, double *out)
{
    const unsigned char *p = s + f->off;
    char shown[200];
    if (f->len == 0)
        return failat(w, line, f->col, "empty value");
    if (nonfinite_word(p, f->len))
        return failat(w, line, f->col, "'%s' is not a finite number (NaN and Inf are not allowed in data)",
                      printable(p, f->len, shown, sizeof shown));
    if (!num_syntax(p, f->len))
        return failat(w, line, f->col, "'%s' is not a number", printable(p, f->len, shown, sizeof shown));
    char small[128], *tok = small;
    if (f->len >= sizeof small) {
        tok = dalloc(w, f->len + 1, 1);
        if (!tok)
            return -1;
    }
    memcpy(tok, p, f->len);
    tok[f->len] = 0;
    char *end;
    errno = 0;
    double v = strtod(tok, &end);
    int bad = end != tok + f->len, range = errno == ERANGE && isinf(v);
    if (tok != small)
        hy_free(tok);
    if (bad)   /* only in a locale whose decimal point is not '.' */
        return failat(w, line, f->col, "'%s' is not a number (is the C locale in use?)",
                      printable(p, f->len, shown, sizeof shown));
    if (range)
        return failat(w, line, f->col, "'%s' is out of the range of a double",
                      printable(p, f->len, shown, sizeof shown));
    *out = v;
    return 0;
}

/* Name of header cell f (quotes removed, "" -> "), or "c<index>" if empty. */
static char *header_name(const Where *w, const unsigned char *s, const Field *f, int index, long line)
{
    char shown[200];
    if (f->len == 0) {
        char gen[32];
        snprintf(gen, sizeof gen, "c%d", index);
        return dstrndup(w, gen, strlen(gen));
    }
    char *nm = dalloc(w, f->len + 1, 1);
    if (!nm)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < f->len; i++) {
        nm[k++] = (char)s[f->off + i];
        if (f->quoted && s[f->off + i] == '"')
            i++;   /* "" inside quotes */
    }
    nm[k] = 0;
    if (!name_ok((const unsigned char *)nm, k)) {
        if (k > HY_DATA_MAX_NAME)
            failat(w, line, f->col, "column name is longer than %d bytes", HY_DATA_MAX_NAME);
        else
            failat(w, line, f->col, "column name '%s' contains a control character",
                   printable((const unsigned char *)nm, k, shown, sizeof shown));
        hy_free(nm);
        return NULL;
    }
    return nm;
}

/* 1 if the line s[a..b) holds cells (is neither blank nor a comment). */
static int line_has_cells(const unsigned char *s, size_t a, size_t b)
{
    size_t i = skip_blanks(s, a, b);
    return i < b && s[i] != '#';
}

static size_t line_end(const unsigned char *s, size_t a, size_t n)
{
    const unsigned char *e = memchr(s + a, '\n', n - a);
    return e ? (size_t)(e - s) : n;
}

static int text_table(const Where *w, const unsigned char *s, size_t n, HyTable *t)
{
    Fields F = {0};
    size_t a = 0;
    long line = 1;
    int rc = -1, csv = 1;
    if (n >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF)
        a = 3;   /* UTF-8 byte order mark */
    /* First data-bearing line: separator and header. */
    size_t b;
    for (;;) {
        b = line_end(s, a, n);
        if (line_has_cells(s, a, b))
            break;
        if (b >= n)
            return fail(w, "no data rows (only blank or comment lines)");
        a = b + 1;
        line++;
    }
    long first_line = line;
    if (split_line(w, s, a, b, line, 1, &F))
        goto out;
    if (F.n == 1) {
        csv = 0;
        if (split_line(w, s, a, b, line, 0, &F))
            goto out;
    }
    int ncols = (int)F.n, header = 0;
    for (long c = 0; c < F.n; c++)
        if (F.v[c].quoted || (!num_syntax(s + F.v[c].off, F.v[c].len) &&
                              !nonfinite_word(s + F.v[c].off, F.v[c].len)))
            header = 1;
    if (table_alloc_names(w, t, ncols))
        goto out;
    for (int c = 0; c < ncols; c++) {
        if (header) {
            t->names[c] = header_name(w, s, &F.v[c], c, line);
        } else {
            char gen[32];
            snprintf(gen, sizeof gen, "c%d", c);
            t->names[c] = dstrndup(w, gen, strlen(gen));
        }
        if (!t->names[c])
            goto out;
    }
    int dup, first;
    if (find_duplicate(w, t->names, ncols, &dup, &first))
        goto out;
    if (dup >= 0) {
        failat(w, line, F.v[dup].col, "duplicate column name '%s' (also column %d)", t->names[dup],
               first + 1);
        goto out;
    }
    /* Rows: every data-bearing line from here on (the header excluded). */
    long rows = 0;
    for (size_t a2 = a, b2; a2 < n; a2 = b2 + 1) {
        b2 = line_end(s, a2, n);
        rows += line_has_cells(s, a2, b2);
    }
    rows -= header;
    if (rows == 0) {
        fail(w, "no data rows (only a header, line %ld)", first_line);
        goto out;
    }
    int store = rows <= HY_DATA_MAX_CELLS / ncols;
    if (store && !(t->data = dalloc(w, (size_t)rows * (size_t)ncols, sizeof(double))))
        goto out;
    long r = 0;
    size_t start = header ? b + 1 : a;
    if (header)
        line++;
    for (size_t a2 = start, b2; a2 < n; a2 = b2 + 1, line++) {
        b2 = line_end(s, a2, n);
        if (split_line(w, s, a2, b2, line, csv, &F))
            goto out;
        if (F.n == 0)
            continue;
        if (F.n != ncols) {
            failat(w, line, 0, "row has %ld values, expected %d", F.n, ncols);
            goto out;
        }
        for (int c = 0; c < ncols; c++) {
            double v = 0;
            if (parse_cell(w, s, &F.v[c], line, &v))
                goto out;
            if (store)
                t->data[(size_t)c * (size_t)rows + (size_t)r] = v;
        }
        r++;
    }
    if (r != rows)
        RT_ICE("text table: counted %ld rows, parsed %ld", rows, r);
    if (!store) {
        fail(w, "too large: %ld rows x %d columns (the limit is %ld values)", rows, ncols,
             HY_DATA_MAX_CELLS);
        goto out;
    }
    t->nrows = rows;
    rc = 0;
out:
    hy_free(F.v);
    if (rc)
        hy_table_free(t);
    return rc;
}

/* ================================================================ .npy */

typedef struct NpyHdr {
    char kind;        /* 'f', 'i', 'u' or 'b' */
    int isize;        /* bytes per element */
    int big;          /* big-endian elements */
    int fortran;      /* Fortran (column-major) order */
    int ndim;
    long shape[HY_NPY_MAX_DIM];
    long size;        /* product of shape */
    size_t off;       /* offset of the data */
} NpyHdr;

static const unsigned char NPY_MAGIC[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

static int host_big_endian(void)
{
    const uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 0;
}

static uint32_t rd16(const unsigned char *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t rd32(const unsigned char *p) { return rd16(p) | rd16(p + 2) << 16; }
static uint64_t rd64(const unsigned char *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

/* Formats a shape the way Python prints a tuple: (), (3,), (3, 4). */
static const char *shape_str(int ndim, const long *shape, char *buf, size_t cap)
{
    size_t k = (size_t)snprintf(buf, cap, "(");
    for (int d = 0; d < ndim && k < cap; d++)
        k += (size_t)snprintf(buf + k, cap - k, "%s%ld", d ? ", " : "", shape[d]);
    if (k < cap)
        snprintf(buf + k, cap - k, ndim == 1 ? ",)" : ")");
    return buf;
}

typedef struct Lex {
    const unsigned char *s;
    size_t i, n;
} Lex;

static void lx_ws(Lex *L)
{
    while (L->i < L->n && (is_blank(L->s[L->i]) || L->s[L->i] == '\n'))
        L->i++;
}

/* Reads a Python string literal '...' or "..." (no escapes) into out; 0, or
 * -1 if there is none or it does not fit. */
static int lx_str(Lex *L, char *out, size_t cap)
{
    if (L->i >= L->n || (L->s[L->i] != '\'' && L->s[L->i] != '"'))
        return -1;
    unsigned char q = L->s[L->i++];
    size_t k = 0;
    while (L->i < L->n && L->s[L->i] != q) {
        if (k + 1 >= cap)
            return -1;
        out[k++] = (char)L->s[L->i++];
    }
    if (L->i >= L->n)
        return -1;
    L->i++;
    out[k] = 0;
    return 0;
}

static int lx_word(Lex *L, const char *wd)
{
    size_t k = strlen(wd);
    if (L->n - L->i < k || memcmp(L->s + L->i, wd, k))
        return 0;
    L->i += k;
    return 1;
}

static int npy_descr(const Where *w, const char *d, NpyHdr *h)
{
    const char *q = d;
    h->big = host_big_endian();
    if (*q == '<' || *q == '>' || *q == '|' || *q == '=') {
        if (*q == '<')
            h->big = 0;
        else if (*q == '>')
            h->big = 1;
        q++;
    }
    char k = *q ? *q++ : 0;
    int size = 0, nd = 0;
    while (is_digit((unsigned char)*q) && nd < 4)
        size = size * 10 + (*q++ - '0'), nd++;
    switch (k) {
    case 'O':
        return fail(w, "object arrays (pickled Python objects) are not supported; save numbers");
    case 'U': case 'S': case 'a':
        return fail(w, "string arrays ('%s') are not supported", d);
    case 'c':
        return fail(w, "complex arrays ('%s') are not supported", d);
    case 'M': case 'm':
        return fail(w, "datetime arrays ('%s') are not supported", d);
    case 'V':
        return fail(w, "structured (record) arrays are not supported");
    default:
        break;
    }
    int ok = !*q && ((k == 'f' && (size == 4 || size == 8)) ||
                     ((k == 'i' || k == 'u') && (size == 1 || size == 2 || size == 4 || size == 8)) ||
                     (k == 'b' && size == 1));
    if (!ok)
        return fail(w, "unsupported dtype '%s' (supported: float32/64, int and uint 8-64, bool)", d);
    h->kind = k;
    h->isize = size;
    return 0;
}

/* Parses the .npy preamble and header dict of p[0..n); sets h, checks the
 * size limit against *budget (cells still allowed) and the data length. */
static int npy_header(const Where *w, const unsigned char *p, size_t n, long budget, NpyHdr *h)
{
    char shown[200], buf[200];
    memset(h, 0, sizeof *h);
    if (n < 10 || memcmp(p, NPY_MAGIC, 6))
        return fail(w, n < 10 && !memcmp(p, NPY_MAGIC, n < 6 ? n : 6) ? "truncated .npy header"
                                                                     : "not a .npy file (bad magic)");
    int major = p[6], minor = p[7];
    size_t hlen, hoff;
    if (major == 1) {
        hlen = rd16(p + 8);
        hoff = 10;
    } else if (major == 2 || major == 3) {
        if (n < 12)
            return fail(w, "truncated .npy header");
        hlen = rd32(p + 8);
        hoff = 12;
    } else {
        return fail(w, "unsupported .npy format version %d.%d", major, minor);
    }
    if (hlen > n - hoff)
        return fail(w, "truncated .npy header (%zu header bytes declared, %zu present)", hlen, n - hoff);
    Lex L = {p + hoff, 0, hlen};
    int have_descr = 0, have_fortran = 0, have_shape = 0;
    const char *why = NULL;
    lx_ws(&L);
    if (L.i >= L.n || L.s[L.i] != '{') {
        why = "expected '{'";
        goto bad;
    }
    L.i++;
    for (;;) {
        lx_ws(&L);
        if (L.i < L.n && L.s[L.i] == '}') {
            L.i++;
            break;
        }
        char key[32];
        if (lx_str(&L, key, sizeof key)) {
            why = "expected a quoted key";
            goto bad;
        }
        lx_ws(&L);
        if (L.i >= L.n || L.s[L.i] != ':') {
            why = "expected ':' after a key";
            goto bad;
        }
        L.i++;
        lx_ws(&L);
        if (!strcmp(key, "descr") && !have_descr) {
            char d[32];
            if (L.i < L.n && L.s[L.i] == '[')
                return fail(w, "structured (record) arrays are not supported");
            if (lx_str(&L, d, sizeof d)) {
                why = "bad 'descr' value";
                goto bad;
            }
            if (npy_descr(w, d, h))
                return -1;
            have_descr = 1;
        } else if (!strcmp(key, "fortran_order") && !have_fortran) {
            if (lx_word(&L, "True"))
                h->fortran = 1;
            else if (!lx_word(&L, "False")) {
                why = "bad 'fortran_order' value";
                goto bad;
            }
            have_fortran = 1;
        } else if (!strcmp(key, "shape") && !have_shape) {
            if (L.i >= L.n || L.s[L.i] != '(') {
                why = "bad 'shape' value";
                goto bad;
            }
            L.i++;
            for (;;) {
                lx_ws(&L);
                if (L.i < L.n && L.s[L.i] == ')') {
                    L.i++;
                    break;
                }
                if (L.i >= L.n || !is_digit(L.s[L.i])) {
                    why = "bad 'shape' value";
                    goto bad;
                }
                if (h->ndim == HY_NPY_MAX_DIM)
                    return fail(w, "array has more than %d dimensions", HY_NPY_MAX_DIM);
                long v = 0;
                while (L.i < L.n && is_digit(L.s[L.i])) {
                    if (v > (LONG_MAX - 9) / 10)
                        return fail(w, "array dimension too large in the .npy header");
                    v = v * 10 + (L.s[L.i++] - '0');
                }
                if (L.i < L.n && L.s[L.i] == 'L')
                    L.i++;
                h->shape[h->ndim++] = v;
                lx_ws(&L);
                if (L.i < L.n && L.s[L.i] == ',')
                    L.i++;
                else if (!(L.i < L.n && L.s[L.i] == ')')) {
                    why = "bad 'shape' value";
                    goto bad;
                }
            }
            have_shape = 1;
        } else {
            return fail(w, "unexpected key '%s' in the .npy header",
                        printable((const unsigned char *)key, strlen(key), buf, sizeof buf));
        }
        lx_ws(&L);
        if (L.i < L.n && L.s[L.i] == ',')
            L.i++;
        else if (!(L.i < L.n && L.s[L.i] == '}')) {
            why = "expected ',' or '}'";
            goto bad;
        }
    }
    if (!have_descr || !have_fortran || !have_shape)
        return fail(w, "the .npy header lacks '%s'",
                    !have_descr ? "descr" : !have_fortran ? "fortran_order" : "shape");
    /* Size: zero if any dimension is; else the product, capped by the budget. */
    h->size = 1;
    for (int d = 0; d < h->ndim; d++)
        if (h->shape[d] == 0)
            h->size = 0;
    for (int d = 0; d < h->ndim && h->size; d++) {
        if (h->shape[d] > budget / h->size)
            return fail(w, "too large: shape %s exceeds the limit of %ld values",
                        shape_str(h->ndim, h->shape, buf, sizeof buf), budget);
        h->size *= h->shape[d];
    }
    h->off = hoff + hlen;
    size_t need = (size_t)h->size * (size_t)h->isize, have = n - h->off;
    if (have < need)
        return fail(w, "truncated: shape %s of %d-byte values needs %zu data bytes, %zu present",
                    shape_str(h->ndim, h->shape, buf, sizeof buf), h->isize, need, have);
    if (have > need)
        return fail(w, "%zu unexpected bytes after the array data", have - need);
    return 0;
bad:
    return fail(w, "malformed .npy header (%s): %s", why, printable(p + hoff, hlen, shown, sizeof shown));
}

/* The element at q as a double. */
static double npy_elem(const unsigned char *q, char kind, int isize, int big)
{
    uint64_t u = 0;
    for (int i = 0; i < isize; i++)
        u = u << 8 | q[big ? i : isize - 1 - i];
    switch (kind) {
    case 'f':
        if (isize == 8) {
            double d;
            memcpy(&d, &u, 8);
            return d;
        } else {
            uint32_t u32 = (uint32_t)u;
            float f;
            memcpy(&f, &u32, 4);
            return f;
        }
    case 'i': {
        int bits = 8 * isize;
        if (bits < 64 && (u >> (bits - 1) & 1))
            u |= ~(uint64_t)0 << bits;   /* sign-extend */
        int64_t s;
        memcpy(&s, &u, 8);
        return (double)s;
    }
    case 'u':
        return (double)u;
    default:   /* 'b' */
        return u ? 1.0 : 0.0;
    }
}

/* Decodes the .npy image p[0..n) into *a (C order).  *budget (cells still
 * allowed) is reduced by the array's size. */
static int npy_decode(const Where *w, const unsigned char *p, size_t n, long *budget, HyArray *a)
{
    NpyHdr h;
    memset(a, 0, sizeof *a);
    if (npy_header(w, p, n, *budget, &h))
        return -1;
    double *x = dalloc(w, (size_t)h.size, sizeof(double));
    if (!x)
        return -1;
    const unsigned char *src = p + h.off;
    if (h.fortran && h.ndim >= 2 && h.size > 0) {
        /* C-order walk over the output; off is the Fortran-order index. */
        long idx[HY_NPY_MAX_DIM] = {0}, fstr[HY_NPY_MAX_DIM], off = 0;
        fstr[0] = 1;
        for (int d = 1; d < h.ndim; d++)
            fstr[d] = fstr[d - 1] * h.shape[d - 1];
        for (long i = 0; i < h.size; i++) {
            x[i] = npy_elem(src + (size_t)off * (size_t)h.isize, h.kind, h.isize, h.big);
            for (int d = h.ndim - 1; d >= 0; d--) {
                off += fstr[d];
                if (++idx[d] < h.shape[d])
                    break;
                off -= fstr[d] * h.shape[d];
                idx[d] = 0;
            }
        }
    } else if (h.kind == 'f' && h.isize == 8 && h.big == host_big_endian()) {
        memcpy(x, src, (size_t)h.size * 8);
    } else {
        for (long i = 0; i < h.size; i++)
            x[i] = npy_elem(src + (size_t)i * (size_t)h.isize, h.kind, h.isize, h.big);
    }
    a->ndim = h.ndim;
    memcpy(a->shape, h.shape, sizeof h.shape);
    a->size = h.size;
    a->data = x;
    *budget -= h.size;
    return 0;
}

void hy_array_free(HyArray *a)
{
    if (!a)
        return;
    hy_free(a->name);
    hy_free(a->data);
    memset(a, 0, sizeof *a);
}

void hy_arrays_free(int n, HyArray *arrays)
{
    if (!arrays)
        return;
    for (int i = 0; i < n; i++)
        hy_array_free(&arrays[i]);
    hy_free(arrays);
}

/* ================================================================ .npz */

static void *z_alloc(void *opaque, uInt items, uInt size)
{
    (void)opaque;
    return hy_malloc((size_t)items * size);
}

static void z_free(void *opaque, void *p)
{
    (void)opaque;
    hy_free(p);
}

static uint32_t crc_of(const unsigned char *p, size_t n)
{
    uLong c = crc32(0L, Z_NULL, 0);
    while (n) {
        uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;
        c = crc32(c, p, k);
        p += k;
        n -= k;
    }
    return (uint32_t)c;
}

/* Inflates the raw deflate stream in[0..ilen) into out[0..olen), which it
 * must fill exactly. */
static int inflate_exact(const Where *w, const unsigned char *in, size_t ilen, unsigned char *out,
                         size_t olen)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    z.zalloc = z_alloc;
    z.zfree = z_free;
    if (inflateInit2(&z, -15) != Z_OK)
        return fail(w, "out of memory (zlib)");
    z.next_in = (unsigned char *)(uintptr_t)in;   /* zlib does not write through it */
    z.avail_in = (uInt)ilen;
    z.next_out = out;
    z.avail_out = (uInt)olen;
    int zr = inflate(&z, Z_FINISH);
    size_t got = z.total_out;
    const char *msg = z.msg;
    char why[160];
    snprintf(why, sizeof why, "%s", msg ? msg : "");
    inflateEnd(&z);
    if (zr == Z_STREAM_END && got == olen)
        return 0;
    if (zr == Z_MEM_ERROR)
        return fail(w, "out of memory (zlib)");
    if (zr == Z_DATA_ERROR)
        return fail(w, "corrupt compressed data (%s)", why);
    if (zr == Z_STREAM_END)
        return fail(w, "corrupt: inflates to %zu bytes, the directory says %zu", got, olen);
    if (got == olen)
        return fail(w, "corrupt: inflates to more than the %zu bytes the directory says", olen);
    return fail(w, "truncated compressed data");
}

/* Reads every member of the zip image p[0..n). */
static int npz_decode(const Where *w0, const unsigned char *p, size_t n, int *narr, HyArray **arrs)
{
    Where w = *w0;
    char shown[200];
    *narr = 0;
    *arrs = NULL;
    /* End of central directory: the last "PK\5\6" within 64 KiB + 22 of the end. */
    if (n < 22)
        return fail(&w, "truncated zip archive (no end-of-directory record)");
    size_t e = n - 22, lo = n - 22 > 65535 ? n - 22 - 65535 : 0;
    for (;; e--) {
        if (rd32(p + e) == 0x06054b50 && e + 22 + rd16(p + e + 20) <= n)
            break;
        if (e == lo)
            return fail(&w, "truncated or corrupt zip archive (no end-of-directory record)");
    }
    if (rd16(p + e + 4) || rd16(p + e + 6))
        return fail(&w, "multi-part zip archives are not supported");
    uint64_t count = rd16(p + e + 10), cdsize = rd32(p + e + 12), cdoff = rd32(p + e + 16);
    if ((count == 0xFFFF || cdsize == 0xFFFFFFFF || cdoff == 0xFFFFFFFF) && e >= 20 &&
        rd32(p + e - 20) == 0x07064b50) {
        /* zip64: a locator just before the record points at the zip64 record. */
        uint64_t z = rd64(p + e - 20 + 8);
        if (z > n || n - z < 56 || rd32(p + z) != 0x06064b50)
            return fail(&w, "corrupt zip64 end-of-directory record");
        count = rd64(p + z + 32);
        cdsize = rd64(p + z + 40);
        cdoff = rd64(p + z + 48);
    }
    if (cdoff > n || cdsize > n - cdoff)
        return fail(&w, "truncated or corrupt zip archive (central directory outside the file)");
    if (count > cdsize / 46)
        return fail(&w, "corrupt zip archive (%llu entries cannot fit a %llu-byte directory)",
                    (unsigned long long)count, (unsigned long long)cdsize);
    if (count > (uint64_t)HY_DATA_MAX_COLS)
        return fail(&w, "too many members (%llu; the limit is %ld)", (unsigned long long)count,
                    HY_DATA_MAX_COLS);
    if (count == 0)
        return 0;
    HyArray *v = dalloc(&w, (size_t)count, sizeof *v);
    if (!v)
        return -1;
    memset(v, 0, (size_t)count * sizeof *v);
    long budget = HY_DATA_MAX_CELLS;
    size_t q = (size_t)cdoff, cdend = (size_t)(cdoff + cdsize);
    int k = 0, rc = -1;
    unsigned char *buf = NULL;
    char mname[4 * HY_DATA_MAX_NAME + 16];
    for (; k < (int)count; k++) {
        w.member = NULL;
        if (cdend - q < 46 || rd32(p + q) != 0x02014b50) {
            fail(&w, "corrupt zip central directory (entry %d)", k + 1);
            goto out;
        }
        uint32_t flags = rd16(p + q + 8), method = rd16(p + q + 10), crc = rd32(p + q + 16);
        uint64_t csize = rd32(p + q + 20), usize = rd32(p + q + 24), loff = rd32(p + q + 42);
        size_t nlen = rd16(p + q + 28), xlen = rd16(p + q + 30), clen = rd16(p + q + 32);
        if (cdend - q - 46 < nlen + xlen + clen) {
            fail(&w, "corrupt zip central directory (entry %d)", k + 1);
            goto out;
        }
        const unsigned char *name = p + q + 46;
        /* zip64 extra field: the 64-bit values of the fields saturated above. */
        for (size_t x = 0; x + 4 <= xlen;) {
            const unsigned char *f = name + nlen + x;
            size_t id = rd16(f), sz = rd16(f + 2), o = 4;
            if (x + 4 + sz > xlen)
                break;
            if (id == 1) {
                if (usize == 0xFFFFFFFF && o + 8 <= 4 + sz)
                    usize = rd64(f + o), o += 8;
                if (csize == 0xFFFFFFFF && o + 8 <= 4 + sz)
                    csize = rd64(f + o), o += 8;
                if (loff == 0xFFFFFFFF && o + 8 <= 4 + sz)
                    loff = rd64(f + o), o += 8;
            }
            x += 4 + sz;
        }
        q += 46 + nlen + xlen + clen;
        w.member = printable(name, nlen, mname, sizeof mname);
        if (nlen < 5 || memcmp(name + nlen - 4, ".npy", 4)) {
            fail(&w, "not a .npy array (an .npz holds NAME.npy members)");
            goto out;
        }
        if (!name_ok(name, nlen - 4)) {
            fail(&w, "bad array name (empty, longer than %d bytes, or with control characters)",
                 HY_DATA_MAX_NAME);
            goto out;
        }
        if (flags & 1) {
            fail(&w, "encrypted members are not supported");
            goto out;
        }
        if (method != 0 && method != 8) {
            fail(&w, "compression method %u is not supported (only stored and deflate)", (unsigned)method);
            goto out;
        }
        if (loff > n || n - loff < 30 || rd32(p + loff) != 0x04034b50) {
            fail(&w, "corrupt zip archive (bad local header offset)");
            goto out;
        }
        uint64_t data = loff + 30 + rd16(p + loff + 26) + rd16(p + loff + 28);
        if (data > n || csize > n - data) {
            fail(&w, "truncated: %llu compressed bytes declared, %llu present",
                 (unsigned long long)csize, (unsigned long long)(data > n ? 0 : n - data));
            goto out;
        }
        const unsigned char *img = p + data;
        if (method == 0 && usize != csize) {
            fail(&w, "corrupt zip entry (stored with different sizes)");
            goto out;
        }
        if (method == 8) {
            /* deflate expands at most 1032:1; more is a corrupt or hostile header. */
            if (usize > (uint64_t)HY_DATA_MAX_BYTES || usize > csize * 1032 + 64) {
                fail(&w, "corrupt or too large: %llu bytes from %llu compressed",
                     (unsigned long long)usize, (unsigned long long)csize);
                goto out;
            }
            if (!(buf = dalloc(&w, (size_t)usize, 1)))
                goto out;
            if (inflate_exact(&w, img, (size_t)csize, buf, (size_t)usize))
                goto out;
            img = buf;
        }
        if (crc_of(img, (size_t)usize) != crc) {
            fail(&w, "CRC mismatch (the archive is corrupt)");
            goto out;
        }
        if (npy_decode(&w, img, (size_t)usize, &budget, &v[k]))
            goto out;
        hy_free(buf);
        buf = NULL;
        if (!(v[k].name = dstrndup(&w, (const char *)name, nlen - 4)))
            goto out;
    }
    w.member = NULL;
    char **names = dalloc(&w, count, sizeof *names);
    if (!names)
        goto out;
    for (int i = 0; i < k; i++)
        names[i] = v[i].name;
    int dup, first;
    int fr = find_duplicate(&w, names, k, &dup, &first);
    hy_free(names);
    if (fr)
        goto out;
    if (dup >= 0) {
        fail(&w, "two members named '%s.npy'",
             printable((const unsigned char *)v[dup].name, strlen(v[dup].name), shown, sizeof shown));
        goto out;
    }
    rc = 0;
out:
    hy_free(buf);
    if (rc) {
        hy_arrays_free((int)count, v);
        return -1;
    }
    *narr = k;
    *arrs = v;
    return 0;
}

/* ================================================================ loading */

/* Reads path whole into *buf (hy_malloc'd, NUL-terminated) and *len. */
static int read_whole(const Where *w, unsigned char **buf, size_t *len)
{
    *buf = NULL;
    *len = 0;
    /* O_NONBLOCK: opening a FIFO must not wait for a writer; no effect on
     * reads of the regular files accepted below. */
    int fd = open(w->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return fail(w, "%s", strerror(errno));
    struct stat st;
    if (fstat(fd, &st)) {
        int e = errno;
        close(fd);
        return fail(w, "%s", strerror(e));
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return fail(w, "is a directory, not a data file");
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return fail(w, "not a regular file");
    }
    if (st.st_size > HY_DATA_MAX_BYTES) {
        close(fd);
        return fail(w, "too large (%lld bytes; the limit is %ld)", (long long)st.st_size, HY_DATA_MAX_BYTES);
    }
    size_t n = (size_t)st.st_size, got = 0;
    unsigned char *p = dalloc(w, n + 1, 1);
    if (!p) {
        close(fd);
        return -1;
    }
    while (got < n) {
        ssize_t r = read(fd, p + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            close(fd);
            hy_free(p);
            return fail(w, "read failed: %s", strerror(e));
        }
        if (r == 0)
            break;   /* the file shrank meanwhile: take what is there */
        got += (size_t)r;
    }
    close(fd);
    p[got] = 0;
    *buf = p;
    *len = got;
    return 0;
}

static int has_ext(const char *path, const char *ext)
{
    size_t n = strlen(path), k = strlen(ext);
    if (n < k)
        return 0;
    for (size_t i = 0; i < k; i++) {
        char ch = path[n - k + i];
        if (ch >= 'A' && ch <= 'Z')
            ch = (char)(ch - 'A' + 'a');
        if (ch != ext[i])
            return 0;
    }
    return 1;
}

static int is_zip(const unsigned char *p, size_t n)
{
    return n >= 4 && p[0] == 'P' && p[1] == 'K' &&
           ((p[2] == 3 && p[3] == 4) || (p[2] == 5 && p[3] == 6));
}

/* Builds the table from arrays (named: .npz members; else one lone .npy). */
static int table_from_arrays(const Where *w0, int narr, HyArray *arrs, int named, HyTable *t)
{
    Where w = *w0;
    char shown[200], sh[200];
    if (narr == 0)
        return fail(&w, "the archive holds no arrays");
    long rows = -1, ncols = 0;
    for (int i = 0; i < narr; i++) {
        HyArray *a = &arrs[i];
        w.member = named ? printable((const unsigned char *)a->name, strlen(a->name), shown, sizeof shown)
                         : NULL;
        if (a->ndim == 0 || a->ndim > 2)
            return fail(&w, "%d-D array, shape %s (data needs a 1-D or 2-D array)", a->ndim,
                        shape_str(a->ndim, a->shape, sh, sizeof sh));
        if (a->shape[0] == 0)
            return fail(&w, "no data rows (shape %s)", shape_str(a->ndim, a->shape, sh, sizeof sh));
        long k = a->ndim == 2 ? a->shape[1] : 1;
        if (k == 0)
            return fail(&w, "no columns (shape %s)", shape_str(a->ndim, a->shape, sh, sizeof sh));
        if (rows >= 0 && a->shape[0] != rows)
            return fail(&w, "has %ld rows, but '%s' has %ld (all members need the same rows)", a->shape[0],
                        arrs[0].name, rows);
        rows = a->shape[0];
        if (k > HY_DATA_MAX_COLS - ncols)
            return fail(&w, "too many columns (the limit is %ld)", HY_DATA_MAX_COLS);
        ncols += k;
        /* Every value must be finite. */
        for (long j = 0; j < a->size; j++) {
            if (isfinite(a->data[j]))
                continue;
            const char *what = isnan(a->data[j]) ? "NaN" : a->data[j] > 0 ? "Inf" : "-Inf";
            if (a->ndim == 1)
                return fail(&w, "element [%ld] is %s (NaN and Inf are not allowed in data)", j, what);
            return fail(&w, "element [%ld, %ld] is %s (NaN and Inf are not allowed in data)", j / k, j % k,
                        what);
        }
    }
    w.member = NULL;
    if (table_alloc_names(&w, t, (int)ncols))
        return -1;
    if (!(t->data = dalloc(&w, (size_t)rows * (size_t)ncols, sizeof(double))))
        goto bad;
    t->nrows = rows;
    int c = 0;
    for (int i = 0; i < narr; i++) {
        HyArray *a = &arrs[i];
        long k = a->ndim == 2 ? a->shape[1] : 1;
        for (long j = 0; j < k; j++, c++) {
            char gen[HY_DATA_MAX_NAME + 32];
            if (!named)
                snprintf(gen, sizeof gen, "c%d", c);
            else if (k == 1)
                snprintf(gen, sizeof gen, "%s", a->name);
            else
                snprintf(gen, sizeof gen, "%s_%ld", a->name, j);
            if (!(t->names[c] = dstrndup(&w, gen, strlen(gen))))
                goto bad;
            double *col = t->data + (size_t)c * (size_t)rows;
            for (long r = 0; r < rows; r++)
                col[r] = a->data[(size_t)r * (size_t)k + (size_t)j];
        }
    }
    int dup, first;
    if (find_duplicate(&w, t->names, t->ncols, &dup, &first))
        goto bad;
    if (dup >= 0) {
        fail(&w, "two columns named '%s' (columns %d and %d)",
             printable((const unsigned char *)t->names[dup], strlen(t->names[dup]), shown, sizeof shown),
             first + 1, dup + 1);
        goto bad;
    }
    return 0;
bad:
    hy_table_free(t);
    return -1;
}

static int parse_any(const Where *w, const unsigned char *p, size_t n, HyTable *t)
{
    memset(t, 0, sizeof *t);
    if (n == 0)
        return fail(w, "empty file");
    if (n >= 6 && !memcmp(p, NPY_MAGIC, 6)) {
        HyArray a;
        long budget = HY_DATA_MAX_CELLS;
        if (npy_decode(w, p, n, &budget, &a))
            return -1;
        int rc = table_from_arrays(w, 1, &a, 0, t);
        hy_array_free(&a);
        return rc;
    }
    if (is_zip(p, n)) {
        int narr;
        HyArray *arrs;
        if (npz_decode(w, p, n, &narr, &arrs))
            return -1;
        int rc = table_from_arrays(w, narr, arrs, 1, t);
        hy_arrays_free(narr, arrs);
        return rc;
    }
    if (has_ext(w->path, ".npy"))
        return fail(w, "not a .npy file (bad magic)");
    if (has_ext(w->path, ".npz"))
        return fail(w, "not an .npz file (no zip signature)");
    return text_table(w, p, n, t);
}

int hy_table_parse(const char *name, const void *buf, size_t len, HyTable *t, char *err, size_t errlen)
{
    Where w = {name ? name : "(data)", NULL, err, errlen};
    return parse_any(&w, buf, len, t);
}

int hy_table_load(const char *path, HyTable *t, char *err, size_t errlen)
{
    Where w = {path ? path : "(null)", NULL, err, errlen};
    unsigned char *p;
    size_t n;
    memset(t, 0, sizeof *t);
    if (!path)
        return fail(&w, "no file name");
    if (read_whole(&w, &p, &n))
        return -1;
    int rc = parse_any(&w, p, n, t);
    hy_free(p);
    return rc;
}

int hy_npy_read(const char *path, HyArray *a, char *err, size_t errlen)
{
    Where w = {path ? path : "(null)", NULL, err, errlen};
    unsigned char *p;
    size_t n;
    long budget = HY_DATA_MAX_CELLS;
    memset(a, 0, sizeof *a);
    if (!path)
        return fail(&w, "no file name");
    if (read_whole(&w, &p, &n))
        return -1;
    int rc = n == 0 ? fail(&w, "empty file") : npy_decode(&w, p, n, &budget, a);
    hy_free(p);
    return rc;
}

int hy_npz_read(const char *path, int *narrays, HyArray **arrays, char *err, size_t errlen)
{
    Where w = {path ? path : "(null)", NULL, err, errlen};
    unsigned char *p;
    size_t n;
    *narrays = 0;
    *arrays = NULL;
    if (!path)
        return fail(&w, "no file name");
    if (read_whole(&w, &p, &n))
        return -1;
    int rc;
    if (n == 0)
        rc = fail(&w, "empty file");
    else if (!is_zip(p, n))
        rc = fail(&w, "not an .npz file (no zip signature)");
    else
        rc = npz_decode(&w, p, n, narrays, arrays);
    hy_free(p);
    return rc;
}

/* ================================================================ atomic files */

struct HyAFile {
    char *path, *tmp;
    FILE *fp;
    long written;
    int failed;
};

static long io_fail_after = -1;

void hy_io_fail_after(long bytes) { io_fail_after = bytes; }

static void atomic_discard(HyAFile *f)
{
    if (f->fp)
        fclose(f->fp);
    unlink(f->tmp);
    hy_free(f->path);
    hy_free(f->tmp);
    hy_free(f);
}

HyAFile *hy_afile_open(const char *path, char *err, size_t errlen)
{
    static unsigned serial;
    Where w = {path ? path : "(null)", NULL, err, errlen};
    if (!path || !*path) {
        fail(&w, "no file name");
        return NULL;
    }
    HyAFile *f = dalloc(&w, 1, sizeof *f);
    if (!f)
        return NULL;
    memset(f, 0, sizeof *f);
    size_t n = strlen(path), cap = n + 64;
    f->path = dstrndup(&w, path, n);
    f->tmp = dalloc(&w, cap, 1);
    if (!f->path || !f->tmp) {
        hy_free(f->path);
        hy_free(f->tmp);
        hy_free(f);
        return NULL;
    }
    int fd = -1;
    for (int tries = 0; tries < 100 && fd < 0; tries++) {
        snprintf(f->tmp, cap, "%s.tmp-%ld-%u", path, (long)getpid(), serial++);
        fd = open(f->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    if (fd < 0 || !(f->fp = fdopen(fd, "wb"))) {
        int e = errno;
        if (fd >= 0) {
            close(fd);
            unlink(f->tmp);
        }
        fail(&w, "cannot create a temporary file next to it: %s", strerror(e));
        hy_free(f->path);
        hy_free(f->tmp);
        hy_free(f);
        return NULL;
    }
    return f;
}

int hy_afile_write(HyAFile *f, const void *buf, size_t n, char *err, size_t errlen)
{
    Where w = {f->path, NULL, err, errlen};
    if (f->failed)
        return fail(&w, "write failed (an earlier write failed)");
    size_t ok = n;
    int full = 0;
    if (io_fail_after >= 0 && (uint64_t)f->written + n > (uint64_t)io_fail_after) {
        ok = (size_t)(io_fail_after - f->written);
        full = 1;
    }
    errno = 0;
    if (ok && fwrite(buf, 1, ok, f->fp) != ok) {
        f->failed = 1;
        return fail(&w, "write failed: %s", strerror(errno ? errno : EIO));
    }
    f->written += (long)ok;
    if (full) {
        f->failed = 1;
        return fail(&w, "write failed: %s", strerror(ENOSPC));
    }
    return 0;
}

void hy_afile_abort(HyAFile *f)
{
    if (f)
        atomic_discard(f);
}

/* fsyncs the directory holding path, so the rename itself is durable;
 * best effort (some file systems refuse directory fsync). */
static void sync_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char dir[4096];
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else if ((size_t)(slash - path) < sizeof dir)
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    else
        return;
    int fd = open(dir, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

int hy_afile_commit(HyAFile *f, char *err, size_t errlen)
{
    Where w = {f->path, NULL, err, errlen};
    int rc = -1;
    if (f->failed) {
        fail(&w, "not written (an earlier write failed)");
    } else if (fflush(f->fp) || ferror(f->fp)) {
        fail(&w, "write failed: %s", strerror(errno ? errno : EIO));
    } else if (fsync(fileno(f->fp)) && errno != EINVAL && errno != ENOTSUP) {
        fail(&w, "fsync failed: %s", strerror(errno));
    } else {
        FILE *fp = f->fp;
        f->fp = NULL;
        if (fclose(fp))
            fail(&w, "write failed: %s", strerror(errno));
        else if (rename(f->tmp, f->path))
            fail(&w, "cannot rename the temporary file into place: %s", strerror(errno));
        else
            rc = 0;
    }
    if (rc == 0) {
        sync_dir(f->path);
        hy_free(f->path);
        hy_free(f->tmp);
        hy_free(f);
        return 0;
    }
    atomic_discard(f);
    return -1;
}

/* ================================================================ writers */

static void wr16(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

static void wr32(unsigned char *p, uint32_t v)
{
    wr16(p, v & 0xFFFF);
    wr16(p + 2, v >> 16);
}

/* Checks a shape; sets *size to its product.  0 or -1 (err set). */
static int check_shape(const Where *w, int ndim, const long *shape, const void *data, long *size)
{
    if (ndim < 0 || ndim > HY_NPY_MAX_DIM || (ndim > 0 && !shape))
        return fail(w, "bad number of dimensions %d (0..%d)", ndim, HY_NPY_MAX_DIM);
    long s = 1;
    for (int d = 0; d < ndim; d++)
        if (shape[d] < 0)
            return fail(w, "negative dimension %ld", shape[d]);
    for (int d = 0; d < ndim; d++) {
        if (shape[d] == 0) {
            s = 0;
            break;
        }
        if (s > (LONG_MAX / 8) / shape[d])
            return fail(w, "array too large");
        s *= shape[d];
    }
    if (s > 0 && !data)
        return fail(w, "no data for a non-empty array");
    *size = s;
    return 0;
}

/* The .npy preamble + header of a '<f8' C-order array into h (>= 1024
 * bytes); returns its length, a multiple of 64. */
static size_t npy_header_bytes(int ndim, const long *shape, unsigned char *h)
{
    char dict[900], sh[800];
    int k = snprintf(dict, sizeof dict, "{'descr': '<f8', 'fortran_order': False, 'shape': %s, }",
                     shape_str(ndim, shape, sh, sizeof sh));
    size_t total = 10 + (size_t)k + 1;   /* preamble + dict + '\n' */
    size_t padded = (total + 63) / 64 * 64, hlen = padded - 10;
    memcpy(h, NPY_MAGIC, 6);
    h[6] = 1;
    h[7] = 0;
    wr16(h + 8, (uint32_t)hlen);
    memcpy(h + 10, dict, (size_t)k);
    memset(h + 10 + k, ' ', hlen - (size_t)k - 1);
    h[padded - 1] = '\n';
    return padded;
}

/* Little-endian float64 bytes of x[0..n), through a chunk buffer: each chunk
 * goes to f (if non-NULL) and into *crc (if non-NULL). */
static int put_doubles(HyAFile *f, const double *x, long n, uint32_t *crc, char *err, size_t errlen)
{
    unsigned char chunk[4096];
    for (long i = 0; i < n;) {
        long m = n - i < 512 ? n - i : 512;
        for (long j = 0; j < m; j++) {
            uint64_t u;
            memcpy(&u, &x[i + j], 8);
            for (int b = 0; b < 8; b++)
                chunk[8 * j + b] = (unsigned char)(u >> (8 * b));
        }
        if (crc)
            *crc = (uint32_t)crc32(*crc, chunk, (uInt)(8 * m));
        if (f && hy_afile_write(f, chunk, (size_t)(8 * m), err, errlen))
            return -1;
        i += m;
    }
    return 0;
}

int hy_npy_write(const char *path, int ndim, const long *shape, const double *data, char *err, size_t errlen)
{
    Where w = {path ? path : "(null)", NULL, err, errlen};
    long size;
    if (check_shape(&w, ndim, shape, data, &size))
        return -1;
    unsigned char h[1024];
    size_t hl = npy_header_bytes(ndim, shape, h);
    HyAFile *f = hy_afile_open(path, err, errlen);
    if (!f)
        return -1;
    if (hy_afile_write(f, h, hl, err, errlen) || put_doubles(f, data, size, NULL, err, errlen)) {
        hy_afile_abort(f);
        return -1;
    }
    return hy_afile_commit(f, err, errlen);
}

int hy_npz_write(const char *path, int narrays, const char *const *names, const int *ndims,
                 const long *const *shapes, const double *const *data, char *err, size_t errlen)
{
    Where w = {path ? path : "(null)", NULL, err, errlen};
    char shown[200];
    if (narrays < 0 || narrays > 65535 || (narrays > 0 && (!names || !ndims || !shapes || !data)))
        return fail(&w, "bad array count %d (0..65535, with names, shapes and data)", narrays);
    /* Sizes and offsets of every member, checked before the file is touched. */
    uint64_t off = 0;
    for (int i = 0; i < narrays; i++) {
        long size;
        if (!names[i] || !name_ok((const unsigned char *)names[i], strlen(names[i])))
            return fail(&w, "bad array name '%s' (1..%d bytes, no control characters)",
                        names[i] ? printable((const unsigned char *)names[i], strlen(names[i]), shown,
                                             sizeof shown)
                                 : "(null)",
                        HY_DATA_MAX_NAME);
        Where wi = {w.path, NULL, err, errlen};
        wi.member = names[i];
        if (check_shape(&wi, ndims[i], shapes[i], data[i], &size))
            return -1;
        off += 76 + 2 * (strlen(names[i]) + 4) + 1024 + 8 * (uint64_t)size;
        if (off > 0xFFFF0000u)
            return fail(&w, "too large for a zip archive without zip64 (4 GiB)");
    }
    char **nm = dalloc(&w, (size_t)narrays, sizeof *nm);
    if (!nm)
        return -1;
    for (int i = 0; i < narrays; i++)
        nm[i] = (char *)(uintptr_t)names[i];   /* find_duplicate only reads them */
    int dup, first, fr = find_duplicate(&w, nm, narrays, &dup, &first);
    hy_free(nm);
    if (fr)
        return -1;
    if (dup >= 0)
        return fail(&w, "two arrays named '%s'",
                    printable((const unsigned char *)names[dup], strlen(names[dup]), shown, sizeof shown));
    uint32_t *crcs = dalloc(&w, (size_t)narrays, sizeof *crcs), *offs = dalloc(&w, (size_t)narrays, sizeof *offs);
    uint32_t *lens = dalloc(&w, (size_t)narrays, sizeof *lens);
    HyAFile *f = crcs && offs && lens ? hy_afile_open(path, err, errlen) : NULL;
    if (!f)
        goto bad;
    uint32_t pos = 0;
    unsigned char rec[64], h[1024];
    for (int i = 0; i < narrays; i++) {
        long size = 1;
        for (int d = 0; d < ndims[i]; d++)
            size *= shapes[i][d];
        size_t hl = npy_header_bytes(ndims[i], shapes[i], h), nl = strlen(names[i]);
        uint32_t crc = (uint32_t)crc32(0L, h, (uInt)hl);
        put_doubles(NULL, data[i], size, &crc, NULL, 0);
        crcs[i] = crc;
        offs[i] = pos;
        lens[i] = (uint32_t)(hl + 8 * (size_t)size);
        int utf8 = 0;
        for (size_t j = 0; j < nl; j++)
            utf8 |= (unsigned char)names[i][j] >= 0x80;
        memset(rec, 0, 30);
        wr32(rec, 0x04034b50);
        wr16(rec + 4, 20);                      /* version needed */
        wr16(rec + 6, utf8 ? 1u << 11 : 0);     /* flags: UTF-8 name */
        wr16(rec + 12, 0x21);                   /* date 1980-01-01, time 00:00 */
        wr32(rec + 14, crc);
        wr32(rec + 18, lens[i]);
        wr32(rec + 22, lens[i]);
        wr16(rec + 26, (uint32_t)(nl + 4));
        if (hy_afile_write(f, rec, 30, err, errlen) || hy_afile_write(f, names[i], nl, err, errlen) ||
            hy_afile_write(f, ".npy", 4, err, errlen) || hy_afile_write(f, h, hl, err, errlen) ||
            put_doubles(f, data[i], size, NULL, err, errlen))
            goto bad;
        pos += 30 + (uint32_t)nl + 4 + lens[i];
    }
    uint32_t cdoff = pos;
    for (int i = 0; i < narrays; i++) {
        size_t nl = strlen(names[i]);
        int utf8 = 0;
        for (size_t j = 0; j < nl; j++)
            utf8 |= (unsigned char)names[i][j] >= 0x80;
        memset(rec, 0, 46);
        wr32(rec, 0x02014b50);
        wr16(rec + 4, 3u << 8 | 20);            /* made by: Unix, zip 2.0 */
        wr16(rec + 6, 20);
        wr16(rec + 8, utf8 ? 1u << 11 : 0);
        wr16(rec + 14, 0x21);
        wr32(rec + 16, crcs[i]);
        wr32(rec + 20, lens[i]);
        wr32(rec + 24, lens[i]);
        wr16(rec + 28, (uint32_t)(nl + 4));
        wr32(rec + 38, 0100644u << 16);         /* external attributes: -rw-r--r-- */
        wr32(rec + 42, offs[i]);
        if (hy_afile_write(f, rec, 46, err, errlen) || hy_afile_write(f, names[i], nl, err, errlen) ||
            hy_afile_write(f, ".npy", 4, err, errlen))
            goto bad;
        pos += 46 + (uint32_t)nl + 4;
    }
    memset(rec, 0, 22);
    wr32(rec, 0x06054b50);
    wr16(rec + 8, (uint32_t)narrays);
    wr16(rec + 10, (uint32_t)narrays);
    wr32(rec + 12, pos - cdoff);
    wr32(rec + 16, cdoff);
    if (hy_afile_write(f, rec, 22, err, errlen))
        goto bad;
    hy_free(crcs);
    hy_free(offs);
    hy_free(lens);
    return hy_afile_commit(f, err, errlen);
bad:
    hy_afile_abort(f);
    hy_free(crcs);
    hy_free(offs);
    hy_free(lens);
    return -1;
}

/* 1 if a CSV header name must be quoted to read back as the same name. */
static int name_needs_quotes(const char *s)
{
    size_t n = strlen(s);
    if (num_syntax((const unsigned char *)s, n) || nonfinite_word((const unsigned char *)s, n))
        return 1;
    for (size_t i = 0; i < n; i++)
        if (s[i] == ',' || s[i] == '"' || s[i] == '#' || is_blank((unsigned char)s[i]))
            return 1;
    return 0;
}

int hy_csv_write(const char *path, int ncols, const char *const *names, long nrows, const double *const *cols,
                 char *err, size_t errlen)
{
    Where w = {path ? path : "(null)", NULL, err, errlen};
    char shown[200], num[40];
    if (ncols < 1 || ncols > HY_DATA_MAX_COLS || nrows < 0 || !cols)
        return fail(&w, "bad table size (%d columns, %ld rows)", ncols, nrows);
    for (int c = 0; c < ncols; c++) {
        const char *nm = names ? names[c] : NULL;
        if (names && (!nm || !name_ok((const unsigned char *)nm, strlen(nm))))
            return fail(&w, "bad name for column %d (1..%d bytes, no control characters)", c + 1,
                        HY_DATA_MAX_NAME);
        if (nrows > 0 && !cols[c])
            return fail(&w, "no data for column %d", c + 1);
        for (long r = 0; r < nrows; r++)
            if (!isfinite(cols[c][r]))
                return fail(&w, "column %d ('%s') row %ld is not finite (%s); not written", c + 1,
                            nm ? printable((const unsigned char *)nm, strlen(nm), shown, sizeof shown) : "",
                            r + 1, isnan(cols[c][r]) ? "NaN" : "Inf");
    }
    if (names) {
        int dup, first;
        if (find_duplicate(&w, (char *const *)(uintptr_t)names, ncols, &dup, &first))
            return -1;
        if (dup >= 0)
            return fail(&w, "two columns named '%s'",
                        printable((const unsigned char *)names[dup], strlen(names[dup]), shown, sizeof shown));
    }
    HyAFile *f = hy_afile_open(path, err, errlen);
    if (!f)
        return -1;
    /* Output goes through a line buffer flushed when nearly full. */
    char buf[8192];
    size_t k = 0;
#define FLUSH_IF(room)                                                                 \
    do {                                                                               \
        if (k + (room) > sizeof buf) {                                                 \
            if (hy_afile_write(f, buf, k, err, errlen))                               \
                goto bad;                                                              \
            k = 0;                                                                     \
        }                                                                              \
    } while (0)
    for (int c = 0; c < ncols; c++) {
        char gen[32];
        const char *nm = names ? names[c] : gen;
        if (!names)
            snprintf(gen, sizeof gen, "c%d", c);
        FLUSH_IF(2 * HY_DATA_MAX_NAME + 8);
        if (c)
            buf[k++] = ',';
        if (name_needs_quotes(nm)) {
            buf[k++] = '"';
            for (const char *s = nm; *s; s++) {
                if (*s == '"')
                    buf[k++] = '"';
                buf[k++] = *s;
            }
            buf[k++] = '"';
        } else {
            size_t l = strlen(nm);
            memcpy(buf + k, nm, l);
            k += l;
        }
    }
    buf[k++] = '\n';
    for (long r = 0; r < nrows; r++) {
        for (int c = 0; c < ncols; c++) {
            int l = snprintf(num, sizeof num, "%.17g", cols[c][r]);
            FLUSH_IF((size_t)l + 2);
            if (c)
                buf[k++] = ',';
            memcpy(buf + k, num, (size_t)l);
            k += (size_t)l;
        }
        buf[k++] = '\n';
    }
#undef FLUSH_IF
    if (k && hy_afile_write(f, buf, k, err, errlen))
        goto bad;
    return hy_afile_commit(f, err, errlen);
bad:
    hy_afile_abort(f);
    return -1;
}
