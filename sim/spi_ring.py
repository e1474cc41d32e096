"""A stand-in for the SPI bus under a WS2812 ring: it decodes what the driver writes back into colours.

`SpiRingSink` implements the `SpiWriter` protocol of drivers/led_ring.py. Every `writebytes2` is
decoded the way a WS2812 chain would read it (3 SPI bits per data bit: `100` = 0, `110` = 1), stamped
with the clock, and kept (the last `keep_frames`), so the terminal view can draw the ring and tests
can check what a real ring would show. Malformed data is counted and logged, and raises InputError
when `strict` (the default, so tests catch encoder bugs).
"""

from __future__ import annotations

import logging
from collections import deque
from typing import Final

import numpy as np
from numpy.typing import NDArray

from device.clock import Clock
from device.errors import InputError
from drivers.led_ring import COLOUR_ORDERS, DEFAULT_GAMMA

log = logging.getLogger(__name__)

DEFAULT_KEEP_FRAMES: Final = 3000  # one minute at 50 frames/s


def decode_ws2812(data: bytes, order: str = "GRB") -> NDArray[np.uint8]:
    """Decode one SPI write into (n, 3) uint8 RGB (RGBW: white folded into R, G and B).

    Zero bytes before and after the data (latch/reset) are ignored. Raises InputError when a bit
    triple is not `100`/`110`, when the data length is not whole LEDs, or when data follows a latch.
    """
    if order not in COLOUR_ORDERS:
        raise InputError(f"colour order must be one of {COLOUR_ORDERS}, got {order!r}")
    raw = np.frombuffer(bytes(data), dtype=np.uint8)
    nonzero = np.flatnonzero(raw)
    if nonzero.size == 0:
        return np.zeros((0, 3), dtype=np.uint8)
    body = raw[nonzero[0] : nonzero[-1] + 1]
    channels = len(order)
    if body.size % (3 * channels):
        raise InputError(f"{body.size} data bytes is not a whole number of {order} LEDs")
    triples = np.unpackbits(body).reshape(-1, 3)
    bad = np.count_nonzero((triples[:, 0] != 1) | (triples[:, 2] != 0))
    if bad:
        raise InputError(f"{bad} of {len(triples)} bit cells are not WS2812 '100'/'110' patterns")
    wire = np.packbits(triples[:, 1]).reshape(-1, channels)
    rgbw = np.empty_like(wire)
    rgbw[:, ["RGBW".index(c) for c in order]] = wire
    if channels == 4:  # a white LED adds to all three channels as the eye sees it
        return np.minimum(rgbw[:, :3].astype(np.uint16) + rgbw[:, 3:], 255).astype(np.uint8)
    return rgbw


class SpiRingSink:
    """Decodes and records what an LED ring would show; a `SpiWriter` for `SpiLedRing`."""

    def __init__(
        self,
        clock: Clock,
        order: str = "GRB",
        gamma: float = DEFAULT_GAMMA,
        keep_frames: int = DEFAULT_KEEP_FRAMES,
        strict: bool = True,
    ) -> None:
        if order not in COLOUR_ORDERS:
            raise InputError(f"colour order must be one of {COLOUR_ORDERS}, got {order!r}")
        self.order = order
        self.gamma = gamma
        self.strict = strict
        self.frames: deque[tuple[float, NDArray[np.uint8]]] = deque(maxlen=keep_frames)
        self.frame_count = 0
        self.byte_count = 0
        self.malformed_count = 0
        self.closed = False
        self._clock = clock
        self._last_payload: bytes | None = None  # the last write and its decoding, reused when repeated
        self._last_rgb: NDArray[np.uint8] | None = None
        self._mean_of: tuple[int, bool, float] | None = None  # (id of the frame, perceived, its mean)

    def writebytes2(self, data: bytes | list[int]) -> None:
        """Decode one write (one frame plus latch) and record it at the clock's time."""
        payload = bytes(data)
        self.byte_count += len(payload)
        if payload == self._last_payload and self._last_rgb is not None:
            rgb = self._last_rgb  # the same bytes decode the same (frames are never modified in place)
        else:
            try:
                rgb = decode_ws2812(payload, self.order)
            except InputError as exc:
                self.malformed_count += 1
                if self.strict:
                    raise
                log.warning("malformed SPI frame dropped (%d so far): %s", self.malformed_count, exc)
                return
            rgb.setflags(write=False)
            self._last_payload, self._last_rgb = payload, rgb
        self.frames.append((self._clock.now_s(), rgb))
        self.frame_count += 1

    def close(self) -> None:
        self.closed = True

    def latest(self) -> NDArray[np.uint8] | None:
        """The last decoded frame, (n, 3) uint8 drive levels, or None before the first."""
        return self.frames[-1][1] if self.frames else None

    def perceived(self, rgb: NDArray[np.uint8]) -> NDArray[np.float64]:
        """Drive bytes -> perceived levels 0..1 (undoes the driver's gamma)."""
        return (rgb.astype(float) / 255.0) ** (1.0 / self.gamma)

    def mean_brightness(self, perceived: bool = True) -> float:
        """Mean level 0..1 over LEDs and channels of the latest frame (0 before any frame)."""
        rgb = self.latest()
        if rgb is None or rgb.size == 0:
            return 0.0
        cached = self._mean_of
        if cached is not None and cached[0] == id(rgb) and cached[1] == perceived:
            return cached[2]  # asked every frame by the simulated person; the frame is often the same
        mean = float(np.mean(self.perceived(rgb) if perceived else rgb / 255.0))
        self._mean_of = (id(rgb), perceived, mean)
        return mean

    def brightness_series(self, perceived: bool = True) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Times (s) and mean levels of the kept frames, for comparing with the pacer."""
        times = np.array([t for t, _ in self.frames])
        levels = np.array(
            [np.mean(self.perceived(rgb) if perceived else rgb / 255.0) if rgb.size else 0.0
             for _, rgb in self.frames]
        )
        return times, levels
