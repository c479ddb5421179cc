/* test_lossweights.c -- losses that name other losses, and adaptive weights
 * used as values inside loss expressions ('loss total = w.pde * pde + ...').
 *
 *  - lossref/...: a loss built from other losses (with their own 'over' sets,
 *    nonlinearly: pde * bc) has the value of that formula (1e-14 relative)
 *    and reverse-mode gradients equal to central differences (h = 1e-6,
 *    1e-5 relative + 1e-8 absolute, every parameter);
 *  - weights/constant: after training has moved the weights, a substep
 *    evaluation outside training leaves them unchanged, its value is
 *    sum_k w_k f_k(L) with the current weights, and its gradient is the
 *    finite-difference gradient at those fixed weights (weights carry no
 *    gradient);
 *  - weights/bitwise-...: for every balancer (and each input mode), training
 *    with 'step w.pde * pde, 2 * w.bc * bc' and with 'loss total = w.pde *
 *    pde + 2 * w.bc * bc; step total' ends in bitwise the same parameters and
 *    weights, through an Adam phase and an L-BFGS phase (lbpinns: Adam only,
 *    see below).
 */
#include <stdlib.h>
#include <string.h>
#include "tap.h"
#include "ir.h"
#include "hyrt.h"

#include "built.h"

/* Largest scaled difference between substep 0's reverse-mode gradient and
 * central differences of hy_substep_eval over every parameter. */
static void check_fd(Built *b, const char *name)
{
    long np = hy_total_params(b->ctx);
    double *P = hy_params(b->ctx);
    hy_substep_eval(b->ctx, 0);
    double *g = malloc((size_t)np * sizeof *g);
    memcpy(g, hy_grads(b->ctx), (size_t)np * sizeof *g);
    double worst = 0, wg = 0, wf = 0;
    long wj = -1;
    for (long j = 0; j < np; j++) {
        double keep = P[j], h = 1e-6;
        P[j] = keep + h;
        double lp = hy_substep_eval(b->ctx, 0);
        P[j] = keep - h;
        double lm = hy_substep_eval(b->ctx, 0);
        P[j] = keep;
        double fd = (lp - lm) / (2 * h);
        double err = fabs(fd - g[j]) / (1e-8 + 1e-5 * fmax(fabs(fd), fabs(g[j])));
        if (err > worst) { worst = err; wj = j; wg = g[j]; wf = fd; }
    }
    tap_check(worst <= 1 && np > 10, name, "%ld parameters; parameter %ld: reverse mode %.10g vs finite difference %.10g",
              np, wj, wg, wf);
    free(g);
}

static void check_lossref(void)
{
    static const char *src =
        "seed 2\n"
        "domain line = interval(x: 0 .. 1, mesh 0.1)\n"
        "points s = random(7) in line\n"
        "net n = mlp(1 -> 1, width 6, depth 2, tanh)\n"
        "param k = 0.4\n"
        "loss pde = mse(dxx(n) + k * n + sin(pi*x)) over line\n"
        "loss bc = mse(n - 0.3 * x) over s\n"
        "loss total = pde + 10 * bc + pde * bc + k^2 * bc\n"
        "loss outer = 0.5 * total + mean(n^2) over line\n"
        "train 1 epochs { step outer }\n"
        "expect pde > -1\n"
        "expect bc > -1\n"
        "expect total > -1\n"
        "expect outer > -1\n"
        "expect mean(n^2) over line > -1\n";
    Built b;
    if (!build_ok(&b, src, "lossref/build")) return;
    double pde = hy_expect_value(b.ctx, 0), bc = hy_expect_value(b.ctx, 1), tot = hy_expect_value(b.ctx, 2);
    double outer = hy_expect_value(b.ctx, 3), m2 = hy_expect_value(b.ctx, 4), k = 0.4;
    double want = pde + 10 * bc + pde * bc + k * k * bc;
    tap_check(tap_close(tot, want, 1e-14, 0) && pde > 0 && bc > 0, "lossref/value", "total %.17g, formula %.17g", tot, want);
    tap_check(tap_close(outer, 0.5 * want + m2, 1e-14, 0), "lossref/nested-value", "outer %.17g, formula %.17g", outer,
              0.5 * want + m2);
    double ev = hy_substep_eval(b.ctx, 0);
    tap_check(ev == outer, "lossref/step-value", "substep total %.17g, expect value %.17g", ev, outer);
    check_fd(&b, "lossref/grad-fd");
    unbuild(&b);
}

static void check_weights_constant(void)
{
    static const char *src =
        "seed 5\n"
        "domain line = interval(x: 0 .. 1, mesh 0.1)\n"
        "points s = random(5) in line\n"
        "net n = mlp(1 -> 1, width 6, depth 2, tanh) optimizer adam(lr 1e-2)\n"
        "loss pde = mse(dxx(n) + sin(pi*x)) over line\n"
        "loss bc = mse(n - x) over s\n"
        "weights w = relobralo(pde, bc, tau 0.5, alpha 0.9)\n"
        "loss total = w.pde * pde + w.bc * bc * (1 + bc)\n"
        "train 30 epochs { step total }\n"
        "expect pde > -1\n"
        "expect bc > -1\n"
        "expect w.pde * 3 > -1\n";
    Built b;
    if (!build_ok(&b, src, "weights/build")) return;
    if (hy_train(b.ctx) != 0) { tap_check(0, "weights/train", "training failed"); unbuild(&b); return; }
    const double *w = hy_balancer_weights(b.ctx, 0);
    double w0 = w[0], w1 = w[1];
    tap_check(fabs(w0 - 1) > 1e-3 && fabs(w1 - 1) > 1e-3 && isfinite(w0 + w1), "weights/moved",
              "weights %.17g %.17g after 30 epochs", w0, w1);
    double pde = hy_expect_value(b.ctx, 0), bc = hy_expect_value(b.ctx, 1);
    tap_check(hy_expect_value(b.ctx, 2) == w0 * 3, "weights/in-check", "expect value %.17g, 3 w.pde %.17g",
              hy_expect_value(b.ctx, 2), 3 * w0);
    double ev = hy_substep_eval(b.ctx, 0), want = w0 * pde + w1 * bc * (1 + bc);
    tap_check(tap_close(ev, want, 1e-14, 0), "weights/value", "substep %.17g, formula %.17g", ev, want);
    check_fd(&b, "weights/grad-fd-at-fixed-weights");
    tap_check(w[0] == w0 && w[1] == w1, "weights/no-advance-outside-training", "weights %.17g %.17g became %.17g %.17g",
              w0, w1, w[0], w[1]);
    unbuild(&b);
}

/* The same training written with weighted step terms and with the weights
 * inside one loss must end in the same bits. */
static void check_bitwise(const char *bal, int lbfgs)
{
    char s1[2048], s2[2048], name[128];
    const char *head =
        "seed 9\n"
        "domain sq = rect(x: 0 .. 1, y: 0 .. 1, mesh 0.25)\n"
        "points wall = random(12) on boundary(sq)\n"
        "net n = mlp(2 -> 1, width 6, depth 2, tanh) optimizer adam(lr 3e-3)\n"
        "param k = 0.5 optimizer adam(lr 1e-2)\n"
        "loss pde = mse(lap(n) + k * sin(pi*x)) over sq\n"
        "loss bc = mse(n - x * y) over wall\n";
    const char *phase2 = lbfgs ? "then 4 iterations optimizer lbfgs(history 5) { step %s }\n" : "";
    char p2a[256], p2b[256];
    snprintf(p2a, sizeof p2a, phase2, "w.pde * pde, 2 * w.bc * bc");
    snprintf(p2b, sizeof p2b, phase2, "total");
    snprintf(s1, sizeof s1, "%sweights w = %s\ntrain 25 epochs { step w.pde * pde, 2 * w.bc * bc }\n%s", head, bal, p2a);
    snprintf(s2, sizeof s2,
             "%sweights w = %s\nloss total = w.pde * pde + 2 * w.bc * bc\ntrain 25 epochs { step total }\n%s", head,
             bal, p2b);
    snprintf(name, sizeof name, "weights/bitwise-%s%s", bal, lbfgs ? "-then-lbfgs" : "");
    for (char *p = name; *p; p++)
        if (*p == ' ' || *p == '(' || *p == ')' || *p == ',') *p = '_';
    Built a, b;
    if (!build_ok(&a, s1, name)) return;
    if (!build_ok(&b, s2, name)) { unbuild(&a); return; }
    int ra = hy_train(a.ctx), rb = hy_train(b.ctx);
    long np = hy_total_params(a.ctx);
    const double *wa = hy_balancer_weights(a.ctx, 0), *wb = hy_balancer_weights(b.ctx, 0);
    int same = ra == 0 && rb == 0 && np == hy_total_params(b.ctx) &&
               memcmp(hy_params(a.ctx), hy_params(b.ctx), (size_t)np * sizeof(double)) == 0 &&
               memcmp(wa, wb, 2 * sizeof(double)) == 0;
    long j = 0;
    while (j < np - 1 && hy_params(a.ctx)[j] == hy_params(b.ctx)[j]) j++;
    tap_check(same, name, "status %d/%d; parameter %ld: %.17g vs %.17g; weights %.17g %.17g vs %.17g %.17g", ra, rb, j,
              hy_params(a.ctx)[j], hy_params(b.ctx)[j], wa[0], wa[1], wb[0], wb[1]);
    unbuild(&a);
    unbuild(&b);
}

int main(void)
{
    check_lossref();
    check_weights_constant();
    static const char *const bals[] = {
        "relobralo(pde, bc, mode minmax)", "relobralo(pde, bc, tau 0.5, mode raw)", "softadapt(pde, bc, window 3)",
        "softadapt(pde, bc, variant 1, mode l2)", "dwa(pde, bc, mode minmax)", "rlw(pde, bc, alpha 0.7)",
        "lbpinns(pde, bc, lr_s 1e-2)",
    };
    for (size_t i = 0; i < sizeof bals / sizeof bals[0]; i++)
        check_bitwise(bals[i], strncmp(bals[i], "lbpinns", 7) != 0);
    check_bitwise("lbpinns(pde, bc, lr_s 1e-2)", 1);
    return tap_exit();
}
