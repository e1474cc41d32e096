"""Benchmark: what loosening the lock's per-check bars buys on noisy phone records and costs on noise.

Run from the project root::

    python -m bench.bench_lock_tradeoff [--noise-seeds N] [--first-noise-seed S]

For each candidate pair (SLOPE_LOCK_ON, LOCK_ON) of device/signal/pulse.py, set for the run only:
generated 10 s phone-camera records with white camera noise of SD 0.3 pulse heights and no start
transient (bench/bench_phone_lock.py's records; heart rates 45-180, seeds 0-2): share with a heart rate
within 5 beats/min; BUT PPG good-quality records (when `$GLIMMER_DATA_DIR` or ../shared/data holds
them): coverage of half A (even positions, where a threshold would be chosen) and half B; and no-pulse
inputs (bench/bench_no_pulse.py's 1/f^alpha noise, alpha 0-2, and drift, 2 min each): how many runs of
each rate report any beat. Deterministic.
"""

from __future__ import annotations

import argparse

import numpy as np

import device.signal.pulse as pulse
from bench.bench_no_pulse import ALPHAS, drift
from bench.bench_phone_lock import HEART_RATES, HIT_BPM, heart_rate, run_record
from bench.datasets import data_dir, load_but_ppg
from tests.device.signal.synthetic_ppg import phone_camera_ppg, power_law_noise

CANDIDATES = ((0.4, 0.5), (0.35, 0.5), (0.3, 0.5), (0.4, 0.4), (0.3, 0.4), (0.0, 0.5))
RATES_HZ = (25, 50, 100)


def phone_hits() -> float:
    hits = n = 0
    for hr in HEART_RATES:
        for seed in range(3):
            ppg, truth = phone_camera_ppg(hr, 10.0, seed=seed, noise=0.3)
            est = heart_rate(run_record(ppg, 30.0)[0])
            n += 1
            hits += est is not None and abs(est - 60.0 / float(np.median(np.diff(truth)))) <= HIT_BPM
    return hits / n


def but_coverage() -> tuple[str, str]:
    records = load_but_ppg(data_dir())
    if not records:
        return "-", "-"
    given = [heart_rate(run_record(r.ppg, r.fs_hz)[0]) is not None for r in records]
    a, b = given[0::2], given[1::2]
    return f"{sum(a)}/{len(a)}", f"{sum(b)}/{len(b)}"


def noise_locks(first_seed: int, seeds: int) -> list[int]:
    out = []
    for fs_hz in RATES_HZ:
        n = 120 * fs_hz
        count = 0
        for alpha in (*ALPHAS, None):
            for seed in range(first_seed, first_seed + seeds):
                x = power_law_noise(n, alpha, seed) if alpha is not None else drift(n, seed)
                count += len(pulse.detect_beats(x, fs_hz)) > 0
        out.append(count)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--noise-seeds", type=int, default=10)
    parser.add_argument("--first-noise-seed", type=int, default=100)
    args = parser.parse_args(argv)
    runs = 6 * args.noise_seeds
    print(f"{'SLOPE_LOCK_ON':>13} {'LOCK_ON':>7} {'phone 10 s noisy':>16} {'BUT A cov':>9} {'BUT B cov':>9} "
          f"{'noise runs with beats, of ' + str(runs) + ' (25/50/100)':>40}")
    saved = pulse.SLOPE_LOCK_ON, pulse.LOCK_ON
    try:
        for slope_on, lock_on in CANDIDATES:
            pulse.SLOPE_LOCK_ON, pulse.LOCK_ON = slope_on, lock_on
            a, b = but_coverage()
            locks = "/".join(str(v) for v in noise_locks(args.first_noise_seed, args.noise_seeds))
            print(f"{slope_on:>13.2f} {lock_on:>7.2f} {phone_hits():>16.2f} {a:>9} {b:>9} {locks:>40}", flush=True)
    finally:
        pulse.SLOPE_LOCK_ON, pulse.LOCK_ON = saved
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
