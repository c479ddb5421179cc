/* hyrt.h -- the hycoc runtime (libhyrt): host-side API.
 *
 * Everything emitted code may call is in hyrt_api.h (included below); this
 * header adds what only the host (the hycoc driver, a standalone main, tests)
 * uses: creating a context, options, running, inspection.
 *
 * Conventions: float64 throughout; every random draw is a pure function of
 * (seed, stream, counter), so results are bitwise reproducible for a given
 * seed and thread count.  All allocation goes through hy_malloc/hy_calloc/
 * hy_free, which tests can count and make fail.
 */
#ifndef HYRT_H
#define HYRT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "hyrt_api.h"
#include "dataio.h"       /* data files in and out (text, .npy, .npz) */

#define HY_VERSION "0.1.0"

/* ---- context ---- */
HyCtx *hy_ctx_new(void);
void hy_ctx_free(HyCtx *c);

/* ---- options (before hy_run) ---- */
void hy_set_threads(HyCtx *c, int n);          /* OpenBLAS + own pools; default 1 */
void hy_set_log_every(HyCtx *c, long every);   /* 0 = about 10 lines per run (default) */
void hy_set_quiet(HyCtx *c, int quiet);        /* no progress lines on stdout */
/* Loss history file: one header line, then "epoch<TAB>loss..." rows with %.17g
 * values at every logged epoch and the last; no timings, so two runs with the
 * same seed produce identical bytes.  Returns 0, or -1 with errno set. */
int hy_set_loss_log(HyCtx *c, const char *path);
void hy_set_epochs(HyCtx *c, long epochs);     /* override the spec's count */

/* ---- running ---- */
/* Trains for the planned epochs (substeps in order, each `repeat` times),
 * printing the progress log.  Returns 0, or 1 if training stopped on a
 * non-finite loss (message already printed). */
int hy_train(HyCtx *c);
/* Evaluates every expect/report line, prints the report.  Returns the number
 * of failed expects. */
int hy_report_all(HyCtx *c);
/* hy_train then hy_report_all; returns the process exit status (0 all pass). */
int hy_run(HyCtx *c);

/* ---- inspection (tests, tools) ---- */
int hy_num_substeps(HyCtx *c);
HyStepFn hy_substep_fn(HyCtx *c, int s);
/* Runs substep s once without any optimizer update (gradients zeroed first,
 * then fn); returns the sum of its losses. */
double hy_substep_eval(HyCtx *c, int s);
int hy_num_trainables(HyCtx *c);
long hy_param_count(HyCtx *c, int trainable);
long hy_total_params(HyCtx *c);
/* Optimizer state of trainable t in substep s (NULL if that substep does not
 * update t); *len receives its length in doubles. */
const double *hy_opt_state(HyCtx *c, int s, int t, long *len);
int hy_num_expects(HyCtx *c);
double hy_expect_value(HyCtx *c, int e);       /* evaluates expect e now */
double hy_epoch_seconds(HyCtx *c);             /* mean wall time per epoch of last hy_train */

/* ---- allocation hook ---- */
void *hy_malloc(size_t n);
void *hy_calloc(size_t n, size_t size);
void hy_free(void *p);
/* Counts allocations; if fail_at > 0 the fail_at-th allocation from now fails
 * (returns NULL).  hy_alloc_count returns allocations since the last reset. */
void hy_alloc_reset(long fail_at);
long hy_alloc_count(void);

/* ---- RNG (counter-based, used by init, noise, sampling) ---- */
uint64_t hy_rng_u64(uint64_t seed, uint64_t stream, uint64_t counter);
double hy_rng_uniform(uint64_t seed, uint64_t stream, uint64_t counter);   /* in (0,1) */
double hy_rng_normal(uint64_t seed, uint64_t stream, uint64_t counter);    /* N(0,1) */

/* ---- activations (runtime/act.c): y and derivatives 1..3 of act at z ---- */
/* For k in 0..nd (nd <= 3): d[k][i] = act^{(k)}(z[i]).  d[0] may be NULL. */
void hy_act_eval(int act, long n, const double *z, int nd, double *d[4]);
const char *hy_act_name(int act);

#endif
