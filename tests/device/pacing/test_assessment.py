"""The resonance assessment: per-step figures on generated beats, the fit on generated responses, and the
three pinned simulations (resonance 5.5 for seeds 1..5, 6.5, and a person who does not follow)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from device.config import load_config
from device.errors import InputError
from device.pacing.assessment import (
    AssessmentPlan,
    ResonanceAssessment,
    StepFigures,
    analyse_step,
    choose,
    fit_resonance,
)
from device.signal.pulse import Beat
from sim.assess import simulate_assessment


def paced_beats(rate_bpm: float, phase_deg: float, swing_bpm: float, breathing_bpm: float | None = None,
                span_s: float = 120.0, seed: int = 0) -> list[Beat]:
    """Beats of a heart whose rate swings at the breathing rate, `phase_deg` ahead of the breathing,
    and whose pulse shrinks as the lungs fill (RIAV). Known truth for analyse_step."""
    rng = np.random.default_rng(seed)
    f_hz = (breathing_bpm or rate_bpm) / 60.0
    t, beats = 0.0, []
    def hr_at(t_s: float) -> float:
        return 65.0 + swing_bpm / 2 * math.cos(2 * math.pi * f_hz * t_s + math.radians(phase_deg))

    while t < span_s:
        # An interval lasts as long as the rate at its middle says (as integral pulse frequency modulation).
        t += 60.0 / hr_at(t + 30.0 / hr_at(t)) + rng.normal(0, 0.004)
        lungs = 0.5 + 0.5 * math.cos(2 * math.pi * f_hz * t)
        beats.append(Beat(t_s=t, quality=1.0, amplitude=1.0 - 0.2 * lungs + rng.normal(0, 0.01)))
    return beats


@pytest.mark.parametrize("phase_deg", [-40.0, 0.0, 35.0])
def test_a_step_gives_the_phase_swing_and_breathing_it_was_made_with(phase_deg: float) -> None:
    fig = analyse_step(paced_beats(5.5, phase_deg, 12.0), 5.5, 20.0, 120.0)
    assert fig.followed
    assert fig.breath_rate_per_min == pytest.approx(5.5, abs=0.3)
    assert fig.phase_deg == pytest.approx(phase_deg, abs=8.0)
    assert fig.hr_amplitude_bpm == pytest.approx(6.0, rel=0.1)
    assert fig.hr_swing_bpm == pytest.approx(12.0, rel=0.15)
    assert fig.lf_power_bpm2 == pytest.approx(6.0**2 / 2, rel=0.2)  # a sinusoid's power: amplitude^2 / 2


@pytest.mark.parametrize("at_s", [35.0, 60.0, 95.0])
def test_a_burst_of_motion_beats_leaves_the_figures_as_they_were(at_s: float) -> None:
    """Motion: 4 s of false beats at twice the heart rate with pulses 3-8x too large, as the sensor gives."""
    clean = paced_beats(6.0, 20.0, 10.0, seed=3)
    burst = [Beat(t_s=at_s + 0.45 * k, quality=0.95, amplitude=float(3.0 + 5.0 * (k % 3) / 2)) for k in range(9)]
    beats = sorted([b for b in clean if not at_s - 0.5 <= b.t_s <= at_s + 4.5] + burst, key=lambda b: b.t_s)
    want = analyse_step(clean, 6.0, 20.0, 120.0)
    got = analyse_step(beats, 6.0, 20.0, 120.0)
    assert got.followed
    assert got.phase_deg == pytest.approx(want.phase_deg, abs=6.0)  # taken as heart rate: off by 23-58 deg
    # The true beats under the burst are lost and the gap (~7 s of a 10 s breath) is bridged by a line.
    assert got.hr_amplitude_bpm == pytest.approx(want.hr_amplitude_bpm, rel=0.15)
    assert got.breath_depth == pytest.approx(want.breath_depth, rel=0.1)


def test_the_first_step_is_judged_only_after_the_lead_in() -> None:
    plan = AssessmentPlan(rates_per_min=(6.0, 5.5, 5.0), step_s=60.0, settle_s=10.0, lead_in_s=45.0)
    run = ResonanceAssessment(plan)
    run.start(0.0, None)
    run.add_beats(paced_beats(6.0, 0.0, 10.0, span_s=200.0))
    run.update(60.0, None)
    assert run.steps == []  # a step's time has passed, but not the lead-in's and the step's
    run.update(105.0, None)
    assert [s.rate_per_min for s in run.steps] == [6.0] and run.steps[0].followed
    assert run.current_rate_bpm == 5.5
    with pytest.raises(InputError):
        AssessmentPlan(lead_in_s=-1.0)


def test_breathing_at_another_rate_is_not_following() -> None:
    fig = analyse_step(paced_beats(5.5, 0.0, 12.0, breathing_bpm=11.0), 5.5, 20.0, 120.0)
    assert not fig.followed
    assert fig.breath_rate_per_min == pytest.approx(11.0, abs=0.5)


def test_too_few_beats_give_no_figures() -> None:
    fig = analyse_step(paced_beats(5.5, 0.0, 12.0, span_s=15.0), 5.5, 0.0, 15.0)
    assert not fig.followed and fig.phase_deg is None


def resonator_steps(f0: float, q: float, rates: tuple[float, ...], offset_deg: float, noise: float,
                    rng: np.random.Generator) -> list[StepFigures]:
    """Step figures of a baroreflex resonator at f0 driven by breaths that deepen as they slow."""
    out = []
    for r in rates:
        h = 1.0 / (1.0 + 1j * q * (r / f0 - f0 / r))
        depth = (6.0 / r) ** 0.6
        z = 8.0 * depth * h * (1 + noise * rng.normal()) * np.exp(1j * math.radians(offset_deg + 4 * rng.normal()))
        out.append(StepFigures(r, 1, True, r, r, 2 * abs(z), abs(z) ** 2 / 2, math.degrees(float(np.angle(z))),
                               float(abs(z)), depth * (1 + noise * rng.normal())))
    return out


@pytest.mark.parametrize("f0", [4.8, 5.5, 6.0, 6.7])
@pytest.mark.parametrize("q", [1.5, 2.5])
def test_the_fit_finds_the_resonance_of_generated_responses(f0: float, q: float) -> None:
    rng = np.random.default_rng(int(f0 * 10 + q * 100))
    rates = (7.0, 6.5, 6.0, 5.5, 5.0, 4.5, 4.0)
    errors = []
    for _ in range(10):
        steps = resonator_steps(f0, q, rates, offset_deg=float(rng.uniform(-20, 20)), noise=0.03, rng=rng)
        r = np.array([s.rate_per_min for s in steps])
        found, _, _ = fit_resonance(r, np.array([s.hr_amplitude_bpm for s in steps]),
                                    np.array([s.breath_depth for s in steps]), np.array([s.phase_deg for s in steps]))
        errors.append(found - f0)
    assert np.median(np.abs(errors)) <= 0.15, errors


def test_fewer_than_three_followed_rates_is_could_not_tell() -> None:
    steps = resonator_steps(5.5, 2.0, (6.5, 6.0, 5.5, 5.0, 4.5), 0.0, 0.0, np.random.default_rng(0))
    steps = [s if i < 2 else StepFigures(s.rate_per_min, 2, False, 11.0, 11.0, None, None, None)
             for i, s in enumerate(steps)]
    rate, reason = choose(steps)
    assert rate is None and reason.startswith("could not tell")


def test_a_plan_out_of_range_is_refused() -> None:
    with pytest.raises(InputError):
        AssessmentPlan(rates_per_min=(6.0, 12.0, 5.0))
    with pytest.raises(InputError):
        AssessmentPlan(step_s=60.0, settle_s=40.0)


# -- the three pinned simulations (fast clock, no sound rendered) ---------------------------------------------


def assess(resonance_bpm: float, seed: int, compliance: float = 0.85) -> float | None:
    config = load_config(overrides={"sim": {"seed": seed, "resonance_rate_per_min": resonance_bpm,
                                            "compliance": compliance}})
    found = simulate_assessment(config)
    assert found.result is not None, "the assessment did not finish"
    return found.result.resonance_rate_per_min


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
@pytest.mark.long  # among the suite's longest: run first (tests/conftest.py)
def test_a_person_resonating_at_5_5_is_found_at_5_5(seed: int) -> None:
    found = assess(5.5, seed)
    assert found is not None and abs(found - 5.5) <= 0.25


@pytest.mark.long  # among the suite's longest: run first (tests/conftest.py)
def test_a_person_resonating_at_6_5_is_found_at_6_5() -> None:
    found = assess(6.5, 1)
    assert found is not None and abs(found - 6.5) <= 0.25


@pytest.mark.long  # among the suite's longest: run first (tests/conftest.py)
def test_a_person_who_does_not_follow_gets_could_not_tell() -> None:
    config = load_config(overrides={"sim": {"seed": 1, "resonance_rate_per_min": 5.5, "compliance": 0.0}})
    found = simulate_assessment(config)
    assert found.result is not None
    assert found.result.resonance_rate_per_min is None
    assert found.result.reason.startswith("could not tell")
    assert all(not s.followed for s in found.result.steps)
    assert len(found.result.steps) == 10  # every step was tried twice
