"""A real pulse whose timing is irregular keeps a lock and gives a heart rate (issue 7, fault 8).

Premature beats every 3rd or 4th beat, 15-40 % of an interval early, with and without a compensatory pause,
and an irregularly irregular (atrial-fibrillation-like) rhythm of spread 0.1-0.3, at 40-150 beats/min and
25/50/100 samples/s, through the streaming pipeline as the device feeds it (0.1 s chunks). Each must be
locked within LOCK_WITHIN_S, its heart rate must be right, and its HRV must be withheld or flagged, with no
coherence. Before the beat-train lock (device/signal/pulse.py, TRAIN_COUPLING) most premature-beat series
40 % early with a pause got no lock at all. The generated family's seed 0 is the one the lock's level was
chosen on; seeds 1-2 are reported in docs/measurements.md.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from bench.bench_fast_pattern import through_device
from bench.bench_irregular_lock import through_pipeline
from device.signal.hrv import HIDDEN_BEATS, HrvTracker
from device.signal.intervals import IRREGULAR_CONFIDENCE_Z, chi2_lower_quantile
from device.signal.pulse import PulsePipeline
from device.signal.pulse_quality import spectral_lines
from tests.device.signal.synthetic_ppg import synthetic_ppg
from tests.device.signal.synthetic_rr import irregular_rr, sinus_intervals

DURATION_S = 45.0
LOCK_WITHIN_S = 25.0  # the family's locks (seeds 0-2): median about 7 s, 90th percentile about 20 s
HR_TOLERANCE = 0.05


# (kind, every, early, pause, spread): the family, cycled over the rates so that every rate and sample rate
# meets every kind of rhythm
KINDS = [("ectopy", every, early, pause, 0.0) for every in (3, 4) for early in (0.15, 0.4) for pause in (True, False)]
KINDS += [("irregular", 0, 0.0, True, spread) for spread in (0.1, 0.2, 0.3)]
RATES = [(fs, hr) for fs in (25, 50, 100) for hr in (40, 70, 100, 150)]
CASES = [(fs, hr, *KINDS[(3 * i + j) % len(KINDS)]) for i, (fs, hr) in enumerate(RATES) for j in range(3)]
# Still wrong after the beat-train lock (11 of these 36 cases failed before it, 6 after it, 5 since a pattern's
# period is taken at its beats, PulsePipeline._pattern_beats_in, 4 since a pattern's picker sees a fast premature
# beat, docs/measurements.md "A fast pattern of premature beats read at a half or a third"), each a fault of its own
# (docs/measurements.md, "An irregular pulse keeps its lock", "Premature beats read at a third"): a slow trigeminy
# (40/min, every third beat 40 % early with a pause: intervals 0.9 and 2.1 s) neither couples at its mean interval
# nor shows it among its lines in a 6 s window, so it gets no lock; an irregular 150/min rhythm of spread 0.3 locks
# late (30.5 s).
STILL_WRONG: set[tuple[object, ...]] = {
    (25, 40, "ectopy", 3, 0.4, True, 0.0),
    (50, 40, "ectopy", 3, 0.4, True, 0.0),
    (100, 40, "ectopy", 3, 0.4, True, 0.0),
    (50, 150, "irregular", 0, 0.0, True, 0.3),
}


def _case_id(case: tuple[object, ...]) -> str:
    fs, hr, kind, every, early, pause, spread = case
    what = f"spread{spread}" if kind == "irregular" else f"1in{every}-{early}-{'pause' if pause else 'nopause'}"
    return f"{fs}Hz-{hr}bpm-{kind}-{what}"


@pytest.mark.parametrize("case", [pytest.param(c, id=_case_id(c), marks=pytest.mark.xfail(
    strict=True, reason="still wrong: see STILL_WRONG")) if c in STILL_WRONG else pytest.param(c, id=_case_id(c))
    for c in CASES])
def test_an_irregular_pulse_locks_and_gives_its_rate_with_hrv_withheld_or_flagged(
        case: tuple[int, int, str, int, float, bool, float]) -> None:
    fs, hr, kind, every, early, pause, spread = case
    seed = fs + hr + 7 * every + round(100 * (early + spread)) + pause
    rr = irregular_rr(kind, hr, every, early, pause, spread, seed)
    beats = 0.3 + np.cumsum(rr)
    beats = beats[beats < DURATION_S - 0.5]
    locked_s, m = through_pipeline(beats, fs, DURATION_S, seed)
    assert locked_s is not None and locked_s <= LOCK_WITHIN_S, f"locked at {locked_s}"
    # the rate is the median interval's (device/signal/hrv.py, time_domain): a premature beat with no pause
    # raises the mean rate but not the median; either is right
    mean_bpm = 60.0 / float(np.mean(np.diff(beats)))
    sinus_bpm = 60.0 / float(np.median(np.diff(beats)))
    assert m.hr_bpm is not None
    assert (1 - HR_TOLERANCE) * min(mean_bpm, sinus_bpm) <= m.hr_bpm <= (1 + HR_TOLERANCE) * max(mean_bpm, sinus_bpm)
    assert m.coherence is None
    assert m.rmssd_ms is None and m.hrv_reason is not None


def test_spectral_lines_are_the_tallest_local_maxima_tallest_first() -> None:
    fs = 50.0
    t = np.arange(round(8 * fs)) / fs
    y = np.sin(2 * np.pi * 1.0 * t) + 0.5 * np.sin(2 * np.pi * 1.7 * t) + 0.2 * np.sin(2 * np.pi * 2.6 * t)
    lines = spectral_lines(y, fs, 2)
    assert [round(hz, 1) for _, hz in lines] == [1.0, 1.7]
    assert lines[0][0] > lines[1][0] > 0.0
    assert spectral_lines(np.zeros(400), fs, 3) == []


# Streamed as the device reads them: every payload from the first that has a heart rate must withhold HRV with a
# reason or flag the rhythm irregular, with no coherence, and the rate must be right once the pulse has settled
# (issue 7, fault 8): premature beats every third beat at 100-120/min were read at a third (the autocorrelation
# lock took the pattern's period for the beat's; PulsePipeline._pattern_beats_in), and a mild AF-like rhythm
# showed an RMSSD with every reason null for up to 6.8 s before its flag (the irregularity's regular verdict now
# needs its upper bound, device/signal/intervals.py IRREGULAR_CONFIDENCE_Z). A fresh-clone tester's kinds.
STREAMED = [
    (100, 115, "ectopy", 3, 0.37, False, 0.0),  # the tester's: read 43.5 for a mean of 130.7 (sinus 115)
    (50, 100, "ectopy", 3, 0.4, True, 0.0),
    (50, 55, "irregular", 0, 0.0, True, 0.1),
    (25, 80, "irregular", 0, 0.0, True, 0.13),
]
SETTLED_S = 25.0  # the rate must be right in every payload after this (LOCK_WITHIN_S)


@pytest.mark.parametrize("case", [pytest.param(c, id=_case_id(c)) for c in STREAMED])
def test_every_payload_with_a_rate_withholds_or_flags_hrv_and_the_settled_rate_is_right(
        case: tuple[int, int, str, int, float, bool, float]) -> None:
    fs, hr, kind, every, early, pause, spread = case
    seed = 11 + fs + hr
    beats = 0.3 + np.cumsum(irregular_rr(kind, hr, every, early, pause, spread, seed))
    beats = beats[beats < DURATION_S - 0.5]
    x = synthetic_ppg(beats, fs, DURATION_S, 0.01, seed=seed)
    pipeline, tracker = PulsePipeline(fs), HrvTracker(window_s=60.0)
    step = round(0.1 * fs)
    mean_bpm = 60.0 / float(np.mean(np.diff(beats)))
    sinus_bpm = 60.0 / float(np.median(np.diff(beats)))
    rated = 0
    for first in range(0, len(x), step):
        got = pipeline.push(x[first:first + step], first).beats
        if not got:
            continue
        tracker.add_beats(list(got))
        m = tracker.metrics()
        if m.hr_bpm is None:
            continue
        rated += 1
        assert m.coherence is None, f"coherence at {first / fs:.1f} s"
        assert m.irregular is True or (m.rmssd_ms is None and m.hrv_reason is not None), (
            f"RMSSD {m.rmssd_ms} shown at {first / fs:.1f} s with no reason and irregular {m.irregular}")
        if first / fs > SETTLED_S:
            assert ((1 - HR_TOLERANCE) * min(mean_bpm, sinus_bpm) <= m.hr_bpm
                    <= (1 + HR_TOLERANCE) * max(mean_bpm, sinus_bpm)), f"{m.hr_bpm:.1f}/min at {first / fs:.1f} s"
    assert rated > 0


@pytest.mark.parametrize("dof", [6, 10, 30, 100])
def test_the_chi_square_quantile_behind_the_regular_verdict_is_scipys(dof: int) -> None:
    """intervals.chi2_lower_quantile (Wilson-Hilferty, since the daemon does not import scipy) against
    scipy.stats.chi2.ppf at the 5 % the regular verdict's bound uses, from the fewest degrees of freedom the
    irregularity has (8 triples less 2 coefficients)."""
    from scipy.stats import chi2

    assert chi2_lower_quantile(dof, IRREGULAR_CONFIDENCE_Z) == pytest.approx(chi2.ppf(0.05, dof), rel=0.01)


# A fast pulse with premature beats (issue 7, fault 8): at 150/min a beat 40 % early comes 0.24 s after the last,
# inside the picker's 0.25 s refractory floor, or stands on its predecessor's falling shoulder so low that it
# missed the amplitude bar; the picker settled on every 2nd or 3rd beat and the rate read a half or a third.
# Twelve generated records (seeds the benches do not use): 140-160/min, every 3rd or 4th beat 25-40 % early, with
# and without a compensatory pause, at 25, 50 and 100 samples/s; main's code read 2 of them at a third. Faster
# trigeminy is still read at a third (FAST_STILL_WRONG; a 1-in-3 40 % early record at 170/min, 25 samples/s, fails
# this test too), not diagnosed: at 170-180/min a beat 35-40 % early is 0.2 s after the last, and in a 1-in-4
# record at 180/min looked at it was 0.19-0.27 as tall as a beat on the band-pass, at the picker's lowest bar.
FAST_PATTERNS = [((25, 50, 100)[i % 3], hr, every, (0.25, 0.3, 0.35, 0.4)[(i + i // 4) % 4], pause)
                 for i, (hr, every, pause) in enumerate(
                     (hr, every, pause) for hr in (140, 150, 160) for every in (3, 4) for pause in (True, False))]
FAST_STILL_WRONG = [(50, 180, 3, 0.4, True)]
# read at a third until a premature beat's rise was set against the recent picks' median rise time, not the fastest's
# (pulse_peaks.BeatPicker._rises_like_a_beat; the test below)
FAST_PATTERNS.append((100, 180, 3, 0.35, False))


@pytest.mark.parametrize("case", [pytest.param(c, id=f"{c[0]}Hz-{c[1]}bpm-1in{c[2]}-{c[3]}-{'pause' * c[4]}")
                                  for c in FAST_PATTERNS] + [
    pytest.param(c, id=f"{c[0]}Hz-{c[1]}bpm-1in{c[2]}-{c[3]}-{'pause' * c[4]}",
                 marks=pytest.mark.xfail(strict=True, reason="still wrong: see FAST_STILL_WRONG"))
    for c in FAST_STILL_WRONG])
def test_a_fast_irregular_pulse_is_not_read_at_a_half_or_a_third(case: tuple[int, int, int, float, bool]) -> None:
    fs, hr, every, early, pause = case
    seed = 7000 + fs + hr + 10 * every + round(100 * early) + pause
    beats = 0.3 + np.cumsum(irregular_rr("ectopy", hr, every, early, pause, 0.0, seed))
    beats = beats[beats < DURATION_S - 0.5]
    _, m = through_pipeline(beats, fs, DURATION_S, seed)
    mean_bpm = 60.0 / float(np.mean(np.diff(beats)))
    sinus_bpm = 60.0 / float(np.median(np.diff(beats)))  # the rate is the median interval's: either is right
    assert m.hr_bpm is not None
    assert (1 - HR_TOLERANCE) * min(mean_bpm, sinus_bpm) <= m.hr_bpm <= (1 + HR_TOLERANCE) * max(mean_bpm, sinus_bpm)


# The same family with the premature beats smaller than the others, as real ones are (they fill less): a fresh-clone
# tester's 150/min, every 3rd beat 32 % early and half as tall, was read at a third. Without a compensatory pause the
# pattern's mean interval is shorter than the sinus one, a premature beat 25-30 % early then came after
# PREMATURE_FRACTION of it and, smaller than AMP_FRACTION of a beat, was dropped; a premature beat taken as a beat
# at its time but under AMP_FRACTION of the trial's median refused its own pattern, and one rising a sample slower
# than the fastest premature beat before it was refused (device/signal/pulse_peaks.py PATTERN_PREMATURE_SHARE and
# BeatPicker._rises_like_a_beat, pulse.py _pattern_beats_in).
# Twelve records (seeds no bench uses): 130-165/min, every 3rd or 4th beat 25-40 % early and 0.5 or 0.7 as tall,
# with and without a pause, at 25/50/100 samples/s. Main's code reads three of them at a third; two, at 165/min
# 35-40 % early, are still read at a third (SMALL_STILL_WRONG: the premature beat on its predecessor's shoulder rises
# from its foot less than AMP_FRACTION_SEARCHBACK of a beat, or the trial picker misses the first one and the pause
# bound refuses it).
SMALL_PREMATURE = [((25, 50, 100)[i % 3], hr, every, (0.25, 0.3, 0.35, 0.4)[(i + i // 4) % 4], pause,
                    (0.5, 0.7)[(i // 3) % 2])
                   for i, (hr, every, pause) in enumerate(
                       (hr, every, pause) for hr in (130, 150, 165) for every in (3, 4) for pause in (True, False))]
SMALL_STILL_WRONG = [(100, 165, 3, 0.35, True, 0.5), (25, 165, 3, 0.4, False, 0.7)]


def small_premature_pattern(case: tuple[int, int, int, float, bool, float], seed: int
                            ) -> tuple[NDArray[np.float64], NDArray[np.float64], float, float]:
    """(beat times s, per-beat gains, lowest and highest right rate /min) of a pattern `case` (samples/s, rate /min,
    every, early, pause, height of the premature beats): the beats that end a short interval `height` tall; the rate
    is the mean's or the median interval's (sinus) rate, either is right."""
    _, hr, every, early, pause, height = case
    beats = 0.3 + np.cumsum(irregular_rr("ectopy", hr, every, early, pause, 0.0, seed))
    beats = beats[beats < DURATION_S - 0.5]
    intervals = np.diff(beats)
    gains = np.ones(len(beats))
    gains[1:][intervals < (1.0 - early / 2.0) * 60.0 / hr] = height
    mean_bpm, sinus_bpm = 60.0 / float(np.mean(intervals)), 60.0 / float(np.median(intervals))
    return beats, gains, min(mean_bpm, sinus_bpm), max(mean_bpm, sinus_bpm)


@pytest.mark.parametrize("case", [
    pytest.param(c, id=f"{c[0]}Hz-{c[1]}bpm-1in{c[2]}-{c[3]}-{'pause' * c[4]}-h{c[5]}",
                 marks=[pytest.mark.xfail(strict=True, reason="still wrong: see SMALL_STILL_WRONG")]
                 if c in SMALL_STILL_WRONG else [])
    for c in SMALL_PREMATURE])
def test_a_fast_pulse_with_smaller_premature_beats_is_not_read_at_a_third(
        case: tuple[int, int, int, float, bool, float]) -> None:
    fs, hr, every, early, pause, _ = case
    seed = 7500 + fs + hr + 10 * every + round(100 * early) + pause
    beats, gains, lo, hi = small_premature_pattern(case, seed)
    _, m = through_pipeline(beats, fs, DURATION_S, seed, gains)
    assert m.hr_bpm is not None
    assert (1 - HR_TOLERANCE) * lo <= m.hr_bpm <= (1 + HR_TOLERANCE) * hi


# A fast pattern read at a third or a quarter shows the pattern's period, a regular series: without a signal of the
# beats it passes over, its HRV was shown with every reason null (bench_fast_pattern's "< 3/4 HRV shown": 31 / 20 /
# 16 / 4 of 144 at premature heights 0.3 / 0.5 / 0.7 / 1.0 on seed 0). The picker now marks a beat that replaced a
# beat-sized pick inside its refractory window with a maximum before that pick (Beat.hidden_gap_s); where a quarter of
# the window's beats carry one at steady gaps, HRV is withheld and the rate flagged (`hidden_beats`,
# device/signal/hrv.py HIDDEN_SHARE). Sixteen records (seeds no bench uses): 170 / 180 beats/min, every 3rd or 4th
# beat 30-40 % early and 0.3 / 0.5 / 0.7 as tall, with and without a pause, at 25/50/100 samples/s, as the device
# shows them: the rate right, or HRV, coherence and breathing withheld with a reason.
HIDDEN_PATTERNS = [((25, 50, 100)[i % 3], hr, every, (0.3, 0.35, 0.4)[(i + i // 3) % 3], pause,
                    (0.3, 0.5, 0.7)[(i // 2) % 3])
                   for i, (hr, every, pause) in enumerate(
                       (hr, every, pause) for hr in (170, 180) for every in (3, 4) for pause in (True, False)
                       for _ in range(2))]


@pytest.mark.parametrize("case", [pytest.param(c, id=f"{c[0]}Hz-{c[1]}bpm-1in{c[2]}-{c[3]}-{'pause' * c[4]}-h{c[5]}")
                                  for c in HIDDEN_PATTERNS])
def test_a_fast_pattern_read_at_a_fraction_of_its_rate_shows_no_hrv(
        case: tuple[int, int, int, float, bool, float]) -> None:
    fs, hr, every, early, pause, height = case
    seed = 8100 + fs + hr + 10 * every + round(100 * early) + pause + round(10 * height)
    beats, gains, lo, hi = small_premature_pattern(case, seed)
    _, shown = through_device(beats, fs, DURATION_S, seed, gains)
    assert shown.hr_bpm is not None
    if not (1 - HR_TOLERANCE) * lo <= shown.hr_bpm <= (1 + HR_TOLERANCE) * hi:
        assert shown.rmssd_ms is None and shown.coherence is None and shown.breath_rate_bpm is None
        assert shown.hrv_reason is not None
        if shown.hr_bpm < 0.75 * lo:
            assert shown.hr_flag == HIDDEN_BEATS


@pytest.mark.parametrize("fs", [25, 50, 100])
@pytest.mark.parametrize("hr", [120, 150, 180, 200])
def test_a_regular_fast_pulse_keeps_its_hrv(fs: int, hr: int) -> None:
    """The control: a regular fast pulse (tests/device/signal/synthetic_rr.py `sinus_intervals`: breathing swing
    and 8 ms of beat-to-beat variation, 1 % noise) is never taken for one hiding beats; its HRV is shown where its
    beats can be timed finely enough (at 25 samples/s a 180-200/min pulse's timing noise withholds it, on main too)."""
    beats = 0.3 + np.cumsum(sinus_intervals(200, fs + hr, hr_bpm=hr, rsa_ms=10.0, noise_ms=8.0) / 1000.0)
    beats = beats[beats < DURATION_S - 0.5]
    _, shown = through_device(beats, fs, DURATION_S, fs + hr, np.ones(len(beats)))
    assert shown.hr_flag is None and shown.hrv_reason != HIDDEN_BEATS
    if fs >= 50:
        assert shown.rmssd_ms is not None and shown.hrv_reason is None
