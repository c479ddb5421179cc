/* steady.c -- steady linear elliptic simulators with adjoint gradients: the
 * runtime half of a .hyco 'sim' block with 'step steady' (the compiler emits
 * the coefficient fields and their parameter derivatives; see
 * compiler/steady.c).  Contracts are in hyrt_api.h ("steady simulators").
 *
 * Problem.  -div(kappa grad u) + eta u = f on a uniform 1-D or 2-D grid of N
 * nodes (index ix * n[1] + iy), kappa, eta, f given at the nodes (K [3][N]).
 * Dirichlet grids hold u = bcval on the edge nodes and solve for the
 * interior ones; Neumann grids solve for every node with zero flux through
 * the boundary.
 *
 * Discretisation (vertex-centred finite volumes = flux-form differences).
 * Every node a owns the cell of the points nearer to it than to any other
 * node, clipped to the grid's box; its measure relative to h_x h_y is s_a =
 * prod over axes of (1/2 at an edge index, else 1).  The flux through the
 * face between neighbours a, b = a + e_ax is kf (u_a - u_b) / h_ax times the
 * face's length, relative t_ab = prod over the other axes of (1/2 at an edge
 * index, else 1), with kf = (kappa_a + kappa_b) / 2.  Dividing the balance
 * of cell a by h_x h_y:
 *   R_a = sum_faces kf t_ab (u_a - u_b) / h_ax^2 + s_a (eta_a u_a - f_a) = 0.
 * Each face adds the same weight to both of its nodes' rows, so the matrix
 * is symmetric -- positive definite when kappa > 0 and eta >= 0 (eta > 0 or
 * a Dirichlet edge) -- and the scheme is conservative (the fluxes of a face
 * cancel between its two cells).  At interior nodes it is the classic
 * 5-point (3-point) flux-form stencil; a Neumann edge row is the half cell's
 * balance (second order for zero flux).  Averaging kappa onto the faces
 * keeps the face flux shared by both cells; evaluating kappa at the nodes
 * only keeps one coefficient array for the compiler to emit.
 *
 * Solver.  The unknowns are numbered along the grid (last axis fastest), so
 * the matrix is banded with half bandwidth kd = free nodes per row of the
 * last axis (1 in 1-D): LAPACK's banded Cholesky (dpbtrf/dpbtrs, OpenBLAS
 * exports LAPACK) costs O(n kd^2) once per parameter value and O(n kd) per
 * solve; direct, so the gradient is the exact derivative of what was solved
 * (no iteration tolerance enters it).  If Cholesky fails (the parameters
 * made kappa or eta negative somewhere, so the matrix is indefinite), the
 * banded LU with partial pivoting (dgbtrf/dgbtrs) takes over for that value.
 * A singular matrix makes the solution NaN (warned once), so the losses show
 * it.
 *
 * Nonlinear source f(x, u) (hy_steady_fns' nonlinear): Newton's method
 * from u = 0 (bcval on Dirichlet nodes), every step the linear problem
 * above with eta - f'(u_k) and f(u_k) - f'(u_k) u_k (f' = df/du from the
 * compiler), so u_{k+1} solves J(u_k) (u_{k+1} - u_k) = -R(u_k) exactly;
 * it stops when max |u_{k+1} - u_k| <= 1e-12 (1 + max |u_{k+1}|), at most
 * 50 steps (a warning, once, if that is not reached).  The Jacobian at the
 * solution, A(kappa) + diag(s (eta - f')), is symmetric again, so the
 * adjoint below holds with it (factored once more at the solution), and the
 * parameter derivatives of f are taken at the solution (coef_adj gets U).
 *
 * Adjoint.  With seeds ub = dL/du (from the samples), A lambda = ub (A is
 * symmetric: the same factors), then dL/dtheta = -lambda^T dR/dtheta with
 *   dL/dkappa_a += sum over faces of a of -(1/2) t_ab (u_a - u_b)(lambda_a - lambda_b) / h_ax^2,
 *   dL/deta_a = -s_a lambda_a u_a,  dL/df_a = s_a lambda_a
 * (lambda = 0 at Dirichlet nodes), and the emitted coef_adj maps these to
 * the parameters with the symbolic derivatives of the coefficient fields.
 *
 * Requires: the emitted functions follow the HySteady*Fn contracts.
 * Guarantees: deterministic (OpenBLAS holds 1 thread in training unless
 * --threads says otherwise; LAPACK's banded routines are sequential at these
 * bandwidths); buffers are allocated at the first solve (the LU buffers at
 * the first fallback), never per step.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "rt_internal.h"

/* LAPACK (Fortran ABI, trailing hidden lengths of the character arguments). */
void dpbtrf_(const char *uplo, const int *n, const int *kd, double *ab, const int *ldab, int *info, size_t);
void dpbtrs_(const char *uplo, const int *n, const int *kd, const int *nrhs, const double *ab, const int *ldab,
             double *b, const int *ldb, int *info, size_t);
void dgbtrf_(const int *m, const int *n, const int *kl, const int *ku, double *ab, const int *ldab, int *ipiv,
             int *info);
void dgbtrs_(const char *trans, const int *n, const int *kl, const int *ku, const int *nrhs, const double *ab,
             const int *ldab, const int *ipiv, double *b, const int *ldb, int *info, size_t);

typedef struct RtSteady {
    int id;                     /* the compiler's simulator index */
    char name[RT_NAME_MAX];
    int dim;
    long n[2];                  /* nodes per axis (n[1] = 1 in 1-D) */
    double lo[2], hi[2], h[2];
    int bc;
    double bcval;
    long N;
    HySteadyCoefFn coef;
    HySteadyCoefAdjFn coef_adj;
    int nonlinear;              /* f depends on u: Newton */
    int newton;                 /* Newton steps of the last solve */
    double *Ee, *Fe;            /* Newton's linearised eta and f [N] */
    int ntr, *tr;               /* trainables the coefficients read */
    long npc;
    double *pcache;             /* their values at the last solve */
    int valid, ready;
    long off[2], m[2];          /* first free index and free count per axis */
    int nu, kd;                 /* unknowns, half bandwidth */
    double *X;                  /* coordinates [dim][N] */
    double *K;                  /* kappa, eta, f, df/du [4][N] */
    double *AB;                 /* Cholesky factor, band [kd + 1][nu] */
    double *LU;                 /* LU factor, band [3 kd + 1][nu] (after a fallback) */
    int *ipiv;
    int use_lu;                 /* the current factor is LU */
    int singular;               /* the current matrix could not be factored */
    double *u;                  /* solution [N] */
    double *r;                  /* right-hand side / adjoint [nu] */
    double *seed;               /* dL/du [N] */
    double *lam;                /* adjoint on the grid [N] */
    double *Kb;                 /* dL/dK [3][N] */
    int pending;
    long solves, adjoints, lufall;
    double secs;
    int warned;
} RtSteady;

struct RtSteadyTab {
    RtSteady *s;
    long n, cap;
};

static RtSteady *get(HyCtx *c, int sim, const char *who)
{
    if (c->steady)
        for (long i = 0; i < c->steady->n; i++)
            if (c->steady->s[i].id == sim)
                return &c->steady->s[i];
    RT_ICE("%s: no steady simulator %d", who, sim);
    return NULL;
}

void hy_steady(HyCtx *c, int sim, const char *name, int dim, const long *n, const double *lo, const double *hi,
               const double *h, int bc, double bcval)
{
    if (!c->steady)
        c->steady = rt_xcalloc(1, sizeof *c->steady, "steady simulators");
    struct RtSteadyTab *t = c->steady;
    if (dim < 1 || dim > 2 || (bc != HY_SIM_DIRICHLET && bc != HY_SIM_NEUMANN))
        RT_ICE("hy_steady '%s': dim %d, bc %d", name ? name : "", dim, bc);
    for (long i = 0; i < t->n; i++)
        if (t->s[i].id == sim)
            RT_ICE("hy_steady: simulator %d declared twice", sim);
    rt_grow((void **)&t->s, &t->cap, t->n, sizeof(RtSteady), "steady simulators");
    RtSteady *S = &t->s[t->n];
    memset(S, 0, sizeof *S);
    S->id = sim;
    snprintf(S->name, sizeof S->name, "%s", name ? name : "");
    S->dim = dim;
    S->n[1] = 1;
    S->h[1] = 1;
    for (int a = 0; a < dim; a++) {
        if (n[a] < 3 || !(h[a] > 0) || !isfinite(lo[a]) || !isfinite(hi[a]))
            RT_ICE("hy_steady '%s': axis %d has n %ld, h %g", S->name, a, n[a], h[a]);
        S->n[a] = n[a];
        S->lo[a] = lo[a];
        S->hi[a] = hi[a];
        S->h[a] = h[a];
    }
    S->bc = bc;
    S->bcval = bcval;
    S->N = S->n[0] * S->n[1];
    for (int a = 0; a < 2; a++) {
        S->off[a] = bc == HY_SIM_DIRICHLET && a < dim ? 1 : 0;
        S->m[a] = S->n[a] - 2 * S->off[a];
    }
    if ((double)S->m[0] * (double)S->m[1] > 2e9)
        RT_ICE("hy_steady '%s': too many unknowns", S->name);
    S->nu = (int)(S->m[0] * S->m[1]);
    S->kd = dim == 2 ? (int)S->m[1] : 1;
    t->n++;
}

void hy_steady_fns(HyCtx *c, int sim, HySteadyCoefFn coef, HySteadyCoefAdjFn coef_adj, int nonlinear)
{
    RtSteady *S = get(c, sim, "hy_steady_fns");
    if (!coef || !coef_adj)
        RT_ICE("hy_steady_fns '%s': missing function", S->name);
    S->coef = coef;
    S->coef_adj = coef_adj;
    S->nonlinear = nonlinear != 0;
}

void hy_steady_depends(HyCtx *c, int sim, int ntr, const int *trs)
{
    RtSteady *S = get(c, sim, "hy_steady_depends");
    if (S->tr || ntr < 0)
        RT_ICE("hy_steady_depends '%s': called twice or ntr %d", S->name, ntr);
    S->tr = rt_xmalloc(sizeof(int) * (size_t)(ntr + 1), "steady simulator");
    S->ntr = ntr;
    for (int k = 0; k < ntr; k++) {
        if (trs[k] < 0 || trs[k] >= c->ntr)
            RT_ICE("hy_steady_depends '%s': no trainable %d", S->name, trs[k]);
        S->tr[k] = trs[k];
        S->npc += c->tr[trs[k]].len;
    }
}

void rt_steady_free(HyCtx *c)
{
    struct RtSteadyTab *t = c->steady;
    if (!t)
        return;
    for (long i = 0; i < t->n; i++) {
        RtSteady *S = &t->s[i];
        double *bufs[] = {S->pcache, S->X, S->K, S->AB, S->LU, S->u, S->r, S->seed, S->lam, S->Kb, S->Ee, S->Fe};
        for (size_t q = 0; q < sizeof bufs / sizeof bufs[0]; q++)
            hy_free(bufs[q]);
        hy_free(S->tr);
        hy_free(S->ipiv);
    }
    hy_free(t->s);
    hy_free(t);
    c->steady = NULL;
}

void rt_steady_report(HyCtx *c)
{
    struct RtSteadyTab *t = c->steady;
    for (long i = 0; t && i < t->n; i++) {
        const RtSteady *S = &t->s[i];
        if (!S->solves)
            continue;
        double share = c->train_seconds > 0 ? 100.0 * S->secs / c->train_seconds : 0;
        printf("steady %s: %ld solves, %ld adjoint solves, %ld LU fallbacks, %.2f s (%.0f %% of training)\n", S->name,
               S->solves, S->adjoints, S->lufall, S->secs, share > 100 ? 100 : share);
    }
}

/* ---- grid ---- */

static void prepare(RtSteady *S)
{
    if (S->ready)
        return;
    if (!S->coef || !S->tr)
        RT_ICE("steady simulator '%s' used before hy_steady_fns/hy_steady_depends", S->name);
    const long N = S->N;
    S->X = rt_xmalloc(sizeof(double) * (size_t)(S->dim * N), "steady simulator grid");
    double *ax[2];
    for (int a = 0; a < S->dim; a++) {   /* the compiler's mesh formula, bitwise */
        ax[a] = rt_xmalloc(sizeof(double) * (size_t)S->n[a], "steady simulator grid");
        hy_fill_linspace(ax[a], S->n[a], S->lo[a], S->hi[a]);
    }
    for (long ix = 0; ix < S->n[0]; ix++)
        for (long iy = 0; iy < S->n[1]; iy++) {
            S->X[ix * S->n[1] + iy] = ax[0][ix];
            if (S->dim == 2)
                S->X[N + ix * S->n[1] + iy] = ax[1][iy];
        }
    for (int a = 0; a < S->dim; a++)
        hy_free(ax[a]);
    S->pcache = rt_xcalloc((size_t)(S->npc + 1), sizeof(double), "steady simulator");
    S->K = rt_xcalloc((size_t)(4 * N), sizeof(double), "steady simulator");
    if (S->nonlinear) {
        S->Ee = rt_xcalloc((size_t)N, sizeof(double), "steady simulator");
        S->Fe = rt_xcalloc((size_t)N, sizeof(double), "steady simulator");
    }
    S->Kb = rt_xcalloc((size_t)(3 * N), sizeof(double), "steady simulator");
    S->AB = rt_xcalloc((size_t)(S->kd + 1) * (size_t)S->nu, sizeof(double), "steady simulator matrix");
    S->u = rt_xcalloc((size_t)N, sizeof(double), "steady simulator");
    S->seed = rt_xcalloc((size_t)N, sizeof(double), "steady simulator");
    S->lam = rt_xcalloc((size_t)N, sizeof(double), "steady simulator");
    S->r = rt_xcalloc((size_t)S->nu, sizeof(double), "steady simulator");
    S->ready = 1;
}

/* Unknown of node (ix, iy), or -1 for a Dirichlet node. */
static int unknown(const RtSteady *S, long ix, long iy)
{
    long jx = ix - S->off[0], jy = iy - S->off[1];
    if (jx < 0 || jx >= S->m[0] || jy < 0 || jy >= S->m[1])
        return -1;
    return (int)(jx * S->m[1] + jy);
}

static double edge_half(long i, long n) { return i == 0 || i == n - 1 ? 0.5 : 1.0; }

/* Cell measure / (h_x h_y) of node (ix, iy). */
static double cell(const RtSteady *S, long ix, long iy)
{
    return edge_half(ix, S->n[0]) * (S->dim == 2 ? edge_half(iy, S->n[1]) : 1.0);
}

/* Visits every face (a, b = a + e_ax) with a free end: t_ab / h_ax^2. */
#define FOR_FACES(S, BODY)                                                                            \
    for (long ix = 0; ix < (S)->n[0]; ix++)                                                          \
        for (long iy = 0; iy < (S)->n[1]; iy++)                                                      \
            for (int axis = 0; axis < (S)->dim; axis++) {                                            \
                long jx = ix + (axis == 0), jy = iy + (axis == 1);                                   \
                if (jx >= (S)->n[0] || jy >= (S)->n[1])                                              \
                    continue;                                                                        \
                int pa = unknown(S, ix, iy), pb = unknown(S, jx, jy);                                \
                if (pa < 0 && pb < 0)                                                                \
                    continue;                                                                        \
                long ia = ix * (S)->n[1] + iy, ib = jx * (S)->n[1] + jy;                             \
                double tw = ((S)->dim == 2 ? (axis == 0 ? edge_half(iy, (S)->n[1]) : edge_half(ix, (S)->n[0])) \
                                           : 1.0) / ((S)->h[axis] * (S)->h[axis]);                   \
                BODY                                                                                 \
            }

/* Adds v to A(i, j) in the Cholesky band (upper, i <= j) or the LU band. */
static void put(RtSteady *S, int lu, int i, int j, double v)
{
    if (lu) {
        int kl = S->kd, ldab = 3 * S->kd + 1;
        S->LU[(size_t)(2 * kl + i - j) + (size_t)j * (size_t)ldab] += v;
        return;
    }
    if (i > j)
        return;   /* the lower triangle is implied */
    S->AB[(size_t)(S->kd + i - j) + (size_t)j * (size_t)(S->kd + 1)] += v;
}

/* The matrix of kappa = K and eta into the chosen band storage and the
 * right-hand side of f into r. */
static void assemble(RtSteady *S, int lu, const double *eta, const double *f)
{
    const double *kap = S->K;
    if (lu)
        memset(S->LU, 0, sizeof(double) * (size_t)(3 * S->kd + 1) * (size_t)S->nu);
    else
        memset(S->AB, 0, sizeof(double) * (size_t)(S->kd + 1) * (size_t)S->nu);
    for (long ix = 0; ix < S->n[0]; ix++)
        for (long iy = 0; iy < S->n[1]; iy++) {
            int p = unknown(S, ix, iy);
            if (p < 0)
                continue;
            long i = ix * S->n[1] + iy;
            double s = cell(S, ix, iy);
            put(S, lu, p, p, s * eta[i]);
            S->r[p] = s * f[i];
        }
    FOR_FACES(S, {
        double w = 0.5 * (kap[ia] + kap[ib]) * tw;
        if (pa >= 0) put(S, lu, pa, pa, w);
        if (pb >= 0) put(S, lu, pb, pb, w);
        if (pa >= 0 && pb >= 0) {
            put(S, lu, pa, pb, -w);
            put(S, lu, pb, pa, -w);
        } else if (pa >= 0) {
            S->r[pa] += w * S->bcval;
        } else {
            S->r[pb] += w * S->bcval;
        }
    })
}

/* Factors the matrix of kappa = K and eta (r: f's right-hand side); 0 when singular. */
static int factor(RtSteady *S, const double *eta, const double *f)
{
    int n = S->nu, kd = S->kd, ld = kd + 1, info = 0;
    assemble(S, 0, eta, f);
    dpbtrf_("U", &n, &kd, S->AB, &ld, &info, 1);
    S->use_lu = 0;
    if (info == 0)
        return 1;
    if (info < 0)
        RT_ICE("dpbtrf: argument %d", -info);
    if (!S->LU) {
        S->LU = rt_xcalloc((size_t)(3 * kd + 1) * (size_t)n, sizeof(double), "steady simulator LU");
        S->ipiv = rt_xcalloc((size_t)n, sizeof(int), "steady simulator LU");
    }
    assemble(S, 1, eta, f);
    int ldl = 3 * kd + 1;
    dgbtrf_(&n, &n, &kd, &kd, S->LU, &ldl, S->ipiv, &info);
    if (info < 0)
        RT_ICE("dgbtrf: argument %d", -info);
    S->use_lu = 1;
    S->lufall++;
    return info == 0;
}

/* r <- A^-1 r (A symmetric: also A^-T r) with the current factors. */
static void solve(RtSteady *S)
{
    int n = S->nu, kd = S->kd, one = 1, info = 0;
    if (S->use_lu) {
        int ldl = 3 * kd + 1;
        dgbtrs_("T", &n, &kd, &kd, &one, S->LU, &ldl, S->ipiv, S->r, &n, &info, 1);
    } else {
        int ld = kd + 1;
        dpbtrs_("U", &n, &kd, &one, S->AB, &ld, S->r, &n, &info, 1);
    }
    if (info != 0)
        RT_ICE("banded solve: info %d", info);
}

/* u <- the solution in r (bcval on Dirichlet nodes, NaN when singular);
 * returns max |change| of u, NaN if a value is not finite. */
static double scatter(RtSteady *S)
{
    double dmax = 0;
    for (long ix = 0; ix < S->n[0]; ix++)
        for (long iy = 0; iy < S->n[1]; iy++) {
            int p = unknown(S, ix, iy);
            long i = ix * S->n[1] + iy;
            double v = p < 0 ? S->bcval : S->singular ? NAN : S->r[p];
            double d = fabs(v - S->u[i]);
            if (!isfinite(v))
                dmax = NAN;
            else if (d > dmax)
                dmax = d;
            S->u[i] = v;
        }
    return dmax;
}

/* Newton's linearisation at u: Ee = eta - f', Fe = f - f' u (K at u). */
static void linearise(RtSteady *S)
{
    const long N = S->N;
    for (long i = 0; i < N; i++) {
        double fp = S->K[3 * N + i];
        S->Ee[i] = S->K[N + i] - fp;
        S->Fe[i] = S->K[2 * N + i] - fp * S->u[i];
    }
}

static void run(HyCtx *c, RtSteady *S)
{
    double t0 = rt_now();
    const long N = S->N;
    int bad = 0, unconverged = 0;
    for (long i = 0; i < N; i++)
        S->u[i] = 0;
    if (!S->nonlinear) {
        S->coef(c, S->X, S->u, S->K, N);
        S->singular = !factor(S, S->K + N, S->K + 2 * N);
        if (!S->singular)
            solve(S);
        bad = isnan(scatter(S));
        S->newton = 0;
    } else {
        S->singular = 0;
        for (int p = 0; p < S->nu; p++)
            S->r[p] = 0;
        scatter(S);   /* the start: 0, bcval on Dirichlet nodes */
        unconverged = 1;
        for (S->newton = 1; S->newton <= 50; S->newton++) {
            S->coef(c, S->X, S->u, S->K, N);
            linearise(S);
            S->singular = !factor(S, S->Ee, S->Fe);
            if (!S->singular)
                solve(S);
            double d = scatter(S);
            double umax = 0;
            for (long i = 0; i < N; i++)
                umax = fabs(S->u[i]) > umax ? fabs(S->u[i]) : umax;
            if (isnan(d)) { bad = 1; unconverged = 0; break; }
            if (d <= 1e-12 * (1 + umax)) { unconverged = 0; break; }
        }
        if (S->newton > 50)
            S->newton = 50;
        /* the coefficients and the Jacobian's factors at the solution (the adjoint's) */
        S->coef(c, S->X, S->u, S->K, N);
        linearise(S);
        if (!bad)
            S->singular = !factor(S, S->Ee, S->Fe);
        bad |= S->singular;
    }
    if ((bad || unconverged) && !S->warned) {
        S->warned = 1;
        if (bad)
            fprintf(stderr, "hycoc: warning: steady simulator '%s' has %s for these parameters (kappa, eta or f "
                            "not finite, or the matrix singular); the losses that read it are NaN\n",
                    S->name, S->singular ? "a singular matrix" : "a non-finite solution");
        else
            fprintf(stderr, "hycoc: warning: steady simulator '%s': Newton's method did not converge in 50 steps "
                            "for these parameters; the last iterate is used\n", S->name);
    }
    rt_pack(c, S->tr, S->ntr, c->params, S->pcache);
    S->valid = 1;
    S->solves++;
    S->secs += rt_now() - t0;
}

static void ensure(HyCtx *c, RtSteady *S)
{
    prepare(S);
    if (!S->valid || !rt_pack_equal(c, S->tr, S->ntr, S->pcache))
        run(c, S);
}

/* ---- sampling ---- */

/* Bilinear (linear) interpolation weights of (x, y): up to 4 (node, weight). */
static int stencil(const RtSteady *S, double x, double y, long *idx, double *w)
{
    long i0[2] = {0, 0};
    double wx[2] = {0, 0};
    for (int a = 0; a < S->dim; a++) {
        double s = ((a == 0 ? x : y) - S->lo[a]) / S->h[a];
        long n = S->n[a];
        if (!(s >= 0))
            s = 0;   /* also NaN */
        if (s > (double)(n - 1))
            s = (double)(n - 1);
        long j = (long)floor(s);
        if (j > n - 2)
            j = n - 2;
        i0[a] = j;
        wx[a] = s - (double)j;
    }
    int m = 0;
    for (int ax = 0; ax < 2; ax++)
        for (int ay = 0; ay < (S->dim == 2 ? 2 : 1); ay++) {
            double ww = ax ? wx[0] : 1 - wx[0];
            if (S->dim == 2)
                ww *= ay ? wx[1] : 1 - wx[1];
            idx[m] = (i0[0] + ax) * S->n[1] + (S->dim == 2 ? i0[1] + ay : 0);
            w[m] = ww;
            m++;
        }
    return m;
}

void hy_steady_sample(HyCtx *c, int sim, long n, const double *x, const double *y, double *out)
{
    RtSteady *S = get(c, sim, "hy_steady_sample");
    if (S->dim == 2 && !y)
        RT_ICE("hy_steady_sample '%s': no y", S->name);
    ensure(c, S);
    long idx[4];
    double w[4];
    for (long i = 0; i < n; i++) {
        int m = stencil(S, x[i], S->dim == 2 ? y[i] : 0.0, idx, w);
        double v = 0;
        for (int q = 0; q < m; q++)
            v += w[q] * S->u[idx[q]];
        out[i] = v;
    }
}

void hy_steady_sample_adj(HyCtx *c, int sim, long n, const double *x, const double *y, const double *g)
{
    RtSteady *S = get(c, sim, "hy_steady_sample_adj");
    if (S->dim == 2 && !y)
        RT_ICE("hy_steady_sample_adj '%s': no y", S->name);
    prepare(S);
    long idx[4];
    double w[4];
    for (long i = 0; i < n; i++) {
        int m = stencil(S, x[i], S->dim == 2 ? y[i] : 0.0, idx, w);
        for (int q = 0; q < m; q++)
            S->seed[idx[q]] += w[q] * g[i];
    }
    S->pending = 1;
}

void hy_steady_values(HyCtx *c, int sim, double *out)
{
    RtSteady *S = get(c, sim, "hy_steady_values");
    ensure(c, S);
    memcpy(out, S->u, sizeof(double) * (size_t)S->N);
}

void hy_steady_values_adj(HyCtx *c, int sim, const double *g)
{
    RtSteady *S = get(c, sim, "hy_steady_values_adj");
    prepare(S);
    for (long i = 0; i < S->N; i++)
        S->seed[i] += g[i];
    S->pending = 1;
}

/* ---- adjoint ---- */

static void backward(HyCtx *c, RtSteady *S)
{
    double t0 = rt_now();
    const long N = S->N;
    for (long ix = 0; ix < S->n[0]; ix++)
        for (long iy = 0; iy < S->n[1]; iy++) {
            int p = unknown(S, ix, iy);
            if (p >= 0)
                S->r[p] = S->seed[ix * S->n[1] + iy];
        }
    if (S->singular)
        for (int p = 0; p < S->nu; p++)
            S->r[p] = NAN;
    else
        solve(S);
    for (long ix = 0; ix < S->n[0]; ix++)
        for (long iy = 0; iy < S->n[1]; iy++) {
            int p = unknown(S, ix, iy);
            S->lam[ix * S->n[1] + iy] = p < 0 ? 0.0 : S->r[p];
        }
    double *kb = S->Kb, *eb = S->Kb + N, *fb = S->Kb + 2 * N;
    memset(S->Kb, 0, sizeof(double) * (size_t)(3 * N));
    const double *u = S->u, *lam = S->lam;
    FOR_FACES(S, {
        double kfb = -tw * (u[ia] - u[ib]) * (lam[ia] - lam[ib]);
        kb[ia] += 0.5 * kfb;
        kb[ib] += 0.5 * kfb;
        (void)pa;
        (void)pb;
    })
    for (long ix = 0; ix < S->n[0]; ix++)
        for (long iy = 0; iy < S->n[1]; iy++) {
            long i = ix * S->n[1] + iy;
            if (unknown(S, ix, iy) < 0)
                continue;
            double s = cell(S, ix, iy);
            eb[i] = -s * lam[i] * u[i];
            fb[i] = s * lam[i];
        }
    S->coef_adj(c, S->X, S->u, S->Kb, c->grads, N);
    memset(S->seed, 0, sizeof(double) * (size_t)N);
    S->pending = 0;
    S->adjoints++;
    S->secs += rt_now() - t0;
}

void hy_steady_backward(HyCtx *c)
{
    struct RtSteadyTab *t = c->steady;
    for (long i = 0; t && i < t->n; i++) {
        RtSteady *S = &t->s[i];
        if (!S->pending)
            continue;
        ensure(c, S);   /* the solution of the parameters the seeds belong to */
        backward(c, S);
    }
}

const double *hy_steady_state(HyCtx *c, int sim, long *npoints)
{
    RtSteady *S = get(c, sim, "hy_steady_state");
    ensure(c, S);
    *npoints = S->N;
    return S->u;
}

int hy_steady_newton(HyCtx *c, int sim) { return get(c, sim, "hy_steady_newton")->newton; }

void hy_steady_stats(HyCtx *c, int sim, long *solves, long *adjoints, long *lu_fallbacks, double *seconds)
{
    RtSteady *S = get(c, sim, "hy_steady_stats");
    *solves = S->solves;
    *adjoints = S->adjoints;
    *lu_fallbacks = S->lufall;
    *seconds = S->secs;
}
