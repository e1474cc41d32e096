"""`glimmer sim --assess` without --json: the result, the truth and each step in words, in 80 columns."""

from __future__ import annotations

from device.pacing.assessment import AssessmentResult, StepFigures
from sim.assess import SimAssessment, format_assessment


def _steps() -> tuple[StepFigures, ...]:
    return (StepFigures(6.5, 1, True, 6.5, 6.5, 11.6, 13.5, -14.0),
            StepFigures(6.0, 1, False, None, None, None, None, None))


def test_the_text_says_the_answer_the_truth_and_every_step() -> None:
    found = SimAssessment(AssessmentResult(6.09, "the fit peaks at 6.09/min", _steps()), 6.2, 900.0)
    text = format_assessment(found)
    assert "resonance rate        6.09 breaths/min" in text
    assert "true (simulated)      6.20 breaths/min" in text
    assert "       6.5    1       yes           6.50          11.6           13.5        -14" in text
    assert "       6.0    1        no              -             -              -          -" in text
    assert all(len(line) <= 80 for line in text.splitlines())
    assert "None" not in text


def test_could_not_tell_and_did_not_finish_are_said_in_words() -> None:
    result = AssessmentResult(None, "fewer than 3 rates followed", _steps())
    unsure = format_assessment(SimAssessment(result, 5.5, 900.0))
    assert "could not tell" in unsure and "fewer than 3 rates followed" in unsure
    assert "did not finish" in format_assessment(SimAssessment(None, 5.5, 1500.0))
    assert SimAssessment(None, 5.5, 1500.0).as_dict()["true_resonance_rate_per_min"] == 5.5
