"""Benchmark: does the amplitude view of breathing read breathing, and only breathing? (issue 7, item 10)

Run from the project root::

    python -m bench.bench_riav [--seeds N] [--first-seed S] [--device]

Inputs with known truth: tests/device/signal/riav_pulses.py `draw`, two families per seed:
- no breathing: a pulse of any of three shapes, 30-220 beats/min, 25/50/100 samples/s, regular or with
  5-30 ms interval jitter, with or without white noise (0.5-5 % of the pulse), at any scale (1e-3..1e4), no
  amplitude modulation and no RSA. Counted wrong when a breathing rate is shown or the confidence reaches
  hrv.BREATH_MIN_CONFIDENCE (the payload carries it);
- breathing: the same with the pulse height modulated by breathing (gain 1 + depth sin, depth 5-20 %, 6-20
  breaths/min), no RSA, a resting heart (45-120/min, 5-30 ms jitter). Counted right when the breathing rate
  shown is within 1 breath/min of the truth; the misses are split into HRV withheld (the tracker then shows no
  breathing rate whatever the views say: its reason is given) and shown but wrong or not shown.

Each record (90 s) goes through device.pulse.recording_metrics (PulsePipeline in 0.1 s chunks, then the HRV
tracker over the last 60 s); `--device` instead streams 0.4 s blocks into PulsePipeline and a streaming
HrvTracker, as device/sensor_channel.py does, and judges every figure from 40 s on (each 5 s). Deterministic.
Seeds 0-119 were looked at while the change was made; report others (e.g. --first-seed 1000).
"""

from __future__ import annotations

import argparse
from collections import Counter

from device.pulse import recording_metrics
from device.signal.hrv import BREATH_MIN_CONFIDENCE, HrvMetrics, HrvTracker
from device.signal.pulse import PulsePipeline
from tests.device.signal.riav_pulses import Record, draw

WINDOW_S = 60.0
TOLERANCE_PER_MIN = 1.0
DEVICE_BLOCK_S = 0.4  # the device's read period at 50 samples/s (docs/measurements.md)
DEVICE_FROM_S = 40.0
DEVICE_EVERY_S = 5.0


def device_metrics(record: Record) -> list[HrvMetrics]:
    """The HRV tracker's figures every DEVICE_EVERY_S from DEVICE_FROM_S on, streamed as the device does."""
    pipeline = PulsePipeline(record.fs_hz)
    tracker = HrvTracker(window_s=WINDOW_S)
    step = round(DEVICE_BLOCK_S * record.fs_hz)
    out: list[HrvMetrics] = []
    next_s = DEVICE_FROM_S
    for first in range(0, len(record.ppg), step):
        update = pipeline.push(record.ppg[first:first + step], first)
        for start_s, end_s in update.gaps:
            tracker.add_gap(start_s, end_s)
        for start_s, end_s in update.motion:
            tracker.add_motion(start_s, end_s)
        tracker.add_beats(list(update.beats))
        if (first + step) / record.fs_hz >= next_s:
            out.append(tracker.metrics())
            next_s += DEVICE_EVERY_S
    return out


def judge(record: Record, metrics: HrvMetrics) -> str:
    """'right', or why not: 'shown' / 'confident' (no-breathing family), 'withheld: <reason>' / 'wrong'."""
    rate, confidence = metrics.breath_rate_bpm, metrics.breath_confidence
    if record.depth == 0.0:
        if rate is not None:
            return "shown"
        return "confident" if confidence is not None and confidence >= BREATH_MIN_CONFIDENCE else "right"
    if rate is not None and abs(rate - record.breath_per_min) <= TOLERANCE_PER_MIN:
        return "right"
    return f"withheld: {metrics.hrv_reason}" if metrics.hrv_reason is not None else "wrong"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=40)
    parser.add_argument("--first-seed", type=int, default=1000)
    parser.add_argument("--device", action="store_true", help="stream as the device does (every 5 s from 40 s)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every record not right")
    args = parser.parse_args()
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    print(f"seeds {seeds.start}-{seeds.stop - 1}, {'device path' if args.device else 'recording_metrics'}")
    for breathing in (False, True):
        outcomes: Counter[str] = Counter()
        by_rate: Counter[tuple[float, bool]] = Counter()
        for seed in seeds:
            record = draw(seed, breathing)
            figures = (device_metrics(record) if args.device
                       else [recording_metrics(record.ppg, record.fs_hz, window_s=WINDOW_S)])
            verdicts = [judge(record, m) for m in figures]
            wrong = [v for v in verdicts if v != "right"]
            # a no-breathing record is wrong if any figure shows a rate; a breathing one is judged at its end
            verdict = (wrong[0] if wrong else "right") if not breathing else verdicts[-1]
            outcomes[verdict] += 1
            by_rate[(record.fs_hz, verdict == "right")] += 1
            if args.verbose and verdict != "right":
                print(f"  seed {seed}: {record.shape} {record.fs_hz:g}/s {record.hr_per_min:.0f}/min jitter "
                      f"{record.jitter_s * 1000:.0f} ms noise {record.noise:.3f} depth {record.depth:.3f} "
                      f"breath {record.breath_per_min:.1f}: {verdict}")
        name = "breathing (right rate)" if breathing else "no breathing (no confident rate)"
        print(f"{name}: {outcomes['right']} of {len(seeds)} right; "
              + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items()) if k != "right"))
        for fs_hz in (25.0, 50.0, 100.0):
            total = by_rate[(fs_hz, True)] + by_rate[(fs_hz, False)]
            print(f"  {fs_hz:g} samples/s: {by_rate[(fs_hz, True)]} of {total} right")


if __name__ == "__main__":
    main()
