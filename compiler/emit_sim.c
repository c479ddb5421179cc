/* emit_sim.c -- the C of the simulators (sim.h) and of the hybrid schedule.
 *
 * Requires: sema succeeded (sim.c built every Sim); emit.c has planned the
 * storage (PointSet.voff) and declared hyk_po.  Guarantees, per simulator
 * S with fields f = 0 .. nf-1 on a grid of N nodes (contracts in
 * hyrt_api.h, "simulators"):
 *   hyk_simS_init      U[f N + i] = init_f at node i (X: the grid's coordinates)
 *   hyk_simS_rhs       F[f N + i] = rhs_f at the free nodes act[q]: the jets of
 *                      the states are the stencils of sim_stencil applied through
 *                      nb, then the IR of rhs_f, one C statement per node
 *   hyk_simS_adj       with b_j = sum_f W[f N + i] d(rhs_f)/d(jet j) (the
 *                      symbolic partials of sim_partial, evaluated at the node),
 *                      Ub[nb of each stencil entry of j] += weight * b_j, and
 *                      G[hyk_po[p]] += sum over nodes of sum_f W d(rhs_f)/dp
 *   hyk_simS_init_adj  (only if an initial state reads a parameter)
 *                      G[hyk_po[p]] += sum over free nodes of Ub0 . d(init)/dp
 * Values that do not vary over the grid (parameters, constants) are
 * computed once before the loop over nodes.  The functions are compiled
 * without FMA contraction (HYK_NOCONTRACT, FP_CONTRACT OFF), so a standalone
 * build with -march=native gives the bits of the JIT.  An OP_SIM node s.u over P is
 * one call: hy_sim_snapshots (P = the snapshot set) or hy_sim_sample at P's
 * coordinates; its adjoint is the matching *_adj call, and a substep with
 * an active one ends its reverse sweep with hy_sim_backward.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "sim.h"
#include "hyrt_api.h"

typedef struct SEmit {
    Comp *c;
    FILE *o;
    const Sim *sm;
    int sim;
    const Grid *g;
    uint8_t *need;      /* [nnodes] nodes to compute */
    uint8_t *inl;       /* [nnodes] 1: written inside its single user's expression, not as a statement */
} SEmit;

#define SIM_EXPR_MAX 1024   /* buffer for one node's C expression (inlining keeps within it) */
#define SIM_INLINE_MAX 12   /* operations in one inlined expression tree */

static const char *op_text(SEmit *e, NodeId i, char *buf, size_t len);

/* v as C: a double literal, or a constant expression for a non-finite value
 * (the printf form 'inf' is no C). */
static void c_double(char *buf, size_t len, double v)
{
    if (isfinite(v)) snprintf(buf, len, "%.17g", v);
    else snprintf(buf, len, "%s", isnan(v) ? "(0.0 / 0.0)" : v > 0 ? "(1.0 / 0.0)" : "(-1.0 / 0.0)");
}

/* The C name of node i's value at node i of the loop. */
static const char *ref(SEmit *e, NodeId i, char *buf, size_t len)
{
    const Node *nd = &e->c->ir.nodes[i];
    switch (nd->op) {
    case OP_CONST: c_double(buf, len, nd->num); break;
    case OP_PARAM: snprintf(buf, len, "P[hyk_po[%u]]", nd->aux); break;
    case OP_COORD: snprintf(buf, len, "X[%u * N + i]", nd->aux); break;
    case OP_NETOUT: snprintf(buf, len, "j%u", i); break;
    case OP_STOP: return ref(e, nd->a, buf, len);
    default:
        if (e->inl && e->inl[i]) {   /* (expression) */
            char x[SIM_EXPR_MAX];
            op_text(e, i, x, sizeof x);
            if ((size_t)snprintf(buf, len, "(%s)", x) >= len) HY_ICE("emit_sim: expression too long");
        } else {
            snprintf(buf, len, "t%u", i);
        }
        break;
    }
    return buf;
}

/* Marks what roots need (through stop; jets are leaves), and which pointwise
 * operations are used exactly once (by another operation or a root
 * occurrence) and small enough to be written inside their user's
 * expression: TCC keeps an expression's intermediates in registers but
 * stores and reloads every statement's result.  The values are the same
 * bits either way (C rounds each operation to double; no contraction). */
static void mark(SEmit *e, const NodeId *roots, int nroots)
{
    uint32_t nn = e->c->ir.nnodes;
    free(e->need);
    free(e->inl);
    e->need = calloc(nn ? nn : 1, 1);
    e->inl = calloc(nn ? nn : 1, 1);
    uint32_t *uses = calloc(nn ? nn : 1, sizeof *uses), *size = calloc(nn ? nn : 1, sizeof *size);
    if (!e->need || !e->inl || !uses || !size) HY_ICE("out of memory");
    for (int r = 0; r < nroots; r++) e->need[roots[r]] = 1, uses[roots[r]]++;
    for (NodeId i = nn; i-- > 0;) {
        if (!e->need[i]) continue;
        const Node *nd = &e->c->ir.nodes[i];
        if (nd->op == OP_NETOUT || nd->op == OP_CONST || nd->op == OP_COORD || nd->op == OP_PARAM) continue;
        if (nd->a != NO_NODE) e->need[nd->a] = 1, uses[nd->a]++;
        if (nd->b != NO_NODE) e->need[nd->b] = 1, uses[nd->b]++;
    }
    for (NodeId i = 0; i < nn; i++) {
        const Node *nd = &e->c->ir.nodes[i];
        if (!e->need[i] || nd->ps < 0 || nd->op == OP_NETOUT || nd->op == OP_CONST || nd->op == OP_COORD ||
            nd->op == OP_PARAM || nd->op == OP_STOP || nd->op == OP_SIGN)
            continue;
        uint32_t sz = 1;
        if (nd->a != NO_NODE && e->inl[nd->a]) sz += size[nd->a];
        if (nd->b != NO_NODE && e->inl[nd->b]) sz += size[nd->b];
        size[i] = sz;
        e->inl[i] = uses[i] == 1 && sz <= SIM_INLINE_MAX;
    }
    free(uses);
    free(size);
}

/* The C expression of operation i (not a leaf) from its operands' refs. */
static const char *op_text(SEmit *e, NodeId i, char *buf, size_t len)
{
    const Node *nd = &e->c->ir.nodes[i];
    char A[SIM_EXPR_MAX] = "", B[SIM_EXPR_MAX] = "";
    if (nd->a != NO_NODE) ref(e, nd->a, A, sizeof A);
    if (nd->b != NO_NODE) ref(e, nd->b, B, sizeof B);
    const char *fn = NULL;
    size_t n = 0;
    switch (nd->op) {
    case OP_ADD: n = (size_t)snprintf(buf, len, "%s + %s", A, B); break;
    case OP_SUB: n = (size_t)snprintf(buf, len, "%s - %s", A, B); break;
    case OP_MUL: n = (size_t)snprintf(buf, len, "%s * %s", A, B); break;
    case OP_DIV:   /* two constants only where folding refused (x / 0): a double division, never C's integer one */
        n = (size_t)snprintf(buf, len, "%s%s / %s", e->c->ir.nodes[nd->a].op == OP_CONST &&
                             e->c->ir.nodes[nd->b].op == OP_CONST ? "(double)" : "", A, B);
        break;
    case OP_POW: n = (size_t)snprintf(buf, len, "hy_pow(%s, %s)", A, B); break;
    case OP_ATAN2: n = (size_t)snprintf(buf, len, "hy_atan2(%s, %s)", A, B); break;
    case OP_NEG: n = (size_t)snprintf(buf, len, "-(%s)", A); break;
    case OP_ABS: n = (size_t)snprintf(buf, len, "hy_fabs(%s)", A); break;
    case OP_SIGN: n = (size_t)snprintf(buf, len, "(double)((%s > 0) - (%s < 0))", A, A); break;
    case OP_LT: n = (size_t)snprintf(buf, len, "(double)(%s < %s)", A, B); break;
    case OP_LE: n = (size_t)snprintf(buf, len, "(double)(%s <= %s)", A, B); break;
    case OP_SEL: n = (size_t)snprintf(buf, len, "%s != 0 ? %s : 0.0", A, B); break;
    case OP_SELN: n = (size_t)snprintf(buf, len, "%s != 0 ? 0.0 : %s", A, B); break;
    case OP_SIN: fn = "sin"; break;
    case OP_COS: fn = "cos"; break;
    case OP_EXP: fn = "exp"; break;
    case OP_LOG: fn = "log"; break;
    case OP_TANH: fn = "tanh"; break;
    case OP_SQRT: fn = "sqrt"; break;
    case OP_ATAN: fn = "atan"; break;
    case OP_ASIN: fn = "asin"; break;
    case OP_CONST: case OP_COORD: case OP_PARAM: case OP_NETOUT: case OP_STOP:
    case OP_NOISE: case OP_DATA: case OP_MEAN: case OP_SUM: case OP_MAXR: case OP_SIM: case OP_WEIGHT:
    case OP_COUNT:
        HY_ICE("emit_sim: %s in a simulator expression", op_name(nd->op));
    }
    if (fn) n = (size_t)snprintf(buf, len, "hy_%s(%s)", fn, A);
    if (n >= len) HY_ICE("emit_sim: expression too long");
    return buf;
}

/* One statement computing node i (not a leaf, not inlined). */
static void emit_one(SEmit *e, NodeId i, const char *ind)
{
    const Node *nd = &e->c->ir.nodes[i];
    switch (nd->op) {
    case OP_CONST: case OP_COORD: case OP_PARAM: case OP_NETOUT: case OP_STOP:
        return;   /* leaves and aliases */
    default: break;
    }
    if (e->inl && e->inl[i]) return;
    char x[SIM_EXPR_MAX];
    fprintf(e->o, "%sconst double t%u = %s;\n", ind, i, op_text(e, i, x, sizeof x));
}

/* The scalar nodes (hoisted, before the loop) or the pointwise ones. */
static void emit_nodes(SEmit *e, int pointwise, const char *ind)
{
    for (NodeId i = 0; i < e->c->ir.nnodes; i++) {
        if (!e->need[i]) continue;
        const Node *nd = &e->c->ir.nodes[i];
        if ((nd->ps >= 0) != pointwise) continue;
        emit_one(e, i, ind);
    }
}

/* Field of a pseudo call of this sim, or -1. */
static int field_of_call(const SEmit *e, int call)
{
    for (int f = 0; f < e->sm->nf; f++)
        if (e->sm->f[f].call == call) return f;
    return -1;
}

/* U[f N + nb[o N + i]] as C (the centre: U[f N + i]), through the row
 * pointers of emit_rows: ARRf = ARR + f N, nbo = nb + o N. */
static void stencil_ref(SEmit *e, int f, int o, char *buf, size_t len, const char *arr)
{
    int centre = e->g->dim == 1 ? 1 : 4, adj = !strcmp(arr, "Ub");
    /* Literal names only (U0, Ub0, nb0, ...), so that every identifier of the
     * emitted C can be read off this file (tests/fuzz_front.c checks it). */
    if (o == centre) snprintf(buf, len, adj ? "Ub%d[i]" : "U%d[i]", f);
    else snprintf(buf, len, adj ? "Ub%d[nb%d[i]]" : "U%d[nb%d[i]]", f, o);
}

/* Before a loop over nodes: the row pointers stencil_ref names (TCC does not
 * hoist the index arithmetic itself). */
static void emit_rows(SEmit *e, const char *arr, int writable)
{
    FILE *o = e->o;
    for (int f = 0; f < e->sm->nf; f++)
        fprintf(o, writable ? "    double *Ub%d = %s + %d * N;\n    (void)Ub%d;\n" : "    const double *U%d = %s + %d * N;\n    (void)U%d;\n",
                f, arr, f, f);
    if (!writable)
        for (int q = 0; q < (e->g->dim == 1 ? 3 : 9); q++) fprintf(o, "    const long *nb%d = nb + %d * N;\n    (void)nb%d;\n", q, q, q);
}

/* The jets the marked nodes use. */
static void emit_jets(SEmit *e, const char *ind)
{
    for (NodeId i = 0; i < e->c->ir.nnodes; i++) {
        const Node *nd = &e->c->ir.nodes[i];
        if (!e->need[i] || nd->op != OP_NETOUT) continue;
        int f = field_of_call(e, (int)nd->a);
        if (f < 0) HY_ICE("emit_sim: a jet of another call");
        int off[4];
        double w[4];
        int m = sim_stencil(e->g, nd->aux, off, w);
        if (m < 0) HY_ICE("emit_sim: no stencil for jet 0x%x", nd->aux);
        fprintf(e->o, "%sconst double j%u = ", ind, i);
        for (int q = 0; q < m; q++) {
            char u[64];
            stencil_ref(e, f, off[q], u, sizeof u, "U");
            if (w[q] == 1) fprintf(e->o, "%s%s", q ? " + " : "", u);
            else fprintf(e->o, "%s%.17g * %s", q ? " + " : "", w[q], u);
        }
        fprintf(e->o, ";   /* %s, jet 0x%x */\n", e->sm->f[f].name, nd->aux);
    }
}

static void emit_init(SEmit *e, int s)
{
    const Sim *sm = e->sm;
    FILE *o = e->o;
    NodeId roots[64];
    for (int f = 0; f < sm->nf; f++) roots[f] = sm->f[f].init;
    mark(e, roots, sm->nf);
    fprintf(o, "\n/* simulator %s: initial states */\n", sm->name);
    fprintf(o, "HYK_NOCONTRACT static void hyk_sim%d_init(HyCtx *c, const double *X, double *U, long N)\n{\n", s);
    fprintf(o, "    const double *P = hy_params(c);\n    long i;\n    (void)P; (void)X;\n");
    emit_nodes(e, 0, "    ");
    fprintf(o, "    for (i = 0; i < N; i++) {\n");
    emit_nodes(e, 1, "        ");
    char R[SIM_EXPR_MAX];
    for (int f = 0; f < sm->nf; f++)
        fprintf(o, "        U[%d * N + i] = %s;   /* %s */\n", f, ref(e, sm->f[f].init, R, sizeof R), sm->f[f].name);
    fprintf(o, "    }\n}\n");
}

static void emit_rhs(SEmit *e, int s)
{
    const Sim *sm = e->sm;
    FILE *o = e->o;
    NodeId roots[64];
    for (int f = 0; f < sm->nf; f++) roots[f] = sm->f[f].rhs;
    mark(e, roots, sm->nf);
    fprintf(o, "\n/* simulator %s: right-hand sides at the free nodes */\n", sm->name);
    fprintf(o, "HYK_NOCONTRACT static void hyk_sim%d_rhs(HyCtx *c, const double *X, const double *U, double *F, long N, long nact,\n"
               "                         const long *act, const long *nb)\n{\n", s);
    fprintf(o, "    const double *P = hy_params(c);\n    long q, i;\n    (void)P; (void)X; (void)nb;\n");
    emit_rows(e, "U", 0);
    emit_nodes(e, 0, "    ");
    fprintf(o, "    for (q = 0; q < nact; q++) {\n        i = act[q];\n");
    emit_jets(e, "        ");
    emit_nodes(e, 1, "        ");
    char R[SIM_EXPR_MAX];
    for (int f = 0; f < sm->nf; f++) {
        const Node *rn = &e->c->ir.nodes[sm->f[f].rhs];
        if (rn->loc.line > 0) fprintf(o, "#line %d \"%s\"\n", rn->loc.line, e->c->diag.file);
        fprintf(o, "        F[%d * N + i] = %s;   /* dt(%s) */\n", f, ref(e, sm->f[f].rhs, R, sizeof R), sm->f[f].name);
    }
    fprintf(o, "    }\n}\n");
}

static void emit_adj(SEmit *e, int s)
{
    Comp *c = e->c;
    const Sim *sm = e->sm;
    FILE *o = e->o;
    const int nl = sm->nleaf, nj = sm->njet, np = nl - nj;
    const NodeId *part = sm->part;
    NodeId *roots = malloc(sizeof(NodeId) * (size_t)(sm->nf * nl + 1));
    if (!roots) HY_ICE("out of memory");
    int nr = 0;
    for (int q = 0; q < sm->nf * nl; q++)
        if (!ir_is_const(&c->ir, part[q], 0)) roots[nr++] = part[q];
    mark(e, roots, nr);
    free(roots);
    fprintf(o, "\n/* simulator %s: Ub += (dF/dU)^T W and G += (dF/dp)^T W at the free nodes */\n", sm->name);
    fprintf(o, "HYK_NOCONTRACT static void hyk_sim%d_adj(HyCtx *c, const double *X, const double *U, const double *W, double *Ub,\n"
               "                         double *G, long N, long nact, const long *act, const long *nb)\n{\n", s);
    fprintf(o, "    const double *P = hy_params(c);\n    long q, i;\n    (void)P; (void)X; (void)U; (void)nb; (void)Ub; (void)W;\n");
    for (int l = 0; l < np; l++) fprintf(o, "    double g%d = 0;\n", l);
    emit_rows(e, "U", 0);
    emit_rows(e, "Ub", 1);
    emit_nodes(e, 0, "    ");
    fprintf(o, "    for (q = 0; q < nact; q++) {\n        i = act[q];\n");
    emit_jets(e, "        ");
    emit_nodes(e, 1, "        ");
    for (int f = 0; f < sm->nf; f++) fprintf(o, "        const double w%d = W[%d * N + i];\n", f, f);
    char R[SIM_EXPR_MAX];
    for (int l = 0; l < nl; l++) {
        int any = 0;
        for (int f = 0; f < sm->nf; f++) any |= !ir_is_const(&c->ir, part[f * nl + l], 0);
        if (!any) continue;
        if (l < nj) fprintf(o, "        const double b%d =", l);
        else fprintf(o, "        g%d +=", l - nj);
        int first = 1;
        for (int f = 0; f < sm->nf; f++) {
            if (ir_is_const(&c->ir, part[f * nl + l], 0)) continue;
            fprintf(o, "%s w%d * %s", first ? "" : " +", f, ref(e, part[f * nl + l], R, sizeof R));
            first = 0;
        }
        fprintf(o, ";\n");
        if (l >= nj) continue;
        const Node *jn = &c->ir.nodes[sm->leaf[l]];
        int fj = field_of_call(e, (int)jn->a);
        int off[4];
        double w[4];
        int m = sim_stencil(e->g, jn->aux, off, w);
        for (int qq = 0; qq < m; qq++) {
            char u[64];
            stencil_ref(e, fj, off[qq], u, sizeof u, "Ub");
            if (w[qq] == 1) fprintf(o, "        %s += b%d;\n", u, l);
            else fprintf(o, "        %s += %.17g * b%d;\n", u, w[qq], l);
        }
    }
    fprintf(o, "    }\n");
    for (int l = 0; l < np; l++) {
        uint32_t t = c->ir.nodes[sm->leaf[nj + l]].aux;
        fprintf(o, "    G[hyk_po[%u]] += g%d;   /* %s */\n", t, l, c->trs[t].name);
    }
    fprintf(o, "}\n");
}

/* A rollout network's rhs and adj: calls into runtime/rollout.c. */
static void emit_rollout(SEmit *e, int s)
{
    FILE *o = e->o;
    fprintf(o, "\n/* simulator %s: dt(states) = %s(states), a network (runtime/rollout.c) */\n", e->sm->name,
            e->c->trs[e->sm->rnet].name);
    fprintf(o, "static void hyk_sim%d_rhs(HyCtx *c, const double *X, const double *U, double *F, long N, long nact,\n"
               "                         const long *act, const long *nb)\n{\n"
               "    (void)X; (void)N; (void)nb;\n    hy_rollout_rhs(c, %d, U, F, nact, act);\n}\n", s, s);
    fprintf(o, "static void hyk_sim%d_adj(HyCtx *c, const double *X, const double *U, const double *W, double *Ub,\n"
               "                         double *G, long N, long nact, const long *act, const long *nb)\n{\n"
               "    (void)X; (void)G; (void)N; (void)nb;\n    hy_rollout_adj(c, %d, U, W, Ub, nact, act);\n}\n", s, s);
}

/* The adjoint of the initial states; returns 0 (and emits nothing) when no
 * parameter has a non-zero partial there. */
static int emit_init_adj(SEmit *e, int s)
{
    Comp *c = e->c;
    const Sim *sm = e->sm;
    FILE *o = e->o;
    const int np = sm->nileaf;
    const NodeId *part = sm->ipart;
    NodeId *rr = malloc(sizeof(NodeId) * (size_t)(sm->nf * np + 1));
    if (!rr) HY_ICE("out of memory");
    int nr = 0;
    for (int q = 0; q < sm->nf * np; q++)
        if (!ir_is_const(&c->ir, part[q], 0)) rr[nr++] = part[q];
    if (!nr) { free(rr); return 0; }
    mark(e, rr, nr);
    free(rr);
    fprintf(o, "\n/* simulator %s: G += (dU0/dp)^T Ub0 at the free nodes */\n", sm->name);
    fprintf(o, "HYK_NOCONTRACT static void hyk_sim%d_init_adj(HyCtx *c, const double *X, const double *Ub0, double *G, long N,\n"
               "                              long nact, const long *act)\n{\n", s);
    fprintf(o, "    const double *P = hy_params(c);\n    long q, i;\n    (void)P; (void)X;\n");
    for (int l = 0; l < np; l++) fprintf(o, "    double g%d = 0;\n", l);
    emit_nodes(e, 0, "    ");
    fprintf(o, "    for (q = 0; q < nact; q++) {\n        i = act[q];\n");
    emit_nodes(e, 1, "        ");
    char R[SIM_EXPR_MAX];
    for (int f = 0; f < sm->nf; f++)
        for (int l = 0; l < np; l++)
            if (!ir_is_const(&c->ir, part[f * np + l], 0))
                fprintf(o, "        g%d += Ub0[%d * N + i] * %s;\n", l, f, ref(e, part[f * np + l], R, sizeof R));
    fprintf(o, "    }\n");
    for (int l = 0; l < np; l++) fprintf(o, "    G[hyk_po[%u]] += g%d;\n", c->ir.nodes[sm->ileaf[l]].aux, l);
    fprintf(o, "}\n");
    return 1;
}

/* 1 when an initial state of sim s has a non-zero parameter partial. */
static int has_init_adj(const Comp *c, int s)
{
    const Sim *sm = &c->sim->sims[s];
    for (int q = 0; q < sm->nf * sm->nileaf; q++)
        if (!ir_is_const(&c->ir, sm->ipart[q], 0)) return 1;
    return 0;
}

void emit_sim_functions(Comp *c, FILE *o)
{
    if (!c->sim || !c->sim->nsims) return;
    /* Products and sums of the simulator's locals must not be fused into FMAs:
     * a run amplifies the different rounding (a hybrid training diverges from
     * the unfused one within tens of epochs), and the results should not
     * depend on the compiler's flags.  GCC fuses across statements unless
     * told per function; clang within an expression unless told per file. */
    fprintf(o, "\n#if defined(__GNUC__) && !defined(__clang__) && !defined(__TINYC__)\n"
               "#define HYK_NOCONTRACT __attribute__((optimize(\"fp-contract=off\")))\n"
               "#else\n#define HYK_NOCONTRACT\n#endif\n"
               "#if defined(__clang__)\n#pragma STDC FP_CONTRACT OFF\n#endif\n");
    for (int s = 0; s < c->sim->nsims; s++) {
        const Sim *sm = &c->sim->sims[s];
        if (sm->steady) { emit_steady_functions(c, o, s); continue; }
        SEmit e;
        memset(&e, 0, sizeof e);
        e.c = c;
        e.o = o;
        e.sm = sm;
        e.sim = s;
        e.g = &c->sim->grids[sm->grid];
        emit_init(&e, s);
        if (sm->rollout) {
            emit_rollout(&e, s);
        } else {
            emit_rhs(&e, s);
            emit_adj(&e, s);
        }
        emit_init_adj(&e, s);
        free(e.need);
        free(e.inl);
    }
}

void emit_sim_setup(Comp *c, FILE *o)
{
    if (!c->sim) return;
    static const char *const bc_c[] = {"HY_SIM_PERIODIC", "HY_SIM_DIRICHLET", "HY_SIM_NEUMANN"};
    for (int s = 0; s < c->sim->nsims; s++) {
        const Sim *sm = &c->sim->sims[s];
        const Grid *g = &c->sim->grids[sm->grid];
        if (sm->steady) { emit_steady_setup(c, o, s); continue; }
        fprintf(o, "    /* simulator %s on %s: %ld nodes, %d state%s, %s dt %.17g, %ld steps, snapshots every %ld */\n",
                sm->name, g->name, g->n[0] * g->n[1], sm->nf, sm->nf == 1 ? "" : "s",
                sm->method == HY_SIM_RK4 ? "RK4" : "Euler", sm->dt, sm->steps, sm->save);
        fprintf(o, "    { static const long n[] = {%ld, %ld};\n", g->n[0], g->n[1]);
        fprintf(o, "      static const double lo[] = {%.17g, %.17g}, hi[] = {%.17g, %.17g}, h[] = {%.17g, %.17g};\n",
                g->lo[0], g->lo[1], g->hi[0], g->hi[1], g->h[0], g->h[1]);
        fprintf(o, "      hy_sim(c, \"%s\", %d, n, lo, hi, h, %s, %.17g, %d); }\n", sm->name, g->dim, bc_c[g->bc], g->bcval,
                sm->nf);
        fprintf(o, "    hy_sim_steps(c, %d, %s, %.17g, %ld, %ld);\n", s, sm->method == HY_SIM_RK4 ? "HY_SIM_RK4" : "HY_SIM_EULER",
                sm->dt, sm->steps, sm->save);
        fprintf(o, "    hy_sim_fns(c, %d, hyk_sim%d_init, hyk_sim%d_rhs, hyk_sim%d_adj, ", s, s, s, s);
        if (has_init_adj(c, s)) fprintf(o, "hyk_sim%d_init_adj);\n", s);
        else fprintf(o, "0);\n");
        if (sm->rollout)
            fprintf(o, "    { static const long n[] = {%ld, %ld};\n      hy_rollout(c, %d, %d, %d, n, %s, %d, %d); }   /* network %s, %s */\n",
                    g->n[0], g->n[1], s, sm->rnet, g->dim, bc_c[g->bc], sm->nf, sm->rradius, c->trs[sm->rnet].name,
                    sm->rradius < 0 ? "the whole state" : "a local stencil");
        if (sm->ndeps) {
            fprintf(o, "    { static const int tr[] = {");
            for (int k = 0; k < sm->ndeps; k++) fprintf(o, "%s%d", k ? ", " : "", sm->deps[k]);
            fprintf(o, "}; hy_sim_depends(c, %d, %d, tr); }\n", s, sm->ndeps);
        } else {
            fprintf(o, "    hy_sim_depends(c, %d, 0, 0);\n", s);
        }
    }
}

void emit_sim_fwd(Comp *c, FILE *o, NodeId i, long voff, const char *cnt, const char *ind)
{
    const Node *nd = &c->ir.nodes[i];
    const SimSample *sp = &c->sim->samples[nd->aux];
    const Sim *sm = &c->sim->sims[sp->sim];
    const Grid *g = &c->sim->grids[sm->grid];
    if (sm->steady) { emit_steady_fwd(c, o, i, voff, cnt, ind); return; }
    if (sp->direct) {
        fprintf(o, "%shy_sim_snapshots(c, %d, %d, V + %ld);   /* %s.%s */\n", ind, sp->sim, sp->field, voff, sm->name,
                sm->f[sp->field].name);
        return;
    }
    const PointSet *p = &c->psets[sp->ps];
    long cx = p->voff + (long)sp->coord[0] * p->n, ct = p->voff + (long)sp->coord[g->dim] * p->n;
    char y[48] = "0";
    if (g->dim == 2) snprintf(y, sizeof y, "V + %ld", p->voff + (long)sp->coord[1] * p->n);
    fprintf(o, "%shy_sim_sample(c, %d, %d, %s, V + %ld, %s, V + %ld, V + %ld);   /* %s.%s at %s */\n", ind, sp->sim,
            sp->field, cnt, cx, y, ct, voff, sm->name, sm->f[sp->field].name, p->name);
}

void emit_sim_bwd(Comp *c, FILE *o, NodeId i, long aoff, const char *cnt)
{
    const Node *nd = &c->ir.nodes[i];
    const SimSample *sp = &c->sim->samples[nd->aux];
    const Sim *sm = &c->sim->sims[sp->sim];
    const Grid *g = &c->sim->grids[sm->grid];
    if (sm->steady) { emit_steady_bwd(c, o, i, aoff, cnt); return; }
    if (sp->direct) {
        fprintf(o, "    hy_sim_snapshots_adj(c, %d, %d, A + %ld);\n", sp->sim, sp->field, aoff);
        return;
    }
    const PointSet *p = &c->psets[sp->ps];
    long cx = p->voff + (long)sp->coord[0] * p->n, ct = p->voff + (long)sp->coord[g->dim] * p->n;
    char y[48] = "0";
    if (g->dim == 2) snprintf(y, sizeof y, "V + %ld", p->voff + (long)sp->coord[1] * p->n);
    fprintf(o, "    hy_sim_sample_adj(c, %d, %d, %s, V + %ld, %s, V + %ld, A + %ld);\n", sp->sim, sp->field, cnt, cx, y, ct,
            aoff);
}

void emit_sim_kernel_end(Comp *c, FILE *o, const uint8_t *active)
{
    for (NodeId i = 0; i < c->ir.nnodes; i++)
        if (active[i] && c->ir.nodes[i].op == OP_SIM) {
            fprintf(o, "    hy_sim_backward(c);   /* simulator adjoints into G */\n");
            if (sim_any_steady(c)) fprintf(o, "    hy_steady_backward(c);   /* steady simulators' adjoint solves */\n");
            return;
        }
}

void emit_train_sched(Comp *c, FILE *o)
{
    for (int k = 0; k < c->ntrack_par; k++) fprintf(o, "    hy_track_param(c, %d);\n", c->track_par[k]);
    /* every scalar parameter a simulator reads is a history column too (after the tracked ones) */
    for (int t = 0; c->sim && t < c->ntrs; t++) {
        int used = -1, have = c->trs[t].kind != TR_SCALAR;
        for (int s = 0; s < c->sim->nsims && used < 0; s++)
            for (int d = 0; d < c->sim->sims[s].ndeps; d++)
                if (c->sim->sims[s].deps[d] == t) used = s;
        for (int k = 0; k < c->ntrack_par && !have; k++) have = c->track_par[k] == t;
        if (used >= 0 && !have)
            fprintf(o, "    hy_track_param(c, %d);   /* %s (simulator %s) */\n", t, c->trs[t].name, c->sim->sims[used].name);
    }
    if (c->warmup > 0) fprintf(o, "    hy_warmup(c, %ld);\n", c->warmup);
    if (c->warm_thr > 0)
        fprintf(o, "    hy_warmup_until(c, %d, %.17g, %ld);   /* until %s < %.17g */\n", c->warm_loss, c->warm_thr, c->warm_max,
                c->losses[c->warm_loss].name, c->warm_thr);
    for (int s = 0; s < c->nsteps; s++) {
        const Substep *st = &c->steps[s];
        if (st->every > 1 || ((c->warmup > 0 || c->warm_thr > 0) && st->physical))
            fprintf(o, "    hy_substep_every(c, %d, %ld, %d);   /* %s */\n", s, st->every > 1 ? st->every : 1, st->physical,
                    st->label);
    }
}
