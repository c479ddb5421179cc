#!/bin/sh
# t_plot.sh -- hycoc --plot: the loss figure of a run exists, is a PNG (magic
# bytes, non-empty, decoded by cairo through test_plot --read), SVG on request,
# written for an interrupted-free short run and refused for a path that is a
# file; the pixel-level checks of the plotting module are in test_plot.c.
B=${BUILD:-build}
H=$B/hycoc
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
E=$tmp/two_losses.hyco   # small and fast; its expect holds
cat > "$E" <<'SPEC'
domain line = interval(x: 0 .. 1, mesh 0.25)
net n = mlp(1 -> 1, width 4, depth 1) optimizer adam(lr 1e-2)
loss fit = mse(n - 0.5) over line
loss small = 1e-3 * mse(n) over line
train 300 epochs { step fit, small }
expect mean(x) over line < 1
SPEC

if "$H" "$E" --quiet --plot "$tmp/figs/run1" > "$tmp/out" 2>&1; then echo "ok plot/run"
else echo "FAIL plot/run: status $?: $(tail -3 "$tmp/out")"; fi
f=$tmp/figs/run1/losses.png
if [ -s "$f" ]; then echo "ok plot/losses-exists"; else echo "FAIL plot/losses-exists: $f missing or empty"; fi
magic=$(od -An -tx1 -N8 "$f" 2>/dev/null | tr -d ' \n')
if [ "$magic" = 89504e470d0a1a0a ]; then echo "ok plot/png-magic"; else echo "FAIL plot/png-magic: '$magic'"; fi
if [ -x "$B/test_plot" ]; then
    "$B/test_plot" --read "$f" > "$tmp/read" 2>&1 && echo "ok plot/cairo-reads" \
        || echo "FAIL plot/cairo-reads: $(cat "$tmp/read")"
else
    echo "FAIL plot/cairo-reads: $B/test_plot not built"
fi
if ls "$tmp/figs/run1" | grep -q '\.png\.'; then echo "FAIL plot/no-temporaries: $(ls "$tmp/figs/run1")"
else echo "ok plot/no-temporaries"; fi

if "$H" "$E" --quiet --plot "$tmp/svg" --plot-format svg > "$tmp/out" 2>&1 \
    && grep -q '<svg' "$tmp/svg/losses.svg"; then echo "ok plot/svg"
else echo "FAIL plot/svg: $(tail -3 "$tmp/out")"; fi

: > "$tmp/afile"
"$H" "$E" --quiet --epochs 5 --plot "$tmp/afile" > "$tmp/out" 2>&1; rc=$?
if [ $rc -eq 1 ] && grep -q "not a directory" "$tmp/out"; then echo "ok plot/dir-is-file"
else echo "FAIL plot/dir-is-file: status $rc: $(cat "$tmp/out")"; fi
# the directory is checked before training: nothing was trained
if grep -q "^summary:" "$tmp/out"; then echo "FAIL plot/fails-early: trained before reporting the bad directory"
else echo "ok plot/fails-early"; fi

# tracked values (loss weights, learning rates): history columns and their own figure
cat > "$tmp/tracked.hyco" <<'SPEC'
seed 3
domain sq = rect(x: 0 .. 1, y: 0 .. 1, mesh 0.25)
net n = mlp(2 -> 1, width 8, depth 2, tanh) optimizer adam(lr 1e-2) schedule cosine(steps 300, lr0 1e-2, lr_end 1e-5)
loss pde = mse(lap(n) + 1) over sq
loss bc = mse(n - x) over sq
weights w = relobralo(pde, bc)
train 300 epochs { step w.pde * pde, w.bc * bc }
track w, lr
expect mean(x) over sq < 1
SPEC
if "$H" "$tmp/tracked.hyco" --quiet --plot "$tmp/tr" --history "$tmp/tr.csv" > "$tmp/out" 2>&1; then echo "ok plot/tracked-run"
else echo "FAIL plot/tracked-run: $(tail -3 "$tmp/out")"; fi
if [ "$(head -1 "$tmp/tr.csv")" = "epoch,pde,bc,w.pde,w.bc,lr.n" ]; then echo "ok plot/tracked-history-columns"
else echo "FAIL plot/tracked-history-columns: $(head -1 "$tmp/tr.csv")"; fi
# weights of relobralo sum to the number of losses at every recorded epoch
if awk -F, 'NR > 1 { d = $4 + $5 - 2; if (d > 1e-9 || d < -1e-9) bad = 1 } END { exit bad }' "$tmp/tr.csv"; then
    echo "ok plot/tracked-history-values"; else echo "FAIL plot/tracked-history-values: w.pde + w.bc != 2"; fi
if [ -x "$B/test_plot" ] && "$B/test_plot" --read "$tmp/tr/losses.png" "$tmp/tr/tracked.png" > "$tmp/read" 2>&1; then
    echo "ok plot/tracked-figure"; else echo "FAIL plot/tracked-figure: $(cat "$tmp/read" 2>/dev/null)"; fi

# field figures: a 1-D field against its exact solution with the error, 2-D heat
# maps of a field and its error (a disk: grey outside), a tracked param's trajectory
cat > "$tmp/f1.hyco" <<'SPEC'
seed 1
domain line = interval(x: 0 .. 1, mesh 0.05)
net n = mlp(1 -> 1, width 8, depth 2, tanh) optimizer adam(lr 1e-2)
param k = 0.5 optimizer adam(lr 1e-2)
field u(x) = n(x) * x * (1 - x)
loss pde = mse(dxx(u) + k * pi^2 * sin(pi*x)) over line
loss pin = (k - 1)^2
train 200 epochs { step pde, pin }
track k
expect rel_l2(u, sin(pi*x)) over line < 10
SPEC
if "$H" "$tmp/f1.hyco" --quiet --plot "$tmp/f1" > "$tmp/out" 2>&1; then echo "ok plot/field-1d-run"
else echo "FAIL plot/field-1d-run: $(tail -3 "$tmp/out")"; fi
if [ -x "$B/test_plot" ] && "$B/test_plot" --read "$tmp/f1/u.png" "$tmp/f1/params.png" > "$tmp/read" 2>&1; then
    echo "ok plot/field-1d-figures"; else echo "FAIL plot/field-1d-figures: $(grep FAIL "$tmp/read" 2>/dev/null)"; fi
if [ -e "$tmp/f1/tracked.png" ]; then echo "FAIL plot/params-apart: a tracked param went to tracked.png"
else echo "ok plot/params-apart"; fi
cat > "$tmp/f2.hyco" <<'SPEC'
seed 2
domain ball = disk(x, y, center(0, 0), radius 1)
points p = sobol(256) in ball
net n = mlp(2 -> 1, width 16, depth 2, tanh) optimizer adam(lr 1e-2)
field u(x, y) = n(x, y)
loss fit = mse(u - x * y) over p
train 200 epochs { step fit }
expect rel_l2(u, x * y) over p < 10
SPEC
if "$H" "$tmp/f2.hyco" --quiet --plot "$tmp/f2" --plot-format png > "$tmp/out" 2>&1; then echo "ok plot/field-2d-run"
else echo "FAIL plot/field-2d-run: $(tail -3 "$tmp/out")"; fi
if [ -x "$B/test_plot" ] && "$B/test_plot" --heat "$tmp/f2/u.png" "$tmp/f2/u_error.png" > "$tmp/read" 2>&1; then
    echo "ok plot/field-2d-heatmaps"; else echo "FAIL plot/field-2d-heatmaps: $(grep FAIL "$tmp/read" 2>/dev/null)"; fi
if "$H" "$tmp/f2.hyco" --quiet --epochs 5 --plot "$tmp/f2s" --plot-format svg > "$tmp/out" 2>&1 \
    && grep -q '<svg' "$tmp/f2s/u.svg" && grep -q '<svg' "$tmp/f2s/u_error.svg"; then echo "ok plot/field-2d-svg"
else echo "FAIL plot/field-2d-svg: $(ls "$tmp/f2s" 2>&1)"; fi
# a 3-D space-time field: heat maps of the slice at the final time
cat > "$tmp/f3.hyco" <<'SPEC'
seed 3
domain sq = rect(x: 0 .. 1, y: 0 .. 1)
domain st = spacetime(sq, t: 0 .. 2)
points p = sobol(128) in st
net n = mlp(3 -> 1, width 8, depth 1, tanh) optimizer adam(lr 1e-2)
field u(x, y, t) = n(x, y, t)
loss fit = mse(u - x * t) over p
train 50 epochs { step fit }
expect rel_l2(u, x * t) over p < 10
SPEC
if "$H" "$tmp/f3.hyco" --quiet --plot "$tmp/f3" > "$tmp/out" 2>&1 && [ -x "$B/test_plot" ] \
    && "$B/test_plot" --heat "$tmp/f3/u.png" "$tmp/f3/u_error.png" > "$tmp/read" 2>&1; then echo "ok plot/field-3d-slice"
else echo "FAIL plot/field-3d-slice: $(tail -3 "$tmp/out") $(grep FAIL "$tmp/read" 2>/dev/null)"; fi
