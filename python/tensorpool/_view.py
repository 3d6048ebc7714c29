"""numpy arrays over raw addresses without a copy, through the array interface protocol."""

import numpy as np


class _Region:
    """Exports one address as an array interface; the array it makes keeps it (and its owner) alive as its base."""

    __slots__ = ("__array_interface__", "owner")

    def __init__(self, address, shape, dtype, strides, readonly, owner):
        self.__array_interface__ = {
            "version": 3,
            "shape": shape,
            "typestr": dtype.str,
            "data": (address, readonly),
            "strides": strides,
        }
        self.owner = owner


def array_at(address, shape, dtype, strides, readonly, owner):
    """An ndarray over memory at address (strides in bytes, None = C-contiguous); owner stays referenced by it
    (a frame array keeps its consumer, hence the mapping, from being collected)."""
    if not address:
        # An empty frame has no payload pointer: an empty array of the right shape says the same thing.
        arr = np.zeros(shape, dtype)
        arr.flags.writeable = not readonly
        return arr
    return np.asarray(_Region(address, shape, dtype, strides, readonly, owner))
