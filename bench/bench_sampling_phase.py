"""Benchmark: fast sharp pulses at 25-50 samples/s, regular or with RSA (issue 7, "Quality means timing", fault 10).

Run from the project root::

    python -m bench.bench_sampling_phase [--seeds N] [--first-seed S]

Inputs with known truth: tests/device/signal/sharp_pulses.py `draw`, for each seed one record of every shape
("gauss", "finger", "narrow") at 25 and 50 samples/s, regular (true RMSSD 0, no breathing) and with a breathing
swing of the heart rate (RSA, 4-8 beats/min at 8-18 breaths/min); 90 s each through device.pulse.recording_metrics
(the last 60 s). Counted per family: RMSSD shown, and wrong (outside 2x +-2 ms of the truth); for regular pulses a
breathing claim (a rate shown, or a confidence of hrv.BREATH_MIN_CONFIDENCE or more); with RSA the breathing rate
right (within 1/min), wrong, or not given (with HRV withheld: its reason; or with HRV shown). Deterministic. The
tests use their own seeds (test_sampling_phase_fast.py); report seeds from 100 on (unseen).
"""

from __future__ import annotations

import argparse
from collections import Counter

import numpy as np

from device.pulse import recording_metrics
from device.signal.hrv import BREATH_MIN_CONFIDENCE
from tests.device.signal.sharp_pulses import SAMPLE_RATES_HZ, SHAPES, WINDOW_S, draw

TOLERANCE_PER_MIN = 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--first-seed", type=int, default=100)
    parser.add_argument("-v", "--verbose", action="store_true", help="print every record not right")
    args = parser.parse_args()
    counts: Counter[str] = Counter()
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        rng = np.random.default_rng(seed)
        for shape in SHAPES:
            for fs in SAMPLE_RATES_HZ:
                for breathing in (False, True):
                    r = draw(shape, fs, breathing, rng)
                    m = recording_metrics(r.ppg, float(fs), window_s=WINDOW_S)
                    family = "rsa" if breathing else "regular"
                    counts[f"{family} records"] += 1
                    shown = m.rmssd_ms is not None
                    wrong_rmssd = shown and not (r.true_rmssd_ms / 2 - 2 <= m.rmssd_ms <= 2 * r.true_rmssd_ms + 2)
                    counts[f"{family} rmssd shown"] += shown
                    counts[f"{family} rmssd wrong"] += wrong_rmssd
                    if breathing:
                        given = m.breath_rate_bpm
                        if given is None:
                            verdict = f"breath not given ({m.hrv_reason or 'HRV shown'})"
                        elif abs(given - r.breath_per_min) <= TOLERANCE_PER_MIN:
                            verdict = "breath right"
                        else:
                            verdict = "breath wrong"
                    else:
                        claim = m.breath_rate_bpm is not None or (m.breath_confidence or 0.0) >= BREATH_MIN_CONFIDENCE
                        verdict = "breath claimed" if claim else "breath none"
                    counts[f"{family} {verdict}"] += 1
                    if args.verbose and (wrong_rmssd or verdict in ("breath claimed", "breath wrong")):
                        print(f"seed {seed} {shape} {fs} Hz {r.rate_bpm:.1f}/min breathing {r.breath_per_min:.1f}: "
                              f"RMSSD {m.rmssd_ms} (true {r.true_rmssd_ms:.2f}) breath {m.breath_rate_bpm} at "
                              f"{m.breath_confidence} ({m.hrv_reason})")
    print(f"seeds {args.first_seed}-{args.first_seed + args.seeds - 1}")
    for key in sorted(counts):
        print(f"  {key}: {counts[key]}")


if __name__ == "__main__":
    main()
