#!/bin/sh
# t_export.sh -- --export (dependency-free C99 of trained fields) and --eval.
#  - examples/deploy/deploy.c, built with cc -std=c99 -Wall -Werror -pedantic
#    against a field exported from a checkpoint, prints values that agree
#    with hycoc's own evaluation (--eval: the runtime's jets) to 1e-12;
#  - every network kind (mlp, modified_mlp, resnet, Fourier features,
#    input normalisation, several outputs) and activation, a param, fields
#    of two coordinates with every derivative up to order 2 (dx, dt, dxx,
#    dxt, dtt, lap) and an expression of two fields: exported C == --eval to
#    1e-12 (relative to max(1, |value|)), and the exported first derivatives
#    match central differences of the exported values;
#  - the file includes <math.h> only, compiles alone with its header, is the
#    same bytes when exported twice, and says what it computes and from where;
#  - errors: weights of another architecture, an unknown name, an
#    expression of data or without a field, a bad C name, missing -o/--at.
B=${BUILD:-build}
H=$B/hycoc
CC=${CC_TEST:-cc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ok() { echo "ok export/$1"; }
fail() { echo "FAIL export/$1: $2"; }
check() { if eval "$2"; then ok "$1"; else fail "$1" "${3:-$2}"; fi; }
CFL="-std=c99 -Wall -Wextra -Werror -pedantic -O2"
# close A B: every value (after the header) of CSV A within 1e-12 of CSV B, relative to max(1, |b|)
close() {
    paste -d, "$1" "$2" | tail -n +2 | awk -F, -v tol=1e-12 '
        { n = NF / 2; for (k = 1; k <= n; k++) { a = $k; b = $(k + n); d = a - b; if (d < 0) d = -d;
          s = b < 0 ? -b : b; if (s < 1) s = 1; if (d / s > m) m = d / s; if (NF != 2 * n) bad = 1 } ; rows++ }
        END { if (rows == 0 || bad || m > tol) { printf "max relative difference %g over %d rows\n", m, rows; exit 1 } }'
}

# ---- 1. the deploy example against --eval
S=examples/hyco_poisson_1d.hyco
$H $S --quiet --epochs 300 --save "$tmp/ck" > /dev/null 2>&1
mkdir "$tmp/dep"
$H $S --epochs 300 --export u_phy --derivs dxx --weights "$tmp/ck" -o "$tmp/dep/field.c" 2> "$tmp/x.err"
r=$?
check export_exit0 '[ $r -eq 0 ] && [ -s "$tmp/dep/field.c" ] && [ -s "$tmp/dep/field.h" ] && [ ! -s "$tmp/x.err" ]' "status $r: $(cat "$tmp/x.err")"
$CC $CFL -I"$tmp/dep" -o "$tmp/deploy" examples/deploy/deploy.c -lm > "$tmp/cc.out" 2>&1
check deploy_builds_pedantic '[ -x "$tmp/deploy" ]' "$(head -5 "$tmp/cc.out")"
"$tmp/deploy" 101 > "$tmp/dep.csv"
cut -d, -f1 "$tmp/dep.csv" > "$tmp/pts.csv"
$H $S --eval u_phy --derivs dxx --weights "$tmp/ck" --at "$tmp/pts.csv" > "$tmp/ev.csv" 2> "$tmp/e.err"
check deploy_matches_eval 'close "$tmp/dep.csv" "$tmp/ev.csv"' "$(close "$tmp/dep.csv" "$tmp/ev.csv"; cat "$tmp/e.err")"
check eval_header '[ "$(head -1 "$tmp/ev.csv")" = "x,u_phy,dxx(u_phy)" ] && [ "$(wc -l < "$tmp/ev.csv")" -eq 102 ]' "$(head -2 "$tmp/ev.csv")"
check deploy_ansatz_zero_at_ends 'sed -n 2p "$tmp/dep.csv" | grep -q "^0,0," && tail -1 "$tmp/dep.csv" | grep -q "^1,0,"' "$(sed -n 2p "$tmp/dep.csv")"
check only_math_h '[ "$(grep "#include" "$tmp/dep/field.c")" = "#include <math.h>" ]' "$(grep "#include" "$tmp/dep/field.c")"
check says_what_and_where 'grep -q "u_phy(x) = u_phy" "$tmp/dep/field.c" && grep -q "field u_phy(x) = phy(x) \* x \* (1 - x)" "$tmp/dep/field.c" && grep -q "Seed: *0" "$tmp/dep/field.c" && grep -q "Weights: checkpoint .*ck, epoch 300" "$tmp/dep/field.c" && grep -q "hyco_poisson_1d.hyco (FNV-1a 64 [0-9a-f]*)" "$tmp/dep/field.c"' "$(head -20 "$tmp/dep/field.c")"
mkdir "$tmp/again"
$H $S --epochs 300 --export u_phy --derivs dxx --weights "$tmp/ck" -o "$tmp/again/field.c" 2> /dev/null
check deterministic 'cmp -s "$tmp/dep/field.c" "$tmp/again/field.c" && cmp -s "$tmp/dep/field.h" "$tmp/again/field.h"' "two exports differ"
# separate compilation through the header
cat > "$tmp/use.c" <<'EOF'
#include <stdio.h>
#include "field.h"
int main(void) { double x = 0.5, y[1]; u_phy_batch(1, &x, y); printf("%.17g %.17g\n", u_phy(&x), y[0]); return u_phy(&x) != y[0]; }
EOF
$CC $CFL -c -o "$tmp/field.o" "$tmp/dep/field.c" && $CC $CFL -I"$tmp/dep" -o "$tmp/use" "$tmp/use.c" "$tmp/field.o" -lm && "$tmp/use" > "$tmp/use.out"
check header_and_separate_compile '[ $? -eq 0 ] && [ -s "$tmp/use.out" ]' "$(cat "$tmp/use.out")"

# ---- 2. every network kind and activation, 2-D, derivatives to order 2
cat > "$tmp/kinds.hyco" <<'EOF'
seed 4
domain sq = rect(x: 0 .. 2, t: -1 .. 1, mesh 0.25)
net na = mlp(2 -> 1, width 8, depth 2, tanh, normalize sq)
net nb = modified_mlp(2 -> 1, width 6, depth 3, gelu, normalize sq)
net nc = resnet(2 -> 1, width 7, depth 3, sin)
net nd = mlp(2 -> 2, width 5, depth 2, softplus, fourier 4, scale 1.5, outputs p q)
net ne = modified_mlp(2 -> 1, width 5, depth 2, sigmoid, fourier 3)
net nf = resnet(1 -> 1, width 4, depth 2, swish)
param k = 0.7
field u(x, t) = sin(pi*x) + t*x*(2 - x)*na(x, t) + nb(x, t) * nc(x*t, t^2) + k * nd(x, t).q
field w(x, t) = exp(-t) * ne(x, t) * nf(x + t) + nd(x, t).p / (2 + x)
loss l1 = mse(dt(u) - dxx(u) + w) over sq
loss l2 = mse(dxt(w) - lap(u)) over sq
train 30 epochs { step l1, l2 }
EOF
K="$tmp/kinds.hyco"
$H "$K" --quiet --save "$tmp/ck2" > /dev/null 2>&1
DV=dx,dt,dxx,dxt,dtt,lap
$H "$K" --export u --export w --export 'u - w*w' --derivs $DV --weights "$tmp/ck2" -o "$tmp/k.c" 2> "$tmp/x.err"
check kinds_export '[ $? -eq 0 ] && grep -q "^double u_w_w_lap(const double \*x)" "$tmp/k.c"' "$(cat "$tmp/x.err")"
cat > "$tmp/k_dep.c" <<'EOF'
#include <stdio.h>
#include "k.c"
typedef double (*F)(const double *);
static F fs[] = {u, u_dx, u_dt, u_dxx, u_dxt, u_dtt, u_lap, w, w_dx, w_dt, w_dxx, w_dxt, w_dtt, w_lap,
                 u_w_w, u_w_w_dx, u_w_w_dt, u_w_w_dxx, u_w_w_dxt, u_w_w_dtt, u_w_w_lap};
int main(int argc, char **argv)
{
    int i, j, k;
    (void)argv;
    if (argc > 1) {   /* central differences of the values against the first derivatives */
        double worst = 0;
        for (i = 0; i <= 6; i++)
            for (j = 0; j <= 6; j++)
                for (k = 0; k < 3; k++) {
                    double p[2], q[2], h = 1e-5, e, s;
                    int f = 7 * k, d;
                    p[0] = 2.0 * i / 6 + 0.013; p[1] = -1.0 + 2.0 * j / 6 - 0.007;
                    for (d = 0; d < 2; d++) {
                        q[0] = p[0]; q[1] = p[1];
                        q[d] += h; e = fs[f](q); q[d] -= 2 * h; e -= fs[f](q); e /= 2 * h;
                        s = fs[f + 1 + d](p);
                        e = (e - s) / (1 + (s < 0 ? -s : s));
                        if (e < 0) e = -e;
                        if (e > worst) worst = e;
                    }
                }
        printf("%g\n", worst);
        return worst > 1e-7;
    }
    printf("x,t\n");
    for (i = 0; i <= 6; i++)
        for (j = 0; j <= 6; j++) {
            double p[2];
            p[0] = 2.0 * i / 6 + 0.013; p[1] = -1.0 + 2.0 * j / 6 - 0.007;
            printf("%.17g,%.17g", p[0], p[1]);
            for (k = 0; k < 21; k++) printf(",%.17g", fs[k](p));
            printf("\n");
        }
    return 0;
}
EOF
$CC $CFL -I"$tmp" -o "$tmp/k_dep" "$tmp/k_dep.c" -lm > "$tmp/cc.out" 2>&1
check kinds_builds_pedantic '[ -x "$tmp/k_dep" ]' "$(head -5 "$tmp/cc.out")"
"$tmp/k_dep" > "$tmp/kd.csv"
cut -d, -f1,2 "$tmp/kd.csv" > "$tmp/kp.csv"
$H "$K" --eval u --eval w --eval 'u - w*w' --derivs $DV --weights "$tmp/ck2" --at "$tmp/kp.csv" -o "$tmp/ke.csv" 2> "$tmp/e.err"
check kinds_match_eval 'close "$tmp/kd.csv" "$tmp/ke.csv"' "$(close "$tmp/kd.csv" "$tmp/ke.csv"; cat "$tmp/e.err")"
fd=$("$tmp/k_dep" fd)
check kinds_first_derivatives_vs_fd '[ $? -eq 0 ]' "worst relative difference $fd"
# the same networks, derivatives of order 3 and 4 (mixed included) against --eval
DV4=dxxx,dxxt,dttt,dxxxx,dxxtt,dxttt
$H "$K" --export u --export w --derivs $DV4 --weights "$tmp/ck2" -o "$tmp/k4.c" 2> "$tmp/x.err"
check kinds_export_order4 '[ $? -eq 0 ] && grep -q "^double w_dxxtt(const double \*x)" "$tmp/k4.c"' "$(cat "$tmp/x.err")"
cat > "$tmp/k4_dep.c" <<'EOF'
#include <stdio.h>
#include "k4.c"
typedef double (*F)(const double *);
static F fs[] = {u, u_dxxx, u_dxxt, u_dttt, u_dxxxx, u_dxxtt, u_dxttt,
                 w, w_dxxx, w_dxxt, w_dttt, w_dxxxx, w_dxxtt, w_dxttt};
int main(void)
{
    int i, j, k;
    printf("x,t\n");
    for (i = 0; i <= 6; i++)
        for (j = 0; j <= 6; j++) {
            double p[2];
            p[0] = 2.0 * i / 6 + 0.013; p[1] = -1.0 + 2.0 * j / 6 - 0.007;
            printf("%.17g,%.17g", p[0], p[1]);
            for (k = 0; k < 14; k++) printf(",%.17g", fs[k](p));
            printf("\n");
        }
    return 0;
}
EOF
$CC $CFL -I"$tmp" -o "$tmp/k4_dep" "$tmp/k4_dep.c" -lm > "$tmp/cc.out" 2>&1
check kinds_order4_builds_pedantic '[ -x "$tmp/k4_dep" ]' "$(head -5 "$tmp/cc.out")"
"$tmp/k4_dep" > "$tmp/kd4.csv"
$H "$K" --eval u --eval w --derivs $DV4 --weights "$tmp/ck2" --at "$tmp/kp.csv" -o "$tmp/ke4.csv" 2> "$tmp/e.err"
check kinds_order4_match_eval 'close "$tmp/kd4.csv" "$tmp/ke4.csv"' "$(close "$tmp/kd4.csv" "$tmp/ke4.csv"; cat "$tmp/e.err")"

# ---- 3. errors
e() { "$H" "$@" > "$tmp/e.out" 2> "$tmp/e.err"; echo $?; }
r=$(e $S -D phy.width=16 --export u_phy --weights "$tmp/ck" -o "$tmp/w.c")
check rejects_other_width '[ $r -eq 1 ] && grep -q "trainable .phy. differs (width 32 vs 16" "$tmp/e.err" && [ ! -e "$tmp/w.c" ]' "status $r: $(cat "$tmp/e.err")"
r=$(e $S --export u_ph --weights "$tmp/ck" -o "$tmp/w.c")
check unknown_name '[ $r -eq 1 ] && grep -q "^--export:2:1: error: unknown name .u_ph.; did you mean .u_phy.?" "$tmp/e.err"' "status $r: $(cat "$tmp/e.err")"
r=$(e $S --export 'sin(x)' -o "$tmp/w.c")
check needs_a_field '[ $r -eq 1 ] && grep -q "names no field" "$tmp/e.err"' "status $r: $(cat "$tmp/e.err")"
r=$(e $S --export 'u_phy + u_obs' -o "$tmp/w.c")
check refuses_data '[ $r -eq 1 ] && grep -q "error" "$tmp/e.err" && [ ! -e "$tmp/w.c" ]' "status $r: $(cat "$tmp/e.err")"
r=$(e $S --export u_phy --name double -o "$tmp/w.c")
check bad_c_name '[ $r -eq 1 ] && grep -q "name .double. is no usable C name" "$tmp/e.err"' "status $r: $(cat "$tmp/e.err")"
r=$(e $S --export '2*u_phy' -o "$tmp/w.c")
check derived_name_needs_name '[ $r -eq 1 ] && grep -q "makes no usable C name (.2_u_phy.); give one with --name" "$tmp/e.err"' "status $r: $(cat "$tmp/e.err")"
r=$(e $S --export 'dxxxxx(u_phy)' --name d5 --weights "$tmp/ck" -o "$tmp/w5.c")
check order5_refused_with_limit '[ $r -eq 1 ] && grep -q "derivatives of a network of order above 4 are not supported" "$tmp/e.err" && [ ! -e "$tmp/w5.c" ]' "status $r: $(cat "$tmp/e.err")"
printf 'x\n0.3\n0.6\n' > "$tmp/x2.csv"
r=$(e $S --eval 'dxxxx(u_phy)' --weights "$tmp/ck" --at "$tmp/x2.csv")
check eval_order4 '[ $r -eq 0 ] && [ $(grep -c "^0\.[0-9]*,[-0-9.e+]*$" "$tmp/e.out") -eq 2 ]' "status $r: $(cat "$tmp/e.out" "$tmp/e.err")"
r=$(e $S --export u_phy)
check export_needs_o '[ $r -eq 1 ] && grep -q "needs -o FILE.c" "$tmp/e.err"' "status $r: $(cat "$tmp/e.err")"
r=$(e $S --eval u_phy --weights "$tmp/ck")
check eval_needs_at '[ $r -eq 1 ] && grep -q "needs --at FILE" "$tmp/e.err"' "status $r: $(cat "$tmp/e.err")"
printf 'a,b\n1,2\n' > "$tmp/ab.csv"
r=$(e $S --eval u_phy --weights "$tmp/ck" --at "$tmp/ab.csv")
check eval_wrong_columns '[ $r -eq 1 ] && grep -q "needs the coordinates of .u_phy. (x)" "$tmp/e.err"' "status $r: $(cat "$tmp/e.err")"
r=$(e $S --export u_phy -o "$tmp/init.c")
check no_weights_warns '[ $r -eq 0 ] && grep -q "warning: no --weights" "$tmp/e.err" && grep -q "untrained initial weights" "$tmp/init.c"' "status $r: $(cat "$tmp/e.err")"
exit 0
