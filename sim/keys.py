"""Keys in the live view press the simulated device's main button (on gpiozero's MockFactory pin).

space: a short press (start or end a session), n: a long press (next person), a: a very long press
(resonance assessment). The button is held on the simulated clock, as long as that press needs, by
driving its mock pin low and then high again from the frame hook (the main loop's thread). Keys are
read by a daemon thread from a terminal in cbreak mode, restored on close; it only queues them.
"""

from __future__ import annotations

import logging
import queue
import sys
import threading
from typing import Any, TextIO

from device.config import Config

log = logging.getLogger(__name__)

KEYS = {" ": "short", "n": "long", "a": "very_long"}
HELP = "keys: space = start/end, n = next person, a = resonance assessment"  # fits 80 columns


class KeyPresser:
    """Turns keys into button holds on the simulated clock. Call `on_frame(now_s)` from the frame hook."""

    def __init__(self, pins: Any, config: Config) -> None:
        b = config.buttons
        self._pin = pins.pin(b.main_gpio)
        self._hold_s = {"short": 0.2, "long": b.long_press_s + 0.2, "very_long": b.very_long_press_s + 0.2}
        self._keys: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._release_at_s: float | None = None

    def key(self, char: str) -> None:
        """A key was pressed (any thread)."""
        if char in KEYS:
            self._keys.put(char)

    def on_frame(self, now_s: float) -> None:
        if self._release_at_s is not None:
            if now_s >= self._release_at_s:
                self._pin.drive_high()
                self._release_at_s = None
            return
        try:
            char = self._keys.get_nowait()
        except queue.Empty:
            return
        self._pin.drive_low()
        self._release_at_s = now_s + self._hold_s[KEYS[char]]


class TerminalKeys:
    """Reads single keys from a terminal (cbreak mode) into a KeyPresser; `close()` restores it."""

    def __init__(self, presser: KeyPresser, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stdin
        self._saved: Any = None
        self._presser = presser
        if not self._stream.isatty():
            return
        import termios
        import tty

        fd = self._stream.fileno()
        self._saved = termios.tcgetattr(fd)
        tty.setcbreak(fd)
        threading.Thread(target=self._read, name="sim-keys", daemon=True).start()

    def _read(self) -> None:
        while True:
            char = self._stream.read(1)
            if not char:
                return
            self._presser.key(char)

    def close(self) -> None:
        if self._saved is not None:
            import termios

            termios.tcsetattr(self._stream.fileno(), termios.TCSADRAIN, self._saved)
            self._saved = None
