/* sema_int.h -- internals shared by the semantic passes (sema.c: symbols and
 * declarations; lower.c: expressions to IR).  Not used outside compiler/sema*.c,
 * compiler/lower.c.
 */
#ifndef HYCOC_SEMA_INT_H
#define HYCOC_SEMA_INT_H

#include "ir.h"

typedef enum { SYM_CONST, SYM_DOMAIN, SYM_POINTS, SYM_DATA, SYM_NET, SYM_PARAM, SYM_FIELD,
               SYM_LET, SYM_LOSS, SYM_WEIGHTS } SymKind;

extern const char *const sym_kind_name[];

typedef struct Sym {
    const char *name;
    SymKind kind;
    int index;          /* into the Comp table of its kind; SYM_CONST: unused */
    double value;       /* SYM_CONST */
    NodeId node;        /* SYM_DATA: its node; SYM_PARAM: its PARAM node */
    int ps;             /* SYM_DATA: its point set */
    int nelem;          /* vector SYM_PARAM / SYM_CONST: its entries (params: trainables
                         * index .. index + nelem - 1, named "NAME[i]"); 0 for a scalar */
    const double *vals; /* vector SYM_CONST: the nelem values */
    const Stmt *st;     /* declaration */
    struct Sym *next;   /* hash chain */
} Sym;

/* Name -> node bindings while inlining a field/let body. */
typedef struct Scope {
    const char *name;
    NodeId node;
    struct Scope *next;
} Scope;

/* Lowering context of one expression. */
typedef struct Ctx {
    int ps;             /* point set the expression is evaluated over, -1 none */
    Scope *scope;       /* parameter bindings of the body being inlined */
    int closed;         /* 1 inside a field/let body: no implicit coordinates */
    int allow_noise;    /* 1 in a data declaration */
    int depth;          /* inlining depth (recursion guard) */
} Ctx;

#define NSYMHASH 65536  /* buckets: lookups stay O(1) up to the 8 MiB source limit (~400 000 names) */
typedef struct Sema {
    Comp *c;
    Sym *tab[NSYMHASH];
    struct InlineMemo **imemo;  /* lower.c: bodies already inlined, hashed [imemo_cap] (NULL until the first) */
    uint32_t imemo_cap, imemo_n;
} Sema;

#define ERR(loc, ...) diag_error(&s->c->diag, (loc), __VA_ARGS__)
/* Grows a Comp table of n elements by one; returns the new element (zeroed). */
#define GROW(arr, n) ((arr) = sema_grow(s->c, (arr), (n), sizeof *(arr)), &(arr)[(n)++])
void *sema_grow(Comp *c, void *arr, int n, size_t elt);

/* ---- symbols (sema.c) ---- */
Sym *sym_lookup(Sema *s, const char *name);
/* Declares st->name; reports a redefinition or a built-in name and returns NULL. */
Sym *sym_declare(Sema *s, const Stmt *st, SymKind kind, int index);
/* The declared name closest to name (edit distance), or NULL. */
const char *sym_suggest(Sema *s, const char *name);

/* ---- domains and point sets (sema_space.c) ---- */
void decl_domain(Sema *s, const Stmt *st);
void decl_points(Sema *s, const Stmt *st);
void decl_load(Sema *s, const Stmt *st);   /* data NAME = load("file", columns ...) */
/* After every declaration: capacities of growing point sets, the residuals
 * and candidate pools of RAR-D ones (ir.h, PointSet). */
void sema_points_finish(Sema *s);
/* A new domain (copied from d) / point set, as the declarations above make
 * them (sim.c builds its grids and snapshot sets with these); return the index. */
int sema_add_domain(Sema *s, const Domain *d);
int sema_new_pointset(Sema *s, const char *name, int domain, PsKind kind, int n, Loc loc);

/* ---- training (sema_train.c) ---- */
void sema_optimizer(Sema *s, Trainable *t, const Expr *opt, const Expr *sched);
void sema_schedule(Sema *s, Trainable *t, const Expr *e);
void decl_weights(Sema *s, const Stmt *st);
void decl_train(Sema *s, const Stmt *st);
void decl_track(Sema *s, const Stmt *st);
/* Translates schedule expressions (after every declaration). */
void sema_train_finish(Sema *s);

/* ---- lowering (lower.c) ---- */
Domain *ps_domain(Sema *s, int ps);
/* Index of coordinate name in point set ps's domain, or -1. */
int coord_index(Sema *s, int ps, const char *name);
/* 1 if name is a coordinate of any domain. */
int any_coord(Sema *s, const char *name);
/* Lowers e in context cx; NO_NODE after reporting an error. */
NodeId lower(Sema *s, const Expr *e, Ctx *cx);
/* Combines two nodes with a binary op, reporting a point-set conflict. */
NodeId combine(Sema *s, Op op, NodeId a, NodeId b, Loc loc);
/* Resolves a point-set name ('over NAME', 'on NAME'); -1 after an error. */
int find_ps(Sema *s, const char *name, Loc loc);
/* Builds domain d's geometry in the scratch context g (operands first); its id or -1. */
int scratch_geom(Sema *s, struct HyCtx *g, int d);
/* A constant expression's value; NAN after reporting. */
double const_value(Sema *s, const Expr *e, const char *what);
/* An integer constant in lo .. hi; -1 after reporting. */
long int_value(Sema *s, const Expr *e, const char *what, long lo, long hi);
const Arg *find_opt(const Expr *call, const char *name);
/* Reports options of call not in the NULL-terminated allowed list; 0 if any. */
int check_opts(Sema *s, const Expr *call, const char *const *allowed);

#endif
