#!/bin/sh
# t_npz_numpy.sh -- NumPy interoperability of runtime/dataio.c, both ways:
# numpy.load reads our .npz/.npy exactly (bitwise, via repr of float64) and
# our CSV through Python's float(); we read what NumPy writes (np.save of
# float64/float32/int/bool, big-endian, Fortran order, np.savez,
# np.savez_compressed) exactly.  Uses $BUILD/test_data's helper modes
# (--write, --dump, --dump-arrays).  Skips cleanly when no Python with NumPy.
B=${BUILD:-build}/test_data
PY=""
for p in python3 /usr/bin/python3 python; do
    if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import numpy' >/dev/null 2>&1; then PY=$p; break; fi
done
if [ -z "$PY" ]; then echo "ok npz/numpy (skipped: no numpy)"; exit 0; fi
if [ ! -x "$B" ]; then echo "FAIL npz/numpy: $B not built"; exit 0; fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 1. Ours -> NumPy.
if "$B" --write "$tmp" > "$tmp/w.out" 2>&1; then
    "$PY" - "$tmp" <<'EOF' > "$tmp/py.out" 2>&1
import sys, csv, numpy as np
d = sys.argv[1]
W = np.array([i / 7.0 - 1 for i in range(12)]).reshape(3, 4)
b = np.array([1e-300 * (i + 1) for i in range(5)])
c = np.array([i * 0.1 for i in range(8)]).reshape(2, 2, 2)
def same(x, y):
    return x.dtype == np.float64 and x.shape == y.shape and x.tobytes() == y.astype(np.float64).tobytes()
z = np.load(d + "/ours.npz")
ok = z.files == ["W", "b", "c", "s", "e"]
ok = ok and same(z["W"], W) and same(z["b"], b) and same(z["c"], c)
ok = ok and z["s"].shape == () and np.signbit(z["s"]) and z["e"].shape == (0, 3)
print("ok npz/numpy_loads_our_npz" if ok else "FAIL npz/numpy_loads_our_npz: %r" % (z.files,))
a = np.load(d + "/ours.npy")
print("ok npz/numpy_loads_our_npy" if same(a, W) and a.flags["C_CONTIGUOUS"] else "FAIL npz/numpy_loads_our_npy")
rows = list(csv.reader(open(d + "/ours.csv")))
ok = rows[0] == ["b", "b2"] and [float(r[0]) for r in rows[1:]] == list(b)
print("ok npz/python_reads_our_csv" if ok else "FAIL npz/python_reads_our_csv: %r" % rows[:2])
EOF
    cat "$tmp/py.out"
else
    echo "FAIL npz/ours_write: $(cat "$tmp/w.out")"
fi

# 2. NumPy -> ours.  Python writes the files and the expected dumps.
"$PY" - "$tmp" <<'EOF' > "$tmp/gen.out" 2>&1 || { echo "FAIL npz/numpy_write: $(cat "$tmp/gen.out")"; exit 0; }
import sys, numpy as np
d = sys.argv[1]
rng = np.random.default_rng(7)
x = rng.standard_normal(6)
M = rng.standard_normal((4, 3))
def table_dump(names, cols):
    out = [",".join(names)]
    for r in range(len(cols[0])):
        out.append(",".join(repr(float(c[r])) for c in cols))
    return "\n".join(out) + "\n"
def put(name, text):
    open(d + "/" + name, "w").write(text)
np.save(d + "/f8.npy", x)
put("f8.want", table_dump(["c0"], [x]))
np.save(d + "/f4.npy", M.astype(np.float32))
put("f4.want", table_dump(["c0", "c1", "c2"], [M.astype(np.float32)[:, j].astype(np.float64) for j in range(3)]))
np.save(d + "/fort.npy", np.asfortranarray(M))
put("fort.want", table_dump(["c0", "c1", "c2"], [M[:, j] for j in range(3)]))
np.save(d + "/be.npy", M.astype(">f8"))
put("be.want", table_dump(["c0", "c1", "c2"], [M[:, j] for j in range(3)]))
np.save(d + "/i8.npy", np.array([-5, 0, 2**40], dtype=np.int64))
put("i8.want", table_dump(["c0"], [[-5.0, 0.0, float(2**40)]]))
np.save(d + "/bool.npy", np.array([True, False]))
put("bool.want", table_dump(["c0"], [[1.0, 0.0]]))
np.savez(d + "/plain.npz", x=x[:4], M=M)
put("plain.want", table_dump(["x", "M_0", "M_1", "M_2"], [x[:4]] + [M[:, j] for j in range(3)]))
np.savez_compressed(d + "/comp.npz", t=x[:4], u=np.asfortranarray(M[:, :1]).astype(np.float32))
put("comp.want", table_dump(["t", "u"], [x[:4], M[:, 0].astype(np.float32).astype(np.float64)]))
big = rng.standard_normal((50, 40))
np.savez_compressed(d + "/big.npz", A=big, B=big.T.copy(), C=np.arange(24).reshape(2, 3, 4))
EOF
# Our dumps print %.17g; compare as floats, bitwise.
cmp_dump() {  # NAME FILE WANT
    "$B" --dump "$2" > "$tmp/got" 2>&1
    if "$PY" - "$tmp/got" "$3" <<'EOF'
import sys
g = open(sys.argv[1]).read().split("\n")
w = open(sys.argv[2]).read().split("\n")
ok = len(g) == len(w) and g[0] == w[0] and all(
    [float(a) for a in x.split(",")] == [float(b) for b in y.split(",")]
    for x, y in zip(g[1:], w[1:]) if x or y)
sys.exit(0 if ok else 1)
EOF
    then echo "ok npz/ours_reads_$1"
    else echo "FAIL npz/ours_reads_$1: got $(head -3 "$tmp/got")"; fi
}
for n in f8 f4 fort be i8 bool plain comp; do
    ext=npy; case $n in plain|comp) ext=npz;; esac
    cmp_dump "$n" "$tmp/$n.$ext" "$tmp/$n.want"
done
# Arrays of any rank from a compressed archive, bitwise.
"$B" --dump-arrays "$tmp/big.npz" > "$tmp/arr" 2>&1
if "$PY" - "$tmp/big.npz" "$tmp/arr" <<'EOF'
import sys, numpy as np
z = np.load(sys.argv[1])
lines = open(sys.argv[2]).read().split("\n")
i, ok = 0, True
for name in z.files:
    a = z[name]
    head = lines[i].split(); i += 1
    ok = ok and head[0] == name and int(head[1]) == a.ndim and [int(s) for s in head[2:]] == list(a.shape)
    vals = [float(s) for s in lines[i:i + a.size]]; i += a.size
    ok = ok and vals == [float(v) for v in a.ravel(order="C")]
sys.exit(0 if ok else 1)
EOF
then echo "ok npz/ours_reads_arrays_any_rank"
else echo "FAIL npz/ours_reads_arrays_any_rank: $(head -3 "$tmp/arr")"; fi
