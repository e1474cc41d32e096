"""Benchmark: CPU cost of one heart-rate synchrony reading, as the device computes it beside coherence.

Run from the project root::

    python -m bench.bench_synchrony [--calls N] [--runs R]

Two generated hearts (64 and 82 beats/min) swinging with one 6/min breath, 1 s apart, with 5 ms of beat
jitter; each call reads both trackers' 64 s tachograms (HrvTracker.tachogram, figures cached) and computes
device.signal.synchrony.synchrony_of_tachograms over them, as the device does every coherence update
(5 s). Prints process CPU microseconds per call for each run and min / median / max over `--runs` runs.

`--chance N` also prints the synchrony reached by chance in one 64 s window, over N generated pairs each
(deterministic): beat-to-beat noise alone (20 ms of beat jitter, no rhythm), and two breathing rhythms at
clearly different rates (12 and 15/min, random phases): median, 95th percentile and maximum.
"""

from __future__ import annotations

import argparse
import time
from statistics import median

import numpy as np

from device.signal.hrv import HrvTracker
from device.signal.pulse import Beat
from device.signal.synchrony import heart_rate_synchrony, synchrony_of_tachograms


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


def _beats(mean_bpm: float, swing_bpm: float, breath_per_min: float, phase: float, jitter_ms: float,
           seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(beat times s, IBIs ms) of 150 s of a heart swinging with breathing, beat times jittered."""
    fs_hz = 100.0
    t = np.arange(0.0, 150.0, 1.0 / fs_hz)
    rate = mean_bpm + swing_bpm * np.sin(2 * np.pi * breath_per_min / 60.0 * t + phase)
    times = np.interp(np.arange(1, int(np.sum(rate / 60.0) / fs_hz)), np.cumsum(rate / 60.0) / fs_hz, t)
    times += np.random.default_rng(seed).normal(0.0, jitter_ms / 1000.0, len(times))
    return times[1:], np.diff(times) * 1000.0


def chance_levels(pairs: int) -> dict[str, list[float]]:
    """Synchrony of independent pairs in one window: noise alone, and rhythms at 12 and 15/min."""
    out: dict[str, list[float]] = {"noise alone": [], "12 and 15/min": []}
    for k in range(pairs):
        phases = np.random.default_rng(k).uniform(0.0, 2 * np.pi, 2)
        for name, swing, rates, jitter in (("noise alone", 0.0, (6.0, 6.0), 20.0),
                                           ("12 and 15/min", 3.0, (12.0, 15.0), 5.0)):
            a = _beats(66.0, swing, rates[0], phases[0], jitter, 1000 + k)
            b = _beats(74.0, swing, rates[1], phases[1], jitter, 2000 + k)
            value = heart_rate_synchrony(*a, *b, end_s=140.0).value
            if value is not None:
                out[name].append(value)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--chance", type=int, default=0, help="also the chance levels over this many pairs")
    args = parser.parse_args(argv)
    costs = []
    for run in range(args.runs):
        costs.append(cost_us_per_call(args.calls))
        print(f"run {run + 1}: {costs[-1]:.1f} us CPU per synchrony reading")
    print(f"synchrony: min {min(costs):.1f} / median {median(costs):.1f} / max {max(costs):.1f} us CPU per reading"
          f" ({args.runs} runs x {args.calls} calls); one reading per coherence update (5 s)")
    if args.chance > 0:
        for name, values in chance_levels(args.chance).items():
            p50, p95, top = np.percentile(values, [50, 95, 100])
            print(f"by chance, {name}: median {p50:.2f}, 95th percentile {p95:.2f}, max {top:.2f}"
                  f" ({len(values)} pairs, one 64 s window each)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
