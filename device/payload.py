"""The metrics payload: one JSON object per metrics period, the same for MQTT and `glimmer sim --json`.

Keys carry their units; `schema` versions the contract (docs/metrics.md). `_bpm` is beats per minute
only; breaths per minute are `_per_min` (schema 2 renamed `breath_rate_bpm`, `pacer_rate_bpm` and
`pacer_target_bpm`). Times are device-clock
seconds (`t_s`: sensor time; in the simulator, simulated seconds); a publisher that needs wall time
(MQTT) adds it when it sends, so the payload itself is deterministic for a given seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from device.signal.hrv import HrvMetrics
from patterns.state import PatternState

SCHEMA_VERSION = 2


@dataclass(frozen=True)
class DeviceStatus:
    """What the loop knows besides HRV: sensor health, finger, session."""

    sensor_status: str  # "starting", "ok" or "lost"
    finger_on: bool
    signal_quality: float  # 0..1
    session_state: str  # idle, settling, pacing, paused, closing
    session_id: int | None
    lost_samples: int
    following: bool | None  # is the person following the pacer (None when not pacing)


def _r(value: float | None, digits: int) -> float | None:
    return None if value is None else round(float(value), digits)


def metrics_payload(t_s: float, hrv: HrvMetrics, status: DeviceStatus, pattern: PatternState,
                    target_rate_bpm: float) -> dict[str, Any]:
    """Build the metrics payload at clock time t_s; `target_rate_bpm` is where pacing leads."""
    pacing = status.session_state in ("pacing", "paused")
    beat_age_s = round(float(t_s - hrv.t_s), 1) if hrv.n_beats else None
    phase = float(pattern.pacer.phase_cycles(t_s)) % 1.0
    return {
        "kind": "metrics",
        "schema": SCHEMA_VERSION,
        "t_s": round(t_s, 3),
        "session_state": status.session_state,
        "session": status.session_id,
        "finger_on": status.finger_on,
        "sensor_status": status.sensor_status,
        "signal_quality": round(status.signal_quality, 3),
        "lost_samples": status.lost_samples,
        "hr_bpm": _r(hrv.hr_bpm, 1),
        "hr_reason": hrv.hr_reason,
        "hrv_reason": hrv.hrv_reason,
        "beat_age_s": beat_age_s,
        "irregular_rhythm": hrv.irregular,
        "rmssd_ms": _r(hrv.rmssd_ms, 1),
        "sdnn_ms": _r(hrv.sdnn_ms, 1),
        "ln_rmssd": _r(hrv.ln_rmssd, 3),
        "pnn50_pct": _r(hrv.pnn50_pct, 1),
        "hr_swing_bpm": _r(hrv.hr_swing_bpm, 1),
        "breath_rate_per_min": _r(hrv.breath_rate_bpm, 2),
        "breath_rate_confidence": _r(hrv.breath_confidence, 2),
        "coherence_ratio": _r(hrv.coherence, 3),
        "artifact_pct": round(hrv.artifact_pct, 1),
        "beats": hrv.n_beats,
        "pacer_rate_per_min": _r(float(pattern.pacer.rate_bpm(t_s)), 2) if pacing else None,
        "pacer_target_per_min": _r(target_rate_bpm, 2) if pacing else None,
        "pacer_phase": round(phase, 3) if pacing else None,
        "following": status.following,
        "night": pattern.night,
    }
