#!/bin/sh
# t_injection.sh -- no spec can place C of its choosing into the generated
# program.  Hostile text goes wherever a spec or its files can put text:
#   - the spec's own file name (#line directives, the header comment);
#   - data file names in load("...") (string literals of hyk_setup);
#   - names of nets, losses, consts, domains, point sets (C keywords, the
#     emitter's own locals and runtime names, 255-byte names);
#   - expect/report texts (comments and string literals);
#   - numbers that overflow (no inf/nan token may reach the C);
#   - the file name given to --emit-c (#line of the standalone driver).
# Every hostile text carries the marker HYPWN.  For each case the generated C
# (--dump c and the standalone --emit-c file) must compile with gcc in strict
# C11 mode (trigraphs on) without warnings about trigraphs, and HYPWN must not
# occur outside string literals and comments; --run (tcc) must train.
# Prints "ok injection/NAME" or "FAIL injection/NAME: why" (tests/run.sh).
BUILD=${BUILD:-build}
HYCOC=${HYCOC:-}
if [ -z "$HYCOC" ]; then
    if [ -x "$BUILD/hycoc" ]; then HYCOC=$BUILD/hycoc; else HYCOC=./hycoc; fi
fi
case $HYCOC in /*) ;; *) HYCOC=$(pwd)/$HYCOC ;; esac
if [ ! -x "$HYCOC" ]; then
    echo "FAIL injection: no hycoc binary ($HYCOC)"
    exit 1
fi
ROOT=$(pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
status=0
ok() { echo "ok injection/$1"; }
fail() { echo "FAIL injection/$1: $2"; status=1; }
nl='
'

# code_of FILE: the C text without comments and string literals.  gcc's
# preprocessor (GNU mode: no trigraphs) drops the comments; sed the strings.
code_of() {
    gcc -fpreprocessed -dD -E -P -x c "$1" 2>/dev/null | sed -e 's/"\([^"\\]\|\\.\)*"//g'
}

# check_c NAME FILE FULL: FILE (the whole program when FULL=1, else kernels
# without the prelude) compiles as strict C11 with trigraphs on, and HYPWN
# appears nowhere but in strings and comments.  Prints nothing on success;
# else the reason.
check_c() {
    f=$2
    if [ "$3" = 0 ]; then
        cat "$ROOT/runtime/hyrt_api.h" "$2" > "$T/full.c"
        f=$T/full.c
    fi
    gcc -std=c11 -Wall -Wtrigraphs -fsyntax-only -x c "$f" > "$T/gcc.log" 2>&1
    rc=$?
    if grep -q 'trigraph' "$T/gcc.log"; then
        echo "trigraph in the generated C: $(grep -m1 trigraph "$T/gcc.log")"
        return
    fi
    if [ $rc -ne 0 ]; then
        echo "gcc -std=c11 rejects it: $(grep -m1 -E 'error' "$T/gcc.log")"
        return
    fi
    if code_of "$f" | grep -q HYPWN; then
        echo "the marker is code: $(code_of "$f" | grep -m1 HYPWN | cut -c1-100)"
        return
    fi
}

# The base spec: a 1-D fit with data read from FILE, an expect with a comment.
spec() {  # spec PATH-IN-SPEC-SYNTAX [NAME-PREFIX]
    pf=${2:-}
    cat <<EOF
seed 1
domain ${pf}line = interval(x: 0 .. 1, mesh 0.25)
data ${pf}obs = load("$1", columns x u)
net ${pf}nn = mlp(1 -> 1, width 4, depth 1, tanh) optimizer adam(lr 1e-2)
loss ${pf}fit = mse(${pf}nn - ${pf}obs.u) over ${pf}obs
train 3 epochs { step ${pf}fit }
expect mean(${pf}nn - ${pf}nn) over ${pf}line < 1   # */ int HYPWN; /* a comment after the text
report mean(${pf}nn) over ${pf}obs
EOF
}
csv() { printf 'x,u\n0.1,1\n0.5,2\n0.9,3\n' > "$1"; }

# run_case NAME SPEC [EMIT-NAME]: --dump c, --emit-c, --run of SPEC.
run_case() {
    name=$1 sp=$2 en=${3:-$T/out.c}
    why=
    if ! "$HYCOC" --dump c "$sp" > "$T/dump.c" 2> "$T/err"; then
        why="--dump c failed: $(head -1 "$T/err")"
    else
        why=$(check_c "$name" "$T/dump.c" 0)
        [ -n "$why" ] && why="--dump c: $why"
    fi
    if [ -z "$why" ]; then
        rm -f "$en"
        if ! "$HYCOC" --emit-c "$en" "$sp" 2> "$T/err"; then
            why="--emit-c failed: $(head -1 "$T/err")"
        else
            why=$(check_c "$name" "$en" 1)
            [ -n "$why" ] && why="--emit-c: $why"
        fi
    fi
    if [ -z "$why" ]; then
        "$HYCOC" --run --quiet "$sp" > "$T/run.out" 2> "$T/err"
        rc=$?
        [ $rc -eq 0 ] || why="--run exit status $rc: $(head -1 "$T/err")"
    fi
    if [ -z "$why" ]; then
        ok "$name"
    else
        fail "$name" "$why"
    fi
}

# ---- 1. the spec's file name ----
i=0
for fn in 'q"uote' 'star*/ int HYPWN; /*' "new${nl}line int HYPWN;" 'back\slash' 'tri??/' 'tri??=??(??)' \
          "hash${nl}#include <stdio.h>${nl}int HYPWN;" 'caf'"$(printf '\303\251')" 'pct%s%n%d' \
          "ctl$(printf '\001\033')x" "$(printf 'L%.0s' $(seq 1 200))"; do
    i=$((i + 1))
    d=$T/fn$i
    p=$d/$fn.hyco
    mkdir -p "$(dirname "$p")" || { fail "spec-name-$i" "cannot create the test file"; continue; }
    csv "$(dirname "$p")/d.csv"
    spec d.csv > "$p"
    run_case "spec-name-$i" "$p"
done

# ---- 2. data file names in load("...") ----
# Each: the name on disk, and the same name in hyco string syntax.
i=0
while IFS='|' read -r disk lit; do
    i=$((i + 1))
    d=$T/ld$i
    mkdir -p "$d"
    disk=$(printf '%b' "$disk")
    mkdir -p "$(dirname "$d/$disk")"
    csv "$d/$disk"
    spec "$lit" > "$d/spec.hyco"
    run_case "load-path-$i" "$d/spec.hyco"
done <<'EOF'
q\0042uote int HYPWN; .csv|q\"uote int HYPWN; .csv
star*\0057 int HYPWN; \0057*.csv|star*/ int HYPWN; /*.csv
back\0134slash.csv|back\\slash.csv
new\nline int HYPWN;.csv|new\nline int HYPWN;.csv
tab\there.csv|tab\there.csv
\0043include <stdio.h>.csv|#include <stdio.h>.csv
caf\0303\0251 HYPWN.csv|café HYPWN.csv
pct%s%n HYPWN.csv|pct%s%n HYPWN.csv
tri??\0057\0042); int HYPWN; double *hyq = (\0042.csv|tri??/\"); int HYPWN; double *hyq = (\".csv
EOF
# The directory of the spec: relative data paths are joined to it.
d=$T/'dir"*/ int HYPWN; /*'
mkdir -p "$d" && csv "$d/d.csv" && spec d.csv > "$d/spec.hyco" && run_case "load-dir" "$d/spec.hyco"

# ---- 3. names ----
# Every declared name is one the generated C or C itself uses.
i=0
for pre in static_ int_ V i c main hy_fail hyk_step0 HY_ACT_TANH _ return_ \
           "$(printf 'N%.0s' $(seq 1 250))"; do
    i=$((i + 1))
    d=$T/nm$i
    mkdir -p "$d"
    csv "$d/d.csv"
    # pre is used as a prefix (line -> staticline) and as the whole name of
    # extra declarations that collide with C words exactly.
    { spec d.csv "$pre"; printf 'const %s = 2\nparam %sp = 0.5\n' "$pre" "$pre"; } > "$d/spec.hyco"
    run_case "names-$i" "$d/spec.hyco"
done
d=$T/kw
mkdir -p "$d"
csv "$d/d.csv"
cat > "$d/spec.hyco" <<'EOF'
domain static = interval(x: 0 .. 1, mesh 0.25)
data double = load("d.csv", columns x u)
net return = mlp(1 -> 1, width 4, depth 1, tanh)
param void = 1 optimizer adam(lr 1e-2)
const int = 3
field main(x) = return(x) * void + int - 3
loss while = mse(main(x) - double.u) over double
train 3 epochs { step while }
expect mean(main(x) - main(x)) over static < 1
EOF
run_case "keywords" "$d/spec.hyco"

# ---- 4. numbers: nothing non-finite reaches the C ----
d=$T/num
mkdir -p "$d"
csv "$d/d.csv"
i=0
for e in '1e308 * 10' '0/0' 'log(0)' '-1e308 * 10' 'exp(1000)' 'sqrt(-1)' '1/1e-320' '(1e308 + 1e308) - 1e308'; do
    i=$((i + 1))
    { spec d.csv; printf 'const bad = %s\n' "$e"; } > "$d/c$i.hyco"
    "$HYCOC" --check "$d/c$i.hyco" > /dev/null 2> "$T/err"
    rc=$?
    if [ $rc -eq 1 ] && grep -q "c$i.hyco:9:[0-9]*: error: the value of a const is not a finite number" "$T/err"; then
        ok "const-nonfinite-$i"
    else
        fail "const-nonfinite-$i" "const bad = $e: exit $rc, $(head -1 "$T/err")"
    fi
done
i=0
for e in 'nn - 1e308 * 10' 'nn * (1/1e-320)' 'nn + log(0)' 'nn + sqrt(-1) * 0 + 1e-320 * 1e-10' 'nn / 1e-320'; do
    i=$((i + 1))
    spec d.csv | sed "s|loss fit = .*|loss fit = mse($e) over obs|" > "$d/l$i.hyco"
    why=
    if ! "$HYCOC" --dump c "$d/l$i.hyco" > "$d/l$i.c" 2> "$T/err"; then
        why="--dump c failed: $(head -1 "$T/err")"
    elif code_of "$d/l$i.c" | grep -qwiE 'inf|nan|infinity'; then
        why="inf/nan as C: $(code_of "$d/l$i.c" | grep -m1 -wiE 'inf|nan|infinity')"
    else
        why=$(check_c x "$d/l$i.c" 0)
    fi
    if [ -z "$why" ]; then
        "$HYCOC" --run --quiet "$d/l$i.hyco" > "$T/run.out" 2> "$T/err"
        rc=$?
        if [ $rc -eq 2 ]; then why="--run: internal error: $(head -1 "$T/err")"
        elif [ $rc -eq 1 ] && ! grep -q "became" "$T/err"; then why="--run exit 1 without a non-finite-loss message"
        fi
    fi
    if [ -z "$why" ]; then ok "loss-nonfinite-$i"; else fail "loss-nonfinite-$i" "mse($e): $why"; fi
done

# ---- 5. the --emit-c file name (#line of the driver) ----
d=$T/emit
mkdir -p "$d"
csv "$d/d.csv"
spec d.csv > "$d/spec.hyco"
i=0
for en in 'tri??=.c' 'tri??/.c' 'q"uote.c' "new${nl}line.c" 'back\slash.c' 'star*.c'; do
    i=$((i + 1))
    mkdir -p "$(dirname "$d/$en")"
    run_case "emit-name-$i" "$d/spec.hyco" "$d/$en"
done
exit $status
