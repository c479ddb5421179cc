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
#   warmup-until  'warmup until syn_fit < T [max M]': ends at the first epoch whose syn_fit is below
#             T (or at M), parameters unmoved before, resume across the boundary bitwise (below)
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
# non-finite coefficients at the start values: said so, no 'diffusion number nan'
cat > "$tmp/nf.hyco" <<'EOF'
grid g = periodic(x: 0 .. 2, n 64)
param nu = -1
sim heat on g {
    state u = sin(pi*x)
    step rk4 dt 1e-3 save every 10 steps 100
    dt(u) = sqrt(nu) * dxx(u)
}
EOF
$H "$tmp/nf.hyco" --check > "$tmp/o" 2>&1
if grep -q "nf.hyco:5:5: warning: simulator 'heat': the coefficients of the equation of state 'u' are not finite at x = .* at the start values" "$tmp/o" &&
   ! grep -q "nan" "$tmp/o"; then echo "ok hybrid/nonfinite-coefficients"
else echo "FAIL hybrid/nonfinite-coefficients:"; sed 's/^/    /' "$tmp/o" | head -5; fi
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
# warmup-until: examples/hybrid_heat_small.hyco with 'warmup until syn_fit < 5e-3' (9 epochs): the
# physical substep first runs in the epoch after the first whose syn_fit (the history's value) is
# below 5e-3 (epoch 5 here: the test requires 1 < k < 9 so that both sides are seen); before it
# the physical loss is empty and every parameter keeps its initial value; the run output names
# epoch k.  Stopping with --until k-1 or k and resuming gives the history and the final
# checkpoint byte for byte (the checkpoint records whether the warm-up ended).  With 'max 3'
# the warm-up ends at epoch 3 whatever syn_fit is.
mkdir -p "$tmp/wu/data" && cp examples/data/heat_obs.csv "$tmp/wu/data/"
sed 's/^train 15 epochs warmup 3 {/train 9 epochs warmup until syn_fit < 5e-3 {/' examples/hybrid_heat_small.hyco > "$tmp/wu/w.hyco"
sed 's/^train 15 epochs warmup 3 {/train 9 epochs warmup until syn_fit < 1e-9 max 3 {/' examples/hybrid_heat_small.hyco > "$tmp/wu/m.hyco"
W="--run --quiet"
$H "$tmp/wu/w.hyco" $W --history "$tmp/wu/c.csv" --save "$tmp/wu/ckc" > "$tmp/wu/c.out" 2>&1
k=$(awk -F, 'NR > 1 && $2 < 5e-3 { print $1; exit }' "$tmp/wu/c.csv" 2> /dev/null)
if [ -n "$k" ] && [ "$k" -gt 1 ] && [ "$k" -lt 9 ] &&
   awk -F, -v k="$k" 'NR == 1 { next }
            { if ($1 <= k && ($3 != "" || $4 != 1 || $5 != 1 || $6 != 1.4 || $7 != -1.8 || $8 != -1.3 || $9 != -1.1)) bad = 1
              if ($1 > k && $3 == "") bad = 1
              if ($1 == k + 1 && $4 == 1) bad = 1; n++ }
            END { exit bad || n != 9 }' "$tmp/wu/c.csv" &&
   grep -q "^warm-up: ended after epoch $k (syn_fit < 0.005); physical steps from epoch $((k + 1))$" "$tmp/wu/c.out"
then echo "ok hybrid/warmup-until-ends-at-threshold"
else echo "FAIL hybrid/warmup-until-ends-at-threshold: k=$k"; sed 's/^/    /' "$tmp/wu/c.csv" "$tmp/wu/c.out" 2> /dev/null | head -14; fi
for u in $((k - 1)) $k; do
    rm -rf "$tmp/wu/cka" "$tmp/wu/ckb"
    $H "$tmp/wu/w.hyco" $W --until "$u" --save "$tmp/wu/cka" > "$tmp/wu/a.out" 2>&1
    $H "$tmp/wu/w.hyco" $W --resume "$tmp/wu/cka" --history "$tmp/wu/b.csv" --save "$tmp/wu/ckb" > "$tmp/wu/b.out" 2>&1
    same=1
    for f in "$tmp/wu/ckc"/*; do cmp -s "$f" "$tmp/wu/ckb/$(basename "$f")" || same=0; done
    if [ "$same" = 1 ] && cmp -s "$tmp/wu/b.csv" "$tmp/wu/c.csv" && grep -q "^warm-up: ended after epoch $k " "$tmp/wu/b.out"
    then echo "ok hybrid/warmup-until-resume-bitwise/until-$u"
    else echo "FAIL hybrid/warmup-until-resume-bitwise/until-$u:"; sed 's/^/    /' "$tmp/wu/a.out" "$tmp/wu/b.out" | head -8; fi
done
$H "$tmp/wu/m.hyco" $W --history "$tmp/wu/m.csv" > "$tmp/wu/m.out" 2>&1
if awk -F, 'NR > 1 { if (($1 <= 3) != ($3 == "")) bad = 1 } END { exit bad || NR != 10 }' "$tmp/wu/m.csv" &&
   grep -q "^warm-up: ended at its cap, epoch 3 " "$tmp/wu/m.out"
then echo "ok hybrid/warmup-until-max"
else echo "FAIL hybrid/warmup-until-max:"; sed 's/^/    /' "$tmp/wu/m.csv" "$tmp/wu/m.out" | head -12; fi
