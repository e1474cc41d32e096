"""The live terminal view of `glimmer sim`: the LED ring as coloured cells, and the readings.

The ring is drawn from the colours the simulator decoded from the SPI byte stream, so the view shows
what a real ring would show. Drawing uses ANSI 24-bit colour and redraws in place.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import TextIO

import numpy as np
from numpy.typing import NDArray

from device.app import GlimmerDevice
from patterns.breath import Segment, breath_segment

RING_ROWS = 9  # character rows the ring spans
RING_COLUMNS = 2 * (RING_ROWS - 1) + 1  # characters are about twice as tall as wide
_SEGMENT_WORDS = {Segment.INHALE: "breathe in", Segment.HOLD_IN: "hold", Segment.EXHALE: "breathe out",
                  Segment.HOLD_OUT: "rest"}


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


def display_rgb(rgb_u8: NDArray[np.uint8], gamma: float) -> NDArray[np.uint8]:
    """LED drive levels -> terminal colours: undo the gamma so a dim LED looks as dim as it would."""
    level = (np.asarray(rgb_u8, dtype=float)[:, :3] / 255.0) ** (1.0 / gamma)
    return np.clip(np.round(level * 255.0), 0, 255).astype(np.uint8)


def draw_ring(rgb_u8: NDArray[np.uint8], gamma: float) -> list[str]:
    """Text lines (with ANSI colour) of the ring."""
    cells = ring_cells(len(rgb_u8))
    grid = [[" "] * RING_COLUMNS for _ in range(RING_ROWS)]
    for (row, col), (r, g, b) in zip(cells, display_rgb(rgb_u8, gamma), strict=True):
        grid[row][col] = f"\x1b[38;2;{r};{g};{b}m●\x1b[0m"
    return ["".join(line) for line in grid]


def _fmt(value: float | None, spec: str, unit: str = "") -> str:
    return "--" if value is None else f"{value:{spec}}{unit}"


def status_lines(glimmer: GlimmerDevice, now_s: float) -> list[str]:
    """The readings beside the ring, in plain words."""
    m = glimmer.metrics
    status = glimmer.status()
    pattern = glimmer.session.pattern
    minutes, seconds = divmod(int(now_s), 60)
    lines = [
        f"Glimmer (simulated)   {minutes:02d}:{seconds:02d}",
        f"finger {'on ' if status.finger_on else 'off'}   sensor {status.sensor_status}   "
        f"signal {status.signal_quality:.2f}   session {status.session_state}",
        f"heart rate {_fmt(m.hr_bpm, '.1f', ' bpm')}   RMSSD {_fmt(m.rmssd_ms, '.0f', ' ms')}   "
        f"SDNN {_fmt(m.sdnn_ms, '.0f', ' ms')}",
        f"coherence {_fmt(m.coherence, '.2f')}   breathing {_fmt(m.breath_rate_bpm, '.1f', '/min')}   "
        f"HR swing {_fmt(m.hr_swing_bpm, '.1f', ' bpm')}",
    ]
    if status.session_state in ("pacing", "paused"):
        phase = float(pattern.pacer.phase_cycles(now_s))
        seg, _progress = breath_segment(phase, pattern.pacer.shape)
        bar_len = 20
        filled = round((phase % 1.0) * bar_len)
        rate_bpm = float(pattern.pacer.rate_bpm(now_s))
        lines.append(f"pacer {rate_bpm:.2f}/min toward {glimmer.session.target_rate_bpm:.1f}   "
                     f"[{'#' * filled}{'.' * (bar_len - filled)}] {_SEGMENT_WORDS[Segment(int(seg))]}"
                     f"{'   following' if status.following else ''}")
    else:
        lines.append("pacer --")
    assessment = glimmer.session.assessment
    if assessment is not None:
        done, total = assessment.progress
        rate = assessment.current_rate_bpm
        lines.append(f"resonance assessment: {done} of {total} steps done"
                     + (f", now {rate:.1f}/min" if rate is not None and status.session_state == "pacing" else ""))
    lines.append(f"sound -> {glimmer.audio.name}{'   night mode' if pattern.night else ''}")
    return lines


class TerminalView:
    """Redraws the ring and readings in place, at most every `period_s` of simulated time."""

    def __init__(self, stream: TextIO, glimmer: GlimmerDevice, ring: Callable[[], NDArray[np.uint8] | None],
                 period_s: float) -> None:
        self._stream = stream
        self._glimmer = glimmer
        self._ring = ring
        self._period_s = period_s
        self._next_s = 0.0
        self._started = False

    def on_frame(self, now_s: float) -> None:
        if now_s < self._next_s:
            return
        self._next_s = now_s + self._period_s
        rgb = self._ring()
        ring = draw_ring(rgb, self._glimmer.config.led.gamma) if rgb is not None else [" " * RING_COLUMNS] * RING_ROWS
        text = ["", *status_lines(self._glimmer, now_s)]  # readings start on the ring's second row
        out = [f"{left}   {right}\x1b[K" for left, right in itertools.zip_longest(ring, text, fillvalue="")]
        prefix = "\x1b[H\x1b[J" if not self._started else "\x1b[H"
        self._started = True
        self._stream.write(prefix + "\n".join(out) + "\n")
        self._stream.flush()
