"""A virtual I2C bus with the smbus2.SMBus interface, routing each transaction by address.

Devices on it (e.g. sim.max30102.VirtualMax30102) see raw I2C transactions: a list of writes and
reads between one START and one STOP, exactly what the kernel's i2c-dev would put on the wire for
each SMBus call. An address with no device NACKs, raised as OSError(EREMOTEIO) like the Pi's
i2c-bcm2835 does. The bus counts transactions per address and keeps the recent ones, so tests can
assert how the driver talks to the chip (e.g. one transaction per FIFO burst).
"""

from __future__ import annotations

import ctypes
import errno
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Final, Protocol

SMBUS_BLOCK_MAX: Final = 32  # smbus2 refuses longer SMBus block transfers; i2c_rdwr has no such limit
I2C_M_RD: Final = 0x0001  # read flag of an i2c_msg (linux/i2c.h)
RECENT_TRANSACTIONS: Final = 1000


@dataclass(frozen=True)
class I2CWrite:
    """Bytes the master sends (the first is usually the register address)."""

    data: bytes


@dataclass(frozen=True)
class I2CRead:
    """A read of `length` bytes from the device."""

    length: int


I2COp = I2CWrite | I2CRead


class I2CDevice(Protocol):
    """A device model on the virtual bus."""

    def transfer(self, ops: Sequence[I2COp]) -> list[bytes]:
        """Carry out one transaction; return the bytes of each read, in order.

        Raise OSError (EREMOTEIO for a NACK, EIO for a dead bus) to fail the transaction.
        """
        ...


@dataclass(frozen=True)
class Transaction:
    """One transaction as the bus saw it."""

    address: int
    ops: tuple[I2COp, ...]


class VirtualI2CBus:
    """smbus2.SMBus stand-in: read/write byte data, SMBus block data, and `i2c_rdwr` with real
    smbus2 `i2c_msg` objects (read buffers are filled in place)."""

    def __init__(self, bus_number: int = 1) -> None:
        self.bus_number = bus_number
        self._devices: dict[int, I2CDevice] = {}
        self._closed = False
        self.transaction_counts: Counter[int] = Counter()
        self.recent: deque[Transaction] = deque(maxlen=RECENT_TRANSACTIONS)

    # --- wiring ----------------------------------------------------------------------------
    def attach(self, address: int, device: I2CDevice) -> None:
        """Plug `device` in at 7-bit `address`."""
        if not 0x03 <= address <= 0x77:
            raise ValueError(f"0x{address:02x} is not a 7-bit device address")
        self._devices[address] = device

    def detach(self, address: int) -> None:
        """Unplug whatever is at `address` (it will NACK from now on)."""
        self._devices.pop(address, None)

    # --- the transaction -------------------------------------------------------------------
    def transfer(self, address: int, ops: Sequence[I2COp]) -> list[bytes]:
        """One transaction to `address`; what every SMBus method below comes down to."""
        if self._closed:
            raise OSError(errno.EBADF, "I2C bus is closed")
        self.transaction_counts[address] += 1
        self.recent.append(Transaction(address, tuple(ops)))
        device = self._devices.get(address)
        if device is None:
            raise OSError(errno.EREMOTEIO, f"no ACK from 0x{address:02x}")
        return device.transfer(ops)

    # --- smbus2.SMBus methods --------------------------------------------------------------
    def read_byte(self, i2c_addr: int, force: bool | None = None) -> int:
        return self.transfer(i2c_addr, [I2CRead(1)])[0][0]

    def write_byte(self, i2c_addr: int, value: int, force: bool | None = None) -> None:
        self.transfer(i2c_addr, [I2CWrite(bytes([value]))])

    def read_byte_data(self, i2c_addr: int, register: int, force: bool | None = None) -> int:
        return self.transfer(i2c_addr, [I2CWrite(bytes([register])), I2CRead(1)])[0][0]

    def write_byte_data(self, i2c_addr: int, register: int, value: int, force: bool | None = None) -> None:
        self.transfer(i2c_addr, [I2CWrite(bytes([register, value]))])

    def read_i2c_block_data(self, i2c_addr: int, register: int, length: int,
                            force: bool | None = None) -> list[int]:
        if length > SMBUS_BLOCK_MAX:
            raise ValueError(f"Desired block length over {SMBUS_BLOCK_MAX} bytes")
        return list(self.transfer(i2c_addr, [I2CWrite(bytes([register])), I2CRead(length)])[0])

    def write_i2c_block_data(self, i2c_addr: int, register: int, data: Sequence[int],
                             force: bool | None = None) -> None:
        if len(data) > SMBUS_BLOCK_MAX:
            raise ValueError(f"Data length cannot exceed {SMBUS_BLOCK_MAX} bytes")
        self.transfer(i2c_addr, [I2CWrite(bytes([register, *data]))])

    def i2c_rdwr(self, *i2c_msgs: Any) -> None:
        """Combined transaction of smbus2 i2c_msg objects (repeated START between them)."""
        if not i2c_msgs:
            return
        address = i2c_msgs[0].addr
        if any(m.addr != address for m in i2c_msgs):
            raise ValueError("virtual bus: all messages of one i2c_rdwr must go to one address")
        ops: list[I2COp] = [I2CRead(m.len) if m.flags & I2C_M_RD else I2CWrite(bytes(m)) for m in i2c_msgs]
        replies = iter(self.transfer(address, ops))
        for msg in i2c_msgs:
            if msg.flags & I2C_M_RD:
                data = next(replies)
                ctypes.memmove(msg.buf, data, min(len(data), msg.len))

    def open(self) -> VirtualI2CBus:
        """Open the bus again after `close()` (like a new smbus2.SMBus(n)); returns self, so a
        supervisor's bus factory can be `bus.open`."""
        self._closed = False
        return self

    def close(self) -> None:
        self._closed = True

    def __enter__(self) -> VirtualI2CBus:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
