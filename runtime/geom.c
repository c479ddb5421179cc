/* geom.c -- geometries: boxes, disks, polygons, booleans, space-time products.
 *
 * Contracts are in hyrt_api.h ("geometry and sampling") and geom_impl.h.
 * Representation: see geom_impl.h.  Membership is exact arithmetic on the
 * stored data (closed sets; a point within rounding of a primitive's boundary
 * may fall either way).  Boundary classification of booleans (rt_geom_side)
 * tests membership at x -/+ delta n with delta = 1e-9 times the diameter of
 * the bounding box: a point closer than delta to another primitive's boundary
 * (a set of relative measure ~1e-9) may be misclassified.
 */
#include <math.h>
#include <stdarg.h>
#include <string.h>
#include "geom_impl.h"

static const double TWO_PI = 6.283185307179586476925;

/* ---------------------------------------------------------------- table */

struct RtGeoTab *rt_geo(HyCtx *c)
{
    if (!c->geo)
        c->geo = rt_xcalloc(1, sizeof *c->geo, "geometry table");
    return c->geo;
}

int rt_geo_err(HyCtx *c, const char *fmt, ...)
{
    struct RtGeoTab *t = rt_geo(c);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->err, sizeof t->err, fmt, ap);
    va_end(ap);
    return -1;
}

RtGeom *rt_geom_get(HyCtx *c, int g, const char *who)
{
    struct RtGeoTab *t = rt_geo(c);
    if (g < 0 || g >= t->n) {
        rt_geo_err(c, "%s: no geometry %d", who, g);
        return NULL;
    }
    return &t->g[g];
}

void *rt_geo_scratch(HyCtx *c, int s, size_t bytes)
{
    struct RtGeoTab *t = rt_geo(c);
    if ((size_t)t->scr_cap[s] < bytes) {
        hy_free(t->scr[s]);
        t->scr[s] = rt_xmalloc(bytes, "sampling scratch");
        t->scr_cap[s] = (long)bytes;
    }
    return t->scr[s];
}

void rt_geom_free(HyCtx *c)
{
    struct RtGeoTab *t = c->geo;
    if (!t)
        return;
    for (long i = 0; i < t->n; i++) {
        hy_free(t->g[i].xy);
        hy_free(t->g[i].patch);
    }
    hy_free(t->g);
    for (int s = 0; s < RT_SCR_COUNT; s++)
        hy_free(t->scr[s]);
    hy_free(t);
    c->geo = NULL;
}

const char *hy_geom_error(HyCtx *c)
{
    return c->geo ? c->geo->err : "";
}

/* A new zeroed geometry; its id is t->n - 1.  The pointer is valid until
 * the next new_geom. */
static RtGeom *new_geom(HyCtx *c, int kind, int dim)
{
    struct RtGeoTab *t = rt_geo(c);
    rt_grow((void **)&t->g, &t->cap, t->n, sizeof *t->g, "geometry table");
    RtGeom *G = &t->g[t->n++];
    memset(G, 0, sizeof *G);
    G->kind = kind;
    G->dim = dim;
    G->exact = 1;
    return G;
}

static RtPatch *alloc_patches(int n)
{
    return rt_xcalloc((size_t)n, sizeof(RtPatch), "boundary patches");
}

static int finite_all(int n, const double *x)
{
    for (int i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return 0;
    return 1;
}

/* ------------------------------------------------------------ primitives */

int hy_geom_box(HyCtx *c, int dim, const double *lo, const double *hi)
{
    if (dim < 1 || dim > RT_GEOM_MAXD)
        return rt_geo_err(c, "box: dimension %d (need 1 .. %d)", dim, RT_GEOM_MAXD);
    if (!lo || !hi || !finite_all(dim, lo) || !finite_all(dim, hi))
        return rt_geo_err(c, "box: bounds must be finite numbers");
    for (int k = 0; k < dim; k++)
        if (!(lo[k] < hi[k]))
            return rt_geo_err(c, "box: empty range %g .. %g on axis %d (need lo < hi)", lo[k],
                              hi[k], k);
    RtGeom *G = new_geom(c, RT_G_BOX, dim);
    memcpy(G->lo, lo, (size_t)dim * sizeof *lo);
    memcpy(G->hi, hi, (size_t)dim * sizeof *hi);
    G->boxlike = 1;
    G->npatch = 2 * dim;
    G->patch = alloc_patches(G->npatch);
    for (int a = 0; a < dim; a++) {
        double m = 1;
        for (int j = 0; j < dim; j++)
            if (j != a)
                m *= hi[j] - lo[j];
        for (int s = 0; s < 2; s++) {
            RtPatch *P = &G->patch[2 * a + s];
            P->kind = RT_P_FACE;
            P->axis = a;
            P->sign = s ? 1.0 : -1.0;
            P->value = s ? hi[a] : lo[a];
            memcpy(P->lo, lo, (size_t)dim * sizeof *lo);
            memcpy(P->hi, hi, (size_t)dim * sizeof *hi);
            P->meas = m;
        }
    }
    return (int)(c->geo->n - 1);
}

int hy_geom_disk(HyCtx *c, double cx, double cy, double r)
{
    if (!isfinite(cx) || !isfinite(cy) || !isfinite(r) || !(r > 0))
        return rt_geo_err(c, "disk: need a finite centre and radius > 0 (got r = %g)", r);
    RtGeom *G = new_geom(c, RT_G_DISK, 2);
    G->cx = cx;
    G->cy = cy;
    G->r = r;
    G->lo[0] = cx - r;
    G->hi[0] = cx + r;
    G->lo[1] = cy - r;
    G->hi[1] = cy + r;
    G->npatch = 1;
    G->patch = alloc_patches(1);
    RtPatch *P = &G->patch[0];
    P->kind = RT_P_ARC;
    P->axis = -1;
    P->cx = cx;
    P->cy = cy;
    P->r = r;
    P->meas = TWO_PI * r;
    return (int)(c->geo->n - 1);
}

/* Orientation of (a, b, p): > 0 counter-clockwise, < 0 clockwise, 0 collinear. */
static double orient(const double *a, const double *b, const double *p)
{
    return (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]);
}

/* p collinear with segment ab: 1 if p lies within its bounding box. */
static int on_seg(const double *a, const double *b, const double *p)
{
    return fmin(a[0], b[0]) <= p[0] && p[0] <= fmax(a[0], b[0]) && fmin(a[1], b[1]) <= p[1] &&
           p[1] <= fmax(a[1], b[1]);
}

static int sgn(double v) { return (v > 0) - (v < 0); }

/* 1 if closed segments ab and cd share a point. */
static int seg_meet(const double *a, const double *b, const double *p, const double *q)
{
    int o1 = sgn(orient(a, b, p)), o2 = sgn(orient(a, b, q));
    int o3 = sgn(orient(p, q, a)), o4 = sgn(orient(p, q, b));
    if (o1 != o2 && o3 != o4)
        return 1;
    return (o1 == 0 && on_seg(a, b, p)) || (o2 == 0 && on_seg(a, b, q)) ||
           (o3 == 0 && on_seg(p, q, a)) || (o4 == 0 && on_seg(p, q, b));
}

int hy_geom_polygon(HyCtx *c, int nv, const double *xy)
{
    if (!xy || nv < 3)
        return rt_geo_err(c, "polygon: need at least 3 vertices (got %d)", nv);
    if (nv > 1000000)
        return rt_geo_err(c, "polygon: %d vertices is too many (at most 1000000)", nv);
    if (!finite_all(2 * nv, xy))
        return rt_geo_err(c, "polygon: vertices must be finite numbers");
    /* A closing vertex equal to the first is dropped. */
    if (nv > 3 && xy[0] == xy[2 * nv - 2] && xy[1] == xy[2 * nv - 1])
        nv--;
    for (int i = 0; i < nv; i++) {
        int j = (i + 1) % nv;
        if (xy[2 * i] == xy[2 * j] && xy[2 * i + 1] == xy[2 * j + 1])
            return rt_geo_err(c, "polygon: vertices %d and %d coincide (zero-length edge)", i,
                              j);
    }
    double area2 = 0;
    for (int i = 0; i < nv; i++) {
        int j = (i + 1) % nv;
        area2 += xy[2 * i] * xy[2 * j + 1] - xy[2 * j] * xy[2 * i + 1];
    }
    /* Simplicity: adjacent edges must not fold back onto each other, other
     * edge pairs must not meet at all. */
    for (int i = 0; i < nv; i++) {
        const double *a = xy + 2 * i, *b = xy + 2 * ((i + 1) % nv), *n2 = xy + 2 * ((i + 2) % nv);
        if (orient(a, b, n2) == 0 &&
            (b[0] - a[0]) * (n2[0] - b[0]) + (b[1] - a[1]) * (n2[1] - b[1]) < 0)
            return rt_geo_err(c, "polygon: self-intersecting (edge %d folds back onto edge %d)",
                              (i + 1) % nv, i);
        for (int j = i + 2; j < nv; j++) {
            if (i == 0 && j == nv - 1)
                continue;  /* adjacent through the closing vertex */
            const double *p = xy + 2 * j, *q = xy + 2 * ((j + 1) % nv);
            if (seg_meet(a, b, p, q))
                return rt_geo_err(c, "polygon: self-intersecting (edges %d and %d meet)", i, j);
        }
    }
    if (!(fabs(area2) > 0))
        return rt_geo_err(c, "polygon: zero area");
    RtGeom *G = new_geom(c, RT_G_POLY, 2);
    G->nv = nv;
    G->xy = rt_xmalloc((size_t)nv * 2 * sizeof(double), "polygon");
    /* Stored counter-clockwise. */
    for (int i = 0; i < nv; i++) {
        int s = area2 > 0 ? i : nv - 1 - i;
        G->xy[2 * i] = xy[2 * s];
        G->xy[2 * i + 1] = xy[2 * s + 1];
    }
    G->lo[0] = G->hi[0] = G->xy[0];
    G->lo[1] = G->hi[1] = G->xy[1];
    for (int i = 1; i < nv; i++)
        for (int k = 0; k < 2; k++) {
            G->lo[k] = fmin(G->lo[k], G->xy[2 * i + k]);
            G->hi[k] = fmax(G->hi[k], G->xy[2 * i + k]);
        }
    G->measure = 0.5 * fabs(area2);
    G->measure_ok = 1;
    G->npatch = nv;
    G->patch = alloc_patches(nv);
    for (int i = 0; i < nv; i++) {
        int j = (i + 1) % nv;
        RtPatch *P = &G->patch[i];
        double dx = G->xy[2 * j] - G->xy[2 * i], dy = G->xy[2 * j + 1] - G->xy[2 * i + 1];
        double len = hypot(dx, dy);
        P->kind = RT_P_SEG;
        P->p0[0] = G->xy[2 * i];
        P->p0[1] = G->xy[2 * i + 1];
        P->p1[0] = G->xy[2 * j];
        P->p1[1] = G->xy[2 * j + 1];
        /* Outward normal of a counter-clockwise edge; axis-aligned edges get
         * an exact unit normal. */
        if (dy == 0) {
            P->nrm[0] = 0;
            P->nrm[1] = dx > 0 ? -1.0 : 1.0;
            P->axis = 1;
        } else if (dx == 0) {
            P->nrm[0] = dy > 0 ? 1.0 : -1.0;
            P->nrm[1] = 0;
            P->axis = 0;
        } else {
            P->nrm[0] = dy / len;
            P->nrm[1] = -dx / len;
            P->axis = -1;
        }
        P->sign = P->axis >= 0 ? P->nrm[P->axis] : 0;
        P->value = P->axis >= 0 ? P->p0[P->axis] : 0;
        P->meas = len;
    }
    return (int)(c->geo->n - 1);
}

/* ------------------------------------------------------------- composites */

int hy_geom_bool(HyCtx *c, int op, int a, int b)
{
    if (op != HY_GEOM_UNION && op != HY_GEOM_DIFF && op != HY_GEOM_INTER)
        return rt_geo_err(c, "boolean: unknown operation %d", op);
    RtGeom *A = rt_geom_get(c, a, "boolean"), *B = rt_geom_get(c, b, "boolean");
    if (!A || !B)
        return -1;
    if (a == b)
        return rt_geo_err(c, "boolean: both operands are geometry %d", a);
    if (A->dim != B->dim)
        return rt_geo_err(c, "boolean: operands of dimensions %d and %d", A->dim, B->dim);
    int dim = A->dim;
    double lo[RT_GEOM_MAXD], hi[RT_GEOM_MAXD];
    for (int k = 0; k < dim; k++) {
        if (op == HY_GEOM_UNION) {
            lo[k] = fmin(A->lo[k], B->lo[k]);
            hi[k] = fmax(A->hi[k], B->hi[k]);
        } else if (op == HY_GEOM_INTER) {
            lo[k] = fmax(A->lo[k], B->lo[k]);
            hi[k] = fmin(A->hi[k], B->hi[k]);
            if (!(lo[k] < hi[k]))
                return rt_geo_err(c, "intersection: geometries %d and %d do not overlap", a, b);
        } else {
            lo[k] = A->lo[k];
            hi[k] = A->hi[k];
        }
    }
    int na = A->npatch, nb = B->npatch, ht = A->has_time || B->has_time;
    RtPatch *patch = alloc_patches(na + nb);
    memcpy(patch, A->patch, (size_t)na * sizeof *patch);
    memcpy(patch + na, B->patch, (size_t)nb * sizeof *patch);
    RtGeom *G = new_geom(c, RT_G_BOOL, dim);  /* A and B invalid from here */
    memcpy(G->lo, lo, sizeof lo);
    memcpy(G->hi, hi, sizeof hi);
    G->op = op;
    G->a = a;
    G->b = b;
    G->exact = 0;
    G->has_time = ht;
    G->patch = patch;
    G->npatch = na + nb;
    return (int)(c->geo->n - 1);
}

int hy_geom_time(HyCtx *c, int space, double t0, double t1)
{
    RtGeom *S = rt_geom_get(c, space, "space-time");
    if (!S)
        return -1;
    if (S->has_time)
        return rt_geo_err(c, "space-time: geometry %d already has a time axis", space);
    if (S->dim + 1 > RT_GEOM_MAXD)
        return rt_geo_err(c, "space-time: %d space dimensions (at most %d)", S->dim,
                          RT_GEOM_MAXD - 1);
    if (!isfinite(t0) || !isfinite(t1) || !(t0 < t1))
        return rt_geo_err(c, "space-time: empty time range %g .. %g (need t0 < t1)", t0, t1);
    int ds = S->dim, ns = S->npatch;
    double T = t1 - t0, vol = 1;
    for (int k = 0; k < ds; k++)
        vol *= S->hi[k] - S->lo[k];
    RtPatch *patch = alloc_patches(ns + 2);
    for (int i = 0; i < ns; i++) {
        patch[i] = S->patch[i];
        patch[i].lat = 1;
        patch[i].t0 = t0;
        patch[i].t1 = t1;
        patch[i].meas *= T;
    }
    for (int s = 0; s < 2; s++) {
        RtPatch *P = &patch[ns + s];
        P->kind = RT_P_END;
        P->axis = ds;
        P->sign = s ? 1.0 : -1.0;
        P->value = s ? t1 : t0;
        memcpy(P->lo, S->lo, sizeof P->lo);
        memcpy(P->hi, S->hi, sizeof P->hi);
        P->space = space;
        P->space_box = S->boxlike;
        P->meas = vol;
    }
    int boxlike = S->boxlike, exact = S->exact;
    double lo[RT_GEOM_MAXD], hi[RT_GEOM_MAXD];
    memcpy(lo, S->lo, sizeof lo);
    memcpy(hi, S->hi, sizeof hi);
    RtGeom *G = new_geom(c, RT_G_TIME, ds + 1);
    memcpy(G->lo, lo, sizeof lo);
    memcpy(G->hi, hi, sizeof hi);
    G->lo[ds] = t0;
    G->hi[ds] = t1;
    G->space = space;
    G->t0 = t0;
    G->t1 = t1;
    G->boxlike = boxlike;
    G->exact = exact;
    G->has_time = 1;
    G->patch = patch;
    G->npatch = ns + 2;
    return (int)(c->geo->n - 1);
}

/* ------------------------------------------------------------ membership */

static int poly_contains(const RtGeom *G, double x, double y)
{
    int in = 0;
    const double *v = G->xy;
    for (int i = 0, j = G->nv - 1; i < G->nv; j = i++) {
        double xi = v[2 * i], yi = v[2 * i + 1], xj = v[2 * j], yj = v[2 * j + 1];
        if ((yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi)
            in = !in;
    }
    return in;
}

int rt_geom_contains(HyCtx *c, const RtGeom *G, const double *x)
{
    for (;;) {
        switch (G->kind) {
        case RT_G_BOX:
            for (int k = 0; k < G->dim; k++)
                if (!(x[k] >= G->lo[k] && x[k] <= G->hi[k]))
                    return 0;
            return 1;
        case RT_G_DISK: {
            double dx = x[0] - G->cx, dy = x[1] - G->cy;
            return dx * dx + dy * dy <= G->r * G->r;
        }
        case RT_G_POLY:
            return poly_contains(G, x[0], x[1]);
        case RT_G_TIME: {
            double t = x[G->dim - 1];
            if (!(t >= G->t0 && t <= G->t1))
                return 0;
            G = &c->geo->g[G->space];
            continue;
        }
        default: {  /* RT_G_BOOL */
            int ia = rt_geom_contains(c, &c->geo->g[G->a], x);
            if (G->op == HY_GEOM_UNION && ia)
                return 1;
            if (G->op != HY_GEOM_UNION && !ia)
                return 0;
            int ib = rt_geom_contains(c, &c->geo->g[G->b], x);
            return G->op == HY_GEOM_DIFF ? !ib : ib;
        }
        }
    }
}

int hy_geom_contains(HyCtx *c, int g, const double *x)
{
    RtGeom *G = rt_geom_get(c, g, "contains");
    if (!G || !x)
        return -1;
    return rt_geom_contains(c, G, x);
}

int rt_geom_side(HyCtx *c, const RtGeom *G, const double *x, double *nrm)
{
    if (G->exact)
        return 1;
    double diam2 = 0, xm[RT_GEOM_MAXD], xp[RT_GEOM_MAXD];
    for (int k = 0; k < G->dim; k++)
        diam2 += (G->hi[k] - G->lo[k]) * (G->hi[k] - G->lo[k]);
    double d = 1e-9 * sqrt(diam2);
    for (int k = 0; k < G->dim; k++) {
        xm[k] = x[k] - d * nrm[k];
        xp[k] = x[k] + d * nrm[k];
    }
    int in = rt_geom_contains(c, G, xm), out = rt_geom_contains(c, G, xp);
    if (in == out)
        return 0;
    if (!in)
        for (int k = 0; k < G->dim; k++)
            nrm[k] = 0.0 - nrm[k];  /* no -0 */
    return 1;
}

/* ---------------------------------------------------------------- measure */

/* Boolean volumes: the fraction of the first 2^20 points of the plain Sobol'
 * sequence (mapped to the bounding box) that lie inside, times the box
 * volume.  Deterministic and independent of the seed. */
#define RT_MEASURE_LOG2N 20

double rt_geom_measure(HyCtx *c, RtGeom *G)
{
    if (G->measure_ok)
        return G->measure;
    double m = 1;
    switch (G->kind) {
    case RT_G_BOX:
        for (int k = 0; k < G->dim; k++)
            m *= G->hi[k] - G->lo[k];
        break;
    case RT_G_DISK:
        m = 0.5 * TWO_PI * G->r * G->r;
        break;
    case RT_G_TIME:
        m = rt_geom_measure(c, &c->geo->g[G->space]) * (G->t1 - G->t0);
        break;
    default: {
        RtQmc *q = rt_xmalloc(sizeof *q, "measure");
        rt_qmc_init(c, q, HY_SAMPLE_SOBOL_PLAIN, G->dim, 1, 0, 0);
        long N = 1L << RT_MEASURE_LOG2N, in = 0;
        double u[RT_GEOM_MAXD], x[RT_GEOM_MAXD], vol = 1;
        for (int k = 0; k < G->dim; k++)
            vol *= G->hi[k] - G->lo[k];
        for (long i = 0; i < N; i++) {
            rt_qmc_point(c, q, (uint64_t)i, u);
            for (int k = 0; k < G->dim; k++)
                x[k] = G->lo[k] + (u[k] + 0.5 / (double)N) * (G->hi[k] - G->lo[k]);
            in += rt_geom_contains(c, G, x);
        }
        hy_free(q);
        m = vol * (double)in / (double)N;
        break;
    }
    }
    G->measure = m;
    G->measure_ok = 1;
    return m;
}

double hy_geom_measure(HyCtx *c, int g)
{
    RtGeom *G = rt_geom_get(c, g, "measure");
    return G ? rt_geom_measure(c, G) : -1.0;
}

int hy_geom_dim(HyCtx *c, int g)
{
    RtGeom *G = rt_geom_get(c, g, "dim");
    return G ? G->dim : -1;
}

double hy_geom_lo(HyCtx *c, int g, int axis)
{
    RtGeom *G = rt_geom_get(c, g, "lo");
    if (!G || axis < 0 || axis >= G->dim)
        return NAN;
    return G->lo[axis];
}

double hy_geom_hi(HyCtx *c, int g, int axis)
{
    RtGeom *G = rt_geom_get(c, g, "hi");
    if (!G || axis < 0 || axis >= G->dim)
        return NAN;
    return G->hi[axis];
}

/* ----------------------------------------------------------------- charts */

int rt_patch_chart(HyCtx *c, const RtPatch *P, int dim, const double *u, double *x, double *nrm)
{
    int ds = dim - P->lat, q = 0;
    for (int k = 0; k < dim; k++)
        nrm[k] = 0;
    switch (P->kind) {
    case RT_P_FACE:
        for (int j = 0; j < ds; j++)
            x[j] = j == P->axis ? P->value : P->lo[j] + u[q++] * (P->hi[j] - P->lo[j]);
        nrm[P->axis] = P->sign;
        break;
    case RT_P_SEG:
        x[0] = P->p0[0] + u[0] * (P->p1[0] - P->p0[0]);
        x[1] = P->p0[1] + u[0] * (P->p1[1] - P->p0[1]);
        if (P->axis >= 0)
            x[P->axis] = P->value;  /* exact on axis-aligned edges */
        nrm[0] = P->nrm[0];
        nrm[1] = P->nrm[1];
        q = 1;
        break;
    case RT_P_ARC: {
        double th = TWO_PI * u[0], cs = cos(th), sn = sin(th);
        x[0] = P->cx + P->r * cs;
        x[1] = P->cy + P->r * sn;
        nrm[0] = cs;
        nrm[1] = sn;
        q = 1;
        break;
    }
    case RT_P_END:
    case RT_P_SLICE: {
        int ax = P->axis;
        for (int j = 0; j < dim; j++)
            x[j] = j == ax ? P->value : P->lo[j] + u[q++] * (P->hi[j] - P->lo[j]);
        if (P->kind == RT_P_END) {
            nrm[ax] = P->sign;
            return P->space_box || rt_geom_contains(c, &c->geo->g[P->space], x);
        }
        return rt_geom_contains(c, &c->geo->g[P->space], x);
    }
    }
    if (P->lat)
        x[dim - 1] = P->t0 + u[q] * (P->t1 - P->t0);
    return 1;
}

void rt_patch_extents(const RtPatch *P, int dim, double *ext)
{
    int ds = dim - P->lat, q = 0;
    ext[0] = 0;
    switch (P->kind) {
    case RT_P_FACE:
        for (int j = 0; j < ds; j++)
            if (j != P->axis)
                ext[q++] = P->hi[j] - P->lo[j];
        break;
    case RT_P_SEG:
        ext[q++] = hypot(P->p1[0] - P->p0[0], P->p1[1] - P->p0[1]);
        break;
    case RT_P_ARC:
        ext[q++] = TWO_PI * P->r;
        break;
    default:
        for (int j = 0; j < dim; j++)
            if (j != P->axis)
                ext[q++] = P->hi[j] - P->lo[j];
        return;
    }
    if (P->lat)
        ext[q] = P->t1 - P->t0;
}
