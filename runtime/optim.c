/* optim.c -- optimizers, clipping, bounds, training phases and the training
 * step of one substep.
 *
 * First-order optimizers (h = hyper-parameters in hy_optimizer's order, lr =
 * h[0] times the schedule factor, g the gradient, every line elementwise),
 * written in PyTorch's single-tensor operation order so float64 results match
 * torch.optim closely:
 *   SGD      (torch.optim.SGD, dampening 0)
 *            d = g + wd p                      (when wd != 0)
 *            b = d at the first step, else b = mu b + d   (when mu != 0)
 *            d = nesterov ? d + mu b : b       (when mu != 0)
 *            p = p + (-lr) d
 *            state: b [n], step count [1]
 *   Adam     (torch.optim.Adam, amsgrad off)
 *            t += 1;  g = g + wd p (when wd != 0)
 *            m += (1 - b1) (g - m)             (torch lerp with weight 1 - b1 < 0.5)
 *            v  = b2 v + (1 - b2) g g
 *            p += (-lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 *            state: m [n], v [n], t [1]
 *   AdamW    (torch.optim.AdamW) p = p (1 - lr wd), then Adam without wd
 *   RMSprop  (torch.optim.RMSprop, not centred)
 *            q = alpha q + (1 - alpha) g g;  a = sqrt(q) + eps
 *            mu > 0: b = mu b + g / a;  p = p + (-lr) b
 *            mu = 0: p = p + (-lr) (g / a)
 *            state: q [n], b [n]
 *   MultiAdam (Yao et al., ICML 2023; the authors' PINNacle
 *            src/optimizer/multiadam.py, restated in shared ALGORITHMS.md):
 *            one group per loss term k = 0..K-1, group gradient g_k = the
 *            gradient of w_k L_k alone (the step function runs once per term);
 *            t += 1 (shared);  m_k = b1 m_k + (1 - b1) g_k;  v_k = b2 v_k + (1 - b2) g_k g_k
 *            u = sum_k m_k / (sqrt(v_k) / sqrt(1 - b2^t) + eps)    (k ascending)
 *            p = p - (lr / (1 - b1^t)) (u / K)
 *            state: m_0, v_0, m_1, v_1, ... [n] each, t [1]
 * L-BFGS(-B) is lbfgs.c; a substep whose trainables use it runs one
 * rt_lbfgs_run per step over their packed parameters.
 *
 * Phases: c->phase[p - 1] describes explicit phase p >= 1; phase 0 is implicit
 * (count = hy_set_epochs or hy_epochs, no override).  Substeps are tagged
 * with the phase current at their declaration, and a phase's substeps are
 * contiguous (declared between two hy_phase calls).
 */
#include <immintrin.h>
#include <math.h>
#include <string.h>
#include "rt_internal.h"

typedef struct RtPhase {
    long count;                 /* epochs or iterations */
    int is_iterations;          /* naming only */
    int opt_kind;               /* override (HY_OPT_*), or -1 */
    double hyper[RT_MAX_HYPER]; /* its hyper-parameters, defaults filled */
    long sub_begin;             /* first substep of the phase */
} RtPhase;

/* Kinds: name, number of hyper-parameters, defaults. */
static const struct {
    const char *name;
    int nmax;
    double def[RT_MAX_HYPER];
} kinds[HY_OPT_COUNT] = {
    [HY_OPT_ADAM] = {"adam", 5, {1e-3, 0.9, 0.999, 1e-8, 0.0}},
    [HY_OPT_SGD] = {"sgd", 4, {1e-3, 0.0, 0.0, 0.0}},
    [HY_OPT_ADAMW] = {"adamw", 5, {1e-3, 0.9, 0.999, 1e-8, 1e-2}},
    [HY_OPT_RMSPROP] = {"rmsprop", 4, {1e-2, 0.99, 1e-8, 0.0}},
    [HY_OPT_LBFGS] = {"lbfgs", 5, {1.0, 100, 20, 1e-7, 1e-9}},
    [HY_OPT_MULTIADAM] = {"multiadam", 4, {1e-3, 0.99, 0.99, 1e-8}},
};

static Trainable *tr_of(HyCtx *c, int t, const char *who)
{
    if (t < 0 || t >= c->ntr)
        RT_ICE("%s: no trainable %d (have %ld)", who, t, c->ntr);
    return &c->tr[t];
}

/* Checks kind and hyper, writes the full vector (defaults filled) to out. */
static void fill_hyper(int kind, int nhyper, const double *hyper, double out[RT_MAX_HYPER],
                       const char *who)
{
    if (kind < 0 || kind >= HY_OPT_COUNT)
        RT_ICE("%s: unknown optimizer kind %d", who, kind);
    if (nhyper < 0 || nhyper > kinds[kind].nmax || (nhyper > 0 && !hyper))
        RT_ICE("%s: %s takes at most %d hyper-parameters, got %d", who, kinds[kind].name,
               kinds[kind].nmax, nhyper);
    for (int i = 0; i < RT_MAX_HYPER; i++)
        out[i] = i < nhyper ? hyper[i] : kinds[kind].def[i];
    const double *h = out;
    int ok = 1;
    for (int i = 0; i < kinds[kind].nmax; i++)
        ok &= isfinite(h[i]) && h[i] >= 0.0;
    switch (kind) {
    case HY_OPT_SGD:
        ok &= (h[2] == 0.0 || h[2] == 1.0) && (h[2] == 0.0 || h[1] > 0.0);
        break;
    case HY_OPT_ADAM:
    case HY_OPT_ADAMW:
    case HY_OPT_MULTIADAM:
        ok &= h[1] < 1.0 && h[2] < 1.0;
        break;
    case HY_OPT_RMSPROP:
        ok &= h[1] <= 1.0;
        break;
    case HY_OPT_LBFGS:
        ok &= h[0] > 0.0 && h[1] >= 1.0 && h[1] <= 10000.0 && h[1] == floor(h[1]) &&
              h[2] >= 1.0 && h[2] <= 1e9 && h[2] == floor(h[2]);
        break;
    }
    if (!ok)
        RT_ICE("%s: invalid %s hyper-parameters (lr %g, %g, %g, %g, %g)", who, kinds[kind].name,
               h[0], h[1], h[2], h[3], h[4]);
}

void hy_optimizer(HyCtx *c, int t, int kind, int nhyper, const double *hyper)
{
    Trainable *tr = tr_of(c, t, "hy_optimizer");
    if (c->finalized)
        RT_ICE("hy_optimizer for '%s' after training started", tr->name);
    fill_hyper(kind, nhyper, hyper, tr->hyper, tr->name);
    tr->opt_kind = kind;
    tr->nhyper = kinds[kind].nmax;
}

void hy_opt_clip(HyCtx *c, int t, int kind, double v)
{
    Trainable *tr = tr_of(c, t, "hy_opt_clip");
    if ((kind != HY_CLIP_NORM && kind != HY_CLIP_VALUE) || !(v > 0.0) || !isfinite(v))
        RT_ICE("hy_opt_clip '%s': kind %d, threshold %g", tr->name, kind, v);
    tr->clip_kind = kind;
    tr->clip = v;
}

void hy_bounds(HyCtx *c, int t, double lo, double hi)
{
    Trainable *tr = tr_of(c, t, "hy_bounds");
    if (isnan(lo) || isnan(hi) || !(lo < hi))
        RT_ICE("hy_bounds '%s': [%g, %g]", tr->name, lo, hi);
    tr->bounded = 1;
    tr->blo = lo;
    tr->bhi = hi;
}

/* ---- phases ---- */

void hy_phase(HyCtx *c, long count, int is_iterations, int opt_kind, int nhyper,
              const double *hyper)
{
    if (c->finalized)
        RT_ICE("hy_phase after training started");
    if (count < 0)
        RT_ICE("hy_phase: count %ld", count);
    rt_grow((void **)&c->phase, &c->cap_phase, c->nphase, sizeof(RtPhase), "phases");
    RtPhase *ph = &c->phase[c->nphase];
    memset(ph, 0, sizeof *ph);
    ph->count = count;
    ph->is_iterations = is_iterations != 0;
    ph->opt_kind = opt_kind < 0 ? -1 : opt_kind;
    if (opt_kind >= 0)
        fill_hyper(opt_kind, nhyper, hyper, ph->hyper, "hy_phase");
    ph->sub_begin = c->nsub;
    c->nphase++;
}

static long phase_count(HyCtx *c, int p)
{
    if (p == 0)
        return c->epochs_override > 0 ? c->epochs_override : c->epochs;
    return c->phase[p - 1].count;
}

int rt_phase_override(HyCtx *c, int p) { return p == 0 ? -1 : c->phase[p - 1].opt_kind; }
long rt_phase_count(HyCtx *c, int p) { return phase_count(c, p); }

void rt_phase_range(HyCtx *c, int p, long *s0, long *s1)
{
    *s0 = p == 0 ? 0 : c->phase[p - 1].sub_begin;
    *s1 = p < c->nphase ? c->phase[p].sub_begin : c->nsub;
}

long rt_total_epochs(HyCtx *c)
{
    long E = 0;
    for (int p = 0; p <= c->nphase; p++)
        E += phase_count(c, p);
    return E;
}

int rt_epoch_begin(HyCtx *c, long e, long *s0, long *s1)
{
    long before = 0;
    int p = 0;
    while (p < c->nphase && e > before + phase_count(c, p)) {
        before += phase_count(c, p);
        p++;
    }
    c->cur_phase = p;
    c->epoch_now = e - 1;
    if (e == 1)
        c->step_token++;   /* a new hy_train: nothing carries over from before it */
    rt_phase_range(c, p, s0, s1);
    return e == before + phase_count(c, p);
}

void rt_epoch_end(HyCtx *c)
{
    long s0, s1;
    if (rt_phase_override(c, c->cur_phase) >= 0)
        return;
    rt_phase_range(c, c->cur_phase, &s0, &s1);
    rt_sched_epoch_end(c, s0, s1);
}

/* ---- effective optimizer of trainable k of a substep ---- */

typedef struct {
    int kind;
    const double *h;
    int own;        /* the trainable's own optimizer (schedule and clipping apply) */
} Spec;

static Spec sub_spec(HyCtx *c, const Substep *sb, int k)
{
    Spec sp;
    int ov = rt_phase_override(c, sb->phase);
    if (ov >= 0) {
        sp.kind = ov;
        sp.h = c->phase[sb->phase - 1].hyper;
        sp.own = 0;
    } else {
        const Trainable *t = &c->tr[sb->train[k]];
        sp.kind = t->opt_kind;
        sp.h = t->hyper;
        sp.own = 1;
    }
    return sp;
}

long rt_opt_state_len(int kind, long n, int nloss)
{
    switch (kind) {
    case HY_OPT_SGD: return n + 1;
    case HY_OPT_ADAM:
    case HY_OPT_ADAMW: return 2 * n + 1;
    case HY_OPT_RMSPROP: return 2 * n;
    case HY_OPT_LBFGS: return 0;
    case HY_OPT_MULTIADAM: return 2 * (long)nloss * n + 1;
    }
    RT_ICE("unknown optimizer kind %d", kind);
}

long rt_sub_state_len(HyCtx *c, const Substep *sb, int k)
{
    Spec sp = sub_spec(c, sb, k);
    return rt_opt_state_len(sp.kind, c->tr[sb->train[k]].len, sb->nloss);
}

/* ---- first-order steps ---- */

/* adam_core's loop over [0, n4) (n4 a multiple of 4) with AVX: the same
 * operations in the same order per element (separate multiplies and adds, no
 * FMA; vsqrtpd and vdivpd are correctly rounded like sqrt and /), so the
 * results are bitwise those of the scalar loop. */
__attribute__((target("avx"))) static void
adam_avx(long n4, double *p, const double *g, double *m, double *v, double wd, double w1,
         double b2, double w2, double bc2s, double eps, double neg_step_size)
{
    const __m256d vwd = _mm256_set1_pd(wd), vw1 = _mm256_set1_pd(w1), vb2 = _mm256_set1_pd(b2);
    const __m256d vw2 = _mm256_set1_pd(w2), vbc = _mm256_set1_pd(bc2s);
    const __m256d veps = _mm256_set1_pd(eps), vns = _mm256_set1_pd(neg_step_size);
    const __m256d om = _mm256_set1_pd(1.0 - w1);
    for (long i = 0; i < n4; i += 4) {
        __m256d gi = _mm256_loadu_pd(g + i), pi = _mm256_loadu_pd(p + i);
        __m256d mi = _mm256_loadu_pd(m + i), vi = _mm256_loadu_pd(v + i);
        if (wd != 0.0)
            gi = _mm256_add_pd(gi, _mm256_mul_pd(vwd, pi));
        if (w1 < 0.5)
            mi = _mm256_add_pd(mi, _mm256_mul_pd(vw1, _mm256_sub_pd(gi, mi)));
        else
            mi = _mm256_sub_pd(gi, _mm256_mul_pd(_mm256_sub_pd(gi, mi), om));
        vi = _mm256_add_pd(_mm256_mul_pd(vi, vb2), _mm256_mul_pd(_mm256_mul_pd(gi, gi), vw2));
        __m256d den = _mm256_add_pd(_mm256_div_pd(_mm256_sqrt_pd(vi), vbc), veps);
        pi = _mm256_add_pd(pi, _mm256_div_pd(_mm256_mul_pd(vns, mi), den));
        _mm256_storeu_pd(m + i, mi);
        _mm256_storeu_pd(v + i, vi);
        _mm256_storeu_pd(p + i, pi);
    }
}

static void adam_core(const double *h, double lr, long n, double *p, const double *g, double *st,
                      double wd)
{
    const double b1 = h[1], b2 = h[2], eps = h[3];
    double *m = st, *v = st + n;
    double step = st[2 * n] += 1.0;
    const double bc1 = 1.0 - pow(b1, step), bc2s = sqrt(1.0 - pow(b2, step));
    const double neg_step_size = -(lr / bc1), w1 = 1.0 - b1, w2 = 1.0 - b2;
    static int has_avx = -1;
    if (has_avx < 0) {
        __builtin_cpu_init();
        has_avx = __builtin_cpu_supports("avx");
    }
    long i0 = 0;
    if (has_avx) {   /* measured: 1-D PINN epoch (2209 parameters) 0.069 -> 0.063 ms CPU */
        i0 = n & ~3L;
        adam_avx(i0, p, g, m, v, wd, w1, b2, w2, bc2s, eps, neg_step_size);
    }
    for (long i = i0; i < n; i++) {
        double gi = g[i];
        if (wd != 0.0)
            gi = gi + wd * p[i];
        if (w1 < 0.5)
            m[i] = m[i] + w1 * (gi - m[i]);
        else
            m[i] = gi - (gi - m[i]) * (1.0 - w1);
        v[i] = v[i] * b2 + gi * gi * w2;
        double denom = sqrt(v[i]) / bc2s + eps;
        p[i] = p[i] + neg_step_size * m[i] / denom;
    }
}

void rt_opt_step(int kind, const double *h, double lr, long n, double *p, const double *g,
                 double *st)
{
    switch (kind) {
    case HY_OPT_ADAM:
        adam_core(h, lr, n, p, g, st, h[4]);
        return;
    case HY_OPT_ADAMW: {
        const double f = 1.0 - lr * h[4];
        for (long i = 0; i < n; i++)
            p[i] *= f;
        adam_core(h, lr, n, p, g, st, 0.0);
        return;
    }
    case HY_OPT_SGD: {
        const double mu = h[1], wd = h[3];
        const int nesterov = h[2] != 0.0, first = st[n] == 0.0;
        double *b = st;
        st[n] += 1.0;
        for (long i = 0; i < n; i++) {
            double d = g[i];
            if (wd != 0.0)
                d = d + wd * p[i];
            if (mu != 0.0) {
                b[i] = first ? d : mu * b[i] + d;
                d = nesterov ? d + mu * b[i] : b[i];
            }
            p[i] = p[i] + (-lr) * d;
        }
        return;
    }
    case HY_OPT_RMSPROP: {
        const double alpha = h[1], eps = h[2], mu = h[3];
        double *q = st, *b = st + n;
        for (long i = 0; i < n; i++) {
            q[i] = q[i] * alpha + (1.0 - alpha) * g[i] * g[i];
            double a = sqrt(q[i]) + eps;
            if (mu > 0.0) {
                b[i] = b[i] * mu + g[i] / a;
                p[i] = p[i] + (-lr) * b[i];
            } else {
                p[i] = p[i] + (-lr) * (g[i] / a);
            }
        }
        return;
    }
    }
    RT_ICE("rt_opt_step: optimizer kind %d is not first-order", kind);
}

static void clip_grad(const Trainable *t, double *g)
{
    if (t->clip_kind == HY_CLIP_NORM) {
        double s = 0.0;
        for (long i = 0; i < t->len; i++)
            s += g[i] * g[i];
        double nrm = sqrt(s);
        if (nrm > t->clip) {
            double f = t->clip / nrm;
            for (long i = 0; i < t->len; i++)
                g[i] *= f;
        }
    } else if (t->clip_kind == HY_CLIP_VALUE) {
        for (long i = 0; i < t->len; i++)
            g[i] = fmin(fmax(g[i], -t->clip), t->clip);
    }
}

static void project(const Trainable *t, double *p)
{
    if (!t->bounded)
        return;
    for (long i = 0; i < t->len; i++)
        p[i] = fmin(fmax(p[i], t->blo), t->bhi);
}

/* ---- layout ---- */

void rt_optim_finalize(HyCtx *c)
{
    long total = 0;
    int maxterms = 0, anymulti = 0;
    for (long s = 0; s < c->nsub; s++) {
        Substep *sb = &c->sub[s];
        maxterms = sb->nloss > maxterms ? sb->nloss : maxterms;
        int nlb = 0;
        const double *lbh = NULL;
        sb->multi = 0;
        for (int k = 0; k < sb->ntrain; k++) {
            Spec sp = sub_spec(c, sb, k);
            if (sp.kind == HY_OPT_LBFGS) {
                if (lbh && memcmp(lbh, sp.h, sizeof(double) * RT_MAX_HYPER) != 0)
                    RT_ICE("substep '%s': its L-BFGS trainables have different settings",
                           sb->label);
                lbh = sp.h;
                nlb++;
            }
            sb->multi |= sp.kind == HY_OPT_MULTIADAM;
            sb->state_off[k] = total;
            total += rt_opt_state_len(sp.kind, c->tr[sb->train[k]].len, sb->nloss);
        }
        if (nlb && nlb != sb->ntrain)
            RT_ICE("substep '%s' mixes L-BFGS with other optimizers", sb->label);
        anymulti |= sb->multi;
        if (nlb) {
            long n = 0;
            for (int k = 0; k < sb->ntrain; k++)
                n += c->tr[sb->train[k]].len;
            sb->lbfgs = rt_xcalloc(1, sizeof(RtLbfgs), "L-BFGS state");
            rt_lbfgs_init(sb->lbfgs, n > 0 ? n : 1, (int)lbh[1]);
            sb->lbfgs->lr = lbh[0];
            sb->lbfgs->tol_grad = lbh[3];
            sb->lbfgs->tol_change = lbh[4];
            sb->lb_n = n;
            sb->lb_x = rt_xcalloc((size_t)(n + 1), sizeof(double), "L-BFGS state");
            sb->lb_lo = rt_xcalloc((size_t)(n + 1), sizeof(double), "L-BFGS state");
            sb->lb_hi = rt_xcalloc((size_t)(n + 1), sizeof(double), "L-BFGS state");
            long q = 0;
            for (int k = 0; k < sb->ntrain; k++) {
                const Trainable *t = &c->tr[sb->train[k]];
                for (long i = 0; i < t->len; i++, q++) {
                    sb->lb_lo[q] = t->bounded ? t->blo : -INFINITY;
                    sb->lb_hi[q] = t->bounded ? t->bhi : INFINITY;
                }
            }
        }
    }
    c->opt_state = rt_xcalloc((size_t)(total > 0 ? total : 1), sizeof(double),
                              "optimizer state");
    c->opt_state_len = total;
    if (anymulti)
        c->scratch = rt_xcalloc((size_t)(c->nparams > 0 ? c->nparams : 1), sizeof(double),
                                "MultiAdam direction");
    c->wbuf = rt_xcalloc((size_t)maxterms + 1, sizeof(double), "step weights");
    c->loss_snap = rt_xcalloc((size_t)c->nloss + 1, sizeof(double), "loss snapshot");
}

void rt_optim_free(HyCtx *c)
{
    for (long s = 0; s < c->nsub; s++) {
        Substep *sb = &c->sub[s];
        hy_free(sb->coef);
        hy_free(sb->tbal);
        hy_free(sb->tidx);
        if (sb->lbfgs) {
            rt_lbfgs_free(sb->lbfgs);
            hy_free(sb->lbfgs);
        }
        hy_free(sb->lb_x);
        hy_free(sb->lb_lo);
        hy_free(sb->lb_hi);
    }
    for (long t = 0; t < c->ntr; t++)
        rt_sched_free(&c->tr[t]);
    hy_free(c->phase);
    hy_free(c->scratch);
    hy_free(c->wbuf);
    hy_free(c->loss_snap);
    rt_bal_free(c);
}

/* ---- one training step ---- */

static void zero_grads(HyCtx *c, const Substep *sb, int only_multi)
{
    for (int k = 0; k < sb->ntrain; k++) {
        if (only_multi && sub_spec(c, sb, k).kind != HY_OPT_MULTIADAM)
            continue;
        const Trainable *t = &c->tr[sb->train[k]];
        memset(c->grads + t->off, 0, sizeof(double) * (size_t)t->len);
    }
}

/* Id of the first non-finite loss of sb, or -1. */
static int bad_loss(HyCtx *c, const Substep *sb)
{
    for (int k = 0; k < sb->nloss; k++)
        if (!isfinite(c->loss_values[sb->loss[k]]))
            return sb->loss[k];
    return -1;
}

/* -2 - (index of the first trainable of sb whose gradient holds a NaN or
 * inf), or -1 when all are finite.  One pass: g * 0 is 0 for finite g and
 * NaN otherwise, so the sums are NaN exactly when some g is not finite. */
static int bad_grad(HyCtx *c, const Substep *sb)
{
    for (int k = 0; k < sb->ntrain; k++) {
        const Trainable *t = &c->tr[sb->train[k]];
        const double *g = c->grads + t->off;
        double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;   /* each 0 unless some g[i] is NaN or inf */
        long i = 0;
        for (; i + 4 <= t->len; i += 4) {
            s0 += g[i] * 0.0;
            s1 += g[i + 1] * 0.0;
            s2 += g[i + 2] * 0.0;
            s3 += g[i + 3] * 0.0;
        }
        for (; i < t->len; i++) s0 += g[i] * 0.0;
        if (isnan(s0 + s1 + s2 + s3))
            return -2 - sb->train[k];
    }
    return -1;
}

/* MultiAdam pass q (term q's gradient is in grads): moments of group q, the
 * direction accumulated in scratch. */
static void multiadam_pass(HyCtx *c, const Substep *sb, int k, int q, const Spec *sp)
{
    Trainable *t = &c->tr[sb->train[k]];
    const long n = t->len;
    double *g = c->grads + t->off, *u = c->scratch + t->off;
    double *st = c->opt_state + sb->state_off[k];
    double *m = st + 2 * (long)q * n, *v = m + n;
    const double b1 = sp->h[1], b2 = sp->h[2], eps = sp->h[3];
    const double step = st[2 * (long)sb->nloss * n] + 1.0;
    const double bc2s = sqrt(1.0 - pow(b2, step));
    if (sp->own)
        clip_grad(t, g);
    for (long i = 0; i < n; i++) {
        m[i] = b1 * m[i] + (1.0 - b1) * g[i];
        v[i] = b2 * v[i] + (1.0 - b2) * g[i] * g[i];
        double d = m[i] / (sqrt(v[i]) / bc2s + eps);
        u[i] = q == 0 ? d : u[i] + d;
    }
}

static void multiadam_finish(HyCtx *c, const Substep *sb, int k, const Spec *sp, double lr)
{
    Trainable *t = &c->tr[sb->train[k]];
    const long n = t->len;
    double *p = c->params + t->off, *u = c->scratch + t->off;
    double *st = c->opt_state + sb->state_off[k];
    const double step = st[2 * (long)sb->nloss * n] += 1.0;
    const double f = lr / (1.0 - pow(sp->h[1], step)), K = (double)sb->nloss;
    for (long i = 0; i < n; i++)
        p[i] = p[i] - f * (u[i] / K);
}

/* L-BFGS objective: parameters from x, step function, weighted total. */
typedef struct {
    HyCtx *c;
    long s;
} LbCall;

static void lb_copy(HyCtx *c, const Substep *sb, double *x, int to_params, const double *src)
{
    if (!to_params) {
        rt_pack(c, sb->train, sb->ntrain, src, x);
        return;
    }
    long q = 0;
    for (int k = 0; k < sb->ntrain; k++) {
        const Trainable *t = &c->tr[sb->train[k]];
        memcpy(c->params + t->off, x + q, sizeof(double) * (size_t)t->len);
        q += t->len;
    }
}

static double lb_objective(void *ud, const double *x, double *g)
{
    LbCall *lc = ud;
    HyCtx *c = lc->c;
    Substep *sb = &c->sub[lc->s];
    lb_copy(c, sb, (double *)x, 1, NULL);
    zero_grads(c, sb, 0);
    sb->fn(c);
    double f = rt_substep_total(c, lc->s);
    lb_copy(c, sb, g, 0, c->grads);
    if (isfinite(f) && f < c->lb_best) {
        c->lb_best = f;
        memcpy(c->loss_snap, c->loss_values, sizeof(double) * (size_t)c->nloss);
    }
    return f;
}

static int lbfgs_step(HyCtx *c, long s)
{
    Substep *sb = &c->sub[s];
    RtLbfgs *lb = sb->lbfgs;
    Spec sp = sub_spec(c, sb, 0);
    rt_weights_begin(c, s, 1);
    lb_copy(c, sb, sb->lb_x, 0, c->params);
    /* Reuse the end point of this substep's previous step (saves the start
     * evaluation) only if nothing ran since (no other step or step-function
     * call: step_token moved by exactly this step), no balancer weighs its
     * terms, no point set can have been redrawn (hy_ps_update redraws in
     * phase 0 only), and its parameters are bitwise those that step returned. */
    lb->reuse = sb->lb_stamp == c->step_token - 1 && sb->nbal_terms == 0 && !sb->bal_inner && sb->phase > 0 &&
                lb->have_last &&
                memcmp(sb->lb_x, lb->xbest, sizeof(double) * (size_t)sb->lb_n) == 0;
    c->lb_best = lb->reuse ? lb->fbest : INFINITY;
    LbCall lc = {c, s};
    int st = rt_lbfgs_run(lb, sb->lb_x, sb->lb_lo, sb->lb_hi, lb_objective, &lc, (int)sp.h[2]);
    lb_copy(c, sb, sb->lb_x, 1, NULL);
    sb->lb_stamp = c->step_token;
    c->bal_live = 0;
    if (st == RT_LBFGS_NONFINITE) {   /* a loss, else the gradient at finite losses */
        if (bad_loss(c, sb) >= 0) return bad_loss(c, sb);
        return bad_grad(c, sb) < -1 ? bad_grad(c, sb) : -2 - sb->train[0];
    }
    memcpy(c->loss_values, c->loss_snap, sizeof(double) * (size_t)c->nloss);
    if (st == RT_LBFGS_LINESEARCH && sb->lb_fail++ == 0)
        fprintf(stderr, "hycoc: warning: L-BFGS in substep '%s', epoch %ld: %s\n", sb->label,
                c->epoch_now + 1, lb->reason);
    for (int k = 0; k < sb->ntrain; k++) {
        c->tr[sb->train[k]].lr_now = sp.h[0];
        c->tr[sb->train[k]].lr_set = 1;
    }
    return -1;
}

int rt_train_step(HyCtx *c, long s)
{
    Substep *sb = &c->sub[s];
    if (sb->lbfgs)
        return lbfgs_step(c, s);
    rt_weights_begin(c, s, 1);
    zero_grads(c, sb, 0);
    int npass = sb->multi ? sb->nloss : 1;
    for (int q = 0; q < npass; q++) {
        if (sb->multi) {
            c->pass = q + 1;
            if (q > 0)
                zero_grads(c, sb, 1);
        }
        sb->fn(c);
        int bad = q == 0 ? bad_loss(c, sb) : -1;
        if (bad == -1) bad = bad_grad(c, sb);   /* finite losses can still have a NaN gradient */
        if (bad != -1) {
            c->pass = 0;
            c->bal_live = 0;
            return bad;
        }
        if (sb->multi)
            for (int k = 0; k < sb->ntrain; k++) {
                Spec sp = sub_spec(c, sb, k);
                if (sp.kind == HY_OPT_MULTIADAM)
                    multiadam_pass(c, sb, k, q, &sp);
            }
    }
    c->pass = 0;
    c->bal_live = 0;
    for (int k = 0; k < sb->ntrain; k++) {
        Trainable *t = &c->tr[sb->train[k]];
        Spec sp = sub_spec(c, sb, k);
        double lr = sp.h[0] * (sp.own ? rt_sched_factor(c, t) : 1.0);
        t->lr_now = lr;
        t->lr_set = 1;
        double *p = c->params + t->off, *g = c->grads + t->off;
        if (sp.kind == HY_OPT_MULTIADAM) {
            multiadam_finish(c, sb, k, &sp, lr);
        } else {
            if (sp.own)
                clip_grad(t, g);
            rt_opt_step(sp.kind, sp.h, lr, t->len, p, g, c->opt_state + sb->state_off[k]);
        }
        project(t, p);
    }
    return -1;
}
