"""`glimmer sim --people 2`: two simulated people, each from their own seed and on their own sensor, both
seeing the one ring; the unpaced control; the options and config with one-line errors; the plain rows, the
live view's heart-rate chart and the closing summary of together mode."""

from __future__ import annotations

import io
import json
import logging
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from device.app import build_device
from device.cli import main
from device.config import load_config
from device.errors import ConfigError
from device.publish import RecordingPublisher
from sim.person import PersonParams
from sim.summary import TogetherSeeds, format_summary, sim_summary
from sim.view import (
    CHART_BLOCKS,
    TOGETHER_HEADER,
    VIEW_COLUMNS,
    TerminalView,
    heart_rate_chart,
    together_line,
    visible_width,
)
from sim.world import build_sim_world, partner_params, partner_seed

NOON = datetime(2026, 6, 1, 12, 0)


# -- who the two people are ------------------------------------------------------------------------------

def test_the_partner_is_drawn_from_their_own_seed_with_what_the_config_pins() -> None:
    sim = load_config(overrides={"sim": {"seed": 7, "partner_natural_breath_rate_per_min": 14.0,
                                         "partner_resonance_rate_per_min": 6.5, "partner_compliance": 0.9,
                                         "partner_finger_on_at_s": 9.0}}).sim
    assert partner_seed(sim) == 8  # -1: the person's seed + 1
    b = partner_params(sim)
    assert (b.natural_breath_rate_per_min, b.resonance_rate_per_min, b.compliance, b.finger_on_at_s) == (
        14.0, 6.5, 0.9, 9.0)
    drawn_b = PersonParams.from_seed(8)  # the rest is seed 8's own draw ...
    assert (b.mean_hr_bpm, b.rsa_gain_bpm, b.reaction_lag_s) == (
        drawn_b.mean_hr_bpm, drawn_b.rsa_gain_bpm, drawn_b.reaction_lag_s)
    assert b.mean_hr_bpm != PersonParams.from_seed(7).mean_hr_bpm  # ... not the person's
    chosen = load_config(overrides={"sim": {"seed": 7, "partner_seed": 100}}).sim
    assert partner_seed(chosen) == 100 and partner_params(chosen).mean_hr_bpm == PersonParams.from_seed(100).mean_hr_bpm


@pytest.mark.parametrize(("seed", "expected"), [(0, 1), (2**31 - 2, 2**31 - 1), (2**31 - 1, 2**31 - 2)])
def test_the_derived_partner_seed_is_the_next_one_or_the_one_before_at_the_largest(seed: int, expected: int) -> None:
    sim = load_config(overrides={"sim": {"seed": seed, "people": 2}}).sim
    assert partner_seed(sim) == expected  # never a wrap to 0: a seed of its own, next to the person's
    assert partner_seed(sim) != sim.seed and 0 <= partner_seed(sim) <= 2**31 - 1


@pytest.mark.parametrize(("values", "message"), [
    ({"people": 3}, "sim.people: expected one of 1, 2, got 3"),
    ({"people": "2"}, "sim.people: expected a whole number, got the text '2'"),
    ({"unpaced": "yes"}, "sim.unpaced: expected true or false, got the text 'yes'"),
    ({"partner_seed": -2}, "sim.partner_seed: expected -1 to 2147483647, got -2"),
    ({"people": 2, "seed": 4, "partner_seed": 4}, "sim.partner_seed: expected a seed other than sim.seed (4)"),
    ({"partner_compliance": 1.5}, "sim.partner_compliance: expected 0.0 to 1.0, got 1.5"),
    ({"partner_resonance_rate_per_min": 12.0}, "sim.partner_resonance_rate_per_min: expected 4.0 to 8.0, got 12.0"),
    ({"people": 2, "finger_on_at_s": 5.0, "partner_finger_on_at_s": 5.5},
     "sim.partner_finger_on_at_s: expected at least 1 s after sim.finger_on_at_s (5.0)"),
    # A's finger so late that no partner_finger_on_at_s (at most 3600 s) can be 1 s later: the fix is A's time.
    ({"people": 2, "finger_on_at_s": 3600.0}, "sim.finger_on_at_s: expected at most 3599.0 s with sim.people = 2"),
    ({"people": 2, "finger_on_at_s": 3599.5, "partner_finger_on_at_s": 3600.0},
     "sim.finger_on_at_s: expected at most 3599.0 s with sim.people = 2"),
])
def test_bad_together_settings_are_refused_each_in_one_line(values: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(overrides={"sim": values})
    assert len(caught.value.problems) == 1 and caught.value.problems[0].startswith(message)


def test_the_latest_finger_times_two_people_can_have_are_accepted() -> None:
    sim = load_config(overrides={"sim": {"people": 2, "finger_on_at_s": 3599.0, "partner_finger_on_at_s": 3600.0}}).sim
    assert (sim.finger_on_at_s, sim.partner_finger_on_at_s) == (3599.0, 3600.0)
    assert load_config(overrides={"sim": {"finger_on_at_s": 3600.0}}).sim.finger_on_at_s == 3600.0  # one person


@pytest.mark.parametrize("people", ["3", "0", "two", "1.5"])
def test_a_bad_people_option_is_one_line_exit_2(people: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["sim", "--people", people])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--people: expected 1 or 2" in err and repr(people) in err


def test_one_person_is_the_default_and_has_no_sensor_b() -> None:
    world = build_sim_world(load_config(), start_wall=NOON)
    assert world.partner is None and world.people == [world.person]
    assert world.hardware.second_i2c_bus_factory is None


@pytest.mark.parametrize("layout", ["mux", "two_buses"])
def test_one_person_on_a_two_sensor_layout_leaves_sensor_b_present_and_untouched(
        layout: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    world, recorder = _run({"sensor": {"layout": layout}}, until_s=60.0)
    assert world.partner is None and world.partner_chip is not None  # a chip, nobody's finger on it
    problems = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert not any("sensor" in message for message in problems), problems  # not "not found", not "lost"
    last = recorder.metrics_payloads[-1]
    assert last["sensor_status"] == "ok" and last["finger_on"] is True  # A: the one person's session
    assert last["session_state"] != "idle" and last["together"] is False
    assert last["partner"]["sensor_status"] == "ok" and last["partner"]["finger_on"] is False


# -- both see the one ring, each follows it (or, unpaced, neither) -----------------------------------------

def _run(overrides: dict[str, Any], until_s: float) -> tuple[Any, RecordingPublisher]:
    config = load_config(overrides=overrides)
    world = build_sim_world(config, start_wall=NOON)
    recorder = RecordingPublisher()
    glimmer = build_device(config, world.hardware, [recorder])
    glimmer.run(until_s=until_s)
    glimmer.close()
    return world, recorder


TWO = {"people": 2, "natural_breath_rate_per_min": 12.0, "partner_natural_breath_rate_per_min": 15.0}


@pytest.mark.parametrize("unpaced", [False, True])
def test_both_people_see_the_ring_and_follow_the_one_breath_unless_it_is_hidden(unpaced: bool) -> None:
    world, recorder = _run({"sim": {**TWO, "seed": 11, "unpaced": unpaced}}, until_s=300.0)
    last = recorder.metrics_payloads[-1]
    assert last["session_state"] == "pacing" and last["together"] is True  # the device paces either way
    pacer = last["pacer_rate_per_min"]
    start = next(p for p in recorder.metrics_payloads if p["session_state"] == "pacing")["pacer_rate_per_min"]
    assert 12.0 <= start <= 15.0  # between their own rates (12 and 15/min), where both can follow
    truth = [float(p.breath_rate_bpm_at(290.0, window_s=60.0)) for p in world.people]  # ground truth
    if unpaced:  # nobody saw a breathing light; each keeps their own rate (and the pacer waits for them)
        assert not any(p.following_light for p in world.people)
        assert truth == [pytest.approx(12.0, abs=1.2), pytest.approx(15.0, abs=1.5)]
        # nobody follows the light: the glide waits (unwaiting, it would have come down about 4/min by now).
        # It waits only part of the time: the device's "following" reads true now and then for people who
        # follow nothing (seeds 11-16 on the code before the finger watch: 0.2-2.0/min down by 300 s).
        assert pacer <= start and start - pacer <= 2.0
    else:
        assert pacer <= min(truth[0], 12.0) - 0.5 or pacer <= start - 2.0  # it has glided below both ...
        assert truth == [pytest.approx(pacer, abs=0.6), pytest.approx(pacer, abs=0.6)]  # ... and both followed


def test_each_person_has_their_own_finger_on_time_and_sensor() -> None:
    _, recorder = _run({"sim": {**TWO, "seed": 3, "finger_on_at_s": 2.0, "partner_finger_on_at_s": 40.0}},
                       until_s=90.0)
    by_t = {p["t_s"]: p for p in recorder.kept_payloads()}
    assert by_t[20.0]["finger_on"] is True and by_t[20.0]["partner"]["finger_on"] is False
    assert by_t[90.0]["partner"]["finger_on"] is True


def test_a_mux_layout_puts_both_chips_behind_the_virtual_tca9548a() -> None:
    world, recorder = _run({"sim": {**TWO, "seed": 5}, "sensor": {"layout": "mux"}}, until_s=40.0)
    assert world.sensors is not None and world.sensors.mux is not None
    assert list(world.sensors.buses) == [load_config().sensor.i2c_bus]  # one bus, the switch on it
    last = recorder.metrics_payloads[-1]
    assert last["finger_on"] is True and last["partner"]["finger_on"] is True
    assert last["sensor_status"] == "ok" and last["partner"]["sensor_status"] == "ok"


# -- what the person watching sees -------------------------------------------------------------------------

def _tachogram(mean_bpm: float, swing_bpm: float, t0: float, t1: float, phase: float = 0.0
               ) -> tuple[np.ndarray, np.ndarray]:
    """Beats of a heart whose rate swings as a 0.1 Hz sine (known truth), with their intervals (ms)."""
    times = [t0]
    while times[-1] < t1:
        hr = mean_bpm + swing_bpm * np.sin(2 * np.pi * 0.1 * times[-1] + phase)
        times.append(times[-1] + 60.0 / hr)
    t = np.array(times)
    return t[1:], np.diff(t) * 1000.0


def test_the_chart_puts_both_heart_rates_on_one_time_axis_and_one_scale() -> None:
    a = _tachogram(66.0, 6.0, 0.0, 100.0)
    rows, scale = heart_rate_chart([a, a], now_s=100.0, width=50, span_s=50.0)
    assert rows[0] == rows[1] and len(rows[0]) == 50  # the same heart draws the same row
    assert scale is not None and scale[0] == pytest.approx(60.0, abs=0.5) and scale[1] == pytest.approx(72.0, abs=0.5)
    # Peaks where the truth peaks: 0.1 Hz sine, peaks at t = 2.5 + 10 k s; column i is at 50.5 + i s.
    tops = [i for i, ch in enumerate(rows[0]) if ch == CHART_BLOCKS[-1]]
    assert tops and all(abs(((50.5 + i) - 2.5 + 5.0) % 10.0 - 5.0) <= 1.6 for i in tops)
    opposite = _tachogram(66.0, 6.0, 0.0, 100.0, phase=np.pi)  # B's heart swings the other way
    rows, _ = heart_rate_chart([a, opposite], now_s=100.0, width=50, span_s=50.0)
    levels = [[CHART_BLOCKS.index(ch) for ch in row] for row in rows]
    assert np.corrcoef(levels[0], levels[1])[0, 1] < -0.8
    higher = _tachogram(76.0, 1.0, 0.0, 100.0)  # a faster heart sits higher on the shared scale
    rows, scale = heart_rate_chart([a, higher], now_s=100.0, width=50, span_s=50.0)
    assert scale is not None and scale[1] == pytest.approx(77.0, abs=0.5)
    assert min(CHART_BLOCKS.index(ch) for ch in rows[1]) > max(CHART_BLOCKS.index(ch) for ch in rows[0]) - 3


def test_the_chart_leaves_blank_where_a_person_has_no_reading() -> None:
    late = _tachogram(66.0, 6.0, 80.0, 100.0)  # beats only in the last 20 s
    rows, _ = heart_rate_chart([late, None], now_s=100.0, width=50, span_s=50.0)
    assert rows[1] == " " * 50  # B withheld: nothing drawn, nothing invented
    assert rows[0][:25].strip() == "" and " " not in rows[0][32:48]
    assert heart_rate_chart([None, None], now_s=100.0, width=10, span_s=10.0) == ([" " * 10] * 2, None)


def _payload(t_s: float, state: str = "pacing", hr: float | None = 64.0, coherence: float | None = 1.0,
             partner_coherence: float | None = 2.0, synchrony: float | None = 0.5, together: bool = True
             ) -> dict[str, Any]:
    return {"kind": "metrics", "t_s": t_s, "session_state": state, "finger_on": True, "hr_bpm": hr,
            "coherence_ratio": coherence, "together": together, "synchrony": synchrony,
            "partner": {"finger_on": True, "hr_bpm": 70.0, "coherence_ratio": partner_coherence}}


def test_plain_rows_carry_both_people_and_the_synchrony_within_80_columns() -> None:
    assert len(TOGETHER_HEADER) <= VIEW_COLUMNS
    row = together_line(_payload(605.0, "settling", hr=164.2, coherence=15.3, synchrony=0.91))
    assert len(row) <= VIEW_COLUMNS and row.split() == ["10:05", "settling", "AB", "164.2", "70.0", "15.30", "2.00",
                                                        "0.91"]
    unknown = together_line({"t_s": 5.0, "session_state": "idle", "finger_on": False, "partner": None})
    assert unknown.split() == ["00:05", "idle", "--", "--", "--", "--", "--", "--"] and "None" not in unknown


def _rising(minutes: float) -> list[dict[str, Any]]:
    """Ten minutes of together pacing with A's coherence rising 1 -> 4, B's 0.5 -> 3, synchrony 0.3 -> 0.9."""
    n = int(minutes * 12)
    return [_payload(50.0 + 5 * i, coherence=1 + 3 * i / (n - 1), partner_coherence=0.5 + 2.5 * i / (n - 1),
                     synchrony=0.3 + 0.6 * i / (n - 1)) for i in range(n)]


def test_the_closing_summary_gives_each_persons_coherence_and_the_synchrony_labelled() -> None:
    payloads = _rising(10.0)
    closing = sim_summary(payloads, 1, 660.0, together=TogetherSeeds(1, 2), unpaced=False)
    early = [p for p in payloads if p["t_s"] <= payloads[0]["t_s"] + 120]
    late = [p for p in payloads if p["t_s"] > payloads[-1]["t_s"] - 120]
    assert closing["coherence_ratio_first_2_min"] == round(np.mean([p["coherence_ratio"] for p in early]), 2)
    assert closing["partner"]["seed"] == 2
    assert closing["partner"]["coherence_ratio_last_2_min"] == round(
        np.mean([p["partner"]["coherence_ratio"] for p in late]), 2)
    assert closing["synchrony_first_2_min"] == round(np.mean([p["synchrony"] for p in early]), 2)
    assert closing["synchrony_last_2_min"] == round(np.mean([p["synchrony"] for p in late]), 2)
    assert closing["unpaced"] is False
    text = format_summary(None, payloads, "none", TogetherSeeds(1, 2), unpaced=True)
    for label, value in (("A coherence first 2 min", closing["coherence_ratio_first_2_min"]),
                         ("B coherence last 2 min", closing["partner"]["coherence_ratio_last_2_min"]),
                         ("synchrony last 2 min", closing["synchrony_last_2_min"])):
        assert any(line.split(label)[-1].strip() == f"{value:.2f}" for line in text.splitlines() if label in line)
    assert "A seed 1 (sensor A), B seed 2 (sensor B, the partner)" in text
    assert "hidden from the simulated people (unpaced control)" in text


def test_the_partner_and_synchrony_are_compared_only_over_the_together_session() -> None:
    alone = [_payload(50.0 + 5 * i, together=False) for i in range(120)]  # B's finger never joined
    closing = sim_summary(alone, 1, 660.0, together=TogetherSeeds(1, 2))
    assert closing["coherence_ratio_first_2_min"] == 1.0  # A's session is compared as ever
    assert closing["partner"]["coherence_ratio_first_2_min"] is None
    assert "no partner coherence readings" in closing["partner"]["coherence_ratio_compare_reason"]
    assert closing["synchrony_last_2_min"] is None and "no synchrony" in closing["synchrony_compare_reason"]
    single = sim_summary(alone, 1, 660.0)
    assert single["partner"] is None and "synchrony_first_2_min" not in single


@pytest.mark.parametrize("at", [NOON, NOON.replace(hour=23)], ids=["day", "night"])
def test_the_live_view_shows_both_people_and_their_chart_within_80_columns(tmp_path: Path, at: datetime) -> None:
    config = load_config(overrides={"sim": {**TWO, "seed": 2}})
    world = build_sim_world(config, start_wall=at)
    glimmer = build_device(config, world.hardware)
    out = io.StringIO()
    view = TerminalView(out, glimmer, lambda: world.ring.mean_drive(0.2), period_s=1.0)
    world.hardware.on_frame.append(view.on_frame)
    with view:
        glimmer.run(until_s=150.0)
        glimmer.close()
    text = out.getvalue()
    assert all(visible_width(line) <= VIEW_COLUMNS for line in text.split("\n"))
    last_view = text.rsplit("\x1b[J", 1)[-1]
    assert "session pacing, together" in last_view  # nothing of the header is cut, night or day
    assert (" night  session" in last_view) == (at.hour == 23)
    assert "A " in last_view and "B " in last_view and "synchrony " in last_view
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", last_view)
    chart = re.findall(rf"\s([AB]) ([{CHART_BLOCKS} ]{{40,58}})$", plain, flags=re.M)  # trailing blanks trimmed
    assert [who for who, _ in chart] == ["A", "B"]  # one row each, one under the other: one time axis
    assert all(sum(ch in CHART_BLOCKS for ch in row) >= 40 for _, row in chart)  # both read for most of it


# -- the command ---------------------------------------------------------------------------------------

def test_sim_people_2_json_carries_both_people_and_the_synchrony_then_the_summary(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sim", "--people", "2", "--speed", "max", "--minutes", "1.5", "--json", "--seed", "4",
                 "--unpaced"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    metrics = [obj for obj in lines if obj["kind"] == "metrics"]
    assert metrics[-1]["partner"]["hr_bpm"] is not None and "synchrony" in metrics[-1]
    closing = lines[-1]
    assert closing["kind"] == "sim_summary" and closing["seed"] == 4 and closing["partner"]["seed"] == 5
    assert closing["unpaced"] is True and "synchrony_first_2_min" in closing


def test_sim_people_2_into_a_file_prints_the_together_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sim", "--people", "2", "--speed", "1000", "--minutes", "1", "--wav", str(tmp_path / "s.wav")]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == TOGETHER_HEADER
    assert "B coherence first vs last" in out and "synchrony first vs last" in out


def test_an_assessment_is_for_one_person(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sim", "--people", "2", "--assess", "--speed", "max"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--assess assesses one person" in err
