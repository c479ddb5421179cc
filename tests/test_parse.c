/* test_parse.c -- the front end: lexer, parser, diagnostics, AST dump.
 *
 * Parses the draft specs (copied below as string literals, so the test does
 * not need ../shared), checks AST shapes, precedence, locations, the error
 * message format (diag output captured with open_memstream), error recovery,
 * and runs a fixed-seed fuzz corpus (prefixes, random bytes, token soup,
 * mutations, deep nesting) that must never crash (run under `make asan`).
 */
#include "hycoc.h"
#include "hyrt_api.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

/* Copies of the draft specs (../shared/specs, NAME.hyco), embedded so the test
 * does not need ../shared at run time. */
static const char spec_burgers_1d[] =
    "# Viscous Burgers, vanilla PINN with soft initial/boundary losses and adaptive weights:\n"
    "#   u_t + u u_x = (0.01/pi) u_xx,  x in [-1, 1], t in [0, 1],  u(x, 0) = -sin(pi x),  u(-1, t) = u(1, t) = 0\n"
    "seed 1\n"
    "domain st = rect(x: -1 .. 1, t: 0 .. 1)\n"
    "points inner = random(2000) in st  grow every 1000 by residual(pde, k 1, c 1, add 100)   # RAR-D: add points drawn with p ~ r^k/E[r^k] + c\n"
    "points edge  = random(200)  on boundary(st, x)                              # x = -1 and x = 1\n"
    "points start = random(200)  on boundary(st, t = 0)\n"
    "net u = mlp(2 -> 1, width 32, depth 4, tanh)\n"
    "        optimizer chain(clip_norm(1.0), adam(lr 1)) schedule exponential(lr0 1e-3, rate 0.9, steps 2000, lr_end 1e-5)\n"
    "const nu = 0.01 / pi\n"
    "loss pde = mse(dt(u) + u * dx(u) - nu * dxx(u)) over inner\n"
    "loss bc  = mse(u)                 over edge\n"
    "loss ic  = mse(u + sin(pi*x))     over start\n"
    "weights w = relobralo(pde, bc, ic, alpha 0.99, tau 0.1, rho 0.999)\n"
    "train 20000 epochs { step w.pde * pde, w.bc * bc, w.ic * ic }\n"
    "then 2000 iterations optimizer lbfgs(history 50) { step pde, bc, ic }   # Adam alone stalls near 0.1\n"
    "track w\n"
    "# The reference solution is computed (e.g. by Cole-Hopf quadrature) and shipped as data.\n"
    "data u_ref = load(\"data/burgers_ref.csv\", columns x t u)\n"
    "expect rel_l2(u, u_ref.u) over u_ref < 0.05\n"
    ;

static const char spec_hybrid_burgers[] =
    "# HYCO hybrid training with a physical model and a synthetic model:\n"
    "#  - physical: a differentiable finite-difference Burgers simulator on a periodic grid whose\n"
    "#    viscosity nu is unknown; optimised by L-BFGS-B inside bounds, a few iterations per epoch;\n"
    "#    stopping at the iteration cap is expected, and the best nu found so far is kept.\n"
    "#  - synthetic: a network u_syn(x, t) trained by Adam.\n"
    "# Each learns from the real observations (weight alpha) and from the other's predictions\n"
    "# (weight 1 - alpha), from the same initial state, over the same time window.\n"
    "seed 0\n"
    "grid g = periodic(x: 0 .. 2, n 128)\n"
    "param nu = 0.05 in [0.001, 0.1] optimizer lbfgsb(max_iterations 5, tolerate nonconvergence)   # truth 0.02\n"
    "sim burgers on g {\n"
    "    state u = -sin(pi*x)\n"
    "    step rk4 dt 1e-3 save every 30 steps 300                   # snapshots at t = 0.03 ... 0.3, before the shock\n"
    "    dt(u) = nu * dxx(u) - u * dx(u)\n"
    "}\n"
    "# Observations: 24 sensors x 10 snapshots from a finer (512-point) reference run with nu = 0.02, plus noise\n"
    "# (sigma 0.01). That run needs dt <= 5e-4 to stay stable; RK4 at dt 1e-3 blows up at 512 points.\n"
    "data obs = load(\"data/burgers_obs.csv\", columns x t u)\n"
    "net syn = mlp(2 -> 1, width 64, depth 4, tanh) optimizer adam(lr 1e-3)\n"
    "const alpha = 0.5\n"
    "loss syn_fit  = alpha * mse(syn - obs.u) over obs + (1 - alpha) * mse(syn - stop(burgers.u)) over burgers\n"
    "loss phys_fit = alpha * mse(burgers.u - obs.u) over obs + (1 - alpha) * mse(burgers.u - stop(syn)) over burgers\n"
    "train 50 epochs warmup 5 {\n"
    "    step syn_fit  x 100          # synthetic: 100 Adam steps per epoch\n"
    "    step phys_fit every 1        # physical: one L-BFGS-B call (<= 5 iterations) per epoch\n"
    "}\n"
    "report nu\n"
    "expect abs(nu - 0.02) / 0.02 < 0.05\n"
    ;

static const char spec_hyco_poisson_1d[] =
    "# HyCo (hybrid-cooperative) PINN for the 1-D Poisson problem\n"
    "#   u'' + pi^2 sin(pi x) = 0 on [0, 1],  u(0) = u(1) = 0,  exact u = sin(pi x)\n"
    "# u_phy learns from the PDE, u_syn from 7 noisy sensors; each is pulled toward the other.\n"
    "# Draft syntax: the capabilities, the numbers and the outcome are the contract, not the spelling.\n"
    "\n"
    "seed 0\n"
    "\n"
    "domain line = interval(x: 0 .. 1, mesh 0.02)          # 51 collocation points, ends included\n"
    "points sensors = linspace(0.1, 0.9, 7) in line\n"
    "data u_obs on sensors = sin(pi*x) + noise(0.05)        # Gaussian noise, sigma 0.05, drawn from the seed\n"
    "\n"
    "net phy = mlp(1 -> 1, width 32, depth 3, tanh) optimizer adam(lr 1e-3)\n"
    "net syn = mlp(1 -> 1, width 32, depth 3, tanh) optimizer adam(lr 1e-3)\n"
    "\n"
    "field u_phy(x) = phy(x) * x * (1 - x)                  # hard Dirichlet ansatz\n"
    "field u_syn(x) = syn(x) * x * (1 - x)\n"
    "\n"
    "const alpha = 1.0\n"
    "const beta  = 1.0\n"
    "\n"
    "loss pde     = mse(dxx(u_phy) + pi^2 * sin(pi*x))  over line\n"
    "loss int_phy = beta  * mse(u_phy - stop(u_syn))    over line\n"
    "loss fit     = alpha * mse(u_syn - u_obs)          over sensors\n"
    "loss int_syn = beta  * mse(u_syn - stop(u_phy))    over line\n"
    "\n"
    "train 3000 epochs {\n"
    "    step pde, int_phy          # only phy gets a gradient: syn sits behind stop()\n"
    "    step fit, int_syn          # only syn, and it sees the freshly updated phy\n"
    "}\n"
    "\n"
    "expect rel_l2(u_phy, sin(pi*x)) over line < 0.05\n"
    "expect rel_l2(u_syn, sin(pi*x)) over line < 0.10\n"
    ;

static const char spec_hyco_poisson_1d_repeat[] =
    "# The same HyCo problem with two gradient steps per substep before switching:\n"
    "# 1500 epochs x (2 phy + 2 syn) = 6000 gradient steps. Adam state builds up within a substep\n"
    "# and is never touched while the other substep runs.\n"
    "seed 0\n"
    "domain line = interval(x: 0 .. 1, mesh 0.02)\n"
    "points sensors = linspace(0.1, 0.9, 7) in line\n"
    "data u_obs on sensors = sin(pi*x) + noise(0.05)\n"
    "net phy = mlp(1 -> 1, width 32, depth 3, tanh) optimizer adam(lr 1e-3)\n"
    "net syn = mlp(1 -> 1, width 32, depth 3, tanh) optimizer adam(lr 1e-3)\n"
    "field u_phy(x) = phy(x) * x * (1 - x)\n"
    "field u_syn(x) = syn(x) * x * (1 - x)\n"
    "loss pde     = mse(dxx(u_phy) + pi^2 * sin(pi*x)) over line\n"
    "loss int_phy = mse(u_phy - stop(u_syn))           over line\n"
    "loss fit     = mse(u_syn - u_obs)                 over sensors\n"
    "loss int_syn = mse(u_syn - stop(u_phy))           over line\n"
    "train 1500 epochs {\n"
    "    step pde, int_phy  x 2\n"
    "    step fit, int_syn  x 2\n"
    "}\n"
    "expect rel_l2(u_phy, sin(pi*x)) over line < 0.05\n"
    "expect rel_l2(u_syn, sin(pi*x)) over line < 0.10\n"
    ;

static const char spec_inverse_heat[] =
    "# Inverse problem: recover the diffusivity k of u_t = k u_xx from 50 noisy sensors.\n"
    "#   x in [0, 1], t in [0, 0.5], u(x, 0) = sin(pi x), u(0, t) = u(1, t) = 0, truth k = 0.1\n"
    "seed 2\n"
    "domain rod = rect(x: 0 .. 1, t: 0 .. 0.5, mesh 0.025)\n"
    "points sensors = random(50) in rod\n"
    "data u_obs on sensors = exp(-0.1 * pi^2 * t) * sin(pi*x) + noise(0.005)\n"
    "param k = 0.5 in [0.001, 1.0] optimizer adam(lr 1e-2)\n"
    "net n = mlp(2 -> 1, width 32, depth 3, tanh) optimizer adam(lr 1e-3)\n"
    "field u(x, t) = sin(pi*x) + t * x * (1 - x) * n(x, t)      # exact IC and BCs\n"
    "loss pde = mse(dt(u) - k * dxx(u)) over rod\n"
    "loss fit = mse(u - u_obs)          over sensors\n"
    "train 8000 epochs { step pde, fit }\n"
    "expect abs(k - 0.1) / 0.1 < 0.02          # noise alone spreads k by ~0.5 %\n"
    "expect rel_l2(u, exp(-0.1 * pi^2 * t) * sin(pi*x)) over rod < 2e-3\n"
    ;

static const char spec_poisson_2d[] =
    "# 2-D Poisson on the unit square with a hard boundary ansatz x(1-x)y(1-y).\n"
    "#   lap(u) + 2 pi^2 sin(pi x) sin(pi y) = 0,  u = 0 on the boundary,  exact u = sin(pi x) sin(pi y)\n"
    "seed 0\n"
    "domain square = rect(x: 0 .. 1, y: 0 .. 1, mesh 0.05)             # 21 x 21 grid\n"
    "net n = mlp(2 -> 1, width 64, depth 4, tanh)\n"
    "        optimizer adam(lr 1) schedule cosine(steps 5000, lr0 1e-3, lr_end 1e-6)\n"
    "field u(x, y) = n(x, y) * x * (1 - x) * y * (1 - y)\n"
    "loss pde = mse(lap(u) + 2*pi^2 * sin(pi*x) * sin(pi*y)) over square\n"
    "train 5000 epochs { step pde }\n"
    "expect rel_l2(u, sin(pi*x) * sin(pi*y)) over square < 1e-3      # a PyTorch twin reaches 3.4e-5\n"
    ;

static const char spec_schedules_and_weights[] =
    "# A tour of optimizers, learning-rate schedules and adaptive loss weights on 2-D Laplace with soft BCs.\n"
    "#   lap(u) = 0 on the unit square, u = sin(pi x) on y = 1, u = 0 elsewhere on the boundary\n"
    "seed 3\n"
    "domain sq = rect(x: 0 .. 1, y: 0 .. 1)\n"
    "points inner = latin(1024) in sq\n"
    "points wall  = random(256) on boundary(sq)\n"
    "net n = mlp(2 -> 1, width 48, depth 4, tanh)\n"
    "        optimizer chain(clip_norm(1.0), adamw(lr 1, weight_decay 1e-4))\n"
    "        schedule warmup_cosine(steps 6000, warmup 500, lr0 1e-3, lr_end 1e-6, min_lr 1e-6)\n"
    "let g(x, y) = sin(pi*x) * sinh(pi*y) / sinh(pi)          # exact solution\n"
    "loss pde = mse(lap(n))          over inner\n"
    "loss bc  = mse(n - g(x, y))     over wall\n"
    "# any one balancer can be picked from the command line, e.g. -D balancer=softadapt\n"
    "weights w = relobralo(pde, bc, mode minmax)   # minmax: each loss scaled to [0, 1] over its observed range\n"
    "train 6000 epochs { step w.pde * pde, w.bc * bc }\n"
    "then 500 iterations optimizer lbfgs(history 50) { step pde, bc }    # second phase, full batch\n"
    "track w, lr\n"
    "expect rel_l2(n, g(x, y)) over inner < 0.01\n"
    ;

static const struct { const char *name; const char *src; } specs[] = {
    { "burgers_1d", spec_burgers_1d },
    { "hybrid_burgers", spec_hybrid_burgers },
    { "hyco_poisson_1d", spec_hyco_poisson_1d },
    { "hyco_poisson_1d_repeat", spec_hyco_poisson_1d_repeat },
    { "inverse_heat", spec_inverse_heat },
    { "poisson_2d", spec_poisson_2d },
    { "schedules_and_weights", spec_schedules_and_weights },
};

/* ---- harness ---- */

typedef struct T {
    Arena a;
    Diag d;
    Program *p;
    char *err;          /* everything diag printed */
    size_t errlen;
    FILE *errf;
} T;

static Program *parse_n(T *t, const char *src, size_t len)
{
    memset(t, 0, sizeof *t);
    t->errf = open_memstream(&t->err, &t->errlen);
    t->d.file = "t.hyco";
    t->d.src = src;
    t->d.srclen = len;
    t->d.out = t->errf;
    t->p = parse_program(&t->a, &t->d);
    fflush(t->errf);
    return t->p;
}
static Program *parse_s(T *t, const char *src) { return parse_n(t, src, strlen(src)); }
static void done(T *t)
{
    fclose(t->errf);
    free(t->err);
    arena_free(&t->a);
}

static int nstmts(const Program *p)
{
    int n = 0;
    for (const Stmt *s = p ? p->first : NULL; s; s = s->next)
        n++;
    return n;
}
static const Stmt *nth(const Program *p, int i)
{
    const Stmt *s = p->first;
    while (s && i-- > 0)
        s = s->next;
    return s;
}
static int streq(const char *a, const char *b) { return a && b && strcmp(a, b) == 0; }

/* Parses "const a = EXPR" and returns a's value (t must be done() later). */
static const Expr *expr_of(T *t, const char *src)
{
    parse_s(t, src);
    const Stmt *s = t->p->first;
    return s && t->d.nerrors == 0 ? s->value : NULL;
}

static char *dump_str(const Program *p)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ast_dump(f, p);
    fclose(f);
    return buf;
}

/* ---- the specs ---- */

static void test_specs_parse(void)
{
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        T t;
        parse_s(&t, specs[i].src);
        char name[128];
        snprintf(name, sizeof name, "parse/spec_%s", specs[i].name);
        tap_check(t.d.nerrors == 0 && nstmts(t.p) > 3, name, "%d errors, %d statements:\n%s",
                  t.d.nerrors, nstmts(t.p), t.err);
        char *dump = dump_str(t.p);
        snprintf(name, sizeof name, "parse/dump_%s", specs[i].name);
        tap_check(dump && strlen(dump) > 100, name, "dump too short");
        free(dump);
        done(&t);
    }
}

static void test_poisson_shape(void)
{
    T t;
    parse_s(&t, spec_hyco_poisson_1d);
    static const StmtKind want[] = { ST_SEED, ST_DOMAIN, ST_POINTS, ST_DATA, ST_NET, ST_NET,
        ST_FIELD, ST_FIELD, ST_CONST, ST_CONST, ST_LOSS, ST_LOSS, ST_LOSS, ST_LOSS, ST_TRAIN,
        ST_EXPECT, ST_EXPECT };
    int n = (int)(sizeof want / sizeof want[0]), ok = nstmts(t.p) == n;
    for (int i = 0; ok && i < n; i++)
        ok = nth(t.p, i)->kind == want[i];
    tap_check(ok, "shape/poisson_kinds", "statement kinds differ (%d statements)", nstmts(t.p));
    if (!ok) {
        done(&t);
        return;
    }
    const Stmt *s = nth(t.p, 0);
    tap_check(s->count == 0 && s->loc.line == 6 && s->loc.col == 1, "shape/seed", "count %ld @%d:%d",
              s->count, s->loc.line, s->loc.col);
    s = nth(t.p, 1);
    const Expr *v = s->value;
    tap_check(streq(s->name, "line") && s->name_loc.line == 8 && s->name_loc.col == 8
              && v->kind == EX_CALL && streq(v->name, "interval") && v->nargs == 2
              && v->args[0]->kind == ARG_RANGE && streq(v->args[0]->name, "x")
              && v->args[0]->e->kind == EX_NUM && v->args[0]->e->num == 0
              && v->args[0]->e2->num == 1
              && v->args[1]->kind == ARG_OPT && streq(v->args[1]->name, "mesh")
              && v->args[1]->e->num == 0.02 && v->args[1]->nmore == 0,
              "shape/domain", "domain line = interval(x: 0 .. 1, mesh 0.02) misparsed");
    s = nth(t.p, 2);
    tap_check(streq(s->name, "sensors") && streq(s->on, "line") && s->on_loc.line == 9
              && s->on_loc.col == 43 && s->value->kind == EX_CALL && s->value->nargs == 3
              && streq(s->value->name, "linspace") && s->value->args[2]->e->num == 7,
              "shape/points", "points misparsed (on %s @%d:%d)", s->on ? s->on : "-",
              s->on_loc.line, s->on_loc.col);
    s = nth(t.p, 3);
    tap_check(streq(s->name, "u_obs") && streq(s->on, "sensors") && s->value->kind == EX_BIN
              && s->value->op == '+' && s->value->rhs->kind == EX_CALL
              && streq(s->value->rhs->name, "noise"), "shape/data", "data misparsed");
    s = nth(t.p, 4);
    v = s->value;
    tap_check(streq(s->name, "phy") && v->kind == EX_CALL && streq(v->name, "mlp") && v->nargs == 4
              && v->args[0]->kind == ARG_ARROW && v->args[0]->e->num == 1 && v->args[0]->e2->num == 1
              && v->args[1]->kind == ARG_OPT && streq(v->args[1]->name, "width") && v->args[1]->e->num == 32
              && v->args[2]->kind == ARG_OPT && streq(v->args[2]->name, "depth")
              && v->args[3]->kind == ARG_EXPR && v->args[3]->e->kind == EX_NAME
              && streq(v->args[3]->e->name, "tanh")
              && s->opt && s->opt->kind == EX_CALL && streq(s->opt->name, "adam")
              && s->opt->args[0]->kind == ARG_OPT && streq(s->opt->args[0]->name, "lr")
              && s->opt->args[0]->e->num == 1e-3 && !s->schedule,
              "shape/net", "net misparsed");
    s = nth(t.p, 6);
    tap_check(streq(s->name, "u_phy") && s->nparams == 1 && streq(s->params[0], "x")
              && s->param_locs[0].line == 15 && s->param_locs[0].col == 13
              && s->value->kind == EX_BIN && s->value->op == '*'
              && s->value->lhs->kind == EX_BIN && s->value->lhs->op == '*'
              && s->value->lhs->lhs->kind == EX_CALL, "shape/field", "field misparsed");
    s = nth(t.p, 10);
    tap_check(streq(s->name, "pde") && streq(s->on, "line") && s->value->kind == EX_CALL
              && streq(s->value->name, "mse") && s->value->args[0]->e->kind == EX_BIN
              && s->value->args[0]->e->rhs->kind == EX_BIN
              && s->value->args[0]->e->rhs->lhs->kind == EX_BIN
              && s->value->args[0]->e->rhs->lhs->op == '^', "shape/loss", "loss misparsed");
    s = nth(t.p, 14);
    tap_check(s->count == 3000 && !s->iterations && s->nsteps == 2 && s->steps[0].nnames == 2
              && streq(s->steps[0].names[0], "pde") && streq(s->steps[0].names[1], "int_phy")
              && s->steps[0].repeat == 1 && streq(s->steps[1].names[1], "int_syn")
              && s->steps[1].loc.line == 28 && s->steps[1].loc.col == 5
              && s->steps[1].name_locs[1].col == 15 && !s->then,
              "shape/train", "train misparsed");
    s = nth(t.p, 15);
    tap_check(s->cmp == HY_CMP_LT && streq(s->on, "line") && s->bound->num == 0.05
              && s->value->kind == EX_CALL && streq(s->value->name, "rel_l2")
              && s->cmp_loc.line == 31 && s->cmp_loc.col == 43, "shape/expect",
              "expect misparsed (cmp @%d:%d)", s->cmp_loc.line, s->cmp_loc.col);
    done(&t);
}

/* The brief's example program, with the optional forms. */
static const char brief_example[] =
    "seed 0\n"
    "const alpha = 1.0\n"
    "domain line = interval(x: 0 .. 1, mesh 0.02)\n"
    "points sensors = linspace(0.1, 0.9, 7) in line\n"
    "data u_obs on sensors = sin(pi*x) + noise(0.05)\n"
    "net phy = mlp(1 -> 1, width 32, depth 3, tanh) optimizer adam(lr 1e-3)\n"
    "param k = 0.5 optimizer adam(lr 1e-2)\n"
    "param k2 = 0.5\n"
    "field u_phy(x) = phy(x) * x * (1 - x)\n"
    "let f = pi^2 * sin(pi*x)\n"
    "let g(x, t) = x * t\n"
    "loss pde = mse(dxx(u_phy) + pi^2 * sin(pi*x)) over line\n"
    "train 3000 epochs {\n"
    "    step pde, int_phy; step fit, int_syn  x 2;\n"
    "    step a\n"
    "}\n"
    "expect rel_l2(u_phy, sin(pi*x)) over line < 0.05\n"
    "expect k >= 0.1\n"
    "report k\n"
    "report rel_l2(u_phy, f) over line\n";

static void test_brief_example(void)
{
    T t;
    parse_s(&t, brief_example);
    tap_check(t.d.nerrors == 0 && nstmts(t.p) == 17, "brief/parses", "%s", t.err);
    if (t.d.nerrors || nstmts(t.p) != 17) {
        done(&t);
        return;
    }
    const Stmt *s = nth(t.p, 6);
    tap_check(s->kind == ST_PARAM && streq(s->name, "k") && s->value->num == 0.5 && s->opt
              && streq(s->opt->name, "adam"), "brief/param", "param misparsed");
    s = nth(t.p, 7);
    tap_check(s->kind == ST_PARAM && !s->opt && !s->lo, "brief/param_no_opt", "param misparsed");
    s = nth(t.p, 9);
    tap_check(s->kind == ST_LET && s->nparams == -1 && s->value->kind == EX_BIN,
              "brief/let_no_params", "nparams %d", s->nparams);
    s = nth(t.p, 10);
    tap_check(s->kind == ST_LET && s->nparams == 2 && streq(s->params[1], "t"),
              "brief/let_params", "nparams %d", s->nparams);
    s = nth(t.p, 12);
    tap_check(s->kind == ST_TRAIN && s->nsteps == 3 && s->steps[1].repeat == 2
              && s->steps[1].repeat_loc.line == 14 && s->steps[1].repeat_loc.col == 45
              && s->steps[2].nnames == 1 && s->steps[0].repeat == 1,
              "brief/train_steps", "nsteps %d", s->nsteps);
    s = nth(t.p, 14);
    tap_check(s->kind == ST_EXPECT && s->cmp == HY_CMP_GE && !s->on, "brief/expect_ge",
              "cmp %d", s->cmp);
    s = nth(t.p, 15);
    tap_check(s->kind == ST_REPORT && !s->on && s->value->kind == EX_NAME, "brief/report",
              "report misparsed");
    s = nth(t.p, 16);
    tap_check(s->kind == ST_REPORT && streq(s->on, "line"), "brief/report_over", "report misparsed");
    done(&t);
}

/* Constructs of the other specs that go beyond the core statement set. */
static void test_extensions(void)
{
    T t;
    parse_s(&t, spec_burgers_1d);
    const Stmt *s = nth(t.p, 2);
    tap_check(s && s->kind == ST_POINTS && streq(s->on, "st") && s->grow_every == 1000
              && s->grow_by && streq(s->grow_by->name, "residual") && s->grow_by->nargs == 4
              && s->grow_by->args[3]->kind == ARG_OPT && streq(s->grow_by->args[3]->name, "add"),
              "ext/points_grow", "grow clause misparsed");
    s = nth(t.p, 4);
    tap_check(s && s->kind == ST_POINTS && !s->on && s->on_expr && s->on_expr->kind == EX_CALL
              && streq(s->on_expr->name, "boundary") && s->on_expr->args[1]->e->kind == EX_BIN
              && s->on_expr->args[1]->e->op == '=', "ext/points_on_boundary", "on boundary misparsed");
    s = nth(t.p, 5);
    tap_check(s && s->kind == ST_NET && s->opt && streq(s->opt->name, "chain") && s->schedule
              && streq(s->schedule->name, "exponential") && s->schedule_loc.line == 9,
              "ext/net_schedule", "schedule misparsed");
    s = nth(t.p, 10);
    tap_check(s && s->kind == ST_WEIGHTS && streq(s->name, "w") && s->value->nargs == 6,
              "ext/weights", "weights misparsed");
    s = nth(t.p, 11);
    tap_check(s && s->kind == ST_TRAIN && s->count == 20000 && s->nsteps == 1
              && s->steps[0].nnames == 3 && s->steps[0].names[0] == NULL
              && s->steps[0].items[0]->kind == EX_BIN
              && s->steps[0].items[0]->lhs->kind == EX_MEMBER
              && streq(s->steps[0].items[0]->lhs->name, "pde")
              && s->then && s->then->count == 2000 && s->then->iterations
              && s->then->opt && streq(s->then->opt->name, "lbfgs") && s->then->nsteps == 1
              && streq(s->then->steps[0].names[2], "ic") && s->then->loc.line == 16,
              "ext/train_then", "train/then misparsed");
    s = nth(t.p, 12);
    tap_check(s && s->kind == ST_TRACK && s->nparams == 1 && streq(s->params[0], "w"),
              "ext/track", "track misparsed");
    s = nth(t.p, 13);
    tap_check(s && s->kind == ST_DATA && !s->on && s->value->nargs == 2
              && s->value->args[0]->e->kind == EX_STR
              && streq(s->value->args[0]->e->str, "data/burgers_ref.csv")
              && s->value->args[1]->kind == ARG_OPT && s->value->args[1]->nmore == 2
              && streq(s->value->args[1]->more[1]->name, "u"), "ext/data_load", "load misparsed");
    s = nth(t.p, 14);
    tap_check(s && s->kind == ST_EXPECT && streq(s->on, "u_ref")
              && s->value->args[1]->e->kind == EX_MEMBER, "ext/expect_member", "expect misparsed");
    done(&t);

    parse_s(&t, spec_hybrid_burgers);
    s = nth(t.p, 2);
    tap_check(s && s->kind == ST_PARAM && s->lo && s->lo->num == 0.001 && s->hi->num == 0.1
              && s->opt && s->opt->args[1]->kind == ARG_OPT
              && streq(s->opt->args[1]->name, "tolerate")
              && streq(s->opt->args[1]->e->name, "nonconvergence"), "ext/param_bounds",
              "param misparsed");
    s = nth(t.p, 3);
    const Stmt *b = s ? s->body : NULL;
    tap_check(s && s->kind == ST_SIM && streq(s->on, "g") && b && b->kind == ST_STATE
              && streq(b->name, "u") && b->next && b->next->kind == ST_SIMSTEP
              && streq(b->next->name, "rk4") && b->next->nopts == 3
              && streq(b->next->opts[1]->name, "save every") && b->next->opts[1]->e->num == 30
              && b->next->next && b->next->next->kind == ST_EQN
              && streq(b->next->next->value->name, "dt") && b->next->next->bound->op == '-'
              && !b->next->next->next, "ext/sim", "sim misparsed");
    s = nth(t.p, 7);
    tap_check(s && s->kind == ST_LOSS && !s->on && s->value->kind == EX_BIN && s->value->op == '+'
              && s->value->lhs->kind == EX_OVER && streq(s->value->lhs->name, "obs")
              && s->value->rhs->kind == EX_OVER && streq(s->value->rhs->name, "burgers")
              && s->value->rhs->lhs->op == '*', "ext/per_term_over", "per-term over misparsed");
    s = nth(t.p, 9);
    tap_check(s && s->kind == ST_TRAIN && s->warmup == 5 && s->steps[0].repeat == 100
              && s->steps[1].every == 1 && s->steps[1].repeat == 1, "ext/warmup_every",
              "train misparsed");
    done(&t);
}

/* ---- expressions ---- */

static void test_precedence(void)
{
    T t;
    const Expr *e = expr_of(&t, "const a = -x^2");
    tap_check(e && e->kind == EX_NEG && e->lhs->kind == EX_BIN && e->lhs->op == '^'
              && e->lhs->lhs->kind == EX_NAME && e->lhs->rhs->num == 2, "prec/neg_pow",
              "-x^2 is not -(x^2)");
    done(&t);
    e = expr_of(&t, "const a = 2^-x");
    tap_check(e && e->kind == EX_BIN && e->op == '^' && e->rhs->kind == EX_NEG, "prec/pow_neg",
              "2^-x misparsed");
    done(&t);
    e = expr_of(&t, "const a = a^b^c");
    tap_check(e && e->op == '^' && e->lhs->kind == EX_NAME && e->rhs->op == '^', "prec/pow_right",
              "^ is not right-associative");
    done(&t);
    e = expr_of(&t, "const a = a - b - c");
    tap_check(e && e->op == '-' && e->lhs->op == '-' && e->rhs->kind == EX_NAME, "prec/minus_left",
              "- is not left-associative");
    done(&t);
    e = expr_of(&t, "const a = a + b * c / d");
    tap_check(e && e->op == '+' && e->rhs->op == '/' && e->rhs->lhs->op == '*', "prec/mul_over_add",
              "* / do not bind tighter than +");
    done(&t);
    e = expr_of(&t, "const a = (a + b) * -c");
    tap_check(e && e->op == '*' && e->lhs->op == '+' && e->rhs->kind == EX_NEG, "prec/parens",
              "parentheses misparsed");
    done(&t);
    e = expr_of(&t, "const a = u.v.w^2");
    tap_check(e && e->op == '^' && e->lhs->kind == EX_MEMBER && streq(e->lhs->name, "w")
              && e->lhs->lhs->kind == EX_MEMBER && streq(e->lhs->lhs->name, "v"),
              "prec/member", "member access misparsed");
    done(&t);
    /* lists, tuples and indexing (vector params/consts, point lists) */
    e = expr_of(&t, "const a = -A[1 + 1]^2 * u.v[0]");
    tap_check(e && e->op == '*' && e->lhs->kind == EX_NEG && e->lhs->lhs->op == '^'
              && e->lhs->lhs->lhs->kind == EX_INDEX && streq(e->lhs->lhs->lhs->lhs->name, "A")
              && e->lhs->lhs->lhs->rhs->op == '+' && e->rhs->kind == EX_INDEX && e->rhs->lhs->kind == EX_MEMBER
              && e->rhs->rhs->kind == EX_NUM, "prec/index", "indexing misparsed (binds like '.', tighter than ^ and -)");
    done(&t);
    e = expr_of(&t, "const a = [(0.1, 0.2), (0.5, -1), [1, 2, 3], (4), []]");
    tap_check(e && e->kind == EX_LIST && e->op == '[' && e->nargs == 5 && e->args[0]->e->kind == EX_LIST
              && e->args[0]->e->op == '(' && e->args[0]->e->nargs == 2 && e->args[1]->e->args[1]->e->kind == EX_NEG
              && e->args[2]->e->op == '[' && e->args[2]->e->nargs == 3 && e->args[3]->e->kind == EX_NUM
              && e->args[4]->e->kind == EX_LIST && e->args[4]->e->nargs == 0
              && e->args[1]->e->loc.col == 24 && e->args[2]->e->args[2]->loc.col == 42, "prec/lists",
              "lists/tuples misparsed or mislocated");
    done(&t);
    {
        parse_s(&t, "param A = [1, 2] in [[0, 0], [3, 3]] optimizer adam(lr 1e-2)");
        const Stmt *s = t.d.nerrors == 0 ? t.p->first : NULL;
        tap_check(s && s->kind == ST_PARAM && s->value->kind == EX_LIST && s->value->nargs == 2 && s->lo
                  && s->lo->kind == EX_LIST && s->hi->nargs == 2 && s->opt, "ext/vector_param", "vector param misparsed");
        done(&t);
    }
    e = expr_of(&t, "const a = where(x <= 0.5, 1, 0) + f(a < b, c > d, e >= 1, t = 0)");
    tap_check(e && e->lhs->args[0]->e->op == 'l' && e->rhs->args[0]->e->op == '<'
              && e->rhs->args[1]->e->op == '>' && e->rhs->args[2]->e->op == 'g'
              && e->rhs->args[3]->e->op == '=', "prec/cmp_args", "comparison args misparsed");
    done(&t);
    e = expr_of(&t, "const a = f(\"a\\\"b\\\\c\\n\", mode \"x\", lr 1e-3, act g(2), k x y 3)");
    tap_check(e && e->nargs == 5 && streq(e->args[0]->e->str, "a\"b\\c\n")
              && e->args[1]->kind == ARG_OPT && e->args[1]->e->kind == EX_STR
              && e->args[3]->e->kind == EX_CALL && e->args[4]->nmore == 2
              && e->args[4]->more[1]->num == 3, "prec/opt_args", "option args misparsed");
    done(&t);
}

static void test_numbers(void)
{
    static const struct { const char *src; double want; } nums[] = {
        { "const a = 12", 12 }, { "const a = 1.5", 1.5 }, { "const a = .5", 0.5 },
        { "const a = 1e-3", 1e-3 }, { "const a = 2.5E+4", 2.5e4 }, { "const a = 3.", 3 },
        { "const a = 1.e2", 100 }, { "const a = 0.1", 0.1 },
    };
    int ok = 1;
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        T t;
        const Expr *e = expr_of(&t, nums[i].src);
        if (!e || e->kind != EX_NUM || e->num != nums[i].want) {
            ok = 0;
            printf("# %s: %s\n", nums[i].src, t.err);
        }
        done(&t);
    }
    tap_check(ok, "num/literals", "a literal misparsed");
    T t;
    const Expr *e = expr_of(&t, "const a = f(x: 0..1, y: -1 .. .5)");
    tap_check(e && e->args[0]->kind == ARG_RANGE && e->args[0]->e->num == 0 && e->args[0]->e2->num == 1
              && e->args[1]->e->kind == EX_NEG && e->args[1]->e2->num == 0.5, "num/range_no_spaces",
              "0..1 misparsed: %s", t.err);
    done(&t);
    static const char *bad[] = { "const a = 1e", "const a = 1.2.3", "const a = 1e+", "const a = 2pi",
                                 "const a = 1e999", "const a = 0x10", "seed 1.5", "seed 1e3",
                                 "train 99999999999999999999 epochs { step a }",
                                 "train 1 epochs { step a x 99999999999999999999 }" };
    ok = 1;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        parse_s(&t, bad[i]);
        if (t.d.nerrors != 1 || !strstr(t.err, "t.hyco:1:")) {
            ok = 0;
            printf("# %s: %d errors: %s\n", bad[i], t.d.nerrors, t.err);
        }
        done(&t);
    }
    tap_check(ok, "num/malformed", "a malformed number was not reported exactly once");
}

/* ---- errors ---- */

static void test_errors(void)
{
    T t;
    parse_s(&t, "seed 0\n\tconst = 3\nloss pde = mse(u) over line\n"
                "net n = mlp(1 -> 1,, tanh)\nexpect a < < 1\nreport k\n");
    const char *want =
        "t.hyco:2:8: error: unexpected '=', expected identifier\n"
        "\tconst = 3\n"
        "\t      ^\n"
        "t.hyco:4:20: error: unexpected ','\n"
        "net n = mlp(1 -> 1,, tanh)\n"
        "                   ^\n"
        "t.hyco:5:12: error: unexpected '<'\n"
        "expect a < < 1\n"
        "           ^\n";
    tap_check(t.d.nerrors == 3 && streq(t.err, want), "err/multiple_with_carets",
              "got %d errors:\n%s", t.d.nerrors, t.err);
    tap_check(nstmts(t.p) == 3, "err/recovery_keeps_good_statements", "%d statements", nstmts(t.p));
    done(&t);

    parse_s(&t, "train 10 epochs {\n  step a\n");
    tap_check(t.d.nerrors == 1 && strstr(t.err, "t.hyco:2:9: error: unexpected end of file, expected")
              && strstr(t.err, "'}'"), "err/eof_location", "%s", t.err);
    done(&t);

    parse_s(&t, "seed x seed y const 1");
    tap_check(t.d.nerrors == 3 && strstr(t.err, "1:6:") && strstr(t.err, "1:13:")
              && strstr(t.err, "1:21:"), "err/back_to_back", "%d: %s", t.d.nerrors, t.err);
    done(&t);

    char big[4096] = "";
    for (int i = 0; i < 40; i++)
        strcat(big, "const = 1\n");
    parse_s(&t, big);
    tap_check(t.d.nerrors == 20 && strstr(t.err, "t.hyco: note: too many errors"),
              "err/cap", "%d errors", t.d.nerrors);
    done(&t);

    /* UTF-8 before the column takes one caret column per character. */
    parse_s(&t, "# π\nconst a = 1 # é\nconst b = \"é\" $\n");
    tap_check(t.d.nerrors == 1 && strstr(t.err, "t.hyco:3:16: error: invalid character '$'\n"
                                                "const b = \"\xc3\xa9\" $\n"
                                                "              ^\n"),
              "err/caret_utf8", "%s", t.err);
    done(&t);

    parse_s(&t, "step a");
    tap_check(t.d.nerrors == 1 && strstr(t.err, "unexpected 'step'"), "err/keyword_quoted", "%s", t.err);
    done(&t);

    parse_s(&t, "net n = mlp(1 -> 1) in [0, 1] foo bar(1)\ntrain 1 epochs bogus 3 { step a every 2 every 3 }");
    tap_check(t.d.nerrors == 4 && strstr(t.err, "1:21: error: bounds")
              && strstr(t.err, "1:31: error: unknown clause 'foo'")
              && strstr(t.err, "2:16: error: unknown clause 'bogus'")
              && strstr(t.err, "2:41: error: duplicate 'every'"), "err/clauses", "%s", t.err);
    done(&t);

    parse_n(&t, "", 0);
    tap_check(t.d.nerrors == 0 && t.p && !t.p->first, "err/empty_file", "%s", t.err);
    done(&t);

    size_t n = (size_t)(17u << 20);
    char *huge = malloc(n + 1);
    memset(huge, ' ', n);
    huge[n] = '\0';
    parse_n(&t, huge, n);
    tap_check(t.d.nerrors == 1 && strstr(t.err, "file too large"), "err/huge_file", "%s", t.err);
    done(&t);
    free(huge);
}

static void test_dump(void)
{
    T t;
    parse_s(&t, "seed 3\nloss pde = mse(dxx(u) - 0.1 * -x^2) over line\n"
                "train 10 epochs { step pde, w.a * b x 2 }\nexpect k <= 1e-3\n");
    char *d = dump_str(t.p);
    const char *want =
        "stmt seed 3 @1:1\n"
        "stmt loss pde over line @2:1\n"
        "  call mse\n"
        "    bin -\n"
        "      call dxx\n"
        "        name u\n"
        "      bin *\n"
        "        num 0.1\n"
        "        neg\n"
        "          bin ^\n"
        "            name x\n"
        "            num 2\n"
        "stmt train 10 epochs @3:1\n"
        "  step x 2 @3:19\n"
        "    name pde\n"
        "    bin *\n"
        "      member a\n"
        "        name w\n"
        "      name b\n"
        "stmt expect <= @4:1\n"
        "  name k\n"
        "  bound\n"
        "    num 0.001\n";
    tap_check(streq(d, want), "dump/golden", "got:\n%s", d);
    free(d);
    done(&t);
}

/* ---- hostile input: none of this may crash, leak or recurse deeply ---- */

static unsigned long long rng_state = 0x9E3779B97F4A7C15ull;
static unsigned rnd(void)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (unsigned)(rng_state >> 33);
}

static int parse_quiet(const char *src, size_t len)
{
    T t;
    parse_n(&t, src, len);
    char *d = dump_str(t.p);   /* the AST must be walkable */
    free(d);
    int n = t.d.nerrors;
    done(&t);
    return n;
}

static void test_fuzz(void)
{
    /* Every prefix of every spec. */
    size_t runs = 0;
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        size_t len = strlen(specs[i].src);
        for (size_t k = 0; k <= len; k++, runs++)
            parse_quiet(specs[i].src, k);
    }
    tap_check(1, "fuzz/spec_prefixes", "");
    /* Random bytes. */
    char buf[512];
    for (int i = 0; i < 3000; i++) {
        size_t len = rnd() % sizeof buf;
        for (size_t k = 0; k < len; k++)
            buf[k] = (char)(rnd() & 0xFF);
        parse_quiet(buf, len);
    }
    tap_check(1, "fuzz/random_bytes", "");
    /* Token soup. */
    static const char *toks[] = { "seed", "const", "domain", "points", "data", "net", "param",
        "field", "let", "loss", "train", "step", "epochs", "iterations", "expect", "report", "over",
        "optimizer", "in", "on", "then", "weights", "track", "grid", "sim", "state", "x", "every",
        "grow", "by", "schedule", "warmup", "a", "u", "1", "2.5", ".5", "1e-3", "\"s\"", "(", ")",
        "[", "]", "{", "}", "=", ",", ":", ";", ".", "..", "->", "<", "<=", ">", ">=", "+", "-",
        "*", "/", "^", "#c\n", "\n", "\t", "1e", "$", "\"", "\xcf\x80", "\xff" };
    size_t ntoks = sizeof toks / sizeof toks[0];
    char soup[2048];
    for (int i = 0; i < 3000; i++) {
        size_t len = 0, n = rnd() % 60;
        for (size_t k = 0; k < n; k++) {
            const char *tk = toks[rnd() % ntoks];
            size_t tl = strlen(tk);
            if (len + tl + 2 >= sizeof soup)
                break;
            memcpy(soup + len, tk, tl);
            len += tl;
            soup[len++] = ' ';
        }
        parse_quiet(soup, len);
    }
    tap_check(1, "fuzz/token_soup", "");
    /* Spec mutations: one byte replaced, deleted or a token spliced in. */
    for (int i = 0; i < 2000; i++) {
        const char *s = specs[rnd() % (sizeof specs / sizeof specs[0])].src;
        size_t len = strlen(s);
        char *m = malloc(len + 16);
        memcpy(m, s, len);
        size_t at = rnd() % len;
        switch (rnd() % 3) {
        case 0: m[at] = (char)(rnd() & 0xFF); break;
        case 1: memmove(m + at, m + at + 1, len - at - 1); len--; break;
        default: {
            const char *tk = toks[rnd() % ntoks];
            size_t tl = strlen(tk);
            memmove(m + at + tl, m + at, len - at);
            memcpy(m + at, tk, tl);
            len += tl;
        }
        }
        parse_quiet(m, len);
        free(m);
    }
    tap_check(1, "fuzz/spec_mutations", "");
    /* Deep nesting of every recursive form. */
    static const struct { const char *pre, *mid, *post; int n; } deep[] = {
        { "(", "1", ")", 100000 }, { "-", "x", "", 100000 }, { "x^", "x", "", 100000 },
        { "x+", "x", "", 100000 }, { "f(", "1", ")", 100000 }, { "f(a ", "1", ")", 100000 },
        { "u.", "v", "", 0 }, { "[", "", "", 100000 }, { "{", "", "", 100000 },
        { "x*", "x", "", 100000 }, { "f(k: ", "1 .. 2", ")", 100000 },
    };
    int ok = 1;
    for (size_t i = 0; i < sizeof deep / sizeof deep[0]; i++) {
        int n = deep[i].n ? deep[i].n : 100000;
        size_t pl = strlen(deep[i].pre), ml = strlen(deep[i].mid), ql = strlen(deep[i].post);
        size_t cap = 16 + (size_t)n * (pl + ql) + ml;
        char *s = malloc(cap);
        size_t len = 0;
        memcpy(s, "const a = ", 10);
        len = 10;
        for (int k = 0; k < n; k++, len += pl)
            memcpy(s + len, deep[i].pre, pl);
        memcpy(s + len, deep[i].mid, ml);
        len += ml;
        for (int k = 0; k < n && ql; k++, len += ql)
            memcpy(s + len, deep[i].post, ql);
        if (parse_quiet(s, len) == 0) {
            ok = 0;
            printf("# deep %s...%s: no error\n", deep[i].pre, deep[i].post);
        }
        free(s);
    }
    tap_check(ok, "fuzz/deep_nesting", "a 100000-deep input was accepted");
    /* Within the limits, deep is fine. */
    char s[1024] = "const a = ";
    for (int k = 0; k < 150; k++)
        strcat(s, "(");
    strcat(s, "1");
    for (int k = 0; k < 150; k++)
        strcat(s, ")");
    tap_check(parse_quiet(s, strlen(s)) == 0, "fuzz/nesting_150_ok", "150 parentheses rejected");
    (void)runs;
}

int main(void)
{
    test_specs_parse();
    test_poisson_shape();
    test_brief_example();
    test_extensions();
    test_precedence();
    test_numbers();
    test_errors();
    test_dump();
    test_fuzz();
    return tap_exit();
}
