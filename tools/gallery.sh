#!/bin/sh
# gallery.sh -- regenerates the figures of the examples gallery (examples/README.md)
# into docs/img/: each example runs in full (its own seed and epochs, 1 thread) with
# --plot, and the figures named below are copied as docs/img/EXAMPLE_FIGURE.png.
#   sh tools/gallery.sh [EXAMPLE...]      (default: every example listed below)
#   HYCOC=path/to/hycoc                   (default: ./hycoc, else build/hycoc)
# The run's report goes to docs/img/EXAMPLE.txt (the expect lines and summary), so
# the figures and the numbers in the gallery come from the same run.
set -u
cd "$(dirname "$0")/.." || exit 1
H=${HYCOC:-./hycoc}
[ -x "$H" ] || H=build/hycoc
[ -x "$H" ] || { echo "gallery.sh: no hycoc (build it: make)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# example  figures (names of --plot outputs, without .png)
list='hyco_poisson_1d u_phy losses
hybrid_burgers_small params
helmholtz_2d u u_error
wave_1d u
allen_cahn_front u u_error
kovasznay u
poisson_lshape n_error
laplace_plate_hole n
neumann_disk n
inverse_robin n_error'

want=${*:-}
status=0
echo "$list" | while read -r ex figs; do
    if [ -n "$want" ]; then
        case " $want " in *" $ex "*) ;; *) continue ;; esac
    fi
    printf '%s: ' "$ex"
    if ! "$H" "examples/$ex.hyco" --quiet --threads 1 --plot "$tmp/$ex" > "$tmp/$ex.txt" 2>&1; then
        echo "hycoc failed or an expect failed:"; tail -5 "$tmp/$ex.txt"; status=1
    fi
    for f in $figs; do
        if [ -f "$tmp/$ex/$f.png" ]; then
            cp "$tmp/$ex/$f.png" "docs/img/${ex}_$f.png" && printf '%s ' "docs/img/${ex}_$f.png"
        else
            printf '(no %s.png) ' "$f"; status=1
        fi
    done
    grep -E '^(expect|report|summary)' "$tmp/$ex.txt" > "docs/img/$ex.txt"
    echo
done
exit $status
