/* ir.h -- the intermediate representation and the compilation context.
 *
 * The IR is a hash-consed expression DAG: nodes are referred to by 32-bit
 * index, identical nodes are merged, constants are folded at construction,
 * and children always have smaller indices than their parents (so index
 * order is a topological order).  sema.c builds it from the AST, diff.c adds
 * input derivatives to it, sched.c decides what each substep updates, emit.c
 * turns it into C.
 */
#ifndef HYCOC_IR_H
#define HYCOC_IR_H

#include <setjmp.h>
#include "hycoc.h"

/* Nodes of the IR of one program (documented limit, docs/reliability.md):
 * enough for any hand-written spec, small enough that compiling it stays
 * well under a second per 100 000 nodes and a few hundred MB. */
#define HY_MAX_NODES 1000000u

typedef enum {
#define OP(name, arity, str) OP_##name,
#include "ops.def"
#undef OP
    OP_COUNT
} Op;

typedef uint32_t NodeId;
#define NO_NODE UINT32_MAX

typedef struct Node {
    Op op;          /* what it computes */
    int ps;         /* point set it varies over, or -1 for a scalar */
    NodeId a, b;    /* operands (NO_NODE when unused); NETOUT: a = call index, b = output */
    uint32_t aux;   /* COORD: coordinate; PARAM: trainable; NETOUT: jet code; NOISE: stream; DATA: data id */
    double num;     /* CONST value; NOISE sigma */
    Loc loc;        /* where the first expression that created it was written */
    uint8_t trainable_dep;  /* 1 if it depends on a trainable (through any path, stop included) */
} Node;

/* A network evaluated at some inputs: a row of Ir.calls, hash-consed. */
typedef struct Call {
    int net;        /* index into Comp.nets */
    int ps;         /* point set of its inputs (-1: all inputs scalar) */
    int nargs;      /* == the net's input dimension */
    NodeId *args;   /* input expressions */
} Call;

typedef struct Ir {
    Node *nodes;    /* nodes[0..nnodes) */
    uint32_t nnodes, cap;
    uint32_t *htab; /* open-addressing hash of node indices (NO_NODE = empty) */
    uint32_t hcap;
    Call *calls;
    int ncalls, callcap;
    uint32_t *chtab;    /* hash of call indices (NO_NODE = empty) */
    uint32_t chcap;
    uint32_t max_nodes; /* cap on nnodes (HY_MAX_NODES unless a test lowers it) */
    jmp_buf *full;      /* set by sema: a constructor that would pass the cap jumps here
                         * (NULL: that is an internal error) */
    Loc last_loc;       /* location of the newest located node (of the expression being built) */
} Ir;

/* ---- declarations after sema ---- */
/* A domain: a geometry over named coordinates.  Every domain has a bounding
 * box (lo, hi); DOM_BOX is exactly its box.  Domains are built at run time
 * by hy_geom_* calls in declaration order (operands of booleans and the
 * space of a space-time domain come first, so their ids are smaller). */
typedef enum { DOM_BOX, DOM_DISK, DOM_POLYGON, DOM_BOOL, DOM_TIME } DomKind;
/* Boolean operations, samplers and boundary selections as the compiler keeps
 * them; emit.c writes the runtime's names (HY_GEOM_*, HY_SAMPLE_*, HY_BND_*). */
enum { GEOM_UNION, GEOM_DIFF, GEOM_INTER };
enum { SAMPLE_RANDOM, SAMPLE_LATIN, SAMPLE_SOBOL, SAMPLE_HALTON };
enum { BND_ALL, BND_AXIS, BND_AT, BND_SPACE };
typedef struct Domain {
    const char *name;       /* NULL for an anonymous operand */
    DomKind kind;
    int dim;                /* number of coordinates */
    const char *coords[8];  /* coordinate names */
    double lo[8], hi[8];    /* bounding box */
    double mesh;            /* grid spacing, 0 when not given (boxes only) */
    int ps;                 /* point set of its mesh, -1 if none */
    double cx, cy, r;       /* DOM_DISK */
    double *verts;          /* DOM_POLYGON: [x0, y0, x1, y1, ...] */
    int nverts;
    int op, a, b;           /* DOM_BOOL: HY_GEOM_UNION/DIFF/INTER of domains a, b */
                            /* DOM_TIME: a = the space domain; time is the last axis */
    Loc loc;
} Domain;

typedef enum {
    PS_MESH,                /* the grid of a box domain's 'mesh h' */
    PS_LINSPACE,            /* linspace(a, b, n) in a 1-D domain */
    PS_SAMPLE,              /* drawn in a domain or on its boundary (random, latin, ...) */
    PS_FILE,                /* rows of a data file: coordinate columns, then value columns */
    PS_LIST,                /* points listed in the spec: [(x0, y0), (x1, y1), ...] in D */
} PsKind;
typedef struct PointSet {
    const char *name;
    int domain;             /* index into Comp.domains */
    PsKind kind;
    int n;                  /* number of points */
    int dim;                /* == the domain's */
    int counts[8];          /* PS_MESH: points along each axis */
    double lo, hi;          /* PS_LINSPACE */
    int method;             /* PS_SAMPLE: HY_SAMPLE_* */
    int boundary;           /* PS_SAMPLE: 1 on the boundary (then normals are stored) */
    int bsel, baxis;        /* PS_SAMPLE on a boundary: HY_BND_*, the axis it names */
    double bvalue;          /* HY_BND_AT: the coordinate's value */
    int normals;            /* 1: outward normals [dim][n] follow the coordinates in V */
    int extra;              /* columns stored after the coordinates: dim normals, or data values */
    const char *path;       /* PS_FILE: the file (resolved against the spec's directory) */
    const char **cols;      /* PS_FILE: column names to load, coordinates first [dim + extra] */
    const double *pts;      /* PS_LIST: the coordinates [dim][n] (axis-major, like V) */
    long voff;              /* offset of its coordinates [dim][n] (+ extra [extra][n]) in V */
    Loc loc;
    /* Redrawn point sets (PS_SAMPLE only; sema_space.c, emit.c, runtime/pointset.c):
     * 'resample every N [by residual(...)]' redraws all n points, 'grow every N by
     * residual(...)' appends `add` points; both at the start of every epoch E of the
     * first phase with E > 0, E % every == 0 (E = epochs completed). */
    long every;             /* 0: drawn once */
    int grows;              /* 1: n is the capacity and n0 the first count (loops run over the
                             * live count, hy_ps_count) */
    int n0;                 /* points at the start (== n unless it grows) */
    int add;                /* grows: points added each time */
    int rar;                /* 1: points picked by RAR-D from the candidates of `pool` */
    double rar_k, rar_c;    /* p ~ r^k / mean(r^k) + c */
    int loss;               /* rar: the loss whose pointwise residual is r */
    int pool;               /* rar: hidden point set of candidates (same domain, sampler), else -1 */
    int npool;              /* rar: its number of candidates */
    NodeId resid;           /* pools: r over this pool, else NO_NODE */
    int pool_of;            /* pools: the point set served, else -1 */
    const Expr *by;         /* the 'by' call (sema only) */
} PointSet;

typedef enum { TR_NET, TR_SCALAR } TrKind;
typedef struct Trainable {
    const char *name;
    TrKind kind;
    int din, dout, width, depth, act;   /* TR_NET */
    const char **outs;                  /* TR_NET: names of the dout outputs ('outputs u v p'), or NULL */
    int nouts;                          /* entries of outs */
    int netkind;                        /* TR_NET: HY_NET_* (MLP, MODIFIED, RESNET, | FOURIER) */
    int winit;                          /* TR_NET: HY_INIT_* (weight initialisation) */
    int nfeat;                          /* TR_NET with FOURIER: number of features (0: runtime default) */
    double fscale;                      /* TR_NET with FOURIER: feature scale (0: runtime default) */
    int normalize;                      /* TR_NET: 1 if inputs are mapped to [-1, 1] by lo/hi */
    double nlo[8], nhi[8];              /* TR_NET: the box of that map */
    double init;                        /* TR_SCALAR */
    int opt_kind;                       /* HY_OPT_* */
    double hyper[8];                    /* optimizer hyper-parameters */
    int nhyper;
    int clip_kind;                      /* 0, HY_CLIP_NORM or HY_CLIP_VALUE (chain(clip_...(v), opt)) */
    double clip_v;
    int sched_kind;                     /* -1: none; else HY_SCHED_* */
    const char *sched_c;                /* HY_SCHED_FN: its value as a C expression of L[] and hy_epoch(c) */
    const struct Expr *sched_expr;      /* HY_SCHED_FN: the expression as written */
    double sched[34];                   /* its parameters */
    int nsched;
    double min_lr, max_lr;              /* clamps (0 and INFINITY when not given) */
    int has_bounds;                     /* TR_SCALAR 'in [lo, hi]' */
    double lo, hi;
    Loc loc;
} Trainable;

typedef struct Loss {
    const char *name;
    NodeId root;            /* scalar node */
    int ps;                 /* its 'over' point set */
    int used;               /* named by a later loss, check or used weight (lower.c): no "never used" warning */
    Loc loc;
} Loss;

typedef struct Substep {
    int *losses;            /* indices into Comp.losses */
    int nloss;
    double *coef;           /* per term: constant factor ('2 * pde'), 1 when none */
    int *bal, *bal_index;   /* per term: balancer and the loss's index in it ('w.pde * pde'), -1 none */
    int phase;              /* index into Comp.phases */
    long repeat;
    long every;             /* runs in epochs E (1-based) with E % every == 0 ('every k'; 1 when absent) */
    int physical;           /* updates a param: skipped during warm-up */
    int *train;             /* trainables updated (structurally non-zero gradient) */
    int ntrain;
    const char *label;      /* "pde, int_phy" */
    Loc loc;
} Substep;

/* A training phase: 'train N epochs {...}' is phase 0; each 'then N
 * iterations [optimizer OPT] {...}' adds one. */
typedef struct Phase {
    long count;
    int is_iterations;
    int opt_kind;           /* -1: every trainable keeps its own optimizer */
    double hyper[8];
    int nhyper;
    Loc loc;
} Phase;

/* Adaptive loss weights: 'weights w = relobralo(pde, bc, ...)'. */
typedef struct Balancer {
    const char *name;
    int kind;               /* HY_BAL_* */
    int mode;               /* HY_BMODE_* */
    int *losses;            /* loss indices */
    int nloss;
    double param[8];
    int nparam;
    int tracked;            /* 'track w' */
    Loc loc;
} Balancer;

typedef struct Check {      /* an expect or report line */
    int is_expect;
    const char *text;       /* as written */
    NodeId root;            /* scalar node */
    int cmp;                /* HY_CMP_* */
    double bound;
    Loc loc;
} Check;

typedef struct Comp {
    Arena arena;
    Diag diag;
    Program *ast;
    Ir ir;
    unsigned long long seed;
    long epochs;
    Domain *domains;    int ndomains;
    PointSet *psets;    int npsets;
    Trainable *trs;     int ntrs;
    Loss *losses;       int nlosses;
    Substep *steps;     int nsteps;
    Check *checks;      int nchecks;
    Phase *phases;      int nphases;
    Balancer *bals;     int nbals;
    int *track_lr;      /* trainables whose lr is tracked */
    int ntrack_lr;
    int *track_par;     /* scalar params whose value is tracked ('track nu') */
    int ntrack_par;
    int ndata;          /* data declarations (DATA aux ids) */
    int nnoise;         /* noise streams handed out */
    struct DiffMemo *dmemo; /* diff.c: memo of derivatives already built */
    struct SimTab *sim;     /* grids and simulators (sim.h), or NULL */
    long warmup;            /* 'warmup N': first N epochs skip substeps with physical set */
    double warm_thr;        /* 'warmup until LOSS < T [max N]': T (> 0), 0 when absent; physical
                             * substeps are skipped until LOSS < T at the end of an epoch */
    int warm_loss;          /*   LOSS's index */
    long warm_max;          /*   N: the warm-up ends after epoch N at the latest; 0 no cap */
    struct ExportReq *xreq; /* --export/--eval request (export.c), lowered last by sema */
} Comp;

/* ---- ir.c ---- */
void ir_init(Ir *ir);
void ir_free(Ir *ir);
/* Node constructors: hash-consed and constant-folded.  Callers must not mix
 * two different point sets in one node (sema checks that first). */
NodeId ir_const(Ir *ir, double v);
NodeId ir_leaf(Ir *ir, Op op, int ps, uint32_t aux, double num, Loc loc);
NodeId ir_unary(Ir *ir, Op op, NodeId a, Loc loc);
NodeId ir_binary(Ir *ir, Op op, NodeId a, NodeId b, Loc loc);
NodeId ir_data(Ir *ir, NodeId a, uint32_t id, Loc loc);
int ir_call(Ir *ir, int net, int nargs, const NodeId *args);
NodeId ir_netout(Ir *ir, int call, int out, uint32_t code, Loc loc);
int ir_is_const(const Ir *ir, NodeId n, double v);
const char *op_name(Op op);
/* Point set of a binary combination: -1 if both scalar; -2 if they conflict. */
int ir_join_ps(int a, int b);
/* Aborts with an internal error if a DAG invariant is broken (see ir.c). */
void ir_verify(const Comp *c);
/* "--dump ir": one node per line. */
void ir_dump(FILE *out, const Comp *c, NodeId *roots, int nroots);

/* Highest derivative order of a network the runtime computes (hy_jet_plan;
 * runtime RT_MAX_ORDER): a jet code holds at most 4 input indices. */
#define HY_MAX_JET_ORDER 4
/* Highest derivative order of a simulator's state (sim.h: finite-difference stencils). */
#define HY_MAX_SIM_ORDER 2
/* Most jet components of one network call, the lower ones each needs
 * included (runtime/net.c MAXC; checked with a located error by limits.c). */
#define HY_MAX_JET_COMPS 128

/* Jet codes: sorted tuple of input indices, one byte each (index + 1). */
int jet_order(uint32_t code);
uint32_t jet_add(uint32_t code, int index);   /* code + e_index; 0 on overflow (order > 4) */

/* ---- diff.c ---- */
/* d(n)/d(coordinate k of point set ps).  Returns NO_NODE and sets *bad to the
 * offending node if n contains something not differentiable (data, noise). */
NodeId diff_coord(Comp *c, NodeId n, int ps, int k, NodeId *bad);

/* ---- sema.c ---- */
/* Checks the AST and lowers it into c (IR, declarations, schedule).  Returns
 * 0 on success; on error the diagnostics have been printed. */
int sema(Comp *c);

/* ---- limits.c ---- */
/* After a successful sema: reports (located) a program over the documented
 * size limits (parameters, code size, working memory).  Returns 0 or 1. */
int sema_limits(Comp *c);

/* ---- sched.c ---- */
/* For substep s: the trainables its losses reach with a structurally non-zero
 * gradient (not through stop).  Fills c->steps[s].train. */
void sched_substep(Comp *c, int s);
/* mark[i] = 1 for every node reachable from root (through stop too). */
void sched_reach(const Comp *c, NodeId root, uint8_t *mark);

/* ---- emit.c ---- */
/* Writes the whole program as C (prelude included when with_prelude). */
void emit_program(Comp *c, FILE *out, int with_prelude);
/* "--dump grad": the adjoint program of each substep, one statement per line. */
void emit_dump_grad(Comp *c, FILE *out);

/* ---- jit.c ---- */
typedef struct HyCtx HyCtx;
/* Compiles C source with libtcc and runs its hyk_setup on ctx.  Returns 0, or
 * 2 after reporting an internal error (the C is kept in keep_path). */
int jit_setup(const char *csrc, HyCtx *ctx, void **state, const char *keep_path);
/* The same with a choice of C compiler: cc NULL or "tcc" is jit_setup; "gcc"
 * compiles to a shared object (gcc -O2) in a private temporary directory and
 * loads it.  Returns 0; 1 after a user error (unknown cc, gcc not found); 2
 * after an internal error (the C is kept in keep_path). */
int jit_setup_cc(const char *csrc, HyCtx *ctx, void **state, const char *keep_path, const char *cc);
void jit_free(void *state);             /* state from either; NULL is fine */

extern const char hy_prelude_text[];

/* ---- driver.c: the pipeline as a library ---- */
Comp *comp_new(const char *file, const char *src, size_t len, FILE *diag_out);
int comp_front(Comp *c);                      /* parse + sema: 0, or 1 after errors */
char *comp_emit_string(Comp *c, int with_prelude);   /* malloc'd C source */
int comp_jit(Comp *c, HyCtx *ctx, void **jit, const char *keep_path);  /* 0, or 2 */
int comp_jit_cc(Comp *c, HyCtx *ctx, void **jit, const char *keep_path, const char *cc);  /* jit_setup_cc */
void comp_free(Comp *c);

/* ---- export.c, sema_export.c: trained fields outside hycoc ---- */
/* One expression to export or evaluate (a field, or e.g. dxx(u)).  export.c
 * fills text, src and expr (parsed from src, an item's own source text) and
 * cname; sema_export.c fills the rest: root, its IR at one point of point
 * set ps, whose dim coordinates are the parameters of `field` (declared on
 * line field_line of the spec).  root is NO_NODE after an error. */
typedef struct ExportItem {
    const char *text;       /* as given on the command line */
    const char *src;        /* the source text parsed for it (diagnostics) */
    const Expr *expr;
    const char *cname;      /* C function name */
    NodeId root;
    int ps, dim;
    const char **coords;    /* coordinate names [dim] */
    const char *field;
    int field_line;
    const char *const *want;/* NULL, or the coordinates [nwant] to evaluate at (fields.c) */
    int nwant;
    int optional;           /* 1: an item that cannot be lowered is dropped silently (root NO_NODE) */
} ExportItem;
typedef struct ExportReq {
    ExportItem *items;
    int n;
} ExportReq;
/* Lowers c->xreq's items (called by sema when c->xreq is set). */
struct Sema;
void sema_export(struct Sema *s);
/* What --export / --eval asked for (main.c fills it). */
typedef struct ExportOpts {
    const char *file;       /* the spec, its bytes */
    const char *src;
    size_t len;
    const struct Override *defs;   /* -D overrides [ndefs] */
    int ndefs;
    long long seed;         /* --seed, or -1 */
    const char *const *exprs;      /* --export EXPR... or the one --eval EXPR */
    int nexprs;
    int eval;               /* 1: --eval (print values), 0: --export (write C) */
    const char *derivs;     /* --derivs d1,d2,... (with one --export) or NULL */
    const char *name;       /* --name (with one --export) or NULL */
    const char *weights;    /* --weights DIR or NULL (untrained initial weights) */
    const char *out;        /* -o: the C file (--export), the CSV (--eval; NULL: stdout) */
    const char *at;         /* --eval: table of points */
    const char *keep_c;     /* --keep-c */
} ExportOpts;
/* Runs --export or --eval: the process exit status (0, 1 user error, 2 internal). */
int export_command(const ExportOpts *o);
/* Values of items[0 .. nitems) (lowered by sema_export, sharing one list of
 * coordinates) at n points: coordinate k of point i is coords[k][i]; ctx
 * holds the parameters (built from the same spec, trained or loaded).
 * res[i] receives the n values of items[i] (export.c). */
struct HyCtx;
void export_eval_values(const Comp *c, const ExportItem *items, int nitems, struct HyCtx *ctx,
                        long n, const double *const *coords, double *const *res);

/* ---- emit_main.c: standalone programs ---- */
/* Writes the whole training program as one C file with its own main() (see
 * emit_main.c); out_name is the file's name, used in #line and comments. */
void emit_standalone(Comp *c, FILE *out, const char *out_name);
/* Prints the compiler flags (-I) and/or linker flags (-L -lhyrt ...) that
 * build a standalone file against the libhyrt beside this executable.
 * Returns 0, or 1 after a message if none is found. */
int standalone_flags(FILE *out, int cflags, int libs);

#endif
