"""Every test (and every `glimmer` it starts) keeps its store in a temporary state directory."""

from __future__ import annotations

from pathlib import Path

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests marked `long` first (a stable sort: otherwise in collection order). pytest-xdist hands the
    rest out as workers come free, so a long test started last would leave the other worker idle for its whole
    length at the end of the run (test_docs' shown commands alone take about 40 s); started first, the short
    ones even the workers out."""
    items.sort(key=lambda item: item.get_closest_marker("long") is None)


@pytest.fixture(autouse=True)
def _state_directory(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    state = tmp_path_factory.mktemp("state")
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    monkeypatch.delenv("STATE_DIRECTORY", raising=False)
    return state
