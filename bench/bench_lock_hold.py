"""Benchmark: how much of a real pulse goes without a lock (no beats), and how often a lock is released.

Run from the project root::

    python -m bench.bench_lock_hold [--data DIR] [--synthetic-only]

A lock is released when the pulse pipeline no longer finds the window periodic enough
(device/signal/pulse.py, "Keeping a lock"); while unlocked no beat is reported. This counts what that
costs on inputs that are a pulse all along. For each record, fed through device.signal.pulse.PulsePipeline
in 0.1 s chunks as on the device: the share of its time after the first lock could have been made
(settle + PERIODICITY_MIN_S, 4.5 s) with no lock (`withheld %`), and the number of releases.

Real records (read from DIR, default $GLIMMER_DATA_DIR or ../shared/data; skipped when absent):
CapnoBase at 100 and 25 Hz, BUT PPG good quality, Welltory; each set also split into half A (even
positions of its list, where thresholds were chosen) and half B (odd positions, not looked at).
Generated pulses with known truth (tests/device/signal/synthetic_ppg.py, synthetic_rr.py), 90 s each
at 25, 50 and 100 Hz: irregularly irregular (atrial-fibrillation-like) rhythms of spread 0.1-0.3, a
premature beat every 3rd or 4th beat, slow hearts (30, 33/min), a weak pulse 2-10x the sensor noise,
and 30 s of hand motion. Deterministic.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from device.signal.pulse import PERIODICITY_MIN_S, SETTLE_S, PulsePipeline
from tests.device.signal.synthetic_ppg import hand_motion, rsa_beat_times, synthetic_ppg
from tests.device.signal.synthetic_rr import irregular_intervals, sinus_intervals, with_ectopy

CHUNK_S = 0.1
SYNTH_S = 90.0
RATES_HZ = (25, 50, 100)


def lock_hold(ppg: NDArray[np.float64], fs_hz: float) -> tuple[float, float, int]:
    """(seconds judged, seconds of those without a lock, releases) of one record through the pipeline."""
    pipeline = PulsePipeline(fs_hz)
    step = max(1, round(CHUNK_S * fs_hz))
    start = round((SETTLE_S + PERIODICITY_MIN_S) * fs_hz)
    judged = unlocked = 0
    releases = 0
    was_locked = False
    for first in range(0, len(ppg), step):
        pipeline.push(ppg[first:first + step], first)
        n = min(step, len(ppg) - first)
        if first + n > start:
            counted = min(n, first + n - start)
            judged += counted
            if not pipeline.locked:
                unlocked += counted
        releases += was_locked and not pipeline.locked
        was_locked = pipeline.locked
    return judged / fs_hz, unlocked / fs_hz, releases


def synthetic_records() -> Iterator[tuple[str, NDArray[np.float64], float]]:
    """(kind, samples, fs_hz) of the generated pulses described in the module docstring."""
    for fs in RATES_HZ:
        n = round(SYNTH_S * fs)
        for seed in range(4):
            for spread in (0.1, 0.2, 0.3):
                beats = 0.3 + np.cumsum(irregular_intervals(200, seed, spread))
                yield "irregular (AF-like)", synthetic_ppg(beats[beats < SYNTH_S], fs, SYNTH_S, 0.01, seed=seed), fs
            for every in (3, 4):
                beats = 0.3 + np.cumsum(with_ectopy(sinus_intervals(200, seed), every, 0.3, seed) / 1000.0)
                yield "ectopy 1 in 3-4", synthetic_ppg(beats[beats < SYNTH_S], fs, SYNTH_S, 0.01, seed=seed), fs
            noise = 0.01 * np.random.default_rng(seed).standard_normal(n)
            beats = rsa_beat_times(SYNTH_S, hr_bpm=66.0, swing_bpm=1.0)
            for depth in (0.1, 0.05, 0.03, 0.02):
                yield "weak pulse", synthetic_ppg(beats, fs, SYNTH_S) * depth + noise, fs
        for hr in (30, 33):
            beats = rsa_beat_times(SYNTH_S, hr_bpm=hr, swing_bpm=hr / 10.0)
            yield "slow 30-33/min", synthetic_ppg(beats, fs, SYNTH_S, noise=0.01), fs
        t_s = np.arange(n) / fs
        for size in (0.3, 0.6, 1.0):
            beats = rsa_beat_times(SYNTH_S, hr_bpm=67.0)
            x = synthetic_ppg(beats, fs, SYNTH_S, noise=0.01) + hand_motion(t_s, 30.0, 60.0, size, seed=2)
            yield "motion 30 s", x, fs


def real_records(root: Path) -> Iterator[tuple[str, int, NDArray[np.float64], float]]:
    """(data set, position in its list, samples, fs_hz) of the shared recordings."""
    from bench.datasets import load_but_ppg, load_capnobase, load_welltory

    for fs in (100, 25):
        for i, rec in enumerate(load_capnobase(root, fs)):
            yield f"capnobase {fs} Hz", i, rec.ppg, rec.fs_hz
    for name, loader in (("BUT PPG good", load_but_ppg), ("Welltory", load_welltory)):
        for i, hr_rec in enumerate(loader(root)):
            yield name, i, hr_rec.ppg, hr_rec.fs_hz


def _row(name: str, totals: list[tuple[float, float, int]]) -> str:
    judged = sum(t[0] for t in totals)
    unlocked = sum(t[1] for t in totals)
    releases = sum(t[2] for t in totals)
    share = 100.0 * unlocked / judged if judged else float("nan")
    return f"{name:<26} {len(totals):>7} {judged / 60.0:>8.1f} {share:>10.2f} {releases:>9}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=None, help="data folder (default ../shared/data)")
    parser.add_argument("--synthetic-only", action="store_true")
    args = parser.parse_args(argv)
    header = f"{'input':<26} {'records':>7} {'minutes':>8} {'withheld %':>10} {'releases':>9}"
    print(header)
    if not args.synthetic_only:
        from bench.datasets import data_dir

        root = data_dir(args.data)
        if root.is_dir():
            by_set: dict[str, list[tuple[int, tuple[float, float, int]]]] = {}
            for name, i, ppg, fs in real_records(root):
                by_set.setdefault(name, []).append((i, lock_hold(ppg, fs)))
            for name, rows in by_set.items():
                print(_row(name, [r for _, r in rows]))
                print(_row("  half A", [r for i, r in rows if i % 2 == 0]))
                print(_row("  half B", [r for i, r in rows if i % 2 == 1]))
        else:
            print(f"(no data at {root}: real records skipped)")
    by_kind: dict[str, list[tuple[float, float, int]]] = {}
    for kind, x, fs in synthetic_records():
        by_kind.setdefault(kind, []).append(lock_hold(x, fs))
    for kind, totals in by_kind.items():
        print(_row(kind, totals))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
