/* test_net.c -- the network kinds of hy_net against independent references.
 *
 * For every kind (MLP, Fourier MLP, modified MLP, residual MLP, and Fourier
 * features in front of the modified and residual trunks) x every activation
 * x din in {1,2,3} x dout in {1,3} x input normalisation off/on:
 *   - the value equals a naive per-point evaluation of the documented
 *     architecture and parameter layout (hyrt_api.h, net.c), rel 1e-12;
 *   - every jet component of order 1 and 2 (mixed included) equals central
 *     finite differences of the value: first order h = 1e-5, tol 1e-6;
 *     second order h = 2.5e-4, tol 1e-4 (both relative: |jet - fd| /
 *     (|fd| + scale), scale = max |fd| of that component); h is scaled by
 *     the half-width of the normalisation box on normalised inputs;
 *   - every component of order 3 and 4 (all of them, mixed included; the
 *     sweep requests every component of order <= 4) equals the central
 *     difference (five points, h = 5e-4, scaled as above: error O(h^4), as
 *     Fourier features reach frequencies ~30) of an order-1-lower component
 *     computed by a separate plan of all components of order <= 3, removing
 *     the highest and, for a mixed one, also the lowest input: tol 1e-6
 *     relative as above (the order <= 2 components that anchor the chain
 *     are checked against differences of the value);
 *   - hy_jet_bwd's parameter gradient of L = sum_k c_k out_k (random c,
 *     every component) equals central differences over EVERY parameter
 *     (h = 1e-6, tol 1e-6 relative to |g| + max |g|), and so does dX over
 *     every input entry.
 * Plus: plans that request only a few components (internal components added);
 * Fourier features fixed (not parameters, unchanged by hy_jet_bwd, drawn as
 * documented); init determinism and the documented init formulas; hy_mlp ==
 * hy_net(HY_NET_MLP) bitwise; normalisation == the plain net at the mapped
 * inputs (value bitwise, derivatives times 2/(hi - lo) per order); no
 * allocation in hy_jet_fwd/hy_jet_bwd; bad declarations stop with an
 * internal error (exit 2).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "hyrt.h"
#include "rt_internal.h"
#include "tap.h"

enum { WIDTH = 9, DEPTH = 3, NPT = 5, NFEAT = 3, MAXDIN = 3, MAXDOUT = 3, MAXCOMP = 35, MAXR = 20 };
#define FSCALE 0.7
static const double PI = 3.14159265358979323846;

static const int KINDS[] = {HY_NET_MLP,
                            HY_NET_FOURIER,
                            HY_NET_MODIFIED,
                            HY_NET_RESNET,
                            HY_NET_FOURIER | HY_NET_MODIFIED,
                            HY_NET_FOURIER | HY_NET_RESNET};
enum { NKINDS = sizeof KINDS / sizeof KINDS[0] };
/* normalisation boxes of inputs 0..2: dx~/dx = 0.4, 8, 5 */
static const double LO[MAXDIN] = {-2.0, 0.5, 10.0}, HI[MAXDIN] = {3.0, 0.75, 10.4};

static const char *kind_name(int kind)
{
    switch (kind) {
    case HY_NET_MLP: return "mlp";
    case HY_NET_FOURIER: return "fourier";
    case HY_NET_MODIFIED: return "modified";
    case HY_NET_RESNET: return "resnet";
    case HY_NET_FOURIER | HY_NET_MODIFIED: return "fourier_modified";
    case HY_NET_FOURIER | HY_NET_RESNET: return "fourier_resnet";
    }
    return "?";
}

/* A context with one network, a full plan (comps, with adjoint and dX) and a
 * value-only plan on the same X. */
typedef struct Fix {
    HyCtx *c;
    int net, kind, act, din, dout, n, norm, ncomp, plan, vplan, rplan, nr;
    uint64_t seed;
    int comps[MAXCOMP], rcomps[MAXR];
    double *X, *out, *vout, *rout, *adj, *dX;
} Fix;

/* Codes of order k .. maxord with inputs >= lo (ascending), prefix code pre
 * of order k; appended at comps[*n]. */
static void comps_from(int din, int lo, int k, int maxord, int pre, int *comps, int *n)
{
    comps[(*n)++] = pre;
    if (k == maxord)
        return;
    for (int j = lo; j < din; j++)
        comps_from(din, j, k + 1, maxord, pre | (j + 1) << (8 * k), comps, n);
}

/* Every component of order <= maxord of a din-input net, by order; returns
 * the count. */
static int all_comps_to(int din, int maxord, int *comps)
{
    int tmp[64], nt = 0, k = 0;
    comps_from(din, 0, 0, maxord, 0, tmp, &nt);
    for (int o = 0; o <= maxord; o++)
        for (int i = 0; i < nt; i++) {
            int ord = 0;
            for (unsigned u = (unsigned)tmp[i]; u; u >>= 8)
                ord++;
            if (ord == o)
                comps[k++] = tmp[i];
        }
    return k;
}

/* Every component of order <= 2 of a din-input net; returns the count. */
static int all_comps(int din, int *comps) { return all_comps_to(din, 2, comps); }

static int code_order(int code)
{
    int ord = 0;
    for (unsigned u = (unsigned)code; u; u >>= 8)
        ord++;
    return ord;
}

/* opt vector for kind/norm: init, Fourier (nfeat NFEAT, scale FSCALE), box. */
static int make_opt(int kind, int init, int din, int norm, double *opt)
{
    opt[HY_NETOPT_INIT] = init;
    opt[HY_NETOPT_NFEAT] = (kind & HY_NET_FOURIER) ? NFEAT : 0;
    opt[HY_NETOPT_SCALE] = (kind & HY_NET_FOURIER) ? FSCALE : 0;
    opt[HY_NETOPT_NORM] = norm;
    for (int m = 0; m < din; m++) {
        opt[HY_NETOPT_LO + m] = LO[m];
        opt[HY_NETOPT_LO + din + m] = HI[m];
    }
    return norm ? HY_NETOPT_LO + 2 * din : HY_NETOPT_LO;
}

static void fix_new(Fix *f, int kind, int act, int din, int dout, int norm, int ncomp,
                    const int *comps, uint64_t seed)
{
    memset(f, 0, sizeof *f);
    f->kind = kind;
    f->act = act;
    f->din = din;
    f->dout = dout;
    f->n = NPT;
    f->norm = norm;
    f->ncomp = ncomp;
    f->seed = seed;
    memcpy(f->comps, comps, sizeof(int) * (size_t)ncomp);
    f->nr = all_comps_to(din, 3, f->rcomps);
    const long n = f->n, no = (long)ncomp * dout * n, nro = (long)f->nr * dout * n;
    f->c = hy_ctx_new();
    hy_seed(f->c, seed);
    hy_alloc(f->c, din * n + no + dout * n + nro, no + din * n);
    f->X = hy_values(f->c);
    f->out = f->X + din * n;
    f->vout = f->out + no;
    f->rout = f->vout + dout * n;
    f->adj = hy_adjoints(f->c);
    f->dX = f->adj + no;
    double opt[HY_NETOPT_LO + 2 * MAXDIN];
    int nopt = make_opt(kind, HY_INIT_GLOROT_NORMAL, din, norm, opt);
    f->net = hy_net(f->c, "u", kind, din, dout, WIDTH, DEPTH, act, nopt, opt);
    /* nonzero biases too: perturb every parameter */
    double *P = hy_params(f->c) + hy_param_offset(f->c, f->net);
    for (long k = 0; k < hy_param_count(f->c, f->net); k++)
        P[k] += 0.2 * (2 * hy_rng_uniform(seed, 99, (uint64_t)k) - 1);
    for (int m = 0; m < din; m++)
        for (long i = 0; i < n; i++) {
            double u = hy_rng_uniform(seed, 98, (uint64_t)(m * n + i));
            f->X[m * n + i] = norm ? LO[m] + (HI[m] - LO[m]) * u : 2 * u - 1;
        }
    for (long i = 0; i < no; i++)
        f->adj[i] = 2 * hy_rng_uniform(seed, 97, (uint64_t)i) - 1;
    f->plan = hy_jet_plan(f->c, f->net, (int)n, ncomp, f->comps, f->X, f->out, f->adj, f->dX);
    static const int zero = 0;
    f->vplan = hy_jet_plan(f->c, f->net, (int)n, 1, &zero, f->X, f->vout, NULL, NULL);
    f->rplan = hy_jet_plan(f->c, f->net, (int)n, f->nr, f->rcomps, f->X, f->rout, NULL, NULL);
}

/* Step scale of input m: the box half-width on normalised inputs, else 1. */
static double hscale(const Fix *f, int m) { return f->norm ? 0.5 * (HI[m] - LO[m]) : 1.0; }

/* Values [dout][n] with input j shifted by dj and input k by dk at every point. */
static void values_at(Fix *f, int j, double dj, int k, double dk, double *dst)
{
    const int n = f->n;
    double save[2][NPT];
    for (int i = 0; i < n; i++) {
        save[0][i] = f->X[j * n + i];
        save[1][i] = f->X[k * n + i];
    }
    for (int i = 0; i < n; i++)
        f->X[j * n + i] += dj;
    for (int i = 0; i < n; i++)
        f->X[k * n + i] += dk;
    hy_jet_fwd(f->c, f->vplan);
    for (int i = 0; i < n; i++) {
        f->X[j * n + i] = save[0][i];
        f->X[k * n + i] = save[1][i];
    }
    memcpy(dst, f->vout, sizeof(double) * (size_t)f->dout * n);
}

/* Component `code` (order <= 3) [dout][n] of the reference plan with input
 * j shifted by dj at every point. */
static void ref_at(Fix *f, int code, int j, double dj, double *dst)
{
    const int n = f->n;
    int r = 0;
    while (r < f->nr && f->rcomps[r] != code)
        r++;
    if (r == f->nr) {
        fprintf(stderr, "test_net: no reference component 0x%x\n", code);
        exit(2);
    }
    double save[NPT];
    for (int i = 0; i < n; i++) {
        save[i] = f->X[j * n + i];
        f->X[j * n + i] += dj;
    }
    hy_jet_fwd(f->c, f->rplan);
    for (int i = 0; i < n; i++)
        f->X[j * n + i] = save[i];
    memcpy(dst, f->rout + (long)r * f->dout * n, sizeof(double) * (size_t)f->dout * n);
}

/* Jet components vs central differences of the value (orders <= 2) or of a
 * component one order lower (orders 3, 4: header); worst relative errors
 * of the value (vs the value-only plan) and of orders 1 .. 4. */
static void fd_forward(Fix *f, double err[5])
{
    const int n = f->n, dn = f->dout * n;
    double v0[MAXDOUT * NPT], a[MAXDOUT * NPT], b[MAXDOUT * NPT], c2[MAXDOUT * NPT],
        d[MAXDOUT * NPT], fd[MAXDOUT * NPT];
    hy_jet_fwd(f->c, f->plan);
    values_at(f, 0, 0.0, 0, 0.0, v0);
    err[0] = err[1] = err[2] = err[3] = err[4] = 0;
    for (int k = 0; k < f->ncomp; k++) {
        int code = f->comps[k], p = (code & 0xff) - 1, q = ((code >> 8) & 0xff) - 1;
        int ord = code_order(code);
        if (ord >= 3) {   /* remove the highest input, then (mixed) the lowest */
            const double *got = f->out + (long)k * dn;
            for (int v = 0; v < 2; v++) {
                int sh = 8 * (ord - 1), top = (code >> sh) - 1, low = p;
                if (v == 1 && top == low)
                    break;
                int j = v ? low : top, sub = v ? code >> 8 : code & ((1 << sh) - 1);
                double h = 5e-4 * hscale(f, j);
                ref_at(f, sub, j, h, a);
                ref_at(f, sub, j, -h, b);
                ref_at(f, sub, j, 2 * h, c2);
                ref_at(f, sub, j, -2 * h, d);
                double scale = 1e-8;
                for (int e = 0; e < dn; e++) {
                    fd[e] = (8 * (a[e] - b[e]) - (c2[e] - d[e])) / (12 * h);
                    scale = fmax(scale, fabs(fd[e]));
                }
                for (int e = 0; e < dn; e++)
                    err[ord] = fmax(err[ord], fabs(got[e] - fd[e]) / (fabs(fd[e]) + scale));
            }
            continue;
        }
        if (ord == 0) {
            memcpy(fd, v0, sizeof(double) * (size_t)dn);
        } else if (ord == 1) {
            double h = 1e-5 * hscale(f, p);
            values_at(f, p, h, p, 0.0, a);
            values_at(f, p, -h, p, 0.0, b);
            for (int e = 0; e < dn; e++)
                fd[e] = (a[e] - b[e]) / (2 * h);
        } else if (p == q) {
            double h = 2.5e-4 * hscale(f, p);
            values_at(f, p, h, p, 0.0, a);
            values_at(f, p, -h, p, 0.0, b);
            for (int e = 0; e < dn; e++)
                fd[e] = (a[e] - 2 * v0[e] + b[e]) / (h * h);
        } else {
            double hp = 2.5e-4 * hscale(f, p), hq = 2.5e-4 * hscale(f, q);
            values_at(f, p, hp, q, hq, a);
            values_at(f, p, hp, q, -hq, b);
            values_at(f, p, -hp, q, hq, c2);
            values_at(f, p, -hp, q, -hq, d);
            for (int e = 0; e < dn; e++)
                fd[e] = (a[e] - b[e] - c2[e] + d[e]) / (4 * hp * hq);
        }
        double scale = 1e-8;
        for (int e = 0; e < dn; e++)
            scale = fmax(scale, fabs(fd[e]));
        const double *got = f->out + (long)k * dn;
        for (int e = 0; e < dn; e++)
            err[ord] = fmax(err[ord], fabs(got[e] - fd[e]) / (fabs(fd[e]) + scale));
    }
}

/* L = sum adj .* out over every component. */
static double loss(Fix *f)
{
    hy_jet_fwd(f->c, f->plan);
    double L = 0;
    for (long i = 0; i < (long)f->ncomp * f->dout * f->n; i++)
        L += f->adj[i] * f->out[i];
    return L;
}

/* hy_jet_bwd vs central differences over every parameter and every input
 * entry; worst relative errors (params, dX). */
static void fd_backward(Fix *f, double err[2])
{
    const long np = hy_param_count(f->c, f->net), off = hy_param_offset(f->c, f->net);
    double *P = hy_params(f->c), *G = hy_grads(f->c);
    memset(G + off, 0, sizeof(double) * (size_t)np);
    memset(f->dX, 0, sizeof(double) * (size_t)(f->din * f->n));
    hy_jet_fwd(f->c, f->plan);
    hy_jet_bwd(f->c, f->plan);
    double gscale = 0, xscale = 0;
    for (long k = 0; k < np; k++)
        gscale = fmax(gscale, fabs(G[off + k]));
    for (int k = 0; k < f->din * f->n; k++)
        xscale = fmax(xscale, fabs(f->dX[k]));
    err[0] = err[1] = 0;
    const double h = 1e-6;
    for (long k = off; k < off + np; k++) {
        double save = P[k];
        P[k] = save + h;
        double Lp = loss(f);
        P[k] = save - h;
        double Lm = loss(f);
        P[k] = save;
        err[0] = fmax(err[0], fabs((Lp - Lm) / (2 * h) - G[k]) / (fabs(G[k]) + gscale));
    }
    for (int k = 0; k < f->din * f->n; k++) {
        double hx = h * hscale(f, k / f->n), save = f->X[k];
        f->X[k] = save + hx;
        double Lp = loss(f);
        f->X[k] = save - hx;
        double Lm = loss(f);
        f->X[k] = save;
        err[1] = fmax(err[1], fabs((Lp - Lm) / (2 * hx) - f->dX[k]) / (fabs(f->dX[k]) + xscale));
    }
    if (gscale == 0 || xscale == 0)
        err[0] = err[1] = INFINITY;
}

/* ---------------------------------------------------- naive reference */

static double act_value(int act, double z)
{
    double y;
    double *d[4] = {&y, NULL, NULL, NULL};
    hy_act_eval(act, 1, &z, 0, d);
    return y;
}

/* The documented network at one input x [din] -> y [dout], reading the
 * parameter slice through the documented layout (not rt_mlp_layer). */
static void naive_net(const Fix *f, const double *x, double *y)
{
    const int din = f->din, w = WIDTH, fourier = (f->kind & HY_NET_FOURIER) != 0;
    const int trunk = f->kind & ~HY_NET_FOURIER, d0 = fourier ? 2 * NFEAT : din;
    const double *P = hy_params(f->c) + hy_param_offset(f->c, f->net);
    double xs[MAXDIN], g[2 * NFEAT + MAXDIN], a[WIDTH], z[WIDTH], U[WIDTH], V[WIDTH];
    for (int m = 0; m < din; m++)
        xs[m] = f->norm ? 2.0 * (x[m] - LO[m]) / (HI[m] - LO[m]) - 1.0 : x[m];
    if (fourier) {
        for (int k = 0; k < NFEAT; k++) {
            double v = 0;
            for (int m = 0; m < din; m++)
                v += 2 * PI * FSCALE *
                     hy_rng_normal(f->seed, 0x200000000ULL + (uint64_t)f->net,
                                   (uint64_t)(k * din + m)) *
                     xs[m];
            g[k] = cos(v);
            g[NFEAT + k] = sin(v);
        }
    } else {
        for (int m = 0; m < din; m++)
            g[m] = xs[m];
    }
    /* layout: layer 0 W [w][d0] b [w]; hidden W [w][w] b [w]; output W [dout][w] b [dout];
     * modified: then W_u [w][d0], b_u, W_v [w][d0], b_v */
    long base = (long)w * d0 + w + (long)(DEPTH - 1) * (w * w + w) + (long)f->dout * w + f->dout;
    if (trunk == HY_NET_MODIFIED)
        for (int e = 0; e < 2; e++) {
            const double *Wu = P + base + e * ((long)w * d0 + w), *bu = Wu + (long)w * d0;
            for (int o = 0; o < w; o++) {
                double s = bu[o];
                for (int m = 0; m < d0; m++)
                    s += Wu[o * d0 + m] * g[m];
                (e ? V : U)[o] = act_value(f->act, s);
            }
        }
    const double *Wl = P;
    int nin = d0;
    const double *in = g;
    double prev[WIDTH];
    for (int l = 0; l < DEPTH; l++) {
        const double *bl = Wl + (long)w * nin;
        for (int o = 0; o < w; o++) {
            double s = bl[o];
            for (int m = 0; m < nin; m++)
                s += Wl[o * nin + m] * in[m];
            z[o] = s;
        }
        for (int o = 0; o < w; o++) {
            double h = act_value(f->act, z[o]);
            if (trunk == HY_NET_MODIFIED)
                a[o] = (1 - h) * U[o] + h * V[o];
            else if (trunk == HY_NET_RESNET && l > 0)
                a[o] = prev[o] + h;
            else
                a[o] = h;
        }
        memcpy(prev, a, sizeof a);
        Wl = bl + w;
        nin = w;
        in = prev;
    }
    const double *bo = Wl + (long)f->dout * w;
    for (int o = 0; o < f->dout; o++) {
        double s = bo[o];
        for (int m = 0; m < w; m++)
            s += Wl[o * w + m] * prev[m];
        y[o] = s;
    }
}

/* Value of the jet plan vs naive_net at every point; worst relative error. */
static double naive_error(Fix *f)
{
    hy_jet_fwd(f->c, f->vplan);
    double err = 0, x[MAXDIN], y[MAXDOUT];
    for (int i = 0; i < f->n; i++) {
        for (int m = 0; m < f->din; m++)
            x[m] = f->X[m * f->n + i];
        naive_net(f, x, y);
        for (int o = 0; o < f->dout; o++)
            err = fmax(err, fabs(f->vout[o * f->n + i] - y[o]) / (1 + fabs(y[o])));
    }
    return err;
}

/* ------------------------------------------------------- main sweep */

/* Every kind x activation: worst errors over din x dout x normalisation. */
static void test_sweep(void)
{
    for (int ki = 0; ki < NKINDS; ki++)
        for (int act = 0; act < HY_ACT_COUNT; act++) {
            /* naive, value, first, second, third, fourth, params, dX */
            double worst[8] = {0};
            char where[8][64] = {{0}};
            for (int din = 1; din <= MAXDIN; din++)
                for (int dout = 1; dout <= MAXDOUT; dout += 2)
                    for (int norm = 0; norm <= 1; norm++) {
                        int comps[MAXCOMP], nc = all_comps_to(din, 4, comps);
                        uint64_t seed = 1000 + 100 * (uint64_t)ki + 10 * (uint64_t)act +
                                        (uint64_t)(din * 4 + dout + norm);
                        Fix f;
                        fix_new(&f, KINDS[ki], act, din, dout, norm, nc, comps, seed);
                        double e[8];
                        e[0] = naive_error(&f);
                        fd_forward(&f, e + 1);
                        fd_backward(&f, e + 6);
                        for (int t = 0; t < 8; t++)
                            if (!(e[t] <= worst[t])) {
                                worst[t] = e[t];
                                snprintf(where[t], sizeof where[t], "din %d dout %d norm %d", din,
                                         dout, norm);
                            }
                        hy_ctx_free(f.c);
                    }
            static const char *what[8] = {"value_vs_naive", "value_consistent", "first_vs_fd",
                                          "second_vs_fd", "third_vs_fd", "fourth_vs_fd",
                                          "bwd_params_vs_fd", "bwd_dX_vs_fd"};
            static const double tol[8] = {1e-12, 1e-13, 1e-6, 1e-4, 1e-6, 1e-6, 1e-6, 1e-6};
            for (int t = 0; t < 8; t++) {
                char name[96];
                snprintf(name, sizeof name, "net_%s_%s_%s", kind_name(KINDS[ki]),
                         hy_act_name(act), what[t]);
                tap_check(worst[t] <= tol[t], name, "max rel error %.3g (tol %.0e) at %s",
                          worst[t], tol[t], where[t]);
            }
        }
}

/* Plans asking for a few components only (the plan adds what they need):
 * orders 1-2 (v 0, 1), and orders 3-4 alone (v 2: u_xxyy; v 3: u_xyz,
 * u_xxyz, u_zzzz, u_x; v 4: u_xxxx of a 1-input net, the beam operator). */
static void test_partial(void)
{
    static const int c3[] = {0x0302, 0x01}, c2[] = {0x0201}, c4[] = {0x02020101},
                     c5[] = {0x030201, 0x03020101, 0x03030303, 0x01}, c6[] = {0x01010101};
    static const struct { const int *c; int n, din, norm; } V[] = {
        {c3, 2, 3, 0}, {c2, 1, 2, 1}, {c4, 1, 2, 1}, {c5, 4, 3, 0}, {c6, 1, 1, 1}};
    for (int ki = 0; ki < NKINDS; ki++)
        for (int v = 0; v < 5; v++) {
            Fix f;
            fix_new(&f, KINDS[ki], v < 2 ? HY_ACT_TANH : v == 2 ? HY_ACT_SIN : HY_ACT_GELU,
                    V[v].din, 3, V[v].norm, V[v].n, V[v].c, 77 + (uint64_t)ki);
            double e[7];
            fd_forward(&f, e);
            fd_backward(&f, e + 5);
            char name[96];
            snprintf(name, sizeof name, "net_%s_partial%d_jets_and_bwd", kind_name(KINDS[ki]), v);
            tap_check(e[1] <= 1e-6 && e[2] <= 1e-4 && e[3] <= 1e-6 && e[4] <= 1e-6 &&
                          e[5] <= 1e-6 && e[6] <= 1e-6,
                      name, "first %.3g second %.3g third %.3g fourth %.3g params %.3g dX %.3g",
                      e[1], e[2], e[3], e[4], e[5], e[6]);
            hy_ctx_free(f.c);
        }
}

/* ------------------------------------------------- Fourier features */

static void test_fourier_fixed(void)
{
    for (int ki = 0; ki < NKINDS; ki++) {
        int kind = KINDS[ki];
        if (!(kind & HY_NET_FOURIER))
            continue;
        int comps[MAXCOMP], nc = all_comps(2, comps);
        Fix f;
        fix_new(&f, kind, HY_ACT_SIN, 2, 3, 0, nc, comps, 5);
        /* not parameters: the slice is the trunk on 2 nfeat inputs */
        long want = rt_mlp_param_count(2 * NFEAT, 3, WIDTH, DEPTH);
        if ((kind & ~HY_NET_FOURIER) == HY_NET_MODIFIED)
            want += 2 * ((long)WIDTH * 2 * NFEAT + WIDTH);
        char name[96];
        snprintf(name, sizeof name, "net_%s_features_not_params", kind_name(kind));
        tap_check(hy_param_count(f.c, f.net) == want && hy_total_params(f.c) == want, name,
                  "%ld parameters, want %ld", hy_param_count(f.c, f.net), want);
        /* drawn as documented */
        double B[NFEAT * 2];
        rt_net_fourier(&f.c->tr[f.net], f.net, B);
        int same = 1;
        for (int k = 0; k < NFEAT * 2; k++)
            same &= B[k] == FSCALE * hy_rng_normal(5, 0x200000000ULL + (uint64_t)f.net, (uint64_t)k);
        snprintf(name, sizeof name, "net_%s_features_documented_stream", kind_name(kind));
        tap_check(same, name, "B differs from scale * hy_rng_normal(seed, 0x200000000 + id, k)");
        /* unchanged by the reverse: output after backward passes is bitwise the same */
        long no = (long)nc * 3 * f.n;
        double *before = malloc(sizeof(double) * (size_t)no);
        hy_jet_fwd(f.c, f.plan);
        memcpy(before, f.out, sizeof(double) * (size_t)no);
        for (int r = 0; r < 3; r++) {
            hy_jet_fwd(f.c, f.plan);
            hy_jet_bwd(f.c, f.plan);
        }
        hy_jet_fwd(f.c, f.plan);
        snprintf(name, sizeof name, "net_%s_features_fixed_by_bwd", kind_name(kind));
        tap_check(memcmp(before, f.out, sizeof(double) * (size_t)no) == 0, name,
                  "outputs changed after hy_jet_bwd");
        free(before);
        hy_ctx_free(f.c);
    }
    /* a trainable declared after a Fourier net gets no gradient from it */
    HyCtx *c = hy_ctx_new();
    hy_seed(c, 3);
    hy_alloc(c, 2 * 4 + 4, 4 + 2 * 4);
    double opt[4] = {0, 4, 2.0, 0};
    int net = hy_net(c, "u", HY_NET_FOURIER, 2, 1, 8, 2, HY_ACT_TANH, 4, opt);
    int s = hy_scalar(c, "k", 1.5);
    double *X = hy_values(c), *out = X + 8, *adj = hy_adjoints(c);
    for (int i = 0; i < 8; i++)
        X[i] = 0.1 * i;
    for (int i = 0; i < 4; i++)
        adj[i] = 1.0;
    static const int zero = 0;
    int plan = hy_jet_plan(c, net, 4, 1, &zero, X, out, adj, adj + 4);
    hy_jet_fwd(c, plan);
    hy_jet_bwd(c, plan);
    tap_check(hy_grads(c)[hy_param_offset(c, s)] == 0.0 && hy_param_count(c, net) == 8 * 8 + 8 + 8 * 8 + 8 + 8 + 1,
              "net_fourier_grads_stay_in_slice", "grad of the next trainable %g, count %ld",
              hy_grads(c)[hy_param_offset(c, s)], hy_param_count(c, net));
    hy_ctx_free(c);
}

/* -------------------------------------------------- initialisation */

/* Every weight of a fresh net equals its documented draw; biases zero. */
static int init_matches(HyCtx *c, int id, int kind, int init, uint64_t seed, int din, int dout,
                        int w, int depth, int nfeat)
{
    const double *P = hy_params(c) + hy_param_offset(c, id);
    const int d0 = nfeat ? 2 * nfeat : din;
    long k = 0;
    int ok = 1;
    /* layers in order, then the two encoders of a modified net */
    int nl = depth + 1 + (kind == HY_NET_MODIFIED ? 2 : 0);
    for (int l = 0; l < nl; l++) {
        int nin = l == 0 || l > depth ? d0 : w, nout = l == depth ? dout : w;
        for (long e = 0; e < (long)nin * nout; e++, k++) {
            double want;
            if (init == HY_INIT_GLOROT_UNIFORM)
                want = sqrt(6.0 / (nin + nout)) * (2 * hy_rng_uniform(seed, (uint64_t)id, (uint64_t)k) - 1);
            else if (init == HY_INIT_HE_NORMAL)
                want = sqrt(2.0 / nin) * hy_rng_normal(seed, (uint64_t)id, (uint64_t)k);
            else
                want = sqrt(2.0 / (nin + nout)) * hy_rng_normal(seed, (uint64_t)id, (uint64_t)k);
            ok &= tap_close(P[k], want, 1e-15, 0);
        }
        for (int e = 0; e < nout; e++, k++)
            ok &= P[k] == 0.0;
    }
    return ok && k == hy_param_count(c, id);
}

static void test_init(void)
{
    for (int ki = 0; ki < NKINDS; ki++)
        for (int init = 0; init < HY_INIT_COUNT; init++) {
            int kind = KINDS[ki];
            double opt[HY_NETOPT_LO + 4];
            int nopt = make_opt(kind, init, 2, 1, opt);
            double *p[3];
            long np = 0;
            int ids[3], ok = 1;
            HyCtx *cs[3];
            for (int r = 0; r < 3; r++) {   /* seeds 7, 7, 8 */
                cs[r] = hy_ctx_new();
                hy_seed(cs[r], r < 2 ? 7 : 8);
                hy_scalar(cs[r], "first", 0.0);   /* the net gets id 1: stream = id */
                ids[r] = hy_net(cs[r], "u", kind, 2, 3, 10, 3, HY_ACT_TANH, nopt, opt);
                np = hy_param_count(cs[r], ids[r]);
                p[r] = hy_params(cs[r]) + hy_param_offset(cs[r], ids[r]);
            }
            int fe = (kind & HY_NET_FOURIER) ? NFEAT : 0;
            ok = init_matches(cs[0], ids[0], kind & ~HY_NET_FOURIER, init, 7, 2, 3, 10, 3, fe);
            char name[96];
            snprintf(name, sizeof name, "net_%s_init%d_documented", kind_name(kind), init);
            tap_check(ok, name, "a weight differs from its documented draw");
            snprintf(name, sizeof name, "net_%s_init%d_deterministic", kind_name(kind), init);
            tap_check(memcmp(p[0], p[1], sizeof(double) * (size_t)np) == 0 &&
                          memcmp(p[0], p[2], sizeof(double) * (size_t)np) != 0,
                      name, "same seed differs, or another seed gives the same weights");
            for (int r = 0; r < 3; r++)
                hy_ctx_free(cs[r]);
        }
    /* hy_mlp is hy_net(HY_NET_MLP) with no options, bitwise */
    HyCtx *a = hy_ctx_new(), *b = hy_ctx_new();
    hy_seed(a, 11);
    hy_seed(b, 11);
    int ia = hy_mlp(a, "u", 3, 2, 16, 3, HY_ACT_GELU);
    int ib = hy_net(b, "u", HY_NET_MLP, 3, 2, 16, 3, HY_ACT_GELU, 0, NULL);
    long na = hy_param_count(a, ia);
    tap_check(na == hy_param_count(b, ib) && na == rt_mlp_param_count(3, 2, 16, 3) &&
                  memcmp(hy_params(a), hy_params(b), sizeof(double) * (size_t)na) == 0 &&
                  init_matches(a, ia, HY_NET_MLP, HY_INIT_GLOROT_NORMAL, 11, 3, 2, 16, 3, 0),
              "net_hy_mlp_is_hy_net_mlp", "parameters differ");
    hy_ctx_free(a);
    hy_ctx_free(b);
    /* glorot uniform stays inside its bound and has its variance a^2/3 */
    HyCtx *c = hy_ctx_new();
    hy_seed(c, 4);
    double opt1 = HY_INIT_GLOROT_UNIFORM;
    int id = hy_net(c, "u", HY_NET_MLP, 1, 1, 200, 2, HY_ACT_TANH, 1, &opt1);
    long woff, boff;
    int nin, nout;
    rt_mlp_layer(&c->tr[id], 1, &woff, &boff, &nin, &nout);
    const double *P = hy_params(c) + hy_param_offset(c, id), bound = sqrt(6.0 / 400);
    double m2 = 0, mx = 0;
    for (long k = woff; k < boff; k++) {
        m2 += P[k] * P[k] / (double)(boff - woff);
        mx = fmax(mx, fabs(P[k]));
    }
    /* 40000 draws: relative std error of the variance ~0.6%; tol 3% */
    tap_check(mx <= bound && mx > 0.99 * bound && fabs(m2 / (bound * bound / 3) - 1) < 0.03,
              "net_glorot_uniform_bound_variance", "max %g bound %g variance ratio %g", mx,
              bound, m2 / (bound * bound / 3));
    hy_ctx_free(c);
}

/* ---------------------------------------------------- normalisation */

/* The normalised net at X equals the plain net (same seed, same parameters)
 * at 2 (X - lo)/(hi - lo) - 1: value bitwise, order-k derivatives times the
 * product of 2/(hi - lo) of the inputs differentiated by. */
static void test_normalisation(void)
{
    for (int ki = 0; ki < NKINDS; ki++) {
        int comps[MAXCOMP], nc = all_comps_to(3, 4, comps);
        Fix fn, fp;
        fix_new(&fn, KINDS[ki], HY_ACT_SWISH, 3, 3, 1, nc, comps, 21);
        fix_new(&fp, KINDS[ki], HY_ACT_SWISH, 3, 3, 0, nc, comps, 21);
        const int n = fn.n;
        for (int m = 0; m < 3; m++)
            for (int i = 0; i < n; i++)
                fp.X[m * n + i] = 2.0 * (fn.X[m * n + i] - LO[m]) / (HI[m] - LO[m]) - 1.0;
        hy_jet_fwd(fn.c, fn.plan);
        hy_jet_fwd(fp.c, fp.plan);
        int value_same = 1;
        double err = 0;
        for (int k = 0; k < nc; k++) {
            double s = 1;
            for (unsigned u = (unsigned)comps[k]; u; u >>= 8)
                s *= 2 / (HI[(u & 0xff) - 1] - LO[(u & 0xff) - 1]);
            for (int e = 0; e < 3 * n; e++) {
                double a = fn.out[k * 3 * n + e], b = fp.out[k * 3 * n + e];
                if (k == 0)
                    value_same &= a == b;
                else
                    err = fmax(err, fabs(a - s * b) / (fabs(s * b) + 1e-300));
            }
        }
        char name[96];
        snprintf(name, sizeof name, "net_%s_norm_is_plain_at_mapped", kind_name(KINDS[ki]));
        tap_check(value_same && err < 1e-12, name, "value bitwise %d, derivative rel error %.3g",
                  value_same, err);
        hy_ctx_free(fn.c);
        hy_ctx_free(fp.c);
    }
}

/* ------------------------------------------------------ allocation */

static void test_no_alloc(void)
{
    for (int ki = 0; ki < NKINDS; ki++) {
        int comps[MAXCOMP], nc = all_comps(2, comps);
        Fix f;
        fix_new(&f, KINDS[ki], HY_ACT_GELU, 2, 3, 1, nc, comps, 31);
        hy_alloc_reset(0);
        for (int r = 0; r < 2; r++) {
            hy_jet_fwd(f.c, f.plan);
            hy_jet_bwd(f.c, f.plan);
            hy_jet_fwd(f.c, f.vplan);
        }
        long na = hy_alloc_count();
        char name[96];
        snprintf(name, sizeof name, "net_%s_no_alloc_fwd_bwd", kind_name(KINDS[ki]));
        tap_check(na == 0, name, "%ld allocations", na);
        hy_ctx_free(f.c);
    }
}

/* ----------------------------------------------- bad declarations */

/* Declares a net in a child process; returns its exit status (-1: signal). */
static int declare_status(int kind, int din, int nopt, const double *opt)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stderr))
            _exit(3);
        HyCtx *c = hy_ctx_new();
        hy_net(c, "bad", kind, din, 1, 4, 2, HY_ACT_TANH, nopt, opt);
        _exit(0);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_bad(void)
{
    const double box1[6] = {0, 0, 0, 1, 2.0, 1.0};   /* lo 2 >= hi 1 */
    const double nan1[6] = {0, 0, 0, 1, NAN, 1.0};
    const double norm_short[4] = {0, 0, 0, 1};
    const double init_bad[1] = {5};
    const double init_frac[1] = {0.5};
    const double feat_mlp[2] = {0, 8};
    const double extra[6] = {0, 0, 0, 0, 1, 2};
    const double neg_scale[3] = {0, 4, -1};
    struct { const char *what; int kind, din, nopt; const double *opt; } cases[] = {
        {"kind_modified_and_resnet", HY_NET_MODIFIED | HY_NET_RESNET, 1, 0, NULL},
        {"kind_8", 8, 1, 0, NULL},
        {"kind_negative", -1, 1, 0, NULL},
        {"init_unknown", HY_NET_MLP, 1, 1, init_bad},
        {"init_fraction", HY_NET_MLP, 1, 1, init_frac},
        {"nfeat_without_fourier", HY_NET_MLP, 1, 2, feat_mlp},
        {"negative_scale", HY_NET_FOURIER, 1, 3, neg_scale},
        {"norm_without_box", HY_NET_MLP, 1, 4, norm_short},
        {"norm_lo_ge_hi", HY_NET_MLP, 1, 6, box1},
        {"norm_nan", HY_NET_MLP, 1, 6, nan1},
        {"box_without_norm", HY_NET_MLP, 1, 6, extra},
        {"opt_null", HY_NET_MLP, 1, 2, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int st = declare_status(cases[i].kind, cases[i].din, cases[i].nopt, cases[i].opt);
        char name[96];
        snprintf(name, sizeof name, "net_bad_%s", cases[i].what);
        tap_check(st == 2, name, "exit status %d, want 2 (internal error)", st);
    }
    double big[HY_NETOPT_LO + 2 * 17] = {0, 0, 0, 1};
    for (int m = 0; m < 17; m++)
        big[HY_NETOPT_LO + 17 + m] = 1;
    tap_check(declare_status(HY_NET_MLP, 17, HY_NETOPT_LO + 34, big) == 2,
              "net_bad_norm_too_many_inputs", "17 normalised inputs accepted");
    tap_check(declare_status(HY_NET_MODIFIED | HY_NET_FOURIER, 1, 0, NULL) == 0,
              "net_good_defaults_accepted", "defaults rejected");
}

int main(void)
{
    test_sweep();
    test_partial();
    test_fourier_fixed();
    test_init();
    test_normalisation();
    test_no_alloc();
    test_bad();
    return tap_exit();
}
