"""Benchmark: does a short, noisy phone-camera record get a heart rate, and is it right? (right / wrong / none)

Run from the project root::

    python -m bench.bench_phone_short [--seeds 3] [--first-seed 0] [--rates 40,45,...] [--noises 0.1,...]

Inputs: tests/device/signal/synthetic_ppg.py `phone_camera_ppg`, 10 s records (irregular camera frames
resampled to 25 and 30 frames/s, smooth camera pulses with a diastolic wave 0.3 tall 0.33 s on, breathing
wander, white camera noise of 0.1-0.4 pulse heights), heart rates 40-200/min, and four starts: none, and an
auto-exposure / settling-finger transient 30 pulse heights tall that decays (exp), holds for 1.5 s then drops
(step) or ramps down over 3 s (linear). 2 frame rates x 4 starts x 4 noises x 11 rates = 352 records per seed
(seeds 0-2: 1056, the count in docs/measurements.md, "Short noisy camera records"). Each goes through
device.signal.pulse.PulsePipeline in 0.1 s chunks, as on the device, and its heart rate is the device's
(device.signal.hrv.heart_rate_bpm). A record is right when that rate is within 5 beats/min of the true
median rate, wrong when it is further off (a wrong rate is worse than none), none when no rate is given.
Prints right / wrong / none per rate and noise, per start and frame rate, and the totals. Deterministic.
"""

from __future__ import annotations

import argparse
from collections import Counter

import numpy as np

from bench.bench_phone_lock import run_record
from device.signal.hrv import heart_rate_bpm
from tests.device.signal.synthetic_ppg import START_KINDS, phone_camera_ppg

LENGTH_S = 10.0
FRAME_RATES = (25.0, 30.0)
HEART_RATES = (40, 45, 50, 60, 75, 90, 106, 120, 150, 180, 200)
NOISES = (0.1, 0.2, 0.3, 0.4)
START_SIZE = 30.0
HIT_BPM = 5.0


def outcome(hr_bpm: float, fs_hz: float, noise: float, start: str, seed: int) -> str:
    """"right", "wrong" or "none" for one generated record."""
    ppg, truth = phone_camera_ppg(hr_bpm, LENGTH_S, seed=seed, noise=noise, start=start,
                                  start_size=START_SIZE if start != "none" else 0.0, fs_hz=fs_hz)
    true_bpm = 60.0 / float(np.median(np.diff(truth)))
    rate = heart_rate_bpm(np.asarray(run_record(ppg, fs_hz)[0], dtype=float))
    if rate is None:
        return "none"
    return "right" if abs(rate - true_bpm) <= HIT_BPM else "wrong"


def _row(label: str, counts: Counter[str]) -> str:
    return f"{label:<22} {counts['right']:>6} {counts['wrong']:>6} {counts['none']:>6}"


def camera_arguments(doc: str | None, argv: list[str] | None, heart_rates: tuple[int, ...],
                     noises: tuple[float, ...]) -> tuple[argparse.Namespace, list[float], list[float]]:
    """(arguments, heart rates per min, camera noises) of a generated camera benchmark: --seeds, --first-seed,
    --rates (default `heart_rates`) and --noises (default `noises`); `doc`'s first line describes it."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0] if doc else None)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--rates", default=",".join(str(r) for r in heart_rates), help="beats/min, comma-separated")
    parser.add_argument("--noises", default=",".join(str(n) for n in noises), help="camera noise SDs, pulse heights")
    args = parser.parse_args(argv)
    return args, [float(v) for v in args.rates.split(",")], [float(v) for v in args.noises.split(",")]


def main(argv: list[str] | None = None) -> int:
    args, rates, noises = camera_arguments(__doc__, argv, HEART_RATES, NOISES)
    by_rate_noise: dict[tuple[float, float], Counter[str]] = {}
    by_start: dict[tuple[str, float], Counter[str]] = {}
    total: Counter[str] = Counter()
    for hr in rates:
        for noise in noises:
            for fs_hz in FRAME_RATES:
                for start in START_KINDS:
                    for seed in range(args.first_seed, args.first_seed + args.seeds):
                        kind = outcome(hr, fs_hz, noise, start, seed)
                        by_rate_noise.setdefault((hr, noise), Counter())[kind] += 1
                        by_start.setdefault((start, fs_hz), Counter())[kind] += 1
                        total[kind] += 1
    seeds = f"seeds {args.first_seed}-{args.first_seed + args.seeds - 1}"
    print(f"10 s camera records, {seeds}: right (within {HIT_BPM:g} bpm) / wrong / none")
    print(f"{'rate/min noise':<22} {'right':>6} {'wrong':>6} {'none':>6}")
    for (hr, noise), counts in by_rate_noise.items():
        print(_row(f"{hr:>5.0f} {noise:>5.2f}", counts))
    print(f"{'start frames/s':<22} {'right':>6} {'wrong':>6} {'none':>6}")
    for (start, fs_hz), counts in by_start.items():
        print(_row(f"{start:<7} {fs_hz:>4.0f}", counts))
    print(_row(f"all ({sum(total.values())})", total))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
