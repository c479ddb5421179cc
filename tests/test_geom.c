/* test_geom.c -- geometries and samplers of the runtime (geom.c, sample.c).
 *
 * References are independent of the code under test: membership, distance
 * to the boundary and outward normals are written out analytically for each
 * test geometry; proportions of boundary points are compared with face
 * measures by a chi-square statistic at the 0.1% level (a fixed seed, so the
 * statistic itself is deterministic); Sobol' points against values worked
 * out by hand from the Joe & Kuo direction numbers; Halton points against
 * radical inverses written as fractions; RAR-D draws against the formula of
 * Wu et al. and the successive-sampling probabilities.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "hyrt.h"
#include "tap.h"

static const double PI = 3.14159265358979323846;
static const int METHODS[] = {HY_SAMPLE_RANDOM,      HY_SAMPLE_LATIN,       HY_SAMPLE_SOBOL,
                              HY_SAMPLE_HALTON,      HY_SAMPLE_SOBOL_PLAIN, HY_SAMPLE_HALTON_PLAIN,
                              HY_SAMPLE_GRID};
static const char *MNAME[] = {"random", "latin", "sobol", "halton", "grid", "sobol_plain",
                              "halton_plain"};
#define NMETHODS 7

static HyCtx *ctx(unsigned long long seed)
{
    HyCtx *c = hy_ctx_new();
    hy_seed(c, seed);
    return c;
}

static int box(HyCtx *c, int dim, const double *lo, const double *hi)
{
    int g = hy_geom_box(c, dim, lo, hi);
    if (g < 0)
        printf("# box: %s\n", hy_geom_error(c));
    return g;
}

static int rect(HyCtx *c, double x0, double x1, double y0, double y1)
{
    double lo[2] = {x0, y0}, hi[2] = {x1, y1};
    return box(c, 2, lo, hi);
}

static double *alloc_pts(long n, int dim) { return calloc((size_t)(n * dim), sizeof(double)); }

/* Samples interior points; GRID asks for the count first.  *m gets the count. */
static double *interior(HyCtx *c, int g, int method, long n, int dim, long *m)
{
    *m = hy_geom_sample(c, g, method, n, 1, NULL);
    if (*m <= 0)
        return NULL;
    double *x = alloc_pts(*m, dim);
    long got = hy_geom_sample(c, g, method, n, 1, x);
    if (got != *m) {
        free(x);
        *m = -1;
        return NULL;
    }
    return x;
}

static double *boundary(HyCtx *c, int g, int sel, int axis, double value, int method, long n,
                        int dim, long *m, double **nrm)
{
    *m = hy_geom_sample_boundary(c, g, sel, axis, value, method, n, 2, NULL, NULL);
    if (*m <= 0) {
        printf("# boundary: %s\n", hy_geom_error(c));
        return NULL;
    }
    double *x = alloc_pts(*m, dim);
    *nrm = alloc_pts(*m, dim);
    long got = hy_geom_sample_boundary(c, g, sel, axis, value, method, n, 2, x, *nrm);
    if (got != *m) {
        printf("# boundary: %ld of %ld: %s\n", got, *m, hy_geom_error(c));
        *m = -1;
    }
    return x;
}

/* Chi-square of counts against expected proportions p (summing to 1). */
static double chi2(int k, const long *count, const double *p, long n)
{
    double s = 0;
    for (int i = 0; i < k; i++) {
        double e = p[i] * (double)n;
        s += ((double)count[i] - e) * ((double)count[i] - e) / e;
    }
    return s;
}
/* 0.999 quantiles of chi-square with 1..7 degrees of freedom. */
static const double CHI999[8] = {0, 10.83, 13.82, 16.27, 18.47, 20.52, 22.46, 24.32};

/* ---------------------------------------------------- analytic references */

/* The L-shaped polygon [0,2]^2 minus (1,2]^2, given clockwise. */
static const double LSHAPE_CW[12] = {0, 0, 0, 2, 1, 2, 1, 1, 2, 1, 2, 0};
/* Its edges counter-clockwise (x0, y0, x1, y1) and outward normals. */
static const double LEDGE[6][6] = {
    {0, 0, 2, 0, 0, -1}, {2, 0, 2, 1, 1, 0}, {2, 1, 1, 1, 0, 1},
    {1, 1, 1, 2, 1, 0},  {1, 2, 0, 2, 0, 1}, {0, 2, 0, 0, -1, 0},
};

static int in_lshape(double x, double y, double eps)
{
    return x >= -eps && y >= -eps && x <= 2 + eps && y <= 2 + eps && (x <= 1 + eps || y <= 1 + eps);
}

static double dist_seg(double px, double py, const double *e)
{
    double dx = e[2] - e[0], dy = e[3] - e[1];
    double t = ((px - e[0]) * dx + (py - e[1]) * dy) / (dx * dx + dy * dy);
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    return hypot(px - e[0] - t * dx, py - e[1] - t * dy);
}

/* --------------------------------------------------------------- errors */

static void test_errors(void)
{
    HyCtx *c = ctx(1);
    double lo[9] = {0}, hi[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1}, bad[2] = {1, 0};
    int ok = hy_geom_box(c, 0, lo, hi) < 0 && hy_geom_box(c, 9, lo, hi) < 0 &&
             hy_geom_box(c, 2, lo, bad) < 0 && strstr(hy_geom_error(c), "lo < hi");
    double nanv[2] = {0, NAN};
    ok &= hy_geom_box(c, 2, lo, nanv) < 0;
    tap_check(ok, "geom_err_box", "bad boxes accepted (last: '%s')", hy_geom_error(c));
    ok = hy_geom_disk(c, 0, 0, 0) < 0 && hy_geom_disk(c, 0, 0, -1) < 0 &&
         hy_geom_disk(c, NAN, 0, 1) < 0;
    tap_check(ok, "geom_err_disk", "bad disks accepted");

    const double bowtie[8] = {0, 0, 1, 1, 1, 0, 0, 1};
    const double collinear[6] = {0, 0, 1, 0, 2, 0};
    const double repeated[8] = {0, 0, 0, 0, 1, 0, 0, 1};
    const double touching[12] = {0, 0, 2, 0, 1, 1, 2, 2, 0, 2, 1, 1};
    const double foldback[8] = {0, 0, 2, 0, 1, 0, 1, 1};
    int e1 = hy_geom_polygon(c, 4, bowtie);
    int self = strstr(hy_geom_error(c), "self-intersecting") != NULL;
    int e2 = hy_geom_polygon(c, 3, collinear), e3 = hy_geom_polygon(c, 4, repeated);
    int e4 = hy_geom_polygon(c, 6, touching), e5 = hy_geom_polygon(c, 4, foldback);
    int e6 = hy_geom_polygon(c, 2, bowtie);
    tap_check(e1 < 0 && self && e2 < 0 && e3 < 0 && e4 < 0 && e5 < 0 && e6 < 0,
              "geom_err_polygon", "bowtie %d (msg %d) collinear %d repeated %d touching %d "
              "foldback %d two %d", e1, self, e2, e3, e4, e5, e6);
    const double closed_sq[10] = {0, 0, 1, 0, 1, 1, 0, 1, 0, 0};
    int sq = hy_geom_polygon(c, 5, closed_sq);
    tap_check(sq >= 0 && fabs(hy_geom_measure(c, sq) - 1) < 1e-15, "geom_polygon_closing_vertex",
              "closed square: id %d area %g (%s)", sq, hy_geom_measure(c, sq), hy_geom_error(c));

    int r2 = rect(c, 0, 1, 0, 1), r2b = rect(c, 5, 6, 5, 6);
    double lo3[3] = {0, 0, 0}, hi3[3] = {1, 1, 1};
    int b3 = box(c, 3, lo3, hi3);
    ok = hy_geom_bool(c, 7, r2, r2b) < 0 && hy_geom_bool(c, HY_GEOM_UNION, r2, 99) < 0 &&
         hy_geom_bool(c, HY_GEOM_UNION, r2, b3) < 0 && hy_geom_bool(c, HY_GEOM_INTER, r2, r2b) < 0 &&
         hy_geom_bool(c, HY_GEOM_DIFF, r2, r2) < 0;
    tap_check(ok, "geom_err_bool", "bad booleans accepted");
    int t = hy_geom_time(c, r2, 0, 1);
    ok = t >= 0 && hy_geom_time(c, r2, 1, 1) < 0 && hy_geom_time(c, r2, 0, NAN) < 0 &&
         hy_geom_time(c, t, 0, 1) < 0 && hy_geom_time(c, 42, 0, 1) < 0;
    tap_check(ok, "geom_err_time", "bad space-time products accepted");

    double out[200], nrm[200];
    int d = hy_geom_disk(c, 0, 0, 1);
    ok = hy_geom_sample(c, r2, HY_SAMPLE_RANDOM, 0, 0, out) < 0 &&
         strstr(hy_geom_error(c), "points") &&
         hy_geom_sample(c, r2, HY_SAMPLE_RANDOM, -5, 0, out) < 0 &&
         hy_geom_sample(c, r2, 99, 10, 0, out) < 0 &&
         hy_geom_sample(c, 1234, HY_SAMPLE_RANDOM, 10, 0, out) < 0 &&
         hy_geom_sample(c, r2, HY_SAMPLE_RANDOM, 10, -1, out) < 0 &&
         hy_geom_resample(c, r2, HY_SAMPLE_RANDOM, 10, 0, 1L << 20, out) < 0 &&
         hy_geom_sample_boundary(c, r2, 9, 0, 0, HY_SAMPLE_RANDOM, 10, 0, out, nrm) < 0 &&
         hy_geom_sample_boundary(c, r2, HY_BND_AXIS, 2, 0, HY_SAMPLE_RANDOM, 10, 0, out, nrm) < 0 &&
         hy_geom_sample_boundary(c, d, HY_BND_AXIS, 0, 0, HY_SAMPLE_RANDOM, 10, 0, out, nrm) < 0 &&
         hy_geom_sample_boundary(c, r2, HY_BND_AT, 0, 3, HY_SAMPLE_RANDOM, 10, 0, out, nrm) < 0 &&
         hy_geom_sample_boundary(c, r2, HY_BND_ALL, 0, 0, HY_SAMPLE_RANDOM, 0, 0, out, nrm) < 0 &&
         hy_geom_mesh(c, r2, 0, out) < 0 && hy_geom_mesh(c, r2, 1e-6, NULL) < 0;
    tap_check(ok, "geom_err_sample", "bad sampling calls accepted (last: '%s')", hy_geom_error(c));
    /* A nearly empty geometry: the sampler gives up instead of looping. */
    int tiny = hy_geom_disk(c, 0, 0, 1e-3);
    int hole = hy_geom_bool(c, HY_GEOM_DIFF, tiny, hy_geom_disk(c, 0, 0, 2e-3));
    ok = hole >= 0 && hy_geom_sample(c, hole, HY_SAMPLE_RANDOM, 10, 0, out) < 0 &&
         strstr(hy_geom_error(c), "nearly empty");
    tap_check(ok, "geom_err_empty", "empty difference: '%s'", hy_geom_error(c));
    long ch[4];
    double res[4] = {1, NAN, 2, 3};
    ok = hy_rar_select(c, 0, 0, 4, res, 1, 1, 2, ch) < 0 && strstr(hy_geom_error(c), "finite");
    res[1] = 1;
    ok &= hy_rar_select(c, 0, 0, 4, res, -1, 1, 2, ch) < 0 &&
          hy_rar_select(c, 0, 0, 0, res, 1, 1, 2, ch) < 0 &&
          hy_rar_select(c, 0, 0, 4, res, 1, 1, 0, ch) == 0 &&
          hy_rar_select(c, 0, 0, 4, res, 1, 1, 9, ch) == 4;
    tap_check(ok, "geom_err_rar", "bad RAR-D calls accepted");
    hy_ctx_free(c);
}

/* ------------------------------------------------------------- interior */

enum { G_RECT, G_BOX3, G_DISK, G_LSHAPE, G_UNION, G_DIFF, G_INTER, G_TDISK, G_B3DIFF, G_COUNT };
static const char *GNAME[G_COUNT] = {"rect", "box3", "disk", "lshape", "union", "diff", "inter",
                                     "tdisk", "box3diff"};
static const int GDIM[G_COUNT] = {2, 3, 2, 2, 2, 2, 2, 3, 3};

/* Builds the test geometries; ids into g[]. */
static void build(HyCtx *c, int *g)
{
    g[G_RECT] = rect(c, 0, 2, -1, 1);
    double lo3[3] = {0, 0, 0}, hi3[3] = {1, 2, 3};
    g[G_BOX3] = box(c, 3, lo3, hi3);
    g[G_DISK] = hy_geom_disk(c, 0.5, -0.25, 0.75);
    g[G_LSHAPE] = hy_geom_polygon(c, 6, LSHAPE_CW);
    g[G_UNION] = hy_geom_bool(c, HY_GEOM_UNION, hy_geom_disk(c, 0, 0, 1), hy_geom_disk(c, 1.5, 0, 1));
    g[G_DIFF] = hy_geom_bool(c, HY_GEOM_DIFF, rect(c, 0, 1, 0, 1), hy_geom_disk(c, 0.5, 0.5, 0.25));
    g[G_INTER] = hy_geom_bool(c, HY_GEOM_INTER, rect(c, 0, 1, 0, 1), hy_geom_disk(c, 1, 1, 0.8));
    g[G_TDISK] = hy_geom_time(c, hy_geom_disk(c, 0, 0, 1), 0, 2);
    double ulo[3] = {0, 0, 0}, uhi[3] = {1, 1, 1}, clo[3] = {0.5, 0.5, 0.5};
    g[G_B3DIFF] = hy_geom_bool(c, HY_GEOM_DIFF, box(c, 3, ulo, uhi), box(c, 3, clo, uhi));
}

static double sq(double v) { return v * v; }

/* Analytic closed membership with slack eps. */
static int in_ref(int which, const double *x, double eps)
{
    switch (which) {
    case G_RECT: return x[0] >= -eps && x[0] <= 2 + eps && x[1] >= -1 - eps && x[1] <= 1 + eps;
    case G_BOX3:
        return x[0] >= -eps && x[0] <= 1 + eps && x[1] >= -eps && x[1] <= 2 + eps &&
               x[2] >= -eps && x[2] <= 3 + eps;
    case G_DISK: return hypot(x[0] - 0.5, x[1] + 0.25) <= 0.75 + eps;
    case G_LSHAPE: return in_lshape(x[0], x[1], eps);
    case G_UNION: return hypot(x[0], x[1]) <= 1 + eps || hypot(x[0] - 1.5, x[1]) <= 1 + eps;
    case G_DIFF:
        return x[0] >= -eps && x[0] <= 1 + eps && x[1] >= -eps && x[1] <= 1 + eps &&
               hypot(x[0] - 0.5, x[1] - 0.5) >= 0.25 - eps;
    case G_INTER:
        return x[0] >= -eps && x[0] <= 1 + eps && x[1] >= -eps && x[1] <= 1 + eps &&
               hypot(x[0] - 1, x[1] - 1) <= 0.8 + eps;
    case G_TDISK: return hypot(x[0], x[1]) <= 1 + eps && x[2] >= -eps && x[2] <= 2 + eps;
    default:
        for (int k = 0; k < 3; k++)
            if (x[k] < -eps || x[k] > 1 + eps)
                return 0;
        return !(x[0] > 0.5 + eps && x[1] > 0.5 + eps && x[2] > 0.5 + eps);
    }
}

static void test_interior(void)
{
    HyCtx *c = ctx(11);
    int g[G_COUNT];
    build(c, g);
    for (int w = 0; w < G_COUNT; w++) {
        int dim = GDIM[w];
        for (int mi = 0; mi < NMETHODS; mi++) {
            int method = METHODS[mi];
            long m, n = 500, bad = 0;
            double *x = interior(c, g[w], method, n, dim, &m);
            if (!x) {
                tap_check(0, "geom_interior", "%s/%s: %s", GNAME[w], MNAME[method],
                          hy_geom_error(c));
                continue;
            }
            double p[3];
            for (long i = 0; i < m; i++) {
                for (int k = 0; k < dim; k++)
                    p[k] = x[k * m + i];
                /* Mesh nodes may sit on the boundary; random points lie inside
                 * the closed set exactly (within rounding). */
                bad += !in_ref(w, p, 1e-12);
                bad += hy_geom_contains(c, g[w], p) != 1;
            }
            int count_ok = method == HY_SAMPLE_GRID ? m > n / 2 && m < 2 * n : m == n;
            char name[64];
            snprintf(name, sizeof name, "geom_interior_%s_%s", GNAME[w], MNAME[method]);
            tap_check(bad == 0 && count_ok, name, "%ld of %ld points outside (count %ld)", bad, m,
                      m);
            free(x);
        }
    }
    /* The removed disk of the difference stays empty: nearest distance. */
    long m;
    double *x = interior(c, g[G_DIFF], HY_SAMPLE_RANDOM, 20000, 2, &m), dmin = 1;
    for (long i = 0; x && i < m; i++)
        dmin = fmin(dmin, hypot(x[i] - 0.5, x[m + i] - 0.5));
    tap_check(x && dmin >= 0.25 && dmin < 0.26, "geom_interior_diff_hole",
              "nearest point to the hole centre at %g (hole radius 0.25)", dmin);
    free(x);
    /* Uniformity on the L-shape: centroid (5/6, 5/6), var x = 1 - (5/6)^2;
     * n = 2e4: standard error of the mean 0.0039, tolerance 0.02. */
    x = interior(c, g[G_LSHAPE], HY_SAMPLE_RANDOM, 20000, 2, &m);
    double mx = 0, my = 0, vx = 0;
    for (long i = 0; x && i < m; i++) {
        mx += x[i] / (double)m;
        my += x[m + i] / (double)m;
        vx += x[i] * x[i] / (double)m;
    }
    vx -= mx * mx;
    tap_check(x && fabs(mx - 5.0 / 6) < 0.02 && fabs(my - 5.0 / 6) < 0.02 &&
                  fabs(vx - (1 - 25.0 / 36)) < 0.02,
              "geom_interior_lshape_uniform", "mean (%g, %g) var x %g (want 0.8333, 0.8333, "
              "0.3056)", mx, my, vx);
    free(x);
    hy_ctx_free(c);
}

/* Exact star discrepancy of n points in [0,1)^2 (anchored boxes with corners
 * at point coordinates or 1; closed and open counts). */
static double star_disc2(long n, const double *x, const double *y)
{
    double D = 0;
    for (long a = 0; a <= n; a++) {
        double A = a < n ? x[a] : 1;
        for (long b = 0; b <= n; b++) {
            double B = b < n ? y[b] : 1;
            long closed = 0, open = 0;
            for (long i = 0; i < n; i++) {
                closed += x[i] <= A && y[i] <= B;
                open += x[i] < A && y[i] < B;
            }
            D = fmax(D, fmax((double)closed / (double)n - A * B, A * B - (double)open / (double)n));
        }
    }
    return D;
}

static void test_uniform(void)
{
    HyCtx *c = ctx(5);
    int r = rect(c, 0, 1, 0, 1);
    long n = 100000;
    double *x = alloc_pts(n, 2);
    hy_geom_sample(c, r, HY_SAMPLE_RANDOM, n, 3, x);
    double m[2] = {0, 0}, v[2] = {0, 0};
    for (int k = 0; k < 2; k++) {
        for (long i = 0; i < n; i++)
            m[k] += x[k * n + i] / (double)n;
        for (long i = 0; i < n; i++)
            v[k] += sq(x[k * n + i] - m[k]) / (double)n;
    }
    /* SE of the mean sqrt(1/12/n) = 9.1e-4, of the variance sqrt((1/80 -
     * 1/144)/n) = 2.4e-4; tolerances 5 SE. */
    tap_check(fabs(m[0] - 0.5) < 4.6e-3 && fabs(m[1] - 0.5) < 4.6e-3 &&
                  fabs(v[0] - 1.0 / 12) < 1.2e-3 && fabs(v[1] - 1.0 / 12) < 1.2e-3,
              "geom_uniform_moments", "means %g %g variances %g %g", m[0], m[1], v[0], v[1]);
    free(x);
    /* Star discrepancy of 256 points: scrambled Sobol' (a (0,8,2)-net: D* <=
     * about (log2 n + 3)/n ~ 0.045 by the net bound) far below random
     * (expected ~ 1/sqrt(n) ~ 0.06). */
    long N = 256;
    double *s = alloc_pts(N, 2), *u = alloc_pts(N, 2);
    hy_geom_sample(c, r, HY_SAMPLE_SOBOL, N, 4, s);
    hy_geom_sample(c, r, HY_SAMPLE_RANDOM, N, 4, u);
    double ds = star_disc2(N, s, s + N), du = star_disc2(N, u, u + N);
    tap_check(ds < 0.045 && du > 2 * ds && du < 0.2, "geom_star_discrepancy",
              "D* sobol %g random %g (want sobol < 0.045 < ... and random > 2 sobol)", ds, du);
    printf("# star discrepancy n=256: scrambled sobol %.4f, random %.4f\n", ds, du);
    free(s);
    free(u);
    hy_ctx_free(c);
}

/* ------------------------------------------------------------ sequences */

static void test_sobol(void)
{
    HyCtx *c = ctx(0);
    /* Plain Sobol', Gray-code order, worked out by hand from Joe & Kuo's
     * new-joe-kuo-6.21201: dim 1 m = 1,1,1,1; dim 2 (s 1, a 0, m 1):
     * m = 1,3,5,15; dim 3 (s 2, a 1, m 1,3): m = 1,3,3,9.  Point i is the XOR
     * of v_j = m_j / 2^j over the set bits j of i ^ (i >> 1). */
    static const double want[9][3] = {
        {0, 0, 0},           {0.5, 0.5, 0.5},     {0.75, 0.25, 0.25},
        {0.25, 0.75, 0.75},  {0.375, 0.375, 0.625}, {0.875, 0.875, 0.125},
        {0.625, 0.125, 0.875}, {0.125, 0.625, 0.375}, {0.1875, 0.3125, 0.9375},
    };
    double u[27];
    long r = hy_qmc_unit(c, HY_SAMPLE_SOBOL_PLAIN, 3, 0, 9, 0, 0, u);
    int bad = r != 9;
    for (int i = 0; i < 9 && !bad; i++)
        for (int k = 0; k < 3; k++)
            bad += u[k * 9 + i] != want[i][k];
    tap_check(!bad, "sobol_first_points", "first 9 points of dims 1-3 differ from Joe-Kuo");
    /* Dimension 4 (s 3, a 1, m 1,3,1): 0, .5, .25, .75, .875, .375, .625, .125. */
    static const double want4[8] = {0, 0.5, 0.25, 0.75, 0.875, 0.375, 0.625, 0.125};
    double u8[64];
    hy_qmc_unit(c, HY_SAMPLE_SOBOL_PLAIN, 8, 0, 8, 0, 0, u8);
    bad = 0;
    for (int i = 0; i < 8; i++)
        bad += u8[3 * 8 + i] != want4[i];
    tap_check(!bad, "sobol_dim4_points", "dimension 4 differs");

    /* Net properties of the first 1024 points, plain and scrambled: every
     * coordinate has one point per 1/1024 cell; dims 1-2 form a (0,10,2)-net
     * (one point in every elementary box of area 2^-10). */
    long N = 1024;
    double *p = alloc_pts(N, 8);
    for (int scr = 0; scr < 2; scr++) {
        hy_qmc_unit(c, scr ? HY_SAMPLE_SOBOL : HY_SAMPLE_SOBOL_PLAIN, 8, 0, N, 7, 0, p);
        int fails = 0;
        char seen[1024];
        for (int k = 0; k < 8; k++) {
            memset(seen, 0, sizeof seen);
            for (long i = 0; i < N; i++) {
                long cell = (long)floor(p[k * N + i] * (double)N);
                if (cell < 0 || cell >= N || seen[cell]++)
                    fails++;
            }
        }
        for (int a = 0; a <= 10; a++) {
            static char cnt[1024];
            memset(cnt, 0, sizeof cnt);
            long nx = 1L << a, ny = N / nx;
            for (long i = 0; i < N; i++) {
                long cx = (long)floor(p[i] * (double)nx), cy = (long)floor(p[N + i] * (double)ny);
                if (cnt[cx * ny + cy]++)
                    fails++;
            }
        }
        tap_check(!fails, scr ? "sobol_scrambled_net" : "sobol_plain_net",
                  "%d stratification failures", fails);
    }
    /* Scrambled points differ from plain and lie strictly inside (0,1). */
    double q[2][16];
    hy_qmc_unit(c, HY_SAMPLE_SOBOL, 2, 0, 8, 1, 0, q[0]);
    hy_qmc_unit(c, HY_SAMPLE_SOBOL_PLAIN, 2, 0, 8, 1, 0, q[1]);
    int inside = 1;
    for (int i = 0; i < 16; i++)
        inside &= q[0][i] > 0 && q[0][i] < 1;
    tap_check(inside && memcmp(q[0], q[1], sizeof q[0]), "sobol_scrambled_open",
              "scrambled equals plain or touches the cube's faces");
    /* Plain rounds continue the sequence at index round * 2^32. */
    double a1[2], b1[2];
    hy_qmc_unit(c, HY_SAMPLE_SOBOL_PLAIN, 2, 1L << 32, 1, 0, 0, a1);
    hy_qmc_unit(c, HY_SAMPLE_SOBOL_PLAIN, 2, 0, 1, 0, 1, b1);
    /* index 2^32: Gray code 2^32 ^ 2^31, so dim 1 is v_32 ^ v_33 = 3 / 2^33 */
    tap_check(!memcmp(a1, b1, sizeof a1) && a1[0] == 3 * 0x1p-33,
              "sobol_plain_round_offset", "round 1 point 0 = (%g, %g), index 2^32 = (%g, %g)",
              b1[0], b1[1], a1[0], a1[1]);
    free(p);
    hy_ctx_free(c);
}

static void test_halton(void)
{
    HyCtx *c = ctx(0);
    /* Radical inverses by hand: base 2, 3, 5 of i = 0..9. */
    static const double want[3][10] = {
        {0, 1. / 2, 1. / 4, 3. / 4, 1. / 8, 5. / 8, 3. / 8, 7. / 8, 1. / 16, 9. / 16},
        {0, 1. / 3, 2. / 3, 1. / 9, 4. / 9, 7. / 9, 2. / 9, 5. / 9, 8. / 9, 1. / 27},
        {0, 1. / 5, 2. / 5, 3. / 5, 4. / 5, 1. / 25, 6. / 25, 11. / 25, 16. / 25, 21. / 25},
    };
    double u[30];
    hy_qmc_unit(c, HY_SAMPLE_HALTON_PLAIN, 3, 0, 10, 0, 0, u);
    double err = 0;
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < 10; i++)
            err = fmax(err, fabs(u[k * 10 + i] - want[k][i]));
    tap_check(err <= 1.2e-16, "halton_first_points", "max error %g vs radical inverse", err);
    /* Scrambled: digit permutations keep the stratification of b^m points in
     * each coordinate (256 in base 2, 243 in base 3, 125 in base 5). */
    static const long strata[3] = {256, 243, 125};
    int fails = 0;
    double *p = alloc_pts(256, 3);
    for (int k = 0; k < 3; k++) {
        long N = strata[k];
        hy_qmc_unit(c, HY_SAMPLE_HALTON, 3, 0, N, 9, 0, p);
        char seen[256] = {0};
        for (long i = 0; i < N; i++) {
            long cell = (long)floor(p[k * N + i] * (double)N);
            if (cell < 0 || cell >= N || seen[cell]++)
                fails++;
        }
    }
    double s8[8];
    hy_qmc_unit(c, HY_SAMPLE_HALTON, 1, 0, 8, 9, 0, s8);
    tap_check(!fails && s8[1] != 0.5, "halton_scrambled_strata", "%d failures", fails);
    free(p);
    hy_ctx_free(c);
}

static void test_latin(void)
{
    HyCtx *c = ctx(3);
    double lo[3] = {-1, 0, 10}, hi[3] = {2, 0.5, 11};
    int b = box(c, 3, lo, hi);
    int t = hy_geom_time(c, rect(c, 0, 1, 0, 2), 0, 5);  /* box-like space-time */
    long n = 1000;
    double *x = alloc_pts(n, 3);
    int fails = 0;
    for (int which = 0; which < 2; which++) {
        int g = which ? t : b;
        if (hy_geom_sample(c, g, HY_SAMPLE_LATIN, n, which, x) != n)
            fails++;
        for (int k = 0; k < 3; k++) {
            char *seen = calloc((size_t)n, 1);
            double L = hy_geom_lo(c, g, k), H = hy_geom_hi(c, g, k);
            for (long i = 0; i < n; i++) {
                long s = (long)floor((x[k * n + i] - L) / (H - L) * (double)n);
                if (s < 0 || s >= n || seen[s]++)
                    fails++;
            }
            free(seen);
        }
    }
    tap_check(!fails, "latin_one_per_stratum", "%d strata empty or doubled", fails);
    free(x);
    hy_ctx_free(c);
}

/* ------------------------------------------------------------- boundary */

/* Index of the L-shape edge a point lies on (distance < 1e-12), or -1. */
static int lshape_edge(double x, double y)
{
    for (int e = 0; e < 6; e++)
        if (dist_seg(x, y, LEDGE[e]) < 1e-12)
            return e;
    return -1;
}

static void test_boundary_rect(void)
{
    HyCtx *c = ctx(21);
    int r = rect(c, 0, 3, 0, 1);
    long n = 40000, m;
    double *nr = NULL, *x = NULL;
    /* Faces: bottom (len 3), right (1), top (3), left (1). */
    static const double p[4] = {3. / 8, 1. / 8, 3. / 8, 1. / 8};
    for (int mi = 0; mi < 3; mi++) {
        int method = mi == 0 ? HY_SAMPLE_RANDOM : mi == 1 ? HY_SAMPLE_LATIN : HY_SAMPLE_SOBOL;
        x = boundary(c, r, HY_BND_ALL, 0, 0, method, n, 2, &m, &nr);
        long cnt[4] = {0}, bad = 0;
        for (long i = 0; x && i < m; i++) {
            double px = x[i], py = x[m + i], nx = nr[i], ny = nr[m + i];
            int f = fabs(py) < 1e-12 ? 0 : fabs(px - 3) < 1e-12 ? 1 : fabs(py - 1) < 1e-12 ? 2
                  : fabs(px) < 1e-12 ? 3 : -1;
            static const double fn[4][2] = {{0, -1}, {1, 0}, {0, 1}, {-1, 0}};
            if (f < 0 || px < 0 || px > 3 || py < 0 || py > 1 || nx != fn[f][0] || ny != fn[f][1]) {
                bad++;
                continue;
            }
            cnt[f]++;
        }
        double s = chi2(4, cnt, p, m);
        char name[64];
        snprintf(name, sizeof name, "bnd_rect_%s", MNAME[method]);
        /* Random: chi-square below the 0.1% point (3 dof); stratified
         * methods: every face within 0.5% of its share. */
        int prop = 1;
        for (int f = 0; f < 4; f++)
            prop &= fabs((double)cnt[f] - p[f] * (double)n) <= 0.005 * p[f] * (double)n;
        tap_check(x && m == n && !bad && s < CHI999[3] && (method == HY_SAMPLE_RANDOM || prop),
                  name, "bad %ld chi2 %g counts %ld %ld %ld %ld", bad, s, cnt[0], cnt[1], cnt[2],
                  cnt[3]);
        free(x);
        free(nr);
    }
    /* Grid: W = 8, n = 80, h = 0.1: 30 + 10 + 30 + 10 cell-centred points,
     * no corner. */
    x = boundary(c, r, HY_BND_ALL, 0, 0, HY_SAMPLE_GRID, 80, 2, &m, &nr);
    long bad = 0;
    for (long i = 0; x && i < m; i++) {
        double px = x[i], py = x[m + i];
        double t = fabs(py) < 1e-12 || fabs(py - 1) < 1e-12 ? px : py;
        double cell = t / 0.1 - 0.5;
        bad += fabs(cell - floor(cell + 0.5)) > 1e-9;
        bad += (px == 0 || px == 3) && (py == 0 || py == 1);
    }
    tap_check(x && m == 80 && !bad, "bnd_rect_grid", "count %ld, %ld off the cell centres", m,
              bad);
    free(x);
    free(nr);
    /* Faces normal to x; named faces by slices at lo / hi. */
    x = boundary(c, r, HY_BND_AXIS, 0, 0, HY_SAMPLE_RANDOM, 1000, 2, &m, &nr);
    bad = 0;
    for (long i = 0; x && i < m; i++)
        bad += !((x[i] == 0 && nr[i] == -1) || (x[i] == 3 && nr[i] == 1)) || nr[m + i] != 0;
    tap_check(x && !bad, "bnd_rect_axis", "%ld points off the x faces", bad);
    free(x);
    free(nr);
    x = boundary(c, r, HY_BND_AT, 1, hy_geom_hi(c, r, 1), HY_SAMPLE_RANDOM, 1000, 2, &m, &nr);
    bad = 0;
    for (long i = 0; x && i < m; i++)
        bad += x[m + i] != 1 || nr[i] != 0 || nr[m + i] != 1 || x[i] < 0 || x[i] > 3;
    tap_check(x && !bad, "bnd_rect_top_face", "%ld points off the top face", bad);
    free(x);
    free(nr);
    /* A slice that is no face: the cross-section x = 1.25, normal zero. */
    x = boundary(c, r, HY_BND_AT, 0, 1.25, HY_SAMPLE_SOBOL, 500, 2, &m, &nr);
    bad = 0;
    for (long i = 0; x && i < m; i++)
        bad += x[i] != 1.25 || x[m + i] < 0 || x[m + i] > 1 || nr[i] != 0 || nr[m + i] != 0;
    tap_check(x && !bad, "bnd_rect_cross_section", "%ld bad slice points", bad);
    free(x);
    free(nr);
    hy_ctx_free(c);
}

static void test_boundary_box3(void)
{
    HyCtx *c = ctx(22);
    double lo[3] = {0, 0, 0}, hi[3] = {1, 2, 3};
    int b = box(c, 3, lo, hi);
    long n = 44000, m, cnt[6] = {0}, bad = 0;
    double *nr, *x = boundary(c, b, HY_BND_ALL, 0, 0, HY_SAMPLE_RANDOM, n, 3, &m, &nr);
    /* faces 2k (x_k = lo) and 2k+1 (x_k = hi); areas 6, 6, 3, 3, 2, 2 of 22. */
    static const double p[6] = {6. / 22, 6. / 22, 3. / 22, 3. / 22, 2. / 22, 2. / 22};
    for (long i = 0; x && i < m; i++) {
        int f = -1;
        for (int k = 0; k < 3 && f < 0; k++) {
            if (fabs(x[k * m + i] - lo[k]) < 1e-12)
                f = 2 * k;
            else if (fabs(x[k * m + i] - hi[k]) < 1e-12)
                f = 2 * k + 1;
        }
        int ok = f >= 0;
        for (int k = 0; k < 3 && ok; k++) {
            double want = k == f / 2 ? (f % 2 ? 1 : -1) : 0;
            ok = nr[k * m + i] == want && x[k * m + i] >= lo[k] && x[k * m + i] <= hi[k];
        }
        if (!ok) {
            bad++;
            continue;
        }
        cnt[f]++;
    }
    double s = chi2(6, cnt, p, m);
    tap_check(x && !bad && s < CHI999[5], "bnd_box3_faces_area",
              "%ld bad, chi2 %g (5 dof, 0.1%% point %g)", bad, s, CHI999[5]);
    free(x);
    free(nr);
    hy_ctx_free(c);
}

static void test_boundary_curved(void)
{
    HyCtx *c = ctx(23);
    int g[G_COUNT];
    build(c, g);
    long m, bad = 0;
    double *nr, *x, mc = 0, ms = 0;
    /* Disk: on the circle, radial normals, uniform in angle (mean of cos and
     * sin: SE 1/sqrt(2n) = 0.0071, tolerance 0.036). */
    x = boundary(c, g[G_DISK], HY_BND_ALL, 0, 0, HY_SAMPLE_RANDOM, 10000, 2, &m, &nr);
    for (long i = 0; x && i < m; i++) {
        double dx = x[i] - 0.5, dy = x[m + i] + 0.25, r = hypot(dx, dy);
        bad += fabs(r - 0.75) > 1e-12 || fabs(nr[i] - dx / 0.75) > 1e-12 ||
               fabs(nr[m + i] - dy / 0.75) > 1e-12 || fabs(hypot(nr[i], nr[m + i]) - 1) > 1e-14;
        mc += dx / 0.75 / (double)m;
        ms += dy / 0.75 / (double)m;
    }
    tap_check(x && !bad && fabs(mc) < 0.036 && fabs(ms) < 0.036, "bnd_disk",
              "%ld bad, mean cos %g sin %g", bad, mc, ms);
    free(x);
    free(nr);

    /* L-shape: each point on one edge with its normal; proportional to the
     * edge lengths 2,1,1,1,1,2 (chi-square, 5 dof). */
    long cnt[6] = {0};
    bad = 0;
    x = boundary(c, g[G_LSHAPE], HY_BND_ALL, 0, 0, HY_SAMPLE_RANDOM, 40000, 2, &m, &nr);
    for (long i = 0; x && i < m; i++) {
        int e = lshape_edge(x[i], x[m + i]);
        if (e < 0 || nr[i] != LEDGE[e][4] || nr[m + i] != LEDGE[e][5]) {
            bad++;
            continue;
        }
        cnt[e]++;
    }
    static const double pl[6] = {0.25, 0.125, 0.125, 0.125, 0.125, 0.25};
    double s = chi2(6, cnt, pl, m);
    tap_check(x && !bad && s < CHI999[5], "bnd_lshape", "%ld bad, chi2 %g", bad, s);
    free(x);
    free(nr);

    /* Difference: square minus disk (0.5,0.5,0.25).  Outer points on the
     * square, inner points on the circle with normals towards its centre;
     * fraction on the circle 2 pi 0.25 / (4 + 2 pi 0.25) = 0.28197, n = 4e4:
     * SE 0.00225, tolerance 0.0113. */
    long inner = 0;
    bad = 0;
    x = boundary(c, g[G_DIFF], HY_BND_ALL, 0, 0, HY_SAMPLE_RANDOM, 40000, 2, &m, &nr);
    for (long i = 0; x && i < m; i++) {
        double px = x[i], py = x[m + i], dx = px - 0.5, dy = py - 0.5, r = hypot(dx, dy);
        if (fabs(r - 0.25) < 1e-12) {
            inner++;
            bad += fabs(nr[i] + dx / 0.25) > 1e-12 || fabs(nr[m + i] + dy / 0.25) > 1e-12;
        } else {
            double d = fmin(fmin(fabs(px), fabs(px - 1)), fmin(fabs(py), fabs(py - 1)));
            bad += d >= 1e-12 || r < 0.25 || fabs(hypot(nr[i], nr[m + i]) - 1) > 0;
        }
    }
    double fin = (double)inner / (double)m, want = 0.5 * PI / (4 + 0.5 * PI);
    tap_check(x && !bad && fabs(fin - want) < 0.0113, "bnd_diff_square_disk",
              "%ld bad, inner fraction %g (want %g)", bad, fin, want);
    free(x);
    free(nr);

    /* Union of two unit disks 1.5 apart: each point on a circle outside the
     * other disk, radial normal; halves by symmetry (SE 0.0025, tol 0.0125). */
    long left = 0;
    bad = 0;
    x = boundary(c, g[G_UNION], HY_BND_ALL, 0, 0, HY_SAMPLE_SOBOL, 40000, 2, &m, &nr);
    for (long i = 0; x && i < m; i++) {
        double px = x[i], py = x[m + i], r0 = hypot(px, py), r1 = hypot(px - 1.5, py);
        if (fabs(r0 - 1) < 1e-12 && r1 >= 1) {
            left++;
            bad += fabs(nr[i] - px) > 1e-12 || fabs(nr[m + i] - py) > 1e-12;
        } else if (fabs(r1 - 1) < 1e-12 && r0 >= 1) {
            bad += fabs(nr[i] - (px - 1.5)) > 1e-12 || fabs(nr[m + i] - py) > 1e-12;
        } else {
            bad++;
        }
    }
    tap_check(x && !bad && fabs((double)left / (double)m - 0.5) < 0.0125, "bnd_union_disks",
              "%ld bad, left fraction %g", bad, (double)left / (double)m);
    free(x);
    free(nr);

    /* Intersection: unit square with disk (1,1,0.8): square edges inside
     * the disk, arc inside the square. */
    bad = 0;
    x = boundary(c, g[G_INTER], HY_BND_ALL, 0, 0, HY_SAMPLE_HALTON, 5000, 2, &m, &nr);
    for (long i = 0; x && i < m; i++) {
        double px = x[i], py = x[m + i], dx = px - 1, dy = py - 1, r = hypot(dx, dy);
        if (fabs(r - 0.8) < 1e-12)
            bad += px < 0 || px > 1 || py < 0 || py > 1 || fabs(nr[i] - dx / 0.8) > 1e-12 ||
                   fabs(nr[m + i] - dy / 0.8) > 1e-12;
        else if (fabs(px - 1) < 1e-12)
            bad += r > 0.8 || nr[i] != 1 || nr[m + i] != 0;
        else if (fabs(py - 1) < 1e-12)
            bad += r > 0.8 || nr[i] != 0 || nr[m + i] != 1;
        else
            bad++;
    }
    tap_check(x && !bad, "bnd_inter_square_disk", "%ld bad points", bad);
    free(x);
    free(nr);

    /* 3-D difference: unit cube minus its corner cube [0.5,1]^3; the three
     * inner faces (area 0.75 of 6) have normals +e_k, into the removed cube. */
    bad = inner = 0;
    x = boundary(c, g[G_B3DIFF], HY_BND_ALL, 0, 0, HY_SAMPLE_RANDOM, 40000, 3, &m, &nr);
    for (long i = 0; x && i < m; i++) {
        double p[3] = {x[i], x[m + i], x[2 * m + i]}, q[3] = {nr[i], nr[m + i], nr[2 * m + i]};
        int face = -1, side = 0;
        for (int k = 0; k < 3; k++) {
            if (p[k] == 0 || p[k] == 1)
                face = k, side = p[k] == 0 ? -1 : 1;
            else if (p[k] == 0.5 && face < 0)
                face = k, side = 0;
        }
        if (face < 0 || !in_ref(G_B3DIFF, p, 0)) {
            bad++;
            continue;
        }
        int o1 = (face + 1) % 3, o2 = (face + 2) % 3;
        if (side == 0) {  /* inner face: the others >= 0.5 */
            inner++;
            bad += p[o1] < 0.5 || p[o2] < 0.5 || q[face] != 1 || q[o1] != 0 || q[o2] != 0 ||
                   signbit(q[o1]) || signbit(q[o2]);
        } else {
            bad += (side == 1 && p[o1] > 0.5 && p[o2] > 0.5) || q[face] != side || q[o1] != 0 ||
                   q[o2] != 0;
        }
    }
    fin = (double)inner / (double)m;
    tap_check(x && !bad && fabs(fin - 0.125) < 0.0083, "bnd_box3_minus_corner",
              "%ld bad, inner fraction %g (want 0.125, SE 0.00165)", bad, fin);
    free(x);
    free(nr);
    hy_ctx_free(c);
}

static void test_boundary_time(void)
{
    HyCtx *c = ctx(24);
    int g[G_COUNT];
    build(c, g);
    long m, bad = 0, lat = 0;
    double *nr, *x;
    /* Disk x [0,2]: lateral 4 pi, ends pi each: lateral fraction 2/3
     * (SE 0.0024 at n = 4e4, tolerance 0.012). */
    x = boundary(c, g[G_TDISK], HY_BND_ALL, 0, 0, HY_SAMPLE_RANDOM, 40000, 3, &m, &nr);
    for (long i = 0; x && i < m; i++) {
        double px = x[i], py = x[m + i], t = x[2 * m + i], r = hypot(px, py);
        if (t == 0 || t == 2)
            bad += r > 1 || nr[i] != 0 || nr[m + i] != 0 || nr[2 * m + i] != (t == 0 ? -1 : 1);
        else {
            lat++;
            bad += fabs(r - 1) > 1e-12 || t < 0 || t > 2 || fabs(nr[i] - px) > 1e-12 ||
                   fabs(nr[m + i] - py) > 1e-12 || nr[2 * m + i] != 0;
        }
    }
    tap_check(x && !bad && fabs((double)lat / (double)m - 2.0 / 3) < 0.012, "bnd_time_disk_all",
              "%ld bad, lateral fraction %g", bad, (double)lat / (double)m);
    free(x);
    free(nr);
    /* Initial slice t = 0: t exactly 0, normal -e_t, inside the disk. */
    bad = 0;
    x = boundary(c, g[G_TDISK], HY_BND_AT, 2, 0.0, HY_SAMPLE_SOBOL, 2000, 3, &m, &nr);
    for (long i = 0; x && i < m; i++)
        bad += x[2 * m + i] != 0 || hypot(x[i], x[m + i]) > 1 || nr[2 * m + i] != -1 ||
               nr[i] != 0 || nr[m + i] != 0;
    tap_check(x && !bad, "bnd_time_disk_initial", "%ld bad points", bad);
    free(x);
    free(nr);
    /* Spatial boundary times [0, 2]: the lateral surface only. */
    bad = 0;
    x = boundary(c, g[G_TDISK], HY_BND_SPACE, 0, 0, HY_SAMPLE_RANDOM, 2000, 3, &m, &nr);
    for (long i = 0; x && i < m; i++)
        bad += fabs(hypot(x[i], x[m + i]) - 1) > 1e-12 || x[2 * m + i] <= 0 ||
               x[2 * m + i] >= 2 || nr[2 * m + i] != 0;
    tap_check(x && !bad, "bnd_time_disk_space", "%ld points off the lateral surface", bad);
    free(x);
    free(nr);
    /* Faces normal to t: only the two ends. */
    bad = 0;
    x = boundary(c, g[G_TDISK], HY_BND_AXIS, 2, 0, HY_SAMPLE_LATIN, 1000, 3, &m, &nr);
    for (long i = 0; x && i < m; i++)
        bad += x[2 * m + i] != 0 && x[2 * m + i] != 2;
    tap_check(x && !bad, "bnd_time_disk_axis_t", "%ld points off the ends", bad);
    free(x);
    free(nr);

    /* Interval x time: faces normal to x are {0,1} x [0,1] with -+e_x. */
    double l1 = 0, h1 = 1;
    int iv = box(c, 1, &l1, &h1);
    int st = hy_geom_time(c, iv, 0, 1);
    bad = 0;
    x = boundary(c, st, HY_BND_AXIS, 0, 0, HY_SAMPLE_RANDOM, 1000, 2, &m, &nr);
    long at0 = 0;
    for (long i = 0; x && i < m; i++) {
        bad += !((x[i] == 0 && nr[i] == -1) || (x[i] == 1 && nr[i] == 1)) || nr[m + i] != 0 ||
               x[m + i] < 0 || x[m + i] > 1;
        at0 += x[i] == 0;
    }
    tap_check(x && !bad && at0 > 400 && at0 < 600, "bnd_time_interval_axis_x",
              "%ld bad, %ld at x = 0", bad, at0);
    free(x);
    free(nr);
    /* Its initial slice on a grid: cell centres of [0,1], t = 0, normal -e_t. */
    bad = 0;
    x = boundary(c, st, HY_BND_AT, 1, 0, HY_SAMPLE_GRID, 10, 2, &m, &nr);
    for (long i = 0; x && i < m; i++)
        bad += fabs(x[i] - (0.05 + 0.1 * (double)i)) > 1e-15 || x[m + i] != 0 || nr[m + i] != -1;
    tap_check(x && m == 10 && !bad, "bnd_time_interval_initial_grid", "count %ld, %ld bad", m,
              bad);
    free(x);
    free(nr);
    /* L-shape x time, faces normal to x: edges x = 2, x = 1 (upper arm),
     * x = 0 (length 2) times [0, 1]. */
    int lt = hy_geom_time(c, g[G_LSHAPE], 0, 1);
    bad = 0;
    x = boundary(c, lt, HY_BND_AXIS, 0, 0, HY_SAMPLE_RANDOM, 2000, 3, &m, &nr);
    for (long i = 0; x && i < m; i++) {
        double px = x[i], py = x[m + i];
        int e = lshape_edge(px, py);
        bad += e < 0 || LEDGE[e][4] == 0 || nr[i] != LEDGE[e][4] || nr[m + i] != 0 ||
               nr[2 * m + i] != 0 || x[2 * m + i] < 0 || x[2 * m + i] > 1;
    }
    tap_check(x && !bad, "bnd_time_lshape_axis_x", "%ld bad", bad);
    free(x);
    free(nr);
    /* A 1-D interval's boundary: the two end points, about half each. */
    bad = at0 = 0;
    x = boundary(c, iv, HY_BND_ALL, 0, 0, HY_SAMPLE_RANDOM, 1000, 1, &m, &nr);
    for (long i = 0; x && i < m; i++) {
        bad += !((x[i] == 0 && nr[i] == -1) || (x[i] == 1 && nr[i] == 1));
        at0 += x[i] == 0;
    }
    tap_check(x && !bad && at0 > 400 && at0 < 600, "bnd_interval_ends", "%ld bad, %ld at 0", bad,
              at0);
    free(x);
    free(nr);
    hy_ctx_free(c);
}

/* An 8-D box: interior points inside, boundary points with exactly one
 * coordinate on a face and that face's normal. */
static void test_box8(void)
{
    HyCtx *c = ctx(8);
    double lo[8], hi[8];
    for (int k = 0; k < 8; k++) {
        lo[k] = -1.0 - k;
        hi[k] = 1.0 + 0.5 * k;
    }
    int b = box(c, 8, lo, hi);
    long n = 2000, bad = 0;
    double *x = alloc_pts(n, 8), *nr = alloc_pts(n, 8);
    for (int mi = 0; mi < 4; mi++) {
        if (hy_geom_sample(c, b, METHODS[mi], n, 0, x) != n)
            bad++;
        for (long i = 0; i < n; i++)
            for (int k = 0; k < 8; k++)
                bad += x[k * n + i] <= lo[k] || x[k * n + i] >= hi[k];
        if (hy_geom_sample_boundary(c, b, HY_BND_ALL, 0, 0, METHODS[mi], n, 0, x, nr) != n)
            bad++;
        for (long i = 0; i < n; i++) {
            int on = 0;
            for (int k = 0; k < 8; k++) {
                double v = x[k * n + i], q = nr[k * n + i];
                if (v == lo[k])
                    on++, bad += q != -1;
                else if (v == hi[k])
                    on++, bad += q != 1;
                else
                    bad += q != 0 || v < lo[k] || v > hi[k];
            }
            bad += on != 1;
        }
    }
    tap_check(!bad, "geom_box8", "%ld bad coordinates", bad);
    free(x);
    free(nr);
    hy_ctx_free(c);
}

/* ------------------------------------------------------ measure and grid */

static void test_measure(void)
{
    HyCtx *c = ctx(0);
    int g[G_COUNT];
    build(c, g);
    double lens = 2 * acos(0.75) - 0.75 * sqrt(4 - 2.25);
    struct { int w; double want, rtol; } cases[] = {
        {G_RECT, 4, 0},        {G_BOX3, 6, 0},           {G_DISK, PI * 0.5625, 1e-15},
        {G_LSHAPE, 3, 0},      {G_TDISK, 2 * PI, 1e-15}, {G_UNION, 2 * PI - lens, 1e-4},
        {G_DIFF, 1 - PI / 16, 1e-4}, {G_B3DIFF, 0.875, 1e-4},
    };
    int bad = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double got = hy_geom_measure(c, g[cases[i].w]);
        if (!tap_close(got, cases[i].want, cases[i].rtol, 0)) {
            printf("# measure %s: %.10g want %.10g\n", GNAME[cases[i].w], got, cases[i].want);
            bad++;
        }
    }
    tap_check(!bad, "geom_measure", "%d measures off", bad);
    int r = rect(c, 0, 3, 0, 1);
    double p = hy_geom_boundary_measure(c, r, HY_BND_ALL, 0, 0);
    double px = hy_geom_boundary_measure(c, r, HY_BND_AXIS, 0, 0);
    double pd = hy_geom_boundary_measure(c, g[G_DIFF], HY_BND_ALL, 0, 0);
    double pt = hy_geom_boundary_measure(c, g[G_TDISK], HY_BND_ALL, 0, 0);
    double pl = hy_geom_boundary_measure(c, g[G_TDISK], HY_BND_AT, 2, 0);
    tap_check(p == 8 && px == 2 && tap_close(pd, 4 + PI / 2, 1e-3, 0) &&
                  tap_close(pt, 6 * PI, 1e-3, 0) && tap_close(pl, PI, 1e-3, 0),
              "geom_boundary_measure", "rect %g x-faces %g diff %g (want %g) time-disk %g "
              "(want %g) t=0 %g", p, px, pd, 4 + PI / 2, pt, 6 * PI, pl);
    hy_ctx_free(c);
}

static void test_grid(void)
{
    HyCtx *c = ctx(0);
    double l1 = 0, h1 = 1;
    int iv = box(c, 1, &l1, &h1);
    double x[200];
    long m = hy_geom_sample(c, iv, HY_SAMPLE_GRID, 51, 0, x);
    int bad = m != 51;
    for (long i = 0; !bad && i < m; i++)
        bad += fabs(x[i] - 0.02 * (double)i) > 1e-15;
    tap_check(!bad && x[0] == 0 && x[50] == 1, "grid_interval_ends", "count %ld", m);
    long mm = hy_geom_mesh(c, iv, 0.02, x);
    tap_check(mm == 51 && x[50] == 1, "grid_mesh_spacing", "mesh(0.02) gave %ld nodes", mm);
    int sqr = rect(c, 0, 1, 0, 1);
    m = hy_geom_sample(c, sqr, HY_SAMPLE_GRID, 100, 0, NULL);
    tap_check(m == 100, "grid_square_count", "100 asked, %ld nodes", m);
    /* Thin box: the short axis gets a single midpoint node. */
    int thin = rect(c, 0, 1, 0, 0.01);
    m = hy_geom_mesh(c, thin, 0.25, x);
    tap_check(m == 5 && x[5] == 0.005 && x[9] == 0.005, "grid_midpoint_axis",
              "count %ld, y %g", m, m > 0 ? x[m] : 0);
    /* Disk: count query equals the written count; all nodes inside. */
    int d = hy_geom_disk(c, 0, 0, 1);
    long q = hy_geom_sample(c, d, HY_SAMPLE_GRID, 300, 0, NULL);
    double *y = alloc_pts(q > 0 ? q : 1, 2);
    long w = hy_geom_sample(c, d, HY_SAMPLE_GRID, 300, 0, y);
    bad = 0;
    for (long i = 0; i < w; i++)
        bad += hypot(y[i], y[w + i]) > 1;
    tap_check(q == w && q > 250 && q < 350 && !bad, "grid_disk", "query %ld, written %ld, %d "
              "outside", q, w, bad);
    free(y);
    /* Random count query: n, nothing drawn. */
    tap_check(hy_geom_sample(c, d, HY_SAMPLE_RANDOM, 77, 0, NULL) == 77, "grid_count_query_random",
              "count query of a random sample");
    hy_ctx_free(c);
}

/* ---------------------------------------------------------------- RAR-D */

static void test_rar(void)
{
    HyCtx *c = ctx(8);
    enum { NP = 8 };
    const double res[NP] = {0, 1, 2, 3, -4, 0.5, 10, 1e-3};
    double k = 2, cc = 0.5, pk[NP], mean = 0, p[NP], tot = 0;
    for (int i = 0; i < NP; i++)
        mean += res[i] * res[i] / NP;
    for (int i = 0; i < NP; i++) {
        pk[i] = res[i] * res[i] / mean + cc;
        tot += pk[i];
    }
    for (int i = 0; i < NP; i++)
        p[i] = pk[i] / tot;
    /* One draw per round: histogram vs p (chi-square, 7 dof). */
    long R = 200000, cnt[NP] = {0}, ch[NP];
    for (long r = 0; r < R; r++) {
        hy_rar_select(c, 3, r * NP, NP, res, k, cc, 1, ch);
        cnt[ch[0]]++;
    }
    double s = chi2(NP, cnt, p, R);
    tap_check(s < CHI999[7], "rar_single_draw_probabilities", "chi2 %g", s);
    /* Two draws without replacement: distinct, and item j is included with
     * probability p_j + sum_{i != j} p_i p_j / (1 - p_i) (successive
     * sampling); tolerance 5 binomial SE. */
    long inc[NP] = {0}, dup = 0;
    R = 100000;
    for (long r = 0; r < R; r++) {
        hy_rar_select(c, 4, r * NP, NP, res, k, cc, 2, ch);
        dup += ch[0] == ch[1];
        inc[ch[0]]++;
        inc[ch[1]]++;
    }
    int bad = 0;
    for (int j = 0; j < NP; j++) {
        double pi = p[j];
        for (int i = 0; i < NP; i++)
            if (i != j)
                pi += p[i] * p[j] / (1 - p[i]);
        double f = (double)inc[j] / (double)R, se = sqrt(pi * (1 - pi) / (double)R);
        if (fabs(f - pi) > 5 * se + 1e-12) {
            printf("# rar inclusion %d: %g want %g\n", j, f, pi);
            bad++;
        }
    }
    tap_check(!dup && !bad, "rar_without_replacement", "%ld duplicates, %d inclusion "
              "probabilities off", dup, bad);
    /* k = 0: uniform. */
    long u[NP] = {0};
    double pu[NP];
    for (int i = 0; i < NP; i++)
        pu[i] = 1.0 / NP;
    for (long r = 0; r < 80000; r++) {
        hy_rar_select(c, 5, r * NP, NP, res, 0, 2, 1, ch);
        u[ch[0]]++;
    }
    tap_check(chi2(NP, u, pu, 80000) < CHI999[7], "rar_k0_uniform", "chi2 %g",
              chi2(NP, u, pu, 80000));
    /* Zero weights (k > 0, cc = 0) last, lowest index first; huge residuals
     * do not overflow; same arguments, same choice. */
    const double z[4] = {0, 1, 0, 2};
    long all[4], a2[4];
    long n4 = hy_rar_select(c, 6, 0, 4, z, 1, 0, 4, all);
    const double huge[3] = {1e300, 2e300, 1e-300};
    long nh = hy_rar_select(c, 6, 0, 3, huge, 3, 0, 2, a2);
    long n4b = hy_rar_select(c, 6, 0, 4, z, 1, 0, 4, a2 + 0);
    (void)n4b;
    tap_check(n4 == 4 && all[2] == 0 && all[3] == 2 && (all[0] == 1 || all[0] == 3) && nh == 2,
              "rar_zero_weights_last", "order %ld %ld %ld %ld, huge %ld", all[0], all[1], all[2],
              all[3], nh);
    long c1[5], c2[5];
    double big[50];
    for (int i = 0; i < 50; i++)
        big[i] = sin(i * 0.3);
    hy_rar_select(c, 1, 100, 50, big, 1, 1, 5, c1);
    hy_rar_select(c, 1, 100, 50, big, 1, 1, 5, c2);
    tap_check(!memcmp(c1, c2, sizeof c1), "rar_deterministic", "same arguments, other choice");
    /* Gather copies the chosen points. */
    double pool[2 * 4] = {0, 1, 2, 3, 10, 11, 12, 13}, out[2 * 3] = {0};
    long pick[2] = {3, 1};
    hy_gather_points(2, 4, pool, 2, pick, 3, 1, out);
    tap_check(out[1] == 3 && out[2] == 1 && out[4] == 13 && out[5] == 11 && out[0] == 0,
              "gather_points", "out %g %g %g %g %g %g", out[0], out[1], out[2], out[3], out[4],
              out[5]);
    hy_ctx_free(c);
}

/* ---------------------------------------------------------- determinism */

static void test_determinism(void)
{
    HyCtx *a = ctx(99), *b = ctx(99), *d = ctx(100);
    int ga[G_COUNT], gb[G_COUNT], gd[G_COUNT];
    build(a, ga);
    build(b, gb);
    build(d, gd);
    int same = 1, differ = 1, rounds = 1;
    long n = 300;
    double *x = alloc_pts(n, 3), *y = alloc_pts(n, 3), *z = alloc_pts(n, 3);
    double *nx = alloc_pts(n, 3), *ny = alloc_pts(n, 3);
    for (int w = 0; w < G_COUNT; w++) {
        for (int mi = 0; mi < 6; mi++) {
            int method = METHODS[mi];
            size_t bytes = (size_t)(n * GDIM[w]) * sizeof(double);
            hy_geom_sample(a, ga[w], method, n, 4, x);
            hy_geom_sample(b, gb[w], method, n, 4, y);
            hy_geom_sample(d, gd[w], method, n, 4, z);
            same &= !memcmp(x, y, bytes);
            /* Seeded methods change with the seed, plain ones do not. */
            int plain = method == HY_SAMPLE_SOBOL_PLAIN || method == HY_SAMPLE_HALTON_PLAIN;
            differ &= plain ? !memcmp(x, z, bytes) : memcmp(x, z, bytes) != 0;
            hy_geom_resample(a, ga[w], method, n, 4, 1, z);
            rounds &= memcmp(x, z, bytes) != 0;
            hy_geom_sample_boundary(a, ga[w], HY_BND_ALL, 0, 0, method, n, 4, x, nx);
            hy_geom_sample_boundary(b, gb[w], HY_BND_ALL, 0, 0, method, n, 4, y, ny);
            same &= !memcmp(x, y, bytes) && !memcmp(nx, ny, bytes);
        }
    }
    tap_check(same, "geom_deterministic", "same seed gave different bits");
    tap_check(differ, "geom_seed_dependence", "seeded methods ignore the seed or plain ones use it");
    tap_check(rounds, "geom_rounds_differ", "round 1 repeated round 0");
    /* A call does not depend on earlier calls: interleaving changes nothing. */
    HyCtx *e = ctx(99);
    int ge[G_COUNT];
    build(e, ge);
    hy_geom_sample(a, ga[G_DISK], HY_SAMPLE_RANDOM, n, 4, x);
    hy_geom_sample(e, ge[G_LSHAPE], HY_SAMPLE_RANDOM, 17, 2, y);
    hy_geom_sample(e, ge[G_DISK], HY_SAMPLE_RANDOM, n, 4, y);
    tap_check(!memcmp(x, y, (size_t)(2 * n) * sizeof(double)), "geom_call_independent",
              "an earlier call changed a later one");
    free(x);
    free(y);
    free(z);
    free(nx);
    free(ny);
    hy_ctx_free(a);
    hy_ctx_free(b);
    hy_ctx_free(d);
    hy_ctx_free(e);
}

/* Resampling does not allocate once its scratch is warm. */
static void test_no_alloc(void)
{
    HyCtx *c = ctx(1);
    int d = hy_geom_disk(c, 0, 0, 1);
    long n = 2000;
    double *x = alloc_pts(n, 2), *nr = alloc_pts(n, 2), res[2000];
    long ch[100];
    for (long i = 0; i < n; i++)
        res[i] = cos((double)i);
    hy_geom_resample(c, d, HY_SAMPLE_LATIN, n, 0, 0, x);
    hy_geom_resample_boundary(c, d, HY_BND_ALL, 0, 0, HY_SAMPLE_LATIN, n, 0, 0, x, nr);
    hy_rar_select(c, 0, 0, n, res, 1, 1, 100, ch);
    hy_alloc_reset(0);
    for (long r = 1; r < 4; r++) {
        hy_geom_resample(c, d, HY_SAMPLE_LATIN, n, 0, r, x);
        hy_geom_resample(c, d, HY_SAMPLE_SOBOL, n, 0, r, x);
        hy_geom_resample_boundary(c, d, HY_BND_ALL, 0, 0, HY_SAMPLE_LATIN, n, 0, r, x, nr);
        hy_rar_select(c, 0, r * n, n, res, 1, 1, 100, ch);
    }
    long allocs = hy_alloc_count();
    tap_check(allocs == 0, "geom_resample_no_alloc", "%ld allocations", allocs);
    free(x);
    free(nr);
    hy_ctx_free(c);
}

int main(void)
{
    test_errors();
    test_interior();
    test_uniform();
    test_sobol();
    test_halton();
    test_latin();
    test_boundary_rect();
    test_boundary_box3();
    test_boundary_curved();
    test_boundary_time();
    test_box8();
    test_measure();
    test_grid();
    test_rar();
    test_determinism();
    test_no_alloc();
    return tap_exit();
}
