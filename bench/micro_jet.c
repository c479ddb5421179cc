/* micro_jet.c -- times hy_jet_fwd + hy_jet_bwd of one network (not a test).
 *
 * Shapes: (a) the target PINN net 1 -> 1, width 32, depth 3, tanh, 51 points,
 * components {u, u_x, u_xx}; (b) 2 -> 1, width 64, depth 4, tanh, 4096 points,
 * components {u, u_x, u_y, u_xx, u_yy}; (c) the Burgers net 2 -> 1, width 32,
 * depth 4, 2000 points, {u, u_x, u_t, u_xx}.  Times are the best of 60 short
 * groups (the machine may be shared), in thread CPU time with 1 thread.  GFLOP/s counts the nominal matrix
 * products only: 2 C n sum_l(nin_l nout_l) forward, twice that backward (dW
 * and dA), C = internal jet components; activations and elementwise jet
 * arithmetic are extra work not counted.
 *   build: make build/libhyrt.a && gcc -O2 -Iruntime -I/usr/include/x86_64-linux-gnu/openblas-pthread \
 *          bench/micro_jet.c build/libhyrt.a -lopenblas -lmvec -lm -o build/micro_jet
 *   run:   build/micro_jet [threads [shape 1|2|3]]
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "hyrt.h"

/* CPU time of this thread: on a shared, loaded machine it does not count the
 * time slices other processes take (single-threaded timings only). */
static int use_cpu_clock = 1;
static double now(void)
{
    struct timespec ts;
    clock_gettime(use_cpu_clock ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void bench(const char *name, int din, int width, int depth, int n, int ncomp,
                  const int *comps, int C, int threads)
{
    HyCtx *c = hy_ctx_new();
    hy_set_threads(c, threads);
    hy_alloc(c, (long)din * n + (long)ncomp * n, (long)ncomp * n);
    double *X = hy_values(c), *out = X + din * n, *adj = hy_adjoints(c);
    for (long i = 0; i < (long)din * n; i++)
        X[i] = hy_rng_uniform(1, 1, (uint64_t)i);
    for (long i = 0; i < (long)ncomp * n; i++)
        adj[i] = hy_rng_uniform(1, 2, (uint64_t)i) - 0.5;
    int net = hy_mlp(c, "u", din, 1, width, depth, HY_ACT_TANH);
    int plan = hy_jet_plan(c, net, n, ncomp, comps, X, out, adj, NULL);
    double mm = (double)din * width + (double)(depth - 1) * width * width + width;
    double flops_f = 2.0 * C * n * mm, flops = 3.0 * flops_f;
    double tf = 1e30, tfb = 1e30;
    long reps = (long)(2e7 / flops) + 1;   /* short timed groups: the min is undisturbed */
    for (int trial = 0; trial < 60; trial++) {
        double t0 = now();
        for (long r = 0; r < reps; r++)
            hy_jet_fwd(c, plan);
        double t1 = now();
        for (long r = 0; r < reps; r++) {
            hy_jet_fwd(c, plan);
            hy_jet_bwd(c, plan);
        }
        double t2 = now();
        tf = (t1 - t0) / reps < tf ? (t1 - t0) / reps : tf;
        tfb = (t2 - t1) / reps < tfb ? (t2 - t1) / reps : tfb;
    }
    printf("%-34s fwd %9.2f us (%5.1f GFLOP/s)   fwd+bwd %9.2f us (%5.1f GFLOP/s)\n", name,
           1e6 * tf, flops_f / tf * 1e-9, 1e6 * tfb, flops / tfb * 1e-9);
    hy_ctx_free(c);
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 1;
    int only = argc > 2 ? atoi(argv[2]) : 0;   /* 1, 2, 3: only shape (a), (b), (c) */
    const int c1[] = {0, 0x01, 0x0101};
    const int c2[] = {0, 0x01, 0x02, 0x0101, 0x0202};
    const int c3[] = {0, 0x01, 0x02, 0x0101};
    use_cpu_clock = threads == 1;
    printf("threads %d (%s time)\n", threads, use_cpu_clock ? "thread CPU" : "wall");
    if (!only || only == 1)
        bench("1->1 w32 d3, 51 pts, {u,ux,uxx}", 1, 32, 3, 51, 3, c1, 3, threads);
    if (!only || only == 2)
        bench("2->1 w64 d4, 4096 pts, {u,ux,uy,uxx,uyy}", 2, 64, 4, 4096, 5, c2, 5, threads);
    if (!only || only == 3)
        bench("2->1 w32 d4, 2000 pts, {u,ux,ut,uxx}", 2, 32, 4, 2000, 4, c3, 4, threads);
    return 0;
}
