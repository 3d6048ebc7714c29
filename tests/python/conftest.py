"""Fixtures for the Python binding tests: a real media driver per test with its own AERON_DIR and SHM base dir
under /dev/shm (removed in teardown), the C example programs as real processes, and the test pattern.

ctest runs these with TENSORPOOL_LIBRARY, PYTHONPATH and the program paths below set (tests/python/CMakeLists.txt).
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import pytest

np = pytest.importorskip("numpy", reason="python3-numpy is not installed (scripts/setup.sh installs it)")

MEDIADRIVER = os.environ.get("TP_MEDIADRIVER_BIN", "")
EXAMPLE_PRODUCER = os.environ.get("TP_EXAMPLE_PRODUCER_BIN", "")
EXAMPLE_CONSUMER = os.environ.get("TP_EXAMPLE_CONSUMER_BIN", "")
SHM_DRIVER = os.environ.get("TP_DRIVER_BIN", "")


def _require(path, what):
    if not path or not os.access(path, os.X_OK):
        pytest.skip(f"{what} not found (set by ctest; got {path!r})")


# ---- the test pattern (tools/examples/tp_app_pattern.c): word i of frame seq is base(seq) + i * K ----
_MASK = (1 << 64) - 1
_STEP = 0x9E3779B97F4A7C15


def _pattern_base(seq):
    z = (seq + 0x632BE59BD9B4E019) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def pattern(seq, nbytes):
    """The nbytes of frame seq's pattern, as a uint8 array."""
    words = (nbytes + 7) // 8
    w = np.arange(words, dtype=np.uint64) * np.uint64(_STEP) + np.uint64(_pattern_base(seq))
    return w.view(np.uint8)[:nbytes]


def check_frame(frame):
    """True when the frame holds the pattern of its seq, False when its slot was overwritten while it was read; a
    frame handed over intact with other values fails the test."""
    a = frame.array
    same = np.array_equal(a.reshape(-1).view(np.uint8), pattern(frame.seq, a.nbytes))
    intact = frame.is_intact()
    assert same or not intact, f"frame seq {frame.seq} handed over intact with wrong values"
    return intact


def receive_verified(consumer, count, shape, dtype, timeout=20):
    """Take `count` frames (fewer if none comes for `timeout` s), each of this shape and dtype and checked against
    the pattern; returns how many were verified intact."""
    verified = 0
    for frame in consumer.frames(timeout=timeout, count=count):
        a = frame.array
        assert a.shape == shape and a.dtype == dtype
        verified += check_frame(frame)
    return verified


def interrupt_when_ready(script, args, settle):
    """Run `python -c script args...`; once it prints "ready", let it run `settle` s more, send Ctrl-C (SIGINT), and
    assert that it printed "interrupted" and exited 0."""
    p = subprocess.Popen([sys.executable, "-c", script, *args], env=dict(os.environ), stdout=subprocess.PIPE,
                         text=True)  # fmt: skip
    try:
        assert p.stdout.readline().strip() == "ready"
        time.sleep(settle)
        p.send_signal(signal.SIGINT)
        out, _ = p.communicate(timeout=20)
        assert "interrupted" in out
        assert p.returncode == 0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def python_stream(env, stream_id, pools=(4096,), header_nslots=8):
    """A client (announcing every 0.1 s) with a Python producer and a Python consumer of stream_id, returned once the
    consumer has mapped the producer's regions: (client, producer, consumer)."""
    client = env.client(announce_interval=0.1)
    producer = client.producer(stream_id=stream_id, pools=pools, header_nslots=header_nslots)
    consumer = client.consumer(stream_id=stream_id)
    deadline = time.monotonic() + 20
    while not consumer.is_mapped:
        assert time.monotonic() < deadline, consumer.last_error
        producer.poll()
        consumer.poll(lambda f: pytest.fail("no frame was sent yet"))
        time.sleep(0.002)
    return client, producer, consumer


def receive_one(producer, consumer, seq=None, timeout=10.0):
    """Poll both until the consumer gets a frame; asserts it is the only one (and, given seq, that frame)."""
    got = []
    deadline = time.monotonic() + timeout
    while not got:
        assert time.monotonic() < deadline, f"frame {seq} did not arrive"
        producer.poll()
        consumer.poll(got.append)
    assert len(got) == 1
    if seq is not None:
        assert got[0].seq == seq
    return got[0]


class Env:
    """A media driver child and the directories of one test."""

    def __init__(self):
        _require(MEDIADRIVER, "tp_mediadriver")
        self.dir = tempfile.mkdtemp(prefix="tp-pytest-", dir="/dev/shm")
        self.aeron_dir = os.path.join(self.dir, "aeron")
        self.shm_dir = os.path.join(self.dir, "shm")
        self.env = dict(os.environ)
        self.env.update(
            AERON_DIR=self.aeron_dir,
            AERON_DIR_DELETE_ON_SHUTDOWN="true",
            AERON_IPC_TERM_BUFFER_LENGTH="1m",
            AERON_THREADING_MODE="SHARED",
        )
        # The C programs are not python: they must not inherit a libasan preload meant for the interpreter.
        self.env.pop("LD_PRELOAD", None)
        self.children = []
        self.driver = self.spawn([MEDIADRIVER], "driver")
        deadline = time.monotonic() + 10
        while not os.path.exists(os.path.join(self.aeron_dir, "cnc.dat")):
            assert time.monotonic() < deadline, "the media driver did not create its cnc.dat"
            assert self.driver.poll() is None, f"the media driver exited: {self.output('driver')}"
            time.sleep(0.02)

    def spawn(self, argv, name):
        out = open(os.path.join(self.dir, name + ".txt"), "wb")
        p = subprocess.Popen(argv, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        out.close()
        self.children.append(p)
        return p

    def output(self, name):
        with open(os.path.join(self.dir, name + ".txt"), "rb") as f:
            return f.read().decode("utf-8", "replace")

    def client(self, **kwargs):
        import tensorpool

        kwargs.setdefault("aeron_dir", self.aeron_dir)
        kwargs.setdefault("shm_base_dir", self.shm_dir)
        return tensorpool.Client(**kwargs)

    def c_producer(self, *args, name="producer"):
        _require(EXAMPLE_PRODUCER, "tp_example_producer")
        return self.spawn([EXAMPLE_PRODUCER, "--shm-dir", self.shm_dir, *args], name)

    def c_consumer(self, *args, name="consumer"):
        _require(EXAMPLE_CONSUMER, "tp_example_consumer")
        return self.spawn([EXAMPLE_CONSUMER, "-p", self.aeron_dir, "--shm-dir", self.shm_dir, *args], name)

    def close(self):
        for p in reversed(self.children):
            if p.poll() is None:
                p.send_signal(signal.SIGINT)  # every program shuts down cleanly on Ctrl-C
                try:
                    p.wait(20)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def start_shm_driver(env, streams=(("cam", 10),), stride_bytes=262144, instance_id="pytest-driver"):
    """tp_driver (driver mode; its embedded discovery provider on by default, answering on the control stream) with
    one stream per (name, stream_id), each 16 header slots and one payload pool of stride_bytes."""
    _require(SHM_DRIVER, "tp_driver")
    config = os.path.join(env.dir, "driver.toml")
    with open(config, "w") as f:
        f.write(
            "[driver]\n"
            f'instance_id = "{instance_id}"\n'
            f'aeron_dir = "{env.aeron_dir}"\n'
            'control_channel = "aeron:ipc"\n'
            'qos_channel = "aeron:ipc"\n'
            "[shm]\n"
            f'base_dir = "{env.shm_dir}"\n'
            "[profiles.cam]\n"
            "header_nslots = 16\n"
            f"payload_pools = [ {{ pool_id = 1, stride_bytes = {stride_bytes} }} ]\n"
        )
        for name, stream_id in streams:
            f.write(f"[streams.{name}]\nstream_id = {stream_id}\n" 'profile = "cam"\n')
    os.makedirs(env.shm_dir, mode=0o700, exist_ok=True)
    proc = env.spawn([SHM_DRIVER, "--config", config], "shm-driver")
    time.sleep(0.3)
    assert proc.poll() is None, env.output("shm-driver")
    return proc


@pytest.fixture
def env():
    e = Env()
    try:
        yield e
    finally:
        e.close()


def mapping_of(address):
    """(start, end, path) of the mapping of this process that holds address (from /proc/self/maps)."""
    with open("/proc/self/maps") as f:
        for line in f:
            parts = line.split(None, 5)
            start, end = (int(x, 16) for x in parts[0].split("-"))
            if start <= address < end:
                return start, end, parts[5].strip() if len(parts) > 5 else ""
    return None
