#!/bin/sh
# t_errors.sh -- every tests/errors/NAME.hyco must fail `hycoc --check` with
# exit status 1 and the diagnostics its header announces.  Each line
#   # expect: LINE:COL: error: MESSAGE-SUBSTRING
# among the leading comment lines of the file is one diagnostic that must
# appear on stderr as "NAME.hyco:LINE:COL: error: ..." with MESSAGE-SUBSTRING
# somewhere after the "error: ".  Prints "ok errors/NAME" or
# "FAIL errors/NAME: why" per file (protocol of tests/run.sh).
BUILD=${BUILD:-build}
HYCOC=${HYCOC:-}
if [ -z "$HYCOC" ]; then
    if [ -x "$BUILD/hycoc" ]; then HYCOC=$BUILD/hycoc; else HYCOC=./hycoc; fi
fi
if [ ! -x "$HYCOC" ]; then
    echo "FAIL errors: no hycoc binary ($HYCOC)"
    exit 1
fi
err=$(mktemp)
trap 'rm -f "$err"' EXIT
status=0
for f in tests/errors/*.hyco; do
    [ -f "$f" ] || continue
    name=$(basename "$f" .hyco)
    "$HYCOC" --check "$f" >/dev/null 2>"$err"
    rc=$?
    why=
    if [ $rc -ne 1 ]; then
        why="exit status $rc (want 1)"
    fi
    nexp=0
    # Expectations: "# expect:" lines among the first 20 lines.
    exps=$(head -n 20 "$f" | sed -n 's/^# expect: //p')
    if [ -z "$exps" ]; then
        why="${why:+$why; }no '# expect:' line"
    fi
    while IFS= read -r e; do
        [ -n "$e" ] || continue
        nexp=$((nexp + 1))
        loc=${e%%: error: *}
        msg=${e#*: error: }
        # ENVIRON, not -v: awk -v would interpret backslashes in the message.
        if ! PRE="$name.hyco:$loc: error: " MSG="$msg" awk '
                BEGIN { pre = ENVIRON["PRE"]; msg = ENVIRON["MSG"] }
                { i = index($0, pre); if (i > 0 && index(substr($0, i + length(pre)), msg) > 0) found = 1 }
                END { exit found ? 0 : 1 }' "$err"; then
            why="${why:+$why; }missing '$name.hyco:$loc: error: ...$msg'"
        fi
    done <<EXPECT
$exps
EXPECT
    if [ -n "$why" ]; then
        echo "FAIL errors/$name: $why"
        sed -n '1,6s/^/    | /p' "$err"
        status=1
    else
        echo "ok errors/$name"
    fi
done
exit $status
