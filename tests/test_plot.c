/* test_plot.c -- the plotting module (compiler/plot.c) on synthetic data.
 *
 * Each figure is written, read back with cairo, and checked on its pixels:
 * valid PNG of the documented size, series drawn in their colours, a log
 * axis that maps a geometric sequence to a straight line, a heat map whose
 * colours follow the field (low on one side, high on the other), SVG output,
 * and errors for unwritable paths and empty data.
 *   test_plot                 run the checks (KEEP=DIR keeps the figures in DIR)
 *   test_plot --read FILE...  check that each FILE is a PNG cairo can read, at
 *                             least 300 x 200 pixels, with at least 1 % of its
 *                             pixels not white
 *   test_plot --heat FILE...  the same, and at least 25 % of the pixels in
 *                             colour (a heat map fills its frame)
 */
#include <cairo/cairo.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "plot.h"
#include "tap.h"

static char dir[512];

static const char *path_of(const char *name)
{
    static char buf[8][600];
    static int k;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

static int png_magic(const char *path)
{
    static const unsigned char magic[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    unsigned char b[8] = {0};
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    size_t n = fread(b, 1, 8, f);
    fclose(f);
    return n == 8 && memcmp(b, magic, 8) == 0;
}

/* Reads a PNG; NULL unless cairo decodes it. */
static cairo_surface_t *load(const char *path)
{
    cairo_surface_t *s = cairo_image_surface_create_from_png(path);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(s);
        return NULL;
    }
    cairo_surface_flush(s);
    return s;
}

static void pixel(cairo_surface_t *s, int x, int y, double rgb[3])
{
    const unsigned char *d = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    uint32_t v;
    memcpy(&v, d + (size_t)y * (size_t)stride + (size_t)x * 4, 4);
    rgb[0] = ((v >> 16) & 255) / 255.0;
    rgb[1] = ((v >> 8) & 255) / 255.0;
    rgb[2] = (v & 255) / 255.0;
}

static int near(const double a[3], const double b[3], double tol)
{
    return fabs(a[0] - b[0]) < tol && fabs(a[1] - b[1]) < tol && fabs(a[2] - b[2]) < tol;
}

/* Count and centroid of the pixels within tol of colour c. */
static long find_colour(cairo_surface_t *s, const double c[3], double tol, double *mx, double *my)
{
    int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
    long n = 0;
    double sx = 0, sy = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            double p[3];
            pixel(s, x, y, p);
            if (near(p, c, tol)) {
                n++;
                sx += x;
                sy += y;
            }
        }
    if (mx)
        *mx = n ? sx / n : 0;
    if (my)
        *my = n ? sy / n : 0;
    return n;
}

static const double blue[3] = {0.306, 0.475, 0.655}, orange[3] = {0.949, 0.557, 0.169};
static const double purple[3] = {0.267, 0.005, 0.329}, yellow[3] = {0.993, 0.906, 0.144};

static void test_lines(void)
{
    enum { N = 400 };
    double x[N], a[N], b[N], c[N];
    for (int i = 0; i < N; i++) {
        x[i] = i + 1;
        a[i] = pow(10.0, -4.0 * i / (N - 1));          /* straight on a log axis */
        b[i] = 0.5 + 0.3 * sin(i * 0.05);
        c[i] = i == 100 ? NAN : i == 200 ? -1.0 : 1e-2 * exp(-i * 0.01);   /* skipped points */
    }
    PlotSeries s[3] = {{"decay", a, 0}, {"wave", b, 0}, {"with gaps", c, 1}};
    PlotAxes ax = {"Synthetic losses", "epoch", "loss", 0, 1};
    const char *p = path_of("lines.png");
    int r = plot_lines(p, &ax, N, x, 3, s);
    tap_check(r == 0, "plot/lines/written", "plot_lines returned %d", r);
    tap_check(png_magic(p), "plot/lines/png-magic", "%s does not start with the PNG signature", p);
    cairo_surface_t *img = load(p);
    tap_check(img != NULL, "plot/lines/cairo-reads", "cairo cannot read %s", p);
    if (!img)
        return;
    int w = cairo_image_surface_get_width(img), h = cairo_image_surface_get_height(img);
    tap_check(w == 1100 && h == 700, "plot/lines/size", "%d x %d, want 1100 x 700", w, h);
    long nb = find_colour(img, blue, 0.06, NULL, NULL);
    long no = find_colour(img, orange, 0.06, NULL, NULL);
    tap_check(nb > 500 && no > 500, "plot/lines/series-drawn", "blue %ld, orange %ld pixels", nb, no);
    /* The blue series (10^(-4t)) must be a straight line on the log axis:
     * the centre of its pixels in each column it crosses (alone) against the
     * column; a least-squares line, refitted without the columns further
     * than 8 px from it (stray antialiased pixels of other elements), must
     * keep 97 % of them within 2 px. */
    static double cx[4096], cy[4096];
    long n = 0;
    for (int X = 0; X < w && n < 4096; X++) {
        double acc = 0;
        int cnt = 0, ylo = h, yhi = -1;
        for (int Y = 0; Y < h; Y++) {
            double q[3];
            pixel(img, X, Y, q);
            if (near(q, blue, 0.04)) {
                acc += Y;
                cnt++;
                ylo = Y < ylo ? Y : ylo;
                yhi = Y > yhi ? Y : yhi;
            }
        }
        if (cnt >= 1 && yhi - ylo <= 8) {   /* not also the legend's sample */
            cx[n] = X;
            cy[n] = acc / cnt;
            n++;
        }
    }
    double fa = 0, fb = 0, lim = 1e30;
    long kept = 0, close = 0;
    for (int pass = 0; pass < 2; pass++) {
        double sx = 0, sy = 0, sxx = 0, sxy = 0;
        kept = 0;
        for (long i = 0; i < n; i++)
            if (fabs(cy[i] - (fa + fb * cx[i])) <= lim) {
                sx += cx[i]; sy += cy[i]; sxx += cx[i] * cx[i]; sxy += cx[i] * cy[i];
                kept++;
            }
        if (kept < 2)
            break;
        fb = (kept * sxy - sx * sy) / (kept * sxx - sx * sx);
        fa = (sy - fb * sx) / kept;
        lim = 8;
    }
    for (long i = 0; i < n; i++)
        close += fabs(cy[i] - (fa + fb * cx[i])) <= 2.0;
    tap_check(n > 300 && close >= 0.97 * n, "plot/lines/log-axis-straight",
              "%ld columns, %ld within 2 px of a line (want 97 %%)", n, close);
    cairo_surface_destroy(img);

    /* linear axes, one series: valid too */
    PlotAxes lin = {"One series", "x", "y", 0, 0};
    r = plot_lines(path_of("linear.png"), &lin, N, x, 1, s + 1);
    tap_check(r == 0 && png_magic(path_of("linear.png")), "plot/lines/linear", "returned %d", r);
    /* all values invalid on a log axis: still a figure (empty axes) */
    double bad[N];
    for (int i = 0; i < N; i++)
        bad[i] = -1;
    PlotSeries sb = {"negative", bad, 0};
    r = plot_lines(path_of("empty.png"), &ax, N, x, 1, &sb);
    tap_check(r == 0 && png_magic(path_of("empty.png")), "plot/lines/no-valid-values", "returned %d", r);
}

static void test_solution(void)
{
    enum { N = 201 };
    double x[N], u[N], ex[N];
    for (int i = 0; i < N; i++) {
        x[i] = (double)i / (N - 1);
        ex[i] = sin(M_PI * x[i]);
        u[i] = ex[i] + 1e-3 * sin(7 * M_PI * x[i]) * x[i];
    }
    const char *p = path_of("solution.png");
    int r = plot_solution_1d(p, "u_phy against sin(pi x)", "x", N, x, u, "u_phy", ex, "exact");
    tap_check(r == 0, "plot/solution/written", "returned %d", r);
    cairo_surface_t *img = load(p);
    tap_check(img && cairo_image_surface_get_height(img) == 900, "plot/solution/two-panels",
              "height %d, want 900", img ? cairo_image_surface_get_height(img) : -1);
    if (img) {
        double bx, by, ox, oy;
        long nb = find_colour(img, blue, 0.06, &bx, &by);
        long no = find_colour(img, orange, 0.06, &ox, &oy);
        tap_check(nb > 300 && no > 100, "plot/solution/curves", "u %ld, exact %ld pixels", nb, no);
        cairo_surface_destroy(img);
    }
    r = plot_solution_1d(path_of("solution_only.png"), NULL, "x", N, x, u, NULL, NULL, NULL);
    img = r == 0 ? load(path_of("solution_only.png")) : NULL;
    tap_check(img && cairo_image_surface_get_height(img) == 650, "plot/solution/no-reference",
              "returned %d", r);
    if (img)
        cairo_surface_destroy(img);
}

/* Heat map of v = f(x, y); returns the image or NULL. */
static cairo_surface_t *heat(const char *name, int which)
{
    enum { NX = 41, NY = 31 };
    static double v[NX * NY];
    for (int j = 0; j < NY; j++)
        for (int i = 0; i < NX; i++) {
            double x = 2.0 * i / (NX - 1), y = (double)j / (NY - 1);
            v[j * NX + i] = which == 0 ? x : which == 1 ? y : sin(M_PI * x / 2) * sin(M_PI * y);
        }
    PlotAxes ax = {which == 2 ? "sin(pi x / 2) sin(pi y)" : "ramp", "x", "y", 0, 0};
    if (plot_heatmap(path_of(name), &ax, NX, NY, 0, 2, 0, 1, v, "u") != 0)
        return NULL;
    return load(path_of(name));
}

static void test_heatmap(void)
{
    double px_, py_, yx, yy;
    cairo_surface_t *img = heat("heat_x.png", 0);
    tap_check(img != NULL, "plot/heat/written", "no image");
    if (img) {
        long np = find_colour(img, purple, 0.05, &px_, &py_);
        long ny = find_colour(img, yellow, 0.05, &yx, &yy);
        tap_check(np > 400 && ny > 400 && px_ + 100 < yx, "plot/heat/follows-x",
                  "low %ld px at x %.0f, high %ld px at x %.0f", np, px_, ny, yx);
        cairo_surface_destroy(img);
    }
    img = heat("heat_y.png", 1);
    if (img) {
        long np = find_colour(img, purple, 0.05, &px_, &py_);
        long ny = find_colour(img, yellow, 0.05, &yx, &yy);
        tap_check(np > 400 && ny > 400 && yy + 100 < py_, "plot/heat/follows-y",
                  "low %ld px at y %.0f, high %ld px at y %.0f (high must be above)", np, py_, ny, yy);
        cairo_surface_destroy(img);
    } else {
        tap_check(0, "plot/heat/follows-y", "no image");
    }
    img = heat("heat_field.png", 2);
    tap_check(img != NULL, "plot/heat/field", "no image");
    if (img)
        cairo_surface_destroy(img);
    double v[4] = {0, 1, 2, 3};
    PlotAxes ax = {NULL, NULL, NULL, 0, 0};
    int r = plot_heatmap(path_of("bad.png"), &ax, 1, 4, 0, 1, 0, 1, v, NULL);
    tap_check(r == -1, "plot/heat/rejects-1-column", "returned %d", r);
}

static void test_svg_and_errors(void)
{
    double x[3] = {1, 2, 3}, y[3] = {1, 0.1, 0.01};
    PlotSeries s = {"l", y, 0};
    PlotAxes ax = {"svg", "epoch", "loss", 0, 1};
    const char *p = path_of("lines.svg");
    int r = plot_lines(p, &ax, 3, x, 1, &s);
    char head[256] = {0};
    FILE *f = fopen(p, "rb");
    if (f) {
        size_t n = fread(head, 1, sizeof head - 1, f);
        head[n] = 0;
        fclose(f);
    }
    tap_check(r == 0 && strstr(head, "<svg") != NULL, "plot/svg", "returned %d; head '%.40s'", r, head);
    r = plot_lines("/nonexistent-dir/x/y.png", &ax, 3, x, 1, &s);
    tap_check(r == -1, "plot/error/unwritable", "returned %d", r);
    r = plot_lines(path_of("none.png"), &ax, 0, x, 1, &s);
    tap_check(r == -1, "plot/error/no-data", "returned %d", r);
    /* no temporary files left behind */
    char cmd[700];
    snprintf(cmd, sizeof cmd, "ls '%s' | grep -c '\\.png\\.\\|\\.svg\\.' > /dev/null", dir);
    tap_check(system(cmd) != 0, "plot/no-temporaries", "temporary files left in %s", dir);
}

static void test_prepare_dir(void)
{
    const char *p = path_of("a/b/c");
    tap_check(plot_prepare_dir(p) == 0, "plot/dir/create", "cannot create %s", p);
    struct stat st;
    tap_check(stat(p, &st) == 0 && S_ISDIR(st.st_mode), "plot/dir/exists", "%s missing", p);
    tap_check(plot_prepare_dir(path_of("lines.png")) == -1, "plot/dir/file-is-not-dir", "accepted a file");
}

int main(int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "--read") == 0 || strcmp(argv[1], "--heat") == 0)) {
        int heat = argv[1][2] == 'h';
        for (int i = 2; i < argc; i++) {
            cairo_surface_t *s = png_magic(argv[i]) ? load(argv[i]) : NULL;
            int w = s ? cairo_image_surface_get_width(s) : 0, h = s ? cairo_image_surface_get_height(s) : 0;
            long ink = 0, colour = 0;   /* pixels not white; saturated pixels (a colour map) */
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) {
                    double c[3];
                    pixel(s, x, y, c);
                    double mx = fmax(c[0], fmax(c[1], c[2])), mn = fmin(c[0], fmin(c[1], c[2]));
                    ink += mn < 0.95;
                    colour += mx - mn > 0.15;
                }
            double area = (double)w * h;
            tap_check(s != NULL, argv[i], "not a PNG that cairo reads");
            tap_check(w >= 300 && h >= 200, argv[i], "%d x %d pixels: too small for a figure", w, h);
            tap_check(area > 0 && ink >= 0.01 * area, argv[i], "blank: %ld of %.0f pixels drawn", ink, area);
            tap_check(!heat || (area > 0 && colour >= 0.25 * area), argv[i],
                      "no heat map: %ld of %.0f pixels in colour", colour, area);
            if (s)
                cairo_surface_destroy(s);
        }
        plot_cleanup();
        return tap_exit();
    }
    const char *keep = getenv("KEEP");
    if (keep && *keep) {
        snprintf(dir, sizeof dir, "%s", keep);
        mkdir(dir, 0777);
    } else {
        snprintf(dir, sizeof dir, "/tmp/hy_plot_XXXXXX");
        if (!mkdtemp(dir)) {
            tap_check(0, "plot/tmpdir", "mkdtemp failed");
            return tap_exit();
        }
    }
    test_lines();
    test_solution();
    test_heatmap();
    test_svg_and_errors();
    test_prepare_dir();
    plot_cleanup();
    if (!(keep && *keep)) {
        char cmd[700];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", dir);
    }
    return tap_exit();
}
