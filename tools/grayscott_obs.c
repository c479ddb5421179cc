/* grayscott_obs.c -- the observations of examples/full/hybrid_grayscott.hyco.
 *
 *   u_t = Du lap(u) - u v^2 + f (1 - u),  v_t = Dv lap(v) + u v^2 - (f + k) v
 * on the periodic square [0, 100)^2, Du = 0.2, Dv = 0.08, f = 0.018, k = 0.051
 * (the HyCo paper's Gray-Scott case), u = 1, v = 0 except u = v = 0.5 on the
 * disk of radius 10 around (50, 50); t in [0, 2000].
 *
 * The run: 64 x 64 nodes (h = 100/64), 5-point Laplacian, forward Euler with
 * dt = 1 (2000 steps; the paper's solver takes dt = 0.4) -- the same
 * discretisation as the spec's simulator, written here independently of
 * runtime/sim.c.  Observations: 2000 (node, time) pairs, the node drawn
 * uniformly from the 4096 by hy_rng_u64(seed 2025, stream 2, counter 2r) and
 * the snapshot t = 100 k, k = 1 .. 20, by counter 2r + 1, for row r; u and v
 * there plus Gaussian noise of standard deviation 0.01
 * (hy_rng_normal(2025, 3, 2r) and (2025, 3, 2r + 1)).  Columns x, y, t, u, v.
 *
 * Build and run (from the repository root):
 *   cc -std=c11 -O2 -Iruntime -o grayscott_obs tools/grayscott_obs.c runtime/rng.c -lm
 *   ./grayscott_obs > examples/data/grayscott_obs.csv
 * tests/t_hybrid.sh rebuilds it and compares its output with the file.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hyrt.h"

enum { N = 64, STEPS = 2000, SAVE = 100, NSNAP = STEPS / SAVE, NOBS = 2000 };
static const double L = 100.0, DT = 1.0, DU = 0.2, DV = 0.08, F = 0.018, K = 0.051, SIGMA = 0.01;

static double U[NSNAP + 1][N * N], V[NSNAP + 1][N * N];

int main(void)
{
    const double h = L / N, q = 1.0 / (h * h);
    static double u[N * N], v[N * N], fu[N * N], fv[N * N];
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            double x = h * i, y = h * j;
            int in = (x - 50) * (x - 50) + (y - 50) * (y - 50) <= 100;
            u[i * N + j] = in ? 0.5 : 1.0;
            v[i * N + j] = in ? 0.5 : 0.0;
        }
    for (int s = 1; s <= STEPS; s++) {
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++) {
                int ip = (i + 1) % N * N + j, im = (i + N - 1) % N * N + j, jp = i * N + (j + 1) % N,
                    jm = i * N + (j + N - 1) % N, c = i * N + j;
                double lu = (u[ip] - 2 * u[c] + u[im]) * q + (u[jp] - 2 * u[c] + u[jm]) * q;
                double lv = (v[ip] - 2 * v[c] + v[im]) * q + (v[jp] - 2 * v[c] + v[jm]) * q;
                double uvv = u[c] * v[c] * v[c];
                fu[c] = DU * lu - uvv + F * (1 - u[c]);
                fv[c] = DV * lv + uvv - (F + K) * v[c];
            }
        for (int c = 0; c < N * N; c++) {
            u[c] += DT * fu[c];
            v[c] += DT * fv[c];
        }
        if (s % SAVE == 0) {
            memcpy(U[s / SAVE], u, sizeof u);
            memcpy(V[s / SAVE], v, sizeof v);
        }
    }
    printf("# Gray-Scott, Du = 0.2, Dv = 0.08, f = 0.018, k = 0.051, periodic [0,100)^2: 64x64 Euler run (dt 1),\n"
           "# 2000 observations of u and v at random nodes and times t = 100 .. 2000, noise sigma 0.01 (seed 2025);"
           " tools/grayscott_obs.c\nx,y,t,u,v\n");
    for (int r = 0; r < NOBS; r++) {
        int node = (int)(hy_rng_u64(2025, 2, 2 * (uint64_t)r) % (N * N));
        int k = 1 + (int)(hy_rng_u64(2025, 2, 2 * (uint64_t)r + 1) % NSNAP);
        double x = h * (node / N), y = h * (node % N), t = (double)(k * SAVE) * DT;
        printf("%.17g,%.17g,%.17g,%.17g,%.17g\n", x, y, t, U[k][node] + SIGMA * hy_rng_normal(2025, 3, 2 * (uint64_t)r),
               V[k][node] + SIGMA * hy_rng_normal(2025, 3, 2 * (uint64_t)r + 1));
    }
    return 0;
}
