/* test_actjet.c -- the whole activation jets of orders <= 2 (act.c:
 * rt_act_jet_fwd, rt_act_jet_bwd) bitwise against a scalar reference.
 *
 * The reference is the documented formulas (rt_internal.h, net.c's header)
 * written as plain loops, one component after another, products and sums
 * left to right exactly as the contract states them:
 *   forward  hy_act_eval over the whole range (a = s0, s1 .. s_nd);
 *            a_f = s1 z_f;  a_c = s2 z_p z_q (+ s1 z_c when zpq)
 *   reverse  zbar_0 = abar_0 s1;  f: zbar_0 += abar_f s2 z_f, zbar_f = abar_f s1;
 *            s: g = abar_c s2; zbar_0 += abar_c s3 z_p z_q (+ g z_c);
 *               zbar_p += k g z_q (k = 2 if p == q); zbar_c = abar_c s1;
 *               p != q: zbar_q += abar_c s2 z_p
 * Every case runs at each instruction-set level the CPU has (rt_act_isa:
 * AVX-512, AVX2, portable), on 1 and 2 threads, over the whole range and
 * over two sub-ranges split at an odd element, with the buffers offset by a
 * few doubles (misaligned); A, S and dZ must equal the reference bit for
 * bit.  Shapes: the specialised ones of act.c and generic ones, mixed pairs
 * (p != q, also q < p), zpq on and off, N not a multiple of 8, and one shape
 * past the fused kernels' limit (the per-component passes).  With higher
 * components (RtJetHi) the orders <= 2 outputs of the forward must still
 * equal the reference and everything must agree across levels, threads and
 * splits (tests/test_kernels.c checks the higher terms' values).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "rt_internal.h"
#include "tap.h"

static double *buf(long n)
{
    double *v = malloc(sizeof(double) * (size_t)(n > 0 ? n : 1));
    if (!v) {
        fprintf(stderr, "test_actjet: out of memory\n");
        exit(2);
    }
    return v;
}

static void fill(double *v, long n, uint64_t stream, double scale)
{
    for (long i = 0; i < n; i++)
        v[i] = scale * (2.0 * hy_rng_uniform(11, stream, (uint64_t)i) - 1.0);
}

static int same(const double *a, const double *b, long n)
{
    return memcmp(a, b, sizeof(double) * (size_t)n) == 0;
}

static void ref_fwd(int act, long N, int nd, int nf, int ns, const int (*pair)[2], int zpq,
                    const double *Z, double *A, double *S)
{
    double *d[RT_MAX_ORDER + 2] = {A, S};
    for (int k = 2; k <= nd; k++)
        d[k] = S + (k - 1) * N;
    hy_act_eval(act, N, Z, nd, d);
    const double *s1 = S, *s2 = S + N;
    for (int f = 1; f <= nf; f++)
        for (long i = 0; i < N; i++)
            A[f * N + i] = s1[i] * Z[f * N + i];
    for (int s = 0; s < ns; s++) {
        long c = 1 + nf + s;
        const double *zp = Z + pair[s][0] * N, *zq = Z + pair[s][1] * N, *zc = Z + c * N;
        for (long i = 0; i < N; i++) {
            double v = s2[i] * zp[i] * zq[i];
            if (zpq)
                v = v + s1[i] * zc[i];
            A[c * N + i] = v;
        }
    }
}

static void ref_bwd(long N, int nf, int ns, const int (*pair)[2], int zpq, const double *Z,
                    const double *S, const double *dA, double *dZ)
{
    const double *s1 = S, *s2 = S + N, *s3 = S + 2 * N;
    for (long i = 0; i < N; i++)
        dZ[i] = dA[i] * s1[i];
    for (int f = 1; f <= nf; f++)
        for (long i = 0; i < N; i++) {
            dZ[i] = dZ[i] + dA[f * N + i] * s2[i] * Z[f * N + i];
            dZ[f * N + i] = dA[f * N + i] * s1[i];
        }
    for (int s = 0; s < ns; s++) {
        long c = 1 + nf + s, p = pair[s][0], q = pair[s][1];
        double k = p == q ? 2.0 : 1.0;
        for (long i = 0; i < N; i++) {
            double a = dA[c * N + i], zp = Z[p * N + i], zq = Z[q * N + i], g = a * s2[i];
            if (zpq)
                dZ[i] = dZ[i] + (a * s3[i] * zp * zq + g * Z[c * N + i]);
            else
                dZ[i] = dZ[i] + a * s3[i] * zp * zq;
            dZ[p * N + i] = dZ[p * N + i] + k * g * zq;
            dZ[c * N + i] = a * s1[i];
            if (p != q)
                dZ[q * N + i] = dZ[q * N + i] + a * s2[i] * zp;
        }
    }
}

typedef struct Case {
    const char *name;
    int act, nf, ns, zpq;
    long N, off;   /* elements per component; buffer offset in doubles */
    int pair[8][2];
} Case;

/* One case at every level, thread count and split; hi (NULL: none) adds
 * nh higher components. */
static void run_case(const Case *k, const int (*pair)[2], const RtJetHi *hi)
{
    const long N = k->N, nh = hi ? hi->nh : 0, C = 1 + k->nf + k->ns + nh;
    int order = hi ? RT_MAX_ORDER - 1 : k->ns > 0 ? 2 : k->nf > 0 ? 1 : 0;
    const int nd = order + 1 < 1 ? 1 : order + 1;
    double *blk = buf(k->off + (6 * C + 2 * nd) * N);
    double *Z = blk + k->off, *dA = Z + C * N, *A = dA + C * N, *S = A + C * N;
    double *dZ = S + nd * N, *rA = dZ + C * N, *rS = rA + C * N, *rdZ = rS + nd * N;
    fill(Z, C * N, 1, 1.5);
    fill(dA, C * N, 2, 1.0);
    ref_fwd(k->act, N, nd, k->nf, k->ns, pair, k->zpq, Z, rA, rS);
    if (!hi)
        ref_bwd(N, k->nf, k->ns, pair, k->zpq, Z, rS, dA, rdZ);
    const long C2 = 1 + k->nf + k->ns, split = N / 3 + 1;
    int ok = 1, first = 1;
    char why[200] = "";
    for (int lvl = 2; lvl >= 0; lvl--) {
        if (rt_act_isa(lvl) != lvl)
            continue;
        for (int th = 1; th <= 2; th++) {
            rt_gemm_threads(th);
            for (int sp = 0; sp < 2; sp++) {
                for (long i = 0; i < C * N; i++)
                    A[i] = dZ[i] = 1e300;
                long cut = sp ? split : N;
                rt_act_jet_fwd(k->act, N, 0, cut, nd, k->nf, k->ns, pair, hi, Z, A, S, k->zpq);
                if (cut < N)
                    rt_act_jet_fwd(k->act, N, cut, N, nd, k->nf, k->ns, pair, hi, Z, A, S,
                                   k->zpq);
                rt_act_jet_bwd(N, 0, cut, k->nf, k->ns, pair, hi, Z, S, dA, dZ, k->zpq);
                if (cut < N)
                    rt_act_jet_bwd(N, cut, N, k->nf, k->ns, pair, hi, Z, S, dA, dZ, k->zpq);
                int good = same(A, rA, C2 * N) && same(S, rS, nd * N);
                if (hi && first)   /* the first run is the reference of the rest */
                    memcpy(rA, A, sizeof(double) * (size_t)(C * N)),
                        memcpy(rdZ, dZ, sizeof(double) * (size_t)(C * N));
                good = good && same(A, rA, C * N) && same(dZ, rdZ, C * N);
                if (!good && ok)
                    snprintf(why, sizeof why, "level %d, %d thread(s), %s: %s differs", lvl, th,
                             sp ? "split" : "whole",
                             !same(S, rS, nd * N)   ? "S"
                             : !same(A, rA, C * N)  ? "A"
                                                    : "dZ");
                ok &= good;
                first = 0;
            }
        }
    }
    rt_gemm_threads(1);
    rt_act_isa(2);
    char name[120];
    snprintf(name, sizeof name, "actjet_%s%s_bitwise", k->name, hi ? "_hi" : "");
    tap_check(ok, name, "%s", why);
    free(blk);
}

int main(void)
{
    printf("# instruction-set levels: %d (2 AVX-512F, 1 AVX2, 0 portable)\n", rt_act_isa(-1));
    static const Case cases[] = {
        {"tanh_nf1_ns1", HY_ACT_TANH, 1, 1, 1, 1003, 0, {{1, 1}}},
        {"tanh_nf2_ns1_burgers", HY_ACT_TANH, 2, 1, 1, 9001, 3, {{1, 1}}},
        {"tanh_nf2_ns1_aligned4096", HY_ACT_TANH, 2, 1, 1, 4096, 0, {{1, 1}}},
        {"tanh_nf2_ns2_nozpq", HY_ACT_TANH, 2, 2, 0, 1003, 1, {{1, 1}, {2, 2}}},
        {"sigmoid_nf2_ns3_mixed", HY_ACT_SIGMOID, 2, 3, 1, 9001, 5, {{1, 1}, {1, 2}, {2, 2}}},
        {"gelu_nf3_ns4_mixed", HY_ACT_GELU, 3, 4, 1, 2051, 7, {{1, 2}, {3, 3}, {2, 1}, {1, 3}}},
        {"sin_nf2_ns0", HY_ACT_SIN, 2, 0, 0, 1003, 2, {{0, 0}}},
        {"tanh_nf0_ns0", HY_ACT_TANH, 0, 0, 0, 777, 0, {{0, 0}}},
        {"swish_nf5_ns6_nozpq", HY_ACT_SWISH, 5, 6, 0, 301, 6,
         {{1, 1}, {5, 2}, {2, 2}, {3, 4}, {4, 4}, {1, 5}}},
        {"softplus_nf3_ns3_tiny", HY_ACT_SOFTPLUS, 3, 3, 1, 5, 1, {{1, 1}, {2, 3}, {3, 3}}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        run_case(&cases[c], (const int (*)[2])cases[c].pair, NULL);

    /* Past the fused kernels' limit (nf + ns > 64): the per-component passes. */
    {
        Case big = {"tanh_nf12_ns60_passes", HY_ACT_TANH, 12, 60, 1, 203, 3, {{0, 0}}};
        int (*pr)[2] = malloc(sizeof *pr * 60);
        if (!pr)
            return 2;
        for (int s = 0; s < 60; s++)
            pr[s][0] = 1 + s % 12, pr[s][1] = 1 + (s * 7 + 3) % 12;
        run_case(&big, (const int (*)[2])pr, NULL);
        free(pr);
    }

    /* With a higher component: u_xxx = s1 z3 + 3 s2 z1 z2 + s3 z1^3. */
    {
        const RtJetTerm t[3] = {{1.0, 1, 1, 1, {3}}, {3.0, 2, 2, 1, {1, 2}},
                                {1.0, 3, 3, 0, {1, 1, 1}}};
        const int tstart[2] = {0, 3};
        const RtJetHi hi = {3, 1, tstart, t};
        Case k = {"swish_nf1_ns1", HY_ACT_SWISH, 1, 1, 1, 9001, 3, {{1, 1}}};
        run_case(&k, (const int (*)[2])k.pair, &hi);
        k.name = "tanh_nf1_ns1", k.act = HY_ACT_TANH, k.zpq = 0, k.N = 1003;
        run_case(&k, (const int (*)[2])k.pair, &hi);
    }
    return tap_exit();
}
