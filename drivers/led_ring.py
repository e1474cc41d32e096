"""LED outputs: a WS2812/SK6812 ring over SPI, or one plain LED on a PWM pin.

WS2812 over SPI: every data bit becomes 4 SPI bits, a 0 as `1000` and a 1 as `1100`, at
3.205 MHz (312 ns a bit; SPI_SPEED_HZ): a 0 is high 312 ns then low 936 ns, a 1 is
high 624 ns then low 624 ns, 1.25 us a bit. The windows every supported part accepts (as their
datasheets give them) are: T0H 220-380 ns (WS2812B-V5), T0L 750-1000 ns (SK6812 low end, V5 high end),
T1H 580-750 ns (V5 low end, SK6812 high end), T1L 580-750 ns. With this code every pulse is a whole
number of SPI bits b with T0H = b, T0L = 3b, T1H = T1L = 2b, so the SPI bit may be 290-333 ns
(3.0-3.45 MHz): the chosen clock sits in the middle, leaving about 6.5 % either way for the divider
and the core clock. The 3-bit code at 2.4 MHz (417/833 ns pulses) breaks the V5's T0H <= 380 ns
and T1L >= 580 ns; no 3-bit code fits both parts. The Raspberry Pi's SPI divider is even, so the
clock really is core_clock / even divider: 3.205 MHz at core 250 MHz (Pi 3, Zero 2 W with
`core_freq=250`) and 500 MHz (Pi 4), 3.125 MHz on the Pi 5 (RP1, 200 MHz / 64); both are inside.
Pin the core clock (docs/hardware.md): a core clock that scales while a frame is sent stretches
every pulse by the same factor, which no encoding survives.

After the data comes a latch: the line held low for LATCH_US = 300 us (WS2812B-V5 needs > 280 us,
SK6812 > 80 us). Each colour byte becomes 4 SPI bytes from a 256-entry table, so a frame is a few
numpy operations.

Frames are perceived levels 0..1 (see patterns/led.py). The driver maps them to LED drive (PWM duty
in 1/255 steps, proportional to light) as 255 x brightness_limit x level^gamma, then:
- temporal dithering: the fractional drive is carried from frame to frame per LED and channel
  (first-order error diffusion), so the mean over a fraction of a second follows the intended level
  even where a breath spans only a few of the 256 steps (night caps);
- a visible floor: an LED the frame lights at all shows at least MIN_LIT_DRIVE on its brightest
  channel (its other channels scaled with it, so its colour holds), and a dim channel below one step
  is rounded, not dithered, so no LED blinks on and off at a low rate: the dimmest light is calm.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Final, Protocol

import numpy as np
from numpy.typing import NDArray

from device.errors import InputError, OutputError

log = logging.getLogger(__name__)

# Asked of the kernel; the Pi's even divider makes 250 MHz / 78 = 500 MHz / 156 = 3.205 MHz of it (a hair
# below 3.206, so the divider rounds to 78, not up to 80).
SPI_SPEED_HZ: Final = 3_206_000
SPI_BITS_PER_BIT: Final = 4
SPI_ZERO: Final = 0b1000  # data bit 0: high for 1 SPI bit, low for 3
SPI_ONE: Final = 0b1100  # data bit 1: high for 2 SPI bits, low for 2
LATCH_US: Final = 300.0  # reset/latch low time after the data
LATCH_BYTES: Final = int(np.ceil(LATCH_US * 1e-6 * SPI_SPEED_HZ / 8))  # 121 zero bytes
GAMMA_TABLE_SIZE: Final = 4096  # perceived-level quantisation before gamma (12 bits)
DEFAULT_GAMMA: Final = 2.2
MIN_LIT_DRIVE: Final = 1.0  # least drive (1/255 steps) of the brightest channel of a lit LED
COLOUR_ORDERS: Final = ("GRB", "RGB", "GRBW")


def _bit_table() -> NDArray[np.uint8]:
    """(256, 4) SPI bytes for each colour byte: each bit (MSB first) -> a `1000` or `1100` nibble."""
    values = np.arange(256, dtype=np.uint16)
    bits = (values[:, None] >> np.arange(7, -1, -1)) & 1  # (256, 8), MSB first
    nibbles = np.where(bits == 1, SPI_ONE, SPI_ZERO).astype(np.uint8)
    table: NDArray[np.uint8] = ((nibbles[:, 0::2] << 4) | nibbles[:, 1::2]).astype(np.uint8)
    table.setflags(write=False)
    return table


SPI_BYTE_TABLE: Final = _bit_table()
_LATCH: Final = bytes(LATCH_BYTES)


def frame_slot_bytes(frame_period_s: float, spi_hz: float = SPI_SPEED_HZ) -> int:
    """SPI bytes that take `frame_period_s` on the line at `spi_hz` (20 ms at 3.206 MHz: 8015 bytes)."""
    if not frame_period_s > 0:
        raise InputError(f"frame period must be > 0 s, got {frame_period_s}")
    return max(1, round(frame_period_s * spi_hz / 8))


def paced_offsets(lengths: list[int], slots: list[int], slot_bytes: int, block_bytes: int | None) -> list[int]:
    """Where in one SPI write each packet starts (bytes from the write's start), for packets of `lengths`
    that belong in frame slots `slots` (increasing) of `slot_bytes` each: at its slot's start, or later
    when the packet before it is still being sent, or when it would straddle a multiple of `block_bytes`
    (spidev sends a long write in blocks of its `bufsiz`, with a short pause between blocks: a pause in
    the middle of a frame's data could latch half a frame, a pause in the low between frames cannot)."""
    offsets: list[int] = []
    end = 0
    for length, slot in zip(lengths, slots, strict=True):
        start = max(slot * slot_bytes, end)
        if block_bytes and length <= block_bytes and start // block_bytes != (start + length - 1) // block_bytes:
            start = (start // block_bytes + 1) * block_bytes
        offsets.append(start)
        end = start + length
    return offsets


def _channel_index(order: str) -> NDArray[np.intp]:
    """Columns of an (n, 3|4) RGB[W] array in the wire order, e.g. GRB -> [1, 0, 2]."""
    if order not in COLOUR_ORDERS:
        raise InputError(f"colour order must be one of {COLOUR_ORDERS}, got {order!r}")
    return np.array(["RGBW".index(c) for c in order], dtype=np.intp)


def encode_ws2812(pixels: NDArray[np.uint8], order: str = "GRB") -> bytes:
    """SPI bytes (at SPI_SPEED_HZ) that show `pixels` on a WS2812/SK6812 chain, latch included.

    `pixels` is (n, 3) uint8 RGB, or (n, 4) RGBW for order "GRBW" (SK6812 RGBW).
    """
    columns = _channel_index(order)
    pixels = np.asarray(pixels)
    if pixels.ndim != 2 or pixels.shape[1] != len(order) or pixels.dtype != np.uint8:
        raise InputError(f"pixels must be uint8 of shape (n, {len(order)}) for {order}, got "
                         f"{pixels.dtype} {pixels.shape}")
    wire = pixels[:, columns]
    return SPI_BYTE_TABLE[wire.ravel()].tobytes() + _LATCH


def gamma_table(gamma: float, brightness_limit: float) -> NDArray[np.uint8]:
    """(GAMMA_TABLE_SIZE,) LED drive bytes for perceived levels 0..1: round(255 * limit * v**gamma)."""
    return np.rint(drive_table(gamma, brightness_limit)).astype(np.uint8)


def drive_table(gamma: float, brightness_limit: float) -> NDArray[np.float64]:
    """(GAMMA_TABLE_SIZE,) LED drive 0..255 (fractional) for perceived levels 0..1: 255 * limit * v**gamma."""
    if not 1.0 <= gamma <= 3.0:
        raise InputError(f"gamma must be in 1..3, got {gamma}")
    if not 0.0 <= brightness_limit <= 1.0:
        raise InputError(f"brightness_limit must be in 0..1, got {brightness_limit}")
    levels = np.linspace(0.0, 1.0, GAMMA_TABLE_SIZE)
    table = 255.0 * brightness_limit * levels**gamma
    table.setflags(write=False)
    return table


def _table_index(frame: NDArray[np.floating[Any]]) -> NDArray[np.intp]:
    # fmax turns NaN into 0 (it prefers the number), minimum caps +inf: nan_to_num's answer at a
    # third of its cost.
    index = np.fmax(np.asarray(frame, dtype=float) * (GAMMA_TABLE_SIZE - 1) + 0.5, 0.0)
    np.minimum(index, GAMMA_TABLE_SIZE - 1, out=index)
    return index.astype(np.intp)


def frame_to_drive(frame: NDArray[np.floating[Any]], table: NDArray[Any]) -> NDArray[Any]:
    """Perceived levels (n, 3) 0..1 -> LED drive via a gamma table (non-finite values -> 0)."""
    return table[_table_index(frame)]


def lift_to_visible(drive: NDArray[np.float64], min_drive: float = MIN_LIT_DRIVE) -> NDArray[np.float64]:
    """Scale every lit LED (..., n, 3) whose brightest channel is below `min_drive` up to it, hue kept."""
    peak = drive.max(axis=-1, keepdims=True)
    dim = (peak > 0.0) & (peak < min_drive)
    scale = np.where(dim, min_drive / np.where(peak > 0.0, peak, 1.0), 1.0)
    return drive * scale


class TemporalDither:
    """First-order error diffusion in time: whole drive steps whose running mean is the intended
    fractional drive. Per LED and channel the rounding error is carried to the next frame; channels
    under one step are rounded (not dithered) and dark channels forget their error, so nothing
    blinks at a low rate. Source: the usual sigma-delta modulator (as in LED drivers such as
    Fadecandy's temporal dithering), written here for whole frames."""

    def __init__(self) -> None:
        self._error: NDArray[np.float64] | None = None

    def __call__(self, drive: NDArray[np.float64]) -> NDArray[np.uint8]:
        if self._error is None or self._error.shape != drive.shape:
            self._error = np.zeros_like(drive)
        wanted = drive + self._error
        steps = np.clip(np.floor(wanted + 0.5), 0.0, 255.0)
        below = drive < 1.0
        steps = np.where(below, np.clip(np.floor(drive + 0.5), 0.0, 255.0), steps)
        self._error = np.where(below, 0.0, wanted - steps)
        return steps.astype(np.uint8)

    def ahead(self, drive: NDArray[np.float64]) -> tuple[NDArray[np.uint8], NDArray[np.float64]]:
        """The same modulator run over consecutive frames (m, n, c) at once, from the current error,
        without changing it: (steps (m, n, c) uint8, error after each frame (m, n, c)).

        Error diffusion with a rounding quantiser is a running sum: after frame k the whole steps sent
        so far are round(e0 + d_0 + ... + d_k), so frame k's steps are the difference of two rounded
        running sums (a channel under one step restarts the sum at zero error). Equal to calling the
        modulator frame by frame, up to the floating-point order of the additions."""
        m = drive.shape[0]
        error0 = self._error if self._error is not None and self._error.shape == drive.shape[1:] else None
        below = drive < 1.0
        active = np.where(below, 0.0, drive)
        if error0 is not None:
            active[0] += np.where(below[0], 0.0, error0)
        running = np.cumsum(active, axis=0)
        # The running sum at the last restart (a channel under one step) at or before each frame.
        base = np.maximum.accumulate(np.where(below, running, -np.inf), axis=0)
        wanted = running - np.where(np.isneginf(base), 0.0, base)
        sent = np.where(below, 0.0, np.floor(wanted + 0.5))  # whole steps sent since the restart
        before = np.concatenate([np.zeros((1, *drive.shape[1:])), sent[:-1]]) if m else sent
        steps = np.where(below, np.floor(drive + 0.5), sent - before)
        errors = np.where(below, 0.0, wanted - sent)
        return np.clip(steps, 0.0, 255.0).astype(np.uint8), errors

    @property
    def error(self) -> NDArray[np.float64] | None:
        """The fractional drive carried into the next frame (None before the first)."""
        return self._error

    def restore(self, error: NDArray[np.float64] | None) -> None:
        """Carry `error` (from `ahead`) into the next frame, as if the frames before it had been run."""
        self._error = error

    def reset(self) -> None:
        self._error = None


def extract_white(rgb: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """(..., n, 3) RGB drive -> (..., n, 4) RGBW: the common part of R, G, B moves to the white LED.

    A frame with no blue (night) has no common part, so the white LED (which emits blue) stays dark.
    """
    white = rgb.min(axis=-1, keepdims=True)
    return np.concatenate([rgb - white, white], axis=-1)


@dataclass(frozen=True)
class EncodedFrames:
    """Consecutive frames encoded ahead by `SpiLedRing.encode_ahead`, shown one by one with
    `SpiLedRing.show_encoded`: per frame its LED drive (m, n_leds, 3|4) and SPI bytes, and the
    temporal dither's error before the first frame and after each."""

    frames: NDArray[np.float64]  # (m, n_leds, 3) perceived levels, as given
    drive: NDArray[np.uint8]
    wire: NDArray[np.uint8]  # (m, bytes per frame), latch not included
    error_before: NDArray[np.float64] | None
    errors: tuple[NDArray[np.float64], ...]  # after each frame (the dither's state is one of these)
    keys: tuple[bytes, ...] = ()  # per frame its drive as bytes (compared with what the ring shows)
    packets: tuple[bytes, ...] = ()  # per frame what is written: its SPI bytes and the latch

    def __len__(self) -> int:
        return int(self.drive.shape[0])


class SpiWriter(Protocol):
    """The part of spidev.SpiDev the ring needs (sim/spi_ring.py provides a decoding stand-in)."""

    def writebytes2(self, data: bytes | list[int]) -> None: ...

    def close(self) -> None: ...


class LedOutput(Protocol):
    """What the main loop drives at ~50 frames/s."""

    def show(self, frame: NDArray[np.floating[Any]]) -> None: ...

    def off(self) -> None: ...

    def close(self) -> None: ...

    def set_brightness_limit(self, brightness_limit: float) -> None: ...


class SpiLedRing:
    """A WS2812/SK6812 ring on an SPI writer. Context manager; `close()` turns the LEDs off, twice is fine."""

    def __init__(
        self,
        writer: SpiWriter,
        n_leds: int,
        order: str = "GRB",
        gamma: float = DEFAULT_GAMMA,
        brightness_limit: float = 1.0,
        block_bytes: int | None = None,
    ) -> None:
        if block_bytes is not None and block_bytes < 1:
            raise InputError(f"block_bytes must be >= 1 (spidev's bufsiz), got {block_bytes}")
        if not 1 <= n_leds <= 1024:
            raise InputError(f"n_leds must be in 1..1024, got {n_leds}")
        _channel_index(order)  # validate early
        self.n_leds = n_leds
        self.order = order
        self.gamma = gamma
        self._writer = writer
        self._table = drive_table(gamma, brightness_limit)
        self._dither = TemporalDither()
        self._columns = _channel_index(order)
        self._closed = False
        self._last_drive: bytes | None = None  # LED drive bytes of the last frame written
        self.block_bytes = block_bytes
        self.frames_written = 0
        self.frames_unchanged = 0  # frames not written because the ring already shows them

    def set_brightness_limit(self, brightness_limit: float) -> None:
        """Change the limit (0..1; InputError outside) from the next frame on: another person's setting."""
        self._table = drive_table(self.gamma, brightness_limit)
        self._last_drive = None  # the next frame is written even if its levels look the same

    def _write(self, data: bytes) -> None:
        if self._closed:
            raise OutputError("LED ring is closed")
        try:
            self._writer.writebytes2(data)
        except OSError as exc:
            raise OutputError(f"SPI write to the LED ring failed: {exc}") from exc

    def drive(self, frame: NDArray[np.floating[Any]]) -> NDArray[np.uint8]:
        """LED drive bytes (n_leds, 3|4) in RGB[W] for a frame of perceived levels, shape (n_leds, 3):
        gamma and limit, the visible floor, then temporal dithering (so consecutive calls carry state)."""
        if np.shape(frame) != (self.n_leds, 3):
            raise InputError(f"frame must have shape ({self.n_leds}, 3), got {np.shape(frame)}")
        drive = self._dither(lift_to_visible(frame_to_drive(frame, self._table)))
        if self.order == "GRBW":
            drive = extract_white(drive)
        return drive

    def _wire(self, drive: NDArray[np.uint8]) -> bytes:
        return SPI_BYTE_TABLE[drive[:, self._columns].ravel()].tobytes() + _LATCH

    def encode(self, frame: NDArray[np.floating[Any]]) -> bytes:
        """SPI bytes for a frame of perceived levels, shape (n_leds, 3) (see `drive`)."""
        return self._wire(self.drive(frame))

    def encode_ahead(self, frames: NDArray[np.floating[Any]]) -> EncodedFrames:
        """Encode consecutive frames (m, n_leds, 3) of perceived levels at once, for `show_encoded`:
        the same drive and bytes `show` would send frame by frame, for a fraction of the cost per
        frame (numpy's per-call cost, not the arithmetic, is what a 16-LED frame costs). The ring's
        state does not change until a frame is shown."""
        levels: NDArray[np.float64] = np.asarray(frames, dtype=np.float64)
        if levels.ndim != 3 or levels.shape[1:] != (self.n_leds, 3):
            raise InputError(f"frames must have shape (m, {self.n_leds}, 3), got {levels.shape}")
        steps, errors = self._dither.ahead(lift_to_visible(frame_to_drive(levels, self._table)))
        drive = extract_white(steps) if self.order == "GRBW" else steps
        m = len(levels)
        wire = SPI_BYTE_TABLE[drive[..., self._columns]].reshape(m, -1)
        # The bytes of every frame, cut from one conversion of the whole batch.
        key_all, key_len = drive.tobytes(), drive[0].nbytes if m else 0
        wire_all, wire_len = wire.tobytes(), wire.shape[1]
        keys = tuple(key_all[i * key_len:(i + 1) * key_len] for i in range(m))
        packets = tuple(wire_all[i * wire_len:(i + 1) * wire_len] + _LATCH for i in range(m))
        return EncodedFrames(levels, drive, wire, self._dither.error, tuple(errors), keys, packets)

    def show_encoded(self, encoded: EncodedFrames, k: int) -> None:
        """Show frame `k` of frames encoded ahead (as `show` would: not written when the ring already
        shows it): `show_paced` of that frame alone. Frames are shown in order from 0, any may be the
        last; should the dither have moved on otherwise meanwhile, the frame is encoded afresh, so what
        is sent is always right."""
        self.show_paced(encoded, k, k + 1, 1.0)  # one frame: its period places nothing

    def show_paced(self, encoded: EncodedFrames, k0: int, k1: int, frame_period_s: float) -> None:
        """Show frames k0..k1-1 of frames encoded ahead, one every `frame_period_s`, in ONE SPI write
        whose own clock paces them: each frame's bytes and latch start at its slot of the write, the line
        held low in between (low is no data: the LEDs keep the frame they have). So a burst of frames
        costs the caller one write, not one wake-up per frame; written at the first frame's deadline,
        frame j shows j periods later. A frame equal to what the ring shows at its slot is a low slot,
        not sent; low slots at the end are not written at all, and when no frame differs nothing is.

        As with `show_encoded`, should the dither have moved on otherwise since the frames were encoded,
        they are encoded afresh. The write's bytes never put a frame across a multiple of `block_bytes`
        (see `paced_offsets`). InputError for an empty or out-of-range run."""
        if self._closed:
            raise OutputError("LED ring is closed")
        if not 0 <= k0 < k1 <= len(encoded):
            raise InputError(f"frames {k0}..{k1 - 1} are not in a run of {len(encoded)}")
        expected = encoded.error_before if k0 == 0 else encoded.errors[k0 - 1]
        if self._dither.error is not expected or not encoded.keys:
            encoded, k0, k1 = self.encode_ahead(encoded.frames[k0:k1]), 0, k1 - k0
        shown, lengths, slots, packets = self._last_drive, [], [], []
        for k in range(k0, k1):
            key = encoded.keys[k]
            if key == shown:
                self.frames_unchanged += 1
                continue
            shown = key
            packet = encoded.packets[k]
            lengths.append(len(packet))
            slots.append(k - k0)
            packets.append(packet)
        self._dither.restore(encoded.errors[k1 - 1])
        if not packets:
            return
        offsets = paced_offsets(lengths, slots, frame_slot_bytes(frame_period_s), self.block_bytes)
        data = bytearray(offsets[-1] + lengths[-1])  # zeros: the line low between frames
        for offset, packet in zip(offsets, packets, strict=True):
            data[offset:offset + len(packet)] = packet
        self._write(bytes(data))
        self._last_drive = shown
        self.frames_written += len(packets)

    def _send(self, drive: NDArray[np.uint8], wire: NDArray[np.uint8]) -> None:
        key = drive.tobytes()
        if key != self._last_drive:
            self._send_bytes(key, wire.tobytes() + _LATCH)
        else:
            self.frames_unchanged += 1

    def _send_bytes(self, key: bytes, packet: bytes) -> None:
        """Write `packet` (SPI bytes and latch) unless the ring shows drive `key` already."""
        if key == self._last_drive:
            self.frames_unchanged += 1
            return
        self._write(packet)
        self._last_drive = key
        self.frames_written += 1

    def show(self, frame: NDArray[np.floating[Any]]) -> None:
        """Send one frame (n_leds, 3) of perceived levels 0..1 to the ring, unless the ring already
        shows exactly these drive levels. The comparison is on the output, after gamma, limit and
        temporal dithering, so a dithered level that alternates between steps is always written."""
        if self._closed:
            raise OutputError("LED ring is closed")
        drive = self.drive(frame)
        self._send(drive, SPI_BYTE_TABLE[drive[:, self._columns].ravel()])

    def off(self) -> None:
        """All LEDs dark (always written, whatever the ring was last sent)."""
        self._dither.reset()
        drive = self.drive(np.zeros((self.n_leds, 3)))
        self._last_drive = None
        self._write(self._wire(drive))
        self._last_drive = drive.tobytes()

    def close(self) -> None:
        """Turn the LEDs off and release the SPI device. Idempotent."""
        if self._closed:
            return
        try:
            self.off()
        finally:
            self._closed = True
            self._writer.close()

    def __enter__(self) -> SpiLedRing:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def open_spidev(bus: int = 0, device: int = 0, speed_hz: int = SPI_SPEED_HZ) -> SpiWriter:
    """Open /dev/spidev<bus>.<device> at `speed_hz`, mode 0 (imports spidev only now)."""
    try:
        import spidev  # hardware library: imported only when the real ring is chosen
    except ImportError as exc:
        raise OutputError("the spidev package is not installed (pip install spidev on the Pi)") from exc
    spi = spidev.SpiDev()
    try:
        spi.open(bus, device)
    except OSError as exc:
        raise OutputError(
            f"cannot open /dev/spidev{bus}.{device} ({exc}); enable SPI with dtparam=spi=on"
        ) from exc
    spi.mode = 0
    spi.max_speed_hz = speed_hz
    log.info("LED ring on /dev/spidev%d.%d at %d Hz", bus, device, speed_hz)
    return spi


def default_pin_factory() -> Any:
    """gpiozero's default pin factory for this machine (lgpio on a current Pi), or OutputError in
    one line when the machine has no GPIO gpiozero can drive (imports gpiozero only now)."""
    from gpiozero import Device
    from gpiozero.exc import GPIOZeroError, PinFactoryFallback

    try:
        with warnings.catch_warnings():
            # gpiozero warns about each backend it tries; the error below says it in one line.
            warnings.simplefilter("ignore", PinFactoryFallback)
            Device.ensure_pin_factory()
    except (GPIOZeroError, OSError, RuntimeError, ImportError) as exc:
        raise OutputError(f"no GPIO for the PWM LED ({exc}); led.kind = \"pwm\" needs a Raspberry Pi "
                          "(or set led.kind = \"none\")") from exc
    return Device.pin_factory


class PwmLed:
    """The simplest build: one plain LED on a GPIO pin, dimmed by PWM (gpiozero.PWMLED).

    Shows the ring's mean brightness (per LED, the brightest channel), gamma-corrected and limited,
    never below MIN_LIT_DRIVE / 255 while lit. `pin_factory` is gpiozero's: None for the default
    backend, MockFactory in tests. Raises OutputError (hardware missing) when the machine has no
    GPIO gpiozero can drive.
    """

    def __init__(
        self,
        pin: int,
        pin_factory: Any = None,
        gamma: float = DEFAULT_GAMMA,
        brightness_limit: float = 1.0,
    ) -> None:
        from gpiozero import PWMLED  # imported here so `import drivers.led_ring` stays light
        from gpiozero.exc import GPIOZeroError, PinFactoryFallback

        self.gamma = gamma
        self._table = drive_table(gamma, brightness_limit)
        try:
            with warnings.catch_warnings():
                # gpiozero warns about each backend it tries; the error below says it in one line.
                warnings.simplefilter("ignore", PinFactoryFallback)
                self._led = PWMLED(pin, pin_factory=pin_factory)
        except (GPIOZeroError, OSError, RuntimeError) as exc:
            raise OutputError(f"no GPIO for the PWM LED on GPIO{pin} ({exc}); led.kind = \"pwm\" needs a "
                              "Raspberry Pi (or set led.kind = \"none\")") from exc
        self._closed = False

    def set_brightness_limit(self, brightness_limit: float) -> None:
        """Change the limit (0..1; InputError outside) from the next frame on: another person's setting."""
        self._table = drive_table(self.gamma, brightness_limit)

    def show(self, frame: NDArray[np.floating[Any]]) -> None:
        """Set the LED to the gamma-corrected mean brightness of `frame` (n, 3) perceived levels."""
        if self._closed:
            raise OutputError("PWM LED is closed")
        levels = np.asarray(frame, dtype=float)
        mean_level = float(np.mean(np.max(levels, axis=-1))) if levels.size else 0.0
        drive = float(frame_to_drive(np.array([mean_level]), self._table)[0])
        if drive > 0.0:
            drive = max(drive, MIN_LIT_DRIVE)
        self._led.value = min(drive / 255.0, 1.0)

    def off(self) -> None:
        if self._closed:
            raise OutputError("PWM LED is closed")
        self._led.value = 0.0

    def close(self) -> None:
        """Turn the LED off and release the pin. Idempotent."""
        if self._closed:
            return
        self._closed = True
        try:
            self._led.value = 0.0
        finally:
            self._led.close()

    def __enter__(self) -> PwmLed:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
