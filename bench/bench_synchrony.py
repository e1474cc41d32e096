"""Benchmark: CPU cost of one heart-rate synchrony reading, as the device computes it beside coherence.

Run from the project root::

    python -m bench.bench_synchrony [--calls N] [--runs R]

Two generated hearts (64 and 82 beats/min) swinging with one 6/min breath, 1 s apart, with 5 ms of beat
jitter; each call reads both trackers' 64 s tachograms (HrvTracker.tachogram, figures cached) and computes
device.signal.synchrony.synchrony_of_tachograms over them, as the device does every coherence update
(5 s). Prints process CPU microseconds per call for each run and min / median / max over `--runs` runs.
"""

from __future__ import annotations

import argparse
import time
from statistics import median

import numpy as np

from device.signal.hrv import HrvTracker
from device.signal.pulse import Beat
from device.signal.synchrony import synchrony_of_tachograms


def _tracker(mean_bpm: float, swing_bpm: float, delay_s: float, seed: int) -> HrvTracker:
    fs_hz = 100.0
    t = np.arange(0.0, 120.0, 1.0 / fs_hz)
    phase = np.cumsum((mean_bpm + swing_bpm * np.sin(2 * np.pi * 0.1 * (t - delay_s))) / 60.0) / fs_hz
    times = np.interp(np.arange(1, int(phase[-1])), phase, t)
    times += np.random.default_rng(seed).normal(0.0, 0.005, len(times))
    tracker = HrvTracker()
    tracker.add_beats([Beat(float(x), 0.9, 1.0) for x in times])
    return tracker


def cost_us_per_call(calls: int) -> float:
    """CPU microseconds per synchrony reading (both tachograms read, synchrony computed)."""
    tracker_a, tracker_b = _tracker(64.0, 5.0, 0.0, 1), _tracker(82.0, 3.0, 1.0, 2)
    end_s = 119.0
    start = time.process_time()
    for _ in range(calls):
        sync = synchrony_of_tachograms(tracker_a.tachogram(64.0), tracker_b.tachogram(64.0), end_s)
    elapsed = time.process_time() - start
    if sync.value is None:
        raise RuntimeError(f"benchmark input gave no synchrony: {sync.reason}")
    return elapsed / calls * 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    costs = []
    for run in range(args.runs):
        costs.append(cost_us_per_call(args.calls))
        print(f"run {run + 1}: {costs[-1]:.1f} us CPU per synchrony reading")
    print(f"synchrony: min {min(costs):.1f} / median {median(costs):.1f} / max {max(costs):.1f} us CPU per reading"
          f" ({args.runs} runs x {args.calls} calls); one reading per coherence update (5 s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
