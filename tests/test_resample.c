/* test_resample.c -- redrawn and growing point sets, end to end (parse ->
 * sema -> emit -> libtcc -> runtime).
 *
 * Checks, each against an independent computation:
 *  - 'resample every N': the coordinates change exactly at the epochs E > 0
 *    with E % N == 0 and equal the documented draw hy_geom_resample(...,
 *    stream = point-set id, round = E / N) bit for bit; static values over
 *    the set (sin(pi x), normals) are recomputed: the loss and its gradient
 *    equal a direct evaluation at the new points (relative 1e-13);
 *  - boundary sets: the new normals are the faces' outward normals;
 *  - 'grow every N by residual(...)': exactly `add` points per growth, up to
 *    the capacity n0 + add floor((E-1)/N), the first points untouched, the
 *    new ones the pool points that hy_rar_select picks from the residual
 *    computed here; means run over the live count;
 *  - RAR-D concentrates the points where the residual is large: a residual
 *    peaked at x = 0.7 (a Gaussian of width 0.03), fixed seed; tolerances
 *    are 3 binomial standard deviations of the stated expectation;
 *  - 'resample every N by residual(...)': the count stays n;
 *  - gradients over a grown set (networks with input normalisation, Fourier
 *    features and a network of a network) match central finite differences
 *    (h = 1e-6, 1e-5 relative + 1e-8 absolute), with the live count below
 *    the capacity;
 *  - training runs are bitwise reproducible; --epochs beyond the spec stops
 *    the growth at the capacity; redraws allocate nothing.
 */
#include <stdlib.h>
#include <string.h>
#include "tap.h"
#include "ir.h"
#include "hyrt.h"

#include "built.h"

/* Coordinates of point set p ([dim][cap] with cap = its storage). */
static double *coords(Built *b, int p) { return hy_values(b->ctx) + b->c->psets[p].voff; }

static int find_ps(Built *b, const char *name)
{
    for (int p = 0; p < b->c->npsets; p++)
        if (strcmp(b->c->psets[p].name, name) == 0) return p;
    return -1;
}

/* ---- resample: draws, epochs, static values ---- */

static const char *const src_resample =
    "seed 5\n"
    "domain line = interval(x: 0 .. 1)\n"
    "points p = random(50) in line resample every 3\n"
    "param a = 0.25\n"
    "loss l = mse(a - sin(pi*x)) over p\n"
    "train 10 epochs { step l }\n";

/* mean((a - sin(pi x_i))^2) and its derivative by a over x[0..n). */
static void direct_sin(const double *x, long n, double a, double *loss, double *grad)
{
    double s = 0, g = 0;
    for (long i = 0; i < n; i++) {
        double d = a - sin(3.14159265358979323846 * x[i]);
        s += d * d;
        g += 2 * d;
    }
    *loss = s / (double)n;
    *grad = g / (double)n;
}

static void test_resample(void)
{
    Built b;
    if (!build_ok(&b, src_resample, "resample/build")) return;
    double want[50], before[50];
    double *x = coords(&b, 0);
    hy_geom_resample(b.ctx, 0, HY_SAMPLE_RANDOM, 50, 0, 0, want);
    tap_check(memcmp(x, want, sizeof want) == 0, "resample/round0", "setup points differ from hy_geom_sample");
    memcpy(before, x, sizeof before);
    hy_ps_update(b.ctx, 1);
    hy_ps_update(b.ctx, 2);
    tap_check(memcmp(x, before, sizeof before) == 0, "resample/not-before", "points changed at epochs 1, 2");
    hy_ps_update(b.ctx, 3);
    hy_geom_resample(b.ctx, 0, HY_SAMPLE_RANDOM, 50, 0, 1, want);
    tap_check(memcmp(x, want, sizeof want) == 0 && memcmp(x, before, sizeof before) != 0, "resample/epoch3",
              "points at epoch 3 are not round 1 of stream 0");
    tap_check(hy_ps_count(b.ctx, 0) == 50, "resample/count", "count %ld", hy_ps_count(b.ctx, 0));
    double a = hy_params(b.ctx)[hy_param_offset(b.ctx, 0)], lw, gw;
    double got = hy_substep_eval(b.ctx, 0), g = hy_grads(b.ctx)[hy_param_offset(b.ctx, 0)];
    direct_sin(x, 50, a, &lw, &gw);
    tap_check(tap_close(got, lw, 1e-13, 0) && tap_close(g, gw, 1e-13, 1e-15), "resample/static-recomputed",
              "loss %.17g grad %.17g, direct %.17g %.17g", got, g, lw, gw);
    hy_ps_update(b.ctx, 6);
    hy_geom_resample(b.ctx, 0, HY_SAMPLE_RANDOM, 50, 0, 2, want);
    tap_check(memcmp(x, want, sizeof want) == 0, "resample/epoch6", "points at epoch 6 are not round 2");
    unbuild(&b);

    /* Training: redraws at epochs 3, 6, 9 (round 3 last); two runs agree bitwise. */
    Built r1, r2;
    if (!build_ok(&r1, src_resample, "resample/train-build")) return;
    if (!build_ok(&r2, src_resample, "resample/train-build2")) { unbuild(&r1); return; }
    hy_train(r1.ctx);
    hy_train(r2.ctx);
    hy_geom_resample(r1.ctx, 0, HY_SAMPLE_RANDOM, 50, 0, 3, want);
    tap_check(memcmp(coords(&r1, 0), want, sizeof want) == 0, "resample/train-rounds",
              "points after 10 epochs are not round 3");
    long np = hy_total_params(r1.ctx);
    tap_check(memcmp(coords(&r1, 0), coords(&r2, 0), sizeof want) == 0 &&
                  memcmp(hy_params(r1.ctx), hy_params(r2.ctx), (size_t)np * sizeof(double)) == 0,
              "resample/train-bitwise", "two runs differ");
    unbuild(&r1);
    unbuild(&r2);
}

/* ---- resample on a boundary: normals follow the points ---- */

static void test_boundary(void)
{
    static const char *const src =
        "seed 9\n"
        "domain sq = rect(x: 0 .. 1, y: 0 .. 2)\n"
        "points b = latin(40) on boundary(sq) resample every 1\n"
        "param a = 0.5\n"
        "loss l = mse(a - normal.x - 2 * normal.y + x * y) over b\n"
        "train 3 epochs { step l }\n";
    Built bb;
    if (!build_ok(&bb, src, "boundary/build")) return;
    double *x = coords(&bb, 0), *y = x + 40, *nx = x + 80, *ny = x + 120;
    double first[160];
    memcpy(first, x, sizeof first);
    hy_ps_update(bb.ctx, 2);
    int ok = memcmp(x, first, 80 * sizeof(double)) != 0, bad = -1;
    for (int i = 0; i < 40 && bad < 0; i++) {
        double ex = x[i] == 0 ? -1 : x[i] == 1 ? 1 : 0, ey = y[i] == 0 ? -1 : y[i] == 2 ? 1 : 0;
        if (fabs(ex) + fabs(ey) != 1 || nx[i] != ex || ny[i] != ey) bad = i;
    }
    tap_check(ok && bad < 0, "boundary/normals", "point %d (%g, %g) has normal (%g, %g)", bad, bad < 0 ? 0 : x[bad],
              bad < 0 ? 0 : y[bad], bad < 0 ? 0 : nx[bad], bad < 0 ? 0 : ny[bad]);
    double a = 0.5, s = 0;
    for (int i = 0; i < 40; i++) {
        double d = a - nx[i] - 2 * ny[i] + x[i] * y[i];
        s += d * d;
    }
    double got = hy_substep_eval(bb.ctx, 0);
    tap_check(tap_close(got, s / 40, 1e-13, 0), "boundary/static-recomputed", "loss %.17g, direct %.17g", got, s / 40);
    unbuild(&bb);
}

/* ---- growth by RAR-D ---- */

/* A residual peaked at 0.7: r = a exp(-((x - 0.7)/0.03)^2). */
static const char *src_grow(char *buf, size_t len, double k, double cc, int add, int pool, int epochs)
{
    snprintf(buf, len,
             "seed 11\n"
             "domain line = interval(x: 0 .. 1)\n"
             "points p = random(100) in line grow every 1 by residual(l, k %g, c %g, add %d, pool %d)\n"
             "param a = 2\n"
             "loss l = mse(a * exp(-((x - 0.7) / 0.03)^2)) over p\n"
             "train %d epochs { step l }\n",
             k, cc, add, pool, epochs);
    return buf;
}

/* Fraction of points [from, to) of x within 0.1 of 0.7. */
static double near_fraction(const double *x, long from, long to)
{
    long k = 0;
    for (long i = from; i < to; i++) k += fabs(x[i] - 0.7) < 0.1;
    return (double)k / (double)(to - from);
}

static void test_grow(void)
{
    char src[1024];
    Built b;
    if (!build_ok(&b, src_grow(src, sizeof src, 1, 0, 20, 2000, 6), "grow/build")) return;
    int pool = b.c->psets[0].pool;
    tap_check(b.c->psets[0].n == 200 && b.c->psets[0].n0 == 100 && pool == find_ps(&b, "p.pool") &&
                  b.c->psets[pool].n == 2000,
              "grow/capacity", "capacity %d (want 100 + 20 * 5), pool %d of %d", b.c->psets[0].n, pool,
              pool >= 0 ? b.c->psets[pool].n : -1);
    double *x = coords(&b, 0), first[100];
    memcpy(first, x, sizeof first);
    int counts_ok = 1;
    for (long e = 1; e <= 7; e++) {
        /* the expected picks, computed here from the pool's round-e draw */
        double cand[2000], r[2000];
        long chosen[20];
        hy_geom_resample(b.ctx, 0, HY_SAMPLE_RANDOM, 2000, pool, e, cand);
        for (int i = 0; i < 2000; i++) r[i] = 2 * exp(-pow((cand[i] - 0.7) / 0.03, 2));
        long nsel = hy_rar_select(b.ctx, 0, e * 2000, 2000, r, 1, 0, 20, chosen);
        long n_before = hy_ps_count(b.ctx, 0);
        hy_ps_update(b.ctx, e);
        long n_after = hy_ps_count(b.ctx, 0);
        long want_n = e <= 5 ? 100 + 20 * e : 200;
        counts_ok &= n_after == want_n;
        if (e == 2) {   /* means over the live count (140 of 200) */
            double s = 0;
            for (int i = 0; i < 140; i++) s += pow(2 * exp(-pow((x[i] - 0.7) / 0.03, 2)), 2);
            double got = hy_substep_eval(b.ctx, 0);
            tap_check(tap_close(got, s / 140, 1e-12, 0), "grow/live-mean",
                      "loss %.17g, direct mean over 140 points %.17g", got, s / 140);
        }
        if (e == 1) {
            int same = nsel == 20;
            for (int j = 0; j < 20 && same; j++) same = x[n_before + j] == cand[chosen[j]];
            tap_check(same, "grow/picks", "the 20 new points are not the pool points hy_rar_select picks");
            double fr = near_fraction(x, 100, 120);
            tap_check(fr >= 0.95, "grow/concentrates-k1c0", "%.2f of the new points within 0.1 of the peak (want >= 0.95)",
                      fr);
        }
    }
    tap_check(counts_ok, "grow/counts", "counts are not 120, 140, ..., 200, 200");
    tap_check(memcmp(x, first, sizeof first) == 0, "grow/first-untouched", "growth moved the first points");
    unbuild(&b);

    /* c = 1: p = r/mean(r) + 1, so about (1 + 0.2)/2 = 0.6 of the picks lie within
     * 0.1 of the peak; k = 0: uniform, 0.2.  100 picks from 4000 candidates. */
    static const struct { double k, c, lo, hi; const char *name; } mix[] = {
        {1, 1, 0.45, 0.75, "grow/concentrates-k1c1"},
        {0, 0, 0.08, 0.32, "grow/uniform-k0"},
    };
    for (int t = 0; t < 2; t++) {
        if (!build_ok(&b, src_grow(src, sizeof src, mix[t].k, mix[t].c, 100, 4000, 3), mix[t].name)) continue;
        hy_ps_update(b.ctx, 1);
        double fr = near_fraction(coords(&b, 0), 100, 200);
        tap_check(hy_ps_count(b.ctx, 0) == 200 && fr >= mix[t].lo && fr <= mix[t].hi, mix[t].name,
                  "%.2f of 100 picks within 0.1 of the peak (want %.2f .. %.2f)", fr, mix[t].lo, mix[t].hi);
        unbuild(&b);
    }

    /* training: bitwise reproducible; --epochs past the spec stops at the capacity */
    Built r1, r2;
    if (!build_ok(&r1, src_grow(src, sizeof src, 1, 1, 20, 400, 6), "grow/train-build")) return;
    if (!build_ok(&r2, src_grow(src, sizeof src, 1, 1, 20, 400, 6), "grow/train-build2")) { unbuild(&r1); return; }
    hy_train(r1.ctx);
    hy_set_epochs(r2.ctx, 6);
    hy_train(r2.ctx);
    tap_check(hy_ps_count(r1.ctx, 0) == 200 &&
                  memcmp(coords(&r1, 0), coords(&r2, 0), 200 * sizeof(double)) == 0 &&
                  memcmp(hy_params(r1.ctx), hy_params(r2.ctx), sizeof(double)) == 0,
              "grow/train-bitwise", "two runs differ (count %ld)", hy_ps_count(r1.ctx, 0));
    unbuild(&r2);
    if (build_ok(&r2, src_grow(src, sizeof src, 1, 1, 20, 400, 6), "grow/epochs-override-build")) {
        hy_set_epochs(r2.ctx, 15);
        int rc = hy_train(r2.ctx);
        tap_check(rc == 0 && hy_ps_count(r2.ctx, 0) == 200 &&
                      memcmp(coords(&r1, 0), coords(&r2, 0), 200 * sizeof(double)) == 0,
                  "grow/epochs-override", "rc %d, count %ld (want the capacity 200, same points)", rc,
                  hy_ps_count(r2.ctx, 0));
        unbuild(&r2);
    }
    unbuild(&r1);
}

/* ---- RAR-D with a fixed count ---- */

static void test_resample_rar(void)
{
    static const char *const src =
        "seed 4\n"
        "domain line = interval(x: 0 .. 1)\n"
        "points p = halton(60) in line resample every 2 by residual(l, k 1, c 0, pool 3000)\n"
        "param a = 1\n"
        "loss l = mae(a * exp(-((x - 0.7) / 0.03)^2)) over p\n"
        "train 5 epochs { step l }\n";
    Built b;
    if (!build_ok(&b, src, "rar-resample/build")) return;
    double *x = coords(&b, 0);
    double f0 = near_fraction(x, 0, 60);
    hy_alloc_reset(0);
    hy_ps_update(b.ctx, 2);
    long nalloc = hy_alloc_count();
    double f1 = near_fraction(x, 0, 60);
    tap_check(nalloc == 0, "rar-resample/no-allocation", "%ld allocations in a redraw", nalloc);
    tap_check(hy_ps_count(b.ctx, 0) == 60 && b.c->psets[0].n == 60 && f0 < 0.35 && f1 >= 0.95,
              "rar-resample/concentrates", "count %ld; within 0.1 of the peak: %.2f before, %.2f after (want >= 0.95)",
              hy_ps_count(b.ctx, 0), f0, f1);
    unbuild(&b);
}

/* ---- gradients over a grown set vs finite differences ---- */

static const char *src_grad(char *buf, size_t len, const char *points)
{
    snprintf(buf, len,
             "seed 2\n"
             "domain line = interval(x: 0 .. 1)\n"
             "points p = %s\n"
             "net u = mlp(1 -> 1, width 6, depth 2, tanh, normalize line)\n"
             "net v = mlp(1 -> 1, width 5, depth 1, sin, fourier 3)\n"
             "net w = mlp(1 -> 1, width 4, depth 1, tanh)\n"
             "loss pde = mse(dxx(u) + dx(v) + x) over p\n"
             "loss fit = mean((w(v(x)) - x)^2 + sum(u) / 10) over p\n"
             "train 4 epochs { step pde, fit }\n",
             points);
    return buf;
}

static void test_grad(void)
{
    char src[1024];
    Built b, f;
    if (!build_ok(&b, src_grad(src, sizeof src, "sobol(16) in line grow every 1 by residual(pde, k 2, c 0.5, add 4, pool 64)"),
               "grad/build"))
        return;
    hy_ps_update(b.ctx, 1);
    /* the same losses over a fixed set of the same 20 points: the same bits */
    if (build_ok(&f, src_grad(src, sizeof src, "sobol(20) in line"), "grad/fixed-build")) {
        memcpy(coords(&f, 0), coords(&b, 0), 20 * sizeof(double));
        double lb = hy_substep_eval(b.ctx, 0), lf = hy_substep_eval(f.ctx, 0);
        long np = hy_total_params(b.ctx);
        tap_check(lb == lf && memcmp(hy_grads(b.ctx), hy_grads(f.ctx), (size_t)np * sizeof(double)) == 0,
                  "grad/live-count-as-fixed-set", "grown set: %.17g, fixed set of its 20 points: %.17g", lb, lf);
        unbuild(&f);
    }
    long n = hy_ps_count(b.ctx, 0);
    int cap = b.c->psets[0].n;
    long np = hy_total_params(b.ctx);
    double *P = hy_params(b.ctx), *g = malloc((size_t)np * sizeof *g);
    hy_substep_eval(b.ctx, 0);
    memcpy(g, hy_grads(b.ctx), (size_t)np * sizeof *g);
    long worst = -1;
    double wd = 0;
    for (long i = 0; i < np; i++) {
        double p0 = P[i], h = 1e-6;
        P[i] = p0 + h;
        double lp = hy_substep_eval(b.ctx, 0);
        P[i] = p0 - h;
        double lm = hy_substep_eval(b.ctx, 0);
        P[i] = p0;
        double fd = (lp - lm) / (2 * h);
        if (!tap_close(g[i], fd, 1e-5, 1e-8) && fabs(g[i] - fd) > wd) { wd = fabs(g[i] - fd); worst = i; }
    }
    tap_check(n == 20 && cap == 28 && worst < 0, "grad/grown-set-fd", "live %ld of %d; parameter %ld: %.3g off", n, cap,
              worst, wd);
    free(g);
    unbuild(&b);
}

/* ---- the Burgers spec's point sets compile ---- */

static void test_spec_shape(void)
{
    static const char *const src =
        "seed 1\n"
        "domain st = rect(x: -1 .. 1, t: 0 .. 1)\n"
        "points inner = random(2000) in st  grow every 1000 by residual(pde, k 1, c 1, add 100)\n"
        "points edge  = random(200)  on boundary(st, x)\n"
        "net u = mlp(2 -> 1, width 8, depth 2, tanh)\n"
        "loss pde = mse(dt(u) + u * dx(u) - 0.01 * dxx(u)) over inner\n"
        "loss bc  = mse(u) over edge\n"
        "train 20000 epochs { step pde, bc }\n";
    Built b;
    if (!build_ok(&b, src, "spec/build")) return;
    int pool = b.c->psets[0].pool;
    tap_check(b.c->psets[0].n == 3900 && pool >= 0 && b.c->psets[pool].n == 1000, "spec/burgers-capacity",
              "capacity %d (want 2000 + 100 * 19), pool %d", b.c->psets[0].n, pool >= 0 ? b.c->psets[pool].n : -1);
    hy_alloc_reset(0);
    hy_ps_update(b.ctx, 1000);
    hy_ps_update(b.ctx, 2000);
    long nalloc = hy_alloc_count();
    tap_check(hy_ps_count(b.ctx, 0) == 2200 && nalloc == 0, "spec/burgers-growth",
              "count %ld after epochs 1000 and 2000 (want 2200); %ld allocations (want 0)", hy_ps_count(b.ctx, 0), nalloc);
    unbuild(&b);
}

int main(void)
{
    test_resample();
    test_boundary();
    test_grow();
    test_resample_rar();
    test_grad();
    test_spec_shape();
    return tap_exit();
}
