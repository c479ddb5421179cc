/* ir.c -- construction of the hash-consed, constant-folded expression DAG.
 *
 * Requires: operands already exist (so children have smaller indices).
 * Guarantees: no two nodes with the same (op, ps, a, b, aux, num); a node
 * whose operands are all constants is itself a constant, unless its value
 * is not finite (inf, nan: the node stays an operation, evaluated at run
 * time, so no constant of the IR is ever inf or nan); algebraic
 * identities with 0 and 1 are folded (x+0, x*1, x*0, x/1, x^1, x^0, --x);
 * commutative ops have their operands ordered (constants first) so that
 * a*b and b*a are one node.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ir.h"

static const char *const op_names[] = {
#define OP(name, arity, str) str,
#include "ops.def"
#undef OP
};

const char *op_name(Op op) { return op_names[op]; }

void ir_init(Ir *ir)
{
    memset(ir, 0, sizeof *ir);
    ir->hcap = 1024;
    ir->max_nodes = HY_MAX_NODES;
    ir->htab = malloc(ir->hcap * sizeof *ir->htab);
    if (!ir->htab) HY_ICE("out of memory");
    memset(ir->htab, 0xff, ir->hcap * sizeof *ir->htab);
}

void ir_free(Ir *ir)
{
    for (int i = 0; i < ir->ncalls; i++) free(ir->calls[i].args);
    free(ir->calls);
    free(ir->chtab);
    free(ir->nodes);
    free(ir->htab);
    memset(ir, 0, sizeof *ir);
}

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    return h * 0xff51afd7ed558ccdULL;
}

static uint64_t node_hash(const Node *n)
{
    uint64_t bits;
    memcpy(&bits, &n->num, sizeof bits);
    uint64_t h = mix(mix(mix(mix(mix(mix(0, n->op), (uint64_t)(uint32_t)n->ps), n->a), n->b), n->aux), bits);
    /* Final avalanche (MurmurHash3's fmix64): the table index takes the low
     * bits, and the multiplications above only carry bits upward (integral
     * constants differ in high bits only). */
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    return h ^ (h >> 33);
}

static int node_eq(const Node *x, const Node *y)
{
    /* Constants compare by bit pattern so -0.0 and 0.0 (and NaNs) stay distinct. */
    return x->op == y->op && x->ps == y->ps && x->a == y->a && x->b == y->b &&
           x->aux == y->aux && memcmp(&x->num, &y->num, sizeof x->num) == 0;
}

static void rehash(Ir *ir)
{
    free(ir->htab);
    ir->hcap *= 2;
    ir->htab = malloc(ir->hcap * sizeof *ir->htab);
    if (!ir->htab) HY_ICE("out of memory");
    memset(ir->htab, 0xff, ir->hcap * sizeof *ir->htab);
    for (uint32_t i = 0; i < ir->nnodes; i++) {
        uint32_t h = (uint32_t)node_hash(&ir->nodes[i]) & (ir->hcap - 1);
        while (ir->htab[h] != NO_NODE) h = (h + 1) & (ir->hcap - 1);
        ir->htab[h] = i;
    }
}

/* Returns the existing node equal to *n, or appends it. */
static NodeId intern(Ir *ir, Node *n)
{
    uint32_t h = (uint32_t)node_hash(n) & (ir->hcap - 1);
    for (;;) {
        uint32_t i = ir->htab[h];
        if (i == NO_NODE) break;
        if (node_eq(&ir->nodes[i], n)) return i;
        h = (h + 1) & (ir->hcap - 1);
    }
    if (ir->nnodes == ir->cap) {
        ir->cap = ir->cap ? ir->cap * 2 : 256;
        ir->nodes = realloc(ir->nodes, ir->cap * sizeof *ir->nodes);
        if (!ir->nodes) HY_ICE("out of memory");
    }
    if (ir->nnodes >= ir->max_nodes) {
        if (ir->full) longjmp(*ir->full, 1);
        HY_ICE("IR too large (%u nodes)", ir->nnodes);
    }
    NodeId id = ir->nnodes++;
    if (n->loc.line > 0) ir->last_loc = n->loc;
    n->trainable_dep = 0;
    if (n->op == OP_PARAM || n->op == OP_NETOUT || n->op == OP_SIM || n->op == OP_WEIGHT) n->trainable_dep = 1;
    if (n->op != OP_NETOUT && n->op != OP_DATA) {
        if (n->a != NO_NODE && ir->nodes[n->a].trainable_dep) n->trainable_dep = 1;
        if (n->b != NO_NODE && ir->nodes[n->b].trainable_dep) n->trainable_dep = 1;
    }
    ir->nodes[id] = *n;
    ir->htab[h] = id;
    if (ir->nnodes * 2 > ir->hcap) rehash(ir);
    return id;
}

static Node mk(Op op, int ps, NodeId a, NodeId b, uint32_t aux, double num, Loc loc)
{
    Node n;
    memset(&n, 0, sizeof n);
    n.op = op; n.ps = ps; n.a = a; n.b = b; n.aux = aux; n.num = num; n.loc = loc;
    return n;
}

NodeId ir_const(Ir *ir, double v)
{
    Loc l = {0, 0};
    if (v == 0) v = 0.0;  /* one zero: -0.0 folds to +0.0 */
    Node n = mk(OP_CONST, -1, NO_NODE, NO_NODE, 0, v, l);
    return intern(ir, &n);
}

NodeId ir_leaf(Ir *ir, Op op, int ps, uint32_t aux, double num, Loc loc)
{
    Node n = mk(op, ps, NO_NODE, NO_NODE, aux, num, loc);
    return intern(ir, &n);
}

int ir_is_const(const Ir *ir, NodeId n, double v)
{
    return ir->nodes[n].op == OP_CONST && ir->nodes[n].num == v;
}

static int is_const(const Ir *ir, NodeId n) { return ir->nodes[n].op == OP_CONST; }

int ir_join_ps(int a, int b)
{
    if (a < 0) return b;
    if (b < 0) return a;
    return a == b ? a : -2;
}

/* Folds op over constant operands (b may be unused). */
static double fold(Op op, double x, double y)
{
    switch (op) {
    case OP_ADD: return x + y;
    case OP_SUB: return x - y;
    case OP_MUL: return x * y;
    case OP_DIV: return x / y;
    case OP_POW: return pow(x, y);
    case OP_NEG: return -x;
    case OP_SIN: return sin(x);
    case OP_COS: return cos(x);
    case OP_EXP: return exp(x);
    case OP_LOG: return log(x);
    case OP_TANH: return tanh(x);
    case OP_SQRT: return sqrt(x);
    case OP_ATAN: return atan(x);
    case OP_ASIN: return asin(x);
    case OP_ATAN2: return atan2(x, y);
    case OP_ABS: return fabs(x);
    case OP_SIGN: return (x > 0) - (x < 0);
    case OP_STOP: return x;
    case OP_MEAN: return x;   /* a constant is the same at every point */
    case OP_SUM:  return x;   /* only reached for scalar operands (sum of one value) */
    case OP_MAXR: return x;
    case OP_LT: return x < y;
    case OP_LE: return x <= y;
    case OP_SEL: return x != 0 ? y : 0.0;
    case OP_SELN: return x != 0 ? 0.0 : y;
    case OP_CONST: case OP_COORD: case OP_PARAM: case OP_NETOUT: case OP_NOISE: case OP_DATA: case OP_SIM: case OP_WEIGHT:
    case OP_COUNT:
        break;
    }
    HY_ICE("fold: op %s is not foldable", op_name(op));
}

NodeId ir_unary(Ir *ir, Op op, NodeId a, Loc loc)
{
    const Node *na = &ir->nodes[a];
    int reduction = (op == OP_MEAN || op == OP_SUM || op == OP_MAXR);
    if (is_const(ir, a) && op != OP_SUM) {
        double v = fold(op, na->num, 0);
        if (isfinite(v)) return ir_const(ir, v);
    }
    if (reduction && na->ps < 0) {
        /* reducing a scalar: mean/max of one value is the value; sum too. */
        return a;
    }
    if (op == OP_NEG && na->op == OP_NEG) return na->a;
    if (op == OP_STOP && (na->op == OP_STOP || !na->trainable_dep)) return a;
    if (op == OP_ABS && na->op == OP_ABS) return a;
    Node n = mk(op, reduction ? -1 : na->ps, a, NO_NODE, 0, 0, loc);
    return intern(ir, &n);
}

NodeId ir_binary(Ir *ir, Op op, NodeId a, NodeId b, Loc loc)
{
    int ca = is_const(ir, a), cb = is_const(ir, b);
    if (ca && cb) {
        double v = fold(op, ir->nodes[a].num, ir->nodes[b].num);
        if (isfinite(v)) return ir_const(ir, v);
    }
    switch (op) {
    case OP_ADD:
        if (ir_is_const(ir, a, 0)) return b;
        if (ir_is_const(ir, b, 0)) return a;
        if (ir->nodes[b].op == OP_NEG) return ir_binary(ir, OP_SUB, a, ir->nodes[b].a, loc);
        if (ir->nodes[a].op == OP_NEG) return ir_binary(ir, OP_SUB, b, ir->nodes[a].a, loc);
        if (a == b) return ir_binary(ir, OP_MUL, ir_const(ir, 2), a, loc);
        if (cb || (!ca && b < a)) { NodeId t = a; a = b; b = t; }
        break;
    case OP_SUB:
        if (ir_is_const(ir, b, 0)) return a;
        if (ir_is_const(ir, a, 0)) return ir_unary(ir, OP_NEG, b, loc);
        if (a == b) return ir_const(ir, 0);
        if (ir->nodes[b].op == OP_NEG) return ir_binary(ir, OP_ADD, a, ir->nodes[b].a, loc);
        break;
    case OP_MUL:
        if (ir_is_const(ir, a, 0) || ir_is_const(ir, b, 0)) return ir_const(ir, 0);
        if (ir_is_const(ir, a, 1)) return b;
        if (ir_is_const(ir, b, 1)) return a;
        if (ir_is_const(ir, a, -1)) return ir_unary(ir, OP_NEG, b, loc);
        if (ir_is_const(ir, b, -1)) return ir_unary(ir, OP_NEG, a, loc);
        if (cb || (!ca && b < a)) { NodeId t = a; a = b; b = t; ca = is_const(ir, a); }
        /* c1 * (c2 * x) -> (c1*c2) * x keeps constant chains short */
        if (ca && ir->nodes[b].op == OP_MUL && is_const(ir, ir->nodes[b].a) &&
            isfinite(ir->nodes[a].num * ir->nodes[ir->nodes[b].a].num))
            return ir_binary(ir, OP_MUL, ir_const(ir, ir->nodes[a].num * ir->nodes[ir->nodes[b].a].num),
                             ir->nodes[b].b, loc);
        if (ir->nodes[a].op == OP_NEG && ir->nodes[b].op == OP_NEG)
            return ir_binary(ir, OP_MUL, ir->nodes[a].a, ir->nodes[b].a, loc);
        break;
    case OP_DIV:
        if (ir_is_const(ir, a, 0) && !ir_is_const(ir, b, 0)) return ir_const(ir, 0);
        if (ir_is_const(ir, b, 1)) return a;
        if (cb && ir->nodes[b].num != 0 && isfinite(1.0 / ir->nodes[b].num)) return ir_binary(ir, OP_MUL, ir_const(ir, 1.0 / ir->nodes[b].num), a, loc);
        break;
    case OP_ATAN2:
        break;
    case OP_POW:
        if (ir_is_const(ir, b, 1)) return a;
        if (ir_is_const(ir, b, 0)) return ir_const(ir, 1);
        if (ir_is_const(ir, b, 2)) return ir_binary(ir, OP_MUL, a, a, loc);
        break;
    case OP_LT: case OP_LE:
        if (a == b) return ir_const(ir, op == OP_LE);
        break;
    case OP_SEL: case OP_SELN:   /* a constant mask picks b or 0 */
        if (ca) return (ir->nodes[a].num != 0) == (op == OP_SEL) ? b : ir_const(ir, 0);
        if (ir_is_const(ir, b, 0)) return b;
        break;
    case OP_CONST: case OP_COORD: case OP_PARAM: case OP_NETOUT: case OP_NOISE: case OP_DATA: case OP_SIM: case OP_WEIGHT:
    case OP_NEG: case OP_SIN: case OP_COS: case OP_EXP: case OP_LOG: case OP_TANH: case OP_SQRT:
    case OP_ATAN: case OP_ASIN:
    case OP_ABS: case OP_SIGN: case OP_STOP: case OP_MEAN: case OP_SUM: case OP_MAXR: case OP_COUNT:
        HY_ICE("ir_binary: %s is not a binary op", op_name(op));
    }
    int ps = ir_join_ps(ir->nodes[a].ps, ir->nodes[b].ps);
    if (ps == -2) HY_ICE("ir_binary: operands over different point sets");
    Node n = mk(op, ps, a, b, 0, 0, loc);
    return intern(ir, &n);
}

NodeId ir_data(Ir *ir, NodeId a, uint32_t id, Loc loc)
{
    Node n = mk(OP_DATA, ir->nodes[a].ps, a, NO_NODE, id, 0, loc);
    return intern(ir, &n);
}

int ir_call(Ir *ir, int net, int nargs, const NodeId *args)
{
    int ps = -1;
    for (int i = 0; i < nargs; i++) {
        ps = ir_join_ps(ps, ir->nodes[args[i]].ps);
        if (ps == -2) HY_ICE("ir_call: arguments over different point sets");
    }
    /* Hash-consed through chtab (open addressing, NO_NODE = empty). */
    uint64_t hk = mix(mix(0, (uint64_t)net), (uint64_t)nargs);
    for (int i = 0; i < nargs; i++) hk = mix(hk, args[i]);
    hk ^= hk >> 33;
    hk *= 0xff51afd7ed558ccdULL;
    hk ^= hk >> 33;
    if (!ir->chtab || 2 * (uint32_t)(ir->ncalls + 1) > ir->chcap) {
        uint32_t ncap = ir->chcap ? 2 * ir->chcap : 64;
        uint32_t *nt = malloc(ncap * sizeof *nt);
        if (!nt) HY_ICE("out of memory");
        memset(nt, 0xff, ncap * sizeof *nt);
        for (int i = 0; i < ir->ncalls; i++) {
            const Call *c = &ir->calls[i];
            uint64_t h = mix(mix(0, (uint64_t)c->net), (uint64_t)c->nargs);
            for (int k = 0; k < c->nargs; k++) h = mix(h, c->args[k]);
            h ^= h >> 33;
            h *= 0xff51afd7ed558ccdULL;
            h ^= h >> 33;
            uint32_t j = (uint32_t)h & (ncap - 1);
            while (nt[j] != NO_NODE) j = (j + 1) & (ncap - 1);
            nt[j] = (uint32_t)i;
        }
        free(ir->chtab);
        ir->chtab = nt;
        ir->chcap = ncap;
    }
    uint32_t slot = (uint32_t)hk & (ir->chcap - 1);
    for (; ir->chtab[slot] != NO_NODE; slot = (slot + 1) & (ir->chcap - 1)) {
        Call *c = &ir->calls[ir->chtab[slot]];
        if (c->net == net && c->nargs == nargs && memcmp(c->args, args, nargs * sizeof *args) == 0)
            return (int)ir->chtab[slot];
    }
    ir->chtab[slot] = (uint32_t)ir->ncalls;
    if (ir->ncalls == ir->callcap) {
        ir->callcap = ir->callcap ? ir->callcap * 2 : 16;
        ir->calls = realloc(ir->calls, ir->callcap * sizeof *ir->calls);
        if (!ir->calls) HY_ICE("out of memory");
    }
    Call *c = &ir->calls[ir->ncalls];
    c->net = net;
    c->ps = ps;
    c->nargs = nargs;
    c->args = malloc((nargs ? nargs : 1) * sizeof *args);
    if (!c->args) HY_ICE("out of memory");
    memcpy(c->args, args, nargs * sizeof *args);
    return ir->ncalls++;
}

NodeId ir_netout(Ir *ir, int call, int out, uint32_t code, Loc loc)
{
    Node n = mk(OP_NETOUT, ir->calls[call].ps, (NodeId)call, (NodeId)out, code, 0, loc);
    return intern(ir, &n);
}

int jet_order(uint32_t code)
{
    int k = 0;
    while (code) { k++; code >>= 8; }
    return k;
}

uint32_t jet_add(uint32_t code, int index)
{
    int idx[5], k = 0;
    while (code) { idx[k++] = (int)(code & 0xff) - 1; code >>= 8; }
    if (k >= 4) return 0;
    idx[k++] = index;
    /* insertion sort: codes keep indices ascending, lowest byte first */
    for (int i = 1; i < k; i++)
        for (int j = i; j > 0 && idx[j - 1] > idx[j]; j--) { int t = idx[j]; idx[j] = idx[j - 1]; idx[j - 1] = t; }
    uint32_t r = 0;
    for (int i = k - 1; i >= 0; i--) r = (r << 8) | (uint32_t)(idx[i] + 1);
    return r;
}

/* One node per line: "n12 = mul n5 n7   @line:col  [ps]  T" (T: depends on
 * a trainable).  Only nodes reachable from roots are printed. */
void ir_dump(FILE *out, const Comp *c, NodeId *roots, int nroots)
{
    const Ir *ir = &c->ir;
    uint8_t *mark = calloc(ir->nnodes ? ir->nnodes : 1, 1);
    if (!mark) HY_ICE("out of memory");
    for (int r = 0; r < nroots; r++) sched_reach(c, roots[r], mark);
    for (uint32_t i = 0; i < ir->nnodes; i++) {
        if (!mark[i]) continue;
        const Node *n = &ir->nodes[i];
        fprintf(out, "n%u = %s", i, op_name(n->op));
        switch (n->op) {
        case OP_CONST: fprintf(out, " %.17g", n->num); break;
        case OP_COORD: {
            const PointSet *p = &c->psets[n->ps];
            int dim = p->dim;
            if (p->cols) fprintf(out, " %s.%s", p->name, p->cols[n->aux]);
            else fprintf(out, " %s.%s%s", p->name, n->aux >= (uint32_t)dim ? "normal." : "",
                         c->domains[p->domain].coords[n->aux % (uint32_t)dim]);
            break;
        }
        case OP_PARAM: fprintf(out, " %s", c->trs[n->aux].name); break;
        case OP_NETOUT: {
            const Call *cl = &ir->calls[n->a];
            if (cl->net < 0) fprintf(out, " state%d(", -1 - cl->net);   /* a simulator's state (sim.h) */
            else fprintf(out, " %s(", c->trs[cl->net].name);
            for (int k = 0; k < cl->nargs; k++) fprintf(out, "%sn%u", k ? ", " : "", cl->args[k]);
            fprintf(out, ")[%u] jet 0x%x", n->b, n->aux);
            break;
        }
        case OP_NOISE: fprintf(out, " sigma %.17g stream %u", n->num, n->aux); break;
        case OP_DATA: fprintf(out, " n%u id %u", n->a, n->aux); break;
        case OP_SIM: fprintf(out, " sample %u", n->aux); break;
        case OP_WEIGHT: fprintf(out, " %s.%s", c->bals[n->aux >> 16].name,
                                c->losses[c->bals[n->aux >> 16].losses[n->aux & 0xffff]].name); break;
        case OP_ADD: case OP_SUB: case OP_MUL: case OP_DIV: case OP_POW: case OP_ATAN2:
        case OP_LT: case OP_LE: case OP_SEL: case OP_SELN:
            fprintf(out, " n%u n%u", n->a, n->b); break;
        case OP_NEG: case OP_SIN: case OP_COS: case OP_EXP: case OP_LOG: case OP_TANH: case OP_SQRT:
        case OP_ATAN: case OP_ASIN:
        case OP_ABS: case OP_SIGN: case OP_STOP: case OP_MEAN: case OP_SUM: case OP_MAXR:
            fprintf(out, " n%u", n->a); break;
        case OP_COUNT: HY_ICE("bad op");
        }
        if (n->ps >= 0) fprintf(out, "  [%s]", c->psets[n->ps].name);
        if (n->trainable_dep) fprintf(out, "  T");
        if (n->loc.line) fprintf(out, "  @%d:%d", n->loc.line, n->loc.col);
        fprintf(out, "\n");
    }
    for (int l = 0; l < c->nlosses; l++) fprintf(out, "loss %s = n%u\n", c->losses[l].name, c->losses[l].root);
    for (int q = 0; q < c->nchecks; q++)
        fprintf(out, "%s n%u: %s\n", c->checks[q].is_expect ? "expect" : "report", c->checks[q].root, c->checks[q].text);
    free(mark);
}

/* Checks the DAG invariants; aborts with an internal error on a violation.
 * Run after sema in every build without NDEBUG (it is linear and cheap):
 *   operands precede their node; arity matches ops.def; pointwise nodes mix
 *   at most one point set; reductions are scalar; calls name valid nodes. */
void ir_verify(const Comp *c)
{
    static const int arity[] = {
#define OP(name, ar, str) ar,
#include "ops.def"
#undef OP
    };
    const Ir *ir = &c->ir;
    for (uint32_t i = 0; i < ir->nnodes; i++) {
        const Node *n = &ir->nodes[i];
        if ((int)n->op < 0 || n->op >= OP_COUNT) HY_ICE("verify: n%u has a bad op", i);
        if (n->ps < -1 || n->ps >= c->npsets) HY_ICE("verify: n%u has a bad point set %d", i, n->ps);
        if (n->op == OP_NETOUT) {
            if (n->a >= (uint32_t)ir->ncalls) HY_ICE("verify: n%u names call %u of %d", i, n->a, ir->ncalls);
            const Call *cl = &ir->calls[n->a];
            for (int k = 0; k < cl->nargs; k++)
                if (cl->args[k] >= i) HY_ICE("verify: n%u: call argument n%u does not precede it", i, cl->args[k]);
            if (cl->ps != n->ps) HY_ICE("verify: n%u: point set differs from its call's", i);
            continue;
        }
        int ar = arity[n->op];
        if ((ar >= 1) != (n->a != NO_NODE) || (ar >= 2) != (n->b != NO_NODE))
            HY_ICE("verify: n%u (%s) has the wrong number of operands", i, op_name(n->op));
        if (n->a != NO_NODE && n->a >= i) HY_ICE("verify: n%u: operand n%u does not precede it", i, n->a);
        if (n->b != NO_NODE && n->b >= i) HY_ICE("verify: n%u: operand n%u does not precede it", i, n->b);
        int reduction = n->op == OP_MEAN || n->op == OP_SUM || n->op == OP_MAXR;
        if (reduction && n->ps != -1) HY_ICE("verify: n%u: a reduction must be scalar", i);
        if (!reduction && ar >= 1) {
            int ps = ir->nodes[n->a].ps;
            if (ar == 2) ps = ir_join_ps(ps, ir->nodes[n->b].ps);
            if (ps != n->ps) HY_ICE("verify: n%u: point set %d does not follow from its operands (%d)", i, n->ps, ps);
        }
    }
}
