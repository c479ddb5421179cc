#!/bin/sh
# run.sh -- runs every test and prints the closing line "N passed, N failed".
# Each test program/script prints "ok NAME" or "FAIL NAME: why" lines; this
# script counts them.  A test program that crashes or exits non-zero without
# printing FAIL counts as one failure of its own.
# HY_SHELL_TESTS="t_a t_b" restricts the shell tests to those (make asan-ci).
BUILD=${BUILD:-build}
export BUILD
log=$(mktemp)
trap 'rm -f "$log"' EXIT
run() {  # run NAME CMD...
    name=$1; shift
    out=$("$@" 2>&1); rc=$?
    printf '%s\n' "$out" | grep -E '^(ok|FAIL) ' >> "$log"
    printf '%s\n' "$out" | grep -E '^(FAIL) ' 
    if [ $rc -ne 0 ] && ! printf '%s\n' "$out" | grep -q '^FAIL '; then
        echo "FAIL $name: exited with status $rc" | tee -a "$log"
        printf '%s\n' "$out" | tail -20
    fi
}
for t in "$BUILD"/test_*; do
    [ -x "$t" ] || continue
    run "$(basename "$t")" "$t"
done
for s in tests/t_*.sh; do
    [ -f "$s" ] || continue
    if [ -n "${HY_SHELL_TESTS:-}" ]; then
        case " $HY_SHELL_TESTS " in *" $(basename "$s" .sh) "*) ;; *) continue ;; esac
    fi
    run "$(basename "$s")" sh "$s"
done
p=$(grep -c '^ok ' "$log")
f=$(grep -c '^FAIL ' "$log")
echo "$p passed, $f failed"
[ "$f" -eq 0 ]
