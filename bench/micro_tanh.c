/* micro_tanh.c -- times hy_act_eval(HY_ACT_TANH, n, z, nd, d) (not a test).
 *
 * n = 4896 pre-activations uniform in [-4, 4] (the width-32 hidden layers of
 * the small PINN examples see this many per evaluation; the tanh kernel is
 * branch-free, so the distribution does not change its speed).  For nd = 0..3
 * it prints ns per element: the best of 60 short groups in thread CPU time
 * (the machine may be shared), one thread.
 *   build: make BUILD=build-ht build-ht/libhyrt.a && gcc -O2 -Iruntime \
 *          -I/usr/include/x86_64-linux-gnu/openblas-pthread bench/micro_tanh.c \
 *          build-ht/libhyrt.a -lopenblas -lmvec -lm -o build-ht/micro_tanh
 *   run:   build-ht/micro_tanh [n]
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "hyrt.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 4896;
    if (n < 1)
        n = 4896;
    double *z = malloc(sizeof(double) * (size_t)n * 5), *d[6] = {0};
    if (!z)
        return 1;
    for (int k = 0; k < 4; k++)
        d[k] = z + (size_t)n * (size_t)(k + 1);
    for (long i = 0; i < n; i++)
        z[i] = 8.0 * hy_rng_uniform(7, 1, (uint64_t)i) - 4.0;
    long reps = 20000000 / n + 1;   /* ~ 20 ms groups: the min is undisturbed */
    for (int nd = 0; nd <= 3; nd++) {
        double best = 1e30, sink = 0;
        for (int g = 0; g < 60; g++) {
            double t0 = now();
            for (long r = 0; r < reps; r++)
                hy_act_eval(HY_ACT_TANH, n, z, nd, d);
            double t = (now() - t0) / reps;
            best = t < best ? t : best;
            sink += d[0][g % n] + d[nd][(g * 7) % n];
        }
        printf("tanh nd=%d  n=%ld  %.3f ns/element  (check %.3g)\n", nd, n, 1e9 * best / n, sink);
    }
    free(z);
    return 0;
}
