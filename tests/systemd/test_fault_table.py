"""The README's fault table lists every fault issue 12 names, and every test it points to exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FAULTS = ("NACK", "vanishing for 30 s", "different chip", "finger lifted", "audio device missing",
          "failing mid-session", "SPI device missing", "GPIO busy", "broker down for 10 minutes", "disk full",
          "wall clock jumping", "kill -9", "20 times", "main loop stalling")


def fault_rows() -> list[str]:
    text = (ROOT / "README.md").read_text()
    table = text.split("### Faults it survives", 1)[1].split("\n\n#", 1)[0]
    return [line for line in table.splitlines() if line.startswith("| ") and not line.startswith("| fault")]


def test_every_fault_of_the_issue_has_a_row() -> None:
    faults = " ".join(row.split("|")[1] for row in fault_rows())
    missing = [f for f in FAULTS if f not in faults]
    assert not missing, missing


def test_every_test_named_exists() -> None:
    for row in fault_rows():
        cell = row.split("|")[3]
        refs = re.findall(r"`([^`]+)`", cell)
        assert refs, f"no test named in: {row}"
        path: Path | None = None
        for ref in refs:
            file, _, name = ref.partition("::")
            if file:
                path = ROOT / file
                assert path.is_file(), ref
            assert path is not None, ref
            if name:
                assert re.search(rf"^def {re.escape(name)}\(", path.read_text(), flags=re.M), ref
            else:
                assert re.search(r"^def test_", path.read_text(), flags=re.M), ref
