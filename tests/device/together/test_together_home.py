"""Together mode in the household: who is on sensor B (the partner) is chosen the way people are and kept
across restarts (store migration 5), and a together session stores each person's own session, linked,
with the synchrony."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from device.cli import EX_DATAERR, main
from device.config import load_config
from device.errors import CommandRejected
from device.home.household import Household
from device.home.people import add_person, new_person
from device.home.store import Store, resolve_store_path
from tests.device.together.two_people import two_people

NOON = datetime(2026, 6, 1, 12, 0)


def _household(tmp_path: Path) -> tuple[Store, Household]:
    store = Store(tmp_path / "g.db")
    config = load_config(overrides={"night": {"enabled": False}, "sim": {"seed": 3}})
    ann = add_person(store, new_person("Ann", config, resonance_rate_per_min=5.5), NOON)
    add_person(store, new_person("Bo", config, resonance_rate_per_min=6.5), NOON)
    return store, Household(store, config, ann)


def test_a_together_session_stores_each_persons_own_session_linked_with_the_synchrony(tmp_path: Path) -> None:
    store, home = _household(tmp_path)
    rig = two_people(tmp_path, home.config_for(home.active))
    glimmer = rig.device
    home.attach(glimmer, NOON)
    home.choose_partner("Bo")
    assert glimmer.session.partner_resonance_rate_per_min == 6.5
    glimmer.run(until_s=240.0)
    assert glimmer.session.together
    assert glimmer.session.target_rate_bpm == pytest.approx(6.0)  # the mean of 5.5 and 6.5
    glimmer.close()
    rows = store.sessions()
    assert [(r["person"], r["status"]) for r in rows] == [("Ann", "closed"), ("Bo", "closed")]
    ann, bo = rows
    assert ann["together_with"] == bo["id"] and bo["together_with"] == ann["id"]
    assert ann["mean_synchrony"] is not None and ann["mean_synchrony"] == bo["mean_synchrony"]
    assert bo["mean_hr_bpm"] is not None and abs(bo["mean_hr_bpm"] - rig.person_b.params.mean_hr_bpm) < 10.0
    assert abs(ann["mean_hr_bpm"] - rig.world.person.params.mean_hr_bpm) < 10.0
    for row in rows:
        metrics = store.session_metrics(row["id"])
        assert any(m["synchrony"] is not None for m in metrics)
        assert any(m["hr_bpm"] is not None for m in metrics)
    # The two rows' per-period heart rates are each person's own.
    hr_ann = [m["hr_bpm"] for m in store.session_metrics(ann["id"]) if m["hr_bpm"] is not None]
    hr_bo = [m["hr_bpm"] for m in store.session_metrics(bo["id"]) if m["hr_bpm"] is not None]
    assert hr_ann != hr_bo
    store.close()


def test_the_partner_is_kept_across_restarts_and_is_never_the_active_person(tmp_path: Path) -> None:
    store, home = _household(tmp_path)
    assert home.partner is None  # never chosen: a guest
    home.choose_partner("bo")
    assert Household.restored(store, home.config).partner is not None
    assert Household.restored(store, home.config).partner.name == "Bo"  # type: ignore[union-attr]
    with pytest.raises(CommandRejected) as refused:
        home.choose_partner("Ann")
    assert refused.value.code == "same_person"
    with pytest.raises(CommandRejected) as unknown:
        home.choose_partner("Cy")
    assert unknown.value.code == "unknown_person"
    assert home.partner is not None and home.partner.name == "Bo"  # nothing changed
    home.next_person()  # Bo becomes active: the partner becomes a guest
    assert home.active is not None and home.active.name == "Bo" and home.partner is None
    assert Household.restored(store, home.config).partner is None
    assert home.next_partner() is not None and home.partner.name == "Ann"  # type: ignore[union-attr]
    assert home.next_partner() is None  # after the last: a guest
    store.close()


def test_the_partner_cannot_change_during_a_session(tmp_path: Path) -> None:
    store, home = _household(tmp_path)
    rig = two_people(tmp_path, home.config_for(home.active))
    home.attach(rig.device, NOON)
    rig.device.run(until_s=30.0)
    with pytest.raises(CommandRejected) as busy:
        home.choose_partner("Bo")
    assert busy.value.code == "busy" and home.partner is None
    rig.device.close()
    store.close()


def test_glimmer_users_partner_chooses_shows_and_refuses(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["users", "add", "Ann"]) == 0 and main(["users", "add", "Bo"]) == 0
    capsys.readouterr()
    assert main(["users", "partner"]) == 0
    assert "partner (sensor B): a guest" in capsys.readouterr().out
    assert main(["users", "partner", "Bo"]) == 0
    assert "partner (sensor B): Bo" in capsys.readouterr().out
    assert main(["users", "list", "--json"]) == 0
    people = json.loads(capsys.readouterr().out)
    assert [(p["name"], p["active"], p["partner"]) for p in people] == [("Ann", True, False), ("Bo", False, True)]
    before = resolve_store_path("").read_bytes()
    assert main(["users", "partner", "Ann"]) == EX_DATAERR  # the active person
    assert "active person" in capsys.readouterr().err
    assert resolve_store_path("").read_bytes() == before
    assert main(["users", "partner", "--guest"]) == 0
    assert "a guest" in capsys.readouterr().out


def test_history_and_the_report_show_both_people_on_one_time_axis_and_the_synchrony(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from device.home.people import get_person
    from device.home.report import session_figure, write_report

    store = Store(resolve_store_path(""))
    config = load_config(overrides={"night": {"enabled": False}, "sim": {"seed": 3}})
    ann = add_person(store, new_person("Ann", config), NOON)
    add_person(store, new_person("Bo", config), NOON)
    home = Household(store, config, ann)
    rig = two_people(tmp_path, home.config_for(ann))
    home.attach(rig.device, NOON)
    home.choose_partner("Bo")
    rig.device.run(until_s=200.0)
    rig.device.close()
    ann_row, bo_row = store.sessions()
    fig = session_figure(store, ann_row)
    axes = fig.get_axes()
    assert len(axes) == 4 and "synchrony with Bo" in axes[3].get_title()
    lines = {line.get_label(): line for line in axes[0].get_lines()}
    assert {"Ann", "Bo"} <= set(lines)
    t_ann, t_bo = lines["Ann"].get_xdata(), lines["Bo"].get_xdata()
    assert abs(t_bo[0] - t_ann[0]) < 1.0 and t_bo[-1] > 2.0  # one axis: both from the session's start, in minutes
    out = write_report(store, get_person(store, "Bo"), None, tmp_path / "bo.html")
    page = out.read_text()
    assert "mean synchrony" in page and page.count('src="data:image/png;base64,') == 2
    store.close()
    assert main(["history"]) == 0
    text = capsys.readouterr().out
    assert f"(with Bo, synchrony {ann_row['mean_synchrony']:.2f})" in text
    assert f"(with Ann, synchrony {bo_row['mean_synchrony']:.2f})" in text
    assert main(["history", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["person"], r["together_with_person"]) for r in rows] == [("Ann", "Bo"), ("Bo", "Ann")]
