"""A frame a consumer accepted: a zero-copy, read-only view of a payload slot in the producer's shared memory.

Lifetime rules (docs/python.md):

- The bytes belong to the producer, which reuses the slot once its ring wraps. Read, then call is_intact(): True
  means nothing you read was overwritten meanwhile. copy() does both (copy, then check) and raises
  FrameOverwritten instead of returning torn data.
- The mapping behind .array stays in place while the consumer keeps the same mapping. A producer restart (new
  epoch), a lease change in driver mode, or closing the consumer unmaps it: is_intact() is then False and copy()
  raises, without touching the memory, but an array obtained earlier must not be read any more (the process
  would fault). Check is_intact() (or use copy()) before trusting an array you kept across polls.
"""

import ctypes

import numpy as np

from . import _lib, dtypes
from ._view import array_at
from .errors import FrameOverwritten

_lib_is_intact = _lib.lib.tp_consumer_frame_is_intact


class Frame:
    __slots__ = ("_c", "_consumer", "_generation", "_array")

    def __init__(self, cframe, consumer, generation):
        self._c = cframe  # a tp_consumer_frame_t in the consumer's batch (kept alive by this reference)
        self._consumer = consumer
        self._generation = generation
        self._array = None

    # ---- header fields (read under the seqlock by the C consumer) ----
    @property
    def seq(self):
        return self._c.seq

    @property
    def epoch(self):
        return self._c.epoch

    @property
    def timestamp_ns(self):
        return self._c.tensor.timestamp_ns

    @property
    def meta_version(self):
        return self._c.tensor.meta_version

    @property
    def pool_id(self):
        return self._c.tensor.pool_id

    @property
    def header_index(self):
        return self._c.header_index

    @property
    def nbytes(self):
        """The payload length (values_len_bytes)."""
        return self._c.payload_length

    @property
    def dtype(self):
        return dtypes.to_numpy(self._c.tensor.dtype)

    @property
    def shape(self):
        t = self._c.tensor
        return tuple(t.dims[: t.ndims])

    @property
    def strides(self):
        """Byte strides, always explicit (the C consumer fills in inferred ones)."""
        t = self._c.tensor
        return tuple(t.strides[: t.ndims])

    @property
    def major_order(self):
        return "column" if dtypes.MAJOR_COLUMN == self._c.tensor.major_order else "row"

    @property
    def address(self):
        """Address of the payload in this process (inside the consumer's mapping of the pool)."""
        return self._c.payload or 0

    @property
    def array(self):
        """Read-only ndarray over the payload in shared memory (no copy), with the frame's dtype, shape, strides."""
        if self._array is None:
            c = self._c
            self._array = array_at(c.payload, c.payload_length, self.shape, self.dtype, self.strides, True,
                                   self._consumer)  # fmt: skip
        return self._array

    # ---- the two promises: zero copy, never a torn frame ----
    def is_valid(self):
        """True while the memory behind this frame is still mapped (same mapping, consumer open)."""
        return self._consumer._generation_of_now() == self._generation

    def is_intact(self):
        """True when the slot still holds this frame: call after reading the view to know the read was clean."""
        return self.is_valid() and _lib_is_intact(ctypes.byref(self._c))

    def copy(self):
        """A private copy of the array, checked after copying; raises FrameOverwritten if the slot was reused."""
        if not self.is_valid():
            raise FrameOverwritten(f"frame seq {self.seq}: its mapping is gone (consumer remapped or closed)")
        out = np.array(self.array, copy=True, order="K")
        if not _lib_is_intact(ctypes.byref(self._c)):
            raise FrameOverwritten(f"frame seq {self.seq}: the producer overwrote the slot during the copy")
        return out

    # ---- DLPack (CPU only) ----
    def __dlpack__(self, stream=None, max_version=None, dl_device=None, copy=None):
        """A DLPack capsule over the payload (no copy). Newer importers' keywords are accepted; the capsule is the
        unversioned (0.x) kind, which the DLPack protocol lets a producer return whatever max_version asks."""
        from ._dlpack import to_capsule

        if stream is not None:
            raise BufferError("tensorpool frames live in host memory: stream must be None")
        if copy:
            raise BufferError("tensorpool exports frames without a copy only (use frame.copy())")
        if dl_device is not None and tuple(dl_device) != (1, 0):
            raise BufferError(f"tensorpool frames live on the CPU (1, 0), not {dl_device}")
        if not self.is_valid():
            raise BufferError(f"frame seq {self.seq}: its mapping is gone (consumer remapped or closed)")
        return to_capsule(self)

    def __dlpack_device__(self):
        return (1, 0)  # kDLCPU, device 0

    def __repr__(self):
        return (
            f"<tensorpool.Frame seq={self.seq} epoch={self.epoch} shape={self.shape} dtype={self.dtype} "
            f"strides={self.strides}>"
        )
