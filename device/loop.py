"""The main loop: a deadline scheduler on the device clock.

Each task has a period; the loop waits (on the clock, stoppable) for the earliest deadline, runs that
task, and schedules its next deadline one period later. Deadlines are computed from the schedule, not
from when a task happened to finish, so there is no drift; a task that falls more than a period behind
skips the missed slots instead of bursting to catch up.
"""

from __future__ import annotations

import heapq
import logging
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from device.clock import Clock

log = logging.getLogger(__name__)


@dataclass(order=True)
class _Slot:
    deadline_s: float
    order: int
    task: Task = field(compare=False)


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
        self._heap: list[_Slot] = []
        self._order = 0

    def add(self, task: Task) -> Task:
        # Ties run in the order tasks were added: sensor before pipeline before frame before publish.
        heapq.heappush(self._heap, _Slot(max(task.start_s, self.clock.now_s()), self._order, task))
        self._order += 1
        return task

    def run(self, until_s: float = math.inf) -> None:
        """Run until stopped or until clock time `until_s`. Exceptions from tasks propagate."""
        while self._heap and not self.stop.is_set():
            slot = self._heap[0]
            if slot.deadline_s > until_s:
                self.clock.wait_until(until_s, self.stop)
                return
            if not self.clock.wait_until(slot.deadline_s, self.stop):
                return
            heapq.heappop(self._heap)
            task = slot.task
            task.run(slot.deadline_s)
            task.runs += 1
            next_s = slot.deadline_s + task.period_s
            now_s = self.clock.now_s()
            if now_s > next_s + task.period_s:
                missed = math.floor((now_s - next_s) / task.period_s)
                task.skipped += missed
                next_s += missed * task.period_s
                log.debug("task %s fell %d periods behind; skipping them", task.name, missed)
            heapq.heappush(self._heap, _Slot(next_s, slot.order, task))
