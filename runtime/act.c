/* act.c -- activation functions and their derivatives; vectorised maps.
 *
 * The one isolated kernel file with its own flags (ACT_CFLAGS in the
 * Makefile: -O3 -fno-math-errno -fno-trapping-math).  No -ffast-math: the
 * flags above do not change any float64 result (no reassociation, no
 * reciprocal approximations, no flush-to-zero); they only let GCC vectorise
 * the polynomial loops below.
 *
 * tanh on AVX2 machines is our own kernel (tanh4 below, FMA polynomial).
 * Other transcendentals (exp, log, log1p, sin, cos, erfc; tanh elsewhere) come from glibc's
 * libmvec, called explicitly by their vector-ABI names (_ZGVdN4v_* on AVX2
 * machines, chosen once at run time; _ZGVbN2v_* otherwise).  glibc documents
 * these at <= 4 ulp; tests/test_runtime.c measures the max error against
 * libm over [-30, 30] plus tiny and huge arguments.  A tail shorter than a
 * vector is padded and evaluated by the same vector routine, so a result
 * never depends on the position of its element.
 *
 * Derivative formulas (d_k = act^(k)(z), k <= 5 = RT_MAX_ORDER + 1: a jet
 * of order 4 and its reverse need s1..s5):
 *   tanh:     t = tanh z; d1 = 1 - t^2; d2 = -2 t d1; d3 = d1 (6 t^2 - 2);
 *             d4 = 8 t d1 (2 - 3 t^2); d5 = 8 d1 (2 - 15 t^2 d1)
 *             (d_{k+1} = (1 - t^2) d/dt d_k as polynomials in t)
 *   sin:      d1 = cos z; d2 = -sin z; d3 = -cos z; d4 = sin z; d5 = cos z
 *   sigmoid:  e = exp(-|z|), p = 1/(1+e), q = e p (p, q = s, 1-s or 1-s, s,
 *             both accurate in the tails); w = d1 = p q; r = (1-s) - s;
 *             d2 = w r; d3 = w (1 - 6 w); d4 = w r (1 - 12 w);
 *             d5 = w (1 - 30 w + 120 w^2)   (r^2 = 1 - 4 w)
 *   softplus: d0 = max(z,0) + log1p(e); d1..d5 = sigmoid d0..d4
 *   swish:    z s: d_k = k s^(k-1) + z s^(k)
 *   gelu:     z Phi(z), Phi = erfc(-z/sqrt2)/2 (no cancellation for z << 0),
 *             phi = exp(-z^2/2)/sqrt(2 pi): d1 = Phi + z phi;
 *             d2 = phi (2 - z^2); d3 = z phi (z^2 - 4);
 *             d4 = -phi (z^4 - 7 z^2 + 4); d5 = z phi (z^4 - 11 z^2 + 18)
 * tests/test_kernels.c measures every d_k against a long-double Taylor
 * series (an independent recurrence) and states the worst errors.
 */
#include <math.h>
#include <string.h>
#include "rt_internal.h"

typedef double v4d __attribute__((vector_size(32)));   /* one AVX register */
typedef double v2d __attribute__((vector_size(16)));   /* one SSE register */

static int have_avx2 = -1;   /* -1 unknown, then 0/1 (set once) */

static int use_avx2(void)
{
    if (have_avx2 < 0) {
        __builtin_cpu_init();
        have_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }
    return have_avx2;
}

/* VMAP(F): rt-internal map y = F(x) over n elements through libmvec. */
#define VMAP(F)                                                                   \
    extern v4d _ZGVdN4v_##F(v4d);                                                 \
    extern v2d _ZGVbN2v_##F(v2d);                                                 \
    __attribute__((target("avx2,fma"))) static void F##_avx2(long n, const double *x, \
                                                             double *y)          \
    {                                                                             \
        long i = 0;                                                               \
        v4d v;                                                                    \
        for (; i + 4 <= n; i += 4) {                                              \
            memcpy(&v, x + i, sizeof v);                                          \
            v = _ZGVdN4v_##F(v);                                                  \
            memcpy(y + i, &v, sizeof v);                                          \
        }                                                                         \
        if (i < n) {                                                              \
            double t[4] = {0, 0, 0, 0};                                           \
            memcpy(t, x + i, (size_t)(n - i) * sizeof(double));                   \
            memcpy(&v, t, sizeof v);                                              \
            v = _ZGVdN4v_##F(v);                                                  \
            memcpy(t, &v, sizeof v);                                              \
            memcpy(y + i, t, (size_t)(n - i) * sizeof(double));                   \
        }                                                                         \
    }                                                                             \
    static void F##_sse(long n, const double *x, double *y)                       \
    {                                                                             \
        long i = 0;                                                               \
        v2d v;                                                                    \
        for (; i + 2 <= n; i += 2) {                                              \
            memcpy(&v, x + i, sizeof v);                                          \
            v = _ZGVbN2v_##F(v);                                                  \
            memcpy(y + i, &v, sizeof v);                                          \
        }                                                                         \
        if (i < n) {                                                              \
            double t[2] = {x[i], 0};                                              \
            memcpy(&v, t, sizeof v);                                              \
            v = _ZGVbN2v_##F(v);                                                  \
            memcpy(t, &v, sizeof v);                                              \
            y[i] = t[0];                                                          \
        }                                                                         \
    }                                                                             \
    __attribute__((unused)) static void vm_##F(long n, const double *x, double *y) \
    {                                                                             \
        if (use_avx2())                                                           \
            F##_avx2(n, x, y);                                                    \
        else                                                                      \
            F##_sse(n, x, y);                                                     \
    }

VMAP(tanh)

/* Own AVX2/FMA tanh (replaces libmvec's, ~4.4 ns/element here, on AVX2
 * machines).  Contract: tanh4 returns tanh of each lane within 3 ulp
 * (tests/test_kernels.c checks 3 ulp against long-double tanhl over [-30, 30]
 * and every binade down to 2^-1074; the worst seen is 2.63 ulp, near
 * |x| = 0.22, in 3e7 random points of [0, 0.5]; 1.5 ulp beyond |x| = 0.5;
 * the previous Taylor kernel: 2.58 ulp), tanh(+-0) = +-0, tanh(+-inf) = +-1,
 * NaN -> NaN; the result depends only on the lane's value (no tail or
 * position effects) and tanh(-x) = -tanh(x) bitwise.
 *
 * Method: tanh|x| = e / (e + 2) with e = expm1(y), y = 2|x|, sign restored
 * (no cancellation anywhere, so the relative error stays small down to
 * subnormal x, where e = 2x and the quotient is exact).  |x| is clamped to 20
 * (tanh = 1 in float64 beyond 19.07).  Range reduction on |x| itself:
 * |x| = k ln2/2 + s, k = rint(|x| 2/ln2) (0..58), |s| <= ln2/4, with the
 * two-part Cody-Waite constant L1 + L2 = ln2/2 (L1: 40 significant bits, so
 * k L1 is exact and |x| - k L1 exact by Sterbenz; the FMA rounds once).
 * expm1(2 s) = 2 (s + s^2 q(s)): q a degree-9 polynomial with q(0) = 1,
 * fitted (bench/tanh_fit.py, mpmath at 40 digits) to minimise the max
 * relative error of expm1(2s) on [-ln2/4, ln2/4]: Lawson's iteratively
 * reweighted least squares on 300 Chebyshev points, the coefficients rounded
 * to double lowest first with the higher ones refitted; max relative error
 * with the double coefficients 2.4e-17 (0.2 ulp).  q by Estrin's scheme
 * (shorter dependency chains than Horner).  Then e = 2^(k+1) (s + s^2 q) +
 * (2^k - 1) by one FMA (2^k - 1 is exact for k <= 53; beyond, its rounding
 * is far below the last bit of e / (e + 2) = 1 - 2 / (e + 2)).
 * Measured (bench/micro_tanh.c, AMD family 0x1a, AVX2 code): 1.23 -> 0.90
 * ns/element for the value alone; before, a 13-term Taylor Horner chain on
 * y = 2|x|.  Tried and not kept (stand-alone loop, ns/element): Horner with
 * the same reduction 0.93 vs Estrin 0.79; degree 10 0.83 (no more accurate
 * in the end result); two or four vectors interleaved by hand (no gain: the
 * out-of-order core overlaps iterations already); e + 2 by a parallel FMA
 * (0.85, one more FMA); a multiply in place of the division (0.79: the
 * divider is not the bottleneck); floor instead of rint in the reduction
 * (s in [0, ln2/2]: 0.5 ulp better in [0.17, 0.5], one more add, same
 * worst case, which then sits at small |x|); tanh = N/D from s coth s (one
 * even polynomial of degree 8, 12 instead of 16 FMA-unit operations:
 * 0.75-0.81, but 2.5 to 3.4 ulp). */
#include <immintrin.h>
__attribute__((target("avx2,fma"), always_inline)) static inline __m256d tanh4(__m256d x)
{
    const __m256d sign = _mm256_set1_pd(-0.0), magic = _mm256_set1_pd(0x1.8p52);
    __m256d ax = _mm256_min_pd(_mm256_set1_pd(20.0), _mm256_andnot_pd(sign, x)); /* NaN stays */
    __m256d t = _mm256_fmadd_pd(ax, _mm256_set1_pd(0x1.71547652b82fep+1), magic); /* 2/ln2 */
    __m256d k = _mm256_sub_pd(t, magic);
    __m256d s = _mm256_fnmadd_pd(k, _mm256_set1_pd(0x1.62e42fefa4p-2), ax);   /* L1 */
    s = _mm256_fnmadd_pd(k, _mm256_set1_pd(-0x1.8432a1b0e2634p-44), s);       /* L2 */
    __m256d s2 = _mm256_mul_pd(s, s), s4 = _mm256_mul_pd(s2, s2);
    __m256d a01 = _mm256_fmadd_pd(_mm256_set1_pd(0x1.555555555553ep-1), s, _mm256_set1_pd(1.0));
    __m256d a23 = _mm256_fmadd_pd(_mm256_set1_pd(0x1.1111111118cfdp-3), s,
                                  _mm256_set1_pd(0x1.5555555553b14p-2));
    __m256d a45 = _mm256_fmadd_pd(_mm256_set1_pd(0x1.a01a0171b1ca0p-7), s,
                                  _mm256_set1_pd(0x1.6c16c179fc125p-5));
    __m256d a67 = _mm256_fmadd_pd(_mm256_set1_pd(0x1.71de977066b55p-11), s,
                                  _mm256_set1_pd(0x1.a019b3a6fd48fp-9));
    __m256d a89 = _mm256_fmadd_pd(_mm256_set1_pd(0x1.ae48fe77730fcp-16), s,
                                  _mm256_set1_pd(0x1.28975a2567470p-13));
    __m256d b03 = _mm256_fmadd_pd(a23, s2, a01), b47 = _mm256_fmadd_pd(a67, s2, a45);
    __m256d q = _mm256_fmadd_pd(_mm256_fmadd_pd(a89, s4, b47), s4, b03);
    __m256d p = _mm256_fmadd_pd(s2, q, s);   /* expm1(2 s) / 2 */
    __m256d tk = _mm256_castsi256_pd(   /* 2^k: k sits in the low mantissa bits of t */
        _mm256_slli_epi64(_mm256_add_epi64(_mm256_castpd_si256(t), _mm256_set1_epi64x(1023)), 52));
    __m256d e = _mm256_fmadd_pd(_mm256_add_pd(tk, tk), p, _mm256_sub_pd(tk, _mm256_set1_pd(1.0)));
    __m256d th = _mm256_div_pd(e, _mm256_add_pd(e, _mm256_set1_pd(2.0)));
    return _mm256_or_pd(th, _mm256_and_pd(sign, x));
}

__attribute__((target("avx2,fma"))) static void own_tanh_avx2(long n, const double *x, double *y)
{
    long i = 0;
    for (; i + 4 <= n; i += 4)
        _mm256_storeu_pd(y + i, tanh4(_mm256_loadu_pd(x + i)));
    if (i < n) {
        double t[4] = {0, 0, 0, 0};
        memcpy(t, x + i, (size_t)(n - i) * sizeof(double));
        _mm256_storeu_pd(t, tanh4(_mm256_loadu_pd(t)));
        memcpy(y + i, t, (size_t)(n - i) * sizeof(double));
    }
}

/* The jet formulas on one vector of tanh values t (k <= nd filled). */
__attribute__((target("avx2,fma"), always_inline)) static inline void
tanh_derivs(__m256d t, int nd, __m256d v[6])
{
    const __m256d one = _mm256_set1_pd(1.0), m2 = _mm256_set1_pd(-2.0);
    const __m256d six = _mm256_set1_pd(6.0), two = _mm256_set1_pd(2.0);
    __m256d d1 = _mm256_sub_pd(one, _mm256_mul_pd(t, t));
    v[0] = t;
    v[1] = d1;
    if (nd >= 2)
        v[2] = _mm256_mul_pd(_mm256_mul_pd(m2, t), d1);
    if (nd >= 3)
        v[3] = _mm256_mul_pd(d1, _mm256_sub_pd(_mm256_mul_pd(_mm256_mul_pd(six, t), t), two));
    if (nd >= 4) {
        const __m256d eight = _mm256_set1_pd(8.0), three = _mm256_set1_pd(3.0);
        v[4] = _mm256_mul_pd(_mm256_mul_pd(_mm256_mul_pd(eight, t), d1),
                             _mm256_sub_pd(two, _mm256_mul_pd(_mm256_mul_pd(three, t), t)));
    }
    if (nd >= 5) {
        const __m256d eight = _mm256_set1_pd(8.0), fifteen = _mm256_set1_pd(15.0);
        v[5] = _mm256_mul_pd(
            _mm256_mul_pd(eight, d1),
            _mm256_sub_pd(two, _mm256_mul_pd(_mm256_mul_pd(_mm256_mul_pd(fifteen, t), t), d1)));
    }
}

/* tanh and its derivatives d1..d_nd in one pass (d[0] may be NULL; d[k]
 * for 1 <= k <= nd not).  Each result is rounded exactly as act_block's
 * scalar formulas (header) under -ffp-contract=off (ISO C): separate
 * multiplies and subtractions in the same order, no FMA -- so this path and
 * the portable one give bitwise the same values.  A tail shorter than a
 * vector is padded and goes through the same tanh4. */
__attribute__((target("avx2,fma"))) static void tanh_jet_avx2(long n, const double *z, int nd,
                                                              double *const d[6])
{
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256d ta = tanh4(_mm256_loadu_pd(z + i)), tb = tanh4(_mm256_loadu_pd(z + i + 4));
        __m256d va[6], vb[6];
        tanh_derivs(ta, nd, va);
        tanh_derivs(tb, nd, vb);
        for (int k = 0; k <= nd; k++)
            if (d[k]) {
                _mm256_storeu_pd(d[k] + i, va[k]);
                _mm256_storeu_pd(d[k] + i + 4, vb[k]);
            }
    }
    for (; i < n; i += 4) {
        double zt[4] = {0, 0, 0, 0}, out[4];
        long m = n - i < 4 ? n - i : 4;
        memcpy(zt, z + i, (size_t)m * sizeof(double));
        __m256d v[6];
        tanh_derivs(tanh4(_mm256_loadu_pd(zt)), nd, v);
        for (int k = 0; k <= nd; k++)
            if (d[k]) {
                _mm256_storeu_pd(out, v[k]);
                memcpy(d[k] + i, out, (size_t)m * sizeof(double));
            }
    }
}

static void vtanh(long n, const double *x, double *y)
{
    if (use_avx2())
        own_tanh_avx2(n, x, y);
    else
        tanh_sse(n, x, y);
}

VMAP(exp)
VMAP(log)
VMAP(log1p)
VMAP(sin)
VMAP(cos)
VMAP(erfc)

void rt_vmap_tanh(long n, const double *x, double *y) { vtanh(n, x, y); }
void rt_vmap_exp(long n, const double *x, double *y) { vm_exp(n, x, y); }
void rt_vmap_log(long n, const double *x, double *y) { vm_log(n, x, y); }
void rt_vmap_sin(long n, const double *x, double *y) { vm_sin(n, x, y); }
void rt_vmap_cos(long n, const double *x, double *y) { vm_cos(n, x, y); }

const char *hy_act_name(int act)
{
    static const char *names[HY_ACT_COUNT] = {"tanh", "sin", "gelu", "softplus", "sigmoid",
                                              "swish"};
    return act >= 0 && act < HY_ACT_COUNT ? names[act] : "?";
}

#define CHUNK 256   /* elements per block of stack temporaries */

/* Sigmoid pieces of z[0..m): s, 1-s (both accurate), s' = s(1-s). */
static void sigmoid_parts(long m, const double *z, double *s, double *oms, double *s1)
{
    double e[CHUNK] = {0};   /* zeroed: silences a false -Wmaybe-uninitialized */
    for (long i = 0; i < m; i++)
        e[i] = -fabs(z[i]);
    vm_exp(m, e, e);
    for (long i = 0; i < m; i++) {
        double p = 1.0 / (1.0 + e[i]), q = e[i] * p;
        int pos = z[i] >= 0;
        s[i] = pos ? p : q;
        oms[i] = pos ? q : p;
        s1[i] = p * q;
    }
}

/* One block of m <= CHUNK elements; d[k] (k <= nd) already offset. */
static void act_block(int act, long m, const double *z, int nd, double *d[6])
{
    double t[CHUNK], u[CHUNK] = {0}, w[CHUNK];   /* u zeroed: silences a false -Wmaybe-uninitialized */
    switch (act) {
    case HY_ACT_TANH:
        if (nd >= 1 && use_avx2()) {
            tanh_jet_avx2(m, z, nd, d);
            return;
        }
        vtanh(m, z, t);
        if (d[0])
            memcpy(d[0], t, (size_t)m * sizeof(double));
        if (nd >= 1)
            for (long i = 0; i < m; i++) {
                double d1 = 1.0 - t[i] * t[i];
                d[1][i] = d1;
                if (nd >= 2)
                    d[2][i] = -2.0 * t[i] * d1;
                if (nd >= 3)
                    d[3][i] = d1 * (6.0 * t[i] * t[i] - 2.0);
                if (nd >= 4)
                    d[4][i] = 8.0 * t[i] * d1 * (2.0 - 3.0 * t[i] * t[i]);
                if (nd >= 5)
                    d[5][i] = 8.0 * d1 * (2.0 - 15.0 * t[i] * t[i] * d1);
            }
        return;
    case HY_ACT_SIN:
        if (d[0] || nd >= 2)
            vm_sin(m, z, t);
        if (nd >= 1)
            vm_cos(m, z, u);
        for (long i = 0; i < m; i++) {
            if (d[0])
                d[0][i] = t[i];
            if (nd >= 1)
                d[1][i] = u[i];
            if (nd >= 2)
                d[2][i] = -t[i];
            if (nd >= 3)
                d[3][i] = -u[i];
            if (nd >= 4)
                d[4][i] = t[i];
            if (nd >= 5)
                d[5][i] = u[i];
        }
        return;
    case HY_ACT_GELU: {
        const double rs2 = 0.70710678118654752440, rs2pi = 0.39894228040143267794;
        for (long i = 0; i < m; i++) {
            t[i] = -z[i] * rs2;
            u[i] = -0.5 * z[i] * z[i];
        }
        vm_erfc(m, t, t);   /* t = 2 Phi */
        vm_exp(m, u, u);    /* u = sqrt(2 pi) phi */
        for (long i = 0; i < m; i++) {
            double x = z[i], Phi = 0.5 * t[i], phi = rs2pi * u[i];
            if (d[0])
                d[0][i] = x * Phi;
            if (nd >= 1)
                d[1][i] = Phi + x * phi;
            if (nd >= 2)
                d[2][i] = phi * (2.0 - x * x);
            if (nd >= 3)
                d[3][i] = x * phi * (x * x - 4.0);
            if (nd >= 4)
                d[4][i] = -phi * (x * x * x * x - 7.0 * x * x + 4.0);
            if (nd >= 5)
                d[5][i] = x * phi * (x * x * x * x - 11.0 * x * x + 18.0);
        }
        return;
    }
    case HY_ACT_SOFTPLUS:
    case HY_ACT_SIGMOID:
    case HY_ACT_SWISH: {
        sigmoid_parts(m, z, t, u, w);   /* t = s, u = 1 - s, w = s' */
        double *o[6] = {d[0], d[1], d[2], d[3], d[4], d[5]};
        if (act == HY_ACT_SOFTPLUS) {
            /* derivative k of softplus is derivative k-1 of sigmoid */
            if (d[0]) {
                double e[CHUNK];
                for (long i = 0; i < m; i++)
                    e[i] = -fabs(z[i]);
                vm_exp(m, e, e);
                vm_log1p(m, e, e);
                for (long i = 0; i < m; i++)
                    d[0][i] = (z[i] > 0 ? z[i] : 0.0) + e[i];
            }
            for (long i = 0; i < m; i++) {
                if (nd >= 1)
                    o[1][i] = t[i];
                if (nd >= 2)
                    o[2][i] = w[i];
                if (nd >= 3)
                    o[3][i] = w[i] * (u[i] - t[i]);
                if (nd >= 4)
                    o[4][i] = w[i] * (1.0 - 6.0 * w[i]);
                if (nd >= 5)
                    o[5][i] = w[i] * (u[i] - t[i]) * (1.0 - 12.0 * w[i]);
            }
            return;
        }
        for (long i = 0; i < m; i++) {
            double s = t[i], s1 = w[i], s2 = s1 * (u[i] - s), s3 = s1 * (1.0 - 6.0 * s1);
            double s4 = 0.0, s5 = 0.0;
            if (nd >= 4) {
                s4 = s2 * (1.0 - 12.0 * s1);
                s5 = s1 * (1.0 - 30.0 * s1 + 120.0 * s1 * s1);
            }
            if (act == HY_ACT_SIGMOID) {
                if (o[0])
                    o[0][i] = s;
                if (nd >= 1)
                    o[1][i] = s1;
                if (nd >= 2)
                    o[2][i] = s2;
                if (nd >= 3)
                    o[3][i] = s3;
                if (nd >= 4)
                    o[4][i] = s4;
                if (nd >= 5)
                    o[5][i] = s5;
            } else {
                double x = z[i];
                if (o[0])
                    o[0][i] = x * s;
                if (nd >= 1)
                    o[1][i] = s + x * s1;
                if (nd >= 2)
                    o[2][i] = 2.0 * s1 + x * s2;
                if (nd >= 3)
                    o[3][i] = 3.0 * s2 + x * s3;
                if (nd >= 4)
                    o[4][i] = 4.0 * s3 + x * s4;
                if (nd >= 5)
                    o[5][i] = 5.0 * s4 + x * s5;
            }
        }
        return;
    }
    }
    RT_ICE("unknown activation %d", act);
}

void hy_act_eval(int act, long n, const double *z, int nd, double *d[])
{
    if (nd < 0 || nd > RT_MAX_ORDER + 1)
        RT_ICE("hy_act_eval: derivative order %d not in 0..%d", nd, RT_MAX_ORDER + 1);
    if (act == HY_ACT_TANH && nd >= 1 && use_avx2()) {   /* one pass: no block temporaries */
        if (!d[1])
            RT_ICE("hy_act_eval: d[%d] is NULL", 1);
        tanh_jet_avx2(n, z, nd, d);
        return;
    }
    for (long i0 = 0; i0 < n; i0 += CHUNK) {
        long m = n - i0 < CHUNK ? n - i0 : CHUNK;
        double *dk[6] = {0, 0, 0, 0, 0, 0};
        for (int k = 0; k <= nd; k++)
            dk[k] = d[k] ? d[k] + i0 : NULL;
        if (nd >= 1 && !dk[1])
            RT_ICE("hy_act_eval: d[%d] is NULL", 1);
        act_block(act, m, z + i0, nd, dk);
    }
}

/* ---- elementwise jet kernels (net.c) over one n*w block ----
 * Here for -O3 (vectorised; restrict: no aliasing), cloned for AVX2 with an
 * ifunc.  Only multiplies and adds: with -std=c11 GCC does not contract them
 * into FMAs, so both clones give bitwise the same results.  The whole jets
 * below run them one component at a time only outside the fused kernels'
 * conditions; they define the fused kernels' results. */
#define EW_CLONES __attribute__((target_clones("avx2", "default")))

EW_CLONES void rt_ew_mul(long N, double *restrict y, const double *restrict a, const double *restrict b)
{
    for (long i = 0; i < N; i++)
        y[i] = a[i] * b[i];
}

/* y = s2 zp zq (+ s1 zs if zs) */
EW_CLONES void rt_ew_second(long N, double *restrict y, const double *restrict s1,
                      const double *restrict s2, const double *restrict zp,
                      const double *restrict zq, const double *restrict zs)
{
    if (!zs)
        for (long i = 0; i < N; i++)
            y[i] = s2[i] * zp[i] * zq[i];
    else
        for (long i = 0; i < N; i++)
            y[i] = s2[i] * zp[i] * zq[i] + s1[i] * zs[i];
}

/* dz0 += daf s2 zf;  dzf = daf s1 */
EW_CLONES void rt_ewb_first(long N, double *restrict dz0, double *restrict dzf,
                      const double *restrict daf, const double *restrict s1,
                      const double *restrict s2, const double *restrict zf)
{
    for (long i = 0; i < N; i++) {
        dz0[i] += daf[i] * s2[i] * zf[i];
        dzf[i] = daf[i] * s1[i];
    }
}

/* g = das s2: dz0 += das s3 zp zq + g zs (zs may be NULL: zero);
 * dzp += g zq; dzs = das s1.  (dzq handled by a second call when q != p.) */
EW_CLONES void rt_ewb_second(long N, double *restrict dz0, double *restrict dzp,
                       double *restrict dzs, const double *restrict das,
                       const double *restrict s1, const double *restrict s2,
                       const double *restrict s3, const double *restrict zp,
                       const double *restrict zq, const double *restrict zs, double scale)
{
    if (zs)
        for (long i = 0; i < N; i++) {
            double g = das[i] * s2[i];
            dz0[i] += das[i] * s3[i] * zp[i] * zq[i] + g * zs[i];
            dzp[i] += scale * g * zq[i];
            dzs[i] = das[i] * s1[i];
        }
    else
        for (long i = 0; i < N; i++) {
            double g = das[i] * s2[i];
            dz0[i] += das[i] * s3[i] * zp[i] * zq[i];
            dzp[i] += scale * g * zq[i];
            dzs[i] = das[i] * s1[i];
        }
}

/* dzq += das s2 zp */
EW_CLONES void rt_ewb_other(long N, double *restrict dzq, const double *restrict das,
                      const double *restrict s2, const double *restrict zp)
{
    for (long i = 0; i < N; i++)
        dzq[i] += das[i] * s2[i] * zp[i];
}

/* ---- whole activation jets (net.c) ----
 * Over a range of elements of every component: hy_act_eval (s0 = a, s1 ..
 * s_nd), the components of orders <= 2 by the fused kernels below (or, when
 * their conditions fail, by the rt_ew_* / rt_ewb_* passes above, one
 * component at a time), then the higher components (RtJetHi terms).  The
 * forward goes by blocks of EW_BLK elements, so s1, s2 are still in L1 when
 * the products read them; the reverse is one fused pass (per block with hi
 * terms).  Large ranges are split over the worker pool (rt_parallel);
 * elementwise work gives the same bits on any thread count and split. */
typedef struct ActJob {
    int act, nd, nf, ns, zpq, fused, isa;   /* isa: ew_level() when the job was made */
    long N, e0, e1, step;
    const int (*pair)[2];
    const RtJetHi *hi;
    const double *Z, *S, *dA;
    double *A, *Sw, *dZ;
} ActJob;

/* ---- fused kernels of orders <= 2 ----
 * Per element, exactly the operations of the passes above, in the order the
 * per-component code applies them (products and sums left to right):
 *   forward  a_f = s1 z_f                          (f = 1..nf; rt_ew_mul)
 *            a_c = s2 z_p z_q (+ s1 z_c if zpq)    (c = 1+nf+s, (p, q) = pair[s];
 *                                                   rt_ew_second)
 *   reverse  zbar_0 = abar_0 s1                                   (rt_ew_mul)
 *            f = 1..nf:   zbar_0 += abar_f s2 z_f;  zbar_f = abar_f s1
 *                                                                (rt_ewb_first)
 *            s = 0..ns-1: g = abar_c s2;
 *                         zbar_0 += abar_c s3 z_p z_q (+ g z_c if zpq);
 *                         zbar_p += k g z_q  (k = 2 if p == q, else 1);
 *                         zbar_c = abar_c s1                     (rt_ewb_second)
 *                         p != q: zbar_q += abar_c s2 z_p        (rt_ewb_other)
 * Multiplies and adds only, never contracted (-std=c11), so the AVX-512,
 * AVX2 and portable instances all give bitwise the results of the passes.
 * A step does every component of 8 consecutive elements (one zmm, two ymm
 * or four xmm per stream); a scalar prologue first aligns the first output
 * stream to 64 bytes, so when all blocks share its alignment (net.c's
 * buffers do) a step reads or writes one whole line of each stream.  Every
 * stream is read once, and no line is needed after its step, so the L1 set
 * aliasing of streams N apart (N often a multiple of 512) no longer evicts
 * lines that are read again later.
 * Conditions (ActJob.fused, ew_fusable): nf + ns <= EW_MAXC and every pair
 * entry in 1..nf (zbar_0 and the outputs of a step are held in registers or
 * a stack array until the step's stores). */
#define EW_MAXC 64
#define EW_BLK 256   /* elements per forward block (hy_act_eval, products, hi terms) */

typedef double v8d __attribute__((vector_size(64)));
typedef double v8du __attribute__((vector_size(64), aligned(8), may_alias));
typedef double v4dw __attribute__((vector_size(32)));
typedef double v4du __attribute__((vector_size(32), aligned(8), may_alias));
typedef double v2dw __attribute__((vector_size(16)));
typedef double v2du __attribute__((vector_size(16), aligned(8), may_alias));
#define V_LD(p) (*(const v8du *)(const void *)(p))
#define V_ST(p, v) (*(v8du *)(void *)(p) = (v))
#define V4_LD(p) (*(const v4du *)(const void *)(p))
#define V4_ST(p, v) (*(v4du *)(void *)(p) = (v))
#define V2_LD(p) (*(const v2du *)(const void *)(p))
#define V2_ST(p, v) (*(v2du *)(void *)(p) = (v))
#define S_LD(p) (*(p))
#define S_ST(p, v) (*(p) = (v))

/* Elements before p + k is 64-byte aligned (0 if p is not 8-byte aligned). */
static long ew_pre(const double *p)
{
    uintptr_t a = (uintptr_t)(const void *)p;
    return a & 7 ? 0 : (long)((-a & 63) >> 3);
}

/* The forward formulas at offset i: one element (T double with S_LD/S_ST)
 * or one vector (T v8d, v4dw, v2dw with the matching loads and stores).  All loads of a step come before its stores:
 * the streams are often a multiple of 4096 bytes apart, and a load behind a
 * store to an address with the same low 12 bits may wait for it. */
#define FWD2_AT(T, LD, ST, i)                                                 \
    do {                                                                      \
        T s1_ = LD(s1 + (i)), s2_ = LD(s2 + (i)), y_[2 * EW_MAXC];            \
        for (int f_ = 0; f_ < nf; f_++)                                       \
            y_[f_] = s1_ * LD(zf[f_] + (i));                                  \
        for (int s_ = 0; s_ < ns; s_++) {                                     \
            T v_ = s2_ * LD(zp[s_] + (i)) * LD(zq[s_] + (i));                 \
            if (zpq)                                                          \
                v_ = v_ + s1_ * LD(zc[s_] + (i));                             \
            y_[nf + s_] = v_;                                                 \
        }                                                                     \
        for (int c_ = 0; c_ < nf + ns; c_++)                                  \
            ST(ay[c_] + (i), y_[c_]);                                         \
    } while (0)

/* The reverse formulas at offset i (as FWD2_AT): zbar_f accumulate in y_
 * (pair entries ip, iq: 0-based first-order components). */
#define BWD2_AT(T, LD, ST, i)                                                 \
    do {                                                                      \
        T s1_ = LD(s1 + (i)), s2_ = LD(s2 + (i)), s3_ = LD(s3 + (i));         \
        T d0_ = LD(da0 + (i)) * s1_, y_[2 * EW_MAXC];                         \
        for (int f_ = 0; f_ < nf; f_++) {                                     \
            T a_ = LD(daf[f_] + (i));                                         \
            d0_ = d0_ + a_ * s2_ * LD(zf[f_] + (i));                          \
            y_[f_] = a_ * s1_;                                                \
        }                                                                     \
        for (int s_ = 0; s_ < ns; s_++) {                                     \
            T a_ = LD(dac[s_] + (i)), zp_ = LD(zp[s_] + (i));                 \
            T zq_ = LD(zq[s_] + (i)), g_ = a_ * s2_;                          \
            if (zpq)                                                          \
                d0_ = d0_ + (a_ * s3_ * zp_ * zq_ + g_ * LD(zc[s_] + (i)));   \
            else                                                              \
                d0_ = d0_ + a_ * s3_ * zp_ * zq_;                             \
            y_[ip[s_]] = y_[ip[s_]] + sc[s_] * g_ * zq_;                      \
            y_[nf + s_] = a_ * s1_;                                           \
            if (iq[s_] != ip[s_])                                             \
                y_[iq[s_]] = y_[iq[s_]] + a_ * s2_ * zp_;                     \
        }                                                                     \
        for (int c_ = 0; c_ < nf + ns; c_++)                                  \
            ST(dy[c_] + (i), y_[c_]);                                         \
        ST(dz0 + (i), d0_);                                                   \
    } while (0)

#define EW_INLINE static inline __attribute__((always_inline))

/* Forward formulas over elements [e0, e0 + m) (s1, s2 already in Sw); nf,
 * ns: j's, constants where inlined from fwd2_any. */
EW_INLINE void fwd2_body(const ActJob *j, long e0, long m, int nf, int ns, int vw)
{
    const long N = j->N;
    const int zpq = j->zpq;
    const double *Z = j->Z + e0, *s1 = j->Sw + e0, *s2 = ns > 0 ? s1 + N : s1;
    double *A = j->A + e0;
    const double *zf[EW_MAXC], *zp[EW_MAXC], *zq[EW_MAXC], *zc[EW_MAXC];
    double *ay[2 * EW_MAXC];
    for (int f = 0; f < nf; f++)
        zf[f] = Z + (f + 1) * N;
    for (int s = 0; s < ns; s++) {
        zp[s] = Z + j->pair[s][0] * N;
        zq[s] = Z + j->pair[s][1] * N;
        zc[s] = Z + (1 + nf + s) * N;
    }
    for (int c = 0; c < nf + ns; c++)
        ay[c] = A + (1 + c) * N;
    long i = 0, pre = ew_pre(ay[0]);
    for (; i < pre && i < m; i++)
        FWD2_AT(double, S_LD, S_ST, i);
    for (; i + 8 <= m; i += 8)
        if (vw == 8) {
            FWD2_AT(v8d, V_LD, V_ST, i);
        } else if (vw == 4) {
            FWD2_AT(v4dw, V4_LD, V4_ST, i);
            FWD2_AT(v4dw, V4_LD, V4_ST, i + 4);
        } else {
            for (int h = 0; h < 8; h += 2)
                FWD2_AT(v2dw, V2_LD, V2_ST, i + h);
        }
    for (; i < m; i++)
        FWD2_AT(double, S_LD, S_ST, i);
}

/* Reverse formulas over elements [e0, e0 + m) (nf, ns as fwd2_body). */
EW_INLINE void bwd2_body(const ActJob *j, long e0, long m, int nf, int ns, int vw)
{
    const long N = j->N;
    const int zpq = j->zpq;
    const double *Z = j->Z + e0, *s1 = j->S + e0, *da0 = j->dA + e0;
    const double *s2 = nf + ns > 0 ? s1 + N : s1, *s3 = ns > 0 ? s1 + 2 * N : s1;
    double *dz0 = j->dZ + e0;
    const double *zf[EW_MAXC], *daf[EW_MAXC], *zp[EW_MAXC], *zq[EW_MAXC], *zc[EW_MAXC];
    const double *dac[EW_MAXC];
    double *dy[2 * EW_MAXC], sc[EW_MAXC];
    int ip[EW_MAXC], iq[EW_MAXC];
    for (int f = 0; f < nf; f++) {
        zf[f] = Z + (f + 1) * N;
        daf[f] = da0 + (f + 1) * N;
    }
    for (int s = 0; s < ns; s++) {
        long c = 1 + nf + s, p = j->pair[s][0], q = j->pair[s][1];
        zp[s] = Z + p * N;
        zq[s] = Z + q * N;
        zc[s] = Z + c * N;
        dac[s] = da0 + c * N;
        ip[s] = (int)p - 1;
        iq[s] = (int)q - 1;
        sc[s] = p == q ? 2.0 : 1.0;
    }
    for (int c = 0; c < nf + ns; c++)
        dy[c] = dz0 + (1 + c) * N;
    long i = 0, pre = ew_pre(dz0);
    for (; i < pre && i < m; i++)
        BWD2_AT(double, S_LD, S_ST, i);
    for (; i + 8 <= m; i += 8)
        if (vw == 8) {
            BWD2_AT(v8d, V_LD, V_ST, i);
        } else if (vw == 4) {
            BWD2_AT(v4dw, V4_LD, V4_ST, i);
            BWD2_AT(v4dw, V4_LD, V4_ST, i + 4);
        } else {
            for (int h = 0; h < 8; h += 2)
                BWD2_AT(v2dw, V2_LD, V2_ST, i + h);
        }
    for (; i < m; i++)
        BWD2_AT(double, S_LD, S_ST, i);
}

/* The body with nf, ns constant for the common shapes; vector registers of
 * vw doubles (8 AVX-512, 4 AVX2, 2 SSE2). */
#define EW_SHAPES(BODY, j, e0, m, vw)                                         \
    do {                                                                      \
        switch ((j)->nf * 100 + (j)->ns) {                                    \
        case 100: BODY(j, e0, m, 1, 0, vw); break;                            \
        case 101: BODY(j, e0, m, 1, 1, vw); break;                            \
        case 200: BODY(j, e0, m, 2, 0, vw); break;                            \
        case 201: BODY(j, e0, m, 2, 1, vw); break;                            \
        case 202: BODY(j, e0, m, 2, 2, vw); break;                            \
        case 203: BODY(j, e0, m, 2, 3, vw); break;                            \
        case 303: BODY(j, e0, m, 3, 3, vw); break;                            \
        default: BODY(j, e0, m, (j)->nf, (j)->ns, vw); break;                 \
        }                                                                     \
    } while (0)

/* Instances: AVX-512 (zmm), AVX2 (ymm), portable (SSE2, x86-64 baseline). */
__attribute__((target("avx512f"))) static void fwd2_avx512(const ActJob *j, long e0, long m)
{
    EW_SHAPES(fwd2_body, j, e0, m, 8);
}
__attribute__((target("avx512f"))) static void bwd2_avx512(const ActJob *j, long e0, long m)
{
    EW_SHAPES(bwd2_body, j, e0, m, 8);
}
__attribute__((target("avx2"))) static void fwd2_avx2(const ActJob *j, long e0, long m)
{
    EW_SHAPES(fwd2_body, j, e0, m, 4);
}
__attribute__((target("avx2"))) static void bwd2_avx2(const ActJob *j, long e0, long m)
{
    EW_SHAPES(bwd2_body, j, e0, m, 4);
}
static void fwd2_plain(const ActJob *j, long e0, long m) { EW_SHAPES(fwd2_body, j, e0, m, 2); }
static void bwd2_plain(const ActJob *j, long e0, long m) { EW_SHAPES(bwd2_body, j, e0, m, 2); }

static int ew_cpu = -1;   /* 2 AVX-512F, 1 AVX2, 0 neither (set once) */
static int ew_cap = 2;    /* rt_act_isa */

static int ew_level(void)
{
    if (ew_cpu < 0) {
        __builtin_cpu_init();
        ew_cpu = __builtin_cpu_supports("avx512f") ? 2 : __builtin_cpu_supports("avx2") ? 1 : 0;
    }
    return ew_cpu < ew_cap ? ew_cpu : ew_cap;
}

int rt_act_isa(int level)
{
    if (level >= 0)
        ew_cap = level;
    return ew_level();
}

/* The fused kernels' conditions (see above). */
static int ew_fusable(int nf, int ns, const int (*pair)[2])
{
    if (nf < 0 || ns < 0 || nf + ns > EW_MAXC)
        return 0;
    for (int s = 0; s < ns; s++)
        if (pair[s][0] < 1 || pair[s][0] > nf || pair[s][1] < 1 || pair[s][1] > nf)
            return 0;
    return 1;
}

static void fwd2(const ActJob *j, long e0, long m)
{
    switch (j->isa) {
    case 2: fwd2_avx512(j, e0, m); break;
    case 1: fwd2_avx2(j, e0, m); break;
    default: fwd2_plain(j, e0, m); break;
    }
}

static void bwd2(const ActJob *j, long e0, long m)
{
    switch (j->isa) {
    case 2: bwd2_avx512(j, e0, m); break;
    case 1: bwd2_avx2(j, e0, m); break;
    default: bwd2_plain(j, e0, m); break;
    }
}

/* y (acc ? += : =) coef * f[0] * f[1] * ... * f[nf-1], 1 <= nf <= 7, the
 * products left to right (the terms of the higher components). */
static void ew_prod(long m, double *restrict y, int acc, double coef, int nf,
                    const double *const *f)
{
    const double *restrict f0 = f[0], *restrict f1 = nf > 1 ? f[1] : NULL;
    const double *restrict f2 = nf > 2 ? f[2] : NULL, *restrict f3 = nf > 3 ? f[3] : NULL;
    switch (nf) {
    case 1:
        for (long i = 0; i < m; i++)
            y[i] = (acc ? y[i] : 0.0) + coef * f0[i];
        return;
    case 2:
        for (long i = 0; i < m; i++)
            y[i] = (acc ? y[i] : 0.0) + coef * f0[i] * f1[i];
        return;
    case 3:
        for (long i = 0; i < m; i++)
            y[i] = (acc ? y[i] : 0.0) + coef * f0[i] * f1[i] * f2[i];
        return;
    case 4:
        for (long i = 0; i < m; i++)
            y[i] = (acc ? y[i] : 0.0) + coef * f0[i] * f1[i] * f2[i] * f3[i];
        return;
    default:
        for (long i = 0; i < m; i++) {
            double v = coef * f0[i] * f1[i] * f2[i] * f3[i];
            for (int k = 4; k < nf; k++)
                v *= f[k][i];
            y[i] = (acc ? y[i] : 0.0) + v;
        }
        return;
    }
}

/* Higher components of the forward: a_c = sum of its terms (RtJetHi). */
static void hi_fwd_range(const ActJob *j, long e0, long m)
{
    const RtJetHi *hi = j->hi;
    const long N = j->N;
    const double *f[RT_MAX_ORDER + 1];
    for (int h = 0; h < hi->nh; h++) {
        double *y = j->A + (hi->c0 + h) * N + e0;
        int acc = 0;
        for (int t = hi->tstart[h]; t < hi->tstart[h + 1]; t++) {
            const RtJetTerm *tm = &hi->t[t];
            if (tm->big && !j->zpq)
                continue;
            f[0] = j->Sw + (tm->k - 1) * N + e0;
            for (int b = 0; b < tm->nb; b++)
                f[1 + b] = j->Z + tm->b[b] * N + e0;
            ew_prod(m, y, acc, tm->coef, 1 + tm->nb, f);
            acc = 1;
        }
        if (!acc)
            RT_ICE("act jet: higher component %d has no term", hi->c0 + h);
    }
}

/* Reverse of hi_fwd_range: per term coef s_k prod z_b with adjoint abar,
 * zbar_0 += abar coef s_{k+1} prod z_b and zbar_{b_i} += abar coef s_k
 * prod_{i' != i} z_b; the one-block term (s1 z_c) assigns zbar_c first. */
static void hi_bwd_range(const ActJob *j, long e0, long m)
{
    const RtJetHi *hi = j->hi;
    const long N = j->N;
    const double *f[RT_MAX_ORDER + 2];
    for (int h = 0; h < hi->nh; h++) {
        long c = hi->c0 + h;
        f[0] = j->dA + c * N + e0;
        f[1] = j->S + e0;
        ew_prod(m, j->dZ + c * N + e0, 0, 1.0, 2, f);
    }
    for (int h = 0; h < hi->nh; h++) {
        const double *abar = j->dA + (hi->c0 + h) * N + e0;
        for (int t = hi->tstart[h]; t < hi->tstart[h + 1]; t++) {
            const RtJetTerm *tm = &hi->t[t];
            if (tm->big && !j->zpq)
                continue;
            f[0] = abar;
            f[1] = j->S + tm->k * N + e0;   /* s_{k+1} */
            for (int b = 0; b < tm->nb; b++)
                f[2 + b] = j->Z + tm->b[b] * N + e0;
            ew_prod(m, j->dZ + e0, 1, tm->coef, 2 + tm->nb, f);
            if (tm->k == 1)   /* s1 z_c: assigned above */
                continue;
            f[1] = j->S + (tm->k - 1) * N + e0;
            for (int i = 0; i < tm->nb; i++) {
                int q = 2;
                for (int b = 0; b < tm->nb; b++)
                    if (b != i)
                        f[q++] = j->Z + tm->b[b] * N + e0;
                ew_prod(m, j->dZ + tm->b[i] * N + e0, 1, tm->coef, q, f);
            }
        }
    }
}

/* The passes, one component at a time (outside the fused kernels' conditions). */
static void jet_fwd_passes(const ActJob *j, long e0, long e1)
{
    const long N = j->N, m = e1 - e0;
    const double *Z = j->Z + e0;
    double *A = j->A + e0, *S = j->Sw + e0;
    double *d[RT_MAX_ORDER + 2] = {A, S};
    for (int k = 2; k <= j->nd; k++)
        d[k] = S + (k - 1) * N;
    hy_act_eval(j->act, m, Z, j->nd, d);
    const double *s1 = S, *s2 = S + N;
    for (int f = 1; f <= j->nf; f++)
        rt_ew_mul(m, A + f * N, s1, Z + f * N);
    for (int s = 0; s < j->ns; s++) {
        long c = 1 + j->nf + s;
        rt_ew_second(m, A + c * N, s1, s2, Z + j->pair[s][0] * N, Z + j->pair[s][1] * N,
                     j->zpq ? Z + c * N : NULL);
    }
    if (j->hi)
        hi_fwd_range(j, e0, m);
}

static void jet_bwd_passes(const ActJob *j, long e0, long e1)
{
    const long N = j->N, m = e1 - e0;
    const double *Z = j->Z + e0, *S = j->S + e0, *dA = j->dA + e0;
    double *dZ = j->dZ + e0;
    const double *s1 = S, *s2 = S + N, *s3 = S + 2 * N;
    rt_ew_mul(m, dZ, dA, s1);
    for (int f = 1; f <= j->nf; f++)
        rt_ewb_first(m, dZ, dZ + f * N, dA + f * N, s1, s2, Z + f * N);
    for (int s = 0; s < j->ns; s++) {   /* pure second (a == b): d(s2 z_a^2)/dz_a = 2 s2 z_a */
        long cs = 1 + j->nf + s, a = j->pair[s][0], b = j->pair[s][1];
        rt_ewb_second(m, dZ, dZ + a * N, dZ + cs * N, dA + cs * N, s1, s2, s3, Z + a * N,
                      Z + b * N, j->zpq ? Z + cs * N : NULL, a == b ? 2.0 : 1.0);
        if (a != b)
            rt_ewb_other(m, dZ + b * N, dA + cs * N, s2, Z + a * N);
    }
    if (j->hi)
        hi_bwd_range(j, e0, m);
}

/* End of the block of [e0, e1) that starts at b0: blocks of EW_BLK, the
 * first one longer by the prologue that aligns p + e0 (p: the first
 * stream the fused kernel writes), so the later ones start aligned. */
static long blk_end(const double *p, long e0, long e1, long b0)
{
    long b1 = b0 + EW_BLK + (b0 == e0 ? ew_pre(p + e0) : 0);
    return b1 < e1 ? b1 : e1;
}

static void jet_fwd_range(const ActJob *j, long e0, long e1)
{
    if (!j->fused) {
        jet_fwd_passes(j, e0, e1);
        return;
    }
    const long N = j->N;
    const double *first = j->nf + j->ns > 0 ? j->A + N : j->A;   /* a_1 */
    for (long b0 = e0, b1; b0 < e1; b0 = b1) {
        b1 = blk_end(first, e0, e1, b0);
        double *d[RT_MAX_ORDER + 2] = {j->A + b0, j->Sw + b0};
        for (int k = 2; k <= j->nd; k++)
            d[k] = d[1] + (k - 1) * N;
        hy_act_eval(j->act, b1 - b0, j->Z + b0, j->nd, d);
        if (j->nf + j->ns > 0)
            fwd2(j, b0, b1 - b0);
        if (j->hi)
            hi_fwd_range(j, b0, b1 - b0);
    }
}

static void jet_bwd_range(const ActJob *j, long e0, long e1)
{
    if (!j->fused) {
        jet_bwd_passes(j, e0, e1);
    } else if (!j->hi) {
        bwd2(j, e0, e1 - e0);
    } else {
        for (long b0 = e0, b1; b0 < e1; b0 = b1) {
            b1 = blk_end(j->dZ, e0, e1, b0);
            bwd2(j, b0, b1 - b0);
            hi_bwd_range(j, b0, b1 - b0);
        }
    }
}

static void jet_part(void *arg, int part)
{
    const ActJob *j = arg;
    long e0 = j->e0 + part * j->step, e1 = e0 + j->step < j->e1 ? e0 + j->step : j->e1;
    if (e0 >= e1)
        return;
    if (j->dA)
        jet_bwd_range(j, e0, e1);
    else
        jet_fwd_range(j, e0, e1);
}

#define ACT_PAR_MIN 16384   /* elements x components below which a jet stays on one thread */

static void jet_run(ActJob *j)
{
    int width = rt_parallel_width();
    long len = j->e1 - j->e0;
    if (width > 1 && len * (1 + j->nf + j->ns + (j->hi ? j->hi->nh : 0)) >= ACT_PAR_MIN) {
        long chunks = (len + CHUNK - 1) / CHUNK, per = (chunks + width - 1) / width;
        j->step = per * CHUNK;
        rt_parallel((int)((chunks + per - 1) / per), jet_part, j);
    } else if (j->dA) {
        jet_bwd_range(j, j->e0, j->e1);
    } else {
        jet_fwd_range(j, j->e0, j->e1);
    }
}

void rt_act_jet_fwd(int act, long N, long e0, long e1, int nd, int nf, int ns,
                    const int (*pair)[2], const RtJetHi *hi, const double *Z, double *A,
                    double *S, int zpq)
{
    if (nd < 1 || nd > RT_MAX_ORDER + 1 || (ns > 0 && nd < 2))
        RT_ICE("rt_act_jet_fwd: %d derivatives for %d second-order components", nd, ns);
    if (hi && hi->nh > 0)
        for (int t = 0; t < hi->tstart[hi->nh]; t++)
            if (hi->t[t].k > nd || hi->t[t].nb < 1 || hi->t[t].nb > RT_MAX_ORDER)
                RT_ICE("rt_act_jet_fwd: a term needs s%d of %d kept", hi->t[t].k, nd);
    ActJob j = {act, nd, nf, ns, zpq, ew_fusable(nf, ns, pair), ew_level(), N, e0, e1, 0,
                pair, hi && hi->nh ? hi : NULL, Z, NULL, NULL, A, S, NULL};
    jet_run(&j);
}

void rt_act_jet_bwd(long N, long e0, long e1, int nf, int ns, const int (*pair)[2],
                    const RtJetHi *hi, const double *Z, const double *S, const double *dA,
                    double *dZ, int zpq)
{
    ActJob j = {0, 0, nf, ns, zpq, ew_fusable(nf, ns, pair), ew_level(), N, e0, e1, 0, pair,
                hi && hi->nh ? hi : NULL, Z, S, dA, NULL, NULL, dZ};
    jet_run(&j);
}
