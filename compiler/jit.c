/* jit.c -- turns the emitted C into running code and calls its hyk_setup.
 *
 * Two back ends, same contract.  Requires: C source from emit.c with the
 * prelude included.  Guarantees: on success the program's functions stay
 * mapped until jit_free; the program reaches exactly the runtime API of
 * hyrt_api.h (the generated table hy_prelude_syms), nothing else of hycoc.
 * A compiler error on the generated C is always a hycoc bug: it is reported
 * as an internal error (status 2) and the C is written to keep_path.
 *
 *  tcc (default): libtcc compiles in memory; every API function is registered
 *    with tcc_add_symbol (plus memset/memcpy/memmove, which TCC may call
 *    implicitly), so no header, libc or libtcc1.a is needed at run time.
 *  gcc: `gcc -O2 -fPIC -shared` in a private directory (mkdtemp under
 *    $TMPDIR or /tmp), dlopen, then the directory is removed (the mapping
 *    stays).  The runtime is passed as a table of function pointers, not by
 *    symbol lookup in the executable: a block of macros placed before the
 *    prelude,  #define hy_NAME (*hyk_rt_hy_NAME),  turns each prelude
 *    declaration into the definition of a pointer variable of the right type,
 *    which jit.c fills through dlsym before calling hyk_setup.  So the object
 *    has no undefined hy_* symbol and works from any host that links
 *    libhycoc (hycoc, the tests) with no -rdynamic.  -ffp-contract=off keeps
 *    the arithmetic identical to TCC's (no fused multiply-add).
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <libtcc.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "ir.h"
#include "hyrt.h"

extern char **environ;

typedef struct { const char *name; void (*addr)(void); } HyPreludeSym;
extern const HyPreludeSym hy_prelude_syms[];

enum { JIT_TCC, JIT_DL };
typedef struct JitState {
    int kind;
    void *h;            /* TCCState *, or the dlopen handle */
} JitState;

typedef struct JitErr {
    char msg[2048];     /* first TCC error message */
    int n;              /* messages seen */
} JitErr;

static void on_error(void *opaque, const char *msg)
{
    JitErr *je = opaque;
    if (je->n++ == 0) snprintf(je->msg, sizeof je->msg, "%s", msg);
}

/* Function pointers and object pointers are not interchangeable in ISO C;
 * libtcc and dlsym deal in void *.  memcpy is the portable bridge. */
static const void *fn_addr(void (*f)(void))
{
    const void *p;
    memcpy(&p, &f, sizeof p);
    return p;
}

static void keep_c(const char *csrc, const char *keep_path)
{
    if (!keep_path) return;
    FILE *f = fopen(keep_path, "w");
    if (f && fputs(csrc, f) >= 0 && fclose(f) == 0)
        fprintf(stderr, "hycoc: the generated C was kept in %s; please report this as a bug\n", keep_path);
    else {
        if (f) fclose(f);
        fprintf(stderr, "hycoc: could not keep the generated C in %s\n", keep_path);
    }
}

static int fail(JitErr *je, const char *csrc, const char *keep_path, const char *what)
{
    fprintf(stderr, "hycoc: internal error: %s: %s\n", what, je->msg[0] ? je->msg : "(no message)");
    keep_c(csrc, keep_path);
    return 2;
}

static JitState *new_state(int kind, void *h)
{
    JitState *st = malloc(sizeof *st);
    if (!st) HY_ICE("out of memory");
    st->kind = kind;
    st->h = h;
    return st;
}

int jit_setup(const char *csrc, HyCtx *ctx, void **state, const char *keep_path)
{
    JitErr je;
    memset(&je, 0, sizeof je);
    *state = NULL;
    TCCState *s = tcc_new();
    if (!s) { fprintf(stderr, "hycoc: internal error: tcc_new failed\n"); return 2; }
    tcc_set_error_func(s, &je, on_error);
    tcc_set_options(s, "-nostdlib -nostdinc");
    if (tcc_set_output_type(s, TCC_OUTPUT_MEMORY) < 0) { tcc_delete(s); return fail(&je, csrc, keep_path, "tcc setup"); }
    for (const HyPreludeSym *y = hy_prelude_syms; y->name; y++) tcc_add_symbol(s, y->name, fn_addr(y->addr));
    tcc_add_symbol(s, "memset", fn_addr((void (*)(void))memset));
    tcc_add_symbol(s, "memcpy", fn_addr((void (*)(void))memcpy));
    tcc_add_symbol(s, "memmove", fn_addr((void (*)(void))memmove));
    if (tcc_compile_string(s, csrc) < 0) { int r = fail(&je, csrc, keep_path, "TCC rejected the generated C"); tcc_delete(s); return r; }
    if (tcc_relocate(s, TCC_RELOCATE_AUTO) < 0) { int r = fail(&je, csrc, keep_path, "TCC could not link the generated C"); tcc_delete(s); return r; }
    void *sym = tcc_get_symbol(s, "hyk_setup");
    if (!sym) { int r = fail(&je, csrc, keep_path, "hyk_setup missing"); tcc_delete(s); return r; }
    void (*setup)(HyCtx *);
    memcpy(&setup, &sym, sizeof setup);
    *state = new_state(JIT_TCC, s);
    setup(ctx);
    return 0;
}

/* ---- gcc: shared object ---- */

#define RT_PREFIX "hyk_rt_"

/* The C handed to gcc: the pointer-table macros, then csrc.  malloc'd. */
static char *dl_source(const char *csrc)
{
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    if (!m) HY_ICE("open_memstream failed");
    fputs("/* hycoc --cc gcc: each runtime function is reached through a pointer that\n"
          " * hycoc fills before hyk_setup (see compiler/jit.c). */\n", m);
    for (const HyPreludeSym *y = hy_prelude_syms; y->name; y++)
        fprintf(m, "#define %s (*" RT_PREFIX "%s)\n", y->name, y->name);
    fputs(csrc, m);
    if (fclose(m) != 0) HY_ICE("writing generated C failed");
    return text;
}

static int write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    int bad = fputs(text, f) < 0;
    bad |= fclose(f) != 0;
    return bad ? -1 : 0;
}

/* Prints up to 20 lines of a compiler log, indented. */
static void show_log(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return;
    char line[512];
    for (int n = 0; n < 20 && fgets(line, sizeof line, f); n++)
        fprintf(stderr, "    %s%s", line, strchr(line, '\n') ? "" : "\n");
    fclose(f);
}

/* Runs argv with stdout and stderr into log_path.  Returns the exit status,
 * -2 if the program was not found, -1 on any other failure to run it. */
static int run_logged(char *const argv[], const char *log_path)
{
    posix_spawn_file_actions_t fa;
    if (posix_spawn_file_actions_init(&fa) != 0) return -1;
    posix_spawn_file_actions_addopen(&fa, 1, log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    pid_t pid;
    int err = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (err) return err == ENOENT ? -2 : -1;
    int ws;
    while (waitpid(pid, &ws, 0) < 0)
        if (errno != EINTR) return -1;
    if (!WIFEXITED(ws)) return -1;
    /* 127: the shell convention for "not found", used by some posix_spawnp */
    return WEXITSTATUS(ws) == 127 ? -2 : WEXITSTATUS(ws);
}

static int dl_setup(const char *csrc, HyCtx *ctx, void **state, const char *keep_path)
{
    const char *tmpdir = getenv("TMPDIR");
    char dir[4096], src[4200], so[4200], log[4200];
    if (!tmpdir || !*tmpdir) tmpdir = "/tmp";
    if ((size_t)snprintf(dir, sizeof dir, "%s/hycoc-XXXXXX", tmpdir) >= sizeof dir || !mkdtemp(dir)) {
        fprintf(stderr, "hycoc: error: --cc gcc: cannot create a temporary directory in %s: %s\n", tmpdir,
                strerror(errno));
        return 1;
    }
    snprintf(src, sizeof src, "%s/prog.c", dir);
    snprintf(so, sizeof so, "%s/prog.so", dir);
    snprintf(log, sizeof log, "%s/gcc.log", dir);
    char *text = dl_source(csrc);
    int status = 0;
    void *h = NULL;
    if (write_file(src, text) != 0) {
        fprintf(stderr, "hycoc: error: --cc gcc: cannot write %s: %s\n", src, strerror(errno));
        status = 1;
        goto out;
    }
    char *argv[] = {"gcc", "-O2", "-fPIC", "-shared", "-ffp-contract=off", "-o", so, src, NULL};
    int rc = run_logged(argv, log);
    if (rc == -2) {
        fprintf(stderr, "hycoc: error: --cc gcc: 'gcc' was not found on PATH; install it, or use --cc tcc "
                "(the built-in default)\n");
        status = 1;
        goto out;
    }
    if (rc != 0) {
        if (rc < 0) fprintf(stderr, "hycoc: internal error: --cc gcc: could not run gcc\n");
        else fprintf(stderr, "hycoc: internal error: gcc rejected the generated C (exit status %d):\n", rc);
        show_log(log);
        keep_c(text, keep_path);
        status = 2;
        goto out;
    }
    h = dlopen(so, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "hycoc: internal error: --cc gcc: cannot load the compiled program: %s\n", dlerror());
        keep_c(text, keep_path);
        status = 2;
        goto out;
    }
    for (const HyPreludeSym *y = hy_prelude_syms; y->name; y++) {
        char name[256];
        snprintf(name, sizeof name, RT_PREFIX "%s", y->name);
        void *slot = dlsym(h, name);
        if (!slot) {
            fprintf(stderr, "hycoc: internal error: --cc gcc: the compiled program lacks %s\n", name);
            keep_c(text, keep_path);
            status = 2;
            goto out;
        }
        memcpy(slot, &y->addr, sizeof y->addr);
    }
    void *sym = dlsym(h, "hyk_setup");
    if (!sym) {
        fprintf(stderr, "hycoc: internal error: --cc gcc: hyk_setup missing\n");
        keep_c(text, keep_path);
        status = 2;
        goto out;
    }
    void (*setup)(HyCtx *);
    memcpy(&setup, &sym, sizeof setup);
    *state = new_state(JIT_DL, h);
    h = NULL;
    setup(ctx);
out:
    if (h) dlclose(h);
    unlink(src);
    unlink(so);
    unlink(log);
    rmdir(dir);
    free(text);
    return status;
}

int jit_setup_cc(const char *csrc, HyCtx *ctx, void **state, const char *keep_path, const char *cc)
{
    *state = NULL;
    if (!cc || !strcmp(cc, "tcc")) return jit_setup(csrc, ctx, state, keep_path);
    if (!strcmp(cc, "gcc")) return dl_setup(csrc, ctx, state, keep_path);
    fprintf(stderr, "hycoc: error: --cc needs tcc or gcc, not '%s'\n", cc);
    return 1;
}

void jit_free(void *state)
{
    JitState *st = state;
    if (!st) return;
    if (st->kind == JIT_TCC) tcc_delete(st->h);
    else dlclose(st->h);
    free(st);
}
