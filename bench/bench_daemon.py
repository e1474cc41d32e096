"""The daemon's resource budget: `python -m bench.bench_daemon`.

Each run is a fresh process (bench/daemon_probe.py, which says exactly how each figure is taken):
the daemon against the simulator, fast-forwarded to the state measured, then `--seconds` at real time.

- device CPU: % of one core the daemon's own work takes at real time; the simulator's calls (virtual
  I2C chip, SPI decoding, the simulated person, the WAV writer) are timed with thread CPU time and
  taken out of the process's CPU time;
- process CPU: the whole process's share, simulator included;
- peak RSS: of the process running the daemon with a thin simulator (`--world lean`: virtual chip fed a
  pulse train, SPI decoder, WAV sink), the daemon's own (plus a few MB); and of the process with the whole
  simulated person (neither imports scipy);
- start to first read: process start to the first sensor read returned, the simulator's import and
  build taken out;
- fast clock: wall and CPU seconds of `glimmer sim --speed max --minutes 10 --json` (a subprocess).

Idle = no finger on the sensor; session = a simulated person pacing (30 s into the pacer). Every
figure is min / median / max of `--runs` runs (default 3). Results also go to bench/results/daemon.json.
CPU shares are process CPU time, not wall time, so a busy machine inflates them less than it inflates
wall times; the load average is printed with the figures.
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

GOALS = {  # issue 9's goals on the development machine
    "session device_cpu_pct": 0.7,
    "idle device_cpu_pct": 0.15,
    "peak_rss_mb (lean)": 60.0,
    "start_to_first_read_s": 0.4,
    "fast clock wall_s": 5.0,
}
RESULTS = Path(__file__).resolve().parent / "results" / "daemon.json"


def probe(mode: str, world: str, seconds: float) -> dict[str, Any]:
    """One probe run in a fresh interpreter; its JSON result."""
    env = dict(os.environ, GLIMMER_PROBE_T0=repr(time.monotonic()))
    done = subprocess.run([sys.executable, "-m", "bench.daemon_probe", "--mode", mode, "--world", world,
                           "--seconds", str(seconds)], env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"probe {mode}/{world} failed:\n{done.stderr}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def fast_clock(minutes: float) -> dict[str, float]:
    """Wall and CPU seconds of `glimmer sim --speed max --minutes M --json` (output discarded)."""
    with tempfile.TemporaryDirectory() as state:  # a fresh state directory, as on a fresh clone
        env = dict(os.environ, XDG_STATE_HOME=state)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.monotonic()
        subprocess.run([sys.executable, "-m", "device.cli", "sim", "--speed", "max", "--minutes", str(minutes),
                        "--json"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, env=env)
        wall_s = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_s = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall_s": wall_s, "cpu_s": cpu_s}


def spread(values: list[float]) -> str:
    """min / median / max."""
    return f"{min(values):.3g} / {statistics.median(values):.3g} / {max(values):.3g}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="real-time window per run (default 20)")
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (default 3)")
    parser.add_argument("--minutes", type=float, default=10.0, help="simulated minutes of the fast-clock run")
    parser.add_argument("--skip-fast", action="store_true", help="leave out the fast-clock runs")
    parser.add_argument("--together", action="store_true",
                        help="also measure a together session (two people, two sensors; issue 13)")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be >= 1")

    load0 = os.getloadavg()
    rows: dict[str, list[dict[str, Any]]] = {}
    for run in range(args.runs):
        for mode in ("idle", "session"):
            for world in ("person", "lean"):
                key = f"{mode}/{world}"
                rows.setdefault(key, []).append(probe(mode, world, args.seconds))
                print(f"run {run + 1}/{args.runs} {key}: {json.dumps(rows[key][-1])}", file=sys.stderr)
        if args.together:
            rows.setdefault("session/together", []).append(probe("session", "together", args.seconds))
            print(f"run {run + 1}/{args.runs} session/together: {json.dumps(rows['session/together'][-1])}",
                  file=sys.stderr)
    fast: list[dict[str, float]] = []
    if not args.skip_fast:
        for run in range(args.runs):
            fast.append(fast_clock(args.minutes))
            print(f"run {run + 1}/{args.runs} fast clock: {fast[-1]}", file=sys.stderr)
    load1 = os.getloadavg()

    def col(key: str, field: str) -> list[float]:
        return [float(r[field]) for r in rows[key]]

    print(f"\nGlimmer daemon budget: {args.runs} runs of {args.seconds:g} s at real time each "
          f"(min / median / max); {os.cpu_count()} cores, load average {load0[0]:.1f} -> {load1[0]:.1f}")
    print(f"{'figure':<44} {'idle':>22} {'session':>22}")
    for label, field, world in (
        ("device CPU, % of one core (simulator out)", "device_cpu_pct", "person"),
        ("whole process CPU, % of one core", "process_cpu_pct", "person"),
        ("  of which simulator", "sim_cpu_pct", "person"),
        ("device CPU, thin simulator", "device_cpu_pct", "lean"),
        ("peak RSS MB, daemon + thin simulator", "peak_rss_mb", "lean"),
        ("peak RSS MB, daemon + simulated person", "peak_rss_mb", "person"),
        ("start to first sensor read, s", "start_to_first_read_s", "lean"),
        ("  the same in CPU s of the process", "start_to_first_read_cpu_s", "lean"),
        ("  of which importing the daemon, s", "device_import_s", "lean"),
    ):
        print(f"{label:<44} {spread(col('idle/' + world, field)):>22} {spread(col('session/' + world, field)):>22}")
    scipy = {r["scipy_imported_by_device"] for rs in rows.values() for r in rs}
    print(f"{'daemon imports scipy':<44} {', '.join(str(s) for s in sorted(scipy)):>22}")
    rates = {k: statistics.median(float(r["per_s"].get("frames_written", r["per_s"]["frames_shown"]))
                                  for r in rs) for k, rs in rows.items() if k.endswith("person")}
    print(f"{'LED frames written per s (median)':<44} {rates['idle/person']:>22.1f} {rates['session/person']:>22.1f}")
    if "session/together" in rows:
        for label, field in (("together session: device CPU, % of one core", "device_cpu_pct"),
                             ("together session: peak RSS MB", "peak_rss_mb")):
            print(f"{label:<44} {'':>22} {spread(col('session/together', field)):>22}")
    if fast:
        print(f"glimmer sim --speed max --minutes {args.minutes:g} --json: wall s "
              f"{spread([f['wall_s'] for f in fast])}, CPU s {spread([f['cpu_s'] for f in fast])}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"args": vars(args), "load": [load0, load1], "runs": rows, "fast": fast},
                                  indent=1, default=str))
    print(f"goals: {json.dumps(GOALS)}; all runs in {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
