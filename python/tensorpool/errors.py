"""Exceptions raised by the binding."""

from . import _lib


class TensorPoolError(RuntimeError):
    """A C call failed; the message is the library's tp_errmsg() (the root cause first), code its tp_errcode()."""

    def __init__(self, message, code=0):
        super().__init__(message)
        self.code = code


class FrameOverwritten(TensorPoolError):
    """The producer reused the frame's slot (or the consumer remapped or closed) while the frame was being read."""


def raise_last(what):
    """Raise TensorPoolError for a failed setup call, with the thread's tp_errmsg()."""
    message = (_lib.lib.tp_errmsg() or b"").decode("utf-8", "replace")
    code = _lib.lib.tp_errcode()
    raise TensorPoolError(f"{what}: {message}" if message else what, code)
