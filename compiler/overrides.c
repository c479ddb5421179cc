/* overrides.c -- -D NAME=VALUE on the AST (names: see overrides.h).
 *
 * Requires: a Program parsed without errors.  Guarantees: only the value
 * slots of the designated statements change; replacement nodes live in the
 * compilation arena and carry the location of the value they replace; the
 * AST is left untouched when an override is rejected.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ir.h"
#include "overrides.h"

typedef enum {
    T_EXPR,     /* *slot: an expression; a number (or an identifier if allow_name) */
    T_COUNT,    /* *count: an integer in lo .. hi */
    T_CALLEE,   /* (*slot)->name: the callee of a call; an identifier */
    T_NEWSEED,  /* no seed statement: one is added */
    T_ADDOPT,   /* option key absent from the call *slot: appended ('KEY V'); when
                 * *slot is NULL (no optimizer clause) the call make() is created */
} TargetKind;

typedef struct Target {
    const char *name;
    TargetKind kind;
    Expr **slot;
    long *count;
    long lo, hi;
    int allow_name;     /* T_EXPR: an identifier is accepted too */
    int hidden;         /* accepted, but not listed (NAME.CALL.KEY when NAME.KEY exists) */
    const char *key;    /* T_ADDOPT: the option */
    const char *make;   /* T_ADDOPT: callee created when *slot is NULL */
    Loc loc;            /* T_ADDOPT: location given to new nodes (the statement's) */
} Target;

typedef struct Targets {
    Arena *a;
    Target *v;
    int n, cap;
} Targets;

static Target *add(Targets *t, const char *name, TargetKind kind)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 32;
        Target *nv = realloc(t->v, sizeof *nv * (size_t)t->cap);
        if (!nv) HY_ICE("out of memory");
        t->v = nv;
    }
    Target *r = &t->v[t->n++];
    memset(r, 0, sizeof *r);
    r->name = name;
    r->kind = kind;
    return r;
}

static int plain_word(const char *s)
{
    if (!s || !(isalpha((unsigned char)*s) || *s == '_')) return 0;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '_')) return 0;
    return 1;
}

/* Number of ARG_OPT options named key in the call tree under e. */
static int count_key(const Expr *e, const char *key)
{
    if (!e || e->kind != EX_CALL) return 0;
    int n = 0;
    for (int i = 0; i < e->nargs; i++) {
        const Arg *a = e->args[i];
        if (a->kind == ARG_OPT && !a->more && strcmp(a->name, key) == 0) n++;
        n += count_key(a->e, key);
    }
    return n;
}

/* Adds "prefix.KEY" (or "prefix.CALL.KEY" where KEY is not unique in the
 * statement, counted over roots) for every option under the call e. */
static void add_opts(Targets *t, const char *prefix, Expr *e, Expr *const *roots, int nroots)
{
    if (!e || e->kind != EX_CALL) return;
    for (int i = 0; i < e->nargs; i++) {
        Arg *a = e->args[i];
        if (a->kind == ARG_OPT && !a->more && a->e && a->e->kind != EX_CALL && plain_word(a->name)) {
            int total = 0;
            for (int r = 0; r < nroots; r++) total += count_key(roots[r], a->name);
            Target *g = add(t, arena_printf(t->a, "%s.%s.%s", prefix, e->name, a->name), T_EXPR);
            g->slot = &a->e;
            g->allow_name = a->e->kind == EX_NAME;
            if (total == 1) {   /* the short name too; the long one goes unlisted */
                Target *s = add(t, arena_printf(t->a, "%s.%s", prefix, a->name), T_EXPR);
                g = &t->v[t->n - 2];   /* add may have moved the array */
                *s = *g;
                s->name = arena_printf(t->a, "%s.%s", prefix, a->name);
                g->hidden = 1;
            }
        }
        add_opts(t, prefix, a->e, roots, nroots);
        add_opts(t, prefix, a->e2, roots, nroots);
    }
}

static void stmt_opts(Targets *t, const char *prefix, Expr *v, Expr *opt, Expr *sched, Expr *grow)
{
    Expr *roots[4] = {v, opt, sched, grow};
    for (int r = 0; r < 4; r++) add_opts(t, prefix, roots[r], roots, 4);
}

/* Options a statement may leave out and -D may still set: the learning
 * rate of a net or param whose optimizer does not spell one (without an
 * optimizer clause, the documented default optimizer, adam, is created with
 * it), and the width and depth of a network call that does not spell them. */
static void absent_opts(Targets *t, Stmt *s)
{
    static const char *const nets[] = {"mlp", "modified_mlp", "resnet"};
    if (!s->opt || (s->opt->kind == EX_CALL && strcmp(s->opt->name, "chain") != 0
                    && count_key(s->opt, "lr") == 0)) {
        Target *g = add(t, arena_printf(t->a, "%s.lr", s->name), T_ADDOPT);
        g->slot = &s->opt;
        g->key = "lr";
        g->make = "adam";
        g->loc = s->loc;
    }
    if (s->kind != ST_NET || !s->value || s->value->kind != EX_CALL) return;
    int isnet = 0;
    for (int i = 0; i < 3; i++) isnet |= strcmp(s->value->name, nets[i]) == 0;
    if (!isnet) return;
    static const char *const keys[] = {"width", "depth"};
    for (int k = 0; k < 2; k++)
        if (count_key(s->value, keys[k]) == 0) {
            Target *g = add(t, arena_printf(t->a, "%s.%s", s->name, keys[k]), T_ADDOPT);
            g->slot = &s->value;
            g->key = keys[k];
            g->loc = s->value->loc;
        }
}

static void collect(Targets *t, Program *p)
{
    int have_seed = 0, nweights = 0, ntrain = 0;
    Stmt *weights = NULL;
    for (Stmt *s = p ? p->first : NULL; s; s = s->next) {
        Target *g;
        switch (s->kind) {
        case ST_SEED:
            g = add(t, "seed", T_COUNT);
            g->count = &s->count;
            g->lo = 0;
            g->hi = 2147483647L;
            have_seed = 1;
            break;
        case ST_CONST:
            g = add(t, s->name, T_EXPR);
            g->slot = &s->value;
            break;
        case ST_PARAM:
            g = add(t, s->name, T_EXPR);
            g->slot = &s->value;
            if (s->lo) {
                g = add(t, arena_printf(t->a, "%s.lo", s->name), T_EXPR);
                g->slot = &s->lo;
                g = add(t, arena_printf(t->a, "%s.hi", s->name), T_EXPR);
                g->slot = &s->hi;
            }
            stmt_opts(t, s->name, s->value, s->opt, s->schedule, NULL);
            absent_opts(t, s);
            break;
        case ST_NET:
            stmt_opts(t, s->name, s->value, s->opt, s->schedule, s->grow_by);
            absent_opts(t, s);
            break;
        case ST_DOMAIN:
        case ST_GRID:
        case ST_POINTS:
        case ST_DATA:
            stmt_opts(t, s->name, s->value, s->opt, s->schedule, s->grow_by);
            break;
        case ST_WEIGHTS:
            if (s->value && s->value->kind == EX_CALL) {
                g = add(t, s->name, T_CALLEE);
                g->slot = &s->value;
                weights = s;
                nweights++;
            }
            stmt_opts(t, s->name, s->value, NULL, NULL, NULL);
            break;
        case ST_SIM:
            for (Stmt *b = s->body; b; b = b->next)
                if (b->kind == ST_SIMSTEP)
                    for (int i = 0; i < b->nopts; i++) {
                        Arg *a = b->opts[i];
                        if (a->kind != ARG_OPT || a->more || !a->e || !plain_word(a->name)) continue;
                        g = add(t, arena_printf(t->a, "%s.%s", s->name, a->name), T_EXPR);
                        g->slot = &a->e;
                        g->allow_name = a->e->kind == EX_NAME;
                    }
            break;
        case ST_TRAIN: {
            if (ntrain++) break;   /* a second train block is a sema error */
            int k = 1;
            for (Stmt *ph = s; ph; ph = ph->then, k++) {
                if (k == 1) {
                    g = add(t, ph->iterations ? "iterations" : "epochs", T_COUNT);
                    g->count = &ph->count;
                    g->lo = 1;
                    g->hi = 1000000000L;
                    g = add(t, "warmup", T_COUNT);
                    g->count = &ph->warmup;
                    g->lo = 0;
                    g->hi = 1000000000L;
                }
                g = add(t, arena_printf(t->a, "phase%d", k), T_COUNT);
                g->hidden = k == 1;   /* = epochs */
                g->count = &ph->count;
                g->lo = 1;
                g->hi = 1000000000L;
                stmt_opts(t, arena_printf(t->a, "phase%d", k), ph->opt, NULL, NULL, NULL);
            }
            break;
        }
        default:
            break;
        }
    }
    if (!have_seed) {
        Target *g = add(t, "seed", T_NEWSEED);
        g->lo = 0;
        g->hi = 2147483647L;
    }
    if (nweights == 1) {
        Target *g = add(t, "balancer", T_CALLEE);
        g->slot = &weights->value;
    }
}

static void put_num(FILE *out, double v)
{
    char b[32];
    if (v == floor(v) && fabs(v) < 1e15) {
        fprintf(out, "%.0f", v);
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(b, sizeof b, "%.*g", prec, v);
        if (strtod(b, NULL) == v) break;
    }
    fputs(b, out);
}

static void put_value(FILE *out, const Target *g)
{
    if (g->kind == T_COUNT) { fprintf(out, "%ld", *g->count); return; }
    if (g->kind == T_NEWSEED) { fputs("0 (no seed statement)", out); return; }
    if (g->kind == T_ADDOPT) { fputs("(default)", out); return; }
    const Expr *e = *g->slot;
    if (g->kind == T_CALLEE) { fputs(e->name, out); return; }
    if (e->kind == EX_NUM) put_num(out, e->num);
    else if (e->kind == EX_NEG && e->lhs->kind == EX_NUM) put_num(out, -e->lhs->num);
    else if (e->kind == EX_NAME) fputs(e->name, out);
    else if (e->kind == EX_LIST && e->op == '[') {   /* a vector: its numbers, else (expression) per entry */
        fputc('[', out);
        for (int i = 0; i < e->nargs; i++) {
            const Expr *x = e->args[i]->e;
            fputs(i ? ", " : "", out);
            if (x->kind == EX_NUM) put_num(out, x->num);
            else if (x->kind == EX_NEG && x->lhs->kind == EX_NUM) put_num(out, -x->lhs->num);
            else fputs("(expression)", out);
        }
        fputc(']', out);
    } else fputs("(expression)", out);
}

void overrides_list(Comp *c, FILE *out)
{
    Targets t = {&c->arena, NULL, 0, 0};
    collect(&t, c->ast);
    for (int i = 0; i < t.n; i++) {
        if (t.v[i].hidden) continue;
        fprintf(out, "%s = ", t.v[i].name);
        put_value(out, &t.v[i]);
        fputc('\n', out);
    }
    free(t.v);
}

int override_parse(const char *arg, Override *ov)
{
    const char *eq = strchr(arg, '=');
    memset(ov, 0, sizeof *ov);
    ov->arg = arg;
    if (!eq || eq == arg || !eq[1]) {
        fprintf(stderr, "hycoc: error: -D needs NAME=VALUE, not '%s'\n", arg);
        return -1;
    }
    size_t n = (size_t)(eq - arg);
    if (n >= sizeof ov->name) {
        fprintf(stderr, "hycoc: error: -D %s: name too long\n", arg);
        return -1;
    }
    memcpy(ov->name, arg, n);
    ov->name[n] = 0;
    ov->value = eq + 1;
    return 0;
}

/* Prints the overridable names, wrapped. */
static void list_names(const Targets *t)
{
    int col = 0;
    fputs("hycoc: note: this spec can override:", stderr);
    col = 36;
    for (int i = 0; i < t->n; i++) {
        if (t->v[i].hidden) continue;
        int l = (int)strlen(t->v[i].name) + 1;
        if (col + l > 78) { fputs("\n   ", stderr); col = 3; }
        fprintf(stderr, " %s", t->v[i].name);
        col += l;
    }
    fputc('\n', stderr);
}

static Expr *new_num(Arena *a, Loc loc, double v)
{
    Expr *e = arena_alloc(a, sizeof *e);
    e->kind = EX_NUM;
    e->loc = loc;
    e->num = v;
    return e;
}

static int apply_one(Comp *c, Targets *t, const Override *ov)
{
    Target *g = NULL;
    for (int i = 0; i < t->n && !g; i++)   /* the first: declarations before built-in names */
        if (strcmp(t->v[i].name, ov->name) == 0) g = &t->v[i];
    if (!g) {
        const char **names = malloc(sizeof *names * (size_t)(t->n + 1));
        if (!names) HY_ICE("out of memory");
        for (int i = 0; i < t->n; i++) names[i] = t->v[i].name;
        const char *s = hy_suggest(ov->name, names, t->n);
        fprintf(stderr, "hycoc: error: -D %s: '%s' names nothing in %s that can be overridden%s%s%s\n",
                ov->arg, ov->name, c->diag.file, s ? "; did you mean '" : "", s ? s : "", s ? "'?" : "");
        free(names);
        list_names(t);
        return 1;
    }
    const char *v = ov->value;
    char *end;
    if (g->kind == T_COUNT || g->kind == T_NEWSEED) {
        errno = 0;
        long n = strtol(v, &end, 10);
        if (*end || errno || n < g->lo || n > g->hi || isspace((unsigned char)*v)) {
            fprintf(stderr, "hycoc: error: -D %s: %s needs an integer in %ld .. %ld\n", ov->arg, g->name,
                    g->lo, g->hi);
            return 1;
        }
        if (g->kind == T_COUNT) {
            *g->count = n;
        } else {   /* prepend 'seed n' and turn the target into an ordinary one */
            Stmt *s = arena_alloc(&c->arena, sizeof *s);
            s->kind = ST_SEED;
            s->loc = (Loc){1, 1};
            s->count = n;
            s->nparams = -1;
            s->next = c->ast->first;
            c->ast->first = s;
            g->kind = T_COUNT;
            g->count = &s->count;
        }
        return 0;
    }
    if (g->kind == T_CALLEE) {
        if (!plain_word(v)) {
            fprintf(stderr, "hycoc: error: -D %s: %s needs a name (the %s of '%s'), not '%s'\n", ov->arg,
                    g->name, "callee", (*g->slot)->name, v);
            return 1;
        }
        Expr *e = arena_alloc(&c->arena, sizeof *e);
        *e = **g->slot;   /* same arguments, new callee */
        e->name = arena_strdup(&c->arena, v);
        *g->slot = e;
        return 0;
    }
    errno = 0;
    double d = strtod(v, &end);
    int isnum = !*end && !isspace((unsigned char)*v) && errno != ERANGE && isfinite(d);
    if (isnum && g->kind == T_ADDOPT) {
        if (!*g->slot) {
            Expr *call = arena_alloc(&c->arena, sizeof *call);
            call->kind = EX_CALL;
            call->loc = g->loc;
            call->name = g->make;
            *g->slot = call;
        }
        Expr *call = *g->slot;
        Arg **args = arena_alloc(&c->arena, sizeof *args * (size_t)(call->nargs + 1));
        if (call->nargs) memcpy(args, call->args, sizeof *args * (size_t)call->nargs);
        Arg *a = arena_alloc(&c->arena, sizeof *a);
        a->kind = ARG_OPT;
        a->loc = g->loc;
        a->name = g->key;
        a->e = new_num(&c->arena, g->loc, d);
        args[call->nargs] = a;
        call->args = args;
        call->nargs++;
        g->kind = T_EXPR;   /* a later -D of the name replaces this value */
        g->slot = &a->e;
        return 0;
    }
    size_t gl = strlen(g->name);   /* a bound may be one number for all entries; a value may not */
    int is_bound = gl > 3 && (strcmp(g->name + gl - 3, ".lo") == 0 || strcmp(g->name + gl - 3, ".hi") == 0);
    if (isnum && g->kind == T_EXPR && (*g->slot)->kind == EX_LIST && (*g->slot)->op == '[' && !is_bound) {
        fprintf(stderr, "hycoc: error: -D %s: %s is a vector of %d entr%s: give -D %s=[...]\n", ov->arg, g->name,
                (*g->slot)->nargs, (*g->slot)->nargs == 1 ? "y" : "ies", g->name);
        return 1;
    }
    if (isnum) {
        *g->slot = new_num(&c->arena, (*g->slot)->loc, d);
        return 0;
    }
    if (g->allow_name && plain_word(v)) {
        Expr *e = arena_alloc(&c->arena, sizeof *e);
        e->kind = EX_NAME;
        e->loc = (*g->slot)->loc;
        e->name = arena_strdup(&c->arena, v);
        *g->slot = e;
        return 0;
    }
    if (g->kind == T_EXPR && (*g->slot)->kind == EX_LIST && (*g->slot)->op == '[') {   /* a vector: [v0, v1, ...] */
        Expr *old = *g->slot;
        const char *p = v;
        while (isspace((unsigned char)*p)) p++;
        int n = 0, ok = *p++ == '[';
        Arg **args = arena_alloc(&c->arena, sizeof *args * (strlen(v) / 2 + 1));   /* >= 2 bytes per entry */
        while (ok) {
            errno = 0;
            double x = strtod(p, &end);
            ok = end != p && errno != ERANGE && isfinite(x);
            if (!ok) break;
            Arg *a = arena_alloc(&c->arena, sizeof *a);
            a->kind = ARG_EXPR;
            a->loc = old->loc;
            a->e = new_num(&c->arena, old->loc, x);
            args[n++] = a;
            for (p = end; isspace((unsigned char)*p); p++) {}
            if (*p == ']') {
                for (p++; isspace((unsigned char)*p); p++) {}
                ok = !*p;
                break;
            }
            ok = *p++ == ',';
        }
        if (ok) {
            Expr *e = arena_alloc(&c->arena, sizeof *e);
            *e = *old;
            e->args = args;
            e->nargs = n;
            *g->slot = e;
            return 0;
        }
        fprintf(stderr, "hycoc: error: -D %s: %s needs a list of finite numbers [a, b, ...], not '%s'\n", ov->arg,
                g->name, v);
        return 1;
    }
    fprintf(stderr, "hycoc: error: -D %s: %s needs a finite number%s, not '%s'\n", ov->arg, g->name,
            g->allow_name ? " or a name" : "", v);
    return 1;
}

int overrides_apply(Comp *c, const Override *ov, int n)
{
    if (n == 0) return 0;
    Targets t = {&c->arena, NULL, 0, 0};
    collect(&t, c->ast);
    int bad = 0;
    for (int i = 0; i < n; i++) bad |= apply_one(c, &t, &ov[i]);
    free(t.v);
    return bad;
}

/* Optimal string alignment distance, capped: returns > cap early when the
 * distance exceeds cap. */
static int edit_distance(const char *a, const char *b, int cap)
{
    int la = (int)strlen(a), lb = (int)strlen(b);
    if (la > 64 || lb > 64) return cap + 1;
    if (abs(la - lb) > cap) return cap + 1;
    int d[65][65];
    for (int i = 0; i <= la; i++) d[i][0] = i;
    for (int j = 0; j <= lb; j++) d[0][j] = j;
    for (int i = 1; i <= la; i++)
        for (int j = 1; j <= lb; j++) {
            int cost = a[i - 1] != b[j - 1];
            int m = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < m) m = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < m) m = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < m)
                m = d[i - 2][j - 2] + 1;
            d[i][j] = m;
        }
    return d[la][lb];
}

const char *hy_suggest(const char *word, const char *const *cands, int ncands)
{
    int cap = (int)strlen(word) / 3;
    if (cap < 1) cap = 1;
    const char *best = NULL;
    int bd = cap + 1;
    for (int i = 0; i < ncands; i++) {
        int d = edit_distance(word, cands[i], cap);
        if (d < bd) { bd = d; best = cands[i]; }
    }
    return best;
}
