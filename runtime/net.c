/* net.c -- network trainables (hy_net kinds), Taylor-mode jets (forward) and
 * their reverse.
 *
 * Requires: trainables declared through hy_net/hy_mlp (ctx.c owns the params
 * block; rt_net_check/rt_net_setup here validate and initialise).
 * Guarantees: hy_jet_fwd fills the requested jet components of the network
 * outputs exactly as the chain rule gives them (no finite differences);
 * hy_jet_bwd accumulates the exact reverse of that computation; no
 * allocation after hy_jet_plan.
 *
 * Networks (hyrt_api.h defines the kinds; rt_internal.h the MLP layout).  The
 * input x (din values per point) passes an input stage, then a trunk:
 *   input stage   x~ = x, or x~ = 2 (x - lo)/(hi - lo) - 1 (normalisation,
 *                 so dx~_m/dx_m = sc_m = 2/(hi_m - lo_m)); with Fourier
 *                 features the trunk input is g = [cos v, sin v], v = 2 pi B x~
 *                 (d0 = 2 nfeat values), else g = x~ (d0 = din).
 *   trunk         depth hidden blocks, each  z = W_l a + b_l,  h = act(z),
 *                 then the block output a_l:  MLP a_l = h;  RESNET a_l = h for
 *                 l = 0, a_l = a_{l-1} + h after;  MODIFIED a_l = U + h (V - U)
 *                 with encoders U = act(W_u g + b_u), V = act(W_v g + b_v).
 *                 (Wang, Teng & Perdikaris 2021 write H(k+1) = (1 - Z(k)) U +
 *                 Z(k) V after an unblended first layer; here every hidden
 *                 layer is blended, so depth counts blended layers.)
 *   output        out = W_depth a + b_depth (linear).
 * Parameter slice: the MLP layout with n_in(0) = d0 (layers 0..depth: W then
 * b), then for MODIFIED  W_u [width][d0], b_u [width], W_v [width][d0],
 * b_v [width].  Fourier B is no parameter: drawn from (declaration seed,
 * stream RT_FOURIER_STREAM + id, counter k*din + m) when a plan is made.
 *
 * Jet components (internal order): c = 0 the value; c = 1..nf the first
 * derivatives d/du_j (j = fidx[c-1]); c = nf+1..nf+ns second derivatives
 * d2/du_p du_q with p, q given as first-order component numbers in pair[].
 * The plan adds every component a requested one needs (value, and both first
 * derivatives of a second one).  Derivatives are by the raw inputs x; every
 * tensor below is held as its jet (value, first, second components).
 *   first layer, no Fourier: z = W x~ + b,  z_j = sc_j W[:, j],  z_pq = 0
 *                 (computed directly; sc_j = 1 without normalisation, so the
 *                 first-layer tangent vectors scale by 2/(hi - lo)).
 *   Fourier:      v_j = sc_j 2 pi B[:, j] (constant), v_pq = 0;
 *                 cos: -sin v v_j, -cos v v_p v_q;  sin: cos v v_j, -sin v v_p v_q;
 *                 then z = W g + b as a GEMM over all components.
 *   linear:       z_c = W a_c (+ b for c = 0)       all C components in ONE GEMM
 *   activation:   a = s(z),  a_j = s1 z_j,  a_pq = s2 z_p z_q + s1 z_pq
 *                 (s1..s3: derivatives of act at the value z)
 *   residual:     componentwise sum
 *   blend:        y = U + h D (D = V - U), product rule:
 *                 y_j = U_j + h_j D + h D_j,
 *                 y_pq = U_pq + h_pq D + h_p D_q + h_q D_p + h D_pq
 * Reverse (bars = adjoints):
 *   activation:   zbar_pq = abar_pq s1
 *                 zbar_p += abar_p s1 + sum_{(p,q)} abar_pq s2 z_q  (both slots)
 *                 zbar   = abar s1 + sum_j abar_j s2 z_j + sum_pq abar_pq (s3 z_p z_q + s2 z_pq)
 *   linear:       dW += Zbar^T A_prev (one GEMM over all components),
 *                 db += sum zbar (value), Abar_prev = Zbar W (one GEMM)
 *   blend:        hbar_c, Dbar_c from the transposed product rule; Ubar += ybar
 *                 - Dbar, Vbar += Dbar (U, V used by every block: accumulated)
 *   residual:     Abar_prev = abar + Zbar W
 *   first layer:  only z (value) depends on x: xbar_m = sc_m sum_o zbar_o W[o][m];
 *                 dW[:, j] += sc_j sum zbar_j;  Fourier: gbar = Zbar W, then
 *                 vbar from the derivatives of the g formulas by v, xbar =
 *                 sc (2 pi B)^T vbar.  B gets no gradient.
 * Orders > 2 stop with an internal error; adding them means new component
 * kinds (triples, quadruples) with their Faa di Bruno terms in the places
 * marked "order".
 *
 * Storage: every tensor of the trunk is [C][n][width] row-major (component
 * outermost, then point, then unit), so each component is one contiguous
 * n*width block and the stacked GEMM has C*n rows.  Fourier features G are
 * [C][n][d0]; the output buffer Zo is [C][n][dout]; out is [ncomp][dout][n].
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "rt_internal.h"

#define MAXC 128                         /* most internal components of one plan */
#define RT_FOURIER_STREAM 0x200000000ULL /* stream domain of Fourier matrices */
#define TWO_PI 6.283185307179586476925
#define MAX_NFEAT 65536                  /* sanity bound on Fourier features */

struct JetPlan {
    int net;                  /* trainable id of the network */
    int n;                    /* number of points (of the last forward) */
    int ld;                   /* stride of X, out, dout_adj, dX, Xn: the n of the plan */
    int ps;                   /* >= 0: n = the live count of this point set at each forward */
    int din, dout, w, depth;  /* network shape (w = hidden width) */
    int act;                  /* activation */
    int kind;                 /* trunk: HY_NET_MLP, HY_NET_MODIFIED, HY_NET_RESNET */
    int nfeat;                /* Fourier features (0: none) */
    int d0;                   /* trunk input width (din, or 2 nfeat) */
    int norm;                 /* inputs normalised */
    int order;                /* highest derivative order requested */
    int nd;                   /* activation derivatives kept per layer (1..3) */
    int C;                    /* internal components */
    int nf, ns;               /* first- and second-order internal components */
    int nh;                   /* components of order 3..RT_MAX_ORDER, after the seconds */
    int fidx[MAXC];           /* first-order component 1+f differentiates by u_{fidx[f]} */
    int pair[MAXC][2];        /* second-order comp 1+nf+s: first-order comps (1-based) */
    int cord[MAXC];           /* order of internal component c */
    int cdir[MAXC][RT_MAX_ORDER]; /* its directions: first-order comps (1-based), ascending */
    RtJetTerm term[MAXC * 15];/* activation terms of the higher comps (Bell(4) = 15 each) */
    int tstart[MAXC + 1];     /* terms of higher comp h: term[tstart[h] .. tstart[h+1]) */
    RtJetHi hij;              /* the two above for act.c */
    struct { double coef; int cj, ck; } pt[MAXC * 14]; /* blend: coef h_cj D_ck, J, K nonempty */
    int pstart[MAXC + 1];     /* product terms of higher comp h */
    int ncomp;                /* requested components */
    int *req;                 /* requested k -> internal component [ncomp] */
    const double *X;          /* input [din][n] */
    double *out;              /* output [ncomp][dout][n] */
    const double *dout_adj;   /* adjoint of out, same layout, or NULL */
    double *dX;               /* adjoint of X [din][n], or NULL */
    const double *Xin;        /* what the first layer sees: X, or Xn */
    double *Xn;               /* normalised inputs [din][n] (norm) */
    double *lo, *hi, *sc;     /* normalisation box and dx~/dx per input [din] */
    double *Bt;               /* 2 pi B [nfeat][din] (Fourier) */
    double *Vf;               /* dv/du_{fidx[f]} per first-order comp f [nf][nfeat] */
    double *cs, *sn;          /* cos v, sin v [n][nfeat] */
    double *G;                /* Fourier feature jet [C][n][d0] */
    double *dG;               /* its adjoint (dX requested), else NULL */
    int dG_set;               /* dG written by a projection of the running backward */
    double **Z;               /* per hidden layer: pre-activations [C][n][w] */
    double **H;               /* per hidden layer: activations [C][n][w] */
    double **A;               /* per hidden layer: block outputs (MLP: = H) */
    double **S;               /* per hidden layer: s1..s_nd, [nd][n][w] */
    double *ZU, *HU, *SU;     /* modified: encoder U pre-activation, value, derivatives */
    double *ZV, *HV, *SV;     /* modified: encoder V */
    double *D;                /* modified: V - U [C][n][w] */
    double *dU, *dV, *dH;     /* modified backward: adjoints of U, V, h */
    double *Zo;               /* output layer pre-scatter [C][n][dout] */
    double *dZ, *dA;          /* backward scratch [C][n][max(w,dout)] each */
    double *Wt;               /* scratch: a transposed weight matrix [max(w,d0)][w] */
    double *block;            /* the one allocation holding all buffers */
};

/* ---------------------------------------------------------------- layout */

/* Trunk input width: 2 nfeat with Fourier features, else din. */
static int trunk_in(const Trainable *t) { return t->nfeat ? 2 * t->nfeat : t->din; }

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
        int ni = k == 0 ? trunk_in(t) : t->width, no = k == t->depth ? t->dout : t->width;
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

void rt_net_encoder(const Trainable *t, int which, long *woff, long *boff)
{
    long d0 = trunk_in(t), w = t->width;
    long base = rt_mlp_param_count((int)d0, t->dout, t->width, t->depth) + which * (w * d0 + w);
    *woff = base;
    *boff = base + w * d0;
}

/* ---------------------------------------------------------------- declaration */

/* Options of hy_net decoded (defaults filled in). */
typedef struct NetOpt {
    int init, nfeat, norm;
    double scale;
    const double *lo, *hi;
} NetOpt;

/* Decodes opt (layout in hyrt_api.h); an internal error names the first bad entry. */
static void net_opts(const char *name, int kind, int din, int width, int nopt, const double *opt,
                     NetOpt *o)
{
    const char *nm = name ? name : "";
    if (nopt < 0 || (nopt > 0 && !opt))
        RT_ICE("hy_net '%s': nopt %d with opt %p", nm, nopt, (const void *)opt);
    double v[HY_NETOPT_LO] = {HY_INIT_GLOROT_NORMAL, 0, 0, 0};
    for (int i = 0; i < HY_NETOPT_LO && i < nopt; i++) {
        if (!isfinite(opt[i]) || opt[i] < 0 || (i != HY_NETOPT_SCALE && opt[i] != floor(opt[i])))
            RT_ICE("hy_net '%s': opt[%d] = %g is not a valid setting", nm, i, opt[i]);
        v[i] = opt[i];
    }
    int fourier = (kind & HY_NET_FOURIER) != 0;
    if (v[HY_NETOPT_INIT] >= HY_INIT_COUNT)
        RT_ICE("hy_net '%s': unknown initialisation %g", nm, v[HY_NETOPT_INIT]);
    if (!fourier && (v[HY_NETOPT_NFEAT] != 0 || v[HY_NETOPT_SCALE] != 0))
        RT_ICE("hy_net '%s': Fourier options given to a net without HY_NET_FOURIER", nm);
    if (v[HY_NETOPT_NFEAT] > MAX_NFEAT)
        RT_ICE("hy_net '%s': %g Fourier features (at most %d)", nm, v[HY_NETOPT_NFEAT], MAX_NFEAT);
    if (v[HY_NETOPT_NORM] > 1)
        RT_ICE("hy_net '%s': normalise flag %g (0 or 1)", nm, v[HY_NETOPT_NORM]);
    o->init = (int)v[HY_NETOPT_INIT];
    o->nfeat = fourier ? (v[HY_NETOPT_NFEAT] > 0 ? (int)v[HY_NETOPT_NFEAT] : (width + 1) / 2) : 0;
    o->scale = fourier ? (v[HY_NETOPT_SCALE] > 0 ? v[HY_NETOPT_SCALE] : 1.0) : 0.0;
    o->norm = (int)v[HY_NETOPT_NORM];
    o->lo = o->hi = NULL;
    if (o->norm) {
        if (din > RT_NET_MAXIN)
            RT_ICE("hy_net '%s': input normalisation of %d inputs (at most %d)", nm, din,
                   RT_NET_MAXIN);
        if (nopt != HY_NETOPT_LO + 2 * din)
            RT_ICE("hy_net '%s': normalisation needs nopt = %d, got %d", nm,
                   HY_NETOPT_LO + 2 * din, nopt);
        o->lo = opt + HY_NETOPT_LO;
        o->hi = o->lo + din;
        for (int m = 0; m < din; m++)
            if (!isfinite(o->lo[m]) || !isfinite(o->hi[m]) || !(o->lo[m] < o->hi[m]) ||
                !isfinite(2.0 / (o->hi[m] - o->lo[m])))
                RT_ICE("hy_net '%s': normalisation box of input %d is [%g, %g]", nm, m,
                       o->lo[m], o->hi[m]);
    } else if (nopt > HY_NETOPT_LO) {
        RT_ICE("hy_net '%s': nopt %d > %d without normalisation", nm, nopt, HY_NETOPT_LO);
    }
}

long rt_net_check(const char *name, int kind, int din, int dout, int width, int depth, int act,
                  int nopt, const double *opt)
{
    int trunk = kind & ~HY_NET_FOURIER;
    if (din < 1 || dout < 1 || width < 1 || depth < 1 || act < 0 || act >= HY_ACT_COUNT ||
        kind < 0 || (trunk != HY_NET_MLP && trunk != HY_NET_MODIFIED && trunk != HY_NET_RESNET))
        RT_ICE("hy_net '%s': kind %d din %d dout %d width %d depth %d act %d (need a known "
               "kind, all sizes >= 1, a known activation)", name ? name : "", kind, din, dout,
               width, depth, act);
    NetOpt o;
    net_opts(name, kind, din, width, nopt, opt, &o);
    long d0 = o.nfeat ? 2L * o.nfeat : din;
    long len = rt_mlp_param_count((int)d0, dout, width, depth);
    if (trunk == HY_NET_MODIFIED)
        len += 2 * ((long)width * d0 + width);
    return len;
}

/* Draw k of the slice for a weight with fan_in, fan_out (see HY_INIT_*). */
static double init_draw(int init, uint64_t seed, int id, long k, int fan_in, int fan_out)
{
    if (init == HY_INIT_GLOROT_UNIFORM) {
        double a = sqrt(6.0 / (double)(fan_in + fan_out));
        return a * (2.0 * hy_rng_uniform(seed, (uint64_t)id, (uint64_t)k) - 1.0);
    }
    double sd = init == HY_INIT_HE_NORMAL ? sqrt(2.0 / (double)fan_in)
                                          : sqrt(2.0 / (double)(fan_in + fan_out));
    return sd * hy_rng_normal(seed, (uint64_t)id, (uint64_t)k);
}

/* Weights W [nout][nin] at slice offset woff, then zero biases. */
static void init_layer(double *P, int init, uint64_t seed, int id, long woff, int nin, int nout)
{
    long boff = woff + (long)nin * nout;
    for (long k = woff; k < boff; k++)
        P[k] = init_draw(init, seed, id, k, nin, nout);
    for (long k = boff; k < boff + nout; k++)
        P[k] = 0.0;
}

void rt_net_setup(Trainable *t, int id, uint64_t seed, double *P, int kind, int din, int dout,
                  int width, int depth, int act, int nopt, const double *opt)
{
    NetOpt o;
    net_opts(t->name, kind, din, width, nopt, opt, &o);
    t->din = din;
    t->dout = dout;
    t->width = width;
    t->depth = depth;
    t->act = act;
    t->net_kind = kind & ~HY_NET_FOURIER;
    t->init = o.init;
    t->nfeat = o.nfeat;
    t->fscale = o.scale;
    t->seed = seed;
    t->norm = o.norm;
    for (int m = 0; o.norm && m < din; m++) {
        t->lo[m] = o.lo[m];
        t->hi[m] = o.hi[m];
    }
    for (int l = 0; l <= depth; l++) {
        long woff, boff;
        int nin, nout;
        rt_mlp_layer(t, l, &woff, &boff, &nin, &nout);
        init_layer(P, o.init, seed, id, woff, nin, nout);
    }
    if (t->net_kind == HY_NET_MODIFIED)
        for (int e = 0; e < 2; e++) {
            long woff, boff;
            rt_net_encoder(t, e, &woff, &boff);
            init_layer(P, o.init, seed, id, woff, trunk_in(t), width);
        }
}

void rt_net_fourier(const Trainable *t, int id, double *B)
{
    for (long k = 0; k < (long)t->nfeat * t->din; k++)
        B[k] = t->fscale * hy_rng_normal(t->seed, RT_FOURIER_STREAM + (uint64_t)id, (uint64_t)k);
}

/* ---------------------------------------------------------------- plans */

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

/* Second-order component of first-order comps a <= b, adding it if missing. */
static int second_comp(JetPlan *p, int a, int b)
{
    int s;
    for (s = 0; s < p->ns; s++)
        if (p->pair[s][0] == a && p->pair[s][1] == b)
            return 1 + p->nf + s;
    if (1 + p->nf + p->ns >= MAXC)
        RT_ICE("jet plan: more than %d components", MAXC);
    p->pair[s][0] = a;
    p->pair[s][1] = b;
    p->ns++;
    return 1 + p->nf + s;
}

/* Internal component with directions dir[0..ord) (first-order comps,
 * ascending), or -1.  Components 0 .. 1+nf+ns+nh-1 must have cord/cdir. */
static int find_comp(const JetPlan *p, int ord, const int *dir)
{
    for (int c = 0; c < 1 + p->nf + p->ns + p->nh; c++)
        if (p->cord[c] == ord && !memcmp(p->cdir[c], dir, sizeof(int) * (size_t)ord))
            return c;
    return -1;
}

/* The directions of every sub-multiset of size k of dir[0..ord) (positions
 * chosen by bit masks, so each stays ascending); returns their number. */
static int sub_multisets(int ord, const int *dir, int k, int (*sub)[RT_MAX_ORDER])
{
    int n = 0;
    for (unsigned m = 1; m < 1u << ord; m++) {
        if (__builtin_popcount(m) != k)
            continue;
        int q = 0;
        for (int i = 0; i < ord; i++)
            if (m >> i & 1u)
                sub[n][q++] = dir[i];
        n++;
    }
    return n;
}

/* Activation terms (Faa di Bruno over set partitions, equal terms merged)
 * and blend product terms of higher component h (all components known),
 * appended at term[*nt], pt[*npt]. */
static void higher_terms(JetPlan *p, int h, int *nt, int *npt)
{
    const int c = 1 + p->nf + p->ns + h, ord = p->cord[c], *dir = p->cdir[c];
    int a[RT_MAX_ORDER] = {0};   /* restricted growth string: block of each position */
    for (;;) {
        int nb = 0;
        for (int i = 0; i < ord; i++)
            nb = a[i] + 1 > nb ? a[i] + 1 : nb;
        RtJetTerm t = {1.0, nb, nb, 0, {0}};
        for (int b = 0; b < nb; b++) {
            int bd[RT_MAX_ORDER], q = 0;
            for (int i = 0; i < ord; i++)
                if (a[i] == b)
                    bd[q++] = dir[i];
            t.big |= q >= 2;
            t.b[b] = find_comp(p, q, bd);
            if (t.b[b] < 0)
                RT_ICE("jet plan: a block of component %d is missing", c);
        }
        for (int i = 1; i < nb; i++)   /* sorted block list: the key of the term */
            for (int k = i; k > 0 && t.b[k - 1] > t.b[k]; k--) {
                int tmp = t.b[k];
                t.b[k] = t.b[k - 1];
                t.b[k - 1] = tmp;
            }
        int m = p->tstart[h];
        for (; m < *nt; m++)
            if (p->term[m].nb == nb && !memcmp(p->term[m].b, t.b, sizeof t.b))
                break;
        if (m < *nt) {
            p->term[m].coef += 1.0;
        } else {
            if (*nt >= (int)(sizeof p->term / sizeof p->term[0]))
                RT_ICE("jet plan: too many terms");
            p->term[(*nt)++] = t;
        }
        /* next restricted growth string (a[0] = 0, a[i] <= 1 + max a[0..i)) */
        int i = ord - 1;
        for (; i > 0; i--) {
            int mx = 0;
            for (int k = 0; k < i; k++)
                mx = a[k] > mx ? a[k] : mx;
            if (a[i] <= mx)
                break;
        }
        if (i == 0)
            break;
        a[i]++;
        for (int k = i + 1; k < ord; k++)
            a[k] = 0;
    }
    /* blend: d_I (h D) = sum over position subsets J of h_J D_{I \ J} */
    for (unsigned mk = 1; mk + 1 < 1u << ord; mk++) {
        int jd[RT_MAX_ORDER], kd[RT_MAX_ORDER], nj = 0, nk = 0;
        for (int i = 0; i < ord; i++) {
            if (mk >> i & 1u)
                jd[nj++] = dir[i];
            else
                kd[nk++] = dir[i];
        }
        int cj = find_comp(p, nj, jd), ck = find_comp(p, nk, kd), m;
        if (cj < 0 || ck < 0)
            RT_ICE("jet plan: a factor of component %d is missing", c);
        for (m = p->pstart[h]; m < *npt; m++)
            if (p->pt[m].cj == cj && p->pt[m].ck == ck)
                break;
        if (m < *npt) {
            p->pt[m].coef += 1.0;
        } else {
            p->pt[m].coef = 1.0;
            p->pt[m].cj = cj;
            p->pt[m].ck = ck;
            (*npt)++;
        }
    }
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
    p->ld = n;
    p->ps = -1;
    p->din = t->din;
    p->dout = t->dout;
    p->w = t->width;
    p->depth = t->depth;
    p->act = t->act;
    p->kind = t->net_kind;
    p->nfeat = t->nfeat;
    p->d0 = trunk_in(t);
    p->norm = t->norm;
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
        if (ord > RT_MAX_ORDER) {   /* codes hold at most 4 indices */
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
    /* Pass 2: map requests of order <= 2; add second-order components, also
     * those inside higher requests (every sub-multiset of a component is a
     * component: the blocks of its chain rule). */
    int sub[1 << RT_MAX_ORDER][RT_MAX_ORDER];
    for (int k = 0; k < ncomp; k++) {
        int ord = decode(comps[k], p->din, idx), dir[RT_MAX_ORDER];
        for (int i = 0; i < ord; i++)
            dir[i] = first_comp(p, idx[i]);
        if (ord == 0)
            p->req[k] = 0;
        else if (ord == 1)
            p->req[k] = dir[0];
        else if (ord == 2)
            p->req[k] = second_comp(p, dir[0], dir[1]);
        else
            for (int q = sub_multisets(ord, dir, 2, sub) - 1; q >= 0; q--)
                second_comp(p, sub[q][0], sub[q][1]);
    }
    p->cord[0] = 0;
    for (int f = 1; f <= p->nf; f++)
        p->cord[f] = 1, p->cdir[f][0] = f;
    for (int s = 0; s < p->ns; s++) {
        p->cord[1 + p->nf + s] = 2;
        p->cdir[1 + p->nf + s][0] = p->pair[s][0];
        p->cdir[1 + p->nf + s][1] = p->pair[s][1];
    }
    /* Pass 3: components of order 3.. by increasing order, then their terms. */
    for (int o = 3; o <= p->order; o++)
        for (int k = 0; k < ncomp; k++) {
            int ord = decode(comps[k], p->din, idx), dir[RT_MAX_ORDER];
            if (ord < o)
                continue;
            for (int i = 0; i < ord; i++)
                dir[i] = first_comp(p, idx[i]);
            for (int q = sub_multisets(ord, dir, o, sub) - 1; q >= 0; q--) {
                if (find_comp(p, o, sub[q]) >= 0)
                    continue;
                int cn = 1 + p->nf + p->ns + p->nh;
                if (cn >= MAXC)
                    RT_ICE("jet plan: more than %d components", MAXC);
                p->cord[cn] = o;
                memcpy(p->cdir[cn], sub[q], sizeof(int) * (size_t)o);
                p->nh++;
            }
            if (ord == o)
                p->req[k] = find_comp(p, o, dir);
        }
    int nt = 0, npt = 0;
    for (int h = 0; h < p->nh; h++) {
        p->tstart[h] = nt;
        p->pstart[h] = npt;
        higher_terms(p, h, &nt, &npt);
    }
    p->tstart[p->nh] = nt;
    p->pstart[p->nh] = npt;
    p->hij.c0 = 1 + p->nf + p->ns;
    p->hij.nh = p->nh;
    p->hij.tstart = p->tstart;
    p->hij.t = p->term;
    p->C = 1 + p->nf + p->ns + p->nh;
    p->nd = p->order + (dout_adj ? 1 : 0);
    if (p->nd < 1)
        p->nd = 1;
    /* One block for every buffer. */
    const int mod = p->kind == HY_NET_MODIFIED, res = p->kind == HY_NET_RESNET;
    long nw = (long)n * p->w, C = p->C, D = p->depth, F = p->nfeat, din = p->din;
    long wmax = p->w > p->dout ? p->w : p->dout;
    long wt = (long)p->w * (p->w > p->d0 ? p->w : p->d0);
    long layer = 2 * C * nw + p->nd * nw;
    long total = D * layer + (mod ? D : res ? D - 1 : 0) * C * nw + C * n * p->dout +
                 2 * C * n * wmax + wt + 3 * din + (p->norm ? din * n : 0);
    if (F)
        total += F * din + p->nf * F + 2 * n * F + (dX ? 2 : 1) * C * n * p->d0;
    if (mod)
        total += 5 * C * nw + 2 * p->nd * nw + (dout_adj ? 3 * C * nw : 0);
    p->block = rt_xcalloc((size_t)total, sizeof(double), "jet buffers");
    p->Z = rt_xmalloc(sizeof(double *) * (size_t)(4 * D), "jet plan");
    p->H = p->Z + D;
    p->S = p->Z + 2 * D;
    p->A = p->Z + 3 * D;
    double *q = p->block;
    for (long l = 0; l < D; l++) {
        p->Z[l] = q, q += C * nw;
        p->H[l] = q, q += C * nw;
        p->S[l] = q, q += p->nd * nw;
        if (mod || (res && l > 0))
            p->A[l] = q, q += C * nw;
        else
            p->A[l] = p->H[l];
    }
    p->Zo = q, q += C * n * p->dout;
    p->dZ = q, q += C * n * wmax;
    p->dA = q, q += C * n * wmax;
    p->Wt = q, q += wt;
    p->lo = q, q += din;
    p->hi = q, q += din;
    p->sc = q, q += din;
    for (int m = 0; m < p->din; m++) {
        p->lo[m] = t->norm ? t->lo[m] : -1.0;
        p->hi[m] = t->norm ? t->hi[m] : 1.0;
        p->sc[m] = t->norm ? 2.0 / (t->hi[m] - t->lo[m]) : 1.0;
    }
    p->Xin = X;
    if (p->norm)
        p->Xn = q, q += din * n, p->Xin = p->Xn;
    if (F) {
        p->Bt = q, q += F * din;
        p->Vf = q, q += p->nf * F;
        p->cs = q, q += n * F;
        p->sn = q, q += n * F;
        p->G = q, q += C * n * p->d0;
        if (dX)
            p->dG = q, q += C * n * p->d0;
        rt_net_fourier(t, net, p->Bt);
        for (long i = 0; i < F * din; i++)
            p->Bt[i] *= TWO_PI;
        for (int f = 0; f < p->nf; f++)
            for (long k = 0; k < F; k++)
                p->Vf[f * F + k] = p->Bt[k * din + p->fidx[f]] * p->sc[p->fidx[f]];
    }
    if (mod) {
        p->ZU = q, q += C * nw;
        p->HU = q, q += C * nw;
        p->ZV = q, q += C * nw;
        p->HV = q, q += C * nw;
        p->D = q, q += C * nw;
        p->SU = q, q += p->nd * nw;
        p->SV = q, q += p->nd * nw;
        if (dout_adj) {
            p->dU = q, q += C * nw;
            p->dV = q, q += C * nw;
            p->dH = q, q += C * nw;
        }
    }
    if (q != p->block + total)
        RT_ICE("jet plan: buffer layout %ld of %ld", (long)(q - p->block), total);
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

/* ---------------------------------------------------------------- forward */

/* Derivative k of cos (sine 0) or sin (sine 1) at v from cv = cos v, sv = sin v. */
static double cyc_deriv(int k, double cv, double sv, int sine)
{
    switch ((k + 3 * sine) & 3) {   /* sin^(k) = cos^(k+3) */
    case 0: return cv;
    case 1: return -sv;
    case 2: return -cv;
    default: return sv;
    }
}

/* Normalised inputs and Fourier features of the current X. */
static void input_fwd(JetPlan *p)
{
    const int n = p->n, din = p->din;
    if (p->norm)
        for (int m = 0; m < din; m++) {
            const double lo = p->lo[m], hi = p->hi[m];
            const double *x = p->X + (long)m * p->ld;
            double *y = p->Xn + (long)m * p->ld;
            for (int i = 0; i < n; i++)
                y[i] = 2.0 * (x[i] - lo) / (hi - lo) - 1.0;
        }
    if (!p->nfeat)
        return;
    const long F = p->nfeat, d0 = p->d0, N0 = (long)n * d0;
    double *cs = p->cs, *sn = p->sn;
    for (int i = 0; i < n; i++)   /* v = 2 pi B x~, kept in cs until mapped */
        for (long k = 0; k < F; k++) {
            double v = 0.0;
            for (int m = 0; m < din; m++)
                v += p->Bt[k * din + m] * p->Xin[(long)m * p->ld + i];
            cs[i * F + k] = v;
        }
    rt_vmap_sin(n * F, cs, sn);
    rt_vmap_cos(n * F, cs, cs);
    double *G = p->G;
    for (int i = 0; i < n; i++)
        for (long k = 0; k < F; k++) {
            double cv = cs[i * F + k], sv = sn[i * F + k];
            G[i * d0 + k] = cv;
            G[i * d0 + F + k] = sv;
            for (int f = 1; f <= p->nf; f++) {
                double vj = p->Vf[(f - 1) * F + k];
                G[f * N0 + i * d0 + k] = -sv * vj;
                G[f * N0 + i * d0 + F + k] = cv * vj;
            }
            for (int s = 0; s < p->ns; s++) {
                long cc = 1 + p->nf + s;
                double vv = p->Vf[(p->pair[s][0] - 1) * F + k] * p->Vf[(p->pair[s][1] - 1) * F + k];
                G[cc * N0 + i * d0 + k] = -cv * vv;
                G[cc * N0 + i * d0 + F + k] = -sv * vv;
            }
            for (long cc = 1 + p->nf + p->ns; cc < p->C; cc++) {
                double vv = 1.0;
                for (int r = 0; r < p->cord[cc]; r++)
                    vv *= p->Vf[(p->cdir[cc][r] - 1) * F + k];
                G[cc * N0 + i * d0 + k] = cyc_deriv(p->cord[cc], cv, sv, 0) * vv;
                G[cc * N0 + i * d0 + F + k] = cyc_deriv(p->cord[cc], cv, sv, 1) * vv;
            }
        }
}

/* W [r][k] (r < rows, k < cols) transposed into Wt [cols][rows]. */
static void transpose(const double *W, int rows, int cols, double *Wt)
{
    rt_transpose(rows, cols, W, Wt);
}

/* First-layer map z = W g + b (W [w][d0], b [w]) as a jet Z [C][n][w]. */
static void proj_fwd(JetPlan *p, const double *W, const double *b, double *Z)
{
    const int n = p->n, w = p->w, nin = p->d0;
    const long N = (long)n * w;
    if (p->nfeat) {
        transpose(W, w, nin, p->Wt);
        rt_gemm((long)p->C * n, w, nin, p->G, nin, 1, p->Wt, w, Z, w, 0);
        rt_add_bias(n, w, Z, b);
        return;
    }
    /* z = W x~ + b; z_j = sc_j W[:, j]; z_pq = 0 (never written).  W is read
     * transposed (unit stride over units); the sums are the same. */
    const double *Wt = p->Wt;
    transpose(W, w, nin, p->Wt);
    rt_affine_rows(n, w, nin, p->Xin, p->ld, Wt, b, Z);
    for (int f = 1; f <= p->nf; f++) {
        int j = p->fidx[f - 1];
        double *zf = Z + f * N;
        const double *wj = Wt + (long)j * w;
        if (p->norm)
            for (int o = 0; o < w; o++)
                zf[o] = wj[o] * p->sc[j];
        else
            memcpy(zf, wj, sizeof(double) * (size_t)w);
        for (int i = 1; i < n; i++)
            memcpy(zf + (long)i * w, zf, sizeof(double) * (size_t)w);
    }
}

/* Activation jet: A, S (s1..s_nd) from Z; zpq = 0 when Z's second-order
 * components are zero (a first layer on raw inputs). */
static void act_fwd(JetPlan *p, const double *Z, double *A, double *S, int zpq)
{
    long N = (long)p->n * p->w;
    rt_act_jet_fwd(p->act, N, 0, N, p->nd, p->nf, p->ns, (const int (*)[2])p->pair, &p->hij, Z, A,
                   S, zpq);
}

/* Hidden linear map Z = A_prev W^T + b over all C*n rows (W [w][w]). */
static void lin_fwd(JetPlan *p, const double *W, const double *b, const double *Aprev, double *Z)
{
    const int n = p->n, w = p->w;
    transpose(W, w, w, p->Wt);
    rt_gemm((long)p->C * n, w, w, Aprev, w, 1, p->Wt, w, Z, w, 0);
    rt_add_bias(n, w, Z, b);
}

/* Blend y = U + h D as jets (product rule; header). */
static void blend_fwd(JetPlan *p, const double *U, const double *h, const double *D, double *Y)
{
    const long N = (long)p->n * p->w;
    for (long e = 0; e < N; e++)
        Y[e] = U[e] + h[e] * D[e];
    for (int f = 1; f <= p->nf; f++) {
        const double *Uf = U + f * N, *hf = h + f * N, *Df = D + f * N;
        double *Yf = Y + f * N;
        for (long e = 0; e < N; e++)
            Yf[e] = Uf[e] + hf[e] * D[e] + h[e] * Df[e];
    }
    for (int s = 0; s < p->ns; s++) {
        long cs = 1 + p->nf + s, a = p->pair[s][0], b = p->pair[s][1];
        const double *Us = U + cs * N, *hs = h + cs * N, *Ds = D + cs * N;
        const double *ha = h + a * N, *hb = h + b * N, *Da = D + a * N, *Db = D + b * N;
        double *Ys = Y + cs * N;
        for (long e = 0; e < N; e++)
            Ys[e] = Us[e] + hs[e] * D[e] + ha[e] * Db[e] + hb[e] * Da[e] + h[e] * Ds[e];
    }
    for (int hh = 0; hh < p->nh; hh++) {   /* y_I = U_I + sum_{J subset I} h_J D_{I\J} */
        long c = 1 + p->nf + p->ns + hh;
        const double *Uc = U + c * N, *hc = h + c * N, *Dc = D + c * N;
        double *Yc = Y + c * N;
        for (long e = 0; e < N; e++)
            Yc[e] = Uc[e] + hc[e] * D[e] + h[e] * Dc[e];
        for (int t = p->pstart[hh]; t < p->pstart[hh + 1]; t++) {
            const double *hj = h + p->pt[t].cj * N, *dk = D + p->pt[t].ck * N, cf = p->pt[t].coef;
            for (long e = 0; e < N; e++)
                Yc[e] += cf * hj[e] * dk[e];
        }
    }
}

void rt_jet_live(JetPlan *p, int ps) { p->ps = ps; }

void rt_jet_fwd(HyCtx *c, JetPlan *p)
{
    if (p->ps >= 0) {
        long live = rt_ps_live(c, p->ps);
        if (live < 1 || live > p->ld)
            RT_ICE("jet plan of net %d: %ld live points, capacity %d", p->net, live, p->ld);
        p->n = (int)live;
    }
    const Trainable *t = &c->tr[p->net];
    const double *P = c->params + t->off;
    const int n = p->n, C = p->C;
    const long CN = (long)C * n * p->w;
    long woff, boff;
    int nin, nout;
    input_fwd(p);
    const int zpq0 = p->nfeat != 0;   /* first-layer z_pq nonzero (Fourier) */
    if (p->kind == HY_NET_MODIFIED) {
        rt_net_encoder(t, 0, &woff, &boff);
        proj_fwd(p, P + woff, P + boff, p->ZU);
        act_fwd(p, p->ZU, p->HU, p->SU, zpq0);
        rt_net_encoder(t, 1, &woff, &boff);
        proj_fwd(p, P + woff, P + boff, p->ZV);
        act_fwd(p, p->ZV, p->HV, p->SV, zpq0);
        for (long e = 0; e < CN; e++)
            p->D[e] = p->HV[e] - p->HU[e];
    }
    for (int l = 0; l < p->depth; l++) {
        rt_mlp_layer(t, l, &woff, &boff, &nin, &nout);
        if (l == 0)
            proj_fwd(p, P + woff, P + boff, p->Z[0]);
        else
            lin_fwd(p, P + woff, P + boff, p->A[l - 1], p->Z[l]);
        act_fwd(p, p->Z[l], p->H[l], p->S[l], l > 0 || zpq0);
        if (p->kind == HY_NET_MODIFIED)
            blend_fwd(p, p->HU, p->H[l], p->D, p->A[l]);
        else if (p->kind == HY_NET_RESNET && l > 0)
            for (long e = 0; e < CN; e++)
                p->A[l][e] = p->A[l - 1][e] + p->H[l][e];
    }
    /* Output layer (linear), then scatter into out [ncomp][dout][n]. */
    rt_mlp_layer(t, p->depth, &woff, &boff, &nin, &nout);
    const double *W = P + woff, *b = P + boff;
    const int dout = p->dout;
    rt_gemm_dot((long)C * n, dout, p->w, p->A[p->depth - 1], p->w, W, p->w, p->Zo, dout);
    for (int k = 0; k < p->ncomp; k++) {
        int ck = p->req[k];
        for (int o = 0; o < dout; o++) {
            double *dst = p->out + ((long)k * dout + o) * p->ld;
            const double *src = p->Zo + (long)ck * n * dout + o;
            double bias = ck == 0 ? b[o] : 0.0;
            for (int i = 0; i < n; i++)
                dst[i] = src[(long)i * dout] + bias;
        }
    }
}

/* ---------------------------------------------------------------- reverse */

/* Zbar dZ from the activation output's adjoint dA (header formulas); zpq as
 * in act_fwd. */
static void act_bwd(JetPlan *p, const double *Z, const double *S, const double *dA, double *dZ,
                    int zpq)
{
    const long N = (long)p->n * p->w;
    rt_act_jet_bwd(N, 0, N, p->nf, p->ns, (const int (*)[2])p->pair, &p->hij, Z, S, dA, dZ, zpq);
}

/* Reverse of blend_fwd for ybar Yb: hbar Hb (written); Ubar += ybar - Dbar,
 * Vbar += Dbar (accumulated). */
static void blend_bwd(JetPlan *p, const double *Yb, const double *h, const double *D, double *Hb,
                      double *Ub, double *Vb)
{
    const long N = (long)p->n * p->w;
    /* hbar_c = ybar_c D, Dbar_c = ybar_c h: the terms with a value factor */
    for (int c = 0; c < p->C; c++) {
        const double *y = Yb + c * N;
        double *hb = Hb + c * N, *ub = Ub + c * N, *vb = Vb + c * N;
        for (long e = 0; e < N; e++) {
            double t = y[e] * h[e];
            hb[e] = y[e] * D[e];
            ub[e] += y[e] - t;
            vb[e] += t;
        }
    }
    /* first order: y_f has h D_f + h_f D with the value parts above */
    for (int f = 1; f <= p->nf; f++) {
        const double *y = Yb + f * N, *hf = h + f * N, *Df = D + f * N;
        for (long e = 0; e < N; e++) {
            double t = y[e] * hf[e];
            Hb[e] += y[e] * Df[e];
            Ub[e] -= t;
            Vb[e] += t;
        }
    }
    for (int s = 0; s < p->ns; s++) {
        long cs = 1 + p->nf + s, a = p->pair[s][0], b = p->pair[s][1];
        const double *y = Yb + cs * N, *hs = h + cs * N, *Ds = D + cs * N;
        const double *ha = h + a * N, *hb_ = h + b * N, *Da = D + a * N, *Db = D + b * N;
        double *Hba = Hb + a * N, *Hbb = Hb + b * N;
        double *Uba = Ub + a * N, *Ubb = Ub + b * N, *Vba = Vb + a * N, *Vbb = Vb + b * N;
        for (long e = 0; e < N; e++) {
            double t = y[e] * hs[e];
            Hb[e] += y[e] * Ds[e];
            Ub[e] -= t;
            Vb[e] += t;
        }
        /* h_a D_b + h_b D_a (a == b: both terms land on component a) */
        for (long e = 0; e < N; e++) {
            double ta = y[e] * ha[e], tb = y[e] * hb_[e];
            Hba[e] += y[e] * Db[e];
            Hbb[e] += y[e] * Da[e];
            Ubb[e] -= ta;
            Vbb[e] += ta;
            Uba[e] -= tb;
            Vba[e] += tb;
        }
    }
    for (int hh = 0; hh < p->nh; hh++) {   /* the terms the loops above leave out */
        long c = 1 + p->nf + p->ns + hh;
        const double *y = Yb + c * N, *hc = h + c * N, *Dc = D + c * N;
        for (long e = 0; e < N; e++) {
            double t = y[e] * hc[e];
            Hb[e] += y[e] * Dc[e];
            Ub[e] -= t;
            Vb[e] += t;
        }
        for (int t = p->pstart[hh]; t < p->pstart[hh + 1]; t++) {
            const long cj = p->pt[t].cj, ck = p->pt[t].ck;
            const double *hj = h + cj * N, *dk = D + ck * N, cf = p->pt[t].coef;
            double *Hbj = Hb + cj * N, *Ubk = Ub + ck * N, *Vbk = Vb + ck * N;
            for (long e = 0; e < N; e++) {
                double yc = cf * y[e], tt = yc * hj[e];
                Hbj[e] += yc * dk[e];
                Ubk[e] -= tt;
                Vbk[e] += tt;
            }
        }
    }
}

/* Reverse of proj_fwd for Zbar dz [C][n][w]: gW, gb accumulate; the input
 * adjoint goes to dX (raw inputs) or dG (Fourier features). */
static void proj_bwd(JetPlan *p, const double *W, double *gW, double *gb, const double *dz)
{
    const int n = p->n, w = p->w, nin = p->d0;
    const long N = (long)n * w;
    if (p->nfeat) {
        rt_gemm(w, nin, (long)p->C * n, dz, 1, w, p->G, nin, gW, nin, 1);
        rt_sum_rows(n, w, dz, gb);
        if (p->dG) {
            rt_gemm((long)p->C * n, nin, w, dz, w, 1, W, nin, p->dG, nin, p->dG_set);
            p->dG_set = 1;
        }
        return;
    }
    /* gW is accumulated transposed in Wt (unit stride over units), each entry
     * receiving the same additions in the same order, then copied back. */
    double *gWt = p->Wt;
    transpose(gW, w, nin, gWt);
    rt_sum_rows(n, w, dz, gb);
    rt_rows_xacc(n, w, nin, p->Xin, p->ld, dz, gWt);
    for (int i = 0; p->dX && i < n; i++) {
        const double *dzi = dz + (long)i * w;
        for (int m = 0; m < nin; m++) {
            double s = 0.0;
            for (int o = 0; o < w; o++)
                s += dzi[o] * W[o * nin + m];
            p->dX[(long)m * p->ld + i] += p->norm ? p->sc[m] * s : s;
        }
    }
    for (int f = 1; f <= p->nf; f++) {
        int j = p->fidx[f - 1];
        const double *dzf = dz + f * N;
        double *gj = gWt + (long)j * w;
        if (p->norm) {
            const double sj = p->sc[j];
            for (int i = 0; i < n; i++)
                for (int o = 0; o < w; o++)
                    gj[o] += dzf[(long)i * w + o] * sj;
        } else {
            rt_sum_rows(n, w, dzf, gj);
        }
    }
    transpose(gWt, nin, w, gW);
}

/* dX from the Fourier feature adjoint dG (header). */
static void fourier_bwd(JetPlan *p)
{
    const int n = p->n, din = p->din;
    const long F = p->nfeat, d0 = p->d0, N0 = (long)n * d0;
    const double *dG = p->dG;
    for (int i = 0; i < n; i++)
        for (long k = 0; k < F; k++) {
            const double cv = p->cs[i * F + k], sv = p->sn[i * F + k];
            const long ic = (long)i * d0 + k, is = ic + F;
            double vb = -dG[ic] * sv + dG[is] * cv;
            for (int f = 1; f <= p->nf; f++) {
                double vj = p->Vf[(f - 1) * F + k];
                vb -= vj * (dG[f * N0 + ic] * cv + dG[f * N0 + is] * sv);
            }
            for (int s = 0; s < p->ns; s++) {
                long cc = 1 + p->nf + s;
                double vv = p->Vf[(p->pair[s][0] - 1) * F + k] * p->Vf[(p->pair[s][1] - 1) * F + k];
                vb += vv * (dG[cc * N0 + ic] * sv - dG[cc * N0 + is] * cv);
            }
            for (long cc = 1 + p->nf + p->ns; cc < p->C; cc++) {
                double vv = 1.0;
                const int o = p->cord[cc];
                for (int r = 0; r < o; r++)
                    vv *= p->Vf[(p->cdir[cc][r] - 1) * F + k];
                vb += vv * (dG[cc * N0 + ic] * cyc_deriv(o + 1, cv, sv, 0) +
                            dG[cc * N0 + is] * cyc_deriv(o + 1, cv, sv, 1));
            }
            for (int m = 0; m < din; m++)
                p->dX[(long)m * p->ld + i] += p->sc[m] * p->Bt[k * din + m] * vb;
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
    const int mod = p->kind == HY_NET_MODIFIED, zpq0 = p->nfeat != 0;
    long woff, boff;
    int nin, nout;
    /* Output layer: gather Zbar [C][n][dout] from dout_adj [ncomp][dout][n]. */
    double *dZo = p->dZ;
    memset(dZo, 0, sizeof(double) * (size_t)C * n * dout);
    for (int k = 0; k < p->ncomp; k++) {
        int ck = p->req[k];
        for (int o = 0; o < dout; o++) {
            const double *src = p->dout_adj + ((long)k * dout + o) * p->ld;
            double *dst = dZo + (long)ck * n * dout + o;
            for (int i = 0; i < n; i++)
                dst[(long)i * dout] += src[i];
        }
    }
    rt_mlp_layer(t, p->depth, &woff, &boff, &nin, &nout);
    rt_gemm(dout, w, (long)C * n, dZo, 1, dout, p->A[p->depth - 1], w, G + woff, w, 1);
    for (int i = 0; i < n; i++)
        for (int o = 0; o < dout; o++)
            G[boff + o] += dZo[(long)i * dout + o];
    rt_gemm((long)C * n, w, dout, dZo, dout, 1, P + woff, w, p->dA, w, 0);
    if (mod) {
        memset(p->dU, 0, sizeof(double) * (size_t)C * n * w);
        memset(p->dV, 0, sizeof(double) * (size_t)C * n * w);
    }
    p->dG_set = 0;
    /* Hidden blocks, last to first: dA holds the block output's adjoint. */
    for (int l = p->depth - 1; l >= 0; l--) {
        const double *dh = p->dA;
        if (mod) {
            blend_bwd(p, p->dA, p->H[l], p->D, p->dH, p->dU, p->dV);
            dh = p->dH;
        }
        act_bwd(p, p->Z[l], p->S[l], dh, p->dZ, l > 0 || zpq0);
        rt_mlp_layer(t, l, &woff, &boff, &nin, &nout);
        if (l == 0) {
            proj_bwd(p, P + woff, G + woff, G + boff, p->dZ);
            break;
        }
        rt_gemm(w, w, (long)C * n, p->dZ, 1, w, p->A[l - 1], w, G + woff, w, 1);
        rt_sum_rows(n, w, p->dZ, G + boff);
        /* residual: A_{l-1} also feeds A_l directly, so accumulate */
        rt_gemm((long)C * n, w, w, p->dZ, w, 1, P + woff, w, p->dA, w,
                p->kind == HY_NET_RESNET);
    }
    if (mod)
        for (int e = 0; e < 2; e++) {
            act_bwd(p, e ? p->ZV : p->ZU, e ? p->SV : p->SU, e ? p->dV : p->dU, p->dZ, zpq0);
            rt_net_encoder(t, e, &woff, &boff);
            proj_bwd(p, P + woff, G + woff, G + boff, p->dZ);
        }
    if (p->nfeat && p->dX)
        fourier_bwd(p);
}
