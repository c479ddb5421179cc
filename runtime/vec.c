/* vec.c -- elementwise kernels for emitted code (n elements, in-place allowed).
 *
 * sin, cos, exp, log, tanh go through the same libmvec maps as the network
 * activations (act.c), so an expression's tanh and a network's tanh agree
 * bitwise; sqrt is correctly rounded either way; pow uses libm.  The scalar
 * hy_* functions are libm (emitted code under tcc includes no headers).
 */
#include <math.h>
#include <string.h>
#include "rt_internal.h"

void hy_vsin(long n, const double *x, double *y) { rt_vmap_sin(n, x, y); }
void hy_vcos(long n, const double *x, double *y) { rt_vmap_cos(n, x, y); }
void hy_vexp(long n, const double *x, double *y) { rt_vmap_exp(n, x, y); }
void hy_vlog(long n, const double *x, double *y) { rt_vmap_log(n, x, y); }
void hy_vtanh(long n, const double *x, double *y) { rt_vmap_tanh(n, x, y); }

void hy_vsqrt(long n, const double *x, double *y)
{
    for (long i = 0; i < n; i++)
        y[i] = sqrt(x[i]);
}

void hy_vpow(long n, const double *x, const double *p, int pstride, double *y)
{
    for (long i = 0; i < n; i++)
        y[i] = pow(x[i], p[i * pstride]);
}

void hy_zero(long n, double *y)
{
    if (n > 0)
        memset(y, 0, sizeof(double) * (size_t)n);
}

double hy_sin(double x) { return sin(x); }
double hy_cos(double x) { return cos(x); }
double hy_exp(double x) { return exp(x); }
double hy_log(double x) { return log(x); }
double hy_tanh(double x) { return tanh(x); }
double hy_sqrt(double x) { return sqrt(x); }
double hy_fabs(double x) { return fabs(x); }
double hy_pow(double x, double y) { return pow(x, y); }
double hy_atan(double x) { return atan(x); }
double hy_asin(double x) { return asin(x); }
double hy_atan2(double y, double x) { return atan2(y, x); }

void hy_vatan(long n, const double *x, double *y)
{
    for (long i = 0; i < n; i++)
        y[i] = atan(x[i]);
}

void hy_vasin(long n, const double *x, double *y)
{
    for (long i = 0; i < n; i++)
        y[i] = asin(x[i]);
}
