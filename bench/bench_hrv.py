"""Benchmark: CPU cost of the HRV tracker, as the device runs it, optionally beside a baseline revision.

Run from the project root::

    python -m bench.bench_hrv [--minutes M] [--runs N] [--baseline REV]

A resting rhythm with a breathing swing and beat-to-beat noise (tests/device/signal/synthetic_rr.py),
`--minutes` long, fed to a default device.signal.hrv.HrvTracker (60 s window, 64 s coherence window) two
ways, each run on a fresh tracker:

- per beat: each beat added and the figures read after it (`add_beats` + `metrics()`), process CPU ms
  per beat;
- per publication: beats added one at a time as they arrive (`add_beats`, which recomputes coherence
  every 5 s) and `metrics()` read every 5 s on a clock of its own, as the daemon publishes; thread CPU
  us per `metrics()` call and per 5 s period (every add_beats in it and the metrics() call). The first
  `metrics()` that gives a heart rate (the window's first figures, and whatever numpy loads on first
  use) is printed apart and left out of the per-call figures.

Each run is a separate process. With `--baseline REV` the same runs are made with REV's device/ first on
the path (git archive, bench/baseline.py), alternating with this tree's, and both are printed: min /
median / max over `--runs` runs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from statistics import median

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script (the worker): bench/ and tests/ come from this tree
    sys.path.append(str(ROOT))

PUBLISH_S = 5.0


def _times(minutes: float) -> np.ndarray:
    from tests.device.signal.synthetic_rr import sinus_intervals

    n = round(minutes * 70.0)
    return np.asarray(np.cumsum(sinus_intervals(n, seed=1)) / 1000.0)


def cost_ms_per_beat(times_s: np.ndarray) -> float:
    """CPU ms per beat of adding each beat and reading the figures after it."""
    from device.signal.hrv import HrvTracker
    from device.signal.pulse import Beat

    tracker = HrvTracker()
    beats = [Beat(float(t), 0.9, 1.0) for t in times_s]
    start = time.process_time()
    for beat in beats:
        tracker.add_beats([beat])
        tracker.metrics()
    return (time.process_time() - start) / len(beats) * 1000.0


def cost_per_publication(times_s: np.ndarray) -> dict[str, float]:
    """Thread CPU us: the first metrics() call, the mean later metrics() call and the mean CPU per
    publication period (every add_beats within it and the metrics() that ends it).

    As in the daemon, beats are added as they arrive (one at a time; coherence is recomputed in
    add_beats at the first beat COHERENCE_UPDATE_S after the last time) and the figures are read every
    PUBLISH_S on a clock of their own (here half a period after the beats' 5 s marks), so metrics()
    usually finds beats its figures have not seen and redoes the window's correction."""
    from device.signal.hrv import HrvTracker
    from device.signal.pulse import Beat

    tracker = HrvTracker()
    beats = [Beat(float(t), 0.9, 1.0) for t in times_s]
    marks = np.arange(PUBLISH_S / 2.0, float(times_s[-1]), PUBLISH_S)
    edges = np.searchsorted(times_s, marks).tolist()
    clock = time.thread_time
    first_us: float | None = None
    metrics_s = total_s = 0.0
    calls = 0
    lo = 0
    for hi in edges:
        t0 = clock()
        for beat in beats[lo:hi]:
            tracker.add_beats([beat])
        t1 = clock()
        metrics = tracker.metrics()
        t2 = clock()
        lo = hi
        if first_us is None:
            if metrics.hr_bpm is not None:
                first_us = (t2 - t1) * 1e6
            continue
        metrics_s += t2 - t1
        total_s += t2 - t0
        calls += 1
    return {"first_us": first_us or 0.0, "metrics_us": metrics_s / calls * 1e6,
            "publication_us": total_s / calls * 1e6, "calls": calls}


def worker(minutes: float) -> dict[str, object]:
    import device

    times_s = _times(minutes)
    out: dict[str, object] = {"device": str(Path(device.__file__).parent), "beats": len(times_s)}
    out.update(cost_per_publication(times_s))
    out["beat_ms"] = cost_ms_per_beat(times_s)
    return out


def _spread(values: list[float], unit: str, digits: int = 1) -> str:
    return f"{min(values):.{digits}f} / {median(values):.{digits}f} / {max(values):.{digits}f} {unit}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--minutes", type=float, default=20.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline", default=None, help="git revision to measure beside this tree")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.minutes)))
        return 0
    from contextlib import ExitStack

    from bench.baseline import baseline_device

    with ExitStack() as stack:
        trees: list[tuple[str, Path]] = [("this tree", ROOT)]
        if args.baseline:
            trees.insert(0, (f"baseline {args.baseline}", stack.enter_context(baseline_device(args.baseline))))
        results: dict[str, list[dict[str, float]]] = {label: [] for label, _ in trees}
        for run in range(args.runs):
            for label, first in trees:
                env = dict(os.environ, PYTHONPATH=str(first))
                done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--worker", "--minutes",
                                       str(args.minutes)], check=True, env=env, capture_output=True, text=True)
                r = json.loads(done.stdout)
                results[label].append(r)
                print(f"run {run + 1}, {label} (device from {r['device']}): metrics() {r['metrics_us']:.1f} us "
                      f"per call, {r['publication_us']:.1f} us per 5 s period, first call {r['first_us']:.0f} us;"
                      f" {r['beat_ms']:.3f} ms per beat ({r['beats']} beats, {r['calls']} publications)")
    print(f"min / median / max over {args.runs} runs, {args.minutes:g} minutes of beats each:")
    for label, rs in results.items():
        print(f"  {label}: metrics() {_spread([r['metrics_us'] for r in rs], 'us per call')}; "
              f"add_beats + metrics() {_spread([r['publication_us'] for r in rs], 'us per 5 s period')}; "
              f"first metrics() {_spread([r['first_us'] for r in rs], 'us', 0)}; "
              f"per beat {_spread([r['beat_ms'] for r in rs], 'ms', 3)}")
    if args.baseline:
        base, this = (results[label] for label, _ in trees)
        for key, name in (("metrics_us", "metrics() per call"), ("publication_us", "per 5 s period"),
                          ("beat_ms", "per beat")):
            cut = 1.0 - median(r[key] for r in this) / median(r[key] for r in base)
            print(f"  {name}: {100.0 * cut:.0f} % less CPU than the baseline (medians)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
