"""The real I2C bus: smbus2, imported only when a real bus is opened."""

from __future__ import annotations

from typing import Any

from device.errors import SensorNotFound


def open_smbus(bus_number: int) -> Any:
    """Open /dev/i2c-<bus_number> with smbus2 (raises SensorNotFound with a hint if it can't)."""
    import smbus2  # hardware library: imported only for a real bus

    try:
        return smbus2.SMBus(bus_number)
    except (FileNotFoundError, PermissionError) as exc:
        raise SensorNotFound(
            f"cannot open I2C bus {bus_number} (/dev/i2c-{bus_number}): {exc.strerror}; "
            "enable I2C with raspi-config and add the user to the i2c group"
        ) from exc
