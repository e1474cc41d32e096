"""Beat times and heights that follow the sampling phase: measured over the window and taken out.

A pulse with content above the Nyquist frequency (a sharp foot, a crest narrower than a sample interval: a fast
fingertip or Gaussian pulse at 25 samples/s), sampled with no anti-alias filter, truly looks different from beat to
beat according to where between two samples the beat fell: its *sampling phase*, the beat's sample index modulo 1
(Beat.phase). Its timed peak and its height then carry an error that is a deterministic function of that phase. A
regular pulse whose period is no whole number of samples walks slowly through the phases, so the error becomes a
slow periodic pattern in the intervals and heights: a false RMSSD and a false breathing line, which no noise
estimate sees (there is no noise in it). docs/measurements.md, "Beat timing at 25 samples/s: an aliased error
learned from the phase".

The phase of every beat is known, so the error is measured rather than predicted. A beat's time is t = true +
e(phase), e periodic in the phase, written as PHASE_HARMONICS harmonics (cos and sin of 2 pi k phase); an interval
then holds e(phase_j) - e(phase_j-1). The window's intervals are regressed on those differences together with a
quadratic trend in time (the heart's slow drift); where the harmonics explain the intervals beyond chance (an F
test at PHASE_ALPHA), the fitted e is the timing error and is taken out of each beat's time. A heart's own rhythm
(breathing-driven RSA, drift, ectopy) is not locked to where the samples fall, so it stays in the residual and keeps
the test honest: with real variation large against the phase pattern the harmonics are not significant and nothing
moves. Beat heights (for the breathing rate read from them) the same way, regressed on the harmonics themselves.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from device.signal import exact
from device.signal.artifacts import MAD_TO_SD
from device.signal.intervals import RATE_AGREE_FACTOR

__all__ = ["PHASE_ALPHA", "PHASE_HARMONICS", "covers_the_circle", "phase_height_part", "phase_timing_error"]

# Harmonics of the phase fitted: the error of a noise-free fingertip or Gaussian pulse at 25-50 samples/s and
# 120-220/min is taken out to 0.0-0.6 ms of RMSSD with 3 (2: up to 0.6 on the fingertip pulse, 4 and 6 gain under
# 0.1 ms; /tmp/i7a_proto2.py, outside the repo); each harmonic costs two degrees of freedom.
PHASE_HARMONICS = 3
# The F test's level: the harmonics are taken as the error only when a heart's rhythm unlocked to the samples would
# explain as much by chance once in a thousand windows (the level the lock's other chance tests use); a chance
# fit moves the beats by what 2 x PHASE_HARMONICS of n regressors catch, a few % of their variation.
PHASE_ALPHA = 1e-3
# A fit needs this many points per regressor it estimates (the trend's 3 and the harmonics' 2 x PHASE_HARMONICS):
# the usual rule of thumb for a stable least-squares fit; 27 intervals, 12 s at 135/min
POINTS_PER_REGRESSOR = 3
# Points further than this many robust SDs (1.4826 x the median absolute deviation) from their median are left out
# of a fit: least squares follows one odd point (the lock's first beat, timed or sized on a shortened span) with
# every harmonic it has (a height 0.72 of the rest swung the fitted heights by 10 %); 4 SDs leave a normal
# spread, or a breathing swing, whole.
OUTLIER_SDS = 4.0
TREND_TERMS = 3  # constant, linear and quadratic in time: the heart's drift over the window
# The phases fitted must leave no gap on the circle wider than this (a sample interval's share): PHASE_HARMONICS
# harmonics are determined only by phases spaced closer than half their shortest period, 1 / (2 x PHASE_HARMONICS)
# (the sampling theorem on the circle). A pulse whose phase barely walks over the window (a period within a few
# hundredths of a whole number of samples) leaves the harmonics undetermined, and a fit there extrapolates
# (a Gaussian pulse at 59.99/min, 50 samples/s, phases over 0.6 of the circle: a breathing rate of 3/min at 1.0 read
# from the fitted heights); its error is then nearly the same on every beat, which no interval or height sees.
MAX_PHASE_GAP = 1.0 / (2 * PHASE_HARMONICS)


def harmonics(phases: NDArray[np.float64]) -> NDArray[np.float64]:
    """(n, 2 x PHASE_HARMONICS) cos and sin of 2 pi k phase, k = 1..PHASE_HARMONICS, for `phases` (n, in
    samples modulo 1)."""
    angle = 2.0 * np.pi * np.asarray(phases, dtype=float)[:, None] * np.arange(1, PHASE_HARMONICS + 1)[None, :]
    return np.concatenate([np.cos(angle), np.sin(angle)], axis=1)


def f_survival(f: float, d1: int, d2: int) -> float:
    """P(F > f) for an F distribution of `d1` (even) and `d2` degrees of freedom: the regularized incomplete
    beta function I_x(d2 / 2, d1 / 2), x = d2 / (d2 + d1 f), which for an integer second argument is a finite
    sum (Abramowitz & Stegun 26.6.4 / 26.5.7); no scipy (the daemon does not import it)."""
    if d1 % 2 or d1 <= 0 or d2 <= 0:
        raise ValueError(f"F survival needs an even positive d1 and a positive d2, not {d1}, {d2}")
    if f <= 0.0:
        return 1.0
    a = 0.5 * d2
    x = d2 / (d2 + d1 * f)
    if x <= 0.0:
        return 0.0
    log_x, log_1mx = math.log(x), math.log1p(-x)
    total = 0.0
    for j in range(d1 // 2):
        total += math.exp(a * log_x + j * log_1mx + math.lgamma(a + j) - math.lgamma(a) - math.lgamma(j + 1.0))
    return min(1.0, total)


def _inliers(y: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Which of `y` lie within OUTLIER_SDS robust SDs of their median."""
    centre = exact.median_nan(y)
    sd = MAD_TO_SD * exact.median_nan(np.abs(y - centre))
    return np.asarray(np.abs(y - centre) <= OUTLIER_SDS * sd, dtype=np.bool_)


def covers_the_circle(phases: NDArray[np.float64]) -> bool:
    """Whether `phases` (sample index modulo 1) leave no gap on the circle wider than MAX_PHASE_GAP."""
    ordered = np.sort(np.asarray(phases, dtype=float) % 1.0)
    if len(ordered) < 2:
        return False
    gaps = np.diff(np.concatenate([ordered, ordered[:1] + 1.0]))
    return bool(np.max(gaps) <= MAX_PHASE_GAP)


def _phase_part(y: NDArray[np.float64], times_s: NDArray[np.float64],
                regressors: NDArray[np.float64]) -> NDArray[np.float64] | None:
    """The part of `y` (n) that `regressors` (n, m) explain beyond a quadratic trend in `times_s` (n, s), or None
    when it is not significant at PHASE_ALPHA (F test) or there are too few points (POINTS_PER_REGRESSOR).

    The regressors are first made orthogonal to the trend, so what the trend could explain is left to it: a
    phase that walks slowly makes slow regressors, and a fit that traded them against the trend could take out a
    large slow curve the trend then no longer held (a Gaussian pulse at 78.9/min, 25 samples/s, with the lock's
    first beats odd in height: a 27 % swing in the heights that read as breathing at 3.5/min). Taking out the
    part returned moves no point's distance from the trend up on the whole (least squares)."""
    n, m = regressors.shape
    p = TREND_TERMS + m
    if n < POINTS_PER_REGRESSOR * p:
        return None
    span = float(times_s[-1] - times_s[0]) or 1.0
    u = (times_s - exact.mean(times_s)) / span
    trend = np.column_stack([np.ones(n), u, u * u])
    projection, *_ = np.linalg.lstsq(trend, np.column_stack([y, regressors]), rcond=None)
    rest = np.column_stack([y, regressors]) - trend @ projection  # y and the regressors less the trend
    y_rest, free = rest[:, 0], rest[:, 1:]
    coef, *_ = np.linalg.lstsq(free, y_rest, rcond=None)
    part = free @ coef
    base_rss = float(y_rest @ y_rest)
    rss = float(np.sum((y_rest - part) ** 2))
    if base_rss - rss <= 0.0:
        return None
    # a fit with no residual at all (a synthetic pulse, every beat alike) is as significant as can be
    f = math.inf if rss <= 1e-12 * base_rss else ((base_rss - rss) / m) / (rss / (n - p))
    if f_survival(f, m, n - p) >= PHASE_ALPHA:
        return None
    return np.asarray(part, dtype=float)


def phase_timing_error(times_s: NDArray[np.float64], phases: NDArray[np.float64],
                       broken: NDArray[np.bool_]) -> NDArray[np.float64]:
    """Per beat, the part of its time (s) that follows its sampling phase (module docstring), to be taken out;
    zeros where it is not significant (PHASE_ALPHA) or cannot be fitted, and for beats of unknown phase (NaN).

    times_s: beat times (s, increasing); phases: each beat's sample index modulo 1 (Beat.phase; NaN unknown);
    broken: True at beats where no interval ends (intervals.broken_before: the first beat, gaps, motion). Only
    intervals between two beats of known phase, not broken, within RATE_AGREE_FACTOR of the median interval (a
    missed or an extra beat is no interval of the rhythm) and not outliers (OUTLIER_SDS) enter the fit."""
    t = np.asarray(times_s, dtype=float)
    ph = np.asarray(phases, dtype=float)
    error = np.zeros(len(t))
    known = np.isfinite(ph)
    if len(t) < 2 or np.count_nonzero(known) < 2:
        return error
    h = harmonics(np.where(known, ph, 0.0))
    ibi = np.diff(t)
    use = ~np.asarray(broken, dtype=bool)[1:] & known[1:] & known[:-1]
    if not use.any():
        return error
    typical = exact.median_nan(ibi[use])
    use &= (ibi < RATE_AGREE_FACTOR * typical) & (ibi > typical / RATE_AGREE_FACTOR)
    if not use.any():
        return error
    use[use] = _inliers(ibi[use])
    if not covers_the_circle(ph[1:][use]):
        return error
    part = _phase_part(ibi[use], t[1:][use], (h[1:] - h[:-1])[use])
    if part is None:
        return error
    # the intervals' phase part, summed beat by beat: each beat's time error up to a constant per stretch
    # (intervals left out of the fit take none), which no interval within a stretch sees
    step = np.zeros(len(ibi))
    step[use] = part
    return np.concatenate([[0.0], np.cumsum(step)])


def phase_height_part(times_s: NDArray[np.float64], heights: NDArray[np.float64],
                      phases: NDArray[np.float64]) -> NDArray[np.float64]:
    """Per beat, the part of its height (the units of `heights`) that follows its sampling phase, to be taken
    out; zeros where it is not significant (PHASE_ALPHA) or cannot be fitted, and for beats of unknown phase (NaN)
    or unknown height (0 or less); heights further than OUTLIER_SDS from the rest are left out of the fit.
    times_s: beat times (s, increasing); phases: as phase_timing_error's."""
    t = np.asarray(times_s, dtype=float)
    y = np.asarray(heights, dtype=float)
    ph = np.asarray(phases, dtype=float)
    part = np.zeros(len(t))
    use = np.isfinite(ph) & (y > 0)
    if np.count_nonzero(use) < 2:
        return part
    use[use] = _inliers(y[use])
    if not covers_the_circle(ph[use]):
        return part
    fitted = _phase_part(y[use], t[use], harmonics(ph[use]))
    if fitted is not None:
        part[use] = fitted
    return part
