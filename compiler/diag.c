/* diag.c -- user diagnostics and internal compiler errors.
 *
 * Requires: d->src/d->srclen hold the source text (may contain any bytes).
 * Guarantees: every message is "file:line:col: kind: message", followed (when
 * the location names a line of the source) by that line and a caret line whose
 * caret sits under the column: tabs are copied into the caret line and UTF-8
 * continuation bytes take no column, so the caret stays aligned in a terminal.
 * Control bytes of the source line are shown as '?' (never sent raw).
 */
#include "hycoc.h"

#include <stdlib.h>
#include <string.h>

/* Finds line `line` (1-based); returns its start and sets *len (without '\n'). */
static const char *find_line(const Diag *d, int line, size_t *len)
{
    if (!d->src || line < 1)
        return NULL;
    const char *p = d->src, *end = d->src + d->srclen;
    for (int l = 1; l < line; l++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            return NULL;
        p = nl + 1;
    }
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
    if (n > 0 && p[n - 1] == '\r')
        n--;
    *len = n;
    return p;
}

static void print_excerpt(const Diag *d, FILE *out, Loc loc)
{
    size_t len;
    const char *s = find_line(d, loc.line, &len);
    if (!s)
        return;
    /* Very long lines: show a window around the column. */
    size_t from = 0, col = loc.col > 0 ? (size_t)loc.col - 1 : 0;
    if (col > len)
        col = len;
    if (len > 200 && col > 100) {
        from = col - 80;
        while (from < col && ((unsigned char)s[from] & 0xC0) == 0x80)
            from++;
    }
    size_t to = len - from > 200 ? from + 200 : len;
    if (to < col)
        to = col;
    for (size_t i = from; i < to; i++) {
        unsigned char c = (unsigned char)s[i];
        fputc((c < 0x20 && c != '\t') || c == 0x7f ? '?' : c, out);
    }
    fputc('\n', out);
    for (size_t i = from; i < col; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\t')
            fputc('\t', out);
        else if ((c & 0xC0) != 0x80)
            fputc(' ', out);
    }
    fputs("^\n", out);
}

void diag_verror(Diag *d, Loc loc, const char *kind, const char *fmt, va_list ap)
{
    FILE *out = d->out ? d->out : stderr;
    const char *file = d->file ? d->file : "<input>";
    if (loc.line > 0)
        fprintf(out, "%s:%d:%d: %s: ", file, loc.line, loc.col > 0 ? loc.col : 1, kind);
    else
        fprintf(out, "%s: %s: ", file, kind);
    vfprintf(out, fmt, ap);
    fputc('\n', out);
    if (loc.line > 0)
        print_excerpt(d, out, loc);
    if (strcmp(kind, "error") == 0)
        d->nerrors++;
    else if (strcmp(kind, "warning") == 0)
        d->nwarnings++;
}

void diag_error(Diag *d, Loc loc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_verror(d, loc, "error", fmt, ap);
    va_end(ap);
}

void diag_warning(Diag *d, Loc loc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_verror(d, loc, "warning", fmt, ap);
    va_end(ap);
}

void diag_note(Diag *d, Loc loc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_verror(d, loc, "note", fmt, ap);
    va_end(ap);
}

_Noreturn void hy_ice(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fprintf(stderr, "hycoc: internal compiler error at %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\nPlease report this bug with the input that triggered it.\n", stderr);
    abort();
}

const char *diag_c_safe_name(Arena *a, const char *name)
{
    char *s = arena_strdup(a, name);
    for (char *p = s; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch < 0x20 || ch > 0x7e || ch == '"' || ch == '\\') *p = '_';
        if (p > s && ((p[-1] == '*' && *p == '/') || (p[-1] == '?' && *p == '?'))) *p = '_';
    }
    return strcmp(s, name) ? s : name;
}
