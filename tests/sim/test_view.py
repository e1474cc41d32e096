"""The live terminal view: the ring as an eye sees the decoded LEDs, readings in words, 80 columns,
the cursor back on every exit path, and log lines that never tear it."""

from __future__ import annotations

import io
import logging
import re
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from device.app import build_device
from device.config import load_config
from patterns.palette import linear_to_srgb
from sim.view import (
    HIDE_CURSOR,
    SHOW_CURSOR,
    VIEW_COLUMNS,
    TerminalView,
    display_rgb,
    draw_ring,
    ring_cells,
    visible_width,
)
from sim.world import build_sim_world

ANSI_CELL = re.compile(r"\x1b\[38;2;(\d+);(\d+);(\d+)m●")
NOON = datetime(2026, 6, 1, 12, 0)


def render_terminal(stream: str, rows: int = 60) -> list[str]:
    """A tiny terminal: applies newlines, cursor-previous-line (ESC[nF) and erase-below (ESC[J) to
    a screen of text, ignoring colours, so tests see what a person would see."""
    screen: list[str] = [""]
    row = 0
    for token in re.split(r"(\x1b\[[0-9;?]*[A-Za-z]|\n)", stream):
        if not token:
            continue
        if token == "\n":
            row += 1
            if row == len(screen):
                screen.append("")
        elif token.startswith("\x1b["):
            if token.endswith("F"):
                row = max(0, row - int(token[2:-1] or 1))
            elif token.endswith("J"):
                del screen[row + 1:]
                screen[row] = ""
        else:
            screen[row] = screen[row] + token
    return screen[-rows:]


def _sim(tmp_path: Path, wav: bool = False, **view_args: object) -> tuple[io.StringIO, TerminalView, object]:
    config = load_config()
    world = build_sim_world(config, wav_path=tmp_path / "s.wav" if wav else None, start_wall=NOON)
    glimmer = build_device(config, world.hardware)
    out = io.StringIO()
    view = TerminalView(out, glimmer, lambda: world.ring.mean_drive(0.2), period_s=1.0, **view_args)  # type: ignore[arg-type]
    world.hardware.on_frame.append(view.on_frame)
    return out, view, glimmer


def test_ring_cells_are_distinct_and_start_at_the_top() -> None:
    cells = ring_cells(16)
    assert len(set(cells)) == 16
    assert cells[0][0] == 0  # LED 0 on the top row
    assert min(c for _, c in cells) == 0


def test_drawn_colours_are_the_leds_light_encoded_for_the_screen() -> None:
    drive = np.array([[255, 0, 0], [0, 64, 0], [0, 0, 0]] + [[3, 3, 3]] * 9, dtype=float)
    drawn = [tuple(map(int, m)) for line in draw_ring(drive) for m in ANSI_CELL.findall(line)]
    assert len(drawn) == 12
    expected = np.round(linear_to_srgb(drive / 255.0) * 255).astype(int)
    assert set(drawn) == {tuple(c) for c in expected}
    assert display_rgb(np.array([[3.0, 0, 0]]))[0, 0] >= 25  # a dim LED is visible, not black


def test_the_view_shows_ring_and_readings_while_pacing_within_80_columns(tmp_path: Path) -> None:
    out, view, glimmer = _sim(tmp_path, wav=True)
    with view:
        glimmer.run(until_s=90.0)  # type: ignore[attr-defined]
        glimmer.close()  # type: ignore[attr-defined]
    text = out.getvalue()
    screen = render_terminal(text)
    view_lines = [line for line in screen if line.strip()]
    last = "\n".join(view_lines)
    assert text.count("\x1b[") > 80  # redrawn about once per simulated second
    assert sum(line.count("●") for line in screen) == 16  # one ring on screen, redrawn in place
    assert all(visible_width(line) <= VIEW_COLUMNS for line in text.split("\n"))
    assert re.search(r"heart \d+\.\d beats/min", last)
    assert "session pacing" in last
    assert "-> 6.0" in last
    assert "bpm" not in text  # beats/min and breaths/min each say what they count
    sound = next(line for line in view_lines if "sound -> " in line)
    assert sound.split("sound -> ")[1].startswith("wav:/") and sound.endswith("/s.wav")  # long paths keep their name


def test_the_cursor_is_hidden_while_drawing_and_shown_again_on_every_exit(tmp_path: Path) -> None:
    out, view, glimmer = _sim(tmp_path)
    with pytest.raises(RuntimeError), view:
        glimmer.run(until_s=3.0)  # type: ignore[attr-defined]
        raise RuntimeError("something failed mid-run")
    text = out.getvalue()
    assert text.index(HIDE_CURSOR) < text.rindex(SHOW_CURSOR)
    assert text.endswith(SHOW_CURSOR)
    view.close()  # twice is fine, and says nothing more
    assert out.getvalue() == text


def test_log_lines_go_above_the_view_and_never_tear_it(tmp_path: Path) -> None:
    root = logging.getLogger()
    before = list(root.handlers)
    out, view, glimmer = _sim(tmp_path, capture_logs=True)
    with view:
        glimmer.run(until_s=3.0)  # type: ignore[attr-defined]
        for k in range(5):
            logging.getLogger("glimmer.test").warning("log line %d", k)
            glimmer.run(until_s=3.0 + (k + 1) * 1.0)  # type: ignore[attr-defined]
    assert root.handlers == before  # logging given back
    screen = [line for line in render_terminal(out.getvalue()) if line.strip()]
    logs = [i for i, line in enumerate(screen) if "log line" in line]
    assert [screen[i].split("log line ")[1] for i in logs] == ["0", "1", "2", "3", "4"]
    ring_rows = [i for i, line in enumerate(screen) if "●" in line]
    assert max(logs) < min(ring_rows)  # every log line sits above the view
    assert sum(line.count("●") for line in screen) == 16  # one whole ring, not torn copies


def test_finger_on_shows_as_soon_as_the_sensor_sees_it(tmp_path: Path) -> None:
    out, view, glimmer = _sim(tmp_path)
    with view:
        glimmer.run(until_s=4.0)  # type: ignore[attr-defined]  # finger lands at 2 s
    screen = "\n".join(render_terminal(out.getvalue()))
    assert "finger on" in screen
    assert glimmer.status().finger_on is False  # type: ignore[attr-defined]  # the pulse is not locked yet
    assert "finding the pulse" in screen
