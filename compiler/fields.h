/* fields.h -- the fields of a finished run evaluated over their domains
 * (--fields DIR: CSV files; --plot DIR: solution figures and heat maps).
 *
 * Which columns: every 'field' of the spec, and every network, field or
 * network output (uvp.u, or u of 'outputs u v p') compared in an
 * 'expect'/'report' rel_l2(A, B) or linf(A, B); for those, B becomes the
 * column "A_exact" when it can be computed at any point (built from
 * coordinates, constants, params and networks; a reference made of data is
 * left out).  A spec with none of these gets a column per network output.
 * Where: the columns are grouped by domain.  A column's domain is the one of
 * the comparison's 'over' point set, else the first named domain over the
 * same coordinates (one with a 'mesh' preferred).  The points of a group are
 * a regular grid over the domain's bounding box, first axis fastest: the
 * domain's own mesh when it declares one and mesh was asked for, else a
 * default grid (201 points in 1-D; in 2-D 121 along the longest side and
 * at least 61 along the other; 41 / 21 in 3-D; 11 above), each point
 * flagged inside when it lies in the closed domain (the runtime's geometry).
 * The values are those of --eval (export_eval_values): the same IR and the
 * runtime's jets, at the trained parameters of ctx.
 */
#ifndef HYCOC_FIELDS_H
#define HYCOC_FIELDS_H

#include "ir.h"
#include "overrides.h"

typedef struct FieldGroup {
    const char *domain;         /* the domain's name */
    int dim;
    const char *coords[8];      /* coordinate names, the domain's order */
    int counts[8];              /* grid points along each axis */
    long n;                     /* counts[0] * ... * counts[dim-1] */
    double *x;                  /* coordinates [dim][n], axis 0 fastest */
    unsigned char *inside;      /* [n]: 1 if the point lies in the domain */
    long ninside;
    int ncols;
    const char **names;         /* column names [ncols] */
    double **v;                 /* values [ncols][n] (outside points too) */
    int *exact;                 /* [ncols]: column of this column's exact solution, or -1;
                                 * -2 for a column that is itself an exact solution */
} FieldGroup;

typedef struct FieldSet {
    FieldGroup *g;
    int ng;
} FieldSet;

/* What fields_eval needs to compile the spec once more (as the run did). */
typedef struct FieldsSrc {
    const char *file, *src;
    size_t len;
    const Override *defs;
    int ndefs;
} FieldsSrc;

/* Evaluates the fields of c (the compiled, trained run; ctx holds its
 * parameters) into *fs; mesh = 1 uses each domain's declared mesh.
 * 0 (fs may be empty), or -1 after a message. */
int fields_eval(const Comp *c, struct HyCtx *ctx, const FieldsSrc *s, int mesh, FieldSet *fs);

/* Writes DIR/<domain>.csv for each group: a header of coordinate and
 * column names, then the points inside the domain (%.17g; atomic writes).
 * Refuses a path that is one of the ninputs input files.  0, or -1. */
int fields_write_csv(const FieldSet *fs, const char *dir, const char *const *inputs, int ninputs);

void fields_free(FieldSet *fs);

#endif
