/* overrides.h -- command-line overrides (-D NAME=VALUE) of values in a spec,
 * and the "did you mean" helper of the command line.
 *
 * Overrides act on the AST, after parsing and before sema: the statement the
 * name designates gets its value replaced by the number (or identifier) from
 * the command line, at the location of the value it replaces, so sema checks
 * it exactly as if it had been written in the file.  Names:
 *   NAME               const NAME = v;  param NAME = v (initial value);
 *                      weights NAME = CALLEE(...) (the balancer: an identifier)
 *   seed               seed N (added when the file has none)
 *   epochs             the count of the train block (its first phase)
 *   warmup             its 'warmup N'
 *   phaseK             the count of phase K (phase1 = epochs; 'then' phases 2, 3, ...)
 *   balancer           the callee of the only 'weights' statement
 *   NAME.KEY           option KEY of statement NAME's calls: 'lr' of its optimizer,
 *                      'width' of an mlp, 'mesh' of a domain, 'dt' of a sim step ...
 *                      (also when left to its default: NAME.lr of a net/param whose
 *                      optimizer does not spell lr, or that has none, which creates
 *                      the default adam(lr V); NAME.width, NAME.depth of a network)
 *   NAME.CALL.KEY      the same, qualified by the call, when KEY occurs twice
 *   NAME.lo, NAME.hi   a param's bounds 'in [lo, hi]'
 *   phaseK.KEY         option KEY of phase K's optimizer
 */
#ifndef HYCOC_OVERRIDES_H
#define HYCOC_OVERRIDES_H

#include <stdio.h>
#include "hycoc.h"

struct Comp;

typedef struct Override {
    const char *arg;    /* "NAME=VALUE" as given (messages) */
    char name[128];     /* NAME */
    const char *value;  /* VALUE (points into arg) */
} Override;

/* Splits "NAME=VALUE" into ov (ov->arg = arg, kept by pointer).  Returns 0,
 * or -1 after printing "hycoc: error: ..." to stderr. */
int override_parse(const char *arg, Override *ov);

/* Applies ov[0..n) in order (a later one wins) to c->ast, which must be a
 * parse without errors.  Returns 0, or 1 after printing one message per bad
 * override to stderr (unknown names list what the spec lets one override). */
int overrides_apply(struct Comp *c, const Override *ov, int n);

/* Writes every name overrides_apply accepts for c->ast, one "NAME = VALUE"
 * line each, in statement order. */
void overrides_list(struct Comp *c, FILE *out);

/* The candidate closest to word by edit distance (insert, delete, replace,
 * swap of neighbours), if that distance is at most max(1, strlen(word) / 3);
 * else NULL. */
const char *hy_suggest(const char *word, const char *const *cands, int ncands);

#endif
