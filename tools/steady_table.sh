#!/bin/sh
# steady_table.sh -- the comparison tables of docs/hybrid.md's steady section, from one command:
#   Helmholtz-Gaussian (examples/full/hybrid_helmholtz.hyco, 25 exact values in one quarter):
#     hybrid        the file as written (alpha 0.5; synthetic network: 4 sin units, one layer)
#     hybrid, tanh  examples/full/hybrid_helmholtz_tanh.hyco (synthetic network: 32 x 3 tanh)
#     physics-only  the hybrid file with -D alpha=1 (the interaction terms vanish)
#     PINN          examples/full/helmholtz_pinn.hyco (the six numbers learnable; 32 x 3 tanh)
#     PINN, sin     examples/full/helmholtz_pinn_sin.hyco (the hybrid's 4-unit sin network)
#   Darcy (examples/full/hybrid_darcy.hyco, examples/full/darcy_pinn.hyco), the same three for
#     each noise level 0, 0.05, 0.1, 0.2 (the data file swapped by a copy of the spec with an
#     absolute data path, in a temporary directory).
# Prints Markdown tables: the relative parameter error (the last 'report' of each file), epochs,
# training time (wall clock, 1 thread) and, for the simulator runs, the time in the steady
# solver (assembly, banded factorisation, solves, adjoint solves) and its share of the training.
# Usage (repository root): sh tools/steady_table.sh [HYCOC] [helmholtz|darcy|all]
H=${1:-./hycoc}
which=${2:-all}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
row() {   # row LABEL FILE ARGS...
    label=$1; f=$2; shift 2
    if "$H" "$f" --run --quiet "$@" > "$tmp/out" 2>&1 || grep -q '^summary:' "$tmp/out"; then
        err=$(grep '^report ' "$tmp/out" | tail -1 | sed 's/.*: *//')
        ep=$(sed -n 's/^summary: \([0-9]*\) epochs, \([0-9.]*\) s train.*/\1/p' "$tmp/out")
        sec=$(sed -n 's/^summary: \([0-9]*\) epochs, \([0-9.]*\) s train.*/\2/p' "$tmp/out")
        solver=$(sed -n 's/^steady [^:]*: .*, \([0-9.]*\) s (\([0-9]*\) % of training)/\1 s (\2 %)/p' "$tmp/out")
        echo "| $label | $err | $ep | $sec s | ${solver:--} |"
    else
        echo "| $label | failed: $(tail -1 "$tmp/out") | | | |"
    fi
}
if [ "$which" != darcy ]; then
    echo "Helmholtz-Gaussian, 25 exact values in (0, pi)^2"
    echo
    echo "| model | relative parameter error | epochs | training time | steady solver |"
    echo "|---|---|---|---|---|"
    row "hybrid (HYCO, alpha 0.5), synthetic 4 sin units" examples/full/hybrid_helmholtz.hyco
    row "hybrid (HYCO, alpha 0.5), synthetic 32 x 3 tanh" examples/full/hybrid_helmholtz_tanh.hyco
    row "physics-only (alpha 1)" examples/full/hybrid_helmholtz.hyco -D alpha=1
    row "PINN with learnable parameters, 32 x 3 tanh" examples/full/helmholtz_pinn.hyco
    row "PINN with learnable parameters, 4 sin units" examples/full/helmholtz_pinn_sin.hyco
    echo
fi
if [ "$which" != helmholtz ]; then
    echo "Darcy, 50 values with noise sigma x max|u|"
    echo
    echo "| noise | model | relative coefficient error | epochs | training time | steady solver |"
    echo "|---|---|---|---|---|---|"
    for lv in 0 0.05 0.1 0.2; do
        tag=$(echo "$lv" | tr -d .)
        data="$PWD/examples/data/darcy_obs_$tag.csv"
        sed "s|\"../data/darcy_obs_005.csv\"|\"$data\"|" examples/full/hybrid_darcy.hyco > "$tmp/hybrid_darcy.hyco"
        sed "s|\"../data/darcy_obs_005.csv\"|\"$data\"|" examples/full/darcy_pinn.hyco > "$tmp/darcy_pinn.hyco"
        row "hybrid (HYCO, alpha 0.5)" "$tmp/hybrid_darcy.hyco" | sed "s/^|/| $lv |/"
        row "physics-only (alpha 1)" "$tmp/hybrid_darcy.hyco" -D alpha=1 | sed "s/^|/| $lv |/"
        row "PINN" "$tmp/darcy_pinn.hyco" | sed "s/^|/| $lv |/"
    done
fi
