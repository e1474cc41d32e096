"""Benchmark: beats and heart rates reported on inputs with no pulse at all (a finger-less sensor must give none).

Run from the project root::

    python -m bench.bench_no_pulse [--family powerlaw|lowpass|steep|sway|wander|skew|all] [--seeds N] [--first-seed S]
                                   [--minutes M] [--rates 25,50,100] [--alphas 0,0.5,1,1.5,2] [--without-drift]

Families (`--family`, default powerlaw):
- powerlaw: 1/f^alpha Gaussian noise (alpha 0 white, 1 pink, 2 brown: a reflecting sleeve or knuckle whose
  pressure drifts) for alpha in 0, 0.5, 1, 1.5, 2, and slow pressure drift (brown noise plus a random walk
  of the DC level); `--alphas` chooses others;
- lowpass: smooth pressure drift as a fresh-clone tester made it (issue 7, fault 4): Gaussian white noise
  through a Butterworth low-pass, 2nd order with its corner drawn log-uniformly in 0.05-0.5 Hz ("lp2"), and
  4th order in 0.2-0.8 Hz ("lp4"), and a resonant 2nd-order low-pass, quality factor 2, corner in 0.1-0.5 Hz
  ("res2": its power peaks at the corner, a narrow band with no harmonics), a corner per seed;
- steep: 1/f^alpha noise smoother than brown, alpha 2.3, 2.5, 2.7 and 3 (the tester's 1/f^2.3-3);
- sway: a resonant sway at the heart's rates, white noise through a resonant 2nd-order low-pass whose centre is
  drawn log-uniformly in 1-3.3 Hz (60-200/min) and quality factor uniformly in 1-6, a pair per seed (a hand or
  cable swaying: a narrow band with no harmonics);
- wander: a sine whose phase wanders (a random walk: a Lorentzian line), centre drawn log-uniformly in 1.2-2.9 Hz
  and line width in 0.02-0.2 Hz, with 5 % white noise (no harmonics, no beat shape: a smooth pulse's
  fundamental alone looks the same, so this row says how much such input the device takes for a pulse);
- skew: noise whose law is skewed (not symmetric in sign), as a tester made it: exp(sigma g) of Gaussian noise g
  through a 2nd-order Butterworth low-pass (log-normal: sharp upward peaks; a row per corner, 0.35, 0.7, 1.4 or
  2.8 Hz, and sigma, 0.3, 1 or 2), and the square and the absolute value of Gaussian noise band-passed over an
  octave (2nd-order Butterworth edges, the lower drawn log-uniformly in 0.5-2 Hz per seed). Every one a memoryless
  transform of a Gaussian process: it may peak upward as a pulse does, but it is time-reversible (it rises as fast
  as it falls), and its harmonics couple by its law, not by a repeated waveform;
- all: the six (`skew` was added after the other five).
Each input `--seeds` seeds of `--minutes` minutes at 25, 50 and 100 samples/s. Prints, per input and rate,
the beats per minute device.signal.pulse.detect_beats reports (the device's streaming code; all seeds
pooled), how many seeds gave any beat, and how many gave a heart rate at the end
(device.pulse.recording_metrics, the pipeline and HRV tracker as the device joins them). Deterministic.
Thresholds were chosen on seeds 0-99 (the skew family's rule on seeds 0-9); seeds 200 and up are unseen inputs.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from functools import partial

import numpy as np

from device.pulse import recording_metrics
from device.signal.pulse import detect_beats
from tests.device.signal.synthetic_ppg import (
    bandpass_noise,
    lowpass_noise,
    power_law_noise,
    skewed_noise,
    wandering_sine,
)

ALPHAS = (0.0, 0.5, 1.0, 1.5, 2.0)
STEEP_ALPHAS = (2.3, 2.5, 2.7, 3.0)
RATES_HZ = (25, 50, 100)
# (name, Butterworth order, corner range Hz, quality factor or None): the tester's low-passed white noise; "res2"
# is the tester's resonant 2nd-order low-pass (Q 2, corners 0.1-0.5 Hz)
LOWPASS = (("lp2", 2, (0.05, 0.5), None), ("lp4", 4, (0.2, 0.8), None), ("res2", 2, (0.1, 0.5), 2.0))
FAMILIES = ("powerlaw", "lowpass", "steep", "sway", "wander", "skew", "all")
SWAY_CENTRES_HZ = (1.0, 3.3)  # resonant sway: centre, log-uniform ...
SWAY_Q = (1.0, 6.0)  # ... and quality factor, uniform
WANDER_CENTRES_HZ = (1.2, 2.9)  # wandering sine: centre, log-uniform ...
WANDER_WIDTHS_HZ = (0.02, 0.2)  # ... and line width, log-uniform
LOGNORMAL_CORNERS_HZ = (0.35, 0.7, 1.4, 2.8)  # log-normal noise: the Gaussian's 2nd-order low-pass corner ...
LOGNORMAL_SIGMAS = (0.3, 1.0, 2.0)  # ... and its SD before exp() (skewness 1.0, 6.2 and 414)
OCTAVE_LOW_HZ = (0.5, 2.0)  # squared / rectified band-passed noise: the octave's lower edge, log-uniform

Maker = Callable[[int, float, int], np.ndarray]  # (samples, sample rate Hz, seed) -> input


def drift(n: int, seed: int) -> np.ndarray:
    """Brown noise plus a slow random walk of the level (pressure drifting), unit-ish size."""
    rng = np.random.default_rng(seed + 10_000)
    return power_law_noise(n, 2.0, seed) + np.cumsum(rng.standard_normal(n)) * 0.01


def lowpass_drift(n: int, fs_hz: float, seed: int, order: int, corners_hz: tuple[float, float],
                  q: float | None = None) -> np.ndarray:
    """White noise through an `order`-th order Butterworth low-pass (with `q`, a resonant 2nd-order one of that
    quality factor) whose corner is drawn log-uniformly in `corners_hz` from `seed` (the noise itself from
    `seed` too)."""
    low, high = np.log(corners_hz[0]), np.log(corners_hz[1])
    corner = float(np.exp(np.random.default_rng(seed + 20_000).uniform(low, high)))
    return lowpass_noise(n, fs_hz, order, corner, seed, q)


def sway(n: int, fs_hz: float, seed: int) -> np.ndarray:
    """A resonant sway: white noise through a resonant 2nd-order low-pass, centre and quality factor drawn from
    `seed` (SWAY_CENTRES_HZ log-uniform, SWAY_Q uniform)."""
    rng = np.random.default_rng(seed + 30_000)
    centre = float(np.exp(rng.uniform(np.log(SWAY_CENTRES_HZ[0]), np.log(SWAY_CENTRES_HZ[1]))))
    return lowpass_noise(n, fs_hz, 2, centre, seed, float(rng.uniform(*SWAY_Q)))


def wander(n: int, fs_hz: float, seed: int) -> np.ndarray:
    """A wandering sine: centre and line width drawn from `seed` (WANDER_CENTRES_HZ, WANDER_WIDTHS_HZ, both
    log-uniform)."""
    rng = np.random.default_rng(seed + 40_000)
    centre = float(np.exp(rng.uniform(np.log(WANDER_CENTRES_HZ[0]), np.log(WANDER_CENTRES_HZ[1]))))
    width = float(np.exp(rng.uniform(np.log(WANDER_WIDTHS_HZ[0]), np.log(WANDER_WIDTHS_HZ[1]))))
    return wandering_sine(n, fs_hz, centre, width, seed)


def lognormal(n: int, fs_hz: float, seed: int, corner_hz: float, sigma: float) -> np.ndarray:
    """Log-normal noise: exp(sigma g), g Gaussian noise through a 2nd-order low-pass at `corner_hz`."""
    return skewed_noise(lowpass_noise(n, fs_hz, 2, corner_hz, seed), "lognormal", sigma)


def octave_transformed(n: int, fs_hz: float, seed: int, kind: str) -> np.ndarray:
    """Gaussian noise band-passed over an octave (lower edge drawn from `seed`, OCTAVE_LOW_HZ log-uniform), then
    squared or rectified (`kind`: skewed_noise's "square" or "rectify")."""
    rng = np.random.default_rng(seed + 50_000)
    low = float(np.exp(rng.uniform(np.log(OCTAVE_LOW_HZ[0]), np.log(OCTAVE_LOW_HZ[1]))))
    return skewed_noise(bandpass_noise(n, fs_hz, low, 2.0 * low, seed), kind)


def inputs(family: str, alphas: tuple[float, ...], with_drift: bool) -> list[tuple[str, Maker]]:
    """(row name, maker) for every input of `family` (FAMILIES)."""
    rows: list[tuple[str, Maker]] = []
    if family in ("powerlaw", "all"):
        rows += [(f"1/f^{a:g}", lambda n, fs, s, a=a: power_law_noise(n, a, s)) for a in alphas]
        if with_drift:
            rows.append(("drift", lambda n, fs, s: drift(n, s)))
    if family in ("lowpass", "all"):
        rows += [(f"{name} {lo:g}-{hi:g} Hz",
                  lambda n, fs, s, o=order, c=(lo, hi), q=q: lowpass_drift(n, fs, s, o, c, q))
                 for name, order, (lo, hi), q in LOWPASS]
    if family in ("steep", "all"):
        rows += [(f"1/f^{a:g}", lambda n, fs, s, a=a: power_law_noise(n, a, s)) for a in STEEP_ALPHAS]
    if family in ("sway", "all"):
        rows.append(("sway 1-3.3 Hz", sway))
    if family in ("wander", "all"):
        rows.append(("wander 1.2-2.9 Hz", wander))
    if family in ("skew", "all"):
        rows += [(f"lognorm {c:g} Hz s{s:g}", partial(lognormal, corner_hz=c, sigma=s))
                 for c in LOGNORMAL_CORNERS_HZ for s in LOGNORMAL_SIGMAS]
        rows += [(f"{kind} octave", partial(octave_transformed, kind=kind)) for kind in ("square", "rectify")]
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--family", choices=FAMILIES, default="powerlaw")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=0, help="seeds S .. S+N-1 (other seeds: unseen inputs)")
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--rates", default=",".join(map(str, RATES_HZ)), help="sample rates, comma-separated")
    parser.add_argument("--alphas", default=",".join(f"{a:g}" for a in ALPHAS), help="1/f^alpha exponents")
    parser.add_argument("--without-drift", action="store_true", help="leave out the drift rows")
    args = parser.parse_args(argv)
    rates = tuple(int(r) for r in args.rates.split(","))
    alphas = tuple(float(a) for a in args.alphas.split(","))
    print(f"{'input':<20} {'fs':>4} {'beats/min':>10} {'seeds with beats':>17} {'seeds with HR':>14}")
    total = with_hr = 0
    for name, make in inputs(args.family, alphas, not args.without_drift):
        for fs_hz in rates:
            n = round(args.minutes * 60 * fs_hz)
            counts, rates_given = [], 0
            for seed in range(args.first_seed, args.first_seed + args.seeds):
                x = make(n, fs_hz, seed)
                counts.append(len(detect_beats(x, fs_hz)))
                rates_given += recording_metrics(x, fs_hz).hr_bpm is not None
            per_min = sum(counts) / (args.seeds * args.minutes)
            print(f"{name:<20} {fs_hz:>4} {per_min:>10.2f} {sum(c > 0 for c in counts):>11} of {args.seeds}"
                  f" {rates_given:>8} of {args.seeds}", flush=True)
            total += args.seeds
            with_hr += rates_given
    print(f"runs with a heart rate: {with_hr} of {total}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
