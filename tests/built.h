/* built.h -- a spec text compiled and JIT-set-up in a fresh runtime context,
 * for the C tests that train or differentiate small programs (test_hybrid,
 * test_rollout, test_steady, test_lossweights, test_resample).
 * Include after tap.h, hycoc.h/ir.h and hyrt.h. */
#ifndef HY_TESTS_BUILT_H
#define HY_TESTS_BUILT_H

typedef struct Built {
    Comp *c;
    HyCtx *ctx;
    void *jit;
    char *diag_text;     /* the diagnostics, through diag */
    size_t diag_len;
    FILE *diag;
} Built;

/* Releases everything build_ok set up; b is zeroed. */
static void unbuild(Built *b)
{
    if (b->ctx) hy_ctx_free(b->ctx);
    jit_free(b->jit);
    comp_free(b->c);
    fclose(b->diag);
    free(b->diag_text);
    memset(b, 0, sizeof *b);
}

/* Compiles src (as "test.hyco") into b with a fresh quiet context: 1.  On a
 * compile or JIT error: records check `name` as failed with the diagnostics,
 * releases everything and returns 0. */
static int build_ok(Built *b, const char *src, const char *name)
{
    memset(b, 0, sizeof *b);
    b->diag = open_memstream(&b->diag_text, &b->diag_len);
    b->c = comp_new("test.hyco", src, strlen(src), b->diag);
    int bad = comp_front(b->c);
    if (!bad) {
        b->ctx = hy_ctx_new();
        hy_set_quiet(b->ctx, 1);
        bad = comp_jit(b->c, b->ctx, &b->jit, NULL);
    }
    if (!bad) return 1;
    fflush(b->diag);
    tap_check(0, name, "did not compile: %.*s", (int)b->diag_len, b->diag_text ? b->diag_text : "");
    unbuild(b);
    return 0;
}

#endif
