/* burgers_obs.c -- the observations of examples/full/hybrid_burgers.hyco.
 *
 *   u_t + u u_x = nu u_xx on the periodic interval [0, 2), u(x, 0) = -sin(pi x),
 *   nu = 0.02 (the value the spec recovers).
 *
 * A reference run finer than the spec's simulator (128 nodes): 512 nodes,
 * second-order central differences, classic RK4 with dt = 2.5e-4 (1200
 * steps to t = 0.3; dt = 1e-3 is unstable at this resolution: diffusion
 * number 4 nu dt / h^2 = 5.2 > 2.79).  The code is written here on purpose,
 * independently of runtime/sim.c, so the data do not share its bugs.
 * Observations: 24 sensors at the fine nodes round((j + 1/2) 512 / 24),
 * j = 0..23, at the 10 times t = 0.03 k, k = 1..10, plus Gaussian noise of
 * standard deviation 0.01: hy_rng_normal(seed 2025, stream 0, counter row)
 * (runtime/rng.c), rows in time-major order.  The header comment records
 * the largest deviation of the noise-free values from the Cole-Hopf
 * solution (quadrature as in tools/burgers_ref.c).
 *
 * Build and run (from the repository root):
 *   cc -std=c11 -O2 -Iruntime -o burgers_obs tools/burgers_obs.c runtime/rng.c -lm
 *   ./burgers_obs > examples/data/burgers_obs.csv
 * tests/t_hybrid.sh rebuilds it and checks that the file is reproduced byte
 * for byte.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hyrt.h"

enum { N = 512, NSENS = 24, NT = 10, STEPS = 1200, SAVE = 120 };
static const double NU = 0.02, L = 2.0, DT = 2.5e-4, SIGMA = 0.01, PI = 3.14159265358979323846;

static void rhs(const double *u, double *f)
{
    const double h = L / N;
    for (int i = 0; i < N; i++) {
        double um = u[(i + N - 1) % N], up = u[(i + 1) % N];
        f[i] = NU * (up - 2 * u[i] + um) / (h * h) - u[i] * (up - um) / (2 * h);
    }
}

/* Cole-Hopf solution at (x, t > 0). */
static double exact(double x, double t)
{
    const double Z = 12.0, dz = 1e-3;
    const double s = 2.0 * sqrt(NU * t), k = 1.0 / (2.0 * PI * NU);
    long n = (long)(2 * Z / dz + 0.5);
    double emax = -INFINITY;
    for (long i = 0; i <= n; i++) {
        double z = -Z + dz * (double)i, e = -cos(PI * (x - s * z)) * k - z * z;
        if (e > emax) emax = e;
    }
    double num = 0, den = 0;
    for (long i = 0; i <= n; i++) {
        double z = -Z + dz * (double)i, y = x - s * z;
        double w = exp(-cos(PI * y) * k - z * z - emax) * (i == 0 || i == n ? 0.5 : 1.0);
        num += sin(PI * y) * w;
        den += w;
    }
    return -num / den;
}

int main(void)
{
    static double u[N], k1[N], k2[N], k3[N], k4[N], y[N], snap[NT][N];
    const double h = L / N;
    for (int i = 0; i < N; i++) u[i] = -sin(PI * h * i);
    for (int s = 1; s <= STEPS; s++) {
        rhs(u, k1);
        for (int i = 0; i < N; i++) y[i] = u[i] + 0.5 * DT * k1[i];
        rhs(y, k2);
        for (int i = 0; i < N; i++) y[i] = u[i] + 0.5 * DT * k2[i];
        rhs(y, k3);
        for (int i = 0; i < N; i++) y[i] = u[i] + DT * k3[i];
        rhs(y, k4);
        for (int i = 0; i < N; i++) u[i] += DT / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
        if (s % SAVE == 0) memcpy(snap[s / SAVE - 1], u, sizeof u);
    }
    int node[NSENS];
    for (int j = 0; j < NSENS; j++) node[j] = (int)floor((j + 0.5) * N / NSENS + 0.5);
    double dev = 0;
    for (int k = 0; k < NT; k++)
        for (int j = 0; j < NSENS; j++) {
            double e = fabs(snap[k][node[j]] - exact(h * node[j], SAVE * DT * (k + 1)));
            if (e > dev) dev = e;
        }
    printf("# viscous Burgers u_t + u u_x = 0.02 u_xx, periodic [0, 2), u(x,0) = -sin(pi x): 512-node RK4 run\n");
    printf("# (dt 2.5e-4), 24 sensors x 10 times, noise sigma 0.01 (seed 2025); tools/burgers_obs.c\n");
    printf("# max |noise-free value - Cole-Hopf| = %.2e\n", dev);
    printf("x,t,u\n");
    long row = 0;
    for (int k = 0; k < NT; k++)
        for (int j = 0; j < NSENS; j++, row++) {
            double v = snap[k][node[j]] + SIGMA * hy_rng_normal(2025, 0, (uint64_t)row);
            printf("%.17g,%.17g,%.17g\n", h * node[j], SAVE * DT * (k + 1), v);
        }
    return 0;
}
