#!/bin/sh
# t_rollout.sh -- the rollout-network example (examples/hybrid_burgers_rollout_small.hyco) from
# the command line:
#   baseline     the same file with -D alpha=1 (physics-only: no interaction terms) runs and its
#                simulator recovers nu within 5 %; with -D alpha=0.5 it is the hybrid, bitwise
#   determinism  two runs with the same seed write the same loss log, byte for byte; so does a
#                run with --threads 2 (the network's products are bitwise for any thread count)
#   resume       --until 8 --save, then --resume, gives the loss log of the whole run (bitwise:
#                the rollout network's weights and Adam state are ordinary trainables)
#   standalone   --emit-c built with cc against libhyrt gives the same loss log, bitwise
H=${BUILD:-build}/hycoc
CC=${CC:-cc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Leaks are t_e2e.sh's business; a sanitizer build's libhyrt needs the same flags in a program.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
SAN=
nm "${BUILD:-build}/libhyrt.a" 2> /dev/null | grep -q '__asan_\|__ubsan_' && SAN="-fsanitize=address,undefined"
S=examples/hybrid_burgers_rollout_small.hyco
L="--quiet --log-every 1"
check() {   # NAME CONDITION WHY
    if eval "$2"; then echo "ok rollout/$1"; else echo "FAIL rollout/$1: $3"; fi
}
$H $S $L -D alpha=1 > "$tmp/p.out" 2>&1
nu=$(sed -n 's/^report nu *: *//p' "$tmp/p.out")
check physics-only 'grep -q "^summary: 15 epochs" "$tmp/p.out" && awk -v n="$nu" "BEGIN { e = (n - 0.02) / 0.02; exit !(e < 0.05 && e > -0.05) }"' \
    "nu = '$nu': $(tail -2 "$tmp/p.out")"
$H $S $L --log "$tmp/a.tsv" > "$tmp/a.out" 2>&1
$H $S $L --log "$tmp/b.tsv" -D alpha=0.5 > /dev/null 2>&1
check determinism '[ -s "$tmp/a.tsv" ] && cmp -s "$tmp/a.tsv" "$tmp/b.tsv"' "two runs wrote different logs"
$H $S $L --threads 2 --log "$tmp/t.tsv" > /dev/null 2>&1
check threads-bitwise 'cmp -s "$tmp/a.tsv" "$tmp/t.tsv"' "--threads 2 wrote a different log"
$H $S $L --until 8 --log "$tmp/c.tsv" --save "$tmp/ck" > /dev/null 2>&1
$H $S $L --resume "$tmp/ck" --log "$tmp/d.tsv" > "$tmp/d.out" 2>&1
{ cat "$tmp/c.tsv"; tail -n +2 "$tmp/d.tsv"; } > "$tmp/cd.tsv"
check resume-bitwise 'grep -q "^summary: 15 epochs" "$tmp/d.out" && cmp -s "$tmp/cd.tsv" "$tmp/a.tsv"' \
    "$(diff "$tmp/cd.tsv" "$tmp/a.tsv" | head -4)"
if $H $S --emit-c "$tmp/s.c" > "$tmp/e.out" 2>&1 &&
   $CC $SAN -O2 "$tmp/s.c" $($H --cflags --libs) -o "$tmp/s" > "$tmp/cc.out" 2>&1; then
    "$tmp/s" $L --log "$tmp/s.tsv" > "$tmp/s.out" 2>&1
    check standalone-bitwise 'cmp -s "$tmp/s.tsv" "$tmp/a.tsv"' "$(tail -2 "$tmp/s.out")"
else
    echo "FAIL rollout/standalone-bitwise: could not emit or build:"; cat "$tmp/e.out" "$tmp/cc.out" | grep -v warning | head -5
fi
