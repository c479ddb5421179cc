#!/bin/sh
# t_docs.sh -- every ```hyco block of docs/language.md and README.md passes
# `hycoc --check` (the reference promises that its examples are complete files);
# every local link and image of the Markdown docs exists; the examples gallery
# shows every figure tools/gallery.sh makes; the README tour shows the expect
# lines a run of its example prints.
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

# every local link and image of the Markdown docs names a file that exists
for doc in README.md examples/README.md docs/*.md; do
    [ -f "$doc" ] || continue
    dir=$(dirname "$doc")
    missing=
    for target in $(grep -oE '\]\([^)#[:space:]]+' "$doc" | sed 's/^](//'; grep -oE '<img src="[^"]+' "$doc" | sed 's/^<img src="//'); do
        case $target in http:*|https:*|mailto:*) continue ;; esac
        [ -e "$dir/$target" ] || missing="$missing $target"
    done
    if [ -z "$missing" ]; then echo "ok docs/links/$doc"; else echo "FAIL docs/links/$doc: missing:$missing"; fi
done

# the gallery shows every figure tools/gallery.sh makes, and each is a real PNG
missing=
for fig in $(sed -n "/^list='/,/'$/p" tools/gallery.sh | tr -d "'" | sed 's/^list=//' |
             awk '{ for (i = 2; i <= NF; i++) print $1 "_" $i ".png" }'); do
    grep -q "docs/img/$fig" examples/README.md || missing="$missing $fig(not shown)"
    magic=$(od -An -tx1 -N8 "docs/img/$fig" 2>/dev/null | tr -d ' \n')
    [ "$magic" = 89504e470d0a1a0a ] || missing="$missing $fig(no PNG)"
done
if [ -z "$missing" ]; then echo "ok docs/gallery-figures"; else echo "FAIL docs/gallery-figures:$missing"; fi

# the 30-second tour shows the real output: its expect lines are those of a run
want=$(sed -n '/^## 30-second tour/,/^## /p' README.md | grep -E '^expect .* : ')
got=$("$H" examples/hyco_poisson_1d.hyco --quiet 2>&1 | grep -E '^expect .* : ')
if [ -n "$want" ] && [ "$want" = "$got" ]; then echo "ok docs/tour-output"
else echo "FAIL docs/tour-output: README shows '$want', a run prints '$got'"; fi
