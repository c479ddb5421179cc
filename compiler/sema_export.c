/* sema_export.c -- lowering of the expressions of --export / --eval.
 *
 * Requires: every declaration of the spec has been checked (sema calls this
 * last, when c->xreq is set and nothing failed); each item's expression was
 * parsed by export.c from its own source text.
 * Guarantees: for each item, root is the IR of the expression evaluated at a
 * point of a point set of its own (one synthetic box domain, one point)
 * whose coordinates are the parameters of the first field (or let with
 * parameters) the expression names, in that order, so `u` means u at those
 * coordinates and `dxx(u)` its second derivative by x (diff.c, network jets
 * as NETOUT nodes).  The expression must be a value per point built from
 * coordinates, constants, params and networks: data, noise and reductions
 * over point sets are refused with a located message ("--export:2:1: ..."
 * pointing into the item's text).  The synthetic domains and point sets stay
 * in c (a Comp used for an export is never emitted as a training program).
 * An item with want set (fields.c) is lowered at those coordinates instead
 * of its first field's, so expressions of coordinates alone (an exact
 * solution) and bare networks work too; an optional item that cannot be
 * lowered is dropped silently (root NO_NODE, no error counted).
 */
#include <string.h>
#include "sema_int.h"

/* The first field, or let with parameters, that e names (depth first, left
 * to right); NULL if none. */
static const Sym *first_function(Sema *s, const Expr *e)
{
    if (!e)
        return NULL;
    if (e->kind == EX_NAME || e->kind == EX_CALL) {
        const Sym *y = sym_lookup(s, e->name);
        if (y && (y->kind == SYM_FIELD || (y->kind == SYM_LET && y->st->nparams >= 0)))
            return y;
    }
    const Sym *y = first_function(s, e->lhs);
    if (!y)
        y = first_function(s, e->rhs);
    for (int i = 0; !y && i < e->nargs; i++) {
        y = first_function(s, e->args[i]->e);
        if (!y)
            y = first_function(s, e->args[i]->e2);
    }
    return y;
}

/* Reports the first bare name of e that names nothing (with a suggestion);
 * 1 if it did. */
static int unknown_name(Sema *s, const Expr *e)
{
    if (!e)
        return 0;
    if (e->kind == EX_NAME && !sym_lookup(s, e->name) && strcmp(e->name, "pi") != 0 &&
        !any_coord(s, e->name)) {
        const char *hint = sym_suggest(s, e->name);
        if (hint)
            ERR(e->loc, "unknown name '%s'; did you mean '%s'?", e->name, hint);
        else
            ERR(e->loc, "unknown name '%s'", e->name);
        return 1;
    }
    if (unknown_name(s, e->lhs) || unknown_name(s, e->rhs))
        return 1;
    for (int i = 0; i < e->nargs; i++)
        if (unknown_name(s, e->args[i]->e) || unknown_name(s, e->args[i]->e2))
            return 1;
    return 0;
}

/* 0 if every node under root can be computed at one point, else reports
 * the first that cannot and returns -1. */
static int check_pointwise(Sema *s, NodeId root, Loc loc, const char *text)
{
    Comp *c = s->c;
    uint8_t *seen = arena_alloc(&c->arena, c->ir.nnodes);
    NodeId *stack = arena_alloc(&c->arena, sizeof(NodeId) * ((size_t)c->ir.nnodes + 1));
    size_t sp = 0;
#define PUSH(x) do { NodeId x_ = (x); if (!seen[x_]) { seen[x_] = 1; stack[sp++] = x_; } } while (0)
    PUSH(root);
    while (sp > 0) {
        NodeId n = stack[--sp];
        const Node *nd = &c->ir.nodes[n];
        const char *bad = NULL;
        switch (nd->op) {
        case OP_NOISE: bad = "noise"; break;
        case OP_DATA: bad = "data"; break;
        case OP_SIM: bad = "a simulator's state"; break;
        case OP_WEIGHT: bad = "an adaptive loss weight (a value of the training step)"; break;
        case OP_MEAN: case OP_SUM: case OP_MAXR:
            if (c->ir.nodes[nd->a].ps >= 0)
                bad = "a mean, sum or maximum over points";
            break;
        default: break;
        }
        if (bad) {
            ERR(loc, "'%s' depends on %s, which has no value at a single point; export a field "
                     "or an expression of fields", text, bad);
            return -1;
        }
        if (nd->op == OP_NETOUT) {
            const Call *cl = &c->ir.calls[nd->a];
            for (int k = 0; k < cl->nargs; k++)
                PUSH(cl->args[k]);
            continue;
        }
        int leaf = nd->op == OP_CONST || nd->op == OP_COORD || nd->op == OP_PARAM || nd->op == OP_SIM;
        if (!leaf && nd->a != NO_NODE)
            PUSH(nd->a);
        if (!leaf && nd->b != NO_NODE)
            PUSH(nd->b);
    }
#undef PUSH
    return 0;
}

/* A stream that discards what is written (messages of optional items). */
static FILE *quiet_out(void)
{
    static FILE *null;
    if (!null)
        null = fopen("/dev/null", "w");
    return null;   /* NULL: diag writes to stderr */
}

void sema_export(Sema *s)
{
    Comp *c = s->c;
    ExportReq *xr = c->xreq;
    Diag saved = c->diag;
    for (int i = 0; i < xr->n; i++) {
        ExportItem *it = &xr->items[i];
        it->root = NO_NODE;
        it->ps = -1;
        if (!it->expr)
            continue;
        c->diag.file = "--export";   /* messages point into the item's text */
        c->diag.src = it->src;
        c->diag.srclen = strlen(it->src);
        int nerr0 = c->diag.nerrors;
        if (it->optional)
            c->diag.out = quiet_out();
        const Sym *f = it->want ? NULL : first_function(s, it->expr);
        const char *const *coords = it->want;
        int dim = it->nwant;
        if (!it->want) {
            if (!f && unknown_name(s, it->expr))
                goto failed;
            if (!f) {
                ERR(it->expr->loc, "'%s' names no field: export a field (field u(x) = ...) or an "
                                   "expression of one, e.g. dxx(u)", it->text);
                goto failed;
            }
            coords = f->st->params;
            dim = f->st->nparams;
            if (dim < 1 || dim > 8) {
                ERR(it->expr->loc, "'%s' has %d coordinates; an export takes 1 to 8", f->name, dim);
                goto failed;
            }
        } else if (dim < 1 || dim > 8 || unknown_name(s, it->expr)) {
            goto failed;
        }
        Domain d;
        memset(&d, 0, sizeof d);
        d.name = NULL;
        d.kind = DOM_BOX;
        d.dim = dim;
        for (int k = 0; k < d.dim; k++) {
            d.coords[k] = coords[k];
            d.lo[k] = 0.0;
            d.hi[k] = 1.0;
        }
        d.ps = -1;
        d.loc = it->expr->loc;
        *GROW(c->domains, c->ndomains) = d;
        PointSet *p = GROW(c->psets, c->npsets);
        p->name = arena_printf(&c->arena, "(--export %s)", f ? f->name : it->text);
        p->domain = c->ndomains - 1;
        p->kind = PS_LINSPACE;
        p->n = p->n0 = 1;
        p->dim = d.dim;
        p->lo = 0.0;
        p->hi = 1.0;
        p->pool = p->pool_of = p->loss = -1;
        p->resid = NO_NODE;
        p->loc = it->expr->loc;
        int ps = c->npsets - 1;
        Ctx cx = {ps, NULL, 0, 0, 0};
        NodeId v = lower(s, it->expr, &cx);
        if (v == NO_NODE || c->diag.nerrors > nerr0 || check_pointwise(s, v, it->expr->loc, it->text) != 0)
            goto failed;
        it->root = v;
        it->ps = ps;
        it->dim = d.dim;
        it->coords = arena_alloc(&c->arena, sizeof(char *) * (size_t)d.dim);
        for (int k = 0; k < d.dim; k++)
            it->coords[k] = coords[k];
        it->field = f ? f->name : it->text;
        it->field_line = f ? f->st->loc.line : 0;
        c->diag.out = saved.out;
        continue;
    failed:
        it->root = NO_NODE;
        c->diag.out = saved.out;
        if (it->optional)
            c->diag.nerrors = nerr0;   /* dropped, not an error of the run */
    }
    saved.nerrors = c->diag.nerrors;
    saved.nwarnings = c->diag.nwarnings;
    c->diag = saved;
}
