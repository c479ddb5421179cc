/* peak_dgemm.c -- the machine's measured DGEMM throughput (not a test).
 *
 * OpenBLAS cblas_dgemm with 1 thread (or argv[1]) on square matrices of
 * order 1024..2048, and on the shapes of the PINN training step (C*n x 64
 * by 64 x 64, and the weight gradient 64 x C*n by C*n x 64).  Prints the
 * best of several repetitions in GFLOP/s (2 M N K flops per product) and a
 * final line "peak GFLOP/s: X" (the best square result) for bench/run.
 *   build: gcc -O2 -I/usr/include/x86_64-linux-gnu/openblas-pthread bench/peak_dgemm.c \
 *          -lopenblas -o build/peak_dgemm
 *   run:   build/peak_dgemm [threads]
 */
#define _POSIX_C_SOURCE 200809L
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

extern void openblas_set_num_threads(int);

/* With 1 thread, CPU time of this thread (a shared, loaded machine's other
 * processes do not count); with more, wall time. */
static int use_cpu_clock = 1;
static double now(void)
{
    struct timespec ts;
    clock_gettime(use_cpu_clock ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Best GFLOP/s of C = op(A) B over tries groups of about 0.1 GFLOP each. */
static double run(int M, int N, int K, int transA, int tries)
{
    double *A = malloc(sizeof(double) * (size_t)M * K), *B = malloc(sizeof(double) * (size_t)K * N);
    double *C = malloc(sizeof(double) * (size_t)M * N);
    if (!A || !B || !C) {
        fprintf(stderr, "peak_dgemm: out of memory\n");
        exit(1);
    }
    for (long i = 0; i < (long)M * K; i++)
        A[i] = (double)(i % 17) / 17.0 - 0.5;
    for (long i = 0; i < (long)K * N; i++)
        B[i] = (double)(i % 13) / 13.0 - 0.5;
    double flops = 2.0 * M * N * K, best = 0.0;
    long reps = (long)(1e8 / flops) + 1;
    for (int t = 0; t < tries; t++) {
        double t0 = now();
        for (long r = 0; r < reps; r++)
            cblas_dgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, CblasNoTrans, M, N, K,
                        1.0, A, transA ? M : K, B, N, 0.0, C, N);
        double g = flops * reps / (now() - t0) * 1e-9;
        best = g > best ? g : best;
    }
    free(A);
    free(B);
    free(C);
    return best;
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 1;
    openblas_set_num_threads(threads < 1 ? 1 : threads);
    use_cpu_clock = threads <= 1;
    double peak = 0.0;
    printf("OpenBLAS dgemm, %d thread(s), best of 20 (%s time)\n", threads,
           use_cpu_clock ? "thread CPU" : "wall");
    for (int n = 1024; n <= 2048; n *= 2) {
        double g = run(n, n, n, 0, 20);
        printf("  square %4d:                     %6.1f GFLOP/s\n", n, g);
        peak = g > peak ? g : peak;
    }
    printf("  PINN fwd  20480 x 64 x 64:       %6.1f GFLOP/s\n", run(20480, 64, 64, 0, 5));
    printf("  PINN dW   64 x 64 x 20480 (A^T): %6.1f GFLOP/s\n", run(64, 64, 20480, 1, 5));
    printf("  PINN fwd  153 x 32 x 32:         %6.1f GFLOP/s\n", run(153, 32, 32, 0, 5));
    printf("peak GFLOP/s: %.1f\n", peak);
    return 0;
}
