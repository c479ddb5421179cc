#!/bin/sh
# t_hybrid.sh -- the hybrid (HYCO) examples' data and the simulator's stability check from the
# command line:
#   data      tools/burgers_obs.c, heat_obs.c and grayscott_obs.c rebuilt here reproduce
#             examples/data/*_obs.csv (every number within 1e-12 relative: the same code and
#             seed; libm may differ in the last bit elsewhere)
#   stable    the full specs check without a warning; the Burgers simulator on 512 nodes
#             (-D g.n=512) is reported unstable at its step line, with a stable dt
#   history   a short run of examples/hybrid_heat_small.hyco writes a --history CSV with the
#             synthetic loss, the physical loss (empty in the warm-up epochs, a number after)
#             and a column per simulator parameter (vector entries A[0], A[1], ...; no 'track')
H=${BUILD:-build}/hycoc
CC=${CC:-cc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# regen NAME: builds tools/NAME.c and compares its output with examples/data/NAME.csv
regen() {
    if $CC -std=c11 -O2 -Iruntime -o "$tmp/gen" "tools/$1.c" runtime/rng.c -lm 2> "$tmp/err" &&
       "$tmp/gen" > "$tmp/obs.csv"; then
        if awk -F, 'NR == FNR { a[FNR] = $0; next }
                    { if (a[FNR] == $0) next
                      if (substr($0, 1, 1) == "#" || $0 ~ /^[a-z,]*$/) { bad = 1; next }
                      n = split(a[FNR], p, ",")
                      if (n != NF) bad = 1
                      for (k = 1; k <= NF; k++) { d = p[k] - $k; if (d < 0) d = -d; m = $k < 0 ? -$k : $k
                                                  if (d > 1e-12 * m + 1e-300) bad = 1 } }
                    END { exit bad }' "$tmp/obs.csv" "examples/data/$1.csv" &&
           [ "$(wc -l < "$tmp/obs.csv")" -eq "$(wc -l < "examples/data/$1.csv")" ]; then
            echo "ok hybrid/data-regenerates/$1"
        else
            echo "FAIL hybrid/data-regenerates/$1: tools/$1.c's output differs from examples/data/$1.csv"
        fi
    else
        echo "FAIL hybrid/data-regenerates/$1: could not build or run tools/$1.c"; sed 's/^/    /' "$tmp/err"
    fi
}
regen burgers_obs
regen heat_obs
regen grayscott_obs
for ex in examples/full/hybrid_burgers.hyco examples/full/hybrid_heat.hyco examples/full/hybrid_grayscott.hyco; do
    n=$(basename "$ex" .hyco)
    if $H "$ex" --check > "$tmp/o" 2>&1 && [ ! -s "$tmp/o" ]; then echo "ok hybrid/full-spec-quiet/$n"
    else echo "FAIL hybrid/full-spec-quiet/$n:"; sed 's/^/    /' "$tmp/o" | head -5; fi
done
ex=examples/full/hybrid_burgers.hyco
$H "$ex" --check -D g.n=512 > "$tmp/o" 2>&1
if grep -q "hybrid_burgers.hyco:13:5: warning: simulator 'burgers' may be unstable: RK4 with dt = 0.001" "$tmp/o" &&
   grep -q "dt <= " "$tmp/o"; then echo "ok hybrid/unstable-512"
else echo "FAIL hybrid/unstable-512:"; sed 's/^/    /' "$tmp/o" | head -5; fi
# history: epochs 1-3 are warm-up (physical loss empty), epoch 4 runs the physical substep
$H examples/hybrid_heat_small.hyco --run --quiet --epochs 4 --history "$tmp/h.csv" > "$tmp/o" 2>&1
if [ "$(head -1 "$tmp/h.csv" 2> /dev/null)" = "epoch,syn_fit,phys_fit,A[0],A[1],cx[0],cx[1],cy[0],cy[1]" ] &&
   awk -F, 'NR == 1 { next }
            { if (NF != 9 || $2 == "") bad = 1
              if ($1 <= 3 && $3 != "") bad = 1
              if ($1 == 4 && ($3 == "" || $4 == 1)) bad = 1
              if ($1 <= 3 && ($4 != 1 || $5 != 1 || $6 != 1.4)) bad = 1; n++ }
            END { exit bad || n != 4 }' "$tmp/h.csv"; then echo "ok hybrid/history-columns"
else echo "FAIL hybrid/history-columns:"; sed 's/^/    /' "$tmp/h.csv" "$tmp/o" 2> /dev/null | head -8; fi
