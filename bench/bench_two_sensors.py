"""What a second sensor costs the device: `python -m bench.bench_two_sensors [--minutes 5] [--runs 3]`.

Each run is a fresh interpreter that builds the simulated device (silent, no MQTT) with one simulated
person on one virtual MAX30102, or (`--people 2`) two people on two virtual chips on two virtual I2C buses
(the "two_buses" layout; tests/device/together/two_people.py), runs `--minutes` on the fast clock (both
fingers on from the start: settling, then a together session) and prints the process CPU seconds for the
run (simulated people, virtual chips and ring decoding included: the device's own share is smaller), the
CPU time of the device's own loop tasks (sensor reads, session steps, publication: timed around each task
with thread CPU time, the simulator's on-frame hooks excluded) and the peak RSS. Figures: min / median /
max of `--runs` runs; the load average is printed with them (CPU time is inflated less than wall time by
a busy machine, but it is inflated).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def _one(people: int, minutes: float) -> dict[str, Any]:
    from device.config import load_config
    from device.loop import Task
    from tests.device.together.two_people import two_people

    config = load_config(overrides={"night": {"enabled": False}, "sim": {"seed": 3}})
    with tempfile.TemporaryDirectory() as tmp:
        if people == 2:
            device = two_people(Path(tmp), config).device
        else:
            from device.app import build_device
            from sim.world import build_sim_world

            device = build_device(config, build_sim_world(config, silent=True).hardware)
        own = {"s": 0.0}
        for task in device.tasks:
            if task.name in ("sensor", "session", "publish"):
                run = task.run

                def timed(now_s: float, run: Any = run) -> None:
                    t0 = time.thread_time()
                    run(now_s)
                    own["s"] += time.thread_time() - t0

                task.run = timed
        assert isinstance(device.tasks[0], Task)
        t0 = time.process_time()
        device.run(until_s=minutes * 60.0)
        cpu = time.process_time() - t0
        device.close()
    return {"process_cpu_s": cpu, "device_tasks_cpu_s": own["s"],
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--one", type=int, choices=(1, 2), help=argparse.SUPPRESS)  # a single run, in a child
    args = parser.parse_args()
    if args.one:
        print(json.dumps(_one(args.one, args.minutes)))
        return
    print(f"load average {os.getloadavg()[0]:.1f}; {args.minutes:g} simulated minutes per run, {args.runs} runs")
    for people in (1, 2):
        runs = []
        for _ in range(args.runs):
            done = subprocess.run([sys.executable, "-m", "bench.bench_two_sensors", "--one", str(people),
                                   "--minutes", str(args.minutes)], capture_output=True, text=True, check=True)
            runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
        for key in ("process_cpu_s", "device_tasks_cpu_s", "peak_rss_mb"):
            values = sorted(r[key] for r in runs)
            per_min = "" if key == "peak_rss_mb" else \
                f"  ({statistics.median(values) / args.minutes:.3f} s per simulated minute, median)"
            print(f"{people} sensor(s) {key:<20} {values[0]:8.2f} / {statistics.median(values):8.2f} / "
                  f"{values[-1]:8.2f}{per_min}")


if __name__ == "__main__":
    main()
