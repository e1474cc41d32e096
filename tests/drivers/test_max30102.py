"""The MAX30102 driver against the register-accurate virtual chip on a simulated clock."""

from __future__ import annotations

import itertools
import subprocess
import sys
import threading

import numpy as np
import pytest
from numpy.typing import NDArray

from device.clock import SimClock
from device.errors import ConfigError, InputError, SensorError, SensorLost, SensorNotFound
from drivers.max30102 import Max30102, Max30102Settings, SampleBlock, decode_fifo
from drivers.max30102_agc import AgcSettings, ChannelLevel, finger_on_from_dc, next_led_current
from sim.i2c_bus import I2CRead, VirtualI2CBus
from sim.max30102 import PulseTrainOptics, TissueModel, VirtualMax30102
from sim.optics import OpticalSamples

ADDR = 0x57


Rig = tuple[SimClock, VirtualI2CBus, VirtualMax30102, Max30102]


def rig(settings: Max30102Settings | None = None, *, optics: object | None = None, seed: int = 3,
        bus_number: int = 1, **chip_kwargs: object) -> Rig:
    clock = SimClock()
    chip = VirtualMax30102(optics or PulseTrainOptics(), clock, seed, **chip_kwargs)  # type: ignore[arg-type]
    bus = VirtualI2CBus(bus_number)
    bus.attach(ADDR, chip)
    return clock, bus, chip, Max30102(bus, bus_number, ADDR, settings, clock=clock)


def run(clock: SimClock, sensor: Max30102, until_s: float, every_s: float = 0.1) -> list[SampleBlock]:
    blocks = []
    t = clock.now_s()
    while t < until_s - 1e-9:
        t = min(until_s, t + every_s)
        clock.advance_to(t)
        blocks.append(sensor.read())
    return blocks


# --- decode_fifo -----------------------------------------------------------------------------
def test_decode_fifo_reads_msb_first_and_masks_the_six_unused_top_bits() -> None:
    data = bytes([0x03, 0xFF, 0xFF, 0x00, 0x00, 0x01,   # sample 1: red full scale, IR 1
                  0xFC, 0x00, 0x05, 0x01, 0x02, 0x03])  # sample 2: junk in the top bits
    decoded = decode_fifo(data, n_leds=2, pulse_width_us=411)
    assert decoded.shape == (2, 2)
    assert decoded.tolist() == [[262143.0, 1.0], [5.0, 0x010203]]


def test_decode_fifo_zeroes_bits_below_the_pulse_widths_resolution() -> None:
    data = bytes([0x00, 0x00, 0x0F, 0x00, 0x00, 0x0F])
    assert decode_fifo(data, 1, 69).ravel().tolist() == [8.0, 8.0]  # 15-bit: bits 2:0 are not data
    assert decode_fifo(data, 1, 215).ravel().tolist() == [14.0, 14.0]  # 17-bit: bit 0


@pytest.mark.parametrize("n_leds", [1, 2, 3])
def test_decode_fifo_matches_the_datasheets_byte_formula_on_random_bytes(n_leds: int) -> None:
    """Value = (byte0 << 16 | byte1 << 8 | byte2) & 0x3FFFF, low bits below the resolution zeroed."""
    rng = np.random.default_rng(n_leds)
    resolution = {69: 15, 118: 16, 215: 17, 411: 18}
    for n_samples in (0, 1, 7, 32):
        data = rng.integers(0, 256, 3 * n_leds * n_samples, dtype=np.uint8).tobytes()
        for width_us, bits in resolution.items():
            expected = [(int.from_bytes(data[i:i + 3], "big") & 0x3FFFF) >> (18 - bits) << (18 - bits)
                        for i in range(0, len(data), 3)]
            decoded = decode_fifo(data, n_leds, width_us)
            assert decoded.shape == (n_samples, n_leds) and decoded.dtype == np.float64
            assert decoded.ravel().tolist() == expected


def test_decode_fifo_refuses_partial_samples() -> None:
    with pytest.raises(InputError, match="6-byte"):
        decode_fifo(bytes(9), n_leds=2, pulse_width_us=411)
    assert decode_fifo(b"", 2, 411).shape == (0, 2)


# --- finding the chip ------------------------------------------------------------------------
def test_start_finds_the_chip_by_its_part_id() -> None:
    _, _, chip, sensor = rig()
    sensor.start()
    assert chip.peek(0x09) == 0x03


def test_wrong_part_id_is_refused_naming_bus_address_and_id() -> None:
    _, _, _, sensor = rig(part_id=0x11, bus_number=3)  # a MAX30100 answers at 0x57
    with pytest.raises(SensorNotFound, match=r"no MAX30102 at 0x57 on bus 3: part ID is 0x11"):
        sensor.start()


def test_missing_chip_is_refused_naming_bus_and_address() -> None:
    clock = SimClock()
    sensor = Max30102(VirtualI2CBus(1), 1, ADDR, clock=clock)
    with pytest.raises(SensorNotFound, match=r"no MAX30102 at 0x57 on bus 1: the chip does not answer"):
        sensor.start()


def test_soft_reset_waits_for_the_reset_bit_a_bounded_number_of_polls() -> None:
    clock, _, _, sensor = rig(reset_reads=3)
    sensor.start()
    assert clock.now_s() == pytest.approx(0.003)  # three polls, 1 ms apart on the simulated clock
    clock, _, _, stuck = rig(reset_reads=1000)
    with pytest.raises(SensorError, match="RESET bit still set after 20 polls"):
        stuck.start()
    assert clock.now_s() == pytest.approx(0.020)


# --- configuration ---------------------------------------------------------------------------
@pytest.mark.parametrize(("rate_hz", "fifo_config"), [(100, 0x50), (50, 0x70), (25, 0x90)])
def test_configuration_lands_in_the_registers(rate_hz: int, fifo_config: int) -> None:
    settings = Max30102Settings(sample_rate_hz=rate_hz, red_led_current_ma=6.4, ir_led_current_ma=8.0)
    _, _, chip, sensor = rig(settings)
    sensor.start()
    assert chip.peek(0x08) == fifo_config  # SMP_AVE 4/8/16, rollover on, A_FULL at 0 free slots
    assert chip.peek(0x0A) == 0x2F  # 4096 nA, 400 sps, 411 us
    assert (chip.peek(0x0C), chip.peek(0x0D)) == (32, 40)  # 0.2 mA per step
    assert chip.peek(0x09) == 0x03  # SpO2 mode, running
    assert (chip.peek(0x02), chip.peek(0x03)) == (0, 0)  # interrupts off: the driver polls
    assert chip.output_rate_hz == rate_hz


def test_settings_report_every_invalid_value_at_once() -> None:
    with pytest.raises(ConfigError) as caught:
        Max30102Settings(sample_rate_hz=60, pulse_width_us=100, adc_range_na=1000, ir_led_current_ma=60.0)
    assert len(caught.value.problems) == 4
    assert any("sensor.sample_rate_hz" in p for p in caught.value.problems)


@pytest.mark.parametrize("rate_hz", [25, 50, 100])
def test_delivered_rate_matches_the_setting(rate_hz: int) -> None:
    clock, _, _, sensor = rig(Max30102Settings(sample_rate_hz=rate_hz))
    sensor.start()
    blocks = run(clock, sensor, 2.0)
    assert sum(b.n_samples for b in blocks) == 2 * rate_hz
    assert all(b.fs_hz == rate_hz for b in blocks)


# --- reading ---------------------------------------------------------------------------------
def test_each_read_is_one_status_read_and_one_burst_whatever_the_sample_count() -> None:
    clock, bus, _, sensor = rig()
    sensor.start()
    for wait_s in (0.05, 0.2, 0.31):
        before = bus.transaction_counts[ADDR]
        clock.advance_to(clock.now_s() + wait_s)
        block = sensor.read()
        assert bus.transaction_counts[ADDR] - before == 2
        burst = bus.recent[-1]
        assert burst.ops[0].data == bytes([0x07])  # type: ignore[union-attr]
        assert burst.ops[1] == I2CRead(6 * block.n_samples)
        assert block.n_samples == round(wait_s * 100)


def test_samples_are_numbered_on_the_clock_timeline_whenever_they_are_read() -> None:
    """A ramp of blood volume makes each sample's counts tell the time it was taken."""

    class Ramp:
        def optics(self, t_s: NDArray[np.float64]) -> OpticalSamples:
            return OpticalSamples(t_s * 5.0, np.ones(t_s.shape, dtype=np.bool_), np.zeros(t_s.shape))

    quiet = TissueModel(noise_na=0.0, shot_noise_fraction=0.0)
    settings = Max30102Settings(agc=AgcSettings(enabled=False))
    clock, _, _, sensor = rig(settings, optics=Ramp(), tissue=quiet)
    clock.advance_to(1.2)
    sensor.start()
    blocks = []
    for t in (1.237, 1.301, 1.466, 1.5, 1.733):  # irregular reads
        clock.advance_to(t)
        blocks.append(sensor.read())
    assert blocks[0].first_index == 121  # round(1.2 s x 100 Hz) + 1
    assert all(b.next_index == n.first_index for b, n in itertools.pairwise(blocks))
    t_s = np.concatenate([b.t_s for b in blocks])
    ir = np.concatenate([b.ir for b in blocks])
    assert t_s[-1] == pytest.approx(1.73)
    # Each sample averages 4 conversions ending at t; their mean time is 3.75 ms earlier.
    t_mean = t_s - 0.00375
    expected = np.floor(7.0 * 330.0 * (1.0 - 0.012 * 5.0 * t_mean) / 4096 * 2**18 + 3.0 / 4096 * 2**18)
    np.testing.assert_allclose(ir, expected, atol=1.5)


def test_overflow_is_counted_and_indices_jump_over_the_lost_samples() -> None:
    clock, _, chip, sensor = rig()
    sensor.start()
    clock.advance_to(0.1)
    first = sensor.read()
    clock.advance_to(0.6)  # 50 samples into a 32-sample FIFO
    late = sensor.read()
    assert late.lost == 18 == chip.samples_dropped
    assert late.first_index == first.next_index + 18
    assert late.t_s[-1] == pytest.approx(0.6)  # the newest sample is the one taken at 0.6 s


def test_overflow_beyond_the_saturated_counter_is_counted_from_the_clock() -> None:
    clock, _, chip, sensor = rig()
    sensor.start()
    clock.advance_to(0.1)
    sensor.read()
    clock.advance_to(2.1)  # 200 samples: OVF_COUNTER stops at 31
    late = sensor.read()
    assert late.lost == 168 == chip.samples_dropped
    assert late.t_s[-1] == pytest.approx(2.1)
    clock.advance_to(2.2)
    assert sensor.read().lost == 0


def test_a_power_cycled_chip_is_reported_lost() -> None:
    clock, _, chip, sensor = rig()
    sensor.start()
    clock.advance_to(0.1)
    sensor.read()
    chip.power_cycle()
    with pytest.raises(SensorLost, match="power-cycled"):
        sensor.read()


def test_bus_errors_while_reading_become_sensor_lost() -> None:
    clock, _, chip, sensor = rig()
    sensor.start()
    chip.nack_next(1)
    clock.advance_to(0.1)
    with pytest.raises(SensorLost, match="0x57 on bus 1"):
        sensor.read()


def test_read_before_start_is_an_error() -> None:
    _, _, _, sensor = rig()
    with pytest.raises(SensorError, match="before start"):
        sensor.read()


# --- LED current control and finger detection ------------------------------------------------
def dc_fraction(block: SampleBlock) -> tuple[float, float]:
    return float(block.red.mean()) / 2**18, float(block.ir.mean()) / 2**18


def test_agc_brings_a_dim_finger_into_the_window() -> None:
    dim = TissueModel(reflectance_na_per_ma=(60.0, 80.0))  # 7 mA gives 10-14 % of full scale
    clock, _, _, sensor = rig(tissue=dim)
    sensor.start()
    blocks = run(clock, sensor, 15.0)
    assert max(dc_fraction(blocks[2])) < 0.2
    red, ir = dc_fraction(blocks[-1])
    assert 0.4 <= red <= 0.8 and 0.4 <= ir <= 0.8
    red_ma, ir_ma = sensor.led_currents_ma
    assert red_ma > 20.0 and ir_ma > 15.0
    assert sensor.finger_on is True


def test_agc_pulls_a_saturated_finger_out_of_saturation() -> None:
    bright = TissueModel(reflectance_na_per_ma=(900.0, 1200.0))  # 7 mA saturates both channels
    clock, _, _, sensor = rig(tissue=bright)
    sensor.start()
    blocks = run(clock, sensor, 10.0)
    assert blocks[2].ir.max() == 2**18 - 1
    tail = blocks[-20:]
    assert max(float(b.ir.max()) for b in tail) < 0.9 * 2**18
    assert all(0.4 <= f <= 0.8 for b in tail for f in dc_fraction(b))
    assert sensor.finger_on is True


def test_agc_leaves_a_signal_inside_the_window_alone_and_marks_each_change() -> None:
    clock, _, _, sensor = rig()  # default finger: about 45 % and 56 % of full scale at 7 mA
    sensor.start()
    blocks = run(clock, sensor, 10.0)
    assert sensor.led_currents_ma == (7.0, 7.0)
    assert not any(b.led_current_changed for b in blocks)
    clock, _, _, dimmed = rig(tissue=TissueModel(reflectance_na_per_ma=(60.0, 80.0)))
    dimmed.start()
    changed = [b for b in run(clock, dimmed, 6.0) if b.led_current_changed]
    assert changed
    for block in changed:  # the step is in the marked block, not hidden in the one before
        assert block.n_samples > 0


def test_finger_off_is_seen_from_the_dc_level_and_the_currents_go_back() -> None:
    dim = TissueModel(reflectance_na_per_ma=(60.0, 80.0))
    clock, _, chip, sensor = rig(tissue=dim)
    sensor.start()
    run(clock, sensor, 10.0)
    assert sensor.finger_on is True and sensor.led_currents_ma != (7.0, 7.0)
    chip.lift_finger(5.0)
    run(clock, sensor, 12.0)
    assert sensor.finger_on is False
    assert sensor.led_currents_ma == (7.0, 7.0)
    run(clock, sensor, 17.0)
    assert sensor.finger_on is True


def test_agc_step_keeps_inside_window_and_moves_outside_it_by_bounded_steps() -> None:
    agc = AgcSettings()
    assert next_led_current(7.0, ChannelLevel(0.45, 0.5), False, agc).current_ma == 7.0
    assert next_led_current(7.0, ChannelLevel(0.75, 0.8), False, agc).current_ma == 7.0
    up = next_led_current(7.0, ChannelLevel(0.10, 0.11), False, agc)
    assert up.current_ma == pytest.approx(8.8) and up.adjusting  # 7 x 1.25 on the 0.2 mA grid
    down = next_led_current(10.0, ChannelLevel(0.85, 0.9), False, agc)
    assert down.current_ma == pytest.approx(8.0) and down.adjusting
    # Once adjusting, keep going until inside the settle band (hysteresis).
    assert next_led_current(8.8, ChannelLevel(0.45, 0.5), True, agc).current_ma > 8.8
    assert not next_led_current(8.8, ChannelLevel(0.55, 0.6), True, agc).adjusting


def test_agc_step_halves_on_saturation_moves_at_least_one_step_and_respects_limits() -> None:
    agc = AgcSettings()
    assert next_led_current(20.0, ChannelLevel(0.7, 1.0), False, agc).current_ma == pytest.approx(10.0)
    assert next_led_current(7.0, ChannelLevel(0.59, 0.62), True, agc).current_ma == 7.0
    narrow = AgcSettings(settle_low_fraction=0.58, settle_high_fraction=0.62)
    nudged = next_led_current(1.0, ChannelLevel(0.57, 0.6), True, narrow)  # x1.05 rounds back to 1.0
    assert nudged.current_ma == pytest.approx(1.2)
    capped = next_led_current(30.0, ChannelLevel(0.1, 0.1), False, agc)
    assert capped.current_ma == 30.0 and not capped.adjusting


def test_finger_detection_uses_reflectance_with_hysteresis() -> None:
    agc = AgcSettings()
    assert finger_on_from_dc(ir_dc_na=2300.0, ir_current_ma=7.0, was_on=None, settings=agc)
    assert not finger_on_from_dc(25.0, 7.0, None, agc)  # ambient leakage only
    assert not finger_on_from_dc(30.0 * 7.0, 7.0, False, agc)  # between thresholds: stays off
    assert finger_on_from_dc(30.0 * 7.0, 7.0, True, agc)  # ... and stays on
    assert not finger_on_from_dc(15.0 * 30.0, 30.0, True, agc)  # high current does not fake a finger


# --- closing and importing -------------------------------------------------------------------
def test_close_shuts_the_chip_down_and_may_be_called_twice() -> None:
    _, _, chip, sensor = rig()
    with sensor:
        sensor.start()
    assert chip.peek(0x09) & 0x80
    sensor.close()
    with pytest.raises(SensorError):
        sensor.read()


def test_close_on_a_vanished_chip_does_not_raise() -> None:
    _, _, chip, sensor = rig()
    sensor.start()
    chip.vanish(10.0)
    sensor.close()
    sensor.close()


def test_driver_modules_import_without_smbus2() -> None:
    code = ("import sys; sys.modules['smbus2'] = None\n"
            "import drivers.max30102, drivers.pulse_sensor\n"
            "print(drivers.max30102.Max30102Settings().averaging)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "4"


def test_blocks_carry_the_led_current_their_samples_were_taken_with() -> None:
    """After an AGC change, counts per mA stay level: the step is the current's, not the tissue's."""
    clock = SimClock()
    optics = PulseTrainOptics(rate_bpm=75.0)
    chip = VirtualMax30102(optics, clock, seed=3)
    bus = VirtualI2CBus(1)
    bus.attach(0x57, chip)
    sensor = Max30102(bus.open(), settings=Max30102Settings(ir_led_current_ma=2.0, red_led_current_ma=2.0),
                      clock=clock)
    sensor.start()
    levels, changed = [], 0
    stop = threading.Event()
    for _ in range(100):
        clock.wait_until(clock.now_s() + 0.1, stop)
        block = sensor.read()
        if block.n_samples:
            assert block.ir_current_ma > 0
            changed += block.led_current_changed
            levels.append((block.ir_current_ma, float(np.median(block.ir)) / block.ir_current_ma))
    assert changed >= 1, "a dim start makes the AGC raise the current"
    currents = {c for c, _ in levels}
    assert len(currents) >= 2
    per_ma = np.array([lvl for _, lvl in levels[-20:]])
    first_per_ma = levels[0][1]
    assert np.all(np.abs(per_ma / first_per_ma - 1.0) < 0.15)
