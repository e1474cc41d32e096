"""The main loop: a deadline scheduler on the device clock.

Each task has a period; the loop waits (on the clock, stoppable) for the earliest deadline and runs
every task due at that deadline, in the order the tasks were added: one wake-up serves the tasks due
together (the 100 ms sensor read, every fifth 20 ms LED frame and the 1 s session step share one).
Deadlines are whole microseconds from the schedule, not from when a task happened to finish, so there
is no drift and periods that divide each other meet exactly; a task that falls more than a period
behind skips the missed slots instead of bursting to catch up. A task may change its own `period_s`
(the LED frame task slows down while the ring is dark); the next deadline is then the next multiple of
the new period, so it meets the other tasks on their common grid.
"""
from __future__ import annotations

import heapq
import logging
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass

from device.clock import Clock

log = logging.getLogger(__name__)


US_PER_S = 1_000_000  # deadlines are kept in whole microseconds


def _to_us(t_s: float) -> int:
    return round(t_s * US_PER_S)


@dataclass
class Task:
    """A periodic job: `run(now_s)` every `period_s` seconds of clock time, starting at `start_s`."""

    name: str
    period_s: float
    run: Callable[[float], None]
    start_s: float = 0.0
    runs: int = 0
    skipped: int = 0

    def __post_init__(self) -> None:
        if not self.period_s > 0 or not math.isfinite(self.period_s):
            raise ValueError(f"task {self.name}: period must be a positive number of seconds")


class Scheduler:
    """Runs tasks at their deadlines until `stop` is set or `until_s` (clock time) is reached."""

    def __init__(self, clock: Clock, stop: threading.Event) -> None:
        self.clock = clock
        self.stop = stop
        self.wakeups = 0  # waits for a deadline (each followed by the tasks due at it)
        # (deadline us, order added, task, period us the deadline was computed with)
        self._heap: list[tuple[int, int, Task, int]] = []
        self._order = 0

    def add(self, task: Task) -> Task:
        # Ties run in the order tasks were added: sensor before pipeline before frame before publish.
        start_us = _to_us(max(task.start_s, self.clock.now_s()))
        heapq.heappush(self._heap, (start_us, self._order, task, _to_us(task.period_s)))
        self._order += 1
        return task

    def run(self, until_s: float = math.inf) -> None:
        """Run until stopped or until clock time `until_s`. Exceptions from tasks propagate."""
        heap = self._heap
        while heap and not self.stop.is_set():
            deadline_us = heap[0][0]
            deadline_s = deadline_us / US_PER_S
            if deadline_s > until_s:
                self.clock.wait_until(until_s, self.stop)
                return
            if not self.clock.wait_until(deadline_s, self.stop):
                return
            self.wakeups += 1
            while heap and heap[0][0] == deadline_us:
                _, order, task, period_us = heapq.heappop(heap)
                task.run(deadline_s)
                task.runs += 1
                heapq.heappush(heap, (self._next_us(task, deadline_us, period_us), order, task,
                                      _to_us(task.period_s)))
                if self.stop.is_set():
                    return

    def _next_us(self, task: Task, deadline_us: int, period_us: int) -> int:
        new_period_us = _to_us(task.period_s)
        if new_period_us <= 0:
            raise ValueError(f"task {task.name}: period must be a positive number of seconds")
        if new_period_us != period_us:  # period changed: onto the new period's grid
            next_us = (deadline_us // new_period_us + 1) * new_period_us
        else:
            next_us = deadline_us + period_us
        now_us = _to_us(self.clock.now_s())
        if now_us > next_us + new_period_us:
            missed = (now_us - next_us) // new_period_us
            task.skipped += missed
            next_us += missed * new_period_us
            log.debug("task %s fell %d periods behind; skipping them", task.name, missed)
        return next_us
