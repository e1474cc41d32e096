"""The LED ring's SPI device missing at start or failing mid-session (drivers/spi_recovery.py), on the fast
clock: the device goes on (measuring, pacing with sound, storing, publishing) and the ring lights again
when its device is back. The ring is the simulator's decoding sink behind a plug that can be pulled."""

from __future__ import annotations

import errno
import logging
from datetime import datetime

import pytest

from device.app import build_device
from device.config import load_config
from device.errors import OutputError
from device.publish import RecordingPublisher
from drivers.led_ring import SpiWriter
from drivers.spi_recovery import RETRY_MAX_S, RecoveringSpi
from sim.spi_ring import SpiRingSink
from sim.world import build_sim_world

NOON = datetime(2026, 6, 1, 12, 0)


class Plug:
    """/dev/spidev0.0 that can vanish: opening fails while pulled, and so does every write."""

    def __init__(self, ring: SpiRingSink) -> None:
        self.ring = ring
        self.present = False
        self.writes = 0

    def open(self) -> SpiWriter:
        if not self.present:
            raise OutputError("cannot open /dev/spidev0.0 ([Errno 2] No such file or directory)") from OSError(
                errno.ENOENT, "No such file or directory")
        return self

    def writebytes2(self, data: bytes | list[int]) -> None:
        if not self.present:
            raise OSError(errno.ENODEV, "No such device")
        self.writes += 1
        self.ring.writebytes2(data)

    def close(self) -> None:
        return None


def test_the_ring_missing_at_start_or_failing_mid_session_leaves_the_device_running_and_comes_back(
        caplog: pytest.LogCaptureFixture) -> None:
    config = load_config(overrides={"night": {"enabled": False}})
    world = build_sim_world(config, silent=True, start_wall=NOON)
    plug = Plug(world.ring)
    spi = RecoveringSpi(plug.open, world.clock)
    world.hardware.spi = spi
    seen = RecordingPublisher()
    caplog.set_level(logging.WARNING, logger="drivers.spi_recovery")
    glimmer = build_device(config, world.hardware, [seen])
    glimmer.run(until_s=60.0)
    assert plug.writes == 0 and not spi.connected
    assert seen.metrics_payloads[-1]["session_state"] == "pacing"  # the session runs without the ring
    plug.present = True
    glimmer.run(until_s=60.0 + RETRY_MAX_S)
    assert spi.connected and plug.writes > 0 and world.ring.mean_brightness() > 0.0
    plug.present = False  # pulled mid-session
    glimmer.run(until_s=200.0)
    assert not spi.connected
    written = plug.writes
    plug.present = True
    glimmer.run(until_s=200.0 + RETRY_MAX_S + 5.0)
    assert plug.writes > written and world.ring.mean_brightness() > 0.0
    last = seen.metrics_payloads[-1]
    assert last["session_state"] == "pacing" and last["session"] == 1 and last["hr_bpm"] is not None
    assert spi.outages == 2
    said = [r.getMessage() for r in caplog.records]
    assert len([m for m in said if m.startswith("no LED ring")]) == 2
    assert len([m for m in said if m == "LED ring is back"]) == 2
    glimmer.close()


def test_a_missing_spidev_library_is_not_retried() -> None:
    def no_library() -> SpiWriter:
        raise OutputError("the spidev package is not installed") from ImportError("spidev")

    world = build_sim_world(load_config(), silent=True)
    with pytest.raises(OutputError, match="not installed"):
        RecoveringSpi(no_library, world.clock)
