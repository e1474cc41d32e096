"""The household store: one SQLite file holding people, their sessions, metrics, glimmers and assessments.

SQLite from the standard library, in WAL mode with foreign keys on and `synchronous=NORMAL`: a power
cut or kill -9 loses at most the last transaction, never the file (https://sqlite.org/wal.html). Every
write is one short transaction, so an interrupted session is simply one whose row is still `open`;
`Store.mark_interrupted()` (called when the daemon starts) marks it `interrupted` and fills its
summary from the metrics already stored.

Schema versions: `PRAGMA user_version` holds how many entries of `MIGRATIONS` have been applied. A
database is brought up to date when it is opened, each migration in its own transaction; one from a
newer Glimmer is refused (StoreError) rather than guessed at. To change the schema, APPEND a
`Migration` to `MIGRATIONS`; never edit one that has shipped (tests/device/home/test_store.py pins
their checksums and opens a database of every earlier version).

Wall times are stored as local ISO 8601 text without offset (`YYYY-MM-DDTHH:MM:SS`), the household's
own clock, so text order is time order.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from device.errors import StoreError, StoreNotWritable, StoreTooNew
from device.home.devicelock import DeviceLock
from device.home.outbox import CACHE_KIB, OUTBOX_SCHEMA_SQL

log = logging.getLogger(__name__)

DB_NAME = "glimmer.db"
SYSTEM_STATE_DIR = Path("/var/lib/glimmer")
BUSY_TIMEOUT_MS = 2000  # wait this long for another process's write before calling the store locked


@dataclass(frozen=True)
class Migration:
    """One step of the schema: SQL statements run in one transaction, then user_version += 1."""

    description: str
    sql: str


MIGRATIONS: tuple[Migration, ...] = (
    Migration("people, sessions, per-period metrics, glimmer moments, resonance assessments", """
CREATE TABLE people (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    colour TEXT NOT NULL,                      -- '#rrggbb', shown on the ring when they are chosen
    resonance_rate_bpm REAL,                   -- NULL: not known yet, the config's pacer default applies
    inhale_ratio REAL NOT NULL,
    exhale_ratio REAL NOT NULL,
    hum_enabled INTEGER NOT NULL,
    hum_pitch_hz REAL NOT NULL,
    volume REAL NOT NULL,                      -- 0..1
    brightness REAL NOT NULL,                  -- 0..1
    night_brightness_cap REAL NOT NULL,        -- 0..1
    night_volume_cap REAL NOT NULL,            -- 0..1
    created_at TEXT NOT NULL,
    removed_at TEXT                            -- removed with their history kept
);
CREATE UNIQUE INDEX people_name ON people (name COLLATE NOCASE) WHERE removed_at IS NULL;
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('session', 'assessment')),
    status TEXT NOT NULL CHECK (status IN ('open', 'closed', 'interrupted')),
    started_at TEXT NOT NULL,
    ended_at TEXT,
    duration_s REAL,
    paced_s REAL,
    mean_hr_bpm REAL,
    mean_rmssd_ms REAL,
    mean_coherence_ratio REAL,
    peak_coherence_ratio REAL,
    coherent_s REAL,
    glimmers INTEGER,
    pacer_start_rate_per_min REAL,
    pacer_end_rate_per_min REAL
);
CREATE INDEX sessions_by_person ON sessions (person_id, started_at);
CREATE TABLE session_metrics (                -- one row per metrics period; pruned after store.retention_days
    session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    t_s REAL NOT NULL,                        -- device-clock seconds
    at TEXT NOT NULL,
    hr_bpm REAL,
    rmssd_ms REAL,
    coherence_ratio REAL,
    breath_rate_per_min REAL,
    pacer_rate_per_min REAL,
    signal_quality REAL,
    PRIMARY KEY (session_id, t_s)
) WITHOUT ROWID;
CREATE TABLE glimmers (                       -- when sustained coherence earned the sparkle
    session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    t_s REAL NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (session_id, t_s)
) WITHOUT ROWID;
CREATE TABLE assessments (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    at TEXT NOT NULL,
    resonance_rate_bpm REAL,                  -- NULL: could not tell
    reason TEXT NOT NULL                      -- how it was chosen, or why it could not tell
);
CREATE TABLE assessment_steps (
    assessment_id INTEGER NOT NULL REFERENCES assessments (id) ON DELETE CASCADE,
    step INTEGER NOT NULL,
    rate_bpm REAL NOT NULL,
    attempt INTEGER NOT NULL,
    followed INTEGER NOT NULL,
    breath_rate_per_min REAL,
    hr_swing_bpm REAL,
    lf_power_bpm2 REAL,
    phase_deg REAL,
    PRIMARY KEY (assessment_id, step)
) WITHOUT ROWID;
"""),
    Migration("MQTT outbox: messages waiting for the broker, drop counts, discovery bookkeeping", OUTBOX_SCHEMA_SQL),
    Migration("breaths per minute are _per_min (beats per minute alone are _bpm)", """
ALTER TABLE people RENAME COLUMN resonance_rate_bpm TO resonance_rate_per_min;
ALTER TABLE assessments RENAME COLUMN resonance_rate_bpm TO resonance_rate_per_min;
ALTER TABLE assessment_steps RENAME COLUMN rate_bpm TO rate_per_min;
"""),
    Migration("the household's active person, kept across restarts", """
CREATE TABLE active_person (                   -- one row once anyone was chosen; none: never chosen
    one INTEGER PRIMARY KEY CHECK (one = 1),
    person_id INTEGER REFERENCES people (id) ON DELETE SET NULL   -- NULL: a guest
);
"""),
    Migration("together mode: the partner on sensor B, each person's session linked to the other's, synchrony", """
CREATE TABLE partner (                         -- who is on sensor B; one row once anyone was chosen
    one INTEGER PRIMARY KEY CHECK (one = 1),
    person_id INTEGER REFERENCES people (id) ON DELETE SET NULL   -- NULL: a guest
);
ALTER TABLE sessions ADD COLUMN together_with INTEGER REFERENCES sessions (id) ON DELETE SET NULL;
ALTER TABLE sessions ADD COLUMN mean_synchrony REAL;
ALTER TABLE sessions ADD COLUMN peak_synchrony REAL;
ALTER TABLE session_metrics ADD COLUMN synchrony REAL;
ALTER TABLE session_metrics ADD COLUMN synchrony_lag_s REAL;
"""),
)

SCHEMA_VERSION = len(MIGRATIONS)

SUMMARY_KEYS = ("duration_s", "paced_s", "mean_hr_bpm", "mean_rmssd_ms", "mean_coherence_ratio",
                "peak_coherence_ratio", "coherent_s", "glimmers", "pacer_start_rate_per_min", "pacer_end_rate_per_min",
                "mean_synchrony", "peak_synchrony")
METRIC_KEYS = ("hr_bpm", "rmssd_ms", "coherence_ratio", "breath_rate_per_min", "pacer_rate_per_min", "signal_quality",
               "synchrony", "synchrony_lag_s")


def resolve_store_path(setting: str, environ: Mapping[str, str] | None = None) -> Path:
    """Where the store lives: `store.path` if set, else glimmer.db in the state directory: systemd's
    $STATE_DIRECTORY, else /var/lib/glimmer if it exists (the device), else $XDG_STATE_HOME/glimmer
    (default ~/.local/state/glimmer, created; a laptop running the simulator). StoreNotWritable when that
    directory cannot be created (a read-only place, a file in the way)."""
    env = os.environ if environ is None else environ
    if setting:
        return Path(setting).expanduser()
    if env.get("STATE_DIRECTORY"):
        return Path(env["STATE_DIRECTORY"].split(":")[0]) / DB_NAME
    if SYSTEM_STATE_DIR.is_dir():
        return SYSTEM_STATE_DIR / DB_NAME
    xdg = Path(env.get("XDG_STATE_HOME") or Path(env.get("HOME", "~")).expanduser() / ".local" / "state")
    directory = xdg / "glimmer"
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreNotWritable(f"the state directory {directory} cannot be created "
                               f"({exc.strerror or exc}); set store.path or XDG_STATE_HOME") from exc
    return directory / DB_NAME


def stamp(at: datetime) -> str:
    """The stored form of a wall time: local ISO 8601 to the second, no offset."""
    return at.replace(tzinfo=None).isoformat(timespec="seconds")


def is_disk_full(exc: BaseException) -> bool:
    """Did SQLite refuse a write for lack of space (SQLITE_FULL: disk full or max_page_count reached)?"""
    return isinstance(exc, sqlite3.OperationalError) and getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL


def _explain(path: Path, exc: sqlite3.Error) -> StoreError:
    code = getattr(exc, "sqlite_errorcode", None)
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return StoreError(f"the store {path} is locked by another process (is the daemon writing?): {exc}")
    if code in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM) or (
            code is not None and code & 0xFF == sqlite3.SQLITE_READONLY):
        return StoreNotWritable(f"the store {path} cannot be written ({exc}); set store.path to a writable place")
    if code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
        return StoreError(f"the store {path} is not a Glimmer database or is damaged: {exc}")
    return StoreError(f"the store {path}: {exc}")


class Store:
    """An open household store. Use as a context manager or call `close()` (idempotent).

    Raises StoreError (locked, damaged, newer schema) or StoreNotWritable when it cannot be opened.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        if not self.path.parent.is_dir():
            raise StoreNotWritable(f"the store's directory {self.path.parent} does not exist; "
                                   "create it or set store.path")
        try:
            # Autocommit mode: transactions are explicit (BEGIN IMMEDIATE), so nothing is left half-open.
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000.0)
        except sqlite3.Error as exc:
            raise _explain(self.path, exc) from exc
        conn.row_factory = sqlite3.Row
        self._conn: sqlite3.Connection | None = conn
        self.device_lock: DeviceLock | None = None  # held while a device process records here
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
            conn.execute("PRAGMA foreign_keys = ON")
            self._refuse_newer()  # before anything (even the journal mode) changes the file
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode != "wal":
                raise StoreError(f"the store {self.path} cannot use write-ahead logging (journal mode {mode})")
            conn.execute("PRAGMA synchronous = NORMAL")
            self._migrate()
        except sqlite3.Error as exc:
            conn.close()
            raise _explain(self.path, exc) from exc
        except StoreError:
            conn.close()
            raise

    # -- life cycle -------------------------------------------------------------------------------

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        lock, self.device_lock = self.device_lock, None
        if lock is not None:
            lock.release()
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError(f"the store {self.path} is closed")
        return self._conn

    @property
    def schema_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def integrity_check(self) -> list[str]:
        """SQLite's `PRAGMA integrity_check` plus `foreign_key_check`: [] when the file is sound."""
        rows = [r[0] for r in self.conn.execute("PRAGMA integrity_check")]
        problems = [] if rows == ["ok"] else rows
        problems += [f"foreign key: {tuple(r)}" for r in self.conn.execute("PRAGMA foreign_key_check")]
        return problems

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE): all of it or none. sqlite3 errors become StoreError,
        except a full disk (sqlite3.OperationalError, see `is_disk_full`) and a broken constraint
        (sqlite3.IntegrityError), which the caller turns into what they mean."""
        conn = self.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise _explain(self.path, exc) from exc
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error) and not is_disk_full(exc) \
                    and not isinstance(exc, sqlite3.IntegrityError):
                raise _explain(self.path, exc) from exc
            raise

    def _refuse_newer(self) -> None:
        _refuse_version(self.path, self.schema_version)

    def _migrate(self) -> None:
        version = self.schema_version
        for number in range(version + 1, SCHEMA_VERSION + 1):
            migration = MIGRATIONS[number - 1]
            with self.transaction() as conn:
                # Read again under the write lock: another process opening the same new store (two first
                # runs at once) may have applied this step since the version was read above.
                if int(conn.execute("PRAGMA user_version").fetchone()[0]) >= number:
                    continue
                for statement in _statements(migration.sql):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {number}")
            log.info("store %s: schema version %d (%s)", self.path, number, migration.description)

    # -- sessions ---------------------------------------------------------------------------------

    def next_session_id(self) -> int:
        """The id the next session row would get: the device numbers its sessions from here, so the
        number in its logs and on MQTT is the id `glimmer history` shows."""
        return int(self.conn.execute("SELECT coalesce(max(id), 0) + 1 FROM sessions").fetchone()[0])

    def open_session(self, person_id: int, started_at: datetime, kind: str = "session",
                     session_id: int | None = None, together_with: int | None = None) -> int:
        """A new session row, status `open`, for person_id; returns its id: `session_id` (the device's
        number for it) unless another process has taken that id, then the next free one (logged).
        `together_with`: the other person's session of a together session (both rows are linked, if it is
        stored: a guest's is not)."""
        with self.transaction() as conn:
            free = session_id is not None and conn.execute(
                "SELECT 1 FROM sessions WHERE id = ?", (session_id,)).fetchone() is None
            other = together_with if together_with is not None and conn.execute(
                "SELECT 1 FROM sessions WHERE id = ?", (together_with,)).fetchone() is not None else None
            cur = conn.execute("INSERT INTO sessions (id, person_id, kind, status, started_at, together_with) "
                               "VALUES (?, ?, ?, 'open', ?, ?)",
                               (session_id if free else None, person_id, kind, stamp(started_at), other))
            row_id = int(cur.lastrowid or 0)
            if other is not None:
                conn.execute("UPDATE sessions SET together_with = ? WHERE id = ?", (row_id, other))
        if session_id is not None and row_id != session_id:
            log.warning("session %d is stored as session %d (another process took its number)", session_id, row_id)
        return row_id

    def add_metrics(self, session_id: int, rows: Sequence[dict[str, Any]]) -> None:
        """Per-period rows, each with `t_s`, `at` (datetime) and any of METRIC_KEYS (None allowed)."""
        with self.transaction() as conn:
            conn.executemany(
                f"INSERT OR REPLACE INTO session_metrics (session_id, t_s, at, {', '.join(METRIC_KEYS)}) "
                f"VALUES (?, ?, ?, {', '.join('?' * len(METRIC_KEYS))})",
                [(session_id, r["t_s"], stamp(r["at"]), *(r.get(k) for k in METRIC_KEYS)) for r in rows])

    def add_glimmer(self, session_id: int, t_s: float, at: datetime) -> None:
        with self.transaction() as conn:
            conn.execute("INSERT OR IGNORE INTO glimmers (session_id, t_s, at) VALUES (?, ?, ?)",
                         (session_id, t_s, stamp(at)))

    def close_session(self, session_id: int, ended_at: datetime, summary: dict[str, Any],
                      status: str = "closed", kind: str | None = None) -> None:
        """Store the summary (keys of SUMMARY_KEYS; missing ones NULL) and mark the session closed; `kind`
        ("session" or "assessment"), when given, is what the session turned out to be."""
        with self.transaction() as conn:
            if kind is not None:
                conn.execute("UPDATE sessions SET kind = ? WHERE id = ?", (kind, session_id))
            conn.execute(
                f"UPDATE sessions SET status = ?, ended_at = ?, {', '.join(f'{k} = ?' for k in SUMMARY_KEYS)} "
                "WHERE id = ?", (status, stamp(ended_at), *(summary.get(k) for k in SUMMARY_KEYS), session_id))

    def discard_session(self, session_id: int) -> None:
        """Delete a session that never was one, with its metrics and glimmers (ON DELETE CASCADE): its finger
        was lifted while it settled, and the device went back to idle without a session
        (device/pacing/session.py). Only an `open` row is deleted; a closed or interrupted one is kept."""
        with self.transaction() as conn:
            conn.execute("DELETE FROM sessions WHERE id = ? AND status = 'open'", (session_id,))

    def mark_interrupted(self) -> list[int]:
        """Mark every session still `open` (the process died under it) `interrupted`; its summary is
        computed from the metrics stored before the interruption. Returns their ids."""
        ids = [int(r[0]) for r in self.conn.execute("SELECT id FROM sessions WHERE status = 'open'")]
        for session_id in ids:
            summary, ended = self._summary_from_metrics(session_id)
            started = self.conn.execute("SELECT started_at FROM sessions WHERE id = ?", (session_id,)).fetchone()[0]
            ended_at = datetime.fromisoformat(ended or started)
            self.close_session(session_id, ended_at, summary, status="interrupted")
            log.warning("session %d was interrupted (power cut or crash); kept with what was stored", session_id)
        return ids

    def _summary_from_metrics(self, session_id: int) -> tuple[dict[str, Any], str | None]:
        row = self.conn.execute(
            "SELECT min(t_s), max(t_s), max(at), avg(hr_bpm), avg(rmssd_ms), avg(coherence_ratio), "
            "max(coherence_ratio), (SELECT count(*) FROM glimmers WHERE session_id = ?), "
            "sum(pacer_rate_per_min IS NOT NULL), avg(synchrony), max(synchrony) "
            "FROM session_metrics WHERE session_id = ?",
            (session_id, session_id)).fetchone()
        t0, t1, last_at, hr, rmssd, coh, peak, glimmers, n_paced, sync, sync_peak = row
        rates = self.conn.execute(
            "SELECT pacer_rate_per_min FROM session_metrics WHERE session_id = ? AND pacer_rate_per_min IS NOT NULL "
            "ORDER BY t_s", (session_id,)).fetchall()
        period = self._period_s(session_id)

        def r(x: float | None, digits: int = 2) -> float | None:
            return None if x is None else round(float(x), digits)

        summary = {
            "duration_s": r(t1 - t0 + period, 1) if t0 is not None else 0.0,
            "paced_s": r((n_paced or 0) * period, 1),
            "mean_hr_bpm": r(hr), "mean_rmssd_ms": r(rmssd),
            "mean_coherence_ratio": r(coh), "peak_coherence_ratio": r(peak),
            "coherent_s": None, "glimmers": int(glimmers or 0),
            "pacer_start_rate_per_min": r(rates[0][0]) if rates else None,
            "pacer_end_rate_per_min": r(rates[-1][0]) if rates else None,
            "mean_synchrony": r(sync), "peak_synchrony": r(sync_peak, 3),
        }
        return summary, last_at

    def _period_s(self, session_id: int) -> float:
        t = [r[0] for r in self.conn.execute(
            "SELECT t_s FROM session_metrics WHERE session_id = ? ORDER BY t_s LIMIT 2", (session_id,))]
        return float(t[1] - t[0]) if len(t) == 2 else 0.0

    def prune(self, retention_days: int, now: datetime) -> int:
        """Delete per-period metrics of sessions that started more than retention_days before now.
        Session summaries, glimmer moments and assessments are kept. Returns the rows deleted."""
        cutoff = stamp(now - timedelta(days=retention_days))
        with self.transaction() as conn:
            cur = conn.execute("DELETE FROM session_metrics WHERE session_id IN "
                               "(SELECT id FROM sessions WHERE started_at < ?)", (cutoff,))
            return cur.rowcount

    # -- reading ----------------------------------------------------------------------------------

    def sessions(self, person_id: int | Sequence[int] | None = None, since: datetime | None = None,
                 kind: str | None = "session") -> list[dict[str, Any]]:
        """Session rows (oldest first) of one person or several (ids), with the person's name and
        `person_removed` (1 when they were removed with their history kept), as dicts."""
        where: list[str] = ["1"]
        args: list[Any] = []
        if person_id is not None:
            ids = [person_id] if isinstance(person_id, int) else list(person_id)
            where.append(f"s.person_id IN ({', '.join('?' * len(ids))})")
            args.extend(ids)
        if since is not None:
            where.append("s.started_at >= ?")
            args.append(stamp(since))
        if kind is not None:
            where.append("s.kind = ?")
            args.append(kind)
        rows = self.conn.execute(
            f"SELECT s.*, p.name AS person, p.removed_at IS NOT NULL AS person_removed "
            f"FROM sessions s JOIN people p ON p.id = s.person_id "
            f"WHERE {' AND '.join(where)} ORDER BY s.started_at, s.id", args)
        return [dict(r) for r in rows]

    def session(self, session_id: int) -> dict[str, Any] | None:
        """One session row (as `sessions` gives them, with the person's name), or None when there is none."""
        row = self.conn.execute(
            "SELECT s.*, p.name AS person, p.removed_at IS NOT NULL AS person_removed "
            "FROM sessions s JOIN people p ON p.id = s.person_id WHERE s.id = ?", (session_id,)).fetchone()
        return None if row is None else dict(row)

    def session_metrics(self, session_id: int) -> list[dict[str, Any]]:
        rows = self.conn.execute("SELECT * FROM session_metrics WHERE session_id = ? ORDER BY t_s", (session_id,))
        return [dict(r) for r in rows]

    def glimmers(self, session_id: int) -> list[dict[str, Any]]:
        rows = self.conn.execute("SELECT * FROM glimmers WHERE session_id = ? ORDER BY t_s", (session_id,))
        return [dict(r) for r in rows]

    # -- the active person -------------------------------------------------------------------------

    def active_person_id(self) -> tuple[bool, int | None]:
        """(whether anyone was ever chosen, the id of the active person or None for a guest)."""
        row = self.conn.execute("SELECT person_id FROM active_person WHERE one = 1").fetchone()
        return (False, None) if row is None else (True, None if row[0] is None else int(row[0]))

    def set_active_person(self, person_id: int | None) -> None:
        """Keep who is active (None: a guest) for the next start."""
        with self.transaction() as conn:
            conn.execute("INSERT INTO active_person (one, person_id) VALUES (1, ?) "
                         "ON CONFLICT (one) DO UPDATE SET person_id = excluded.person_id", (person_id,))

    def partner_person_id(self) -> tuple[bool, int | None]:
        """Who is on sensor B (together mode): (whether anyone was ever chosen, their id or None for a guest)."""
        row = self.conn.execute("SELECT person_id FROM partner WHERE one = 1").fetchone()
        return (False, None) if row is None else (True, None if row[0] is None else int(row[0]))

    def set_partner_person(self, person_id: int | None) -> None:
        """Keep who is on sensor B (None: a guest) for the next start."""
        with self.transaction() as conn:
            conn.execute("INSERT INTO partner (one, person_id) VALUES (1, ?) "
                         "ON CONFLICT (one) DO UPDATE SET person_id = excluded.person_id", (person_id,))

    # -- assessments ------------------------------------------------------------------------------

    def add_assessment(self, person_id: int, at: datetime, resonance_rate_per_min: float | None, reason: str,
                       steps: Sequence[dict[str, Any]], person_rate_per_min: float | None = None) -> int:
        """Store an assessment and its steps; `person_rate_per_min` (default: the result) becomes the
        person's resonance rate, in the same transaction."""
        if person_rate_per_min is None:
            person_rate_per_min = resonance_rate_per_min
        step_keys = ("rate_per_min", "attempt", "followed", "breath_rate_per_min", "hr_swing_bpm", "lf_power_bpm2",
                     "phase_deg")
        with self.transaction() as conn:
            cur = conn.execute("INSERT INTO assessments (person_id, at, resonance_rate_per_min, reason) "
                               "VALUES (?, ?, ?, ?)", (person_id, stamp(at), resonance_rate_per_min, reason))
            assessment_id = int(cur.lastrowid or 0)
            conn.executemany(
                f"INSERT INTO assessment_steps (assessment_id, step, {', '.join(step_keys)}) "
                f"VALUES (?, ?, {', '.join('?' * len(step_keys))})",
                [(assessment_id, i, *(s.get(k) for k in step_keys)) for i, s in enumerate(steps)])
            if person_rate_per_min is not None:
                conn.execute("UPDATE people SET resonance_rate_per_min = ? WHERE id = ?",
                             (person_rate_per_min, person_id))
            return assessment_id

    def assessments(self, person_id: int) -> list[dict[str, Any]]:
        """The person's assessments, oldest first, each with its `steps`."""
        out = []
        for row in self.conn.execute("SELECT * FROM assessments WHERE person_id = ? ORDER BY at, id", (person_id,)):
            item = dict(row)
            item["steps"] = [dict(s) for s in self.conn.execute(
                "SELECT * FROM assessment_steps WHERE assessment_id = ? ORDER BY step", (row["id"],))]
            for step in item["steps"]:
                step["followed"] = bool(step["followed"])
                del step["assessment_id"]
            out.append(item)
        return out


def _refuse_version(path: Path, version: int) -> None:
    if version > SCHEMA_VERSION:
        raise StoreTooNew(f"the store {path} is from a newer Glimmer (schema version {version}; this one knows "
                          f"up to {SCHEMA_VERSION}); it is left untouched: upgrade Glimmer or point store.path "
                          "elsewhere")


def refuse_newer_store(path: Path) -> None:
    """Raise StoreTooNew if the SQLite file at `path` has a schema version above SCHEMA_VERSION.

    Reads the file's header as immutable (no lock, no -wal or -shm file made) and writes nothing; a
    missing or unreadable file is no concern of this check (whoever opens it for real reports that; a
    version still in the write-ahead log is seen by `Store` itself). For a first look before anything
    else is touched (`glimmer run`) and for code that opens the store's file without `Store` (the MQTT
    outbox)."""
    if not path.is_file():
        return
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
        try:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error:
        return
    _refuse_version(path, version)


def _statements(sql: str) -> list[str]:
    """Split a migration's SQL into complete statements (sqlite3.complete_statement decides)."""
    out, current = [], ""
    for line in sql.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            out.append(current.strip())
            current = ""
    if current.strip():
        raise StoreError(f"incomplete SQL statement in a migration: {current.strip()[:60]}")
    return out
