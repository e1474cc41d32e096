"""Scoring detected beats against reference beats (definitions in bench/bench_pulse.py's docstring)."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
from numpy.typing import NDArray

from device.signal.intervals import MAX_GAP_S

MATCH_TOLERANCE_S = 0.150
HR_WINDOW_S = 10.0


def match_beats(ref_s: NDArray[np.float64], det_s: NDArray[np.float64],
                tolerance_s: float = MATCH_TOLERANCE_S) -> NDArray[np.int_]:
    """One-to-one matches (ref index, det index) within the tolerance, closest pairs first, sorted."""
    pairs: list[tuple[float, int, int]] = []
    for j, t in enumerate(det_s.tolist()):
        i = int(np.searchsorted(ref_s, t))
        for k in (i - 1, i):
            if 0 <= k < len(ref_s) and abs(ref_s[k] - t) <= tolerance_s:
                pairs.append((abs(ref_s[k] - t), k, j))
    pairs.sort()
    used_ref: set[int] = set()
    used_det: set[int] = set()
    matches: list[tuple[int, int]] = []
    for _, k, j in pairs:
        if k not in used_ref and j not in used_det:
            used_ref.add(k)
            used_det.add(j)
            matches.append((k, j))
    matches.sort()
    return np.asarray(matches, dtype=int).reshape(-1, 2)


def rmssd_pair_ms(ref_s: NDArray[np.float64], det_s: NDArray[np.float64],
                  matches: NDArray[np.int_]) -> tuple[float, float] | None:
    """(reference RMSSD, detected RMSSD) over runs of three consecutive matched reference beats."""
    ref_idx, det_idx = matches[:, 0], matches[:, 1]
    run = (ref_idx[2:] == ref_idx[:-2] + 2) & (ref_idx[1:-1] == ref_idx[:-2] + 1)
    starts = np.flatnonzero(run)
    if len(starts) < 2:
        return None
    triples = starts[:, None] + np.arange(3)
    ref_sd = np.diff(ref_s[ref_idx[triples]], 2, axis=1)[:, 0] * 1000.0
    det_sd = np.diff(det_s[det_idx[triples]], 2, axis=1)[:, 0] * 1000.0
    return float(np.sqrt(np.mean(ref_sd**2))), float(np.sqrt(np.mean(det_sd**2)))


def windowed_hr(beats_s: NDArray[np.float64], duration_s: float) -> NDArray[np.float64]:
    """HR (60 / median interval) in each HR_WINDOW_S window; NaN where fewer than two intervals."""
    n = int(duration_s // HR_WINDOW_S)
    out = np.full(n, np.nan)
    if len(beats_s) < 2:
        return out
    ends, ibis = beats_s[1:], np.diff(beats_s)
    which = (ends // HR_WINDOW_S).astype(int)
    for w in range(n):
        sel = ibis[which == w]
        if len(sel) >= 2:
            out[w] = 60.0 / float(np.median(sel))
    return out


RMSSD_WINDOW_S = 60.0


def window_rmssd_ms(beats_s: NDArray[np.float64], duration_s: float,
                    window_s: float = RMSSD_WINDOW_S) -> NDArray[np.float64]:
    """RMSSD (ms) of every beat in each whole `window_s` window [k w, (k+1) w): the intervals between
    consecutive beats that both lie in the window, their successive differences, nothing matched, dropped
    or corrected (so a false or missed beat counts in full). A pause longer than MAX_GAP_S (3.5 s, a
    20/min heart's interval) is a gap, not an interval (in CapnoBase: spans the annotators left unlabelled),
    as on the device: no difference is formed across it. NaN where fewer than two differences."""
    n = int(duration_s // window_s)
    out = np.full(n, np.nan)
    t = np.asarray(beats_s, dtype=float)
    which = (t // window_s).astype(int)
    for w in range(n):
        ibi = np.diff(t[which == w])
        sd = np.diff(ibi) * 1000.0
        sd = sd[(ibi[1:] <= MAX_GAP_S) & (ibi[:-1] <= MAX_GAP_S)]
        if len(sd) >= 2:
            out[w] = float(np.sqrt(np.mean(sd**2)))
    return out


def window_slices(beats_s: NDArray[np.float64], duration_s: float,
                  window_s: float = RMSSD_WINDOW_S) -> list[slice]:
    """Index range of the beats in each whole `window_s` window (as window_rmssd_ms cuts them)."""
    edges = np.searchsorted(beats_s, np.arange(int(duration_s // window_s) + 1) * window_s)
    return [slice(int(a), int(b)) for a, b in pairwise(edges.tolist())]
