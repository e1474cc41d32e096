"""Benchmark: what a burst (exposure step, jolt) before a lock does to noise and to real pulses.

Run from the project root::

    python -m bench.bench_burst [--seeds N] [--first-seed S] [--minutes M] [--part noise,but]

Two parts, both through the streaming pipeline (`device.signal.pulse.detect_beats`), deterministic:

- ``noise``: 1/f^alpha Gaussian noise (unit SD; alpha 0, 1, 1.5, 2) at 25 and 100 samples/s, as is and
  with a burst 30x its SD added at 1.5 s: a step held until then ("step"), or a single-sample spike
  ("spike"). Prints, per input, the runs with any beat (a heart rate from no pulse), per burst kind, and
  how many runs have beats with the burst but none without it ("new").
- ``but``: every good-quality BUT PPG record (10 s phone records, ../shared/data), as is and with a step
  30x its pulse height (the 5-95 % range of the 0.5-5 Hz band-passed record) held for the first 1.5 s.
  Prints the median-interval heart rate against the ECG reference, per half (A even positions, B odd).

Run it against another source tree with ``PYTHONPATH=/that/tree python -m bench.bench_burst``.
"""

from __future__ import annotations

import argparse

import numpy as np

from bench.datasets import data_dir, load_but_ppg
from device.signal.biquad import butter, lfilter
from device.signal.pulse import detect_beats
from tests.device.signal.synthetic_ppg import power_law_noise

ALPHAS = (0.0, 1.0, 1.5, 2.0)
RATES_HZ = (25, 100)
BURST_SIZE = 30.0
BURST_AT_S = 1.5
KINDS = ("none", "step", "spike")


def with_burst(x: np.ndarray, fs_hz: float, kind: str, size: float) -> np.ndarray:
    """`x` with a burst of `size` added: a step held for the first BURST_AT_S, or a spike there."""
    y = np.array(x, dtype=float)
    k = round(BURST_AT_S * fs_hz)
    if kind == "step":
        y[:k] += size
    elif kind == "spike":
        y[k] += size
    elif kind != "none":
        raise ValueError(f"unknown burst kind {kind!r}")
    return y


def heart_rate(beats_s: np.ndarray) -> float | None:
    """Median-interval heart rate (beats/min) from at least two intervals, else None."""
    return None if len(beats_s) < 3 else 60.0 / float(np.median(np.diff(beats_s)))


def pulse_height(x: np.ndarray, fs_hz: float) -> float:
    """The 5-95 % range of the 0.5-5 Hz band-passed record (about one pulse height)."""
    y = x - x[0]
    for b, a in [(r[:3], r[3:]) for r in butter(2, [0.5, 5.0], "bandpass", fs=fs_hz, output="sos")]:
        y, _ = lfilter(b, a, y, zi=np.zeros(2))
    lo, hi = np.percentile(y[round(fs_hz):], [5, 95])
    return float(hi - lo)


def noise_part(seeds: range, minutes: float) -> None:
    print(f"{'input':<9} {'fs':>4} " + " ".join(f"{k:>6}" for k in KINDS) + "  new(step) new(spike)   of")
    totals = dict.fromkeys(KINDS, 0)
    new_totals = {"step": 0, "spike": 0}
    for alpha in ALPHAS:
        for fs_hz in RATES_HZ:
            n = round(minutes * 60 * fs_hz)
            locked = {k: set() for k in KINDS}
            for seed in seeds:
                x = power_law_noise(n, alpha, seed)
                for kind in KINDS:
                    if len(detect_beats(with_burst(x, fs_hz, kind, BURST_SIZE), fs_hz)) > 0:
                        locked[kind].add(seed)
            new = {k: len(locked[k] - locked["none"]) for k in ("step", "spike")}
            for k in KINDS:
                totals[k] += len(locked[k])
            for k in new:
                new_totals[k] += new[k]
            print(f"1/f^{alpha:<5g} {fs_hz:>4} " + " ".join(f"{len(locked[k]):>6}" for k in KINDS)
                  + f"  {new['step']:>9} {new['spike']:>10} {len(seeds):>4}")
    print(f"{'all':<9} {'':>4} " + " ".join(f"{totals[k]:>6}" for k in KINDS)
          + f"  {new_totals['step']:>9} {new_totals['spike']:>10} {len(seeds) * len(ALPHAS) * len(RATES_HZ):>4}")


def but_part(root: str | None) -> None:
    records = load_but_ppg(data_dir(root))
    if not records:
        print("BUT PPG not found under", data_dir(root))
        return
    print(f"{'record':<8} {'half':>4} {'ref':>6} {'as is':>6} {'step':>6}")
    errors: dict[tuple[str, str], list[float]] = {}
    for pos, rec in enumerate(records):
        half = "AB"[pos % 2]
        size = BURST_SIZE * pulse_height(rec.ppg, rec.fs_hz)
        shown = []
        for kind in ("none", "step"):
            hr = heart_rate(detect_beats(with_burst(rec.ppg, rec.fs_hz, kind, size), rec.fs_hz))
            shown.append("-" if hr is None else f"{hr:.1f}")
            if hr is not None:
                errors.setdefault((half, kind), []).append(abs(hr - rec.ref_hr_bpm))
        print(f"{rec.name:<8} {half:>4} {rec.ref_hr_bpm:>6.1f} {shown[0]:>6} {shown[1]:>6}")
    for half in "AB":
        n = sum(1 for pos in range(len(records)) if "AB"[pos % 2] == half)
        for kind in ("none", "step"):
            e = errors.get((half, kind), [])
            wrong = sum(v > 10.0 for v in e)
            mean = f"{np.mean(e):.2f}" if e else "-"
            print(f"half {half} {kind:<5}: heart rate on {len(e)} of {n}, mean error {mean} bpm, "
                  f"more than 10 bpm off: {wrong}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--first-seed", type=int, default=0, help="seeds S .. S+N-1")
    parser.add_argument("--minutes", type=float, default=1.0)
    parser.add_argument("--part", default="noise,but", help="noise, but, or both (comma-separated)")
    parser.add_argument("--data", default=None, help="data folder (default ../shared/data)")
    args = parser.parse_args(argv)
    parts = args.part.split(",")
    if "noise" in parts:
        noise_part(range(args.first_seed, args.first_seed + args.seeds), args.minutes)
    if "but" in parts:
        but_part(args.data)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
