"""Benchmark: a diastolic wave near half the interval, as the device reports it (issue 7, fault 3).

Run from the project root::

    python -m bench.bench_wave_half [--seeds N] [--first-seed S] [--rates 25,50,100] [--length 40] [--noise 0.02]

Inputs with known beats, two shapes, every combination of 30/45/60/75/90/120 beats/min, a wave 0.2/0.4/0.6/0.7/0.8
as tall as the systole at 0.35/0.4/0.45/0.5/0.55/0.6 of the interval, 25/50/100 samples/s:

- gauss: tests/device/signal/synthetic_ppg.py `narrow_wave_ppg` (a fresh-clone tester's shape: Gaussian systolic
  and diastolic bumps, breathing swing and jitter in the intervals, baseline wander, white noise 0.02 (`--noise`));
- finger: `synthetic_ppg` on a breathing heart (`rsa_beat_times`, swing 4 beats/min): a steep systole with a
  shoulder, and its dicrotic wave at the delay, white noise 0.02.

Each record goes through `device.pulse.recording_metrics` (the device's streaming pipeline and HRV tracker, the
last 60 s). Prints, per shape and per position: records read within 5 beats/min (with the rate not flagged, or
flagged `hr_flag`), doubled (1.8-2.2x) with RMSSD shown and every reason null (the fault: a confident doubled
figure), doubled with HRV withheld and the rate flagged, doubled with HRV withheld for another reason, halved,
no rate, other; then every outcome with its `hrv_reason`. Deterministic. Thresholds were chosen on seeds 0-49 only
(docs/measurements.md, "A wave at half the interval"); report seeds 50+ beside them.
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Iterator

import numpy as np
from numpy.typing import NDArray

from bench.rate_table import is_doubled, numbers
from device.pulse import recording_metrics
from device.signal.hrv import HrvMetrics
from tests.device.signal.synthetic_ppg import narrow_wave_ppg, rsa_beat_times, synthetic_ppg

BPMS = (30, 45, 60, 75, 90, 120)
SHARES = (0.2, 0.4, 0.6, 0.7, 0.8)
POSITIONS = (0.35, 0.4, 0.45, 0.5, 0.55, 0.6)
SHAPES = ("gauss", "finger")
NOISE = 0.02  # white noise SD, of the pulse height

Record = tuple[str, int, float, float, float, NDArray[np.float64], float]


def record(shape: str, bpm: int, share: float, position: float, fs: float, length_s: float,
           seed: int, noise: float = NOISE) -> tuple[NDArray[np.float64], float]:
    """(ppg, true beats/min) of one record: `position` is the wave's delay as a share of the interval, `noise`
    the white noise's SD as a share of the pulse height."""
    delay_s = position * 60.0 / bpm
    if shape == "gauss":
        ppg, truth = narrow_wave_ppg(bpm, fs, share, delay_s, length_s, seed=seed, noise=noise)
    else:
        truth = rsa_beat_times(length_s, hr_bpm=bpm, breath_bpm=6.0, swing_bpm=4.0, start_s=0.3 + 0.01 * seed)
        ppg = synthetic_ppg(truth, fs, length_s, noise=noise, seed=seed, dicrotic_share=share,
                            dicrotic_delay_s=delay_s)
    return ppg, 60.0 / float(np.median(np.diff(truth)))


def records(seeds: range, rates: list[float], length_s: float) -> Iterator[tuple[str, int, float, float, float, int]]:
    """(shape, bpm, share, position, sample rate, seed) of every record, in a fixed order."""
    for seed in seeds:
        for fs in rates:
            for shape in SHAPES:
                for bpm in BPMS:
                    for share in SHARES:
                        for position in POSITIONS:
                            yield shape, bpm, share, position, fs, seed


def outcome(metrics: HrvMetrics, true_bpm: float) -> str:
    """One word for what the device showed: right (or right-flagged: hr_flag set), doubled-shown (RMSSD on a
    doubled rate, every reason null: the fault), doubled-flagged (HRV withheld and the rate flagged),
    doubled-withheld (HRV withheld with a reason, the rate not flagged), halved, none, other."""
    est = metrics.hr_bpm
    flagged = getattr(metrics, "hr_flag", None) is not None  # (the baseline has no hr_flag)
    if est is None:
        return "none"
    if abs(est - true_bpm) <= 5.0:
        return "right-flagged" if flagged else "right"
    if is_doubled(est, true_bpm):
        if metrics.rmssd_ms is not None and metrics.hrv_reason is None:
            return "doubled-shown"
        return "doubled-flagged" if flagged else "doubled-withheld"
    if abs(est / true_bpm - 0.5) <= 0.05:
        return "halved"
    return "other"


KINDS = ("right", "right-flagged", "doubled-shown", "doubled-flagged", "doubled-withheld", "halved", "none", "other")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--rates", type=numbers, default="25,50,100", help="sample rates, comma-separated")
    parser.add_argument("--length", type=float, default=40.0, help="record length, s")
    parser.add_argument("--noise", type=float, default=NOISE, help="white noise SD, of the pulse height")
    parser.add_argument("--list", action="store_true", help="print every record not read right")
    args = parser.parse_args(argv)
    if args.seeds < 1 or min(args.rates) < 25.0 or args.length < 10.0:
        parser.error("--seeds >= 1, --rates >= 25 samples/s, --length >= 10 s")
    by_shape: dict[str, Counter[str]] = {shape: Counter() for shape in SHAPES}
    by_position: dict[float, Counter[str]] = {p: Counter() for p in POSITIONS}
    withheld: Counter[str] = Counter()
    for shape, bpm, share, position, fs, seed in records(range(args.first_seed, args.first_seed + args.seeds),
                                                         args.rates, args.length):
        ppg, true_bpm = record(shape, bpm, share, position, fs, args.length, seed, args.noise)
        metrics = recording_metrics(ppg, fs, window_s=60.0)
        kind = outcome(metrics, true_bpm)
        by_shape[shape][kind] += 1
        by_position[position][kind] += 1
        withheld[f"{kind}/{metrics.hrv_reason}"] += 1
        if args.list and kind != "right":
            flag = getattr(metrics, "hr_flag", None)
            print(f"{shape} {bpm}/min share {share} at {position} fs {fs:g} seed {seed}: hr {metrics.hr_bpm} "
                  f"rmssd {metrics.rmssd_ms} hrv_reason {metrics.hrv_reason} hr_flag {flag}")
    print(f"{'':>10} {'records':>7} " + " ".join(f"{k:>16}" for k in KINDS))
    for name, tally in [*by_shape.items(), *((f"at {p:g}", t) for p, t in by_position.items())]:
        print(f"{name:>10} {sum(tally.values()):>7} " + " ".join(f"{tally[k]:>16}" for k in KINDS))
    print("outcome/hrv_reason: " + ", ".join(f"{k}: {v}" for k, v in sorted(withheld.items())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
