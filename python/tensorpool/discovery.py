"""Discovery: find a stream by name and / or tags through a Discovery Provider (the one embedded in tp_driver, on its
control stream, or the registry tp_discoveryd), over tp_discovery.h. Use Client.find_stream() or
Client.consumer(name=..., tags=...)."""

import ctypes
import time
from dataclasses import dataclass
from typing import Optional, Tuple

from . import _lib
from .errors import TensorPoolError, raise_last

_L = _lib.lib

# find_stream is called in slices this long, so Ctrl-C is seen between them (the C call re-asks every 250 ms with a
# fresh request id anyway, so slicing changes nothing on the wire).
_SLICE_S = 0.5


@dataclass(frozen=True)
class DiscoveredPool:
    """One payload pool of a discovered stream (tp_discovery_result_pool_t). Informational: never mapped from here."""

    pool_id: int
    pool_nslots: int
    stride_bytes: int
    region_uri: str


@dataclass(frozen=True)
class DiscoveredStream:
    """One stream a Discovery Provider knows (tp_discovery_result_t). The driver_* fields name the driver to attach
    through; the SHM layout fields are informational (the driver's lease decides what is mapped)."""

    stream_id: int
    producer_id: int
    epoch: int
    layout_version: int
    header_region_uri: str
    header_nslots: int
    header_slot_bytes: int
    max_dims: int
    pools: Tuple[DiscoveredPool, ...]
    data_source_id: Optional[int]  # None: not provided
    data_source_name: str
    tags: Tuple[str, ...]
    driver_instance_id: str
    driver_control_channel: str
    driver_control_stream_id: int

    @classmethod
    def _from_c(cls, r):
        def text(raw):
            return raw.decode("utf-8", "replace")

        count = min(r.pool_count, _lib.TP_DISCOVERY_RESULT_POOLS_MAX)
        pools = tuple(
            DiscoveredPool(p.pool_id, p.pool_nslots, p.stride_bytes, text(p.region_uri)) for p in r.pools[:count]
        )
        # name_length also counts bytes after an embedded NUL: take them from the raw array.
        name_length = min(r.name_length, _lib.TP_DISCOVERY_RESULT_NAME_MAX)
        name = ctypes.string_at(ctypes.addressof(r) + _lib.DiscoveryResult.data_source_name.offset, name_length)
        tag_count = min(r.tag_count, _lib.TP_DISCOVERY_RESULT_TAGS_MAX)
        return cls(
            stream_id=r.stream_id,
            producer_id=r.producer_id,
            epoch=r.epoch,
            layout_version=r.layout_version,
            header_region_uri=text(r.header_region_uri),
            header_nslots=r.header_nslots,
            header_slot_bytes=r.header_slot_bytes,
            max_dims=r.max_dims,
            pools=pools,
            data_source_id=None if r.data_source_id == _lib.TP_DISCOVERY_ANY_SOURCE_ID else r.data_source_id,
            data_source_name=text(name),
            tags=tuple(text(r.tags[i].value) for i in range(tag_count)),
            driver_instance_id=text(r.driver_instance_id),
            driver_control_channel=text(r.driver_control_channel),
            driver_control_stream_id=r.driver_control_stream_id,
        )


def _tag_list(tags):
    if isinstance(tags, (str, bytes)):
        tags = [tags]
    out = [t.encode() if isinstance(t, str) else bytes(t) for t in tags]
    if len(out) > _lib.TP_DISCOVERY_FILTER_TAGS_MAX:
        raise ValueError(f"at most {_lib.TP_DISCOVERY_FILTER_TAGS_MAX} tags, got {len(out)}")
    if any(not t for t in out):
        raise ValueError("a tag must not be empty")
    return out


def find_stream(client, name=None, tags=(), timeout=5.0, request_channel=None, request_stream_id=0):
    """See Client.find_stream."""
    client._check_open()
    tag_bytes = _tag_list(tags)
    if not name and not tag_bytes:
        raise ValueError("find_stream needs a name or at least one tag")
    if timeout is not None and timeout < 0:
        raise ValueError(f"timeout must be >= 0 seconds (or None: no limit), not {timeout}")
    parts = [f"name {name!r}"] if name else []
    if tag_bytes:
        parts.append(f"tags {[t.decode('utf-8', 'replace') for t in tag_bytes]}")
    what = ", ".join(parts)
    name_bytes = name.encode() if isinstance(name, str) else name
    tag_array = (ctypes.c_char_p * max(1, len(tag_bytes)))(*tag_bytes)

    config = _lib.DiscoveryClientConfig()
    _L.tp_discovery_client_config_init(ctypes.byref(config))
    channel_bytes = None if request_channel is None else request_channel.encode()  # kept alive until start returns
    config.request_channel = channel_bytes
    config.request_stream_id = request_stream_id
    dc = ctypes.c_void_p()
    if _L.tp_discovery_client_start(ctypes.byref(dc), client._handle, ctypes.byref(config)) < 0:
        raise_last("discovery client")
    try:
        result = _lib.DiscoveryResult()
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            step = _SLICE_S if deadline is None else min(_SLICE_S, max(0.0, deadline - time.monotonic()))
            rc = _L.tp_discovery_find_stream(dc, name_bytes, tag_array, len(tag_bytes), int(step * 1e9),
                                             ctypes.byref(result))  # fmt: skip
            if rc == 0:
                return DiscoveredStream._from_c(result)
            if _L.tp_errcode() != _lib.TP_ERR_TIMEOUT:
                raise_last(f"find_stream({what})")  # the provider answered ERROR, or the request cannot be sent
            if deadline is not None and time.monotonic() >= deadline:
                message = (_L.tp_errmsg() or b"").decode("utf-8", "replace")
                raise TensorPoolError(f"find_stream({what}): nothing found within {timeout:g} s; last attempt: "
                                      f"{message}", _lib.TP_ERR_TIMEOUT)  # fmt: skip
    finally:
        _L.tp_discovery_client_close(dc)
