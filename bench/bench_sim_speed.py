"""Does `glimmer sim --speed N` keep N x real time? `python -m bench.bench_sim_speed`.

Runs `glimmer sim --speed N --minutes M --json` (`--runs` times) and stamps each JSON line with the
real (monotonic) time it arrived. Simulated time t_s should equal N x the real time since the first
line, plus a constant: the figure is the spread of (t_s / N - real elapsed) over the run, in real
milliseconds (how far simulated time strays, whatever the run length), and the rate error over the
whole run. Prints min/median/max over the runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time


def one_run(speed: float, minutes: float, seed: int) -> tuple[float, float, float]:
    """(spread of the lag in real ms, rate error in %, real seconds) of one run."""
    cmd = [sys.executable, "-m", "device.cli", "sim", "--speed", str(speed), "--minutes", str(minutes),
           "--json", "--seed", str(seed), "--at", "12:00"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    stamps: list[tuple[float, float]] = []
    for line in proc.stdout:
        real_s = time.monotonic()
        obj = json.loads(line)
        if obj.get("kind") == "metrics":
            stamps.append((obj["t_s"], real_s))
    proc.wait()
    (t0, r0), (t1, r1) = stamps[0], stamps[-1]
    lags_ms = [((t - t0) / speed - (r - r0)) * 1000.0 for t, r in stamps]
    rate_error_pct = ((t1 - t0) / speed / (r1 - r0) - 1.0) * 100.0
    return max(lags_ms) - min(lags_ms), rate_error_pct, r1 - r0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speed", type=float, default=10.0)
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    results = [one_run(args.speed, args.minutes, seed=run + 1) for run in range(args.runs)]
    for name, values, unit in (("lag spread", [r[0] for r in results], "ms"),
                               ("rate error", [r[1] for r in results], "%"),
                               ("real time", [r[2] for r in results], "s")):
        print(f"speed {args.speed:g}, {args.minutes:g} simulated min: {name} min {min(values):.2f} "
              f"median {statistics.median(values):.2f} max {max(values):.2f} {unit} ({args.runs} runs)")


if __name__ == "__main__":
    main()
