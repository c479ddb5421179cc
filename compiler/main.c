/* main.c -- the hycoc command line.
 *
 *   hycoc [options] FILE.hyco
 * Exit status: 0 success (all expects pass), 1 user error or failed expect,
 * 2 internal error.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "ir.h"
#include "hyrt.h"

static const char usage[] =
    "usage: hycoc [options] FILE.hyco\n"
    "\n"
    "Compiles a physics-informed learning problem, trains it and reports.\n"
    "\n"
    "actions (default --run):\n"
    "  --run              parse, check, differentiate, JIT-compile with libtcc, train, report\n"
    "  --check            parse and check only; no code is generated (fast; for editors and CI)\n"
    "  --dump WHAT        print a stage and stop: ast | ir | grad | c\n"
    "  --emit-c FILE      write the whole training program as one standalone C file (with\n"
    "                     main(); build it with cc -O2 FILE $(hycoc --cflags --libs))\n"
    "  --cflags, --libs   print the flags that build such a file against this libhyrt\n"
    "\n"
    "training options:\n"
    "  --threads N        threads for every pool, OpenBLAS included (default 1)\n"
    "  --epochs N         override the number of epochs of the train block\n"
    "  --seed N           override the spec's seed\n"
    "  --log FILE         write the loss history (every logged epoch, full precision, no timings)\n"
    "  --log-every N      print a progress line every N epochs (default: about 10 lines)\n"
    "  --quiet            no progress lines, only the report\n"
    "  --keep-c FILE      where to keep the generated C if the JIT fails (default hycoc-failed.c)\n"
    "  --cc tcc|gcc       C compiler of --run: tcc in memory (default, fast start) or gcc -O2\n"
    "                     to a shared object (slower start, for long runs)\n"
    "\n"
    "  -h, --help         this text\n"
    "  --version          version\n"
    "\n"
    "exit status: 0 ok, 1 error in the spec / failed expect / training diverged, 2 internal error\n";

typedef struct Opts {
    const char *file;
    const char *dump;       /* NULL, "ast", "ir", "grad", "c" */
    const char *emit_c;
    const char *log;
    const char *keep_c;
    const char *cc;         /* --cc: NULL (tcc) or the name given */
    int cflags, libs;       /* --cflags / --libs */
    int check, run, threads, quiet;
    long epochs, log_every;
    long long seed;         /* -1: from the spec */
} Opts;

static int parse_long(const char *opt, const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s ? s : "", &end, 10);
    if (!s || !*s || *end || errno || v < lo || v > hi) {
        fprintf(stderr, "hycoc: error: %s needs an integer in %ld .. %ld%s%s%s\n", opt, lo, hi, s ? ", not '" : "",
                s ? s : "", s ? "'" : "");
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_opts(int argc, char **argv, Opts *o)
{
    memset(o, 0, sizeof *o);
    o->threads = 1;
    o->seed = -1;
    o->keep_c = "hycoc-failed.c";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        long v;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) { fputs(usage, stdout); exit(0); }
        else if (!strcmp(a, "--version")) { printf("hycoc %s\n", HY_VERSION); exit(0); }
        else if (!strcmp(a, "--run")) o->run = 1;
        else if (!strcmp(a, "--check")) o->check = 1;
        else if (!strcmp(a, "--quiet")) o->quiet = 1;
        else if (!strcmp(a, "--cflags")) o->cflags = 1;
        else if (!strcmp(a, "--libs")) o->libs = 1;
        else if (!strcmp(a, "--cc")) {
            if (!next || (strcmp(next, "tcc") && strcmp(next, "gcc"))) {
                fprintf(stderr, "hycoc: error: --cc needs tcc or gcc\n");
                return -1;
            }
            o->cc = next; i++;
        }
        else if (!strcmp(a, "--dump")) {
            if (!next || (strcmp(next, "ast") && strcmp(next, "ir") && strcmp(next, "grad") && strcmp(next, "c"))) {
                fprintf(stderr, "hycoc: error: --dump needs one of ast, ir, grad, c\n");
                return -1;
            }
            o->dump = next; i++;
        } else if (!strcmp(a, "--emit-c") || !strcmp(a, "--log") || !strcmp(a, "--keep-c")) {
            if (!next) { fprintf(stderr, "hycoc: error: %s needs a file name\n", a); return -1; }
            if (!strcmp(a, "--emit-c")) o->emit_c = next;
            else if (!strcmp(a, "--log")) o->log = next;
            else o->keep_c = next;
            i++;
        } else if (!strcmp(a, "--threads")) {
            if (parse_long(a, next, 1, 1024, &v)) return -1;
            o->threads = (int)v; i++;
        } else if (!strcmp(a, "--epochs")) {
            if (parse_long(a, next, 1, 1000000000L, &v)) return -1;
            o->epochs = v; i++;
        } else if (!strcmp(a, "--log-every")) {
            if (parse_long(a, next, 1, 1000000000L, &v)) return -1;
            o->log_every = v; i++;
        } else if (!strcmp(a, "--seed")) {
            if (parse_long(a, next, 0, 2147483647L, &v)) return -1;
            o->seed = v; i++;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "hycoc: error: unknown option '%s' (see hycoc --help)\n", a);
            return -1;
        } else if (o->file) {
            fprintf(stderr, "hycoc: error: more than one input file ('%s' and '%s')\n", o->file, a);
            return -1;
        } else o->file = a;
    }
    if (!o->file && (o->cflags || o->libs)) return 0;
    if (!o->file) { fprintf(stderr, "hycoc: error: no input file (see hycoc --help)\n"); return -1; }
    if (!o->check && !o->dump && !o->emit_c) o->run = 1;
    return 0;
}

/* Reads a whole file; NULL after printing a message. */
static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) { fprintf(stderr, "hycoc: error: cannot open '%s': %s\n", path, strerror(errno)); return NULL; }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf) { fclose(f); fprintf(stderr, "hycoc: error: out of memory reading '%s'\n", path); return NULL; }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) break;
        if (n + 1 == cap) {
            if (cap > ((size_t)64 << 20)) { fclose(f); free(buf); fprintf(stderr, "hycoc: error: '%s' is too large (over 64 MiB)\n", path); return NULL; }
            char *nb = realloc(buf, cap * 2);
            if (!nb) free(buf);
            buf = nb;
            cap *= 2;
        }
    }
    if (ferror(f)) { fprintf(stderr, "hycoc: error: cannot read '%s': %s\n", path, strerror(errno)); fclose(f); free(buf); return NULL; }
    fclose(f);
    buf[n] = 0;
    *len = n;
    return buf;
}

int main(int argc, char **argv)
{
    Opts o;
    if (parse_opts(argc, argv, &o)) return 1;
    if (o.cflags || o.libs) return standalone_flags(stdout, o.cflags, o.libs);
    size_t len;
    char *src = read_file(o.file, &len);
    if (!src) return 1;
    Comp *c = comp_new(o.file, src, len, stderr);
    int status = 0;
    c->ast = parse_program(&c->arena, &c->diag);
    if (c->diag.nerrors) { status = 1; goto done; }
    if (o.dump && !strcmp(o.dump, "ast")) { ast_dump(stdout, c->ast); goto done; }
    if (sema(c)) { status = 1; goto done; }
#ifndef NDEBUG
    ir_verify(c);
#endif
    if (o.seed >= 0) c->seed = (unsigned long long)o.seed;
    if (o.check) goto done;
    if (o.dump && !strcmp(o.dump, "ir")) {
        NodeId *roots = malloc(sizeof *roots * (size_t)(c->nlosses + c->nchecks + 1));
        if (!roots) HY_ICE("out of memory");
        int nr = 0;
        for (int i = 0; i < c->nlosses; i++) roots[nr++] = c->losses[i].root;
        for (int i = 0; i < c->nchecks; i++) roots[nr++] = c->checks[i].root;
        ir_dump(stdout, c, roots, nr);
        free(roots);
        goto done;
    }
    if (o.dump && !strcmp(o.dump, "grad")) { emit_dump_grad(c, stdout); goto done; }
    if (o.dump && !strcmp(o.dump, "c")) { emit_program(c, stdout, 0); goto done; }
    if (o.emit_c) {
        FILE *f = fopen(o.emit_c, "w");
        if (!f) { fprintf(stderr, "hycoc: error: cannot write '%s': %s\n", o.emit_c, strerror(errno)); status = 1; goto done; }
        emit_standalone(c, f, o.emit_c);
        if (ferror(f) | fclose(f)) {
            fprintf(stderr, "hycoc: error: writing '%s' failed: %s\n", o.emit_c, strerror(errno));
            status = 1;
            goto done;
        }
        if (!o.run) goto done;
    }
    if (o.run) {
        HyCtx *ctx = hy_ctx_new();
        hy_set_threads(ctx, o.threads);
        hy_set_quiet(ctx, o.quiet);
        if (o.log_every) hy_set_log_every(ctx, o.log_every);
        void *jit = NULL;
        status = comp_jit_cc(c, ctx, &jit, o.keep_c, o.cc);
        if (status == 0) {
            if (o.epochs) hy_set_epochs(ctx, o.epochs);
            if (o.log && hy_set_loss_log(ctx, o.log) != 0) {
                fprintf(stderr, "hycoc: error: cannot write loss log '%s': %s\n", o.log, strerror(errno));
                status = 1;
            } else {
                status = hy_run(ctx);
            }
        }
        hy_ctx_free(ctx);
        jit_free(jit);
    }
done:
    comp_free(c);
    free(src);
    return status;
}
