/* sched.c -- schedule analysis: what each substep updates.
 *
 * Requires: the substep's losses lowered to IR.  Guarantees: steps[s].train
 * lists, in trainable order, exactly the trainables that receive a
 * structurally non-zero gradient from the sum of the substep's losses: those
 * reached from a loss root without passing through stop().  (A gradient that
 * is zero only numerically, e.g. through 0*x folded away, is not reached.)
 */
#include <stdlib.h>
#include <string.h>
#include "ir.h"
#include "sim.h"

/* Marks trainables reachable from n, not descending into stop(). */
static void walk(const Comp *c, NodeId n, uint8_t *seen, uint8_t *tr)
{
    if (seen[n]) return;
    seen[n] = 1;
    const Node *nd = &c->ir.nodes[n];
    if (!nd->trainable_dep) return;
    switch (nd->op) {
    case OP_STOP:
        return;
    case OP_PARAM:
        tr[nd->aux] = 1;
        return;
    case OP_NETOUT: {
        const Call *cl = &c->ir.calls[nd->a];
        tr[cl->net] = 1;
        for (int i = 0; i < cl->nargs; i++) walk(c, cl->args[i], seen, tr);
        return;
    }
    case OP_DATA: case OP_CONST: case OP_COORD: case OP_NOISE: case OP_WEIGHT:   /* a weight: no gradient */
        return;
    case OP_SIM:                /* the parameters of the simulator */
        sim_sample_deps(c, nd->aux, tr);
        return;
    case OP_LT: case OP_LE:     /* piecewise constant: no gradient */
        return;
    case OP_SEL: case OP_SELN:  /* gradient flows to the value, not the mask */
        walk(c, nd->b, seen, tr);
        return;
    case OP_ADD: case OP_SUB: case OP_MUL: case OP_DIV: case OP_POW: case OP_ATAN2:
        walk(c, nd->b, seen, tr);
        walk(c, nd->a, seen, tr);
        return;
    case OP_NEG: case OP_SIN: case OP_COS: case OP_EXP: case OP_LOG: case OP_TANH: case OP_SQRT:
    case OP_ATAN: case OP_ASIN: case OP_ABS: case OP_SIGN: case OP_MEAN: case OP_SUM: case OP_MAXR:
        walk(c, nd->a, seen, tr);
        return;
    case OP_COUNT:
        break;
    }
    HY_ICE("sched: bad op");
}

void sched_substep(Comp *c, int s)
{
    Substep *st = &c->steps[s];
    uint8_t *seen = calloc(c->ir.nnodes ? c->ir.nnodes : 1, 1);
    uint8_t *tr = calloc(c->ntrs ? (size_t)c->ntrs : 1, 1);
    if (!seen || !tr) HY_ICE("out of memory");
    for (int i = 0; i < st->nloss; i++) walk(c, c->losses[st->losses[i]].root, seen, tr);
    st->ntrain = 0;
    st->train = arena_alloc(&c->arena, (size_t)(c->ntrs ? c->ntrs : 1) * sizeof *st->train);
    for (int t = 0; t < c->ntrs; t++)
        if (tr[t]) st->train[st->ntrain++] = t;
    free(seen);
    free(tr);
}

void sched_reach(const Comp *c, NodeId root, uint8_t *mark)
{
    /* Children have smaller indices: one backward sweep from root suffices. */
    mark[root] = 1;
    for (NodeId i = root + 1; i-- > 0;) {
        if (!mark[i]) continue;
        const Node *nd = &c->ir.nodes[i];
        if (nd->op == OP_NETOUT) {
            const Call *cl = &c->ir.calls[nd->a];
            for (int k = 0; k < cl->nargs; k++) mark[cl->args[k]] = 1;
            continue;
        }
        if (nd->op == OP_WEIGHT) {   /* its balancer's losses are evaluated first (smaller indices) */
            const Balancer *b = &c->bals[nd->aux >> 16];
            for (int k = 0; k < b->nloss; k++) mark[c->losses[b->losses[k]].root] = 1;
            continue;
        }
        if (nd->op == OP_CONST || nd->op == OP_COORD || nd->op == OP_PARAM || nd->op == OP_NOISE || nd->op == OP_SIM)
            continue;
        if (nd->a != NO_NODE) mark[nd->a] = 1;
        if (nd->b != NO_NODE) mark[nd->b] = 1;
    }
}
