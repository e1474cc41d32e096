"""What the rate benchmarks share (bench_rate_guards, bench_narrow_wave, bench_dicrotic): comma-separated
number lists on the command line, and the per-family table of how often a heart rate was given, right
(within 5 beats/min), halved or doubled."""

from __future__ import annotations

import argparse

HEADER = f"{'family':>9} {'bpm':>4} {'records':>7} {'given':>5} {'within 5':>8} {'halved':>6} {'doubled':>7}"


def numbers(text: str) -> list[float]:
    """An argparse type: "25,50,100" -> [25.0, 50.0, 100.0]; ArgumentTypeError on anything else."""
    try:
        return [float(v) for v in text.split(",")]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"a comma-separated list of numbers: {exc}") from exc


def is_doubled(est_bpm: float | None, true_bpm: float) -> bool:
    """The rate given is about twice the truth (1.8-2.2x)."""
    return est_bpm is not None and abs(est_bpm / true_bpm - 2.0) <= 0.2


class RateTable:
    """Rows keyed (family, true beats/min): records, given a rate, within 5 bpm, halved, doubled."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, int], list[int]] = {}

    def add(self, family: str, bpm: int, est_bpm: float | None, true_bpm: float) -> None:
        row = self.rows.setdefault((family, bpm), [0, 0, 0, 0, 0])
        row[0] += 1
        if est_bpm is None:
            return
        row[1] += 1
        row[2] += abs(est_bpm - true_bpm) <= 5.0
        row[3] += abs(est_bpm / true_bpm - 0.5) <= 0.05
        row[4] += is_doubled(est_bpm, true_bpm)

    def print(self) -> None:
        """The rows, then one total per family."""
        print(HEADER)
        totals: dict[str, list[int]] = {}
        for (family, bpm), row in self.rows.items():
            print(f"{family:>9} {bpm:>4} {row[0]:>7} {row[1]:>5} {row[2]:>8} {row[3]:>6} {row[4]:>7}")
            total = totals.setdefault(family, [0, 0, 0, 0, 0])
            for i, v in enumerate(row):
                total[i] += v
        for family, row in totals.items():
            print(f"{family:>9}  all {row[0]:>7} {row[1]:>5} {row[2]:>8} {row[3]:>6} {row[4]:>7}")
