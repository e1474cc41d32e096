"""Beat-interval artifact detection and correction after Lipponen & Tarvainen (2019).

J. A. Lipponen and M. P. Tarvainen, "A robust algorithm for heart rate variability time series artefact
correction using novel beat classification", J. Med. Eng. Technol. 43(3):173-181, 2019,
doi:10.1080/03091902.2019.1640306 (the method behind Kubios' automatic correction).

Each interval is placed in two planes built from the successive differences of the intervals (dRR) and
their deviation from an 11-beat median (mRR), both normalised by a time-varying threshold (5.2 quartile
deviations over 91 beats). Ectopic beats show as a short-long (or long-short) pair in the first plane;
missed, extra, long and short beats in the second. Corrections keep the total duration:
missed beat -> the long interval is split (each piece set to its neighbours' level where an even split would be off
it: MISSED_MIN_RATIO, and the series then grows or shrinks as at a replacement); extra beat -> the two short intervals
are merged;
ectopic, long or short -> the beat is moved to the middle of its neighbours (both intervals averaged), except
where the beat is premature and resets the rhythm (no compensatory pause: the interval after it is normal). There
the paper's move would leave two intervals off by half its prematurity; the short interval alone is replaced by
the mean of its neighbours instead, and the series grows by what that adds (correct_with_lag says how much).
An ectopic, long or short beat whose intervals do not stand out of the heart's own beat-to-beat jitter (JITTER_Z) is
left where it came, labelled: the paper's threshold is crossed by a regular heart's own largest differences.
"""

from __future__ import annotations

import math
from enum import IntEnum
from functools import lru_cache
from statistics import NormalDist

import numpy as np
from numpy.typing import NDArray

from device.errors import InputError
from device.signal import exact

_STANDARD_NORMAL = NormalDist()

C1 = 0.13  # slope of the ectopic-beat decision boundary (paper's c1)
C2 = 0.17  # offset of the ectopic-beat decision boundary (paper's c2)
ALPHA = 5.2  # threshold = ALPHA x quartile deviation
THRESHOLD_BEATS = 91  # beats over which the quartile deviation is taken
MEDIAN_BEATS = 11  # beats of the median filter behind mRR
MIN_THRESHOLD_MS = 10.0  # floor, so a perfectly regular series does not flag timing jitter
# Frequent ectopy: when one beat in a dozen or more is premature, the short-long pairs fill the upper
# quartile of |dRR| and |mRR| and the paper's threshold grows with them until nothing is flagged. The
# threshold is therefore capped by a scale that up to ~60 % of affected intervals cannot move: the
# NORMAL_QUANTILE quantile of |RR - median RR| (the normal beats' own spread; a third of intervals stay
# normal at one premature beat in three), converted to a standard deviation as for a half-normal
# distribution, times the paper's ALPHA x quartile deviation per standard deviation (2.16): on a series
# without ectopy the cap equals the paper's own threshold, so the paper's method is what runs there.
NORMAL_QUANTILE = 0.2
HALF_NORMAL_Q20 = 0.2533  # 20th percentile of |x| for x ~ N(0, 1)
THRESHOLD_PER_SD = ALPHA * (1.1503 - 0.3186) / 2.0  # the paper's threshold for |x|, x ~ N(0, 1)
# Breathing swing (_without_swing): the heart rate's breathing component is fitted as one sinusoid at a frequency
# on this grid (3-30 breaths a minute, the pacer's range and beyond it either way, in steps of 0.004 Hz: under
# the width of a 4-minute series' spectral peak, 1 / duration, so the best grid point lies on the peak) ...
SWING_FREQUENCIES_HZ = np.arange(0.05, 0.5, 0.004)
# ... then on a grid this many times finer within a coarse step either side of the best (steps of 0.0004 Hz: the
# phase is then at most 0.06 radians off at either end of 90 s)
SWING_REFINE = 10
# A swing fitted for the jitter scale (_swing_ms) is taken out only where it explains more than the best sinusoid of
# the grid would of white noise at this chance (_chance_share): otherwise the fit takes the noise's own largest
# component out, the scale reads low (white-jitter hearts with no swing: 0.95 of the differences' SD, 0.88 under 60
# intervals, against 0.99 with none taken out) and the heart's own differences stand out of it.
SWING_CHANCE = 0.05
SWING_MIN_INTERVALS = 12  # fewer intervals than this: no swing is fitted (3 parameters, and a breath or two)
# It is taken out when it explains at least this share of the rate's variance: premature beats at a fixed period
# explain at most 0.72 with one sinusoid (_without_swing), a breath with jitter a / sigma explains a^2 / (a^2 + 2
# sigma^2), so this takes out a swing 2.8x the jitter or more. On generated series (seeds 0-2 of
# bench/bench_ectopy.py's rhythms with premature beats every 5-15, 15-45 % early; seeds 0-199 of slow swinging
# hearts, 30-60/min, breathing 6-20/min, swing 10-40 % of the rate) the premature beats explained at most 0.66 and
# the swings the correction flagged at least 0.90: halfway.
SWING_MIN_SHARE = 0.8
# A beat's interval is replaced on its own (correct_with_lag, _replaced_intervals) only where it is short by at least
# this share of the local median: a premature beat that resets the rhythm. The classification now and then flags a
# regular heart's genuine largest difference (2-3 SD of a noisy one); the paper's move keeps half of it, a replacement
# none. On 1000 regular series (tests/device/signal/synthetic_rr.py FAMILY, seeds 300-499) 0.10 leaves every RMSSD
# more than 25 % off where the paper's move leaves it (13), 0.08 adds 3 and 0.06 7; with no bound and long intervals
# too, 50. Premature beats 10 % early with no pause are then split between the two (seeds 300-339: off 17 of 200 at
# 1 in 15, 56 at 1 in 8, against 75 and 156 with the move alone).
PREMATURE_MIN_SHARE = 0.10
# ... and by at least this many standard deviations of the unflagged intervals among the MEDIAN_BEATS around it: a slow
# heart breathing every ~4 beats has a trough 10-15 % below its median that the classification may flag, with the
# intervals either side normal, as after a premature beat; its neighbours swing as far. On 300 windows of slow
# swinging hearts (tests/device/signal/test_slow_swing.py SLOW_HEARTS, swing 0.2-0.4, seeds 10-19) 2 withholds what
# the paper's move withholds (34; 35 with no bound) and changes nothing on premature beats (seeds 300-339); 3 lets two
# more through off at 1 in 5, 4 more still.
PREMATURE_MIN_SD = 2.0
# ... and by at most this share: a premature beat comes after the heart can beat again, its coupling interval rarely
# under half of the cycle; an interval shorter still is more likely a false beat (a picker's noise, a wave) next to a
# missed one than a beat that reset the rhythm, and is left to the paper's move (on CapnoBase, a peer's 180 ms
# interval beside 1100 ms ones was replaced, its window shown 23.6 ms where the paper's move had it withheld)
PREMATURE_MAX_SHARE = 0.5
# An interval at least this many times its local median (sqrt 2: nearer two intervals than one, as
# intervals.RATE_AGREE_FACTOR judges a rate), with each neighbour within the same factor of the median either way, holds
# a missed beat even where the paper's own test (its halves within the threshold of the median) fails: a premature beat
# too weak to be picked leaves (2 - e) x the interval (e its prematurity, 0.1-0.5) with no pause, up to 2x with a full
# one, and its halves are off by e / 2 each. The paper's move of the beat after it then sets two intervals at about
# 1.4x, RMSSD 5-10x a calm heart's (a fresh-clone tester's weak premature beat at 63.6/min: 43.8 ms for 4.25). Jitter
# and breathing swings (at most +-20 % of the interval for a swing of 40 % of the rate) never stretch an interval so
# far; a premature beat's compensatory pause makes one of sqrt 2 or more only when the beat is 41 % early or more, and
# then the short interval beside it is under 2 - sqrt 2 = 0.59 of the median, beyond the neighbours' bound. (1.5 and a
# neighbour sum of 2.5 intervals first: a fresh-clone tester's fast hearts with a breathing swing 4-6 % of the interval
# had some such intervals under the bound and moved, others split, and RMSSD shown 2-4x where all had been withheld.)
MISSED_MIN_RATIO = float(np.sqrt(2.0))
# ... and under this many: one beat missed, not two. The pipeline reports lost signal as a gap (no interval is formed
# across one), so an interval nearer three than two with the signal there is the heart's own pause more often than two
# beats the picker passed over in a row (CapnoBase 0123: a premature beat and pauses of 2.5 and 2.3 s at 89/min, its
# window's RMSSD 408 ms by the ECG; split into pieces at the level, that window showed 22 ms where it was withheld).
MISSED_MAX_RATIO = MISSED_MIN_RATIO + 1.0
# ... and with each normal neighbour at least this many median intervals together: a premature beat's compensatory pause
# and its short interval span two, a missed premature beat (at most PREMATURE_MAX_SHARE early) and its neighbour 2.5 or
# more; halfway. On a slow heart's breathing crest a full pause after a beat 30 % early is sqrt 2 of the window's median
# and its short interval within sqrt 2 too: without this, bench_slow_swing's premature 1 in 8 lost 100 of 289 windows.
MISSED_PAIR_SUM = 2.25
# Two intervals in a row that together make less than EXTRA_MAX_SUM of their local median (nearer one interval than
# two, the missed-beat rule turned round) hold an extra beat (_holds_extra): a beat the picker counted twice, or a false
# one, split an interval in two. Sinus beats never make two so short in a row (jitter and breathing swings stay within
# +-20 % of the interval), a premature beat with no pause leaves (2 - e) x the interval (e at most PREMATURE_MAX_SHARE:
# 1.5 or more), with a pause 2. The paper's own test (the pair's sum within its threshold of the median, the first of
# them a short beat in the second plane) misses an extra beat beside a missed one: the jump from the missed beat's long
# interval into the short piece is read in the first plane as an ectopic beat, and the extra beat is moved, not deleted
# (a fresh-clone tester: 25.2 ms for a true 2.45 at 80.5/min, every reason null). So where the classification flags an
# interval of such a pair or the jump out of it, the pair is labelled an extra beat before anything else, and the jumps
# into and out of it are its own; an interval beside it still holds a missed beat by _holds_missed (the pair counts
# there as one normal interval). At least this many times the median together (1 / MISSED_MIN_RATIO: nearer one than a
# half), the interval either side of the pair at least as long, not part of a longer run of short intervals: else two
# extra beats, or a change of rate.
EXTRA_MIN_RATIO = 1.0 / MISSED_MIN_RATIO
# ... and under this many: halfway between one interval (an extra beat's pieces) and 1.5, the least a premature beat at
# PREMATURE_MAX_SHARE and the normal interval before it make. Not sqrt 2: a slow heart's breathing trough (0.8-0.9 of
# the median) before a beat 35-40 % early sums to 1.35-1.41, and bench_slow_swing (its default seeds 1000-1199) lost two
# right windows of its premature rows to irregular_rhythm with sqrt 2; with 1.25 none.
EXTRA_MAX_SUM = 1.25
LOCK_PERIODS = (2, 3, 4)  # beats: a fit at k / period cycles per beat may be bigeminy, trigeminy, quadrigeminy
# ... within this many frequency bins (1 / the series' duration) of it: a breath that close drifts less than half a
# cycle against the beats over the series, in form the locked pattern. (0.25 and 0.1 on seeds 0-199 of
# bench_slow_swing's wide rows turn those windows from frequent_artifacts to irregular_rhythm, the pattern check's
# verdict: 518 -> 519 -> 521 of 600 right; not worth moving a trigeminy's guard.)
LOCK_TOLERANCE_BINS = 0.5
# A breath every ~4 beats against quadrigeminy (`breath_every_four`; intervals.py Stretches.beat_locked_pattern and
# _without_swing here). Of a period-4 pattern's variance, one sinusoid at 0.25 cycles per beat puts none in the
# 0.5-cycles-per-beat (alternating) harmonic; an early beat puts a third there with no pause after it, a half with a
# full compensatory one. A breath's own share there comes from the swing being one of rate, not of interval, and from
# noise: 0.00-0.04 on bench/bench_slow_swing.py seeds 0-199 (with 1 in 8 beats premature, up to 0.08). A breath riding
# on a quadrigeminy in the worst phase adds to the early beat's fundamental, not its harmonic: at a quarter of the third
# (1/12), one with no pause is flagged while the breath's fundamental is up to 1.35x the early beat's (sqrt((1 / share -
# 1) / 2) - 1; 0.58x at 1/6). On those seeds 1/6 and 1/12 flag the same breaths, and 1/12 one more quadrigeminy; 1/16
# withholds a breath.
BREATH_HARMONIC_SHARE = 1.0 / 12.0
# White jitter (correct_with_scale, _jitter_scale, _within_jitter). The paper's threshold is about THRESHOLD_PER_SD
# (2.16) standard deviations of a regular heart's Gaussian differences, so ~3 % of them cross it by chance, and the
# second pass, thresholded on the cleaned series, flags more: a 65/min heart with 6.3 ms of white jitter had 17 % of its
# intervals corrected and its RMSSD read 5.6 ms for 9.2. A beat the paper labels ectopic or long/short is therefore
# moved or replaced only where its intervals, less the breathing swing, stand out of the heart's own differences by
# JITTER_Z of their standard deviation: 3.29, two-sided 0.1 % of a Gaussian (of the paper's flags, the 3 % tail, about
# 1 in 30 of a white-jitter heart's then pass). On generated white-jitter hearts (tests/device/signal/synthetic_rr.py
# white_jitter_heart, seeds 0-99 looked at, 1000-1199 not) RMSSD off by more than 25 % or 2 ms: 49 of 786 given -> 7
# of 779 (docs/measurements.md).
JITTER_Z = 3.29
# ... and over a whole window at this chance (jitter_bar): at JITTER_Z alone each beat had a 0.1 % chance, so a window
# of n beats had one of its clean heart's own moved with a chance of about n / 1000 (7 % at 72 beats, 13 % at 135),
# more where the scale read low: the simulator's person (beat-time jitter of 6-11 ms, unpaced) had a beat moved in 3
# of its first seven 60 s windows at 3.4-3.65 SD of a scale estimated right; white-jitter hearts with no premature beat
# (white_jitter_heart seeds 1000-1199, with and without a swing) 42 of 400 series. With one window in 100: none of the
# seven, 8 of 400. What it costs: a premature beat with no pause 3.3-3.8 SD out is left where it came (bench_ectopy
# --no-pause off 13 -> 19 of 328 given; main 16 of 331). Chosen as a round chance, not tuned.
WINDOW_CHANCE = 0.01
MAD_TO_SD = 1.4826  # the median absolute deviation of a normal spread times this is its SD (1 / 0.6745)
JITTER_MIN_DIFFERENCES = 8  # fewer differences than this to take the scale from: the paper's correction stands
# The scale is refined (_clipped_scale) from every difference within this many of its last estimate, SCALE_ROUNDS
# times: 2.5 leaves out 1.2 % of a Gaussian's (the truncated variance corrects for them) and keeps out the differences
# of premature beats 4 SD out (15 % early on an 80/min heart with 20 ms of jitter, bench_ectopy --no-pause), which
# from JITTER_Z (3.29) the jitter brings within now and then, widening the scale round by round (off 12 -> 20 of 327).
# Chosen on natural_heart seeds 0-199, the simulator's person (seeds 1-20, 60 s windows to 5 min: windows with a beat
# moved 14 on main, 7 at 2.5, 5 at 3.29, 11 at 2.0) and that guard.
SCALE_CLIP_Z = 2.5
SCALE_ROUNDS = 5
# the variance of a standard normal within +-SCALE_CLIP_Z, as a share of its whole: 1 - 2 z phi(z) / (2 Phi(z) - 1)
TRUNCATED_VARIANCE = 1.0 - 2.0 * SCALE_CLIP_Z * math.exp(-0.5 * SCALE_CLIP_Z ** 2) / math.sqrt(
    2.0 * math.pi) / math.erf(SCALE_CLIP_Z / math.sqrt(2.0))
# White noise in the beat TIMES (the picker's, not the heart's) makes the intervals' lag-1 autocorrelation -0.5, white
# interval jitter 0: below halfway the differences are mostly timing noise, and the paper's move (a beat set to the
# middle of its neighbours) is what smooths them; there it stands.
TIMING_NOISE_LAG1 = -0.25
# ... and only where the pulse pipeline's own estimate of its timing noise (Beat.timing_sd_s, per beat; 6 sigma^2 of it
# in a successive difference) makes at least this share of the differences' mean square: a heart's own beat-time
# jitter (the simulator's heart: white noise in its beat times) makes the same lag-1, and on beat times alone (no
# estimate: hrv_metrics without timing_sds, an ECG) nothing says the noise is the picker's, so the heart's own
# differences stand. White timing noise must hold 0.6 of an uncorrelated heart's differences' mean square to bring
# their lag-1 to TIMING_NOISE_LAG1 (its variance sigma^2 half the heart's: -sigma^2 / (v + 2 sigma^2) = -0.25, and
# 6 sigma^2 / (2 v + 6 sigma^2) = 0.6); half of that, as the estimate reads up to 2x low in variance (a regular
# fingertip pulse at 47/min, 100 samples/s: 3.0 ms estimated where its beats' differences say 4.4 ms;
# tests/device/signal/test_sampling_phase.py).
TIMING_NOISE_MIN_SHARE = 0.3
# Premature beats are early: where the flagged beats whose interval is short outnumber the others beyond this chance
# (binomial, one half each way, as a heart's own jitter makes them), the short ones are taken for premature beats
# whether or not each stands out on its own (_premature_run): 1 in 12 at 15 % early on an 80/min heart with 20 ms of
# jitter (~4 standard deviations of its differences) is otherwise left now and then (bench_ectopy --no-pause).
PREMATURE_SIGN_P = 0.01


class Artifact(IntEnum):
    """Label of a corrected interval."""

    NORMAL = 0
    ECTOPIC = 1
    MISSED = 2  # this interval is half of one that spanned a missed beat
    EXTRA = 3  # this interval merges two split by an extra beat
    LONG_SHORT = 4


def _odd_at_most(width: int, n: int) -> int:
    """The largest odd window no wider than `width` nor than the series (`n` >= 1)."""
    w = min(width, n)
    return w if w % 2 else w - 1


@lru_cache(maxsize=32)
def _window_counts(n: int, width: int, centre_out: bool) -> NDArray[np.int_]:
    """Values in each centred window of `width` (odd) over a series of `n`: the windows shrink at the
    ends of the series; one fewer in each when the centre is left out. Read-only."""
    half = width // 2
    i = np.arange(n)
    count = np.minimum(i + half, n - 1) - np.maximum(i - half, 0) + 1 - int(centre_out)
    count.setflags(write=False)
    return count


def _sorted_windows(x: NDArray[np.float64], width: int, centre_out: bool = False) -> NDArray[np.float64]:
    """Windows of `width` (odd) centred on each element, each sorted, shape (len(x), width): a window's
    first _window_counts values are its values (x finite), padding (+inf) beyond the ends of the series
    and, with `centre_out`, in place of the element itself, after them.

    numpy's sort orders +inf padding exactly as it ordered the NaN padding used before (both compare
    above every finite value and never below each other), so the sorted values are the same."""
    n = len(x)
    half = width // 2
    padded = np.empty(n + 2 * half)
    padded[:half] = np.inf
    padded[half + n:] = np.inf
    padded[half:half + n] = x
    # the (n, width) strided view sliding_window_view gives, built directly (its checks cost more than
    # the sort), copied by the sort
    view = np.ndarray((n, width), dtype=np.float64, buffer=padded, strides=(8, 8))
    if not centre_out:
        return np.sort(view, axis=1)
    windows = view.copy()
    windows[:, half] = np.inf
    windows.sort(axis=1)
    return windows


@lru_cache(maxsize=64)
def _quantile_plan(n: int, width: int, q: float) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float64]]:
    """(flat index of the value below, of the value above, interpolation fraction) of quantile `q` in
    each row of _sorted_windows(x, width) for a series of `n`: numpy.percentile's linear interpolation
    at position (count - 1) q of each window's own values. Read-only."""
    count = _window_counts(n, width, False)
    pos = (count - 1) * q
    below = np.floor(pos).astype(int)
    above = np.minimum(below + 1, count - 1)
    frac = pos - below
    rows = np.arange(n) * width
    plan = (rows + below, rows + above, frac)
    for a in plan:
        a.setflags(write=False)
    return plan


@lru_cache(maxsize=32)
def _median_plan(n: int, width: int) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """(flat index of the lower, of the upper middle value) of each row of _sorted_windows(x, width,
    centre_out=True) for a series of `n`. Read-only."""
    count = _window_counts(n, width, True)
    rows = np.arange(n) * width
    plan = (rows + (count - 1) // 2, rows + count // 2)
    for a in plan:
        a.setflags(write=False)
    return plan


def _rolling_quantiles(x: NDArray[np.float64], width: int,
                       quantiles: tuple[float, ...]) -> list[NDArray[np.float64]]:
    """Quantiles (linear interpolation, as numpy.percentile) of centred windows that shrink at the ends,
    of a finite series.

    Vectorised: every window is sorted at once, its padding last, and read at its own length (the
    positions depend on the series' length only and are kept per length).
    """
    ordered = _sorted_windows(x, width).ravel()
    out = []
    for q in quantiles:
        below, above, frac = _quantile_plan(len(x), width, q)
        low, high = ordered[below], ordered[above]
        out.append(low + (high - low) * frac)
    return out


def _threshold(x: NDArray[np.float64], cap: NDArray[np.float64]) -> NDArray[np.float64]:
    """ALPHA x quartile deviation of |x| over THRESHOLD_BEATS centred beats (fewer at short series),
    at most `cap`, at least MIN_THRESHOLD_MS."""
    q1, q3 = _rolling_quantiles(np.abs(x), _odd_at_most(THRESHOLD_BEATS, len(x)), (0.25, 0.75))
    return np.maximum(np.minimum(ALPHA * (q3 - q1) / 2.0, cap), MIN_THRESHOLD_MS)


def _normal_spread(rr: NDArray[np.float64]) -> NDArray[np.float64]:
    """Standard deviation (ms) of the normal intervals about the median of their MEDIAN_BEATS - 1
    neighbours (the interval itself left out, so it never sits exactly on its own median), estimated
    from the NORMAL_QUANTILE quantile of that deviation over THRESHOLD_BEATS centred beats."""
    width = _odd_at_most(MEDIAN_BEATS, len(rr))
    # the median of each window's values (numpy.nanmedian's result, computed on one sort of all
    # windows: nanmedian's per-row masked path cost a fifth of the tracker's time)
    ordered = _sorted_windows(rr, width, centre_out=True).ravel()
    lower, upper = _median_plan(len(rr), width)
    deviation = np.abs(rr - (ordered[lower] + ordered[upper]) / 2.0)
    (q,) = _rolling_quantiles(deviation, _odd_at_most(THRESHOLD_BEATS, len(rr)), (NORMAL_QUANTILE,))
    return q / HALF_NORMAL_Q20


def classify_intervals(ibi_ms: NDArray[np.float64]) -> NDArray[np.int_]:
    """Artifact label (Artifact) of each interval of the uncorrected series (same length).

    Raises InputError unless `ibi_ms` is a 1-D array of positive, finite intervals (ms)."""
    return _classify(_checked(ibi_ms))


def _checked(ibi_ms: NDArray[np.float64]) -> NDArray[np.float64]:
    rr = np.asarray(ibi_ms, dtype=float)
    if rr.ndim != 1 or not np.isfinite(rr).all() or (rr <= 0).any():
        raise InputError("ibi_ms must be a 1-D array of positive, finite intervals")
    return rr


def _classify(rr: NDArray[np.float64], settled: NDArray[np.bool_] | None = None) -> NDArray[np.int_]:
    """classify_intervals of a checked series (_classify_swing's labels)."""
    return _classify_swing(rr, settled)[0]


def _classify_swing(rr: NDArray[np.float64], settled: NDArray[np.bool_] | None = None
                    ) -> tuple[NDArray[np.int_], float]:
    """(classify_intervals of a checked series, the frequency Hz of the breathing swing _without_swing fitted, 0 where
    it fitted none): the paper's labels, less those a breathing swing explains.

    A slow heart's breathing swing is large in ms, and when the breath comes every 2-4 beats its intervals take
    a few values, one of them at the local median: the thresholds' scales (the spread of the intervals about
    their median, of their successive differences) then read the beat-to-beat jitter alone and the swing itself
    is flagged. So when anything is flagged, the series is classified again with the swing taken out
    (`_without_swing`), and its labels are the ones given, where the paper's flagged an interval or one of its
    neighbours (never more than the paper's own flags reach): an ectopic, missed or extra beat stands out of the
    steady series as it did of the swinging one, and is placed and typed there without the swing's help."""
    labels = _classify_plain(rr, settled)
    if not labels.any():
        return labels, 0.0
    steady, frequency_hz = _without_swing(rr)
    if steady is None:
        return labels, frequency_hz
    flagged = labels != Artifact.NORMAL
    near = flagged.copy()  # the intervals flagged and their neighbours: where an artifact may be
    near[1:] |= flagged[:-1]
    near[:-1] |= flagged[1:]
    # a missed or an extra beat is one of the beat count, not of the swing: the paper's label stands (the steady
    # series scales an interval by the rate at its start, which misjudges one that spans two beats)
    count = (labels == Artifact.MISSED) | (labels == Artifact.EXTRA)
    return np.where(count, labels, np.where(near, _classify_plain(steady, settled), int(Artifact.NORMAL))), frequency_hz


def _without_swing(rr: NDArray[np.float64]) -> tuple[NDArray[np.float64] | None, float]:
    """(The intervals (ms) with the breathing swing taken out, or None when there is no swing to take out that
    premature beats could not also make; the frequency Hz of the sinusoid fitted, 0 where none was).

    The heart rate (1 / interval) is fitted, by least squares, with a mean and one sinusoid in time, at the
    frequency of SWING_FREQUENCIES_HZ that fits best; each interval is then scaled by the fitted rate at its start
    over the mean rate, which leaves a steady rhythm with the jitter and any artifact. Taken out only when
    - the sinusoid explains at least SWING_MIN_SHARE of the rate's variance: premature beats at a fixed period
      spread theirs over the period's harmonics, and one sinusoid holds at most 0.72 of it (one beat in 5 with
      a full pause: 2 - 2 cos(4 pi / 5) of the sum over the harmonics, 10), less with jitter;
    - it is not at 1/2, 1/3 or 1/4 cycles per beat (within LOCK_TOLERANCE_BINS frequency bins, a bin 1 / the
      series' duration): there one sinusoid is any pattern locked to every 2nd, 3rd or 4th beat, bigeminy,
      trigeminy or quadrigeminy, as well as a breath exactly every 2, 3 or 4 beats (every 4th beat a breath is
      told from quadrigeminy as Stretches.beat_locked_pattern tells it: `breath_every_four` on the intervals'
      means at each position). A breath not locked to the beats drifts against them and fits elsewhere."""
    n = len(rr)
    if n < SWING_MIN_INTERVALS:
        return None, 0.0
    starts_s = np.concatenate([[0.0], np.cumsum(rr[:-1])]) / 1000.0
    rate = 1000.0 / rr  # beats per second
    frequency_hz, fitted = _best_sinusoid(starts_s, rate)
    if fitted is None:
        return None, 0.0
    total = float(np.var(rate))
    if total <= 0.0 or float(np.var(rate - fitted)) > (1.0 - SWING_MIN_SHARE) * total:
        return None, frequency_hz
    cycles_per_beat = frequency_hz * float(np.sum(rr)) / 1000.0 / n
    tolerance = LOCK_TOLERANCE_BINS / n  # in cycles per beat (a bin, 1 / duration, is 1 / n of them)
    locked = [period for period in LOCK_PERIODS
              if abs(cycles_per_beat * period - round(cycles_per_beat * period)) < tolerance * period]
    # every 4th beat (and not every 2nd) a breath can be told from quadrigeminy: it is one sinusoid
    if locked and not (locked == [4] and breath_every_four(
            np.array([exact.mean(rr[k::4]) for k in range(4)]))):
        return None, frequency_hz
    mean_rate = float(np.mean(fitted))
    if not (fitted > 0.0).all() or mean_rate <= 0.0:
        return None, frequency_hz
    return np.asarray(rr * fitted / mean_rate, dtype=np.float64), frequency_hz


def _best_sinusoid(t_s: NDArray[np.float64], y: NDArray[np.float64]) -> tuple[float, NDArray[np.float64] | None]:
    """(frequency Hz, fitted values) of the least-squares fit of `y` at times `t_s` by a constant and one
    sinusoid, at the frequency that leaves the least squared residual: the best of SWING_FREQUENCIES_HZ, then
    of a grid SWING_REFINE times finer around it (a frequency off by half a coarse step turns the phase a
    quarter of a radian over 90 s, which leaves a quarter of a large swing at the series' ends); (0, None) when
    none can be fitted. The grid is not cut at the beats' own Nyquist rate: a slow heart can breathe faster
    than every 2nd beat, and a swing of its rate samples the breath unevenly enough to tell it from its alias."""
    coarse = _fits(t_s, y, SWING_FREQUENCIES_HZ)
    if coarse is None:
        return 0.0, None
    step = float(SWING_FREQUENCIES_HZ[1] - SWING_FREQUENCIES_HZ[0])
    fine = _fits(t_s, y, coarse[0] + step * np.linspace(-1.0, 1.0, 2 * SWING_REFINE + 1))
    best = coarse if fine is None or fine[2] >= coarse[2] else fine
    return best[0], best[1]


def _fits(t_s: NDArray[np.float64], y: NDArray[np.float64], freqs_hz: NDArray[np.float64]
          ) -> tuple[float, NDArray[np.float64], float] | None:
    """(frequency Hz, fitted values, squared residual) of the best least-squares fit of `y` at times `t_s` by a
    constant and one sinusoid at one of `freqs_hz`, or None when no frequency's fit is determined.

    Each frequency's normal equations are built from sums (of cos, sin, their squares and products, and y times
    them) and its squared residual is y'y - b'X'y, so only the best frequency's fit is formed."""
    phase = np.multiply.outer(2.0 * np.pi * freqs_hz, t_s)
    cos, sin = np.cos(phase), np.sin(phase)
    n = float(len(y))
    sc, ss = cos.sum(axis=1), sin.sum(axis=1)
    scc = np.einsum("fn,fn->f", cos, cos)
    sss = n - scc
    scs = np.einsum("fn,fn->f", cos, sin)
    gram = np.empty((len(freqs_hz), 3, 3))
    gram[:, 0, 0] = n
    gram[:, 0, 1] = gram[:, 1, 0] = sc
    gram[:, 0, 2] = gram[:, 2, 0] = ss
    gram[:, 1, 1] = scc
    gram[:, 1, 2] = gram[:, 2, 1] = scs
    gram[:, 2, 2] = sss
    rhs = np.stack([np.full(len(freqs_hz), float(y.sum())), cos @ y, sin @ y], axis=1)  # (F, 3)
    usable = np.abs(np.linalg.det(gram)) > 1e-12 * n ** 3
    if not usable.any():
        return None
    index = np.flatnonzero(usable)
    coefficients = np.linalg.solve(gram[index], rhs[index][..., None])[..., 0]  # (F', 3)
    residual = float(np.dot(y, y)) - np.einsum("fi,fi->f", coefficients, rhs[index])
    best = int(np.argmin(residual))
    c0, c1, c2 = coefficients[best]
    k = int(index[best])
    fitted = c0 + c1 * cos[k] + c2 * sin[k]
    return float(freqs_hz[k]), np.asarray(fitted, dtype=np.float64), float(residual[best])


def breath_every_four(means_ms: NDArray[np.float64]) -> bool:
    """True when four pattern means (ms, the mean interval at each position of a period-4 pattern) are one
    sinusoid at 0.25 cycles per beat, a breath every ~4 beats: their 0.5-cycles-per-beat (alternating) component
    holds less than BREATH_HARMONIC_SHARE of their variance. An early beat in every 4th, with or without its pause,
    puts a third to a half there: a short interval followed by a normal or long one is not a sinusoid."""
    centred = means_ms - exact.mean(means_ms)
    spread = float(np.dot(centred, centred))
    if spread <= 0.0:
        return False
    alternating = float(centred[0] - centred[1] + centred[2] - centred[3]) / 2.0  # its share of the sum of squares
    return alternating * alternating < BREATH_HARMONIC_SHARE * spread


def _classify_plain(rr: NDArray[np.float64], settled: NDArray[np.bool_] | None = None) -> NDArray[np.int_]:
    """The paper's classification (with the capped threshold) of a checked series. `settled`: per interval, whether
    an earlier pass's correction made it (never then taken for a missed beat: _holds_missed)."""
    n = len(rr)
    labels = np.zeros(n, dtype=int)
    if n < 4:
        return labels
    drr = np.empty(n)
    np.subtract(rr[1:], rr[:-1], out=drr[1:])
    drr[0] = np.add.reduce(drr[1:]) / (n - 1)  # drr[1:].mean(): numpy's pairwise sum over the count
    (median_rr,) = _rolling_quantiles(rr, _odd_at_most(MEDIAN_BEATS, n), (0.5,))
    cap = THRESHOLD_PER_SD * _normal_spread(rr)
    th1 = _threshold(drr, cap * np.sqrt(2.0))  # a difference of two intervals spreads sqrt(2) wider
    drrs = drr / th1
    mrr = rr - median_rr
    mrr[mrr < 0] *= 2.0
    th2 = _threshold(mrr, cap * 2.0)  # negative deviations count double, as in the paper
    mrrs = mrr / th2
    pad = np.empty(n + 4)  # np.pad(drrs, 2, mode="reflect")
    pad[2:-2] = drrs
    pad[0], pad[1], pad[-2], pad[-1] = drrs[2], drrs[1], drrs[-2], drrs[-3]
    before, after, after2 = pad[1:-3], pad[3:-1], pad[4:]
    s12 = np.where(drrs > 0, np.maximum(before, after), np.where(drrs < 0, np.minimum(before, after), 0.0))
    s22 = np.where(drrs >= 0, np.minimum(after, after2), np.maximum(after, after2))
    # the paper's sequential scan, over the intervals it acts on (|dRR| above threshold) as plain floats
    flagged = np.flatnonzero(np.abs(drrs[:n - 2]) > 1.0).tolist()
    extra_pair = _holds_extra(rr, median_rr)
    if settled is not None:  # intervals an earlier pass made are not taken apart again
        extra_pair &= ~settled
        extra_pair[:-1] &= ~settled[1:]
    # an extra pair is taken only where the classification flags it: a jump into, within or out of it
    touched = np.zeros(n, dtype=bool)
    touched[np.asarray(flagged, dtype=int)] = True
    reached = touched.copy()
    reached[:-1] |= touched[1:]
    reached[:-2] |= touched[2:]
    extra_pair &= reached
    holds_array, paired = _holds_missed(rr, median_rr, extra_pair)
    if settled is not None:  # a pause the first pass moved into two long intervals is not two missed beats
        holds_array, paired = holds_array & ~settled, paired & ~settled
    if not flagged and not paired.any():
        return labels
    drr_l, mrr_l, s12_l, s22_l = drrs.tolist(), mrrs.tolist(), s12.tolist(), s22.tolist()
    rr_l, med_l, th2_l = rr.tolist(), median_rr.tolist(), th2.tolist()
    ectopic, extra, missed, long_short = (int(a) for a in (Artifact.ECTOPIC, Artifact.EXTRA, Artifact.MISSED,
                                                           Artifact.LONG_SHORT))
    # an interval that holds a missed beat (MISSED_MIN_RATIO) is labelled so before anything else, where flagged (one of
    # two in a row even where not: the second may step little from the first), and the jumps into and out of it are its
    # own: the normal interval between two such is not an ectopic beat's. (Every unflagged one too took AF-like
    # rhythms, whose threshold is wide, for frequent artifacts before their irregularity.)
    holds = holds_array.tolist()
    out = [missed if h else 0 for h in paired.tolist()]
    pair_first = extra_pair.tolist()
    in_pair = [False] * (n + 1)  # interval i (or the jump out of the pair, i - 2 its first) belongs to a pair
    for j in np.flatnonzero(extra_pair).tolist():
        out[j] = extra
        in_pair[j] = in_pair[j + 1] = in_pair[min(j + 2, n)] = True
    for i in flagged:
        if holds[i]:
            out[i] = missed
            continue
        if in_pair[i]:
            continue
        if (i > 0 and holds[i - 1]) or holds[i + 1]:
            continue
        d = drr_l[i]
        if (d > 1.0 and s12_l[i] < -C1 * d - C2) or (d < -1.0 and s12_l[i] > -C1 * d + C2):
            out[i] = ectopic
            continue
        candidates = [i]
        if abs(drr_l[i + 1]) < abs(drr_l[i + 2]):
            candidates.append(i + 1)
        for j in candidates:
            if pair_first[j] or (j > 0 and pair_first[j - 1]):
                continue
            long_beat = drr_l[j] > 1.0 and s22_l[j] < -1.0
            short_beat = drr_l[j] < -1.0 and s22_l[j] > 1.0
            if not (long_beat or short_beat or abs(mrr_l[j]) > 3.0):
                continue
            if short_beat and j + 1 < n and abs(rr_l[j] + rr_l[j + 1] - med_l[j]) < th2_l[j]:
                out[j] = extra
            elif (long_beat and abs(rr_l[j] / 2.0 - med_l[j]) < th2_l[j]) or holds[j]:
                out[j] = missed
            else:
                out[j] = long_short
    labels[:] = out
    return labels


def _holds_extra(rr: NDArray[np.float64], median_rr: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Per interval (ms), whether it is the first of two that hold an extra beat: together EXTRA_MIN_RATIO to
    EXTRA_MAX_SUM times the first's local median (`median_rr`), the interval before the two and the one after them
    each at least EXTRA_MIN_RATIO of its own median (beyond a series' ends counts so): a run of short intervals is
    two extra beats or a change of rate, not one. Of two overlapping such pairs, the one whose sum is nearer the
    median."""
    n = len(rr)
    first = np.zeros(n, dtype=bool)
    if n < 2:
        return first
    ratio = rr / median_rr
    total = (rr[:-1] + rr[1:]) / median_rr[:-1]
    not_short = np.ones(n + 2, dtype=bool)  # padded one either side
    not_short[1:-1] = ratio >= EXTRA_MIN_RATIO
    first[:-1] = (total >= EXTRA_MIN_RATIO) & (total < EXTRA_MAX_SUM) & not_short[:n - 1] & not_short[3:]
    # of two overlapping pairs (a piece of 0.8 x the median, one of 0.2, then a normal interval: both pairs under
    # MISSED_MIN_RATIO) the one whose sum is nearer the median, scanned in time order
    off = np.full(n, np.inf)
    off[:-1] = np.abs(total - 1.0)
    for j in np.flatnonzero(first).tolist():
        if first[j] and j + 1 < n and first[j + 1]:
            first[j + 1 if off[j] <= off[j + 1] else j] = False
    return first


def _holds_missed(rr: NDArray[np.float64], median_rr: NDArray[np.float64],
                  extra_pair: NDArray[np.bool_] | None = None) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Per interval (ms), whether it holds a missed beat: MISSED_MIN_RATIO to MISSED_MAX_RATIO times its local median
    (`median_rr`), alone or one of two such in a row, with the intervals either side of it (or of the two) within
    MISSED_MIN_RATIO of their own medians either way (beyond a series' ends counts as normal; so do both intervals of
    an extra pair, `extra_pair` marking the first of each: _holds_extra). Three or more such in a row are a change of
    rate, not missed beats. Also, per interval, whether it is one of two such in a row."""
    ratio = rr / median_rr
    normal = np.ones(len(rr) + 4, dtype=bool)  # padded two either side
    normal[2:-2] = (ratio > 1.0 / MISSED_MIN_RATIO) & (ratio < MISSED_MIN_RATIO)
    if extra_pair is not None:
        normal[2:-2] |= extra_pair
        normal[3:-1] |= extra_pair
    long_ = np.zeros(len(rr) + 4, dtype=bool)
    long_[2:-2] = (ratio >= MISSED_MIN_RATIO) & (ratio < MISSED_MAX_RATIO)
    here = slice(2, len(rr) + 2)
    prev, nxt = slice(1, len(rr) + 1), slice(3, len(rr) + 3)
    prev2, nxt2 = slice(0, len(rr)), slice(4, len(rr) + 4)
    # with a neighbour, together at least MISSED_PAIR_SUM intervals: not a compensatory pause beside its premature beat
    padded = np.concatenate([[np.inf, np.inf], rr, [np.inf, np.inf]])
    before_, after_ = padded[prev].copy(), padded[nxt].copy()
    if extra_pair is not None:  # an extra pair beside it counts as the one interval it makes
        pair_sum = np.zeros(len(rr))
        pair_sum[:-1] = rr[:-1] + rr[1:]
        after_[:-1] = np.where(extra_pair[1:], pair_sum[1:], after_[:-1])
        before_[2:] = np.where(extra_pair[:-2], pair_sum[:-2], before_[2:])
    sum_before = (rr + before_) >= MISSED_PAIR_SUM * median_rr
    sum_after = (rr + after_) >= MISSED_PAIR_SUM * median_rr
    alone = normal[prev] & normal[nxt] & sum_before & sum_after
    first_of_two = long_[nxt] & normal[prev] & normal[nxt2] & sum_before
    second_of_two = long_[prev] & normal[prev2] & normal[nxt] & sum_after
    return long_[here] & (alone | first_of_two | second_of_two), long_[here] & (first_of_two | second_of_two)


def correct_intervals(ibi_ms: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.int_]]:
    """Lipponen-Tarvainen corrected intervals (ms) and an Artifact label per corrected interval.

    Works on beat times, in the paper's order: extra beats are deleted, missed beats inserted half-way,
    then every ectopic, long or short beat is corrected, in time order (so when both intervals around a
    premature beat are flagged, the second correction finds the first done): moved to the middle of its
    neighbours where the two intervals around it together span two normal ones (a beat mistimed, or a premature
    beat with a full compensatory pause), or else, where one of the two is normal on its own (a premature beat
    that resets the rhythm, with no pause), that one interval replaced by the mean of its neighbours
    (`_replaced_intervals`); or left where it came, labelled, where its two intervals stand out of the heart's own
    jitter by less than JITTER_Z standard deviations (_within_jitter: a regular heart's own largest differences cross
    the paper's threshold by chance). The corrected series may be longer or shorter than the input; the time it spans
    grows by what the single-interval replacements add (correct_with_lag gives how much, interval by
    interval). A label marks each interval that a correction produced or changed (NORMAL, 0, elsewhere).

    Raises InputError unless `ibi_ms` is a 1-D array of positive, finite intervals (ms).
    """
    corrected, kinds, _ = correct_with_lag(ibi_ms)
    return corrected, kinds


def correct_with_lag(ibi_ms: NDArray[np.float64], settled: NDArray[np.bool_] | None = None
                     ) -> tuple[NDArray[np.float64], NDArray[np.int_], NDArray[np.float64]]:
    """correct_intervals' (corrected intervals ms, labels), and for each corrected interval the time (ms) the
    single-interval replacements before and at it added: the beat ending corrected interval i came at
    sum(corrected[:i + 1]) - lag[i] ms after the first beat (on the input's own clock). `settled`: per input
    interval, whether an earlier pass's correction made it (default none): such an interval is never taken for a
    missed beat (_holds_missed). Same errors."""
    corrected, kinds, lag, _ = correct_with_scale(ibi_ms, settled)
    return corrected, kinds, lag


def correct_with_scale(ibi_ms: NDArray[np.float64], settled: NDArray[np.bool_] | None = None,
                       scale_floor_ms: float = 0.0, timing_sd_ms: float = 0.0
                       ) -> tuple[NDArray[np.float64], NDArray[np.int_], NDArray[np.float64], float]:
    """correct_with_lag's (corrected intervals ms, labels, lag ms), and the standard deviation (ms) of the heart's own
    successive differences that judged which ectopic or long/short beats stand out of its jitter (_jitter_scale; 0
    where none was needed or none could be taken). `scale_floor_ms`: a floor under that scale (a second pass gives the
    first's: its cleaned series' differences read smaller, and its flags would be the jitter's own). `timing_sd_ms`: the
    pulse pipeline's estimate (SD, ms) of the beats' own timing noise (0: not known, as on beat times alone), which
    decides whether differences with a lag-1 autocorrelation of white beat-time noise are the picker's
    (TIMING_NOISE_MIN_SHARE). Same errors."""
    rr = _checked(ibi_ms)
    labels, swing_hz = _classify_swing(rr, settled)
    times = np.concatenate([[0.0], np.cumsum(rr)])  # interval j runs from beat j to beat j + 1
    n_beats = len(times)
    normal, ectopic, extra, missed = (int(a) for a in (Artifact.NORMAL, Artifact.ECTOPIC, Artifact.EXTRA,
                                                       Artifact.MISSED))
    label_list = labels.tolist()
    kinds = np.zeros(n_beats, dtype=int)  # kind of the interval ending at each (new) beat
    if not any(label_list):  # nothing to correct
        return np.diff(times), kinds[1:], np.zeros(n_beats - 1), 0.0
    corrected = times.copy()
    new_index = list(range(n_beats))
    missed_runs: list[int] = []  # the first of the two new intervals of each interval a missed beat split
    if extra in label_list or missed in label_list:  # beats deleted or inserted
        times_list = times.tolist()
        new_times: list[float] = []
        new_kinds: list[int] = []
        pending_kind = normal
        for k in range(n_beats):
            j = k - 1  # the interval ending at beat k
            if j >= 0 and label_list[j] == extra and k < n_beats - 1:
                pending_kind = extra  # beat k is deleted; the merged interval ends at beat k + 1
                new_index[k] = -1
                continue
            if j >= 0 and label_list[j] == missed:
                missed_runs.append(len(new_times) - 1)
                new_times.append(0.5 * (times_list[k - 1] + times_list[k]))
                new_kinds.append(missed)
                pending_kind = missed
            new_index[k] = len(new_times)
            new_times.append(times_list[k])
            new_kinds.append(pending_kind)
            pending_kind = normal
        corrected = np.asarray(new_times)
        kinds = np.asarray(new_kinds, dtype=int)
    moving = np.flatnonzero((labels == ectopic) | (labels == Artifact.LONG_SHORT)).tolist()
    # An ectopic pair is flagged on its larger jump: into the long interval (the premature beat then
    # starts the flagged interval) or into the short one (it ends it).
    rr_list = rr.tolist()
    beats = [j if label_list[j] == ectopic and j > 0 and rr_list[j] > rr_list[j - 1] else j + 1 for j in moving]
    targets = [(new_index[b], label_list[j]) for b, j in zip(beats, moving, strict=True)]
    targets = [(m, kind) for m, kind in targets if 0 < m < len(corrected) - 1]
    shift = np.zeros(len(corrected))  # time (ms) the replacements added before each (new) beat
    reference = np.diff(corrected)  # the intervals before any beat is moved: the local median's
    made = kinds[1:] != normal  # intervals a missed or extra beat made
    flagged = made.copy()  # ... and those the classification flagged
    for j in moving:
        if new_index[j + 1] > 0:
            flagged[new_index[j + 1] - 1] = True
    # The pieces of an interval that held a missed beat stay where the paper's even split puts them when that is
    # within PREMATURE_MIN_SD standard deviations of the unflagged intervals around them of their neighbours' level (a
    # beat missed on time); otherwise (a missed premature beat sat nearer the beat before it than the middle,
    # MISSED_MIN_RATIO) each is set to that level, and every later beat moves with them. Setting on-time pieces to
    # the level too takes their jitter out, and the second pass's thresholds, set on the cleaner series, then flag
    # the heart's own largest differences (missed_premature_beats with a full pause, seeds 0-199: 197 of 200 given
    # right with the split kept, 188 of 196 with every piece set to the level).
    for first in missed_runs:
        last = first + 1
        # a neighbour that is itself a piece of another missed beat (two in a row) does not set the level
        before = corrected[first] - corrected[first - 1] if first > 0 and not flagged[first - 1] else None
        after = (corrected[last + 2] - corrected[last + 1]
                 if last + 2 < len(corrected) and not flagged[last + 1] else None)
        value = _replacement(before, after, reference, first, last)
        if abs(reference[first] - value) < PREMATURE_MIN_SD * _calm_spread(reference, flagged, first, last):
            continue
        for k in range(first, last + 1):
            added = value - (corrected[k + 1] - corrected[k])
            corrected[k + 1:] += added
            shift[k + 1:] += added
    scale = 0.0
    jitter: set[int] = set()
    if targets:
        residual, scale, timing_noise = _jitter_scale(reference, flagged, scale_floor_ms, swing_hz, made, timing_sd_ms)
        if scale > 0.0 and not timing_noise:
            jitter = {m for m, _ in targets if _within_jitter(residual, m, scale)}
            jitter -= _premature_run(residual, sorted({m for m, _ in targets}), scale)
            # next to a beat that stands out, the intervals a beat is judged by are that beat's: the paper's
            # correction, which treats the two in turn, stands for both
            genuine = {m for m, _ in targets} - jitter
            jitter = {m for m in jitter if m - 1 not in genuine and m + 1 not in genuine}
    for m, kind in targets:  # in time order, each from its already corrected predecessor
        if shift[m] != shift[m - 1]:
            continue  # the interval ending at this beat was replaced on its own: the beat is where it came
        if m in jitter:
            pass  # the heart's own jitter: the beat stays where it came, labelled (counted as corrected)
        elif not (replaced := _replaced_intervals(corrected, reference, flagged, m)):
            corrected[m] = 0.5 * (corrected[m - 1] + corrected[m + 1])
        else:  # these intervals are replaced, each by its neighbours' level; every later beat moves with them
            first, last = replaced[0], replaced[-1]
            before = corrected[first] - corrected[first - 1] if first > 0 else None
            after = corrected[last + 2] - corrected[last + 1] if last + 2 < len(corrected) else None
            value = _replacement(before, after, reference, first)
            for k in replaced:
                added = value - (corrected[k + 1] - corrected[k])
                corrected[k + 1:] += added
                shift[k + 1:] += added
        # both intervals around the beat are marked either way: each changed, or its successive difference with
        # the other did, and the share of intervals corrected stays what it is for the paper's move
        for end in (m, m + 1):
            if kinds[end] == normal:
                kinds[end] = kind
    return np.diff(corrected), kinds[1:], shift[1:], scale


def _jitter_scale(reference: NDArray[np.float64], flagged: NDArray[np.bool_], floor_ms: float, swing_hz: float = 0.0,
                  made: NDArray[np.bool_] | None = None, timing_sd_ms: float = 0.0
                  ) -> tuple[NDArray[np.float64], float, bool]:
    """(the intervals less the breathing swing ms, the standard deviation ms of their successive differences, whether
    the differences are mostly timing noise) of `reference` (intervals ms) where `flagged` (same length) marks those
    the classification flagged or a missed or extra beat made.

    The swing: one sinusoid (_swing_ms; `swing_hz`, the classification's frequency, one candidate) fitted to the
    unflagged intervals. The scale: the median absolute successive difference of the swing-free intervals over pairs
    with no flag at or next to either (a premature beat's pause or the interval before it never in it), x MAD_TO_SD;
    then again without the pairs beside an interval that stands out of its neighbours beyond _within_jitter's bar
    (premature beats the classification did not flag); at least `floor_ms`; 0 where fewer than
    JITTER_MIN_DIFFERENCES pairs. Timing noise: the lag-1 autocorrelation of the swing-free intervals under
    TIMING_NOISE_LAG1 where `timing_sd_ms` (the pulse pipeline's estimate of its beats' timing noise, SD ms; 0: not
    known) makes at least TIMING_NOISE_MIN_SHARE of the scale's square (6 sigma^2 / scale^2), over the pairs with no
    interval beyond that bar and none a missed or extra beat made (`made`,
    same length; default none) at or next to either. Not over the scale's pairs: the classification flags timing
    noise's own largest, alternating differences, and without them its lag-1 read above the bar (a regular fingertip
    pulse at 47/min, 100 samples/s: -0.54 over all, above -0.25 without the flagged; RMSSD 9.0 ms shown for a true 0,
    tests/device/signal/test_sampling_phase.py)."""
    keep = ~flagged
    residual = reference - _swing_ms(reference, keep, swing_hz)
    near = flagged.copy()
    near[1:] |= flagged[:-1]
    near[:-1] |= flagged[1:]
    pairs = ~near[1:] & ~near[:-1]
    if np.count_nonzero(pairs) < JITTER_MIN_DIFFERENCES:
        # too few pairs away from every flag (a short series, a slow heart's 15-30 s): the median of them all, which
        # a minority of artifacts' differences cannot carry; none at all only where the series has too few
        pairs = np.ones(len(residual) - 1, dtype=bool)
        if len(pairs) < JITTER_MIN_DIFFERENCES:
            return residual, 0.0, False
    differences = np.abs(np.diff(residual))
    scale = exact.median(differences[pairs]) * MAD_TO_SD
    # once more without the pairs beside an interval that stands out of its neighbours beyond the bar (_within_jitter):
    # premature beats the classification did not flag widen the median (bench_ectopy, every 6th beat 15 % early)
    odd = np.zeros(len(residual), dtype=bool)
    odd[1:-1] = np.abs(residual[1:-1] - 0.5 * (residual[:-2] + residual[2:])) >= JITTER_Z * math.sqrt(0.75) * scale
    calm_pairs = pairs & ~odd[1:] & ~odd[:-1]
    if np.count_nonzero(calm_pairs) < JITTER_MIN_DIFFERENCES:
        calm_pairs = pairs
    scale = _clipped_scale(differences, made, exact.median(differences[calm_pairs]) * MAD_TO_SD)
    scale = max(scale, floor_ms)
    # the lag-1 autocorrelation: a premature beat's short-long pair, beyond the bar, would draw it down
    lag_pairs = ~odd[1:] & ~odd[:-1]
    if made is not None:
        near_made = made.copy()
        near_made[1:] |= made[:-1]
        near_made[:-1] |= made[1:]
        lag_pairs &= ~near_made[1:] & ~near_made[:-1]
    if np.count_nonzero(lag_pairs) < JITTER_MIN_DIFFERENCES:
        lag_pairs = calm_pairs
    first, second = residual[:-1][lag_pairs], residual[1:][lag_pairs]
    level = 0.5 * float(np.mean(first) + np.mean(second))
    power = 0.5 * float(np.mean((first - level) ** 2) + np.mean((second - level) ** 2))
    lag1 = float(np.mean((first - level) * (second - level))) / power if power > 0.0 else 0.0
    known = 6.0 * timing_sd_ms * timing_sd_ms >= TIMING_NOISE_MIN_SHARE * scale * scale
    return residual, scale, lag1 < TIMING_NOISE_LAG1 and known


def _clipped_scale(differences: NDArray[np.float64], made: NDArray[np.bool_] | None, robust_ms: float) -> float:
    """The standard deviation (ms) of the heart's own successive differences (`differences`: absolute, of the
    swing-free intervals), from the robust first estimate `robust_ms`: the root mean square of every difference
    within SCALE_CLIP_Z of the estimate (a flagged beat's too: its differences are the heart's unless they stand
    out), over the share of a Gaussian's variance that lies within that bar (truncated normal), each round from the
    last (SCALE_ROUNDS). Pairs
    at or next to an interval a missed or extra beat made (`made`, per interval; None: none) are left out: their
    pieces are the correction's, not the heart's. `robust_ms` where fewer than JITTER_MIN_DIFFERENCES are within.

    Why: the robust estimate alone is the median over the pairs with no flag at or next to them, and the flags are
    the series' largest differences, so it is taken over a sample trimmed of its own upper tail and reads low (the
    simulator's person: 15.3 ms for a 17.2 ms spread, 11.9 for 16.1), and a median has about a third of the
    efficiency of a mean square (a 70-beat window's scale off by 14 % in one SD). The heart's own largest differences
    then cross a bar of JITTER_Z of a scale that low and are moved. A truncated normal's mean square (a clipped,
    consistency-corrected standard deviation; e.g. Huber & Ronchetti, Robust Statistics, 2nd ed. 2009, ch. 5) keeps
    nearly all of the sample and the robustness of the bar."""
    usable = np.ones(len(differences), dtype=bool)
    if made is not None:
        near_made = made.copy()
        near_made[1:] |= made[:-1]
        near_made[:-1] |= made[1:]
        usable = ~near_made[1:] & ~near_made[:-1]
    scale = robust_ms
    if scale <= 0.0:
        return scale
    for _ in range(SCALE_ROUNDS):
        within = usable & (differences < SCALE_CLIP_Z * scale)
        if np.count_nonzero(within) < JITTER_MIN_DIFFERENCES:
            return scale
        scale = math.sqrt(float(np.mean(differences[within] ** 2)) / TRUNCATED_VARIANCE)
    return scale


def _within_jitter(residual: NDArray[np.float64], m: int, scale: float) -> bool:
    """Whether beat `m` (its intervals residual[m - 1] and residual[m], swing-free, ms) is within the heart's own
    jitter of successive-difference standard deviation `scale` (ms): the two intervals differ by less than JITTER_Z
    of it, and the first of them stands out of the mean of its two neighbours by less than JITTER_Z of that
    deviation's own standard deviation (sqrt(3) / 2 of the scale for white interval jitter). The second is a joint test
    of the pair of differences (-d, +d) that a premature beat with no pause makes: at the same 0.1 % chance, its
    prematurity need be 2.85 standard deviations of the differences, not 3.29."""
    x, y = residual[m - 1], residual[m]
    z = jitter_bar(len(residual))
    if abs(y - x) >= z * scale:
        return False
    return m < 2 or abs(x - 0.5 * (residual[m - 2] + y)) < z * math.sqrt(0.75) * scale


@lru_cache(maxsize=256)
def jitter_bar(n: int) -> float:
    """The bar (standard deviations of the heart's own differences) a beat among `n` intervals must pass to stand out of
    the heart's jitter: the two-sided Gaussian quantile at WINDOW_CHANCE over the n - 1 differences it could be
    (Bonferroni), at least JITTER_Z (the bar per beat): 3.29 up to 11 intervals, 3.81 at 72 (a 60 s window at 73/min),
    4.05 at 200."""
    tests = max(n - 1, 1)
    return max(JITTER_Z, _STANDARD_NORMAL.inv_cdf(1.0 - WINDOW_CHANCE / (2.0 * tests)))


def _premature_run(residual: NDArray[np.float64], beats: list[int], scale: float) -> set[int]:
    """Of the flagged `beats` (indices into the beat times of intervals `residual`, swing-free, ms), those whose
    interval ending at them is shorter than the mean of its neighbours, where such beats outnumber the others beyond
    chance: the upper tail of a binomial(n, 1/2) at their count at most PREMATURE_SIGN_P. A heart's own jitter is as
    often long as short; premature beats are early, and where they are many each need not stand out on its own.

    Counted are only the beats whose interval stands out of its neighbours' mean by the paper's threshold
    (THRESHOLD_PER_SD, 2.16) of that deviation's own SD (sqrt(3) / 2 of `scale`, the SD of the heart's differences ms)
    either way: the classification flags a short interval at half the deviation of a long one (its negative mRR
    counts double), so among all its flags a clean heart's short ones outnumber the long, and the sign test took 15 of
    19 such for a run of premature beats and moved them (bench_extra_missed's "missed" rows, seeds 1097 and 1117)."""
    bar = THRESHOLD_PER_SD * math.sqrt(0.75) * scale
    beats = [m for m in beats if m >= 2 and abs(residual[m - 1] - 0.5 * (residual[m - 2] + residual[m])) >= bar]
    short = [m for m in beats if residual[m - 1] < 0.5 * (residual[m - 2] + residual[m])]
    n, k = len(beats), len(short)
    tail = sum(math.comb(n, i) for i in range(k, n + 1)) / 2.0 ** n
    return set(short) if tail <= PREMATURE_SIGN_P else set()


def _swing_ms(reference: NDArray[np.float64], keep: NDArray[np.bool_], swing_hz: float = 0.0) -> NDArray[np.float64]:
    """The breathing swing (ms, about its mean) of intervals `reference`: one sinusoid in time fitted by least squares
    to the intervals where `keep`, then again to those of them within 3 robust standard deviations (MAD_TO_SD) of the
    first fit; zeros where fewer than SWING_MIN_INTERVALS are kept. Its frequency is `swing_hz` (the classification's
    fit of the rate to every interval, _without_swing; 0: none) or the best (_best_sinusoid) for the kept intervals
    beside no jump of 3 median jumps or more, whichever fit leaves the smaller median absolute deviation: premature
    beats the classification did not flag make such jumps (a breath every few beats does not make them as large), and
    a pattern of them can draw the plain fit to its own period (bench_ectopy's 70/min heart with every 6th beat 15 %
    early: a period-3 fit, its scale 61 ms for the heart's 29)."""
    t_s = np.concatenate([[0.0], np.cumsum(reference[:-1])]) / 1000.0
    best = np.zeros(len(reference))
    if np.count_nonzero(keep) < SWING_MIN_INTERVALS:
        return best
    jumps = np.abs(np.diff(reference))
    wild = jumps >= 3.0 * exact.median(jumps)
    calm = keep.copy()
    calm[1:] &= ~wild
    calm[:-1] &= ~wild
    frequencies = [swing_hz] if swing_hz > 0.0 else []
    if np.count_nonzero(calm) >= SWING_MIN_INTERVALS:
        frequency_hz, fitted = _best_sinusoid(t_s[calm], reference[calm])
        if fitted is not None:
            frequencies.append(frequency_hz)
    best_deviation = math.inf
    for frequency_hz in frequencies:
        phase = 2.0 * np.pi * frequency_hz * t_s
        design = np.column_stack([np.ones(len(t_s)), np.cos(phase), np.sin(phase)])
        fit = keep
        for _ in range(2):
            coefficients, *_ = np.linalg.lstsq(design[fit], reference[fit], rcond=None)
            deviation = np.abs(reference - design @ coefficients)
            spread = exact.median(deviation[keep])
            fit = keep & (deviation <= 3.0 * spread * MAD_TO_SD)
            if np.count_nonzero(fit) < SWING_MIN_INTERVALS:
                break
        if spread < best_deviation:
            best_deviation, best = spread, design[:, 1:] @ coefficients[1:]
    # taken out only where it explains more than the best of the grid's sinusoids explains of white noise (Fisher's g)
    kept = reference[keep]
    before = exact.median(np.abs(kept - exact.median(kept)))
    duration_s = float(t_s[-1] - t_s[0]) + float(reference[-1]) / 1000.0
    if before > 0.0 and 1.0 - (best_deviation / before) ** 2 < _chance_share(len(kept), duration_s):
        return np.zeros(len(reference))
    return np.asarray(best, dtype=np.float64)


def _chance_share(n: int, duration_s: float) -> float:
    """The share of the variance of `n` white-noise values over `duration_s` (s) that the best-fitting sinusoid of
    SWING_FREQUENCIES_HZ explains with chance SWING_CHANCE: Fisher's g test (R. A. Fisher, Proc. R. Soc. A 125:54,
    1929, doi:10.1098/rspa.1929.0151) for the largest of M periodogram ordinates, P(g > x) ~ M (1 - x)^(n / 2 - 1),
    M the independent frequencies the grid spans (its width x the duration, at least 1)."""
    m = max(1.0, float(SWING_FREQUENCIES_HZ[-1] - SWING_FREQUENCIES_HZ[0]) * duration_s)
    if n <= 4:
        return 1.0
    return 1.0 - min(SWING_CHANCE / m, 1.0) ** (1.0 / (n / 2.0 - 1.0))


def _local_median(reference: NDArray[np.float64], left: int, right: int) -> float:
    """Median (ms) of the MEDIAN_BEATS - 1 intervals of `reference` nearest intervals left..right (inclusive),
    those themselves left out."""
    half = MEDIAN_BEATS // 2
    around = np.concatenate([reference[max(left - half, 0):left], reference[right + 1:right + 1 + half]])
    return float(np.median(around)) if len(around) else float(np.median(reference))


def _replaced_intervals(corrected: NDArray[np.float64], reference: NDArray[np.float64], flagged: NDArray[np.bool_],
                        m: int) -> tuple[int, ...]:
    """The intervals (their indices) around beat `m` of `corrected` (beat times, ms) to replace, each by its
    neighbours' level: none when the beat is to be moved to the middle of its neighbours, one (a premature beat with
    no pause), or both (a premature beat with a partial pause).

    The two intervals around the beat, x and y, are judged against what their neighbours lead one to expect: the
    line from the interval before x (as already corrected) to the one after y (from `reference`, the intervals
    before any move; where either is flagged, or beyond the series, the local median of the others). A mistimed
    beat (or a premature beat with a full compensatory pause) leaves x + y as expected, and moving it puts both
    right; a premature beat that resets the rhythm leaves the interval after it as expected, and moving it would
    leave both off by half its prematurity, two successive differences of that size for one beat. The farther of
    the two from its expected value is replaced alone where what that leaves (the nearer one's deviation, and
    that of the interval beyond the farther one) costs RMSSD less than what a move leaves (the pair's sum off its
    expected sum), judged against the line and against the calm neighbours' mean alike (comments below). Only a
    short interval is replaced so, and only where it is below its expected value by PREMATURE_MIN_SHARE to
    PREMATURE_MAX_SHARE of it and by PREMATURE_MIN_SD standard deviations of the unflagged intervals around it
    (`flagged`: per interval of `reference`); a long one, a genuine short one the classification flagged (a noisy
    heart's largest difference, a slow heart's breathing trough) or a false beat's is moved."""
    x = corrected[m] - corrected[m - 1]
    y = corrected[m + 1] - corrected[m]
    typical = _local_median(reference, m - 1, m)
    before = corrected[m - 1] - corrected[m - 2] if m >= 2 and not flagged[m - 2] else typical
    after = reference[m + 1] if m + 1 < len(reference) and not flagged[m + 1] else typical
    x_expected, y_expected = (2.0 * before + after) / 3.0, (before + 2.0 * after) / 3.0
    if abs(x - x_expected) >= abs(y - y_expected):
        farther, off, expected, nearer_deviation = m - 1, x, x_expected, abs(y - y_expected)
    else:
        farther, off, expected, nearer_deviation = m, y, y_expected, abs(x - x_expected)
    if not expected * (1.0 - PREMATURE_MAX_SHARE) <= off <= expected * (1.0 - PREMATURE_MIN_SHARE):
        return ()
    calm = _calm(reference, flagged, m - 1, m)
    spread = float(np.std(reference[calm])) if len(calm) >= 3 else 0.0
    if len(calm) < 3 or expected - off < PREMATURE_MIN_SD * spread:
        return ()  # no farther below than the unflagged neighbours spread: a swing's trough, not a premature beat
    # the leftover's cost in RMSSD: a replacement leaves the nearer one's deviation d on one interval, two successive
    # differences of d (2 d^2); a move leaves the pair's r split over two, differences of r / 2 (r^2 / 2): replace
    # where d < r / 2. Judged twice, and both must agree: against the line from the interval before to the one
    # after (which follows a slow swing), and against the calm neighbours' mean (which averages a fast one, a breath
    # every few beats, over its cycle; the line then misjudges a beat at its trough or crest).
    # The interval beyond the replaced one, on its other side, must be normal by the same measure: a premature beat
    # flagged from the beat before it (the pair is the normal interval and the short one) has its pause there.
    level = float(np.mean(reference[calm]))
    # A partial pause: the interval after the short one longer than expected and the two together shorter, each by
    # more than PREMATURE_MIN_SD of the calm spread, against the line and the mean alike: neither a move nor a
    # replacement of the short one alone explains the pair, and both are replaced. Judged first, and bounded by the
    # heart's own spread alone, not by a share of the prematurity: what either would leave is to be weighed against
    # the heart's variation (a calm heart at 40/min: a tenth of the time lost is tens of ms, its RMSSD a few; an
    # eighth of the prematurity as a second bound left 11 of 36 such series given off at 0.9, a fresh-clone tester).
    if farther == m - 1 and all(
            min(y - y_hat, y_hat + x_hat - x - y) >= PREMATURE_MIN_SD * spread
            for x_hat, y_hat in ((x_expected, y_expected), (level, level))):
        return (m - 1, m)
    beyond = farther - 1 if farther == m - 1 else farther + 1
    kept = [y if farther == m - 1 else x]
    if 0 <= beyond < len(corrected) - 1:
        kept.append(corrected[beyond + 1] - corrected[beyond])
    if (nearer_deviation < 0.5 * abs(x + y - x_expected - y_expected)
            and all(abs(v - level) < 0.5 * abs(x + y - 2.0 * level) for v in kept)):
        return (farther,)
    return ()


def _replacement(before: float | None, after: float | None, reference: NDArray[np.float64], k: int,
                 last: int | None = None) -> float:
    """The value (ms) for interval `k` (or each of k..last) replaced on its own: the median of the intervals either
    side of it and the local median of the others (_local_median): a breathing swing carries through where both
    neighbours share it, and a neighbour that is itself an artifact (a pause, a missed beat) is outvoted."""
    values = [v for v in (before, after) if v is not None]
    return float(np.median([*values, _local_median(reference, k, k if last is None else last)]))


def _calm(reference: NDArray[np.float64], flagged: NDArray[np.bool_], left: int, right: int) -> list[int]:
    """The unflagged intervals of `reference` among the MEDIAN_BEATS - 1 around intervals left..right (those out)."""
    half = MEDIAN_BEATS // 2
    return [i for i in range(left - half, right + 1 + half)
            if 0 <= i < len(reference) and not left <= i <= right and not flagged[i]]


def _calm_spread(reference: NDArray[np.float64], flagged: NDArray[np.bool_], left: int, right: int) -> float:
    """Standard deviation (ms) of the _calm intervals, or 0 when there are fewer than 3."""
    calm = _calm(reference, flagged, left, right)
    return float(np.std(reference[calm])) if len(calm) >= 3 else 0.0
