"""Where the device's readings go: the seam between the main loop and its audiences.

A `Publisher` is called from the main loop only, and must not block it: network publishers (MQTT)
queue and send from their own thread. `JsonLinesPublisher` serves `glimmer sim --json`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
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
    """One JSON object per line on a text stream (stdout for scripts).

    When the reader goes away (`glimmer sim --json | head -1`: BrokenPipeError), the publisher stops
    writing, sets `reader_gone` and calls `on_reader_gone` (the simulator stops the device), so the
    run ends quietly as a Unix tool does.
    """

    def __init__(self, stream: TextIO, on_reader_gone: Callable[[], None] | None = None) -> None:
        self._stream = stream
        self._closed = False
        self._on_reader_gone = on_reader_gone
        self.reader_gone = False

    def _write(self, obj: dict[str, Any]) -> None:
        if self._closed:
            return
        try:
            self._stream.write(json.dumps(obj, separators=(",", ":")) + "\n")
            self._stream.flush()
        except BrokenPipeError:
            self._closed = True
            self.reader_gone = True
            log.debug("the reader of the JSON lines closed the pipe; stopping")
            if self._on_reader_gone is not None:
                self._on_reader_gone()

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
