"""Benchmark: beats reported on inputs with no pulse at all (a finger-less sensor must give no heart rate).

Run from the project root::

    python -m bench.bench_no_pulse [--seeds N] [--first-seed S] [--minutes M] [--rates 25,50,100]
                                   [--alphas 0,0.5,1,1.5,2] [--without-drift]

Inputs: 1/f^alpha Gaussian noise (alpha 0 white, 1 pink, 2 brown: a reflecting sleeve or knuckle whose
pressure drifts) for alpha in 0, 0.5, 1, 1.5, 2, and slow pressure drift (brown noise plus a random walk
of the DC level; `--alphas` chooses others, e.g. 2.3,2.5,3 for drift smoother than brown), each
`--seeds` seeds of `--minutes` minutes at 25, 50 and 100 samples/s, through
device.signal.pulse.detect_beats (the device's streaming code). Prints, per input and rate, the beats
per minute reported (all seeds pooled) and how many seeds reported any beat. Deterministic.
"""

from __future__ import annotations

import argparse

import numpy as np

from device.signal.pulse import detect_beats
from tests.device.signal.synthetic_ppg import power_law_noise

ALPHAS = (0.0, 0.5, 1.0, 1.5, 2.0)
RATES_HZ = (25, 50, 100)


def drift(n: int, seed: int) -> np.ndarray:
    """Brown noise plus a slow random walk of the level (pressure drifting), unit-ish size."""
    rng = np.random.default_rng(seed + 10_000)
    return power_law_noise(n, 2.0, seed) + np.cumsum(rng.standard_normal(n)) * 0.01


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=0, help="seeds S .. S+N-1 (other seeds: unseen inputs)")
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--rates", default=",".join(map(str, RATES_HZ)), help="sample rates, comma-separated")
    parser.add_argument("--alphas", default=",".join(f"{a:g}" for a in ALPHAS), help="1/f^alpha exponents")
    parser.add_argument("--without-drift", action="store_true", help="leave out the drift rows")
    args = parser.parse_args(argv)
    rates = tuple(int(r) for r in args.rates.split(","))
    alphas = tuple(float(a) for a in args.alphas.split(","))
    print(f"{'input':<14} {'fs':>4} {'beats/min':>10} {'seeds with beats':>17}")
    inputs: list[tuple[str, float | None]] = [(f"1/f^{a:g}", a) for a in alphas]
    if not args.without_drift:
        inputs.append(("drift", None))
    for name, alpha in inputs:
        for fs_hz in rates:
            n = round(args.minutes * 60 * fs_hz)
            counts = []
            for seed in range(args.first_seed, args.first_seed + args.seeds):
                x = power_law_noise(n, alpha, seed) if alpha is not None else drift(n, seed)
                counts.append(len(detect_beats(x, fs_hz)))
            per_min = sum(counts) / (args.seeds * args.minutes)
            print(f"{name:<14} {fs_hz:>4} {per_min:>10.2f} {sum(c > 0 for c in counts):>11} of {args.seeds}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
