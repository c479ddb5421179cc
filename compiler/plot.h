/* plot.h -- figures of a run (cairo): line plots, 1-D solution against a
 * reference, 2-D heat maps.
 *
 * Every function takes plain arrays and titles, draws one figure and writes
 * it to path: SVG when path ends in ".svg", else PNG.  Files are written to a
 * temporary beside path and renamed over it.  Each returns 0, or -1 after
 * printing "hycoc: error: ..." to stderr.  Non-finite values are skipped (a
 * line breaks there); on a logarithmic axis so are values <= 0.
 */
#ifndef HYCOC_PLOT_H
#define HYCOC_PLOT_H

#include "hyrt.h"

typedef struct PlotSeries {
    const char *label;      /* legend text (NULL: not in the legend) */
    const double *y;        /* n values, one per x */
    int dashed;             /* drawn dashed (a reference, an exact solution) */
} PlotSeries;

typedef struct PlotAxes {
    const char *title;
    const char *xlabel, *ylabel;
    int logx, logy;         /* logarithmic axis (decades labelled 10^k) */
} PlotAxes;

/* Line plot of ns series over the same n abscissae x (n >= 1), with a legend
 * when more than one series has a label. */
int plot_lines(const char *path, const PlotAxes *ax, long n, const double *x, int ns,
               const PlotSeries *s);

/* 1-D solution figure: top panel u and the reference (dashed) against x,
 * bottom panel |u - ref| on a log scale.  ref may be NULL (top panel only). */
int plot_solution_1d(const char *path, const char *title, const char *xlabel, long n,
                     const double *x, const double *u, const char *ulabel, const double *ref,
                     const char *reflabel);

/* Heat map of a field on a regular nx x ny grid (nx, ny >= 2) over
 * [x0, x1] x [y0, y1]: v[j * nx + i] is the value at x_i, y_j (j = 0 at the
 * bottom).  Colour scale viridis with a labelled colour bar. */
int plot_heatmap(const char *path, const PlotAxes *ax, int nx, int ny, double x0, double x1,
                 double y0, double y1, const double *v, const char *cbar_label);

/* Releases the caches of cairo and fontconfig (leak checkers see no
 * leaks); call once after the last figure, with no cairo object alive. */
void plot_cleanup(void);

/* Creates dir (and its parents) if missing.  0, or -1 after a message. */
int plot_prepare_dir(const char *dir);

/* The figures of a finished run into dir, format "png" or "svg":
 * losses.FMT (every loss of the history, log scale); when the run tracks
 * loss weights or learning rates (w.pde, lr.n), tracked.FMT; when it tracks
 * scalar params (track nu), params.FMT, their trajectories (each log scale
 * when all its values are positive and span two decades).  0, or -1. */
int plot_run(const char *dir, const char *fmt, HyCtx *ctx);

/* The figures of the fields of a run (fields.h) into dir: for each column
 * that is not itself an exact solution, of a 1-D group DIR/NAME.FMT, the
 * solution against its exact solution (when known) with the pointwise
 * error; of a 2-D group a heat map DIR/NAME.FMT (points outside the domain
 * grey) and, with an exact solution, DIR/NAME_error.FMT of |NAME - exact|;
 * of a 3-D group the same heat maps of the slice where the last coordinate
 * (time, in a space-time domain) is at its upper end.  Groups of 4 or more
 * coordinates get no figure.  0, or -1. */
struct FieldSet;
int plot_fields(const char *dir, const char *fmt, const struct FieldSet *fs);

#endif
