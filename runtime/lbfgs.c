/* lbfgs.c -- L-BFGS-B: limited-memory BFGS for box-constrained minimisation.
 *
 * Algorithm (restated from the papers, not from any code):
 *   R. H. Byrd, P. Lu, J. Nocedal, C. Zhu, "A limited memory algorithm for
 *   bound constrained optimization", SIAM J. Sci. Comput. 16(5), 1995:
 *   - compact form  B = theta I - W M W^T,  W = [Y, theta S] (n x 2k),
 *     M^-1 = [[-D, L^T], [L, theta S^T S]] with S^T Y = L + D + U (L strictly
 *     lower, D diagonal), theta = y^T y / s^T y of the newest pair (Byrd,
 *     Nocedal & Schnabel 1994, Thm 2.3).  M p is computed by block
 *     elimination: q2 = T^-1 (p2 + L D^-1 p1), q1 = D^-1 (L^T q2 - p1), with
 *     T = theta S^T S + L D^-1 L^T symmetric positive definite (Cholesky);
 *   - the generalized Cauchy point: first local minimiser of the quadratic
 *     model along the projected steepest-descent path x(t) = P(x - t g),
 *     breakpoints visited in increasing order from a heap (Algorithm CP);
 *   - subspace minimisation over the variables free at the Cauchy point
 *     (direct primal method: the reduced inverse through
 *     N = I - M W^T Z Z^T W / theta, LU with partial pivoting), then, after
 *     J. L. Morales & J. Nocedal, "Remark on Algorithm 778", ACM TOMS 38(1),
 *     2011: the unconstrained subspace step is projected into the box and
 *     kept if it gives a descent direction, else it is truncated at the first
 *     bound (the 1995 rule).
 *   Search direction d = xbar - x.  Line search: strong Wolfe conditions
 *   (c1 = 1e-4, c2 = 0.9) by bracketing and zoom with safeguarded cubic
 *   interpolation (Nocedal & Wright, Numerical Optimization, 2nd ed.,
 *   Algorithms 3.5 and 3.6), the step capped where d leaves the box.  The
 *   first step without history is lr min(1, 1/||d||_2), later ones lr.
 *   A pair (s, y) is stored only if s^T y > eps_mach y^T y.
 * Without finite bounds there are no breakpoints and every variable is free:
 * the direction is -B^-1 g, i.e. plain L-BFGS.
 *
 * Costs per iteration: O(n m) plus O(m^3) for the small matrices; the free
 * subspace's W^T Z Z^T W comes from the stored products when all variables
 * are free, else from the smaller of the free and fixed sets.
 *
 * Failure policy: a line search that found sufficient decrease but not the
 * curvature condition within max_ls evaluations accepts its best such point
 * (counted in ls_failures).  One that found no decrease clears the history
 * and retries as steepest descent; failing again ends the run with
 * RT_LBFGS_LINESEARCH and the reason.  Every run returns the point of lowest
 * finite objective among all its evaluations.
 */
#include <float.h>
#include <math.h>
#include <string.h>
#include "rt_internal.h"

#define BIG 1e300

void rt_lbfgs_init(RtLbfgs *st, long n, int m)
{
    if (n < 1 || m < 1)
        RT_ICE("rt_lbfgs_init: n = %ld, m = %d", n, m);
    memset(st, 0, sizeof *st);
    st->n = n;
    st->m = m;
    st->lr = 1.0;
    st->tol_grad = 1e-7;
    st->tol_change = 1e-9;
    st->c1 = 1e-4;
    st->c2 = 0.9;
    st->max_ls = 25;
    st->theta = 1.0;
    size_t nn = (size_t)n, mm = (size_t)m;
    st->S = rt_xcalloc(2 * nn * mm, sizeof(double), "L-BFGS history");
    st->Y = st->S + nn * mm;
    st->SS = rt_xcalloc(4 * mm * mm, sizeof(double), "L-BFGS history");
    st->SY = st->SS + mm * mm;
    st->YY = st->SY + mm * mm;
    st->T = st->YY + mm * mm;
    double *w = rt_xcalloc(13 * nn, sizeof(double), "L-BFGS work");
    double **v[13] = {&st->xk, &st->gk, &st->xt, &st->gt, &st->xl, &st->gl, &st->d,
                      &st->xc, &st->dc, &st->r,  &st->tb, &st->xbest, &st->gbest};
    for (int i = 0; i < 13; i++)
        *v[i] = w + (size_t)i * nn;
    st->heap = rt_xcalloc(nn, sizeof(long), "L-BFGS work");
    /* small: 9 vectors of 2m (cauchy 0-3, subspace 4-7, c 8), 2 matrices of (2m)^2 */
    st->small = rt_xcalloc(9 * 2 * mm + 2 * 4 * mm * mm, sizeof(double), "L-BFGS work");
    st->piv = rt_xcalloc(2 * mm, sizeof(int), "L-BFGS work");
}

void rt_lbfgs_free(RtLbfgs *st)
{
    if (!st)
        return;
    hy_free(st->S);
    hy_free(st->SS);
    hy_free(st->xk);
    hy_free(st->heap);
    hy_free(st->small);
    hy_free(st->piv);
    memset(st, 0, sizeof *st);
}

void rt_lbfgs_forget(RtLbfgs *st)
{
    st->k = 0;
    st->head = 0;
    st->theta = 1.0;
}

/* ---- small dense algebra ---- */

/* a.b with four partial sums in a fixed order (vectorisable, deterministic). */
static double dot(long n, const double *a, const double *b)
{
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    long i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += a[i] * b[i];
        s1 += a[i + 1] * b[i + 1];
        s2 += a[i + 2] * b[i + 2];
        s3 += a[i + 3] * b[i + 3];
    }
    for (; i < n; i++)
        s0 += a[i] * b[i];
    return (s0 + s1) + (s2 + s3);
}

static double *pair_s(RtLbfgs *st, int i) { return st->S + (size_t)((st->head + i) % st->m) * (size_t)st->n; }
static double *pair_y(RtLbfgs *st, int i) { return st->Y + (size_t)((st->head + i) % st->m) * (size_t)st->n; }

/* Forms T = theta S'S + L D^-1 L' and its Cholesky factor (lower, in st->T).
 * Returns 0, or -1 if T is not numerically positive definite. */
static int form_T(RtLbfgs *st)
{
    const int k = st->k, m = st->m;
    double *T = st->T;
    for (int i = 0; i < k; i++)
        for (int j = 0; j <= i; j++) {
            double s = st->theta * st->SS[i * m + j];
            for (int l = 0; l < j; l++)
                s += st->SY[i * m + l] * st->SY[j * m + l] / st->SY[l * m + l];
            T[i * m + j] = s;
        }
    for (int j = 0; j < k; j++) {
        double s = T[j * m + j];
        for (int l = 0; l < j; l++)
            s -= T[j * m + l] * T[j * m + l];
        if (!(s > 0.0) || !isfinite(s))
            return -1;
        double djj = sqrt(s);
        T[j * m + j] = djj;
        for (int i = j + 1; i < k; i++) {
            double t = T[i * m + j];
            for (int l = 0; l < j; l++)
                t -= T[i * m + l] * T[j * m + l];
            T[i * m + j] = t / djj;
        }
    }
    return 0;
}

/* q = M p (2k vectors; q may not alias p). */
static void msolve(const RtLbfgs *st, const double *p, double *q)
{
    const int k = st->k, m = st->m;
    const double *p1 = p, *p2 = p + k, *T = st->T, *SY = st->SY;
    double *q1 = q, *q2 = q + k;
    for (int i = 0; i < k; i++) {   /* q2 = p2 + L D^-1 p1 */
        double s = p2[i];
        for (int j = 0; j < i; j++)
            s += SY[i * m + j] * p1[j] / SY[j * m + j];
        q2[i] = s;
    }
    for (int i = 0; i < k; i++) {   /* forward: J z = q2 */
        double s = q2[i];
        for (int j = 0; j < i; j++)
            s -= T[i * m + j] * q2[j];
        q2[i] = s / T[i * m + i];
    }
    for (int i = k - 1; i >= 0; i--) {   /* backward: J' q2 = z */
        double s = q2[i];
        for (int j = i + 1; j < k; j++)
            s -= T[j * m + i] * q2[j];
        q2[i] = s / T[i * m + i];
    }
    for (int i = 0; i < k; i++) {   /* q1 = D^-1 (L' q2 - p1) */
        double s = -p1[i];
        for (int j = i + 1; j < k; j++)
            s += SY[j * m + i] * q2[j];
        q1[i] = s / SY[i * m + i];
    }
}

/* Row i of W: w = [y_0(i) .. y_{k-1}(i), theta s_0(i) .. theta s_{k-1}(i)]. */
static void wrow(RtLbfgs *st, long i, double *w)
{
    for (int j = 0; j < st->k; j++) {
        w[j] = pair_y(st, j)[i];
        w[st->k + j] = st->theta * pair_s(st, j)[i];
    }
}

/* ---- history ---- */

/* Stores the pair (s, y) unless its curvature is too small.  Returns 1 if stored. */
static int add_pair(RtLbfgs *st, const double *s, const double *y)
{
    const long n = st->n;
    const int m = st->m;
    double sy = dot(n, s, y), yy = dot(n, y, y);
    if (!(sy > DBL_EPSILON * yy) || !isfinite(sy) || !isfinite(yy))
        return 0;
    if (st->k == m) {   /* drop the oldest: shift the products up-left */
        for (int i = 0; i + 1 < m; i++)
            for (int j = 0; j + 1 < m; j++) {
                st->SS[i * m + j] = st->SS[(i + 1) * m + j + 1];
                st->SY[i * m + j] = st->SY[(i + 1) * m + j + 1];
                st->YY[i * m + j] = st->YY[(i + 1) * m + j + 1];
            }
        st->head = (st->head + 1) % m;
        st->k--;
    }
    const int k = st->k;
    memcpy(pair_s(st, k), s, sizeof(double) * (size_t)n);
    memcpy(pair_y(st, k), y, sizeof(double) * (size_t)n);
    for (int j = 0; j < k; j++) {
        const double *sj = pair_s(st, j), *yj = pair_y(st, j);
        st->SS[k * m + j] = st->SS[j * m + k] = dot(n, s, sj);
        st->YY[k * m + j] = st->YY[j * m + k] = dot(n, y, yj);
        st->SY[k * m + j] = dot(n, s, yj);
        st->SY[j * m + k] = dot(n, sj, y);
    }
    st->SS[k * m + k] = dot(n, s, s);
    st->SY[k * m + k] = sy;
    st->YY[k * m + k] = yy;
    st->k = k + 1;
    st->theta = yy / sy;
    if (form_T(st) != 0) {
        rt_lbfgs_forget(st);
        return 0;
    }
    return 1;
}

/* ---- generalized Cauchy point ---- */

static int heap_less(const double *tb, long a, long b)
{
    return tb[a] < tb[b] || (tb[a] == tb[b] && a < b);
}

static void heap_down(long *h, long n, long i, const double *tb)
{
    for (;;) {
        long l = 2 * i + 1, r = l + 1, s = i;
        if (l < n && heap_less(tb, h[l], h[s]))
            s = l;
        if (r < n && heap_less(tb, h[r], h[s]))
            s = r;
        if (s == i)
            return;
        long t = h[i];
        h[i] = h[s];
        h[s] = t;
        i = s;
    }
}

/* Computes the Cauchy point xc from (x, g) and c = W^T (xc - x) (2k). */
static void cauchy(RtLbfgs *st, const double *x, const double *g, const double *lo,
                   const double *hi, double *xc, double *cvec)
{
    const long n = st->n;
    const int k = st->k, k2 = 2 * k;
    const double theta = st->theta;
    double *d = st->dc, *tb = st->tb;
    double *p = st->small, *wb = p + 2 * st->m, *Mw = wb + 2 * st->m, *tmp = Mw + 2 * st->m;
    long nb = 0;
    double fp = 0.0;
    for (long i = 0; i < n; i++) {
        double ti = INFINITY;
        if (g[i] < 0.0 && hi && isfinite(hi[i]))
            ti = (x[i] - hi[i]) / g[i];
        else if (g[i] > 0.0 && lo && isfinite(lo[i]))
            ti = (x[i] - lo[i]) / g[i];
        tb[i] = ti;
        d[i] = ti <= 0.0 ? 0.0 : -g[i];
        xc[i] = x[i];
        fp -= d[i] * d[i];
        if (ti > 0.0 && ti < INFINITY)
            st->heap[nb++] = i;
    }
    for (long i = nb / 2 - 1; i >= 0; i--)
        heap_down(st->heap, nb, i, tb);
    /* p = W^T d */
    for (int j = 0; j < k; j++) {
        p[j] = dot(n, pair_y(st, j), d);
        p[k + j] = theta * dot(n, pair_s(st, j), d);
    }
    for (int j = 0; j < k2; j++)
        cvec[j] = 0.0;
    if (fp >= 0.0)
        return;   /* d = 0: x is stationary for the projected path */
    msolve(st, p, tmp);
    double fpp = -theta * fp - dot(k2, p, tmp);
    const double fpp0 = fpp;
    double dtm = -fp / fpp, told = 0.0;
    while (nb > 0) {
        long b = st->heap[0];
        double tj = tb[b], dt = tj - told;
        if (dtm < dt)
            break;
        st->heap[0] = st->heap[--nb];
        heap_down(st->heap, nb, 0, tb);
        double xb = d[b] > 0.0 ? hi[b] : lo[b];
        double zb = xb - x[b], gb = g[b];
        xc[b] = xb;
        for (int j = 0; j < k2; j++)
            cvec[j] += dt * p[j];
        wrow(st, b, wb);
        msolve(st, wb, Mw);
        fp = fp + dt * fpp + gb * gb + theta * gb * zb - gb * dot(k2, Mw, cvec);
        fpp = fpp - theta * gb * gb - 2.0 * gb * dot(k2, Mw, p) - gb * gb * dot(k2, Mw, wb);
        fpp = fmax(fpp, DBL_EPSILON * fpp0);
        for (int j = 0; j < k2; j++)
            p[j] += gb * wb[j];
        d[b] = 0.0;
        dtm = -fp / fpp;
        told = tj;
    }
    dtm = fmax(dtm, 0.0);
    told += dtm;
    for (long i = 0; i < n; i++)
        if (d[i] != 0.0) {
            double v = x[i] + told * d[i];
            if (lo)
                v = fmax(v, lo[i]);
            if (hi)
                v = fmin(v, hi[i]);
            xc[i] = v;
        }
    for (int j = 0; j < k2; j++)
        cvec[j] += dtm * p[j];
}

/* ---- subspace minimisation ---- */

static int is_free(const double *lo, const double *hi, long i, double v)
{
    return (!lo || v > lo[i]) && (!hi || v < hi[i]);
}

/* LU with partial pivoting of the k2 x k2 matrix A (row-major, stride ld). */
static int lu(double *A, int k2, int ld, int *piv)
{
    for (int j = 0; j < k2; j++) {
        int pr = j;
        for (int i = j + 1; i < k2; i++)
            if (fabs(A[i * ld + j]) > fabs(A[pr * ld + j]))
                pr = i;
        piv[j] = pr;
        if (!(fabs(A[pr * ld + j]) > 0.0) || !isfinite(A[pr * ld + j]))
            return -1;
        if (pr != j)
            for (int l = 0; l < k2; l++) {
                double t = A[j * ld + l];
                A[j * ld + l] = A[pr * ld + l];
                A[pr * ld + l] = t;
            }
        for (int i = j + 1; i < k2; i++) {
            double f = A[i * ld + j] / A[j * ld + j];
            A[i * ld + j] = f;
            for (int l = j + 1; l < k2; l++)
                A[i * ld + l] -= f * A[j * ld + l];
        }
    }
    return 0;
}

static void lu_solve(const double *A, int k2, int ld, const int *piv, double *b)
{
    for (int j = 0; j < k2; j++) {
        double t = b[j];
        b[j] = b[piv[j]];
        b[piv[j]] = t;
    }
    for (int i = 0; i < k2; i++)
        for (int l = 0; l < i; l++)
            b[i] -= A[i * ld + l] * b[l];
    for (int i = k2 - 1; i >= 0; i--) {
        for (int l = i + 1; l < k2; l++)
            b[i] -= A[i * ld + l] * b[l];
        b[i] /= A[i * ld + i];
    }
}

/* From the Cauchy point xc (c = W^T (xc - x)), writes xbar into xc. */
static void subspace(RtLbfgs *st, const double *x, const double *g, const double *lo,
                     const double *hi, double *xc, const double *cvec)
{
    const long n = st->n;
    const int k = st->k, k2 = 2 * k, m2 = 2 * st->m;
    const double theta = st->theta;
    double *r = st->r;
    double *Mc = st->small + 4 * m2, *v = Mc + m2, *wb = v + m2, *col = wb + m2;
    double *G = st->small + 9 * m2, *MZ = G + m2 * m2;
    long nfree = 0;
    for (long i = 0; i < n; i++)
        nfree += is_free(lo, hi, i, xc[i]);
    if (nfree == 0)
        return;
    if (k > 0)
        msolve(st, cvec, Mc);
    /* r = Z^T (g + theta (xc - x) - W M c); fixed entries 0 (pairs outermost) */
    double *fr = st->dc;   /* 1 for a free variable, 0 for a fixed one */
    for (long i = 0; i < n; i++) {
        fr[i] = is_free(lo, hi, i, xc[i]) ? 1.0 : 0.0;
        r[i] = fr[i] != 0.0 ? g[i] + theta * (xc[i] - x[i]) : 0.0;
    }
    for (int j = 0; j < k; j++) {
        const double *yj = pair_y(st, j), *sj = pair_s(st, j);
        const double a = Mc[j], b = theta * Mc[k + j];
        for (long i = 0; i < n; i++)
            r[i] -= fr[i] * (yj[i] * a + sj[i] * b);
    }
    if (k > 0) {
        /* v = M W^T Z r */
        for (int j = 0; j < k; j++) {
            col[j] = dot(n, pair_y(st, j), r);
            col[k + j] = theta * dot(n, pair_s(st, j), r);
        }
        msolve(st, col, v);
        /* G = W^T Z Z^T W */
        const int m = st->m;
        if (nfree == n) {
            for (int i = 0; i < k; i++)
                for (int j = 0; j < k; j++) {
                    G[i * m2 + j] = st->YY[i * m + j];
                    G[i * m2 + k + j] = theta * st->SY[j * m + i];
                    G[(k + i) * m2 + j] = theta * st->SY[i * m + j];
                    G[(k + i) * m2 + k + j] = theta * theta * st->SS[i * m + j];
                }
        } else {
            int add_free = nfree <= n - nfree;
            for (int i = 0; i < k2; i++)
                for (int j = 0; j < k2; j++)
                    G[i * m2 + j] = 0.0;
            if (!add_free)
                for (int i = 0; i < k; i++)
                    for (int j = 0; j < k; j++) {
                        G[i * m2 + j] = st->YY[i * m + j];
                        G[i * m2 + k + j] = theta * st->SY[j * m + i];
                        G[(k + i) * m2 + j] = theta * st->SY[i * m + j];
                        G[(k + i) * m2 + k + j] = theta * theta * st->SS[i * m + j];
                    }
            double sgn = add_free ? 1.0 : -1.0;
            for (long i = 0; i < n; i++) {
                if (is_free(lo, hi, i, xc[i]) != add_free)
                    continue;
                wrow(st, i, wb);
                for (int a = 0; a < k2; a++)
                    for (int b = 0; b < k2; b++)
                        G[a * m2 + b] += sgn * wb[a] * wb[b];
            }
        }
        /* N = I - M G / theta, column by column */
        for (int j = 0; j < k2; j++) {
            for (int i = 0; i < k2; i++)
                col[i] = G[i * m2 + j];
            msolve(st, col, wb);
            for (int i = 0; i < k2; i++)
                MZ[i * m2 + j] = (i == j ? 1.0 : 0.0) - wb[i] / theta;
        }
        if (lu(MZ, k2, m2, st->piv) != 0)
            return;   /* keep the Cauchy point */
        lu_solve(MZ, k2, m2, st->piv, v);
    }
    /* du = -r / theta - Z^T W v / theta^2, kept in r (W v accumulated in tb) */
    double *wv = st->tb;
    for (long i = 0; i < n; i++)
        wv[i] = 0.0;
    for (int j = 0; j < k; j++) {
        const double *yj = pair_y(st, j), *sj = pair_s(st, j);
        const double a = v[j], b = theta * v[k + j];
        for (long i = 0; i < n; i++)
            wv[i] += yj[i] * a + sj[i] * b;
    }
    for (long i = 0; i < n; i++)
        if (fr[i] != 0.0)
            r[i] = -r[i] / theta - wv[i] / (theta * theta);
    /* projected step, kept when it is a descent direction (Morales-Nocedal) */
    double *xb = st->xt;
    double dd = 0.0;
    for (long i = 0; i < n; i++) {
        double v2 = xc[i];
        if (is_free(lo, hi, i, xc[i])) {
            v2 = xc[i] + r[i];
            if (lo)
                v2 = fmax(v2, lo[i]);
            if (hi)
                v2 = fmin(v2, hi[i]);
        }
        xb[i] = v2;
        dd += (v2 - x[i]) * g[i];
    }
    if (dd < 0.0) {
        memcpy(xc, xb, sizeof(double) * (size_t)n);
        return;
    }
    double alpha = 1.0;
    for (long i = 0; i < n; i++) {
        if (!is_free(lo, hi, i, xc[i]))
            continue;
        if (r[i] > 0.0 && hi && isfinite(hi[i]))
            alpha = fmin(alpha, (hi[i] - xc[i]) / r[i]);
        else if (r[i] < 0.0 && lo && isfinite(lo[i]))
            alpha = fmin(alpha, (lo[i] - xc[i]) / r[i]);
    }
    alpha = fmax(alpha, 0.0);
    for (long i = 0; i < n; i++)
        if (is_free(lo, hi, i, xc[i])) {
            double v2 = xc[i] + alpha * r[i];
            if (lo)
                v2 = fmax(v2, lo[i]);
            if (hi)
                v2 = fmin(v2, hi[i]);
            xc[i] = v2;
        }
}

void rt_lbfgs_direction(RtLbfgs *st, const double *x, const double *g, const double *lo,
                        const double *hi, double *xc, double *xbar)
{
    double *cvec = st->small + 8 * 2 * st->m;
    cauchy(st, x, g, lo, hi, st->xc, cvec);
    memcpy(xc, st->xc, sizeof(double) * (size_t)st->n);
    subspace(st, x, g, lo, hi, st->xc, cvec);
    memcpy(xbar, st->xc, sizeof(double) * (size_t)st->n);
}

/* ---- line search ---- */

typedef struct {
    RtObjFn f;
    void *ud;
    const double *lo, *hi;
} Obj;

/* Evaluates at xt = P(x + t d) into gt; tracks the best point. */
static double trial(RtLbfgs *st, const Obj *o, const double *x, const double *d, double t,
                    double *dg)
{
    const long n = st->n;
    for (long i = 0; i < n; i++) {
        double v = x[i] + t * d[i];
        if (o->lo)
            v = fmax(v, o->lo[i]);
        if (o->hi)
            v = fmin(v, o->hi[i]);
        st->xt[i] = v;
    }
    double f = o->f(o->ud, st->xt, st->gt);
    st->evals++;
    *dg = dot(n, st->gt, d);
    if (!isfinite(*dg))
        f = NAN;
    if (isfinite(f) && f < st->fbest) {
        st->fbest = f;
        memcpy(st->xbest, st->xt, sizeof(double) * (size_t)n);
        memcpy(st->gbest, st->gt, sizeof(double) * (size_t)n);
    }
    return f;
}

/* Minimiser of the cubic through (a, fa, ga), (b, fb, gb), kept in [lo, hi];
 * the midpoint when there is none. */
static double cubic(double a, double fa, double ga, double b, double fb, double gb, double lo,
                    double hi)
{
    double d1 = ga + gb - 3.0 * (fa - fb) / (a - b);
    double disc = d1 * d1 - ga * gb;
    if (disc >= 0.0 && isfinite(disc)) {
        double d2 = sqrt(disc) * (b > a ? 1.0 : -1.0);
        double den = gb - ga + 2.0 * d2;
        if (den != 0.0) {
            double t = b - (b - a) * (gb + d2 - d1) / den;
            if (isfinite(t))
                return fmin(fmax(t, lo), hi);
        }
    }
    return 0.5 * (lo + hi);
}

enum { LS_OK = 0, LS_SOFT = 1, LS_FAIL = 2 };

static void keep_lo(RtLbfgs *st)
{
    memcpy(st->xl, st->xt, sizeof(double) * (size_t)st->n);
    memcpy(st->gl, st->gt, sizeof(double) * (size_t)st->n);
}

/* Strong-Wolfe search along d from (x, f0, g0.d = dg0) with first trial t and
 * steps <= tmax.  On LS_OK / LS_SOFT the accepted point is in xt, gt, *fout.
 * why receives the reason of a failure. */
static int line_search(RtLbfgs *st, const Obj *o, const double *x, double f0, const double *d,
                       double dg0, double t, double tmax, double *fout, const char **why)
{
    const double c1 = st->c1, c2 = st->c2;
    double dmax = 0.0, xmax = 0.0;
    for (long i = 0; i < st->n; i++) {
        dmax = fmax(dmax, fabs(d[i]));
        xmax = fmax(xmax, fabs(x[i]));
    }
    int ev = 0;
    double tp = 0.0, fp = f0, gp = dg0;     /* previous trial */
    double tl = 0.0, fl = f0, gl = dg0;     /* best sufficient-decrease point (lo) */
    double th = 0.0, fh = 0.0, gh = 0.0;    /* other end of the bracket */
    int zoom = 0;
    for (;;) {   /* bracketing */
        double dg, f = trial(st, o, x, d, t, &dg);
        ev++;
        if (!isfinite(f) || f > f0 + c1 * t * dg0 || (ev > 1 && f >= fp)) {
            th = t, fh = f, gh = dg;   /* lo stays the previous point */
            zoom = 1;
            break;
        }
        if (fabs(dg) <= -c2 * dg0) {
            *fout = f;
            return LS_OK;
        }
        keep_lo(st);
        tl = t, fl = f, gl = dg;
        if (dg >= 0.0) {
            th = tp, fh = fp, gh = gp;
            zoom = 1;
            break;
        }
        if (t >= tmax) {   /* still descending at the edge of the box: take it */
            *fout = f;
            return LS_OK;
        }
        if (ev >= st->max_ls) {
            *why = "no step met the curvature condition within max_ls evaluations";
            break;
        }
        double tn = cubic(tp, fp, gp, t, f, dg, t + 0.01 * (t - tp), 10.0 * t);
        tp = t, fp = f, gp = dg;
        t = fmin(tn, tmax);
    }
    while (zoom) {
        if (ev >= st->max_ls) {
            *why = "no step met the strong Wolfe conditions within max_ls evaluations";
            break;
        }
        double a = fmin(tl, th), b = fmax(tl, th), w = b - a;
        if (w * dmax <= DBL_EPSILON * (1.0 + xmax)) {
            *why = "the bracketing interval shrank below rounding";
            break;
        }
        double tn;
        if (isfinite(fh) && isfinite(gh))
            tn = cubic(tl, fl, gl, th, fh, gh, a, b);
        else
            tn = 0.5 * (a + b);
        tn = fmin(fmax(tn, a + 0.1 * w), b - 0.1 * w);
        double dg, f = trial(st, o, x, d, tn, &dg);
        ev++;
        if (!isfinite(f) || f > f0 + c1 * tn * dg0 || f >= fl) {
            th = tn, fh = f, gh = dg;
        } else {
            if (fabs(dg) <= -c2 * dg0) {
                *fout = f;
                return LS_OK;
            }
            if (dg * (th - tl) >= 0.0)
                th = tl, fh = fl, gh = gl;
            keep_lo(st);
            tl = tn, fl = f, gl = dg;
        }
    }
    if (tl > 0.0) {   /* sufficient decrease without curvature: accept lo */
        memcpy(st->xt, st->xl, sizeof(double) * (size_t)st->n);
        memcpy(st->gt, st->gl, sizeof(double) * (size_t)st->n);
        *fout = fl;
        return LS_SOFT;
    }
    return LS_FAIL;
}

/* ---- driver ---- */

static double proj_grad_norm(long n, const double *x, const double *g, const double *lo,
                             const double *hi)
{
    double mx = 0.0;
    for (long i = 0; i < n; i++) {
        double p = g[i];
        if (p < 0.0 && hi)
            p = fmax(x[i] - hi[i], p);
        else if (p > 0.0 && lo)
            p = fmin(x[i] - lo[i], p);
        mx = fmax(mx, fabs(p));
    }
    return mx;
}

int rt_lbfgs_run(RtLbfgs *st, double *x, const double *lo, const double *hi, RtObjFn f,
                 void *ud, int max_iter)
{
    const long n = st->n;
    const size_t nb = sizeof(double) * (size_t)n;
    Obj o = {f, ud, lo, hi};
    double *cvec = st->small + 8 * 2 * st->m;
    st->iters = 0;
    st->evals = 0;
    st->ls_failures = 0;
    for (long i = 0; i < n; i++) {
        double v = x[i];
        if (lo)
            v = fmax(v, lo[i]);
        if (hi)
            v = fmin(v, hi[i]);
        x[i] = v;
    }
    memcpy(st->xk, x, nb);
    double fk;
    if (st->reuse && st->have_last && memcmp(x, st->xbest, nb) == 0) {
        fk = st->fbest;   /* the point the last run returned, f unchanged */
        memcpy(st->gk, st->gbest, nb);
    } else {
        st->have_last = 0;
        fk = f(ud, st->xk, st->gk);
        st->evals++;
        if (!isfinite(fk) || !isfinite(dot(n, st->gk, st->gk))) {
            st->f = fk;
            st->status = RT_LBFGS_NONFINITE;
            snprintf(st->reason, sizeof st->reason,
                     "objective or gradient not finite at the start");
            return st->status;
        }
        st->fbest = fk;
        memcpy(st->xbest, x, nb);
        memcpy(st->gbest, st->gk, nb);
    }
    int retried = 0;
    for (;;) {
        double pg = proj_grad_norm(n, st->xk, st->gk, lo, hi);
        if (pg <= st->tol_grad) {
            st->status = RT_LBFGS_CONVERGED;
            snprintf(st->reason, sizeof st->reason,
                     "converged: projected gradient %.3g <= tolerance_grad %.3g", pg,
                     st->tol_grad);
            break;
        }
        if (st->iters >= max_iter) {
            st->status = RT_LBFGS_MAX_ITER;
            snprintf(st->reason, sizeof st->reason,
                     "reached max_iter = %d iterations (best point kept)", max_iter);
            break;
        }
        /* direction d = xbar - x */
        cauchy(st, st->xk, st->gk, lo, hi, st->xc, cvec);
        subspace(st, st->xk, st->gk, lo, hi, st->xc, cvec);
        double dg = 0.0, dn2 = 0.0;
        for (long i = 0; i < n; i++) {
            st->d[i] = st->xc[i] - st->xk[i];
            dg += st->d[i] * st->gk[i];
            dn2 += st->d[i] * st->d[i];
        }
        const char *why = NULL;
        int ls = LS_FAIL;
        double fnew = NAN;
        if (!(dg < 0.0)) {
            why = "the search direction is not a descent direction";
        } else {
            double tmax = BIG;
            for (long i = 0; i < n; i++) {
                if (st->d[i] > 0.0 && hi && isfinite(hi[i]))
                    tmax = fmin(tmax, (hi[i] - st->xk[i]) / st->d[i]);
                else if (st->d[i] < 0.0 && lo && isfinite(lo[i]))
                    tmax = fmin(tmax, (lo[i] - st->xk[i]) / st->d[i]);
            }
            tmax = fmax(tmax, 1.0);
            double t0 = st->lr * (st->k == 0 ? fmin(1.0, 1.0 / sqrt(dn2)) : 1.0);
            t0 = fmin(t0, tmax);
            ls = line_search(st, &o, st->xk, fk, st->d, dg, t0, tmax, &fnew, &why);
        }
        if (ls == LS_FAIL) {
            if (st->k > 0 && !retried) {   /* stale curvature: retry as steepest descent */
                rt_lbfgs_forget(st);
                retried = 1;
                continue;
            }
            st->status = RT_LBFGS_LINESEARCH;
            snprintf(st->reason, sizeof st->reason, "line search failed: %s (best point kept)",
                     why ? why : "no decrease");
            break;
        }
        retried = 0;
        if (ls == LS_SOFT)
            st->ls_failures++;
        /* s = xt - xk, y = gt - gk (in d and dc) */
        double smax = 0.0, xmax = 0.0;
        for (long i = 0; i < n; i++) {
            st->d[i] = st->xt[i] - st->xk[i];
            st->dc[i] = st->gt[i] - st->gk[i];
            smax = fmax(smax, fabs(st->d[i]));
            xmax = fmax(xmax, fabs(st->xt[i]));
        }
        double fold = fk;
        memcpy(st->xk, st->xt, nb);
        memcpy(st->gk, st->gt, nb);
        fk = fnew;
        st->iters++;
        add_pair(st, st->d, st->dc);
        if (fabs(fold - fk) <= st->tol_change * fmax(fabs(fold), fabs(fk))) {
            st->status = RT_LBFGS_CONVERGED;
            snprintf(st->reason, sizeof st->reason,
                     "converged: relative change of the objective <= tolerance_change %.3g",
                     st->tol_change);
            break;
        }
        if (smax <= st->tol_change * (1.0 + xmax)) {
            st->status = RT_LBFGS_CONVERGED;
            snprintf(st->reason, sizeof st->reason,
                     "converged: step %.3g <= tolerance_change (1 + max |x|)", smax);
            break;
        }
    }
    memcpy(x, st->xbest, nb);
    st->f = st->fbest;
    st->have_last = 1;
    return st->status;
}
