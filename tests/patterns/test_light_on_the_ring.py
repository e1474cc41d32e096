"""What a person sees, checked on the ring decoded from the SPI pulses: a visible, calm light in every
state of a session by day and at night; dim levels that follow the intended level smoothly; and a
sparkle that leaves the brightness carrying the breathing cue as it was."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest

from device.clock import SimClock
from device.config import load_config
from device.pacing.session import Phase, Session
from device.signal.hrv import HrvMetrics
from drivers.led_ring import SpiLedRing
from patterns.led import led_frame
from patterns.state import Fade, PacerSnapshot, PatternState
from sim.spi_ring import SpiRingSink

N_LEDS = 16
FPS = 50
FRAME_S = 1.0 / FPS


def _held(sink: SpiRingSink, times: Any) -> list[np.ndarray]:
    """What the ring shows at each of `times`: the last frame written at or before it (a WS2812 holds
    its frame; the driver does not write a frame the ring already shows)."""
    written_t = np.array([t for t, _ in sink.frames])
    index = np.searchsorted(written_t, np.asarray(times, dtype=float), side="right") - 1
    assert index.min() >= 0, "a time before the first frame"
    return [sink.frames[i][1] for i in index]


def _metrics(coherence: float | None = 1.0) -> HrvMetrics:
    return HrvMetrics(t_s=0.0, hr_bpm=65.0, rmssd_ms=40.0, sdnn_ms=50.0, ln_rmssd=3.7, pnn50_pct=20.0,
                      breath_rate_bpm=6.0, hr_swing_bpm=8.0, coherence=coherence, n_beats=100, artifact_pct=0.0)


GLIMMER = "glimmer"  # pacing with the sparkle on, told apart from plain pacing


def _session_on_the_ring(night: bool) -> tuple[list[tuple[str, float]], SpiRingSink]:
    """A whole session (idle, settling, pacing, glimmer, finger lifted: paused, closing, idle again)
    with the shipped config, ticked once a second, its frames rendered at 50/s through the real
    driver (shipped gamma and brightness limit) into the decoding sink. Coherence is 4 (above the
    glimmer ratio) from the start, so the sparkle comes 30 s into pacing. Returns the state at each
    frame ("glimmer" while pacing sparkles), and the sink."""
    config = load_config()
    session = Session(config)
    session.set_night(night)
    clock = SimClock()
    sink = SpiRingSink(clock, keep_frames=10**6)
    ring = SpiLedRing(sink, N_LEDS, gamma=config.led.gamma, brightness_limit=config.led.max_brightness)
    script = [(10, False), (130, True), (85, False)]  # (seconds, finger on)
    states: list[tuple[str, float]] = []
    t_s = 0.0
    for seconds, finger in script:
        for _ in range(seconds):
            t_s += 1.0
            session.tick(t_s, finger, 0.9, _metrics(coherence=4.0))
            label = GLIMMER if session.pattern.glimmer and session.phase is Phase.PACING else session.phase.value
            for k in range(FPS):
                now = t_s + k * FRAME_S
                clock.advance_to(now)
                ring.show(led_frame(now, session.pattern, N_LEDS))
                states.append((label, now))
    return states, sink


@pytest.mark.parametrize("night", [False, True])
def test_every_state_shows_a_visible_calm_light_by_day_and_at_night(night: bool) -> None:
    """Idle (before and after the session), settling, pacing, glimmer, paused and closing: every half
    second the mean of the brightest LED is at least one drive step; the settling glow and the idle
    pilot light are steady, the breath's edges move no faster than the breath."""
    labels, sink = _session_on_the_ring(night)
    states = np.array([p for p, _ in labels])
    times = np.array([t for _, t in labels])
    held = _held(sink, times)
    drive = np.array([rgb.max(axis=1) for rgb in held], dtype=float)  # (frames, LEDs) brightest channel
    if night:
        assert max(int(rgb[:, 2].max()) for rgb in held) == 0  # no blue at night, in any state
    for state in (Phase.IDLE.value, Phase.SETTLING.value, Phase.PACING.value, GLIMMER, Phase.PAUSED.value,
                  Phase.CLOSING.value):
        idx = np.flatnonzero(states == state)
        assert idx.size, f"the script never reached {state}"
        # Past the 6 s fade into the state (closing and idle: the fade is the state's beginning).
        settled = idx if state in (Phase.CLOSING.value, Phase.IDLE.value) else idx[times[idx] >= times[idx[0]] + 7.0]
        window = 25  # half a second
        for start in range(0, settled.size - window + 1, window):
            chunk = drive[settled[start:start + window]]
            assert chunk.mean(axis=0).max() >= 1.0, f"{state} is dark at {times[settled[start]]:.1f} s"
        lit = drive[settled] > 0
        flips = np.count_nonzero(np.diff(lit.astype(int), axis=0), axis=0)  # per LED: dark <-> lit changes
        minutes = settled.size * FRAME_S / 60.0
        if state == Phase.SETTLING.value:
            assert flips.max() == 0, "the settling glow is steady"
        elif state != Phase.IDLE.value:  # the arc's edges move with the breath (6/min, 10/min at first)
            assert flips.max() <= 2 * 12 * minutes + 2
    # Idle: the pilot light, before the session and once it is over: LED 0 alone, one step, unchanging.
    for idle in (drive[states == Phase.IDLE.value][:FPS], drive[-5 * FPS:]):
        assert np.all(idle == idle[0])
        assert idle[0, 0] == 1.0 and np.all(idle[0, 1:] == 0.0)
    assert states[-1] == Phase.IDLE.value


def _intended_drive(frames: np.ndarray, gamma: float, limit: float) -> np.ndarray:
    """What the ring should emit, computed here independently of the driver: 255 x limit x level^gamma,
    with any lit LED's brightest channel lifted to one step."""
    drive = 255.0 * limit * np.clip(frames, 0, 1) ** gamma
    peak = drive.max(axis=-1, keepdims=True)
    lift = np.where((peak > 0) & (peak < 1.0), 1.0 / np.where(peak > 0, peak, 1), 1.0)
    return drive * lift


def _moving_mean(x: np.ndarray, n: int) -> np.ndarray:
    kernel = np.ones(n) / n
    return np.apply_along_axis(lambda c: np.convolve(c, kernel, mode="valid"), 0, x)


def test_dim_levels_follow_the_intended_level_smoothly_at_the_lowest_night_setting() -> None:
    """Night cap 0.1 on a 0.3 brightness limit: the breath lives in the bottom few drive steps. The
    mean over 0.3 s of the decoded ring follows the intended (fractional) level within a fifth of a
    step, where rounding each frame would be off by up to half a step, in stairs."""
    gamma, limit = 2.2, 0.3
    pacer = PacerSnapshot(t0_s=0.0, phase0_cycles=0.0, rate0_bpm=6.0, target_bpm=6.0)
    state = PatternState(pacer=pacer, fade=Fade(0.0, 1.0, 1.0, 0.0), coherence=0.5, night=True, brightness_cap=0.1)
    clock = SimClock()
    sink = SpiRingSink(clock, keep_frames=10**5)
    ring = SpiLedRing(sink, N_LEDS, gamma=gamma, brightness_limit=limit)
    times = np.arange(0.0, 20.0, FRAME_S)  # two breaths
    frames = []
    for t in times:
        clock.advance_to(t)
        frame = led_frame(t, state, N_LEDS)
        frames.append(frame)
        ring.show(frame)
    intended = _intended_drive(np.array(frames), gamma, limit)[..., 0]  # red carries the night light
    decoded = np.array([rgb[:, 0] for rgb in _held(sink, times)], dtype=float)
    assert intended.max() < 6.0  # the whole breath spans a few steps
    n = int(0.3 / FRAME_S)
    error = np.abs(_moving_mean(decoded, n) - _moving_mean(intended, n))
    rounded_error = np.abs(_moving_mean(np.round(intended), n) - _moving_mean(intended, n))
    assert error.max() <= 0.2
    assert rounded_error.max() > 0.3  # what plain rounding would show: stairs
    # The eye's mean over the ring rises through many levels across an in-breath, not a handful of stairs.
    ring_mean = _moving_mean(decoded.sum(axis=1), n)
    assert len(np.unique(np.round(ring_mean, 2))) > 5 * (intended.sum(axis=1).max() - intended.sum(axis=1).min())


def _ring_luminance(sink: SpiRingSink, times: np.ndarray) -> np.ndarray:
    return np.array([sink.brightness(rgb, perceived=False) for rgb in _held(sink, times)])


@pytest.mark.parametrize(("night", "cap"), [(False, 1.0), (True, 0.25)])
def test_the_sparkle_leaves_the_brightness_of_the_breathing_cue_as_it_was(night: bool, cap: float) -> None:
    """Glimmer on and off, same breath: the ring's luminance (decoded, averaged over 0.5 s as an eye
    would) differs by at most 2 % of the breath's swing, at the dim end too; the colour does change."""
    pacer = PacerSnapshot(t0_s=0.0, phase0_cycles=0.0, rate0_bpm=6.0, target_bpm=6.0)
    base = PatternState(pacer=pacer, fade=Fade(0.0, 1.0, 1.0, 0.0), coherence=4.0, night=night,
                        brightness_cap=cap)
    config = load_config()
    series: dict[bool, Any] = {}
    for glimmer in (False, True):
        clock = SimClock()
        sink = SpiRingSink(clock, keep_frames=10**5)
        ring = SpiLedRing(sink, N_LEDS, gamma=config.led.gamma, brightness_limit=config.led.max_brightness)
        state = dataclasses.replace(base, glimmer=glimmer)
        times = np.arange(0.0, 30.0, FRAME_S)
        for t in times:
            clock.advance_to(t)
            ring.show(led_frame(t, state, N_LEDS))
        series[glimmer] = (_ring_luminance(sink, times), np.array(_held(sink, times)))
    n = int(0.5 / FRAME_S)
    calm, sparkling = (_moving_mean(series[g][0], n) for g in (False, True))
    swing = calm.max() - calm.min()
    assert np.max(np.abs(sparkling - calm)) <= 0.02 * swing
    dim_end = calm < calm.min() + 0.2 * swing
    assert np.max(np.abs(sparkling - calm)[dim_end]) <= 0.02 * swing
    assert np.any(series[True][1] != series[False][1])  # the sparkle is there, in colour
