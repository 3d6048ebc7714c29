"""A consumer: follows one tensorpool stream and yields zero-copy frames (see frame.py for their lifetime)."""

import ctypes
import itertools
import os
import time

from . import _lib
from ._owned import Owned
from .errors import TensorPoolError, raise_last
from .frame import Frame

_L = _lib.lib
_poll_frames = _L.tp_consumer_poll_frames
_do_work = _L.tp_client_do_work
_idle = _L.tp_client_idle
_is_mapped = _L.tp_consumer_is_mapped

_serial = itertools.count()  # makes default consumer ids unique among this process's consumers


class Consumer(Owned):
    """Create with Client.consumer(). Single-threaded: use it from one thread (like the C consumer).

    Closing it unmaps the producer's regions: every frame of it stops being valid.
    """

    _kind = "consumer"

    def __init__(self, client, stream_id, consumer_id=None, fragment_limit=10, own_stream=False,
                 max_outstanding_seq_gap=None):  # fmt: skip
        client._check_open()
        cfg = _lib.ConsumerConfig()
        _L.tp_consumer_config_init(ctypes.byref(cfg))
        cfg.stream_id = stream_id
        if consumer_id is None:
            # Like tp_example_consumer (the process id), made unique among this process's consumers.
            consumer_id = (os.getpid() * 64 + next(_serial)) & 0xFFFFFFFF
        cfg.consumer_id = consumer_id
        if own_stream:
            cfg.descriptor_stream_id = 31000 + cfg.consumer_id % 1000  # inside the default per-consumer range
        if max_outstanding_seq_gap is not None:
            cfg.max_outstanding_seq_gap = max_outstanding_seq_gap
        if fragment_limit < 1:
            raise ValueError(f"fragment_limit must be >= 1, not {fragment_limit}")
        self._client = client
        self._config = cfg
        self.discovered = None  # the DiscoveredStream when made by Client.consumer(name=..., tags=...)
        self._capacity = fragment_limit * _lib.TP_CONSUMER_POLL_SOURCES
        self._batch = None
        self._count = ctypes.c_size_t(0)
        handle = ctypes.c_void_p()
        if _L.tp_consumer_start(ctypes.byref(handle), client._handle, ctypes.byref(cfg)) < 0:
            raise_last(f"consumer of stream {stream_id}")
        self._handle = handle
        self._counters = _L.tp_consumer_counters(handle).contents
        self._transport = _L.tp_consumer_transport_counters(handle).contents
        client._children.add(self)

    # ---- lifetime ----
    def _release(self, handle):
        self._client._children.discard(self)
        self._counters = self._transport = None
        _L.tp_consumer_close(handle)

    def _generation_of_now(self):
        """Which mapping is in place: a remap bumps maps, an unmap clears is_mapped; None once closed."""
        handle = self._handle
        if handle is None or not _is_mapped(handle):
            return None
        return self._counters.maps

    # ---- polling ----
    def _poll_once(self, limit=None):
        """One duty cycle: poll the consumer (and the client in invoker mode), at most `limit` fragments per
        subscription (None: the consumer's fragment_limit). (work, frames)."""
        capacity = self._capacity if limit is None else max(1, limit) * _lib.TP_CONSUMER_POLL_SOURCES
        batch = self._batch
        if batch is None or len(batch) < capacity:
            # Frames reference their slot of the batch, so a batch that handed out frames is never reused.
            batch = self._batch = (_lib.ConsumerFrame * capacity)()
        work = _poll_frames(self._handle, batch, capacity, ctypes.byref(self._count))
        client_work = _do_work(self._client._handle)
        if work < 0 or client_work < 0:
            raise_last("consumer poll: the client has closed (media driver gone?)")
        n = self._count.value
        if 0 == n:
            return work + client_work, ()
        self._batch = None
        generation = self._generation_of_now()
        return work + client_work, [Frame(batch[i], self, generation) for i in range(n)]

    def poll(self, handler, limit=None):
        """Poll once and call handler(frame) for each frame accepted; returns how many. limit: fragments per
        subscription for this poll (default: the consumer's fragment_limit)."""
        self._check_open()
        _, frames = self._poll_once(limit)
        for frame in frames:
            handler(frame)
        return len(frames)

    def frames(self, timeout=None, count=None):
        """Iterate over frames as they arrive. Ends after `count` frames, or when no frame came for `timeout`
        seconds (None: never). It polls and idles in short C calls, returning to Python between them, so Ctrl-C
        raises KeyboardInterrupt promptly."""
        self._check_open()
        delivered = 0
        deadline = None if timeout is None else time.monotonic() + timeout
        while count is None or delivered < count:
            if self._handle is None:
                return
            # With a count, never take more descriptors than frames still wanted (like tp_example_consumer).
            wanted = None if count is None else min(self._capacity // _lib.TP_CONSUMER_POLL_SOURCES, count - delivered)
            work, frames = self._poll_once(wanted)
            if frames:
                for frame in frames:
                    yield frame
                    delivered += 1
                    if count is not None and delivered >= count:
                        return
                if timeout is not None:
                    deadline = time.monotonic() + timeout
                continue
            if deadline is not None and time.monotonic() >= deadline:
                return
            _idle(self._client._handle, work)

    def wait_mapped(self, timeout=10.0):
        """Drive the consumer until it has mapped a producer's regions; False on timeout."""
        self._check_open()
        deadline = time.monotonic() + timeout
        while not _is_mapped(self._handle):
            if time.monotonic() >= deadline:
                return False
            work, frames = self._poll_once()
            if frames:
                raise TensorPoolError("wait_mapped: frames arrived; use frames() or poll() to receive them")
            _idle(self._client._handle, work)
        return True

    # ---- state and counters ----
    @property
    def is_mapped(self):
        self._check_open()
        return bool(_is_mapped(self._handle))

    @property
    def epoch(self):
        self._check_open()
        return _L.tp_consumer_epoch(self._handle)

    @property
    def lease_state(self):
        """Driver mode lease state: "UNATTACHED" (standalone), "ATTACHING", "ATTACHED", "DETACHING", "BACKOFF"."""
        self._check_open()
        return _L.tp_lease_state_name(_L.tp_consumer_lease_state(self._handle)).decode()

    @property
    def consumer_id(self):
        return self._config.consumer_id

    @property
    def stream_id(self):
        return self._config.stream_id

    @property
    def frames_accepted(self):
        self._check_open()
        return self._counters.frames_accepted

    @property
    def drops_gap(self):
        """Sequence numbers never seen."""
        self._check_open()
        return self._counters.drops_gap

    @property
    def drops_late(self):
        """Frames whose slot was reused before they could be read (the consumer was too slow for the ring)."""
        self._check_open()
        return self._counters.drops_late

    @property
    def counters(self):
        """Every core counter (tp_consumer_counters_t) as a dict."""
        self._check_open()
        return _lib.to_dict(self._counters)

    @property
    def transport_counters(self):
        """Transport counters (tp_consumer_transport_counters_t) as a dict; driver lease counters under "lease"."""
        self._check_open()
        return _lib.to_dict(self._transport)

    @property
    def last_error(self):
        """The last rejected announce or region with the reason ("" when none)."""
        self._check_open()
        return (_L.tp_consumer_last_error(self._handle) or b"").decode("utf-8", "replace")

    @property
    def meta(self):
        """(meta_version, [(key, format, value bytes), ...]) of the producer's DataSourceMeta, or None."""
        self._check_open()
        version = ctypes.c_uint32()
        count = ctypes.c_size_t()
        if not _L.tp_consumer_meta(self._handle, ctypes.byref(version), ctypes.byref(count)):
            return None
        attributes = []
        for i in range(count.value):
            a = _lib.MetaAttribute()
            if _L.tp_consumer_meta_attribute(self._handle, i, ctypes.byref(a)) == 0:
                value = ctypes.string_at(a.value, a.value_length) if a.value_length else b""
                attributes.append((a.key.decode(), (a.format or b"").decode(), value))
        return version.value, attributes
