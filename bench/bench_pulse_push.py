"""Benchmark: CPU per `PulsePipeline.push` as the daemon calls it, this tree and (optionally) a baseline.

Run from the project root::

    python -m bench.bench_pulse_push [--chunks 20 100] [--runs 5] [--baseline main]

Each run, in a fresh process, streams 300 s of generated PPG (tests/device/signal/synthetic_ppg.py: a
65/min heart with breathing-paced variation, white noise 0.02 of the pulse) through one pipeline at
100 samples/s, `chunk` samples a push (20: the daemon's 200 ms FIFO drain). The first third is not
timed (filters settle, the pulse is found, the beat timer learns); over the rest, thread CPU time
(time.thread_time) per push and per sample. With --baseline, the same runs with that git revision's
device/ (git archive) first on the path, alternating with this tree's so that drift in the machine's
speed falls on both alike. Figures: min / median / max over the runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from contextlib import nullcontext
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script (the worker): bench/ and tests/ come from this tree
    sys.path.append(str(ROOT))

FS_HZ = 100.0
DURATION_S = 300.0


def measure(chunk: int) -> float:
    """CPU microseconds per push of `chunk` samples, warm (see module docstring)."""
    from device.signal.pulse import PulsePipeline
    from tests.device.signal.synthetic_ppg import rsa_beat_times, synthetic_ppg

    ppg = synthetic_ppg(rsa_beat_times(DURATION_S), FS_HZ, DURATION_S, noise=0.02, seed=1)
    pipeline = PulsePipeline(FS_HZ)
    pushes = len(ppg) // chunk
    warm = pushes // 3
    for k in range(warm):
        pipeline.push(ppg[k * chunk:(k + 1) * chunk], k * chunk)
    start = time.thread_time()
    for k in range(warm, pushes):
        pipeline.push(ppg[k * chunk:(k + 1) * chunk], k * chunk)
    return 1e6 * (time.thread_time() - start) / (pushes - warm)


def _one_run(python_path: Path, chunks: list[int]) -> dict[int, float]:
    env = dict(os.environ, PYTHONPATH=str(python_path))
    out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--worker", "--chunks",
                          *[str(c) for c in chunks]], check=True, env=env, capture_output=True, text=True,
                         cwd=str(python_path))
    return {int(k): v for k, v in json.loads(out.stdout).items()}


def _figure(values: list[float], chunk: int) -> str:
    lo, mid, hi = min(values), statistics.median(values), max(values)
    return f"{lo:6.0f} / {mid:6.0f} / {hi:6.0f} us per push ({mid / chunk:5.2f} us per sample, median)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--chunks", type=int, nargs="+", default=[20, 100], help="samples per push")
    parser.add_argument("--runs", type=int, default=5, help="runs per tree (at least 3)")
    parser.add_argument("--baseline", default=None, help="git revision to compare with (e.g. main)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps({c: measure(c) for c in args.chunks}))
        return 0
    if args.runs < 3:
        parser.error("--runs must be at least 3")
    from bench.baseline import baseline_device

    trees: dict[str, list[dict[int, float]]] = {"this tree": []}
    with baseline_device(args.baseline) if args.baseline else nullcontext(ROOT) as base:
        if args.baseline:
            trees[f"baseline {args.baseline}"] = []
        for _ in range(args.runs):
            for label in trees:
                trees[label].append(_one_run(ROOT if label == "this tree" else base, args.chunks))
    print(f"PulsePipeline.push at {FS_HZ:g} samples/s, min / median / max of {args.runs} runs:")
    for chunk in args.chunks:
        for label, runs in trees.items():
            print(f"  chunk {chunk:4d}, {label:>16}: {_figure([r[chunk] for r in runs], chunk)}")
        if args.baseline:
            before = statistics.median(r[chunk] for r in trees[f"baseline {args.baseline}"])
            after = statistics.median(r[chunk] for r in trees["this tree"])
            print(f"  chunk {chunk:4d}: median {100.0 * (after / before - 1.0):+.0f} %")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
