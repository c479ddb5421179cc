/* steady.c -- steady simulators: sema and C of a 'sim' block whose step
 * line is 'step steady',
 *
 *   sim NAME on GRID {
 *       state u = EXPR              (unused by the linear solve; write 0)
 *       step steady
 *       diffusion(u) = KAPPA        default 1
 *       reaction(u) = ETA           default 0
 *       source(u) = F               default 0
 *   }
 *
 * which solves -div(KAPPA grad u) + ETA u = F on a dirichlet or neumann
 * grid (runtime/steady.c: discretisation, solver, adjoint).  F may read the
 * state's value (not its derivatives): a nonlinear problem, solved by
 * Newton's method with dF/du (symbolic, coef[3]).
 *
 * Requires: the grid is declared (sim.c); decl_sim hands the statement
 * over.  Guarantees on success: a Sim with steady = 1, one field (the
 * state's name), coef[0..2] IR over the grid's point set (or scalars) of
 * coordinates, constants and parameters (and, in the source only, the
 * state's value: coef[3] = dF/du), deps = the
 * trainables the coefficients read, leaf = their PARAM nodes (njet 0) and
 * part[k * nleaf + l] = d(coef[k])/d(leaf[l]) from sim_partial (symbolic);
 * a point set of the sim's name: the grid's nodes (coordinates: the
 * grid's).  Emitted per steady sim S (after HYK_NOCONTRACT is defined):
 *   hyk_steadyS_coef      F[k N + i] = coef[k] at node i, k = 0 .. 3 (U: the state)
 *   hyk_steadyS_coef_adj  G[hyk_po[p]] += sum_k<3 sum_i W[k N + i] d(coef[k])/dp at U
 * (the runtime's K and Kb; the names are those emit_sim.c uses, which the
 * front-end fuzzer's identifier check knows)
 * and its setup registers a placeholder hy_sim (so the time-stepping
 * simulators keep their runtime ids = compiler indices) and hy_steady.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "sema_int.h"
#include "sim.h"
#include "hyrt_api.h"

static const char *const coef_name[3] = {"diffusion", "reaction", "source"};

int sim_any_steady(const Comp *c)
{
    for (int i = 0; c->sim && i < c->sim->nsims; i++)
        if (c->sim->sims[i].steady) return 1;
    return 0;
}

/* 1 if the DAG under root holds only coordinates, constants, parameters and
 * pointwise operations; else reports at loc and returns 0. */
static int check_coef(Sema *s, NodeId root, int sim, int allow_state, Loc loc, const char *what)
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
        case OP_CONST: case OP_COORD: case OP_PARAM:
            continue;
        case OP_NETOUT: {
            const Call *cl = &c->ir.calls[nd->a];
            if (cl->net >= 0)
                ERR(loc, "%s cannot use a network ('%s'): a steady simulator's coefficients are fields of the "
                         "coordinates and parameters", what, c->trs[cl->net].name);
            else if (SIM_OF_NET(cl->net) == sim && allow_state && nd->aux == 0)
                continue;   /* the state's value in the source: Newton */
            else if (SIM_OF_NET(cl->net) == sim && allow_state)
                ERR(loc, "%s can read the state's value, not its derivatives", what);
            else if (SIM_OF_NET(cl->net) == sim)
                ERR(loc, "%s cannot depend on the state: only source(u) can (a nonlinear term, "
                         "solved by Newton's method)", what);
            else
                ERR(loc, "%s cannot use another simulator's states", what);
            ok = 0;
            continue;
        }
        case OP_DATA: case OP_NOISE:
            ERR(loc, "%s cannot use data or noise: only coordinates, constants and parameters", what);
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
        default:
            if (nd->a == NO_NODE) {   /* another leaf (an adaptive loss weight, ...) */
                ERR(loc, "%s cannot use '%s': only coordinates, constants and parameters", what, op_name(nd->op));
                ok = 0;
                continue;
            }
            if (nd->a != NO_NODE) mark[nd->a] = 1;
            if (nd->b != NO_NODE) mark[nd->b] = 1;
            continue;
        }
    }
    free(mark);
    return ok;
}

/* The PARAM nodes under roots, ascending, into out; returns the count. */
static int param_leaves(Comp *c, const NodeId *roots, int nroots, NodeId *out)
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
    for (NodeId i = 0; i < nn; i++)
        if (mark[i] && c->ir.nodes[i].op == OP_PARAM) out[n++] = i;
    free(mark);
    return n;
}

void decl_steady(Sema *s, const Stmt *st)
{
    Comp *c = s->c;
    Sym *y = sym_declare(s, st, SYM_POINTS, -1);
    Sym *gy = sym_lookup(s, st->on);
    int gi = -1;
    if (gy && gy->kind == SYM_DOMAIN && gy->index >= 0)
        for (int i = 0; c->sim && i < c->sim->ngrids; i++)
            if (c->sim->grids[i].domain == gy->index) gi = i;
    if (gy && gy->kind == SYM_DOMAIN && gy->index < 0 && gy->st->kind == ST_GRID) return;   /* reported */
    if (gi < 0) {
        if (gy && gy->kind == SYM_DOMAIN)
            ERR(st->on_loc, "'%s' is a domain, not a grid: declare 'grid %s = dirichlet(...)'", st->on, st->on);
        else if (gy) ERR(st->on_loc, "'%s' is a %s, not a grid", st->on, sym_kind_name[gy->kind]);
        else ERR(st->on_loc, "unknown grid '%s'", st->on);
        return;
    }
    const Grid *g = &c->sim->grids[gi];
    if (g->bc == HY_SIM_PERIODIC) {
        ERR(st->on_loc, "a steady simulator needs a dirichlet(...) or neumann(...) grid; '%s' is periodic", st->on);
        return;
    }
    const Stmt *state = NULL, *step = NULL;
    for (const Stmt *b = st->body; b; b = b->next) {
        if (b->kind == ST_STATE) {
            if (state) { ERR(b->loc, "a steady simulator has one state"); return; }
            state = b;
        }
        if (b->kind == ST_SIMSTEP) {
            if (step) { ERR(b->loc, "a simulator has one 'step' line"); return; }
            step = b;
        }
    }
    if (!state) { ERR(st->loc, "simulator '%s' has no state: 'state u = 0'", st->name); return; }
    if (step->nopts) {
        ERR(step->opts[0]->loc, "'step steady' takes no options (the solve is direct)");
        return;
    }
    /* unknowns and band: the banded factor must fit (kd + 1) nu doubles, LU 3x that */
    long mx = g->n[0] - (g->bc == HY_SIM_DIRICHLET ? 2 : 0);
    long my = g->dim == 2 ? g->n[1] - (g->bc == HY_SIM_DIRICHLET ? 2 : 0) : 1;
    double band = (double)mx * (double)my * (double)(g->dim == 2 ? my + 1 : 2);
    if (band > (double)(1L << 26)) {
        ERR(st->on_loc, "grid '%s' is too large for the banded solver: %ld x %ld unknowns need %.0f MiB "
                        "(at most 512); use fewer nodes along the last axis", st->on, mx, my, band * 8 / (1 << 20));
        return;
    }
    int sim = c->sim->nsims;
    Sim sm;
    memset(&sm, 0, sizeof sm);
    sm.name = st->name;
    sm.grid = gi;
    sm.loc = st->loc;
    sm.step_loc = step->loc;
    sm.steady = 1;
    sm.f = arena_alloc(&c->arena, sizeof *sm.f);
    sm.nf = 1;
    SimField *f = &sm.f[0];
    f->name = state->name;
    f->loc = state->loc;
    NodeId coords[2];
    for (int k = 0; k < g->dim; k++) coords[k] = ir_leaf(&c->ir, OP_COORD, g->ps, (uint32_t)k, 0, st->loc);
    f->call = ir_call(&c->ir, SIM_NET(sim, 0), g->dim, coords);
    f->state = ir_netout(&c->ir, f->call, 0, 0, state->name_loc);
    f->rhs = NO_NODE;
    int ok = 1;
    Ctx cx0 = {g->ps, NULL, 0, 0, 0};
    f->init = lower(s, state->value, &cx0);
    if (f->init == NO_NODE || !check_coef(s, f->init, sim, 0, state->value->loc, "the state's expression")) ok = 0;
    Scope *scope = arena_alloc(&c->arena, sizeof *scope);
    scope->name = f->name;
    scope->node = f->state;
    scope->next = NULL;
    for (int k = 0; k < 3; k++) sm.coef[k] = NO_NODE;
    for (const Stmt *b = st->body; b; b = b->next) {
        if (b->kind != ST_EQN) continue;
        const Expr *lhs = b->value;
        int k = -1;
        for (int q = 0; q < 3; q++)
            if (strcmp(lhs->name, coef_name[q]) == 0) k = q;
        if (k < 0 || lhs->nargs != 1 || lhs->args[0]->kind != ARG_EXPR || lhs->args[0]->e->kind != EX_NAME ||
            strcmp(lhs->args[0]->e->name, f->name) != 0) {
            ERR(lhs->loc, "a steady simulator's lines read 'diffusion(%s) = ...', 'reaction(%s) = ...' or "
                          "'source(%s) = ...'", f->name, f->name, f->name);
            ok = 0;
            continue;
        }
        if (sm.coef[k] != NO_NODE) { ERR(b->loc, "a second '%s' line", coef_name[k]); ok = 0; continue; }
        Ctx cx = {g->ps, scope, 0, 0, 0};
        NodeId r = lower(s, b->bound, &cx);
        char what[64];
        snprintf(what, sizeof what, "the %s coefficient", coef_name[k]);
        if (r == NO_NODE || !check_coef(s, r, sim, k == 2, b->bound->loc, what)) { ok = 0; continue; }
        sm.coef[k] = r;
    }
    if (!ok) return;
    for (int k = 0; k < 3; k++)
        if (sm.coef[k] == NO_NODE) sm.coef[k] = ir_const(&c->ir, k == 0 ? 1.0 : 0.0);
    {   /* dF/du (0: linear) */
        uint32_t nm = c->ir.nnodes;
        NodeId *mm = malloc(sizeof(NodeId) * (nm ? nm : 1));
        if (!mm) HY_ICE("out of memory");
        for (uint32_t q = 0; q < nm; q++) mm[q] = NO_NODE;
        sm.coef[3] = sim_partial(c, sm.coef[2], f->state, mm, nm);
        free(mm);
    }
    /* parameters, their symbolic partials */
    uint32_t cap = c->ir.nnodes + 1;
    NodeId *tmp = malloc(sizeof(NodeId) * cap);
    if (!tmp) HY_ICE("out of memory");
    sm.nleaf = param_leaves(c, sm.coef, 3, tmp);
    sm.njet = 0;
    sm.leaf = arena_alloc(&c->arena, sizeof(NodeId) * (size_t)(sm.nleaf + 1));
    memcpy(sm.leaf, tmp, sizeof(NodeId) * (size_t)sm.nleaf);
    free(tmp);
    sm.deps = arena_alloc(&c->arena, (size_t)(c->ntrs + 1) * sizeof *sm.deps);
    for (int l = 0; l < sm.nleaf; l++) sm.deps[sm.ndeps++] = (int)c->ir.nodes[sm.leaf[l]].aux;
    sm.part = arena_alloc(&c->arena, sizeof(NodeId) * (size_t)(3 * sm.nleaf + 1));
    uint32_t nmemo = c->ir.nnodes;
    NodeId *memo = malloc(sizeof(NodeId) * (nmemo ? nmemo : 1));
    if (!memo) HY_ICE("out of memory");
    for (int k = 0; k < 3; k++)
        for (int l = 0; l < sm.nleaf; l++) {
            for (uint32_t q = 0; q < nmemo; q++) memo[q] = NO_NODE;
            sm.part[k * sm.nleaf + l] = sim_partial(c, sm.coef[k], sm.leaf[l], memo, nmemo);
        }
    free(memo);
    /* the point set of the solution: the grid's nodes */
    Domain d;
    memset(&d, 0, sizeof d);
    d.name = st->name;
    d.kind = DOM_BOX;
    d.dim = g->dim;
    for (int k = 0; k < g->dim; k++) {
        d.coords[k] = g->coords[k];
        d.lo[k] = g->lo[k];
        d.hi[k] = g->hi[k];
    }
    d.mesh = g->h[0];
    d.ps = -1;
    d.loc = st->loc;
    sm.domain = sema_add_domain(s, &d);
    long N = g->n[0] * g->n[1];
    sm.ps = sema_new_pointset(s, st->name, sm.domain, PS_MESH, (int)N, st->loc);
    PointSet *p = &c->psets[sm.ps];
    for (int k = 0; k < g->dim; k++) p->counts[k] = (int)g->n[k];
    c->domains[sm.domain].ps = sm.ps;
    SimTab *t = c->sim;
    *GROW(t->sims, t->nsims) = sm;
    if (y) y->index = sm.ps;
}

/* ---- C ---- */

typedef struct KEmit {
    Comp *c;
    FILE *o;
    uint8_t *need;
} KEmit;

/* v as C: a double literal, or a constant expression for a non-finite value
 * (the printf form 'inf' is no C). */
static void c_double(char *buf, size_t len, double v)
{
    if (isfinite(v)) snprintf(buf, len, "%.17g", v);
    else snprintf(buf, len, "%s", isnan(v) ? "(0.0 / 0.0)" : v > 0 ? "(1.0 / 0.0)" : "(-1.0 / 0.0)");
}

static const char *kref(KEmit *e, NodeId i, char *buf, size_t len)
{
    const Node *nd = &e->c->ir.nodes[i];
    switch (nd->op) {
    case OP_CONST: c_double(buf, len, nd->num); break;
    case OP_PARAM: snprintf(buf, len, "P[hyk_po[%u]]", nd->aux); break;
    case OP_COORD: snprintf(buf, len, "X[%u * N + i]", nd->aux); break;
    case OP_NETOUT: snprintf(buf, len, "U[i]"); break;   /* the state's value (check_coef) */
    case OP_STOP: return kref(e, nd->a, buf, len);
    default: snprintf(buf, len, "t%u", i); break;
    }
    return buf;
}

static void kmark(KEmit *e, const NodeId *roots, int nroots)
{
    uint32_t nn = e->c->ir.nnodes;
    free(e->need);
    e->need = calloc(nn ? nn : 1, 1);
    if (!e->need) HY_ICE("out of memory");
    for (int r = 0; r < nroots; r++) e->need[roots[r]] = 1;
    for (NodeId i = nn; i-- > 0;) {
        if (!e->need[i]) continue;
        const Node *nd = &e->c->ir.nodes[i];
        if (nd->op == OP_CONST || nd->op == OP_COORD || nd->op == OP_PARAM || nd->op == OP_NETOUT) continue;
        if (nd->a != NO_NODE) e->need[nd->a] = 1;
        if (nd->b != NO_NODE) e->need[nd->b] = 1;
    }
}

/* The statements of the marked non-leaf nodes: scalar ones (pointwise 0) or
 * pointwise ones. */
static void knodes(KEmit *e, int pointwise, const char *ind)
{
    FILE *o = e->o;
    for (NodeId i = 0; i < e->c->ir.nnodes; i++) {
        if (!e->need[i]) continue;
        const Node *nd = &e->c->ir.nodes[i];
        if ((nd->ps >= 0) != pointwise) continue;
        char A[64] = "", B[64] = "", R[64];
        if (nd->a != NO_NODE) kref(e, nd->a, A, sizeof A);
        if (nd->b != NO_NODE) kref(e, nd->b, B, sizeof B);
        kref(e, i, R, sizeof R);
        switch (nd->op) {
        case OP_CONST: case OP_COORD: case OP_PARAM: case OP_STOP: case OP_NETOUT: break;
        case OP_ADD: fprintf(o, "%sconst double %s = %s + %s;\n", ind, R, A, B); break;
        case OP_SUB: fprintf(o, "%sconst double %s = %s - %s;\n", ind, R, A, B); break;
        case OP_MUL: fprintf(o, "%sconst double %s = %s * %s;\n", ind, R, A, B); break;
        case OP_DIV:   /* two constants only where folding refused (x / 0): a double division, never C's integer one */
            fprintf(o, "%sconst double %s = %s%s / %s;\n", ind, R, e->c->ir.nodes[nd->a].op == OP_CONST &&
                    e->c->ir.nodes[nd->b].op == OP_CONST ? "(double)" : "", A, B);
            break;
        case OP_POW: fprintf(o, "%sconst double %s = hy_pow(%s, %s);\n", ind, R, A, B); break;
        case OP_NEG: fprintf(o, "%sconst double %s = -(%s);\n", ind, R, A); break;
        case OP_ABS: fprintf(o, "%sconst double %s = hy_fabs(%s);\n", ind, R, A); break;
        case OP_SIGN: fprintf(o, "%sconst double %s = (double)((%s > 0) - (%s < 0));\n", ind, R, A, A); break;
        case OP_LT: fprintf(o, "%sconst double %s = (double)(%s < %s);\n", ind, R, A, B); break;
        case OP_LE: fprintf(o, "%sconst double %s = (double)(%s <= %s);\n", ind, R, A, B); break;
        case OP_SEL: fprintf(o, "%sconst double %s = %s != 0 ? %s : 0.0;\n", ind, R, A, B); break;
        case OP_SELN: fprintf(o, "%sconst double %s = %s != 0 ? 0.0 : %s;\n", ind, R, A, B); break;
        default:   /* the elementary functions: the runtime's hy_NAME (sin ... sqrt, atan, asin, atan2) */
            if (nd->b == NO_NODE) fprintf(o, "%sconst double %s = hy_%s(%s);\n", ind, R, op_name(nd->op), A);
            else fprintf(o, "%sconst double %s = hy_%s(%s, %s);\n", ind, R, op_name(nd->op), A, B);
            break;
        }
    }
}

void emit_steady_functions(Comp *c, FILE *o, int s)
{
    const Sim *sm = &c->sim->sims[s];
    KEmit e = {c, o, NULL};
    char R[64];
    /* coefficients */
    kmark(&e, sm->coef, 4);
    fprintf(o, "\n/* steady simulator %s: -div(kappa grad u) + eta u = f(u); kappa, eta, f, df/du at every node */\n",
            sm->name);
    fprintf(o, "HYK_NOCONTRACT static void hyk_steady%d_coef(HyCtx *c, const double *X, const double *U, double *F, long N)\n"
               "{\n", s);
    fprintf(o, "    const double *P = hy_params(c);\n    long i;\n    (void)P; (void)X; (void)U;\n");
    knodes(&e, 0, "    ");
    fprintf(o, "    for (i = 0; i < N; i++) {\n");
    knodes(&e, 1, "        ");
    for (int k = 0; k < 4; k++) {
        const Node *rn = &c->ir.nodes[sm->coef[k]];
        if (rn->loc.line > 0) fprintf(o, "#line %d \"%s\"\n", rn->loc.line, c->diag.file);
        fprintf(o, "        F[%d * N + i] = %s;   /* %s */\n", k, kref(&e, sm->coef[k], R, sizeof R),
                k < 3 ? coef_name[k] : "d(source)/du");
    }
    fprintf(o, "    }\n}\n");
    /* their parameter adjoint */
    const int nl = sm->nleaf;
    NodeId *roots = malloc(sizeof(NodeId) * (size_t)(3 * nl + 1));
    if (!roots) HY_ICE("out of memory");
    int nr = 0;
    for (int q = 0; q < 3 * nl; q++)
        if (!ir_is_const(&c->ir, sm->part[q], 0)) roots[nr++] = sm->part[q];
    kmark(&e, roots, nr);
    free(roots);
    fprintf(o, "\n/* steady simulator %s: G += (dF/dp)^T W */\n", sm->name);
    fprintf(o, "HYK_NOCONTRACT static void hyk_steady%d_coef_adj(HyCtx *c, const double *X, const double *U, "
               "const double *W, double *G, long N)\n{\n", s);
    fprintf(o, "    const double *P = hy_params(c);\n    long i;\n    (void)P; (void)X; (void)U; (void)W; (void)G;\n");
    for (int l = 0; l < nl; l++) fprintf(o, "    double g%d = 0;\n", l);
    knodes(&e, 0, "    ");
    fprintf(o, "    for (i = 0; i < N; i++) {\n");
    knodes(&e, 1, "        ");
    for (int l = 0; l < nl; l++) {
        int any = 0;
        for (int k = 0; k < 3; k++) any |= !ir_is_const(&c->ir, sm->part[k * nl + l], 0);
        if (!any) continue;
        fprintf(o, "        g%d +=", l);
        int first = 1;
        for (int k = 0; k < 3; k++) {
            if (ir_is_const(&c->ir, sm->part[k * nl + l], 0)) continue;
            fprintf(o, "%s W[%d * N + i] * %s", first ? "" : " +", k, kref(&e, sm->part[k * nl + l], R, sizeof R));
            first = 0;
        }
        fprintf(o, ";\n");
    }
    fprintf(o, "    }\n");
    for (int l = 0; l < nl; l++) {
        uint32_t t = c->ir.nodes[sm->leaf[l]].aux;
        fprintf(o, "    G[hyk_po[%u]] += g%d;   /* %s */\n", t, l, c->trs[t].name);
    }
    fprintf(o, "}\n");
    free(e.need);
}

void emit_steady_setup(Comp *c, FILE *o, int s)
{
    const Sim *sm = &c->sim->sims[s];
    const Grid *g = &c->sim->grids[sm->grid];
    const char *bc = g->bc == HY_SIM_DIRICHLET ? "HY_SIM_DIRICHLET" : "HY_SIM_NEUMANN";
    fprintf(o, "    /* steady simulator %s on %s: %ld nodes, banded direct solve */\n", sm->name, g->name,
            g->n[0] * g->n[1]);
    fprintf(o, "    { static const long n[] = {%ld, %ld};\n", g->n[0], g->n[1]);
    fprintf(o, "      static const double lo[] = {%.17g, %.17g}, hi[] = {%.17g, %.17g}, h[] = {%.17g, %.17g};\n",
            g->lo[0], g->lo[1], g->hi[0], g->hi[1], g->h[0], g->h[1]);
    fprintf(o, "      hy_sim(c, \"%s\", %d, n, lo, hi, h, %s, %.17g, 1);   /* keeps the simulator ids */\n", sm->name,
            g->dim, bc, g->bcval);
    fprintf(o, "      hy_steady(c, %d, \"%s\", %d, n, lo, hi, h, %s, %.17g); }\n", s, sm->name, g->dim, bc, g->bcval);
    fprintf(o, "    hy_steady_fns(c, %d, hyk_steady%d_coef, hyk_steady%d_coef_adj, %d);\n", s, s, s,
            !ir_is_const(&c->ir, sm->coef[3], 0));
    if (sm->ndeps) {
        fprintf(o, "    { static const int tr[] = {");
        for (int k = 0; k < sm->ndeps; k++) fprintf(o, "%s%d", k ? ", " : "", sm->deps[k]);
        fprintf(o, "}; hy_steady_depends(c, %d, %d, tr); }\n", s, sm->ndeps);
    } else {
        fprintf(o, "    hy_steady_depends(c, %d, 0, 0);\n", s);
    }
}

/* V offsets of sample sp's x and y coordinates as C ("0" for y in 1-D). */
static void coords_of(Comp *c, const SimSample *sp, const Grid *g, long *cx, char *y, size_t ylen)
{
    const PointSet *p = &c->psets[sp->ps];
    *cx = p->voff + (long)sp->coord[0] * p->n;
    snprintf(y, ylen, "0");
    if (g->dim == 2) snprintf(y, ylen, "V + %ld", p->voff + (long)sp->coord[1] * p->n);
}

void emit_steady_fwd(Comp *c, FILE *o, NodeId i, long voff, const char *cnt, const char *ind)
{
    const SimSample *sp = &c->sim->samples[c->ir.nodes[i].aux];
    const Sim *sm = &c->sim->sims[sp->sim];
    const Grid *g = &c->sim->grids[sm->grid];
    if (sp->direct) {
        fprintf(o, "%shy_steady_values(c, %d, V + %ld);   /* %s.%s */\n", ind, sp->sim, voff, sm->name, sm->f[0].name);
        return;
    }
    long cx;
    char y[48];
    coords_of(c, sp, g, &cx, y, sizeof y);
    fprintf(o, "%shy_steady_sample(c, %d, %s, V + %ld, %s, V + %ld);   /* %s.%s at %s */\n", ind, sp->sim, cnt, cx, y,
            voff, sm->name, sm->f[0].name, c->psets[sp->ps].name);
}

void emit_steady_bwd(Comp *c, FILE *o, NodeId i, long aoff, const char *cnt)
{
    const SimSample *sp = &c->sim->samples[c->ir.nodes[i].aux];
    const Sim *sm = &c->sim->sims[sp->sim];
    const Grid *g = &c->sim->grids[sm->grid];
    if (sp->direct) {
        fprintf(o, "    hy_steady_values_adj(c, %d, A + %ld);\n", sp->sim, aoff);
        return;
    }
    long cx;
    char y[48];
    coords_of(c, sp, g, &cx, y, sizeof y);
    fprintf(o, "    hy_steady_sample_adj(c, %d, %s, V + %ld, %s, A + %ld);\n", sp->sim, cnt, cx, y, aoff);
}
