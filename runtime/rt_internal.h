/* rt_internal.h -- shared internal header of the runtime (libhyrt).
 *
 * Defines the context struct and the internal helpers every runtime file
 * uses.  Not part of the API: emitted code sees hyrt_api.h only, the host
 * hyrt.h.  Everything here is float64; all allocation goes through the hook
 * (alloc.c); the rt_x* wrappers turn an allocation failure into a clear
 * message on stderr and exit(1).
 */
#ifndef RT_INTERNAL_H
#define RT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "hyrt.h"

#define RT_NAME_MAX 64          /* names are truncated to this (incl. NUL) */
#define RT_MAX_ORDER 4          /* highest jet order implemented (codes hold 4 indices) */
#define RT_MAX_HYPER 8          /* optimizer hyper-parameters kept per trainable */
#define RT_NET_MAXIN 16         /* most inputs of a network with input normalisation */

/* ---- allocation (alloc.c) ---- */
/* Like hy_malloc/hy_calloc, but on failure print
 * "hycoc: error: out of memory (N bytes for WHAT)" and exit(1). */
void *rt_xmalloc(size_t n, const char *what);
void *rt_xcalloc(size_t n, size_t size, const char *what);
/* Grows *arr (element size elt) so that index `need` is valid; capacity in
 * *cap doubles.  Old contents are kept; new tail is zero. */
void rt_grow(void **arr, long *cap, long need, size_t elt, const char *what);
/* Internal error: prints "hycoc: internal error (runtime FILE:LINE): msg", exit(2). */
#define RT_ICE(...) rt_ice(__FILE__, __LINE__, __VA_ARGS__)
_Noreturn void rt_ice(const char *file, int line, const char *fmt, ...);

/* ---- activations (act.c) ---- */
/* Vectorised maps y[i] = f(x[i]) (libmvec; in-place allowed).  Each result is
 * the same whatever the position of i (the tail is padded, never scalar). */
void rt_vmap_tanh(long n, const double *x, double *y);
void rt_vmap_exp(long n, const double *x, double *y);
void rt_vmap_log(long n, const double *x, double *y);
void rt_vmap_sin(long n, const double *x, double *y);
void rt_vmap_cos(long n, const double *x, double *y);

/* ---- small matrix products (gemm.c) ---- */
/* C[r][c] (accumulate ? += : =) sum_k a(r,k) B[k*ldb + c], with
 * a(r,k) = A[r*ars + k*aks]; r < M, c < N, k < K.  One of ars, aks is 1. */
void rt_gemm(long M, long N, long K, const double *A, long ars, long aks, const double *B,
             long ldb, double *C, long ldc, int accumulate);
/* Layer glue (gemm.c), bitwise the plain loops: Z[i][o] += b[o];
 * g[o] += Z[i][o] in row order i = 0..n-1; Wt[k][r] = W[r][k] (W rows x cols). */
void rt_add_bias(long n, long w, double *Z, const double *b);
void rt_sum_rows(long n, long w, const double *Z, double *g);
void rt_transpose(long rows, long cols, const double *W, double *Wt);
/* Z[i][o] = b[o] + sum_m Wt[m][o] X[m*ldx + i] (m ascending, no FMA). */
void rt_affine_rows(long n, long w, long nin, const double *X, long ldx, const double *Wt,
                    const double *b, double *Z);
/* G[m][o] += sum_i Z[i][o] X[m*ldx + i] (i ascending, no FMA). */
void rt_rows_xacc(long n, long w, long nin, const double *X, long ldx, const double *Z, double *G);
/* C[r][c] = sum_k A[r*lda + k] W[c*ldw + k]  (A W^T; meant for few columns N). */
void rt_gemm_dot(long M, long N, long K, const double *A, long lda, const double *W, long ldw,
                 double *C, long ldc);
/* Thread count (hy_set_threads; at most RT_MAXT): starts the worker pool
 * once.  Large products are split by rows or columns over the pool; every
 * element is computed as on one thread, so results do not depend on it. */
#define RT_MAXT 8
void rt_gemm_threads(int n);
/* Caps the instruction set of rt_gemm (for tests and benchmarks): level 2
 * AVX-512 where the CPU has it (the default), 1 AVX2+FMA, 0 OpenBLAS; a
 * negative level only asks.  Returns the level in effect.  Call it while no
 * product runs. */
int rt_gemm_isa(int level);
/* Runs fn(arg, p) for p = 0..nparts-1 (nparts <= rt_parallel_width()), part 0
 * on the caller, the others on the pool; returns when all are done. */
void rt_parallel(int nparts, void (*fn)(void *arg, int part), void *arg);
int rt_parallel_width(void);   /* threads a job may use now (1 inside a part) */

/* Elementwise jet kernels (act.c; formulas in net.c's header), N elements:
 * ew_mul:     y = a b
 * ew_second:  y = s2 zp zq (+ s1 zs unless zs is NULL)
 * ewb_first:  dz0 += daf s2 zf;  dzf = daf s1
 * ewb_second: dz0 += das s3 zp zq (+ das s2 zs);  dzp += scale das s2 zq;  dzs = das s1
 * ewb_other:  dzq += das s2 zp */
void rt_ew_mul(long N, double *restrict y, const double *restrict a, const double *restrict b);
void rt_ew_second(long N, double *restrict y, const double *restrict s1,
                  const double *restrict s2, const double *restrict zp,
                  const double *restrict zq, const double *restrict zs);
void rt_ewb_first(long N, double *restrict dz0, double *restrict dzf,
                  const double *restrict daf, const double *restrict s1,
                  const double *restrict s2, const double *restrict zf);
void rt_ewb_second(long N, double *restrict dz0, double *restrict dzp, double *restrict dzs,
                   const double *restrict das, const double *restrict s1,
                   const double *restrict s2, const double *restrict s3,
                   const double *restrict zp, const double *restrict zq,
                   const double *restrict zs, double scale);
void rt_ewb_other(long N, double *restrict dzq, const double *restrict das,
                  const double *restrict s2, const double *restrict zp);
/* Components of order >= 3 of an activation jet (net.c builds them): the
 * nh components c0 .. c0+nh-1, component c0+h being the sum of the terms
 * t[tstart[h] .. tstart[h+1]) of the multivariate Faa di Bruno formula
 * d_I s(z) = sum over set partitions P of I of s_|P|(z) prod_{B in P} z_B,
 * equal terms merged: coef s_k z_b[0] ... z_b[nb-1] (b: component numbers;
 * big: some block has order >= 2, so the term is zero when zpq is 0). */
typedef struct RtJetTerm {
    double coef;
    int k, nb, big;
    int b[RT_MAX_ORDER];
} RtJetTerm;
typedef struct RtJetHi {
    int c0, nh;
    const int *tstart;          /* [nh + 1] */
    const RtJetTerm *t;
} RtJetHi;
/* A whole activation jet over elements [e0, e1) of every component (the
 * components are blocks of N elements; 1 + nf + ns (+ hi->nh) of them,
 * second-order component 1+nf+s built from first-order components
 * pair[s][0..1], higher ones from hi, NULL if none):
 * fwd: A (all components) and S = s1..s_nd (nd blocks of N) from Z, zpq as
 * in net.c's act_fwd; bwd: dZ from dA (S must hold s1..s_{order+1}).
 * Components of order <= 2 are bitwise the same as hy_act_eval and the
 * rt_ew_* / rt_ewb_* calls above over whole components. */
void rt_act_jet_fwd(int act, long N, long e0, long e1, int nd, int nf, int ns,
                    const int (*pair)[2], const RtJetHi *hi, const double *Z, double *A,
                    double *S, int zpq);
void rt_act_jet_bwd(long N, long e0, long e1, int nf, int ns, const int (*pair)[2],
                    const RtJetHi *hi, const double *Z, const double *S, const double *dA,
                    double *dZ, int zpq);
/* Caps the instruction set of the fused jet kernels (act.c; for tests and
 * benchmarks): 2 AVX-512F where the CPU has it (the default), 1 AVX2, 0
 * portable; a negative level only asks.  Returns the level in effect.  The
 * results are the same bits at every level.  Call it while no jet runs. */
int rt_act_isa(int level);

/* ---- trainables ---- */
enum { RT_TR_MLP = 0, RT_TR_SCALAR = 1, RT_TR_VECTOR = 2 };

typedef struct Trainable {
    char name[RT_NAME_MAX];     /* name given at declaration */
    int kind;                   /* RT_TR_MLP, RT_TR_SCALAR or RT_TR_VECTOR */
    long off;                   /* first parameter in params/grads */
    long len;                   /* number of parameters */
    int din, dout;              /* MLP input / output dimension (scalar: 0, 1) */
    int width, depth;           /* MLP hidden width and number of hidden layers */
    int act;                    /* MLP activation (HY_ACT_*) */
    int net_kind;               /* network trunk: HY_NET_MLP, _MODIFIED or _RESNET */
    int init;                   /* weight initialisation used (HY_INIT_*) */
    int nfeat;                  /* Fourier features (0: none; then layer 0 takes 2 nfeat) */
    double fscale;              /* their scale: B ~ N(0, fscale^2) */
    uint64_t seed;              /* seed at declaration (Fourier matrix draws) */
    int norm;                   /* inputs mapped to 2 (x - lo)/(hi - lo) - 1 */
    double lo[RT_NET_MAXIN], hi[RT_NET_MAXIN]; /* that box, per input (norm) */
    int opt_kind;               /* optimizer kind (HY_OPT_*) */
    int nhyper;                 /* number of valid entries of hyper */
    double hyper[RT_MAX_HYPER]; /* optimizer hyper-parameters (hy_optimizer's order) */
    int clip_kind;              /* 0: none, HY_CLIP_NORM or HY_CLIP_VALUE (hy_opt_clip) */
    double clip;                /* its threshold */
    int bounded;                /* hy_bounds: blo <= every parameter <= bhi */
    double blo, bhi;
    struct RtSched *sched;      /* learning-rate schedule (schedule.c); NULL: factor 1 */
    double lr_now;              /* effective lr of its last optimizer step (hy_lr) */
    int lr_set;                 /* lr_now valid */
} Trainable;

/* The slices base + off of trainables ids[0..n), packed in that order into
 * out (sum of their lengths); base is c->params, c->grads or another array
 * laid out like them.  rt_pack_equal: 1 when c->params' slices equal the
 * packed values (bitwise, as memcmp). */
void rt_pack(const HyCtx *c, const int *ids, int n, const double *base, double *out);
int rt_pack_equal(const HyCtx *c, const int *ids, int n, const double *packed);

/* MLP parameter layout inside its slice (offsets relative to Trainable.off):
 * layers l = 0..depth (depth hidden layers, then the linear output layer);
 * layer l maps n_in(l) -> n_out(l) with n_in(0) = din, n_out(depth) = dout,
 * all other sizes width.  Per layer: W row-major [n_out][n_in], then b[n_out].
 * rt_mlp_layer returns the offsets of W and b of layer l. */
void rt_mlp_layer(const Trainable *t, int l, long *woff, long *boff, int *nin, int *nout);
long rt_mlp_param_count(int din, int dout, int width, int depth);
/* Networks of hy_net (net.c has the full layout): the MLP layout above with
 * n_in(0) = 2 nfeat for Fourier features; a modified MLP appends its encoders
 * W_u [width][n_in(0)], b_u, W_v, b_v (rt_net_encoder: which = 0 for U, 1 for V).
 * rt_net_check validates hy_net's arguments (internal error on a bad one) and
 * returns the parameter count; rt_net_setup fills the network fields of t
 * (declared as trainable id under seed) and initialises its parameters P.
 * rt_net_fourier writes the fixed Fourier matrix B [nfeat][din] of network id. */
void rt_net_encoder(const Trainable *t, int which, long *woff, long *boff);
long rt_net_check(const char *name, int kind, int din, int dout, int width, int depth, int act,
                  int nopt, const double *opt);
void rt_net_setup(Trainable *t, int id, uint64_t seed, double *P, int kind, int din, int dout,
                  int width, int depth, int act, int nopt, const double *opt);
void rt_net_fourier(const Trainable *t, int id, double *B);

/* ---- jets (net.c) ---- */
typedef struct JetPlan JetPlan;   /* opaque; defined in net.c */
JetPlan *rt_jet_new(HyCtx *c, int net, int n, int ncomp, const int *comps,
                    const double *X, double *out, const double *dout_adj, double *dX);
void rt_jet_free(JetPlan *p);
void rt_jet_fwd(HyCtx *c, JetPlan *p);
void rt_jet_bwd(HyCtx *c, JetPlan *p);
/* Makes p (created for the capacity of point set ps) evaluate the live count
 * rt_ps_live(c, ps) at every forward; X/out/dout_adj/dX keep the stride of
 * the capacity. */
void rt_jet_live(JetPlan *p, int ps);

/* ---- redrawn and growing point sets (pointset.c) ---- */
long rt_ps_live(HyCtx *c, int ps);      /* live count (internal error if unregistered) */
void rt_ps_free(HyCtx *c);              /* hy_ctx_free */

/* ---- optimizers (optim.c) ---- */
/* Length in doubles of one first-order optimizer state (kind HY_OPT_*, n
 * parameters, nloss terms in the substep; L-BFGS keeps its own: 0). */
long rt_opt_state_len(int kind, long n, int nloss);
/* One first-order step (SGD, Adam, AdamW, RMSprop) on p[0..n) with gradient
 * g, hyper-parameters h (hy_optimizer's order, defaults filled), learning
 * rate lr (h[0] times the schedule factor) and state st (zero-filled at the
 * start of training; layouts in optim.c).  MultiAdam is stepped by
 * rt_train_step (one pass per loss). */
void rt_opt_step(int kind, const double *h, double lr, long n, double *p, const double *g,
                 double *st);

/* ---- L-BFGS-B (lbfgs.c) ----
 * Box-constrained limited-memory BFGS (Byrd, Lu, Nocedal & Zhu 1995) with a
 * strong-Wolfe line search; without finite bounds it is plain L-BFGS.  Usable
 * on any smooth objective (training phases, simulator parameters).  The
 * objective writes f(x) and its gradient g (n doubles) and returns f; a
 * non-finite f marks x as unusable (the line search backs off).  init
 * allocates everything once; run allocates nothing.  The history persists
 * across runs (a later run continues from it; forget clears it). */
typedef double (*RtObjFn)(void *ud, const double *x, double *g);
enum { RT_LBFGS_CONVERGED = 0, RT_LBFGS_MAX_ITER = 1, RT_LBFGS_LINESEARCH = 2,
       RT_LBFGS_NONFINITE = 3 };
typedef struct RtLbfgs {
    long n;                     /* variables */
    int m;                      /* history capacity (pairs) */
    /* options: defaults from init; the caller may change them between runs */
    double lr;                  /* initial trial step factor (torch's lr; default 1) */
    double tol_grad;            /* converged: max |projected gradient| <= tol_grad (1e-7) */
    double tol_change;          /* converged: |f_old - f_new| <= tol_change max(|f_old|, |f_new|)
                                 * or max |step| <= tol_change (1 + max |x|)  (1e-9) */
    double c1, c2;              /* Wolfe constants (1e-4, 0.9) */
    int max_ls;                 /* objective evaluations per line search (25) */
    int reuse;                  /* 1: the caller guarantees f is unchanged since the last
                                 * run; if x is (bitwise) the point it returned, its f and
                                 * gradient are reused instead of evaluating again */
    /* result of the last run */
    int status;                 /* RT_LBFGS_* */
    char reason[192];           /* why it stopped, one line */
    int iters;                  /* iterations done */
    long evals;                 /* objective evaluations */
    double f;                   /* objective at the returned point */
    long ls_failures;           /* line searches that ended without the Wolfe conditions */
    /* history and work (lbfgs.c) */
    int k, head;                /* stored pairs; slot of the oldest */
    double theta;               /* B0 = theta I */
    double *S, *Y;              /* pairs [m][n] (ring) */
    double *SS, *SY, *YY;       /* their products [m][m], oldest first: SY[i*m+j] = s_i.y_j */
    double *T;                  /* Cholesky factor of theta S'S + L D^-1 L' [m][m] */
    double *xk, *gk, *xt, *gt, *xl, *gl, *d, *xc, *dc, *r, *tb, *xbest, *gbest; /* [n] */
    long *heap;                 /* breakpoint heap [n] */
    double *small;              /* 2m-vectors and 2m x 2m matrices */
    int *piv;                   /* [2m] */
    double fbest;               /* f at xbest (gradient gbest) */
    int have_last;              /* xbest/fbest/gbest of the last run are valid */
} RtLbfgs;
/* Allocates the state for n variables and m pairs; sets default options. */
void rt_lbfgs_init(RtLbfgs *st, long n, int m);
void rt_lbfgs_free(RtLbfgs *st);
void rt_lbfgs_forget(RtLbfgs *st);
/* Minimises f from x (first projected into [lo, hi]; lo/hi may be NULL =
 * unbounded, entries may be -/+INFINITY) for at most max_iter iterations.
 * On return x is the point of lowest finite f among all evaluations of this
 * run (the start point only if nothing better was found), st->f its value,
 * st->status/reason why it stopped: converged, max_iter reached (not an
 * error), line search failed (with the reason; after a failure with history
 * the history is cleared and the iteration retried once as steepest
 * descent), or f not finite at the start (x unchanged).  Returns st->status. */
int rt_lbfgs_run(RtLbfgs *st, double *x, const double *lo, const double *hi, RtObjFn f,
                 void *ud, int max_iter);
/* Inspection (tests): from x (feasible) with gradient g and the current
 * history, the generalized Cauchy point xc and the end xbar of the search
 * direction (after subspace minimisation and projection). */
void rt_lbfgs_direction(RtLbfgs *st, const double *x, const double *g, const double *lo,
                        const double *hi, double *xc, double *xbar);

/* ---- substeps, expects (ctx.c) ---- */
typedef struct Substep {
    char label[RT_NAME_MAX];    /* label shown in messages */
    int repeat;                 /* gradient steps per epoch */
    int ntrain;                 /* number of trainables updated */
    int *train;                 /* their ids [ntrain] */
    int nloss;                  /* number of losses summed */
    int *loss;                  /* their ids [nloss] */
    HyStepFn fn;                /* emitted step: forward, losses, backward */
    long *state_off;            /* per train[k]: offset of its state in c->opt_state */
    double *w;                  /* weight of each loss's term [nloss] (1 unless weighted) */
    int phase;                  /* training phase (hy_phase); 0 = the first */
    long every;                 /* hy_substep_every: runs when the global epoch % every == 0 (0: always) */
    int physical;               /* hy_substep_every: skipped during the warm-up epochs */
    double *coef;               /* hy_substep_term: term k weighs coef[k] * (tbal[k] >= 0 ? */
    int *tbal, *tidx;           /*   weight tidx[k] of balancer tbal[k] : 1); NULL: all 1 */
    int nbal_terms;             /* terms with a balancer */
    int bal_inner;              /* its losses contain adaptive weights (hy_substep_balanced) */
    int multi;                  /* a trainable uses MultiAdam: one pass per loss (finalize) */
    RtLbfgs *lbfgs;             /* trainables stepped by L-BFGS(-B) together, else NULL */
    double *lb_x, *lb_lo, *lb_hi; /* their packed parameters and bounds [lb_n] */
    long lb_n;
    long lb_fail;               /* L-BFGS steps that ended in a line-search failure */
    unsigned long lb_stamp;     /* step_token at the end of its last L-BFGS step */
} Substep;

typedef struct Expect {
    char text[256];             /* shown in the report */
    int cmp;                    /* HY_CMP_* (reports: -1) */
    double bound;               /* compared against */
    HyEvalFn fn;                /* measures the value */
} Expect;

/* ---- the context ---- */
struct HyCtx {
    uint64_t seed;              /* master seed of every random draw */
    double *V;                  /* value block [nvalues] (hy_alloc) */
    double *A;                  /* adjoint block [nadjoints] */
    long nvalues, nadjoints;    /* sizes of V and A */

    double *params;             /* all trainable parameters [nparams] */
    double *grads;              /* their gradients, same layout [nparams] */
    long nparams, cap_params;   /* used and allocated lengths of params/grads */
    Trainable *tr;              /* trainables [ntr] */
    long ntr, cap_tr;           /* count, capacity */

    int npointsets;             /* number of declared point sets (names only kept) */
    struct RtPsTab *pstab;      /* redrawn and growing point sets (pointset.c), or NULL */
    struct RtGeoTab *geo;       /* geometries and sampling scratch (geom.c), or NULL */

    JetPlan **plans;            /* jet plans [nplans] */
    long nplans, cap_plans;

    char (*loss_names)[RT_NAME_MAX]; /* loss names [nloss] */
    double *loss_values;        /* latest loss values [nloss] (hy_loss_values) */
    unsigned char *loss_skip;   /* [nloss] 1: in the current epoch no substep computed the loss and one
                                 * that would have was skipped ('every k', warm-up; hy_train) */
    long nloss, cap_loss;

    Substep *sub;               /* substeps in order [nsub] */
    const double *cur_w;        /* hy_step_weights: weights of the substep being run */
    long nsub, cap_sub;
    double *opt_state;          /* one block: every (substep, trainable) state */
    long opt_state_len;         /* its length; 0 until finalized */
    int finalized;              /* opt_state laid out (first train/eval) */

    Expect *ex;                 /* expects and reports in declaration order [nex] */
    long nex, cap_ex;
    struct RtSimTab *sims;      /* simulators (sim.c), or NULL */
    struct RtRollTab *rolls;    /* rollout networks (rollout.c), or NULL */
    struct RtSteadyTab *steady; /* steady simulators (steady.c), or NULL */
    long warmup;                /* hy_warmup: epochs 1 .. warmup skip physical substeps */
    double warm_thr;            /* hy_warmup_until: threshold (> 0), 0 without one */
    int warm_loss;              /*   its loss */
    int warm_why;               /*   how it ended: 0 not yet, 1 loss below threshold, 2 cap */
    long warm_max;              /*   cap in epochs, 0 none */
    long warm_end;              /*   epoch at whose end it ended, 0 not yet (checkpointed) */

    long epochs;                /* planned epochs (hy_epochs / hy_set_epochs) */
    long epochs_override;       /* > 0: hy_set_epochs value, wins over hy_epochs */
    long log_every;             /* 0 = about 10 rows per run */
    int quiet;                  /* no progress log on stdout */
    int threads;                /* OpenBLAS threads */
    FILE *loss_log;             /* hy_set_loss_log file, or NULL */
    char *loss_log_path;        /* its path, for error messages */
    int loss_log_header;        /* header already written */

    struct RtProgress *prog;    /* progress.c: live line, history, signals; NULL until used */
    /* optimizers, phases, schedules, balancers, tracking (optim.c, schedule.c, balance.c) */
    struct RtPhase *phase;      /* explicit phases 1..nphase (hy_phase) at [p - 1] */
    long nphase, cap_phase;
    struct RtBal *bal;          /* balancers [nbal] */
    long nbal, cap_bal;
    struct RtTrack *track;      /* tracked columns [ntrack] */
    long ntrack, cap_track;
    Substep *cur_sb;            /* substep whose weights hy_step_weights returns, or NULL */
    int pass;                   /* MultiAdam pass: > 0: only term pass - 1 weighted; 0: all */
    int bal_live;               /* a training step runs: hy_step_weights advances balancers */
    unsigned long step_token;   /* counts rt_weights_begin calls (and hy_train starts); a
                                 * balancer advances at most once per token */
    long epoch_now;             /* hy_epoch: epochs completed before the current one */
    int cur_phase;              /* phase of the current epoch */
    double *scratch;            /* [nparams] MultiAdam direction (finalize) */
    double *wbuf;               /* [max terms + 1] weights of one MultiAdam pass */
    double *loss_snap;          /* [nloss] losses at the best point of an L-BFGS step */
    double lb_best;             /* its objective */
    long epochs_done;           /* epochs run by the last hy_train */
    double train_seconds;       /* wall time of the last hy_train */
    long epoch_start;           /* checkpoint.c: epochs done before hy_train starts (resume) */
    long until;                 /* hy_set_until: > 0: hy_train stops after this global epoch */
};

/* ---- progress, history, stop requests (progress.c) ---- */
typedef struct RtProgress RtProgress;
enum { RT_STOP_COMPLETED = 0, RT_STOP_INTERRUPTED = 1, RT_STOP_DIVERGED = 2 };
/* hy_train calls begin once (E epochs planned: prints the table header unless
 * quiet, sets up the live line and history, installs the signal handlers when
 * interruptible), epoch after every epoch e (row: e is a table-row epoch;
 * elapsed: seconds since the start), and end once when it stops; end writes
 * the history file and returns 0, or -1 after printing a write error. */
void rt_progress_begin(HyCtx *c, long E);
void rt_progress_epoch(HyCtx *c, long e, int row, double elapsed);
int rt_progress_end(HyCtx *c, int reason);
void rt_progress_row(HyCtx *c, long epoch, double elapsed);   /* one table row */
int rt_stop_requested(HyCtx *c);   /* SIGINT/SIGTERM arrived during this hy_train */
void rt_progress_free(HyCtx *c);

/* Frees the geometry table (geom.c); called by hy_ctx_free. */
void rt_geom_free(HyCtx *c);
/* Frees the simulators (sim.c); called by hy_ctx_free. */
void rt_sim_free(HyCtx *c);
void rt_rollout_free(HyCtx *c);   /* rollout.c: hy_ctx_free */
void rt_steady_free(HyCtx *c);    /* steady.c: hy_ctx_free */
void rt_steady_report(HyCtx *c);  /* steady.c: one line per steady simulator before the summary */
/* Lays out the optimizer state block if not yet done (idempotent). */
void rt_finalize(HyCtx *c);

/* ---- training steps and phases (optim.c) ---- */
/* Lays out optimizer states (offsets, L-BFGS states, buffers); called once by
 * rt_finalize.  rt_optim_free releases everything optim.c, schedule.c and
 * balance.c allocated (hy_ctx_free). */
void rt_optim_finalize(HyCtx *c);
void rt_optim_free(HyCtx *c);
/* Total epochs/iterations over all phases (phase 0: hy_set_epochs or hy_epochs). */
long rt_total_epochs(HyCtx *c);
/* Starts global epoch e (1-based): sets hy_epoch to e - 1 and the phase;
 * [*s0, *s1) receives the phase's substeps.  Returns 1 when e is the last
 * epoch of its phase. */
int rt_epoch_begin(HyCtx *c, long e, long *s0, long *s1);
/* Ends the current epoch (loss-adaptive schedules look at the losses). */
void rt_epoch_end(HyCtx *c);
/* [*s0, *s1): substeps of phase p. */
void rt_phase_range(HyCtx *c, int p, long *s0, long *s1);
/* The phase's optimizer override (kind < 0: none) */
int rt_phase_override(HyCtx *c, int p);
/* Epochs (iterations) of phase p: 0 <= p <= c->nphase. */
long rt_phase_count(HyCtx *c, int p);
/* One training step of substep s: weights, step function (once, or once per
 * loss for MultiAdam), clipping, schedule, optimizer, bounds; or one L-BFGS
 * step.  Returns -1, or the id of a loss that became non-finite, or -2 - t
 * when the losses are finite but the gradient of trainable t is not (in
 * both cases nothing was updated). */
int rt_train_step(HyCtx *c, long s);
/* Length of the first-order state of trainable k of substep sb (0 for L-BFGS). */
long rt_sub_state_len(HyCtx *c, const Substep *sb, int k);

/* ---- schedules (schedule.c) ---- */
/* Schedule factor of trainable t now (epoch hy_epoch, current losses). */
double rt_sched_factor(HyCtx *c, Trainable *t);
/* Feeds the epoch's losses to loss-adaptive schedules (DLRS) of the trainables
 * stepped by their own optimizers in substeps [s0, s1). */
void rt_sched_epoch_end(HyCtx *c, long s0, long s1);
void rt_sched_free(Trainable *t);

/* ---- balancers, step weights, tracking (balance.c) ---- */
/* Makes substep s the one hy_step_weights serves (weights refreshed from the
 * coefficients and current balancer weights, all terms).  live: a training
 * step starts (balancers used by s may advance once, at its first
 * hy_step_weights call). */
void rt_weights_begin(HyCtx *c, long s, int live);
/* sum_k w_k L_k of substep s (latest loss values), plus sum_k s_k of every
 * lbpinns balancer its terms use; NaN/inf when a loss is. */
double rt_substep_total(HyCtx *c, long s);
void rt_bal_free(HyCtx *c);
/* Tracked columns (hy_track_*): count, name ("w.pde", "lr.n"), current value. */
int rt_track_count(HyCtx *c);
const char *rt_track_name(HyCtx *c, int j);
double rt_track_value(HyCtx *c, int j);
/* Monotonic wall clock in seconds. */
double rt_now(void);

/* ---- checkpoint state walk (checkpoint.c) ----
 * Each module that keeps training state besides parameters and first-order
 * optimizer states (schedule.c, balance.c) exposes it by calling
 * rt_ck_array once per named array, in a fixed order.  The array lives in
 * the module (data, of the given shape, at most 2-D; ndim 0: one value);
 * when saving, its values are copied out; when loading they are copied in
 * if the checkpoint has an array of that name and shape (then it returns 1
 * and the module validates and unpacks them, reporting bad values with
 * rt_ck_bad), else an error is recorded and it returns 0.  Integer
 * counters travel as doubles (exact below 2^53): the module packs them into
 * a local array before the call and unpacks after a successful load.
 * `what` describes the array for messages ("DLRS state of 'phy'"). */
typedef struct RtCkWalk RtCkWalk;
int rt_ck_array(RtCkWalk *w, const char *name, const char *what, double *data, int ndim,
                const long *shape);
void rt_ck_bad(RtCkWalk *w, const char *name, const char *msg);
void rt_sched_ck(HyCtx *c, RtCkWalk *w);   /* schedule.c: DLRS values and windows */
void rt_bal_ck(HyCtx *c, RtCkWalk *w);     /* balance.c: weights, histories, counters */
void rt_ps_ck(HyCtx *c, RtCkWalk *w);      /* pointset.c: redrawn and growing point sets */
/* A resumed run's earlier loss history (progress.c): rows [nrows][ncols]
 * (column 0 the epoch) kept until the next rt_progress_begin, whose history
 * starts with those rows on its own grid when the columns match. */
void rt_progress_preload(HyCtx *c, long nrows, int ncols, const double *rows);

#endif
