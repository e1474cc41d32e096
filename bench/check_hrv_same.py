"""Check: the HRV tracker of this tree gives what a baseline revision's gives, field for field, bit for bit.

Run from the project root::

    python -m bench.check_hrv_same [--baseline REV] [--data DIR] [--quick]

The baseline's device/ (default `main`) is extracted with `git archive` into a temporary folder; the same
worker (this file) then feeds every beat series below to `device.signal.hrv.HrvTracker`, once with the
baseline's device/ first on the path and once with this tree's, each in its own process, and compares
every field of every `HrvMetrics` read (floats by their exact bits, `float.hex`: NaN, -0.0 and inf
included; None, booleans and reasons as they are) and, at every 5th beat, the 64 s tachogram's bytes.
Each series is read twice: beats added one at a time with the figures read after every beat, and
added five at a time with the figures read after each five.

Series: the rr_meditation beat series (beat times from ECG, whole recordings); the beats and gaps of the
pulse pipeline streaming the CapnoBase records at 100 Hz in 100 ms chunks (figures read after every
push that brought beats or gaps, and every 50 pushes, the daemon's 5 s publication), as
bench/bench_pulse.py streams them; and generated series with known structure
(tests/device/signal/synthetic_rr.py): sinus rhythms at 40-150 beats/min with breathing swings and
noise of several sizes, irregularly irregular ones, premature beats every 2nd to 12th beat, missed and
extra beats, gaps (add_gap, beats lost inside them) and long pauses, varied beat qualities and pulse
amplitudes (weak beats, breathing in the amplitude), a reset half-way, and a long window (300 s,
where the correction's 91-beat windows slide). Every series starts from an empty tracker, so the
windows fill from nothing. Exit status 1 if anything differs.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script (the worker): bench/ and tests/ come from this tree
    sys.path.append(str(ROOT))

MEDITATION = ("C1_med", "C1_pre", "M1", "Y1_med")


@dataclass
class Series:
    """Beats (times s, qualities, amplitudes) and gaps to feed a tracker; `reset_at` beat index or None."""

    name: str
    times_s: NDArray[np.float64]
    qualities: NDArray[np.float64] | None = None
    amplitudes: NDArray[np.float64] | None = None
    gaps: list[tuple[float, float]] = field(default_factory=list)
    window_s: float = 60.0
    reset_at: int | None = None


def _meditation(root: Path) -> Iterator[Series]:
    folder = root / "rr_meditation"
    for name in MEDITATION:
        path = folder / f"{name}_rr.csv"
        if path.exists():
            table = np.genfromtxt(path, delimiter=",", names=True)
            yield Series(f"rr_meditation {name}", np.asarray(table["t_s"], dtype=float))


def _generated() -> Iterator[Series]:
    from tests.device.signal.synthetic_rr import FAMILY, irregular_intervals, sinus_intervals, with_ectopy

    def beats(rr_ms: NDArray[np.float64], start_s: float = 3.0) -> NDArray[np.float64]:
        return np.asarray(start_s + np.cumsum(rr_ms) / 1000.0, dtype=np.float64)

    seed = 0
    for hr in (40.0, 55.0, 70.0, 90.0, 120.0, 150.0):
        for rsa, noise, breath in ((5.0, 3.0, 6.0), (30.0, 8.0, 15.0), (60.0, 20.0, 10.0)):
            seed += 1
            n = round(3.0 * hr)
            yield Series(f"sinus {hr:g}/min rsa {rsa:g} noise {noise:g} breath {breath:g}",
                         beats(sinus_intervals(n, seed, hr, rsa, noise, breath)))
    for k, (hr, rsa, noise) in enumerate(FAMILY):
        rr = sinus_intervals(round(3.0 * hr), 100 + k, hr, rsa, noise)
        for every in (2, 3, 4, 6, 12):
            for prematurity in (0.15, 0.3):
                yield Series(f"ectopy {hr:g}/min every {every} by {prematurity}",
                             beats(with_ectopy(rr, every, prematurity, seed=k + every)))
        missed = rr.copy()  # missed beats: two intervals merged
        for i in range(20, len(missed) - 2, 37):
            missed[i] += missed[i + 1]
            missed[i + 1] = -1.0
        yield Series(f"missed beats {hr:g}/min", beats(missed[missed > 0]))
        extra = list(rr)  # extra beats: an interval split
        for i in range(len(rr) - 5, 15, -41):
            extra[i:i + 1] = [0.35 * rr[i], 0.65 * rr[i]]
        yield Series(f"extra beats {hr:g}/min", beats(np.asarray(extra)))
        t = beats(rr)
        lost = (t > 70.0) & (t < 74.0)
        yield Series(f"gap with beats lost {hr:g}/min", t[~lost], gaps=[(70.5, 73.8)])
        yield Series(f"gaps between beats {hr:g}/min", t, gaps=[(40.0, 40.05), (90.0, 91.5), (95.0, 95.2)])
        yield Series(f"long pause {hr:g}/min", np.concatenate([t[t < 60.0], t[t > 64.5]]))
        rng = np.random.default_rng(200 + k)
        quality = np.clip(rng.normal(0.7, 0.25, len(t)), 0.05, 1.0)
        quality[len(t) // 3:len(t) // 2] = 0.3  # a poor stretch: HRV withheld for low quality
        amplitude = 1.0 + 0.2 * np.sin(2 * np.pi * 0.25 * t) + 0.02 * rng.standard_normal(len(t))
        amplitude[::23] *= 0.3  # weak beats
        amplitude[5::31] = 0.0  # unknown amplitude
        yield Series(f"qualities and amplitudes {hr:g}/min", t, quality, amplitude)
        yield Series(f"reset half-way {hr:g}/min", t, reset_at=len(t) // 2)
        yield Series(f"300 s window {hr:g}/min", beats(sinus_intervals(round(6.0 * hr), 300 + k, hr, rsa, noise)),
                     window_s=300.0)
    for spread in (0.1, 0.2, 0.3):
        for s in (1, 2):
            yield Series(f"irregular spread {spread} seed {s}", beats(1000.0 * irregular_intervals(220, s, spread)))
    t = beats(sinus_intervals(200, 7))
    yield Series("duplicate and early beats", np.sort(np.concatenate([t, t[50:55], t[90:91] - 0.01])))


def _value(v: object) -> object:
    if isinstance(v, bool) or v is None or isinstance(v, str | int):
        return v
    if isinstance(v, float):
        return v.hex()
    raise TypeError(f"unexpected field value {v!r}")


def _record(tracker: object, tachogram: bool) -> list[object]:
    from dataclasses import fields

    from device.signal.hrv import HrvTracker

    assert isinstance(tracker, HrvTracker)
    m = tracker.metrics()
    row = [[f.name, _value(getattr(m, f.name))] for f in fields(m)]
    if tachogram:
        tach = tracker.tachogram(64.0)
        digest = None if tach is None else hashlib.sha1(tach[0].tobytes() + tach[1].tobytes()).hexdigest()
        row.append(["tachogram", digest])
    return row


def _run_series(s: Series, step: int) -> list[list[object]]:
    from device.signal.hrv import HrvTracker
    from device.signal.pulse import Beat

    n = len(s.times_s)
    q = np.full(n, 0.9) if s.qualities is None else s.qualities
    a = np.full(n, 1.0) if s.amplitudes is None else s.amplitudes
    all_beats = [Beat(float(t), float(qq), float(aa)) for t, qq, aa in zip(s.times_s, q, a, strict=True)]
    tracker = HrvTracker(window_s=s.window_s)
    gaps = sorted(s.gaps)
    out: list[list[object]] = [_record(tracker, False)]
    for first in range(0, n, step):
        chunk = all_beats[first:first + step]
        if s.reset_at is not None and first <= s.reset_at < first + step:
            tracker.reset()
        while gaps and gaps[0][1] < chunk[-1].t_s:
            tracker.add_gap(*gaps.pop(0))
        tracker.add_beats(chunk)
        out.append(_record(tracker, step > 1))
    return out


def _run_pulse(name: str, ppg: NDArray[np.float64], fs_hz: float) -> list[list[list[object]]]:
    """Figures after every push that brought beats or gaps, and after every 50th push."""
    from device.signal.hrv import HrvTracker
    from device.signal.pulse import PulsePipeline

    runs = []
    for every in (1, 50):
        pipeline = PulsePipeline(fs_hz)
        tracker = HrvTracker()
        chunk = round(0.1 * fs_hz)
        rows: list[list[object]] = []
        changed = False
        for k, first in enumerate(range(0, len(ppg), chunk)):
            update = pipeline.push(ppg[first:first + chunk], first)
            for gap in update.gaps:
                tracker.add_gap(*gap)
            tracker.add_beats(update.beats)
            changed = changed or bool(update.beats) or bool(update.gaps)
            if changed and (every == 1 or k % every == every - 1):
                rows.append(_record(tracker, every > 1))
                changed = False
        runs.append(rows)
    return runs


def worker(out: Path, data: Path | None, quick: bool) -> None:
    import device
    from bench.datasets import capnobase_names, data_dir, load_capnobase

    root = data_dir(data)
    series = list(_generated()) + list(_meditation(root))
    if quick:
        series = series[::4]
    runs = []
    for s in series:
        for step in (1, 5):
            runs.append({"name": f"{s.name}, {step} at a time", "rows": _run_series(s, step)})
    if (root / "capnobase").is_dir():
        names = capnobase_names(root)[:3] if quick else None
        for r in load_capnobase(root, 100, names):
            for every, rows in zip((1, 50), _run_pulse(r.name, r.ppg, 100.0), strict=True):
                runs.append({"name": f"capnobase {r.name} 100 Hz, read every {every} pushes", "rows": rows})
    out.write_text(json.dumps({"device": device.__file__, "runs": runs}))


FIELDS_CHANGED: Counter[str] = Counter()  # field name -> readings in which it differed (filled by compare)


def compare(old: list[dict[str, object]], new: list[dict[str, object]]) -> tuple[list[str], int]:
    """(differences found, figures compared) between two workers' runs."""
    if [r["name"] for r in old] != [r["name"] for r in new]:
        return ["the two runs fed different series"], 0
    problems: list[str] = []
    compared = 0
    for a, b in zip(old, new, strict=True):
        ra, rb = a["rows"], b["rows"]
        assert isinstance(ra, list) and isinstance(rb, list)
        if len(ra) != len(rb):
            problems.append(f"{a['name']}: {len(ra)} readings before, {len(rb)} now")
            continue
        for k, (x, y) in enumerate(zip(ra, rb, strict=True)):
            compared += len(x)
            if x != y:
                diff = [f"{fa}: {va} -> {vb}" for (fa, va), (_, vb) in zip(x, y, strict=True) if va != vb]
                FIELDS_CHANGED.update(fa for (fa, va), (_, vb) in zip(x, y, strict=True) if va != vb)
                problems.append(f"{a['name']}: reading {k}: {'; '.join(diff)}")
    return problems, compared


REASONS_CHANGED: Counter[tuple[str, str]] = Counter()


def main(argv: list[str] | None = None) -> int:
    from bench.baseline import compare_main

    runs = compare_main(Path(__file__), __doc__.splitlines()[0] if __doc__ else None,
                        "a quarter of the series, 3 CapnoBase records", worker, argv)
    if runs is None:
        return 0
    problems, compared = compare(runs[0], runs[1])
    readings = sum(len(r["rows"]) for r in runs[0])
    given = sum(1 for r in runs[0] for row in r["rows"] if dict(map(tuple, row)).get("rmssd_ms") is not None)
    print(f"{len(runs[0])} runs, {readings} readings ({given} with RMSSD given), {compared} values compared")
    for p in problems[:50]:
        print("DIFFERS:", p)
    print("SAME" if not problems else f"{len(problems)} readings differ")
    by_series = Counter(p.split(": reading ")[0].rsplit(", ", 1)[0] for p in problems)
    for name, count in by_series.most_common():
        print(f"  {count:5d} in {name}")
    for p in problems:
        if "hrv_reason:" in p:
            reason = p.split("hrv_reason: ", 1)[1].split(";")[0]
            REASONS_CHANGED[(p.split(": reading ")[0].rsplit(", ", 1)[0], reason)] += 1
    for (name, change), count in REASONS_CHANGED.most_common():
        print(f"  hrv_reason {change} in {count} readings of {name}")
    if FIELDS_CHANGED:
        print("readings in which each field differs:",
              ", ".join(f"{name} {count}" for name, count in FIELDS_CHANGED.most_common()))
    return 0 if not problems else 1


if __name__ == "__main__":
    raise SystemExit(main())
