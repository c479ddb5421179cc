/* parser.y -- the hyco grammar (bison, pure, %locations, detailed errors).
 *
 * Requires: lexer.l (tokens, locations); the arena and diag of the caller.
 * Guarantees: builds exactly what was written (ast.h: no desugaring, no name
 * resolution), every node located at its first token; reports every syntax
 * error as "file:line:col: error: unexpected X, expected Y" and resynchronises
 * at the next statement keyword, so one run reports several errors (at most
 * HY_MAX_ERRORS, then "too many errors").  Expressions deeper than
 * HY_MAX_DEPTH and brackets nested deeper than HY_MAX_NEST are located errors
 * that stop the parse (the returned AST stays shallow enough to recurse on).
 *
 * Grammar summary (newlines are whitespace; statements are keyword-led):
 *   seed INT
 *   const|domain|grid|weights NAME = expr
 *   points NAME = expr [in NAME | on expr] [grow every INT by expr] [resample every INT [by expr]]
 *   data NAME [on NAME] = expr
 *   net|param NAME = expr {optimizer expr | schedule expr | in [expr, expr]}
 *   field|let NAME [(NAME, ...)] = expr
 *   loss NAME = lexpr
 *   train INT epochs|iterations {warmup INT | warmup until NAME < expr [max INT] | optimizer expr} { steps }
 *         {then INT epochs|iterations {...} { steps }}
 *     step := step expr, expr, ... {x INT | every INT}        (';' between steps optional)
 *   expect lexpr (< | <= | > | >=) expr
 *   report lexpr
 *   track NAME, NAME, ...
 *   sim NAME on NAME { state NAME = expr | step NAME {WORD [WORD] NUMBER} | NAME(args) = expr }
 *   lexpr := lterm {(+|-) lterm},  lterm := term [over NAME]   (top-level 'over' -> Stmt.on)
 *   expr: + - (left) < * / (left) < unary - < ^ (right; -x^2 = -(x^2)) < postfix .NAME [i]
 *   primary: NUMBER | STRING | NAME | NAME(args) | (expr) | [expr, ...] | [] | (expr, expr, ...)
 *   postfix: primary {.NAME | [expr]}
 *   arg: expr | expr cmp expr | expr = expr | NAME: expr .. expr | expr -> expr
 *        | NAME v1 v2 ...   (ARG_OPT; values NUMBER | STRING | NAME | NAME(args))
 * Contextual words (ordinary identifiers elsewhere): schedule, grow, resample, every, by,
 * warmup, until, max (train clauses), x (step repetition), state (sim body).
 */

%code requires {
#include "hycoc.h"

#define HY_MAX_IDENT  255       /* bytes in an identifier */
#define HY_MAX_DEPTH  200       /* expression tree depth */
#define HY_MAX_NEST   200       /* nested ( [ { */
#define HY_MAX_ERRORS 20        /* syntax errors before giving up */
#define HY_MAX_SRC    (8L << 20)  /* bytes of source (parsing costs ~35 bytes of arena per byte) */

typedef struct PVec {           /* growable vector in the arena */
    void **v;
    Loc *loc;
    int n, cap;
    int depth;                  /* max expression depth of the elements */
} PVec;

typedef struct XE { Expr *e; int depth; } XE;       /* expression + its depth */
typedef struct AE { Arg *a; int depth; } AE;
typedef struct NumTok {
    double v;
    long i;                     /* the value when ikind == 1 */
    int ikind;                  /* 0: not an integer literal, 1: fits a long, 2: overflows */
    const char *text;
} NumTok;

typedef struct PCtx {
    Arena *a;
    Diag *d;
    void *scanner;
    Program *prog;
    Stmt **tail;
    int line, col;              /* scanner position of the next byte */
    Loc last_end;               /* just past the last token (end-of-file errors) */
    char tok_text[48];          /* text of the last token, for messages */
    int nest;                   /* open brackets */
    int errors;                 /* errors reported by this parse */
    int fatal;                  /* stop: too many errors / too deep */
} PCtx;

void hy_parse_verror(PCtx *c, Loc loc, const char *fmt, va_list ap);
}

%code {
#include <string.h>
#include "lexer.h"
#include "hyrt_api.h"

static int yylex(YYSTYPE *lv, YYLTYPE *ll, PCtx *ctx);
static void yyerror(YYLTYPE *ll, PCtx *ctx, const char *msg);
static void perr(PCtx *c, Loc loc, const char *fmt, ...);

#define LOC(l) ((Loc){ (l).first_line, (l).first_column })

static void *pnew(PCtx *c, size_t n) { return arena_alloc(c->a, n); }

static PVec *vec_new(PCtx *c) { return pnew(c, sizeof(PVec)); }
static PVec *vec_push(PCtx *c, PVec *v, void *x, Loc loc)
{
    if (v->n == v->cap) {
        int cap = v->cap ? 2 * v->cap : 4;
        void **nv = pnew(c, (size_t)cap * sizeof *nv);
        Loc *nl = pnew(c, (size_t)cap * sizeof *nl);
        if (v->n) {
            memcpy(nv, v->v, (size_t)v->n * sizeof *nv);
            memcpy(nl, v->loc, (size_t)v->n * sizeof *nl);
        }
        v->v = nv;
        v->loc = nl;
        v->cap = cap;
    }
    v->v[v->n] = x;
    v->loc[v->n] = loc;
    v->n++;
    return v;
}

static Expr *new_expr(PCtx *c, ExprKind k, Loc loc)
{
    Expr *e = pnew(c, sizeof *e);
    e->kind = k;
    e->loc = loc;
    return e;
}

/* Wraps a new node of depth d; reports (once) an expression that is too deep. */
static XE mkx(PCtx *c, Expr *e, int d)
{
    if (d > HY_MAX_DEPTH && !c->fatal) {
        perr(c, e->loc, "expression nested too deeply (the limit is %d levels)", HY_MAX_DEPTH);
        c->fatal = 1;
    }
    return (XE){ e, d };
}
static int dmax(int a, int b) { return a > b ? a : b; }

static XE mk_bin(PCtx *c, int op, XE l, XE r)
{
    Expr *e = new_expr(c, EX_BIN, l.e->loc);
    e->op = op;
    e->lhs = l.e;
    e->rhs = r.e;
    return mkx(c, e, 1 + dmax(l.depth, r.depth));
}

static XE mk_un(PCtx *c, ExprKind k, Loc loc, XE l, const char *name)
{
    Expr *e = new_expr(c, k, loc);
    e->lhs = l.e;
    e->name = name;
    return mkx(c, e, 1 + l.depth);
}

static XE mk_call(PCtx *c, Loc loc, const char *name, PVec *args)
{
    Expr *e = new_expr(c, EX_CALL, loc);
    e->name = name;
    e->nargs = args->n;
    e->args = (Arg **)args->v;
    return mkx(c, e, 1 + args->depth);
}

/* [e1, ...] (open '[') or a tuple (e1, ...) (open '('): entries as ARG_EXPR args. */
static XE mk_list(PCtx *c, Loc loc, int open, PVec *items)
{
    Expr *e = new_expr(c, EX_LIST, loc);
    e->op = open;
    e->nargs = items ? items->n : 0;
    e->args = e->nargs ? (Arg **)items->v : NULL;
    return mkx(c, e, 1 + (items ? items->depth : 0));
}

static Arg *new_arg(PCtx *c, ArgKind k, Loc loc, const char *name, Expr *e, Expr *e2)
{
    Arg *a = pnew(c, sizeof *a);
    a->kind = k;
    a->loc = loc;
    a->name = name;
    a->e = e;
    a->e2 = e2;
    return a;
}

static Stmt *new_stmt(PCtx *c)
{
    Stmt *s = pnew(c, sizeof *s);
    s->nparams = -1;
    return s;
}

static void set_params(PCtx *c, Stmt *s, PVec *ids)
{
    (void)c;
    s->nparams = ids ? ids->n : 0;
    s->params = ids ? (const char **)ids->v : NULL;
    s->param_locs = ids ? ids->loc : NULL;
}

static void set_steps(PCtx *c, Stmt *s, PVec *v)
{
    s->nsteps = v->n;
    s->steps = pnew(c, (size_t)(v->n ? v->n : 1) * sizeof *s->steps);
    for (int i = 0; i < v->n; i++)
        s->steps[i] = *(Step *)v->v[i];
}

/* Number of terms of a +/- chain that carry their own 'over'. */
static int count_over(const Expr *v)
{
    if (v->kind == EX_BIN && (v->op == '+' || v->op == '-')) return count_over(v->lhs) + count_over(v->rhs);
    return v->kind == EX_OVER;
}

/* A top-level 'over' goes to the statement: loss/expect/report value [over on].
 * "a + b over P" (only the last term has an 'over') means the whole sum over
 * P; with 'over' on several terms, each term keeps its own point set. */
static void hoist_over(Stmt *s, Expr *v)
{
    s->value = v;
    Expr **last = &s->value;
    while ((*last)->kind == EX_BIN && ((*last)->op == '+' || (*last)->op == '-')) last = &(*last)->rhs;
    if ((*last)->kind != EX_OVER || count_over(v) != 1) return;
    s->on = (*last)->name;
    s->on_loc = (*last)->loc;   /* the loc of the set name is not kept on EX_OVER */
    *last = (*last)->lhs;
}

static long int_value(PCtx *c, NumTok n, Loc loc)
{
    if (n.ikind == 1)
        return n.i;
    if (n.ikind == 2)
        perr(c, loc, "integer '%s' is out of range", n.text);
    else
        perr(c, loc, "expected an integer, not '%s'", n.text);
    return 0;
}

static int is_word(const char *s, const char *w) { return strcmp(s, w) == 0; }

static void dup_clause(PCtx *c, Loc loc, const char *what)
{
    perr(c, loc, "duplicate '%s' clause", what);
}
}

%define api.pure full
%locations
%define parse.error detailed
%param {PCtx *ctx}

%union {
    NumTok num;
    const char *id;
    XE x;
    AE arg;
    PVec *vec;
    Stmt *stmt;
    Step *step;
    long ival;
    int ival2;
}

%token <id>  IDENT      "identifier"
%token <num> NUMBER     "number"
%token <id>  STRING     "string"
%token ARROW "'->'" DOTDOT "'..'" LE "'<='" GE "'>='"
%token SEED "'seed'" CONST "'const'" DOMAIN "'domain'" POINTS "'points'"
       DATA "'data'" NET "'net'" PARAM "'param'" FIELD "'field'" LET "'let'"
       LOSS "'loss'" TRAIN "'train'" STEP "'step'" EPOCHS "'epochs'"
       ITERATIONS "'iterations'" EXPECT "'expect'" REPORT "'report'"
       OVER "'over'" OPTIMIZER "'optimizer'" IN "'in'" ON "'on'" THEN "'then'"
       WEIGHTS "'weights'" TRACK "'track'" GRID "'grid'" SIM "'sim'"

%type <x> expr term unary power postfix primary lexpr lterm optval
%type <arg> arg
%type <vec> args arglist optvals ids params steps stepitems sim_body items
%type <stmt> stmt decl_clauses pt_clauses tr_clauses train_tail phases sim_item
%type <step> step stepopts
%type <ival> int_lit
%type <ival2> cmp unit
%type <num> simnum

%%

program
    : stmts
    ;

stmts
    : %empty
    | stmts stmt    { if (!ctx->fatal) { *ctx->tail = $2; ctx->tail = &$2->next; } }
    | stmts error
    ;

/* Statement keywords: reducing one ends error recovery, so the next error is
 * reported even if it comes within three tokens of the resynchronisation. */
kw_seed: SEED { yyerrok; } ;
kw_const: CONST { yyerrok; } ;
kw_domain: DOMAIN { yyerrok; } ;
kw_points: POINTS { yyerrok; } ;
kw_data: DATA { yyerrok; } ;
kw_net: NET { yyerrok; } ;
kw_param: PARAM { yyerrok; } ;
kw_field: FIELD { yyerrok; } ;
kw_let: LET { yyerrok; } ;
kw_loss: LOSS { yyerrok; } ;
kw_train: TRAIN { yyerrok; } ;
kw_expect: EXPECT { yyerrok; } ;
kw_report: REPORT { yyerrok; } ;
kw_weights: WEIGHTS { yyerrok; } ;
kw_track: TRACK { yyerrok; } ;
kw_grid: GRID { yyerrok; } ;
kw_sim: SIM { yyerrok; } ;

stmt
    : kw_seed int_lit
        { $$ = new_stmt(ctx); $$->kind = ST_SEED; $$->loc = LOC(@1); $$->count = $2; }
    | kw_const IDENT '=' expr
        { $$ = new_stmt(ctx); $$->kind = ST_CONST; $$->loc = LOC(@1);
          $$->name = $2; $$->name_loc = LOC(@2); $$->value = $4.e; }
    | kw_domain IDENT '=' expr
        { $$ = new_stmt(ctx); $$->kind = ST_DOMAIN; $$->loc = LOC(@1);
          $$->name = $2; $$->name_loc = LOC(@2); $$->value = $4.e; }
    | kw_grid IDENT '=' expr
        { $$ = new_stmt(ctx); $$->kind = ST_GRID; $$->loc = LOC(@1);
          $$->name = $2; $$->name_loc = LOC(@2); $$->value = $4.e; }
    | kw_weights IDENT '=' expr
        { $$ = new_stmt(ctx); $$->kind = ST_WEIGHTS; $$->loc = LOC(@1);
          $$->name = $2; $$->name_loc = LOC(@2); $$->value = $4.e; }
    | kw_points IDENT '=' expr pt_clauses
        { $$ = $5; $$->kind = ST_POINTS; $$->loc = LOC(@1);
          $$->name = $2; $$->name_loc = LOC(@2); $$->value = $4.e; }
    | kw_data IDENT ON IDENT '=' expr
        { $$ = new_stmt(ctx); $$->kind = ST_DATA; $$->loc = LOC(@1);
          $$->name = $2; $$->name_loc = LOC(@2); $$->on = $4; $$->on_loc = LOC(@4);
          $$->value = $6.e; }
    | kw_data IDENT '=' expr
        { $$ = new_stmt(ctx); $$->kind = ST_DATA; $$->loc = LOC(@1);
          $$->name = $2; $$->name_loc = LOC(@2); $$->value = $4.e; }
    | kw_net IDENT '=' expr decl_clauses
        { $$ = $5; $$->kind = ST_NET; $$->loc = LOC(@1);
          $$->name = $2; $$->name_loc = LOC(@2); $$->value = $4.e;
          if ($$->lo)
              perr(ctx, $$->bounds_loc, "bounds 'in [lo, hi]' apply to a param, not to a net"); }
    | kw_param IDENT '=' expr decl_clauses
        { $$ = $5; $$->kind = ST_PARAM; $$->loc = LOC(@1);
          $$->name = $2; $$->name_loc = LOC(@2); $$->value = $4.e; }
    | kw_field IDENT params '=' expr
        { $$ = new_stmt(ctx); $$->kind = ST_FIELD; $$->loc = LOC(@1);
          $$->name = $2; $$->name_loc = LOC(@2); set_params(ctx, $$, $3); $$->value = $5.e;
          if (!$3) $$->nparams = -1; }
    | kw_let IDENT params '=' expr
        { $$ = new_stmt(ctx); $$->kind = ST_LET; $$->loc = LOC(@1);
          $$->name = $2; $$->name_loc = LOC(@2); set_params(ctx, $$, $3); $$->value = $5.e;
          if (!$3) $$->nparams = -1; }
    | kw_loss IDENT '=' lexpr
        { $$ = new_stmt(ctx); $$->kind = ST_LOSS; $$->loc = LOC(@1);
          $$->name = $2; $$->name_loc = LOC(@2); hoist_over($$, $4.e); }
    | kw_train train_tail phases
        { $$ = $2; $$->loc = LOC(@1); $$->then = $3; }
    | kw_expect lexpr cmp expr
        { $$ = new_stmt(ctx); $$->kind = ST_EXPECT; $$->loc = LOC(@1);
          hoist_over($$, $2.e); $$->cmp = $3; $$->cmp_loc = LOC(@3); $$->bound = $4.e; }
    | kw_report lexpr
        { $$ = new_stmt(ctx); $$->kind = ST_REPORT; $$->loc = LOC(@1); hoist_over($$, $2.e); }
    | kw_track ids
        { $$ = new_stmt(ctx); $$->kind = ST_TRACK; $$->loc = LOC(@1); set_params(ctx, $$, $2); }
    | kw_sim IDENT ON IDENT '{' sim_body '}'
        { $$ = new_stmt(ctx); $$->kind = ST_SIM; $$->loc = LOC(@1);
          $$->name = $2; $$->name_loc = LOC(@2); $$->on = $4; $$->on_loc = LOC(@4);
          Stmt **t = &$$->body;
          for (int i = 0; i < $6->n; i++) { *t = $6->v[i]; t = &(*t)->next; } }
    ;

int_lit
    : NUMBER    { $$ = int_value(ctx, $1, LOC(@1)); }
    ;

params
    : %empty            { $$ = NULL; }
    | '(' ')'           { $$ = vec_new(ctx); }
    | '(' ids ')'       { $$ = $2; }
    ;

ids
    : IDENT             { $$ = vec_push(ctx, vec_new(ctx), (void *)$1, LOC(@1)); }
    | ids ',' IDENT     { $$ = vec_push(ctx, $1, (void *)$3, LOC(@3)); }
    ;

/* net / param clauses, in any order */
decl_clauses
    : %empty                    { $$ = new_stmt(ctx); }
    | decl_clauses OPTIMIZER expr
        { $$ = $1; if ($$->opt) dup_clause(ctx, LOC(@2), "optimizer"); $$->opt = $3.e; }
    | decl_clauses IN '[' expr ',' expr ']'
        { $$ = $1; if ($$->lo) dup_clause(ctx, LOC(@2), "in");
          $$->lo = $4.e; $$->hi = $6.e; $$->bounds_loc = LOC(@2); }
    | decl_clauses IDENT expr
        { $$ = $1;
          if (!is_word($2, "schedule"))
              perr(ctx, LOC(@2), "unknown clause '%s' (expected 'optimizer', 'schedule' or 'in')", $2);
          else if ($$->schedule)
              dup_clause(ctx, LOC(@2), "schedule");
          else { $$->schedule = $3.e; $$->schedule_loc = LOC(@2); } }
    ;

/* points clauses */
pt_clauses
    : %empty                    { $$ = new_stmt(ctx); }
    | pt_clauses IN IDENT
        { $$ = $1; if ($$->on || $$->on_expr) dup_clause(ctx, LOC(@2), "in");
          $$->on = $3; $$->on_loc = LOC(@3); }
    | pt_clauses ON expr
        { $$ = $1; if ($$->on || $$->on_expr) dup_clause(ctx, LOC(@2), "on");
          $$->on_expr = $3.e; $$->on_loc = LOC(@3); }
    | pt_clauses IDENT IDENT int_lit
        { $$ = $1;
          int grow = is_word($2, "grow");
          if (!grow && !is_word($2, "resample"))
              perr(ctx, LOC(@2), "unknown clause '%s' (expected 'in', 'on', 'grow' or 'resample')", $2);
          else if (!is_word($3, "every"))
              perr(ctx, LOC(@3), "expected 'every' after '%s', not '%s'", $2, $3);
          else if (grow ? $$->grow_loc.line != 0 : $$->resample_loc.line != 0)
              dup_clause(ctx, LOC(@2), $2);
          else if (grow) { $$->grow_every = $4; $$->grow_loc = LOC(@2); }
          else { $$->resample_every = $4; $$->resample_loc = LOC(@2); } }
    | pt_clauses IDENT expr
        { /* 'by CALL' completes the grow/resample clause just before it */
          $$ = $1;
          Loc g = $$->grow_loc, r = $$->resample_loc;
          int to_grow = g.line && (!r.line || g.line > r.line || (g.line == r.line && g.col > r.col));
          Expr **by = to_grow ? &$$->grow_by : &$$->resample_by;
          if (!is_word($2, "by"))
              perr(ctx, LOC(@2), "unknown clause '%s' (expected 'in', 'on', 'grow' or 'resample')", $2);
          else if (!g.line && !r.line)
              perr(ctx, LOC(@2), "'by' must follow 'grow every N' or 'resample every N'");
          else if (*by)
              dup_clause(ctx, LOC(@2), "by");
          else *by = $3.e; }
    ;

/* train N epochs [clauses] { steps } */
train_tail
    : int_lit unit tr_clauses '{' steps '}'
        { $$ = $3; $$->kind = ST_TRAIN; $$->count = $1; $$->iterations = $2;
          set_steps(ctx, $$, $5); }
    ;

unit
    : EPOCHS        { $$ = 0; }
    | ITERATIONS    { $$ = 1; }
    ;

tr_clauses
    : %empty                    { $$ = new_stmt(ctx); }
    | tr_clauses OPTIMIZER expr
        { $$ = $1; if ($$->opt) dup_clause(ctx, LOC(@2), "optimizer"); $$->opt = $3.e; }
    | tr_clauses IDENT int_lit
        { $$ = $1;
          if (is_word($2, "max") && $$->warm_loss) {   /* 'warmup until LOSS < T max N' */
              if ($$->warm_max_loc.line) dup_clause(ctx, LOC(@2), "max");
              else { $$->warm_max = $3; $$->warm_max_loc = LOC(@2); }
          } else if (is_word($2, "max"))
              perr(ctx, LOC(@2), "'max N' caps a 'warmup until LOSS < T' and follows it");
          else if (!is_word($2, "warmup"))
              perr(ctx, LOC(@2), "unknown clause '%s' (expected 'warmup' or 'optimizer')", $2);
          else if ($$->warmup_loc.line) dup_clause(ctx, LOC(@2), "warmup");
          else { $$->warmup = $3; $$->warmup_loc = LOC(@2); } }
    | tr_clauses IDENT IDENT IDENT '<' expr
        { $$ = $1;
          if (!is_word($2, "warmup") || !is_word($3, "until"))
              perr(ctx, LOC(@2), "unknown clause '%s %s' (expected 'warmup until LOSS < T')", $2, $3);
          else if ($$->warm_loss) dup_clause(ctx, LOC(@2), "warmup until");
          else { $$->warm_loss = $4; $$->warm_loc = LOC(@2); $$->warm_loss_loc = LOC(@4); $$->warm_thr = $6.e; } }
    ;

phases
    : %empty                    { $$ = NULL; }
    | THEN train_tail phases    { $$ = $2; $$->loc = LOC(@1); $$->then = $3; }
    ;

steps
    : %empty                    { $$ = vec_new(ctx); }
    | steps step                { $$ = vec_push(ctx, $1, $2, $2->loc); }
    | steps ';'                 { $$ = $1; }
    ;

step
    : stepopts                  { $$ = $1; }
    ;

stepopts
    : STEP stepitems
        { Step *s = pnew(ctx, sizeof *s);
          s->loc = LOC(@1); s->repeat = 1;
          s->nnames = $2->n; s->items = (Expr **)$2->v; s->name_locs = $2->loc;
          s->names = pnew(ctx, (size_t)($2->n ? $2->n : 1) * sizeof *s->names);
          for (int i = 0; i < $2->n; i++)
              if (s->items[i]->kind == EX_NAME) s->names[i] = s->items[i]->name;
          $$ = s; }
    | stepopts IDENT int_lit
        { $$ = $1;
          if (is_word($2, "x")) {
              if ($$->repeat_loc.line) dup_clause(ctx, LOC(@2), "x");
              $$->repeat = $3; $$->repeat_loc = LOC(@3);
          } else if (is_word($2, "every")) {
              if ($$->every_loc.line) dup_clause(ctx, LOC(@2), "every");
              $$->every = $3; $$->every_loc = LOC(@3);
          } else
              perr(ctx, LOC(@2), "unknown step option '%s' (expected 'x' or 'every')", $2); }
    ;

stepitems
    : expr                      { $$ = vec_push(ctx, vec_new(ctx), $1.e, $1.e->loc); }
    | stepitems ',' expr        { $$ = vec_push(ctx, $1, $3.e, $3.e->loc); }
    ;

/* sim body: state / step with options / equations */
sim_body
    : %empty                    { $$ = vec_new(ctx); }
    | sim_body sim_item         { $$ = vec_push(ctx, $1, $2, $2->loc); }
    | sim_body IDENT simnum
        { $$ = $1; Stmt *last = $$->n ? $$->v[$$->n - 1] : NULL;
          if (!last || last->kind != ST_SIMSTEP)
              perr(ctx, LOC(@2), "option '%s' outside a 'step' line", $2);
          else {
              Expr *v = new_expr(ctx, EX_NUM, LOC(@3)); v->num = $3.v;
              Arg **na = pnew(ctx, (size_t)(last->nopts + 1) * sizeof *na);
              if (last->nopts) memcpy(na, last->opts, (size_t)last->nopts * sizeof *na);
              na[last->nopts++] = new_arg(ctx, ARG_OPT, LOC(@2), $2, v, NULL);
              last->opts = na;
          } }
    | sim_body IDENT IDENT simnum
        { $$ = $1; Stmt *last = $$->n ? $$->v[$$->n - 1] : NULL;
          if (!last || last->kind != ST_SIMSTEP)
              perr(ctx, LOC(@2), "option '%s %s' outside a 'step' line", $2, $3);
          else {
              Expr *v = new_expr(ctx, EX_NUM, LOC(@4)); v->num = $4.v;
              Arg **na = pnew(ctx, (size_t)(last->nopts + 1) * sizeof *na);
              if (last->nopts) memcpy(na, last->opts, (size_t)last->nopts * sizeof *na);
              na[last->nopts++] = new_arg(ctx, ARG_OPT, LOC(@2),
                                          arena_printf(ctx->a, "%s %s", $2, $3), v, NULL);
              last->opts = na;
          } }
    ;

/* a sim step option's value; a negative one parses so that the range check reports it */
simnum
    : NUMBER                { $$ = $1; }
    | '-' NUMBER            { $$ = $2; $$.v = -$2.v; $$.i = -$2.i; }
    ;

sim_item
    : IDENT IDENT '=' expr
        { $$ = new_stmt(ctx); $$->kind = ST_STATE; $$->loc = LOC(@1);
          $$->name = $2; $$->name_loc = LOC(@2); $$->value = $4.e;
          if (!is_word($1, "state"))
              perr(ctx, LOC(@1), "unknown sim statement '%s' (expected 'state', 'step' or an equation)", $1); }
    | STEP IDENT
        { $$ = new_stmt(ctx); $$->kind = ST_SIMSTEP; $$->loc = LOC(@1);
          $$->name = $2; $$->name_loc = LOC(@2); }
    | IDENT '(' args ')' '=' expr
        { $$ = new_stmt(ctx); $$->kind = ST_EQN; $$->loc = LOC(@1);
          $$->value = mk_call(ctx, LOC(@1), $1, $3).e; $$->bound = $6.e; }
    ;

cmp
    : '<'   { $$ = HY_CMP_LT; }
    | LE    { $$ = HY_CMP_LE; }
    | '>'   { $$ = HY_CMP_GT; }
    | GE    { $$ = HY_CMP_GE; }
    ;

/* ---- expressions ---- */

lexpr
    : lterm                 { $$ = $1; }
    | lexpr '+' lterm       { $$ = mk_bin(ctx, '+', $1, $3); }
    | lexpr '-' lterm       { $$ = mk_bin(ctx, '-', $1, $3); }
    ;

lterm
    : term                  { $$ = $1; }
    | term OVER IDENT       { $$ = mk_un(ctx, EX_OVER, $1.e->loc, $1, $3); }
    ;

expr
    : term                  { $$ = $1; }
    | expr '+' term         { $$ = mk_bin(ctx, '+', $1, $3); }
    | expr '-' term         { $$ = mk_bin(ctx, '-', $1, $3); }
    ;

term
    : unary                 { $$ = $1; }
    | term '*' unary        { $$ = mk_bin(ctx, '*', $1, $3); }
    | term '/' unary        { $$ = mk_bin(ctx, '/', $1, $3); }
    ;

unary
    : power                 { $$ = $1; }
    | '-' unary             { $$ = mk_un(ctx, EX_NEG, LOC(@1), $2, NULL); }
    ;

power
    : postfix               { $$ = $1; }
    | postfix '^' unary     { $$ = mk_bin(ctx, '^', $1, $3); }
    ;

postfix
    : primary               { $$ = $1; }
    | postfix '.' IDENT     { $$ = mk_un(ctx, EX_MEMBER, $1.e->loc, $1, $3); }
    | postfix '[' expr ']'  { XE b = mk_bin(ctx, '[', $1, $3); b.e->kind = EX_INDEX; $$ = b; }
    ;

primary
    : NUMBER    { Expr *e = new_expr(ctx, EX_NUM, LOC(@1)); e->num = $1.v; $$ = mkx(ctx, e, 1); }
    | STRING    { Expr *e = new_expr(ctx, EX_STR, LOC(@1)); e->str = $1; $$ = mkx(ctx, e, 1); }
    | IDENT     { Expr *e = new_expr(ctx, EX_NAME, LOC(@1)); e->name = $1; $$ = mkx(ctx, e, 1); }
    | IDENT '(' args ')'    { $$ = mk_call(ctx, LOC(@1), $1, $3); }
    | '(' expr ')'          { $$ = $2; }
    | '(' expr ',' items ')'
        { PVec *v = vec_push(ctx, vec_new(ctx), new_arg(ctx, ARG_EXPR, $2.e->loc, NULL, $2.e, NULL), $2.e->loc);
          v->depth = $2.depth;
          for (int i = 0; i < $4->n; i++) vec_push(ctx, v, $4->v[i], $4->loc[i]);
          v->depth = dmax(v->depth, $4->depth);
          $$ = mk_list(ctx, LOC(@1), '(', v); }
    | '[' ']'               { $$ = mk_list(ctx, LOC(@1), '[', NULL); }
    | '[' items ']'         { $$ = mk_list(ctx, LOC(@1), '[', $2); }
    ;

/* entries of a list or tuple, as ARG_EXPR args */
items
    : expr                  { $$ = vec_push(ctx, vec_new(ctx), new_arg(ctx, ARG_EXPR, $1.e->loc, NULL, $1.e, NULL), $1.e->loc);
                              $$->depth = $1.depth; }
    | items ',' expr        { $$ = vec_push(ctx, $1, new_arg(ctx, ARG_EXPR, $3.e->loc, NULL, $3.e, NULL), $3.e->loc);
                              $$->depth = dmax($$->depth, $3.depth); }
    ;

args
    : %empty                { $$ = vec_new(ctx); }
    | arglist               { $$ = $1; }
    ;

arglist
    : arg                   { $$ = vec_push(ctx, vec_new(ctx), $1.a, $1.a->loc); $$->depth = $1.depth; }
    | arglist ',' arg       { $$ = vec_push(ctx, $1, $3.a, $3.a->loc); $$->depth = dmax($$->depth, $3.depth); }
    ;

arg
    : expr
        { $$.a = new_arg(ctx, ARG_EXPR, $1.e->loc, NULL, $1.e, NULL); $$.depth = $1.depth; }
    | expr '<' expr         { XE b = mk_bin(ctx, '<', $1, $3);
                              $$.a = new_arg(ctx, ARG_EXPR, b.e->loc, NULL, b.e, NULL); $$.depth = b.depth; }
    | expr '>' expr         { XE b = mk_bin(ctx, '>', $1, $3);
                              $$.a = new_arg(ctx, ARG_EXPR, b.e->loc, NULL, b.e, NULL); $$.depth = b.depth; }
    | expr LE expr          { XE b = mk_bin(ctx, 'l', $1, $3);
                              $$.a = new_arg(ctx, ARG_EXPR, b.e->loc, NULL, b.e, NULL); $$.depth = b.depth; }
    | expr GE expr          { XE b = mk_bin(ctx, 'g', $1, $3);
                              $$.a = new_arg(ctx, ARG_EXPR, b.e->loc, NULL, b.e, NULL); $$.depth = b.depth; }
    | expr '=' expr         { XE b = mk_bin(ctx, '=', $1, $3);
                              $$.a = new_arg(ctx, ARG_EXPR, b.e->loc, NULL, b.e, NULL); $$.depth = b.depth; }
    | IDENT ':' expr DOTDOT expr
        { $$.a = new_arg(ctx, ARG_RANGE, LOC(@1), $1, $3.e, $5.e); $$.depth = dmax($3.depth, $5.depth); }
    | expr ARROW expr
        { $$.a = new_arg(ctx, ARG_ARROW, $1.e->loc, NULL, $1.e, $3.e); $$.depth = dmax($1.depth, $3.depth); }
    | IDENT optvals
        { Arg *a = new_arg(ctx, ARG_OPT, LOC(@1), $1, $2->v[0], NULL);
          if ($2->n > 1) { a->more = (Expr **)$2->v + 1; a->nmore = $2->n - 1; }
          $$.a = a; $$.depth = $2->depth; }
    ;

optvals
    : optval                { $$ = vec_push(ctx, vec_new(ctx), $1.e, $1.e->loc); $$->depth = $1.depth; }
    | optvals optval        { $$ = vec_push(ctx, $1, $2.e, $2.e->loc); $$->depth = dmax($$->depth, $2.depth); }
    ;

optval
    : NUMBER    { Expr *e = new_expr(ctx, EX_NUM, LOC(@1)); e->num = $1.v; $$ = mkx(ctx, e, 1); }
    | STRING    { Expr *e = new_expr(ctx, EX_STR, LOC(@1)); e->str = $1; $$ = mkx(ctx, e, 1); }
    | IDENT     { Expr *e = new_expr(ctx, EX_NAME, LOC(@1)); e->name = $1; $$ = mkx(ctx, e, 1); }
    | IDENT '(' args ')'    { $$ = mk_call(ctx, LOC(@1), $1, $3); }
    ;

%%

/* ---- errors ---- */

void hy_parse_verror(PCtx *c, Loc loc, const char *fmt, va_list ap)
{
    if (c->fatal)
        return;
    diag_verror(c->d, loc, "error", fmt, ap);
    if (++c->errors >= HY_MAX_ERRORS) {
        diag_note(c->d, (Loc){ 0, 0 }, "too many errors (%d), stopping", c->errors);
        c->fatal = 1;
    }
}

static void perr(PCtx *c, Loc loc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    hy_parse_verror(c, loc, fmt, ap);
    va_end(ap);
}

/* Replaces every occurrence of `from` in buf (capacity cap) by `to`. */
static void str_replace(char *buf, size_t cap, const char *from, const char *to)
{
    size_t fl = strlen(from), tl = strlen(to);
    char *p = buf;
    while ((p = strstr(p, from)) != NULL) {
        size_t rest = strlen(p + fl);
        if ((size_t)(p - buf) + tl + rest + 1 > cap)
            return;
        memmove(p + tl, p + fl, rest + 1);
        memcpy(p, to, tl);
        p += tl;
    }
}

/* Bison's detailed message, made human:
 *   "syntax error, unexpected identifier, expecting '=' or '('"
 *   -> "unexpected identifier 'foo', expected '=' or '('" */
static void yyerror(YYLTYPE *ll, PCtx *ctx, const char *msg)
{
    char buf[512];
    Loc loc = LOC(*ll);
    if (strcmp(msg, "memory exhausted") == 0) {
        perr(ctx, loc, "expression nested too deeply");
        ctx->fatal = 1;
        return;
    }
    if (strncmp(msg, "syntax error, ", 14) == 0)
        msg += 14;
    snprintf(buf, sizeof buf, "%s", msg);
    str_replace(buf, sizeof buf, ", expecting ", ", expected ");
    if (ctx->tok_text[0]) {
        const char *kinds[] = { "unexpected identifier", "unexpected number", "unexpected string" };
        for (size_t i = 0; i < 3; i++) {
            size_t n = strlen(kinds[i]);
            if (strncmp(buf, kinds[i], n) == 0 && (buf[n] == ',' || buf[n] == '\0')) {
                char tail[512];
                snprintf(tail, sizeof tail, "%s", buf + n);
                snprintf(buf + n, sizeof buf - n, " %s%s", ctx->tok_text, tail);
                break;
            }
        }
    }
    perr(ctx, loc, "%s", buf);
}

/* ---- scanner bridge ---- */

static int yylex(YYSTYPE *lv, YYLTYPE *ll, PCtx *ctx)
{
    if (ctx->fatal) {
        ll->first_line = ll->last_line = ctx->last_end.line;
        ll->first_column = ll->last_column = ctx->last_end.col;
        return YYEOF;
    }
    int tok = hy_yylex(lv, ll, ctx->scanner);
    if (tok == YYEOF || ctx->fatal) {
        ll->first_line = ll->last_line = ctx->last_end.line;
        ll->first_column = ll->last_column = ctx->last_end.col;
        return YYEOF;
    }
    ctx->last_end = (Loc){ ll->last_line, ll->last_column };
    /* Keep the token's text for messages ("unexpected identifier 'foo'"). */
    const char *t = hy_yyget_text(ctx->scanner);
    int n = hy_yyget_leng(ctx->scanner);
    if (tok == IDENT || tok == NUMBER || tok == STRING) {
        int max = (int)sizeof ctx->tok_text - 6, o = 0;
        ctx->tok_text[o++] = '\'';
        for (int i = 0; i < n && o < max; i++) {
            unsigned char ch = (unsigned char)t[i];
            ctx->tok_text[o++] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
        }
        if (n > max - 1) {
            memcpy(ctx->tok_text + o, "...", 3);
            o += 3;
        }
        ctx->tok_text[o++] = '\'';
        ctx->tok_text[o] = '\0';
    } else {
        ctx->tok_text[0] = '\0';
    }
    return tok;
}

Program *parse_program(Arena *a, Diag *d)
{
    PCtx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.a = a;
    ctx.d = d;
    ctx.line = 1;
    ctx.col = 1;
    ctx.last_end = (Loc){ 1, 1 };
    ctx.prog = arena_alloc(a, sizeof(Program));
    ctx.tail = &ctx.prog->first;
    size_t len = d->src ? d->srclen : 0;
    if (len > (size_t)HY_MAX_SRC) {
        diag_error(d, (Loc){ 1, 1 }, "file too large (%zu bytes; the limit is %ld MiB)",
                   len, HY_MAX_SRC >> 20);
        return ctx.prog;
    }
    if (hy_yylex_init_extra(&ctx, &ctx.scanner) != 0)
        HY_ICE("cannot initialise the scanner");
    hy_yy_scan_bytes(len ? d->src : "", (int)len, ctx.scanner);
    yyparse(&ctx);
    hy_yylex_destroy(ctx.scanner);
    return ctx.prog;
}
