"""The wire dtypes (tp_tensor.h, wire spec §15.8) and their numpy equivalents."""

import numpy as np

UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 = 1, 2, 3, 4, 5, 6, 7, 8
FLOAT32, FLOAT64, BOOLEAN, BYTES, BIT = 9, 10, 11, 13, 14

MAJOR_ROW, MAJOR_COLUMN = 1, 2

# Wire dtype -> numpy dtype (native byte order: the pool is shared memory on this host). BYTES and BIT (one byte
# per element, unpacked) come out as uint8.
TO_NUMPY = {
    UINT8: np.dtype(np.uint8),
    INT8: np.dtype(np.int8),
    UINT16: np.dtype(np.uint16),
    INT16: np.dtype(np.int16),
    UINT32: np.dtype(np.uint32),
    INT32: np.dtype(np.int32),
    UINT64: np.dtype(np.uint64),
    INT64: np.dtype(np.int64),
    FLOAT32: np.dtype(np.float32),
    FLOAT64: np.dtype(np.float64),
    BOOLEAN: np.dtype(np.bool_),
    BYTES: np.dtype(np.uint8),
    BIT: np.dtype(np.uint8),
}

_FROM_NUMPY = {
    np.dtype(np.uint8): UINT8,
    np.dtype(np.int8): INT8,
    np.dtype(np.uint16): UINT16,
    np.dtype(np.int16): INT16,
    np.dtype(np.uint32): UINT32,
    np.dtype(np.int32): INT32,
    np.dtype(np.uint64): UINT64,
    np.dtype(np.int64): INT64,
    np.dtype(np.float32): FLOAT32,
    np.dtype(np.float64): FLOAT64,
    np.dtype(np.bool_): BOOLEAN,
}


def from_numpy(dtype):
    """The wire dtype of a numpy dtype (or anything np.dtype() accepts); TypeError naming it when unsupported."""
    try:
        d = np.dtype(dtype)
    except TypeError as e:
        raise TypeError(f"tensorpool: unknown dtype {dtype!r}: {e}") from None
    wire = _FROM_NUMPY.get(d.newbyteorder("=")) if d.isnative else None
    if wire is None:
        supported = ", ".join(str(k) for k in _FROM_NUMPY)
        raise TypeError(f"tensorpool: dtype {d} has no wire equivalent (native-order {supported})")
    return wire


def to_numpy(wire):
    d = TO_NUMPY.get(wire)
    if d is None:
        raise TypeError(f"tensorpool: wire dtype {wire} has no numpy equivalent")
    return d
