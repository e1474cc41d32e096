"""The household store: migrations from every earlier version, integrity, retention, faults."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from device.config import load_config
from device.errors import DataError, StoreError, StoreNotWritable
from device.home import store as store_module
from device.home.people import (
    PALETTE,
    add_person,
    edited,
    free_colour,
    get_person,
    list_people,
    new_person,
    remove_person,
    update_person,
)
from device.home.store import MIGRATIONS, SCHEMA_VERSION, Store, is_disk_full, resolve_store_path

NOW = datetime(2026, 11, 29, 21, 0, 0)

# Checksums of the migrations that have shipped. A migration that shipped must never change (a device
# in the field has it applied already); append a new one instead, and add its checksum here.
SHIPPED = [
    ("people, sessions, per-period metrics, glimmer moments, resonance assessments", "c19e501dbeead9f5"),
    ("MQTT outbox: messages waiting for the broker, drop counts, discovery bookkeeping", "2fe2e1a586b09a09"),
    ("breaths per minute are _per_min (beats per minute alone are _bpm)", "d8169b5fb910cb76"),
    ("the household's active person, kept across restarts", "08b522a2ee688c76"),
    ("together mode: the partner on sensor B, each person's session linked to the other's, synchrony",
     "4a37feab05fa8956"),
]


def _checksum(m: store_module.Migration) -> str:
    return hashlib.sha256(m.sql.encode()).hexdigest()[:16]


def _database_at(path: Path, version: int) -> None:
    """A database as a Glimmer of schema `version` left it: migrations 1..version applied."""
    conn = sqlite3.connect(path, isolation_level=None)
    for number, migration in enumerate(MIGRATIONS[:version], start=1):
        conn.executescript(f"BEGIN; {migration.sql}; PRAGMA user_version = {number}; COMMIT;")
    conn.close()


def _fill(store: Store) -> int:
    """One person with one closed session, metrics, a glimmer and an assessment; returns the session id."""
    person = add_person(store, new_person("Ann", load_config()), NOW)
    assert person.id is not None
    sid = store.open_session(person.id, NOW)
    store.add_metrics(sid, [{"t_s": 5.0 * i, "at": NOW + timedelta(seconds=5 * i), "hr_bpm": 60.0 + i,
                             "rmssd_ms": 40.0, "coherence_ratio": 1.0 + i, "pacer_rate_per_min": 6.0}
                            for i in range(10)])
    store.add_glimmer(sid, 30.0, NOW + timedelta(seconds=30))
    store.close_session(sid, NOW + timedelta(seconds=50), {"duration_s": 50.0, "mean_hr_bpm": 64.5, "glimmers": 1})
    store.add_assessment(person.id, NOW, 5.5, "test", [{"rate_per_min": 6.5, "attempt": 1, "followed": True}])
    return sid


def test_shipped_migrations_never_change() -> None:
    # The SQL of a shipped migration is pinned by its checksum (the message prints the new ones).
    now = [(m.description, _checksum(m)) for m in MIGRATIONS]
    assert len(now) == SCHEMA_VERSION
    assert now[: len(SHIPPED)] == SHIPPED, f"a shipped migration changed; migrations now {now}"


@pytest.mark.parametrize("version", range(SCHEMA_VERSION + 1))
def test_a_database_of_every_earlier_version_opens_and_is_brought_up_to_date(tmp_path: Path, version: int) -> None:
    path = tmp_path / "old.db"
    _database_at(path, version)
    if version >= 1:  # data written by that version survives the upgrade
        with Store(path) as s:
            pass
        os.remove(path)
        _database_at(path, version)
        conn = sqlite3.connect(path)
        conn.execute("INSERT INTO people (name, colour, inhale_ratio, exhale_ratio, hum_enabled, hum_pitch_hz, "
                     "volume, brightness, night_brightness_cap, night_volume_cap, created_at) "
                     "VALUES ('Old', '#ffffff', 4, 6, 1, 130, 0.5, 0.6, 0.25, 0.3, '2026-01-01T00:00:00')")
        conn.commit()
        conn.close()
    with Store(path) as s:
        assert s.schema_version == SCHEMA_VERSION
        assert s.integrity_check() == []
        if version >= 1:
            assert get_person(s, "old").name == "Old"
        _fill(s)  # and the upgraded database takes new data


def test_a_database_from_a_newer_glimmer_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match="newer Glimmer"):
        Store(path)
    assert path.read_bytes() == before


def test_wal_and_foreign_keys_are_on(tmp_path: Path) -> None:
    with Store(tmp_path / "g.db") as s:
        assert s.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert s.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        with pytest.raises(sqlite3.IntegrityError):
            s.open_session(person_id=999, started_at=NOW)  # nobody 999: the foreign key refuses it
        assert s.conn.execute("SELECT count(*) FROM sessions").fetchone()[0] == 0


def test_people_settings_round_trip_and_bad_values_change_nothing(tmp_path: Path) -> None:
    with Store(tmp_path / "g.db") as s:
        ann = add_person(s, new_person("Ann", load_config(), hum_pitch_hz=110.0), NOW)
        bob = add_person(s, new_person("Bob", load_config()), NOW)
        assert ann.colour != bob.colour  # each gets the next colour of the palette
        with pytest.raises(DataError, match="already a person called 'Ann'"):
            add_person(s, new_person("ann", load_config()), NOW)
        with pytest.raises(DataError, match=r"volume: expected 0\.0 to 1\.0"):
            edited(ann, volume=1.5)
        with pytest.raises(DataError, match="unknown setting"):
            edited(ann, loudness=0.5)
        update_person(s, edited(ann, resonance_rate_per_min=5.5, hum_enabled=False))
        assert get_person(s, "ANN").resonance_rate_per_min == 5.5
        assert get_person(s, "Ann").hum_enabled is False
        with pytest.raises(DataError, match="no person called 'Cy'"):
            get_person(s, "Cy")
        assert [p.name for p in list_people(s)] == ["Ann", "Bob"]


def test_an_auto_colour_is_one_nobody_has_and_a_chosen_colour_is_kept(tmp_path: Path) -> None:
    config = load_config()
    with Store(tmp_path / "g.db") as s:
        first = add_person(s, new_person("Zoë", config, colour="#ff00aa"), NOW)
        assert first.colour == "#ff00aa"
        second = add_person(s, new_person("Straße", config), NOW)
        assert second.colour == PALETTE[0]  # the first free one, not the palette's second
        pat = add_person(s, new_person("Pat", config, colour=PALETTE[0]), NOW)  # chosen, even if taken
        assert pat.colour == PALETTE[0] and get_person(s, "Pat").colour == PALETTE[0]
        others = [add_person(s, new_person(f"P{i}", config), NOW).colour for i in range(len(PALETTE) - 1)]
        assert others == list(PALETTE[1:])  # every palette colour before any repeats
        remove_person(s, "P2", forget=True, at=NOW)
        assert add_person(s, new_person("Q", config), NOW).colour == PALETTE[3]  # the freed one again
        # All in use: the palette again, the least-used colour first.
        assert add_person(s, new_person("R", config), NOW).colour == PALETTE[1]
    for taken in ([], list(PALETTE), list(PALETTE) * 2 + [PALETTE[4]]):
        got = free_colour(taken)
        assert got in PALETTE and taken.count(got) == min(taken.count(c) for c in PALETTE)


def test_removing_keeps_or_forgets_the_history(tmp_path: Path) -> None:
    with Store(tmp_path / "g.db") as s:
        _fill(s)
        remove_person(s, "Ann", forget=False, at=NOW)
        assert list_people(s) == []
        assert len(s.sessions()) == 1  # kept, under her name
        add_person(s, new_person("Ann", load_config()), NOW)  # the name is free again
        remove_person(s, "Ann", forget=True, at=NOW)  # the new Ann had no history
        assert len(s.sessions()) == 1
    with Store(tmp_path / "h.db") as s:
        _fill(s)
        remove_person(s, "Ann", forget=True, at=NOW)
        for table in ("people", "sessions", "session_metrics", "glimmers", "assessments", "assessment_steps"):
            assert s.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0, table
        assert s.integrity_check() == []
    # Forgotten for good: not even in the file's free pages.
    assert b"Ann" not in (tmp_path / "h.db").read_bytes()


def test_retention_prunes_detail_and_keeps_summaries(tmp_path: Path) -> None:
    with Store(tmp_path / "g.db") as s:
        sid = _fill(s)
        assert s.prune(retention_days=30, now=NOW + timedelta(days=10)) == 0
        assert s.prune(retention_days=30, now=NOW + timedelta(days=31)) == 10
        assert s.session_metrics(sid) == []
        (row,) = s.sessions()
        assert row["mean_hr_bpm"] == 64.5 and row["glimmers"] == 1
        assert len(s.glimmers(sid)) == 1


def test_an_open_session_is_marked_interrupted_with_its_stored_figures(tmp_path: Path) -> None:
    with Store(tmp_path / "g.db") as s:
        person = add_person(s, new_person("Ann", load_config()), NOW)
        assert person.id is not None
        sid = s.open_session(person.id, NOW)
        s.add_metrics(sid, [{"t_s": 5.0 * i, "at": NOW + timedelta(seconds=5 * i), "hr_bpm": 60.0,
                             "coherence_ratio": 2.0, "pacer_rate_per_min": 7.0 - 0.1 * i} for i in range(6)])
    with Store(tmp_path / "g.db") as s:
        assert s.mark_interrupted() == [sid]
        (row,) = s.sessions()
        assert row["status"] == "interrupted"
        assert row["mean_hr_bpm"] == 60.0 and row["duration_s"] == 30.0
        assert row["pacer_start_rate_per_min"] == 7.0 and row["pacer_end_rate_per_min"] == 6.5
        assert row["ended_at"] == (NOW + timedelta(seconds=25)).isoformat()
        assert s.mark_interrupted() == []


def test_a_full_disk_refuses_the_write_and_keeps_what_was_stored(tmp_path: Path) -> None:
    with Store(tmp_path / "g.db") as s:
        sid = _fill(s)
        pages = s.conn.execute("PRAGMA page_count").fetchone()[0]
        s.conn.execute(f"PRAGMA max_page_count = {pages}")  # the disk is full from here on
        rows = [{"t_s": 1000.0 + i, "at": NOW, "hr_bpm": 70.0} for i in range(2000)]
        with pytest.raises(sqlite3.OperationalError) as caught:
            s.add_metrics(sid, rows)
        assert is_disk_full(caught.value)
        assert len(s.session_metrics(sid)) == 10
        assert s.integrity_check() == []


def test_a_locked_store_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_MS", 50)
    path = tmp_path / "g.db"
    Store(path).close()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        with Store(path) as s, pytest.raises(StoreError, match="locked"):
            add_person(s, new_person("Ann", load_config()), NOW)
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_a_read_only_store_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "g.db"
    Store(path).close()
    # A read-only handle gives SQLite's own "readonly" error even where the tests run as root.
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    with pytest.raises(sqlite3.OperationalError) as caught:
        conn.execute("INSERT INTO glimmers VALUES (1, 0, '')")
    conn.close()
    problem = store_module._explain(path, caught.value)
    assert isinstance(problem, StoreNotWritable) and "cannot be written" in str(problem)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes read-only files anyway")
def test_a_read_only_directory_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "g.db"
    Store(path).close()
    for p in tmp_path.iterdir():
        p.chmod(stat.S_IRUSR)
    tmp_path.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        with pytest.raises(StoreNotWritable, match="cannot be written"), Store(path) as s:
            add_person(s, new_person("Ann", load_config()), NOW)
    finally:
        tmp_path.chmod(stat.S_IRWXU)
        for p in tmp_path.iterdir():
            p.chmod(stat.S_IRUSR | stat.S_IWUSR)


def test_the_store_path_follows_the_state_directory(tmp_path: Path) -> None:
    assert resolve_store_path("/x/y.db", {}) == Path("/x/y.db")
    assert resolve_store_path("", {"STATE_DIRECTORY": "/var/lib/glimmer"}) == Path("/var/lib/glimmer/glimmer.db")
    if not store_module.SYSTEM_STATE_DIR.is_dir():
        got = resolve_store_path("", {"XDG_STATE_HOME": str(tmp_path)})
        assert got == tmp_path / "glimmer" / "glimmer.db" and got.parent.is_dir()


def test_breath_rates_stored_under_their_old_names_come_back_under_the_new(tmp_path: Path) -> None:
    """A store written before breaths/min became `_per_min` (schema 2) keeps its resonance rates."""
    path = tmp_path / "old.db"
    _database_at(path, 2)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("INSERT INTO people (id, name, colour, resonance_rate_bpm, inhale_ratio, exhale_ratio, hum_enabled, "
                 "hum_pitch_hz, volume, brightness, night_brightness_cap, night_volume_cap, created_at) "
                 "VALUES (1, 'Ann', '#ff8800', 5.5, 4, 6, 1, 130, 0.5, 1, 0.25, 0.3, '2026-11-01T21:00:00')")
    conn.execute("INSERT INTO assessments (id, person_id, at, resonance_rate_bpm, reason) "
                 "VALUES (1, 1, '2026-11-01T21:00:00', 5.5, 'old')")
    conn.execute("INSERT INTO assessment_steps (assessment_id, step, rate_bpm, attempt, followed) "
                 "VALUES (1, 0, 6.5, 1, 1)")
    conn.close()
    with Store(path) as s:
        ann = get_person(s, "Ann")
        assert ann.resonance_rate_per_min == 5.5
        (found,) = s.assessments(ann.id or 0)
        assert found["resonance_rate_per_min"] == 5.5 and found["steps"][0]["rate_per_min"] == 6.5
        assert "resonance_rate_bpm" not in found and "rate_bpm" not in found["steps"][0]


def test_two_first_opens_at_once_do_not_apply_a_step_twice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two processes opening the same new store at once both read schema version 0; the second then waited
    for the first's write lock and ran its CREATE TABLE again ("table people already exists", a fresh-clone
    tester, two first `glimmer sim` runs). A step is now skipped when, under the lock, it is already there.
    The stale read is made here by reporting version 0 to the opener of a store already migrated."""
    path = tmp_path / "glimmer.db"
    store_module.Store(path).close()
    monkeypatch.setattr(store_module.Store, "schema_version", property(lambda self: 0))
    second = store_module.Store(path)
    monkeypatch.undo()
    assert second.schema_version == store_module.SCHEMA_VERSION
    second.close()
