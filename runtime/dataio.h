/* dataio.h -- data files in and out of the runtime (host side; hyrt.h includes it).
 *
 * Readers (hy_table_load, hy_npy_read, hy_npz_read) serve both the compiler,
 * which loads a spec's data files to validate them and learn their shapes,
 * and the runtime, which loads the numbers.  Writers (hy_npy_write,
 * hy_npz_write, hy_csv_write, hy_afile_*) write files atomically for
 * checkpoints and outputs.
 *
 * Error convention: every function that can fail returns 0 on success or -1
 * with a NUL-terminated message in err[0..errlen) (truncated to fit; err may
 * be NULL if errlen is 0).  Messages start with the path as given and carry a
 * location when there is one, e.g.
 *     data/u.csv:7: row has 3 values, expected 4
 *     data/u.csv:7:5: 'abc' is not a number
 * and never end with a newline; the caller adds "hycoc: error: ".
 * On failure the output structures are left empty (freeing them is a no-op)
 * and nothing is leaked.  Allocation goes through hy_malloc (the counted hook
 * of alloc.c), so an allocation failure is reported as an error, not exit.
 *
 * Limits: a file read must be a regular file of at most HY_DATA_MAX_BYTES
 * bytes; a table or an archive holds at most HY_DATA_MAX_CELLS numbers in all
 * (800 MB as float64); a table has at most HY_DATA_MAX_COLS columns; a column
 * name is at most HY_DATA_MAX_NAME bytes.  Larger inputs are rejected with
 * "... too large ..." before any large allocation.  Numbers are parsed in the
 * C locale (hycoc never calls setlocale).
 *
 * Not thread-safe: hy_io_fail_after is process-global; otherwise the
 * functions share no state.
 */
#ifndef HY_DATAIO_H
#define HY_DATAIO_H

#include <stddef.h>

#define HY_DATA_MAX_BYTES (2L * 1024 * 1024 * 1024)  /* largest file read: 2 GiB */
#define HY_DATA_MAX_CELLS 100000000L                /* numbers per table or archive */
#define HY_DATA_MAX_COLS 100000L                    /* columns per table */
#define HY_DATA_MAX_NAME 255                        /* bytes per column/array name */
#define HY_NPY_MAX_DIM 32                           /* dimensions of an array (numpy's own limit) */

/* ---------------------------------------------------------------- tables */

/* A table of float64 columns.  data is column-major: value (row r, column c)
 * is data[c * nrows + r].  After a successful load: ncols >= 1, nrows >= 1,
 * every value is finite, names[c] is a non-NULL, non-empty, NUL-terminated
 * string and the names are distinct.  A zeroed HyTable is empty. */
typedef struct HyTable {
    int ncols;
    long nrows;
    char **names;
    double *data;
} HyTable;

/* Loads a table from path.  The format is chosen by the first bytes: the
 * .npy magic "\x93NUMPY" -> NumPy array, "PK" zip magic -> .npz archive,
 * anything else -> text; a file named *.npy / *.npz must have the matching
 * magic.
 *
 * Text: comma-separated if the first data-bearing line has a comma outside
 * quotes, else separated by runs of blanks (space, tab).  '#' starts a
 * comment to the end of the line (outside quotes); blank and comment-only
 * lines are skipped; CRLF and a UTF-8 BOM are tolerated.  The first row is a
 * header of column names if any cell in it is not a number or is quoted
 * ("u(x,t)" may hold commas; "" is a quote); an empty header cell, and every
 * column of a file without header, is named "c<index>" ("c0", "c1", ...).
 * Numbers: [+-] digits [. digits] [e|E [+-] digits], or [+-] . digits [exp]
 * (so 1e-300, -0, .5, 5., +3 are numbers; 0x10, 1,5 and 1d3 are not); nan and
 * inf in any spelling are rejected as non-finite; overflow (1e999) is an
 * error, underflow goes to the nearest subnormal or zero.  In CSV an empty
 * cell is an error.  Every row has as many cells as the first.
 *
 * .npy: versions 1.0-3.0, dtypes f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1 in either
 * byte order, C or Fortran order.  A 1-D array is one column "c0"; a 2-D
 * array (n, k) is k columns "c0".."c<k-1>" of n rows.  0-D, >2-D, empty,
 * object, string, complex and structured arrays are rejected.
 * .npz: a zip archive (stored or deflate members, zip64 records accepted, CRC
 * checked) whose members are NAME.npy; a 1-D member is the column NAME, a
 * 2-D member (n, k) the columns NAME_0..NAME_<k-1> (NAME alone if k == 1);
 * every member must have the same number of rows; columns follow the
 * archive's central-directory order.  int64/uint64 values above 2^53 are
 * rounded to the nearest double.
 *
 * Returns 0 with *t filled (free with hy_table_free), or -1 with err set
 * (file missing: the strerror text; empty file; no data rows; ragged row;
 * bad number with line:column; NaN/Inf with its location; too large;
 * truncated or corrupt binary; bad zip CRC). */
int hy_table_load(const char *path, HyTable *t, char *err, size_t errlen);

/* Like hy_table_load on the bytes buf[0..len) as if they were the contents
 * of a file called name (used for format choice and in messages). */
int hy_table_parse(const char *name, const void *buf, size_t len, HyTable *t, char *err,
                   size_t errlen);

/* Index of the column called name, or -1 (also for a NULL name). */
int hy_table_column(const HyTable *t, const char *name);

/* Writes "available columns: x, t, u" into buf[0..len) (truncated with
 * "..." if it does not fit) and returns buf. */
const char *hy_table_columns_list(const HyTable *t, char *buf, size_t len);

/* Frees what a load allocated and zeroes *t; safe on a zeroed table. */
void hy_table_free(HyTable *t);

/* ---------------------------------------------------------------- arrays */

/* One named n-dimensional float64 array in C (row-major) order: element
 * (i0, .., i_{ndim-1}) is data[((i0 * shape[1]) + i1) * shape[2] + ...].
 * size = product of shape (1 for ndim 0; may be 0); data is non-NULL even
 * when size is 0.  name is the .npz member name without ".npy" (NULL for a
 * lone .npy file). */
typedef struct HyArray {
    char *name;
    int ndim;
    long shape[HY_NPY_MAX_DIM];
    long size;
    double *data;
} HyArray;

/* Reads one .npy file (any shape incl. 0-D and empty; dtypes as for tables;
 * values converted to float64, non-finite values kept).  Returns 0 or -1. */
int hy_npy_read(const char *path, HyArray *a, char *err, size_t errlen);

/* Reads every member of an .npz archive into *arrays (an hy_malloc'd vector
 * of *narrays arrays, in central-directory order; distinct names).  An
 * archive without members gives *narrays = 0.  Returns 0 or -1. */
int hy_npz_read(const char *path, int *narrays, HyArray **arrays, char *err, size_t errlen);

/* Frees one array's contents and zeroes it. */
void hy_array_free(HyArray *a);
/* Frees n arrays and the vector itself (from hy_npz_read); NULL is fine. */
void hy_arrays_free(int n, HyArray *arrays);

/* ---------------------------------------------------------------- writers */

/* Every writer writes atomically: a temporary file "PATH.tmp-PID-N" in the
 * same directory is written, flushed and fsync'ed, then renamed over path
 * (and the directory fsync'ed).  On any failure (ENOSPC, EIO, a bad
 * argument) the temporary file is removed, an existing file at path is left
 * byte for byte as it was, and -1 is returned with err set. */

/* Writes one float64 array as .npy (format version 1.0, '<f8', C order,
 * header padded to a multiple of 64 bytes as NumPy does).  shape has
 * ndim entries (0 <= ndim <= HY_NPY_MAX_DIM, each >= 0); data holds their
 * product of values in C order. */
int hy_npy_write(const char *path, int ndim, const long *shape, const double *data, char *err,
                 size_t errlen);

/* Writes an .npz archive that numpy.load reads: an uncompressed (stored) zip
 * with members names[i] + ".npy", each as hy_npy_write would write it, in the
 * given order.  shapes[i] points to ndims[i] dimensions; data[i] to the
 * values (C order).  Names must be non-empty, at most HY_DATA_MAX_NAME bytes,
 * without control characters, and distinct.  No zip64: the archive must stay
 * below 4 GiB.  Timestamps are fixed (1980-01-01), so equal inputs give equal
 * bytes. */
int hy_npz_write(const char *path, int narrays, const char *const *names, const int *ndims,
                 const long *const *shapes, const double *const *data, char *err,
                 size_t errlen);

/* Writes a CSV file: a header row of names (names NULL -> c0, c1, ...; a
 * name that needs it is quoted, so hy_table_load reads the same names back),
 * then nrows rows of ncols values printed with %.17g in the C locale (exact
 * round trip).
 * cols[c] points to the nrows values of column c.  Non-finite values are
 * refused (the file would not load back).  ncols >= 1, nrows >= 0. */
int hy_csv_write(const char *path, int ncols, const char *const *names, long nrows,
                 const double *const *cols, char *err, size_t errlen);

/* The atomic file underneath the writers, for other files (e.g. a
 * checkpoint's metadata).  hy_afile_open creates the temporary file (NULL
 * and err on failure); hy_afile_write appends n bytes (0 or -1 with err;
 * after a failure the file is poisoned and only abort/commit remain);
 * hy_afile_commit flushes, fsyncs and renames over the target, or removes
 * the temporary on failure, and frees f in both cases; hy_afile_abort
 * removes the temporary and frees f. */
typedef struct HyAFile HyAFile;
HyAFile *hy_afile_open(const char *path, char *err, size_t errlen);
int hy_afile_write(HyAFile *f, const void *buf, size_t n, char *err, size_t errlen);
int hy_afile_commit(HyAFile *f, char *err, size_t errlen);
void hy_afile_abort(HyAFile *f);

/* Test hook: with bytes >= 0, every atomic file written from now on fails
 * as if the disk were full (ENOSPC) once more than `bytes` bytes were
 * written to it; the first `bytes` bytes do reach the temporary file.
 * bytes < 0 (the default) turns the hook off. */
void hy_io_fail_after(long bytes);

#endif
