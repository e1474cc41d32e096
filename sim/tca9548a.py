"""A register-level virtual TCA9548A 1-to-8 I2C switch for the virtual I2C bus (sim/i2c_bus.py).

It behaves as the datasheet (Texas Instruments SCPS207G, sections 8.5.2-8.5.6) describes it, as far as a
driver can tell over I2C:

- It answers at its own address, 0x70-0x77 (0x70 + A2 A1 A0).
- Its one register, the control register, is written with a plain write: the bytes after the address
  are stored, the last one counting; a plain read returns it (every byte of a longer read is the register).
  Bit n connects downstream channel n; several may be set. At power-on, and after a RESET pulse, it is 0x00:
  every channel off.
- A transaction to any other address reaches the devices on the enabled channels. None there: NACK
  (OSError(EREMOTEIO), as the Pi's i2c-bcm2835 reports it). Devices on two enabled channels at one
  address both answer: writes reach both, and read bytes are the bitwise AND of theirs (SDA is wired-AND),
  which is what real hardware gives and why a driver must never enable two such channels.

Faults, like the virtual MAX30102's (sim/max30102.py): `nack_next(n)` (the switch's next n transactions to
its own address NACK), `vanish(duration_s)` (the switch unpowered or unplugged: its address and everything
behind it NACK until the clock passes, then it is back at its power-on state with every channel off; the
chips behind it keep theirs, vanish them too for a whole-board power loss), `stick(mask, duration_s)`
(the control register stuck at `mask`: writes are acknowledged and ignored, reads return `mask`),
`reset()` (a pulse on the RESET pin) and `power_cycle()`.

Attach it with `VirtualTca9548a(bus, address, clock)`, then put devices behind it with
`attach(channel, address, device)`. One switch per downstream address on a bus (a second switch with a
device at the same address would take over that address on the upstream bus).
"""

from __future__ import annotations

import errno
import math
from collections.abc import Sequence
from typing import Final

from device.clock import Clock
from sim.i2c_bus import I2CDevice, I2COp, I2CRead, I2CWrite, VirtualI2CBus

ADDRESS_MIN: Final = 0x70
ADDRESS_MAX: Final = 0x77
N_CHANNELS: Final = 8
POWER_ON_CONTROL: Final = 0x00


class _Downstream:
    """What the upstream bus sees at a downstream address: the switch passing the transaction on."""

    def __init__(self, switch: VirtualTca9548a, address: int) -> None:
        self._switch = switch
        self._address = address

    def transfer(self, ops: Sequence[I2COp]) -> list[bytes]:
        return self._switch.forward(self._address, ops)


class VirtualTca9548a:
    """The virtual switch, attached to `bus` at `address` (0x70-0x77, ValueError otherwise). `clock`
    times `vanish` and `stick`; without one those two faults are refused (ValueError)."""

    def __init__(self, bus: VirtualI2CBus, address: int = ADDRESS_MIN, clock: Clock | None = None) -> None:
        if not ADDRESS_MIN <= address <= ADDRESS_MAX:
            raise ValueError(f"a TCA9548A answers at 0x{ADDRESS_MIN:02x}-0x{ADDRESS_MAX:02x}, got 0x{address:02x}")
        self.address = address
        self._bus = bus
        self._clock = clock
        self._control = POWER_ON_CONTROL
        self._channels: list[dict[int, I2CDevice]] = [{} for _ in range(N_CHANNELS)]
        self._ports: dict[int, _Downstream] = {}
        self._nacks_left = 0
        self._vanished_until_s: float | None = None
        self._stuck_mask: int | None = None
        self._stuck_until_s = -math.inf
        self.control_writes = 0  # control register writes acknowledged (stuck or not), for tests
        bus.attach(address, self)

    # --- wiring ----------------------------------------------------------------------------
    def attach(self, channel: int, address: int, device: I2CDevice) -> None:
        """Put `device` at 7-bit `address` on downstream `channel` (0-7)."""
        self._check_channel(channel)
        if address == self.address:
            raise ValueError(f"0x{address:02x} is the switch's own address")
        self._channels[channel][address] = device
        if address not in self._ports:
            self._ports[address] = _Downstream(self, address)
            self._bus.attach(address, self._ports[address])

    def detach(self, channel: int, address: int) -> None:
        """Unplug whatever is at `address` on `channel` (it NACKs from now on)."""
        self._check_channel(channel)
        self._channels[channel].pop(address, None)

    # --- fault injection and inspection ----------------------------------------------------
    @property
    def control(self) -> int:
        """The control register, without a bus transaction."""
        self._refresh()
        return self._stuck_mask if self._stuck_mask is not None else self._control

    def nack_next(self, n: int) -> None:
        """The next `n` transactions to the switch's own address fail with OSError(EREMOTEIO)."""
        self._nacks_left = n

    def vanish(self, duration_s: float) -> None:
        """Unpower the switch for `duration_s`: its address and every device behind it NACK; then it is
        back at power-on (every channel off)."""
        self._vanished_until_s = self._need_clock("vanish").now_s() + duration_s

    def stick(self, mask: int, duration_s: float = math.inf) -> None:
        """The control register is stuck at `mask` for `duration_s`: writes are acknowledged and ignored,
        reads return `mask`, and transactions reach the channels `mask` enables."""
        if not 0 <= mask <= 0xFF:
            raise ValueError(f"a control register value is 0x00-0xff, got {mask}")
        self._stuck_mask = mask
        self._stuck_until_s = self._need_clock("stick").now_s() + duration_s

    def reset(self) -> None:
        """RESET held low and released: every channel off (a stuck register is freed)."""
        self._control = POWER_ON_CONTROL
        self._stuck_mask = None

    def power_cycle(self) -> None:
        """A brown-out of the switch: back at once at its power-on state."""
        self.reset()

    # --- the bus side ----------------------------------------------------------------------
    def transfer(self, ops: Sequence[I2COp]) -> list[bytes]:
        """A transaction to the switch's own address: the control register (see sim.i2c_bus.I2CDevice)."""
        self._refresh()
        if self._vanished():
            raise OSError(errno.EREMOTEIO, f"Remote I/O error (no ACK from TCA9548A 0x{self.address:02x}: gone)")
        if self._nacks_left > 0:
            self._nacks_left -= 1
            raise OSError(errno.EREMOTEIO, f"Remote I/O error (NACK from TCA9548A 0x{self.address:02x})")
        replies: list[bytes] = []
        for op in ops:
            if isinstance(op, I2CWrite):
                if op.data:
                    self.control_writes += 1
                    self._control = op.data[-1]  # of several bytes, the last one received counts
            elif isinstance(op, I2CRead):
                replies.append(bytes([self.control]) * op.length)
        return replies

    def forward(self, address: int, ops: Sequence[I2COp]) -> list[bytes]:
        """A transaction to downstream `address`, passed to the devices on the enabled channels."""
        self._refresh()
        if self._vanished():
            raise OSError(errno.EREMOTEIO, f"no ACK from 0x{address:02x} (TCA9548A 0x{self.address:02x} gone)")
        control = self.control
        devices = [chan[address] for n, chan in enumerate(self._channels) if control >> n & 1 and address in chan]
        if not devices:
            raise OSError(errno.EREMOTEIO, f"no ACK from 0x{address:02x} (TCA9548A 0x{self.address:02x} "
                                           f"channels 0x{control:02x})")
        answers: list[list[bytes]] = []
        first_error: OSError | None = None
        for device in devices:
            try:
                answers.append(device.transfer(ops))
            except OSError as err:  # a NACK from one device is covered by another's ACK on the wire
                first_error = first_error or err
        if not answers:
            assert first_error is not None
            raise first_error
        return [bytes(_wired_and(parts)) for parts in zip(*answers, strict=True)]

    # --- internals -------------------------------------------------------------------------
    def _refresh(self) -> None:
        """End faults whose time is up; a switch that comes back starts at power-on."""
        if self._clock is None:
            return
        now_s = self._clock.now_s()
        if self._vanished_until_s is not None and now_s >= self._vanished_until_s:
            self._vanished_until_s = None
            self.power_cycle()
        if self._stuck_mask is not None and now_s >= self._stuck_until_s:
            self._control = self._stuck_mask  # the register holds what it was stuck at until written
            self._stuck_mask = None

    def _vanished(self) -> bool:
        return self._vanished_until_s is not None

    def _need_clock(self, fault: str) -> Clock:
        if self._clock is None:
            raise ValueError(f"{fault}() needs the switch to be made with a clock")
        return self._clock

    @staticmethod
    def _check_channel(channel: int) -> None:
        if not 0 <= channel < N_CHANNELS:
            raise ValueError(f"a TCA9548A has channels 0-{N_CHANNELS - 1}, got {channel}")


def _wired_and(parts: tuple[bytes, ...]) -> bytearray:
    out = bytearray(parts[0])
    for part in parts[1:]:
        for i, value in enumerate(part[:len(out)]):
            out[i] &= value
    return out
