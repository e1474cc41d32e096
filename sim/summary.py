"""The end-of-run summary of `glimmer sim`, in plain words.

It prints what is known with its unit and says what is not (never Python's `None`), with one
precision rule per unit (beats/min and breaths/min one decimal, milliseconds whole, coherence ratio
two decimals). Coherence at the start and at the end of pacing is compared over two windows of
`COMPARE_WINDOW_S` that never overlap: a shorter session says so instead. `sim_summary` gives the same
figures as the last line of a `--json` run, so every figure the text summary prints can be checked there.

Together mode (two simulated people): each person's coherence and the two people's heart-rate synchrony are
compared the same way, from the metrics payloads' `partner.coherence_ratio` and `synchrony` (docs/metrics.md);
the partner's and the synchrony's windows are those of the together session (payloads with `together`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
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


Reading = Callable[[dict[str, Any]], Any]


def _active(payload: dict[str, Any]) -> Any:
    return payload.get("coherence_ratio")


def _partner(payload: dict[str, Any]) -> Any:
    partner = payload.get("partner") if payload.get("together") else None
    return partner.get("coherence_ratio") if isinstance(partner, dict) else None


def _synchrony(payload: dict[str, Any]) -> Any:
    return payload.get("synchrony") if payload.get("together") else None


def coherence_comparison(payloads: Sequence[dict[str, Any]], window_s: float = COMPARE_WINDOW_S,
                         reading: Reading = _active, what: str = "coherence") -> tuple[float, float] | str:
    """Mean of a reading (default: the active person's coherence ratio) over the first and the last
    `window_s` of pacing, from metrics payloads, or why they cannot be compared (the two windows would
    overlap, or there is no reading). `reading` picks the figure from a payload (None: not known);
    `what` names it in the reason."""
    readings = [(p["t_s"], reading(p)) for p in payloads
                if reading(p) is not None and p.get("session_state") == "pacing"]
    if not readings:
        return f"not compared: no {what} readings while pacing"
    t = np.array([r[0] for r in readings])
    c = np.array([r[1] for r in readings])
    span_s = float(t[-1] - t[0])
    if span_s < 2 * window_s:
        return f"not compared: {_duration(span_s)} of readings while pacing, {2 * window_s / 60:.0f} min needed"
    first = c[t <= t[0] + window_s]
    last = c[t > t[-1] - window_s]
    return float(np.mean(first)), float(np.mean(last))


def format_summary(summary: dict[str, Any] | None, payloads: Sequence[dict[str, Any]], audio_name: str,
                   together: TogetherSeeds | None = None, unpaced: bool = False) -> str:
    """The summary of a run: its session (the active person's, if one was held), coherence early and late
    (in together mode each person's, labelled A and B, and the synchrony), whether the light was hidden,
    and the sound."""
    lines = ["", "Glimmer simulation summary"]

    def row(label: str, text: str) -> None:
        lines.append(f"  {label:<{LABEL_WIDTH}}{text}")

    if together is not None:
        row("people", f"A seed {together.seed_a} (sensor A), B seed {together.seed_b} (sensor B, the partner)")
    if summary is None:
        row("session", "none was held (no finger settled on the sensor)")
    else:
        whose = " (A's: the figures down to the pacer are A's)" if together else ""
        row("session", f"{summary.get('session')}{whose}")
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
    if together is None:
        _compare_rows(row, "coherence", coherence_comparison(payloads))
    else:
        _compare_rows(row, "A coherence", coherence_comparison(payloads))
        _compare_rows(row, "B coherence", coherence_comparison(payloads, reading=_partner, what="partner coherence"))
        _compare_rows(row, "synchrony", coherence_comparison(payloads, reading=_synchrony, what="synchrony"))
    if unpaced:
        row("light", "hidden from the simulated people (unpaced control)")
    row("sound", audio_name)
    return "\n".join(lines)


def _compare_rows(row: Callable[[str, str], None], label: str, comparison: tuple[float, float] | str) -> None:
    if isinstance(comparison, str):
        row(f"{label} first vs last", comparison)
    else:
        first, last = comparison
        row(f"{label} first {COMPARE_WINDOW_S / 60:.0f} min", f"{first:.2f}")
        row(f"{label} last {COMPARE_WINDOW_S / 60:.0f} min", f"{last:.2f}")


@dataclass(frozen=True)
class TogetherSeeds:
    """Who was simulated in together mode: the seeds of the person on sensor A and of the partner (B)."""

    seed_a: int
    seed_b: int


def sim_summary(payloads: Sequence[dict[str, Any]], seed: int, simulated_s: float,
                window_s: float = COMPARE_WINDOW_S, together: TogetherSeeds | None = None,
                unpaced: bool = False) -> dict[str, Any]:
    """The closing JSON object of `glimmer sim --json` (kind `sim_summary`): the mean coherence ratio
    over the first and the last `window_s` of pacing (as the text summary prints them), or null with
    `coherence_ratio_compare_reason` saying why they were not compared.

    `unpaced`: whether the light was hidden from the simulated people. In together mode `partner` holds the
    partner's (sensor B's) `seed` and their coherence ratio compared the same way (same key names), and
    `synchrony_first_2_min` / `synchrony_last_2_min` (with `synchrony_compare_reason`) compare the two
    people's heart-rate synchrony; with one person `partner` is null and there are no synchrony keys."""
    out: dict[str, Any] = {"kind": "sim_summary", "seed": seed, "simulated_s": round(simulated_s, 1),
                           "compare_window_s": window_s, "unpaced": unpaced}
    out.update(_compared("coherence_ratio", coherence_comparison(payloads, window_s)))
    if together is None:
        out["partner"] = None
        return out
    partner: dict[str, Any] = {"seed": together.seed_b}
    partner.update(_compared("coherence_ratio", coherence_comparison(payloads, window_s, _partner,
                                                                     "partner coherence")))
    out["partner"] = partner
    out.update(_compared("synchrony", coherence_comparison(payloads, window_s, _synchrony, "synchrony")))
    return out


def _compared(name: str, comparison: tuple[float, float] | str) -> dict[str, Any]:
    if isinstance(comparison, str):
        return {f"{name}_first_2_min": None, f"{name}_last_2_min": None, f"{name}_compare_reason": comparison}
    return {f"{name}_first_2_min": round(comparison[0], 2), f"{name}_last_2_min": round(comparison[1], 2),
            f"{name}_compare_reason": None}
