"""LED outputs: a WS2812/SK6812 ring over SPI, or one plain LED on a PWM pin.

WS2812 over SPI: every data bit becomes 3 SPI bits at SPI_SPEED_HZ = 2.4 MHz (0.417 us each), so a
0 is sent as `100` (high 0.42 us, low 0.83 us) and a 1 as `110` (high 0.83 us, low 0.42 us): a 1.25 us
bit period, inside the WS2812B and SK6812 timing windows. Each colour byte becomes 3 SPI bytes, looked
up from a 256-entry table, so a frame is a few numpy operations. After the data comes a latch: the
line held low for LATCH_US = 300 us (WS2812B V5 needs > 280 us, SK6812 > 80 us).

SPI on the Raspberry Pi: enable it (`dtparam=spi=on`), use /dev/spidev0.0 (MOSI = GPIO 10). On a Pi 3
or Zero 2 W the SPI clock follows the VPU core clock, so pin it (`core_freq=250` / `core_freq_min=250`
in config.txt) or the bit timing wanders with CPU scaling. The Pi 5 (RP1) has a fixed SPI clock.

Frames are perceived levels 0..1 (see patterns/led.py); the driver maps them to LED drive with a gamma
lookup table and a hardware brightness limit (to keep the ring calm and the supply within budget).
"""

from __future__ import annotations

import logging
from types import TracebackType
from typing import Any, Final, Protocol

import numpy as np
from numpy.typing import NDArray

from device.errors import InputError, OutputError

log = logging.getLogger(__name__)

SPI_SPEED_HZ: Final = 2_400_000  # 3 SPI bits per WS2812 bit -> 800 kbit/s on the LED line
SPI_BITS_PER_BIT: Final = 3
LATCH_US: Final = 300.0  # reset/latch low time after the data
LATCH_BYTES: Final = int(np.ceil(LATCH_US * 1e-6 * SPI_SPEED_HZ / 8))  # 90 zero bytes
GAMMA_TABLE_SIZE: Final = 4096  # perceived-level quantisation before gamma (12 bits)
DEFAULT_GAMMA: Final = 2.2
COLOUR_ORDERS: Final = ("GRB", "RGB", "GRBW")


def _bit_table() -> NDArray[np.uint8]:
    """(256, 3) SPI bytes for each colour byte: each bit b (MSB first) -> 1, b, 0."""
    values = np.arange(256, dtype=np.uint8)
    bits = np.unpackbits(values[:, None], axis=1)  # (256, 8), MSB first
    triples = np.stack([np.ones_like(bits), bits, np.zeros_like(bits)], axis=2).reshape(256, 24)
    table = np.packbits(triples, axis=1)
    table.setflags(write=False)
    return table


SPI_BYTE_TABLE: Final = _bit_table()
_LATCH: Final = bytes(LATCH_BYTES)


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
    if not 1.0 <= gamma <= 3.0:
        raise InputError(f"gamma must be in 1..3, got {gamma}")
    if not 0.0 <= brightness_limit <= 1.0:
        raise InputError(f"brightness_limit must be in 0..1, got {brightness_limit}")
    levels = np.linspace(0.0, 1.0, GAMMA_TABLE_SIZE)
    table = np.rint(255.0 * brightness_limit * levels**gamma).astype(np.uint8)
    table.setflags(write=False)
    return table


def frame_to_drive(frame: NDArray[np.floating[Any]], table: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """Perceived levels (n, 3) 0..1 -> LED drive bytes via a gamma table (non-finite values -> 0)."""
    # fmax turns NaN into 0 (it prefers the number), minimum caps +inf: nan_to_num's answer at a
    # third of its cost.
    index = np.fmax(np.asarray(frame, dtype=float) * (GAMMA_TABLE_SIZE - 1) + 0.5, 0.0)
    np.minimum(index, GAMMA_TABLE_SIZE - 1, out=index)
    return table[index.astype(np.intp)]


def extract_white(rgb: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """(n, 3) RGB drive -> (n, 4) RGBW: the common part of R, G, B moves to the white LED.

    A frame with no blue (night) has no common part, so the white LED (which emits blue) stays dark.
    """
    white = rgb.min(axis=1, keepdims=True)
    return np.concatenate([rgb - white, white], axis=1)


class SpiWriter(Protocol):
    """The part of spidev.SpiDev the ring needs (sim/spi_ring.py provides a decoding stand-in)."""

    def writebytes2(self, data: bytes | list[int]) -> None: ...

    def close(self) -> None: ...


class LedOutput(Protocol):
    """What the main loop drives at ~50 frames/s."""

    def show(self, frame: NDArray[np.floating[Any]]) -> None: ...

    def off(self) -> None: ...

    def close(self) -> None: ...


class SpiLedRing:
    """A WS2812/SK6812 ring on an SPI writer. Context manager; `close()` turns the LEDs off, twice is fine."""

    def __init__(
        self,
        writer: SpiWriter,
        n_leds: int,
        order: str = "GRB",
        gamma: float = DEFAULT_GAMMA,
        brightness_limit: float = 1.0,
    ) -> None:
        if not 1 <= n_leds <= 1024:
            raise InputError(f"n_leds must be in 1..1024, got {n_leds}")
        _channel_index(order)  # validate early
        self.n_leds = n_leds
        self.order = order
        self._writer = writer
        self._table = gamma_table(gamma, brightness_limit)
        self._columns = _channel_index(order)
        self._closed = False
        self._last_drive: bytes | None = None  # LED drive bytes of the last frame written
        self.frames_written = 0
        self.frames_unchanged = 0  # frames not written because the ring already shows them

    def _write(self, data: bytes) -> None:
        if self._closed:
            raise OutputError("LED ring is closed")
        try:
            self._writer.writebytes2(data)
        except OSError as exc:
            raise OutputError(f"SPI write to the LED ring failed: {exc}") from exc

    def drive(self, frame: NDArray[np.floating[Any]]) -> NDArray[np.uint8]:
        """LED drive bytes (n_leds, 3|4) in RGB[W] for a frame of perceived levels, shape (n_leds, 3)."""
        if np.shape(frame) != (self.n_leds, 3):
            raise InputError(f"frame must have shape ({self.n_leds}, 3), got {np.shape(frame)}")
        drive = frame_to_drive(frame, self._table)
        if self.order == "GRBW":
            drive = extract_white(drive)
        return drive

    def _wire(self, drive: NDArray[np.uint8]) -> bytes:
        return SPI_BYTE_TABLE[drive[:, self._columns].ravel()].tobytes() + _LATCH

    def encode(self, frame: NDArray[np.floating[Any]]) -> bytes:
        """SPI bytes for a frame of perceived levels, shape (n_leds, 3)."""
        return self._wire(self.drive(frame))

    def show(self, frame: NDArray[np.floating[Any]]) -> None:
        """Send one frame (n_leds, 3) of perceived levels 0..1 to the ring, unless the ring already
        shows exactly these drive levels (the comparison is on the output, after gamma and limit, so
        anything that changes what the LEDs get is always written)."""
        if self._closed:
            raise OutputError("LED ring is closed")
        drive = self.drive(frame)
        key = drive.tobytes()
        if key == self._last_drive:
            self.frames_unchanged += 1
            return
        self._write(self._wire(drive))
        self._last_drive = key
        self.frames_written += 1

    def off(self) -> None:
        """All LEDs dark (always written)."""
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


class PwmLed:
    """The simplest build: one plain LED on a GPIO pin, dimmed by PWM (gpiozero.PWMLED).

    Shows the ring's mean brightness (per LED, the brightest channel), gamma-corrected and limited.
    `pin_factory` is gpiozero's: None for the default backend, MockFactory in tests.
    """

    def __init__(
        self,
        pin: int,
        pin_factory: Any = None,
        gamma: float = DEFAULT_GAMMA,
        brightness_limit: float = 1.0,
    ) -> None:
        from gpiozero import PWMLED  # imported here so `import drivers.led_ring` stays light

        self._table = gamma_table(gamma, brightness_limit)
        self._led = PWMLED(pin, pin_factory=pin_factory)
        self._closed = False

    def show(self, frame: NDArray[np.floating[Any]]) -> None:
        """Set the LED to the gamma-corrected mean brightness of `frame` (n, 3) perceived levels."""
        if self._closed:
            raise OutputError("PWM LED is closed")
        levels = np.asarray(frame, dtype=float)
        mean_level = float(np.mean(np.max(levels, axis=-1))) if levels.size else 0.0
        drive = int(frame_to_drive(np.array([mean_level]), self._table)[0])
        self._led.value = drive / 255.0

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
