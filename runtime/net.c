/* net.c -- MLP trainables, Taylor-mode jets (forward) and their reverse.
 *
 * Requires: trainables declared through hy_mlp (ctx.c owns the params block).
 * Guarantees: hy_jet_fwd fills the requested jet components of the network
 * outputs exactly as the chain rule gives them (no finite differences);
 * hy_jet_bwd accumulates the exact reverse of that computation; no
 * allocation after hy_jet_plan.
 *
 * Network (rt_internal.h has the parameter layout): depth hidden layers
 * z = W a + b, a' = s(z), then a linear output layer.
 *
 * Jet components (internal order): c = 0 the value; c = 1..nf the first
 * derivatives d/du_j (j = fidx[c-1]); c = nf+1..nf+ns second derivatives
 * d2/du_p du_q with p, q given as first-order component numbers in pair[].
 * The plan adds every component a requested one needs (value, and both first
 * derivatives of a second one).  For a hidden layer, with s1..s3 the
 * activation derivatives at the value pre-activation z:
 *     z_c  = W a_c (+ b for c = 0)        all C components in ONE GEMM
 *     a    = s(z),  a_j = s1 z_j,  a_pq = s2 z_p z_q + s1 z_pq
 * and at the input a = X, a_j = e_j, a_pq = 0, so layer 0 is computed
 * directly: z = W X + b, z_j = W[:, j], z_pq = 0.  Reverse (bars = adjoints):
 *     zbar_pq = abar_pq s1
 *     zbar_p += abar_p s1 + sum_{(p,q)} abar_pq s2 z_q   (both slots of a pair)
 *     zbar   = abar s1 + sum_j abar_j s2 z_j + sum_pq abar_pq (s3 z_p z_q + s2 z_pq)
 *     dW += Zbar^T A_prev (one GEMM over all components), db += sum zbar (value),
 *     Abar_prev = Zbar W (one GEMM).
 * Orders > 2 stop with an internal error; adding them means new component
 * kinds (triples, quadruples) with their Faa di Bruno terms in the three
 * places marked "order".
 *
 * Storage: activations, pre-activations and derivatives of every layer are
 * [C][n][width] row-major (component outermost, then point, then unit), so
 * each component is one contiguous n*width block and the stacked GEMM has
 * C*n rows.  Output buffer Zo is [C][n][dout]; out is [ncomp][dout][n].
 */
#include <stdlib.h>
#include <string.h>
#include "rt_internal.h"

#define MAXC 64   /* most internal components of one plan */

struct JetPlan {
    int net;                  /* trainable id of the MLP */
    int n;                    /* number of points */
    int din, dout, w, depth;  /* network shape (w = hidden width) */
    int act;                  /* activation */
    int order;                /* highest derivative order requested */
    int nd;                   /* activation derivatives kept per layer (1..3) */
    int C;                    /* internal components */
    int nf, ns;               /* first- and second-order internal components */
    int fidx[MAXC];           /* first-order component 1+f differentiates by u_{fidx[f]} */
    int pair[MAXC][2];        /* second-order comp 1+nf+s: first-order comps (1-based) */
    int ncomp;                /* requested components */
    int *req;                 /* requested k -> internal component [ncomp] */
    const double *X;          /* input [din][n] */
    double *out;              /* output [ncomp][dout][n] */
    const double *dout_adj;   /* adjoint of out, same layout, or NULL */
    double *dX;               /* adjoint of X [din][n], or NULL */
    double **Z;               /* per hidden layer: pre-activations [C][n][w] */
    double **Aa;              /* per hidden layer: activations [C][n][w] */
    double **S;               /* per hidden layer: s1..s_nd, [nd][n][w] */
    double *Zo;               /* output layer pre-scatter [C][n][dout] */
    double *dZ, *dA;          /* backward scratch [C][n][max(w,dout)] each */
    double *Wt;               /* scratch: a hidden W transposed [w][w] */
    double *block;            /* the one allocation holding all buffers */
};

long rt_mlp_param_count(int din, int dout, int width, int depth)
{
    long n = 0;
    for (int l = 0; l <= depth; l++) {
        long nin = l == 0 ? din : width, nout = l == depth ? dout : width;
        n += nout * nin + nout;
    }
    return n;
}

void rt_mlp_layer(const Trainable *t, int l, long *woff, long *boff, int *nin, int *nout)
{
    long off = 0;
    for (int k = 0;; k++) {
        int ni = k == 0 ? t->din : t->width, no = k == t->depth ? t->dout : t->width;
        if (k == l) {
            *woff = off;
            *boff = off + (long)no * ni;
            *nin = ni;
            *nout = no;
            return;
        }
        off += (long)no * ni + no;
    }
}

/* Decodes a component code into sorted input indices; returns its order. */
static int decode(int code, int din, int idx[4])
{
    int ord = 0;
    unsigned u = (unsigned)code;
    while (u) {
        int b = (int)(u & 0xffu);
        if (b == 0 || b > din || ord == 4)
            RT_ICE("jet component code 0x%x invalid for a net with %d inputs", code, din);
        idx[ord++] = b - 1;
        u >>= 8;
    }
    for (int i = 1; i < ord; i++)   /* insertion sort: the code is a sorted tuple */
        for (int k = i; k > 0 && idx[k - 1] > idx[k]; k--) {
            int tmp = idx[k];
            idx[k] = idx[k - 1];
            idx[k - 1] = tmp;
        }
    return ord;
}

/* Internal component of first derivative by u_j, adding it if missing. */
static int first_comp(JetPlan *p, int j)
{
    for (int f = 0; f < p->nf; f++)
        if (p->fidx[f] == j)
            return 1 + f;
    if (p->nf >= MAXC - 1)
        RT_ICE("jet plan: more than %d components", MAXC);
    p->fidx[p->nf++] = j;
    return p->nf;
}

JetPlan *rt_jet_new(HyCtx *c, int net, int n, int ncomp, const int *comps,
                    const double *X, double *out, const double *dout_adj, double *dX)
{
    if (net < 0 || net >= c->ntr || c->tr[net].kind != RT_TR_MLP)
        RT_ICE("hy_jet_plan: trainable %d is not a network", net);
    if (n < 1 || ncomp < 1)
        RT_ICE("hy_jet_plan: n = %d, ncomp = %d", n, ncomp);
    const Trainable *t = &c->tr[net];
    JetPlan *p = rt_xcalloc(1, sizeof *p, "jet plan");
    p->net = net;
    p->n = n;
    p->din = t->din;
    p->dout = t->dout;
    p->w = t->width;
    p->depth = t->depth;
    p->act = t->act;
    p->X = X;
    p->out = out;
    p->dout_adj = dout_adj;
    p->dX = dX;
    p->ncomp = ncomp;
    p->req = rt_xmalloc(sizeof(int) * (size_t)ncomp, "jet plan");
    /* Pass 1: orders, first-order components (sorted by input later). */
    int idx[4];
    for (int k = 0; k < ncomp; k++) {
        int ord = decode(comps[k], p->din, idx);
        if (ord > RT_MAX_ORDER) {   /* order: extend here */
            fprintf(stderr, "hycoc: internal error: jet component 0x%x has derivative order %d; "
                            "the runtime implements orders <= %d\n", comps[k], ord, RT_MAX_ORDER);
            exit(2);
        }
        if (ord > p->order)
            p->order = ord;
        for (int i = 0; i < ord; i++)
            first_comp(p, idx[i]);
    }
    /* sort first-order components by input index (stable, deterministic) */
    for (int i = 1; i < p->nf; i++)
        for (int k = i; k > 0 && p->fidx[k - 1] > p->fidx[k]; k--) {
            int tmp = p->fidx[k];
            p->fidx[k] = p->fidx[k - 1];
            p->fidx[k - 1] = tmp;
        }
    /* Pass 2: map requests; add second-order components. */
    for (int k = 0; k < ncomp; k++) {
        int ord = decode(comps[k], p->din, idx);
        if (ord == 0) {
            p->req[k] = 0;
        } else if (ord == 1) {
            p->req[k] = first_comp(p, idx[0]);
        } else {   /* order 2 */
            int a = first_comp(p, idx[0]), b = first_comp(p, idx[1]), s;
            for (s = 0; s < p->ns; s++)
                if (p->pair[s][0] == a && p->pair[s][1] == b)
                    break;
            if (s == p->ns) {
                if (1 + p->nf + p->ns >= MAXC)
                    RT_ICE("jet plan: more than %d components", MAXC);
                p->pair[s][0] = a;
                p->pair[s][1] = b;
                p->ns++;
            }
            p->req[k] = 1 + p->nf + s;
        }
    }
    p->C = 1 + p->nf + p->ns;
    p->nd = p->order + (dout_adj ? 1 : 0);
    if (p->nd < 1)
        p->nd = 1;
    /* One block for every buffer. */
    long nw = (long)n * p->w, C = p->C, D = p->depth;
    long wmax = p->w > p->dout ? p->w : p->dout;
    long total = D * (2 * C * nw + p->nd * nw) + C * n * p->dout + 2 * C * n * wmax +
                 (long)p->w * p->w;
    p->block = rt_xcalloc((size_t)total, sizeof(double), "jet buffers");
    p->Z = rt_xmalloc(sizeof(double *) * (size_t)(3 * D), "jet plan");
    p->Aa = p->Z + D;
    p->S = p->Z + 2 * D;
    double *q = p->block;
    for (long l = 0; l < D; l++) {
        p->Z[l] = q, q += C * nw;
        p->Aa[l] = q, q += C * nw;
        p->S[l] = q, q += p->nd * nw;
    }
    p->Zo = q, q += C * n * p->dout;
    p->dZ = q, q += C * n * wmax;
    p->dA = q, q += C * n * wmax;
    p->Wt = q;
    return p;
}

void rt_jet_free(JetPlan *p)
{
    if (!p)
        return;
    hy_free(p->block);
    hy_free(p->Z);
    hy_free(p->req);
    hy_free(p);
}

/* Activation and its jet for hidden layer l (Z filled): fills Aa[l], S[l]. */
static void layer_act(JetPlan *p, int l)
{
    long N = (long)p->n * p->w;
    double *Z = p->Z[l], *A = p->Aa[l], *S = p->S[l];
    double *d[4] = {A, S, p->nd >= 2 ? S + N : NULL, p->nd >= 3 ? S + 2 * N : NULL};
    hy_act_eval(p->act, N, Z, p->nd, d);
    const double *s1 = S, *s2 = S + N;
    for (int f = 1; f <= p->nf; f++)
        rt_ew_mul(N, A + f * N, s1, Z + f * N);
    for (int s = 0; s < p->ns; s++) {   /* order: higher components add terms here */
        int c = 1 + p->nf + s;
        /* z_pq = 0 at the input layer */
        rt_ew_second(N, A + c * N, s1, s2, Z + p->pair[s][0] * N, Z + p->pair[s][1] * N,
                  l == 0 ? NULL : Z + c * N);
    }
}

void rt_jet_fwd(HyCtx *c, JetPlan *p)
{
    const Trainable *t = &c->tr[p->net];
    const double *P = c->params + t->off;
    const int n = p->n, w = p->w, C = p->C;
    const long N = (long)n * w;
    long woff, boff;
    int nin, nout;
    /* Layer 0: z = W X + b; z_j = W[:, j]; z_pq = 0 (never written). */
    rt_mlp_layer(t, 0, &woff, &boff, &nin, &nout);
    const double *W = P + woff, *b = P + boff;
    double *Z = p->Z[0];
    for (int i = 0; i < n; i++) {
        double *zi = Z + (long)i * w;
        for (int o = 0; o < w; o++)
            zi[o] = b[o];
        for (int m = 0; m < nin; m++) {
            double x = p->X[(long)m * n + i];
            for (int o = 0; o < w; o++)
                zi[o] += W[o * nin + m] * x;
        }
    }
    for (int f = 1; f <= p->nf; f++) {
        int j = p->fidx[f - 1];
        double *zf = Z + f * N;
        for (int o = 0; o < w; o++)
            zf[o] = W[o * nin + j];
        for (int i = 1; i < n; i++)
            memcpy(zf + (long)i * w, zf, sizeof(double) * (size_t)w);
    }
    layer_act(p, 0);
    /* Hidden layers 1..depth-1: one GEMM over all C*n rows. */
    for (int l = 1; l < p->depth; l++) {
        rt_mlp_layer(t, l, &woff, &boff, &nin, &nout);
        W = P + woff;
        b = P + boff;
        Z = p->Z[l];
        for (int o = 0; o < w; o++)   /* Wt[k][o] = W[o][k] */
            for (int k = 0; k < w; k++)
                p->Wt[k * w + o] = W[o * w + k];
        rt_gemm((long)C * n, w, w, p->Aa[l - 1], w, 1, p->Wt, w, Z, w, 0);
        for (int i = 0; i < n; i++)
            for (int o = 0; o < w; o++)
                Z[(long)i * w + o] += b[o];
        layer_act(p, l);
    }
    /* Output layer (linear), then scatter into out [ncomp][dout][n]. */
    rt_mlp_layer(t, p->depth, &woff, &boff, &nin, &nout);
    W = P + woff;
    b = P + boff;
    const int dout = p->dout;
    rt_gemm_dot((long)C * n, dout, w, p->Aa[p->depth - 1], w, W, w, p->Zo, dout);
    for (int k = 0; k < p->ncomp; k++) {
        int ck = p->req[k];
        for (int o = 0; o < dout; o++) {
            double *dst = p->out + ((long)k * dout + o) * n;
            const double *src = p->Zo + (long)ck * n * dout + o;
            double bias = ck == 0 ? b[o] : 0.0;
            for (int i = 0; i < n; i++)
                dst[i] = src[(long)i * dout] + bias;
        }
    }
}

/* Zbar from Abar for hidden layer l (see the header comment). */
static void layer_act_bwd(JetPlan *p, int l)
{
    const long N = (long)p->n * p->w;
    const double *Z = p->Z[l], *S = p->S[l], *dA = p->dA;
    const double *s1 = S, *s2 = S + N, *s3 = S + 2 * N;
    double *dZ = p->dZ;
    rt_ew_mul(N, dZ, dA, s1);
    for (int f = 1; f <= p->nf; f++)
        rt_ewb_first(N, dZ, dZ + f * N, dA + f * N, s1, s2, Z + f * N);
    for (int s = 0; s < p->ns; s++) {   /* order: higher components add terms here */
        int cs = 1 + p->nf + s, a = p->pair[s][0], b = p->pair[s][1];
        /* pure second (a == b): d(s2 z_a^2)/dz_a = 2 s2 z_a */
        rt_ewb_second(N, dZ, dZ + a * N, dZ + cs * N, dA + cs * N, s1, s2, s3, Z + a * N,
                   Z + b * N, l ? Z + cs * N : NULL, a == b ? 2.0 : 1.0);
        if (a != b)
            rt_ewb_other(N, dZ + b * N, dA + cs * N, s2, Z + a * N);
    }
}

void rt_jet_bwd(HyCtx *c, JetPlan *p)
{
    if (!p->dout_adj)
        RT_ICE("hy_jet_bwd: plan of net %d has no output adjoint", p->net);
    const Trainable *t = &c->tr[p->net];
    const double *P = c->params + t->off;
    double *G = c->grads + t->off;
    const int n = p->n, w = p->w, C = p->C, dout = p->dout;
    const long N = (long)n * w;
    long woff, boff;
    int nin, nout;
    /* Output layer: gather Zbar [C][n][dout] from dout_adj [ncomp][dout][n]. */
    double *dZo = p->dZ;
    memset(dZo, 0, sizeof(double) * (size_t)C * n * dout);
    for (int k = 0; k < p->ncomp; k++) {
        int ck = p->req[k];
        for (int o = 0; o < dout; o++) {
            const double *src = p->dout_adj + ((long)k * dout + o) * n;
            double *dst = dZo + (long)ck * n * dout + o;
            for (int i = 0; i < n; i++)
                dst[(long)i * dout] += src[i];
        }
    }
    rt_mlp_layer(t, p->depth, &woff, &boff, &nin, &nout);
    rt_gemm(dout, w, (long)C * n, dZo, 1, dout, p->Aa[p->depth - 1], w, G + woff, w, 1);
    for (int i = 0; i < n; i++)
        for (int o = 0; o < dout; o++)
            G[boff + o] += dZo[(long)i * dout + o];
    rt_gemm((long)C * n, w, dout, dZo, dout, 1, P + woff, w, p->dA, w, 0);
    /* Hidden layers, last to 1: Zbar, then dW, db, Abar_prev. */
    for (int l = p->depth - 1; l >= 1; l--) {
        layer_act_bwd(p, l);
        rt_mlp_layer(t, l, &woff, &boff, &nin, &nout);
        rt_gemm(w, w, (long)C * n, p->dZ, 1, w, p->Aa[l - 1], w, G + woff, w, 1);
        double *gb = G + boff;
        for (int i = 0; i < n; i++)
            for (int o = 0; o < w; o++)
                gb[o] += p->dZ[(long)i * w + o];
        rt_gemm((long)C * n, w, w, p->dZ, w, 1, P + woff, w, p->dA, w, 0);
    }
    /* Layer 0: z = W X + b, z_j = W[:, j]; z_pq = 0 has no parameters. */
    layer_act_bwd(p, 0);
    rt_mlp_layer(t, 0, &woff, &boff, &nin, &nout);
    const double *W = P + woff;
    double *gW = G + woff, *gb = G + boff;
    const double *dz = p->dZ;
    for (int i = 0; i < n; i++) {
        const double *dzi = dz + (long)i * w;
        for (int o = 0; o < w; o++)
            gb[o] += dzi[o];
        for (int m = 0; m < nin; m++) {
            double x = p->X[(long)m * n + i];
            for (int o = 0; o < w; o++)
                gW[o * nin + m] += dzi[o] * x;
        }
        if (p->dX)
            for (int m = 0; m < nin; m++) {
                double s = 0.0;
                for (int o = 0; o < w; o++)
                    s += dzi[o] * W[o * nin + m];
                p->dX[(long)m * n + i] += s;
            }
    }
    for (int f = 1; f <= p->nf; f++) {
        int j = p->fidx[f - 1];
        const double *dzf = dz + f * N;
        for (int i = 0; i < n; i++)
            for (int o = 0; o < w; o++)
                gW[o * nin + j] += dzf[(long)i * w + o];
    }
}
