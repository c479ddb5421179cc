#!/bin/sh
# bench/compare_optimizers.sh -- Adam vs Adam -> L-BFGS vs MultiAdam on two problems, in one run.
#
#   sh bench/compare_optimizers.sh [OUT.md]        (HYCOC=path/to/hycoc, default ./hycoc)
#
# Each problem is written four times, differing only in the network's optimizer and the
# train block, with the same seed, points, network and total count N of epochs/iterations:
#   adam        adam(lr 1) + cosine(N, 3e-3 -> 1e-5), N epochs
#   adam+lbfgs  the same Adam for N - M epochs (cosine over N - M), then M L-BFGS iterations
#               (history 50, full batch)
#   adam 0.99   adam(lr 1, beta1 0.99, beta2 0.99) + the same cosine, N epochs: Adam with
#               MultiAdam's default betas, i.e. MultiAdam with all terms in one group
#   multiadam   multiadam(lr 1) + the same cosine, N epochs (one moment pair per loss term;
#               one backward pass per term, so each epoch costs about K Adam epochs)
# Problems: the L-shape Poisson of examples/poisson_lshape.hyco (2 loss terms) and the
# Kovasznay flow of examples/kovasznay.hyco (4 loss terms), copied here so that edits of the
# examples do not change this benchmark.
# Output: a Markdown table (error after training, training seconds from hycoc's summary line,
# user CPU seconds of the whole hycoc process when /usr/bin/time exists) on standard output,
# and in OUT.md when given. 1 thread; results are deterministic, times are not.
set -u
cd "$(dirname "$0")/.."
H=${HYCOC:-./hycoc}
[ -x "$H" ] || { echo "compare_optimizers: no hycoc at $H (make, or set HYCOC)" >&2; exit 1; }
OUT=${1:-}
DIV=${DIV:-1}     # divides every budget (DIV=20: a quick smoke run of the script)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# problem templates: @OPT@ is the network's optimizer clause, @TRAIN@ the train block
cat > "$tmp/lshape.in" <<'EOF'
seed 1
domain L = polygon(x, y, vertices(-1, -1, 1, -1, 1, 0, 0, 0, 0, 1, -1, 1))
points inner = sobol(600) in L
points wall  = random(240) on boundary(L)
points check = random(2000) in L
net n = mlp(2 -> 1, width 32, depth 3, tanh) @OPT@
let ex(x, y) = exp(x) * sin(pi*y)
loss pde = mse(lap(n) - (1 - pi^2) * ex(x, y)) over inner
loss bc  = mse(n - ex(x, y)) over wall
@TRAIN@
expect rel_l2(n, ex(x, y)) over check < 1
EOF
cat > "$tmp/kovasznay.in" <<'EOF'
seed 1
const Re = 20
const lam = Re/2 - sqrt(Re^2/4 + 4*pi^2)
domain dom = rect(x: -0.5 .. 1, y: -0.5 .. 1.5, mesh 0.1)
points inner  = sobol(400) in dom
points wall   = random(120) on boundary(dom)
points outlet = random(50) on boundary(dom, right)
net uvp = mlp(2 -> 3, width 32, depth 4, tanh, outputs u v p) @OPT@
let ue(x, y) = 1 - exp(lam*x) * cos(2*pi*y)
let ve(x, y) = lam / (2*pi) * exp(lam*x) * sin(2*pi*y)
let pe(x, y) = 0.5 * (1 - exp(2*lam*x))
let u = uvp.u
let v = uvp.v
let p = uvp.p
loss mom  = mse(u*dx(u) + v*dy(u) + dx(p) - (dxx(u) + dyy(u)) / Re) over inner
          + mse(u*dx(v) + v*dy(v) + dy(p) - (dxx(v) + dyy(v)) / Re) over inner
loss cont = mse(dx(u) + dy(v)) over inner
loss bc   = mse(u - ue(x, y)) over wall + mse(v - ve(x, y)) over wall
loss pout = mse(p - pe(x, y)) over outlet
@TRAIN@
expect rel_l2(u, ue(x, y)) over dom < 1
expect rel_l2(v, ve(x, y)) over dom < 1
expect rel_l2(p, pe(x, y)) over dom < 1
EOF

# variant NAME TEMPLATE N M STEP KIND -> $tmp/NAME.hyco
variant() {
    name=$1 in=$2 n=$3 m=$4 step=$5 kind=$6
    case $kind in
    adam)   opt="optimizer adam(lr 1) schedule cosine(steps $n, lr0 3e-3, lr_end 1e-5)"
            train="train $n epochs { step $step }" ;;
    lbfgs)  a=$((n - m))
            opt="optimizer adam(lr 1) schedule cosine(steps $a, lr0 3e-3, lr_end 1e-5)"
            train="train $a epochs { step $step }
then $m iterations optimizer lbfgs(history 50) { step $step }" ;;
    adam99) opt="optimizer adam(lr 1, beta1 0.99, beta2 0.99) schedule cosine(steps $n, lr0 3e-3, lr_end 1e-5)"
            train="train $n epochs { step $step }" ;;
    multi)  opt="optimizer multiadam(lr 1) schedule cosine(steps $n, lr0 3e-3, lr_end 1e-5)"
            train="train $n epochs { step $step }" ;;
    esac
    awk -v opt="$opt" -v train="$train" \
        '{ sub(/@OPT@/, opt) } /^@TRAIN@$/ { print train; next } { print }' "$in" > "$tmp/$name.hyco"
}

# run NAME: prints "errors | train s | user s"
run() {
    if [ -x /usr/bin/time ]; then
        /usr/bin/time -f '%U' -o "$tmp/$1.time" "$H" "$tmp/$1.hyco" --run --quiet --threads 1 \
            > "$tmp/$1.out" 2>&1
    else
        "$H" "$tmp/$1.hyco" --run --quiet --threads 1 > "$tmp/$1.out" 2>&1; echo - > "$tmp/$1.time"
    fi
    if ! grep -q '^summary:' "$tmp/$1.out"; then
        echo "compare_optimizers: $1 failed:" >&2; sed 's/^/    /' "$tmp/$1.out" >&2; echo "failed | - | -"; return
    fi
    errs=$(grep '^expect' "$tmp/$1.out" | sed 's/.*: \([-0-9.e+]*\) (.*/\1/' | tr '\n' ' ' | sed 's/ $//; s/ / \/ /g')
    secs=$(sed -n 's/^summary: .*, \([0-9.]*\) s train.*/\1/p' "$tmp/$1.out")
    echo "$errs | $secs | $(tail -n 1 "$tmp/$1.time")"
}

table() {
    echo "| problem | optimizer | budget | rel_l2 | train s | user CPU s |"
    echo "|---|---|---|---|---|---|"
    for p in "lshape|L-shape Poisson (pde, 10 bc)|4000|500|pde, 10 * bc" \
             "kovasznay|Kovasznay, Re 20 (mom, cont, 10 bc, pout)|2800|800|mom, cont, 10 * bc, pout"; do
        IFS='|' read -r id title n m step <<EOF
$p
EOF
        n=$((n / DIV)) m=$((m / DIV))
        for k in adam lbfgs adam99 multi; do
            variant "${id}_$k" "$tmp/$id.in" "$n" "$m" "$step" "$k"
            case $k in
            adam)  label=Adam; budget="$n epochs" ;;
            lbfgs) label="Adam → L-BFGS"; budget="$((n - m)) epochs + $m L-BFGS iterations" ;;
            adam99) label="Adam, betas 0.99 / 0.99"; budget="$n epochs" ;;
            multi) label=MultiAdam; budget="$n epochs" ;;
            esac
            echo "| $title | $label | $budget | $(run "${id}_$k") |"
        done
    done
    echo
    echo "rel_l2 on fresh points (L-shape) or the 16 x 21 grid (Kovasznay: u / v / p); measured"
    echo "$(date -u +%Y-%m-%d) with $($H --version 2>/dev/null | head -1), 1 thread, $(nproc) cores."
}

if [ -n "$OUT" ]; then table | tee "$OUT"; else table; fi
