"""Sessions of the simulated device land in the store: for a person, not for a guest, through a full
disk, and through kill -9."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from device.app import build_device
from device.config import load_config
from device.home.household import Household
from device.home.people import add_person, new_person
from device.home.store import Store
from device.publish import RecordingPublisher
from sim.world import build_sim_world

NOON = datetime(2026, 6, 1, 12, 0)


def _run(tmp_path: Path, person: bool, minutes: float = 7.0, full_at_s: float | None = None,
         free_at_s: float | None = None, lift_at_s: float = 240.0,
         period_s: float = 5.0, back_at_s: float = 3600.0) -> tuple[Store, RecordingPublisher, Household]:
    """One session: finger on at 2 s, lifted at lift_at_s (pause, then close a minute later), placed again at
    back_at_s.

    A full disk: SQLite's max_page_count capped at the file's size (SQLITE_FULL, as from a full disk),
    from full_at_s to free_at_s. Rows fill the free room of the pages first, so the session runs long
    enough to need new pages (metrics every second make that quick).
    """
    store = Store(tmp_path / "g.db")
    config = load_config(overrides={"metrics": {"period_s": period_s}})
    who = add_person(store, new_person("Ann", config), NOON) if person else None
    household = Household(store, config, who)
    config = household.config_for(who)
    # Stored stamps are the stamp clock's (real time in `glimmer sim`); here it runs with the simulated clock.
    world = build_sim_world(config, silent=True, start_wall=NOON,
                            stamp_clock=lambda: NOON + timedelta(seconds=world.clock.now_s()))
    world.person.lift_finger(lift_at_s, back_at_s)
    seen = RecordingPublisher()
    glimmer = build_device(config, world.hardware, [seen])
    household.attach(glimmer, NOON)
    if full_at_s is not None:
        glimmer.run(until_s=full_at_s)
        pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
        store.conn.execute(f"PRAGMA max_page_count = {pages}")  # the disk is full from here on
    if free_at_s is not None:
        glimmer.run(until_s=free_at_s)
        store.conn.execute("PRAGMA max_page_count = 1073741823")
    glimmer.run(until_s=minutes * 60.0)
    glimmer.close()
    return store, seen, household


def test_a_persons_session_is_stored_with_its_summary_metrics_and_glimmers(tmp_path: Path) -> None:
    store, seen, _ = _run(tmp_path, person=True)
    (summary,) = seen.summaries
    (row,) = store.sessions()
    assert row["person"] == "Ann" and row["status"] == "closed" and row["kind"] == "session"
    for key in ("duration_s", "mean_hr_bpm", "mean_rmssd_ms", "peak_coherence_ratio", "pacer_start_rate_per_min"):
        assert row[key] == summary[key], key
    recorded = [p for p in seen.metrics_payloads if p["session"] is not None
                and p["session_state"] in ("settling", "pacing", "paused", "closing")]
    stored = store.session_metrics(row["id"])
    assert [m["t_s"] for m in stored] == [p["t_s"] for p in recorded]
    assert [m["hr_bpm"] for m in stored] == [p["hr_bpm"] for p in recorded]
    assert row["glimmers"] == len(store.glimmers(row["id"]))
    assert row["started_at"].startswith("2026-06-01T12:00")


@pytest.mark.parametrize("back_at_s", [40.0, 3600.0])
def test_a_finger_lifted_while_settling_leaves_no_open_session(tmp_path: Path, back_at_s: float) -> None:
    """The device goes back to idle without a session (device/pacing/session.py): the row opened for it
    while it settled is not kept, so nothing stays `open` to be called interrupted at the next start;
    placed again (back_at_s 40 s), the next session is stored as ever."""
    store, seen, _ = _run(tmp_path, person=True, minutes=3.0, lift_at_s=12.0, back_at_s=back_at_s)
    settled = [p["session"] for p in seen.metrics_payloads if p["session_state"] == "settling"]
    assert settled and settled[0] == 1  # the first session did settle, and was stored meanwhile
    rows = store.sessions()
    assert [row["status"] for row in rows] == (["closed"] if back_at_s < 180.0 else [])
    assert len(seen.summaries) == len(rows)
    assert store.conn.execute("SELECT count(*) FROM sessions WHERE status = 'open'").fetchone()[0] == 0
    stored_for = {r[0] for r in store.conn.execute("SELECT DISTINCT session_id FROM session_metrics")}
    assert stored_for == {row["id"] for row in rows}
    assert store.mark_interrupted() == []


def test_a_guest_session_stores_nothing(tmp_path: Path) -> None:
    store, seen, _ = _run(tmp_path, person=False)
    assert len(seen.summaries) == 1  # the session happened
    for table in ("sessions", "session_metrics", "glimmers"):
        assert store.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0


def test_a_full_disk_is_reported_once_the_session_goes_on_and_nothing_is_lost(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="device.home.recorder")
    store, seen, _household = _run(tmp_path, person=True, full_at_s=40.0, free_at_s=200.0, lift_at_s=230.0,
                                   minutes=5.5, period_s=1.0)
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "disk is full" in errors[0].getMessage()
    assert len(seen.summaries) == 1  # the session went on to its end
    (row,) = store.sessions()
    assert row["status"] == "closed"
    recorded = [p["t_s"] for p in seen.metrics_payloads if p["session"] is not None
                and p["session_state"] in ("settling", "pacing", "paused", "closing")]
    # What was refused while the disk was full was written once there was room again: nothing lost.
    assert [m["t_s"] for m in store.session_metrics(row["id"])] == recorded
    assert store.integrity_check() == []


def test_a_full_disk_to_the_end_keeps_what_was_stored(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="device.home.recorder")
    store, seen, _household = _run(tmp_path, person=True, full_at_s=40.0, lift_at_s=230.0, minutes=5.5,
                                   period_s=1.0)
    assert len([r for r in caplog.records if r.levelno == logging.ERROR]) == 1
    assert len(seen.summaries) == 1
    (row,) = store.sessions()
    stored = store.session_metrics(row["id"])
    assert 8 <= len(stored) < len(seen.metrics_payloads) - 60  # the rows of the full disk's time are not there
    assert store.integrity_check() == []
    store.close()
    with Store(tmp_path / "g.db") as again:  # the next start keeps it, marked interrupted
        assert again.mark_interrupted() == [row["id"]]
        assert len(again.session_metrics(row["id"])) == len(stored)


@pytest.mark.parametrize("kill_after_lines", [40, 90])
def test_kill_9_leaves_a_sound_database_and_the_session_marked_interrupted(
        tmp_path: Path, kill_after_lines: int) -> None:
    path = tmp_path / "g.db"
    with Store(path) as store:
        add_person(store, new_person("Ann", load_config()), NOON)
    proc = subprocess.Popen(
        [sys.executable, "-m", "device.cli", "sim", "--speed", "max", "--minutes", "60", "--json",
         "--user", "Ann", "--store", str(path), "--wav", str(tmp_path / "s.wav")],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert proc.stdout is not None
    lines = 0
    for line in proc.stdout:
        if json.loads(line).get("session") is not None:
            lines += 1
        if lines >= kill_after_lines:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    proc.stdout.close()
    with Store(path) as store:
        assert store.integrity_check() == []
        (row,) = store.sessions()
        assert row["status"] == "open"
        assert store.mark_interrupted() == [row["id"]]
        (row,) = store.sessions()
        assert row["status"] == "interrupted" and row["mean_hr_bpm"] is not None
        assert len(store.session_metrics(row["id"])) >= kill_after_lines - 5


def test_an_assessment_is_stored_for_the_person_and_paces_their_next_session(tmp_path: Path) -> None:
    from device.pacing.assessment import AssessmentPlan

    store = Store(tmp_path / "g.db")
    config = load_config(overrides={"sim": {"resonance_rate_per_min": 5.5}})
    ann = add_person(store, new_person("Ann", config), NOON)
    household = Household(store, config, ann)
    world = build_sim_world(household.config_for(ann), silent=True, start_wall=NOON)
    glimmer = build_device(household.config_for(ann), world.hardware)
    household.attach(glimmer, NOON)
    glimmer.start_assessment(AssessmentPlan(rates_per_min=(6.0, 5.5, 5.0), step_s=90.0, settle_s=20.0))
    glimmer.on_session_tick.append(lambda _t: glimmer.stop() if glimmer.session.last_summary else None)
    glimmer.run(until_s=900.0)
    (assessment,) = store.assessments(ann.id or 0)
    (row,) = store.sessions(kind="assessment")
    assert row["status"] == "closed" and row["person"] == "Ann"
    assert len(assessment["steps"]) >= 3
    # The result becomes hers and paces her next session.
    assert assessment["resonance_rate_per_min"] is not None, assessment["reason"]
    assert household.active is not None
    assert household.active.resonance_rate_per_min == assessment["resonance_rate_per_min"]
    assert glimmer.session.target_rate_bpm == assessment["resonance_rate_per_min"]
    glimmer.close()


def test_a_session_that_becomes_an_assessment_while_settling_is_stored_as_one(tmp_path: Path) -> None:
    """A very long press while the session settles turns it into the assessment: its row says so."""
    from device.home.recorder import SessionRecorder

    kind = ["session"]
    with Store(tmp_path / "g.db") as store:
        ann = add_person(store, new_person("Ann", load_config()), datetime(2026, 6, 1, 12))
        recorder = SessionRecorder(store, datetime.now, ann.id, kind_now=lambda: kind[0])
        recorder.metrics({"session": 1, "session_state": "settling", "t_s": 5.0})
        kind[0] = "assessment"  # the press, then pacing as an assessment
        recorder.metrics({"session": 1, "session_state": "pacing", "t_s": 10.0})
        recorder.session_closed({"duration_s": 10.0})
        (row,) = store.sessions(kind=None)
        assert row["kind"] == "assessment" and row["status"] == "closed"
        recorder.metrics({"session": 2, "session_state": "settling", "t_s": 20.0})  # the next starts as one
        kind[0] = "session"
        recorder.session_closed({"duration_s": 5.0})
        assert [r["kind"] for r in store.sessions(kind=None)] == ["assessment", "assessment"]
