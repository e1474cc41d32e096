"""Issue 13's acceptance: two people paced with one breath become coherent, and their hearts move together.

Person A breathes 12/min with a resonance at 5.5/min, the partner (B) 15/min with a resonance at 6.5/min,
each drawn from their own seed; both see the same ring, each follows the breath they see. Paced together for
10 minutes, each person's coherence ratio over the last 2 minutes is at least 3x their first 2, and their
synchrony over the last 2 minutes is at least 0.7 and at least twice the first 2. With the light hidden from
both (the unpaced control) neither rises. Figures from the metrics payloads, as `glimmer sim --json`'s
`sim_summary` gives them (sim/together.py).

One 10-minute run per seed pair and mode, shared by all its assertions: each test runs one pair and checks
every criterion on it, reporting every one that fails with its figures (a module-scoped fixture shared by
separate tests would be run again on each xdist worker that gets one of them, and `xdist_group` marks did not
keep them together here).

Seed pairs: the first three of bench/bench_together.py's (1, 2), (3, 4), (5, 6) (A's seed, B's), taken in
order, not chosen; unpaced the first two. The bench runs ten; the README reports how many pass.
"""

from __future__ import annotations

from typing import Any

import pytest

from sim.together import run_together, scenario_config

PACED_PAIRS = [1, 3, 5]  # A's seed; B's is the next
UNPACED_PAIRS = [1, 3]


def _compared(figures: dict[str, Any], name: str) -> tuple[float, float]:
    first, last = figures[f"{name}_first_2_min"], figures[f"{name}_last_2_min"]
    assert isinstance(first, float) and isinstance(last, float), (name, figures)
    return first, last


@pytest.mark.parametrize("seed", PACED_PAIRS, ids=[f"seeds{s},{s + 1}" for s in PACED_PAIRS])
@pytest.mark.long  # among the suite's longest: run first (tests/conftest.py)
def test_paced_together_each_becomes_coherent_and_their_hearts_synchronise(seed: int) -> None:
    run = run_together(scenario_config(seed))
    summary, partner = run.summary, run.summary["partner"]
    failed: list[str] = []
    for who, figures in (("A", summary), ("B", partner)):
        first, last = _compared(figures, "coherence_ratio")
        if not last >= 3.0 * first:
            failed.append(f"{who}'s coherence {first:.2f} -> {last:.2f}: not 3x")
    first, last = _compared(summary, "synchrony")
    if not (last >= 0.7 and last >= 2.0 * first):
        failed.append(f"synchrony {first:.2f} -> {last:.2f}: not >= 0.7 and 2x")
    # Both followed the one breath (the simulation's ground truth) to where the pacer led.
    pacer = [p["pacer_rate_per_min"] for p in run.payloads[-24:] if p["pacer_rate_per_min"] is not None]
    assert pacer, "pacing went on to the end"
    for who, rate in zip("AB", run.breath_rates_per_min, strict=True):
        if abs(rate - pacer[-1]) > 0.5:
            failed.append(f"{who} breathed {rate:.2f}/min, the pacer led at {pacer[-1]:.2f}")
    # The payloads carry both people's readings and their synchrony.
    last_payload = run.payloads[-1]
    if not (last_payload["together"] is True and last_payload["partner"]["hr_bpm"] is not None
            and last_payload["partner"]["coherence_ratio"] is not None and last_payload["synchrony"] is not None):
        failed.append(f"the last payload lacks a reading: {last_payload}")
    assert not failed, failed


@pytest.mark.parametrize("seed", UNPACED_PAIRS, ids=[f"seeds{s},{s + 1}" for s in UNPACED_PAIRS])
@pytest.mark.long  # among the suite's longest: run first (tests/conftest.py)
def test_unpaced_neither_coherence_nor_synchrony_rises(seed: int) -> None:
    run = run_together(scenario_config(seed, unpaced=True))
    summary, partner = run.summary, run.summary["partner"]
    assert summary["unpaced"] is True
    failed: list[str] = []
    for who, figures in (("A", summary), ("B", partner)):
        first, last = _compared(figures, "coherence_ratio")
        if not last < 2.0 * first:
            failed.append(f"{who}'s coherence rose {first:.2f} -> {last:.2f} with no light")
    first, last = _compared(summary, "synchrony")
    if not (last < 2.0 * first and last < 0.7):
        failed.append(f"synchrony rose {first:.2f} -> {last:.2f} with no light")
    # The device paced, but the light was hidden: each breathed at their own rate.
    for who, own, rate in zip("AB", (12.0, 15.0), run.breath_rates_per_min, strict=True):
        if abs(rate - own) > 1.5:
            failed.append(f"{who} breathed {rate:.2f}/min, not their own {own:.0f}")
    assert not failed, failed
