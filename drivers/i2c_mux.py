"""One channel of a TCA9548A 1-to-8 I2C switch, as an smbus2-compatible bus.

Two MAX30102s answer at the same fixed address (0x57), so together mode puts them behind a TCA9548A
(Texas Instruments datasheet SCPS207G, sections 8.5.2 "Device Address", 8.5.4 "Control Register",
8.5.5 "RESET Input", 8.5.6 "Power-On Reset"). What the driver relies on:

- The switch answers at 0x70-0x77: 0b1110 followed by its A2, A1, A0 pins.
- It has one register, the control register, written with a plain one-byte write (no register address:
  the byte after the address *is* the register; of several bytes the last one counts) and read back with a
  plain one-byte read. Bit n set connects downstream channel n (SDn/SCn) to the upstream bus; several bits
  may be set at once. A newly selected channel connects at the STOP that ends the write.
- At power-on, and while RESET is held low, every channel is off (register 0x00).

`Tca9548aChannel` writes its channel's bit mask before each of the sensor's transactions and reads it
back, all under a lock shared by every channel on the same bus object, so two sensors polled from
different threads can never interleave "select A, select B, read A". Reading back costs one 1-byte read
per transaction and catches a switch that was reset or power-cycled behind our back, or whose register
is stuck on another channel: without it, sensor B's reads would silently return sensor A's samples (both
chips answer at 0x57).

Errors: the switch or the chip behind it not answering (NACK, gone) raises OSError with the bus's errno
(EREMOTEIO for a NACK, EIO for a bus fault) and a message naming the switch and channel; a read-back
that differs from what was written raises OSError(EIO). Those are the errors `Max30102` turns into
SensorNotFound / SensorLost and `PulseSensor` (drivers/pulse_sensor.py) reports as "lost" and retries on
its own back-off, so one sensor's fault never stalls the other's supervisor: each channel object is
only ever used by its own sensor, and a failing transaction costs the other sensor nothing but the
lock for that one transaction.
"""

from __future__ import annotations

import errno
import logging
import threading
import weakref
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any, Final, TypeVar

log = logging.getLogger(__name__)

MUX_ADDRESS_MIN: Final = 0x70  # A2 = A1 = A0 = 0
MUX_ADDRESS_MAX: Final = 0x77  # A2 = A1 = A0 = 1
N_CHANNELS: Final = 8
POWER_ON_CONTROL: Final = 0x00  # every channel off

T = TypeVar("T")

# One lock per underlying bus object, shared by every channel made on it (weak: it goes with the bus).
_LOCKS: weakref.WeakKeyDictionary[Any, threading.RLock] = weakref.WeakKeyDictionary()
_LOCKS_GUARD = threading.Lock()


def _lock_for(bus: Any) -> threading.RLock:
    with _LOCKS_GUARD:
        lock = _LOCKS.get(bus)
        if lock is None:
            lock = _LOCKS[bus] = threading.RLock()
        return lock


def channel_mask(channel: int) -> int:
    """The control register value that selects `channel` alone (bit `channel` set)."""
    if not 0 <= channel < N_CHANNELS:
        raise ValueError(f"a TCA9548A has channels 0-{N_CHANNELS - 1}, got {channel}")
    return 1 << channel


class Tca9548aChannel:
    """An smbus2-compatible bus reaching the devices on one channel of a TCA9548A.

    bus: the smbus2-compatible bus the switch sits on (smbus2.SMBus, sim.i2c_bus.VirtualI2CBus), shared
        by every channel of the switch.
    mux_address: the switch's 7-bit address, 0x70-0x77 (ValueError otherwise).
    channel: 0-7 (ValueError otherwise).
    on_close: called once by `close()`, e.g. `SharedBus.release`, which closes the shared bus when its
        last channel lets go. Without it `close()` leaves the bus open for its owner: other channels use it.

    Every method of smbus2.SMBus that drivers/max30102.py uses is here, plus the other plain byte and
    word transfers; each selects the channel first (see the module docstring).
    """

    def __init__(self, bus: Any, mux_address: int, channel: int, *,
                 on_close: Callable[[], None] | None = None) -> None:
        if not MUX_ADDRESS_MIN <= mux_address <= MUX_ADDRESS_MAX:
            raise ValueError(f"a TCA9548A answers at 0x{MUX_ADDRESS_MIN:02x}-0x{MUX_ADDRESS_MAX:02x}, "
                             f"got 0x{mux_address:02x}")
        self._mask = channel_mask(channel)
        self._bus = bus
        self._mux_address = mux_address
        self._channel = channel
        self._on_close = on_close
        self._lock = _lock_for(bus)
        self._closed = False

    @property
    def where(self) -> str:
        """'channel 1 of the TCA9548A at 0x70', for messages."""
        return f"channel {self._channel} of the TCA9548A at 0x{self._mux_address:02x}"

    @property
    def channel(self) -> int:
        return self._channel

    @property
    def mux_address(self) -> int:
        return self._mux_address

    # --- smbus2.SMBus methods --------------------------------------------------------------
    def read_byte(self, i2c_addr: int, force: bool | None = None) -> int:
        return self._on_channel(lambda: int(self._bus.read_byte(i2c_addr)))

    def write_byte(self, i2c_addr: int, value: int, force: bool | None = None) -> None:
        self._on_channel(lambda: self._bus.write_byte(i2c_addr, value))

    def read_byte_data(self, i2c_addr: int, register: int, force: bool | None = None) -> int:
        return self._on_channel(lambda: int(self._bus.read_byte_data(i2c_addr, register)))

    def write_byte_data(self, i2c_addr: int, register: int, value: int, force: bool | None = None) -> None:
        self._on_channel(lambda: self._bus.write_byte_data(i2c_addr, register, value))

    def read_word_data(self, i2c_addr: int, register: int, force: bool | None = None) -> int:
        return self._on_channel(lambda: int(self._bus.read_word_data(i2c_addr, register)))

    def write_word_data(self, i2c_addr: int, register: int, value: int, force: bool | None = None) -> None:
        self._on_channel(lambda: self._bus.write_word_data(i2c_addr, register, value))

    def read_i2c_block_data(self, i2c_addr: int, register: int, length: int,
                            force: bool | None = None) -> list[int]:
        return self._on_channel(lambda: list(self._bus.read_i2c_block_data(i2c_addr, register, length)))

    def write_i2c_block_data(self, i2c_addr: int, register: int, data: Sequence[int],
                             force: bool | None = None) -> None:
        self._on_channel(lambda: self._bus.write_i2c_block_data(i2c_addr, register, data))

    def i2c_rdwr(self, *i2c_msgs: Any) -> None:
        """A combined transaction of smbus2 `i2c_msg`s to the device behind the channel."""
        self._on_channel(lambda: self._bus.i2c_rdwr(*i2c_msgs))

    def close(self) -> None:
        """Stop using the channel (the switch is left as it is). Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        if self._on_close is not None:
            self._on_close()

    def __enter__(self) -> Tca9548aChannel:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # --- internals -------------------------------------------------------------------------
    def _on_channel(self, transaction: Callable[[], T]) -> T:
        """Select the channel, check it, then run `transaction`, all while holding the bus."""
        if self._closed:
            raise OSError(errno.EBADF, f"{self.where} was closed")
        with self._lock:
            self._select()
            try:
                return transaction()
            except OSError as err:
                raise OSError(err.errno, f"{err.strerror or err} (behind {self.where})") from err

    def _select(self) -> None:
        address = self._mux_address
        try:
            self._bus.write_byte(address, self._mask)
            got = int(self._bus.read_byte(address))
        except OSError as err:
            raise OSError(err.errno, f"TCA9548A at 0x{address:02x} does not answer selecting channel "
                                     f"{self._channel}: {err.strerror or err}") from err
        if got != self._mask:
            raise OSError(errno.EIO, f"TCA9548A at 0x{address:02x}: control register reads 0x{got:02x} after "
                                     f"selecting channel {self._channel} (0x{self._mask:02x}); it was reset or "
                                     f"is stuck")


class SharedBus:
    """One bus shared by several users (the channels of one switch): `acquire()` opens it with
    `open_bus` on first use, or again once every user has released it; `release()` closes it when the
    last user lets go. An `open_bus` failure (OSError: /dev/i2c-N missing) reaches the caller of
    `acquire()`, whose supervisor retries. Thread-safe."""

    def __init__(self, open_bus: Callable[[], Any]) -> None:
        self._open_bus = open_bus
        self._bus: Any = None
        self._users = 0
        self._lock = threading.Lock()

    @property
    def users(self) -> int:
        return self._users

    def acquire(self) -> Any:
        with self._lock:
            if self._bus is None:
                self._bus = self._open_bus()
            self._users += 1
            return self._bus

    def release(self) -> None:
        with self._lock:
            if self._users == 0:
                raise RuntimeError("SharedBus.release() without a matching acquire()")
            self._users -= 1
            if self._users or self._bus is None:
                return
            bus, self._bus = self._bus, None
        try:
            bus.close()
        except OSError as err:
            log.debug("closing the shared I2C bus failed: %s", err)

    def channel_factory(self, mux_address: int, channel: int) -> Callable[[], Tca9548aChannel]:
        """A bus factory for a sensor supervisor: each call opens (or shares) the bus and returns a
        new channel on it that releases the bus when closed."""
        channel_mask(channel)  # ValueError now rather than at the first open

        def open_channel() -> Tca9548aChannel:
            bus = self.acquire()
            try:
                return Tca9548aChannel(bus, mux_address, channel, on_close=self.release)
            except BaseException:
                self.release()
                raise

        return open_channel
