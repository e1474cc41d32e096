"""Benchmark: a moving hand while the finger lands, through the device's own path (issue 7, faults 1/2).

Run from the project root::

    python -m bench.bench_landing_motion [--seeds 1-2] [--rates 25,50,100] [--starts 0,1,3,30]
                                         [--lengths 5,10,20] [--size 3.0] [--pulse 67] [--list]

The family a fresh-clone tester drove (docs/measurements.md, "Motion while the finger lands"): the virtual
MAX30102 with `PulseTrainOptics(rate_bpm=67, motion_s=((start, start + length),))` (the motion knob at its
default size, 3.0, a 3 Hz hand three times the pulse; `--size` sets it), chip seed `seed` -> driver ->
PulseSensor -> SensorChannel, read every 0.1 s on the simulated clock as the main loop does, and the figures
read as the device shows them (`SensorChannel.current_metrics`). Starts 0, 1 and 3 s are the finger landing
while the hand moves; a start of 30 s is motion later in a session (the existing motion family), so that a fix
for one does not break the other. Each run goes on AFTER_S after the hand is still.

Printed per start (pooled over seeds, rates and lengths) and for all runs, min / median / max over runs:
- `wrong after s`: seconds after the hand is still until the last wrong heart rate (more than 5 % off the
  truth) is shown with a null reason (0: none after the hand is still);
- `true back s`: seconds after the hand is still until the true rate (within 5 %) is shown and from which
  no wrong rate is shown again (inf: never);
- `wrong during s`: seconds a wrong rate is shown with a null reason while the hand moves;
- `runs wrong after`: runs with any wrong rate shown after the hand is still.
Deterministic (seeded chip noise, simulated clock).
"""

from __future__ import annotations

import argparse
import itertools
import math
from dataclasses import dataclass

import numpy as np

from bench.bench_motion import _ints
from device.clock import SimClock
from device.sensor_channel import SensorChannel
from drivers.max30102 import Max30102Settings
from drivers.pulse_sensor import PulseSensor
from sim.i2c_bus import VirtualI2CBus
from sim.max30102 import PulseTrainOptics, VirtualMax30102

RATE_BPM = 67.0  # the tester's pulse train
AFTER_S = 60.0  # the tester saw wrong rates up to 46 s after the hand was still
WRONG_FRACTION = 0.05  # a heart rate more than 5 % off the truth is wrong (the tester's bar)
READ_S = 0.1  # the main loop reads the channel this often


@dataclass(frozen=True)
class Outcome:
    wrong_after_s: float  # last wrong rate shown with a null reason, s after the hand is still (0: none)
    back_s: float  # the true rate shown for good, s after the hand is still (inf: never)
    wrong_during_s: float  # seconds a wrong rate was shown while the hand moved


def shown(fs_hz: int, seed: int, start_s: float, length_s: float, size: float = 3.0,
          after_s: float = AFTER_S, pulse_bpm: float = RATE_BPM) -> list[tuple[float, float | None, str | None]]:
    """(time s, hr_bpm, hr_reason) as the device shows them, every READ_S from the start."""
    clock = SimClock()
    optics = PulseTrainOptics(rate_bpm=pulse_bpm, motion_s=((start_s, start_s + length_s),), motion=size)
    bus = VirtualI2CBus(1)
    bus.attach(0x57, VirtualMax30102(optics, clock, seed=seed))
    sensor = PulseSensor(bus.open, Max30102Settings(sample_rate_hz=fs_hz), clock)
    channel = SensorChannel("A", sensor, float(fs_hz))
    out: list[tuple[float, float | None, str | None]] = []
    t = 0.0
    for _ in range(round((start_s + length_s + after_s) / READ_S)):
        t = round(t + READ_S, 9)
        clock.advance_to(t)
        channel.read()
        m = channel.current_metrics(clock.now_s(), settling=False)
        out.append((t, m.hr_bpm, m.hr_reason))
    channel.close()
    return out


def judge(readings: list[tuple[float, float | None, str | None]], start_s: float, stop_s: float,
          pulse_bpm: float = RATE_BPM) -> Outcome:
    """The outcome of one run's readings with the hand moving from `start_s` to `stop_s` (true rate `pulse_bpm`)."""
    def wrong(hr: float | None, reason: str | None) -> bool:
        return hr is not None and reason is None and abs(hr / pulse_bpm - 1.0) > WRONG_FRACTION

    def right(hr: float | None) -> bool:
        return hr is not None and abs(hr / pulse_bpm - 1.0) <= WRONG_FRACTION

    wrong_after, back, during = 0.0, math.inf, 0.0
    for t, hr, reason in readings:
        if start_s <= t < stop_s and wrong(hr, reason):
            during += READ_S
        if t < stop_s:
            continue
        if wrong(hr, reason):
            wrong_after, back = t - stop_s, math.inf
        elif right(hr) and back == math.inf:
            back = t - stop_s
        elif not right(hr) and hr is not None:
            back = math.inf
    return Outcome(wrong_after, back, during)


def run_one(fs_hz: int, seed: int, start_s: float, length_s: float, size: float = 3.0,
            pulse_bpm: float = RATE_BPM) -> Outcome:
    """One run of the family."""
    return judge(shown(fs_hz, seed, start_s, length_s, size, pulse_bpm=pulse_bpm), start_s, start_s + length_s,
                 pulse_bpm)


def _spread(values: list[float]) -> str:
    a = np.asarray(values)
    return f"{np.min(a):5.1f} / {np.median(a):5.1f} / {np.max(a):5.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", default="1-2", help="chip seeds, e.g. 1-2 or 1,3")
    parser.add_argument("--rates", default="25,50,100")
    parser.add_argument("--starts", default="0,1,3,30", help="motion starts, s")
    parser.add_argument("--lengths", default="5,10,20", help="motion lengths, s")
    parser.add_argument("--size", type=float, default=3.0, help="the motion knob (3.0: its default)")
    parser.add_argument("--pulse", default=f"{RATE_BPM:g}",
                        help="true pulse rates, beats/min, e.g. 67,80,90,100 (a hand at 3 Hz is 2x a 90/min pulse)")
    parser.add_argument("--list", action="store_true", help="print every run")
    args = parser.parse_args()
    seeds, rates = _ints(args.seeds), _ints(args.rates)
    starts, lengths, pulses = ([float(v) for v in text.split(",")] for text in (args.starts, args.lengths, args.pulse))
    print(f"PulseTrainOptics({args.pulse}/min, motion {args.size:g} at 3 Hz), seeds {seeds}, rates {rates}, "
          f"lengths {lengths} s; wrong: off by > {100 * WRONG_FRACTION:g} % with a null reason")
    print("start s  runs  wrong after s min/med/max  true back s min/med/max  wrong during s min/med/max"
          "  runs wrong after")
    every: list[Outcome] = []
    for start in starts:
        runs = []
        for fs_hz, seed, length, pulse in itertools.product(rates, seeds, lengths, pulses):
            r = run_one(fs_hz, seed, start, length, args.size, pulse)
            runs.append(r)
            if args.list:
                print(f"      {pulse:g}/min {fs_hz:3d}/s seed {seed} start {start:g} s length {length:g} s: "
                      f"wrong after {r.wrong_after_s:.1f} s, back {r.back_s:.1f} s, "
                      f"wrong during {r.wrong_during_s:.1f} s")
        every += runs
        _row(f"{start:7g}", runs)
    _row("    all", every)


def _row(label: str, runs: list[Outcome]) -> None:
    print(f"{label}  {len(runs):4d}  {_spread([r.wrong_after_s for r in runs])}      "
          f"{_spread([r.back_s for r in runs])}     {_spread([r.wrong_during_s for r in runs])}"
          f"        {sum(r.wrong_after_s > 0 for r in runs):3d}")


if __name__ == "__main__":
    main()
