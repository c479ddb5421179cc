/* rng.c -- counter-based random numbers.
 *
 * Every draw is a pure function of (seed, stream, counter): no hidden state,
 * so any draw can be recomputed in any order and results are bitwise
 * reproducible.  Mixing: splitmix64's finalizer (a bijection of 64-bit words,
 * full avalanche) applied in a chain  k = mix(seed); k = mix(k ^ stream);
 * r = mix(mix(k ^ counter) + C).  Uniforms take the top 53 bits and are
 * centred in their bucket, so they lie strictly in (0,1).  Normals use
 * Box-Muller on the uniforms of counters 2c and 2c+1 (cosine branch only).
 *
 * Stream conventions: hy_mlp init uses stream = trainable id; hy_noise uses
 * RT_NOISE_STREAM + the caller's stream, so noise never replays init draws.
 */
#include <math.h>
#include "rt_internal.h"

#define RT_NOISE_STREAM 0x100000000ULL  /* stream domain of hy_noise */

static uint64_t mix(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint64_t hy_rng_u64(uint64_t seed, uint64_t stream, uint64_t counter)
{
    uint64_t k = mix(mix(seed) ^ stream);
    return mix(mix(k ^ counter) + 0x632be59bd9b4e019ULL);
}

double hy_rng_uniform(uint64_t seed, uint64_t stream, uint64_t counter)
{
    /* (m + 0.5) / 2^53 with m in [0, 2^53): in (0,1), exact in float64. */
    return ((double)(hy_rng_u64(seed, stream, counter) >> 11) + 0.5) * 0x1p-53;
}

double hy_rng_normal(uint64_t seed, uint64_t stream, uint64_t counter)
{
    double u1 = hy_rng_uniform(seed, stream, 2 * counter);
    double u2 = hy_rng_uniform(seed, stream, 2 * counter + 1);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586476925 * u2);
}

void hy_noise(HyCtx *c, int stream, long n, double sigma, double *out)
{
    for (long i = 0; i < n; i++)
        out[i] = sigma * hy_rng_normal(c->seed, RT_NOISE_STREAM + (uint64_t)(uint32_t)stream,
                                       (uint64_t)i);
}
