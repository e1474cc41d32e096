"""Check: the pulse pipeline of this tree gives what a baseline revision's gives, push by push.

Run from the project root::

    python -m bench.check_pulse_same [--baseline REV] [--data DIR] [--quick]

The baseline's device/ (default `main`) is extracted with `git archive` into a temporary folder; the same
worker (this file) then streams every signal below through `device.signal.pulse.PulsePipeline`, once
with the baseline's device/ first on the path and once with this tree's, each in its own process, and
the two records are compared:

- every beat: the same count per signal, times within TIME_TOL_S (1e-9 s), quality and amplitude within
  REL_TOL (1e-9) of each other;
- every push: the same finger_on, the same gaps, rolling quality within REL_TOL.

Signals: the shared recordings (CapnoBase at 100, 50 and 25 Hz, BUT PPG, Welltory, the raw MAX30102
FIFO captures, negated so that the systolic peak is up), each in 100 ms chunks and again in 200 ms ones
(the daemon's FIFO drain); and generated ones with known structure (tests/device/signal/synthetic_ppg.py):
pulses at 25/50/100 Hz with white noise of three sizes, on a MAX30102-like level (1e5 codes), chunks of
1, 7, 20 and 100 samples; a pulse with a stuck (constant) stretch, with a motion burst, with lost
samples (bridged and not), pulses that change size, coloured noise with no pulse, and phone-camera PPG.
Exit status 1 if anything differs. scipy is used here (resampling CapnoBase), never by device/.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script (the worker): bench/ and tests/ come from this tree
    sys.path.append(str(ROOT))

TIME_TOL_S = 1e-9
REL_TOL = 1e-9
# One signal: name, samples, rate (Hz), chunk (samples), first index of each chunk (lost samples) or None.
Signal = tuple[str, NDArray[np.float64], float, int, list[int] | None]


def _recordings(root: Path, quick: bool) -> Iterator[Signal]:
    from bench.datasets import capnobase_names, load_but_ppg, load_capnobase, load_welltory

    names = capnobase_names(root)[:4] if quick else None
    for fs in (100, 50, 25):
        for r in load_capnobase(root, fs, names):
            yield f"capnobase {r.name} {fs} Hz", r.ppg, float(fs), round(0.1 * fs), None
            if fs == 100:
                yield f"capnobase {r.name} {fs} Hz, 200 ms", r.ppg, float(fs), 20, None
    for rec in load_but_ppg(root, good_only=False) + load_welltory(root):
        yield f"{rec.name} {rec.fs_hz:g} Hz", rec.ppg, rec.fs_hz, max(1, round(0.1 * rec.fs_hz)), None
    raw = root / "max30102_raw"
    for path, fs in ((raw / "vrano714_rpi_25hz.csv", 25.0), (raw / "jdesbonnet_left_hand_100sps.csv", 100.0),
                     (raw / "jdesbonnet_thumb_toe_100sps.csv", 100.0)):
        if not path.exists():
            continue
        table = np.genfromtxt(path, delimiter=",", names=True)
        ir = table["ir"][table["sensor"] == 0] if "sensor" in (table.dtype.names or ()) else table["ir"]
        yield f"{path.stem} (IR, negated)", -np.asarray(ir, dtype=float), fs, round(0.1 * fs), None


def _generated() -> Iterator[Signal]:
    from tests.device.signal.synthetic_ppg import (
        hand_motion,
        phone_camera_ppg,
        power_law_noise,
        rsa_beat_times,
        synthetic_ppg,
    )

    for fs in (25.0, 50.0, 100.0):
        for noise in (0.02, 0.1, 0.3):
            for seed in (1, 2):
                x = synthetic_ppg(rsa_beat_times(120.0, hr_bpm=50.0 + 30.0 * seed), fs, 120.0, noise=noise,
                                  seed=seed)
                level = 1e5 - 1e3 * x  # a MAX30102 level with the pulse as a dip, negated back
                for chunk in (1, 7, 20, 100):
                    yield f"pulse {fs:g} Hz noise {noise} seed {seed} chunk {chunk}", -level, fs, chunk, None
        n = round(120.0 * fs)
        t = np.arange(n) / fs
        x = synthetic_ppg(rsa_beat_times(120.0), fs, 120.0, noise=0.05, seed=3)
        stuck = x.copy()
        stuck[round(40 * fs):round(60 * fs)] = stuck[round(40 * fs)]
        yield f"stuck stretch {fs:g} Hz", stuck, fs, round(0.1 * fs), None
        yield f"motion burst {fs:g} Hz", x + hand_motion(t, 50.0, 55.0, 8.0, seed=4), fs, round(0.1 * fs), None
        grown = x * np.where(t < 60.0, 1.0, 5.0)
        yield f"pulse growing five-fold {fs:g} Hz", grown, fs, round(0.1 * fs), None
        for gap_s in (0.5, 2.0, 4.0):  # bridged, bridged, restarted
            step = round(0.1 * fs)
            firsts = list(range(0, n, step))
            cut = firsts.index(round(60 * fs) // step * step)
            lost = round(gap_s * fs)
            firsts = firsts[:cut] + [f + lost for f in firsts[cut:]]
            yield f"lost {gap_s} s {fs:g} Hz", x, fs, step, firsts
        for alpha in (0.0, 1.0, 2.0):
            yield f"noise 1/f^{alpha:g} {fs:g} Hz", power_law_noise(n, alpha, seed=5), fs, round(0.1 * fs), None
    for hr in (60.0, 100.0):
        ppg, _ = phone_camera_ppg(hr, 60.0, seed=6, start="step", start_size=3.0)
        yield f"phone camera {hr:g}/min", ppg, 30.0, 3, None


def _run(signal: Signal) -> dict[str, object]:
    from device.signal.pulse import PulsePipeline

    name, x, fs, chunk, firsts = signal
    pipeline = PulsePipeline(fs)
    starts = firsts if firsts is not None else list(range(0, len(x), chunk))
    beats: list[list[float]] = []
    pushes: list[list[object]] = []
    for k, first in enumerate(starts):
        sample = k * chunk
        update = pipeline.push(x[sample:sample + chunk], first)
        beats += [[b.t_s, b.quality, b.amplitude] for b in update.beats]
        pushes.append([update.finger_on, update.quality, [list(g) for g in update.gaps]])
    beats += [[b.t_s, b.quality, b.amplitude] for b in pipeline.flush().beats]
    return {"name": name, "beats": beats, "pushes": pushes}


def worker(out: Path, data: Path | None, quick: bool) -> None:
    import device
    from bench.datasets import data_dir

    root = data_dir(data)
    signals = list(_generated()) + (list(_recordings(root, quick)) if (root / "capnobase").is_dir() else [])
    out.write_text(json.dumps({"device": device.__file__, "runs": [_run(s) for s in signals]}))


def _rel(a: float, b: float) -> float:
    return abs(a - b) / max(abs(a), abs(b), 1e-300) if a != b else 0.0


def compare(old: list[dict[str, object]], new: list[dict[str, object]]) -> tuple[list[str], dict[str, float]]:
    """(differences found, largest deviations) between two workers' runs."""
    problems: list[str] = []
    worst = {"beats": 0.0, "time_s": 0.0, "quality_rel": 0.0, "amplitude_rel": 0.0, "rolling_quality_rel": 0.0}
    if [r["name"] for r in old] != [r["name"] for r in new]:
        return ["the two runs streamed different signals"], worst
    for a, b in zip(old, new, strict=True):
        name, ba, bb = a["name"], a["beats"], b["beats"]
        assert isinstance(ba, list) and isinstance(bb, list)
        worst["beats"] += len(ba)
        if len(ba) != len(bb):
            problems.append(f"{name}: {len(ba)} beats before, {len(bb)} now")
            continue
        for (ta, qa, aa), (tb, qb, ab) in zip(ba, bb, strict=True):
            worst["time_s"] = max(worst["time_s"], abs(ta - tb))
            worst["quality_rel"] = max(worst["quality_rel"], _rel(qa, qb))
            worst["amplitude_rel"] = max(worst["amplitude_rel"], _rel(aa, ab))
            if abs(ta - tb) > TIME_TOL_S or _rel(qa, qb) > REL_TOL or _rel(aa, ab) > REL_TOL:
                problems.append(f"{name}: beat at {ta:.6f} s now {tb:.6f} s (quality {qa} -> {qb}, amp {aa} -> {ab})")
        pa, pb = a["pushes"], b["pushes"]
        assert isinstance(pa, list) and isinstance(pb, list)
        for k, ((fa, qa, ga), (fb, qb, gb)) in enumerate(zip(pa, pb, strict=True)):
            worst["rolling_quality_rel"] = max(worst["rolling_quality_rel"], _rel(qa, qb))
            if fa != fb or ga != gb or _rel(qa, qb) > REL_TOL:
                problems.append(f"{name}: push {k}: finger_on {fa} -> {fb}, quality {qa} -> {qb}, gaps {ga} -> {gb}")
                break
    return problems, worst


def main(argv: list[str] | None = None) -> int:
    from bench.baseline import compare_main

    runs = compare_main(Path(__file__), __doc__.splitlines()[0] if __doc__ else None,
                        "only 4 CapnoBase records", worker, argv)
    if runs is None:
        return 0
    problems, worst = compare(runs[0], runs[1])
    print(f"{len(runs[0])} signals, {worst['beats']:.0f} beats before; largest differences: beat time "
          f"{worst['time_s']:.2e} s, beat quality {worst['quality_rel']:.2e} (relative), amplitude "
          f"{worst['amplitude_rel']:.2e}, rolling quality {worst['rolling_quality_rel']:.2e}")
    for p in problems[:50]:
        print("DIFFERS:", p)
    print("SAME" if not problems else f"{len(problems)} differences")
    return 0 if not problems else 1


if __name__ == "__main__":
    raise SystemExit(main())
