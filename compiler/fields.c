/* fields.c -- the fields of a finished run evaluated over their domains.
 * Contracts in fields.h.  The expressions are lowered by sema_export.c in a
 * second compilation of the spec (the run's own Comp is never changed) and
 * computed by export_eval_values, the evaluator behind --eval.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "fields.h"
#include "hyrt.h"

typedef struct Col {
    const char *name;       /* column name */
    const Expr *expr;       /* what it computes */
    int dom;                /* domain index, -1 until chosen */
    int exact_of;           /* -1, or the column this is the exact solution of */
    int set;                /* coordinate set: field params (nparams >= 0), or -1 */
    const char *const *params;
    int nparams;
} Col;

static int col_find(const Col *cols, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(cols[i].name, name))
            return i;
    return -1;
}

/* 1 if domain d has exactly the coordinates params[0..np) (any order). */
static int same_coords(const Domain *d, const char *const *params, int np)
{
    if (d->dim != np)
        return 0;
    for (int k = 0; k < np; k++) {
        int hit = 0;
        for (int j = 0; j < d->dim; j++)
            hit |= !strcmp(params[k], d->coords[j]);
        if (!hit)
            return 0;
    }
    return 1;
}

/* The named domain over params (one with a mesh first), or -1. */
static int domain_for(const Comp *c, const char *const *params, int np)
{
    int any = -1;
    for (int d = 0; d < c->ndomains; d++) {
        const Domain *dm = &c->domains[d];
        if (!dm->name || !same_coords(dm, params, np))
            continue;
        if (dm->ps >= 0)
            return d;
        if (any < 0)
            any = d;
    }
    return any;
}

static const Stmt *field_stmt(const Comp *c, const char *name)
{
    for (const Stmt *st = c->ast ? c->ast->first : NULL; st; st = st->next)
        if (st->kind == ST_FIELD && !strcmp(st->name, name))
            return st;
    return NULL;
}

/* 1 if name is a network or the name of a network's output ('outputs u v p'). */
static int is_net(const Comp *c, const char *name)
{
    for (int t = 0; t < c->ntrs; t++) {
        if (c->trs[t].kind != TR_NET)
            continue;
        if (!strcmp(c->trs[t].name, name))
            return 1;
        for (int o = 0; o < c->trs[t].nouts; o++)
            if (c->trs[t].outs && !strcmp(c->trs[t].outs[o], name))
                return 1;
    }
    return 0;
}

/* The domain of point set `name`, or -1. */
static int over_domain(const Comp *c, const char *name)
{
    for (int p = 0; name && p < c->npsets; p++)
        if (c->psets[p].name && !strcmp(c->psets[p].name, name))
            return c->psets[p].domain;
    return -1;
}

/* Collects the columns (fields.h) of c into *out; returns their number. */
static int collect(const Comp *c, Arena *a, Col **out)
{
    int n = 0, cap = 16;
    Col *cols = arena_alloc(a, sizeof *cols * (size_t)cap);
    for (const Stmt *st = c->ast ? c->ast->first : NULL; st; st = st->next) {
        Col add[2];
        int na = 0;
        if (st->kind == ST_FIELD && st->nparams >= 1) {
            Expr *e = arena_alloc(a, sizeof *e);
            e->kind = EX_NAME;
            e->name = st->name;
            e->loc = st->name_loc;
            int d = domain_for(c, st->params, st->nparams);
            if (col_find(cols, n, st->name) < 0 && d >= 0)
                add[na++] = (Col){st->name, e, d, -1, 0, NULL, 0};
        } else if ((st->kind == ST_EXPECT || st->kind == ST_REPORT) && st->value &&
                   st->value->kind == EX_CALL && st->value->nargs == 2 &&
                   (!strcmp(st->value->name, "rel_l2") || !strcmp(st->value->name, "linf"))) {
            const Expr *A = st->value->args[0]->e, *B = st->value->args[1]->e;
            const char *name = NULL, *base = NULL;
            if (A && A->kind == EX_NAME)
                name = base = A->name;
            else if (A && A->kind == EX_MEMBER && A->lhs && A->lhs->kind == EX_NAME) {
                base = A->lhs->name;
                name = arena_printf(a, "%s.%s", base, A->name);
            }
            if (!name || !B)
                continue;
            const Stmt *fs = field_stmt(c, base);
            int dov = over_domain(c, st->on), d = -1;
            if (fs && fs->nparams >= 1)
                d = dov >= 0 && c->domains[dov].name && same_coords(&c->domains[dov], fs->params, fs->nparams)
                        ? dov : domain_for(c, fs->params, fs->nparams);
            else if (is_net(c, base))
                d = dov >= 0 && c->domains[dov].name ? dov : -1;
            if (d < 0)
                continue;
            int ia = col_find(cols, n, name);
            if (ia < 0)
                add[na++] = (Col){name, A, d, -1, 0, NULL, 0};
            const char *en = arena_printf(a, "%s_exact", name);
            if (col_find(cols, n, en) < 0 && (ia < 0 || cols[ia].dom == d))
                add[na++] = (Col){en, B, d, ia >= 0 ? ia : n, 0, NULL, 0};
        }
        for (int i = 0; i < na; i++) {
            if (n == cap) {
                Col *nc = arena_alloc(a, sizeof *nc * (size_t)cap * 2);
                memcpy(nc, cols, sizeof *nc * (size_t)n);
                cols = nc;
                cap *= 2;
            }
            cols[n++] = add[i];
        }
    }
    /* nothing so far (no field, no comparison): the networks, each on the
     * first named domain with as many coordinates as it has inputs (in the
     * domain's order) */
    int none = n == 0;
    for (int t = 0; none && t < c->ntrs; t++) {
        const Trainable *tr = &c->trs[t];
        int d = -1;
        for (int k = 0; tr->kind == TR_NET && d < 0 && k < c->ndomains; k++)
            if (c->domains[k].name && c->domains[k].dim == tr->din)
                d = k;
        for (int o = 0; d >= 0 && o < (tr->nouts > 0 ? tr->nouts : 1); o++) {
            Expr *e = arena_alloc(a, sizeof *e);
            e->kind = EX_NAME;
            e->name = tr->name;
            e->loc = tr->loc;
            const char *name = tr->name;
            if (tr->nouts > 0) {
                Expr *m = arena_alloc(a, sizeof *m);
                m->kind = EX_MEMBER;
                m->lhs = e;
                m->name = tr->outs[o];
                m->loc = tr->loc;
                e = m;
                name = arena_printf(a, "%s.%s", tr->name, tr->outs[o]);
            }
            if (col_find(cols, n, name) >= 0)
                continue;
            if (n == cap) {
                Col *nc = arena_alloc(a, sizeof *nc * (size_t)cap * 2);
                memcpy(nc, cols, sizeof *nc * (size_t)n);
                cols = nc;
                cap *= 2;
            }
            cols[n++] = (Col){name, e, d, -1, 0, NULL, 0};
        }
    }
    *out = cols;
    return n;
}

/* Points per axis of the default grid over box extents ext[0..dim). */
static void default_counts(int dim, const double *ext, int *counts)
{
    int per = dim == 1 ? 201 : dim == 2 ? 121 : dim == 3 ? 41 : 11;
    double emax = 0;
    for (int k = 0; k < dim; k++)
        emax = ext[k] > emax ? ext[k] : emax;
    for (int k = 0; k < dim; k++) {   /* a short axis (time) keeps half as many */
        long m = emax > 0 ? lround((double)(per - 1) * ext[k] / emax) + 1 : 2;
        counts[k] = (int)(m < per / 2 + 1 ? per / 2 + 1 : m);
    }
}

/* 1 if p lies in the closure of geometry d: p itself or a point 1e-9 of an
 * extent away along some axis is inside (grid points on an edge count,
 * whatever side the geometry's own test gives them). */
static int in_closure(struct HyCtx *ctx, int d, int dim, const double *p, const double *ext)
{
    double q[8];
    if (hy_geom_contains(ctx, d, p) == 1)
        return 1;
    memcpy(q, p, sizeof(double) * (size_t)dim);
    for (int k = 0; k < dim; k++) {
        for (int sgn = -1; sgn <= 1; sgn += 2) {
            q[k] = p[k] + sgn * 1e-9 * ext[k];
            if (hy_geom_contains(ctx, d, q) == 1)
                return 1;
        }
        q[k] = p[k];
    }
    return 0;
}

/* Fills g's grid over domain d of c; 0, or -1 (out of memory). */
static int make_grid(const Comp *c, struct HyCtx *ctx, int d, int mesh, FieldGroup *g)
{
    const Domain *dm = &c->domains[d];
    double ext[8];
    g->domain = dm->name;
    g->dim = dm->dim;
    for (int k = 0; k < dm->dim; k++) {
        g->coords[k] = dm->coords[k];
        ext[k] = dm->hi[k] - dm->lo[k];
    }
    if (mesh && dm->ps >= 0)
        memcpy(g->counts, c->psets[dm->ps].counts, sizeof g->counts);
    else
        default_counts(dm->dim, ext, g->counts);
    long n = 1;
    for (int k = 0; k < dm->dim; k++)
        n *= g->counts[k];
    g->n = n;
    g->x = malloc(sizeof(double) * (size_t)n * (size_t)dm->dim);
    g->inside = malloc((size_t)n);
    if (!g->x || !g->inside)
        return -1;
    int check = hy_geom_dim(ctx, d) == dm->dim && dm->kind != DOM_BOX;
    g->ninside = 0;
    for (long i = 0; i < n; i++) {
        long r = i;
        double p[8];
        for (int k = 0; k < dm->dim; k++) {   /* axis 0 fastest; ends exactly lo and hi */
            int cnt = g->counts[k];
            long j = r % cnt;
            r /= cnt;
            p[k] = j == cnt - 1 ? dm->hi[k] : dm->lo[k] + ext[k] * (double)j / (double)(cnt - 1);
            g->x[(size_t)k * (size_t)n + (size_t)i] = p[k];
        }
        g->inside[i] = (unsigned char)(check ? in_closure(ctx, d, dm->dim, p, ext) : 1);
        g->ninside += g->inside[i];
    }
    return 0;
}

int fields_eval(const Comp *c, struct HyCtx *ctx, const FieldsSrc *s, int mesh, FieldSet *fs)
{
    memset(fs, 0, sizeof *fs);
    Comp *cb = comp_new(s->file, s->src, s->len, stderr);
    Col *cols;
    int ncol = collect(c, &cb->arena, &cols), status = -1;
    if (ncol == 0) {
        comp_free(cb);
        return 0;
    }
    /* items ordered by domain; want = the domain's coordinates */
    ExportReq req;
    req.items = arena_alloc(&cb->arena, sizeof(ExportItem) * (size_t)ncol);
    req.n = 0;
    int *item_col = arena_alloc(&cb->arena, sizeof(int) * (size_t)ncol);
    int *doms = arena_alloc(&cb->arena, sizeof(int) * (size_t)ncol);
    int ndom = 0;
    for (int i = 0; i < ncol; i++) {
        int seen = 0;
        for (int j = 0; j < ndom; j++)
            seen |= doms[j] == cols[i].dom;
        if (!seen)
            doms[ndom++] = cols[i].dom;
    }
    for (int j = 0; j < ndom; j++)
        for (int i = 0; i < ncol; i++) {
            if (cols[i].dom != doms[j])
                continue;
            ExportItem *it = &req.items[req.n];
            it->text = cols[i].name;
            it->src = s->src;
            it->expr = cols[i].expr;
            it->cname = cols[i].name;
            it->want = c->domains[doms[j]].coords;
            it->nwant = c->domains[doms[j]].dim;
            it->optional = 1;
            item_col[req.n++] = i;
        }
    FILE *null = fopen("/dev/null", "w");   /* the run's compile showed every warning */
    cb->diag.out = null;
    cb->ast = parse_program(&cb->arena, &cb->diag);
    int bad = cb->diag.nerrors || overrides_apply(cb, s->defs, s->ndefs);
    if (!bad) {
        cb->xreq = &req;
        bad = sema(cb) != 0;
    }
    if (null)
        fclose(null);
    cb->diag.out = stderr;
    if (bad) {
        fprintf(stderr, "hycoc: error: %s: cannot compile the spec again to evaluate its fields\n", s->file);
        goto done;
    }
    fs->g = calloc((size_t)ndom, sizeof *fs->g);
    if (!fs->g)
        goto oom;
    for (int j = 0; j < ndom; j++) {
        FieldGroup *g = &fs->g[fs->ng++];
        if (make_grid(c, ctx, doms[j], mesh, g))
            goto oom;
        ExportItem *its = malloc(sizeof *its * (size_t)req.n);
        int *ci = malloc(sizeof *ci * (size_t)req.n);
        g->names = calloc((size_t)req.n, sizeof *g->names);
        g->v = calloc((size_t)req.n, sizeof *g->v);
        g->exact = calloc((size_t)req.n, sizeof *g->exact);
        if (!its || !ci || !g->names || !g->v || !g->exact) {
            free(its);
            free(ci);
            goto oom;
        }
        for (int i = 0; i < req.n; i++) {
            if (cols[item_col[i]].dom != doms[j] || req.items[i].root == NO_NODE)
                continue;
            its[g->ncols] = req.items[i];
            ci[g->ncols] = item_col[i];
            g->names[g->ncols] = strdup(cols[item_col[i]].name);   /* cb's arena dies here */
            if (!g->names[g->ncols] || !(g->v[g->ncols] = malloc(sizeof(double) * (size_t)g->n))) {
                free((char *)g->names[g->ncols]);
                free(its);
                free(ci);
                goto oom;
            }
            g->ncols++;
        }
        /* exact solutions: link each to its column in this group */
        for (int a = 0; a < g->ncols; a++) {
            g->exact[a] = -1;
            for (int b = 0; b < g->ncols; b++)
                if (cols[ci[b]].exact_of == ci[a])
                    g->exact[a] = b;
            if (cols[ci[a]].exact_of >= 0)
                g->exact[a] = -2;
        }
        const double *xc[8];
        for (int k = 0; k < g->dim; k++)
            xc[k] = g->x + (size_t)k * (size_t)g->n;
        export_eval_values(cb, its, g->ncols, ctx, g->n, xc, g->v);
        free(its);
        free(ci);
    }
    status = 0;
    goto done;
oom:
    fprintf(stderr, "hycoc: error: out of memory evaluating the fields\n");
done:
    comp_free(cb);
    if (status)
        fields_free(fs);
    return status;
}

/* 1 if path names one of the inputs (same device and inode). */
static int is_input(const char *path, const char *const *inputs, int n)
{
    struct stat so, si;
    if (stat(path, &so) != 0)
        return 0;
    for (int i = 0; i < n; i++)
        if (inputs[i] && stat(inputs[i], &si) == 0 && si.st_dev == so.st_dev && si.st_ino == so.st_ino)
            return 1;
    return 0;
}

int fields_write_csv(const FieldSet *fs, const char *dir, const char *const *inputs, int ninputs)
{
    for (int j = 0; j < fs->ng; j++) {
        const FieldGroup *g = &fs->g[j];
        if (g->ncols == 0 || g->ninside == 0)
            continue;
        int nc = g->dim + g->ncols;
        char *path = malloc(strlen(dir) + strlen(g->domain) + 8);
        const char **names = calloc((size_t)nc, sizeof *names);
        double **cv = calloc((size_t)nc, sizeof *cv);
        int bad = !path || !names || !cv;
        for (int k = 0; !bad && k < nc; k++)
            bad = !(cv[k] = malloc(sizeof(double) * (size_t)g->ninside));
        if (bad) {
            fprintf(stderr, "hycoc: error: out of memory writing the fields\n");
        } else {
            sprintf(path, "%s/%s.csv", dir, g->domain);
            for (int k = 0; k < nc; k++) {
                const double *src = k < g->dim ? g->x + (size_t)k * (size_t)g->n : g->v[k - g->dim];
                names[k] = k < g->dim ? g->coords[k] : g->names[k - g->dim];
                long r = 0;
                for (long i = 0; i < g->n; i++)
                    if (g->inside[i])
                        cv[k][r++] = src[i];
            }
            char err[512];
            if (is_input(path, inputs, ninputs)) {
                fprintf(stderr, "hycoc: error: --fields '%s' is an input file; refusing to overwrite it\n", path);
                bad = 1;
            } else if (hy_csv_write(path, nc, names, g->ninside, (const double *const *)cv, err, sizeof err) != 0) {
                fprintf(stderr, "hycoc: error: %s\n", err);
                bad = 1;
            }
        }
        for (int k = 0; cv && k < nc; k++)
            free(cv[k]);
        free(cv);
        free(names);
        free(path);
        if (bad)
            return -1;
    }
    return 0;
}

void fields_free(FieldSet *fs)
{
    for (int j = 0; j < fs->ng; j++) {
        FieldGroup *g = &fs->g[j];
        for (int k = 0; k < g->ncols; k++) {
            free(g->v[k]);
            free((char *)g->names[k]);
        }
        free(g->v);
        free(g->names);
        free(g->exact);
        free(g->x);
        free(g->inside);
    }
    free(fs->g);
    memset(fs, 0, sizeof *fs);
}
