"""Bad arguments raise clear exceptions; the library search says what it tried; Ctrl-C ends a blocking iteration;
the ctypes structs match the C headers."""

import os
import shutil
import subprocess
import sys
import tempfile

import pytest
from conftest import interrupt_when_ready, np

import tensorpool

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))


def test_bad_arguments(env):
    client = env.client()
    producer = client.producer(stream_id=5, pools=[4096], header_nslots=8)
    for bad in ("float16", np.complex64, "nonsense", object):
        with pytest.raises(TypeError, match="dtype"):
            producer.offer(np.zeros(4, dtype=bad) if bad != "nonsense" else np.zeros(4, dtype="V4"))
        with pytest.raises(TypeError, match="dtype"):
            with producer.claim((4,), bad):
                pass
    # Too big for the one 4096-byte pool: refused before anything is written, by offer and by claim.
    with pytest.raises(ValueError, match="8192 bytes fits no pool"):
        producer.offer(np.zeros(8192, dtype=np.uint8))
    with pytest.raises(ValueError, match="fits no pool"):
        with producer.claim((64, 64), np.uint16):
            pytest.fail("a claim too big for the pools must not be granted")
    with pytest.raises(ValueError, match="dimensions"):
        producer.offer(np.float32(1.0))
    with pytest.raises(ValueError, match="dimensions"):
        producer.offer(np.zeros((1,) * 9, dtype=np.uint8))
    with pytest.raises(ValueError, match="strides"):
        with producer.claim((4, 4), np.uint8, strides=(4,)):
            pass
    with pytest.raises(tensorpool.TensorPoolError, match="layout"):
        with producer.claim((4, 4), np.uint16, strides=(2, 2)):  # overlapping rows
            pass
    assert producer.counters["drops_no_pool"] == 2  # the offer and the claim
    with pytest.raises(ValueError, match="pools"):
        client.producer(stream_id=6, pools=[])
    # A stride the C library refuses: its tp_errmsg() is in the exception.
    with pytest.raises(tensorpool.TensorPoolError, match="stride"):
        client.producer(stream_id=6, pools=[5000])

    consumer = client.consumer(stream_id=5)
    client.close()
    assert client.closed and consumer.closed and producer.closed
    with pytest.raises(tensorpool.TensorPoolError, match="client is closed"):
        client.consumer(stream_id=5)
    with pytest.raises(tensorpool.TensorPoolError, match="client is closed"):
        client.producer(stream_id=5)
    with pytest.raises(tensorpool.TensorPoolError, match="consumer is closed"):
        next(iter(consumer.frames(timeout=1)))
    with pytest.raises(tensorpool.TensorPoolError, match="producer is closed"):
        producer.offer(np.zeros(4, dtype=np.uint8))
    with pytest.raises(tensorpool.TensorPoolError, match="producer is closed"):
        producer.wait_consumers(1, timeout=0)  # not a NULL handle into the C library
    with pytest.raises(tensorpool.TensorPoolError, match="producer is closed"):
        producer.wait(0)
    client.close()  # idempotent


def test_no_media_driver():
    d = tempfile.mkdtemp(prefix="tp-pytest-", dir="/dev/shm")
    try:
        with pytest.raises(tensorpool.TensorPoolError, match="client") as e:
            tensorpool.Client(aeron_dir=os.path.join(d, "nothing"), driver_timeout=0.5)
        assert e.value.code != 0
    finally:
        shutil.rmtree(d)


def _python_env(**extra):
    env = dict(os.environ)
    env.update(extra)
    return env


def test_library_not_found_names_what_was_tried():
    env = _python_env(TENSORPOOL_LIBRARY="/nonexistent/libtensorpool.so")
    r = subprocess.run([sys.executable, "-c", "import tensorpool"], env=env, capture_output=True, text=True)
    assert r.returncode != 0
    assert "ImportError" in r.stderr
    assert "TENSORPOOL_LIBRARY" in r.stderr and "/nonexistent/libtensorpool.so (no such file)" in r.stderr


def test_ctrl_c_ends_blocking_iteration(env):
    script = (
        "import sys, tensorpool\n"
        "c = tensorpool.Client(aeron_dir=sys.argv[1], shm_base_dir=sys.argv[2])\n"
        "consumer = c.consumer(stream_id=99)\n"
        "print('ready', flush=True)\n"
        "try:\n"
        "    for frame in consumer.frames():\n"
        "        pass\n"
        "except KeyboardInterrupt:\n"
        "    c.close()\n"
        "    print('interrupted', flush=True)\n"
    )
    # settle: inside the iteration, no frame will ever come
    interrupt_when_ready(script, [env.aeron_dir, env.shm_dir], settle=0.3)


def test_struct_layouts_match_the_headers():
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler to check the struct layouts with")
    from tensorpool import _lib as L

    checks = {
        "tp_tensor_desc_t": L.TensorDesc,
        "tp_tensor_view_t": L.TensorView,
        "tp_consumer_frame_t": L.ConsumerFrame,
        "tp_consumer_config_t": L.ConsumerConfig,
        "tp_producer_config_t": L.ProducerConfig,
        "tp_producer_claim_t": L.ProducerClaim,
        "tp_producer_meta_attribute_t": L.MetaAttribute,
        "tp_consumer_counters_t": L.ConsumerCounters,
        "tp_consumer_transport_counters_t": L.ConsumerTransportCounters,
        "tp_producer_counters_t": L.ProducerCounters,
        "tp_producer_transport_counters_t": L.ProducerTransportCounters,
        "tp_discovery_client_config_t": L.DiscoveryClientConfig,
        "tp_discovery_result_pool_t": L.DiscoveryResultPool,
        "tp_discovery_result_t": L.DiscoveryResult,
    }
    lines = ["#include <stddef.h>", "#include <stdio.h>", '#include "tensorpool/tensorpool.h"',
             '#include "tensorpool/tp_discovery.h"', "int main(void) {"]  # fmt: skip
    expected = []
    for c_name, py in checks.items():
        for field, _ in py._fields_:
            lines.append(f'printf("%zu\\n", offsetof({c_name}, {field}));')
            expected.append(getattr(py, field).offset)
        lines.append(f'printf("%zu\\n", sizeof({c_name}));')
        expected.append(__import__("ctypes").sizeof(py))
    constants = {
        "TP_CHANNEL_MAX": L.TP_CHANNEL_MAX,
        "TP_DISCOVERY_RESULT_URI_MAX": L.TP_DISCOVERY_RESULT_URI_MAX,
        "TP_DISCOVERY_RESULT_NAME_MAX": L.TP_DISCOVERY_RESULT_NAME_MAX,
        "TP_DISCOVERY_RESULT_ID_MAX": L.TP_DISCOVERY_RESULT_ID_MAX,
        "TP_DISCOVERY_RESULT_POOLS_MAX": L.TP_DISCOVERY_RESULT_POOLS_MAX,
        "TP_DISCOVERY_RESULT_TAGS_MAX": L.TP_DISCOVERY_RESULT_TAGS_MAX,
        "TP_DISCOVERY_RESULT_TAG_MAX": L.TP_DISCOVERY_RESULT_TAG_MAX,
        "TP_DISCOVERY_FILTER_TAGS_MAX": L.TP_DISCOVERY_FILTER_TAGS_MAX,
        "TP_DISCOVERY_ANY_SOURCE_ID": L.TP_DISCOVERY_ANY_SOURCE_ID,
        "TP_ERR_TIMEOUT": L.TP_ERR_TIMEOUT,
        "TP_STREAM_CONTROL": L.TP_STREAM_CONTROL,
    }
    for c_name, value in constants.items():
        lines.append(f'printf("%llu\\n", (unsigned long long)({c_name}));')
        expected.append(value)
    lines.append("return 0; }")
    d = tempfile.mkdtemp(prefix="tp-pytest-layout-")
    try:
        src = os.path.join(d, "layout.c")
        with open(src, "w") as f:
            f.write("\n".join(lines))
        exe = os.path.join(d, "layout")
        subprocess.run([cc, "-std=c11", "-I", os.path.join(SOURCE, "include"), src, "-o", exe], check=True,
                       env=_python_env(LD_PRELOAD=""))  # fmt: skip
        out = subprocess.run([exe], check=True, capture_output=True, text=True, env=_python_env(LD_PRELOAD=""))
        assert [int(x) for x in out.stdout.split()] == expected
    finally:
        shutil.rmtree(d)
