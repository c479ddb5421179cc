/* limits.c -- size limits of a checked program (docs/reliability.md).
 *
 * Requires: sema has lowered the whole program without errors.  Guarantees:
 * sema_limits reports, as located errors, a program whose trainable
 * parameters exceed HY_MAX_PARAMS, whose code generation would plan more than
 * HY_MAX_PLAN (kernel, node) pairs, or whose estimated working memory (values
 * and adjoints of every expression at every point, network jets, parameters
 * and optimizer state) exceeds HY_MAX_VALUES numbers, so that such a program
 * stops with a message at compile time instead of exhausting memory later.
 * The estimate is an upper bound of what emit.c plans and the runtime
 * allocates, within a small factor.  (The IR node cap HY_MAX_NODES is
 * enforced while the IR is built: ir.c, sema.c.)
 */
#include <stdlib.h>
#include <string.h>
#include "ir.h"
#include "hyrt.h"

#define HY_MAX_PARAMS 50000000L         /* trainable numbers of all networks and params */
#define HY_MAX_PLAN   (1L << 25)        /* kernels x IR nodes (emit plans one array per pair) */
#define HY_MAX_VALUES (1L << 30)        /* estimated working numbers (8 GiB of float64) */

/* The jet components a call's plans can hold: the codes of its NETOUT nodes
 * list[0..nl) with all their sub-multisets (the runtime computes those too);
 * returns their number, counting stops past HY_MAX_JET_COMPS.  codes:
 * scratch of HY_MAX_JET_COMPS + 1 entries. */
static int call_comps(const Comp *c, const NodeId *list, int nl, uint32_t *codes)
{
    int n = 0;
    for (int l = 0; l < nl && n <= HY_MAX_JET_COMPS; l++) {
        uint32_t idx[4];
        int ord = 0;
        for (uint32_t u = c->ir.nodes[list[l]].aux; u && ord < 4; u >>= 8) idx[ord++] = u & 0xffu;
        for (unsigned mk = 0; mk < 1u << ord && n <= HY_MAX_JET_COMPS; mk++) {
            uint32_t sub = 0;
            int sh = 0;
            for (int k = 0; k < ord; k++)
                if (mk >> k & 1u) { sub |= idx[k] << sh; sh += 8; }
            int j = 0;
            while (j < n && codes[j] != sub) j++;
            if (j == n) codes[n++] = sub;
        }
    }
    return n;
}

/* Trainable numbers of t (networks: weights and biases, as net.c lays them out
 * within a small factor). */
static double tr_params(const Trainable *t)
{
    if (t->kind != TR_NET) return 1;
    double w = t->width, d0 = t->din;
    if (t->netkind & HY_NET_FOURIER) d0 = 2.0 * (t->nfeat > 0 ? t->nfeat : 256);
    double n = d0 * w + w + (t->depth - 1) * (w * w + w) + w * t->dout + t->dout;
    if ((t->netkind & ~HY_NET_FOURIER) == HY_NET_MODIFIED) n += 2 * (d0 * w + w);
    return n;
}

static double ps_points(const Comp *c, int ps) { return ps < 0 ? 1 : c->psets[ps].n; }

static void human(char *buf, size_t len, double numbers)
{
    double bytes = 8 * numbers;
    if (bytes >= 1024.0 * 1024 * 1024) snprintf(buf, len, "%.1f GiB", bytes / (1024.0 * 1024 * 1024));
    else snprintf(buf, len, "%.0f MiB", bytes / (1024.0 * 1024));
}

int sema_limits(Comp *c)
{
    Diag *d = &c->diag;
    /* Parameters. */
    double params = 0;
    for (int t = 0; t < c->ntrs; t++) {
        params += tr_params(&c->trs[t]);
        if (params > (double)HY_MAX_PARAMS) {
            diag_error(d, c->trs[t].loc, "too many trainable parameters: with '%s' (about %.0f) the program has about "
                       "%.0f (the limit is %ld)", c->trs[t].name, tr_params(&c->trs[t]), params, HY_MAX_PARAMS);
            return 1;
        }
    }
    /* Kernels: one per substep, expect/report and residual pool (emit.c). */
    int npools = 0;
    for (int p = 0; p < c->npsets; p++) npools += c->psets[p].resid != NO_NODE;
    long nk = (long)c->nsteps + c->nchecks + npools;
    uint32_t nn = c->ir.nnodes;
    if ((double)nk * nn > (double)HY_MAX_PLAN) {
        Loc at = c->nchecks ? c->checks[c->nchecks - 1].loc : c->nsteps ? c->steps[c->nsteps - 1].loc : (Loc){1, 1};
        diag_error(d, at, "the program is too large to generate: %ld substeps, expects, reports and residual "
                   "pools over %u IR nodes (kernels x nodes is limited to %ld)", nk, nn, HY_MAX_PLAN);
        return 1;
    }
    /* Jet components per network call: its NETOUT nodes grouped by call. */
    {
        int ncl = c->ir.ncalls;
        int *first = calloc((size_t)ncl + 1, sizeof *first);
        NodeId *list = malloc(sizeof *list * (nn ? nn : 1));
        uint32_t codes[HY_MAX_JET_COMPS + 1];
        if (!first || !list) HY_ICE("out of memory");
        for (uint32_t i = 0; i < nn; i++)
            if (c->ir.nodes[i].op == OP_NETOUT) first[c->ir.nodes[i].a + 1]++;
        for (int q = 0; q < ncl; q++) first[q + 1] += first[q];
        int *fill = calloc((size_t)ncl + 1, sizeof *fill);
        if (!fill) HY_ICE("out of memory");
        for (uint32_t i = 0; i < nn; i++)
            if (c->ir.nodes[i].op == OP_NETOUT) list[first[c->ir.nodes[i].a] + fill[c->ir.nodes[i].a]++] = i;
        int bad = -1;
        for (int q = 0; q < ncl && bad < 0; q++)
            if (c->ir.calls[q].net >= 0 && first[q + 1] - first[q] > 0 &&
                call_comps(c, list + first[q], first[q + 1] - first[q], codes) > HY_MAX_JET_COMPS)
                bad = q;
        if (bad >= 0)
            diag_error(d, c->ir.nodes[list[first[bad + 1] - 1]].loc, "network '%s' is asked for more than %d "
                       "derivative components at one call (counting the lower ones they are built from): split "
                       "the expressions over calls", c->trs[c->ir.calls[bad].net].name, HY_MAX_JET_COMPS);
        free(first);
        free(fill);
        free(list);
        if (bad >= 0) return 1;
    }
    /* Working numbers. */
    double total = 8 * params;   /* parameters, gradients, optimizer state, snapshots */
    int big = -1;
    for (int p = 0; p < c->npsets; p++) {
        const PointSet *ps = &c->psets[p];
        total += (double)ps->n * (ps->dim + ps->extra + 1);
        if (big < 0 || ps->n > c->psets[big].n) big = p;
    }
    uint8_t *mark = malloc(nn ? nn : 1);
    int *comps = calloc(c->ir.ncalls ? (size_t)c->ir.ncalls : 1, sizeof *comps);
    if (!mark || !comps) HY_ICE("out of memory");
    for (long k = 0; k < nk && total <= (double)HY_MAX_VALUES; k++) {
        memset(mark, 0, nn ? nn : 1);
        int adjoints = k < c->nsteps;
        NodeId top = 0;   /* the kernel's roots are marked, then one sweep down from the highest */
        if (k < c->nsteps) {
            for (int l = 0; l < c->steps[k].nloss; l++) {
                NodeId r = c->losses[c->steps[k].losses[l]].root;
                mark[r] = 1;
                if (r > top) top = r;
            }
        } else if (k < c->nsteps + c->nchecks) {
            top = c->checks[k - c->nsteps].root;
        } else {
            int q = (int)(k - c->nsteps - c->nchecks);
            for (int p = 0; p < c->npsets; p++)
                if (c->psets[p].resid != NO_NODE && q-- == 0) top = c->psets[p].resid;
        }
        if (nn) sched_reach(c, top, mark);
        for (uint32_t i = 0; i < nn; i++) {
            if (!mark[i]) continue;
            const Node *nd = &c->ir.nodes[i];
            total += (1 + adjoints) * ps_points(c, nd->ps);
            /* a component of order o >= 3 also brings its sub-multisets of order 2 .. o-1 (net.c) */
            if (nd->op == OP_NETOUT) comps[nd->a] += 1 + (jet_order(nd->aux) >= 3 ? (1 << jet_order(nd->aux)) - 2 - jet_order(nd->aux) : 0);
        }
        /* Jets (net.c): per call about depth x points x width x (3 C + 3)
         * numbers for C components (value and derivatives), more with adjoints. */
        for (int q = 0; q < c->ir.ncalls; q++) {
            if (!comps[q]) continue;
            const Call *cl = &c->ir.calls[q];
            const Trainable *t = &c->trs[cl->net];
            double C = comps[q] + 1;
            total += ps_points(c, cl->ps) * t->width * t->depth * ((2 + adjoints) * C + 3);
            comps[q] = 0;
        }
    }
    free(comps);
    free(mark);
    if (total > (double)HY_MAX_VALUES) {
        char need[32], lim[32];
        human(need, sizeof need, total);
        human(lim, sizeof lim, (double)HY_MAX_VALUES);
        if (big >= 0)
            diag_error(d, c->psets[big].loc, "the program needs more than %s of working memory (the limit is %s): "
                       "values, adjoints and network jets at every point; '%s' has %d points", need, lim,
                       c->psets[big].name, c->psets[big].n);
        else
            diag_error(d, c->ntrs ? c->trs[0].loc : (Loc){1, 1}, "the program needs more than %s of working memory "
                       "(the limit is %s)", need, lim);
        return 1;
    }
    return 0;
}
