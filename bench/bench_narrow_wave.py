"""Benchmark: a narrow diastolic wave near half the interval, and slow hearts (issue 7, faults 3 and 9).

Run from the project root::

    python -m bench.bench_narrow_wave [--seeds N] [--first-seed S] [--rates 25,50,100] [--noises 0.02,0.1]

Inputs with known beats: tests/device/signal/synthetic_ppg.py `narrow_wave_ppg`, the shape a fresh-clone
tester generated (Gaussian systolic and diastolic bumps, a breathing swing in the intervals, baseline wander,
white noise), 45 s long, through device.signal.pulse.PulsePipeline in 0.1 s chunks as on the device:

- wave: 40-180 beats/min with a diastolic wave 0.2-0.8 as tall, 0.2-0.5 s on: must not be doubled;
- slow: 30-36 beats/min with waves 0.3-0.8 as tall, 0.25-0.5 s on: must not be doubled;
- alternans: the same pulse with a small wave (0.3 tall, 0.3 s on) and every other beat 10-40 % smaller
  at 60-200 beats/min: what a rule that learns waves from alternation costs (halved).

The heart rate is the median interval of the beats reported (at least two intervals). Prints per family
and heart rate: records, given a rate, within 5 beats/min, halved (within 10 % of half), doubled (within
10 % of twice); then the doubled records of the wave family per height and per delay as a share of the
interval. Deterministic.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from collections.abc import Iterator

import numpy as np
from numpy.typing import NDArray

from bench.bench_phone_lock import heart_rate, run_record
from bench.rate_table import RateTable, is_doubled, numbers
from tests.device.signal.synthetic_ppg import narrow_wave_ppg

WAVE_BPM = (40, 50, 60, 70, 80, 100, 120, 150, 180)
SHARES = (0.2, 0.4, 0.6, 0.7, 0.8)
DELAYS = (0.2, 0.3, 0.4, 0.45, 0.5)
SLOW_BPM = (30, 33, 36)
SLOW_SHARES = (0.3, 0.5, 0.8)
SLOW_DELAYS = (0.25, 0.35, 0.5)
ALTERNANS_BPM = (60, 100, 150, 200)
ALTERNANS_DEPTHS = (0.1, 0.2, 0.3, 0.4)
LENGTH_S = 45.0

Record = tuple[str, int, float, float, NDArray[np.float64], NDArray[np.float64], float]


def records(seeds: range, rates: list[float], noises: list[float]) -> Iterator[Record]:
    """(family, bpm, share or depth, delay s, samples, true beat times s, sample rate) of every record."""
    for fs in rates:
        for seed in seeds:
            for noise in noises:
                for family, bpms, shares, delays in (("wave", WAVE_BPM, SHARES, DELAYS),
                                                     ("slow", SLOW_BPM, SLOW_SHARES, SLOW_DELAYS)):
                    for bpm in bpms:
                        for share in shares:
                            for delay in delays:
                                ppg, truth = narrow_wave_ppg(bpm, fs, share, delay, LENGTH_S, seed=seed, noise=noise)
                                yield family, bpm, share, delay, ppg, truth, fs
                for bpm in ALTERNANS_BPM:
                    for depth in ALTERNANS_DEPTHS:
                        ppg, truth = narrow_wave_ppg(bpm, fs, 0.3, 0.3, LENGTH_S, seed=seed, noise=noise,
                                                     alternans=depth)
                        yield "alternans", bpm, depth, 0.3, ppg, truth, fs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--rates", type=numbers, default="25,50,100", help="sample rates, comma-separated")
    parser.add_argument("--noises", type=numbers, default="0.02,0.1",
                        help="white noise SDs (pulse heights), comma-separated")
    args = parser.parse_args(argv)
    rates, noises = args.rates, args.noises
    if args.seeds < 1 or min(rates) < 25.0:
        parser.error("--seeds >= 1, --rates >= 25 samples/s")
    table = RateTable()
    by_share: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_position: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for family, bpm, share, delay, ppg, truth, fs in records(range(args.first_seed, args.first_seed + args.seeds),
                                                              rates, noises):
        true_bpm = 60.0 / float(np.median(np.diff(truth)))
        est = heart_rate(run_record(ppg, fs)[0])
        table.add(family, bpm, est, true_bpm)
        if family == "wave":
            position = delay * bpm / 60.0
            band = "< 0.4" if position < 0.4 else "0.4-0.55" if position <= 0.55 else "> 0.55"
            for tally, key in ((by_share, f"{share:g}"), (by_position, band)):
                tally[key][0] += 1
                tally[key][1] += is_doubled(est, true_bpm)
    table.print()
    print("wave family, doubled per height: "
          + ", ".join(f"{k}: {v[1]}/{v[0]}" for k, v in sorted(by_share.items())))
    print("wave family, doubled per delay as a share of the interval: "
          + ", ".join(f"{k}: {v[1]}/{v[0]}" for k, v in sorted(by_position.items())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
