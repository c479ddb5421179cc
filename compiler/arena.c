/* arena.c -- bump allocator for everything a compilation allocates.
 *
 * Requires: nothing.  Guarantees: arena_alloc returns zeroed memory aligned for
 * any object type; arena_free releases every block at once; allocation failure
 * aborts with a message (the compiler has no partial-OOM paths).
 */
#include "hycoc.h"

#include <stdlib.h>
#include <string.h>

#define ARENA_MIN_BLOCK (64u * 1024u)

struct ArenaBlock {
    ArenaBlock *next;
    size_t cap;         /* usable bytes in data */
    size_t used;
    _Alignas(max_align_t) unsigned char data[];
};

static size_t align_up(size_t n)
{
    size_t a = _Alignof(max_align_t);
    return (n + a - 1) & ~(a - 1);
}

static _Noreturn void arena_oom(size_t n)
{
    fprintf(stderr, "hycoc: out of memory (allocating %zu bytes)\n", n);
    abort();
}

void *arena_alloc(Arena *a, size_t n)
{
    if (n == 0)
        n = 1;
    if (n > SIZE_MAX / 2)
        arena_oom(n);
    n = align_up(n);
    ArenaBlock *b = a->head;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > ARENA_MIN_BLOCK ? n : ARENA_MIN_BLOCK;
        b = malloc(sizeof(ArenaBlock) + cap);
        if (!b)
            arena_oom(n);
        b->cap = cap;
        b->used = 0;
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += n;
    memset(p, 0, n);
    return p;
}

char *arena_strndup(Arena *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *arena_strdup(Arena *a, const char *s)
{
    return arena_strndup(a, s, strlen(s));
}

char *arena_printf(Arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        HY_ICE("arena_printf: bad format '%s'", fmt);
    char *p = arena_alloc(a, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void arena_free(Arena *a)
{
    ArenaBlock *b = a->head;
    while (b) {
        ArenaBlock *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
}
