"""Benchmark: a noisy phone-camera pulse in a 40 s stream: the right heart rate once the stream has run 20 s?

Run from the project root::

    python -m bench.bench_phone_stream [--seeds 3] [--first-seed 0] [--rates 40,50,...] [--noises 0.2,...]

Inputs: tests/device/signal/synthetic_ppg.py `phone_camera_ppg`, 40 s streams (irregular camera frames
resampled to 25 and 30 frames/s, smooth camera pulses with a diastolic wave, breathing wander, white camera
noise of 0.1-0.4 pulse heights, no start transient), heart rates 40-150/min. Each goes through
device.signal.pulse.PulsePipeline in 0.1 s chunks, as on the device; its rate is device.signal.hrv.heart_rate_bpm
of the beats after 20 s (what the device shows once a lock has had time to prove itself: a lock that must show
harmonic coupling or a steady line waits up to COUPLING_VETO_S). Right: within 5 beats/min of the true median
rate; wrong: further off; none: no rate. Also the median and largest stream time at which
the first beat was reported. 2 frame rates x 4
noises x 8 rates = 64 records per seed. Deterministic. Written for issue 7 fault 4 (a lock faster than 75/min
whose line stands out is asked for coupling or a steady line: what that costs fast noisy camera pulses).
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from bench.bench_phone_short import camera_arguments
from device.signal.hrv import heart_rate_bpm
from device.signal.pulse import PulsePipeline
from tests.device.signal.synthetic_ppg import phone_camera_ppg

LENGTH_S = 40.0
RATED_FROM_S = 20.0
FRAME_RATES = (25.0, 30.0)
HEART_RATES = (40, 50, 60, 75, 90, 106, 120, 150)
NOISES = (0.1, 0.2, 0.3, 0.4)
HIT_BPM = 5.0
CHUNK_S = 0.1  # a FIFO read's worth, as on the device


def outcome(hr_bpm: float, fs_hz: float, noise: float, seed: int) -> tuple[str, float | None]:
    """("right" / "wrong" / "none", stream time in s at which the first beat was reported, or None) for one
    generated stream."""
    ppg, truth = phone_camera_ppg(hr_bpm, LENGTH_S, seed=seed, noise=noise, fs_hz=fs_hz)
    true_bpm = 60.0 / float(np.median(np.diff(truth)))
    pipeline = PulsePipeline(fs_hz)
    step = round(CHUNK_S * fs_hz)
    first_s: float | None = None
    beats: list[float] = []
    for start in range(0, len(ppg), step):
        update = pipeline.push(ppg[start:start + step], start)
        if update.beats and first_s is None:
            first_s = min(start + step, len(ppg)) / fs_hz
        beats.extend(b.t_s for b in update.beats)
    beats.extend(b.t_s for b in pipeline.flush().beats)
    times = np.asarray(beats, dtype=float)
    rate = heart_rate_bpm(times[times > RATED_FROM_S])
    if rate is None:
        return "none", first_s
    return ("right" if abs(rate - true_bpm) <= HIT_BPM else "wrong"), first_s


def main(argv: list[str] | None = None) -> int:
    args, rates, noises = camera_arguments(__doc__, argv, HEART_RATES, NOISES)
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    print(f"40 s camera streams, seeds {seeds.start}-{seeds.stop - 1}: rate from the beats after {RATED_FROM_S:g} s, "
          f"right (within {HIT_BPM:g} bpm) / wrong / none; first beat reported at s (median / largest)")
    print(f"{'rate/min':<10} {'right':>6} {'wrong':>6} {'none':>6} {'first':>13}")
    total: Counter[str] = Counter()
    for hr in rates:
        counts: Counter[str] = Counter()
        firsts: list[float] = []
        for noise in noises:
            for fs_hz in FRAME_RATES:
                for seed in seeds:
                    kind, first_s = outcome(hr, fs_hz, noise, seed)
                    counts[kind] += 1
                    if first_s is not None:
                        firsts.append(first_s)
        total.update(counts)
        first = f"{np.median(firsts):.1f} / {max(firsts):.1f}" if firsts else "-"
        print(f"{hr:<10.0f} {counts['right']:>6} {counts['wrong']:>6} {counts['none']:>6} {first:>13}")
    print(f"{'all':<10} {total['right']:>6} {total['wrong']:>6} {total['none']:>6}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
