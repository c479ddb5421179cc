#!/bin/sh
# t_cc.sh -- the --cc gcc back end (shared object, dlopen) trains to the same
# numbers as the default TCC one: loss logs are compared bitwise (gcc gets
# -ffp-contract=off, so neither back end fuses multiply-adds).  Also: gcc
# missing, gcc failing, no temporary files left, bad --cc.
H=${BUILD:-build}/hycoc
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! command -v gcc > /dev/null 2>&1; then
    echo "ok cc/gcc # SKIP gcc not installed"
    exit 0
fi
mkdir "$tmp/t"
# Under a sanitizer build, leaks are t_e2e.sh's business; here they would only
# garble the reports compared below.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
for ex in examples/*.hyco specs/*.hyco; do
    n=$(basename "$ex" .hyco)
    grep -q '^train' "$ex" || continue   # nothing trains: no loss log to compare
    "$H" "$ex" --quiet --cc tcc --log "$tmp/$n.tcc.tsv" > "$tmp/$n.tcc.out" 2>&1
    rc_t=$?
    TMPDIR=$tmp/t "$H" "$ex" --quiet --cc gcc --log "$tmp/$n.gcc.tsv" > "$tmp/$n.gcc.out" 2>&1
    rc_g=$?
    if [ "$rc_t" = "$rc_g" ] && [ -s "$tmp/$n.tcc.tsv" ] && cmp -s "$tmp/$n.tcc.tsv" "$tmp/$n.gcc.tsv"; then
        echo "ok cc/$n/bitwise"
    else
        echo "FAIL cc/$n/bitwise: status $rc_g (tcc $rc_t), or the loss logs differ; gcc run said:"
        sed 's/^/    /' "$tmp/$n.gcc.out" | head -10
    fi
    grep -v '^summary' "$tmp/$n.tcc.out" > "$tmp/a"; grep -v '^summary' "$tmp/$n.gcc.out" > "$tmp/b"
    if [ -s "$tmp/a" ] && cmp -s "$tmp/a" "$tmp/b"; then echo "ok cc/$n/report"
    else echo "FAIL cc/$n/report: reports differ"; diff "$tmp/a" "$tmp/b" | head; fi
done
# The private build directory is removed once the object is loaded.
if [ -z "$(ls -A "$tmp/t")" ]; then echo "ok cc/no-temporaries"
else echo "FAIL cc/no-temporaries: left in TMPDIR: $(ls -A "$tmp/t")"; fi

ex=examples/hyco_poisson_1d.hyco
# expect CODE NAME PATTERN CMD...: exit status CODE, output matching PATTERN.
expect() {
    code=$1; name=$2; pat=$3; shift 3
    "$@" > "$tmp/o" 2>&1; rc=$?
    if [ $rc -eq "$code" ] && grep -qE -e "$pat" "$tmp/o"; then echo "ok cc/$name"
    else echo "FAIL cc/$name: status $rc (want $code), output:"; sed 's/^/    /' "$tmp/o" | head -5; fi
}
# 2 threads: same numbers too.
"$H" "$ex" --quiet --threads 2 --epochs 300 --log "$tmp/t2.tsv" > /dev/null 2>&1
"$H" "$ex" --quiet --threads 2 --epochs 300 --cc gcc --log "$tmp/g2.tsv" > /dev/null 2>&1
if [ -s "$tmp/t2.tsv" ] && cmp -s "$tmp/t2.tsv" "$tmp/g2.tsv"; then echo "ok cc/threads2"
else echo "FAIL cc/threads2: loss logs differ with --threads 2"; fi

expect 1 bad-cc '--cc needs tcc or gcc' "$H" "$ex" --cc clang
expect 1 no-cc '--cc needs tcc or gcc' "$H" "$ex" --cc
# gcc not on PATH: a user error that points to --cc tcc.
mkdir "$tmp/empty"
expect 1 gcc-missing "'gcc' was not found on PATH.*--cc tcc" env PATH="$tmp/empty" "$H" "$ex" --quiet --cc gcc
# gcc that fails: an internal error, its messages shown, the C kept.
mkdir "$tmp/fake"
printf '#!/bin/sh\necho "fake gcc: something is wrong" >&2\nexit 1\n' > "$tmp/fake/gcc"
chmod +x "$tmp/fake/gcc"
expect 2 gcc-fails 'internal error: gcc rejected the generated C.*' \
    env PATH="$tmp/fake:$PATH" TMPDIR="$tmp/t" "$H" "$ex" --quiet --cc gcc --keep-c "$tmp/kept.c"
grep -q 'fake gcc: something is wrong' "$tmp/o" && echo "ok cc/gcc-fails-log" \
    || echo "FAIL cc/gcc-fails-log: gcc's message not shown"
if grep -q 'hyk_setup' "$tmp/kept.c" 2> /dev/null && grep -q "kept in $tmp/kept.c" "$tmp/o"; then
    echo "ok cc/gcc-fails-keeps-c"
else echo "FAIL cc/gcc-fails-keeps-c: generated C not kept in $tmp/kept.c"; fi
if [ -z "$(ls -A "$tmp/t")" ]; then echo "ok cc/gcc-fails-cleans-up"
else echo "FAIL cc/gcc-fails-cleans-up: left in TMPDIR: $(ls -A "$tmp/t")"; fi
# An unusable TMPDIR is a clear user error.
expect 1 bad-tmpdir 'cannot create a temporary directory' env TMPDIR="$tmp/no/such" "$H" "$ex" --quiet --cc gcc
