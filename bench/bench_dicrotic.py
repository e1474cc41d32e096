"""Benchmark: does a tall, late diastolic wave double the heart rate? (issue 7, fault 3's family)

Run from the project root::

    python -m bench.bench_dicrotic [--seeds N] [--first-seed S] [--lengths 10,60] [--rates 25,30,50,100]

Inputs with known beats: tests/device/signal/synthetic_ppg.py `phone_camera_ppg` (wide camera pulses,
irregular frames, breathing wander, white noise) at each sample rate, with a diastolic wave of
0.3-0.95 of the systolic height, 0.25-0.45 s after it, at 45-180 beats/min, clean (noise SD 0.02
pulse heights) and noisy (0.2), 10 s and 60 s long. Each record goes through
device.signal.pulse.PulsePipeline in 0.1 s chunks, as on the device.

Prints, per diastolic share and delay (all rates, heart rates, lengths, noises and seeds pooled):
records, records given a heart rate (median of at least two beat intervals), records read double (within
10 % of twice the true median rate), records whose beats include any extra beat (a reported beat more
than 0.15 s from every true one, counted only in records given a rate), and the share of all reported
beats that are extra. Then the doubled records per heart rate and per sample rate. Deterministic.
"""

from __future__ import annotations

import argparse
from collections import defaultdict

import numpy as np

from bench.bench_phone_lock import heart_rate, run_record
from bench.rate_table import is_doubled, numbers
from tests.device.signal.synthetic_ppg import phone_camera_ppg

SHARES = (0.3, 0.5, 0.7, 0.8, 0.9, 0.95)
DELAYS = (0.25, 0.3, 0.35, 0.4, 0.45)
HEART_RATES = (45, 60, 80, 106, 130, 150, 180)
NOISES = (0.02, 0.2)
MATCH_S = 0.15


def extra_beats(beats_s: list[float], truth_s: np.ndarray) -> int:
    """Reported beats more than MATCH_S from every true beat (a wave or noise taken for a beat)."""
    if not beats_s or len(truth_s) == 0:
        return len(beats_s)
    b = np.asarray(beats_s)
    j = np.clip(np.searchsorted(truth_s, b), 1, len(truth_s) - 1)
    nearest = np.minimum(np.abs(b - truth_s[j - 1]), np.abs(b - truth_s[j]))
    return int((nearest > MATCH_S).sum())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--lengths", type=numbers, default="10,60", help="record lengths in s, comma-separated")
    parser.add_argument("--rates", type=numbers, default="25,30,50,100", help="sample rates, comma-separated")
    parser.add_argument("--shares", type=numbers, default=",".join(str(s) for s in SHARES))
    parser.add_argument("--delays", type=numbers, default=",".join(str(d) for d in DELAYS))
    args = parser.parse_args(argv)
    lengths, rates, shares, delays = args.lengths, args.rates, args.shares, args.delays
    if args.seeds < 1:
        parser.error("--seeds must be >= 1")
    if min(lengths) < 6.0:
        parser.error("--lengths: records of at least 6 s (the lock judges 6 s windows)")
    if min(rates) < 10.0:
        parser.error("--rates: at least 10 samples/s")
    if not all(0.0 < v <= 1.0 for v in shares) or not all(v > 0.0 for v in delays):
        parser.error("--shares must be in (0, 1] and --delays > 0")
    by_hr: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    by_fs: dict[float, list[int]] = defaultdict(lambda: [0, 0])
    total = [0, 0, 0, 0, 0]
    print(f"{'share':>5} {'delay':>5} {'records':>7} {'given':>5} {'doubled':>7} {'wrong':>5} {'extra rec':>9} "
          f"{'extra beats':>11}")
    for share in shares:
        for delay in delays:
            n = given = doubled = wrong = extra_records = 0
            reported = extra = 0
            for fs in rates:
                for length in lengths:
                    for hr in HEART_RATES:
                        for noise in NOISES:
                            for seed in range(args.first_seed, args.first_seed + args.seeds):
                                ppg, truth = phone_camera_ppg(hr, length, seed=seed, fs_hz=fs, noise=noise,
                                                              dicrotic_share=share, dicrotic_delay_s=delay)
                                true_bpm = 60.0 / float(np.median(np.diff(truth)))
                                beats, _ = run_record(ppg, fs)
                                est = heart_rate(beats)
                                n += 1
                                by_hr[hr][0] += 1
                                by_fs[fs][0] += 1
                                if est is None:
                                    continue
                                given += 1
                                x = extra_beats(beats, truth)
                                reported += len(beats)
                                extra += x
                                extra_records += x > 0
                                if is_doubled(est, true_bpm):
                                    doubled += 1
                                    by_hr[hr][1] += 1
                                    by_fs[fs][1] += 1
                                elif abs(est - true_bpm) > 5.0:
                                    wrong += 1
            total = [total[0] + n, total[1] + given, total[2] + doubled, total[3] + extra_records, total[4] + wrong]
            print(f"{share:>5.2f} {delay:>5.2f} {n:>7} {given:>5} {doubled:>7} {wrong:>5} {extra_records:>9} "
                  f"{extra / max(reported, 1):>11.3f}")
    print(f"all: {total[0]} records, {total[1]} given a rate, {total[2]} doubled (1.8-2.2x), {total[4]} otherwise "
          f"more than 5 bpm off, {total[3]} with an extra beat")
    print("doubled per heart rate: " + ", ".join(f"{hr}: {v[1]}/{v[0]}" for hr, v in sorted(by_hr.items())))
    print("doubled per sample rate: " + ", ".join(f"{fs:g}: {v[1]}/{v[0]}" for fs, v in sorted(by_fs.items())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
