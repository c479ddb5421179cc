#!/bin/sh
# t_hybrid.sh -- the hybrid (HYCO) examples' data and the simulator's stability check from the
# command line:
#   data      tools/burgers_obs.c rebuilt here reproduces examples/data/burgers_obs.csv
#             (every number within 1e-12 relative: the same code and seed; libm may differ in
#             the last bit elsewhere)
#   stable    the full spec checks without a warning; the same simulator on 512 nodes
#             (-D g.n=512) is reported unstable at its step line, with a stable dt
H=${BUILD:-build}/hycoc
CC=${CC:-cc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if $CC -std=c11 -O2 -Iruntime -o "$tmp/gen" tools/burgers_obs.c runtime/rng.c -lm 2> "$tmp/err" &&
   "$tmp/gen" > "$tmp/obs.csv"; then
    if awk -F, 'NR == FNR { a[FNR] = $0; next }
                { if (a[FNR] == $0) next
                  if (substr($0, 1, 1) == "#" || $0 == "x,t,u") { bad = 1; next }
                  split(a[FNR], p, ",")
                  for (k = 1; k <= 3; k++) { d = p[k] - $k; if (d < 0) d = -d; m = $k < 0 ? -$k : $k
                                             if (d > 1e-12 * m + 1e-300) bad = 1 } }
                END { exit bad }' "$tmp/obs.csv" examples/data/burgers_obs.csv &&
       [ "$(wc -l < "$tmp/obs.csv")" -eq "$(wc -l < examples/data/burgers_obs.csv)" ]; then
        echo "ok hybrid/data-regenerates"
    else
        echo "FAIL hybrid/data-regenerates: tools/burgers_obs.c's output differs from examples/data/burgers_obs.csv"
    fi
else
    echo "FAIL hybrid/data-regenerates: could not build or run tools/burgers_obs.c"; sed 's/^/    /' "$tmp/err"
fi
ex=examples/full/hybrid_burgers.hyco
if $H "$ex" --check > "$tmp/o" 2>&1 && [ ! -s "$tmp/o" ]; then echo "ok hybrid/full-spec-quiet"
else echo "FAIL hybrid/full-spec-quiet:"; sed 's/^/    /' "$tmp/o" | head -5; fi
$H "$ex" --check -D g.n=512 > "$tmp/o" 2>&1
if grep -q "hybrid_burgers.hyco:13:5: warning: simulator 'burgers' may be unstable: RK4 with dt = 0.001" "$tmp/o" &&
   grep -q "dt <= " "$tmp/o"; then echo "ok hybrid/unstable-512"
else echo "FAIL hybrid/unstable-512:"; sed 's/^/    /' "$tmp/o" | head -5; fi
