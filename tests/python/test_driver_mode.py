"""Driver mode: the SHM driver (tp_driver) owns the regions and leases them. A C producer to a Python consumer and a
Python producer to the C consumer, every frame verified, leases ATTACHED."""

import os
import re
import time

import pytest
from conftest import np, pattern

DRIVER = os.environ.get("TP_DRIVER_BIN", "")


@pytest.fixture
def driver(env):
    if not DRIVER or not os.access(DRIVER, os.X_OK):
        pytest.skip(f"tp_driver not found (set by ctest; got {DRIVER!r})")
    config = os.path.join(env.dir, "driver.toml")
    with open(config, "w") as f:
        f.write(
            "[driver]\n"
            'instance_id = "pytest-driver"\n'
            f'aeron_dir = "{env.aeron_dir}"\n'
            'control_channel = "aeron:ipc"\n'
            'qos_channel = "aeron:ipc"\n'
            "[shm]\n"
            f'base_dir = "{env.shm_dir}"\n'
            "[profiles.cam]\n"
            "header_nslots = 16\n"
            "payload_pools = [ { pool_id = 1, stride_bytes = 262144 } ]\n"
            "[streams.cam]\n"
            "stream_id = 10\n"
            'profile = "cam"\n'
        )
    os.makedirs(env.shm_dir, mode=0o700, exist_ok=True)
    proc = env.spawn([DRIVER, "--config", config], "shm-driver")
    time.sleep(0.3)
    assert proc.poll() is None, env.output("shm-driver")
    return proc


def test_c_producer_to_python_consumer(env, driver):
    env.c_producer("--driver", "--shape", "240x320", "--dtype", "uint16", "--rate", "200", "--frames", "5000")
    with env.client(shm_driver=True) as client:
        consumer = client.consumer(stream_id=10)
        assert consumer.lease_state in ("ATTACHING", "ATTACHED")  # the consumer's start does not wait for the lease
        verified = 0
        for frame in consumer.frames(timeout=20, count=40):
            a = frame.array
            assert a.shape == (240, 320) and a.dtype == np.uint16
            same = np.array_equal(a.reshape(-1).view(np.uint8), pattern(frame.seq, a.nbytes))
            intact = frame.is_intact()
            assert same or not intact
            verified += intact
        assert verified > 0
        assert consumer.lease_state == "ATTACHED"
        assert consumer.transport_counters["lease"]["attaches"] >= 1


def test_python_producer_to_c_consumer(env, driver):
    consumer = env.c_consumer("--driver", "--shape", "24x32", "--dtype", "uint16", "--frames", "30", "--duration", "60")
    with env.client(shm_driver=True) as client:
        producer = client.producer(stream_id=10)
        assert producer.lease_state == "ATTACHED"
        deadline = time.monotonic() + 60
        while consumer.poll() is None:
            assert time.monotonic() < deadline, env.output("consumer")
            seq = producer.next_seq
            with producer.claim((24, 32), np.uint16) as arr:
                arr.reshape(-1).view(np.uint8)[:] = pattern(seq, 24 * 32 * 2)
            producer.wait(0.005)
    out = env.output("consumer")
    assert consumer.returncode == 0, out
    m = re.search(r"received=(\d+) verified=(\d+) bad=(\d+)", out)
    assert m and int(m.group(1)) == 30 and int(m.group(3)) == 0, out
