"""A git revision's device/ in a temporary folder, for benchmarks and checks that compare with it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
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
