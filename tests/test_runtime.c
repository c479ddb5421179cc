/* test_runtime.c -- checks of the runtime (libhyrt) without the compiler.
 *
 * Every kernel against an independent reference with a stated tolerance:
 * RNG statistics, activations vs libm and finite differences, vectorised
 * tanh vs libm, jets vs finite differences of the value outputs, jet
 * backward vs finite differences on parameters and inputs, the GEMM forward
 * vs a naive triple loop, Adam vs hand-computed steps, per-substep optimizer
 * state, and a small end-to-end training driven by a hand-written step
 * (loss decrease, no allocation per step, NaN stop, bitwise determinism,
 * loss-log bytes, allocation failure and order-3 jets exit cleanly).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "hyrt.h"
#include "tap.h"

static const double PI = 3.14159265358979323846;

/* ---------------------------------------------------------------- RNG */

static void test_rng(void)
{
    int same = 1, differ = 0, inrange = 1;
    for (uint64_t i = 0; i < 1000; i++) {
        same &= hy_rng_u64(42, 3, i) == hy_rng_u64(42, 3, i);
        differ += hy_rng_u64(42, 3, i) != hy_rng_u64(42, 4, i);
        differ += hy_rng_u64(42, 3, i) != hy_rng_u64(43, 3, i);
    }
    tap_check(same, "rng_deterministic", "same (seed, stream, counter) gave different draws");
    tap_check(differ == 2000, "rng_streams_differ", "%d of 2000 draws collided", 2000 - differ);
    double mean = 0, m2 = 0, umin = 1, umax = 0, umean = 0;
    const int N = 100000;
    for (int i = 0; i < N; i++) {
        double u = hy_rng_uniform(7, 1, (uint64_t)i);
        inrange &= u > 0.0 && u < 1.0;
        umin = fmin(umin, u);
        umax = fmax(umax, u);
        umean += u / N;
        double z = hy_rng_normal(7, 2, (uint64_t)i);
        mean += z / N;
        m2 += z * z / N;
    }
    tap_check(inrange, "rng_uniform_open_interval", "uniform outside (0,1)");
    /* 1e5 draws: std error of the mean 1/sqrt(12e5) = 9e-4, of N(0,1) mean 3.2e-3,
     * of the variance ~4.5e-3; tolerances are about 5 standard errors. */
    tap_check(fabs(umean - 0.5) < 5e-3 && umin < 1e-3 && umax > 1 - 1e-3, "rng_uniform_mean",
              "mean %g min %g max %g", umean, umin, umax);
    tap_check(fabs(mean) < 0.016, "rng_normal_mean", "mean %g (tol 0.016)", mean);
    tap_check(fabs(m2 - mean * mean - 1.0) < 0.025, "rng_normal_variance",
              "variance %g (tol 0.025)", m2 - mean * mean);
    double lin[5];
    hy_fill_linspace(lin, 5, 0.1, 0.7);
    tap_check(lin[0] == 0.1 && lin[4] == 0.7 && tap_close(lin[2], 0.4, 1e-15, 0),
              "linspace_ends_exact", "%.17g %.17g %.17g", lin[0], lin[2], lin[4]);
    HyCtx *c = hy_ctx_new();
    hy_seed(c, 5);
    double a[100], b[100], s[100];
    hy_noise(c, 0, 100, 0.5, a);
    hy_noise(c, 0, 100, 0.5, b);
    hy_noise(c, 1, 100, 0.5, s);
    tap_check(!memcmp(a, b, sizeof a) && memcmp(a, s, sizeof a) && a[0] != 0,
              "noise_deterministic", "noise not a function of (seed, stream, i)");
    hy_ctx_free(c);
}

/* -------------------------------------------------------- activations */

/* Independent references (libm, textbook formulas). */
static double ref_act(int act, double z)
{
    switch (act) {
    case HY_ACT_TANH: return tanh(z);
    case HY_ACT_SIN: return sin(z);
    case HY_ACT_GELU: return z >= 0 ? 0.5 * z * (1 + erf(z * M_SQRT1_2)) : 0.5 * z * erfc(-z * M_SQRT1_2);
    case HY_ACT_SOFTPLUS: return z > 30 ? z + exp(-z) : log1p(exp(z));
    case HY_ACT_SIGMOID: return 1 / (1 + exp(-z));
    case HY_ACT_SWISH: return z / (1 + exp(-z));
    }
    return NAN;
}

static void test_activations(void)
{
    enum { N = 481 };
    double z[N], zp[N], zm[N], d[4][N], dp[4][N], dm[4][N];
    const double h = 1e-5;
    for (int i = 0; i < N; i++) {
        z[i] = -12.0 + 24.0 * i / (N - 1) + 1e-3;   /* avoid z = 0 exactly */
        zp[i] = z[i] + h;
        zm[i] = z[i] - h;
    }
    for (int act = 0; act < HY_ACT_COUNT; act++) {
        double *pd[4] = {d[0], d[1], d[2], d[3]}, *pp[4] = {dp[0], dp[1], dp[2], dp[3]},
               *pm[4] = {dm[0], dm[1], dm[2], dm[3]};
        hy_act_eval(act, N, z, 3, pd);
        hy_act_eval(act, N, zp, 3, pp);
        hy_act_eval(act, N, zm, 3, pm);
        double worst = 0;
        for (int i = 0; i < N; i++) {
            double r = ref_act(act, z[i]);
            double e = fabs(d[0][i] - r) / fmax(fabs(r), 1e-300);
            worst = fmax(worst, e);
        }
        char name[64];
        /* value vs libm: relative 1e-14 (libmvec <= 4 ulp plus a few roundings). */
        snprintf(name, sizeof name, "act_%s_value_vs_libm", hy_act_name(act));
        tap_check(worst < 1e-14, name, "max rel error %.3g (tol 1e-14)", worst);
        /* derivative k vs central difference of derivative k-1, h = 1e-5:
         * truncation h^2/6 |f'''| ~ 1e-11, rounding 1e-16/h ~ 1e-11; tol 1e-8 (1 + |d|). */
        for (int k = 1; k <= 3; k++) {
            double err = 0;
            for (int i = 0; i < N; i++) {
                double fd = (dp[k - 1][i] - dm[k - 1][i]) / (2 * h);
                err = fmax(err, fabs(fd - d[k][i]) / (1 + fabs(d[k][i])));
            }
            snprintf(name, sizeof name, "act_%s_d%d_vs_fd", hy_act_name(act), k);
            tap_check(err < 1e-8, name, "max error %.3g (tol 1e-8)", err);
        }
        /* nd = 1 with d[0] NULL gives the same first derivative */
        double one[N];
        double *po[4] = {NULL, one, NULL, NULL};
        hy_act_eval(act, N, z, 1, po);
        snprintf(name, sizeof name, "act_%s_partial_request", hy_act_name(act));
        tap_check(!memcmp(one, d[1], sizeof one), name, "d1 differs when d0 not requested");
    }
    /* Vectorised tanh (libmvec) vs libm tanh: dense [-30, 30], tiny, huge, specials. */
    enum { M = 600001 };
    double *x = malloc(sizeof(double) * (M + 16)), *y = malloc(sizeof(double) * (M + 16));
    long n = 0;
    for (long i = 0; i < M; i++)
        x[n++] = -30.0 + 60.0 * (double)i / (M - 1);
    const double special[] = {1e-300, -1e-300, 5e-324, 1e-20, -1e-8, 1e-4, 0.0, -0.0,
                              19.06, 22.0, 1e300, -1e300, INFINITY, -INFINITY};
    for (size_t i = 0; i < sizeof special / sizeof special[0]; i++)
        x[n++] = special[i];
    hy_vtanh(n, x, y);
    double worst = 0, wx = 0;
    int specials_ok = 1;
    for (long i = 0; i < n; i++) {
        double r = tanh(x[i]);
        double e = r == 0 ? fabs(y[i]) : fabs(y[i] - r) / fabs(r);
        if (e > worst)
            worst = e, wx = x[i];
        if (x[i] == 0)
            specials_ok &= y[i] == 0 && signbit(y[i]) == signbit(x[i]);
    }
    /* 4 ulp = 8.9e-16 relative */
    tap_check(worst <= 8.9e-16, "vtanh_vs_libm_max_error", "max rel error %.3g at %.17g (tol 8.9e-16)",
              worst, wx);
    tap_check(specials_ok, "vtanh_signed_zero", "tanh(+-0) wrong");
    double nan_in = NAN, nan_out = 0;
    hy_vtanh(1, &nan_in, &nan_out);
    tap_check(isnan(nan_out), "vtanh_nan", "tanh(NaN) = %g", nan_out);
    printf("# vtanh max relative error vs libm: %.3g (at x = %.17g)\n", worst, wx);
    /* other vector maps vs libm on [-10, 10] (log on (0, 20]) */
    double e1 = 0, e2 = 0, e3 = 0, e4 = 0;
    for (long i = 0; i < 20001; i++)
        x[i] = -10 + 20.0 * i / 20000;
    hy_vsin(20001, x, y);
    for (long i = 0; i < 20001; i++)
        e1 = fmax(e1, fabs(y[i] - sin(x[i])));
    hy_vcos(20001, x, y);
    for (long i = 0; i < 20001; i++)
        e2 = fmax(e2, fabs(y[i] - cos(x[i])));
    hy_vexp(20001, x, y);
    for (long i = 0; i < 20001; i++)
        e3 = fmax(e3, fabs(y[i] - exp(x[i])) / exp(x[i]));
    for (long i = 0; i < 20001; i++)
        x[i] = 1e-3 + 20.0 * i / 20000;
    hy_vlog(20001, x, y);
    for (long i = 0; i < 20001; i++)
        e4 = fmax(e4, fabs(y[i] - log(x[i])) / fmax(fabs(log(x[i])), 1e-3));
    tap_check(e1 < 1e-15 && e2 < 1e-15 && e3 < 1e-15 && e4 < 1e-15, "vmaps_vs_libm",
              "sin %.3g cos %.3g exp %.3g log %.3g (tol 1e-15)", e1, e2, e3, e4);
    free(x);
    free(y);
}

/* --------------------------------------------------------------- jets */

/* A context with one MLP and a jet plan; V holds X, out, value-only outputs. */
typedef struct {
    HyCtx *c;
    int net, plan, vplan;   /* requested plan, value-only plan on the same X */
    int n, din, dout, ncomp;
    double *X, *out, *vout; /* in V */
    double *adj, *dX;       /* in A */
} JetFix;

static void jet_setup(JetFix *f, int act, int din, int dout, int width, int depth, int n,
                      int ncomp, const int *comps, uint64_t seed)
{
    memset(f, 0, sizeof *f);
    f->c = hy_ctx_new();
    hy_seed(f->c, seed);
    f->n = n, f->din = din, f->dout = dout, f->ncomp = ncomp;
    long nv = (long)din * n + (long)ncomp * dout * n + (long)dout * n;
    long na = (long)ncomp * dout * n + (long)din * n;
    hy_alloc(f->c, nv, na);
    double *V = hy_values(f->c), *A = hy_adjoints(f->c);
    f->X = V;
    f->out = V + din * n;
    f->vout = f->out + ncomp * dout * n;
    f->adj = A;
    f->dX = A + ncomp * dout * n;
    f->net = hy_mlp(f->c, "u", din, dout, width, depth, act);
    /* make biases non-zero so their gradients and the bias path are exercised */
    double *P = hy_params(f->c);
    long np = hy_param_count(f->c, f->net);
    for (long i = 0; i < np; i++)
        if (P[i] == 0.0)
            P[i] = 0.1 * hy_rng_normal(seed, 99, (uint64_t)i);
    for (int i = 0; i < din * n; i++)
        f->X[i] = 2 * hy_rng_uniform(seed, 77, (uint64_t)i) - 1;
    f->plan = hy_jet_plan(f->c, f->net, n, ncomp, comps, f->X, f->out, f->adj, f->dX);
    int zero = 0;
    f->vplan = hy_jet_plan(f->c, f->net, n, 1, &zero, f->X, f->vout, NULL, NULL);
}

/* Value outputs with input coordinates j, k shifted by sj, sk (k = -1: none). */
static void values_at(JetFix *f, int j, double sj, int k, double sk, double *dst)
{
    int n = f->n;
    double save[2][4096];
    memcpy(save[0], f->X + j * n, sizeof(double) * n);
    if (k >= 0)
        memcpy(save[1], f->X + k * n, sizeof(double) * n);
    for (int i = 0; i < n; i++) {
        f->X[j * n + i] += sj;
        if (k >= 0)
            f->X[k * n + i] += sk;
    }
    hy_jet_fwd(f->c, f->vplan);
    memcpy(dst, f->vout, sizeof(double) * f->dout * n);
    memcpy(f->X + j * n, save[0], sizeof(double) * n);
    if (k >= 0)
        memcpy(f->X + k * n, save[1], sizeof(double) * n);
}

/* Checks every requested component of plan against finite differences of
 * the value outputs.  First: central, h = 1e-5, tol 1e-6 (1 + |d|).  Second:
 * h = 1e-3 (pure: 3-point, mixed: 4-point), truncation ~h^2 |f''''|/12 ~ 1e-7,
 * rounding ~1e-16/h^2 = 1e-10; tol 1e-5 (1 + |d|). */
static void jet_check_fd(JetFix *f, const int *comps, const char *tag)
{
    int n = f->n, dout = f->dout;
    static double p[3 * 4096], m[3 * 4096], pp[3 * 4096], pm[3 * 4096], mp[3 * 4096],
        mm[3 * 4096], v0[3 * 4096];
    hy_jet_fwd(f->c, f->plan);
    values_at(f, 0, 0, -1, 0, v0);
    double err1 = 0, err2 = 0, err0 = 0;
    for (int k = 0; k < f->ncomp; k++) {
        int code = comps[k], a = (code & 0xff) - 1, b = ((code >> 8) & 0xff) - 1;
        const double *got = f->out + (long)k * dout * n;
        if (code == 0) {
            for (int i = 0; i < dout * n; i++)
                err0 = fmax(err0, fabs(got[i] - v0[i]) / (1 + fabs(v0[i])));
        } else if (b < 0) {
            const double h = 1e-5;
            values_at(f, a, h, -1, 0, p);
            values_at(f, a, -h, -1, 0, m);
            for (int i = 0; i < dout * n; i++)
                err1 = fmax(err1, fabs((p[i] - m[i]) / (2 * h) - got[i]) / (1 + fabs(got[i])));
        } else {
            const double h = 1e-3;
            if (a == b) {
                values_at(f, a, h, -1, 0, p);
                values_at(f, a, -h, -1, 0, m);
                for (int i = 0; i < dout * n; i++)
                    err2 = fmax(err2, fabs((p[i] - 2 * v0[i] + m[i]) / (h * h) - got[i]) /
                                          (1 + fabs(got[i])));
            } else {
                values_at(f, a, h, b, h, pp);
                values_at(f, a, h, b, -h, pm);
                values_at(f, a, -h, b, h, mp);
                values_at(f, a, -h, b, -h, mm);
                for (int i = 0; i < dout * n; i++)
                    err2 = fmax(err2, fabs((pp[i] - pm[i] - mp[i] + mm[i]) / (4 * h * h) -
                                           got[i]) / (1 + fabs(got[i])));
            }
        }
    }
    char name[96];
    snprintf(name, sizeof name, "jet_%s_value_consistent", tag);
    /* another plan stacks a different number of GEMM rows; OpenBLAS may then
     * round differently (a few ulp), so this is 1e-14 relative, not bitwise */
    tap_check(err0 < 1e-14, name, "value component differs from value-only plan by %.3g", err0);
    snprintf(name, sizeof name, "jet_%s_first_vs_fd", tag);
    tap_check(err1 < 1e-6, name, "max error %.3g (tol 1e-6)", err1);
    snprintf(name, sizeof name, "jet_%s_second_vs_fd", tag);
    tap_check(err2 < 1e-5, name, "max error %.3g (tol 1e-5)", err2);
}

/* Naive triple-loop forward of the value outputs (parameter layout: per layer
 * W [out][in] row-major, then b). */
static void naive_forward(HyCtx *c, int net, int din, int dout, int width, int depth, int act,
                          int n, const double *X, double *out)
{
    const double *P = hy_params(c) + hy_param_offset(c, net);
    double a[256], z[256];
    for (int i = 0; i < n; i++) {
        int nin = din;
        for (int m = 0; m < din; m++)
            a[m] = X[m * n + i];
        const double *q = P;
        for (int l = 0; l <= depth; l++) {
            int nout = l == depth ? dout : width;
            for (int o = 0; o < nout; o++) {
                double s = 0;
                for (int m = 0; m < nin; m++)
                    s += q[o * nin + m] * a[m];
                z[o] = s + q[nout * nin + o];
            }
            q += nout * nin + nout;
            for (int o = 0; o < nout; o++)
                a[o] = l == depth ? z[o] : ref_act(act, z[o]);
            nin = nout;
        }
        for (int o = 0; o < dout; o++)
            out[o * n + i] = a[o];
    }
}

/* L = sum c .* out for the plan's current adjoint c (already in f->adj). */
static double jet_loss(JetFix *f)
{
    hy_jet_fwd(f->c, f->plan);
    double L = 0;
    for (long i = 0; i < (long)f->ncomp * f->dout * f->n; i++)
        L += f->adj[i] * f->out[i];
    return L;
}

/* Backward vs central differences on 40 random parameters and 12 random
 * input entries: h = 1e-6, tol 1e-6 (|g| + scale), scale = max |g|. */
static void jet_check_bwd(JetFix *f, const char *tag, uint64_t seed)
{
    long nadj = (long)f->ncomp * f->dout * f->n;
    for (long i = 0; i < nadj; i++)
        f->adj[i] = 2 * hy_rng_uniform(seed, 55, (uint64_t)i) - 1;
    memset(f->dX, 0, sizeof(double) * f->din * f->n);
    long np = hy_param_count(f->c, f->net), off = hy_param_offset(f->c, f->net);
    double *P = hy_params(f->c), *G = hy_grads(f->c);
    memset(G + off, 0, sizeof(double) * np);
    hy_jet_fwd(f->c, f->plan);
    hy_jet_bwd(f->c, f->plan);
    double scale = 0;
    for (long i = 0; i < np; i++)
        scale = fmax(scale, fabs(G[off + i]));
    double err = 0;
    const double h = 1e-6;
    for (int t = 0; t < 40; t++) {
        long k = off + (long)(hy_rng_u64(seed, 56, (uint64_t)t) % (uint64_t)np);
        if (t < 3)   /* always include the first bias of the last layer and W[0][0] */
            k = off + (t == 0 ? np - 1 : t == 1 ? 0 : np - 1 - f->dout);
        double save = P[k];
        P[k] = save + h;
        double Lp = jet_loss(f);
        P[k] = save - h;
        double Lm = jet_loss(f);
        P[k] = save;
        double fd = (Lp - Lm) / (2 * h);
        err = fmax(err, fabs(fd - G[k]) / (fabs(G[k]) + scale));
    }
    char name[96];
    snprintf(name, sizeof name, "jet_%s_bwd_params_vs_fd", tag);
    tap_check(err < 1e-6, name, "max rel error %.3g (tol 1e-6, scale %.3g)", err, scale);
}

/* dX: the adjoint w.r.t. X of L = sum c .* out over every component (X
 * enters only the value pre-activation of layer 0, so dX is exact for all of
 * them).  Every input entry, h = 1e-6, tol 1e-6 relative to max |dX|. */
static void jet_check_dx(int act, int din, int dout, int ncomp, const int *comps,
                         const char *tag, uint64_t seed)
{
    JetFix f;
    jet_setup(&f, act, din, dout, 8, 2, 17, ncomp, comps, seed);
    for (long i = 0; i < (long)ncomp * dout * f.n; i++)
        f.adj[i] = 2 * hy_rng_uniform(seed, 58, (uint64_t)i) - 1;
    memset(f.dX, 0, sizeof(double) * din * f.n);
    hy_jet_fwd(f.c, f.plan);
    hy_jet_bwd(f.c, f.plan);
    double err = 0, scale = 0;
    for (int i = 0; i < din * f.n; i++)
        scale = fmax(scale, fabs(f.dX[i]));
    const double h = 1e-6;
    for (int k = 0; k < din * f.n; k++) {
        double save = f.X[k];
        f.X[k] = save + h;
        double Lp = jet_loss(&f);
        f.X[k] = save - h;
        double Lm = jet_loss(&f);
        f.X[k] = save;
        err = fmax(err, fabs((Lp - Lm) / (2 * h) - f.dX[k]) / (fabs(f.dX[k]) + scale));
    }
    char name[96];
    snprintf(name, sizeof name, "jet_%s_bwd_dX_vs_fd", tag);
    tap_check(err < 1e-6 && scale > 0, name, "max rel error %.3g (tol 1e-6)", err);
    hy_ctx_free(f.c);
}

static void test_jets(void)
{
    static const int comps1[] = {0, 0x01, 0x0101};
    static const int comps2[] = {0, 0x01, 0x02, 0x0101, 0x0201, 0x0202};
    static const int comps2b[] = {0x0202, 0x0201, 0};   /* needs internal 0x01, 0x02 */
    for (int act = 0; act < HY_ACT_COUNT; act++) {
        char tag[64];
        JetFix f;
        snprintf(tag, sizeof tag, "%s_1d", hy_act_name(act));
        jet_setup(&f, act, 1, 2, 8, 3, 23, 3, comps1, 11 + act);
        jet_check_fd(&f, comps1, tag);
        jet_check_bwd(&f, tag, 21 + act);
        /* naive forward vs GEMM forward of the value outputs */
        static double ref[3 * 4096];
        naive_forward(f.c, f.net, 1, 2, 8, 3, act, f.n, f.X, ref);
        hy_jet_fwd(f.c, f.vplan);
        double e = 0;
        for (int i = 0; i < 2 * f.n; i++)
            e = fmax(e, fabs(ref[i] - f.vout[i]) / (1 + fabs(ref[i])));
        snprintf(tag, sizeof tag, "jet_%s_gemm_vs_naive", hy_act_name(act));
        tap_check(e < 1e-12, tag, "max error %.3g (tol 1e-12)", e);
        hy_ctx_free(f.c);

        snprintf(tag, sizeof tag, "%s_2d", hy_act_name(act));
        jet_setup(&f, act, 2, 3, 8, 2, 19, 6, comps2, 31 + act);
        jet_check_fd(&f, comps2, tag);
        jet_check_bwd(&f, tag, 41 + act);
        naive_forward(f.c, f.net, 2, 3, 8, 2, act, f.n, f.X, ref);
        hy_jet_fwd(f.c, f.vplan);
        e = 0;
        for (int i = 0; i < 3 * f.n; i++)
            e = fmax(e, fabs(ref[i] - f.vout[i]) / (1 + fabs(ref[i])));
        snprintf(tag, sizeof tag, "jet_%s_2d_gemm_vs_naive", hy_act_name(act));
        tap_check(e < 1e-12, tag, "max error %.3g (tol 1e-12)", e);
        hy_ctx_free(f.c);

        snprintf(tag, sizeof tag, "%s_2d_implied", hy_act_name(act));
        jet_setup(&f, act, 2, 1, 6, 2, 13, 3, comps2b, 51 + act);
        jet_check_fd(&f, comps2b, tag);
        jet_check_bwd(&f, tag, 61 + act);
        hy_ctx_free(f.c);

        snprintf(tag, sizeof tag, "%s_1d", hy_act_name(act));
        jet_check_dx(act, 1, 2, 3, comps1, tag, 71 + act);
        snprintf(tag, sizeof tag, "%s_2d", hy_act_name(act));
        jet_check_dx(act, 2, 3, 6, comps2, tag, 81 + act);
    }
}

/* --------------------------------------------------------------- Adam */

static double g_seq[3][3] = {{1.0, -2.0, 0.5}, {0.25, 3.0, -1.0}, {-0.5, 0.1, 2.0}};
static int g_step;       /* steps taken by adam_fn */
static int g_a, g_b, g_d; /* trainable ids in the substep test */

static void adam_fn(HyCtx *c)
{
    double *G = hy_grads(c);
    for (int k = 0; k < 3; k++)
        G[k] = g_seq[g_step][k];
    g_step++;
    hy_loss_values(c)[0] = 1.0;
}

static void test_adam(void)
{
    HyCtx *c = hy_ctx_new();
    hy_set_quiet(c, 1);
    int t = hy_mlp(c, "w", 1, 1, 1, 1, HY_ACT_TANH);   /* 1*1+1 + 1*1+1 = 4 params */
    const double hyper[4] = {0.01, 0.8, 0.95, 1e-6};
    hy_optimizer(c, t, HY_OPT_ADAM, 4, hyper);
    int loss = hy_loss(c, "l");
    hy_substep(c, "s", 1, 1, &t, 1, &loss, adam_fn);
    hy_epochs(c, 3);
    double p[4], m[4] = {0}, v[4] = {0};
    memcpy(p, hy_params(c), sizeof p);
    g_step = 0;
    int rc = hy_train(c);
    /* hand computation: textbook Adam */
    for (int s = 1; s <= 3; s++)
        for (int k = 0; k < 4; k++) {
            double g = k < 3 ? g_seq[s - 1][k] : 0.0;
            m[k] = 0.8 * m[k] + 0.2 * g;
            v[k] = 0.95 * v[k] + 0.05 * g * g;
            double mh = m[k] / (1 - pow(0.8, s)), vh = v[k] / (1 - pow(0.95, s));
            p[k] -= 0.01 * mh / (sqrt(vh) + 1e-6);
        }
    double e = 0;
    for (int k = 0; k < 4; k++)
        e = fmax(e, fabs(p[k] - hy_params(c)[k]));
    tap_check(rc == 0 && e < 1e-12, "adam_three_steps_exact", "rc %d, max error %.3g (tol 1e-12)",
              rc, e);
    long len;
    const double *st = hy_opt_state(c, 0, t, &len);
    tap_check(st && len == 9 && st[8] == 3.0 && tap_close(st[0], m[0], 1e-13, 0) &&
                  tap_close(st[4 + 1], v[1], 1e-13, 0),
              "adam_state_layout", "len %ld step %g", len, st ? st[8] : -1);
    hy_ctx_free(c);
}

/* S1 updates {a, b} with gradient +1; S2 updates {b} with gradient -1 and
 * writes a bogus gradient for a, which must be ignored. */
static void sub1_fn(HyCtx *c)
{
    double *G = hy_grads(c);
    G[hy_param_offset(c, g_a)] = 1.0;
    G[hy_param_offset(c, g_b)] = 1.0;
    hy_loss_values(c)[0] = 1.0;
}

static void sub2_fn(HyCtx *c)
{
    double *G = hy_grads(c);
    G[hy_param_offset(c, g_a)] = 5.0;
    G[hy_param_offset(c, g_b)] = -1.0;
    hy_loss_values(c)[1] = 1.0;
}

static void test_substep_state(void)
{
    HyCtx *c = hy_ctx_new();
    hy_set_quiet(c, 1);
    g_a = hy_scalar(c, "a", 1.0);
    g_b = hy_scalar(c, "b", 2.0);
    g_d = hy_scalar(c, "d", 3.0);
    const double hyper[4] = {0.1, 0.9, 0.999, 1e-8};
    hy_optimizer(c, g_a, HY_OPT_ADAM, 4, hyper);
    hy_optimizer(c, g_b, HY_OPT_ADAM, 4, hyper);
    int l1 = hy_loss(c, "l1"), l2 = hy_loss(c, "l2");
    int tr1[2] = {g_a, g_b}, tr2[1] = {g_b};
    hy_substep(c, "one", 1, 2, tr1, 1, &l1, sub1_fn);
    hy_substep(c, "two", 1, 1, tr2, 1, &l2, sub2_fn);
    hy_epochs(c, 2);
    int rc = hy_train(c);
    long len;
    const double *sa1 = hy_opt_state(c, 0, g_a, &len), *sa2 = hy_opt_state(c, 1, g_a, &len);
    const double *sb1 = hy_opt_state(c, 0, g_b, &len), *sb2 = hy_opt_state(c, 1, g_b, &len);
    const double *sd1 = hy_opt_state(c, 0, g_d, &len);
    /* a: two Adam steps with g = 1 from 1.0 (constant gradient: each step is -lr
     * up to eps), so a = 1 - 2 * 0.1 * (1 - tiny) */
    double a = hy_params(c)[hy_param_offset(c, g_a)];
    tap_check(rc == 0 && sa1 && !sa2 && sb1 && sb2 && !sd1 && sa1[2] == 2 && sb1[2] == 2 &&
                  sb2[2] == 2 && sb1[0] > 0 && sb2[0] < 0,
              "substep_state_independent", "states wrong (rc %d)", rc);
    tap_check(fabs(a - 0.8) < 1e-6 && hy_params(c)[hy_param_offset(c, g_d)] == 3.0,
              "substep_untouched_trainables", "a = %.17g (want 0.8), d = %g", a,
              hy_params(c)[hy_param_offset(c, g_d)]);
    hy_ctx_free(c);
}

/* --------------------------------------------------------- end to end */

/* u'' = -pi^2 sin(pi x) on [0, 1], u(0) = u(1) = 0; one net, comps {u, u_xx}. */
typedef struct {
    int plan, n, lpde, lbc;
    double *X, *out, *adj;
    int nan_at;   /* > 0: write NaN into the loss at this call */
    int calls;
} E2E;
static E2E g_e;

static void e2e_fn(HyCtx *c)
{
    E2E *e = &g_e;
    int n = e->n;
    hy_jet_fwd(c, e->plan);
    const double *u = e->out, *uxx = e->out + n;
    double *au = e->adj, *auxx = e->adj + n;
    double lp = 0;
    for (int i = 0; i < n; i++) {
        double r = uxx[i] + PI * PI * sin(PI * e->X[i]);
        lp += r * r / n;
        auxx[i] = 2 * r / n;
        au[i] = 0;
    }
    double lb = u[0] * u[0] + u[n - 1] * u[n - 1];
    au[0] = 2 * u[0];
    au[n - 1] = 2 * u[n - 1];
    hy_jet_bwd(c, e->plan);
    e->calls++;
    double *L = hy_loss_values(c);
    L[e->lpde] = e->nan_at && e->calls >= e->nan_at ? NAN : lp;
    L[e->lbc] = lb;
}

static HyCtx *e2e_build(uint64_t seed)
{
    HyCtx *c = hy_ctx_new();
    hy_seed(c, seed);
    hy_set_quiet(c, 1);
    int n = 51;
    hy_alloc(c, n + 2 * n, 2 * n);
    g_e.n = n;
    g_e.X = hy_values(c);
    g_e.out = g_e.X + n;
    g_e.adj = hy_adjoints(c);
    g_e.nan_at = 0;
    g_e.calls = 0;
    hy_fill_linspace(g_e.X, n, 0, 1);
    hy_pointset(c, "grid", n, 1, g_e.X);
    int net = hy_mlp(c, "u", 1, 1, 16, 2, HY_ACT_TANH);
    const double hyper[4] = {5e-3, 0.9, 0.999, 1e-8};
    hy_optimizer(c, net, HY_OPT_ADAM, 4, hyper);
    const int comps[2] = {0, 0x0101};
    g_e.plan = hy_jet_plan(c, net, n, 2, comps, g_e.X, g_e.out, g_e.adj, NULL);
    g_e.lpde = hy_loss(c, "pde");
    g_e.lbc = hy_loss(c, "bc");
    int losses[2] = {g_e.lpde, g_e.lbc};
    hy_substep(c, "all", 1, 1, &net, 2, losses, e2e_fn);
    hy_epochs(c, 600);
    return c;
}

static int read_file(const char *path, char *buf, int cap)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    int n = (int)fread(buf, 1, (size_t)cap, f);
    fclose(f);
    return n;
}

static void test_end_to_end(void)
{
    HyCtx *c = e2e_build(1);
    double l0 = hy_substep_eval(c, 0);
    char path1[] = "/tmp/hyrt_losslog1_XXXXXX", path2[] = "/tmp/hyrt_losslog2_XXXXXX";
    int fd1 = mkstemp(path1), fd2 = mkstemp(path2);
    close(fd1);
    close(fd2);
    tap_check(hy_set_loss_log(c, path1) == 0, "loss_log_open", "cannot open %s", path1);
    int rc = hy_train(c);
    double l1 = hy_substep_eval(c, 0);
    tap_check(rc == 0 && l1 < 1e-2 * l0, "e2e_loss_decreases", "rc %d, loss %.3e -> %.3e", rc, l0,
              l1);
    printf("# e2e: loss %.3e -> %.3e in 600 epochs, %.1f us/epoch\n", l0, l1,
           1e6 * hy_epoch_seconds(c));
    /* no allocation across training after setup */
    hy_set_epochs(c, 3);
    hy_train(c);
    hy_alloc_reset(0);
    hy_train(c);
    hy_substep_eval(c, 0);
    long na = hy_alloc_count();
    tap_check(na == 0, "no_alloc_per_step", "%ld allocations during hy_train", na);
    long np = hy_total_params(c);
    double *p1 = malloc(sizeof(double) * np);
    memcpy(p1, hy_params(c), sizeof(double) * np);
    hy_ctx_free(c);
    /* same seed: bitwise identical parameters and loss log */
    c = e2e_build(1);
    hy_set_loss_log(c, path2);
    hy_train(c);
    hy_set_epochs(c, 3);
    hy_train(c);
    hy_train(c);
    tap_check(!memcmp(p1, hy_params(c), sizeof(double) * np), "e2e_bitwise_deterministic",
              "two same-seed runs differ");
    hy_ctx_free(c);
    static char b1[1 << 16], b2[1 << 16];
    int n1 = read_file(path1, b1, sizeof b1), n2 = read_file(path2, b2, sizeof b2);
    tap_check(n1 > 100 && n1 == n2 && !memcmp(b1, b2, (size_t)n1) && !strncmp(b1, "epoch\tpde\tbc\n", 13),
              "loss_log_identical_bytes", "sizes %d %d", n1, n2);
    remove(path1);
    remove(path2);
    c = e2e_build(2);
    hy_set_epochs(c, 5);
    hy_train(c);
    tap_check(memcmp(p1, hy_params(c), sizeof(double) * np) != 0, "e2e_seed_matters",
              "different seeds gave identical parameters");
    hy_ctx_free(c);
    free(p1);
    /* NaN stops training with status 1 */
    c = e2e_build(1);
    g_e.nan_at = 7;
    rc = hy_train(c);
    tap_check(rc == 1 && g_e.calls == 7, "nan_stops_training", "rc %d after %d calls", rc,
              g_e.calls);
    hy_ctx_free(c);
    /* a loss-log write error is reported (return 1), not lost */
    c = e2e_build(1);
    hy_set_epochs(c, 3);
    if (hy_set_loss_log(c, "/dev/full") == 0) {
        rc = hy_train(c);
        tap_check(rc == 1, "loss_log_write_error_reported", "hy_train returned %d", rc);
    }
    hy_ctx_free(c);
}

/* Runs fn in a child; returns its exit status (or -1 if it crashed). */
static int child_status(void (*fn)(void))
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        freopen("/dev/null", "w", stderr);
        fn();
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void oom_child(void)
{
    HyCtx *c = hy_ctx_new();
    hy_alloc_reset(3);   /* V, A, then the first trainable allocation fails */
    hy_alloc(c, 10, 10);
    hy_mlp(c, "u", 1, 1, 4, 1, HY_ACT_TANH);
}

/* A jet code naming input 2 of a 1-input net (internal error); order 4 is fine. */
static void badcode_child(void)
{
    HyCtx *c = hy_ctx_new();
    hy_alloc(c, 100, 100);
    int net = hy_mlp(c, "u", 1, 1, 4, 1, HY_ACT_TANH);
    int comps[2] = {0x01010101, 0x0201};
    hy_jet_plan(c, net, 10, 1, comps, hy_values(c), hy_values(c) + 10, NULL, NULL);
    hy_jet_plan(c, net, 10, 1, comps + 1, hy_values(c), hy_values(c) + 10, NULL, NULL);
}

static void test_failures(void)
{
    int st = child_status(oom_child);
    tap_check(st == 1, "alloc_failure_exits_1", "child status %d", st);
    st = child_status(badcode_child);
    tap_check(st == 2, "jet_bad_code_exits_2", "child status %d", st);
    /* the hook counts and fails */
    hy_alloc_reset(2);
    void *a = hy_malloc(8), *b = hy_malloc(8), *d = hy_calloc(2, 8);
    tap_check(a && !b && d && hy_alloc_count() == 3, "alloc_hook_fail_at", "hook misbehaves");
    hy_free(a);
    hy_free(d);
    hy_alloc_reset(0);
}

int main(void)
{
    test_rng();
    test_activations();
    test_jets();
    test_adam();
    test_substep_state();
    test_end_to_end();
    test_failures();
    return tap_exit();
}
