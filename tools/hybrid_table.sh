#!/bin/sh
# hybrid_table.sh -- the three-way comparisons of docs/hybrid.md, one command per case:
#   sh tools/hybrid_table.sh [burgers|heat|grayscott|rollout|all] [HYCOC]      (repository root; default all)
# Each case runs
#   hybrid        the HYCO spec as written (each model fits the data and the other's predictions)
#   physics-only  the same file with -D alpha=1 (the interaction terms vanish: the simulator's
#                 parameters are fitted to the observations alone)
#   PINN          a network with the PDE residual and learnable parameters, the same observations
# and prints a Markdown table: the recovered parameters, their error against the truth, epochs
# and CPU time of the whole run (user + system, with /usr/bin/time; without it, the summary
# line's wall-clock training time; 1 thread).  The heat case also runs the hybrid with
# seeds 1 and 2 (-D seed=K: network initialisation and interaction points), since its answer
# depends on them.
#   burgers    examples/full/hybrid_burgers.hyco, burgers_pinn_nu.hyco (truth nu = 0.02)
#   heat       examples/full/hybrid_heat.hyco, heat_pinn_map.hyco (the paper's error
#              |A - A*| / |A*| + |c - c*| / |c*| of the amplitudes and the centres)
#   grayscott  examples/full/hybrid_grayscott.hyco, grayscott_pinn.hyco (truth Du = 0.2, Dv = 0.08)
#   rollout    examples/full/hybrid_burgers_rollout.hyco (the synthetic model is a next-state network
#              rolled out on the grid), burgers_pinn_nu.hyco; also the rollout's rel-L2 at the sensors
case=${1:-all}
H=${2:-./hycoc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# run FILE ARGS...: runs the spec into $tmp/out; 0 when it reached its summary line
run() {
    f=$1; shift
    rm -f "$tmp/time"
    if [ -x /usr/bin/time ]; then
        /usr/bin/time -f '%U %S' -o "$tmp/time" "$H" "$f" --run --quiet "$@" > "$tmp/out" 2>&1 || grep -q '^summary:' "$tmp/out"
    else
        "$H" "$f" --run --quiet "$@" > "$tmp/out" 2>&1 || grep -q '^summary:' "$tmp/out"
    fi
}
rep() { sed -n "s/^report $1 *: *//p" "$tmp/out" | head -1; }   # a report line's value
ep() { sed -n 's/^summary: \([0-9]*\) epochs, \([0-9.]*\) s train.*/\1/p' "$tmp/out"; }
sec() {   # CPU seconds of the run, or the summary's wall-clock training time ("... wall")
    if [ -s "$tmp/time" ]; then awk 'END { printf "%.1f CPU", $1 + $2 }' "$tmp/time"
    else sed -n 's/^summary: \([0-9]*\) epochs, \([0-9.]*\) s train.*/\2 wall/p' "$tmp/out"; fi
}
pct() { awk -v n="$1" -v t="$2" 'BEGIN { e = (n - t) / t; if (e < 0) e = -e; printf "%.2f %%", 100 * e }'; }

burgers_row() {   # LABEL FILE ARGS...
    label=$1; f=$2; shift 2
    if run "$f" "$@"; then
        nu=$(rep nu)
        echo "| $label | $nu | $(pct "$nu" 0.02) | $(ep) | $(sec) s |"
    else
        echo "| $label | failed: $(tail -1 "$tmp/out") | | | |"
    fi
}
burgers() {
    echo "| model | recovered nu | error | epochs | time |"
    echo "|---|---|---|---|---|"
    burgers_row "hybrid (HYCO, alpha 0.5)" examples/full/hybrid_burgers.hyco
    burgers_row "physics-only (alpha 1)" examples/full/hybrid_burgers.hyco -D alpha=1
    burgers_row "PINN with learnable nu" examples/full/burgers_pinn_nu.hyco
}

heat_row() {   # LABEL FILE ARGS...
    label=$1; f=$2; shift 2
    if run "$f" "$@"; then
        err=$(sed -n 's/^report sqrt((A\[0\] - 3).* : *//p' "$tmp/out" | head -1)
        echo "| $label | $(rep 'A\[0\]') | $(rep 'A\[1\]') | ($(rep 'cx\[0\]'), $(rep 'cy\[0\]')) | ($(rep 'cx\[1\]'), $(rep 'cy\[1\]')) | $err | $(ep) | $(sec) s |"
    else
        echo "| $label | failed: $(tail -1 "$tmp/out") | | | | | | |"
    fi
}
heat() {
    echo "| model | A[0] (3) | A[1] (2.5) | centre 1 (1, 1) | centre 2 (-2, -2) | parameter error | epochs | time |"
    echo "|---|---|---|---|---|---|---|---|"
    heat_row "hybrid (HYCO, alpha 0.9)" examples/full/hybrid_heat.hyco
    heat_row "hybrid, seed 1" examples/full/hybrid_heat.hyco -D seed=1
    heat_row "hybrid, seed 2" examples/full/hybrid_heat.hyco -D seed=2
    heat_row "physics-only (alpha 1)" examples/full/hybrid_heat.hyco -D alpha=1
    heat_row "PINN with learnable map" examples/full/heat_pinn_map.hyco
}

gs_row() {   # LABEL FILE ARGS...
    label=$1; f=$2; shift 2
    if run "$f" "$@"; then
        du=$(rep Du); dv=$(rep Dv)
        echo "| $label | $du | $(pct "$du" 0.2) | $dv | $(pct "$dv" 0.08) | $(ep) | $(sec) s |"
    else
        echo "| $label | failed: $(tail -1 "$tmp/out") | | | | | |"
    fi
}
grayscott() {
    echo "| model | Du | error | Dv | error | epochs | time |"
    echo "|---|---|---|---|---|---|---|"
    gs_row "hybrid (HYCO, alpha 0.9)" examples/full/hybrid_grayscott.hyco
    gs_row "physics-only (alpha 1)" examples/full/hybrid_grayscott.hyco -D alpha=1
    gs_row "PINN with learnable Du, Dv" examples/full/grayscott_pinn.hyco
}

rollout_row() {   # LABEL FILE ARGS...
    label=$1; f=$2; shift 2
    if run "$f" "$@"; then
        nu=$(rep nu); r=$(rep 'rel_l2(roll.u, obs.u) over obs')
        echo "| $label | $nu | $(pct "$nu" 0.02) | ${r:--} | $(ep) | $(sec) s |"
    else
        echo "| $label | failed: $(tail -1 "$tmp/out") | | | | |"
    fi
}
rollout() {
    echo "| model | recovered nu | error | rollout rel-L2 at the sensors | epochs | training time |"
    echo "|---|---|---|---|---|---|"
    rollout_row "hybrid (HYCO, rollout network, alpha 0.5)" examples/full/hybrid_burgers_rollout.hyco
    rollout_row "physics-only (alpha 1; the rollout fits the data alone)" examples/full/hybrid_burgers_rollout.hyco -D alpha=1
    rollout_row "PINN with learnable nu" examples/full/burgers_pinn_nu.hyco
}

case $case in
burgers) burgers ;;
heat) heat ;;
grayscott) grayscott ;;
rollout) rollout ;;
all) echo "Burgers:"; burgers; echo; echo "Heat:"; heat; echo; echo "Gray-Scott:"; grayscott; echo; echo "Burgers, rollout network:"; rollout ;;
*) echo "usage: sh tools/hybrid_table.sh [burgers|heat|grayscott|rollout|all] [HYCOC]" >&2; exit 2 ;;
esac
