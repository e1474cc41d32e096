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
# distribution, times the paper's ALPHA x quartile deviation per standard deviation (2.16): on a series
# without ectopy the cap equals the paper's own threshold, so the paper's method is what runs there.
NORMAL_QUANTILE = 0.2
HALF_NORMAL_Q20 = 0.2533  # 20th percentile of |x| for x ~ N(0, 1)
THRESHOLD_PER_SD = ALPHA * (1.1503 - 0.3186) / 2.0  # the paper's threshold for |x|, x ~ N(0, 1)


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
    padded = np.full(len(x) + 2 * half, np.nan)
    padded[half:half + len(x)] = x
    return sliding_window_view(padded, width)


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
    # the median of each window's values, NaN padding left out (numpy.nanmedian's result, computed
    # on one sort of all windows: nanmedian's per-row masked path cost a fifth of the tracker's time)
    ordered = np.sort(windows, axis=1)
    count = np.sum(~np.isnan(ordered), axis=1)
    rows = np.arange(len(rr))
    low, high = ordered[rows, (count - 1) // 2], ordered[rows, count // 2]
    deviation = np.abs(rr - (low + high) / 2.0)
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
    cap = THRESHOLD_PER_SD * _normal_spread(rr)
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
    # the paper's sequential scan, over the intervals it acts on (|dRR| above threshold) as plain floats
    drr_l, mrr_l, s12_l, s22_l = drrs.tolist(), mrrs.tolist(), s12.tolist(), s22.tolist()
    rr_l, med_l, th2_l = rr.tolist(), median_rr.tolist(), th2.tolist()
    ectopic, extra, missed, long_short = (int(a) for a in (Artifact.ECTOPIC, Artifact.EXTRA, Artifact.MISSED,
                                                           Artifact.LONG_SHORT))
    out = [0] * n
    for i in np.flatnonzero(np.abs(drrs[:n - 2]) > 1.0).tolist():
        d = drr_l[i]
        if (d > 1.0 and s12_l[i] < -C1 * d - C2) or (d < -1.0 and s12_l[i] > -C1 * d + C2):
            out[i] = ectopic
            continue
        candidates = [i]
        if abs(drr_l[i + 1]) < abs(drr_l[i + 2]):
            candidates.append(i + 1)
        for j in candidates:
            long_beat = drr_l[j] > 1.0 and s22_l[j] < -1.0
            short_beat = drr_l[j] < -1.0 and s22_l[j] > 1.0
            if not (long_beat or short_beat or abs(mrr_l[j]) > 3.0):
                continue
            if short_beat and j + 1 < n and abs(rr_l[j] + rr_l[j + 1] - med_l[j]) < th2_l[j]:
                out[j] = extra
            elif long_beat and abs(rr_l[j] / 2.0 - med_l[j]) < th2_l[j]:
                out[j] = missed
            else:
                out[j] = long_short
    labels[:] = out
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
    normal, ectopic, extra, missed = (int(a) for a in (Artifact.NORMAL, Artifact.ECTOPIC, Artifact.EXTRA,
                                                       Artifact.MISSED))
    label_list = labels.tolist()
    corrected = times.copy()
    kinds = np.zeros(n_beats, dtype=int)  # kind of the interval ending at each (new) beat
    new_index = list(range(n_beats))
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
    for m, kind in targets:  # in time order, each from its already corrected predecessor
        corrected[m] = 0.5 * (corrected[m - 1] + corrected[m + 1])
        for end in (m, m + 1):
            if kinds[end] == normal:
                kinds[end] = kind
    return np.diff(corrected), kinds[1:]
