"""The virtual TCA9548A behaves as the datasheet's control register and switch do, faults included."""

from __future__ import annotations

import errno
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from device.clock import SimClock
from drivers import max30102_regs as regs
from sim.i2c_bus import I2COp, I2CRead, I2CWrite, VirtualI2CBus
from sim.max30102 import PulseTrainOptics, VirtualMax30102
from sim.tca9548a import VirtualTca9548a

MUX = 0x70
CHIP = 0x57


def rig(address: int = MUX) -> tuple[SimClock, VirtualI2CBus, VirtualTca9548a, VirtualMax30102, VirtualMax30102]:
    clock = SimClock()
    bus = VirtualI2CBus(1)
    mux = VirtualTca9548a(bus, address, clock)
    chip_a = VirtualMax30102(PulseTrainOptics(), clock, seed=1)
    chip_b = VirtualMax30102(PulseTrainOptics(), clock, seed=2, part_id=0x11)  # told apart by PART_ID
    mux.attach(0, CHIP, chip_a)
    mux.attach(5, CHIP, chip_b)
    return clock, bus, mux, chip_a, chip_b


def part_id(bus: VirtualI2CBus) -> int:
    return bus.read_byte_data(CHIP, regs.PART_ID.address)


def test_powers_up_with_every_channel_off_so_the_chips_behind_it_do_not_answer() -> None:
    _, bus, mux, _, _ = rig()
    assert bus.read_byte(MUX) == 0x00 and mux.control == 0x00
    with pytest.raises(OSError) as caught:
        part_id(bus)
    assert caught.value.errno == errno.EREMOTEIO


@pytest.mark.parametrize("channel", range(8))
def test_a_plain_write_selects_by_bit_mask_and_a_plain_read_returns_it(channel: int) -> None:
    clock = SimClock()
    bus = VirtualI2CBus(1)
    mux = VirtualTca9548a(bus, MUX, clock)
    chip = VirtualMax30102(PulseTrainOptics(), clock, part_id=0x20 + channel)
    mux.attach(channel, CHIP, chip)
    bus.write_byte(MUX, 1 << channel)
    assert bus.read_byte(MUX) == 1 << channel
    assert part_id(bus) == 0x20 + channel
    bus.write_byte(MUX, 0xFF & ~(1 << channel))  # every other channel: nothing there
    with pytest.raises(OSError):
        part_id(bus)


def test_of_several_bytes_written_the_last_one_counts_and_a_long_read_repeats_the_register() -> None:
    _, bus, mux, _, _ = rig()
    bus.transfer(MUX, [I2CWrite(bytes([0x01, 0x20]))])
    assert mux.control == 0x20
    assert bus.transfer(MUX, [I2CRead(3)]) == [b"\x20\x20\x20"]
    assert part_id(bus) == 0x11  # channel 5: chip B


def test_two_enabled_channels_with_chips_at_one_address_read_as_the_wired_and_of_both() -> None:
    _, bus, _, chip_a, chip_b = rig()
    bus.write_byte(MUX, 0b0010_0001)
    assert part_id(bus) == 0x15 & 0x11
    bus.write_byte_data(CHIP, regs.LED1_PA.address, 0x3C)  # a write reaches both
    assert chip_a.peek(regs.LED1_PA.address) == chip_b.peek(regs.LED1_PA.address) == 0x3C


def test_address_is_one_of_the_eight_its_pins_set() -> None:
    for address in range(0x70, 0x78):
        _, bus, _, _, _ = rig(address)
        assert bus.read_byte(address) == 0
    for wrong in (0x6F, 0x78, 0x57):
        with pytest.raises(ValueError, match="0x70-0x77"):
            VirtualTca9548a(VirtualI2CBus(1), wrong)


def test_nack_next_fails_that_many_transactions_to_the_switch_only() -> None:
    _, bus, mux, _, _ = rig()
    bus.write_byte(MUX, 0x01)
    mux.nack_next(2)
    for _ in range(2):
        with pytest.raises(OSError) as caught:
            bus.write_byte(MUX, 0x20)
        assert caught.value.errno == errno.EREMOTEIO
    assert part_id(bus) == 0x15  # the chip behind the open channel still answers
    bus.write_byte(MUX, 0x20)
    assert part_id(bus) == 0x11


def test_a_vanished_switch_cuts_off_everything_and_returns_with_every_channel_off() -> None:
    clock, bus, mux, _, _ = rig()
    bus.write_byte(MUX, 0x01)
    mux.vanish(2.0)
    for address in (MUX, CHIP):
        with pytest.raises(OSError) as caught:
            bus.read_byte(address)
        assert caught.value.errno == errno.EREMOTEIO
    clock.advance_to(2.0)
    assert bus.read_byte(MUX) == 0x00  # power-on state
    with pytest.raises(OSError):
        part_id(bus)
    bus.write_byte(MUX, 0x01)
    assert part_id(bus) == 0x15


def test_a_stuck_register_acknowledges_writes_ignores_them_and_reads_what_it_is_stuck_at() -> None:
    clock, bus, mux, _, _ = rig()
    mux.stick(0x01, duration_s=3.0)
    bus.write_byte(MUX, 0x20)  # acknowledged...
    assert bus.read_byte(MUX) == 0x01  # ...and ignored
    assert part_id(bus) == 0x15  # chip A answers where chip B was wanted
    clock.advance_to(3.0)
    assert bus.read_byte(MUX) == 0x01  # holds until written
    bus.write_byte(MUX, 0x20)
    assert part_id(bus) == 0x11


def test_reset_pin_turns_every_channel_off_and_frees_a_stuck_register() -> None:
    _, bus, mux, _, _ = rig()
    mux.stick(0x21)
    mux.reset()
    assert bus.read_byte(MUX) == 0x00
    bus.write_byte(MUX, 0x20)
    assert bus.read_byte(MUX) == 0x20


def test_timed_faults_need_a_clock_and_channels_are_0_to_7() -> None:
    mux = VirtualTca9548a(VirtualI2CBus(1), MUX)
    with pytest.raises(ValueError, match="clock"):
        mux.vanish(1.0)
    with pytest.raises(ValueError, match="channels 0-7"):
        mux.attach(8, CHIP, VirtualMax30102(PulseTrainOptics(), SimClock()))
    with pytest.raises(ValueError, match="own address"):
        mux.attach(0, MUX, VirtualMax30102(PulseTrainOptics(), SimClock()))


class Probe:
    """A one-register device: reads return its `value`, writes are kept."""

    def __init__(self, value: int) -> None:
        self.value = value
        self.written: list[bytes] = []

    def transfer(self, ops: Sequence[I2COp]) -> list[bytes]:
        replies = []
        for op in ops:
            if isinstance(op, I2CWrite):
                self.written.append(op.data)
            else:
                replies.append(bytes([self.value]) * op.length)
        return replies


@settings(max_examples=200, deadline=None)
@given(placed=st.dictionaries(st.integers(0, 7), st.integers(0, 255), min_size=1, max_size=8),
       masks=st.lists(st.integers(0, 255), min_size=1, max_size=20))
def test_any_mask_reaches_exactly_the_devices_on_its_channels(placed: dict[int, int], masks: list[int]) -> None:
    """Generated placements (a device with a known value on some channels, all at one address) and control
    values: a read answers the wired-AND of the enabled devices' values, or NACKs when none is enabled; a
    write reaches exactly the enabled ones; the register reads back what was written."""
    bus = VirtualI2CBus(1)
    mux = VirtualTca9548a(bus, MUX)
    probes = {channel: Probe(value) for channel, value in placed.items()}
    for channel, probe in probes.items():
        mux.attach(channel, CHIP, probe)
    for n, mask in enumerate(masks):
        bus.write_byte(MUX, mask)
        assert bus.read_byte(MUX) == mask
        enabled = [probes[c] for c in probes if mask >> c & 1]
        if not enabled:
            with pytest.raises(OSError):
                bus.read_byte(CHIP)
            continue
        expected = 0xFF
        for probe in enabled:
            expected &= probe.value
        assert bus.read_byte(CHIP) == expected
        bus.write_byte(CHIP, n)
        for channel, probe in probes.items():
            assert (bytes([n]) in probe.written) == bool(mask >> channel & 1)
