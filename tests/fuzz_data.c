/* fuzz_data.c -- fuzz harness of the data readers (runtime/dataio.c).
 *
 * LLVMFuzzerTestOneInput writes the input to temporary files named .csv,
 * .npy and .npz and loads each with hy_table_load, plus hy_npy_read and
 * hy_npz_read.  Invariants checked (abort() on violation, which a fuzzer
 * reports as a crash): a load returns 0 with a well-formed table or array
 * (ncols, nrows >= 1, distinct non-empty names, finite values, size =
 * product of shape) or -1 with a non-empty message and an empty output; a
 * loaded table written back with hy_csv_write reloads bitwise identical
 * (checked on every 64th loaded input: writes are fsync'ed).
 *
 * Three builds:
 *  - libFuzzer:  make fuzz-data   (clang -fsanitize=fuzzer,address,undefined
 *    -DHY_LIBFUZZER; runs FUZZ_SECONDS, default 60, over tests/data/ as seed
 *    corpus; crashers are written to build-fuzz/; keep them as fixtures in
 *    tests/data/ named crash-*).
 *  - standalone: cc ... tests/fuzz_data.c -> a main that runs a bounded,
 *    deterministic mutation loop (argv[1] inputs, default 20000) seeded from
 *    every file in tests/data/ and prints "ok fuzz_data (N inputs, M loaded)".
 *  - included by tests/test_data.c with HY_FUZZ_NO_MAIN, which calls
 *    fuzz_data_bounded() as one of its checks.
 */
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "hyrt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fz_dir[64];
static long fz_loaded, fz_roundtrips;

#define FZ_CHECK(cond)                                                                 \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            fprintf(stderr, "fuzz_data: invariant failed: %s (%s:%d)\n", #cond,        \
                    __FILE__, __LINE__);                                               \
            abort();                                                                   \
        }                                                                              \
    } while (0)

static void fz_cleanup(void);

static void fz_setup(void)
{
    static int registered;
    if (fz_dir[0])
        return;
    /* tmpfs when there is one: the round trips fsync. */
    snprintf(fz_dir, sizeof fz_dir, "/dev/shm/hy-fuzz-data-XXXXXX");
    if (!mkdtemp(fz_dir))
        snprintf(fz_dir, sizeof fz_dir, "/tmp/hy-fuzz-data-XXXXXX");
    if (!fz_dir[0] || (strncmp(fz_dir, "/tmp", 4) == 0 && !mkdtemp(fz_dir))) {
        perror("fuzz_data: mkdtemp");
        abort();
    }
    if (!registered++)
        atexit(fz_cleanup);
}

static void fz_cleanup(void)
{
    if (!fz_dir[0])
        return;
    const char *names[] = {"in.csv", "in.npy", "in.npz", "back.csv"};
    char p[128];
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        snprintf(p, sizeof p, "%s/%s", fz_dir, names[i]);
        unlink(p);
    }
    rmdir(fz_dir);
    fz_dir[0] = 0;
}

static void fz_write(const char *path, const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    FZ_CHECK(f != NULL);
    FZ_CHECK(fwrite(data, 1, size, f) == size);
    FZ_CHECK(fclose(f) == 0);
}

static void fz_check_table(const HyTable *t)
{
    FZ_CHECK(t->ncols >= 1 && t->nrows >= 1 && t->names && t->data);
    for (int c = 0; c < t->ncols; c++) {
        FZ_CHECK(t->names[c] && t->names[c][0]);
        FZ_CHECK(hy_table_column(t, t->names[c]) == c);   /* distinct names */
    }
    for (long i = 0; i < (long)t->ncols * t->nrows; i++)
        FZ_CHECK(isfinite(t->data[i]));
}

/* Writes t as CSV and reloads it: same names, bitwise same values. */
static void fz_roundtrip(const HyTable *t)
{
    char p[128], err[512];
    snprintf(p, sizeof p, "%s/back.csv", fz_dir);
    const double **cols = malloc((size_t)t->ncols * sizeof *cols);
    FZ_CHECK(cols != NULL);
    for (int c = 0; c < t->ncols; c++)
        cols[c] = t->data + (size_t)c * (size_t)t->nrows;
    int rc = hy_csv_write(p, t->ncols, (const char *const *)t->names, t->nrows, cols, err, sizeof err);
    free(cols);
    if (rc) {
        fprintf(stderr, "fuzz_data: csv write failed: %s\n", err);
        abort();
    }
    HyTable u;
    if (hy_table_load(p, &u, err, sizeof err)) {
        fprintf(stderr, "fuzz_data: csv reload failed: %s\n", err);
        abort();
    }
    FZ_CHECK(u.ncols == t->ncols && u.nrows == t->nrows);
    for (int c = 0; c < t->ncols; c++)
        FZ_CHECK(strcmp(u.names[c], t->names[c]) == 0);
    FZ_CHECK(memcmp(u.data, t->data, (size_t)t->ncols * (size_t)t->nrows * sizeof(double)) == 0);
    hy_table_free(&u);
    fz_roundtrips++;
}

static void fz_check_array(const HyArray *a)
{
    long s = 1;
    FZ_CHECK(a->ndim >= 0 && a->ndim <= HY_NPY_MAX_DIM && a->data);
    for (int d = 0; d < a->ndim; d++) {
        FZ_CHECK(a->shape[d] >= 0);
        s *= a->shape[d];
    }
    FZ_CHECK(s == a->size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *exts[] = {"csv", "npy", "npz"};
    char p[128], err[512];
    fz_setup();
    for (int e = 0; e < 3; e++) {
        snprintf(p, sizeof p, "%s/in.%s", fz_dir, exts[e]);
        fz_write(p, data, size);
        HyTable t;
        err[0] = 0;
        if (hy_table_load(p, &t, err, sizeof err) == 0) {
            fz_check_table(&t);
            if (fz_loaded++ % 64 == 0)
                fz_roundtrip(&t);
            hy_table_free(&t);
        } else {
            FZ_CHECK(err[0] && t.ncols == 0 && !t.names && !t.data);
        }
        if (e == 1) {
            HyArray a;
            if (hy_npy_read(p, &a, err, sizeof err) == 0) {
                fz_check_array(&a);
                FZ_CHECK(a.name == NULL);
                hy_array_free(&a);
            } else {
                FZ_CHECK(err[0] && !a.data);
            }
        }
        if (e == 2) {
            int n;
            HyArray *v;
            if (hy_npz_read(p, &n, &v, err, sizeof err) == 0) {
                for (int i = 0; i < n; i++) {
                    fz_check_array(&v[i]);
                    FZ_CHECK(v[i].name && v[i].name[0]);
                }
                hy_arrays_free(n, v);
            } else {
                FZ_CHECK(err[0] && n == 0 && v == NULL);
            }
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- bounded mode */

typedef struct FzSeed {
    uint8_t *p;
    size_t n;
} FzSeed;

static uint64_t fz_rand(uint64_t *state) { return hy_rng_u64(20240917, 7, (*state)++); }

/* Loads every regular file of dir as a seed (at most 256, each <= 64 KiB). */
static int fz_seeds(const char *dir, FzSeed *seeds, int cap)
{
    int n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    char **names = NULL;
    int nn = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        names = realloc(names, (size_t)(nn + 1) * sizeof *names);
        names[nn++] = strdup(e->d_name);
    }
    closedir(d);
    /* Sorted, so the run does not depend on directory order. */
    for (int i = 1; i < nn; i++)
        for (int j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            char *t = names[j];
            names[j] = names[j - 1];
            names[j - 1] = t;
        }
    for (int i = 0; i < nn; i++) {
        char p[512];
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        FILE *f = fopen(p, "rb");
        if (f && n < cap) {
            uint8_t *b = malloc(65536);
            size_t k = fread(b, 1, 65536, f);
            if (k > 0 && k < 65536) {
                seeds[n].p = b;
                seeds[n++].n = k;
            } else {
                free(b);
            }
        }
        if (f)
            fclose(f);
        free(names[i]);
    }
    free(names);
    return n;
}

/* One mutation of buf[0..*n) (capacity cap) in place. */
static void fz_mutate(uint8_t *buf, size_t *n, size_t cap, uint64_t *st, const FzSeed *seeds, int nseeds)
{
    static const uint8_t interesting[] = {0, 1, 0x7f, 0x80, 0xff, '\n', '\r', ',', '"', '#',
                                          '.', 'e', '-', '+', '0', '9', ' ', '\t', 'n', 'P'};
    static const uint32_t words[] = {0, 1, 0x7fffffff, 0x80000000u, 0xffffffffu, 0xffff, 64, 22};
    uint64_t r = fz_rand(st);
    size_t len = *n, pos = len ? (size_t)(fz_rand(st) % len) : 0;
    switch (r % 9) {
    case 0:   /* flip a bit */
        if (len)
            buf[pos] ^= (uint8_t)(1u << (fz_rand(st) % 8));
        break;
    case 1:   /* interesting byte */
        if (len)
            buf[pos] = interesting[fz_rand(st) % sizeof interesting];
        break;
    case 2:   /* insert a byte */
        if (len < cap) {
            memmove(buf + pos + 1, buf + pos, len - pos);
            buf[pos] = interesting[fz_rand(st) % sizeof interesting];
            (*n)++;
        }
        break;
    case 3: { /* delete a range */
        size_t k = 1 + (size_t)(fz_rand(st) % 16);
        if (pos + k > len)
            k = len - pos;
        memmove(buf + pos, buf + pos + k, len - pos - k);
        *n -= k;
        break;
    }
    case 4:   /* truncate */
        *n = pos;
        break;
    case 5:   /* little-endian word at pos */
        if (len >= 4 && pos + 4 <= len) {
            uint32_t w = words[fz_rand(st) % (sizeof words / sizeof *words)];
            for (int i = 0; i < 4; i++)
                buf[pos + (size_t)i] = (uint8_t)(w >> (8 * i));
        }
        break;
    case 6: { /* duplicate a range */
        size_t k = 1 + (size_t)(fz_rand(st) % 64);
        if (pos + k > len)
            k = len - pos;
        if (len + k <= cap) {
            memmove(buf + pos + k, buf + pos, len - pos);
            *n += k;
        }
        break;
    }
    case 7: { /* splice: the tail of another seed */
        const FzSeed *s = &seeds[fz_rand(st) % (uint64_t)nseeds];
        size_t from = s->n ? (size_t)(fz_rand(st) % s->n) : 0, k = s->n - from;
        if (pos + k > cap)
            k = cap - pos;
        memcpy(buf + pos, s->p + from, k);
        *n = pos + k;
        break;
    }
    default:  /* a digit or decimal text at pos (text formats) */
        if (len) {
            char num[32];
            int k = snprintf(num, sizeof num, "%lld", (long long)(fz_rand(st) % 2000001) - 1000000);
            if (len + (size_t)k <= cap) {
                memmove(buf + pos + k, buf + pos, len - pos);
                memcpy(buf + pos, num, (size_t)k);
                *n += (size_t)k;
            }
        }
        break;
    }
}

/* Runs n_inputs mutated inputs from the seeds in dir.  Returns the number of
 * inputs run (0 if there are no seeds); an invariant failure aborts. */
long fuzz_data_bounded(const char *dir, long n_inputs);
long fuzz_data_bounded(const char *dir, long n_inputs)
{
    FzSeed seeds[256];
    int ns = fz_seeds(dir, seeds, 256);
    if (ns == 0)
        return 0;
    size_t cap = 1 << 17;
    uint8_t *buf = malloc(cap);
    uint64_t st = 0;
    long i;
    for (i = 0; i < n_inputs; i++) {
        const FzSeed *s = &seeds[fz_rand(&st) % (uint64_t)ns];
        size_t n = s->n;
        memcpy(buf, s->p, n);
        int m = 1 + (int)(fz_rand(&st) % 4);
        for (int k = 0; k < m; k++)
            fz_mutate(buf, &n, cap, &st, seeds, ns);
        LLVMFuzzerTestOneInput(buf, n);
    }
    free(buf);
    for (int k = 0; k < ns; k++)
        free(seeds[k].p);
    fz_cleanup();
    return i;
}

#if !defined(HY_LIBFUZZER) && !defined(HY_FUZZ_NO_MAIN)
int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 20000;
    long ran = fuzz_data_bounded("tests/data", n);
    if (ran != n) {
        printf("FAIL fuzz_data: no seeds in tests/data (run from the repository root)\n");
        return 1;
    }
    printf("ok fuzz_data (%ld inputs, %ld loaded, %ld round trips)\n", ran, fz_loaded, fz_roundtrips);
    return 0;
}
#endif
