/* gemm.c -- small matrix products for the jets (AVX2/FMA register kernels).
 *
 * PINN layers are small (C*n rows of width 20..128): OpenBLAS spends much of
 * such a call on packing and beta scaling, and reaches 15..20 GFLOP/s at these
 * shapes on a core that does 45+ on large squares.  This kernel keeps a 6x8
 * block of C in 12 AVX registers and streams K without packing (the rows of
 * a(r, k) are contiguous in k for the forward products, and contiguous in r
 * for the transposed dW products, so the broadcasts read cached lines).  A
 * tail of fewer than 8 columns uses the same kernel with masked loads and
 * stores; a tail of fewer than 6 rows the same kernel with fewer rows.
 * Where the CPU has AVX-512F, the same paths run a 6x32 block in 24 zmm
 * registers instead (see "AVX-512" below; rt_gemm_isa selects the set).
 *
 * Summation contract (bitwise, whatever the blocking, the row/column tails,
 * the thread count or the instruction set):
 *   for each K block [k0, k1) of KC, in order:
 *       s = 0; for k in [k0, k1): s = fma(a(r,k), B[k][c], s)
 *       C[r][c] = (accumulate || k0 > 0) ? C[r][c] + s : s
 * tests/test_kernels.c checks exactly this against a scalar loop.
 * With more threads (rt_gemm_threads), a large product is split by row
 * blocks (unit-stride A) or column panels (transposed A) over a worker pool;
 * each element is still computed by one thread in the order above, so the
 * result is bitwise the same for every thread count.
 * Without AVX2+FMA it falls back to cblas_dgemm (other rounding; OpenBLAS
 * threads).
 *
 * rt_gemm:     C[r][c] (=|+=) sum_k a(r,k) B[k*ldb + c],  a(r,k) = A[r*ars + k*aks]
 *              (ars/aks strides give A or A^T without copies)
 * rt_gemm_dot: C[r][c] (=)    sum_k A[r*lda + k] W[c*ldw + k]   (few columns)
 */
#include <cblas.h>
#include <immintrin.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include "rt_internal.h"

#define KC 256   /* K block: part of the summation contract above */
#define MR 6     /* rows of a register block */

static int cpu_ok = -1;   /* AVX2 and FMA available (checked once) */
static int cpu_512 = -1;  /* AVX-512F available as well (checked once) */
static int isa_cap = 2;   /* rt_gemm_isa */
static int nthreads = 1;  /* hy_set_threads, capped at RT_MAXT */

static int avx2(void)
{
    if (cpu_ok < 0) {
        __builtin_cpu_init();
        cpu_ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }
    return cpu_ok;
}

/* Instruction set of the rt_gemm kernels: 2 AVX-512, 1 AVX2, 0 OpenBLAS. */
static int gemm_isa(void)
{
    if (cpu_512 < 0)
        cpu_512 = avx2() && __builtin_cpu_supports("avx512f");
    int have = cpu_512 ? 2 : avx2() ? 1 : 0;
    return have < isa_cap ? have : isa_cap;
}

int rt_gemm_isa(int level)
{
    if (level >= 0)
        isa_cap = level;
    return gemm_isa();
}

#define AVX2_INLINE static inline __attribute__((always_inline, target("avx2,fma")))

/* One register block: rows [0, mr) of C at cp (mr <= MR, a constant after
 * inlining), 8 columns (masked: the columns m0/m1 select), K block k0..k1
 * of a at ap (already offset to row 0, k0) and b (offset to k0, column 0). */
AVX2_INLINE void tile(const int mr, const int masked, __m256i m0, __m256i m1, long kn,
                      const double *ap, long ars, long aks, const double *b, long ldb,
                      double *cp, long ldc, int acc)
{
    const __m256d z = _mm256_setzero_pd();
    __m256d c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z;
    __m256d c30 = z, c31 = z, c40 = z, c41 = z, c50 = z, c51 = z;
    for (long k = 0; k < kn; k++, ap += aks, b += ldb) {
        __m256d b0 = masked ? _mm256_maskload_pd(b, m0) : _mm256_loadu_pd(b);
        __m256d b1 = masked ? _mm256_maskload_pd(b + 4, m1) : _mm256_loadu_pd(b + 4);
        __m256d x = _mm256_broadcast_sd(ap);
        c00 = _mm256_fmadd_pd(x, b0, c00);
        c01 = _mm256_fmadd_pd(x, b1, c01);
        if (mr > 1) {
            x = _mm256_broadcast_sd(ap + ars);
            c10 = _mm256_fmadd_pd(x, b0, c10);
            c11 = _mm256_fmadd_pd(x, b1, c11);
        }
        if (mr > 2) {
            x = _mm256_broadcast_sd(ap + 2 * ars);
            c20 = _mm256_fmadd_pd(x, b0, c20);
            c21 = _mm256_fmadd_pd(x, b1, c21);
        }
        if (mr > 3) {
            x = _mm256_broadcast_sd(ap + 3 * ars);
            c30 = _mm256_fmadd_pd(x, b0, c30);
            c31 = _mm256_fmadd_pd(x, b1, c31);
        }
        if (mr > 4) {
            x = _mm256_broadcast_sd(ap + 4 * ars);
            c40 = _mm256_fmadd_pd(x, b0, c40);
            c41 = _mm256_fmadd_pd(x, b1, c41);
        }
        if (mr > 5) {
            x = _mm256_broadcast_sd(ap + 5 * ars);
            c50 = _mm256_fmadd_pd(x, b0, c50);
            c51 = _mm256_fmadd_pd(x, b1, c51);
        }
    }
#define ROW(i, lo, hi)                                                                   \
    if (mr > i) {                                                                        \
        double *q = cp + i * ldc;                                                        \
        if (masked) {                                                                    \
            if (acc) {                                                                   \
                lo = _mm256_add_pd(_mm256_maskload_pd(q, m0), lo);                       \
                hi = _mm256_add_pd(_mm256_maskload_pd(q + 4, m1), hi);                   \
            }                                                                            \
            _mm256_maskstore_pd(q, m0, lo);                                              \
            _mm256_maskstore_pd(q + 4, m1, hi);                                          \
        } else {                                                                         \
            if (acc) {                                                                   \
                lo = _mm256_add_pd(_mm256_loadu_pd(q), lo);                              \
                hi = _mm256_add_pd(_mm256_loadu_pd(q + 4), hi);                          \
            }                                                                            \
            _mm256_storeu_pd(q, lo);                                                     \
            _mm256_storeu_pd(q + 4, hi);                                                 \
        }                                                                                \
    }
    ROW(0, c00, c01)
    ROW(1, c10, c11)
    ROW(2, c20, c21)
    ROW(3, c30, c31)
    ROW(4, c40, c41)
    ROW(5, c50, c51)
#undef ROW
}

/* tile() for any mr in 1..MR (the switch makes each a constant). */
AVX2_INLINE void tile_any(long mr, const int masked, __m256i m0, __m256i m1, long kn,
                          const double *ap, long ars, long aks, const double *b, long ldb,
                          double *cp, long ldc, int acc)
{
    switch (mr) {
    case 6: tile(6, masked, m0, m1, kn, ap, ars, aks, b, ldb, cp, ldc, acc); break;
    case 5: tile(5, masked, m0, m1, kn, ap, ars, aks, b, ldb, cp, ldc, acc); break;
    case 4: tile(4, masked, m0, m1, kn, ap, ars, aks, b, ldb, cp, ldc, acc); break;
    case 3: tile(3, masked, m0, m1, kn, ap, ars, aks, b, ldb, cp, ldc, acc); break;
    case 2: tile(2, masked, m0, m1, kn, ap, ars, aks, b, ldb, cp, ldc, acc); break;
    default: tile(1, masked, m0, m1, kn, ap, ars, aks, b, ldb, cp, ldc, acc); break;
    }
}

/* Full 8-column block and masked tail block (outlined: one copy each). */
__attribute__((target("avx2,fma"))) static void
tile_full(long mr, long kn, const double *ap, long ars, long aks, const double *b, long ldb,
          double *cp, long ldc, int acc)
{
    const __m256i none = _mm256_setzero_si256();
    tile_any(mr, 0, none, none, kn, ap, ars, aks, b, ldb, cp, ldc, acc);
}

__attribute__((target("avx2,fma"))) static void
tile_mask(long mr, long nt, long kn, const double *ap, long ars, long aks, const double *b,
          long ldb, double *cp, long ldc, int acc)
{
    const __m256i idx0 = _mm256_setr_epi64x(0, 1, 2, 3), idx1 = _mm256_setr_epi64x(4, 5, 6, 7);
    const __m256i lim = _mm256_set1_epi64x(nt);
    __m256i m0 = _mm256_cmpgt_epi64(lim, idx0), m1 = _mm256_cmpgt_epi64(lim, idx1);
    tile_any(mr, 1, m0, m1, kn, ap, ars, aks, b, ldb, cp, ldc, acc);
}

/* Packing buffers, one set per part of a parallel product: a K block of B
 * as column panels Bp[panel][k][8] (a partial last panel padded with zeros),
 * and for a transposed A a row chunk as row tiles Ap[tile][k][MR].  Packing
 * makes the kernel's reads contiguous: the jet tensors have power-of-two row
 * strides (w = 32, 64, ...), and reading a K x 8 panel of them directly maps
 * every row onto a few L1 sets. */
#define NC 128   /* columns of B packed at a time */
#define MC 96    /* rows of a transposed A packed at a time (multiple of MR) */
#ifndef MCF
#define MCF 48   /* rows of a unit-stride A per chunk when B is large (multiple of MR) */
#endif
typedef struct Pack {
    _Alignas(64) double b[KC * NC];
    _Alignas(64) double a[KC * MC];
} Pack;
static Pack packs[RT_MAXT];

/* Panels of nr columns (a constant after inlining: the row copies stay
 * inline moves; 1 x 64 x 20480 with AVX2 took 10 times as long through
 * calls to memcpy). */
static inline __attribute__((always_inline)) void
pack_b(double *Bp, long kn, long nc, const double *B, long ldb, const long nr)
{
    for (long c0 = 0; c0 < nc; c0 += nr) {
        double *d = Bp + c0 * kn;
        long w = nc - c0 < nr ? nc - c0 : nr;
        if (w == nr)
            for (long k = 0; k < kn; k++, d += nr)
                memcpy(d, B + k * ldb + c0, (size_t)nr * sizeof(double));
        else
            for (long k = 0; k < kn; k++, d += nr) {
                const double *s = B + k * ldb + c0;
                long j = 0;
                for (; j < w; j++)
                    d[j] = s[j];
                for (; j < nr; j++)
                    d[j] = 0.0;
            }
    }
}

static void pack_b8(double *Bp, long kn, long nc, const double *B, long ldb)
{
    pack_b(Bp, kn, nc, B, ldb, 8);
}

static void pack_b32(double *Bp, long kn, long nc, const double *B, long ldb)
{
    pack_b(Bp, kn, nc, B, ldb, 32);
}

static void pack_a(double *Ap, long mc, long kn, const double *A, long ars, long aks)
{
    for (long r0 = 0; r0 < mc; r0 += MR) {
        double *d = Ap + r0 * kn;
        long mr = mc - r0 < MR ? mc - r0 : MR;
        if (mr == MR && ars == 1)
            for (long k = 0; k < kn; k++, d += MR)
                memcpy(d, A + r0 + k * aks, MR * sizeof(double));
        else
            for (long k = 0; k < kn; k++, d += MR)
                for (long i = 0; i < mr; i++)
                    d[i] = A[(r0 + i) * ars + k * aks];
    }
}

/* Columns [0, nc) (B packed in Bp) of one K block of length kn (Ap: room
 * for packing a transposed A);
 * acc: add to C (else overwrite).  With a unit-stride A (A streams, B small)
 * row blocks outermost, so MR rows of A stay in L1 across the column panels;
 * with a transposed A (the dW products: long K, B = activations) A is packed
 * by chunks of MC rows and column panels are outermost, so one packed K x 8
 * panel of B stays in L1 across the row blocks of the chunk. */
/* Software prefetch of the rows the next K block will pack (transposed
 * products: both operands stream from memory, and the packing would
 * otherwise wait for them with the FMA units idle).  Region r: nrows rows of
 * len bytes, stride apart; pf_some issues up to n line prefetches. */
typedef struct Prefetch {
    const char *base[2];
    long stride[2], len[2], nrows[2];
    long row, off;   /* position in the current region */
    int reg;         /* current region (2: done) */
    long quota;      /* lines per call */
} Prefetch;

#define PF_MIN 8e6   /* operand bytes beyond which they come from memory, not L3: prefetch
                       (measured: 64x64x20480 dW 35 -> 44 GFLOP/s; 32x32x8000, 4 MB in L3,
                       43 -> 38 with prefetches, so not there) */

static void pf_some(Prefetch *pf)
{
    for (long n = pf->quota; n > 0 && pf->reg < 2; n--) {
        __builtin_prefetch(pf->base[pf->reg] + pf->row * pf->stride[pf->reg] + pf->off, 0, 3);
        pf->off += 64;
        if (pf->off >= pf->len[pf->reg]) {
            pf->off = 0;
            if (++pf->row >= pf->nrows[pf->reg]) {
                pf->row = 0;
                pf->reg++;
            }
        }
    }
}

static void kern(const double *Bp, double *Ap, long M, long nc, long kn, const double *A,
                 long ars, long aks, double *C, long ldc, int acc, Prefetch *pf)
{
    const long n8 = nc & ~7L, nt = nc - n8;
    if (aks == 1) {
        const long mcf = kn * nc > 2048 ? MCF : MR;   /* B beyond ~16 KB: row chunks */
        for (long m0 = 0; m0 < M; m0 += mcf) {
            long m1 = M - m0 < mcf ? M : m0 + mcf;
            for (long c0 = 0; c0 < nc; c0 += 8)
                for (long r0 = m0; r0 < m1; r0 += MR) {
                    long mr = m1 - r0 < MR ? m1 - r0 : MR;
                    if (c0 < n8)
                        tile_full(mr, kn, A + r0 * ars, ars, 1, Bp + c0 * kn, 8,
                                  C + r0 * ldc + c0, ldc, acc);
                    else
                        tile_mask(mr, nt, kn, A + r0 * ars, ars, 1, Bp + n8 * kn, 8,
                                  C + r0 * ldc + n8, ldc, acc);
                }
        }
        return;
    }
    for (long m0 = 0; m0 < M; m0 += MC) {
        long mc = M - m0 < MC ? M - m0 : MC;
        pack_a(Ap, mc, kn, A + m0 * ars, ars, aks);
        for (long c0 = 0; c0 < nc; c0 += 8)
            for (long r0 = 0; r0 < mc; r0 += MR) {
                long mr = mc - r0 < MR ? mc - r0 : MR;
                double *cp = C + (m0 + r0) * ldc + c0;
                const double *ap = Ap + r0 * kn;
                if (c0 < n8)
                    tile_full(mr, kn, ap, 1, MR, Bp + c0 * kn, 8, cp, ldc, acc);
                else
                    tile_mask(mr, nt, kn, ap, 1, MR, Bp + c0 * kn, 8, cp, ldc, acc);
                if (pf)
                    pf_some(pf);
            }
    }
}

/* Rows of the register block at row r0 of M (unpacked paths): MR, except
 * with bal that a short tail (1..3 rows) shares the last two blocks with the
 * block before it (32 rows: 6 6 6 6 4 4, not 6 6 6 6 6 2: a 2-row block does
 * 4 FMAs per 6 loads).  Only for a single K block (operands in L1): micro_gemm
 * dW 32x32x153 52.6 -> 55-58 GFLOP/s in one pair of runs, 32x32x8000 46 -> 43;
 * within the noise of a loaded machine in later runs. */
static long block_rows(long M, long r0, int bal)
{
    long left = M - r0, t = M % MR;
    if (left <= MR)
        return left;
    if (bal && t && t < 4 && left == MR + t)
        return (MR + t + 1) / 2;
    return MR;
}

/* The whole product on one thread with packing buffers pk (K > 0). */
static void gemm_serial(Pack *pk, long M, long N, long K, const double *A, long ars, long aks,
                        const double *B, long ldb, double *C, long ldc, int accumulate)
{
    /* Transposed products with short rows (both row strides <= 32 doubles):
     * no packing; the tiles read A's rows (MR consecutive values) and B's
     * rows straight from L2, which costs less than copying them (measured
     * 32x32x8000: 42 -> 46 GFLOP/s, 32x32x153: 44 -> 53; with 64-wide rows
     * the unpacked reads alias in L1 and packing wins, 44 vs 33). */
    if (aks != 1 && ars == 1 && aks <= 32 && ldb <= 32) {
        const long n8 = N & ~7L, nt = N - n8;
        for (long k0 = 0; k0 < K; k0 += KC) {
            long kn = K - k0 < KC ? K - k0 : KC;
            int acc = accumulate || k0 > 0;
            for (long c0 = 0; c0 < N; c0 += 8)
                for (long r0 = 0, mr; r0 < M; r0 += mr) {
                    mr = block_rows(M, r0, K <= KC);
                    const double *ap = A + k0 * aks + r0, *bp = B + k0 * ldb + c0;
                    double *cp = C + r0 * ldc + c0;
                    if (c0 < n8)
                        tile_full(mr, kn, ap, 1, aks, bp, ldb, cp, ldc, acc);
                    else
                        tile_mask(mr, nt, kn, ap, 1, aks, bp, ldb, cp, ldc, acc);
                }
        }
        return;
    }
    /* Unit-stride A and a small B (at most 2048 doubles read: 16 KB, in L1
     * without set conflicts for every row stride): no packing; the tiles read
     * B's rows in place (no copy of B per call; 153x32x32 59.3 -> 59.9 GFLOP/s in
     * micro_gemm, where the copy is amortised least). */
    if (aks == 1 && K * ldb <= 2048) {
        const long n8 = N & ~7L, nt = N - n8;
        for (long k0 = 0; k0 < K; k0 += KC) {
            long kn = K - k0 < KC ? K - k0 : KC;
            int acc = accumulate || k0 > 0;
            for (long r0 = 0, mr; r0 < M; r0 += mr) {
                mr = block_rows(M, r0, K <= KC);
                const double *ap = A + r0 * ars + k0;
                double *cp = C + r0 * ldc;
                for (long c0 = 0; c0 < n8; c0 += 8)
                    tile_full(mr, kn, ap, ars, 1, B + k0 * ldb + c0, ldb, cp + c0, ldc, acc);
                if (nt)
                    tile_mask(mr, nt, kn, ap, ars, 1, B + k0 * ldb + n8, ldb, cp + n8, ldc, acc);
            }
        }
        return;
    }
    for (long k0 = 0; k0 < K; k0 += KC) {
        long kn = K - k0 < KC ? K - k0 : KC;
        for (long c0 = 0; c0 < N; c0 += NC) {
            long nc = N - c0 < NC ? N - c0 : NC;
            Prefetch pf, *pfp = NULL;
            long kn2 = K - k0 - KC < KC ? K - k0 - KC : KC;   /* the next K block */
            if (aks != 1 && ars == 1 && kn2 > 0 && N <= NC && (double)K * (M + N) * 8 > PF_MIN) {
                long tiles = (M + MR - 1) / MR * ((nc + 7) / 8);
                pf = (Prefetch){{(const char *)(A + (k0 + KC) * aks),
                                 (const char *)(B + (k0 + KC) * ldb)},
                                {aks * 8, ldb * 8}, {M * 8, N * 8}, {kn2, kn2}, 0, 0, 0, 0};
                pf.quota = (kn2 * ((M * 8 + 63) / 64 + (N * 8 + 63) / 64)) / tiles + 1;
                pfp = &pf;
            }
            pack_b8(pk->b, kn, nc, B + k0 * ldb + c0, ldb);
            kern(pk->b, pk->a, M, nc, kn, A + k0 * aks, ars, aks, C + c0, ldc,
                 accumulate || k0 > 0, pfp);
        }
    }
}

/* ---------------------------------------------------------------- AVX-512
 * The same contract with 32 zmm registers: a register block of up to MR rows
 * by NR5 = 32 columns (24 accumulators, 4 vectors of B and 6 broadcasts of a
 * per k, against 12 / 2 / 6 for the AVX2 block), so a 32-wide product reads
 * each row of A once and a K = 32 block amortises the stores of C over 4 times
 * the multiply-adds.  A tail of fewer than 32 columns uses 1..4 vectors, the
 * last one masked (masked lanes are neither read nor written).  Prefetches
 * never change what is computed. */
#define NR5 32
#define UNP5 64   /* transposed products with row strides up to this: unpacked, the next K
                      block prefetched (64x64x20480 dW: packed 67 GFLOP/s, unpacked with
                      pf_some 77-89, with the prefetches in the tiles 84-94; the AVX2
                      kernels pack these) */
#define MCF5 24   /* rows of a unit-stride A per chunk when B is packed (20480x64x64:
                      48 rows 95-108, 24 rows 104-117, 6 or 12 rows 72-84 GFLOP/s) */
#define AVX512_INLINE static inline __attribute__((always_inline, target("avx512f,avx2,fma")))
#define AVX512_FN __attribute__((target("avx512f,avx2,fma"))) static

AVX512_INLINE __m512d ld5(const int masked, __mmask8 mk, const double *p)
{
    return masked ? _mm512_maskz_loadu_pd(mk, p) : _mm512_loadu_pd(p);
}

/* Rows [0, mr) and 8 * nv columns (the last vector masked by mk if masked)
 * of C at cp; mr, nv, masked are constants after inlining. */
AVX512_INLINE void tile5(const int mr, const int nv, const int masked, __mmask8 mk, long kn,
                         const double *ap, long ars, long aks, const double *b, long ldb,
                         double *cp, long ldc, int acc, const char *pq, long pqs, long pqn)
{
    const __m512d z = _mm512_setzero_pd();
    __m512d c00 = z, c01 = z, c02 = z, c03 = z, c10 = z, c11 = z, c12 = z, c13 = z;
    __m512d c20 = z, c21 = z, c22 = z, c23 = z, c30 = z, c31 = z, c32 = z, c33 = z;
    __m512d c40 = z, c41 = z, c42 = z, c43 = z, c50 = z, c51 = z, c52 = z, c53 = z;
    for (long k = 0; k < kn; k++, ap += aks, b += ldb) {
        if (k < pqn)
            __builtin_prefetch(pq + k * pqs, 0, 3);
        const __m512d b0 = ld5(masked && nv == 1, mk, b);
        const __m512d b1 = nv > 1 ? ld5(masked && nv == 2, mk, b + 8) : z;
        const __m512d b2 = nv > 2 ? ld5(masked && nv == 3, mk, b + 16) : z;
        const __m512d b3 = nv > 3 ? ld5(masked && nv == 4, mk, b + 24) : z;
#define R5(i)                                                                            \
    if (mr > i) {                                                                        \
        const __m512d x = _mm512_set1_pd(ap[i * ars]);                                   \
        c##i##0 = _mm512_fmadd_pd(x, b0, c##i##0);                                       \
        if (nv > 1)                                                                      \
            c##i##1 = _mm512_fmadd_pd(x, b1, c##i##1);                                   \
        if (nv > 2)                                                                      \
            c##i##2 = _mm512_fmadd_pd(x, b2, c##i##2);                                   \
        if (nv > 3)                                                                      \
            c##i##3 = _mm512_fmadd_pd(x, b3, c##i##3);                                   \
    }
        R5(0)
        R5(1)
        R5(2)
        R5(3)
        R5(4)
        R5(5)
#undef R5
    }
#define S5(i, j)                                                                         \
    if (mr > i && nv > j) {                                                              \
        double *q = cp + i * ldc + 8 * j;                                                \
        const int last = masked && nv == j + 1;                                          \
        if (acc)                                                                         \
            c##i##j = _mm512_add_pd(ld5(last, mk, q), c##i##j);                          \
        if (last)                                                                        \
            _mm512_mask_storeu_pd(q, mk, c##i##j);                                       \
        else                                                                             \
            _mm512_storeu_pd(q, c##i##j);                                                \
    }
#define S5ROW(i) S5(i, 0) S5(i, 1) S5(i, 2) S5(i, 3)
    S5ROW(0)
    S5ROW(1)
    S5ROW(2)
    S5ROW(3)
    S5ROW(4)
    S5ROW(5)
#undef S5ROW
#undef S5
}

#define T5_ROWS(NV, MASKED)                                                                    \
    switch (mr) {                                                                              \
    case 6: tile5(6, NV, MASKED, mk, kn, ap, ars, aks, b, ldb, cp, ldc, acc, pq, pqs, pqn); break;           \
    case 5: tile5(5, NV, MASKED, mk, kn, ap, ars, aks, b, ldb, cp, ldc, acc, pq, pqs, pqn); break;           \
    case 4: tile5(4, NV, MASKED, mk, kn, ap, ars, aks, b, ldb, cp, ldc, acc, pq, pqs, pqn); break;           \
    case 3: tile5(3, NV, MASKED, mk, kn, ap, ars, aks, b, ldb, cp, ldc, acc, pq, pqs, pqn); break;           \
    case 2: tile5(2, NV, MASKED, mk, kn, ap, ars, aks, b, ldb, cp, ldc, acc, pq, pqs, pqn); break;           \
    default: tile5(1, NV, MASKED, mk, kn, ap, ars, aks, b, ldb, cp, ldc, acc, pq, pqs, pqn); break;          \
    }

/* Full 32-column block, rows [0, mr), mr in 1..MR; tile5_full_pf also
 * prefetches the line at pq + k * pqs at step k < pqn. */
AVX512_FN void tile5_full(long mr, long kn, const double *ap, long ars, long aks, const double *b,
                          long ldb, double *cp, long ldc, int acc)
{
    const __mmask8 mk = 0xff;
    const char *const pq = NULL;
    const long pqs = 0, pqn = 0;
    T5_ROWS(4, 0)
}

AVX512_FN void tile5_full_pf(long mr, long kn, const double *ap, long ars, long aks,
                             const double *b, long ldb, double *cp, long ldc, int acc,
                             const char *pq, long pqs, long pqn)
{
    const __mmask8 mk = 0xff;
    T5_ROWS(4, 0)
}

/* Tail block of nt columns, nt in 1..31 (prefetching as tile5_full_pf). */
AVX512_FN void tile5_part(long mr, long nt, long kn, const double *ap, long ars, long aks,
                          const double *b, long ldb, double *cp, long ldc, int acc,
                          const char *pq, long pqs, long pqn)
{
    const long nv = (nt + 7) / 8;
    const __mmask8 mk = (__mmask8)(0xffu >> (8 * nv - nt));
    switch (nv) {
    case 4: T5_ROWS(4, 1) break;
    case 3: T5_ROWS(3, 1) break;
    case 2: T5_ROWS(2, 1) break;
    default: T5_ROWS(1, 1) break;
    }
}
#undef T5_ROWS

/* Columns [c0, c0 + 32) of C (fewer at the end of N): the full or tail block
 * (prefetching pq + k * pqs for k < pqn). */
static inline void tile5_at(long c0, long N, long mr, long kn, const double *ap, long ars,
                            long aks, const double *b, long ldb, double *cp, long ldc, int acc,
                            const char *pq, long pqs, long pqn)
{
    if (N - c0 >= NR5 && pqn > 0)
        tile5_full_pf(mr, kn, ap, ars, aks, b, ldb, cp, ldc, acc, pq, pqs, pqn);
    else if (N - c0 >= NR5)
        tile5_full(mr, kn, ap, ars, aks, b, ldb, cp, ldc, acc);
    else
        tile5_part(mr, N - c0, kn, ap, ars, aks, b, ldb, cp, ldc, acc, pq, pqs, pqn);
}

/* kern() with 32-column panels (Bp packed by pack_b32). */
static void kern5(const double *Bp, double *Ap, long M, long nc, long kn, const double *A,
                  long ars, long aks, double *C, long ldc, int acc, Prefetch *pf)
{
    if (aks == 1) {
        const long mcf = kn * nc > 2048 ? MCF5 : MR;
        for (long m0 = 0; m0 < M; m0 += mcf) {
            long m1 = M - m0 < mcf ? M : m0 + mcf;
            for (long c0 = 0; c0 < nc; c0 += NR5)
                for (long r0 = m0; r0 < m1; r0 += MR) {
                    long mr = m1 - r0 < MR ? m1 - r0 : MR;
                    tile5_at(c0, nc, mr, kn, A + r0 * ars, ars, 1, Bp + c0 * kn, NR5,
                             C + r0 * ldc + c0, ldc, acc, NULL, 0, 0);
                }
        }
        return;
    }
    for (long m0 = 0; m0 < M; m0 += MC) {
        long mc = M - m0 < MC ? M - m0 : MC;
        pack_a(Ap, mc, kn, A + m0 * ars, ars, aks);
        for (long c0 = 0; c0 < nc; c0 += NR5)
            for (long r0 = 0; r0 < mc; r0 += MR) {
                long mr = mc - r0 < MR ? mc - r0 : MR;
                tile5_at(c0, nc, mr, kn, Ap + r0 * kn, 1, MR, Bp + c0 * kn, NR5,
                         C + (m0 + r0) * ldc + c0, ldc, acc, NULL, 0, 0);
                if (pf)
                    pf_some(pf);
            }
    }
}

/* Prefetch of the K block after [k0, k0 + KC) of a transposed product
 * (a(r, k) = A[r + k * aks], B rows of N), spread over the tiles of one
 * block (row blocks x cpan column panels): pf set up and returned, or NULL
 * when there is no next block or the operands are small enough for L3. */
static Prefetch *pf_next(Prefetch *pf, long M, long N, long K, long k0, const double *A,
                         long aks, const double *B, long ldb, long cpan)
{
    long kn2 = K - k0 - KC < KC ? K - k0 - KC : KC;
    if (kn2 <= 0 || (double)K * (M + N) * 8 <= PF_MIN)
        return NULL;
    long tiles = (M + MR - 1) / MR * cpan;
    *pf = (Prefetch){{(const char *)(A + (k0 + KC) * aks), (const char *)(B + (k0 + KC) * ldb)},
                     {aks * 8, ldb * 8}, {M * 8, N * 8}, {kn2, kn2}, 0, 0, 0, 0};
    pf->quota = (kn2 * ((M * 8 + 63) / 64 + (N * 8 + 63) / 64)) / tiles + 1;
    return pf;
}

/* gemm_serial() with the AVX-512 blocks; the same three paths, except that
 * transposed products with row strides up to UNP5 (64) run unpacked, with
 * the next K block prefetched when the operands exceed PF_MIN, and so do
 * one-row products (the output layer's dW, 1 x 64 x 20480: B streams once
 * instead of being packed). */
static void gemm_serial5(Pack *pk, long M, long N, long K, const double *A, long ars, long aks,
                         const double *B, long ldb, double *C, long ldc, int accumulate)
{
    if ((M == 1 || (aks != 1 && ars == 1)) && aks <= UNP5 && ldb <= UNP5) {
        for (long k0 = 0; k0 < K; k0 += KC) {
            long kn = K - k0 < KC ? K - k0 : KC;
            int acc = accumulate || k0 > 0;
            Prefetch pf;
            Prefetch *pfp = pf_next(&pf, M, N, K, k0, A, aks, B, ldb, (N + NR5 - 1) / NR5);
            /* With at least as many tiles as lines per row of A and B, tile t
             * prefetches line t of every row of the next block, one per k. */
            const long ca = (M * 8 + 63) / 64, cb = (N * 8 + 63) / 64;
            const int intile = pfp && ca + cb <= (M + MR - 1) / MR * ((N + NR5 - 1) / NR5);
            long t = 0;
            for (long c0 = 0; c0 < N; c0 += NR5)
                for (long r0 = 0, mr; r0 < M; r0 += mr, t++) {
                    mr = block_rows(M, r0, K <= KC);
                    const char *pq = NULL;
                    long pqs = 0, pqn = 0;
                    if (intile && t < ca + cb) {
                        pqn = pf.nrows[0];
                        if (t < ca) {
                            pq = (const char *)(A + (k0 + KC) * aks) + 64 * t;
                            pqs = aks * 8;
                        } else {
                            pq = (const char *)(B + (k0 + KC) * ldb) + 64 * (t - ca);
                            pqs = ldb * 8;
                        }
                    }
                    tile5_at(c0, N, mr, kn, A + k0 * aks + r0, 1, aks, B + k0 * ldb + c0, ldb,
                             C + r0 * ldc + c0, ldc, acc, pq, pqs, pqn);
                    if (pfp && !intile)
                        pf_some(pfp);
                }
        }
        return;
    }
    if (aks == 1 && K * ldb <= 2048) {
        for (long k0 = 0; k0 < K; k0 += KC) {
            long kn = K - k0 < KC ? K - k0 : KC;
            int acc = accumulate || k0 > 0;
            for (long r0 = 0, mr; r0 < M; r0 += mr) {
                mr = block_rows(M, r0, K <= KC);
                for (long c0 = 0; c0 < N; c0 += NR5)
                    tile5_at(c0, N, mr, kn, A + r0 * ars + k0, ars, 1, B + k0 * ldb + c0, ldb,
                             C + r0 * ldc + c0, ldc, acc, NULL, 0, 0);
            }
        }
        return;
    }
    for (long k0 = 0; k0 < K; k0 += KC) {
        long kn = K - k0 < KC ? K - k0 : KC;
        for (long c0 = 0; c0 < N; c0 += NC) {
            long nc = N - c0 < NC ? N - c0 : NC;
            Prefetch pf, *pfp = NULL;
            if (aks != 1 && ars == 1 && N <= NC)
                pfp = pf_next(&pf, M, N, K, k0, A, aks, B, ldb, (nc + NR5 - 1) / NR5);
            pack_b32(pk->b, kn, nc, B + k0 * ldb + c0, ldb);
            kern5(pk->b, pk->a, M, nc, kn, A + k0 * aks, ars, aks, C + c0, ldc,
                  accumulate || k0 > 0, pfp);
        }
    }
}

/* ---------------------------------------------------------------- threads
 * A fixed pool of nthreads - 1 workers, started by rt_gemm_threads and kept
 * for the life of the process.  rt_parallel(nparts, fn, arg) runs
 * fn(arg, 0..nparts-1), part 0 on the caller, and returns when all are done.
 * Workers sleep on a condition variable between jobs (the machine may be
 * shared: no spinning). */
static struct {
    pthread_mutex_t mu;
    pthread_cond_t go, done;
    int nworkers;               /* started workers */
    unsigned long gen;          /* job number */
    int nparts, pending;        /* parts of the current job, parts not finished */
    void (*fn)(void *, int);
    void *arg;
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER,
          0, 0, 0, 0, NULL, NULL};

static _Thread_local int tl_id;       /* 0 on the caller, k on worker k: its Pack */
static _Thread_local int tl_in_job;   /* inside a part: nested work stays serial */

static void *worker(void *argp)
{
    const int part = (int)(intptr_t)argp;
    unsigned long seen = 0;
    tl_id = part;
    tl_in_job = 1;
    pthread_mutex_lock(&pool.mu);
    for (;;) {
        while (pool.gen == seen)
            pthread_cond_wait(&pool.go, &pool.mu);
        seen = pool.gen;
        if (part >= pool.nparts)
            continue;
        void (*fn)(void *, int) = pool.fn;
        void *arg = pool.arg;
        pthread_mutex_unlock(&pool.mu);
        fn(arg, part);
        pthread_mutex_lock(&pool.mu);
        if (--pool.pending == 0)
            pthread_cond_signal(&pool.done);
    }
    return NULL;
}

void rt_gemm_threads(int n)
{
    (void)gemm_isa();   /* CPU checks done here, before any worker can run a product */
    nthreads = n < 1 ? 1 : n > RT_MAXT ? RT_MAXT : n;
    pthread_mutex_lock(&pool.mu);
    while (pool.nworkers < nthreads - 1) {
        pthread_t th;
        pthread_attr_t at;
        int ok = pthread_attr_init(&at) == 0;
        ok = ok && pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED) == 0 &&
             pthread_create(&th, &at, worker, (void *)(intptr_t)(pool.nworkers + 1)) == 0;
        pthread_attr_destroy(&at);
        if (!ok)
            break;   /* fewer workers: the parts run on the threads there are */
        pool.nworkers++;
    }
    pthread_mutex_unlock(&pool.mu);
}

int rt_parallel_width(void)
{
    if (tl_in_job)
        return 1;
    return nthreads < pool.nworkers + 1 ? nthreads : pool.nworkers + 1;
}

void rt_parallel(int nparts, void (*fn)(void *arg, int part), void *arg)
{
    int width = rt_parallel_width();
    if (nparts <= 1 || width <= 1) {
        for (int p = 0; p < nparts; p++)
            fn(arg, p);
        return;
    }
    if (nparts > width)
        RT_ICE("rt_parallel: %d parts on %d threads", nparts, width);
    pthread_mutex_lock(&pool.mu);
    pool.fn = fn;
    pool.arg = arg;
    pool.nparts = nparts;
    pool.pending = nparts - 1;
    pool.gen++;
    pthread_cond_broadcast(&pool.go);
    pthread_mutex_unlock(&pool.mu);
    tl_in_job = 1;
    fn(arg, 0);
    tl_in_job = 0;
    pthread_mutex_lock(&pool.mu);
    while (pool.pending > 0)
        pthread_cond_wait(&pool.done, &pool.mu);
    pthread_mutex_unlock(&pool.mu);
}

/* A product split into parts: rows (unit-stride A) or 8-column panels
 * (transposed A) per part, each computed by gemm_serial exactly as the
 * single-threaded product would compute those elements. */
typedef struct GemmJob {
    long M, N, K, ars, aks, ldb, ldc, step;   /* step: rows or columns per part */
    const double *A, *B;
    double *C;
    int acc, isa;   /* isa: gemm_isa() on the calling thread */
} GemmJob;

/* gemm_serial or gemm_serial5, as isa (gemm_isa(), 1 or 2) says. */
static void serial(int isa, Pack *pk, long M, long N, long K, const double *A, long ars,
                   long aks, const double *B, long ldb, double *C, long ldc, int accumulate)
{
    if (isa == 2)
        gemm_serial5(pk, M, N, K, A, ars, aks, B, ldb, C, ldc, accumulate);
    else
        gemm_serial(pk, M, N, K, A, ars, aks, B, ldb, C, ldc, accumulate);
}

static void gemm_part(void *argp, int part)
{
    const GemmJob *j = argp;
    long lo = part * j->step;
    if (j->aks == 1) {
        long m = j->M - lo < j->step ? j->M - lo : j->step;
        if (m > 0)
            serial(j->isa, &packs[part], m, j->N, j->K, j->A + lo * j->ars, j->ars, 1, j->B, j->ldb,
                        j->C + lo * j->ldc, j->ldc, j->acc);
    } else {
        long n = j->N - lo < j->step ? j->N - lo : j->step;
        if (n > 0)
            serial(j->isa, &packs[part], j->M, n, j->K, j->A, j->ars, j->aks, j->B + lo, j->ldb,
                        j->C + lo, j->ldc, j->acc);
    }
}

#define PAR_MIN 2e6   /* multiply-adds below which a product stays on one thread */

void rt_gemm(long M, long N, long K, const double *A, long ars, long aks, const double *B,
             long ldb, double *C, long ldc, int accumulate)
{
    if (M <= 0 || N <= 0)
        return;
    if (K <= 0) {
        if (!accumulate)
            for (long r = 0; r < M; r++)
                for (long c = 0; c < N; c++)
                    C[r * ldc + c] = 0.0;
        return;
    }
    const int isa = gemm_isa();   /* read once: the parts use the caller's level */
    if (isa == 0) {   /* portable path: OpenBLAS (a(r,k) is A or A^T with a unit stride) */
        if (aks == 1)   /* one row: ars is arbitrary (1 for a transposed A), BLAS wants >= K */
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)M, (int)N, (int)K, 1.0,
                        A, (int)(M == 1 ? K : ars), B, (int)ldb, accumulate ? 1.0 : 0.0, C,
                        (int)ldc);
        else if (ars == 1)
            cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)M, (int)N, (int)K, 1.0, A,
                        (int)aks, B, (int)ldb, accumulate ? 1.0 : 0.0, C, (int)ldc);
        else
            RT_ICE("rt_gemm: A needs a unit stride");
        return;
    }
    int width = rt_parallel_width();
    if (width > 1 && (double)M * N * K >= PAR_MIN) {
        GemmJob j = {M, N, K, ars, aks, ldb, ldc, 0, A, B, C, accumulate, isa};
        long units = aks == 1 ? (M + MR - 1) / MR : (N + 7) / 8;   /* row blocks or panels */
        long per = (units + width - 1) / width;
        j.step = per * (aks == 1 ? MR : 8);
        int nparts = (int)((units + per - 1) / per);
        if (nparts > 1) {
            rt_parallel(nparts, gemm_part, &j);
            return;
        }
    }
    serial(isa, &packs[tl_id], M, N, K, A, ars, aks, B, ldb, C, ldc, accumulate);
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

/* ---------------------------------------------------------------- layer glue
 * Row-wise helpers for net.c, vectorised over the w columns: each element
 * gets the same operations in the same order as the scalar loops they
 * replace (adds only), so the results are bitwise the same. */
__attribute__((target("avx2"))) static void add_bias_avx2(long n, long w, double *Z,
                                                           const double *b)
{
    const long w4 = w & ~3L;
    for (long i = 0; i < n; i++) {
        double *z = Z + i * w;
        long o = 0;
        for (; o < w4; o += 4)
            _mm256_storeu_pd(z + o, _mm256_add_pd(_mm256_loadu_pd(z + o), _mm256_loadu_pd(b + o)));
        for (; o < w; o++)
            z[o] += b[o];
    }
}

void rt_add_bias(long n, long w, double *Z, const double *b)
{
    if (avx2()) {
        add_bias_avx2(n, w, Z, b);
        return;
    }
    for (long i = 0; i < n; i++)
        for (long o = 0; o < w; o++)
            Z[i * w + o] += b[o];
}

__attribute__((target("avx2"))) static void sum_rows_avx2(long n, long w, const double *Z,
                                                           double *g)
{
    long o = 0;
    for (; o + 16 <= w; o += 16) {   /* four accumulators over the rows, in row order */
        __m256d s0 = _mm256_loadu_pd(g + o), s1 = _mm256_loadu_pd(g + o + 4);
        __m256d s2 = _mm256_loadu_pd(g + o + 8), s3 = _mm256_loadu_pd(g + o + 12);
        for (long i = 0; i < n; i++) {
            const double *z = Z + i * w + o;
            s0 = _mm256_add_pd(s0, _mm256_loadu_pd(z));
            s1 = _mm256_add_pd(s1, _mm256_loadu_pd(z + 4));
            s2 = _mm256_add_pd(s2, _mm256_loadu_pd(z + 8));
            s3 = _mm256_add_pd(s3, _mm256_loadu_pd(z + 12));
        }
        _mm256_storeu_pd(g + o, s0);
        _mm256_storeu_pd(g + o + 4, s1);
        _mm256_storeu_pd(g + o + 8, s2);
        _mm256_storeu_pd(g + o + 12, s3);
    }
    for (; o + 4 <= w; o += 4) {
        __m256d s0 = _mm256_loadu_pd(g + o);
        for (long i = 0; i < n; i++)
            s0 = _mm256_add_pd(s0, _mm256_loadu_pd(Z + i * w + o));
        _mm256_storeu_pd(g + o, s0);
    }
    for (; o < w; o++)
        for (long i = 0; i < n; i++)
            g[o] += Z[i * w + o];
}

void rt_sum_rows(long n, long w, const double *Z, double *g)
{
    if (avx2()) {
        sum_rows_avx2(n, w, Z, g);
        return;
    }
    for (long i = 0; i < n; i++)
        for (long o = 0; o < w; o++)
            g[o] += Z[i * w + o];
}

__attribute__((target("avx2"))) static void transpose_avx2(long rows, long cols, const double *W,
                                                            double *Wt)
{
    const long r4 = rows & ~3L, c4 = cols & ~3L;
    for (long r = 0; r < r4; r += 4)
        for (long k = 0; k < c4; k += 4) {   /* 4 x 4 block */
            __m256d a0 = _mm256_loadu_pd(W + r * cols + k);
            __m256d a1 = _mm256_loadu_pd(W + (r + 1) * cols + k);
            __m256d a2 = _mm256_loadu_pd(W + (r + 2) * cols + k);
            __m256d a3 = _mm256_loadu_pd(W + (r + 3) * cols + k);
            __m256d t0 = _mm256_unpacklo_pd(a0, a1), t1 = _mm256_unpackhi_pd(a0, a1);
            __m256d t2 = _mm256_unpacklo_pd(a2, a3), t3 = _mm256_unpackhi_pd(a2, a3);
            _mm256_storeu_pd(Wt + k * rows + r, _mm256_permute2f128_pd(t0, t2, 0x20));
            _mm256_storeu_pd(Wt + (k + 1) * rows + r, _mm256_permute2f128_pd(t1, t3, 0x20));
            _mm256_storeu_pd(Wt + (k + 2) * rows + r, _mm256_permute2f128_pd(t0, t2, 0x31));
            _mm256_storeu_pd(Wt + (k + 3) * rows + r, _mm256_permute2f128_pd(t1, t3, 0x31));
        }
    for (long r = 0; r < rows; r++)
        for (long k = r < r4 ? c4 : 0; k < cols; k++)
            Wt[k * rows + r] = W[r * cols + k];
}

void rt_transpose(long rows, long cols, const double *W, double *Wt)
{
    if (avx2()) {
        transpose_avx2(rows, cols, W, Wt);
        return;
    }
    for (long r = 0; r < rows; r++)
        for (long k = 0; k < cols; k++)
            Wt[k * rows + r] = W[r * cols + k];
}

/* Z[i][o] = b[o] + Wt[0][o] x_0(i) + Wt[1][o] x_1(i) + ... (left to right,
 * separate multiplies and adds), x_m(i) = X[m * ldx + i]: the first layer on
 * raw inputs, i < n, o < w, m < nin. */
__attribute__((target("avx2"))) static void affine_rows_avx2(long n, long w, long nin,
                                                              const double *X, long ldx,
                                                              const double *Wt, const double *b,
                                                              double *Z)
{
    const long w4 = w & ~3L;
    for (long i = 0; i < n; i++) {
        double *z = Z + i * w;
        for (long o = 0; o < w4; o += 4) {
            __m256d s = _mm256_loadu_pd(b + o);
            for (long m = 0; m < nin; m++)
                s = _mm256_add_pd(s, _mm256_mul_pd(_mm256_loadu_pd(Wt + m * w + o),
                                                   _mm256_set1_pd(X[m * ldx + i])));
            _mm256_storeu_pd(z + o, s);
        }
        for (long o = w4; o < w; o++) {
            double s = b[o];
            for (long m = 0; m < nin; m++)
                s += Wt[m * w + o] * X[m * ldx + i];
            z[o] = s;
        }
    }
}

void rt_affine_rows(long n, long w, long nin, const double *X, long ldx, const double *Wt,
                    const double *b, double *Z)
{
    if (avx2()) {
        affine_rows_avx2(n, w, nin, X, ldx, Wt, b, Z);
        return;
    }
    for (long i = 0; i < n; i++)
        for (long o = 0; o < w; o++) {
            double s = b[o];
            for (long m = 0; m < nin; m++)
                s += Wt[m * w + o] * X[m * ldx + i];
            Z[i * w + o] = s;
        }
}

/* G[m][o] += Z[0][o] x_m(0) + Z[1][o] x_m(1) + ... (rows in order, separate
 * multiplies and adds), x_m(i) = X[m * ldx + i]: the first layer's weight
 * gradient, i < n, o < w, m < nin. */
__attribute__((target("avx2"))) static void rows_xacc_avx2(long n, long w, long nin,
                                                            const double *X, long ldx,
                                                            const double *Z, double *G)
{
    for (long m = 0; m < nin; m++) {
        const double *x = X + m * ldx;
        double *g = G + m * w;
        long o = 0;
        for (; o + 16 <= w; o += 16) {
            __m256d s0 = _mm256_loadu_pd(g + o), s1 = _mm256_loadu_pd(g + o + 4);
            __m256d s2 = _mm256_loadu_pd(g + o + 8), s3 = _mm256_loadu_pd(g + o + 12);
            for (long i = 0; i < n; i++) {
                const double *z = Z + i * w + o;
                const __m256d xi = _mm256_set1_pd(x[i]);
                s0 = _mm256_add_pd(s0, _mm256_mul_pd(_mm256_loadu_pd(z), xi));
                s1 = _mm256_add_pd(s1, _mm256_mul_pd(_mm256_loadu_pd(z + 4), xi));
                s2 = _mm256_add_pd(s2, _mm256_mul_pd(_mm256_loadu_pd(z + 8), xi));
                s3 = _mm256_add_pd(s3, _mm256_mul_pd(_mm256_loadu_pd(z + 12), xi));
            }
            _mm256_storeu_pd(g + o, s0);
            _mm256_storeu_pd(g + o + 4, s1);
            _mm256_storeu_pd(g + o + 8, s2);
            _mm256_storeu_pd(g + o + 12, s3);
        }
        for (; o + 4 <= w; o += 4) {
            __m256d s0 = _mm256_loadu_pd(g + o);
            for (long i = 0; i < n; i++)
                s0 = _mm256_add_pd(s0, _mm256_mul_pd(_mm256_loadu_pd(Z + i * w + o),
                                                     _mm256_set1_pd(x[i])));
            _mm256_storeu_pd(g + o, s0);
        }
        for (; o < w; o++)
            for (long i = 0; i < n; i++)
                g[o] += Z[i * w + o] * x[i];
    }
}

void rt_rows_xacc(long n, long w, long nin, const double *X, long ldx, const double *Z, double *G)
{
    if (avx2()) {
        rows_xacc_avx2(n, w, nin, X, ldx, Z, G);
        return;
    }
    for (long m = 0; m < nin; m++)
        for (long i = 0; i < n; i++)
            for (long o = 0; o < w; o++)
                G[m * w + o] += Z[i * w + o] * X[m * ldx + i];
}
