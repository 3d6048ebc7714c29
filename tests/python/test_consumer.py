"""The Python consumer against the C example producer (and against Python producers): every frame's values,
dtype, shape and strides; zero copy; DLPack; overwrite detection; a producer restart while iterating."""

import signal
import threading
import time

import pytest
from conftest import check_frame, mapping_of, np, python_stream, receive_one

import tensorpool


def _verify(frame, dtype, shape):
    """True when the frame is the pattern of its seq, False when the slot was overwritten meanwhile; asserts
    everything else (a frame handed over intact but wrong fails the test)."""
    a = frame.array
    assert a.dtype == np.dtype(dtype)
    assert a.shape == shape
    itemsize = a.dtype.itemsize
    expected_strides = tuple(int(np.prod(shape[i + 1 :])) * itemsize for i in range(len(shape)))
    assert a.strides == expected_strides == frame.strides
    assert not a.flags.writeable
    raw = a.reshape(-1).view(np.uint8)  # contiguous: a view, not a copy
    assert raw.ctypes.data == a.ctypes.data
    return check_frame(frame)


@pytest.mark.parametrize(
    "dtype,shape",
    [("uint8", (48, 64)), ("uint16", (240, 320)), ("float32", (8, 8, 3)), ("int64", (100,)), ("float64", (2, 3, 4, 5))],
)
def test_c_producer_to_python_consumer(env, dtype, shape):
    dims = "x".join(str(d) for d in shape)
    producer = env.c_producer("--shape", dims, "--dtype", dtype, "--rate", "500", "--frames", "2000",
                              "--wait-consumers", "1")  # fmt: skip
    with env.client() as client:
        consumer = client.consumer(stream_id=10)
        verified = overwritten = 0
        last_seq = -1
        for frame in consumer.frames(timeout=15, count=60):
            assert frame.seq > last_seq
            last_seq = frame.seq
            # Zero copy: the array's memory is the producer's pool file, mapped into this process.
            m = mapping_of(frame.array.ctypes.data)
            assert m is not None and m[2].startswith(env.shm_dir), m
            assert m[0] <= frame.address and frame.address + frame.nbytes <= m[1]
            if _verify(frame, dtype, shape):
                verified += 1
            else:
                overwritten += 1
        assert verified + overwritten == 60
        assert verified > 0
        assert consumer.epoch > 0 and consumer.lease_state == "UNATTACHED" and consumer.is_mapped
        assert consumer.frames_accepted >= 60
        assert consumer.counters["maps"] == 1
        consumer.close()
    producer.send_signal(2)
    assert producer.wait(20) == 0


def test_overwrite_is_detected(env):
    client, producer, consumer = python_stream(env, 3, header_nslots=4)
    with client:
        first = np.full((16, 16), 7, dtype=np.uint16)
        seq = producer.offer(first)
        frame = receive_one(producer, consumer, seq)
        view = frame.array
        assert np.array_equal(view, first)
        assert frame.is_intact()
        assert np.array_equal(frame.copy(), first)
        # Lap the ring (4 header slots, one pool of 4096-byte slots) while the view is held and not polled.
        for i in range(8):
            producer.offer(np.full((16, 16), 100 + i, dtype=np.uint16))
        assert not frame.is_intact()
        with pytest.raises(tensorpool.FrameOverwritten):
            frame.copy()
        # The view itself now shows the producer's newer bytes: exactly why is_intact() exists.
        assert not np.array_equal(view, first)


def test_views_after_close_are_detectable(env):
    client, producer, consumer = python_stream(env, 3)
    with client:
        seq = producer.offer(np.arange(10, dtype=np.int32))
        frame = receive_one(producer, consumer, seq)
        assert frame.is_valid() and frame.is_intact()
        consumer.close()
        assert not frame.is_valid() and not frame.is_intact()
        with pytest.raises(tensorpool.FrameOverwritten):
            frame.copy()
        with pytest.raises(BufferError):
            np.from_dlpack(frame)
        with pytest.raises(tensorpool.TensorPoolError):
            consumer.drops_gap


def test_dlpack_is_zero_copy(env):
    client, producer, consumer = python_stream(env, 3)
    with client:
        sent = np.arange(12 * 5, dtype=np.float32).reshape(12, 5)
        frame = receive_one(producer, consumer, producer.offer(sent))
        assert frame.__dlpack_device__() == (1, 0)
        d = np.from_dlpack(frame)
        assert d.ctypes.data == frame.address
        assert d.shape == (12, 5) and d.strides == (20, 4) and d.dtype == np.float32
        assert np.array_equal(d, sent)
        assert frame.is_intact()
        # A capsule nobody consumed is released by its destructor (no leak, no crash).
        capsule = frame.__dlpack__()
        del capsule
        del d
        # Booleans: numpy 1.24 has no DLPack bool; refused instead of mislabelled.
        bframe = receive_one(producer, consumer, producer.offer(np.array([True, False, True])))
        assert bframe.array.dtype == np.bool_ and list(bframe.array) == [True, False, True]
        with pytest.raises(BufferError):
            bframe.__dlpack__()


def test_producer_restart_while_iterating(env):
    args = ("--shape", "32x32", "--dtype", "uint8", "--rate", "200")
    first = env.c_producer(*args, name="first")
    stop_first = threading.Event()

    def restart():
        # Once the consumer has frames of the first producer, it is stopped (removing its regions) and a successor
        # takes over the stream with a new epoch, while the consumer below keeps iterating.
        if stop_first.wait(60):
            first.send_signal(signal.SIGINT)
            first.wait(30)
            env.c_producer(*args, name="second")

    restarter = threading.Thread(target=restart)
    restarter.start()
    try:
        with env.client() as client:
            consumer = client.consumer(stream_id=10)
            epochs = []
            seqs = []
            held = None
            give_up = time.monotonic() + 90
            for frame in consumer.frames(timeout=30):
                if not epochs or epochs[-1] != frame.epoch:
                    epochs.append(frame.epoch)
                    seqs.append([])
                seqs[-1].append(frame.seq)
                _verify(frame, "uint8", (32, 32))
                if len(epochs) == 1:
                    held = frame
                    if len(seqs[0]) == 20:
                        stop_first.set()
                elif len(seqs[-1]) >= 20:
                    break
                if time.monotonic() > give_up:
                    break
            detail = f"epochs {epochs}, seqs {[(s[0], s[-1], len(s)) for s in seqs]}, counters {consumer.counters}"
            assert len(epochs) == 2, detail
            assert epochs[1] > epochs[0]
            assert consumer.epoch == epochs[1]
            # A frame of the old epoch lived in a mapping that is gone: detectable, never read.
            assert not held.is_valid() and not held.is_intact()
            with pytest.raises(tensorpool.FrameOverwritten):
                held.copy()
            assert consumer.counters["maps"] >= 2
    finally:
        stop_first.set()
        restarter.join()


def test_array_keeps_its_consumer_alive(env):
    import gc
    import weakref

    client, producer, consumer = python_stream(env, 3)
    with client:
        sent = np.arange(64, dtype=np.uint8)
        frame = receive_one(producer, consumer, producer.offer(sent))
        arr = frame.array
        alive = weakref.ref(consumer)
        del frame, consumer
        gc.collect()
        # The consumer object (and so its mapping) lives as long as a view into it does.
        assert alive() is not None and not alive().closed
        assert np.array_equal(arr, sent)
        del arr
        gc.collect()
        assert alive() is None
