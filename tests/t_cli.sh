#!/bin/sh
# t_cli.sh -- the command line: --help covers every option main.c knows (and
# the man page every option of --help), unknown options and bad values fail
# with a suggestion, -D overrides change results exactly when they change a
# value, -o, --option=VALUE, --history / --summary contents (JSON that parses,
# with the spec's FNV-1a hash computed independently), the live progress line,
# the exit statuses (0, 1, 130 on SIGINT, 143 on SIGTERM), and the man page
# renders without warnings.
H=${BUILD:-build}/hycoc
E=examples/hyco_poisson_1d.hyco
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ok() { echo "ok cli/$1"; }
fail() { echo "FAIL cli/$1: $2"; }
have_py() { command -v python3 > /dev/null 2>&1; }

# A small, fast spec: one net, a report, an expect that holds.
cat > "$tmp/tiny.hyco" <<'EOF'
domain line = interval(x: 0 .. 1, mesh 0.25)
net n = mlp(1 -> 1, width 4, depth 1) optimizer adam(lr 1e-2)
const target = 0.5
loss fit = mse(n - target) over line
train 200 epochs { step fit }
expect mean(x) over line < 1
report mean(n) over line
EOF
T=$tmp/tiny.hyco

# status NAME WANT CMD... : runs CMD (stdout $tmp/out, stderr $tmp/err), checks its status
status() {
    name=$1 want=$2; shift 2
    "$@" > "$tmp/out" 2> "$tmp/err"; rc=$?
    if [ "$rc" -eq "$want" ]; then ok "$name"
    else fail "$name" "exit status $rc, want $want; stderr: $(head -3 "$tmp/err")"; fi
}
# has NAME FILE TEXT : FILE contains TEXT (fixed string)
has() {
    if grep -qF -- "$3" "$2"; then ok "$1"; else fail "$1" "'$3' not in: $(head -5 "$2")"; fi
}

# ---- help, version, man page ----
status help 0 "$H" --help
cp "$tmp/out" "$tmp/help"
missing=""
for opt in $(grep -o '"-[-A-Za-z0-9]*"' compiler/main.c | tr -d '"' | sort -u); do
    grep -qE -- "(^|[ ,])$opt([ ,=]|\$)" "$tmp/help" || missing="$missing $opt"
done
[ -z "$missing" ] && ok help/every-option || fail help/every-option "not in --help:$missing"
has help/exit-status "$tmp/help" "130"
sed 's/\\-/-/g; s/\\f[BIRP]//g' docs/hycoc.1 > "$tmp/man.txt"
missing=""
for opt in $(grep -oE -- '(^|[ ,])--?[A-Za-z][-a-z0-9]*' "$tmp/help" | tr -d ' ,' | sort -u); do
    grep -qE -- "(^|[^-a-z])$opt([^-a-z]|\$)" "$tmp/man.txt" || missing="$missing $opt"
done
[ -z "$missing" ] && ok man/every-option || fail man/every-option "not in docs/hycoc.1:$missing"
missing=""
for s in 0 1 2 130 143; do
    grep -q "^\.B $s\$" docs/hycoc.1 || missing="$missing $s"
done
[ -z "$missing" ] && ok man/exit-statuses || fail man/exit-statuses "missing:$missing"
if command -v man > /dev/null 2>&1; then
    w=$(MANWIDTH=80 man -l docs/hycoc.1 2>&1 > /dev/null)
    [ -z "$w" ] && ok man/renders || fail man/renders "$w"
else
    ok "man/renders (skipped: no man)"
fi
if command -v groff > /dev/null 2>&1; then
    w=$(groff -man -ww -z docs/hycoc.1 2>&1)
    [ -z "$w" ] && ok man/groff-warnings || fail man/groff-warnings "$w"
fi
status version 0 "$H" --version
grep -qE '^hycoc [0-9]+\.[0-9]+\.[0-9]+$' "$tmp/out" && ok version/text || fail version/text "$(cat "$tmp/out")"

# ---- option errors ----
status unknown-option 1 "$H" "$E" --epoch 5
has unknown-option/message "$tmp/err" "unknown option '--epoch'"
has unknown-option/suggestion "$tmp/err" "did you mean '--epochs'"
status unknown-option-eq 1 "$H" "$E" --histroy=x.csv
has unknown-option-eq/suggestion "$tmp/err" "did you mean '--history'"
status unknown-option-far 1 "$H" "$E" --frobnicate
if grep -q "did you mean" "$tmp/err"; then fail unknown-option-far/no-suggestion "$(cat "$tmp/err")"
else ok unknown-option-far/no-suggestion; fi
status no-input 1 "$H" --quiet
status two-inputs 1 "$H" "$E" "$T"
status missing-file 1 "$H" "$tmp/nope.hyco"
has missing-file/message "$tmp/err" "cannot open"
status bad-threads 1 "$H" "$E" --threads 0
status bad-dump 1 "$H" "$E" --dump nothing
status bad-progress 1 "$H" "$E" --progress sometimes
status bad-plot-format 1 "$H" "$E" --plot-format gif
status flag-with-value 1 "$H" "$E" --quiet=1
has flag-with-value/message "$tmp/err" "takes no value"
status o-without-dump 1 "$H" "$E" -o "$tmp/x"

# ---- --option=VALUE ----
status opt-eq 0 "$H" "$T" --epochs=20 --quiet --history="$tmp/eq.csv"
[ "$(tail -1 "$tmp/eq.csv" | cut -d, -f1)" = 20 ] && ok opt-eq/epochs || fail opt-eq/epochs "last row: $(tail -1 "$tmp/eq.csv")"

# ---- -D overrides ----
run_hist() {  # run_hist OUT.csv ARGS... : 30 epochs of the HyCo example
    out=$1; shift
    "$H" "$E" --quiet --epochs 30 --history "$out" "$@" > /dev/null 2>&1
}
run_hist "$tmp/base.csv"
run_hist "$tmp/a05.csv" -D alpha=0.5
run_hist "$tmp/a05j.csv" -Dalpha=0.5
run_hist "$tmp/a1.csv" -D alpha=1
run_hist "$tmp/a2then05.csv" -D alpha=2 -D alpha=0.5
if [ -s "$tmp/base.csv" ] && [ -s "$tmp/a05.csv" ] && ! cmp -s "$tmp/base.csv" "$tmp/a05.csv"; then ok D/changes-result
else fail D/changes-result "-D alpha=0.5 gave the same history as alpha = 1"; fi
cmp -s "$tmp/base.csv" "$tmp/a1.csv" && ok D/same-value-same-result || fail D/same-value-same-result "-D alpha=1 (the file's value) changed the history"
cmp -s "$tmp/a05.csv" "$tmp/a05j.csv" && ok D/joined-form || fail D/joined-form "-Dalpha=0.5 differs from -D alpha=0.5"
cmp -s "$tmp/a05.csv" "$tmp/a2then05.csv" && ok D/last-wins || fail D/last-wins "-D alpha=2 -D alpha=0.5 differs from -D alpha=0.5"
run_hist "$tmp/s7.csv" -D seed=7
run_hist "$tmp/s7b.csv" --seed 7
if [ -s "$tmp/s7.csv" ] && cmp -s "$tmp/s7.csv" "$tmp/s7b.csv" && ! cmp -s "$tmp/s7.csv" "$tmp/base.csv"; then ok D/seed
else fail D/seed "-D seed=7 differs from --seed 7 or equals seed 0"; fi
run_hist "$tmp/lr.csv" -D phy.lr=5e-4
if [ -s "$tmp/lr.csv" ] && ! cmp -s "$tmp/lr.csv" "$tmp/base.csv"; then ok D/lr-changes-result
else fail D/lr-changes-result "-D phy.lr=5e-4 gave the same history"; fi
status D/epochs 0 "$H" "$T" --quiet -D epochs=25 --history "$tmp/e25.csv"
[ "$(tail -1 "$tmp/e25.csv" | cut -d, -f1)" = 25 ] && ok D/epochs-count || fail D/epochs-count "last row: $(tail -1 "$tmp/e25.csv")"
status D/list 0 "$H" "$E" --list-overrides -D phy.lr=5e-4 -D phy.width=8
missing=""
for want in "seed = 0" "alpha = 1" "beta = 1" "phy.lr = 0.0005" "phy.width = 8" "syn.lr = 0.001" "line.mesh = 0.02" "epochs = 3000"; do
    grep -qxF "$want" "$tmp/out" || missing="$missing [$want]"
done
[ -z "$missing" ] && ok D/list-values || fail D/list-values "missing$missing in: $(tr '\n' ';' < "$tmp/out")"
status D/width-checks 0 "$H" "$E" --check -D phy.width=8
status D/reaches-sema 1 "$H" "$E" --check -D phy.lr=-1
has D/reaches-sema/message "$tmp/err" "lr"
status D/unknown 1 "$H" "$E" -D alpah=1
has D/unknown/suggestion "$tmp/err" "did you mean 'alpha'"
has D/unknown/lists "$tmp/err" "phy.lr"
status D/not-a-number 1 "$H" "$E" -D alpha=abc
status D/not-an-integer 1 "$H" "$E" -D epochs=1.5
status D/epochs-zero 1 "$H" "$E" -D epochs=0
status D/no-name 1 "$H" "$E" -D =3
status D/no-value 1 "$H" "$E" -D alpha
status D/missing-arg 1 "$H" "$E" -D
status D/seed-added 0 "$H" "$T" -D seed=3 --dump ast
grep -q "^stmt seed 3" "$tmp/out" && ok D/seed-added/ast || fail D/seed-added/ast "$(head -2 "$tmp/out")"

# phases, balancers, chained optimizers, bounds (parse level: --dump ast, --list-overrides)
cat > "$tmp/phases.hyco" <<'EOF'
seed 3
domain sq = rect(x: 0 .. 1, y: 0 .. 1, mesh 0.5)
net n = mlp(2 -> 1, width 8, depth 2, tanh) optimizer chain(clip_norm(1.0), adamw(lr 1, weight_decay 1e-4)) schedule warmup_cosine(steps 60, lr0 1e-3)
param k = 0.5 in [0.001, 1.0] optimizer adam(lr 1e-2)
loss pde = mse(n) over sq
loss bc = mse(n - 1) over sq
weights w = relobralo(pde, bc, mode minmax)
train 60 epochs warmup 4 { step w.pde * pde, w.bc * bc }
then 5 iterations optimizer lbfgs(history 50) { step pde, bc }
EOF
status D/phases-list 0 "$H" "$tmp/phases.hyco" --list-overrides
missing=""
for want in "n.lr = 1" "n.weight_decay = 0.0001" "n.lr0 = 0.001" "k = 0.5" "k.hi = 1" "k.lr = 0.01" "w = relobralo" \
            "w.mode = minmax" "warmup = 4" "phase2 = 5" "phase2.history = 50" "balancer = relobralo"; do
    grep -qxF "$want" "$tmp/out" || missing="$missing [$want]"
done
[ -z "$missing" ] && ok D/phases-list-values || fail D/phases-list-values "missing$missing in: $(tr '\n' ';' < "$tmp/out")"
status D/phases-apply 0 "$H" "$tmp/phases.hyco" --dump ast -D balancer=softadapt -D phase2=7 -D phase2.history=20 \
    -D n.lr0=5e-4 -D k.hi=2 -D w.mode=sum -D n.adamw.lr=0.5 -D warmup=9
tr -s ' ' < "$tmp/out" | tr '\n' '|' > "$tmp/flat"
missing=""
for want in "call softadapt" "then 7 iterations" "opt history| num 20" "opt lr0| num 0.0005" "opt mode| name sum" \
            "call adamw| opt lr| num 0.5" "epochs warmup 9" "num 2|"; do
    grep -qF "$want" "$tmp/flat" || missing="$missing [$want]"
done
[ -z "$missing" ] && ok D/phases-apply-ast || fail D/phases-apply-ast "missing$missing"
status D/callee-needs-name 1 "$H" "$tmp/phases.hyco" --dump ast -D balancer=3
status D/lr-needs-number 1 "$H" "$tmp/phases.hyco" --dump ast -D n.lr=fast

# options the file leaves to their defaults: setting them to the documented
# defaults changes nothing; another value changes the run
cat > "$tmp/noopt.hyco" <<'EOF'
domain line = interval(x: 0 .. 1, mesh 0.25)
net n = mlp(1 -> 1)
net m = mlp(1 -> 1, width 4) optimizer adam(beta1 0.8)
param k = 1.0
loss fit = mse(n + m - k) over line
train 20 epochs { step fit }
EOF
"$H" "$tmp/noopt.hyco" --quiet --history "$tmp/nd.csv" > /dev/null 2>&1
"$H" "$tmp/noopt.hyco" --quiet --history "$tmp/nd_explicit.csv" -D n.lr=1e-3 -D n.width=32 -D n.depth=3 \
    -D k.lr=1e-3 -D m.lr=1e-3 > /dev/null 2>&1
"$H" "$tmp/noopt.hyco" --quiet --history "$tmp/nd_lr.csv" -D n.lr=1e-2 > /dev/null 2>&1
if [ -s "$tmp/nd.csv" ] && cmp -s "$tmp/nd.csv" "$tmp/nd_explicit.csv"; then ok D/defaults-explicit
else fail D/defaults-explicit "spelling out the defaults changed the history"; fi
if [ -s "$tmp/nd_lr.csv" ] && ! cmp -s "$tmp/nd.csv" "$tmp/nd_lr.csv"; then ok D/absent-lr-applies
else fail D/absent-lr-applies "-D n.lr=1e-2 on a net without an optimizer changed nothing"; fi
status D/absent-lr-ast 0 "$H" "$tmp/noopt.hyco" --dump ast -D n.lr=0.01 -D n.lr=0.02 -D m.lr=3e-3
tr -s ' ' < "$tmp/out" | tr '\n' '|' > "$tmp/flat"
if grep -qF "optimizer| call adam| opt lr| num 0.02|" "$tmp/flat" && grep -qF "opt beta1| num 0.8| opt lr| num 0.003|" "$tmp/flat" \
    && [ "$(grep -o 'opt lr' "$tmp/flat" | wc -l)" -eq 2 ]; then ok D/absent-lr-once
else fail D/absent-lr-once "$(cat "$tmp/flat")"; fi

# ---- -o ----
status o/dump 0 "$H" "$E" --dump ast -o "$tmp/ast.txt"
"$H" "$E" --dump ast > "$tmp/ast_stdout.txt" 2>/dev/null
[ -s "$tmp/ast.txt" ] && cmp -s "$tmp/ast.txt" "$tmp/ast_stdout.txt" && [ ! -s "$tmp/out" ] \
    && ok o/same-as-stdout || fail o/same-as-stdout "-o file differs from standard output"
status o/unwritable 1 "$H" "$E" --dump ast -o "$tmp/no/such/dir/ast.txt"
status o/failed-compile-no-file 1 "$H" "$E" --dump ir -D phy.lr=-1 -o "$tmp/ir.txt"
[ ! -e "$tmp/ir.txt" ] && ok o/no-partial-file || fail o/no-partial-file "$tmp/ir.txt written by a failed run"
ls "$tmp" | grep -q '\.txt\.' && fail o/no-temporaries "$(ls "$tmp")" || ok o/no-temporaries

# ---- history, summary ----
status history/unwritable 1 "$H" "$T" --quiet --history "$tmp/no/dir/h.csv"
has history/unwritable/message "$tmp/err" "cannot write"
[ "$(head -1 "$tmp/base.csv")" = "epoch,pde,int_phy,fit,int_syn" ] && ok history/header || fail history/header "$(head -1 "$tmp/base.csv")"
[ "$(wc -l < "$tmp/base.csv")" -eq 31 ] && ok history/every-epoch || fail history/every-epoch "$(wc -l < "$tmp/base.csv") lines for 30 epochs"
status history/long 0 "$H" "$T" --quiet --epochs 20001 --history "$tmp/long.csv"
n=$(($(wc -l < "$tmp/long.csv") - 1))
first=$(sed -n 2p "$tmp/long.csv" | cut -d, -f1); last=$(tail -1 "$tmp/long.csv" | cut -d, -f1)
if [ "$n" -le 10002 ] && [ "$n" -ge 5000 ] && [ "$first" = 1 ] && [ "$last" = 20001 ]; then ok history/stride
else fail history/stride "$n rows, first $first, last $last"; fi
weird="$tmp/we ird	d$(printf '\303\251')r"   # space, tab, UTF-8 (escaped in JSON)
mkdir -p "$weird" && cp "$T" "$weird/t.hyco"
status summary/run 0 "$H" "$weird/t.hyco" --quiet --summary "$tmp/s.json" --seed 4
if have_py; then
    python3 - "$tmp/s.json" "$weird/t.hyco" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
def check(ok, name, why):
    print(("ok cli/" if ok else "FAIL cli/") + name + ("" if ok else ": " + why))
check(s["spec"]["path"] == sys.argv[2], "summary/path-escaped", repr(s["spec"]["path"]))
h = 14695981039346656037
for b in open(sys.argv[2], "rb").read():
    h = ((h ^ b) * 1099511628211) % (1 << 64)
check(s["spec"]["fnv1a64"] == "%016x" % h, "summary/fnv1a64", "%s != %016x" % (s["spec"]["fnv1a64"], h))
check(s["seed"] == 4 and s["threads"] == 1 and s["epochs"] == {"planned": 200, "done": 200}, "summary/run-facts", str(s))
check(s["stopped"] == "completed" and s["exit_status"] == 0 and s["signal"] == 0, "summary/completed", str(s))
e = s["expects"]
check(len(e) == 1 and e[0]["pass"] is True and e[0]["cmp"] == "<" and e[0]["bound"] == 1 and abs(e[0]["value"] - 0.5) < 1e-15,
      "summary/expects", str(e))
check(len(s["reports"]) == 1 and s["reports"][0]["text"] == "mean(n) over line", "summary/reports", str(s["reports"]))
check(list(s["final_losses"]) == ["fit"] and s["final_losses"]["fit"] >= 0, "summary/losses", str(s["final_losses"]))
check(s["hycoc_version"] and s["timings"]["train_s"] >= 0 and s["parameters"] == 13, "summary/misc", str(s))
v = s.get("versions", {})
check(v.get("hycoc") == s["hycoc_version"] and v.get("runtime_cc") and "OpenBLAS" in (v.get("openblas") or ""),
      "summary/versions", str(v))
PY
else
    ok "summary/json (skipped: no python3)"
fi
cat > "$tmp/fail.hyco" <<'EOF'
domain line = interval(x: 0 .. 1, mesh 0.25)
net n = mlp(1 -> 1, width 4, depth 1)
loss fit = mse(n) over line
train 5 epochs { step fit }
expect mean(x) over line > 1
EOF
status exit/failed-expect 1 "$H" "$tmp/fail.hyco" --quiet --summary "$tmp/f.json"
grep -q '"pass": false' "$tmp/f.json" && grep -q '"exit_status": 1' "$tmp/f.json" && ok summary/failed-expect || fail summary/failed-expect "$(cat "$tmp/f.json")"
printf 'seed 0\nloss = 1\n' > "$tmp/syntax.hyco"
status exit/syntax-error 1 "$H" "$tmp/syntax.hyco"
status exit/check-ok 0 "$H" "$E" --check

# ---- progress ----
"$H" "$T" --epochs 50 --progress live > "$tmp/live.txt" 2>&1
if grep -q "$(printf '\r')" "$tmp/live.txt" && grep -q "^summary:" "$tmp/live.txt"; then ok progress/live
else fail progress/live "no carriage return or no summary"; fi
"$H" "$T" --epochs 50 --progress lines > "$tmp/lines.txt" 2>&1
if ! grep -q "$(printf '\r')" "$tmp/lines.txt" && [ "$(grep -c '^ *[0-9]' "$tmp/lines.txt")" -ge 5 ]; then ok progress/lines
else fail progress/lines "carriage returns or too few rows"; fi
"$H" "$T" --epochs 50 --progress live --quiet > "$tmp/q.txt" 2>&1
if ! grep -q "$(printf '\r')" "$tmp/q.txt"; then ok progress/quiet-no-live; else fail progress/quiet-no-live "live line with --quiet"; fi
"$H" "$T" --epochs 50 > "$tmp/auto.txt" 2>&1
if ! grep -q "$(printf '\r')" "$tmp/auto.txt"; then ok progress/auto-not-a-terminal; else fail progress/auto-not-a-terminal "live line into a file"; fi

# ---- signals ----
# waits (up to about five minutes, a guard against hangs, not a time limit: a
# loaded machine may take long to reach the first rows) for two table rows
wait_rows() {
    i=0
    while [ "$i" -lt 3000 ] && [ "$(grep -c '^ *[0-9]' "$1" 2>/dev/null)" -lt 2 ]; do sleep 0.1; i=$((i + 1)); done
}
"$H" "$T" --epochs 1000000000 --log-every 2000 --progress lines --summary "$tmp/term.json" \
    --history "$tmp/term.csv" > "$tmp/term.out" 2> "$tmp/term.err" &
pid=$!
wait_rows "$tmp/term.out"
kill -TERM "$pid"
wait "$pid"; rc=$?
[ "$rc" -eq 143 ] && ok signal/term-status || fail signal/term-status "status $rc, want 143"
has signal/term-report "$tmp/term.out" "expect mean(x) over line < 1"
has signal/term-summary-line "$tmp/term.out" "summary:"
has signal/term-message "$tmp/term.err" "terminated"
has signal/term-json "$tmp/term.json" '"stopped": "interrupted"'
done_epochs=$(sed -n 's/.*"done": \([0-9]*\).*/\1/p' "$tmp/term.json")
last=$(tail -1 "$tmp/term.csv" | cut -d, -f1)
[ -n "$last" ] && [ "$last" = "$done_epochs" ] && ok signal/term-history || fail signal/term-history "history ends at '$last', summary says '$done_epochs'"
if have_py; then
    python3 - "$H" "$T" <<'PY'
import signal, subprocess, sys
p = subprocess.Popen([sys.argv[1], sys.argv[2], "--epochs", "1000000000", "--log-every", "2000", "--progress", "lines"],
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
rows = 0
for line in p.stdout:
    if line.strip()[:1].isdigit():
        rows += 1
        if rows == 2:
            break
p.send_signal(signal.SIGINT)
out, err = p.communicate()
ok = p.returncode == 130 and "summary:" in out and "interrupted" in err
print(("ok" if ok else "FAIL") + " cli/signal/int" + ("" if ok else ": status %d; %s" % (p.returncode, err.strip())))
PY
    # SIGINT with --save and --fields: the checkpoint holds the epochs run (its
    # manifest's epoch is the report's), and the fields are written
    python3 - "$H" "$T" "$tmp/intck" "$tmp/intf" <<'PY'
import json, os, re, signal, subprocess, sys
p = subprocess.Popen([sys.argv[1], sys.argv[2], "--epochs", "1000000000", "--log-every", "2000", "--progress", "lines",
                      "--save", sys.argv[3], "--fields", sys.argv[4]],
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
rows = 0
for line in p.stdout:
    if line.strip()[:1].isdigit():
        rows += 1
        if rows == 2:
            break
p.send_signal(signal.SIGINT)
out, err = p.communicate()
m = re.search(r"summary: (\d+) epochs", out)
try:
    ep = json.load(open(os.path.join(sys.argv[3], "manifest.json")))["epoch"]
except Exception as e:
    ep = repr(e)
ok = (p.returncode == 130 and m is not None and str(ep) == m.group(1)
      and os.path.getsize(os.path.join(sys.argv[4], "line.csv")) > 0)
print(("ok" if ok else "FAIL") + " cli/signal/int-saves" + ("" if ok else ": status %d, manifest epoch %s, %s" % (p.returncode, ep, err.strip()[-200:])))
PY
    # Ctrl-C typed on a terminal: the live line is drawn, the terminal's
    # SIGINT stops the run, and the report follows on a clean line.
    python3 - "$H" "$T" <<'PY'
import os, pty, select, sys
pid, fd = pty.fork()
if pid == 0:
    os.environ["TERM"] = "xterm"
    os.execv(sys.argv[1], [sys.argv[1], sys.argv[2], "--epochs", "1000000000", "--log-every", "100000000"])
buf, sent = b"", False
while True:
    r, _, _ = select.select([fd], [], [], 60)
    if not r:
        break
    try:
        d = os.read(fd, 4096)
    except OSError:
        break
    if not d:
        break
    buf += d
    if not sent and buf.count(b"\r") >= 6:   # the live line has been redrawn a few times
        os.write(fd, b"\x03")
        sent = True
_, st = os.waitpid(pid, 0)
code = os.waitstatus_to_exitcode(st)
text = buf.decode(errors="replace")
report = text[text.find("expect mean"):]   # a pty writes \r\n for \n
ok = (code == 130 and "ep/s" in text and "ETA" in text and "summary:" in report
      and "ep/s" not in report and all(l.rstrip("\r").strip() == l.rstrip("\r") or not l for l in report.split("\n")))
print(("ok" if ok else "FAIL") + " cli/signal/ctrl-c-on-terminal" + ("" if ok else ": status %d, output tail %r" % (code, text[-300:])))
PY
else
    ok "signal/int (skipped: no python3)"
fi

# ---- --fields: final fields on their domains as CSV ----
# A 1-D field with an exact solution on a declared mesh: the grid is the mesh, the
# exact column is sin(pi x), and the field column is what --eval computes from the
# checkpoint of the same run at the same points.
cat > "$tmp/f1.hyco" <<'EOF'
seed 4
domain line = interval(x: 0 .. 1, mesh 0.1)
net n = mlp(1 -> 1, width 8, depth 2, tanh) optimizer adam(lr 1e-2)
field u(x) = n(x) * x * (1 - x)
loss pde = mse(dxx(u) + pi^2 * sin(pi*x)) over line
train 50 epochs { step pde }
expect rel_l2(u, sin(pi*x)) over line < 10
EOF
status fields/run 0 "$H" "$tmp/f1.hyco" --quiet --save "$tmp/f1.ck" --fields "$tmp/F1"
if [ "$(head -1 "$tmp/F1/line.csv" 2>/dev/null)" = "x,u,u_exact" ]; then ok fields/header
else fail fields/header "$(head -1 "$tmp/F1/line.csv" 2>&1)"; fi
rows=$(awk 'END { print NR - 1 }' "$tmp/F1/line.csv" 2>/dev/null)
[ "$rows" = 11 ] && ok fields/mesh-rows || fail fields/mesh-rows "$rows rows, want 11 (mesh 0.1 on [0, 1])"
if awk -F, 'BEGIN { pi = atan2(0, -1) } NR > 1 { x = (NR - 2) / 10; e = sin(pi * $1) - $3;
        if ($1 - x > 1e-15 || x - $1 > 1e-15 || e > 1e-15 || -e > 1e-15) bad = 1 } END { exit bad }' "$tmp/F1/line.csv"
then ok fields/exact-column; else fail fields/exact-column "x or sin(pi x) wrong: $(sed -n 2,4p "$tmp/F1/line.csv")"; fi
"$H" "$tmp/f1.hyco" --eval u --weights "$tmp/f1.ck" --at "$tmp/F1/line.csv" -o "$tmp/f1.eval.csv" 2> "$tmp/err"
if paste -d, "$tmp/F1/line.csv" "$tmp/f1.eval.csv" | awk -F, 'NR > 1 { d = $2 - $5; s = $2 < 0 ? -$2 : $2;
        if (d > 1e-14 * (1 + s) || -d > 1e-14 * (1 + s)) bad = 1; n++ } END { exit bad || n != 11 }'
then ok fields/equals-eval; else fail fields/equals-eval "$(paste -d, "$tmp/F1/line.csv" "$tmp/f1.eval.csv" | sed -n 2,4p) $(cat "$tmp/err")"; fi
# the field is not trivially zero (the column carries the trained values)
awk -F, 'NR > 1 && ($2 > 1e-6 || $2 < -1e-6) { nz = 1 } END { exit !nz }' "$tmp/F1/line.csv" \
    && ok fields/nonzero || fail fields/nonzero "u is 0 everywhere"

# A disk without a mesh: the default grid over its box, only the points in the disk;
# their number is the disk's share of the 121 x 121 grid.
cat > "$tmp/f2.hyco" <<'EOF'
domain ball = disk(x, y, center(0.5, 0.5), radius 0.5)
points p = random(64) in ball
net n = mlp(2 -> 1, width 8, depth 1, tanh) optimizer adam(lr 1e-2)
field w(x, y) = n(x, y) + x
loss fit = mse(w - y) over p
train 20 epochs { step fit }
EOF
status fields/disk-run 0 "$H" "$tmp/f2.hyco" --quiet --fields "$tmp/F2"
if awk -F, 'NR == 1 { ok = ($0 == "x,y,w") } NR > 1 { r = ($1 - 0.5)^2 + ($2 - 0.5)^2; if (r > 0.25 + 1e-12) bad = 1; n++ }
        END { want = 3.14159265 / 4 * 121 * 121; exit !ok || bad || n < 0.98 * want || n > 1.02 * want }' "$tmp/F2/ball.csv"
then ok fields/disk-mask; else fail fields/disk-mask "$(head -1 "$tmp/F2/ball.csv"), $(wc -l < "$tmp/F2/ball.csv") lines"; fi

# Outputs never replace inputs: a data file in the --fields directory named like the CSV.
mkdir -p "$tmp/F3"
printf 'x,v\n0.1,1\n0.5,2\n0.9,3\n' > "$tmp/F3/line.csv"
cp "$tmp/F3/line.csv" "$tmp/F3.keep"
cat > "$tmp/F3/f3.hyco" <<'EOF'
domain line = interval(x: 0 .. 1, mesh 0.5)
data obs = load("line.csv", columns x v)
net n = mlp(1 -> 1, width 4, depth 1) optimizer adam(lr 1e-2)
field u(x) = n(x)
loss fit = mse(u - obs.v) over obs
train 5 epochs { step fit }
EOF
status fields/refuses-input 1 "$H" "$tmp/F3/f3.hyco" --quiet --fields "$tmp/F3"
grep -q "input file" "$tmp/err" && cmp -s "$tmp/F3/line.csv" "$tmp/F3.keep" && ok fields/input-kept \
    || fail fields/input-kept "$(cat "$tmp/err")"
: > "$tmp/afile"
status fields/dir-is-file 1 "$H" "$T" --quiet --fields "$tmp/afile"
grep -q "not a directory" "$tmp/err" && ! grep -q "^summary:" "$tmp/out" && ok fields/fails-early \
    || fail fields/fails-early "$(cat "$tmp/err" "$tmp/out")"
