#!/usr/bin/env python3
"""make_fixtures.py -- regenerates the binary fixtures of tests/test_data.c.

Standard library only (struct, zipfile, zlib): the .npy bytes are laid out
here by hand from the NumPy format description, independently of the C
reader under test.  Run from the repository root:
    python3 tests/data/make_fixtures.py
The text fixtures (*.csv, *.txt) are written by hand and kept as they are.
"""
import os
import struct
import zipfile
import zlib

D = os.path.dirname(os.path.abspath(__file__))


def npy(descr, shape, flat, fortran=False, version=(1, 0)):
    """Bytes of an .npy file: flat values in file order (C or Fortran)."""
    shp = "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"
    d = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (
        descr, "True" if fortran else "False", shp)
    pre = 10 if version[0] == 1 else 12
    total = pre + len(d) + 1
    pad = (-total) % 64
    h = (d + " " * pad + "\n").encode("latin1")
    out = b"\x93NUMPY" + bytes(version)
    out += struct.pack("<H" if version[0] == 1 else "<I", len(h)) + h
    end = ">" if descr[0] == ">" else "<"
    code = {"f8": "d", "f4": "f", "i4": "i", "i8": "q", "u1": "B", "b1": "?",
            "i2": "h", "u2": "H", "u4": "I", "u8": "Q", "i1": "b"}[descr[1:]]
    out += struct.pack(end + code * len(flat), *flat)
    return out


def put(name, data):
    with open(os.path.join(D, name), "wb") as f:
        f.write(data)


def zip_members(name, members, method=zipfile.ZIP_STORED, force_zip64=True):
    """An .npz as NumPy writes it: members NAME.npy, zip64 local extras."""
    path = os.path.join(D, name)
    with zipfile.ZipFile(path, "w", compression=method) as z:
        for mname, data in members:
            zi = zipfile.ZipInfo(mname + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            zi.compress_type = method
            with z.open(zi, "w", force_zip64=force_zip64) as f:
                f.write(data)


def zip64_central(name, members):
    """A stored archive whose central directory uses zip64 extras for every
    size and offset, with a zip64 end record and locator."""
    out = bytearray()
    cd = bytearray()
    for mname, data in members:
        fn = (mname + ".npy").encode()
        crc = zlib.crc32(data)
        off = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034b50, 45, 0, 0, 0, 0x21, crc,
                           len(data), len(data), len(fn), 0) + fn + data
        extra = struct.pack("<HHQQQ", 1, 24, len(data), len(data), off)
        cd += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014b50, 45, 45, 0, 0, 0, 0x21, crc,
                          0xFFFFFFFF, 0xFFFFFFFF, len(fn), len(extra), 0, 0, 0, 0,
                          0xFFFFFFFF) + fn + extra
    cdoff = len(out)
    out += cd
    z64 = len(out)
    n = len(members)
    out += struct.pack("<IQHHIIQQQQ", 0x06064b50, 44, 45, 45, 0, 0, n, n, len(cd), cdoff)
    out += struct.pack("<IIQI", 0x07064b50, 0, z64, 1)
    out += struct.pack("<IHHHHIIH", 0x06054b50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF,
                       0xFFFFFFFF, 0)
    put(name, bytes(out))


def main():
    # Values exercising sign, zero sign, extremes.
    v5 = [0.0, -0.0, 1e-300, 1.5, -2.25]
    put("f8_le_1d.npy", npy("<f8", (5,), v5))
    # 3x2 matrix m[r][c] = 10*r + c + 0.5
    m = [[10 * r + c + 0.5 for c in range(2)] for r in range(3)]
    cflat = [m[r][c] for r in range(3) for c in range(2)]
    fflat = [m[r][c] for c in range(2) for r in range(3)]
    put("f8_be_2d.npy", npy(">f8", (3, 2), cflat))
    put("f8_fortran_2d.npy", npy("<f8", (3, 2), fflat, fortran=True))
    # float32 big-endian Fortran 2x3: t[r][c] = r - 0.25*c
    t = [[r - 0.25 * c for c in range(3)] for r in range(2)]
    put("f4_be_fortran.npy", npy(">f4", (2, 3), [t[r][c] for c in range(3) for r in range(2)],
                                 fortran=True))
    put("i4.npy", npy("<i4", (4,), [-1, 2, -2147483648, 7]))
    put("i8_be.npy", npy(">i8", (3,), [-(2 ** 40), 2 ** 53, -1]))
    put("u1.npy", npy("|u1", (3,), [0, 200, 255]))
    put("b1.npy", npy("|b1", (3,), [True, False, True]))
    put("v2.npy", npy("<f8", (2,), [3.0, 4.0], version=(2, 0)))
    put("cube.npy", npy("<f8", (2, 2, 2), [float(i) for i in range(8)]))
    put("nan.npy", npy("<f8", (2, 2), [1.0, 2.0, float("nan"), 4.0]))
    put("trunc.npy", npy("<f8", (4,), [1.0, 2.0, 3.0, 4.0])[:-5])
    obj = npy("<f8", (1,), [0.0])
    put("obj.npy", obj.replace(b"'<f8'", b"'|O' "))
    x = [0.0, 0.5, 1.0]
    tt = [0.0, 0.25, 0.75]
    uv = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]     # U (3, 2) C order
    members = [("x", npy("<f8", (3,), x)), ("t", npy("<f8", (3,), tt)),
               ("U", npy("<f8", (3, 2), uv))]
    zip_members("stored.npz", members)
    zip_members("deflate.npz", members, method=zipfile.ZIP_DEFLATED)
    zip64_central("zip64.npz", members)
    zip_members("ragged.npz", [("x", npy("<f8", (3,), x)), ("y", npy("<f8", (2,), [1.0, 2.0]))])
    # A flipped byte in the last value of member 'x' (stored): CRC mismatch.
    with open(os.path.join(D, "stored.npz"), "rb") as f:
        b = bytearray(f.read())
    i = b.find(npy("<f8", (3,), x)) + len(npy("<f8", (3,), x)) - 1
    b[i] ^= 0x40
    put("badcrc.npz", bytes(b))


if __name__ == "__main__":
    main()
