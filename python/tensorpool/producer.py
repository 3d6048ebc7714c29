"""A producer: owns one stream's regions (standalone) or leases them (driver mode) and publishes numpy arrays."""

import contextlib
import ctypes
import time

import numpy as np

from . import _lib, dtypes
from ._owned import Owned
from ._view import array_at
from .errors import TensorPoolError, raise_last

_L = _lib.lib
_offer = _L.tp_producer_offer
_claim = _L.tp_producer_claim
_commit = _L.tp_producer_commit
_abort = _L.tp_producer_abort
_poll = _L.tp_producer_poll
_do_work = _L.tp_client_do_work
_idle = _L.tp_client_idle

# tp_producer_status_t
OK, NOT_CONNECTED, NO_POOL, CLAIM_ACTIVE, NO_CLAIM, BAD_TENSOR, BACK_PRESSURE, BAD_ARGUMENT, NOT_ATTACHED = (
    0, 1, -1, -2, -3, -4, -5, -6, -7)  # fmt: skip
_STATUS = {
    NO_POOL: "no pool's stride fits the frame",
    CLAIM_ACTIVE: "a claim is outstanding",
    NO_CLAIM: "no matching claim",
    BAD_TENSOR: "the tensor description fails the layout rules",
    BAD_ARGUMENT: "bad argument",
    NOT_ATTACHED: "no lease from the SHM driver (attaching, revoked or backing off)",
}


def _now_ns():
    # The clock the C examples stamp frames with, so latencies computed by C consumers stay meaningful.
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC)


class Producer(Owned):
    """Create with Client.producer(). Single-threaded: use it from one thread (like the C producer). Closing it
    (standalone mode) removes its regions.

    A producer has control duties (announces, QoS, consumer hellos) that run when it is driven: offer() and
    claim() drive them once per frame; between frames call poll() or wait(seconds), or consumers will consider
    the producer gone after a few seconds of silence.
    """

    _kind = "producer"

    def __init__(self, client, stream_id, producer_id=1, pools=(1 << 20,), header_nslots=64, name="",
                 namespace=None, instance_id=None):  # fmt: skip
        client._check_open()
        cfg = _lib.ProducerConfig()
        _L.tp_producer_config_init(ctypes.byref(cfg))
        cfg.stream_id = stream_id
        cfg.producer_id = producer_id
        cfg.header_nslots = header_nslots
        pools = list(pools)
        if not 1 <= len(pools) <= _lib.TP_PRODUCER_MAX_POOLS:
            raise ValueError(f"pools: 1 to {_lib.TP_PRODUCER_MAX_POOLS} pool strides, not {len(pools)}")
        for i, stride in enumerate(pools):
            cfg.pools[i].pool_id = i + 1
            cfg.pools[i].stride_bytes = stride
        cfg.pool_count = len(pools)
        for field, value in (("source_name", name), ("namespace_name", namespace), ("instance_id", instance_id)):
            if value is not None:
                raw = value.encode()
                if len(raw) >= _lib.TP_PRODUCER_NAME_MAX:
                    raise ValueError(f"{field}: at most {_lib.TP_PRODUCER_NAME_MAX - 1} bytes, not {len(raw)}")
                setattr(cfg, field, raw)
        self._client = client
        self._config = cfg
        self._pools = tuple(pools)
        self.last_seq = None
        handle = ctypes.c_void_p()
        if _L.tp_producer_start(ctypes.byref(handle), client._handle, ctypes.byref(cfg)) < 0:
            raise_last(f"producer of stream {stream_id}")
        self._handle = handle
        self._counters = _L.tp_producer_counters(handle).contents
        client._children.add(self)

    # ---- lifetime ----
    def _release(self, handle):
        self._client._children.discard(self)
        self._counters = None
        _L.tp_producer_close(handle)

    # ---- duties ----
    def poll(self):
        """One control duty cycle (and the client's in invoker mode). Returns the work count."""
        self._check_open()
        work = _poll(self._handle, 0)
        client_work = _do_work(self._client._handle)
        if work < 0 or client_work < 0:
            raise_last("producer poll: the client has closed (media driver gone?)")
        return work + client_work

    def wait(self, seconds):
        """Keep the producer alive (duties, idling between them) for this long."""
        self._check_open()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            _idle(self._client._handle, self.poll())

    def wait_consumers(self, count=1, timeout=10.0):
        """Drive duties until `count` consumers have said hello; False on timeout."""
        self._check_open()
        deadline = time.monotonic() + timeout
        while _L.tp_producer_consumer_count(self._handle) < count:
            if time.monotonic() >= deadline:
                return False
            _idle(self._client._handle, self.poll())
        return True

    # ---- frames ----
    def _check_status(self, rc, nbytes):
        if rc >= 0 or BACK_PRESSURE == rc:
            return  # committed (BACK_PRESSURE: its descriptor is queued and re-offered by the next poll)
        if NO_POOL == rc:
            raise ValueError(
                f"a frame of {nbytes} bytes fits no pool (strides {', '.join(str(p) for p in self._pools)}"
                " in standalone mode; in driver mode the lease decides)"
            )
        raise TensorPoolError(f"producer: {_STATUS.get(rc, 'status')} ({rc})", rc)

    def offer(self, array, timestamp_ns=None):
        """Publish a copy of `array` (one copy into the slot). C- or Fortran-ordered arrays keep their layout;
        other arrays are made contiguous first. Returns the frame's seq."""
        self._check_open()
        a = np.asarray(array)
        wire = dtypes.from_numpy(a.dtype)
        if a.flags.c_contiguous:
            order = dtypes.MAJOR_ROW
        elif a.flags.f_contiguous:
            order = dtypes.MAJOR_COLUMN
        else:
            a = np.ascontiguousarray(a)
            order = dtypes.MAJOR_ROW
        desc = _desc(wire, order, a.shape, None)
        seq = _L.tp_producer_next_seq(self._handle)
        rc = _offer(self._handle, ctypes.byref(desc), a.ctypes.data, a.nbytes,
                    _now_ns() if timestamp_ns is None else timestamp_ns)  # fmt: skip
        self._check_status(rc, a.nbytes)
        self.last_seq = seq
        self.poll()
        return seq

    @contextlib.contextmanager
    def claim(self, shape, dtype, strides=None, order="C", timestamp_ns=None):
        """Zero copy: `with producer.claim(shape, dtype) as arr:` gives a writable ndarray in the slot itself.
        Leaving the block commits the frame; an exception aborts it. strides (bytes) describe a padded layout;
        order "F" a column-major one. next_seq before the claim is the frame's seq (last_seq after it). The
        array must not be used after the block: the slot belongs to the ring again."""
        self._check_open()
        wire = dtypes.from_numpy(dtype)
        dt = np.dtype(dtype)
        shape = tuple(int(d) for d in (shape if isinstance(shape, (tuple, list)) else (shape,)))
        if order not in ("C", "F"):
            raise ValueError(f"order must be 'C' or 'F', not {order!r}")
        major = dtypes.MAJOR_ROW if "C" == order else dtypes.MAJOR_COLUMN
        desc = _desc(wire, major, shape, strides)
        if strides is None:
            strides = _contiguous_strides(shape, dt.itemsize, order)
        nbytes = _extent(shape, strides, dt.itemsize)
        if nbytes >= 1 << 32:
            raise ValueError(f"a frame of {nbytes} bytes is over the 4 GiB limit")
        c = _lib.ProducerClaim()
        rc = _claim(self._handle, nbytes, ctypes.byref(desc), ctypes.byref(c))
        self._check_status(rc, nbytes)
        arr = array_at(c.payload, nbytes, shape, dt, tuple(strides), False, None)
        try:
            yield arr
        except BaseException:
            _abort(self._handle, ctypes.byref(c))
            raise
        rc = _commit(self._handle, ctypes.byref(c), ctypes.byref(desc),
                     _now_ns() if timestamp_ns is None else timestamp_ns)  # fmt: skip
        self._check_status(rc, nbytes)
        self.last_seq = c.seq
        self.poll()

    # ---- metadata ----
    def set_meta(self, attributes):
        """Replace the DataSourceMeta attributes: a dict or (key, value) / (key, format, value) items; values are
        str (format "text") or bytes (format "bytes"). Bumps meta_version."""
        self._check_open()
        items = list(attributes.items() if isinstance(attributes, dict) else attributes)
        keep = []  # the C call encodes (copies) the attributes; these just have to live through it
        arr = (_lib.MetaAttribute * max(1, len(items)))()
        for n, item in enumerate(items):
            key, fmt, value = (item[0], None, item[1]) if len(item) == 2 else item
            if isinstance(value, str):
                value, fmt = value.encode(), fmt or "text"
            fmt = fmt or "bytes"
            raw = ctypes.create_string_buffer(bytes(value), max(1, len(value)))
            k, f = key.encode(), fmt.encode()
            keep += [raw, k, f]
            arr[n].key, arr[n].format = k, f
            arr[n].value = ctypes.cast(raw, ctypes.c_void_p)
            arr[n].value_length = len(value)
        if _L.tp_producer_set_meta(self._handle, arr, len(items)) < 0:
            raise_last("set_meta")

    @property
    def meta_version(self):
        self._check_open()
        return _L.tp_producer_meta_version(self._handle)

    # ---- state and counters ----
    @property
    def epoch(self):
        self._check_open()
        return _L.tp_producer_epoch(self._handle)

    @property
    def next_seq(self):
        self._check_open()
        return _L.tp_producer_next_seq(self._handle)

    @property
    def consumer_count(self):
        self._check_open()
        return _L.tp_producer_consumer_count(self._handle)

    @property
    def lease_state(self):
        self._check_open()
        return _L.tp_lease_state_name(_L.tp_producer_lease_state(self._handle)).decode()

    @property
    def header_path(self):
        self._check_open()
        return (_L.tp_producer_header_path(self._handle) or b"").decode()

    @property
    def frames_committed(self):
        self._check_open()
        return self._counters.frames_committed

    @property
    def counters(self):
        """Every core counter (tp_producer_counters_t) as a dict."""
        self._check_open()
        return _lib.to_dict(self._counters)

    @property
    def transport_counters(self):
        self._check_open()
        return _lib.to_dict(_L.tp_producer_transport_counters(self._handle).contents)


def _contiguous_strides(shape, itemsize, order):
    strides = [0] * len(shape)
    step = itemsize
    dims = range(len(shape) - 1, -1, -1) if "C" == order else range(len(shape))
    for i in dims:
        strides[i] = step
        step *= max(shape[i], 1)
    return tuple(strides)


def _extent(shape, strides, itemsize):
    if any(0 == d for d in shape):
        return 0
    return itemsize + sum((d - 1) * s for d, s in zip(shape, strides))


def _desc(wire, major, shape, strides):
    n = len(shape)
    if not 1 <= n <= _lib.TP_MAX_DIMS:
        raise ValueError(f"a frame has 1 to {_lib.TP_MAX_DIMS} dimensions, not {n} (shape {shape})")
    if any(d < 0 or d >= 1 << 31 for d in shape):
        raise ValueError(f"dimensions must be in [0, 2^31), not {shape}")
    desc = _lib.TensorDesc()
    desc.dtype = wire
    desc.major_order = major
    desc.ndims = n
    desc.dims[:n] = shape
    if strides is not None:
        strides = tuple(int(s) for s in strides)
        if len(strides) != n or any(s <= 0 or s >= 1 << 31 for s in strides):
            raise ValueError(f"strides {strides} must be {n} positive byte counts below 2^31 for shape {shape}")
        desc.strides[:n] = strides
    return desc
