/* test_grad.c -- derivative checks of the whole pipeline against finite
 * differences, and the structural guarantees of substeps.
 *
 * Input derivatives: every op and every activation, orders 1 and 2, mixed in
 * 2-D, are written in the language itself and compared with central finite
 * differences of the same expression evaluated at shifted points (both sides
 * go through parse -> sema -> diff -> emit -> libtcc -> runtime).
 *   first order:  h = 1e-5, tolerance 1e-6 * (1 + max|f'|)
 *   second order: h = 1e-3, tolerance 1e-4 * (1 + max|f''|)
 * Parameter gradients: substep gradients (reverse mode + jet backward) vs
 * central differences of the loss in each perturbed parameter, h = 1e-6,
 * tolerance 1e-5 relative + 1e-8 absolute.
 */
#include <stdlib.h>
#include <string.h>
#include "tap.h"
#include "ir.h"
#include "hyrt.h"

typedef struct Built {
    Comp *c;
    HyCtx *ctx;
    void *jit;
    char *diag_text;
    size_t diag_len;
    FILE *diag;
} Built;

static int build(Built *b, const char *src)
{
    memset(b, 0, sizeof *b);
    b->diag = open_memstream(&b->diag_text, &b->diag_len);
    b->c = comp_new("test.hyco", src, strlen(src), b->diag);
    if (comp_front(b->c)) { fflush(b->diag); return 1; }
    b->ctx = hy_ctx_new();
    hy_set_quiet(b->ctx, 1);
    return comp_jit(b->c, b->ctx, &b->jit, NULL);
}

static void unbuild(Built *b);

/* Builds src; on failure records check `name` as failed with the
 * diagnostics, releases everything and returns 0. */
static int build_checked(Built *b, const char *src, const char *name)
{
    if (build(b, src) == 0) return 1;
    tap_check(0, name, "did not compile: %.*s", (int)b->diag_len, b->diag_text ? b->diag_text : "");
    unbuild(b);
    return 0;
}

static void unbuild(Built *b)
{
    if (b->ctx) hy_ctx_free(b->ctx);
    jit_free(b->jit);
    comp_free(b->c);
    fclose(b->diag);
    free(b->diag_text);
}

/* Each expression is checked as g(x) on [0.2, 0.8]: first and second
 * derivative vs finite differences. */
static const char *const exprs1d[] = {
    "sin(3*x) * cos(x)", "exp(-x^2) / (1 + x)", "log(1 + x^2) - tanh(2*x)", "sqrt(1 + x) * abs(x - 0.05)",
    "x^2.5 + x^x", "-(x * x * x) / (2 - x)", "sinh(x) + cosh(2*x)", "stop(sin(x)) * x",
    "tan(x) + atan(3*x - 1)", "asin(x - 0.1) * acos(0.9 - x)", "sign(x - 0.53) * x^2",
    /* atan2 in all four quadrants (y = +-(x^2 + 0.1), x = +-(1.2 - x)) */
    "atan2(x^2 + 0.1, 1.2 - x) + atan2(-x^2 - 0.1, 1.2 - x) + atan2(x^2 + 0.1, x - 1.2) * atan2(-x^2 - 0.1, x - 1.2)",
    "atan(n_tanh(x)) + atan2(n_sin(x), 1 + x) + asin(0.5 * n_tanh(x))",
    "n_tanh(x)", "n_sin(x)", "n_gelu(x)", "n_softplus(x)", "n_sigmoid(x)", "n_swish(x)",
    "n_tanh(2*x + x^2) * x * (1 - x)", "sin(n_tanh(x)) + exp(n_sin(x^2))",
    /* piecewise: every kink lies between sample points, farther than h2 */
    "where(x < 0.53, sin(3*x), x^2) + min(x, 0.41) * max(x^2, 0.3)",
    "where(n_tanh(x) >= 0.1 * x, n_tanh(x), exp(x)) - where(x > 0.63, 1, 2) * x",
};

static const char *const prelude1d =
    "seed 3\n"
    "domain line = interval(x: 0 .. 1)\n"
    "points pts = linspace(0.2, 0.8, 13) in line\n"
    "net n_tanh = mlp(1 -> 1, width 8, depth 2, tanh)\n"
    "net n_sin = mlp(1 -> 1, width 8, depth 2, sin)\n"
    "net n_gelu = mlp(1 -> 1, width 8, depth 2, gelu)\n"
    "net n_softplus = mlp(1 -> 1, width 8, depth 2, softplus)\n"
    "net n_sigmoid = mlp(1 -> 1, width 8, depth 2, sigmoid)\n"
    "net n_swish = mlp(1 -> 1, width 8, depth 2, swish)\n"
    "const h1 = 1e-5\n"
    "const h2 = 1e-3\n";

static void check_1d(void)
{
    for (size_t i = 0; i < sizeof exprs1d / sizeof exprs1d[0]; i++) {
        char src[4096];
        snprintf(src, sizeof src,
                 "%slet g(x) = %s\n"
                 "expect max(abs(dx(g) - (g(x + h1) - g(x - h1)) / (2*h1))) over pts < 1\n"
                 "expect max(abs(dx(g))) over pts < 1e300\n"
                 "expect max(abs(dxx(g) - (g(x + h2) - 2*g(x) + g(x - h2)) / h2^2)) over pts < 1\n"
                 "expect max(abs(dxx(g))) over pts < 1e300\n",
                 prelude1d, exprs1d[i]);
        Built b;
        char name[160];
        snprintf(name, sizeof name, "grad/input/%s", exprs1d[i]);
        if (!build_checked(&b, src, name)) continue;
        double e1 = hy_expect_value(b.ctx, 0), s1 = hy_expect_value(b.ctx, 1);
        double e2 = hy_expect_value(b.ctx, 2), s2 = hy_expect_value(b.ctx, 3);
        tap_check(e1 <= 1e-6 * (1 + s1) && e2 <= 1e-4 * (1 + s2), name,
                  "first-order error %.3g (scale %.3g), second-order error %.3g (scale %.3g)", e1, s1, e2, s2);
        unbuild(&b);
    }
}

/* Mixed and pure second derivatives in 2-D, through networks of each kind. */
static void check_2d(void)
{
    /* every activation on the plain MLP, then the other network kinds */
    static const char *const nets[] = {
        "mlp(2 -> 1, width 8, depth 3, tanh)", "mlp(2 -> 1, width 8, depth 3, sin)",
        "mlp(2 -> 1, width 8, depth 3, gelu)", "mlp(2 -> 1, width 8, depth 3, softplus)",
        "mlp(2 -> 1, width 8, depth 3, sigmoid)", "mlp(2 -> 1, width 8, depth 3, swish)",
        "modified_mlp(2 -> 1, width 8, depth 3, tanh, normalize sq)",
        "resnet(2 -> 1, width 8, depth 3, sin, init glorot_uniform)",
        "mlp(2 -> 1, width 8, depth 2, tanh, fourier 4, scale 0.2, init he_normal)",
    };
    static const char *const acts[] = {"tanh", "sin", "gelu", "softplus", "sigmoid", "swish", "modified", "resnet",
                                       "fourier"};
    for (size_t a = 0; a < sizeof acts / sizeof acts[0]; a++) {
        char src[4096];
        snprintf(src, sizeof src,
                 "seed 5\n"
                 "domain sq = rect(x: 0 .. 1, y: 0 .. 1, mesh 0.25)\n"
                 "net n = %s\n"
                 "const h = 1e-3\n"
                 "let g(x, y) = n(x, x*y) * (1 + y)\n"
                 "expect max(abs(d(g, x, y) - (g(x+h, y+h) - g(x+h, y-h) - g(x-h, y+h) + g(x-h, y-h)) / (4*h^2))) over sq < 1\n"
                 "expect max(abs(d(g, x, y))) over sq < 1e300\n"
                 "expect max(abs(lap(g) - (g(x+h, y) + g(x-h, y) + g(x, y+h) + g(x, y-h) - 4*g(x, y)) / h^2)) over sq < 1\n"
                 "expect max(abs(lap(g))) over sq < 1e300\n"
                 "expect max(abs(dy(g) - (g(x, y+1e-5) - g(x, y-1e-5)) / 2e-5)) over sq < 1\n"
                 "expect max(abs(dy(g))) over sq < 1e300\n",
                 nets[a]);
        Built b;
        char name[96];
        snprintf(name, sizeof name, "grad/input2d/%s", acts[a]);
        if (!build_checked(&b, src, name)) continue;
        double m = hy_expect_value(b.ctx, 0), ms = hy_expect_value(b.ctx, 1);
        double l = hy_expect_value(b.ctx, 2), ls = hy_expect_value(b.ctx, 3);
        double f = hy_expect_value(b.ctx, 4), fs = hy_expect_value(b.ctx, 5);
        tap_check(m <= 1e-4 * (1 + ms) && l <= 1e-4 * (1 + ls) && f <= 1e-6 * (1 + fs), name,
                  "mixed %.3g (scale %.3g), laplacian %.3g (scale %.3g), first %.3g (scale %.3g)", m, ms, l, ls, f, fs);
        unbuild(&b);
    }
}

/* Reverse-mode gradients of substep 0 vs central differences. */
static void check_params(const char *name, const char *src, int nprobe)
{
    Built b;
    if (!build_checked(&b, src, name)) return;
    long np = hy_total_params(b.ctx);
    double *P = hy_params(b.ctx);
    hy_substep_eval(b.ctx, 0);
    double *g = malloc((size_t)np * sizeof *g);
    memcpy(g, hy_grads(b.ctx), (size_t)np * sizeof *g);
    double worst = 0;
    long worst_j = -1;
    double wg = 0, wf = 0;
    for (int q = 0; q < nprobe && q < np; q++) {
        long j = nprobe >= np ? q : (long)(hy_rng_u64(7, 1, (uint64_t)q) % (uint64_t)np);
        double keep = P[j], h = 1e-6;
        P[j] = keep + h;
        double lp = hy_substep_eval(b.ctx, 0);
        P[j] = keep - h;
        double lm = hy_substep_eval(b.ctx, 0);
        P[j] = keep;
        double fd = (lp - lm) / (2 * h);
        double err = fabs(fd - g[j]) / (1e-8 + 1e-5 * fmax(fabs(fd), fabs(g[j])));
        if (err > worst) { worst = err; worst_j = j; wg = g[j]; wf = fd; }
    }
    tap_check(worst <= 1, name, "parameter %ld: reverse mode %.10g vs finite difference %.10g", worst_j, wg, wf);
    free(g);
    unbuild(&b);
}

static void check_param_grads(void)
{
    check_params("grad/params/every-op",
                 "seed 1\n"
                 "domain line = interval(x: 0 .. 1, mesh 0.1)\n"
                 "net n = mlp(1 -> 1, width 6, depth 2, tanh)\n"
                 "param k = 0.7\n"
                 "field u(x) = n(x) * x * (1 - x) + k * x\n"
                 "loss a = mean(sin(u) + cos(2*u) * exp(u/3) + log(2 + u*u) + tanh(u) + sqrt(1 + u^2) + abs(u - 0.1))"
                 " over line\n"
                 "loss b = mse(u^3 / (1.5 + u) - k * x^2 + (1 + u)^k) over line\n"
                 "loss c = (max(u * u) + sum(u) / 100) over line\n"
                 "loss p = mean(where(u > 0.05, u^2, -u) + max(u, 0.02) * min(u, k)) over line\n"
                 "train 1 epochs { step a, b, c, p }\n",
                 200);
    check_params("grad/params/inverse-trig-vector",
                 "seed 2\n"
                 "domain line = interval(x: 0 .. 1, mesh 0.1)\n"
                 "net n = mlp(1 -> 1, width 6, depth 2, tanh)\n"
                 "param A = [0.7, -0.3, 1.5] in [[0, -1, 1], [1, 1, 2]]\n"
                 "field u(x) = n(x) * x * (1 - x) + A[0] * x + A[1]\n"
                 "loss a = mean(atan(u) + asin(u / 4) + acos(u / 5) + tan(u / 2) + atan2(u, A[2] + x)"
                 " + atan2(-1 - x, u - A[2])) over line\n"
                 "loss b = mse(dx(u) * atan(dxx(u)) + atan2(dx(u), 2)) over line\n"
                 "train 1 epochs { step a, b }\n",
                 200);
    check_params("grad/params/sim-vector-atan",
                 "seed 3\n"
                 "grid g = periodic(x: 0 .. 2, n 32)\n"
                 "param P = [0.05, 1.3, 0.4]\n"
                 "sim s on g {\n"
                 "    state u = -sin(pi*x)\n"
                 "    step rk4 dt 1e-2 save every 5 steps 20\n"
                 "    dt(u) = P[0] * dxx(u) - atan2(u, P[1]) * dx(u) + P[2] * asin(u / 2) * 0.1 - 0.1 * atan(P[2] * u)\n"
                 "}\n"
                 "loss l = mean((s.u - 0.3 * sin(pi*x))^2) over s\n"
                 "train 1 epochs { step l }\n",
                 200);
    check_params("grad/params/multi-output",
                 "seed 6\n"
                 "domain sq = rect(x: 0 .. 1, y: 0 .. 1, mesh 0.25)\n"
                 "net uvp = mlp(2 -> 3, width 6, depth 2, tanh, outputs u v p)\n"
                 "loss mom = mse(uvp.u * dx(uvp.u) + uvp.v * dy(uvp.u) + dx(uvp.p) - 0.1 * lap(uvp.u)) over sq\n"
                 "loss dv = mse(dx(uvp.u) + dy(uvp(x, y).v) + d(uvp.p, x, y) * uvp.p) over sq\n"
                 "train 1 epochs { step mom, dv }\n",
                 200);
    check_params("grad/params/net-kinds",
                 "seed 7\n"
                 "domain sq = rect(x: 0 .. 1, t: 0 .. 1, mesh 0.25)\n"
                 "net a = modified_mlp(2 -> 1, width 6, depth 2, tanh, normalize sq)\n"
                 "net b = resnet(2 -> 2, width 6, depth 3, sin, outputs p q)\n"
                 "net f = mlp(2 -> 1, width 6, depth 2, tanh, fourier 3, scale 0.3)\n"
                 "loss r = mse(dt(a) + a * dx(b.p) - 0.1 * dxx(f) + d(b.q, x, t) * f) over sq\n"
                 "train 1 epochs { step r }\n",
                 400);
    check_params("grad/params/jets-order2",
                 "seed 2\n"
                 "domain line = interval(x: 0 .. 1, mesh 0.05)\n"
                 "net n = mlp(1 -> 1, width 8, depth 3, tanh)\n"
                 "param k = 0.3\n"
                 "field u(x) = n(x) * x * (1 - x)\n"
                 "loss pde = mse(dxx(u) + k * dx(u) * u + pi^2 * sin(pi*x)) over line\n"
                 "train 1 epochs { step pde }\n",
                 300);
    static const char *const acts[] = {"tanh", "sin", "gelu", "softplus", "sigmoid", "swish"};
    for (size_t a = 0; a < sizeof acts / sizeof acts[0]; a++) {
        char src[2048], name[96];
        snprintf(src, sizeof src,
                 "seed 4\n"
                 "domain sq = rect(x: 0 .. 1, t: 0 .. 1, mesh 0.25)\n"
                 "net n = mlp(2 -> 1, width 6, depth 2, %s)\n"
                 "loss pde = mse(dt(n) + n * dx(n) - 0.1 * dxx(n) + d(n, x, t)) over sq\n"
                 "train 1 epochs { step pde }\n", acts[a]);
        snprintf(name, sizeof name, "grad/params/2d-%s", acts[a]);
        check_params(name, src, 100);
    }
    /* A network whose input depends on another trainable: gradient flows
     * through the jet's input adjoint. */
    check_params("grad/params/net-of-net",
                 "seed 6\n"
                 "domain line = interval(x: 0 .. 1, mesh 0.1)\n"
                 "net a = mlp(1 -> 1, width 5, depth 2, tanh)\n"
                 "net b = mlp(1 -> 1, width 5, depth 2, sin)\n"
                 "param k = 1.3\n"
                 "loss l = mse(b(a(x) + k * x) - x) over line\n"
                 "train 1 epochs { step l }\n",
                 200);
}

/* stop(): a substep whose losses see a network only behind stop() neither
 * updates it nor keeps optimizer state for it. */
static void check_stop(void)
{
    const char *src =
        "seed 0\n"
        "domain line = interval(x: 0 .. 1, mesh 0.02)\n"
        "net phy = mlp(1 -> 1, width 8, depth 2, tanh)\n"
        "net syn = mlp(1 -> 1, width 8, depth 2, tanh)\n"
        "field u_phy(x) = phy(x) * x * (1 - x)\n"
        "field u_syn(x) = syn(x) * x * (1 - x)\n"
        "loss pde = mse(dxx(u_phy) + pi^2 * sin(pi*x)) over line\n"
        "loss int_phy = mse(u_phy - stop(u_syn)) over line\n"
        "train 20 epochs { step pde, int_phy }\n";
    Built b;
    if (!build_checked(&b, src, "schedule/stop")) return;
    int syn = 1, phy = 0;
    long off = hy_param_offset(b.ctx, syn), n = hy_param_count(b.ctx, syn);
    long offp = hy_param_offset(b.ctx, phy), np = hy_param_count(b.ctx, phy);
    double *before = malloc((size_t)(n + np) * sizeof *before);
    memcpy(before, hy_params(b.ctx) + off, (size_t)n * sizeof *before);
    memcpy(before + n, hy_params(b.ctx) + offp, (size_t)np * sizeof *before);
    int rc = hy_train(b.ctx);
    long len = -1;
    const double *st_syn = hy_opt_state(b.ctx, 0, syn, &len);
    const double *st_phy = hy_opt_state(b.ctx, 0, phy, &len);
    tap_check(rc == 0 && memcmp(before, hy_params(b.ctx) + off, (size_t)n * sizeof *before) == 0,
              "schedule/stop-leaves-syn-untouched", "syn's parameters changed (rc %d)", rc);
    tap_check(memcmp(before + n, hy_params(b.ctx) + offp, (size_t)np * sizeof *before) != 0,
              "schedule/updates-phy", "phy's parameters did not change");
    tap_check(st_syn == NULL && st_phy != NULL, "schedule/no-state-for-syn",
              "optimizer state: syn %p (want none), phy %p (want some)", (const void *)st_syn, (const void *)st_phy);
    free(before);
    unbuild(&b);
}

/* In the two-substep HyCo scheme, substep 1 keeps syn's state (substep 2's)
 * unchanged, and each substep has its own state for what it updates. */
static void check_hyco_states(void)
{
    const char *src =
        "seed 0\n"
        "domain line = interval(x: 0 .. 1, mesh 0.02)\n"
        "points sensors = linspace(0.1, 0.9, 7) in line\n"
        "data u_obs on sensors = sin(pi*x) + noise(0.05)\n"
        "net phy = mlp(1 -> 1, width 8, depth 2, tanh) optimizer adam(lr 1e-3)\n"
        "net syn = mlp(1 -> 1, width 8, depth 2, tanh) optimizer adam(lr 1e-3)\n"
        "field u_phy(x) = phy(x) * x * (1 - x)\n"
        "field u_syn(x) = syn(x) * x * (1 - x)\n"
        "loss pde = mse(dxx(u_phy) + pi^2 * sin(pi*x)) over line\n"
        "loss int_phy = mse(u_phy - stop(u_syn)) over line\n"
        "loss fit = mse(u_syn - u_obs) over sensors\n"
        "loss int_syn = mse(u_syn - stop(u_phy)) over line\n"
        "train 5 epochs { step pde, int_phy\n step fit, int_syn }\n";
    Built b;
    if (!build_checked(&b, src, "schedule/hyco")) return;
    long l00, l01, l10, l11;
    const double *s00 = hy_opt_state(b.ctx, 0, 0, &l00), *s01 = hy_opt_state(b.ctx, 0, 1, &l01);
    const double *s10 = hy_opt_state(b.ctx, 1, 0, &l10), *s11 = hy_opt_state(b.ctx, 1, 1, &l11);
    tap_check(s00 && !s01 && !s10 && s11, "schedule/hyco-ownership",
              "state present: s1/phy %d s1/syn %d s2/phy %d s2/syn %d (want 1 0 0 1)", !!s00, !!s01, !!s10, !!s11);
    unbuild(&b);
}

int main(void)
{
    check_1d();
    check_2d();
    check_param_grads();
    check_stop();
    check_hyco_states();
    return tap_exit();
}
