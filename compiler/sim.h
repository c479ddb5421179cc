/* sim.h -- grids and simulators of a .hyco file: what sim.c (sema) builds
 * and emit_sim.c turns into C against runtime/sim.c.
 *
 *   grid g = periodic(x: a .. b, n N)              N nodes a + i h, h = (b - a) / N
 *   grid g = dirichlet(x: a .. b, y: c .. d, n N [M], value v)   N nodes a .. b (edges held at v)
 *   grid g = neumann(x: a .. b, n N)               N nodes a .. b, zero normal derivative
 *   sim s on g {
 *       state u = EXPR                  initial state (coordinates, constants, params)
 *       step rk4|euler dt DT steps S [save every K]
 *       dt(u) = EXPR                    right-hand side: the states, dx/dxx/dxy/lap of them, ...
 *   }
 * A grid is a domain over its nodes (a point set of its own name, `over g`).
 * A sim is a point set of the same name: the grid's nodes at the snapshot
 * times t_k = k K DT, k = 1 .. S / K (coordinates: the grid's, then t),
 * and s.u is the state u there; over any other point set whose coordinates
 * include the grid's and t, s.u is interpolated (runtime/sim.c).
 *
 * Representation.  A state u is a network-like function of the grid's
 * coordinates: a pseudo call (Call.net = SIM_NET(sim, field) < 0) whose jet
 * components are its finite-difference derivatives (code 0: the value,
 * 0x01: d/dx, 0x0101: d2/dx2, 0x0201: d2/dxdy, ...: stencils in
 * emit_sim.c), so the right-hand side is ordinary IR over the grid's point
 * set built by the ordinary lowering and differentiation.  Its partial
 * derivatives with respect to each jet leaf and each parameter (sim_partial,
 * symbolic) give the emitted adjoint.  A sample s.u over point set P is an
 * OP_SIM leaf over P (aux = index into SimTab.samples).
 */
#ifndef HYCOC_SIM_H
#define HYCOC_SIM_H

#include "ir.h"

#define SIM_NET(sim, field) (-1 - ((sim) * 256 + (field)))
#define SIM_OF_NET(net) ((-1 - (net)) / 256)
#define SIM_FIELD_OF_NET(net) ((-1 - (net)) % 256)
/* Jet codes of the one-sided differences of upwind(c, dx(u)): the flag or'ed
 * with the first-derivative code (0x01 x, 0x02 y): backward (u - u(-e)) / h,
 * forward (u(+e) - u) / h. */
#define SIM_UPWIND_BACK 0x10000u
#define SIM_UPWIND_FWD 0x20000u

typedef struct Grid {
    const char *name;
    int dim;                /* 1 or 2 */
    const char *coords[2];  /* axis names */
    double lo[2], hi[2];    /* first and last node per axis */
    double h[2];            /* spacing */
    long n[2];              /* nodes per axis */
    int bc;                 /* HY_SIM_PERIODIC, _DIRICHLET, _NEUMANN */
    double bcval;           /* Dirichlet value */
    int domain, ps;         /* its domain (the box of its nodes) and point set (the nodes) */
    Loc loc;
} Grid;

typedef struct SimField {
    const char *name;
    int call;               /* the pseudo call of the state (Ir.calls) */
    NodeId state;           /* the state's value: NETOUT jet 0 of call */
    NodeId init;            /* initial state (over the grid's point set, or scalar) */
    NodeId rhs;             /* dt(state) = rhs (over the grid's point set, or scalar) */
    Loc loc;                /* of 'state' */
} SimField;

typedef struct Sim {
    const char *name;
    int grid;               /* index into SimTab.grids */
    SimField *f;            /* fields [nf] */
    int nf;
    int method;             /* HY_SIM_EULER or HY_SIM_RK4 */
    double dt;
    long steps, save, nsnap;
    int domain, ps;         /* the snapshot domain (grid axes, then t) and point set */
    int *deps;              /* trainables read by the right-hand sides or initial states [ndeps] */
    int ndeps;
    int init_deps;          /* 1: an initial state reads a trainable */
    int rollout;            /* 1: the equations are dt(u) = NET(states): a network right-hand side
                             * (runtime/rollout.c); rhs nodes are 0 and leaf/part are empty */
    int rnet, rradius;      /* rollout: the network's trainable; stencil radius (-1: whole state) */
    /* symbolic partials (sim.c; built in sema, before emit plans storage) */
    NodeId *leaf;           /* leaves of the right-hand sides: jets, then PARAM nodes [nleaf] */
    int nleaf, njet;        /* njet of them are jets */
    NodeId *part;           /* d(rhs_f)/d(leaf l) at [f * nleaf + l] */
    NodeId *ileaf;          /* PARAM nodes of the initial states [nileaf] */
    int nileaf;
    NodeId *ipart;          /* d(init_f)/d(ileaf l) at [f * nileaf + l] */
    Loc loc, step_loc;
    /* steady.c: 'step steady' solves -div(coef[0] grad u) + coef[1] u = coef[2]
     * (one state, nsnap 0; coef[2] may read the state's value, then coef[3] =
     * d(coef[2])/du != 0 and the solve is Newton's); leaf holds the PARAM
     * leaves of the coefficients (njet 0), part[k * nleaf + l] = d(coef[k])/d(leaf l) */
    int steady;
    NodeId coef[4];
} Sim;

/* s.u over a point set: an OP_SIM leaf's aux indexes these. */
typedef struct SimSample {
    int sim, field;
    int ps;                 /* where it is evaluated */
    int direct;             /* 1: ps is the sim's own snapshot set */
    int coord[3];           /* coordinate index in ps of each grid axis, then of t */
} SimSample;

typedef struct SimTab {
    Grid *grids;    int ngrids;
    Sim *sims;      int nsims;
    SimSample *samples; int nsamples;
} SimTab;

/* ---- sim.c (sema) ---- */
struct Sema;
struct Ctx;
struct Stmt;
void decl_grid(struct Sema *s, const struct Stmt *st);
void decl_sim(struct Sema *s, const struct Stmt *st);
/* e is `NAME.field` where NAME is the point set ps: if ps is a simulator's,
 * sets *out to the sample (NO_NODE after a located error) and returns 1;
 * returns 0 when ps is not a simulator's. */
int sim_member(struct Sema *s, int ps, const Expr *e, struct Ctx *cx, NodeId *out);
/* upwind(c, dx(u)) in a right-hand side: c times the one-sided difference of
 * u on the side the velocity c comes from (backward where c > 0, forward
 * elsewhere), as IR: where(c > 0, c * back, c * fwd).  Located errors unless
 * the second argument lowers to a first-derivative jet of a state. */
NodeId sim_upwind(struct Sema *s, const Expr *e, struct Ctx *cx);
/* The sim whose snapshot set is ps, or -1. */
int sim_of_ps(const Comp *c, int ps);
/* d(n)/d(leaf) for a leaf (a PARAM or NETOUT node) of a pointwise DAG without
 * reductions; stop(), sign and comparisons have derivative 0.  memo has one
 * slot per node of the DAG as it was before the call (NO_NODE = not yet). */
NodeId sim_partial(Comp *c, NodeId n, NodeId leaf, NodeId *memo, uint32_t nmemo);

/* The finite-difference stencil of jet `code` (0: the value, 0x0a: d/da,
 * 0x0a0a: d2/da2, 0x0201: d2/dxdy; axis a = byte - 1; SIM_UPWIND_* | 0x0a: one-sided) on grid g: m entries
 * (offset index o as runtime/sim.c's nb, weight); returns m, or -1 for a
 * code above order 2. */
int sim_stencil(const Grid *g, uint32_t code, int *off, double *w);

/* ---- hooks for sched.c / emit.c ---- */
/* Marks (tr[t] = 1) the trainables sample `aux` depends on. */
void sim_sample_deps(const Comp *c, uint32_t aux, uint8_t *tr);
/* 1 if sample `aux` depends on a trainable t with upd[t] set. */
int sim_sample_dep(const Comp *c, uint32_t aux, const uint8_t *upd);

/* ---- emit_sim.c ---- */
/* The C functions of every simulator (init, rhs, adjoints); after hyk_po. */
void emit_sim_functions(Comp *c, FILE *o);
/* hyk_setup: registers the simulators (after the trainables and hyk_po). */
void emit_sim_setup(Comp *c, FILE *o);
/* hyk_setup, last: tracked params, 'every k' and 'warmup N' of the training schedule. */
void emit_train_sched(Comp *c, FILE *o);
/* Forward code of OP_SIM node i (value at V + voff, count cnt as C). */
void emit_sim_fwd(Comp *c, FILE *o, NodeId i, long voff, const char *cnt, const char *ind);
/* Reverse code of active OP_SIM node i (adjoint at A + aoff). */
void emit_sim_bwd(Comp *c, FILE *o, NodeId i, long aoff, const char *cnt);
/* End of a substep's reverse sweep: the adjoint sweeps of the simulators
 * when an OP_SIM node is active. */
void emit_sim_kernel_end(Comp *c, FILE *o, const uint8_t *active);

/* ---- steady.c: steady simulators ('step steady') ---- */
/* decl_sim hands a body with a 'step steady' line to decl_steady. */
void decl_steady(struct Sema *s, const struct Stmt *st);
/* emit_sim_functions / emit_sim_setup / emit_sim_fwd / emit_sim_bwd hand a
 * steady sim's parts to these (after HYK_NOCONTRACT is defined). */
void emit_steady_functions(Comp *c, FILE *o, int sim);
void emit_steady_setup(Comp *c, FILE *o, int sim);
void emit_steady_fwd(Comp *c, FILE *o, NodeId i, long voff, const char *cnt, const char *ind);
void emit_steady_bwd(Comp *c, FILE *o, NodeId i, long aoff, const char *cnt);
/* 1 when some simulator is steady. */
int sim_any_steady(const Comp *c);

#endif
