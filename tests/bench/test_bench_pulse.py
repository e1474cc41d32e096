"""The benchmark's scoring: beat matching, RMSSD pairing and windowed heart rate."""

from __future__ import annotations

import numpy as np
import pytest

from bench.bench_pulse import Row, format_table, goals
from bench.scoring import match_beats, rmssd_pair_ms, windowed_hr


def test_beats_match_one_to_one_within_the_tolerance() -> None:
    ref = np.array([1.0, 2.0, 3.0, 4.0])
    det = np.array([1.01, 1.05, 2.2, 3.1, 4.0])
    matches = match_beats(ref, det)
    assert matches.tolist() == [[0, 0], [2, 3], [3, 4]]  # 1.05 loses to the closer 1.01; 2.2 is too far


def test_rmssd_pairs_use_only_runs_of_three_matched_beats() -> None:
    ref = np.arange(10) * 1.0 + np.array([0, 0.01, 0, 0.01, 0, 0.01, 0, 0.01, 0, 0.01])
    det = ref + 0.002
    det = np.delete(det, 5)  # beat 5 missed: the runs through it are left out, not mis-paired
    pair = rmssd_pair_ms(ref, det, match_beats(ref, det))
    assert pair is not None
    assert pair[0] == pytest.approx(20.0)
    assert pair[1] == pytest.approx(20.0)


def test_windowed_heart_rate_is_60_over_the_median_interval() -> None:
    beats = np.arange(0.5, 30.0, 0.75)  # 80 beats/min
    hr = windowed_hr(beats, 30.0)
    assert hr == pytest.approx([80.0, 80.0, 80.0])


def test_goals_report_measured_values_and_verdicts() -> None:
    ours = "ours (stream 100 ms)"
    rows = [Row("capnobase 100 Hz", ours, f1=0.9995, rmssd_mae_ms=3.5, cost_ms_per_min=30.0),
            Row("capnobase 100 Hz", "neurokit2 ppg_process", rmssd_mae_ms=4.0, cost_ms_per_min=60.0),
            Row("capnobase 100 Hz", "heartpy", rmssd_mae_ms=6.0)]
    verdicts = {g["goal"]: g["met"] for g in goals(rows)}
    assert verdicts["CapnoBase 100 Hz beat F1 >= 0.999"] is True
    # 3.5 ms against 0.7 x the better peer's 4.0 ms = 2.8 ms: missed
    assert verdicts["capnobase 100 Hz RMSSD error <= 0.7 x the better peer (2.80 ms)"] is False
    assert verdicts["capnobase 100 Hz: cost of ours streamed <= NeuroKit2 ppg_process batch"] is True
    assert "0.9995" in format_table(rows)
