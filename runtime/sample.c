/* sample.c -- point samplers on geometries, quasi-random sequences, RAR-D.
 *
 * Contracts are in hyrt_api.h ("geometry and sampling").  Sources:
 *  - Sobol' sequence: I. M. Sobol', USSR Comput. Math. Math. Phys. 7 (1967);
 *    direction numbers of S. Joe and F. Y. Kuo, "Constructing Sobol sequences
 *    with better two-dimensional projections", SIAM J. Sci. Comput. 30 (2008)
 *    2635-2654, file new-joe-kuo-6.21201 (dimensions 2..8 below); points in
 *    Gray-code order (Antonov & Saleev 1979), as in Joe & Kuo's generator.
 *  - Scrambling of Sobol': linear matrix scramble (a random non-singular lower
 *    triangular binary matrix per dimension) plus a random digital shift,
 *    J. Matousek, "On the L2-discrepancy for anchored boxes", J. Complexity 14
 *    (1998); it keeps the (t,m,s)-net property of every 2^m-point block.
 *  - Halton sequence: J. H. Halton, Numer. Math. 2 (1960), bases the first 8
 *    primes; scrambled by an independent random permutation of the digits at
 *    each digit position (random digit permutation, cf. Owen 2017,
 *    "A randomized Halton algorithm in R", arXiv:1706.02808), applied to a
 *    fixed number of digits D (largest with base^D <= 2^52).
 *  - Latin hypercube: M. D. McKay, R. J. Beckman, W. J. Conover,
 *    Technometrics 21 (1979): one point per stratum per axis, jittered.
 *  - RAR-D: C. Wu, M. Zhu, Q. Tan, Y. Kartha, L. Lu, CMAME 403 (2023)
 *    115671: p(x) proportional to eps^k / mean(eps^k) + c, drawn without
 *    replacement; drawn here by the exponential-key method of P. S.
 *    Efraimidis and P. G. Spirakis, Inf. Process. Lett. 97 (2006), which has
 *    the distribution of successive weighted draws without replacement.
 *
 * Determinism: every draw is hy_rng_* of (seed, S, counter) with the stream
 * word S = 2^62 | stream << 30 | round for samplers and S = 2^62 | 2^61 |
 * stream << 30 for RAR-D (stream < 2^31, round < 2^20); these never meet the
 * streams of initialisation (trainable ids), noise (2^32 + s) or Fourier
 * features (2^33 + id).  Counters inside a sampler's stream:
 *   RANDOM   candidate i, coordinate j: counter 16 i + j
 *   LATIN    hypercube b, axis j: permutation swap t at (1<<60 | b<<36 | j<<32 | t),
 *            jitter of point idx at (2<<60 | b<<36 | j<<32 | idx)
 *   SOBOL    scramble of dimension j: matrix row r at (3<<60 | j<<32 | r),
 *            shift at (3<<60 | j<<32 | 63)
 *   HALTON   permutation of dimension j, digit l, swap t at (4<<60 | j<<32 | l<<8 | t)
 * A call consumes nothing else, so a call's result depends only on (seed,
 * geometry, arguments).
 */
#include <math.h>
#include <string.h>
#include "geom_impl.h"

#define RT_SAMPLE_MAX_N (1L << 30)      /* most points of one call */
#define RT_ROUND_MAX (1L << 20)         /* rounds are < this */
#define RT_GRID_MAX_NODES (1L << 31)    /* most grid nodes visited by one call */

/* ------------------------------------------------------- unit generators */

/* Joe & Kuo new-joe-kuo-6.21201, dimensions 2..8: degree s, coefficient
 * word a, initial m_1..m_s. */
static const struct { int s, a, m[5]; } JK[7] = {
    {1, 0, {1}},          {2, 1, {1, 3}},       {3, 1, {1, 3, 1}},       {3, 2, {1, 1, 1}},
    {4, 1, {1, 1, 3, 3}}, {4, 4, {1, 3, 5, 13}}, {5, 2, {1, 1, 5, 5, 17}},
};
static const int PRIMES[RT_GEOM_MAXD] = {2, 3, 5, 7, 11, 13, 17, 19};

static uint64_t lat_ctr(uint64_t tag, uint64_t b, uint64_t j, uint64_t idx)
{
    return tag << 60 | b << 36 | j << 32 | idx;
}

static int parity64(uint64_t x)
{
    x ^= x >> 32;
    x ^= x >> 16;
    x ^= x >> 8;
    x ^= x >> 4;
    x ^= x >> 2;
    x ^= x >> 1;
    return (int)(x & 1);
}

/* Direction numbers v_1..v_52 of Sobol' dimension d (0-based), as 52-bit
 * fractions: v_j = m_j 2^(52-j). */
static void sobol_dirs(int d, uint64_t *v)
{
    uint64_t m[53];
    if (d == 0) {
        for (int j = 1; j <= 52; j++)
            m[j] = 1;
    } else {
        int s = JK[d - 1].s, a = JK[d - 1].a;
        for (int j = 1; j <= s; j++)
            m[j] = (uint64_t)JK[d - 1].m[j - 1];
        for (int j = s + 1; j <= 52; j++) {
            uint64_t x = m[j - s] ^ (m[j - s] << s);
            for (int k = 1; k < s; k++)
                if ((a >> (s - 1 - k)) & 1)
                    x ^= m[j - k] << k;
            m[j] = x;
        }
    }
    for (int j = 1; j <= 52; j++)
        v[j - 1] = m[j] << (52 - j);
}

static int is_plain(int method)
{
    return method == HY_SAMPLE_SOBOL_PLAIN || method == HY_SAMPLE_HALTON_PLAIN;
}

int rt_qmc_init(HyCtx *c, RtQmc *q, int method, int k, long batch, int stream, long round)
{
    if (method < 0 || method >= HY_SAMPLE_COUNT || method == HY_SAMPLE_GRID)
        return rt_geo_err(c, "sampling: unknown method %d", method);
    if (k < 1 || k > RT_GEOM_MAXD)
        return rt_geo_err(c, "sampling: %d dimensions (need 1 .. %d)", k, RT_GEOM_MAXD);
    if (stream < 0)
        return rt_geo_err(c, "sampling: stream %d (need >= 0)", stream);
    if (round < 0 || round >= RT_ROUND_MAX)
        return rt_geo_err(c, "sampling: round %ld (need 0 .. %ld)", round, RT_ROUND_MAX - 1);
    q->method = method;
    q->k = k;
    q->seed = c->seed;
    q->s64 = 1ULL << 62 | (uint64_t)stream << 30 | (uint64_t)round;
    q->offset = is_plain(method) ? (uint64_t)round << 32 : 0;
    q->batch = batch < 1 ? 1 : batch;
    q->cur = -1;
    q->perm = NULL;
    if (method == HY_SAMPLE_LATIN) {
        if ((uint64_t)q->batch >= 1ULL << 32)
            return rt_geo_err(c, "sampling: Latin hypercube of %ld points is too large", batch);
        q->perm = rt_geo_scratch(c, RT_SCR_PERM, (size_t)k * (size_t)q->batch * sizeof(long));
    }
    if (method == HY_SAMPLE_SOBOL || method == HY_SAMPLE_SOBOL_PLAIN) {
        for (int d = 0; d < k; d++) {
            sobol_dirs(d, q->sv[d]);
            q->shift[d] = 0;
            if (method == HY_SAMPLE_SOBOL_PLAIN)
                continue;
            /* Row r of L (digit r = bit 51 - r): unit diagonal, random bits
             * on the more significant digits 0..r-1. */
            uint64_t row[52];
            for (int r = 0; r < 52; r++) {
                uint64_t above = r ? (((1ULL << 52) - 1) & ~((1ULL << (52 - r)) - 1)) : 0;
                row[r] = (hy_rng_u64(q->seed, q->s64, lat_ctr(3, 0, (uint64_t)d, (uint64_t)r)) &
                          above) |
                         1ULL << (51 - r);
            }
            for (int j = 0; j < 52; j++) {
                uint64_t v = q->sv[d][j], w = 0;
                for (int r = 0; r < 52; r++)
                    w |= (uint64_t)parity64(row[r] & v) << (51 - r);
                q->sv[d][j] = w;
            }
            q->shift[d] = hy_rng_u64(q->seed, q->s64, lat_ctr(3, 0, (uint64_t)d, 63)) >> 12;
        }
    }
    if (method == HY_SAMPLE_HALTON || method == HY_SAMPLE_HALTON_PLAIN) {
        for (int d = 0; d < k; d++) {
            uint64_t b = (uint64_t)PRIMES[d], p = 1;
            int D = 0;
            while (p <= (1ULL << 52) / b) {
                p *= b;
                D++;
            }
            q->hdig[d] = D;
            if (method == HY_SAMPLE_HALTON_PLAIN)
                continue;
            for (int l = 0; l < D; l++) {
                unsigned char *pm = q->hperm[d][l];
                for (int t = 0; t < (int)b; t++)
                    pm[t] = (unsigned char)t;
                for (int t = (int)b - 1; t > 0; t--) {
                    uint64_t r = hy_rng_u64(q->seed, q->s64,
                                            4ULL << 60 | (uint64_t)d << 32 | (uint64_t)l << 8 |
                                                (uint64_t)t);
                    int s = (int)(r % (uint64_t)(t + 1));
                    unsigned char tmp = pm[t];
                    pm[t] = pm[s];
                    pm[s] = tmp;
                }
            }
        }
    }
    return 0;
}

static double below_one(double u) { return u < 1.0 ? u : 0x1.fffffffffffffp-1; }

void rt_qmc_point(HyCtx *c, RtQmc *q, uint64_t i, double *u)
{
    (void)c;
    int k = q->k;
    switch (q->method) {
    case HY_SAMPLE_RANDOM:
        for (int j = 0; j < k; j++)
            u[j] = hy_rng_uniform(q->seed, q->s64, 16 * i + (uint64_t)j);
        return;
    case HY_SAMPLE_LATIN: {
        uint64_t B = (uint64_t)q->batch, b = i / B, idx = i % B;
        if ((long)b != q->cur) {
            for (int j = 0; j < k; j++) {
                long *pm = q->perm + (size_t)j * B;
                for (uint64_t t = 0; t < B; t++)
                    pm[t] = (long)t;
                for (uint64_t t = B - 1; t > 0; t--) {
                    uint64_t s = hy_rng_u64(q->seed, q->s64, lat_ctr(1, b, (uint64_t)j, t)) %
                                 (t + 1);
                    long tmp = pm[t];
                    pm[t] = pm[s];
                    pm[s] = tmp;
                }
            }
            q->cur = (long)b;
        }
        for (int j = 0; j < k; j++) {
            double jit = hy_rng_uniform(q->seed, q->s64, lat_ctr(2, b, (uint64_t)j, idx));
            u[j] = below_one(((double)q->perm[(size_t)j * B + idx] + jit) / (double)B);
        }
        return;
    }
    case HY_SAMPLE_SOBOL:
    case HY_SAMPLE_SOBOL_PLAIN: {
        uint64_t idx = q->offset + i, g = idx ^ (idx >> 1);
        for (int d = 0; d < k; d++) {
            uint64_t X = q->shift[d], gg = g;
            for (int j = 0; gg; j++, gg >>= 1)
                if (gg & 1)
                    X ^= q->sv[d][j];
            u[d] = q->method == HY_SAMPLE_SOBOL_PLAIN ? (double)X * 0x1p-52
                                                      : ((double)X + 0.5) * 0x1p-52;
        }
        return;
    }
    default: {  /* HALTON, HALTON_PLAIN */
        uint64_t idx0 = q->offset + i;
        for (int d = 0; d < k; d++) {
            uint64_t b = (uint64_t)PRIMES[d], idx = idx0;
            if (q->method == HY_SAMPLE_HALTON_PLAIN) {
                /* radical inverse: digits reversed over the point, num / b^L */
                uint64_t num = 0;
                double den = 1;
                while (idx) {
                    num = num * b + idx % b;
                    den *= (double)b;
                    idx /= b;
                }
                u[d] = (double)num / den;
            } else {
                int D = q->hdig[d];
                uint64_t num = 0, p = 1;
                for (int l = 1; l < D; l++)
                    p *= b;
                uint64_t bD = p * b;
                for (int l = 0; l < D; l++) {
                    num += (uint64_t)q->hperm[d][l][idx % b] * p;
                    idx /= b;
                    p /= b;
                }
                u[d] = ((double)num + 0.5) / (double)bD;
            }
        }
        return;
    }
    }
}

long hy_qmc_unit(HyCtx *c, int method, int dim, long first, long n, int stream, long round,
                 double *out)
{
    RtQmc q;
    if (n <= 0 || n > RT_SAMPLE_MAX_N || first < 0 || first > (1L << 40))
        return rt_geo_err(c, "qmc: need 0 < n <= %ld and 0 <= first <= 2^40 (got n %ld, first "
                          "%ld)", RT_SAMPLE_MAX_N, n, first);
    if (!out)
        return rt_geo_err(c, "qmc: no output array");
    if (rt_qmc_init(c, &q, method, dim, n, stream, round) < 0)
        return -1;
    double u[RT_GEOM_MAXD];
    for (long i = 0; i < n; i++) {
        rt_qmc_point(c, &q, (uint64_t)(first + i), u);
        for (int j = 0; j < dim; j++)
            out[(size_t)j * (size_t)n + (size_t)i] = u[j];
    }
    return n;
}

/* --------------------------------------------------------------- interior */

/* Nodes per axis of the mesh of spacing h over G's bounding box: an axis of
 * length L gets round(L/h) + 1 nodes, ends included, or 1 node (its
 * midpoint) when L/h < 0.5. */
static void mesh_nodes(const RtGeom *G, double h, long *nodes)
{
    for (int k = 0; k < G->dim; k++) {
        double r = (G->hi[k] - G->lo[k]) / h;
        nodes[k] = r < 0.5 ? 1 : (r > 1e12 ? (long)1e12 : lround(r) + 1);
    }
}

static double mesh_coord(const RtGeom *G, int k, long i, long nodes)
{
    if (nodes == 1)
        return 0.5 * (G->lo[k] + G->hi[k]);
    if (i == nodes - 1)
        return G->hi[k];
    return G->lo[k] + (G->hi[k] - G->lo[k]) * (double)i / (double)(nodes - 1);
}

/* Visits the mesh nodes (axis 0 fastest) inside G; writes them to out with
 * stride `stride` when out is not NULL.  Returns the count, or -1. */
static long mesh_pass(HyCtx *c, const RtGeom *G, const long *nodes, double *out, long stride)
{
    double total = 1;
    for (int k = 0; k < G->dim; k++)
        total *= (double)nodes[k];
    if (total > (double)RT_GRID_MAX_NODES)
        return rt_geo_err(c, "mesh: %.3g grid nodes is too many (at most 2^31)", total);
    long idx[RT_GEOM_MAXD] = {0}, count = 0;
    double x[RT_GEOM_MAXD];
    for (long t = 0; t < (long)total; t++) {
        for (int k = 0; k < G->dim; k++)
            x[k] = mesh_coord(G, k, idx[k], nodes[k]);
        if (G->boxlike || rt_geom_contains(c, G, x)) {
            if (out) {
                if (count >= stride)
                    RT_ICE("mesh: more nodes on the second pass");
                for (int k = 0; k < G->dim; k++)
                    out[(size_t)k * (size_t)stride + (size_t)count] = x[k];
            }
            count++;
        }
        for (int k = 0; k < G->dim && ++idx[k] == nodes[k]; k++)
            idx[k] = 0;
    }
    return count;
}

static long mesh_run(HyCtx *c, const RtGeom *G, double h, double *out, const char *who)
{
    long nodes[RT_GEOM_MAXD];
    mesh_nodes(G, h, nodes);
    long m = mesh_pass(c, G, nodes, NULL, 0);
    if (m < 0)
        return -1;
    if (m == 0)
        return rt_geo_err(c, "%s: no mesh node of spacing %g lies inside the geometry", who, h);
    if (out && mesh_pass(c, G, nodes, out, m) != m)
        RT_ICE("mesh: node count changed between passes");
    return m;
}

long hy_geom_mesh(HyCtx *c, int g, double h, double *out)
{
    RtGeom *G = rt_geom_get(c, g, "mesh");
    if (!G)
        return -1;
    if (!isfinite(h) || !(h > 0))
        return rt_geo_err(c, "mesh: spacing %g (need > 0)", h);
    return mesh_run(c, G, h, out, "mesh");
}

/* Spacing whose mesh over the bounding box has about n vol(bbox)/measure
 * nodes, i.e. about n inside: solves prod_k (L_k/h + 1) = target. */
static double grid_spacing(HyCtx *c, RtGeom *G, long n)
{
    double vol = 1, Lmax = 0;
    for (int k = 0; k < G->dim; k++) {
        vol *= G->hi[k] - G->lo[k];
        Lmax = fmax(Lmax, G->hi[k] - G->lo[k]);
    }
    double meas = G->boxlike ? vol : rt_geom_measure(c, G);
    double target = meas > 0 ? (double)n * vol / meas : (double)n;
    if (target <= 1)
        return 4 * Lmax;
    double a = log(Lmax / target), b = log(4 * Lmax);
    for (int it = 0; it < 200; it++) {
        double m = 0.5 * (a + b), h = exp(m), f = 1;
        for (int k = 0; k < G->dim; k++)
            f *= (G->hi[k] - G->lo[k]) / h + 1;
        if (f > target)
            a = m;
        else
            b = m;
    }
    return exp(0.5 * (a + b));
}

static long check_n(HyCtx *c, long n, const char *who)
{
    if (n <= 0 || n > RT_SAMPLE_MAX_N)
        return rt_geo_err(c, "%s: %ld points (need 1 .. %ld)", who, n, RT_SAMPLE_MAX_N);
    return 0;
}

/* Most candidate draws of a rejection sampler for n points. */
static long max_tries(long n) { return 1000 * n + 1000000; }

long hy_geom_resample(HyCtx *c, int g, int method, long n, int stream, long round, double *out)
{
    RtGeom *G = rt_geom_get(c, g, "sample");
    if (!G || check_n(c, n, "sample") < 0)
        return -1;
    if (method == HY_SAMPLE_GRID)
        return mesh_run(c, G, grid_spacing(c, G, n), out, "sample");
    RtQmc q;
    if (rt_qmc_init(c, &q, method, G->dim, n, stream, round) < 0)
        return -1;
    if (!out)
        return n;
    long limit = max_tries(n), got = 0;
    double u[RT_GEOM_MAXD], x[RT_GEOM_MAXD];
    for (long i = 0; got < n; i++) {
        if (i >= limit)
            return rt_geo_err(c, "sample: only %ld of %ld points fell inside geometry %d in %ld "
                              "draws (is it nearly empty?)", got, n, g, limit);
        rt_qmc_point(c, &q, (uint64_t)i, u);
        for (int k = 0; k < G->dim; k++)
            x[k] = G->lo[k] + u[k] * (G->hi[k] - G->lo[k]);
        if (!G->boxlike && !rt_geom_contains(c, G, x))
            continue;
        for (int k = 0; k < G->dim; k++)
            out[(size_t)k * (size_t)n + (size_t)got] = x[k];
        got++;
    }
    return n;
}

long hy_geom_sample(HyCtx *c, int g, int method, long n, int stream, double *out)
{
    return hy_geom_resample(c, g, method, n, stream, 0, out);
}

/* --------------------------------------------------------------- boundary */

/* A selection of boundary patches. */
typedef struct {
    const RtPatch **p;          /* [np] */
    double *cum;                /* cumulative chart measures [np] */
    int np;
    int slice;                  /* the single patch is a cross-section */
    int fix_axis;               /* HY_BND_AT: coordinate set to fix_value, else -1 */
    double fix_value;
    RtPatch cut;                /* the cross-section patch (slice) */
} Sel;

static int constant_axis(const RtPatch *P)
{
    return P->kind == RT_P_ARC ? -1 : P->axis;
}

static int select_patches(HyCtx *c, RtGeom *G, int g, int sel, int axis, double value, Sel *S,
                          const char *who)
{
    int dim = G->dim;
    S->slice = 0;
    S->fix_axis = -1;
    if (sel != HY_BND_ALL && sel != HY_BND_AXIS && sel != HY_BND_AT && sel != HY_BND_SPACE)
        return rt_geo_err(c, "%s: unknown boundary selection %d", who, sel);
    if ((sel == HY_BND_AXIS || sel == HY_BND_AT) && (axis < 0 || axis >= dim))
        return rt_geo_err(c, "%s: axis %d of a %d-dimensional geometry", who, axis, dim);
    if (sel == HY_BND_AT && !isfinite(value))
        return rt_geo_err(c, "%s: slice value must be finite", who);
    S->p = rt_geo_scratch(c, RT_SCR_SEL, (size_t)(G->npatch + 1) * sizeof *S->p);
    S->cum = rt_geo_scratch(c, RT_SCR_CUM, (size_t)(G->npatch + 1) * sizeof *S->cum);
    int np = 0;
    double tol = 1e-12 * (1 + fabs(value));
    for (int i = 0; i < G->npatch; i++) {
        const RtPatch *P = &G->patch[i];
        if (sel == HY_BND_AXIS && constant_axis(P) != axis)
            continue;
        if (sel == HY_BND_SPACE && G->has_time && !P->lat)
            continue;
        if (sel == HY_BND_AT && (constant_axis(P) != axis || fabs(P->value - value) > tol))
            continue;
        S->p[np++] = P;
    }
    if (sel == HY_BND_AXIS && np == 0)
        return rt_geo_err(c, "%s: no boundary part of geometry %d is normal to axis %d", who, g,
                          axis);
    if (sel == HY_BND_SPACE && np == 0)
        return rt_geo_err(c, "%s: geometry %d has no spatial boundary", who, g);
    if (sel == HY_BND_AT) {
        S->fix_axis = axis;
        S->fix_value = value;
        if (np == 0) {  /* a cross-section through the geometry */
            if (value < G->lo[axis] || value > G->hi[axis])
                return rt_geo_err(c, "%s: the slice x%d = %g misses geometry %d (%g .. %g)", who,
                                  axis, value, g, G->lo[axis], G->hi[axis]);
            RtPatch *P = &S->cut;
            memset(P, 0, sizeof *P);
            P->kind = RT_P_SLICE;
            P->axis = axis;
            P->value = value;
            memcpy(P->lo, G->lo, sizeof P->lo);
            memcpy(P->hi, G->hi, sizeof P->hi);
            P->space = g;
            P->meas = 1;
            for (int j = 0; j < dim; j++)
                if (j != axis)
                    P->meas *= G->hi[j] - G->lo[j];
            S->p[np++] = P;
            S->slice = 1;
        }
    }
    double w = 0;
    for (int i = 0; i < np; i++)
        S->cum[i] = w += S->p[i]->meas;
    S->np = np;
    return 0;
}

/* Chart of P at u, then the boolean boundary test and the slice coordinate;
 * 1 if the point is kept (x, nrm written). */
static int bnd_keep(HyCtx *c, const RtGeom *G, const Sel *S, const RtPatch *P, const double *u,
                    double *x, double *nrm)
{
    if (!rt_patch_chart(c, P, G->dim, u, x, nrm))
        return 0;
    if (!S->slice && !rt_geom_side(c, G, x, nrm))
        return 0;
    if (S->fix_axis >= 0)
        x[S->fix_axis] = S->fix_value;
    return 1;
}

/* Maps unit point u (k coordinates; u[0] picks the patch by measure) to a
 * boundary point; 1 if kept. */
static int bnd_point(HyCtx *c, const RtGeom *G, const Sel *S, double *u, double *x, double *nrm)
{
    double W = S->cum[S->np - 1], s = u[0] * W;
    int lo = 0, hi = S->np - 1;
    while (lo < hi) {  /* first patch with cum > s */
        int mid = (lo + hi) / 2;
        if (S->cum[mid] > s)
            hi = mid;
        else
            lo = mid + 1;
    }
    const RtPatch *P = S->p[lo];
    double before = lo ? S->cum[lo - 1] : 0;
    u[0] = below_one(fmax(0.0, (s - before) / P->meas));
    return bnd_keep(c, G, S, P, u, x, nrm);
}

static void put_point(int dim, const double *x, const double *nrm, double *out, double *normals,
                      long stride, long at)
{
    for (int k = 0; k < dim; k++) {
        out[(size_t)k * (size_t)stride + (size_t)at] = x[k];
        if (normals)
            normals[(size_t)k * (size_t)stride + (size_t)at] = nrm[k];
    }
}

/* The boundary grid: spacing h = (W/n)^(1/k) over the selected patches'
 * charts (k = dim - 1), each chart axis of extent e cut into max(1,
 * round(e/h)) equal cells with a point at each cell centre; a 1-D
 * geometry's end points get one point each.  Counts, and writes when out is
 * not NULL.  Returns the count or -1. */
static long bnd_grid_pass(HyCtx *c, const RtGeom *G, const Sel *S, long n, double *out,
                          double *normals, long stride)
{
    int dim = G->dim, k = dim > 1 ? dim - 1 : 1;
    double W = S->cum[S->np - 1], h = dim > 1 ? pow(W / (double)n, 1.0 / k) : 1.0;
    double visited = 0, u[RT_GEOM_MAXD], x[RT_GEOM_MAXD], nrm[RT_GEOM_MAXD];
    long count = 0;
    for (int p = 0; p < S->np; p++) {
        const RtPatch *P = S->p[p];
        double ext[RT_GEOM_MAXD], total = 1;
        long m[RT_GEOM_MAXD], idx[RT_GEOM_MAXD] = {0};
        rt_patch_extents(P, dim, ext);
        for (int q = 0; q < k; q++) {
            double r = dim > 1 ? ext[q] / h : 0;
            if (r > 1e12)
                return rt_geo_err(c, "boundary grid: too many points");
            m[q] = r < 1.5 ? 1 : lround(r);
            total *= (double)m[q];
        }
        visited += total;
        if (visited > (double)RT_GRID_MAX_NODES)
            return rt_geo_err(c, "boundary grid: %.3g points is too many (at most 2^31)",
                              visited);
        for (long t = 0; t < (long)total; t++) {
            for (int q = 0; q < k; q++)
                u[q] = ((double)idx[q] + 0.5) / (double)m[q];
            if (bnd_keep(c, G, S, P, u, x, nrm)) {
                if (out) {
                    if (count >= stride)
                        RT_ICE("boundary grid: more points on the second pass");
                    put_point(dim, x, nrm, out, normals, stride, count);
                }
                count++;
            }
            for (int q = 0; q < k && ++idx[q] == m[q]; q++)
                idx[q] = 0;
        }
    }
    return count;
}

long hy_geom_resample_boundary(HyCtx *c, int g, int sel, int axis, double value, int method,
                               long n, int stream, long round, double *out, double *normals)
{
    RtGeom *G = rt_geom_get(c, g, "boundary sample");
    if (!G || check_n(c, n, "boundary sample") < 0)
        return -1;
    Sel S;
    if (select_patches(c, G, g, sel, axis, value, &S, "boundary sample") < 0)
        return -1;
    int dim = G->dim, k = dim > 1 ? dim - 1 : 1;
    if (method == HY_SAMPLE_GRID) {
        long m = bnd_grid_pass(c, G, &S, n, NULL, NULL, 0);
        if (m < 0)
            return -1;
        if (m == 0)
            return rt_geo_err(c, "boundary sample: no grid point lies on the selected boundary "
                              "of geometry %d", g);
        if (out && bnd_grid_pass(c, G, &S, n, out, normals, m) != m)
            RT_ICE("boundary grid: point count changed between passes");
        return m;
    }
    RtQmc q;
    if (rt_qmc_init(c, &q, method, k, n, stream, round) < 0)
        return -1;
    if (!out)
        return n;
    long limit = max_tries(n), got = 0;
    double u[RT_GEOM_MAXD], x[RT_GEOM_MAXD], nrm[RT_GEOM_MAXD];
    for (long i = 0; got < n; i++) {
        if (i >= limit)
            return rt_geo_err(c, "boundary sample: only %ld of %ld points on the selected "
                              "boundary of geometry %d in %ld draws", got, n, g, limit);
        rt_qmc_point(c, &q, (uint64_t)i, u);
        if (!bnd_point(c, G, &S, u, x, nrm))
            continue;
        put_point(dim, x, nrm, out, normals, n, got);
        got++;
    }
    return n;
}

long hy_geom_sample_boundary(HyCtx *c, int g, int sel, int axis, double value, int method,
                             long n, int stream, double *out, double *normals)
{
    return hy_geom_resample_boundary(c, g, sel, axis, value, method, n, stream, 0, out,
                                     normals);
}

/* Candidates of the boundary measure estimate (plain Sobol'). */
#define RT_BMEASURE_N (1L << 18)

double hy_geom_boundary_measure(HyCtx *c, int g, int sel, int axis, double value)
{
    RtGeom *G = rt_geom_get(c, g, "boundary measure");
    Sel S;
    if (!G || select_patches(c, G, g, sel, axis, value, &S, "boundary measure") < 0)
        return -1.0;
    double W = S.cum[S.np - 1];
    int exact = G->exact && !S.slice;
    for (int i = 0; i < S.np; i++)
        if (S.p[i]->kind == RT_P_END && !S.p[i]->space_box)
            exact = 0;
    if (exact)
        return W;
    RtQmc q;
    int k = G->dim > 1 ? G->dim - 1 : 1;
    rt_qmc_init(c, &q, HY_SAMPLE_SOBOL_PLAIN, k, 1, 0, 0);
    double u[RT_GEOM_MAXD], x[RT_GEOM_MAXD], nrm[RT_GEOM_MAXD];
    long kept = 0;
    for (long i = 0; i < RT_BMEASURE_N; i++) {
        rt_qmc_point(c, &q, (uint64_t)i, u);
        u[0] += 0.5 / (double)RT_BMEASURE_N;  /* cell centres of the 2^18-point net */
        for (int j = 1; j < k; j++)
            u[j] += 0.5 / (double)RT_BMEASURE_N;
        kept += bnd_point(c, G, &S, u, x, nrm);
    }
    return W * (double)kept / (double)RT_BMEASURE_N;
}

/* ------------------------------------------------------------------ RAR-D */

/* (ka, ia) after (kb, ib) in the order of keys, ties by index. */
static int after(double ka, long ia, double kb, long ib)
{
    return ka > kb || (ka == kb && ia > ib);
}

/* Restores the max-heap below position i (keys key, payload idx, size n). */
static void sift_down(double *key, long *idx, long n, long i)
{
    for (;;) {
        long l = 2 * i + 1, r = l + 1, big = i;
        if (l < n && after(key[l], idx[l], key[big], idx[big]))
            big = l;
        if (r < n && after(key[r], idx[r], key[big], idx[big]))
            big = r;
        if (big == i)
            return;
        double tk = key[i];
        key[i] = key[big];
        key[big] = tk;
        long ti = idx[i];
        idx[i] = idx[big];
        idx[big] = ti;
        i = big;
    }
}

long hy_rar_select(HyCtx *c, int stream, long counter_base, long npool, const double *residual,
                   double k, double cc, long nadd, long *chosen)
{
    if (stream < 0 || counter_base < 0)
        return rt_geo_err(c, "RAR-D: stream %d and counter base %ld must be >= 0", stream,
                          counter_base);
    if (npool < 1 || npool > RT_SAMPLE_MAX_N || nadd < 0)
        return rt_geo_err(c, "RAR-D: pool of %ld points, %ld to add (need a pool of 1 .. %ld, "
                          "nadd >= 0)", npool, nadd, RT_SAMPLE_MAX_N);
    if (!isfinite(k) || k < 0 || !isfinite(cc) || cc < 0)
        return rt_geo_err(c, "RAR-D: exponent k = %g and constant c = %g must be finite and "
                          ">= 0", k, cc);
    if (!residual || (nadd > 0 && !chosen))
        return rt_geo_err(c, "RAR-D: missing residual or output array");
    if (nadd > npool)
        nadd = npool;
    double rmax = 0;
    for (long i = 0; i < npool; i++) {
        if (!isfinite(residual[i]))
            return rt_geo_err(c, "RAR-D: residual %ld of the pool is not finite (%g)", i,
                              residual[i]);
        rmax = fmax(rmax, fabs(residual[i]));
    }
    if (nadd == 0)
        return 0;
    /* (r/rmax)^k: the ratio to the mean is scale-free and cannot overflow. */
    double sum = 0;
    if (k == 0 || rmax == 0)
        sum = k == 0 ? (double)npool : 0;
    else
        for (long i = 0; i < npool; i++)
            sum += pow(fabs(residual[i]) / rmax, k);
    double mean = sum / (double)npool;
    double *key = rt_geo_scratch(c, RT_SCR_KEYS, (size_t)nadd * sizeof *key);
    uint64_t s64 = 1ULL << 62 | 1ULL << 61 | (uint64_t)stream << 30;
    long h = 0;
    for (long i = 0; i < npool; i++) {
        double ratio = k == 0 || !(mean > 0) ? 1.0 : pow(fabs(residual[i]) / rmax, k) / mean;
        double w = ratio + cc;
        double u = hy_rng_uniform(c->seed, s64, (uint64_t)counter_base + (uint64_t)i);
        double kk = w > 0 ? -log(u) / w : INFINITY;
        if (h < nadd) {  /* grow the heap: sift up */
            long j = h++;
            key[j] = kk;
            chosen[j] = i;
            while (j > 0 && after(key[j], chosen[j], key[(j - 1) / 2], chosen[(j - 1) / 2])) {
                long p = (j - 1) / 2;
                double tk = key[p];
                key[p] = key[j];
                key[j] = tk;
                long ti = chosen[p];
                chosen[p] = chosen[j];
                chosen[j] = ti;
                j = p;
            }
        } else if (after(key[0], chosen[0], kk, i)) {
            key[0] = kk;
            chosen[0] = i;
            sift_down(key, chosen, h, 0);
        }
    }
    /* Heap sort: ascending keys, i.e. the order of successive draws. */
    for (long n = h - 1; n > 0; n--) {
        double tk = key[0];
        key[0] = key[n];
        key[n] = tk;
        long ti = chosen[0];
        chosen[0] = chosen[n];
        chosen[n] = ti;
        sift_down(key, chosen, n, 0);
    }
    return nadd;
}

void hy_gather_points(int dim, long npool, const double *pool, long nsel, const long *chosen,
                      long nout, long at, double *out)
{
    if (dim < 1 || at < 0 || nsel < 0 || at + nsel > nout)
        RT_ICE("gather: %ld points at %ld of %ld (dim %d)", nsel, at, nout, dim);
    for (long j = 0; j < nsel; j++) {
        long i = chosen[j];
        if (i < 0 || i >= npool)
            RT_ICE("gather: index %ld outside the pool of %ld", i, npool);
        for (int k = 0; k < dim; k++)
            out[(size_t)k * (size_t)nout + (size_t)(at + j)] =
                pool[(size_t)k * (size_t)npool + (size_t)i];
    }
}
