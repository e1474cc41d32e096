"""Pictures of a session and of the weeks around it, as a PNG or a self-contained HTML page.

One session: heart rate with the pacer's breathing drawn under it; coherence with the glimmer moments
marked; the measured breathing rate against the pacer's. A together session (docs/together.md) also draws
the other person's heart rate on the same time axis (both rows' `t_s` are the one device's clock), and a
fourth panel with the two people's heart-rate synchrony. The weeks around it: RMSSD and coherence per
session, and the person's latest resonance assessment (heart-rate swing and LF power per rate tried).

matplotlib (the `report` extra) draws them without pyplot's global state (Figure + Agg canvas). The
pictures are sized for a phone held upright; the HTML page embeds them as data URIs, so it opens
offline and can be sent as one file.
"""

from __future__ import annotations

import base64
import html
import io
import logging
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from device.errors import DataError
from device.home.people import Person
from device.home.store import Store

log = logging.getLogger(__name__)

WIDTH_IN = 6.0  # a phone screen's proportions; text stays readable when the page is zoomed to fit
DPI = 150
WEEKS_AROUND = 4
FONT_PT = 11


class ReportUnavailable(RuntimeError):
    """matplotlib is not installed (pip install 'glimmer[report]')."""


def _figure(rows: int) -> Any:
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ReportUnavailable("reports need matplotlib: pip install 'glimmer[report]'") from exc
    fig = Figure(figsize=(WIDTH_IN, 2.6 * rows), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _times_min(metrics: list[dict[str, Any]]) -> np.ndarray:
    t = np.array([m["t_s"] for m in metrics], dtype=float)
    return (t - t[0]) / 60.0 if len(t) else t


def _column(metrics: list[dict[str, Any]], key: str) -> np.ndarray:
    return np.array([np.nan if m[key] is None else m[key] for m in metrics], dtype=float)


def session_png(store: Store, session: dict[str, Any]) -> bytes:
    """Three panels of one session, four for a together session (needs its per-period metrics: pruned
    sessions say so)."""
    return _png(session_figure(store, session))


def session_figure(store: Store, session: dict[str, Any]) -> Any:
    """The matplotlib Figure of `session_png` (axes: heart rate, coherence, breathing[, synchrony])."""
    metrics = store.session_metrics(session["id"])
    if len(metrics) < 2:
        raise DataError(f"session {session['id']} has no per-period detail left (pruned or too short)")
    t_min = _times_min(metrics)
    synchrony = _column(metrics, "synchrony")
    together = session.get("together_with") is not None or bool(np.isfinite(synchrony).any())
    fig = _figure(4 if together else 3)
    axes = fig.subplots(4 if together else 3, 1, sharex=True)
    ax_hr, ax_coh, ax_br = axes[:3]
    hr = _column(metrics, "hr_bpm")
    pacer = _column(metrics, "pacer_rate_per_min")
    ax_hr.plot(t_min, hr, color="#c0392b", lw=1.8, label=session["person"] if together else "heart rate")
    other = store.session(session["together_with"]) if session.get("together_with") is not None else None
    if other is not None:
        # The other person's heart rate on the same time axis: minutes from this session's first period.
        theirs = store.session_metrics(other["id"])
        if theirs:
            t_theirs = (np.array([m["t_s"] for m in theirs], dtype=float) - metrics[0]["t_s"]) / 60.0
            their_hr = _column(theirs, "hr_bpm")
            ax_hr.plot(t_theirs, their_hr, color="#2e86c1", lw=1.8, label=other["person"])
            if np.isfinite(their_hr).any():
                hr = np.concatenate([hr, their_hr])
    # The pacer's breathing under it: a breath wave at the pacer's rate (phase = integral of the rate).
    fine = np.linspace(t_min[0], t_min[-1], max(2000, len(t_min) * 100))
    rate = np.interp(fine, t_min, np.nan_to_num(pacer, nan=0.0))
    phase = np.concatenate(([0.0], np.cumsum(rate[1:] * np.diff(fine))))
    lo = np.nanmin(hr) - 8 if np.isfinite(hr).any() else 50.0
    wave = lo + 3.0 * (1 - np.cos(2 * np.pi * phase)) * (rate > 0)
    ax_hr.fill_between(fine, lo, wave, color="#5dade2", alpha=0.5, lw=0, label="pacer breathing")
    ax_hr.set_ylabel("beats/min", fontsize=FONT_PT)
    ax_hr.legend(loc="upper right", fontsize=FONT_PT - 2)
    ax_hr.set_title(f"{session['person']}, {session['started_at'].replace('T', ' ')[:16]}", fontsize=FONT_PT + 1)
    ax_coh.plot(t_min, _column(metrics, "coherence_ratio"), color="#27ae60", lw=1.8)
    t0_s = metrics[0]["t_s"]
    for g in store.glimmers(session["id"]):
        ax_coh.axvline((g["t_s"] - t0_s) / 60.0, color="#f1c40f", lw=2.5, alpha=0.8)
    ax_coh.set_ylabel("coherence", fontsize=FONT_PT)
    ax_coh.set_title("coherence (gold lines: glimmers)", fontsize=FONT_PT)
    ax_br.plot(t_min, _column(metrics, "breath_rate_per_min"), color="#8e44ad", lw=1.8, label="your breathing")
    ax_br.plot(t_min, pacer, color="#5dade2", lw=1.8, ls="--", label="pacer")
    ax_br.set_ylabel("breaths/min", fontsize=FONT_PT)
    ax_br.legend(loc="upper right", fontsize=FONT_PT - 2)
    if together:
        ax_sync = axes[3]
        ax_sync.plot(t_min, synchrony, color="#d35400", lw=1.8)
        ax_sync.set_ylim(0.0, 1.0)
        ax_sync.set_ylabel("synchrony", fontsize=FONT_PT)
        with_whom = other["person"] if other is not None else "a guest"
        ax_sync.set_title(f"heart-rate synchrony with {with_whom} (1: hearts move together)", fontsize=FONT_PT)
    axes[-1].set_xlabel("minutes", fontsize=FONT_PT)
    return fig


def weeks_png(store: Store, person: Person, around: datetime) -> bytes:
    """RMSSD and coherence per session over the weeks around `around`, and the latest assessment."""
    assert person.id is not None
    since = around - timedelta(weeks=WEEKS_AROUND)
    until = around + timedelta(weeks=WEEKS_AROUND)
    sessions = [s for s in store.sessions(person.id, since) if datetime.fromisoformat(s["started_at"]) <= until]
    assessments = store.assessments(person.id)
    fig = _figure(2 if assessments else 1)
    axes = fig.subplots(2 if assessments else 1, 1, squeeze=False)[:, 0]
    ax = axes[0]
    days = [datetime.fromisoformat(s["started_at"]) for s in sessions]
    rmssd = [np.nan if s["mean_rmssd_ms"] is None else s["mean_rmssd_ms"] for s in sessions]
    coherence = [np.nan if s["mean_coherence_ratio"] is None else s["mean_coherence_ratio"] for s in sessions]
    ax.plot(days, rmssd, "o-", color="#c0392b", label="RMSSD ms")
    ax2 = ax.twinx()
    ax2.plot(days, coherence, "s--", color="#27ae60", label="mean coherence")
    ax.set_ylabel("RMSSD ms", fontsize=FONT_PT, color="#c0392b")
    ax2.set_ylabel("coherence", fontsize=FONT_PT, color="#27ae60")
    ax.set_title(f"sessions {since:%d %b} - {until:%d %b}", fontsize=FONT_PT + 1)
    ax.set_xlim(since, until)
    from matplotlib.dates import DateFormatter

    ax.xaxis.set_major_formatter(DateFormatter("%d %b"))
    ax.tick_params(axis="x", labelrotation=30, labelsize=FONT_PT - 2)
    if assessments:
        latest = assessments[-1]
        steps = [s for s in latest["steps"] if s["hr_swing_bpm"] is not None]
        rates = [s["rate_per_min"] for s in steps]
        ax = axes[1]
        ax.plot(rates, [s["hr_swing_bpm"] for s in steps], "o-", color="#c0392b", label="HR swing bpm")
        ax3 = ax.twinx()
        ax3.plot(rates, [s["lf_power_bpm2"] for s in steps], "s--", color="#2c3e50", label="LF power")
        if latest["resonance_rate_per_min"] is not None:
            ax.axvline(latest["resonance_rate_per_min"], color="#f1c40f", lw=3, alpha=0.8)
        found = latest["resonance_rate_per_min"]
        ax.set_title(f"resonance assessment {latest['at'][:10]}: "
                     f"{'could not tell' if found is None else f'{found}/min'}", fontsize=FONT_PT)
        ax.set_xlabel("breaths/min", fontsize=FONT_PT)
        ax.set_ylabel("HR swing bpm", fontsize=FONT_PT, color="#c0392b")
        ax3.set_ylabel("LF power bpm²", fontsize=FONT_PT)
    return _png(fig)


def write_report(store: Store, person: Person, session_id: int | None, out: Path) -> Path:
    """Write the report to `out` (.png: the pictures stacked; .html: a page embedding them)."""
    suffix = out.suffix.lower()
    if suffix not in (".png", ".html", ".htm"):
        raise DataError(f"{out}: the report is a .png or an .html file")
    assert person.id is not None
    sessions = store.sessions(person.id)
    if session_id is not None:
        chosen = [s for s in sessions if s["id"] == session_id]
        if not chosen:
            raise DataError(f"{person.name} has no session {session_id}")
    else:
        chosen = sessions[-1:]
        if not chosen:
            raise DataError(f"{person.name} has no sessions yet")
    session = chosen[0]
    pictures = [session_png(store, session), weeks_png(store, person, datetime.fromisoformat(session["started_at"]))]
    if suffix == ".png":
        out.write_bytes(_stack(pictures))
    else:
        out.write_text(_page(person, session, pictures), encoding="utf-8")
    return out


def _stack(pictures: list[bytes]) -> bytes:
    """One PNG of the pictures one above the other."""
    from matplotlib.image import imread

    images = [imread(io.BytesIO(p), format="png") for p in pictures]
    width = max(i.shape[1] for i in images)
    padded = [np.pad(i, ((0, 0), (0, width - i.shape[1]), (0, 0)), constant_values=1.0) for i in images]
    fig = _figure(1)
    stacked = np.concatenate(padded, axis=0)
    fig.set_size_inches(stacked.shape[1] / DPI, stacked.shape[0] / DPI)
    fig.figimage(stacked, resize=False)
    return _png(fig)


def _page(person: Person, session: dict[str, Any], pictures: list[bytes]) -> str:
    title = html.escape(f"Glimmer: {person.name}, {session['started_at'][:16].replace('T', ' ')}")
    images = "\n".join(f'<img alt="" src="data:image/png;base64,{base64.b64encode(p).decode()}">' for p in pictures)
    rows = "".join(f"<tr><th>{html.escape(k.replace('_', ' '))}</th><td>{html.escape(str(session[k]))}</td></tr>"
                   for k in ("duration_s", "mean_hr_bpm", "mean_rmssd_ms", "mean_coherence_ratio",
                             "peak_coherence_ratio", "glimmers", "pacer_start_rate_per_min", "pacer_end_rate_per_min",
                             "mean_synchrony", "peak_synchrony") if k in session)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>body{{font-family:sans-serif;margin:0.5em;max-width:48em}}img{{width:100%;height:auto}}
th{{text-align:left;padding-right:1em}}</style></head>
<body><h1>{title}</h1><table>{rows}</table>
{images}
<p><small>Glimmer makes no medical claim.</small></p></body></html>
"""
