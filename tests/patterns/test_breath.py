"""Breath shapes: 4:6 timing, holds, smoothness, and no jumps while the pacer's rate glides."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from patterns.breath import Segment, breath_level, breath_segment, exhale_envelope, segment_bounds
from patterns.state import BreathShape, PacerSnapshot

DEFAULT = BreathShape()  # 4:6, no holds


def test_inhale_takes_forty_percent_of_a_4_to_6_breath() -> None:
    phase = np.linspace(0.0, 1.0, 10001, endpoint=False)
    level = breath_level(phase, DEFAULT)
    peak = phase[np.argmax(level)]
    assert peak == pytest.approx(0.4, abs=1e-3)
    rising, falling = level[phase <= 0.4], level[phase >= 0.4]
    assert np.all(np.diff(rising) >= 0) and np.all(np.diff(falling) <= 0)
    assert level[0] == pytest.approx(0.0) and level.max() == pytest.approx(1.0)
    seg, _ = breath_segment(phase, DEFAULT)
    assert np.mean(seg == Segment.INHALE) == pytest.approx(0.4, abs=1e-3)
    assert np.mean(seg == Segment.EXHALE) == pytest.approx(0.6, abs=1e-3)


def test_holds_keep_the_lungs_full_then_empty() -> None:
    shape = BreathShape(inhale=4, hold_in=2, exhale=6, hold_out=3)
    bounds = segment_bounds(shape)
    phase = np.linspace(0.0, 3.0, 30001)
    seg, progress = breath_segment(phase, shape)
    level = breath_level(phase, shape)
    assert np.all(level[seg == Segment.HOLD_IN] == pytest.approx(1.0))
    assert np.all(level[seg == Segment.HOLD_OUT] == pytest.approx(0.0))
    assert np.mean(seg == Segment.HOLD_IN) == pytest.approx(2 / 15, abs=1e-3)
    assert bounds[2] == pytest.approx(6 / 15)
    assert np.all((progress >= 0) & (progress <= 1))


def test_level_and_its_slope_are_continuous_over_whole_breaths() -> None:
    shape = BreathShape(inhale=4, hold_in=1, exhale=6, hold_out=1)
    step = 1e-5
    phase = np.arange(-1.0, 2.0, step)
    level = breath_level(phase, shape)
    slope = np.diff(level) / step
    # The steepest raised cosine here is the inhale: pi/2 per (4/12 of a cycle).
    steepest = np.pi / 2 / (4 / 12)
    assert np.max(np.abs(slope)) <= steepest * 1.001
    # A continuous slope: neighbouring slopes differ only by curvature x step, never by a corner.
    curvature = np.pi**2 / 2 / (4 / 12) ** 2
    assert np.max(np.abs(np.diff(slope))) <= curvature * step * 1.01


@settings(max_examples=60, deadline=None)
@given(
    parts=st.tuples(
        st.floats(0.5, 10), st.floats(0, 5), st.floats(0.5, 10), st.floats(0, 5)
    ),
    phase=st.floats(-100, 100),
)
def test_any_shape_stays_in_range_and_is_periodic(parts: tuple[float, ...], phase: float) -> None:
    shape = BreathShape(*parts)
    level = float(breath_level(phase, shape))
    assert 0.0 <= level <= 1.0
    assert float(breath_level(phase + 3.0, shape)) == pytest.approx(level, abs=1e-6)
    for boundary in segment_bounds(shape):  # continuous across every segment boundary
        below, above = breath_level([boundary - 1e-9, boundary + 1e-9], shape)
        assert above == pytest.approx(below, abs=1e-6)


def test_no_jump_when_the_session_rebases_the_pacer_mid_glide() -> None:
    dt_s = 0.02  # one LED frame at 50 frames/s
    gliding = PacerSnapshot(t0_s=0.0, phase0_cycles=0.0, rate0_bpm=12.0, target_bpm=6.0,
                            slope_bpm_per_s=1.0 / 60.0)
    rebase_s = 37.3
    faster = gliding.rebased(rebase_s, target_bpm=9.0, slope_bpm_per_s=2.0 / 60.0)
    t_s = np.arange(0.0, 120.0, dt_s)
    phase = np.where(t_s < rebase_s, gliding.phase_cycles(t_s), faster.phase_cycles(t_s))
    level = breath_level(phase, DEFAULT)
    rate_bpm = np.maximum(gliding.rate_bpm(t_s), faster.rate_bpm(t_s))
    # The level may change at most as fast as the steepest ease at the fastest rate in play.
    max_step = np.pi / 2 / 0.4 * (rate_bpm.max() / 60.0) * dt_s
    assert np.max(np.abs(np.diff(level))) <= max_step * 1.01
    assert np.all(np.diff(phase) > 0)
    at = np.searchsorted(t_s, rebase_s)
    assert abs(phase[at] - phase[at - 1]) < 12.0 / 60.0 * dt_s * 1.01


def test_exhale_envelope_is_silent_outside_the_out_breath_and_full_inside() -> None:
    phase = np.linspace(0.0, 2.0, 20001)
    seg, progress = breath_segment(phase, DEFAULT)
    env = exhale_envelope(phase, DEFAULT)
    assert np.all(env[seg != Segment.EXHALE] == 0.0)
    middle = (seg == Segment.EXHALE) & (progress > 0.2) & (progress < 0.65)
    assert np.all(env[middle] == pytest.approx(1.0))
    assert np.max(np.abs(np.diff(env))) < 0.01  # rises and falls gradually
    with pytest.raises(ValueError):
        exhale_envelope(phase, DEFAULT, attack_fraction=0.0)
