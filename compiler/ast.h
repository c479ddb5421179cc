/* ast.h -- the syntax tree produced by parser.y and consumed by sema.c.
 *
 * Contract: the parser builds exactly what was written (no desugaring, no
 * name resolution); every node carries the location of its first token.
 * All nodes live in the compilation arena (Comp.arena) and die with it.
 */
#ifndef HYCOC_AST_H
#define HYCOC_AST_H

typedef struct Loc {
    int line;       /* 1-based line of the first character */
    int col;        /* 1-based column (bytes) of the first character */
} Loc;

typedef enum {
    EX_NUM,         /* numeric literal: num */
    EX_STR,         /* string literal: str (quotes removed, escapes decoded) */
    EX_NAME,        /* identifier: name */
    EX_CALL,        /* name(args...): name, args, nargs */
    EX_BIN,         /* lhs op rhs, op one of + - * / ^ */
    EX_NEG,         /* -lhs */
    EX_MEMBER,      /* lhs.name (multi-output fields, issue 3) */
    /* -- front-end extension for the draft specs (see parser.y) -- */
    EX_OVER,        /* lhs over name: a loss term with its own point set, e.g.
                     * alpha * mse(a) over obs + (1 - alpha) * mse(b) over sim.
                     * 'over' binds looser than * / and tighter than + -; it is
                     * legal only in loss/expect/report values.  A top-level
                     * 'over' is never an EX_OVER: it goes to Stmt.on. */
    EX_LIST,        /* [e1, e2, ...] (op '[') or a tuple (e1, e2, ...) (op '('): the
                     * entries in args/nargs (ARG_EXPR each; nargs may be 0 for []).
                     * Values of vector params and consts, points of a point set. */
    EX_INDEX,       /* lhs[rhs]: an entry of a vector param or const */
} ExprKind;

typedef enum {
    ARG_EXPR,       /* positional expression: e */
    ARG_RANGE,      /* name: e .. e2     e.g. interval(x: 0 .. 1) */
    ARG_OPT,        /* name e            e.g. width 32, lr 1e-3, mesh 0.02, schedule cosine */
    ARG_ARROW,      /* e -> e2           e.g. mlp(1 -> 1, ...) */
} ArgKind;

typedef struct Expr Expr;

typedef struct Arg {
    ArgKind kind;
    Loc loc;
    const char *name;   /* ARG_RANGE / ARG_OPT: the keyword; else NULL */
    Expr *e;            /* the (first) expression */
    Expr *e2;           /* ARG_RANGE upper bound / ARG_ARROW right side; else NULL */
    /* -- front-end extension -- */
    Expr **more;        /* ARG_OPT with several values: 'columns x t u' has e = x, */
    int nmore;          /* more = {t, u}, nmore = 2; else NULL, 0 */
} Arg;

struct Expr {
    ExprKind kind;
    Loc loc;
    double num;         /* EX_NUM */
    const char *str;    /* EX_STR */
    const char *name;   /* EX_NAME, EX_CALL callee, EX_MEMBER member */
    int op;             /* EX_BIN: '+', '-', '*', '/', '^'; comparisons (only as a
                         * call argument, e.g. where(x < 0, a, b), boundary(st, t = 0)):
                         * '<', '>', 'l' (<=), 'g' (>=), '=' */
    Expr *lhs, *rhs;    /* EX_BIN operands; EX_NEG / EX_MEMBER operand in lhs; EX_INDEX: lhs[rhs] */
    Arg **args;         /* EX_CALL arguments; EX_LIST entries */
    int nargs;
};

typedef enum {
    ST_SEED,        /* seed INT: count */
    ST_CONST,       /* const name = value */
    ST_DOMAIN,      /* domain name = value (EX_CALL: interval(...), ...) */
    ST_POINTS,      /* points name = value in on    (value: EX_CALL linspace(...), ...) */
    ST_DATA,        /* data name on on = value */
    ST_NET,         /* net name = value optimizer opt   (opt may be NULL) */
    ST_PARAM,       /* param name = value [optimizer opt]  (trainable scalar, issue 3) */
    ST_FIELD,       /* field name(params) = value */
    ST_LET,         /* let name[(params)] = value */
    ST_LOSS,        /* loss name = value over on */
    ST_TRAIN,       /* train count epochs { steps } */
    ST_EXPECT,      /* expect value [over on] cmp bound */
    ST_REPORT,      /* report value [over on] */
    /* -- front-end extensions for the draft specs (see parser.y) -- */
    ST_WEIGHTS,     /* weights name = value      (adaptive loss weights: relobralo(...)) */
    ST_TRACK,       /* track n1, n2, ...         names in params/param_locs/nparams */
    ST_GRID,        /* grid name = value         (simulator grid: periodic(...)) */
    ST_SIM,         /* sim name on on { body }   body: ST_STATE / ST_SIMSTEP / ST_EQN */
    ST_STATE,       /* (sim body) state name = value */
    ST_SIMSTEP,     /* (sim body) step name opts...  e.g. step rk4 dt 1e-3 save every 30 steps 300:
                     * name "rk4", opts ARG_OPT {dt 1e-3} {"save every" 30} {steps 300} */
    ST_EQN,         /* (sim body) value = bound  e.g. dt(u) = nu * dxx(u) - u * dx(u) */
} StmtKind;

typedef struct Step {
    Loc loc;            /* of the 'step' keyword */
    const char **names; /* loss names */
    Loc *name_locs;
    int nnames;
    long repeat;        /* 'x k'; 1 when absent */
    Loc repeat_loc;
    /* -- front-end extensions -- */
    Expr **items;       /* the nnames items as written; names[i] is set only when
                         * items[i] is a plain EX_NAME, else NULL (e.g. w.pde * pde) */
    long every;         /* 'every k' (run this substep every k-th epoch); 0 when absent */
    Loc every_loc;
} Step;

typedef struct Stmt {
    StmtKind kind;
    Loc loc;            /* of the leading keyword */
    const char *name;   /* declared name (NULL for seed/train/expect/report) */
    Loc name_loc;
    const char **params;/* field/let parameter names */
    Loc *param_locs;
    int nparams;        /* -1 when a let has no parameter list */
    Expr *value;        /* see StmtKind */
    Expr *opt;          /* ST_NET/ST_PARAM: the optimizer call, or NULL */
    const char *on;     /* ST_POINTS 'in', ST_DATA 'on', ST_LOSS/EXPECT/REPORT 'over'; or NULL */
    Loc on_loc;
    int cmp;            /* ST_EXPECT: HY_CMP_* (hyrt_api.h) */
    Loc cmp_loc;
    Expr *bound;        /* ST_EXPECT: right side of the comparison */
    long count;         /* ST_SEED value, ST_TRAIN epochs */
    Step *steps;        /* ST_TRAIN */
    int nsteps;
    /* -- front-end extensions for the draft specs (see parser.y) -- */
    Expr *schedule;     /* ST_NET/ST_PARAM: 'schedule CALL', or NULL */
    Loc schedule_loc;
    Expr *lo, *hi;      /* ST_PARAM: 'in [lo, hi]' bounds, or NULL */
    Loc bounds_loc;
    Expr *on_expr;      /* ST_POINTS: 'on EXPR' (e.g. on boundary(st, x)); 'in NAME' sets on */
    long grow_every;    /* ST_POINTS: 'grow every N by CALL'; 0 when absent */
    Expr *grow_by;      /*   the CALL (e.g. residual(pde, k 1, c 1, add 100)), or NULL */
    Loc grow_loc;       /*   of 'grow' (line 0 when absent) */
    long resample_every;/* ST_POINTS: 'resample every N [by CALL]'; 0 when absent */
    Expr *resample_by;  /*   the CALL (residual(pde, k 1, c 1)), or NULL */
    Loc resample_loc;   /*   of 'resample' (line 0 when absent) */
    long warmup;        /* ST_TRAIN: 'warmup N'; 0 when absent */
    const char *warm_loss; /* ST_TRAIN: 'warmup until LOSS < T [max N]': LOSS, or NULL */
    Loc warm_loc, warm_loss_loc; /*   of 'warmup' (the clause) and of LOSS */
    Expr *warm_thr;     /*   T */
    long warm_max;      /*   N; 0 when absent */
    Loc warm_max_loc;   /*   of 'max' */
    Loc warmup_loc;     /* ST_TRAIN: of 'warmup' in 'warmup N' */
    int iterations;     /* ST_TRAIN: 1 when count is in 'iterations', 0 for 'epochs' */
    struct Stmt *then;  /* ST_TRAIN: the next phase 'then N iterations [optimizer OPT] { steps }'
                         * (an ST_TRAIN, loc of 'then'), or NULL */
    struct Stmt *body;  /* ST_SIM: the body statements, linked by next */
    Arg **opts;         /* ST_SIMSTEP: options */
    int nopts;
    struct Stmt *next;  /* statements in source order */
} Stmt;

typedef struct Program {
    Stmt *first;        /* NULL for an empty file */
} Program;

#endif
