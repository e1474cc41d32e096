"""Real hardware for `glimmer run`: smbus2, spidev, PyAudio and gpiozero's default pin factory.

The hardware libraries are imported inside the driver functions called here, only now, so the rest of
the daemon imports on any machine.
"""

from __future__ import annotations

import logging
from typing import Any

from device.app import Hardware
from device.clock import RealClock
from device.config import Config, frames_per_write
from drivers.led_ring import SPI_SPEED_HZ, SpiWriter, default_pin_factory, open_spidev
from drivers.pulse_sensor import smbus2_bus_factory
from drivers.sensor_layout import sensor_bus_factories
from drivers.speaker import AudioOutput, NullAudioOutput, PyAudioOutput
from drivers.speaker_recovery import RecoveringAudio
from drivers.spi_recovery import RecoveringSpi
from drivers.spi_stream import ThreadedSpiWriter, spidev_block_bytes

log = logging.getLogger(__name__)


def build_audio(config: Config, clock: RealClock) -> AudioOutput:
    """The speaker, kept trying: with no usable audio device (at start or later) the light goes on alone
    and the device is tried again with back-off until it comes back (drivers/speaker_recovery.py)."""
    audio = config.audio
    if not audio.enabled:
        return NullAudioOutput(audio.sample_rate_hz)

    def open_speaker() -> AudioOutput:
        return PyAudioOutput(audio.device_name or None, audio.sample_rate_hz, audio.frames_per_buffer, clock)

    return RecoveringAudio(open_speaker, clock, audio.sample_rate_hz)


def open_i2c_bus(bus_number: int) -> Any:
    """/dev/i2c-<bus_number> opened with smbus2 (OSError when it is missing or not ours to open)."""
    return smbus2_bus_factory(bus_number)()


def build_real_hardware(config: Config) -> Hardware:
    """The Pi's hardware for `config`; the LED output is checked first, so a missing spidev library or
    GPIO ends the start with one clear line (HardwareError, exit 69) before anything else is opened. A
    missing SPI device or speaker does not: the device goes on without it and tries it again. The pulse
    sensors' buses follow `sensor.layout` (drivers/sensor_layout.py): one sensor, two behind a TCA9548A
    (one bus opened and shared by both channels), or two buses; they are opened by the sensors'
    supervisors when they start, never here."""
    clock = RealClock()
    spi = None
    pin_factory = None
    if config.led.kind == "spi":
        # A missing or failing SPI device is retried (drivers/spi_recovery.py); a missing library is not.
        led = config.led
        # Paced writes (several frames each) take the line's time: a thread writes them (drivers/spi_stream.py).
        def open_spi() -> SpiWriter:
            spidev = open_spidev(led.spi_bus, led.spi_device, SPI_SPEED_HZ)
            return ThreadedSpiWriter(spidev) if frames_per_write(config) > 1 else spidev

        spi = RecoveringSpi(open_spi, clock)
    elif config.led.kind == "pwm":
        pin_factory = default_pin_factory()
    sensor_a_bus, sensor_b_bus = sensor_bus_factories(config.sensor, open_i2c_bus)
    return Hardware(
        clock=clock,
        i2c_bus_factory=sensor_a_bus,
        spi=spi,
        spi_block_bytes=spidev_block_bytes() if spi is not None else None,
        audio=build_audio(config, clock),
        pin_factory=pin_factory,
        second_i2c_bus_factory=sensor_b_bus,
    )
