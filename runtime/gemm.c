/* gemm.c -- small matrix products for the jets (AVX2/FMA register kernel).
 *
 * PINN layers are small (C*n rows of width 32..64): OpenBLAS spends much of
 * such a call on packing and beta scaling.  This kernel keeps a 4x8 block of
 * C in registers and streams K, with no packing; K is blocked by KC so the B
 * panel stays in cache for long K (the dW products).  Every element of C is
 * one sum over k in increasing order (blocks in order), so results are
 * deterministic and independent of thread count.  Without AVX2+FMA, it falls
 * back to cblas_dgemm.
 *
 * rt_gemm:     C[r][c] (=|+=) sum_k a(r,k) B[k*ldb + c],  a(r,k) = A[r*ars + k*aks]
 *              (ars/aks strides give A or A^T without copies)
 * rt_gemm_dot: C[r][c] (=)    sum_k A[r*lda + k] W[c*ldw + k]   (few columns)
 */
#include <cblas.h>
#include <immintrin.h>
#include <math.h>
#include "rt_internal.h"

#define KC 256   /* K block: B panel KC x N stays in L2 */

static int cpu_ok = -1;   /* AVX2 and FMA available (checked once) */
static int nthreads = 1;  /* hy_set_threads: > 1 sends large products to OpenBLAS */

void rt_gemm_threads(int n) { nthreads = n; }

static int avx2(void)
{
    if (cpu_ok < 0) {
        __builtin_cpu_init();
        cpu_ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }
    return cpu_ok;
}

/* C block rows [r0, r0+mr), columns [c0, c0+8), K block [k0, k1). */
__attribute__((target("avx2,fma"))) static inline void
block8(long r0, long mr, long c0, long k0, long k1, const double *A, long ars, long aks,
       const double *B, long ldb, double *C, long ldc, int acc)
{
    const double *a0 = A + r0 * ars + k0 * aks;
    const double *b = B + k0 * ldb + c0;
    double *cp = C + r0 * ldc + c0;
    if (mr == 4) {
        __m256d c00 = _mm256_setzero_pd(), c01 = c00, c10 = c00, c11 = c00;
        __m256d c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        const double *ap = a0;
        for (long k = k0; k < k1; k++, ap += aks, b += ldb) {
            __m256d b0 = _mm256_loadu_pd(b), b1 = _mm256_loadu_pd(b + 4);
            __m256d x = _mm256_broadcast_sd(ap);
            c00 = _mm256_fmadd_pd(x, b0, c00);
            c01 = _mm256_fmadd_pd(x, b1, c01);
            x = _mm256_broadcast_sd(ap + ars);
            c10 = _mm256_fmadd_pd(x, b0, c10);
            c11 = _mm256_fmadd_pd(x, b1, c11);
            x = _mm256_broadcast_sd(ap + 2 * ars);
            c20 = _mm256_fmadd_pd(x, b0, c20);
            c21 = _mm256_fmadd_pd(x, b1, c21);
            x = _mm256_broadcast_sd(ap + 3 * ars);
            c30 = _mm256_fmadd_pd(x, b0, c30);
            c31 = _mm256_fmadd_pd(x, b1, c31);
        }
        if (acc) {
            c00 = _mm256_add_pd(_mm256_loadu_pd(cp), c00);
            c01 = _mm256_add_pd(_mm256_loadu_pd(cp + 4), c01);
            c10 = _mm256_add_pd(_mm256_loadu_pd(cp + ldc), c10);
            c11 = _mm256_add_pd(_mm256_loadu_pd(cp + ldc + 4), c11);
            c20 = _mm256_add_pd(_mm256_loadu_pd(cp + 2 * ldc), c20);
            c21 = _mm256_add_pd(_mm256_loadu_pd(cp + 2 * ldc + 4), c21);
            c30 = _mm256_add_pd(_mm256_loadu_pd(cp + 3 * ldc), c30);
            c31 = _mm256_add_pd(_mm256_loadu_pd(cp + 3 * ldc + 4), c31);
        }
        _mm256_storeu_pd(cp, c00);
        _mm256_storeu_pd(cp + 4, c01);
        _mm256_storeu_pd(cp + ldc, c10);
        _mm256_storeu_pd(cp + ldc + 4, c11);
        _mm256_storeu_pd(cp + 2 * ldc, c20);
        _mm256_storeu_pd(cp + 2 * ldc + 4, c21);
        _mm256_storeu_pd(cp + 3 * ldc, c30);
        _mm256_storeu_pd(cp + 3 * ldc + 4, c31);
        return;
    }
    for (long i = 0; i < mr; i++) {
        __m256d s0 = _mm256_setzero_pd(), s1 = s0;
        const double *ap = a0 + i * ars, *bp = b;
        for (long k = k0; k < k1; k++, ap += aks, bp += ldb) {
            __m256d x = _mm256_broadcast_sd(ap);
            s0 = _mm256_fmadd_pd(x, _mm256_loadu_pd(bp), s0);
            s1 = _mm256_fmadd_pd(x, _mm256_loadu_pd(bp + 4), s1);
        }
        double *q = cp + i * ldc;
        if (acc) {
            s0 = _mm256_add_pd(_mm256_loadu_pd(q), s0);
            s1 = _mm256_add_pd(_mm256_loadu_pd(q + 4), s1);
        }
        _mm256_storeu_pd(q, s0);
        _mm256_storeu_pd(q + 4, s1);
    }
}

/* One K block [k0, k1) of rt_gemm; acc: add to C (else overwrite).  Loop
 * order: with a unit-stride A (A streams, B small) rows outermost; with a
 * transposed A (the dW products: long K, B = activations) columns outermost
 * so one K x 8 panel of B stays in L1 across all row blocks. */
__attribute__((target("avx2,fma"))) static void
kern(long M, long N, long k0, long k1, const double *A, long ars, long aks, const double *B,
     long ldb, double *C, long ldc, int acc)
{
    const long N8 = N & ~7L;
    if (aks == 1) {
        for (long r0 = 0; r0 < M; r0 += 4)
            for (long c0 = 0; c0 < N8; c0 += 8)
                block8(r0, M - r0 < 4 ? M - r0 : 4, c0, k0, k1, A, ars, aks, B, ldb, C, ldc, acc);
    } else {
        for (long c0 = 0; c0 < N8; c0 += 8)
            for (long r0 = 0; r0 < M; r0 += 4)
                block8(r0, M - r0 < 4 ? M - r0 : 4, c0, k0, k1, A, ars, aks, B, ldb, C, ldc, acc);
    }
    for (long r = 0; r < M; r++)   /* columns beyond the last multiple of 8 */
        for (long c = N8; c < N; c++) {
            double s = 0.0;
            const double *ap = A + r * ars + k0 * aks;
            for (long k = k0; k < k1; k++, ap += aks)
                s = fma(*ap, B[k * ldb + c], s);
            double *q = C + r * ldc + c;
            *q = acc ? *q + s : s;
        }
}

void rt_gemm(long M, long N, long K, const double *A, long ars, long aks, const double *B,
             long ldb, double *C, long ldc, int accumulate)
{
    if (M <= 0 || N <= 0)
        return;
    if (avx2() && (nthreads <= 1 || (double)M * N * K < 4e6)) {
        if (K <= 0) {
            if (!accumulate)
                for (long r = 0; r < M; r++)
                    for (long c = 0; c < N; c++)
                        C[r * ldc + c] = 0.0;
            return;
        }
        for (long k0 = 0; k0 < K; k0 += KC) {
            long k1 = K - k0 < KC ? K : k0 + KC;
            kern(M, N, k0, k1, A, ars, aks, B, ldb, C, ldc, accumulate || k0 > 0);
        }
        return;
    }
    /* portable path: OpenBLAS (a(r,k) is A or A^T with a unit stride) */
    if (aks == 1)
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)M, (int)N, (int)K, 1.0, A,
                    (int)ars, B, (int)ldb, accumulate ? 1.0 : 0.0, C, (int)ldc);
    else if (ars == 1)
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)M, (int)N, (int)K, 1.0, A,
                    (int)aks, B, (int)ldb, accumulate ? 1.0 : 0.0, C, (int)ldc);
    else
        RT_ICE("rt_gemm: A needs a unit stride");
}

__attribute__((target("avx2,fma"))) static void
dot_avx2(long M, long N, long K, const double *A, long lda, const double *W, long ldw, double *C,
         long ldc)
{
    const long K4 = K & ~3L;
    for (long r = 0; r < M; r++)
        for (long c = 0; c < N; c++) {
            const double *a = A + r * lda, *w = W + c * ldw;
            __m256d s = _mm256_setzero_pd();
            for (long k = 0; k < K4; k += 4)
                s = _mm256_fmadd_pd(_mm256_loadu_pd(a + k), _mm256_loadu_pd(w + k), s);
            double t[4];
            _mm256_storeu_pd(t, s);
            double sum = (t[0] + t[1]) + (t[2] + t[3]);
            for (long k = K4; k < K; k++)
                sum = fma(a[k], w[k], sum);
            C[r * ldc + c] = sum;
        }
}

void rt_gemm_dot(long M, long N, long K, const double *A, long lda, const double *W, long ldw,
                 double *C, long ldc)
{
    if (avx2())
        dot_avx2(M, N, K, A, lda, W, ldw, C, ldc);
    else
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)M, (int)N, (int)K, 1.0, A,
                    (int)lda, W, (int)ldw, 0.0, C, (int)ldc);
}
