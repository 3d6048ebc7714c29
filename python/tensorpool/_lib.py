"""Loading libtensorpool and the ctypes mirror of the C structs the binding uses.

The structs below mirror include/tensorpool/*.h field by field; ctypes applies the platform's C alignment rules,
so the layouts match as long as the field lists do. Only what the binding touches is declared.
"""

import ctypes
import ctypes.util
import os
import sys

_LIBRARY_NAME = "libtensorpool.so"

TP_MAX_DIMS = 8
TP_CHANNEL_MAX = 256
TP_PRODUCER_MAX_POOLS = 8
TP_PRODUCER_NAME_MAX = 128
TP_CONSUMER_POLL_SOURCES = 6
TP_DISCOVERY_ANY_SOURCE_ID = (1 << 64) - 1
TP_DISCOVERY_RESULT_URI_MAX = 1024
TP_DISCOVERY_RESULT_NAME_MAX = 256
TP_DISCOVERY_RESULT_ID_MAX = 256
TP_DISCOVERY_RESULT_POOLS_MAX = 8
TP_DISCOVERY_RESULT_TAGS_MAX = 16
TP_DISCOVERY_RESULT_TAG_MAX = 64
TP_DISCOVERY_FILTER_TAGS_MAX = 32
TP_ERR_TIMEOUT = 1010  # tp_error.h
TP_STREAM_CONTROL = 2  # tp_sink.h

_u8, _u16, _u32, _u64 = ctypes.c_uint8, ctypes.c_uint16, ctypes.c_uint32, ctypes.c_uint64
_i32, _i64 = ctypes.c_int32, ctypes.c_int64
_enum = ctypes.c_int  # C enums with small values are int-sized on every ABI we build for


def _tensor_fields(stride_type):
    """The fields tp_tensor_desc_t and tp_tensor_view_t start with; only the stride width differs."""
    return [
        ("dtype", _enum),
        ("major_order", _enum),
        ("ndims", _u8),
        ("progress_unit", _enum),
        ("progress_stride_bytes", _u32),
        ("dims", _i32 * TP_MAX_DIMS),
        ("strides", stride_type * TP_MAX_DIMS),
    ]


class TensorDesc(ctypes.Structure):
    """tp_tensor_desc_t (tp_tensor.h)."""

    _fields_ = _tensor_fields(_i32)


class TensorView(ctypes.Structure):
    """tp_tensor_view_t (tp_tensor.h)."""

    _fields_ = _tensor_fields(_i64) + [
        ("values_len_bytes", _u32),
        ("payload_slot", _u32),
        ("pool_id", _u16),
        ("timestamp_ns", _u64),
        ("meta_version", _u32),
        ("seq", _u64),
    ]


class ConsumerFrame(ctypes.Structure):
    """tp_consumer_frame_t (tp_consumer_core.h)."""

    _fields_ = [
        ("payload", ctypes.c_void_p),
        ("payload_length", _u32),
        ("seq", _u64),
        ("epoch", _u64),
        ("header_index", _u32),
        ("tensor", TensorView),
        ("commit_word", ctypes.c_void_p),
    ]


class ConsumerConfig(ctypes.Structure):
    """tp_consumer_config_t (tp_consumer.h); handlers stay NULL (the binding polls with tp_consumer_poll_frames)."""

    _fields_ = [
        ("stream_id", _u32),
        ("consumer_id", _u32),
        ("layout_version", _u32),
        ("mode", _u8),
        ("max_rate_hz", _u32),
        ("max_outstanding_seq_gap", _u64),
        ("supports_progress", ctypes.c_bool),
        ("progress_interval_us", _u32),
        ("progress_bytes_delta", _u32),
        ("progress_major_delta_units", _u32),
        ("descriptor_stream_id", _u32),
        ("descriptor_channel", ctypes.c_char * TP_CHANNEL_MAX),
        ("control_stream_id", _u32),
        ("control_channel", ctypes.c_char * TP_CHANNEL_MAX),
        ("on_frame", ctypes.c_void_p),
        ("on_progress", ctypes.c_void_p),
        ("on_config", ctypes.c_void_p),
        ("clientd", ctypes.c_void_p),
        ("on_lease_state", ctypes.c_void_p),
        ("lease_clientd", ctypes.c_void_p),
    ]


class PoolConfig(ctypes.Structure):
    """tp_producer_pool_config_t (tp_producer_core.h)."""

    _fields_ = [("pool_id", _u16), ("stride_bytes", _u32)]


class ProducerConfig(ctypes.Structure):
    """tp_producer_config_t (tp_producer.h)."""

    _fields_ = [
        ("stream_id", _u32),
        ("producer_id", _u32),
        ("layout_version", _u32),
        ("header_nslots", _u32),
        ("pools", PoolConfig * TP_PRODUCER_MAX_POOLS),
        ("pool_count", ctypes.c_size_t),
        ("namespace_name", ctypes.c_char * TP_PRODUCER_NAME_MAX),
        ("instance_id", ctypes.c_char * TP_PRODUCER_NAME_MAX),
        ("source_name", ctypes.c_char * TP_PRODUCER_NAME_MAX),
        ("require_hugepages", ctypes.c_bool),
        ("max_consumers", ctypes.c_size_t),
        ("progress_interval_default_ns", _u64),
        ("progress_bytes_default", _u64),
        ("progress_interval_floor_ns", _u64),
        ("progress_bytes_floor", _u64),
        ("driver_require_existing", ctypes.c_bool),
        ("on_lease_state", ctypes.c_void_p),
        ("lease_clientd", ctypes.c_void_p),
    ]


class ProducerClaim(ctypes.Structure):
    """tp_producer_claim_t (tp_producer_core.h)."""

    _fields_ = [
        ("payload", ctypes.c_void_p),
        ("capacity", _u32),
        ("length", _u32),
        ("seq", _u64),
        ("header_index", _u32),
        ("pool_id", _u16),
    ]


class MetaAttribute(ctypes.Structure):
    """tp_producer_meta_attribute_t / tp_consumer_meta_attribute_t (same layout)."""

    _fields_ = [
        ("key", ctypes.c_char_p),
        ("format", ctypes.c_char_p),
        ("value", ctypes.c_void_p),
        ("value_length", _u32),
    ]


class DiscoveryClientConfig(ctypes.Structure):
    """tp_discovery_client_config_t (tp_discovery.h)."""

    _fields_ = [
        ("request_channel", ctypes.c_char_p),
        ("request_stream_id", _u32),
        ("response_channel", ctypes.c_char_p),
        ("response_stream_id", _u32),
        ("client_id", _u32),
        ("resend_interval_ns", _u64),
    ]


class DiscoveryResultPool(ctypes.Structure):
    """tp_discovery_result_pool_t (tp_discovery.h)."""

    _fields_ = [
        ("pool_id", _u16),
        ("pool_nslots", _u32),
        ("stride_bytes", _u32),
        ("region_uri", ctypes.c_char * (TP_DISCOVERY_RESULT_URI_MAX + 1)),
    ]


class DiscoveryResult(ctypes.Structure):
    """tp_discovery_result_t (tp_discovery.h)."""

    _fields_ = [
        ("stream_id", _u32),
        ("producer_id", _u32),
        ("epoch", _u64),
        ("layout_version", _u32),
        ("header_region_uri", ctypes.c_char * (TP_DISCOVERY_RESULT_URI_MAX + 1)),
        ("header_nslots", _u32),
        ("header_slot_bytes", _u16),
        ("max_dims", _u8),
        ("pool_count", _u32),
        ("pools", DiscoveryResultPool * TP_DISCOVERY_RESULT_POOLS_MAX),
        ("data_source_id", _u64),
        ("data_source_name", ctypes.c_char * (TP_DISCOVERY_RESULT_NAME_MAX + 1)),
        ("name_length", _u32),
        ("tag_count", _u32),
        ("tags", (ctypes.c_char * (TP_DISCOVERY_RESULT_TAG_MAX + 1)) * TP_DISCOVERY_RESULT_TAGS_MAX),
        ("driver_instance_id", ctypes.c_char * (TP_DISCOVERY_RESULT_ID_MAX + 1)),
        ("driver_control_channel", ctypes.c_char * TP_CHANNEL_MAX),
        ("driver_control_stream_id", _u32),
    ]


def _counters(name, fields, lease=None):
    """A struct of uint64_t counters named fields, then (transport counters) the LeaseCounters struct `lease`."""
    extra = [] if lease is None else [("lease", lease)]
    return type(name, (ctypes.Structure,), {"_fields_": [(f, _u64) for f in fields] + extra})


def to_dict(struct):
    """A counters struct as a dict (nested structs as nested dicts), in field order."""
    return {
        name: to_dict(value) if isinstance(value, ctypes.Structure) else value
        for name, value in ((name, getattr(struct, name)) for name, _ in struct._fields_)
    }


LeaseCounters = _counters(
    "LeaseCounters", ["attaches", "attach_failures", "revocations", "reattaches", "keepalives_sent", "driver_shutdowns"]
)

ConsumerCounters = _counters(
    "ConsumerCounters",
    [
        "frames_accepted", "drops_gap", "drops_late", "drops_invalid", "drops_unmapped", "descriptors_wrong_epoch",
        "descriptors_replayed", "descriptors_other_stream", "resyncs", "announces_stale", "announces_replayed",
        "announces_old_epoch", "regions_rejected", "maps", "remaps", "producer_stale_unmaps", "configs_received",
        "progress_accepted", "progress_dropped", "meta_accepted", "meta_rejected", "foreign_messages",
        "unknown_templates", "malformed_messages", "sink_refusals",
    ],
)  # fmt: skip


# tp_consumer_transport_counters_t (tp_consumer.h)
ConsumerTransportCounters = _counters(
    "ConsumerTransportCounters",
    [
        "fragments_received", "messages_received", "offers_back_pressured", "offers_not_connected", "offers_failed",
        "images_available", "images_unavailable", "consumer_subscriptions_opened", "consumer_subscriptions_closed",
    ],
    LeaseCounters,
)  # fmt: skip


ProducerCounters = _counters(
    "ProducerCounters",
    [
        "frames_committed", "frames_aborted", "drops_no_pool", "drops_bad_tensor", "sink_refusals",
        "descriptors_queued", "descriptors_reoffered", "descriptors_dropped_reused", "descriptors_not_connected",
        "descriptors_rate_limited", "progress_sent", "consumers_granted", "consumers_declined", "consumers_stale",
        "consumers_rejected_full", "foreign_messages", "unknown_templates", "malformed_messages",
    ],
)  # fmt: skip


# tp_producer_transport_counters_t (tp_producer.h)
ProducerTransportCounters = _counters(
    "ProducerTransportCounters",
    [
        "offers_back_pressured", "offers_not_connected", "offers_failed", "consumer_publications_opened",
        "consumer_publications_closed", "fragments_received",
    ],
    LeaseCounters,
)  # fmt: skip


def _candidates():
    """Where to look, in order: the env var alone when set; else the build tree, the install prefix, the loader."""
    explicit = os.environ.get("TENSORPOOL_LIBRARY")
    if explicit:
        return [explicit], True
    here = os.path.dirname(os.path.abspath(__file__))
    paths = [
        # Used from the source tree: python/tensorpool/ beside build/src/.
        os.path.join(here, "..", "..", "build", "src", _LIBRARY_NAME),
        os.path.join(sys.prefix, "lib", _LIBRARY_NAME),
        os.path.join("/usr/local/lib", _LIBRARY_NAME),
    ]
    found = ctypes.util.find_library("tensorpool")
    if found:
        paths.append(found)
    paths.append(_LIBRARY_NAME)  # the dynamic loader's own search (LD_LIBRARY_PATH, ld.so.cache)
    return [os.path.normpath(p) if os.sep in p else p for p in paths], False


def _load():
    paths, explicit = _candidates()
    tried = []
    for path in paths:
        if os.sep in path and not os.path.exists(path):
            tried.append(f"{path} (no such file)")
            continue
        try:
            return ctypes.CDLL(path)
        except OSError as e:
            tried.append(f"{path} ({e})")
    how = "TENSORPOOL_LIBRARY" if explicit else "TENSORPOOL_LIBRARY is not set; searched"
    raise ImportError(
        f"tensorpool: cannot load {_LIBRARY_NAME}: {how}: " + "; ".join(tried)
        + ". Build the C library (cmake --build build) and set TENSORPOOL_LIBRARY=/path/to/libtensorpool.so,"
        " or install it (cmake --install build)."
    )


lib = _load()

_P = ctypes.c_void_p
_SIGNATURES = {
    "tp_errmsg": (ctypes.c_char_p, []),
    "tp_errcode": (ctypes.c_int, []),
    "tp_lease_state_name": (ctypes.c_char_p, [_enum]),
    "tp_context_init": (ctypes.c_int, [ctypes.POINTER(_P)]),
    "tp_context_close": (ctypes.c_int, [_P]),
    "tp_context_set_aeron_dir": (ctypes.c_int, [_P, ctypes.c_char_p]),
    "tp_context_set_shm_base_dir": (ctypes.c_int, [_P, ctypes.c_char_p]),
    "tp_context_add_allowed_dir": (ctypes.c_int, [_P, ctypes.c_char_p]),
    "tp_context_set_channel": (ctypes.c_int, [_P, ctypes.c_char_p]),
    "tp_context_set_control_stream_id": (ctypes.c_int, [_P, _u32]),
    "tp_context_set_descriptor_stream_id": (ctypes.c_int, [_P, _u32]),
    "tp_context_set_qos_stream_id": (ctypes.c_int, [_P, _u32]),
    "tp_context_set_metadata_stream_id": (ctypes.c_int, [_P, _u32]),
    "tp_context_set_announce_interval_ns": (ctypes.c_int, [_P, _u64]),
    "tp_context_set_client_mode": (ctypes.c_int, [_P, _enum]),
    "tp_context_set_idle_strategy": (ctypes.c_int, [_P, ctypes.c_char_p]),
    "tp_context_set_start_timeout_ms": (ctypes.c_int, [_P, _u64]),
    "tp_context_set_driver_timeout_ms": (ctypes.c_int, [_P, _u64]),
    "tp_context_set_shm_driver": (ctypes.c_int, [_P, ctypes.c_bool]),
    "tp_client_start": (ctypes.c_int, [ctypes.POINTER(_P), _P]),
    "tp_client_do_work": (ctypes.c_int, [_P]),
    "tp_client_idle": (None, [_P, ctypes.c_int]),
    "tp_client_is_closed": (ctypes.c_bool, [_P]),
    "tp_client_close": (ctypes.c_int, [_P]),
    "tp_client_context": (_P, [_P]),
    "tp_context_get_channel": (ctypes.c_char_p, [_P]),
    "tp_context_get_stream_id": (_u32, [_P, _enum]),
    "tp_context_get_shm_driver": (ctypes.c_bool, [_P]),
    "tp_discovery_client_config_init": (None, [ctypes.POINTER(DiscoveryClientConfig)]),
    "tp_discovery_client_start": (ctypes.c_int, [ctypes.POINTER(_P), _P, ctypes.POINTER(DiscoveryClientConfig)]),
    "tp_discovery_client_close": (ctypes.c_int, [_P]),
    "tp_discovery_find_stream": (
        ctypes.c_int,
        [_P, ctypes.c_char_p, ctypes.POINTER(ctypes.c_char_p), ctypes.c_size_t, _u64, ctypes.POINTER(DiscoveryResult)],
    ),
    "tp_consumer_config_init": (None, [ctypes.POINTER(ConsumerConfig)]),
    "tp_consumer_start": (ctypes.c_int, [ctypes.POINTER(_P), _P, ctypes.POINTER(ConsumerConfig)]),
    "tp_consumer_poll_frames": (
        ctypes.c_int,
        [_P, ctypes.POINTER(ConsumerFrame), ctypes.c_size_t, ctypes.POINTER(ctypes.c_size_t)],
    ),
    "tp_consumer_frame_is_intact": (ctypes.c_bool, [ctypes.POINTER(ConsumerFrame)]),
    "tp_consumer_is_mapped": (ctypes.c_bool, [_P]),
    "tp_consumer_lease_state": (_enum, [_P]),
    "tp_consumer_epoch": (_u64, [_P]),
    "tp_consumer_counters": (ctypes.POINTER(ConsumerCounters), [_P]),
    "tp_consumer_transport_counters": (ctypes.POINTER(ConsumerTransportCounters), [_P]),
    "tp_consumer_last_error": (ctypes.c_char_p, [_P]),
    "tp_consumer_meta": (ctypes.c_bool, [_P, ctypes.POINTER(_u32), ctypes.POINTER(ctypes.c_size_t)]),
    "tp_consumer_meta_attribute": (ctypes.c_int, [_P, ctypes.c_size_t, ctypes.POINTER(MetaAttribute)]),
    "tp_consumer_close": (ctypes.c_int, [_P]),
    "tp_producer_config_init": (None, [ctypes.POINTER(ProducerConfig)]),
    "tp_producer_start": (ctypes.c_int, [ctypes.POINTER(_P), _P, ctypes.POINTER(ProducerConfig)]),
    "tp_producer_offer": (ctypes.c_int, [_P, ctypes.POINTER(TensorDesc), _P, _u32, _u64]),
    "tp_producer_claim": (ctypes.c_int, [_P, _u32, ctypes.POINTER(TensorDesc), ctypes.POINTER(ProducerClaim)]),
    "tp_producer_commit": (
        ctypes.c_int,
        [_P, ctypes.POINTER(ProducerClaim), ctypes.POINTER(TensorDesc), _u64],
    ),
    "tp_producer_abort": (ctypes.c_int, [_P, ctypes.POINTER(ProducerClaim)]),
    "tp_producer_set_meta": (ctypes.c_int, [_P, ctypes.POINTER(MetaAttribute), ctypes.c_size_t]),
    "tp_producer_meta_version": (_u32, [_P]),
    "tp_producer_poll": (ctypes.c_int, [_P, ctypes.c_int]),
    "tp_producer_epoch": (_u64, [_P]),
    "tp_producer_lease_state": (_enum, [_P]),
    "tp_producer_next_seq": (_u64, [_P]),
    "tp_producer_consumer_count": (ctypes.c_size_t, [_P]),
    "tp_producer_counters": (ctypes.POINTER(ProducerCounters), [_P]),
    "tp_producer_transport_counters": (ctypes.POINTER(ProducerTransportCounters), [_P]),
    "tp_producer_header_path": (ctypes.c_char_p, [_P]),
    "tp_producer_close": (ctypes.c_int, [_P]),
}


def _bind():
    missing = []
    for name, (restype, argtypes) in _SIGNATURES.items():
        try:
            fn = getattr(lib, name)
        except AttributeError:
            missing.append(name)
            continue
        fn.restype = restype
        fn.argtypes = argtypes
    if missing:
        raise ImportError(
            f"tensorpool: {lib._name} lacks {', '.join(missing)}: it is older than this binding; rebuild the C library"
        )


_bind()
