#!/bin/sh
# t_checkpoint.sh -- --save, --resume and --until end to end.
#  - "train 3000" == "--until 2000 --save, then --resume": the loss logs
#    (the first run's rows followed by the resumed run's) and the --history
#    files are byte for byte those of the run that never stopped, and so is
#    every file of the final checkpoint; with a balancer, a schedule and an
#    Adam-then-L-BFGS plan, stopping in each phase; with point sets redrawn
#    and grown (RAR-D) during training;
#  - a SIGTERM stop saves too, and resuming from wherever it stopped ends in
#    the same checkpoint;
#  - a standalone program (--emit-c) and hycoc resume each other's
#    checkpoints bitwise;
#  - mismatches are refused with exit 1 and say what differs: another width,
#    another seed, another spec, a plan whose phase differs at the saved
#    epoch, a damaged archive, a missing directory; --save refuses a
#    directory with foreign files before training;
#  - NumPy loads every archive with the documented names and shapes (skipped
#    without numpy).
B=${BUILD:-build}
H=$B/hycoc
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ok() { echo "ok checkpoint/$1"; }
fail() { echo "FAIL checkpoint/$1: $2"; }
check() { if eval "$2"; then ok "$1"; else fail "$1" "${3:-$2}"; fi; }
same_dir() {  # same_dir A B: every file of A equals the same file of B, and B has no other
    [ -d "$1" ] && [ -d "$2" ] || return 1
    [ "$(ls "$1")" = "$(ls "$2")" ] || return 1
    for f in "$1"/*; do cmp -s "$f" "$2/$(basename "$f")" || return 1; done
}

# ---- 1. the tour example: 3000 epochs == 2000 + 1000
S=examples/hyco_poisson_1d.hyco
L="--quiet --log-every 100"
$H $S $L --log "$tmp/c.tsv" --history "$tmp/c.csv" --save "$tmp/ckc" > "$tmp/c.out" 2>&1
$H $S $L --until 2000 --log "$tmp/a.tsv" --save "$tmp/cka" > "$tmp/a.out" 2>&1
ra=$?
$H $S $L --resume "$tmp/cka" --log "$tmp/b.tsv" --history "$tmp/b.csv" --save "$tmp/ckb" > "$tmp/b.out" 2>&1
rb=$?
check until_exit0 '[ $ra -eq 0 ] && grep -q "^summary: 2000 epochs" "$tmp/a.out"' "status $ra: $(tail -1 "$tmp/a.out")"
check resume_exit0 '[ $rb -eq 0 ] && grep -q "^summary: 3000 epochs" "$tmp/b.out"' "status $rb: $(tail -2 "$tmp/b.out")"
{ cat "$tmp/a.tsv"; tail -n +2 "$tmp/b.tsv"; } > "$tmp/ab.tsv"
check resume_log_bitwise 'cmp -s "$tmp/ab.tsv" "$tmp/c.tsv"' "$(diff "$tmp/ab.tsv" "$tmp/c.tsv" | head -4)"
check resume_history_bitwise 'cmp -s "$tmp/b.csv" "$tmp/c.csv"' "--history differs"
check resume_checkpoint_bitwise 'same_dir "$tmp/ckc" "$tmp/ckb"' "final checkpoints differ"
check resume_report_same 'grep "^expect" "$tmp/b.out" | cmp -s - "$(grep "^expect" "$tmp/c.out" > "$tmp/ce"; echo "$tmp/ce")"' "reports differ"
check files 'same_dir "$tmp/ckc" "$tmp/ckc" && [ "$(ls "$tmp/ckc" | tr "\n" " ")" = "history.npz manifest.json manifest.npz optimizer.npz state.npz weights.npz " ]' "$(ls "$tmp/ckc")"
check manifest_json 'grep -q "\"epoch\": 3000" "$tmp/ckc/manifest.json" && grep -q "\"plan\": \[3000\]" "$tmp/ckc/manifest.json" && grep -q "\"name\": \"phy\"" "$tmp/ckc/manifest.json"' "$(head -12 "$tmp/ckc/manifest.json")"

# ---- 2. balancer (ReLoBRaLo), warmup-cosine schedule, clipping, Adam then L-BFGS
S2=examples/full/schedules_and_weights.hyco
D="-D epochs=40 -D phase2=6 -D n.warmup=10 -D n.steps=60 --quiet --log-every 5"
$H $S2 $D --log "$tmp/c2.tsv" --save "$tmp/ck2c" > /dev/null 2>&1
for U in 17 40 43; do   # in Adam, at the phase boundary, inside L-BFGS
    rm -rf "$tmp/ck2a" "$tmp/ck2b"
    $H $S2 $D --until $U --log "$tmp/a2.tsv" --save "$tmp/ck2a" > /dev/null 2>&1
    $H $S2 $D --resume "$tmp/ck2a" --log "$tmp/b2.tsv" --save "$tmp/ck2b" > "$tmp/b2.out" 2>&1
    { cat "$tmp/a2.tsv"; tail -n +2 "$tmp/b2.tsv"; } > "$tmp/ab2.tsv"
    check "phases_resume_at_${U}_log" 'cmp -s "$tmp/ab2.tsv" "$tmp/c2.tsv"' "$(diff "$tmp/ab2.tsv" "$tmp/c2.tsv" | head -4; tail -3 "$tmp/b2.out")"
    check "phases_resume_at_${U}_checkpoint" 'same_dir "$tmp/ck2c" "$tmp/ck2b"' "final checkpoints differ"
done

# ---- 2b. point sets redrawn (uniform, RAR-D) and grown during training
cat > "$tmp/rs.hyco" <<'EOF'
seed 2
domain st = spacetime(interval(x: 0 .. 1), t: 0 .. 1)
points inner = random(200) in st  grow every 7 by residual(pde, k 1, c 1, add 20)
points edge  = random(40) on boundary(st, x)  resample every 5
points start = latin(40) on boundary(st, t = 0)  resample every 9 by residual(ic, k 2, c 0, pool 200)
net u = mlp(2 -> 1, width 12, depth 2, tanh)
loss pde = mse(dt(u) - 0.1 * dxx(u)) over inner
loss bc = mse(u) over edge
loss ic = mse(u - sin(pi*x)) over start
train 60 epochs { step pde, bc, ic }
EOF
R="--quiet --log-every 5"
$H "$tmp/rs.hyco" $R --log "$tmp/c3.tsv" --save "$tmp/ck3c" > /dev/null 2>&1
for U in 14 27 45; do
    rm -rf "$tmp/ck3a" "$tmp/ck3b"
    $H "$tmp/rs.hyco" $R --until $U --log "$tmp/a3.tsv" --save "$tmp/ck3a" > /dev/null 2>&1
    $H "$tmp/rs.hyco" $R --resume "$tmp/ck3a" --log "$tmp/b3.tsv" --save "$tmp/ck3b" > /dev/null 2>&1
    { cat "$tmp/a3.tsv"; tail -n +2 "$tmp/b3.tsv"; } > "$tmp/ab3.tsv"
    check "pointsets_resume_at_${U}" 'cmp -s "$tmp/ab3.tsv" "$tmp/c3.tsv" && same_dir "$tmp/ck3c" "$tmp/ck3b"' "$(diff "$tmp/ab3.tsv" "$tmp/c3.tsv" | head -4)"
done

# ---- 3. SIGTERM: saved where it stopped; resuming ends where the full run ends
$H $S --quiet --epochs 6000 --save "$tmp/ckfull" > /dev/null 2>&1
$H $S --quiet --epochs 6000 --save "$tmp/ckt" > "$tmp/t.out" 2> "$tmp/t.err" &
pid=$!
sleep 1
kill -TERM $pid 2>/dev/null
wait $pid
rt=$?
ep=$(sed -n 's/.*"epoch": \([0-9]*\).*/\1/p' "$tmp/ckt/manifest.json" 2>/dev/null)
check sigterm_saves '[ -n "$ep" ] && { [ $rt -eq 143 ] || { [ $rt -eq 0 ] && [ "$ep" = 6000 ]; }; }' "status $rt, epoch '$ep': $(cat "$tmp/t.err")"
$H $S --quiet --epochs 6000 --resume "$tmp/ckt" --save "$tmp/ckt2" > /dev/null 2>&1
check sigterm_resume_bitwise 'same_dir "$tmp/ckfull" "$tmp/ckt2"' "stopped at epoch $ep; final checkpoints differ"

# ---- 3b. a standalone program (--emit-c) saves a checkpoint that hycoc resumes
SAN=
if nm "$B/libhyrt.a" 2> /dev/null | grep -q '__asan_\|__ubsan_'; then
    SAN="-fsanitize=address,undefined"
fi
$H $S --emit-c "$tmp/train.c" > /dev/null 2>&1
if cc $SAN -O2 -o "$tmp/train" "$tmp/train.c" $($H --cflags --libs) > "$tmp/cc.out" 2>&1; then
    rm -rf "$tmp/sa" "$tmp/sb"
    "$tmp/train" $L --until 2000 --save "$tmp/sa" --log "$tmp/sa.tsv" > /dev/null 2>&1
    $H $S $L --resume "$tmp/sa" --log "$tmp/sb.tsv" --save "$tmp/sb" > /dev/null 2> "$tmp/sb.err"
    { cat "$tmp/sa.tsv"; tail -n +2 "$tmp/sb.tsv"; } > "$tmp/sab.tsv"
    same=1
    for f in weights optimizer state history; do cmp -s "$tmp/sb/$f.npz" "$tmp/ckc/$f.npz" || same=0; done
    check standalone_save_hycoc_resume '[ $same -eq 1 ] && cmp -s "$tmp/sab.tsv" "$tmp/c.tsv" && [ ! -s "$tmp/sb.err" ]' "same $same; $(cat "$tmp/sb.err")"
    rm -rf "$tmp/sc"
    $H $S $L --until 2000 --save "$tmp/sc" > /dev/null 2>&1
    "$tmp/train" $L --resume "$tmp/sc" --save "$tmp/sd" > /dev/null 2>&1
    same=1
    for f in weights optimizer state history; do cmp -s "$tmp/sd/$f.npz" "$tmp/ckc/$f.npz" || same=0; done
    check standalone_resumes_hycoc_checkpoint '[ $same -eq 1 ]' "final checkpoints differ"
else
    fail standalone_builds "$(head -5 "$tmp/cc.out")"
fi

# ---- 4. what does not match is refused and named
e() { "$H" "$@" --quiet > "$tmp/e.out" 2> "$tmp/e.err"; echo $?; }
r=$(e $S -D phy.width=16 --resume "$tmp/cka")
check rejects_width '[ $r -eq 1 ] && grep -q "trainable .phy. differs (width 32 vs 16" "$tmp/e.err"' "status $r: $(cat "$tmp/e.err")"
r=$(e $S --seed 7 --resume "$tmp/cka")
check rejects_seed '[ $r -eq 1 ] && grep -q "trained with seed 0, this run has seed 7" "$tmp/e.err"' "status $r: $(cat "$tmp/e.err")"
r=$(e examples/fit_from_file.hyco --resume "$tmp/cka")
check rejects_other_spec '[ $r -eq 1 ] && grep -q "trainable .phy. is not in this spec" "$tmp/e.err" && grep -q "cannot resume" "$tmp/e.err"' "status $r: $(cat "$tmp/e.err")"
rm -rf "$tmp/ck2a"
$H $S2 $D --epochs 30 --until 33 --save "$tmp/ck2a" > /dev/null 2>&1
r=$(e $S2 $D --resume "$tmp/ck2a")
check rejects_phase '[ $r -eq 1 ] && grep -q "epoch 33 was in phase 2 of the checkpoint.s plan (30 + 6), but is in phase 1 of this run.s plan (40 + 6)" "$tmp/e.err"' "status $r: $(cat "$tmp/e.err")"
r=$(e $S2 $D --epochs 30 --resume "$tmp/ck2a")
check accepts_same_plan '[ $r -eq 1 ] && grep -q "^summary: 36 epochs" "$tmp/e.out"' "status $r: $(cat "$tmp/e.err")"
cp -r "$tmp/cka" "$tmp/bad"
head -c 1000 "$tmp/cka/optimizer.npz" > "$tmp/bad/optimizer.npz"
r=$(e $S --resume "$tmp/bad")
check rejects_truncated '[ $r -eq 1 ] && grep -q "bad/optimizer.npz: truncated or corrupt" "$tmp/e.err"' "status $r: $(cat "$tmp/e.err")"
r=$(e $S --resume "$tmp/nowhere")
check rejects_missing '[ $r -eq 1 ] && grep -q "nowhere: no such checkpoint directory" "$tmp/e.err"' "status $r: $(cat "$tmp/e.err")"
mkdir "$tmp/mine"; echo notes > "$tmp/mine/notes.txt"
r=$(e $S --save "$tmp/mine")
check save_refuses_foreign_dir '[ $r -eq 1 ] && grep -q "holds .notes.txt." "$tmp/e.err" && ! grep -q "^summary" "$tmp/e.out" && [ "$(ls "$tmp/mine")" = notes.txt ]' "status $r: $(cat "$tmp/e.err")"
r=$(e $S --resume "$tmp/ckc")
check resume_at_end '[ $r -eq 0 ] && grep -q "^summary: 3000 epochs" "$tmp/e.out"' "status $r: $(cat "$tmp/e.err")"

# ---- 5. NumPy reads every archive
PY=""
for p in python3 /usr/bin/python3 python; do
    if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import numpy' >/dev/null 2>&1; then PY=$p; break; fi
done
if [ -z "$PY" ]; then
    ok "numpy_loads (skipped: no numpy)"
else
    "$PY" - "$tmp/ckc" <<'EOF'
import sys, json, numpy as np
d = sys.argv[1]
m = json.load(open(d + "/manifest.json"))
w = np.load(d + "/weights.npz")
z = np.load(d + "/manifest.npz")
o = np.load(d + "/optimizer.npz")
s = np.load(d + "/state.npz")
h = np.load(d + "/history.npz")
ok = w.files == ["phy", "syn"] and w["phy"].shape == (2209,) and w["phy"].dtype == np.float64
ok = ok and int(z["format"][0]) == 1 and list(z["version"]) == [0, 1, 0] and int(z["epoch"][0]) == 3000 and list(z["plan"]) == [3000.0]
ok = ok and [t["name"] for t in m["trainables"]] == ["phy", "syn"]
ok = ok and o.files == ["s1.phy", "s2.syn"] and o["s1.phy"].shape == (2 * 2209 + 1,) and o["s1.phy"][-1] == 3000
ok = ok and s["counters"][0] == 3000 and s["losses"].shape == (4,)
ok = ok and h.files[:2] == ["epoch", "loss.pde"] and h["epoch"][-1] == 3000 and len(h["epoch"]) == 3000
print("ok checkpoint/numpy_loads" if ok else "FAIL checkpoint/numpy_loads: %r %r %r" % (w.files, o.files, h.files))
EOF
fi
exit 0
