/* emit.c -- the IR as a C99 program against the runtime (hyrt_api.h).
 *
 * Requires: sema succeeded (IR complete, substeps scheduled).  Guarantees:
 * the emitted program defines `void hyk_setup(HyCtx *c)`, which declares the
 * whole problem to the runtime (seed, storage, point sets, trainables, jet
 * plans, losses, substeps, checks) and computes every static value once.
 * It includes no header: the prelude (hyrt_api.h) is the only interface.
 *
 * Storage plan.  V (values) holds, in order: the coordinates of every point
 * set, every static node (one that depends on no trainable; computed once in
 * hyk_setup), then one region per kernel.  A kernel is a substep (forward,
 * losses, backward) or a check (forward only); kernels never run at the same
 * time, so their regions overlap, and so do their adjoint regions in A.
 * stop, data, coord and netout nodes alias the storage of what they name.
 *
 * Each substep function evaluates every node it needs exactly once, in index
 * (= topological) order; network nodes are filled by one hy_jet_fwd per
 * call site; the reverse sweep visits the active nodes (those on a path from
 * a loss to a trainable of this substep that does not pass through stop) in
 * reverse order and ends in hy_jet_bwd.
 *
 * Redrawn point sets ('resample every N', 'grow every N by residual(...)').
 * They are registered with the runtime (hy_ps_sampler, hy_ps_resample,
 * hy_ps_rar), which redraws them between epochs and then calls
 * hyk_refresh<p>: it recomputes the static nodes that depend on point set
 * p's coordinates (or noise), in index order.  A growing set is stored for
 * its capacity (PointSet.n) but every loop over it, every mean and every
 * jet plan (hy_jet_plan_ps) uses the live count hyk_n<p> = hy_ps_count(c, p),
 * read at the start of each function.  The residual of an RAR-D set is a
 * forward-only kernel hyk_resid<q> over its candidate pool q (a hidden point
 * set), whose pointwise result the runtime reads from V.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ir.h"
#include "sim.h"
#include "hyrt_api.h"

typedef struct Plan {
    int call;           /* Ir.calls index */
    int id;             /* runtime plan number (order of hy_jet_plan calls) */
    uint32_t codes[HY_MAX_JET_COMPS]; /* requested jet components */
    int ncodes;
    long xoff;          /* input [din][n] in V */
    int xcopy;          /* 1: X must be filled from the argument nodes */
    long outoff;        /* output [ncodes][dout][n] in V */
    long doff;          /* adjoint of output in A, -1 if none */
    long dxoff;         /* adjoint of X in A, -1 if none */
    int bwd;            /* 1 when the backward is needed */
} Plan;

typedef struct Kernel {
    int is_step;        /* substep (1) or check (0) */
    int is_resid;       /* 1: the residual of a candidate pool (forward only) */
    int index;          /* substep, check or pool point-set index */
    NodeId *roots;
    int nroots;
    uint8_t *need;      /* nodes evaluated by this kernel (static ones excluded) */
    uint8_t *active;    /* nodes that need an adjoint */
    long *voff;         /* value offset in V of every node it uses, -1 if none */
    long *aoff;         /* adjoint offset in A, -1 if none */
    int *plan_of_call;  /* Ir.calls index -> index into plans, -1 */
    Plan *plans;
    int nplans;
    long vend, aend;    /* end of its V and A regions */
    int weights;        /* substeps: 1 if it evaluates adaptive weights (OP_WEIGHT) */
} Kernel;

typedef struct Emit {
    Comp *c;
    FILE *o;
    uint8_t *is_static; /* node is computed once in hyk_setup */
    long *svoff;        /* V offset of static nodes and coordinates, -1 none */
    long static_end;    /* start of the kernel regions in V */
    long vtotal, atotal;
    Kernel *ks;
    int nk;
    int nplans;         /* plans across all kernels */
    const char *file;   /* spec file for #line */
    const char **cnt;   /* per point set: its loop count as C ("51", or "hyk_n3" when it grows) */
    int any_grows;      /* some point set grows */
} Emit;

static long node_n(const Emit *e, NodeId i)
{
    int ps = e->c->ir.nodes[i].ps;
    return ps < 0 ? 1 : e->c->psets[ps].n;
}

/* Loop count of node i's point set as C (the live count of a growing set). */
static const char *node_cnt(const Emit *e, NodeId i)
{
    int ps = e->c->ir.nodes[i].ps;
    return ps < 0 ? "1" : e->cnt[ps];
}

/* " / N.0" (or " / (double)hyk_nP") for the mean over point set ps. */
static const char *mean_div(const Emit *e, int ps, char *buf, size_t len)
{
    if (e->c->psets[ps].grows) snprintf(buf, len, " / (double)%s", e->cnt[ps]);
    else snprintf(buf, len, " / %s.0", e->cnt[ps]);
    return buf;
}

/* Declares the live count of every growing point set (start of a function). */
static void emit_counts(Emit *e)
{
    for (int p = 0; p < e->c->npsets; p++)
        if (e->c->psets[p].grows)
            fprintf(e->o, "    const long %s = hy_ps_count(c, %d); (void)%s;\n", e->cnt[p], p, e->cnt[p]);
}

static long ps_coord_off(const Emit *e, int ps, int k)
{
    return e->c->psets[ps].voff + (long)k * e->c->psets[ps].n;
}

/* ---- planning ---- */

static void plan_static(Emit *e)
{
    Comp *c = e->c;
    uint32_t nn = c->ir.nnodes;
    long off = 0;
    for (int p = 0; p < c->npsets; p++) {
        c->psets[p].voff = off;
        off += (long)c->psets[p].n * (c->psets[p].dim + c->psets[p].extra);
    }
    e->is_static = calloc(nn ? nn : 1, 1);
    e->svoff = malloc((nn ? nn : 1) * sizeof *e->svoff);
    uint8_t *reach = calloc(nn ? nn : 1, 1);
    if (!e->is_static || !e->svoff || !reach) HY_ICE("out of memory");
    for (int i = 0; i < c->nlosses; i++) sched_reach(c, c->losses[i].root, reach);
    for (int i = 0; i < c->nchecks; i++) sched_reach(c, c->checks[i].root, reach);
    for (int p = 0; p < c->npsets; p++)
        if (c->psets[p].resid != NO_NODE) sched_reach(c, c->psets[p].resid, reach);
    for (uint32_t i = 0; i < nn; i++) {
        const Node *nd = &c->ir.nodes[i];
        e->svoff[i] = -1;
        if (!reach[i] || nd->trainable_dep || nd->op == OP_CONST) continue;
        e->is_static[i] = 1;
        if (nd->op == OP_COORD) e->svoff[i] = ps_coord_off(e, nd->ps, (int)nd->aux);
        else if (nd->op == OP_STOP || nd->op == OP_DATA) e->svoff[i] = e->svoff[nd->a];
        else { e->svoff[i] = off; off += node_n(e, i); }
    }
    free(reach);
    e->static_end = off;
}

static int plan_for(Emit *e, Kernel *k, int call)
{
    if (k->plan_of_call[call] >= 0) return k->plan_of_call[call];
    Plan *p = &k->plans[k->nplans];
    memset(p, 0, sizeof *p);
    p->call = call;
    p->id = e->nplans++;
    p->doff = p->dxoff = -1;
    k->plan_of_call[call] = k->nplans;
    return k->nplans++;
}

static int code_index(const Plan *p, uint32_t code)
{
    for (int i = 0; i < p->ncodes; i++)
        if (p->codes[i] == code) return i;
    return -1;
}

/* Offset of netout node i within its plan's [ncomp][dout][n] output (and
 * adjoint) block. */
static long netout_slot(const Emit *e, const Plan *p, NodeId i)
{
    const Node *nd = &e->c->ir.nodes[i];
    long dout = e->c->trs[e->c->ir.calls[nd->a].net].dout;
    return ((long)code_index(p, nd->aux) * dout + (long)nd->b) * node_n(e, i);
}

static void plan_kernel(Emit *e, Kernel *k)
{
    Comp *c = e->c;
    Ir *ir = &c->ir;
    uint32_t nn = ir->nnodes;
    k->need = calloc(nn ? nn : 1, 1);
    k->active = calloc(nn ? nn : 1, 1);
    k->voff = malloc((nn ? nn : 1) * sizeof *k->voff);
    k->aoff = malloc((nn ? nn : 1) * sizeof *k->aoff);
    k->plan_of_call = malloc((ir->ncalls ? ir->ncalls : 1) * sizeof *k->plan_of_call);
    k->plans = calloc(ir->ncalls ? ir->ncalls : 1, sizeof *k->plans);
    if (!k->need || !k->active || !k->voff || !k->aoff || !k->plan_of_call || !k->plans) HY_ICE("out of memory");
    for (int i = 0; i < ir->ncalls; i++) k->plan_of_call[i] = -1;
    for (int r = 0; r < k->nroots; r++) sched_reach(c, k->roots[r], k->need);
    long off = e->static_end;
    /* Jet plans: the components each call must produce. */
    for (uint32_t i = 0; i < nn; i++) {
        k->voff[i] = e->svoff[i];
        if (!k->need[i] || e->is_static[i]) { k->need[i] = 0; continue; }
        const Node *nd = &ir->nodes[i];
        if (nd->op == OP_NETOUT) {
            Plan *p = &k->plans[plan_for(e, k, (int)nd->a)];
            if (code_index(p, nd->aux) < 0) {
                if (p->ncodes == HY_MAX_JET_COMPS) HY_ICE("too many jet components for one call");
                p->codes[p->ncodes++] = nd->aux;
            }
        }
    }
    /* Active nodes (substeps only): reached from a root without crossing stop,
     * and depending on a trainable this substep updates. */
    if (k->is_step) {
        const Substep *st = &c->steps[k->index];
        uint8_t *dep = calloc(nn ? nn : 1, 1), *down = calloc(nn ? nn : 1, 1);
        uint8_t *upd = calloc(c->ntrs ? (size_t)c->ntrs : 1, 1);
        if (!dep || !down || !upd) HY_ICE("out of memory");
        for (int t = 0; t < st->ntrain; t++) upd[st->train[t]] = 1;
        for (uint32_t i = 0; i < nn; i++) {
            const Node *nd = &ir->nodes[i];
            if (!k->need[i]) continue;
            switch (nd->op) {
            case OP_PARAM: dep[i] = upd[nd->aux]; break;
            case OP_NETOUT: {
                const Call *cl = &ir->calls[nd->a];
                dep[i] = upd[cl->net];
                for (int a = 0; a < cl->nargs; a++) dep[i] |= dep[cl->args[a]];
                break;
            }
            case OP_STOP: case OP_DATA: case OP_CONST: case OP_COORD: case OP_NOISE: case OP_WEIGHT: break;
            case OP_SIM: dep[i] = (uint8_t)sim_sample_dep(c, nd->aux, upd); break;   /* its parameters */
            case OP_ADD: case OP_SUB: case OP_MUL: case OP_DIV: case OP_POW: case OP_ATAN2:
                dep[i] = dep[nd->a] | dep[nd->b]; break;
            case OP_LT: case OP_LE: break;                  /* no gradient */
            case OP_SEL: case OP_SELN: dep[i] = dep[nd->b]; break;
            case OP_NEG: case OP_SIN: case OP_COS: case OP_EXP: case OP_LOG: case OP_TANH: case OP_SQRT:
            case OP_ATAN: case OP_ASIN:
            case OP_ABS: case OP_SIGN: case OP_MEAN: case OP_SUM: case OP_MAXR:
                dep[i] = dep[nd->a]; break;
            case OP_COUNT: HY_ICE("bad op");
            }
        }
        for (int r = 0; r < k->nroots; r++) down[k->roots[r]] = 1;
        for (uint32_t i = nn; i-- > 0;) {
            if (!down[i] || !dep[i]) continue;
            k->active[i] = 1;
            const Node *nd = &ir->nodes[i];
            if (nd->op == OP_STOP || nd->op == OP_SIGN || nd->op == OP_LT || nd->op == OP_LE) continue;
            if (nd->op == OP_SEL || nd->op == OP_SELN) { down[nd->b] = 1; continue; }
            if (nd->op == OP_NETOUT) {
                const Call *cl = &ir->calls[nd->a];
                for (int a = 0; a < cl->nargs; a++) down[cl->args[a]] = 1;
                continue;
            }
            if (nd->op == OP_PARAM || nd->op == OP_CONST || nd->op == OP_COORD || nd->op == OP_NOISE ||
                nd->op == OP_DATA) continue;
            if (nd->a != NO_NODE) down[nd->a] = 1;
            if (nd->b != NO_NODE) down[nd->b] = 1;
        }
        free(dep); free(down); free(upd);
    }
    /* Plan storage: inputs, outputs. */
    for (int pi = 0; pi < k->nplans; pi++) {
        Plan *p = &k->plans[pi];
        const Call *cl = &ir->calls[p->call];
        const Trainable *t = &c->trs[cl->net];
        long n = cl->ps < 0 ? 1 : c->psets[cl->ps].n;
        int direct = cl->ps >= 0;
        for (int a = 0; a < cl->nargs && direct; a++) {
            const Node *an = &ir->nodes[cl->args[a]];
            direct = an->op == OP_COORD && an->ps == cl->ps && an->aux == (uint32_t)a;
        }
        if (direct) p->xoff = ps_coord_off(e, cl->ps, 0);
        else if (cl->nargs == 1 && ir->nodes[cl->args[0]].ps >= 0 && e->svoff[cl->args[0]] >= 0)
            p->xoff = e->svoff[cl->args[0]];
        else { p->xoff = off; p->xcopy = 1; off += n * cl->nargs; }
        p->outoff = off;
        off += (long)p->ncodes * t->dout * n;
    }
    /* Values of computed nodes. */
    for (uint32_t i = 0; i < nn; i++) {
        if (!k->need[i]) continue;
        const Node *nd = &ir->nodes[i];
        if (nd->op == OP_NETOUT) {
            const Plan *p = &k->plans[k->plan_of_call[nd->a]];
            k->voff[i] = p->outoff + netout_slot(e, p, i);
        } else if (nd->op == OP_STOP || nd->op == OP_DATA) {
            k->voff[i] = k->voff[nd->a];
        } else if (nd->op == OP_PARAM) {
            k->voff[i] = -1;   /* read from the parameter block */
        } else {
            k->voff[i] = off;
            off += node_n(e, i);
        }
    }
    /* Adjoints. */
    long aoff = 0;
    for (int pi = 0; pi < k->nplans; pi++) {
        Plan *p = &k->plans[pi];
        const Call *cl = &ir->calls[p->call];
        long n = cl->ps < 0 ? 1 : c->psets[cl->ps].n;
        int any = 0, argact = 0;
        for (uint32_t i = 0; i < nn; i++)
            if (k->active[i] && ir->nodes[i].op == OP_NETOUT && (int)ir->nodes[i].a == p->call) any = 1;
        for (int a = 0; a < cl->nargs; a++) argact |= k->active[cl->args[a]];
        if (!any) continue;
        p->bwd = 1;
        p->doff = aoff;
        aoff += (long)p->ncodes * c->trs[cl->net].dout * n;
        if (argact) { p->dxoff = aoff; aoff += (long)cl->nargs * n; }
    }
    for (uint32_t i = 0; i < nn; i++) {
        k->aoff[i] = -1;
        if (!k->active[i]) continue;
        const Node *nd = &ir->nodes[i];
        if (nd->op == OP_NETOUT) {
            const Plan *p = &k->plans[k->plan_of_call[nd->a]];
            k->aoff[i] = p->doff + netout_slot(e, p, i);
        } else {
            k->aoff[i] = aoff;
            aoff += node_n(e, i);
        }
    }
    k->vend = off;
    k->aend = aoff;
    if (off > e->vtotal) e->vtotal = off;
    if (aoff > e->atotal) e->atotal = aoff;
}

static void plan_all(Emit *e)
{
    Comp *c = e->c;
    plan_static(e);
    e->vtotal = e->static_end;
    int npools = 0;
    for (int p = 0; p < c->npsets; p++) npools += c->psets[p].resid != NO_NODE;
    e->nk = c->nsteps + c->nchecks + npools;
    e->ks = calloc(e->nk ? (size_t)e->nk : 1, sizeof *e->ks);
    if (!e->ks) HY_ICE("out of memory");
    for (int s = 0; s < c->nsteps; s++) {
        Kernel *k = &e->ks[s];
        k->is_step = 1;
        k->index = s;
        k->nroots = c->steps[s].nloss;
        k->roots = malloc((size_t)(k->nroots ? k->nroots : 1) * sizeof *k->roots);
        if (!k->roots) HY_ICE("out of memory");
        for (int i = 0; i < k->nroots; i++) k->roots[i] = c->losses[c->steps[s].losses[i]].root;
        plan_kernel(e, k);
    }
    for (int q = 0; q < c->nchecks; q++) {
        Kernel *k = &e->ks[c->nsteps + q];
        k->index = q;
        k->nroots = 1;
        k->roots = malloc(sizeof *k->roots);
        if (!k->roots) HY_ICE("out of memory");
        k->roots[0] = c->checks[q].root;
        plan_kernel(e, k);
    }
    int ki = c->nsteps + c->nchecks;
    for (int p = 0; p < c->npsets; p++) {
        if (c->psets[p].resid == NO_NODE) continue;
        Kernel *k = &e->ks[ki++];
        k->is_resid = 1;
        k->index = p;
        k->nroots = 1;
        k->roots = malloc(sizeof *k->roots);
        if (!k->roots) HY_ICE("out of memory");
        k->roots[0] = c->psets[p].resid;
        plan_kernel(e, k);
    }
}

static void free_plan(Emit *e)
{
    for (int i = 0; i < e->nk; i++) {
        Kernel *k = &e->ks[i];
        free(k->roots); free(k->need); free(k->active); free(k->voff); free(k->aoff);
        free(k->plan_of_call); free(k->plans);
    }
    free(e->ks);
    free(e->is_static);
    free(e->svoff);
    free(e->cnt);
}

/* ---- C text ---- */

/* v as C: a double literal, or a constant expression for a non-finite value
 * (the printf form 'inf' is no C). */
static void c_double(char *buf, size_t len, double v)
{
    if (isfinite(v)) snprintf(buf, len, "%.17g", v);
    else snprintf(buf, len, "%s", isnan(v) ? "(0.0 / 0.0)" : v > 0 ? "(1.0 / 0.0)" : "(-1.0 / 0.0)");
}

/* Value of node i at point index "i" (or [0] for scalars), as C. voff: the
 * offsets in force. */
static const char *val(Emit *e, const long *voff, NodeId i, char *buf, size_t len)
{
    const Node *nd = &e->c->ir.nodes[i];
    if (nd->op == OP_CONST) c_double(buf, len, nd->num);
    else if (nd->op == OP_PARAM) snprintf(buf, len, "P[hyk_po[%u]]", nd->aux);
    else if (voff[i] < 0) HY_ICE("node %u has no storage", i);
    else snprintf(buf, len, "V[%ld%s]", voff[i], nd->ps < 0 ? "" : " + i");
    return buf;
}

static void line_dir(Emit *e, const Node *nd)
{
    if (nd->loc.line > 0) fprintf(e->o, "#line %d \"%s\"\n", nd->loc.line, e->file);
    fprintf(e->o, "    /* n%u %s */\n", (unsigned)(nd - e->c->ir.nodes), op_name(nd->op));
}

/* Forward code of node i (not an alias, not static unless in setup). */
static void emit_node(Emit *e, const long *voff, NodeId i, const char *ind)
{
    Comp *c = e->c;
    const Node *nd = &c->ir.nodes[i];
    char A[64], B[64], R[64], D[64];
    const char *n = node_cnt(e, i);
    FILE *o = e->o;
    const char *fn = NULL;
    if (nd->op == OP_CONST || nd->op == OP_COORD || nd->op == OP_PARAM || nd->op == OP_NETOUT ||
        nd->op == OP_DATA || nd->op == OP_STOP)
        return;   /* leaves and aliases: nothing to compute */
    line_dir(e, nd);
    if (nd->op != OP_NOISE && nd->a != NO_NODE && nd->op != OP_NETOUT) val(e, voff, nd->a, A, sizeof A);
    if (nd->b != NO_NODE && nd->op != OP_NETOUT) val(e, voff, nd->b, B, sizeof B);
    val(e, voff, i, R, sizeof R);
    const char *loop = nd->ps < 0 ? "" : "for (i = 0; i < ";
    char head[96];
    if (nd->ps < 0) snprintf(head, sizeof head, "%s", ind);
    else snprintf(head, sizeof head, "%s%s%s; i++) ", ind, loop, n);
    switch (nd->op) {
    case OP_ADD: fprintf(o, "%s%s = %s + %s;\n", head, R, A, B); return;
    case OP_SUB: fprintf(o, "%s%s = %s - %s;\n", head, R, A, B); return;
    case OP_MUL: fprintf(o, "%s%s = %s * %s;\n", head, R, A, B); return;
    case OP_DIV:   /* two constants only where folding refused (x / 0): a double division, never C's integer one */
        fprintf(o, "%s%s = %s%s / %s;\n", head, R,
                c->ir.nodes[nd->a].op == OP_CONST && c->ir.nodes[nd->b].op == OP_CONST ? "(double)" : "", A, B);
        return;
    case OP_POW: fprintf(o, "%s%s = hy_pow(%s, %s);\n", head, R, A, B); return;
    case OP_ATAN2: fprintf(o, "%s%s = hy_atan2(%s, %s);\n", head, R, A, B); return;
    case OP_NEG: fprintf(o, "%s%s = -%s;\n", head, R, A); return;
    case OP_ABS: fprintf(o, "%s%s = hy_fabs(%s);\n", head, R, A); return;
    case OP_SIGN: fprintf(o, "%s%s = (double)((%s > 0) - (%s < 0));\n", head, R, A, A); return;
    case OP_LT: fprintf(o, "%s%s = (double)(%s < %s);\n", head, R, A, B); return;
    case OP_LE: fprintf(o, "%s%s = (double)(%s <= %s);\n", head, R, A, B); return;
    case OP_SEL: fprintf(o, "%s%s = %s != 0 ? %s : 0.0;\n", head, R, A, B); return;
    case OP_SELN: fprintf(o, "%s%s = %s != 0 ? 0.0 : %s;\n", head, R, A, B); return;
    case OP_SIN: fn = "sin"; break;
    case OP_COS: fn = "cos"; break;
    case OP_EXP: fn = "exp"; break;
    case OP_LOG: fn = "log"; break;
    case OP_TANH: fn = "tanh"; break;
    case OP_SQRT: fn = "sqrt"; break;
    case OP_ATAN: fn = "atan"; break;
    case OP_ASIN: fn = "asin"; break;
    case OP_MEAN: case OP_SUM: case OP_MAXR: {
        const Node *an = &c->ir.nodes[nd->a];
        const char *na = node_cnt(e, nd->a);
        if (an->ps < 0) { fprintf(o, "%s%s = %s;\n", ind, R, A); return; }
        if (nd->op == OP_MAXR) {
            fprintf(o, "%s{ double m = V[%ld]; for (i = 1; i < %s; i++) if (V[%ld + i] > m) m = V[%ld + i]; %s = m; }\n",
                    ind, voff[nd->a], na, voff[nd->a], voff[nd->a], R);
            return;
        }
        fprintf(o, "%s{ double s = 0; for (i = 0; i < %s; i++) s += V[%ld + i]; %s = s%s; }\n", ind, na, voff[nd->a], R,
                nd->op == OP_MEAN ? mean_div(e, an->ps, D, sizeof D) : "");
        return;
    }
    case OP_NOISE:
        fprintf(o, "%shy_noise(c, %u, %s, %.17g, V + %ld);\n", ind, nd->aux, n, nd->num, voff[i]);
        return;
    case OP_SIM:   /* a simulator's state: snapshots or interpolated (emit_sim.c) */
        emit_sim_fwd(c, o, i, voff[i], n, ind);
        return;
    case OP_CONST: case OP_COORD: case OP_PARAM: case OP_NETOUT: case OP_DATA: case OP_STOP:
        return;   /* leaves and aliases: nothing to compute */
    case OP_WEIGHT:   /* emit_weight */
    case OP_COUNT:
        break;
    }
    if (!fn) HY_ICE("emit: no forward rule for %s", op_name(nd->op));
    if (nd->ps >= 0 && voff[nd->a] >= 0)
        fprintf(o, "%shy_v%s(%s, V + %ld, V + %ld);\n", ind, fn, n, voff[nd->a], voff[i]);
    else
        fprintf(o, "%s%s = hy_%s(%s);\n", head, R, fn, A);
}

/* Accumulates EXPR (a C expression of point index i) into the adjoint of
 * child ch, from a pointwise or scalar parent p. */
static void acc(Emit *e, Kernel *k, NodeId p, NodeId ch, const char *expr)
{
    if (!k->active[ch]) return;
    const Node *pn = &e->c->ir.nodes[p], *cn = &e->c->ir.nodes[ch];
    FILE *o = e->o;
    const char *n = node_cnt(e, p);
    if (cn->op == OP_PARAM) {   /* gradient of a scalar trainable */
        if (pn->ps < 0) fprintf(o, "    G[hyk_po[%u]] += %s;\n", cn->aux, expr);
        else fprintf(o, "    { double s = 0; for (i = 0; i < %s; i++) s += %s; G[hyk_po[%u]] += s; }\n", n, expr, cn->aux);
        return;
    }
    if (pn->ps < 0) fprintf(o, "    A[%ld] += %s;\n", k->aoff[ch], expr);
    else if (cn->ps < 0)
        fprintf(o, "    { double s = 0; for (i = 0; i < %s; i++) s += %s; A[%ld] += s; }\n", n, expr, k->aoff[ch]);
    else fprintf(o, "    for (i = 0; i < %s; i++) A[%ld + i] += %s;\n", n, k->aoff[ch], expr);
}

/* Reverse-mode rule of node i (active, not netout). */
static void emit_adjoint(Emit *e, Kernel *k, NodeId i)
{
    Comp *c = e->c;
    const Node *nd = &c->ir.nodes[i];
    char A[64], B[64], R[64], G[64], x[512];
    val(e, k->voff, i, R, sizeof R);
    if (nd->a != NO_NODE) val(e, k->voff, nd->a, A, sizeof A);
    if (nd->b != NO_NODE) val(e, k->voff, nd->b, B, sizeof B);
    snprintf(G, sizeof G, "A[%ld%s]", k->aoff[i], nd->ps < 0 ? "" : " + i");
    line_dir(e, nd);
    switch (nd->op) {
    case OP_ADD: acc(e, k, i, nd->a, G); acc(e, k, i, nd->b, G); return;              /* d(a+b) = da + db */
    case OP_SUB: acc(e, k, i, nd->a, G); snprintf(x, sizeof x, "-%s", G); acc(e, k, i, nd->b, x); return;
    case OP_MUL:                                                                         /* d(ab) = b da + a db */
        if (nd->a == nd->b) { snprintf(x, sizeof x, "2 * %s * %s", G, A); acc(e, k, i, nd->a, x); return; }
        snprintf(x, sizeof x, "%s * %s", G, B); acc(e, k, i, nd->a, x);
        snprintf(x, sizeof x, "%s * %s", G, A); acc(e, k, i, nd->b, x);
        return;
    case OP_DIV:                                                                         /* d(a/b) = da/b - (a/b) db/b */
        snprintf(x, sizeof x, "%s / %s", G, B); acc(e, k, i, nd->a, x);
        snprintf(x, sizeof x, "-%s * %s / %s", G, R, B); acc(e, k, i, nd->b, x);
        return;
    case OP_POW:                                                                         /* d(a^b) = b a^(b-1) da + a^b ln a db */
        snprintf(x, sizeof x, "%s * %s * hy_pow(%s, %s - 1)", G, B, A, B); acc(e, k, i, nd->a, x);
        snprintf(x, sizeof x, "%s * %s * hy_log(%s)", G, R, A); acc(e, k, i, nd->b, x);
        return;
    case OP_NEG: snprintf(x, sizeof x, "-%s", G); acc(e, k, i, nd->a, x); return;
    case OP_SIN: snprintf(x, sizeof x, "%s * hy_cos(%s)", G, A); acc(e, k, i, nd->a, x); return;
    case OP_COS: snprintf(x, sizeof x, "-%s * hy_sin(%s)", G, A); acc(e, k, i, nd->a, x); return;
    case OP_EXP: snprintf(x, sizeof x, "%s * %s", G, R); acc(e, k, i, nd->a, x); return;
    case OP_LOG: snprintf(x, sizeof x, "%s / %s", G, A); acc(e, k, i, nd->a, x); return;
    case OP_TANH: snprintf(x, sizeof x, "%s * (1 - %s * %s)", G, R, R); acc(e, k, i, nd->a, x); return;
    case OP_SQRT: snprintf(x, sizeof x, "%s * 0.5 / %s", G, R); acc(e, k, i, nd->a, x); return;
    case OP_ATAN: snprintf(x, sizeof x, "%s / (1 + %s * %s)", G, A, A); acc(e, k, i, nd->a, x); return;
    case OP_ASIN: snprintf(x, sizeof x, "%s / hy_sqrt(1 - %s * %s)", G, A, A); acc(e, k, i, nd->a, x); return;
    case OP_ATAN2:                                                                       /* d atan2(a, b) = (b da - a db)/(a^2 + b^2) */
        snprintf(x, sizeof x, "%s * %s / (%s * %s + %s * %s)", G, B, A, A, B, B); acc(e, k, i, nd->a, x);
        snprintf(x, sizeof x, "-%s * %s / (%s * %s + %s * %s)", G, A, A, A, B, B); acc(e, k, i, nd->b, x);
        return;
    case OP_ABS: snprintf(x, sizeof x, "%s * (double)((%s > 0) - (%s < 0))", G, A, A); acc(e, k, i, nd->a, x); return;
    case OP_SIGN: case OP_STOP: case OP_LT: case OP_LE: return;                          /* no gradient */
    case OP_SEL: snprintf(x, sizeof x, "(%s != 0 ? %s : 0.0)", A, G); acc(e, k, i, nd->b, x); return;
    case OP_SELN: snprintf(x, sizeof x, "(%s != 0 ? 0.0 : %s)", A, G); acc(e, k, i, nd->b, x); return;
    case OP_MEAN: case OP_SUM: {                                                         /* d mean = da / n */
        const Node *an = &c->ir.nodes[nd->a];
        if (!k->active[nd->a]) return;
        if (an->ps < 0) { acc(e, k, i, nd->a, G); return; }
        const char *na = node_cnt(e, nd->a);
        if (nd->op == OP_MEAN) fprintf(e->o, "    { double g = A[%ld]%s; for (i = 0; i < %s; i++) A[%ld + i] += g; }\n",
                                       k->aoff[i], mean_div(e, an->ps, x, sizeof x), na, k->aoff[nd->a]);
        else fprintf(e->o, "    for (i = 0; i < %s; i++) A[%ld + i] += A[%ld];\n", na, k->aoff[nd->a], k->aoff[i]);
        return;
    }
    case OP_MAXR: {                                                                      /* to the first maximiser */
        const Node *an = &c->ir.nodes[nd->a];
        if (!k->active[nd->a]) return;
        if (an->ps < 0) { acc(e, k, i, nd->a, G); return; }
        const char *na = node_cnt(e, nd->a);
        long va = k->voff[nd->a];
        fprintf(e->o, "    { long m = 0; for (i = 1; i < %s; i++) if (V[%ld + i] > V[%ld + m]) m = i; A[%ld + m] += A[%ld]; }\n",
                na, va, va, k->aoff[nd->a], k->aoff[i]);
        return;
    }
    case OP_PARAM:          /* handled by acc() at its parents */
    case OP_NETOUT:         /* handled per plan */
    case OP_CONST: case OP_COORD: case OP_NOISE: case OP_DATA: case OP_WEIGHT:
        return;
    case OP_SIM:            /* seeds the simulator's adjoint (emit_sim.c) */
        emit_sim_bwd(c, e->o, i, k->aoff[i], node_cnt(e, i));
        return;
    case OP_COUNT:
        break;
    }
    HY_ICE("emit: no adjoint rule for %s", op_name(nd->op));
}

/* Minimal index among the kernel's netout nodes of plan p (active only if
 * active_only). */
static NodeId first_netout(Emit *e, Kernel *k, int call, int active_only)
{
    for (NodeId i = 0; i < e->c->ir.nnodes; i++) {
        const Node *nd = &e->c->ir.nodes[i];
        if (nd->op == OP_NETOUT && (int)nd->a == call && k->need[i] && (!active_only || k->active[i])) return i;
    }
    return NO_NODE;
}

static void emit_jet_fwd(Emit *e, Kernel *k, const Plan *p)
{
    const Call *cl = &e->c->ir.calls[p->call];
    long n = cl->ps < 0 ? 1 : e->c->psets[cl->ps].n;
    const char *cn = cl->ps < 0 ? "1" : e->cnt[cl->ps];
    char A[64];
    if (p->xcopy)
        for (int a = 0; a < cl->nargs; a++) {
            val(e, k->voff, cl->args[a], A, sizeof A);
            fprintf(e->o, "    for (i = 0; i < %s; i++) V[%ld + i] = %s;\n", cn, p->xoff + a * n, A);
        }
    fprintf(e->o, "    hy_jet_fwd(c, hyk_plan[%d]);   /* %s at %s */\n", p->id, e->c->trs[cl->net].name,
            cl->ps < 0 ? "a point" : e->c->psets[cl->ps].name);
}

static void emit_jet_bwd(Emit *e, Kernel *k, const Plan *p)
{
    const Call *cl = &e->c->ir.calls[p->call];
    long n = cl->ps < 0 ? 1 : e->c->psets[cl->ps].n;
    const char *cn = cl->ps < 0 ? "1" : e->cnt[cl->ps];
    fprintf(e->o, "    hy_jet_bwd(c, hyk_plan[%d]);\n", p->id);
    if (p->dxoff < 0) return;
    char x[64];
    for (int a = 0; a < cl->nargs; a++) {
        NodeId an = cl->args[a];
        if (!k->active[an]) continue;
        const Node *nd = &e->c->ir.nodes[an];
        snprintf(x, sizeof x, "A[%ld + i]", p->dxoff + a * n);
        if (nd->op == OP_PARAM)
            fprintf(e->o, "    { double s = 0; for (i = 0; i < %s; i++) s += %s; G[hyk_po[%u]] += s; }\n", cn, x, nd->aux);
        else if (nd->ps < 0)
            fprintf(e->o, "    { double s = 0; for (i = 0; i < %s; i++) s += %s; A[%ld] += s; }\n", cn, x, k->aoff[an]);
        else
            fprintf(e->o, "    for (i = 0; i < %s; i++) A[%ld + i] += %s;\n", cn, k->aoff[an], x);
    }
}

/* Adaptive weight node i (w.pde in a loss).  In a substep, the values of its
 * balancer's losses (all computed before i: smaller indices, sched_reach) go
 * to L[] and hy_balancer_weight advances the balancer once per step; checks
 * and residuals read the current weights. */
static void emit_weight(Emit *e, Kernel *k, NodeId i)
{
    Comp *c = e->c;
    const Node *nd = &c->ir.nodes[i];
    const Balancer *bl = &c->bals[nd->aux >> 16];
    int q = (int)(nd->aux & 0xffff);
    char R[64], A[64];
    val(e, k->voff, i, R, sizeof R);
    if (!k->is_step) {
        fprintf(e->o, "    %s = hy_balancer_weights(c, %u)[%d];   /* %s.%s */\n", R, nd->aux >> 16, q, bl->name,
                c->losses[bl->losses[q]].name);
        return;
    }
    k->weights = 1;
    for (int l = 0; l < bl->nloss; l++)
        fprintf(e->o, "    L[%d] = %s;   /* %s */\n", bl->losses[l], val(e, k->voff, c->losses[bl->losses[l]].root, A, sizeof A),
                c->losses[bl->losses[l]].name);
    fprintf(e->o, "    %s = hy_balancer_weight(c, %u, %d);   /* %s.%s */\n", R, nd->aux >> 16, q, bl->name,
            c->losses[bl->losses[q]].name);
}

static void emit_forward(Emit *e, Kernel *k)
{
    Comp *c = e->c;
    for (NodeId i = 0; i < c->ir.nnodes; i++) {
        if (!k->need[i]) continue;
        const Node *nd = &c->ir.nodes[i];
        if (nd->op == OP_WEIGHT) {
            emit_weight(e, k, i);
            continue;
        }
        if (nd->op == OP_NETOUT) {
            if (first_netout(e, k, (int)nd->a, 0) == i) emit_jet_fwd(e, k, &k->plans[k->plan_of_call[nd->a]]);
            continue;
        }
        emit_node(e, k->voff, i, "    ");
    }
}

static void emit_kernel(Emit *e, Kernel *k)
{
    Comp *c = e->c;
    FILE *o = e->o;
    if (k->is_resid) {
        const PointSet *pp = &c->psets[k->index];
        fprintf(o, "\n/* residual of loss %s at the %d candidates of %s */\nstatic void hyk_resid%d(HyCtx *c)\n{\n",
                c->losses[c->psets[pp->pool_of].loss].name, pp->n, c->psets[pp->pool_of].name, k->index);
    } else if (k->is_step) {
        const Substep *st = &c->steps[k->index];
        fprintf(o, "\n/* substep %d: step %s -- updates", k->index + 1, st->label);
        for (int t = 0; t < st->ntrain; t++) fprintf(o, " %s", c->trs[st->train[t]].name);
        fprintf(o, " */\nstatic void hyk_step%d(HyCtx *c)\n{\n", k->index);
    } else {
        fprintf(o, "\n/* %s %s */\nstatic double hyk_check%d(HyCtx *c)\n{\n",
                c->checks[k->index].is_expect ? "expect" : "report", c->checks[k->index].text, k->index);
    }
    fprintf(o, "    double *V = hy_values(c), *A = hy_adjoints(c), *P = hy_params(c), *G = hy_grads(c);\n");
    fprintf(o, "    double *L = hy_loss_values(c);\n    long i;\n");
    fprintf(o, "    (void)A; (void)P; (void)G; (void)L; (void)i;\n");
    emit_counts(e);
    emit_forward(e, k);
    char R[64];
    if (k->is_resid) {
        fprintf(o, "}\n");
        return;
    }
    if (!k->is_step) {
        fprintf(o, "    return %s;\n}\n", val(e, k->voff, k->roots[0], R, sizeof R));
        return;
    }
    const Substep *st = &c->steps[k->index];
    for (int l = 0; l < st->nloss; l++)
        fprintf(o, "    L[%d] = %s;   /* %s */\n", st->losses[l], val(e, k->voff, k->roots[l], R, sizeof R),
                c->losses[st->losses[l]].name);
    {   /* losses named inside this step's losses (loss total = pde + bc): their values too, for the log */
        uint8_t *term = calloc((size_t)c->nlosses + 1, 1);
        if (!term) HY_ICE("out of memory");
        for (int l = 0; l < st->nloss; l++) term[st->losses[l]] = 1;
        for (int l = 0; l < c->nlosses; l++)
            if (c->losses[l].used && !term[l] && k->need[c->losses[l].root])
                fprintf(o, "    L[%d] = %s;   /* %s */\n", l, val(e, k->voff, c->losses[l].root, R, sizeof R), c->losses[l].name);
        free(term);
    }
    fprintf(o, "    /* reverse sweep, each loss's adjoint seeded with its term weight */\n");
    fprintf(o, "    const double *W = hy_step_weights(c);\n");
    if (k->aend) fprintf(o, "    hy_zero(%ld, A);\n", k->aend);
    for (int l = 0; l < st->nloss; l++) {
        NodeId r = k->roots[l];
        if (!k->active[r]) continue;
        if (c->ir.nodes[r].op == OP_PARAM) fprintf(o, "    G[hyk_po[%u]] += W[%d];\n", c->ir.nodes[r].aux, l);
        else fprintf(o, "    A[%ld] += W[%d];\n", k->aoff[r], l);
    }
    for (NodeId i = c->ir.nnodes; i-- > 0;) {
        if (!k->active[i]) continue;
        const Node *nd = &c->ir.nodes[i];
        if (nd->op == OP_NETOUT) {
            if (first_netout(e, k, (int)nd->a, 1) == i) emit_jet_bwd(e, k, &k->plans[k->plan_of_call[nd->a]]);
            continue;
        }
        emit_adjoint(e, k, i);
    }
    emit_sim_kernel_end(c, o, k->active);
    fprintf(o, "}\n");
}

static const char *cmp_c(int cmp)
{
    return cmp == HY_CMP_LT ? "HY_CMP_LT" : cmp == HY_CMP_LE ? "HY_CMP_LE" : cmp == HY_CMP_GT ? "HY_CMP_GT" : "HY_CMP_GE";
}

/* A C string literal of s, the same under every C dialect: quotes,
 * backslashes and bytes outside printable ASCII escaped, and every '?' that
 * follows a '?' written as an escape, so that no trigraph can form. */
static void cstr(FILE *o, const char *s)
{
    fputc('"', o);
    for (const char *p = s; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch == '?' && p > s && p[-1] == '?') fputs("\\?", o);
        else if (ch == '"' || ch == '\\') fprintf(o, "\\%c", ch);
        else if (ch < 32 || ch >= 127) fprintf(o, "\\%03o", ch);
        else fputc(ch, o);
    }
    fputc('"', o);
}

static const char *act_c[] = {"HY_ACT_TANH", "HY_ACT_SIN", "HY_ACT_GELU", "HY_ACT_SOFTPLUS", "HY_ACT_SIGMOID",
                              "HY_ACT_SWISH"};

static const char *const geom_op_c[] = {"HY_GEOM_UNION", "HY_GEOM_DIFF", "HY_GEOM_INTER"};
static const char *const sample_c[] = {"HY_SAMPLE_RANDOM", "HY_SAMPLE_LATIN", "HY_SAMPLE_SOBOL", "HY_SAMPLE_HALTON"};
static const char *const bnd_c[] = {"HY_BND_ALL", "HY_BND_AXIS", "HY_BND_AT", "HY_BND_SPACE"};

/* "if (CALL < 0) hy_fail(...)" for a geometry constructor or sampler. */
static void emit_checked(Emit *e, const char *what, const char *name, const char *fmt, ...)
{
    va_list ap;
    fprintf(e->o, "    if ((");
    va_start(ap, fmt);
    vfprintf(e->o, fmt, ap);
    va_end(ap);
    fprintf(e->o, ") < 0) hy_fail(c, ");
    cstr(e->o, arena_printf(&e->c->arena, "%s '%s'", what, name ? name : "(anonymous)"));
    fprintf(e->o, ", hy_geom_error(c));\n");
}

/* Builds the runtime geometry of domain d (operands first) into g[d]. */
static void emit_geom(Emit *e, int d, uint8_t *built)
{
    const Domain *dm = &e->c->domains[d];
    FILE *o = e->o;
    if (built[d]) return;
    if (dm->kind == DOM_BOOL) { emit_geom(e, dm->a, built); emit_geom(e, dm->b, built); }
    if (dm->kind == DOM_TIME) emit_geom(e, dm->a, built);
    built[d] = 1;
    switch (dm->kind) {
    case DOM_BOX:
        fprintf(o, "    { static const double lo[] = {");
        for (int k = 0; k < dm->dim; k++) fprintf(o, "%s%.17g", k ? ", " : "", dm->lo[k]);
        fprintf(o, "}, hi[] = {");
        for (int k = 0; k < dm->dim; k++) fprintf(o, "%s%.17g", k ? ", " : "", dm->hi[k]);
        fprintf(o, "};\n  ");
        emit_checked(e, "domain", dm->name, "g[%d] = hy_geom_box(c, %d, lo, hi)", d, dm->dim);
        fprintf(o, "    }\n");
        break;
    case DOM_DISK:
        emit_checked(e, "domain", dm->name, "g[%d] = hy_geom_disk(c, %.17g, %.17g, %.17g)", d, dm->cx, dm->cy, dm->r);
        break;
    case DOM_POLYGON:
        fprintf(o, "    { static const double xy[] = {");
        for (int k = 0; k < 2 * dm->nverts; k++) fprintf(o, "%s%.17g", k ? ", " : "", dm->verts[k]);
        fprintf(o, "};\n  ");
        emit_checked(e, "domain", dm->name, "g[%d] = hy_geom_polygon(c, %d, xy)", d, dm->nverts);
        fprintf(o, "    }\n");
        break;
    case DOM_BOOL:
        emit_checked(e, "domain", dm->name, "g[%d] = hy_geom_bool(c, %s, g[%d], g[%d])", d, geom_op_c[dm->op], dm->a, dm->b);
        break;
    case DOM_TIME:
        emit_checked(e, "domain", dm->name, "g[%d] = hy_geom_time(c, g[%d], %.17g, %.17g)", d, dm->a, dm->lo[dm->dim - 1],
                     dm->hi[dm->dim - 1]);
        break;
    }
}

/* Coordinates (and normals) of a sampled point set: drawn from the seed with
 * the point set's index as stream. */
static void emit_sample(Emit *e, int p)
{
    const PointSet *ps = &e->c->psets[p];
    FILE *o = e->o;
    (void)o;
    if (ps->boundary)
        emit_checked(e, "point set", ps->name, "hy_geom_sample_boundary(c, g[%d], %s, %d, %.17g, %s, %d, %d, V + %ld, V + %ld)",
                     ps->domain, bnd_c[ps->bsel], ps->baxis, ps->bvalue, sample_c[ps->method], ps->n, p, ps->voff,
                     ps->voff + (long)ps->dim * ps->n);
    else
        emit_checked(e, "point set", ps->name, "hy_geom_sample(c, g[%d], %s, %d, %d, V + %ld)", ps->domain,
                     sample_c[ps->method], ps->n, p, ps->voff);
}

/* Point sets the runtime redraws: user sets with 'resample'/'grow', and pools. */
static int redrawn(const PointSet *ps) { return ps->every > 0 || ps->pool_of >= 0; }

/* hyk_refresh<p>: the static nodes that depend on point set p's coordinates
 * or noise, recomputed in index order.  Returns 0 (and emits nothing) when
 * there are none. */
static int emit_refresh(Emit *e, int p)
{
    Comp *c = e->c;
    uint32_t nn = c->ir.nnodes;
    uint8_t *dirty = calloc(nn ? nn : 1, 1);
    if (!dirty) HY_ICE("out of memory");
    int any = 0;
    for (NodeId i = 0; i < nn; i++) {
        const Node *nd = &c->ir.nodes[i];
        if (!e->is_static[i]) continue;
        if (nd->op == OP_COORD || nd->op == OP_NOISE) dirty[i] = nd->ps == p;
        else dirty[i] = (nd->a != NO_NODE && dirty[nd->a]) || (nd->b != NO_NODE && dirty[nd->b]);
        any |= dirty[i] && nd->op != OP_COORD && nd->op != OP_STOP && nd->op != OP_DATA;
    }
    if (any) {
        fprintf(e->o, "\n/* point set %s was drawn anew: the static values that depend on it */\n", c->psets[p].name);
        fprintf(e->o, "static void hyk_refresh%d(HyCtx *c)\n{\n    double *V = hy_values(c);\n    long i;\n    (void)i;\n", p);
        emit_counts(e);
        for (NodeId i = 0; i < nn; i++)
            if (dirty[i]) emit_node(e, e->svoff, i, "    ");
        fprintf(e->o, "}\n");
    }
    free(dirty);
    return any;
}

/* The runtime's record of a redrawn point set: sampler, first draw. */
static void emit_ps_sampler(Emit *e, int p)
{
    const PointSet *ps = &e->c->psets[p];
    fprintf(e->o, "    hy_ps_sampler(c, %d, ", p);
    cstr(e->o, ps->name);
    fprintf(e->o, ", g[%d], %s, %d, %s, %d, %.17g, %d, %d, V + %ld, ", ps->domain, sample_c[ps->method], ps->boundary,
            bnd_c[ps->bsel], ps->baxis, ps->bvalue, ps->n0, ps->n, ps->voff);
    if (ps->normals) fprintf(e->o, "V + %ld);\n", ps->voff + (long)ps->dim * ps->n);
    else fprintf(e->o, "0);\n");
}

/* Registers the redraws of point set p (after the jet plans). */
static void emit_redraw(Emit *e, int p, const uint8_t *has_refresh)
{
    const PointSet *ps = &e->c->psets[p];
    FILE *o = e->o;
    char rf[32] = "0", rpf[32] = "0";
    if (has_refresh[p]) snprintf(rf, sizeof rf, "hyk_refresh%d", p);
    if (!ps->rar) {
        fprintf(o, "    hy_ps_resample(c, %d, %ld, %s);\n", p, ps->every, rf);
        return;
    }
    const Kernel *k = NULL;
    for (int i = 0; i < e->nk; i++)
        if (e->ks[i].is_resid && e->ks[i].index == ps->pool) k = &e->ks[i];
    if (!k) HY_ICE("no residual kernel for point set %d", p);
    long roff = k->voff[k->roots[0]];
    if (roff < 0) HY_ICE("residual of point set %d has no storage", p);
    if (has_refresh[ps->pool]) snprintf(rpf, sizeof rpf, "hyk_refresh%d", ps->pool);
    fprintf(o, "    hy_ps_rar(c, %d, %ld, %d, %d, %.17g, %.17g, hyk_resid%d, V + %ld, %s, %s);   /* RAR-D by loss %s */\n", p,
            ps->every, ps->pool, ps->add, ps->rar_k, ps->rar_c, ps->pool, roff, rpf, rf, e->c->losses[ps->loss].name);
}

static void emit_setup(Emit *e, const uint8_t *has_refresh)
{
    Comp *c = e->c;
    FILE *o = e->o;
    fprintf(o, "\n/* Declares the problem to the runtime and computes every static value. */\n");
    fprintf(o, "void hyk_setup(HyCtx *c)\n{\n    double *V;\n    long i;\n    (void)i;\n");
    fprintf(o, "    hy_seed(c, %lluULL);\n", c->seed);
    fprintf(o, "    hy_alloc(c, %ld, %ld);\n    V = hy_values(c);\n", e->vtotal ? e->vtotal : 1, e->atotal ? e->atotal : 1);
    uint8_t *built = calloc((size_t)c->ndomains + 1, 1);
    if (!built) HY_ICE("out of memory");
    int any_sample = 0;
    for (int p = 0; p < c->npsets; p++) any_sample |= c->psets[p].kind == PS_SAMPLE;
    if (any_sample) {
        fprintf(o, "    int g[%d];   /* runtime geometry of each domain */\n", c->ndomains);
        for (int p = 0; p < c->npsets; p++)
            if (c->psets[p].kind == PS_SAMPLE) emit_geom(e, c->psets[p].domain, built);
    }
    free(built);
    for (int p = 0; p < c->npsets; p++) {
        const PointSet *ps = &c->psets[p];
        const Domain *d = &c->domains[ps->domain];
        if (ps->grows)
            fprintf(o, "    /* point set %s: %d points, growing to %d, %s %s */\n", ps->name, ps->n0, ps->n,
                    ps->boundary ? "on the boundary of" : "in", d->name ? d->name : "(anonymous)");
        else
            fprintf(o, "    /* point set %s: %d points %s %s */\n", ps->name, ps->n, ps->boundary ? "on the boundary of" : "in",
                    d->name ? d->name : "(anonymous)");
        if (ps->kind == PS_SAMPLE && redrawn(ps)) {
            emit_ps_sampler(e, p);
        } else if (ps->kind == PS_SAMPLE) {
            emit_sample(e, p);
        } else if (ps->kind == PS_FILE) {
            fprintf(o, "    { static const char *const cols[] = {");
            for (int k = 0; k < ps->dim + ps->extra; k++) {
                fprintf(o, "%s", k ? ", " : "");
                cstr(o, ps->cols[k]);
            }
            fprintf(o, "};\n      hy_load_columns(c, ");
            cstr(o, ps->path);
            fprintf(o, ", %d, cols, %d, V + %ld); }\n", ps->dim + ps->extra, ps->n, ps->voff);
        } else if (ps->kind == PS_LIST) {   /* the listed coordinates, axis-major */
            fprintf(o, "    { static const double v[] = {");
            for (long q = 0; q < (long)ps->dim * ps->n; q++) fprintf(o, "%s%.17g", q ? ", " : "", ps->pts[q]);
            fprintf(o, "};\n      long q; for (q = 0; q < %ld; q++) V[%ld + q] = v[q]; }\n", (long)ps->dim * ps->n, ps->voff);
        } else if (ps->kind == PS_LINSPACE) {
            fprintf(o, "    hy_fill_linspace(V + %ld, %d, %.17g, %.17g);\n", ps->voff, ps->n, ps->lo, ps->hi);
        } else if (ps->dim == 1) {
            fprintf(o, "    hy_fill_linspace(V + %ld, %d, %.17g, %.17g);\n", ps->voff, ps->n, d->lo[0], d->hi[0]);
        } else {
            /* grid, first axis slowest: point (i0, i1, ...) */
            fprintf(o, "    {\n        long q = 0, r, j;\n        for (q = 0; q < %d; q++) {\n            r = q;\n", ps->n);
            for (int ax = ps->dim - 1; ax >= 0; ax--) {
                int cnt = ps->counts[ax];
                fprintf(o, "            j = r %% %d; r /= %d;\n", cnt, cnt);
                fprintf(o, "            V[%ld + q] = j == %d ? %.17g : %.17g + (%.17g) * (double)j / %d.0;\n",
                        ps->voff + (long)ax * ps->n, cnt - 1, d->hi[ax], d->lo[ax], d->hi[ax] - d->lo[ax], cnt - 1);
            }
            fprintf(o, "        }\n    }\n");
        }
        fprintf(o, "    hy_pointset(c, ");
        cstr(o, ps->name);
        fprintf(o, ", %d, %d, V + %ld);\n", ps->n0, ps->dim, ps->voff);
    }
    for (int t = 0; t < c->ntrs; t++) {
        const Trainable *tr = &c->trs[t];
        if (tr->kind == TR_NET && (tr->netkind != HY_NET_MLP || tr->winit || tr->normalize)) {
            fprintf(o, "    { static const double o[] = {%d, %d, %.17g, %d", tr->winit, tr->nfeat, tr->fscale, tr->normalize);
            for (int k = 0; tr->normalize && k < 2 * tr->din; k++)
                fprintf(o, ", %.17g", k < tr->din ? tr->nlo[k] : tr->nhi[k - tr->din]);
            fprintf(o, "};\n      hy_net(c, ");
            cstr(o, tr->name);
            fprintf(o, ", %d, %d, %d, %d, %d, %s, %d, o); }\n", tr->netkind, tr->din, tr->dout, tr->width, tr->depth,
                    act_c[tr->act], 4 + (tr->normalize ? 2 * tr->din : 0));
        } else if (tr->kind == TR_NET) {
            fprintf(o, "    hy_mlp(c, ");
            cstr(o, tr->name);
            fprintf(o, ", %d, %d, %d, %d, %s);\n", tr->din, tr->dout, tr->width, tr->depth, act_c[tr->act]);
        } else {
            fprintf(o, "    hy_scalar(c, ");
            cstr(o, tr->name);
            fprintf(o, ", %.17g);\n", tr->init);
        }
        fprintf(o, "    { static const double h[] = {");
        for (int h = 0; h < tr->nhyper; h++) fprintf(o, "%s%.17g", h ? ", " : "", tr->hyper[h]);
        fprintf(o, "}; hy_optimizer(c, %d, %d, %d, h); }\n", t, tr->opt_kind, tr->nhyper);
        if (tr->clip_kind)
            fprintf(o, "    hy_opt_clip(c, %d, %s, %.17g);\n", t, tr->clip_kind == HY_CLIP_NORM ? "HY_CLIP_NORM" : "HY_CLIP_VALUE",
                    tr->clip_v);
        if (tr->sched_kind == HY_SCHED_FN) {
            fprintf(o, "    hy_schedule_fn(c, %d, hyk_sched%d);\n", t, t);
        } else if (tr->sched_kind >= 0) {
            fprintf(o, "    { static const double s[] = {");
            for (int h = 0; h < tr->nsched; h++) fprintf(o, "%s%.17g", h ? ", " : "", tr->sched[h]);
            fprintf(o, "}; hy_schedule(c, %d, %d, %d, s); }\n", t, tr->sched_kind, tr->nsched);
        }
        if (tr->min_lr > 0 || isfinite(tr->max_lr))
            fprintf(o, "    hy_schedule_clamp(c, %d, %.17g, %.17g);\n", t, tr->min_lr, isfinite(tr->max_lr) ? tr->max_lr : 1e308);
        if (tr->has_bounds) fprintf(o, "    hy_bounds(c, %d, %.17g, %.17g);\n", t, tr->lo, tr->hi);
    }
    for (int t = 0; t < c->ntrs; t++) fprintf(o, "    hyk_po[%d] = hy_param_offset(c, %d);\n", t, t);
    emit_sim_setup(c, o);
    emit_counts(e);
    fprintf(o, "    /* static values */\n");
    for (NodeId i = 0; i < c->ir.nnodes; i++)
        if (e->is_static[i]) emit_node(e, e->svoff, i, "    ");
    fprintf(o, "    /* network evaluations (jet plans) */\n");
    for (int ki = 0; ki < e->nk; ki++) {
        Kernel *k = &e->ks[ki];
        for (int pi = 0; pi < k->nplans; pi++) {
            const Plan *p = &k->plans[pi];
            const Call *cl = &c->ir.calls[p->call];
            fprintf(o, "    { static const int comps[] = {");
            for (int q = 0; q < p->ncodes; q++) fprintf(o, "%s0x%x", q ? ", " : "", p->codes[q]);
            if (cl->ps >= 0 && c->psets[cl->ps].grows)
                fprintf(o, "};\n      hyk_plan[%d] = hy_jet_plan_ps(c, %d, %d, %d, comps, V + %ld, V + %ld, ", p->id, cl->net,
                        cl->ps, p->ncodes, p->xoff, p->outoff);
            else
                fprintf(o, "};\n      hyk_plan[%d] = hy_jet_plan(c, %d, %d, %d, comps, V + %ld, V + %ld, ", p->id, cl->net,
                        cl->ps < 0 ? 1 : c->psets[cl->ps].n, p->ncodes, p->xoff, p->outoff);
            if (p->doff >= 0) fprintf(o, "hy_adjoints(c) + %ld, ", p->doff); else fprintf(o, "0, ");
            if (p->dxoff >= 0) fprintf(o, "hy_adjoints(c) + %ld); }\n", p->dxoff); else fprintf(o, "0); }\n");
        }
    }
    for (int p = 0; p < c->npsets; p++)
        if (c->psets[p].every > 0) emit_redraw(e, p, has_refresh);
    for (int l = 0; l < c->nlosses; l++) {
        fprintf(o, "    hy_loss(c, ");
        cstr(o, c->losses[l].name);
        fprintf(o, ");\n");
    }
    for (int s = 0; s < c->nsteps; s++) {
        const Substep *st = &c->steps[s];
        if (st->phase > 0 && (s == 0 || c->steps[s - 1].phase != st->phase)) {
            const Phase *ph = &c->phases[st->phase];
            fprintf(o, "    /* phase %d: %ld %s */\n", st->phase + 1, ph->count, ph->is_iterations ? "iterations" : "epochs");
            fprintf(o, "    { static const double h[] = {");
            for (int h = 0; h < ph->nhyper; h++) fprintf(o, "%s%.17g", h ? ", " : "", ph->hyper[h]);
            if (!ph->nhyper) fprintf(o, "0");
            fprintf(o, "}; hy_phase(c, %ld, %d, %d, %d, h); }\n", ph->count, ph->is_iterations, ph->opt_kind, ph->nhyper);
        }
        fprintf(o, "    { static const int tr[] = {");
        for (int t = 0; t < st->ntrain; t++) fprintf(o, "%s%d", t ? ", " : "", st->train[t]);
        fprintf(o, "}, ls[] = {");
        for (int l = 0; l < st->nloss; l++) fprintf(o, "%s%d", l ? ", " : "", st->losses[l]);
        fprintf(o, "};\n      hy_substep(c, ");
        cstr(o, st->label);
        fprintf(o, ", %ld, %d, tr, %d, ls, hyk_step%d); }\n", st->repeat, st->ntrain, st->nloss, s);
    }
    for (int b = 0; b < c->nbals; b++) {
        const Balancer *bl = &c->bals[b];
        fprintf(o, "    { static const int ls[] = {");
        for (int l = 0; l < bl->nloss; l++) fprintf(o, "%s%d", l ? ", " : "", bl->losses[l]);
        fprintf(o, "};\n      static const double p[] = {");
        for (int q = 0; q < bl->nparam; q++) fprintf(o, "%s%.17g", q ? ", " : "", bl->param[q]);
        fprintf(o, "};\n      hy_balancer(c, ");
        cstr(o, bl->name);
        fprintf(o, ", %d, %d, ls, %d, p, %d); }\n", bl->kind, bl->nloss, bl->nparam, bl->mode);
    }
    for (int s = 0; s < c->nsteps; s++)
        for (int l = 0; l < c->steps[s].nloss; l++)
            if (c->steps[s].coef[l] != 1 || c->steps[s].bal[l] >= 0)
                fprintf(o, "    hy_substep_term(c, %d, %d, %.17g, %d, %d);\n", s, l, c->steps[s].coef[l], c->steps[s].bal[l],
                        c->steps[s].bal_index[l]);
    for (int i = 0; i < e->nk; i++)
        if (e->ks[i].is_step && e->ks[i].weights) fprintf(o, "    hy_substep_balanced(c, %d);\n", e->ks[i].index);
    for (int b = 0; b < c->nbals; b++)
        if (c->bals[b].tracked) fprintf(o, "    hy_track_balancer(c, %d);\n", b);
    for (int t = 0; t < c->ntrack_lr; t++) fprintf(o, "    hy_track_lr(c, %d);\n", c->track_lr[t]);
    fprintf(o, "    hy_epochs(c, %ld);\n", c->epochs);
    emit_train_sched(c, o);
    for (int q = 0; q < c->nchecks; q++) {
        const Check *k = &c->checks[q];
        if (k->is_expect) {
            fprintf(o, "    hy_expect(c, ");
            cstr(o, k->text);
            fprintf(o, ", %s, %.17g, hyk_check%d);\n", cmp_c(k->cmp), k->bound, q);
        } else {
            fprintf(o, "    hy_report(c, ");
            cstr(o, k->text);
            fprintf(o, ", hyk_check%d);\n", q);
        }
    }
    fprintf(o, "}\n");
}

/* Sets up an emitter over c writing to out, with the storage planned. */
static void emit_begin(Emit *e, Comp *c, FILE *out)
{
    memset(e, 0, sizeof *e);
    e->c = c;
    e->o = out;
    c->diag.file = diag_c_safe_name(&c->arena, c->diag.file);  /* callers of the library may pass any name */
    e->file = c->diag.file;
    plan_all(e);
    e->cnt = malloc((size_t)(c->npsets ? c->npsets : 1) * sizeof *e->cnt);
    if (!e->cnt) HY_ICE("out of memory");
    for (int p = 0; p < c->npsets; p++) {
        e->any_grows |= c->psets[p].grows;
        e->cnt[p] = c->psets[p].grows ? arena_printf(&c->arena, "hyk_n%d", p) : arena_printf(&c->arena, "%d", c->psets[p].n);
    }
}

void emit_program(Comp *c, FILE *out, int with_prelude)
{
    Emit e;
    emit_begin(&e, c, out);
    if (with_prelude) fprintf(out, "%s\n", hy_prelude_text);
    fprintf(out, "/* Generated by hycoc from %s.  V: %ld values, A: %ld adjoints. */\n", c->diag.file, e.vtotal,
            e.atotal);
    fprintf(out, "static long hyk_po[%d];    /* parameter offset of each trainable */\n", c->ntrs ? c->ntrs : 1);
    fprintf(out, "static int hyk_plan[%d];   /* runtime id of each jet plan */\n", e.nplans ? e.nplans : 1);
    for (int i = 0; i < e.nk; i++) emit_kernel(&e, &e.ks[i]);
    uint8_t *has_refresh = calloc((size_t)c->npsets + 1, 1);
    if (!has_refresh) HY_ICE("out of memory");
    for (int p = 0; p < c->npsets; p++)
        if (redrawn(&c->psets[p])) has_refresh[p] = (uint8_t)emit_refresh(&e, p);
    for (int t = 0; t < c->ntrs; t++)   /* schedule expressions: C made by sema_train.c from checked names */
        if (c->trs[t].sched_kind == HY_SCHED_FN)
            fprintf(out, "\n/* schedule of %s */\nstatic double hyk_sched%d(HyCtx *c)\n{\n    const double *L = hy_loss_values(c);\n    (void)L;\n    return %s;\n}\n", c->trs[t].name, t, c->trs[t].sched_c);
    emit_sim_functions(c, out);
    emit_setup(&e, has_refresh);
    free(has_refresh);
    free_plan(&e);
}

void emit_dump_grad(Comp *c, FILE *out)
{
    Emit e;
    emit_begin(&e, c, out);
    for (int s = 0; s < c->nsteps; s++) {
        Kernel *k = &e.ks[s];
        const Substep *st = &c->steps[s];
        fprintf(out, "substep %d: step %s  x %ld\n  updates:", s + 1, st->label, st->repeat);
        for (int t = 0; t < st->ntrain; t++) fprintf(out, " %s", c->trs[st->train[t]].name);
        fprintf(out, "\n");
        for (int pi = 0; pi < k->nplans; pi++) {
            const Plan *p = &k->plans[pi];
            const Call *cl = &c->ir.calls[p->call];
            fprintf(out, "  jet %s over %s: components", c->trs[cl->net].name, cl->ps < 0 ? "-" : c->psets[cl->ps].name);
            for (int q = 0; q < p->ncodes; q++) fprintf(out, " 0x%x", p->codes[q]);
            fprintf(out, "%s\n", p->bwd ? "  (backward)" : "  (forward only)");
        }
        fprintf(out, "  adjoint nodes (reverse order):");
        for (NodeId i = c->ir.nnodes; i-- > 0;)
            if (k->active[i]) fprintf(out, " n%u", i);
        fprintf(out, "\n");
    }
    free_plan(&e);
}
