/* jit.c -- compiles the emitted C in memory with libtcc and runs hyk_setup.
 *
 * Requires: C source from emit.c with the prelude included.  Guarantees: on
 * success the program's functions stay mapped until jit_free; every symbol
 * the program may reference is registered explicitly (the runtime API of
 * hyrt_api.h plus memset/memcpy/memmove, which TCC may call implicitly), so
 * no header, no libc and no libtcc1.a are needed at run time.  A TCC error is
 * always a compiler bug: it is reported as an internal error, and the C is
 * written to keep_path for the bug report.
 */
#include <libtcc.h>
#include <stdlib.h>
#include <string.h>
#include "ir.h"
#include "hyrt.h"

typedef struct { const char *name; void (*addr)(void); } HyPreludeSym;
extern const HyPreludeSym hy_prelude_syms[];

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
 * libtcc wants void *.  memcpy is the portable bridge. */
static const void *fn_addr(void (*f)(void))
{
    const void *p;
    memcpy(&p, &f, sizeof p);
    return p;
}

static int fail(JitErr *je, const char *csrc, const char *keep_path, const char *what)
{
    fprintf(stderr, "hycoc: internal error: %s: %s\n", what, je->msg[0] ? je->msg : "(no message)");
    if (keep_path) {
        FILE *f = fopen(keep_path, "w");
        if (f && fputs(csrc, f) >= 0 && fclose(f) == 0)
            fprintf(stderr, "hycoc: the generated C was kept in %s; please report this as a bug\n", keep_path);
        else {
            if (f) fclose(f);
            fprintf(stderr, "hycoc: could not keep the generated C in %s\n", keep_path);
        }
    }
    return 2;
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
    setup(ctx);
    *state = s;
    return 0;
}

void jit_free(void *state)
{
    if (state) tcc_delete(state);
}
