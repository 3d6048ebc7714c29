"""The client: one connection to the Aeron media driver, and the factory of consumers and producers."""

import ctypes
import weakref

from . import _lib
from .errors import TensorPoolError, raise_last

_L = _lib.lib


class Client:
    """Connect to the media driver in `aeron_dir` (default: AERON_DIR or the Aeron default).

    shm_base_dir: where producers create their regions, and (unless allowed_dirs is given) the one directory
    consumers accept announced regions from (default /dev/shm/tensorpool, as in C).
    shm_driver: driver mode (regions leased from tp_driver on the control stream; allowed_dirs must then cover the
    driver's base dir).
    agent: run the Aeron client conductor on its own thread (default: driven by each poll, invoker mode).

    Use it as a context manager, or call close(); closing closes its consumers and producers first.
    """

    def __init__(self, aeron_dir=None, shm_base_dir=None, allowed_dirs=None, shm_driver=False, channel=None,
                 control_stream_id=None, descriptor_stream_id=None, qos_stream_id=None, metadata_stream_id=None,
                 announce_interval=None, agent=False, idle=None, start_timeout=None, driver_timeout=None):  # fmt: skip
        self._handle = None
        self._children = weakref.WeakSet()
        ctx = ctypes.c_void_p()
        if _L.tp_context_init(ctypes.byref(ctx)) < 0:
            raise_last("context")
        try:
            def check(rc, what):
                if rc < 0:
                    raise_last(what)

            if aeron_dir is not None:
                check(_L.tp_context_set_aeron_dir(ctx, _path(aeron_dir)), f"aeron_dir {aeron_dir!r}")
            if shm_base_dir is not None:
                check(_L.tp_context_set_shm_base_dir(ctx, _path(shm_base_dir)), f"shm_base_dir {shm_base_dir!r}")
                if allowed_dirs is None:
                    allowed_dirs = [shm_base_dir]
            for d in allowed_dirs or ():
                check(_L.tp_context_add_allowed_dir(ctx, _path(d)), f"allowed dir {d!r}")
            if channel is not None:
                check(_L.tp_context_set_channel(ctx, channel.encode()), f"channel {channel!r}")
            for setter, value in (
                (_L.tp_context_set_control_stream_id, control_stream_id),
                (_L.tp_context_set_descriptor_stream_id, descriptor_stream_id),
                (_L.tp_context_set_qos_stream_id, qos_stream_id),
                (_L.tp_context_set_metadata_stream_id, metadata_stream_id),
            ):
                if value is not None:
                    check(setter(ctx, value), f"stream id {value}")
            if announce_interval is not None:
                check(_L.tp_context_set_announce_interval_ns(ctx, int(announce_interval * 1e9)), "announce_interval")
            if agent:
                check(_L.tp_context_set_client_mode(ctx, 1), "agent mode")
            if idle is not None:
                check(_L.tp_context_set_idle_strategy(ctx, idle.encode()), f"idle {idle!r}")
            if start_timeout is not None:
                check(_L.tp_context_set_start_timeout_ms(ctx, int(start_timeout * 1000)), "start_timeout")
            if driver_timeout is not None:
                check(_L.tp_context_set_driver_timeout_ms(ctx, int(driver_timeout * 1000)), "driver_timeout")
            if shm_driver:
                check(_L.tp_context_set_shm_driver(ctx, True), "shm_driver")
            handle = ctypes.c_void_p()
            check(_L.tp_client_start(ctypes.byref(handle), ctx), "client (is a media driver running there?)")
            self._handle = handle
        finally:
            _L.tp_context_close(ctx)

    def consumer(self, stream_id, **kwargs):
        """A Consumer of tensorpool stream `stream_id` (see tensorpool.Consumer for the options)."""
        from .consumer import Consumer

        return Consumer(self, stream_id, **kwargs)

    def producer(self, stream_id, **kwargs):
        """A Producer of tensorpool stream `stream_id` (see tensorpool.Producer for the options)."""
        from .producer import Producer

        return Producer(self, stream_id, **kwargs)

    def do_work(self):
        """Invoker mode: one Aeron conductor duty cycle (consumer and producer polls already do this)."""
        self._check_open()
        work = _L.tp_client_do_work(self._handle)
        if work < 0:
            raise_last("client")
        return work

    def _check_open(self):
        if self._handle is None:
            raise TensorPoolError("the client is closed")

    @property
    def closed(self):
        return self._handle is None or bool(_L.tp_client_is_closed(self._handle))

    def close(self):
        """Close every consumer and producer of this client, then the client. Idempotent."""
        handle = getattr(self, "_handle", None)
        if handle is None:
            return
        for child in list(self._children):
            child.close()
        self._handle = None
        _L.tp_client_close(handle)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()


def _path(p):
    import os

    return os.fsencode(os.path.abspath(p))
