/* tap.h -- the tiny test protocol shared by every C test program.
 *
 * Each check prints one line, "ok <name>" or "FAIL <name>: <why>", and
 * tests/run.sh counts them across all test programs into the closing line
 * "N passed, N failed".  A program exits 1 if any of its checks failed.
 */
#ifndef HY_TAP_H
#define HY_TAP_H
#include <math.h>
#include <stdarg.h>
#include <stdio.h>

static int tap_failed;
static int tap_passed;

/* Records one check; fmt explains a failure (printed only when !ok). */
static inline void tap_check(int ok, const char *name, const char *fmt, ...)
{
    if (ok) {
        printf("ok %s\n", name);
        tap_passed++;
    } else {
        va_list ap;
        printf("FAIL %s: ", name);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        printf("\n");
        tap_failed++;
    }
    fflush(stdout);
}

/* |got - want| <= atol + rtol * |want|, NaN never passes. */
static inline int tap_close(double got, double want, double rtol, double atol)
{
    double d = fabs(got - want);
    return d <= atol + rtol * fabs(want);
}

static inline int tap_exit(void) { return tap_failed ? 1 : 0; }
#endif
