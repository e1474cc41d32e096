"""The pulse pipeline's goals on a few real recordings (skipped when ../shared/data is absent).

The full measurement, every record and the peers, is `python -m bench.bench_pulse`.
"""

from __future__ import annotations

import numpy as np
import pytest

from bench.bench_pulse import run_ours, score_rates
from bench.datasets import data_dir, load_but_ppg, load_capnobase, load_welltory
from bench.scoring import match_beats, rmssd_pair_ms

pytestmark = pytest.mark.data

ROOT = data_dir()
# Children and adults, slow and fast hearts, a very variable rhythm (0030) and a strong dicrotic wave
# (0333). Two records whose labels leave out beats in signal drop-outs (0115, 0312) are left to the
# benchmark, where the goals are pooled over all 28.
CAPNOBASE_RECORDS = ["0009", "0030", "0123", "0329", "0333"]


def _require(folder: str) -> None:
    if not (ROOT / folder).is_dir():
        pytest.skip(f"no {folder} recordings in {ROOT}")


@pytest.mark.parametrize(("fs_hz", "min_f1", "max_rmssd_error_ms"), [(100, 0.999, 3.0), (25, 0.998, 6.0)])
def test_capnobase_beats_and_rmssd_meet_the_goals(fs_hz: int, min_f1: float,
                                                  max_rmssd_error_ms: float) -> None:
    _require("capnobase")
    tp = fp = fn = 0
    rmssd_errors = []
    for record in load_capnobase(ROOT, fs_hz, CAPNOBASE_RECORDS):
        detected = run_ours(record.ppg, record.fs_hz).beats_s
        matches = match_beats(record.ref_beats_s, detected)
        tp += len(matches)
        fp += len(detected) - len(matches)
        fn += len(record.ref_beats_s) - len(matches)
        pair = rmssd_pair_ms(record.ref_beats_s, detected, matches)
        assert pair is not None
        rmssd_errors.append(abs(pair[0] - pair[1]))
    assert 2 * tp / (2 * tp + fp + fn) >= min_f1
    assert np.mean(rmssd_errors) <= max_rmssd_error_ms


def test_but_ppg_heart_rate_holds() -> None:
    _require("but_ppg")
    row = score_rates("but_ppg", "ours (stream 100 ms)", load_but_ppg(ROOT), repeats=1)
    # issue 7's goal (1.69 as measured: HR is the median of the measured intervals, see HrvTracker._heart_rate)
    assert row.hr_mae_bpm is not None and row.hr_mae_bpm <= 2.0
    # 26 of 28: the two left (100001, 104001) show their pulse only at the noise floor's level
    assert row.hr_coverage is not None and row.hr_coverage >= 0.9


def test_welltory_mean_heart_rate_meets_the_goal() -> None:
    _require("welltory")
    row = score_rates("welltory", "ours (stream 100 ms)", load_welltory(ROOT), repeats=1)
    assert row.hr_mae_bpm is not None and row.hr_mae_bpm <= 1.0
    assert row.hr_coverage == 1.0
