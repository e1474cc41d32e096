"""The end-of-run summary of `glimmer sim`, in plain words.

It prints what is known with its unit and says what is not (never Python's `None`), with one
precision rule per unit (beats/min and breaths/min one decimal, milliseconds whole, coherence ratio
two decimals). Coherence at the start and at the end of pacing is compared over two windows of
`COMPARE_WINDOW_S` that never overlap: a shorter session says so instead. `sim_summary` gives the same
figures as the last line of a `--json` run, so every figure the text summary prints can be checked there.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import numpy as np

COMPARE_WINDOW_S: Final = 120.0  # "first 2 min" and "last 2 min" of pacing
LABEL_WIDTH: Final = 26


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


def _known(value: Any, digits: int, unit: str, unknown: str) -> str:
    if value is None:
        return unknown
    return f"{float(value):.{digits}f}{unit}"


def coherence_comparison(payloads: Sequence[dict[str, Any]],
                         window_s: float = COMPARE_WINDOW_S) -> tuple[float, float] | str:
    """Mean coherence ratio over the first and the last `window_s` of pacing, from metrics payloads,
    or why they cannot be compared (the two windows would overlap, or there is no reading)."""
    readings = [(p["t_s"], p["coherence_ratio"]) for p in payloads
                if p.get("coherence_ratio") is not None and p.get("session_state") == "pacing"]
    if not readings:
        return "not compared: no coherence readings while pacing"
    t = np.array([r[0] for r in readings])
    c = np.array([r[1] for r in readings])
    span_s = float(t[-1] - t[0])
    if span_s < 2 * window_s:
        return f"not compared: {_duration(span_s)} of readings while pacing, {2 * window_s / 60:.0f} min needed"
    first = c[t <= t[0] + window_s]
    last = c[t > t[-1] - window_s]
    return float(np.mean(first)), float(np.mean(last))


def format_summary(summary: dict[str, Any] | None, payloads: Sequence[dict[str, Any]], audio_name: str) -> str:
    """The summary of a run: its session (if one was held), coherence early and late, and the sound."""
    lines = ["", "Glimmer simulation summary"]

    def row(label: str, text: str) -> None:
        lines.append(f"  {label:<{LABEL_WIDTH}}{text}")

    if summary is None:
        row("session", "none was held (no finger settled on the sensor)")
    else:
        row("session", f"{summary.get('session')}")
        row("length", _duration(summary.get("duration_s") or 0.0))
        paced = summary.get("paced_s") or 0.0
        row("paced", _duration(paced) if paced else "pacing never started")
        # The session's means are over its paced time (device/pacing/session.py).
        few_beats = "not known (too few clean beats while pacing)" if paced else "not known (pacing never started)"
        row("mean heart rate", _known(summary.get("mean_hr_bpm"), 1, " beats/min", few_beats))
        row("mean RMSSD", _known(summary.get("mean_rmssd_ms"), 0, " ms", few_beats))
        no_coherence = ("not known (no coherence reading while pacing)" if paced
                        else "not known (pacing never started)")
        row("mean coherence ratio", _known(summary.get("mean_coherence_ratio"), 2, "", no_coherence))
        row("peak coherence ratio", _known(summary.get("peak_coherence_ratio"), 2, "", no_coherence))
        row("time coherent", _duration(summary.get("coherent_s") or 0.0))
        start = summary.get("pacer_start_rate_per_min")
        end = summary.get("pacer_end_rate_per_min")
        if start is None or end is None:
            row("pacer", "pacing never started")
        else:
            row("pacer", f"{start:.1f}/min at the start, {end:.1f}/min at the end")
    comparison = coherence_comparison(payloads)
    if isinstance(comparison, str):
        row("coherence first vs last", comparison)
    else:
        first, last = comparison
        row(f"coherence first {COMPARE_WINDOW_S / 60:.0f} min", f"{first:.2f}")
        row(f"coherence last {COMPARE_WINDOW_S / 60:.0f} min", f"{last:.2f}")
    row("sound", audio_name)
    return "\n".join(lines)


def sim_summary(payloads: Sequence[dict[str, Any]], seed: int, simulated_s: float,
                window_s: float = COMPARE_WINDOW_S) -> dict[str, Any]:
    """The closing JSON object of `glimmer sim --json` (kind `sim_summary`): the mean coherence ratio
    over the first and the last `window_s` of pacing (as the text summary prints them), or null with
    `coherence_ratio_compare_reason` saying why they were not compared."""
    comparison = coherence_comparison(payloads, window_s)
    out: dict[str, Any] = {"kind": "sim_summary", "seed": seed, "simulated_s": round(simulated_s, 1),
                           "compare_window_s": window_s}
    if isinstance(comparison, str):
        out.update({"coherence_ratio_first_2_min": None, "coherence_ratio_last_2_min": None,
                    "coherence_ratio_compare_reason": comparison})
    else:
        out.update({"coherence_ratio_first_2_min": round(comparison[0], 2),
                    "coherence_ratio_last_2_min": round(comparison[1], 2),
                    "coherence_ratio_compare_reason": None})
    return out
