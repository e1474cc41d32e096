"""Supervisor of the pulse sensor: keeps a MAX30102 running across bus failures.

The daemon calls `PulseSensor.poll()` from its main loop every few tens of milliseconds. A bus error
(EIO, EREMOTEIO), an unplugged chip, a chip that power-cycled or one that stopped delivering samples
never escapes: the reading says "lost", the failure is logged once per change of state, and the
sensor is re-initialised with exponential back-off measured on the clock (0.5 s doubling to 30 s by
default). A sensor missing at boot goes through the same back-off, so the device may start before
the sensor is plugged in. The first start takes the sample index from the clock (index =
round(now_s * fs) + 1 for the first sample); a restart goes on counting where the samples would have
been by the measured rate (drivers/sample_clock.py), so all samples stay on one timeline and a glitch
of a second or two shows as the samples it lost, not as a jump. The first block after a restart
carries `discontinuity=True`. `sample_clock` maps sample indices to monotonic seconds with the rate
measured against the clock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Final, Literal, cast

from device.clock import Clock
from device.errors import ConfigError, SensorError, SensorLost, SensorNotFound
from drivers.max30102 import (
    DEFAULT_ADDRESS,
    DEFAULT_BUS_NUMBER,
    I2CBus,
    Max30102,
    Max30102Settings,
    SampleBlock,
)
from drivers.sample_clock import SampleClock

log = logging.getLogger(__name__)

SensorStatus = Literal["starting", "ok", "lost"]
BACKOFF_INITIAL_S: Final = 0.5
BACKOFF_MAX_S: Final = 30.0
STALL_TIMEOUT_S: Final = 1.0  # a running chip with no new sample for this long is treated as lost


@dataclass(frozen=True)
class SensorReading:
    """What one poll found.

    status: "starting" before the first start attempt has finished, "ok" while the chip delivers,
        "lost" while it is missing or failing (being retried).
    block: the new samples, or None when there are none.
    finger_on_dc: finger presence from the DC level (None until measured, and while not ok).
    lost_samples_total: samples dropped by FIFO overflows since this supervisor was made.
    discontinuity: True on the first block after a (re)start; the pipeline must reset.
    detail: why the sensor is not ok (empty when it is), for logs and status displays.
    """

    status: SensorStatus
    block: SampleBlock | None
    finger_on_dc: bool | None
    lost_samples_total: int
    discontinuity: bool
    detail: str = ""


def smbus2_bus_factory(bus_number: int) -> Callable[[], I2CBus]:
    """A bus factory for the real hardware: opens /dev/i2c-<bus_number> with smbus2 on each call."""

    def open_bus() -> I2CBus:
        from smbus2 import SMBus  # lazy: only the real backend needs it

        return cast(I2CBus, SMBus(bus_number))

    return open_bus


class PulseSensor:
    """Runs a Max30102 made on a bus from `bus_factory`, restarting it when it fails.

    Every log line (its own and its driver's) says which sensor: "0x57 on <place>", where `place` is the
    sensor's place in words (drivers/sensor_layout.sensor_places: "bus 1", "channel 0 of the TCA9548A at
    0x70 on bus 1"; default "bus <bus_number>"), followed by " (<name>)" when a `name` is given ("sensor A",
    "sensor B": a device with two sensors; none for a device with one).
    """

    def __init__(self, bus_factory: Callable[[], I2CBus], settings: Max30102Settings, clock: Clock,
                 address: int = DEFAULT_ADDRESS, bus_number: int = DEFAULT_BUS_NUMBER, *,
                 backoff_initial_s: float = BACKOFF_INITIAL_S, backoff_max_s: float = BACKOFF_MAX_S,
                 stall_timeout_s: float = STALL_TIMEOUT_S, place: str | None = None,
                 name: str | None = None) -> None:
        problems = []
        if not 0.0 < backoff_initial_s <= backoff_max_s:
            problems.append("sensor.backoff_initial_s must be > 0 and <= sensor.backoff_max_s")
        if not stall_timeout_s > 0.0:
            problems.append("sensor.stall_timeout_s must be > 0")
        if problems:
            raise ConfigError(problems)
        self._bus_factory = bus_factory
        self._settings = settings
        self._clock = clock
        self._address = address
        self._bus_number = bus_number
        self._backoff_initial_s = backoff_initial_s
        self._backoff_max_s = backoff_max_s
        self._stall_timeout_s = stall_timeout_s
        self._where = f"0x{address:02x} on {place or f'bus {bus_number}'}" + (f" ({name})" if name else "")
        self._bus: I2CBus | None = None
        self._driver: Max30102 | None = None
        self._status: SensorStatus = "starting"
        self._detail = ""
        self._backoff_s = backoff_initial_s
        self._retry_at_s = clock.now_s()
        self._lost_since_s: float | None = None
        self._last_sample_s = 0.0
        self._lost_samples_total = 0
        self._discontinuity_pending = False
        self._closed = False
        self.sample_clock = SampleClock(float(settings.sample_rate_hz))

    @property
    def status(self) -> SensorStatus:
        return self._status

    @property
    def watching(self) -> bool:
        """True while the running chip only watches for a finger (drivers/max30102.py); False when it
        delivers samples at the full rate, and while it is not running."""
        return self._driver is not None and self._driver.watching

    def poll(self) -> SensorReading:
        """Read whatever the sensor has; (re)start it when due. Never raises for sensor failures."""
        if self._closed:
            raise SensorError(f"poll() on the pulse sensor at {self._where} after close()")
        now_s = self._clock.now_s()
        if self._driver is None:
            if now_s >= self._retry_at_s:
                self._try_start(now_s)
            return self._reading(None)
        driver = self._driver
        watch_read = driver.watching  # this read drains finger-watch samples (none of them delivered)
        try:
            block = driver.read()
            if block.n_samples or block.watched:
                self._last_sample_s = now_s
            elif now_s - self._last_sample_s > self._stall_timeout_s:
                raise SensorLost(f"MAX30102 at {self._where} delivered no samples for "
                                 f"{now_s - self._last_sample_s:.1f} s")
        except SensorError as err:  # SensorLost, or a chip that misbehaves
            self._lose(now_s, err)
            return self._reading(None)
        self._lost_samples_total += block.lost
        if not watch_read:  # a finger-watch sample may be 80 ms old when read: no measure of the rate
            self.sample_clock.observe(now_s, block.next_index)
        if driver.switched and not driver.watching:
            # Back to full rate: the chip restarted its sampling now. Its samples go on on the timeline by
            # its own count, but the finger-watch samples leave the phase uncertain by up to one of them
            # (80 ms), so the readings from before the watch no longer measure the rate against the new
            # ones (sample_clock.restarted); the first full-rate block is a discontinuity.
            self.sample_clock.restarted()
            self._discontinuity_pending = True
        if not block.n_samples:
            return self._reading(None)
        discontinuity, self._discontinuity_pending = self._discontinuity_pending, False
        return self._reading(block, discontinuity)

    def close(self) -> None:
        """Shut the chip down and release the bus. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        self._release()

    def __enter__(self) -> PulseSensor:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # --- internals -------------------------------------------------------------------------
    def _reading(self, block: SampleBlock | None, discontinuity: bool = False) -> SensorReading:
        finger = self._driver.finger_on if self._driver is not None and self._status == "ok" else None
        return SensorReading(self._status, block, finger, self._lost_samples_total, discontinuity,
                             self._detail)

    def _try_start(self, now_s: float) -> None:
        try:
            self._bus = self._bus_factory()
            self._driver = Max30102(self._bus, self._bus_number, self._address, self._settings,
                                    clock=self._clock, where=self._where)
            self._driver.start(first_index=self.sample_clock.expected_index(self._clock.now_s()))
            self.sample_clock.restarted()
        except (SensorError, OSError) as err:  # OSError: /dev/i2c-N missing (I2C not enabled)
            self._release()
            self._retry_at_s = now_s + self._backoff_s
            self._set_state("lost", f"{err}; retrying in {self._backoff_s:.1f} s", err)
            self._backoff_s = min(2.0 * self._backoff_s, self._backoff_max_s)
            return
        if self._lost_since_s is not None:
            log.info("pulse sensor at %s is back after %.1f s", self._where, now_s - self._lost_since_s)
        self._lost_since_s = None
        self._backoff_s = self._backoff_initial_s
        self._last_sample_s = self._clock.now_s()
        self._discontinuity_pending = True
        self._set_state("ok", "", None)

    def _lose(self, now_s: float, err: SensorError) -> None:
        self._release()
        self._lost_since_s = now_s
        self._backoff_s = self._backoff_initial_s
        self._retry_at_s = now_s + self._backoff_s
        self._set_state("lost", f"{err}; retrying in {self._backoff_s:.1f} s", err)
        self._backoff_s = min(2.0 * self._backoff_s, self._backoff_max_s)

    def _release(self) -> None:
        driver, bus = self._driver, self._bus
        self._driver = self._bus = None
        if driver is not None:
            driver.close()
        if bus is not None:
            try:
                bus.close()
            except OSError as err:
                log.debug("closing the I2C bus of the pulse sensor at %s failed: %s", self._where, err)

    def _set_state(self, status: SensorStatus, detail: str, err: BaseException | None) -> None:
        """Change state; log only when the state changes, not on every failed retry."""
        previous, self._status, self._detail = self._status, status, detail
        if status == previous:
            log.debug("pulse sensor at %s still %s: %s", self._where, status, detail)
        elif status == "ok":
            log.info("pulse sensor at %s ok", self._where)
        elif isinstance(err, SensorNotFound):  # its detail names the chip: "no MAX30102 at <where>: ..."
            log.error("pulse sensor not found: %s", detail)
        else:  # e.g. OSError opening /dev/i2c-N, whose detail does not say which sensor
            log.warning("pulse sensor at %s lost: %s", self._where, detail)
