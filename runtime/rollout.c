/* rollout.c -- networks as the right-hand side of a simulator: the
 * autoregressive synthetic model of HYCO (a .hyco 'sim' block whose
 * equation is dt(u) = NET(u)).
 *
 * Contracts are in hyrt_api.h ("rollout networks").  The simulator (sim.c)
 * does the time stepping, snapshots, sampling, caching and the adjoint
 * sweep; this file supplies the emitted rhs/adj functions' bodies for a
 * network F = net(U) on the simulator's grid, in one of two modes:
 *   whole state (radius < 0): one evaluation (batch 1) of a network with
 *       din = dout = nf N: input m is U[m] (field f, point i at m = f N + i),
 *       output m is F[m];
 *   local stencil (radius r >= 0): one evaluation per grid point (batch N)
 *       of a network with din = nf K, K = (2r + 1)^dim, dout = nf: input
 *       f K + k of point i is U[f N + nb_k(i)] for offset k (1-D: k = d + r,
 *       d = -r .. r; 2-D: k = (dx + r)(2r + 1) + (dy + r)), output f is
 *       F[f N + i] -- a convolution whose first layer has kernel 2r + 1 and
 *       whose later layers are 1 x 1, the same weights at every point.
 *       Neighbours follow the grid's boundaries: periodic axes wrap
 *       (periodic padding), Neumann axes mirror about the edge node
 *       (u_{-j} = u_j), Dirichlet axes clamp to the edge node.
 * F is written at the free points only (the others stay zero, as sim.c
 * requires).
 *
 * Gradients: the adjoint W of F (at the free points) is the network's
 * output adjoint; the forward at U is recomputed (the plan keeps one
 * evaluation's activations) and the reverse (net.c) adds d/d(weights) into
 * hy_grads and gives d/dX, which is scattered back through the gather
 * (Ub[gather index] += dX).  With sim.c's discrete adjoint of the steps this
 * is backpropagation through time, exact to rounding.
 *
 * Requires: the network is a hy_net trainable declared before hy_rollout;
 * the simulator was declared with the same grid and fields.
 * Guarantees: every buffer is allocated in hy_rollout; evaluation is
 * deterministic (net.c's GEMMs are bitwise for any thread count).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "rt_internal.h"

typedef struct RtRoll {
    int sim;                    /* the simulator served */
    int net;                    /* the network's trainable */
    int nf;
    long N;                     /* grid points */
    int radius;                 /* < 0: whole state */
    int din, dout, batch;
    long *gather;               /* input m of batch entry i reads U[gather[m * batch + i]] */
    JetPlan *plan;
    double *X, *out, *oadj, *dX;  /* [din][batch], [dout][batch], [dout][batch], [din][batch] */
    uint8_t *free_pt;           /* [N] 1: a free point */
} RtRoll;

struct RtRollTab {
    RtRoll *r;
    long n, cap;
};

/* Index of offset d from ix on an axis of n points under bc (|d| < n). */
static long nb_axis(long ix, long d, long n, int bc)
{
    long j = ix + d;
    if (bc == HY_SIM_PERIODIC)
        return ((j % n) + n) % n;
    if (bc == HY_SIM_NEUMANN) {
        if (j < 0)
            j = -j;
        if (j > n - 1)
            j = 2 * (n - 1) - j;
        return j < 0 ? 0 : j > n - 1 ? n - 1 : j;
    }
    return j < 0 ? 0 : j > n - 1 ? n - 1 : j;
}

int hy_rollout(HyCtx *c, int sim, int net, int dim, const long *n, int bc, int nf, int radius)
{
    if (net < 0 || net >= c->ntr || c->tr[net].kind != RT_TR_MLP)
        RT_ICE("hy_rollout: trainable %d is not a network", net);
    if (dim < 1 || dim > 2 || nf < 1 || bc < HY_SIM_PERIODIC || bc > HY_SIM_NEUMANN)
        RT_ICE("hy_rollout: dim %d, nf %d, bc %d", dim, nf, bc);
    const Trainable *t = &c->tr[net];
    long nn[2] = {n[0], dim == 2 ? n[1] : 1};
    long N = nn[0] * nn[1];
    if (!c->rolls)
        c->rolls = rt_xcalloc(1, sizeof *c->rolls, "rollouts");
    struct RtRollTab *tb = c->rolls;
    rt_grow((void **)&tb->r, &tb->cap, tb->n, sizeof(RtRoll), "rollouts");
    RtRoll *R = &tb->r[tb->n];
    memset(R, 0, sizeof *R);
    R->sim = sim;
    R->net = net;
    R->nf = nf;
    R->N = N;
    R->radius = radius;
    long K = 1;
    if (radius >= 0) {
        for (int a = 0; a < dim; a++) {
            if (radius >= nn[a])
                RT_ICE("hy_rollout: radius %d on an axis of %ld points", radius, nn[a]);
            K *= 2L * radius + 1;
        }
        R->din = (int)(nf * K);
        R->dout = nf;
        R->batch = (int)N;
    } else {
        R->din = R->dout = (int)(nf * N);
        R->batch = 1;
    }
    if (t->din != R->din || t->dout != R->dout)
        RT_ICE("hy_rollout: network '%s' is %d -> %d, the rollout needs %d -> %d", t->name, t->din, t->dout, R->din,
               R->dout);
    const long B = R->batch;
    R->gather = rt_xmalloc(sizeof(long) * (size_t)(R->din * B), "rollout");
    if (radius < 0) {
        for (long m = 0; m < R->din; m++)
            R->gather[m] = m;
    } else {
        const long w = 2L * radius + 1;
        for (long ix = 0; ix < nn[0]; ix++)
            for (long iy = 0; iy < nn[1]; iy++) {
                long i = ix * nn[1] + iy;
                for (long k = 0; k < K; k++) {
                    long dx = dim == 1 ? k - radius : k / w - radius, dy = dim == 1 ? 0 : k % w - radius;
                    long j = nb_axis(ix, dx, nn[0], bc) * nn[1] + (dim == 2 ? nb_axis(iy, dy, nn[1], bc) : 0);
                    for (int f = 0; f < nf; f++)
                        R->gather[((long)f * K + k) * B + i] = (long)f * N + j;
                }
            }
    }
    R->X = rt_xcalloc((size_t)(R->din * B), sizeof(double), "rollout");
    R->dX = rt_xcalloc((size_t)(R->din * B), sizeof(double), "rollout");
    R->out = rt_xcalloc((size_t)(R->dout * B), sizeof(double), "rollout");
    R->oadj = rt_xcalloc((size_t)(R->dout * B), sizeof(double), "rollout");
    R->free_pt = rt_xcalloc((size_t)N, 1, "rollout");
    static const int value = 0;
    R->plan = rt_jet_new(c, net, R->batch, 1, &value, R->X, R->out, R->oadj, R->dX);
    return (int)tb->n++;
}

static RtRoll *roll_get(HyCtx *c, int sim, const char *who)
{
    for (long q = 0; c->rolls && q < c->rolls->n; q++)
        if (c->rolls->r[q].sim == sim)
            return &c->rolls->r[q];
    RT_ICE("%s: simulator %d has no rollout network", who, sim);
}

/* Gathers U into X and evaluates the network. */
static void forward(HyCtx *c, RtRoll *R, const double *U)
{
    const long n = (long)R->din * R->batch;
    for (long q = 0; q < n; q++)
        R->X[q] = U[R->gather[q]];
    rt_jet_fwd(c, R->plan);
}

/* Output entry q of batch entry i -> index into F [nf][N]. */
static long out_index(const RtRoll *R, long o, long i)
{
    return R->radius < 0 ? o : o * R->N + i;
}

void hy_rollout_rhs(HyCtx *c, int sim, const double *U, double *F, long nact, const long *act)
{
    RtRoll *R = roll_get(c, sim, "hy_rollout_rhs");
    forward(c, R, U);
    if (R->radius < 0) {
        for (long q = 0; q < nact; q++)
            for (int f = 0; f < R->nf; f++) {
                long m = (long)f * R->N + act[q];
                F[m] = R->out[m];
            }
        return;
    }
    for (int f = 0; f < R->nf; f++)
        for (long q = 0; q < nact; q++)
            F[(long)f * R->N + act[q]] = R->out[(long)f * R->batch + act[q]];
}

void hy_rollout_adj(HyCtx *c, int sim, const double *U, const double *W, double *Ub, long nact, const long *act)
{
    RtRoll *R = roll_get(c, sim, "hy_rollout_adj");
    memset(R->free_pt, 0, (size_t)R->N);
    for (long q = 0; q < nact; q++)
        R->free_pt[act[q]] = 1;
    for (int o = 0; o < R->dout; o++)
        for (long i = 0; i < R->batch; i++) {
            long m = out_index(R, o, i);
            long pt = R->radius < 0 ? m % R->N : i;
            R->oadj[(long)o * R->batch + i] = R->free_pt[pt] ? W[m] : 0.0;
        }
    forward(c, R, U);
    const long n = (long)R->din * R->batch;
    memset(R->dX, 0, sizeof(double) * (size_t)n);
    rt_jet_bwd(c, R->plan);
    for (long q = 0; q < n; q++)
        Ub[R->gather[q]] += R->dX[q];
}

void rt_rollout_free(HyCtx *c)
{
    struct RtRollTab *tb = c->rolls;
    if (!tb)
        return;
    for (long q = 0; q < tb->n; q++) {
        RtRoll *R = &tb->r[q];
        rt_jet_free(R->plan);
        hy_free(R->gather);
        hy_free(R->X);
        hy_free(R->dX);
        hy_free(R->out);
        hy_free(R->oadj);
        hy_free(R->free_pt);
    }
    hy_free(tb->r);
    hy_free(tb);
    c->rolls = NULL;
}
