/* progress.c -- what a run shows and leaves behind: the progress table and
 * the live progress line, the loss history (in memory, and as CSV), the
 * clean stop on SIGINT/SIGTERM, the JSON run summary, atomic file writes.
 *
 * Requires: hy_train calls rt_progress_begin once before its first epoch,
 * rt_progress_epoch after every epoch, and rt_progress_end exactly once when
 * it stops (completed, interrupted or diverged).
 * Guarantees: all buffers are allocated in rt_progress_begin, none per epoch;
 * the history keeps epoch 1, every stride-th epoch and the last one
 * (stride = ceil(E / RT_HIST_ROWS)), so it has at most RT_HIST_ROWS + 2 rows;
 * the live line is redrawn at most RT_LIVE_HZ times a second, never wider
 * than the terminal, and erased before any other output; files are written
 * to a temporary in the same directory and renamed over the target, so a
 * reader sees the old file or the complete new one.
 *
 * The one global: the number of the signal that asked the run to stop
 * (signal handlers cannot reach a context).
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cblas.h>
#include "rt_internal.h"

#define RT_HIST_ROWS 10000
#define RT_LIVE_HZ 10.0
#define RT_LIVE_MAX 512          /* longest live line, bytes */

struct RtProgress {
    int mode;                    /* HY_PROGRESS_* asked for */
    int live;                    /* live line in use for this run */
    int interruptible;           /* install SIGINT/SIGTERM handlers in hy_train */
    int stopped_by;              /* signal that stopped the last run, or 0 */
    int reason;                  /* RT_STOP_* of the last run */
    long planned;                /* E of the last run */
    double t0, last_draw;        /* run start, last live redraw (rt_now) */
    int live_len;                /* characters of the live line on screen (0: none) */
    int width;                   /* terminal columns */
    int utf8;                    /* block characters in the bar */
    long last_row;               /* last epoch printed as a table row */
    char *history_path;          /* hy_set_history, or NULL */
    /* history: rows x ncols, row-major; column 0 the epoch */
    double *hist;
    long histcap;                /* doubles allocated in hist */
    long nrows, caprows, stride;
    int ncols;
    struct sigaction old_int, old_term;
    int handlers;                /* old_* hold handlers to restore */
    double *pre;                 /* rt_progress_preload: earlier rows [npre][prencols] */
    long npre;
    int prencols;
    char line[RT_LIVE_MAX + 64];
};

static volatile sig_atomic_t stop_signal;

static RtProgress *prog(HyCtx *c)
{
    if (!c->prog) {
        c->prog = rt_xcalloc(1, sizeof *c->prog, "progress");
        c->prog->mode = HY_PROGRESS_AUTO;
    }
    return c->prog;
}

void rt_progress_free(HyCtx *c)
{
    if (!c->prog)
        return;
    hy_free(c->prog->history_path);
    hy_free(c->prog->hist);
    hy_free(c->prog->pre);
    hy_free(c->prog);
    c->prog = NULL;
}

void hy_set_progress(HyCtx *c, int mode)
{
    prog(c)->mode = mode < HY_PROGRESS_AUTO || mode > HY_PROGRESS_LINES ? HY_PROGRESS_AUTO : mode;
}

void hy_set_interruptible(HyCtx *c, int on) { prog(c)->interruptible = on != 0; }

int hy_interrupted(HyCtx *c) { return c->prog ? c->prog->stopped_by : 0; }

int hy_set_history(HyCtx *c, const char *path)
{
    RtProgress *p = prog(c);
    hy_free(p->history_path);
    p->history_path = NULL;
    if (!path)
        return 0;
    char *tmp;   /* fail now rather than after training */
    FILE *f = hy_atomic_open(path, &tmp);
    if (!f)
        return -1;
    hy_atomic_close(f, tmp, path, 0);
    size_t n = strlen(path) + 1;
    p->history_path = rt_xmalloc(n, "history path");
    memcpy(p->history_path, path, n);
    return 0;
}

/* ---- tracked columns ----
 * Quantities tracked beside the losses ('track' in a spec: loss weights,
 * learning rates), in the order of balance.c's rt_track_*. */
static int tracked_count(HyCtx *c) { return rt_track_count(c); }
static const char *tracked_name(HyCtx *c, int j) { return rt_track_name(c, j); }
static double tracked_value(HyCtx *c, int j) { return rt_track_value(c, j); }

/* ---- signals ---- */

static void on_signal(int sig)
{
    stop_signal = sig;   /* SA_RESETHAND: a second signal takes the default action */
}

static void install_handlers(RtProgress *p)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND;
    stop_signal = 0;
    if (sigaction(SIGINT, &sa, &p->old_int) == 0 && sigaction(SIGTERM, &sa, &p->old_term) == 0)
        p->handlers = 1;
    if (p->handlers && p->old_int.sa_handler == SIG_IGN)   /* nohup, '&': stays ignored */
        sigaction(SIGINT, &p->old_int, NULL);
}

static void restore_handlers(RtProgress *p)
{
    if (!p->handlers)
        return;
    sigaction(SIGINT, &p->old_int, NULL);
    sigaction(SIGTERM, &p->old_term, NULL);
    p->handlers = 0;
}

int rt_stop_requested(HyCtx *c)
{
    return c->prog && c->prog->handlers && stop_signal != 0;
}

/* ---- table rows and the live line ---- */

static int loss_width(HyCtx *c, long i)
{
    int w = (int)strlen(c->loss_names[i]);
    return w < 10 ? 10 : w;
}

static void live_erase(RtProgress *p)
{
    if (p->live_len > 0) {
        printf("\r%*s\r", p->live_len, "");
        p->live_len = 0;
    }
}

static int term_width(void)
{
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
        return ws.ws_col;
    const char *cols = getenv("COLUMNS");
    int w = cols ? atoi(cols) : 0;
    return w >= 20 ? w : 80;
}

static int utf8_locale(void)
{
    const char *vars[3] = {"LC_ALL", "LC_CTYPE", "LANG"};
    for (int i = 0; i < 3; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v)
            return strstr(v, "UTF-8") || strstr(v, "utf8") || strstr(v, "UTF8") || strstr(v, "utf-8");
    }
    return 0;
}

/* "1:02:03" or "2:03"; "--:--" when unknown. */
static void fmt_duration(char *buf, size_t n, double s)
{
    if (!(s >= 0) || s > 359999.0) {
        snprintf(buf, n, "--:--");
        return;
    }
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, n, "%ld:%02ld", t / 60, t % 60);
}

/* Appends to the line at *len (display width *cols), if it fits in max columns.
 * Returns 0 when it did not fit (nothing appended). */
static int put(RtProgress *p, int *len, int *cols, int max, int w, const char *fmt, ...)
{
    char tmp[160];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || n >= (int)sizeof tmp)
        return 0;
    if (w < 0)
        w = n;
    if (*cols + w > max || *len + n > RT_LIVE_MAX)
        return 0;
    memcpy(p->line + *len, tmp, (size_t)n + 1);
    *len += n;
    *cols += w;
    return 1;
}

static void live_draw(HyCtx *c, long e, double now)
{
    RtProgress *p = c->prog;
    long E = p->planned;
    double el = now - p->t0;
    double rate = el > 0 ? (double)e / el : 0.0;
    char eta[32];
    fmt_duration(eta, sizeof eta, rate > 0 ? (double)(E - e) / rate : -1.0);
    int len = 0, cols = 0, max = p->width - 1;
    double frac = E > 0 ? (double)e / (double)E : 1.0;
    put(p, &len, &cols, max, -1, "%*ld/%ld %3d%% ", (int)snprintf(NULL, 0, "%ld", E), e, E,
        (int)(100.0 * frac));
    /* bar of 20 cells */
    char bar[20 * 3 + 3];
    int bl = 0, cells = 20, full = (int)(frac * cells * 8.0);
    static const char *const eighths[8] = {"", "\xe2\x96\x8f", "\xe2\x96\x8e", "\xe2\x96\x8d",
                                           "\xe2\x96\x8c", "\xe2\x96\x8b", "\xe2\x96\x8a",
                                           "\xe2\x96\x89"};
    bar[bl++] = '|';
    for (int i = 0; i < cells; i++) {
        int f = full - 8 * i;
        if (p->utf8) {
            const char *s = f >= 8 ? "\xe2\x96\x88" : f > 0 ? eighths[f] : " ";
            size_t sl = strlen(s);
            memcpy(bar + bl, s, sl);
            bl += (int)sl;
        } else {
            bar[bl++] = f >= 8 ? '#' : f >= 4 ? '=' : ' ';   /* '=' half cell */
        }
    }
    bar[bl++] = '|';
    bar[bl] = 0;
    put(p, &len, &cols, max, cells + 2, "%s", bar);
    if (rate >= 1e4)
        put(p, &len, &cols, max, -1, " %.1fk ep/s", rate / 1e3);
    else
        put(p, &len, &cols, max, -1, " %.*f ep/s", rate < 10 ? 2 : rate < 100 ? 1 : 0, rate);
    put(p, &len, &cols, max, -1, "  ETA %s", eta);
    for (long i = 0; i < c->nloss; i++)
        if (c->loss_skip && c->loss_skip[i] ? !put(p, &len, &cols, max, -1, "  %s skipped", c->loss_names[i])
                                            : !put(p, &len, &cols, max, -1, "  %s %.3e", c->loss_names[i], c->loss_values[i]))
            break;
    int pad = p->live_len > cols ? p->live_len - cols : 0;
    printf("\r%s%*s", p->line, pad, "");
    if (pad)
        printf("\r%s", p->line);
    p->live_len = cols;
    p->last_draw = now;
    fflush(stdout);
}

void rt_progress_row(HyCtx *c, long epoch, double elapsed)
{
    RtProgress *p = prog(c);
    live_erase(p);
    printf("%8ld", epoch);
    for (long i = 0; i < c->nloss; i++)
        if (c->loss_skip && c->loss_skip[i])
            printf("  %*s", loss_width(c, i), "skipped");
        else
            printf("  %*.3e", loss_width(c, i), c->loss_values[i]);
    printf("  %8.2f\n", elapsed);
    p->last_row = epoch;
    if (p->live)
        live_draw(c, epoch, rt_now());
    fflush(stdout);
}

/* ---- history ---- */

static void hist_record(HyCtx *c, long e)
{
    RtProgress *p = c->prog;
    if (!p->hist || p->nrows >= p->caprows)
        return;
    if (p->nrows > 0 && p->hist[(p->nrows - 1) * p->ncols] == (double)e)
        return;
    double *r = p->hist + p->nrows * p->ncols;
    r[0] = (double)e;
    for (long i = 0; i < c->nloss; i++)   /* NaN: skipped this epoch (an empty CSV field) */
        r[1 + i] = c->loss_skip && c->loss_skip[i] ? NAN : c->loss_values[i];
    for (int j = 0; j < p->ncols - 1 - (int)c->nloss; j++)
        r[1 + c->nloss + j] = tracked_value(c, j);
    p->nrows++;
}

const double *hy_history(HyCtx *c, long *nrows, int *ncols)
{
    if (!c->prog || !c->prog->hist) {
        *nrows = 0;
        *ncols = 0;
        return NULL;
    }
    *nrows = c->prog->nrows;
    *ncols = c->prog->ncols;
    return c->prog->hist;
}

int hy_history_losses(HyCtx *c) { return (int)c->nloss; }

const char *hy_history_column(HyCtx *c, int j)
{
    if (j == 0)
        return "epoch";
    if (j >= 1 && j <= c->nloss)
        return c->loss_names[j - 1];
    return tracked_name(c, j - 1 - (int)c->nloss);
}

void rt_progress_preload(HyCtx *c, long nrows, int ncols, const double *rows)
{
    RtProgress *p = prog(c);
    hy_free(p->pre);
    p->pre = NULL;
    p->npre = 0;
    if (nrows < 1 || ncols < 1)
        return;
    p->pre = rt_xmalloc(sizeof(double) * (size_t)nrows * (size_t)ncols, "loss history");
    memcpy(p->pre, rows, sizeof(double) * (size_t)nrows * (size_t)ncols);
    p->npre = nrows;
    p->prencols = ncols;
}

/* ---- begin / epoch / end ---- */

void rt_progress_begin(HyCtx *c, long E)
{
    RtProgress *p = prog(c);
    p->planned = E;
    p->stopped_by = 0;
    p->reason = RT_STOP_COMPLETED;
    p->last_row = 0;
    p->live_len = 0;
    p->live = !c->quiet && (p->mode == HY_PROGRESS_LIVE
                            || (p->mode == HY_PROGRESS_AUTO && isatty(STDOUT_FILENO)
                                && !(getenv("TERM") && strcmp(getenv("TERM"), "dumb") == 0)));
    if (p->live) {
        p->width = term_width();
        p->utf8 = utf8_locale();
    }
    /* history buffer: grown here when a run needs more, never per epoch */
    p->stride = E > RT_HIST_ROWS ? (E + RT_HIST_ROWS - 1) / RT_HIST_ROWS : 1;
    p->caprows = (E > 0 ? E / p->stride : 0) + 2;
    p->ncols = 1 + (int)c->nloss + tracked_count(c);
    if (p->caprows * p->ncols > p->histcap) {
        hy_free(p->hist);
        p->histcap = p->caprows * p->ncols;
        p->hist = rt_xmalloc(sizeof(double) * (size_t)p->histcap, "loss history");
    }
    p->nrows = 0;
    for (long r = 0; p->pre && p->prencols == p->ncols && r < p->npre; r++) {   /* resumed run */
        long e = (long)p->pre[r * p->ncols];
        if ((e == 1 || e % p->stride == 0) && p->nrows < p->caprows)
            memcpy(p->hist + p->nrows++ * p->ncols, p->pre + r * p->ncols,
                   sizeof(double) * (size_t)p->ncols);
    }
    hy_free(p->pre);
    p->pre = NULL;
    p->npre = 0;
    if (p->interruptible)
        install_handlers(p);
    if (!c->quiet) {
        printf("%8s", "epoch");
        for (long i = 0; i < c->nloss; i++)
            printf("  %*s", loss_width(c, i), c->loss_names[i]);
        printf("  %8s\n", "time");
        fflush(stdout);
    }
    p->t0 = rt_now();
    p->last_draw = p->t0;
}

void rt_progress_epoch(HyCtx *c, long e, int row, double elapsed)
{
    RtProgress *p = c->prog;
    if (e == 1 || e % p->stride == 0 || e == p->planned)
        hist_record(c, e);
    if (row && !c->quiet)
        rt_progress_row(c, e, elapsed);
    else if (p->live) {
        double now = rt_now();
        if (now - p->last_draw >= 1.0 / RT_LIVE_HZ)
            live_draw(c, e, now);
    }
}

static int write_history(HyCtx *c);

int rt_progress_end(HyCtx *c, int reason)
{
    RtProgress *p = c->prog;
    long e = c->epochs_done;
    p->reason = reason;
    if (e > 0)
        hist_record(c, e);   /* a stop between strides keeps its last epoch */
    live_erase(p);
    p->live = 0;   /* no redraw after the last row */
    if (reason == RT_STOP_INTERRUPTED) {
        p->stopped_by = stop_signal ? (int)stop_signal : SIGINT;
        if (!c->quiet && p->last_row != e && e > 0)
            rt_progress_row(c, e, rt_now() - p->t0);
    }
    live_erase(p);
    fflush(stdout);
    restore_handlers(p);
    if (reason == RT_STOP_INTERRUPTED)
        fprintf(stderr, "hycoc: %s: training stopped after epoch %ld of %ld; the report covers "
                        "the epochs run\n", p->stopped_by == SIGTERM ? "terminated" : "interrupted",
                e, p->planned);
    stop_signal = 0;
    return p->history_path ? write_history(c) : 0;
}

/* ---- files ---- */

FILE *hy_atomic_open(const char *path, char **tmp)
{
    size_t n = strlen(path);
    *tmp = rt_xmalloc(n + 8, "file name");
    memcpy(*tmp, path, n);
    memcpy(*tmp + n, ".XXXXXX", 8);
    int fd = mkstemp(*tmp);
    if (fd < 0) {
        hy_free(*tmp);
        *tmp = NULL;
        return NULL;
    }
    mode_t um = umask(0);
    umask(um);
    fchmod(fd, 0666 & ~um);
    FILE *f = fdopen(fd, "w");
    if (!f) {
        int err = errno;
        close(fd);
        unlink(*tmp);
        hy_free(*tmp);
        *tmp = NULL;
        errno = err;
    }
    return f;
}

int hy_atomic_close(FILE *f, char *tmp, const char *path, int ok)
{
    int bad = !ok || ferror(f);
    int err = bad ? (errno ? errno : EIO) : 0;
    if (fflush(f) != 0 && !bad) {
        bad = 1;
        err = errno;
    }
    if (!bad && fsync(fileno(f)) != 0 && errno != EINVAL) {
        bad = 1;
        err = errno;
    }
    if (fclose(f) != 0 && !bad) {
        bad = 1;
        err = errno;
    }
    if (!bad && rename(tmp, path) != 0) {
        bad = 1;
        err = errno;
    }
    if (bad)
        unlink(tmp);
    hy_free(tmp);
    errno = err;
    return bad ? -1 : 0;
}

/* The shortest %.Ng form (N = 15, 16, 17) that strtod reads back as v. */
static const char *exact(char buf[32], double v)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, 32, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    return buf;
}

/* A CSV field: quoted (RFC 4180) when it holds a comma, quote or line break. */
static int csv_field(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\r\n"))
        return fputs(s, f) < 0;
    int bad = fputc('"', f) == EOF;
    for (; *s; s++) {
        if (*s == '"')
            bad |= fputc('"', f) == EOF;
        bad |= fputc(*s, f) == EOF;
    }
    return bad | (fputc('"', f) == EOF);
}

static int write_history(HyCtx *c)
{
    RtProgress *p = c->prog;
    char *tmp;
    FILE *f = hy_atomic_open(p->history_path, &tmp);
    if (!f) {
        fprintf(stderr, "hycoc: error: cannot write history '%s': %s\n", p->history_path,
                strerror(errno));
        return -1;
    }
    int bad = 0;
    for (int j = 0; j < p->ncols; j++) {
        if (j)
            bad |= fputc(',', f) == EOF;
        bad |= csv_field(f, hy_history_column(c, j));
    }
    bad |= fputc('\n', f) == EOF;
    for (long r = 0; r < p->nrows; r++) {
        const double *row = p->hist + r * p->ncols;
        bad |= fprintf(f, "%ld", (long)row[0]) < 0;
        char b[32];
        for (int j = 1; j < p->ncols; j++)
            bad |= fprintf(f, ",%s", isnan(row[j]) ? "" : exact(b, row[j])) < 0;
        bad |= fputc('\n', f) == EOF;
    }
    if (hy_atomic_close(f, tmp, p->history_path, !bad) != 0) {
        fprintf(stderr, "hycoc: error: writing history '%s': %s\n", p->history_path,
                strerror(errno));
        return -1;
    }
    return 0;
}

/* ---- JSON run summary ---- */

uint64_t hy_fnv1a64(const void *data, size_t n)
{
    const unsigned char *s = data;
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

/* A JSON string: quotes, backslash and control characters escaped; bytes
 * that are not valid UTF-8 become U+FFFD so the output is valid JSON text. */
static void json_str(FILE *f, const char *s)
{
    const unsigned char *u = (const unsigned char *)(s ? s : "");
    fputc('"', f);
    while (*u) {
        unsigned char ch = *u;
        if (ch == '"' || ch == '\\') {
            fprintf(f, "\\%c", ch);
            u++;
        } else if (ch == '\n') {
            fputs("\\n", f);
            u++;
        } else if (ch == '\t') {
            fputs("\\t", f);
            u++;
        } else if (ch == '\r') {
            fputs("\\r", f);
            u++;
        } else if (ch < 0x20 || ch == 0x7f) {
            fprintf(f, "\\u%04x", ch);
            u++;
        } else if (ch < 0x80) {
            fputc(ch, f);
            u++;
        } else {
            int n = ch >= 0xF0 && ch <= 0xF4 ? 4 : ch >= 0xE0 ? 3 : ch >= 0xC2 && ch <= 0xDF ? 2 : 0;
            int ok = n > 0;
            for (int k = 1; ok && k < n; k++)
                ok = (u[k] & 0xC0) == 0x80;
            if (ok && n == 3) {
                unsigned cp = ((ch & 0x0Fu) << 12) | ((u[1] & 0x3Fu) << 6) | (u[2] & 0x3Fu);
                ok = cp >= 0x800 && (cp < 0xD800 || cp > 0xDFFF);
            }
            if (ok && n == 4) {
                unsigned cp = ((ch & 0x07u) << 18) | ((u[1] & 0x3Fu) << 12);
                ok = cp >= 0x10000 && cp <= 0x10FFFF;
            }
            if (ok) {
                fwrite(u, 1, (size_t)n, f);
                u += n;
            } else {
                fputs("\\ufffd", f);
                u++;
            }
        }
    }
    fputc('"', f);
}

/* A JSON number; NaN and infinities (not JSON) become null. */
static void json_num(FILE *f, double v)
{
    char b[32];
    if (isfinite(v))
        fputs(exact(b, v), f);
    else
        fputs("null", f);
}

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

int hy_write_summary(HyCtx *c, const char *path, const HyRunInfo *info)
{
    static const char *const ops[4] = {"<", "<=", ">", ">="};
    static const char *const reasons[3] = {"completed", "interrupted", "diverged"};
    RtProgress *p = prog(c);
    char *tmp;
    FILE *f = hy_atomic_open(path, &tmp);
    if (!f) {
        fprintf(stderr, "hycoc: error: cannot write summary '%s': %s\n", path, strerror(errno));
        return -1;
    }
    fputs("{\n  \"hycoc_version\": ", f);
    json_str(f, HY_VERSION);
    /* what built and runs the numbers: the runtime's C compiler, OpenBLAS's build */
    fputs(",\n  \"versions\": {\"hycoc\": ", f);
    json_str(f, HY_VERSION);
    fputs(", \"runtime_cc\": ", f);
#ifdef __VERSION__
    json_str(f, __VERSION__);
#else
    json_str(f, NULL);
#endif
    fputs(", \"openblas\": ", f);
    json_str(f, openblas_get_config());
    fputs("}", f);
    fputs(",\n  \"spec\": {\"path\": ", f);
    json_str(f, info ? info->spec_path : NULL);
    if (info && info->spec_src)
        fprintf(f, ", \"bytes\": %zu, \"fnv1a64\": \"%016llx\"", info->spec_len,
                (unsigned long long)hy_fnv1a64(info->spec_src, info->spec_len));
    fprintf(f, "},\n  \"seed\": %llu,\n  \"threads\": %d,\n", (unsigned long long)c->seed,
            c->threads);
    fprintf(f, "  \"parameters\": %ld,\n", c->nparams);
    fprintf(f, "  \"epochs\": {\"planned\": %ld, \"done\": %ld},\n", p->planned, c->epochs_done);
    fputs("  \"stopped\": ", f);
    json_str(f, reasons[p->reason >= 0 && p->reason < 3 ? p->reason : 0]);
    fprintf(f, ",\n  \"signal\": %d,\n  \"exit_status\": %d,\n", p->stopped_by,
            info ? info->exit_status : 0);
    fputs("  \"timings\": {\"compile_s\": ", f);
    json_num(f, info && info->compile_seconds >= 0 ? info->compile_seconds : NAN);
    fputs(", \"train_s\": ", f);
    json_num(f, c->train_seconds);
    fputs(", \"ms_per_epoch\": ", f);
    json_num(f, 1e3 * hy_epoch_seconds(c));
    fputs("},\n  \"final_losses\": {", f);
    for (long i = 0; i < c->nloss; i++) {
        fputs(i ? ", " : "", f);
        json_str(f, c->loss_names[i]);
        fputs(": ", f);
        json_num(f, c->loss_values[i]);
    }
    fputs("},\n  \"expects\": [", f);
    int first = 1, passed = 0, failed = 0;
    for (long i = 0; i < c->nex; i++) {
        const Expect *e = &c->ex[i];
        if (e->cmp < 0)
            continue;
        double v = e->fn(c);
        int ok = !isnan(v) && expect_holds(e->cmp, v, e->bound);
        ok ? passed++ : failed++;
        fputs(first ? "\n    {\"text\": " : ",\n    {\"text\": ", f);
        first = 0;
        json_str(f, e->text);
        fputs(", \"value\": ", f);
        json_num(f, v);
        fputs(", \"cmp\": ", f);
        json_str(f, ops[e->cmp]);
        fputs(", \"bound\": ", f);
        json_num(f, e->bound);
        fprintf(f, ", \"pass\": %s}", ok ? "true" : "false");
    }
    fputs(first ? "],\n" : "\n  ],\n", f);
    fputs("  \"reports\": [", f);
    first = 1;
    for (long i = 0; i < c->nex; i++) {
        const Expect *e = &c->ex[i];
        if (e->cmp >= 0)
            continue;
        fputs(first ? "\n    {\"text\": " : ",\n    {\"text\": ", f);
        first = 0;
        json_str(f, e->text);
        fputs(", \"value\": ", f);
        json_num(f, e->fn(c));
        fputc('}', f);
    }
    fputs(first ? "],\n" : "\n  ],\n", f);
    fprintf(f, "  \"expects_passed\": %d,\n  \"expects_failed\": %d\n}\n", passed, failed);
    if (hy_atomic_close(f, tmp, path, 1) != 0) {
        fprintf(stderr, "hycoc: error: writing summary '%s': %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}
