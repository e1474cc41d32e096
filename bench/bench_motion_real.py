"""Benchmark: what the motion rule costs real recordings (issue 7, fault 2), with it and without it.

Run from the project root::

    python -m bench.bench_motion_real [--data DIR] [--sets but_ppg,welltory,capnobase100,capnobase25,max30102]
                                      [--half all|A|B] [--records]

The recordings (bench/datasets.py; `../shared/data` by default) hold no deliberate motion, so every second the
motion rule withholds there is coverage lost. Each record goes the device's way: its PPG in 0.1 s chunks
through `PulsePipeline` (a MAX30102 recording as the device feeds it, the negated IR counts), beats, gaps
and motion spans into an `HrvTracker` as `device/sensor_channel.py` wires them ("motion"), and the same
beats and gaps into a second tracker that is never told of motion ("no motion": the code before the motion
rule, whose beats are the same since the rule drops none). Both trackers' metrics are read after every chunk
and gated as the device gates them (device/sensor_channel.py: none while the pipeline tracks no pulse or
with no beat for STALE_AFTER_S; the session's settling is left out).

Printed per data set, for each tracker:
- `HR cov`: share of the record's time (every chunk, pooled over records) with a heart rate shown;
  `motion`: share of that time withheld with `hr_reason` `motion` (the rule's own cost);
- `HR err`: mean |shown HR - reference| over the chunks given one (CapnoBase: 60 / the median reference
  interval in the tracker's 60 s window; BUT PPG: the ECG rate; Welltory: the Polar mean rate, not time-aligned;
  MAX30102 recordings have no reference);
- `rec HR`: bench_pulse's record figure (BUT PPG, Welltory): one tracker over the whole record, HR at its end,
  mean |error| over records given one, and the share given (`rec cov`);
- `F1` (CapnoBase): the pipeline's beats against the reference (bench_pulse's matching); the same for both;
- `RMSSD60`: bench_pulse's "shown" RMSSD error per whole 60 s window (`hrv_metrics` on the window's beats,
  with the window's motion spans for "motion"), mean |error| over the windows given one, the share given
  (`cov60`) and the share withheld for motion (`mot60`).
Half A / B: the even / odd positions of each data set's list (bench_pulse's split; A is where choices are made).
Deterministic (same data, same numbers).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass, field
from math import gcd
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy.signal import resample_poly

from bench.datasets import capnobase_names, data_dir, load_but_ppg, load_capnobase, load_welltory
from bench.scoring import match_beats, window_rmssd_ms, window_slices
from device.sensor_channel import NO_FINGER, NO_RECENT_BEATS, STALE_AFTER_S
from device.signal import hrv
from device.signal.hrv import HrvMetrics, HrvTracker, hrv_metrics
from device.signal.pulse import Beat, PulsePipeline

MOTION = getattr(hrv, "MOTION", "motion")  # the reason; the code before the rule has no such name
CHUNK_S = 0.1
WINDOW_S = 60.0  # the device's HR/HRV window (HrvTracker's default)
MAX30102_FILES = {  # file -> (nominal samples/s the device would run at, sensor column value or None)
    "jdesbonnet_left_hand_100sps.csv": (100, (0, 1)),
    "jdesbonnet_thumb_toe_100sps.csv": (100, (0, 1)),
    "jdesbonnet_left_hand_200sps.csv": (100, (0,)),  # 200 sps, resampled to the device's highest rate
    "vrano714_rpi_25hz.csv": (25, None),
}


@dataclass
class Record:
    """One recording to replay, with what reference it has."""

    name: str
    fs_hz: float
    ppg: NDArray[np.float64]
    ref_beats_s: NDArray[np.float64] | None = None
    ref_hr_bpm: float | None = None


@dataclass
class Replay:
    """What one record gave: per chunk (time, HR with motion, its reason, HR without), beats, spans."""

    chunk_t_s: list[float] = field(default_factory=list)
    hr_motion: list[float | None] = field(default_factory=list)
    reason_motion: list[str | None] = field(default_factory=list)
    hr_plain: list[float | None] = field(default_factory=list)
    beats: list[Beat] = field(default_factory=list)
    gaps: list[tuple[float, float]] = field(default_factory=list)
    motion: list[tuple[float, float]] = field(default_factory=list)


def _shown(metrics: HrvMetrics, now_s: float, finger_on: bool) -> HrvMetrics:
    """The tracker's figures as the device shows them (device/sensor_channel.py's current_metrics, less the
    session's settling): withheld while the pipeline tracks no pulse, or with no beat for STALE_AFTER_S."""
    if not finger_on:
        return metrics.withheld(NO_FINGER)
    if metrics.n_beats and now_s - metrics.t_s > STALE_AFTER_S:
        return metrics.withheld(NO_RECENT_BEATS)
    return metrics


def replay(rec: Record) -> Replay:
    """The record through the pipeline and both trackers, chunk by chunk (see the module docstring)."""
    pipeline = PulsePipeline(rec.fs_hz)
    with_motion, plain = HrvTracker(WINDOW_S), HrvTracker(WINDOW_S)
    out = Replay()
    step = max(1, round(CHUNK_S * rec.fs_hz))
    for first in range(0, len(rec.ppg), step):
        update = pipeline.push(rec.ppg[first:first + step], first)
        for a, b in update.gaps:
            with_motion.add_gap(a, b)
            plain.add_gap(a, b)
            out.gaps.append((a, b))
        for a, b in getattr(update, "motion", ()):  # absent on the code before the rule
            with_motion.add_motion(a, b)
            out.motion.append((a, b))
        with_motion.add_beats(update.beats)
        plain.add_beats(update.beats)
        out.beats.extend(update.beats)
        now_s = min(first + step, len(rec.ppg)) / rec.fs_hz
        m = _shown(with_motion.metrics(), now_s, update.finger_on)
        p = _shown(plain.metrics(), now_s, update.finger_on)
        out.chunk_t_s.append(now_s)
        out.hr_motion.append(m.hr_bpm)
        out.reason_motion.append(m.hr_reason)
        out.hr_plain.append(p.hr_bpm)
    out.beats.extend(pipeline.flush().beats)
    return out


def _ref_hr(rec: Record, t_s: float) -> float | None:
    if rec.ref_hr_bpm is not None:
        return rec.ref_hr_bpm
    if rec.ref_beats_s is None:
        return None
    ref = rec.ref_beats_s
    ends = ref[1:]
    ibi = np.diff(ref)[(ends > t_s - WINDOW_S) & (ends <= t_s)]
    return 60.0 / float(np.median(ibi)) if len(ibi) >= 2 else None


def _record_hr(beats: Sequence[Beat], gaps: Sequence[tuple[float, float]],
               motion: Sequence[tuple[float, float]], duration_s: float) -> float | None:
    """bench_pulse's record HR: one tracker over the whole record, read at its end."""
    tracker = HrvTracker(window_s=duration_s + 1.0, coherence_window_s=1e6)
    for a, b in gaps:
        tracker.add_gap(a, b)
    for a, b in motion:
        tracker.add_motion(a, b)
    tracker.add_beats(beats)
    return tracker.metrics().hr_bpm


def _window_shown(beats: Sequence[Beat], motion: Sequence[tuple[float, float]],
                  duration_s: float) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """RMSSD per whole 60 s window as bench_pulse's "shown" (NaN where withheld), and where it was withheld
    for motion."""
    t = np.asarray([b.t_s for b in beats])
    q = np.asarray([b.quality for b in beats])
    a = np.asarray([b.amplitude for b in beats])
    slices = window_slices(t, duration_s)
    shown = np.full(len(slices), np.nan)
    for_motion = np.zeros(len(slices), dtype=bool)
    for w, sl in enumerate(slices):
        if len(t[sl]) < 3:
            continue
        lo, hi = w * WINDOW_S, (w + 1) * WINDOW_S
        spans = [(max(s, lo), min(e, hi)) for s, e in motion if e > lo and s < hi]
        by_motion = {"motion": spans} if spans else {}  # the code before the rule takes no such argument
        m = hrv_metrics(t[sl], qualities=q[sl], amplitudes=a[sl], **by_motion)
        if m.rmssd_ms is not None:
            shown[w] = m.rmssd_ms
        for_motion[w] = m.hrv_reason == MOTION
    return shown, for_motion


@dataclass
class Tally:
    """Sums over the records of one data set (or half)."""

    time_s: float = 0.0
    hr_s: dict[str, float] = field(default_factory=lambda: {"motion": 0.0, "plain": 0.0})
    motion_s: float = 0.0
    err: dict[str, list[float]] = field(default_factory=lambda: {"motion": [], "plain": []})
    rec_err: dict[str, list[float]] = field(default_factory=lambda: {"motion": [], "plain": []})
    records: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0
    w_err: dict[str, list[float]] = field(default_factory=lambda: {"motion": [], "plain": []})
    windows: int = 0
    w_motion: int = 0


def score(rec: Record, run: Replay, tally: Tally) -> dict[str, float]:
    """Add one record to the tally; returns its own figures (for --records)."""
    duration_s = len(rec.ppg) / rec.fs_hz
    tally.records += 1
    own = {"motion_share": 0.0, "lost_share": 0.0, "spans": float(len(run.motion))}
    for t_s, hr_m, reason, hr_p in zip(run.chunk_t_s, run.hr_motion, run.reason_motion, run.hr_plain,
                                        strict=True):
        tally.time_s += CHUNK_S
        ref = _ref_hr(rec, t_s)
        for key, hr in (("motion", hr_m), ("plain", hr_p)):
            if hr is not None:
                tally.hr_s[key] += CHUNK_S
                if ref is not None:
                    tally.err[key].append(abs(hr - ref))
        if reason == MOTION:
            tally.motion_s += CHUNK_S
            own["motion_share"] += CHUNK_S / duration_s
        if hr_p is not None and hr_m is None:
            own["lost_share"] += CHUNK_S / duration_s
    if rec.ref_hr_bpm is not None:
        for key, spans in (("motion", run.motion), ("plain", [])):
            hr = _record_hr(run.beats, run.gaps, spans, duration_s)
            if hr is not None:
                tally.rec_err[key].append(abs(hr - rec.ref_hr_bpm))
    if rec.ref_beats_s is not None:
        det = np.asarray([b.t_s for b in run.beats])
        matches = match_beats(rec.ref_beats_s, det)
        tally.tp += len(matches)
        tally.fp += len(det) - len(matches)
        tally.fn += len(rec.ref_beats_s) - len(matches)
        ref60 = window_rmssd_ms(rec.ref_beats_s, duration_s)
        for key, spans in (("motion", run.motion), ("plain", [])):
            shown, for_motion = _window_shown(run.beats, spans, duration_s)
            tally.w_err[key].extend(abs(r - s) if not np.isnan(s) else float("nan")
                                    for r, s in zip(ref60, shown, strict=True) if not np.isnan(r))
            if key == "motion":
                tally.windows += int(np.sum(~np.isnan(ref60)))
                tally.w_motion += int(np.sum(for_motion & ~np.isnan(ref60)))
    return own


# ---------------------------------------------------------------- data sets

def _load_max30102(root: Path) -> list[Record]:
    """The raw MAX30102 recordings, one record per sensor, IR counts negated (pulses up), as the device feeds
    them; at the device's rate (200 sps resampled to 100, anti-aliased)."""
    folder = root / "max30102_raw"
    records = []
    for name, (fs_hz, sensors) in MAX30102_FILES.items():
        path = folder / name
        if not path.is_file():
            continue
        rows = np.genfromtxt(path, delimiter=",", skip_header=1)
        for sensor in sensors if sensors is not None else (None,):
            ir = rows[:, 3] if sensor is None else rows[rows[:, 1] == sensor, 3]
            native = 200 if "200sps" in name else fs_hz
            if native != fs_hz:
                g = gcd(native, fs_hz)
                ir = resample_poly(ir, fs_hz // g, native // g)
            label = name.removesuffix(".csv") + ("" if sensor is None else f" sensor {sensor}")
            records.append(Record(label, float(fs_hz), -np.asarray(ir, dtype=float)))
    return records


def load_sets(root: Path, names: Sequence[str]) -> dict[str, list[Record]]:
    sets: dict[str, list[Record]] = {}
    for name in names:
        if name == "but_ppg":
            sets["BUT PPG good 30 Hz"] = [Record(r.name, r.fs_hz, r.ppg, ref_hr_bpm=r.ref_hr_bpm)
                                          for r in load_but_ppg(root)]
        elif name == "welltory":
            sets["Welltory 30 Hz"] = [Record(r.name, r.fs_hz, r.ppg, ref_hr_bpm=r.ref_hr_bpm)
                                      for r in load_welltory(root)]
        elif name.startswith("capnobase"):
            fs_hz = int(name.removeprefix("capnobase"))
            sets[f"CapnoBase {fs_hz} Hz"] = [Record(r.name, r.fs_hz, r.ppg, ref_beats_s=r.ref_beats_s)
                                             for r in load_capnobase(root, fs_hz, capnobase_names(root))]
        elif name == "max30102":
            sets["MAX30102 raw"] = _load_max30102(root)
        else:
            raise SystemExit(f"unknown set {name!r}")
    return sets


# ---------------------------------------------------------------- report

def _mean(values: list[float]) -> str:
    given = [v for v in values if not np.isnan(v)]
    return f"{np.mean(given):6.2f}" if given else "     -"


def _share(part: float, whole: float) -> str:
    return f"{part / whole:6.3f}" if whole else "     -"


def report(label: str, tally: Tally) -> list[str]:
    lines = []
    for key, title in (("plain", "no motion"), ("motion", "motion")):
        w = tally.w_err[key]
        given = sum(not np.isnan(e) for e in w)
        rec = tally.rec_err[key]
        f1 = 2 * tally.tp / (2 * tally.tp + tally.fp + tally.fn) if tally.tp + tally.fp + tally.fn else None
        lines.append(
            f"{label:<24} {title:<9} {tally.records:>3} {_share(tally.hr_s[key], tally.time_s)} "
            f"{_share(tally.motion_s if key == 'motion' else 0.0, tally.time_s)} {_mean(tally.err[key])} "
            f"{_mean(rec) if rec else '     -'} {_share(len(rec), tally.records) if rec else '     -'} "
            f"{'     -' if f1 is None else format(f1, '6.4f')} {_mean(w) if w else '     -'} "
            f"{_share(given, len(w)) if w else '     -'} "
            f"{_share(tally.w_motion if key == 'motion' else 0, tally.windows) if w else '     -'}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=None, help="data folder (default ../shared/data)")
    parser.add_argument("--sets", default="but_ppg,welltory,capnobase100,capnobase25,max30102")
    parser.add_argument("--half", choices=("all", "A", "B"), default="all",
                        help="A: even positions of each set's list, B: odd (bench_pulse's split)")
    parser.add_argument("--records", action="store_true", help="print each record that lost HR time")
    args = parser.parse_args(argv)
    root = data_dir(args.data)
    head = (f"{'data':<24} {'tracker':<9} {'rec':>3} {'HR cov':>6} {'motion':>6} {'HR err':>6} {'rec HR':>6} "
            f"{'recCov':>6} {'F1':>6} {'RMSSD60':>7} {'cov60':>6} {'mot60':>6}")
    print(head)
    print("-" * len(head))
    for label, records in load_sets(root, args.sets.split(",")).items():
        picked = {"all": records, "A": records[0::2], "B": records[1::2]}[args.half]
        tally = Tally()
        lost: list[str] = []
        for rec in picked:
            own = score(rec, replay(rec), tally)
            if own["lost_share"] > 0 or own["motion_share"] > 0:
                lost.append(f"    {rec.name}: HR lost {own['lost_share']:.3f} of the record, withheld for motion "
                            f"{own['motion_share']:.3f}, {own['spans']:.0f} motion spans")
        for line in report(f"{label} ({args.half})" if args.half != "all" else label, tally):
            print(line)
        if args.records:
            print("\n".join(lost) if lost else "    (no record lost HR time)")
    print("HR cov / motion: share of the records' time with an HR shown / withheld for motion; HR err, rec HR and "
          "RMSSD60 in bpm / ms (definitions: module docstring)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
