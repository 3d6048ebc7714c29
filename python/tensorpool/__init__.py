"""tensorpool: zero-copy numpy access to Shared-Memory Tensor Pool streams, over libtensorpool (ctypes).

    import tensorpool
    with tensorpool.Client(aeron_dir="/dev/shm/aeron") as client:
        consumer = client.consumer(stream_id=10)
        for frame in consumer.frames(timeout=5):
            print(frame.seq, frame.array.mean())   # frame.array: read-only view into shared memory
            if not frame.is_intact(): ...          # the producer overwrote the slot while we read it

The library is found through TENSORPOOL_LIBRARY (a path to libtensorpool.so), else the build tree beside this
package, the install prefix, or the dynamic loader. See docs/python.md.
"""

from .client import Client
from .consumer import Consumer
from .discovery import DiscoveredPool, DiscoveredStream
from .errors import FrameOverwritten, TensorPoolError
from .frame import Frame
from .producer import Producer

__all__ = [
    "Client", "Consumer", "Producer", "Frame", "DiscoveredStream", "DiscoveredPool", "TensorPoolError",
    "FrameOverwritten",
]  # fmt: skip
__version__ = "0.1.0"
