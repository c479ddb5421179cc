/* fuzz_front.c -- fuzz harness of the compiler front end (lexer, parser,
 * sema) and of the C it emits.
 *
 * LLVMFuzzerTestOneInput compiles one input as the spec "examples/fuzz.hyco"
 * (so load("data/...") of the seeds resolves to examples/data/; run from the
 * repository root): parse, AST dump, sema, then for an accepted spec the IR
 * dump, the gradient dump and the emitted C (no prelude).  Invariants checked
 * (abort() on violation, which a fuzzer reports as a crash):
 *  - comp_front's status agrees with the error count; a rejected input has at
 *    least one error, every error is located ("FILE:L:C: error: ...") with
 *    1 <= L <= lines + 1 and 1 <= C <= that line's length + 2;
 *  - the emitted C contains nothing the spec chose as code (fz_check_c):
 *    outside string literals and comments every identifier is one the
 *    emitter writes (hy_*, hyk_*, HY_*, C keywords, and the words inside
 *    the string literals of compiler/emit*.c but emit_main.c, read at
 *    start), every
 *    number is a valid C number (no inf/nan), the only preprocessor lines are
 *    #line N "...", comments and strings close on their own line, strings hold
 *    printable ASCII with valid escapes and no trigraph (??/ and the like).
 * Crashes, hangs, leaks and undefined behaviour are the sanitizers' part.
 *
 * Three builds:
 *  - libFuzzer: make fuzz-front [FUZZ_SECONDS=N] (clang -fsanitize=fuzzer,
 *    address,undefined -DHY_LIBFUZZER; seeds: every spec of the repository;
 *    crashers land in build-fuzz-front/; keep each as a regression test in
 *    tests/fuzz_corpus/, which the bounded run replays first).
 *  - standalone: cc ... -DHY_FUZZ_MAIN tests/fuzz_front.c -> main(argc, argv)
 *    runs fuzz_front_bounded(argv[1] inputs, default 20000).
 *  - included by tests/test_fuzz_front.c (make check), which runs the bounded
 *    mode and prints "ok fuzz/front (N inputs, ...)".
 * The bounded mode is deterministic: a fixed mutation stream (hy_rng_u64)
 * over the seed corpus, so a failure reproduces exactly.
 */
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ir.h"
#include "hyrt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_FILE "examples/fuzz.hyco"

static long fz_parsed, fz_accepted, fz_emitted, fz_rejected;

static void fz_fail(const char *what, const char *detail, const char *src, size_t n)
{
    fprintf(stderr, "fuzz_front: invariant failed: %s\n", what);
    if (detail)
        fprintf(stderr, "  %s\n", detail);
    fprintf(stderr, "--- input (%zu bytes) ---\n", n);
    fwrite(src, 1, n, stderr);
    fprintf(stderr, "\n--- end of input ---\n");
    abort();
}

/* ---- the emitted C: nothing but what the emitter writes ---- */

static int fz_ident_char(int ch, int first);

/* Identifiers the emitter writes: those inside the string literals of
 * compiler/emit.c (outside the comments they open, and not conversion
 * letters of a printf format), read once; plus C keywords. */
static char **fz_words;
static int fz_nwords;

static void fz_add_word(const char *s, size_t n)
{
    for (int i = 0; i < fz_nwords; i++)
        if (strlen(fz_words[i]) == n && !memcmp(fz_words[i], s, n)) return;
    char **nw = realloc(fz_words, (size_t)(fz_nwords + 1) * sizeof *nw);
    if (!nw) abort();
    fz_words = nw;
    fz_words[fz_nwords] = malloc(n + 1);
    if (!fz_words[fz_nwords]) abort();
    memcpy(fz_words[fz_nwords], s, n);
    fz_words[fz_nwords++][n] = 0;
}

static void fz_free_words(void)
{
    for (int i = 0; i < fz_nwords; i++) free(fz_words[i]);
    free(fz_words);
}

/* Adds the words of the string literals of one emitter source file. */
static void fz_words_of(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "fuzz_front: cannot read %s (run from the repository root)\n", path);
        abort();
    }
    size_t cap = 1 << 16, n = 0;
    char *src = malloc(cap);
    for (size_t k; src && (k = fread(src + n, 1, cap - n, f)) > 0;) {
        n += k;
        if (n == cap) src = realloc(src, cap *= 2);
    }
    fclose(f);
    if (!src) abort();
    /* The literals' text, in file order, separated by spaces; not those of
     * #include lines and internal-error messages, nor any after
     * emit_dump_grad (not C). */
    char *lit = malloc(2 * n + 1);
    if (!lit) abort();
    size_t m = 0;
    const char *stop = strstr(src, "void emit_dump_grad(");
    if (stop) n = (size_t)(stop - src);
    for (size_t i = 0; i < n; i++) {
        if (src[i] == '#' && (i == 0 || src[i - 1] == '\n')) { while (i < n && src[i] != '\n') i++; continue; }
        if (!strncmp(src + i, "HY_ICE(", 7)) {   /* skip to the end of the statement */
            while (i < n && src[i] != ';') {
                if (src[i] == '"') for (i++; i < n && src[i] != '"'; i++) if (src[i] == '\\') i++;
                i++;
            }
            continue;
        }
        if (src[i] == '/' && i + 1 < n && src[i + 1] == '/') { while (i < n && src[i] != '\n') i++; continue; }
        if (src[i] == '/' && i + 1 < n && src[i + 1] == '*') {
            for (i += 2; i + 1 < n && !(src[i] == '*' && src[i + 1] == '/'); i++) {}
            i++;
            continue;
        }
        if (src[i] == '\'') { for (i++; i < n && src[i] != '\''; i++) if (src[i] == '\\') i++; continue; }
        if (src[i] != '"') continue;
        for (i++; i < n && src[i] != '"'; i++) {
            if (src[i] == '\\') { i++; lit[m++] = src[i] == 'n' ? '\n' : ' '; continue; }
            lit[m++] = src[i];
        }
        lit[m++] = ' ';
    }
    lit[m] = 0;
    for (size_t i = 0; i < m; i++) {
        if (lit[i] == '/' && lit[i + 1] == '*') {   /* a comment of the emitted code */
            char *e = strstr(lit + i + 2, "*/");
            i = e ? (size_t)(e - lit) + 1 : m;
            continue;
        }
        if (lit[i] == '%') {   /* a conversion: %ld, %.17g, %s ... */
            for (i++; i < m && strchr("-+ #0123456789.*hlzjt", lit[i]); i++) {}
            continue;
        }
        if (fz_ident_char((unsigned char)lit[i], 1) && (i == 0 || !fz_ident_char((unsigned char)lit[i - 1], 0))) {
            size_t k = i;
            while (k < m && fz_ident_char((unsigned char)lit[k], 0)) k++;
            if (lit[k] == '%' && k + 1 < m && strchr("dui", lit[k + 1])) {
                /* "t%u": identifiers t0, t1, ... (kept as "t#") */
                char w[80];
                snprintf(w, sizeof w, "%.*s#", (int)(k - i > 70 ? 70 : k - i), lit + i);
                fz_add_word(w, strlen(w));
            } else {
                fz_add_word(lit + i, k - i);
            }
            i = k - 1;
        }
    }
    free(lit);
    free(src);
}

/* The emitter's vocabulary: C keywords, then the words of compiler/emit*.c
 * (emit_main.c excepted: the standalone driver is not in comp_emit_string's
 * output). */
static void fz_load_words(void)
{
    static const char *const kw[] = {"static", "const", "double", "long", "int", "void", "for", "if", "else",
                                     "return", "char", "unsigned", "while", "sizeof", NULL};
    for (int i = 0; kw[i]; i++) fz_add_word(kw[i], strlen(kw[i]));
    atexit(fz_free_words);
    DIR *d = opendir("compiler");
    if (!d) {
        fprintf(stderr, "fuzz_front: cannot read compiler/ (run from the repository root)\n");
        abort();
    }
    for (struct dirent *e; (e = readdir(d));) {
        size_t l = strlen(e->d_name);
        if (strncmp(e->d_name, "emit", 4) || l < 3 || strcmp(e->d_name + l - 2, ".c") || !strcmp(e->d_name, "emit_main.c"))
            continue;
        char p[300];
        snprintf(p, sizeof p, "compiler/%s", e->d_name);
        fz_words_of(p);
    }
    closedir(d);
}

static int fz_allowed_ident(const char *s, size_t n)
{
    if ((n > 3 && !memcmp(s, "hy_", 3)) || (n > 4 && !memcmp(s, "hyk_", 4)) || (n > 3 && !memcmp(s, "HY_", 3)))
        return 1;
    if (!fz_words) fz_load_words();
    for (int i = 0; i < fz_nwords; i++) {
        size_t l = strlen(fz_words[i]);
        if (l == n && !memcmp(fz_words[i], s, n))
            return 1;
        if (l >= 2 && fz_words[i][l - 1] == '#' && n >= l && !memcmp(fz_words[i], s, l - 1) &&
            strspn(s + l - 1, "0123456789") == n - (l - 1))   /* a word%d identifier */
            return 1;
    }
    return 0;
}

static int fz_ident_char(int ch, int first)
{
    return ch == '_' || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (!first && ch >= '0' && ch <= '9');
}

/* A C string literal starting at s[0] == '"'; returns its length, or 0 (and
 * sets *why) when it does not close on its line or holds something other than
 * printable ASCII, valid escapes and no trigraph. */
static size_t fz_c_string(const char *s, const char **why)
{
    size_t i = 1;
    for (;;) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"')
            return i + 1;
        if (ch == 0 || ch == '\n') { *why = "string literal does not close on its line"; return 0; }
        if (ch < 0x20 || ch >= 0x7f) { *why = "raw control or non-ASCII byte in a string literal"; return 0; }
        if (ch == '?' && s[i + 1] == '?' && s[i + 2] && strchr("=/'()!<>-", s[i + 2])) {
            *why = "trigraph sequence in a string literal";
            return 0;
        }
        if (ch == '\\') {
            unsigned char e = (unsigned char)s[i + 1];
            if (e >= '0' && e <= '7') {
                i += 2;
                for (int k = 0; k < 2 && s[i] >= '0' && s[i] <= '7'; k++) i++;
                continue;
            }
            if (!e || !strchr("\"\\?abfnrtv'", e)) { *why = "invalid escape in a string literal"; return 0; }
            i += 2;
            continue;
        }
        i++;
    }
}

/* NULL if the C text c[0..n) passes, else why not (at *at). */
static const char *fz_check_c(const char *c, size_t n, size_t *at)
{
    static char why[160];
    const char *w = NULL;
    size_t i = 0;
    int line_start = 1;
    while (i < n) {
        unsigned char ch = (unsigned char)c[i];
        *at = i;
        if (ch == '\n') { line_start = 1; i++; continue; }
        if (ch == ' ' || ch == '\t') { i++; continue; }
        if (ch == '#') {
            if (!line_start) return "'#' inside a line";
            /* the compiler's own fixed block (emit_sim.c: no FMA contraction in
             * simulator code): exact lines, nothing from the spec */
            static const char *const fixed[] = {
                "#if defined(__GNUC__) && !defined(__clang__) && !defined(__TINYC__)",
                "#define HYK_NOCONTRACT __attribute__((optimize(\"fp-contract=off\")))",
                "#else", "#define HYK_NOCONTRACT", "#endif", "#if defined(__clang__)",
                "#pragma STDC FP_CONTRACT OFF", NULL};
            int ok_fixed = 0;
            for (int q = 0; fixed[q] && !ok_fixed; q++) {
                size_t L = strlen(fixed[q]);
                if (i + L <= n && strncmp(c + i, fixed[q], L) == 0 && (i + L == n || c[i + L] == '\n')) {
                    i += L;
                    ok_fixed = 1;
                }
            }
            if (ok_fixed) continue;
            if (strncmp(c + i, "#line ", 6) != 0) return "preprocessor line other than #line";
            i += 6;
            if (!(c[i] >= '1' && c[i] <= '9')) return "#line without a line number";
            while (c[i] >= '0' && c[i] <= '9') i++;
            if (c[i] != ' ' || c[i + 1] != '"') return "#line without a file name";
            size_t k = fz_c_string(c + i + 1, &w);
            if (!k) return w;
            i += 1 + k;
            if (c[i] != '\n') return "text after the file name of #line";
            continue;
        }
        line_start = 0;
        if (ch == '/' && c[i + 1] == '*') {
            const char *e = strstr(c + i + 2, "*/");
            const char *nl = memchr(c + i, '\n', n - i);
            if (!e || (nl && nl < e)) return "comment does not close on its line";
            for (const char *p = c + i; p < e; p++)
                if ((unsigned char)*p < 0x20 && *p != '\t') return "control byte in a comment";
            i = (size_t)(e - c) + 2;
            continue;
        }
        if (ch == '/' && c[i + 1] == '/') return "line comment";
        if (ch == '"') {
            size_t k = fz_c_string(c + i, &w);
            if (!k) return w;
            i += k;
            continue;
        }
        if (fz_ident_char(ch, 1)) {
            size_t k = i;
            while (k < n && fz_ident_char((unsigned char)c[k], 0)) k++;
            if (!fz_allowed_ident(c + i, k - i)) {
                snprintf(why, sizeof why, "identifier '%.*s' that the emitter does not write", (int)(k - i > 60 ? 60 : k - i),
                         c + i);
                return why;
            }
            i = k;
            continue;
        }
        if ((ch >= '0' && ch <= '9') || (ch == '.' && c[i + 1] >= '0' && c[i + 1] <= '9')) {
            /* a pp-number: digits, letters, '.', and e+/e- */
            size_t k = i;
            while (k < n && (fz_ident_char((unsigned char)c[k], 0) || c[k] == '.' ||
                             ((c[k] == '+' || c[k] == '-') && (c[k - 1] == 'e' || c[k - 1] == 'E'))))
                k++;
            char num[64];
            if (k - i >= sizeof num) return "number too long";
            memcpy(num, c + i, k - i);
            num[k - i] = 0;
            char *end;
            if (num[0] == '0' && (num[1] == 'x' || num[1] == 'X')) (void)strtoul(num, &end, 16);
            else (void)strtod(num, &end);
            if (*end && strspn(num, "0123456789") == (size_t)(end - num) && strspn(end, "uUlL") == strlen(end))
                end += strlen(end);   /* an integer with a suffix: 4ULL */
            if (*end) {
                snprintf(why, sizeof why, "malformed number '%s'", num);
                return why;
            }
            i = k;
            continue;
        }
        if (strchr("{}[]();,=+-*/<>!&|?:.%^~", ch) && ch) { i++; continue; }
        snprintf(why, sizeof why, "unexpected byte 0x%02x", ch);
        return why;
    }
    return NULL;
}

/* ---- diagnostics: every error located inside the source ---- */

static void fz_check_diags(const char *diags, const char *src, size_t n, int nerrors)
{
    int nlines = 1;
    for (size_t i = 0; i < n; i++) nlines += src[i] == '\n';
    size_t fl = strlen(FZ_FILE);
    int seen = 0;
    for (const char *p = diags; *p;) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        if (len > fl && !memcmp(p, FZ_FILE, fl) && p[fl] == ':') {
            const char *q = p + fl + 1;
            char *end;
            long L = strtol(q, &end, 10), C = 0;
            int located = end != q && *end == ':';
            if (located) C = strtol(end + 1, &end, 10);
            const char *kind = located ? end + 1 : q;
            if (!strncmp(kind, " error: ", 8)) {
                seen++;
                if (!located) fz_fail("unlocated error", p, src, n);
                if (L < 1 || L > nlines) fz_fail("error on a line outside the file", p, src, n);
                size_t ll = 0;
                const char *s = src;
                for (long l = 1; l < L; l++) s = (const char *)memchr(s, '\n', n - (size_t)(s - src)) + 1;
                while (s + ll < src + n && s[ll] != '\n') ll++;
                if (C < 1 || C > (long)ll + 2) fz_fail("error column outside its line", p, src, n);
            }
        }
        p += len + (eol ? 1 : 0);
    }
    if (seen != nerrors) {
        char d[96];
        snprintf(d, sizeof d, "%d errors counted, %d printed", nerrors, seen);
        fz_fail("error count", d, src, n);
    }
}

/* ---- one input ---- */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *src = malloc(size + 1);
    if (!src) abort();
    memcpy(src, data, size);
    src[size] = 0;
    char *diags = NULL;
    size_t dlen = 0;
    FILE *dout = open_memstream(&diags, &dlen);
    static FILE *sink;   /* dumps are made for their checks, not read */
    if (!sink) sink = fopen("/dev/null", "w");
    if (!dout || !sink) abort();
    Comp *c = comp_new(FZ_FILE, src, size, dout);
    c->ast = parse_program(&c->arena, &c->diag);
    int status = c->diag.nerrors ? 1 : 0;
    if (!status) {
        fz_parsed++;
        ast_dump(sink, c->ast);
        status = sema(c);
        if (!status != !c->diag.nerrors) fz_fail("sema status disagrees with the error count", NULL, src, size);
    }
    fflush(dout);
    if (status) {
        fz_rejected++;
        if (!c->diag.nerrors) fz_fail("rejected without an error", NULL, src, size);
    }
    fz_check_diags(diags, src, size, c->diag.nerrors);
    if (!status) {
        fz_accepted++;
        ir_verify(c);
        NodeId *roots = malloc(sizeof *roots * (size_t)(c->nlosses + c->nchecks + 1));
        if (!roots) abort();
        int nr = 0;
        for (int i = 0; i < c->nlosses; i++) roots[nr++] = c->losses[i].root;
        for (int i = 0; i < c->nchecks; i++) roots[nr++] = c->checks[i].root;
        ir_dump(sink, c, roots, nr);
        free(roots);
        emit_dump_grad(c, sink);
        char *text = comp_emit_string(c, 0);
        size_t at = 0;
        const char *why = fz_check_c(text, strlen(text), &at);
        if (why) {
            char d[400];
            size_t from = at > 120 ? at - 120 : 0;
            snprintf(d, sizeof d, "%s, at: ...%.200s", why, text + from);
            fz_fail("emitted C", d, src, size);
        }
        free(text);
        fz_emitted++;
    }
    comp_free(c);
    fclose(dout);
    free(diags);
    free(src);
    return 0;
}

/* ---------------------------------------------------------------- bounded mode */
#ifndef HY_LIBFUZZER

typedef struct FzBuf {
    uint8_t *p;
    size_t n;
} FzBuf;

#define FZ_CAP (1 << 16)    /* largest input the bounded mode makes */
#define FZ_POOL 512         /* seeds + accepted mutants kept for further mutation */

static uint64_t fz_rand(uint64_t *st) { return hy_rng_u64(20250101, 11, (*st)++); }
static size_t fz_below(uint64_t *st, size_t n) { return n ? (size_t)(fz_rand(st) % n) : 0; }

/* Appends every regular *.hyco file of dir (sorted by name) to the pool. */
static int fz_load_dir(const char *dir, FzBuf *pool, int np, int cap)
{
    DIR *d = opendir(dir);
    if (!d) return np;
    char **names = NULL;
    int nn = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t l = strlen(e->d_name);
        if (e->d_name[0] == '.' || l < 6 || strcmp(e->d_name + l - 5, ".hyco")) continue;
        char **nb = realloc(names, (size_t)(nn + 1) * sizeof *names);
        if (!nb) abort();
        names = nb;
        names[nn++] = strdup(e->d_name);
    }
    closedir(d);
    for (int i = 1; i < nn; i++)
        for (int j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            char *t = names[j];
            names[j] = names[j - 1];
            names[j - 1] = t;
        }
    for (int i = 0; i < nn; i++) {
        char p[1024];
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        FILE *f = fopen(p, "rb");
        if (f && np < cap) {
            uint8_t *b = malloc(FZ_CAP);
            if (!b) abort();
            size_t k = fread(b, 1, FZ_CAP, f);
            if (k < FZ_CAP) {
                pool[np].p = b;
                pool[np++].n = k;
            } else {
                free(b);
            }
        }
        if (f) fclose(f);
        free(names[i]);
    }
    free(names);
    return np;
}

static const char *const fz_dict[] = {
    /* statement keywords and contextual words */
    "seed ", "const ", "domain ", "points ", "data ", "net ", "param ", "field ", "let ", "loss ",
    "train ", "step ", "epochs", "iterations", "expect ", "report ", " over ", "optimizer ", " in ",
    " on ", "then ", "weights ", "track ", "grid ", "sim ", "schedule ", "grow every 2 by ",
    "resample every 3 ", " by ", "warmup ", " x 2", " every 2",
    /* built-ins */
    "interval(x: 0 .. 1, mesh 0.1)", "rect(x: 0 .. 1, y: 0 .. 1, mesh 0.25)", "box(", "disk(",
    "polygon(", "union(", "difference(", "intersection(", "spacetime(", "linspace(0, 1, 5)",
    "random(8)", "latin(", "sobol(", "halton(", "boundary(", "mlp(1 -> 1, width 4, depth 1, tanh)",
    "modified_mlp(", "resnet(", "fourier 4", "adam(lr 1e-3)", "lbfgs", "sgd(", "chain(", "mse(",
    "mae(", "mean(", "sum(", "max(", "min(", "dx(", "dxx(", "dy(", "dt(", "dn(", "dxt(", "lap(",
    "stop(", "noise(0.1)", "load(\"data/field2d.csv\")", "where(", "rel_l2(", "sin(",
    "cos(", "exp(", "log(", "tanh(", "sqrt(", "abs(", "sign(", "pi", "normal.x", "columns ",
    "relobralo(", "softadapt(", "outputs u v", "residual(", "center(0, 0)", "radius 1",
    "vertices(0, 0, 1, 0, 0, 1)", "left", "right", "top", "bottom",
    /* names */
    "x", "y", "t", "u", "phy", "line", "sq", "w", "static", "main", "hy_fail", "HY_ACT_TANH",
    /* operators and punctuation */
    "(", ")", "[", "]", "{", "}", ",", ":", ";", ".", "..", "->", "=", "<", ">", "<=", ">=", "+",
    "-", "*", "/", "^", "\n", "#", "*/", "/*", "//",
    /* numbers */
    "0", "1", "-1", "2", "0.5", "1e308", "1e-308", "4.9e-324", "1e-320", "1e309", "2147483647",
    "2147483648", "9223372036854775807", "9223372036854775808", "50000000", "50000001", "4096",
    "4097", "64", "65", "1e9", "0.0", ".5", "1.", "1e", "1.2.3", "0x10", "1e+400",
    /* hostile strings */
    "\"a\\\"b*/ #include <stdio.h>\"", "\"?\?/\"", "\"\\\\\"", "\"x\\ny\"", "\"\\t\"", "\"*/\"",
    "\"\xc3\xa9\"", "\"%s%n\"", "\"/etc/passwd\"", "\"/dev/zero\"", "\"data/\"", "\"\"",
};

/* A byte range of the input that is a number, else none (*len = 0). */
static void fz_find(const uint8_t *b, size_t n, size_t pos, int (*in)(int), size_t *start, size_t *len)
{
    size_t s = pos;
    while (s < n && !in(b[s])) s++;
    size_t e = s;
    while (e < n && in(b[e])) e++;
    *start = s;
    *len = e - s;
}
static int fz_is_num(int ch) { return (ch >= '0' && ch <= '9') || ch == '.' || ch == 'e'; }
static int fz_is_id(int ch) { return fz_ident_char(ch, 0); }

/* Replaces b[at..at+del) by ins[0..k) when the result fits. */
static void fz_splice(FzBuf *b, size_t at, size_t del, const void *ins, size_t k)
{
    if (at > b->n) at = b->n;
    if (at + del > b->n) del = b->n - at;
    if (b->n - del + k > FZ_CAP) return;
    memmove(b->p + at + k, b->p + at + del, b->n - at - del);
    memcpy(b->p + at, ins, k);
    b->n = b->n - del + k;
}

/* Start of the line holding pos, and the line's length with its newline. */
static void fz_line(const FzBuf *b, size_t pos, size_t *start, size_t *len)
{
    size_t s = pos > b->n ? b->n : pos;
    while (s > 0 && b->p[s - 1] != '\n') s--;
    size_t e = s;
    while (e < b->n && b->p[e] != '\n') e++;
    if (e < b->n) e++;
    *start = s;
    *len = e - s;
}

static void fz_mutate(FzBuf *b, uint64_t *st, const FzBuf *pool, int np)
{
    static const char bytes[] = "\"\\*/?#\n\t(){}[],.:=<>-+^0123456789eExyu_ \r";
    size_t pos = fz_below(st, b->n + 1);
    switch (fz_rand(st) % 14) {
    case 0:   /* flip a bit */
        if (b->n) b->p[fz_below(st, b->n)] ^= (uint8_t)(1u << fz_below(st, 8));
        break;
    case 1: { /* an interesting byte, or any byte */
        uint8_t ch = fz_rand(st) % 4 ? (uint8_t)bytes[fz_below(st, sizeof bytes - 1)] : (uint8_t)fz_rand(st);
        if (b->n && fz_rand(st) % 2) b->p[fz_below(st, b->n)] = ch;
        else fz_splice(b, pos, 0, &ch, 1);
        break;
    }
    case 2:   /* delete a range */
        fz_splice(b, pos, 1 + fz_below(st, 24), "", 0);
        break;
    case 3: { /* duplicate a range */
        size_t k = 1 + fz_below(st, 48);
        if (pos + k > b->n) k = b->n - pos;
        uint8_t tmp[48];
        memcpy(tmp, b->p + pos, k);
        fz_splice(b, fz_below(st, b->n + 1), 0, tmp, k);
        break;
    }
    case 4: case 5: { /* a dictionary token */
        const char *w = fz_dict[fz_below(st, sizeof fz_dict / sizeof *fz_dict)];
        fz_splice(b, pos, fz_rand(st) % 3 == 0 ? fz_below(st, 4) : 0, w, strlen(w));
        break;
    }
    case 6: { /* replace a number */
        size_t s, l;
        fz_find(b->p, b->n, pos, fz_is_num, &s, &l);
        static const char *const nums[] = {"0", "1e308", "1e-320", "2147483648", "50000001", "4097", "65",
                                           "3", "1e6", "0.5", "100000", "1e-300", "9999999999", "7"};
        const char *w = nums[fz_below(st, sizeof nums / sizeof *nums)];
        if (l) fz_splice(b, s, l, w, strlen(w));
        break;
    }
    case 7: { /* an identifier replaced by another of the input */
        size_t s, l, s2, l2;
        fz_find(b->p, b->n, pos, fz_is_id, &s, &l);
        fz_find(b->p, b->n, fz_below(st, b->n + 1), fz_is_id, &s2, &l2);
        if (l && l2 && l2 < 256) {
            uint8_t tmp[256];
            memcpy(tmp, b->p + s2, l2);
            fz_splice(b, s, l, tmp, l2);
        }
        break;
    }
    case 8: { /* a line of another input inserted at a line start */
        const FzBuf *o = &pool[fz_below(st, (size_t)np)];
        size_t s, l, at, al;
        fz_line(o, fz_below(st, o->n + 1), &s, &l);
        fz_line(b, pos, &at, &al);
        (void)al;
        uint8_t *tmp = malloc(l + 1);
        if (!tmp) abort();
        memcpy(tmp, o->p + s, l);
        fz_splice(b, at, 0, tmp, l);
        free(tmp);
        break;
    }
    case 9: { /* delete or duplicate a line */
        size_t s, l;
        fz_line(b, pos, &s, &l);
        if (fz_rand(st) % 2) fz_splice(b, s, l, "", 0);
        else if (l < 4096) {
            uint8_t *tmp = malloc(l + 1);
            if (!tmp) abort();
            memcpy(tmp, b->p + s, l);
            fz_splice(b, s, 0, tmp, l);
            free(tmp);
        }
        break;
    }
    case 10: { /* wrap a range in k calls or brackets */
        static const char *const wraps[] = {"dx(", "dxx(", "(", "stop(", "sin(", "-(", "mean("};
        const char *w = wraps[fz_below(st, sizeof wraps / sizeof *wraps)];
        int k = 1 + (int)fz_below(st, fz_rand(st) % 8 ? 3 : 220);
        size_t e = pos + fz_below(st, 40);
        if (e > b->n) e = b->n;
        for (int i = 0; i < k; i++) {
            fz_splice(b, e, 0, ")", 1);
            fz_splice(b, pos, 0, w, strlen(w));
        }
        break;
    }
    case 11: { /* a string literal's contents made hostile */
        static const char *const evil[] = {"a\\\"b", "*/ int evil; /*", "?\?/", "\\\\", "x\\ny",
                                           "#include <stdlib.h>", "\xe2\x82\xac", "\x01", "\\t",
                                           "?\?=?\?(?\?)", "%s%s%n"};
        size_t q = pos;
        while (q < b->n && b->p[q] != '"') q++;
        if (q < b->n) {
            const char *w = evil[fz_below(st, sizeof evil / sizeof *evil)];
            fz_splice(b, q + 1, 0, w, strlen(w));
        }
        break;
    }
    case 12:  /* truncate */
        b->n = pos;
        break;
    default: { /* splice in the tail of another input */
        const FzBuf *o = &pool[fz_below(st, (size_t)np)];
        size_t from = fz_below(st, o->n + 1);
        b->n = pos;
        fz_splice(b, pos, 0, o->p + from, o->n - from);
        break;
    }
    }
}

/* Runs the corpus dirs' inputs as they are, then n_inputs mutants of them
 * (mutants that pass sema join the pool).  Returns the inputs run; an
 * invariant failure aborts. */
long fuzz_front_bounded(long n_inputs);
long fuzz_front_bounded(long n_inputs)
{
    static const char *const dirs[] = {"tests/fuzz_corpus", "examples", "examples/full", "specs", "tests/errors"};
    FzBuf pool[FZ_POOL];
    int np = 0;
    for (size_t d = 0; d < sizeof dirs / sizeof *dirs; d++) np = fz_load_dir(dirs[d], pool, np, FZ_POOL);
    if (np == 0) return 0;
    int nseeds = np;
    long ran = 0;
    for (int i = 0; i < np; i++, ran++) LLVMFuzzerTestOneInput(pool[i].p, pool[i].n);
    FzBuf b;
    b.p = malloc(FZ_CAP);
    if (!b.p) abort();
    uint64_t st = 0;
    for (long i = 0; i < n_inputs; i++, ran++) {
        const FzBuf *s = &pool[fz_below(&st, (size_t)np)];
        memcpy(b.p, s->p, s->n);
        b.n = s->n;
        int m = 1 + (int)fz_below(&st, 4);
        for (int k = 0; k < m; k++) fz_mutate(&b, &st, pool, np);
        long before = fz_accepted;
        LLVMFuzzerTestOneInput(b.p, b.n);
        if (fz_accepted > before && b.n && nseeds < FZ_POOL) {   /* keep it: it reaches emission */
            int slot;
            if (np < FZ_POOL) slot = np++;
            else {
                slot = nseeds + (int)fz_below(&st, (size_t)(FZ_POOL - nseeds));
                free(pool[slot].p);
            }
            pool[slot].p = malloc(b.n);
            if (!pool[slot].p) abort();
            memcpy(pool[slot].p, b.p, b.n);
            pool[slot].n = b.n;
        }
    }
    free(b.p);
    for (int i = 0; i < np; i++) free(pool[i].p);
    return ran;
}

#ifdef HY_FUZZ_MAIN
int main(int argc, char **argv)
{
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 20000;
    long ran = fuzz_front_bounded(n);
    printf("%s fuzz/front (%ld inputs, %ld parsed, %ld accepted and emitted, %ld rejected)\n", ran ? "ok" : "FAIL", ran,
           fz_parsed, fz_emitted, fz_rejected);
    return ran ? 0 : 1;
}
#endif
#endif
