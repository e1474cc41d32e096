"""The live terminal view of `glimmer sim`: the LED ring as coloured cells, and the readings.

The ring is drawn from the colours the simulator decoded from the SPI byte stream, averaged over the
last fraction of a second (the driver dithers dim levels in time, as the eye averages them), and
shown as an eye would see the LEDs: linear LED light encoded for the screen (sRGB), not the raw
gamma-corrected drive bytes, which look black on a dark terminal for most of a breath.

The view fits an 80-column terminal (`VIEW_COLUMNS`), hides the cursor while it draws and shows it
again on `close()` (called on every exit path), and redraws in place by moving up over its own lines,
so anything printed above it scrolls away normally. While it is open, log records are written through
the view (above it, then the view is redrawn), so `-v` never tears it. The view is drawn only on a
terminal; into a file or a pipe `PlainLinesPublisher` prints one plain table row per metrics period.
"""

from __future__ import annotations

import itertools
import logging
import math
import re
import threading
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any, Final, TextIO

import numpy as np
from numpy.typing import ArrayLike, NDArray

from device.app import GlimmerDevice
from patterns.breath import Segment, breath_segment
from patterns.palette import linear_to_srgb

VIEW_COLUMNS: Final = 80  # the narrowest terminal the view fits
RING_ROWS: Final = 9  # character rows the ring spans
RING_COLUMNS: Final = 2 * (RING_ROWS - 1) + 1  # characters are about twice as tall as wide
GUTTER: Final = "   "
TEXT_COLUMNS: Final = VIEW_COLUMNS - RING_COLUMNS - len(GUTTER)  # room for the readings
HIDE_CURSOR: Final = "\x1b[?25l"
SHOW_CURSOR: Final = "\x1b[?25h"
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_SEGMENT_WORDS = {Segment.INHALE: "breathe in", Segment.HOLD_IN: "hold", Segment.EXHALE: "breathe out",
                  Segment.HOLD_OUT: "rest"}


def visible_width(text: str) -> int:
    """Columns `text` takes on a terminal (ANSI escape sequences take none)."""
    return len(_ANSI.sub("", text))


def ring_cells(n_leds: int, rows: int = RING_ROWS) -> list[tuple[int, int]]:
    """(row, column) of each LED on a circle drawn with characters twice as tall as wide."""
    radius = (rows - 1) / 2
    cells = []
    for i in range(n_leds):
        angle = 2 * math.pi * i / n_leds - math.pi / 2  # LED 0 at the top, clockwise
        row = round(radius + radius * math.sin(angle))
        col = round(2 * radius + 2 * radius * math.cos(angle))
        cells.append((row, col))
    return cells


def display_rgb(drive: ArrayLike) -> NDArray[np.uint8]:
    """LED drive levels 0..255 (n, 3) -> screen colours as the eye sees the LEDs.

    Drive is proportional to emitted light (the ring's PWM), so drive/255 is linear light; the
    screen expects sRGB-encoded values, so a dim LED looks as dim on the screen as it would in the room.
    """
    linear = np.asarray(drive, dtype=float)[:, :3] / 255.0
    return np.clip(np.round(linear_to_srgb(linear) * 255.0), 0, 255).astype(np.uint8)


def draw_ring(drive: ArrayLike) -> list[str]:
    """Text lines (with ANSI colour) of the ring, from drive levels 0..255 (n, 3)."""
    colours = display_rgb(drive)
    cells = ring_cells(len(colours))
    grid = [[" "] * RING_COLUMNS for _ in range(RING_ROWS)]
    for (row, col), (r, g, b) in zip(cells, colours, strict=True):
        grid[row][col] = f"\x1b[38;2;{r};{g};{b}m●\x1b[0m"
    return ["".join(line) for line in grid]


def _fmt(value: float | None, digits: int, unit: str = "") -> str:
    return "--" if value is None else f"{value:.{digits}f}{unit}"


def _fit(text: str, width: int = TEXT_COLUMNS) -> str:
    """Cut `text` to `width` columns, keeping both ends (paths keep their file name)."""
    if len(text) <= width:
        return text
    keep = width - 1
    return text[: keep // 2] + "…" + text[len(text) - (keep - keep // 2):]


def status_lines(glimmer: GlimmerDevice, now_s: float) -> list[str]:
    """The readings beside the ring, in plain words; each fits `TEXT_COLUMNS`.

    Precision is one rule per unit: beats/min and breaths/min with one decimal, milliseconds whole,
    coherence ratio and signal quality with two. "finger on" is the sensor's own verdict (the light
    coming back), shown as soon as the sensor says so; the pulse follows once beats lock.
    """
    m = glimmer.metrics
    status = glimmer.status()
    pattern = glimmer.session.pattern
    reading = glimmer.reading
    minutes, seconds = divmod(int(now_s), 60)
    finger_dc = reading.finger_on_dc if reading is not None else None
    if finger_dc is None:
        finger = "finger on" if status.finger_on else "finger --"
    elif not finger_dc:
        finger = "finger off"
    elif status.finger_on:
        finger = f"finger on, pulse found {status.signal_quality:.2f}"
    else:
        finger = "finger on, finding the pulse"
    lines = [
        f"Glimmer (simulated)  {minutes:02d}:{seconds:02d}{'  night' if pattern.night else ''}",
        f"{finger}",
        f"sensor {status.sensor_status}   session {status.session_state}"
        f"{'   following' if status.following else ''}",
        f"heart {_fmt(m.hr_bpm, 1, ' beats/min')}   RMSSD {_fmt(m.rmssd_ms, 0, ' ms')}",
        f"coherence {_fmt(m.coherence, 2)}   breathing {_fmt(m.breath_rate_bpm, 1, '/min')}",
    ]
    lines.append(_pacer_line(glimmer, now_s, status.session_state))
    assessment = glimmer.session.assessment
    if assessment is not None:
        done, total = assessment.progress
        step_rate = assessment.current_rate_bpm
        now_text = f", now {step_rate:.1f}/min" if step_rate is not None and status.session_state == "pacing" else ""
        lines.append(f"resonance assessment: {done} of {total} steps done{now_text}")
    lines.append(f"sound -> {glimmer.audio.name}")
    return [_fit(line) for line in lines]


CHART_BLOCKS: Final = "▁▂▃▄▅▆▇█"  # eight levels, lowest to highest (a blank: no reading there)
CHART_MIN_RANGE_BPM: Final = 4.0  # a flatter chart is not stretched to fill the rows (noise would look like waves)
Tachogram = tuple[NDArray[np.float64], NDArray[np.float64]]  # (beat times s, intervals ms), as HrvTracker gives


def heart_rate_chart(tachograms: Sequence[Tachogram | None], now_s: float, width: int,
                     span_s: float) -> tuple[list[str], tuple[float, float] | None]:
    """Each person's heart rate over the last `span_s` seconds up to `now_s`, one row of block characters
    per person on one time axis (column i covers the same seconds in every row; the newest at the right)
    and one scale (beats/min, shared, so the rows compare). Heart rate is 60000 / interval (ms), linear
    between beats, at each column's middle; a blank where that person has no reading (HRV withheld, or
    before their first beat). Returns the rows (each `width` columns) and the (low, high) of the scale,
    None when nobody has a reading."""
    step_s = span_s / width
    grid_s = now_s - span_s + step_s * (np.arange(width) + 0.5)
    rows_bpm: list[NDArray[np.float64] | None] = []
    for tachogram in tachograms:
        if tachogram is None or len(tachogram[0]) < 2:
            rows_bpm.append(None)
            continue
        times, ibi_ms = tachogram
        hr = np.interp(grid_s, times, 60000.0 / ibi_ms)
        rows_bpm.append(np.where((grid_s >= times[0]) & (grid_s <= times[-1]), hr, np.nan))
    known = [r[np.isfinite(r)] for r in rows_bpm if r is not None]
    values = np.concatenate(known) if known else np.zeros(0)
    if len(values) == 0:
        return [" " * width for _ in tachograms], None
    lo, hi = float(values.min()), float(values.max())
    if hi - lo < CHART_MIN_RANGE_BPM:
        mid = (hi + lo) / 2.0
        lo, hi = mid - CHART_MIN_RANGE_BPM / 2.0, mid + CHART_MIN_RANGE_BPM / 2.0
    rows = []
    for hr_row in rows_bpm:
        if hr_row is None:
            rows.append(" " * width)
            continue
        level = np.clip(np.round((hr_row - lo) / (hi - lo) * (len(CHART_BLOCKS) - 1)), 0, len(CHART_BLOCKS) - 1)
        rows.append("".join(" " if not math.isfinite(v) else CHART_BLOCKS[int(v)] for v in level))
    return rows, (lo, hi)


CHART_SPAN_S: Final = 58.0  # the chart's seconds: one a column beside the row's label


def together_status_lines(glimmer: GlimmerDevice, now_s: float) -> list[str]:
    """The readings beside the ring in together mode: A (the active person, sensor A) and B (the partner,
    sensor B) each with their heart rate, RMSSD and coherence, their synchrony, the one pacer, and both
    heart rates charted on one time axis (`heart_rate_chart`). The partner's figures and the synchrony are
    the last metrics payload's (docs/metrics.md), so the view shows what is published."""
    status = glimmer.status()
    m = glimmer.metrics
    payload = glimmer.last_payload or {}
    partner = payload.get("partner") or {}
    minutes, seconds = divmod(int(now_s), 60)
    together = ", together" if payload.get("together") else ""
    b_finger = "on" if partner.get("finger_on") else "--" if not partner else "off"
    lines = [
        # At most 59 columns (TEXT_COLUMNS 60) in every state, so nothing is cut: "night" and "together" show
        f"Glimmer (simulated) {minutes:02d}:{seconds:02d}{' night' if glimmer.session.pattern.night else ''}"
        f"  session {status.session_state}{together}",
        f"finger A {'on' if status.finger_on else 'off'}, B {b_finger}   sensor A {status.sensor_status}, "
        f"B {partner.get('sensor_status', '--')}",
        f"A {_fmt(m.hr_bpm, 1, ' beats/min')}  RMSSD {_fmt(m.rmssd_ms, 0, ' ms')}  coherence {_fmt(m.coherence, 2)}"
        f"{'  following' if status.following else ''}",
        f"B {_fmt(partner.get('hr_bpm'), 1, ' beats/min')}  RMSSD {_fmt(partner.get('rmssd_ms'), 0, ' ms')}  "
        f"coherence {_fmt(partner.get('coherence_ratio'), 2)}{'  following' if partner.get('following') else ''}",
        f"synchrony {_fmt(payload.get('synchrony'), 2)}{_lag_words(payload.get('synchrony_lag_s'))}",
        _pacer_line(glimmer, now_s, status.session_state),
    ]
    channels = [glimmer.channel_a, glimmer.channel_b]
    tachograms = [c.hrv.tachogram(CHART_SPAN_S) if c is not None else None for c in channels]
    rows, scale = heart_rate_chart(tachograms, now_s, int(CHART_SPAN_S), CHART_SPAN_S)
    scale_text = "no heart rate yet" if scale is None else f"{scale[0]:.0f} to {scale[1]:.0f} beats/min"
    lines.append(f"heart rate, last {CHART_SPAN_S:.0f} s ({scale_text}):")
    lines.extend(f"{name} {row}" for name, row in zip("AB", rows, strict=True))
    lines.append(f"sound -> {glimmer.audio.name}")
    return [_fit(line) for line in lines]


def _lag_words(lag_s: float | None) -> str:
    if lag_s is None:
        return ""
    if abs(lag_s) < 0.05:
        return ", no lag"
    return f", {'A' if lag_s > 0 else 'B'}'s heart leads by {abs(lag_s):.1f} s"


def _pacer_line(glimmer: GlimmerDevice, now_s: float, session_state: str) -> str:
    pattern = glimmer.session.pattern
    if session_state not in ("pacing", "paused"):
        return "pacer --"
    phase = float(pattern.pacer.phase_cycles(now_s))
    seg, _progress = breath_segment(phase, pattern.pacer.shape)
    bar_len = 12
    filled = round((phase % 1.0) * bar_len)
    rate = float(pattern.pacer.rate_bpm(now_s))
    return (f"pacer {rate:.1f}/min -> {glimmer.session.target_rate_bpm:.1f}  "
            f"[{'#' * filled}{'.' * (bar_len - filled)}] {_SEGMENT_WORDS[Segment(int(seg))]}")


class TerminalView:
    """Redraws the ring and readings in place, at most every `period_s` of simulated time.

    `ring` returns the LED drive levels 0..255 (n, 3) to draw, or None before the first frame.
    Use as a context manager (or call `close()`): the cursor comes back and log handling is restored
    on every exit path.
    """

    def __init__(self, stream: TextIO, glimmer: GlimmerDevice, ring: Callable[[], ArrayLike | None],
                 period_s: float, capture_logs: bool = False) -> None:
        self._stream = stream
        self._glimmer = glimmer
        self._ring = ring
        self._period_s = period_s
        self._next_s = 0.0
        self._lines: list[str] = []  # what is on screen now
        self._drawn = 0  # how many lines the view takes on screen
        self._lock = threading.RLock()
        self._closed = False
        self._saved_handlers: list[logging.Handler] | None = None
        if capture_logs:
            self._capture_logs()

    # -- drawing ----------------------------------------------------------------------------------

    def on_frame(self, now_s: float) -> None:
        if now_s < self._next_s or self._closed:
            return
        self._next_s = now_s + self._period_s
        drive = self._ring()
        ring = draw_ring(drive) if drive is not None else [" " * RING_COLUMNS] * RING_ROWS
        readings = together_status_lines if self._glimmer.channel_b is not None else status_lines
        text = ["", *readings(self._glimmer, now_s)]  # readings start on the ring's second row
        lines = [f"{left}{GUTTER}{right}".rstrip() if right else left
                 for left, right in itertools.zip_longest(ring, text, fillvalue=" " * RING_COLUMNS)]
        with self._lock:
            self._lines = lines
            self._write(self._erase() + self._render())

    def _erase(self) -> str:
        """Move to the first line of the view and clear from there down."""
        if not self._drawn:
            return ""
        return f"\x1b[{self._drawn}F\x1b[J"

    def _render(self) -> str:
        prefix = HIDE_CURSOR if not self._drawn else ""
        self._drawn = len(self._lines)
        return prefix + "".join(f"{line}\x1b[K\n" for line in self._lines)

    def _write(self, text: str) -> None:
        self._stream.write(text)
        self._stream.flush()

    def print_above(self, text: str) -> None:
        """Print `text` (a log line) above the view, which is redrawn below it."""
        with self._lock:
            if self._closed or not self._drawn:
                self._write(text + "\n")
                return
            self._write(self._erase() + text + "\n" + self._render())

    # -- logs -------------------------------------------------------------------------------------

    def _capture_logs(self) -> None:
        root = logging.getLogger()
        self._saved_handlers = list(root.handlers)
        formatter = next((h.formatter for h in root.handlers if h.formatter is not None), None)
        handler = _ViewLogHandler(self)
        handler.setFormatter(formatter or logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root.handlers = [handler]

    # -- life cycle -------------------------------------------------------------------------------

    def close(self) -> None:
        """Show the cursor again and give logging back its handlers. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self._saved_handlers is not None:
                logging.getLogger().handlers = self._saved_handlers
            if self._drawn:
                self._write(SHOW_CURSOR)

    def __enter__(self) -> TerminalView:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


class _ViewLogHandler(logging.Handler):
    """Writes log records above the live view instead of through it."""

    def __init__(self, view: TerminalView) -> None:
        super().__init__()
        self._view = view

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._view.print_above(self.format(record))
        except Exception:  # logging must never raise into the caller
            self.handleError(record)


PLAIN_HEADER: Final = " time  session   finger  beats/min  RMSSD ms  coherence  breaths/min  pacer/min"


def plain_line(payload: dict[str, Any]) -> str:
    """One metrics payload as a plain table row under `PLAIN_HEADER` (fits 80 columns, no escape codes);
    `--` where a figure is not known."""
    minutes, seconds = divmod(int(payload["t_s"]), 60)
    finger = "on" if payload.get("finger_on") else "off"

    def cell(key: str, digits: int, width: int) -> str:
        value = payload.get(key)
        return f"{'--' if value is None else f'{value:.{digits}f}':>{width}}"

    return (f"{minutes:02d}:{seconds:02d}  {payload.get('session_state', '--')!s:<8}  {finger:<6}"
            f"{cell('hr_bpm', 1, 11)}{cell('rmssd_ms', 0, 10)}{cell('coherence_ratio', 2, 11)}"
            f"{cell('breath_rate_per_min', 1, 13)}{cell('pacer_rate_per_min', 1, 11)}")


TOGETHER_HEADER: Final = " time  session   on  A beats/min B beats/min A coherence B coherence synchrony"


def together_line(payload: dict[str, Any]) -> str:
    """One metrics payload of together mode as a plain row under `TOGETHER_HEADER`: both people's heart
    rates and coherence ratios (A: the active person, sensor A; B: the partner, sensor B) and their
    synchrony, one row per metrics period on one time axis (fits 80 columns; `--` where not known)."""
    minutes, seconds = divmod(int(payload["t_s"]), 60)
    partner = payload.get("partner") or {}
    fingers = ("A" if payload.get("finger_on") else "-") + ("B" if partner.get("finger_on") else "-")  # whose finger

    def cell(value: Any, digits: int, width: int) -> str:
        return f"{'--' if value is None else f'{value:.{digits}f}':>{width}}"

    return (f"{minutes:02d}:{seconds:02d}  {payload.get('session_state', '--')!s:<8}  {fingers:<2}"
            f"{cell(payload.get('hr_bpm'), 1, 13)}{cell(partner.get('hr_bpm'), 1, 12)}"
            f"{cell(payload.get('coherence_ratio'), 2, 12)}{cell(partner.get('coherence_ratio'), 2, 12)}"
            f"{cell(payload.get('synchrony'), 2, 10)}")


class PlainLinesPublisher:
    """`glimmer sim` into a file or a pipe: a header, then one plain row per metrics period (`together`:
    both people's rows, `TOGETHER_HEADER`).

    A reader closing the pipe (`| head`) stops the run quietly through `on_reader_gone`, as for --json.
    """

    def __init__(self, stream: TextIO, on_reader_gone: Callable[[], None] | None = None,
                 together: bool = False) -> None:
        self._stream = stream
        self._on_reader_gone = on_reader_gone
        self._header_done = False
        self._together = together
        self.reader_gone = False

    def metrics(self, payload: dict[str, Any]) -> None:
        if self.reader_gone:
            return
        text = (together_line(payload) if self._together else plain_line(payload)) + "\n"
        if not self._header_done:
            text = (TOGETHER_HEADER if self._together else PLAIN_HEADER) + "\n" + text
            self._header_done = True
        try:
            self._stream.write(text)
            self._stream.flush()
        except BrokenPipeError:
            self.reader_gone = True
            if self._on_reader_gone is not None:
                self._on_reader_gone()

    def session_closed(self, summary: dict[str, Any]) -> None:
        pass  # the run's summary follows at its end

    def close(self) -> None:
        pass
