"""Where the device's readings go: the seam between the main loop and its audiences.

A `Publisher` is called from the main loop only, and must not block it: network publishers (MQTT)
queue and send from their own thread. `JsonLinesPublisher` serves `glimmer sim --json`.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Protocol, TextIO

log = logging.getLogger(__name__)


class Publisher(Protocol):
    def metrics(self, payload: dict[str, Any]) -> None:
        """One metrics payload per metrics period."""
        ...

    def session_closed(self, summary: dict[str, Any]) -> None:
        """A session ended; its summary."""
        ...

    def close(self) -> None:
        """Flush and release; idempotent."""
        ...


class JsonLinesPublisher:
    """One JSON object per line on a text stream (stdout for scripts)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._closed = False

    def _write(self, obj: dict[str, Any]) -> None:
        if self._closed:
            return
        self._stream.write(json.dumps(obj, separators=(",", ":")) + "\n")
        self._stream.flush()

    def metrics(self, payload: dict[str, Any]) -> None:
        self._write(payload)

    def session_closed(self, summary: dict[str, Any]) -> None:
        self._write({"kind": "session_summary", **summary})

    def close(self) -> None:
        self._closed = True


class RecordingPublisher:
    """Keeps what it is given in memory (bounded) — for the summary at exit and for tests."""

    def __init__(self, max_metrics: int = 100_000) -> None:
        self.metrics_payloads: list[dict[str, Any]] = []
        self.summaries: list[dict[str, Any]] = []
        self._max = max_metrics

    def metrics(self, payload: dict[str, Any]) -> None:
        self.metrics_payloads.append(payload)
        if len(self.metrics_payloads) > self._max:
            del self.metrics_payloads[: len(self.metrics_payloads) - self._max]

    def session_closed(self, summary: dict[str, Any]) -> None:
        self.summaries.append(summary)

    def close(self) -> None:
        pass
