"""The README's first lines give the two commands, and CI runs exactly the test command."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    return re.findall(r"```sh\n(.*?)\n```", text, flags=re.S)[:2]


def test_readme_starts_with_the_run_and_test_commands() -> None:
    head = (ROOT / "README.md").read_text().splitlines()[:8]
    run, test = _readme_commands()
    assert run in "\n".join(head) and test in "\n".join(head)
    assert run.endswith("glimmer sim")
    assert "pytest" in test


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    _, test = _readme_commands()
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test in ci_lines
