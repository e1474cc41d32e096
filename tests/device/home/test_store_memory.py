"""SQLite's page cache is bounded per connection (outbox.CACHE_KIB), for the store and the MQTT outbox: a
store that grows every day does not grow the process with it."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from device.home.outbox import open_outbox_db
from device.home.store import CACHE_KIB, Store


def _sqlite_memory_used() -> Callable[[], int]:
    """sqlite3_memory_used() of the library Python's sqlite3 uses (skips where it cannot be reached)."""
    name = ctypes.util.find_library("sqlite3")
    if name is None:
        pytest.skip("libsqlite3 not found as a shared library")
    lib = ctypes.CDLL(name)
    lib.sqlite3_memory_used.restype = ctypes.c_int64
    probe = sqlite3.connect(":memory:")
    before = lib.sqlite3_memory_used()
    probe.execute("CREATE TABLE t (x)")
    probe.executemany("INSERT INTO t VALUES (?)", [(b"x" * 200,) for _ in range(2000)])
    used = lib.sqlite3_memory_used() - before
    probe.close()
    if used <= 0:
        pytest.skip("Python's sqlite3 is not the shared libsqlite3 (its memory cannot be read)")
    return lambda: int(lib.sqlite3_memory_used())


# What the bounded connection may hold: the cache's bound plus SQLite's own per-connection state (schema,
# statements), well under the 2 MB that SQLite's default cache fills to on the same work.
HELD_LIMIT = CACHE_KIB * 1024 + 600_000


def _fill_and_read(conn: sqlite3.Connection) -> None:
    """About 8 MB of rows written, then all read back: every page passes through the cache."""
    conn.execute("CREATE TABLE soak (id INTEGER PRIMARY KEY, at TEXT, payload BLOB)")
    conn.execute("CREATE INDEX soak_at ON soak (at)")
    for chunk in range(20):
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO soak (at, payload) VALUES (?, ?)",
                         [(f"2026-01-01T{chunk:02d}:{i:06d}", bytes(300)) for i in range(1000)])
        conn.execute("COMMIT")
    assert tuple(conn.execute("SELECT count(*), sum(length(payload)) FROM soak").fetchone()) == (20_000, 6_000_000)
    assert len(conn.execute("SELECT at FROM soak ORDER BY at").fetchall()) == 20_000


@pytest.mark.parametrize("opener", ["store", "outbox"])
def test_sqlites_page_cache_stays_within_its_bound(tmp_path: Path, opener: str) -> None:
    memory_used = _sqlite_memory_used()
    gc.collect()  # the counter is the process's: connections other tests left to the collector go first
    start = memory_used()
    if opener == "store":
        store = Store(tmp_path / "glimmer.db")
        conn = store.conn
    else:
        conn = open_outbox_db(tmp_path / "outbox.db")
        conn.isolation_level = None
    assert conn.execute("PRAGMA cache_size").fetchone()[0] == -CACHE_KIB
    _fill_and_read(conn)
    held = memory_used() - start
    assert held < HELD_LIMIT, held
    conn.close()


def test_sqlites_default_cache_would_hold_more(tmp_path: Path) -> None:
    """The same work on a connection with SQLite's default cache (2000 KiB): the check above can fail."""
    memory_used = _sqlite_memory_used()
    gc.collect()
    start = memory_used()
    conn = sqlite3.connect(tmp_path / "default.db", isolation_level=None)
    _fill_and_read(conn)
    # more than the bounded connection may hold (about 2.1 MB alone; a fresh-clone CI run read 1.2 MB more
    # than at its start, another connection of the same worker freed meanwhile)
    assert memory_used() - start > HELD_LIMIT
    conn.close()
