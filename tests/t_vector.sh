#!/bin/sh
# t_vector.sh -- vector params and consts, listed points, inverse trigonometry
# through the whole tool (the derivative rules are FD-checked in test_grad.c,
# the error messages in tests/errors/sem_vec_*, sem_points_list):
#  - a vector param's entries are trainables "A[i]": `report A` prints one line
#    per entry, `track A` one --log column per entry, in order;
#  - -D A=[...] replaces a vector's entries (also its bounds), a malformed list
#    is a user error (exit 1), a list of another length is checked again;
#  - an entry not reached by any loss keeps its initial value (independent entries);
#  - --save/--resume with a vector param is bitwise the uninterrupted run;
#  - listed points: a point set at exactly the listed coordinates (sums checked);
#  - atan/atan2/asin/acos/tan: --eval equals awk's atan2-based values to 1e-14,
#    in all four quadrants of atan2, and the --export C compiles with -std=c99 -pedantic.
B=${BUILD:-build}
H=$B/hycoc
CC=${CC_TEST:-cc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ok() { echo "ok vector/$1"; }
fail() { echo "FAIL vector/$1: $2"; }
check() { if eval "$2"; then ok "$1"; else fail "$1" "${3:-$2}"; fi; }

cat > "$tmp/v.hyco" <<'EOF'
seed 4
const c = [0.25, -1.5, 3]
domain line = interval(x: 0 .. 1, mesh 0.05)
points p = [0.1, 0.35, 0.9] in line
domain sq = rect(x: 0 .. 1, y: 0 .. 1)
points q = [(0.1, 0.2), (0.5, 0.5), (1, 0)] in sq
param A = [0.5, 1.5, 2] in [[0, 1, 1.5], [1, 2, 2.5]] optimizer adam(lr 1e-2)
net n = mlp(1 -> 1, width 8, depth 2, tanh)
field u(x) = n(x) * A[0] + A[1] * x
loss fit = mse(u - sin(x) - c[0]) over line
train 20 epochs { step fit }
report A
report c
report sum(x) over p
report sum(x * y + 2 * y) over q
track A
EOF
$H "$tmp/v.hyco" --run --quiet --log "$tmp/v.tsv" > "$tmp/v.out" 2>&1
check track-columns "head -1 '$tmp/v.tsv' | grep -q '	A\[0\]	A\[1\]	A\[2\]$'" "log header: $(head -1 "$tmp/v.tsv")"
check report-lines "grep -c '^report A\[[012]\] ' '$tmp/v.out' | grep -qx 3 && grep -c '^report c\[[012]\] ' '$tmp/v.out' | grep -qx 3" \
    "report lines: $(grep '^report' "$tmp/v.out" | tr '\n' '|')"
# A[2] is in no loss: it keeps its initial value 2 in every row; A[0], A[1] move
check untouched-entry "awk -F'\t' 'NR > 1 && \$NF != 2 { bad = 1 } END { exit bad || NR < 5 }' '$tmp/v.tsv'"
check trained-entries "awk -F'\t' 'NR == 2 { a = \$(NF-2); b = \$(NF-1) } END { exit !(\$(NF-2) != a && \$(NF-1) != b) }' '$tmp/v.tsv'"
check const-vector "grep -q '^report c\[1\] *: -1.5000e+00' '$tmp/v.out'"
check listed-1d "grep -q '^report sum(x) over p *: 1.3500e+00' '$tmp/v.out'" "$(grep 'over p' "$tmp/v.out")"
check listed-2d "grep -q '^report sum(x \* y + 2 \* y) over q *: 1.6700e+00' '$tmp/v.out'" "$(grep 'over q' "$tmp/v.out")"

# -D on a vector and its bounds
$H "$tmp/v.hyco" --run --quiet --epochs 1 -D 'A=[0.75, 1.25, 1.75]' -D 'c=[1, 2, 3]' --log "$tmp/d.tsv" > "$tmp/d.out" 2>&1
check override "awk -F'\t' 'NR == 2 { exit !(\$NF == 1.75) }' '$tmp/d.tsv' && grep -q '^report c\[2\] *: 3.0000e+00' '$tmp/d.out'" \
    "$(cat "$tmp/d.tsv")"
$H "$tmp/v.hyco" --check -D 'A=[0.75, 1.25' > "$tmp/e" 2>&1
check override-malformed "[ \$? = 1 ] && grep -q 'A needs a list of finite numbers' '$tmp/e'" "$(cat "$tmp/e")"
$H "$tmp/v.hyco" --check -D 'A=[0.5, 1.5]' > "$tmp/e" 2>&1
check override-length "[ \$? = 1 ] && grep -q \"lower bound list has 3 entries, but 'A' has 2\" '$tmp/e'" "$(cat "$tmp/e")"
# a number for a vector is refused by the override itself (one message, no errors at each A[i])
$H "$tmp/v.hyco" --check -D 'A=5' > "$tmp/e" 2>&1
check override-scalar "[ \$? = 1 ] && grep -q 'A is a vector of 3 entries: give -D A=\[...\]' '$tmp/e' && [ \$(wc -l < '$tmp/e') = 1 ]" "$(cat "$tmp/e")"
$H "$tmp/v.hyco" --check -D 'A.lo=0' > "$tmp/e" 2>&1
check override-scalar-bound "[ \$? = 0 ]" "$(cat "$tmp/e")"

# checkpoint: 10 + 10 epochs == 20 epochs, bitwise
$H "$tmp/v.hyco" --run --quiet --until 10 --save "$tmp/ck" > /dev/null 2>&1
$H "$tmp/v.hyco" --run --quiet --resume "$tmp/ck" --log "$tmp/r.tsv" > /dev/null 2>&1
check resume-bitwise "[ -s '$tmp/r.tsv' ] && [ \"\$(tail -1 '$tmp/r.tsv')\" = \"\$(tail -1 '$tmp/v.tsv')\" ]" \
    "$(tail -1 "$tmp/r.tsv") vs $(tail -1 "$tmp/v.tsv")"

# inverse trigonometry: --eval against awk (atan2 is the only inverse awk has)
printf 'x\n0.05\n0.3\n0.55\n0.8\n0.95\n' > "$tmp/at.csv"
E='atan2(x - 0.5, 0.6 - x) + 2 * atan2(0.5 - x, x - 0.6) + atan(3 * x) + asin(x - 0.2) * acos(0.7 - x) + tan(x) + 0 * u'
$H "$tmp/v.hyco" --eval "$E" --at "$tmp/at.csv" -o "$tmp/ev.csv" > /dev/null 2>&1
awk -F, 'NR > 1 { x = $1; a = x - 0.2; b = 0.7 - x;
    as = atan2(a, sqrt(1 - a * a)); ac = atan2(sqrt(1 - b * b), b);
    v = atan2(x - 0.5, 0.6 - x) + 2 * atan2(0.5 - x, x - 0.6) + atan2(3 * x, 1) + as * ac + sin(x) / cos(x);
    d = v - $2; if (d < 0) d = -d; if (d > 1e-14 * (1 + (v < 0 ? -v : v))) bad++; n++ }
    END { exit !(n == 5 && !bad) }' "$tmp/ev.csv"
check eval-inverse-trig "[ \$? = 0 ]" "$(cat "$tmp/ev.csv")"
$H "$tmp/v.hyco" --export "$E" --name g -o "$tmp/g.c" > /dev/null 2>&1
check export-compiles "$CC -std=c99 -Wall -Wextra -Werror -pedantic -c '$tmp/g.c' -o '$tmp/g.o'"
