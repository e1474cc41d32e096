"""Heart rate rests on the current rhythm when a window holds two, one after the other (device/signal/hrv.py,
`_current_rhythm`): a lock that followed a hand and then the pulse under it reported, say, 180/min for 10 s and
then 67/min; the window's median showed the hand's rate for half a window after the hand was still. A heart does
not step by more than sqrt 2 from one beat to the next and stay there; the same rule must leave real rhythms
(sinus rhythm with breathing, a slowly rising rate, ectopic beats, an irregular rhythm) as they were."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from device.signal import hrv_metrics
from device.signal.hrv import MOTION_CLEAR_INTERVALS
from tests.device.signal.synthetic_rr import irregular_intervals, sinus_intervals


def two_rhythms(first_bpm: float, first_s: float, then_bpm: float, beats_after: int, seed: int) -> NDArray[np.float64]:
    """Beat times (s): `first_bpm` (a hand's picks, 1 % jitter) for `first_s`, then `beats_after` beats of a sinus
    rhythm at `then_bpm`."""
    rng = np.random.default_rng(seed)
    n_first = round(first_s * first_bpm / 60.0)
    first = np.cumsum(60.0 / first_bpm * (1.0 + 0.01 * rng.standard_normal(n_first)))
    after = first[-1] + np.cumsum(sinus_intervals(beats_after, seed, hr_bpm=then_bpm) / 1000.0)
    return np.concatenate([first, after])


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize(("first_bpm", "then_bpm"), [(180.0, 67.0), (180.0, 100.0), (150.0, 60.0), (45.0, 90.0)])
def test_the_rate_is_the_rhythm_after_a_step_once_it_has_run_a_few_beats(first_bpm: float, then_bpm: float,
                                                                        seed: int) -> None:
    beats = two_rhythms(first_bpm, 20.0, then_bpm, MOTION_CLEAR_INTERVALS + 1, seed)
    m = hrv_metrics(beats, window_s=60.0)
    assert m.hr_bpm is not None and abs(m.hr_bpm / then_bpm - 1.0) < 0.05
    assert m.rmssd_ms is None  # the window still holds the other rhythm: no HRV across it


@pytest.mark.parametrize("seed", range(4))
def test_too_short_a_run_after_a_step_does_not_yet_move_the_rate(seed: int) -> None:
    beats = two_rhythms(180.0, 20.0, 67.0, MOTION_CLEAR_INTERVALS - 2, seed)
    m = hrv_metrics(beats, window_s=60.0)
    assert m.hr_bpm is not None and abs(m.hr_bpm / 180.0 - 1.0) < 0.05


@pytest.mark.parametrize("seed", range(6))
def test_a_rate_that_rises_over_a_minute_is_read_over_the_whole_window(seed: int) -> None:
    """60 -> 100/min over 60 s (exercise, a startle): each beat within a few % of the last, so no step; the rate
    is the window's median, as before."""
    rng = np.random.default_rng(seed)
    times = [0.0]
    while times[-1] < 60.0:
        bpm = 60.0 + 40.0 * times[-1] / 60.0
        times.append(times[-1] + 60.0 / bpm * (1.0 + 0.02 * rng.standard_normal()))
    beats = np.asarray(times)
    m = hrv_metrics(beats, window_s=60.0)
    median_bpm = 60.0 / float(np.median(np.diff(beats)))
    assert m.hr_bpm is not None and abs(m.hr_bpm / median_bpm - 1.0) < 0.05


@pytest.mark.parametrize("seed", range(6))
def test_sinus_rhythm_with_premature_beats_keeps_its_rate(seed: int) -> None:
    ibi = sinus_intervals(80, seed) / 1000.0
    for k in range(7, 78, 9):  # a premature beat and its compensatory pause every 9 beats
        ibi[k], ibi[k + 1] = 0.6 * ibi[k], 1.4 * ibi[k + 1]
    m = hrv_metrics(np.cumsum(ibi), window_s=60.0)
    assert m.hr_bpm is not None and abs(m.hr_bpm / 70.0 - 1.0) < 0.05


@pytest.mark.parametrize("seed", range(6))
def test_an_irregular_rhythm_keeps_its_rate(seed: int) -> None:
    ibi = irregular_intervals(100, seed, spread=0.25)
    beats = np.cumsum(ibi)
    m = hrv_metrics(beats, window_s=60.0)
    window = beats[beats > beats[-1] - 60.0]
    median_bpm = 60.0 / float(np.median(np.diff(window)))
    assert m.hr_bpm is not None and abs(m.hr_bpm / median_bpm - 1.0) < 0.1
    assert m.irregular
