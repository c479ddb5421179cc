/* balance.c -- adaptive loss weights (balancers), the step weights of a
 * substep (hy_step_weights, hy_substep_term) and tracked columns.
 *
 * A balancer advances once per training step of a substep using it, inside
 * that step's first hy_step_weights call or, for weights inside a loss
 * expression, its first hy_balancer_weight call (the step function has
 * written the balancer's losses by then), so its weights are functions of the
 * current losses, used stop-gradient for the same step's gradient.  Inputs l_k are the raw losses
 * transformed by the mode (hyrt_api.h).  t = number of the advance (from 1),
 * K = number of losses.  Formulas (restated from the sources; details and
 * defaults in the shared ALGORITHMS.md):
 *
 * ReLoBRaLo (Bischof & Kraus 2021, arXiv:2110.09813; authors' code
 *   rbischof/relative_balancing, src/update_rules.py):
 *     lhat_k(t, u) = K exp(a_k - max a) / sum_j exp(a_j - max a),
 *                    a_k = l_k(t) / (tau l_k(u) + 1e-12)   (the max-shift only
 *                    avoids overflow; it is the same softmax)
 *     lambda(t) = A (r lambda(t-1) + (1 - r) lhat(t, 1)) + (1 - A) lhat(t, t-1)
 *     l(1) is the look-back reference, lambda(0) = 1; A = 1 at t = 1, 0 at
 *     t = 2, alpha after; r = 1 if hy_rng_uniform(seed, stream 0, t) < rho else 0.
 * SoftAdapt (Heydari, Thompson & Mehmood 2019, arXiv:1912.12355; package
 *   dr-aheydari/SoftAdapt): slopes s_k = forward finite difference of order
 *   window - 1 over the last `window` raw values L_k (oldest first, the
 *   coefficient rows below); the mode scales the slopes, not the losses:
 *   minmax divides s_k by L_k's observed range max_k - min_k (when > 0), l2
 *   by the current sqrt(sum_j L_j^2); variant 1 then divides by sum_j s_j;
 *   e_k = exp(beta (s_k - max s)), times the window mean of the raw L_k for
 *   variant 2 (the paper's loss weighting: the losses' own size);
 *   lambda_k = K e_k / (sum_j e_j + 1e-8).  Sliding window, every advance.
 *   (Transforming the losses instead, as the other balancers do, made
 *   minmax starve a steadily falling loss: at its running minimum it maps to
 *   0, and so does its loss-weighted factor.)
 * DWA (Liu, Johns & Davison, CVPR 2019; LibMTL DWA.py): lambda = 1 for t <= 2,
 *   then lambda_k = K exp(r_k / T - max) / sum_j exp(r_j / T - max),
 *   r_k = l_k(t-1) / l_k(t-2) (1 when l_k(t-2) = 0).
 * lbPINNs / uncertainty weighting (Kendall, Gal & Cipolla, CVPR 2018; Xiang
 *   et al., Neurocomputing 2022): s_k = log sigma_k^2 start at init_s;
 *   lambda_k = exp(-s_k) (the weights of this step); then one Adam step
 *   (torch order, lr_s, 0.9, 0.999, 1e-8) on s with gradient
 *   d/ds_k sum_j (exp(-s_j) l_j + s_j) = 1 - exp(-s_k) l_k.
 * RLW (Lin et al., TMLR 2022): a Dirichlet(alpha 1_K) draw z, lambda = K z.
 *   Gamma(alpha) variates by Marsaglia & Tsang (ACM TOMS 26(3), 2000; for
 *   alpha < 1, Gamma(alpha + 1) U^(1/alpha)); normals from stream 1, accept
 *   uniforms from stream 2, the U of alpha < 1 from stream 3, counter
 *   ((t - 1) K + k) 64 + attempt.
 * Streams: hy_rng_*(seed, RT_BAL_STREAM + 4 b + i, counter), b = balancer id,
 * disjoint from init (trainable ids), hy_noise (2^32 + ...) and Fourier
 * features (2^33 + ...).
 */
#include <math.h>
#include <string.h>
#include "rt_internal.h"

#define RT_BAL_STREAM 0x300000000ULL
#define RT_ONES 256

typedef struct RtBal {
    char name[RT_NAME_MAX];
    int kind, mode, n;
    int *loss;                  /* loss ids [n] */
    double prm[3];              /* parameters, defaults filled */
    double *w;                  /* current weights [n] */
    double *l;                  /* transformed losses of the advance [n] */
    double *lmin, *lmax;        /* MINMAX: observed range of the raw losses [n] */
    double *h;                  /* history: relobralo l(1), l(t-1); dwa l(t-1), l(t-2);
                                 * softadapt ring [window][n] */
    int hcount, hhead;          /* softadapt: values in the ring, slot of the oldest */
    double *s, *m, *v;          /* lbpinns: log-variances, Adam moments [n] */
    long t;                     /* advances done */
    unsigned long token;        /* step_token of the last advance */
} RtBal;

typedef struct RtTrack {
    char name[2 * RT_NAME_MAX + 4];
    int bal;                    /* balancer id, or -1: lr of trainable `id`, -2: its first parameter */
    int id;                     /* weight index / trainable id */
} RtTrack;

/* Forward-difference coefficients of order 1..5 (SoftAdapt, window 2..6). */
static const double fd_coef[5][6] = {
    {-1.0, 1.0},
    {-3.0 / 2.0, 2.0, -1.0 / 2.0},
    {-11.0 / 6.0, 3.0, -3.0 / 2.0, 1.0 / 3.0},
    {-25.0 / 12.0, 4.0, -3.0, 4.0 / 3.0, -1.0 / 4.0},
    {-137.0 / 60.0, 5.0, -5.0, 10.0 / 3.0, -5.0 / 4.0, 1.0 / 5.0},
};

static RtBal *bal_of(HyCtx *c, int b, const char *who)
{
    if (b < 0 || b >= c->nbal)
        RT_ICE("%s: no balancer %d (have %ld)", who, b, c->nbal);
    return &c->bal[b];
}

int hy_balancer(HyCtx *c, const char *name, int kind, int nloss, const int *losses, int nparam,
                const double *param, int mode)
{
    static const int np[] = {3, 3, 1, 2, 1};
    static const double def[5][3] = {
        {0.999, 0.1, 0.999}, {0.1, 5, 2}, {2.0}, {0.0, 1e-3}, {1.0}};
    const char *nm = name ? name : "";
    if (c->finalized)
        RT_ICE("hy_balancer '%s' after training started", nm);
    if (kind < HY_BAL_RELOBRALO || kind > HY_BAL_RLW || nloss < 1 || nloss > RT_ONES || !losses ||
        nparam < 0 || nparam > np[kind] || (nparam > 0 && !param) || mode < HY_BMODE_RAW ||
        mode > HY_BMODE_L2)
        RT_ICE("hy_balancer '%s': kind %d, %d losses, %d parameters, mode %d", nm, kind, nloss,
               nparam, mode);
    double p[3] = {0, 0, 0};
    for (int i = 0; i < 3; i++)
        p[i] = i < nparam ? param[i] : def[kind][i];
    int ok = isfinite(p[0]) && isfinite(p[1]) && isfinite(p[2]);
    switch (kind) {
    case HY_BAL_RELOBRALO: ok &= p[0] >= 0 && p[0] <= 1 && p[1] > 0 && p[2] >= 0 && p[2] <= 1; break;
    case HY_BAL_SOFTADAPT: ok &= p[1] >= 2 && p[1] <= 6 && p[1] == floor(p[1]) &&
                                 (p[2] == 0 || p[2] == 1 || p[2] == 2); break;
    case HY_BAL_DWA: ok &= p[0] > 0; break;
    case HY_BAL_LBPINNS: ok &= p[1] >= 0; break;
    case HY_BAL_RLW: ok &= p[0] > 0; break;
    }
    for (int k = 0; k < nloss; k++)
        ok &= losses[k] >= 0 && losses[k] < c->nloss;
    if (!ok)
        RT_ICE("hy_balancer '%s': invalid parameters or losses", nm);
    rt_grow((void **)&c->bal, &c->cap_bal, c->nbal, sizeof(RtBal), "balancers");
    RtBal *b = &c->bal[c->nbal];
    memset(b, 0, sizeof *b);
    snprintf(b->name, sizeof b->name, "%s", nm);
    b->kind = kind;
    b->mode = mode;
    b->n = nloss;
    memcpy(b->prm, p, sizeof p);
    int hist = kind == HY_BAL_SOFTADAPT ? (int)p[1] : 2;
    size_t n = (size_t)nloss;
    b->loss = rt_xcalloc(n, sizeof(int), "balancer");
    memcpy(b->loss, losses, sizeof(int) * n);
    b->w = rt_xcalloc((8 + (size_t)hist) * n, sizeof(double), "balancer");
    b->l = b->w + n;
    b->lmin = b->l + n;
    b->lmax = b->lmin + n;
    b->s = b->lmax + n;
    b->m = b->s + n;
    b->v = b->m + n;
    b->h = b->v + n;   /* hist x n, then one spare row */
    for (int k = 0; k < nloss; k++) {
        b->w[k] = 1.0;
        b->s[k] = kind == HY_BAL_LBPINNS ? p[0] : 0.0;
    }
    return (int)c->nbal++;
}

const double *hy_balancer_weights(HyCtx *c, int b) { return bal_of(c, b, "hy_balancer_weights")->w; }

void rt_bal_free(HyCtx *c)
{
    for (long b = 0; b < c->nbal; b++) {
        hy_free(c->bal[b].loss);
        hy_free(c->bal[b].w);
    }
    hy_free(c->bal);
    hy_free(c->track);
    c->bal = NULL;
    c->track = NULL;
}

/* ---- advancing ---- */

/* K softmax_k(a_k) into out, max-shifted. */
static void softmax_k(int K, const double *a, double *out)
{
    double mx = -INFINITY, sum = 0.0;
    for (int k = 0; k < K; k++)
        mx = fmax(mx, a[k]);
    for (int k = 0; k < K; k++) {
        out[k] = exp(a[k] - mx);
        sum += out[k];
    }
    for (int k = 0; k < K; k++)
        out[k] = K * out[k] / sum;
}

static double gamma_draw(uint64_t seed, uint64_t stream, uint64_t ctr, double alpha)
{
    double a = alpha < 1.0 ? alpha + 1.0 : alpha, d = a - 1.0 / 3.0, cc = 1.0 / sqrt(9.0 * d);
    double g = d;
    for (uint64_t att = 0; att < 64; att++) {
        double x = hy_rng_normal(seed, stream + 1, ctr * 64 + att);
        double v = 1.0 + cc * x;
        if (v <= 0.0)
            continue;
        v = v * v * v;
        double u = hy_rng_uniform(seed, stream + 2, ctr * 64 + att);
        if (log(u) < 0.5 * x * x + d - d * v + d * log(v)) {
            g = d * v;
            break;
        }
    }
    if (alpha < 1.0)
        g *= pow(hy_rng_uniform(seed, stream + 3, ctr), 1.0 / alpha);
    return g;
}

static void bal_advance(HyCtx *c, int bi)
{
    RtBal *b = &c->bal[bi];
    const int K = b->n;
    const uint64_t stream = RT_BAL_STREAM + 4 * (uint64_t)bi;
    double *l = b->l, a[RT_ONES] = {0}, lh[RT_ONES] = {0}, raw[RT_ONES];
    const long t = ++b->t;
    /* inputs */
    double nrm = 0.0;
    for (int k = 0; k < K; k++) {
        double L = c->loss_values[b->loss[k]];
        l[k] = L;
        raw[k] = L;
        nrm += L * L;
        if (t == 1 || L < b->lmin[k])
            b->lmin[k] = L;
        if (t == 1 || L > b->lmax[k])
            b->lmax[k] = L;
    }
    if (b->mode == HY_BMODE_MINMAX)
        for (int k = 0; k < K; k++)
            l[k] = b->lmax[k] > b->lmin[k] ? (l[k] - b->lmin[k]) / (b->lmax[k] - b->lmin[k]) : 1.0;
    else if (b->mode == HY_BMODE_L2 && nrm > 0.0)
        for (int k = 0; k < K; k++)
            l[k] = l[k] / sqrt(nrm);
    double *h0 = b->h, *h1 = b->h + K;
    switch (b->kind) {
    case HY_BAL_RELOBRALO: {
        const double alpha = b->prm[0], tau = b->prm[1], rho = b->prm[2];
        if (t == 1)
            memcpy(h0, l, sizeof(double) * (size_t)K);   /* l(1): the look-back reference */
        double A = t == 1 ? 1.0 : t == 2 ? 0.0 : alpha;
        double r = hy_rng_uniform(c->seed, stream, (uint64_t)t) < rho ? 1.0 : 0.0;
        double first[RT_ONES];
        for (int k = 0; k < K; k++)
            a[k] = l[k] / (tau * h0[k] + 1e-12);
        softmax_k(K, a, first);
        if (t > 1) {
            for (int k = 0; k < K; k++)
                a[k] = l[k] / (tau * h1[k] + 1e-12);
            softmax_k(K, a, lh);
        } else {
            memcpy(lh, first, sizeof(double) * (size_t)K);
        }
        for (int k = 0; k < K; k++)
            b->w[k] = A * (r * b->w[k] + (1.0 - r) * first[k]) + (1.0 - A) * lh[k];
        memcpy(h1, l, sizeof(double) * (size_t)K);
        break;
    }
    case HY_BAL_SOFTADAPT: {
        const int W = (int)b->prm[1], variant = (int)b->prm[2];
        const double beta = b->prm[0];
        int slot = (b->hhead + b->hcount) % W;
        if (b->hcount == W) {
            slot = b->hhead;
            b->hhead = (b->hhead + 1) % W;
        } else {
            b->hcount++;
        }
        memcpy(b->h + (size_t)slot * K, raw, sizeof(double) * (size_t)K);   /* the raw losses */
        if (b->hcount < W)
            break;
        double ssum = 0.0, smax = -INFINITY;
        for (int k = 0; k < K; k++) {
            double s = 0.0, mean = 0.0;
            for (int j = 0; j < W; j++) {
                double v = b->h[(size_t)((b->hhead + j) % W) * K + k];
                s += fd_coef[W - 2][j] * v;
                mean += v;
            }
            /* the mode scales the rate of change, never the loss means */
            if (b->mode == HY_BMODE_MINMAX && b->lmax[k] > b->lmin[k])
                s = s / (b->lmax[k] - b->lmin[k]);
            else if (b->mode == HY_BMODE_L2 && nrm > 0.0)
                s = s / sqrt(nrm);
            a[k] = s;
            lh[k] = mean / W;
            ssum += s;
        }
        if (variant == 1 && ssum != 0.0)
            for (int k = 0; k < K; k++)
                a[k] = a[k] / ssum;
        for (int k = 0; k < K; k++)
            smax = fmax(smax, a[k]);
        double den = 0.0;
        for (int k = 0; k < K; k++) {
            a[k] = exp(beta * (a[k] - smax));
            if (variant == 2)
                a[k] = lh[k] * a[k];
            den += a[k];
        }
        for (int k = 0; k < K; k++)
            b->w[k] = K * (a[k] / (den + 1e-8));
        break;
    }
    case HY_BAL_DWA: {
        if (t >= 3) {
            for (int k = 0; k < K; k++)
                a[k] = (h1[k] != 0.0 ? h0[k] / h1[k] : 1.0) / b->prm[0];
            softmax_k(K, a, b->w);
        }
        memcpy(h1, h0, sizeof(double) * (size_t)K);   /* l(t-2) <- l(t-1) */
        memcpy(h0, l, sizeof(double) * (size_t)K);    /* l(t-1) <- l(t) */
        break;
    }
    case HY_BAL_LBPINNS: {
        const double lr = b->prm[1], b1 = 0.9, b2 = 0.999, eps = 1e-8;
        const double bc1 = 1.0 - pow(b1, (double)t), bc2s = sqrt(1.0 - pow(b2, (double)t));
        for (int k = 0; k < K; k++) {
            double e = exp(-b->s[k]);
            b->w[k] = e;
            double g = 1.0 - e * l[k];
            b->m[k] = b->m[k] + (1.0 - b1) * (g - b->m[k]);
            b->v[k] = b->v[k] * b2 + g * g * (1.0 - b2);
            b->s[k] = b->s[k] + (-(lr / bc1)) * b->m[k] / (sqrt(b->v[k]) / bc2s + eps);
        }
        break;
    }
    case HY_BAL_RLW: {
        double sum = 0.0;
        for (int k = 0; k < K; k++) {
            a[k] = gamma_draw(c->seed, stream, (uint64_t)(t - 1) * (uint64_t)K + (uint64_t)k,
                              b->prm[0]);
            sum += a[k];
        }
        for (int k = 0; k < K; k++)
            b->w[k] = K * (a[k] / sum);
        break;
    }
    }
    b->token = c->step_token;
}

/* ---- step weights ---- */

static void refresh(HyCtx *c, Substep *sb)
{
    if (!sb->coef)
        return;
    for (int k = 0; k < sb->nloss; k++)
        sb->w[k] = sb->coef[k] * (sb->tbal[k] >= 0 ? c->bal[sb->tbal[k]].w[sb->tidx[k]] : 1.0);
}

void rt_weights_begin(HyCtx *c, long s, int live)
{
    Substep *sb = &c->sub[s];
    c->cur_sb = sb;
    c->pass = 0;
    c->bal_live = live;
    c->step_token++;   /* every (re)selection: L-BFGS reuse checks continuity */
    refresh(c, sb);
    c->cur_w = sb->w;
}

const double *hy_step_weights(HyCtx *c)
{
    static const double ones[RT_ONES] = {
#define O4 1, 1, 1, 1
#define O32 O4, O4, O4, O4, O4, O4, O4, O4
        O32, O32, O32, O32, O32, O32, O32, O32
#undef O32
#undef O4
    };
    Substep *sb = c->cur_sb;
    if (!sb)
        return ones;
    if (c->bal_live && sb->nbal_terms) {
        for (int k = 0; k < sb->nloss; k++) {
            int b = sb->tbal[k];
            if (b >= 0 && c->bal[b].token != c->step_token)
                bal_advance(c, b);
        }
        refresh(c, sb);
    }
    if (c->pass > 0) {
        for (int k = 0; k < sb->nloss; k++)
            c->wbuf[k] = k == c->pass - 1 ? sb->w[k] : 0.0;
        return c->wbuf;
    }
    return sb->w;
}

double hy_balancer_weight(HyCtx *c, int b, int index)
{
    RtBal *bal = bal_of(c, b, "hy_balancer_weight");
    if (index < 0 || index >= bal->n)
        RT_ICE("hy_balancer_weight: balancer '%s' has no weight %d", bal->name, index);
    if (c->bal_live && c->cur_sb && bal->token != c->step_token)
        bal_advance(c, b);
    return bal->w[index];
}

void hy_substep_balanced(HyCtx *c, int substep)
{
    if (substep < 0 || substep >= c->nsub)
        RT_ICE("hy_substep_balanced: no substep %d", substep);
    if (c->finalized)
        RT_ICE("hy_substep_balanced '%s' after training started", c->sub[substep].label);
    c->sub[substep].bal_inner = 1;
}

void hy_substep_term(HyCtx *c, int substep, int k, double coef, int balancer, int index)
{
    if (substep < 0 || substep >= c->nsub)
        RT_ICE("hy_substep_term: no substep %d", substep);
    Substep *sb = &c->sub[substep];
    if (c->finalized)
        RT_ICE("hy_substep_term '%s' after training started", sb->label);
    if (k < 0 || k >= sb->nloss || !isfinite(coef))
        RT_ICE("hy_substep_term '%s': term %d of %d, coefficient %g", sb->label, k, sb->nloss,
               coef);
    if (balancer >= 0) {
        RtBal *b = bal_of(c, balancer, "hy_substep_term");
        if (index < 0 || index >= b->n)
            RT_ICE("hy_substep_term '%s': balancer '%s' has no weight %d", sb->label, b->name,
                   index);
    }
    if (!sb->coef) {
        size_t n = (size_t)sb->nloss + 1;
        sb->coef = rt_xcalloc(n, sizeof(double), "substep terms");
        sb->tbal = rt_xcalloc(n, sizeof(int), "substep terms");
        sb->tidx = rt_xcalloc(n, sizeof(int), "substep terms");
        for (int j = 0; j < sb->nloss; j++) {
            sb->coef[j] = 1.0;
            sb->tbal[j] = -1;
        }
    }
    sb->coef[k] = coef;
    sb->tbal[k] = balancer < 0 ? -1 : balancer;
    sb->tidx[k] = balancer < 0 ? 0 : index;
    sb->nbal_terms = 0;
    for (int j = 0; j < sb->nloss; j++)
        sb->nbal_terms += sb->tbal[j] >= 0;
    refresh(c, sb);
}

double rt_substep_total(HyCtx *c, long s)
{
    const Substep *sb = &c->sub[s];
    double sum = 0.0;
    for (int k = 0; k < sb->nloss; k++)
        sum += sb->w[k] * c->loss_values[sb->loss[k]];
    for (int k = 0; sb->tbal && k < sb->nloss; k++) {
        int b = sb->tbal[k], seen = 0;
        if (b < 0 || c->bal[b].kind != HY_BAL_LBPINNS)
            continue;
        for (int j = 0; j < k; j++)
            seen |= sb->tbal[j] == b;
        if (seen)
            continue;
        for (int j = 0; j < c->bal[b].n; j++)
            sum += c->bal[b].s[j];
    }
    return sum;
}

/* ---- tracking ---- */

static RtTrack *add_track(HyCtx *c)
{
    if (c->finalized)
        RT_ICE("hy_track_* after training started");
    rt_grow((void **)&c->track, &c->cap_track, c->ntrack, sizeof(RtTrack), "tracked columns");
    return &c->track[c->ntrack++];
}

void hy_track_balancer(HyCtx *c, int b)
{
    RtBal *bal = bal_of(c, b, "hy_track_balancer");
    for (int k = 0; k < bal->n; k++) {
        RtTrack *tk = add_track(c);
        snprintf(tk->name, sizeof tk->name, "%s.%s", bal->name, c->loss_names[bal->loss[k]]);
        tk->bal = b;
        tk->id = k;
    }
}

void hy_track_lr(HyCtx *c, int t)
{
    if (t < 0 || t >= c->ntr)
        RT_ICE("hy_track_lr: no trainable %d", t);
    RtTrack *tk = add_track(c);
    snprintf(tk->name, sizeof tk->name, "lr.%s", c->tr[t].name);
    tk->bal = -1;
    tk->id = t;
}

void hy_track_param(HyCtx *c, int t)
{
    if (t < 0 || t >= c->ntr)
        RT_ICE("hy_track_param: no trainable %d", t);
    RtTrack *tk = add_track(c);
    snprintf(tk->name, sizeof tk->name, "%s", c->tr[t].name);
    tk->bal = -2;
    tk->id = t;
}

int rt_track_count(HyCtx *c) { return (int)c->ntrack; }

const char *rt_track_name(HyCtx *c, int j)
{
    if (j < 0 || j >= c->ntrack)
        RT_ICE("no tracked column %d", j);
    return c->track[j].name;
}

double rt_track_value(HyCtx *c, int j)
{
    if (j < 0 || j >= c->ntrack)
        RT_ICE("no tracked column %d", j);
    const RtTrack *tk = &c->track[j];
    if (tk->bal == -2)
        return c->params[c->tr[tk->id].off];
    return tk->bal >= 0 ? c->bal[tk->bal].w[tk->id] : hy_lr(c, tk->id);
}

/* Checkpoint state (rt_ck_array): per balancer "bal.NAME", its whole value
 * block (weights, transformed losses, ranges, lbPINNs s/m/v, histories:
 * (8 + history rows) x nloss), and "bal.NAME.counters" = [advances, token of
 * the last advance, values in the SoftAdapt ring, its oldest slot]. */
void rt_bal_ck(HyCtx *c, RtCkWalk *w)
{
    for (long bi = 0; bi < c->nbal; bi++) {
        RtBal *b = &c->bal[bi];
        const int hist = b->kind == HY_BAL_SOFTADAPT ? (int)b->prm[1] : 2;
        char name[RT_NAME_MAX + 16], what[RT_NAME_MAX + 32];
        snprintf(name, sizeof name, "bal.%s", b->name);
        snprintf(what, sizeof what, "state of balancer '%s'", b->name);
        long shape[2] = {8 + hist, b->n};
        rt_ck_array(w, name, what, b->w, 2, shape);
        snprintf(name, sizeof name, "bal.%s.counters", b->name);
        double k[4] = {(double)b->t, (double)b->token, b->hcount, b->hhead};
        long four = 4;
        if (rt_ck_array(w, name, what, k, 1, &four)) {
            int ok = 1;
            for (int i = 0; i < 4; i++)
                ok &= k[i] >= 0.0 && k[i] == floor(k[i]) && k[i] < 9007199254740992.0;
            ok &= k[2] <= hist && k[3] < hist;
            if (!ok)
                rt_ck_bad(w, name, "counters out of range");
            else {
                b->t = (long)k[0];
                b->token = (unsigned long)k[1];
                b->hcount = (int)k[2];
                b->hhead = (int)k[3];
            }
        }
    }
}
