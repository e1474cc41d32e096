"""The end-of-run summary says what is known in words and units, and never compares overlapping windows."""

from __future__ import annotations

from typing import Any

import pytest

from sim.summary import coherence_comparison, format_summary, sim_summary


def _payloads(minutes: float, first: float = 1.0, last: float = 3.0, period_s: float = 5.0) -> list[dict[str, Any]]:
    n = int(minutes * 60 / period_s)
    return [{"t_s": 30.0 + i * period_s, "session_state": "pacing",
             "coherence_ratio": first + (last - first) * i / max(n - 1, 1)} for i in range(n)]


def _summary(**changes: Any) -> dict[str, Any]:
    summary = {"session": 1, "started_t_s": 2.0, "ended_t_s": 200.0, "duration_s": 198.0, "paced_s": 170.0,
               "mean_hr_bpm": 64.25, "mean_rmssd_ms": 41.6, "mean_coherence_ratio": 1.234,
               "peak_coherence_ratio": 2.5, "coherent_s": 0.0, "pacer_start_rate_per_min": 11.43,
               "pacer_end_rate_per_min": 8.6}
    summary.update(changes)
    return summary


@pytest.mark.parametrize("minutes", [0.5, 2.0, 3.9])
def test_a_session_shorter_than_two_windows_is_not_compared(minutes: float) -> None:
    result = coherence_comparison(_payloads(minutes))
    assert isinstance(result, str) and result.startswith("not compared")
    text = format_summary(_summary(), _payloads(minutes), "none")
    assert "coherence first 2 min" not in text and "not compared" in text


@pytest.mark.parametrize("minutes", [4.5, 10.0, 20.0])
def test_first_and_last_windows_never_overlap(minutes: float) -> None:
    payloads = _payloads(minutes, first=1.0, last=3.0)
    first, last = coherence_comparison(payloads)  # type: ignore[misc]
    t = [p["t_s"] for p in payloads]
    c = [p["coherence_ratio"] for p in payloads]
    early = [x for s, x in zip(t, c, strict=True) if s <= t[0] + 120]
    late = [x for s, x in zip(t, c, strict=True) if s > t[-1] - 120]
    assert max(early) < min(late)  # disjoint windows of a rising series
    assert first == pytest.approx(sum(early) / len(early)) and last == pytest.approx(sum(late) / len(late))


def test_unknown_values_are_said_in_words_never_as_none() -> None:
    text = format_summary(_summary(mean_hr_bpm=None, mean_rmssd_ms=None, mean_coherence_ratio=None,
                                   peak_coherence_ratio=None, pacer_start_rate_per_min=None,
                                   pacer_end_rate_per_min=None, paced_s=0.0), [], "none")
    assert "None" not in text and "null" not in text
    assert "mean heart rate           not known (pacing never started)" in text  # the means are over pacing
    assert "too few clean beats" not in text
    assert "no coherence readings while pacing" in text
    assert "None" not in format_summary(None, [], "none")
    paced = format_summary(_summary(mean_hr_bpm=None, mean_coherence_ratio=None), [], "none")
    assert "mean heart rate           not known (too few clean beats while pacing)" in paced
    assert "mean coherence ratio      not known (no coherence reading while pacing)" in paced


def test_known_values_carry_units_and_one_precision_per_unit() -> None:
    text = format_summary(_summary(), _payloads(6.0), "wav:/tmp/x.wav")
    assert "64.2 beats/min" in text and "42 ms" in text and "1.23" in text
    assert "11.4/min at the start, 8.6/min at the end" in text
    assert "bpm" not in text


@pytest.mark.parametrize("minutes", [3.0, 6.0, 9.0])
def test_the_json_closing_summary_holds_the_figures_the_text_summary_prints(minutes: float) -> None:
    payloads = _payloads(minutes)
    closing = sim_summary(payloads, seed=4, simulated_s=minutes * 60.0)
    text = format_summary(_summary(), payloads, "none")
    assert closing["kind"] == "sim_summary" and closing["seed"] == 4
    first, last, reason = (closing["coherence_ratio_first_2_min"], closing["coherence_ratio_last_2_min"],
                           closing["coherence_ratio_compare_reason"])
    assert (reason is None) == (minutes >= 4.0)  # two 2-minute windows that do not overlap
    if reason is None:
        assert f"coherence first 2 min     {first:.2f}" in text and f"coherence last 2 min      {last:.2f}" in text
    else:
        assert first is None and last is None and reason in text
