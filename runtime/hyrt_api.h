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
enum { HY_OPT_ADAM = 0, HY_OPT_SGD = 1, HY_OPT_ADAMW = 2, HY_OPT_RMSPROP = 3, HY_OPT_LBFGS = 4,
       HY_OPT_MULTIADAM = 5, HY_OPT_COUNT = 6 };
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
/* Reads columns names[0..ncols) of a data file (text, .npy, .npz: see
 * dataio.h) into out [ncols][nrows].  The file must still have exactly nrows
 * rows (the compiler read it too); on any error the message is printed
 * ("hycoc: error: FILE: ...") and the process exits with status 1. */
void hy_load_columns(HyCtx *c, const char *path, int ncols, const char *const *names, long nrows, double *out);
/* Setup failure the compiler could not rule out (e.g. a rejection sampler
 * that found no point): prints "hycoc: error: WHAT: MSG" and exits with
 * status 1. */
void hy_fail(HyCtx *c, const char *what, const char *msg);
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
/* Declares a vector trainable of n >= 1 entries, initial values init[0..n)
 * (init may be 0: all zero).  Returns its id. */
int hy_vector(HyCtx *c, const char *name, int n, const double *init);
/* Offset of a trainable's first parameter in hy_params / hy_grads. */
long hy_param_offset(HyCtx *c, int trainable);
/* Sets the optimizer of a trainable (default: Adam with its defaults).
 * hyper[0..nhyper) in this order; entries at or past nhyper take the default
 * in brackets (PyTorch's defaults unless said otherwise):
 *   HY_OPT_SGD       lr [1e-3], momentum [0], nesterov 0/1 [0], weight_decay [0]
 *   HY_OPT_ADAM      lr [1e-3], beta1 [0.9], beta2 [0.999], eps [1e-8],
 *                    weight_decay [0] (coupled: added to the gradient)
 *   HY_OPT_ADAMW     lr [1e-3], beta1 [0.9], beta2 [0.999], eps [1e-8],
 *                    weight_decay [1e-2] (decoupled: p *= 1 - lr wd first)
 *   HY_OPT_RMSPROP   lr [1e-2], alpha [0.99], eps [1e-8], momentum [0]
 *   HY_OPT_LBFGS     lr [1] (initial trial step factor), history m [100],
 *                    max_iter [20] (iterations per optimizer step), tolerance_grad
 *                    [1e-7] (max |projected gradient|), tolerance_change [1e-9]
 *                    (relative change of the objective, or of the step);
 *                    strong-Wolfe line search; L-BFGS-B when hy_bounds is set
 *   HY_OPT_MULTIADAM lr [1e-3], beta1 [0.99], beta2 [0.99], eps [1e-8]
 *                    (Yao et al. 2023: every loss term of the substep is its own
 *                    group with its own Adam moments; the step is
 *                    lr / (1 - beta1^t) * (1/K) sum_k m_k / (sqrt(v_k) / sqrt(1 - beta2^t) + eps)
 *                    over the K terms; the runtime calls the step function once
 *                    per term, with only that term weighted)
 * Formulas and operation orders are in runtime/optim.c.  Every substep keeps
 * its own state for each trainable.  All trainables of a substep stepped by
 * L-BFGS are stepped together (one L-BFGS-B problem over their union, the
 * objective sum_k w_k L_k); such a substep may not mix L-BFGS with other
 * kinds.  An invalid kind or value is an internal error. */
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
 * one-loss-at-a-time passes).  The step function must write all its loss
 * values before calling this: during training, the first call of a step
 * advances the balancers its terms use from those values.  Never NULL (all
 * ones, at most 256 terms, when no substep was selected by the runtime). */
const double *hy_step_weights(HyCtx *c);
/* A substep: `repeat` gradient steps on the sum of losses[0..nloss), updating
 * exactly trainables[0..ntrain).  Before each call of fn the runtime zeroes
 * the gradients of those trainables; fn must write every loss value listed and
 * accumulate gradients; afterwards the runtime applies each trainable's
 * optimizer with this substep's own state. */
void hy_substep(HyCtx *c, const char *label, int repeat, int ntrain, const int *trainables,
                int nloss, const int *losses, HyStepFn fn);
void hy_epochs(HyCtx *c, long epochs);
/* The hybrid schedule: substep s (0-based, hy_substep order) runs only in
 * the epochs E (1-based, counted over all phases) with E % every == 0
 * (every >= 1); when physical is set, also not in the warm-up epochs E <=
 * hy_warmup's count.  A skipped substep leaves everything untouched (its
 * losses keep their last values). */
void hy_substep_every(HyCtx *c, int s, long every, int physical);
void hy_warmup(HyCtx *c, long epochs);
/* The threshold warm-up ('warmup until LOSS < T [max N]'): the physical
 * substeps (hy_substep_every's flag) are skipped until the end of the first
 * epoch in which loss `loss` was computed and is below threshold (> 0), or of
 * epoch max_epochs when max_epochs > 0, whichever comes first; from the next
 * epoch on they run as scheduled.  The epoch it ended in is saved in
 * checkpoints and printed after training (hy_warmup_ended). */
void hy_warmup_until(HyCtx *c, int loss, double threshold, long max_epochs);
/* The epoch at whose end the threshold warm-up ended; 0 while it lasts (or
 * without one). */
long hy_warmup_ended(const HyCtx *c);
/* An expect line: passes when fn(c) <cmp> bound.  text is shown in reports. */
void hy_expect(HyCtx *c, const char *text, int cmp, double bound, HyEvalFn fn);
/* A reported quantity (no pass/fail). */
void hy_report(HyCtx *c, const char *text, HyEvalFn fn);

/* ---- optimizers, phases, schedules, loss balancers, tracking ----
 * (runtime/optim.c, lbfgs.c, schedule.c, balance.c; all called from hyk_setup
 * before training, after the trainables, losses and substeps they name.)
 * Order of one training step of a substep: zero gradients; step function
 * (balancers advance at its hy_step_weights call); NaN check of the raw
 * losses; per trainable: clipping, schedule, optimizer, bounds. */

/* Gradient clipping of trainable t, applied to its gradient before its own
 * optimizer (chain(clip_norm(v), opt)); not applied in a phase that overrides
 * the optimizer.  HY_CLIP_NORM: if ||g||_2 > v then g *= v / ||g||_2, the
 * norm over all parameters of t (every layer of a net: optax's global norm
 * over the parameters this optimizer owns), from the gradient of the substep
 * being stepped; for MultiAdam each term's gradient is clipped on its own.
 * HY_CLIP_VALUE: g_i = min(max(g_i, -v), v).  v > 0. */
enum { HY_CLIP_NORM = 1, HY_CLIP_VALUE = 2 };
void hy_opt_clip(HyCtx *c, int t, int kind, double v);
/* Box bounds lo <= p_i <= hi on every parameter of trainable t (lo < hi; use
 * -/+INFINITY for a missing side).  First-order optimizers project after each
 * step; L-BFGS honours them natively (L-BFGS-B). */
void hy_bounds(HyCtx *c, int t, double lo, double hi);

/* Training phases.  Substeps declared after this call belong to a new phase
 * (phase 0 is implicit: its count is hy_epochs, or hy_set_epochs which applies
 * to phase 0 only).  A phase runs `count` epochs (is_iterations 1: the same,
 * named iterations), each running every substep of the phase `repeat` times.
 * opt_kind < 0: each trainable uses its own optimizer, schedule and clipping;
 * opt_kind >= 0 (hyper as hy_optimizer): that optimizer for every trainable
 * of the phase, without schedules or clipping (bounds still hold); with
 * HY_OPT_LBFGS each step of a substep is one L-BFGS optimizer step (up to
 * max_iter iterations) over the union of its trainables.  Parameters carry
 * over between phases; optimizer state is per (phase, substep, trainable) and
 * starts from zero in each phase.  The epoch counter (log rows, hy_epoch)
 * keeps increasing across phases. */
void hy_phase(HyCtx *c, long count, int is_iterations, int opt_kind, int nhyper, const double *hyper);

/* Learning-rate schedules (per trainable).  The lr of a step is the
 * optimizer's lr times the schedule value f(s), then clamped by
 * hy_schedule_clamp if given, where s = hy_epoch(c): the number of epochs
 * completed before the current one, counted from 0 over all phases (so
 * "steps 2000" means 2000 epochs).  Evaluated before every optimizer step of
 * the trainable.  Parameters (defaults in brackets):
 *   HY_SCHED_CONSTANT       v [1]:                       f = v
 *   HY_SCHED_EXPONENTIAL    lr0, rate, steps, lr_end [0]: f = lr0 rate^(s / steps),
 *                           then (lr_end > 0) floored at lr_end when rate < 1,
 *                           capped at lr_end when rate > 1 (optax exponential_decay)
 *   HY_SCHED_COSINE         steps, lr0, lr_end [0]:      f = lr_end + (lr0 - lr_end)
 *                           (1 + cos(pi s / steps)) / 2 for s < steps, then lr_end
 *   HY_SCHED_WARMUP_COSINE  steps, warmup, lr0, lr_end [0], lr_init [0]:
 *                           f = lr_init + (lr0 - lr_init) s / warmup for s < warmup,
 *                           then cosine from lr0 (s = warmup) to lr_end (s = steps),
 *                           lr_end after (optax warmup_cosine_decay_schedule)
 *   HY_SCHED_PIECEWISE      nb, b_1..b_nb, v_0..v_nb (nparam = 2 nb + 2,
 *                           b nondecreasing): f = v_i, i = #{j : b_j <= s}
 *   HY_SCHED_DLRS           lr0, window, delta_inc [0.1], delta_dec [1]: the
 *                           loss-adaptive DLRS of Dharanalakota, Raikar & Ghosh
 *                           (Machine Learning with Applications 21 (2025) 100697,
 *                           arXiv:2507.21749; authors' code AshwinRaikar88/
 *                           dynamic-learning-rate-scheduler): f starts at lr0;
 *                           after every `window` epochs, with J_1..J_w the raw
 *                           sums of the losses of the trainable's substeps at
 *                           the ends of those epochs, D = (J_w - J_1) / mean(J):
 *                           f = |f - D delta 10^floor(log10 f)|, delta = delta_dec
 *                           when D > 0 (loss rose) else delta_inc; then clamped
 *                           to [min_lr, max_lr] of hy_schedule_clamp, or to the
 *                           authors' PINN defaults [1e-5, 0.1] when none given
 * nparam outside the documented range or a bad value is an internal error. */
enum { HY_SCHED_CONSTANT = 0, HY_SCHED_EXPONENTIAL = 1, HY_SCHED_COSINE = 2,
       HY_SCHED_WARMUP_COSINE = 3, HY_SCHED_PIECEWISE = 4, HY_SCHED_DLRS = 5, HY_SCHED_FN = 6 };
void hy_schedule(HyCtx *c, int t, int kind, int nparam, const double *param);
/* Clamps the schedule value of t to [min_lr, max_lr] (use 0 / INFINITY for
 * one side).  Also the bounds of DLRS. */
void hy_schedule_clamp(HyCtx *c, int t, double min_lr, double max_lr);
/* A user-expression schedule (kind HY_SCHED_FN): f = fn(c), evaluated before
 * every optimizer step of t; fn may read hy_epoch(c) and hy_loss_values(c)
 * (the values of the step being taken). */
void hy_schedule_fn(HyCtx *c, int t, HyEvalFn fn);
/* During training: epochs completed before the current one (0 in the first
 * epoch), over all phases; after hy_train: the epochs run. */
double hy_epoch(HyCtx *c);
/* The lr of trainable t's last optimizer step (optimizer lr times schedule,
 * L-BFGS: its lr); before any step, the lr its next step would use. */
double hy_lr(HyCtx *c, int t);

/* Adaptive loss weights.  A balancer over nloss losses (ids losses[0..nloss))
 * keeps one weight per loss, all 1 until it first advances.  It advances once
 * per training step of a substep that uses it (hy_substep_term), at the step
 * function's hy_step_weights call, from the loss values just computed: the
 * weights weigh the gradient of that same step (stop-gradient, as in the
 * sources); L-BFGS line searches and MultiAdam passes within a step see the
 * same weights.  Used by two substeps, it advances at each one's steps.
 * Inputs: mode HY_BMODE_RAW: l_k = L_k; MINMAX: l_k = (L_k - min_k) /
 * (max_k - min_k) over the values of L_k seen at its advances so far (1 while
 * max_k = min_k); L2: l_k = L_k / sqrt(sum_j L_j^2).  Kinds (param defaults
 * in brackets; formulas and sources in runtime/balance.c; t = its advances
 * counted from 1, K = nloss):
 *   HY_BAL_RELOBRALO  alpha [0.999], tau [0.1], rho [0.999] (Bischof & Kraus
 *                     2021): lambda = alpha (r lambda_prev + (1 - r) lhat(t, 1))
 *                     + (1 - alpha) lhat(t, t-1), r ~ Bernoulli(rho), lhat(t, u)
 *                     = K softmax_k(l_k(t) / (tau l_k(u) + 1e-12)); alpha is 1 at
 *                     t = 1 and 0 at t = 2, as in the authors' code
 *   HY_BAL_SOFTADAPT  beta [0.1], window [5] (2..6), variant [2] (0 original,
 *                     1 normalised slopes, 2 loss-weighted; Heydari et al. 2019):
 *                     K times the SoftAdapt weights (which sum to 1) from the last
 *                     `window` values; 1 until window values were seen.  Its
 *                     mode scales the slopes (minmax: by each loss's observed
 *                     range; l2: by the joint norm), never the loss values
 *   HY_BAL_DWA        temperature [2] (Liu et al. 2019): from t = 3, lambda_k =
 *                     K softmax_k(r_k / T), r_k = l_k(t-1) / l_k(t-2)
 *   HY_BAL_LBPINNS    init_s [0], lr_s [1e-3]: learnable log-variances s_k,
 *                     lambda_k = exp(-s_k); after each advance s takes one Adam
 *                     step (lr_s, 0.9, 0.999, 1e-8) on sum_k (exp(-s_k) l_k + s_k)
 *                     (Kendall et al. 2018's uncertainty weighting times 2)
 *   HY_BAL_RLW        alpha [1]: lambda = K x (a Dirichlet(alpha, ..., alpha)
 *                     draw), a fresh draw at every advance, from the seed
 * Returns the balancer id. */
enum { HY_BAL_RELOBRALO = 0, HY_BAL_SOFTADAPT = 1, HY_BAL_DWA = 2, HY_BAL_LBPINNS = 3,
       HY_BAL_RLW = 4 };
enum { HY_BMODE_RAW = 0, HY_BMODE_MINMAX = 1, HY_BMODE_L2 = 2 };
int hy_balancer(HyCtx *c, const char *name, int kind, int nloss, const int *losses, int nparam, const double *param, int mode);
/* Current weights of balancer b [nloss] (stable pointer; the weights of its
 * last advance, or all 1).  Read by a step function's forward pass, they are
 * those of the previous advance. */
const double *hy_balancer_weights(HyCtx *c, int b);
/* Term k of substep `substep` (0-based in hy_substep declaration order over
 * all phases) weighs coef * (balancer >= 0 ? hy_balancer_weights(c,
 * balancer)[index] : 1).  The logged and NaN-checked values stay the raw L_k.
 * A substep's total (hy_substep_eval, the L-BFGS objective) is sum_k w_k L_k
 * plus, once for every lbpinns balancer its terms use, sum_k s_k (a constant
 * for the networks: it never changes their gradients). */
void hy_substep_term(HyCtx *c, int substep, int k, double coef, int balancer, int index);
/* Weight `index` of balancer b as a value inside a loss ('w.pde' in a loss
 * expression).  In a training step of a substep, the first call advances b
 * (at most once per step, shared with hy_step_weights) from
 * hy_loss_values(c) of b's losses, which the caller writes just before;
 * elsewhere (hy_substep_eval, checks, residuals) the current weights.  The
 * step function treats the value as a constant (no gradient). */
double hy_balancer_weight(HyCtx *c, int b, int index);
/* Substep `substep`'s losses contain adaptive weights: its L-BFGS steps
 * evaluate afresh at their start (the weights of the new step differ). */
void hy_substep_balanced(HyCtx *c, int substep);

/* Tracked quantities: extra columns of the loss log and the history, after
 * the losses, never part of any loss.  hy_track_balancer adds one column per
 * weight, named "<balancer>.<loss>" (e.g. "w.pde"); hy_track_lr one column
 * "lr.<trainable>" with hy_lr. */
void hy_track_balancer(HyCtx *c, int b);
void hy_track_lr(HyCtx *c, int t);
/* One column named after trainable t with its (first) parameter's value:
 * a recovered physical parameter per recorded epoch ('track nu'). */
void hy_track_param(HyCtx *c, int t);

/* ---- geometry and sampling (runtime/geom.c, runtime/sample.c) ----
 *
 * Geometries are closed sets in R^dim (dim <= HY_GEOM_MAX_DIM) with int ids.
 * Constructors return the id, or -1 with a message for hy_geom_error (the
 * message has no "hycoc: error:" prefix; the caller adds its own context).
 * Point arrays are laid out [dim][m]: coordinate k of point i at out[k*m + i],
 * m the number of points the call returns.  Every function that returns a
 * count returns -1 on error, with a message.
 *
 * Randomness: a sampling call is a pure function of (seed, geometry, its
 * arguments); its draws are hy_rng_* of (seed, S, counter) with the stream
 * word S = 2^62 | stream << 30 | round (stream >= 0, 0 <= round < 2^20), the
 * counters listed in sample.c's header.  To resample at epoch E, pass a new
 * round (e.g. E / every): round r never repeats the draws of another round.
 * hy_geom_sample(...) is hy_geom_resample(..., round 0, ...).
 *
 * Methods (interior and boundary):
 *   RANDOM        independent uniforms.
 *   LATIN         Latin hypercube of n strata per axis (McKay et al. 1979), one
 *                 point per stratum per axis, jittered.  On box-like geometries
 *                 (boxes, space-time over boxes) exactly; on others rejection
 *                 draws further hypercubes of n points until n are kept.
 *   SOBOL         Sobol' with Joe & Kuo (2008) direction numbers (dims <= 8),
 *                 scrambled from the seed: linear matrix scramble + digital
 *                 shift (Matousek 1998); points in (0,1), never the corner.
 *   SOBOL_PLAIN   the unscrambled sequence, Gray-code order, starting with
 *                 index round * 2^32 (round 0: the point 0 first).
 *   HALTON        Halton in bases 2,3,5,..,19, scrambled from the seed by
 *                 random digit permutations (one per dimension and digit).
 *   HALTON_PLAIN  the radical inverses, from index round * 2^32 (0 first).
 *   GRID          deterministic (ignores stream and round).  Interior: the
 *                 mesh of hy_geom_mesh with the spacing h for which the mesh
 *                 over the bounding box has about n vol(bbox)/measure nodes,
 *                 i.e. about n nodes inside (exactly n on an interval; k^d on a
 *                 cube when n = k^d); boundary: see hy_geom_resample_boundary.
 *                 The count m is what the call returns; call with out = 0 first
 *                 to learn m, then with an array of dim*m doubles.
 * For non-box geometries interior points are drawn by rejection against the
 * bounding box: candidate i of the method's sequence is kept if inside; a call
 * gives up (-1) after 1000 n + 10^6 candidates. */
enum { HY_GEOM_MAX_DIM = 8 };
enum { HY_GEOM_UNION = 0, HY_GEOM_DIFF = 1, HY_GEOM_INTER = 2 };
enum { HY_SAMPLE_RANDOM = 0, HY_SAMPLE_LATIN = 1, HY_SAMPLE_SOBOL = 2, HY_SAMPLE_HALTON = 3,
       HY_SAMPLE_GRID = 4, HY_SAMPLE_SOBOL_PLAIN = 5, HY_SAMPLE_HALTON_PLAIN = 6,
       HY_SAMPLE_COUNT = 7 };
/* Boundary selections: the whole boundary; the faces normal to coordinate
 * `axis`; the part where coordinate `axis` equals `value`; the spatial
 * boundary times the time interval (the whole boundary without time). */
enum { HY_BND_ALL = 0, HY_BND_AXIS = 1, HY_BND_AT = 2, HY_BND_SPACE = 3 };

/* Last error message of the geometry functions ("" if none). */
const char *hy_geom_error(HyCtx *c);
/* Box [lo_0, hi_0] x ... (an interval for dim 1, a rectangle for 2); 1 <= dim
 * <= 8, lo[k] < hi[k], all finite. */
int hy_geom_box(HyCtx *c, int dim, const double *lo, const double *hi);
/* Disk of centre (cx, cy) and radius r > 0. */
int hy_geom_disk(HyCtx *c, double cx, double cy, double r);
/* Simple polygon, vertices xy = [x0, y0, x1, y1, ...] in either orientation
 * (a closing vertex equal to the first is dropped).  Rejected: fewer than 3
 * vertices, non-finite or repeated consecutive vertices, edges that cross,
 * touch or fold back, zero area. */
int hy_geom_polygon(HyCtx *c, int nv, const double *xy);
/* a op b (HY_GEOM_UNION, _DIFF: a minus b, _INTER) of two geometries of the
 * same dimension; an intersection of disjoint bounding boxes is an error. */
int hy_geom_bool(HyCtx *c, int op, int a, int b);
/* space x [t0, t1]: time is the last coordinate (dim = dim(space) + 1 <= 8);
 * space must not already have a time axis.  The product of a box is a box. */
int hy_geom_time(HyCtx *c, int space, double t0, double t1);
/* Dimension of g, -1 if no such geometry. */
int hy_geom_dim(HyCtx *c, int g);
/* Bounding box of g on axis (NaN for a bad g or axis).  Named faces of a box
 * are HY_BND_AT slices at these values: left/right = axis 0 at lo/hi,
 * bottom/top = axis 1, front/back = axis 2 (front = lo). */
double hy_geom_lo(HyCtx *c, int g, int axis);
double hy_geom_hi(HyCtx *c, int g, int axis);
/* 1 if point x[dim] lies in g (closed set), 0 if not, -1 for a bad g. */
int hy_geom_contains(HyCtx *c, int g, const double *x);
/* Volume (length, area) of g: exact for boxes, disks, polygons and their
 * space-time products; for booleans the fraction of 2^20 plain Sobol' points
 * of the bounding box inside (deterministic, seed-free; relative error about
 * 5e-5 on two overlapping disks).  -1 for a bad g. */
double hy_geom_measure(HyCtx *c, int g);
/* Measure of the selected boundary (sel, axis, value as for the boundary
 * sampler): exact without booleans, else estimated from 2^18 plain Sobol'
 * candidates.  A slice that is no face has the (dim-1)-measure of the
 * cross-section.  -1 on error. */
double hy_geom_boundary_measure(HyCtx *c, int g, int sel, int axis, double value);

/* n interior points of g (closed set; boundary points possible only for
 * GRID and with probability ~0 otherwise).  Returns n (GRID: the mesh count);
 * out = 0 returns the count without sampling. */
long hy_geom_sample(HyCtx *c, int g, int method, long n, int stream, double *out);
long hy_geom_resample(HyCtx *c, int g, int method, long n, int stream, long round, double *out);
/* Mesh of spacing about h > 0 over g's bounding box, nodes inside g kept:
 * axis k gets round(L_k/h) + 1 nodes, both ends exact (one node, the
 * midpoint, if L_k/h < 0.5); axis 0 varies fastest.  Returns the count m
 * (out = 0: count only); -1 if no node is inside or there are > 2^31 nodes. */
long hy_geom_mesh(HyCtx *c, int g, double h, double *out);
/* n points on the boundary of g with outward unit normals normals[dim][m]
 * (normals may be 0).  sel:
 *   HY_BND_ALL   the whole boundary, uniformly by surface measure (perimeter
 *                in 2-D, area in 3-D, length x time on space-time laterals;
 *                the two end points of an interval count 1 each).  For
 *                booleans only the parts of each operand's boundary that lie
 *                on the result's boundary; a difference's inner boundary has
 *                normals pointing into the removed part.
 *   HY_BND_AXIS  the faces whose normal is +-e_axis (box faces, axis-aligned
 *                polygon edges, the t = t0 / t1 ends); on a space-time domain
 *                and a space axis: those spatial faces times [t0, t1].  -1 if
 *                there is none (a disk has none).
 *   HY_BND_AT    where coordinate axis = value, that coordinate set exactly to
 *                value.  If faces normal to axis lie at value (a box's
 *                lo/hi face, t = t0 of a space-time domain, an axis-aligned
 *                edge) the points are on those faces with their outward
 *                normals (t = t0 gives -e_t); otherwise the points fill the
 *                cross-section of g at value and the normals are 0.
 *   HY_BND_SPACE the lateral boundary of a space-time domain: the spatial
 *                boundary (booleans filtered as for ALL) times [t0, t1],
 *                without the t = t0 / t1 ends; for a domain without time,
 *                the same as HY_BND_ALL.  axis and value are ignored.
 * Corners and edges of faces have measure zero: random methods hit them with
 * probability ~0; GRID never does (below); a point's normal is always the
 * normal of the face it was drawn on.
 * Methods as above in k = max(1, dim-1) unit coordinates: the first picks
 * the face by the cumulative measure and its position on it.  GRID (the
 * deterministic mesh of boundaries): spacing h = (W/n)^(1/k), W the selected
 * measure; each face's chart axis of extent e gets max(1, round(e/h)) equal
 * cells with one point at each cell centre, so faces are evenly spaced and
 * corners excluded; booleans then drop points off the true boundary, so n is
 * a target before that; the count m is returned (out = 0: count only).
 * A 1-D geometry's end points get one point each under GRID. */
long hy_geom_sample_boundary(HyCtx *c, int g, int sel, int axis, double value, int method,
                             long n, int stream, double *out, double *normals);
long hy_geom_resample_boundary(HyCtx *c, int g, int sel, int axis, double value, int method,
                               long n, int stream, long round, double *out, double *normals);
/* Points first .. first+n-1 of a method's unit-cube sequence in dim <= 8
 * dimensions (not GRID; LATIN: a hypercube of n strata), out [dim][n].  The
 * same points the samplers map to geometries.  Returns n or -1. */
long hy_qmc_unit(HyCtx *c, int method, int dim, long first, long n, int stream, long round,
                 double *out);
/* RAR-D selection (Wu, Zhu, Tan, Kartha & Lu, CMAME 403 (2023) 115671):
 * draws nadd distinct indices of a pool of npool points without replacement
 * with probabilities proportional to p_i = r_i^k / mean_j(r_j^k) + cc,
 * r_i = |residual[i]|, k >= 0, cc >= 0 (all-zero residuals: p_i = 1 + cc).
 * chosen[0..) receives them in draw order (the order of successive weighted
 * draws).  Items with p_i = 0 (r_i = 0, k > 0, cc = 0) come only after all
 * others, lowest index first.  Draw u_i = hy_rng_uniform(seed, 2^62 | 2^61 |
 * stream << 30, counter_base + i): a call consumes counters counter_base ..
 * counter_base + npool - 1 (use counter_base = round * npool for rounds).
 * Returns min(nadd, npool), or -1 (non-finite residual, bad arguments).
 * Allocates only when nadd exceeds every earlier call's. */
long hy_rar_select(HyCtx *c, int stream, long counter_base, long npool, const double *residual,
                   double k, double cc, long nadd, long *chosen);
/* Copies points chosen[0..nsel) of pool [dim][npool] into out [dim][nout] at
 * positions at .. at+nsel-1 (indices checked: internal error if outside). */
void hy_gather_points(int dim, long npool, const double *pool, long nsel, const long *chosen,
                      long nout, long at, double *out);

/* ---- redrawn and growing point sets (runtime/pointset.c) ----
 *
 * A point set registered with hy_ps_sampler can be drawn anew during
 * training.  Its draws are those of hy_geom_resample (interior) or
 * hy_geom_resample_boundary (with normals) with stream = ps and round 0 at
 * setup.  hy_ps_update(c, E) (hyrt.h; hy_train calls it at the start of
 * every epoch of the first phase, E = epochs completed) redraws, in id
 * order, every set with E > 0 and E % every == 0, in round E / every:
 *   RESAMPLE  all n points drawn anew;
 *   RAR       the candidate set `pool` is drawn anew, refresh_pool(c) and
 *             residual(c) run, which leave the pool's residual in r[npool];
 *             then hy_rar_select(c, ps, round * npool, npool, r, k, cc,
 *             nsel, ...) picks nsel candidates, copied in draw order to
 *             points n .. n+nsel-1 (growing: nsel = min(add, cap - n), then
 *             n += nsel; nothing happens once n == cap) or to points
 *             0 .. n-1 (add == 0: nsel = n, the count stays).
 * Then refresh(c) runs (it recomputes whatever depends on the points).
 * refresh and refresh_pool may be 0.  A sampler or RAR-D failure (e.g. a
 * non-finite residual) prints "hycoc: error: point set 'NAME': ..." and
 * exits with status 1.  Nothing is allocated after registration. */
/* Registers point set ps (0 <= ps, the id of hy_pointset) drawn in geometry
 * g by method (HY_SAMPLE_*, not GRID), in its interior (boundary 0) or on
 * the selected boundary (sel, axis, value as hy_geom_sample_boundary; then
 * normals [dim][cap] is required); storage coords [dim][cap], cap >= n.
 * Draws points 0 .. n-1 (round 0), the live count is n. */
void hy_ps_sampler(HyCtx *c, int ps, const char *name, int g, int method, int boundary, int sel, int axis,
                   double value, long n, long cap, double *coords, double *normals);
/* The live count of registered point set ps. */
long hy_ps_count(HyCtx *c, int ps);
/* ps (registered, cap == n) is redrawn every `every` >= 1 epochs. */
void hy_ps_resample(HyCtx *c, int ps, long every, HyStepFn refresh);
/* ps is redrawn every `every` >= 1 epochs by RAR-D from the candidates of
 * pool (registered, same dimension and boundary-ness, cap == n >= nsel):
 * add > 0 points appended each time (growth), or add == 0: all points
 * replaced (then ps has cap == n).  k >= 0, cc >= 0 as hy_rar_select. */
void hy_ps_rar(HyCtx *c, int ps, long every, int pool, long add, double k, double cc, HyStepFn residual,
               const double *r, HyStepFn refresh_pool, HyStepFn refresh);
/* hy_jet_plan over registered point set ps: buffers for its capacity, X,
 * out, dout_adj, dX laid out with stride cap ([din][cap], ...); every
 * hy_jet_fwd evaluates the first hy_ps_count(c, ps) points (hy_jet_bwd uses
 * the count of the last forward). */
int hy_jet_plan_ps(HyCtx *c, int net, int ps, int ncomp, const int *comps, const double *X, double *out,
                   const double *dout_adj, double *dX);

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
void hy_vatan(long n, const double *x, double *y);
void hy_vasin(long n, const double *x, double *y);
double hy_atan(double x);
double hy_asin(double x);
double hy_atan2(double y, double x);

/* ---- simulators (runtime/sim.c; a .hyco 'sim' block) ----
 *
 * A simulator advances nf fields U [nf][N] on a uniform grid of N points,
 * dU/dt = F(U, p), by explicit Euler or classic RK4 with a fixed dt for
 * `steps` steps, and keeps the states at steps k * save, k = 0 .. nsnap =
 * steps / save (the snapshots; time t_k = k save dt).  Grid: dim 1 or 2 axes
 * of n[a] nodes lo[a], lo[a] + h[a], ..., hi[a] (hi the last node, given as
 * computed by the compiler); point (ix, iy) has index ix * n[1] + iy (n[1]
 * = 1 in 1-D); the runtime's coordinates X [dim][N] are hy_fill_linspace of
 * each axis.  Boundaries (all sides alike):
 *   HY_SIM_PERIODIC   node n[a] is node 0 (h = period / n)
 *   HY_SIM_DIRICHLET  the edge nodes hold bcval (their F is 0; the initial
 *                     state there is bcval); only interior nodes are free
 *   HY_SIM_NEUMANN    zero normal derivative: the stencil's ghost node
 *                     mirrors the first interior one (u_{-1} = u_1)
 * Stencils see neighbours through nb [3^dim][N]: nb[o * N + i] is the index
 * of the node at offset o of point i, o = dx + 1 in 1-D and (dx + 1) * 3 +
 * (dy + 1) in 2-D (dx, dy in -1 .. 1), boundaries applied.
 * The emitted functions (pointers and scalars only):
 *   init      U [nf][N] = the initial state (Dirichlet edges are then reset)
 *   rhs       F[f * N + i] = F_f at the free points i = act[0 .. nact) (the
 *             other entries are zero on entry and must stay so)
 *   adj       at the free points: Ub += J^T W (J = dF/dU, through the
 *             stencils) and G[offset of p] += W . dF/dp for every parameter
 *   init_adj  G[offset of p] += Ub0 . dU0/dp over the free points (0 when the
 *             initial state depends on no parameter)
 * Gradients are exact: hy_sim_backward is the discrete adjoint of the steps
 * taken (formulas in sim.c).  A simulation is rerun by the first sample
 * after a parameter it depends on (hy_sim_depends) changed bitwise. */
enum { HY_SIM_PERIODIC = 0, HY_SIM_DIRICHLET = 1, HY_SIM_NEUMANN = 2 };
enum { HY_SIM_EULER = 0, HY_SIM_RK4 = 1 };
typedef void (*HySimInitFn)(HyCtx *c, const double *X, double *U, long N);
typedef void (*HySimRhsFn)(HyCtx *c, const double *X, const double *U, double *F, long N, long nact,
                           const long *act, const long *nb);
typedef void (*HySimAdjFn)(HyCtx *c, const double *X, const double *U, const double *W, double *Ub, double *G,
                           long N, long nact, const long *act, const long *nb);
typedef void (*HySimInitAdjFn)(HyCtx *c, const double *X, const double *Ub0, double *G, long N, long nact,
                               const long *act);
/* Declares a simulator (boundary kind bc, nf >= 1 fields); returns its id.
 * Axes need n >= 2 (Dirichlet: n >= 3) and h > 0. */
int hy_sim(HyCtx *c, const char *name, int dim, const long *n, const double *lo, const double *hi,
           const double *h, int bc, double bcval, int nf);
/* Time stepping: method HY_SIM_*, dt > 0, steps >= 1, 1 <= save <= steps. */
void hy_sim_steps(HyCtx *c, int sim, int method, double dt, long steps, long save);
void hy_sim_fns(HyCtx *c, int sim, HySimInitFn init, HySimRhsFn rhs, HySimAdjFn adj, HySimInitAdjFn init_adj);
/* The trainables (ids) whose parameters F or the initial state read. */
void hy_sim_depends(HyCtx *c, int sim, int ntr, const int *trs);
/* Bytes of kept states above which the adjoint keeps every K-th state and
 * recomputes the rest (K = ceil(sqrt(steps))); default 256 MiB.  Set before
 * the first run.  The gradients are bitwise the same either way. */
void hy_sim_budget(HyCtx *c, long bytes);
/* Runs the simulation now (normally the samplers run it when needed). */
void hy_sim_run(HyCtx *c, int sim);
/* out[i] = field at (x[i], y[i], t[i]) (y ignored, may be 0, in 1-D): linear
 * in time between snapshots, (bi)linear in space; periodic axes wrap,
 * others clamp to the grid; t is clamped to [0, steps dt]. */
void hy_sim_sample(HyCtx *c, int sim, int field, long n, const double *x, const double *y, const double *t,
                   double *out);
/* Accumulates the adjoint of those values (g [n]) into the snapshots' seeds. */
void hy_sim_sample_adj(HyCtx *c, int sim, int field, long n, const double *x, const double *y,
                       const double *t, const double *g);
/* The snapshots 1 .. nsnap themselves: out[i * nsnap + k - 1] = field at
 * grid point i, time t_k (the order of the compiler's snapshot point set). */
void hy_sim_snapshots(HyCtx *c, int sim, int field, double *out);
void hy_sim_snapshots_adj(HyCtx *c, int sim, int field, const double *g);
/* For every simulator with seeds: the adjoint sweep; adds d(loss)/dp to
 * hy_grads and clears the seeds. */
void hy_sim_backward(HyCtx *c);
/* Inspection: the snapshots [nsnap + 1][nf][N] (k = 0 is the initial state)
 * of the current parameters; counters of runs, adjoint sweeps, and the
 * kept-state stride K. */
const double *hy_sim_state(HyCtx *c, int sim, long *nsnap, long *npoints, int *nfields);
void hy_sim_stats(HyCtx *c, int sim, long *runs, long *sweeps, long *kept_every);

/* ---- rollout networks (runtime/rollout.c; a 'sim' block with dt(u) = NET(u)) ----
 *
 * A network as the right-hand side F(U) of simulator `sim` (fields U [nf][N]
 * on its grid), so that the simulator's Euler steps are the autoregressive
 * rollout U_{k+1} = U_k + dt NET(U_k) (RK4: a neural ODE), with sim.c's
 * snapshots, sampling, caching and adjoint (backpropagation through time).
 * Modes: radius < 0, the whole state: network nf N -> nf N evaluated once
 * (input and output m = f N + i); radius r >= 0, a local stencil: network
 * nf K -> nf (K = (2r + 1)^dim) evaluated at every point, input f K + k the
 * field f at offset k (1-D k = d + r; 2-D k = (dx + r)(2r + 1) + dy + r) under
 * the boundaries (periodic wrap, Neumann mirror, Dirichlet clamp), r < n per
 * axis.  hy_rollout registers it (network `net` declared before; returns its
 * id); the simulator's emitted rhs and adj are then exactly:
 *   rhs  hy_rollout_rhs(c, sim, U, F, nact, act)   F at the free points
 *   adj  hy_rollout_adj(c, sim, U, W, Ub, nact, act)
 *        Ub += (dF/dU)^T W and the network's hy_grads += (dF/dweights)^T W,
 *        W read at the free points only. */
int hy_rollout(HyCtx *c, int sim, int net, int dim, const long *n, int bc, int nf, int radius);
void hy_rollout_rhs(HyCtx *c, int sim, const double *U, double *F, long nact, const long *act);
void hy_rollout_adj(HyCtx *c, int sim, const double *U, const double *W, double *Ub, long nact, const long *act);

/* ---- steady simulators (runtime/steady.c; a .hyco 'sim' with 'step steady') ----
 *
 * Solves -div(kappa grad u) + eta u = f on a uniform grid (the simulators'
 * grid conventions above; bc HY_SIM_DIRICHLET: edge nodes hold bcval, or
 * HY_SIM_NEUMANN: zero flux through the boundary) by a vertex-centred finite
 * volume / flux-form finite-difference scheme: kappa on the face between
 * neighbouring nodes a, b is (kappa_a + kappa_b) / 2, so the matrix is
 * symmetric (positive definite when kappa > 0 and eta >= 0); it is factored
 * by LAPACK's banded Cholesky (dpbtrf), or banded LU (dgbtrf) when Cholesky
 * fails.  f may depend on u (nonlinear = 1): Newton's method from u = 0,
 * each step the linear problem with eta - df/du and f - (df/du) u, until
 * the update is below 1e-12 (1 + max |u|) (at most 50 steps).  The emitted
 * functions, at the state U [N]:
 *   coef      K[i] = kappa, K[N + i] = eta, K[2N + i] = f, K[3N + i] = df/du
 *   coef_adj  G[offset of p] += sum_{k<3} sum_i Kb[k N + i] d(K[k N + i])/dp
 * Gradients are exact: one solve with the same factors per backward pass
 * (the matrix -- the Jacobian at the solution -- is symmetric) gives the
 * adjoint, then (dR/dK)^T lambda goes
 * through coef_adj.  The solution is recomputed by the first sample after a
 * parameter it depends on changed bitwise.  'sim' is the compiler's
 * simulator index (the runtime's table is searched by it). */
typedef void (*HySteadyCoefFn)(HyCtx *c, const double *X, const double *U, double *K, long N);
typedef void (*HySteadyCoefAdjFn)(HyCtx *c, const double *X, const double *U, const double *Kb, double *G, long N);
void hy_steady(HyCtx *c, int sim, const char *name, int dim, const long *n, const double *lo, const double *hi,
               const double *h, int bc, double bcval);
void hy_steady_fns(HyCtx *c, int sim, HySteadyCoefFn coef, HySteadyCoefAdjFn coef_adj, int nonlinear);
void hy_steady_depends(HyCtx *c, int sim, int ntr, const int *trs);
/* out[i] = u at (x[i], y[i]) (bilinear; clamped to the grid); the adjoint
 * accumulates g into the nodes' seeds with the same weights. */
void hy_steady_sample(HyCtx *c, int sim, long n, const double *x, const double *y, double *out);
void hy_steady_sample_adj(HyCtx *c, int sim, long n, const double *x, const double *y, const double *g);
/* u at every node (index ix * n[1] + iy), and its adjoint seeds. */
void hy_steady_values(HyCtx *c, int sim, double *out);
void hy_steady_values_adj(HyCtx *c, int sim, const double *g);
/* For every steady simulator with seeds: the adjoint solve; adds
 * d(loss)/dp to hy_grads and clears the seeds. */
void hy_steady_backward(HyCtx *c);
/* Inspection: the solution [N] of the current parameters; counters of
 * solutions (one per parameter value), adjoint solves, LU fallbacks, and
 * wall seconds spent in the solver (assembly, factorisation, solves,
 * coefficient adjoint); hy_steady_newton: Newton steps of the last solve. */
const double *hy_steady_state(HyCtx *c, int sim, long *npoints);
void hy_steady_stats(HyCtx *c, int sim, long *solves, long *adjoints, long *lu_fallbacks, double *seconds);
int hy_steady_newton(HyCtx *c, int sim);

#endif
