"""LED frames: the ring decoded from the SPI stream breathes with the pacer; caps, night, fades, sparkle."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from device.clock import SimClock
from drivers.led_ring import SpiLedRing
from patterns.breath import breath_level
from patterns.led import PILOT_LEVEL, breath_glow, led_frame, led_frames, pilot_frame, sparkle_levels
from patterns.state import Fade, PacerSnapshot, PatternState
from sim.spi_ring import SpiRingSink

N_LEDS = 16
FRAME_S = 0.02  # 50 frames/s
ON = Fade(0.0, 1.0, 1.0, 0.0)


def _state(**changes: object) -> PatternState:
    pacer = PacerSnapshot(t0_s=0.0, phase0_cycles=0.0, rate0_bpm=6.0, target_bpm=6.0)
    return dataclasses.replace(PatternState(pacer=pacer, fade=ON, coherence=1.0), **changes)  # type: ignore[arg-type]


def _run_ring(state: PatternState, duration_s: float, gamma: float = 2.2, limit: float = 1.0) -> SpiRingSink:
    """Render frames at 50/s through the real driver into the decoding sink, on the sim clock."""
    clock = SimClock()
    sink = SpiRingSink(clock, gamma=gamma, keep_frames=int(duration_s / FRAME_S) + 1)
    ring = SpiLedRing(sink, N_LEDS, gamma=gamma, brightness_limit=limit)
    for k in range(int(duration_s / FRAME_S)):
        clock.advance_to(k * FRAME_S)
        ring.show(led_frame(clock.now_s(), state, N_LEDS))
    return sink


def test_decoded_ring_brightness_follows_the_pacer_while_it_glides() -> None:
    gliding = PacerSnapshot(t0_s=0.0, phase0_cycles=0.0, rate0_bpm=12.0, target_bpm=6.0,
                            slope_bpm_per_s=2.0 / 60.0)
    state = _state(pacer=gliding)
    sink = _run_ring(state, duration_s=90.0)
    times_s, brightness = sink.brightness_series()
    lungs = breath_level(gliding.phase_cycles(times_s), gliding.shape)
    assert np.corrcoef(brightness, lungs)[0, 1] > 0.95
    assert brightness.max() > 3 * brightness.min()  # visibly breathing, not a flat glow


def test_lit_arc_spreads_round_the_ring_as_the_lungs_fill() -> None:
    lit = [np.count_nonzero(breath_glow(level, N_LEDS) > 0.05) for level in np.linspace(0, 1, 11)]
    assert np.all(np.diff(lit) >= 0) and lit[0] < N_LEDS / 2 and lit[-1] == N_LEDS
    full = breath_glow(1.0, N_LEDS)
    assert full == pytest.approx(np.ones(N_LEDS))


@pytest.mark.parametrize("cap", [1.0, 0.5, 0.2])
def test_brightness_cap_and_driver_limit_are_respected(cap: float) -> None:
    state = _state(brightness_cap=cap, coherence=10.0, glimmer=True)
    gamma, limit = 2.2, 0.6
    frames = np.array([led_frame(t, state, N_LEDS) for t in np.arange(0.0, 20.0, FRAME_S)])
    perceived_cap = cap ** (1 / 2.2)  # the cap is a fraction of light
    assert frames.max() <= perceived_cap + 1e-12
    assert frames.max() > 0.8 * perceived_cap  # the cap limits, it does not dim everything further
    sink = _run_ring(state, 20.0, gamma=gamma, limit=limit)
    drive_max = max(int(rgb.max()) for _, rgb in sink.frames)
    assert drive_max <= np.ceil(255 * limit * cap)  # dithering may round up by one step at most


def test_night_mode_is_warm_and_held_under_the_night_cap() -> None:
    day = _state(glimmer=True, coherence=10.0)
    night = _state(glimmer=True, coherence=10.0, night=True, brightness_cap=0.25)  # as the session sets it
    times_s = np.arange(0.0, 30.0, FRAME_S)
    night_frames = np.array([led_frame(t, night, N_LEDS) for t in times_s])
    day_frames = np.array([led_frame(t, day, N_LEDS) for t in times_s])
    assert np.all(night_frames[..., 2] == 0.0)
    assert night_frames.max() <= 0.25 ** (1 / 2.2) + 1e-12
    assert night_frames.max() < day_frames.max()
    decoded = _run_ring(night, 30.0)
    assert all(np.all(rgb[:, 2] == 0) for _, rgb in decoded.frames)


def test_fade_in_and_out_scale_the_whole_ring() -> None:
    fade_in = Fade(t0_s=2.0, from_level=0.0, to_level=1.0, duration_s=6.0)
    fading = _state(fade=fade_in)
    steady = _state()
    pilot = pilot_frame(fading, N_LEDS)
    for t in np.arange(0.0, 10.0, 0.37):
        expected = np.maximum(float(fade_in.level(t)) * led_frame(t, steady, N_LEDS), pilot)  # the pilot beneath
        assert led_frame(t, fading, N_LEDS) == pytest.approx(expected, abs=1e-12)
    assert np.array_equal(led_frame(1.0, fading, N_LEDS), pilot)  # faded to nothing: the pilot light
    fade_out = _state(fade=Fade(t0_s=5.0, from_level=1.0, to_level=0.0, duration_s=3.0))
    assert led_frame(4.0, fade_out, N_LEDS).max() > 0.0
    assert np.array_equal(led_frame(8.5, fade_out, N_LEDS), pilot)


@pytest.mark.parametrize("night", [False, True])
def test_faded_to_nothing_the_ring_shows_one_steady_dim_pilot_led(night: bool) -> None:
    state = _state(fade=Fade(0.0, 0.0, 0.0, 0.0), night=night)
    frames = led_frames(np.arange(0.0, 30.0, 0.02), state, N_LEDS)
    assert np.all(frames == frames[0])  # steady
    assert np.count_nonzero(frames[0].max(axis=1)) == 1 and frames[0, 0].max() == PILOT_LEVEL
    if night:
        assert frames[0, 0, 2] == 0.0  # no blue at night
    assert np.all(led_frame(3.0, dataclasses.replace(state, brightness_cap=0.0), N_LEDS) == 0.0)  # brightness 0: dark


def _mirror_asymmetry(frame: np.ndarray) -> float:
    """The breathing arc is symmetric about LED 0; only the sparkle breaks that symmetry."""
    mirrored = frame[(-np.arange(len(frame))) % len(frame)]
    return float(np.max(np.abs(frame - mirrored)))


def test_sparkle_only_when_glimmer_is_on() -> None:
    times_s = np.arange(0.0, 20.0, FRAME_S)
    calm = [_mirror_asymmetry(led_frame(t, _state(glimmer=False), N_LEDS)) for t in times_s]
    sparkling = [_mirror_asymmetry(led_frame(t, _state(glimmer=True), N_LEDS)) for t in times_s]
    assert max(calm) < 1e-12
    assert max(sparkling) > 0.1


def test_sparkle_is_deterministic_gentle_and_sparse() -> None:
    times_s = np.arange(0.0, 60.0, FRAME_S)
    twinkle = np.array([sparkle_levels(t, N_LEDS) for t in times_s])
    again = np.array([sparkle_levels(t, N_LEDS) for t in times_s])
    assert np.array_equal(twinkle, again)
    assert np.max(np.abs(np.diff(twinkle, axis=0))) < 0.05  # swells over ~a second, never pops
    share_lit = np.mean(twinkle > 0.5)
    assert 0.02 < share_lit < 0.25
    assert np.all(twinkle.max(axis=0) > 0.5), "every LED twinkles now and then"


def test_frame_shape_and_range() -> None:
    frame = led_frame(3.0, _state(glimmer=True), 24)
    assert frame.shape == (24, 3) and frame.min() >= 0.0 and frame.max() <= 1.0
    assert led_frame(3.0, _state(), 1).shape == (1, 3)
    with pytest.raises(ValueError):
        led_frame(3.0, _state(), 0)
