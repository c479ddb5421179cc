/* diff.c -- symbolic input derivatives over the IR.
 *
 * Requires: a well-formed DAG (ir.c).  Guarantees: diff_coord returns a node
 * of the same DAG equal to d(n)/d(x_k), where x_k is coordinate k of point
 * set ps, built with the ir.c constructors (so shared subexpressions stay
 * shared and structural zeros fold away).  Derivatives through networks
 * become requests for higher jet components of the same call (chain rule
 * over the call's input expressions); orders compose, so dxx = d(d(.)).
 * Results are memoised per (node, ps, k).
 *
 * stop(e) passes input derivatives through (d/dx stop(e) = stop(de/dx)):
 * stop cuts parameter gradients only; a stopped field still has a shape in
 * x.  Data and noise are opaque samples, not functions: no derivative.
 */
#include <stdlib.h>
#include <string.h>
#include "ir.h"

typedef struct DiffMemo {
    uint64_t *keys;     /* (node+1) | ps << 32 | k << 48; 0 = empty */
    NodeId *vals;
    size_t cap, n;
} DiffMemo;

static uint64_t memo_key(NodeId n, int ps, int k)
{
    return ((uint64_t)n + 1) | ((uint64_t)(uint16_t)ps << 32) | ((uint64_t)(uint16_t)k << 48);
}

static NodeId *memo_slot(Comp *c, uint64_t key, int *found)
{
    DiffMemo *m = c->dmemo;
    if (!m) {
        m = c->dmemo = arena_alloc(&c->arena, sizeof *m);
    }
    if (m->n * 2 >= m->cap) {
        size_t ncap = m->cap ? m->cap * 2 : 1024;
        uint64_t *nk = arena_alloc(&c->arena, ncap * sizeof *nk);
        NodeId *nv = arena_alloc(&c->arena, ncap * sizeof *nv);
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->keys[i]) continue;
            size_t h = (m->keys[i] * 0x9e3779b97f4a7c15ULL >> 20) & (ncap - 1);
            while (nk[h]) h = (h + 1) & (ncap - 1);
            nk[h] = m->keys[i];
            nv[h] = m->vals[i];
        }
        m->keys = nk; m->vals = nv; m->cap = ncap;
    }
    size_t h = (key * 0x9e3779b97f4a7c15ULL >> 20) & (m->cap - 1);
    while (m->keys[h] && m->keys[h] != key) h = (h + 1) & (m->cap - 1);
    *found = m->keys[h] == key;
    if (!*found) { m->keys[h] = key; m->n++; m->vals[h] = NO_NODE; }
    return &m->vals[h];
}

NodeId diff_coord(Comp *c, NodeId n, int ps, int k, NodeId *bad)
{
    Ir *ir = &c->ir;
    Node nd = ir->nodes[n];   /* copy: the node array may move while we build */
    /* Anything over another point set (or scalar) is constant in x_k. */
    if (nd.ps != ps) return ir_const(ir, 0);
    int found;
    uint64_t key = memo_key(n, ps, k);
    NodeId *slot = memo_slot(c, key, &found);
    if (found && *slot != NO_NODE) return *slot;
    Loc L = nd.loc;
    NodeId r = NO_NODE, da = NO_NODE, db = NO_NODE;
#define D(x) do { NodeId t_ = diff_coord(c, (x), ps, k, bad); if (t_ == NO_NODE) return NO_NODE; \
                  da = t_; } while (0)
#define DB(x) do { NodeId t_ = diff_coord(c, (x), ps, k, bad); if (t_ == NO_NODE) return NO_NODE; \
                  db = t_; } while (0)
#define C(v) ir_const(ir, (v))
#define ADD(x, y) ir_binary(ir, OP_ADD, (x), (y), L)
#define SUB(x, y) ir_binary(ir, OP_SUB, (x), (y), L)
#define MUL(x, y) ir_binary(ir, OP_MUL, (x), (y), L)
#define DIV(x, y) ir_binary(ir, OP_DIV, (x), (y), L)
#define UN(op, x) ir_unary(ir, op, (x), L)
    switch (nd.op) {
    case OP_CONST: case OP_PARAM: case OP_WEIGHT:   /* constants in x */
        r = C(0); break;
    case OP_COORD:                          /* dx_j/dx_k = [j == k] */
        r = C(nd.aux == (uint32_t)k ? 1 : 0); break;
    case OP_NOISE: case OP_DATA: case OP_SIM:   /* samples, not functions of x */
        *bad = n; return NO_NODE;
    case OP_NETOUT: {                       /* d N_a(g(x))/dx_k = sum_j N_{a+e_j} * dg_j/dx_k */
        Call cl = ir->calls[nd.a];
        r = C(0);
        for (int j = 0; j < cl.nargs; j++) {
            NodeId dg = diff_coord(c, cl.args[j], ps, k, bad);
            if (dg == NO_NODE) return NO_NODE;
            if (ir_is_const(ir, dg, 0)) continue;
            uint32_t code = jet_add(nd.aux, j);
            int lim = cl.net < 0 ? HY_MAX_SIM_ORDER : HY_MAX_JET_ORDER;   /* a simulator's state: stencils */
            if (!code || jet_order(code) > lim) { *bad = n; return NO_NODE; }
            r = ADD(r, MUL(ir_netout(ir, (int)nd.a, (int)nd.b, code, L), dg));
        }
        break;
    }
    case OP_ADD: D(nd.a); DB(nd.b); r = ADD(da, db); break;               /* (a+b)' = a' + b' */
    case OP_SUB: D(nd.a); DB(nd.b); r = SUB(da, db); break;               /* (a-b)' = a' - b' */
    case OP_MUL: D(nd.a); DB(nd.b);                                       /* (ab)' = a'b + ab' */
        r = ADD(MUL(da, nd.b), MUL(nd.a, db)); break;
    case OP_DIV: D(nd.a); DB(nd.b);                                       /* (a/b)' = (a' - (a/b) b')/b */
        r = DIV(SUB(da, MUL(n, db)), nd.b); break;
    case OP_POW: D(nd.a); DB(nd.b);
        if (ir_is_const(ir, db, 0)) {                                     /* (a^p)' = p a^(p-1) a' */
            NodeId p = nd.b;
            NodeId pm1 = SUB(p, C(1));
            r = MUL(MUL(p, ir_binary(ir, OP_POW, nd.a, pm1, L)), da);
        } else {                                                          /* (a^b)' = a^b (b' ln a + b a'/a) */
            r = MUL(n, ADD(MUL(db, UN(OP_LOG, nd.a)), DIV(MUL(nd.b, da), nd.a)));
        }
        break;
    case OP_NEG: D(nd.a); r = UN(OP_NEG, da); break;                       /* (-a)' = -a' */
    case OP_SIN: D(nd.a); r = MUL(UN(OP_COS, nd.a), da); break;            /* sin' = cos */
    case OP_COS: D(nd.a); r = UN(OP_NEG, MUL(UN(OP_SIN, nd.a), da)); break;/* cos' = -sin */
    case OP_EXP: D(nd.a); r = MUL(n, da); break;                           /* exp' = exp */
    case OP_LOG: D(nd.a); r = DIV(da, nd.a); break;                        /* log' = 1/a */
    case OP_TANH: D(nd.a); r = MUL(SUB(C(1), MUL(n, n)), da); break;       /* tanh' = 1 - tanh^2 */
    case OP_SQRT: D(nd.a); r = DIV(da, MUL(C(2), n)); break;               /* sqrt' = 1/(2 sqrt) */
    case OP_ATAN: D(nd.a); r = DIV(da, ADD(C(1), MUL(nd.a, nd.a))); break; /* atan' = 1/(1 + a^2) */
    case OP_ASIN: D(nd.a);                                                 /* asin' = 1/sqrt(1 - a^2) */
        r = DIV(da, UN(OP_SQRT, SUB(C(1), MUL(nd.a, nd.a)))); break;
    case OP_ATAN2: D(nd.a); DB(nd.b);                                      /* (b a' - a b')/(a^2 + b^2) */
        r = DIV(SUB(MUL(nd.b, da), MUL(nd.a, db)), ADD(MUL(nd.a, nd.a), MUL(nd.b, nd.b))); break;
    case OP_ABS: D(nd.a); r = MUL(UN(OP_SIGN, nd.a), da); break;           /* |a|' = sign(a) a' (a != 0) */
    case OP_SIGN: D(nd.a); r = C(0); break;                                /* 0 almost everywhere */
    case OP_STOP: D(nd.a); r = UN(OP_STOP, da); break;                     /* see header */
    case OP_LT: case OP_LE: r = C(0); break;                               /* piecewise constant */
    case OP_SEL: case OP_SELN: DB(nd.b); r = ir_binary(ir, nd.op, nd.a, db, L); break; /* mask kept */
    case OP_MEAN: case OP_SUM: case OP_MAXR:                               /* scalars: constant in x */
        r = C(0); break;
    case OP_COUNT:
        HY_ICE("diff: no rule for op %s", op_name(nd.op));
    }
#undef D
#undef DB
#undef C
#undef ADD
#undef SUB
#undef MUL
#undef DIV
#undef UN
    if (r == NO_NODE) HY_ICE("diff: rule for %s produced nothing", op_name(nd.op));
    slot = memo_slot(c, key, &found);   /* the table may have grown */
    *slot = r;
    return r;
}
