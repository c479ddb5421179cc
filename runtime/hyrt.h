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
/* hy_train stops after global epoch `epoch` of its plan (0: at its end), as
 * if the plan ended there but without changing it (rows, schedules and
 * phases as in the full run); a checkpoint saved then resumes the plan. */
void hy_set_until(HyCtx *c, long epoch);

/* ---- running ---- */
/* Trains for the planned epochs (substeps in order, each `repeat` times),
 * printing the progress log.  Returns 0, or 1 if training stopped on a
 * non-finite loss (message already printed). */
int hy_train(HyCtx *c);
/* Runs the point-set redraws and growth due at the start of an epoch with
 * `epoch` epochs completed (hyrt_api.h, "redrawn and growing point sets");
 * hy_train calls it in every epoch of the first phase. */
void hy_ps_update(HyCtx *c, long epoch);
/* Evaluates every expect/report line, prints the report.  Returns the number
 * of failed expects. */
int hy_report_all(HyCtx *c);
/* hy_train then hy_report_all; returns the process exit status (0 all pass). */
int hy_run(HyCtx *c);

/* ---- progress, history, run summary (progress.c) ---- */
/* AUTO: a live progress line, redrawn in place, when stdout is a terminal
 * (TERM not "dumb"), besides the table rows; LIVE: always; LINES: never. */
enum { HY_PROGRESS_AUTO = 0, HY_PROGRESS_LIVE = 1, HY_PROGRESS_LINES = 2 };
void hy_set_progress(HyCtx *c, int mode);
/* on: hy_train catches SIGINT and SIGTERM, stops after the current epoch,
 * and a second signal takes the default action (kills); hy_run then prints
 * the report and returns 128 + the signal (130 for SIGINT, 143 for SIGTERM). */
void hy_set_interruptible(HyCtx *c, int on);
int hy_interrupted(HyCtx *c);                  /* signal that stopped the last hy_train, or 0 */
/* Loss history as CSV, written (atomically) when hy_train stops: header
 * "epoch,<loss>...,<tracked>...", one row per recorded epoch, each value in
 * the shortest form that reads back to the same double.
 * Recorded epochs: 1, every k-th and the last, k = ceil(epochs / 10000).
 * Returns 0, or -1 with errno set when path cannot be written. */
int hy_set_history(HyCtx *c, const char *path);
/* The history of the last hy_train: *nrows rows of *ncols doubles,
 * row-major, column 0 the epoch; NULL (0, 0) before any training. */
const double *hy_history(HyCtx *c, long *nrows, int *ncols);
const char *hy_history_column(HyCtx *c, int j);
int hy_history_losses(HyCtx *c);   /* columns 1 .. this are losses; later ones tracked values */
typedef struct HyRunInfo {
    const char *spec_path;      /* as given on the command line */
    const char *spec_src;       /* its bytes (hashed: FNV-1a 64), or NULL */
    size_t spec_len;
    double compile_seconds;     /* parse to JIT; < 0 when unknown */
    int exit_status;            /* what the process returns */
} HyRunInfo;
/* JSON run summary of the last hy_train/hy_run (evaluates the expects and
 * reports again).  Written atomically.  Returns 0, or -1 after a message. */
int hy_write_summary(HyCtx *c, const char *path, const HyRunInfo *info);
uint64_t hy_fnv1a64(const void *data, size_t n);
/* Atomic file writes: open a temporary beside path (*tmp receives its name);
 * hy_atomic_close flushes, syncs and renames it over path when ok and no
 * write failed, else removes it.  0, or -1 with errno set. */
FILE *hy_atomic_open(const char *path, char **tmp);
int hy_atomic_close(FILE *f, char *tmp, const char *path, int ok);

/* ---- checkpoints (checkpoint.c has the format) ----
 * hy_checkpoint_save writes the whole training state after hy_train (or a
 * stop) into directory dir: weights, optimizer states, schedule and balancer
 * state, counters, loss history and a manifest, as .npz files NumPy loads.
 * Atomic: dir is replaced only by a complete new checkpoint (the previous one
 * stays intact on any failure); dir must be new, empty or a checkpoint.
 * Refused when a loss is not finite.  info gives the spec (path, bytes for
 * its hash).  0, or -1 after a message.
 * hy_checkpoint_probe: the same checks of dir before training (0 or -1).
 * hy_checkpoint_load, after setup and before hy_train, checks the
 * checkpoint against this context (format, seed, trainables with their
 * architecture, and for HY_CK_ALL losses, every state array and the phase of
 * the saved epoch), printing every difference; then loads the weights
 * (HY_CK_WEIGHTS) or everything (HY_CK_ALL: hy_train then continues after
 * the saved epoch, up to the end of its plan, and its history starts with
 * the saved one).  meta (may be NULL) receives the manifest.  0, or -1 after
 * messages; the context is then unusable. */
typedef struct HyCkMeta {
    long epoch;                 /* epochs done when saved */
    uint64_t seed, spec_hash;   /* its seed; FNV-1a 64 of the spec's bytes */
    char version[32];           /* hycoc version that wrote it */
} HyCkMeta;
enum { HY_CK_ALL = 0, HY_CK_WEIGHTS = 1 };
int hy_checkpoint_save(HyCtx *c, const char *dir, const HyRunInfo *info);
int hy_checkpoint_probe(const char *dir);
int hy_checkpoint_load(HyCtx *c, const char *dir, int what, const HyRunInfo *info, HyCkMeta *meta);

/* ---- networks as exporters see them (checkpoint.c) ----
 * hy_net_info: -1 if trainable t is no network.  kind is the trunk
 * (HY_NET_MLP, _MODIFIED, _RESNET); nfeat > 0: Fourier features; norm: inputs
 * mapped to [-1, 1] over [lo, hi].  hy_net_layer: offsets (within the
 * trainable's slice, which starts at off) of W [nout][nin] and b [nout] of
 * layer l = 0..depth, or of the modified MLP's encoder U (l = -1) or V
 * (l = -2).  hy_net_fourier_matrix: B [nfeat][din] (before the 2 pi). */
typedef struct HyNetInfo {
    int kind, din, dout, width, depth, act, nfeat, norm;
    double lo[16], hi[16];
    long off, len;
} HyNetInfo;
int hy_net_info(HyCtx *c, int t, HyNetInfo *out);
void hy_net_layer(HyCtx *c, int t, int l, long *woff, long *boff, int *nin, int *nout);
void hy_net_fourier_matrix(HyCtx *c, int t, double *B);

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

/* ---- activations (runtime/act.c): y and derivatives 1..5 of act at z ---- */
/* For k in 0..nd (nd <= 5): d[k][i] = act^{(k)}(z[i]).  d[0] may be NULL;
 * d has at least nd + 1 entries. */
void hy_act_eval(int act, long n, const double *z, int nd, double *d[]);
const char *hy_act_name(int act);

#endif
