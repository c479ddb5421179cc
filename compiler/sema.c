/* sema.c -- names, kinds, point sets and shapes; lowering of the AST to IR.
 *
 * Requires: a parsed Program (parser.y).  Guarantees on success (return 0):
 * every declaration is resolved into Comp's tables (domains, point sets,
 * trainables, losses, substeps, checks), every loss/check expression is a
 * scalar IR node, every pointwise node is over exactly one point set, every
 * substep updates at least one trainable (sched.c), and every derivative
 * has been expanded symbolically (diff.c).  On error, every problem found
 * has been reported with its location, and the result must not be used.
 * Expressions are lowered by lower.c (sema_int.h is their shared interface).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "sema_int.h"
#include "sim.h"
#include "hyrt_api.h"

const char *const sym_kind_name[] = {
    "constant", "domain", "point set", "data", "network", "parameter", "field", "let", "loss", "weights"
};

static unsigned name_hash(const char *s)
{
    unsigned h = 2166136261u;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
    return h % NSYMHASH;
}

Sym *sym_lookup(Sema *s, const char *name)
{
    for (Sym *y = s->tab[name_hash(name)]; y; y = y->next)
        if (strcmp(y->name, name) == 0) return y;
    return NULL;
}


static const char *const builtin_fns[] = {
    "sin", "cos", "exp", "log", "tanh", "sqrt", "abs", "sinh", "cosh", "sign", "stop",
    "tan", "atan", "asin", "acos", "atan2",
    "mse", "mae", "mean", "sum", "max", "min", "where", "integral", "grad", "div", "rel_l2", "linf", "noise", "d", "lap", NULL
};

static int is_builtin(const char *name)
{
    if (strcmp(name, "pi") == 0) return 1;
    for (int i = 0; builtin_fns[i]; i++)
        if (strcmp(builtin_fns[i], name) == 0) return 1;
    return 0;
}

Sym *sym_declare(Sema *s, const Stmt *st, SymKind kind, int index)
{
    Sym *old = sym_lookup(s, st->name);
    if (old) {
        ERR(st->name_loc, "redefinition of '%s'", st->name);
        diag_note(&s->c->diag, old->st->name_loc, "'%s' was first defined here as a %s", old->name,
                  sym_kind_name[old->kind]);
        return NULL;
    }
    if (is_builtin(st->name)) {
        ERR(st->name_loc, "'%s' is a built-in name and cannot be redefined", st->name);
        return NULL;
    }
    Sym *y = arena_alloc(&s->c->arena, sizeof *y);
    y->name = st->name;
    y->kind = kind;
    y->index = index;
    y->st = st;
    y->node = NO_NODE;
    y->ps = -1;
    unsigned h = name_hash(st->name);
    y->next = s->tab[h];
    s->tab[h] = y;
    return y;
}

void *sema_grow(Comp *c, void *arr, int n, size_t elt)
{
    /* Capacity is implicit: the next power of two >= n (at least 4), so the
     * array is copied only when n reaches one; total work and memory O(n). */
    if (n >= 4 && (n & (n - 1)) != 0) return arr;
    void *na = arena_alloc(&c->arena, (size_t)(n < 4 ? 4 : 2 * n) * elt);
    if (n) memcpy(na, arr, (size_t)n * elt);
    return na;
}

static int levenshtein(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 32 || lb > 32) return 99;
    int d[33][33];
    for (size_t i = 0; i <= la; i++) d[i][0] = (int)i;
    for (size_t j = 0; j <= lb; j++) d[0][j] = (int)j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            int m = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < m) m = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < m) m = d[i][j - 1] + 1;
            d[i][j] = m;
        }
    return d[la][lb];
}

/* A close declared name, for "did you mean" hints; NULL if none. */
const char *sym_suggest(Sema *s, const char *name)
{
    const char *best = NULL;
    int bd = 3;
    if (s->c->diag.nerrors > 20) return NULL;   /* bounded work: a hint per error scans every name */
    size_t ln = strlen(name);
    for (int h = 0; h < NSYMHASH; h++)
        for (Sym *y = s->tab[h]; y; y = y->next) {
            size_t ly = strlen(y->name);
            if ((ly > ln ? ly - ln : ln - ly) > (size_t)bd) continue;   /* distance >= length difference */
            int d = levenshtein(name, y->name);
            /* ties (the table's order is no order): the longer name, then the first in byte order */
            if (d > 0 && (d < bd || (d == bd && best && (ly > strlen(best) ||
                                                         (ly == strlen(best) && strcmp(y->name, best) < 0))))) {
                bd = d;
                best = y->name;
            }
        }
    for (int i = 0; builtin_fns[i]; i++) {
        int d = levenshtein(name, builtin_fns[i]);
        if (d > 0 && d < bd) { bd = d; best = builtin_fns[i]; }
    }
    return best;
}

/* Resolves a point-set name ('over NAME', 'on NAME'); -1 after an error. */
int find_ps(Sema *s, const char *name, Loc loc)
{
    Sym *y = sym_lookup(s, name);
    if (y && y->kind == SYM_POINTS) return y->index;
    if (y && y->kind == SYM_DOMAIN) {
        if (y->index < 0) return -1;   /* its declaration failed (reported) */
        int p = s->c->domains[y->index].ps;
        if (p < 0) ERR(loc, "domain '%s' has no mesh: give it 'mesh h' or declare points in it", name);
        return p;
    }
    if (y && y->kind == SYM_DATA && y->index < 0) return y->ps;   /* a loaded file: its rows (-1: reported) */
    if (y && y->kind == SYM_DATA) {
        ERR(loc, "'%s' is data, not a point set", name);
        return -1;
    }
    if (y) ERR(loc, "'%s' is a %s, not a point set", name, sym_kind_name[y->kind]);
    else ERR(loc, "unknown point set '%s'", name);
    return -1;
}

static void decl_data(Sema *s, const Stmt *st)
{
    if (st->value->kind == EX_CALL && strcmp(st->value->name, "load") == 0 && !st->on) {
        decl_load(s, st);
        return;
    }
    int ps = st->on ? find_ps(s, st->on, st->on_loc) : -1;
    if (!st->on) ERR(st->loc, "data '%s' needs a point set: 'data %s on POINTS = ...'", st->name, st->name);
    Sym *y = sym_declare(s, st, SYM_DATA, s->c->ndata);
    if (ps < 0 || !y) return;
    Ctx cx = {ps, NULL, 0, 1, 0};
    NodeId v = lower(s, st->value, &cx);
    if (v == NO_NODE) return;
    if (s->c->ir.nodes[v].trainable_dep) {
        ERR(st->value->loc, "data cannot depend on networks or parameters");
        return;
    }
    if (s->c->ir.nodes[v].ps < 0)   /* a constant: broadcast it over the point set */
        v = ir_binary(&s->c->ir, OP_ADD, v, ir_leaf(&s->c->ir, OP_NOISE, ps, (uint32_t)s->c->nnoise++, 0, st->loc),
                      st->loc);
    y->node = ir_data(&s->c->ir, v, (uint32_t)s->c->ndata++, st->loc);
    y->ps = ps;
}

static const char *const act_names[] = {"tanh", "sin", "gelu", "softplus", "sigmoid", "swish"};

static void decl_net(Sema *s, const Stmt *st)
{
    const Expr *v = st->value;
    static const char *const kinds[] = {"mlp", "modified_mlp", "resnet", NULL};
    static const int kind_code[] = {HY_NET_MLP, HY_NET_MODIFIED, HY_NET_RESNET};
    int kind = -1;
    for (int k = 0; v->kind == EX_CALL && kinds[k]; k++)
        if (strcmp(v->name, kinds[k]) == 0) kind = kind_code[k];
    if (kind < 0) {
        ERR(v->loc, "unknown network kind%s%s%s (expected mlp, modified_mlp or resnet: mlp(in -> out, width W, depth D, activation))",
            v->kind == EX_CALL ? " '" : "", v->kind == EX_CALL ? v->name : "", v->kind == EX_CALL ? "'" : "");
        sym_declare(s, st, SYM_NET, -1);   /* uses of it are already-reported errors */
        return;
    }
    static const char *const opts[] = {"width", "depth", "activation", "outputs", "init", "fourier", "scale",
                                       "normalize", NULL};
    if (!check_opts(s, v, opts)) { sym_declare(s, st, SYM_NET, -1); return; }
    Trainable t;
    memset(&t, 0, sizeof t);
    t.netkind = kind;
    t.name = st->name;
    t.kind = TR_NET;
    t.width = 32; t.depth = 3; t.act = HY_ACT_TANH;
    t.loc = st->loc;
    int have_arrow = 0, ok = 1;
    const Domain *nd_norm = NULL;
    Loc norm_loc = v->loc;
    for (int i = 0; i < v->nargs; i++) {
        const Arg *a = v->args[i];
        if (a->kind == ARG_ARROW) {
            long din = int_value(s, a->e, "input dimension", 1, 64);
            long dout = int_value(s, a->e2, "output dimension", 1, 64);
            if (din < 0 || dout < 0) ok = 0;
            t.din = (int)din; t.dout = (int)dout;
            have_arrow = 1;
        } else if (a->kind == ARG_OPT && strcmp(a->name, "width") == 0) {
            long w = int_value(s, a->e, "width", 1, 4096);
            if (w < 0) ok = 0;
            t.width = (int)w;
        } else if (a->kind == ARG_OPT && strcmp(a->name, "depth") == 0) {
            long dd = int_value(s, a->e, "depth", 1, 64);
            if (dd < 0) ok = 0;
            t.depth = (int)dd;
        } else if (a->kind == ARG_OPT && strcmp(a->name, "init") == 0) {
            static const char *const inits[] = {"glorot_normal", "glorot_uniform", "he_normal"};
            int found = -1;
            for (int k = 0; k < 3; k++)
                if (a->e->kind == EX_NAME && strcmp(a->e->name, inits[k]) == 0) found = k;
            if (found < 0) { ERR(a->e->loc, "unknown init (expected glorot_normal, glorot_uniform or he_normal)"); ok = 0; }
            t.winit = found < 0 ? 0 : found;
        } else if (a->kind == ARG_OPT && strcmp(a->name, "fourier") == 0) {
            long nf = int_value(s, a->e, "the number of Fourier features", 1, 4096);
            if (nf < 0) ok = 0;
            t.nfeat = (int)nf;
            t.netkind |= HY_NET_FOURIER;
        } else if (a->kind == ARG_OPT && strcmp(a->name, "scale") == 0) {
            double sc = const_value(s, a->e, "the Fourier feature scale");
            if (!(sc > 0) || !isfinite(sc)) { if (!isnan(sc)) ERR(a->e->loc, "the Fourier feature scale must be > 0"); ok = 0; }
            t.fscale = sc;
        } else if (a->kind == ARG_OPT && strcmp(a->name, "normalize") == 0) {
            Sym *dy = a->e->kind == EX_NAME ? sym_lookup(s, a->e->name) : NULL;
            if (dy && dy->kind == SYM_DOMAIN && dy->index < 0) {
                ok = 0;
            } else if (!dy || dy->kind != SYM_DOMAIN) {
                ERR(a->e->loc, "'normalize' takes a domain: its box is mapped to [-1, 1] in every input");
                ok = 0;
            } else {
                t.normalize = 1;
                nd_norm = &s->c->domains[dy->index];
                norm_loc = a->e->loc;
            }
        } else if (a->kind == ARG_OPT && strcmp(a->name, "outputs") == 0) {
            int n = 1 + a->nmore;
            t.outs = arena_alloc(&s->c->arena, (size_t)n * sizeof *t.outs);
            for (int k = 0; k < n; k++) {
                const Expr *x = k ? a->more[k - 1] : a->e;
                if (x->kind != EX_NAME) { ERR(x->loc, "expected an output name"); ok = 0; break; }
                for (int j = 0; j < k; j++)
                    if (strcmp(t.outs[j], x->name) == 0) { ERR(x->loc, "output '%s' named twice", x->name); ok = 0; }
                t.outs[k] = x->name;
            }
            t.nouts = n;
        } else if ((a->kind == ARG_EXPR && a->e->kind == EX_NAME) ||
                   (a->kind == ARG_OPT && strcmp(a->name, "activation") == 0 && a->e->kind == EX_NAME)) {
            const char *an = a->e->name;
            int found = -1;
            for (int k = 0; k < HY_ACT_COUNT; k++)
                if (strcmp(act_names[k], an) == 0) found = k;
            if (found < 0) {
                ERR(a->e->loc, "unknown activation '%s' (expected tanh, sin, gelu, softplus, sigmoid or swish)", an);
                ok = 0;
            }
            t.act = found;
        } else {
            ERR(a->loc, "unexpected argument of mlp (expected 'in -> out', width N, depth N, or an activation)");
            ok = 0;
        }
    }
    if (!have_arrow) { ERR(v->loc, "mlp needs its shape: mlp(in -> out, ...)"); ok = 0; }
    if (ok && t.fscale > 0 && !(t.netkind & HY_NET_FOURIER)) {
        ERR(v->loc, "'scale' belongs to Fourier features: add 'fourier N'");
        ok = 0;
    }
    if (ok && t.normalize) {
        if (nd_norm->dim != t.din) {
            ERR(norm_loc, "domain '%s' has %d axes but the network has %d inputs", nd_norm->name, nd_norm->dim, t.din);
            ok = 0;
        } else {
            for (int k = 0; k < t.din; k++) { t.nlo[k] = nd_norm->lo[k]; t.nhi[k] = nd_norm->hi[k]; }
        }
    }
    if (ok && t.outs && t.nouts != t.dout) {
        ERR(v->loc, "mlp has %d output%s but 'outputs' names %d", t.dout, t.dout == 1 ? "" : "s", t.nouts);
        ok = 0;
    }
    sema_optimizer(s, &t, st->opt, st->schedule);
    Sym *y = sym_declare(s, st, SYM_NET, s->c->ntrs);
    if (!y) return;
    if (!ok) { y->index = -1; return; }   /* uses of it are already-reported errors */
    *GROW(s->c->trs, s->c->ntrs) = t;
}

#define HY_MAX_VECTOR 4096   /* entries of a vector param or const (documented limit) */

/* The entries of a list value [e0, e1, ...] as constants (what names them in
 * messages); *out gets nargs values.  Returns the count, or -1 after
 * reporting (an empty list, a non-constant entry, too many entries). */
static int const_list(Sema *s, const Expr *e, const char *what, double **out)
{
    if (e->nargs == 0) { ERR(e->loc, "empty vector: give at least one entry, e.g. [0.5, 0.5]"); return -1; }
    if (e->nargs > HY_MAX_VECTOR) { ERR(e->loc, "a vector has at most %d entries, not %d", HY_MAX_VECTOR, e->nargs); return -1; }
    if (e->op == '(') { ERR(e->loc, "a vector is written in brackets: [a, b, ...]"); return -1; }
    double *v = arena_alloc(&s->c->arena, (size_t)e->nargs * sizeof *v);
    int ok = 1;
    for (int i = 0; i < e->nargs; i++) {
        v[i] = const_value(s, e->args[i]->e, what);
        ok &= !isnan(v[i]);
    }
    *out = v;
    return ok ? e->nargs : -1;
}

/* const NAME = value | [v0, v1, ...] */
static void decl_const(Sema *s, const Stmt *st)
{
    if (st->value->kind != EX_LIST) {
        double v = const_value(s, st->value, "the value of a const");
        Sym *y = sym_declare(s, st, SYM_CONST, 0);
        if (y) y->value = isnan(v) ? 1 : v;   /* 1 after an error: no cascade of "does not depend" */
        return;
    }
    double *v = NULL;
    int n = const_list(s, st->value, "an entry of a const", &v);
    Sym *y = sym_declare(s, st, SYM_CONST, 0);
    if (!y) return;
    y->value = 1;
    y->nelem = n > 0 ? n : 1 << 30;   /* after an error: any index is fine, vals NULL (silent) */
    y->vals = n > 0 ? v : NULL;
}

/* One side of a param's bounds for its n entries: a number for all, or a
 * list of n numbers (a vector param).  NULL after reporting. */
static double *param_bound(Sema *s, const Stmt *st, const Expr *b, int n, const char *what)
{
    double *v = arena_alloc(&s->c->arena, (size_t)n * sizeof *v);
    if (b->kind != EX_LIST) {
        v[0] = const_value(s, b, what);
        if (isnan(v[0])) return NULL;
        for (int i = 1; i < n; i++) v[i] = v[0];
        return v;
    }
    if (b->nargs != n) {
        ERR(b->loc, "the %s bound list has %d entr%s, but '%s' has %d", strstr(what, "lower") ? "lower" : "upper", b->nargs,
            b->nargs == 1 ? "y" : "ies", st->name, n);
        return NULL;
    }
    double *w = NULL;
    if (const_list(s, b, what, &w) < 0) return NULL;
    return w;
}

/* param NAME = v [in [lo, hi]] ...            a trainable scalar
 * param NAME = [v0, v1, ...] [in [lo, hi] | in [[lo0, ...], [hi0, ...]]] ...
 *   a vector: entry i is the trainable scalar "NAME[i]" (trainables index ..
 *   index + n - 1, in order), each with the declared optimizer and schedule,
 *   the common bounds or its own. */
static void decl_param(Sema *s, const Stmt *st)
{
    Trainable t;
    memset(&t, 0, sizeof t);
    t.name = st->name;
    t.kind = TR_SCALAR;
    t.loc = st->loc;
    int vec = st->value->kind == EX_LIST, n = 1, ok = 1;
    double one, *init = &one;
    if (vec) {
        n = const_list(s, st->value, "the initial value of a parameter", &init);
        if (n < 0) { ok = 0; n = st->value->nargs > 0 ? st->value->nargs : 1; }
    } else {
        one = const_value(s, st->value, "the initial value of a parameter");
        ok = !isnan(one);
    }
    sema_optimizer(s, &t, st->opt, st->schedule);
    double *lo = NULL, *hi = NULL;
    if (st->lo && st->hi) {   /* in [lo, hi] */
        if (!vec && (st->lo->kind == EX_LIST || st->hi->kind == EX_LIST)) {
            ERR(st->lo->kind == EX_LIST ? st->lo->loc : st->hi->loc,
                "'%s' is a scalar parameter: its bounds are two numbers, in [lo, hi]", st->name);
        } else {
            lo = param_bound(s, st, st->lo, n, "a lower bound");
            hi = param_bound(s, st, st->hi, n, "an upper bound");
        }
        for (int i = 0; lo && hi && i < n; i++) {
            const char *at = vec ? arena_printf(&s->c->arena, " of '%s[%d]'", st->name, i) : "";
            if (!(lo[i] < hi[i])) {
                ERR(st->bounds_loc, "empty bounds [%g, %g]%s (need lo < hi)", lo[i], hi[i], at);
                ok = 0;
            } else if (ok && !(init[i] >= lo[i] && init[i] <= hi[i])) {
                ERR(vec ? st->value->args[i]->e->loc : st->value->loc, "the initial value %g lies outside the bounds [%g, %g]%s",
                    init[i], lo[i], hi[i], at);
                ok = 0;
            }
        }
        if (!lo || !hi) ok = 0;
    }
    Sym *y = sym_declare(s, st, SYM_PARAM, s->c->ntrs);
    if (!y) return;
    y->nelem = vec ? n : 0;
    if (!ok) { y->index = -1; return; }   /* uses of it are already-reported errors */
    for (int i = 0; i < n; i++) {
        Trainable *ti = GROW(s->c->trs, s->c->ntrs);
        *ti = t;
        if (vec) ti->name = arena_printf(&s->c->arena, "%s[%d]", st->name, i);
        ti->init = init[i];
        if (lo) { ti->lo = lo[i]; ti->hi = hi[i]; ti->has_bounds = 1; }
    }
    if (!vec) y->node = ir_leaf(&s->c->ir, OP_PARAM, -1, (uint32_t)y->index, 0, st->loc);
}

/* report A, for a vector param or const A: one report line per entry, "A[i]". */
static int report_vector(Sema *s, const Stmt *st)
{
    const Expr *v = st->value;
    Sym *y = st->kind == ST_REPORT && !st->on && v->kind == EX_NAME ? sym_lookup(s, v->name) : NULL;
    if (!y || !(y->kind == SYM_PARAM || y->kind == SYM_CONST) || y->nelem == 0) return 0;
    if (y->kind == SYM_PARAM ? y->index < 0 : !y->vals) return 1;   /* its declaration failed (reported) */
    for (int i = 0; i < y->nelem; i++) {
        Check *k = GROW(s->c->checks, s->c->nchecks);
        k->is_expect = 0;
        k->text = arena_printf(&s->c->arena, "%s[%d]", y->name, i);
        k->root = y->kind == SYM_CONST ? ir_const(&s->c->ir, y->vals[i])
                                       : ir_leaf(&s->c->ir, OP_PARAM, -1, (uint32_t)(y->index + i), 0, v->loc);
        k->loc = st->loc;
    }
    return 1;
}

static void decl_function(Sema *s, const Stmt *st)
{
    for (int i = 0; i < st->nparams; i++)
        for (int j = 0; j < i; j++)
            if (strcmp(st->params[i], st->params[j]) == 0)
                ERR(st->param_locs[i], "parameter '%s' given twice", st->params[i]);
    if (st->kind == ST_FIELD && st->nparams <= 0) {
        ERR(st->name_loc, "field '%s' needs its coordinates: field %s(x) = ...", st->name, st->name);
        return;
    }
    /* The body is checked where it is used (it is inlined there). */
    sym_declare(s, st, st->kind == ST_FIELD ? SYM_FIELD : SYM_LET, 0);
}

static void decl_loss(Sema *s, const Stmt *st)
{
    int ps = -1;
    if (st->on) {
        ps = find_ps(s, st->on, st->on_loc);
        if (ps < 0) return;
    }
    Sym *y = sym_declare(s, st, SYM_LOSS, s->c->nlosses);
    if (!y) return;
    Ctx cx = {ps, NULL, 0, 0, 0};
    NodeId v = lower(s, st->value, &cx);
    if (v == NO_NODE) { y->index = -1; return; }
    if (s->c->ir.nodes[v].ps >= 0) {
        ERR(st->value->loc, "loss '%s' is a value per point, not a number: reduce it, e.g. mse(...) or mean(...)",
            st->name);
        y->index = -1;
        return;
    }
    if (!s->c->ir.nodes[v].trainable_dep)
        diag_warning(&s->c->diag, st->value->loc, "loss '%s' does not depend on any network or parameter", st->name);
    Loss *l = GROW(s->c->losses, s->c->nlosses);
    l->name = st->name;
    l->root = v;
    l->ps = ps;
    l->loc = st->loc;
}

/* The source text of a statement's value, for reports: from its first token
 * after the keyword to the start of the next statement (or the end of the
 * source), over as many lines as it spans, without comments, every run of
 * white space (line breaks included) one blank. */
static const char *stmt_text(Sema *s, const Stmt *st, Loc from)
{
    const char *p = s->c->diag.src;
    int line = 1;
    while (*p && line < from.line) { if (*p == '\n') line++; p++; }
    if (line != from.line) return "?";
    int col = 1;
    for (; col < from.col && *p && *p != '\n'; col++) p++;
    for (; *p >= 'a' && *p <= 'z'; col++) p++;   /* the keyword */
    Loc stop = st->next ? st->next->loc : (Loc){0, 0};   /* line 0: to the end */
    char *out = arena_alloc(&s->c->arena, 256), *o = out;
    size_t cap = 256;
    int blank = 0;
    for (; *p; p++) {
        if (stop.line > 0 && (line > stop.line || (line == stop.line && col >= stop.col))) break;
        char ch = *p;
        if (ch == '#') {   /* a comment: to the end of its line */
            while (p[1] && p[1] != '\n') p++;
            col = 1;       /* the '\n' that follows counts the line */
            continue;
        }
        if (ch == '\n') { line++; col = 1; blank = o > out; continue; }
        col++;
        if (ch == ' ' || ch == '\t' || ch == '\r') { blank = o > out; continue; }
        if ((size_t)(o - out) + 3 > cap) {   /* grow in the arena (old block is left) */
            char *n = arena_alloc(&s->c->arena, 2 * cap);
            memcpy(n, out, (size_t)(o - out));
            o = n + (o - out);
            out = n;
            cap *= 2;
        }
        if (blank) *o++ = ' ';
        blank = 0;
        *o++ = ch;
    }
    *o = 0;
    return out;
}

static void decl_check(Sema *s, const Stmt *st)
{
    if (report_vector(s, st)) return;
    int ps = -1;
    if (st->on) { ps = find_ps(s, st->on, st->on_loc); if (ps < 0) return; }
    Ctx cx = {ps, NULL, 0, 0, 0};
    NodeId v = lower(s, st->value, &cx);
    double bound = 0;
    if (st->kind == ST_EXPECT) {
        bound = const_value(s, st->bound, "the bound of an expect");
        if (isnan(bound)) return;
    }
    if (v == NO_NODE) return;
    if (s->c->ir.nodes[v].ps >= 0) {
        ERR(st->value->loc, "this is a value per point, not a number: reduce it, e.g. rel_l2(u, exact) or max(abs(...))");
        return;
    }
    Check *k = GROW(s->c->checks, s->c->nchecks);
    k->is_expect = st->kind == ST_EXPECT;
    k->text = stmt_text(s, st, st->loc);
    k->root = v;
    k->cmp = st->cmp;
    k->bound = bound;
    k->loc = st->loc;
}

static int sema_body(Comp *c)
{
    Sema *s = arena_alloc(&c->arena, sizeof *s);   /* zeroed; its symbol table is large for a stack */
    s->c = c;
    int seen_train = 0;
    for (const Stmt *st = c->ast->first; st; st = st->next) {
        switch (st->kind) {
        case ST_SEED:
            if (st->count < 0) ERR(st->loc, "seed must be >= 0");
            c->seed = (unsigned long long)st->count;
            break;
        case ST_CONST: decl_const(s, st); break;
        case ST_DOMAIN: decl_domain(s, st); break;
        case ST_POINTS: decl_points(s, st); break;
        case ST_DATA: decl_data(s, st); break;
        case ST_NET: decl_net(s, st); break;
        case ST_PARAM: decl_param(s, st); break;
        case ST_FIELD: case ST_LET: decl_function(s, st); break;
        case ST_LOSS: decl_loss(s, st); break;
        case ST_TRAIN: decl_train(s, st); seen_train = 1; break;
        case ST_EXPECT: case ST_REPORT: decl_check(s, st); break;
        case ST_WEIGHTS: decl_weights(s, st); break;
        case ST_TRACK: decl_track(s, st); break;
        case ST_GRID: decl_grid(s, st); break;
        case ST_SIM: decl_sim(s, st); break;
        case ST_STATE: case ST_SIMSTEP: case ST_EQN:   /* only inside a sim body (parser.y) */
            HY_ICE("a sim body statement at the top level");
        }
    }
    sema_points_finish(s);
    if (c->xreq && c->diag.nerrors == 0)
        sema_export(s);   /* --export/--eval expressions, after every declaration (sema_export.c) */
    sema_train_finish(s);
    if (!seen_train && c->diag.nerrors == 0 && c->nlosses > 0) {
        Loc l = {1, 1};
        ERR(l, "no 'train N epochs { step ... }' block");
    }
    /* Unused losses are probably a mistake. */
    uint8_t *used = arena_alloc(&c->arena, (size_t)c->nlosses + 1);   /* linear in losses and step terms */
    for (int j = 0; j < c->nsteps; j++)
        for (int k = 0; k < c->steps[j].nloss; k++) used[c->steps[j].losses[k]] = 1;
    for (int i = 0; i < c->nlosses; i++)
        if (!used[i] && !c->losses[i].used && c->nsteps) diag_warning(&c->diag, c->losses[i].loc, "loss '%s' is never used in a step", c->losses[i].name);
    return c->diag.nerrors ? 1 : 0;
}

int sema(Comp *c)
{
    /* The IR node cap (HY_MAX_NODES): a constructor that would pass it jumps
     * back here; the IR built so far is left as it is (freed by comp_free)
     * and the program is rejected at the expression that was being built. */
    jmp_buf full;
    if (setjmp(full)) {
        c->ir.full = NULL;
        diag_error(&c->diag, c->ir.last_loc.line > 0 ? c->ir.last_loc : (Loc){1, 1},
                   "the program is too large: its expressions need more than %u IR nodes (the limit); "
                   "a derivative of very high order, or a long chain of definitions each using the last?",
                   c->ir.max_nodes);
        return 1;
    }
    c->ir.full = &full;
    int r = sema_body(c);
    c->ir.full = NULL;
    if (r == 0 && sema_limits(c)) r = 1;
    return r;
}
