"""Register-level driver for the MAX30102 pulse oximeter (also MAX30101/MAX30105) over I2C.

The bus is any smbus2-compatible object (smbus2.SMBus on the Pi, sim.i2c_bus.VirtualI2CBus on a
laptop). smbus2 itself is imported only when a FIFO burst is read, for its `i2c_msg`.

Timing: every sample is stamped by its index, `t_s = index / fs_hz`, on the device clock's
timeline: the first sample after `start()` gets `round(t_start * fs) + 1` (it is pushed one sample
period after sampling starts), and later ones count up from there, jumping over samples the FIFO
dropped. With on-chip averaging a sample's time is the end of its averaging window, a constant
group delay of (averaging - 1) / (2 * ADC rate), e.g. 3.75 ms at 400 sps averaged by 4.

Default rates: the ADC always runs at 400 conversions/s and the chip averages 400 / fs of them into
each delivered sample (4 for 100 Hz, 8 for 50 Hz, 16 for 25 Hz). Averaging 4 halves white noise
against 100 sps without averaging, and its 10 ms boxcar has a null at 100 Hz, the flicker of lamps
on 50 Hz mains; 400 sps is the fastest the datasheet allows in SpO2 mode at the 411 us pulse width
that gives the full 18-bit resolution. The price is four times the LED on-time, which a mains-
powered bedside device can afford.

Finger watch: while the DC level says no finger is on, the chip averages WATCH_AVERAGING (32)
conversions into each FIFO sample instead, so it delivers 12.5 samples/s, which the 32-sample FIFO
holds for 2.56 s: the daemon then drains it once a second (device/app.py) instead of ten times, and
the DC level it judges the finger by is averaged over more conversions. Those samples serve the
finger check alone; a read delivers none of them (`SampleBlock.watched` counts the indices they
span, so the timeline goes on). The switch is made inside the read whose DC check changed the
finger's state, right after the FIFO was drained: the FIFO configuration is written and the FIFO
emptied, so it never mixes the two kinds of samples. Returning to full rate costs the samples the
finger had put in between (at most a second, while the pipeline starts on a new finger anyway).
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Final, Protocol

import numpy as np
from numpy.typing import NDArray

from device.clock import Clock
from device.errors import ConfigError, InputError, SensorError, SensorLost, SensorNotFound
from drivers import max30102_regs as regs
from drivers.max30102_agc import AgcSettings, ChannelLevel, finger_on_from_dc, next_led_current

log = logging.getLogger(__name__)

DEFAULT_ADDRESS: Final = 0x57
DEFAULT_BUS_NUMBER: Final = 1
ADC_RATE_SPS: Final = 400  # conversions per second; see the module docstring
DELIVERED_RATES_HZ: Final = (25, 50, 100, 200, 400)
RESET_POLLS: Final = 20  # the RESET bit normally clears before the first poll
RESET_POLL_INTERVAL_S: Final = 0.001
N_LEDS_SPO2: Final = 2
OVERFLOW_WARNING_INTERVAL_S: Final = 60.0
WATCH_AVERAGING: Final = 32  # conversions averaged into a FIFO sample while no finger is on (the most)


class I2CBus(Protocol):
    """The part of smbus2.SMBus the driver uses."""

    def read_byte_data(self, i2c_addr: int, register: int) -> int: ...

    def write_byte_data(self, i2c_addr: int, register: int, value: int) -> None: ...

    def read_i2c_block_data(self, i2c_addr: int, register: int, length: int) -> list[int]: ...

    def write_i2c_block_data(self, i2c_addr: int, register: int, data: Sequence[int]) -> None: ...

    def i2c_rdwr(self, *i2c_msgs: Any) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Max30102Settings:
    """Sensor configuration. `sample_rate_hz` is the rate delivered to the pipeline."""

    sample_rate_hz: int = 100
    pulse_width_us: int = 411
    adc_range_na: int = 4096
    red_led_current_ma: float = 7.0
    ir_led_current_ma: float = 7.0
    agc: AgcSettings = field(default_factory=AgcSettings)

    def problems(self) -> list[str]:
        """Every invalid value, each naming its key."""
        found: list[str] = []
        if self.sample_rate_hz not in DELIVERED_RATES_HZ:
            found.append(f"sensor.sample_rate_hz must be one of {DELIVERED_RATES_HZ}, "
                         f"got {self.sample_rate_hz}")
        if self.pulse_width_us not in regs.PULSE_WIDTH_CODE_BY_US:
            found.append(f"sensor.pulse_width_us must be one of {sorted(regs.PULSE_WIDTH_CODE_BY_US)}, "
                         f"got {self.pulse_width_us}")
        elif regs.MAX_SPO2_SPS_BY_PULSE_WIDTH_US[self.pulse_width_us] < ADC_RATE_SPS:
            found.append(f"sensor.pulse_width_us {self.pulse_width_us} is too long for {ADC_RATE_SPS} sps")
        if self.adc_range_na not in regs.ADC_RANGE_CODE_BY_NA:
            found.append(f"sensor.adc_range_na must be one of {sorted(regs.ADC_RANGE_CODE_BY_NA)}, "
                         f"got {self.adc_range_na}")
        for key, value in (("red_led_current_ma", self.red_led_current_ma),
                           ("ir_led_current_ma", self.ir_led_current_ma)):
            if not 0.0 <= value <= regs.LED_CURRENT_MAX_MA:
                found.append(f"sensor.{key} must be within 0..{regs.LED_CURRENT_MAX_MA:.1f} mA, got {value}")
        return found

    def __post_init__(self) -> None:
        found = self.problems()
        if found:
            raise ConfigError(found)

    @property
    def averaging(self) -> int:
        """ADC conversions averaged on the chip into one delivered sample."""
        return ADC_RATE_SPS // self.sample_rate_hz

    @property
    def resolution_bits(self) -> int:
        """ADC resolution that the pulse width gives."""
        return regs.PULSE_WIDTH_CODE_BY_US[self.pulse_width_us][1]


@dataclass(frozen=True, eq=False)
class SampleBlock:
    """Consecutive samples drained from the FIFO.

    Sample i has index `first_index + i` and time `(first_index + i) / fs_hz` seconds on the device
    clock. `lost` samples were dropped by the FIFO just before `first_index`. red and ir are raw
    ADC counts on the 18-bit scale (0..262143). `led_current_changed` marks the first block read
    after the AGC changed an LED current: its DC level stepped from the previous block's.
    `red_current_ma` / `ir_current_ma` are the LED currents the chip used for these samples, so a
    consumer can divide by them (counts per mA follow the tissue, not the AGC).
    `watched` counts the indices just before `first_index` that the chip spent watching for a finger
    (see `Max30102`: with no finger on it averages WATCH_AVERAGING conversions a sample and delivers
    none of them); like `lost` ones, they are not in the block.
    """

    first_index: int
    red: NDArray[np.float64]
    ir: NDArray[np.float64]
    lost: int
    fs_hz: float
    led_current_changed: bool = False
    red_current_ma: float = float("nan")
    ir_current_ma: float = float("nan")
    watched: int = 0

    @property
    def n_samples(self) -> int:
        return int(self.red.shape[0])

    @property
    def next_index(self) -> int:
        """Index the next block's first sample will have if nothing is lost in between."""
        return self.first_index + self.n_samples

    @property
    def t_s(self) -> NDArray[np.float64]:
        """Sample times in seconds on the device clock."""
        return (self.first_index + np.arange(self.n_samples, dtype=np.float64)) / self.fs_hz


def decode_fifo(data: bytes, n_leds: int, pulse_width_us: int) -> NDArray[np.float64]:
    """Decode FIFO bytes into counts, shape (n_samples, n_leds), LEDs in slot order (red, IR).

    Each value is 3 bytes, MSB first; the top 6 bits are not data and are masked off. Data are
    left-justified on 18 bits, so bits below the pulse width's resolution are zeroed.
    """
    if n_leds < 1:
        raise InputError(f"n_leds must be >= 1, got {n_leds}")
    if pulse_width_us not in regs.PULSE_WIDTH_CODE_BY_US:
        raise InputError(f"pulse_width_us must be one of {sorted(regs.PULSE_WIDTH_CODE_BY_US)}")
    sample_bytes = regs.BYTES_PER_CHANNEL * n_leds
    if len(data) % sample_bytes:
        raise InputError(f"{len(data)} bytes is not a whole number of {sample_bytes}-byte samples")
    raw = np.frombuffer(data, dtype=np.uint8).reshape(-1, regs.BYTES_PER_CHANNEL)
    # Each 3-byte value behind a zero byte reads as one big-endian 32-bit integer.
    padded = np.zeros((len(raw), 4), dtype=np.uint8)
    padded[:, 1:] = raw
    unused_bits = 18 - regs.PULSE_WIDTH_CODE_BY_US[pulse_width_us][1]
    values = padded.view(">u4").reshape(-1, n_leds) & (regs.ADC_MAX_COUNT & ~((1 << unused_bits) - 1))
    return values.astype(np.float64)


_NO_SAMPLES: Final = np.zeros(0)
_NO_SAMPLES.setflags(write=False)


@dataclass
class _AgcWindow:
    """Running DC statistics of both channels over one AGC period."""

    n: int = 0
    red_sum: float = 0.0
    ir_sum: float = 0.0
    red_peak: float = 0.0
    ir_peak: float = 0.0

    def add(self, samples: NDArray[np.float64]) -> None:
        """Take in a block's samples (n, 2): red, IR (one reduction per statistic for both)."""
        if len(samples):
            self.n += len(samples)
            (red_sum, ir_sum), (red_peak, ir_peak) = samples.sum(axis=0).tolist(), samples.max(axis=0).tolist()
            self.red_sum += red_sum
            self.ir_sum += ir_sum
            self.red_peak = max(self.red_peak, red_peak)
            self.ir_peak = max(self.ir_peak, ir_peak)


class Max30102:
    """One MAX30102 on an I2C bus. `start()` it, then `read()` the FIFO every few tens of ms
    (32 samples of FIFO last 320 ms at 100 Hz); `close()` shuts the chip down.

    `clock` spaces the reset polls and estimates losses beyond what OVF_COUNTER can count. `where` names
    the chip in every message (default "0x57 on bus 1": the address and `bus_number`).
    """

    def __init__(self, bus: I2CBus, bus_number: int = DEFAULT_BUS_NUMBER, address: int = DEFAULT_ADDRESS,
                 settings: Max30102Settings | None = None, *, clock: Clock, where: str | None = None) -> None:
        self._bus = bus
        self._bus_number = bus_number
        self._address = address
        self._where = where if where is not None else f"0x{address:02x} on bus {bus_number}"
        self._burst_msgs: dict[int, tuple[Any, Any]] = {}  # FIFO burst's smbus2 messages by sample count
        self._settings = settings if settings is not None else Max30102Settings()
        self._clock = clock
        self._stop = threading.Event()
        self._started = False
        self._closed = False
        self._next_index = 0
        self._prev_read_s = 0.0
        self._overflow_warned_s = -math.inf
        self._red_ma = self._settings.red_led_current_ma
        self._ir_ma = self._settings.ir_led_current_ma
        self._applied_ma = (self._red_ma, self._ir_ma)  # the currents last written to the chip
        self._red_adjusting = False
        self._ir_adjusting = False
        self._led_write_pending = False  # AGC chose new currents; written during the next read
        self._led_written = False
        self._finger_on: bool | None = None
        self._window = _AgcWindow()
        self._watching = False  # the FIFO holds finger-watch samples (WATCH_AVERAGING), not the pulse's
        self.switched = False  # the last read switched between finger watch and full rate

    # --- properties ------------------------------------------------------------------------
    @property
    def where(self) -> str:
        """'0x57 on bus 1' (or the `where` given), for messages."""
        return self._where

    @property
    def fs_hz(self) -> float:
        return float(self._settings.sample_rate_hz)

    @property
    def watching(self) -> bool:
        """True while the chip only watches for a finger (no finger on; see the module docstring)."""
        return self._watching

    @property
    def watch_ratio(self) -> int:
        """Timeline indices (samples at fs_hz) that one finger-watch sample spans."""
        return max(1, WATCH_AVERAGING // self._settings.averaging)

    @property
    def next_index(self) -> int:
        """Index the next sample read will have if none is lost."""
        return self._next_index

    @property
    def finger_on(self) -> bool | None:
        """Finger presence from the IR DC level; None until one AGC period has been measured."""
        return self._finger_on

    @property
    def led_currents_ma(self) -> tuple[float, float]:
        """(red, IR) LED currents chosen last, mA (written to the chip during the next read)."""
        return (self._red_ma, self._ir_ma)

    # --- life cycle ------------------------------------------------------------------------
    def start(self, first_index: int | None = None) -> None:
        """Check the part ID, reset, configure and start sampling.

        The first sample gets `first_index`, or by default the index of its time on the clock.
        Raises SensorNotFound if no MAX30102 answers, SensorLost if it stops answering meanwhile.
        """
        if self._closed:
            raise SensorError(f"MAX30102 at {self.where} was closed")
        self._check_part_id()
        try:
            self._soft_reset()
            self._configure()
        except OSError as err:
            raise SensorLost(f"MAX30102 at {self.where} stopped answering during start: {err}") from err
        now_s = self._clock.now_s()
        self._next_index = first_index if first_index is not None else round(now_s * self.fs_hz) + 1
        self._prev_read_s = now_s
        self._started = True
        log.info("MAX30102 at %s started: %d Hz (%d sps averaged by %d), %d us, %d nA, LEDs %.1f/%.1f mA",
                 self.where, self._settings.sample_rate_hz, ADC_RATE_SPS, self._settings.averaging,
                 self._settings.pulse_width_us, self._settings.adc_range_na, self._red_ma, self._ir_ma)

    def close(self) -> None:
        """Put the chip into shutdown (SHDN). Safe to call twice and on a chip that is gone."""
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        shutdown = regs.SHDN.put(regs.MODE.put(0, regs.MODE_SPO2), 1)
        try:
            self._bus.write_byte_data(self._address, regs.MODE_CONFIG.address, shutdown)
        except OSError as err:
            log.info("could not shut down MAX30102 at %s (it may be unplugged): %s", self.where, err)

    def __enter__(self) -> Max30102:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # --- reading ---------------------------------------------------------------------------
    def read(self) -> SampleBlock:
        """Drain the FIFO: one block read of the status and pointers, one burst for all samples.

        Raises SensorLost on a bus error or if the chip power-cycled (it then needs `start()`).
        """
        if not self._started or self._closed:
            raise SensorError(f"read() on MAX30102 at {self.where} before start() or after close()")
        now_s = self._clock.now_s()
        step_in_block = self._led_written  # a current written during the last read shows up now
        self._led_written = False
        red_in_effect_ma, ir_in_effect_ma = self._applied_ma  # what the chip drives these samples with
        try:
            status = self._bus.read_i2c_block_data(self._address, regs.INTR_STATUS_1.address, 7)
            intr_1, wr_ptr, ovf, rd_ptr = status[0], status[4], status[5], status[6]
            if regs.PWR_RDY.get(intr_1):
                raise SensorLost(f"MAX30102 at {self.where} power-cycled (PWR_RDY set); it needs start()")
            available = (wr_ptr - rd_ptr) & regs.POINTER_MASK
            if available == 0 and (ovf > 0 or regs.A_FULL.get(intr_1)):
                available = regs.FIFO_DEPTH_SAMPLES  # pointers meet when the FIFO is full
            data = self._read_fifo_burst(available) if available else b""
            if self._led_write_pending:  # after the burst, so the step starts the next block
                self._bus.write_i2c_block_data(self._address, regs.LED1_PA.address,
                                               [regs.led_current_code(self._red_ma),
                                                regs.led_current_code(self._ir_ma)])
                self._led_write_pending = False
                self._led_written = True
                self._applied_ma = (self._red_ma, self._ir_ma)
        except OSError as err:
            raise SensorLost(f"MAX30102 at {self.where} stopped answering: {err}") from err
        span = self.watch_ratio if self._watching else 1  # timeline indices a FIFO sample spans
        lost = ovf
        if ovf >= regs.OVF_COUNTER_MAX:  # the counter saturates; count from the clock instead
            produced = round((now_s - self._prev_read_s) * self.fs_hz / span)
            lost = max(ovf, produced - available)
        lost *= span
        if lost:  # warn at most once a minute: a slow main loop would otherwise flood the log
            quiet = now_s - self._overflow_warned_s < OVERFLOW_WARNING_INTERVAL_S
            log.log(logging.DEBUG if quiet else logging.WARNING,
                    "MAX30102 at %s: FIFO overflowed, %d samples lost (read it more often)", self.where, lost)
            if not quiet:
                self._overflow_warned_s = now_s
        self._prev_read_s = now_s
        samples = decode_fifo(data, N_LEDS_SPO2, self._settings.pulse_width_us)
        if self._watching:  # finger-watch samples: for the DC check only, none delivered
            watched = len(samples) * span
            block = SampleBlock(first_index=self._next_index + lost + watched, red=_NO_SAMPLES, ir=_NO_SAMPLES,
                                lost=lost, fs_hz=self.fs_hz, red_current_ma=red_in_effect_ma,
                                ir_current_ma=ir_in_effect_ma, watched=watched)
        else:
            block = SampleBlock(first_index=self._next_index + lost, red=samples[:, 0], ir=samples[:, 1],
                                lost=lost, fs_hz=self.fs_hz, led_current_changed=step_in_block,
                                red_current_ma=red_in_effect_ma, ir_current_ma=ir_in_effect_ma)
        self._next_index = block.next_index
        self._update_agc(samples, span)
        self.switched = self._finger_on is not None and self._watching == self._finger_on
        if self.switched:
            self._set_watching(not self._finger_on)
        return block

    # --- internals -------------------------------------------------------------------------
    def _check_part_id(self) -> None:
        try:
            part_id = self._bus.read_byte_data(self._address, regs.PART_ID.address)
        except OSError as err:
            raise SensorNotFound(f"no MAX30102 at {self.where}: the chip does not answer ({err}); "
                                 f"check wiring and that I2C is enabled") from err
        if part_id != regs.PART_ID_MAX30102:
            raise SensorNotFound(f"no MAX30102 at {self.where}: part ID is 0x{part_id:02x}, "
                                 f"expected 0x{regs.PART_ID_MAX30102:02x}")

    def _soft_reset(self) -> None:
        self._bus.write_byte_data(self._address, regs.MODE_CONFIG.address, regs.RESET.put(0, 1))
        for _ in range(RESET_POLLS):
            if not regs.RESET.get(self._bus.read_byte_data(self._address, regs.MODE_CONFIG.address)):
                return
            self._clock.wait_until(self._clock.now_s() + RESET_POLL_INTERVAL_S, self._stop)
        raise SensorError(f"MAX30102 at {self.where}: RESET bit still set after {RESET_POLLS} polls")

    def _configure(self) -> None:
        s = self._settings
        fifo_config = self._fifo_config(s.averaging)
        spo2_config = regs.ADC_RGE.put(0, regs.ADC_RANGE_CODE_BY_NA[s.adc_range_na])
        spo2_config = regs.SPO2_SR.put(spo2_config, regs.SAMPLE_RATE_CODE_BY_SPS[ADC_RATE_SPS])
        spo2_config = regs.LED_PW.put(spo2_config, regs.PULSE_WIDTH_CODE_BY_US[s.pulse_width_us][0])
        self._red_ma, self._ir_ma = s.red_led_current_ma, s.ir_led_current_ma
        self._applied_ma = (self._red_ma, self._ir_ma)
        self._red_adjusting = self._ir_adjusting = False
        self._led_write_pending = self._led_written = False
        self._finger_on = None
        self._window = _AgcWindow()
        self._watching = False
        wanted = {
            regs.FIFO_CONFIG.address: fifo_config,
            regs.SPO2_CONFIG.address: spo2_config,
            regs.LED1_PA.address: regs.led_current_code(self._red_ma),
            regs.LED2_PA.address: regs.led_current_code(self._ir_ma),
        }
        bus, addr = self._bus, self._address
        bus.write_i2c_block_data(addr, regs.INTR_ENABLE_1.address, [0, 0])  # polled, INT pin unused
        for register, value in wanted.items():
            bus.write_byte_data(addr, register, value)
        bus.write_i2c_block_data(addr, regs.FIFO_WR_PTR.address, [0, 0, 0])  # WR_PTR, OVF, RD_PTR
        bus.read_byte_data(addr, regs.INTR_STATUS_1.address)  # clears PWR_RDY
        readback = bus.read_i2c_block_data(addr, regs.FIFO_CONFIG.address, 6)  # 0x08..0x0D
        for register, value in wanted.items():
            got = readback[register - regs.FIFO_CONFIG.address]
            if got != value:
                raise SensorError(f"MAX30102 at {self.where}: register 0x{register:02x} reads 0x{got:02x} "
                                  f"after writing 0x{value:02x}")
        bus.write_byte_data(addr, regs.MODE_CONFIG.address, regs.MODE.put(0, regs.MODE_SPO2))

    def _fifo_config(self, averaging: int) -> int:
        fifo_config = regs.SMP_AVE.put(0, regs.SMP_AVE_CODE_BY_COUNT[averaging])
        fifo_config = regs.FIFO_ROLLOVER_EN.put(fifo_config, 1)  # keep the newest samples
        return regs.FIFO_A_FULL.put(fifo_config, 0)  # A_FULL means "full"

    def _set_watching(self, watching: bool) -> None:
        """Switch between finger watch and full rate right after a drain: the FIFO configuration, then
        an empty FIFO (the few samples made in between are dropped; the next ones are of the new kind).
        The AGC period starts again on the new kind of samples."""
        averaging = WATCH_AVERAGING if watching else self._settings.averaging
        try:
            self._bus.write_byte_data(self._address, regs.FIFO_CONFIG.address, self._fifo_config(averaging))
            self._bus.write_i2c_block_data(self._address, regs.FIFO_WR_PTR.address, [0, 0, 0])  # WR, OVF, RD
        except OSError as err:
            raise SensorLost(f"MAX30102 at {self.where} stopped answering: {err}") from err
        self._watching = watching
        self._window = _AgcWindow()
        self._prev_read_s = self._clock.now_s()
        log.debug("MAX30102 at %s: %s (%d conversions a sample)", self.where,
                  "watching for a finger" if watching else "full rate", averaging)

    def _read_fifo_burst(self, n_samples: int) -> bytes:
        """The FIFO's bytes for `n_samples`: one combined write-then-read transaction. Its two
        messages are built once per length (at most FIFO_DEPTH_SAMPLES) and reused: the read's
        buffer is copied out at once, and only the main loop reads the sensor."""
        msgs = self._burst_msgs.get(n_samples)
        if msgs is None:
            from smbus2 import i2c_msg  # lazy: only the FIFO burst needs smbus2's message type

            msgs = (i2c_msg.write(self._address, [regs.FIFO_DATA.address]),
                    i2c_msg.read(self._address, n_samples * N_LEDS_SPO2 * regs.BYTES_PER_CHANNEL))
            self._burst_msgs[n_samples] = msgs
        self._bus.i2c_rdwr(*msgs)
        return bytes(msgs[1])

    def _update_agc(self, samples: NDArray[np.float64], span: int = 1) -> None:
        """Measure DC over an AGC period; then update finger presence and, if on, the currents.
        `span`: timeline indices each sample spans (finger-watch samples span several)."""
        if self._led_write_pending or self._led_written:
            return  # these samples were taken at the old currents
        self._window.add(samples)
        agc = self._settings.agc
        if self._window.n < max(1, round(agc.period_s * self.fs_hz / span)):
            return
        w, self._window = self._window, _AgcWindow()
        full_scale = float(regs.ADC_FULL_SCALE_COUNTS)
        red = ChannelLevel(w.red_sum / w.n / full_scale, w.red_peak / full_scale)
        ir = ChannelLevel(w.ir_sum / w.n / full_scale, w.ir_peak / full_scale)
        ir_dc_na = ir.dc_fraction * self._settings.adc_range_na
        was_on = self._finger_on
        self._finger_on = finger_on_from_dc(ir_dc_na, self._ir_ma, was_on, agc) or (
            ir.peak_fraction >= agc.saturation_fraction)
        if self._finger_on != was_on:
            log.info("MAX30102 at %s: finger %s (IR DC %.0f nA at %.1f mA)", self.where,
                     "on" if self._finger_on else "off", ir_dc_na, self._ir_ma)
        if self._finger_on and agc.enabled:
            red_next = next_led_current(self._red_ma, red, self._red_adjusting, agc)
            ir_next = next_led_current(self._ir_ma, ir, self._ir_adjusting, agc)
            new_ma = (red_next.current_ma, ir_next.current_ma)
            self._red_adjusting, self._ir_adjusting = red_next.adjusting, ir_next.adjusting
        else:  # no finger: go back to the configured currents rather than glare at nothing
            new_ma = (self._settings.red_led_current_ma, self._settings.ir_led_current_ma)
            self._red_adjusting = self._ir_adjusting = False
        if new_ma != (self._red_ma, self._ir_ma):
            log.debug("MAX30102 at %s: LED currents %.1f/%.1f -> %.1f/%.1f mA", self.where,
                      self._red_ma, self._ir_ma, *new_ma)
            self._red_ma, self._ir_ma = new_ma
            self._led_write_pending = True
