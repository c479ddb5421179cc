/* sema_space.c -- domains and point sets.
 *
 * Requires: the symbols declared so far (sema.c).  Guarantees: every domain
 * is stored with its coordinates, its bounding box and what the runtime
 * needs to build its geometry (hy_geom_*); every point set with its exact
 * point count (known at compile time, so storage is planned statically) and
 * how its coordinates are made (mesh, linspace, or a sampler in the domain
 * or on part of its boundary, with outward normals stored for boundary sets).
 *
 * Domain expressions:
 *   interval(x: a .. b), rect(x: .., y: ..), box(x: .., y: .., z: ..)  [mesh h]
 *   disk(x, y, center(cx, cy), radius r)
 *   polygon(x, y, vertices(x0, y0, x1, y1, ...))
 *   union(A, B), difference(A, B), intersection(A, B)   (A, B: names or nested)
 *   spacetime(D, t: t0 .. t1)                            (time is the last axis)
 * Point sets:
 *   points P = linspace(a, b, n) in D
 *   points P = [(x0, y0), (x1, y1), ...] in D  listed points (1-D: [x0, x1, ...]); each
 *                                             must lie in D (closed), checked now
 *   points P = random(n) | latin(n) | sobol(n) | halton(n)  in D
 *   points P = ... on boundary(D)             whole boundary
 *   points P = ... on boundary(D, x)          the faces normal to x
 *   points P = ... on boundary(D, x = v)      the slice x = v (e.g. t = 0)
 *   points P = ... on boundary(D, left)       named faces: left/right (axis 1 low/high),
 *                                             bottom/top (axis 2), front/back (axis 3)
 * Redrawn point sets (sampled ones only; ir.h's PointSet documents the fields):
 *   ... resample every N                      all points drawn anew (round E / N)
 *   ... resample every N by residual(L, k K, c C, pool M)
 *                                             RAR-D with a fixed count: the n points are
 *                                             picked from M candidates with p ~ r^k/mean(r^k) + c
 *   ... grow every N by residual(L, k K, c C, add A, pool M)
 *                                             RAR-D growth: A points picked from M candidates
 *                                             are appended; the capacity n0 + A floor((E-1)/N)
 *                                             for the E epochs of the first phase
 * r is the pointwise value inside loss L's one reduction over the set (R of mse(R),
 * mae(R), mean(R), sum(R)); it is evaluated on the candidates, a hidden point set
 * "P.pool" declared after every user point set (sema_points_finish).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "sema_int.h"
#include "hyrt.h"

#define HY_MAX_POINTS 50000000L   /* points of one set (documented limit) */

static int new_pointset(Sema *s, const char *name, int domain, PsKind kind, int n, Loc loc)
{
    PointSet *p = GROW(s->c->psets, s->c->npsets);
    p->name = name;
    p->domain = domain;
    p->kind = kind;
    p->n = n;
    p->dim = s->c->domains[domain].dim;
    p->loc = loc;
    p->n0 = n;
    p->pool = p->pool_of = p->loss = -1;
    p->resid = NO_NODE;
    return s->c->npsets - 1;
}

static int add_domain(Sema *s, const Domain *d)
{
    *GROW(s->c->domains, s->c->ndomains) = *d;
    return s->c->ndomains - 1;
}

int sema_add_domain(Sema *s, const Domain *d) { return add_domain(s, d); }
int sema_new_pointset(Sema *s, const char *name, int domain, PsKind kind, int n, Loc loc)
{
    return new_pointset(s, name, domain, kind, n, loc);
}

static const char *callee(const Expr *v) { return v->kind == EX_CALL ? v->name : ""; }

/* interval/rect/box: axis ranges. */
static int box_domain(Sema *s, const Expr *v, Domain *d)
{
    int want = v->name[0] == 'i' ? 1 : v->name[0] == 'r' ? 2 : 3;
    for (int i = 0; i < v->nargs; i++) {
        const Arg *a = v->args[i];
        if (a->kind == ARG_OPT) continue;
        if (a->kind != ARG_RANGE) { ERR(a->loc, "expected an axis range like 'x: 0 .. 1'"); return 0; }
        if (d->dim == 8) { ERR(a->loc, "too many axes"); return 0; }
        for (int k = 0; k < d->dim; k++)
            if (strcmp(d->coords[k], a->name) == 0) { ERR(a->loc, "axis '%s' given twice", a->name); return 0; }
        double lo = const_value(s, a->e, "an axis bound"), hi = const_value(s, a->e2, "an axis bound");
        if (isnan(lo) || isnan(hi)) return 0;
        if (!(lo < hi) || !isfinite(lo) || !isfinite(hi)) {
            ERR(a->loc, "empty or invalid range %g .. %g for axis '%s' (need lo < hi)", lo, hi, a->name);
            return 0;
        }
        d->coords[d->dim] = a->name;
        d->lo[d->dim] = lo;
        d->hi[d->dim] = hi;
        d->dim++;
    }
    if (d->dim != want) {
        ERR(v->loc, "%s needs %d ax%s, but %d %s given", v->name, want, want == 1 ? "is" : "es", d->dim,
            d->dim == 1 ? "was" : "were");
        return 0;
    }
    d->kind = DOM_BOX;
    return 1;
}

/* The two leading coordinate names of disk/polygon. */
static int plane_coords(Sema *s, const Expr *v, Domain *d)
{
    for (int i = 0; i < 2; i++) {
        if (v->nargs <= i || v->args[i]->kind != ARG_EXPR || v->args[i]->e->kind != EX_NAME) {
            ERR(v->nargs > i ? v->args[i]->loc : v->loc, "%s needs its two coordinate names first, e.g. %s(x, y, ...)",
                v->name, v->name);
            return 0;
        }
        d->coords[i] = v->args[i]->e->name;
    }
    if (strcmp(d->coords[0], d->coords[1]) == 0) { ERR(v->args[1]->loc, "axis '%s' given twice", d->coords[1]); return 0; }
    d->dim = 2;
    return 1;
}

/* The numbers of a positional call argument like center(0.5, 0.5). */
static int number_list(Sema *s, const Expr *call, double *out, int max)
{
    if (call->nargs > max) { ERR(call->loc, "too many values in %s(...) (at most %d)", call->name, max); return -1; }
    for (int i = 0; i < call->nargs; i++) {
        if (call->args[i]->kind != ARG_EXPR) { ERR(call->args[i]->loc, "expected a number"); return -1; }
        out[i] = const_value(s, call->args[i]->e, "a coordinate");
        if (isnan(out[i])) return -1;
        if (!isfinite(out[i])) { ERR(call->args[i]->loc, "coordinates must be finite"); return -1; }
    }
    return call->nargs;
}

static const Expr *positional_call(const Expr *v, const char *name)
{
    for (int i = 0; i < v->nargs; i++)
        if (v->args[i]->kind == ARG_EXPR && v->args[i]->e->kind == EX_CALL && strcmp(v->args[i]->e->name, name) == 0)
            return v->args[i]->e;
    return NULL;
}

static int disk_domain(Sema *s, const Expr *v, Domain *d)
{
    static const char *const opts[] = {"radius", NULL};
    if (!check_opts(s, v, opts) || !plane_coords(s, v, d)) return 0;
    const Expr *c = positional_call(v, "center");
    const Arg *r = find_opt(v, "radius");
    if (!c || !r || v->nargs != 4) { ERR(v->loc, "disk takes disk(x, y, center(cx, cy), radius r)"); return 0; }
    double xy[2];
    if (number_list(s, c, xy, 2) != 2) { if (s->c->diag.nerrors == 0) ERR(c->loc, "center takes 2 numbers"); return 0; }
    double rad = const_value(s, r->e, "the radius");
    if (isnan(rad)) return 0;
    if (!(rad > 0) || !isfinite(rad)) { ERR(r->e->loc, "the radius must be > 0"); return 0; }
    d->kind = DOM_DISK;
    d->cx = xy[0]; d->cy = xy[1]; d->r = rad;
    d->lo[0] = xy[0] - rad; d->hi[0] = xy[0] + rad;
    d->lo[1] = xy[1] - rad; d->hi[1] = xy[1] + rad;
    return 1;
}

/* 1 if segments p1p2 and p3p4 properly cross (shared endpoints excluded). */
static int segments_cross(const double *p1, const double *p2, const double *p3, const double *p4)
{
    double d1 = (p4[0] - p3[0]) * (p1[1] - p3[1]) - (p4[1] - p3[1]) * (p1[0] - p3[0]);
    double d2 = (p4[0] - p3[0]) * (p2[1] - p3[1]) - (p4[1] - p3[1]) * (p2[0] - p3[0]);
    double d3 = (p2[0] - p1[0]) * (p3[1] - p1[1]) - (p2[1] - p1[1]) * (p3[0] - p1[0]);
    double d4 = (p2[0] - p1[0]) * (p4[1] - p1[1]) - (p2[1] - p1[1]) * (p4[0] - p1[0]);
    return ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0));
}

static int polygon_domain(Sema *s, const Expr *v, Domain *d)
{
    static const char *const opts[] = {NULL};
    if (!check_opts(s, v, opts) || !plane_coords(s, v, d)) return 0;
    const Expr *vs = positional_call(v, "vertices");
    if (!vs || v->nargs != 3) { ERR(v->loc, "polygon takes polygon(x, y, vertices(x0, y0, x1, y1, ...))"); return 0; }
    double *xy = arena_alloc(&s->c->arena, 2 * 4096 * sizeof *xy);
    int n = number_list(s, vs, xy, 2 * 4096);
    if (n < 0) return 0;
    if (n % 2 || n < 6) { ERR(vs->loc, "vertices takes x, y pairs of at least 3 points, but %d numbers were given", n); return 0; }
    int nv = n / 2;
    double area2 = 0;
    for (int i = 0; i < nv; i++) {
        const double *p = xy + 2 * i, *q = xy + 2 * ((i + 1) % nv);
        area2 += p[0] * q[1] - q[0] * p[1];
        for (int j = i + 2; j < nv; j++) {
            if (i == 0 && j == nv - 1) continue;   /* adjacent through the closing edge */
            if (segments_cross(p, q, xy + 2 * j, xy + 2 * ((j + 1) % nv))) {
                ERR(vs->loc, "the polygon crosses itself (edges %d and %d)", i + 1, j + 1);
                return 0;
            }
        }
    }
    if (!(fabs(area2) > 0)) { ERR(vs->loc, "the polygon has zero area"); return 0; }
    d->kind = DOM_POLYGON;
    d->verts = xy;
    d->nverts = nv;
    d->lo[0] = d->hi[0] = xy[0];
    d->lo[1] = d->hi[1] = xy[1];
    for (int i = 1; i < nv; i++)
        for (int k = 0; k < 2; k++) {
            if (xy[2 * i + k] < d->lo[k]) d->lo[k] = xy[2 * i + k];
            if (xy[2 * i + k] > d->hi[k]) d->hi[k] = xy[2 * i + k];
        }
    return 1;
}

static int domain_expr(Sema *s, const Expr *v, const char *name, Loc loc);

/* An operand of a boolean or spacetime: a domain name or a nested expression. */
static int domain_operand(Sema *s, const Arg *a)
{
    if (a->kind != ARG_EXPR) { ERR(a->loc, "expected a domain"); return -1; }
    if (a->e->kind == EX_NAME) {
        Sym *y = sym_lookup(s, a->e->name);
        if (!y) { ERR(a->e->loc, "unknown domain '%s'", a->e->name); return -1; }
        if (y->kind != SYM_DOMAIN) { ERR(a->e->loc, "'%s' is a %s, not a domain", a->e->name, sym_kind_name[y->kind]); return -1; }
        return y->index;
    }
    return domain_expr(s, a->e, NULL, a->e->loc);
}

static int bool_domain(Sema *s, const Expr *v, Domain *d)
{
    int op = v->name[0] == 'u' ? GEOM_UNION : v->name[0] == 'd' ? GEOM_DIFF : GEOM_INTER;
    if (v->nargs != 2) { ERR(v->loc, "%s takes two domains", v->name); return 0; }
    int a = domain_operand(s, v->args[0]), b = a < 0 ? -1 : domain_operand(s, v->args[1]);
    if (a < 0 || b < 0) return 0;
    const Domain *da = &s->c->domains[a], *db = &s->c->domains[b];
    if (da->kind == DOM_TIME || db->kind == DOM_TIME) {
        ERR(v->loc, "combine the space domains first, then add time: spacetime(%s(...), t: ...)", v->name);
        return 0;
    }
    int same = da->dim == db->dim;
    for (int k = 0; same && k < da->dim; k++) same = strcmp(da->coords[k], db->coords[k]) == 0;
    if (!same) { ERR(v->loc, "%s needs two domains over the same coordinates, in the same order", v->name); return 0; }
    const char *nm = d->name;   /* the declared name, not operand a's */
    Loc lc = d->loc;
    *d = *da;
    d->name = nm;
    d->loc = lc;
    d->kind = DOM_BOOL;
    d->op = op;
    d->a = a;
    d->b = b;
    d->mesh = 0;
    d->ps = -1;
    for (int k = 0; k < d->dim; k++) {
        if (op == GEOM_UNION) { d->lo[k] = fmin(da->lo[k], db->lo[k]); d->hi[k] = fmax(da->hi[k], db->hi[k]); }
        if (op == GEOM_INTER) { d->lo[k] = fmax(da->lo[k], db->lo[k]); d->hi[k] = fmin(da->hi[k], db->hi[k]); }
        if (!(d->lo[k] < d->hi[k])) { ERR(v->loc, "the intersection is empty"); return 0; }
    }
    return 1;
}

static int time_domain(Sema *s, const Expr *v, Domain *d)
{
    if (v->nargs != 2 || v->args[1]->kind != ARG_RANGE) {
        ERR(v->loc, "spacetime takes a domain and a time range: spacetime(D, t: 0 .. 1)");
        return 0;
    }
    int a = domain_operand(s, v->args[0]);
    if (a < 0) return 0;
    const Domain *da = &s->c->domains[a];
    const Arg *r = v->args[1];
    if (da->kind == DOM_TIME) { ERR(v->loc, "'%s' already has a time axis", da->name ? da->name : "the domain"); return 0; }
    if (da->dim >= 8) { ERR(v->loc, "too many axes"); return 0; }
    for (int k = 0; k < da->dim; k++)
        if (strcmp(da->coords[k], r->name) == 0) { ERR(r->loc, "axis '%s' given twice", r->name); return 0; }
    double lo = const_value(s, r->e, "a time bound"), hi = const_value(s, r->e2, "a time bound");
    if (isnan(lo) || isnan(hi)) return 0;
    if (!(lo < hi) || !isfinite(lo) || !isfinite(hi)) { ERR(r->loc, "empty or invalid time range %g .. %g", lo, hi); return 0; }
    const char *nm = d->name;
    Loc lc = d->loc;
    *d = *da;
    d->name = nm;
    d->loc = lc;
    d->kind = DOM_TIME;
    d->a = a;
    d->mesh = 0;
    d->ps = -1;
    d->coords[d->dim] = r->name;
    d->lo[d->dim] = lo;
    d->hi[d->dim] = hi;
    d->dim++;
    return 1;
}

/* Builds the domain of expression v (and its operands); -1 after an error. */
static int domain_expr(Sema *s, const Expr *v, const char *name, Loc loc)
{
    Domain d;
    memset(&d, 0, sizeof d);
    d.name = name;
    d.loc = loc;
    d.ps = -1;
    const char *f = callee(v);
    int ok;
    if (!strcmp(f, "interval") || !strcmp(f, "rect") || !strcmp(f, "box")) {
        static const char *const opts[] = {"mesh", NULL};
        ok = check_opts(s, v, opts) && box_domain(s, v, &d);
    } else if (!strcmp(f, "disk")) {
        ok = disk_domain(s, v, &d);
    } else if (!strcmp(f, "polygon")) {
        ok = polygon_domain(s, v, &d);
    } else if (!strcmp(f, "union") || !strcmp(f, "difference") || !strcmp(f, "intersection")) {
        ok = bool_domain(s, v, &d);
    } else if (!strcmp(f, "spacetime")) {
        ok = time_domain(s, v, &d);
    } else {
        ERR(v->loc, "unknown domain kind%s%s%s (expected interval, rect, box, disk, polygon, union, difference, "
                    "intersection or spacetime)", *f ? " '" : "", f, *f ? "'" : "");
        return -1;
    }
    return ok ? add_domain(s, &d) : -1;
}

void decl_domain(Sema *s, const Stmt *st)
{
    const Expr *v = st->value;
    int idx = domain_expr(s, v, st->name, st->loc);
    Sym *y = sym_declare(s, st, SYM_DOMAIN, idx);
    if (idx < 0 || !y) { if (y) y->index = -1; return; }
    const Arg *m = v->kind == EX_CALL ? find_opt(v, "mesh") : NULL;
    if (!m) return;
    Domain *d = &s->c->domains[idx];
    double h = const_value(s, m->e, "mesh spacing");
    if (isnan(h)) return;
    if (!(h > 0) || !isfinite(h)) { ERR(m->e->loc, "mesh spacing must be > 0"); return; }
    long total = 1;
    int counts[8];
    for (int k = 0; k < d->dim; k++) {
        double cells = (d->hi[k] - d->lo[k]) / h;
        if (cells > 1e7) { ERR(m->e->loc, "mesh spacing %g gives too many points", h); return; }
        long nc = lround(cells);
        if (nc < 1) nc = 1;
        if (fabs(cells - (double)nc) > 1e-6 * (double)nc)
            diag_warning(&s->c->diag, m->e->loc, "mesh spacing %g does not divide axis '%s' (%g .. %g); using %ld cells",
                         h, d->coords[k], d->lo[k], d->hi[k], nc);
        counts[k] = (int)nc + 1;
        total *= counts[k];
        if (total > HY_MAX_POINTS) { ERR(m->e->loc, "mesh has too many points (limit %ld)", HY_MAX_POINTS); return; }
    }
    int p = new_pointset(s, st->name, idx, PS_MESH, (int)total, st->loc);
    memcpy(s->c->psets[p].counts, counts, sizeof counts);
    s->c->domains[idx].mesh = h;
    s->c->domains[idx].ps = p;
}

/* Resolves 'in NAME' to a domain index; -1 after an error. */
static int points_domain(Sema *s, const char *name, Loc loc, const Stmt *st)
{
    Sym *dy = name ? sym_lookup(s, name) : NULL;
    if (!name) { ERR(st->loc, "point set '%s' needs a domain: '... in DOMAIN' or '... on boundary(DOMAIN)'", st->name); return -1; }
    if (!dy) { ERR(loc, "unknown domain '%s'", name); return -1; }
    if (dy->kind != SYM_DOMAIN) { ERR(loc, "'%s' is a %s, not a domain", name, sym_kind_name[dy->kind]); return -1; }
    return dy->index;
}

/* boundary(D[, sel]): fills the point set's boundary selection; returns the
 * domain index or -1. */
static int boundary_sel(Sema *s, const Expr *b, PointSet *p)
{
    if (b->kind != EX_CALL || strcmp(b->name, "boundary") != 0) {
        ERR(b->loc, "expected boundary(DOMAIN), boundary(DOMAIN, x), boundary(DOMAIN, t = 0) or boundary(DOMAIN, left)");
        return -1;
    }
    if (b->nargs < 1 || b->nargs > 2 || b->args[0]->kind != ARG_EXPR || b->args[0]->e->kind != EX_NAME) {
        ERR(b->loc, "boundary takes a domain name and optionally a face: boundary(D), boundary(D, x), boundary(D, x = 0)");
        return -1;
    }
    int d = points_domain(s, b->args[0]->e->name, b->args[0]->e->loc, NULL);
    if (d < 0) return -1;
    const Domain *dm = &s->c->domains[d];
    p->boundary = 1;
    p->normals = 1;
    p->bsel = dm->kind == DOM_TIME ? BND_SPACE : BND_ALL;   /* space-time: the lateral boundary */
    if (b->nargs == 1) return d;
    const Arg *a = b->args[1];
    const Expr *e = a->kind == ARG_EXPR ? a->e : NULL;
    static const char *const faces[] = {"left", "right", "bottom", "top", "front", "back"};
    if (e && e->kind == EX_NAME) {
        for (int k = 0; k < dm->dim; k++)
            if (strcmp(dm->coords[k], e->name) == 0) { p->bsel = BND_AXIS; p->baxis = k; return d; }
        for (int f = 0; f < 6; f++)
            if (strcmp(faces[f], e->name) == 0) {
                if (f / 2 >= dm->dim || dm->kind != DOM_BOX) {
                    ERR(e->loc, "face '%s' needs a box domain with at least %d axes", e->name, f / 2 + 1);
                    return -1;
                }
                p->bsel = BND_AT;
                p->baxis = f / 2;
                p->bvalue = f % 2 ? dm->hi[f / 2] : dm->lo[f / 2];
                return d;
            }
        ERR(e->loc, "'%s' is neither a coordinate of '%s' nor a face (left, right, bottom, top, front, back)", e->name,
            dm->name);
        return -1;
    }
    if (e && e->kind == EX_BIN && e->op == '=' && e->lhs->kind == EX_NAME) {
        int k = -1;
        for (int q = 0; q < dm->dim; q++)
            if (strcmp(dm->coords[q], e->lhs->name) == 0) k = q;
        if (k < 0) { ERR(e->lhs->loc, "'%s' is not a coordinate of '%s'", e->lhs->name, dm->name); return -1; }
        double v = const_value(s, e->rhs, "the value of the slice");
        if (isnan(v)) return -1;
        if (v < dm->lo[k] || v > dm->hi[k]) {
            ERR(e->rhs->loc, "%s = %g lies outside the domain (%g .. %g)", e->lhs->name, v, dm->lo[k], dm->hi[k]);
            return -1;
        }
        p->bsel = BND_AT;
        p->baxis = k;
        p->bvalue = v;
        /* a slice strictly inside has no outward normal; the runtime stores zeros there */
        return d;
    }
    ERR(a->loc, "expected a coordinate (boundary(D, x)), a slice (boundary(D, t = 0)) or a face name");
    return -1;
}

/* The 'grow every N by ...' / 'resample every N [by ...]' clauses of point
 * set q (sampled); the loss of a residual is resolved in sema_points_finish. */
static void points_redraw(Sema *s, const Stmt *st, int q)
{
    int grow = st->grow_loc.line != 0;
    if (!grow && !st->resample_loc.line) return;
    Loc loc = grow ? st->grow_loc : st->resample_loc;
    if (grow && st->resample_loc.line) {
        ERR(st->resample_loc, "a point set either grows or is resampled, not both");
        return;
    }
    long every = grow ? st->grow_every : st->resample_every;
    const Expr *by = grow ? st->grow_by : st->resample_by;
    if (every < 1) { ERR(loc, "'%s every N' needs N >= 1 epochs", grow ? "grow" : "resample"); return; }
    if (grow && !by) {
        ERR(loc, "'grow every N' needs the points to add: 'grow every N by residual(LOSS, add A)'");
        return;
    }
    PointSet *ps = &s->c->psets[q];
    ps->every = every;
    ps->grows = grow;
    if (!by) return;
    if (by->kind != EX_CALL || strcmp(by->name, "residual") != 0 || by->nargs < 1 ||
        by->args[0]->kind != ARG_EXPR || by->args[0]->e->kind != EX_NAME) {
        ERR(by->loc, "expected residual(LOSS, k K, c C%s, pool M) after 'by'", grow ? ", add A" : "");
        ps->every = 0;
        return;
    }
    static const char *const gopts[] = {"k", "c", "add", "pool", NULL}, *const ropts[] = {"k", "c", "pool", NULL};
    int ok = check_opts(s, by, grow ? gopts : ropts);
    for (int i = 1; i < by->nargs; i++)
        if (by->args[i]->kind != ARG_OPT) { ERR(by->args[i]->loc, "residual takes one loss name, then options"); ok = 0; }
    if (!grow && find_opt(by, "add")) ok = 0;   /* reported by check_opts */
    const Arg *ka = find_opt(by, "k"), *ca = find_opt(by, "c"), *aa = find_opt(by, "add"), *pa = find_opt(by, "pool");
    double k = ka ? const_value(s, ka->e, "the exponent k") : 1.0;
    double cc = ca ? const_value(s, ca->e, "the constant c") : 1.0;
    if (isnan(k) || isnan(cc)) ok = 0;
    else if (!(k >= 0) || !isfinite(k) || k > 100) { ERR(ka->e->loc, "k must be in 0 .. 100"); ok = 0; }
    else if (!(cc >= 0) || !isfinite(cc)) { ERR(ca->e->loc, "c must be a finite number >= 0"); ok = 0; }
    long add = ps->n;
    if (grow) {
        if (!aa) { ERR(by->loc, "residual(...) of 'grow' needs the number of points to add: add A"); ok = 0; }
        else if ((add = int_value(s, aa->e, "the number of points to add", 1, HY_MAX_POINTS)) < 0) ok = 0;
    }
    long pool = 10 * (add > 0 ? add : 1);
    if (pa && (pool = int_value(s, pa->e, "the number of candidates", 1, HY_MAX_POINTS)) < 0) ok = 0;
    else if (ok && pool < add) {
        ERR(pa ? pa->e->loc : by->loc, "a pool of %ld candidates cannot give %ld points", pool, add);
        ok = 0;
    }
    if (ok && pool > HY_MAX_POINTS) { ERR(by->loc, "a pool of %ld candidates is too large (limit %ld)", pool, HY_MAX_POINTS); ok = 0; }
    ps = &s->c->psets[q];
    if (!ok) { ps->every = 0; return; }
    ps->rar = 1;
    ps->rar_k = k;
    ps->rar_c = cc;
    ps->add = grow ? (int)add : 0;
    ps->npool = (int)pool;
    ps->by = by;
}

static const struct { const char *name; int method; } samplers[] = {
    {"random", SAMPLE_RANDOM}, {"latin", SAMPLE_LATIN}, {"sobol", SAMPLE_SOBOL}, {"halton", SAMPLE_HALTON},
};

/* points P = [p0, p1, ...] in D: every p a tuple (or list) of D's dim
 * constants (a number in 1-D), inside D (its geometry, built now). */
static void list_points(Sema *s, const Stmt *st)
{
    const Expr *v = st->value;
    Sym *y = sym_declare(s, st, SYM_POINTS, -1);
    if (st->on_expr) { ERR(st->on_loc, "listed points are given 'in DOMAIN', not on a boundary"); return; }
    int di = points_domain(s, st->on, st->on_loc, st);
    if (di < 0) return;
    const Domain *d = &s->c->domains[di];
    if (v->op == '(') { ERR(v->loc, "a list of points is written in brackets: [(x0, y0), (x1, y1), ...]"); return; }
    if (v->nargs == 0) { ERR(v->loc, "empty point list: give at least one point"); return; }
    const int n = v->nargs, dim = d->dim;
    double *pts = arena_alloc(&s->c->arena, (size_t)n * (size_t)dim * sizeof *pts);
    HyCtx *g = hy_ctx_new();
    int gid = scratch_geom(s, g, di), ok = 1;
    for (int i = 0; i < n && ok; i++) {
        const Expr *p = v->args[i]->e;
        int np = p->kind == EX_LIST ? p->nargs : 1;
        if (np != dim) {
            char list[160] = "";
            for (int k = 0; k < dim; k++)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", k ? ", " : "", d->coords[k]);
            ERR(p->loc, "point %d has %d coordinate%s, but domain '%s' has %d (%s)", i, np, np == 1 ? "" : "s", d->name, dim, list);
            ok = 0;
            break;
        }
        double x[8];
        for (int k = 0; k < dim && ok; k++) {
            x[k] = const_value(s, p->kind == EX_LIST ? p->args[k]->e : p, "a point's coordinate");
            ok = !isnan(x[k]);
            pts[(size_t)k * (size_t)n + (size_t)i] = x[k];
        }
        if (ok && gid >= 0 && hy_geom_contains(g, gid, x) != 1) {
            char at[200] = "";
            for (int k = 0; k < dim; k++) snprintf(at + strlen(at), sizeof at - strlen(at), "%s%s = %g", k ? ", " : "", d->coords[k], x[k]);
            ERR(p->loc, "point %d (%s) lies outside domain '%s'", i, at, d->name);
            ok = 0;
        }
    }
    if (ok && gid < 0) { ERR(st->on_loc, "cannot build domain '%s': %s", d->name, hy_geom_error(g)); ok = 0; }
    hy_ctx_free(g);
    if (!ok || !y) return;
    y->index = new_pointset(s, st->name, di, PS_LIST, n, st->loc);
    s->c->psets[y->index].pts = pts;
}

void decl_points(Sema *s, const Stmt *st)
{
    const Expr *v = st->value;
    const char *f = callee(v);
    int method = -1;
    for (size_t i = 0; i < sizeof samplers / sizeof samplers[0]; i++)
        if (strcmp(f, samplers[i].name) == 0) method = samplers[i].method;
    if (method >= 0) {
        PointSet p;
        memset(&p, 0, sizeof p);
        if (v->nargs != 1 || v->args[0]->kind != ARG_EXPR) {
            ERR(v->loc, "%s takes the number of points: %s(n)", f, f);
            sym_declare(s, st, SYM_POINTS, -1);
            return;
        }
        long n = int_value(s, v->args[0]->e, "the number of points", 1, HY_MAX_POINTS);
        int d = st->on_expr ? boundary_sel(s, st->on_expr, &p) : points_domain(s, st->on, st->on_loc, st);
        Sym *y = sym_declare(s, st, SYM_POINTS, s->c->npsets);
        if (n < 0 || d < 0 || !y) { if (y) y->index = -1; return; }
        int q = new_pointset(s, st->name, d, PS_SAMPLE, (int)n, st->loc);
        PointSet *ps = &s->c->psets[q];
        ps->method = method;
        ps->boundary = p.boundary;
        ps->normals = p.normals;
        ps->extra = p.normals ? ps->dim : 0;
        ps->bsel = p.bsel;
        ps->baxis = p.baxis;
        ps->bvalue = p.bvalue;
        points_redraw(s, st, q);
        return;
    }
    if (st->grow_loc.line || st->resample_loc.line)
        ERR(st->grow_loc.line ? st->grow_loc : st->resample_loc,
            "only sampled point sets (random, latin, sobol, halton) can be %s", st->grow_loc.line ? "grown" : "resampled");
    if (v->kind == EX_LIST) {
        list_points(s, st);
        return;
    }
    if (st->on_expr) {
        ERR(v->loc, "on a boundary, points are drawn by random(n), latin(n), sobol(n) or halton(n)");
        sym_declare(s, st, SYM_POINTS, -1);
        return;
    }
    if (strcmp(f, "linspace") != 0) {
        ERR(v->loc, "unknown point set kind%s%s%s (expected linspace(a, b, n), random(n), latin(n), sobol(n) or halton(n))",
            *f ? " '" : "", f, *f ? "'" : "");
        sym_declare(s, st, SYM_POINTS, -1);
        return;
    }
    int di = points_domain(s, st->on, st->on_loc, st);
    if (di < 0) { sym_declare(s, st, SYM_POINTS, -1); return; }
    const Domain *d = &s->c->domains[di];
    if (v->nargs != 3) { ERR(v->loc, "linspace takes 3 arguments (a, b, n), but %d were given", v->nargs); return; }
    for (int i = 0; i < 3; i++)
        if (v->args[i]->kind != ARG_EXPR) { ERR(v->args[i]->loc, "expected a number"); return; }
    if (d->dim != 1) { ERR(v->loc, "linspace needs a 1-D domain, but '%s' has %d axes", d->name, d->dim); return; }
    double a = const_value(s, v->args[0]->e, "linspace start");
    double b = const_value(s, v->args[1]->e, "linspace end");
    long n = int_value(s, v->args[2]->e, "the number of points", 1, HY_MAX_POINTS);
    if (isnan(a) || isnan(b) || n < 0) return;
    if (a < d->lo[0] || b > d->hi[0] || a > b) {
        ERR(v->loc, "linspace(%g, %g) lies outside domain '%s' (%g .. %g)", a, b, d->name, d->lo[0], d->hi[0]);
        return;
    }
    Sym *y = sym_declare(s, st, SYM_POINTS, s->c->npsets);
    if (!y) return;
    int p = new_pointset(s, st->name, di, PS_LINSPACE, (int)n, st->loc);
    s->c->psets[p].lo = a;
    s->c->psets[p].hi = b;
}

/* data NAME = load("file", columns a b c): a point set over the rows of the
 * file.  Columns that name a coordinate of some declared domain become its
 * coordinates (in the order listed); the others are values, read as NAME.col.
 * The file is read now (errors point at the string) and again by the program
 * at setup, which checks that it still has the same shape. */
void decl_load(Sema *s, const Stmt *st)
{
    const Expr *v = st->value;
    Sym *y = sym_declare(s, st, SYM_DATA, -1);
    if (!y) return;
    y->ps = -1;
    if (v->nargs < 1 || v->args[0]->kind != ARG_EXPR || v->args[0]->e->kind != EX_STR) {
        ERR(v->loc, "load takes a file name first: load(\"data.csv\", columns x t u)");
        return;
    }
    static const char *const opts[] = {"columns", NULL};
    if (!check_opts(s, v, opts)) return;
    if (v->nargs > 2 || (v->nargs == 2 && v->args[1]->kind != ARG_OPT)) {
        ERR(v->args[v->nargs - 1]->loc, "load takes a file name and optionally 'columns a b c'");
        return;
    }
    const Expr *fe = v->args[0]->e;
    const char *path = fe->str;
    if (path[0] != '/' && s->c->diag.file) {   /* relative to the spec's directory */
        const char *slash = strrchr(s->c->diag.file, '/');
        if (slash) path = arena_printf(&s->c->arena, "%.*s/%s", (int)(slash - s->c->diag.file), s->c->diag.file, path);
    }
    HyTable t;
    char err[512];
    if (hy_table_load(path, &t, err, sizeof err) != 0) {
        ERR(fe->loc, "%s", err);
        return;
    }
    int want = t.ncols;
    const Arg *ca = find_opt(v, "columns");
    const Expr *names[64];
    if (ca) {
        want = 1 + ca->nmore;
        if (want > 64) { ERR(ca->loc, "too many columns (at most 64)"); hy_table_free(&t); return; }
        for (int k = 0; k < want; k++) {
            names[k] = k ? ca->more[k - 1] : ca->e;
            if (names[k]->kind != EX_NAME) { ERR(names[k]->loc, "expected a column name"); hy_table_free(&t); return; }
            if (hy_table_column(&t, names[k]->name) < 0) {
                char list[256];
                ERR(names[k]->loc, "'%s' has no column '%s' (%s)", fe->str, names[k]->name,
                    hy_table_columns_list(&t, list, sizeof list));
                hy_table_free(&t);
                return;
            }
        }
    } else if (want > 64) {
        ERR(fe->loc, "'%s' has %d columns; pick at most 64 with 'columns ...'", fe->str, want);
        hy_table_free(&t);
        return;
    }
    Domain d;
    memset(&d, 0, sizeof d);
    d.kind = DOM_BOX;
    d.ps = -1;
    d.loc = st->loc;
    d.name = st->name;
    const char **cols = arena_alloc(&s->c->arena, (size_t)want * sizeof *cols);
    int nval = 0;
    /* coordinates first, then values, each in the order listed */
    for (int pass = 0; pass < 2; pass++)
        for (int k = 0; k < want; k++) {
            const char *nm = ca ? names[k]->name : t.names[k];
            int is_coord = any_coord(s, nm);
            if (is_coord != (pass == 0)) continue;
            if (pass == 0) {
                if (d.dim == 8) { ERR(fe->loc, "more than 8 coordinate columns"); hy_table_free(&t); return; }
                int col = hy_table_column(&t, nm);
                double lo = t.data[(long)col * t.nrows], hi = lo;
                for (long r = 1; r < t.nrows; r++) {
                    double x = t.data[(long)col * t.nrows + r];
                    if (x < lo) lo = x;
                    if (x > hi) hi = x;
                }
                d.coords[d.dim] = arena_strndup(&s->c->arena, nm, strlen(nm));
                d.lo[d.dim] = lo;
                d.hi[d.dim] = hi;
                cols[d.dim] = d.coords[d.dim];
                d.dim++;
            } else {
                cols[d.dim + nval++] = arena_strndup(&s->c->arena, nm, strlen(nm));
            }
        }
    long nrows = t.nrows;
    hy_table_free(&t);
    if (d.dim == 0) {
        ERR(ca ? ca->loc : fe->loc, "no column of '%s' names a coordinate of a declared domain; declare the domain first",
            fe->str);
        return;
    }
    if (nrows < 1 || nrows > HY_MAX_POINTS) { ERR(fe->loc, "'%s' has %ld rows (need 1 .. %ld)", fe->str, nrows, HY_MAX_POINTS); return; }
    int di = add_domain(s, &d);
    int p = new_pointset(s, st->name, di, PS_FILE, (int)nrows, st->loc);
    PointSet *ps = &s->c->psets[p];
    ps->path = path;
    ps->cols = cols;
    ps->extra = nval;
    y->ps = p;
}

/* ---- redrawn point sets: capacities, residuals, candidate pools ---- */

/* The pointwise residual of loss l over point set q: the operand of the one
 * reduction over q that the loss reaches through scalar nodes only (R of
 * mse(R) = mean(R*R), of mae(R) = mean(|R|); else the operand itself).
 * NO_NODE after an error at loc. */
static NodeId loss_residual(Sema *s, int l, int q, Loc loc)
{
    Comp *c = s->c;
    const Loss *ls = &c->losses[l];
    uint32_t nn = c->ir.nnodes;
    uint8_t *top = calloc(nn ? nn : 1, 1);
    if (!top) HY_ICE("out of memory");
    top[ls->root] = 1;
    NodeId red = NO_NODE;
    int many = 0;
    for (NodeId i = ls->root + 1; i-- > 0;) {
        if (!top[i]) continue;
        const Node *nd = &c->ir.nodes[i];
        if (nd->ps >= 0) continue;   /* pointwise: belongs to a reduction below */
        if ((nd->op == OP_MEAN || nd->op == OP_SUM || nd->op == OP_MAXR) && c->ir.nodes[nd->a].ps >= 0) {
            if (c->ir.nodes[nd->a].ps != q) continue;
            if (red == NO_NODE) red = i;
            else if (c->ir.nodes[red].a != nd->a) many = 1;
            continue;
        }
        if (nd->op == OP_NETOUT) {
            const Call *cl = &c->ir.calls[nd->a];
            for (int k = 0; k < cl->nargs; k++) top[cl->args[k]] = 1;
            continue;
        }
        if (nd->op == OP_CONST || nd->op == OP_COORD || nd->op == OP_PARAM || nd->op == OP_NOISE) continue;
        if (nd->a != NO_NODE) top[nd->a] = 1;
        if (nd->b != NO_NODE) top[nd->b] = 1;
    }
    free(top);
    const char *pn = c->psets[q].name;
    if (red == NO_NODE || many) {
        ERR(loc, "residual(%s) needs a loss with one mean, sum or max over '%s' (e.g. loss %s = mse(R) over %s), "
                 "but loss '%s' has %s", ls->name, pn, ls->name, pn, ls->name, many ? "several" : "none");
        return NO_NODE;
    }
    NodeId r = c->ir.nodes[red].a;
    const Node *rn = &c->ir.nodes[r];
    if (rn->op == OP_MUL && rn->a == rn->b) r = rn->a;
    else if (rn->op == OP_ABS) r = rn->a;
    return r;
}

/* Node r over point set from, rebuilt over point set to: coordinates and
 * noise of `from` become those of `to`, network calls are made at the new
 * inputs; scalar nodes (constants, parameters, reductions) are shared. */
static NodeId rebase(Comp *c, NodeId r, int from, int to)
{
    Ir *ir = &c->ir;
    uint8_t *mark = calloc((size_t)r + 1, 1);
    NodeId *map = malloc(((size_t)r + 1) * sizeof *map);
    if (!mark || !map) HY_ICE("out of memory");
    mark[r] = 1;
    for (NodeId i = r + 1; i-- > 0;) {
        const Node *nd = &ir->nodes[i];
        if (!mark[i] || nd->ps < 0) continue;
        if (nd->ps != from) HY_ICE("rebase: node %u over point set %d", i, nd->ps);
        if (nd->op == OP_NETOUT) {
            const Call *cl = &ir->calls[nd->a];
            for (int k = 0; k < cl->nargs; k++) mark[cl->args[k]] = 1;
        } else if (nd->op != OP_COORD && nd->op != OP_NOISE) {
            if (nd->a != NO_NODE) mark[nd->a] = 1;
            if (nd->b != NO_NODE) mark[nd->b] = 1;
        }
    }
    for (NodeId i = 0; i <= r; i++) {
        if (!mark[i]) continue;
        Node nd = ir->nodes[i];   /* a copy: constructors may move the array */
        if (nd.ps < 0) { map[i] = i; continue; }
        switch (nd.op) {
        case OP_COORD: case OP_NOISE: map[i] = ir_leaf(ir, nd.op, to, nd.aux, nd.num, nd.loc); break;
        case OP_NETOUT: {
            NodeId args[64];
            const Call *cl = &ir->calls[nd.a];
            int net = cl->net, na = cl->nargs;
            if (na > 64) HY_ICE("rebase: %d network inputs", na);
            for (int k = 0; k < na; k++) args[k] = map[cl->args[k]];
            map[i] = ir_netout(ir, ir_call(ir, net, na, args), (int)nd.b, nd.aux, nd.loc);
            break;
        }
        case OP_DATA: map[i] = ir_data(ir, map[nd.a], nd.aux, nd.loc); break;
        default:
            map[i] = nd.b == NO_NODE ? ir_unary(ir, nd.op, map[nd.a], nd.loc)
                                     : ir_binary(ir, nd.op, map[nd.a], map[nd.b], nd.loc);
        }
    }
    NodeId out = map[r];
    free(mark);
    free(map);
    return out;
}

void sema_points_finish(Sema *s)
{
    Comp *c = s->c;
    int nuser = c->npsets;
    for (int q = 0; q < nuser; q++) {
        PointSet *ps = &c->psets[q];
        if (!ps->every) continue;
        if (ps->grows) {
            long E = c->epochs, events = E >= 1 ? (E - 1) / ps->every : 0;
            double cap = (double)ps->n0 + (double)ps->add * (double)events;
            if (cap > (double)HY_MAX_POINTS) {
                ERR(ps->by->loc, "'%s' would grow to %.0f points in %ld epochs (limit %ld)", ps->name, cap, E, HY_MAX_POINTS);
                ps->every = 0;
                continue;
            }
            if (events == 0)
                diag_warning(&c->diag, ps->by->loc, "'%s' never grows: %ld epochs, growth every %ld", ps->name, E, ps->every);
            ps->n = (int)cap;
        } else if (c->epochs >= 1 && (c->epochs - 1) / ps->every == 0) {
            diag_warning(&c->diag, ps->loc, "'%s' is never resampled: %ld epochs, a redraw every %ld", ps->name, c->epochs,
                         ps->every);
        }
        if (!ps->rar) continue;
        const Expr *ln = ps->by->args[0]->e;
        Sym *y = sym_lookup(s, ln->name);
        if (!y || y->kind != SYM_LOSS) {
            const char *hint = y ? NULL : sym_suggest(s, ln->name);
            if (y) ERR(ln->loc, "'%s' is a %s, not a loss", ln->name, sym_kind_name[y->kind]);
            else ERR(ln->loc, "unknown loss '%s'%s%s%s", ln->name, hint ? " (did you mean '" : "", hint ? hint : "", hint ? "'?)" : "");
            ps->every = 0;
            continue;
        }
        if (y->index < 0) { ps->every = 0; continue; }   /* reported at the loss */
        NodeId r = loss_residual(s, y->index, q, ln->loc);
        if (r == NO_NODE) { c->psets[q].every = 0; continue; }
        PointSet cp = c->psets[q];
        int pool = new_pointset(s, arena_printf(&c->arena, "%s.pool", cp.name), cp.domain, PS_SAMPLE, cp.npool, cp.loc);
        PointSet *pp = &c->psets[pool];
        pp->method = cp.method;
        pp->boundary = cp.boundary;
        pp->normals = cp.normals;
        pp->extra = cp.extra;
        pp->bsel = cp.bsel;
        pp->baxis = cp.baxis;
        pp->bvalue = cp.bvalue;
        pp->pool_of = q;
        NodeId rp = rebase(c, r, q, pool);
        pp = &c->psets[pool];
        pp->resid = rp;
        c->psets[q].pool = pool;
        c->psets[q].loss = y->index;
        if (c->ir.nodes[rp].ps != pool) {
            ERR(ln->loc, "the residual of loss '%s' does not vary over the points of '%s'", ln->name, cp.name);
            c->psets[q].every = 0;
        }
    }
}
