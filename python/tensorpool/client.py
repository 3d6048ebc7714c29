"""The client: one connection to the Aeron media driver, and the factory of consumers and producers."""

import ctypes
import os
import weakref

from . import _lib
from ._owned import Owned
from .consumer import Consumer
from .discovery import find_stream
from .errors import TensorPoolError, raise_last
from .producer import Producer

_L = _lib.lib


class Client(Owned):
    """Connect to the media driver in `aeron_dir` (default: AERON_DIR or the Aeron default).

    shm_base_dir: where producers create their regions, and (unless allowed_dirs is given) the one directory
    consumers accept announced regions from (default /dev/shm/tensorpool, as in C).
    shm_driver: driver mode (regions leased from tp_driver on the control stream; allowed_dirs must then cover the
    driver's base dir).
    agent: run the Aeron client conductor on its own thread (default: driven by each poll, invoker mode).

    Use it as a context manager, or call close(); closing closes its consumers and producers first.
    """

    _kind = "client"

    def __init__(self, aeron_dir=None, shm_base_dir=None, allowed_dirs=None, shm_driver=False, channel=None,
                 control_stream_id=None, descriptor_stream_id=None, qos_stream_id=None, metadata_stream_id=None,
                 announce_interval=None, agent=False, idle=None, start_timeout=None, driver_timeout=None):  # fmt: skip
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

    def consumer(self, stream_id=None, *, name=None, tags=(), discovery_timeout=5.0, request_channel=None,
                 request_stream_id=0, **kwargs):  # fmt: skip
        """A Consumer of tensorpool stream `stream_id` (see tensorpool.Consumer for the options).

        Or, instead of stream_id, name and / or tags: the stream is found first with find_stream(name, tags,
        discovery_timeout, request_channel, request_stream_id) and the consumer opened on its stream id (the result
        is the consumer's `discovered`). The client's mode stays as configured: in driver mode the result must name
        the driver this client attaches through (its channel, compared by media and addressing, not tuning
        parameters, and its control stream), else TensorPoolError says which.
        """
        if stream_id is not None:
            if name or tags:
                raise ValueError("give stream_id, or name / tags to find the stream by, not both")
            return Consumer(self, stream_id, **kwargs)
        if not name and not tags:
            raise ValueError("consumer needs a stream_id, or a name or tags to find the stream by")
        found = self.find_stream(name, tags, discovery_timeout, request_channel, request_stream_id)
        if self.shm_driver and (
            _channel_identity(found.driver_control_channel) != _channel_identity(self.channel)
            or found.driver_control_stream_id != self.control_stream_id
        ):
            raise TensorPoolError(
                f"stream {found.stream_id} ({found.data_source_name!r}) is served by driver "
                f"{found.driver_instance_id!r} on {found.driver_control_channel} control stream "
                f"{found.driver_control_stream_id}, but this client attaches through {self.channel} control stream "
                f"{self.control_stream_id}: make a Client(shm_driver=True, channel={found.driver_control_channel!r}, "
                f"control_stream_id={found.driver_control_stream_id}) for it"
            )
        consumer = Consumer(self, found.stream_id, **kwargs)
        consumer.discovered = found
        return consumer

    def find_stream(self, name=None, tags=(), timeout=5.0, request_channel=None, request_stream_id=0):
        """Ask a Discovery Provider for a stream with this name (byte-exact) and / or every one of these tags; returns
        a tensorpool.DiscoveredStream (the newest epoch when several match).

        The request goes to request_channel (default: the client's channel) on request_stream_id (default 0: the
        client's control stream, where tp_driver's embedded provider answers; a tp_discoveryd registry listens on its
        registry.stream_id). Re-asks until a stream matches or `timeout` seconds pass (None: no limit), then raises
        TensorPoolError with the library's reason; also when the provider answers ERROR. Ctrl-C raises
        KeyboardInterrupt within half a second.
        """
        return find_stream(self, name, tags, timeout, request_channel, request_stream_id)

    def producer(self, stream_id, **kwargs):
        """A Producer of tensorpool stream `stream_id` (see tensorpool.Producer for the options)."""
        return Producer(self, stream_id, **kwargs)

    @property
    def channel(self):
        """The channel of the shared streams (and, in driver mode, of the driver's control stream)."""
        self._check_open()
        return _L.tp_context_get_channel(_L.tp_client_context(self._handle)).decode()

    @property
    def control_stream_id(self):
        self._check_open()
        return _L.tp_context_get_stream_id(_L.tp_client_context(self._handle), _lib.TP_STREAM_CONTROL)

    @property
    def shm_driver(self):
        """Driver mode: regions are leased from tp_driver."""
        self._check_open()
        return bool(_L.tp_context_get_shm_driver(_L.tp_client_context(self._handle)))

    def do_work(self):
        """Invoker mode: one Aeron conductor duty cycle (consumer and producer polls already do this)."""
        self._check_open()
        work = _L.tp_client_do_work(self._handle)
        if work < 0:
            raise_last("client")
        return work

    @property
    def closed(self):
        return self._handle is None or bool(_L.tp_client_is_closed(self._handle))

    def _release(self, handle):
        for child in list(self._children):
            child.close()
        _L.tp_client_close(handle)


# URI parameters that say which stream a channel is (the rest, e.g. term-length or mtu, only tune it).
_IDENTITY_PARAMS = ("endpoint", "control", "control-mode", "session-id")


def _channel_identity(uri):
    """What of an Aeron channel URI names the stream: its media and addressing parameters, not its tuning (the
    driver's "aeron:ipc?term-length=4m" and a client's "aeron:ipc" are the same control stream)."""
    head, _, query = uri.partition("?")
    params = dict(kv.partition("=")[::2] for kv in query.split("|") if kv)
    return head.strip(), tuple((k, params[k]) for k in _IDENTITY_PARAMS if k in params)


def _path(p):
    return os.fsencode(os.path.abspath(p))
