/* sim.c -- differentiable time-stepping simulators on uniform grids: the
 * runtime half of a .hyco 'sim' block (the compiler emits the right-hand
 * side, its adjoint and the initial state; see compiler/emit_sim.c).
 *
 * Contracts are in hyrt_api.h ("simulators").  The model: a grid of N
 * points (1-D or 2-D, point (ix, iy) at index ix * ny + iy), nf state
 * fields U [nf][N], dU/dt = F(U, p) with F evaluated by the emitted rhs at
 * the free points (all points, or the interior of a Dirichlet grid, whose
 * boundary points keep their value), advanced by explicit Euler or classic
 * RK4 with a fixed dt for `steps` steps; the states at steps k * save
 * (k = 0 .. nsnap) are the snapshots.
 *
 * Gradients are the discrete adjoint of exactly the arithmetic done
 * forward (no finite differences): the caller seeds the adjoints of the
 * snapshots (hy_sim_sample_adj, hy_sim_snapshots_adj), hy_sim_backward
 * sweeps back through the steps with the emitted adjoint of F (the
 * transposed Jacobian-vector product and the parameter gradient,
 * generated symbolically by the compiler) and accumulates d(loss)/dp into
 * hy_grads.  One step backwards, lam the adjoint of U_{s+1}:
 *   Euler  U' = U + dt F(U):        lam += J(U)^T (dt lam),  g += dt F_p(U)^T lam
 *   RK4    k1 = F(U), Y2 = U + dt/2 k1, k2 = F(Y2), Y3 = U + dt/2 k2,
 *          k3 = F(Y3), Y4 = U + dt k3, k4 = F(Y4),
 *          U' = U + dt/6 (k1 + 2 k2 + 2 k3 + k4):
 *          kb4 = dt/6 lam, Yb = J(Y4)^T kb4, Ub = lam + Yb,
 *          kb3 = dt/3 lam + dt Yb, Yb = J(Y3)^T kb3, Ub += Yb,
 *          kb2 = dt/3 lam + dt/2 Yb, Yb = J(Y2)^T kb2, Ub += Yb,
 *          kb1 = dt/6 lam + dt/2 Yb, Ub += J(U)^T kb1, lam = Ub
 *          (each J(Y)^T kb also adds F_p(Y)^T kb to g).
 * The adjoint needs the state before every step: all states are kept when
 * they fit the memory budget (hy_sim_budget), otherwise every K-th state
 * (K = ceil(sqrt(steps))) and each segment is recomputed during the sweep
 * with the same code, so both ways give bitwise the same gradients.
 *
 * Caching: a simulation is a pure function of the parameters it depends on
 * (hy_sim_depends).  It is rerun by the first sample after any of them
 * changed bitwise (so the many evaluations of one training step, or of a
 * substep behind stop(), share one run).
 *
 * Sampling at scattered points (x[, y], t): linear interpolation in time
 * between the snapshots t_k = k save dt (k = 0 .. nsnap), (bi)linear in
 * space; periodic grids wrap, others clamp to the grid (constant
 * extrapolation), times are clamped to [0, steps dt].  The value is linear
 * in the snapshot values, so its adjoint is the transposed scatter with the
 * same weights.
 *
 * Requires: the emitted functions follow the HySim*Fn contracts.
 * Guarantees: deterministic (no threads, fixed operation order); every
 * buffer is allocated once, at the first run; a non-finite state is
 * reported once per simulator (warning), the values stay non-finite so the
 * losses show it.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "rt_internal.h"

typedef struct RtSim {
    char name[RT_NAME_MAX];     /* for messages */
    int dim;                    /* 1 or 2 */
    long n[2];                  /* points per axis (n[1] = 1 in 1-D) */
    double lo[2], h[2];         /* first node and spacing per axis */
    double hi[2];               /* last node per axis (lo + (n - 1) h, as the compiler computed it) */
    int bc;                     /* HY_SIM_PERIODIC, _DIRICHLET, _NEUMANN */
    double bcval;               /* Dirichlet boundary value */
    int nf;                     /* state fields */
    long N;                     /* points: n[0] n[1] */
    int method;                 /* HY_SIM_EULER or HY_SIM_RK4 */
    double dt;
    long steps, save, nsnap;    /* snapshots at steps k save, k = 0 .. nsnap */
    HySimInitFn init;
    HySimRhsFn rhs;
    HySimAdjFn adj;
    HySimInitAdjFn init_adj;    /* NULL when the initial state depends on no parameter */
    int ntr;                    /* trainables the simulation depends on */
    int *tr;
    long npc;                   /* their parameter count */
    double *pcache;             /* their values at the last run [npc] */
    int valid;                  /* snapshots are those of pcache */
    int ready;                  /* buffers allocated */
    double *X;                  /* grid coordinates [dim][N] */
    long *nb;                   /* neighbours [3^dim][N] (stencil offsets, see hyrt_api.h) */
    long *act;                  /* free points [nact] */
    long nact;
    double *snap;               /* snapshots [nsnap + 1][nf][N] */
    double *snap_adj;           /* their seeded adjoints, same layout */
    int pending;                /* snap_adj holds seeds */
    long K;                     /* states kept: every K-th (K = 1: all) */
    double *keep;               /* kept states [steps / K + 1][nf][N] */
    double *seg;                /* one recomputed segment [K][nf][N] (K > 1) */
    double *U, *Y2, *Y3, *Y4, *k, *acc;  /* stepping work [nf][N] each */
    double *lam, *Ub, *Yb, *kb;          /* adjoint work [nf][N] each */
    long runs, sweeps;          /* counters (hy_sim_stats) */
    int warned;                 /* non-finite state reported */
} RtSim;

struct RtSimTab {
    RtSim *s;
    long n, cap;
    long budget;                /* bytes for kept states before checkpointing */
};

static struct RtSimTab *tab(HyCtx *c)
{
    if (!c->sims) {
        c->sims = rt_xcalloc(1, sizeof *c->sims, "simulators");
        c->sims->budget = 256L << 20;
    }
    return c->sims;
}

static RtSim *sim_get(HyCtx *c, int sim, const char *who)
{
    if (!c->sims || sim < 0 || sim >= c->sims->n)
        RT_ICE("%s: no simulator %d", who, sim);
    return &c->sims->s[sim];
}

int hy_sim(HyCtx *c, const char *name, int dim, const long *n, const double *lo, const double *hi,
           const double *h, int bc, double bcval, int nf)
{
    struct RtSimTab *t = tab(c);
    if (dim < 1 || dim > 2 || nf < 1 || bc < HY_SIM_PERIODIC || bc > HY_SIM_NEUMANN)
        RT_ICE("hy_sim '%s': dim %d, nf %d, bc %d", name ? name : "", dim, nf, bc);
    rt_grow((void **)&t->s, &t->cap, t->n, sizeof(RtSim), "simulators");
    RtSim *S = &t->s[t->n];
    memset(S, 0, sizeof *S);
    snprintf(S->name, sizeof S->name, "%s", name ? name : "");
    S->dim = dim;
    S->n[1] = 1;
    S->lo[1] = S->hi[1] = 0;
    S->h[1] = 1;
    for (int a = 0; a < dim; a++) {
        long need = bc == HY_SIM_PERIODIC ? 2 : 3;   /* a Dirichlet axis needs an interior point */
        if (n[a] < need || !(h[a] > 0) || !isfinite(lo[a]) || !isfinite(hi[a]))
            RT_ICE("hy_sim '%s': axis %d has n %ld, h %g", S->name, a, n[a], h[a]);
        S->n[a] = n[a];
        S->lo[a] = lo[a];
        S->hi[a] = hi[a];
        S->h[a] = h[a];
    }
    S->bc = bc;
    S->bcval = bcval;
    S->nf = nf;
    S->N = S->n[0] * S->n[1];
    S->method = HY_SIM_RK4;
    S->dt = 0;
    return (int)t->n++;
}

void hy_sim_steps(HyCtx *c, int sim, int method, double dt, long steps, long save)
{
    RtSim *S = sim_get(c, sim, "hy_sim_steps");
    if ((method != HY_SIM_EULER && method != HY_SIM_RK4) || !(dt > 0) || !isfinite(dt) || steps < 1 ||
        save < 1 || save > steps)
        RT_ICE("hy_sim_steps '%s': method %d, dt %g, steps %ld, save %ld", S->name, method, dt, steps, save);
    S->method = method;
    S->dt = dt;
    S->steps = steps;
    S->save = save;
    S->nsnap = steps / save;
}

void hy_sim_fns(HyCtx *c, int sim, HySimInitFn init, HySimRhsFn rhs, HySimAdjFn adj, HySimInitAdjFn init_adj)
{
    RtSim *S = sim_get(c, sim, "hy_sim_fns");
    if (!init || !rhs || !adj)
        RT_ICE("hy_sim_fns '%s': missing function", S->name);
    S->init = init;
    S->rhs = rhs;
    S->adj = adj;
    S->init_adj = init_adj;
}

void hy_sim_depends(HyCtx *c, int sim, int ntr, const int *trs)
{
    RtSim *S = sim_get(c, sim, "hy_sim_depends");
    if (S->tr || ntr < 0)
        RT_ICE("hy_sim_depends '%s': called twice or ntr %d", S->name, ntr);
    S->tr = rt_xmalloc(sizeof(int) * (size_t)(ntr + 1), "simulator");
    S->ntr = ntr;
    S->npc = 0;
    for (int k = 0; k < ntr; k++) {
        if (trs[k] < 0 || trs[k] >= c->ntr)
            RT_ICE("hy_sim_depends '%s': no trainable %d", S->name, trs[k]);
        S->tr[k] = trs[k];
        S->npc += c->tr[trs[k]].len;
    }
}

void hy_sim_budget(HyCtx *c, long bytes) { tab(c)->budget = bytes; }

void rt_sim_free(HyCtx *c)
{
    struct RtSimTab *t = c->sims;
    if (!t)
        return;
    for (long i = 0; i < t->n; i++) {
        RtSim *S = &t->s[i];
        hy_free(S->tr);
        hy_free(S->pcache);
        hy_free(S->X);
        hy_free(S->nb);
        hy_free(S->act);
        hy_free(S->snap);
        hy_free(S->snap_adj);
        hy_free(S->keep);
        hy_free(S->seg);
        hy_free(S->U);
        hy_free(S->Y2);
        hy_free(S->Y3);
        hy_free(S->Y4);
        hy_free(S->k);
        hy_free(S->acc);
        hy_free(S->lam);
        hy_free(S->Ub);
        hy_free(S->Yb);
        hy_free(S->kb);
    }
    hy_free(t->s);
    hy_free(t);
    c->sims = NULL;
}

/* ---- grid ---- */

/* Neighbour of index ix + d on an axis of n points under bc (d in -1..1). */
static long axis_nb(long ix, int d, long n, int bc)
{
    long j = ix + d;
    if (bc == HY_SIM_PERIODIC)
        return (j % n + n) % n;
    if (bc == HY_SIM_NEUMANN) {   /* mirror: u_{-1} = u_1, u_n = u_{n-2} */
        if (j < 0)
            return 1;
        if (j >= n)
            return n - 2;
        return j;
    }
    return j < 0 ? 0 : j >= n ? n - 1 : j;   /* Dirichlet: only free points use stencils */
}

static void prepare(HyCtx *c, RtSim *S)
{
    if (S->ready)
        return;
    if (!S->rhs || S->dt <= 0 || !S->tr)
        RT_ICE("simulator '%s' used before hy_sim_steps/hy_sim_fns/hy_sim_depends", S->name);
    const long N = S->N, M = (long)S->nf * N;
    const int no = S->dim == 1 ? 3 : 9;
    S->X = rt_xmalloc(sizeof(double) * (size_t)(S->dim * N), "simulator grid");
    S->nb = rt_xmalloc(sizeof(long) * (size_t)(no * N), "simulator grid");
    S->act = rt_xmalloc(sizeof(long) * (size_t)N, "simulator grid");
    double *ax[2];
    for (int a = 0; a < S->dim; a++) {   /* the compiler's mesh formula, bitwise */
        ax[a] = rt_xmalloc(sizeof(double) * (size_t)S->n[a], "simulator grid");
        hy_fill_linspace(ax[a], S->n[a], S->lo[a], S->hi[a]);
    }
    S->nact = 0;
    for (long ix = 0; ix < S->n[0]; ix++)
        for (long iy = 0; iy < S->n[1]; iy++) {
            long i = ix * S->n[1] + iy;
            S->X[i] = ax[0][ix];
            if (S->dim == 2)
                S->X[N + i] = ax[1][iy];
            for (int dx = -1; dx <= 1; dx++)
                for (int dy = -1; dy <= 1; dy++) {
                    if (S->dim == 1 && dy != 0)
                        continue;
                    int o = S->dim == 1 ? dx + 1 : (dx + 1) * 3 + (dy + 1);
                    long jx = axis_nb(ix, dx, S->n[0], S->bc);
                    long jy = S->dim == 1 ? 0 : axis_nb(iy, dy, S->n[1], S->bc);
                    S->nb[(long)o * N + i] = jx * S->n[1] + jy;
                }
            int edge = ix == 0 || ix == S->n[0] - 1 || (S->dim == 2 && (iy == 0 || iy == S->n[1] - 1));
            if (S->bc != HY_SIM_DIRICHLET || !edge)
                S->act[S->nact++] = i;
        }
    for (int a = 0; a < S->dim; a++)
        hy_free(ax[a]);
    S->pcache = rt_xcalloc((size_t)(S->npc + 1), sizeof(double), "simulator");
    S->snap = rt_xcalloc((size_t)((S->nsnap + 1) * M), sizeof(double), "simulator snapshots");
    S->snap_adj = rt_xcalloc((size_t)((S->nsnap + 1) * M), sizeof(double), "simulator snapshots");
    struct RtSimTab *t = tab(c);
    double full = (double)(S->steps + 1) * (double)M * 8.0;
    S->K = 1;
    if (full > (double)t->budget)
        S->K = (long)ceil(sqrt((double)S->steps));
    if (S->K < 1)
        S->K = 1;
    S->keep = rt_xmalloc(sizeof(double) * (size_t)((S->steps / S->K + 1) * M), "simulator trajectory");
    if (S->K > 1)
        S->seg = rt_xmalloc(sizeof(double) * (size_t)(S->K * M), "simulator trajectory");
    double **w[] = {&S->U, &S->Y2, &S->Y3, &S->Y4, &S->k, &S->acc, &S->lam, &S->Ub, &S->Yb, &S->kb};
    for (size_t q = 0; q < sizeof w / sizeof w[0]; q++)
        *w[q] = rt_xcalloc((size_t)M, sizeof(double), "simulator work");
    S->ready = 1;
}

/* ---- forward ---- */

/* F = rhs(Y) (zero at points that are not free). */
static void eval_rhs(HyCtx *c, RtSim *S, const double *Y, double *F)
{
    const long M = (long)S->nf * S->N;
    if (S->nact < S->N)
        memset(F, 0, sizeof(double) * (size_t)M);
    S->rhs(c, S->X, Y, F, S->N, S->nact, S->act, S->nb);
}

/* One step U <- U + dt Phi(U). */
static void step(HyCtx *c, RtSim *S, double *U)
{
    const long M = (long)S->nf * S->N;
    const double dt = S->dt;
    if (S->method == HY_SIM_EULER) {
        eval_rhs(c, S, U, S->k);
        for (long j = 0; j < M; j++)
            U[j] += dt * S->k[j];
        return;
    }
    double *k = S->k, *acc = S->acc, *Y = S->Y2;
    eval_rhs(c, S, U, k);                                  /* k1 */
    for (long j = 0; j < M; j++) { acc[j] = k[j]; Y[j] = U[j] + 0.5 * dt * k[j]; }
    eval_rhs(c, S, Y, k);                                  /* k2 */
    for (long j = 0; j < M; j++) { acc[j] += 2.0 * k[j]; Y[j] = U[j] + 0.5 * dt * k[j]; }
    eval_rhs(c, S, Y, k);                                  /* k3 */
    for (long j = 0; j < M; j++) { acc[j] += 2.0 * k[j]; Y[j] = U[j] + dt * k[j]; }
    eval_rhs(c, S, Y, k);                                  /* k4 */
    for (long j = 0; j < M; j++)
        U[j] += dt / 6.0 * (acc[j] + k[j]);
}

static void initial_state(HyCtx *c, RtSim *S, double *U)
{
    const long M = (long)S->nf * S->N;
    memset(U, 0, sizeof(double) * (size_t)M);
    S->init(c, S->X, U, S->N);
    if (S->bc == HY_SIM_DIRICHLET) {   /* boundary points hold the boundary value */
        long q = 0;
        for (long i = 0; i < S->N; i++) {
            if (q < S->nact && S->act[q] == i) { q++; continue; }
            for (int f = 0; f < S->nf; f++)
                U[(long)f * S->N + i] = S->bcval;
        }
    }
}

/* Runs the simulation with the current parameters: snapshots and kept states. */
static void run(HyCtx *c, RtSim *S)
{
    const long M = (long)S->nf * S->N;
    double *U = S->U;
    initial_state(c, S, U);
    memcpy(S->snap, U, sizeof(double) * (size_t)M);
    memcpy(S->keep, U, sizeof(double) * (size_t)M);
    long bad = -1;
    for (long s = 1; s <= S->steps; s++) {
        step(c, S, U);
        if (s % S->save == 0)
            memcpy(S->snap + (s / S->save) * M, U, sizeof(double) * (size_t)M);
        if (s % S->K == 0)
            memcpy(S->keep + (s / S->K) * M, U, sizeof(double) * (size_t)M);
        if (bad < 0 && (s % S->save == 0 || s == S->steps))
            for (long j = 0; j < M && bad < 0; j++)
                if (!isfinite(U[j]))
                    bad = s;
    }
    if (bad >= 0 && !S->warned) {
        S->warned = 1;
        fprintf(stderr, "hycoc: warning: simulator '%s' became non-finite by step %ld (t = %g); "
                        "the time step may be unstable for these parameters (see the compiler's stability check)\n",
                S->name, bad, (double)bad * S->dt);
    }
    rt_pack(c, S->tr, S->ntr, c->params, S->pcache);
    S->valid = 1;
    S->runs++;
}

/* Makes the snapshots those of the current parameters. */
static void ensure(HyCtx *c, RtSim *S)
{
    prepare(c, S);
    if (!S->valid || !rt_pack_equal(c, S->tr, S->ntr, S->pcache))
        run(c, S);
}

void hy_sim_run(HyCtx *c, int sim)
{
    RtSim *S = sim_get(c, sim, "hy_sim_run");
    prepare(c, S);
    run(c, S);
}

/* ---- sampling ---- */

/* Interpolation stencil of a point: up to 8 (index into snap, weight) pairs.
 * Returns the count. */
static int stencil(const RtSim *S, int field, double x, double y, double t, long *idx, double *w)
{
    const long M = (long)S->nf * S->N;
    const double T = S->save * S->dt;
    double st = t / T;
    if (!(st >= 0))
        st = 0;   /* also NaN */
    if (st > (double)S->nsnap)
        st = (double)S->nsnap;
    long k = (long)floor(st);
    if (k > S->nsnap - 1)
        k = S->nsnap - 1;
    if (k < 0)
        k = 0;
    double wt = st - (double)k;
    long i0[2], i1[2];
    double wx[2];
    for (int a = 0; a < 2; a++) {
        if (a >= S->dim) { i0[a] = i1[a] = 0; wx[a] = 0; continue; }
        double s = ((a == 0 ? x : y) - S->lo[a]) / S->h[a];
        long n = S->n[a];
        if (S->bc == HY_SIM_PERIODIC) {
            if (!isfinite(s))
                s = 0;
            double fl = floor(s);
            double r = s - fl;
            long j = (long)fmod(fl, (double)n);
            if (j < 0)
                j += n;
            i0[a] = j;
            i1[a] = (j + 1) % n;
            wx[a] = r;
        } else {
            if (!(s >= 0))
                s = 0;
            if (s > (double)(n - 1))
                s = (double)(n - 1);
            long j = (long)floor(s);
            if (j > n - 2)
                j = n - 2;
            i0[a] = j;
            i1[a] = j + 1;
            wx[a] = s - (double)j;
        }
    }
    int m = 0;
    for (int kt = 0; kt < 2; kt++)
        for (int ax = 0; ax < 2; ax++)
            for (int ay = 0; ay < (S->dim == 2 ? 2 : 1); ay++) {
                double ww = (kt ? wt : 1 - wt) * (ax ? wx[0] : 1 - wx[0]);
                if (S->dim == 2)
                    ww *= ay ? wx[1] : 1 - wx[1];
                long ix = ax ? i1[0] : i0[0], iy = ay ? i1[1] : i0[1];
                idx[m] = (k + kt) * M + (long)field * S->N + ix * S->n[1] + iy;
                w[m] = ww;
                m++;
            }
    return m;
}

void hy_sim_sample(HyCtx *c, int sim, int field, long n, const double *x, const double *y, const double *t,
                   double *out)
{
    RtSim *S = sim_get(c, sim, "hy_sim_sample");
    if (field < 0 || field >= S->nf || (S->dim == 2 && !y))
        RT_ICE("hy_sim_sample '%s': field %d", S->name, field);
    ensure(c, S);
    long idx[8];
    double w[8];
    for (long i = 0; i < n; i++) {
        int m = stencil(S, field, x[i], S->dim == 2 ? y[i] : 0.0, t[i], idx, w);
        double v = 0;
        for (int q = 0; q < m; q++)
            v += w[q] * S->snap[idx[q]];
        out[i] = v;
    }
}

void hy_sim_sample_adj(HyCtx *c, int sim, int field, long n, const double *x, const double *y,
                       const double *t, const double *g)
{
    RtSim *S = sim_get(c, sim, "hy_sim_sample_adj");
    if (field < 0 || field >= S->nf || (S->dim == 2 && !y))
        RT_ICE("hy_sim_sample_adj '%s': field %d", S->name, field);
    prepare(c, S);
    long idx[8];
    double w[8];
    for (long i = 0; i < n; i++) {
        int m = stencil(S, field, x[i], S->dim == 2 ? y[i] : 0.0, t[i], idx, w);
        for (int q = 0; q < m; q++)
            S->snap_adj[idx[q]] += w[q] * g[i];
    }
    S->pending = 1;
}

/* Snapshot k >= 1 of field f at grid point i is entry (i * nsnap + k - 1). */
void hy_sim_snapshots(HyCtx *c, int sim, int field, double *out)
{
    RtSim *S = sim_get(c, sim, "hy_sim_snapshots");
    if (field < 0 || field >= S->nf)
        RT_ICE("hy_sim_snapshots '%s': field %d", S->name, field);
    ensure(c, S);
    const long M = (long)S->nf * S->N;
    for (long i = 0; i < S->N; i++)
        for (long k = 1; k <= S->nsnap; k++)
            out[i * S->nsnap + k - 1] = S->snap[k * M + (long)field * S->N + i];
}

void hy_sim_snapshots_adj(HyCtx *c, int sim, int field, const double *g)
{
    RtSim *S = sim_get(c, sim, "hy_sim_snapshots_adj");
    if (field < 0 || field >= S->nf)
        RT_ICE("hy_sim_snapshots_adj '%s': field %d", S->name, field);
    prepare(c, S);
    const long M = (long)S->nf * S->N;
    for (long i = 0; i < S->N; i++)
        for (long k = 1; k <= S->nsnap; k++)
            S->snap_adj[k * M + (long)field * S->N + i] += g[i * S->nsnap + k - 1];
    S->pending = 1;
}

/* ---- adjoint ---- */

/* Yb = J(Y)^T W (overwrites Yb), G += F_p(Y)^T W. */
static void adj_rhs(HyCtx *c, RtSim *S, const double *Y, const double *W, double *Yb)
{
    const long M = (long)S->nf * S->N;
    memset(Yb, 0, sizeof(double) * (size_t)M);
    S->adj(c, S->X, Y, W, Yb, c->grads, S->N, S->nact, S->act, S->nb);
}

/* lam (adjoint of the state after one step from U) becomes the adjoint of U. */
static void step_back(HyCtx *c, RtSim *S, const double *U, double *lam)
{
    const long M = (long)S->nf * S->N;
    const double dt = S->dt;
    double *kb = S->kb, *Yb = S->Yb, *Ub = S->Ub;
    if (S->method == HY_SIM_EULER) {
        for (long j = 0; j < M; j++)
            kb[j] = dt * lam[j];
        adj_rhs(c, S, U, kb, Yb);
        for (long j = 0; j < M; j++)
            lam[j] += Yb[j];
        return;
    }
    double *k = S->k, *Y2 = S->Y2, *Y3 = S->Y3, *Y4 = S->Y4;
    eval_rhs(c, S, U, k);
    for (long j = 0; j < M; j++) Y2[j] = U[j] + 0.5 * dt * k[j];
    eval_rhs(c, S, Y2, k);
    for (long j = 0; j < M; j++) Y3[j] = U[j] + 0.5 * dt * k[j];
    eval_rhs(c, S, Y3, k);
    for (long j = 0; j < M; j++) Y4[j] = U[j] + dt * k[j];
    for (long j = 0; j < M; j++) kb[j] = dt / 6.0 * lam[j];
    adj_rhs(c, S, Y4, kb, Yb);
    for (long j = 0; j < M; j++) { Ub[j] = lam[j] + Yb[j]; kb[j] = dt / 3.0 * lam[j] + dt * Yb[j]; }
    adj_rhs(c, S, Y3, kb, Yb);
    for (long j = 0; j < M; j++) { Ub[j] += Yb[j]; kb[j] = dt / 3.0 * lam[j] + 0.5 * dt * Yb[j]; }
    adj_rhs(c, S, Y2, kb, Yb);
    for (long j = 0; j < M; j++) { Ub[j] += Yb[j]; kb[j] = dt / 6.0 * lam[j] + 0.5 * dt * Yb[j]; }
    adj_rhs(c, S, U, kb, Yb);
    for (long j = 0; j < M; j++)
        lam[j] = Ub[j] + Yb[j];
}

static void backward(HyCtx *c, RtSim *S)
{
    const long M = (long)S->nf * S->N;
    double *lam = S->lam;
    memset(lam, 0, sizeof(double) * (size_t)M);
    long s = S->steps;
    /* segments [j K, min((j + 1) K, steps)) of "before" states, last first */
    for (long j = (S->steps - 1) / S->K; j >= 0; j--) {
        long b = j * S->K, e = b + S->K < S->steps ? b + S->K : S->steps;
        const double *base = S->keep + j * M;
        if (S->K > 1) {   /* recompute the segment's states b .. e-1 */
            memcpy(S->seg, base, sizeof(double) * (size_t)M);
            for (long q = b + 1; q < e; q++) {
                memcpy(S->seg + (q - b) * M, S->seg + (q - b - 1) * M, sizeof(double) * (size_t)M);
                step(c, S, S->seg + (q - b) * M);
            }
        }
        for (; s > b; s--) {   /* lam: adjoint of U_s; step s-1 -> s */
            if (s % S->save == 0)
                for (long q = 0; q < M; q++)
                    lam[q] += S->snap_adj[(s / S->save) * M + q];
            const double *U = S->K > 1 ? S->seg + (s - 1 - b) * M : S->keep + (s - 1) * M;
            step_back(c, S, U, lam);
        }
        (void)e;
    }
    for (long q = 0; q < M; q++)
        lam[q] += S->snap_adj[q];
    if (S->init_adj)
        S->init_adj(c, S->X, lam, c->grads, S->N, S->nact, S->act);
    memset(S->snap_adj, 0, sizeof(double) * (size_t)((S->nsnap + 1) * M));
    S->pending = 0;
    S->sweeps++;
}

void hy_sim_backward(HyCtx *c)
{
    if (!c->sims)
        return;
    for (long i = 0; i < c->sims->n; i++) {
        RtSim *S = &c->sims->s[i];
        if (!S->pending)
            continue;
        ensure(c, S);   /* the trajectory of the parameters the seeds belong to */
        backward(c, S);
    }
}

const double *hy_sim_state(HyCtx *c, int sim, long *nsnap, long *npoints, int *nfields)
{
    RtSim *S = sim_get(c, sim, "hy_sim_state");
    ensure(c, S);
    *nsnap = S->nsnap;
    *npoints = S->N;
    *nfields = S->nf;
    return S->snap;
}

void hy_sim_stats(HyCtx *c, int sim, long *runs, long *sweeps, long *kept_every)
{
    RtSim *S = sim_get(c, sim, "hy_sim_stats");
    *runs = S->runs;
    *sweeps = S->sweeps;
    *kept_every = S->K;
}
