#!/usr/bin/env python3
"""tanh_fit.py -- derives the polynomial of runtime/act.c's tanh4 (not a test).

expm1(2 s) = 2 (s + s^2 q(s)) on [-a, a], a = ln2/4 (the reduced argument of
tanh4, widened by 1e-6 relative for rounding), q(0) = 1 fixed, q = 1 + s H(s)
with H of degree DEG - 1.  H minimises the max relative error of expm1(2 s):
Lawson's iteratively reweighted least squares on 300 Chebyshev points (40
digits, mpmath).  Then the coefficients are rounded to float64 one at a time,
lowest first, and the remaining ones refitted with the rounded ones fixed.
Prints the coefficients (hex, as in act.c), the max relative error with the
float64 coefficients on a 4001-point grid, and the Cody-Waite split of ln2/2.
  run: python3 bench/tanh_fit.py [DEG]      (DEG = 9 for act.c; ~30 s)
"""
import sys
import mpmath as mp

mp.mp.dps = 40
DEG = int(sys.argv[1]) if len(sys.argv) > 1 else 9
a = mp.log(2) / 4 * (1 + mp.mpf('1e-6'))
NPTS = 300
xs = [a * mp.cos(mp.pi * (i + mp.mpf(0.5)) / NPTS) for i in range(NPTS)]


def q_exact(s):
    return (mp.expm1(2 * s) - 2 * s) / (2 * s ** 2)


# relative error of expm1 = 2 s^2 (q~ - q) / expm1(2 s) = base * (H~ - H)
base = [2 * s ** 3 / mp.expm1(2 * s) for s in xs]
target = [(q_exact(s) - 1) / s for s in xs]


def fit(fixed, iters=30):
    free = [j for j in range(DEG) if j not in fixed]
    w = [mp.mpf(1)] * NPTS
    for _ in range(iters):
        A = mp.matrix(NPTS, len(free))
        b = mp.matrix(NPTS, 1)
        for i, s in enumerate(xs):
            ww = mp.sqrt(w[i]) * base[i]
            for c, j in enumerate(free):
                A[i, c] = ww * s ** j
            b[i] = ww * (target[i] - sum(v * s ** j for j, v in fixed.items()))
        h = mp.lu_solve(A.T * A, A.T * b)
        H = dict(fixed)
        H.update({j: h[c] for c, j in enumerate(free)})
        errs = [abs(base[i] * (sum(H[j] * xs[i] ** j for j in range(DEG)) - target[i]))
                for i in range(NPTS)]
        tot = sum(w[i] * errs[i] for i in range(NPTS))
        w = [w[i] * errs[i] / tot for i in range(NPTS)]
    return H


fixed = {}
for j in range(DEG):
    fixed[j] = mp.mpf(float(fit(fixed)[j]))
worst = 0
for i in range(4001):
    s = -a + 2 * a * i / 4000
    if s != 0:
        q = 1 + s * sum(fixed[j] * s ** j for j in range(DEG))
        worst = max(worst, abs(2 * (s + s ** 2 * q) / mp.expm1(2 * s) - 1))
print("q(s) = 1 + sum c_j s^(j+1), degree %d; max relative error of expm1(2s): %.3g"
      % (DEG, float(worst)))
for j in range(DEG):
    print("  c%d = %s  (%r)" % (j + 1, float(fixed[j]).hex(), float(fixed[j])))
half = mp.log(2) / 2
L1 = mp.mpf(int(mp.nint(half * 2 ** 41))) / 2 ** 41   # 40 significant bits
print("ln2/2 = L1 + L2: L1 = %s, L2 = %s; 2/ln2 = %s"
      % (float(L1).hex(), float(half - L1).hex(), float(2 / mp.log(2)).hex()))
