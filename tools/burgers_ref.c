/* burgers_ref.c -- reference solution of viscous Burgers for the examples.
 *
 *   u_t + u u_x = nu u_xx,  x in [-1, 1], t in [0, 1],  u(x, 0) = -sin(pi x),
 *   u(-1, t) = u(1, t) = 0,  nu = 0.01 / pi.
 *
 * Cole-Hopf: u = -2 nu phi_x / phi with phi solving the heat equation, which
 * gives (after the substitution eta = 2 sqrt(nu t) z)
 *   u(x, t) = - Int sin(pi (x - s z)) f(x - s z) exp(-z^2) dz / Int f(x - s z) exp(-z^2) dz,
 *   f(y) = exp(-cos(pi y) / (2 pi nu)),  s = 2 sqrt(nu t).
 * The exponent reaches 1/(2 pi nu) = 50, so both integrals are evaluated
 * with the largest exponent factored out.  The integrands are smooth, and
 * decay like exp(-z^2): the trapezoid rule on [-Z, Z] converges
 * geometrically; Z = 12 and dz = 1e-3 are far past convergence (halving dz
 * changes no printed digit).
 *
 * Usage: burgers_ref NX NT > burgers_ref.csv   (grid of NX x NT points, ends included)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static double exact(double x, double t, double nu)
{
    if (t == 0) return -sin(M_PI * x);
    const double Z = 12.0, dz = 1e-3;
    const double s = 2.0 * sqrt(nu * t), k = 1.0 / (2.0 * M_PI * nu);
    long n = (long)(2 * Z / dz + 0.5);
    double emax = -INFINITY;
    for (long i = 0; i <= n; i++) {   /* the largest exponent, for scaling */
        double z = -Z + dz * (double)i;
        double e = -cos(M_PI * (x - s * z)) * k - z * z;
        if (e > emax) emax = e;
    }
    double num = 0, den = 0;
    for (long i = 0; i <= n; i++) {
        double z = -Z + dz * (double)i;
        double y = x - s * z;
        double w = exp(-cos(M_PI * y) * k - z * z - emax) * (i == 0 || i == n ? 0.5 : 1.0);
        num += sin(M_PI * y) * w;
        den += w;
    }
    return -num / den;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: burgers_ref NX NT > burgers_ref.csv\n");
        return 1;
    }
    int nx = atoi(argv[1]), nt = atoi(argv[2]);
    if (nx < 2 || nt < 2) {
        fprintf(stderr, "burgers_ref: need NX, NT >= 2\n");
        return 1;
    }
    const double nu = 0.01 / M_PI;
    printf("# viscous Burgers, u(x,0) = -sin(pi x), nu = 0.01/pi; Cole-Hopf quadrature (tools/burgers_ref.c)\n");
    printf("x,t,u\n");
    for (int j = 0; j < nt; j++)
        for (int i = 0; i < nx; i++) {
            double x = -1.0 + 2.0 * i / (nx - 1), t = (double)j / (nt - 1);
            printf("%.17g,%.17g,%.12e\n", x, t, exact(x, t, nu));
        }
    return 0;
}
