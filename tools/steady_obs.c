/* steady_obs.c -- the observations of the steady HYCO examples
 * (examples/full/hybrid_helmholtz.hyco, examples/full/hybrid_darcy.hyco).
 *
 *   steady_obs helmholtz        25 points drawn uniformly in the quarter
 *                               (0, pi)^2 (hy_rng_uniform, seed 2025, streams
 *                               1, 2), u = sin x sin y exactly (the
 *                               manufactured solution), no noise.
 *   steady_obs darcy SIGMA      -div(kappa grad u) = 1 on (0, 1)^2, u = 0 on
 *                               the boundary, log kappa = sum_k c_k phi_k
 *                               (the ten modes and true c_k below): a
 *                               reference solution on 201 x 201 nodes
 *                               (5-point flux form with kappa evaluated at
 *                               the face midpoints, solved by Jacobi-
 *                               preconditioned conjugate gradients to a
 *                               relative residual of 1e-13), sampled by
 *                               bilinear interpolation at 50 points drawn
 *                               uniformly in (0, 1)^2 (seed 2026), plus
 *                               Gaussian noise of standard deviation SIGMA
 *                               times max |u| over the 50 points
 *                               (hy_rng_normal, seed 2027; the same draws
 *                               for every SIGMA).
 * Written independently of runtime/steady.c (its own discretisation and an
 * iterative solver), so the data do not share its bugs.
 *
 * Build and run (from the repository root):
 *   cc -std=c11 -O2 -Iruntime -o steady_obs tools/steady_obs.c runtime/rng.c -lm
 *   ./steady_obs helmholtz > examples/data/helmholtz_obs.csv
 *   ./steady_obs darcy 0.05 > examples/data/darcy_obs_05.csv
 * tests/t_steady.sh rebuilds it and compares its output with the files.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hyrt.h"

static const double PI = 3.14159265358979323846;

/* Darcy: modes phi_k = cos(a_k pi x) cos(b_k pi y) and the true coefficients. */
enum { NMODE = 10, NR = 201, NOBS = 50 };
static const int ma[NMODE] = {0, 1, 0, 1, 2, 0, 2, 1, 2, 3};
static const int mb[NMODE] = {0, 0, 1, 1, 0, 2, 1, 2, 2, 0};
static const double ctrue[NMODE] = {0.3, 0.5, -0.4, 0.3, 0.25, -0.2, -0.15, 0.1, 0.1, -0.1};

static double log_kappa(double x, double y)
{
    double s = 0;
    for (int k = 0; k < NMODE; k++) s += ctrue[k] * cos(ma[k] * PI * x) * cos(mb[k] * PI * y);
    return s;
}

/* y = A x on the interior unknowns (node (i + 1, j + 1) is unknown i m + j,
 * m = NR - 2); kx[i (m + 1) + j]: kappa on the face left of that node (face
 * i + 1 is the right one), ky likewise below / above. */
static void apply(const double *kx, const double *ky, const double *x, double *y, double h)
{
    const int m = NR - 2;
    for (int i = 0; i < m; i++)
        for (int j = 0; j < m; j++) {
            double c = x[i * m + j];
            double w = kx[i * (m + 1) + j], e = kx[(i + 1) * (m + 1) + j];
            double s = ky[i * (m + 1) + j], n = ky[i * (m + 1) + j + 1];
            double xw = i > 0 ? x[(i - 1) * m + j] : 0, xe = i < m - 1 ? x[(i + 1) * m + j] : 0;
            double xs = j > 0 ? x[i * m + j - 1] : 0, xn = j < m - 1 ? x[i * m + j + 1] : 0;
            y[i * m + j] = ((w + e + s + n) * c - w * xw - e * xe - s * xs - n * xn) / (h * h);
        }
}

static double *darcy_reference(void)
{
    const int m = NR - 2;
    const double h = 1.0 / (NR - 1);
    double *u = calloc((size_t)(m * m), sizeof(double));
    double *r = malloc(sizeof(double) * (size_t)(m * m)), *z = malloc(sizeof(double) * (size_t)(m * m));
    double *p = malloc(sizeof(double) * (size_t)(m * m)), *q = malloc(sizeof(double) * (size_t)(m * m));
    double *dg = malloc(sizeof(double) * (size_t)(m * m));
    if (!u || !r || !z || !p || !q || !dg) { fprintf(stderr, "out of memory\n"); exit(1); }
    double *kx2 = malloc(sizeof(double) * (size_t)((m + 1) * (m + 1)));
    double *ky2 = malloc(sizeof(double) * (size_t)((m + 1) * (m + 1)));
    if (!kx2 || !ky2) { fprintf(stderr, "out of memory\n"); exit(1); }
    for (int i = 0; i <= m; i++)
        for (int j = 0; j <= m; j++) {
            kx2[i * (m + 1) + j] = exp(log_kappa((i + 0.5) * h, (j + 1) * h));   /* left face of node (i+1, j+1) when i < m */
            ky2[i * (m + 1) + j] = exp(log_kappa((i + 1) * h, (j + 0.5) * h));   /* lower face of node (i+1, j+1) */
        }
    for (int i = 0; i < m; i++)
        for (int j = 0; j < m; j++)
            dg[i * m + j] = (kx2[i * (m + 1) + j] + kx2[(i + 1) * (m + 1) + j] + ky2[i * (m + 1) + j] +
                             ky2[i * (m + 1) + j + 1]) / (h * h);
    long n = (long)m * m;
    for (long k = 0; k < n; k++) r[k] = 1.0;   /* b - A 0 */
    double bn = sqrt((double)n), rz = 0;
    for (long k = 0; k < n; k++) { z[k] = r[k] / dg[k]; p[k] = z[k]; rz += r[k] * z[k]; }
    for (int it = 0; it < 20000; it++) {
        apply(kx2, ky2, p, q, h);
        double pq = 0;
        for (long k = 0; k < n; k++) pq += p[k] * q[k];
        double a = rz / pq, rr = 0;
        for (long k = 0; k < n; k++) { u[k] += a * p[k]; r[k] -= a * q[k]; rr += r[k] * r[k]; }
        if (sqrt(rr) < 1e-13 * bn) break;
        double rz2 = 0;
        for (long k = 0; k < n; k++) { z[k] = r[k] / dg[k]; rz2 += r[k] * z[k]; }
        double b = rz2 / rz;
        rz = rz2;
        for (long k = 0; k < n; k++) p[k] = z[k] + b * p[k];
    }
    /* the full grid with its zero edges */
    double *U = calloc((size_t)NR * NR, sizeof(double));
    if (!U) { fprintf(stderr, "out of memory\n"); exit(1); }
    for (int i = 0; i < m; i++)
        for (int j = 0; j < m; j++) U[(i + 1) * NR + j + 1] = u[i * m + j];
    free(kx2); free(ky2); free(u); free(r); free(z); free(p); free(q); free(dg);
    return U;
}

static double bilinear(const double *U, double x, double y)
{
    double s = x * (NR - 1), t = y * (NR - 1);
    int i = (int)floor(s), j = (int)floor(t);
    if (i > NR - 2) i = NR - 2;
    if (j > NR - 2) j = NR - 2;
    double a = s - i, b = t - j;
    return (1 - a) * (1 - b) * U[i * NR + j] + a * (1 - b) * U[(i + 1) * NR + j] + (1 - a) * b * U[i * NR + j + 1] +
           a * b * U[(i + 1) * NR + j + 1];
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "helmholtz") == 0) {
        printf("# -div(kappa grad u) + eta u = f on [-pi,pi]^2, u = sin x sin y: 25 points in (0,pi)^2, no noise; "
               "tools/steady_obs.c\n");
        printf("x,y,u\n");
        for (int i = 0; i < 25; i++) {
            double x = PI * hy_rng_uniform(2025, 1, (uint64_t)i), y = PI * hy_rng_uniform(2025, 2, (uint64_t)i);
            printf("%.17g,%.17g,%.17g\n", x, y, sin(x) * sin(y));
        }
        return 0;
    }
    if (argc >= 3 && strcmp(argv[1], "darcy") == 0) {
        double sigma = atof(argv[2]);
        double *U = darcy_reference();
        double x[NOBS], y[NOBS], v[NOBS], vmax = 0;
        for (int i = 0; i < NOBS; i++) {
            x[i] = hy_rng_uniform(2026, 1, (uint64_t)i);
            y[i] = hy_rng_uniform(2026, 2, (uint64_t)i);
            v[i] = bilinear(U, x[i], y[i]);
            if (fabs(v[i]) > vmax) vmax = fabs(v[i]);
        }
        printf("# -div(kappa grad u) = 1 on (0,1)^2, u = 0 on the edges, log kappa from 10 modes: 50 points, noise "
               "%g max|u|; tools/steady_obs.c\n", sigma);
        printf("x,y,u\n");
        for (int i = 0; i < NOBS; i++)
            printf("%.17g,%.17g,%.17g\n", x[i], y[i], v[i] + sigma * vmax * hy_rng_normal(2027, 1, (uint64_t)i));
        free(U);
        return 0;
    }
    fprintf(stderr, "usage: steady_obs helmholtz | steady_obs darcy SIGMA\n");
    return 2;
}
