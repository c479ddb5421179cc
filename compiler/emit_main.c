/* emit_main.c -- the standalone training program (hycoc --emit-c FILE) and
 * the build flags that compile it (hycoc --cflags / --libs).
 *
 * A standalone file is, in order: a header comment (spec, seed, how to build
 * it), the runtime prelude (hyrt_api.h verbatim: the exact API the kernels
 * were generated against, so the file needs no include path), the emitted
 * kernels and hyk_setup, then a driver: the few host functions of hyrt.h it
 * calls, and main().  main() makes the same calls in the same order as
 * `hycoc --run` (threads, quiet, log-every; hyk_setup; epochs, loss log;
 * hy_run), so both train to the same numbers; it returns hy_run's status.
 * Linking needs only libhyrt and its dependencies (standalone_flags).
 *
 * The seed is fixed when the file is emitted (`hycoc --seed N --emit-c`):
 * hyk_setup draws the initial weights and noise from it.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ir.h"
#include "hyrt.h"

/* Writes s as the body of a C string literal (no quotes); a '?' after a '?'
 * is written \? so that no trigraph forms (C11 compilers may replace them). */
static void put_c_string(FILE *out, const char *s)
{
    for (const char *s0 = s; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\' || (ch == '?' && s > s0 && s[-1] == '?')) fprintf(out, "\\%c", ch);
        else if (ch < 0x20 || ch == 0x7f) fprintf(out, "\\%03o", ch);
        else fputc(ch, out);
    }
}

/* Writes s inside a block comment: no "*" followed by "/", no control bytes. */
static void put_comment_text(FILE *out, const char *s)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '*' && s[1] == '/') fputs("* ", out);
        else if (ch < 0x20 || ch == 0x7f) fputc('?', out);
        else fputc(ch, out);
    }
}

/* The driver appended after hyk_setup.  Contract of the text: C99, includes
 * only standard headers, uses only the host functions it declares (the test
 * compiles it with -include hyrt.h, which turns any drift from hyrt.h into a
 * conflicting-types error). */
static const char driver_text[] =
    "#include <errno.h>\n"
    "#include <stdio.h>\n"
    "#include <stdlib.h>\n"
    "#include <string.h>\n"
    "\n"
    "/* The host side of libhyrt used below (declared in hyrt.h). */\n"
    "HyCtx *hy_ctx_new(void);\n"
    "void hy_ctx_free(HyCtx *c);\n"
    "void hy_set_threads(HyCtx *c, int n);\n"
    "void hy_set_log_every(HyCtx *c, long every);\n"
    "void hy_set_quiet(HyCtx *c, int quiet);\n"
    "int hy_set_loss_log(HyCtx *c, const char *path);\n"
    "void hy_set_epochs(HyCtx *c, long epochs);\n"
    "int hy_run(HyCtx *c);\n"
    "void hy_set_until(HyCtx *c, long epoch);\n"
    "void hy_set_interruptible(HyCtx *c, int on);\n"
    "int hy_checkpoint_probe(const char *dir);\n"
    "struct HyRunInfo;\n"
    "struct HyCkMeta;\n"
    "int hy_checkpoint_save(HyCtx *c, const char *dir, const struct HyRunInfo *info);\n"
    "int hy_checkpoint_load(HyCtx *c, const char *dir, int what, const struct HyRunInfo *info,\n"
    "                       struct HyCkMeta *meta);\n"
    "\n"
    "static const char hyk_usage[] =\n"
    "    \"usage: %s [options]\\n\"\n"
    "    \"Trains the program hycoc emitted into this file and prints its report.\\n\"\n"
    "    \"  --epochs N      override the number of epochs of the train block\\n\"\n"
    "    \"  --threads N     threads for every pool, OpenBLAS included (default 1)\\n\"\n"
    "    \"  --log FILE      write the loss history (every logged epoch, %%.17g, no timings)\\n\"\n"
    "    \"  --log-every N   print a progress line every N epochs (default: about 10 lines)\\n\"\n"
    "    \"  --quiet         no progress lines, only the report\\n\"\n"
    "    \"  --save DIR      write a checkpoint to DIR after training, also after SIGINT/SIGTERM\\n\"\n"
    "    \"                  (hycoc --resume DIR and hycoc --export ... --weights DIR read it)\\n\"\n"
    "    \"  --resume DIR    continue from checkpoint DIR to the end of the plan\\n\"\n"
    "    \"  --until N       stop after epoch N of the plan (over all phases)\\n\"\n"
    "    \"The seed is fixed in the file: emit it again with hycoc --seed N --emit-c FILE.\\n\"\n"
    "    \"exit status: 0 ok, 1 bad option / failed expect / training diverged\\n\";\n"
    "\n"
    "/* *out = the integer in s if it lies in lo..hi; otherwise prints why and returns -1. */\n"
    "static int hyk_arg_long(const char *prog, const char *opt, const char *s, long lo, long hi, long *out)\n"
    "{\n"
    "    char *end;\n"
    "    long v;\n"
    "    errno = 0;\n"
    "    v = s ? strtol(s, &end, 10) : 0;\n"
    "    if (!s || !*s || *end || errno || v < lo || v > hi) {\n"
    "        fprintf(stderr, \"%s: error: %s needs an integer in %ld .. %ld\\n\", prog, opt, lo, hi);\n"
    "        return -1;\n"
    "    }\n"
    "    *out = v;\n"
    "    return 0;\n"
    "}\n"
    "\n";

/* main() of the driver (a second literal: ISO C bounds one at 4095 bytes). */
static const char driver_main_text[] =
    "int main(int argc, char **argv)\n"
    "{\n"
    "    const char *prog = argc > 0 && argv[0] ? argv[0] : \"train\";\n"
    "    const char *log = NULL, *save = NULL, *resume = NULL;\n"
    "    long epochs = 0, threads = 1, log_every = 0, until = 0;\n"
    "    int quiet = 0, i, status;\n"
    "    HyCtx *c;\n"
    "    for (i = 1; i < argc; i++) {\n"
    "        const char *a = argv[i], *next = i + 1 < argc ? argv[i + 1] : NULL;\n"
    "        if (!strcmp(a, \"-h\") || !strcmp(a, \"--help\")) { printf(hyk_usage, prog); return 0; }\n"
    "        else if (!strcmp(a, \"--quiet\")) quiet = 1;\n"
    "        else if (!strcmp(a, \"--epochs\")) { if (hyk_arg_long(prog, a, next, 1, 1000000000L, &epochs)) return 1; i++; }\n"
    "        else if (!strcmp(a, \"--threads\")) { if (hyk_arg_long(prog, a, next, 1, 1024, &threads)) return 1; i++; }\n"
    "        else if (!strcmp(a, \"--log-every\")) { if (hyk_arg_long(prog, a, next, 1, 1000000000L, &log_every)) return 1; i++; }\n"
    "        else if (!strcmp(a, \"--until\")) { if (hyk_arg_long(prog, a, next, 1, 2000000000L, &until)) return 1; i++; }\n"
    "        else if (!strcmp(a, \"--save\") || !strcmp(a, \"--resume\")) {\n"
    "            if (!next) { fprintf(stderr, \"%s: error: %s needs a directory name\\n\", prog, a); return 1; }\n"
    "            if (a[2] == 's') save = next; else resume = next;\n"
    "            i++;\n"
    "        }\n"
    "        else if (!strcmp(a, \"--log\")) {\n"
    "            if (!next) { fprintf(stderr, \"%s: error: --log needs a file name\\n\", prog); return 1; }\n"
    "            log = next; i++;\n"
    "        } else if (!strcmp(a, \"--seed\")) {\n"
    "            fprintf(stderr, \"%s: error: the seed is fixed in this file (%s); \"\n"
    "                    \"emit it again with hycoc --seed N --emit-c FILE\\n\", prog, HYK_SEED_TEXT);\n"
    "            return 1;\n"
    "        } else {\n"
    "            fprintf(stderr, \"%s: error: unknown argument '%s' (see %s --help)\\n\", prog, a, prog);\n"
    "            return 1;\n"
    "        }\n"
    "    }\n"
    "    if (save && hy_checkpoint_probe(save) != 0) return 1;\n"
    "    c = hy_ctx_new();\n"
    "    hy_set_threads(c, (int)threads);\n"
    "    hy_set_quiet(c, quiet);\n"
    "    if (log_every) hy_set_log_every(c, log_every);\n"
    "    hyk_setup(c);\n"
    "    if (epochs) hy_set_epochs(c, epochs);\n"
    "    if (until) hy_set_until(c, until);\n"
    "    if (save) hy_set_interruptible(c, 1);   /* a Ctrl-C stop still saves */\n"
    "    if (resume && hy_checkpoint_load(c, resume, 0, 0, 0) != 0) {   /* 0: everything */\n"
    "        fprintf(stderr, \"%s: error: cannot resume from '%s' (differences above)\\n\", prog, resume);\n"
    "        status = 1;\n"
    "    } else if (log && hy_set_loss_log(c, log) != 0) {\n"
    "        fprintf(stderr, \"%s: error: cannot write loss log '%s': %s\\n\", prog, log, strerror(errno));\n"
    "        status = 1;\n"
    "    } else {\n"
    "        status = hy_run(c);\n"
    "        if (save && hy_checkpoint_save(c, save, 0) != 0 && status == 0) status = 1;\n"
    "    }\n"
    "    hy_ctx_free(c);\n"
    "    return status;\n"
    "}\n";

static long count_lines(const char *s)
{
    long n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

void emit_standalone(Comp *c, FILE *out, const char *out_name)
{
    static const char header_rest[] =
        " *\n"
        " * It trains to the same numbers as hycoc --run (bitwise at the same thread\n"
        " * count) unless the C compiler contracts a*b+c into fused multiply-adds,\n"
        " * which gcc does with -march=... on FMA machines: add -ffp-contract=off\n"
        " * there to keep bitwise identity.  Run it with --help for its options.\n"
        " *\n"
        " * Layout: the runtime API (hyrt_api.h, verbatim), the generated kernels\n"
        " * (#line directives point into the spec), hyk_setup, then main().\n"
        " */\n";
    const char *base = strrchr(out_name, '/') ? strrchr(out_name, '/') + 1 : out_name;
    size_t stem = strlen(base);
    if (stem > 2 && !strcmp(base + stem - 2, ".c")) stem -= 2;
    char *prog = comp_emit_string(c, 1);
    fputs("/* ", out);
    put_comment_text(out, base);
    fprintf(out, " -- a standalone training program written by hycoc %s\n * from ", HY_VERSION);
    put_comment_text(out, c->diag.file);
    fprintf(out, ", seed %llu (fixed here: emit again with hycoc --seed N).\n", c->seed);
    fputs(" *\n * Build it against an installed libhyrt (make install in the hycoc tree):\n", out);
    for (int k = 0; k < 2; k++) {
        fputs(" *     cc -O2 -o ", out);
        put_comment_text(out, arena_strndup(&c->arena, base, stem));
        fputs(" ", out);
        put_comment_text(out, base);
        fputs(k ? " $(pkg-config --cflags --libs hyrt)\n" : " $(hycoc --cflags --libs)\n", out);
    }
    fputs(header_rest, out);
    long line = 1 + 6 + count_lines(header_rest);   /* the line about to be written */
    fputs(prog, out);
    line += count_lines(prog);
    if (prog[0] && prog[strlen(prog) - 1] != '\n') { fputc('\n', out); line++; }
    free(prog);
    /* Back to this file's own line numbers for the driver. */
    fprintf(out, "\n/* ---- standalone driver ---- */\n#line %ld \"", line + 3);
    put_c_string(out, out_name);
    fprintf(out, "\"\n#define HYK_SEED_TEXT \"seed %llu\"\n", c->seed);
    fputs(driver_text, out);
    fputs(driver_main_text, out);
}

/* ---- hycoc --cflags / --libs ---- */

static int is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Directory of the running executable (no trailing slash), or -1. */
static int exe_dir(char *buf, size_t cap)
{
    ssize_t n = readlink("/proc/self/exe", buf, cap - 1);
    if (n <= 0 || (size_t)n >= cap - 1) return -1;
    buf[n] = 0;
    char *slash = strrchr(buf, '/');
    if (!slash) return -1;
    if (slash == buf) slash[1] = 0;
    else *slash = 0;
    return 0;
}

/* Canonical form of dir/rel into out (cap PATH_MAX), if it exists. */
static int canon(const char *dir, const char *rel, char *out)
{
    char tmp[PATH_MAX + 64];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s/%s", dir, rel) >= sizeof tmp) return -1;
    return realpath(tmp, out) ? 0 : -1;
}

int standalone_flags(FILE *out, int cflags, int libs)
{
    /* Where libhyrt.a and hyrt.h are, relative to this executable:
     *   installed:   PREFIX/bin/hycoc, PREFIX/lib/libhyrt.a, PREFIX/include/hyrt.h
     *   build tree:  BUILD/hycoc, BUILD/libhyrt.a, runtime/hyrt.h beside BUILD
     *   the copy ./hycoc that make leaves in the source tree: build/libhyrt.a */
    static const char *const layouts[][2] = {
        {"../lib", "../include"},
        {".", "../runtime"},
        {"build", "runtime"},
    };
    char dir[PATH_MAX], lib[PATH_MAX], inc[PATH_MAX], probe[2 * PATH_MAX + 32];
    if (exe_dir(dir, sizeof dir) != 0) {
        fprintf(stderr, "hycoc: error: cannot find the hycoc executable (/proc/self/exe); use pkg-config hyrt\n");
        return 1;
    }
    for (size_t k = 0; k < sizeof layouts / sizeof layouts[0]; k++) {
        if (canon(dir, layouts[k][0], lib) != 0 || canon(dir, layouts[k][1], inc) != 0) continue;
        snprintf(probe, sizeof probe, "%s/libhyrt.a", lib);
        if (!is_file(probe)) continue;
        snprintf(probe, sizeof probe, "%s/hyrt.h", inc);
        if (!is_file(probe)) continue;
        if (cflags) fprintf(out, "-I%s", inc);
        if (cflags && libs) fputc(' ', out);
        if (libs) fprintf(out, "-L%s -lhyrt -lopenblas -lmvec -lm -lpthread -lz", lib);
        fputc('\n', out);
        return 0;
    }
    fprintf(stderr, "hycoc: error: no libhyrt.a and hyrt.h found beside %s (run make install, "
            "then use that hycoc or pkg-config hyrt)\n", dir);
    return 1;
}
