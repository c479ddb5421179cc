/* heat_obs.c -- the observations of examples/full/hybrid_heat.hyco (the HyCo
 * paper's heat case with an unknown diffusivity map).
 *
 *   u_t = kappa(x, y) (u_xx + u_yy) on [-3, 3]^2, u = 0 on the boundary,
 *   kappa = 0.1 + 3 exp(-((x - 1)^2 + (y - 1)^2)) + 2.5 exp(-((x + 2)^2 + (y + 2)^2)),
 *   u(x, y, 0) = exp(-((x - 1)^2 + (y - 1)^2)) - exp(-((x + 1)^2 + (y + 1)^2)),
 *   t in [0, 1]
 * (the non-divergence form the paper's solver uses; its code also clamps
 * kappa to [0, 2.5], which is left out here, as in the statement).
 *
 * A reference run much finer than the spec's 18 x 18 simulator: 100 x 100
 * nodes (h = 6/99), 5-point Laplacian, forward Euler with dt = 1e-4 (10000
 * steps; the diffusion-number limit is h^2 / (4 max kappa) = 3.0e-4).
 * Written here, independently of runtime/sim.c, so the data do not share its
 * bugs.
 *
 * Sensors (the paper's 'quarter' setting): a 10 x 10 lattice on [0, 3]^2
 * whose points drift along the damped rotation s' = M (s - c), M = [[-0.1, -1],
 * [1, -0.1]], c = (1.5, 1.5) (closed form: s(t) = c + e^{-t/10} R(t) (s0 - c));
 * 60 of the 100, drawn by a Fisher-Yates shuffle with hy_rng_u64(seed 2025,
 * stream 1, counter k); observed at t = k / 100, k = 1 .. 100, by bilinear
 * interpolation of the reference run.  Observations whose sensor has drifted
 * out of [0, 3]^2 are left out, so every observation lies in the quarter.
 * No noise (as in the paper).  Rows in time-major order, columns x, y, t, u.
 *
 * Build and run (from the repository root):
 *   cc -std=c11 -O2 -Iruntime -o heat_obs tools/heat_obs.c runtime/rng.c -lm
 *   ./heat_obs > examples/data/heat_obs.csv
 * tests/t_hybrid.sh rebuilds it and compares its output with the file.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hyrt.h"

enum { N = 100, STEPS = 10000, SAVE = 100, NT = 100, NS = 10, NUSE = 60 };
static const double L0 = -3.0, L1 = 3.0, DT = 1e-4;

static double kappa(double x, double y)
{
    return 0.1 + 3.0 * exp(-((x - 1) * (x - 1) + (y - 1) * (y - 1))) +
           2.5 * exp(-((x + 2) * (x + 2) + (y + 2) * (y + 2)));
}

/* Bilinear interpolation of the node values u at (x, y) in the box. */
static double interp(const double *u, double x, double y)
{
    const double h = (L1 - L0) / (N - 1);
    double sx = (x - L0) / h, sy = (y - L0) / h;
    int i = (int)floor(sx), j = (int)floor(sy);
    if (i > N - 2) i = N - 2;
    if (j > N - 2) j = N - 2;
    if (i < 0) i = 0;
    if (j < 0) j = 0;
    double wx = sx - i, wy = sy - j;
    return (1 - wx) * (1 - wy) * u[i * N + j] + wx * (1 - wy) * u[(i + 1) * N + j] + (1 - wx) * wy * u[i * N + j + 1] +
           wx * wy * u[(i + 1) * N + j + 1];
}

int main(void)
{
    const double h = (L1 - L0) / (N - 1);
    static double u[N * N], f[N * N], k[N * N];
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            double x = L0 + h * i, y = L0 + h * j;
            int edge = i == 0 || j == 0 || i == N - 1 || j == N - 1;
            u[i * N + j] = edge ? 0.0 : exp(-((x - 1) * (x - 1) + (y - 1) * (y - 1))) - exp(-((x + 1) * (x + 1) + (y + 1) * (y + 1)));
            k[i * N + j] = kappa(x, y);
        }
    /* sensors: 60 of the 10 x 10 lattice */
    int idx[NS * NS];
    for (int q = 0; q < NS * NS; q++) idx[q] = q;
    for (int q = NS * NS - 1; q > 0; q--) {
        int r = (int)(hy_rng_u64(2025, 1, (uint64_t)q) % (uint64_t)(q + 1));
        int tmp = idx[q]; idx[q] = idx[r]; idx[r] = tmp;
    }
    printf("# u_t = kappa(x,y) lap(u) on [-3,3]^2, Dirichlet 0, kappa = 0.1 + 3 exp(-|p-(1,1)|^2) + 2.5 exp(-|p+(2,2)|^2):\n"
           "# 100x100 Euler run (dt 1e-4), 60 drifting sensors in [0,3]^2 at t = 0.01 .. 1, no noise; tools/heat_obs.c\n"
           "x,y,t,u\n");
    for (int s = 1; s <= STEPS; s++) {
        for (int i = 1; i < N - 1; i++)
            for (int j = 1; j < N - 1; j++) {
                const double *c = u + i * N + j;
                f[i * N + j] = k[i * N + j] * ((c[N] - 2 * c[0] + c[-N]) + (c[1] - 2 * c[0] + c[-1])) / (h * h);
            }
        for (int i = 1; i < N - 1; i++)
            for (int j = 1; j < N - 1; j++) u[i * N + j] += DT * f[i * N + j];
        if (s % SAVE) continue;
        double t = s * DT, damp = exp(-0.1 * t), cs = cos(t), sn = sin(t);
        for (int q = 0; q < NUSE; q++) {
            int a = idx[q] / NS, b = idx[q] % NS;
            double dx = 3.0 * a / (NS - 1) - 1.5, dy = 3.0 * b / (NS - 1) - 1.5;
            double x = 1.5 + damp * (dx * cs - dy * sn), y = 1.5 + damp * (dx * sn + dy * cs);
            if (x < 0 || x > 3 || y < 0 || y > 3) continue;
            printf("%.17g,%.17g,%.17g,%.17g\n", x, y, t, interp(u, x, y));
        }
    }
    return 0;
}
