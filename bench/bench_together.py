"""Together mode's figures over many seed pairs: `python -m bench.bench_together [--pairs N] [--jobs J]`.

For seed pairs (1, 2), (3, 4), ... (2N - 1, 2N) (A's seed, the partner's: no person in two pairs; every
pair run, none left out) it runs sim/together.py's scenario (A breathes 12/min, resonance 5.5/min; B 15/min,
resonance 6.5/min; 10 minutes paced together) paced and unpaced (the light hidden from both), and prints
per pair each person's coherence ratio and the synchrony over the first and last 2 minutes of pacing, whether
issue 13's criteria hold, then min / median / max over the pairs and how many pairs pass. Each pair's figures
are the same on every run (the simulator is deterministic per seed); `glimmer sim --people 2 --seed S ...`
with the scenario's config prints the same `sim_summary` keys.

Criteria (issue 13): paced, each person's last-2-min coherence >= 3x their first 2, and synchrony over the
last 2 minutes >= 0.7 and >= 2x the first 2; unpaced, neither rises: each person's last-2-min coherence
< 2x their first 2 and the last-2-min synchrony < 2x the first 2 and < 0.7 (tests/test_together.py).
"""

from __future__ import annotations

import argparse
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from sim.together import run_together, scenario_config

FIGURES = ("A first", "A last", "B first", "B last", "sync first", "sync last")


def figures(summary: dict[str, Any]) -> tuple[float | None, ...]:
    """(A first, A last, B first, B last, synchrony first, synchrony last) of a sim_summary."""
    partner = summary["partner"]
    return (summary["coherence_ratio_first_2_min"], summary["coherence_ratio_last_2_min"],
            partner["coherence_ratio_first_2_min"], partner["coherence_ratio_last_2_min"],
            summary["synchrony_first_2_min"], summary["synchrony_last_2_min"])


def paced_passes(f: tuple[float | None, ...]) -> bool:
    a0, a1, b0, b1, s0, s1 = f
    if None in f:
        return False
    assert a0 is not None and a1 is not None and b0 is not None and b1 is not None and s0 is not None and s1 is not None
    return a1 >= 3 * a0 and b1 >= 3 * b0 and s1 >= 0.7 and s1 >= 2 * s0


def unpaced_passes(f: tuple[float | None, ...]) -> bool:
    a0, a1, b0, b1, s0, s1 = f
    if None in (a0, a1, b0, b1):
        return False
    assert a0 is not None and a1 is not None and b0 is not None and b1 is not None
    sync_flat = s0 is None or s1 is None or (s1 < 2 * s0 and s1 < 0.7)
    return a1 < 2 * a0 and b1 < 2 * b0 and sync_flat


def one(job: tuple[int, bool]) -> tuple[int, bool, tuple[float | None, ...], float]:
    seed, unpaced = job
    started = time.perf_counter()
    run = run_together(scenario_config(seed, unpaced))
    return seed, unpaced, figures(run.summary), time.perf_counter() - started


def _fmt(value: float | None) -> str:
    return "    --" if value is None else f"{value:6.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=10, help="seed pairs (1, 2) ... (2N - 1, 2N) (default 10)")
    parser.add_argument("--jobs", type=int, default=2, help="processes (default 2)")
    args = parser.parse_args()
    jobs = [(2 * i + 1, unpaced) for i in range(args.pairs) for unpaced in (False, True)]
    with ProcessPoolExecutor(args.jobs) as pool:
        results = list(pool.map(one, jobs))
    for unpaced in (False, True):
        rows = [r for r in results if r[1] is unpaced]
        check = unpaced_passes if unpaced else paced_passes
        print(f"\n{'unpaced (light hidden)' if unpaced else 'paced together'}: 10 min of pacing, first/last 2 min")
        print("seeds     " + "".join(f"{name:>11}" for name in FIGURES) + "   pass  seconds")
        for seed, _, f, seconds in rows:
            print(f"{seed:>3},{seed + 1:<3}   " + "".join(f"     {_fmt(v)}" for v in f)
                  + f"   {'yes' if check(f) else 'NO ':>4}  {seconds:6.1f}")
        for i, name in enumerate(FIGURES):
            values = [f[i] for _, _, f, _ in rows if f[i] is not None]
            if values:
                print(f"  {name:<11} min {min(values):.2f}  median {statistics.median(values):.2f}  "
                      f"max {max(values):.2f}  ({len(values)} pairs)")
        print(f"  {sum(check(f) for _, _, f, _ in rows)} of {len(rows)} pairs meet the criteria")


if __name__ == "__main__":
    main()
