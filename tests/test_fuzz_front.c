/* test_fuzz_front.c -- the bounded, deterministic run of the front-end fuzz
 * harness (tests/fuzz_front.c) in make check: the seed corpus as it is, then
 * HY_FUZZ_FRONT_INPUTS mutants (default 20000).  An invariant failure aborts
 * with the input printed; a crash is the sanitizers' or run.sh's to report. */
#define HY_FUZZ_NO_MAIN
#include "fuzz_front.c"

int main(void)
{
    const char *env = getenv("HY_FUZZ_FRONT_INPUTS");
    long n = env ? strtol(env, NULL, 10) : 20000;
    long ran = fuzz_front_bounded(n);
    printf("%s fuzz/front (%ld inputs, %ld parsed, %ld accepted and emitted, %ld rejected)%s\n", ran ? "ok" : "FAIL",
           ran, fz_parsed, fz_emitted, fz_rejected, ran ? "" : ": no seeds (run from the repository root)");
    return ran ? 0 : 1;
}
