"""An LED ring's SPI device that may be missing at start or fail mid-session, and come back.

`RecoveringSpi` is an SpiWriter over `open_spi` (e.g. drivers.led_ring.open_spidev). While the device
cannot be opened or written, frames are dropped (the device goes on with sound, measurement, storage and
MQTT), and opening is tried again at the next frame after RETRY_MIN_S, then at doubling intervals up to
RETRY_MAX_S of the device clock. Each outage is logged once when it starts and once when it ends. A
missing spidev library is not a fault that heals: it is raised at once (HardwareError, exit 69).

After the ring comes back it shows the next frame that differs from the last one written (while a
session runs that is the next frame; a dark ring stays dark, which it is after power-up anyway).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Final

from device.clock import Clock
from device.errors import OutputError
from drivers.led_ring import SpiWriter

log = logging.getLogger(__name__)

RETRY_MIN_S: Final = 2.0
RETRY_MAX_S: Final = 60.0


def _library_missing(exc: OutputError) -> bool:
    return isinstance(exc.__cause__, ImportError)


class RecoveringSpi:
    """An SpiWriter that survives its device; tries `open_spi` at once (raising only if the library
    itself is missing) and again with back-off while the device is missing or failing."""

    def __init__(self, open_spi: Callable[[], SpiWriter], clock: Clock, retry_min_s: float = RETRY_MIN_S,
                 retry_max_s: float = RETRY_MAX_S) -> None:
        if not 0 < retry_min_s <= retry_max_s:
            raise ValueError(f"retry intervals must satisfy 0 < min <= max, got {retry_min_s}, {retry_max_s}")
        self._open = open_spi
        self._clock = clock
        self._retry_min_s = retry_min_s
        self._retry_max_s = retry_max_s
        self._backoff_s = retry_min_s
        self._next_try_s = 0.0
        self._spi: SpiWriter | None = None
        self._closed = False
        self.outages = 0
        self.dropped_frames = 0
        self._try_open()

    @property
    def connected(self) -> bool:
        return self._spi is not None

    def writebytes2(self, data: bytes | list[int]) -> None:
        if self._closed:
            raise OSError("the SPI device is closed")
        if self._spi is None and self._clock.now_s() >= self._next_try_s:
            self._try_open()
        spi = self._spi
        if spi is None:
            self.dropped_frames += 1
            return
        try:
            spi.writebytes2(data)
        except OSError as exc:
            self._spi = None
            self.dropped_frames += 1
            self._lost(f"SPI write to the LED ring failed: {exc}")
            with contextlib.suppress(OSError):  # releasing a device that is gone
                spi.close()

    def close(self) -> None:
        self._closed = True
        spi, self._spi = self._spi, None
        if spi is not None:
            spi.close()

    def _try_open(self) -> None:
        try:
            spi = self._open()
        except OutputError as exc:
            if _library_missing(exc):
                raise
            self._lost(str(exc))
            return
        self._spi = spi
        if self.outages:
            log.warning("LED ring is back")
        self._backoff_s = self._retry_min_s

    def _lost(self, why: str) -> None:
        if self._backoff_s == self._retry_min_s:  # the first failure since the ring last worked
            self.outages += 1
            log.warning("no LED ring: %s; the device goes on without light and tries the ring again", why)
        else:
            log.debug("LED ring still unavailable: %s", why)
        self._next_try_s = self._clock.now_s() + self._backoff_s
        self._backoff_s = min(self._backoff_s * 2.0, self._retry_max_s)
