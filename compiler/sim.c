/* sim.c -- grids and simulators: sema of 'grid' and 'sim' statements, the
 * lowering of their initial states and right-hand sides, the symbolic
 * partial derivatives the adjoint is emitted from, the samples s.u of a
 * simulator over point sets, and the stability check.
 *
 * Requires: the symbols declared so far (sema.c); sim.h describes the
 * representation.  Guarantees on success: every Grid has a domain and a
 * point set (its nodes); every Sim has a snapshot domain and point set,
 * fields whose init and rhs are IR over the grid's point set (or scalars)
 * built only from constants, coordinates, parameters and (rhs) the jets of
 * this sim's states up to order 2 -- no networks, data, noise, reductions or
 * other simulators -- and the list of trainables they read.  Errors are
 * located; a grid or sim whose declaration failed is declared with index -1
 * so that later uses are already-reported errors.
 *
 * Stability (a warning, never an error): frozen-coefficient von Neumann
 * analysis of each field's linearisation at the initial state.  At every
 * node the coefficients D_a = drhs/d(u_aa), A_a = drhs/d(u_a), B =
 * drhs/d(u_xy) and R = drhs/du (the symbolic partials, evaluated) give the
 * symbol of the discrete operator on a Fourier mode,
 *   lambda(theta) = sum_a [D_a (2 cos theta_a - 2) / h_a^2 + i A_a sin theta_a / h_a]
 *                   - B sin theta_x sin theta_y / (h_x h_y) + R
 *                   + sum_a [U_a (1 - e^{-i theta_a}) + V_a (e^{i theta_a} - 1)] / h_a
 * (U_a, V_a: drhs/d of upwind's backward and forward differences),
 * and the step is flagged where the stepper's amplification |P(dt lambda)|
 * (P(z) = 1 + z for Euler, 1 + z + z^2/2 + z^3/6 + z^4/24 for RK4) exceeds
 * max(1, |exp(dt lambda)|) by more than a factor 2^(dt / T), T = steps dt:
 * the scheme would amplify a mode, beyond the frozen equation's own growth,
 * by more than 2x over the run (so Euler's O(dt^2) excess on central
 * advection passes for short runs, a diffusion number past the stability
 * region never does).  Couplings between fields are ignored.  It runs
 * with the parameters' initial values, and with each bounded parameter at
 * each of its bounds (the others at their initial values); the warning
 * gives the largest stable dt found by bisection.
 */
#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "sema_int.h"
#include "sim.h"
#include "hyrt_api.h"

#define SIM_MAX_POINTS 50000000L   /* points of one set (sema_space.c's limit) */

static SimTab *simtab(Comp *c)
{
    if (!c->sim) c->sim = arena_alloc(&c->arena, sizeof *c->sim);
    return c->sim;
}

int sim_of_ps(const Comp *c, int ps)
{
    if (!c->sim || ps < 0) return -1;
    for (int i = 0; i < c->sim->nsims; i++)
        if (c->sim->sims[i].ps == ps) return i;
    return -1;
}

/* ---- grids ---- */

void decl_grid(Sema *s, const Stmt *st)
{
    const Expr *v = st->value;
    static const char *const kinds[] = {"periodic", "dirichlet", "neumann"};
    static const int bcs[] = {HY_SIM_PERIODIC, HY_SIM_DIRICHLET, HY_SIM_NEUMANN};
    int kind = -1;
    for (int k = 0; k < 3 && v->kind == EX_CALL; k++)
        if (strcmp(v->name, kinds[k]) == 0) kind = k;
    Sym *y = sym_declare(s, st, SYM_DOMAIN, -1);
    if (kind < 0) {
        ERR(v->loc, "expected a grid: periodic(x: a .. b, n N), dirichlet(..., value v) or neumann(...)");
        return;
    }
    static const char *const opts[] = {"n", "value", NULL};
    if (!check_opts(s, v, opts)) return;
    Grid g;
    memset(&g, 0, sizeof g);
    g.name = st->name;
    g.bc = bcs[kind];
    g.loc = st->loc;
    double a[2] = {0, 0}, b[2] = {0, 0};
    for (int i = 0; i < v->nargs; i++) {
        const Arg *ar = v->args[i];
        if (ar->kind == ARG_OPT) continue;
        if (ar->kind == ARG_EXPR && ar->e->kind == EX_BIN && ar->e->op == '-' && ar->e->lhs->kind == EX_NAME &&
            strcmp(ar->e->lhs->name, "n") == 0) {   /* 'n -4' parses as the difference n - 4 */
            ERR(ar->e->rhs->loc, "the number of nodes 'n' must be a positive count (at least %d)",
                g.bc == HY_SIM_PERIODIC ? 2 : 3);
            return;
        }
        if (ar->kind != ARG_RANGE) { ERR(ar->loc, "expected an axis range like 'x: 0 .. 1'"); return; }
        if (g.dim == 2) { ERR(ar->loc, "a grid has 1 or 2 axes"); return; }
        for (int k = 0; k < g.dim; k++)
            if (strcmp(g.coords[k], ar->name) == 0) { ERR(ar->loc, "axis '%s' given twice", ar->name); return; }
        if (strcmp(ar->name, "t") == 0) {
            ERR(ar->loc, "'t' is the simulators' time; name the grid's axes otherwise");
            return;
        }
        double lo = const_value(s, ar->e, "an axis bound"), hi = const_value(s, ar->e2, "an axis bound");
        if (isnan(lo) || isnan(hi)) return;
        if (!(lo < hi) || !isfinite(lo) || !isfinite(hi)) {
            ERR(ar->loc, "empty or invalid range %g .. %g for axis '%s' (need lo < hi)", lo, hi, ar->name);
            return;
        }
        g.coords[g.dim] = ar->name;
        a[g.dim] = lo;
        b[g.dim] = hi;
        g.dim++;
    }
    if (g.dim == 0) { ERR(v->loc, "a grid needs an axis: %s(x: 0 .. 1, n 64)", kinds[kind]); return; }
    const Arg *na = find_opt(v, "n");
    if (!na) { ERR(v->loc, "a grid needs its number of nodes: 'n N' (or one per axis: 'n N M')"); return; }
    if (na->nmore + 1 != 1 && na->nmore + 1 != g.dim) {
        ERR(na->loc, "'n' takes one count, or one per axis (%d)", g.dim);
        return;
    }
    long nmin = g.bc == HY_SIM_PERIODIC ? 2 : 3;
    for (int k = 0; k < g.dim; k++) {
        const Expr *ne = na->nmore && k ? na->more[k - 1] : na->e;
        long n = int_value(s, ne, "the number of nodes", nmin, 1L << 20);
        if (n < 0) return;
        g.n[k] = n;
    }
    if (g.dim == 2 && g.n[0] * g.n[1] > (1L << 22)) { ERR(na->loc, "too many nodes (at most 2^22)"); return; }
    g.n[1] = g.dim == 2 ? g.n[1] : 1;
    const Arg *va = find_opt(v, "value");
    if (va && g.bc != HY_SIM_DIRICHLET) { ERR(va->loc, "'value' belongs to dirichlet(...) grids"); return; }
    if (va) {
        g.bcval = const_value(s, va->e, "the boundary value");
        if (isnan(g.bcval)) return;
        if (!isfinite(g.bcval)) { ERR(va->e->loc, "the boundary value must be finite"); return; }
    }
    for (int k = 0; k < g.dim; k++) {
        g.h[k] = g.bc == HY_SIM_PERIODIC ? (b[k] - a[k]) / (double)g.n[k] : (b[k] - a[k]) / (double)(g.n[k] - 1);
        g.lo[k] = a[k];
        g.hi[k] = g.bc == HY_SIM_PERIODIC ? a[k] + (double)(g.n[k] - 1) * g.h[k] : b[k];
        double q = 1.0 / (g.h[k] * g.h[k]);   /* the stencils' weights must be finite numbers */
        if (!isfinite(g.h[k]) || !isfinite(g.hi[k]) || !isfinite(q) || !(q > 0)) {
            ERR(v->loc, "the spacing %g of grid '%s' along '%s' is out of range: its stencils (1/h^2) would not be finite "
                "numbers", g.h[k], st->name, g.coords[k]);
            return;
        }
    }
    Domain d;
    memset(&d, 0, sizeof d);
    d.name = st->name;
    d.kind = DOM_BOX;
    d.dim = g.dim;
    for (int k = 0; k < g.dim; k++) {
        d.coords[k] = g.coords[k];
        d.lo[k] = g.lo[k];
        d.hi[k] = g.hi[k];
    }
    d.mesh = g.h[0];
    d.ps = -1;
    d.loc = st->loc;
    g.domain = sema_add_domain(s, &d);
    long N = g.n[0] * g.n[1];
    g.ps = sema_new_pointset(s, st->name, g.domain, PS_MESH, (int)N, st->loc);
    PointSet *p = &s->c->psets[g.ps];
    for (int k = 0; k < g.dim; k++) p->counts[k] = (int)g.n[k];
    s->c->domains[g.domain].ps = g.ps;
    SimTab *t = simtab(s->c);
    *GROW(t->grids, t->ngrids) = g;
    if (y) y->index = g.domain;
}

static int grid_of_domain(const Comp *c, int d)
{
    for (int i = 0; c->sim && i < c->sim->ngrids; i++)
        if (c->sim->grids[i].domain == d) return i;
    return -1;
}

/* ---- simulators ---- */

/* Checks that the nodes reachable from root are allowed in an initial state
 * (states == 0) or a right-hand side of sim `sim`.  Reports at loc. */
static int check_expr(Sema *s, NodeId root, int sim, int states, Loc loc, const char *what)
{
    Comp *c = s->c;
    uint32_t nn = c->ir.nnodes;
    uint8_t *mark = calloc(nn ? nn : 1, 1);
    if (!mark) HY_ICE("out of memory");
    mark[root] = 1;
    int ok = 1;
    for (NodeId i = root + 1; i-- > 0 && ok;) {
        if (!mark[i]) continue;
        const Node *nd = &c->ir.nodes[i];
        switch (nd->op) {
        case OP_NETOUT: {
            const Call *cl = &c->ir.calls[nd->a];
            if (cl->net >= 0) {
                if (states)
                    ERR(loc, "%s cannot use a network ('%s') in an expression: a network right-hand side is the "
                        "whole equation, dt(STATE) = %s(STATES)", what, c->trs[cl->net].name, c->trs[cl->net].name);
                else
                    ERR(loc, "%s cannot use a network ('%s')", what, c->trs[cl->net].name);
                ok = 0;
            } else if (!states || SIM_OF_NET(cl->net) != sim) {
                ERR(loc, "%s cannot use the states%s", what, states ? " of another simulator" : "");
                ok = 0;
            }
            continue;   /* its arguments are the grid's coordinates */
        }
        case OP_DATA: case OP_NOISE:
            ERR(loc, "%s cannot use data or noise: only coordinates, constants, parameters%s", what,
                states ? " and the states" : "");
            ok = 0;
            continue;
        case OP_MEAN: case OP_SUM: case OP_MAXR:
            ERR(loc, "%s is pointwise: no mean, sum, max or integral over the grid", what);
            ok = 0;
            continue;
        case OP_SIM:
            ERR(loc, "%s cannot use a simulator's values", what);
            ok = 0;
            continue;
        case OP_WEIGHT:
            ERR(loc, "%s cannot use adaptive loss weights", what);
            ok = 0;
            continue;
        case OP_CONST: case OP_COORD: case OP_PARAM:
            continue;
        case OP_ADD: case OP_SUB: case OP_MUL: case OP_DIV: case OP_POW: case OP_NEG: case OP_SIN: case OP_COS:
        case OP_EXP: case OP_LOG: case OP_TANH: case OP_SQRT: case OP_ABS: case OP_SIGN: case OP_STOP:
        case OP_ATAN: case OP_ASIN: case OP_ATAN2:
        case OP_LT: case OP_LE: case OP_SEL: case OP_SELN:
            if (nd->a != NO_NODE) mark[nd->a] = 1;
            if (nd->b != NO_NODE) mark[nd->b] = 1;
            continue;
        case OP_COUNT:
            break;
        }
        HY_ICE("sim: bad op");
    }
    free(mark);
    return ok;
}

/* Adds the trainables (parameters) reachable from root to sm->deps. */
static void collect_deps(Comp *c, Sim *sm, NodeId root, int *is_init)
{
    uint32_t nn = c->ir.nnodes;
    uint8_t *mark = calloc(nn ? nn : 1, 1);
    if (!mark) HY_ICE("out of memory");
    mark[root] = 1;
    for (NodeId i = root + 1; i-- > 0;) {
        if (!mark[i]) continue;
        const Node *nd = &c->ir.nodes[i];
        if (nd->op == OP_PARAM) {
            int have = 0;
            for (int k = 0; k < sm->ndeps; k++) have |= sm->deps[k] == (int)nd->aux;
            if (!have) sm->deps[sm->ndeps++] = (int)nd->aux;
            if (is_init) *is_init = 1;
            continue;
        }
        if (nd->op == OP_NETOUT || nd->op == OP_CONST || nd->op == OP_COORD) continue;
        if (nd->a != NO_NODE) mark[nd->a] = 1;
        if (nd->b != NO_NODE) mark[nd->b] = 1;
    }
    free(mark);
}

static void stability(Sema *s, Sim *sm);

/* The NETOUT and PARAM nodes reachable from roots, ascending: jets into
 * out[0 .. *nj), then parameters after them; returns the total. */
static int leaves(Comp *c, const NodeId *roots, int nroots, NodeId *out, int *nj)
{
    uint32_t nn = c->ir.nnodes;
    uint8_t *mark = calloc(nn ? nn : 1, 1);
    if (!mark) HY_ICE("out of memory");
    for (int r = 0; r < nroots; r++) mark[roots[r]] = 1;
    for (NodeId i = nn; i-- > 0;) {
        if (!mark[i]) continue;
        const Node *nd = &c->ir.nodes[i];
        if (nd->op == OP_NETOUT || nd->op == OP_CONST || nd->op == OP_COORD || nd->op == OP_PARAM) continue;
        if (nd->a != NO_NODE) mark[nd->a] = 1;
        if (nd->b != NO_NODE) mark[nd->b] = 1;
    }
    int n = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (NodeId i = 0; i < nn; i++)
            if (mark[i] && c->ir.nodes[i].op == (pass ? OP_PARAM : OP_NETOUT)) out[n++] = i;
        if (!pass) *nj = n;
    }
    free(mark);
    return n;
}

/* d(root_f)/d(leaf_l) for every f, l into part[f * nl + l]. */
static void partials(Comp *c, const NodeId *roots, int nf, const NodeId *leaf, int nl, NodeId *part)
{
    uint32_t nmemo = c->ir.nnodes;
    NodeId *memo = malloc(sizeof(NodeId) * (nmemo ? nmemo : 1));
    if (!memo) HY_ICE("out of memory");
    for (int f = 0; f < nf; f++)
        for (int l = 0; l < nl; l++) {
            for (uint32_t q = 0; q < nmemo; q++) memo[q] = NO_NODE;
            part[f * nl + l] = sim_partial(c, roots[f], leaf[l], memo, nmemo);
        }
    free(memo);
}

/* Fills the leaves and partials of sm (see sim.h). */
static void build_partials(Comp *c, Sim *sm)
{
    NodeId roots[64];
    uint32_t cap = c->ir.nnodes + 1;
    for (int f = 0; f < sm->nf; f++) roots[f] = sm->f[f].rhs;
    NodeId *tmp = malloc(sizeof(NodeId) * cap);
    if (!tmp) HY_ICE("out of memory");
    sm->nleaf = leaves(c, roots, sm->nf, tmp, &sm->njet);
    sm->leaf = arena_alloc(&c->arena, sizeof(NodeId) * (size_t)(sm->nleaf + 1));
    memcpy(sm->leaf, tmp, sizeof(NodeId) * (size_t)sm->nleaf);
    sm->part = arena_alloc(&c->arena, sizeof(NodeId) * (size_t)(sm->nf * sm->nleaf + 1));
    partials(c, roots, sm->nf, sm->leaf, sm->nleaf, sm->part);
    for (int f = 0; f < sm->nf; f++) roots[f] = sm->f[f].init;
    int nj = 0;
    int n = leaves(c, roots, sm->nf, tmp, &nj);   /* initial states have no jets */
    sm->nileaf = n - nj;
    sm->ileaf = arena_alloc(&c->arena, sizeof(NodeId) * (size_t)(sm->nileaf + 1));
    memcpy(sm->ileaf, tmp + nj, sizeof(NodeId) * (size_t)sm->nileaf);
    sm->ipart = arena_alloc(&c->arena, sizeof(NodeId) * (size_t)(sm->nf * sm->nileaf + 1));
    partials(c, roots, sm->nf, sm->ileaf, sm->nileaf, sm->ipart);
    free(tmp);
}

static double opt_num(Sema *s, const Stmt *step, const char *name, double def, int *found)
{
    for (int i = 0; i < step->nopts; i++)
        if (strcmp(step->opts[i]->name, name) == 0) {
            *found = 1;
            return const_value(s, step->opts[i]->e, name);
        }
    *found = 0;
    return def;
}

/* An equation dt(STATE) = NET(states) (a rollout network, runtime/rollout.c):
 * returns 0 when e is not a call of a network, 1 when accepted (sm's
 * rollout fields set, f->rhs the constant 0), -1 after a located error. */
static int rollout_eqn(Sema *s, Sim *sm, const Grid *g, const Expr *e, SimField *f)
{
    Comp *c = s->c;
    if (e->kind != EX_CALL) return 0;
    Sym *y = sym_lookup(s, e->name);
    if (!y || y->kind != SYM_NET) return 0;
    if (y->index < 0) return -1;   /* its declaration failed (reported) */
    char list[256] = "";
    for (int k = 0; k < sm->nf; k++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", k ? ", " : "", sm->f[k].name);
    int ok = e->nargs == sm->nf;
    for (int k = 0; ok && k < e->nargs; k++)
        ok = e->args[k]->kind == ARG_EXPR && e->args[k]->e->kind == EX_NAME && strcmp(e->args[k]->e->name, sm->f[k].name) == 0;
    if (!ok) {
        ERR(e->loc, "a network right-hand side takes every state, in the declared order: %s(%s)", e->name, list);
        return -1;
    }
    if (sm->rollout && sm->rnet != y->index) {
        ERR(e->loc, "every equation of simulator '%s' must use the same network ('%s')", sm->name, c->trs[sm->rnet].name);
        return -1;
    }
    const Trainable *t = &c->trs[y->index];
    const long N = g->n[0] * g->n[1];
    int radius = -2;
    if ((long)t->din == sm->nf * N && (long)t->dout == sm->nf * N) radius = -1;
    for (int r = 0; radius == -2 && t->dout == sm->nf && r < 32; r++) {
        long K = g->dim == 1 ? 2 * r + 1 : (2L * r + 1) * (2L * r + 1);
        if (sm->nf * K == t->din && r < g->n[0] && r < g->n[1 % g->dim]) radius = r;
    }
    if (radius == -2) {
        char loc[160];
        snprintf(loc, sizeof loc, "%d (2r + 1)%s -> %d (a stencil of radius r: %s)", sm->nf, g->dim == 2 ? "^2" : "", sm->nf,
                 g->dim == 2 ? "9, 25, 49, ..." : "3, 5, 7, ...");
        ERR(e->loc, "network '%s' is %d -> %d, but a right-hand side on grid '%s' (%ld nodes, %d state%s) needs %ld -> %ld "
            "(the whole state) or %s", t->name, t->din, t->dout, g->name, N, sm->nf, sm->nf == 1 ? "" : "s",
            sm->nf * N, sm->nf * N, loc);
        return -1;
    }
    sm->rollout = 1;
    sm->rnet = y->index;
    sm->rradius = radius;
    f->rhs = ir_const(&c->ir, 0);
    return 1;
}

/* The first call of a declared network in e, below e itself when root (a
 * network inside a right-hand side expression), or NULL. */
static const Expr *inner_net_call(Sema *s, const Expr *e, int root)
{
    if (!e) return NULL;
    if (!root && e->kind == EX_CALL) {
        Sym *y = sym_lookup(s, e->name);
        if (y && y->kind == SYM_NET) return e;
    }
    const Expr *r = inner_net_call(s, e->lhs, 0);
    if (!r) r = inner_net_call(s, e->rhs, 0);
    for (int i = 0; !r && (e->kind == EX_CALL || e->kind == EX_LIST) && i < e->nargs; i++)
        if (e->args[i]) r = inner_net_call(s, e->args[i]->e, 0);
    return r;
}

void decl_sim(Sema *s, const Stmt *st)
{
    Comp *c = s->c;
    for (const Stmt *b = st->body; b; b = b->next)
        if (b->kind == ST_SIMSTEP && strcmp(b->name, "steady") == 0) { decl_steady(s, st); return; }
    Sym *y = sym_declare(s, st, SYM_POINTS, -1);
    Sym *gy = sym_lookup(s, st->on);
    int gi = gy && gy->kind == SYM_DOMAIN && gy->index >= 0 ? grid_of_domain(c, gy->index) : -1;
    if (gy && gy->kind == SYM_DOMAIN && gy->index < 0 && gy->st->kind == ST_GRID) return;   /* reported */
    if (gi < 0) {
        if (gy && gy->kind == SYM_DOMAIN) ERR(st->on_loc, "'%s' is a domain, not a grid: declare 'grid %s = periodic(...)'",
                                              st->on, st->on);
        else if (gy) ERR(st->on_loc, "'%s' is a %s, not a grid", st->on, sym_kind_name[gy->kind]);
        else ERR(st->on_loc, "unknown grid '%s'", st->on);
        return;
    }
    const Grid *g = &c->sim->grids[gi];
    Sim sm;
    memset(&sm, 0, sizeof sm);
    sm.name = st->name;
    sm.grid = gi;
    sm.loc = st->loc;
    int nst = 0;
    const Stmt *step = NULL;
    for (const Stmt *b = st->body; b; b = b->next) {
        if (b->kind == ST_STATE) nst++;
        if (b->kind == ST_SIMSTEP) {
            if (step) { ERR(b->loc, "a simulator has one 'step' line"); return; }
            step = b;
        }
    }
    if (!nst) { ERR(st->loc, "simulator '%s' has no state: 'state u = ...'", st->name); return; }
    if (nst > 64) { ERR(st->loc, "too many states (at most 64)"); return; }
    if (!step) { ERR(st->loc, "simulator '%s' needs a 'step rk4 dt DT steps S' line", st->name); return; }
    int sim = c->sim->nsims;
    int simidx_ok = 1;
    sm.f = arena_alloc(&c->arena, (size_t)nst * sizeof *sm.f);
    NodeId coords[2];
    for (int k = 0; k < g->dim; k++) coords[k] = ir_leaf(&c->ir, OP_COORD, g->ps, (uint32_t)k, 0, st->loc);
    /* states: pseudo calls and initial values */
    for (const Stmt *b = st->body; b; b = b->next) {
        if (b->kind != ST_STATE) continue;
        for (int k = 0; k < sm.nf; k++)
            if (strcmp(sm.f[k].name, b->name) == 0) { ERR(b->name_loc, "state '%s' declared twice", b->name); return; }
        SimField *f = &sm.f[sm.nf];
        f->name = b->name;
        f->loc = b->loc;
        f->call = ir_call(&c->ir, SIM_NET(sim, sm.nf), g->dim, coords);
        f->state = ir_netout(&c->ir, f->call, 0, 0, b->name_loc);
        f->rhs = NO_NODE;
        Ctx cx = {g->ps, NULL, 0, 0, 0};
        f->init = lower(s, b->value, &cx);
        if (f->init == NO_NODE || !check_expr(s, f->init, sim, 0, b->value->loc, "an initial state")) simidx_ok = 0;
        sm.nf++;
    }
    /* the step line */
    if (strcmp(step->name, "rk4") == 0) sm.method = HY_SIM_RK4;
    else if (strcmp(step->name, "euler") == 0) sm.method = HY_SIM_EULER;
    else { ERR(step->name_loc, "unknown time stepper '%s' (expected euler or rk4)", step->name); return; }
    sm.step_loc = step->loc;
    for (int i = 0; i < step->nopts; i++) {
        const char *on = step->opts[i]->name;
        if (strcmp(on, "dt") && strcmp(on, "steps") && strcmp(on, "save every")) {
            ERR(step->opts[i]->loc, "unknown option '%s' of step (expected dt, steps, save every)", on);
            return;
        }
        for (int j = 0; j < i; j++)
            if (strcmp(step->opts[j]->name, on) == 0) { ERR(step->opts[i]->loc, "option '%s' given twice", on); return; }
    }
    int fdt, fst, fsv;
    sm.dt = opt_num(s, step, "dt", NAN, &fdt);
    double steps = opt_num(s, step, "steps", NAN, &fst);
    double save = opt_num(s, step, "save every", steps, &fsv);
    if (!fdt) { ERR(step->loc, "the step needs its time step: 'dt DT'"); return; }
    if (!fst) { ERR(step->loc, "the step needs its number of steps: 'steps S'"); return; }
    if (isnan(sm.dt) || isnan(steps) || isnan(save)) return;
    if (!(sm.dt > 0) || !isfinite(sm.dt)) { ERR(step->loc, "dt must be > 0"); return; }
    if (steps != floor(steps) || steps < 1 || steps > 1e9) { ERR(step->loc, "steps must be an integer in 1 .. 1e9"); return; }
    if (save != floor(save) || save < 1 || save > steps) {
        ERR(step->loc, "'save every K' needs an integer 1 <= K <= steps (%g)", steps);
        return;
    }
    sm.steps = (long)steps;
    sm.save = (long)save;
    sm.nsnap = sm.steps / sm.save;
    long N = g->n[0] * g->n[1];
    if ((double)N * (double)sm.nsnap > (double)SIM_MAX_POINTS) {
        ERR(step->loc, "%ld snapshots of %ld nodes are too many points (at most %ld): save less often", sm.nsnap, N,
            (long)SIM_MAX_POINTS);
        return;
    }
    /* equations dt(u) = rhs: every state bound in the scope */
    Scope *scope = NULL;
    for (int k = 0; k < sm.nf; k++) {
        Scope *b = arena_alloc(&c->arena, sizeof *b);
        b->name = sm.f[k].name;
        b->node = sm.f[k].state;
        b->next = scope;
        scope = b;
    }
    int nroll = 0;
    for (const Stmt *b = st->body; b; b = b->next) {
        if (b->kind != ST_EQN) continue;
        const Expr *lhs = b->value;
        if (strcmp(lhs->name, "dt") != 0 || lhs->nargs != 1 || lhs->args[0]->kind != ARG_EXPR ||
            lhs->args[0]->e->kind != EX_NAME) {
            ERR(lhs->loc, "an equation reads 'dt(STATE) = right-hand side'");
            simidx_ok = 0;
            continue;
        }
        const char *un = lhs->args[0]->e->name;
        int k = -1;
        for (int q = 0; q < sm.nf; q++)
            if (strcmp(sm.f[q].name, un) == 0) k = q;
        if (k < 0) { ERR(lhs->args[0]->loc, "'%s' is not a state of simulator '%s'", un, st->name); simidx_ok = 0; continue; }
        if (sm.f[k].rhs != NO_NODE) { ERR(b->loc, "a second equation for state '%s'", un); simidx_ok = 0; continue; }
        int re = rollout_eqn(s, &sm, g, b->bound, &sm.f[k]);
        if (re) { simidx_ok &= re > 0; nroll += re > 0; continue; }
        const Expr *inner = inner_net_call(s, b->bound, 1);
        if (inner) {   /* said before lowering, which would only see the call's arity */
            ERR(b->bound->loc, "a right-hand side cannot use a network ('%s') in an expression: a network right-hand "
                "side is the whole equation, dt(STATE) = %s(STATES)", inner->name, inner->name);
            simidx_ok = 0;
            continue;
        }
        Ctx cx = {g->ps, scope, 0, 0, 0};
        NodeId r = lower(s, b->bound, &cx);
        if (r == NO_NODE || !check_expr(s, r, sim, 1, b->bound->loc, "a right-hand side")) { simidx_ok = 0; continue; }
        sm.f[k].rhs = r;
    }
    if (simidx_ok && nroll && nroll < sm.nf) {
        ERR(st->loc, "simulator '%s' mixes a network right-hand side with others: with dt(u) = %s(...), every "
            "equation must be one", st->name, c->trs[sm.rnet].name);
        simidx_ok = 0;
    }
    for (int k = 0; k < sm.nf && simidx_ok; k++)
        if (sm.f[k].rhs == NO_NODE) {
            ERR(sm.f[k].loc, "state '%s' has no equation: 'dt(%s) = ...'", sm.f[k].name, sm.f[k].name);
            simidx_ok = 0;
        }
    if (!simidx_ok) return;
    /* dependencies */
    sm.deps = arena_alloc(&c->arena, (size_t)(c->ntrs + 1) * sizeof *sm.deps);
    for (int k = 0; k < sm.nf; k++) {
        collect_deps(c, &sm, sm.f[k].rhs, NULL);
        collect_deps(c, &sm, sm.f[k].init, &sm.init_deps);
    }
    if (sm.rollout) sm.deps[sm.ndeps++] = sm.rnet;
    /* the snapshot set: grid nodes x times t_1 .. t_nsnap */
    Domain d;
    memset(&d, 0, sizeof d);
    d.name = st->name;
    d.kind = DOM_BOX;
    d.dim = g->dim + 1;
    for (int k = 0; k < g->dim; k++) {
        d.coords[k] = g->coords[k];
        d.lo[k] = g->lo[k];
        d.hi[k] = g->hi[k];
    }
    d.coords[g->dim] = "t";
    d.lo[g->dim] = (double)sm.save * sm.dt;
    d.hi[g->dim] = (double)(sm.nsnap * sm.save) * sm.dt;
    d.ps = -1;
    d.loc = st->loc;
    sm.domain = sema_add_domain(s, &d);
    sm.ps = sema_new_pointset(s, st->name, sm.domain, PS_MESH, (int)(N * sm.nsnap), st->loc);
    PointSet *p = &c->psets[sm.ps];
    for (int k = 0; k < g->dim; k++) p->counts[k] = (int)g->n[k];
    p->counts[g->dim] = (int)sm.nsnap;
    c->domains[sm.domain].ps = sm.ps;
    build_partials(c, &sm);
    SimTab *t = simtab(c);
    *GROW(t->sims, t->nsims) = sm;
    if (y) y->index = sm.ps;
    if (!sm.rollout) stability(s, &t->sims[sim]);   /* a network's growth is what it learns */
}

/* ---- upwind(c, dx(u)) ---- */

NodeId sim_upwind(Sema *s, const Expr *e, Ctx *cx)
{
    Comp *c = s->c;
    Ir *ir = &c->ir;
    if (e->nargs != 2 || e->args[0]->kind != ARG_EXPR || e->args[1]->kind != ARG_EXPR) {
        ERR(e->loc, "'upwind' takes 2 arguments: upwind(velocity, dx(STATE)) in a simulator's right-hand side");
        return NO_NODE;
    }
    NodeId vel = lower(s, e->args[0]->e, cx);
    NodeId d = lower(s, e->args[1]->e, cx);
    if (vel == NO_NODE || d == NO_NODE) return NO_NODE;
    const Node *dn = &ir->nodes[d];
    uint32_t code = dn->op == OP_NETOUT ? dn->aux : 0;
    if (dn->op != OP_NETOUT || ir->calls[dn->a].net >= 0 || code == 0 || code > 0xff) {
        ERR(e->args[1]->loc, "the second argument of 'upwind' must be a first derivative of a simulator's state, "
                             "like dx(u) or dy(u), inside its right-hand side");
        return NO_NODE;
    }
    Loc L = e->loc;
    NodeId back = ir_netout(ir, (int)dn->a, 0, SIM_UPWIND_BACK | code, L);
    NodeId fwd = ir_netout(ir, (int)dn->a, 0, SIM_UPWIND_FWD | code, L);
    NodeId pos = ir_binary(ir, OP_LT, ir_const(ir, 0), vel, L);   /* velocity > 0: the upstream side is behind */
    NodeId a = ir_binary(ir, OP_SEL, pos, ir_binary(ir, OP_MUL, vel, back, L), L);
    NodeId b = ir_binary(ir, OP_SELN, pos, ir_binary(ir, OP_MUL, vel, fwd, L), L);
    return ir_binary(ir, OP_ADD, a, b, L);
}

/* ---- samples: s.u over a point set ---- */

static const char *coord_list(Comp *c, const Domain *d)
{
    char buf[256] = "";
    for (int k = 0; k < d->dim; k++)
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", k ? ", " : "", d->coords[k]);
    return arena_strdup(&c->arena, buf);
}

int sim_member(Sema *s, int ps, const Expr *e, Ctx *cx, NodeId *out)
{
    Comp *c = s->c;
    int si = sim_of_ps(c, ps);
    if (si < 0) return 0;
    *out = NO_NODE;
    const Sim *sm = &c->sim->sims[si];
    const Grid *g = &c->sim->grids[sm->grid];
    const char *tc = sm->steady ? "" : ", t";   /* a steady sim has no time */
    int f = -1;
    for (int k = 0; k < sm->nf; k++)
        if (strcmp(sm->f[k].name, e->name) == 0) f = k;
    if (f < 0) {
        char list[256] = "";
        for (int k = 0; k < sm->nf; k++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", k ? ", " : "", sm->f[k].name);
        ERR(e->loc, "simulator '%s' has no state '%s' (its states: %s)", sm->name, e->name, list);
        return 1;
    }
    if (cx->ps < 0 || cx->closed) {
        ERR(e->loc, "'%s.%s' needs a point set: 'over %s' (its %s) or points with coordinates %s%s", sm->name,
            e->name, sm->name, sm->steady ? "nodes" : "snapshots", coord_list(c, &c->domains[g->domain]), tc);
        return 1;
    }
    SimSample smp;
    memset(&smp, 0, sizeof smp);
    smp.sim = si;
    smp.field = f;
    smp.ps = cx->ps;
    smp.direct = cx->ps == sm->ps;
    if (!smp.direct) {
        const PointSet *p = &c->psets[cx->ps];
        const Domain *d = &c->domains[p->domain];
        for (int k = 0; k <= g->dim - sm->steady; k++) {
            const char *want = k < g->dim ? g->coords[k] : "t";
            smp.coord[k] = -1;
            for (int q = 0; q < d->dim; q++)
                if (strcmp(d->coords[q], want) == 0) smp.coord[k] = q;
            if (smp.coord[k] < 0) {
                ERR(e->loc, "'%s.%s' is interpolated at points with coordinates %s%s, but '%s' has %s", sm->name, e->name,
                    coord_list(c, &c->domains[g->domain]), tc, p->name, coord_list(c, d));
                return 1;
            }
            double lo = p->kind == PS_LINSPACE ? p->lo : d->lo[smp.coord[k]];
            double hi = p->kind == PS_LINSPACE ? p->hi : d->hi[smp.coord[k]];
            double wlo = k < g->dim ? g->lo[k] : 0, whi = k < g->dim ? g->hi[k] : (double)sm->steps * sm->dt;
            if (k < g->dim && g->bc == HY_SIM_PERIODIC) continue;   /* wraps */
            double tol = 1e-9 * (whi - wlo);
            if (lo < wlo - tol || hi > whi + tol) {
                ERR(e->loc, "'%s' reaches %s = %g .. %g, outside %s [%g, %g]", p->name, want, lo, hi,
                    k < g->dim ? "the grid" : "the simulated times", wlo, whi);
                return 1;
            }
        }
    }
    SimTab *t = c->sim;
    int idx = -1;
    for (int i = 0; i < t->nsamples; i++)
        if (t->samples[i].sim == si && t->samples[i].field == f && t->samples[i].ps == cx->ps) idx = i;
    if (idx < 0) {
        *GROW(t->samples, t->nsamples) = smp;
        idx = t->nsamples - 1;
    }
    *out = ir_leaf(&c->ir, OP_SIM, cx->ps, (uint32_t)idx, 0, e->loc);
    return 1;
}

void sim_sample_deps(const Comp *c, uint32_t aux, uint8_t *tr)
{
    const Sim *sm = &c->sim->sims[c->sim->samples[aux].sim];
    for (int k = 0; k < sm->ndeps; k++) tr[sm->deps[k]] = 1;
}

int sim_sample_dep(const Comp *c, uint32_t aux, const uint8_t *upd)
{
    const Sim *sm = &c->sim->sims[c->sim->samples[aux].sim];
    for (int k = 0; k < sm->ndeps; k++)
        if (upd[sm->deps[k]]) return 1;
    return 0;
}

/* ---- symbolic partial derivatives ---- */

NodeId sim_partial(Comp *c, NodeId n, NodeId leaf, NodeId *memo, uint32_t nmemo)
{
    Ir *ir = &c->ir;
    if (n == leaf) return ir_const(ir, 1);
    if (n < nmemo && memo[n] != NO_NODE) return memo[n];
    Node nd = ir->nodes[n];   /* copy: the array may move */
    Loc L = nd.loc;
    NodeId r = NO_NODE, da = NO_NODE, db = NO_NODE;
#define PA() (da = sim_partial(c, nd.a, leaf, memo, nmemo))
#define PB() (db = sim_partial(c, nd.b, leaf, memo, nmemo))
#define C(v) ir_const(ir, (v))
#define ADD(x, y) ir_binary(ir, OP_ADD, (x), (y), L)
#define SUB(x, y) ir_binary(ir, OP_SUB, (x), (y), L)
#define MUL(x, y) ir_binary(ir, OP_MUL, (x), (y), L)
#define DIV(x, y) ir_binary(ir, OP_DIV, (x), (y), L)
#define UN(op, x) ir_unary(ir, op, (x), L)
    switch (nd.op) {
    case OP_CONST: case OP_COORD: case OP_PARAM: case OP_NETOUT: case OP_NOISE: case OP_DATA: case OP_SIM:
    case OP_WEIGHT:
        r = C(0); break;                                   /* other leaves */
    case OP_ADD: PA(); PB(); r = ADD(da, db); break;
    case OP_SUB: PA(); PB(); r = SUB(da, db); break;
    case OP_MUL: PA(); PB(); r = ADD(MUL(da, nd.b), MUL(nd.a, db)); break;
    case OP_DIV: PA(); PB(); r = DIV(SUB(da, MUL(n, db)), nd.b); break;
    case OP_POW: PA(); PB();
        if (ir_is_const(ir, db, 0)) r = MUL(MUL(nd.b, ir_binary(ir, OP_POW, nd.a, SUB(nd.b, C(1)), L)), da);
        else r = MUL(n, ADD(MUL(db, UN(OP_LOG, nd.a)), DIV(MUL(nd.b, da), nd.a)));
        break;
    case OP_NEG: PA(); r = UN(OP_NEG, da); break;
    case OP_SIN: PA(); r = MUL(UN(OP_COS, nd.a), da); break;
    case OP_COS: PA(); r = UN(OP_NEG, MUL(UN(OP_SIN, nd.a), da)); break;
    case OP_EXP: PA(); r = MUL(n, da); break;
    case OP_LOG: PA(); r = DIV(da, nd.a); break;
    case OP_TANH: PA(); r = MUL(SUB(C(1), MUL(n, n)), da); break;
    case OP_SQRT: PA(); r = DIV(da, MUL(C(2), n)); break;
    case OP_ATAN: PA(); r = DIV(da, ADD(C(1), MUL(nd.a, nd.a))); break;
    case OP_ASIN: PA(); r = DIV(da, UN(OP_SQRT, SUB(C(1), MUL(nd.a, nd.a)))); break;
    case OP_ATAN2: PA(); PB(); r = DIV(SUB(MUL(nd.b, da), MUL(nd.a, db)), ADD(MUL(nd.a, nd.a), MUL(nd.b, nd.b))); break;
    case OP_ABS: PA(); r = MUL(UN(OP_SIGN, nd.a), da); break;
    case OP_SIGN: case OP_STOP: case OP_LT: case OP_LE: r = C(0); break;   /* no gradient */
    case OP_SEL: case OP_SELN: PB(); r = ir_binary(ir, nd.op, nd.a, db, L); break;
    case OP_MEAN: case OP_SUM: case OP_MAXR: case OP_COUNT:
        HY_ICE("sim_partial: op %s in a simulator expression", op_name(nd.op));
    }
#undef PA
#undef PB
#undef C
#undef ADD
#undef SUB
#undef MUL
#undef DIV
#undef UN
    if (n < nmemo) memo[n] = r;
    return r;
}

/* ---- stability ---- */

/* Values of the nodes needed for roots, at one node of the grid. */
typedef struct Interp {
    Comp *c;
    NodeId *order;      /* nodes to evaluate, ascending */
    uint32_t norder;
    double *v;          /* [nnodes] */
} Interp;

static void interp_init(Interp *it, Comp *c, const NodeId *roots, int nroots)
{
    uint32_t nn = c->ir.nnodes;
    uint8_t *mark = calloc(nn ? nn : 1, 1);
    it->c = c;
    it->order = malloc(sizeof(NodeId) * (nn ? nn : 1));
    it->v = calloc(nn ? nn : 1, sizeof(double));
    if (!mark || !it->order || !it->v) HY_ICE("out of memory");
    for (int r = 0; r < nroots; r++) mark[roots[r]] = 1;
    for (NodeId i = nn; i-- > 0;) {
        if (!mark[i]) continue;
        const Node *nd = &c->ir.nodes[i];
        if (nd->op == OP_NETOUT || nd->op == OP_CONST || nd->op == OP_COORD || nd->op == OP_PARAM) continue;
        if (nd->a != NO_NODE) mark[nd->a] = 1;
        if (nd->b != NO_NODE) mark[nd->b] = 1;
    }
    it->norder = 0;
    for (NodeId i = 0; i < nn; i++)
        if (mark[i]) it->order[it->norder++] = i;
    free(mark);
}

static void interp_free(Interp *it) { free(it->order); free(it->v); }

/* Evaluates every node in order: leaves from X (grid coordinates at the
 * node), P (parameter values by trainable) and jet(call, code). */
static void interp_run(Interp *it, const double *x, const double *P, double (*jet)(void *, int, uint32_t), void *ud)
{
    const Ir *ir = &it->c->ir;
    double *v = it->v;
    for (uint32_t q = 0; q < it->norder; q++) {
        NodeId i = it->order[q];
        const Node *nd = &ir->nodes[i];
        double a = nd->a != NO_NODE && nd->op != OP_NETOUT ? v[nd->a] : 0;
        double b = nd->b != NO_NODE && nd->op != OP_NETOUT ? v[nd->b] : 0;
        double r = 0;
        switch (nd->op) {
        case OP_CONST: r = nd->num; break;
        case OP_COORD: r = x[nd->aux]; break;
        case OP_PARAM: r = P[nd->aux]; break;
        case OP_NETOUT: r = jet(ud, (int)nd->a, nd->aux); break;
        case OP_ADD: r = a + b; break;
        case OP_SUB: r = a - b; break;
        case OP_MUL: r = a * b; break;
        case OP_DIV: r = a / b; break;
        case OP_POW: r = pow(a, b); break;
        case OP_NEG: r = -a; break;
        case OP_SIN: r = sin(a); break;
        case OP_COS: r = cos(a); break;
        case OP_EXP: r = exp(a); break;
        case OP_LOG: r = log(a); break;
        case OP_TANH: r = tanh(a); break;
        case OP_SQRT: r = sqrt(a); break;
        case OP_ATAN: r = atan(a); break;
        case OP_ASIN: r = asin(a); break;
        case OP_ATAN2: r = atan2(a, b); break;
        case OP_ABS: r = fabs(a); break;
        case OP_SIGN: r = (a > 0) - (a < 0); break;
        case OP_STOP: r = a; break;
        case OP_LT: r = a < b; break;
        case OP_LE: r = a <= b; break;
        case OP_SEL: r = a != 0 ? b : 0; break;
        case OP_SELN: r = a != 0 ? 0 : b; break;
        case OP_NOISE: case OP_DATA: case OP_MEAN: case OP_SUM: case OP_MAXR: case OP_SIM: case OP_WEIGHT:
        case OP_COUNT:
            HY_ICE("sim: cannot evaluate %s", op_name(nd->op));
        }
        v[i] = r;
    }
}

/* Neighbour index on one axis under the grid's boundaries (runtime/sim.c's rule). */
static long axis_nb(long ix, int d, long n, int bc)
{
    long j = ix + d;
    if (bc == HY_SIM_PERIODIC) return (j % n + n) % n;
    if (bc == HY_SIM_NEUMANN) return j < 0 ? 1 : j >= n ? n - 2 : j;
    return j < 0 ? 0 : j >= n ? n - 1 : j;
}

int sim_stencil(const Grid *g, uint32_t code, int *off, double *w)
{
    /* offsets as (dx, dy) -> index o (runtime/sim.c): 1-D dx + 1, 2-D (dx + 1) * 3 + dy + 1 */
#define O(dx, dy) (g->dim == 1 ? (dx) + 1 : ((dx) + 1) * 3 + (dy) + 1)
    int ax = (int)(code & 0xff) - 1, ay = (int)((code >> 8) & 0xff) - 1;
    if (code == 0) { off[0] = O(0, 0); w[0] = 1; return 1; }
    if ((code & ~0xffu) == SIM_UPWIND_BACK || (code & ~0xffu) == SIM_UPWIND_FWD) {   /* one-sided d/da */
        if (ax < 0 || ax >= g->dim) return -1;
        int sx = ax == 0, sy = ax == 1, fwd = (code & ~0xffu) == SIM_UPWIND_FWD;
        off[0] = fwd ? O(sx, sy) : O(0, 0); w[0] = 1.0 / g->h[ax];     /* (u(+e) - u) / h */
        off[1] = fwd ? O(0, 0) : O(-sx, -sy); w[1] = -1.0 / g->h[ax];  /* (u - u(-e)) / h */
        return 2;
    }
    if (code > 0xffff || ax < 0 || ax >= g->dim || (code > 0xff && (ay < 0 || ay >= g->dim))) return -1;
    int ex[2] = {ax == 0, ax == 1}, ey[2] = {ay == 0, ay == 1};
    if (code <= 0xff) {                  /* d/da: (u(+e) - u(-e)) / 2h */
        off[0] = O(ex[0], ex[1]); w[0] = 0.5 / g->h[ax];
        off[1] = O(-ex[0], -ex[1]); w[1] = -0.5 / g->h[ax];
        return 2;
    }
    if (ax == ay) {                      /* d2/da2: (u(+e) - 2u + u(-e)) / h^2 */
        double q = 1.0 / (g->h[ax] * g->h[ax]);
        off[0] = O(ex[0], ex[1]); w[0] = q;
        off[1] = O(0, 0); w[1] = -2 * q;
        off[2] = O(-ex[0], -ex[1]); w[2] = q;
        return 3;
    }
    (void)ey;                            /* d2/dxdy: (u(+,+) - u(+,-) - u(-,+) + u(-,-)) / 4 hx hy */
    double q = 0.25 / (g->h[0] * g->h[1]);
    off[0] = O(1, 1); w[0] = q;
    off[1] = O(1, -1); w[1] = -q;
    off[2] = O(-1, 1); w[2] = -q;
    off[3] = O(-1, -1); w[3] = q;
    return 4;
#undef O
}

typedef struct StabCtx {
    const Grid *g;
    const Sim *sm;
    const double *U0;   /* [nf][N] */
    long i;             /* current node */
} StabCtx;

static double stab_jet(void *ud, int call, uint32_t code)
{
    StabCtx *sc = ud;
    const Grid *g = sc->g;
    const long N = g->n[0] * g->n[1];
    int f = -1;
    for (int k = 0; k < sc->sm->nf; k++)
        if (sc->sm->f[k].call == call) f = k;
    if (f < 0) HY_ICE("sim: jet of an unknown state");
    int off[4];
    double w[4];
    int m = sim_stencil(g, code, off, w);
    if (m < 0) HY_ICE("sim: no stencil for jet 0x%x", code);
    long ix = sc->i / g->n[1], iy = sc->i % g->n[1];
    double r = 0;
    for (int q = 0; q < m; q++) {
        int dx = g->dim == 1 ? off[q] - 1 : off[q] / 3 - 1, dy = g->dim == 1 ? 0 : off[q] % 3 - 1;
        long j = axis_nb(ix, dx, g->n[0], g->bc) * g->n[1] + (g->dim == 2 ? axis_nb(iy, dy, g->n[1], g->bc) : 0);
        r += w[q] * sc->U0[(long)f * N + j];
    }
    return r;
}

static double complex amplification(int method, double complex z)
{
    if (method == HY_SIM_EULER) return 1 + z;
    return 1 + z * (1 + z * (0.5 + z * (1.0 / 6 + z / 24)));
}

/* Per node and field: D_x, D_y, A_x, A_y, B, R (see the header), and the
 * coefficients of upwind's one-sided differences: backward and forward, per axis. */
enum { CO_DX, CO_DY, CO_AX, CO_AY, CO_B, CO_R, CO_BX, CO_FX, CO_BY, CO_FY, CO_N };

/* 1 when dt is stable for every coefficient set over a run of duration T;
 * *worst gets the largest excess amplification and *at its index.  With
 * first_only, stops at the first unstable set (the verdict is the same;
 * *worst and *at are then that set's, not the worst).  A mode whose squared
 * amplification is below allow^2 (1 - 1e-12) passes without cabs: its cabs
 * (within 1 ulp) is then below allow, so verdicts equal the plain check's. */
static int stable_at(const Grid *g, int method, double dt, double T, const double *co, long ncoef, double *worst,
                     long *at, int first_only)
{
    enum { NT = 32 };
    const double allow = pow(2.0, dt / T);   /* spurious growth of at most 2x over the run */
    double cx[NT + 1], sx[NT + 1], cy[NT + 1], sy[NT + 1];   /* theta_x = pi a / NT, theta_y = 2 pi b / NT */
    for (int a = 0; a <= NT; a++) {
        cx[a] = cos(M_PI * a / NT);
        sx[a] = sin(M_PI * a / NT);
        cy[a] = cos(2 * M_PI * (a - NT / 2) / NT);
        sy[a] = sin(2 * M_PI * (a - NT / 2) / NT);
    }
    if (g->dim == 1) { cy[0] = 1; sy[0] = 0; }
    const int nb = g->dim == 2 ? NT + 1 : 1;
    const double allow2 = allow * allow * (1 - 1e-12);
    *worst = 0;
    *at = -1;
    for (long j = 0; j < ncoef; j++) {
        const double *k = co + j * CO_N;
        if (j > 0 && memcmp(k, k - CO_N, sizeof(double) * CO_N) == 0) continue;   /* same as the node before */
        double complex ly[NT + 1], uy[NT + 1];   /* the y-parts of lambda that do not depend on theta_x */
        for (int b = 0; b < nb && g->dim == 2; b++) {
            ly[b] = k[CO_DY] * (2 * cy[b] - 2) / (g->h[1] * g->h[1]) + I * k[CO_AY] * sy[b] / g->h[1];
            uy[b] = (k[CO_BY] * (1 - cy[b] + I * sy[b]) + k[CO_FY] * (cy[b] - 1 + I * sy[b])) / g->h[1];
        }
        for (int a = 0; a <= NT; a++) {
            double complex lamx = k[CO_DX] * (2 * cx[a] - 2) / (g->h[0] * g->h[0]) + I * k[CO_AX] * sx[a] / g->h[0] + k[CO_R];
            lamx += (k[CO_BX] * (1 - cx[a] + I * sx[a]) + k[CO_FX] * (cx[a] - 1 + I * sx[a])) / g->h[0];
            for (int b = 0; b < nb; b++) {
                double complex lam = lamx;
                if (g->dim == 2)   /* B = 0: the term is +-0, dropping it changes at most the sign of a zero */
                    lam += k[CO_B] == 0 ? ly[b] + uy[b] : ly[b] - k[CO_B] * sx[a] * sy[b] / (g->h[0] * g->h[1]) + uy[b];
                double complex z = dt * lam;
                double complex p = amplification(method, z);
                if (creal(p) * creal(p) + cimag(p) * cimag(p) <= allow2) continue;
                double amp = cabs(p);
                if (amp <= allow) continue;   /* within the allowance whatever the equation's own growth */
                double ref = fmax(1.0, exp(creal(z)));
                double ex = amp - ref;
                if (!(amp <= allow * ref)) {
                    if (!(ex <= *worst)) { *worst = isnan(ex) ? INFINITY : ex; *at = j; }
                    if (first_only) return 0;
                }
            }
        }
    }
    return *at < 0;
}

/* The coefficients at every checked node for parameter values P; returns
 * the count (nodes x fields) or -1 when the initial state is not finite. */
static long coefficients(Comp *c, const Sim *sm, const double *P, double *co, long *node_of, int *field_of, long stride)
{
    const Grid *g = &c->sim->grids[sm->grid];
    const long N = g->n[0] * g->n[1];
    double *U0 = malloc(sizeof(double) * (size_t)(N * sm->nf));
    if (!U0) HY_ICE("out of memory");
    double x[2];
    for (int f = 0; f < sm->nf; f++) {   /* the initial state */
        Interp it;
        interp_init(&it, c, &sm->f[f].init, 1);
        for (long i = 0; i < N; i++) {
            long ix = i / g->n[1], iy = i % g->n[1];
            x[0] = g->lo[0] + g->h[0] * (double)ix;
            x[1] = g->dim == 2 ? g->lo[1] + g->h[1] * (double)iy : 0;
            interp_run(&it, x, P, NULL, NULL);
            double v = it.v[sm->f[f].init];
            int edge = ix == 0 || ix == g->n[0] - 1 || (g->dim == 2 && (iy == 0 || iy == g->n[1] - 1));
            if (g->bc == HY_SIM_DIRICHLET && edge) v = g->bcval;
            U0[(long)f * N + i] = v;
        }
        interp_free(&it);
    }
    for (long j = 0; j < N * sm->nf; j++)
        if (!isfinite(U0[j])) { free(U0); return -1; }
    long ncoef = 0;
    StabCtx sc = {g, sm, U0, 0};
    for (int f = 0; f < sm->nf; f++) {
        /* partial nodes of rhs_f by its own jets */
        static const uint32_t codes[CO_N] = {0x0101, 0x0202, 0x01, 0x02, 0x0201, 0, SIM_UPWIND_BACK | 1,
                                             SIM_UPWIND_FWD | 1, SIM_UPWIND_BACK | 2, SIM_UPWIND_FWD | 2};
        NodeId parts[CO_N];
        uint32_t nmemo = c->ir.nnodes;
        NodeId *memo = malloc(sizeof(NodeId) * nmemo);
        if (!memo) HY_ICE("out of memory");
        for (int k = 0; k < CO_N; k++) {
            parts[k] = ir_const(&c->ir, 0);
            if (g->dim == 1 && (k == CO_DY || k == CO_AY || k == CO_B || k == CO_BY || k == CO_FY)) continue;
            if (k >= CO_BX) {   /* upwind jets: only those the right-hand sides use */
                int used = 0;
                for (int l = 0; l < sm->njet; l++)
                    used |= c->ir.nodes[sm->leaf[l]].aux == codes[k] && (int)c->ir.nodes[sm->leaf[l]].a == sm->f[f].call;
                if (!used) continue;
            }
            NodeId leaf = ir_netout(&c->ir, sm->f[f].call, 0, codes[k], sm->loc);
            for (uint32_t q = 0; q < nmemo; q++) memo[q] = NO_NODE;
            parts[k] = sim_partial(c, sm->f[f].rhs, leaf, memo, nmemo);
        }
        free(memo);
        Interp it;
        interp_init(&it, c, parts, CO_N);
        for (long i = 0; i < N; i += stride) {
            long ix = i / g->n[1], iy = i % g->n[1];
            int edge = ix == 0 || ix == g->n[0] - 1 || (g->dim == 2 && (iy == 0 || iy == g->n[1] - 1));
            if (g->bc == HY_SIM_DIRICHLET && edge) continue;
            x[0] = g->lo[0] + g->h[0] * (double)ix;
            x[1] = g->dim == 2 ? g->lo[1] + g->h[1] * (double)iy : 0;
            sc.i = i;
            interp_run(&it, x, P, stab_jet, &sc);
            for (int k = 0; k < CO_N; k++) co[ncoef * CO_N + k] = it.v[parts[k]];
            node_of[ncoef] = i;
            field_of[ncoef] = f;
            ncoef++;
        }
        interp_free(&it);
    }
    free(U0);
    return ncoef;
}

/* Largest stable dt <= dt0 by bisection (0 if even tiny steps fail). */
static double max_stable_dt(const Grid *g, int method, double dt0, double T, const double *co, long ncoef)
{
    double lo = 0, hi = dt0, w;
    long at;
    for (int it = 0; it < 40; it++) {
        double mid = 0.5 * (lo + hi);
        if (stable_at(g, method, mid, T, co, ncoef, &w, &at, 1)) lo = mid;
        else hi = mid;
    }
    return lo;
}

static void stability(Sema *s, Sim *sm)
{
    Comp *c = s->c;
    const Grid *g = &c->sim->grids[sm->grid];
    const long N = g->n[0] * g->n[1];
    long stride = N > 4096 ? (N + 4095) / 4096 : 1;
    long cap = (N / stride + 1) * sm->nf;
    double *co = malloc(sizeof(double) * (size_t)(cap * CO_N));
    long *node_of = malloc(sizeof(long) * (size_t)cap);
    int *field_of = malloc(sizeof(int) * (size_t)cap);
    double *P = calloc((size_t)c->ntrs + 1, sizeof(double));
    if (!co || !node_of || !field_of || !P) HY_ICE("out of memory");
    for (int t = 0; t < c->ntrs; t++) P[t] = c->trs[t].kind == TR_SCALAR ? c->trs[t].init : 0;
    static const char *const mname[] = {"Euler", "RK4"};
    const double T = (double)sm->steps * sm->dt;
    int warned = 0;
    /* variant 0: initial values; then each bounded dependency at lo, hi */
    for (int v = 0; v <= 2 * sm->ndeps; v++) {
        int t = v ? sm->deps[(v - 1) / 2] : -1;
        if (v && !c->trs[t].has_bounds) continue;
        double saved = t >= 0 ? P[t] : 0;
        if (t >= 0) P[t] = (v - 1) % 2 ? c->trs[t].hi : c->trs[t].lo;
        long nco = coefficients(c, sm, P, co, node_of, field_of, stride);
        double w;
        long at;
        if (nco >= 0 && !stable_at(g, sm->method, sm->dt, T, co, nco, &w, &at, 0)) {
            warned = 1;
            long i = node_of[at];
            const double *k = co + at * CO_N;
            double dtmax = max_stable_dt(g, sm->method, sm->dt, T, co, nco);
            char where[96];
            if (g->dim == 1) snprintf(where, sizeof where, "%s = %.4g", g->coords[0], g->lo[0] + g->h[0] * (double)(i / g->n[1]));
            else snprintf(where, sizeof where, "(%s, %s) = (%.4g, %.4g)", g->coords[0], g->coords[1],
                          g->lo[0] + g->h[0] * (double)(i / g->n[1]), g->lo[1] + g->h[1] * (double)(i % g->n[1]));
            double dn = sm->dt * (fabs(k[CO_DX]) / (g->h[0] * g->h[0]) + (g->dim == 2 ? fabs(k[CO_DY]) / (g->h[1] * g->h[1]) : 0));
            double cn = sm->dt * ((fabs(k[CO_AX]) + fabs(k[CO_BX]) + fabs(k[CO_FX])) / g->h[0] +
                                  (g->dim == 2 ? (fabs(k[CO_AY]) + fabs(k[CO_BY]) + fabs(k[CO_FY])) / g->h[1] : 0));
            char with[160] = "";
            if (t >= 0)
                snprintf(with, sizeof with, " with %s = %g (its %s bound)", c->trs[t].name, P[t], (v - 1) % 2 ? "upper" : "lower");
            int finite = 1;
            for (int q = 0; q < CO_N; q++) finite &= isfinite(k[q]) != 0;
            if (!finite) {
                diag_warning(&c->diag, sm->step_loc,
                             "simulator '%s': the coefficients of the equation of state '%s' are not finite at %s%s, "
                             "so its stability cannot be judged",
                             sm->name, sm->f[field_of[at]].name, where, t >= 0 ? with : " at the start values");
                break;
            }
            diag_warning(&c->diag, sm->step_loc,
                         "simulator '%s' may be unstable%s: %s with dt = %g amplifies a Fourier mode of state '%s' at %s "
                         "(diffusion number %.3g, Courant number %.3g); dt <= %.3g would be stable",
                         sm->name, with, mname[sm->method], sm->dt, sm->f[field_of[at]].name, where, dn, cn, dtmax);
        }
        if (t >= 0) P[t] = saved;
        if (warned) break;   /* one warning per simulator */
    }
    free(co);
    free(node_of);
    free(field_of);
    free(P);
}
