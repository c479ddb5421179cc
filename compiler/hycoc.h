/* hycoc.h -- internal header shared by every pass of the compiler.
 *
 * The pipeline, one pass per file:
 *   lexer.l -> parser.y -> (AST, ast.h) -> sema.c -> ir.c (hash-consed DAG)
 *   -> diff.c -> sched.c -> emit.c -> jit.c -> runtime (libhyrt)
 * All compiler state lives in a Comp; all memory of a compilation in its
 * arena, freed at once by comp_free.  No globals.
 */
#ifndef HYCOC_H
#define HYCOC_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "ast.h"

/* ---- arena (arena.c) ---- */
typedef struct ArenaBlock ArenaBlock;
typedef struct Arena {
    ArenaBlock *head;   /* newest block first */
} Arena;
/* Returns n zeroed bytes aligned for any type; aborts with a message on OOM. */
void *arena_alloc(Arena *a, size_t n);
char *arena_strndup(Arena *a, const char *s, size_t n);
char *arena_strdup(Arena *a, const char *s);
char *arena_printf(Arena *a, const char *fmt, ...);
void arena_free(Arena *a);

/* ---- diagnostics (diag.c) ---- */
typedef struct Diag {
    const char *file;   /* file name as given by the user */
    const char *src;    /* whole source text, NUL-terminated */
    size_t srclen;
    int nerrors;
    int nwarnings;
    FILE *out;          /* stderr unless redirected (tests) */
} Diag;
/* Prints "file:line:col: error: msg", the source line and a caret under col. */
void diag_error(Diag *d, Loc loc, const char *fmt, ...);
void diag_warning(Diag *d, Loc loc, const char *fmt, ...);
void diag_note(Diag *d, Loc loc, const char *fmt, ...);
void diag_verror(Diag *d, Loc loc, const char *kind, const char *fmt, va_list ap);
/* The spec's name as generated C may carry it (#line directives, comments):
 * bytes other than printable ASCII, quotes and backslashes become '_', and
 * so does the second character of every star-slash and ?? pair, so that the
 * name can neither end a string or comment nor form a trigraph.  A copy in
 * a; name itself when it is already safe.  Idempotent. */
const char *diag_c_safe_name(Arena *a, const char *name);

/* Internal compiler error: prints the compiler's source location and aborts. */
#define HY_ICE(...) hy_ice(__FILE__, __LINE__, __VA_ARGS__)
_Noreturn void hy_ice(const char *file, int line, const char *fmt, ...);

/* ---- front end (parser.y, lexer.l) ---- */
/* Parses d->src.  Returns the program (possibly partial) and reports every
 * syntax error through d; never crashes on any input. */
Program *parse_program(Arena *a, Diag *d);

/* ---- AST dump (ast.c) ---- */
/* One node per line, stable text (golden tests). */
void ast_dump(FILE *out, const Program *p);
/* The keyword that introduces a statement of kind k ("loss", "train", ...). */
const char *ast_stmt_keyword(StmtKind k);

#endif
