"""Benchmark: does the spectral-peak test tell chance locks on coloured noise from real pulses?

Run from the project root::

    python -m bench.bench_spectral_peak [--data DIR] [--first-seed S] [--seeds N]

Every time the pulse pipeline asks whether a new lock's raw spectral peak stands above its power-law
background (device/signal/pulse.py, SPECTRAL_FALSE_ALARM; device/signal/pulse_spectrum.py), the
false-alarm probability p is recorded. Per input, its strongest ask (smallest p) is kept: a bar b lets an
input's lock through if that p <= b. Inputs, each streamed through device.signal.pulse.PulsePipeline in
0.1 s chunks: no pulse at all (brown 1/f^2 noise, drift as bench/bench_no_pulse.py builds it, 1/f^2.5 and
1/f^3, 2 min each, 25/50/100 samples/s, `--seeds` seeds from `--first-seed`); real records (CapnoBase at
25 Hz, BUT PPG good quality, Welltory, the raw MAX30102 captures, from DIR, skipped when absent); and
generated pulses with known truth (phone-camera PPG of 10 s, noise 0.1-0.4, 40-200/min; irregular
rhythms of spread 0.1-0.3, ectopy every 3rd, 4th or 6th beat, slow hearts of 30 and 33/min, 90 s at
25/50/100 samples/s). Prints, per bar, the noise runs whose lock would pass and the real or generated
pulses none of whose asks would. The pipeline runs as it is (a failed ask costs one more check), so
later asks after a failed one are recorded too. Deterministic.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from bench.bench_no_pulse import drift
from device.signal.pulse import PulsePipeline
from tests.device.signal.synthetic_ppg import phone_camera_ppg, power_law_noise, rsa_beat_times, synthetic_ppg
from tests.device.signal.synthetic_rr import irregular_intervals, sinus_intervals, with_ectopy

BARS = (1e-2, 1e-3, 1e-4)
Input = tuple[str, str, NDArray[np.float64], float]  # (group, name, samples, fs_hz)


class _Recording(PulsePipeline):
    """The pipeline, recording the false-alarm probability of every spectral ask."""

    def __init__(self, fs_hz: float) -> None:
        super().__init__(fs_hz)
        self.asks: list[float] = []

    def _peak_stands_out(self, n: int) -> bool:
        from device.signal import pulse as module

        end = self._raw.end
        periods = round(module.SPECTRAL_PERIODS * self._lock_interval_s * self.fs_hz)
        n = min(end - max(self._origin, self._raw.start), max(n, periods))
        p = module.peak_false_alarm(self._raw.view(end - n, end), self.fs_hz, self._lock_interval_s)
        self.asks.append(p)
        return p <= module.SPECTRAL_FALSE_ALARM


def _strongest_ask(x: NDArray[np.float64], fs_hz: float) -> float | None:
    pipeline = _Recording(fs_hz)
    step = max(1, round(0.1 * fs_hz))
    for first in range(0, len(x), step):
        pipeline.push(x[first:first + step], first)
    pipeline.flush()
    return min(pipeline.asks) if pipeline.asks else None


def _noise(first_seed: int, seeds: int) -> Iterator[Input]:
    for fs in (25, 50, 100):
        n = 120 * fs
        for seed in range(first_seed, first_seed + seeds):
            yield "noise", f"1/f^2 {fs} Hz seed {seed}", power_law_noise(n, 2.0, seed), fs
            yield "noise", f"drift {fs} Hz seed {seed}", drift(n, seed), fs
            yield "noise", f"1/f^2.5 {fs} Hz seed {seed}", power_law_noise(n, 2.5, seed), fs
            yield "noise", f"1/f^3 {fs} Hz seed {seed}", power_law_noise(n, 3.0, seed), fs


def _real(root: Path) -> Iterator[Input]:
    from bench.datasets import load_but_ppg, load_capnobase, load_welltory

    if not root.exists():
        return
    for r in load_capnobase(root, 25):
        yield "CapnoBase 25 Hz", r.name, r.ppg, 25.0
    for rec in load_but_ppg(root):
        yield "BUT PPG good", rec.name, rec.ppg, rec.fs_hz
    for rec in load_welltory(root):
        yield "Welltory", rec.name, rec.ppg, rec.fs_hz
    raw = root / "max30102_raw"
    for path, fs in ((raw / "vrano714_rpi_25hz.csv", 25.0), (raw / "jdesbonnet_left_hand_100sps.csv", 100.0),
                     (raw / "jdesbonnet_thumb_toe_100sps.csv", 100.0)):
        if path.exists():
            table = np.genfromtxt(path, delimiter=",", names=True)
            ir = table["ir"][table["sensor"] == 0] if "sensor" in (table.dtype.names or ()) else table["ir"]
            yield "MAX30102 raw", path.stem, -np.asarray(ir, dtype=float), fs


def _generated() -> Iterator[Input]:
    for seed in range(2):
        for hr in (40, 60, 80, 106, 130, 160, 200):
            for noise in (0.1, 0.2, 0.3, 0.4):
                ppg, _ = phone_camera_ppg(hr, 10.0, seed=seed, noise=noise)
                yield "camera 10 s", f"{hr}/min noise {noise} seed {seed}", ppg, 30.0
        for fs in (25, 50, 100):
            for spread in (0.1, 0.2, 0.3):
                beats = 0.3 + np.cumsum(irregular_intervals(200, seed, spread))
                yield ("irregular", f"spread {spread} {fs} Hz seed {seed}",
                       synthetic_ppg(beats[beats < 90.0], fs, 90.0, 0.01, seed=seed), fs)
            for every in (3, 4, 6):
                beats = 0.3 + np.cumsum(with_ectopy(sinus_intervals(200, seed), every, 0.3, seed) / 1000.0)
                yield ("ectopy", f"1 in {every} {fs} Hz seed {seed}",
                       synthetic_ppg(beats[beats < 90.0], fs, 90.0, 0.01, seed=seed), fs)
            for hr in (30, 33):
                beats = rsa_beat_times(90.0, hr_bpm=hr, swing_bpm=hr / 10.0)
                yield ("slow 30-33/min", f"{hr}/min {fs} Hz seed {seed}",
                       synthetic_ppg(beats, fs, 90.0, 0.01, seed=seed), fs)


def main(argv: list[str] | None = None) -> int:
    from bench.datasets import data_dir

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", default=None)
    parser.add_argument("--first-seed", type=int, default=200)
    parser.add_argument("--seeds", type=int, default=10)
    args = parser.parse_args(argv)
    strongest: dict[str, list[tuple[str, float | None]]] = {}
    for group, name, x, fs in [*_noise(args.first_seed, args.seeds), *_real(data_dir(args.data)), *_generated()]:
        strongest.setdefault(group, []).append((name, _strongest_ask(x, fs)))
    print(f"{'input':<18} {'inputs':>6} {'asked':>6} " + " ".join(f"{'pass p<=' + format(b, 'g'):>12}" for b in BARS)
          + "   weakest asks (-log10 p)")
    for group, rows in strongest.items():
        asked = [(name, p) for name, p in rows if p is not None]
        passing = [sum(p <= b for _, p in asked) for b in BARS]
        weakest = sorted(asked, key=lambda r: -r[1])[:3]
        shown = ", ".join(f"{name} {-math.log10(max(p, 1e-300)):.1f}" for name, p in weakest)
        print(f"{group:<18} {len(rows):>6} {len(asked):>6} " + " ".join(f"{v:>12}" for v in passing) + f"   {shown}")
    print("noise: inputs whose lock would pass; the rest: inputs with at least one ask that would pass")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
