"""One device process per store: a second one (another `glimmer sim --user`, a sim beside `glimmer run`)
is refused with exit 75 naming the holder, and never marks the first one's live session interrupted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from device.cli import EX_TEMPFAIL, main
from device.config import load_config
from device.errors import StoreInUse
from device.home.devicelock import DeviceLock
from device.home.people import add_person, new_person
from device.home.store import Store

NOON = datetime(2026, 6, 1, 12, 0)


def test_a_second_lock_on_one_store_is_refused_until_the_first_is_released(tmp_path: Path) -> None:
    db = tmp_path / "g.db"
    first = DeviceLock(db)  # separate open file descriptions conflict even within one process
    with pytest.raises(StoreInUse, match=rf"the store {db} is in use by another glimmer device process "
                                         rf"\(pid {os.getpid()}\)"):
        DeviceLock(db)
    first.release()
    first.release()  # idempotent
    DeviceLock(db).release()  # free again
    other = DeviceLock(tmp_path / "h.db")  # another store: its own lock
    DeviceLock(db).release()
    other.release()


def test_a_second_device_process_exits_75_and_leaves_the_first_session_alone(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "glimmer.db"
    config = tmp_path / "config.toml"
    config.write_text(f'[store]\npath = "{db}"\n[metrics]\nperiod_s = 1\n')
    with Store(db) as store:
        add_person(store, new_person("Ann", load_config(config)), NOON)
    proc = subprocess.Popen(
        [sys.executable, "-m", "device.cli", "-c", str(config), "sim", "--speed", "max", "--minutes", "600",
         "--json", "--user", "Ann", "--wav", str(tmp_path / "a.wav")],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert proc.stdout is not None
        proc.stdout.readline()  # it runs: its lock is held (taken before the first session)
        lock_text = (tmp_path / "glimmer.db.lock").read_text().strip()
        assert lock_text == str(proc.pid)
        for argv in (["sim", "--speed", "max", "--minutes", "1", "--json", "--user", "Ann"],
                     ["sim", "--speed", "max", "--minutes", "1", "--json"]):  # a guest sim tidies the store too
            code = main(["-c", str(config), *argv, "--wav", str(tmp_path / "b.wav")])
            _, err = capsys.readouterr()
            assert code == EX_TEMPFAIL
            assert f"the store {db} is in use by another glimmer device process (pid {proc.pid})" in err
        with Store(db) as store:  # the first one's session was not marked interrupted
            assert "interrupted" not in {s["status"] for s in store.sessions(kind=None)}
        assert main(["-c", str(config), "users", "list"]) == 0  # reading commands are not held back
        assert main(["-c", str(config), "history"]) == 0
    finally:
        proc.send_signal(signal.SIGKILL)  # the kernel lets go of the lock of a killed process
        proc.wait(timeout=30)
    deadline = time.monotonic() + 10
    while True:
        try:
            DeviceLock(db).release()
            break
        except StoreInUse:
            assert time.monotonic() < deadline
            time.sleep(0.05)


def test_a_symlink_to_the_store_is_the_same_store(tmp_path: Path) -> None:
    db = tmp_path / "g.db"
    db.touch()
    (tmp_path / "elsewhere").mkdir()
    link = tmp_path / "elsewhere" / "link.db"
    link.symlink_to(db)
    first = DeviceLock(db)
    with pytest.raises(StoreInUse):
        DeviceLock(link)
    first.release()


def test_forgetting_someone_whose_session_runs_on_the_device_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    """The device's recorder would write into rows deleted under it (and stop): forget once it ended, or
    remove with the history kept now."""
    from device.errors import DataError
    from device.home.people import get_person, remove_person

    path = tmp_path / "g.db"
    with Store(path) as store:
        ann = add_person(store, new_person("Ann", load_config()), NOON)
        assert ann.id is not None
        running = store.open_session(ann.id, NOON)
        lock = DeviceLock(path)  # the device process holding the store
        with pytest.raises(DataError, match=rf"Ann's session {running} is running on the device \(pid "):
            remove_person(store, "Ann", forget=True, at=NOON)
        assert get_person(store, "Ann").id == ann.id and len(store.sessions(kind=None)) == 1
        remove_person(store, "Ann", forget=False, at=NOON)  # kept history: allowed while it runs
        lock.release()
    with Store(path) as store:  # no device any more (a killed one's session stays open): forgetting works
        ann2 = add_person(store, new_person("Bo", load_config()), NOON)
        assert ann2.id is not None
        store.open_session(ann2.id, NOON)
        assert remove_person(store, "Bo", forget=True, at=NOON) == 1
