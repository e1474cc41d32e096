"""A stand-in for the SPI bus under a WS2812 ring: it decodes what the driver writes back into colours.

`SpiRingSink` implements the `SpiWriter` protocol of drivers/led_ring.py. Every `writebytes2` is
decoded the way a WS2812 chain reads it: by the length of each high and low pulse on the line at the
SPI clock (not by knowing the driver's bit patterns), stamped with the clock, and kept (the last
`keep_frames`), so the terminal view can draw the ring and tests can check what a real ring would
show. Every pulse of a checked frame must sit inside the timing windows of every supported part
(`PARTS`; the sink checks the first TIMING_CHECK_EVERY frames and one in TIMING_CHECK_EVERY after).
When `strict` (the default, so tests catch encoder bugs) a malformed write raises InputError;
otherwise it is counted and logged.
"""

from __future__ import annotations

import logging
import math
from collections import deque
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from device.clock import Clock
from device.errors import InputError
from drivers.led_ring import COLOUR_ORDERS, DEFAULT_GAMMA, LATCH_BYTES, SPI_SPEED_HZ

log = logging.getLogger(__name__)

DEFAULT_KEEP_FRAMES: Final = 3000  # one minute at 50 frames/s
FRAME_DUE_SLACK_S: Final = 1e-3  # far under any frame period (10 ms at most), far over a slot's rounding
TIMING_CHECK_EVERY: Final = 50  # the sink checks pulse timing on the first 50 frames, then on every 50th
LUMA: Final = np.array([0.2126, 0.7152, 0.0722])  # Rec. 709 luminance weights of linear R, G, B
_LUMA_R, _LUMA_G, _LUMA_B = (float(w) for w in LUMA)


@dataclass(frozen=True)
class PulseWindows:
    """Accepted pulse lengths of one LED part, in ns (inclusive), as its datasheet gives them."""

    name: str
    t0h: tuple[float, float]
    t0l: tuple[float, float]
    t1h: tuple[float, float]
    t1l: tuple[float, float]
    reset_ns: float  # low at least this long latches the data


PARTS: Final = (
    PulseWindows("WS2812B-V5", t0h=(220, 380), t0l=(580, 1000), t1h=(580, 1000), t1l=(580, 1000),
                 reset_ns=280_000),
    PulseWindows("SK6812", t0h=(150, 450), t0l=(750, 1050), t1h=(450, 750), t1l=(450, 750), reset_ns=80_000),
)
ONE_THRESHOLD_NS: Final = 480.0  # a high pulse this long or longer is read as a 1 (between T0H and T1H)


def pulse_lengths_ns(data: bytes, spi_hz: float = SPI_SPEED_HZ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The high pulses and the low gaps after them (ns) on the line for one SPI write, MSB first.

    The low after the last high pulse runs to the end of the write (the latch)."""
    raw = np.frombuffer(bytes(data), dtype=np.uint8)
    nonzero = np.flatnonzero(raw)
    if nonzero.size == 0:
        return np.zeros(0), np.zeros(0)
    body = raw[nonzero[0]: nonzero[-1] + 1]  # the latch's zero bytes need no bit-level work
    padded = np.zeros(body.size * 8 + 2, dtype=np.int8)
    padded[1:-1] = np.unpackbits(body)
    edges = padded[1:] - padded[:-1]
    rises = np.flatnonzero(edges == 1)
    falls = np.flatnonzero(edges == -1)
    ns_per_bit = 1e9 / spi_hz
    highs: NDArray[np.float64] = ((falls - rises) * ns_per_bit).astype(np.float64)
    lows = np.empty(rises.size)
    lows[:-1] = (rises[1:] - falls[:-1]) * ns_per_bit
    lows[-1] = (body.size * 8 - falls[-1] + (raw.size - 1 - nonzero[-1]) * 8) * ns_per_bit
    return highs, lows


def timing_problems(highs: NDArray[np.float64], lows: NDArray[np.float64],
                    parts: tuple[PulseWindows, ...] = PARTS, margin: float = 0.0) -> list[str]:
    """Pulses outside any part's windows (shrunk by `margin`, a fraction of each window bound).

    Only the shortest and longest pulse of each kind matter, so each kind is reduced to those first."""
    problems = []
    is_one = highs >= ONE_THRESHOLD_NS
    is_zero = ~is_one
    inner_lows = lows[:-1]
    kinds: dict[str, tuple[float, float]] = {}
    for label, pulses in (("T0H", highs[is_zero]), ("T1H", highs[is_one]),
                          ("T0L", inner_lows[is_zero[:-1]]), ("T1L", inner_lows[is_one[:-1]])):
        if pulses.size:
            kinds[label] = (pulses.min(), pulses.max())
    for part in parts:
        for label, (shortest, longest) in kinds.items():
            window = getattr(part, label.lower())
            lo, hi = window[0] * (1 + margin), window[1] * (1 - margin)
            if shortest < lo or longest > hi:
                problems.append(f"{part.name} {label}: pulses of {shortest:.0f}-{longest:.0f} ns "
                                f"outside {lo:.0f}-{hi:.0f} ns")
        if lows.size and lows[-1] < part.reset_ns:
            problems.append(f"{part.name}: latch low {lows[-1] / 1000:.0f} us, needs {part.reset_ns / 1000:.0f} us")
    return problems


def decode_ws2812(data: bytes, order: str = "GRB", spi_hz: float = SPI_SPEED_HZ,
                  check_timing: bool = True) -> NDArray[np.uint8]:
    """Decode one SPI write into (n, 3) uint8 RGB (RGBW: white folded into R, G and B).

    Each high pulse is one data bit, a 1 when it lasts ONE_THRESHOLD_NS or more. Raises InputError
    when the data is not whole LEDs, when a low gap inside the data is long enough to latch (data
    after a latch), or (`check_timing`) when a pulse is outside a supported part's windows.
    """
    if order not in COLOUR_ORDERS:
        raise InputError(f"colour order must be one of {COLOUR_ORDERS}, got {order!r}")
    highs, lows = pulse_lengths_ns(data, spi_hz)
    if highs.size == 0:
        return np.zeros((0, 3), dtype=np.uint8)
    shortest_reset = min(part.reset_ns for part in PARTS)
    if np.any(lows[:-1] >= shortest_reset):
        raise InputError("data continues after a latch (a low gap long enough to reset the chain)")
    channels = len(order)
    if highs.size % (8 * channels):
        raise InputError(f"{highs.size} data bits is not a whole number of {order} LEDs")
    if check_timing:
        problems = timing_problems(highs, lows)
        if problems:
            raise InputError("pulses outside the WS2812 timing windows: " + "; ".join(problems))
    wire = np.packbits((highs >= ONE_THRESHOLD_NS).astype(np.uint8)).reshape(-1, channels)
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
        self._mean_of: tuple[NDArray[np.uint8], bool, float] | None = None  # (frame, perceived, its mean)
        # Between timing checks, frames of a known layout are read group by group (see _read_known).
        self._known_groups: dict[int, int] = {}
        self._known_length = -1
        self._data_bytes = 0
        self._wire_columns = [order.index(c) for c in "RGB"] if len(order) == 3 else []
        self.spi_hz = float(SPI_SPEED_HZ)
        self._line_free_s = -math.inf  # when the last write has been clocked out
        self._reset_bytes = math.ceil(min(part.reset_ns for part in PARTS) * 1e-9 * self.spi_hz / 8)

    def writebytes2(self, data: bytes | list[int]) -> None:
        """Decode one write and record each frame in it at the time the line carries it.

        A write starts on the line at the clock's time, or when the write before it has been clocked out
        if that is later (the bus sends one write after the other), and takes len(data) x 8 / spi_hz
        seconds. It may hold several frames, each ended by a latch (a low long enough to reset the chain):
        a frame is stamped with the time its first bit is on the line."""
        payload = bytes(data)
        self.byte_count += len(payload)
        start_s = max(self._clock.now_s(), self._line_free_s)
        self._line_free_s = start_s + len(payload) * 8.0 / self.spi_hz
        for offset, piece in self._pieces(payload):
            rgb = self._decode(piece)
            if rgb is None:
                return
            self.frames.append((start_s + offset * 8.0 / self.spi_hz, rgb))
            self.frame_count += 1

    def _pieces(self, payload: bytes) -> list[tuple[int, bytes]]:
        """(offset in the write, its bytes and latch) of each frame of a write: a frame ends at a low at
        least as long as the shortest reset of a supported part; its latch is kept up to LATCH_BYTES (a
        longer low shows the LEDs the same). A write whose only low run is the latch at its end is one
        frame (the usual single-frame write, found without numpy). The data runs are found 8 bytes at a
        time (a paced write is mostly low), then their ends to the byte."""
        n = len(payload)
        first_zero = payload.find(0)
        if first_zero > 0 and n - first_zero <= 2 * LATCH_BYTES and payload.count(0, first_zero) == n - first_zero:
            return [(0, payload)]
        words = np.flatnonzero(np.frombuffer(payload, dtype=np.uint64, count=n // 8))
        if n % 8 and payload[n - n % 8:].strip(b"\0"):  # the last few bytes, as one more word
            words = np.append(words, n // 8)
        if words.size == 0:
            return []  # the line low throughout: no data, the LEDs keep what they show
        # runs of words with data, split where a whole word or more of zeros lies between
        breaks = np.flatnonzero(np.diff(words) > 1)
        runs = zip([int(words[0]), *(int(w) for w in words[breaks + 1])],
                   [*(int(w) for w in words[breaks]), int(words[-1])], strict=True)
        spans: list[list[int]] = []
        for first_word, last_word in runs:
            head = payload[8 * first_word:8 * first_word + 8]
            tail = payload[8 * last_word:min(8 * last_word + 8, n)]
            start = 8 * first_word + (len(head) - len(head.lstrip(b"\0")))
            end = 8 * last_word + len(tail.rstrip(b"\0"))
            if spans and start - spans[-1][1] < self._reset_bytes:
                spans[-1][1] = end  # too short a low to latch: the same frame goes on
            else:
                spans.append([start, end])
        pieces = []
        for i, (start, end) in enumerate(spans):
            stop = n if i == len(spans) - 1 else min(spans[i + 1][0], end + LATCH_BYTES)
            pieces.append((start, payload[start:stop]))
        return pieces

    def _decode(self, payload: bytes) -> NDArray[np.uint8] | None:
        """One frame's colours (n, 3), or None for a malformed frame when not strict (InputError when strict)."""
        if payload == self._last_payload and self._last_rgb is not None:
            rgb = self._last_rgb  # the same bytes decode the same (frames are never modified in place)
        else:
            try:
                # Pulse timing depends on the encoder's code, not on the colours: every frame of the first
                # second is checked, then one frame a second, so a long simulation does not pay for it 50 times.
                check = self.frame_count < TIMING_CHECK_EVERY or self.frame_count % TIMING_CHECK_EVERY == 0
                known = None if check else self._read_known(payload)
                if known is not None:
                    rgb = known
                else:
                    rgb = decode_ws2812(payload, self.order, check_timing=check)
                    if check:
                        self._learn(payload, rgb)
            except InputError as exc:
                self.malformed_count += 1
                if self.strict:
                    raise
                log.warning("malformed SPI frame dropped (%d so far): %s", self.malformed_count, exc)
                return None
            rgb.setflags(write=False)
            self._last_payload, self._last_rgb = payload, rgb
        return rgb

    def close(self) -> None:
        self.closed = True

    def _learn(self, payload: bytes, rgb: NDArray[np.uint8]) -> None:
        """Remember, from a frame decoded pulse by pulse with its timing checked, which 32 SPI bits stand
        for which data byte, when each group of 32 is a self-contained run of pulses: it starts high and
        ends low, so its pulses read the same whatever stands beside it (3-channel orders only)."""
        if not self._wire_columns or rgb.size == 0:
            return
        data_bytes = 4 * rgb.size
        groups = np.frombuffer(payload, dtype=">u4", count=data_bytes // 4) if len(payload) >= data_bytes else None
        if groups is None or not (np.all(groups >> 31 == 1) and np.all(groups & 1 == 0)):
            self._known_length = -1
            return
        wire = rgb[:, np.argsort(self._wire_columns)].ravel()  # back to the order on the wire
        if len(self._known_groups) < 4096:
            self._known_groups.update(zip(groups.tolist(), wire.tolist(), strict=True))
        self._known_length, self._data_bytes = len(payload), data_bytes

    def _read_known(self, payload: bytes) -> NDArray[np.uint8] | None:
        """The frame read from groups learnt by `_learn`, when it has the learnt frame's layout (same
        length, same latch of zeros) and every group is one already read from its pulses; else None
        (the caller decodes it pulse by pulse). A group's pulses were read in the learnt frame, so it
        reads the same here; only the timing check is left to the checked frames."""
        if len(payload) != self._known_length or payload.count(0, self._data_bytes) != len(payload) - self._data_bytes:
            return None
        groups = np.frombuffer(payload, dtype=">u4", count=self._data_bytes // 4).tolist()
        try:
            wire = bytes(map(self._known_groups.__getitem__, groups))
        except KeyError:
            return None
        return np.frombuffer(wire, dtype=np.uint8).reshape(-1, 3)[:, self._wire_columns]

    def latest(self) -> NDArray[np.uint8] | None:
        """The frame the ring shows at the clock's now, (n, 3) uint8 drive levels, or None before the first;
        once closed, the frame it is left showing."""
        if self.closed:
            return self.frames[-1][1] if self.frames else None
        return self.frame_at(self._clock.now_s())

    def frame_at(self, t_s: float) -> NDArray[np.uint8] | None:
        """The frame the ring shows at clock time `t_s` (the last one on the line by then; frames of a
        paced write may lie ahead of the clock), or None before the first kept one. A frame due at `t_s`
        counts as shown then if it reaches the line within FRAME_DUE_SLACK_S of it: a paced write's slots
        are whole bytes, so at 40 frames/s (10018.75 bytes a slot) frame j comes j x 0.6 us late."""
        for stamp_s, rgb in reversed(self.frames):
            if stamp_s <= t_s + FRAME_DUE_SLACK_S:
                return rgb
        return None

    def perceived(self, rgb: NDArray[np.uint8]) -> NDArray[np.float64]:
        """Drive bytes -> perceived levels 0..1 (undoes the driver's gamma)."""
        return (rgb.astype(float) / 255.0) ** (1.0 / self.gamma)

    def brightness(self, rgb: NDArray[np.uint8], perceived: bool = True) -> float:
        """The ring's brightness 0..1 as an eye takes it in: the mean over LEDs of each LED's
        luminance (Rec. 709 weights of its linear light, drive/255), with the driver's gamma undone
        when `perceived`."""
        if rgb.size == 0:
            return 0.0
        # Sums of each channel's bytes in plain Python (the simulated person asks at every frame, and
        # numpy's per-call cost is most of the cost on 16 LEDs); the same mean to rounding.
        n, width = rgb.shape[0], rgb.shape[1]
        data = rgb.tobytes()
        luminance = (_LUMA_R * sum(data[0::width]) + _LUMA_G * sum(data[1::width])
                     + _LUMA_B * sum(data[2::width])) / (255.0 * n)
        return luminance ** (1.0 / self.gamma) if perceived else luminance

    def mean_brightness(self, perceived: bool = True, at_s: float | None = None) -> float:
        """`brightness` of the frame shown at `at_s` (default: the clock's now; 0 before any frame)."""
        rgb = self.latest() if at_s is None else self.frame_at(at_s)
        if rgb is None:
            return 0.0
        cached = self._mean_of
        if cached is not None and cached[0] is rgb and cached[1] == perceived:
            return cached[2]  # asked every frame by the simulated person; the frame is often the same
        mean = self.brightness(rgb, perceived)
        self._mean_of = (rgb, perceived, mean)
        return mean

    def brightness_series(self, perceived: bool = True) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Times (s) and `brightness` of the kept frames, for comparing with the pacer."""
        times = np.array([t for t, _ in self.frames])
        levels = np.array([self.brightness(rgb, perceived) for _, rgb in self.frames])
        return times, levels

    def mean_drive(self, window_s: float) -> NDArray[np.float64] | None:
        """Per LED and channel, the mean drive 0..255 over the frames of the last `window_s` (what an
        eye sees of a dithered ring), or None before the first frame."""
        if not self.frames:
            return None
        last_t = self.frames[-1][0]
        recent = [rgb for t, rgb in reversed(self.frames) if t > last_t - window_s]
        shapes = {rgb.shape for rgb in recent}
        if len(shapes) != 1:
            recent = recent[:1]
        return np.mean(np.stack(recent).astype(float), axis=0)
