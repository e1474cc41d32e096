"""Beat intervals that never cross a gap, artifact-corrected per stretch, and a rhythm-regularity check.

A gap is a span of sensor time in which beats could have been missed: samples lost (FIFO overflow, a
stalled loop, I2C errors), a beat the pulse pipeline judged too poor to time, or a pause between beats
longer than MAX_GAP_S. No interval is ever formed across a gap, so a lost beat never shows up as one
long interval: the beats on either side form separate stretches, and each stretch is corrected on its
own with the Lipponen & Tarvainen (2019) method (device/signal/artifacts.py), twice. Successive
differences (RMSSD, pNN50) are taken within stretches only.

Regularity: how well each corrected interval is predicted from the two before it by one linear
(second-order autoregressive) rule fitted to the window, the prediction error as a share of the median
interval. A breathing-driven swing is an oscillation, which such a rule follows at any rate (x[n] = 2
cos(w) x[n-1] - x[n-2]), so a sinus rhythm leaves only its beat-to-beat noise: 0.6-4.8 % over generated
series at 45-80 beats/min, swings of 5-20 beats/min and breathing at 6-18/min with 10 ms of timing
jitter (up to 7.7 % for the extreme swing of 20 beats/min at 45). An irregularly irregular
(atrial-fibrillation-like) rhythm, whose intervals are nearly independent, leaves its whole spread:
8-30 % for coefficients of variation of 10-25 %. This is a plausibility check on the numbers, not a
diagnosis. Ectopy in every 2nd to 4th beat that the correction did not catch is a pattern locked to the
beat count (`beat_locked_pattern`); it counts as irregular too. A slow heart breathing every ~4 beats (40-60/min
at 10-15 breaths/min) repeats its intervals every 4th beat as well, but as one sinusoid, which an early beat never
makes (`breath_every_four`); every 2nd or 3rd beat a breath and an ectopy cannot be told apart by intervals.

A run of beats at twice or half the window's rate that the correction could not repair (`off_rate`: a
picker on the diastolic wave for a while, a bigeminy read halved after a run at the full rate) is an
artifact, not rhythm: the tracker counts it as corrected, judges regularity without it (`Stretches.without`)
and withholds HRV while it is in the window.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from device.errors import InputError
from device.signal import exact
from device.signal.artifacts import Artifact, breath_every_four, correct_with_scale

MAX_GAP_S = 3.5  # a longer pause between beats (20 beats/min) is treated as a gap
IRREGULAR_SHARE = 0.07  # prediction error / median RR above this: irregular rhythm
# ... and a rhythm is called regular only when the error's upper confidence bound is at most IRREGULAR_SHARE
# (Stretches.irregularity; until then the verdict is pending and HRV is withheld): a one-sided 95 % bound, the
# standard normal quantile 1.645. Chosen on bench/bench_irregular_flag.py's seeds 0-9 (AF-like rhythms of spread
# 0.10-0.16 at 45-130/min, and regular breathing hearts with 0.5-3 % jitter): an RMSSD shown as regular before the
# flag in 10 of 30 AF series with the point estimate alone, 2 at a 90 % bound (1.28), none at 95 %, and the
# regular hearts' first RMSSD at the same median beat (the 13th) throughout (docs/measurements.md).
IRREGULAR_CONFIDENCE_Z = 1.645
PATTERN_PERIODS = (2, 3, 4)  # beats: bigeminy, trigeminy, quadrigeminy
LOCKED_SHARE = 0.5  # share of the intervals' variance a beat-locked pattern must explain ...
# an interval this far from the window's own: nearer to half or twice it than to it, a beat too many or too
# few (the off-rate check here, and the spans hrv.heart_rate_bpm takes the rate from)
RATE_AGREE_FACTOR = math.sqrt(2.0)
# ... when its run meets the rest of the stretch with a jump within this many intervals: the correction moves
# a beat to the middle of its neighbours, which spreads a jump over two intervals, two moves over three
JUMP_SPAN = 3
LOCKED_SPREAD = 0.1  # ... with a premature beat at least this share of an interval early
# ... unless the pattern is one sinusoid: a breath every ~4 beats (`breath_every_four`, in device/signal/artifacts.py,
# whose correction asks the same of a swing locked to every 4th beat; BREATH_HARMONIC_SHARE there).


@dataclass(frozen=True)
class Stretches:
    """Corrected intervals of a beat series, split where gaps are.

    ends_s[i] is the time (s) of the beat ending interval i, ibi_ms[i] its corrected length, labels[i]
    its Artifact label and stretch[i] the number of the gap-free stretch it belongs to (ascending).
    """

    ends_s: NDArray[np.float64]
    ibi_ms: NDArray[np.float64]
    labels: NDArray[np.int_]
    stretch: NDArray[np.int_]

    def last(self, span_s: float) -> Stretches:
        """The intervals ending within `span_s` of the newest beat."""
        if len(self.ends_s) == 0:
            return self
        keep = self.ends_s > self.ends_s[-1] - span_s
        return Stretches(self.ends_s[keep], self.ibi_ms[keep], self.labels[keep], self.stretch[keep])

    def without(self, drop: NDArray[np.bool_]) -> Stretches:
        """These intervals less those where `drop` (same length) is True, each dropped run splitting its
        stretch in two, so no successive difference or prediction spans a dropped interval."""
        keep = ~np.asarray(drop, dtype=bool)
        # each dropped interval moves every later stretch number up by one: both terms never decrease, so
        # two kept intervals share a number only when they shared a stretch with nothing dropped between
        number = self.stretch + np.cumsum(~keep)
        return Stretches(self.ends_s[keep], self.ibi_ms[keep], self.labels[keep], number[keep])

    def successive_differences(self) -> NDArray[np.float64]:
        """Differences (ms) of consecutive intervals within the same stretch."""
        same = self.stretch[1:] == self.stretch[:-1]
        return np.asarray(np.diff(self.ibi_ms)[same], dtype=np.float64)

    def irregularity(self) -> tuple[float, float] | None:
        """(estimate, upper bound) of the RMS error of the best second-order linear prediction of each interval
        from the two before it (least squares, within stretches), as a share of the median interval; None below
        8 triples.

        The estimate is the residual's RMS over its degrees of freedom (triples less the 2 fitted coefficients:
        the in-sample RMS of a least-squares fit to 8 triples reads sqrt(6/8) of the error it estimates); the
        upper bound is its one-sided IRREGULAR_CONFIDENCE bound for Gaussian residuals (chi-square with that many
        degrees of freedom, Wilson & Hilferty's cube-root approximation of its quantile, 1931): a verdict that
        the rhythm is regular rests on the bound, so that a few beats of an irregular rhythm that happen to
        line up are not called regular (issue 7, fault 8: RMSSD shown for up to 6.8 s before the flag)."""
        rr, s = self.ibi_ms, self.stretch
        if len(rr) < 3:
            return None
        inner = (s[2:] == s[1:-1]) & (s[1:-1] == s[:-2])
        if np.count_nonzero(inner) < 8:
            return None
        # numpy's mean and median (device/signal/exact.py: the same numbers, less overhead)
        x = rr - exact.mean(rr)
        lagged = np.column_stack([x[1:-1], x[:-2]])[inner]
        target = x[2:][inner]
        coef, *_ = np.linalg.lstsq(lagged, target, rcond=None)
        residual = target - lagged @ coef
        dof = len(target) - lagged.shape[1]
        estimate = math.sqrt(float(np.dot(residual, residual)) / dof) / exact.median_nan(rr)
        return estimate, estimate * math.sqrt(dof / chi2_lower_quantile(dof, IRREGULAR_CONFIDENCE_Z))

    def beat_locked_pattern(self) -> bool:
        """True when the intervals repeat a pattern locked to every 2nd, 3rd or 4th beat (bigeminy,
        trigeminy, quadrigeminy the correction could not tell from the rhythm): the means of the
        intervals at each position in the pattern explain more than LOCKED_SHARE of their variance and
        differ by more than LOCKED_SPREAD of the median interval, and a period-4 pattern is not one
        sinusoid in the intervals the correction left alone (`breath_every_four`). A breathing swing is
        not locked to the beat count, so over a window its pattern means mostly average out; one that is
        (a slow heart breathing every ~4 beats) is a single sinusoid: it is taken out, and the rest judged
        for a 2- or 3-beat pattern against its own variance (a trigeminy under such a breath). Every 2nd or
        3rd beat, a pattern of means is always one sinusoid (at 0.5 or 1/3 cycles per beat), so a breath
        there cannot be told from bigeminy or trigeminy: flagged."""
        rr, s = self.ibi_ms, self.stretch
        if len(rr) < 12:
            return False
        starts = np.searchsorted(s, s)  # index of each interval's stretch start (s is ascending)
        position = np.arange(len(rr)) - starts
        # numpy's var, mean, ptp and median (device/signal/exact.py: the same numbers, less overhead)
        total = exact.var(rr)
        if total <= 0.0:
            return False
        median_rr = exact.median_nan(rr)
        breath = locked_means(rr, position, 4, total, median_rr)
        if breath is not None:
            if not self._breath_every_four(position % 4):
                return True
            # the breath is taken out, and what is left judged for a pattern of its own: a trigeminy or bigeminy
            # under a breath every ~4 beats is flagged by what it leaves, not by the breath it rides on
            rr = rr - breath[position % 4]
            total = exact.var(rr)
            if total <= 0.0:
                return False
        return any(locked_means(rr, position, period, total, median_rr) is not None
                   for period in PATTERN_PERIODS if period != 4)

    def _breath_every_four(self, phase: NDArray[np.int_]) -> bool:
        """`breath_every_four` on the period-4 pattern of the intervals the correction left as they were (phase:
        each interval's position 0-3). The correction sets an early beat's short interval and the next to their
        mean, so a quadrigeminy with no pause becomes two short intervals and two long ones in every four: one
        sinusoid. A pattern is a breath's only when the intervals as measured make it."""
        normal = self.labels == Artifact.NORMAL
        means = np.zeros(4)
        for k in range(4):
            kept = self.ibi_ms[(phase == k) & normal]
            if len(kept) == 0:
                return False  # a position held only by corrected intervals: the pattern is the correction's
            means[k] = exact.mean(kept)
        return breath_every_four(means)


def locked_means(rr: NDArray[np.float64], position: NDArray[np.int_], period: int, total: float,
                 median_rr: float) -> NDArray[np.float64] | None:
    """The means (ms) of `rr` at each position of a period-`period` pattern when they explain more than
    LOCKED_SHARE of `total` (the variance they are judged against) and differ by more than LOCKED_SPREAD of
    `median_rr`; else None (also where a stretch is too short to hold every position). `position`: each
    interval's place in its stretch (0 at the stretch's first)."""
    phase = position % period
    if np.bincount(phase, minlength=period).min() == 0:
        return None  # stretches too short to hold every position (no mean of an empty slice)
    means = np.array([exact.mean(rr[phase == k]) for k in range(period)])
    if exact.var(means[phase]) <= LOCKED_SHARE * total:
        return None
    if float(np.maximum.reduce(means) - np.minimum.reduce(means)) <= LOCKED_SPREAD * median_rr:
        return None
    return means


def broken_before(times_s: NDArray[np.float64], gaps: Sequence[tuple[float, float]]) -> NDArray[np.bool_]:
    """For each beat, True when no interval may end at it: it is the first beat, the pause before it is
    longer than MAX_GAP_S, or a gap (start_s, end_s) overlaps the span since the previous beat."""
    broken = np.ones(len(times_s), dtype=bool)
    if len(times_s) < 2:
        return broken
    prev, this = times_s[:-1], times_s[1:]
    crossing = this - prev > MAX_GAP_S
    for start_s, end_s in gaps:
        crossing |= (start_s <= this) & (end_s >= prev)
    broken[1:] = crossing
    return broken


def stretches(times_s: NDArray[np.float64], gaps: Sequence[tuple[float, float]],
              timing_sds_s: NDArray[np.float64] | None = None) -> Stretches:
    """Corrected intervals of increasing beat times, corrected stretch by stretch between gaps.

    A correction may insert or delete beats inside a stretch (missed and extra beats) but never moves
    a stretch's first or last beat, so stretches keep their bounds. `timing_sds_s`: per beat, the pulse
    pipeline's estimate of its timing noise (s; 0 where not known; default none known): a stretch's is the root mean
    square of its known ones where at least half its beats carry one (artifacts.correct_with_scale, timing_sd_ms).
    """
    t = np.asarray(times_s, dtype=float)
    broken = broken_before(t, gaps)
    starts = np.flatnonzero(broken)
    bounds = [*starts.tolist(), len(t)]
    ends: list[NDArray[np.float64]] = []
    ibis: list[NDArray[np.float64]] = []
    labels: list[NDArray[np.int_]] = []
    numbers: list[NDArray[np.int_]] = []
    for k in range(len(starts)):
        beats = t[bounds[k]:bounds[k + 1]]
        if len(beats) < 2:
            continue
        ibi_ms, kinds, lag_ms = _corrected(np.diff(beats) * 1000.0, _timing_sd_ms(
            None if timing_sds_s is None else timing_sds_s[bounds[k]:bounds[k + 1]]))
        ends.append(beats[0] + (np.cumsum(ibi_ms) - lag_ms) / 1000.0)
        ibis.append(ibi_ms)
        labels.append(kinds)
        numbers.append(np.full(len(ibi_ms), k))
    if not ibis:
        empty = np.zeros(0)
        return Stretches(empty, empty, np.zeros(0, dtype=int), np.zeros(0, dtype=int))
    return Stretches(np.concatenate(ends), np.concatenate(ibis), np.concatenate(labels),
                     np.concatenate(numbers))


def _timing_sd_ms(sds_s: NDArray[np.float64] | None) -> float:
    """The root mean square (ms) of the known (positive) per-beat timing SDs `sds_s` (s), or 0 where fewer than half
    of the beats carry one (or none is given)."""
    if sds_s is None or len(sds_s) == 0:
        return 0.0
    known = sds_s[sds_s > 0.0]
    if 2 * len(known) < len(sds_s):
        return 0.0
    return 1000.0 * math.sqrt(float(np.mean(known * known)))


def _corrected(ibi_ms: NDArray[np.float64], timing_sd_ms: float = 0.0
               ) -> tuple[NDArray[np.float64], NDArray[np.int_], NDArray[np.float64]]:
    """The correction, run a second time on its own output: with many artifacts the first pass's
    thresholds are set by them, and the second, on a cleaner series, catches what the first let by.
    (intervals ms, labels, lag ms: artifacts.correct_with_lag's, both passes' together, so that the beat ending
    interval i came sum(intervals[:i + 1]) - lag[i] ms after the first beat on the input's clock.) The second pass
    judges the heart's own jitter on at least the first's scale (artifacts.correct_with_scale): the cleaned series'
    differences read smaller, and its flags would otherwise be the jitter's own. `timing_sd_ms`: the stretch's timing
    noise as the pulse pipeline estimated it (0: not known; artifacts.correct_with_scale)."""
    first, first_kinds, first_lag, scale_ms = correct_with_scale(ibi_ms, timing_sd_ms=timing_sd_ms)
    second, kinds, second_lag, _ = correct_with_scale(first, settled=first_kinds != 0, scale_floor_ms=scale_ms,
                                                      timing_sd_ms=timing_sd_ms)
    if len(second) == len(first) and not first_lag.any():
        return second, np.where(kinds != 0, kinds, first_kinds), second_lag
    first_ends = np.concatenate([[0.0], np.cumsum(first)])
    on_first = np.cumsum(second) - second_lag  # where each second-pass interval ends, on the first pass's clock
    if len(second) == len(first):
        kinds = np.where(kinds != 0, kinds, first_kinds)
    else:  # the second pass inserted or deleted beats: each interval keeps the first-pass label of the one it ends in
        within = np.minimum(np.searchsorted(first_ends[1:], on_first - 1e-6), len(first) - 1)
        kinds = np.where(kinds != 0, kinds, first_kinds[within])
    if not first_lag.any():
        return second, kinds, second_lag
    # a second-pass beat's time on the first pass's clock, then the first pass's lag there: at its beats, their own,
    # in between (a beat the second pass inserted) interpolated, so the input's clock runs on evenly and never back
    lag = second_lag + np.interp(on_first, first_ends, np.concatenate([[0.0], first_lag]))
    return second, kinds, lag


def off_rate(ibi_ms: NDArray[np.float64], reference_ms: float,
             stretch: NDArray[np.int_] | None = None) -> NDArray[np.bool_]:
    """For each interval (ms), True when it is a beat too many or too few: not within RATE_AGREE_FACTOR
    (sqrt 2) of `reference_ms`, the window's own interval (60000 / its heart rate), so nearer to half or
    twice it than to it, in a run of such intervals that meets the rest of its stretch (`stretch`: the
    stretch number of each interval; one stretch when None) with a jump by more than RATE_AGREE_FACTOR
    within JUMP_SPAN intervals of the run's end. A real change of rate (an ECG series going from 71 to 100 beats/min
    within a minute) passes the bound gradually and is left alone; a picker that takes or drops a beat
    halves or doubles the interval at once.

    The correction repairs single extra and missed beats against an 11-beat median; a run of them longer
    than half that (a picker that took the diastolic wave for a while, or the premature beats of a
    bigeminy it later skipped) moves the median with it and is left as it is: this finds those."""
    ibi = np.asarray(ibi_ms, dtype=float)
    outside = (ibi < reference_ms / RATE_AGREE_FACTOR) | (ibi > reference_ms * RATE_AGREE_FACTOR)
    marked = np.zeros(len(ibi), dtype=bool)
    if not outside.any():
        return marked
    number = np.zeros(len(ibi), dtype=int) if stretch is None else np.asarray(stretch)
    linked = (number[1:] == number[:-1]) & outside[1:] & outside[:-1]  # consecutive outside intervals: a run
    first = 0
    for last in range(len(ibi)):
        if last + 1 < len(ibi) and linked[last]:
            continue  # the run goes on
        if outside[first] and (_jumps(ibi, number, first, -1) or _jumps(ibi, number, last, 1)):
            marked[first:last + 1] = True
        first = last + 1
    return marked


def _jumps(ibi: NDArray[np.float64], number: NDArray[np.int_], end: int, step: int) -> bool:
    """True when one of the JUMP_SPAN intervals beyond `end` (after it for `step` 1, before it for -1) in
    its stretch differs from interval `end` by more than RATE_AGREE_FACTOR."""
    for k in range(1, JUMP_SPAN + 1):
        j = end + step * k
        if not 0 <= j < len(ibi) or number[j] != number[end]:
            return False
        ratio = ibi[j] / ibi[end]
        if ratio > RATE_AGREE_FACTOR or ratio < 1.0 / RATE_AGREE_FACTOR:
            return True
    return False


def artifact_share(labels: NDArray[np.int_]) -> float:
    """Share (0..1) of intervals a correction produced or changed."""
    return float(np.mean(labels != Artifact.NORMAL)) if len(labels) else 0.0


def chi2_lower_quantile(dof: int, z: float) -> float:
    """The chi-square quantile with `dof` (>= 1) degrees of freedom whose lower tail is that of the standard normal
    below -`z` (z = 1.645: the 5 % quantile), by Wilson & Hilferty's cube-root approximation (1931,
    doi:10.1073/pnas.17.12.684): within 2 % of the exact quantile from 5 degrees of freedom on, 1 % from 6 (the
    fewest the irregularity has), a quarter of it at 1; at least a thousandth of `dof`. InputError below 1."""
    if dof < 1:
        raise InputError(f"degrees of freedom must be at least 1, got {dof}")
    a = 2.0 / (9.0 * dof)
    return dof * max(1.0 - a - z * math.sqrt(a), 0.1) ** 3
