/* hyrt_api.h -- the part of the hycoc runtime that emitted programs call.
 *
 * Contract: plain C99 declarations over built-in types only; no #include, no
 * struct by value (libtcc passes mixed structs wrongly), no variadic calls.
 * The compiler embeds this file verbatim as the prelude of every emitted
 * program, and registers every function declared here with tcc_add_symbol,
 * so this file is the single list of what the JIT can reach.
 *
 * Memory model.  The compiler plans all per-point storage at compile time:
 * one "value" block V (node values, network inputs/outputs, coordinates) and
 * one "adjoint" block A (reverse-mode adjoints), both doubles, allocated once
 * by hy_alloc and never resized.  Trainable parameters, their gradients and
 * optimizer state live in runtime-owned blocks.  Nothing is allocated per step.
 *
 * Jet component codes.  A derivative of a network output with respect to its
 * inputs is named by the sorted tuple of input indices it differentiates by,
 * packed one byte per index (index + 1), lowest byte first; 0 is the value.
 *   value = 0,  d/du0 = 0x01,  d2/du0^2 = 0x0101,  d2/du0du1 = 0x0201.
 * Orders up to 4 fit the code; the runtime implements orders <= 2 today.
 */
#ifndef HYRT_API_H
#define HYRT_API_H

typedef struct HyCtx HyCtx;
typedef void (*HyStepFn)(HyCtx *c);      /* one substep: forward, losses, backward */
typedef double (*HyEvalFn)(HyCtx *c);    /* one measured quantity (expect/report) */

/* Activation functions of networks. */
enum { HY_ACT_TANH = 0, HY_ACT_SIN = 1, HY_ACT_GELU = 2, HY_ACT_SOFTPLUS = 3,
       HY_ACT_SIGMOID = 4, HY_ACT_SWISH = 5, HY_ACT_COUNT = 6 };
/* Optimizer kinds; hyper-parameter vectors documented at hy_optimizer. */
enum { HY_OPT_ADAM = 0 };
/* Comparison of an expect line. */
enum { HY_CMP_LT = 0, HY_CMP_LE = 1, HY_CMP_GT = 2, HY_CMP_GE = 3 };

/* ---- program construction: called once, from the emitted hyk_setup ---- */

/* Master seed of every random draw (init, noise, sampling). */
void hy_seed(HyCtx *c, unsigned long long seed);
/* Allocates the planned V (nvalues doubles) and A (nadjoints doubles) blocks,
 * zero-filled.  Called once, before any pointer into them is handed out. */
void hy_alloc(HyCtx *c, long nvalues, long nadjoints);
double *hy_values(HyCtx *c);              /* V */
double *hy_adjoints(HyCtx *c);            /* A */
double *hy_params(HyCtx *c);              /* all trainable parameters, one block */
double *hy_grads(HyCtx *c);               /* their gradients, same layout */

/* A point set of n points in dim coordinates; coords points into V, laid out
 * [dim][n] (coordinate k of point i at coords[k*n + i]).  Returns its id. */
int hy_pointset(HyCtx *c, const char *name, int n, int dim, double *coords);
/* out[i] = a + (b - a) * i / (n - 1), both ends exact; n == 1 gives a. */
void hy_fill_linspace(double *out, long n, double a, double b);
/* out[i] = sigma * (standard normal draw i of the stream); deterministic in
 * (seed, stream, i). */
void hy_noise(HyCtx *c, int stream, long n, double sigma, double *out);

/* Declares an MLP trainable  din -> [width act] x depth -> dout  (depth hidden
 * layers, linear output layer).  Weights Glorot-normal (std sqrt(2/(fan_in +
 * fan_out))) drawn from the seed with stream = the returned trainable id;
 * biases zero.  Returns the trainable id. */
int hy_mlp(HyCtx *c, const char *name, int din, int dout, int width, int depth, int act);
/* Network kinds of hy_net: a trunk, optionally OR'ed with HY_NET_FOURIER
 * (HY_NET_FOURIER alone is the Fourier-feature MLP).  With x the input as the
 * net sees it (normalised, below) and act the activation:
 *   MLP       a = act(W_l a + b_l) for l = 0..depth-1 (a = x first); a linear
 *             output layer out = W_depth a + b_depth (hy_mlp is this kind).
 *   MODIFIED  modified MLP of Wang, Teng & Perdikaris (SIAM J. Sci. Comput.
 *             43(5), 2021, doi:10.1137/20M1318043): encoders U = act(W_u x +
 *             b_u), V = act(W_v x + b_v); every hidden layer h = act(W_l a + b_l),
 *             a = (1 - h) U + h V; linear output layer.
 *   RESNET    a = act(W_0 x + b_0), then residual blocks a = a + act(W_l a + b_l)
 *             for l = 1..depth-1; linear output layer.
 *   FOURIER   the trunk sees gamma(x) = [cos(2 pi B x), sin(2 pi B x)] (nfeat
 *             cosines, then nfeat sines) instead of x, with B [nfeat][din]
 *             fixed (not a parameter): B[k][m] = scale * hy_rng_normal(seed,
 *             0x200000000 + id, k*din + m), id = the network's trainable id.
 * Input normalisation: the net sees 2 (x - lo)/(hi - lo) - 1 per input, so
 * derivatives by x carry a factor 2/(hi - lo) per differentiation. */
enum { HY_NET_MLP = 0, HY_NET_MODIFIED = 1, HY_NET_RESNET = 2, HY_NET_FOURIER = 4 };
/* Weight initialisations (biases are always zero).  A weight of a layer with
 * fan_in inputs and fan_out outputs at offset k of the network's parameter
 * slice is, with u = hy_rng_uniform(seed, id, k), g = hy_rng_normal(seed, id, k):
 *   GLOROT_NORMAL   sqrt(2 / (fan_in + fan_out)) g   (the default; hy_mlp)
 *   GLOROT_UNIFORM  sqrt(6 / (fan_in + fan_out)) (2u - 1)
 *   HE_NORMAL       sqrt(2 / fan_in) g */
enum { HY_INIT_GLOROT_NORMAL = 0, HY_INIT_GLOROT_UNIFORM = 1, HY_INIT_HE_NORMAL = 2,
       HY_INIT_COUNT = 3 };
/* Layout of hy_net's opt vector; entries at or past nopt take their default.
 *   opt[HY_NETOPT_INIT]   HY_INIT_* (default glorot normal)
 *   opt[HY_NETOPT_NFEAT]  Fourier features nfeat >= 1 (HY_NET_FOURIER only;
 *                         0 = default ceil(width / 2))
 *   opt[HY_NETOPT_SCALE]  their scale > 0 (HY_NET_FOURIER only; 0 = default 1)
 *   opt[HY_NETOPT_NORM]   1: normalise inputs, then nopt must be 4 + 2 din and
 *                         opt[4 + m] = lo_m, opt[4 + din + m] = hi_m (lo_m < hi_m),
 *                         din <= 16; 0 (default): no normalisation */
enum { HY_NETOPT_INIT = 0, HY_NETOPT_NFEAT = 1, HY_NETOPT_SCALE = 2, HY_NETOPT_NORM = 3,
       HY_NETOPT_LO = 4 };
/* Declares a network trainable din -> [width act] x depth -> dout of the given
 * kind (above) with options opt[0..nopt) (opt may be 0 when nopt is 0).
 * hy_net(c, name, HY_NET_MLP, din, dout, width, depth, act, 0, 0) is
 * hy_mlp(c, name, din, dout, width, depth, act), bitwise.  Returns the
 * trainable id. */
int hy_net(HyCtx *c, const char *name, int kind, int din, int dout, int width, int depth, int act, int nopt, const double *opt);
/* Declares a scalar trainable with initial value init.  Returns its id. */
int hy_scalar(HyCtx *c, const char *name, double init);
/* Offset of a trainable's first parameter in hy_params / hy_grads. */
long hy_param_offset(HyCtx *c, int trainable);
/* Sets the optimizer of a trainable.  HY_OPT_ADAM: hyper = {lr, beta1, beta2,
 * eps} (nhyper 4).  Every substep keeps its own state for each trainable. */
void hy_optimizer(HyCtx *c, int trainable, int kind, int nhyper, const double *hyper);

/* A jet plan: network `net` evaluated at n points, producing ncomp components
 * (codes above).  X: input [din][n]; out: [ncomp][dout][n] (component k,
 * output o, point i at out[(k*dout + o)*n + i]).  dout_adj: adjoint of out,
 * same layout, or 0 if never back-propagated; dX: adjoint of X [din][n], or 0.
 * All four point into V/A.  Returns the plan id. */
int hy_jet_plan(HyCtx *c, int net, int n, int ncomp, const int *comps,
                const double *X, double *out, const double *dout_adj, double *dX);
/* Forward Taylor propagation: fills out from X and the current parameters. */
void hy_jet_fwd(HyCtx *c, int plan);
/* Reverse of the last hy_jet_fwd of this plan: accumulates (+=) d(loss)/d(params)
 * of the net into hy_grads and, if dX was given, d(loss)/dX into dX. */
void hy_jet_bwd(HyCtx *c, int plan);

/* A named loss; its value slot is hy_loss_values(c)[id]. */
int hy_loss(HyCtx *c, const char *name);
double *hy_loss_values(HyCtx *c);
/* Weights of the terms of the substep being run, one per loss in the order
 * given to hy_substep: the step function seeds the adjoint of its k-th loss
 * with w[k] (so it back-propagates sum_k w[k] L_k).  The runtime sets them
 * before every call (constant factors, adaptive balancers, MultiAdam's
 * one-loss-at-a-time passes). */
const double *hy_step_weights(HyCtx *c);
/* A substep: `repeat` gradient steps on the sum of losses[0..nloss), updating
 * exactly trainables[0..ntrain).  Before each call of fn the runtime zeroes
 * the gradients of those trainables; fn must write every loss value listed and
 * accumulate gradients; afterwards the runtime applies each trainable's
 * optimizer with this substep's own state. */
void hy_substep(HyCtx *c, const char *label, int repeat, int ntrain, const int *trainables,
                int nloss, const int *losses, HyStepFn fn);
void hy_epochs(HyCtx *c, long epochs);
/* An expect line: passes when fn(c) <cmp> bound.  text is shown in reports. */
void hy_expect(HyCtx *c, const char *text, int cmp, double bound, HyEvalFn fn);
/* A reported quantity (no pass/fail). */
void hy_report(HyCtx *c, const char *text, HyEvalFn fn);

/* ---- elementwise kernels (n elements, in-place allowed) ---- */
void hy_vsin(long n, const double *x, double *y);
void hy_vcos(long n, const double *x, double *y);
void hy_vexp(long n, const double *x, double *y);
void hy_vlog(long n, const double *x, double *y);
void hy_vtanh(long n, const double *x, double *y);
void hy_vsqrt(long n, const double *x, double *y);
void hy_vpow(long n, const double *x, const double *p, int pstride, double *y);  /* y = x^p[i*pstride] */
void hy_zero(long n, double *y);
double hy_sin(double x);
double hy_cos(double x);
double hy_exp(double x);
double hy_log(double x);
double hy_tanh(double x);
double hy_sqrt(double x);
double hy_fabs(double x);
double hy_pow(double x, double y);

#endif
