/* ast.c -- the AST dump (hycoc --dump ast, golden tests).
 *
 * Requires: a Program from parse_program (possibly partial).
 * Guarantees: one node per line, two spaces of indent per level, stable text:
 * numbers in the shortest form that reads back to the same double (at most
 * %.17g), strings quoted with \" \\ \n \t \xNN escapes.  Statements carry
 * "@line:col"; expression nodes do not.  Recursion depth is bounded by the
 * parser's expression depth limit.
 */
#include "hycoc.h"
#include "hyrt_api.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void indent(FILE *out, int n)
{
    for (int i = 0; i < n; i++)
        fputs("  ", out);
}

static void put_num(FILE *out, double v)
{
    char buf[64];
    if (v == floor(v) && fabs(v) < 1e15) {
        fprintf(out, "%.0f", v);
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (strtod(buf, NULL) == v || prec == 17)
            break;
    }
    fputs(buf, out);
}

static void put_str(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", out);
        else if (*p == '\t')
            fputs("\\t", out);
        else if (*p < 0x20 || *p >= 0x7f)
            fprintf(out, "\\x%02X", *p);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

static const char *op_name(int op)
{
    switch (op) {
    case '+': return "+";
    case '-': return "-";
    case '*': return "*";
    case '/': return "/";
    case '^': return "^";
    case '<': return "<";
    case '>': return ">";
    case 'l': return "<=";
    case 'g': return ">=";
    case '=': return "=";
    }
    return "?";
}

static const char *cmp_name(int cmp)
{
    switch (cmp) {
    case HY_CMP_LT: return "<";
    case HY_CMP_LE: return "<=";
    case HY_CMP_GT: return ">";
    case HY_CMP_GE: return ">=";
    }
    return "?";
}

static void dump_expr(FILE *out, const Expr *e, int ind);

static void dump_arg(FILE *out, const Arg *a, int ind)
{
    switch (a->kind) {
    case ARG_EXPR:
        dump_expr(out, a->e, ind);
        return;
    case ARG_RANGE:
        indent(out, ind);
        fprintf(out, "range %s\n", a->name);
        dump_expr(out, a->e, ind + 1);
        dump_expr(out, a->e2, ind + 1);
        return;
    case ARG_OPT:
        indent(out, ind);
        fprintf(out, "opt %s\n", a->name);
        if (a->e)
            dump_expr(out, a->e, ind + 1);
        for (int i = 0; i < a->nmore; i++)
            dump_expr(out, a->more[i], ind + 1);
        return;
    case ARG_ARROW:
        indent(out, ind);
        fputs("arrow\n", out);
        dump_expr(out, a->e, ind + 1);
        dump_expr(out, a->e2, ind + 1);
        return;
    }
    indent(out, ind);
    fputs("arg ?\n", out);
}

static void dump_expr(FILE *out, const Expr *e, int ind)
{
    indent(out, ind);
    if (!e) {
        fputs("(null)\n", out);
        return;
    }
    switch (e->kind) {
    case EX_NUM:
        fputs("num ", out);
        put_num(out, e->num);
        fputc('\n', out);
        return;
    case EX_STR:
        fputs("str ", out);
        put_str(out, e->str);
        fputc('\n', out);
        return;
    case EX_NAME:
        fprintf(out, "name %s\n", e->name);
        return;
    case EX_CALL:
        fprintf(out, "call %s\n", e->name);
        for (int i = 0; i < e->nargs; i++)
            dump_arg(out, e->args[i], ind + 1);
        return;
    case EX_BIN:
        fprintf(out, "bin %s\n", op_name(e->op));
        dump_expr(out, e->lhs, ind + 1);
        dump_expr(out, e->rhs, ind + 1);
        return;
    case EX_NEG:
        fputs("neg\n", out);
        dump_expr(out, e->lhs, ind + 1);
        return;
    case EX_MEMBER:
        fprintf(out, "member %s\n", e->name);
        dump_expr(out, e->lhs, ind + 1);
        return;
    case EX_OVER:
        fprintf(out, "over %s\n", e->name);
        dump_expr(out, e->lhs, ind + 1);
        return;
    case EX_LIST:
        fprintf(out, "%s %d\n", e->op == '(' ? "tuple" : "list", e->nargs);
        for (int i = 0; i < e->nargs; i++)
            dump_arg(out, e->args[i], ind + 1);
        return;
    case EX_INDEX:
        fputs("index\n", out);
        dump_expr(out, e->lhs, ind + 1);
        dump_expr(out, e->rhs, ind + 1);
        return;
    }
    fputs("expr ?\n", out);
}

/* "label" on its own line, the expression one level deeper. */
static void dump_labeled(FILE *out, const char *label, const Expr *e, int ind)
{
    if (!e)
        return;
    indent(out, ind);
    fprintf(out, "%s\n", label);
    dump_expr(out, e, ind + 1);
}

const char *ast_stmt_keyword(StmtKind k)
{
    switch (k) {
    case ST_SEED: return "seed";
    case ST_CONST: return "const";
    case ST_DOMAIN: return "domain";
    case ST_POINTS: return "points";
    case ST_DATA: return "data";
    case ST_NET: return "net";
    case ST_PARAM: return "param";
    case ST_FIELD: return "field";
    case ST_LET: return "let";
    case ST_LOSS: return "loss";
    case ST_TRAIN: return "train";
    case ST_EXPECT: return "expect";
    case ST_REPORT: return "report";
    case ST_WEIGHTS: return "weights";
    case ST_TRACK: return "track";
    case ST_GRID: return "grid";
    case ST_SIM: return "sim";
    case ST_STATE: return "state";
    case ST_SIMSTEP: return "step";
    case ST_EQN: return "eqn";
    }
    return "?";
}

static void dump_train(FILE *out, const Stmt *s, int ind, const char *word)
{
    indent(out, ind);
    fprintf(out, "%s %ld %s", word, s->count, s->iterations ? "iterations" : "epochs");
    if (s->warmup)
        fprintf(out, " warmup %ld", s->warmup);
    if (s->warm_loss)
        fprintf(out, " warmup until %s", s->warm_loss);
    if (s->warm_max_loc.line)
        fprintf(out, " max %ld", s->warm_max);
    fprintf(out, " @%d:%d\n", s->loc.line, s->loc.col);
    dump_labeled(out, "optimizer", s->opt, ind + 1);
    dump_labeled(out, "threshold", s->warm_thr, ind + 1);
    for (int i = 0; i < s->nsteps; i++) {
        const Step *st = &s->steps[i];
        indent(out, ind + 1);
        fputs("step", out);
        if (st->repeat != 1 || st->repeat_loc.line)
            fprintf(out, " x %ld", st->repeat);
        if (st->every)
            fprintf(out, " every %ld", st->every);
        fprintf(out, " @%d:%d\n", st->loc.line, st->loc.col);
        for (int j = 0; j < st->nnames; j++) {
            if (st->items)
                dump_expr(out, st->items[j], ind + 2);
            else {
                indent(out, ind + 2);
                fprintf(out, "name %s\n", st->names[j] ? st->names[j] : "(null)");
            }
        }
    }
    if (s->then)
        dump_train(out, s->then, ind + 1, "then");
}

static void dump_stmt(FILE *out, const Stmt *s, int ind)
{
    if (s->kind == ST_TRAIN) {
        dump_train(out, s, ind, "stmt train");
        return;
    }
    indent(out, ind);
    fprintf(out, "stmt %s", ast_stmt_keyword(s->kind));
    if (s->kind == ST_SEED)
        fprintf(out, " %ld", s->count);
    if (s->name)
        fprintf(out, " %s", s->name);
    if (s->nparams >= 0 && s->kind != ST_TRACK) {
        fputc('(', out);
        for (int i = 0; i < s->nparams; i++)
            fprintf(out, "%s%s", i ? ", " : "", s->params[i]);
        fputc(')', out);
    }
    if (s->kind == ST_TRACK)
        for (int i = 0; i < s->nparams; i++)
            fprintf(out, "%s%s", i ? ", " : " ", s->params[i]);
    if (s->on) {
        const char *w = s->kind == ST_POINTS ? "in"
                      : s->kind == ST_DATA || s->kind == ST_SIM ? "on" : "over";
        fprintf(out, " %s %s", w, s->on);
    }
    if (s->kind == ST_EXPECT)
        fprintf(out, " %s", cmp_name(s->cmp));
    fprintf(out, " @%d:%d\n", s->loc.line, s->loc.col);
    if (s->value)
        dump_expr(out, s->value, ind + 1);
    if (s->kind == ST_EXPECT || s->kind == ST_EQN)
        dump_labeled(out, s->kind == ST_EXPECT ? "bound" : "=", s->bound, ind + 1);
    dump_labeled(out, "on", s->on_expr, ind + 1);
    if (s->grow_by) {
        indent(out, ind + 1);
        fprintf(out, "grow every %ld by\n", s->grow_every);
        dump_expr(out, s->grow_by, ind + 2);
    }
    if (s->resample_loc.line) {
        indent(out, ind + 1);
        fprintf(out, "resample every %ld%s\n", s->resample_every, s->resample_by ? " by" : "");
        if (s->resample_by) dump_expr(out, s->resample_by, ind + 2);
    }
    if (s->lo) {
        indent(out, ind + 1);
        fputs("bounds\n", out);
        dump_expr(out, s->lo, ind + 2);
        dump_expr(out, s->hi, ind + 2);
    }
    dump_labeled(out, "optimizer", s->opt, ind + 1);
    dump_labeled(out, "schedule", s->schedule, ind + 1);
    for (int i = 0; i < s->nopts; i++)
        dump_arg(out, s->opts[i], ind + 1);
    for (const Stmt *b = s->body; b; b = b->next)
        dump_stmt(out, b, ind + 1);
}

void ast_dump(FILE *out, const Program *p)
{
    if (!p)
        return;
    for (const Stmt *s = p->first; s; s = s->next)
        dump_stmt(out, s, 0);
}
