"""Driver mode: the SHM driver (tp_driver) owns the regions and leases them. A C producer to a Python consumer and a
Python producer to the C consumer, every frame verified, leases ATTACHED."""

import re
import time

import pytest
from conftest import np, pattern, receive_verified, start_shm_driver


@pytest.fixture
def driver(env):
    return start_shm_driver(env)


def test_c_producer_to_python_consumer(env, driver):
    env.c_producer("--driver", "--shape", "240x320", "--dtype", "uint16", "--rate", "200", "--frames", "5000")
    with env.client(shm_driver=True) as client:
        consumer = client.consumer(stream_id=10)
        assert consumer.lease_state in ("ATTACHING", "ATTACHED")  # the consumer's start does not wait for the lease
        assert receive_verified(consumer, 40, (240, 320), np.uint16) > 0
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
