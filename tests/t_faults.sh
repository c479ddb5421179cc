#!/bin/sh
# t_faults.sh -- faults during training and around output files.
#   training: a loss that becomes inf/NaN stops the run (exit 1) naming the
#     loss and the epoch; a NaN gradient at finite losses stops it before the
#     update; a failing L-BFGS line search is a warning and training goes on;
#     a diverged run's --save keeps the previous checkpoint.  (SIGINT/SIGTERM:
#     t_cli.sh.)
#   files: no output may be an input (the spec, a data file; by any path:
#     ./x, a symbolic link); an output that is a directory or cannot be
#     created is refused with a message; -o, --emit-c, --history, --summary
#     are atomic: a failed run (an error in the spec, a full disk simulated
#     with ulimit -f) leaves the previous file as it was and no temporary.
# Prints "ok faults/NAME" or "FAIL faults/NAME: why" (tests/run.sh).
BUILD=${BUILD:-build}
HYCOC=${HYCOC:-}
if [ -z "$HYCOC" ]; then
    if [ -x "$BUILD/hycoc" ]; then HYCOC=$BUILD/hycoc; else HYCOC=./hycoc; fi
fi
case $HYCOC in /*) ;; *) HYCOC=$(pwd)/$HYCOC ;; esac
if [ ! -x "$HYCOC" ]; then
    echo "FAIL faults: no hycoc binary ($HYCOC)"
    exit 1
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
status=0
ok() { echo "ok faults/$1"; }
fail() { echo "FAIL faults/$1: $2"; status=1; }
# run NAME WANT-STATUS GREP-PATTERN ARGS...: hycoc ARGS exits WANT-STATUS and
# its stderr matches GREP-PATTERN (extended regular expression).
run() {
    name=$1 want=$2 pat=$3
    shift 3
    "$HYCOC" "$@" > out.txt 2> err.txt
    rc=$?
    if [ $rc -ne "$want" ]; then fail "$name" "exit status $rc (want $want): $(head -c 300 err.txt)"
    elif ! grep -qE -- "$pat" err.txt; then fail "$name" "no /$pat/ on stderr: $(head -c 300 err.txt)"
    else ok "$name"; fi
}

cat > good.hyco <<'EOF'
domain line = interval(x: 0 .. 1, mesh 0.25)
data obs = load("obs.csv", columns x u)
net nn = mlp(1 -> 1, width 4, depth 1, tanh) optimizer adam(lr 1e-2)
loss fit = mse(nn - obs.u) over obs
train 3 epochs { step fit }
EOF
printf 'x,u\n0.1,1\n0.5,2\n0.9,3\n' > obs.csv

# ---- training faults ----
sed 's/loss fit = .*/loss fit = mse(nn - obs.u + 1e308 * 10) over obs/' good.hyco > inf.hyco
run loss-inf 1 "loss 'fit' became inf at epoch 1, substep 1 \(fit\); training stopped" --run inf.hyco
grep -q 'epoch' out.txt || fail loss-inf/report "no table before the stop"
cat > diverge.hyco <<'EOF'
domain line = interval(x: 0 .. 1, mesh 0.25)
net nn = mlp(1 -> 1, width 4, depth 1, tanh) optimizer sgd(lr 1e30)
loss l = mean((nn - 1e100 * x)^2) over line
train 50 epochs { step l }
EOF
run loss-diverges 1 "loss 'l' became (inf|NaN) at epoch [2-9], substep 1 \(l\); training stopped" --run diverge.hyco
cat > nangrad.hyco <<'EOF'
domain line = interval(x: 0 .. 1, mesh 0.25)
net nn = mlp(1 -> 1, width 4, depth 1, tanh)
param a = 0
loss l = mean((nn - x)^2) over line + sqrt(a * a)
train 5 epochs { step l }
EOF
# sqrt(a*a) at a = 0: the loss is 0, its derivative 0.5/sqrt(0) * 2a = inf * 0 = NaN.
run grad-nan 1 "the gradient of 'a' became NaN or inf at epoch 1, substep 1 \(l\), with finite losses; training stopped before the update" \
    --run nangrad.hyco
cat > lbfgs.hyco <<'EOF'
domain line = interval(x: 0 .. 1, mesh 0.05)
net nn = mlp(1 -> 1, width 8, depth 2, tanh)
loss l = mean(abs(nn - 0.5) + where(nn > 0.3, 1, 0)) over line
train 5 epochs { step l }
then 50 iterations optimizer lbfgs() { step l }
EOF
# A kink and a jump: the strong-Wolfe line search cannot succeed.
run lbfgs-linesearch 0 "warning: L-BFGS in substep 'l', epoch [0-9]+: line search failed" --run lbfgs.hyco
if [ "$(grep -c 'L-BFGS' err.txt)" -ne 1 ]; then fail lbfgs-linesearch/once "the warning is not printed exactly once"; fi
grep -q '^summary: 55 epochs' out.txt || fail lbfgs-linesearch/continues "training did not run its 55 epochs: $(tail -1 out.txt)"
# --save after a diverged run keeps the previous checkpoint.
if "$HYCOC" --help | grep -q -- '--save'; then
    if "$HYCOC" --run --quiet --save ck good.hyco > /dev/null 2> err.txt; then
        (cd ck && cksum ./* > ../ck.sum)
        cp good.hyco save.hyco
        run save-diverged 1 "not saved|became" --run --quiet --save ck inf.hyco
        (cd ck && cksum ./* > ../ck2.sum)
        cmp -s ck.sum ck2.sum && ok save-diverged/kept || fail save-diverged/kept "the checkpoint changed"
    else
        fail save-good "--save failed: $(head -c 300 err.txt)"
    fi
fi

# ---- outputs that are inputs ----
cp good.hyco keep.hyco
for opt in -o --emit-c --log --history --summary --keep-c; do
    case $opt in -o) act="--dump c" ;; --emit-c) act="" ;; *) act="--run --epochs 1" ;; esac
    run "input-$opt" 1 "'good.hyco' is the input file 'good.hyco'; refusing to overwrite it" $act $opt good.hyco good.hyco
done
run input-dotpath 1 "is the input file" --dump c -o ./good.hyco good.hyco
ln -s good.hyco link.hyco
run input-symlink 1 "is the input file" --run --epochs 1 --history link.hyco good.hyco
ln good.hyco hard.hyco
run input-hardlink 1 "is the input file" --dump c -o hard.hyco good.hyco
cp obs.csv obs.bak
run input-datafile 1 "--history 'obs.csv' is the input file 'obs.csv'" --run --epochs 1 --history obs.csv good.hyco
cmp -s good.hyco keep.hyco && cmp -s obs.csv obs.bak && ok inputs-unchanged || fail inputs-unchanged "an input was modified"

# ---- outputs that cannot be written ----
mkdir adir
for opt in -o --emit-c --log --history --summary; do
    case $opt in -o) act="--dump c" ;; --emit-c) act="" ;; *) act="--run --epochs 1" ;; esac
    run "directory$opt" 1 "$opt 'adir' is a directory; give a file name" $act $opt adir good.hyco
done
run missing-dir-o 1 "cannot write 'no/such/dir/x.c'" --dump c -o no/such/dir/x.c good.hyco
run missing-dir-emit 1 "cannot write 'no/such/dir/x.c'" --emit-c no/such/dir/x.c good.hyco
run missing-dir-history 1 "cannot write history 'no/such/dir/h.csv'" --run --epochs 1 --history no/such/dir/h.csv good.hyco
run missing-dir-summary 1 "cannot write 'no/such/dir/s.json'" --run --epochs 1 --summary no/such/dir/s.json good.hyco
run unwritable-proc 1 "cannot write '/proc/version'" --dump c -o /proc/version good.hyco

# ---- atomic outputs ----
leftovers() { ls -a | grep -E '\.(c|csv|json)\.[A-Za-z0-9]{6}$'; }
echo OLD > out.c
printf "domain line = interval(x: 0 .. 1, mesh 0.5)\\nloss l = mse(nope) over line\\n" > bad.hyco
run atomic-o-error 1 "unknown" --dump c -o out.c bad.hyco
[ "$(cat out.c)" = OLD ] && ok atomic-o-error/kept || fail atomic-o-error/kept "out.c was replaced"
run atomic-emit-error 1 "unknown" --emit-c out.c bad.hyco
[ "$(cat out.c)" = OLD ] && ok atomic-emit-error/kept || fail atomic-emit-error/kept "out.c was replaced"
# A full disk, simulated: files may not grow past 1 KiB (SIGXFSZ ignored, so
# writes fail with EFBIG instead of killing the process).
full() { (trap '' XFSZ; ulimit -f 2; "$HYCOC" "$@") > out.txt 2> err.txt; }
full --dump c -o out.c good.hyco
rc=$?
[ $rc -eq 1 ] && grep -q "writing 'out.c' failed" err.txt && [ "$(cat out.c)" = OLD ] && ok diskfull-o \
    || fail diskfull-o "exit $rc, $(head -c 200 err.txt), out.c: $(head -c 20 out.c)"
full --emit-c out.c good.hyco
rc=$?
[ $rc -eq 1 ] && grep -q "writing 'out.c' failed" err.txt && [ "$(cat out.c)" = OLD ] && ok diskfull-emit \
    || fail diskfull-emit "exit $rc, $(head -c 200 err.txt), out.c: $(head -c 20 out.c)"
echo OLD > h.csv
full --run --quiet --epochs 2000 --history h.csv good.hyco
rc=$?
[ $rc -eq 1 ] && grep -q "writing history 'h.csv'" err.txt && [ "$(cat h.csv)" = OLD ] && ok diskfull-history \
    || fail diskfull-history "exit $rc, $(head -c 200 err.txt), h.csv: $(head -c 20 h.csv)"
[ -z "$(leftovers)" ] && ok no-temporaries || fail no-temporaries "left behind: $(leftovers | tr '\n' ' ')"
# And when it works, the file is replaced whole.
"$HYCOC" --dump c -o out.c good.hyco 2> err.txt && grep -q hyk_setup out.c && ok atomic-o-replaced \
    || fail atomic-o-replaced "$(head -c 200 err.txt)"
exit $status
