"""One person's part of a session: their running figures, glimmer and summary.

A one-person session has one seat (the active person's). A together session (issue 13,
docs/together.md) has a second one, the partner's, opened when the partner's finger joins
and closed with the session; each seat is its person's own stored session, with its own number.
Running sums only (bounded: no per-beat history).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from device.signal.hrv import HrvMetrics


@dataclass
class Seat:
    """Running sums for one person's session summary. Times are clock seconds."""

    session_id: int
    seat: str  # "person" (the active person's session) or "partner" (the partner's, together mode)
    started_s: float
    glimmer_ratio: float  # coherence at or above this counts as coherent (session.glimmer_coherence_ratio)
    glimmer_after_s: float  # coherent this long earns the glimmer (session.glimmer_after_s)
    pacing_started_s: float | None = None
    paced_s: float = 0.0
    n_metrics: int = 0
    hr_sum: float = 0.0
    rmssd_sum: float = 0.0
    coherence_sum: float = 0.0
    n_coherence: int = 0
    coherence_peak: float = 0.0
    coherent_s: float = 0.0
    start_rate_bpm: float | None = None
    synchrony_sum: float = 0.0
    n_synchrony: int = 0
    synchrony_peak: float = 0.0
    together_with: int | None = None  # the other person's session number, once together
    coherent_since_s: float | None = None
    glimmer: bool = False
    coherence_level: float | None = None  # the last coherence given (for the ring's warmth)

    def accumulate(self, now_s: float, metrics: HrvMetrics, dt_s: float, synchrony: float | None = None) -> None:
        """Add one paced step's figures (withheld ones are skipped) and update the glimmer: coherence at
        or above `glimmer_ratio` for `glimmer_after_s`."""
        if metrics.hr_bpm is not None and metrics.rmssd_ms is not None:
            self.n_metrics += 1
            self.hr_sum += metrics.hr_bpm
            self.rmssd_sum += metrics.rmssd_ms
        coherence = metrics.coherence
        if coherence is not None:
            self.n_coherence += 1
            self.coherence_sum += coherence
            self.coherence_peak = max(self.coherence_peak, coherence)
            self.coherence_level = coherence
        if synchrony is not None:
            self.n_synchrony += 1
            self.synchrony_sum += synchrony
            self.synchrony_peak = max(self.synchrony_peak, synchrony)
        coherent = coherence is not None and coherence >= self.glimmer_ratio
        if coherent:
            self.coherent_s += dt_s
            if self.coherent_since_s is None:
                self.coherent_since_s = now_s
        else:
            self.coherent_since_s = None
        self.glimmer = self.coherent_since_s is not None and now_s - self.coherent_since_s >= self.glimmer_after_s

    def summary(self, now_s: float, end_rate_bpm: float | None) -> dict[str, Any]:
        """The session summary (docs/metrics.md): `end_rate_bpm` is the pacer's rate at the end."""
        def mean(total: float, n: int) -> float | None:
            return round(total / n, 2) if n else None

        return {
            "session": self.session_id,
            "started_t_s": round(self.started_s, 3),
            "ended_t_s": round(now_s, 3),
            "duration_s": round(now_s - self.started_s, 1),
            "paced_s": round(self.paced_s, 1),
            "mean_hr_bpm": mean(self.hr_sum, self.n_metrics),
            "mean_rmssd_ms": mean(self.rmssd_sum, self.n_metrics),
            "mean_coherence_ratio": mean(self.coherence_sum, self.n_coherence),
            "peak_coherence_ratio": round(self.coherence_peak, 2) if self.n_coherence else None,
            "coherent_s": round(self.coherent_s, 1),
            # Breaths per minute: "_per_min", never "_bpm", which in a payload means beats per minute.
            "pacer_start_rate_per_min": None if self.start_rate_bpm is None else round(self.start_rate_bpm, 2),
            "pacer_end_rate_per_min": (round(end_rate_bpm, 2)
                                       if self.pacing_started_s is not None and end_rate_bpm is not None else None),
            "seat": self.seat,
            "together_with": self.together_with,
            "mean_synchrony": mean(self.synchrony_sum, self.n_synchrony),
            "peak_synchrony": round(self.synchrony_peak, 3) if self.n_synchrony else None,
        }
