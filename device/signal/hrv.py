"""Heart-rate variability from beats: rolling HR, RMSSD, SDNN, lnRMSSD, pNN50, breathing rate, coherence.

Pure and streaming with bounded memory: `HrvTracker` keeps the beats of the longest window it needs in a
bounded deque and recomputes its figures from that window only. Intervals are cleaned with the
Lipponen & Tarvainen (2019) correction (device/signal/artifacts.py) before any figure is taken, so one bad
beat does not wreck a minute of HRV; beats the pulse pipeline marks as poor are treated as missed and
restored by the same correction. Time-domain definitions follow the Task Force of the ESC/NASPE (1996,
doi:10.1161/01.CIR.93.5.1043). Coherence and the RSA breathing rate: device/signal/coherence.py.
"""

from __future__ import annotations

import logging
import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from device.errors import InputError
from device.signal.artifacts import Artifact, correct_intervals
from device.signal.coherence import breathing_rate_bpm, coherence_ratio, hr_swing_bpm
from device.signal.pulse import Beat

__all__ = [
    "HrvMetrics",
    "HrvTracker",
    "coherence_ratio",
    "correct_intervals",
    "time_domain",
]

log = logging.getLogger(__name__)

MIN_BEAT_QUALITY = 0.0  # beats below this are dropped (restored as "missed" by the correction)
MAX_GAP_S = 3.5  # a longer pause between beats (finger lifted, signal lost) starts a new series
MIN_IBI_S = 0.25  # 240 beats/min: sizes the bounded beat buffer
BREATH_MIN_SPAN_S = 30.0  # beats needed before a breathing rate is estimated
NN50_MS = 50.0


@dataclass(frozen=True)
class HrvMetrics:
    """Figures over the rolling windows, as of the newest beat."""

    t_s: float  # sensor time of the newest beat used
    hr_bpm: float | None
    rmssd_ms: float | None
    sdnn_ms: float | None
    ln_rmssd: float | None
    pnn50_pct: float | None
    breath_rate_bpm: float | None  # from the heart's respiratory rhythm (RSA)
    hr_swing_bpm: float | None  # mean over recent breaths of HR max - min per breath
    coherence: float | None  # HeartMath coherence ratio, updated every coherence_update_s
    n_beats: int
    artifact_pct: float  # share of intervals corrected in the window


def time_domain(ibi_ms: NDArray[np.float64]) -> dict[str, float]:
    """hr_bpm, rmssd_ms, sdnn_ms, ln_rmssd, pnn50_pct of a series of (clean) intervals in ms.

    hr_bpm is 60000 / the median interval: for a clean series within a fraction of a beat per minute of
    the mean rate, and unmoved by a run of wrong beats that the artifact correction could not repair.
    """
    rr = np.asarray(ibi_ms, dtype=float)
    if rr.ndim != 1 or len(rr) < 2 or not np.all(np.isfinite(rr)) or np.any(rr <= 0):
        raise InputError("time_domain needs at least two positive, finite intervals")
    diffs = np.diff(rr)
    rmssd = float(np.sqrt(np.mean(diffs**2)))
    return {
        "hr_bpm": 60000.0 / float(np.median(rr)),
        "rmssd_ms": rmssd,
        "sdnn_ms": float(rr.std(ddof=1)),
        "ln_rmssd": math.log(rmssd) if rmssd > 0 else float("-inf"),
        "pnn50_pct": 100.0 * float(np.mean(np.abs(diffs) > NN50_MS)),
    }


class HrvTracker:
    """Rolling HRV over the most recent beats (sensor time), fed with the pulse pipeline's beats."""

    def __init__(self, window_s: float = 60.0, coherence_window_s: float = 64.0,
                 coherence_update_s: float = 5.0) -> None:
        if window_s <= 0 or coherence_window_s <= 0 or coherence_update_s <= 0:
            raise InputError("HRV windows and update period must be positive")
        self.window_s = window_s
        self.coherence_window_s = coherence_window_s
        self.coherence_update_s = coherence_update_s
        self._span_s = max(window_s, coherence_window_s)
        self._times: deque[float] = deque(maxlen=math.ceil(self._span_s / MIN_IBI_S) + 8)
        self.reset()

    def reset(self) -> None:
        """Forget all beats (a new person, a new session)."""
        self._times.clear()
        self._coherence: float | None = None
        self._coherence_due_s: float | None = None
        self._cached: HrvMetrics | None = None

    def add_beats(self, beats: Sequence[Beat]) -> None:
        """Add beats in time order; poor beats are skipped, a long pause restarts the series."""
        for beat in beats:
            if beat.quality < MIN_BEAT_QUALITY:
                continue
            if self._times:
                last = self._times[-1]
                if beat.t_s <= last:
                    log.debug("beat at %.3f s is not after %.3f s: ignored", beat.t_s, last)
                    continue
                if beat.t_s - last > MAX_GAP_S:
                    log.debug("%.1f s without beats: HRV series restarts", beat.t_s - last)
                    self.reset()
            self._times.append(beat.t_s)
            self._cached = None
        while self._times and self._times[-1] - self._times[0] > self._span_s + MAX_GAP_S:
            self._times.popleft()
        self._update_coherence()

    def _corrected(self, span_s: float) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int_]]:
        """(end times s, corrected intervals ms, labels) of the intervals ending in the last `span_s`."""
        times = np.fromiter(self._times, dtype=float)
        ibi_ms, labels = correct_intervals(np.diff(times) * 1000.0)
        ends = times[0] + np.cumsum(ibi_ms) / 1000.0
        keep = ends > times[-1] - span_s
        return ends[keep], ibi_ms[keep], labels[keep]

    def _update_coherence(self) -> None:
        if len(self._times) < 3:
            return
        newest = self._times[-1]
        if self._coherence_due_s is None:
            self._coherence_due_s = self._times[0] + self.coherence_window_s
        if newest < self._coherence_due_s:
            return
        ends, ibi_ms, _ = self._corrected(self.coherence_window_s)
        self._coherence, _ = coherence_ratio(ends, ibi_ms)
        self._coherence_due_s = newest + self.coherence_update_s
        self._cached = None

    def metrics(self) -> HrvMetrics:
        """Figures over the last window_s of beats (None where there are too few beats)."""
        if self._cached is not None:
            return self._cached
        newest = self._times[-1] if self._times else 0.0
        if len(self._times) < 3:
            return HrvMetrics(newest, None, None, None, None, None, None, None, None, len(self._times), 0.0)
        ends, ibi_ms, labels = self._corrected(self.window_s)
        if len(ibi_ms) < 2:
            return HrvMetrics(newest, None, None, None, None, None, None, None, self._coherence,
                              len(ibi_ms) + 1, 0.0)
        td = time_domain(ibi_ms)
        breath: float | None = None
        swing: float | None = None
        if ends[-1] - ends[0] >= BREATH_MIN_SPAN_S:
            hr_series = 60000.0 / ibi_ms
            breath = breathing_rate_bpm(ends, hr_series)
            if breath is not None:
                swing = hr_swing_bpm(ends, hr_series, breath)
        self._cached = HrvMetrics(
            t_s=newest,
            hr_bpm=td["hr_bpm"],
            rmssd_ms=td["rmssd_ms"],
            sdnn_ms=td["sdnn_ms"],
            ln_rmssd=td["ln_rmssd"],
            pnn50_pct=td["pnn50_pct"],
            breath_rate_bpm=breath,
            hr_swing_bpm=swing,
            coherence=self._coherence,
            n_beats=len(ibi_ms) + 1,
            artifact_pct=100.0 * float(np.mean(labels != Artifact.NORMAL)),
        )
        return self._cached
