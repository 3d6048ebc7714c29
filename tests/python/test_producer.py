"""The Python producer: to the C example consumer (which verifies every frame: bad must be 0) by offer and by
zero-copy claim; padded and column-major layouts to a Python consumer; metadata."""

import re
import time

import pytest
from conftest import np, pattern, python_stream, receive_one


def _summary(text):
    m = re.search(r"received=(\d+) verified=(\d+) bad=(\d+) drops_gap=(\d+) drops_late=(\d+)", text)
    assert m, text
    return dict(zip(("received", "verified", "bad", "drops_gap", "drops_late"), (int(x) for x in m.groups())))


@pytest.mark.parametrize("how", ["offer", "claim"])
def test_python_producer_to_c_consumer(env, how):
    shape = (24, 32)
    nbytes = 24 * 32 * 2
    consumer = env.c_consumer("--shape", "24x32", "--dtype", "uint16", "--frames", "40", "--duration", "60",
                              "--consumer-id", "77")  # fmt: skip
    with env.client() as client:
        producer = client.producer(stream_id=10, pools=[4096], header_nslots=16)
        assert producer.wait_consumers(1, timeout=30), env.output("consumer")
        sent = 0
        deadline = time.monotonic() + 60
        while consumer.poll() is None:
            assert time.monotonic() < deadline, env.output("consumer")
            if "offer" == how:
                seq = producer.next_seq
                producer.offer(pattern(seq, nbytes).view(np.uint16).reshape(shape))
            else:
                seq = producer.next_seq
                with producer.claim(shape, np.uint16) as arr:
                    assert arr.flags.writeable and arr.shape == shape
                    arr.reshape(-1).view(np.uint8)[:] = pattern(seq, nbytes)
                assert producer.last_seq == seq
            sent += 1
            producer.wait(0.005)
        assert consumer.returncode == 0, env.output("consumer")
        s = _summary(env.output("consumer"))
        assert s["received"] == 40 and s["bad"] == 0 and s["verified"] > 0, s
        assert producer.frames_committed == sent
        assert producer.counters["frames_committed"] == sent
        assert producer.epoch > 0 and producer.lease_state == "UNATTACHED"


def test_layouts_round_trip(env):
    client, producer, consumer = python_stream(env, 4, pools=(4096, 65536))
    with client:
        # Padded rows: 30 rows of 50 uint16 values, each row 128 bytes apart (not contiguous).
        with producer.claim((30, 50), np.uint16, strides=(128, 2)) as arr:
            assert arr.strides == (128, 2)
            arr[...] = np.arange(1500, dtype=np.uint16).reshape(30, 50)
        f = receive_one(producer, consumer)
        assert f.shape == (30, 50) and f.strides == (128, 2) and f.major_order == "row"
        assert not f.array.flags.c_contiguous
        assert np.array_equal(f.array, np.arange(1500, dtype=np.uint16).reshape(30, 50))
        assert f.is_intact()
        # Padded strides that are multiples of the item size still export through DLPack, zero copy.
        d = np.from_dlpack(f)
        assert d.strides == (128, 2) and d.ctypes.data == f.address and np.array_equal(d, f.array)

        # Column-major by claim (order "F") and by offering a Fortran-ordered array.
        with producer.claim((6, 7), np.float64, order="F") as arr:
            arr[...] = np.arange(42, dtype=np.float64).reshape(6, 7)
        f = receive_one(producer, consumer)
        assert f.major_order == "column" and f.strides == (8, 48)
        assert np.array_equal(f.array, np.arange(42, dtype=np.float64).reshape(6, 7))

        src = np.asfortranarray(np.arange(20, dtype=np.int32).reshape(4, 5))
        producer.offer(src)
        f = receive_one(producer, consumer)
        assert f.major_order == "column" and f.strides == (4, 16) and np.array_equal(f.array, src)

        # A non-contiguous slice is packed (C order) before the one copy.
        src = np.arange(100, dtype=np.int16).reshape(10, 10)[::2, 1::3]
        producer.offer(src)
        f = receive_one(producer, consumer)
        assert f.shape == (5, 3) and f.strides == (6, 2) and np.array_equal(f.array, src)
        assert np.array_equal(f.copy(), src)

        # A frame bigger than the first pool goes to the second.
        big = np.ones((100, 100), dtype=np.uint8)
        producer.offer(big)
        f = receive_one(producer, consumer)
        assert f.pool_id == 2 and np.array_equal(f.array, big)


def test_claim_aborts_on_exception(env):
    client, producer, consumer = python_stream(env, 4, pools=(4096, 65536))
    with client:
        seq = producer.next_seq
        with pytest.raises(RuntimeError, match="boom"):
            with producer.claim((8,), np.uint8) as arr:
                arr[:] = 1
                raise RuntimeError("boom")
        assert producer.counters["frames_aborted"] == 1
        assert producer.frames_committed == 0
        # The next claim commits normally, and the consumer sees only it.
        with producer.claim((8,), np.uint8) as arr:
            arr[:] = 2
        f = receive_one(producer, consumer)
        assert list(f.array) == [2] * 8
        assert f.seq >= seq


def test_metadata(env):
    client, producer, consumer = python_stream(env, 4, pools=(4096, 65536))
    with client:
        producer.set_meta({"tag": "camera", "gain": b"\x01\x02"})
        assert producer.meta_version >= 1
        deadline = time.monotonic() + 10
        while consumer.meta is None:
            assert time.monotonic() < deadline
            producer.poll()
            consumer.poll(lambda f: None)
        version, attributes = consumer.meta
        assert version == producer.meta_version
        assert ("tag", "text", b"camera") in attributes
        assert ("gain", "bytes", b"\x01\x02") in attributes
        producer.offer(np.zeros(4, dtype=np.uint8))
        assert receive_one(producer, consumer).meta_version == version
