"""Buttons on GPIO pins (gpiozero.Button): short, long and very long presses.

A button is wired from its GPIO pin to ground; the pin's internal pull-up holds it high. Edges are
debounced here, on the device's clock, the same on every gpiozero backend (MockFactory does not
simulate gpiozero's own `bounce_time`): an edge within `bounce_s` of the last accepted one is contact
bounce and ignored. How long a press lasted is measured on the same clock (so the simulator's fast
clock holds a button as long as it means to) and classified on release:

- short: released before `long_press_s`
- long: held `long_press_s` or more, released before `very_long_press_s`
- very long: held `very_long_press_s` or more

gpiozero calls back from its own thread; the callbacks only queue the press, and the main loop takes
them with `take()`, so nothing of the device is touched from another thread.

The pin is a gpiozero `DigitalInputDevice` (what `Button` is without its hold events): `Button` starts
a thread that wakes every 0.1 s for as long as the button exists, to fire `when_held`, which this
class does not use (a press is classified on release); those 10 wake-ups a second cost the idle
device about 0.07 % of a core here.
"""

from __future__ import annotations

import enum
import logging
import threading
from collections import deque
from typing import Any

from device.clock import Clock
from device.errors import InputError, OutputError

log = logging.getLogger(__name__)


class Press(enum.Enum):
    SHORT = "short"
    LONG = "long"
    VERY_LONG = "very_long"


def classify(held_s: float, long_press_s: float, very_long_press_s: float) -> Press:
    """Which press a hold of held_s seconds was."""
    if not 0 < long_press_s < very_long_press_s:
        raise InputError(f"need 0 < long_press_s < very_long_press_s, got {long_press_s}, {very_long_press_s}")
    if held_s >= very_long_press_s:
        return Press.VERY_LONG
    if held_s >= long_press_s:
        return Press.LONG
    return Press.SHORT


class PressButton:
    """One button on BCM pin `gpio`. Context manager; `close()` may be called twice."""

    def __init__(self, gpio: int, clock: Clock, *, pin_factory: Any = None, bounce_s: float = 0.03,
                 long_press_s: float = 1.5, very_long_press_s: float = 5.0, name: str = "button") -> None:
        classify(0.0, long_press_s, very_long_press_s)  # checks the thresholds
        from gpiozero import DigitalInputDevice  # imported here so `import drivers.buttons` stays light
        from gpiozero.exc import GPIOZeroError

        self.name = name
        self._clock = clock
        self._long_s = long_press_s
        self._very_long_s = very_long_press_s
        self._lock = threading.Lock()
        self._bounce_s = bounce_s
        self._down_s: float | None = None
        self._up_s = -float("inf")
        self._presses: deque[Press] = deque(maxlen=16)
        try:
            # Pulled up, so active (pressed) while the pin reads low, as gpiozero's Button.
            self._button = DigitalInputDevice(gpio, pull_up=True, pin_factory=pin_factory)
        except GPIOZeroError as exc:
            raise OutputError(f"{name}: cannot use GPIO {gpio}: {exc}") from exc
        self._button.when_activated = self._pressed
        self._button.when_deactivated = self._released
        self._closed = False

    def _pressed(self) -> None:
        with self._lock:
            now_s = self._clock.now_s()
            if self._down_s is not None or now_s - self._up_s < self._bounce_s:
                return  # already down, or the release bouncing
            self._down_s = now_s

    def _released(self) -> None:
        with self._lock:
            now_s = self._clock.now_s()
            if self._down_s is None or now_s - self._down_s < self._bounce_s:
                return  # not down, or the press bouncing
            held_s = now_s - self._down_s
            self._down_s = None
            self._up_s = now_s
            self._presses.append(classify(held_s, self._long_s, self._very_long_s))

    def take(self) -> list[Press]:
        """The presses completed since the last call, oldest first (main loop only)."""
        with self._lock:
            out = list(self._presses)
            self._presses.clear()
        return out

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._button.close()

    def __enter__(self) -> PressButton:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
