"""Together mode's claim, run in the simulator: two people paced with one breath become coherent and in sync.

Issue 13's scenario: person A breathes 12/min on their own with a resonance at 5.5/min, the partner (B)
breathes 15/min with a resonance at 6.5/min; each is otherwise drawn from their own seed (heart, noise,
compliance within the config's pin, reaction lag). Both rest a fingertip on their own sensor, see the same
ring, and are paced together for 10 minutes from the moment pacing starts. The figures are the
`sim_summary`'s (sim/summary.py), computed from the metrics payloads as `glimmer sim --json` prints them:
each person's mean coherence ratio over the first and the last 2 minutes of pacing, and their heart-rate
synchrony over the same windows. The unpaced control is the same run with the light hidden from both
(`sim.unpaced`). Deterministic for a seed pair; tests/test_together.py pins it, bench/bench_together.py
prints it over many seed pairs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from device.app import build_device
from device.config import Config, load_config
from device.publish import RecordingPublisher
from sim.summary import TogetherSeeds, sim_summary
from sim.world import build_sim_world, partner_seed

PACED_S: Final = 600.0  # the session paced together, from the first payload that says so
START_LIMIT_S: Final = 240.0  # pacing together must have started by then (it does at about 50 s)
NOON: Final = datetime(2026, 6, 1, 12, 0)  # a daytime start: night mode does not dim the ring
SCENARIO: Final[dict[str, float]] = {
    "natural_breath_rate_per_min": 12.0, "resonance_rate_per_min": 5.5,
    "partner_natural_breath_rate_per_min": 15.0, "partner_resonance_rate_per_min": 6.5,
}


def scenario_config(seed: int, unpaced: bool = False, base: Config | None = None) -> Config:
    """The issue's two people (`SCENARIO`) with A drawn from `seed` and B from seed + 1, on `base` (default:
    the shipped config). `unpaced`: the light is hidden from both."""
    config = base if base is not None else load_config()
    return config.replace("sim", seed=seed, people=2, partner_seed=-1, unpaced=unpaced, **SCENARIO)


@dataclass(frozen=True)
class TogetherRun:
    """One run: the metrics payloads kept, the closing `sim_summary`, when pacing together started (s),
    and the true breathing rates (breaths/min, ground truth) of A and B over the last 2 minutes."""

    payloads: list[dict[str, Any]]
    summary: dict[str, Any]
    paced_from_s: float
    breath_rates_per_min: tuple[float, float]


def run_together(config: Config, paced_s: float = PACED_S) -> TogetherRun:
    """Run `config` (two people) on the fast clock until pacing has gone on together for `paced_s`.

    Raises RuntimeError when no together pacing has started by START_LIMIT_S (the device never saw both
    fingers settle), so a failure says where it failed."""
    world = build_sim_world(config, start_wall=NOON)
    if world.partner is None:
        raise ValueError("run_together needs two simulated people (sim.people = 2)")
    recorder = RecordingPublisher()
    glimmer = build_device(config, world.hardware, [recorder])
    try:
        start_s: float | None = None
        while start_s is None and world.clock.now_s() < START_LIMIT_S:
            glimmer.run(until_s=world.clock.now_s() + config.metrics.period_s)
            start_s = next((p["t_s"] for p in recorder.kept_payloads()
                            if p.get("session_state") == "pacing" and p.get("together")), None)
        if start_s is None:
            states = sorted({str(p.get("session_state")) for p in recorder.kept_payloads()})
            raise RuntimeError(f"no together pacing by {START_LIMIT_S:.0f} s (session states seen: {states})")
        glimmer.run(until_s=start_s + paced_s)
    finally:
        glimmer.close()
    end_s = world.clock.now_s()
    payloads = [p for p in recorder.kept_payloads() if p["t_s"] >= start_s]
    summary = sim_summary(payloads, config.sim.seed, end_s,
                          together=TogetherSeeds(config.sim.seed, partner_seed(config.sim)),
                          unpaced=config.sim.unpaced)
    rates = tuple(float(person.breath_rate_bpm_at(end_s - 60.0, window_s=120.0)) for person in world.people)
    return TogetherRun(payloads, summary, start_s, (rates[0], rates[1]))
