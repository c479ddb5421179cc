/* lower.c -- expressions to IR: names, calls, derivatives, reductions.
 *
 * Requires: the symbols declared so far (sema.c); Ctx says which point set an
 * expression is evaluated over and which parameters are bound.  Guarantees:
 * the result is hash-consed IR over at most one point set, every derivative
 * expanded symbolically (diff.c); NO_NODE after a located error.
 *
 * Scoping: fields and lets are inlined at each use.  A bare field name `u`
 * means u evaluated at the coordinates of the current point set (matched by
 * parameter name); `u(e1, ...)` binds its parameters to the arguments.  The
 * body of a field or a parameterised let sees only its parameters and
 * global names, never the caller's coordinates.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "sema_int.h"
#include "sim.h"
#include "hyrt.h"

Domain *ps_domain(Sema *s, int ps) { return &s->c->domains[s->c->psets[ps].domain]; }

int coord_index(Sema *s, int ps, const char *name)
{
    if (ps < 0) return -1;
    Domain *d = ps_domain(s, ps);
    for (int k = 0; k < d->dim; k++)
        if (strcmp(d->coords[k], name) == 0) return k;
    return -1;
}

/* Is name a coordinate of any domain?  (for a better message) */
int any_coord(Sema *s, const char *name)
{
    for (int i = 0; i < s->c->ndomains; i++)
        for (int k = 0; k < s->c->domains[i].dim; k++)
            if (strcmp(s->c->domains[i].coords[k], name) == 0) return 1;
    return 0;
}


/* Combines two nodes with a binary op, reporting a point-set conflict. */
NodeId combine(Sema *s, Op op, NodeId a, NodeId b, Loc loc)
{
    if (a == NO_NODE || b == NO_NODE) return NO_NODE;
    Ir *ir = &s->c->ir;
    int pa = ir->nodes[a].ps, pb = ir->nodes[b].ps;
    if (ir_join_ps(pa, pb) == -2) {
        ERR(loc, "cannot combine values over point set '%s' with values over '%s'",
            s->c->psets[pa].name, s->c->psets[pb].name);
        return NO_NODE;
    }
    return ir_binary(ir, op, a, b, loc);
}

/* Memo of inlined bodies: the result depends only on the body, the
 * arguments, the point set and the inlining depth (inline_body sets every
 * other field of the context), so a definition used k times costs one
 * inlining, not k (without it, "let f_i = f_{i-1} * f_{i-1}" is exponential). */
typedef struct InlineMemo {
    const Sym *y;
    int ps, depth, nargs;
    NodeId args[16];
    NodeId result;
    uint64_t hash;
    struct InlineMemo *next;
} InlineMemo;

static uint64_t imemo_hash(const Sym *y, const NodeId *args, int nargs, const Ctx *cx)
{
    uint64_t h = (uint64_t)(uintptr_t)y * 0x9e3779b97f4a7c15ULL ^ (uint64_t)(cx->ps + 2) * 0xc2b2ae3d27d4eb4fULL ^
                 (uint64_t)cx->depth;
    for (int i = 0; i < nargs; i++) h = (h ^ args[i]) * 0x100000001b3ULL;
    h ^= h >> 33;   /* MurmurHash3's fmix64: every input bit reaches the low bits */
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    return h ^ (h >> 33);
}

/* The chain link where (y, args, ps, depth) is or would go. */
static InlineMemo **imemo_slot(Sema *s, const Sym *y, const NodeId *args, int nargs, const Ctx *cx, uint64_t h)
{
    InlineMemo **p = &s->imemo[h & (s->imemo_cap - 1)];
    for (; *p; p = &(*p)->next) {
        const InlineMemo *m = *p;
        if (m->hash == h && m->y == y && m->ps == cx->ps && m->depth == cx->depth && m->nargs == nargs &&
            (nargs == 0 || !memcmp(m->args, args, (size_t)nargs * sizeof *args)))
            break;
    }
    return p;
}

/* Room for one more entry: the table doubles when it holds as many entries
 * as buckets (arena memory; the old buckets are left behind). */
static void imemo_reserve(Sema *s)
{
    if (s->imemo && s->imemo_n < s->imemo_cap) return;
    uint32_t ncap = s->imemo_cap ? 2 * s->imemo_cap : 1024;
    InlineMemo **nb = arena_alloc(&s->c->arena, ncap * sizeof *nb);
    for (uint32_t b = 0; b < s->imemo_cap; b++)
        for (InlineMemo *m = s->imemo[b], *next; m; m = next) {
            next = m->next;
            m->next = nb[m->hash & (ncap - 1)];
            nb[m->hash & (ncap - 1)] = m;
        }
    s->imemo = nb;
    s->imemo_cap = ncap;
}

static NodeId inline_body_now(Sema *s, const Sym *y, const NodeId *args, Loc loc, Ctx *cx);

/* Inlines a field/let body with its parameters bound to args[] (memoized). */
static NodeId inline_body(Sema *s, const Sym *y, const NodeId *args, Loc loc, Ctx *cx)
{
    int nargs = y->st->nparams > 0 ? y->st->nparams : 0;
    if (nargs > 16) return inline_body_now(s, y, args, loc, cx);
    uint64_t h = imemo_hash(y, args, nargs, cx);
    imemo_reserve(s);
    InlineMemo **p = imemo_slot(s, y, args, nargs, cx, h);
    if (*p) return (*p)->result;
    NodeId r = inline_body_now(s, y, args, loc, cx);
    InlineMemo *m = arena_alloc(&s->c->arena, sizeof *m);
    m->y = y;
    m->ps = cx->ps;
    m->depth = cx->depth;
    m->nargs = nargs;
    if (nargs) memcpy(m->args, args, (size_t)nargs * sizeof *args);
    m->result = r;
    m->hash = h;
    imemo_reserve(s);   /* lowering the body may have added entries */
    p = imemo_slot(s, y, args, nargs, cx, h);
    m->next = *p;
    *p = m;
    s->imemo_n++;
    return r;
}

static NodeId inline_body_now(Sema *s, const Sym *y, const NodeId *args, Loc loc, Ctx *cx)
{
    const Stmt *st = y->st;
    if (cx->depth > 64) {
        ERR(loc, "'%s' is defined in terms of itself (or nested too deeply)", y->name);
        return NO_NODE;
    }
    Scope *sc = NULL;
    for (int i = 0; i < st->nparams; i++) {
        Scope *b = arena_alloc(&s->c->arena, sizeof *b);
        b->name = st->params[i];
        b->node = args[i];
        b->next = sc;
        sc = b;
    }
    Ctx inner = *cx;
    inner.scope = sc;
    inner.closed = st->nparams >= 0;
    inner.depth = cx->depth + 1;
    inner.allow_noise = 0;
    return lower(s, st->value, &inner);
}

/* A field or let used by bare name: parameters bound to the point set's
 * coordinates of the same names. */
static NodeId bare_function(Sema *s, const Sym *y, Loc loc, Ctx *cx)
{
    const Stmt *st = y->st;
    if (st->nparams < 0) return inline_body(s, y, NULL, loc, cx);
    if (cx->ps < 0) {
        ERR(loc, "'%s' needs coordinates here: evaluate it over a point set ('over NAME') or call it with arguments",
            y->name);
        return NO_NODE;
    }
    NodeId args[16];
    if (st->nparams > 16) { ERR(loc, "too many parameters"); return NO_NODE; }
    for (int i = 0; i < st->nparams; i++) {
        int k = coord_index(s, cx->ps, st->params[i]);
        if (k < 0) {
            ERR(loc, "%s '%s' takes '%s', which is not a coordinate of point set '%s'",
                sym_kind_name[y->kind], y->name, st->params[i], s->c->psets[cx->ps].name);
            return NO_NODE;
        }
        args[i] = ir_leaf(&s->c->ir, OP_COORD, cx->ps, (uint32_t)k, 0, loc);
    }
    return inline_body(s, y, args, loc, cx);
}

static NodeId net_at_coords(Sema *s, const Sym *y, Loc loc, Ctx *cx, int out);

/* A loss named in an expression ('loss total = pde + 10 * bc'): its scalar
 * value, with its own 'over' sets, inlined.  A name refers to the losses
 * declared above it, so losses cannot refer to each other in a cycle; a loss
 * naming itself, or one declared below, is a located error (lower_name). */
static NodeId loss_ref(Sema *s, const Sym *y, Loc loc, const Ctx *cx)
{
    if (y->index < 0) return NO_NODE;   /* its declaration failed (reported) */
    if (y->index >= s->c->nlosses) {    /* the loss being declared (decl_loss) */
        ERR(loc, "loss '%s' refers to itself", y->name);
        return NO_NODE;
    }
    if (cx->closed) {
        ERR(loc, "a loss cannot be used inside a field or let body: name it in a loss, expect or report");
        return NO_NODE;
    }
    s->c->losses[y->index].used = 1;
    return s->c->losses[y->index].root;
}

/* w.NAME: the adaptive weight of loss NAME in balancer bi ('weights w =
 * ...'), a scalar value of the training step and a constant for every
 * derivative (OP_WEIGHT; emit.c evaluates the balancer's losses first). */
static NodeId weight_ref(Sema *s, int bi, const char *name, Loc loc, const Ctx *cx)
{
    const Balancer *b = &s->c->bals[bi];
    int q = -1;
    for (int k = 0; k < b->nloss; k++)
        if (strcmp(s->c->losses[b->losses[k]].name, name) == 0) q = k;
    if (q < 0) {
        char list[256] = "";
        for (int k = 0; k < b->nloss && strlen(list) < 200; k++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", k ? ", " : "", s->c->losses[b->losses[k]].name);
        ERR(loc, "'%s' is not one of the losses of weights '%s' (%s)", name, b->name, list);
        return NO_NODE;
    }
    if (cx->closed) {
        ERR(loc, "adaptive weights cannot be used inside a field or let body: use them in a loss");
        return NO_NODE;
    }
    for (int k = 0; k < b->nloss; k++) s->c->losses[b->losses[k]].used = 1;
    return ir_leaf(&s->c->ir, OP_WEIGHT, -1, ((uint32_t)bi << 16) | (uint32_t)q, 0, loc);
}

static NodeId lower_name(Sema *s, const Expr *e, Ctx *cx)
{
    Ir *ir = &s->c->ir;
    for (Scope *b = cx->scope; b; b = b->next)
        if (strcmp(b->name, e->name) == 0) return b->node;
    if (!cx->closed) {
        int k = coord_index(s, cx->ps, e->name);
        if (k >= 0) return ir_leaf(ir, OP_COORD, cx->ps, (uint32_t)k, 0, e->loc);
    }
    Sym *y = sym_lookup(s, e->name);
    if (!y) {
        if (strcmp(e->name, "pi") == 0) return ir_const(ir, M_PI);
        if (any_coord(s, e->name)) {
            if (cx->closed)
                ERR(e->loc, "'%s' is not a parameter of this field or let; add it to the parameter list", e->name);
            else if (cx->ps < 0)
                ERR(e->loc, "coordinate '%s' used without a point set: add 'over POINTS'", e->name);
            else
                ERR(e->loc, "'%s' is not a coordinate of point set '%s'", e->name, s->c->psets[cx->ps].name);
            return NO_NODE;
        }
        for (const Stmt *q = s->c->ast->first; q; q = q->next)   /* an error path only */
            if (q->kind == ST_LOSS && strcmp(q->name, e->name) == 0) {
                ERR(e->loc, "loss '%s' is declared below (line %d): a loss can name only the losses declared above it "
                            "(so losses never refer to each other in a cycle)", e->name, q->loc.line);
                return NO_NODE;
            }
        const char *hint = sym_suggest(s, e->name);
        if (hint) ERR(e->loc, "unknown name '%s'; did you mean '%s'?", e->name, hint);
        else ERR(e->loc, "unknown name '%s'", e->name);
        return NO_NODE;
    }
    if ((y->kind == SYM_CONST || y->kind == SYM_PARAM) && y->nelem > 0) {
        if (y->kind == SYM_PARAM ? y->index < 0 : !y->vals) return NO_NODE;   /* its declaration failed (reported) */
        ERR(e->loc, "'%s' is a vector %s with %d entries; pick one, e.g. %s[0]", y->name,
            y->kind == SYM_CONST ? "constant" : "parameter", y->nelem, y->name);
        return NO_NODE;
    }
    switch (y->kind) {
    case SYM_CONST: return ir_const(ir, y->value);
    case SYM_PARAM: return y->node;
    case SYM_DATA:
        if (y->index < 0 && y->ps >= 0) {   /* a loaded table */
            const PointSet *tp = &s->c->psets[y->ps];
            ERR(e->loc, "'%s' is a table; pick a column%s%s%s", y->name, tp->extra ? ", e.g. " : "",
                tp->extra ? y->name : "", tp->extra ? arena_printf(&s->c->arena, ".%s", tp->cols[tp->dim]) : "");
            return NO_NODE;
        }
        if (y->node == NO_NODE) return NO_NODE;
        if (cx->ps != y->ps) {
            ERR(e->loc, "data '%s' is defined on point set '%s', but this expression is over %s%s%s", y->name,
                s->c->psets[y->ps].name, cx->ps < 0 ? "no point set" : "'",
                cx->ps < 0 ? "" : s->c->psets[cx->ps].name, cx->ps < 0 ? "" : "'");
            return NO_NODE;
        }
        return y->node;
    case SYM_FIELD: case SYM_LET:
        return bare_function(s, y, e->loc, cx);
    case SYM_NET:
        return net_at_coords(s, y, e->loc, cx, -1);
    case SYM_WEIGHTS:
        if (y->index < 0) return NO_NODE;   /* its declaration failed (reported) */
        ERR(e->loc, "'%s' holds one adaptive weight per loss: pick one, e.g. %s.%s", y->name, y->name,
            s->c->losses[s->c->bals[y->index].losses[0]].name);
        return NO_NODE;
    case SYM_LOSS:
        return loss_ref(s, y, e->loc, cx);
    case SYM_DOMAIN: case SYM_POINTS:
        ERR(e->loc, "'%s' is a %s, not a value", y->name, sym_kind_name[y->kind]);
        return NO_NODE;
    }
    HY_ICE("bad symbol kind");
}

/* Output `out` of network y; out = -1 means "the" output, an error for a
 * network with several. */
static int net_output(Sema *s, const Sym *y, Loc loc, int out)
{
    const Trainable *t = &s->c->trs[y->index];
    if (out >= 0) return out;
    if (t->dout == 1) return 0;
    if (t->outs) {
        char list[256] = "";
        for (int k = 0; k < t->dout; k++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s.%s", k ? ", " : "", y->name, t->outs[k]);
        ERR(loc, "network '%s' has %d outputs; pick one: %s", y->name, t->dout, list);
    } else {
        ERR(loc, "network '%s' has %d outputs; name them with 'outputs a b ...' in its mlp(...) and pick one, e.g. %s.a",
            y->name, t->dout, y->name);
    }
    return -1;
}

/* Index of output `name` of network y, or -1 after an error. */
static int net_output_named(Sema *s, const Sym *y, const char *name, Loc loc)
{
    const Trainable *t = &s->c->trs[y->index];
    for (int k = 0; t->outs && k < t->dout; k++)
        if (strcmp(t->outs[k], name) == 0) return k;
    if (!t->outs) ERR(loc, "network '%s' has no named outputs (give them with 'outputs ...' in its mlp(...))", y->name);
    else ERR(loc, "network '%s' has no output '%s'", y->name, name);
    return -1;
}

/* A bare network: evaluated at the point set's coordinates, in order. */
static NodeId net_at_coords(Sema *s, const Sym *y, Loc loc, Ctx *cx, int out)
{
    Ir *ir = &s->c->ir;
    {
        if (y->index < 0) return NO_NODE;
        const Trainable *t = &s->c->trs[y->index];
        if (cx->ps < 0 || cx->closed || coord_index(s, cx->ps, "") >= 0 || ps_domain(s, cx->ps)->dim != t->din) {
            ERR(loc, "network '%s' must be called with its %d input%s here, e.g. %s(%s)", y->name, t->din,
                t->din == 1 ? "" : "s", y->name, t->din == 1 ? "x" : t->din == 2 ? "x, y" : "x, y, ...");
            return NO_NODE;
        }
        out = net_output(s, y, loc, out);
        if (out < 0) return NO_NODE;
        NodeId args[8];
        for (int k = 0; k < t->din; k++) args[k] = ir_leaf(ir, OP_COORD, cx->ps, (uint32_t)k, 0, loc);
        return ir_netout(ir, ir_call(ir, y->index, t->din, args), out, 0, loc);
    }
}

/* Lowers the positional arguments of a call; reports options/ranges. */
static int lower_args(Sema *s, const Expr *e, Ctx *cx, NodeId *out, int max)
{
    int ok = 1;
    if (e->nargs > max) return 0;
    for (int i = 0; i < e->nargs; i++) {
        const Arg *a = e->args[i];
        if (a->kind != ARG_EXPR) {
            ERR(a->loc, "unexpected %s in a call of '%s'", a->kind == ARG_ARROW ? "'->'" : "option", e->name);
            ok = 0;
            continue;
        }
        out[i] = lower(s, a->e, cx);
        if (out[i] == NO_NODE) ok = 0;
    }
    return ok;
}

static NodeId reduce(Sema *s, Op op, NodeId a, Ctx *cx, Loc loc)
{
    Ir *ir = &s->c->ir;
    if (ir->nodes[a].ps < 0 && op == OP_SUM && cx->ps >= 0 && !s->c->psets[cx->ps].grows)   /* constant over n points */
        return ir_binary(ir, OP_MUL, ir_const(ir, s->c->psets[cx->ps].n), a, loc);
    if (ir->nodes[a].ps < 0 && op == OP_SUM && cx->ps >= 0)   /* a growing set: broadcast (plus zero noise), then sum */
        a = ir_binary(ir, OP_ADD, a, ir_leaf(ir, OP_NOISE, cx->ps, (uint32_t)s->c->nnoise++, 0, loc), loc);
    return ir_unary(ir, op, a, loc);
}

/* What makes node b (from diff_coord's *bad) not differentiable: reported at loc. */
static void not_differentiable(Sema *s, NodeId bad, Loc loc, const char *what)
{
    const Node *b = &s->c->ir.nodes[bad];
    if (b->op == OP_NETOUT && s->c->ir.calls[b->a].net < 0)   /* a simulator's state (sim.h) */
        ERR(loc, "the finite-difference stencils of a simulator go to order 2: no derivatives of a state above that");
    else if (b->op == OP_NETOUT)
        ERR(loc, "derivatives of a network of order above %d are not supported (the limit of its Taylor jets)",
            HY_MAX_JET_ORDER);
    else
        ERR(loc, "cannot differentiate %s: it contains %s, which are samples, not functions of the coordinates", what,
            b->op == OP_NOISE ? "noise" : b->op == OP_SIM ? "a simulator's values" : "data");
}

/* Derivative of node a by the coordinates listed (indices into the domain). */
static NodeId derive(Sema *s, NodeId a, const int *ks, int nk, Ctx *cx, Loc loc, const char *what)
{
    Ir *ir = &s->c->ir;
    for (int i = 0; i < nk; i++) {
        NodeId bad = NO_NODE;
        NodeId before = a;
        a = diff_coord(s->c, a, cx->ps, ks[i], &bad);
        if (a == NO_NODE) {
            not_differentiable(s, bad, loc, what);
            return NO_NODE;
        }
        if (ir_is_const(ir, a, 0) && ir->nodes[before].op != OP_CONST && ir->nodes[before].trainable_dep) {
            ERR(loc, "%s does not depend on coordinate '%s'", what, ps_domain(s, cx->ps)->coords[ks[i]]);
            return NO_NODE;
        }
    }
    return a;
}

/* d(a)/d(coordinate k), where not depending on it is fine (grad, div). */
static NodeId derive_quiet(Sema *s, NodeId a, int k, Ctx *cx, Loc loc)
{
    NodeId bad = NO_NODE;
    NodeId r = diff_coord(s->c, a, cx->ps, k, &bad);
    if (r == NO_NODE) not_differentiable(s, bad, loc, "the expression");
    return r;
}

/* Splits a derivative name like "dxx" or "dxt" into coordinates of ps.
 * Returns the count, or -1 if it is not a derivative name. */
static int split_dname(Sema *s, const char *name, int ps, int *ks, int max)
{
    if (name[0] != 'd' || !name[1] || ps < 0) return -1;
    Domain *d = ps_domain(s, ps);
    int n = 0;
    const char *p = name + 1;
    while (*p) {
        int best = -1;
        size_t bl = 0;
        for (int k = 0; k < d->dim; k++) {
            size_t l = strlen(d->coords[k]);
            if (l > bl && strncmp(p, d->coords[k], l) == 0) { best = k; bl = l; }
        }
        if (best < 0 || n == max) return -1;
        ks[n++] = best;
        p += bl;
    }
    return n;
}

/* A comparison as a 0/1 mask: a < b, a <= b, a > b, a >= b. */
static NodeId lower_cond(Sema *s, const Expr *e, Ctx *cx)
{
    if (e->kind != EX_BIN || !(e->op == '<' || e->op == '>' || e->op == 'l' || e->op == 'g')) {
        if (e->kind == EX_BIN && e->op == '=')
            ERR(e->loc, "'=' compares floating-point values exactly; use <= and >= (or a tolerance)");
        else
            ERR(e->loc, "expected a comparison (a < b, a <= b, a > b or a >= b)");
        return NO_NODE;
    }
    NodeId a = lower(s, e->lhs, cx), b = lower(s, e->rhs, cx);
    if (a == NO_NODE || b == NO_NODE) return NO_NODE;
    if (e->op == '<') return combine(s, OP_LT, a, b, e->loc);
    if (e->op == 'l') return combine(s, OP_LE, a, b, e->loc);
    if (e->op == '>') return combine(s, OP_LT, b, a, e->loc);
    return combine(s, OP_LE, b, a, e->loc);
}

/* where(mask, a, b) = mask ? a : b, pointwise.  Both branches are evaluated;
 * the value of the one not taken is ignored (never multiplied by 0), but as
 * in every reverse-mode system a non-finite value there still poisons the
 * gradient (0 times its derivative), so keep both branches finite. */
static NodeId select_node(Sema *s, NodeId m, NodeId a, NodeId b, Loc loc)
{
    NodeId x = combine(s, OP_SEL, m, a, loc), y = combine(s, OP_SELN, m, b, loc);
    return combine(s, OP_ADD, x, y, loc);
}

/* A network called with arguments: output `out` (-1: the only one). */
static NodeId net_call(Sema *s, const Sym *y, const Expr *e, Ctx *cx, int out)
{
    Ir *ir = &s->c->ir;
    NodeId args[16];
    const char *f = y->name;
    if (y->index < 0) return NO_NODE;
    const Trainable *t = &s->c->trs[y->index];
    if (e->nargs != t->din) {
        ERR(e->loc, "network '%s' takes %d input%s, but %d %s given", f, t->din, t->din == 1 ? "" : "s",
            e->nargs, e->nargs == 1 ? "was" : "were");
        return NO_NODE;
    }
    if (!lower_args(s, e, cx, args, 16)) return NO_NODE;
    int ps = -1;
    for (int i = 0; i < e->nargs; i++) {
        int p = ir_join_ps(ps, ir->nodes[args[i]].ps);
        if (p == -2) { ERR(e->loc, "inputs of '%s' are over different point sets", f); return NO_NODE; }
        ps = p;
    }
    out = net_output(s, y, e->loc, out);
    if (out < 0) return NO_NODE;
    int call = ir_call(ir, y->index, e->nargs, args);
    return ir_netout(ir, call, out, 0, e->loc);
}

/* lhs.name: an output of a multi-output network, bare or called. */
static NodeId lower_member(Sema *s, const Expr *e, Ctx *cx)
{
    const Expr *l = e->lhs;
    Sym *y = (l->kind == EX_NAME || l->kind == EX_CALL) ? sym_lookup(s, l->name) : NULL;
    if (y && y->kind == SYM_WEIGHTS && l->kind == EX_NAME)
        return y->index < 0 ? NO_NODE : weight_ref(s, y->index, e->name, e->loc, cx);
    if (y && y->kind == SYM_NET) {
        if (y->index < 0) return NO_NODE;
        int out = net_output_named(s, y, e->name, e->loc);
        if (out < 0) return NO_NODE;
        return l->kind == EX_NAME ? net_at_coords(s, y, l->loc, cx, out) : net_call(s, y, l, cx, out);
    }
    if (y && y->kind == SYM_DATA && l->kind == EX_NAME && y->index < 0) {   /* a column of a loaded table */
        if (y->ps < 0) return NO_NODE;   /* its load failed (reported) */
        const PointSet *tp = &s->c->psets[y->ps];
        int j = -1;
        for (int k = 0; k < tp->extra; k++)
            if (strcmp(tp->cols[tp->dim + k], e->name) == 0) j = k;
        if (j < 0) {
            int is_coord = 0;
            for (int k = 0; k < tp->dim; k++) is_coord |= strcmp(tp->cols[k], e->name) == 0;
            if (is_coord) ERR(e->loc, "'%s' is a coordinate of '%s'; use it by name in an expression over %s", e->name, y->name, y->name);
            else ERR(e->loc, "'%s' has no value column '%s'", y->name, e->name);
            return NO_NODE;
        }
        if (cx->ps != y->ps) {
            ERR(e->loc, "'%s.%s' is given at the rows of '%s'; evaluate it 'over %s'", y->name, e->name, y->name, y->name);
            return NO_NODE;
        }
        NodeId col = ir_leaf(&s->c->ir, OP_COORD, y->ps, (uint32_t)(tp->dim + j), 0, e->loc);
        return ir_data(&s->c->ir, col, 0x10000u + (uint32_t)y->ps * 64u + (uint32_t)j, e->loc);
    }
    if (l->kind == EX_CALL && !y && strcmp(l->name, "grad") == 0) {   /* grad(e).x = d(e)/dx */
        if (cx->ps < 0) { ERR(e->loc, "grad needs a point set: add 'over POINTS'"); return NO_NODE; }
        if (l->nargs != 1 || l->args[0]->kind != ARG_EXPR) { ERR(l->loc, "'grad' takes 1 argument"); return NO_NODE; }
        int k = coord_index(s, cx->ps, e->name);
        if (k < 0) { ERR(e->loc, "'%s' is not a coordinate of point set '%s'", e->name, s->c->psets[cx->ps].name); return NO_NODE; }
        NodeId a = lower(s, l->args[0]->e, cx);
        if (a == NO_NODE) return NO_NODE;
        return derive_quiet(s, a, k, cx, e->loc);
    }
    if (l->kind == EX_NAME && !y && strcmp(l->name, "normal") == 0) {   /* outward normal component */
        if (cx->ps < 0 || !s->c->psets[cx->ps].normals) {
            ERR(e->loc, "normal.%s needs a point set on a boundary (points P = random(n) on boundary(D))", e->name);
            return NO_NODE;
        }
        int k = coord_index(s, cx->ps, e->name);
        if (k < 0) { ERR(e->loc, "'%s' is not a coordinate of point set '%s'", e->name, s->c->psets[cx->ps].name); return NO_NODE; }
        return ir_leaf(&s->c->ir, OP_COORD, cx->ps, (uint32_t)(s->c->psets[cx->ps].dim + k), 0, e->loc);
    }
    if (y && y->kind == SYM_POINTS && l->kind == EX_NAME && y->index >= 0) {   /* s.u of a simulator (sim.c) */
        NodeId r;
        if (sim_member(s, y->index, e, cx, &r)) return r;
    }
    if (y && y->kind == SYM_POINTS && l->kind == EX_NAME && y->index < 0 && y->st->kind == ST_SIM)
        return NO_NODE;   /* its declaration failed (reported) */
    if (!y && l->kind == EX_NAME && strcmp(l->name, "normal") != 0) {   /* an error path only */
        for (const Stmt *q = s->c->ast->first; q; q = q->next)
            if (q->kind == ST_WEIGHTS && q->name && strcmp(q->name, l->name) == 0) {
                ERR(l->loc, "weights '%s' is declared below (line %d): declare it above its first use", l->name,
                    q->loc.line);
                return NO_NODE;
            }
        int bound = any_coord(s, l->name);
        for (Scope *b = cx->scope; b; b = b->next) bound |= strcmp(b->name, l->name) == 0;
        if (!bound) {
            ERR(l->loc, "unknown name '%s'", l->name);
            return NO_NODE;
        }
    }
    ERR(e->loc, "'.%s': only outputs of networks, states of simulators and normal components (normal.x) can be selected "
                "with '.'", e->name);
    return NO_NODE;
}

/* Builds domain d's geometry in the scratch context g (operands first);
 * returns its id or -1. */
int scratch_geom(Sema *s, HyCtx *g, int d)
{
    const Domain *dm = &s->c->domains[d];
    switch (dm->kind) {
    case DOM_BOX: return hy_geom_box(g, dm->dim, dm->lo, dm->hi);
    case DOM_DISK: return hy_geom_disk(g, dm->cx, dm->cy, dm->r);
    case DOM_POLYGON: return hy_geom_polygon(g, dm->nverts, dm->verts);
    case DOM_BOOL: {
        int a = scratch_geom(s, g, dm->a), b = scratch_geom(s, g, dm->b);
        static const int ops[] = {HY_GEOM_UNION, HY_GEOM_DIFF, HY_GEOM_INTER};
        return a < 0 || b < 0 ? -1 : hy_geom_bool(g, ops[dm->op], a, b);
    }
    case DOM_TIME: {
        int a = scratch_geom(s, g, dm->a);
        return a < 0 ? -1 : hy_geom_time(g, a, dm->lo[dm->dim - 1], dm->hi[dm->dim - 1]);
    }
    }
    return -1;
}

/* Measure of the region a sampled point set covers (its domain, or the
 * selected part of its boundary), computed now with the runtime's geometry
 * (exact for boxes, disks, polygons and their space-time products; a fixed
 * quasi-Monte Carlo estimate for booleans).  NAN after an error. */
static double ps_measure(Sema *s, const PointSet *p, Loc loc)
{
    HyCtx *g = hy_ctx_new();
    int id = scratch_geom(s, g, p->domain);
    double m = -1;
    if (id >= 0) {
        static const int sels[] = {HY_BND_ALL, HY_BND_AXIS, HY_BND_AT, HY_BND_SPACE};
        m = p->boundary ? hy_geom_boundary_measure(g, id, sels[p->bsel], p->baxis, p->bvalue) : hy_geom_measure(g, id);
    }
    if (!(m >= 0)) ERR(loc, "cannot measure point set '%s': %s", p->name, hy_geom_error(g));
    hy_ctx_free(g);
    return m >= 0 ? m : NAN;
}

/* integral(e) over the current point set: quadrature with the point set's
 * weights.  Mesh and linspace: the trapezoid rule (product over the axes of
 * a mesh, the end points at half weight, built from coordinate comparisons);
 * sampled sets: measure / n times the sum (Monte Carlo / quasi-Monte Carlo). */
static NodeId integral(Sema *s, NodeId a, Ctx *cx, Loc loc)
{
    Ir *ir = &s->c->ir;
    const PointSet *p = &s->c->psets[cx->ps];
    const Domain *d = ps_domain(s, cx->ps);
    if (p->kind == PS_SAMPLE) {
        double m = ps_measure(s, p, loc);
        if (isnan(m)) return NO_NODE;
        return ir_binary(ir, OP_MUL, ir_const(ir, m), ir_unary(ir, OP_MEAN, a, loc), loc);
    }
    if (p->kind == PS_FILE || p->kind == PS_LIST) {
        ERR(loc, "the %s of '%s' have no quadrature weights; use mean(...) times the measure you intend",
            p->kind == PS_FILE ? "rows" : "listed points", p->name);
        return NO_NODE;
    }
    NodeId w = ir_const(ir, 1);
    for (int k = 0; k < p->dim; k++) {
        double lo = p->kind == PS_LINSPACE ? p->lo : d->lo[k], hi = p->kind == PS_LINSPACE ? p->hi : d->hi[k];
        int cnt = p->kind == PS_LINSPACE ? p->n : p->counts[k];
        if (cnt < 2) { ERR(loc, "integral over '%s' needs at least 2 points per axis", p->name); return NO_NODE; }
        double h = (hi - lo) / (cnt - 1);
        NodeId x = ir_leaf(ir, OP_COORD, cx->ps, (uint32_t)k, 0, loc);
        /* h * (1 - [x <= lo]/2 - [x >= hi]/2): the ends are exact grid values */
        NodeId atlo = ir_binary(ir, OP_LE, x, ir_const(ir, lo), loc);
        NodeId athi = ir_binary(ir, OP_LE, ir_const(ir, hi), x, loc);
        NodeId half = ir_binary(ir, OP_MUL, ir_const(ir, 0.5), ir_binary(ir, OP_ADD, atlo, athi, loc), loc);
        NodeId wk = ir_binary(ir, OP_MUL, ir_const(ir, h), ir_binary(ir, OP_SUB, ir_const(ir, 1), half, loc), loc);
        w = ir_binary(ir, OP_MUL, w, wk, loc);
    }
    return ir_unary(ir, OP_SUM, ir_binary(ir, OP_MUL, w, a, loc), loc);
}

static NodeId lower_call(Sema *s, const Expr *e, Ctx *cx)
{
    Ir *ir = &s->c->ir;
    const char *f = e->name;
    NodeId args[16];
    Sym *y = NULL;
    for (Scope *b = cx->scope; b; b = b->next)
        if (strcmp(b->name, f) == 0) {
            ERR(e->loc, "'%s' is a parameter, not a function", f);
            return NO_NODE;
        }
    y = sym_lookup(s, f);
    if (y) {
        if (y->kind == SYM_NET) return net_call(s, y, e, cx, -1);
        if (y->kind == SYM_FIELD || y->kind == SYM_LET) {
            int np = y->st->nparams;
            if (np < 0) { ERR(e->loc, "'%s' takes no arguments", f); return NO_NODE; }
            if (e->nargs != np) {
                ERR(e->loc, "%s '%s' takes %d argument%s, but %d %s given", sym_kind_name[y->kind], f, np,
                    np == 1 ? "" : "s", e->nargs, e->nargs == 1 ? "was" : "were");
                return NO_NODE;
            }
            if (!lower_args(s, e, cx, args, 16)) return NO_NODE;
            for (int i = 0; i < np; i++)
                for (int j = i + 1; j < np; j++)
                    if (ir_join_ps(ir->nodes[args[i]].ps, ir->nodes[args[j]].ps) == -2) {
                        ERR(e->loc, "arguments of '%s' are over different point sets", f);
                        return NO_NODE;
                    }
            return inline_body(s, y, args, e->loc, cx);
        }
        ERR(e->loc, "'%s' is a %s and cannot be called", f, sym_kind_name[y->kind]);
        return NO_NODE;
    }
    if (strcmp(f, "upwind") == 0) return sim_upwind(s, e, cx);   /* sim.c */
    if (strcmp(f, "where") == 0) {
        if (e->nargs != 3 || e->args[0]->kind != ARG_EXPR || e->args[1]->kind != ARG_EXPR ||
            e->args[2]->kind != ARG_EXPR) {
            ERR(e->loc, "'where' takes 3 arguments: where(condition, value if true, value if false)");
            return NO_NODE;
        }
        NodeId m = lower_cond(s, e->args[0]->e, cx);
        NodeId a = lower(s, e->args[1]->e, cx), b = lower(s, e->args[2]->e, cx);
        if (m == NO_NODE || a == NO_NODE || b == NO_NODE) return NO_NODE;
        return select_node(s, m, a, b, e->loc);
    }
    if ((strcmp(f, "min") == 0 || strcmp(f, "max") == 0) && e->nargs == 2) {   /* pointwise min/max */
        if (!lower_args(s, e, cx, args, 2)) return NO_NODE;
        NodeId m = combine(s, OP_LE, args[0], args[1], e->loc);   /* a <= b */
        if (m == NO_NODE) return NO_NODE;
        return f[1] == 'i' ? select_node(s, m, args[0], args[1], e->loc) : select_node(s, m, args[1], args[0], e->loc);
    }
    if (strcmp(f, "min") == 0 && e->nargs == 1) {   /* min over the point set = -max(-a) */
        if (!lower_args(s, e, cx, args, 1)) return NO_NODE;
        return ir_unary(ir, OP_NEG, reduce(s, OP_MAXR, ir_unary(ir, OP_NEG, args[0], e->loc), cx, e->loc), e->loc);
    }
    static const struct { const char *name; Op op; } unary[] = {
        {"sin", OP_SIN}, {"cos", OP_COS}, {"exp", OP_EXP}, {"log", OP_LOG}, {"tanh", OP_TANH},
        {"sqrt", OP_SQRT}, {"abs", OP_ABS}, {"sign", OP_SIGN}, {"stop", OP_STOP},
        {"atan", OP_ATAN}, {"asin", OP_ASIN},
        {"mean", OP_MEAN}, {"sum", OP_SUM}, {"max", OP_MAXR},
    };
    for (size_t i = 0; i < sizeof unary / sizeof unary[0]; i++) {
        if (strcmp(f, unary[i].name) != 0) continue;
        if (e->nargs != 1) {
            ERR(e->loc, "'%s' takes %s argument, but %d were given", f, unary[i].op == OP_MAXR ? "1 (a reduction) or 2 (pointwise)" : "1",
                e->nargs);
            return NO_NODE;
        }
        if (!lower_args(s, e, cx, args, 1)) return NO_NODE;
        Op op = unary[i].op;
        if (op == OP_MEAN || op == OP_SUM || op == OP_MAXR) return reduce(s, op, args[0], cx, e->loc);
        return ir_unary(ir, op, args[0], e->loc);
    }
    if (strcmp(f, "tan") == 0 || strcmp(f, "acos") == 0) {   /* sin(a)/cos(a); pi/2 - asin(a) */
        if (e->nargs != 1) { ERR(e->loc, "'%s' takes 1 argument, but %d were given", f, e->nargs); return NO_NODE; }
        if (!lower_args(s, e, cx, args, 1)) return NO_NODE;
        if (f[0] == 'a') return ir_binary(ir, OP_SUB, ir_const(ir, M_PI / 2), ir_unary(ir, OP_ASIN, args[0], e->loc), e->loc);
        return ir_binary(ir, OP_DIV, ir_unary(ir, OP_SIN, args[0], e->loc), ir_unary(ir, OP_COS, args[0], e->loc), e->loc);
    }
    if (strcmp(f, "atan2") == 0) {   /* atan2(y, x): the angle of the point (x, y) */
        if (e->nargs != 2) { ERR(e->loc, "'atan2' takes 2 arguments (y, x), but %d %s given", e->nargs, e->nargs == 1 ? "was" : "were"); return NO_NODE; }
        if (!lower_args(s, e, cx, args, 2)) return NO_NODE;
        return combine(s, OP_ATAN2, args[0], args[1], e->loc);
    }
    if (strcmp(f, "sinh") == 0 || strcmp(f, "cosh") == 0) {   /* (e^a -+ e^-a)/2 */
        if (e->nargs != 1) { ERR(e->loc, "'%s' takes 1 argument, but %d were given", f, e->nargs); return NO_NODE; }
        if (!lower_args(s, e, cx, args, 1)) return NO_NODE;
        NodeId p = ir_unary(ir, OP_EXP, args[0], e->loc);
        NodeId m = ir_unary(ir, OP_EXP, ir_unary(ir, OP_NEG, args[0], e->loc), e->loc);
        NodeId t = ir_binary(ir, f[3] == 'h' && f[2] == 'n' ? OP_SUB : OP_ADD, p, m, e->loc);
        return ir_binary(ir, OP_MUL, ir_const(ir, 0.5), t, e->loc);
    }
    if (strcmp(f, "mse") == 0 || strcmp(f, "mae") == 0) {
        if (e->nargs != 1) { ERR(e->loc, "'%s' takes 1 argument, but %d were given", f, e->nargs); return NO_NODE; }
        if (!lower_args(s, e, cx, args, 1)) return NO_NODE;
        NodeId v = f[1] == 's' ? ir_binary(ir, OP_MUL, args[0], args[0], e->loc) : ir_unary(ir, OP_ABS, args[0], e->loc);
        return reduce(s, OP_MEAN, v, cx, e->loc);
    }
    if (strcmp(f, "grad") == 0) {
        ERR(e->loc, "grad(e) is a vector: use one component, grad(e).x, or dn(e) on a boundary");
        return NO_NODE;
    }
    if (strcmp(f, "div") == 0) {   /* div(f1, f2, ...) = d f1/d x1 + d f2/d x2 + ... over the space coordinates */
        if (cx->ps < 0) { ERR(e->loc, "div needs a point set: add 'over POINTS'"); return NO_NODE; }
        const Domain *d = ps_domain(s, cx->ps);
        int space[8], ns = 0;
        for (int k = 0; k < d->dim; k++)
            if (strcmp(d->coords[k], "t") != 0) space[ns++] = k;
        if (e->nargs != ns) {
            ERR(e->loc, "div over '%s' takes %d components (one per space coordinate, in order), but %d were given",
                s->c->psets[cx->ps].name, ns, e->nargs);
            return NO_NODE;
        }
        if (!lower_args(s, e, cx, args, 16)) return NO_NODE;
        NodeId r = ir_const(ir, 0);
        for (int k = 0; k < ns; k++) {
            NodeId t = derive_quiet(s, args[k], space[k], cx, e->loc);
            if (t == NO_NODE) return NO_NODE;
            r = ir_binary(ir, OP_ADD, r, t, e->loc);
        }
        return r;
    }
    if (strcmp(f, "integral") == 0) {
        if (e->nargs != 1) { ERR(e->loc, "'integral' takes 1 argument, but %d were given", e->nargs); return NO_NODE; }
        if (cx->ps < 0) { ERR(e->loc, "integral needs a point set: add 'over POINTS'"); return NO_NODE; }
        if (!lower_args(s, e, cx, args, 1)) return NO_NODE;
        return integral(s, args[0], cx, e->loc);
    }
    if (strcmp(f, "rel_l2") == 0 || strcmp(f, "linf") == 0) {
        if (e->nargs != 2) { ERR(e->loc, "'%s' takes 2 arguments (value, reference), but %d were given", f, e->nargs); return NO_NODE; }
        if (!lower_args(s, e, cx, args, 2)) return NO_NODE;
        NodeId diff = combine(s, OP_SUB, args[0], args[1], e->loc);
        if (diff == NO_NODE) return NO_NODE;
        if (f[0] == 'l') return reduce(s, OP_MAXR, ir_unary(ir, OP_ABS, diff, e->loc), cx, e->loc);
        NodeId num = reduce(s, OP_SUM, ir_binary(ir, OP_MUL, diff, diff, e->loc), cx, e->loc);
        NodeId den = reduce(s, OP_SUM, ir_binary(ir, OP_MUL, args[1], args[1], e->loc), cx, e->loc);
        return ir_unary(ir, OP_SQRT, ir_binary(ir, OP_DIV, num, den, e->loc), e->loc);
    }
    if (strcmp(f, "noise") == 0) {
        if (!cx->allow_noise) { ERR(e->loc, "noise(...) is only allowed in a data declaration"); return NO_NODE; }
        if (e->nargs != 1) { ERR(e->loc, "'noise' takes 1 argument (sigma), but %d were given", e->nargs); return NO_NODE; }
        if (!lower_args(s, e, cx, args, 1)) return NO_NODE;
        if (ir->nodes[args[0]].op != OP_CONST || !(ir->nodes[args[0]].num >= 0) || !isfinite(ir->nodes[args[0]].num)) {
            ERR(e->args[0]->loc, "noise sigma must be a constant >= 0");
            return NO_NODE;
        }
        if (cx->ps < 0) { ERR(e->loc, "noise(...) needs a point set"); return NO_NODE; }
        return ir_leaf(ir, OP_NOISE, cx->ps, (uint32_t)s->c->nnoise++, ir->nodes[args[0]].num, e->loc);
    }
    int ks[8];
    int nk = -1;
    const Expr *operand = NULL;
    if (strcmp(f, "d") == 0) {          /* d(e, x, y, ...) */
        if (e->nargs < 2) { ERR(e->loc, "'d' takes an expression and at least one coordinate: d(u, x)"); return NO_NODE; }
        if (cx->ps < 0) { ERR(e->loc, "derivative used without a point set: add 'over POINTS'"); return NO_NODE; }
        nk = 0;
        for (int i = 1; i < e->nargs; i++) {
            const Arg *a = e->args[i];
            int k = (a->kind == ARG_EXPR && a->e->kind == EX_NAME) ? coord_index(s, cx->ps, a->e->name) : -1;
            if (k < 0) { ERR(a->loc, "expected a coordinate of point set '%s'", s->c->psets[cx->ps].name); return NO_NODE; }
            if (nk == 8) { ERR(a->loc, "derivative order above 8"); return NO_NODE; }
            ks[nk++] = k;
        }
        operand = e->args[0]->kind == ARG_EXPR ? e->args[0]->e : NULL;
    } else if (strcmp(f, "lap") == 0) {  /* sum of second derivatives in every coordinate but t */
        if (cx->ps < 0) { ERR(e->loc, "derivative used without a point set: add 'over POINTS'"); return NO_NODE; }
        if (e->nargs != 1 || e->args[0]->kind != ARG_EXPR) { ERR(e->loc, "'lap' takes 1 argument"); return NO_NODE; }
        NodeId a = lower(s, e->args[0]->e, cx);
        if (a == NO_NODE) return NO_NODE;
        Domain *d = ps_domain(s, cx->ps);
        NodeId r = ir_const(ir, 0);
        int any = 0;
        for (int k = 0; k < d->dim; k++) {
            if (strcmp(d->coords[k], "t") == 0) continue;
            int kk[2] = {k, k};
            NodeId t = derive(s, a, kk, 2, cx, e->loc, "the argument of lap");
            if (t == NO_NODE) return NO_NODE;
            r = ir_binary(ir, OP_ADD, r, t, e->loc);
            any = 1;
        }
        if (!any) { ERR(e->loc, "'lap' needs a space coordinate"); return NO_NODE; }
        return r;
    } else if (strcmp(f, "dn") == 0 && cx->ps >= 0 && s->c->psets[cx->ps].normals) {   /* normal derivative */
        if (e->nargs != 1 || e->args[0]->kind != ARG_EXPR) { ERR(e->loc, "'dn' takes 1 argument"); return NO_NODE; }
        NodeId a = lower(s, e->args[0]->e, cx);
        if (a == NO_NODE) return NO_NODE;
        int dim = s->c->psets[cx->ps].dim;
        NodeId r = ir_const(ir, 0);
        for (int k = 0; k < dim; k++) {
            NodeId bad = NO_NODE;
            NodeId g = diff_coord(s->c, a, cx->ps, k, &bad);
            if (g == NO_NODE) { ERR(e->loc, "cannot differentiate the argument of dn (order or data)"); return NO_NODE; }
            NodeId nk_ = ir_leaf(ir, OP_COORD, cx->ps, (uint32_t)(dim + k), 0, e->loc);
            r = ir_binary(ir, OP_ADD, r, ir_binary(ir, OP_MUL, nk_, g, e->loc), e->loc);
        }
        return r;
    } else if (strcmp(f, "dn") == 0 && cx->ps >= 0 && coord_index(s, cx->ps, "n") < 0) {
        ERR(e->loc, "dn (the normal derivative) needs a point set on a boundary, but '%s' is not one",
            s->c->psets[cx->ps].name);
        return NO_NODE;
    } else {
        nk = split_dname(s, f, cx->ps, ks, 8);
        if (nk > 0) {
            if (e->nargs != 1) { ERR(e->loc, "'%s' takes 1 argument", f); return NO_NODE; }
            operand = e->args[0]->kind == ARG_EXPR ? e->args[0]->e : NULL;
        }
    }
    if (nk > 0) {
        if (!operand) { ERR(e->loc, "expected an expression to differentiate"); return NO_NODE; }
        NodeId a = lower(s, operand, cx);
        if (a == NO_NODE) return NO_NODE;
        const char *what = operand->kind == EX_NAME ? arena_printf(&s->c->arena, "'%s'", operand->name)
                                                    : "the expression";
        return derive(s, a, ks, nk, cx, e->loc, what);
    }
    if (f[0] == 'd' && f[1] && cx->ps < 0 && any_coord(s, f + 1)) {
        ERR(e->loc, "derivative '%s' used without a point set: add 'over POINTS'", f);
        return NO_NODE;
    }
    if (f[0] == 'd' && f[1] && cx->ps >= 0 && strspn(f + 1, "abcdefghijklmnopqrstuvwxyz") == strlen(f + 1) &&
        strlen(f) <= 5) {
        ERR(e->loc, "'%s' is not a derivative over the coordinates of point set '%s'", f, s->c->psets[cx->ps].name);
        return NO_NODE;
    }
    const char *hint = sym_suggest(s, f);
    if (hint) ERR(e->loc, "unknown function '%s'; did you mean '%s'?", f, hint);
    else ERR(e->loc, "unknown function '%s'", f);
    return NO_NODE;
}

/* NAME[i]: entry i of a vector param (its PARAM node) or vector const (a
 * constant); i must be a constant integer in 0 .. nelem - 1. */
static NodeId lower_index(Sema *s, const Expr *e, Ctx *cx)
{
    const Expr *l = e->lhs;
    int bound = 0;
    for (Scope *b = cx->scope; l->kind == EX_NAME && b; b = b->next) bound |= strcmp(b->name, l->name) == 0;
    Sym *y = l->kind == EX_NAME && !bound && coord_index(s, cx->closed ? -1 : cx->ps, l->name) < 0
                 ? sym_lookup(s, l->name) : NULL;
    if (!y || !(y->kind == SYM_PARAM || y->kind == SYM_CONST) || y->nelem == 0) {
        if (y && (y->kind == SYM_PARAM || y->kind == SYM_CONST)) {
            if (y->kind == SYM_PARAM && y->index < 0) return NO_NODE;
            ERR(e->loc, "'%s' is a scalar %s, not a vector: drop the index", y->name,
                y->kind == SYM_CONST ? "constant" : "parameter");
        } else if (l->kind == EX_NAME && !y && !bound && !any_coord(s, l->name)) {
            lower(s, l, cx);   /* reports the unknown name */
        } else if (l->kind == EX_NAME) {
            ERR(e->loc, "only vector params and consts can be indexed ('%s' is %s)", l->name,
                bound ? "a parameter of this field or let" : y ? arena_printf(&s->c->arena, "a %s", sym_kind_name[y->kind])
                                                                : "a coordinate");
        } else {
            ERR(e->loc, "only vector params and consts can be indexed, e.g. A[0]");
        }
        return NO_NODE;
    }
    NodeId in = lower(s, e->rhs, cx);
    if (in == NO_NODE || (y->kind == SYM_PARAM ? y->index < 0 : !y->vals)) return NO_NODE;   /* reported */
    if (s->c->ir.nodes[in].op != OP_CONST) {
        ERR(e->rhs->loc, "the index of '%s' must be a constant integer (entries are picked when the spec is compiled)",
            y->name);
        return NO_NODE;
    }
    double v = s->c->ir.nodes[in].num;
    if (v != floor(v) || v < 0 || v >= y->nelem) {
        if (v != floor(v)) ERR(e->rhs->loc, "the index of '%s' must be an integer, not %g", y->name, v);
        else ERR(e->rhs->loc, "index %g is out of range: '%s' has %d entries (0 .. %d)", v, y->name, y->nelem, y->nelem - 1);
        return NO_NODE;
    }
    if (y->kind == SYM_CONST) return ir_const(&s->c->ir, y->vals[(int)v]);
    return ir_leaf(&s->c->ir, OP_PARAM, -1, (uint32_t)(y->index + (int)v), 0, e->loc);
}

NodeId lower(Sema *s, const Expr *e, Ctx *cx)
{
    Ir *ir = &s->c->ir;
    switch (e->kind) {
    case EX_NUM:
        return ir_const(ir, e->num);
    case EX_STR:
        ERR(e->loc, "a string is not a value here");
        return NO_NODE;
    case EX_NAME:
        return lower_name(s, e, cx);
    case EX_CALL:
        return lower_call(s, e, cx);
    case EX_NEG: {
        NodeId a = lower(s, e->lhs, cx);
        return a == NO_NODE ? NO_NODE : ir_unary(ir, OP_NEG, a, e->loc);
    }
    case EX_BIN: {
        NodeId a = lower(s, e->lhs, cx);
        NodeId b = lower(s, e->rhs, cx);
        Op op;
        switch (e->op) {
        case '+': op = OP_ADD; break;
        case '-': op = OP_SUB; break;
        case '*': op = OP_MUL; break;
        case '/': op = OP_DIV; break;
        case '^': op = OP_POW; break;
        default:
            ERR(e->loc, "a comparison is not a value here");
            return NO_NODE;
        }
        return combine(s, op, a, b, e->loc);
    }
    case EX_MEMBER:
        return lower_member(s, e, cx);
    case EX_INDEX:
        return lower_index(s, e, cx);
    case EX_LIST:
        ERR(e->loc, "a %s is not a value here (lists give the entries of a vector param or const, or the points of a "
                    "point set)", e->op == '(' ? "tuple (a, b, ...)" : "list [a, b, ...]");
        return NO_NODE;
    case EX_OVER: {   /* a term with its own point set: a scalar */
        int ps = find_ps(s, e->name, e->loc);
        if (ps < 0) return NO_NODE;
        if (cx->closed) {
            ERR(e->loc, "'over' cannot be used inside a field or let body");
            return NO_NODE;
        }
        Ctx inner = *cx;
        inner.ps = ps;
        NodeId v = lower(s, e->lhs, &inner);
        if (v == NO_NODE) return NO_NODE;
        if (ir->nodes[v].ps >= 0) {
            ERR(e->loc, "a term '... over %s' must be a number: reduce it, e.g. mse(...) over %s", e->name, e->name);
            return NO_NODE;
        }
        return v;
    }
    }
    HY_ICE("bad expression kind");
}

/* ---- declarations ---- */

/* 1 if n is built of constants only: an operation left unfolded because its
 * value is not finite (ir.c). */
static int only_constants(const Ir *ir, NodeId n, int depth)
{
    const Node *nd = &ir->nodes[n];
    if (nd->op == OP_CONST) return 1;
    if (depth > 64 || nd->op == OP_COORD || nd->op == OP_PARAM || nd->op == OP_NETOUT || nd->op == OP_NOISE ||
        nd->op == OP_DATA || nd->a == NO_NODE)
        return 0;
    return only_constants(ir, nd->a, depth + 1) && (nd->b == NO_NODE || only_constants(ir, nd->b, depth + 1));
}

/* Evaluates a constant expression; reports and returns NAN if it is not one. */
double const_value(Sema *s, const Expr *e, const char *what)
{
    Ctx cx = {-1, NULL, 0, 0, 0};
    int before = s->c->diag.nerrors;
    NodeId n = lower(s, e, &cx);
    if (n == NO_NODE) return NAN;
    if (s->c->ir.nodes[n].op != OP_CONST) {
        if (s->c->diag.nerrors == before && only_constants(&s->c->ir, n, 0))
            ERR(e->loc, "%s is not a finite number (it overflows, or is 0/0, log(0), ...)", what);
        else if (s->c->diag.nerrors == before) ERR(e->loc, "%s must be a constant", what);
        return NAN;
    }
    return s->c->ir.nodes[n].num;
}

/* A positive integer constant; reports and returns -1 otherwise. */
long int_value(Sema *s, const Expr *e, const char *what, long lo, long hi)
{
    double v = const_value(s, e, what);
    if (isnan(v)) return -1;
    if (v != floor(v) || v < (double)lo || v > (double)hi) {
        ERR(e->loc, "%s must be an integer in %ld .. %ld, not %g", what, lo, hi, v);
        return -1;
    }
    return (long)v;
}

const Arg *find_opt(const Expr *call, const char *name)
{
    for (int i = 0; i < call->nargs; i++)
        if (call->args[i]->kind == ARG_OPT && strcmp(call->args[i]->name, name) == 0) return call->args[i];
    return NULL;
}

/* Reports options of call not in the allowed list. */
int check_opts(Sema *s, const Expr *call, const char *const *allowed)
{
    int ok = 1;
    for (int i = 0; i < call->nargs; i++) {
        const Arg *a = call->args[i];
        if (a->kind != ARG_OPT) continue;
        int found = 0;
        for (int j = 0; allowed[j]; j++) found |= strcmp(allowed[j], a->name) == 0;
        if (!found) {
            char list[256] = "";
            for (int j = 0; allowed[j]; j++) {
                if (j) strncat(list, ", ", sizeof list - strlen(list) - 1);
                strncat(list, allowed[j], sizeof list - strlen(list) - 1);
            }
            ERR(a->loc, "unknown option '%s' of %s (expected one of: %s)", a->name, call->name, list);
            ok = 0;
        }
    }
    return ok;
}
