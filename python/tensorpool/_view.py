"""numpy arrays over raw addresses without a copy.

The fastest route numpy 1.24 offers from an address (measured: about half the cost of an __array_interface__
object) is np.ndarray over a ctypes array placed at that address. The ctypes array is the array's base and carries
an owner reference, so whatever must outlive the view does.
"""

import ctypes

import numpy as np

_ndarray = np.ndarray
_buffer_types = {}


def _buffer_type(nbytes):
    t = _buffer_types.get(nbytes)
    if t is None:
        if len(_buffer_types) > 4096:  # frames of ever-changing sizes: do not grow without bound
            _buffer_types.clear()
        t = _buffer_types[nbytes] = ctypes.c_char * nbytes
    return t


def array_at(address, nbytes, shape, dtype, strides, readonly, owner):
    """An ndarray over the nbytes at address (strides in bytes); owner stays referenced by it (a frame array keeps
    its consumer, hence the mapping, from being collected)."""
    if not address or not nbytes:
        # An empty frame has no payload pointer: an empty array of the right shape says the same thing.
        arr = np.zeros(shape, dtype)
        arr.flags.writeable = not readonly
        return arr
    buffer = _buffer_type(nbytes).from_address(address)
    buffer._owner = owner
    arr = _ndarray(shape, dtype, buffer, 0, strides)
    if readonly:
        arr.flags.writeable = False
    return arr
