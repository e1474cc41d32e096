"""Memory over a long run on the fast clock: `python -m bench.bench_soak` (default 24 simulated hours).

The daemon runs against the simulated person with the simulator's bookkeeping as `glimmer sim` has it
(a RecordingPublisher, the SPI decoder's frame history, the person's light buffer; the sound goes to
/dev/null): each hour a session of `--session-min` minutes (finger on), then the finger lifted for the
rest of the hour (the session pauses, closes, the device idles). Prints the process's resident memory
(RSS, from /proc/self/statm), the bytes malloc'd and in use (glibc's mallinfo2; '-' elsewhere) and Python's
allocated blocks at the end of every `--every` hours, and the growth from the end of the first hour
(start-up and first-use allocations done) to the end. The device empties NumPy's small-buffer cache and
trims the heap at every session's close (device/memory.py).
The goal (issue 9): under 1 MB of growth over 24 simulated hours. `--people 2`: together mode, the
partner's finger on sensor B and lifted with the first's (the simulator's bookkeeping for two people).
`--store`: the sessions are those of a person in a household store (a new SQLite file in a temporary
directory), recorded as `glimmer sim --user` records them.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from device.app import build_device
from device.config import load_config
from device.home.household import Household
from device.home.people import add_person, new_person
from device.home.store import Store
from device.memory import heap_in_use_bytes
from device.publish import RecordingPublisher
from sim.world import build_sim_world


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hours", type=float, default=24.0, help="simulated hours (default 24)")
    parser.add_argument("--session-min", type=float, default=20.0, help="minutes of session each hour (default 20)")
    parser.add_argument("--every", type=float, default=1.0, help="hours between memory readings (default 1)")
    parser.add_argument("--people", type=int, choices=(1, 2), default=1, help="simulated people (default 1)")
    parser.add_argument("--store", action="store_true", help="record the sessions in a household store")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="glimmer-soak-") as state_dir:
        return soak(args, Path(state_dir) / "glimmer.db" if args.store else None)


def soak(args: argparse.Namespace, store_path: Path | None) -> int:

    config = load_config(None).replace("sim", people=args.people)
    world = build_sim_world(config, wav_path=Path(os.devnull), start_wall=datetime(2026, 1, 1, 8, 0))
    config_night = config.night
    recorder = RecordingPublisher()
    glimmer = build_device(config, world.hardware, [recorder])
    household: Household | None = None
    if store_path is not None:
        store = Store(store_path)
        person = add_person(store, new_person("Soak", config), world.hardware.stamp_clock())
        household = Household(store, config, person)
        household.attach(glimmer, world.hardware.stamp_clock())
    session_s = 60.0 * args.session_min
    readings: list[tuple[float, float, int, int | None]] = []
    t0 = time.monotonic()
    hour = 0
    step_h = args.every
    t_h = 0.0
    print(f"soak: {args.people} simulated {'people' if args.people > 1 else 'person'}, {args.hours:g} simulated hours, "
          f"{args.session_min:g} min session each hour "
          f"(night mode {'on' if config_night.enabled else 'off'} from {config_night.start})"
          f"{', sessions stored' if household is not None else ''}", flush=True)
    print(f"{'hour':>6} {'RSS MB':>8} {'heap MB':>8} {'blocks':>9} {'sessions':>9} {'wall s':>7}", flush=True)
    while t_h < args.hours - 1e-9:
        # This hour: the finger stays for session_s, then leaves until the hour is over.
        hour_start_s = hour * 3600.0
        glimmer.run(until_s=hour_start_s + session_s)
        world.chip.lift_finger(3600.0 - session_s)
        if world.partner_chip is not None:
            world.partner_chip.lift_finger(3600.0 - session_s)
        hour += 1
        glimmer.run(until_s=hour * 3600.0)
        t_h = float(hour)
        if abs(t_h / step_h - round(t_h / step_h)) < 1e-9 or t_h >= args.hours:
            gc.collect()
            readings.append((t_h, rss_mb(), sys.getallocatedblocks(), heap_in_use_bytes()))
            in_use = readings[-1][3]
            print(f"{t_h:6.1f} {readings[-1][1]:8.2f} {'-' if in_use is None else f'{in_use / 1e6:.2f}':>8} "
                  f"{readings[-1][2]:9d} {len(recorder.summaries):9d} "
                  f"{time.monotonic() - t0:7.0f}", flush=True)
    glimmer.close()
    if household is not None:
        household.store.close()
    if len(readings) >= 2:
        first, last = readings[0], readings[-1]
        heap_growth = ("" if first[3] is None or last[3] is None
                       else f"heap in use {(last[3] - first[3]) / 1e6:+.2f} MB, ")
        print(f"growth from hour {first[0]:g} to hour {last[0]:g}: RSS {last[1] - first[1]:+.2f} MB, {heap_growth}"
              f"Python blocks {last[2] - first[2]:+d}; sessions held: {len(recorder.summaries)} "
              f"(goal: < 1 MB over 24 h)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
