/* sema_train.c -- optimizers, learning-rate schedules, loss balancers, the
 * training schedule (substeps, weighted terms, phases) and tracking.
 *
 * Requires: the symbols declared so far (sema.c).  Guarantees: every value
 * handed to the runtime (hy_optimizer, hy_schedule, hy_balancer, hy_phase,
 * hy_substep_term) is range-checked here with a located error, so the
 * runtime's own checks (internal errors) cannot fire from a spec.
 *
 *   optimizer adam(lr 1e-3) | adamw(...) | sgd(...) | rmsprop(...) | lbfgs(...)
 *             | lbfgsb(...) | multiadam(...) | chain(clip_norm(v) | clip_value(v), OPT)
 *   schedule  constant(value) | exponential(lr0, rate, steps[, lr_end])
 *             | cosine(steps, lr0[, lr_end]) | warmup_cosine(steps, warmup, lr0[, lr_end, lr_init])
 *             | piecewise_constant(boundaries b1 b2 .., values v0 v1 ..) | dlrs(lr0, window[, ...])
 *             each with optional min_lr / max_lr clamps
 *   weights w = relobralo(l1, l2, ..., alpha a, tau t, rho r, mode raw|minmax|l2) | softadapt | dwa
 *             | lbpinns | rlw
 *             (w.l is also a value inside later losses: OP_WEIGHT, lower.c weight_ref, emit.c)
 *   train N epochs [warmup N | warmup until LOSS < T [max N]] { step [c *] [w.l *] l, ... [x k] ... }
 *   then M iterations [optimizer OPT] { step ... }
 *   track w, lr
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "sema_int.h"
#include "hyrt_api.h"

/* ---- named option tables ---- */

typedef struct OptSpec {
    const char *name;
    double def;         /* default value */
    int check;          /* range class, see value_ok */
} OptSpec;

enum { R_POS, R_NONNEG, R_BETA, R_FLAG, R_INT_POS, R_ANY, R_UNIT };

static int value_ok(int check, double v, const char **why)
{
    switch (check) {
    case R_POS: *why = "must be > 0"; return v > 0 && isfinite(v);
    case R_NONNEG: *why = "must be >= 0"; return v >= 0 && isfinite(v);
    case R_BETA: *why = "must be in [0, 1)"; return v >= 0 && v < 1;
    case R_FLAG: *why = "must be 0 or 1"; return v == 0 || v == 1;
    case R_INT_POS: *why = "must be a whole number >= 1"; return v >= 1 && v == floor(v) && v <= 1e9;
    case R_UNIT: *why = "must be in [0, 1]"; return v >= 0 && v <= 1;
    default: *why = "must be finite"; return isfinite(v);
    }
}

/* Reads the options of call into out[] by the table (defaults first).
 * Positional arguments are taken in table order when allow_pos.  Returns 1,
 * or 0 after an error. */
static int read_opts(Sema *s, const Expr *call, const OptSpec *tab, int n, double *out, int allow_pos,
                     const char *const *extra_ok)
{
    for (int k = 0; k < n; k++) out[k] = tab[k].def;
    int pos = 0;
    for (int i = 0; i < call->nargs; i++) {
        const Arg *a = call->args[i];
        int k = -1;
        if (a->kind == ARG_EXPR && allow_pos) {
            if (pos >= n) { ERR(a->loc, "too many arguments of %s", call->name); return 0; }
            k = pos++;
        } else if (a->kind == ARG_OPT) {
            for (int q = 0; q < n; q++)
                if (strcmp(tab[q].name, a->name) == 0) k = q;
            int extra = 0;
            for (int q = 0; extra_ok && extra_ok[q]; q++) extra |= strcmp(extra_ok[q], a->name) == 0;
            if (extra) continue;
            if (k < 0) {
                char list[256] = "";
                for (int q = 0; q < n; q++)
                    snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", q ? ", " : "", tab[q].name);
                ERR(a->loc, "unknown option '%s' of %s (expected one of: %s)", a->name, call->name, list);
                return 0;
            }
        } else {
            ERR(a->loc, "expected an option like '%s %g'", tab[0].name, tab[0].def);
            return 0;
        }
        if (a->nmore) { ERR(a->more[0]->loc, "'%s' takes one value", tab[k].name); return 0; }
        double v = const_value(s, a->e, tab[k].name);
        if (isnan(v)) return 0;
        const char *why;
        if (!value_ok(tab[k].check, v, &why)) {
            ERR(a->e->loc, "%s = %g is out of range: it %s", tab[k].name, v, why);
            return 0;
        }
        out[k] = v;
    }
    return 1;
}

/* ---- optimizers ---- */

static const OptSpec adam_opts[] = {{"lr", 1e-3, R_POS}, {"beta1", 0.9, R_BETA}, {"beta2", 0.999, R_BETA},
                                    {"eps", 1e-8, R_POS}, {"weight_decay", 0, R_NONNEG}};
static const OptSpec adamw_opts[] = {{"lr", 1e-3, R_POS}, {"beta1", 0.9, R_BETA}, {"beta2", 0.999, R_BETA},
                                     {"eps", 1e-8, R_POS}, {"weight_decay", 1e-2, R_NONNEG}};
static const OptSpec sgd_opts[] = {{"lr", 1e-3, R_POS}, {"momentum", 0, R_NONNEG}, {"nesterov", 0, R_FLAG},
                                   {"weight_decay", 0, R_NONNEG}};
static const OptSpec rms_opts[] = {{"lr", 1e-2, R_POS}, {"alpha", 0.99, R_BETA}, {"eps", 1e-8, R_POS},
                                   {"momentum", 0, R_NONNEG}};
static const OptSpec lbfgs_opts[] = {{"lr", 1, R_POS}, {"history", 100, R_INT_POS}, {"max_iterations", 20, R_INT_POS},
                                     {"tolerance_grad", 1e-7, R_NONNEG}, {"tolerance_change", 1e-9, R_NONNEG}};
static const OptSpec multiadam_opts[] = {{"lr", 1e-3, R_POS}, {"beta1", 0.99, R_BETA}, {"beta2", 0.99, R_BETA},
                                         {"eps", 1e-8, R_POS}};

static const struct {
    const char *name;
    int kind;
    const OptSpec *opts;
    int nopts;
} optimizers[] = {
    {"adam", HY_OPT_ADAM, adam_opts, 5},      {"adamw", HY_OPT_ADAMW, adamw_opts, 5},
    {"sgd", HY_OPT_SGD, sgd_opts, 4},         {"rmsprop", HY_OPT_RMSPROP, rms_opts, 4},
    {"lbfgs", HY_OPT_LBFGS, lbfgs_opts, 5},   {"lbfgsb", HY_OPT_LBFGS, lbfgs_opts, 5},
    {"multiadam", HY_OPT_MULTIADAM, multiadam_opts, 4},
};

/* Reads an optimizer call (no chain) into kind/hyper. */
static int plain_optimizer(Sema *s, const Expr *opt, int *kind, double *hyper, int *nhyper)
{
    for (size_t i = 0; opt->kind == EX_CALL && i < sizeof optimizers / sizeof optimizers[0]; i++) {
        if (strcmp(opt->name, optimizers[i].name) != 0) continue;
        /* 'tolerate nonconvergence': L-BFGS always returns its best point at the cap */
        static const char *const lbfgs_extra[] = {"tolerate", NULL};
        const Arg *tol = find_opt(opt, "tolerate");
        if (tol && (optimizers[i].kind != HY_OPT_LBFGS || tol->e->kind != EX_NAME ||
                    strcmp(tol->e->name, "nonconvergence") != 0)) {
            ERR(tol->loc, "'tolerate' takes 'nonconvergence' and belongs to lbfgs/lbfgsb");
            return 0;
        }
        if (!read_opts(s, opt, optimizers[i].opts, optimizers[i].nopts, hyper, 0,
                       optimizers[i].kind == HY_OPT_LBFGS ? lbfgs_extra : NULL))
            return 0;
        *kind = optimizers[i].kind;
        *nhyper = optimizers[i].nopts;
        return 1;
    }
    for (size_t i = 0; opt->kind == EX_NAME && i < sizeof optimizers / sizeof optimizers[0]; i++)
        if (strcmp(opt->name, optimizers[i].name) == 0) {
            ERR(opt->loc, "write %s(...) with parentheses, e.g. %s() for the default settings", opt->name, opt->name);
            return 0;
        }
    ERR(opt->loc, "unknown optimizer%s%s%s (expected adam, adamw, sgd, rmsprop, lbfgs, lbfgsb, multiadam or chain(...))",
        opt->kind == EX_CALL ? " '" : "", opt->kind == EX_CALL ? opt->name : "", opt->kind == EX_CALL ? "'" : "");
    return 0;
}

/* optimizer OPT and schedule SCHED of trainable t. */
void sema_optimizer(Sema *s, Trainable *t, const Expr *opt, const Expr *sched)
{
    t->opt_kind = HY_OPT_ADAM;
    t->hyper[0] = 1e-3; t->hyper[1] = 0.9; t->hyper[2] = 0.999; t->hyper[3] = 1e-8;
    t->nhyper = 4;
    t->sched_kind = -1;
    t->min_lr = 0;
    t->max_lr = INFINITY;
    if (opt && opt->kind == EX_CALL && strcmp(opt->name, "chain") == 0) {
        const Expr *inner = NULL;
        for (int i = 0; i < opt->nargs; i++) {
            const Arg *a = opt->args[i];
            const Expr *x = a->kind == ARG_EXPR ? a->e : NULL;
            if (x && x->kind == EX_CALL && (strcmp(x->name, "clip_norm") == 0 || strcmp(x->name, "clip_value") == 0)) {
                if (t->clip_kind) { ERR(x->loc, "only one clipping step per chain"); return; }
                if (x->nargs != 1 || x->args[0]->kind != ARG_EXPR) { ERR(x->loc, "%s takes one number", x->name); return; }
                double v = const_value(s, x->args[0]->e, "the clipping threshold");
                if (isnan(v)) return;
                if (!(v > 0) || !isfinite(v)) { ERR(x->args[0]->loc, "the clipping threshold must be > 0"); return; }
                t->clip_kind = x->name[5] == 'n' ? HY_CLIP_NORM : HY_CLIP_VALUE;
                t->clip_v = v;
            } else if (x && !inner) {
                inner = x;
            } else {
                ERR(a->loc, "chain takes clipping steps and one optimizer, e.g. chain(clip_norm(1.0), adam(lr 1e-3))");
                return;
            }
        }
        if (!inner) { ERR(opt->loc, "chain needs an optimizer, e.g. chain(clip_norm(1.0), adam(lr 1e-3))"); return; }
        opt = inner;
    }
    if (opt && !plain_optimizer(s, opt, &t->opt_kind, t->hyper, &t->nhyper)) return;
    if (t->opt_kind == HY_OPT_LBFGS && t->clip_kind) {
        ERR(opt->loc, "gradient clipping does not combine with L-BFGS (its line search sets the step)");
        return;
    }
    if (sched) sema_schedule(s, t, sched);
}

/* ---- schedules ---- */

/* A schedule written as an expression of `epoch` and the losses (e.g.
 * where(pde > 1e-2, 1e-3, 1e-5)) becomes a C expression over L[id] (the loss
 * values of the step being taken) and hy_epoch(c).  Only checked names and
 * re-printed numbers reach the text, so nothing of the spec is pasted into
 * the program.  Returns 0 after a located error. */
static int sched_expr(Sema *s, const Expr *e, char *buf, size_t len)
{
    size_t used = strlen(buf);
#define PUT(...) do { int n_ = snprintf(buf + used, len - used, __VA_ARGS__); \
                      if (n_ < 0 || (size_t)n_ >= len - used) { ERR(e->loc, "schedule expression too long"); return 0; } \
                      used += (size_t)n_; } while (0)
#define SUB(x) do { if (!sched_expr(s, (x), buf, len)) return 0; used = strlen(buf); } while (0)
    switch (e->kind) {
    case EX_NUM: PUT("(%.17g)", e->num); return 1;
    case EX_NAME: {
        Sym *y = sym_lookup(s, e->name);
        if (y && y->kind == SYM_CONST && y->nelem > 0) {
            ERR(e->loc, "'%s' is a vector constant with %d entries; pick one, e.g. %s[0]", e->name, y->nelem, e->name);
            return 0;
        }
        if (y && y->kind == SYM_CONST) { PUT("(%.17g)", y->value); return 1; }
        if (y && y->kind == SYM_LOSS && y->index >= 0) { PUT("L[%d]", y->index); return 1; }
        if (!y && strcmp(e->name, "epoch") == 0) { PUT("hy_epoch(c)"); return 1; }
        if (!y && strcmp(e->name, "pi") == 0) { PUT("(%.17g)", M_PI); return 1; }
        ERR(e->loc, "a schedule expression uses numbers, constants, loss names and 'epoch', not '%s'", e->name);
        return 0;
    }
    case EX_NEG: PUT("(-"); SUB(e->lhs); PUT(")"); return 1;
    case EX_BIN:
        if (e->op == '^') { PUT("hy_pow("); SUB(e->lhs); PUT(", "); SUB(e->rhs); PUT(")"); return 1; }
        if (e->op == '=') { ERR(e->loc, "use <= and >= to compare"); return 0; }
        PUT("(");
        SUB(e->lhs);
        PUT(" %s ", e->op == 'l' ? "<=" : e->op == 'g' ? ">=" : e->op == '<' ? "<" : e->op == '>' ? ">" :
                    e->op == '+' ? "+" : e->op == '-' ? "-" : e->op == '*' ? "*" : "/");
        SUB(e->rhs);
        PUT(")");
        return 1;
    case EX_CALL: {
        static const char *const fns[] = {"exp", "log", "sqrt", "sin", "cos", "tanh", "abs", NULL};
        static const char *const cfns[] = {"hy_exp", "hy_log", "hy_sqrt", "hy_sin", "hy_cos", "hy_tanh", "hy_fabs"};
        for (int i = 0; fns[i]; i++)
            if (strcmp(e->name, fns[i]) == 0 && e->nargs == 1 && e->args[0]->kind == ARG_EXPR) {
                PUT("%s(", cfns[i]); SUB(e->args[0]->e); PUT(")");
                return 1;
            }
        int three = strcmp(e->name, "where") == 0, two = strcmp(e->name, "min") == 0 || strcmp(e->name, "max") == 0;
        if ((three && e->nargs == 3) || (two && e->nargs == 2)) {
            for (int i = 0; i < e->nargs; i++)
                if (e->args[i]->kind != ARG_EXPR) { ERR(e->args[i]->loc, "expected an expression"); return 0; }
            const Expr *a = e->args[0]->e, *b = e->args[1]->e;
            if (three && !(a->kind == EX_BIN && strchr("<>lg", a->op))) { ERR(a->loc, "expected a comparison"); return 0; }
            PUT("(");
            if (three) { SUB(a); PUT(" ? "); SUB(b); PUT(" : "); SUB(e->args[2]->e); }
            else { PUT("("); SUB(a); PUT(e->name[1] == 'i' ? " <= " : " >= "); SUB(b); PUT(") ? "); SUB(a); PUT(" : "); SUB(b); }
            PUT(")");
            return 1;
        }
        ERR(e->loc, "'%s' in a schedule expression (expected exp, log, sqrt, sin, cos, tanh, abs, min, max or where)", e->name);
        return 0;
    }
    case EX_INDEX: {   /* an entry of a vector const, folded here */
        double v = const_value(s, e, "an entry of a vector in a schedule expression");
        if (isnan(v)) return 0;
        PUT("(%.17g)", v);
        return 1;
    }
    case EX_STR: case EX_MEMBER: case EX_OVER: case EX_LIST:
        break;
    }
    ERR(e->loc, "not allowed in a schedule expression");
    return 0;
#undef PUT
#undef SUB
}

void sema_schedule(Sema *s, Trainable *t, const Expr *e)
{
    static const OptSpec constant[] = {{"value", 1, R_POS}};
    static const OptSpec expo[] = {{"lr0", NAN, R_POS}, {"rate", NAN, R_POS}, {"steps", NAN, R_POS}, {"lr_end", 0, R_NONNEG}};
    static const OptSpec cosine[] = {{"steps", NAN, R_POS}, {"lr0", NAN, R_POS}, {"lr_end", 0, R_NONNEG}};
    static const OptSpec wcos[] = {{"steps", NAN, R_POS}, {"warmup", NAN, R_NONNEG}, {"lr0", NAN, R_POS},
                                   {"lr_end", 0, R_NONNEG}, {"lr_init", 0, R_NONNEG}};
    static const OptSpec dlrs[] = {{"lr0", NAN, R_POS}, {"window", NAN, R_INT_POS}, {"delta_inc", 0.1, R_POS},
                                   {"delta_dec", 1, R_POS}};
    static const struct { const char *name; int kind; const OptSpec *o; int n; } kinds[] = {
        {"constant", HY_SCHED_CONSTANT, constant, 1}, {"exponential", HY_SCHED_EXPONENTIAL, expo, 4},
        {"cosine", HY_SCHED_COSINE, cosine, 3},         {"warmup_cosine", HY_SCHED_WARMUP_COSINE, wcos, 5},
        {"dlrs", HY_SCHED_DLRS, dlrs, 4},
    };
    static const char *const clamps[] = {"min_lr", "max_lr", NULL};
    int known = e->kind == EX_CALL && strcmp(e->name, "piecewise_constant") == 0;
    for (size_t i = 0; e->kind == EX_CALL && i < sizeof kinds / sizeof kinds[0]; i++) known |= strcmp(e->name, kinds[i].name) == 0;
    if (!known) {   /* an expression of epoch and the losses: translated by sema_train_finish */
        t->sched_kind = HY_SCHED_FN;
        t->sched_expr = e;
        return;
    }
    const Arg *mn = find_opt(e, "min_lr"), *mx = find_opt(e, "max_lr");
    if (mn) { t->min_lr = const_value(s, mn->e, "min_lr"); if (!(t->min_lr >= 0)) { if (!isnan(t->min_lr)) ERR(mn->e->loc, "min_lr must be >= 0"); return; } }
    if (mx) { t->max_lr = const_value(s, mx->e, "max_lr"); if (!(t->max_lr > 0)) { if (!isnan(t->max_lr)) ERR(mx->e->loc, "max_lr must be > 0"); return; } }
    if (!(t->min_lr <= t->max_lr)) { ERR(e->loc, "min_lr %g is above max_lr %g", t->min_lr, t->max_lr); return; }
    if (strcmp(e->name, "piecewise_constant") == 0) {
        const Arg *b = find_opt(e, "boundaries"), *v = find_opt(e, "values");
        static const char *const allowed[] = {"boundaries", "values", "min_lr", "max_lr", NULL};
        if (!check_opts(s, e, allowed)) return;
        if (!b || !v) { ERR(e->loc, "piecewise_constant takes boundaries b1 b2 ... and values v0 v1 ... (one more value)"); return; }
        int nb = 1 + b->nmore, nv = 1 + v->nmore;
        if (nv != nb + 1) { ERR(v->loc, "%d boundaries need %d values, but %d were given", nb, nb + 1, nv); return; }
        if (nb > 16) { ERR(b->loc, "at most 16 boundaries"); return; }
        t->sched[0] = nb;
        for (int k = 0; k < nb + nv; k++) {
            const Expr *x = k < nb ? (k ? b->more[k - 1] : b->e) : (k > nb ? v->more[k - nb - 1] : v->e);
            double val = const_value(s, x, k < nb ? "a boundary" : "a value");
            if (isnan(val)) return;
            if (k < nb ? !(val >= 0) || (k && val < t->sched[k]) : !(val > 0)) {
                ERR(x->loc, k < nb ? "boundaries must be >= 0 and nondecreasing" : "values must be > 0");
                return;
            }
            t->sched[1 + k] = val;
        }
        t->nsched = 1 + nb + nv;
        t->sched_kind = HY_SCHED_PIECEWISE;
        return;
    }
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        if (strcmp(e->name, kinds[i].name) != 0) continue;
        if (!read_opts(s, e, kinds[i].o, kinds[i].n, t->sched, 1, clamps)) return;
        for (int k = 0; k < kinds[i].n; k++)
            if (isnan(t->sched[k])) { ERR(e->loc, "%s needs '%s'", e->name, kinds[i].o[k].name); return; }
        if (kinds[i].kind == HY_SCHED_WARMUP_COSINE && !(t->sched[1] < t->sched[0])) {
            ERR(e->loc, "warmup (%g) must be shorter than steps (%g)", t->sched[1], t->sched[0]);
            return;
        }
        t->sched_kind = kinds[i].kind;
        t->nsched = kinds[i].n;
        return;
    }
    ERR(e->loc, "unknown schedule '%s' (expected constant, exponential, cosine, warmup_cosine, piecewise_constant or dlrs)",
        e->name);
}

/* Schedule expressions name losses, usually declared after the network, so
 * they are translated once every declaration is known. */
void sema_train_finish(Sema *s)
{
    for (int t = 0; t < s->c->ntrs; t++) {
        Trainable *tr = &s->c->trs[t];
        if (tr->sched_kind != HY_SCHED_FN || tr->sched_c) continue;
        char *buf = arena_alloc(&s->c->arena, 8192);
        buf[0] = 0;
        if (sched_expr(s, tr->sched_expr, buf, 8192)) tr->sched_c = buf;
        else tr->sched_c = "1";   /* reported */
    }
}

/* ---- adaptive loss weights ---- */

void decl_weights(Sema *s, const Stmt *st)
{
    static const OptSpec relo[] = {{"alpha", 0.999, R_UNIT}, {"tau", 0.1, R_POS}, {"rho", 0.999, R_UNIT}};
    static const OptSpec soft[] = {{"beta", 0.1, R_ANY}, {"window", 5, R_INT_POS}, {"variant", 2, R_NONNEG}};
    static const OptSpec dwa[] = {{"temperature", 2, R_POS}};
    static const OptSpec lbp[] = {{"init_s", 0, R_ANY}, {"lr_s", 1e-3, R_POS}};
    static const OptSpec rlw[] = {{"alpha", 1, R_POS}};
    static const struct { const char *name; int kind; const OptSpec *o; int n; } kinds[] = {
        {"relobralo", HY_BAL_RELOBRALO, relo, 3}, {"softadapt", HY_BAL_SOFTADAPT, soft, 3},
        {"dwa", HY_BAL_DWA, dwa, 1},             {"lbpinns", HY_BAL_LBPINNS, lbp, 2},
        {"rlw", HY_BAL_RLW, rlw, 1},
    };
    static const char *const extra[] = {"mode", NULL};
    const Expr *v = st->value;
    Sym *y = sym_declare(s, st, SYM_WEIGHTS, -1);
    if (!y) return;
    int ki = -1;
    for (size_t i = 0; v->kind == EX_CALL && i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(v->name, kinds[i].name) == 0) ki = (int)i;
    if (ki < 0) {
        ERR(v->loc, "unknown loss balancer (expected relobralo, softadapt, dwa, lbpinns or rlw)");
        return;
    }
    Balancer b;
    memset(&b, 0, sizeof b);
    b.name = st->name;
    b.kind = kinds[ki].kind;
    b.loc = st->loc;
    b.mode = HY_BMODE_RAW;
    b.losses = arena_alloc(&s->c->arena, (size_t)(v->nargs + 1) * sizeof *b.losses);
    /* positional arguments: the losses; options: the balancer's parameters */
    Expr opts = *v;
    Arg *kept[32];
    opts.nargs = 0;
    opts.args = kept;
    for (int i = 0; i < v->nargs; i++) {
        const Arg *a = v->args[i];
        if (a->kind == ARG_OPT) {
            if (opts.nargs == 32) { ERR(a->loc, "too many options"); return; }
            kept[opts.nargs++] = v->args[i];
            continue;
        }
        Sym *ly = (a->kind == ARG_EXPR && a->e->kind == EX_NAME) ? sym_lookup(s, a->e->name) : NULL;
        if (!ly && a->kind == ARG_EXPR && a->e->kind == EX_NAME)   /* an error path only */
            for (const Stmt *q = s->c->ast->first; q; q = q->next)
                if (q->kind == ST_LOSS && strcmp(q->name, a->e->name) == 0) {
                    ERR(a->loc, "loss '%s' is declared below (line %d): weights can list only the losses declared "
                                "above them", a->e->name, q->loc.line);
                    return;
                }
        if (!ly || ly->kind != SYM_LOSS) { ERR(a->loc, "expected the name of a loss"); return; }
        if (ly->index < 0) return;
        for (int q = 0; q < b.nloss; q++)
            if (b.losses[q] == ly->index) { ERR(a->loc, "loss '%s' listed twice", a->e->name); return; }
        b.losses[b.nloss++] = ly->index;
    }
    if (b.nloss < 1) { ERR(v->loc, "%s needs the losses it weighs, e.g. %s(pde, bc)", v->name, v->name); return; }
    if (b.nloss > 256) { ERR(v->loc, "a balancer weighs at most 256 losses, not %d", b.nloss); return; }
    if (!read_opts(s, &opts, kinds[ki].o, kinds[ki].n, b.param, 0, extra)) return;
    b.nparam = kinds[ki].n;
    const Arg *m = find_opt(v, "mode");
    if (m) {
        static const char *const modes[] = {"raw", "minmax", "l2"};
        int found = -1;
        for (int k = 0; k < 3; k++)
            if (m->e->kind == EX_NAME && strcmp(m->e->name, modes[k]) == 0) found = k;
        if (found < 0) { ERR(m->e->loc, "mode is raw, minmax or l2"); return; }
        b.mode = found == 0 ? HY_BMODE_RAW : found == 1 ? HY_BMODE_MINMAX : HY_BMODE_L2;
    }
    if (b.kind == HY_BAL_SOFTADAPT && (b.param[1] < 2 || b.param[1] > 6 || b.param[2] > 2 || b.param[2] != floor(b.param[2]))) {
        ERR(v->loc, "softadapt: window is 2 .. 6 and variant 0, 1 or 2");
        return;
    }
    y->index = s->c->nbals;
    *GROW(s->c->bals, s->c->nbals) = b;
}

/* ---- the training schedule ---- */

/* One step item: [c *] [w.name *] loss, factors in any order. */
static int step_term(Sema *s, const Expr *item, int *loss, double *coef, int *bal, int *bidx)
{
    const Expr *f[16];
    int nf = 0;
    const Expr *stack[16];
    int sp = 0;
    stack[sp++] = item;
    while (sp) {
        const Expr *x = stack[--sp];
        if (x->kind == EX_BIN && x->op == '*' && sp + 2 <= 16) {
            stack[sp++] = x->rhs;
            stack[sp++] = x->lhs;
        } else if (nf < 16) {
            f[nf++] = x;
        } else {
            ERR(x->loc, "too many factors in a step item");
            return 0;
        }
    }
    *loss = -1;
    *coef = 1;
    *bal = -1;
    *bidx = -1;
    for (int i = 0; i < nf; i++) {
        const Expr *x = f[i];
        Sym *y = x->kind == EX_NAME ? sym_lookup(s, x->name) : NULL;
        if (y && y->kind == SYM_LOSS) {
            if (*loss >= 0 || y->index < 0) {
                if (y->index >= 0) ERR(x->loc, "a step item weighs one loss");
                return 0;
            }
            *loss = y->index;
            continue;
        }
        Sym *wy = (x->kind == EX_MEMBER && x->lhs->kind == EX_NAME) ? sym_lookup(s, x->lhs->name) : NULL;
        if (wy && wy->kind == SYM_WEIGHTS) {
            if (wy->index < 0) return 0;
            if (*bal >= 0) { ERR(x->loc, "a step item takes one adaptive weight"); return 0; }
            const Balancer *b = &s->c->bals[wy->index];
            Sym *ly = sym_lookup(s, x->name);
            for (int q = 0; ly && ly->kind == SYM_LOSS && q < b->nloss; q++)
                if (b->losses[q] == ly->index) *bidx = q;
            if (*bidx < 0) { ERR(x->loc, "'%s' is not one of the losses of weights '%s'", x->name, b->name); return 0; }
            *bal = wy->index;
            continue;
        }
        if (y && y->kind != SYM_CONST) {
            ERR(x->loc, "a step item is a loss, optionally times constants and one adaptive weight, e.g. 2 * w.bc * bc");
            return 0;
        }
        double v = const_value(s, x, "a weight");
        if (isnan(v)) return 0;
        if (!(v >= 0) || !isfinite(v)) { ERR(x->loc, "a term weight must be >= 0"); return 0; }
        *coef *= v;
    }
    if (*loss < 0) { ERR(item->loc, "a step item needs a loss"); return 0; }
    if (*bal >= 0 && s->c->bals[*bal].losses[*bidx] != *loss)
        diag_warning(&s->c->diag, item->loc, "this term weighs loss '%s' by the weight of '%s'", s->c->losses[*loss].name,
                     s->c->losses[s->c->bals[*bal].losses[*bidx]].name);
    return 1;
}

static void train_phase(Sema *s, const Stmt *st, int phase)
{
    /* in_step[l] == i + 1: loss l is already a term of step i (linear duplicate check) */
    int *in_step = arena_alloc(&s->c->arena, (size_t)(s->c->nlosses + 1) * sizeof *in_step);
    for (int i = 0; i < st->nsteps; i++) {
        const Step *sp = &st->steps[i];
        Substep ss;
        memset(&ss, 0, sizeof ss);
        ss.repeat = sp->repeat;
        ss.loc = sp->loc;
        ss.phase = phase;
        int n = sp->nnames ? sp->nnames : 1;
        ss.losses = arena_alloc(&s->c->arena, (size_t)n * sizeof *ss.losses);
        ss.coef = arena_alloc(&s->c->arena, (size_t)n * sizeof *ss.coef);
        ss.bal = arena_alloc(&s->c->arena, (size_t)n * sizeof *ss.bal);
        ss.bal_index = arena_alloc(&s->c->arena, (size_t)n * sizeof *ss.bal_index);
        if (sp->repeat < 1 || sp->repeat > 1000000) {
            ERR(sp->repeat_loc, "repetition count must be in 1 .. 1000000");
            continue;
        }
        ss.every = 1;
        if (sp->every_loc.line) {
            if (phase > 0) ERR(sp->every_loc, "'every k' belongs to the substeps of the first phase");
            else if (sp->every < 1 || sp->every > 1000000) ERR(sp->every_loc, "'every k' needs 1 <= k <= 1000000");
            else ss.every = sp->every;
        }
        int ok = 1;
        size_t lablen = 1;
        for (int j = 0; j < sp->nnames; j++) lablen += 64;
        char *label = arena_alloc(&s->c->arena, lablen), *lend = label;
        for (int j = 0; j < sp->nnames; j++) {
            int loss, bal, bidx;
            double coef;
            const Expr *it = sp->items[j];
            if (it->kind == EX_NAME) {   /* the common case: a plain loss name, with suggestions */
                Sym *y = sym_lookup(s, it->name);
                if (!y || y->kind != SYM_LOSS) {
                    const char *hint = y ? NULL : sym_suggest(s, it->name);
                    Sym *hy = hint ? sym_lookup(s, hint) : NULL;
                    if (!hy || hy->kind != SYM_LOSS) hint = NULL;   /* only a loss is a hint for a loss */
                    if (y) ERR(it->loc, "'%s' is a %s, not a loss", it->name, sym_kind_name[y->kind]);
                    else if (hint) ERR(it->loc, "unknown loss '%s'; did you mean '%s'?", it->name, hint);
                    else ERR(it->loc, "unknown loss '%s'", it->name);
                    ok = 0;
                    continue;
                }
            }
            if (!step_term(s, it, &loss, &coef, &bal, &bidx)) { ok = 0; continue; }
            if (in_step[loss] == i + 1) {
                ERR(it->loc, "loss '%s' appears twice in this step", s->c->losses[loss].name);
                ok = 0;
            }
            in_step[loss] = i + 1;
            ss.coef[ss.nloss] = coef;
            ss.bal[ss.nloss] = bal;
            ss.bal_index[ss.nloss] = bidx;
            ss.losses[ss.nloss++] = loss;
            if (j) { memcpy(lend, ", ", 2); lend += 2; }   /* appended at the end: linear in the step's terms */
            size_t nl = strnlen(s->c->losses[loss].name, 60);
            memcpy(lend, s->c->losses[loss].name, nl);
            lend += nl;
            *lend = 0;
        }
        ss.label = label;
        if (!ok) continue;
        *GROW(s->c->steps, s->c->nsteps) = ss;
        sched_substep(s->c, s->c->nsteps - 1);
        Substep *done = &s->c->steps[s->c->nsteps - 1];
        for (int t = 0; t < done->ntrain; t++) done->physical |= s->c->trs[done->train[t]].kind == TR_SCALAR;
        if (done->ntrain == 0)
            ERR(sp->loc, "this step's losses reach no network or parameter (everything is behind stop() or constant)");
        const Phase *ph = &s->c->phases[phase];
        int lb = 0, other = 0;
        for (int t = 0; t < done->ntrain; t++) {
            int k = ph->opt_kind >= 0 ? ph->opt_kind : s->c->trs[done->train[t]].opt_kind;
            if (k == HY_OPT_LBFGS) lb = 1; else other = 1;
        }
        if (lb && other)
            ERR(sp->loc, "this step updates trainables with L-BFGS and with other optimizers; give them separate steps");
        for (int t = 1; lb && !other && ph->opt_kind < 0 && t < done->ntrain; t++) {   /* one joint L-BFGS run */
            const Trainable *t0 = &s->c->trs[done->train[0]], *tt = &s->c->trs[done->train[t]];
            if (tt->nhyper != t0->nhyper || memcmp(tt->hyper, t0->hyper, sizeof(double) * (size_t)t0->nhyper) != 0) {
                ERR(sp->loc, "this step optimizes '%s' and '%s' together by L-BFGS, but their lbfgs(...) options differ; "
                    "give them the same options, or separate steps", t0->name, tt->name);
                break;
            }
        }
    }
}

/* 'warmup until LOSS < T [max N]' of the first train block, after its substeps are known:
 * LOSS must be a loss that a step which runs during warm-up (one that updates no
 * parameter) computes; T > 0; 1 <= N < the epochs; not together with 'warmup N'.
 * Sets Comp.warm_thr, warm_loss, warm_max; errors are located at the offending word. */
static void warm_until(Sema *s, const Stmt *st)
{
    if (!st->warm_loss) return;
    if (st->warmup_loc.line) {
        ERR(st->warmup_loc, "'warmup N' and 'warmup until' together: cap the threshold form with 'warmup until %s < T max N'",
            st->warm_loss);
        return;
    }
    Sym *y = sym_lookup(s, st->warm_loss);
    if (!y || y->kind != SYM_LOSS) {
        const char *hint = y ? NULL : sym_suggest(s, st->warm_loss);
        if (y) ERR(st->warm_loss_loc, "'%s' is a %s, not a loss", st->warm_loss, sym_kind_name[y->kind]);
        else ERR(st->warm_loss_loc, "unknown loss '%s'%s%s%s", st->warm_loss, hint ? " (did you mean '" : "", hint ? hint : "",
                 hint ? "'?)" : "");
        return;
    }
    if (y->index < 0) return;   /* reported at the loss */
    int in_step = 0, in_syn = 0;
    for (int k = 0; k < s->c->nsteps; k++)
        for (int q = 0; q < s->c->steps[k].nloss; q++)
            if (s->c->steps[k].losses[q] == y->index) {
                in_step = 1;
                in_syn |= !s->c->steps[k].physical;
            }
    if (!in_syn) {
        ERR(st->warm_loss_loc, in_step ? "'%s' is computed only by steps that update parameters, which do not run during warm-up"
                                       : "'%s' is in no step of the train block, so it never changes during warm-up",
            st->warm_loss);
        return;
    }
    double t = const_value(s, st->warm_thr, "a warm-up threshold");
    if (isnan(t)) return;
    if (!(t > 0) || isinf(t)) {
        ERR(st->warm_thr->loc, "the warm-up threshold must be a positive number (got %g)", t);
        return;
    }
    if (st->warm_max_loc.line && (st->warm_max < 1 || st->warm_max >= st->count)) {
        ERR(st->warm_max_loc, "'max N' needs 1 <= N < the number of epochs (%ld)", st->count);
        return;
    }
    s->c->warm_thr = t;
    s->c->warm_loss = y->index;
    s->c->warm_max = st->warm_max_loc.line ? st->warm_max : 0;
}

void decl_train(Sema *s, const Stmt *st)
{
    if (s->c->nphases) {
        ERR(st->loc, "a second train block: continue with 'then N iterations { ... }' instead");
        return;
    }
    if (st->warmup < 0 || st->warmup >= st->count) {
        ERR(st->loc, "'warmup N' needs 0 <= N < the number of epochs (%ld)", st->count);
        return;
    }
    s->c->warmup = st->warmup;
    int phase = 0;
    for (const Stmt *p = st; p; p = p->then, phase++) {
        if (p->count < 1) { ERR(p->loc, "the number of %s must be at least 1", p->iterations ? "iterations" : "epochs"); return; }
        Phase ph;
        memset(&ph, 0, sizeof ph);
        ph.count = p->count;
        ph.is_iterations = p->iterations;
        ph.opt_kind = -1;
        ph.loc = p->loc;
        if (p->opt && !plain_optimizer(s, p->opt, &ph.opt_kind, ph.hyper, &ph.nhyper)) return;
        /* 'then N iterations optimizer lbfgs(...)': N L-BFGS iterations, so one per
         * phase iteration unless max_iterations says otherwise */
        if (ph.opt_kind == HY_OPT_LBFGS && !find_opt(p->opt, "max_iterations")) ph.hyper[2] = 1;
        if (phase == 0 && p->opt) { ERR(p->opt->loc, "the first phase uses each trainable's own optimizer"); return; }
        *GROW(s->c->phases, s->c->nphases) = ph;
        if (phase == 0) s->c->epochs = p->count;
        train_phase(s, p, phase);
    }
    warm_until(s, st);
}

/* track w, lr */
void decl_track(Sema *s, const Stmt *st)
{
    for (int i = 0; i < st->nparams; i++) {
        const char *n = st->params[i];
        Sym *y = sym_lookup(s, n);
        if (y && y->kind == SYM_WEIGHTS) {
            if (y->index >= 0) s->c->bals[y->index].tracked = 1;
        } else if (!y && strcmp(n, "lr") == 0) {
            s->c->track_lr = arena_alloc(&s->c->arena, (size_t)(s->c->ntrs + 1) * sizeof *s->c->track_lr);
            s->c->ntrack_lr = 0;
            for (int t = 0; t < s->c->ntrs; t++) s->c->track_lr[s->c->ntrack_lr++] = t;
        } else if (y && y->kind == SYM_PARAM) {   /* its value (each entry of a vector), one column per epoch row */
            if (!s->c->track_par) s->c->track_par = arena_alloc(&s->c->arena, 64 * sizeof *s->c->track_par);
            for (int e = 0; y->index >= 0 && e < (y->nelem ? y->nelem : 1); e++) {
                int have = 0;
                for (int k = 0; k < s->c->ntrack_par; k++) have |= s->c->track_par[k] == y->index + e;
                if (have) continue;
                if (s->c->ntrack_par == 64) { ERR(st->param_locs[i], "at most 64 tracked parameters"); break; }
                s->c->track_par[s->c->ntrack_par++] = y->index + e;
            }
        } else {
            ERR(st->param_locs[i], "can track adaptive weights (a 'weights' name), 'lr' and params, not '%s'", n);
        }
    }
}
