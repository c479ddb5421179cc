/* driver.c -- the pipeline as a library: used by main.c and by the tests.
 *
 * comp_new -> comp_front (parse + sema) -> comp_jit (emit + libtcc + setup)
 * -> hy_run ... -> comp_free.  Each stage returns 0 on success, 1 after
 * reporting user errors, 2 after reporting an internal error.
 */
#include <stdlib.h>
#include <string.h>
#include "ir.h"
#include "hyrt.h"

Comp *comp_new(const char *file, const char *src, size_t len, FILE *diag_out)
{
    Comp *c = calloc(1, sizeof *c);
    if (!c) HY_ICE("out of memory");
    c->diag.file = file;
    c->diag.src = src;
    c->diag.srclen = len;
    c->diag.out = diag_out;
    ir_init(&c->ir);
    return c;
}

int comp_front(Comp *c)
{
    c->ast = parse_program(&c->arena, &c->diag);
    if (c->diag.nerrors) return 1;
    if (sema(c)) return 1;
#ifndef NDEBUG
    ir_verify(c);
#endif
    return 0;
}

char *comp_emit_string(Comp *c, int with_prelude)
{
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    if (!m) HY_ICE("open_memstream failed");
    emit_program(c, m, with_prelude);
    if (fclose(m) != 0) HY_ICE("writing generated C failed");
    return text;
}

int comp_jit(Comp *c, HyCtx *ctx, void **jit, const char *keep_path)
{
    return comp_jit_cc(c, ctx, jit, keep_path, NULL);
}

int comp_jit_cc(Comp *c, HyCtx *ctx, void **jit, const char *keep_path, const char *cc)
{
    char *csrc = comp_emit_string(c, 1);
    int r = jit_setup_cc(csrc, ctx, jit, keep_path, cc);
    free(csrc);
    return r;
}

void comp_free(Comp *c)
{
    if (!c) return;
    ir_free(&c->ir);
    arena_free(&c->arena);
    free(c);
}
