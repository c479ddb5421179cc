#!/bin/sh
# t_golden.sh -- golden tests of the stage dumps: for every example and test
# spec, `--dump ir` and `--dump c` must match tests/golden/NAME.{ir,c}.
# UPDATE=1 sh tests/t_golden.sh regenerates the golden files (review the diff!).
H=${BUILD:-build}/hycoc
mkdir -p tests/golden
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
for f in examples/*.hyco specs/*.hyco; do
    [ -f "$f" ] || continue
    base=$(basename "$f" .hyco)
    for w in ir grad c; do
        g=tests/golden/$base.$w
        if ! $H "$f" --dump $w > "$tmp" 2>&1; then
            echo "FAIL golden/$base.$w: hycoc --dump $w failed"; sed 's/^/    /' "$tmp" | head -5; continue
        fi
        if [ "${UPDATE:-0}" = 1 ]; then cp "$tmp" "$g"; echo "ok golden/$base.$w (updated)"; continue; fi
        if [ ! -f "$g" ]; then echo "FAIL golden/$base.$w: no golden file (run UPDATE=1 sh tests/t_golden.sh)"; continue; fi
        if cmp -s "$tmp" "$g"; then echo "ok golden/$base.$w"
        else echo "FAIL golden/$base.$w: output differs:"; diff "$g" "$tmp" | head -20 | sed 's/^/    /'; fi
    done
done
