#!/bin/sh
# t_limits.sh -- every documented size limit (docs/reliability.md) ends in a
# located error with exit status 1, never a crash, a hang or an exhausted
# memory; and a spec just under a limit is accepted.  Each case writes a spec
# (most of them generated: very long, very deep, very large), runs
# `hycoc --check` (or --dump c) on it, and looks for the expected
# "FILE:LINE:COL: error: ..." text.  Prints "ok limits/NAME" or
# "FAIL limits/NAME: why" (tests/run.sh).
BUILD=${BUILD:-build}
HYCOC=${HYCOC:-}
if [ -z "$HYCOC" ]; then
    if [ -x "$BUILD/hycoc" ]; then HYCOC=$BUILD/hycoc; else HYCOC=./hycoc; fi
fi
if [ ! -x "$HYCOC" ]; then
    echo "FAIL limits: no hycoc binary ($HYCOC)"
    exit 1
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
status=0

# expect_err NAME SPEC LOC MESSAGE [ACTION]: ACTION (default --check) on SPEC
# exits 1 with "SPEC:LOC: error: ...MESSAGE..." on stderr (LOC may be a
# regular expression such as 3:[0-9]*).
expect_err() {
    "$HYCOC" ${5:---check} "$2" > /dev/null 2> "$T/err"
    rc=$?
    b=$(basename "$2")
    if [ $rc -ne 1 ]; then
        echo "FAIL limits/$1: exit status $rc (want 1): $(head -c 300 "$T/err")"
        status=1
    elif ! grep -q "^.*$b:$3: error: .*$4" "$T/err"; then
        echo "FAIL limits/$1: no '$b:$3: error: ...$4'; got: $(head -c 300 "$T/err")"
        status=1
    else
        echo "ok limits/$1"
    fi
}
# expect_ok NAME SPEC [ACTION]: ACTION (default --check) on SPEC succeeds.
expect_ok() {
    if "$HYCOC" ${3:---check} "$2" > /dev/null 2> "$T/err"; then
        echo "ok limits/$1"
    else
        echo "FAIL limits/$1: rejected: $(head -c 300 "$T/err")"
        status=1
    fi
}
head1() {  # a 1-D problem the cases extend
    cat <<'EOF'
domain line = interval(x: 0 .. 1, mesh 0.1)
net n = mlp(1 -> 1, width 4, depth 1, tanh)
EOF
}
tail1() {  # LOSS-EXPR
    printf 'loss l = mse(%s) over line\ntrain 2 epochs { step l }\n' "$1"
}
rep() {  # rep N TEXT: TEXT N times, no separator
    awk -v n="$1" -v t="$2" 'BEGIN { for (i = 0; i < n; i++) printf "%s", t }'
}

# ---- source ----
# File size: 8 MiB.
{ head1; tail1 n; awk 'BEGIN { for (i = 0; i < 180000; i++) print "# padding padding padding padding padding padding" }'; } > "$T/big.hyco"
expect_err file-size "$T/big.hyco" 1:1 "file too large"
{ head1; tail1 n; awk 'BEGIN { for (i = 0; i < 150000; i++) print "# padding padding padding padding padding" }'; } > "$T/nearbig.hyco"
expect_ok file-size-under "$T/nearbig.hyco"
# Identifiers: 255 bytes.
id255=$(rep 255 a)
{ head1; printf 'const %s = 1\n' "$id255"; tail1 "n - $id255"; } > "$T/id255.hyco"
expect_ok ident-255 "$T/id255.hyco"
{ head1; printf 'const %sa = 1\n' "$id255"; tail1 n; } > "$T/id256.hyco"
expect_err ident-256 "$T/id256.hyco" 3:7 "identifier too long"
# Brackets: 200 deep; expressions: 200 levels.
{ head1; tail1 "$(rep 199 '(')n$(rep 199 ')')"; } > "$T/nest199.hyco"
expect_ok nest-199 "$T/nest199.hyco"
{ head1; tail1 "$(rep 200 '(')n$(rep 200 ')')"; } > "$T/nest200.hyco"
expect_err nest-200 "$T/nest200.hyco" '3:[0-9]*' "nested too deeply"
{ head1; tail1 "n$(rep 250 ' + 1')"; } > "$T/chain.hyco"
expect_err expr-depth "$T/chain.hyco" '3:[0-9]*' "expression nested too deeply"
{ head1; tail1 "$(rep 5000 '-')n"; } > "$T/unary.hyco"
expect_err unary-depth "$T/unary.hyco" '3:[0-9]*' "nested too deeply"
# Syntax errors: 20, then the parse stops.
{ head1; rep 200 'loss = = =
'; } > "$T/errs.hyco"
"$HYCOC" --check "$T/errs.hyco" > /dev/null 2> "$T/err"
n=$(grep -c ': error: ' "$T/err")
if [ "$n" -eq 20 ] && grep -q "too many errors" "$T/err"; then echo "ok limits/syntax-errors"
else echo "FAIL limits/syntax-errors: $n errors reported, want 20 and a note"; status=1; fi

# ---- program size ----
# IR nodes: 1 000 000.  A derivative of order 150 of a tower of powers needs
# more; so do 40 fields that each call the last twice at new arguments.
e='x^x^x^x^x^x^x^x^x'
{ head1; tail1 "n - $(rep 150 'dx(')$e$(rep 150 ')')"; } > "$T/dx150.hyco"
expect_err ir-nodes-derivative "$T/dx150.hyco" '3:[0-9]*' "more than 1000000 IR nodes"
{ head1; echo 'field f0(x) = n(x)'
  i=1; while [ $i -le 40 ]; do echo "field f$i(x) = f$((i - 1))(x) + f$((i - 1))(x + $i)"; i=$((i + 1)); done
  tail1 'f40(x)'; } > "$T/fields.hyco"
expect_err ir-nodes-fields "$T/fields.hyco" '[0-9]*:[0-9]*' "more than 1000000 IR nodes"
# Definitions used many times are inlined once per distinct use: 64 lets,
# each the square of the last, are 64 nodes (2^64 copies without sharing).
{ head1; echo 'let f0 = n'
  i=1; while [ $i -le 64 ]; do echo "let f$i = f$((i - 1)) * f$((i - 1))"; i=$((i + 1)); done
  tail1 'f64'; } > "$T/square.hyco"
expect_ok shared-definitions "$T/square.hyco"
# Definitions nest 64 deep.
{ head1; echo 'let g0 = n'
  i=1; while [ $i -le 70 ]; do echo "let g$i = g$((i - 1)) + 1"; i=$((i + 1)); done
  tail1 'g70'; } > "$T/letdeep.hyco"
expect_err let-depth "$T/letdeep.hyco" '[0-9]*:[0-9]*' "nested too deeply"
# Many statements stay linear: 100 000 consts and 20 000 losses in one step.
{ head1; awk 'BEGIN { for (i = 0; i < 100000; i++) printf "const c%d = %d\n", i, i }'; tail1 'n - c99999'; } > "$T/consts.hyco"
expect_ok many-consts "$T/consts.hyco"
{ head1; awk 'BEGIN { for (i = 0; i < 20000; i++) printf "loss l%d = mse(n - %d) over line\n", i, i
                      printf "train 2 epochs { step l0"; for (i = 1; i < 20000; i++) printf ", l%d", i; print " }" }'; } > "$T/losses.hyco"
expect_ok many-losses "$T/losses.hyco"

# ---- derivative order of a network: 4 ----
{ head1; tail1 'dxx(dxx(n))'; } > "$T/d4.hyco"
expect_ok net-order-4 "$T/d4.hyco"
{ head1; tail1 'dx(dxx(dxx(n)))'; } > "$T/d5.hyco"
expect_err net-order-5 "$T/d5.hyco" '3:[0-9]*' "order above 4"
# jet components of one call (with the lower ones they need): 128.  dxxxx of
# n(x, ..., x) asks for every component to order 4 of n's inputs: 126 with 5
# inputs (trained 2 epochs), 210 with 6.
for k in 5 6; do
    a=x; i=1; while [ $i -lt $k ]; do a="$a, x"; i=$((i + 1)); done
    printf 'domain line = interval(x: 0 .. 1, mesh 0.1)\nnet n = mlp(%d -> 1, width 4, depth 2, tanh)\nfield u(x) = n(%s)\nloss l = mse(dxxxx(u)) over line\ntrain 2 epochs { step l }\n' $k "$a" > "$T/jc$k.hyco"
done
expect_ok net-jet-components-126 "$T/jc5.hyco" --run
expect_err net-jet-components-210 "$T/jc6.hyco" '3:14' "more than 128 derivative components at one call"

# ---- networks ----
net() {  # net ARCH -> a spec with that network
    printf 'domain line = interval(x: 0 .. 1, mesh 0.1)\nnet n = %s\n' "$1"; tail1 n
}
net 'mlp(1 -> 1, width 4096, depth 2, tanh)' > "$T/w4096.hyco"
expect_ok net-width-4096 "$T/w4096.hyco"
net 'mlp(1 -> 1, width 4097, depth 2, tanh)' > "$T/w4097.hyco"
expect_err net-width-4097 "$T/w4097.hyco" '2:[0-9]*' "width must be an integer in 1 .. 4096"
net 'mlp(1 -> 1, width 8, depth 65, tanh)' > "$T/d65.hyco"
expect_err net-depth-65 "$T/d65.hyco" '2:[0-9]*' "depth must be an integer in 1 .. 64"
net 'mlp(65 -> 1, width 8, depth 2, tanh)' > "$T/in65.hyco"
expect_err net-inputs-65 "$T/in65.hyco" '2:[0-9]*' "input dimension must be an integer in 1 .. 64"
net 'mlp(1 -> 1, width 4096, depth 4, tanh)' > "$T/params.hyco"
expect_err net-params "$T/params.hyco" '2:[0-9]*' "too many trainable parameters"
printf 'domain line = interval(x: 0 .. 1, mesh 0.1)\n' > "$T/params2.hyco"
for k in 1 2 3 4; do printf 'net n%d = mlp(1 -> 1, width 2048, depth 4, tanh)\n' $k; done >> "$T/params2.hyco"
tail1 'n1 + n2 + n3 + n4' >> "$T/params2.hyco"
expect_err net-params-total "$T/params2.hyco" '5:[0-9]*' "too many trainable parameters"

# ---- point counts and working memory ----
pts() {  # pts POINTS-DECL [NET] -> a spec using that point set
    printf 'domain line = interval(x: 0 .. 1)\npoints p = %s\nnet n = %s\n' "$1" "${2:-mlp(1 -> 1, width 4, depth 1, tanh)}"
    printf 'loss l = mse(n) over p\ntrain 2 epochs { step l }\n'
}
pts 'random(50000001) in line' > "$T/p1.hyco"
expect_err points-random "$T/p1.hyco" '2:[0-9]*' "must be an integer in 1 .. 50000000"
pts 'linspace(0, 1, 50000001) in line' > "$T/p2.hyco"
expect_err points-linspace "$T/p2.hyco" '2:[0-9]*' "must be an integer in 1 .. 50000000"
printf 'domain sq = rect(x: 0 .. 1, y: 0 .. 1, mesh 1e-4)\nnet n = mlp(2 -> 1, width 4, depth 1, tanh)\nloss l = mse(n) over sq\ntrain 2 epochs { step l }\n' > "$T/p3.hyco"
expect_err points-mesh "$T/p3.hyco" '1:[0-9]*' "too many points"
pts 'random(40000000) in line' 'mlp(1 -> 1, width 64, depth 4, tanh)' > "$T/mem.hyco"
expect_err working-memory "$T/mem.hyco" '2:[0-9]*' "needs more than .* of working memory"
pts 'random(20000) in line' 'mlp(1 -> 1, width 64, depth 4, tanh)' > "$T/memok.hyco"
expect_ok working-memory-under "$T/memok.hyco"

# ---- data files ----
mkdir -p "$T/data"
printf 'x,u\n0.5,1\n' > "$T/data/small.csv"
dspec() { printf 'domain line = interval(x: 0 .. 1, mesh 0.1)\ndata dd = load("%s", columns x u)\nnet n = mlp(1 -> 1, width 4, depth 1, tanh)\nloss l = mse(n - dd.u) over dd\ntrain 2 epochs { step l }\n' "$1"; }
# Larger than 2 GiB (a sparse file: no disk used).
if truncate -s 2200M "$T/data/huge.csv" 2> /dev/null; then
    dspec huge.csv > "$T/data/huge.hyco"
    expect_err data-size "$T/data/huge.hyco" '2:[0-9]*' "too large"
    rm -f "$T/data/huge.csv"
fi
dspec /dev/zero > "$T/data/dev.hyco"
expect_err data-device "$T/data/dev.hyco" '2:[0-9]*' "not a regular file"
mkfifo "$T/data/fifo.csv" 2> /dev/null && { dspec fifo.csv > "$T/data/fifo.hyco"; expect_err data-fifo "$T/data/fifo.hyco" '2:[0-9]*' "not a regular file"; }
dspec . > "$T/data/dir.hyco"
expect_err data-directory "$T/data/dir.hyco" '2:[0-9]*' "directory"
exit $status
