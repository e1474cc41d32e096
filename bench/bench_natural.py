"""Benchmark: clean natural hearts (nothing an artifact) through hrv_metrics: is their own variability left alone?

Run from the project root::

    python -m bench.bench_natural [--first-seed S] [--seeds N] [--slow]

The series are tests/device/signal/synthetic_rr.py natural_heart (30-140/min, or with ``--slow`` 30-40/min in 15-30 s
windows; a drifting breathing swing, a Mayer wave, 1/f drift, a settling step or ramp, white jitter in the intervals or
the beat times). The truth is the RMSSD of the intervals themselves. Prints: right, withheld (a reason given), WRONG
(every reason null and RMSSD off by more than 25 %, 2 ms under 8); the series with any interval moved by the
correction (by more than 0.5 ms) and the share of intervals moved; the share labelled (artifact_pct, which counts a
beat left where it came too); and the reasons withheld. Seeds 0-199 were used to choose the rule's constants; 1000
onwards were not (docs/measurements.md).
"""

from __future__ import annotations

import argparse
from collections import Counter

import numpy as np

from device.signal.hrv import hrv_metrics, time_domain
from device.signal.intervals import stretches
from tests.device.signal.synthetic_rr import natural_heart


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--first-seed", type=int, default=1000)
    parser.add_argument("--seeds", type=int, default=400)
    parser.add_argument("--slow", action="store_true", help="30-40/min in 15-30 s windows")
    args = parser.parse_args(argv)
    rates, windows = ((30.0, 40.0), (15.0, 30.0)) if args.slow else ((30.0, 140.0), (15.0, 120.0))
    tally: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    moved_share: list[float] = []
    labelled: list[float] = []
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        times_s, nn_ms, _ = natural_heart(seed, rates, windows)
        metrics = hrv_metrics(times_s)
        raw_ms = np.diff(times_s) * 1000.0
        corrected = stretches(times_s, [])
        moved = (np.abs(corrected.ibi_ms - raw_ms) > 0.5 if len(corrected.ibi_ms) == len(raw_ms)
                 else np.ones(len(raw_ms), dtype=bool))
        moved_share.append(float(np.mean(moved)))
        tally["moved"] += bool(moved.any())
        labelled.append(metrics.artifact_pct)
        if metrics.rmssd_ms is None:
            tally["withheld"] += 1
            reasons[str(metrics.hrv_reason)] += 1
            continue
        truth = time_domain(nn_ms)["rmssd_ms"]
        tally["WRONG" if abs(metrics.rmssd_ms - truth) > max(0.25 * truth, 2.0) else "right"] += 1
    kind = " (slow, short)" if args.slow else ""
    print(f"natural_heart seeds {args.first_seed}-{args.first_seed + args.seeds - 1}{kind}: "
          f"right {tally['right']}, withheld {tally['withheld']}, WRONG {tally['WRONG']}; "
          f"series with a beat moved {tally['moved']}, intervals moved {100.0 * np.mean(moved_share):.2f} %, "
          f"labelled {np.mean(labelled):.2f} %")
    print("  withheld:", ", ".join(f"{k} {v}" for k, v in sorted(reasons.items())) or "none")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
