/* micro_actjet.c -- times the activation jets of one hidden layer (not a test):
 * rt_act_jet_fwd (hy_act_eval + the components of orders 1, 2) and
 * rt_act_jet_bwd, tanh, the shapes of the benchmark nets:
 *   (1) Burgers   2000 points x width 32, {u, u_x, u_t, u_xx}: nf 2, ns 1 (1,1)
 *   (2) Poisson2d 4096 points x width 64, {u, u_x, u_y, u_xx, u_yy}: nf 2, ns 2
 *   (3) mixed     4096 x 64, nf 2, ns 3: (1,1) (1,2) (2,2)
 * nd = 3 (training: the reverse needs s3), zpq on.  The buffers sit in one
 * malloc block at net.c's offsets.  Also hy_act_eval alone (same nd), so
 * fwd - act = the elementwise part.  Times: best of 40 short groups in
 * thread CPU time, one thread; ns per element per component = time / (n w C).
 * MICRO_ODD=1 adds n = 4095, 2001 (streams not 4096 bytes apart).
 *   build: gcc -O2 -Iruntime -I/usr/include/x86_64-linux-gnu/openblas-pthread \
 *          bench/micro_actjet.c BUILD/libhyrt.a -lopenblas -lmvec -lm -lpthread -ldl -lz
 *   run:   a.out [isa level 0|1|2 (where the library has rt_act_isa)]
 * Measured (2-core Zen 5 VM, shared; old = per-component passes, new = the
 * fused kernels, 3 interleaved runs, ns/element/component):
 *   burgers  fwd-act 0.23-0.24 -> 0.10-0.13, bwd 0.49-0.58 -> 0.31-0.32
 *   poisson2d (DRAM-bound) fwd-act 0.33-0.39 -> 0.33-0.44 (noise), bwd 0.80-0.89 -> 0.70-0.74
 *   mixed    fwd-act 0.39-0.43 -> 0.36-0.38, bwd 1.00-1.10 -> 0.73-0.80
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "rt_internal.h"

#pragma weak rt_act_isa

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

#define BEST(t, reps, stmt)                                    \
    do {                                                       \
        t = 1e30;                                              \
        for (int g_ = 0; g_ < 40; g_++) {                      \
            double t0_ = now();                                \
            for (long r_ = 0; r_ < reps; r_++)                 \
                stmt;                                          \
            double dt_ = (now() - t0_) / (double)reps;         \
            t = dt_ < t ? dt_ : t;                             \
        }                                                      \
    } while (0)

static void bench(const char *name, long n, long w, int nf, int ns, const int (*pair)[2])
{
    const long N = n * w, C = 1 + nf + ns;
    const int nd = 3;
    double *blk = malloc(sizeof(double) * (size_t)((4 * C + nd) * N));
    if (!blk)
        abort();
    double *Z = blk, *A = Z + C * N, *S = A + C * N, *dZ = S + nd * N, *dA = dZ + C * N;
    for (long i = 0; i < C * N; i++) {
        Z[i] = 2.0 * hy_rng_uniform(3, 1, (uint64_t)i) - 1.0;
        dA[i] = hy_rng_uniform(3, 2, (uint64_t)i) - 0.5;
    }
    double *d[4] = {A, S, S + N, S + 2 * N};
    long reps = 20000000 / (N * C) + 1;
    double ta, tf, tb;
    BEST(ta, reps, hy_act_eval(HY_ACT_TANH, N, Z, nd, d));
    BEST(tf, reps, rt_act_jet_fwd(HY_ACT_TANH, N, 0, N, nd, nf, ns, pair, NULL, Z, A, S, 1));
    BEST(tb, reps, rt_act_jet_bwd(N, 0, N, nf, ns, pair, NULL, Z, S, dA, dZ, 1));
    double per = 1e9 / (double)(N * C);
    printf("%-28s act %7.1f us  fwd %7.1f us  fwd-act %7.1f us (%.3f ns/el/comp)  "
           "bwd %7.1f us (%.3f ns/el/comp)\n",
           name, 1e6 * ta, 1e6 * tf, 1e6 * (tf - ta), (tf - ta) * per, 1e6 * tb, tb * per);
    free(blk);
}

int main(int argc, char **argv)
{
    rt_gemm_threads(1);
    if (argc > 1 && rt_act_isa)
        rt_act_isa(atoi(argv[1]));
    printf("isa level %d\n", rt_act_isa ? rt_act_isa(-1) : -1);
    const int p1[1][2] = {{1, 1}}, p2[2][2] = {{1, 1}, {2, 2}}, p3[3][2] = {{1, 1}, {1, 2}, {2, 2}};
    bench("burgers 2000x32 nf2 ns1", 2000, 32, 2, 1, p1);
    bench("poisson2d 4096x64 nf2 ns2", 4096, 64, 2, 2, p2);
    bench("mixed 4096x64 nf2 ns3", 4096, 64, 2, 3, p3);
    if (getenv("MICRO_ODD")) {
        bench("poisson2d 4095x64 nf2 ns2", 4095, 64, 2, 2, p2);
        bench("mixed 4095x64 nf2 ns3", 4095, 64, 2, 3, p3);
        bench("burgers 2001x32 nf2 ns1", 2001, 32, 2, 1, p1);
    }
    return 0;
}
