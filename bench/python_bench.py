#!/usr/bin/env python3
"""Python consumer vs C consumer, same run: frames/s and CPU time per frame for 64 B and 1 MiB frames.

One command (from the repository root, after building build/):

    /usr/bin/python3 bench/python_bench.py

It starts its own tp_mediadriver and a tp_example_producer streaming as fast as it can (--rate 0) under
/dev/shm/tp-pybench-*, then, one after the other on that stream: tp_example_consumer (which verifies every payload
byte), and this process's Python consumer in three modes: "seq" (iterate, read frame.seq), "view" (build the
zero-copy frame.array and check frame.is_intact()), "copy" (frame.copy(): copy + check), then the C consumer
again (the spread between its two rows is the machine's noise). Each consumer takes
--frames frames; frames/s is counted from its first frame; CPU us/frame is its user+system CPU time divided by the
frames it received (the C consumer's from its rusage). A consumer slower than the producer is lapped: its losses
show as drops, and its frames/s is then its own capacity. Everything is removed at the end.
"""

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build-dir", default=os.path.join(ROOT, "build"), help="CMake build tree (default build/)")
    p.add_argument("--frames", type=int, default=20000, help="frames per consumer for 64 B frames (default 20000)")
    p.add_argument("--big-frames", type=int, default=1000, help="frames per consumer for 1 MiB (default 1000)")
    args = p.parse_args()

    b = args.build_dir
    os.environ.setdefault("TENSORPOOL_LIBRARY", os.path.join(b, "src", "libtensorpool.so"))
    sys.path.insert(0, os.path.join(ROOT, "python"))
    import tensorpool

    mediadriver = os.path.join(b, "src", "mediadriver", "tp_mediadriver")
    producer_bin = os.path.join(b, "tools", "examples", "tp_example_producer")
    consumer_bin = os.path.join(b, "tools", "examples", "tp_example_consumer")
    for path in (mediadriver, producer_bin, consumer_bin):
        if not os.access(path, os.X_OK):
            sys.exit(f"python_bench: {path} not found: build first (cmake --build build)")

    d = tempfile.mkdtemp(prefix="tp-pybench-", dir="/dev/shm")
    aeron_dir, shm_dir = os.path.join(d, "aeron"), os.path.join(d, "shm")
    env = dict(os.environ, AERON_DIR=aeron_dir, AERON_DIR_DELETE_ON_SHUTDOWN="true",
               AERON_IPC_TERM_BUFFER_LENGTH="4m")  # fmt: skip
    env.pop("LD_PRELOAD", None)
    children = []

    def spawn(argv, **kw):
        proc = subprocess.Popen(argv, env=env, **kw)
        children.append(proc)
        return proc

    rows = []
    try:
        spawn([mediadriver], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while not os.path.exists(os.path.join(aeron_dir, "cnc.dat")):
            time.sleep(0.02)
        for label, shape, dtype, frames in (("64 B", "64", "uint8", args.frames),
                                            ("1 MiB", "512x1024", "uint16", args.big_frames)):  # fmt: skip
            producer = spawn([producer_bin, "--shm-dir", shm_dir, "--shape", shape, "--dtype", dtype, "--rate", "0",
                              "--slots", "64"], stdout=subprocess.DEVNULL)  # fmt: skip
            time.sleep(2.0)  # past the first lap of the ring, whose page faults slow the producer down
            c_label = "C tp_example_consumer (verifies bytes)"
            rows.append((label, c_label, *c_consumer(consumer_bin, aeron_dir, shm_dir, shape, dtype, frames, spawn)))
            with tensorpool.Client(aeron_dir=aeron_dir, shm_base_dir=shm_dir) as client:
                for mode in ("seq", "view", "copy"):
                    rows.append((label, f"Python {mode}", *py_consumer(client, mode, frames)))
            # The C consumer once more: the spread between its two rows is this machine's noise.
            rows.append((label, c_label, *c_consumer(consumer_bin, aeron_dir, shm_dir, shape, dtype, frames, spawn)))
            producer.send_signal(signal.SIGINT)
            producer.wait(30)
    finally:
        for proc in reversed(children):
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    proc.kill()
        shutil.rmtree(d, ignore_errors=True)

    print(f"{'frame':6} {'consumer':40} {'frames':>8} {'frames/s':>10} {'CPU us/frame':>13} {'drops gap':>10} "
          f"{'drops late':>11}")  # fmt: skip
    for label, who, n, rate, cpu_us, gap, late in rows:
        print(f"{label:6} {who:40} {n:8d} {rate:10.0f} {cpu_us:13.2f} {gap:10d} {late:11d}")
    print()
    print("binding cost per frame, no transport (us per call, best of 3):")
    for nbytes, costs in _binding_costs:
        print(f"  {nbytes:8d} B frame: " + ", ".join(f"{k} {v:.2f}" for k, v in costs.items()))
    return 0


def c_consumer(binary, aeron_dir, shm_dir, shape, dtype, frames, spawn):
    proc = spawn([binary, "-p", aeron_dir, "--shm-dir", shm_dir, "--shape", shape, "--dtype", dtype,
                  "--frames", str(frames), "--duration", "120"], stdout=subprocess.PIPE, text=True)  # fmt: skip
    start = None
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if start is None and "mapped stream" in line:
            start = time.monotonic()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - (start or time.monotonic())
    m = re.search(r"received=(\d+) verified=(\d+) bad=(\d+) drops_gap=(\d+) drops_late=(\d+)", "".join(lines))
    if not m:
        sys.exit("python_bench: the C consumer printed no summary:\n" + "".join(lines))
    received, _, bad, gap, late = (int(x) for x in m.groups())
    if bad:
        sys.exit(f"python_bench: the C consumer saw {bad} bad frames")
    cpu = usage.ru_utime + usage.ru_stime
    return received, received / wall if wall > 0 else 0.0, cpu / max(received, 1) * 1e6, gap, late


def py_consumer(client, mode, frames):
    consumer = client.consumer(stream_id=10)
    n = 0
    sink = 0
    start = cpu0 = None
    for frame in consumer.frames(timeout=30, count=frames):
        if start is None:
            start, cpu0 = time.monotonic(), time.process_time()
            continue  # the clock starts with the first frame
        if "seq" == mode:
            sink += frame.seq
        elif "view" == mode:
            a = frame.array
            sink += a.shape[0] + frame.is_intact()
        else:
            try:
                sink += frame.copy().shape[0]
            except Exception:
                pass  # overwritten during the copy: counted by the consumer as late only if before the read
        n += 1
    wall = time.monotonic() - start
    cpu = time.process_time() - cpu0
    gap, late = consumer.drops_gap, consumer.drops_late
    if "view" == mode:
        _binding_costs.append((frame.nbytes, binding_costs(consumer, frame)))
    consumer.close()
    return n, n / wall if wall > 0 else 0.0, cpu / max(n, 1) * 1e6, gap, late


_binding_costs = []


def binding_costs(consumer, frame, loops=20000):
    """The binding's own per-frame costs, without any transport: microseconds per call, best of 3."""
    from tensorpool.frame import Frame

    c, generation = frame._c, frame._generation

    def best(fn, n):
        times = []
        for _ in range(3):
            t = time.perf_counter()
            for _ in range(n):
                fn()
            times.append(time.perf_counter() - t)
        return min(times) / n * 1e6

    def copy():
        try:
            frame.copy()
        except Exception:
            pass

    return {
        "Frame object": best(lambda: Frame(c, consumer, generation), loops),
        "+ .array view": best(lambda: Frame(c, consumer, generation).array, loops),
        "is_intact()": best(frame.is_intact, loops),
        "copy()": best(copy, max(10, loops // 100 if frame.nbytes > 65536 else loops)),
    }


if __name__ == "__main__":
    sys.exit(main())
