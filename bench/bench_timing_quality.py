"""Benchmark: does beat quality predict timing error, and is HRV right or withheld, in noise of any colour?

Run from the project root::

    python -m bench.bench_timing_quality [--seeds N] [--first-seed S] [--rates 25,50,100]

Input family (issue 7, fault 6): the synthetic fingertip pulse of tests/device/signal/synthetic_ppg.py
(amplitude about 1, a heart whose rate swings with breathing, so the true RMSSD is known) plus 1/f^alpha
Gaussian noise (alpha 0 white, 1 pink, 2 brown) of standard deviation LEVEL, plus a small white sensor
floor; 90 s at 25, 50 and 100 samples/s and 30-220 beats/min. Through device.signal.pulse.stream_beats and
device.signal.hrv.hrv_metrics (the device's code). Per rate, colour and level, pooled over heart rates and
seeds:
- `err ms`: the measured timing error (standard deviation of beat time minus true peak, matched beats);
- `q->ms`: the error the median beat quality claims (10 ms x sqrt(1/q - 1); the quality's definition);
- `shown`: windows (records) whose RMSSD was given; `bad`: of those, how many were off by more than
  2x truth + 2 ms either way (what tests/device/signal/test_timing_quality.py asserts), and `hr bad`: records
  given a heart rate more than 10 % off;
- the reasons HRV was withheld.
Deterministic; seeds 0-1 are those the tests use, other seeds are unseen inputs.
"""

from __future__ import annotations

import argparse
from collections import Counter
from dataclasses import dataclass

import numpy as np

from bench.scoring import match_beats
from device.signal.hrv import hrv_metrics
from device.signal.pulse import stream_beats
from tests.device.signal.synthetic_ppg import power_law_noise, rsa_beat_times, synthetic_ppg, true_peaks_s

ALPHAS = (0.0, 0.5, 1.0, 1.5, 2.0)
LEVELS = (0.03, 0.1, 0.33, 0.6)
RATES_HZ = (25, 50, 100)
HEART_RATES = (30, 45, 70, 110, 160, 220)
DURATION_S = 90.0
SENSOR_FLOOR = 0.002  # white sensor noise under the coloured noise, of the pulse's size


@dataclass(frozen=True)
class Outcome:
    """One record's result."""

    err_ms: float | None  # measured timing error (None: too few matched beats)
    claimed_ms: float | None  # the error the median beat quality claims (None: no beats)
    rmssd_ms: float | None  # as shown (None: withheld)
    true_rmssd_ms: float
    hr_bpm: float | None
    true_hr_bpm: float
    reason: str | None


def pulse_in_noise(hr_bpm: float, fs_hz: float, alpha: float, level: float, seed: int,
                   duration_s: float = DURATION_S) -> tuple[np.ndarray, np.ndarray]:
    """(samples, true systolic peak times s): the synthetic pulse plus 1/f^alpha noise of SD `level`."""
    swing = 2.0 + hr_bpm / 20.0  # the breathing swing of the rate, beats/min: RMSSD 1-40 ms across the rates
    beats = rsa_beat_times(duration_s, hr_bpm=hr_bpm, swing_bpm=swing, breath_bpm=6.0)
    n = round(duration_s * fs_hz)
    rng = np.random.default_rng(seed + 50_000)
    x = (synthetic_ppg(beats, fs_hz, duration_s) + level * power_law_noise(n, alpha, seed)
         + SENSOR_FLOOR * rng.standard_normal(n))
    return x, true_peaks_s(beats)


def run(hr_bpm: float, fs_hz: float, alpha: float, level: float, seed: int) -> Outcome:
    """One record through the pipeline and the HRV tracker."""
    x, truth = pulse_in_noise(hr_bpm, fs_hz, alpha, level, seed)
    true_rmssd = 1000.0 * float(np.sqrt(np.mean(np.diff(np.diff(truth)) ** 2)))
    true_hr = 60.0 / float(np.median(np.diff(truth)))
    beats = stream_beats(x, fs_hz)
    if len(beats) < 3:
        return Outcome(None, None, None, true_rmssd, None, true_hr, "no_beats")
    t = np.asarray([b.t_s for b in beats])
    q = np.asarray([b.quality for b in beats])
    metrics = hrv_metrics(t, qualities=q, amplitudes=np.asarray([b.amplitude for b in beats]),
                          timing_sds=np.asarray([b.timing_sd_s for b in beats]))
    matches = match_beats(truth, t)
    err = None
    if len(matches) >= 10:
        d = t[matches[:, 1]] - truth[matches[:, 0]]
        err = 1000.0 * float(np.std(d))
    median_q = float(np.median(q))
    claimed = 10.0 * float(np.sqrt(1.0 / median_q - 1.0)) if median_q > 0 else float("inf")
    return Outcome(err, claimed, metrics.rmssd_ms, true_rmssd, metrics.hr_bpm, true_hr, metrics.hrv_reason)


def rmssd_ok(shown: float, truth: float) -> bool:
    """The bound the tests assert on a shown RMSSD: within 2x of truth, with 2 ms of slack."""
    return (truth - 2.0) / 2.0 <= shown <= 2.0 * truth + 2.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--first-seed", type=int, default=0, help="seeds S .. S+N-1")
    parser.add_argument("--rates", default=",".join(map(str, RATES_HZ)), help="sample rates, comma-separated")
    args = parser.parse_args(argv)
    rates = tuple(int(r) for r in args.rates.split(","))
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    print(f"{'fs':>4} {'alpha':>5} {'level':>5} {'err ms':>7} {'q->ms':>7} {'shown':>7} {'bad':>4} {'hr bad':>6}  "
          "withheld (reason: records)")
    totals = Counter()
    for fs_hz in rates:
        for alpha in ALPHAS:
            for level in LEVELS:
                outs = [run(hr, fs_hz, alpha, level, s) for hr in HEART_RATES for s in seeds]
                errs = [o.err_ms for o in outs if o.err_ms is not None]
                claimed = [o.claimed_ms for o in outs if o.claimed_ms is not None]
                shown = [o for o in outs if o.rmssd_ms is not None]
                bad = sum(not rmssd_ok(o.rmssd_ms, o.true_rmssd_ms) for o in shown if o.rmssd_ms is not None)
                hr_bad = sum(o.hr_bpm is not None and abs(o.hr_bpm / o.true_hr_bpm - 1.0) > 0.1 for o in outs)
                reasons = Counter(o.reason for o in outs if o.rmssd_ms is None)
                totals.update(records=len(outs), shown=len(shown), bad=bad, hr_bad=hr_bad)
                err_s = f"{np.median(errs):7.1f}" if errs else f"{'-':>7}"
                claimed_s = f"{np.median(claimed):7.1f}" if claimed else f"{'-':>7}"
                why = ", ".join(f"{k}: {v}" for k, v in sorted(reasons.items(), key=lambda kv: str(kv[0])))
                print(f"{fs_hz:>4} {alpha:>5g} {level:>5g} {err_s} {claimed_s} {len(shown):>3}/{len(outs):<3} "
                      f"{bad:>4} {hr_bad:>6}  {why}", flush=True)
    print(f"all: {totals['records']} records, RMSSD shown on {totals['shown']}, off by more than the bound on "
          f"{totals['bad']}; heart rate off by > 10 % on {totals['hr_bad']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
