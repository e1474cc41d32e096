"""The virtual MAX30102 behaves as the datasheet says, seen over the virtual I2C bus.

Register addresses and values are written as datasheet literals on purpose, so that these tests
check the shared register table (drivers/max30102_regs.py) as well as the model.
"""

from __future__ import annotations

import errno

import numpy as np
import pytest
from numpy.typing import NDArray
from smbus2 import i2c_msg

from device.clock import SimClock
from sim.i2c_bus import I2CRead, I2CWrite, VirtualI2CBus
from sim.max30102 import PulseTrainOptics, TissueModel, VirtualMax30102
from sim.optics import OpticalSamples

ADDR = 0x57
MODE_SPO2, MODE_HR, MODE_MULTI = 0x03, 0x02, 0x07


class FlatOptics:
    """A finger that never pulses: only noise changes the counts."""

    def optics(self, t_s: NDArray[np.float64]) -> OpticalSamples:
        return OpticalSamples(np.zeros(t_s.shape), np.ones(t_s.shape, dtype=np.bool_), np.zeros(t_s.shape))


def make(optics: object | None = None, seed: int = 1, **kwargs: object) -> tuple[SimClock, VirtualI2CBus,
                                                                                 VirtualMax30102]:
    clock = SimClock()
    chip = VirtualMax30102(optics or PulseTrainOptics(), clock, seed, **kwargs)  # type: ignore[arg-type]
    bus = VirtualI2CBus(1)
    bus.attach(ADDR, chip)
    return clock, bus, chip


def configure(bus: VirtualI2CBus, *, sr_code: int = 1, ave_code: int = 0, rollover: bool = False,
              adc_code: int = 1, pw_code: int = 3, red: int = 0x23, ir: int = 0x23, mode: int = MODE_SPO2,
              a_full: int = 0) -> None:
    """Raw register writes: FIFO_CONFIG, SPO2_CONFIG, LED1/2_PA, pointers, then MODE."""
    bus.write_byte_data(ADDR, 0x08, (ave_code << 5) | (int(rollover) << 4) | a_full)
    bus.write_byte_data(ADDR, 0x0A, (adc_code << 5) | (sr_code << 2) | pw_code)
    bus.write_byte_data(ADDR, 0x0C, red)
    bus.write_byte_data(ADDR, 0x0D, ir)
    bus.write_i2c_block_data(ADDR, 0x04, [0, 0, 0])
    bus.write_byte_data(ADDR, 0x09, mode)


def pointers(bus: VirtualI2CBus) -> tuple[int, int, int]:
    wr, ovf, rd = bus.read_i2c_block_data(ADDR, 0x04, 3)
    return wr, ovf, rd


def read_samples(bus: VirtualI2CBus, n: int, n_leds: int = 2) -> NDArray[np.int64]:
    """Burst-read n samples with one i2c_rdwr; returns (n, n_leds) 18-bit counts."""
    write, read = i2c_msg.write(ADDR, [0x07]), i2c_msg.read(ADDR, 3 * n_leds * n)
    bus.i2c_rdwr(write, read)
    raw = np.frombuffer(bytes(read), dtype=np.uint8).reshape(-1, 3).astype(np.int64)
    return (((raw[:, 0] << 16) | (raw[:, 1] << 8) | raw[:, 2]) & 0x3FFFF).reshape(n, n_leds)


# --- identity and registers ------------------------------------------------------------------
def test_part_and_revision_ids_read_back() -> None:
    _, bus, _ = make()
    assert bus.read_byte_data(ADDR, 0xFF) == 0x15
    assert bus.read_byte_data(ADDR, 0xFE) == 0x03


def test_power_on_sets_pwr_rdy_which_clears_when_read() -> None:
    _, bus, _ = make()
    assert bus.read_byte_data(ADDR, 0x00) == 0x01
    assert bus.read_byte_data(ADDR, 0x00) == 0x00


def test_configuration_registers_power_on_at_zero_and_keep_what_is_written() -> None:
    _, bus, _ = make()
    assert bus.read_i2c_block_data(ADDR, 0x08, 6) == [0, 0, 0, 0, 0, 0]
    bus.write_i2c_block_data(ADDR, 0x0C, [0x24, 0x7F])
    assert bus.read_i2c_block_data(ADDR, 0x0C, 2) == [0x24, 0x7F]


def test_reserved_and_read_only_bits_ignore_writes() -> None:
    _, bus, _ = make()
    bus.write_byte_data(ADDR, 0x0A, 0xFF)  # bit 7 reserved
    bus.write_byte_data(ADDR, 0x09, 0xBF)  # bits 5:3 reserved (bit 6 would reset)
    bus.write_byte_data(ADDR, 0x02, 0xFF)  # only A_FULL_EN, PPG_RDY_EN, ALC_OVF_EN
    bus.write_byte_data(ADDR, 0xFF, 0x00)  # PART_ID is read-only
    assert bus.read_byte_data(ADDR, 0x0A) == 0x7F
    assert bus.read_byte_data(ADDR, 0x09) == 0x87
    assert bus.read_byte_data(ADDR, 0x02) == 0xE0
    assert bus.read_byte_data(ADDR, 0xFF) == 0x15


def test_soft_reset_restores_power_on_values_and_the_reset_bit_clears_after_n_reads() -> None:
    _, bus, _ = make(reset_reads=2)
    configure(bus)
    bus.write_byte_data(ADDR, 0x09, 0x40)
    assert [bus.read_byte_data(ADDR, 0x09) for _ in range(3)] == [0x40, 0x40, 0x00]
    assert bus.read_i2c_block_data(ADDR, 0x08, 6) == [0, 0, 0, 0, 0, 0]


def test_die_temperature_conversion() -> None:
    _, bus, _ = make(die_temp_c=31.25)
    bus.write_byte_data(ADDR, 0x21, 0x01)
    assert bus.read_byte_data(ADDR, 0x01) == 0x02  # DIE_TEMP_RDY
    assert bus.read_i2c_block_data(ADDR, 0x1F, 3) == [31, 4, 0]  # 4 x 0.0625 = 0.25; TEMP_EN cleared


# --- sampling and the FIFO -------------------------------------------------------------------
@pytest.mark.parametrize(("sr_code", "ave_code", "expected_per_s"), [(1, 0, 100), (3, 2, 100), (0, 1, 25)])
def test_samples_arrive_at_adc_rate_over_averaging(sr_code: int, ave_code: int, expected_per_s: int) -> None:
    clock, bus, chip = make()
    configure(bus, sr_code=sr_code, ave_code=ave_code)
    clock.advance_to(0.2)
    wr, ovf, rd = pointers(bus)
    assert (wr - rd) & 0x1F == round(0.2 * expected_per_s)
    assert ovf == 0
    assert chip.output_rate_hz == expected_per_s


def test_no_samples_in_shutdown_or_without_a_mode() -> None:
    clock, bus, _ = make()
    configure(bus, mode=0x00)
    clock.advance_to(0.1)
    assert pointers(bus) == (0, 0, 0)
    bus.write_byte_data(ADDR, 0x09, 0x80 | MODE_SPO2)  # SHDN
    clock.advance_to(0.2)
    assert pointers(bus) == (0, 0, 0)
    bus.write_byte_data(ADDR, 0x09, MODE_SPO2)
    clock.advance_to(0.25)
    assert pointers(bus)[0] == 5


def test_one_burst_pops_consecutive_samples_and_the_pointer_stays_on_fifo_data() -> None:
    clock, bus, chip = make()
    configure(bus)
    clock.advance_to(0.1)
    before = bus.transaction_counts[ADDR]
    first = read_samples(bus, 4)
    assert bus.transaction_counts[ADDR] == before + 1
    assert pointers(bus) == (10, 0, 4)
    # A block read from 0x06 reads RD_PTR, then stays on FIFO_DATA: the next 6 bytes are sample 5.
    reply = bus.transfer(ADDR, [I2CWrite(bytes([0x06])), I2CRead(1 + 6)])[0]
    assert reply[0] == 4
    assert pointers(bus) == (10, 0, 5)
    assert chip.fifo_count == 5
    assert first.shape == (4, 2) and np.all(first > 0)


def test_overflow_without_rollover_keeps_the_oldest_and_counts_the_rest() -> None:
    clock, bus, chip = make()
    configure(bus, rollover=False)
    clock.advance_to(0.30)  # 30 samples
    head = read_samples(bus, 1)
    clock.advance_to(0.50)  # 20 more onto 29 unread: 49 for 32 slots
    wr, ovf, rd = pointers(bus)
    assert ovf == 17 and wr == rd
    assert chip.samples_dropped == 17
    clock.advance_to(0.60)
    assert pointers(bus)[1] == 27
    assert head.shape == (1, 2)


def test_overflow_counter_saturates_at_31_and_clears_when_a_sample_is_popped() -> None:
    clock, bus, chip = make()
    configure(bus, rollover=True)
    clock.advance_to(1.0)  # 100 samples into 32 slots
    assert pointers(bus)[1] == 31
    assert chip.samples_dropped == 68
    read_samples(bus, 1)
    assert pointers(bus)[1] == 0


def test_rollover_keeps_the_newest_samples() -> None:
    """A ramp in blood volume makes counts fall with time: the newest samples are the lowest."""

    class Ramp:
        def optics(self, t_s: NDArray[np.float64]) -> OpticalSamples:
            return OpticalSamples(t_s * 10.0, np.ones(t_s.shape, dtype=np.bool_), np.zeros(t_s.shape))

    clock, bus, _ = make(Ramp(), tissue=TissueModel(noise_na=0.0, shot_noise_fraction=0.0))
    configure(bus, rollover=True)
    clock.advance_to(0.5)
    kept = read_samples(bus, 32)[:, 1]
    # Sample k (1-based) is taken at k / 100 s; the kept ones are k = 19..50.
    na = 0.2 * 0x23 * 330.0 * (1.0 - 0.012 * 10.0 * np.arange(19, 51) / 100.0) + 3.0
    np.testing.assert_allclose(kept, np.floor(na / 4096 * 2**18), atol=1)


def test_a_full_and_ppg_rdy_flags_clear_when_status_is_read() -> None:
    clock, bus, _ = make()
    bus.read_byte_data(ADDR, 0x00)  # clear PWR_RDY
    configure(bus, a_full=15)  # A_FULL when 15 or fewer slots are free, i.e. 17 unread
    clock.advance_to(0.10)
    assert bus.read_byte_data(ADDR, 0x00) == 0x40  # PPG_RDY only
    clock.advance_to(0.17)
    assert bus.read_byte_data(ADDR, 0x00) == 0xC0  # A_FULL and PPG_RDY
    assert bus.read_byte_data(ADDR, 0x00) == 0x00


# --- what the counts say ---------------------------------------------------------------------
def ir_counts(bus: VirtualI2CBus, clock: SimClock, t_s: float) -> NDArray[np.int64]:
    samples: list[NDArray[np.int64]] = []
    t = clock.now_s()
    while t < t_s - 1e-9:
        t = min(t_s, t + 0.25)
        clock.advance_to(t)
        wr, ovf, rd = pointers(bus)
        n = (wr - rd) & 0x1F or (32 if ovf else 0)
        if n:
            samples.append(read_samples(bus, n)[:, 1])
    return np.concatenate(samples)


def test_pulse_dips_the_counts_by_about_one_percent_at_each_beat() -> None:
    optics = PulseTrainOptics(rate_bpm=75.0)
    clock, bus, _ = make(optics)
    configure(bus)
    ir = ir_counts(bus, clock, 8.0).astype(float)
    ac_fraction = (np.percentile(ir, 99) - np.percentile(ir, 1)) / ir.mean()
    assert 0.005 < ac_fraction < 0.02
    t = np.arange(1, ir.size + 1) / 100.0
    for beat_s in optics.beat_times_s(7.5)[1:]:
        window = (t > beat_s - 0.3) & (t < beat_s + 0.3)
        assert abs(t[window][np.argmin(ir[window])] - beat_s) <= 0.03


def test_lifted_finger_leaves_only_ambient_light_and_no_pulse() -> None:
    clock, bus, chip = make()
    configure(bus)
    on = ir_counts(bus, clock, 2.0)
    chip.lift_finger(2.5)
    off = ir_counts(bus, clock, 4.0)
    assert off.mean() < 0.02 * on.mean()
    assert off.std() < 0.05 * on.std()


def test_counts_scale_with_led_current_and_inversely_with_adc_range() -> None:
    readings = {}
    for adc_code, ir_code in [(1, 0x14), (1, 0x28), (2, 0x28)]:
        clock, bus, _ = make(FlatOptics())
        configure(bus, adc_code=adc_code, ir=ir_code)
        readings[(adc_code, ir_code)] = ir_counts(bus, clock, 0.5).mean()
    # 3 nA of ambient light does not scale with the LED: 4 mA x 330 nA/mA + 3 nA, etc.
    assert readings[(1, 0x28)] / readings[(1, 0x14)] == pytest.approx((8 * 330 + 3) / (4 * 330 + 3), rel=0.01)
    assert readings[(2, 0x28)] / readings[(1, 0x28)] == pytest.approx(0.5, rel=0.01)


def test_bright_finger_saturates_at_full_scale() -> None:
    clock, bus, _ = make(tissue=TissueModel(reflectance_na_per_ma=(2000.0, 2000.0)))
    configure(bus, ir=0xFF)
    assert ir_counts(bus, clock, 0.3).max() == 2**18 - 1


def test_shorter_pulse_width_zeroes_the_low_bits() -> None:
    clock, bus, _ = make()
    configure(bus, pw_code=0)  # 69 us: 15-bit, left-justified
    ir = ir_counts(bus, clock, 0.3)
    assert np.all(ir % 8 == 0)
    assert np.unique(ir).size > 3


def test_averaging_reduces_noise() -> None:
    spread = {}
    for ave_code in (0, 2):  # 1 and 4 samples averaged at 400 and 100 sps ADC rates, both 100 Hz out
        clock, bus, _ = make(FlatOptics(), tissue=TissueModel(noise_na=4.0))
        configure(bus, sr_code=1 if ave_code == 0 else 3, ave_code=ave_code)
        spread[ave_code] = ir_counts(bus, clock, 3.0).std()
    assert spread[2] / spread[0] == pytest.approx(0.5, rel=0.2)


def test_heart_rate_and_multi_led_modes_send_their_own_channels() -> None:
    clock, bus, _ = make()
    configure(bus, mode=MODE_HR)
    clock.advance_to(0.05)
    red_only = read_samples(bus, 5, n_leds=1)[:, 0]
    bus.write_byte_data(ADDR, 0x11, 0x12)  # slot 1 = LED2 (IR), slot 2 = LED1 (red)
    bus.write_i2c_block_data(ADDR, 0x04, [0, 0, 0])
    bus.write_byte_data(ADDR, 0x09, MODE_MULTI)
    clock.advance_to(0.10)
    ir_red = read_samples(bus, 5, n_leds=2)
    assert np.all(ir_red[:, 0] > 1.15 * ir_red[:, 1])  # the finger sends back more IR than red
    assert np.allclose(ir_red[:, 1], red_only.mean(), rtol=0.03)


def test_same_seed_same_samples_other_seed_other_noise() -> None:
    runs = []
    for seed in (7, 7, 8):
        clock, bus, _ = make(seed=seed)
        configure(bus)
        runs.append(ir_counts(bus, clock, 1.0))
    assert np.array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])


# --- faults and the bus ----------------------------------------------------------------------
def test_nack_next_fails_that_many_transactions_with_eremoteio() -> None:
    _, bus, chip = make()
    chip.nack_next(2)
    for _ in range(2):
        with pytest.raises(OSError) as caught:
            bus.read_byte_data(ADDR, 0xFF)
        assert caught.value.errno == errno.EREMOTEIO
    assert bus.read_byte_data(ADDR, 0xFF) == 0x15


def test_vanished_chip_fails_with_eio_then_returns_power_cycled() -> None:
    clock, bus, chip = make()
    configure(bus)
    bus.read_byte_data(ADDR, 0x00)
    chip.vanish(5.0)
    clock.advance_to(4.9)
    with pytest.raises(OSError) as caught:
        bus.read_byte_data(ADDR, 0x09)
    assert caught.value.errno == errno.EIO
    clock.advance_to(5.0)
    assert bus.read_byte_data(ADDR, 0x00) == 0x01  # PWR_RDY again
    assert bus.read_byte_data(ADDR, 0x09) == 0x00  # mode back to power-on
    clock.advance_to(6.0)
    assert pointers(bus) == (0, 0, 0)


def test_bus_nacks_an_empty_address_and_refuses_long_smbus_blocks() -> None:
    _, bus, _ = make()
    with pytest.raises(OSError) as caught:
        bus.read_byte_data(0x3C, 0x00)
    assert caught.value.errno == errno.EREMOTEIO
    with pytest.raises(ValueError, match="32"):
        bus.read_i2c_block_data(ADDR, 0x07, 33)
    bus.close()
    with pytest.raises(OSError):
        bus.read_byte_data(ADDR, 0xFF)
    assert bus.open().read_byte_data(ADDR, 0xFF) == 0x15



def _fifo_reads(mode: int, totals: list[int], piece: np.random.Generator | None) -> tuple[bytes, list[object]]:
    """Read `totals[k]` FIFO bytes at step k, byte by byte (piece None) or in random pieces."""
    clock, bus, chip = make(seed=5)
    configure(bus, mode=mode)
    if mode == MODE_MULTI:
        bus.write_byte_data(ADDR, 0x11, 0x12)  # slot 1 = LED2 (IR), slot 2 = LED1 (red)
    out, states = bytearray(), list[object]()
    for step, total in enumerate(totals, start=1):
        clock.advance_to(0.037 * step)
        while total > 0:
            length = 1 if piece is None else min(total, int(piece.integers(1, 40)))
            write, read = i2c_msg.write(ADDR, [0x07]), i2c_msg.read(ADDR, length)
            bus.i2c_rdwr(write, read)
            out += bytes(read)
            total -= length
        states.append((pointers(bus), chip.fifo_count))
    return bytes(out), states


@pytest.mark.parametrize("mode", [MODE_SPO2, MODE_HR, MODE_MULTI])
def test_the_fifo_stream_is_the_same_whatever_the_reads_cut_it_into(mode: int) -> None:
    """Whole samples are popped at once: the bytes, pointers and counts are those of reading byte by
    byte, for reads that start inside a sample, span whole samples, and run past what the FIFO holds."""
    totals = np.random.default_rng(3).integers(1, 200, size=12).tolist()
    by_byte = _fifo_reads(mode, totals, None)
    in_pieces = _fifo_reads(mode, totals, np.random.default_rng(4))
    assert by_byte == in_pieces
    stream = by_byte[0]
    values = {stream[i:i + 3] for i in range(0, len(stream) - 2, 3)}
    assert len(stream) > 500 and len(values) > 20  # real samples, not only a repeated stale slot
