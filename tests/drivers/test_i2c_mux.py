"""The TCA9548A channel wrapper, register-level against the virtual switch and virtual MAX30102s."""

from __future__ import annotations

import errno
import threading
import time
from typing import Any

import numpy as np
import pytest

from device.clock import SimClock
from drivers import max30102_regs as regs
from drivers.i2c_mux import SharedBus, Tca9548aChannel
from drivers.max30102 import Max30102
from sim.i2c_bus import I2CRead, I2CWrite, VirtualI2CBus
from sim.max30102 import PulseTrainOptics, VirtualMax30102
from sim.tca9548a import VirtualTca9548a

MUX = 0x74
CHIP = 0x57


class Rig:
    def __init__(self) -> None:
        self.clock = SimClock()
        self.bus = VirtualI2CBus(1)
        self.mux = VirtualTca9548a(self.bus, MUX, self.clock)
        self.chip_a = VirtualMax30102(PulseTrainOptics(rate_bpm=60.0), self.clock, seed=1)
        # told apart by REV_ID
        self.chip_b = VirtualMax30102(PulseTrainOptics(rate_bpm=90.0), self.clock, seed=2, rev_id=0x07)
        self.mux.attach(2, CHIP, self.chip_a)
        self.mux.attach(6, CHIP, self.chip_b)
        self.a = Tca9548aChannel(self.bus, MUX, 2)
        self.b = Tca9548aChannel(self.bus, MUX, 6)


def test_each_channel_reaches_its_own_chip_whatever_the_other_selected_last() -> None:
    rig = Rig()
    for _ in range(3):
        assert rig.a.read_byte_data(CHIP, regs.REV_ID.address) == 0x03
        assert rig.b.read_byte_data(CHIP, regs.REV_ID.address) == 0x07


def test_every_chip_transaction_is_preceded_by_selecting_and_checking_the_channel() -> None:
    rig = Rig()
    rig.bus.recent.clear()
    rig.a.write_byte_data(CHIP, regs.LED1_PA.address, 0x20)
    rig.b.read_i2c_block_data(CHIP, regs.FIFO_CONFIG.address, 6)
    seen = [(t.address, t.ops) for t in rig.bus.recent]
    assert seen == [
        (MUX, (I2CWrite(bytes([0b0000_0100])),)), (MUX, (I2CRead(1),)),
        (CHIP, (I2CWrite(bytes([regs.LED1_PA.address, 0x20])),)),
        (MUX, (I2CWrite(bytes([0b0100_0000])),)), (MUX, (I2CRead(1),)),
        (CHIP, (I2CWrite(bytes([regs.FIFO_CONFIG.address])), I2CRead(6))),
    ]
    assert rig.chip_a.peek(regs.LED1_PA.address) == 0x20
    assert rig.chip_b.peek(regs.LED1_PA.address) != 0x20


def test_the_max30102_driver_runs_two_chips_through_two_channels_each_seeing_its_own_pulse() -> None:
    rig = Rig()
    sensors = [Max30102(channel, 1, CHIP, clock=rig.clock) for channel in (rig.a, rig.b)]
    for sensor in sensors:
        sensor.start()
    ir: list[list[float]] = [[], []]
    t = 0.0
    while t < 12.0:
        t = round(t + 0.05, 9)
        rig.clock.advance_to(t)
        for n, sensor in enumerate(sensors):
            ir[n].extend(sensor.read().ir.tolist())
    rates = []
    for series in ir:  # the dominant frequency of each chip's IR is its own optics' pulse rate
        x = np.asarray(series[200:]) - np.mean(series[200:])
        spectrum = np.abs(np.fft.rfft(x))
        freqs = np.fft.rfftfreq(x.size, 1.0 / 100.0)
        rates.append(60.0 * freqs[np.argmax(spectrum[1:]) + 1])
    assert rates[0] == pytest.approx(60.0, abs=3.0) and rates[1] == pytest.approx(90.0, abs=3.0)
    assert rig.chip_a.samples_dropped == rig.chip_b.samples_dropped == 0


def test_a_switch_that_does_not_answer_is_an_oserror_naming_it() -> None:
    rig = Rig()
    rig.mux.nack_next(1)
    with pytest.raises(OSError) as caught:
        rig.a.read_byte_data(CHIP, regs.REV_ID.address)
    assert caught.value.errno == errno.EREMOTEIO
    assert "TCA9548A at 0x74" in str(caught.value) and "channel 2" in str(caught.value)


def test_a_chip_that_does_not_answer_is_an_oserror_naming_its_channel() -> None:
    rig = Rig()
    rig.chip_b.nack_next(1)
    with pytest.raises(OSError) as caught:
        rig.b.read_byte_data(CHIP, regs.REV_ID.address)
    assert caught.value.errno == errno.EREMOTEIO
    assert "channel 6 of the TCA9548A at 0x74" in str(caught.value)
    rig.mux.detach(6, CHIP)
    with pytest.raises(OSError) as caught:
        rig.b.read_byte_data(CHIP, regs.REV_ID.address)
    assert caught.value.errno == errno.EREMOTEIO


def test_a_switch_stuck_on_the_other_channel_is_refused_rather_than_read_through() -> None:
    rig = Rig()
    rig.mux.stick(0b0000_0100)  # stuck on chip A's channel
    assert rig.a.read_byte_data(CHIP, regs.REV_ID.address) == 0x03
    with pytest.raises(OSError) as caught:
        rig.b.read_byte_data(CHIP, regs.REV_ID.address)  # would read chip A
    assert caught.value.errno == errno.EIO
    assert "reads 0x04 after selecting channel 6 (0x40)" in str(caught.value)


def test_a_switch_reset_behind_our_back_is_simply_selected_again() -> None:
    rig = Rig()
    assert rig.a.read_byte_data(CHIP, regs.REV_ID.address) == 0x03
    rig.mux.reset()
    assert rig.a.read_byte_data(CHIP, regs.REV_ID.address) == 0x03


def test_closed_channel_refuses_use_and_leaves_the_shared_bus_open_for_the_other() -> None:
    rig = Rig()
    rig.a.close()
    rig.a.close()  # twice is fine
    with pytest.raises(OSError) as caught:
        rig.a.read_byte_data(CHIP, regs.REV_ID.address)
    assert caught.value.errno == errno.EBADF
    assert rig.b.read_byte_data(CHIP, regs.REV_ID.address) == 0x07


def test_bad_address_or_channel_is_refused() -> None:
    bus = VirtualI2CBus(1)
    with pytest.raises(ValueError, match="0x70-0x77"):
        Tca9548aChannel(bus, 0x57, 0)
    with pytest.raises(ValueError, match="channels 0-7"):
        Tca9548aChannel(bus, 0x70, 8)
    with pytest.raises(ValueError, match="channels 0-7"):
        SharedBus(bus.open).channel_factory(0x70, -1)


class YieldingBus:
    """A virtual bus that gives other threads a chance between every call, to expose interleaving."""

    def __init__(self, bus: VirtualI2CBus) -> None:
        self._bus = bus

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._bus, name)

        def call(*args: Any) -> Any:
            time.sleep(0)
            return method(*args)

        return call


def test_two_threads_on_two_channels_never_read_each_others_chip() -> None:
    rig = Rig()
    shared = YieldingBus(rig.bus)
    wrong: list[tuple[int, int]] = []

    def hammer(channel: int, expected: int) -> None:
        wrapper = Tca9548aChannel(shared, MUX, channel)
        for _ in range(400):
            got = wrapper.read_byte_data(CHIP, regs.REV_ID.address)
            if got != expected:
                wrong.append((channel, got))

    threads = [threading.Thread(target=hammer, args=args) for args in ((2, 0x03), (6, 0x07))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    assert wrong == []
    assert rig.bus.transaction_counts[CHIP] == 800


def test_shared_bus_opens_once_closes_with_its_last_user_and_opens_again() -> None:
    opened: list[VirtualI2CBus] = []

    def open_bus() -> VirtualI2CBus:
        bus = VirtualI2CBus(1)
        opened.append(bus)
        return bus

    shared = SharedBus(open_bus)
    a = shared.channel_factory(0x70, 0)()
    b = shared.channel_factory(0x70, 1)()
    assert len(opened) == 1 and shared.users == 2
    a.close()
    assert shared.users == 1
    with pytest.raises(OSError) as caught:  # the bus is still open: only the (absent) switch NACKs
        b.read_byte(CHIP)
    assert caught.value.errno == errno.EREMOTEIO
    b.close()
    assert shared.users == 0
    with pytest.raises(OSError) as caught:
        opened[0].read_byte(0x70)
    assert caught.value.errno == errno.EBADF  # closed with its last user
    shared.channel_factory(0x70, 0)()
    assert len(opened) == 2


def test_shared_bus_that_cannot_be_opened_raises_to_the_caller_and_counts_no_user() -> None:
    def missing() -> VirtualI2CBus:
        raise FileNotFoundError(errno.ENOENT, "No such file or directory", "/dev/i2c-1")

    shared = SharedBus(missing)
    with pytest.raises(OSError):
        shared.channel_factory(0x70, 0)()
    assert shared.users == 0
    with pytest.raises(RuntimeError):
        shared.release()
