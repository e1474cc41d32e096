"""Where the device's readings go: the seam between the main loop and its audiences.

A `Publisher` is called from the main loop only, and must not block it: network publishers (MQTT)
queue and send from their own thread. `JsonLinesPublisher` serves `glimmer sim --json`.
"""

from __future__ import annotations

import json
import logging
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol, TextIO

from device.payload import summary_fields

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

    def write_object(self, obj: dict[str, Any]) -> None:
        """One more JSON object on its own line, also after `close()` (the simulator's closing
        `sim_summary`), unless the reader has gone."""
        if not self.reader_gone:
            self._emit(obj)

    def _write(self, obj: dict[str, Any]) -> None:
        if not self._closed:
            self._emit(obj)

    def _emit(self, obj: dict[str, Any]) -> None:
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
        self._write({"kind": "session_summary", **summary_fields(summary)})

    def close(self) -> None:
        self._closed = True


class RecordingPublisher:
    """Keeps what it is given in memory, bounded — for the summary at exit and for tests.

    The most recent `max_metrics` payloads (default 720: an hour at 5 s) and the first `keep_first`
    (a run's opening minutes, for comparing its start with its end) are kept, and the last
    `max_summaries` session summaries, so a simulated day or week holds memory flat.
    """

    def __init__(self, max_metrics: int = 720, keep_first: int = 64, max_summaries: int = 256) -> None:
        self.metrics_payloads: deque[dict[str, Any]] = deque(maxlen=max_metrics)
        self.first_payloads: list[dict[str, Any]] = []
        self.summaries: list[dict[str, Any]] = []
        self._max_summaries = max_summaries
        self._keep_first = keep_first
        self.metrics_count = 0

    def metrics(self, payload: dict[str, Any]) -> None:
        self.metrics_payloads.append(payload)
        if len(self.first_payloads) < self._keep_first:
            self.first_payloads.append(payload)
        self.metrics_count += 1

    def kept_payloads(self) -> list[dict[str, Any]]:
        """The first payloads and the most recent, in order, each once."""
        recent = list(self.metrics_payloads)
        # The first payloads that are no longer among the recent ones: those numbered below count - len.
        return [*self.first_payloads[: self.metrics_count - len(recent)], *recent]

    def session_closed(self, summary: dict[str, Any]) -> None:
        self.summaries.append(summary)
        if len(self.summaries) > self._max_summaries:
            del self.summaries[0]

    def close(self) -> None:
        pass
