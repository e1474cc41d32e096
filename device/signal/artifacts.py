"""Beat-interval artifact detection and correction after Lipponen & Tarvainen (2019).

J. A. Lipponen and M. P. Tarvainen, "A robust algorithm for heart rate variability time series artefact
correction using novel beat classification", J. Med. Eng. Technol. 43(3):173-181, 2019,
doi:10.1080/03091902.2019.1640306 (the method behind Kubios' automatic correction).

Each interval is placed in two planes built from the successive differences of the intervals (dRR) and
their deviation from an 11-beat median (mRR), both normalised by a time-varying threshold (5.2 quartile
deviations over 91 beats). Ectopic beats show as a short-long (or long-short) pair in the first plane;
missed, extra, long and short beats in the second. Corrections keep the total duration:
missed beat -> the long interval is split in two; extra beat -> the two short intervals are merged;
ectopic, long or short -> the beat is moved to the middle of its neighbours (both intervals averaged).
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray

from device.errors import InputError

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
# distribution, times the paper's ALPHA x quartile deviation per standard deviation (2.16), times
# CAP_MARGIN so that on a series without ectopy the paper's own threshold is the one used.
NORMAL_QUANTILE = 0.2
HALF_NORMAL_Q20 = 0.2533  # 20th percentile of |x| for x ~ N(0, 1)
THRESHOLD_PER_SD = ALPHA * (1.1503 - 0.3186) / 2.0  # the paper's threshold for |x|, x ~ N(0, 1)
CAP_MARGIN = 1.0


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


def _centred_windows(x: NDArray[np.float64], width: int) -> NDArray[np.float64]:
    """Windows of `width` (odd) centred on each element, shape (len(x), width); NaN beyond the ends,
    so windows shrink at the edges of the series."""
    half = width // 2
    return sliding_window_view(np.pad(x, half, mode="constant", constant_values=np.nan), width)


def _rolling_quantiles(x: NDArray[np.float64], width: int,
                       quantiles: tuple[float, ...]) -> list[NDArray[np.float64]]:
    """Quantiles (linear interpolation, as numpy.percentile) of centred windows that shrink at the ends.

    Vectorised: every window is sorted at once, its NaN padding last, and read at its own length.
    """
    ordered = np.sort(_centred_windows(x, width), axis=1)
    count = np.sum(~np.isnan(ordered), axis=1)
    rows = np.arange(len(x))
    out = []
    for q in quantiles:
        pos = (count - 1) * q
        below = np.floor(pos).astype(int)
        above = np.minimum(below + 1, count - 1)
        low, high = ordered[rows, below], ordered[rows, above]
        out.append(low + (high - low) * (pos - below))
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
    windows = _centred_windows(rr, _odd_at_most(MEDIAN_BEATS, len(rr))).copy()
    windows[:, windows.shape[1] // 2] = np.nan
    deviation = np.abs(rr - np.nanmedian(windows, axis=1))
    (q,) = _rolling_quantiles(deviation, _odd_at_most(THRESHOLD_BEATS, len(rr)), (NORMAL_QUANTILE,))
    return q / HALF_NORMAL_Q20


def classify_intervals(ibi_ms: NDArray[np.float64]) -> NDArray[np.int_]:
    """Artifact label (Artifact) of each interval of the uncorrected series (same length)."""
    rr = np.asarray(ibi_ms, dtype=float)
    n = len(rr)
    labels = np.zeros(n, dtype=int)
    if n < 4:
        return labels
    drr = np.diff(rr, prepend=rr[0])
    drr[0] = drr[1:].mean()
    (median_rr,) = _rolling_quantiles(rr, _odd_at_most(MEDIAN_BEATS, n), (0.5,))
    cap = CAP_MARGIN * THRESHOLD_PER_SD * _normal_spread(rr)
    th1 = _threshold(drr, cap * np.sqrt(2.0))  # a difference of two intervals spreads sqrt(2) wider
    drrs = drr / th1
    mrr = rr - median_rr
    mrr[mrr < 0] *= 2.0
    th2 = _threshold(mrr, cap * 2.0)  # negative deviations count double, as in the paper
    mrrs = mrr / th2
    pad = np.pad(drrs, 2, mode="reflect")
    before, after, after2 = pad[1:-3], pad[3:-1], pad[4:]
    s12 = np.where(drrs > 0, np.maximum(before, after), np.where(drrs < 0, np.minimum(before, after), 0.0))
    s22 = np.where(drrs >= 0, np.minimum(after, after2), np.maximum(after, after2))
    i = 0
    while i < n - 2:
        d = drrs[i]
        if abs(d) <= 1.0:
            i += 1
            continue
        if (d > 1.0 and s12[i] < -C1 * d - C2) or (d < -1.0 and s12[i] > -C1 * d + C2):
            labels[i] = Artifact.ECTOPIC
            i += 1
            continue
        candidates = [i]
        if abs(drrs[i + 1]) < abs(drrs[i + 2]):
            candidates.append(i + 1)
        for j in candidates:
            long_beat = drrs[j] > 1.0 and s22[j] < -1.0
            short_beat = drrs[j] < -1.0 and s22[j] > 1.0
            if not (long_beat or short_beat or abs(mrrs[j]) > 3.0):
                continue
            if short_beat and j + 1 < n and abs(rr[j] + rr[j + 1] - median_rr[j]) < th2[j]:
                labels[j] = Artifact.EXTRA
            elif long_beat and abs(rr[j] / 2.0 - median_rr[j]) < th2[j]:
                labels[j] = Artifact.MISSED
            else:
                labels[j] = Artifact.LONG_SHORT
        i += 1
    return labels


def correct_intervals(ibi_ms: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.int_]]:
    """Lipponen-Tarvainen corrected intervals (ms) and an Artifact label per corrected interval.

    Works on beat times, in the paper's order: extra beats are deleted, missed beats inserted half-way,
    then every ectopic, long or short beat is moved to the middle of its neighbours, in time order
    (so when both intervals around a premature beat are flagged, the second move finds the first done). The
    corrected series may be longer or shorter than the input; the time it spans is unchanged. A label
    marks each interval that a correction produced or changed (NORMAL, 0, elsewhere).
    """
    rr = np.asarray(ibi_ms, dtype=float)
    if rr.ndim != 1 or not np.all(np.isfinite(rr)) or np.any(rr <= 0):
        raise InputError("ibi_ms must be a 1-D array of positive, finite intervals")
    labels = classify_intervals(rr)
    times = np.concatenate([[0.0], np.cumsum(rr)])  # interval j runs from beat j to beat j + 1
    n_beats = len(times)
    new_times: list[float] = []
    new_kinds: list[int] = []  # kind of the interval ending at each new beat
    new_index = np.full(n_beats, -1)
    # Plain ints in the per-beat loop: comparing numpy scalars with enum members costs more than the rest.
    normal, extra, missed = int(Artifact.NORMAL), int(Artifact.EXTRA), int(Artifact.MISSED)
    label_of = labels.tolist()
    beat_times = times.tolist()
    pending_kind = normal
    for k in range(n_beats):
        j = k - 1  # the interval ending at beat k
        if j >= 0 and label_of[j] == extra and k < n_beats - 1:
            pending_kind = extra  # beat k is deleted; the merged interval ends at beat k + 1
            continue
        if j >= 0 and label_of[j] == missed:
            new_times.append(0.5 * (beat_times[k - 1] + beat_times[k]))
            new_kinds.append(missed)
            pending_kind = missed
        new_index[k] = len(new_times)
        new_times.append(beat_times[k])
        new_kinds.append(pending_kind)
        pending_kind = normal
    corrected = np.asarray(new_times)
    kinds = np.asarray(new_kinds, dtype=int)
    moving = np.flatnonzero((labels == Artifact.ECTOPIC) | (labels == Artifact.LONG_SHORT))
    # An ectopic pair is flagged on its larger jump: into the long interval (the premature beat then
    # starts the flagged interval) or into the short one (it ends it).
    beats = [j if labels[j] == Artifact.ECTOPIC and j > 0 and rr[j] > rr[j - 1] else j + 1
             for j in moving.tolist()]
    targets = [(int(new_index[b]), int(labels[j])) for b, j in zip(beats, moving.tolist(), strict=True)]
    targets = [(m, kind) for m, kind in targets if 0 < m < len(corrected) - 1]
    for m, kind in targets:  # in time order, each from its already corrected predecessor
        corrected[m] = 0.5 * (corrected[m - 1] + corrected[m + 1])
        for end in (m, m + 1):
            if kinds[end] == Artifact.NORMAL:
                kinds[end] = kind
    return np.diff(corrected), kinds[1:]
