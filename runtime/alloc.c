/* alloc.c -- the allocation hook, growth helper and internal-error exit.
 *
 * Guarantees: every runtime allocation goes through hy_malloc/hy_calloc
 * (counted; the fail_at-th one after hy_alloc_reset returns NULL, so tests
 * can exercise failure paths).  rt_x* wrappers never return NULL: they print
 * a clear message and exit(1).  The counters are process-global (the
 * runtime is single-threaded outside OpenBLAS).
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "rt_internal.h"

static long alloc_count;    /* allocations since the last hy_alloc_reset */
static long alloc_fail_at;  /* > 0: this allocation (1-based) fails */

/* Counts one allocation; returns 1 if it must fail. */
static int alloc_tick(void)
{
    alloc_count++;
    return alloc_fail_at > 0 && alloc_count == alloc_fail_at;
}

void *hy_malloc(size_t n)
{
    if (alloc_tick())
        return NULL;
    return malloc(n ? n : 1);
}

void *hy_calloc(size_t n, size_t size)
{
    if (alloc_tick())
        return NULL;
    if (n == 0 || size == 0)
        n = size = 1;
    return calloc(n, size);
}

void hy_free(void *p) { free(p); }

void hy_alloc_reset(long fail_at)
{
    alloc_count = 0;
    alloc_fail_at = fail_at;
}

long hy_alloc_count(void) { return alloc_count; }

static _Noreturn void oom(size_t n, const char *what)
{
    fprintf(stderr, "hycoc: error: out of memory (%zu bytes for %s)\n", n, what);
    exit(1);
}

void *rt_xmalloc(size_t n, const char *what)
{
    void *p = hy_malloc(n);
    if (!p)
        oom(n, what);
    return p;
}

void *rt_xcalloc(size_t n, size_t size, const char *what)
{
    if (size && n > (size_t)-1 / size)
        oom((size_t)-1, what);
    void *p = hy_calloc(n, size);
    if (!p)
        oom(n * size, what);
    return p;
}

void rt_grow(void **arr, long *cap, long need, size_t elt, const char *what)
{
    if (need < *cap)
        return;
    long ncap = *cap ? *cap : 4;
    while (ncap <= need)
        ncap *= 2;
    char *p = rt_xcalloc((size_t)ncap, elt, what);
    if (*arr) {
        memcpy(p, *arr, (size_t)*cap * elt);
        hy_free(*arr);
    }
    *arr = p;
    *cap = ncap;
}

_Noreturn void rt_ice(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "hycoc: internal error (runtime %s:%d): ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(2);
}
