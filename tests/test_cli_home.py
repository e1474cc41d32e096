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
from device.config import load_config
from device.home.people import add_person, new_person
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


NEWER_STORE_COMMANDS = [
    ("users", "list"), ("users", "add", "Cy"), ("users", "show", "Ann"), ("users", "edit", "Ann", "volume=0.2"),
    ("users", "remove", "Ann", "--forget"), ("history",), ("history", "--user", "Ann"),
    ("report", "--user", "Ann", "--out", "r.png"),
    ("sim", "--speed", "max", "--minutes", "1", "--json"),  # a guest's simulation opens the store too
    ("sim", "--speed", "max", "--minutes", "1", "--json", "--user", "Ann"),
    ("sim", "--speed", "max", "--assess"),
    ("run",),  # before any hardware is looked at
]


@pytest.mark.parametrize("argv", NEWER_STORE_COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_a_store_from_a_newer_glimmer_is_refused_untouched_by_every_command(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        argv: tuple[str, ...]) -> None:
    monkeypatch.chdir(tmp_path)
    assert run(capsys, "users", "add", "Ann")[0] == 0
    path = resolve_store_path("")
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.close()
    files = {p: p.read_bytes() for p in path.parent.iterdir()}
    code, _, err = run(capsys, *argv)
    assert code == EX_DATAERR
    assert f"newer Glimmer (schema version {SCHEMA_VERSION + 5}; this one knows up to {SCHEMA_VERSION})" in err
    assert {p: p.read_bytes() for p in path.parent.iterdir()} == files  # not a byte written, no file made
    assert not (tmp_path / "r.png").exists()


def test_a_store_path_that_cannot_be_written_exits_78(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(f'[store]\npath = "{tmp_path}/missing/dir/g.db"\n')
    code, _, err = run(capsys, "--config", str(config), "users", "add", "Ann")
    assert code == EX_CONFIG and "does not exist" in err
    assert not (tmp_path / "missing").exists()


@pytest.mark.parametrize("state", ["a file", "/proc/nope"])
@pytest.mark.parametrize("argv", [("users", "list"), ("sim", "--speed", "max", "--minutes", "1", "--json"),
                                  ("sim", "--speed", "max", "--minutes", "1", "--json", "--user", "Ann")])
def test_a_state_directory_that_cannot_be_made_exits_78_in_one_line(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        state: str, argv: tuple[str, ...]) -> None:
    if state == "a file":
        (tmp_path / "a file").write_text("")  # a file in the way of the directory
        state = str(tmp_path / "a file")
    monkeypatch.setenv("XDG_STATE_HOME", state)
    code, out, err = run(capsys, *argv, "--wav", str(tmp_path / "s.wav")) if argv[0] == "sim" else run(capsys, *argv)
    assert code == EX_CONFIG and out == ""
    assert err.splitlines() == [err.strip()] and f"{state}/glimmer cannot be created" in err  # the path, the reason
    assert "Traceback" not in err and not (tmp_path / "s.wav").exists()


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
    assert out.strip() == "no sessions since 2999-01-01 (a date still to come)"

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
    assert result["stored_for"] == "Ann"
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
    from device.pacing.assessment import step_row

    # each step reads as `glimmer sim --assess` printed it (one precision per figure wherever it is shown)
    assert all(step_row(s) in out.splitlines() for s in result["steps"])


def test_stored_times_are_real_never_in_the_future_and_sessions_never_overlap(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """At --speed max a simulated minute takes a fraction of a real second; the store keeps when each
    session really ran (docs/storage.md), whatever simulated time of day --at sets."""
    assert run(capsys, "users", "add", "Ann")[0] == 0
    before = datetime.now().replace(microsecond=0)
    for at in ("23:50", "06:00", "23:50"):  # the simulated day would run past midnight, and back
        code, _, _ = run(capsys, "sim", "--speed", "max", "--minutes", "3", "--json", "--user", "Ann", "--at", at,
                         "--wav", str(tmp_path / "s.wav"))
        assert code == 0
    after = datetime.now()
    rows = json.loads(run(capsys, "history", "--json")[1])
    assert len(rows) == 3
    with Store(resolve_store_path("")) as store:
        ended = [datetime.fromisoformat(r["ended_at"]) for r in store.sessions()]
        stamps = [datetime.fromisoformat(m["at"]) for r in rows for m in store.session_metrics(r["id"])]
    started = [datetime.fromisoformat(r["started_at"]) for r in rows]
    assert all(before <= t <= after for t in started + ended + stamps)
    assert all(e <= s for e, s in zip(ended, started[1:], strict=False))  # each after the one before
    assert all(r["duration_s"] > 150.0 for r in rows)  # the simulated length, not the seconds it took


def test_the_kept_history_of_a_removed_person_is_found_by_name(capsys: pytest.CaptureFixture[str]) -> None:
    with Store(resolve_store_path("")) as store:
        config = load_config()
        ann = add_person(store, new_person("Ann", config), datetime(2026, 1, 5, 8, 0))
        assert ann.id is not None
        old = store.open_session(ann.id, datetime(2026, 1, 5, 8, 0))
        store.close_session(old, datetime(2026, 1, 5, 8, 20), {"duration_s": 1200.0})
    assert run(capsys, "users", "remove", "Ann", "--keep-history")[0] == 0
    code, out, _ = run(capsys, "history", "--user", "ann", "--json")
    (row,) = json.loads(out)
    assert code == 0 and row["id"] == old and row["person_removed"] is True
    assert "(Ann removed)" in run(capsys, "history", "--user", "Ann")[1]
    # Someone new takes the name: the name's history is both, the removed one marked.
    assert run(capsys, "users", "add", "Ann")[0] == 0
    with Store(resolve_store_path("")) as store:
        new_ann = store.conn.execute("SELECT id FROM people WHERE removed_at IS NULL").fetchone()[0]
        new = store.open_session(new_ann, datetime(2026, 2, 1, 8, 0))
    rows = json.loads(run(capsys, "history", "--user", "Ann", "--json")[1])
    assert [(r["id"], r["person_removed"]) for r in rows] == [(old, True), (new, False)]
    code, _, err = run(capsys, "history", "--user", "Bo")
    assert code == EX_DATAERR and "no person called 'Bo'" in err


@pytest.mark.parametrize(("argv", "value", "accepted"), [
    (("sim", "--speed", "0"), "'0'", "a number above 0 (times real time) or 'max'"),
    (("sim", "--at", "25:00"), "'25:00'", "a time of day HH:MM from 00:00 to 23:59"),
    (("history", "--since", "last week"), "'last week'", "a date YYYY-MM-DD"),
])
def test_a_bad_argument_is_one_line_naming_the_value_and_what_is_accepted(
        capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], value: str, accepted: str) -> None:
    with pytest.raises(SystemExit) as caught:
        main(list(argv))
    err = capsys.readouterr().err
    assert caught.value.code == 2  # argparse's status for a command line it refuses, as everywhere in glimmer
    assert len(err.strip().splitlines()) == 1, err
    assert value in err and accepted in err and argv[1] in err


def test_a_guests_assessment_is_shown_not_stored_and_its_length_is_the_plans(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from device.pacing.assessment import AssessmentPlan

    config = tmp_path / "c.toml"
    config.write_text('[assessment]\nrates_per_min = "6.5, 6.0, 5.5"\nstep_s = 80.0\nsettle_s = 20.0\n')
    code, out, _ = run(capsys, "--config", str(config), "sim", "--assess", "--json", "--speed", "max")
    assert code == 0  # a guest: stored_for is null (the guest line is an INFO log, shown with -v)
    result = json.loads(out)
    assert result["stored_for"] is None and result["steps"]
    with Store(resolve_store_path("")) as store:
        assert store.conn.execute("SELECT count(*) FROM assessments").fetchone()[0] == 0
        assert store.sessions(kind=None) == []
    # What `sim --help` says of the length is the plan's: this run paced as long as its plan says
    # (its repeats and any step past an end counted), after the session's settling.
    plan = AssessmentPlan.from_text("6.5, 6.0, 5.5", 80.0, 20.0, 0.6)
    steps = result["steps"]
    repeats = sum(s["attempt"] == 2 for s in steps)
    extended = any(s["rate_per_min"] not in plan.rates_per_min for s in steps)
    paced_s = plan.paced_s(extended=extended, repeats=repeats)
    assert paced_s <= result["simulated_s"] <= paced_s + 60.0
    code, out, _ = run(capsys, "--config", str(config), "sim", "--assess", "--speed", "max")
    assert "not stored: a guest's assessment is shown only" in out
    with pytest.raises(SystemExit):
        main(["sim", "--help"])
    shipped = load_config().assessment
    full = AssessmentPlan.from_text(shipped.rates_per_min, shipped.step_s, shipped.settle_s, 0.6)
    assert f"paces {full.paced_s() / 60:.0f} simulated minutes" in " ".join(capsys.readouterr().out.split())


def test_users_list_says_who_the_device_starts_with(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "users", "add", "Ann")[0] == 0
    assert run(capsys, "users", "add", "Bob")[0] == 0
    listed = json.loads(run(capsys, "users", "list", "--json")[1])
    assert [p["active"] for p in listed] == [True, False]  # nobody chosen yet: the first person
    with Store(resolve_store_path("")) as store:
        store.set_active_person(listed[1]["id"])  # as the daemon keeps a long press's choice
    assert [p["active"] for p in json.loads(run(capsys, "users", "list", "--json")[1])] == [False, True]
    with Store(resolve_store_path("")) as store:
        store.set_active_person(None)
    assert "active: a guest" in run(capsys, "users", "list")[1]


def test_history_kept_at_removal_can_be_forgotten_later(capsys: pytest.CaptureFixture[str]) -> None:
    with Store(resolve_store_path("")) as store:
        zoe = add_person(store, new_person("Zoë", load_config()), datetime(2026, 1, 5, 8, 0))
        assert zoe.id is not None
        old = store.open_session(zoe.id, datetime(2026, 1, 5, 8, 0))
        store.close_session(old, datetime(2026, 1, 5, 8, 20), {"duration_s": 1200.0})
    assert run(capsys, "users", "remove", "ZOË", "--keep-history")[0] == 0  # any case or Unicode form
    code, _, err = run(capsys, "users", "remove", "zoë", "--keep-history")
    assert code == EX_DATAERR and "already removed" in err
    code, out, _ = run(capsys, "users", "remove", "Zoe\u0308", "--forget")
    assert code == 0 and "forgot the history kept for" in out and "1 sessions" in out
    with Store(resolve_store_path("")) as store:
        assert store.conn.execute("SELECT count(*) FROM sessions").fetchone()[0] == 0
        assert store.conn.execute("SELECT count(*) FROM people").fetchone()[0] == 0
    code, _, err = run(capsys, "users", "remove", "Zoë", "--forget")
    assert code == EX_DATAERR and "no person called" in err


def test_history_lists_assessments_and_says_which_sessions_are_not_closed(
        capsys: pytest.CaptureFixture[str]) -> None:
    from device.home.devicelock import DeviceLock

    with Store(resolve_store_path("")) as store:
        ann = add_person(store, new_person("Ann", load_config()), datetime(2026, 1, 5, 8, 0))
        assert ann.id is not None
        assessed = store.open_session(ann.id, datetime(2026, 1, 5, 8, 0), kind="assessment")
        store.close_session(assessed, datetime(2026, 1, 5, 8, 12), {"duration_s": 720.0})
        still_open = store.open_session(ann.id, datetime(2026, 1, 6, 8, 0))
        path = store.path
    rows = json.loads(run(capsys, "history", "--json")[1])
    assert [(r["id"], r["kind"], r["status"]) for r in rows] == [
        (assessed, "assessment", "closed"), (still_open, "session", "open")]
    lines = run(capsys, "history")[1].splitlines()
    assert "(assessment)" in lines[1] and "(not closed)" in lines[2]
    lock = DeviceLock(path)  # a device holds the store: its open session is the one running now
    try:
        assert "(running)" in run(capsys, "history")[1].splitlines()[2]
    finally:
        lock.release()


def test_the_simulator_seats_the_partner_chosen_on_the_store(capsys: pytest.CaptureFixture[str]) -> None:
    """`glimmer users partner NAME` is restored by `glimmer sim --people 2` as by the device: the
    partner's session is stored for them and linked to the person's."""
    for name in ("Ann", "Bob"):
        assert run(capsys, "users", "add", name)[0] == 0
    assert run(capsys, "users", "partner", "Bob")[0] == 0
    code, _, err = run(capsys, "sim", "--people", "2", "--user", "Ann", "--speed", "max", "--minutes", "1.5")
    assert code == 0 and "partner Bob" in err
    (bob,) = json.loads(run(capsys, "history", "--user", "Bob", "--json")[1])
    (ann,) = json.loads(run(capsys, "history", "--user", "Ann", "--json")[1])
    assert bob["together_with"] == ann["id"] and ann["together_with"] == bob["id"]
    assert ann["together_with_person"] == "Bob" and bob["together_with_person"] == "Ann"
    # The partner is never the person simulated: choosing Bob as the person seats a guest beside him.
    code, _, err = run(capsys, "sim", "--people", "2", "--user", "Bob", "--speed", "max", "--minutes", "1.5")
    assert code == 0 and "the partner is a guest this time" in err and "partner Bob" not in err
    rows = json.loads(run(capsys, "history", "--user", "Bob", "--json")[1])
    assert len(rows) == 2 and rows[-1]["together_with_person"] is None


def test_a_seed_given_on_the_command_line_is_judged_with_the_partner_seed(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("[sim]\nseed = 1\npartner_seed = 1\n")  # equal only until --seed replaces seed
    code, _, err = run(capsys, "sim", "-c", str(config), "--people", "2", "--seed", "5", "--speed", "max",
                       "--minutes", "0.2", "--json")
    assert code == 0, err
    code, _, err = run(capsys, "sim", "-c", str(config), "--people", "2", "--speed", "max", "--minutes", "0.2")
    assert code == EX_CONFIG and "sim.partner_seed" in err
    assert run(capsys, "sim", "-c", str(config), "--speed", "max", "--minutes", "0.2", "--json")[0] == 0  # no partner


def test_synchrony_is_given_only_with_both_peoples_coherence(capsys: pytest.CaptureFixture[str]) -> None:
    """Synchrony reads the 64 s window coherence reads: never before (or without) either coherence."""
    code, out, _ = run(capsys, "sim", "--people", "2", "--speed", "max", "--minutes", "2.5", "--json")
    metrics = [json.loads(line) for line in out.splitlines() if line.startswith('{"kind":"metrics"')]
    assert code == 0 and metrics
    given = [m for m in metrics if m["synchrony"] is not None]
    assert given, "no synchrony in 2.5 minutes"
    for m in given:
        assert m["coherence_ratio"] is not None and m["partner"]["coherence_ratio"] is not None, m["t_s"]
    early = [m for m in metrics if m["synchrony"] is None and m["together"]]
    assert any(m["synchrony_reason"] == "window_not_covered" for m in early)


@pytest.mark.parametrize("seed", [1, 3])
def test_the_shared_pacer_starts_between_the_two_peoples_own_rates(
        capsys: pytest.CaptureFixture[str], seed: int) -> None:
    """Issue 13: one pacer starts where both can follow, between their own breathing rates (12 and 15/min
    here): settling waits for the partner's breathing estimate too, not only the person's."""
    code, out, _ = run(capsys, "sim", "--people", "2", "--seed", str(seed), "--speed", "max", "--minutes", "1.5",
                       "--json")
    metrics = [json.loads(line) for line in out.splitlines() if line.startswith('{"kind":"metrics"')]
    first = next(m for m in metrics if m["session_state"] == "pacing")
    own = sorted([first["breath_rate_per_min"], first["partner"]["breath_rate_per_min"]])
    assert code == 0 and None not in own, first
    quarter = (own[1] - own[0]) / 4.0  # the rates differ by about 3/min: not at either end of them
    assert own[0] + quarter <= first["pacer_rate_per_min"] <= own[1] - quarter, (own, first["pacer_rate_per_min"])
