"""`glimmer users`, `history`, `report` and `sim --user/--assess`: what they print, and bad input refused
with exit 65 or 78 and nothing changed."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest

from device.cli import EX_CONFIG, EX_DATAERR, main
from device.home.store import SCHEMA_VERSION, Store, resolve_store_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


BEATS_PER_MIN_KEYS = {"hr_bpm", "mean_hr_bpm", "hr_swing_bpm", "hr_amplitude_bpm", "lf_power_bpm2"}


def _bpm_keys(obj: object) -> set[str]:
    """Every key containing "bpm" anywhere in a JSON value."""
    if isinstance(obj, dict):
        return {k for k in obj if "bpm" in k} | set().union(*(_bpm_keys(v) for v in obj.values()))
    if isinstance(obj, list):
        return set().union(*(_bpm_keys(v) for v in obj))
    return set()


def test_a_setting_under_its_old_bpm_name_is_taken_with_a_warning(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "users", "add", "Ann", "resonance_rate_bpm=5.5")
    assert code == 0 and "resonance_rate_bpm is now resonance_rate_per_min" in err
    code, out, _ = run(capsys, "users", "show", "Ann", "--json")
    shown = json.loads(out)
    assert shown["resonance_rate_per_min"] == 5.5 and "resonance_rate_bpm" not in shown


def db_bytes() -> bytes:
    return resolve_store_path("").read_bytes()


def test_people_are_added_listed_edited_shown_and_removed(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "users", "add", "Ann", "volume=0.4", "hum_pitch_hz=110")[0] == 0
    assert run(capsys, "users", "add", "Bob")[0] == 0
    code, out, _ = run(capsys, "users", "list", "--json")
    people = json.loads(out)
    assert [p["name"] for p in people] == ["Ann", "Bob"]
    assert people[0]["volume"] == 0.4 and people[0]["hum_pitch_hz"] == 110.0
    assert run(capsys, "users", "edit", "ann", "name=Anna", "hum_enabled=off")[0] == 0
    code, out, _ = run(capsys, "users", "show", "Anna", "--json")
    shown = json.loads(out)
    assert shown["hum_enabled"] is False and shown["assessments"] == []
    code, out, _ = run(capsys, "users", "remove", "Bob", "--forget")
    assert code == 0 and "forgotten" in out
    assert [p["name"] for p in json.loads(run(capsys, "users", "list", "--json")[1])] == ["Anna"]


@pytest.mark.parametrize(("argv", "message"), [
    (("users", "add", "Ann"), "already a person called 'Ann'"),
    (("users", "add", "Cy", "volume=1.5"), r"volume: expected 0\.0 to 1\.0"),
    (("users", "add", "Cy", "loudness=1"), "expected SETTING=VALUE"),
    (("users", "add", "Cy", "hum_enabled=maybe"), "expected true or false"),
    (("users", "edit", "Cy", "volume=0.2"), "no person called 'Cy'"),
    (("users", "edit", "Ann", "resonance_rate_per_min=9"), r"resonance_rate_per_min: expected 4\.5 to 7\.0"),
    (("users", "remove", "Cy", "--forget"), "no person called 'Cy'"),
    (("users", "remove", "Ann"), "say --keep-history or --forget"),
    (("history", "--user", "Cy"), "no person called 'Cy'"),
    # one person whatever the case or Unicode form: composed/decomposed, upper case, compatibility forms
    (("users", "add", "ANN"), "already a person called 'Ann'"),
    (("users", "add", "Bob", "name=Carl"), "the NAME argument"),
    (("users", "add", "Cy", "volume=0.3", "volume=0.5"), "given twice"),
    (("users", "add", "a\x1b[31m"), "no control characters"),
    (("users", "add", "\u200b"), "letters or digits"),
    (("users", "add", "x" * 5000), r"expected 1 to \d+ characters"),
])
def test_bad_input_exits_65_naming_the_problem_and_changes_nothing(
        capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert run(capsys, "users", "add", "Ann")[0] == 0
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    before = db_bytes()
    code, _, err = run(capsys, *argv)
    assert code == EX_DATAERR
    assert re.search(message, err), err
    assert db_bytes() == before


@pytest.mark.parametrize("again", ["Zoe\u0308", "ZO\u00cb", "zo\u00eb"])
def test_one_name_in_any_case_or_unicode_form_is_one_person(capsys: pytest.CaptureFixture[str], again: str) -> None:
    assert run(capsys, "users", "add", "Zo\u00eb")[0] == 0
    before = db_bytes()
    code, _, err = run(capsys, "users", "add", again)
    assert code == EX_DATAERR and "already a person called 'Zo\u00eb'" in err
    assert db_bytes() == before


def test_a_store_from_a_newer_glimmer_exits_65_untouched(capsys: pytest.CaptureFixture[str]) -> None:
    path = resolve_store_path("")
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.close()
    before = path.read_bytes()
    code, _, err = run(capsys, "users", "list")
    assert code == EX_DATAERR and "newer Glimmer" in err
    assert path.read_bytes() == before


def test_a_store_path_that_cannot_be_written_exits_78(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(f'[store]\npath = "{tmp_path}/missing/dir/g.db"\n')
    code, _, err = run(capsys, "--config", str(config), "users", "add", "Ann")
    assert code == EX_CONFIG and "does not exist" in err
    assert not (tmp_path / "missing").exists()


def test_a_simulated_session_shows_in_history_and_in_a_report(capsys: pytest.CaptureFixture[str],
                                                               tmp_path: Path) -> None:
    assert run(capsys, "users", "add", "Ann")[0] == 0
    code, _, err = run(capsys, "sim", "--speed", "max", "--minutes", "4", "--json", "--user", "Ann",
                       "--wav", str(tmp_path / "s.wav"))
    assert code == 0
    assert f"store {resolve_store_path('')}" in err  # the store is named at start
    code, out, _ = run(capsys, "history", "--json")
    (row,) = json.loads(out)
    assert row["person"] == "Ann" and row["status"] == "closed" and row["mean_hr_bpm"] > 40
    code, out, _ = run(capsys, "history", "--since", f"{datetime.now():%Y-%m-%d}")
    assert "Ann" in out
    code, out, _ = run(capsys, "history", "--since", "2999-01-01")
    assert "no sessions" in out

    html_path, png_path = tmp_path / "r.html", tmp_path / "r.png"
    assert run(capsys, "report", "--user", "Ann", "--out", str(html_path))[0] == 0
    page = html_path.read_text()
    assert page.count('src="data:image/png;base64,') == 2
    assert not re.search(r'(src|href)="(?!data:)', page)  # nothing to fetch: opens offline
    assert run(capsys, "report", "--user", "Ann", "--out", str(png_path), "--session", str(row["id"]))[0] == 0
    assert png_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    code, _, err = run(capsys, "report", "--user", "Ann", "--out", str(tmp_path / "r.pdf"))
    assert code == EX_DATAERR and ".png or an .html" in err
    code, _, err = run(capsys, "report", "--user", "Ann", "--out", str(png_path), "--session", "999")
    assert code == EX_DATAERR and "no session 999" in err


def test_a_guest_simulation_stores_nothing(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "sim", "--speed", "max", "--minutes", "2", "--json", "--wav", str(tmp_path / "s.wav"),
                       "-v")
    assert code == 0 and "a guest (nothing is stored)" in err  # said at INFO: -v
    with Store(resolve_store_path("")) as store:
        assert store.sessions(kind=None) == []


def test_sim_assess_json_is_one_object_and_is_stored_for_the_user(capsys: pytest.CaptureFixture[str],
                                                                   tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    # A short protocol keeps the test fast; the pinned accuracy tests use the default one.
    config.write_text('[assessment]\nrates_per_min = "6.5, 6.0, 5.5"\nstep_s = 80.0\nsettle_s = 20.0\n')
    assert run(capsys, "users", "add", "Ann")[0] == 0
    code, out, _ = run(capsys, "--config", str(config), "sim", "--assess", "--json", "--speed", "max",
                       "--user", "Ann")
    assert code == 0
    result = json.loads(out)
    assert set(result) >= {"resonance_rate_per_min", "reason", "steps", "true_resonance_rate_per_min"}
    assert len(result["steps"]) >= 3
    code, out, _ = run(capsys, "users", "show", "Ann", "--json")
    (stored,) = json.loads(out)["assessments"]
    assert stored["resonance_rate_per_min"] == result["resonance_rate_per_min"]
    assert [s["rate_per_min"] for s in stored["steps"]] == [s["rate_per_min"] for s in result["steps"]]
    code, out, _ = run(capsys, "users", "list", "--json")
    for shown in (result, stored, json.loads(out)):  # `_bpm` is the heart's beats per minute alone
        assert _bpm_keys(shown) <= BEATS_PER_MIN_KEYS, _bpm_keys(shown)
    code, out, _ = run(capsys, "users", "show", "Ann")
    assert "assessment" in out and "rate/min" in out
