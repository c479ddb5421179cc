/* pointset.c -- point sets that are drawn anew or grow during training
 * ('resample every N', 'grow every N by residual(...)'), and jet plans over
 * a growing set.
 *
 * Contracts are in hyrt_api.h ("redrawn and growing point sets") and hyrt.h
 * (hy_ps_update).  Requires: the geometry of a registered set exists
 * (geom.c); its storage lies in V and stays put.  Guarantees: every draw is
 * the sampler of sample.c with stream = the point set's id and round =
 * epoch / every (round 0 at setup), RAR-D picks use hy_rar_select with
 * stream = the grown or resampled set's id and counter base round * npool,
 * so a run is a pure function of the seed; after setup nothing is
 * allocated (scratch, the chosen-index buffer and hy_rar_select's keys are
 * sized at registration).
 */
#include <stdlib.h>
#include <string.h>
#include "rt_internal.h"
#include "geom_impl.h"

enum { PS_FIXED = 0, PS_RESAMPLE = 1, PS_RAR = 2 };

typedef struct RtPs {
    char name[RT_NAME_MAX];     /* for messages */
    int used;                   /* registered by hy_ps_sampler */
    int g, method, boundary, sel, axis;
    double value;               /* boundary selection (hy_geom_resample_boundary) */
    int dim;
    long n, cap;                /* live count, storage capacity */
    double *coords, *normals;   /* [dim][cap] in V; normals NULL off the boundary */
    int kind;                   /* PS_FIXED, PS_RESAMPLE or PS_RAR */
    long every;                 /* epochs between redraws */
    int grows;                  /* PS_RAR: 1 appends add points, 0 replaces all n */
    long add;
    int pool;                   /* PS_RAR: the candidate set */
    double k, cc;               /* PS_RAR: p ~ r^k / mean(r^k) + cc */
    HyStepFn residual, refresh_pool, refresh;
    const double *r;            /* PS_RAR: residual of the pool after residual(c) [npool] */
    long *chosen;               /* PS_RAR: picks [nsel max] */
} RtPs;

struct RtPsTab {
    RtPs *p;                    /* indexed by point-set id [n] */
    long n, cap;
};

static RtPs *ps_get(HyCtx *c, int ps, const char *who)
{
    struct RtPsTab *t = c->pstab;
    if (!t || ps < 0 || ps >= t->n || !t->p[ps].used)
        RT_ICE("%s: point set %d was not registered by hy_ps_sampler", who, ps);
    return &t->p[ps];
}

static _Noreturn void ps_fail(HyCtx *c, const RtPs *P, const char *msg)
{
    char what[RT_NAME_MAX + 16];
    snprintf(what, sizeof what, "point set '%s'", P->name);
    hy_fail(c, what, msg);
    exit(1);   /* hy_fail does not return */
}

/* Draws points 0..n-1 of P in round `round` into its storage (stride cap),
 * through scratch when the stride is not n.  Exits with a message when the
 * sampler fails. */
static void ps_draw(HyCtx *c, RtPs *P, int id, long round, long n, double *scratch)
{
    double *x = P->cap == n ? P->coords : scratch;
    double *nrm = !P->normals ? NULL : P->cap == n ? P->normals : scratch + (size_t)P->dim * (size_t)n;
    long got = P->boundary ? hy_geom_resample_boundary(c, P->g, P->sel, P->axis, P->value, P->method, n, id,
                                                       round, x, nrm)
                           : hy_geom_resample(c, P->g, P->method, n, id, round, x);
    if (got != n)
        ps_fail(c, P, got < 0 ? hy_geom_error(c) : "the sampler returned a different number of points");
    if (P->cap == n)
        return;
    for (int k = 0; k < P->dim; k++) {
        memcpy(P->coords + (size_t)k * (size_t)P->cap, x + (size_t)k * (size_t)n, sizeof(double) * (size_t)n);
        if (nrm)
            memcpy(P->normals + (size_t)k * (size_t)P->cap, nrm + (size_t)k * (size_t)n,
                   sizeof(double) * (size_t)n);
    }
}

void hy_ps_sampler(HyCtx *c, int ps, const char *name, int g, int method, int boundary, int sel, int axis,
                   double value, long n, long cap, double *coords, double *normals)
{
    int dim = hy_geom_dim(c, g);
    if (ps < 0 || dim < 1 || n < 1 || cap < n || !coords || (boundary && !normals))
        RT_ICE("hy_ps_sampler '%s': ps %d, geometry %d (dim %d), n %ld, cap %ld", name ? name : "", ps, g, dim, n,
               cap);
    if (!c->pstab)
        c->pstab = rt_xcalloc(1, sizeof *c->pstab, "point sets");
    struct RtPsTab *t = c->pstab;
    if (ps >= t->n) {
        long old = t->cap;
        rt_grow((void **)&t->p, &t->cap, ps, sizeof(RtPs), "point sets");
        memset(t->p + old, 0, sizeof(RtPs) * (size_t)(t->cap - old));
        t->n = ps + 1;
    }
    RtPs *P = &t->p[ps];
    if (P->used)
        RT_ICE("hy_ps_sampler: point set %d registered twice", ps);
    memset(P, 0, sizeof *P);
    snprintf(P->name, sizeof P->name, "%s", name ? name : "");
    P->used = 1;
    P->g = g;
    P->method = method;
    P->boundary = boundary;
    P->sel = sel;
    P->axis = axis;
    P->value = value;
    P->dim = dim;
    P->n = n;
    P->cap = cap;
    P->coords = coords;
    P->normals = boundary ? normals : NULL;
    P->pool = -1;
    double *scratch = NULL;
    if (cap != n)
        scratch = rt_xmalloc(sizeof(double) * (size_t)dim * (size_t)n * (boundary ? 2 : 1), "point sample");
    ps_draw(c, P, ps, 0, n, scratch);
    hy_free(scratch);
}

long hy_ps_count(HyCtx *c, int ps) { return ps_get(c, ps, "hy_ps_count")->n; }

long rt_ps_live(HyCtx *c, int ps) { return ps_get(c, ps, "jet plan")->n; }

void hy_ps_resample(HyCtx *c, int ps, long every, HyStepFn refresh)
{
    RtPs *P = ps_get(c, ps, "hy_ps_resample");
    if (every < 1 || P->kind != PS_FIXED || P->cap != P->n)
        RT_ICE("hy_ps_resample '%s': every %ld, n %ld of %ld", P->name, every, P->n, P->cap);
    P->kind = PS_RESAMPLE;
    P->every = every;
    P->refresh = refresh;
}

void hy_ps_rar(HyCtx *c, int ps, long every, int pool, long add, double k, double cc, HyStepFn residual,
               const double *r, HyStepFn refresh_pool, HyStepFn refresh)
{
    RtPs *P = ps_get(c, ps, "hy_ps_rar");
    RtPs *Q = ps_get(c, pool, "hy_ps_rar (pool)");
    long nsel = add > 0 ? add : P->n;
    if (every < 1 || P->kind != PS_FIXED || pool == ps || Q->dim != P->dim || !Q->normals != !P->normals ||
        Q->cap != Q->n || add < 0 || (add == 0 && P->cap != P->n) || nsel > Q->n || !residual || !r ||
        !(k >= 0) || !(cc >= 0))
        RT_ICE("hy_ps_rar '%s': every %ld, pool %d (%ld points), add %ld, k %g, c %g", P->name, every, pool, Q->n,
               add, k, cc);
    P->kind = PS_RAR;
    P->every = every;
    P->grows = add > 0;
    P->add = add;
    P->pool = pool;
    P->k = k;
    P->cc = cc;
    P->residual = residual;
    P->r = r;
    P->refresh_pool = refresh_pool;
    P->refresh = refresh;
    P->chosen = rt_xmalloc(sizeof(long) * (size_t)nsel, "RAR-D picks");
    rt_geo_scratch(c, RT_SCR_KEYS, sizeof(double) * (size_t)nsel);   /* hy_rar_select's keys, now */
}

/* One RAR-D round of P (id ps): candidates, residual, picks, gather.
 * Returns 0 when nothing changed (a full growing set). */
static int rar_round(HyCtx *c, RtPs *P, int ps, long round)
{
    RtPs *Q = &c->pstab->p[P->pool];
    long nsel = P->grows ? (P->add < P->cap - P->n ? P->add : P->cap - P->n) : P->n;
    if (nsel <= 0)
        return 0;   /* full: a run longer than the spec's epochs keeps the capacity */
    ps_draw(c, Q, P->pool, round, Q->n, NULL);
    if (P->refresh_pool)
        P->refresh_pool(c);
    P->residual(c);
    long got = hy_rar_select(c, ps, round * Q->n, Q->n, P->r, P->k, P->cc, nsel, P->chosen);
    if (got != nsel)
        ps_fail(c, P, got < 0 ? hy_geom_error(c) : "RAR-D picked fewer points than asked");
    long at = P->grows ? P->n : 0;
    hy_gather_points(P->dim, Q->n, Q->coords, got, P->chosen, P->cap, at, P->coords);
    if (P->normals)
        hy_gather_points(P->dim, Q->n, Q->normals, got, P->chosen, P->cap, at, P->normals);
    if (P->grows)
        P->n += got;
    return 1;
}

void hy_ps_update(HyCtx *c, long epoch)
{
    struct RtPsTab *t = c->pstab;
    if (!t || epoch <= 0)
        return;
    for (long i = 0; i < t->n; i++) {
        RtPs *P = &t->p[i];
        if (!P->used || P->kind == PS_FIXED || epoch % P->every != 0)
            continue;
        long round = epoch / P->every;
        if (round >= 1L << 20)
            ps_fail(c, P, "more than 2^20 redraws");
        if (P->kind == PS_RESAMPLE)
            ps_draw(c, P, (int)i, round, P->n, NULL);
        else if (!rar_round(c, P, (int)i, round))
            continue;
        if (P->refresh)
            P->refresh(c);
    }
}

int hy_jet_plan_ps(HyCtx *c, int net, int ps, int ncomp, const int *comps, const double *X, double *out,
                   const double *dout_adj, double *dX)
{
    RtPs *P = ps_get(c, ps, "hy_jet_plan_ps");
    if (P->cap > 0x7fffffffL)
        RT_ICE("hy_jet_plan_ps '%s': %ld points", P->name, P->cap);
    int id = hy_jet_plan(c, net, (int)P->cap, ncomp, comps, X, out, dout_adj, dX);
    rt_jet_live(c->plans[id], ps);
    return id;
}

void rt_ps_free(HyCtx *c)
{
    struct RtPsTab *t = c->pstab;
    if (!t)
        return;
    for (long i = 0; i < t->n; i++)
        hy_free(t->p[i].chosen);
    hy_free(t->p);
    hy_free(t);
    c->pstab = NULL;
}

/* Checkpoint state (rt_ck_array): every redrawn or growing set and every
 * RAR-D candidate pool, as "ps.ID.NAME" (its coordinates [dim][cap]),
 * "ps.ID.NAME.normals" (boundary sets) and "ps.ID.NAME.count" [live count].
 * After a load the refresh functions run, so the static values over the
 * points are those of the saved run. */
void rt_ps_ck(HyCtx *c, RtCkWalk *w)
{
    struct RtPsTab *t = c->pstab;
    int loaded = 0;
    for (long i = 0; t && i < t->n; i++) {
        RtPs *P = &t->p[i];
        int pool = 0;
        for (long j = 0; j < t->n; j++)
            pool |= t->p[j].used && t->p[j].kind == PS_RAR && t->p[j].pool == i;
        if (!P->used || (P->kind == PS_FIXED && !pool))
            continue;
        char name[RT_NAME_MAX + 48], what[RT_NAME_MAX + 32];
        snprintf(what, sizeof what, "points of point set '%s'", P->name);
        long shape[2] = {P->dim, P->cap}, one = 1;
        snprintf(name, sizeof name, "ps.%ld.%s", i, P->name);
        loaded |= rt_ck_array(w, name, what, P->coords, 2, shape);
        if (P->normals) {
            snprintf(name, sizeof name, "ps.%ld.%s.normals", i, P->name);
            rt_ck_array(w, name, what, P->normals, 2, shape);
        }
        double n = (double)P->n;
        snprintf(name, sizeof name, "ps.%ld.%s.count", i, P->name);
        if (rt_ck_array(w, name, what, &n, 1, &one)) {
            if (!(n >= 1 && n <= (double)P->cap && n == (double)(long)n) || (!P->grows && n != (double)P->n))
                rt_ck_bad(w, name, "live count out of range");
            else
                P->n = (long)n;
        }
    }
    for (long i = 0; loaded && i < t->n; i++) {
        RtPs *P = &t->p[i];
        if (P->used && P->kind == PS_RAR && P->refresh_pool)
            P->refresh_pool(c);
        if (P->used && P->refresh)
            P->refresh(c);
    }
}
