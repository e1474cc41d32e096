"""How close does the resonance assessment come to the simulated person's true resonance rate?
`python -m bench.bench_assess [--split report|tune] [--rates 5.5,6.0,6.5] [--seeds N] [--jobs J] [--sample-rate 100]`.

Runs the whole assessment (`sim.assess.simulate_assessment`: the daemon against the simulated person, the
shipped [assessment] plan, no sound) for N seeds at each true resonance rate, and prints per rate and
overall: how many answers lie within TOLERANCE_BPM of the truth, how many said "could not tell", and the
absolute error's min / median / max (breaths/min). Each seed is a different person (physiology, breathing,
compliance drawn from it; sim/person.py `PersonParams.from_seed`); only their resonance rate is set.

Seed split (don't tune to the data at hand): the `tune` seeds (100, 101, ...) are the ones any choice in
device/pacing/assessment.py may be made on; the `report` seeds (200, 201, ...) are for reporting only.
The pinned tests (tests/device/pacing/test_assessment.py) use seeds 1 to 5, in neither set.

Each run is deterministic for its seed, so one pass is the measurement; --jobs runs seeds side by side.
"""

from __future__ import annotations

import argparse
import statistics
from concurrent.futures import ProcessPoolExecutor

TOLERANCE_BPM = 0.25  # the accuracy: the true rate +/- 0.25 breaths/min
SPLIT_FIRST_SEED = {"tune": 100, "report": 200}


def assess_one(job: tuple[float, int, int | None]) -> tuple[float, int, float | None, float]:
    """(true rate, seed, found rate or None for could-not-tell, simulated seconds) of one assessment."""
    from device.config import load_config
    from sim.assess import simulate_assessment

    true_bpm, seed, sample_rate_hz = job
    overrides: dict[str, dict[str, object]] = {"sim": {"seed": seed, "resonance_rate_per_min": true_bpm}}
    if sample_rate_hz is not None:  # the read period follows it (device/config.py)
        overrides["sensor"] = {"sample_rate_hz": sample_rate_hz}
    config = load_config(overrides=overrides)
    found = simulate_assessment(config)
    rate = None if found.result is None else found.result.resonance_rate_per_min
    return true_bpm, seed, rate, found.simulated_s


def summary(label: str, rows: list[tuple[float, int, float | None, float]]) -> str:
    errors = [abs(found - true) for true, _, found, _ in rows if found is not None]
    hits = sum(e <= TOLERANCE_BPM + 1e-9 for e in errors)
    unsure = sum(found is None for _, _, found, _ in rows)
    spread = (f"|error| min {min(errors):.2f} median {statistics.median(errors):.2f} max {max(errors):.2f}"
              if errors else "no answers")
    return (f"{label:<12} within +/-{TOLERANCE_BPM} breaths/min: {hits}/{len(rows)}; could not tell: {unsure}; "
            f"{spread} breaths/min")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=sorted(SPLIT_FIRST_SEED), default="report")
    parser.add_argument("--rates", default="5.5,6.0,6.5", help="true resonance rates, breaths/min")
    parser.add_argument("--seeds", type=int, default=10, help="seeds per rate")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--sample-rate", type=int, default=None, choices=(25, 50, 100),
                        help="the sensor's samples/s (default: the shipped config's)")
    parser.add_argument("-v", "--verbose", action="store_true", help="one line per assessment")
    args = parser.parse_args()
    first = SPLIT_FIRST_SEED[args.split]
    rates = [float(r) for r in args.rates.split(",")]
    jobs = [(rate, seed, args.sample_rate) for rate in rates for seed in range(first, first + args.seeds)]
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        rows = list(pool.map(assess_one, jobs))
    if args.verbose:
        for true, seed, found, simulated_s in rows:
            shown = "could not tell" if found is None else f"{found:.2f} ({found - true:+.2f})"
            print(f"true {true:.2f} seed {seed}: {shown}, {simulated_s / 60:.1f} simulated min")
    print(f"resonance assessment, {args.split} seeds {first}..{first + args.seeds - 1}:")
    for rate in rates:
        print(summary(f"true {rate:.2f}", [r for r in rows if r[0] == rate]))
    print(summary("all", rows))


if __name__ == "__main__":
    main()
