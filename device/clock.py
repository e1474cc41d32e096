"""The one monotonic clock of the device, and a simulated clock that can run faster than real time.

Every interval in Glimmer is measured on a `Clock`. The main loop waits for deadlines with
`wait_until`, which returns early (False) when the stop event is set; nothing sleep-polls.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Protocol


class Clock(Protocol):
    """A monotonic time source in seconds, with a stoppable wait."""

    def now_s(self) -> float:
        """Monotonic seconds since an arbitrary origin."""
        ...

    def wait_until(self, deadline_s: float, stop: threading.Event) -> bool:
        """Block until `deadline_s` (clock seconds). Returns False if `stop` was set first."""
        ...


class RealClock:
    """Wall-time monotonic clock (time.monotonic); waits on the stop event, so SIGTERM wakes it."""

    def __init__(self) -> None:
        self._origin_s = time.monotonic()

    def now_s(self) -> float:
        return time.monotonic() - self._origin_s

    def wait_until(self, deadline_s: float, stop: threading.Event) -> bool:
        remaining_s = deadline_s - self.now_s()
        if remaining_s > 0:
            stop.wait(remaining_s)
        return not stop.is_set()


class SimClock:
    """Simulated time. With `speed` = N it runs N times faster than real time; with `math.inf`
    it jumps straight to each deadline, so 20 simulated minutes take only the compute time.

    Simulated time only ever advances to the deadline asked for, never by how long the real
    wait took, so a run is deterministic for a given seed whatever the speed or machine load.
    At a finite speed the waits are anchored to the real monotonic clock (deadline d is due at
    anchor_real + (d - anchor_sim) / speed), so the time spent computing between waits does not
    make simulated time fall behind; a run that falls more than a second behind re-anchors rather
    than bursting to catch up. Setting `speed` re-anchors.
    """

    def __init__(self, speed: float = math.inf, start_s: float = 0.0) -> None:
        self._now_s = start_s
        self._lock = threading.Lock()
        self._anchor: tuple[float, float] | None = None  # (real monotonic s, simulated s)
        self.speed = speed

    @property
    def speed(self) -> float:
        """Times faster than real time (math.inf: as fast as the CPU allows)."""
        return self._speed

    @speed.setter
    def speed(self, speed: float) -> None:
        if not speed > 0:
            raise ValueError(f"SimClock speed must be > 0, got {speed!r}")
        self._speed = speed
        self._anchor = None

    def now_s(self) -> float:
        with self._lock:
            return self._now_s

    def advance_to(self, t_s: float) -> None:
        """Move simulated time forward to `t_s` (never backward)."""
        with self._lock:
            if t_s > self._now_s:
                self._now_s = t_s

    def wait_until(self, deadline_s: float, stop: threading.Event) -> bool:
        if stop.is_set():
            return False
        now_s = self.now_s()
        if deadline_s > now_s and math.isfinite(self._speed):
            real_s = time.monotonic()
            anchor = self._anchor
            if anchor is None or real_s - (anchor[0] + (now_s - anchor[1]) / self._speed) > 1.0:
                anchor = self._anchor = (real_s, now_s)
            remaining_s = anchor[0] + (deadline_s - anchor[1]) / self._speed - real_s
            if remaining_s > 0 and stop.wait(remaining_s):
                return False
        self.advance_to(deadline_s)
        return not stop.is_set()
