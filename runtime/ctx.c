/* ctx.c -- the context: construction calls of emitted setup code, the
 * training driver (substeps, optimizer application, NaN checks), the
 * progress log, the loss-history file and the expect/report summary.
 *
 * Requires: emitted hyk_setup calls the construction functions in a sensible
 * order (hy_seed before hy_mlp; trainables before hy_substep).  Pointers from
 * hy_params/hy_grads/hy_loss_values are valid once every trainable/loss is
 * declared (those blocks grow during setup).  The optimizer-state block is
 * laid out once, at the first hy_train/hy_substep_eval/hy_opt_state; nothing
 * is allocated per step after that.
 */
#include <cblas.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "rt_internal.h"

double rt_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void copy_name(char dst[RT_NAME_MAX], const char *src)
{
    snprintf(dst, RT_NAME_MAX, "%s", src ? src : "");
}

/* ---- context ---- */

HyCtx *hy_ctx_new(void)
{
    HyCtx *c = rt_xcalloc(1, sizeof *c, "context");
    c->threads = 1;
    openblas_set_num_threads(1);
    rt_gemm_threads(1);
    return c;
}

void hy_ctx_free(HyCtx *c)
{
    if (!c)
        return;
    hy_free(c->V);
    hy_free(c->A);
    hy_free(c->params);
    hy_free(c->grads);
    rt_optim_free(c);   /* optimizer, schedule and balancer allocations */
    rt_rollout_free(c);
    rt_sim_free(c);
    rt_steady_free(c);
    hy_free(c->tr);
    for (long i = 0; i < c->nplans; i++)
        rt_jet_free(c->plans[i]);
    hy_free(c->plans);
    hy_free(c->loss_names);
    hy_free(c->loss_values);
    hy_free(c->loss_skip);
    for (long s = 0; s < c->nsub; s++) {
        hy_free(c->sub[s].train);
        hy_free(c->sub[s].loss);
        hy_free(c->sub[s].state_off);
        hy_free(c->sub[s].w);
    }
    hy_free(c->sub);
    hy_free(c->opt_state);
    hy_free(c->ex);
    rt_geom_free(c);
    rt_ps_free(c);
    if (c->loss_log && fclose(c->loss_log) != 0)
        fprintf(stderr, "hycoc: error: closing loss log '%s': %s\n", c->loss_log_path,
                strerror(errno));
    hy_free(c->loss_log_path);
    rt_progress_free(c);
    hy_free(c);
}

/* ---- options ---- */

void hy_set_threads(HyCtx *c, int n)
{
    c->threads = n < 1 ? 1 : n;
    openblas_set_num_threads(c->threads);
    rt_gemm_threads(c->threads);
}
void hy_set_log_every(HyCtx *c, long every) { c->log_every = every < 0 ? 0 : every; }
void hy_set_quiet(HyCtx *c, int quiet) { c->quiet = quiet; }
void hy_set_epochs(HyCtx *c, long epochs) { c->epochs_override = epochs; }
void hy_set_until(HyCtx *c, long epoch) { c->until = epoch < 0 ? 0 : epoch; }
void hy_epochs(HyCtx *c, long epochs) { c->epochs = epochs; }
void hy_seed(HyCtx *c, unsigned long long seed) { c->seed = seed; }

int hy_set_loss_log(HyCtx *c, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    if (c->loss_log)
        fclose(c->loss_log);
    hy_free(c->loss_log_path);
    size_t len = strlen(path) + 1;
    c->loss_log_path = rt_xmalloc(len, "loss log path");
    memcpy(c->loss_log_path, path, len);
    c->loss_log = f;
    c->loss_log_header = 0;
    return 0;
}

/* ---- blocks ---- */

void hy_alloc(HyCtx *c, long nvalues, long nadjoints)
{
    if (c->V || c->A)
        RT_ICE("hy_alloc called twice");
    c->V = rt_xcalloc((size_t)(nvalues > 0 ? nvalues : 1), sizeof(double), "value block");
    c->A = rt_xcalloc((size_t)(nadjoints > 0 ? nadjoints : 1), sizeof(double), "adjoint block");
    c->nvalues = nvalues;
    c->nadjoints = nadjoints;
}
double *hy_values(HyCtx *c) { return c->V; }
double *hy_adjoints(HyCtx *c) { return c->A; }
double *hy_params(HyCtx *c) { return c->params; }
double *hy_grads(HyCtx *c) { return c->grads; }

int hy_pointset(HyCtx *c, const char *name, int n, int dim, double *coords)
{
    (void)name;
    if (n < 1 || dim < 1 || !coords)
        RT_ICE("hy_pointset '%s': n = %d, dim = %d", name ? name : "", n, dim);
    return c->npointsets++;
}

void hy_fill_linspace(double *out, long n, double a, double b)
{
    if (n <= 0)
        return;
    out[0] = a;
    for (long i = 1; i < n - 1; i++)
        out[i] = a + (b - a) * (double)i / (double)(n - 1);
    if (n > 1)
        out[n - 1] = b;
}

/* ---- trainables ---- */

void rt_pack(const HyCtx *c, const int *ids, int n, const double *base, double *out)
{
    long q = 0;
    for (int k = 0; k < n; k++) {
        const Trainable *t = &c->tr[ids[k]];
        memcpy(out + q, base + t->off, sizeof(double) * (size_t)t->len);
        q += t->len;
    }
}

int rt_pack_equal(const HyCtx *c, const int *ids, int n, const double *packed)
{
    long q = 0;
    for (int k = 0; k < n; k++) {
        const Trainable *t = &c->tr[ids[k]];
        if (memcmp(packed + q, c->params + t->off, sizeof(double) * (size_t)t->len) != 0) return 0;
        q += t->len;
    }
    return 1;
}

/* Appends a trainable with len parameters (params/grads grown, zeroed). */
static int add_trainable(HyCtx *c, const char *name, int kind, long len)
{
    if (c->finalized)
        RT_ICE("trainable '%s' declared after training started", name ? name : "");
    rt_grow((void **)&c->tr, &c->cap_tr, c->ntr, sizeof(Trainable), "trainables");
    if (c->nparams + len > c->cap_params) {
        long cap = c->cap_params ? c->cap_params : 256;
        while (cap < c->nparams + len)
            cap *= 2;
        double *p = rt_xcalloc((size_t)cap, sizeof(double), "parameters");
        double *g = rt_xcalloc((size_t)cap, sizeof(double), "gradients");
        if (c->nparams) {
            memcpy(p, c->params, sizeof(double) * (size_t)c->nparams);
            memcpy(g, c->grads, sizeof(double) * (size_t)c->nparams);
        }
        hy_free(c->params);
        hy_free(c->grads);
        c->params = p;
        c->grads = g;
        c->cap_params = cap;
    }
    Trainable *t = &c->tr[c->ntr];
    memset(t, 0, sizeof *t);
    copy_name(t->name, name);
    t->kind = kind;
    t->off = c->nparams;
    t->len = len;
    t->opt_kind = HY_OPT_ADAM;   /* default until hy_optimizer: torch defaults */
    t->nhyper = 4;
    t->hyper[0] = 1e-3;
    t->hyper[1] = 0.9;
    t->hyper[2] = 0.999;
    t->hyper[3] = 1e-8;
    c->nparams += len;
    return (int)c->ntr++;
}

/* Shape, kind and options are checked and the parameters initialised in
 * net.c (rt_net_check, rt_net_setup). */
int hy_net(HyCtx *c, const char *name, int kind, int din, int dout, int width, int depth, int act,
           int nopt, const double *opt)
{
    long len = rt_net_check(name, kind, din, dout, width, depth, act, nopt, opt);
    int id = add_trainable(c, name, RT_TR_MLP, len);
    Trainable *t = &c->tr[id];
    rt_net_setup(t, id, c->seed, c->params + t->off, kind, din, dout, width, depth, act, nopt,
                 opt);
    return id;
}

int hy_mlp(HyCtx *c, const char *name, int din, int dout, int width, int depth, int act)
{
    return hy_net(c, name, HY_NET_MLP, din, dout, width, depth, act, 0, NULL);
}

int hy_scalar(HyCtx *c, const char *name, double init)
{
    int id = add_trainable(c, name, RT_TR_SCALAR, 1);
    c->tr[id].dout = 1;
    c->params[c->tr[id].off] = init;
    return id;
}

int hy_vector(HyCtx *c, const char *name, int n, const double *init)
{
    if (n < 1)
        RT_ICE("hy_vector '%s': %d entries", name ? name : "", n);
    int id = add_trainable(c, name, RT_TR_VECTOR, n);
    c->tr[id].dout = n;
    for (int i = 0; i < n; i++)
        c->params[c->tr[id].off + i] = init ? init[i] : 0.0;
    return id;
}

static Trainable *trainable(HyCtx *c, int t)
{
    if (t < 0 || t >= c->ntr)
        RT_ICE("no trainable %d (have %ld)", t, c->ntr);
    return &c->tr[t];
}

long hy_param_offset(HyCtx *c, int t) { return trainable(c, t)->off; }
long hy_param_count(HyCtx *c, int t) { return trainable(c, t)->len; }
long hy_total_params(HyCtx *c) { return c->nparams; }
int hy_num_trainables(HyCtx *c) { return (int)c->ntr; }

/* ---- jets ---- */

int hy_jet_plan(HyCtx *c, int net, int n, int ncomp, const int *comps, const double *X,
                double *out, const double *dout_adj, double *dX)
{
    rt_grow((void **)&c->plans, &c->cap_plans, c->nplans, sizeof(JetPlan *), "jet plans");
    c->plans[c->nplans] = rt_jet_new(c, net, n, ncomp, comps, X, out, dout_adj, dX);
    return (int)c->nplans++;
}

void hy_jet_fwd(HyCtx *c, int plan) { rt_jet_fwd(c, c->plans[plan]); }
void hy_jet_bwd(HyCtx *c, int plan) { rt_jet_bwd(c, c->plans[plan]); }

/* ---- losses, substeps, expects ---- */

int hy_loss(HyCtx *c, const char *name)
{
    long cap = c->cap_loss, cap2 = c->cap_loss;
    rt_grow((void **)&c->loss_names, &c->cap_loss, c->nloss, RT_NAME_MAX, "losses");
    rt_grow((void **)&c->loss_values, &cap, c->nloss, sizeof(double), "losses");
    rt_grow((void **)&c->loss_skip, &cap2, c->nloss, 1, "losses");
    copy_name(c->loss_names[c->nloss], name);
    c->loss_values[c->nloss] = 0.0;
    return (int)c->nloss++;
}
double *hy_loss_values(HyCtx *c) { return c->loss_values; }

void hy_substep(HyCtx *c, const char *label, int repeat, int ntrain, const int *trainables,
                int nloss, const int *losses, HyStepFn fn)
{
    if (c->finalized)
        RT_ICE("hy_substep '%s' after training started", label ? label : "");
    if (repeat < 1 || ntrain < 0 || nloss < 0 || !fn)
        RT_ICE("hy_substep '%s': repeat %d, ntrain %d, nloss %d", label ? label : "", repeat,
               ntrain, nloss);
    rt_grow((void **)&c->sub, &c->cap_sub, c->nsub, sizeof(Substep), "substeps");
    Substep *s = &c->sub[c->nsub];
    memset(s, 0, sizeof *s);
    copy_name(s->label, label);
    s->repeat = repeat;
    s->ntrain = ntrain;
    s->nloss = nloss;
    s->fn = fn;
    s->train = rt_xmalloc(sizeof(int) * (size_t)(ntrain + 1), "substep");
    s->loss = rt_xmalloc(sizeof(int) * (size_t)(nloss + 1), "substep");
    s->state_off = rt_xcalloc((size_t)(ntrain + 1), sizeof(long), "substep");
    s->w = rt_xmalloc(sizeof(double) * (size_t)(nloss + 1), "substep");
    for (int k = 0; k < nloss; k++)
        s->w[k] = 1.0;
    for (int k = 0; k < ntrain; k++) {
        trainable(c, trainables[k]);
        s->train[k] = trainables[k];
    }
    for (int k = 0; k < nloss; k++) {
        if (losses[k] < 0 || losses[k] >= c->nloss)
            RT_ICE("hy_substep '%s': no loss %d", s->label, losses[k]);
        s->loss[k] = losses[k];
    }
    s->phase = (int)c->nphase;   /* the phase of the latest hy_phase */
    c->nsub++;
}

void hy_substep_every(HyCtx *c, int s, long every, int physical)
{
    if (s < 0 || s >= c->nsub || every < 1)
        RT_ICE("hy_substep_every: substep %d of %ld, every %ld", s, c->nsub, every);
    c->sub[s].every = every;
    c->sub[s].physical = physical != 0;
}

void hy_warmup(HyCtx *c, long epochs) { c->warmup = epochs < 0 ? 0 : epochs; }

void hy_warmup_until(HyCtx *c, int loss, double threshold, long max_epochs)
{
    if (loss < 0 || loss >= c->nloss || !(threshold > 0) || isinf(threshold) || max_epochs < 0)
        RT_ICE("hy_warmup_until: loss %d of %ld, threshold %g, max %ld", loss, c->nloss, threshold, max_epochs);
    c->warm_loss = loss;
    c->warm_thr = threshold;
    c->warm_max = max_epochs;
    c->warm_end = 0;
    c->warm_why = 0;
}

long hy_warmup_ended(const HyCtx *c) { return c->warm_end; }

/* End of epoch e of a threshold warm-up still on: ends it when the loss,
 * computed in this epoch (computed != 0), is below the threshold, or at the cap. */
static void warm_check(HyCtx *c, long e, int computed)
{
    if (!(c->warm_thr > 0) || c->warm_end > 0)
        return;
    if (computed && c->loss_values[c->warm_loss] < c->warm_thr)
        c->warm_why = 1;
    else if (c->warm_max > 0 && e >= c->warm_max)
        c->warm_why = 2;
    else
        return;
    c->warm_end = e;
}

/* Does substep s run in global epoch e (1-based)? */
static int substep_due(const HyCtx *c, const Substep *sb, long e)
{
    if (sb->physical && (e <= c->warmup || (c->warm_thr > 0 && (c->warm_end == 0 || e <= c->warm_end))))
        return 0;
    return sb->every <= 1 || e % sb->every == 0;
}

/* loss_skip for epoch e over substeps [s0, s1): bit 0 a due substep computes
 * the loss, bit 1 a skipped one would have; skipped = exactly bit 1. */
static void mark_skipped(HyCtx *c, long s0, long s1, long e)
{
    if (!c->loss_skip)
        return;
    memset(c->loss_skip, 0, (size_t)c->nloss);
    for (long s = s0; s < s1; s++) {
        const Substep *sb = &c->sub[s];
        unsigned char bit = substep_due(c, sb, e) ? 1 : 2;
        for (int k = 0; k < sb->nloss; k++)
            c->loss_skip[sb->loss[k]] |= bit;
    }
    for (long i = 0; i < c->nloss; i++)
        c->loss_skip[i] = c->loss_skip[i] == 2;
}

static void add_expect(HyCtx *c, const char *text, int cmp, double bound, HyEvalFn fn)
{
    rt_grow((void **)&c->ex, &c->cap_ex, c->nex, sizeof(Expect), "expects");
    Expect *e = &c->ex[c->nex++];
    snprintf(e->text, sizeof e->text, "%s", text ? text : "");
    e->cmp = cmp;
    e->bound = bound;
    e->fn = fn;
}

void hy_expect(HyCtx *c, const char *text, int cmp, double bound, HyEvalFn fn)
{
    if (cmp < HY_CMP_LT || cmp > HY_CMP_GE || !fn)
        RT_ICE("hy_expect '%s': comparison %d", text ? text : "", cmp);
    add_expect(c, text, cmp, bound, fn);
}

void hy_report(HyCtx *c, const char *text, HyEvalFn fn)
{
    if (!fn)
        RT_ICE("hy_report '%s' without a function", text ? text : "");
    add_expect(c, text, -1, 0.0, fn);
}

/* ---- training ---- */

void rt_finalize(HyCtx *c)
{
    if (c->finalized)
        return;
    rt_optim_finalize(c);   /* state offsets and block, L-BFGS states, buffers */
    c->finalized = 1;
}

static void zero_grads(HyCtx *c, const Substep *s)
{
    for (int k = 0; k < s->ntrain; k++) {
        const Trainable *t = &c->tr[s->train[k]];
        memset(c->grads + t->off, 0, sizeof(double) * (size_t)t->len);
    }
}

int hy_num_substeps(HyCtx *c) { return (int)c->nsub; }

HyStepFn hy_substep_fn(HyCtx *c, int s)
{
    if (s < 0 || s >= c->nsub)
        RT_ICE("no substep %d", s);
    rt_weights_begin(c, s, 0);   /* hy_step_weights serves this substep */
    return c->sub[s].fn;
}

double hy_substep_eval(HyCtx *c, int s)
{
    rt_finalize(c);
    if (s < 0 || s >= c->nsub)
        RT_ICE("no substep %d", s);
    const Substep *sb = &c->sub[s];
    zero_grads(c, sb);
    rt_weights_begin(c, s, 0);   /* current weights; balancers do not advance */
    sb->fn(c);
    return rt_substep_total(c, s);
}

const double *hy_opt_state(HyCtx *c, int s, int t, long *len)
{
    rt_finalize(c);
    *len = 0;
    if (s < 0 || s >= c->nsub)
        return NULL;
    const Substep *sb = &c->sub[s];
    for (int k = 0; k < sb->ntrain; k++)
        if (sb->train[k] == t) {
            *len = rt_sub_state_len(c, sb, k);
            return *len ? c->opt_state + sb->state_off[k] : NULL;
        }
    return NULL;
}

/* Writes one loss-log line; on a write error reports it once and stops
 * logging to the file.  Returns 0, or -1 after an error. */
static int loss_log_row(HyCtx *c, long epoch)
{
    FILE *f = c->loss_log;
    int bad = 0;
    if (!c->loss_log_header) {
        bad |= fputs("epoch", f) < 0;
        for (long i = 0; i < c->nloss; i++)
            bad |= fprintf(f, "\t%s", c->loss_names[i]) < 0;
        for (int j = 0; j < rt_track_count(c); j++)   /* tracked columns (hy_track_*) */
            bad |= fprintf(f, "\t%s", rt_track_name(c, j)) < 0;
        bad |= fputc('\n', f) == EOF;
        c->loss_log_header = 1;
    }
    bad |= fprintf(f, "%ld", epoch) < 0;
    for (long i = 0; i < c->nloss; i++)
        bad |= fprintf(f, "\t%.17g", c->loss_values[i]) < 0;
    for (int j = 0; j < rt_track_count(c); j++)
        bad |= fprintf(f, "\t%.17g", rt_track_value(c, j)) < 0;
    bad |= fputc('\n', f) == EOF;
    if (bad || ferror(f)) {
        fprintf(stderr, "hycoc: error: writing loss log '%s': %s\n", c->loss_log_path,
                strerror(errno));
        fclose(f);
        c->loss_log = NULL;
        return -1;
    }
    return 0;
}

int hy_train(HyCtx *c)
{
    rt_finalize(c);
    long E = rt_total_epochs(c);   /* all phases (optim.c) */
    long Eend = c->until > 0 && c->until < E ? c->until : E;   /* hy_set_until */
    long every = c->log_every > 0 ? c->log_every : (long)floor((double)E / 10.0 + 0.5);
    if (every < 1)
        every = 1;
    int logerr = 0;
    rt_progress_begin(c, E);   /* table header, live line, history, signal handlers */
    double t0 = rt_now();
    c->epochs_done = c->epoch_start;   /* > 0 after hy_checkpoint_load */
    for (long e = c->epoch_start + 1; e <= Eend; e++) {
        long s0, s1;
        int phase_end = rt_epoch_begin(c, e, &s0, &s1);   /* the phase's substeps */
        if (c->cur_phase == 0)
            hy_ps_update(c, e - 1);   /* redrawn and growing point sets (pointset.c) */
        mark_skipped(c, s0, s1, e);   /* the table and history show these as skipped */
        int warm_seen = 0;   /* the threshold warm-up's loss was computed in this epoch */
        for (long s = s0; s < s1; s++) {
            const Substep *sb = &c->sub[s];
            if (!substep_due(c, sb, e))   /* 'every k', warm-up (hy_substep_every) */
                continue;
            for (int k = 0; k < sb->nloss; k++)
                warm_seen |= sb->loss[k] == c->warm_loss;
            for (int r = 0; r < sb->repeat; r++) {
                int bad = rt_train_step(c, s);   /* optim.c: step fn, optimizers */
                if (bad != -1) {
                    if (bad >= 0) {
                        double v = c->loss_values[bad];
                        fprintf(stderr, "hycoc: error: loss '%s' became %s at epoch %ld, "
                                        "substep %ld (%s); training stopped\n",
                                c->loss_names[bad], isnan(v) ? "NaN" : "inf", e, s + 1, sb->label);
                    } else {   /* -2 - t: finite losses, non-finite gradient of trainable t */
                        fprintf(stderr, "hycoc: error: the gradient of '%s' became NaN or inf at epoch %ld, "
                                        "substep %ld (%s), with finite losses; training stopped before "
                                        "the update\n", c->tr[-2 - bad].name, e, s + 1, sb->label);
                    }
                    c->epochs_done = e;
                    c->epoch_now = e;
                    c->train_seconds = rt_now() - t0;
                    if (c->loss_log)
                        fflush(c->loss_log);
                    rt_progress_end(c, RT_STOP_DIVERGED);
                    return 1;
                }
            }
        }
        warm_check(c, e, warm_seen);   /* 'warmup until LOSS < T': from the losses of epoch e */
        rt_epoch_end(c);
        c->epochs_done = e;
        int row = e == 1 || e % every == 0 || e == E || phase_end;
        /* a stop at hy_set_until shows its last epoch, but logs only the plan's rows, so a
         * resumed run's log continues this one as if it had never stopped */
        rt_progress_epoch(c, e, row || e == Eend, rt_now() - t0);   /* table row or live line */
        if (row && c->loss_log && loss_log_row(c, e) < 0)
            logerr = 1;
        if (rt_stop_requested(c))   /* SIGINT/SIGTERM: stop after this epoch */
            break;
    }
    c->train_seconds = rt_now() - t0;
    c->epoch_now = c->epochs_done;
    if (rt_progress_end(c, rt_stop_requested(c) ? RT_STOP_INTERRUPTED : RT_STOP_COMPLETED) != 0)
        logerr = 1;
    if (c->loss_log && fflush(c->loss_log) != 0) {
        fprintf(stderr, "hycoc: error: writing loss log '%s': %s\n", c->loss_log_path,
                strerror(errno));
        fclose(c->loss_log);
        c->loss_log = NULL;
        logerr = 1;
    }
    return logerr;
}

double hy_epoch_seconds(HyCtx *c)
{
    long run = c->epochs_done - c->epoch_start;   /* epochs of this session (resume) */
    return run > 0 ? c->train_seconds / (double)run : 0.0;
}

/* ---- expects and reports ---- */

int hy_num_expects(HyCtx *c)
{
    int n = 0;
    for (long i = 0; i < c->nex; i++)
        n += c->ex[i].cmp >= 0;
    return n;
}

static const Expect *nth_expect(HyCtx *c, int e)
{
    for (long i = 0; i < c->nex; i++)
        if (c->ex[i].cmp >= 0 && e-- == 0)
            return &c->ex[i];
    RT_ICE("no expect %d", e);
}

double hy_expect_value(HyCtx *c, int e) { return nth_expect(c, e)->fn(c); }

static int expect_holds(int cmp, double v, double bound)
{
    switch (cmp) {
    case HY_CMP_LT: return v < bound;
    case HY_CMP_LE: return v <= bound;
    case HY_CMP_GT: return v > bound;
    case HY_CMP_GE: return v >= bound;
    }
    return 0;
}

int hy_report_all(HyCtx *c)
{
    static const char *ops[4] = {"<", "<=", ">", ">="};
    int tw = 0, passed = 0, failed = 0;
    for (long i = 0; i < c->nex; i++) {
        int l = (int)strlen(c->ex[i].text);
        tw = l > tw ? l : tw;
    }
    for (int pass = 0; pass < 2; pass++)   /* expects first, then reports */
        for (long i = 0; i < c->nex; i++) {
            const Expect *e = &c->ex[i];
            if ((e->cmp < 0) != pass)
                continue;
            double v = e->fn(c);
            if (e->cmp >= 0) {
                int ok = !isnan(v) && expect_holds(e->cmp, v, e->bound);
                ok ? passed++ : failed++;
                printf("expect %-*s : %.4e (%s %g) %s\n", tw, e->text, v, ops[e->cmp], e->bound,
                       ok ? "pass" : "FAIL");
            } else {
                printf("report %-*s : %.4e\n", tw, e->text, v);
            }
        }
    rt_steady_report(c);
    if (c->warm_thr > 0) {
        const char *ln = c->loss_names[c->warm_loss];
        if (c->warm_why == 1)
            printf("warm-up: ended after epoch %ld (%s < %g); physical steps from epoch %ld\n", c->warm_end, ln,
                   c->warm_thr, c->warm_end + 1);
        else if (c->warm_why == 2)
            printf("warm-up: ended at its cap, epoch %ld (%s not below %g); physical steps from epoch %ld\n",
                   c->warm_end, ln, c->warm_thr, c->warm_end + 1);
        else
            printf("warm-up: not ended after %ld epochs (%s not below %g); physical steps never ran\n",
                   c->epochs_done, ln, c->warm_thr);
    }
    printf("summary: %ld epochs, %.2f s train, %.3f ms/epoch; expects %d passed, %d failed\n",
           c->epochs_done, c->train_seconds, 1e3 * hy_epoch_seconds(c), passed, failed);
    fflush(stdout);
    return failed;
}

int hy_run(HyCtx *c)
{
    if (hy_train(c) != 0)
        return 1;
    int failed = hy_report_all(c);
    if (hy_interrupted(c))   /* the shell convention: 128 + signal (130 for SIGINT) */
        return 128 + hy_interrupted(c);
    return failed ? 1 : 0;
}
