"""Benchmark: heart rate from short phone-camera PPG with known truth (does the pulse pipeline lock, and right?).

Run from the project root::

    python -m bench.bench_phone_lock [--seeds N] [--first-seed S] [--lengths 10,80]

Inputs: tests/device/signal/synthetic_ppg.py `phone_camera_ppg` (irregular camera frames resampled to
30 Hz, smooth camera pulses with a diastolic wave, breathing wander, white noise), heart rates 45-180/min,
two noise levels, and four starts: none, and an auto-exposure / settling-finger transient 30 pulse
heights tall that decays (exp), holds for 1.5 s then drops (step) or ramps down over 3 s (linear). Each
through device.signal.pulse.PulsePipeline in 0.1 s chunks, as on the device. Prints per length and start:
records, coverage (a heart rate given, by the device's rule: device.signal.hrv.heart_rate_bpm, from at
least two beat intervals), within 5 beats/min of the true median rate, doubled / halved (within 10 % of
twice / half), and the median time of the first reported beat (signal time when the pipeline reported it).
Deterministic.
"""

from __future__ import annotations

import argparse
import statistics

import numpy as np

from device.signal.hrv import heart_rate_bpm
from device.signal.pulse import PulsePipeline
from tests.device.signal.synthetic_ppg import START_KINDS, phone_camera_ppg

FS_HZ = 30.0
HEART_RATES = (45, 60, 75, 90, 106, 120, 150, 180)
NOISES = (0.1, 0.3)
START_SIZE = 30.0
HIT_BPM = 5.0


def run_record(ppg: np.ndarray, fs_hz: float, chunk_s: float = 0.1) -> tuple[list[float], float | None]:
    """(beat times in s, signal time in s at which the first beat was reported, None if never)."""
    pipeline = PulsePipeline(fs_hz)
    step = max(1, round(chunk_s * fs_hz))
    beats: list[float] = []
    first_at = None
    for first in range(0, len(ppg), step):
        update = pipeline.push(ppg[first:first + step], first)
        if update.beats and first_at is None:
            first_at = min(first + step, len(ppg)) / fs_hz
        beats.extend(b.t_s for b in update.beats)
    tail = pipeline.flush().beats
    if tail and first_at is None:
        first_at = len(ppg) / fs_hz
    beats.extend(b.t_s for b in tail)
    return beats, first_at


def heart_rate(beats_s: list[float]) -> float | None:
    """The heart rate (beats/min) the device gives from these beats (device.signal.hrv.heart_rate_bpm: the
    median of two-interval spans) from at least two intervals, else None."""
    return heart_rate_bpm(np.asarray(beats_s, dtype=float))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--lengths", default="10,80", help="record lengths in s, comma-separated")
    parser.add_argument("--dicrotic-share", type=float, default=0.3, help="diastolic wave's height, of the systolic")
    parser.add_argument("--dicrotic-delay", type=float, default=0.33, help="diastolic wave's delay after it, s")
    args = parser.parse_args(argv)
    print(f"{'length':>6} {'start':<7} {'records':>7} {'coverage':>8} {'within 5':>8} {'doubled':>7} "
          f"{'halved':>6} {'first beat s':>12}")
    for length in (float(v) for v in args.lengths.split(",")):
        for start in START_KINDS:
            n = given = hits = doubled = halved = 0
            firsts: list[float] = []
            for hr in HEART_RATES:
                for noise in NOISES:
                    for seed in range(args.first_seed, args.first_seed + args.seeds):
                        ppg, truth = phone_camera_ppg(hr, length, seed=seed, noise=noise, start=start,
                                                      start_size=START_SIZE if start != "none" else 0.0,
                                                      dicrotic_share=args.dicrotic_share,
                                                      dicrotic_delay_s=args.dicrotic_delay)
                        true_bpm = 60.0 / float(np.median(np.diff(truth)))
                        beats, first_at = run_record(ppg, FS_HZ)
                        est = heart_rate(beats)
                        n += 1
                        if first_at is not None:
                            firsts.append(first_at)
                        if est is None:
                            continue
                        given += 1
                        hits += abs(est - true_bpm) <= HIT_BPM
                        doubled += abs(est / true_bpm - 2.0) <= 0.2
                        halved += abs(est / true_bpm - 0.5) <= 0.05
            median_first = f"{statistics.median(firsts):.1f}" if firsts else "-"
            print(f"{length:>6.0f} {start:<7} {n:>7} {given / n:>8.2f} {hits / n:>8.2f} {doubled:>7} {halved:>6} "
                  f"{median_first:>12}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
