#!/bin/sh
# t_standalone.sh -- hycoc --emit-c writes one C file that builds against an
# installed libhyrt and trains to the same numbers as hycoc --run.
#
# Installs into a temporary prefix (make install PREFIX=...), builds every
# example and spec with the flags of the installed hycoc --cflags --libs and
# of pkg-config, and compares loss logs (%.17g rows) with --run:
#   cc -O2                                 bitwise (x86-64 baseline has no FMA)
#   cc -O2 -march=native -ffp-contract=off bitwise
#   cc -O2 -march=native  (FMA contraction on FMA machines)
#                          within 1e-12 relative over the first 100 epochs; over
#                          long runs training can amplify the rounding difference
#                          (measured: 1.6e-4 after 4500 epochs of bench/pinn_poisson1d,
#                          7e-10 after 300 epochs of examples/allen_cahn_front)
#   clang -O2 (if installed)               bitwise
# Also: --threads 2 parity, --seed at emission, the driver's options and
# errors, the driver's declarations against hyrt.h, #line bookkeeping,
# uninstall.
BUILD=${BUILD:-build}
H=$BUILD/hycoc
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
P=$tmp/prefix
CC=${CC_STANDALONE:-cc}

# Max relative difference of two loss logs of the same shape (header skipped);
# "shape" if rows or columns differ.
maxrel() {
    awk 'FNR == 1 { next }
         NR == FNR { n[FNR] = NF; for (i = 2; i <= NF; i++) a[FNR, i] = $i; rows = FNR - 1; next }
         { seen++; if (NF != n[FNR]) bad = 1
           for (i = 2; i <= NF; i++) { x = a[FNR, i] + 0; y = $i + 0; d = x - y; if (d < 0) d = -d
             s = x < 0 ? -x : x; if (s < 1e-300) s = 1e-300; if (d / s > m) m = d / s } }
         END { if (bad || seen != rows || rows == 0) print "shape"; else printf "%.3g\n", m }' "$1" "$2"
}

# -o: install the hycoc and libhyrt.a under test as they are (never rebuilt
# here, where the build's OPT is unknown).
if make -s --no-print-directory -o "$BUILD/hycoc" -o "$BUILD/libhyrt.a" BUILD="$BUILD" install PREFIX="$P" \
        > "$tmp/inst.log" 2>&1 \
   && [ -x "$P/bin/hycoc" ] && [ -f "$P/lib/libhyrt.a" ] && [ -f "$P/include/hyrt.h" ] \
   && [ -f "$P/include/hyrt_api.h" ] && [ -f "$P/lib/pkgconfig/hyrt.pc" ]; then
    echo "ok standalone/install"
else
    echo "FAIL standalone/install: make install PREFIX=$P did not install everything:"
    sed 's/^/    /' "$tmp/inst.log" | head -20
    exit 0
fi
HI=$P/bin/hycoc
# A sanitizer build (make asan) installs an instrumented libhyrt: programs
# linked with it need the same -fsanitize flags, and only gcc's runtime fits.
# Leaks are the business of t_e2e.sh; here they would only garble reports.
SAN=
if nm "$P/lib/libhyrt.a" 2> /dev/null | grep -q '__asan_\|__ubsan_'; then
    SAN="-fsanitize=address,undefined"
    export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
fi

# The installed hycoc points at the installed tree; pkg-config agrees.
flags=$("$HI" --cflags --libs)
case "$flags" in
    "-I$P/include -L$P/lib -lhyrt "*) echo "ok standalone/flags" ;;
    *) echo "FAIL standalone/flags: installed hycoc --cflags --libs printed '$flags'" ;;
esac
if command -v pkg-config > /dev/null 2>&1; then
    pc=$(PKG_CONFIG_PATH=$P/lib/pkgconfig pkg-config --cflags --libs hyrt 2>&1)
    case "$pc" in
        *"-I$P/include"*"-L$P/lib"*"-lhyrt"*) echo "ok standalone/pkg-config" ;;
        *) echo "FAIL standalone/pkg-config: printed '$pc'" ;;
    esac
else
    pc=$flags
    echo "ok standalone/pkg-config # SKIP pkg-config not installed"
fi
# The build-tree hycoc finds its own libhyrt.a and runtime/hyrt.h.
bflags=$($H --cflags --libs 2>&1)
bdir=$(cd "$BUILD" && pwd -P)
case "$bflags" in
    *"-L$bdir -lhyrt"*) echo "ok standalone/flags-build-tree" ;;
    *) echo "FAIL standalone/flags-build-tree: $H --cflags --libs printed '$bflags'" ;;
esac

# build NAME CC ARGS...: runs CC ARGS... -o $tmp/NAME; 0, or a FAIL line.
build() {
    name=$1; shift
    if "$@" -o "$tmp/$name" > "$tmp/$name.cc.log" 2>&1; then return 0; fi
    echo "FAIL standalone/$name: build failed: $*"; sed 's/^/    /' "$tmp/$name.cc.log" | head -8
    return 1
}
# same TAG RUNLOG LOG: bitwise equality of two loss logs.
same() {
    if [ -s "$2" ] && cmp -s "$2" "$3"; then echo "ok standalone/$1"
    else echo "FAIL standalone/$1: loss log differs from --run (max rel $(maxrel "$2" "$3"))"; fi
}

for ex in examples/*.hyco specs/*.hyco; do
    n=$(basename "$ex" .hyco)
    grep -q '^train' "$ex" || continue   # nothing trains: no loss log to compare
    c=$tmp/$n.c
    if ! "$HI" "$ex" --emit-c "$c" > "$tmp/emit.log" 2>&1; then
        echo "FAIL standalone/$n/emit: exit status $?"; sed 's/^/    /' "$tmp/emit.log"; continue
    fi
    "$HI" "$ex" --quiet --log "$tmp/$n.run.tsv" > "$tmp/$n.run.out" 2>&1
    rc_run=$?
    # default flags, via hycoc --cflags --libs: bitwise, same report, same status
    if build "$n.O2" $CC $SAN -O2 "$c" $flags; then
        "$tmp/$n.O2" --quiet --log "$tmp/$n.O2.tsv" > "$tmp/$n.O2.out" 2>&1
        rc=$?
        same "$n/O2" "$tmp/$n.run.tsv" "$tmp/$n.O2.tsv"
        grep -v '^summary' "$tmp/$n.run.out" > "$tmp/a"; grep -v '^summary' "$tmp/$n.O2.out" > "$tmp/b"
        if [ "$rc" = "$rc_run" ] && [ -s "$tmp/a" ] && cmp -s "$tmp/a" "$tmp/b"; then echo "ok standalone/$n/report"
        else echo "FAIL standalone/$n/report: status $rc vs $rc_run, or the report differs:"; diff "$tmp/a" "$tmp/b" | head; fi
    fi
    # pkg-config flags, -march=native without contraction: bitwise
    if build "$n.natoff" $CC $SAN -O2 -march=native -ffp-contract=off "$c" $pc; then
        "$tmp/$n.natoff" --quiet --log "$tmp/$n.natoff.tsv" > /dev/null 2>&1
        same "$n/native-no-contract" "$tmp/$n.run.tsv" "$tmp/$n.natoff.tsv"
    fi
    # with FMA contraction: close, over 100 epochs
    if build "$n.nat" $CC $SAN -O2 -march=native "$c" $flags; then
        "$tmp/$n.nat" --quiet --epochs 100 --log "$tmp/$n.nat.tsv" > /dev/null 2>&1
        "$HI" "$ex" --quiet --epochs 100 --log "$tmp/$n.run1k.tsv" > /dev/null 2>&1
        # rows of the first 100 epochs only: a later L-BFGS phase's line search turns
        # last-bit differences into different accepted steps (both runs are valid)
        awk -F'\t' 'NR == 1 || $1 <= 100' "$tmp/$n.run1k.tsv" > "$tmp/$n.a.tsv"
        awk -F'\t' 'NR == 1 || $1 <= 100' "$tmp/$n.nat.tsv" > "$tmp/$n.b.tsv"
        m=$(maxrel "$tmp/$n.a.tsv" "$tmp/$n.b.tsv")
        if [ "$m" != shape ] && awk -v m="$m" 'BEGIN { exit !(m <= 1e-12) }'; then echo "ok standalone/$n/fma # max rel $m"
        else echo "FAIL standalone/$n/fma: max relative difference $m > 1e-12 over 100 epochs"; fi
    fi
    if [ -z "$SAN" ] && command -v clang > /dev/null 2>&1 && build "$n.clang" clang -O2 "$c" $flags; then
        "$tmp/$n.clang" --quiet --log "$tmp/$n.clang.tsv" > /dev/null 2>&1
        same "$n/clang" "$tmp/$n.run.tsv" "$tmp/$n.clang.tsv"
    fi
done

ex=examples/hyco_poisson_1d.hyco
c=$tmp/p.c
"$HI" "$ex" --emit-c "$c"
# The driver's own declarations agree with hyrt.h (a mismatch is a
# conflicting-types error), and the whole file is clean C99.
if build decl $CC $SAN -std=c99 -pedantic -Wall -Wextra -Werror -O2 -include hyrt.h "$c" $flags; then
    echo "ok standalone/decl-vs-hyrt.h"
fi
# #line: the driver's directive names this file and the right line.
awk -v f="$c" '/^#line [0-9]+ "/ { last = NR; n = $2; g = $3 }
    END { exit !(n == last + 1 && g == "\"" f "\"") }' "$c" && echo "ok standalone/line-directive" || echo "FAIL standalone/line-directive: wrong #line before the driver"

# Same thread count => same numbers, with 2 threads too.
if build t2 $CC $SAN -O2 "$c" $flags; then
    "$HI" "$ex" --quiet --threads 2 --epochs 300 --log "$tmp/r2.tsv" > /dev/null 2>&1
    "$tmp/t2" --quiet --threads 2 --epochs 300 --log "$tmp/s2.tsv" > /dev/null 2>&1
    same threads2 "$tmp/r2.tsv" "$tmp/s2.tsv"
fi
# The seed is fixed at emission.
"$HI" "$ex" --seed 7 --emit-c "$tmp/s7.c"
if build s7 $CC $SAN -O2 "$tmp/s7.c" $flags; then
    "$HI" "$ex" --quiet --seed 7 --epochs 300 --log "$tmp/r7.tsv" > /dev/null 2>&1
    "$tmp/s7" --quiet --epochs 300 --log "$tmp/x7.tsv" > /dev/null 2>&1
    same seed7 "$tmp/r7.tsv" "$tmp/x7.tsv"
    "$tmp/t2" --quiet --epochs 300 --log "$tmp/x0.tsv" > /dev/null 2>&1
    cmp -s "$tmp/x7.tsv" "$tmp/x0.tsv" && echo "FAIL standalone/seed7-differs: seed 7 gave seed 0's log" \
        || echo "ok standalone/seed7-differs"
fi

# The driver's options.  expect CODE NAME PATTERN CMD...: exit status CODE and
# output matching PATTERN (grep -E).
expect() {
    code=$1; name=$2; pat=$3; shift 3
    "$@" > "$tmp/o" 2>&1; rc=$?
    if [ $rc -eq "$code" ] && grep -qE -e "$pat" "$tmp/o"; then echo "ok standalone/cli/$name"
    else echo "FAIL standalone/cli/$name: status $rc (want $code), output:"; sed 's/^/    /' "$tmp/o" | head -5; fi
}
if [ -x "$tmp/t2" ]; then
    T=$tmp/t2
    expect 0 help 'usage: .*\[options\]' "$T" --help
    expect 1 seed 'seed is fixed in this file \(seed 0\)' "$T" --seed 3
    expect 1 unknown "unknown argument '--bogus'" "$T" --bogus
    expect 1 epochs-range '--epochs needs an integer' "$T" --epochs 0
    expect 1 epochs-missing '--epochs needs an integer' "$T" --epochs
    expect 1 threads-junk '--threads needs an integer' "$T" --threads 2x
    expect 1 log-missing '--log needs a file name' "$T" --log
    expect 1 log-unwritable "cannot write loss log '$tmp/no/such/dir/l.tsv'" "$T" --epochs 2 --log "$tmp/no/such/dir/l.tsv"
    expect 0 runs 'expects 2 passed, 0 failed' "$T" --quiet --epochs 3000
fi
expect 1 emit-unwritable "cannot write '$tmp/no/such/x.c'" "$H" "$ex" --emit-c "$tmp/no/such/x.c"

if make -s --no-print-directory BUILD="$BUILD" uninstall PREFIX="$P" > "$tmp/un.log" 2>&1 \
   && [ -z "$(find "$P" -type f)" ]; then echo "ok standalone/uninstall"
else echo "FAIL standalone/uninstall: files left:"; find "$P" -type f | sed 's/^/    /'; fi
