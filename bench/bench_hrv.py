"""Benchmark: CPU cost of the HRV tracker per beat, as the device runs it (a beat added, figures read).

Run from the project root::

    python -m bench.bench_hrv [--minutes M] [--runs N]

A resting rhythm with a breathing swing and beat-to-beat noise (tests/device/signal/synthetic_rr.py),
`--minutes` long, fed one beat at a time to a default device.signal.hrv.HrvTracker (60 s window, 64 s
coherence window), reading metrics() after every beat, as the daemon does when beats arrive. Prints
process CPU ms per beat for each run and min / median / max over `--runs` runs (each a fresh tracker).
"""

from __future__ import annotations

import argparse
import time
from statistics import median

import numpy as np

from device.signal.hrv import HrvTracker
from device.signal.pulse import Beat
from tests.device.signal.synthetic_rr import sinus_intervals


def cost_ms_per_beat(times_s: np.ndarray) -> float:
    """CPU ms per beat of adding each beat and reading the figures after it."""
    tracker = HrvTracker()
    beats = [Beat(float(t), 0.9, 1.0) for t in times_s]
    start = time.process_time()
    for beat in beats:
        tracker.add_beats([beat])
        tracker.metrics()
    return (time.process_time() - start) / len(beats) * 1000.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--minutes", type=float, default=20.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    n = round(args.minutes * 70.0)
    times_s = np.cumsum(sinus_intervals(n, seed=1)) / 1000.0
    costs = []
    for run in range(args.runs):
        costs.append(cost_ms_per_beat(times_s))
        print(f"run {run + 1}: {costs[-1]:.3f} ms per beat ({n} beats)")
    print(f"min / median / max: {min(costs):.3f} / {median(costs):.3f} / {max(costs):.3f} ms per beat")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
