"""Benchmark: slow hearts with a large breathing swing: is their RMSSD given, and right, or withheld with a reason?

Run from the project root::

    python -m bench.bench_slow_swing [--first-seed S] [--seeds N]

A heart at 40-60/min breathing 8-16/min has a breath every 2.5-7.5 beats; near every 4th beat its intervals
repeat almost every 4th beat, which a check for beats locked to the beat count (quadrigeminy,
device/signal/intervals.py `Stretches.beat_locked_pattern`) can take for ectopy and withhold HRV as an irregular
rhythm. Per seed, three such hearts (tests/device/signal/synthetic_rr.py `swinging_beat_times`: rate 40-60/min,
breathing 8-16/min, swing 6-16 beats/min peak to peak, each interval times 1 + 0.3-1.5 % white jitter), 90 s each,
through device.signal.hrv_metrics (the streaming tracker's code) over the device's 60 s window, newest beat last:

- ``swing``: the hearts as they are;
- ``premature 1 in 8``: the same hearts with every 8th beat 20-40 % of an interval early, full compensatory pause
  (the truth is the sinus rhythm's RMSSD without them);
- ``quadrigeminy``: the same hearts with every 4th beat 10-40 % of an interval early, with a full compensatory
  pause or none (a coin), a negative control: a beat-locked pattern that is not a breath (the truth as above);
- ``AF-like``: one irregularly irregular series per seed at 40-60/min (coefficient of variation 0.10-0.25), the
  negative control;
- ``wide``: per seed, three more hearts from the whole slow family, on draws of their own: 30-60/min, breathing
  6-20/min, a swing of 10-40 % of the rate peak to peak (a breathing swing of up to about 20 % of the interval
  either way, what real slow hearts show), the same jitter, split by heart rate (30-40/min: the fresh-clone
  tester's) and by breaths per beat; and the same hearts with every 8th beat premature as above (``wide
  premature 1 in 8``). Beat times are exact: rounded to a 25-100 samples/s grid (a peak taken at a sample,
  which the device's peak timing interpolates) even a steady heart's intervals take a few values and are
  withheld as frequent_artifacts, with or without this family's swing.

Each window is scored right (RMSSD within 20 % of the true sinus RMSSD over the same window), WRONG (an RMSSD
given but more than 20 % off; for AF-like series, any HRV given, or the rhythm called regular), or withheld (no
RMSSD, with its reason, counted by reason). The swing rows are also split by breaths per beat (breathing rate /
heart rate): near 1/2 and 1/3 a breath is a pattern every 2nd or 3rd beat that intervals cannot tell from
bigeminy or trigeminy; near 1/4 it can be told (device/signal/intervals.py `breath_every_four`). Deterministic.
Seeds 0-199 were looked at while choosing; the default, 1000-1199, are unseen.
"""

from __future__ import annotations

import argparse
from collections import Counter

import numpy as np

from device.signal import hrv_metrics
from device.signal.hrv import HrvMetrics, time_domain
from tests.device.signal.synthetic_rr import irregular_rr, swinging_beat_times

HEARTS_PER_SEED = 3
DURATION_S = 90.0
WINDOW_S = 60.0  # the device's HRV window
RIGHT_SHARE = 0.2  # an RMSSD within this share of the truth is right
PREMATURE_EVERY = 8
# breaths per beat: the bands the swing rows are split into (edges)
RATIO_BANDS = ((0.0, 0.22), (0.22, 0.28), (0.28, 0.38), (0.38, 1.0))
WIDE_HR_BANDS = ((30.0, 40.0), (40.0, 60.0))  # beats/min: the wide rows' split by heart rate


def score(metrics: HrvMetrics, truth_ms: float) -> str:
    """'right', 'WRONG' or 'withheld: <reason>'."""
    if metrics.rmssd_ms is None:
        return f"withheld: {metrics.hrv_reason}"
    return "right" if abs(metrics.rmssd_ms - truth_ms) <= RIGHT_SHARE * truth_ms else "WRONG"


def window_truth(times_s: np.ndarray, sinus_rr_s: np.ndarray) -> float:
    """RMSSD (ms) of the sinus intervals ending within the window before the newest beat."""
    ends = times_s[1:len(sinus_rr_s) + 1]
    keep = ends > times_s[-1] - WINDOW_S
    return float(time_domain(sinus_rr_s[keep] * 1000.0)["rmssd_ms"])


def line(name: str, counts: Counter[str]) -> str:
    total = sum(counts.values())
    withheld = {k.split(": ", 1)[1]: v for k, v in counts.items() if k.startswith("withheld")}
    reasons = ", ".join(f"{k} {v}" for k, v in sorted(withheld.items()))
    return (f"{name:>22} {total:>7} {counts['right']:>6} {counts['WRONG']:>6} {sum(withheld.values()):>9}"
            f"  {reasons}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--first-seed", type=int, default=1000, help="0-199 were looked at; 1000 and up are unseen")
    parser.add_argument("--seeds", type=int, default=200)
    args = parser.parse_args(argv)
    swing, premature, quadrigeminy, af = Counter[str](), Counter[str](), Counter[str](), Counter[str]()
    bands = {band: Counter[str]() for band in RATIO_BANDS}
    af_flagged = af_given = 0
    wide, wide_premature = Counter[str](), Counter[str]()
    wide_hr = {band: Counter[str]() for band in WIDE_HR_BANDS}
    wide_ratio = {band: Counter[str]() for band in RATIO_BANDS}
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        rng = np.random.default_rng(seed)
        for k in range(HEARTS_PER_SEED):
            hr_bpm, breath_bpm = float(rng.uniform(40, 60)), float(rng.uniform(8, 16))
            swing_bpm, jitter = float(rng.uniform(6, 16)), float(rng.uniform(0.003, 0.015))
            prematurity = float(rng.uniform(0.2, 0.4))
            t, rr = swinging_beat_times(DURATION_S, hr_bpm, breath_bpm, swing_bpm, jitter, 10 * seed + k)
            verdict = score(hrv_metrics(t, window_s=WINDOW_S), window_truth(t, rr))
            swing[verdict] += 1
            ratio = breath_bpm / hr_bpm
            for band, counts in bands.items():
                if band[0] <= ratio < band[1]:
                    counts[verdict] += 1
            t, rr = swinging_beat_times(DURATION_S, hr_bpm, breath_bpm, swing_bpm, jitter, 10 * seed + k,
                                        PREMATURE_EVERY, prematurity)
            premature[score(hrv_metrics(t, window_s=WINDOW_S), window_truth(t, rr))] += 1
            own = np.random.default_rng((seed, k))  # its own draws: the rows above keep theirs
            early, pause = float(own.uniform(0.1, 0.4)), bool(own.integers(2))
            t, rr = swinging_beat_times(DURATION_S, hr_bpm, breath_bpm, swing_bpm, jitter, 10 * seed + k, 4, early,
                                        pause)
            quadrigeminy[score(hrv_metrics(t, window_s=WINDOW_S), window_truth(t, rr))] += 1
        for k in range(HEARTS_PER_SEED):
            own = np.random.default_rng((seed, k, 1))  # the wide rows' own draws: the rows above keep theirs
            hr_bpm, breath_bpm = float(own.uniform(30, 60)), float(own.uniform(6, 20))
            swing_bpm, jitter = float(own.uniform(0.1, 0.4)) * hr_bpm, float(own.uniform(0.003, 0.015))
            prematurity = float(own.uniform(0.2, 0.4))
            for every, counts in ((0, wide), (PREMATURE_EVERY, wide_premature)):
                t, rr = swinging_beat_times(DURATION_S, hr_bpm, breath_bpm, swing_bpm, jitter, 10 * seed + k + 5,
                                            every, prematurity)
                verdict = score(hrv_metrics(t, window_s=WINDOW_S), window_truth(t, rr))
                counts[verdict] += 1
                if every:
                    continue
                for hr_band, hr_counts in wide_hr.items():
                    if hr_band[0] <= hr_bpm < hr_band[1]:
                        hr_counts[verdict] += 1
                for band, band_counts in wide_ratio.items():
                    if band[0] <= breath_bpm / hr_bpm < band[1]:
                        band_counts[verdict] += 1
        hr_bpm, spread = float(rng.uniform(40, 60)), float(rng.uniform(0.10, 0.25))
        rr = irregular_rr("irregular", hr_bpm, 0, 0.0, True, spread, seed, n=int(DURATION_S * hr_bpm / 60.0))
        metrics = hrv_metrics(0.3 + np.cumsum(rr), window_s=WINDOW_S)
        given = metrics.rmssd_ms is not None or metrics.coherence is not None
        af_flagged += metrics.irregular is True
        af_given += given
        if given or metrics.irregular is False:
            af["WRONG"] += 1
        else:
            af[f"withheld: {metrics.hrv_reason}"] += 1
    print(f"{'windows':>22} {'count':>7} {'right':>6} {'WRONG':>6} {'withheld':>9}  reasons withheld")
    print(line("swing", swing))
    for (low, high), counts in bands.items():
        print(line(f"breaths/beat {low:.2f}-{high:.2f}", counts))
    print(line(f"premature 1 in {PREMATURE_EVERY}", premature))
    print(line("quadrigeminy", quadrigeminy))
    print(line("AF-like", af))
    print(f"AF-like flagged irregular {af_flagged} of {args.seeds}, HRV given {af_given}")
    print(line("wide", wide))
    for (low, high), counts in wide_hr.items():
        print(line(f"{low:.0f}-{high:.0f}/min", counts))
    for (low, high), counts in wide_ratio.items():
        print(line(f"breaths/beat {low:.2f}-{high:.2f}", counts))
    print(line(f"wide premature 1 in {PREMATURE_EVERY}", wide_premature))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
