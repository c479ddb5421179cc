/* test_hybrid.c -- simulators in the language, end to end (parse -> sema ->
 * emit -> libtcc -> runtime/sim.c), and the hybrid schedule.
 *
 *   gradients  d(loss)/d(param) of a substep whose losses read s.u (the
 *              emitted right-hand side, its symbolic adjoint, the runtime's
 *              discrete adjoint and the interpolation adjoint) against
 *              central differences of the same loss recomputed by full
 *              reruns, h = 1e-4 relative; tolerance 1e-6 relative plus the
 *              rounding noise of the difference (64 eps (|L+| + |L-|) / 2h).
 *              Euler and RK4; periodic, Dirichlet, Neumann; 1-D and 2-D with
 *              two states and two parameters; a parameter in the initial
 *              state; snapshots ('over s') and scattered points; the heat
 *              case's diffusivity map (a let of x, y and six parameters).
 *   stability  the warning for an unstable step (with its location, the
 *              stable dt it proposes really being stable), for a parameter
 *              bound that makes it unstable, and none for a stable block.
 *   schedule   'warmup N' skips the substeps that update a param in epochs
 *              1..N, 'every k' runs a substep in the epochs divisible by k
 *              (counted with SGD steps of a unit gradient); the history
 *              holds NaN (skipped) for the loss in exactly the other epochs.
 *   ghost      interaction points redrawn every epoch ('resample every 1'):
 *              the gradient after a redraw against central differences (h
 *              1e-6, 1e-6 relative), two runs with the same seed bitwise equal.
 *   lbfgsb     L-BFGS-B (max_iterations 3) on a simulator's parameter whose
 *              best value lies past its bound: it moves off the start in the
 *              first call and ends on the bound, never past it.
 *   upwind     upwind(c, dx(u)): gradients against central differences (a
 *              velocity that changes sign and reads a parameter; 1-D Euler and
 *              RK4, 2-D in both axes); at Courant number 1 forward Euler with
 *              upwinding moves the state exactly one node per step (both signs,
 *              1e-12); the stability check passes Courant 0.64 and flags 1.6.
 *   redraw     the interaction points of 'resample every 1' differ between
 *              epochs 1 and 2, are bitwise identical in two builds with the
 *              same seed, and differ with another seed.
 *   history    every scalar parameter a simulator reads is a history column
 *              (without 'track'), once, in declaration order.
 */
#include <stdlib.h>
#include <string.h>
#include "tap.h"
#include "ir.h"
#include "hyrt.h"

#include "built.h"

/* Gradient of substep 0 against central differences in every scalar trainable. */
static void grad_check(const char *src, const char *name)
{
    Built b;
    if (!build_ok(&b, src, name)) return;
    HyCtx *c = b.ctx;
    int nt = hy_num_trainables(c);
    double g[16];
    hy_substep_eval(c, 0);
    for (int t = 0; t < nt && t < 16; t++) g[t] = hy_grads(c)[hy_param_offset(c, t)];
    int ok = 1;
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
        if (!tap_close(g[t], fd, 1e-6, 1e-12 + noise) && ok) {
            ok = 0;
            snprintf(why, sizeof why, "trainable %d: adjoint %.12g, finite differences %.12g", t, g[t], fd);
        }
        if (fabs(fd) < 1e-8 && ok) {
            ok = 0;
            snprintf(why, sizeof why, "trainable %d: gradient %.3g is too small to test anything", t, fd);
        }
    }
    tap_check(ok, name, "%s", why);
    unbuild(&b);
}

static void test_gradients(void)
{
    static const char *const grids[3] = {"periodic(x: 0 .. 2, n 24)", "dirichlet(x: 0 .. 2, n 25)",
                                         "neumann(x: 0 .. 2, n 25)"};
    static const char *const gname[3] = {"periodic", "dirichlet", "neumann"};
    for (int gk = 0; gk < 3; gk++)
        for (int m = 0; m < 2; m++) {
            char src[2048], name[96];
            snprintf(src, sizeof src,
                     "grid g = %s\n"
                     "param nu = 0.05 in [0.001, 0.1] optimizer adam(lr 1e-3)\n"
                     "param a = 0.9 optimizer adam(lr 1e-2)\n"
                     "sim s on g {\n"
                     "    state u = -a * sin(pi*x) + 0.2 * cos(pi*x/2)\n"
                     "    step %s dt 1e-3 save every 20 steps 60\n"
                     "    dt(u) = nu * dxx(u) - u * dx(u) + 0.1 * sin(x) * u^2\n"
                     "}\n"
                     "domain box1 = rect(x: 0 .. 2, t: 0 .. 0.06)\n"
                     "points p = random(40) in box1\n"
                     "loss l = mse(s.u - 0.3 * x) over p + 0.1 * mean(s.u^2) over s\n"
                     "train 1 epochs { step l }\n",
                     grids[gk], m ? "rk4" : "euler");
            snprintf(name, sizeof name, "hybrid/grad/%s_%s", gname[gk], m ? "rk4" : "euler");
            grad_check(src, name);
        }
    /* 2-D, two states, two parameters, a mixed derivative and the Laplacian */
    static const char *const g2[3] = {"periodic(x: 0 .. 1, y: 0 .. 1, n 9 7)",
                                      "dirichlet(x: 0 .. 1, y: 0 .. 1, n 9 7, value 0.2)",
                                      "neumann(x: 0 .. 1, y: 0 .. 1, n 9)"};
    for (int gk = 0; gk < 3; gk++) {
        char src[2048], name[96];
        snprintf(src, sizeof src,
                 "grid g = %s\n"
                 "param du = 0.02 optimizer adam(lr 1e-3)\n"
                 "param dv = 0.01 optimizer adam(lr 1e-3)\n"
                 "sim gs on g {\n"
                 "    state u = 1 - 0.5 * exp(-10 * ((x - 0.3)^2 + (y - 0.6)^2))\n"
                 "    state v = 0.25 * exp(-12 * ((x - 0.5)^2 + (y - 0.4)^2)) + 0.1 * x * y\n"
                 "    step %s dt 2e-3 save every 10 steps 40\n"
                 "    dt(u) = du * lap(u) - u * v^2 + 0.04 * (1 - u) + 0.01 * dxy(u)\n"
                 "    dt(v) = dv * lap(v) + u * v^2 - 0.1 * v\n"
                 "}\n"
                 "domain box1 = box(x: 0 .. 1, y: 0 .. 1, t: 0 .. 0.08)\n"
                 "points p = halton(50) in box1\n"
                 "loss l = mse(gs.u - x * y) over p + mse(gs.v - 0.1) over p + 0.1 * mean(gs.v * gs.u) over gs\n"
                 "train 1 epochs { step l }\n",
                 g2[gk], gk == 1 ? "euler" : "rk4");
        snprintf(name, sizeof name, "hybrid/grad/2d_%s", gname[gk]);
        grad_check(src, name);
    }
    /* a coefficient map of the coordinates and six parameters through a let (the heat case) */
    grad_check("grid g = dirichlet(x: -3 .. 3, y: -3 .. 3, n 12)\n"
               "param A1 = 1.5 optimizer adam(lr 1e-3)\n"
               "param A2 = 0.8 optimizer adam(lr 1e-3)\n"
               "param x1 = 0.7 optimizer adam(lr 1e-3)\n"
               "param x2 = -1.6 optimizer adam(lr 1e-3)\n"
               "param y1 = 0.4 optimizer adam(lr 1e-3)\n"
               "param y2 = -1.2 optimizer adam(lr 1e-3)\n"
               "let kappa = 0.1 + A1 * exp(-((x - x1)^2 + (y - y1)^2)) + A2 * exp(-((x - x2)^2 + (y - y2)^2))\n"
               "sim heat on g {\n"
               "    state u = exp(-((x - 1)^2 + (y - 1)^2)) - exp(-((x + 1)^2 + (y + 1)^2))\n"
               "    step euler dt 0.004 save every 5 steps 50\n"
               "    dt(u) = kappa * lap(u)\n"
               "}\n"
               "domain box1 = box(x: 0 .. 3, y: 0 .. 3, t: 0 .. 0.2)\n"
               "points p = halton(60) in box1\n"
               "loss l = mse(heat.u - 0.3 * exp(-t) * x * y / 9) over p + 0.01 * mean(heat.u^2) over heat\n"
               "train 1 epochs { step l }\n",
               "hybrid/grad/heat_map");
}

/* Compiles src and returns its diagnostics (malloc'd), or NULL if it did not pass sema. */
static char *diagnostics(const char *src)
{
    char *text = NULL;
    size_t len = 0;
    FILE *d = open_memstream(&text, &len);
    Comp *c = comp_new("test.hyco", src, strlen(src), d);
    int r = comp_front(c);
    comp_free(c);
    fclose(d);
    if (r) { free(text); return NULL; }
    return text;
}

static void test_stability(void)
{
    const char *fmt =
        "grid g = periodic(x: 0 .. 2, n %d)\n"
        "param nu = 0.02 in [0.001, %g]\n"
        "sim s on g {\n"
        "    state u = -sin(pi*x)\n"
        "    step %s dt %g steps %d\n"
        "    dt(u) = nu * dxx(u) - u * dx(u)\n"
        "}\n"
        "loss l = mse(s.u) over s\n"
        "train 1 epochs { step l }\n";
    char src[1024];
    /* 512 nodes, RK4, dt 1e-3: diffusion number 4 nu dt / h^2 = 5.2 > 2.79 */
    snprintf(src, sizeof src, fmt, 512, 0.02, "rk4", 1e-3, 300);
    char *d = diagnostics(src);
    int ok = d && strstr(d, "test.hyco:5:5: warning: simulator 's' may be unstable") && strstr(d, "dt <= ");
    double dtmax = 0;
    const char *p = d ? strstr(d, "dt <= ") : NULL;
    if (p) dtmax = atof(p + 6);
    tap_check(ok, "hybrid/stability/warns", "diagnostics: %s", d ? d : "(errors)");
    free(d);
    /* the proposed dt is stable: no warning with it */
    snprintf(src, sizeof src, fmt, 512, 0.02, "rk4", dtmax * 0.999, 300);
    d = diagnostics(src);
    tap_check(dtmax > 1e-4 && dtmax < 1e-3 && d && !strstr(d, "warning"), "hybrid/stability/proposed-dt",
              "dt %g: %s", dtmax, d ? d : "(errors)");
    free(d);
    /* stable with the initial value, not with the upper bound 0.5 */
    snprintf(src, sizeof src, fmt, 128, 0.5, "rk4", 1e-3, 300);
    d = diagnostics(src);
    tap_check(d && strstr(d, "with nu = 0.5 (its upper bound)"), "hybrid/stability/bound", "diagnostics: %s",
              d ? d : "(errors)");
    free(d);
    /* the spec's setting: no warning */
    snprintf(src, sizeof src, fmt, 128, 0.1, "rk4", 1e-3, 300);
    d = diagnostics(src);
    tap_check(d && !strstr(d, "warning"), "hybrid/stability/quiet", "diagnostics: %s", d ? d : "(errors)");
    free(d);
    /* Euler with central advection and no diffusion amplifies every mode */
    snprintf(src, sizeof src, fmt, 64, 0.1, "euler", 1e-2, 100);
    char *e = strstr(src, "nu * dxx(u)");
    memcpy(e, "nu * u     ", 11);   /* a growth rate instead of diffusion: allowed, advection is not */
    d = diagnostics(src);
    tap_check(d && strstr(d, "Euler with dt = 0.01"), "hybrid/stability/euler-advection", "diagnostics: %s",
              d ? d : "(errors)");
    free(d);
}

/* warmup/every: SGD with lr 1 on loss -a moves a by 1 per step taken. */
static void test_schedule(void)
{
    static const struct { const char *clause, *every; double want; } cases[] = {
        {"", "", 10}, {"warmup 3", "", 7}, {"", "every 2", 5}, {"warmup 3", "every 2", 4}, {"warmup 9", "every 5", 1},
    };
    for (size_t q = 0; q < sizeof cases / sizeof cases[0]; q++) {
        char src[1024], name[96];
        snprintf(src, sizeof src,
                 "domain line = interval(x: 0 .. 1, mesh 0.5)\n"
                 "net n = mlp(1 -> 1, width 2, depth 1) optimizer sgd(lr 0.1)\n"
                 "param a = 0 optimizer sgd(lr 1)\n"
                 "loss ln = mse(n - 1) over line\n"
                 "loss la = -a\n"
                 "train 10 epochs %s { step ln; step la %s }\n",
                 cases[q].clause, cases[q].every);
        snprintf(name, sizeof name, "hybrid/schedule/%s%s%s", *cases[q].clause ? cases[q].clause : "plain",
                 *cases[q].every ? "+" : "", cases[q].every);
        for (char *s = name; *s; s++) if (*s == ' ') *s = '_';
        Built b;
        if (!build_ok(&b, src, name)) continue;
        hy_train(b.ctx);
        double a = hy_params(b.ctx)[hy_param_offset(b.ctx, 1)];
        long len0, len1;
        hy_opt_state(b.ctx, 0, 0, &len0);
        hy_opt_state(b.ctx, 1, 1, &len1);
        tap_check(a == cases[q].want, name, "a = %g after training, want %g", a, cases[q].want);
        /* the history marks la skipped (NaN) exactly in the epochs it did not run */
        long nr;
        int nc;
        const double *h = hy_history(b.ctx, &nr, &nc);
        int ok = h && nr == 10 && nc == 3, runs = 0;
        for (long r = 0; ok && r < nr; r++) {
            long e = (long)h[r * nc];
            int warm = *cases[q].clause ? atoi(cases[q].clause + 7) : 0;
            int every = *cases[q].every ? atoi(cases[q].every + 6) : 1;
            int due = e > warm && e % every == 0;
            ok = isnan(h[r * nc + 2]) == !due && isfinite(h[r * nc + 1]);
            runs += due;
        }
        char hn[128];
        snprintf(hn, sizeof hn, "%s/history-skipped", name);
        tap_check(ok && runs == (int)cases[q].want, hn, "history rows %ld x %d do not mark the skipped epochs", nr, nc);
        unbuild(&b);
    }
}

/* Interaction points redrawn every epoch: the coupling terms see new points,
 * their gradients stay exact, and two runs with the same seed agree bitwise. */
static void test_ghost(void)
{
    const char *src =
        "seed 4\n"
        "grid g = periodic(x: 0 .. 2, n 32)\n"
        "param nu = 0.05 in [0.001, 0.1] optimizer adam(lr 1e-3)\n"
        "sim s on g {\n"
        "    state u = -sin(pi*x)\n"
        "    step rk4 dt 2e-3 save every 10 steps 50\n"
        "    dt(u) = nu * dxx(u) - u * dx(u)\n"
        "}\n"
        "domain window = rect(x: 0 .. 2, t: 0 .. 0.1)\n"
        "points ghost = random(30) in window resample every 1\n"
        "net syn = mlp(2 -> 1, width 8, depth 2) optimizer adam(lr 1e-2)\n"
        "loss phys = mse(s.u - stop(syn)) over ghost + mse(s.u + sin(pi*x) * exp(-t)) over ghost\n"
        "loss synl = mse(syn - stop(s.u)) over ghost\n"
        "train 6 epochs { step synl x 2; step phys }\n";
    Built a, b, c2;
    if (!build_ok(&a, src, "hybrid/ghost/build")) return;
    /* gradient after a redraw (round 1) */
    hy_ps_update(a.ctx, 1);
    hy_substep_eval(a.ctx, 1);
    double g0 = hy_grads(a.ctx)[hy_param_offset(a.ctx, 0)];
    double *P = hy_params(a.ctx), p0 = P[0], h = 1e-6;
    P[0] = p0 + h;
    double Lp = hy_substep_eval(a.ctx, 1);
    P[0] = p0 - h;
    double Lm = hy_substep_eval(a.ctx, 1);
    P[0] = p0;
    double fd = (Lp - Lm) / (2 * h);
    tap_check(tap_close(g0, fd, 1e-6, 1e-9), "hybrid/ghost/gradient-after-redraw", "adjoint %.12g, FD %.12g", g0, fd);
    unbuild(&a);
    /* two fresh runs: identical */
    if (!build_ok(&b, src, "hybrid/ghost/build")) return;
    if (!build_ok(&c2, src, "hybrid/ghost/build")) { unbuild(&b); return; }
    hy_train(b.ctx);
    hy_train(c2.ctx);
    long nb = hy_total_params(b.ctx);
    int same = nb == hy_total_params(c2.ctx) &&
               memcmp(hy_params(b.ctx), hy_params(c2.ctx), sizeof(double) * (size_t)nb) == 0;
    tap_check(same && hy_params(b.ctx)[0] != 0.05, "hybrid/ghost/deterministic", "runs differ or nu did not move (%g)",
              hy_params(b.ctx)[0]);
    unbuild(&b);
    unbuild(&c2);
}

/* L-BFGS-B on a simulator parameter: 3 iterations per epoch move it off the
 * start, toward a truth outside the bounds, and never past the bound. */
static void test_lbfgsb(void)
{
    const char *src =
        "grid g = periodic(x: 0 .. 2, n 32)\n"
        "param nu = 0.02 in [0.001, 0.1] optimizer lbfgsb(max_iterations 3, tolerate nonconvergence)\n"
        "sim s on g {\n"
        "    state u = sin(pi*x)\n"
        "    step rk4 dt 1e-3 save every 25 steps 100\n"
        "    dt(u) = nu * dxx(u)\n"
        "}\n"
        "loss fit = mse(s.u - sin(pi*x) * exp(-0.5 * pi^2 * t)) over s\n"   /* the solution for nu = 0.5 */
        "train 4 epochs { step fit }\n";
    Built b;
    if (!build_ok(&b, src, "hybrid/lbfgsb/build")) return;
    int ok = 1;
    double prev = 0.02;
    char why[160] = "";
    for (int e = 1; e <= 4 && ok; e++) {
        hy_set_epochs(b.ctx, 1);
        hy_train(b.ctx);
        double nu = hy_params(b.ctx)[0];
        if (!(nu <= 0.1 && nu >= 0.001)) { ok = 0; snprintf(why, sizeof why, "epoch %d: nu = %.17g outside the bounds", e, nu); }
        if (e == 1 && !(nu > prev)) { ok = 0; snprintf(why, sizeof why, "the first L-BFGS-B call returned nu = %.17g", nu); }
        prev = nu;
    }
    tap_check(ok && prev == 0.1, "hybrid/lbfgsb/moves-within-bounds", "%s (last nu %.17g)", why, prev);
    unbuild(&b);
}

static void test_upwind(void)
{
    static const char *const meth[2] = {"euler", "rk4"};
    for (int m = 0; m < 2; m++) {
        char src[1024], name[96];
        snprintf(src, sizeof src,
                 "grid g = periodic(x: 0 .. 2, n 32)\n"
                 "param nu = 0.01 in [0.001, 0.1] optimizer adam(lr 1e-3)\n"
                 "param c = 0.8 optimizer adam(lr 1e-3)\n"
                 "sim s on g {\n"
                 "    state u = exp(-20 * (x - 1)^2) + 0.1 * sin(pi * x)\n"
                 "    step %s dt 2e-3 save every 20 steps 100\n"
                 "    dt(u) = nu * dxx(u) - upwind(%s(c * sin(pi * x) + 0.3 * u + 1.2), dx(u))\n"
                 "}\n"
                 "domain box1 = rect(x: 0 .. 2, t: 0 .. 0.2)\n"
                 "points p = halton(40) in box1\n"
                 "loss l = mse(s.u - 0.3 * x) over p + 0.1 * mean(s.u^2) over s\n"
                 "train 1 epochs { step l }\n",
                 meth[m], m ? "-" : "");   /* the velocity keeps its sign (no kink for the differences to straddle):
                                             positive with Euler, negative with RK4 */
        snprintf(name, sizeof name, "hybrid/upwind/grad_%s", meth[m]);
        grad_check(src, name);
    }
    grad_check("grid g = dirichlet(x: 0 .. 1, y: 0 .. 1, n 11 9, value 0.1)\n"
               "param a = 0.5 optimizer adam(lr 1e-3)\n"
               "param b = -0.4 optimizer adam(lr 1e-3)\n"
               "sim s on g {\n"
               "    state u = exp(-10 * ((x - 0.4)^2 + (y - 0.5)^2))\n"
               "    step rk4 dt 2e-3 save every 10 steps 40\n"
               "    dt(u) = 0.02 * lap(u) - upwind(a * (y - 0.5), dx(u)) - upwind(b + 0.2 * x * u, dy(u))\n"
               "}\n"
               "domain box1 = box(x: 0 .. 1, y: 0 .. 1, t: 0 .. 0.08)\n"
               "points p = halton(50) in box1\n"
               "loss l = mse(s.u - x * y) over p\n"
               "train 1 epochs { step l }\n",
               "hybrid/upwind/grad_2d");
    /* Courant number 1: (u_i - u_{i -+ 1}) steps shift the state by one node */
    for (int sg = 0; sg < 2; sg++) {
        char src[1024], name[96];
        snprintf(src, sizeof src,
                 "grid g = periodic(x: 0 .. 1, n 20)\n"
                 "param a = %s optimizer adam(lr 1e-3)\n"
                 "sim s on g {\n"
                 "    state u = sin(2 * pi * x) + 0.5 * cos(6 * pi * x) + x\n"
                 "    step euler dt 0.05 save every 3 steps 9\n"
                 "    dt(u) = -upwind(a, dx(u))\n"
                 "}\n"
                 "loss l = mean(s.u^2) over s\n"
                 "train 1 epochs { step l }\n",
                 sg ? "-1" : "1");
        snprintf(name, sizeof name, "hybrid/upwind/exact-shift%s", sg ? "-negative" : "");
        Built b;
        if (!build_ok(&b, src, name)) continue;
        hy_substep_eval(b.ctx, 0);
        long nsnap, np;
        int nf;
        const double *S = hy_sim_state(b.ctx, 0, &nsnap, &np, &nf);
        double worst = 0;
        for (long k = 1; k <= nsnap; k++)
            for (long i = 0; i < np; i++) {
                long j = ((i - (sg ? -1 : 1) * 3 * k) % np + np) % np;
                double d = fabs(S[k * np + i] - S[j]);
                if (d > worst) worst = d;
            }
        tap_check(nsnap == 3 && np == 20 && worst < 1e-12, name, "max |u(k) - shifted u(0)| = %.3g", worst);
        unbuild(&b);
    }
    const char *fmt = "grid g = periodic(x: 0 .. 2, n 64)\n"
                      "param a = 1 in [0.5, 1]\n"
                      "sim s on g {\n"
                      "    state u = sin(pi*x)\n"
                      "    step euler dt %g steps 100\n"
                      "    dt(u) = -upwind(a, dx(u))\n"
                      "}\n"
                      "loss l = mse(s.u) over s\n"
                      "train 1 epochs { step l }\n";
    char src[1024];
    snprintf(src, sizeof src, fmt, 0.02);   /* Courant number a dt / h = 0.64 */
    char *d = diagnostics(src);
    tap_check(d && !strstr(d, "warning"), "hybrid/upwind/stable", "diagnostics: %s", d ? d : "(errors)");
    free(d);
    snprintf(src, sizeof src, fmt, 0.05);   /* 1.6 */
    d = diagnostics(src);
    tap_check(d && strstr(d, "may be unstable") && strstr(d, "Courant number 1.6"), "hybrid/upwind/unstable",
              "diagnostics: %s", d ? d : "(errors)");
    free(d);
    /* a located error for anything but a state's first derivative */
    snprintf(src, sizeof src, "grid g = periodic(x: 0 .. 2, n 16)\nsim s on g {\n    state u = sin(pi*x)\n"
                              "    step euler dt 0.01 steps 10\n    dt(u) = -upwind(1, dxx(u))\n}\n"
                              "loss l = mse(s.u) over s\ntrain 1 epochs { step l }\n");
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    Comp *c = comp_new("test.hyco", src, strlen(src), f);
    int r = comp_front(c);
    comp_free(c);
    fclose(f);
    tap_check(r != 0 && text && strstr(text, "test.hyco:5:") && strstr(text, "second argument of 'upwind'"),
              "hybrid/upwind/error", "status %d: %s", r, text ? text : "");
    free(text);
}

/* The coordinates of point set `name` in b's values (dim x n), or NULL. */
static const double *ps_coords(Built *b, const char *name, long *len)
{
    for (int i = 0; i < b->c->npsets; i++)
        if (strcmp(b->c->psets[i].name, name) == 0) {
            *len = (long)b->c->psets[i].dim * b->c->psets[i].n;
            return hy_values(b->ctx) + b->c->psets[i].voff;
        }
    return NULL;
}

static void test_redraw(void)
{
    const char *fmt =
        "seed %d\n"
        "grid g = periodic(x: 0 .. 2, n 16)\n"
        "param nu = 0.05 in [0.001, 0.1] optimizer adam(lr 1e-3)\n"
        "sim s on g {\n"
        "    state u = -sin(pi*x)\n"
        "    step rk4 dt 2e-3 save every 10 steps 50\n"
        "    dt(u) = nu * dxx(u) - u * dx(u)\n"
        "}\n"
        "domain window = rect(x: 0 .. 2, t: 0 .. 0.1)\n"
        "points ghost = random(200) in window resample every 1\n"
        "net syn = mlp(2 -> 1, width 4, depth 1) optimizer adam(lr 1e-2)\n"
        "loss phys = mse(s.u - stop(syn)) over ghost\n"
        "loss synl = mse(syn - stop(s.u)) over ghost\n"
        "train 3 epochs { step synl; step phys }\n";
    char src[2][1024];
    snprintf(src[0], sizeof src[0], fmt, 7);
    snprintf(src[1], sizeof src[1], fmt, 8);
    Built a, b, o;
    if (!build_ok(&a, src[0], "hybrid/redraw/build")) return;
    if (!build_ok(&b, src[0], "hybrid/redraw/build")) { unbuild(&a); return; }
    if (!build_ok(&o, src[1], "hybrid/redraw/build")) { unbuild(&a); unbuild(&b); return; }
    long n = 0, n2 = 0, n3 = 0;
    const double *pa = ps_coords(&a, "ghost", &n), *pb = ps_coords(&b, "ghost", &n2), *po = ps_coords(&o, "ghost", &n3);
    int ok = pa && pb && po && n == 400 && n2 == n && n3 == n;
    double *e1 = calloc((size_t)(n + 1), sizeof(double));
    int differ = 0, same = 1, other = 0;
    for (long epoch = 1; ok && epoch <= 3; epoch++) {
        hy_ps_update(a.ctx, epoch);
        hy_ps_update(b.ctx, epoch);
        hy_ps_update(o.ctx, epoch);
        if (epoch > 1) differ += memcmp(e1, pa, sizeof(double) * (size_t)n) != 0;
        memcpy(e1, pa, sizeof(double) * (size_t)n);
        same &= memcmp(pa, pb, sizeof(double) * (size_t)n) == 0;
        other += memcmp(pa, po, sizeof(double) * (size_t)n) != 0;
        for (long i = 0; i < n / 2; i++) ok &= pa[i] >= 0 && pa[i] <= 2 && pa[n / 2 + i] >= 0 && pa[n / 2 + i] <= 0.1;
    }
    tap_check(ok && differ == 2, "hybrid/redraw/differ-between-epochs", "%d of 2 redraws changed the points", differ);
    tap_check(ok && same, "hybrid/redraw/same-seed-identical", "two builds with seed 7 drew different points");
    tap_check(ok && other == 3, "hybrid/redraw/other-seed-differs", "seed 8 drew the same points in %d of 3 epochs",
              3 - other);
    free(e1);
    unbuild(&a);
    unbuild(&b);
    unbuild(&o);
}

static void test_history_params(void)
{
    Built b;
    if (!build_ok(&b,
              "grid g = periodic(x: 0 .. 2, n 16)\n"
              "param a = 0.9 optimizer sgd(lr 1e-3)\n"
              "param nu = 0.05 in [0.001, 0.1] optimizer sgd(lr 1e-4)\n"
              "param unused = 1 optimizer sgd(lr 1e-3)\n"
              "sim s on g {\n"
              "    state u = -a * sin(pi*x)\n"
              "    step rk4 dt 2e-3 save every 10 steps 20\n"
              "    dt(u) = nu * dxx(u) - u * dx(u)\n"
              "}\n"
              "loss l = mean(s.u^2) over s + (unused - 1)^2\n"
              "train 3 epochs warmup 1 { step l }\n"
              "track nu\n",
              "hybrid/history/build"))
        return;
    hy_train(b.ctx);
    long nr;
    int nc;
    const double *h = hy_history(b.ctx, &nr, &nc);
    int ok = h && nr == 3 && nc == 4 && strcmp(hy_history_column(b.ctx, 2), "nu") == 0 &&
             strcmp(hy_history_column(b.ctx, 3), "a") == 0;
    ok = ok && h[0 * nc + 2] == 0.05 && h[0 * nc + 3] == 0.9 && isnan(h[0 * nc + 1]) && h[2 * nc + 3] != 0.9 &&
         h[2 * nc + 3] == hy_params(b.ctx)[hy_param_offset(b.ctx, 0)];
    tap_check(ok, "hybrid/history/sim-params", "%ld rows x %d columns: %s, %s", nr, nc,
              h && nc > 2 ? hy_history_column(b.ctx, 2) : "", h && nc > 3 ? hy_history_column(b.ctx, 3) : "");
    unbuild(&b);
}

int main(void)
{
    test_gradients();
    test_stability();
    test_schedule();
    test_ghost();
    test_lbfgsb();
    test_upwind();
    test_redraw();
    test_history_params();
    return tap_failed ? 1 : 0;
}
