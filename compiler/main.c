/* main.c -- the hycoc command line.
 *
 *   hycoc [options] FILE.hyco
 * Exit status: 0 success (all expects pass), 1 user error or failed expect,
 * 2 internal error.
 */
#include <errno.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ir.h"
#include "hyrt.h"
#include "overrides.h"
#include "plot.h"
#include "fields.h"

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
    "checkpoints:\n"
    "  --save DIR         after training (also after a Ctrl-C/SIGTERM stop) write a checkpoint\n"
    "                     to DIR: weights, optimizer/schedule/balancer state, counters, loss\n"
    "                     history, manifest (.npz files NumPy loads); atomic: DIR is replaced\n"
    "                     only by a complete checkpoint\n"
    "  --resume DIR       continue from checkpoint DIR up to the end of the plan (the spec's\n"
    "                     epochs and phases, or --epochs); bitwise the run that never stopped\n"
    "  --until N          stop after epoch N of the plan (counted over all phases) without\n"
    "                     changing the plan; with --save, a checkpoint to --resume from\n"
    "\n";
static const char usage2[] =   /* the second half (ISO C's bound on a string literal) */
    "deployment (instead of training):\n"
    "  --export EXPR      write dependency-free C99 (only <math.h>) computing a trained field\n"
    "                     or an expression of one (u, dxx(u), ...) to -o FILE.c, with FILE.h:\n"
    "                     double NAME(const double *x) and NAME_batch(n, x, out); repeatable\n"
    "  --derivs D1,D2     also D1(EXPR), ... of every --export/--eval EXPR (C: NAME_D1, ...)\n"
    "  --name NAME        the C name of the one --export (default: from EXPR)\n"
    "  --weights DIR      the checkpoint (--save) whose weights --export/--eval use\n"
    "  --eval EXPR        print EXPR at the points of --at FILE (columns named by the\n"
    "                     field's coordinates), computed by hycoc's runtime; -o: as CSV\n"
    "  --at FILE          the points for --eval: CSV, text, .npy or .npz\n"
    "\n"
    "overrides and outputs:\n"
    "  -D NAME=VALUE      override a value of the spec (repeatable): a const, seed, epochs,\n"
    "                     warmup, phaseK, a param's initial value, NAME.KEY for option KEY of\n"
    "                     statement NAME (net.lr, net.width, domain.mesh ...); an unknown NAME\n"
    "                     lists the names this spec offers\n"
    "  --list-overrides   print every NAME that -D accepts here, with its value, and stop\n"
    "  -o FILE            write the output of --dump to FILE instead of standard output\n"
    "  --history FILE     loss history as CSV (every loss; every epoch up to 10000 rows)\n"
    "  --summary FILE     run summary as JSON (spec hash, seed, versions, timings, expects)\n"
    "  --fields DIR       after training, every field (and its exact solution when an expect\n"
    "                     compares it with rel_l2/linf) on its domain's mesh or a default\n"
    "                     grid, as DIR/DOMAIN.csv (header: coordinates, then fields)\n"
    "  --plot DIR         figures of the run in DIR: loss curves (log scale), tracked\n"
    "                     weights and params, 1-D solutions against the exact one with the\n"
    "                     error, 2-D heat maps of each field and of its error\n"
    "  --plot-format FMT  png (default) or svg\n"
    "  --progress WHEN    auto: a live progress line when stdout is a terminal (default);\n"
    "                     live: always; lines: only the periodic table rows\n"
    "  An option's value may also follow an equals sign: --epochs=100.\n"
    "\n"
    "  -h, --help         this text\n"
    "  --version          version\n"
    "\n"
    "exit status: 0 ok, 1 error in the spec / failed expect / training diverged, 2 internal error,\n"
    "130 stopped by Ctrl-C (SIGINT; the report of the epochs run is printed), 143 by SIGTERM\n";

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
    Override *defs;         /* -D NAME=VALUE, in order [ndefs] */
    int ndefs;
    const char *out;        /* -o */
    const char *history, *summary, *plot, *plot_format, *fields;
    int progress;           /* HY_PROGRESS_* */
    int list_overrides;     /* --list-overrides */
    const char *save, *resume;  /* --save DIR, --resume DIR */
    long until;             /* --until N (0: the whole plan) */
    const char *xexprs[64]; /* --export / --eval expressions [nxexprs] */
    int nxexprs, nexport, neval;
    const char *derivs, *xname, *weights, *at;   /* --derivs, --name, --weights, --at */
} Opts;

/* The option of the usage text closest to a (NULL if none is close). */
static const char *suggest_option(const char *a)
{
    static char words[64][24];
    const char *cands[64];
    int n = 0;
    for (int half = 0; half < 2; half++) {
        for (const char *u = half ? usage2 : usage, *p = u; *p && n < 64; p++) {
            if (*p == '-' && (p == u || p[-1] == ' ' || p[-1] == '|') && p[1] != ' ') {
                size_t l = strcspn(p, " ,=\n");
                if (l >= 2 && l < sizeof words[0]) {
                    memcpy(words[n], p, l);
                    words[n][l] = 0;
                    cands[n] = words[n];
                    n++;
                }
                p += l - 1;
            }
        }
    }
    const char *eq = strchr(a, '=');
    char name[64];
    snprintf(name, sizeof name, "%.*s", eq ? (int)(eq - a) : (int)strlen(a), a);
    return hy_suggest(name, cands, n);
}

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
    o->plot_format = "png";
    o->defs = calloc((size_t)argc, sizeof *o->defs);
    if (!o->defs) HY_ICE("out of memory");
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        long v;
        int i0 = i, joined = 0;   /* --option=VALUE: VALUE is next, and consumes nothing */
        char optname[64];
        const char *eq = a[0] == '-' && a[1] == '-' ? strchr(a, '=') : NULL;
        if (eq && (size_t)(eq - a) < sizeof optname) {
            snprintf(optname, sizeof optname, "%.*s", (int)(eq - a), a);
            a = optname;
            next = eq + 1;
            joined = 1;
        }
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) { fputs(usage, stdout); fputs(usage2, stdout); exit(0); }
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
        } else if (!strcmp(a, "--save") || !strcmp(a, "--resume")) {
            if (!next || !*next) { fprintf(stderr, "hycoc: error: %s needs a directory name\n", a); return -1; }
            if (!strcmp(a, "--save")) o->save = next;
            else o->resume = next;
            i++;
        } else if (!strcmp(a, "--export") || !strcmp(a, "--eval")) {
            if (!next || !*next) { fprintf(stderr, "hycoc: error: %s needs an expression, e.g. %s u\n", a, a); return -1; }
            if (o->nxexprs == 64) { fprintf(stderr, "hycoc: error: more than 64 --export/--eval expressions\n"); return -1; }
            o->xexprs[o->nxexprs++] = next;
            if (!strcmp(a, "--export")) o->nexport++;
            else o->neval++;
            i++;
        } else if (!strcmp(a, "--derivs") || !strcmp(a, "--name") || !strcmp(a, "--weights") || !strcmp(a, "--at")) {
            if (!next || !*next) { fprintf(stderr, "hycoc: error: %s needs a value\n", a); return -1; }
            if (!strcmp(a, "--derivs")) o->derivs = next;
            else if (!strcmp(a, "--name")) o->xname = next;
            else if (!strcmp(a, "--weights")) o->weights = next;
            else o->at = next;
            i++;
        } else if (!strcmp(a, "--until")) {
            if (parse_long(a, next, 1, 1000000000000L, &v)) return -1;
            o->until = v; i++;
        } else if (!strcmp(a, "--log-every")) {
            if (parse_long(a, next, 1, 1000000000L, &v)) return -1;
            o->log_every = v; i++;
        } else if (!strcmp(a, "--seed")) {
            if (parse_long(a, next, 0, 2147483647L, &v)) return -1;
            o->seed = v; i++;
        } else if (!strncmp(a, "-D", 2)) {
            const char *d = a[2] ? a + 2 : next;
            if (!d) { fprintf(stderr, "hycoc: error: -D needs NAME=VALUE\n"); return -1; }
            if (override_parse(d, &o->defs[o->ndefs])) return -1;
            o->ndefs++;
            if (!a[2]) i++;
        } else if (!strcmp(a, "-o") || !strcmp(a, "--history") || !strcmp(a, "--summary")
                   || !strcmp(a, "--plot") || !strcmp(a, "--fields")) {
            if (!next || !*next) { fprintf(stderr, "hycoc: error: %s needs a %s name\n", a, strcmp(a, "--plot") && strcmp(a, "--fields") ? "file" : "directory"); return -1; }
            if (!strcmp(a, "-o")) o->out = next;
            else if (!strcmp(a, "--history")) o->history = next;
            else if (!strcmp(a, "--summary")) o->summary = next;
            else if (!strcmp(a, "--fields")) o->fields = next;
            else o->plot = next;
            i++;
        } else if (!strcmp(a, "--list-overrides")) {
            o->list_overrides = 1;
        } else if (!strcmp(a, "--plot-format")) {
            if (!next || (strcmp(next, "png") && strcmp(next, "svg"))) {
                fprintf(stderr, "hycoc: error: --plot-format needs png or svg\n");
                return -1;
            }
            o->plot_format = next; i++;
        } else if (!strcmp(a, "--progress")) {
            if (!next || (strcmp(next, "auto") && strcmp(next, "live") && strcmp(next, "lines"))) {
                fprintf(stderr, "hycoc: error: --progress needs auto, live or lines\n");
                return -1;
            }
            o->progress = !strcmp(next, "auto") ? HY_PROGRESS_AUTO : !strcmp(next, "live") ? HY_PROGRESS_LIVE : HY_PROGRESS_LINES;
            i++;
        } else if (a[0] == '-' && a[1]) {
            const char *s = suggest_option(a);
            fprintf(stderr, "hycoc: error: unknown option '%s'%s%s%s (see hycoc --help)\n", argv[i],
                    s ? "; did you mean '" : "", s ? s : "", s ? "'?" : "");
            return -1;
        } else if (o->file) {
            fprintf(stderr, "hycoc: error: more than one input file ('%s' and '%s')\n", o->file, a);
            return -1;
        } else o->file = a;
        if (joined) {
            if (i == i0) { fprintf(stderr, "hycoc: error: %s takes no value\n", a); return -1; }
            i = i0;
        }
    }
    if (!o->file && (o->cflags || o->libs)) return 0;
    if (!o->file) { fprintf(stderr, "hycoc: error: no input file (see hycoc --help)\n"); return -1; }
    if (o->nexport && o->neval) { fprintf(stderr, "hycoc: error: --export and --eval go in separate runs\n"); return -1; }
    if (o->nxexprs && (o->check || o->dump || o->emit_c || o->list_overrides || o->run)) {
        fprintf(stderr, "hycoc: error: --%s does not train or compile a program; give it alone\n", o->nexport ? "export" : "eval");
        return -1;
    }
    if (!o->nxexprs && (o->derivs || o->xname || o->weights || o->at)) {
        fprintf(stderr, "hycoc: error: %s applies to --export and --eval\n",
                o->derivs ? "--derivs" : o->xname ? "--name" : o->weights ? "--weights" : "--at");
        return -1;
    }
    if (o->xname && o->nxexprs != 1) {
        fprintf(stderr, "hycoc: error: --name needs exactly one --export expression\n");
        return -1;
    }
    if (o->nexport && !o->out) { fprintf(stderr, "hycoc: error: --export needs -o FILE.c (the header goes to FILE.h)\n"); return -1; }
    if (o->neval && !o->at) { fprintf(stderr, "hycoc: error: --eval needs --at FILE with the points\n"); return -1; }
    if (o->nxexprs) return 0;
    if (!o->check && !o->dump && !o->emit_c && !o->list_overrides) o->run = 1;
    if (o->out && !o->dump) { fprintf(stderr, "hycoc: error: -o applies to --dump (runs write --history, --summary, --plot)\n"); return -1; }
    return 0;
}

/* 0 if path can be written (tried with a temporary beside it, removed);
 * else -1 after a message. */
static int probe_writable(const char *path)
{
    char *tmp;
    FILE *f = hy_atomic_open(path, &tmp);
    if (!f) { fprintf(stderr, "hycoc: error: cannot write '%s': %s\n", path, strerror(errno)); return -1; }
    hy_atomic_close(f, tmp, path, 0);
    return 0;
}

/* 0 if no output file of o is a directory or one of the n input files
 * (same file: same device and inode, so links and other spellings count);
 * else -1 after a message.  An output that does not exist yet passes here
 * (its writer reports what goes wrong). */
static int check_outputs(const Opts *o, const char *const *inputs, int n)
{
    const char *outs[][2] = {{"-o", o->out}, {"--emit-c", o->emit_c}, {"--log", o->log},
                             {"--history", o->history}, {"--summary", o->summary}, {"--keep-c", o->keep_c}};
    for (size_t k = 0; k < sizeof outs / sizeof *outs; k++) {
        struct stat so, si;
        if (!outs[k][1] || stat(outs[k][1], &so) != 0) continue;
        if (S_ISDIR(so.st_mode)) {
            fprintf(stderr, "hycoc: error: %s '%s' is a directory; give a file name\n", outs[k][0], outs[k][1]);
            return -1;
        }
        for (int i = 0; i < n; i++)
            if (stat(inputs[i], &si) == 0 && si.st_dev == so.st_dev && si.st_ino == so.st_ino) {
                fprintf(stderr, "hycoc: error: %s '%s' is the input file '%s'; refusing to overwrite it\n",
                        outs[k][0], outs[k][1], inputs[i]);
                return -1;
            }
    }
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

/* --fields and the field figures of --plot, after training: 0, or 1 after a
 * message.  The spec and its data files are inputs the CSVs may not replace. */
static int run_fields(const Opts *o, const Comp *c, HyCtx *ctx, const char *src, size_t len)
{
    FieldsSrc fsrc = {o->file, src, len, o->defs, o->ndefs};
    FieldSet fs;
    int bad = 0;
    if (o->fields) {
        const char **in = malloc(sizeof *in * (size_t)(c->npsets + 1));
        if (!in) HY_ICE("out of memory");
        int nin = 0;
        in[nin++] = o->file;
        for (int p = 0; p < c->npsets; p++)
            if (c->psets[p].path) in[nin++] = c->psets[p].path;
        bad = fields_eval(c, ctx, &fsrc, 1, &fs) != 0 || fields_write_csv(&fs, o->fields, in, nin) != 0;
        fields_free(&fs);
        free(in);
    }
    if (!bad && o->plot) {
        bad = fields_eval(c, ctx, &fsrc, 0, &fs) != 0 || plot_fields(o->plot, o->plot_format, &fs) != 0;
        fields_free(&fs);
    }
    return bad;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    double t_start = now_seconds();
    Opts o;
    if (parse_opts(argc, argv, &o)) { free(o.defs); return 1; }
    if (o.cflags || o.libs) { free(o.defs); return standalone_flags(stdout, o.cflags, o.libs); }
    if (check_outputs(&o, &o.file, 1)) { free(o.defs); return 1; }
    size_t len;
    char *src = read_file(o.file, &len);
    if (!src) { free(o.defs); return 1; }
    if (o.nxexprs) {   /* --export / --eval (export.c) */
        ExportOpts xo = {o.file, src, len, o.defs, o.ndefs, o.seed, o.xexprs, o.nxexprs, o.neval > 0,
                         o.derivs, o.xname, o.weights, o.out, o.at, o.keep_c};
        int xs = export_command(&xo);
        free(src);
        free(o.defs);
        return xs;
    }
    Comp *c = comp_new(o.file, src, len, stderr);
    int status = 0;
    FILE *dout = stdout;    /* --dump output: stdout, or -o FILE (written atomically) */
    char *dout_tmp = NULL;
    if (o.out && !(dout = hy_atomic_open(o.out, &dout_tmp))) {
        fprintf(stderr, "hycoc: error: cannot write '%s': %s\n", o.out, strerror(errno));
        dout = stdout;
        status = 1;
        goto done;
    }
    if ((o.plot && plot_prepare_dir(o.plot)) || (o.fields && plot_prepare_dir(o.fields)) || (o.summary && probe_writable(o.summary))) { status = 1; goto done; }
    if (o.save && o.run && hy_checkpoint_probe(o.save)) { status = 1; goto done; }
    c->ast = parse_program(&c->arena, &c->diag);
    if (c->diag.nerrors) { status = 1; goto done; }
    if (overrides_apply(c, o.defs, o.ndefs)) { status = 1; goto done; }
    if (o.list_overrides) { overrides_list(c, stdout); goto done; }
    if (o.dump && !strcmp(o.dump, "ast")) { ast_dump(dout, c->ast); goto done; }
    if (sema(c)) { status = 1; goto done; }
#ifndef NDEBUG
    ir_verify(c);
#endif
    if (o.seed >= 0) c->seed = (unsigned long long)o.seed;
    for (int p = 0; p < c->npsets; p++)   /* data files are inputs too */
        if (c->psets[p].path && check_outputs(&o, &c->psets[p].path, 1)) { status = 1; goto done; }
    c->diag.file = diag_c_safe_name(&c->arena, o.file);   /* from here on only generated C names it */
    if (o.check) goto done;
    if (o.dump && !strcmp(o.dump, "ir")) {
        NodeId *roots = malloc(sizeof *roots * (size_t)(c->nlosses + c->nchecks + 1));
        if (!roots) HY_ICE("out of memory");
        int nr = 0;
        for (int i = 0; i < c->nlosses; i++) roots[nr++] = c->losses[i].root;
        for (int i = 0; i < c->nchecks; i++) roots[nr++] = c->checks[i].root;
        ir_dump(dout, c, roots, nr);
        free(roots);
        goto done;
    }
    if (o.dump && !strcmp(o.dump, "grad")) { emit_dump_grad(c, dout); goto done; }
    if (o.dump && !strcmp(o.dump, "c")) { emit_program(c, dout, 0); goto done; }
    if (o.emit_c) {
        char *etmp;   /* written atomically: a failure leaves no partial file */
        FILE *f = hy_atomic_open(o.emit_c, &etmp);
        if (!f) { fprintf(stderr, "hycoc: error: cannot write '%s': %s\n", o.emit_c, strerror(errno)); status = 1; goto done; }
        emit_standalone(c, f, o.emit_c);
        if (hy_atomic_close(f, etmp, o.emit_c, 1) != 0) {
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
        hy_set_progress(ctx, o.progress);
        hy_set_interruptible(ctx, 1);
        void *jit = NULL;
        status = comp_jit_cc(c, ctx, &jit, o.keep_c, o.cc);
        if (status == 0) {
            if (o.epochs) hy_set_epochs(ctx, o.epochs);
            if (o.until) hy_set_until(ctx, o.until);
            HyRunInfo ck_info = {o.file, src, len, -1.0, 0};
            if (o.resume && hy_checkpoint_load(ctx, o.resume, HY_CK_ALL, &ck_info, NULL) != 0) {
                fprintf(stderr, "hycoc: error: cannot resume from '%s' (differences above)\n", o.resume);
                status = 1;
            } else if (o.log && hy_set_loss_log(ctx, o.log) != 0) {
                fprintf(stderr, "hycoc: error: cannot write loss log '%s': %s\n", o.log, strerror(errno));
                status = 1;
            } else if (o.history && hy_set_history(ctx, o.history) != 0) {
                fprintf(stderr, "hycoc: error: cannot write history '%s': %s\n", o.history, strerror(errno));
                status = 1;
            } else {
                double compile_s = now_seconds() - t_start;
                status = hy_run(ctx);
                if (o.save && hy_checkpoint_save(ctx, o.save, &ck_info) != 0 && status == 0) status = 1;
                if (o.plot && plot_run(o.plot, o.plot_format, ctx) != 0 && status == 0) status = 1;
                if ((o.fields || o.plot) && status != 2 && run_fields(&o, c, ctx, src, len) != 0 && status == 0) status = 1;
                if (o.plot) plot_cleanup();
                HyRunInfo info = {o.file, src, len, compile_s, status};
                if (o.summary && hy_write_summary(ctx, o.summary, &info) != 0 && status == 0) status = 1;
            }
        }
        hy_ctx_free(ctx);
        jit_free(jit);
    }
done:
    if (dout != stdout && hy_atomic_close(dout, dout_tmp, o.out, status == 0) != 0 && status == 0) {
        fprintf(stderr, "hycoc: error: writing '%s' failed: %s\n", o.out, strerror(errno));
        status = 1;
    }
    comp_free(c);
    free(src);
    free(o.defs);
    return status;
}
