/* test_sim.c -- the simulator runtime (runtime/sim.c) with hand-written
 * right-hand sides, independent of the compiler.
 *
 *   stepping     heat equation u_t = nu u_xx from one Fourier mode: every
 *                snapshot equals the exact discrete solution (the mode times
 *                R(dt lambda)^s, R the stepper's amplification polynomial,
 *                lambda the stencil's eigenvalue), |err| <= 1e-12;
 *                Dirichlet keeps its edges, Neumann conserves the mass.
 *   convergence  viscous Burgers on a periodic grid against the Cole-Hopf
 *                solution: the error falls by 4 +- 0.6 per grid halving.
 *   gradients    d(loss)/d(parameter) of hy_sim_backward against central
 *                differences of full reruns (h = 1e-4 relative), tolerance
 *                1e-6 relative + 1e-10 + the rounding noise of the difference
 *                (64 eps (|L+| + |L-|) / 2h): Euler and RK4, periodic, Dirichlet,
 *                Neumann, 1-D and 2-D (two fields), a parameter in the initial
 *                state, the interpolation adjoint (initial values as
 *                parameters, no dynamics: the gradient is the scatter).
 *   memory       kept-state checkpointing gives bitwise the same gradient;
 *                no allocation after the first run; a run is reused while
 *                the parameters stay the same.
 */
#include <stdlib.h>
#include <string.h>
#include "tap.h"
#include "hyrt.h"

/* ---- right-hand sides ---- */

/* Burgers / heat: F = nu u_xx - b u u_x; nu trainable 0, b = burg. */
static double burg = 1.0;
static void rhs_burgers(HyCtx *c, const double *X, const double *U, double *F, long N, long nact,
                        const long *act, const long *nb)
{
    (void)X;
    const double *P = hy_params(c);
    double nu = P[hy_param_offset(c, 0)];
    double h = X[1] - X[0];
    for (long q = 0; q < nact; q++) {
        long i = act[q];
        double um = U[nb[i]], u0 = U[nb[N + i]], up = U[nb[2 * N + i]];
        double ux = (up - um) / (2 * h), uxx = (up - 2 * u0 + um) / (h * h);
        F[i] = nu * uxx - burg * u0 * ux;
    }
}

static void adj_burgers(HyCtx *c, const double *X, const double *U, const double *W, double *Ub, double *G, long N,
                        long nact, const long *act, const long *nb)
{
    const double *P = hy_params(c);
    long off = hy_param_offset(c, 0);
    double nu = P[off];
    double h = X[1] - X[0];
    for (long q = 0; q < nact; q++) {
        long i = act[q];
        long im = nb[i], i0 = nb[N + i], ip = nb[2 * N + i];
        double um = U[im], u0 = U[i0], up = U[ip];
        double ux = (up - um) / (2 * h), uxx = (up - 2 * u0 + um) / (h * h);
        double w = W[i];
        G[off] += w * uxx;
        double bux = w * nu, bx = -w * burg * u0;   /* adjoints of u_xx, u_x */
        Ub[i0] += -w * burg * ux - 2 * bux / (h * h);
        Ub[ip] += bux / (h * h) + bx / (2 * h);
        Ub[im] += bux / (h * h) - bx / (2 * h);
    }
}

static double ic_amp = 1.0, ic_k = 1.0, ic_L = 2.0;
static int ic_param = -1;   /* trainable whose value scales the initial state, or -1 */
static void init_sin(HyCtx *c, const double *X, double *U, long N)
{
    double a = ic_param >= 0 ? hy_params(c)[hy_param_offset(c, ic_param)] : ic_amp;
    for (long i = 0; i < N; i++)
        U[i] = -a * sin(2 * M_PI * ic_k * X[i] / ic_L);
}

static void init_adj_sin(HyCtx *c, const double *X, const double *Ub0, double *G, long N, long nact, const long *act)
{
    (void)N;
    long off = hy_param_offset(c, ic_param);
    for (long q = 0; q < nact; q++)
        G[off] += Ub0[act[q]] * -sin(2 * M_PI * ic_k * X[act[q]] / ic_L);
}

/* Two fields in 2-D (Gray-Scott-like, with a mixed derivative):
 *   u_t = Du lap u - u v^2 + f (1 - u) + e u_xy,  v_t = Dv lap v + u v^2 - (f + k) v;
 * Du, Dv trainables 0, 1. */
static const double gs_f = 0.04, gs_k = 0.06, gs_e = 0.01;
static double hx2, hy2;
static void rhs_gs(HyCtx *c, const double *X, const double *U, double *F, long N, long nact, const long *act,
                   const long *nb)
{
    (void)X;
    const double *P = hy_params(c);
    double Du = P[hy_param_offset(c, 0)], Dv = P[hy_param_offset(c, 1)];
    for (long q = 0; q < nact; q++) {
        long i = act[q];
        const double *V = U + N;
#define NB(o) nb[(long)(o) * N + i]
        double lu = (U[NB(1)] - 2 * U[i] + U[NB(7)]) / hx2 + (U[NB(3)] - 2 * U[i] + U[NB(5)]) / hy2;
        double lv = (V[NB(1)] - 2 * V[i] + V[NB(7)]) / hx2 + (V[NB(3)] - 2 * V[i] + V[NB(5)]) / hy2;
        double uxy = (U[NB(8)] - U[NB(6)] - U[NB(2)] + U[NB(0)]) / (4 * sqrt(hx2 * hy2));
        double u = U[i], v = V[i];
        F[i] = Du * lu - u * v * v + gs_f * (1 - u) + gs_e * uxy;
        F[N + i] = Dv * lv + u * v * v - (gs_f + gs_k) * v;
    }
}

static void adj_gs(HyCtx *c, const double *X, const double *U, const double *W, double *Ub, double *G, long N,
                   long nact, const long *act, const long *nb)
{
    (void)X;
    const double *P = hy_params(c);
    long o0 = hy_param_offset(c, 0), o1 = hy_param_offset(c, 1);
    double Du = P[o0], Dv = P[o1];
    const double *V = U + N;
    double *Vb = Ub + N;
    for (long q = 0; q < nact; q++) {
        long i = act[q];
        double lu = (U[NB(1)] - 2 * U[i] + U[NB(7)]) / hx2 + (U[NB(3)] - 2 * U[i] + U[NB(5)]) / hy2;
        double lv = (V[NB(1)] - 2 * V[i] + V[NB(7)]) / hx2 + (V[NB(3)] - 2 * V[i] + V[NB(5)]) / hy2;
        double u = U[i], v = V[i];
        double wu = W[i], wv = W[N + i];
        G[o0] += wu * lu;
        G[o1] += wv * lv;
        double blu = wu * Du, blv = wv * Dv, buxy = wu * gs_e / (4 * sqrt(hx2 * hy2));
        Ub[i] += wu * (-v * v - gs_f) + wv * v * v - 2 * blu / hx2 - 2 * blu / hy2;
        Vb[i] += wu * (-2 * u * v) + wv * (2 * u * v - gs_f - gs_k) - 2 * blv / hx2 - 2 * blv / hy2;
        Ub[NB(1)] += blu / hx2; Ub[NB(7)] += blu / hx2; Ub[NB(3)] += blu / hy2; Ub[NB(5)] += blu / hy2;
        Vb[NB(1)] += blv / hx2; Vb[NB(7)] += blv / hx2; Vb[NB(3)] += blv / hy2; Vb[NB(5)] += blv / hy2;
        Ub[NB(8)] += buxy; Ub[NB(6)] -= buxy; Ub[NB(2)] -= buxy; Ub[NB(0)] += buxy;
    }
#undef NB
}

static void init_gs(HyCtx *c, const double *X, double *U, long N)
{
    (void)c;
    for (long i = 0; i < N; i++) {
        double x = X[i], y = X[N + i];
        U[i] = 1 - 0.5 * exp(-10 * ((x - 0.3) * (x - 0.3) + (y - 0.6) * (y - 0.6)));
        U[N + i] = 0.25 * exp(-12 * ((x - 0.5) * (x - 0.5) + (y - 0.4) * (y - 0.4))) + 0.1 * x * y;
    }
}

/* No dynamics; the initial values are the parameters of trainable 0. */
static void rhs_zero(HyCtx *c, const double *X, const double *U, double *F, long N, long nact, const long *act,
                     const long *nb)
{
    (void)c; (void)X; (void)U; (void)N; (void)nb;
    for (long q = 0; q < nact; q++) F[act[q]] = 0;
}
static void adj_zero(HyCtx *c, const double *X, const double *U, const double *W, double *Ub, double *G, long N,
                     long nact, const long *act, const long *nb)
{
    (void)c; (void)X; (void)U; (void)W; (void)Ub; (void)G; (void)N; (void)nact; (void)act; (void)nb;
}
static void init_params(HyCtx *c, const double *X, double *U, long N)
{
    (void)X;
    memcpy(U, hy_params(c) + hy_param_offset(c, 0), sizeof(double) * (size_t)N);
}
static void init_adj_params(HyCtx *c, const double *X, const double *Ub0, double *G, long N, long nact, const long *act)
{
    (void)X; (void)N;
    long off = hy_param_offset(c, 0);
    for (long q = 0; q < nact; q++) G[off + act[q]] += Ub0[act[q]];
}

/* ---- a loss over sampled points: L = sum_i (u(x_i, t_i) - d_i)^2 (+ the same over the snapshots) ---- */

typedef struct Probe {
    long n;
    double x[64], y[64], t[64], d[64], v[64], g[64];
    int field;
    int snaps;          /* also sum over the snapshot set (weight 0.1) */
    double *sv, *sg;    /* [N nsnap] */
    long ns;
} Probe;

static double loss_eval(HyCtx *c, int sim, Probe *p, int with_grad)
{
    hy_sim_sample(c, sim, p->field, p->n, p->x, p->y, p->t, p->v);
    double L = 0;
    for (long i = 0; i < p->n; i++) {
        double r = p->v[i] - p->d[i];
        L += r * r;
        p->g[i] = 2 * r;
    }
    if (p->snaps) {
        hy_sim_snapshots(c, sim, p->field, p->sv);
        for (long i = 0; i < p->ns; i++) {
            L += 0.1 * p->sv[i] * p->sv[i];
            p->sg[i] = 0.2 * p->sv[i];
        }
    }
    if (with_grad) {
        memset(hy_grads(c), 0, sizeof(double) * (size_t)hy_total_params(c));
        hy_sim_sample_adj(c, sim, p->field, p->n, p->x, p->y, p->t, p->g);
        if (p->snaps) hy_sim_snapshots_adj(c, sim, p->field, p->sg);
        hy_sim_backward(c);
    }
    return L;
}

/* Adjoint gradient vs central differences for every parameter index of every
 * trainable; returns the worst relative error. */
static double grad_check(HyCtx *c, int sim, Probe *p, const char *name, double rtol)
{
    long np = hy_total_params(c);
    double *g = malloc(sizeof(double) * (size_t)np);
    loss_eval(c, sim, p, 1);
    memcpy(g, hy_grads(c), sizeof(double) * (size_t)np);
    double worst = 0;
    int ok = 1;
    char why[256] = "";
    for (long j = 0; j < np; j++) {
        double *P = hy_params(c);
        double p0 = P[j], h = 1e-4 * (fabs(p0) > 1e-2 ? fabs(p0) : 1e-2);
        P[j] = p0 + h;
        double Lp = loss_eval(c, sim, p, 0);
        P[j] = p0 - h;
        double Lm = loss_eval(c, sim, p, 0);
        P[j] = p0;
        double fd = (Lp - Lm) / (2 * h);
        double noise = 64 * 2.3e-16 * (fabs(Lp) + fabs(Lm)) / (2 * h);   /* rounding of the difference */
        double err = fabs(g[j] - fd) / (1e-10 + noise + fabs(fd));
        if (err > worst) worst = err;
        if (!tap_close(g[j], fd, rtol, 1e-10 + noise) && ok) {
            ok = 0;
            snprintf(why, sizeof why, "parameter %ld: adjoint %.12g, finite differences %.12g", j, g[j], fd);
        }
    }
    tap_check(ok, name, "%s", why);
    free(g);
    return worst;
}

static void probe_fill(Probe *p, long n, double xlo, double xhi, double ylo, double yhi, double T, unsigned seed)
{
    p->n = n;
    for (long i = 0; i < n; i++) {
        p->x[i] = xlo + (xhi - xlo) * hy_rng_uniform(seed, 1, (uint64_t)i);
        p->y[i] = ylo + (yhi - ylo) * hy_rng_uniform(seed, 2, (uint64_t)i);
        p->t[i] = T * hy_rng_uniform(seed, 3, (uint64_t)i);
        p->d[i] = 0.3 * hy_rng_normal(seed, 4, (uint64_t)i);
    }
}

/* ---- tests ---- */

static HyCtx *new_burgers(int bc, int method, long n, double nu, double dt, long steps, long save)
{
    HyCtx *c = hy_ctx_new();
    hy_scalar(c, "nu", nu);
    if (ic_param >= 0) hy_scalar(c, "amp", 0.9);
    double lo = 0, L = 2, h = bc == HY_SIM_PERIODIC ? L / (double)n : L / (double)(n - 1);
    double hi = lo + (double)(n - 1) * h;
    int s = hy_sim(c, "b", 1, &n, &lo, &hi, &h, bc, 0.0, 1);
    hy_sim_steps(c, s, method, dt, steps, save);
    hy_sim_fns(c, s, init_sin, rhs_burgers, adj_burgers, ic_param >= 0 ? init_adj_sin : NULL);
    int tr[2] = {0, ic_param};
    hy_sim_depends(c, s, ic_param >= 0 ? 2 : 1, tr);
    return c;
}

static void test_heat_modes(void)
{
    static const char *const names[2] = {"euler", "rk4"};
    burg = 0;
    ic_param = -1;
    for (int m = 0; m < 2; m++) {
        long n = 32;
        double nu = 0.1, dt = 2e-3, L = 2, h = L / (double)n;
        HyCtx *c = new_burgers(HY_SIM_PERIODIC, m, n, nu, dt, 50, 10);
        long ns, N;
        int nf;
        const double *S = hy_sim_state(c, 0, &ns, &N, &nf);
        double lam = -4 * nu / (h * h) * pow(sin(M_PI * h / L), 2), z = dt * lam;
        double R = m == 0 ? 1 + z : 1 + z + z * z / 2 + z * z * z / 6 + z * z * z * z / 24;
        double worst = 0;
        for (long k = 0; k <= ns; k++)
            for (long i = 0; i < N; i++) {
                double x = (double)i * h;   /* node i */
                double want = -sin(2 * M_PI * x / L) * pow(R, (double)(k * 10));
                double e = fabs(S[k * N + i] - want);
                if (e > worst) worst = e;
            }
        char nm[64];
        snprintf(nm, sizeof nm, "sim_heat_mode_%s", names[m]);
        tap_check(worst < 1e-12, nm, "max |u - exact discrete| = %.3g", worst);
        hy_ctx_free(c);
    }
    /* Dirichlet edges stay at 0 (a sine with nodes there anyway: use cos to test the reset) */
    {
        HyCtx *c = new_burgers(HY_SIM_DIRICHLET, HY_SIM_RK4, 21, 0.1, 1e-3, 40, 10);
        long ns, N;
        int nf;
        const double *S = hy_sim_state(c, 0, &ns, &N, &nf);
        int ok = 1;
        for (long k = 0; k <= ns; k++) ok &= S[k * N] == 0.0 && S[k * N + N - 1] == 0.0;
        tap_check(ok, "sim_dirichlet_edges", "edge values moved");
        hy_ctx_free(c);
    }
    /* Neumann: the trapezoid mass sum(u) - (u_0 + u_{n-1}) / 2 is conserved by the mirrored Laplacian */
    {
        ic_amp = 1;
        ic_k = 0.25;   /* -sin(pi x / 4): not symmetric, nonzero mass */
        HyCtx *c = new_burgers(HY_SIM_NEUMANN, HY_SIM_RK4, 41, 0.2, 1e-3, 200, 50);
        long ns, N;
        int nf;
        const double *S = hy_sim_state(c, 0, &ns, &N, &nf);
        double m0 = 0, m1 = 0;
        for (long i = 0; i < N; i++) {
            double w = (i == 0 || i == N - 1) ? 0.5 : 1;
            m0 += w * S[i];
            m1 += w * S[ns * N + i];
        }
        double moved = fabs(S[ns * N] - S[0]);
        tap_check(fabs(m1 - m0) < 1e-12 && moved > 1e-3, "sim_neumann_mass", "mass %.15g -> %.15g, edge moved %.3g", m0,
                  m1, moved);
        hy_ctx_free(c);
        ic_k = 1;
    }
    burg = 1;
}

/* Cole-Hopf solution of u_t + u u_x = nu u_xx, u(x, 0) = -sin(pi x) (period 2). */
static double cole_hopf(double x, double t, double nu)
{
    if (t == 0) return -sin(M_PI * x);
    const double Z = 12.0, dz = 1e-3;
    const double s = 2.0 * sqrt(nu * t), k = 1.0 / (2.0 * M_PI * nu);
    long n = (long)(2 * Z / dz + 0.5);
    double emax = -INFINITY;
    for (long i = 0; i <= n; i++) {
        double z = -Z + dz * (double)i, e = -cos(M_PI * (x - s * z)) * k - z * z;
        if (e > emax) emax = e;
    }
    double num = 0, den = 0;
    for (long i = 0; i <= n; i++) {
        double z = -Z + dz * (double)i, y = x - s * z;
        double w = exp(-cos(M_PI * y) * k - z * z - emax) * (i == 0 || i == n ? 0.5 : 1.0);
        num += sin(M_PI * y) * w;
        den += w;
    }
    return -num / den;
}

static void test_convergence(void)
{
    burg = 1;
    ic_param = -1;
    ic_amp = 1;
    ic_k = 1;
    const double nu = 0.05, T = 0.3;
    double err[3];
    long ns[3] = {32, 64, 128};
    double ref[8];
    long nprobe = 8;
    for (long j = 0; j < nprobe; j++) ref[j] = cole_hopf(0.25 * (double)j, T, nu);
    for (int g = 0; g < 3; g++) {
        long steps = 3000;
        HyCtx *c = new_burgers(HY_SIM_PERIODIC, HY_SIM_RK4, ns[g], nu, T / (double)steps, steps, steps);
        double x[8], t[8], v[8];
        for (long j = 0; j < nprobe; j++) { x[j] = 0.25 * (double)j; t[j] = T; }
        hy_sim_sample(c, 0, 0, nprobe, x, NULL, t, v);
        err[g] = 0;
        for (long j = 0; j < nprobe; j++)
            if (fabs(v[j] - ref[j]) > err[g]) err[g] = fabs(v[j] - ref[j]);
        hy_ctx_free(c);
    }
    double r1 = err[0] / err[1], r2 = err[1] / err[2];
    tap_check(r1 > 3.4 && r1 < 4.6 && r2 > 3.4 && r2 < 4.6 && err[2] < 1e-3, "sim_burgers_second_order",
              "errors %.3g %.3g %.3g (ratios %.2f %.2f)", err[0], err[1], err[2], r1, r2);
}

static void test_gradients(void)
{
    static const char *const bcn[3] = {"periodic", "dirichlet", "neumann"};
    static const char *const mn[2] = {"euler", "rk4"};
    burg = 1;
    ic_amp = 1;
    ic_k = 1;
    for (int bc = 0; bc < 3; bc++)
        for (int m = 0; m < 2; m++) {
            ic_param = (bc + m) % 2 ? 1 : -1;   /* half of them with the amplitude as a parameter */
            HyCtx *c = new_burgers(bc, m, 24, 0.05, 1e-3, 60, 20);
            Probe p;
            memset(&p, 0, sizeof p);
            probe_fill(&p, 30, -0.5, 2.5, 0, 0, 0.06, 7);
            p.snaps = 1;
            p.ns = 24 * 3;
            p.sv = malloc(sizeof(double) * (size_t)p.ns);
            p.sg = malloc(sizeof(double) * (size_t)p.ns);
            char nm[96];
            snprintf(nm, sizeof nm, "sim_grad_%s_%s%s", bcn[bc], mn[m], ic_param >= 0 ? "_ic" : "");
            grad_check(c, 0, &p, nm, 1e-6);
            free(p.sv);
            free(p.sg);
            hy_ctx_free(c);
        }
    ic_param = -1;
}

static HyCtx *new_gs(int bc, int method, long nx, long ny)
{
    HyCtx *c = hy_ctx_new();
    hy_scalar(c, "Du", 0.02);
    hy_scalar(c, "Dv", 0.01);
    long n[2] = {nx, ny};
    double lo[2] = {0, 0}, h[2], hi[2];
    for (int a = 0; a < 2; a++) {
        h[a] = bc == HY_SIM_PERIODIC ? 1.0 / (double)n[a] : 1.0 / (double)(n[a] - 1);
        hi[a] = lo[a] + (double)(n[a] - 1) * h[a];
    }
    hx2 = h[0] * h[0];
    hy2 = h[1] * h[1];
    int s = hy_sim(c, "gs", 2, n, lo, hi, h, bc, 0.2, 2);
    hy_sim_steps(c, s, method, 2e-3, 40, 10);
    hy_sim_fns(c, s, init_gs, rhs_gs, adj_gs, NULL);
    int tr[2] = {0, 1};
    hy_sim_depends(c, s, 2, tr);
    return c;
}

static void test_gradients_2d(void)
{
    static const char *const bcn[3] = {"periodic", "dirichlet", "neumann"};
    for (int bc = 0; bc < 3; bc++) {
        int m = bc == 1 ? HY_SIM_EULER : HY_SIM_RK4;
        HyCtx *c = new_gs(bc, m, 9, 7);
        for (int f = 0; f < 2; f++) {
            Probe p;
            memset(&p, 0, sizeof p);
            probe_fill(&p, 40, 0, 1, 0, 1, 0.08, 11 + (unsigned)f);
            p.field = f;
            p.snaps = 1;
            p.ns = 63 * 4;
            p.sv = malloc(sizeof(double) * (size_t)p.ns);
            p.sg = malloc(sizeof(double) * (size_t)p.ns);
            char nm[96];
            snprintf(nm, sizeof nm, "sim_grad_2d_%s_%s_field%d", bcn[bc], m ? "rk4" : "euler", f);
            grad_check(c, 0, &p, nm, 1e-6);
            free(p.sv);
            free(p.sg);
        }
        hy_ctx_free(c);
    }
}

/* The interpolation adjoint: initial values as parameters, F = 0, so the
 * gradient w.r.t. the parameters is exactly the transposed interpolation. */
static void test_interp_adjoint(void)
{
    for (int dim = 1; dim <= 2; dim++)
        for (int bc = 0; bc < 2; bc++) {
            HyCtx *c = hy_ctx_new();
            long n[2] = {7, 5};
            double lo[2] = {-1, 0.5}, h[2], hi[2];
            for (int a = 0; a < 2; a++) {
                h[a] = bc == HY_SIM_PERIODIC ? 1.5 / (double)n[a] : 1.5 / (double)(n[a] - 1);
                hi[a] = lo[a] + (double)(n[a] - 1) * h[a];
            }
            long N = dim == 1 ? n[0] : n[0] * n[1];
            double init[35];
            for (long i = 0; i < N; i++) init[i] = sin(1.0 + (double)i);
            hy_vector(c, "u0", (int)N, init);
            int s = hy_sim(c, "i", dim, n, lo, hi, h, bc == 0 ? HY_SIM_PERIODIC : HY_SIM_NEUMANN, 0, 1);
            hy_sim_steps(c, s, HY_SIM_EULER, 0.1, 4, 2);
            hy_sim_fns(c, s, init_params, rhs_zero, adj_zero, init_adj_params);
            int tr[1] = {0};
            hy_sim_depends(c, s, 1, tr);
            Probe p;
            memset(&p, 0, sizeof p);
            probe_fill(&p, 50, -1.4, 1.1, 0.3, 2.2, 0.4, 5);
            char nm[96];
            snprintf(nm, sizeof nm, "sim_interp_adjoint_%dd_%s", dim, bc == 0 ? "periodic" : "clamped");
            grad_check(c, 0, &p, nm, 1e-6);
            hy_ctx_free(c);
        }
}

static void test_memory(void)
{
    burg = 1;
    ic_param = -1;
    Probe p;
    memset(&p, 0, sizeof p);
    probe_fill(&p, 20, 0, 2, 0, 0, 0.1, 3);
    double g[2][1];
    long K[2];
    for (int v = 0; v < 2; v++) {
        HyCtx *c = new_burgers(HY_SIM_PERIODIC, HY_SIM_RK4, 32, 0.05, 1e-3, 100, 25);
        if (v) hy_sim_budget(c, 1000);   /* forces checkpointing */
        loss_eval(c, 0, &p, 1);
        g[v][0] = hy_grads(c)[0];
        long runs, sweeps;
        hy_sim_stats(c, 0, &runs, &sweeps, &K[v]);
        if (v == 0) {
            hy_alloc_reset(0);
            loss_eval(c, 0, &p, 1);    /* same parameters: no rerun */
            long runs2, sweeps2, k2;
            hy_sim_stats(c, 0, &runs2, &sweeps2, &k2);
            tap_check(runs2 == runs && sweeps2 == sweeps + 1, "sim_cached_run", "runs %ld -> %ld, sweeps %ld -> %ld", runs,
                      runs2, sweeps, sweeps2);
            hy_params(c)[0] += 1e-3;
            loss_eval(c, 0, &p, 1);    /* changed: one rerun */
            hy_sim_stats(c, 0, &runs2, &sweeps2, &k2);
            tap_check(runs2 == runs + 1, "sim_rerun_on_change", "runs %ld -> %ld", runs, runs2);
            tap_check(hy_alloc_count() == 0, "sim_no_alloc_per_step", "%ld allocations", hy_alloc_count());
        }
        hy_ctx_free(c);
    }
    tap_check(K[0] == 1 && K[1] == 10 && memcmp(&g[0][0], &g[1][0], sizeof(double)) == 0, "sim_checkpoint_bitwise",
              "K %ld / %ld, gradients %.17g / %.17g", K[0], K[1], g[0][0], g[1][0]);
}

int main(void)
{
    test_heat_modes();
    test_convergence();
    test_gradients();
    test_gradients_2d();
    test_interp_adjoint();
    test_memory();
    return tap_failed ? 1 : 0;
}
