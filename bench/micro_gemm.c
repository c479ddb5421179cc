/* micro_gemm.c -- times rt_gemm / rt_gemm_dot at the shapes of the PINN jets
 * against OpenBLAS cblas_dgemm (not a test; tests/test_kernels.c checks the
 * results).  GFLOP/s = 2 M N K / time, best of 400 short interleaved groups, in
 * thread CPU time (OpenBLAS runs on 1 thread here).
 *   build: make BUILD=b b/libhyrt.a && gcc -O2 -Iruntime -I/usr/include/x86_64-linux-gnu/openblas-pthread \
 *          bench/micro_gemm.c b/libhyrt.a -lopenblas -lmvec -lm -o b/micro_gemm
 *   run:   b/micro_gemm [-q] [-isa N] [NAME-SUBSTRING]   (-q: rt_gemm only, no OpenBLAS
 *          column; -isa 1: the AVX2 kernels (rt_gemm_isa); a substring: only the shapes
 *          whose name contains it)
 */
#define _POSIX_C_SOURCE 200809L
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "rt_internal.h"

extern void openblas_set_num_threads(int);

/* CPU time of this thread: on a shared, loaded machine it does not count the
 * time slices other processes take (single-threaded timings only). */
static int use_cpu_clock = 1;
static int no_blas;           /* -q */
static const char *only;      /* shape-name filter */
static double now(void)
{
    struct timespec ts;
    clock_gettime(use_cpu_clock ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double *filled(long n, int salt)
{
    double *a = malloc(sizeof(double) * (size_t)n);
    if (!a)
        exit(1);
    for (long i = 0; i < n; i++)
        a[i] = (double)((i * 7 + salt) % 19) / 19.0 - 0.5;
    return a;
}

/* kind 0: C = A B (A M x K); kind 1: C += A^T B (A stored K x M); kind 2: C = A W^T (dot). */
static void shape(const char *name, int kind, long M, long N, long K)
{
    if (only && !strstr(name, only))
        return;
    double *A = filled(M * K, 1), *B = filled(K * N, 2), *C = filled(M * N, 3);
    double flops = 2.0 * M * N * K, g[2] = {0, 0};
    long reps = (long)(2e6 / flops) + 1;   /* ~50 us per timed group: min = undisturbed */
    for (int t = 0; t < 400; t++)
        for (int impl = 0; impl < 2 - no_blas; impl++) {   /* interleaved */
            double t0 = now();
            for (long r = 0; r < reps; r++) {
                if (impl == 0) {
                    if (kind == 0)
                        rt_gemm(M, N, K, A, K, 1, B, N, C, N, 0);
                    else if (kind == 1)
                        rt_gemm(M, N, K, A, 1, M, B, N, C, N, 1);
                    else
                        rt_gemm_dot(M, N, K, A, K, B, K, C, N);
                } else {
                    cblas_dgemm(CblasRowMajor, kind == 1 ? CblasTrans : CblasNoTrans,
                                kind == 2 ? CblasTrans : CblasNoTrans, (int)M, (int)N, (int)K, 1.0,
                                A, kind == 1 ? (int)M : (int)K, B, kind == 2 ? (int)K : (int)N,
                                kind == 1 ? 1.0 : 0.0, C, (int)N);
                }
            }
            double v = flops * reps / (now() - t0) * 1e-9;
            g[impl] = v > g[impl] ? v : g[impl];
        }
    if (no_blas)
        printf("%-38s rt_gemm %6.1f GFLOP/s\n", name, g[0]);
    else
        printf("%-38s rt_gemm %6.1f GFLOP/s   OpenBLAS %6.1f GFLOP/s\n", name, g[0], g[1]);
    fflush(stdout);
    free(A);
    free(B);
    free(C);
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-q") == 0)
            no_blas = 1;
#ifndef NO_ISA
        else if (strcmp(argv[i], "-isa") == 0 && i + 1 < argc)
            printf("# rt_gemm_isa %d\n", rt_gemm_isa(atoi(argv[++i])));
#endif
        else
            only = argv[i];
    }
    openblas_set_num_threads(1);
    /* Poisson 2-D (4096 points, 5 jet components, 2->64x4->1), Burgers 1-D
     * (8200 jet rows, 2->32x4->1), HyCo 1-D (153 and 51 rows, width 32):
     * forward and dA products are C = A B, dW products C += A^T B. */
    shape("2-D fwd/dA  C*n=20480 x 64 x 64", 0, 20480, 64, 64);
    shape("2-D dW      64 x 64 x 20480 (A^T)", 1, 64, 64, 20480);
    shape("Burgers fwd/dA C*n=8200 x 32 x 32", 0, 8200, 32, 32);
    shape("Burgers dW  32 x 32 x 8200 (A^T)", 1, 32, 32, 8200);
    shape("1-D fwd     C*n=153 x 32 x 32", 0, 153, 32, 32);
    shape("1-D fwd     C*n=51 x 32 x 32", 0, 51, 32, 32);
    shape("1-D dW      32 x 32 x 153 (A^T)", 1, 32, 32, 153);
    shape("2-D out dW  1 x 64 x 20480 (A^T)", 1, 1, 64, 20480);
    shape("2-D out     20480 x 1 x 64 (dot)", 2, 20480, 1, 64);
    return 0;
}
