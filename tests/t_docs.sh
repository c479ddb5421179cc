#!/bin/sh
# t_docs.sh -- every ```hyco block of docs/language.md and README.md passes
# `hycoc --check` (the reference promises that its examples are complete files).
H=${BUILD:-build}/hycoc
case $H in /*) ;; *) H=$(pwd)/$H ;; esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for doc in docs/language.md README.md; do
    [ -f "$doc" ] || continue
    awk -v dir="$tmp" -v base="$(basename "$doc" .md)" '
        /^```hyco[ \t]*$/ { n++; f = sprintf("%s/%s_%02d.hyco", dir, base, n); inb = 1; next }
        /^```/ && inb { inb = 0; close(f); next }
        inb { print > f }' "$doc"
done
for f in "$tmp"/*.hyco; do
    [ -f "$f" ] || continue
    # blocks that load files name them relative to examples/
    if (cd examples && "$H" --check "$f" > "$tmp/out" 2>&1); then
        echo "ok docs/$(basename "$f" .hyco)"
    else
        echo "FAIL docs/$(basename "$f" .hyco): hycoc --check failed:"; sed 's/^/    /' "$tmp/out" | head -8
    fi
done
