"""The one monotonic clock of the device, and a simulated clock that can run faster than real time.

Every interval in Glimmer is measured on a `Clock`. The main loop waits for deadlines with
`wait_until`, which returns False when the stop event is set: a wait longer than SLEEP_WAIT_MAX_S ends as
soon as it is set, a shorter one sleeps to its deadline and then looks; nothing sleep-polls.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Final, Protocol

# Waits up to this long sleep and then look at the stop event; longer ones wait on the event itself.
# A sleep costs the process about 40 % less CPU per wake-up than a timed wait on an Event (50 against
# 85 us here: Event.wait takes a Condition and a timed lock), which matters at 50 wake-ups a second;
# a stop asked from another thread is then seen within SLEEP_WAIT_MAX_S, a signal handler's at once.
SLEEP_WAIT_MAX_S: Final = 0.25


def wait_s(seconds: float, stop: threading.Event) -> bool:
    """Wait `seconds` (<= 0: not at all); False if `stop` is set (or was set during a long wait)."""
    if seconds > SLEEP_WAIT_MAX_S:
        return not stop.wait(seconds)
    if seconds > 0:
        time.sleep(seconds)
    return not stop.is_set()


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
        wait_s(deadline_s - self.now_s(), stop)
        return not stop.is_set()


class SimClock:
    """Simulated time. With `speed` = N it runs N times faster than real time; with `math.inf`
    it jumps straight to each deadline, so 20 simulated minutes take only the compute time.

    Simulated time only ever advances to the deadline asked for, never by how long the real
    wait took, so a run is deterministic for a given seed whatever the speed or machine load.

    At a finite speed the pace is anchored: the first wait notes (real time, simulated time), and
    every deadline d is then waited for until real time anchor_real + (d - anchor_sim) / speed. Time
    spent working between waits and oversleeping are therefore absorbed instead of adding up, so
    simulated time stays within one wait's jitter of speed x real elapsed time, for any run length;
    a run that falls behind (a slow machine) catches up without waiting.
    `real_clock` is the real monotonic clock in seconds (injectable for tests).
    """

    def __init__(self, speed: float = math.inf, start_s: float = 0.0,
                 real_clock: Callable[[], float] = time.monotonic) -> None:
        if not speed > 0:
            raise ValueError(f"SimClock speed must be > 0, got {speed!r}")
        self.speed = speed
        self._now_s = start_s
        self._lock = threading.Lock()
        self._real_clock = real_clock
        # Real time is slept through (wait_s); an injected real clock's stand-in is waited on through
        # the stop event it comes with, which is what advances it.
        self._sleeps = real_clock is time.monotonic
        self._anchor: tuple[float, float] | None = None  # (real s, simulated s) at the first wait

    def now_s(self) -> float:
        with self._lock:
            return self._now_s

    def advance_to(self, t_s: float) -> None:
        """Move simulated time forward to `t_s` (never backward)."""
        with self._lock:
            if t_s > self._now_s:
                self._now_s = t_s

    def real_wait_s(self, deadline_s: float) -> float:
        """Real seconds to wait from now until simulated `deadline_s` is due (<= 0: due already)."""
        real_now = self._real_clock()
        if self._anchor is None:
            self._anchor = (real_now, self.now_s())
        real0, sim0 = self._anchor
        return real0 + (deadline_s - sim0) / self.speed - real_now

    def wait_until(self, deadline_s: float, stop: threading.Event) -> bool:
        if stop.is_set():
            return False
        if math.isfinite(self.speed):
            remaining_s = self.real_wait_s(deadline_s)
            if self._sleeps:
                if not wait_s(remaining_s, stop):
                    return False
            elif remaining_s > 0 and stop.wait(remaining_s):
                return False
        self.advance_to(deadline_s)
        return not stop.is_set()
