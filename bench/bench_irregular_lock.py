"""Benchmark: does a pulse whose timing is irregular get a lock, its heart rate, and HRV withheld?

Run from the project root::

    python -m bench.bench_irregular_lock [--first-seed S] [--seeds N]

The family of tests/device/signal/test_pulse_irregular_lock.py, whole: premature beats every 3rd or 4th beat,
15 or 40 % of an interval early, with and without a compensatory pause, and irregularly irregular
(atrial-fibrillation-like) rhythms of spread 0.1, 0.2 and 0.3, at 40, 70, 100 and 150 beats/min and 25, 50 and
100 samples/s: 132 records of 60 s per seed (1 % noise), through device.signal.pulse.PulsePipeline in 0.1 s
chunks as on the device, then device.signal.hrv_metrics over the device's 60 s window. Per kind it prints the
records, how many were locked at all and within 25 s, the median and 90th percentile of the time to the first
lock, how many gave a right heart rate (within 5 % of the mean rate of the true beats, or for premature beats
with no pause of the sinus rate: the rate is the median interval's), how many read under 3/4 of the truth,
how many had HRV withheld with a reason and no coherence, and how many did all of it. Seed 0 is the one the
beat-train lock's level was chosen on (device/signal/pulse.py, TRAIN_COUPLING); seeds 1 and up are unseen.
Deterministic.
"""

from __future__ import annotations

import argparse
from collections import defaultdict

import numpy as np
from numpy.typing import NDArray

from device.signal import hrv_metrics
from device.signal.hrv import HrvMetrics
from device.signal.pulse import PulsePipeline
from tests.device.signal.synthetic_ppg import synthetic_ppg
from tests.device.signal.synthetic_rr import irregular_rr

DURATION_S = 60.0
RATES_HZ = (25, 50, 100)
HEART_BPM = (40, 70, 100, 150)
LOCK_WITHIN_S = 25.0
HR_TOLERANCE = 0.05
KINDS = [("irregular", 0, 0.0, True, spread) for spread in (0.1, 0.2, 0.3)]
KINDS += [("ectopy", every, early, pause, 0.0) for every in (3, 4) for early in (0.15, 0.4) for pause in (True, False)]


def through_pipeline(beats_s: NDArray[np.float64], fs_hz: float, length_s: float,
                     seed: int, gains: NDArray[np.float64] | None = None) -> tuple[float | None, HrvMetrics]:
    """(seconds until the pipeline first holds a lock, or None; the HRV figures of its beats as the device gives
    them at the end, over its 60 s window) for a clean pulse (1 % noise) `length_s` long with beats at `beats_s`
    (s), each scaled by `gains` (default 1), fed to the streaming pipeline in 0.1 s chunks as the device feeds it."""
    x = synthetic_ppg(beats_s, fs_hz, length_s, 0.01, seed=seed, gains=gains)
    pipeline = PulsePipeline(fs_hz)
    step = round(0.1 * fs_hz)
    got = []
    locked_s = None
    for first in range(0, len(x), step):
        got.extend(pipeline.push(x[first:first + step], first).beats)
        if locked_s is None and pipeline.locked:
            locked_s = (first + step) / fs_hz
    got.extend(pipeline.flush().beats)
    metrics = hrv_metrics(np.array([b.t_s for b in got]), window_s=60.0,
                          amplitudes=np.array([b.amplitude for b in got]),
                          qualities=np.array([b.quality for b in got]),
                          timing_sds=np.array([b.timing_sd_s for b in got]))
    return locked_s, metrics


def one(kind: str, hr: int, every: int, early: float, pause: bool, spread: float, fs: int,
        seed: int) -> dict[str, float | bool | None]:
    """Lock time (s or None), whether the rate is right or under 3/4 of the truth, and whether HRV is withheld."""
    beats = 0.3 + np.cumsum(irregular_rr(kind, hr, every, early, pause, spread, seed))
    beats = beats[beats < DURATION_S]
    locked_s, m = through_pipeline(beats, fs, DURATION_S, seed)
    mean_bpm = 60.0 / float(np.mean(np.diff(beats)))
    truths = [mean_bpm] + ([float(hr)] if kind == "ectopy" and not pause else [])
    right = m.hr_bpm is not None and any(abs(m.hr_bpm / t - 1.0) <= HR_TOLERANCE for t in truths)
    low = m.hr_bpm is not None and m.hr_bpm < 0.75 * mean_bpm
    withheld = m.rmssd_ms is None and m.hrv_reason is not None and m.coherence is None
    return {"locked_s": locked_s, "right": right, "low": low, "withheld": withheld}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--first-seed", type=int, default=1, help="seed 0 was tuned on; 1 and up are unseen")
    parser.add_argument("--seeds", type=int, default=2)
    args = parser.parse_args(argv)
    rows: dict[str, list[dict[str, float | bool | None]]] = defaultdict(list)
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        for fs in RATES_HZ:
            for hr in HEART_BPM:
                for kind, every, early, pause, spread in KINDS:
                    name = (f"irregular {spread}" if kind == "irregular"
                            else f"1 in {every}, {early:.0%} early, {'pause' if pause else 'no pause'}")
                    rows[name].append(one(kind, hr, every, early, pause, spread, fs, seed * 1000 + fs + hr))
    print(f"{'kind':<30} {'records':>7} {'locked':>6} {'<=25 s':>6} {'median s':>8} {'p90 s':>6} "
          f"{'HR right':>8} {'HR < 3/4':>8} {'HRV withheld':>12} {'all':>4}")
    everything = [r for results in rows.values() for r in results]
    for name, results in [*rows.items(), ("all", everything)]:
        times = [float(r["locked_s"]) for r in results if r["locked_s"] is not None]  # type: ignore[arg-type]
        within = [r["locked_s"] is not None and float(r["locked_s"]) <= LOCK_WITHIN_S for r in results]  # type: ignore[arg-type]
        good = [w and bool(r["right"]) and bool(r["withheld"]) for w, r in zip(within, results, strict=True)]
        median = f"{np.median(times):.1f}" if times else "-"
        p90 = f"{np.percentile(times, 90):.1f}" if times else "-"
        print(f"{name:<30} {len(results):>7} {len(times):>6} {sum(within):>6} {median:>8} {p90:>6} "
              f"{sum(bool(r['right']) for r in results):>8} {sum(bool(r['low']) for r in results):>8} "
              f"{sum(bool(r['withheld']) for r in results):>12} {sum(good):>4}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
