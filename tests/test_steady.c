/* test_steady.c -- steady simulators: runtime/steady.c with hand-written
 * coefficients, and end to end through the compiler (compiler/steady.c).
 *
 *   convergence  manufactured solutions of -div(kappa grad u) + eta u = f
 *                with variable kappa, eta: 2-D Dirichlet (u = sin pi x sin
 *                pi y), 1-D Neumann (u = cos pi x), 1-D Dirichlet with a
 *                non-zero boundary value: the maximum nodal error falls by
 *                4 +- 0.5 per grid halving (second order), and is below a
 *                bound at the finest grid.
 *   gradients    d(loss)/d(parameter) of hy_steady_backward (one adjoint
 *                solve) against central differences of full re-solves, h =
 *                1e-4 relative, tolerance 1e-6 relative + the rounding noise
 *                of the difference: parameters in kappa (amplitude, centre),
 *                eta and f; loss = squared misfit at scattered points
 *                (bilinear interpolation adjoint) + a sum over every node;
 *                2-D Dirichlet, 2-D Neumann, 1-D Neumann, and an indefinite
 *                matrix (eta < -2 pi^2: banded Cholesky fails, LU is used).
 *   caching      no re-solve while the parameters stay the same.
 *   newton       a nonlinear source (-(kappa u')' + u^3 = f, u = sin pi x):
 *                second order, at most 8 Newton steps; the gradient check
 *                above with a parameter in a cubic term of the source (the
 *                adjoint of the Jacobian at the solution).
 *   compiler     the same gradient check through the emitted code (Gaussian
 *                bumps in kappa and eta, data at scattered points); located
 *                errors for a periodic grid, a coefficient reading the state,
 *                an unknown line.
 */
#include <stdlib.h>
#include <string.h>
#include "tap.h"
#include "ir.h"
#include "hyrt.h"

/* ---- manufactured problems (no parameters) ---- */

static int mcase;   /* 0: 2-D Dirichlet, 1: 1-D Neumann, 2: 1-D Dirichlet value 2, 3: 1-D cubic (Newton) */

static void mf_coef(HyCtx *c, const double *X, const double *U, double *K, long N)
{
    (void)c;
    const double pi = M_PI;
    for (long i = 0; i < N; i++) {
        double x = X[i];
        if (mcase == 0) {
            double y = X[N + i];
            double k = 1 + 0.5 * x * x + 0.25 * sin(2 * y), kx = x, ky = 0.5 * cos(2 * y);
            double e = 1 + x * y;
            double u = sin(pi * x) * sin(pi * y), ux = pi * cos(pi * x) * sin(pi * y), uy = pi * sin(pi * x) * cos(pi * y);
            double lap = -2 * pi * pi * u;
            K[i] = k;
            K[N + i] = e;
            K[2 * N + i] = -(kx * ux + ky * uy + k * lap) + e * u;
        } else if (mcase == 1) {
            double k = 1 + 0.5 * x * x, kx = x, e = 1 + x;
            double u = cos(pi * x), ux = -pi * sin(pi * x), uxx = -pi * pi * u;
            K[i] = k;
            K[N + i] = e;
            K[2 * N + i] = -(kx * ux + k * uxx) + e * u;
        } else if (mcase == 2) {
            double k = exp(x), e = 0;
            double u = 2 + sin(pi * x), ux = pi * cos(pi * x), uxx = -pi * pi * sin(pi * x);
            K[i] = k;
            K[N + i] = e;
            K[2 * N + i] = -(k * ux + k * uxx) + e * u;
        } else {   /* f(x, U) = -(k u')' + u^3 - U^3 */
            double k = 1 + 0.5 * x * x, kx = x;
            double u = sin(pi * x), ux = pi * cos(pi * x), uxx = -pi * pi * u;
            K[i] = k;
            K[N + i] = 0;
            K[2 * N + i] = -(kx * ux + k * uxx) + u * u * u - U[i] * U[i] * U[i];
            K[3 * N + i] = -3 * U[i] * U[i];
            continue;
        }
        K[3 * N + i] = 0;
    }
}

static double mf_exact(double x, double y)
{
    if (mcase == 0) return sin(M_PI * x) * sin(M_PI * y);
    if (mcase == 1) return cos(M_PI * x);
    if (mcase == 3) return sin(M_PI * x);
    return 2 + sin(M_PI * x);
}

static void no_adj(HyCtx *c, const double *X, const double *U, const double *Kb, double *G, long N)
{
    (void)c; (void)X; (void)U; (void)Kb; (void)G; (void)N;
}

/* Max nodal error for n nodes per axis; *steps gets the Newton steps. */
static double mf_error(long n, int *steps)
{
    HyCtx *c = hy_ctx_new();
    int dim = mcase == 0 ? 2 : 1;
    long nn[2] = {n, dim == 2 ? n : 1};
    double lo[2] = {0, 0}, hi[2] = {1, 0}, h[2] = {1.0 / (double)(n - 1), 1};
    if (dim == 2) { hi[1] = 1; h[1] = h[0]; }
    int bc = mcase == 1 ? HY_SIM_NEUMANN : HY_SIM_DIRICHLET;
    hy_steady(c, 0, "m", dim, nn, lo, hi, h, bc, mcase == 2 ? 2.0 : 0.0);
    hy_steady_fns(c, 0, mf_coef, no_adj, mcase == 3);
    hy_steady_depends(c, 0, 0, NULL);
    long N;
    const double *u = hy_steady_state(c, 0, &N);
    *steps = hy_steady_newton(c, 0);
    double err = 0;
    for (long ix = 0; ix < nn[0]; ix++)
        for (long iy = 0; iy < nn[1]; iy++) {
            double x = (double)ix * h[0], y = dim == 2 ? (double)iy * h[1] : 0;
            double e = fabs(u[ix * nn[1] + iy] - mf_exact(x, y));
            if (!(e <= err)) err = e;
        }
    hy_ctx_free(c);
    return err;
}

static void test_convergence(void)
{
    static const char *const names[4] = {"steady/order/2d_dirichlet", "steady/order/1d_neumann",
                                         "steady/order/1d_dirichlet_value", "steady/order/1d_newton_cubic"};
    for (mcase = 0; mcase < 4; mcase++) {
        long n0 = mcase == 0 ? 9 : 17;
        double e[4];
        int steps[4];
        for (int k = 0; k < 4; k++) e[k] = mf_error((n0 - 1) * (1L << k) + 1, &steps[k]);
        int ok = 1;
        for (int k = 0; k < 3; k++) ok &= fabs(e[k] / e[k + 1] - 4) <= 0.5;
        ok &= e[3] < (mcase == 0 ? 2e-3 : 2e-4);
        for (int k = 0; k < 4; k++) ok &= mcase == 3 ? steps[k] >= 2 && steps[k] <= 8 : steps[k] == 0;
        tap_check(ok, names[mcase], "errors %.3g %.3g %.3g %.3g, Newton steps %d %d %d %d", e[0], e[1], e[2], e[3],
                  steps[0], steps[1], steps[2], steps[3]);
    }
}

static double hscale = 1e-4;   /* finite-difference step, relative */
static int pdim;    /* dimension of the parametrised case */
static int pnl;     /* 1: the source has the cubic term - cc u^3 (trainable 4) */
static const int PSIM = 5;   /* its simulator id (any index the compiler could give) */

/* ---- parametrised coefficients ----
 * trainables 0 A, 1 cx, 2 e0, 3 fa:
 *   kappa = 1 + A exp(-((x - cx)^2 + (y - 0.5)^2) / 0.1),  eta = e0 (1 + x y),  f = fa (1 + x) + 0.3 cos(y) */
static void p_coef(HyCtx *c, const double *X, const double *U, double *K, long N)
{
    const double *P = hy_params(c);
    double A = P[hy_param_offset(c, 0)], cx = P[hy_param_offset(c, 1)];
    double e0 = P[hy_param_offset(c, 2)], fa = P[hy_param_offset(c, 3)];
    int two = pdim == 2;
    for (long i = 0; i < N; i++) {
        double x = X[i], y = two ? X[N + i] : 0.5;
        double g = exp(-((x - cx) * (x - cx) + (y - 0.5) * (y - 0.5)) / 0.1);
        K[i] = 1 + A * g;
        K[N + i] = e0 * (1 + x * y);
        K[2 * N + i] = fa * (1 + x) + 0.3 * cos(y);
        K[3 * N + i] = 0;
        if (pnl) {
            double cc = P[hy_param_offset(c, 4)];
            K[2 * N + i] -= cc * U[i] * U[i] * U[i];
            K[3 * N + i] = -3 * cc * U[i] * U[i];
        }
    }
}

static void p_coef_adj(HyCtx *c, const double *X, const double *U, const double *Kb, double *G, long N)
{
    const double *P = hy_params(c);
    long oA = hy_param_offset(c, 0), oc = hy_param_offset(c, 1), oe = hy_param_offset(c, 2), of = hy_param_offset(c, 3);
    double A = P[oA], cx = P[oc];
    int two = pdim == 2;
    for (long i = 0; i < N; i++) {
        double x = X[i], y = two ? X[N + i] : 0.5;
        double g = exp(-((x - cx) * (x - cx) + (y - 0.5) * (y - 0.5)) / 0.1);
        G[oA] += Kb[i] * g;
        G[oc] += Kb[i] * A * g * 2 * (x - cx) / 0.1;
        G[oe] += Kb[N + i] * (1 + x * y);
        G[of] += Kb[2 * N + i] * (1 + x);
        if (pnl) G[hy_param_offset(c, 4)] += Kb[2 * N + i] * -(U[i] * U[i] * U[i]);
    }
}

typedef struct Probe {
    long n;
    double x[40], y[40], d[40], v[40], g[40];
    double *all, *allg;
    long N;
} Probe;

static double loss_eval(HyCtx *c, Probe *p, int grad)
{
    hy_steady_sample(c, PSIM, p->n, p->x, p->y, p->v);
    hy_steady_values(c, PSIM, p->all);
    double L = 0;
    for (long i = 0; i < p->n; i++) {
        double r = p->v[i] - p->d[i];
        L += r * r;
        p->g[i] = 2 * r;
    }
    for (long i = 0; i < p->N; i++) {
        L += 0.1 * p->all[i] * p->all[i];
        p->allg[i] = 0.2 * p->all[i];
    }
    if (grad) {
        memset(hy_grads(c), 0, sizeof(double) * (size_t)hy_total_params(c));
        hy_steady_sample_adj(c, PSIM, p->n, p->x, p->y, p->g);
        hy_steady_values_adj(c, PSIM, p->allg);
        hy_steady_backward(c);
    }
    return L;
}

static void grad_case(const char *name, int dim, int bc, double e0, int want_lu)
{
    HyCtx *c = hy_ctx_new();
    hy_scalar(c, "A", 0.7);
    hy_scalar(c, "cx", 0.4);
    hy_scalar(c, "e0", e0);
    hy_scalar(c, "fa", 1.3);
    pdim = dim;
    if (pnl) hy_scalar(c, "cc", 2.0);
    long n[2] = {dim == 2 ? 13 : 33, dim == 2 ? 11 : 1};
    double lo[2] = {0, 0}, hi[2] = {1, dim == 2 ? 1 : 0};
    double h[2] = {1.0 / (double)(n[0] - 1), dim == 2 ? 1.0 / (double)(n[1] - 1) : 1};
    hy_steady(c, PSIM, "p", dim, n, lo, hi, h, bc, 0.25);
    hy_steady_fns(c, PSIM, p_coef, p_coef_adj, pnl);
    int tr[5] = {0, 1, 2, 3, 4};
    hy_steady_depends(c, PSIM, 4 + pnl, tr);
    Probe p;
    memset(&p, 0, sizeof p);
    p.n = 40;
    for (long i = 0; i < p.n; i++) {
        p.x[i] = hy_rng_uniform(3, 1, (uint64_t)i);
        p.y[i] = hy_rng_uniform(3, 2, (uint64_t)i);
        p.d[i] = 0.5 * hy_rng_normal(3, 3, (uint64_t)i);
    }
    p.N = n[0] * n[1];
    p.all = calloc((size_t)p.N, sizeof(double));
    p.allg = calloc((size_t)p.N, sizeof(double));
    long np = hy_total_params(c);
    double g[8];
    loss_eval(c, &p, 1);
    for (long j = 0; j < np && j < 8; j++) g[j] = hy_grads(c)[j];
    int ok = 1;
    char why[256] = "";
    for (int t = 0; t < 4 + pnl; t++) {
        long j = hy_param_offset(c, t);
        double *P = hy_params(c);
        double p0 = P[j], hh = hscale * (fabs(p0) > 1e-2 ? fabs(p0) : 1e-2);
        P[j] = p0 + hh;
        double Lp = loss_eval(c, &p, 0);
        P[j] = p0 - hh;
        double Lm = loss_eval(c, &p, 0);
        P[j] = p0;
        double fd = (Lp - Lm) / (2 * hh), noise = 64 * 2.3e-16 * (fabs(Lp) + fabs(Lm)) / (2 * hh);
        if (!tap_close(g[j], fd, 1e-6, 1e-10 + noise) && ok) {
            ok = 0;
            snprintf(why, sizeof why, "parameter %d: adjoint %.12g, finite differences %.12g", t, g[j], fd);
        }
        if (fabs(fd) < 1e-6 && ok) {
            ok = 0;
            snprintf(why, sizeof why, "parameter %d: gradient %.3g too small to test anything", t, fd);
        }
    }
    long solves, adjs, lus;
    double secs;
    hy_steady_stats(c, PSIM, &solves, &adjs, &lus, &secs);
    if (ok && (want_lu ? lus == 0 : lus != 0)) {
        ok = 0;
        snprintf(why, sizeof why, "%ld LU fallbacks (expected %s)", lus, want_lu ? "some" : "none");
    }
    tap_check(ok, name, "%s", why);
    /* caching: evaluating again with the same parameters does not solve */
    loss_eval(c, &p, 1);   /* the parameters were last moved by the differences */
    hy_steady_stats(c, PSIM, &solves, &adjs, &lus, &secs);
    long s0 = solves;
    loss_eval(c, &p, 1);
    loss_eval(c, &p, 0);
    hy_steady_stats(c, PSIM, &solves, &adjs, &lus, &secs);
    if (dim == 2 && bc == HY_SIM_DIRICHLET && !want_lu && !pnl)
        tap_check(solves == s0 && adjs >= 2, "steady/cache", "solves %ld -> %ld, adjoint solves %ld", s0, solves, adjs);
    free(p.all);
    free(p.allg);
    hy_ctx_free(c);
}

static void test_gradients(void)
{
    grad_case("steady/grad/2d_dirichlet", 2, HY_SIM_DIRICHLET, 1.5, 0);
    grad_case("steady/grad/2d_neumann", 2, HY_SIM_NEUMANN, 1.5, 0);
    grad_case("steady/grad/1d_neumann", 1, HY_SIM_NEUMANN, 1.5, 0);
    grad_case("steady/grad/indefinite_lu", 2, HY_SIM_DIRICHLET, -30, 1);
    pnl = 1;
    grad_case("steady/grad/newton_2d_dirichlet", 2, HY_SIM_DIRICHLET, 1.5, 0);
    grad_case("steady/grad/newton_1d_neumann", 1, HY_SIM_NEUMANN, 1.5, 0);
    pnl = 0;
}

/* ---- through the compiler ---- */

#include "built.h"

static void compiled_grad(const char *src, const char *name)
{
    Built b;
    if (!build_ok(&b, src, name)) return;
    HyCtx *c = b.ctx;
    int nt = hy_num_trainables(c);
    double g[16];
    hy_substep_eval(c, 0);
    for (int t = 0; t < nt && t < 16; t++) g[t] = hy_grads(c)[hy_param_offset(c, t)];
    int ok = 1, tested = 0;
    char why[256] = "";
    for (int t = 0; t < nt && t < 16; t++) {
        if (hy_param_count(c, t) != 1) continue;
        double *P = hy_params(c);
        long off = hy_param_offset(c, t);
        double p0 = P[off], h = 1e-4 * (fabs(p0) > 1e-2 ? fabs(p0) : 1e-2);
        P[off] = p0 + h;
        double Lp = hy_substep_eval(c, 0);
        P[off] = p0 - h;
        double Lm = hy_substep_eval(c, 0);
        P[off] = p0;
        double fd = (Lp - Lm) / (2 * h), noise = 64 * 2.3e-16 * (fabs(Lp) + fabs(Lm)) / (2 * h);
        tested++;
        if (!tap_close(g[t], fd, 1e-6, 1e-12 + noise) && ok) {
            ok = 0;
            snprintf(why, sizeof why, "trainable %d: adjoint %.12g, finite differences %.12g", t, g[t], fd);
        }
        if (fabs(fd) < 1e-8 && ok) {
            ok = 0;
            snprintf(why, sizeof why, "trainable %d: gradient %.3g is too small to test anything", t, fd);
        }
    }
    if (ok && tested < 3) { ok = 0; snprintf(why, sizeof why, "only %d parameters tested", tested); }
    tap_check(ok, name, "%s", why);
    unbuild(&b);
}

static void test_compiled(void)
{
    compiled_grad("grid g = dirichlet(x: -3 .. 3, y: -3 .. 3, n 21 17, value 0.1)\n"
                  "param ak = 0.8\nparam xk = 0.5\nparam yk = -0.4\n"
                  "param ae = 1.2\nparam xe = -0.7\nparam ye = 0.3\n"
                  "sim s on g {\n"
                  "    state u = 0\n"
                  "    step steady\n"
                  "    diffusion(u) = 1 + ak * exp(-((x - xk)^2 + (y - yk)^2))\n"
                  "    reaction(u) = 0.5 + ae * exp(-((x - xe)^2 + (y - ye)^2))\n"
                  "    source(u) = 1 + sin(x) * cos(y)\n"
                  "}\n"
                  "domain q = rect(x: 0 .. 3, y: 0 .. 3)\n"
                  "points p = halton(30) in q\n"
                  "loss l = mse(s.u - 0.3 * x * y) over p + 0.01 * mean(s.u^2) over s\n"
                  "train 1 epochs { step l }\n",
                  "steady/compiled/grad_2d_dirichlet");
    compiled_grad("grid g = neumann(x: 0 .. 2, n 41)\n"
                  "param k0 = 0.8\nparam k1 = 0.3\nparam e0 = 2\nparam f0 = 0.7\n"
                  "sim s on g {\n"
                  "    state u = 0\n"
                  "    step steady\n"
                  "    diffusion(u) = k0 + k1 * cos(pi * x)\n"
                  "    reaction(u) = e0\n"
                  "    source(u) = f0 * x + exp(-x)\n"
                  "}\n"
                  "domain q = interval(x: 0 .. 2)\n"
                  "points p = sobol(20) in q\n"
                  "loss l = mse(s.u - sin(x)) over p\n"
                  "train 1 epochs { step l }\n",
                  "steady/compiled/grad_1d_neumann");
    compiled_grad("grid g = dirichlet(x: 0 .. 1, y: 0 .. 1, n 15, value 0.2)\n"
                  "param k0 = 0.8\nparam c3 = 2\nparam f0 = 3\n"
                  "sim s on g {\n"
                  "    state u = 0\n"
                  "    step steady\n"
                  "    diffusion(u) = k0 + x * y\n"
                  "    source(u) = f0 * (1 + x) - c3 * u^3 + sin(u)\n"
                  "}\n"
                  "domain q = rect(x: 0 .. 1, y: 0 .. 1)\n"
                  "points p = halton(20) in q\n"
                  "loss l = mse(s.u - x) over p\n"
                  "train 1 epochs { step l }\n",
                  "steady/compiled/grad_newton");
    static const struct { const char *src, *want, *name; } bad[] = {
        {"grid g = periodic(x: 0 .. 1, n 8)\nsim s on g {\n state u = 0\n step steady\n}\n", "needs a dirichlet(...) or neumann(...) grid",
         "steady/error/periodic"},
        {"grid g = dirichlet(x: 0 .. 1, n 8)\nsim s on g {\n state u = 0\n step steady\n reaction(u) = u^2\n}\n",
         "cannot depend on the state", "steady/error/nonlinear"},
        {"grid g = dirichlet(x: 0 .. 1, n 8)\nsim s on g {\n state u = 0\n step steady\n source(u) = dx(u)\n}\n",
         "the state's value, not its derivatives", "steady/error/source_derivative"},
        {"grid g = dirichlet(x: 0 .. 1, n 8)\nsim s on g {\n state u = 0\n step steady\n dt(u) = 1\n}\n",
         "lines read 'diffusion(u) = ...'", "steady/error/line"},
        {"grid g = dirichlet(x: 0 .. 1, n 8)\nsim s on g {\n state u = 0\n step steady dt 1\n}\n",
         "takes no options", "steady/error/options"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        char *text = NULL;
        size_t len = 0;
        FILE *d = open_memstream(&text, &len);
        Comp *c = comp_new("test.hyco", bad[k].src, strlen(bad[k].src), d);
        int r = comp_front(c);
        comp_free(c);
        fclose(d);
        tap_check(r != 0 && text && strstr(text, bad[k].want) && strstr(text, "test.hyco:"), bad[k].name,
                  "diagnostics: %s", text ? text : "");
        free(text);
    }
}

int main(void)
{
    test_convergence();
    test_gradients();
    test_compiled();
    return tap_exit();
}
