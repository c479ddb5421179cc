/* plot.c -- figures with cairo (PNG or SVG): line plots with linear or
 * logarithmic axes, the 1-D solution figure, heat maps (API in plot.h).
 *
 * Requires: cairo with its PNG and SVG back ends; a sans-serif font through
 * fontconfig (DejaVu Sans on Debian).  Guarantees: one figure per call,
 * written atomically (temporary + rename); no global state; a figure never
 * depends on anything but its arguments, so equal inputs give equal files.
 *
 * Layout, in units of the logical canvas (PNG pixels = units * PNG_SCALE):
 * a title line, then panels; each panel is a frame with ticks and tick labels
 * outside, light grid lines at the major ticks, axis labels centred on the
 * frame sides, and the legend in the frame's upper right corner.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cairo/cairo.h>
#include <cairo/cairo-svg.h>
#include <fontconfig/fontconfig.h>
#include "plot.h"
#include "fields.h"

#define PNG_SCALE 1.25
#define FONT "DejaVu Sans"
#define MAXTICK 64

typedef struct Axis {
    double lo, hi;      /* data range shown (log axes: lo > 0) */
    int log;
} Axis;

typedef struct Panel {
    double x, y, w, h;  /* frame in canvas units (y down) */
    Axis ax, ay;
} Panel;

typedef struct Fig {
    cairo_surface_t *surf;
    cairo_t *cr;
    double W, H;
    char *tmp;          /* temporary file being written */
    const char *path;
    int svg;
} Fig;

/* Tableau 10 */
static const double palette[10][3] = {
    {0.306, 0.475, 0.655}, {0.949, 0.557, 0.169}, {0.882, 0.341, 0.349}, {0.463, 0.718, 0.698},
    {0.349, 0.631, 0.310}, {0.929, 0.788, 0.282}, {0.690, 0.478, 0.631}, {1.000, 0.616, 0.655},
    {0.612, 0.459, 0.373}, {0.729, 0.690, 0.675},
};

/* ---- figure ---- */

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

static int fig_open(Fig *f, const char *path, double W, double H)
{
    memset(f, 0, sizeof *f);
    f->path = path;
    f->W = W;
    f->H = H;
    f->svg = ends_with(path, ".svg");
    /* reserve the temporary name; cairo writes the file itself */
    FILE *probe = hy_atomic_open(path, &f->tmp);
    if (!probe) {
        fprintf(stderr, "hycoc: error: cannot write plot '%s': %s\n", path, strerror(errno));
        return -1;
    }
    fclose(probe);
    if (f->svg)
        f->surf = cairo_svg_surface_create(f->tmp, W, H);
    else
        f->surf = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, (int)ceil(W * PNG_SCALE),
                                             (int)ceil(H * PNG_SCALE));
    if (cairo_surface_status(f->surf) != CAIRO_STATUS_SUCCESS) {
        fprintf(stderr, "hycoc: error: plot '%s': %s\n", path,
                cairo_status_to_string(cairo_surface_status(f->surf)));
        cairo_surface_destroy(f->surf);
        remove(f->tmp);
        free(f->tmp);
        return -1;
    }
    f->cr = cairo_create(f->surf);
    if (!f->svg)
        cairo_scale(f->cr, PNG_SCALE, PNG_SCALE);
    cairo_set_source_rgb(f->cr, 1, 1, 1);
    cairo_paint(f->cr);
    cairo_select_font_face(f->cr, FONT, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    return 0;
}

static int fig_close(Fig *f)
{
    cairo_status_t st = cairo_status(f->cr);
    cairo_destroy(f->cr);
    if (st == CAIRO_STATUS_SUCCESS && !f->svg)
        st = cairo_surface_write_to_png(f->surf, f->tmp);
    cairo_surface_finish(f->surf);
    if (st == CAIRO_STATUS_SUCCESS)
        st = cairo_surface_status(f->surf);
    cairo_surface_destroy(f->surf);
    int err = 0;
    if (st == CAIRO_STATUS_SUCCESS && rename(f->tmp, f->path) != 0)
        err = errno;
    if (st != CAIRO_STATUS_SUCCESS || err) {
        fprintf(stderr, "hycoc: error: writing plot '%s': %s\n", f->path,
                err ? strerror(err) : cairo_status_to_string(st));
        remove(f->tmp);
        free(f->tmp);
        return -1;
    }
    free(f->tmp);
    return 0;
}

/* ---- text ---- */

enum { AL_LEFT = 0, AL_CENTER = 1, AL_RIGHT = 2 };

static double text_width(cairo_t *cr, const char *s, double size)
{
    cairo_text_extents_t te;
    cairo_set_font_size(cr, size);
    cairo_text_extents(cr, s, &te);
    return te.x_advance;
}

/* Draws s with its baseline's vertical centre (half the digit height above
 * the baseline) at y, aligned horizontally at x as al says. */
static void text_at(cairo_t *cr, double x, double y, const char *s, double size, int al,
                    int bold)
{
    cairo_select_font_face(cr, FONT, CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    double w = text_width(cr, s, size);
    cairo_move_to(cr, x - w * 0.5 * al, y + 0.36 * size);
    cairo_show_text(cr, s);
    cairo_select_font_face(cr, FONT, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
}

/* "10" with a raised exponent; returns its width (draws only if draw). */
static double pow10_label(cairo_t *cr, double x, double y, int k, double size, int al, int draw)
{
    char ex[16];
    if (k < 0)
        snprintf(ex, sizeof ex, "\xe2\x88\x92%d", -k);   /* U+2212 minus */
    else
        snprintf(ex, sizeof ex, "%d", k);
    double w1 = text_width(cr, "10", size), w2 = text_width(cr, ex, 0.72 * size);
    double w = w1 + w2 + 1;
    if (!draw)
        return w;
    double x0 = x - w * 0.5 * al;
    cairo_set_font_size(cr, size);
    cairo_move_to(cr, x0, y + 0.36 * size);
    cairo_show_text(cr, "10");
    cairo_set_font_size(cr, 0.72 * size);
    cairo_move_to(cr, x0 + w1 + 1, y + 0.36 * size - 0.45 * size);
    cairo_show_text(cr, ex);
    return w;
}

/* ---- axes ---- */

static double nice_step(double range, int target)
{
    double raw = range / (target > 1 ? target : 1);
    double mag = pow(10.0, floor(log10(raw)));
    double f = raw / mag;
    double m = f <= 1.0 ? 1.0 : f <= 2.0 ? 2.0 : f <= 2.5 ? 2.5 : f <= 5.0 ? 5.0 : 10.0;
    return m * mag;
}

/* Range of the finite (and, for log, positive) values of v[0..n) into *lo, *hi;
 * 0 when there are none. */
static int data_range(const double *v, long n, int log, double *lo, double *hi)
{
    int any = 0;
    for (long i = 0; i < n; i++) {
        double t = v[i];
        if (!isfinite(t) || (log && t <= 0))
            continue;
        if (!any || t < *lo)
            *lo = t;
        if (!any || t > *hi)
            *hi = t;
        any = 1;
    }
    return any;
}

/* Sets the axis to a padded range around [lo, hi] (any == 0: a default). */
static void axis_fit(Axis *a, int log, int any, double lo, double hi, int target)
{
    a->log = log;
    if (log) {
        if (!any) {
            lo = 1e-3;
            hi = 1;
        }
        double l = floor(log10(lo) + 1e-9), h = ceil(log10(hi) - 1e-9);
        if (h <= l)
            h = l + 1;
        a->lo = pow(10.0, l);
        a->hi = pow(10.0, h);
        return;
    }
    if (!any) {
        lo = 0;
        hi = 1;
    }
    if (hi - lo <= 1e-300 * (fabs(lo) + fabs(hi)) || hi == lo) {
        double d = lo != 0 ? 0.5 * fabs(lo) : 1.0;
        lo -= d;
        hi += d;
    }
    double st = nice_step(hi - lo, target);
    a->lo = floor(lo / st + 1e-9) * st;
    a->hi = ceil(hi / st - 1e-9) * st;
}

static double axis_t(const Axis *a, double v)   /* 0..1 along the axis */
{
    if (a->log)
        return (log10(v) - log10(a->lo)) / (log10(a->hi) - log10(a->lo));
    return (v - a->lo) / (a->hi - a->lo);
}

static double px(const Panel *p, double x) { return p->x + p->w * axis_t(&p->ax, x); }
static double py(const Panel *p, double y) { return p->y + p->h * (1.0 - axis_t(&p->ay, y)); }

/* Major ticks of a into t (at most MAXTICK); minor ticks (log: 2..9 x 10^k
 * when few decades) into m.  Returns the number of majors; *nm minors;
 * *step the linear step. */
static int ticks(const Axis *a, int target, double *t, double *m, int *nm, double *step)
{
    int n = 0;
    *nm = 0;
    if (a->log) {
        int l = (int)lround(log10(a->lo)), h = (int)lround(log10(a->hi));
        int every = (h - l + target - 1) / target;
        if (every < 1)
            every = 1;
        for (int k = l; k <= h && n < MAXTICK; k++) {
            if (((k % every) + every) % every == 0)   /* 10^0 is always among the labels */
                t[n++] = pow(10.0, k);
            else if (*nm < MAXTICK)
                m[(*nm)++] = pow(10.0, k);
            if (every == 1 && k < h)
                for (int j = 2; j <= 9 && *nm < MAXTICK; j++)
                    m[(*nm)++] = j * pow(10.0, k);
        }
        *step = 0;
        return n;
    }
    double st = nice_step(a->hi - a->lo, target);
    *step = st;
    double first = ceil(a->lo / st - 1e-9) * st;
    for (double v = first; v <= a->hi + 1e-9 * st && n < MAXTICK; v = first + n * st)
        t[n++] = fabs(v) < 1e-12 * st ? 0.0 : v;
    return n;
}

static void fmt_tick(char *buf, size_t n, double v, double step)
{
    double mag = fabs(v) > fabs(step) ? fabs(v) : fabs(step);
    if (v == 0)
        snprintf(buf, n, "0");
    else if (mag >= 1e5 || fabs(step) < 1e-4)
        snprintf(buf, n, "%g", v);
    else {
        int dec = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
        if (dec < 0)
            dec = 0;
        if (fabs(step * pow(10, dec) - round(step * pow(10, dec))) > 1e-6)
            dec++;   /* a step such as 0.25 */
        snprintf(buf, n, "%.*f", dec, v);
    }
    if (buf[0] == '-') {   /* typographic minus */
        char tmp[64];
        snprintf(tmp, sizeof tmp, "\xe2\x88\x92%s", buf + 1);
        snprintf(buf, n, "%s", tmp);
    }
}

/* Width of the widest y tick label of p (for the left margin). */
static double ylabel_width(cairo_t *cr, const Panel *p, double size)
{
    double t[MAXTICK], m[MAXTICK], step, w = 0;
    int nm, nt = ticks(&p->ay, 6, t, m, &nm, &step);
    for (int i = 0; i < nt; i++) {
        double tw;
        if (p->ay.log)
            tw = pow10_label(cr, 0, 0, (int)lround(log10(t[i])), size, AL_RIGHT, 0);
        else {
            char b[64];
            fmt_tick(b, sizeof b, t[i], step);
            tw = text_width(cr, b, size);
        }
        w = tw > w ? tw : w;
    }
    return w;
}

/* Frame, grid, ticks, tick labels and axis labels of p. */
static void draw_axes(cairo_t *cr, const Panel *p, const char *xlabel, const char *ylabel,
                      int xticklabels, int grid)
{
    const double fs = 12, tick = 5;
    double t[MAXTICK], m[MAXTICK], step;
    int nm, nt;
    /* grid */
    cairo_new_path(cr);
    cairo_set_line_width(cr, grid ? 0.8 : 0.0);
    cairo_set_source_rgb(cr, 0.90, 0.90, 0.90);
    nt = ticks(&p->ax, 7, t, m, &nm, &step);
    for (int i = 0; i < nt; i++) {
        double X = round(px(p, t[i])) + 0.5;
        cairo_move_to(cr, X, p->y);
        cairo_line_to(cr, X, p->y + p->h);
    }
    nt = ticks(&p->ay, 6, t, m, &nm, &step);
    for (int i = 0; i < nt; i++) {
        double Y = round(py(p, t[i])) + 0.5;
        cairo_move_to(cr, p->x, Y);
        cairo_line_to(cr, p->x + p->w, Y);
    }
    cairo_stroke(cr);
    /* frame */
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    cairo_set_line_width(cr, 1.0);
    cairo_rectangle(cr, p->x, p->y, p->w, p->h);
    cairo_stroke(cr);
    /* x ticks and labels */
    nt = ticks(&p->ax, 7, t, m, &nm, &step);
    for (int i = 0; i < nm; i++) {
        double X = px(p, m[i]);
        cairo_move_to(cr, X, p->y + p->h);
        cairo_line_to(cr, X, p->y + p->h + tick * 0.6);
    }
    for (int i = 0; i < nt; i++) {
        double X = px(p, t[i]);
        cairo_move_to(cr, X, p->y + p->h);
        cairo_line_to(cr, X, p->y + p->h + tick);
    }
    cairo_stroke(cr);
    if (xticklabels)
        for (int i = 0; i < nt; i++) {
            double X = px(p, t[i]), Y = p->y + p->h + tick + 3 + 0.6 * fs;
            if (p->ax.log)
                pow10_label(cr, X, Y, (int)lround(log10(t[i])), fs, AL_CENTER, 1);
            else {
                char b[64];
                fmt_tick(b, sizeof b, t[i], step);
                text_at(cr, X, Y, b, fs, AL_CENTER, 0);
            }
        }
    /* y ticks and labels */
    nt = ticks(&p->ay, 6, t, m, &nm, &step);
    for (int i = 0; i < nm; i++) {
        double Y = py(p, m[i]);
        cairo_move_to(cr, p->x, Y);
        cairo_line_to(cr, p->x - tick * 0.6, Y);
    }
    for (int i = 0; i < nt; i++) {
        double Y = py(p, t[i]);
        cairo_move_to(cr, p->x, Y);
        cairo_line_to(cr, p->x - tick, Y);
    }
    cairo_stroke(cr);
    double lw = ylabel_width(cr, p, fs);
    for (int i = 0; i < nt; i++) {
        double Y = py(p, t[i]), X = p->x - tick - 4;
        if (p->ay.log)
            pow10_label(cr, X, Y, (int)lround(log10(t[i])), fs, AL_RIGHT, 1);
        else {
            char b[64];
            fmt_tick(b, sizeof b, t[i], step);
            text_at(cr, X, Y, b, fs, AL_RIGHT, 0);
        }
    }
    /* axis labels */
    if (xlabel && xticklabels)
        text_at(cr, p->x + p->w / 2, p->y + p->h + tick + 3 + 1.9 * fs + 6, xlabel, 13, AL_CENTER,
                0);
    if (ylabel) {
        cairo_save(cr);
        cairo_translate(cr, p->x - tick - 10 - lw - 0.8 * 13, p->y + p->h / 2);
        cairo_rotate(cr, -M_PI / 2);
        text_at(cr, 0, 0, ylabel, 13, AL_CENTER, 0);
        cairo_restore(cr);
    }
}

/* Polyline of (x[i], y[i]) clipped to the frame, broken at skipped values. */
static void draw_series(cairo_t *cr, const Panel *p, long n, const double *x, const double *y,
                        const double rgb[3], int dashed, double width)
{
    cairo_save(cr);
    cairo_rectangle(cr, p->x, p->y, p->w, p->h);
    cairo_clip(cr);
    cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
    cairo_set_line_width(cr, width);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    if (dashed) {
        double d[2] = {6, 4};
        cairo_set_dash(cr, d, 2, 0);
    }
    int pen = 0;
    long drawn = 0;
    for (long i = 0; i < n; i++) {
        int ok = isfinite(x[i]) && isfinite(y[i]) && (!p->ax.log || x[i] > 0)
                 && (!p->ay.log || y[i] > 0);
        if (!ok) {
            pen = 0;
            continue;
        }
        double X = px(p, x[i]), Y = py(p, y[i]);
        if (pen)
            cairo_line_to(cr, X, Y);
        else
            cairo_move_to(cr, X, Y);
        pen = 1;
        drawn++;
    }
    if (drawn == 1) {   /* a single point: a dot */
        for (long i = 0; i < n; i++)
            if (isfinite(x[i]) && isfinite(y[i]) && (!p->ay.log || y[i] > 0)) {
                cairo_new_path(cr);
                cairo_arc(cr, px(p, x[i]), py(p, y[i]), 2.5, 0, 2 * M_PI);
                cairo_fill(cr);
            }
    } else {
        cairo_stroke(cr);
    }
    cairo_restore(cr);
}

/* Legend box in the corner of p where it hides the fewest data points
 * (upper right on ties); x: the abscissae of the series (n values), or NULL
 * for the upper right corner. */
static void draw_legend(cairo_t *cr, const Panel *p, int ns, const PlotSeries *s, long n,
                        const double *x)
{
    const double fs = 12, row = 18, sample = 26, pad = 8;
    double w = 0;
    int nl = 0;
    for (int i = 0; i < ns; i++)
        if (s[i].label) {
            double tw = text_width(cr, s[i].label, fs);
            w = tw > w ? tw : w;
            nl++;
        }
    if (nl == 0)
        return;
    double bw = pad + sample + 6 + w + pad, bh = pad + nl * row - (row - fs) + pad;
    double bx = p->x + p->w - bw - 10, by = p->y + 10;
    if (x) {   /* corners: upper right, upper left, lower right, lower left */
        long best = -1;
        for (int k = 0; k < 4; k++) {
            double cx = k % 2 ? p->x + 10 : p->x + p->w - bw - 10;
            double cy = k < 2 ? p->y + 10 : p->y + p->h - bh - 10;
            long hidden = 0;
            for (int i = 0; i < ns; i++)
                for (long j = 0; j < n; j++) {
                    double v = s[i].y[j];
                    if (!isfinite(x[j]) || !isfinite(v) || (p->ay.log && v <= 0)
                        || (p->ax.log && x[j] <= 0))
                        continue;
                    double X = px(p, x[j]), Y = py(p, v);
                    hidden += X >= cx - 4 && X <= cx + bw + 4 && Y >= cy - 4 && Y <= cy + bh + 4;
                }
            if (best < 0 || hidden < best) {
                best = hidden;
                bx = cx;
                by = cy;
            }
        }
    }
    cairo_set_source_rgba(cr, 1, 1, 1, 0.88);
    cairo_rectangle(cr, bx, by, bw, bh);
    cairo_fill_preserve(cr);
    cairo_set_source_rgb(cr, 0.75, 0.75, 0.75);
    cairo_set_line_width(cr, 0.8);
    cairo_stroke(cr);
    int k = 0;
    for (int i = 0; i < ns; i++) {
        if (!s[i].label)
            continue;
        double Y = by + pad + fs / 2 + k * row;
        const double *c = palette[i % 10];
        cairo_save(cr);
        cairo_set_source_rgb(cr, c[0], c[1], c[2]);
        cairo_set_line_width(cr, 2.2);
        if (s[i].dashed) {
            double d[2] = {6, 4};
            cairo_set_dash(cr, d, 2, 0);
        }
        cairo_move_to(cr, bx + pad, Y);
        cairo_line_to(cr, bx + pad + sample, Y);
        cairo_stroke(cr);
        cairo_restore(cr);
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        text_at(cr, bx + pad + sample + 6, Y, s[i].label, fs, AL_LEFT, 0);
        k++;
    }
}

static void draw_title(Fig *f, const char *title)
{
    if (!title)
        return;
    cairo_set_source_rgb(f->cr, 0.1, 0.1, 0.1);
    text_at(f->cr, f->W / 2, 24, title, 16, AL_CENTER, 1);
}

/* Left margin that fits p's y tick labels and label. */
static double left_margin(cairo_t *cr, const Panel *p, int has_ylabel)
{
    return 12 + (has_ylabel ? 20 : 0) + ylabel_width(cr, p, 12) + 10;
}

/* ---- public figures ---- */

int plot_lines(const char *path, const PlotAxes *ax, long n, const double *x, int ns,
               const PlotSeries *s)
{
    Fig f;
    if (n < 1 || ns < 0 || fig_open(&f, path, 880, 560))
        return n < 1 || ns < 0 ? (fprintf(stderr, "hycoc: error: plot '%s': no data\n", path), -1)
                               : -1;
    Panel p;
    double lo = 0, hi = 0, l2 = 0, h2 = 0;
    int any = data_range(x, n, ax->logx, &lo, &hi);
    axis_fit(&p.ax, ax->logx, any, lo, hi, 7);
    any = 0;
    for (int i = 0; i < ns; i++)
        if (data_range(s[i].y, n, ax->logy, &l2, &h2)) {
            lo = any && lo < l2 ? lo : l2;
            hi = any && hi > h2 ? hi : h2;
            any = 1;
        }
    axis_fit(&p.ay, ax->logy, any, lo, hi, 6);
    if (any && !ax->logy) {   /* a line on a (non-zero) limit would hide under the frame */
        double st = nice_step(p.ay.hi - p.ay.lo, 6);
        if (hi != 0 && hi >= p.ay.hi - 1e-9 * st)
            p.ay.hi += 0.5 * st;
        if (lo != 0 && lo <= p.ay.lo + 1e-9 * st)
            p.ay.lo -= 0.5 * st;
    }
    double top = ax->title ? 46 : 16, bottom = 62, right = 24;
    p.x = left_margin(f.cr, &p, ax->ylabel != NULL);
    p.y = top;
    p.w = f.W - p.x - right;
    p.h = f.H - top - bottom;
    draw_title(&f, ax->title);
    draw_axes(f.cr, &p, ax->xlabel, ax->ylabel, 1, 1);
    for (int i = 0; i < ns; i++)
        draw_series(f.cr, &p, n, x, s[i].y, palette[i % 10], s[i].dashed, 1.8);
    int labelled = 0;
    for (int i = 0; i < ns; i++)
        labelled += s[i].label != NULL;
    if (labelled > 1 || (labelled == 1 && ns > 1))
        draw_legend(f.cr, &p, ns, s, n, x);
    return fig_close(&f);
}

int plot_solution_1d(const char *path, const char *title, const char *xlabel, long n,
                     const double *x, const double *u, const char *ulabel, const double *ref,
                     const char *reflabel)
{
    if (n < 2) {
        fprintf(stderr, "hycoc: error: plot '%s': need at least 2 points\n", path);
        return -1;
    }
    Fig f;
    if (fig_open(&f, path, 880, ref ? 720 : 520))
        return -1;
    double *err = NULL;
    if (ref) {
        err = malloc(sizeof *err * (size_t)n);
        if (!err) {
            fprintf(stderr, "hycoc: error: out of memory (plot)\n");
            fig_close(&f);
            return -1;
        }
        for (long i = 0; i < n; i++)
            err[i] = fabs(u[i] - ref[i]);
    }
    Panel top, bot;
    double lo = 0, hi = 0, l2 = 0, h2 = 0;
    int any = data_range(x, n, 0, &lo, &hi);
    axis_fit(&top.ax, 0, any, lo, hi, 7);
    top.ax.lo = any ? lo : top.ax.lo;   /* the domain exactly */
    top.ax.hi = any && hi > lo ? hi : top.ax.hi;
    any = data_range(u, n, 0, &lo, &hi);
    if (ref && data_range(ref, n, 0, &l2, &h2)) {
        lo = any && lo < l2 ? lo : l2;
        hi = any && hi > h2 ? hi : h2;
        any = 1;
    }
    axis_fit(&top.ay, 0, any, lo, hi, 6);
    double t = title ? 46 : 16, right = 24, gap = 30;
    if (ref) {
        bot.ax = top.ax;
        any = data_range(err, n, 1, &lo, &hi);
        if (any && lo < hi * 1e-6)   /* an exact point (a hard boundary condition) would
                                      * stretch the axis over 16 decades */
            lo = hi * 1e-6;
        axis_fit(&bot.ay, 1, any, lo, hi, 5);
    }
    double lm = left_margin(f.cr, &top, 1);
    if (ref) {
        double lb = left_margin(f.cr, &bot, 1);
        lm = lb > lm ? lb : lm;
    }
    double avail = f.H - t - 62 - (ref ? gap : 0);
    top.x = lm;
    top.y = t;
    top.w = f.W - lm - right;
    top.h = ref ? avail * 0.62 : avail;
    draw_title(&f, title);
    draw_axes(f.cr, &top, xlabel, ulabel ? ulabel : "u", ref == NULL, 1);
    draw_series(f.cr, &top, n, x, u, palette[0], 0, 2.0);
    PlotSeries leg[2] = {{ulabel ? ulabel : "u", u, 0}, {reflabel ? reflabel : "reference", ref, 1}};
    if (ref) {
        draw_series(f.cr, &top, n, x, ref, palette[1], 1, 2.0);
        draw_legend(f.cr, &top, 2, leg, n, x);
        bot.x = lm;
        bot.y = top.y + top.h + gap;
        bot.w = top.w;
        bot.h = avail - top.h;
        draw_axes(f.cr, &bot, xlabel, "|error|", 1, 1);
        draw_series(f.cr, &bot, n, x, err, palette[2], 0, 1.6);
    }
    free(err);
    return fig_close(&f);
}

/* viridis at 9 evenly spaced stops, interpolated linearly */
static void viridis(double t, double rgb[3])
{
    static const double c[9][3] = {
        {0.267, 0.005, 0.329}, {0.279, 0.175, 0.483}, {0.230, 0.322, 0.546},
        {0.173, 0.449, 0.558}, {0.128, 0.567, 0.551}, {0.153, 0.680, 0.504},
        {0.361, 0.785, 0.388}, {0.667, 0.862, 0.196}, {0.993, 0.906, 0.144},
    };
    if (!(t >= 0))
        t = 0;
    if (t > 1)
        t = 1;
    double s = t * 8;
    int i = (int)s;
    if (i > 7)
        i = 7;
    double a = s - i;
    for (int k = 0; k < 3; k++)
        rgb[k] = c[i][k] + a * (c[i + 1][k] - c[i][k]);
}

int plot_heatmap(const char *path, const PlotAxes *ax, int nx, int ny, double x0, double x1,
                 double y0, double y1, const double *v, const char *cbar_label)
{
    if (nx < 2 || ny < 2 || !(x1 > x0) || !(y1 > y0)) {
        fprintf(stderr, "hycoc: error: plot '%s': a heat map needs a grid of at least 2 x 2 "
                        "over a non-empty box\n", path);
        return -1;
    }
    double lo = 0, hi = 0;
    int any = data_range(v, (long)nx * ny, 0, &lo, &hi);
    if (!any) {
        lo = 0;
        hi = 1;
    }
    if (hi == lo) {
        lo -= 0.5;
        hi += 0.5;
    }
    /* frame with the box's aspect ratio, within 0.5 .. 2 */
    double aspect = (x1 - x0) / (y1 - y0);
    aspect = aspect < 0.5 ? 0.5 : aspect > 2 ? 2 : aspect;
    double ph = 480, pw = ph * aspect;
    if (pw > 620) {
        pw = 620;
        ph = pw / aspect;
    }
    Panel p;
    p.ax = (Axis){x0, x1, 0};
    p.ay = (Axis){y0, y1, 0};
    Panel cb;   /* colour bar: its y axis is the value scale */
    cb.ax = (Axis){0, 1, 0};
    cb.ay = (Axis){lo, hi, 0};
    double top = ax->title ? 46 : 16;
    Fig f;
    /* measure on a scratch context for the margins */
    cairo_surface_t *ms = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1);
    cairo_t *mc = cairo_create(ms);
    cairo_select_font_face(mc, FONT, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    double lm = left_margin(mc, &p, ax->ylabel != NULL);
    double cbw = ylabel_width(mc, &cb, 12);
    cairo_destroy(mc);
    cairo_surface_destroy(ms);
    double W = lm + pw + 28 + 20 + 8 + cbw + (cbar_label ? 34 : 10) + 10;
    double H = top + ph + 62;
    if (fig_open(&f, path, W, H))
        return -1;
    p.x = lm;
    p.y = top;
    p.w = pw;
    p.h = ph;
    /* cells: value v[j][i] fills the cell centred on (x_i, y_j) */
    double dx = (x1 - x0) / (nx - 1), dy = (y1 - y0) / (ny - 1);
    cairo_save(f.cr);
    cairo_rectangle(f.cr, p.x, p.y, p.w, p.h);
    cairo_clip(f.cr);
    for (int j = 0; j < ny; j++)
        for (int i = 0; i < nx; i++) {
            double val = v[(long)j * nx + i], rgb[3];
            if (isfinite(val))
                viridis((val - lo) / (hi - lo), rgb);
            else
                rgb[0] = rgb[1] = rgb[2] = 0.85;
            double xa = px(&p, x0 + (i - 0.5) * dx), xb = px(&p, x0 + (i + 0.5) * dx);
            double ya = py(&p, y0 + (j + 0.5) * dy), yb = py(&p, y0 + (j - 0.5) * dy);
            cairo_set_source_rgb(f.cr, rgb[0], rgb[1], rgb[2]);
            /* overlap by a hair so no seams show between cells */
            cairo_rectangle(f.cr, xa - 0.25, ya - 0.25, xb - xa + 0.5, yb - ya + 0.5);
            cairo_fill(f.cr);
        }
    cairo_restore(f.cr);
    draw_title(&f, ax->title);
    draw_axes(f.cr, &p, ax->xlabel, ax->ylabel, 1, 0);   /* no grid over the colours */
    /* colour bar */
    cb.x = p.x + p.w + 28;
    cb.y = p.y;
    cb.w = 20;
    cb.h = p.h;
    int steps = 256;
    for (int k = 0; k < steps; k++) {
        double rgb[3];
        viridis((k + 0.5) / steps, rgb);
        cairo_set_source_rgb(f.cr, rgb[0], rgb[1], rgb[2]);
        double ya = cb.y + cb.h * (1.0 - (double)(k + 1) / steps);
        cairo_rectangle(f.cr, cb.x, ya - 0.25, cb.w, cb.h / steps + 0.5);
        cairo_fill(f.cr);
    }
    cairo_set_source_rgb(f.cr, 0.2, 0.2, 0.2);
    cairo_set_line_width(f.cr, 1.0);
    cairo_rectangle(f.cr, cb.x, cb.y, cb.w, cb.h);
    cairo_stroke(f.cr);
    double t[MAXTICK], m[MAXTICK], step;
    int nm, nt = ticks(&cb.ay, 6, t, m, &nm, &step);
    for (int i = 0; i < nt; i++) {
        if (t[i] < lo - 1e-12 * (hi - lo) || t[i] > hi + 1e-12 * (hi - lo))
            continue;
        double Y = py(&cb, t[i]);
        cairo_move_to(f.cr, cb.x + cb.w, Y);
        cairo_line_to(f.cr, cb.x + cb.w + 5, Y);
        cairo_stroke(f.cr);
        char b[64];
        fmt_tick(b, sizeof b, t[i], step);
        text_at(f.cr, cb.x + cb.w + 8, Y, b, 12, AL_LEFT, 0);
    }
    if (cbar_label) {
        cairo_save(f.cr);
        cairo_translate(f.cr, cb.x + cb.w + 8 + cbw + 18, cb.y + cb.h / 2);
        cairo_rotate(f.cr, -M_PI / 2);
        text_at(f.cr, 0, 0, cbar_label, 13, AL_CENTER, 0);
        cairo_restore(f.cr);
    }
    return fig_close(&f);
}

void plot_cleanup(void)
{
    cairo_debug_reset_static_data();
    FcFini();
}

int plot_prepare_dir(const char *dir)
{
    char buf[4096];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof buf) {
        fprintf(stderr, "hycoc: error: bad directory name '%s'\n", dir);
        return -1;
    }
    memcpy(buf, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != 0)
            continue;
        char keep = buf[i];
        buf[i] = 0;
        if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
            fprintf(stderr, "hycoc: error: cannot create directory '%s': %s\n", buf,
                    strerror(errno));
            return -1;
        }
        buf[i] = keep;
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "hycoc: error: output directory '%s' is not a directory\n", dir);
        return -1;
    }
    return 0;
}

int plot_run(const char *dir, const char *fmt, HyCtx *ctx)
{
    long nr;
    int nc;
    const double *h = hy_history(ctx, &nr, &nc);
    if (!h || nr < 1 || nc < 2)
        return 0;   /* nothing trained: no figure */
    double *x = malloc(sizeof *x * (size_t)nr * (size_t)nc);
    PlotSeries *s = calloc((size_t)nc, sizeof *s);
    char *path = malloc(strlen(dir) + 32);
    if (!x || !s || !path) {
        free(x);
        free(s);
        free(path);
        fprintf(stderr, "hycoc: error: out of memory (plots)\n");
        return -1;
    }
    /* columns out of the row-major history */
    for (int j = 0; j < nc; j++)
        for (long r = 0; r < nr; r++)
            x[(size_t)j * (size_t)nr + (size_t)r] = h[(size_t)r * (size_t)nc + (size_t)j];
    int nl = hy_history_losses(ctx);
    for (int j = 1; j <= nl && j < nc; j++) {
        s[j - 1].label = hy_history_column(ctx, j);
        s[j - 1].y = x + (size_t)j * (size_t)nr;
    }
    sprintf(path, "%s/losses.%s", dir, fmt);
    PlotAxes ax = {"Training losses", "epoch", "loss", 0, 1};
    int r = plot_lines(path, &ax, nr, x, nl < nc - 1 ? nl : nc - 1, s);
    /* tracked values: loss weights and learning rates (names with a dot: w.pde,
     * lr.n) in tracked.FMT, scalar params (track nu) in params.FMT */
    for (int pass = 0; r == 0 && pass < 2; pass++) {
        int nt = 0, pos = 1;
        double lo = HUGE_VAL, hi = -HUGE_VAL;
        for (int j = 1 + nl; j < nc; j++) {
            const char *name = hy_history_column(ctx, j);
            if ((strchr(name, '.') != NULL) != (pass == 0))
                continue;
            s[nt].label = name;
            s[nt].y = x + (size_t)j * (size_t)nr;
            for (long i = 0; i < nr; i++) {
                double v = s[nt].y[i];
                if (!isfinite(v)) continue;
                pos &= v > 0;
                lo = v < lo ? v : lo;
                hi = v > hi ? v : hi;
            }
            nt++;
        }
        if (nt == 0)
            continue;
        sprintf(path, "%s/%s.%s", dir, pass == 0 ? "tracked" : "params", fmt);
        /* log scale when every value is positive and they span two decades */
        PlotAxes tx = {pass == 0 ? "Tracked values" : "Parameters during training", "epoch",
                       pass == 0 ? "value" : nt == 1 ? s[0].label : "parameter value", 0,
                       pos && lo > 0 && hi > 100 * lo};
        r = plot_lines(path, &tx, nr, x, nt, s);
    }
    free(x);
    free(s);
    free(path);
    return r;
}

/* A name safe as a file name: letters, digits, '_', '-', '.' kept, others '_'. */
static void file_safe(char *dst, size_t n, const char *name)
{
    size_t i = 0;
    for (; name[i] && i + 1 < n; i++) {
        char ch = name[i];
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                 ch == '_' || ch == '-' || (ch == '.' && i > 0);
        dst[i] = ok ? ch : '_';
    }
    dst[i] = 0;
}

int plot_fields(const char *dir, const char *fmt, const FieldSet *fs)
{
    int r = 0;
    for (int j = 0; r == 0 && j < fs->ng; j++) {
        const FieldGroup *g = &fs->g[j];
        if (g->ncols == 0 || g->ninside < 2 || g->dim > 3)
            continue;
        double *buf = malloc(sizeof(double) * (size_t)g->n * 3);
        char *path = malloc(strlen(dir) + 160);
        if (!buf || !path) {
            free(buf);
            free(path);
            fprintf(stderr, "hycoc: error: out of memory (plots)\n");
            return -1;
        }
        for (int a = 0; r == 0 && a < g->ncols; a++) {
            if (g->exact[a] == -2)
                continue;
            const double *u = g->v[a], *ex = g->exact[a] >= 0 ? g->v[g->exact[a]] : NULL;
            char name[96], title[256];
            file_safe(name, sizeof name, g->names[a]);
            sprintf(path, "%s/%s.%s", dir, name, fmt);
            if (g->dim == 1) {   /* the points inside, in order */
                double *x = buf, *uu = buf + g->n, *ee = buf + 2 * g->n;
                long m = 0;
                for (long i = 0; i < g->n; i++)
                    if (g->inside[i]) {
                        x[m] = g->x[i];
                        uu[m] = u[i];
                        ee[m++] = ex ? ex[i] : 0;
                    }
                snprintf(title, sizeof title, "%s on %s%s", g->names[a], g->domain,
                         ex ? " against the exact solution" : "");
                r = plot_solution_1d(path, title, g->coords[0], m, x, uu, g->names[a], ex ? ee : NULL,
                                     "exact");
                continue;
            }
            /* 2-D: the grid; 3-D: its slice at the last coordinate's upper end */
            const long nx = g->counts[0], ny = g->counts[1], np = nx * ny;
            const long off = g->dim == 3 ? (long)(g->counts[2] - 1) * np : 0;
            const double x0 = g->x[0], x1 = g->x[nx - 1];
            const double y0 = g->x[g->n], y1 = g->x[g->n + (ny - 1) * nx];
            char slice[96] = "";
            if (g->dim == 3)
                snprintf(slice, sizeof slice, ", %s = %g", g->coords[2], g->x[2 * g->n + off]);
            double *v = buf;
            for (long i = 0; i < np; i++)
                v[i] = g->inside[off + i] ? u[off + i] : NAN;
            snprintf(title, sizeof title, "%s(%s, %s%s) on %s", g->names[a], g->coords[0], g->coords[1],
                     slice, g->domain);
            PlotAxes ax = {title, g->coords[0], g->coords[1], 0, 0};
            r = plot_heatmap(path, &ax, (int)nx, (int)ny, x0, x1, y0, y1, v, g->names[a]);
            if (r == 0 && ex) {
                for (long i = 0; i < np; i++)
                    v[i] = g->inside[off + i] ? fabs(u[off + i] - ex[off + i]) : NAN;
                sprintf(path, "%s/%s_error.%s", dir, name, fmt);
                snprintf(title, sizeof title, "|%s - exact|%s%s%s on %s", g->names[a], *slice ? " (" : "",
                         *slice ? slice + 2 : "", *slice ? ")" : "", g->domain);
                r = plot_heatmap(path, &ax, (int)nx, (int)ny, x0, x1, y0, y1, v, "|error|");
            }
        }
        free(buf);
        free(path);
    }
    return r;
}
