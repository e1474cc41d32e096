"""`glimmer sim --assess`: a resonance assessment of the simulated person.

The person's true resonance is `[sim] resonance_rate_per_min`; the device knows nothing of it and finds
it from the beats alone. No sound is rendered (the person follows the light), so an assessment of
about 12 simulated minutes costs seconds at full speed.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

from device.app import build_device
from device.config import Config
from device.home.household import Household
from device.pacing.assessment import STEP_HEADER, AssessmentPlan, AssessmentResult, step_row
from device.publish import Publisher
from sim.world import build_sim_world

log = logging.getLogger(__name__)

StopOnSignals = Callable[[Callable[[], None]], AbstractContextManager[None]]
MAX_EXTRA_S = 600.0  # give up this long after every planned step (with repeats) should have ended


@dataclass(frozen=True)
class SimAssessment:
    """The result and what the simulation knew: the person's true resonance rate."""

    result: AssessmentResult | None  # None: the session never finished the assessment
    true_resonance_rate_per_min: float
    simulated_s: float

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": "assessment", "true_resonance_rate_per_min": self.true_resonance_rate_per_min,
                               "simulated_s": round(self.simulated_s, 1)}
        if self.result is None:
            out.update({"resonance_rate_per_min": None, "reason": "the assessment did not finish", "steps": []})
        else:
            out.update(self.result.as_dict())
        return out


def simulate_assessment(config: Config, plan: AssessmentPlan | None = None, speed: float = math.inf,
                        publishers: list[Publisher] | None = None,
                        household: Household | None = None,
                        stop_on_signals: Callable[[Callable[[], None]], AbstractContextManager[None]] | None = None,
                        ) -> SimAssessment:
    """Run one assessment on the simulated person of `config` (seed, resonance, compliance); with a
    household, the result is stored for its active person. `stop_on_signals(stop)` (the CLI's) makes
    Ctrl-C and SIGTERM end the run cleanly: the assessment then did not finish."""
    if household is not None:
        config = household.config_for(household.active)
    world = build_sim_world(config, speed=speed, silent=True)
    glimmer = build_device(config, world.hardware, publishers or [])
    if household is not None:
        household.attach(glimmer, world.hardware.stamp_clock())
    assessment = glimmer.start_assessment(plan)
    p = assessment.plan
    # Every step might be repeated, plus an extension, plus settling before pacing starts.
    limit_s = (2 * len(p.rates_per_min) + 1) * p.step_s + MAX_EXTRA_S
    glimmer.on_session_tick.append(lambda _t: glimmer.stop() if assessment.done else None)
    try:
        with stop_on_signals(glimmer.stop) if stop_on_signals is not None else nullcontext():
            glimmer.run(until_s=limit_s)
    finally:
        glimmer.close()
    return SimAssessment(assessment.result, world.person.params.resonance_rate_per_min, world.clock.now_s())


def format_assessment(found: SimAssessment) -> str:
    """The result and each step's figures, in plain words."""
    lines = ["", "Resonance assessment (simulated person)"]
    result = found.result
    if result is None:
        lines.append("  the assessment did not finish")
        return "\n".join(lines)
    rate = result.resonance_rate_per_min
    answer = "could not tell" if rate is None else f"{rate:.2f} breaths/min"
    lines.append(f"  resonance rate        {answer}")
    lines.append(f"  why                   {result.reason}")
    lines.append(f"  true (simulated)      {found.true_resonance_rate_per_min:.2f} breaths/min")
    lines.append("")
    lines.append(STEP_HEADER)
    lines.extend(step_row(s.as_dict()) for s in result.steps)
    return "\n".join(lines)
