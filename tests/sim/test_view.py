"""The live terminal view draws the ring the SPI bytes describe, and the readings in words."""

from __future__ import annotations

import io
import re
from datetime import datetime
from pathlib import Path

import numpy as np

from device.app import build_device
from device.config import load_config
from sim.view import TerminalView, display_rgb, draw_ring, ring_cells
from sim.world import build_sim_world

ANSI_CELL = re.compile(r"\x1b\[38;2;(\d+);(\d+);(\d+)m●")


def test_ring_cells_are_distinct_and_start_at_the_top() -> None:
    cells = ring_cells(16)
    assert len(set(cells)) == 16
    assert cells[0][0] == 0  # LED 0 on the top row
    assert min(c for _, c in cells) == 0


def test_drawn_colours_are_the_decoded_leds_with_gamma_undone() -> None:
    rgb = np.array([[255, 0, 0], [0, 64, 0], [0, 0, 0]] + [[10, 10, 10]] * 9, dtype=np.uint8)
    drawn = [tuple(map(int, m)) for line in draw_ring(rgb, 2.2) for m in ANSI_CELL.findall(line)]
    assert len(drawn) == 12
    assert set(drawn) == {tuple(map(int, c)) for c in display_rgb(rgb, 2.2)}
    assert display_rgb(np.array([[64, 0, 0]], dtype=np.uint8), 2.2)[0, 0] > 64  # dim LEDs look brighter


def test_the_view_shows_ring_and_readings_while_pacing(tmp_path: Path) -> None:
    config = load_config()
    world = build_sim_world(config, wav_path=tmp_path / "s.wav", start_wall=datetime(2026, 6, 1, 12, 0))
    glimmer = build_device(config, world.hardware)
    out = io.StringIO()
    view = TerminalView(out, glimmer, world.ring.latest, period_s=1.0)
    world.hardware.on_frame.append(view.on_frame)
    glimmer.run(until_s=90.0)
    glimmer.close()
    screens = out.getvalue().split("\x1b[H")
    last = screens[-1]
    assert len(screens) >= 80  # about one redraw per simulated second
    assert len(ANSI_CELL.findall(last)) == config.led.count
    assert re.search(r"heart rate \d+\.\d bpm", last)
    assert "session pacing" in last
    assert f"toward {config.pacer.resonance_rate_bpm:.1f}" in last
    assert f"sound -> wav:{tmp_path / 's.wav'}" in last  # the WAV file the sound goes to is named
