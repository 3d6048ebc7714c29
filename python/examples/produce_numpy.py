#!/usr/bin/env python3
"""Publish numpy arrays on a tensorpool stream: a moving gradient image, written zero-copy into the slot with
producer.claim() (or copied in with producer.offer() with --offer), at a fixed rate.

    python3 produce_numpy.py --aeron-dir /dev/shm/aeron --shm-dir /dev/shm/tensorpool --stream-id 10
"""

import argparse
import sys
import time

import numpy as np

import tensorpool


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-p", "--aeron-dir", help="media driver directory (default: AERON_DIR or the Aeron default)")
    p.add_argument("--shm-dir", help="where the regions are created (default /dev/shm/tensorpool)")
    p.add_argument("-s", "--stream-id", type=int, default=10, help="tensorpool stream id (default 10)")
    p.add_argument("--shape", default="480x640", help="frame shape (default 480x640)")
    p.add_argument("-t", "--dtype", default="float32", help="numpy dtype (default float32)")
    p.add_argument("-r", "--rate", type=float, default=30.0, help="frames per second (default 30)")
    p.add_argument("-m", "--frames", type=int, default=300, help="frames to send (default 300)")
    p.add_argument("--offer", action="store_true", help="copy frames in with offer() instead of claim()")
    p.add_argument("--driver", action="store_true", help="driver mode: regions leased from the SHM driver")
    args = p.parse_args()

    shape = tuple(int(d) for d in args.shape.split("x"))
    dtype = np.dtype(args.dtype)
    nbytes = int(np.prod(shape)) * dtype.itemsize
    stride = max(4096, 1 << (nbytes - 1).bit_length())  # one pool just big enough, a power of two
    ramp = np.linspace(0, 100, shape[-1], dtype=np.float64)
    period = 1.0 / args.rate if args.rate > 0 else 0.0

    with tensorpool.Client(aeron_dir=args.aeron_dir, shm_base_dir=args.shm_dir, shm_driver=args.driver) as client:
        producer = client.producer(stream_id=args.stream_id, pools=[stride], header_nslots=16,
                                   name="produce_numpy")  # fmt: skip
        print(f"produce_numpy: stream {args.stream_id} epoch {producer.epoch}, {args.shape} {dtype} frames "
              f"({nbytes} bytes), regions {producer.header_path}", flush=True)  # fmt: skip
        next_t = time.monotonic()
        sent = 0
        try:
            while sent < args.frames:
                value = (ramp + sent) % 100  # the gradient moves one step per frame; its mean tells the frame
                if args.offer:
                    producer.offer(np.broadcast_to(value, shape).astype(dtype))
                else:
                    with producer.claim(shape, dtype) as arr:
                        arr[...] = value  # written straight into shared memory
                sent += 1
                next_t += period
                producer.wait(max(0.0, next_t - time.monotonic()))  # keeps announces and QoS going meanwhile
        except KeyboardInterrupt:
            pass
        print(f"produce_numpy: sent={sent} consumers={producer.consumer_count}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
