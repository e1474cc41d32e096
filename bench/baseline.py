"""A git revision's device/ in a temporary folder, for benchmarks and checks that compare with it."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def baseline_device(revision: str) -> Iterator[Path]:
    """A folder holding `revision`'s device/ package (git archive), to put first on PYTHONPATH; removed
    on exit. CalledProcessError if git does not know the revision."""
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision, "device"],
                                 check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        yield Path(tmp)


def worker_runs(script: Path, revision: str, extra: list[str]) -> list[Any]:
    """Run `script --worker OUT *extra` twice, each in its own process: with `revision`'s device/ first on
    PYTHONPATH, then with this tree's. The worker writes {"device": its device package's path, "runs": [...]}
    to OUT; returns the two "runs" (baseline's, then this tree's), saying which device each used."""
    runs = []
    with baseline_device(revision) as base, tempfile.TemporaryDirectory() as tmp:
        for label, first in (("baseline", base), ("this tree", ROOT)):
            out = Path(tmp) / f"{label.replace(' ', '_')}.json"
            env = dict(os.environ, PYTHONPATH=str(first))
            subprocess.run([sys.executable, str(script.resolve()), "--worker", str(out), *extra],
                           check=True, env=env, cwd=tmp)
            result = json.loads(out.read_text())
            print(f"{label}: device from {Path(result['device']).parent}")
            runs.append(result["runs"])
    return runs


def compare_main(script: Path, description: str | None, quick_help: str,
                 worker: Callable[[Path, Path | None, bool], None], argv: list[str] | None) -> list[Any] | None:
    """The command line the compare-with-a-revision checks share: --baseline REV, --data DIR, --quick, and
    the hidden --worker OUT that runs `worker(out, data, quick)` in this process and returns None. Otherwise
    returns worker_runs' two runs (the baseline's, then this tree's)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--baseline", default="main", help="git revision to compare with (default main)")
    parser.add_argument("--data", type=Path, default=None, help="data folder (default ../shared/data)")
    parser.add_argument("--quick", action="store_true", help=quick_help)
    parser.add_argument("--worker", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker is not None:
        worker(args.worker, args.data, args.quick)
        return None
    extra = (["--data", str(args.data)] if args.data else []) + (["--quick"] if args.quick else [])
    return worker_runs(script, args.baseline, extra)
