#!/bin/sh
# t_weights.sh -- adaptive weights inside a loss expression, end to end.
#  - 'loss total = w.pde * pde + 3 * w.bc * bc; step total' trains bitwise
#    like 'step w.pde * pde, 3 * w.bc * bc' through an Adam phase and an
#    L-BFGS phase: the loss log's pde, bc and tracked weight columns and the
#    saved weights are byte for byte the same;
#  - a run stopped with --until (in the Adam phase, at the phase boundary,
#    inside L-BFGS) and resumed ends in the log and checkpoint of the run
#    that never stopped;
#  - the generated C advances the balancer through hy_balancer_weight and
#    marks the substep with hy_substep_balanced.
B=${BUILD:-build}
H=$B/hycoc
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ok() { echo "ok weights/$1"; }
fail() { echo "FAIL weights/$1: $2"; }
check() { if eval "$2"; then ok "$1"; else fail "$1" "${3:-$2}"; fi; }
same_dir() {  # same_dir A B: every file of A equals the same file of B, and B has no other
    [ -d "$1" ] && [ -d "$2" ] || return 1
    [ "$(ls "$1")" = "$(ls "$2")" ] || return 1
    for f in "$1"/*; do cmp -s "$f" "$2/$(basename "$f")" || return 1; done
}

spec_head() {
cat <<'EOF'
seed 4
domain sq = rect(x: 0 .. 1, y: 0 .. 1)
points inner = latin(200) in sq
points wall  = random(60) on boundary(sq)
net n = mlp(2 -> 1, width 10, depth 2, tanh)
        optimizer chain(clip_norm(1.0), adamw(lr 1, weight_decay 1e-4))
        schedule warmup_cosine(steps 40, warmup 5, lr0 3e-3, lr_end 1e-5)
let g(x, y) = sin(pi*x) * sinh(pi*y) / sinh(pi)
loss pde = mse(lap(n)) over inner
loss bc  = mse(n - g(x, y)) over wall
weights w = relobralo(pde, bc, mode minmax)
EOF
}
{ spec_head; cat <<'EOF'
train 40 epochs { step w.pde * pde, 3 * w.bc * bc }
then 8 iterations optimizer lbfgs(history 10) { step w.pde * pde, 3 * w.bc * bc }
track w
EOF
} > "$tmp/terms.hyco"
{ spec_head; cat <<'EOF'
loss total = w.pde * pde + 3 * w.bc * bc
train 40 epochs { step total }
then 8 iterations optimizer lbfgs(history 10) { step total }
track w
EOF
} > "$tmp/inloss.hyco"

L="--quiet --log-every 1"
$H "$tmp/terms.hyco" $L --log "$tmp/t.tsv" --save "$tmp/ckt" > "$tmp/t.out" 2>&1
rt=$?
$H "$tmp/inloss.hyco" $L --log "$tmp/c.tsv" --save "$tmp/ckc" > "$tmp/c.out" 2>&1
rc=$?
check runs '[ $rt -eq 0 ] && [ $rc -eq 0 ]' "status $rt/$rc: $(tail -n 3 "$tmp/t.out"; tail -n 3 "$tmp/c.out")"
# columns: epoch pde bc [total] w.pde w.bc
cut -f1-3,4- "$tmp/t.tsv" > "$tmp/t.cols"
cut -f1-3,5- "$tmp/c.tsv" > "$tmp/c.cols"
rows=$(wc -l < "$tmp/c.cols")
check same_log_as_step_terms '[ "$rows" -eq 49 ] && cmp -s "$tmp/t.cols" "$tmp/c.cols"' "$rows rows; $(diff "$tmp/t.cols" "$tmp/c.cols" | head -4)"
check same_weights_as_step_terms 'cmp -s "$tmp/ckt/weights.npz" "$tmp/ckc/weights.npz"' "weights.npz differ"
check weights_moved 'awk -F "\t" "NR == 41 && (\$5 < 0.999 || \$5 > 1.001) { f = 1 } END { exit !f }" "$tmp/c.tsv"' "$(sed -n 41p "$tmp/c.tsv")"

for U in 17 40 44; do   # in Adam, at the phase boundary, inside L-BFGS
    rm -rf "$tmp/cka" "$tmp/ckb"
    $H "$tmp/inloss.hyco" $L --until $U --log "$tmp/a.tsv" --save "$tmp/cka" > /dev/null 2>&1
    $H "$tmp/inloss.hyco" $L --resume "$tmp/cka" --log "$tmp/b.tsv" --save "$tmp/ckb" > "$tmp/b.out" 2>&1
    { cat "$tmp/a.tsv"; tail -n +2 "$tmp/b.tsv"; } > "$tmp/ab.tsv"
    check "resume_at_${U}_log" 'cmp -s "$tmp/ab.tsv" "$tmp/c.tsv"' "$(diff "$tmp/ab.tsv" "$tmp/c.tsv" | head -4; tail -3 "$tmp/b.out")"
    check "resume_at_${U}_checkpoint" 'same_dir "$tmp/ckc" "$tmp/ckb"' "final checkpoints differ"
done

$H "$tmp/inloss.hyco" --emit-c "$tmp/p.c" > /dev/null 2>&1
check emitted_c 'grep -q "hy_balancer_weight(c, 0, 0)" "$tmp/p.c" && grep -q "hy_substep_balanced(c, 0)" "$tmp/p.c" && grep -q "hy_substep_balanced(c, 1)" "$tmp/p.c"' "$(grep -n "balancer_weight\|substep_balanced" "$tmp/p.c" | head -5)"
