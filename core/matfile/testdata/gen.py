#!/usr/bin/python3
"""Generates the small MAT-files the matfile tests read. Run from this directory with
Debian's /usr/bin/python3 (numpy + scipy). scipy writes little-endian files; the
big-endian file is written by hand below and checked by reading it back with scipy."""
import struct
import zlib

import numpy as np
import scipy.io as sio


def variables():
    return {
        "vec": (np.arange(10, dtype=np.float64) * 0.25 - 1.0).reshape(-1, 1),  # 10x1
        "mat_i16": np.array([[1, -2, 3], [-4, 5, -32768]], dtype=np.int16),     # 2x3, column-major
        "small_u8": np.array([[1, 2, 3]], dtype=np.uint8),                     # small data element
        "rpm": np.array([[1796]], dtype=np.uint16),                            # like X097RPM
        "scalar": np.array([[2.5]]),
        "single": np.array([[0.5, -1.5]], dtype=np.float32),
        "i64": np.array([[-(2**40), 7]], dtype=np.int64),
        "u32": np.array([[4000000000]], dtype=np.uint32),
        "flag": np.array([[True, False, True]]),
        "empty": np.zeros((0, 0)),
        "text": "hello",
        "st": {"a": 1.0},
        "cel": np.array([[1.0, "x"]], dtype=object),
        "z": np.array([[1 + 2j]]),
    }


sio.savemat("le.mat", variables(), do_compression=False, oned_as="column")
sio.savemat("le_zlib.mat", variables(), do_compression=True, oned_as="column")


# --- big-endian, written by hand -------------------------------------------------------
def pad8(b):
    return b + b"\0" * (-len(b) % 8)


def element(typ, data):
    if len(data) <= 4 and typ != 14:  # small data element: size, type in one word
        return struct.pack(">HH", len(data), typ) + data + b"\0" * (4 - len(data))
    return pad8(struct.pack(">II", typ, len(data)) + data)


def matrix(name, cls, arr, mtype, fmt):
    flags = element(6, struct.pack(">II", cls, 0))
    dims = element(5, struct.pack(">%di" % arr.ndim, *arr.shape))
    nm = element(1, name.encode())
    vals = arr.flatten(order="F")
    real = element(mtype, struct.pack(">%d%s" % (len(vals), fmt), *vals))
    body = flags + dims + nm + real
    return struct.pack(">II", 14, len(body)) + body


hdr = b"MATLAB 5.0 MAT-file, Platform: test, big-endian, written by gen.py".ljust(116, b" ")
hdr += b"\0" * 8 + struct.pack(">H", 0x0100) + b"MI"
be = hdr
be += matrix("be_vec", 6, np.arange(6, dtype=np.float64).reshape(3, 2) - 2.5, 9, "d")
be += matrix("be_i32", 12, np.array([[-123456]], dtype=np.int32), 5, "i")  # small element
comp = zlib.compress(matrix("be_u16", 11, np.array([[1, 65535, 3]], dtype=np.uint16), 4, "H"))
be += struct.pack(">II", 15, len(comp)) + comp
with open("be.mat", "wb") as f:
    f.write(be)

got = sio.loadmat("be.mat")
assert np.array_equal(got["be_vec"], np.arange(6).reshape(3, 2) - 2.5), got["be_vec"]
assert got["be_i32"][0, 0] == -123456 and got["be_i32"].dtype.str == ">i4"
assert np.array_equal(got["be_u16"], [[1, 65535, 3]]) and got["be_u16"].dtype.str == ">u2"
for f in ("le.mat", "le_zlib.mat"):
    got = sio.loadmat(f)
    assert np.array_equal(got["mat_i16"], variables()["mat_i16"])
print("ok")
