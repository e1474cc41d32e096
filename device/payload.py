"""The metrics payload: one JSON object per metrics period, the same for MQTT and `glimmer sim --json`.

Keys carry their units; `schema` versions the contract (docs/metrics.md; on MQTT docs/asyncapi.yaml).
Schema 3 adds together mode's keys (the partner's figures, the synchrony) and changes none of schema 2's;
`hr_flag` (a doubt about a heart rate given) was added to it later, a key more, none changed.
`_bpm` is beats per minute only; breaths per minute are `_per_min` (schema 2 renamed `breath_rate_bpm`,
`pacer_rate_bpm` and `pacer_target_bpm`). Times are device-clock
seconds (`t_s`: sensor time; in the simulator, simulated seconds); a publisher that needs wall time
(MQTT) adds it when it sends, so the payload itself is deterministic for a given seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from device.signal.hrv import HrvMetrics
from patterns.state import PatternState

SCHEMA_VERSION = 3  # 3: together mode's keys added (docs/metrics.md); every key of 2 means what it meant
NOT_TOGETHER = "not_together"  # synchrony_reason with no together session


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


@dataclass(frozen=True)
class TogetherStatus:
    """Together mode's part of the payload: the partner's (sensor B's) figures and the synchrony."""

    together: bool  # the partner has joined the open session
    partner_hrv: HrvMetrics
    partner_status: DeviceStatus  # session_id: the partner's own session number
    synchrony: float | None  # 0..1 (device/signal/synchrony.py), None when withheld
    synchrony_lag_s: float | None  # > 0: the active person's heart leads
    synchrony_reason: str | None  # why synchrony is None


def heart_keys(t_s: float, hrv: HrvMetrics, status: DeviceStatus) -> dict[str, Any]:
    """One person's sensor and heart keys (docs/metrics.md), the same for sensor A (top level) and B."""
    beat_age_s = round(float(t_s - hrv.t_s), 1) if hrv.n_beats else None
    return {
        "finger_on": status.finger_on,
        "sensor_status": status.sensor_status,
        "signal_quality": round(status.signal_quality, 3),
        "lost_samples": status.lost_samples,
        "hr_bpm": _r(hrv.hr_bpm, 1),
        "hr_reason": hrv.hr_reason,
        "hr_flag": hrv.hr_flag,
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
    }


def metrics_payload(t_s: float, hrv: HrvMetrics, status: DeviceStatus, pattern: PatternState,
                    target_rate_bpm: float, together: TogetherStatus | None = None) -> dict[str, Any]:
    """Build the metrics payload at clock time t_s; `target_rate_bpm` is where pacing leads; `together`:
    sensor B's part (None: the device has one sensor)."""
    pacing = status.session_state in ("pacing", "paused")
    phase = float(pattern.pacer.phase_cycles(t_s)) % 1.0
    partner: dict[str, Any] | None = None
    if together is not None:
        partner = {"session": together.partner_status.session_id,
                   **heart_keys(t_s, together.partner_hrv, together.partner_status),
                   "following": together.partner_status.following}
    return {
        "kind": "metrics",
        "schema": SCHEMA_VERSION,
        "t_s": round(t_s, 3),
        "session_state": status.session_state,
        "session": status.session_id,
        **heart_keys(t_s, hrv, status),
        "pacer_rate_per_min": _r(float(pattern.pacer.rate_bpm(t_s)), 2) if pacing else None,
        "pacer_target_per_min": _r(target_rate_bpm, 2) if pacing else None,
        "pacer_phase": round(phase, 3) if pacing else None,
        "following": status.following,
        "night": pattern.night,
        "together": together is not None and together.together,
        "partner": partner,
        "synchrony": _r(together.synchrony, 3) if together is not None else None,
        "synchrony_lag_s": _r(together.synchrony_lag_s, 2) if together is not None else None,
        "synchrony_reason": together.synchrony_reason if together is not None else NOT_TOGETHER,
    }


def summary_fields(summary: dict[str, Any]) -> dict[str, Any]:
    """A session summary (device/pacing/session.py) as every published `session_summary` carries it: what the
    session was in `session_kind` ("session", or "assessment" with its `assessment` result, null when it did
    not finish) in place of the session's own `kind`, which would overwrite the message's kind."""
    fields = {k: v for k, v in summary.items() if k != "kind"}
    session_kind = summary.get("kind", "session")
    if session_kind != "assessment":
        fields.pop("assessment", None)
    return {"session_kind": session_kind, **fields}
