"""The recorder: stores the sessions of whoever is active, as the device runs.

Attached to a running device as a publisher (metrics, session summaries) and a session-tick hook
(glimmer moments). A guest session (nobody active) stores nothing. Together mode has two recorders: the
active person's (seat "person": the payload's top-level keys) and the partner's (seat "partner": the
payload's `partner` object, their own session number); each stores its person's own session, with the
synchrony, linked to the other's. Writes happen on the main loop,
one short transaction each; the store's WAL keeps them cheap.

Faults never stop a session: when a write fails (a full disk, a locked or broken store) the error is
logged once, what could not be written is kept in memory (bounded) and tried again with the next
write; once a write succeeds again that is logged too. What was stored before stays stored (every
write is its own transaction, so a failed one leaves the file as it was).
"""

from __future__ import annotations

import logging
import sqlite3
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any

from device.errors import StoreError
from device.home.people import BOUNDS
from device.home.store import Store, is_disk_full

log = logging.getLogger(__name__)

MAX_PENDING = 2000  # writes kept while the store refuses them (about 2.8 hours of 5 s metrics)
RECORDED_STATES = ("settling", "pacing", "paused", "closing")
RESONANCE_BOUNDS = BOUNDS["resonance_rate_per_min"]


class SessionRecorder:
    """Publisher that stores the active person's sessions. `person_id` None: a guest, nothing stored."""

    def __init__(self, store: Store, wall_clock: Callable[[], datetime], person_id: int | None = None,
                 glimmer_now: Callable[[], bool] | None = None, kind_now: Callable[[], str] | None = None,
                 seat: str = "person") -> None:
        if seat not in ("person", "partner"):
            raise ValueError(f"seat must be 'person' or 'partner', got {seat!r}")
        self.seat = seat
        self.store = store
        self.person_id = person_id
        self._wall = wall_clock
        self._glimmer_now = glimmer_now
        self._glimmer_was = False
        self._device_session: int | None = None  # the device's session number being recorded
        self._row: dict[str, Any] = {}  # {"id": store id} once the row exists
        self._pending: deque[Callable[[], None]] = deque()
        self._failing: str | None = None  # the error being reported, while writes fail
        self.dropped = 0
        self._kind_now = kind_now or (lambda: "session")
        self.after_assessment: Callable[[], None] | None = None  # called once a result is stored

    # -- publisher ------------------------------------------------------------------------------

    def metrics(self, payload: dict[str, Any]) -> None:
        if self.person_id is None:
            return
        own = payload if self.seat == "person" else payload.get("partner")
        if own is None:
            return
        session = own.get("session")
        if self._device_session is not None and session != self._device_session:
            # The row's session ended with no session_closed (a close always comes before the next payload):
            # its finger was lifted while it settled, and the device went back to idle without a session.
            self._discard()
        if session is None or payload.get("session_state") not in RECORDED_STATES:
            return
        if session != self._device_session:
            self._begin(session, None if self.seat == "person" else payload.get("session"))
        row = {key: own.get(key) for key in ("hr_bpm", "rmssd_ms", "coherence_ratio", "breath_rate_per_min",
                                               "signal_quality")}
        row.update(t_s=payload["t_s"], at=self._wall(), pacer_rate_per_min=payload.get("pacer_rate_per_min"),
                   synchrony=payload.get("synchrony"), synchrony_lag_s=payload.get("synchrony_lag_s"))
        holder = self._row
        if holder["kind"] != "assessment" and self._kind_now() == "assessment":
            holder["kind"] = "assessment"  # a very long press while settling: this session became one
        self._do(lambda: self.store.add_metrics(holder["id"], [row]))

    def session_closed(self, summary: dict[str, Any]) -> None:
        if summary.get("seat", "person") != self.seat:
            return  # the other person's
        if self.person_id is None and summary.get("assessment") is not None:
            log.info("a guest's assessment (resonance %s breaths/min) is not stored: choose a person first to keep "
                     "it", summary["assessment"].get("resonance_rate_per_min"))
        if self.person_id is None or self._device_session is None:
            return
        holder, ended = self._row, self._wall()
        self._device_session = None
        self._do(lambda: self.store.close_session(holder["id"], ended, {**summary, "glimmers": holder["glimmers"]},
                                                  kind=holder["kind"]))
        result = summary.get("assessment")
        if result is not None:
            person = self.person_id
            self._do(lambda: self._store_assessment(person, ended, result))

    def _store_assessment(self, person_id: int, at: datetime, result: dict[str, Any]) -> None:
        found = result["resonance_rate_per_min"]
        lo, hi = RESONANCE_BOUNDS
        # The pacer paces within the person's setting's bounds; a result beyond them paces at the bound.
        use = None if found is None else min(max(float(found), lo), hi)
        self.store.add_assessment(person_id, at, found, result["reason"], result["steps"], person_rate_per_min=use)
        log.info("assessment stored: resonance %s breaths/min", result["resonance_rate_per_min"])
        if self.after_assessment is not None:
            self.after_assessment()

    def close(self) -> None:
        self._flush()

    # -- session-tick hook ------------------------------------------------------------------------

    def on_tick(self, now_s: float) -> None:
        """Store a glimmer moment when the sparkle starts (rising edge) in a recorded session."""
        if self._glimmer_now is None:
            return
        glimmer = self._glimmer_now()
        if glimmer and not self._glimmer_was and self.person_id is not None and self._device_session is not None:
            holder, at = self._row, self._wall()
            holder["glimmers"] += 1
            self._do(lambda: self.store.add_glimmer(holder["id"], round(now_s, 3), at))
        self._glimmer_was = glimmer

    # -- writing ----------------------------------------------------------------------------------

    def _begin(self, device_session: int, together_with: int | None = None) -> None:
        """Open the row of the device's session `device_session` (`together_with`: the other person's
        session, for the partner's)."""
        assert self.person_id is not None
        self._device_session = device_session
        kind = self._kind_now()
        holder: dict[str, Any] = {"id": None, "glimmers": 0, "kind": kind}
        self._row = holder
        person, at = self.person_id, self._wall()

        def open_row() -> None:
            holder["id"] = self.store.open_session(person, at, kind, session_id=device_session,
                                                   together_with=together_with)

        self._do(open_row)

    def _discard(self) -> None:
        """Delete the open row of a session that never was one (finger lifted while settling)."""
        holder = self._row
        self._device_session = None
        log.info("a session ended while it settled: its row is not kept")
        self._do(lambda: self.store.discard_session(holder["id"]))

    def _do(self, write: Callable[[], None]) -> None:
        if len(self._pending) >= MAX_PENDING:
            self._pending.popleft()
            self.dropped += 1
        self._pending.append(write)
        self._flush()

    def _flush(self) -> None:
        while self._pending:
            try:
                self._pending[0]()
            except (sqlite3.OperationalError, StoreError) as exc:
                if isinstance(exc, sqlite3.OperationalError) and not is_disk_full(exc):
                    raise
                problem = "the disk is full" if is_disk_full(exc) else str(exc)
                if self._failing is None:
                    log.error("cannot store the session (%s); the session goes on and what it could not "
                              "store is kept in memory and tried again", problem)
                self._failing = problem
                return
            self._pending.popleft()
            if self._failing is not None:
                log.warning("the store takes writes again (after: %s)", self._failing)
                self._failing = None
