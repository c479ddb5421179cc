#!/bin/sh
# hybrid_table.sh -- the three-way comparison of docs/hybrid.md, from one command:
#   hybrid        examples/full/hybrid_burgers.hyco as written (alpha 0.5: each model fits the
#                 data and the other's predictions)
#   physics-only  the same file with -D alpha=1 (the interaction terms vanish: the simulator's nu
#                 is fitted to the observations alone)
#   PINN          examples/full/burgers_pinn_nu.hyco (a network with the PDE residual and a
#                 learnable nu, the same observations)
# Prints a Markdown table: recovered nu, its relative error against the truth 0.02, epochs,
# training wall time.  Usage (repository root): sh tools/hybrid_table.sh [HYCOC]
H=${1:-./hycoc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
row() {   # row LABEL FILE ARGS...
    label=$1; f=$2; shift 2
    if "$H" "$f" --run --quiet "$@" > "$tmp/out" 2>&1 || grep -q '^summary:' "$tmp/out"; then
        nu=$(sed -n 's/^report nu *: *//p' "$tmp/out")
        ep=$(sed -n 's/^summary: \([0-9]*\) epochs, \([0-9.]*\) s train.*/\1/p' "$tmp/out")
        sec=$(sed -n 's/^summary: \([0-9]*\) epochs, \([0-9.]*\) s train.*/\2/p' "$tmp/out")
        err=$(awk -v n="$nu" 'BEGIN { e = (n - 0.02) / 0.02; if (e < 0) e = -e; printf "%.1f %%", 100 * e }')
        echo "| $label | $nu | $err | $ep | $sec s |"
    else
        echo "| $label | failed: $(tail -1 "$tmp/out") | | | |"
    fi
}
echo "| model | recovered nu | error | epochs | training time |"
echo "|---|---|---|---|---|"
row "hybrid (HYCO, alpha 0.5)" examples/full/hybrid_burgers.hyco
row "physics-only (alpha 1)" examples/full/hybrid_burgers.hyco -D alpha=1
row "PINN with learnable nu" examples/full/burgers_pinn_nu.hyco
