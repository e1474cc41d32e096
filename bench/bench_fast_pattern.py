"""Benchmark: a fast pattern of premature beats read at a half or a third, and its opposite (a slow noisy heart
read as a pattern, at 3-4x).

Run from the project root::

    python -m bench.bench_fast_pattern [--first-seed S] [--seeds N] [--premature-height H] [--fast-only]

- fast: premature beats every 3rd or 4th beat, 25, 30, 35 or 40 % of an interval early, with and without a
  compensatory pause, at 120, 150 and 180 beats/min and 25, 50 and 100 samples/s (144 records of 45 s per seed,
  tests/device/signal/synthetic_rr.py `irregular_rr`, 1 % noise; the premature beats full height, or
  `--premature-height` H as tall as the others), through device.signal.pulse.PulsePipeline in
  0.1 s chunks and device.signal.hrv_metrics as bench_irregular_lock does: right (within 5 % of the mean or the
  sinus rate, the median interval's: either is what the device may give), read under 3/4 of the lower of them;
  and as the device shows it (the same beats, gaps and motion into device.signal.hrv.HrvTracker as
  device/sensor_channel.py wires it, its 60 s window, at the end): read under 3/4 with RMSSD shown and every reason
  null (`hrv_reason`, `hr_flag`: a wrong rate and a wrong HRV presented as trustworthy), and read right but flagged
  `hidden_beats` (HRV withheld where it was right: the flag's false alarms);
- slow: bench_rate_guards' slow camera pulses (30-40 beats/min, waves 0.3-0.8 tall 0.25-0.45 s on) at its
  heavier noise (0.2), lengths 10 and 30 s, 25/30/50/100 samples/s (288 records per seed): within 5 beats/min,
  doubled (1.8-2.5x), read over 2.5x (a slow heart taken for a pattern of three or four beats).

Seed arguments: the fast family's seed is 9000 + 500 x S (S = 0 was looked at while this was built, S = 1 not);
the slow family's is S itself (bench_rate_guards' seeds 0-1 chose PATTERN_PAUSE_MAX, 2-3 are unseen).
Deterministic.
"""

from __future__ import annotations

import argparse

import numpy as np

from bench.bench_phone_lock import heart_rate, run_record
from bench.bench_rate_guards import DELAYS, SHARES, SLOW_BPM
from device.signal.hrv import HIDDEN_BEATS, HrvMetrics, HrvTracker, hrv_metrics
from device.signal.pulse import Beat, PulsePipeline
from tests.device.signal.synthetic_ppg import phone_camera_ppg, synthetic_ppg
from tests.device.signal.synthetic_rr import irregular_rr

DURATION_S = 45.0
HR_TOLERANCE = 0.05


def through_device(beats_s: np.ndarray, fs_hz: float, length_s: float, seed: int,
                   gains: np.ndarray) -> tuple[HrvMetrics, HrvMetrics]:
    """(the figures bench_irregular_lock.through_pipeline gives, the figures the device shows) at the end of a
    clean pulse (1 % noise) with beats at `beats_s` scaled by `gains`, streamed in 0.1 s chunks: the second from
    the pipeline's beats, gaps and motion spans fed to an HrvTracker as device/sensor_channel.py feeds it."""
    x = synthetic_ppg(beats_s, fs_hz, length_s, 0.01, seed=seed, gains=gains)
    pipeline = PulsePipeline(fs_hz)
    tracker = HrvTracker()
    step = round(0.1 * fs_hz)
    got: list[Beat] = []
    updates = [pipeline.push(x[first:first + step], first) for first in range(0, len(x), step)]
    for update in [*updates, pipeline.flush()]:
        for start_s, end_s in update.gaps:
            tracker.add_gap(start_s, end_s)
        for start_s, end_s in update.motion:
            tracker.add_motion(start_s, end_s)
        tracker.add_beats(update.beats)
        got.extend(update.beats)
    bench = hrv_metrics(np.array([b.t_s for b in got]), window_s=60.0,
                        amplitudes=np.array([b.amplitude for b in got]),
                        qualities=np.array([b.quality for b in got]),
                        timing_sds=np.array([b.timing_sd_s for b in got]))
    return bench, tracker.metrics()


def fast(seed_base: int, height: float = 1.0) -> tuple[int, int, int, int, int]:
    """(records, right, under 3/4, under 3/4 with HRV shown and every reason null on the device, right but
    flagged `hidden_beats` on the device) of the fast family at one seed base, premature beats `height` as tall
    as the others (a premature beat's stroke volume is smaller: it fills less)."""
    n = right = low = shown = flagged = 0
    for fs in (25, 50, 100):
        for hr in (120, 150, 180):
            for every in (3, 4):
                for early in (0.25, 0.3, 0.35, 0.4):
                    for pause in (True, False):
                        seed = seed_base + fs + hr + 10 * every + round(100 * early) + pause
                        beats = 0.3 + np.cumsum(irregular_rr("ectopy", hr, every, early, pause, 0.0, seed))
                        beats = beats[beats < DURATION_S - 0.5]
                        intervals = np.diff(beats)
                        # the premature beats end the intervals `early` short (beat-to-beat noise is 2 %)
                        gains = np.ones(len(beats))
                        gains[1:][intervals < (1.0 - early / 2.0) * 60.0 / hr] = height
                        m, device = through_device(beats, fs, DURATION_S, seed, gains)
                        lo, hi = sorted((60.0 / float(np.mean(intervals)), 60.0 / float(np.median(intervals))))
                        n += 1
                        right += m.hr_bpm is not None and (1 - HR_TOLERANCE) * lo <= m.hr_bpm <= (1 + HR_TOLERANCE) * hi
                        low += m.hr_bpm is not None and m.hr_bpm < 0.75 * lo
                        d = device.hr_bpm
                        shown += (d is not None and d < 0.75 * lo and device.rmssd_ms is not None
                                  and device.hrv_reason is None and device.hr_flag is None)
                        flagged += (d is not None and (1 - HR_TOLERANCE) * lo <= d <= (1 + HR_TOLERANCE) * hi
                                    and device.hr_flag == HIDDEN_BEATS)
    return n, right, low, shown, flagged


def slow(seed: int) -> tuple[int, int, int, int]:
    """(records, within 5 beats/min, doubled, over 2.5x) of the slow noisy family at one seed."""
    n = within = doubled = over = 0
    for fs in (25, 30, 50, 100):
        for length in (10, 30):
            for bpm in SLOW_BPM:
                for share in SHARES:
                    for delay in DELAYS:
                        ppg, truth = phone_camera_ppg(bpm, length, seed=seed, fs_hz=fs, noise=0.2,
                                                      dicrotic_share=share, dicrotic_delay_s=delay)
                        hr = heart_rate(run_record(ppg, fs)[0])
                        true_bpm = 60.0 / float(np.median(np.diff(truth)))
                        n += 1
                        if hr is None:
                            continue
                        within += abs(hr - true_bpm) <= 5.0
                        doubled += 1.8 <= hr / true_bpm <= 2.5
                        over += hr / true_bpm > 2.5
    return n, within, doubled, over


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--premature-height", type=float, default=1.0,
                        help="fast family: premature beats' height, of the others' (default 1: full height)")
    parser.add_argument("--fast-only", action="store_true", help="leave out the slow family")
    args = parser.parse_args(argv)
    print(f"{'family':<6} {'seed':>5} {'records':>7} {'right / within 5':>16} {'< 3/4 / doubled':>15} {'> 2.5x':>6}"
          f" {'< 3/4 HRV shown':>15} {'right flagged':>13}")
    for s in range(args.first_seed, args.first_seed + args.seeds):
        n, right, low, shown, flagged = fast(9000 + 500 * s, args.premature_height)
        print(f"{'fast':<6} {9000 + 500 * s:>5} {n:>7} {right:>16} {low:>15} {'-':>6} {shown:>15} {flagged:>13}")
    for s in range(args.first_seed, args.first_seed + args.seeds if not args.fast_only else args.first_seed):
        m, within, doubled, over = slow(s)
        print(f"{'slow':<6} {s:>5} {m:>7} {within:>16} {doubled:>15} {over:>6}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
