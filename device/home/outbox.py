"""The MQTT outbox: every message worth keeping goes to SQLite before it is sent, and leaves only once
the broker has acknowledged it (QoS 1 PUBACK). It survives a restart and a kill -9 (each write is one
committed transaction in WAL mode), keeps the order messages were made in (`seq`), and is bounded:
when full, the oldest message of the least precious class is dropped and counted.

Classes, least precious first: `metrics` (periodic detail), `state`, `event`, `summary`. Summaries are
never dropped; when only summaries are left the outbox may hold more than its bound (a summary per
session: a few a day).

The outbox is used from one thread (the main loop). `ensure_outbox_schema(conn)` creates its tables and
is idempotent, so the household store can adopt it as one of its migrations.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

CLASSES: tuple[str, ...] = ("metrics", "state", "event", "summary")  # least precious first
NEVER_DROPPED = frozenset({"summary"})


# The outbox's tables: one migration of the household store (device/home/store.py), and idempotent so
# that an outbox kept in a file of its own (`mqtt.outbox_path`) can create them too.
OUTBOX_SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS mqtt_outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    class TEXT NOT NULL,                       -- metrics, state, event, summary (least precious first)
    topic TEXT NOT NULL,
    payload BLOB NOT NULL,                     -- the exact bytes that will be sent
    retain INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS mqtt_outbox_class ON mqtt_outbox (class, seq);
CREATE TABLE IF NOT EXISTS mqtt_outbox_dropped (class TEXT PRIMARY KEY, count INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS mqtt_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def ensure_outbox_schema(conn: sqlite3.Connection) -> None:
    """Create the outbox tables if they do not exist (idempotent)."""
    with conn:
        for statement in OUTBOX_SCHEMA_SQL.split(";"):
            if statement.strip():
                conn.execute(statement)

# SQLite's page cache per connection (store and outbox alike), KiB (`PRAGMA cache_size = -N`). SQLite's default,
# 2000 KiB, is malloc'd as pages are touched and kept, so a store that grows by a session's rows every day
# filled it a little more every day (the soak with --store: +0.04 MB of heap an hour). The device appends rows
# (a few pages of each table's and index's tail) and reads history now and then; the file's pages stay in the
# kernel's page cache either way, so 256 KiB costs nothing a person notices and bounds what the process holds.
CACHE_KIB = 256


def open_outbox_db(path: Path) -> sqlite3.Connection:
    """Open (creating directories and file) the SQLite file at `path` for the outbox."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # One thread at a time uses it (the main loop), but not necessarily the thread that built the device.
    conn = sqlite3.connect(str(path), check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across a process kill
    conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    return conn


@dataclass(frozen=True)
class OutboxMessage:
    """One stored message: `seq` orders them; `payload` is the exact bytes that will be sent."""

    seq: int
    cls: str
    topic: str
    payload: bytes
    retain: bool


class Outbox:
    """A bounded, ordered, durable queue of MQTT messages on a sqlite3 connection."""

    def __init__(self, conn: sqlite3.Connection, max_messages: int) -> None:
        if max_messages < 1:
            raise ValueError(f"max_messages must be >= 1, got {max_messages}")
        self.conn = conn
        self.max_messages = max_messages
        ensure_outbox_schema(conn)
        self._count = self._query_count()
        self._dropped = {c: 0 for c in CLASSES if c not in NEVER_DROPPED}
        for cls, count in self.conn.execute("SELECT class, count FROM mqtt_outbox_dropped"):
            self._dropped[str(cls)] = int(count)

    def _query_count(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM mqtt_outbox").fetchone()[0])

    def __len__(self) -> int:
        return self._count

    def put(self, cls: str, topic: str, payload: bytes, retain: bool = False) -> int:
        """Store one message (committed before returning); returns its `seq`. Makes room first."""
        if cls not in CLASSES:
            raise ValueError(f"unknown outbox class {cls!r} (known: {', '.join(CLASSES)})")
        with self.conn:
            if self._count >= self.max_messages:
                self._drop_one(protect=cls)
            cur = self.conn.execute("INSERT INTO mqtt_outbox (class, topic, payload, retain) VALUES (?, ?, ?, ?)",
                                    (cls, topic, payload, int(retain)))
        self._count += 1
        seq = cur.lastrowid
        assert seq is not None
        return seq

    def _drop_one(self, protect: str) -> None:
        """Drop the oldest message of the least precious class present (inside the caller's transaction)."""
        for cls in CLASSES:
            if cls in NEVER_DROPPED:
                continue
            row = self.conn.execute("SELECT seq FROM mqtt_outbox WHERE class = ? ORDER BY seq LIMIT 1",
                                    (cls,)).fetchone()
            if row is None:
                continue
            self.conn.execute("DELETE FROM mqtt_outbox WHERE seq = ?", (row[0],))
            self.conn.execute("INSERT INTO mqtt_outbox_dropped (class, count) VALUES (?, 1) "
                              "ON CONFLICT(class) DO UPDATE SET count = count + 1", (cls,))
            self._count -= 1
            self._dropped[cls] += 1
            total = sum(self._dropped.values())
            if total == 1 or total % 1000 == 0:  # said once, then now and then: the count is published anyway
                log.warning("outbox full (%d messages): dropping the oldest %s messages (%d dropped so far)",
                            self.max_messages, cls, total)
            return
        log.warning("outbox full of summaries; keeping a %s message beyond the bound", protect)

    def peek(self, after_seq: int = 0, limit: int = 100) -> list[OutboxMessage]:
        """Up to `limit` messages with seq > `after_seq`, oldest first."""
        rows = self.conn.execute("SELECT seq, class, topic, payload, retain FROM mqtt_outbox WHERE seq > ? "
                                 "ORDER BY seq LIMIT ?", (after_seq, limit)).fetchall()
        return [OutboxMessage(int(r[0]), str(r[1]), str(r[2]), bytes(r[3]), bool(r[4])) for r in rows]

    def ack(self, seq: int) -> None:
        """The broker has the message: forget it (idempotent)."""
        with self.conn:
            cur = self.conn.execute("DELETE FROM mqtt_outbox WHERE seq = ?", (seq,))
        self._count -= cur.rowcount

    def dropped(self) -> dict[str, int]:
        """Messages dropped for room since the outbox was created, by class (every class listed)."""
        return dict(self._dropped)

    def meta(self, key: str, default: str) -> str:
        """A persistent string setting of the MQTT link (stored on first use)."""
        row = self.conn.execute("SELECT value FROM mqtt_meta WHERE key = ?", (key,)).fetchone()
        if row is not None:
            return str(row[0])
        with self.conn:
            self.conn.execute("INSERT INTO mqtt_meta (key, value) VALUES (?, ?)", (key, default))
        return default

    def set_meta(self, key: str, value: str) -> None:
        with self.conn:
            self.conn.execute("INSERT INTO mqtt_meta (key, value) VALUES (?, ?) "
                              "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value))
