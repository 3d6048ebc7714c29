"""Discovery from Python: tp_driver's embedded provider answers Client.find_stream by name and by tags, a missing
name raises with the library's reason, and Client.consumer(name=...) attaches to the stream found and receives
frames verified against the test pattern. A driver-mode client refuses a stream served through another control
stream than its own."""

import pytest
from conftest import interrupt_when_ready, np, receive_verified, start_shm_driver

import tensorpool


@pytest.fixture
def discovery(env):
    """tp_driver with streams 10 and 11; C producers 'cam-x' (tags t1, front) on 10 and 'cam-y' (tag t2) on 11."""
    start_shm_driver(env, streams=(("left", 10), ("right", 11)), stride_bytes=65536)
    common = ("--driver", "--shape", "64x64", "--dtype", "uint16", "--rate", "100", "--duration", "120")
    env.c_producer(*common, "-s", "10", "--producer-id", "1", "--name", "cam-x", "--tag", "t1", "--tag", "front",
                   name="producer-10")  # fmt: skip
    env.c_producer(*common, "-s", "11", "--producer-id", "2", "--name", "cam-y", "--tag", "t2", name="producer-11")
    return env


def test_find_stream_by_name_and_tags(env, discovery):
    with env.client(shm_driver=True) as client:
        found = client.find_stream(name="cam-x", timeout=30)
        assert isinstance(found, tensorpool.DiscoveredStream)
        assert (found.stream_id, found.producer_id, found.data_source_name) == (10, 1, "cam-x")
        assert set(found.tags) == {"t1", "front"}
        assert found.epoch > 0
        assert found.driver_instance_id == "pytest-driver"
        assert (found.driver_control_channel, found.driver_control_stream_id) == (
            client.channel,
            client.control_stream_id,
        )
        assert found.header_nslots == 16 and found.header_slot_bytes > 0
        assert env.shm_dir in found.header_region_uri
        assert len(found.pools) == 1
        pool = found.pools[0]
        assert (pool.pool_id, pool.pool_nslots, pool.stride_bytes) == (1, 16, 65536)
        assert env.shm_dir in pool.region_uri

        # By tag alone (a list or one string), and name and tag together.
        assert client.find_stream(tags=["t2"], timeout=30).stream_id == 11
        assert client.find_stream(tags="t2", timeout=30).data_source_name == "cam-y"
        assert client.find_stream(tags=["front", "t1"], timeout=30).stream_id == 10
        assert client.find_stream(name="cam-y", tags=["t2"], timeout=30).producer_id == 2

        # Nothing matches: TensorPoolError with the library's reason and TP_ERR_TIMEOUT.
        missing = r"nothing found within 1 s.*no stream named 'no-such'"
        with pytest.raises(tensorpool.TensorPoolError, match=missing) as e:
            client.find_stream(name="no-such", timeout=1)
        assert e.value.code == 1010
        with pytest.raises(tensorpool.TensorPoolError, match="the provider found none"):
            client.find_stream(name="cam-x", tags=["t2"], timeout=1)  # each exists, not together
        with pytest.raises(ValueError, match="a name or at least one tag"):
            client.find_stream()
        with pytest.raises(ValueError, match="at most 32 tags"):
            client.find_stream(tags=[f"t{i}" for i in range(33)])


def test_find_stream_without_provider(env):
    # No tp_driver: nobody answers on the control stream.
    with env.client(shm_driver=True) as client:
        with pytest.raises(tensorpool.TensorPoolError, match="no provider answered"):
            client.find_stream(name="cam-x", timeout=1)


def test_consumer_by_name_receives_verified_frames(env, discovery):
    with env.client(shm_driver=True) as client:
        consumer = client.consumer(name="cam-x", tags=["t1"], discovery_timeout=30)
        assert consumer.stream_id == 10
        assert consumer.discovered.data_source_name == "cam-x"
        assert receive_verified(consumer, 30, (64, 64), np.uint16) > 0
        assert consumer.lease_state == "ATTACHED"

        by_tag = client.consumer(tags=["t2"], discovery_timeout=30)
        assert by_tag.stream_id == 11 and by_tag.discovered.producer_id == 2
        plain = client.consumer(stream_id=10)  # unchanged
        assert plain.stream_id == 10 and plain.discovered is None

        with pytest.raises(ValueError, match="not both"):
            client.consumer(stream_id=10, name="cam-x")
        with pytest.raises(ValueError, match="needs a stream_id"):
            client.consumer()
        with pytest.raises(tensorpool.TensorPoolError, match="no stream named 'no-such'"):
            client.consumer(name="no-such", discovery_timeout=0.5)


def test_consumer_refuses_a_stream_of_another_driver_channel(env, discovery):
    with env.client(shm_driver=True) as default:
        driver_stream = default.control_stream_id
    # This client attaches through another control stream; asked explicitly, the driver's provider still answers.
    other = driver_stream + 234
    with env.client(shm_driver=True, control_stream_id=other) as client:
        with pytest.raises(tensorpool.TensorPoolError) as e:
            client.consumer(name="cam-x", request_stream_id=driver_stream, discovery_timeout=30)
        message = str(e.value)
        assert f"served by driver 'pytest-driver' on aeron:ipc control stream {driver_stream}" in message
        assert f"this client attaches through aeron:ipc control stream {other}" in message


def test_channel_identity_ignores_tuning_parameters():
    from tensorpool.client import _channel_identity as identity

    assert identity("aeron:ipc?term-length=4m") == identity("aeron:ipc")
    assert identity("aeron:ipc?term-length=4m|session-id=7") != identity("aeron:ipc")
    udp = "aeron:udp?endpoint=10.0.0.1:40123"
    assert identity(udp + "|mtu=8k") == identity("aeron:udp?mtu=1408|endpoint=10.0.0.1:40123")
    assert identity("aeron:udp?endpoint=10.0.0.1:40123") != identity("aeron:udp?endpoint=10.0.0.2:40123")
    assert identity("aeron:udp?endpoint=10.0.0.1:40123") != identity("aeron:ipc")


def test_ctrl_c_ends_find_stream_without_timeout(env):
    # No provider and no timeout: only Ctrl-C ends the search, and it is seen between the C calls.
    script = (
        "import sys, tensorpool\n"
        "c = tensorpool.Client(aeron_dir=sys.argv[1], shm_base_dir=sys.argv[2], shm_driver=True)\n"
        "print('ready', flush=True)\n"
        "try:\n"
        "    c.find_stream(name='never', timeout=None)\n"
        "except KeyboardInterrupt:\n"
        "    c.close()\n"
        "    print('interrupted', flush=True)\n"
    )
    interrupt_when_ready(script, [env.aeron_dir, env.shm_dir], settle=1.0)  # settle: inside find_stream
