"""Benchmark: HRV on generated premature-beat (ectopy) and AF-like interval series with known truth.

Run from the project root::

    python -m bench.bench_ectopy [--seeds N] [--first-seed S] [--no-pause | --pause-share F]

Premature beats every N beats (N = 15 .. 3, i.e. up to a third of all beats), 15-45 % of an interval early
with a full compensatory pause (or with `--no-pause` none: the rhythm resets; with `--pause-share F` a partial one, the
next interval longer by F of what the premature beat lost), on five resting rhythms
(tests/device/signal/synthetic_rr.py FAMILY),
90 beats each, through device.signal.hrv_metrics (the streaming tracker's code). For each N it prints
how many series got an RMSSD, how many of those are right (within 25 % or 5 ms of the RMSSD of the
series without the premature beats), how many are off, how many were withheld (and why) and the median
share of intervals flagged. Then irregularly irregular (atrial-fibrillation-like) series with coefficients
of variation 0.10-0.25: how many are flagged irregular and given no HRV. Deterministic; the default seeds
(100 onwards) are not the ones the tests use (0-5).
"""

from __future__ import annotations

import argparse
from collections import Counter

import numpy as np

from device.signal import hrv_metrics
from device.signal.hrv import time_domain
from tests.device.signal.synthetic_rr import FAMILY, irregular_intervals, sinus_intervals, with_ectopy

EVERY = (15, 12, 10, 8, 6, 5, 4, 3)
PREMATURITY = (0.15, 0.25, 0.35, 0.45)
SPREADS = (0.10, 0.15, 0.20, 0.25)
N_BEATS = 90


def right(value: float, truth: float) -> bool:
    """Within 25 % or 5 ms of the truth, the tests' criterion."""
    return abs(value - truth) <= max(0.25 * truth, 5.0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seeds", type=int, default=5, help="seeds per rhythm and prematurity")
    parser.add_argument("--first-seed", type=int, default=100)
    parser.add_argument("--no-pause", action="store_true", help="premature beats with no compensatory pause")
    parser.add_argument("--pause-share", type=float, default=None,
                        help="a partial compensatory pause: this share (0-1) of the time lost")
    args = parser.parse_args(argv)
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    print(f"{'premature every':>15} {'series':>6} {'given':>6} {'right':>6} {'off':>4} {'withheld':>9} "
          f"{'flagged %':>9}  reasons withheld")
    totals = Counter[str]()
    for every in EVERY:
        counts = Counter[str]()
        reasons = Counter[str]()
        flagged: list[float] = []
        for hr_bpm, rsa_ms, noise_ms in FAMILY:
            for prematurity in PREMATURITY:
                for seed in seeds:
                    rr = sinus_intervals(N_BEATS, seed, hr_bpm, rsa_ms, noise_ms)
                    pause = args.pause_share if args.pause_share is not None else not args.no_pause
                    beats = with_ectopy(rr, every, prematurity, seed, pause)
                    metrics = hrv_metrics(np.cumsum(beats) / 1000.0)
                    counts["series"] += 1
                    flagged.append(metrics.artifact_pct)
                    if metrics.rmssd_ms is None:
                        counts["withheld"] += 1
                        reasons[str(metrics.hrv_reason)] += 1
                        continue
                    counts["given"] += 1
                    ok = right(metrics.rmssd_ms, time_domain(rr[:-2])["rmssd_ms"])
                    counts["right" if ok else "off"] += 1
        totals.update(counts)
        shown = ", ".join(f"{k} {v}" for k, v in sorted(reasons.items()))
        print(f"{'1 in ' + str(every):>15} {counts['series']:>6} {counts['given']:>6} {counts['right']:>6} "
              f"{counts['off']:>4} {counts['withheld']:>9} {float(np.median(flagged)):>9.1f}  {shown}")
    print(f"{'all':>15} {totals['series']:>6} {totals['given']:>6} {totals['right']:>6} {totals['off']:>4} "
          f"{totals['withheld']:>9}")
    print()
    print(f"{'AF-like, CV':>15} {'series':>6} {'flagged irregular':>18} {'HRV given':>10} {'HR within 3 %':>14}")
    for spread in SPREADS:
        flagged_n = given = hr_ok = 0
        for seed in seeds:
            ibi_s = irregular_intervals(N_BEATS, seed, spread)
            metrics = hrv_metrics(np.cumsum(ibi_s))
            flagged_n += metrics.irregular is True
            given += metrics.rmssd_ms is not None or metrics.coherence is not None
            hr_ok += metrics.hr_bpm is not None and abs(metrics.hr_bpm * np.median(ibi_s) / 60.0 - 1.0) <= 0.03
        print(f"{spread:>15.2f} {len(seeds):>6} {flagged_n:>18} {given:>10} {hr_ok:>14}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
