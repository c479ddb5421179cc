/* schedule.c -- learning-rate schedules.
 *
 * A trainable's schedule gives a factor f(s) multiplying its optimizer's lr,
 * s = hy_epoch(c) (epochs completed before the current one, over all
 * phases).  Closed forms and parameter orders are documented at hy_schedule
 * in hyrt_api.h; the conventions follow optax (exponential_decay with
 * end_value, cosine_decay_schedule, warmup_cosine_decay_schedule) except
 * that the step is the epoch index.  Clamps (hy_schedule_clamp) apply last.
 *
 * DLRS (Dharanalakota, Raikar & Ghosh, Machine Learning with Applications 21
 * (2025) 100697, arXiv:2507.21749): the paper adapts the lr once per epoch
 * from the batch losses of that epoch; training here is full-batch, so a
 * window of `window` consecutive epochs plays the epoch's batches: J_j = the
 * raw sum of the losses of the substeps of the current phase that update the
 * trainable, taken at the end of epoch j.  After each full window (windows
 * do not overlap): D = (J_w - J_1) / mean(J); if D != 0,
 *   f <- |f - D delta 10^floor(log10 f)|,  delta = delta_dec if D > 0 else delta_inc,
 * then f is clamped to [lo, hi].  This is the authors' `step` (MNIST
 * experiments' utils/dlrs.py); their PINN variant additionally adapts the
 * deltas on large |D|, which is not done here.  Defaults are the PINN
 * variant's: delta_inc 0.1, delta_dec 1, bounds [1e-5, 0.1].
 */
#include <math.h>
#include <string.h>
#include "rt_internal.h"

typedef struct RtSched {
    int kind;                   /* HY_SCHED_* */
    int np;                     /* parameters in p */
    double *p;                  /* parameters, defaults filled (owned) */
    HyEvalFn fn;                /* HY_SCHED_FN */
    int clamp;                  /* hy_schedule_clamp given */
    double lo, hi;              /* its bounds */
    double lr;                  /* DLRS: current value */
    double *win;                /* DLRS: window [w] */
    int nwin, w;                /* values in the window, window length */
} RtSched;

static Trainable *tr_of(HyCtx *c, int t, const char *who)
{
    if (t < 0 || t >= c->ntr)
        RT_ICE("%s: no trainable %d (have %ld)", who, t, c->ntr);
    if (c->finalized)
        RT_ICE("%s for '%s' after training started", who, c->tr[t].name);
    return &c->tr[t];
}

static RtSched *sched_of(Trainable *tr)
{
    if (!tr->sched)
        tr->sched = rt_xcalloc(1, sizeof(RtSched), "schedule");
    return tr->sched;
}

void rt_sched_free(Trainable *t)
{
    if (!t->sched)
        return;
    hy_free(t->sched->p);
    hy_free(t->sched->win);
    hy_free(t->sched);
    t->sched = NULL;
}

void hy_schedule(HyCtx *c, int t, int kind, int nparam, const double *param)
{
    Trainable *tr = tr_of(c, t, "hy_schedule");
    static const int lo[] = {0, 3, 2, 3, 2, 2}, hi[] = {1, 4, 3, 5, -1, 4};
    static const double def[6][5] = {
        {1}, {0, 0, 0, 0}, {0, 0, 0}, {0, 0, 0, 0, 0}, {0}, {0, 0, 0.1, 1.0}};
    if (kind < HY_SCHED_CONSTANT || kind > HY_SCHED_DLRS || nparam < lo[kind] ||
        (hi[kind] >= 0 && nparam > hi[kind]) || (nparam > 0 && !param))
        RT_ICE("hy_schedule '%s': kind %d with %d parameters", tr->name, kind, nparam);
    int np = hi[kind] >= 0 ? hi[kind] : nparam;
    double *p = rt_xcalloc((size_t)np + 1, sizeof(double), "schedule");
    for (int i = 0; i < np; i++)
        p[i] = i < nparam ? param[i] : def[kind][i];
    int ok = 1;
    for (int i = 0; i < np; i++)
        ok &= isfinite(p[i]);
    switch (kind) {
    case HY_SCHED_EXPONENTIAL: ok &= p[2] > 0 && p[1] > 0 && p[3] >= 0; break;
    case HY_SCHED_COSINE: ok &= p[0] > 0; break;
    case HY_SCHED_WARMUP_COSINE: ok &= p[0] > 0 && p[1] >= 0 && p[1] <= p[0]; break;
    case HY_SCHED_PIECEWISE: {
        int nb = (int)p[0];
        ok &= p[0] == nb && nb >= 0 && nparam == 2 * nb + 2;
        for (int j = 2; ok && j <= nb; j++)
            ok &= p[j] >= p[j - 1];
        break;
    }
    case HY_SCHED_DLRS:
        ok &= p[0] > 0 && p[1] >= 2 && p[1] == floor(p[1]) && p[1] <= 1e6 && p[2] >= 0 &&
              p[3] >= 0;
        break;
    }
    if (!ok) {
        hy_free(p);
        RT_ICE("hy_schedule '%s': invalid parameters for kind %d", tr->name, kind);
    }
    RtSched *s = sched_of(tr);
    hy_free(s->p);
    hy_free(s->win);
    s->win = NULL;
    s->kind = kind;
    s->np = np;
    s->p = p;
    s->fn = NULL;
    if (kind == HY_SCHED_DLRS) {
        s->lr = p[0];
        s->w = (int)p[1];
        s->nwin = 0;
        s->win = rt_xcalloc((size_t)s->w, sizeof(double), "DLRS window");
    }
}

void hy_schedule_clamp(HyCtx *c, int t, double min_lr, double max_lr)
{
    Trainable *tr = tr_of(c, t, "hy_schedule_clamp");
    if (isnan(min_lr) || isnan(max_lr) || min_lr > max_lr)
        RT_ICE("hy_schedule_clamp '%s': [%g, %g]", tr->name, min_lr, max_lr);
    RtSched *s = sched_of(tr);
    s->clamp = 1;
    s->lo = min_lr;
    s->hi = max_lr;
}

void hy_schedule_fn(HyCtx *c, int t, HyEvalFn fn)
{
    Trainable *tr = tr_of(c, t, "hy_schedule_fn");
    if (!fn)
        RT_ICE("hy_schedule_fn '%s' without a function", tr->name);
    RtSched *s = sched_of(tr);
    hy_free(s->p);
    hy_free(s->win);
    s->p = NULL;
    s->win = NULL;
    s->np = 0;
    s->kind = HY_SCHED_FN;
    s->fn = fn;
}

double hy_epoch(HyCtx *c) { return (double)c->epoch_now; }

double hy_lr(HyCtx *c, int t)
{
    if (t < 0 || t >= c->ntr)
        RT_ICE("hy_lr: no trainable %d", t);
    Trainable *tr = &c->tr[t];
    if (tr->lr_set)
        return tr->lr_now;
    return tr->hyper[0] * rt_sched_factor(c, tr);
}

double rt_sched_factor(HyCtx *c, Trainable *t)
{
    const RtSched *s = t->sched;
    if (!s)
        return 1.0;
    const double x = (double)c->epoch_now, *p = s->p;
    double f = 1.0;
    switch (s->kind) {
    case HY_SCHED_CONSTANT:
        f = p[0];
        break;
    case HY_SCHED_EXPONENTIAL:
        f = p[0] * pow(p[1], x / p[2]);
        if (p[3] > 0)
            f = p[1] < 1 ? fmax(f, p[3]) : fmin(f, p[3]);
        break;
    case HY_SCHED_COSINE:
        f = x < p[0] ? p[2] + (p[1] - p[2]) * 0.5 * (1.0 + cos(M_PI * x / p[0])) : p[2];
        break;
    case HY_SCHED_WARMUP_COSINE:
        if (x < p[1])
            f = p[4] + (p[2] - p[4]) * x / p[1];
        else if (x < p[0])
            f = p[3] + (p[2] - p[3]) * 0.5 * (1.0 + cos(M_PI * (x - p[1]) / (p[0] - p[1])));
        else
            f = p[3];
        break;
    case HY_SCHED_PIECEWISE: {
        int nb = (int)p[0], i = 0;
        while (i < nb && p[1 + i] <= x)
            i++;
        f = p[1 + nb + i];
        break;
    }
    case HY_SCHED_DLRS:
        f = s->lr;
        break;
    case HY_SCHED_FN:
        f = s->fn(c);
        break;
    }
    if (s->clamp)
        f = fmin(fmax(f, s->lo), s->hi);
    return f;
}

/* One DLRS observation J; updates the value after every full window. */
static void dlrs_push(RtSched *s, double J)
{
    s->win[s->nwin++] = J;
    if (s->nwin < s->w)
        return;
    s->nwin = 0;
    double mean = 0.0;
    for (int j = 0; j < s->w; j++)
        mean += s->win[j];
    mean /= s->w;
    if (!(mean != 0.0) || !isfinite(mean))
        return;
    double D = (s->win[s->w - 1] - s->win[0]) / mean;
    if (D == 0.0 || !isfinite(D))
        return;
    double delta = D > 0.0 ? s->p[3] : s->p[2];
    double f = fabs(s->lr - D * delta * pow(10.0, floor(log10(s->lr))));
    double lo = s->clamp ? s->lo : 1e-5, hi = s->clamp ? s->hi : 0.1;
    f = fmin(fmax(f, lo), hi);
    if (f > 0.0)
        s->lr = f;
}

void rt_sched_epoch_end(HyCtx *c, long s0, long s1)
{
    for (long ti = 0; ti < c->ntr; ti++) {
        Trainable *t = &c->tr[ti];
        if (!t->sched || t->sched->kind != HY_SCHED_DLRS)
            continue;
        double J = 0.0;
        int used = 0;
        for (long s = s0; s < s1; s++) {
            const Substep *sb = &c->sub[s];
            int has = 0;
            for (int k = 0; k < sb->ntrain; k++)
                has |= sb->train[k] == ti;
            if (!has)
                continue;
            used = 1;
            for (int k = 0; k < sb->nloss; k++)
                J += c->loss_values[sb->loss[k]];
        }
        if (used)
            dlrs_push(t->sched, J);
    }
}

/* Checkpoint state (rt_ck_array): per trainable with a DLRS schedule, the
 * array "sched.NAME" = [current value, values in the window, window...]. */
void rt_sched_ck(HyCtx *c, RtCkWalk *w)
{
    for (long ti = 0; ti < c->ntr; ti++) {
        Trainable *t = &c->tr[ti];
        RtSched *s = t->sched;
        if (!s || s->kind != HY_SCHED_DLRS)
            continue;
        char name[RT_NAME_MAX + 8], what[RT_NAME_MAX + 32];
        snprintf(name, sizeof name, "sched.%s", t->name);
        snprintf(what, sizeof what, "DLRS state of '%s'", t->name);
        long len = 2 + s->w;
        double *a = rt_xcalloc((size_t)len, sizeof(double), "checkpoint");
        a[0] = s->lr;
        a[1] = s->nwin;
        memcpy(a + 2, s->win, sizeof(double) * (size_t)s->w);
        if (rt_ck_array(w, name, what, a, 1, &len)) {
            if (!(a[0] > 0.0) || !isfinite(a[0]) || !(a[1] >= 0.0) || a[1] >= s->w ||
                a[1] != floor(a[1]))
                rt_ck_bad(w, name, "value or window count out of range");
            else {
                s->lr = a[0];
                s->nwin = (int)a[1];
                memcpy(s->win, a + 2, sizeof(double) * (size_t)s->w);
            }
        }
        hy_free(a);
    }
}
