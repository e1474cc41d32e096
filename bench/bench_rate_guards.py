"""Benchmark: what the diastolic-wave rules must not do (issue 7 fault 3's opposite faults).

Run from the project root::

    python -m bench.bench_rate_guards [--seeds N] [--first-seed S] [--lengths 10,30] [--rates 25,30,50,100]

The beat picker drops picks it judges to be a beat's own later (diastolic) wave (device/signal/pulse_peaks.py).
Its opposite faults are measured here on inputs with known beats, each through
device.signal.pulse.PulsePipeline in 0.1 s chunks as on the device:

- fast: camera pulses (tests/device/signal/synthetic_ppg.py `phone_camera_ppg`) at 150-220 beats/min with a
  diastolic wave 0.3-0.8 as tall, 0.25-0.45 s on, noise 0.02 and 0.2: must not be halved;
- alternans: fingertip pulses (`synthetic_ppg`, breathing-driven rate swing) at 60-200 beats/min whose every
  other beat is smaller by 10-40 % (pulsus alternans; at 40 % the smaller beats are below the picker's
  ALTERNATION_RATIO, 0.75, of the larger, where amplitude alone cannot tell them from a wave), noise 0.02 and
  0.1: must not be halved;
- slow: camera pulses at 30-40 beats/min with waves 0.3-0.8 as tall, 0.25-0.45 s on: must not be doubled.

Prints per family and rate: records, given a rate (median of at least two intervals), within 5 beats/min of
the true median rate, halved (within 10 % of half), doubled (within 10 % of twice). Deterministic.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator

import numpy as np
from numpy.typing import NDArray

from bench.bench_phone_lock import heart_rate, run_record
from bench.rate_table import RateTable, numbers
from tests.device.signal.synthetic_ppg import phone_camera_ppg, rsa_beat_times, synthetic_ppg

FAST_BPM = (150, 180, 200, 220)
SLOW_BPM = (30, 33, 36, 40)
ALTERNANS_BPM = (60, 100, 150, 200)
ALTERNANS_DEPTHS = (0.1, 0.2, 0.3, 0.4)
SHARES = (0.3, 0.5, 0.8)
DELAYS = (0.25, 0.35, 0.45)

Record = tuple[str, int, NDArray[np.float64], NDArray[np.float64], float]  # family, bpm, ppg, truth, fs


def records(seeds: range, lengths: list[float], rates: list[float]) -> Iterator[Record]:
    """Every generated record: (family, nominal bpm, samples, true beat times s, sample rate)."""
    for fs in rates:
        for length in lengths:
            for seed in seeds:
                for family, rates_bpm in (("fast", FAST_BPM), ("slow", SLOW_BPM)):
                    for bpm in rates_bpm:
                        for share in SHARES:
                            for delay in DELAYS:
                                for noise in (0.02, 0.2):
                                    ppg, truth = phone_camera_ppg(bpm, length, seed=seed, fs_hz=fs, noise=noise,
                                                                  dicrotic_share=share, dicrotic_delay_s=delay)
                                    yield family, bpm, ppg, truth, fs
                for bpm in ALTERNANS_BPM:
                    beats = rsa_beat_times(length, hr_bpm=bpm, start_s=0.2 + 0.1 * seed)
                    for depth in ALTERNANS_DEPTHS:
                        gains = np.where(np.arange(len(beats)) % 2 == 0, 1.0, 1.0 - depth)
                        for noise in (0.02, 0.1):
                            ppg = synthetic_ppg(beats, fs, length, noise=noise, seed=seed, gains=gains)
                            yield "alternans", bpm, ppg, beats, fs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--lengths", type=numbers, default="10,30", help="record lengths in s, comma-separated")
    parser.add_argument("--rates", type=numbers, default="25,30,50,100", help="sample rates, comma-separated")
    args = parser.parse_args(argv)
    lengths, rates = args.lengths, args.rates
    if args.seeds < 1 or min(lengths) < 6.0 or min(rates) < 10.0:
        parser.error("--seeds >= 1, --lengths >= 6 s, --rates >= 10 samples/s")
    table = RateTable()
    for family, bpm, ppg, truth, fs in records(range(args.first_seed, args.first_seed + args.seeds), lengths,
                                                rates):
        table.add(family, bpm, heart_rate(run_record(ppg, fs)[0]), 60.0 / float(np.median(np.diff(truth))))
    table.print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
