/* optim.c -- optimizers.
 *
 * Adam (HY_OPT_ADAM), hyper = {lr, beta1, beta2, eps}, exactly as
 * torch.optim.Adam's single-tensor path (CPU default, no weight decay, no
 * amsgrad), in the same operation order so float64 results match closely:
 *     t += 1
 *     m += (1 - b1) (g - m)              (torch lerp with weight 1 - b1 < 0.5)
 *     v  = b2 v + (1 - b2) g g
 *     p += (-lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 * State layout of one (substep, trainable) pair, len = number of parameters:
 *     [0, len) m,  [len, 2 len) v,  [2 len] step count t (as a double).
 * More kinds: add an enum value in hyrt_api.h, a state length and a case.
 */
#include <math.h>
#include "rt_internal.h"

long rt_opt_state_len(const Trainable *t)
{
    switch (t->opt_kind) {
    case HY_OPT_ADAM:
        return 2 * t->len + 1;
    }
    RT_ICE("unknown optimizer kind %d", t->opt_kind);
}

void rt_opt_step(const Trainable *t, double *p, const double *g, double *st)
{
    switch (t->opt_kind) {
    case HY_OPT_ADAM: {
        const long n = t->len;
        const double lr = t->hyper[0], b1 = t->hyper[1], b2 = t->hyper[2], eps = t->hyper[3];
        double *m = st, *v = st + n;
        double step = st[2 * n] += 1.0;
        const double bc1 = 1.0 - pow(b1, step), bc2s = sqrt(1.0 - pow(b2, step));
        const double neg_step_size = -(lr / bc1), w1 = 1.0 - b1, w2 = 1.0 - b2;
        for (long i = 0; i < n; i++) {
            double gi = g[i];
            if (w1 < 0.5)
                m[i] = m[i] + w1 * (gi - m[i]);
            else
                m[i] = gi - (gi - m[i]) * (1.0 - w1);
            v[i] = v[i] * b2 + gi * gi * w2;
            double denom = sqrt(v[i]) / bc2s + eps;
            p[i] = p[i] + neg_step_size * m[i] / denom;
        }
        return;
    }
    }
    RT_ICE("unknown optimizer kind %d", t->opt_kind);
}
