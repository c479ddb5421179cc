/* test_rollout.c -- rollout networks (a 'sim' block with dt(u) = NET(u),
 * runtime/rollout.c), end to end: parse -> sema -> emit -> libtcc -> run.
 *
 *   forward    the snapshots of an Euler rollout are u_{k+1} = u_k + dt
 *              NET(u_k) with NET evaluated here by naive loops from the
 *              parameter block (hyrt_api.h's MLP layout): the whole-state
 *              mode, and the stencil mode with periodic wrap, Neumann mirror
 *              and Dirichlet clamp/held edges (1e-13 relative).
 *   gradients  d(loss)/d(every network weight, every scalar param) of a
 *              substep reading the rollout at scattered points and at its
 *              snapshots, against central differences of full reruns
 *              (h = 1e-5 max(|w|, 0.1)); tolerance 1e-6 relative plus 1e-7
 *              of the largest gradient entry plus the rounding noise of the
 *              difference.  Euler and RK4 (a neural ODE); whole state and
 *              stencils of radius 0, 1, 2; periodic, Neumann, Dirichlet;
 *              MLP, modified MLP, resnet and Fourier-feature networks;
 *              1-D and 2-D, two states; a param in the initial state; the
 *              HYCO coupling with a simulator behind stop().
 *   errors     a network of the wrong shape, arguments that are not the
 *              states in order, and a network mixed with ordinary equations
 *              are located errors.
 */
#include <stdlib.h>
#include <string.h>
#include "tap.h"
#include "ir.h"
#include "hyrt.h"

#include "built.h"

/* ---- forward against a naive evaluation ---- */

/* out[dout] = MLP(x[din]) with tanh hidden layers, parameters P in the
 * layout of rt_internal.h (per layer W [nout][nin] row-major, then b). */
static void mlp_naive(const double *P, int din, int dout, int width, int depth, const double *x, double *out)
{
    double a[256], z[256];
    int nin = din;
    for (int m = 0; m < din; m++) a[m] = x[m];
    for (int l = 0; l <= depth; l++) {
        int nout = l == depth ? dout : width;
        const double *W = P, *bb = P + (long)nout * nin;
        for (int o = 0; o < nout; o++) {
            double s = 0;
            for (int m = 0; m < nin; m++) s += W[(long)o * nin + m] * a[m];
            z[o] = s + bb[o];
        }
        P += (long)nout * nin + nout;
        for (int o = 0; o < nout; o++) a[o] = l == depth ? z[o] : tanh(z[o]);
        nin = nout;
    }
    for (int o = 0; o < dout; o++) out[o] = a[o];
}

/* Index of offset d from ix on an axis of n nodes: kind 0 periodic, 1
 * Neumann (mirror), 2 Dirichlet (clamp). */
static long nb(long ix, long d, long n, int kind)
{
    long j = ix + d;
    if (kind == 0) return ((j % n) + n) % n;
    if (kind == 1) return j < 0 ? -j : j > n - 1 ? 2 * (n - 1) - j : j;
    return j < 0 ? 0 : j > n - 1 ? n - 1 : j;
}

/* One Euler step of the rollout by hand; U, V [nf][N] on an nx x ny grid
 * (ny = 1 in 1-D); radius < 0: whole state. */
static void step_naive(const double *P, int width, int depth, int nf, long nx, long ny, int dim, int kind, int radius,
                       double dt, const double *U, double *V)
{
    const long N = nx * ny;
    double x[256], y[256];
    memcpy(V, U, sizeof(double) * (size_t)(nf * N));
    if (radius < 0) {
        mlp_naive(P, (int)(nf * N), (int)(nf * N), width, depth, U, y);
        for (long m = 0; m < nf * N; m++) {
            long i = m % N, ix = i / ny, iy = i % ny;
            int edge = ix == 0 || ix == nx - 1 || (dim == 2 && (iy == 0 || iy == ny - 1));
            if (kind != 2 || !edge) V[m] = U[m] + dt * y[m];
        }
        return;
    }
    const long w = 2L * radius + 1, K = dim == 1 ? w : w * w;
    for (long ix = 0; ix < nx; ix++)
        for (long iy = 0; iy < ny; iy++) {
            long i = ix * ny + iy;
            int edge = ix == 0 || ix == nx - 1 || (dim == 2 && (iy == 0 || iy == ny - 1));
            if (kind == 2 && edge) continue;
            for (int f = 0; f < nf; f++)
                for (long k = 0; k < K; k++) {
                    long dx = dim == 1 ? k - radius : k / w - radius, dy = dim == 1 ? 0 : k % w - radius;
                    long j = nb(ix, dx, nx, kind) * ny + (dim == 2 ? nb(iy, dy, ny, kind) : 0);
                    x[f * K + k] = U[f * N + j];
                }
            mlp_naive(P, (int)(nf * K), nf, width, depth, x, y);
            for (int f = 0; f < nf; f++) V[f * N + i] = U[f * N + i] + dt * y[f];
        }
}

static void forward_check(const char *grid, int kind, int dim, long nx, long ny, int nf, int radius, const char *name)
{
    char src[2048];
    const long N = nx * ny;
    long K = radius < 0 ? N : dim == 1 ? 2 * radius + 1 : (2 * radius + 1) * (2 * radius + 1);
    int din = (int)(nf * K), dout = radius < 0 ? (int)(nf * N) : nf;
    snprintf(src, sizeof src,
             "grid g = %s\n"
             "net f = mlp(%d -> %d, width 6, depth 2, tanh) optimizer adam(lr 1e-3)\n"
             "sim r on g {\n"
             "    state u = sin(pi*x)%s\n"
             "%s"
             "    step euler dt 0.05 save every 1 steps 3\n"
             "    dt(u) = f(u%s)\n%s"
             "}\n"
             "loss l = mean(r.u^2) over r\n"
             "train 1 epochs { step l }\n",
             grid, din, dout, dim == 2 ? " * cos(y)" : "", nf == 2 ? "    state v = 0.5 + 0.3 * x\n" : "",
             nf == 2 ? ", v" : "", nf == 2 ? "    dt(v) = f(u, v)\n" : "");
    Built b;
    if (!build_ok(&b, src, name)) return;
    long nsnap, npts;
    int nfl;
    const double *S = hy_sim_state(b.ctx, 0, &nsnap, &npts, &nfl);
    const double *P = hy_params(b.ctx) + hy_param_offset(b.ctx, 0);
    double U[512], V[512], worst = 0;
    int ok = nsnap == 3 && npts == N && nfl == nf;
    if (ok) {
        memcpy(U, S, sizeof(double) * (size_t)(nf * N));
        for (int k = 1; k <= 3; k++) {
            step_naive(P, 6, 2, nf, nx, ny, dim, kind, radius, 0.05, U, V);
            for (long m = 0; m < nf * N; m++) {
                double d = fabs(V[m] - S[k * nf * N + m]) / (1e-300 + fabs(V[m]) + 1e-3);
                if (!(d <= worst)) worst = d;
            }
            memcpy(U, S + k * nf * N, sizeof(double) * (size_t)(nf * N));
        }
    }
    tap_check(ok && worst < 1e-13, name, "nsnap %ld, points %ld, fields %d; worst relative difference %.3g", nsnap, npts,
              nfl, worst);
    unbuild(&b);
}

static void test_forward(void)
{
    forward_check("periodic(x: 0 .. 2, n 10)", 0, 1, 10, 1, 1, -1, "rollout/fwd/whole-state");
    forward_check("periodic(x: 0 .. 2, n 12)", 0, 1, 12, 1, 1, 2, "rollout/fwd/periodic-r2");
    forward_check("neumann(x: 0 .. 2, n 9)", 1, 1, 9, 1, 2, 2, "rollout/fwd/neumann-r2-two-states");
    forward_check("dirichlet(x: 0 .. 2, n 9, value 0.3)", 2, 1, 9, 1, 1, 1, "rollout/fwd/dirichlet-r1");
    forward_check("dirichlet(x: 0 .. 1, y: 0 .. 1, n 4, value 0.1)", 2, 2, 4, 4, 1, -1, "rollout/fwd/2d-whole-state");
    forward_check("periodic(x: 0 .. 1, y: 0 .. 1, n 5 4)", 0, 2, 5, 4, 2, 1, "rollout/fwd/2d-periodic-two-states");
}

/* ---- gradients ---- */

/* Gradient of substep `sub` against central differences in every parameter
 * of trainable `only` (-1: of every trainable). */
static void grad_check(const char *src, int sub, int only, const char *name)
{
    Built b;
    if (!build_ok(&b, src, name)) return;
    HyCtx *c = b.ctx;
    int nt = hy_num_trainables(c);
    long np = 0;
    for (int t = 0; t < nt; t++) np += hy_param_count(c, t);
    double *g = malloc(sizeof(double) * (size_t)np);
    hy_substep_eval(c, sub);
    memcpy(g, hy_grads(c), sizeof(double) * (size_t)np);
    double gmax = 0;
    for (long q = 0; q < np; q++) gmax = fmax(gmax, fabs(g[q]));
    int ok = gmax > 1e-8, nzero = 0;
    long checked = 0;
    char why[256] = "";
    if (!ok) snprintf(why, sizeof why, "largest gradient entry %.3g is too small to test anything", gmax);
    long lo = only < 0 ? 0 : hy_param_offset(c, only), hi = only < 0 ? np : lo + hy_param_count(c, only);
    for (long q = lo; q < hi && ok; q++) {
        double *P = hy_params(c);
        double p0 = P[q], h = 1e-5 * (fabs(p0) > 0.1 ? fabs(p0) : 0.1);
        P[q] = p0 + h;
        double Lp = hy_substep_eval(c, sub);
        P[q] = p0 - h;
        double Lm = hy_substep_eval(c, sub);
        P[q] = p0;
        double fd = (Lp - Lm) / (2 * h), noise = 64 * 2.3e-16 * (fabs(Lp) + fabs(Lm)) / (2 * h);
        if (!tap_close(g[q], fd, 1e-6, 1e-7 * gmax + noise)) {
            ok = 0;
            snprintf(why, sizeof why, "parameter %ld of %ld: adjoint %.12g, finite differences %.12g", q, np, g[q], fd);
        }
        nzero += g[q] == 0;
        checked++;
    }
    if (ok && nzero > (hi - lo) / 2) {
        ok = 0;
        snprintf(why, sizeof why, "%d of %ld gradient entries are exactly 0", nzero, np);
    }
    hy_substep_eval(c, sub);   /* the gradient is a pure function of the parameters */
    for (long q = 0; q < np && ok; q++)
        if (hy_grads(c)[q] != g[q]) { ok = 0; snprintf(why, sizeof why, "a second evaluation differs at %ld", q); }
    tap_check(ok, name, "%s (%ld parameters checked)", why, checked);
    free(g);
    unbuild(&b);
}

static void test_gradients(void)
{
    static const char *const grids[3] = {"periodic(x: 0 .. 2, n 16)", "neumann(x: 0 .. 2, n 15)",
                                         "dirichlet(x: 0 .. 2, n 15, value 0.1)"};
    static const char *const gname[3] = {"periodic", "neumann", "dirichlet"};
    static const int radius[3] = {1, 2, 0};
    for (int gk = 0; gk < 3; gk++)
        for (int m = 0; m < 2; m++) {
            char src[2048], name[96];
            int K = 2 * radius[gk] + 1;
            snprintf(src, sizeof src,
                     "grid g = %s\n"
                     "param a = 0.8 optimizer adam(lr 1e-2)\n"
                     "net f = mlp(%d -> 1, width 5, depth 2, tanh) optimizer adam(lr 1e-3)\n"
                     "sim r on g {\n"
                     "    state u = -a * sin(pi*x) + 0.2\n"
                     "    step %s dt 0.04 save every 2 steps 6\n"
                     "    dt(u) = f(u)\n"
                     "}\n"
                     "domain box1 = rect(x: 0 .. 2, t: 0 .. 0.24)\n"
                     "points p = random(30) in box1\n"
                     "loss l = mse(r.u - 0.3 * x * t) over p + 0.1 * mean(r.u^2) over r\n"
                     "train 1 epochs { step l }\n",
                     grids[gk], K, m ? "rk4" : "euler");
            snprintf(name, sizeof name, "rollout/grad/%s_r%d_%s", gname[gk], radius[gk], m ? "rk4" : "euler");
            grad_check(src, 0, -1, name);
        }
    grad_check("grid g = periodic(x: 0 .. 1, n 8)\n"
               "net f = mlp(8 -> 8, width 6, depth 2, tanh) optimizer adam(lr 1e-3)\n"
               "sim r on g {\n    state u = cos(2*pi*x)\n    step rk4 dt 0.05 steps 4\n    dt(u) = f(u)\n}\n"
               "data obs = load(\"tests/data/rollout_obs.csv\", columns x t u)\n"
               "loss l = mse(r.u - obs.u) over obs\n"
               "train 1 epochs { step l }\n",
               0, -1, "rollout/grad/whole-state_rk4_data");
    grad_check("grid g = dirichlet(x: 0 .. 1, y: 0 .. 1, n 5 6, value 0.2)\n"
               "net f = mlp(18 -> 2, width 6, depth 1, tanh) optimizer adam(lr 1e-3)\n"
               "sim r on g {\n    state u = x * y\n    state v = 1 - x\n    step euler dt 0.05 steps 4\n"
               "    dt(u) = f(u, v)\n    dt(v) = f(u, v)\n}\n"
               "domain box1 = box(x: 0 .. 1, y: 0 .. 1, t: 0 .. 0.2)\n"
               "points p = halton(30) in box1\n"
               "loss l = mse(r.u - x * t) over p + mse(r.v - y) over p + 0.1 * mean(r.u * r.v) over r\n"
               "train 1 epochs { step l }\n",
               0, -1, "rollout/grad/2d_dirichlet_two-states");
    /* other network kinds: the reverse pass's input adjoint through their trunks */
    static const char *const kinds[3] = {"modified_mlp(3 -> 1, width 5, depth 2, tanh)",
                                         "resnet(3 -> 1, width 5, depth 3, sin)",
                                         "mlp(3 -> 1, width 5, depth 2, tanh, fourier 3, scale 0.5)"};
    static const char *const kname[3] = {"modified_mlp", "resnet", "fourier"};
    for (int k = 0; k < 3; k++) {
        char src[2048], name[96];
        snprintf(src, sizeof src,
                 "grid g = periodic(x: 0 .. 2, n 12)\n"
                 "net f = %s optimizer adam(lr 1e-3)\n"
                 "sim r on g {\n    state u = sin(pi*x)\n    step rk4 dt 0.05 save every 1 steps 3\n    dt(u) = f(u)\n}\n"
                 "loss l = mean((r.u - 0.2 * t)^2) over r\n"
                 "train 1 epochs { step l }\n",
                 kinds[k]);
        snprintf(name, sizeof name, "rollout/grad/%s_rk4", kname[k]);
        grad_check(src, 0, -1, name);
    }
    /* HYCO coupling: the rollout learns from a simulator behind stop(); the
     * simulator's nu from the rollout behind stop() */
    static const char *hyco =
        "grid g = periodic(x: 0 .. 2, n 16)\n"
        "param nu = 0.05 in [0.001, 0.1] optimizer lbfgsb(max_iterations 3)\n"
        "sim s on g {\n    state u = -sin(pi*x)\n    step rk4 dt 1e-2 save every 4 steps 12\n"
        "    dt(u) = nu * dxx(u) - u * dx(u)\n}\n"
        "net f = mlp(3 -> 1, width 5, depth 2, tanh) optimizer adam(lr 1e-3)\n"
        "sim r on g {\n    state u = -sin(pi*x)\n    step euler dt 0.04 steps 3\n    dt(u) = f(u)\n}\n"
        "loss syn  = mse(r.u - stop(s.u)) over s\n"
        "loss phys = mse(s.u - stop(r.u)) over r\n"
        "train 1 epochs { step syn\n step phys }\n";
    grad_check(hyco, 0, 1, "rollout/grad/hyco-synthetic-substep");   /* the network */
    grad_check(hyco, 1, 0, "rollout/grad/hyco-physical-substep");    /* nu */
}

/* ---- errors ---- */

static void expect_error(const char *src, const char *want, const char *name)
{
    char *text = NULL;
    size_t len = 0;
    FILE *d = open_memstream(&text, &len);
    Comp *c = comp_new("test.hyco", src, strlen(src), d);
    int r = comp_front(c);
    comp_free(c);
    fclose(d);
    tap_check(r && text && strstr(text, want), name, "status %d, diagnostics: %s", r, text ? text : "");
    free(text);
}

static void test_errors(void)
{
    expect_error("grid g = periodic(x: 0 .. 2, n 16)\n"
                 "net f = mlp(4 -> 1, width 5, depth 2, tanh)\n"
                 "sim r on g {\n    state u = sin(x)\n    step euler dt 0.1 steps 2\n    dt(u) = f(u)\n}\n"
                 "loss l = mean(r.u^2) over r\ntrain 1 epochs { step l }\n",
                 "test.hyco:6:13: error: network 'f' is 4 -> 1, but a right-hand side on grid 'g' (16 nodes, 1 state) "
                 "needs 16 -> 16 (the whole state) or 1 (2r + 1) -> 1",
                 "rollout/error/shape");
    expect_error("grid g = periodic(x: 0 .. 2, n 16)\n"
                 "net f = mlp(3 -> 1, width 5, depth 2, tanh)\n"
                 "sim r on g {\n    state u = sin(x)\n    step euler dt 0.1 steps 2\n    dt(u) = f(x)\n}\n"
                 "loss l = mean(r.u^2) over r\ntrain 1 epochs { step l }\n",
                 "test.hyco:6:13: error: a network right-hand side takes every state, in the declared order: f(u)",
                 "rollout/error/arguments");
    expect_error("grid g = periodic(x: 0 .. 2, n 16)\n"
                 "net f = mlp(6 -> 2, width 5, depth 2, tanh)\n"
                 "sim r on g {\n    state u = sin(x)\n    state v = cos(x)\n    step euler dt 0.1 steps 2\n"
                 "    dt(u) = f(u, v)\n    dt(v) = -u\n}\n"
                 "loss l = mean(r.u^2) over r\ntrain 1 epochs { step l }\n",
                 "error: simulator 'r' mixes a network right-hand side with others", "rollout/error/mixed");
}

int main(void)
{
    test_forward();
    test_gradients();
    test_errors();
    return tap_failed ? 1 : 0;
}
