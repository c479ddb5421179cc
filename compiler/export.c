/* export.c -- trained fields outside hycoc.
 *
 *   hycoc SPEC --export EXPR [--derivs d1,d2] [--name NAME] --weights DIR -o FILE.c
 *   hycoc SPEC --eval EXPR --weights DIR --at POINTS [-o OUT.csv]
 *
 * --export writes a dependency-free C99 file (only <math.h>) and its header:
 * for each expression (a field, or an expression of one such as dxx(u)),
 *   double NAME(const double *x)                       x[k]: coordinate k
 *   void NAME_batch(long n, const double *x, double *out)   x[i*dim + k]
 * computing exactly the IR the compiler builds for the expression (the
 * field's whole ansatz, derivatives expanded by diff.c), the networks
 * evaluated with their weights embedded as static const double arrays
 * (%.17g, so the values are the trained doubles), their input derivatives
 * (jet components, order <= XP_MAX_ORDER = 2; a higher one is refused by
 * name, while --eval goes to HY_MAX_JET_ORDER) by a per-point Taylor propagation through the
 * layers: every network kind of runtime/net.c (MLP, modified MLP, ResNet,
 * Fourier features, input normalisation) with every activation.
 * --eval prints the same expressions at given points, computed by the
 * runtime (hy_jet_plan: the code that trains) from the same IR by a small
 * interpreter: the reference the exported C is tested against.
 *
 * Pipeline: two compilations of the spec: one with the export request (the
 * expressions lowered by sema_export.c over point sets of their own; never
 * emitted) and one plain, JIT-compiled to build the runtime context exactly
 * as training does; the checkpoint's weights are loaded into that context
 * (names, shapes and seed checked).  Outputs are written atomically.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ir.h"
#include "hyrt.h"
#include "overrides.h"

#define TWO_PI 6.283185307179586476925   /* as runtime/net.c scales Fourier matrices */
#define XP_MAX_ORDER 2   /* network derivative order of the exported C (put_net) */

typedef struct Xp {
    const ExportOpts *o;
    Comp *cb;           /* with the export request */
    Comp *ca;           /* plain, JIT-compiled into ctx */
    HyCtx *ctx;
    void *jit;
    ExportReq req;
    HyCkMeta meta;
    int have_meta;
} Xp;

/* ---------------------------------------------------------------- names */

static int is_ident(const char *s)
{
    if (!s || !*s || !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_'))
            return 0;
    return 1;
}

/* Names a C99 file may not define (keywords, what <math.h> declares and the
 * exported file uses, our own prefix). */
static int reserved(const char *s)
{
    static const char *const words[] = {
        "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else",
        "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long", "register",
        "restrict", "return", "short", "signed", "sizeof", "static", "struct", "switch",
        "typedef", "union", "unsigned", "void", "volatile", "while", "_Bool", "_Complex",
        "_Imaginary", "main",
        /* <math.h> of C99 */
        "acos", "asin", "atan", "atan2", "cos", "sin", "tan", "acosh", "asinh", "atanh", "cosh",
        "sinh", "tanh", "exp", "exp2", "expm1", "frexp", "ilogb", "ldexp", "log", "log10", "log1p",
        "log2", "logb", "modf", "scalbn", "scalbln", "cbrt", "fabs", "hypot", "pow", "sqrt", "erf",
        "erfc", "lgamma", "tgamma", "ceil", "floor", "nearbyint", "rint", "lrint", "llrint", "round",
        "lround", "llround", "trunc", "fmod", "remainder", "remquo", "copysign", "nan", "nextafter",
        "nexttoward", "fdim", "fmax", "fmin", "fma", "isnan", "isinf", "isfinite", "signbit", NULL};
    for (int i = 0; words[i]; i++)
        if (!strcmp(s, words[i]))
            return 1;
    return !strncmp(s, "hyx_", 4);
}

/* "dxx(u_phy)" -> "dxx_u_phy": other characters become '_', runs collapse,
 * no leading or trailing '_'.  Arena copy. */
static const char *derive_name(Arena *a, const char *text)
{
    size_t n = strlen(text);
    char *s = arena_alloc(a, n + 2);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = text[i];
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
        if (ok)
            s[k++] = ch;
        else if (k > 0 && s[k - 1] != '_')
            s[k++] = '_';
    }
    while (k > 0 && s[k - 1] == '_')
        k--;
    s[k] = 0;
    return s;
}

/* A copy of s fit for a C comment: no star-slash, no control characters. */
static const char *comment_safe(Arena *a, const char *s)
{
    char *t = arena_strdup(a, s ? s : "");
    for (char *p = t; *p; p++) {
        if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
            *p = ' ';
        if (p > t && p[-1] == '*' && *p == '/')
            *p = '_';
        if (p > t && p[-1] == '/' && *p == '*')
            *p = '_';
    }
    return t;
}

/* ---------------------------------------------------------------- front end */

/* Parses each item's text as an expression (its own source, file name
 * "--export"); 0, or 1 after messages. */
static int parse_items(Xp *x)
{
    Comp *c = x->cb;
    int bad = 0;
    for (int i = 0; i < x->req.n; i++) {
        ExportItem *it = &x->req.items[i];
        it->src = arena_printf(&c->arena, "let __hycoc_export =\n%s\n", it->text);
        Diag d;
        memset(&d, 0, sizeof d);
        d.file = "--export";
        d.src = it->src;
        d.srclen = strlen(it->src);
        d.out = stderr;
        Program *p = parse_program(&c->arena, &d);
        if (d.nerrors || !p || !p->first || p->first->next || p->first->kind != ST_LET ||
            !p->first->value) {
            if (!d.nerrors)
                fprintf(stderr, "hycoc: error: --export/--eval '%s' is not one expression\n", it->text);
            bad = 1;
            continue;
        }
        it->expr = p->first->value;
    }
    return bad;
}

/* parse, overrides, (export request), sema, seed.  0, or 1 after messages. */
static int front(Xp *x, Comp *c, int with_request)
{
    c->ast = parse_program(&c->arena, &c->diag);
    if (c->diag.nerrors)
        return 1;
    if (overrides_apply(c, x->o->defs, x->o->ndefs))
        return 1;
    if (with_request) {
        c->xreq = &x->req;
        if (parse_items(x))
            return 1;
    }
    if (sema(c))
        return 1;
    if (x->o->seed >= 0)
        c->seed = (unsigned long long)x->o->seed;
    return 0;
}

/* Builds the items from the options: each expression, and with --derivs
 * D(expr) for each D.  0, or 1 after a message. */
static int make_items(Xp *x)
{
    const ExportOpts *o = x->o;
    Arena *a = &x->cb->arena;
    int nd = 0;
    const char *dv[64];
    if (o->derivs) {
        char *list = arena_strdup(a, o->derivs);
        for (char *t = strtok(list, ", "); t; t = strtok(NULL, ", ")) {
            if (nd == 64 || !is_ident(t)) {
                fprintf(stderr, "hycoc: error: --derivs needs names of derivatives, e.g. dx,dxx,dxt "
                                "(got '%s')\n", t);
                return 1;
            }
            dv[nd++] = t;
        }
    }
    x->req.n = o->nexprs * (1 + nd);
    x->req.items = arena_alloc(a, sizeof(ExportItem) * (size_t)(x->req.n > 0 ? x->req.n : 1));
    int k = 0;
    for (int i = 0; i < o->nexprs; i++) {
        const char *base = o->name && o->nexprs == 1 ? o->name : derive_name(a, o->exprs[i]);
        x->req.items[k].text = o->exprs[i];
        x->req.items[k++].cname = base;
        for (int j = 0; j < nd; j++) {
            x->req.items[k].text = arena_printf(a, "%s(%s)", dv[j], o->exprs[i]);
            x->req.items[k++].cname = arena_printf(a, "%s_%s", base, dv[j]);
        }
    }
    for (int i = 0; !o->eval && i < k; i++) {
        const char *n = x->req.items[i].cname;
        if (!is_ident(n) || reserved(n) || strlen(n) > 200) {
            if (o->name)
                fprintf(stderr, "hycoc: error: --name '%s' is no usable C name (an identifier that "
                                "is no C keyword, <math.h> function or hyx_ name)\n", o->name);
            else
                fprintf(stderr, "hycoc: error: '%s' makes no usable C name ('%s'); give one with "
                                "--name\n", x->req.items[i].text, n);
            return 1;
        }
        for (int j = 0; j < i; j++) {
            const char *m = x->req.items[j].cname;
            size_t lm = strlen(m), ln = strlen(n);
            if (!strcmp(n, m) || (!strncmp(n, m, lm) && !strcmp(n + lm, "_batch")) ||
                (!strncmp(m, n, ln) && !strcmp(m + ln, "_batch"))) {
                fprintf(stderr, "hycoc: error: two exports would be named '%s'; export them one by "
                                "one with --name\n", n);
                return 1;
            }
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- IR walk */

/* marks every node root needs (call arguments included) */
static void mark(const Comp *c, NodeId root, uint8_t *m)
{
    NodeId *stack = malloc(sizeof(NodeId) * ((size_t)c->ir.nnodes + 1));
    if (!stack)
        HY_ICE("out of memory");
    size_t sp = 0;
    m[root] = 1;
    stack[sp++] = root;
    while (sp) {
        const Node *nd = &c->ir.nodes[stack[--sp]];
        NodeId kids[64];
        int nk = 0;
        if (nd->op == OP_NETOUT) {
            const Call *cl = &c->ir.calls[nd->a];
            for (int k = 0; k < cl->nargs && nk < 64; k++)
                kids[nk++] = cl->args[k];
        } else if (nd->op != OP_CONST && nd->op != OP_COORD && nd->op != OP_PARAM &&
                   nd->op != OP_NOISE && nd->op != OP_SIM) {
            if (nd->a != NO_NODE)
                kids[nk++] = nd->a;
            if (nd->b != NO_NODE)
                kids[nk++] = nd->b;
        }
        for (int k = 0; k < nk; k++)
            if (!m[kids[k]]) {
                m[kids[k]] = 1;
                stack[sp++] = kids[k];
            }
    }
    free(stack);
}

/* Jet component of a code for a network with din inputs: 0 value, 1 + j
 * first derivative by input j, 1 + din + p din + q second (p <= q). */
static int comp_of(uint32_t code, int din)
{
    int idx[4], ord = 0;
    for (uint32_t u = code; u; u >>= 8)
        idx[ord++] = (int)(u & 0xffu) - 1;
    if (ord == 0)
        return 0;
    if (ord == 1)
        return 1 + idx[0];
    if (ord == 2) {
        int p = idx[0] < idx[1] ? idx[0] : idx[1], q = idx[0] < idx[1] ? idx[1] : idx[0];
        return 1 + din + p * din + q;
    }
    HY_ICE("export: jet order %d", ord);
}

static int ncomp_of(int order, int din)
{
    return order <= 0 ? 1 : order == 1 ? 1 + din : 1 + din + din * din;
}

/* ---------------------------------------------------------------- C writer */

static const char *act_fn[HY_ACT_COUNT] = {"hyx_tanh", "hyx_sin", "hyx_gelu", "hyx_softplus",
                                           "hyx_sigmoid", "hyx_swish"};

static void put_array(FILE *f, const char *name, long n, const double *v)
{
    fprintf(f, "static const double %s[%ld] = {", name, n > 0 ? n : 1);
    for (long i = 0; i < n; i++)
        fprintf(f, "%s%s%.17g", i ? "," : "", i % 4 == 0 ? "\n    " : " ", v[i]);
    if (n == 0)
        fprintf(f, "0");
    fprintf(f, "\n};\n");
}

static void put_activations(FILE *f, const uint8_t *used)
{
    if (used[HY_ACT_TANH])
        fprintf(f, "static void hyx_tanh(double z, double *d)\n{\n"
                   "    double t = tanh(z);\n"
                   "    d[0] = t;\n    d[1] = 1.0 - t * t;\n    d[2] = -2.0 * t * d[1];\n}\n\n");
    if (used[HY_ACT_SIN])
        fprintf(f, "static void hyx_sin(double z, double *d)\n{\n"
                   "    d[0] = sin(z);\n    d[1] = cos(z);\n    d[2] = -d[0];\n}\n\n");
    if (used[HY_ACT_GELU])
        fprintf(f, "/* z Phi(z), Phi the normal CDF (by erfc: accurate for z << 0) */\n"
                   "static void hyx_gelu(double z, double *d)\n{\n"
                   "    double Phi = 0.5 * erfc(-z * 0.70710678118654752440);\n"
                   "    double phi = 0.39894228040143267794 * exp(-0.5 * z * z);\n"
                   "    d[0] = z * Phi;\n    d[1] = Phi + z * phi;\n    d[2] = phi * (2.0 - z * z);\n}\n\n");
    if (used[HY_ACT_SIGMOID] || used[HY_ACT_SOFTPLUS] || used[HY_ACT_SWISH])
        fprintf(f, "/* s = 1/(1 + exp(-z)), 1 - s and s' = s (1 - s), accurate in both tails */\n"
                   "static void hyx_sigmoid_parts(double z, double *s, double *oms, double *s1)\n{\n"
                   "    double e = exp(-fabs(z)), p = 1.0 / (1.0 + e), q = e * p;\n"
                   "    *s = z >= 0 ? p : q;\n    *oms = z >= 0 ? q : p;\n    *s1 = p * q;\n}\n\n");
    if (used[HY_ACT_SIGMOID])
        fprintf(f, "static void hyx_sigmoid(double z, double *d)\n{\n"
                   "    double s, oms, s1;\n    hyx_sigmoid_parts(z, &s, &oms, &s1);\n"
                   "    d[0] = s;\n    d[1] = s1;\n    d[2] = s1 * (oms - s);\n}\n\n");
    if (used[HY_ACT_SOFTPLUS])
        fprintf(f, "static void hyx_softplus(double z, double *d)\n{\n"
                   "    double s, oms, s1;\n    hyx_sigmoid_parts(z, &s, &oms, &s1);\n"
                   "    d[0] = (z > 0 ? z : 0.0) + log1p(exp(-fabs(z)));\n"
                   "    d[1] = s;\n    d[2] = s1;\n    (void)oms;\n}\n\n");
    if (used[HY_ACT_SWISH])
        fprintf(f, "static void hyx_swish(double z, double *d)\n{\n"
                   "    double s, oms, s1;\n    hyx_sigmoid_parts(z, &s, &oms, &s1);\n"
                   "    d[0] = z * s;\n    d[1] = s + z * s1;\n    d[2] = 2.0 * s1 + z * (s1 * (oms - s));\n}\n\n");
}

static void put_helpers(FILE *f, int blend)
{
    fprintf(f,
        "/* Jets: nc components of n values, component-major (x[c*n + i]): c = 0 the\n"
        " * value, c = 1 + j its derivative by input j, c = 1 + nd + p*nd + q the\n"
        " * second derivative by inputs p and q (nd inputs). */\n\n"
        "/* y = W x + b: W [nout][nin] row-major; the bias enters the value only. */\n"
        "static void hyx_linear(int nout, int nin, int nc, const double *W, const double *b,\n"
        "                       const double *x, double *y)\n{\n"
        "    int c, o, k;\n"
        "    for (c = 0; c < nc; c++)\n"
        "        for (o = 0; o < nout; o++) {\n"
        "            double s = 0.0;\n"
        "            for (k = 0; k < nin; k++)\n"
        "                s += W[o * nin + k] * x[c * nin + k];\n"
        "            y[c * nout + o] = c == 0 ? s + b[o] : s;\n"
        "        }\n}\n\n"
        "/* a = f(z) unit by unit: a_p = f' z_p, a_pq = f'' z_p z_q + f' z_pq. */\n"
        "static void hyx_act(void (*f)(double, double *), int n, int nd, int order,\n"
        "                    const double *z, double *a)\n{\n"
        "    int i, p, q;\n"
        "    double d[3];\n"
        "    for (i = 0; i < n; i++) {\n"
        "        f(z[i], d);\n"
        "        a[i] = d[0];\n"
        "        for (p = 0; order >= 1 && p < nd; p++)\n"
        "            a[(1 + p) * n + i] = d[1] * z[(1 + p) * n + i];\n"
        "        for (p = 0; order >= 2 && p < nd; p++)\n"
        "            for (q = 0; q < nd; q++) {\n"
        "                int c = 1 + nd + p * nd + q;\n"
        "                a[c * n + i] = d[2] * z[(1 + p) * n + i] * z[(1 + q) * n + i] + d[1] * z[c * n + i];\n"
        "            }\n"
        "    }\n}\n\n");
    if (blend)
        fprintf(f,
            "/* y = U + h (V - U) (product rule for the derivatives). */\n"
            "static void hyx_blend(int n, int nd, int order, const double *U, const double *V,\n"
            "                      const double *h, double *y)\n{\n"
            "    int i, p, q;\n"
            "    for (i = 0; i < n; i++) {\n"
            "        double D = V[i] - U[i];\n"
            "        y[i] = U[i] + h[i] * D;\n"
            "        for (p = 0; order >= 1 && p < nd; p++) {\n"
            "            int a = (1 + p) * n + i;\n"
            "            y[a] = U[a] + h[a] * D + h[i] * (V[a] - U[a]);\n"
            "        }\n"
            "        for (p = 0; order >= 2 && p < nd; p++)\n"
            "            for (q = 0; q < nd; q++) {\n"
            "                int a = (1 + p) * n + i, b = (1 + q) * n + i, c = (1 + nd + p * nd + q) * n + i;\n"
            "                y[c] = U[c] + h[c] * D + h[a] * (V[b] - U[b]) + h[b] * (V[a] - U[a])\n"
            "                       + h[i] * (V[c] - U[c]);\n"
            "            }\n"
            "    }\n}\n\n");
}

/* One network's weights and jet function hyx_net_<id>(in, order, out):
 * out [nc][dout] for nc = ncomp_of(order, din). */
static void put_net(Xp *x, FILE *f, int t, int maxord)
{
    HyNetInfo ni;
    if (hy_net_info(x->ctx, t, &ni) != 0)
        HY_ICE("export: trainable %d is no network", t);
    const char *name = x->ca->trs[t].name;
    const double *P = hy_params(x->ctx) + ni.off;
    const int D = ni.din, W = ni.width, F = ni.nfeat, D0 = F ? 2 * F : D;
    const int NC = ncomp_of(maxord, D);
    static const char *const trunk[] = {"mlp", "modified_mlp", "resnet"};
    fprintf(f, "/* network '%s': %s %d -> %d, width %d, depth %d, %s", comment_safe(&x->cb->arena, name),
            ni.kind >= 0 && ni.kind <= 2 ? trunk[ni.kind] : "?", D, ni.dout, W, ni.depth,
            hy_act_name(ni.act));
    if (F)
        fprintf(f, ", %d Fourier features", F);
    if (ni.norm)
        fprintf(f, ", inputs normalised to [-1, 1]");
    fprintf(f, "; %ld parameters\n * in the layout of hycoc's runtime (layer l: W [out][in] row-major, "
               "then b) */\n", ni.len);
    char arr[64];
    snprintf(arr, sizeof arr, "hyx_p%d", t);
    put_array(f, arr, ni.len, P);
    if (F) {
        double *B = malloc(sizeof(double) * (size_t)F * (size_t)D);
        if (!B)
            HY_ICE("out of memory");
        hy_net_fourier_matrix(x->ctx, t, B);
        for (long i = 0; i < (long)F * D; i++)
            B[i] *= TWO_PI;
        fprintf(f, "/* 2 pi B [%d][%d]: Fourier frequencies (fixed) */\n", F, D);
        snprintf(arr, sizeof arr, "hyx_B%d", t);
        put_array(f, arr, (long)F * D, B);
        free(B);
    }
    fprintf(f, "\nstatic void hyx_net_%d(const double *in, int order, double *out)\n{\n", t);
    fprintf(f, "    double g[%d], z[%d], h[%d], a[%d];\n", NC * D0, NC * W, NC * W, NC * W);
    if (ni.kind == HY_NET_MODIFIED)
        fprintf(f, "    double U[%d], V[%d];\n", NC * W, NC * W);
    fprintf(f, "    double xs[%d], sc[%d];\n", D, D);
    fprintf(f, "    const int nd = %d, nc = order == 0 ? 1 : order == 1 ? %d : %d;\n", D, 1 + D,
            1 + D + D * D);
    fprintf(f, "    int c, k, p, q;\n");
    if (ni.kind == HY_NET_RESNET)
        fprintf(f, "    int i;\n");
    for (int m = 0; m < D; m++) {
        if (ni.norm)
            fprintf(f, "    xs[%d] = 2.0 * (in[%d] - %.17g) / (%.17g - %.17g) - 1.0;\n"
                       "    sc[%d] = 2.0 / (%.17g - %.17g);\n",
                    m, m, ni.lo[m], ni.hi[m], ni.lo[m], m, ni.hi[m], ni.lo[m]);
        else
            fprintf(f, "    xs[%d] = in[%d];\n    sc[%d] = 1.0;\n", m, m, m);
    }
    if (!F) {
        fprintf(f, "    /* trunk input: the (normalised) inputs; d xs_k / d in_j = sc_j [j == k] */\n"
                   "    for (c = 0; c < nc; c++)\n"
                   "        for (k = 0; k < nd; k++)\n"
                   "            g[c * nd + k] = c == 0 ? xs[k] : c == 1 + k ? sc[k] : 0.0;\n");
    } else {
        fprintf(f, "    /* trunk input: [cos v, sin v], v = 2 pi B xs */\n"
                   "    for (k = 0; k < %d; k++) {\n"
                   "        double v = 0.0, cv, sv;\n"
                   "        for (p = 0; p < nd; p++)\n"
                   "            v += hyx_B%d[k * nd + p] * xs[p];\n"
                   "        cv = cos(v);\n        sv = sin(v);\n"
                   "        g[k] = cv;\n        g[%d + k] = sv;\n"
                   "        for (p = 0; order >= 1 && p < nd; p++) {\n"
                   "            double vp = hyx_B%d[k * nd + p] * sc[p];\n"
                   "            g[(1 + p) * %d + k] = -sv * vp;\n"
                   "            g[(1 + p) * %d + %d + k] = cv * vp;\n"
                   "            for (q = 0; order >= 2 && q < nd; q++) {\n"
                   "                double vv = vp * (hyx_B%d[k * nd + q] * sc[q]);\n"
                   "                g[(1 + nd + p * nd + q) * %d + k] = -cv * vv;\n"
                   "                g[(1 + nd + p * nd + q) * %d + %d + k] = -sv * vv;\n"
                   "            }\n"
                   "        }\n"
                   "    }\n",
                F, t, F, t, D0, D0, F, t, D0, D0, F);
    }
    fprintf(f, "    (void)c;\n    (void)p;\n    (void)q;\n    (void)k;\n");
    const char *fn = act_fn[ni.act];
    long woff, boff;
    int nin, nout;
    if (ni.kind == HY_NET_MODIFIED) {
        for (int e = 0; e < 2; e++) {
            hy_net_layer(x->ctx, t, -1 - e, &woff, &boff, &nin, &nout);
            fprintf(f, "    hyx_linear(%d, %d, nc, hyx_p%d + %ld, hyx_p%d + %ld, g, z);   /* encoder %c */\n"
                       "    hyx_act(%s, %d, nd, order, z, %c);\n",
                    W, D0, t, woff, t, boff, e ? 'V' : 'U', fn, W, e ? 'V' : 'U');
        }
    }
    for (int l = 0; l < ni.depth; l++) {
        hy_net_layer(x->ctx, t, l, &woff, &boff, &nin, &nout);
        fprintf(f, "    hyx_linear(%d, %d, nc, hyx_p%d + %ld, hyx_p%d + %ld, %s, z);   /* layer %d */\n",
                nout, nin, t, woff, t, boff, l == 0 ? "g" : "a", l);
        if (ni.kind == HY_NET_MODIFIED) {
            fprintf(f, "    hyx_act(%s, %d, nd, order, z, h);\n"
                       "    hyx_blend(%d, nd, order, U, V, h, a);\n", fn, W, W);
        } else if (ni.kind == HY_NET_RESNET && l > 0) {
            fprintf(f, "    hyx_act(%s, %d, nd, order, z, h);\n"
                       "    for (i = 0; i < nc * %d; i++)\n        a[i] += h[i];\n", fn, W, W);
        } else {
            fprintf(f, "    hyx_act(%s, %d, nd, order, z, a);\n", fn, W);
        }
    }
    hy_net_layer(x->ctx, t, ni.depth, &woff, &boff, &nin, &nout);
    fprintf(f, "    hyx_linear(%d, %d, nc, hyx_p%d + %ld, hyx_p%d + %ld, a, out);   /* output */\n"
               "    (void)h;\n}\n\n",
            nout, nin, t, woff, t, boff);
}

static void cnum(char *buf, size_t n, double v)
{
    if (isnan(v))
        snprintf(buf, n, "(0.0 / 0.0)");
    else if (isinf(v))
        snprintf(buf, n, v > 0 ? "HUGE_VAL" : "(-HUGE_VAL)");
    else
        snprintf(buf, n, "%s%.17g%s", v < 0 ? "(" : "", v, v < 0 ? ")" : "");
}

/* The C function of item it. */
static void put_function(Xp *x, FILE *f, const ExportItem *it)
{
    const Comp *c = x->cb;
    uint8_t *m = calloc(c->ir.nnodes, 1);
    int *done_call = calloc((size_t)c->ir.ncalls + 1, sizeof(int));
    int *ord = calloc((size_t)c->ir.ncalls + 1, sizeof(int));
    if (!m || !done_call || !ord)
        HY_ICE("out of memory");
    mark(c, it->root, m);
    for (NodeId i = 0; i < c->ir.nnodes; i++)
        if (m[i] && c->ir.nodes[i].op == OP_NETOUT) {
            int o = jet_order(c->ir.nodes[i].aux);
            int *q = &ord[c->ir.nodes[i].a];
            *q = o > *q ? o : *q;
        }
    fprintf(f, "/* %s: %s at the point x", it->cname, comment_safe(&x->cb->arena, it->text));
    fprintf(f, " (");
    for (int k = 0; k < it->dim; k++)
        fprintf(f, "%sx[%d] = %s", k ? ", " : "", k, it->coords[k]);
    fprintf(f, ") */\ndouble %s(const double *x)\n{\n", it->cname);
    for (int cl = 0; cl < c->ir.ncalls; cl++)
        for (NodeId i = 0; i < c->ir.nnodes; i++)
            if (m[i] && c->ir.nodes[i].op == OP_NETOUT && (int)c->ir.nodes[i].a == cl) {
                const Call *call = &c->ir.calls[cl];
                fprintf(f, "    double n%d[%d], in%d[%d];   /* network '%s' */\n", cl,
                        ncomp_of(ord[cl], call->nargs) * c->trs[call->net].dout, cl, call->nargs,
                        comment_safe(&x->cb->arena, c->trs[call->net].name));
                break;
            }
    char A[64], B[64];
    for (NodeId i = 0; i < c->ir.nnodes; i++) {
        if (!m[i])
            continue;
        const Node *nd = &c->ir.nodes[i];
        if (nd->a != NO_NODE)
            snprintf(A, sizeof A, "t%u", nd->a);
        if (nd->b != NO_NODE)
            snprintf(B, sizeof B, "t%u", nd->b);
        const char *fn = NULL;
        switch (nd->op) {
        case OP_CONST:
            cnum(A, sizeof A, nd->num);
            fprintf(f, "    const double t%u = %s;\n", i, A);
            continue;
        case OP_COORD:
            fprintf(f, "    const double t%u = x[%u];   /* %s */\n", i, nd->aux, it->coords[nd->aux]);
            continue;
        case OP_PARAM: {
            const double *pp = hy_params(x->ctx) + hy_param_offset(x->ctx, (int)nd->aux);
            cnum(A, sizeof A, pp[0]);
            fprintf(f, "    const double t%u = %s;   /* param '%s' */\n", i, A,
                    comment_safe(&x->cb->arena, c->trs[nd->aux].name));
            continue;
        }
        case OP_NETOUT: {
            int cl = (int)nd->a;
            const Call *call = &c->ir.calls[cl];
            if (!done_call[cl]) {
                for (int k = 0; k < call->nargs; k++) {
                    if (!m[call->args[k]] || call->args[k] >= i)
                        HY_ICE("export: argument of call %d not computed first", cl);
                    fprintf(f, "    in%d[%d] = t%u;\n", cl, k, call->args[k]);
                }
                fprintf(f, "    hyx_net_%d(in%d, %d, n%d);\n", call->net, cl, ord[cl], cl);
                done_call[cl] = 1;
            }
            int dout = c->trs[call->net].dout;
            fprintf(f, "    const double t%u = n%d[%d];\n", i, cl,
                    comp_of(nd->aux, call->nargs) * dout + (int)nd->b);
            continue;
        }
        case OP_ADD: fprintf(f, "    const double t%u = %s + %s;\n", i, A, B); continue;
        case OP_SUB: fprintf(f, "    const double t%u = %s - %s;\n", i, A, B); continue;
        case OP_MUL: fprintf(f, "    const double t%u = %s * %s;\n", i, A, B); continue;
        case OP_DIV: fprintf(f, "    const double t%u = %s / %s;\n", i, A, B); continue;
        case OP_POW: fprintf(f, "    const double t%u = pow(%s, %s);\n", i, A, B); continue;
        case OP_NEG: fprintf(f, "    const double t%u = -%s;\n", i, A); continue;
        case OP_ABS: fprintf(f, "    const double t%u = fabs(%s);\n", i, A); continue;
        case OP_SIGN:
            fprintf(f, "    const double t%u = (double)((%s > 0) - (%s < 0));\n", i, A, A);
            continue;
        case OP_STOP: fprintf(f, "    const double t%u = %s;\n", i, A); continue;
        case OP_LT: fprintf(f, "    const double t%u = (double)(%s < %s);\n", i, A, B); continue;
        case OP_LE: fprintf(f, "    const double t%u = (double)(%s <= %s);\n", i, A, B); continue;
        case OP_SEL: fprintf(f, "    const double t%u = %s != 0 ? %s : 0.0;\n", i, A, B); continue;
        case OP_SELN: fprintf(f, "    const double t%u = %s != 0 ? 0.0 : %s;\n", i, A, B); continue;
        case OP_MEAN: case OP_SUM: case OP_MAXR:   /* of a value that is the same at every point */
            fprintf(f, "    const double t%u = %s;\n", i, A);
            continue;
        case OP_SIN: fn = "sin"; break;
        case OP_COS: fn = "cos"; break;
        case OP_EXP: fn = "exp"; break;
        case OP_LOG: fn = "log"; break;
        case OP_TANH: fn = "tanh"; break;
        case OP_SQRT: fn = "sqrt"; break;
        case OP_NOISE: case OP_DATA: case OP_SIM: case OP_WEIGHT: case OP_COUNT:
            HY_ICE("export: %s in an exported expression", op_name(nd->op));
        }
        fprintf(f, "    const double t%u = %s(%s);\n", i, fn, A);
    }
    fprintf(f, "    return t%u;\n}\n\n", it->root);
    fprintf(f, "/* %s at n points: x[i*%d + k] is coordinate k of point i; out[i] its value */\n"
               "void %s_batch(long n, const double *x, double *out)\n{\n"
               "    long i;\n"
               "    for (i = 0; i < n; i++)\n"
               "        out[i] = %s(x + i * %d);\n}\n\n",
            it->cname, it->dim, it->cname, it->cname, it->dim);
    free(m);
    free(done_call);
    free(ord);
}

/* The line of the spec that declares an item's field, trimmed (for comments). */
static const char *spec_line(Xp *x, int line)
{
    const char *p = x->o->src;
    for (int l = 1; *p && l < line; p++)
        if (*p == '\n')
            l++;
    const char *e = p;
    while (*e && *e != '\n' && *e != '#')
        e++;
    while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
        e--;
    return comment_safe(&x->cb->arena, arena_strndup(&x->cb->arena, p, (size_t)(e - p)));
}

static int write_atomic(const char *path, const char *text, size_t len)
{
    char err[512];
    HyAFile *f = hy_afile_open(path, err, sizeof err);
    int r = !f || hy_afile_write(f, text, len, err, sizeof err) != 0 ? -1 : 0;
    if (f && r != 0)
        hy_afile_abort(f);
    if (f && r == 0)
        r = hy_afile_commit(f, err, sizeof err);
    if (r != 0)
        fprintf(stderr, "hycoc: error: %s\n", err);
    return r;
}

static int export_c(Xp *x)
{
    const Comp *c = x->cb;
    Arena *ar = &x->cb->arena;
    const char *out = x->o->out;
    size_t ol = strlen(out);
    const char *hdr = ol > 2 && !strcmp(out + ol - 2, ".c")
                          ? arena_printf(ar, "%.*s.h", (int)(ol - 2), out)
                          : arena_printf(ar, "%s.h", out);
    const char *base = strrchr(out, '/') ? strrchr(out, '/') + 1 : out;
    const char *hbase = strrchr(hdr, '/') ? strrchr(hdr, '/') + 1 : hdr;
    /* networks used, highest jet order each */
    int *maxord = calloc((size_t)c->ntrs + 1, sizeof(int));
    int *used = calloc((size_t)c->ntrs + 1, sizeof(int));
    uint8_t acts[HY_ACT_COUNT] = {0};
    int blend = 0;
    uint8_t *m = calloc(c->ir.nnodes, 1);
    if (!maxord || !used || !m)
        HY_ICE("out of memory");
    for (int i = 0; i < x->req.n; i++) {
        memset(m, 0, c->ir.nnodes);
        mark(c, x->req.items[i].root, m);
        for (NodeId n = 0; n < c->ir.nnodes; n++)
            if (m[n] && c->ir.nodes[n].op == OP_NETOUT) {
                int t = c->ir.calls[c->ir.nodes[n].a].net, o = jet_order(c->ir.nodes[n].aux);
                used[t] = 1;
                maxord[t] = o > maxord[t] ? o : maxord[t];
                if (o > XP_MAX_ORDER) {
                    fprintf(stderr, "hycoc: error: --export '%s' needs derivatives of network '%s' of "
                                    "order %d; the exported C computes them up to order %d (--eval "
                                    "computes up to order %d)\n", x->req.items[i].text,
                            c->trs[t].name, o, XP_MAX_ORDER, HY_MAX_JET_ORDER);
                    free(m);
                    free(maxord);
                    free(used);
                    return 1;
                }
            }
    }
    free(m);
    for (int t = 0; t < c->ntrs; t++)
        if (used[t]) {
            HyNetInfo ni;
            hy_net_info(x->ctx, t, &ni);
            acts[ni.act] = 1;
            blend |= ni.kind == HY_NET_MODIFIED;
        }
    char *text = NULL, *htext = NULL;
    size_t len = 0, hlen = 0;
    FILE *f = open_memstream(&text, &len), *h = open_memstream(&htext, &hlen);
    if (!f || !h)
        HY_ICE("open_memstream failed");
    /* the comment saying what it computes, from what */
    const char *spec = comment_safe(ar, x->o->file);
    uint64_t hash = hy_fnv1a64(x->o->src, x->o->len);
    fprintf(f, "/* %s -- generated by hycoc %s (hycoc --export); do not edit.\n *\n"
               " * Computes, with the trained weights embedded below:\n",
            comment_safe(ar, base), HY_VERSION);
    for (int i = 0; i < x->req.n; i++) {
        const ExportItem *it = &x->req.items[i];
        fprintf(f, " *   %s(", it->cname);
        for (int k = 0; k < it->dim; k++)
            fprintf(f, "%s%s", k ? ", " : "", it->coords[k]);
        fprintf(f, ") = %s\n", comment_safe(ar, it->text));
    }
    fprintf(f, " * where, in the spec,\n");
    for (int i = 0; i < x->req.n; i++) {
        const ExportItem *it = &x->req.items[i];
        int seen = 0;
        for (int j = 0; j < i; j++)
            seen |= x->req.items[j].field_line == it->field_line;
        if (!seen)
            fprintf(f, " *   %s   (line %d)\n", spec_line(x, it->field_line), it->field_line);
    }
    fprintf(f, " * with every derivative expanded exactly (chain rule through the ansatz,\n"
               " * Taylor propagation through the networks; no finite differences).\n *\n"
               " * Spec:    %s (FNV-1a 64 %016llx)\n * Seed:    %llu\n",
            spec, (unsigned long long)hash, (unsigned long long)c->seed);
    if (x->have_meta)
        fprintf(f, " * Weights: checkpoint %s, epoch %ld (written by hycoc %s)\n",
                comment_safe(ar, x->o->weights), x->meta.epoch, comment_safe(ar, x->meta.version));
    else
        fprintf(f, " * Weights: the untrained initial weights of the seed (no --weights given)\n");
    fprintf(f, " * Networks:");
    for (int t = 0; t < c->ntrs; t++)
        if (used[t])
            fprintf(f, " %s", comment_safe(ar, c->trs[t].name));
    fprintf(f, "\n *\n * Each NAME(x) takes the coordinates in the order listed above; NAME_batch\n"
               " * evaluates n points stored one after the other.  Only <math.h> is needed:\n"
               " *   cc -std=c99 -O2 -c %s   (link the program with -lm)\n"
               " * The declarations are in %s.\n */\n#include <math.h>\n\n",
            comment_safe(ar, base), comment_safe(ar, hbase));
    put_activations(f, acts);
    int anynet = 0;
    for (int t = 0; t < c->ntrs; t++)
        anynet |= used[t];
    if (anynet)
        put_helpers(f, blend);
    for (int t = 0; t < c->ntrs; t++)
        if (used[t])
            put_net(x, f, t, maxord[t]);
    for (int i = 0; i < x->req.n; i++)
        put_function(x, f, &x->req.items[i]);
    /* header */
    char guard[256];
    size_t g = 0;
    for (const char *p = hbase; *p && g + 2 < sizeof guard; p++)
        guard[g++] = (*p >= 'a' && *p <= 'z') ? (char)(*p - 32)
                     : ((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')) ? *p : '_';
    guard[g] = 0;
    fprintf(h, "/* %s -- generated by hycoc %s with %s; do not edit.\n"
               " * Trained fields of %s; see %s for what each computes. */\n"
               "#ifndef HYX_%s\n#define HYX_%s\n\n",
            comment_safe(ar, hbase), HY_VERSION, comment_safe(ar, base), spec, comment_safe(ar, base),
            guard, guard);
    for (int i = 0; i < x->req.n; i++) {
        const ExportItem *it = &x->req.items[i];
        fprintf(h, "/* %s; x[0..%d): ", comment_safe(ar, it->text), it->dim);
        for (int k = 0; k < it->dim; k++)
            fprintf(h, "%s%s", k ? ", " : "", it->coords[k]);
        fprintf(h, " */\ndouble %s(const double *x);\nvoid %s_batch(long n, const double *x, double *out);\n\n",
                it->cname, it->cname);
    }
    fprintf(h, "#endif\n");
    free(maxord);
    free(used);
    if (fclose(f) != 0 || fclose(h) != 0)
        HY_ICE("writing the export failed");
    int r = write_atomic(out, text, len);
    if (r == 0)
        r = write_atomic(hdr, htext, hlen);
    free(text);
    free(htext);
    return r ? 1 : 0;
}

/* ---------------------------------------------------------------- --eval */

/* Values of items[0 .. nitems) at n >= 0 points (coordinate k of point i at
 * coords[k][i], k in the items' own coordinate order), computed from c's IR
 * with ctx's current parameters by the runtime's jet plans; res[i] receives
 * the n values of items[i].  The items must share one coordinate list. */
void export_eval_values(const Comp *c, const ExportItem *items, int nitems, HyCtx *ctx, long n,
                        const double *const *coords, double *const *res)
{
    if (n <= 0)
        return;
    const long BS = n < 1024 ? n : 1024;
    uint8_t *m = calloc(c->ir.nnodes, 1);
    double **val = calloc(c->ir.nnodes, sizeof *val);
    if (!m || !val)
        HY_ICE("out of memory");
    for (int i = 0; i < nitems; i++)
        mark(c, items[i].root, m);
    for (NodeId i = 0; i < c->ir.nnodes; i++)
        if (m[i] && !(val[i] = malloc(sizeof(double) * (size_t)BS)))
            HY_ICE("out of memory");
    /* one jet plan per call: the codes it needs, buffers of BS points */
    int ncalls = c->ir.ncalls;
    int *plan = calloc((size_t)ncalls + 1, sizeof(int)), *ncomp = calloc((size_t)ncalls + 1, sizeof(int));
    int(*codes)[64] = calloc((size_t)ncalls + 1, sizeof *codes);
    double **X = calloc((size_t)ncalls + 1, sizeof *X), **Y = calloc((size_t)ncalls + 1, sizeof *Y);
    if (!plan || !ncomp || !codes || !X || !Y)
        HY_ICE("out of memory");
    for (NodeId i = 0; i < c->ir.nnodes; i++) {
        if (!m[i] || c->ir.nodes[i].op != OP_NETOUT)
            continue;
        int cl = (int)c->ir.nodes[i].a, have = 0;
        for (int k = 0; k < ncomp[cl]; k++)
            have |= codes[cl][k] == (int)c->ir.nodes[i].aux;
        if (!have && ncomp[cl] < 64)
            codes[cl][ncomp[cl]++] = (int)c->ir.nodes[i].aux;
    }
    for (int cl = 0; cl < ncalls; cl++) {
        if (!ncomp[cl])
            continue;
        const Call *call = &c->ir.calls[cl];
        int dout = c->trs[call->net].dout;
        X[cl] = calloc((size_t)call->nargs * (size_t)BS, sizeof(double));
        Y[cl] = calloc((size_t)ncomp[cl] * (size_t)dout * (size_t)BS, sizeof(double));
        if (!X[cl] || !Y[cl])
            HY_ICE("out of memory");
        plan[cl] = hy_jet_plan(ctx, call->net, (int)BS, ncomp[cl], codes[cl], X[cl], Y[cl], NULL, NULL);
    }
    int *done = calloc((size_t)ncalls + 1, sizeof(int));
    for (long i0 = 0; i0 < n; i0 += BS) {
        long cnt = n - i0 < BS ? n - i0 : BS;   /* a short last block repeats its last point */
        memset(done, 0, sizeof(int) * (size_t)(ncalls + 1));
        for (NodeId i = 0; i < c->ir.nnodes; i++) {
            if (!m[i])
                continue;
            const Node *nd = &c->ir.nodes[i];
            double *v = val[i];
            int leaf = nd->op == OP_NETOUT || nd->op == OP_CONST || nd->op == OP_COORD ||
                       nd->op == OP_PARAM || nd->op == OP_SIM;
            const double *a = nd->a != NO_NODE && !leaf ? val[nd->a] : NULL;
            const double *b = nd->b != NO_NODE && !leaf ? val[nd->b] : NULL;
            switch (nd->op) {
            case OP_CONST:
                for (long p = 0; p < BS; p++) v[p] = nd->num;
                break;
            case OP_COORD:
                for (long p = 0; p < BS; p++)
                    v[p] = coords[nd->aux][i0 + (p < cnt ? p : cnt - 1)];
                break;
            case OP_PARAM: {
                double pv = hy_params(ctx)[hy_param_offset(ctx, (int)nd->aux)];
                for (long p = 0; p < BS; p++) v[p] = pv;
                break;
            }
            case OP_NETOUT: {
                int cl = (int)nd->a;
                const Call *call = &c->ir.calls[cl];
                int dout = c->trs[call->net].dout;
                if (!done[cl]) {
                    for (int k = 0; k < call->nargs; k++)
                        memcpy(X[cl] + (long)k * BS, val[call->args[k]], sizeof(double) * (size_t)BS);
                    hy_jet_fwd(ctx, plan[cl]);
                    done[cl] = 1;
                }
                int k = 0;
                while (codes[cl][k] != (int)nd->aux)
                    k++;
                memcpy(v, Y[cl] + ((long)k * dout + nd->b) * BS, sizeof(double) * (size_t)BS);
                break;
            }
            case OP_ADD: for (long p = 0; p < BS; p++) v[p] = a[p] + b[p]; break;
            case OP_SUB: for (long p = 0; p < BS; p++) v[p] = a[p] - b[p]; break;
            case OP_MUL: for (long p = 0; p < BS; p++) v[p] = a[p] * b[p]; break;
            case OP_DIV: for (long p = 0; p < BS; p++) v[p] = a[p] / b[p]; break;
            case OP_POW: for (long p = 0; p < BS; p++) v[p] = pow(a[p], b[p]); break;
            case OP_NEG: for (long p = 0; p < BS; p++) v[p] = -a[p]; break;
            case OP_SIN: for (long p = 0; p < BS; p++) v[p] = sin(a[p]); break;
            case OP_COS: for (long p = 0; p < BS; p++) v[p] = cos(a[p]); break;
            case OP_EXP: for (long p = 0; p < BS; p++) v[p] = exp(a[p]); break;
            case OP_LOG: for (long p = 0; p < BS; p++) v[p] = log(a[p]); break;
            case OP_TANH: for (long p = 0; p < BS; p++) v[p] = tanh(a[p]); break;
            case OP_SQRT: for (long p = 0; p < BS; p++) v[p] = sqrt(a[p]); break;
            case OP_ABS: for (long p = 0; p < BS; p++) v[p] = fabs(a[p]); break;
            case OP_SIGN: for (long p = 0; p < BS; p++) v[p] = (double)((a[p] > 0) - (a[p] < 0)); break;
            case OP_STOP: case OP_MEAN: case OP_SUM: case OP_MAXR:
                memcpy(v, a, sizeof(double) * (size_t)BS);
                break;
            case OP_LT: for (long p = 0; p < BS; p++) v[p] = (double)(a[p] < b[p]); break;
            case OP_LE: for (long p = 0; p < BS; p++) v[p] = (double)(a[p] <= b[p]); break;
            case OP_SEL: for (long p = 0; p < BS; p++) v[p] = a[p] != 0 ? b[p] : 0.0; break;
            case OP_SELN: for (long p = 0; p < BS; p++) v[p] = a[p] != 0 ? 0.0 : b[p]; break;
            case OP_NOISE: case OP_DATA: case OP_SIM: case OP_WEIGHT: case OP_COUNT:
                HY_ICE("eval: %s in an exported expression", op_name(nd->op));
            }
        }
        for (int it = 0; it < nitems; it++)
            memcpy(res[it] + i0, val[items[it].root], sizeof(double) * (size_t)cnt);
    }
    for (NodeId i = 0; i < c->ir.nnodes; i++)
        free(val[i]);
    for (int cl = 0; cl < ncalls; cl++) {
        free(X[cl]);
        free(Y[cl]);
    }
    free(val);
    free(m);
    free(plan);
    free(ncomp);
    free(codes);
    free(X);
    free(Y);
    free(done);
}

/* Values of the items at the rows of the --at table, by the runtime. */
static int eval_points(Xp *x)
{
    const Comp *c = x->cb;
    const ExportItem *it0 = &x->req.items[0];
    for (int i = 1; i < x->req.n; i++) {
        const ExportItem *it = &x->req.items[i];
        int same = it->dim == it0->dim;
        for (int k = 0; same && k < it->dim; k++)
            same = !strcmp(it->coords[k], it0->coords[k]);
        if (!same) {
            fprintf(stderr, "hycoc: error: --eval '%s' and '%s' have different coordinates; "
                            "evaluate them one at a time\n", it0->text, it->text);
            return 1;
        }
    }
    HyTable tab;
    char err[512];
    if (hy_table_load(x->o->at, &tab, err, sizeof err) != 0) {
        fprintf(stderr, "hycoc: error: %s\n", err);
        return 1;
    }
    const int dim = it0->dim;
    int col[8];
    int named = 1;
    for (int k = 0; k < dim; k++)
        named &= (col[k] = hy_table_column(&tab, it0->coords[k])) >= 0;
    if (!named) {
        if (tab.ncols != dim) {
            char list[256];
            fprintf(stderr, "hycoc: error: %s: needs the coordinates of '%s' (", x->o->at, it0->field);
            for (int k = 0; k < dim; k++)
                fprintf(stderr, "%s%s", k ? ", " : "", it0->coords[k]);
            fprintf(stderr, ") as columns of those names, or exactly %d columns; %s\n", dim,
                    hy_table_columns_list(&tab, list, sizeof list));
            hy_table_free(&tab);
            return 1;
        }
        for (int k = 0; k < dim; k++)
            col[k] = k;
    }
    const long n = tab.nrows;
    const int nitems = x->req.n;
    double **res = calloc((size_t)nitems, sizeof *res);
    const double *cc[8];
    if (!res)
        HY_ICE("out of memory");
    for (int i = 0; i < nitems; i++)
        if (!(res[i] = malloc(sizeof(double) * (size_t)(n > 0 ? n : 1))))
            HY_ICE("out of memory");
    for (int k = 0; k < dim; k++)
        cc[k] = tab.data + (long)col[k] * n;
    export_eval_values(c, x->req.items, nitems, x->ctx, n, cc, res);
    /* output: the coordinates, then one column per expression */
    int status = 0;
    const int ncols = dim + nitems;
    const char **names = calloc((size_t)ncols, sizeof *names);
    const double **cols = calloc((size_t)ncols, sizeof *cols);
    if (!names || !cols)
        HY_ICE("out of memory");
    for (int k = 0; k < dim; k++) {
        names[k] = it0->coords[k];
        cols[k] = tab.data + (long)col[k] * n;
    }
    for (int it = 0; it < nitems; it++) {
        names[dim + it] = x->req.items[it].text;
        cols[dim + it] = res[it];
    }
    if (x->o->out) {
        if (hy_csv_write(x->o->out, ncols, names, n, cols, err, sizeof err) != 0) {
            fprintf(stderr, "hycoc: error: %s\n", err);
            status = 1;
        }
    } else {
        for (int k = 0; k < ncols; k++)
            printf("%s%s", k ? "," : "", names[k]);
        printf("\n");
        for (long r = 0; r < n; r++)
            for (int k = 0; k < ncols; k++)
                printf("%.17g%s", cols[k][r], k + 1 < ncols ? "," : "\n");
        if (fflush(stdout) != 0 || ferror(stdout)) {
            fprintf(stderr, "hycoc: error: writing the values: %s\n", strerror(errno));
            status = 1;
        }
    }
    free(names);
    free(cols);
    for (int i = 0; i < nitems; i++)
        free(res[i]);
    free(res);
    hy_table_free(&tab);
    return status;
}

/* ---------------------------------------------------------------- command */

int export_command(const ExportOpts *o)
{
    Xp x;
    memset(&x, 0, sizeof x);
    x.o = o;
    int status = 1;
    x.cb = comp_new(o->file, o->src, o->len, stderr);
    x.ca = comp_new(o->file, o->src, o->len, stderr);
    if (make_items(&x) || front(&x, x.cb, 1))
        goto done;
    for (int i = 0; i < x.req.n; i++)
        if (x.req.items[i].root == NO_NODE)
            goto done;
    x.ca->diag.nwarnings = 0;
    {   /* the plain compile: warnings were shown by the first */
        FILE *null = fopen("/dev/null", "w");
        if (null)
            x.ca->diag.out = null;
        int r = front(&x, x.ca, 0);
        if (null)
            fclose(null);
        x.ca->diag.out = stderr;
        if (r)
            goto done;
    }
    x.ctx = hy_ctx_new();
    hy_set_quiet(x.ctx, 1);
    if ((status = comp_jit(x.ca, x.ctx, &x.jit, o->keep_c)) != 0)
        goto done;
    status = 1;
    HyRunInfo info = {o->file, o->src, o->len, -1.0, 0};
    if (o->weights) {
        if (hy_checkpoint_load(x.ctx, o->weights, HY_CK_WEIGHTS, &info, &x.meta) != 0) {
            fprintf(stderr, "hycoc: error: cannot use the weights of '%s' (differences above)\n",
                    o->weights);
            goto done;
        }
        x.have_meta = 1;
    } else {
        fprintf(stderr, "hycoc: warning: no --weights: %s the untrained initial weights (seed %llu)\n",
                o->eval ? "evaluating" : "exporting", (unsigned long long)x.ca->seed);
    }
    status = o->eval ? eval_points(&x) : export_c(&x);
done:
    hy_ctx_free(x.ctx);
    jit_free(x.jit);
    comp_free(x.ca);
    comp_free(x.cb);
    return status;
}
