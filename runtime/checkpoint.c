/* checkpoint.c -- checkpoints (save the whole training state, resume from
 * it) and the network descriptions an exporter needs.
 *
 * A checkpoint is a directory of NumPy .npz archives (hy_npz_write: float64
 * arrays, C order) plus a JSON copy of the manifest for people:
 *   manifest.npz   format [1], version [major, minor, patch], spec_hash (0 when
 *                  saved without the spec's text, e.g. by a standalone program)
 *                  and seed as [high 32 bits, low 32 bits], epoch [epochs done],
 *                  plan [epochs of each phase], threads [n], one
 *                  "trainable.NAME" per trainable (TR_DESC_LEN values, see
 *                  tr_desc) and one "loss.NAME" = [index] per loss
 *   weights.npz    one array per trainable, named by it: a network's
 *                  parameters in the runtime layout (rt_internal.h), shape
 *                  (len,); a scalar param shape (); a vector (n,)
 *   optimizer.npz  "sS.NAME": first-order state of trainable NAME in substep
 *                  S (1-based over all phases, the order of the train block),
 *                  layouts in optim.c; "sS.lbfgs.counters" [pairs, theta,
 *                  line-search failures, m, n], "sS.lbfgs.S" and ".Y" (pairs
 *                  x n, oldest first), "sS.lbfgs.products" (4m x m: S'S, S'Y,
 *                  Y'Y and the Cholesky factor T, rows of m), the end point of
 *                  the last step: "sS.lbfgs.last" [valid, f, step token],
 *                  "sS.lbfgs.xbest", "sS.lbfgs.gbest" (n)
 *   state.npz      "counters" [epoch, step token], "losses" (latest values),
 *                  "warmup" [end epoch, reason] (only with 'warmup until': 0 0
 *                  while it lasts; reason 1 the loss fell below, 2 the cap),
 *                  "lr.NAME" [lr of the last step, valid], and what the
 *                  module walks add (rt_sched_ck: "sched.NAME"; rt_bal_ck:
 *                  "bal.NAME", "bal.NAME.counters"; rt_ps_ck: "ps.ID.NAME" with
 *                  ".normals" and ".count" for redrawn and growing point sets)
 *   history.npz    the loss history: "epoch", "loss.NAME", "track.NAME"
 *   manifest.json  the manifest in words (names, shapes, files)
 * Random numbers need no state: every draw is a function of (seed, stream,
 * counter) and the counters are the epoch and the balancers' advances.
 *
 * Atomicity: a save writes a complete new directory DIR.tmp-PID beside DIR
 * (each file itself written to a temporary and renamed, then synced), syncs
 * it, and only then swaps it with DIR in one renameat2(RENAME_EXCHANGE)
 * (where the file system lacks it: DIR is renamed to DIR.old-PID first) and
 * removes the old contents.  Until the swap DIR is untouched, so an
 * interrupted or failed save (disk full, a signal, a crash) leaves the
 * previous checkpoint byte for byte; a temporary left by a killed process is
 * removed by the next save beside it.  DIR is only replaced if it is empty
 * or holds nothing but checkpoint files.
 *
 * Loading checks the format, the seed, the names and shapes of everything
 * (trainables with their architecture, losses, optimizer and balancer
 * states, the phase of the saved epoch) and prints every difference before
 * failing; a checkpoint that loads gives, with the same thread count, a run
 * bitwise identical to one that never stopped.
 */
#define _GNU_SOURCE   /* renameat2 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "rt_internal.h"

#define CK_FORMAT 1
#define TR_DESC_LEN (11 + 2 * RT_NET_MAXIN)

static const char *const ck_files[] = {"manifest.npz", "manifest.json", "weights.npz",
                                       "optimizer.npz", "state.npz", "history.npz"};
#define CK_NFILES ((int)(sizeof ck_files / sizeof ck_files[0]))

static const char *const opt_names[HY_OPT_COUNT] = {"adam", "sgd", "adamw", "rmsprop", "lbfgs",
                                                    "multiadam"};

/* ---------------------------------------------------------------- arrays */

typedef struct CkList {     /* arrays to write, owned copies */
    int n, cap;
    char **names;
    int *ndims;
    long (*shapes)[2];
    double **data;
} CkList;

static void list_add(CkList *l, const char *name, int ndim, const long *shape, const double *data)
{
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 16;
        char **nn = rt_xcalloc((size_t)cap, sizeof *nn, "checkpoint");
        int *nd = rt_xcalloc((size_t)cap, sizeof *nd, "checkpoint");
        long(*ns)[2] = rt_xcalloc((size_t)cap, sizeof *ns, "checkpoint");
        double **dd = rt_xcalloc((size_t)cap, sizeof *dd, "checkpoint");
        if (l->n) {
            memcpy(nn, l->names, sizeof *nn * (size_t)l->n);
            memcpy(nd, l->ndims, sizeof *nd * (size_t)l->n);
            memcpy(ns, l->shapes, sizeof *ns * (size_t)l->n);
            memcpy(dd, l->data, sizeof *dd * (size_t)l->n);
        }
        hy_free(l->names);
        hy_free(l->ndims);
        hy_free(l->shapes);
        hy_free(l->data);
        l->names = nn;
        l->ndims = nd;
        l->shapes = ns;
        l->data = dd;
        l->cap = cap;
    }
    long size = 1;
    for (int d = 0; d < ndim; d++) {
        l->shapes[l->n][d] = shape[d];
        size *= shape[d];
    }
    size_t nl = strlen(name) + 1;
    l->names[l->n] = rt_xmalloc(nl, "checkpoint");
    memcpy(l->names[l->n], name, nl);
    l->ndims[l->n] = ndim;
    l->data[l->n] = rt_xmalloc(sizeof(double) * (size_t)(size > 0 ? size : 1), "checkpoint");
    if (size > 0)
        memcpy(l->data[l->n], data, sizeof(double) * (size_t)size);
    l->n++;
}

static void list_add1(CkList *l, const char *name, long len, const double *data)
{
    list_add(l, name, 1, &len, data);
}

static void list_free(CkList *l)
{
    for (int i = 0; i < l->n; i++) {
        hy_free(l->names[i]);
        hy_free(l->data[i]);
    }
    hy_free(l->names);
    hy_free(l->ndims);
    hy_free(l->shapes);
    hy_free(l->data);
    memset(l, 0, sizeof *l);
}

/* Writes l as path (atomic).  0, or -1 after a message. */
static int list_write(const CkList *l, const char *path)
{
    const long **shp = rt_xcalloc((size_t)l->n + 1, sizeof *shp, "checkpoint");
    for (int i = 0; i < l->n; i++)
        shp[i] = l->shapes[i];
    char err[512];
    int r = hy_npz_write(path, l->n, (const char *const *)l->names, l->ndims,
                         (const long *const *)shp, (const double *const *)l->data, err, sizeof err);
    hy_free(shp);
    if (r != 0)
        fprintf(stderr, "hycoc: error: %s\n", err);
    return r;
}

/* ---------------------------------------------------------------- walk */

enum { CK_SAVE = 0, CK_LOAD = 1 };

struct RtCkWalk {
    int mode;
    const char *dir;            /* for messages */
    const char *file;           /* archive being written or read ("state.npz") */
    CkList *out;                /* CK_SAVE */
    int narr;                   /* CK_LOAD: arrays of the archive */
    HyArray *arr;
    unsigned char *used;
    int nerr;                   /* CK_LOAD: errors reported */
};

static void ck_err(RtCkWalk *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "hycoc: error: %s/%s: ", w->dir, w->file);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    w->nerr++;
}

static void shape_str(char *buf, size_t n, int ndim, const long *shape)
{
    int k = snprintf(buf, n, "(");
    for (int d = 0; d < ndim && k > 0 && (size_t)k < n; d++)
        k += snprintf(buf + k, n - (size_t)k, "%s%ld", d ? ", " : "", shape[d]);
    if (k > 0 && (size_t)k < n)
        snprintf(buf + k, n - (size_t)k, ndim == 1 ? ",)" : ")");
}

int rt_ck_array(RtCkWalk *w, const char *name, const char *what, double *data, int ndim,
                const long *shape)
{
    if (ndim < 0 || ndim > 2)
        RT_ICE("rt_ck_array '%s': %d dimensions", name, ndim);
    if (w->mode == CK_SAVE) {
        list_add(w->out, name, ndim, shape, data);
        return 0;
    }
    for (int i = 0; i < w->narr; i++) {
        HyArray *a = &w->arr[i];
        if (strcmp(a->name, name) != 0)
            continue;
        w->used[i] = 1;
        int same = a->ndim == ndim;
        for (int d = 0; same && d < ndim; d++)
            same = a->shape[d] == shape[d];
        if (!same) {
            char have[96], need[96];
            shape_str(have, sizeof have, a->ndim, a->shape);
            shape_str(need, sizeof need, ndim, shape);
            ck_err(w, "'%s' (%s) has shape %s, this spec needs %s", name, what, have, need);
            return 0;
        }
        if (a->size > 0)
            memcpy(data, a->data, sizeof(double) * (size_t)a->size);
        return 1;
    }
    ck_err(w, "no '%s' (%s), which this spec needs", name, what);
    return 0;
}

void rt_ck_bad(RtCkWalk *w, const char *name, const char *msg)
{
    ck_err(w, "'%s': %s (corrupt checkpoint?)", name, msg);
}

/* Reads dir/file for a load walk.  0, or -1 after a message. */
static int walk_open(RtCkWalk *w, const char *dir, const char *file)
{
    memset(w, 0, sizeof *w);
    w->mode = CK_LOAD;
    w->dir = dir;
    w->file = file;
    char path[8448], err[512];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    if (hy_npz_read(path, &w->narr, &w->arr, err, sizeof err) != 0) {
        fprintf(stderr, "hycoc: error: %s\n", err);
        return -1;
    }
    w->used = rt_xcalloc((size_t)w->narr + 1, 1, "checkpoint");
    return 0;
}

/* Reports the arrays of the archive that nothing asked for; frees it.
 * Returns the errors of the walk. */
static int walk_close(RtCkWalk *w, const char *kind)
{
    for (int i = 0; i < w->narr && w->used; i++)
        if (!w->used[i])
            ck_err(w, "has %s '%s', which this spec does not use", kind, w->arr[i].name);
    hy_arrays_free(w->narr, w->arr);
    hy_free(w->used);
    w->arr = NULL;
    w->used = NULL;
    w->narr = 0;
    return w->nerr;
}

/* Frees a load walk's archive without reporting anything. */
static void walk_free(RtCkWalk *w)
{
    hy_arrays_free(w->narr, w->arr);
    hy_free(w->used);
    w->arr = NULL;
    w->used = NULL;
    w->narr = 0;
}

static const HyArray *find_array(int n, const HyArray *a, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(a[i].name, name) == 0)
            return &a[i];
    return NULL;
}

/* ---------------------------------------------------------------- descriptions */

/* Everything about trainable t that its parameters' meaning depends on:
 * [kind, trunk, din, dout, width, depth, act, nfeat, fscale, norm, len,
 *  lo[RT_NET_MAXIN], hi[RT_NET_MAXIN]]. */
static void tr_desc(const Trainable *t, double d[TR_DESC_LEN])
{
    memset(d, 0, sizeof(double) * TR_DESC_LEN);
    d[0] = t->kind;
    d[10] = (double)t->len;
    if (t->kind != RT_TR_MLP) {
        d[3] = t->dout;
        return;
    }
    d[1] = t->net_kind;
    d[2] = t->din;
    d[3] = t->dout;
    d[4] = t->width;
    d[5] = t->depth;
    d[6] = t->act;
    d[7] = t->nfeat;
    d[8] = t->nfeat ? t->fscale : 0.0;
    d[9] = t->norm;
    for (int m = 0; t->norm && m < t->din && m < RT_NET_MAXIN; m++) {
        d[11 + m] = t->lo[m];
        d[11 + RT_NET_MAXIN + m] = t->hi[m];
    }
}

/* "mlp 1 -> 1, width 32, depth 3, tanh (1153 parameters)" from a desc. */
static void desc_str(char *buf, size_t n, const double *d)
{
    static const char *const trunk[] = {"mlp", "modified_mlp", "resnet"};
    int kind = (int)d[0];
    if (kind == RT_TR_SCALAR) {
        snprintf(buf, n, "a scalar param");
        return;
    }
    if (kind == RT_TR_VECTOR) {
        snprintf(buf, n, "a vector param of %.0f entries", d[3]);
        return;
    }
    int tk = (int)d[1], act = (int)d[6];
    char feat[64] = "";
    if (d[7] > 0)
        snprintf(feat, sizeof feat, ", fourier %.0f scale %g", d[7], d[8]);
    snprintf(buf, n, "%s %.0f -> %.0f, width %.0f, depth %.0f, %s%s%s (%.0f parameters)",
             tk >= 0 && tk <= 2 ? trunk[tk] : "net", d[2], d[3], d[4], d[5],
             act >= 0 && act < HY_ACT_COUNT ? hy_act_name(act) : "?", feat,
             d[9] != 0 ? ", normalised inputs" : "", d[10]);
}

/* Differences between two descriptions, in words, or "" if equal. */
static void desc_diff(char *buf, size_t n, const double *a, const double *b)
{
    static const char *const field[] = {"kind", "network kind", "inputs", "outputs", "width",
                                        "depth", "activation", "Fourier features",
                                        "Fourier scale", "input normalisation", "size"};
    int k = 0;
    buf[0] = 0;
    for (int i = 0; i < 11 && (size_t)k < n; i++)
        if (a[i] != b[i])
            k += snprintf(buf + k, n - (size_t)k, "%s%s %g vs %g", k ? ", " : "", field[i], a[i],
                          b[i]);
    for (int i = 11; i < TR_DESC_LEN && (size_t)k < n; i++)
        if (a[i] != b[i]) {
            snprintf(buf + k, n - (size_t)k, "%snormalisation box", k ? ", " : "");
            break;
        }
}

static int sub_kind(HyCtx *c, const Substep *sb, int k)
{
    int ov = rt_phase_override(c, sb->phase);
    return ov >= 0 ? ov : c->tr[sb->train[k]].opt_kind;
}

static void split64(uint64_t v, double out[2])
{
    out[0] = (double)(v >> 32);
    out[1] = (double)(v & 0xffffffffu);
}

static int join64(const HyArray *a, uint64_t *v)
{
    if (!a || a->size != 2)
        return -1;
    for (int i = 0; i < 2; i++)
        if (!(a->data[i] >= 0 && a->data[i] <= 4294967295.0 && a->data[i] == floor(a->data[i])))
            return -1;
    *v = (uint64_t)a->data[0] << 32 | (uint64_t)a->data[1];
    return 0;
}

/* "1.2.3" -> {1, 2, 3} (missing parts 0). */
static void version_parts(const char *s, double out[3])
{
    for (int i = 0; i < 3; i++) {
        char *end;
        out[i] = (double)strtol(s, &end, 10);
        s = *end == '.' ? end + 1 : end;
    }
}

/* ---------------------------------------------------------------- state walk */

/* The state of optimizer.npz (file 0) or state.npz (file 1), in both
 * directions.  Loading also validates and unpacks the counters. */
static void walk_state(HyCtx *c, RtCkWalk *w, int file)
{
    char name[2 * RT_NAME_MAX + 32], what[3 * RT_NAME_MAX + 96];
    if (file == 0) {
        for (long s = 0; s < c->nsub; s++) {
            Substep *sb = &c->sub[s];
            for (int k = 0; k < sb->ntrain; k++) {
                long len = rt_sub_state_len(c, sb, k);
                if (len == 0)
                    continue;
                const Trainable *t = &c->tr[sb->train[k]];
                snprintf(name, sizeof name, "s%ld.%s", s + 1, t->name);
                snprintf(what, sizeof what, "%s state of '%s' in substep %ld '%s'",
                         opt_names[sub_kind(c, sb, k)], t->name, s + 1, sb->label);
                rt_ck_array(w, name, what, c->opt_state + sb->state_off[k], 1, &len);
            }
            RtLbfgs *lb = sb->lbfgs;
            if (!lb)
                continue;
            snprintf(what, sizeof what, "L-BFGS history of substep %ld '%s'", s + 1, sb->label);
            snprintf(name, sizeof name, "s%ld.lbfgs.counters", s + 1);
            double k5[5] = {lb->k, lb->theta, (double)sb->lb_fail, lb->m, (double)lb->n};
            long five = 5;
            int kk = lb->k;
            if (rt_ck_array(w, name, what, k5, 1, &five)) {
                if (k5[3] != lb->m || k5[4] != (double)lb->n)
                    ck_err(w, "'%s' (%s): %g pairs of %g variables, this spec keeps %d of %ld", name,
                           what, k5[3], k5[4], lb->m, lb->n);
                else if (!(k5[0] >= 0 && k5[0] <= lb->m && k5[0] == floor(k5[0])) ||
                         !(k5[1] > 0) || !isfinite(k5[1]) || !(k5[2] >= 0) ||
                         k5[2] != floor(k5[2]))
                    rt_ck_bad(w, name, "counters out of range");
                else {
                    kk = (int)k5[0];
                    lb->theta = k5[1];
                    sb->lb_fail = (long)k5[2];
                }
            } else if (w->mode == CK_LOAD) {   /* reported; the rest cannot be read */
                for (int i = 0; i < w->narr; i++)
                    if (!strncmp(w->arr[i].name, name, strlen(name) - strlen("counters")))
                        w->used[i] = 1;
                continue;
            }
            /* pairs, oldest first (loaded: head 0) */
            long shp[2] = {kk, lb->n};
            double *P = rt_xcalloc((size_t)kk * (size_t)lb->n + 1, sizeof(double), "checkpoint");
            for (int pass = 0; pass < 2; pass++) {
                double *R = pass ? lb->Y : lb->S;
                snprintf(name, sizeof name, "s%ld.lbfgs.%s", s + 1, pass ? "Y" : "S");
                for (int i = 0; w->mode == CK_SAVE && i < kk; i++)
                    memcpy(P + (size_t)i * (size_t)lb->n,
                           R + (size_t)((lb->head + i) % lb->m) * (size_t)lb->n,
                           sizeof(double) * (size_t)lb->n);
                if (rt_ck_array(w, name, what, P, 2, shp))
                    for (int i = 0; i < kk; i++)
                        memcpy(R + (size_t)i * (size_t)lb->n, P + (size_t)i * (size_t)lb->n,
                               sizeof(double) * (size_t)lb->n);
            }
            hy_free(P);
            long mshape[2] = {4L * lb->m, lb->m};   /* SS, SY, YY, T: one block from SS */
            snprintf(name, sizeof name, "s%ld.lbfgs.products", s + 1);
            rt_ck_array(w, name, what, lb->SS, 2, mshape);
            /* the end point of the last step, which the next one may reuse (optim.c) */
            double last[3] = {lb->have_last, lb->fbest, (double)sb->lb_stamp};
            long three = 3;
            snprintf(name, sizeof name, "s%ld.lbfgs.last", s + 1);
            if (rt_ck_array(w, name, what, last, 1, &three)) {
                if ((last[0] != 0 && last[0] != 1) || !(last[2] >= 0) || last[2] != floor(last[2]) ||
                    last[2] >= 9007199254740992.0)
                    rt_ck_bad(w, name, "out of range");
                else {
                    lb->have_last = last[0] != 0;
                    lb->fbest = last[1];
                    sb->lb_stamp = (unsigned long)last[2];
                }
            }
            long nn = lb->n;
            snprintf(name, sizeof name, "s%ld.lbfgs.xbest", s + 1);
            rt_ck_array(w, name, what, lb->xbest, 1, &nn);
            snprintf(name, sizeof name, "s%ld.lbfgs.gbest", s + 1);
            rt_ck_array(w, name, what, lb->gbest, 1, &nn);
            if (w->mode == CK_LOAD) {
                lb->k = kk;
                lb->head = 0;
            }
        }
        return;
    }
    double cnt[2] = {(double)c->epochs_done, (double)c->step_token};
    long two = 2;
    if (rt_ck_array(w, "counters", "epoch and step counters", cnt, 1, &two)) {
        if (!(cnt[0] >= 0 && cnt[1] >= 0 && cnt[0] == floor(cnt[0]) && cnt[1] == floor(cnt[1]) &&
              cnt[0] < 9007199254740992.0 && cnt[1] < 9007199254740992.0))
            rt_ck_bad(w, "counters", "out of range");
        else {
            c->epoch_start = c->epochs_done = c->epoch_now = (long)cnt[0];
            c->step_token = (unsigned long)cnt[1];
        }
    }
    long nl = c->nloss;
    rt_ck_array(w, "losses", "latest loss values", c->loss_values, 1, &nl);
    if (c->warm_thr > 0) {   /* 'warmup until': whether (and when, how) it ended */
        double wu[2] = {(double)c->warm_end, (double)c->warm_why};
        if (rt_ck_array(w, "warmup", "the threshold warm-up's end epoch and reason", wu, 1, &two)) {
            if (!(wu[0] >= 0 && wu[0] == floor(wu[0]) && wu[0] <= (double)c->epochs_done) ||
                !(wu[1] == 0 || wu[1] == 1 || wu[1] == 2) || (wu[0] == 0) != (wu[1] == 0))
                rt_ck_bad(w, "warmup", "out of range");
            else {
                c->warm_end = (long)wu[0];
                c->warm_why = (int)wu[1];
            }
        }
    }
    for (long t = 0; t < c->ntr; t++) {
        Trainable *tr = &c->tr[t];
        double lr[2] = {tr->lr_now, tr->lr_set};
        snprintf(name, sizeof name, "lr.%s", tr->name);
        snprintf(what, sizeof what, "learning rate of '%s'", tr->name);
        if (rt_ck_array(w, name, what, lr, 1, &two)) {
            if (lr[1] != 0.0 && lr[1] != 1.0)
                rt_ck_bad(w, name, "flag out of range");
            else {
                tr->lr_now = lr[0];
                tr->lr_set = lr[1] != 0.0;
            }
        }
    }
    rt_sched_ck(c, w);
    rt_bal_ck(c, w);
    rt_ps_ck(c, w);
}

/* ---------------------------------------------------------------- directories */

static void strip_slashes(char *p)
{
    size_t n = strlen(p);
    while (n > 1 && p[n - 1] == '/')
        p[--n] = 0;
}

static int is_ck_file(const char *name)
{
    for (int i = 0; i < CK_NFILES; i++)
        if (strcmp(name, ck_files[i]) == 0)
            return 1;
    return 0;
}

/* Removes the regular files of dir and dir itself (a directory this module
 * created or validated).  0, or -1 with errno. */
static int remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *de;
    char path[8448];
    int r = 0;
    while ((de = readdir(d)) != NULL) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (unlink(path) != 0)
            r = -1;
    }
    closedir(d);
    if (rmdir(dir) != 0)
        r = -1;
    return r;
}

static int sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int r = fsync(fd);
    close(fd);
    return r;
}

/* The parent directory of path into out ("." if none). */
static void parent_of(const char *path, char *out, size_t n)
{
    snprintf(out, n, "%s", path);
    char *sl = strrchr(out, '/');
    if (!sl)
        snprintf(out, n, ".");
    else if (sl == out)
        out[1] = 0;
    else
        *sl = 0;
}

/* Removes DIR.tmp-PID / DIR.old-PID directories beside dir whose process is gone. */
static void remove_stale(const char *dir)
{
    char parent[4096];
    parent_of(dir, parent, sizeof parent);
    const char *base = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
    size_t bl = strlen(base);
    DIR *d = opendir(parent);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        const char *s = de->d_name;
        if (strncmp(s, base, bl) != 0 || (strncmp(s + bl, ".tmp-", 5) && strncmp(s + bl, ".old-", 5)))
            continue;
        char *end;
        long pid = strtol(s + bl + 5, &end, 10);
        if (*end || pid <= 0 || pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue;
        char path[8448];
        snprintf(path, sizeof path, "%s/%s", parent, s);
        remove_dir(path);
    }
    closedir(d);
}

int hy_checkpoint_probe(const char *dir)
{
    struct stat st;
    char parent[4096];
    if (!dir || !*dir) {
        fprintf(stderr, "hycoc: error: empty checkpoint directory name\n");
        return -1;
    }
    parent_of(dir, parent, sizeof parent);
    if (access(parent, W_OK | X_OK) != 0) {
        fprintf(stderr, "hycoc: error: %s: cannot write a checkpoint in '%s': %s\n", dir, parent,
                strerror(errno));
        return -1;
    }
    if (stat(dir, &st) != 0)
        return errno == ENOENT ? 0 : (fprintf(stderr, "hycoc: error: %s: %s\n", dir, strerror(errno)), -1);
    if (!S_ISDIR(st.st_mode)) {
        fprintf(stderr, "hycoc: error: %s exists and is not a directory\n", dir);
        return -1;
    }
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "hycoc: error: %s: %s\n", dir, strerror(errno));
        return -1;
    }
    struct dirent *de;
    int r = 0;
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && !is_ck_file(de->d_name)) {
            fprintf(stderr, "hycoc: error: %s holds '%s', which is no checkpoint file; not "
                            "replacing it (use an empty or new directory)\n", dir, de->d_name);
            r = -1;
            break;
        }
    closedir(d);
    return r;
}

/* ---------------------------------------------------------------- save */


static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

/* manifest.npz and manifest.json into directory tmp.  0, or -1 after a message. */
static int write_manifest(HyCtx *c, const char *tmp, const HyRunInfo *info, uint64_t hash)
{
    CkList l = {0};
    double v[TR_DESC_LEN];
    char name[RT_NAME_MAX + 16], path[8448], desc[256];
    v[0] = CK_FORMAT;
    list_add1(&l, "format", 1, v);
    version_parts(HY_VERSION, v);
    list_add1(&l, "version", 3, v);
    split64(hash, v);
    list_add1(&l, "spec_hash", 2, v);
    split64(c->seed, v);
    list_add1(&l, "seed", 2, v);
    v[0] = (double)c->epochs_done;
    list_add1(&l, "epoch", 1, v);
    double *plan = rt_xcalloc((size_t)c->nphase + 1, sizeof(double), "checkpoint");
    for (int p = 0; p <= c->nphase; p++)
        plan[p] = (double)rt_phase_count(c, p);
    list_add1(&l, "plan", c->nphase + 1, plan);
    v[0] = c->threads;
    list_add1(&l, "threads", 1, v);
    for (long t = 0; t < c->ntr; t++) {
        snprintf(name, sizeof name, "trainable.%s", c->tr[t].name);
        tr_desc(&c->tr[t], v);
        list_add1(&l, name, TR_DESC_LEN, v);
    }
    for (long i = 0; i < c->nloss; i++) {
        snprintf(name, sizeof name, "loss.%s", c->loss_names[i]);
        v[0] = (double)i;
        list_add1(&l, name, 1, v);
    }
    snprintf(path, sizeof path, "%s/manifest.npz", tmp);
    int r = list_write(&l, path);
    list_free(&l);
    if (r != 0) {
        hy_free(plan);
        return -1;
    }
    /* the same for people */
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    if (!m)
        RT_ICE("open_memstream failed");
    fprintf(m, "{\n  \"format\": %d,\n  \"hycoc_version\": ", CK_FORMAT);
    json_string(m, HY_VERSION);
    fprintf(m, ",\n  \"spec\": ");
    json_string(m, info && info->spec_path ? info->spec_path : "");
    fprintf(m, ",\n  \"spec_hash\": \"fnv1a64:%016llx\",\n  \"seed\": %llu,\n  \"epoch\": %ld,\n"
               "  \"plan\": [",
            (unsigned long long)hash, (unsigned long long)c->seed, c->epochs_done);
    for (int p = 0; p <= c->nphase; p++)
        fprintf(m, "%s%.0f", p ? ", " : "", plan[p]);
    fprintf(m, "],\n  \"threads\": %d,\n  \"trainables\": [", c->threads);
    for (long t = 0; t < c->ntr; t++) {
        tr_desc(&c->tr[t], v);
        desc_str(desc, sizeof desc, v);
        fprintf(m, "%s\n    {\"name\": ", t ? "," : "");
        json_string(m, c->tr[t].name);
        fprintf(m, ", \"parameters\": %ld, \"description\": ", c->tr[t].len);
        json_string(m, desc);
        fputc('}', m);
    }
    fprintf(m, "\n  ],\n  \"losses\": [");
    for (long i = 0; i < c->nloss; i++) {
        fprintf(m, "%s", i ? ", " : "");
        json_string(m, c->loss_names[i]);
    }
    fprintf(m, "],\n  \"files\": {\n"
               "    \"weights.npz\": \"one array per trainable, named by it\",\n"
               "    \"optimizer.npz\": \"optimizer states: sS.NAME per substep S and trainable\",\n"
               "    \"state.npz\": \"counters, latest losses, learning rates, schedules, balancers\",\n"
               "    \"history.npz\": \"loss history: epoch, loss.NAME, track.NAME\",\n"
               "    \"manifest.npz\": \"this manifest as arrays (checked on load)\"\n  }\n}\n");
    hy_free(plan);
    if (fclose(m) != 0)
        RT_ICE("writing the manifest failed");
    char err[512];
    snprintf(path, sizeof path, "%s/manifest.json", tmp);
    HyAFile *f = hy_afile_open(path, err, sizeof err);
    r = !f || hy_afile_write(f, text, len, err, sizeof err) != 0 ? -1 : 0;
    if (f && r != 0)
        hy_afile_abort(f);
    if (f && r == 0)
        r = hy_afile_commit(f, err, sizeof err);
    free(text);
    if (r != 0)
        fprintf(stderr, "hycoc: error: %s\n", err);
    return r;
}

static int write_state_file(HyCtx *c, const char *tmp, int file)
{
    CkList l = {0};
    RtCkWalk w;
    memset(&w, 0, sizeof w);
    w.mode = CK_SAVE;
    w.out = &l;
    walk_state(c, &w, file);
    char path[8448];
    snprintf(path, sizeof path, "%s/%s", tmp, file ? "state.npz" : "optimizer.npz");
    int r = list_write(&l, path);
    list_free(&l);
    return r;
}

static int write_weights(HyCtx *c, const char *tmp)
{
    CkList l = {0};
    for (long t = 0; t < c->ntr; t++) {
        const Trainable *tr = &c->tr[t];
        long len = tr->len;
        list_add(&l, tr->name, tr->kind == RT_TR_SCALAR ? 0 : 1, &len, c->params + tr->off);
    }
    char path[8448];
    snprintf(path, sizeof path, "%s/weights.npz", tmp);
    int r = list_write(&l, path);
    list_free(&l);
    return r;
}

static int write_history_file(HyCtx *c, const char *tmp)
{
    long nrows = 0;
    int ncols = 0;
    const double *h = hy_history(c, &nrows, &ncols);
    CkList l = {0};
    double *col = rt_xcalloc((size_t)nrows + 1, sizeof(double), "checkpoint");
    char name[2 * RT_NAME_MAX + 16];
    for (int j = 0; j < ncols; j++) {
        for (long r = 0; r < nrows; r++)
            col[r] = h[r * ncols + j];
        if (j == 0)
            snprintf(name, sizeof name, "epoch");
        else
            snprintf(name, sizeof name, "%s.%s", j <= hy_history_losses(c) ? "loss" : "track",
                     hy_history_column(c, j));
        list_add1(&l, name, nrows, col);
    }
    hy_free(col);
    char path[8448];
    snprintf(path, sizeof path, "%s/history.npz", tmp);
    int r = list_write(&l, path);
    list_free(&l);
    return r;
}

int hy_checkpoint_save(HyCtx *c, const char *dir_in, const HyRunInfo *info)
{
    for (long i = 0; i < c->nloss; i++)
        if (!isfinite(c->loss_values[i])) {
            fprintf(stderr, "hycoc: error: %s: not saved: loss '%s' is %g (training diverged); "
                            "the previous checkpoint, if any, is kept\n",
                    dir_in, c->loss_names[i], c->loss_values[i]);
            return -1;
        }
    if (hy_checkpoint_probe(dir_in) != 0)
        return -1;
    rt_finalize(c);
    char dir[4096], tmp[4200], old[4200], parent[4096];
    snprintf(dir, sizeof dir, "%s", dir_in);
    strip_slashes(dir);
    parent_of(dir, parent, sizeof parent);
    remove_stale(dir);
    snprintf(tmp, sizeof tmp, "%s.tmp-%ld", dir, (long)getpid());
    remove_dir(tmp);   /* our own leftover from an earlier failed save, if any */
    if (mkdir(tmp, 0777) != 0) {
        fprintf(stderr, "hycoc: error: %s: cannot create '%s': %s\n", dir, tmp, strerror(errno));
        return -1;
    }
    uint64_t hash = info && info->spec_src ? hy_fnv1a64(info->spec_src, info->spec_len) : 0;
    int r = write_weights(c, tmp);
    r = r ? r : write_state_file(c, tmp, 0);
    r = r ? r : write_state_file(c, tmp, 1);
    r = r ? r : write_history_file(c, tmp);
    r = r ? r : write_manifest(c, tmp, info, hash);   /* last: a complete directory has one */
    if (r == 0 && sync_dir(tmp) != 0) {
        fprintf(stderr, "hycoc: error: %s: syncing '%s': %s\n", dir, tmp, strerror(errno));
        r = -1;
    }
    if (r != 0) {
        remove_dir(tmp);
        fprintf(stderr, "hycoc: error: %s: checkpoint not written; the previous one, if any, "
                        "is unchanged\n", dir);
        return -1;
    }
    struct stat st;
    if (stat(dir, &st) != 0) {
        if (rename(tmp, dir) != 0) {
            fprintf(stderr, "hycoc: error: %s: renaming '%s': %s\n", dir, tmp, strerror(errno));
            remove_dir(tmp);
            return -1;
        }
    } else if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dir, RENAME_EXCHANGE) == 0) {
        if (remove_dir(tmp) != 0)   /* now the previous contents */
            fprintf(stderr, "hycoc: warning: %s: could not remove the previous checkpoint's "
                            "files in '%s'\n", dir, tmp);
    } else {   /* no atomic exchange here: move the old one aside first */
        snprintf(old, sizeof old, "%s.old-%ld", dir, (long)getpid());
        if (rename(dir, old) != 0 || rename(tmp, dir) != 0) {
            fprintf(stderr, "hycoc: error: %s: replacing it: %s\n", dir, strerror(errno));
            if (access(dir, F_OK) != 0)
                rename(old, dir);
            remove_dir(tmp);
            return -1;
        }
        remove_dir(old);
    }
    if (sync_dir(parent) != 0) {
        fprintf(stderr, "hycoc: error: %s: syncing '%s': %s\n", dir, parent, strerror(errno));
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- load */

/* Phase of global epoch e (1-based) under plan[0..np). */
static int phase_of(const double *plan, int np, long e)
{
    double before = 0;
    for (int p = 0; p < np; p++) {
        if ((double)e <= before + plan[p])
            return p;
        before += plan[p];
    }
    return np - 1;
}

static void plan_str(char *buf, size_t n, const double *plan, int np)
{
    int k = 0;
    for (int p = 0; p < np && k >= 0 && (size_t)k < n; p++)
        k += snprintf(buf + k, n - (size_t)k, "%s%.0f", p ? " + " : "", plan[p]);
}

static int check_manifest(HyCtx *c, const char *dir, int what, const HyRunInfo *info,
                          HyCkMeta *meta)
{
    RtCkWalk w;
    if (walk_open(&w, dir, "manifest.npz") != 0)
        return -1;
    const HyArray *a = find_array(w.narr, w.arr, "format");
    if (!a || a->size != 1 || a->data[0] != CK_FORMAT) {
        if (a && a->size == 1)
            ck_err(&w, "checkpoint format %g; this hycoc (%s) reads format %d", a->data[0],
                   HY_VERSION, CK_FORMAT);
        else
            ck_err(&w, "no valid 'format' entry: not a hycoc checkpoint");
        walk_free(&w);
        return -1;
    }
    double ver[3];
    version_parts(HY_VERSION, ver);
    a = find_array(w.narr, w.arr, "version");
    uint64_t seed = 0, hash = 0;
    const HyArray *ep = find_array(w.narr, w.arr, "epoch");
    const HyArray *pl = find_array(w.narr, w.arr, "plan");
    const HyArray *th = find_array(w.narr, w.arr, "threads");
    if (!a || a->size != 3 || join64(find_array(w.narr, w.arr, "seed"), &seed) ||
        join64(find_array(w.narr, w.arr, "spec_hash"), &hash) || !ep || ep->size != 1 ||
        !(ep->data[0] >= 0 && ep->data[0] < 1e15 && ep->data[0] == floor(ep->data[0])) || !pl ||
        pl->size < 1 || !th || th->size != 1) {
        ck_err(&w, "incomplete manifest (version, seed, spec_hash, epoch, plan, threads)");
        walk_free(&w);
        return -1;
    }
    long D = (long)ep->data[0];
    if (meta) {
        meta->epoch = D;
        meta->seed = seed;
        meta->spec_hash = hash;
        snprintf(meta->version, sizeof meta->version, "%.0f.%.0f.%.0f", a->data[0], a->data[1],
                 a->data[2]);
    }
    if (a->data[0] != ver[0] || a->data[1] != ver[1] || a->data[2] != ver[2])
        fprintf(stderr, "hycoc: warning: %s was written by hycoc %.0f.%.0f.%.0f, this is %s\n", dir,
                a->data[0], a->data[1], a->data[2], HY_VERSION);
    if (seed != c->seed)
        ck_err(&w, "trained with seed %llu, this run has seed %llu (initial values, noise and "
                   "Fourier features depend on it)",
               (unsigned long long)seed, (unsigned long long)c->seed);
    uint64_t mine = info && info->spec_src ? hy_fnv1a64(info->spec_src, info->spec_len) : hash;
    if (mine != hash && hash != 0)   /* 0: saved without the spec's text (a standalone program) */
        fprintf(stderr, "hycoc: warning: %s was saved from a different text of the spec "
                        "(FNV-1a %016llx, this one %016llx); names and shapes are checked\n",
                dir, (unsigned long long)hash, (unsigned long long)mine);
    /* trainables */
    char name[RT_NAME_MAX + 16], d1[256], d2[256], diff[512];
    double v[TR_DESC_LEN];
    for (long t = 0; t < c->ntr; t++) {
        snprintf(name, sizeof name, "trainable.%s", c->tr[t].name);
        for (int i = 0; i < w.narr; i++)
            if (!strcmp(w.arr[i].name, name))
                w.used[i] = 1;
        a = find_array(w.narr, w.arr, name);
        tr_desc(&c->tr[t], v);
        desc_str(d2, sizeof d2, v);
        if (!a) {
            ck_err(&w, "this spec's trainable '%s' (%s) is not in the checkpoint", c->tr[t].name, d2);
            continue;
        }
        if (a->size != TR_DESC_LEN) {
            ck_err(&w, "'%s' has %ld values, expected %d", name, a->size, TR_DESC_LEN);
            continue;
        }
        if (memcmp(a->data, v, sizeof v) != 0) {
            desc_str(d1, sizeof d1, a->data);
            desc_diff(diff, sizeof diff, a->data, v);
            ck_err(&w, "trainable '%s' differs (%s): checkpoint %s; this spec %s", c->tr[t].name,
                   diff, d1, d2);
        }
    }
    for (int i = 0; i < w.narr; i++)
        if (!strncmp(w.arr[i].name, "trainable.", 10) && !w.used[i]) {
            w.used[i] = 1;
            ck_err(&w, "the checkpoint's trainable '%s' is not in this spec", w.arr[i].name + 10);
        }
    if (what == HY_CK_ALL) {
        for (long l = 0; l < c->nloss; l++) {
            snprintf(name, sizeof name, "loss.%s", c->loss_names[l]);
            a = find_array(w.narr, w.arr, name);
            if (!a)
                ck_err(&w, "this spec's loss '%s' is not in the checkpoint", c->loss_names[l]);
            else if (a->size != 1 || a->data[0] != (double)l)
                ck_err(&w, "loss '%s' is loss %g in the checkpoint, %ld here", c->loss_names[l],
                       a->size == 1 ? a->data[0] + 1 : 0.0, l + 1);
        }
        for (int i = 0; i < w.narr; i++) {
            if (strncmp(w.arr[i].name, "loss.", 5))
                continue;
            int found = 0;
            for (long l = 0; l < c->nloss; l++)
                found |= !strcmp(w.arr[i].name + 5, c->loss_names[l]);
            if (!found)
                ck_err(&w, "the checkpoint's loss '%s' is not in this spec", w.arr[i].name + 5);
        }
        /* the plan: the saved epoch must lie in the same phase */
        int np = c->nphase + 1;
        double *plan = rt_xcalloc((size_t)np, sizeof(double), "checkpoint");
        double E = 0;
        for (int p = 0; p < np; p++)
            E += plan[p] = (double)rt_phase_count(c, p);
        char ps1[256], ps2[256];
        plan_str(ps1, sizeof ps1, pl->data, (int)pl->size);
        plan_str(ps2, sizeof ps2, plan, np);
        if (pl->size != np)
            ck_err(&w, "the checkpoint's plan has %ld phases (%s epochs), this spec's %d (%s)",
                   pl->size, ps1, np, ps2);
        else if ((double)D > E)
            ck_err(&w, "the checkpoint is at epoch %ld, past the end of this run's plan (%s = "
                       "%.0f epochs); raise --epochs",
                   D, ps2, E);
        else if (D > 0 && phase_of(pl->data, np, D) != phase_of(plan, np, D))
            ck_err(&w, "epoch %ld was in phase %d of the checkpoint's plan (%s), but is in phase "
                       "%d of this run's plan (%s); use the same --epochs",
                   D, phase_of(pl->data, np, D) + 1, ps1, phase_of(plan, np, D) + 1, ps2);
        if (th->data[0] != c->threads)
            fprintf(stderr, "hycoc: note: %s was trained with %g thread(s), this run uses %d: "
                            "results are bitwise reproducible only at the same thread count\n",
                    dir, th->data[0], c->threads);
        hy_free(plan);
    }
    int nerr = w.nerr;
    walk_free(&w);
    return nerr ? -1 : 0;
}

/* history.npz into the progress history of the next run.  -1 after a
 * message if it cannot be read; a mismatch with this spec only warns. */
static int load_history(HyCtx *c, const char *dir)
{
    RtCkWalk w;
    if (walk_open(&w, dir, "history.npz") != 0)
        return -1;
    int ncols = 1 + (int)c->nloss + rt_track_count(c);
    const HyArray *e = find_array(w.narr, w.arr, "epoch");
    int ok = e && e->ndim == 1 && w.narr == ncols;
    const HyArray **cols = rt_xcalloc((size_t)ncols, sizeof *cols, "checkpoint");
    char name[2 * RT_NAME_MAX + 16];
    for (int j = 1; ok && j < ncols; j++) {
        snprintf(name, sizeof name, "%s.%s", j <= c->nloss ? "loss" : "track", hy_history_column(c, j));
        cols[j] = find_array(w.narr, w.arr, name);
        ok = cols[j] && cols[j]->ndim == 1 && cols[j]->size == e->size;
    }
    for (long r = 0; ok && r < e->size; r++)
        ok = e->data[r] >= 1 && e->data[r] <= (double)c->epoch_start && e->data[r] == floor(e->data[r]) &&
             (r == 0 || e->data[r] > e->data[r - 1]);
    if (ok && e->size > 0) {
        cols[0] = e;
        double *rows = rt_xmalloc(sizeof(double) * (size_t)e->size * (size_t)ncols, "checkpoint");
        for (long r = 0; r < e->size; r++)
            for (int j = 0; j < ncols; j++)
                rows[r * ncols + j] = cols[j]->data[r];
        rt_progress_preload(c, e->size, ncols, rows);
        hy_free(rows);
    } else if (!ok) {
        fprintf(stderr, "hycoc: warning: %s/history.npz does not match this spec's losses and "
                        "tracked values; the history restarts at epoch %ld\n",
                dir, c->epoch_start + 1);
    }
    hy_free(cols);
    walk_free(&w);
    return 0;
}

int hy_checkpoint_load(HyCtx *c, const char *dir_in, int what, const HyRunInfo *info,
                       HyCkMeta *meta)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", dir_in ? dir_in : "");
    strip_slashes(dir);
    struct stat st;
    if (stat(dir, &st) != 0) {
        fprintf(stderr, "hycoc: error: %s: %s\n", dir,
                errno == ENOENT ? "no such checkpoint directory" : strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        fprintf(stderr, "hycoc: error: %s: not a checkpoint directory\n", dir);
        return -1;
    }
    rt_finalize(c);
    if (meta)
        memset(meta, 0, sizeof *meta);
    if (check_manifest(c, dir, what, info, meta) != 0)
        return -1;
    RtCkWalk w;
    if (walk_open(&w, dir, "weights.npz") != 0)
        return -1;
    char d[256];
    double v[TR_DESC_LEN];
    for (long t = 0; t < c->ntr; t++) {
        Trainable *tr = &c->tr[t];
        long len = tr->len;
        tr_desc(tr, v);
        desc_str(d, sizeof d, v);
        rt_ck_array(&w, tr->name, d, c->params + tr->off, tr->kind == RT_TR_SCALAR ? 0 : 1, &len);
    }
    if (walk_close(&w, "trainable") != 0)
        return -1;
    if (what != HY_CK_ALL)
        return 0;
    for (int file = 0; file < 2; file++) {
        if (walk_open(&w, dir, file ? "state.npz" : "optimizer.npz") != 0)
            return -1;
        walk_state(c, &w, file);
        if (walk_close(&w, file ? "state" : "optimizer state") != 0)
            return -1;
    }
    if (meta && c->epoch_start != meta->epoch) {
        fprintf(stderr, "hycoc: error: %s: state.npz is at epoch %ld, the manifest at %ld "
                        "(corrupt checkpoint?)\n", dir, c->epoch_start, meta->epoch);
        return -1;
    }
    return load_history(c, dir);
}

/* ---------------------------------------------------------------- networks */

int hy_net_info(HyCtx *c, int t, HyNetInfo *out)
{
    memset(out, 0, sizeof *out);
    if (t < 0 || t >= c->ntr || c->tr[t].kind != RT_TR_MLP)
        return -1;
    const Trainable *tr = &c->tr[t];
    out->kind = tr->net_kind;
    out->din = tr->din;
    out->dout = tr->dout;
    out->width = tr->width;
    out->depth = tr->depth;
    out->act = tr->act;
    out->nfeat = tr->nfeat;
    out->norm = tr->norm;
    for (int m = 0; m < tr->din && m < RT_NET_MAXIN; m++) {
        out->lo[m] = tr->lo[m];
        out->hi[m] = tr->hi[m];
    }
    out->off = tr->off;
    out->len = tr->len;
    return 0;
}

void hy_net_layer(HyCtx *c, int t, int l, long *woff, long *boff, int *nin, int *nout)
{
    if (t < 0 || t >= c->ntr || c->tr[t].kind != RT_TR_MLP)
        RT_ICE("hy_net_layer: %d is no network", t);
    const Trainable *tr = &c->tr[t];
    if (l >= 0) {
        if (l > tr->depth)
            RT_ICE("hy_net_layer '%s': layer %d of %d", tr->name, l, tr->depth);
        rt_mlp_layer(tr, l, woff, boff, nin, nout);
        return;
    }
    if (tr->net_kind != HY_NET_MODIFIED || l < -2)
        RT_ICE("hy_net_layer '%s': no encoder %d", tr->name, l);
    int n0, o0;
    rt_mlp_layer(tr, 0, woff, boff, &n0, &o0);
    rt_net_encoder(tr, -1 - l, woff, boff);
    *nin = n0;
    *nout = tr->width;
}

void hy_net_fourier_matrix(HyCtx *c, int t, double *B)
{
    if (t < 0 || t >= c->ntr || c->tr[t].kind != RT_TR_MLP || !c->tr[t].nfeat)
        RT_ICE("hy_net_fourier_matrix: %d has no Fourier features", t);
    rt_net_fourier(&c->tr[t], t, B);
}
