"""A git revision's device/ in a temporary folder, for benchmarks and checks that compare with it."""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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
