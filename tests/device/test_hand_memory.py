"""A hand, then a still one (issue 7, faults 1-2 and "Quality means timing"; an eighth fresh-clone tester): a hand of
several shapes (sine, square, sawtooth, triangle, taps), 1-5 pulse sizes, 3-20 s long, over a pulse whose rate
swings gently with breathing (known beats, known RMSSD), at 25/50/100 samples/s, through the device's path
(FingerOptics -> virtual MAX30102 -> driver -> PulseSensor -> SensorChannel, read every 0.1 s), then 40 s of the
pulse alone. The peak timer's memory of the beats' noise (device/signal/peak_timing.py, RECENT_BEATS) once held a
sawtooth hand for half a minute: every beat after it was dropped as untimeable. Here: beats come back and are timed,
the heart rate shown is right, and RMSSD is within 2x +- 2 ms of the truth or withheld, soon after the hand.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np
import pytest
from numpy.typing import NDArray

from device.clock import SimClock
from device.sensor_channel import SensorChannel
from drivers.max30102 import Max30102Settings
from drivers.pulse_sensor import PulseSensor
from sim.i2c_bus import VirtualI2CBus
from sim.max30102 import VirtualMax30102
from sim.optics import OpticalSamples

AFTER_S = 40.0  # the pulse alone after the hand
READ_S = 0.1  # the main loop reads the channel this often
START_S = 1.0  # the hand starts as the finger lands
# Beats come back within this many of the pulse's intervals after the hand is still: the memory forgets the hand
# in RECENT_BEATS // 2 + 1 (5) beats, and the pipeline drops beats while the median white-floor estimate of its
# last 8 beats is over TIMING_SD_MAX_S (5 of 8 must be quiet); the sawtooth hand held them for 24 (32 s at 45/min).
RESUME_INTERVALS = 12
TIMED_S = 0.05  # a reported beat within this of a true one is that beat
RESUMED_SHARE = 0.9  # of the true beats from then to the end, at least this share reported
RATE_AFTER_S = 15.0  # from this long after the hand, a rate shown with a null reason is right ...
RATE_WRONG = 0.05  # ... within 5 % (the testers' bar)
RMSSD_AFTER_S = 15.0  # from this long after the hand, RMSSD is withheld or within 2x +- 2 ms of the truth
# Hands as the finger lands (LANDING below): from this long after the hand, both hold (the testers' bar: the wrong
# rate and RMSSD gone within about 6 s of the hand's end)
SOON_AFTER_S = 6.0


def _hand(kind: str, t: NDArray[np.float64], hz: float) -> NDArray[np.float64]:
    x = hz * t
    if kind == "sine":
        return np.asarray(np.sin(2 * np.pi * x))
    if kind == "square":
        return np.asarray(np.sign(np.sin(2 * np.pi * x)))
    if kind == "saw":
        return np.asarray(2.0 * (x % 1.0) - 1.0)
    if kind == "tri":
        return np.asarray(2.0 * np.abs(2.0 * (x % 1.0) - 1.0) - 1.0)
    return np.asarray(np.exp(-0.5 * (((x % 1.0) - 0.5) / 0.06) ** 2))  # taps: a beat-like bump each cycle


@dataclass(frozen=True)
class HandOptics:
    """Gaussian blood-volume peaks at `beats` (s), plus a hand of `kind` and `size` (pulse heights) at `hz` for
    `length_s` from START_S."""

    beats: NDArray[np.float64]
    kind: str
    hz: float
    size: float
    length_s: float

    def optics(self, t_s: NDArray[np.float64]) -> OpticalSamples:
        t = np.asarray(t_s, dtype=float)
        k = np.searchsorted(self.beats, t)
        blood = np.zeros_like(t)
        for off in (-2, -1, 0, 1):
            j = np.clip(k + off, 0, len(self.beats) - 1)
            blood += np.exp(-0.5 * ((t - self.beats[j]) / 0.07) ** 2)
        inside = (t >= START_S) & (t < START_S + self.length_s)
        motion = np.where(inside, self.size * _hand(self.kind, t, self.hz), 0.0)
        return OpticalSamples(blood_volume=blood, finger_on=np.ones(t.shape, dtype=np.bool_), motion=motion)


def _beats(rate_bpm: float, end_s: float) -> NDArray[np.float64]:
    """A rate swinging +-3/min at 12 breaths/min: a calm heart's beat-to-beat variation, RMSSD some 20-40 ms."""
    times = [0.3]
    while times[-1] < end_s:
        times.append(times[-1] + 60.0 / (rate_bpm + 3.0 * math.sin(2 * math.pi * 0.2 * times[-1])))
    return np.asarray(times)


def _rmssd_ms(times: NDArray[np.float64]) -> float:
    return float(np.sqrt(np.mean(np.diff(np.diff(times)) ** 2))) * 1e3


@dataclass(frozen=True)
class Run:
    resumed_after_s: float  # the first reported beat of the pulse's from which RESUMED_SHARE are reported (inf: never)
    wrong_rates: list[tuple[float, float]]  # (s after the hand, rate) shown with a null reason, wrong
    bad_rmssd: list[tuple[float, float, float]]  # (s after the hand, shown, truth) outside 2x +- 2 ms


@cache  # each case's run serves both tests
def _run(kind: str, hz: float, size: float, length_s: float, fs_hz: int, rate_bpm: float, seed: int) -> Run:
    stop_s = START_S + length_s
    end_s = stop_s + AFTER_S
    truth = _beats(rate_bpm, end_s + 5.0)
    clock = SimClock()
    bus = VirtualI2CBus(1)
    bus.attach(0x57, VirtualMax30102(HandOptics(truth, kind, hz, size, length_s), clock, seed=seed))
    channel = SensorChannel("A", PulseSensor(bus.open, Max30102Settings(sample_rate_hz=fs_hz), clock), float(fs_hz))
    reported: list[float] = []
    wrong: list[tuple[float, float]] = []
    bad: list[tuple[float, float, float]] = []
    t = 0.0
    for _ in range(round(end_s / READ_S)):
        t = round(t + READ_S, 9)
        clock.advance_to(t)
        reported += [b.t_s for b in channel.read()]
        m = channel.current_metrics(clock.now_s(), settling=False)
        if t >= stop_s + SOON_AFTER_S and m.hr_bpm is not None and m.hr_reason is None:
            window = truth[(truth > t - 60.0) & (truth <= t)]
            true_bpm = 60.0 / float(np.median(np.diff(window)))
            if abs(m.hr_bpm / true_bpm - 1.0) > RATE_WRONG:
                wrong.append((round(t - stop_s, 1), m.hr_bpm))
        if t >= stop_s + SOON_AFTER_S and m.rmssd_ms is not None:
            true_ms = _rmssd_ms(truth[(truth > t - 60.0) & (truth <= t)])
            if not true_ms / 2.0 - 2.0 <= m.rmssd_ms <= 2.0 * true_ms + 2.0:
                bad.append((round(t - stop_s, 1), m.rmssd_ms, true_ms))
    channel.close()
    got = np.asarray(reported)
    after = truth[(truth > stop_s) & (truth < end_s - 1.0)]
    hit = np.array([got.size > 0 and float(np.min(np.abs(got - b))) <= TIMED_S for b in after])
    resumed = math.inf
    for i in range(len(after)):  # the first true beat from which RESUMED_SHARE of the rest are reported
        if hit[i] and np.mean(hit[i:]) >= RESUMED_SHARE:
            resumed = float(after[i] - stop_s)
            break
    return Run(resumed, wrong, bad)


# shape, hand rate (Hz), size (pulse heights), length (s), samples/s, pulse (/min), chip seed. The first is the
# tester's traced sawtooth (beats dropped for 32 s); the rest cover each shape at each rate, small and large hands,
# slow and fast pulses. Set down before they were run; none left out since.
_TABLE = """
saw 2.5 1.5 20 50 45 46 | saw 2.69 2.0 10 100 120 1 | saw 1.5 5.0 3 25 60 2 | square 2.6 1.5 5 50 55 3
square 0.9 3.0 10 25 80 4 | sine 3.0 1.0 20 100 50 5 | sine 1.4 2.0 5 25 72 6 | tri 1.8 1.0 10 50 85 7
tri 3.5 5.0 3 100 65 8 | tap 2.4 2.0 5 25 90 9 | tap 1.2 5.0 20 50 68 10 | tap 3.6 3.0 10 100 110 11
"""
Case = tuple[str, float, float, float, int, float, int]


def _case(text: str) -> Case:
    kind, hz, size, length_s, fs_hz, rate_bpm, seed = text.split()
    return kind, float(hz), float(size), float(length_s), int(fs_hz), float(rate_bpm), int(seed)


CASES = [_case(text) for text in _TABLE.replace("\n", "|").split("|") if text.strip()]
# Not fixed (README "Not fixed"; docs/measurements.md, "The peak timer forgets a hand" and "Unsure beats after a
# hand"): the heart rate after a hand (the unsure beats are kept out of HRV only)
PICKER_AFTER_HAND = ("issue 7: after a fast hand over a slow pulse the picker still picks a bump between beats now and "
                     "then (its interval reference was the hand's), which breaks the run of intervals the heart rate "
                     "needs to leave the hand's rate: 150/min shown for 30 s after the hand")
HAND_RATE_IN_WINDOW = ("issue 7: a 3 Hz hand's 180/min stays in the 60 s window until the pulse has run "
                       "MOTION_CLEAR_INTERVALS regular intervals after the beats come back (16 s at 50/min)")
TAPS_AT_THE_PULSE = ("issue 7: taps at 72/min over a 68/min pulse are a second pulse the picker cannot tell from the "
                     "heart's; their rate stays in the window's median")
WHY_NOT = [PICKER_AFTER_HAND, None, None, None, None, HAND_RATE_IN_WINDOW, None, None, None, None,
           TAPS_AT_THE_PULSE, None]  # per case in CASES
RATE_CASES = [pytest.param(case, marks=pytest.mark.xfail(strict=True, reason=why)) if why else case
              for case, why in zip(CASES, WHY_NOT, strict=True)]


@pytest.mark.parametrize("case", CASES)
def test_beats_come_back_after_a_hand(case: Case) -> None:
    """Main: 4 of 12 came back 12-32 s after the hand (the timer's white-floor estimate held the hand)."""
    run = _run(*case)
    assert run.resumed_after_s <= RESUME_INTERVALS * 60.0 / case[5], run


@pytest.mark.parametrize("case", RATE_CASES)
def test_rate_and_rmssd_are_right_after_a_hand(case: Case) -> None:
    """Main: 8 of 12 fail (wrong rates after 4 of the hands the peak timer's bounded memory fixed; RMSSD after 2 more
    since the unsure beats, device/signal/hrv.py; the rate after 3 is not fixed)."""
    run = _run(*case)
    wrong = [w for w in run.wrong_rates if w[0] >= RATE_AFTER_S]
    bad = [b for b in run.bad_rmssd if b[0] >= RMSSD_AFTER_S]
    assert not wrong, wrong[:3]
    assert not bad, bad[:3]


# Hands as the finger lands whose picks the pulse could not vouch for (device/signal/hrv.py, unsure beats): small or
# slow hands under the motion judge's bar, picked as beats before the peak timer's template formed or standing
# taller than the pulse. The eighth tester's traced runs (seed 1: 45, 49, 19, 14) in this module's pulse, all four
# kept. Main: 3 of 4 fail (RMSSD 54-67 ms shown for a true 12-21; 105/min shown for 75 at 6-8 s).
_LANDING = "tri 1.76 1.0 10 25 75 45 | tap 2.59 2.0 3 50 92 49 | tri 2.82 1.5 5 50 88 19 | sine 1.37 0.5 5 25 72 14"
HAND_RATE_SOON = ("issue 7: the heart rate counts the hand's picks as the finger lands (leaving them out moved BUT "
                  "PPG's camera records): 105/min shown for 75 at 6-8 s after the hand")
LANDING_CASES = [pytest.param(_case(text), marks=pytest.mark.xfail(strict=True, reason=HAND_RATE_SOON)) if k == 0
                 else _case(text) for k, text in enumerate(_LANDING.split("|"))]


@pytest.mark.parametrize("case", LANDING_CASES)
def test_rate_and_rmssd_are_right_soon_after_a_hand_as_the_finger_lands(case: Case) -> None:
    """From SOON_AFTER_S after the hand: a rate shown with a null reason within 5 %, RMSSD within 2x +- 2 ms or
    withheld."""
    run = _run(*case)
    assert not run.wrong_rates, run.wrong_rates[:3]
    assert not run.bad_rmssd, run.bad_rmssd[:3]
