/* deploy.c -- a trained field used outside hycoc: this program includes the
 * C file that `hycoc --export` wrote and prints the field and its second
 * derivative on a grid, as CSV (x, u_phy, dxx(u_phy)).
 *
 * It needs only a C99 compiler and the maths library:
 *   hycoc examples/hyco_poisson_1d.hyco --save ck
 *   hycoc examples/hyco_poisson_1d.hyco --export u_phy --derivs dxx --weights ck \
 *         -o examples/deploy/field.c
 *   cc -std=c99 -Wall -Werror -pedantic -O2 -o deploy examples/deploy/deploy.c -lm
 *   ./deploy [N [LO HI]]         N grid points on [LO, HI] (default 11 on [0, 1])
 *
 * field.c defines u_phy(const double *x) and u_phy_dxx(const double *x) (and
 * their _batch forms, used below for the field itself); see its header
 * comment for what they compute and from which checkpoint.
 */
#include <stdio.h>
#include <stdlib.h>
#include "field.c"

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 11, i;
    double lo = argc > 3 ? atof(argv[2]) : 0.0, hi = argc > 3 ? atof(argv[3]) : 1.0;
    double *x, *u;
    if (n < 2 || n > 10000000) {
        fprintf(stderr, "usage: deploy [N [LO HI]]  (2 <= N <= 10000000)\n");
        return 1;
    }
    x = malloc(sizeof *x * (size_t)n);
    u = malloc(sizeof *u * (size_t)n);
    if (!x || !u) {
        fprintf(stderr, "deploy: out of memory\n");
        return 1;
    }
    for (i = 0; i < n; i++)
        x[i] = i == n - 1 ? hi : lo + (hi - lo) * (double)i / (double)(n - 1);
    u_phy_batch(n, x, u);   /* the field at every point in one call */
    printf("x,u_phy,dxx(u_phy)\n");
    for (i = 0; i < n; i++)
        printf("%.17g,%.17g,%.17g\n", x[i], u[i], u_phy_dxx(&x[i]));
    free(x);
    free(u);
    return 0;
}
