#!/usr/bin/env python3
"""Follow a tensorpool stream and print, for each frame, its seq, shape, dtype and mean, then frames/s once a
second. The mean is computed straight from shared memory (zero copy) and only printed if the frame was still
intact after the read.

    python3 consume_and_show.py --aeron-dir /dev/shm/aeron --shm-dir /dev/shm/tensorpool --stream-id 10
"""

import argparse
import sys
import time

import tensorpool


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-p", "--aeron-dir", help="media driver directory (default: AERON_DIR or the Aeron default)")
    p.add_argument("--shm-dir", help="directory producers' regions are accepted from (default /dev/shm/tensorpool)")
    p.add_argument("-s", "--stream-id", type=int, default=10, help="tensorpool stream id (default 10)")
    p.add_argument("-m", "--frames", type=int, help="stop after this many frames")
    p.add_argument("-t", "--timeout", type=float, default=10.0,
                   help="stop when no frame came for this many seconds (default 10)")  # fmt: skip
    p.add_argument("-q", "--quiet", action="store_true", help="only the frames/s lines and the summary")
    p.add_argument("--driver", action="store_true", help="driver mode: regions leased from the SHM driver")
    args = p.parse_args()

    received = intact = 0
    with tensorpool.Client(aeron_dir=args.aeron_dir, shm_base_dir=args.shm_dir, shm_driver=args.driver) as client:
        consumer = client.consumer(stream_id=args.stream_id)
        start = last = time.monotonic()
        at_last = 0
        try:
            for frame in consumer.frames(timeout=args.timeout, count=args.frames):
                received += 1
                if 1 == received:
                    start = last = time.monotonic()  # rates count from the first frame, not from startup
                mean = float(frame.array.mean())  # reads the producer's memory in place
                if frame.is_intact():  # nothing we read was overwritten meanwhile
                    intact += 1
                    if not args.quiet:
                        print(f"seq {frame.seq}: {frame.shape} {frame.dtype} mean {mean:.3f}")
                now = time.monotonic()
                if now - last >= 1.0:
                    print(f"{(received - at_last) / (now - last):.1f} frames/s (epoch {frame.epoch})", flush=True)
                    last, at_last = now, received
        except KeyboardInterrupt:
            pass
        seconds = time.monotonic() - start
        print(f"received={received} intact={intact} in {seconds:.1f} s; drops_gap={consumer.drops_gap} "
              f"drops_late={consumer.drops_late}")  # fmt: skip
    return 0 if received > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
