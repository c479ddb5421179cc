/* geom_impl.h -- private to geom.c (geometries) and sample.c (samplers).
 *
 * A geometry is a closed set in R^dim (dim <= RT_GEOM_MAXD) kept in the
 * context's table (HyCtx.geo), addressed by its int id.  Its boundary is
 * described by "patches": pieces of the boundaries of the primitives it is
 * built from (box faces, polygon edges, circles, and for space-time products
 * the lateral pieces and the two end slices).  For a geometry without a
 * boolean inside, the patches tile its boundary exactly; with a boolean they
 * cover a superset ("raw boundary"), and a point of a patch lies on the true
 * boundary iff the geometry's membership differs on the two sides of the patch
 * (rt_geom_side).  Every patch has a chart: a map from [0,1)^k, k = max(1,
 * dim-1), onto the patch that carries Lebesgue measure to a multiple (its
 * chart measure) of the patch's surface measure; a chart may reject a point
 * (end slices of non-box spaces are charted by their bounding box).
 */
#ifndef GEOM_IMPL_H
#define GEOM_IMPL_H

#include "rt_internal.h"

#define RT_GEOM_MAXD 8              /* == HY_GEOM_MAX_DIM */

enum { RT_G_BOX, RT_G_DISK, RT_G_POLY, RT_G_BOOL, RT_G_TIME };
/* Patch kinds; RT_P_SLICE is never stored: sample.c builds it for a
 * cross-section x_axis = value of a geometry (chart over the bounding box
 * with that coordinate fixed, rejecting points outside, normal zero). */
enum { RT_P_FACE, RT_P_SEG, RT_P_ARC, RT_P_END, RT_P_SLICE };

typedef struct RtPatch {
    int kind;                   /* RT_P_* */
    int lat;                    /* 1: lateral piece, times [t0, t1] in the last coordinate */
    int axis;                   /* FACE: normal axis; END: the time axis; else -1 */
    double sign;                /* FACE/END: outward normal = sign e_axis */
    double value;               /* FACE: the face's coordinate; END: the time value */
    double lo[RT_GEOM_MAXD];    /* FACE: the box's spatial extents; END: space bbox */
    double hi[RT_GEOM_MAXD];
    double p0[2], p1[2], nrm[2];/* SEG: endpoints and outward unit normal */
    double cx, cy, r;           /* ARC: the full circle */
    int space;                  /* END: the space geometry; SLICE: the geometry cut */
    int space_box;              /* END: space is box-like, the chart never rejects */
    double t0, t1;              /* lat: the time interval */
    double meas;                /* chart measure (> 0) */
} RtPatch;

typedef struct RtGeom {
    int kind;                   /* RT_G_* */
    int dim;                    /* ambient dimension */
    double lo[RT_GEOM_MAXD];    /* bounding box (a box: the box itself) */
    double hi[RT_GEOM_MAXD];
    int boxlike;                /* equals its bounding box (box, time over box-like) */
    int exact;                  /* no boolean inside: the patches are the boundary */
    int has_time;               /* contains a time product */
    double cx, cy, r;           /* DISK */
    int nv;                     /* POLY: vertex count */
    double *xy;                 /* POLY: vertices, counter-clockwise [2 nv] */
    int op, a, b;               /* BOOL: HY_GEOM_* and operands */
    int space;                  /* TIME: the spatial geometry */
    double t0, t1;              /* TIME: the interval */
    RtPatch *patch;             /* raw boundary [npatch] */
    int npatch;
    double measure;             /* volume, once measure_ok */
    int measure_ok;
} RtGeom;

/* Scratch slots of the table (grown, never shrunk; reused across calls so
 * that resampling during training does not allocate once warm). */
enum { RT_SCR_PERM, RT_SCR_KEYS, RT_SCR_SEL, RT_SCR_CUM, RT_SCR_COUNT };

struct RtGeoTab {
    RtGeom *g;                  /* geometries [n] */
    long n, cap;
    char err[256];              /* last error message (hy_geom_error) */
    void *scr[RT_SCR_COUNT];    /* scratch buffers */
    long scr_cap[RT_SCR_COUNT]; /* their sizes in bytes */
};

/* The table of c, allocated on first use. */
struct RtGeoTab *rt_geo(HyCtx *c);
/* Records an error message for hy_geom_error; returns -1. */
int rt_geo_err(HyCtx *c, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Geometry g, or NULL after recording "who: no geometry g". */
RtGeom *rt_geom_get(HyCtx *c, int g, const char *who);
/* Scratch slot s with at least bytes bytes (contents undefined). */
void *rt_geo_scratch(HyCtx *c, int s, size_t bytes);

/* 1 if x (dim coordinates) lies in the closed set (boundary points of
 * primitives within rounding either way). */
int rt_geom_contains(HyCtx *c, const RtGeom *G, const double *x);
/* Volume of G (exact for primitives and products of primitives; for
 * booleans a quasi-Monte Carlo estimate, see geom.c), cached. */
double rt_geom_measure(HyCtx *c, RtGeom *G);
/* Chart of patch P of a geometry of dimension dim at u[0..max(1,dim-1)):
 * writes the point x[dim] and the patch's outward unit normal nrm[dim];
 * returns 0 if the chart rejects u (the point is not on the patch). */
int rt_patch_chart(HyCtx *c, const RtPatch *P, int dim, const double *u, double *x, double *nrm);
/* Chart extents of P (lengths of the pieces its chart coordinates span),
 * k = max(1, dim-1) values (a 1-D geometry's end points: one value 0). */
void rt_patch_extents(const RtPatch *P, int dim, double *ext);
/* For x on patch P of G with the patch's outward normal nrm: 1 if x is on
 * the boundary of G, then nrm is replaced by G's outward normal there;
 * 0 if not.  Always 1 when G->exact. */
int rt_geom_side(HyCtx *c, const RtGeom *G, const double *x, double *nrm);

/* Unit-cube point generators (sample.c).  A generator of method HY_SAMPLE_*
 * (not GRID) in k <= RT_GEOM_MAXD dimensions is a pure function of (seed,
 * stream, round, index): rt_qmc_point(q, i, u) writes point i in [0,1)^k.
 * batch: LATIN stratum count (points i = b*batch .. (b+1)*batch-1 form Latin
 * hypercube b).  rt_qmc_init returns -1 (message recorded) on bad arguments. */
typedef struct RtQmc {
    int method, k;
    uint64_t seed, s64;         /* rng key of this (stream, round) */
    uint64_t offset;            /* plain sequences: index of point 0 */
    long batch;                 /* LATIN: points per hypercube */
    long cur;                   /* LATIN: hypercube whose permutations are in perm */
    long *perm;                 /* LATIN: [k][batch] (table scratch) */
    uint64_t sv[RT_GEOM_MAXD][52];       /* SOBOL: direction numbers, 52-bit */
    uint64_t shift[RT_GEOM_MAXD];        /* SOBOL: digital shift (0 plain) */
    int hdig[RT_GEOM_MAXD];              /* HALTON: digits kept */
    unsigned char hperm[RT_GEOM_MAXD][52][19]; /* HALTON: digit permutations */
} RtQmc;
int rt_qmc_init(HyCtx *c, RtQmc *q, int method, int k, long batch, int stream, long round);
void rt_qmc_point(HyCtx *c, RtQmc *q, uint64_t i, double *u);

#endif
