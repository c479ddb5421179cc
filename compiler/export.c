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
 * (jet components, order <= XP_MAX_ORDER = 4 = HY_MAX_JET_ORDER: every
 * component to order 2, plus the order 3-4 components the expressions need
 * and their sub-multisets, through tables of chain-rule terms as in
 * runtime/net.c) by a per-point Taylor propagation through the
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
#define XP_MAX_ORDER 4   /* network derivative order of the exported C (put_net) */
#define XP_MAXH 128      /* components of order >= 3 of one export (all networks together) */

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

/* The components of order 3 and 4 of this export (jet codes, every network
 * computes them all; each sub-multiset of order >= 3 of a listed code is
 * listed), filled by export_c before anything is written. */
static uint32_t xp_hc[XP_MAXH];
static int xp_nh;

/* Adds code (order >= 3) and its sub-multisets of order >= 3; 0, or -1 when
 * the list is full. */
static int hi_add(uint32_t code)
{
    int idx[4], ord = 0;
    for (uint32_t u = code; u; u >>= 8)
        idx[ord++] = (int)(u & 0xffu);
    for (unsigned mk = 1; mk < 1u << ord; mk++) {
        if (__builtin_popcount(mk) < 3)
            continue;
        uint32_t sub = 0;
        int sh = 0;
        for (int i = 0; i < ord; i++)   /* positions ascending: the code stays sorted */
            if (mk >> i & 1u) {
                sub |= (uint32_t)idx[i] << sh;
                sh += 8;
            }
        int k = 0;
        while (k < xp_nh && xp_hc[k] != sub)
            k++;
        if (k < xp_nh)
            continue;
        if (xp_nh == XP_MAXH)
            return -1;
        xp_hc[xp_nh++] = sub;
    }
    return 0;
}

/* Jet component of a code for a network with din inputs: 0 value, 1 + j
 * first derivative by input j, 1 + din + p din + q second (p <= q), then
 * 1 + din + din^2 + h for xp_hc[h]. */
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
    for (int h = 0; h < xp_nh; h++)
        if (xp_hc[h] == code)
            return 1 + din + din * din + h;
    HY_ICE("export: jet code 0x%x of order %d not planned", code, ord);
}

static int ncomp_of(int order, int din)
{
    return order <= 0 ? 1 : order == 1 ? 1 + din : order == 2 ? 1 + din + din * din
                                                              : 1 + din + din * din + xp_nh;
}

/* Component of the input list dir[0..n) (ascending) of a din-input network. */
static int dir_comp(const int *dir, int n, int din)
{
    uint32_t code = 0;
    for (int i = n - 1; i >= 0; i--)
        code = code << 8 | (uint32_t)(dir[i] + 1);
    return comp_of(code, din);
}

/* The tables of network t (din inputs) for the components xp_hc: for each,
 * the Faa di Bruno terms of an activation (set partitions of its inputs,
 * equal ones merged: coef act^(k) prod of the blocks' components) and the
 * Leibniz terms of a product h D with both factors differentiated (blend);
 * a code naming an input >= din gets no terms (never used). */
static void put_hi_tables(FILE *f, int t, int din, int blend)
{
    int ts[XP_MAXH + 1], ps[XP_MAXH + 1], nt = 0, np = 0, tcap = 64, pcap = 64;
    int (*ti)[6] = malloc(sizeof *ti * (size_t)tcap), (*pi)[2] = malloc(sizeof *pi * (size_t)pcap);
    double *tc = malloc(sizeof *tc * (size_t)tcap), *pc = malloc(sizeof *pc * (size_t)pcap);
    if (!ti || !pi || !tc || !pc)
        HY_ICE("out of memory");
    for (int h = 0; h < xp_nh; h++) {
        int dir[4], ord = 0, ok = 1;
        for (uint32_t u = xp_hc[h]; u; u >>= 8)
            ok &= (dir[ord++] = (int)(u & 0xffu) - 1) < din;
        ts[h] = nt;
        ps[h] = np;
        if (!ok)
            continue;
        int a[4] = {0};   /* restricted growth string: block of each position */
        for (;;) {
            int nb = 0, key[6] = {0};
            for (int i = 0; i < ord; i++)
                nb = a[i] + 1 > nb ? a[i] + 1 : nb;
            key[0] = nb;
            key[1] = nb;
            for (int b = 0; b < nb; b++) {
                int bd[4], q = 0;
                for (int i = 0; i < ord; i++)
                    if (a[i] == b)
                        bd[q++] = dir[i];
                key[2 + b] = dir_comp(bd, q, din);
            }
            for (int i = 1; i < nb; i++)
                for (int k = i; k > 0 && key[1 + k] > key[2 + k]; k--) {
                    int tmp = key[2 + k];
                    key[2 + k] = key[1 + k];
                    key[1 + k] = tmp;
                }
            int m = ts[h];
            while (m < nt && memcmp(ti[m], key, sizeof key))
                m++;
            if (m < nt) {
                tc[m] += 1.0;
            } else {
                if (nt == tcap) {
                    tcap *= 2;
                    ti = realloc(ti, sizeof *ti * (size_t)tcap);
                    tc = realloc(tc, sizeof *tc * (size_t)tcap);
                    if (!ti || !tc)
                        HY_ICE("out of memory");
                }
                memcpy(ti[nt], key, sizeof key);
                tc[nt++] = 1.0;
            }
            int i = ord - 1;   /* next string: a[0] = 0, a[i] <= 1 + max a[0..i) */
            for (; i > 0; i--) {
                int mx = 0;
                for (int k = 0; k < i; k++)
                    mx = a[k] > mx ? a[k] : mx;
                if (a[i] <= mx)
                    break;
            }
            if (i == 0)
                break;
            a[i]++;
            for (int k = i + 1; k < ord; k++)
                a[k] = 0;
        }
        for (unsigned mk = 1; mk + 1 < 1u << ord; mk++) {   /* blend: J, K both nonempty */
            int jd[4], kd[4], nj = 0, nk = 0, m;
            for (int i = 0; i < ord; i++) {
                if (mk >> i & 1u)
                    jd[nj++] = dir[i];
                else
                    kd[nk++] = dir[i];
            }
            int cj = dir_comp(jd, nj, din), ck = dir_comp(kd, nk, din);
            for (m = ps[h]; m < np && (pi[m][0] != cj || pi[m][1] != ck); m++)
                ;
            if (m < np) {
                pc[m] += 1.0;
                continue;
            }
            if (np == pcap) {
                pcap *= 2;
                pi = realloc(pi, sizeof *pi * (size_t)pcap);
                pc = realloc(pc, sizeof *pc * (size_t)pcap);
                if (!pi || !pc)
                    HY_ICE("out of memory");
            }
            pi[np][0] = cj;
            pi[np][1] = ck;
            pc[np++] = 1.0;
        }
    }
    ts[xp_nh] = nt;
    ps[xp_nh] = np;
    fprintf(f, "/* network %d, components %d.. of order 3-4: act terms (k, blocks, block components)\n"
               " * with coefficients, and blend terms (h_J, D_K components) with coefficients */\n", t,
            1 + din + din * din);
    fprintf(f, "static const int hyx_ts%d[%d] = {", t, xp_nh + 1);
    for (int h = 0; h <= xp_nh; h++)
        fprintf(f, "%s%d", h ? ", " : "", ts[h]);
    fprintf(f, "};\nstatic const int hyx_ti%d[%d] = {", t, nt ? 6 * nt : 1);
    for (int m = 0; m < nt; m++)
        fprintf(f, "%s%s%d, %d, %d, %d, %d, %d", m ? "," : "", m % 4 == 0 ? "\n    " : " ", ti[m][0], ti[m][1],
                ti[m][2], ti[m][3], ti[m][4], ti[m][5]);
    fprintf(f, "%s};\nstatic const double hyx_tc%d[%d] = {", nt ? "" : "0", t, nt ? nt : 1);
    for (int m = 0; m < nt; m++)
        fprintf(f, "%s%g", m ? ", " : "", tc[m]);
    fprintf(f, "%s};\n", nt ? "" : "0");
    if (!blend)
        np = 0;
    for (int h = 0; !blend && h <= xp_nh; h++)
        ps[h] = 0;
    if (blend)
        fprintf(f, "static const int hyx_ps%d[%d] = {", t, xp_nh + 1);
    for (int h = 0; blend && h <= xp_nh; h++)
        fprintf(f, "%s%d", h ? ", " : "", ps[h]);
    if (blend)
        fprintf(f, "};\nstatic const int hyx_pi%d[%d] = {", t, np ? 2 * np : 1);
    for (int m = 0; m < np; m++)
        fprintf(f, "%s%d, %d", m ? ", " : "", pi[m][0], pi[m][1]);
    if (blend)
        fprintf(f, "%s};\nstatic const double hyx_pc%d[%d] = {", np ? "" : "0", t, np ? np : 1);
    for (int m = 0; m < np; m++)
        fprintf(f, "%s%g", m ? ", " : "", pc[m]);
    if (blend)
        fprintf(f, "%s};\n", np ? "" : "0");
    free(ti);
    free(tc);
    free(pi);
    free(pc);
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

/* The activations used, as f(z, d): d[k] = f^(k)(z) for k = 0..2 (and 3, 4
 * when hi: an export with components of order 3-4). */
static void put_activations(FILE *f, const uint8_t *used, int hi)
{
    if (used[HY_ACT_TANH])
        fprintf(f, "static void hyx_tanh(double z, double *d)\n{\n"
                   "    double t = tanh(z);\n"
                   "    d[0] = t;\n    d[1] = 1.0 - t * t;\n    d[2] = -2.0 * t * d[1];\n%s}\n\n",
                hi ? "    d[3] = d[1] * (6.0 * t * t - 2.0);\n    d[4] = 8.0 * t * d[1] * (2.0 - 3.0 * t * t);\n" : "");
    if (used[HY_ACT_SIN])
        fprintf(f, "static void hyx_sin(double z, double *d)\n{\n"
                   "    d[0] = sin(z);\n    d[1] = cos(z);\n    d[2] = -d[0];\n%s}\n\n",
                hi ? "    d[3] = -d[1];\n    d[4] = d[0];\n" : "");
    if (used[HY_ACT_GELU])
        fprintf(f, "/* z Phi(z), Phi the normal CDF (by erfc: accurate for z << 0) */\n"
                   "static void hyx_gelu(double z, double *d)\n{\n"
                   "    double Phi = 0.5 * erfc(-z * 0.70710678118654752440);\n"
                   "    double phi = 0.39894228040143267794 * exp(-0.5 * z * z);\n"
                   "    d[0] = z * Phi;\n    d[1] = Phi + z * phi;\n    d[2] = phi * (2.0 - z * z);\n%s}\n\n",
                hi ? "    d[3] = z * phi * (z * z - 4.0);\n    d[4] = -phi * (z * z * z * z - 7.0 * z * z + 4.0);\n"
                   : "");
    if (used[HY_ACT_SIGMOID] || used[HY_ACT_SOFTPLUS] || used[HY_ACT_SWISH])
        fprintf(f, "/* s = 1/(1 + exp(-z)), 1 - s and s' = s (1 - s), accurate in both tails */\n"
                   "static void hyx_sigmoid_parts(double z, double *s, double *oms, double *s1)\n{\n"
                   "    double e = exp(-fabs(z)), p = 1.0 / (1.0 + e), q = e * p;\n"
                   "    *s = z >= 0 ? p : q;\n    *oms = z >= 0 ? q : p;\n    *s1 = p * q;\n}\n\n");
    if (used[HY_ACT_SIGMOID])
        fprintf(f, "static void hyx_sigmoid(double z, double *d)\n{\n"
                   "    double s, oms, s1;\n    hyx_sigmoid_parts(z, &s, &oms, &s1);\n"
                   "    d[0] = s;\n    d[1] = s1;\n    d[2] = s1 * (oms - s);\n%s}\n\n",
                hi ? "    d[3] = s1 * (1.0 - 6.0 * s1);\n    d[4] = d[2] * (1.0 - 12.0 * s1);\n" : "");
    if (used[HY_ACT_SOFTPLUS])
        fprintf(f, "static void hyx_softplus(double z, double *d)\n{\n"
                   "    double s, oms, s1;\n    hyx_sigmoid_parts(z, &s, &oms, &s1);\n"
                   "    d[0] = (z > 0 ? z : 0.0) + log1p(exp(-fabs(z)));\n"
                   "    d[1] = s;\n    d[2] = s1;\n    (void)oms;\n%s}\n\n",
                hi ? "    d[3] = s1 * (oms - s);\n    d[4] = s1 * (1.0 - 6.0 * s1);\n" : "");
    if (used[HY_ACT_SWISH])
        fprintf(f, "static void hyx_swish(double z, double *d)\n{\n"
                   "    double s, oms, s1;\n    hyx_sigmoid_parts(z, &s, &oms, &s1);\n"
                   "    d[0] = z * s;\n    d[1] = s + z * s1;\n    d[2] = 2.0 * s1 + z * (s1 * (oms - s));\n%s}\n\n",
                hi ? "    d[3] = 3.0 * (s1 * (oms - s)) + z * (s1 * (1.0 - 6.0 * s1));\n"
                     "    d[4] = 4.0 * (s1 * (1.0 - 6.0 * s1)) + z * (s1 * (oms - s) * (1.0 - 12.0 * s1));\n"
                   : "");
}

static void put_helpers(FILE *f, int blend, int hi, int fourier)
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
        "    double d[%d];\n"
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
        "    }\n}\n\n", hi ? 5 : 3);
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
    if (hi && fourier)
        fprintf(f,
            "/* Derivative k of cos (sine 0) or sin (sine 1) from cv = cos v, sv = sin v. */\n"
            "static double hyx_cyc(int k, double cv, double sv, int sine)\n{\n"
            "    switch ((k + 3 * sine) & 3) {\n"
            "    case 0: return cv;\n    case 1: return -sv;\n    case 2: return -cv;\n"
            "    default: return sv;\n    }\n}\n\n");
    if (hi)
        fprintf(f,
            "/* Components c0 .. c0+nh-1 (order 3-4) of a = f(z) unit by unit: component\n"
            " * h is the sum over terms m = ts[h] .. ts[h+1]-1 of tc[m] f^(k)(z) times the\n"
            " * components ti[6m+2 ..] of z (k = ti[6m], ti[6m+1] of them). */\n"
            "static void hyx_act_hi(void (*f)(double, double *), int n, int c0, int nh,\n"
            "                       const int *ts, const int *ti, const double *tc,\n"
            "                       const double *z, double *a)\n{\n"
            "    int i, h, m, b;\n"
            "    double d[5];\n"
            "    for (i = 0; i < n; i++) {\n"
            "        f(z[i], d);\n"
            "        for (h = 0; h < nh; h++) {\n"
            "            double s = 0.0;\n"
            "            for (m = ts[h]; m < ts[h + 1]; m++) {\n"
            "                double v = tc[m] * d[ti[6 * m]];\n"
            "                for (b = 0; b < ti[6 * m + 1]; b++)\n"
            "                    v *= z[ti[6 * m + 2 + b] * n + i];\n"
            "                s += v;\n"
            "            }\n"
            "            a[(c0 + h) * n + i] = s;\n"
            "        }\n"
            "    }\n}\n\n");
    if (hi && blend)
        fprintf(f,
            "/* The same components of y = U + h (V - U): y_c = U_c + h_c D + h D_c plus\n"
            " * pc[m] h_J (V_K - U_K) for J = pi[2m], K = pi[2m+1], m = ps[h] .. ps[h+1]-1. */\n"
            "static void hyx_blend_hi(int n, int c0, int nh, const int *ps, const int *pi,\n"
            "                         const double *pc, const double *U, const double *V,\n"
            "                         const double *h, double *y)\n{\n"
            "    int i, k, m;\n"
            "    for (i = 0; i < n; i++)\n"
            "        for (k = 0; k < nh; k++) {\n"
            "            int c = (c0 + k) * n + i;\n"
            "            double s = U[c] + h[c] * (V[i] - U[i]) + h[i] * (V[c] - U[c]);\n"
            "            for (m = ps[k]; m < ps[k + 1]; m++) {\n"
            "                int J = pi[2 * m] * n + i, K = pi[2 * m + 1] * n + i;\n"
            "                s += pc[m] * h[J] * (V[K] - U[K]);\n"
            "            }\n"
            "            y[c] = s;\n"
            "        }\n}\n\n");
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
    const int C0 = 1 + D + D * D, hi = maxord >= 3;
    if (hi)
        put_hi_tables(f, t, D, ni.kind == HY_NET_MODIFIED);
    if (hi && F) {
        fprintf(f, "/* inputs of each component of order 3-4 (-1: an input this network lacks) */\n"
                   "static const int hyx_ho%d[%d] = {", t, xp_nh);
        for (int h = 0; h < xp_nh; h++) {
            int o = 0, ok = 1;
            for (uint32_t u = xp_hc[h]; u; u >>= 8, o++)
                ok &= (int)(u & 0xffu) <= D;
            fprintf(f, "%s%d", h ? ", " : "", ok ? o : -1);
        }
        fprintf(f, "};\nstatic const int hyx_hd%d[%d] = {", t, 4 * xp_nh);
        for (int h = 0; h < xp_nh; h++)
            for (int r = 0; r < 4; r++)
                fprintf(f, "%s%d", h || r ? ", " : "", (int)((xp_hc[h] >> (8 * r)) & 0xffu) - 1);
        fprintf(f, "};\n");
    }
    fprintf(f, "\nstatic void hyx_net_%d(const double *in, int order, double *out)\n{\n", t);
    if (hi)   /* zeroed: the compiler cannot see that the table terms read written entries */
        fprintf(f, "    double g[%d] = {0}, z[%d] = {0}, h[%d] = {0}, a[%d] = {0};\n", NC * D0, NC * W, NC * W,
                NC * W);
    else
        fprintf(f, "    double g[%d], z[%d], h[%d], a[%d];\n", NC * D0, NC * W, NC * W, NC * W);
    if (ni.kind == HY_NET_MODIFIED)
        fprintf(f, "    double U[%d], V[%d];\n", NC * W, NC * W);
    fprintf(f, "    double xs[%d], sc[%d];\n", D, D);
    if (hi)
        fprintf(f, "    const int nd = %d, nc = order == 0 ? 1 : order == 1 ? %d : order == 2 ? %d : %d;\n", D,
                1 + D, C0, NC);
    else
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
        if (hi)
            fprintf(f, "    for (c = 0; order >= 3 && c < %d; c++)   /* order 3-4: cos^(n) v prod v_r */\n"
                       "        for (k = 0; k < %d; k++) {\n"
                       "            double v = 0.0, pr = 1.0, cv, sv;\n"
                       "            int r;\n"
                       "            if (hyx_ho%d[c] < 0) {\n"
                       "                g[(%d + c) * %d + k] = g[(%d + c) * %d + %d + k] = 0.0;\n"
                       "                continue;\n"
                       "            }\n"
                       "            for (p = 0; p < nd; p++)\n"
                       "                v += hyx_B%d[k * nd + p] * xs[p];\n"
                       "            for (r = 0; r < hyx_ho%d[c]; r++)\n"
                       "                pr *= hyx_B%d[k * nd + hyx_hd%d[4 * c + r]] * sc[hyx_hd%d[4 * c + r]];\n"
                       "            cv = cos(v);\n            sv = sin(v);\n"
                       "            g[(%d + c) * %d + k] = hyx_cyc(hyx_ho%d[c], cv, sv, 0) * pr;\n"
                       "            g[(%d + c) * %d + %d + k] = hyx_cyc(hyx_ho%d[c], cv, sv, 1) * pr;\n"
                       "        }\n",
                    xp_nh, F, t, C0, D0, C0, D0, F, t, t, t, t, t, C0, D0, t, C0, D0, F, t);
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
            if (hi)
                fprintf(f, "    if (order >= 3)\n        hyx_act_hi(%s, %d, %d, %d, hyx_ts%d, hyx_ti%d, hyx_tc%d, z, %c);\n",
                        fn, W, C0, xp_nh, t, t, t, e ? 'V' : 'U');
        }
    }
    for (int l = 0; l < ni.depth; l++) {
        hy_net_layer(x->ctx, t, l, &woff, &boff, &nin, &nout);
        fprintf(f, "    hyx_linear(%d, %d, nc, hyx_p%d + %ld, hyx_p%d + %ld, %s, z);   /* layer %d */\n",
                nout, nin, t, woff, t, boff, l == 0 ? "g" : "a", l);
        char tgt = ni.kind == HY_NET_MODIFIED || (ni.kind == HY_NET_RESNET && l > 0) ? 'h' : 'a';
        fprintf(f, "    hyx_act(%s, %d, nd, order, z, %c);\n", fn, W, tgt);
        if (hi)
            fprintf(f, "    if (order >= 3)\n        hyx_act_hi(%s, %d, %d, %d, hyx_ts%d, hyx_ti%d, hyx_tc%d, z, %c);\n",
                    fn, W, C0, xp_nh, t, t, t, tgt);
        if (ni.kind == HY_NET_MODIFIED) {
            fprintf(f, "    hyx_blend(%d, nd, order, U, V, h, a);\n", W);
            if (hi)
                fprintf(f, "    if (order >= 3)\n        hyx_blend_hi(%d, %d, %d, hyx_ps%d, hyx_pi%d, hyx_pc%d, U, V, h, a);\n",
                        W, C0, xp_nh, t, t, t);
        } else if (ni.kind == HY_NET_RESNET && l > 0) {
            fprintf(f, "    for (i = 0; i < nc * %d; i++)\n        a[i] += h[i];\n", W);
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
        case OP_ATAN2: fprintf(f, "    const double t%u = atan2(%s, %s);\n", i, A, B); continue;
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
        case OP_ATAN: fn = "atan"; break;
        case OP_ASIN: fn = "asin"; break;
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
    int blend = 0, fourier = 0;
    uint8_t *m = calloc(c->ir.nnodes, 1);
    if (!maxord || !used || !m)
        HY_ICE("out of memory");
    xp_nh = 0;
    for (int i = 0; i < x->req.n; i++) {
        memset(m, 0, c->ir.nnodes);
        mark(c, x->req.items[i].root, m);
        for (NodeId n = 0; n < c->ir.nnodes; n++)
            if (m[n] && c->ir.nodes[n].op == OP_NETOUT) {
                int t = c->ir.calls[c->ir.nodes[n].a].net, o = jet_order(c->ir.nodes[n].aux);
                used[t] = 1;
                maxord[t] = o > maxord[t] ? o : maxord[t];
                if (o >= 3 && o <= XP_MAX_ORDER && hi_add(c->ir.nodes[n].aux) != 0) {
                    fprintf(stderr, "hycoc: error: --export needs more than %d network derivative components of "
                                    "order 3 and 4; export fewer expressions at a time\n", XP_MAXH);
                    free(m);
                    free(maxord);
                    free(used);
                    return 1;
                }
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
            fourier |= ni.nfeat > 0;
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
    put_activations(f, acts, xp_nh > 0);
    int anynet = 0;
    for (int t = 0; t < c->ntrs; t++)
        anynet |= used[t];
    if (anynet)
        put_helpers(f, blend, xp_nh > 0, fourier);
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
            case OP_ATAN2: for (long p = 0; p < BS; p++) v[p] = atan2(a[p], b[p]); break;
            case OP_ATAN: for (long p = 0; p < BS; p++) v[p] = atan(a[p]); break;
            case OP_ASIN: for (long p = 0; p < BS; p++) v[p] = asin(a[p]); break;
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
