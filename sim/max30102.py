"""A register-accurate virtual MAX30102 for the virtual I2C bus (sim/i2c_bus.py).

It behaves like the chip as the datasheet describes it, as far as a driver can tell over I2C:
registers with power-on values and reserved bits; PART_ID 0x15; a 32-sample FIFO with 5-bit write
and read pointers, an overflow counter that saturates at 31 and clears when a sample is popped,
FIFO_ROLLOVER_EN, A_FULL and PPG_RDY flags that clear on reading INTR_STATUS_1; FIFO_DATA reads
that pop one sample per 3 bytes per active LED while the register pointer stays on 0x07; SHDN;
soft RESET; sample rate, on-chip averaging, pulse width (resolution) and ADC range; LED currents.

Samples are made lazily on each bus access, up to the clock's now, from `optics.optics(t)` at the
ADC's conversion times, then averaged as SMP_AVE says. The optical model: with a finger on, the
photocurrent is LED current x tissue reflectance (nA per mA), dipping by `perfusion_fraction` per
unit of blood volume (pulse plus motion); with no finger only a little leakage comes back. A small
residual of ambient light (what the chip's ambient light cancellation leaves) and seeded Gaussian
noise are added; counts = photocurrent / ADC full scale x 2^18, clipped at 2^18 - 1.

The ADC clock may run off its nominal rate by `adc_clock_error` (a fraction; the datasheet allows
+-0.015): every conversion, and so every sample, then comes that much early or late.

Faults: `nack_next(n)`, `vanish(duration_s)` (every access fails with EIO, then the chip comes
back power-cycled), `lift_finger(duration_s)`, `power_cycle()`. Losses can be checked against
`samples_dropped`, the true number of samples the FIFO dropped or overwrote.

A note on rollover: with FIFO_ROLLOVER_EN set, a full FIFO overwrites its oldest sample, the read
pointer moves with the write pointer, and OVF_COUNTER counts the overwritten samples.
"""

from __future__ import annotations

import errno
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from device.clock import Clock
from drivers import max30102_regs as regs
from sim.i2c_bus import I2COp, I2CWrite
from sim.optics import FingerOptics, OpticalSamples

RED, IR = 0, 1
SLOT_LED: Final[dict[int, int]] = {1: RED, 2: IR}  # MULTI_LED slot code -> LED


@dataclass(frozen=True)
class TissueModel:
    """How much light comes back, per LED (red, IR). Defaults give about 45 % / 55 % of the 4096 nA
    full scale at 7 mA with a finger on, and AC about 1 % of DC."""

    reflectance_na_per_ma: tuple[float, float] = (260.0, 330.0)  # finger on
    perfusion_fraction: tuple[float, float] = (0.008, 0.012)  # DC dip per unit blood volume
    leak_na_per_ma: tuple[float, float] = (1.0, 1.5)  # no finger
    ambient_na: float = 3.0  # residual ambient light after the chip's cancellation
    noise_na: float = 0.3  # rms per conversion
    shot_noise_fraction: float = 2e-4  # rms per conversion, as a fraction of the photocurrent


class VirtualMax30102:
    """The virtual chip. Attach it to a VirtualI2CBus at 0x57."""

    def __init__(self, optics: FingerOptics, clock: Clock, seed: int = 0, *,
                 tissue: TissueModel | None = None, reset_reads: int = 0,
                 part_id: int = regs.PART_ID_MAX30102, rev_id: int = 0x03, die_temp_c: float = 30.5,
                 adc_clock_error: float = 0.0) -> None:
        if not -0.1 < adc_clock_error < 0.1:
            raise ValueError(f"adc_clock_error is a fraction within +-0.1, got {adc_clock_error}")
        self.adc_clock_error = adc_clock_error
        self._optics = optics
        self._clock = clock
        self._rng = np.random.default_rng(seed)
        self.tissue = tissue if tissue is not None else TissueModel()
        self._reset_reads = reset_reads  # MODE reads before a soft reset's RESET bit clears
        self._part_id = part_id
        self._rev_id = rev_id
        self._die_temp_c = die_temp_c
        self._nacks_left = 0
        self._vanished_until_s: float | None = None
        self._lifted_until_s = -math.inf
        self.samples_produced = 0  # every sample the ADC delivered, kept or not
        self.samples_dropped = 0  # samples lost to a full FIFO (dropped or overwritten)
        self._power_on_reset(clock.now_s())

    # --- fault injection and inspection ----------------------------------------------------
    def nack_next(self, n: int) -> None:
        """The next `n` transactions fail with OSError(EREMOTEIO), as on a NACK."""
        self._nacks_left = n

    def vanish(self, duration_s: float) -> None:
        """Unplug the chip for `duration_s`: every access fails with OSError(EIO) until the clock
        passes; then it answers again, power-cycled (registers at their power-on values)."""
        self._vanished_until_s = self._clock.now_s() + duration_s

    def lift_finger(self, duration_s: float) -> None:
        """The fingertip leaves the sensor for `duration_s`, whatever the optics say."""
        self._lifted_until_s = self._clock.now_s() + duration_s

    def power_cycle(self) -> None:
        """A brown-out: the chip comes back at once with power-on register values and PWR_RDY set."""
        self._power_on_reset(self._clock.now_s())

    def peek(self, address: int) -> int:
        """A register's value without the side effects of a bus read (for tests)."""
        pointers = {regs.FIFO_WR_PTR.address: self._wr, regs.OVF_COUNTER.address: self._ovf,
                    regs.FIFO_RD_PTR.address: self._rd}
        return pointers.get(address, self._regs[address])

    @property
    def fifo_count(self) -> int:
        """Unread samples in the FIFO."""
        return self._count

    @property
    def output_rate_hz(self) -> float:
        """Samples per second pushed into the FIFO: ADC rate / averaging."""
        return self._adc_sps() * (1.0 + self.adc_clock_error) / self._averaging()

    # --- the bus side ----------------------------------------------------------------------
    def transfer(self, ops: Sequence[I2COp]) -> list[bytes]:
        """One I2C transaction (see sim.i2c_bus.I2CDevice)."""
        now_s = self._clock.now_s()
        if self._vanished_until_s is not None:
            if now_s < self._vanished_until_s:
                raise OSError(errno.EIO, "Input/output error (MAX30102 gone)")
            self._vanished_until_s = None
            self._power_on_reset(now_s)
        if self._nacks_left > 0:
            self._nacks_left -= 1
            raise OSError(errno.EREMOTEIO, "Remote I/O error (NACK)")
        self._advance(now_s)
        replies: list[bytes] = []
        for op in ops:
            if isinstance(op, I2CWrite):
                if op.data:
                    self._pointer = op.data[0]
                    for value in op.data[1:]:
                        self._write(self._pointer, value, now_s)
                        self._step_pointer()
            else:
                replies.append(self._read_bytes(op.length))
        return replies

    def _step_pointer(self) -> None:
        if self._pointer != regs.FIFO_DATA.address:  # the pointer parks on FIFO_DATA
            self._pointer = (self._pointer + 1) & 0xFF

    def _read_bytes(self, length: int) -> bytes:
        out = bytearray()
        while len(out) < length:
            if self._pointer == regs.FIFO_DATA.address:  # the pointer parks here: the rest is FIFO data
                out += self._fifo_bytes(length - len(out))
            else:
                out.append(self._read(self._pointer))
                self._step_pointer()
        return bytes(out)

    # --- registers -------------------------------------------------------------------------
    def _power_on_reset(self, now_s: float) -> None:
        self._soft_reset(now_s)
        self._reset_reads_left = 0
        self._regs[regs.INTR_STATUS_1.address] = regs.PWR_RDY.put(0, 1)

    def _soft_reset(self, now_s: float) -> None:
        self._regs = bytearray(256)
        for register in regs.REGISTERS:
            self._regs[register.address] = register.por_value
        self._regs[regs.PART_ID.address] = self._part_id
        self._regs[regs.REV_ID.address] = self._rev_id
        self._pointer = 0
        self._fifo: list[tuple[int, int]] = [(0, 0)] * regs.FIFO_DEPTH_SAMPLES
        self._wr = self._rd = self._ovf = self._count = 0
        self._sample_bytes = b""
        self._byte_in_sample = 0
        self._reset_reads_left = self._reset_reads
        self._restart_sampling(now_s)

    def _read(self, address: int) -> int:
        if address == regs.FIFO_WR_PTR.address:
            return self._wr
        if address == regs.OVF_COUNTER.address:
            return self._ovf
        if address == regs.FIFO_RD_PTR.address:
            return self._rd
        value = self._regs[address]
        if address in (regs.INTR_STATUS_1.address, regs.INTR_STATUS_2.address):
            self._regs[address] = 0  # interrupt flags clear on read
        elif address == regs.MODE_CONFIG.address and self._reset_reads_left > 0:
            value = regs.RESET.put(value, 1)
            self._reset_reads_left -= 1
        return value

    def _write(self, address: int, value: int, now_s: float) -> None:
        register = regs.REGISTER_BY_ADDRESS.get(address)
        if register is None or register.writable_mask == 0:
            return  # read-only or reserved: the write is ignored
        value &= register.writable_mask
        if address == regs.MODE_CONFIG.address and regs.RESET.get(value):
            self._soft_reset(now_s)
            return
        if address in (regs.FIFO_WR_PTR.address, regs.FIFO_RD_PTR.address):
            if address == regs.FIFO_WR_PTR.address:
                self._wr = value
            else:
                self._rd = value
            self._count = (self._wr - self._rd) & regs.POINTER_MASK
            self._byte_in_sample = 0
            return
        if address == regs.OVF_COUNTER.address:
            self._ovf = value
            return
        timing_before = self._timing()
        self._regs[address] = value
        if address == regs.TEMP_CONFIG.address and regs.TEMP_EN.get(value):
            self._regs[regs.TEMP_INT.address] = math.floor(self._die_temp_c) & 0xFF
            self._regs[regs.TEMP_FRAC.address] = int((self._die_temp_c % 1.0) / 0.0625) & 0x0F
            self._regs[address] = 0  # TEMP_EN clears itself when the conversion is done
            self._regs[regs.INTR_STATUS_2.address] |= regs.DIE_TEMP_RDY.mask
        if self._timing() != timing_before:
            self._restart_sampling(now_s)

    # --- sampling --------------------------------------------------------------------------
    def _field(self, f: regs.Field) -> int:
        return f.get(self._regs[f.register.address])

    def _adc_sps(self) -> int:
        return regs.SAMPLE_RATE_SPS_BY_CODE[self._field(regs.SPO2_SR)]

    def _averaging(self) -> int:
        return regs.SMP_AVE_COUNT_BY_CODE[self._field(regs.SMP_AVE)]

    def _channels(self) -> tuple[int, ...]:
        mode = self._field(regs.MODE)
        if mode == regs.MODE_HR:
            return (RED,)
        if mode == regs.MODE_SPO2:
            return (RED, IR)
        if mode == regs.MODE_MULTI_LED:
            leds: list[int] = []
            for slot in (regs.SLOT1, regs.SLOT2, regs.SLOT3, regs.SLOT4):
                code = self._field(slot)
                if code not in SLOT_LED:
                    break
                leds.append(SLOT_LED[code])
            return tuple(leds)
        return ()

    def _sampling(self) -> bool:
        return bool(self._channels()) and not self._field(regs.SHDN) and self._reset_reads_left == 0

    def _timing(self) -> tuple[bool, int, int]:
        return (self._sampling(), self._adc_sps(), self._averaging())

    def _restart_sampling(self, now_s: float) -> None:
        self._origin_s = now_s
        self._produced_since_origin = 0

    def _advance(self, now_s: float) -> None:
        """Push every sample due by `now_s` into the FIFO."""
        if not self._sampling():
            self._restart_sampling(now_s)
            return
        rate_hz = self.output_rate_hz
        due = math.floor((now_s - self._origin_s) * rate_hz + 1e-9)
        n_new = due - self._produced_since_origin
        if n_new <= 0:
            return
        rollover = bool(self._field(regs.FIFO_ROLLOVER_EN))
        free = regs.FIFO_DEPTH_SAMPLES - self._count
        if rollover:
            n_kept = min(n_new, regs.FIFO_DEPTH_SAMPLES)
            first_kept = due - n_kept + 1
            n_lost = max(0, n_new - free)
        else:
            n_kept = min(n_new, free)
            first_kept = self._produced_since_origin + 1
            n_lost = n_new - n_kept
        if n_kept < n_new and rollover:  # more than a FIFO-full: the old content is all overwritten
            self._wr = (self._wr + n_new - n_kept) & regs.POINTER_MASK
            self._rd, self._count = self._wr, 0
        numbers = np.arange(first_kept, first_kept + n_kept)
        for red, ir in self._make_samples(numbers):
            self._push(red, ir, rollover)
        self._produced_since_origin = due
        self.samples_produced += n_new
        self.samples_dropped += n_lost
        self._ovf = min(regs.OVF_COUNTER_MAX, self._ovf + n_lost)
        status = regs.PPG_RDY.put(self._regs[regs.INTR_STATUS_1.address], 1)
        if self._count >= regs.FIFO_DEPTH_SAMPLES - self._field(regs.FIFO_A_FULL):
            status = regs.A_FULL.put(status, 1)
        self._regs[regs.INTR_STATUS_1.address] = status

    def _push(self, red: int, ir: int, rollover: bool) -> None:
        if self._count == regs.FIFO_DEPTH_SAMPLES:
            if not rollover:
                return
            self._rd = (self._rd + 1) & regs.POINTER_MASK  # the oldest sample is overwritten
            self._count -= 1
        self._fifo[self._wr] = (red, ir)
        self._wr = (self._wr + 1) & regs.POINTER_MASK
        self._count += 1

    def _make_samples(self, numbers: NDArray[np.int64]) -> list[tuple[int, int]]:
        """ADC counts (red, IR) of output samples `numbers` (1-based since the sampling origin)."""
        if numbers.size == 0:
            return []
        adc_sps, averaging = self._adc_sps(), self._averaging()
        conversion = (numbers[:, None] - 1) * averaging + np.arange(averaging)[None, :] + 1
        t_s = self._origin_s + conversion.ravel() / (adc_sps * (1.0 + self.adc_clock_error))
        seen = self._optics.optics(t_s)
        finger = seen.finger_on & (t_s >= self._lifted_until_s)
        full_scale_na = regs.ADC_RANGE_NA_BY_CODE[self._field(regs.ADC_RGE)]
        resolution = regs.RESOLUTION_BITS_BY_PW_CODE[self._field(regs.LED_PW)]
        keep_mask = regs.ADC_MAX_COUNT & ~((1 << (18 - resolution)) - 1)
        counts = []
        for led, register in ((RED, regs.LED1_PA), (IR, regs.LED2_PA)):
            current_ma = regs.led_current_ma(self._regs[register.address])
            na = self._photocurrent_na(seen, finger, led, current_ma)
            per_conversion = np.clip(na / full_scale_na * regs.ADC_FULL_SCALE_COUNTS, 0, regs.ADC_MAX_COUNT)
            averaged = np.floor(per_conversion.reshape(-1, averaging).mean(axis=1)).astype(np.int64)
            counts.append(averaged & keep_mask)
        return list(zip(counts[RED].tolist(), counts[IR].tolist(), strict=True))

    def _photocurrent_na(self, seen: OpticalSamples, finger: NDArray[np.bool_], led: int,
                         current_ma: float) -> NDArray[np.float64]:
        t = self.tissue
        pulsatile = 1.0 - t.perfusion_fraction[led] * (seen.blood_volume + seen.motion)
        na = np.where(finger, current_ma * t.reflectance_na_per_ma[led] * pulsatile,
                      current_ma * t.leak_na_per_ma[led]) + t.ambient_na
        sigma = np.hypot(t.noise_na, t.shot_noise_fraction * na)
        return na + self._rng.normal(0.0, 1.0, na.shape) * sigma

    # --- FIFO_DATA -------------------------------------------------------------------------
    def _fifo_bytes(self, length: int) -> bytes:
        """The next `length` bytes of the FIFO stream, a sample's worth at a time: a sample pops when its
        last byte has been read; reading an empty FIFO repeats the stale slot and leaves the pointers."""
        channels = self._channels() or (RED,)
        out = bytearray()
        sample_len = 3 * len(channels)
        whole = min(length // sample_len, self._count) if self._byte_in_sample == 0 else 0
        if whole:  # whole samples from a sample's start: popped at once, the same bytes as one by one
            mask = regs.POINTER_MASK
            popped = np.array([self._fifo[(self._rd + i) & mask] for i in range(whole)], dtype=np.uint32)
            popped = popped[:, list(channels)]
            out += np.stack((popped >> 16, (popped >> 8) & 0xFF, popped & 0xFF), axis=-1).astype(np.uint8).tobytes()
            self._rd = (self._rd + whole) & mask
            self._count -= whole
            self._ovf = 0  # popping a sample clears the overflow counter
        while len(out) < length:
            if self._byte_in_sample == 0:
                values = self._fifo[self._rd]
                self._sample_bytes = b"".join(values[led].to_bytes(3, "big") for led in channels)
            take = min(length - len(out), len(self._sample_bytes) - self._byte_in_sample)
            out += self._sample_bytes[self._byte_in_sample:self._byte_in_sample + take]
            self._byte_in_sample += take
            if self._byte_in_sample == len(self._sample_bytes):
                self._byte_in_sample = 0
                if self._count > 0:
                    self._rd = (self._rd + 1) & regs.POINTER_MASK
                    self._count -= 1
                    self._ovf = 0  # popping a sample clears the overflow counter
        if length:
            self._regs[regs.INTR_STATUS_1.address] &= ~(regs.PPG_RDY.mask | regs.A_FULL.mask) & 0xFF
        return bytes(out)


@dataclass(frozen=True)
class PulseTrainOptics:
    """A minimal FingerOptics with known beats, for tests and bring-up (the real simulated person
    lives in sim/person.py): one Gaussian blood-volume peak per beat at `rate_bpm`, beat n peaking
    at `(n + peak_phase) * 60 / rate_bpm` seconds; finger off inside `finger_off_s` intervals;
    `motion` added inside `motion_s` intervals."""

    rate_bpm: float = 60.0
    peak_phase: float = 0.25
    width_phase: float = 0.08
    finger_off_s: tuple[tuple[float, float], ...] = ()
    motion_s: tuple[tuple[float, float], ...] = ()
    motion: float = 3.0

    def optics(self, t_s: NDArray[np.float64]) -> OpticalSamples:
        phase = (t_s * self.rate_bpm / 60.0) % 1.0
        blood_volume = np.exp(-0.5 * ((phase - self.peak_phase) / self.width_phase) ** 2)
        finger_on = np.ones(t_s.shape, dtype=np.bool_)
        for start_s, end_s in self.finger_off_s:
            finger_on &= ~((t_s >= start_s) & (t_s < end_s))
        motion = np.zeros(t_s.shape)
        for start_s, end_s in self.motion_s:
            inside = (t_s >= start_s) & (t_s < end_s)
            motion += np.where(inside, self.motion * np.sin(2 * np.pi * 3.0 * t_s), 0.0)
        return OpticalSamples(blood_volume=blood_volume, finger_on=finger_on, motion=motion)

    def beat_times_s(self, t_end_s: float) -> NDArray[np.float64]:
        """Times of the blood-volume peaks before `t_end_s` (where the counts dip most)."""
        period_s = 60.0 / self.rate_bpm
        times = (np.arange(math.ceil(t_end_s / period_s) + 1, dtype=np.float64) + self.peak_phase) * period_s
        return np.asarray(times[times < t_end_s], dtype=np.float64)
