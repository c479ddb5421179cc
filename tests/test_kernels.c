/* test_kernels.c -- the runtime's compute kernels against naive loops.
 *
 * rt_gemm: every shape class (row and column tails, K blocks, strided C,
 * transposed A, accumulate) against a scalar loop that follows gemm.c's
 * summation contract, for every instruction set rt_gemm_isa can select here:
 * with the AVX-512 and the AVX2 kernels the match must be bitwise (tolerance
 * 0), with the OpenBLAS fallback within 1e-13 of sum |a b|.  Nothing outside
 * C is written.  Thread counts 1, 2, 3 give bitwise the same products (both
 * kernel sets).
 * rt_gemm_dot: within 1e-14 of sum |a w| (its own 4-lane order).
 * rt_parallel: every part runs exactly once.
 * hy_vtanh: max error in ulp against long-double tanhl over [-30, 30] and
 * every binade down to subnormals (<= 3 ulp with act.c's AVX2/FMA kernel,
 * <= 4 with libmvec), specials, oddness and position independence bitwise.
 * hy_act_eval(tanh): values bitwise equal to hy_vtanh, derivatives 1..5 bitwise
 * equal to the header formulas evaluated in C (no contraction under ISO C),
 * at every length around the vector width and the block size.
 * hy_act_eval, every activation, derivatives 0..5 against a long-double
 * Taylor series built by an independent recurrence (the activation's ODE,
 * e.g. tanh' = 1 - tanh^2, solved coefficient by coefficient): max |error|
 * / max |d_k| over z in [-8, 8] (2001 points) at most 1e-14 for every k;
 * the measured worst values are printed as comments.
 * Higher jet components (RtJetHi terms, order 3): against the chain rule
 * written out (max |error| / max |value| per component <= 1e-14), bitwise
 * over sub-ranges and thread counts.
 * Elementwise jet kernels: bitwise against the formulas of rt_internal.h.
 * rt_act_jet_fwd/bwd (by sub-ranges): bitwise against the per-component
 * calls, for every activation, and for 1, 2, 3 threads; rt_gemm called
 * inside a parallel part (nested) stays serial and bitwise.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "rt_internal.h"
#include "tap.h"

static int have_avx2(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

static double *vec(long n, uint64_t stream)
{
    double *v = malloc(sizeof(double) * (size_t)(n > 0 ? n : 1));
    if (!v) {
        fprintf(stderr, "test_kernels: out of memory\n");
        exit(2);
    }
    for (long i = 0; i < n; i++)
        v[i] = 2.0 * hy_rng_uniform(7, stream, (uint64_t)i) - 1.0;
    return v;
}

/* The summation contract of gemm.c (K blocks of 256, fma chains from 0). */
static void gemm_ref(long M, long N, long K, const double *A, long ars, long aks, const double *B,
                     long ldb, double *C, long ldc, int acc, double *mag)
{
    for (long r = 0; r < M; r++)
        for (long c = 0; c < N; c++) {
            double v = C[r * ldc + c], m = acc ? fabs(v) : 0.0;
            if (K <= 0 && !acc)
                v = 0.0;
            for (long k0 = 0; k0 < K; k0 += 256) {
                long k1 = K - k0 < 256 ? K : k0 + 256;
                double s = 0.0;
                for (long k = k0; k < k1; k++) {
                    s = fma(A[r * ars + k * aks], B[k * ldb + c], s);
                    m += fabs(A[r * ars + k * aks] * B[k * ldb + c]);
                }
                v = (acc || k0 > 0) ? v + s : s;
            }
            C[r * ldc + c] = v;
            mag[r * ldc + c] = m;
        }
}

/* One product, both layouts of A; returns 0 if it matched. */
static int gemm_case(long M, long N, long K, int trans, int acc, long pad, int exact, char *why,
                     size_t whylen)
{
    long ars = trans ? 1 : K, aks = trans ? M : 1, ldb = N + pad, ldc = N + pad;
    double *A = vec(M * K, 1), *B = vec(K * ldb, 2);
    long csz = M * ldc + 8;   /* 8 guard elements after C */
    double *C = vec(csz, 3), *R = vec(csz, 3), *mag = calloc((size_t)csz, sizeof(double));
    gemm_ref(M, N, K, A, ars, aks, B, ldb, R, ldc, acc, mag);
    rt_gemm(M, N, K, A, ars, aks, B, ldb, C, ldc, acc);
    int bad = 0;
    for (long r = 0; r < M && !bad; r++)
        for (long c = 0; c < ldc && !bad; c++) {
            long i = r * ldc + c;
            int in = c < N;
            double tol = exact || !in ? 0.0 : 1e-13 * (mag[i] + 1e-300);
            if (!(fabs(C[i] - R[i]) <= tol) && !(C[i] == R[i])) {
                snprintf(why, whylen, "M %ld N %ld K %ld trans %d acc %d pad %ld: C[%ld][%ld] = %.17g, "
                         "want %.17g (%s)", M, N, K, trans, acc, pad, r, c, C[i], R[i],
                         in ? "inside" : "padding written");
                bad = 1;
            }
        }
    for (long i = M * ldc; i < csz && !bad; i++)
        if (C[i] != R[i]) {
            snprintf(why, whylen, "M %ld N %ld K %ld: guard element %ld written", M, N, K,
                     i - M * ldc);
            bad = 1;
        }
    free(A);
    free(B);
    free(C);
    free(R);
    free(mag);
    return bad;
}

/* rt_gemm_isa levels: 2 AVX-512 kernels, 1 AVX2 kernels, 0 OpenBLAS. */
static const char *const isa_name[3] = {"openblas", "avx2", "avx512"};

/* Column counts cover the tails of both kernel sets (8-wide AVX2 blocks,
 * 32-wide AVX-512 blocks of 1..4 vectors, the last one masked or full). */
static void test_gemm(void)
{
    const long Ms[] = {1, 2, 5, 6, 7, 13, 64, 97};
    const long Ns[] = {1, 3, 7, 8, 9, 16, 20, 24, 31, 33, 40, 64, 130};
    const long Ks[] = {0, 1, 3, 32, 255, 256, 257, 600};
    const int top = rt_gemm_isa(-1);
    tap_check((top >= 1) == have_avx2(), "gemm_isa_detected", "rt_gemm_isa says %d", top);
    if (top < 2)
        printf("# rt_gemm: no AVX-512 here, its kernels are not tested\n");
    for (int isa = top; isa >= 0; isa--) {
        const int exact = isa >= 1;
        char why[256] = "", name[64];
        int bad = 0, n = 0;
        rt_gemm_isa(isa);
        for (size_t a = 0; a < sizeof Ms / sizeof *Ms && !bad; a++)
            for (size_t b = 0; b < sizeof Ns / sizeof *Ns && !bad; b++)
                for (size_t k = 0; k < sizeof Ks / sizeof *Ks && !bad; k++)
                    for (int v = 0; v < 8 && !bad; v++, n++)
                        bad = gemm_case(Ms[a], Ns[b], Ks[k], v & 1, (v >> 1) & 1,
                                        (v >> 2) ? 3 : 0, exact, why, sizeof why);
        snprintf(name, sizeof name, "gemm_vs_contract_%s_%s", exact ? "bitwise" : "1e-13",
                 isa_name[isa]);
        tap_check(!bad, name, "%s", why);
        printf("# rt_gemm %s: %d shape/layout cases, %s\n", isa_name[isa], n,
               exact ? "bitwise" : "tolerance 1e-13");
    }
    rt_gemm_isa(2);
}

/* Products large enough to be split (and, transposed, to take the
 * prefetching paths): 1 thread matches the contract bitwise, 2 and 3
 * threads give the same bits, with each kernel set. */
static void test_gemm_threads(void)
{
    const long shapes[][3] = {{20481, 67, 64}, {64, 64, 20480}, {61, 131, 9000}, {3000, 9, 100},
                              {8200, 32, 32}, {32, 32, 8200}};
    int bad = 0;
    char why[200] = "";
    for (int isa = rt_gemm_isa(-1); isa >= 1 && !bad; isa--) {
        rt_gemm_isa(isa);
        for (size_t s = 0; s < sizeof shapes / sizeof *shapes && !bad; s++)
            for (int trans = 0; trans < 2 && !bad; trans++) {
                long M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
                long ars = trans ? 1 : K, aks = trans ? M : 1;
                double *A = vec(M * K, 4), *B = vec(K * N, 5), *C1 = vec(M * N, 6);
                double *C2 = malloc(sizeof(double) * (size_t)(M * N));
                memcpy(C2, C1, sizeof(double) * (size_t)(M * N));
                rt_gemm_threads(1);
                rt_gemm(M, N, K, A, ars, aks, B, N, C1, N, trans);
                double *R = malloc(sizeof(double) * (size_t)(M * N));
                double *mag = malloc(sizeof(double) * (size_t)(M * N));
                memcpy(R, C2, sizeof(double) * (size_t)(M * N));
                gemm_ref(M, N, K, A, ars, aks, B, N, R, N, trans, mag);
                if (memcmp(C1, R, sizeof(double) * (size_t)(M * N)) != 0) {
                    snprintf(why, sizeof why, "%s M %ld N %ld K %ld trans %d: not the contract",
                             isa_name[isa], M, N, K, trans);
                    bad = 1;
                }
                free(R);
                free(mag);
                for (int t = 2; t <= 3 && !bad; t++) {
                    double *C3 = malloc(sizeof(double) * (size_t)(M * N));
                    memcpy(C3, C2, sizeof(double) * (size_t)(M * N));
                    rt_gemm_threads(t);
                    rt_gemm(M, N, K, A, ars, aks, B, N, C3, N, trans);
                    if (memcmp(C1, C3, sizeof(double) * (size_t)(M * N)) != 0) {
                        snprintf(why, sizeof why,
                                 "%s M %ld N %ld K %ld trans %d: %d threads differ",
                                 isa_name[isa], M, N, K, trans, t);
                        bad = 1;
                    }
                    free(C3);
                }
                rt_gemm_threads(1);
                free(A);
                free(B);
                free(C1);
                free(C2);
            }
    }
    rt_gemm_isa(2);
    tap_check(!bad, "gemm_threads_bitwise", "%s", why);
}

static int part_runs[RT_MAXT];
static void count_part(void *arg, int part)
{
    (void)arg;
    __atomic_add_fetch(&part_runs[part], 1, __ATOMIC_SEQ_CST);
}

static void test_parallel(void)
{
    int bad = 0;
    rt_gemm_threads(4);
    int width = rt_parallel_width();
    for (int rep = 0; rep < 200 && !bad; rep++)
        for (int np = 1; np <= width && !bad; np++) {
            memset(part_runs, 0, sizeof part_runs);
            rt_parallel(np, count_part, NULL);
            for (int p = 0; p < RT_MAXT; p++)
                if (part_runs[p] != (p < np))
                    bad = 1;
        }
    rt_gemm_threads(1);
    tap_check(!bad && width >= 1, "parallel_each_part_once", "width %d", width);
}

static void test_gemm_dot(void)
{
    const long M = 37, Ks[] = {1, 3, 4, 31, 64, 65};
    int bad = 0;
    for (size_t k = 0; k < sizeof Ks / sizeof *Ks; k++)
        for (long N = 1; N <= 3; N++) {
            long K = Ks[k];
            double *A = vec(M * K, 8), *W = vec(N * K, 9), *C = vec(M * N, 10);
            rt_gemm_dot(M, N, K, A, K, W, K, C, N);
            for (long r = 0; r < M; r++)
                for (long c = 0; c < N; c++) {
                    double s = 0.0, m = 0.0;
                    for (long i = 0; i < K; i++) {
                        s += A[r * K + i] * W[c * K + i];
                        m += fabs(A[r * K + i] * W[c * K + i]);
                    }
                    if (!(fabs(C[r * N + c] - s) <= 1e-14 * m))
                        bad = 1;
                }
            free(A);
            free(W);
            free(C);
        }
    tap_check(!bad, "gemm_dot_vs_naive_1e-14", "a dot product differs by more than 1e-14 sum|aw|");
}

/* Error of y against tanh(x) in units of the float64 ulp of the exact value
 * (long double tanhl, 11 more bits; ulp 2^-1074 in the subnormal range). */
static double tanh_ulps(double y, double x)
{
    long double t = tanhl((long double)x);
    if (t == 0)
        return y == 0 ? 0.0 : INFINITY;
    int ex;
    frexpl(t, &ex);   /* |t| in [2^(ex-1), 2^ex) */
    long double ulp = ldexpl(1.0L, ex - 53 < -1074 ? -1074 : ex - 53);
    double e = (double)(fabsl((long double)y - t) / ulp);
    return e == e ? e : INFINITY;   /* NaN result: no bound */
}

/* hy_vtanh against tanhl: a dense sweep of [-30, 30] (step 2.5e-5, which
 * crosses every reduction interval of the kernel many times), 10^6 random
 * points of [0, 0.5] (where the kernel's worst errors lie), every binade from
 * 2^-1074 up to 2^5 with 64 mantissas each, all with both signs; max error
 * <= 3 ulp for our AVX2/FMA kernel (act.c: worst seen 2.63), <= 4 ulp for
 * libmvec's (glibc's documented bound) elsewhere.  Specials exactly: +-0
 * keeps its sign, +-inf and +-huge give +-1, NaN gives NaN; tanh(-x) is
 * -tanh(x) bitwise; each value is the same computed alone (padded tail) as
 * inside a long array. */
static void test_tanh_accuracy(void)
{
    const double tol = have_avx2() ? 3.0 : 4.0;
    const long nd = 2400001, nr = 1000000, nb = 1080 * 64;
    long n = nd + nr + nb;
    double *x = malloc(sizeof(double) * (size_t)(2 * n)), *y = malloc(sizeof(double) * (size_t)(2 * n));
    if (!x || !y) {
        fprintf(stderr, "test_kernels: out of memory\n");
        exit(2);
    }
    for (long i = 0; i < nd; i++)
        x[i] = -30.0 + 60.0 * (double)i / (double)(nd - 1);
    for (long i = 0; i < nr; i++)
        x[nd + i] = 0.5 * hy_rng_uniform(3, 9, (uint64_t)i);
    for (long i = 0; i < nb; i++)   /* binades 2^-1074 .. 2^5 */
        x[nd + nr + i] = ldexp(1.0 + (double)(i % 64) / 64.0, -1074 + (int)(i / 64));
    for (long i = 0; i < n; i++)
        x[n + i] = -x[i];
    hy_vtanh(2 * n, x, y);
    double worst = 0, wx = 0, wtiny = 0, wtx = 0;
    int odd = 1, alone = 1;
    for (long i = 0; i < 2 * n; i++) {
        double e = tanh_ulps(y[i], x[i]);
        if (fabs(x[i]) < 1e-3 ? e > wtiny : 0)
            wtiny = e, wtx = x[i];
        if (e > worst)
            worst = e, wx = x[i];
        if (i < n && y[n + i] != -y[i])
            odd = 0;
    }
    for (long i = 0; i < 2 * n; i += 997) {
        double one;
        hy_vtanh(1, x + i, &one);
        if (memcmp(&one, y + i, sizeof one) != 0)
            alone = 0;
    }
    tap_check(worst <= tol, "tanh_vs_tanhl_ulp", "max error %.3f ulp at x = %.17g (tol %.1f)",
              worst, wx, tol);
    tap_check(wtiny <= tol, "tanh_tiny_relative", "max error %.3f ulp at x = %.17g (tol %.1f)",
              wtiny, wtx, tol);
    tap_check(odd, "tanh_odd_bitwise", "tanh(-x) != -tanh(x) somewhere");
    tap_check(alone, "tanh_position_independent", "a value differs when computed alone");
    printf("# tanh max error vs tanhl: %.3f ulp at x = %.17g; |x| < 1e-3: %.3f ulp at %.3g\n",
           worst, wx, wtiny, wtx);
    const double sp[] = {0.0, -0.0, INFINITY, -INFINITY, 1e300, -1e300, 1.7976931348623157e308,
                         -1.7976931348623157e308, 19.5, -19.5, 20.0, 25.0, NAN, -NAN};
    const double want[] = {0.0, -0.0, 1.0, -1.0, 1.0, -1.0, 1.0, -1.0, 1.0, -1.0, 1.0, 1.0, NAN, NAN};
    enum { NS = sizeof sp / sizeof sp[0] };
    double got[NS];
    hy_vtanh(NS, sp, got);
    int ok = 1;
    char why[160] = "";
    for (int i = 0; i < NS && ok; i++) {
        int good = isnan(want[i]) ? isnan(got[i])
                                  : got[i] == want[i] && signbit(got[i]) == signbit(want[i]);
        if (!good) {
            snprintf(why, sizeof why, "tanh(%g) = %.17g, want %g", sp[i], got[i], want[i]);
            ok = 0;
        }
    }
    tap_check(ok, "tanh_specials", "%s", why);
    free(x);
    free(y);
}

static void test_tanh_jet(void)
{
    const long lens[] = {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 255, 256, 257, 1000};
    int bad = 0;
    char why[200] = "";
    for (size_t li = 0; li < sizeof lens / sizeof *lens && !bad; li++) {
        long n = lens[li];
        double *z = vec(n, 11), *t = vec(n, 12), *d[6];
        for (long i = 0; i < n; i++)
            z[i] *= 8.0;   /* [-8, 8]: every regime of tanh */
        hy_vtanh(n, z, t);
        for (int nd = 1; nd <= 5 && !bad; nd++)
            for (int with0 = 0; with0 < 2 && !bad; with0++) {
                for (int k = 0; k < 6; k++)
                    d[k] = k <= nd && (k > 0 || with0) ? vec(n, 20 + k) : NULL;
                double *keep = d[0];
                hy_act_eval(HY_ACT_TANH, n, z, nd, d);
                for (long i = 0; i < n && !bad; i++) {
                    double d1 = 1.0 - t[i] * t[i];
                    double want[6] = {t[i], d1, -2.0 * t[i] * d1, d1 * (6.0 * t[i] * t[i] - 2.0),
                                      8.0 * t[i] * d1 * (2.0 - 3.0 * t[i] * t[i]),
                                      8.0 * d1 * (2.0 - 15.0 * t[i] * t[i] * d1)};
                    for (int k = 0; k <= nd; k++)
                        if (d[k] && memcmp(&d[k][i], &want[k], sizeof(double)) != 0) {
                            snprintf(why, sizeof why, "n %ld nd %d: d%d[%ld] = %.17g, want %.17g",
                                     n, nd, k, i, d[k][i], want[k]);
                            bad = 1;
                        }
                }
                for (int k = 1; k < 6; k++)
                    free(d[k]);
                free(keep);
            }
        free(z);
        free(t);
    }
    tap_check(!bad, "act_tanh_jet_bitwise", "%s", why);
}

static int same(const double *a, const double *b, long n);

/* Taylor coefficients c[0..5] of act(z0 + h) in long double, from the
 * activation's ODE (coefficient k+1 from coefficients 0..k). */
static void series_ref(int act, long double z0, long double c[6])
{
    long double y[6] = {0}, sg[6] = {0}, ph[6] = {0}, Ph[6] = {0};
    const long double x[6] = {z0, 1};
    /* sigmoid: y' = y - y^2 */
    sg[0] = z0 >= 0 ? 1.0L / (1.0L + expl(-z0)) : expl(z0) / (1.0L + expl(z0));
    for (int k = 0; k < 5; k++) {
        long double yy = 0;
        for (int i = 0; i <= k; i++)
            yy += sg[i] * sg[k - i];
        sg[k + 1] = (sg[k] - yy) / (k + 1);
    }
    switch (act) {
    case HY_ACT_TANH:   /* y' = 1 - y^2 */
        y[0] = tanhl(z0);
        for (int k = 0; k < 5; k++) {
            long double yy = 0;
            for (int i = 0; i <= k; i++)
                yy += y[i] * y[k - i];
            y[k + 1] = ((k == 0 ? 1.0L : 0.0L) - yy) / (k + 1);
        }
        break;
    case HY_ACT_SIN:    /* y'' = -y */
        y[0] = sinl(z0);
        y[1] = cosl(z0);
        for (int k = 0; k < 4; k++)
            y[k + 2] = -y[k] / ((k + 1) * (k + 2));
        break;
    case HY_ACT_SIGMOID:
        memcpy(y, sg, sizeof y);
        break;
    case HY_ACT_SOFTPLUS:   /* y' = sigmoid */
        y[0] = (z0 > 0 ? z0 : 0.0L) + log1pl(expl(-fabsl(z0)));
        for (int k = 0; k < 5; k++)
            y[k + 1] = sg[k] / (k + 1);
        break;
    case HY_ACT_SWISH:      /* x sigmoid */
    case HY_ACT_GELU:       /* x Phi, Phi' = phi, phi' = -x phi */
        if (act == HY_ACT_SWISH) {
            memcpy(Ph, sg, sizeof Ph);
        } else {
            ph[0] = expl(-z0 * z0 / 2) / sqrtl(2 * 3.14159265358979323846264338327950288L);
            Ph[0] = erfcl(-z0 / sqrtl(2.0L)) / 2;
            for (int k = 0; k < 5; k++) {
                ph[k + 1] = -(z0 * ph[k] + (k ? ph[k - 1] : 0)) / (k + 1);
                Ph[k + 1] = ph[k] / (k + 1);
            }
        }
        for (int k = 0; k < 6; k++)
            for (int i = 0; i <= k && i < 2; i++)
                y[k] += x[i] * Ph[k - i];
        break;
    }
    memcpy(c, y, sizeof y);
}

/* Every activation, derivatives 0..5 vs series_ref (header). */
static void test_act_derivs(void)
{
    enum { NZ = 2001 };
    double *z = vec(NZ, 70), *d[6];
    for (int i = 0; i < NZ; i++)
        z[i] = -8.0 + 16.0 * i / (NZ - 1);
    for (int k = 0; k < 6; k++)
        d[k] = vec(NZ, 71 + (uint64_t)k);
    long double (*ref)[6] = malloc(sizeof *ref * NZ);
    if (!ref)
        exit(2);
    for (int act = 0; act < HY_ACT_COUNT; act++) {
        hy_act_eval(act, NZ, z, 5, d);
        double worst = 0, e[6];
        char line[200];
        int pos = snprintf(line, sizeof line, "# %s: max |d_k - ref| / max |ref_k|, k = 0..5:",
                           hy_act_name(act));
        for (int i = 0; i < NZ; i++) {
            series_ref(act, z[i], ref[i]);
            long double fact = 1;
            for (int k = 1; k < 6; k++)
                ref[i][k] *= (fact *= k);
        }
        for (int k = 0; k < 6; k++) {
            long double mx = 0, er = 0;
            for (int i = 0; i < NZ; i++) {
                mx = fmaxl(mx, fabsl(ref[i][k]));
                er = fmaxl(er, fabsl((long double)d[k][i] - ref[i][k]));
            }
            e[k] = (double)(er / mx);
            worst = fmax(worst, e[k]);
            pos += snprintf(line + pos, sizeof line - (size_t)pos, " %.1e", e[k]);
        }
        printf("%s\n", line);
        char name[64];
        snprintf(name, sizeof name, "act_%s_derivs_0_5_vs_longdouble", hy_act_name(act));
        tap_check(worst <= 1e-14, name, "max normalised error %.3g (tol 1e-14)", worst);
    }
    free(ref);
    free(z);
    for (int k = 0; k < 6; k++)
        free(d[k]);
}

/* Higher components through RtJetHi: a 1-input jet with u_xxx (component
 * 3 = s1 z3 + 3 s2 z1 z2 + s3 z1^3) against the chain rule written out,
 * forward and reverse; bitwise over sub-ranges and 1 vs 3 threads. */
static void test_act_jet_hi(void)
{
    const long N = 40000;
    const int pair[1][2] = {{1, 1}}, C = 4;
    const RtJetTerm t[3] = {{1.0, 1, 1, 1, {3}}, {3.0, 2, 2, 1, {1, 2}}, {1.0, 3, 3, 0, {1, 1, 1}}};
    const int tstart[2] = {0, 3};
    const RtJetHi hi = {3, 1, tstart, t};
    double *Z = vec(C * N, 80), *dA = vec(C * N, 81);
    double *A[3], *S[3], *dZ[3];
    int ok = 1;
    double err = 0, mxe[8] = {0}, mxw[8] = {0};
    for (int r = 0; r < 3; r++) {   /* 0: one thread, 1: sub-ranges, 2: three threads */
        A[r] = vec(C * N, 82), S[r] = vec(4 * N, 83), dZ[r] = vec(C * N, 84);
        rt_gemm_threads(r == 2 ? 3 : 1);
        if (r == 1) {
            rt_act_jet_fwd(HY_ACT_SWISH, N, 0, 777, 4, 1, 1, pair, &hi, Z, A[r], S[r], 1);
            rt_act_jet_fwd(HY_ACT_SWISH, N, 777, N, 4, 1, 1, pair, &hi, Z, A[r], S[r], 1);
            rt_act_jet_bwd(N, 0, 1001, 1, 1, pair, &hi, Z, S[r], dA, dZ[r], 1);
            rt_act_jet_bwd(N, 1001, N, 1, 1, pair, &hi, Z, S[r], dA, dZ[r], 1);
        } else {
            rt_act_jet_fwd(HY_ACT_SWISH, N, 0, N, 4, 1, 1, pair, &hi, Z, A[r], S[r], 1);
            rt_act_jet_bwd(N, 0, N, 1, 1, pair, &hi, Z, S[r], dA, dZ[r], 1);
        }
        if (r > 0)
            ok &= same(A[0], A[r], C * N) && same(S[0], S[r], 4 * N) && same(dZ[0], dZ[r], C * N);
    }
    rt_gemm_threads(1);
    const double *s1 = S[0], *s2 = s1 + N, *s3 = s2 + N, *s4 = s3 + N;
    for (long i = 0; i < N; i++) {
        double z1 = Z[N + i], z2 = Z[2 * N + i], z3 = Z[3 * N + i];
        double a0 = dA[i], a1 = dA[N + i], a2 = dA[2 * N + i], a3 = dA[3 * N + i];
        double want[2 * 4] = {
            0, 0, 0, s1[i] * z3 + 3 * s2[i] * z1 * z2 + s3[i] * z1 * z1 * z1,
            a0 * s1[i] + a1 * s2[i] * z1 + a2 * (s3[i] * z1 * z1 + s2[i] * z2) +
                a3 * (s2[i] * z3 + 3 * s3[i] * z1 * z2 + s4[i] * z1 * z1 * z1),
            a1 * s1[i] + a2 * 2 * s2[i] * z1 + a3 * (3 * s2[i] * z2 + 3 * s3[i] * z1 * z1),
            a2 * s1[i] + a3 * 3 * s2[i] * z1, a3 * s1[i]};
        double got[8] = {0, 0, 0, A[0][3 * N + i], dZ[0][i], dZ[0][N + i], dZ[0][2 * N + i],
                         dZ[0][3 * N + i]};
        for (int k = 3; k < 8; k++) {
            mxe[k] = fmax(mxe[k], fabs(got[k] - want[k]));
            mxw[k] = fmax(mxw[k], fabs(want[k]));
        }
    }
    for (int k = 3; k < 8; k++)
        err = fmax(err, mxe[k] / mxw[k]);
    tap_check(ok, "act_jet_hi_ranges_threads_bitwise", "sub-ranges or 3 threads differ");
    tap_check(err <= 1e-14, "act_jet_hi_vs_chain_rule", "max |error| / max |value| %.3g (tol 1e-14)", err);
    for (int r = 0; r < 3; r++) {
        free(A[r]);
        free(S[r]);
        free(dZ[r]);
    }
    free(Z);
    free(dA);
}

static int same(const double *a, const double *b, long n)
{
    return memcmp(a, b, sizeof(double) * (size_t)n) == 0;
}

static void test_ew(void)
{
    const long n = 1003;
    double *s1 = vec(n, 30), *s2 = vec(n, 31), *s3 = vec(n, 32), *zp = vec(n, 33);
    double *zq = vec(n, 34), *zs = vec(n, 35), *da = vec(n, 36);
    double *y = vec(n, 40), *r = vec(n, 41), *y2 = vec(n, 42), *r2 = vec(n, 43);
    double *y3 = vec(n, 44), *r3 = vec(n, 45);
    int ok = 1;
    rt_ew_mul(n, y, s1, zp);
    for (long i = 0; i < n; i++)
        r[i] = s1[i] * zp[i];
    ok &= same(y, r, n);
    rt_ew_second(n, y, s1, s2, zp, zq, zs);
    for (long i = 0; i < n; i++)
        r[i] = s2[i] * zp[i] * zq[i] + s1[i] * zs[i];
    ok &= same(y, r, n);
    rt_ew_second(n, y, s1, s2, zp, zq, NULL);
    for (long i = 0; i < n; i++)
        r[i] = s2[i] * zp[i] * zq[i];
    ok &= same(y, r, n);
    tap_check(ok, "ew_fwd_bitwise", "rt_ew_mul/rt_ew_second differ from the formulas");
    ok = 1;
    memcpy(r, y, sizeof(double) * (size_t)n);
    rt_ewb_first(n, y, y2, da, s1, s2, zp);
    for (long i = 0; i < n; i++) {
        r[i] += da[i] * s2[i] * zp[i];
        r2[i] = da[i] * s1[i];
    }
    ok &= same(y, r, n) && same(y2, r2, n);
    for (int withs = 0; withs < 2; withs++) {
        memcpy(r, y, sizeof(double) * (size_t)n);
        memcpy(r2, y2, sizeof(double) * (size_t)n);
        rt_ewb_second(n, y, y2, y3, da, s1, s2, s3, zp, zq, withs ? zs : NULL, 2.0);
        for (long i = 0; i < n; i++) {
            double g = da[i] * s2[i];
            r[i] += withs ? da[i] * s3[i] * zp[i] * zq[i] + g * zs[i] : da[i] * s3[i] * zp[i] * zq[i];
            r2[i] += 2.0 * g * zq[i];
            r3[i] = da[i] * s1[i];
        }
        ok &= same(y, r, n) && same(y2, r2, n) && same(y3, r3, n);
    }
    memcpy(r, y, sizeof(double) * (size_t)n);
    rt_ewb_other(n, y, da, s2, zp);
    for (long i = 0; i < n; i++)
        r[i] += da[i] * s2[i] * zp[i];
    ok &= same(y, r, n);
    tap_check(ok, "ew_bwd_bitwise", "a backward elementwise kernel differs from its formula");
    double *all[] = {s1, s2, s3, zp, zq, zs, da, y, r, y2, r2, y3, r3};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        free(all[i]);
}

/* rt_act_jet_fwd/bwd over two sub-ranges vs hy_act_eval + rt_ew_* over
 * whole components (the calls net.c made before): bitwise. */
static void test_act_jet(void)
{
    const long N = 1000;
    const int nf = 2, ns = 3, C = 1 + nf + ns;
    const int pair[3][2] = {{1, 1}, {1, 2}, {2, 2}};
    int ok = 1;
    for (int act = 0; act < HY_ACT_COUNT; act++)
        for (int zpq = 0; zpq < 2; zpq++) {
            double *Z = vec(C * N, 50), *dA = vec(C * N, 51);
            double *A1 = vec(C * N, 52), *S1 = vec(3 * N, 53), *A2 = vec(C * N, 54);
            double *S2 = vec(3 * N, 55), *dZ1 = vec(C * N, 56), *dZ2 = vec(C * N, 57);
            double *d[4] = {A1, S1, S1 + N, S1 + 2 * N};
            hy_act_eval(act, N, Z, 3, d);
            for (int f = 1; f <= nf; f++)
                rt_ew_mul(N, A1 + f * N, S1, Z + f * N);
            for (int s = 0; s < ns; s++) {
                int c = 1 + nf + s;
                rt_ew_second(N, A1 + c * N, S1, S1 + N, Z + pair[s][0] * N, Z + pair[s][1] * N,
                             zpq ? Z + c * N : NULL);
            }
            rt_act_jet_fwd(act, N, 0, 300, 3, nf, ns, pair, NULL, Z, A2, S2, zpq);
            rt_act_jet_fwd(act, N, 300, N, 3, nf, ns, pair, NULL, Z, A2, S2, zpq);
            ok &= same(A1, A2, C * N) && same(S1, S2, 3 * N);
            rt_ew_mul(N, dZ1, dA, S1);
            for (int f = 1; f <= nf; f++)
                rt_ewb_first(N, dZ1, dZ1 + f * N, dA + f * N, S1, S1 + N, Z + f * N);
            for (int s = 0; s < ns; s++) {
                int cs = 1 + nf + s, a = pair[s][0], b = pair[s][1];
                rt_ewb_second(N, dZ1, dZ1 + a * N, dZ1 + cs * N, dA + cs * N, S1, S1 + N,
                              S1 + 2 * N, Z + a * N, Z + b * N, zpq ? Z + cs * N : NULL,
                              a == b ? 2.0 : 1.0);
                if (a != b)
                    rt_ewb_other(N, dZ1 + b * N, dA + cs * N, S1 + N, Z + a * N);
            }
            rt_act_jet_bwd(N, 0, 517, nf, ns, pair, NULL, Z, S1, dA, dZ2, zpq);
            rt_act_jet_bwd(N, 517, N, nf, ns, pair, NULL, Z, S1, dA, dZ2, zpq);
            ok &= same(dZ1, dZ2, C * N);
            double *all[] = {Z, dA, A1, S1, A2, S2, dZ1, dZ2};
            for (size_t i = 0; i < sizeof all / sizeof *all; i++)
                free(all[i]);
        }
    tap_check(ok, "act_jet_fused_bitwise", "rt_act_jet_fwd/bwd differ from the per-component calls");
}

/* Thread counts 1, 2, 3: rt_act_jet_fwd/bwd over a range large enough to be
 * split give the same bits; a product inside a part (nested) runs serially
 * on that thread and still matches. */
typedef struct NestJob {
    long M, N, K;
    const double *A, *B;
    double *C[RT_MAXT];
} NestJob;

static void nest_part(void *arg, int part)
{
    NestJob *j = arg;
    rt_gemm(j->M, j->N, j->K, j->A, j->K, 1, j->B, j->N, j->C[part], j->N, 0);
}

static void test_threads_jet(void)
{
    const long N = 40000;
    const int nf = 2, ns = 2, C = 1 + nf + ns;
    const int pair[2][2] = {{1, 1}, {2, 2}};
    double *Z = vec(C * N, 60), *dA = vec(C * N, 61);
    double *A[3], *S[3], *dZ[3];
    int ok = 1;
    for (int t = 1; t <= 3; t++) {
        A[t - 1] = vec(C * N, 62), S[t - 1] = vec(3 * N, 63), dZ[t - 1] = vec(C * N, 64);
        rt_gemm_threads(t);
        rt_act_jet_fwd(HY_ACT_TANH, N, 0, N, 3, nf, ns, pair, NULL, Z, A[t - 1], S[t - 1], 1);
        rt_act_jet_bwd(N, 0, N, nf, ns, pair, NULL, Z, S[t - 1], dA, dZ[t - 1], 1);
        if (t > 1)
            ok &= same(A[0], A[t - 1], C * N) && same(S[0], S[t - 1], 3 * N) &&
                  same(dZ[0], dZ[t - 1], C * N);
    }
    tap_check(ok, "act_jet_threads_bitwise", "2 or 3 threads differ from 1");
    NestJob j = {3000, 37, 64, NULL, NULL, {NULL}};
    double *Aa = vec(j.M * j.K, 65), *Bb = vec(j.K * j.N, 66), *R = vec(j.M * j.N, 67);
    j.A = Aa;
    j.B = Bb;
    rt_gemm_threads(1);
    rt_gemm(j.M, j.N, j.K, Aa, j.K, 1, Bb, j.N, R, j.N, 0);
    rt_gemm_threads(3);
    int width = rt_parallel_width();
    for (int p = 0; p < width; p++)
        j.C[p] = vec(j.M * j.N, 68);
    rt_parallel(width, nest_part, &j);
    ok = 1;
    for (int p = 0; p < width; p++) {
        ok &= same(R, j.C[p], j.M * j.N);
        free(j.C[p]);
    }
    rt_gemm_threads(1);
    tap_check(ok, "gemm_nested_in_part_bitwise", "a product inside a parallel part differs");
    for (int t = 0; t < 3; t++) {
        free(A[t]);
        free(S[t]);
        free(dZ[t]);
    }
    free(Z);
    free(dA);
    free(Aa);
    free(Bb);
    free(R);
}

/* gemm.c's layer glue against the plain loops it replaces: bitwise (the
 * same operations per element in the same order). */
static void test_glue(void)
{
    static const long shapes[][3] = {{51, 32, 1}, {7, 33, 2}, {100, 64, 3}, {5, 3, 1}, {2, 17, 4}};
    int bad = 0;
    char why[160] = "";
    for (int t = 0; t < (int)(sizeof shapes / sizeof shapes[0]); t++) {
        const long n = shapes[t][0], w = shapes[t][1], nin = shapes[t][2], ldx = n + 3;
        double *Z = vec(n * w, 40 + t), *Z2 = vec(n * w, 40 + t), *b = vec(w, 50 + t);
        double *g = vec(w, 60 + t), *g2 = vec(w, 60 + t), *X = vec(nin * ldx, 70 + t);
        double *Wt = vec(nin * w, 80 + t), *T = vec(nin * w, 90 + t), *T2 = vec(nin * w, 90 + t);
        double *G = vec(nin * w, 100 + t), *G2 = vec(nin * w, 100 + t);
        rt_add_bias(n, w, Z, b);
        for (long i = 0; i < n; i++)
            for (long o = 0; o < w; o++)
                Z2[i * w + o] += b[o];
        if (!same(Z, Z2, n * w) && !bad++)
            snprintf(why, sizeof why, "rt_add_bias n=%ld w=%ld", n, w);
        rt_sum_rows(n, w, Z, g);
        for (long i = 0; i < n; i++)
            for (long o = 0; o < w; o++)
                g2[o] += Z[i * w + o];
        if (!same(g, g2, w) && !bad++)
            snprintf(why, sizeof why, "rt_sum_rows n=%ld w=%ld", n, w);
        rt_transpose(w, nin, Wt, T);   /* Wt read as a w x nin matrix */
        for (long r = 0; r < w; r++)
            for (long k = 0; k < nin; k++)
                T2[k * w + r] = Wt[r * nin + k];
        if (!same(T, T2, nin * w) && !bad++)
            snprintf(why, sizeof why, "rt_transpose %ld x %ld", w, nin);
        rt_affine_rows(n, w, nin, X, ldx, Wt, b, Z);
        for (long i = 0; i < n; i++)
            for (long o = 0; o < w; o++) {
                double z = b[o];
                for (long m = 0; m < nin; m++)
                    z += Wt[m * w + o] * X[m * ldx + i];
                Z2[i * w + o] = z;
            }
        if (!same(Z, Z2, n * w) && !bad++)
            snprintf(why, sizeof why, "rt_affine_rows n=%ld w=%ld nin=%ld", n, w, nin);
        rt_rows_xacc(n, w, nin, X, ldx, Z, G);
        for (long i = 0; i < n; i++)
            for (long m = 0; m < nin; m++)
                for (long o = 0; o < w; o++)
                    G2[m * w + o] += Z[i * w + o] * X[m * ldx + i];
        if (!same(G, G2, nin * w) && !bad++)
            snprintf(why, sizeof why, "rt_rows_xacc n=%ld w=%ld nin=%ld", n, w, nin);
        free(Z), free(Z2), free(b), free(g), free(g2), free(X);
        free(Wt), free(T), free(T2), free(G), free(G2);
    }
    tap_check(!bad, "gemm_layer_glue_bitwise", "%s differs from the plain loop", why);
}

int main(void)
{
    test_glue();
    test_gemm();
    test_gemm_threads();
    test_parallel();
    test_gemm_dot();
    test_tanh_accuracy();
    test_tanh_jet();
    test_ew();
    test_act_jet();
    test_threads_jet();
    test_act_derivs();
    test_act_jet_hi();
    return tap_exit();
}
