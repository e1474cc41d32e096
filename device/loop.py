"""The main loop: a deadline scheduler on the device clock.

Each task has a period; the loop waits (on the clock, stoppable) for the earliest deadline and runs
every task due at that deadline, in the order the tasks were added: one wake-up serves the tasks due
together (the 100 ms sensor read, every fifth 20 ms LED frame and the 1 s session step share one).
Deadlines are whole microseconds from the schedule, not from when a task happened to finish, so there
is no drift and periods that divide each other meet exactly; a task that falls more than a period
behind skips the missed slots instead of bursting to catch up. A task may change its own `period_s`
(the LED frame task slows down while the ring is dark); the next deadline is then the next multiple of
the new period counted from the first task's start, so it meets the other tasks (which started then) on
their common grid.
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
    generation: int = 0  # bumped by Scheduler.run_soon: deadlines pushed before it are void

    def __post_init__(self) -> None:
        if not self.period_s > 0 or not math.isfinite(self.period_s):
            raise ValueError(f"task {self.name}: period must be a positive number of seconds")


class Scheduler:
    """Runs tasks at their deadlines until `stop` is set or `until_s` (clock time) is reached."""

    def __init__(self, clock: Clock, stop: threading.Event) -> None:
        self.clock = clock
        self.stop = stop
        self.wakeups = 0  # waits for a deadline (each followed by the tasks due at it)
        # (deadline us, order added, task's generation, task, period us the deadline was computed with)
        self._heap: list[tuple[int, int, int, Task, int]] = []
        self._order = 0
        self._orders: dict[int, int] = {}  # id(task) -> order added
        self._deadline_us: int | None = None  # the deadline whose tasks are running, if any
        self._origin_us: int | None = None  # the first task's start: every period's grid counts from it

    def add(self, task: Task) -> Task:
        # Ties run in the order tasks were added: sensor before pipeline before frame before publish.
        start_us = _to_us(max(task.start_s, self.clock.now_s()))
        if self._origin_us is None:
            self._origin_us = start_us
        self._orders[id(task)] = self._order
        heapq.heappush(self._heap, (start_us, self._order, task.generation, task, _to_us(task.period_s)))
        self._order += 1
        return task

    def run_soon(self, task: Task) -> None:
        """Run `task` (already added) at the deadline being served (called from a task: after the tasks
        added before it that are due now, in this wake-up) or else at the clock's now, instead of at its
        next deadline; its period's grid goes on from there. For a task that has slowed down (the dark
        frame task) when something it shows has changed (a press, a command)."""
        at_us = self._deadline_us if self._deadline_us is not None else _to_us(self.clock.now_s())
        task.generation += 1
        heapq.heappush(self._heap, (at_us, self._orders[id(task)], task.generation, task, _to_us(task.period_s)))

    def run(self, until_s: float = math.inf) -> None:
        """Run until stopped or until clock time `until_s`. Exceptions from tasks propagate."""
        heap = self._heap
        while heap and not self.stop.is_set():
            while heap and heap[0][2] != heap[0][3].generation:  # a deadline run_soon replaced: no wake-up for it
                heapq.heappop(heap)
            if not heap:
                return
            deadline_us = heap[0][0]
            deadline_s = deadline_us / US_PER_S
            if deadline_s > until_s:
                self.clock.wait_until(until_s, self.stop)
                return
            if not self.clock.wait_until(deadline_s, self.stop):
                return
            self.wakeups += 1
            self._deadline_us = deadline_us
            try:
                while heap and heap[0][0] == deadline_us:
                    _, order, generation, task, period_us = heapq.heappop(heap)
                    if generation != task.generation:
                        continue
                    task.run(deadline_s)
                    task.runs += 1
                    if generation == task.generation:  # (the task may have asked to run again now)
                        heapq.heappush(heap, (self._next_us(task, deadline_us, period_us), order, generation,
                                              task, _to_us(task.period_s)))
                    if self.stop.is_set():
                        return
            finally:
                self._deadline_us = None

    def _next_us(self, task: Task, deadline_us: int, period_us: int) -> int:
        new_period_us = _to_us(task.period_s)
        if new_period_us <= 0:
            raise ValueError(f"task {task.name}: period must be a positive number of seconds")
        if new_period_us != period_us:  # period changed: onto the new period's grid (from the first start)
            origin_us = self._origin_us or 0
            next_us = origin_us + ((deadline_us - origin_us) // new_period_us + 1) * new_period_us
        else:
            next_us = deadline_us + period_us
        now_us = _to_us(self.clock.now_s())
        if now_us > next_us + new_period_us:
            missed = (now_us - next_us) // new_period_us
            task.skipped += missed
            next_us += missed * new_period_us
            log.debug("task %s fell %d periods behind; skipping them", task.name, missed)
        return next_us
