/* test_fuzz_front.c -- the bounded, deterministic run of the front-end fuzz
 * harness (tests/fuzz_front.c) in make check: the seed corpus as it is, then
 * HY_FUZZ_FRONT_INPUTS mutants (default 20000).  An invariant failure aborts
 * with the input printed; a crash is the sanitizers' or run.sh's to report. */
#define HY_FUZZ_NO_MAIN
#include "fuzz_front.c"

/* The library entry points take the spec's name as the caller gives it
 * (hycoc's main.c makes it safe first; a program linking libhycoc may not):
 * the emitted C must still pass the injection check for a hostile name. */
static int hostile_name_ok(void)
{
    static const char *const names[] = {"q\"uote.hyco", "star*/ int HYPWN; /*.hyco", "tri?\?/\"x.hyco",
                                        "nl\n#include <stdio.h>\nint HYPWN;", "back\\slash.hyco"};
    static const char spec[] = "domain line = interval(x: 0 .. 1, mesh 0.25)\n"
                               "net n = mlp(1 -> 1, width 4, depth 1, tanh) optimizer adam(lr 1e-3)\n"
                               "loss l = mse(dx(n) - 1) over line\ntrain 1 epochs { step l }\n";
    int ok = 1;
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        Comp *c = comp_new(names[i], spec, sizeof spec - 1, stderr);
        c->ast = parse_program(&c->arena, &c->diag);
        if (c->diag.nerrors || sema(c)) { printf("FAIL fuzz/hostile-name: the spec did not compile\n"); comp_free(c); return 0; }
        char *text = comp_emit_string(c, 0);
        size_t at = 0;
        const char *why = fz_check_c(text, strlen(text), &at);
        if (why) {
            printf("FAIL fuzz/hostile-name %zu: %s at ...%.80s\n", i, why, text + (at > 40 ? at - 40 : 0));
            ok = 0;
        }
        free(text);
        comp_free(c);
    }
    if (ok) printf("ok fuzz/hostile-name (%zu names through comp_emit_string)\n", sizeof names / sizeof *names);
    return ok;
}

int main(void)
{
    int named = hostile_name_ok();
    const char *env = getenv("HY_FUZZ_FRONT_INPUTS");
    long n = env ? strtol(env, NULL, 10) : 20000;
    long ran = fuzz_front_bounded(n);
    printf("%s fuzz/front (%ld inputs, %ld parsed, %ld accepted and emitted, %ld rejected)%s\n", ran ? "ok" : "FAIL",
           ran, fz_parsed, fz_emitted, fz_rejected, ran ? "" : ": no seeds (run from the repository root)");
    return ran && named ? 0 : 1;
}
