"""The clock and the deadline scheduler, on simulated time."""

from __future__ import annotations

import itertools
import math
import threading
import time

import pytest

from device.clock import SLEEP_WAIT_MAX_S, RealClock, SimClock
from device.loop import Scheduler, Task


def test_sim_clock_jumps_to_deadlines_without_waiting() -> None:
    clock = SimClock()
    stop = threading.Event()
    assert clock.wait_until(1200.0, stop)
    assert clock.now_s() == 1200.0


def test_sim_clock_never_goes_back() -> None:
    clock = SimClock(start_s=5.0)
    clock.advance_to(3.0)
    assert clock.now_s() == 5.0


def test_sim_clock_wait_returns_false_when_stopped() -> None:
    clock = SimClock(speed=1.0)
    stop = threading.Event()
    stop.set()
    assert not clock.wait_until(3600.0, stop)
    assert clock.now_s() == 0.0


def test_sim_clock_rejects_a_speed_of_zero() -> None:
    with pytest.raises(ValueError):
        SimClock(speed=0)


def test_real_clock_wait_is_woken_by_the_stop_event() -> None:
    clock = RealClock()
    stop = threading.Event()
    stop.set()
    # A stop already set: returns at once, whatever the deadline.
    assert not clock.wait_until(clock.now_s() + 3600.0, stop)


def test_tasks_run_at_their_periods_in_simulated_time() -> None:
    clock = SimClock()
    stop = threading.Event()
    scheduler = Scheduler(clock, stop)
    seen: dict[str, list[float]] = {"fast": [], "slow": []}
    scheduler.add(Task("fast", 0.1, seen["fast"].append))
    scheduler.add(Task("slow", 1.0, seen["slow"].append))
    scheduler.run(until_s=10.0)
    assert len(seen["fast"]) == 101  # t = 0.0, 0.1, ..., 10.0
    assert seen["slow"] == [float(i) for i in range(11)]
    assert clock.now_s() == 10.0
    gaps = [b - a for a, b in itertools.pairwise(seen["fast"])]
    assert max(abs(g - 0.1) for g in gaps) < 1e-9  # no drift


def test_ties_run_in_the_order_tasks_were_added() -> None:
    clock = SimClock()
    order: list[str] = []
    scheduler = Scheduler(clock, threading.Event())
    scheduler.add(Task("sensor", 1.0, lambda t: order.append("sensor")))
    scheduler.add(Task("publish", 1.0, lambda t: order.append("publish")))
    scheduler.run(until_s=2.0)
    assert order == ["sensor", "publish"] * 3


def test_a_late_task_skips_missed_slots_instead_of_bursting() -> None:
    clock = SimClock()
    stop = threading.Event()
    scheduler = Scheduler(clock, stop)
    runs: list[float] = []

    def slow_job(t: float) -> None:
        runs.append(t)
        if len(runs) == 2:
            clock.advance_to(t + 0.55)  # this run "took" 0.55 s of a 0.1 s period

    task = scheduler.add(Task("job", 0.1, slow_job))
    scheduler.run(until_s=1.0)
    assert task.skipped >= 4
    assert all(b > a for a, b in itertools.pairwise(runs))
    assert runs[2] >= runs[1] + 0.5


def test_stop_from_a_task_ends_the_loop() -> None:
    clock = SimClock()
    stop = threading.Event()
    scheduler = Scheduler(clock, stop)
    scheduler.add(Task("stopper", 1.0, lambda t: stop.set() if t >= 3.0 else None))
    scheduler.run()
    assert clock.now_s() == 3.0


def test_task_period_must_be_positive() -> None:
    with pytest.raises(ValueError):
        Task("bad", 0.0, lambda t: None)
    with pytest.raises(ValueError):
        Task("bad", math.inf, lambda t: None)


def test_tasks_due_together_share_one_wakeup() -> None:
    clock = SimClock()
    scheduler = Scheduler(clock, threading.Event())
    seen: list[tuple[str, float]] = []
    scheduler.add(Task("sensor", 0.1, lambda t: seen.append(("sensor", t))))
    scheduler.add(Task("frame", 0.02, lambda t: seen.append(("frame", t))))
    scheduler.add(Task("session", 1.0, lambda t: seen.append(("session", t))))
    scheduler.run(until_s=2.0)
    assert scheduler.wakeups == 101  # one per 20 ms deadline, 0.0 to 2.0: the others ride along
    assert len(seen) == 21 + 101 + 3
    assert seen[:3] == [("sensor", 0.0), ("frame", 0.0), ("session", 0.0)]  # the order they were added
    assert ("sensor", 0.3) in seen and ("frame", 0.3) in seen  # exactly equal deadlines, no drift


def test_a_task_that_changes_its_period_moves_onto_the_new_grid() -> None:
    clock = SimClock()
    scheduler = Scheduler(clock, threading.Event())
    times: list[float] = []
    frame = Task("frame", 0.02, lambda t: None)

    def run(t: float) -> None:
        times.append(t)
        frame.period_s = 0.1 if 0.05 <= t < 1.0 else 0.02

    frame.run = run
    scheduler.add(Task("sensor", 0.1, lambda t: None))
    scheduler.add(frame)
    scheduler.run(until_s=1.2)
    assert times[:4] == [0.0, 0.02, 0.04, 0.06]
    assert times[4:13] == pytest.approx([0.1 * k for k in range(1, 10)])  # on the sensor's grid
    assert times[13:] == pytest.approx([1.0, 1.02, 1.04, 1.06, 1.08, 1.1, 1.12, 1.14, 1.16, 1.18, 1.2])
    assert scheduler.wakeups < 1.2 / 0.02


class _FakeRealTime:
    """A real clock and stop event stand-in: each wait oversleeps by `oversleep_s`, and the loop's own
    work between waits takes `work_s`, as on a busy machine."""

    def __init__(self, oversleep_s: float, work_s: float) -> None:
        self.now_s = 100.0
        self.oversleep_s = oversleep_s
        self.work_s = work_s

    def __call__(self) -> float:
        return self.now_s

    def is_set(self) -> bool:
        return False

    def wait(self, timeout: float | None = None) -> bool:
        self.now_s += (timeout or 0.0) + self.oversleep_s
        return False

    def work(self) -> None:
        self.now_s += self.work_s


@pytest.mark.parametrize("speed", [1.0, 10.0, 50.0])
def test_sim_clock_at_speed_n_stays_within_milliseconds_of_n_times_real_time_for_any_length(speed: float) -> None:
    """The old clock slept `remaining / speed` from wherever it was, so work and oversleep added up:
    speed 10 for 2 minutes took 17 s instead of 12. Anchored to its start, the lag never grows."""
    frame_real_s = 0.02 / speed
    real = _FakeRealTime(oversleep_s=0.05 * frame_real_s, work_s=0.1 * frame_real_s)
    clock = SimClock(speed=speed, real_clock=real)
    start_real = real()
    lags_real_s = []
    for k in range(1, 30_001):  # 10 simulated minutes of 20 ms frames
        real.work()
        clock.wait_until(k * 0.02, real)  # type: ignore[arg-type]
        lags_real_s.append(abs(clock.now_s() / speed - (real() - start_real)))
    assert max(lags_real_s) <= 0.15 * frame_real_s + 1e-9  # one frame's work and oversleep, never added up
    assert max(lags_real_s) < 0.005


def test_a_stop_from_another_thread_ends_short_and_long_waits() -> None:
    """Waits up to SLEEP_WAIT_MAX_S sleep (cheaper per wake-up) and then see the stop; longer waits wait
    on the stop event itself and end as soon as it is set."""
    clock = RealClock()
    for wait_s, at_most_s in ((SLEEP_WAIT_MAX_S, SLEEP_WAIT_MAX_S + 0.5), (30.0, 2.0)):
        stop = threading.Event()
        timer = threading.Timer(0.05, stop.set)
        timer.start()
        start = time.monotonic()
        assert not clock.wait_until(clock.now_s() + wait_s, stop)
        assert time.monotonic() - start < at_most_s
        timer.join()
    stop = threading.Event()
    start = time.monotonic()
    assert clock.wait_until(clock.now_s() + 0.05, stop)  # not stopped: the whole wait
    assert time.monotonic() - start >= 0.045


def test_run_soon_runs_a_slowed_task_at_this_wakeup_and_voids_its_old_deadline() -> None:
    clock = SimClock()
    scheduler = Scheduler(clock, threading.Event())
    seen: list[tuple[str, float]] = []
    frame = scheduler.add(Task("frame", 1.0, lambda t: seen.append(("frame", t))))

    def press(t: float) -> None:
        seen.append(("buttons", t))
        if t == 0.4:  # a press: what the ring shows changed
            frame.period_s = 0.02
            scheduler.run_soon(frame)

    scheduler.add(Task("buttons", 0.2, press))
    scheduler.run(until_s=0.5)
    assert seen == [("frame", 0.0), ("buttons", 0.0), ("buttons", 0.2), ("buttons", 0.4), ("frame", 0.4),
                    ("frame", 0.42), ("frame", 0.44), ("frame", 0.46), ("frame", 0.48), ("frame", 0.5)]
    assert scheduler.wakeups == 3 + 5  # no wake-up for the frame's void 1.0 s deadline either
    scheduler.run(until_s=1.0)
    assert ("frame", 1.0) in seen and [t for name, t in seen].count(1.0) == 2  # frame and buttons, once each


@pytest.mark.parametrize("start_s", [0.0, 0.035, 0.3517, 7.0001])
def test_a_task_that_changes_its_period_meets_tasks_started_off_the_grid(start_s: float) -> None:
    """The device's clock starts when it is built, so the loop's first deadline is anywhere: a task moving
    onto a longer period must land on the deadlines of the tasks that started with it (one wake-up for
    all of them), not on multiples of the period from clock zero."""
    clock = SimClock()
    clock.wait_until(start_s, threading.Event())
    scheduler = Scheduler(clock, threading.Event())
    sensor_times: list[float] = []
    frame_times: list[float] = []
    frame = Task("frame", 0.02, lambda t: None)

    def run(t: float) -> None:
        frame_times.append(t)
        frame.period_s = 0.1

    frame.run = run
    scheduler.add(Task("sensor", 0.1, sensor_times.append))
    scheduler.add(frame)
    scheduler.run(until_s=start_s + 2.0)
    assert frame_times[1:] == pytest.approx(sensor_times[1:len(frame_times)], abs=1e-6)
    assert scheduler.wakeups == len(sensor_times)  # the frame task never woke the loop on its own
