"""The lifetime every binding object shares: it owns one C handle, closes it once (close(), the end of a with block,
or garbage collection), and refuses calls after that with "the <kind> is closed"."""

from .errors import TensorPoolError


class Owned:
    _kind = "object"  # the noun in "the <kind> is closed"
    _handle = None  # also what close() sees when __init__ failed before taking a handle

    def _release(self, handle):
        """Close the C object behind handle (already detached from self)."""
        raise NotImplementedError

    def close(self):
        """Close it, releasing its C object (what that implies is in the class's docstring). Idempotent."""
        handle, self._handle = self._handle, None
        if handle is not None:
            self._release(handle)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()

    @property
    def closed(self):
        return self._handle is None

    def _check_open(self):
        if self._handle is None:
            raise TensorPoolError(f"the {self._kind} is closed")
